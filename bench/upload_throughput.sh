#!/usr/bin/env bash
# Client-streaming upload throughput: BYTES in CHUNK-byte FileChunks to one upload server,
# against a raw loopback TCP copy of the same bytes in the same chunks (bench_upload tcp-send /
# tcp-recv) measured in the same run, once discarding and once writing to disk with fsync as the
# upload service does. Median of RUNS runs; a fresh server and data dir per run.
set -euo pipefail
BUILD_DIR=${1:-build}
SWITCHBOARD=$(realpath "$BUILD_DIR/switchboard")
LOADGEN=$(realpath "$BUILD_DIR/bench/bench_upload")
RUNS=${RUNS:-3}
BYTES=${BYTES:-$((512 * 1024 * 1024))}
CHUNK=${CHUNK:-$((64 * 1024))}
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_servers.sh"
load_at_start=$(bench_load)

# tcp_copy OUT [receiver flags]: one receiver process and one sender, loopback only.
tcp_copy() {
  local out=$1 port; shift
  port=$(bench_free_port)
  "$LOADGEN" tcp-recv --port="$port" --chunk="$CHUNK" "$@" >"$out.recv" &
  local recv=$!
  BENCH_PIDS+=("$recv")
  timeout 120 "$LOADGEN" tcp-send --port="$port" --bytes="$BYTES" --chunk="$CHUNK" >"$out"
  wait "$recv"
  bench_forget "$recv"
}

declare -a grpc_mibs tcp_mibs disk_mibs
for i in $(seq 1 "$RUNS"); do
  port=$(bench_free_port)
  bench_serve upload "$port"
  timeout 300 "$LOADGEN" grpc --target="127.0.0.1:$port" --bytes="$BYTES" --chunk="$CHUNK" \
    >"$BENCH_TMP/grpc.out"
  bench_stop_servers
  rm -rf "$BENCH_TMP/var"
  tcp_copy "$BENCH_TMP/tcp.out"
  mkdir -p "$BENCH_TMP/disk"
  tcp_copy "$BENCH_TMP/disk.out" --out="$BENCH_TMP/disk/copy.bin"
  grpc_mibs+=("$(bench_field mib_per_second "$BENCH_TMP/grpc.out")")
  tcp_mibs+=("$(bench_field mib_per_second "$BENCH_TMP/tcp.out")")
  disk_mibs+=("$(bench_field mib_per_second "$BENCH_TMP/disk.out")")
  echo "run $i: UploadFile ${grpc_mibs[-1]} MiB/s; TCP ${tcp_mibs[-1]} MiB/s; TCP to disk ${disk_mibs[-1]} MiB/s" >&2
done

g=$(bench_median "${grpc_mibs[@]}"); t=$(bench_median "${tcp_mibs[@]}"); d=$(bench_median "${disk_mibs[@]}")
echo "## Upload throughput (client streaming, $((BYTES / 1024 / 1024)) MiB in $((CHUNK / 1024)) KiB chunks)"
echo
echo "command: RUNS=$RUNS BYTES=$BYTES CHUNK=$CHUNK bench/upload_throughput.sh; median of $RUNS runs"
bench_machine
echo "load average (1/5/15 min): $load_at_start at start, $(bench_load) at end"
echo
echo "| path | MiB/s | vs raw TCP |"
echo "|---|---|---|"
printf '| UploadFile (gRPC; server writes to disk, SHA-256, fsync, SQLite row) | %.0f | %s |\n' "$g" "$(bench_ratio "$g" "$t")"
printf '| raw loopback TCP, receiver discards (baseline) | %.0f | 1.00 |\n' "$t"
printf '| raw loopback TCP, receiver writes to disk and fsyncs | %.0f | %s |\n' "$d" "$(bench_ratio "$d" "$t")"
echo
echo "Each figure is bytes / time from the first byte sent to the answer (the UploadResult, or the receiver's ack after it has everything)."
