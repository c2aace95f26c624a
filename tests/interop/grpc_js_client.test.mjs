// An independent gRPC client (@grpc/grpc-js with .proto files loaded at run time, none of our
// generated C++ code) calling every service of a real `switchboard up`. run-grpc-js.sh starts
// the system and passes the addresses in SWITCHBOARD_ADDR_<SERVICE> and SWITCHBOARD_RUNNING.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { once } from 'node:events';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const kRepo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const kProtoDir = path.join(kRepo, 'proto');
// google/api/{annotations,http}.proto (REST mappings), as proto/CMakeLists.txt and buf find them.
const kGoogleProtoDir = path.join(kRepo, 'node_modules', 'google-proto-files');
const kAllServices = ['ticket', 'booking', 'payment', 'fraud', 'user', 'notification', 'stock',
  'upload', 'chat'];

// Every call carries a deadline; every test and the whole file are bounded too.
const kUnaryDeadlineMs = 5000;
const kStreamDeadlineMs = 20000;
const kMessageWaitMs = 5000;  // longest wait for one expected stream message
const kTestTimeoutMs = 30000;
const kFileTimeoutMs = 150000;
// Server clocks and ours are the same machine's; this only catches nonsense (0, seconds as ms).
const kClockSlackMs = 60000;

const kChunkBytes = 64 * 1024;
const kMaxDownloadChunkBytes = 1024 * 1024;
const kUploadBytes = 3 * 1024 * 1024 + 12345;  // a few MiB, deliberately not a chunk multiple

const { status: Code } = grpc;
const kUnique = `${process.pid}-${Date.now()}`;

const watchdog = setTimeout(() => {
  console.error(`grpc_js_client: still running after ${kFileTimeoutMs} ms; giving up`);
  process.exit(1);
}, kFileTimeoutMs);
watchdog.unref();

// --- where the system runs ---------------------------------------------------------------------

const running = new Set((process.env.SWITCHBOARD_RUNNING ?? '').split(',').filter(Boolean));
const requireAll = process.env.SWITCHBOARD_REQUIRE_ALL === '1';
const started = running.size > 0;

function addressOf(service) {
  const address = process.env[`SWITCHBOARD_ADDR_${service.toUpperCase()}`];
  assert.ok(address, `SWITCHBOARD_ADDR_${service.toUpperCase()} is not set`);
  return address;
}

// A service `up` did not start (not written yet) is skipped, unless SWITCHBOARD_REQUIRE_ALL=1.
function skipUnlessRunning(service) {
  if (!started || requireAll || running.has(service)) return false;
  return `${service} was not started by switchboard up`;
}

// --- contracts, loaded from the .proto files ---------------------------------------------------

const kLoadOptions = {
  includeDirs: [kProtoDir, kGoogleProtoDir],
  keepCase: true,    // field names exactly as in the .proto files
  longs: Number,     // every int64 here (ms timestamps, sizes, sequences) is far below 2^53
  enums: String,
  defaults: true,    // absent fields read as their proto3 defaults
  oneofs: true,
};
const proto = grpc.loadPackageDefinition(protoLoader.loadSync([
  'grpc/health/v1/health.proto',
  'switchboard/ticket/v1/ticket.proto',
  'switchboard/user/v1/user.proto',
  'switchboard/notification/v1/notification.proto',
  'switchboard/stock/v1/stock.proto',
  'switchboard/upload/v1/upload.proto',
  'switchboard/chat/v1/chat.proto',
], kLoadOptions));
const sb = proto.switchboard;

const clients = [];
function connect(Client, service) {
  const client = new Client(addressOf(service), grpc.credentials.createInsecure());
  clients.push(client);
  return client;
}
after(() => {
  for (const client of clients) client.close();
});

// --- call helpers ------------------------------------------------------------------------------

const deadlineIn = (ms) => new Date(Date.now() + ms);

function unary(client, method, request, { ms = kUnaryDeadlineMs, metadata } = {}) {
  return new Promise((resolve, reject) => {
    client[method](request, metadata ?? new grpc.Metadata(), { deadline: deadlineIn(ms) },
      (error, response) => (error ? reject(error) : resolve(response)));
  });
}

