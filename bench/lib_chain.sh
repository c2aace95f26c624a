# The booking chain for the benchmarks: the five services on fresh ports and a fresh data dir,
# each pointed at the others. Sourced after lib.sh and lib_servers.sh, not run.

CHAIN=(ticket fraud payment notification booking)  # start order: dependencies first
declare -A port pid

# start_chain FRAUD_DELAY_MS [PROPAGATE]: PROPAGATE 0 turns deadline propagation off in booking
# and payment (propagate_deadlines), 1 (the default) leaves it on.
start_chain() {
  local s propagate=${2:-1}
  for s in "${CHAIN[@]}"; do port[$s]=$(bench_free_port); done
  {
    echo "services:"
    echo "  ticket: {port: ${port[ticket]}}"
    # Distinct users per request anyway; the velocity limit is raised so it never declines.
    echo "  fraud: {port: ${port[fraud]}, delay: ${1}ms, max_checks_per_user: 1000000}"
    echo "  payment: {port: ${port[payment]}, propagate_deadlines: $propagate}"
    echo "  notification: {port: ${port[notification]}}"
    echo "  booking: {port: ${port[booking]}, propagate_deadlines: $propagate}"
  } >"$BENCH_TMP/chain.yaml"
  for s in "${CHAIN[@]}"; do
    bench_serve "$s" "${port[$s]}" --config "$BENCH_TMP/chain.yaml"
    pid[$s]=$(bench_last_pid)
  done
}
stop_chain() { bench_stop_servers; rm -rf "$BENCH_TMP/var"; }
cpu_pids() { echo "fraud:${pid[fraud]},payment:${pid[payment]},ticket:${pid[ticket]},booking:${pid[booking]}"; }
