#!/usr/bin/env python3
"""N clients following one stock price through the gateway's REST side (report section 2).

Each client either holds one `GET /stocks/SYMBOL/watch` stream (NDJSON, chunked) or polls
`GET /stocks/SYMBOL` every INTERVAL seconds on a keep-alive connection, both over HTTP/1.1, for
SECONDS. Staleness of a price change: from when the service made it (PriceUpdate.timestamp, Unix
ms, same machine clock) until the client holds that price or a newer one; the changes a poller
never sees are covered by the first newer price it gets (changes come every TICK_MS, so their
times are known). Prints "name value" lines.

Usage: follow_price.py --port P --clients N --mode stream|poll [--interval 1.0] [--seconds 8]
                       [--tick-ms 100]
"""
import argparse
import asyncio
import json
import random
import sys
import time

MAX_CLIENTS = 20000
MAX_SECONDS = 600
MAX_HEADER_BYTES = 65536  # a response head larger than this is an error, not a stall


class Stats:
    def __init__(self):
        self.requests = 0
        self.updates = 0
        self.ages_ms = []
        self.errors = 0
        self.other_lines = 0


def now_ms():
    return time.time() * 1000.0


async def read_head(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    if len(head) > MAX_HEADER_BYTES:
        raise ValueError("response head over %d bytes" % MAX_HEADER_BYTES)
    lines = head.decode("latin-1").split("\r\n")
    if not lines[0].startswith("HTTP/1.1 200"):
        raise ValueError("status line %r" % lines[0])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return headers


def seen(stats, update, last, tick_ms):
    """Records a price newer than `last`, and the changes it covers; returns its timestamp."""
    stamp = int(update["timestamp"])
    if last is None or stamp <= last:
        return stamp if last is None else last
    received = now_ms()
    stats.updates += 1
    # Every change after `last` up to this one, one per tick (a bounded number: the gap is at
    # most the run's length).
    change = stamp
    while change > last:
        stats.ages_ms.append(received - change)
        change -= tick_ms
    return stamp


async def poll(port, symbol, interval, tick_ms, end, stats):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = ("GET /stocks/%s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % symbol).encode()
    last = None
    # A random phase, as independent clients have: polls do not all land on the same tick.
    await asyncio.sleep(random.uniform(0, interval))
    next_at = time.monotonic()
    try:
        while time.monotonic() < end:
            writer.write(request)
            stats.requests += 1
            headers = await read_head(reader)
            body = await reader.readexactly(int(headers["content-length"]))
            update = json.loads(body)
            if "timestamp" not in update:
                raise ValueError("response %r" % body[:200])
            last = seen(stats, update, last, tick_ms)
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    finally:
        writer.close()


async def stream(port, symbol, tick_ms, end, stats):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(("GET /stocks/%s/watch HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % symbol).encode())
    stats.requests += 1
    headers = await read_head(reader)
    if headers.get("transfer-encoding") != "chunked":
        raise ValueError("expected a chunked NDJSON stream, got %r" % headers)
    last = None
    first = True
    buffered = b""
    try:
        while True:
            remaining = end - time.monotonic()
            if remaining <= 0:
                break
            try:
                size_line = await asyncio.wait_for(reader.readuntil(b"\r\n"), remaining)
            except asyncio.TimeoutError:
                break
            size = int(size_line.strip().split(b";")[0], 16)
            if size == 0:
                break
            buffered += (await reader.readexactly(size + 2))[:-2]
            while b"\n" in buffered:
                line, buffered = buffered.split(b"\n", 1)
                if not line.strip():
                    continue
                update = json.loads(line)
                if "timestamp" not in update:
                    # A line that is not a price: an error ends the client, anything else
                    # (a keep-alive) is skipped.
                    if "error" in update or "code" in update:
                        raise ValueError("stream line %r" % line[:200])
                    stats.other_lines += 1
                    continue
                if first:  # the snapshot sent on subscribe is not a change the client waited for
                    last = int(update["timestamp"])
                    first = False
                    continue
                last = seen(stats, update, last, tick_ms)
    finally:
        writer.close()


async def run(args, stats):
    end = time.monotonic() + args.seconds
    if args.mode == "stream":
        clients = [stream(args.port, args.symbol, args.tick_ms, end, stats)
                   for _ in range(args.clients)]
    else:
        clients = [poll(args.port, args.symbol, args.interval, args.tick_ms, end, stats)
                   for _ in range(args.clients)]
    for result in await asyncio.gather(*clients, return_exceptions=True):
        if isinstance(result, Exception):
            stats.errors += 1
            if stats.errors == 1:
                print("first error: %r" % result, file=sys.stderr)


def percentile(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(len(ordered) * p / 100.0)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--mode", choices=["stream", "poll"], required=True)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--symbol", default="AAPL")
    parser.add_argument("--tick-ms", type=int, default=100)
    args = parser.parse_args()
    if not 1 <= args.clients <= MAX_CLIENTS:
        parser.error("--clients %d: must be 1..%d" % (args.clients, MAX_CLIENTS))
    if not 0 < args.seconds <= MAX_SECONDS:
        parser.error("--seconds %g: must be in (0, %d]" % (args.seconds, MAX_SECONDS))
    if not 0.001 <= args.interval <= MAX_SECONDS:
        parser.error("--interval %g: must be 0.001..%d" % (args.interval, MAX_SECONDS))
    if not 1 <= args.tick_ms <= MAX_SECONDS * 1000:
        parser.error("--tick-ms %d: must be 1..%d" % (args.tick_ms, MAX_SECONDS * 1000))
    stats = Stats()
    cpu_start = time.process_time()
    asyncio.run(run(args, stats))
    print("requests %d" % stats.requests)
    print("updates_seen %d" % stats.updates)
    print("staleness_p50_ms %.1f" % percentile(stats.ages_ms, 50))
    print("staleness_p99_ms %.1f" % percentile(stats.ages_ms, 99))
    print("client_cpu_ms %.0f" % ((time.process_time() - cpu_start) * 1000))
    print("other_lines %d" % stats.other_lines)
    print("errors %d" % stats.errors)
    return 1 if stats.errors else 0


if __name__ == "__main__":
    sys.exit(main())