// Sends `messages` on a client-streaming call, respecting flow control, and returns its response.
async function clientStream(client, method, messages, { ms = kStreamDeadlineMs } = {}) {
  let call;
  const result = new Promise((resolve, reject) => {
    call = client[method](new grpc.Metadata(), { deadline: deadlineIn(ms) },
      (error, response) => (error ? reject(error) : resolve(response)));
  });
  const finished = result.then(() => true, () => true);  // the server may end the call early
  for (const message of messages) {
    if (call.write(message)) continue;
    const stop = await Promise.race([once(call, 'drain').then(() => false, () => true), finished]);
    if (stop) break;
  }
  call.end();
  return result;
}

// Asserts that `promise` fails with gRPC status `code` (and details matching `details`).
async function expectStatus(promise, code, details) {
  await assert.rejects(promise, (error) => {
    assert.equal(error.code, code,
      `expected status ${Code[code]} (${code}), got ${Code[error.code]} (${error.code}): ` +
      `${error.details}`);
    if (details) assert.match(error.details, details);
    return true;
  });
}

function assertRecentMs(ms, what) {
  assert.ok(Number.isInteger(ms) && Math.abs(ms - Date.now()) < kClockSlackMs,
    `${what}: ${ms} is not a Unix time in ms near now (${Date.now()})`);
}

// The messages of a server-streaming or bidi call, read one at a time with a bounded wait.
class Inbox {
  #items = [];
  #wake = null;
  #ended = false;
  #error = null;

