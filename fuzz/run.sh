#!/usr/bin/env bash
# Runs the libFuzzer targets built in BUILD_DIR (cmake --build BUILD_DIR --target fuzz_targets)
# for SECONDS each, two at a time, from the seed corpora in fuzz/corpus/<name>/, and prints one
# line per target: executions, coverage, result. Exits non-zero when any target reports a crash,
# a hang, a leak, a sanitizer report or memory over its limit; the input that did it is kept in
# BUILD_DIR/fuzz-artifacts/ and the log in BUILD_DIR/fuzz-logs/.
#
#   fuzz/run.sh BUILD_DIR SECONDS [name ...]     (default: every target built)
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 BUILD_DIR SECONDS [name ...]" >&2
  exit 2
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "$1" && pwd)"
seconds="$2"
shift 2

# Per target: memory over this ends the run as a failure (libFuzzer's -rss_limit_mb, also its
# per-allocation limit); a single input running longer than this is a hang.
RSS_LIMIT_MB=${FUZZ_RSS_LIMIT_MB:-2048}
INPUT_TIMEOUT_S=${FUZZ_INPUT_TIMEOUT_S:-10}
PARALLEL=${FUZZ_PARALLEL:-2}

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for binary in "$build"/fuzz/*_fuzz; do
    [ -x "$binary" ] && names+=("$(basename "$binary" _fuzz)")
  done
fi
if [ ${#names[@]} -eq 0 ]; then
  echo "fuzz: no targets in $build/fuzz (build the target fuzz_targets first)" >&2
  exit 2
fi

# The dictionary of a target: fuzz/dict/<name>.dict, or the shared JSON one for the targets whose
# input is a JSON message.
dictionary_of() {
  case "$1" in
    rest_transcoder | websocket_message | jwks) echo "$root/fuzz/dict/json.dict" ;;
    *) [ -f "$root/fuzz/dict/$1.dict" ] && echo "$root/fuzz/dict/$1.dict" ;;
  esac
  return 0
}

# Runs one target; prints its line; fails when the target failed.
run_one() {
  local name="$1"
  local binary="$build/fuzz/${name}_fuzz"
  local log="$build/fuzz-logs/$name.log"
  # New inputs go to a working corpus in the build tree; the checked-in seeds stay as they are.
  local work="$build/fuzz-corpus/$name"
  mkdir -p "$work" "$build/fuzz-artifacts" "$build/fuzz-logs"
  local args=(-max_total_time="$seconds" -rss_limit_mb="$RSS_LIMIT_MB" -timeout="$INPUT_TIMEOUT_S"
    -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/$name-")
  local dict
  dict="$(dictionary_of "$name")"
  [ -n "$dict" ] && args+=(-dict="$dict")
  local seeds=()
  [ -d "$root/fuzz/corpus/$name" ] && seeds+=("$root/fuzz/corpus/$name")
  local status=0
  if [ ! -x "$binary" ]; then
    echo "missing $binary" >"$log"
    status=1
  else
    ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}" \
      "$binary" "${args[@]}" "$work" "${seeds[@]}" >"$log" 2>&1 || status=$?
  fi
  local runs cov result
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
  cov="$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2 || true)"
  if [ "$status" -eq 0 ] && ! grep -q -E '^==[0-9]+==ERROR|runtime error:|^SUMMARY:' "$log"; then
    result="ok"
  else
    result="FAILED ($(grep -m 1 -o -E 'SUMMARY: [^(]*|ERROR: libFuzzer: [a-z -]*|missing .*' "$log" ||
      echo "exit $status")); input: $(sed -n 's/.*Test unit written to //p' "$log" | tail -n 1); log: $log"
    status=1
  fi
  printf 'fuzz %-20s runs %10s  cov %6s  %s\n' "$name" "${runs:--}" "${cov:--}" "$result"
  return "$status"
}

# Two at a time (the machine's cores), as a pool: a target starts when one ends.
failed=0
running=0
for name in "${names[@]}"; do
  if [ "$running" -ge "$PARALLEL" ]; then
    wait -n || failed=1
    running=$((running - 1))
  fi
  run_one "$name" &
  running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
  wait -n || failed=1
  running=$((running - 1))
done
if [ "$failed" -ne 0 ]; then
  echo "fuzz: a target failed; reproduce with $build/fuzz/<name>_fuzz <input> (docs/fuzzing.md)" >&2
  exit 1
fi
