# Helpers for the report sections (bench/report/*.sh): the machine line, progress on stderr and
# plotting. Sourced after bench/lib.sh, not run.

report_progress() { echo "report: $(date -u +%H:%M:%S) $*" >&2; }

# One line naming the machine: cores, CPU model, memory, kernel, and the load at this moment,
# since the machine may be shared.
report_machine() {
  local model
  model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
  echo "machine: $(nproc) cores ($model), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

# report_plot SCRIPT DATA OUT: runs a gnuplot script of bench/report/ on DATA, writing OUT.
report_plot() {
  gnuplot -e "data='$2'; out='$3'" "$REPORT_SCRIPTS/$1" \
    || { echo "report: gnuplot $1 failed on $2" >&2; return 1; }
}

# Replaces lib.sh's EXIT trap: stops every process in BENCH_PIDS even when one of them has already
# exited or dies of the signal (lib.sh's `kill && wait` stops at the first such one under set -e),
# then removes BENCH_TMP.
report_cleanup() {
  local pid
  for pid in "${BENCH_PIDS[@]:-}"; do
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  done
  for pid in "${BENCH_PIDS[@]:-}"; do
    if [ -n "$pid" ]; then wait "$pid" 2>/dev/null || true; fi
  done
  if [ -n "${BENCH_TMP:-}" ]; then rm -rf "$BENCH_TMP"; fi
}
# Same, between runs: stops the servers started so far (lib_servers.sh's version has the flaw).
report_stop_servers() {

  local pid
  for pid in "${BENCH_PIDS[@]:-}"; do
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  done
  for pid in "${BENCH_PIDS[@]:-}"; do
    if [ -n "$pid" ]; then wait "$pid" 2>/dev/null || true; fi
  done
  BENCH_PIDS=()
}
trap report_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# report_snapshot PATH: a copy of a program in BENCH_TMP, printed, so that a rebuild during the
# run (other work in the same tree) cannot swap or truncate it under a running section.
report_snapshot() {
  cp "$1" "$BENCH_TMP/$(basename "$1")"
  echo "$BENCH_TMP/$(basename "$1")"
}
