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
