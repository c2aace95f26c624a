#!/usr/bin/env bash
# `make bench`: every benchmark in turn; each prints a markdown section for docs/benchmarks.md.
set -euo pipefail
BUILD_DIR=${1:-build}
cd "$(dirname "$0")/.."
for b in bench/unary.sh bench/stock_fanout.sh bench/upload_throughput.sh bench/chat_room.sh \
  bench/booking_chain.sh bench/booking_propagation.sh bench/gateway.sh; do
  "$b" "$BUILD_DIR"
  echo
done
# The gateway again in front of the grpc-go ticket server, where the backend is not the
# bottleneck (needs Go: SWITCHBOARD_BENCH=1 scripts/install-deps.sh).
if command -v go >/dev/null; then
  BACKEND=go bench/gateway.sh "$BUILD_DIR"
else
  echo "bench/run.sh: BACKEND=go bench/gateway.sh skipped: go not installed (SWITCHBOARD_BENCH=1 scripts/install-deps.sh)" >&2
fi
