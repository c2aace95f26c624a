#!/usr/bin/env bash
# `make bench`: every benchmark in turn; each prints a markdown section for docs/benchmarks.md.
set -euo pipefail
BUILD_DIR=${1:-build}
cd "$(dirname "$0")/.."
for b in bench/unary.sh; do
  "$b" "$BUILD_DIR"
  echo
done
