# Helpers beside lib.sh for the benchmarks that restart servers between runs and read results.
# Sourced after lib.sh, not run.

# Stops every server started so far (SIGTERM, then waits), so the next run starts clean.
bench_stop_servers() {
  for pid in "${BENCH_PIDS[@]:-}"; do
    # Under set -e a failed kill or wait must not end the loop: later servers would keep running.
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  done
  BENCH_PIDS=()
}

# The pid of the server bench_serve started last.
bench_last_pid() { echo "${BENCH_PIDS[${#BENCH_PIDS[@]}-1]}"; }

# bench_field NAME FILE: the value of a "name value" line a load generator printed.
bench_field() { awk -v n="$1" '$1 == n {print $2; found=1} END {if (!found) print "nan"}' "$2"; }

# bench_ratio A B: A/B with two decimals.
bench_ratio() { echo "$1 $2" | awk '{ if ($2 == 0) print "n/a"; else printf "%.2f\n", $1/$2 }'; }

# The 1/5/15-minute load averages: the machine is shared, so each section records them.
bench_load() { cut -d' ' -f1-3 /proc/loadavg; }

# bench_forget PID: drops PID from BENCH_PIDS once the script has waited for it itself.
bench_forget() {
  local keep=() pid
  for pid in "${BENCH_PIDS[@]:-}"; do
    [ -n "$pid" ] && [ "$pid" != "$1" ] && keep+=("$pid")
  done
  BENCH_PIDS=("${keep[@]:-}")
}