  constructor(call) {
    this.call = call;
    call.on('data', (message) => { this.#items.push(message); this.#wake?.(); });
    call.on('end', () => { this.#ended = true; this.#wake?.(); });
    // Also the CANCELLED that our own cancel() causes; every error surfaces via next/finished.
    call.on('error', (error) => { this.#error = error; this.#wake?.(); });
    this.status = new Promise((resolve) => call.on('status', resolve));
  }

  get pending() { return this.#items.length; }

  // The next message; rejects with the call's error, on a clean end, or after `ms`.
  async next(what, ms = kMessageWaitMs) {
    const until = Date.now() + ms;
    while (this.#items.length === 0) {
      if (this.#error) throw this.#error;
      if (this.#ended) throw new Error(`stream ended before ${what}`);
      const left = until - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${ms} ms`);
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => { clearTimeout(timer); resolve(); };
      });
      this.#wake = null;
    }
    return this.#items.shift();
  }

  // Skips messages until one satisfies `predicate`; returns it.
  async nextWhere(predicate, what, ms = kMessageWaitMs) {
    const until = Date.now() + ms;
    for (;;) {
      const message = await this.next(what, Math.max(1, until - Date.now()));
      if (predicate(message)) return message;
    }
  }

  // Every remaining message, once the server ends the call with OK.
  async rest(what, ms = kStreamDeadlineMs) {
    const messages = [];
    const until = Date.now() + ms;
    for (;;) {
      try {
        messages.push(await this.next(what, Math.max(1, until - Date.now())));
      } catch (error) {
        if (this.#ended && !this.#error) return messages;
        throw error;
      }
    }
  }

  // The final status ({code, details}), within `ms`.
  async finished(ms = kMessageWaitMs) {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`call did not finish within ${ms} ms`)), ms);
    });
    try {
      return await Promise.race([this.status, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  cancel() { this.call.cancel(); }
}

function serverStream(client, method, request, { ms = kStreamDeadlineMs, metadata } = {}) {
  return new Inbox(client[method](request, metadata ?? new grpc.Metadata(),
    { deadline: deadlineIn(ms) }));
}

function bidi(client, method, { ms = kStreamDeadlineMs, metadata } = {}) {
  return new Inbox(client[method](metadata ?? new grpc.Metadata(), { deadline: deadlineIn(ms) }));
}

// --- the system as a whole ---------------------------------------------------------------------

test('run through run-grpc-js.sh (addresses are in the environment)', () => {
  assert.ok(started, 'SWITCHBOARD_RUNNING is empty: start the system with ' +
    'tests/interop/run-grpc-js.sh [path/to/switchboard]');
});

{
  const missing = kAllServices.filter((name) => !running.has(name));
  const todo = started && !requireAll && missing.length > 0 &&
    `not started yet: ${missing.join(', ')} (SWITCHBOARD_REQUIRE_ALL=1 makes this fail)`;
  if (todo) {
    test('switchboard up started all nine services', { todo });
  } else {
    test('switchboard up started all nine services', () => assert.deepEqual(missing, []));
  }
}

describe('health', () => {
  for (const service of kAllServices) {
    test(`grpc.health.v1.Health/Check on ${service} is SERVING`,
      { skip: skipUnlessRunning(service), timeout: kTestTimeoutMs }, async () => {
        const health = connect(proto.grpc.health.v1.Health, service);
        const response = await unary(health, 'Check', { service: '' });
        assert.equal(response.status, 'SERVING');
      });
  }

  test('Check for an unregistered service name is NOT_FOUND',
    { skip: skipUnlessRunning('ticket'), timeout: kTestTimeoutMs }, async () => {
      const health = connect(proto.grpc.health.v1.Health, 'ticket');
      await expectStatus(unary(health, 'Check', { service: 'no.such.v1.Service' }),
        Code.NOT_FOUND);
    });
});

// --- ticket: unary --------------------------------------------------------------------------------

describe('ticket', { skip: skipUnlessRunning('ticket') }, () => {
  const kSeedEvents = 12;
  let ticket;
  const client = () => (ticket ??= connect(sb.ticket.v1.TicketService, 'ticket'));

  test('GetEvent evt-1 returns the seeded event', { timeout: kTestTimeoutMs }, async () => {
    const event = await unary(client(), 'GetEvent', { id: 'evt-1' });
    assert.equal(event.id, 'evt-1');
    assert.equal(event.name, 'The Protocol Buffers');
    assert.equal(event.venue, 'Union Chapel, London');
    assert.equal(event.starts_at.seconds, 1798794000);
    assert.equal(event.starts_at.nanos, 0);
    assert.equal(event.capacity, 900);
    assert.ok(event.seats_available >= 0 && event.seats_available <= event.capacity,
      `seats_available ${event.seats_available} outside 0..${event.capacity}`);
    assert.equal(event.price, 4500);
    assert.equal(event.currency, 'GBP');
  });

  test('GetEvent of an unknown id is NOT_FOUND naming it', { timeout: kTestTimeoutMs },
    async () => {
      await expectStatus(unary(client(), 'GetEvent', { id: 'evt-404' }), Code.NOT_FOUND,
        /evt-404/);
    });

  test('GetEvent with an empty id is INVALID_ARGUMENT', { timeout: kTestTimeoutMs }, async () => {
    await expectStatus(unary(client(), 'GetEvent', { id: '' }), Code.INVALID_ARGUMENT);
  });

  test('ListEvents pages through all seeded events once, ordered by start',
    { timeout: kTestTimeoutMs }, async () => {
      const kPageSize = 5;
      const events = [];
      const pageSizes = [];
      let token = '';
      for (let page = 0; page < 2 * kSeedEvents; ++page) {
        const response = await unary(client(), 'ListEvents',
          { page_size: kPageSize, page_token: token });
        assert.ok(response.events.length <= kPageSize, `page of ${response.events.length}`);
        pageSizes.push(response.events.length);
        events.push(...response.events);
        token = response.next_page_token;
        if (token === '') break;
      }
      assert.equal(token, '', 'still a next_page_token after many pages');
      assert.deepEqual(pageSizes, [5, 5, 2]);
      const ids = events.map((event) => event.id);
      assert.equal(new Set(ids).size, ids.length, `duplicates in ${ids}`);
      assert.deepEqual([...ids].sort(),
        Array.from({ length: kSeedEvents }, (_, i) => `evt-${i + 1}`).sort());
      for (let i = 1; i < events.length; ++i) {
        assert.ok(events[i - 1].starts_at.seconds <= events[i].starts_at.seconds,
          `${ids[i - 1]} listed before ${ids[i]} but starts later`);
      }
    });

  test('ListEvents with page_size 0 uses the default (20): one page', { timeout: kTestTimeoutMs },
    async () => {
      const response = await unary(client(), 'ListEvents', { page_size: 0, page_token: '' });
      assert.equal(response.events.length, kSeedEvents);
      assert.equal(response.next_page_token, '');
    });

  test('ListEvents with a forged page_token is INVALID_ARGUMENT', { timeout: kTestTimeoutMs },
    async () => {
      await expectStatus(unary(client(), 'ListEvents', { page_size: 5, page_token: 'forged!' }),
        Code.INVALID_ARGUMENT);
    });
});

// --- stock: unary, server streaming, client streaming --------------------------------------------

describe('stock', { skip: skipUnlessRunning('stock') }, () => {
  let stock;
  const client = () => (stock ??= connect(sb.stock.v1.StockService, 'stock'));
  // A symbol no other test or run uses: ^[A-Z0-9.]{1,12}$.
  const fresh = (prefix) =>
    `${prefix}${crypto.randomBytes(4).readUInt32BE().toString(36).toUpperCase()}`.slice(0, 12);

  test('GetPrice of a default symbol (ACME)', { timeout: kTestTimeoutMs }, async () => {
    const update = await unary(client(), 'GetPrice', { symbol: 'ACME' });
    assert.equal(update.symbol, 'ACME');
    assert.ok(Number.isFinite(update.price) && update.price > 0, `price ${update.price}`);
    assertRecentMs(update.timestamp, 'timestamp');
  });

  test('WatchStockPrice streams ACME updates with increasing timestamps until cancelled',
    { timeout: kTestTimeoutMs }, async () => {
      const kUpdates = 3;
      const watch = serverStream(client(), 'WatchStockPrice', { symbol: 'ACME' });
      const updates = [];
      for (let i = 0; i < kUpdates; ++i) updates.push(await watch.next(`update ${i + 1}`));
      watch.cancel();
      const { code } = await watch.finished();
      assert.equal(code, Code.CANCELLED);
      for (const update of updates) {
        assert.equal(update.symbol, 'ACME');
        assert.ok(update.price > 0, `price ${update.price}`);
        assert.ok(update.dropped_since_last >= 0);
        assertRecentMs(update.timestamp, 'timestamp');
      }
      for (let i = 1; i < updates.length; ++i) {
        assert.ok(updates[i].timestamp > updates[i - 1].timestamp,
          `timestamps not increasing: ${updates.map((u) => u.timestamp)}`);
      }
    });

  test('PublishPrices (client streaming) reaches GetPrice and a watcher',
    { timeout: kTestTimeoutMs }, async () => {
      const symbol = fresh('JS');
      // Values exact in float32, so they compare equal after the round trip.
      const first = await clientStream(client(), 'PublishPrices', [10.5, 11.25, 12.75].map(
        (price) => ({ symbol, price, timestamp: 0 })));
      assert.equal(first.accepted, 3);
      const latest = await unary(client(), 'GetPrice', { symbol });
      assert.equal(latest.symbol, symbol);
      assert.equal(latest.price, 12.75);
      assertRecentMs(latest.timestamp, 'timestamp 0 means now');

      const watch = serverStream(client(), 'WatchStockPrice', { symbol });
      const current = await watch.next('the current price on subscribing');
      assert.equal(current.price, 12.75);
      const at = Date.now();
      const second = await clientStream(client(), 'PublishPrices',
        [{ symbol, price: 13.5, timestamp: at }]);
      assert.equal(second.accepted, 1);
      const live = await watch.nextWhere((update) => update.price === 13.5, 'the published tick');
      assert.equal(live.symbol, symbol);
      assert.equal(live.timestamp, at);
      watch.cancel();
      assert.equal((await watch.finished()).code, Code.CANCELLED);
      const final = await unary(client(), 'GetPrice', { symbol });
      assert.equal(final.price, 13.5);
      assert.equal(final.timestamp, at);
    });

  test('PublishPrices of a non-positive price is INVALID_ARGUMENT', { timeout: kTestTimeoutMs },
    async () => {
      await expectStatus(clientStream(client(), 'PublishPrices',
        [{ symbol: fresh('NEG'), price: -1, timestamp: 0 }]), Code.INVALID_ARGUMENT);
    });

  test('an unknown symbol is NOT_FOUND (GetPrice and WatchStockPrice)',
    { timeout: kTestTimeoutMs }, async () => {
      const symbol = fresh('NONE');
      await expectStatus(unary(client(), 'GetPrice', { symbol }), Code.NOT_FOUND);
      const watch = serverStream(client(), 'WatchStockPrice', { symbol });
      await expectStatus(watch.next('an error'), Code.NOT_FOUND);
    });

  test('a malformed symbol is INVALID_ARGUMENT (GetPrice, WatchStockPrice, PublishPrices)',
    { timeout: kTestTimeoutMs }, async () => {
      for (const symbol of ['acme', 'NOT A SYMBOL', '', 'X'.repeat(13)]) {
        await expectStatus(unary(client(), 'GetPrice', { symbol }), Code.INVALID_ARGUMENT,
          /symbol/);
      }
      const watch = serverStream(client(), 'WatchStockPrice', { symbol: 'bad!' });
      await expectStatus(watch.next('an error'), Code.INVALID_ARGUMENT);
      await expectStatus(clientStream(client(), 'PublishPrices',
        [{ symbol: 'bad!', price: 1, timestamp: 0 }]), Code.INVALID_ARGUMENT);
    });
});

// --- upload: client streaming, server streaming ----------------------------------------------------

describe('upload', { skip: skipUnlessRunning('upload') }, () => {
  let upload;
  const client = () => (upload ??= connect(sb.upload.v1.UploadService, 'upload'));
  const data = crypto.randomBytes(kUploadBytes);
  const sha256 = crypto.createHash('sha256').update(data).digest('hex');
  let stored;  // the UploadResult of the first test, read back by the next ones

  function chunksOf(bytes, fileName) {
    const chunks = [];
    for (let offset = 0, number = 1; offset < bytes.length; offset += kChunkBytes, ++number) {
      chunks.push({ data: bytes.subarray(offset, offset + kChunkBytes), chunk_number: number,
        file_name: number === 1 ? fileName : '' });
    }
    return chunks;
  }

  test(`UploadFile of ${kUploadBytes} bytes in 64 KiB chunks returns node's SHA-256`,
    { timeout: kTestTimeoutMs }, async () => {
      stored = await clientStream(client(), 'UploadFile', chunksOf(data, 'interop.bin'));
      assert.equal(stored.success, true);
      assert.equal(stored.total_bytes, kUploadBytes);
      assert.equal(stored.sha256, sha256);
      assert.ok(stored.file_id.length > 0, 'empty file_id');
    });

  test('GetFile streams the same bytes back in 64 KiB chunks', { timeout: kTestTimeoutMs },
    async (t) => {
      if (!stored) return t.skip('no stored file (UploadFile failed)');
      const chunks = await serverStream(client(), 'GetFile', { file_id: stored.file_id,
        chunk_size: 0 }).rest('file chunks');
      const sizes = chunks.map((chunk) => chunk.data.length);
      assert.ok(sizes.slice(0, -1).every((size) => size === kChunkBytes),
        `chunk sizes ${sizes}`);
      assert.ok(sizes.at(-1) > 0 && sizes.at(-1) <= kChunkBytes, `last chunk ${sizes.at(-1)}`);
      const back = Buffer.concat(chunks.map((chunk) => chunk.data));
      assert.equal(back.length, data.length);
      assert.ok(back.equals(data), 'downloaded bytes differ from the upload');
    });

  test('GetFile caps chunk_size at 1 MiB', { timeout: kTestTimeoutMs }, async (t) => {
    if (!stored) return t.skip('no stored file (UploadFile failed)');
    const chunks = await serverStream(client(), 'GetFile', { file_id: stored.file_id,
      chunk_size: 4 * kMaxDownloadChunkBytes }).rest('file chunks');
    const sizes = chunks.map((chunk) => chunk.data.length);
    assert.deepEqual(sizes.slice(0, -1),
      Array(Math.ceil(kUploadBytes / kMaxDownloadChunkBytes) - 1).fill(kMaxDownloadChunkBytes));
    assert.equal(crypto.createHash('sha256').update(Buffer.concat(chunks.map((c) => c.data)))
      .digest('hex'), sha256);
  });

  test('GetFile of an unknown file_id is NOT_FOUND', { timeout: kTestTimeoutMs }, async (t) => {
    if (!stored) return t.skip('no stored file (UploadFile failed)');
    // Same shape as a real id, one character different.
    const id = stored.file_id.slice(0, -1) + (stored.file_id.endsWith('0') ? '1' : '0');
    await expectStatus(serverStream(client(), 'GetFile', { file_id: id }).next('an error'),
      Code.NOT_FOUND);
  });

  test('an out-of-order chunk is INVALID_ARGUMENT', { timeout: kTestTimeoutMs }, async () => {
    const [one, , three] = chunksOf(crypto.randomBytes(3 * kChunkBytes), 'gap.bin');
    await expectStatus(clientStream(client(), 'UploadFile', [one, three]), Code.INVALID_ARGUMENT,
      /chunk_number 3/);
    const [, two] = chunksOf(crypto.randomBytes(2 * kChunkBytes), '');
    await expectStatus(clientStream(client(), 'UploadFile', [two]), Code.INVALID_ARGUMENT,
      /chunk_number 2/);
  });
});

// --- chat: bidirectional streaming -------------------------------------------------------------------

describe('chat', { skip: skipUnlessRunning('chat') }, () => {
  let chat;
  const client = () => (chat ??= connect(sb.chat.v1.ChatService, 'chat'));
  const inRoom = (room) => {
    const metadata = new grpc.Metadata();
    metadata.set('x-chat-room', room);
    return metadata;
  };
  const brief = (m) => `${m.sequence}:${m.kind}:${m.user_id}:${m.text}`;

  test('two members of one room see the same messages in the same order, with join and leave',
    { timeout: kTestTimeoutMs }, async () => {
      const room = `interop-${kUnique}`;
      const alice = bidi(client(), 'Chat', { metadata: inRoom(room) });
      alice.call.write({ user_id: 'alice', kind: 'KIND_JOIN' });
      const aliceJoin = await alice.next("alice's join");
      assert.equal(aliceJoin.kind, 'KIND_JOIN');
      assert.equal(aliceJoin.user_id, 'alice');
      assert.equal(aliceJoin.room, room);
      assert.ok(aliceJoin.sequence >= 1, `sequence ${aliceJoin.sequence}`);
      assertRecentMs(aliceJoin.timestamp, 'timestamp');

      const bob = bidi(client(), 'Chat', { metadata: inRoom(room) });
      bob.call.write({ user_id: 'bob', kind: 'KIND_JOIN' });
      // Bob gets the room's history first (alice's join), then his own join.
      assert.deepEqual(await bob.next('the replayed history'), aliceJoin);
      const bobJoin = await bob.next("bob's join");
      assert.equal(bobJoin.kind, 'KIND_JOIN');
      assert.equal(bobJoin.user_id, 'bob');
      assert.equal(bobJoin.sequence, aliceJoin.sequence + 1);
      assert.deepEqual(await alice.next("bob's join, seen by alice"), bobJoin);

      // Both post at once: whatever order the room picks, both members see that one order.
      const kRounds = 5;
      for (let i = 0; i < kRounds; ++i) {
        alice.call.write({ user_id: 'alice', kind: 'KIND_TEXT', text: `alice ${i}` });
        bob.call.write({ user_id: 'bob', kind: 'KIND_TEXT', text: `bob ${i}` });
      }
      const seenByAlice = [];
      const seenByBob = [];
      for (let i = 0; i < 2 * kRounds; ++i) {
        seenByAlice.push(await alice.next(`text ${i + 1} at alice`));
        seenByBob.push(await bob.next(`text ${i + 1} at bob`));
      }
      assert.deepEqual(seenByAlice.map(brief), seenByBob.map(brief));
      assert.deepEqual(seenByAlice, seenByBob);
      seenByAlice.forEach((message, i) => {
        assert.equal(message.kind, 'KIND_TEXT');
        assert.equal(message.room, room);
        assert.equal(message.sequence, bobJoin.sequence + 1 + i, 'sequence increases by one');
        assert.ok(message.text.startsWith(`${message.user_id} `), brief(message));
      });
      // Each sender's own messages keep the order it sent them in.
      for (const user of ['alice', 'bob']) {
        assert.deepEqual(seenByAlice.filter((m) => m.user_id === user).map((m) => m.text),
          Array.from({ length: kRounds }, (_, i) => `${user} ${i}`));
      }

      // Bob half-closes: his call ends OK and alice sees him leave.
      bob.call.end();
      assert.equal((await bob.finished()).code, Code.OK);
      const leave = await alice.next("bob's leave");
      assert.equal(leave.kind, 'KIND_LEAVE');
      assert.equal(leave.user_id, 'bob');
      assert.equal(leave.sequence, seenByAlice.at(-1).sequence + 1);
      alice.call.end();
      assert.equal((await alice.finished()).code, Code.OK);
    });

  test('the room can come from the first message instead of metadata',
    { timeout: kTestTimeoutMs }, async () => {
      const room = `interop-msg-${kUnique}`;
      const carol = bidi(client(), 'Chat');
      carol.call.write({ user_id: 'carol', room, text: 'first words' });
      const join = await carol.next("carol's join");
      assert.equal(join.kind, 'KIND_JOIN');
      assert.equal(join.room, room);
      const text = await carol.next("carol's first text");
      assert.equal(text.kind, 'KIND_TEXT');
      assert.equal(text.text, 'first words');
      assert.equal(text.sequence, join.sequence + 1);
      carol.call.end();
      assert.equal((await carol.finished()).code, Code.OK);
    });

  test('a stream without a room joins the default room', { timeout: kTestTimeoutMs }, async () => {
    const dave = bidi(client(), 'Chat');
    dave.call.write({ user_id: 'dave', text: 'where am I?' });
    let join = await dave.next("dave's join");
    // The room's history, if it has any, is replayed before the join.
    while (!(join.kind === 'KIND_JOIN' && join.user_id === 'dave')) join = await dave.next("dave's join");
    assert.equal(join.room, 'general');
    dave.call.end();
    assert.equal((await dave.finished()).code, Code.OK);
  });
});

// --- user: unary ---------------------------------------------------------------------------------------

describe('user', { skip: skipUnlessRunning('user') }, () => {
  let user;
  const client = () => (user ??= connect(sb.user.v1.UserService, 'user'));
  const email = `interop.${kUnique}@example.com`;

  test('CreateUser then GetUser returns the same user', { timeout: kTestTimeoutMs }, async () => {
    const created = await unary(client(), 'CreateUser',
      { email, display_name: 'Interop Client' });
    assert.ok(created.id.length > 0, 'empty id');
    assert.equal(created.email, email);
    assert.equal(created.display_name, 'Interop Client');
    assertRecentMs(created.created_at.seconds * 1000, 'created_at');
    assert.deepEqual(await unary(client(), 'GetUser', { id: created.id }), created);
  });

  test('CreateUser with a taken email is ALREADY_EXISTS', { timeout: kTestTimeoutMs },
    async () => {
      const taken = `taken.${kUnique}@example.com`;
      await unary(client(), 'CreateUser', { email: taken, display_name: 'First' });
      await expectStatus(unary(client(), 'CreateUser', { email: taken, display_name: 'Second' }),
        Code.ALREADY_EXISTS);
    });

  test('CreateUser with a malformed email is INVALID_ARGUMENT', { timeout: kTestTimeoutMs },
    async () => {
      for (const bad of ['not-an-email', '', '@example.com', 'a@b@c']) {
        await expectStatus(unary(client(), 'CreateUser', { email: bad, display_name: 'Bad' }),
          Code.INVALID_ARGUMENT, /email/);
      }
    });

  test('GetUser of an unknown id is NOT_FOUND', { timeout: kTestTimeoutMs }, async () => {
    await expectStatus(unary(client(), 'GetUser', { id: `no-such-user-${kUnique}` }),
      Code.NOT_FOUND);
  });
});

// --- notification: server streaming + unary ----------------------------------------------------------

describe('notification', { skip: skipUnlessRunning('notification') }, () => {
  let notification;
  const client = () =>
    (notification ??= connect(sb.notification.v1.NotificationService, 'notification'));

  test('Notify without subscribers delivers to nobody', { timeout: kTestTimeoutMs }, async () => {
    const response = await unary(client(), 'Notify',
      { user_id: `nobody-${kUnique}`, title: 'unheard', body: 'no one listens' });
    assert.equal(response.delivered, 0);
  });

  test('a subscriber receives what Notify sends to its user', { timeout: kTestTimeoutMs },
    async () => {
      const kAttempts = 50;
      const kRetryMs = 100;
      const userId = `subscriber-${kUnique}`;
      const subscription = serverStream(client(), 'Subscribe', { user_id: userId });
      // The subscription registers asynchronously: notify until one is queued for it.
      let sent;
      for (let attempt = 1; attempt <= kAttempts && !sent; ++attempt) {
        const request = { user_id: userId, title: `hello ${attempt}`, body: 'from grpc-js' };
        const response = await unary(client(), 'Notify', request);
        if (response.delivered > 0) sent = { request, response };
        else await sleep(kRetryMs);
      }
      assert.ok(sent, `Notify never reached the subscriber in ${kAttempts} attempts`);
      assert.equal(sent.response.delivered, 1);
      assert.ok(sent.response.notification_id.length > 0, 'empty notification_id');
      const received = await subscription.next('the notification');
      assert.equal(received.id, sent.response.notification_id);
      assert.equal(received.user_id, userId);
      assert.equal(received.title, sent.request.title);
      assert.equal(received.body, sent.request.body);
      assertRecentMs(received.timestamp, 'timestamp');
      subscription.cancel();
      assert.equal((await subscription.finished()).code, Code.CANCELLED);
    });
});
