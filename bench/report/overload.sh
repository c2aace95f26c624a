#!/usr/bin/env bash
# Report section 3: deadlines under overload. The real booking chain (booking -> ticket ->
# payment -> fraud, then notification) with a CPU-bound fraud check (bench_overload fraud:
# WORK_US of CPU per check, one worker on FRAUD_CPU), offered an open-loop CreateBooking load
# rising past the check's capacity, propagation on vs off (`propagate_deadlines` on booking and
# payment). Per point: goodput (bookings answered OK within their DEADLINE_MS) and fraud CPU
# spent on checks nobody waited for; a third curve adds deadline-aware shedding to propagation
# (the check is not started when its deadline leaves less than WORK_US). Fresh servers and data
# for every point; median of RUNS.
# Usage: bench/report/overload.sh BUILD_DIR OUT_DIR   (RUNS=3, RATES="50 100 ...", SECONDS_PER_POINT=2,
#        WORK_US=5000, DEADLINE_MS=250, FRAUD_CPU=1, CHAIN_CPU=0)
# Writes OUT_DIR/overload.tsv and overload.svg; prints the markdown section.
set -euo pipefail
BUILD_DIR=$1
OUT_DIR=$2
RUNS=${RUNS:-3}
# The check's capacity is 1e6 / WORK_US per second (200 by default): the rates go 2.5x past it,
# and the rest of the chain stays well below its own limit on CHAIN_CPU.
RATES=${RATES:-"50 100 150 200 250 300 400 500"}
SECONDS_PER_POINT=${SECONDS_PER_POINT:-2}
WORK_US=${WORK_US:-5000}
DEADLINE_MS=${DEADLINE_MS:-250}
# Shedding leaves this much of the deadline for the chain after the check (payment, booking).
SHED_MARGIN_MS=${SHED_MARGIN_MS:-50}
FRAUD_CPU=${FRAUD_CPU:-1}
CHAIN_CPU=${CHAIN_CPU:-0}
SETTLE_S=1           # after the last answer, before the fraud counters are read
READY_TRIES=300      # x 0.1 s for a server to answer (a shared machine can be slow)
REPORT_SCRIPTS=$(cd "$(dirname "$0")" && pwd)
SCRIPT_DIR="$REPORT_SCRIPTS/.."
SWITCHBOARD=$(realpath "$BUILD_DIR/switchboard")
DESCRIPTORS=$(realpath "$BUILD_DIR/switchboard.pb")
OVERLOAD=$(realpath "$BUILD_DIR/bench/bench_overload")
source "$SCRIPT_DIR/lib.sh"
source "$SCRIPT_DIR/lib_servers.sh"
source "$REPORT_SCRIPTS/lib_report.sh"
for r in $RATES; do
  case "$r" in '' | *[!0-9]*) echo "overload.sh: RATES: $r is not a rate per second" >&2; exit 2 ;; esac
done
bench_snapshot_binary
OVERLOAD=$(report_snapshot "$OVERLOAD")

SERVICES=(ticket payment notification booking)  # start order: dependencies first
declare -A port pid

# serve_on CPU SERVICE: `switchboard serve` pinned to CPU; waits until it answers health checks.
serve_on() {
  local cpu=$1 service=$2
  taskset -c "$cpu" "$SWITCHBOARD" serve "$service" --port "${port[$service]}" \
    --data-dir "$BENCH_TMP/var" --config "$BENCH_TMP/chain.yaml" --log-level error \
    >"$BENCH_TMP/$service.log" 2>&1 &
  pid[$service]=$!
  BENCH_PIDS+=($!)
  for _ in $(seq 1 "$READY_TRIES"); do
    "$SWITCHBOARD" call health check --address "127.0.0.1:${port[$service]}" --timeout 500ms \
      2>/dev/null | grep -q SERVING && return 0
    sleep 0.1
  done
  echo "overload.sh: $service did not start" >&2; cat "$BENCH_TMP/$service.log" >&2; return 1
}

# start_chain PROPAGATE SHED: the CPU-bound fraud check, then the four services.
start_chain() {
  local s
  for s in fraud "${SERVICES[@]}"; do port[$s]=$(bench_free_port); done
  {
    echo "services:"
    echo "  ticket: {port: ${port[ticket]}}"
    echo "  fraud: {port: ${port[fraud]}}"
    echo "  payment: {port: ${port[payment]}, propagate_deadlines: $1}"
    echo "  notification: {port: ${port[notification]}}"
    echo "  booking: {port: ${port[booking]}, propagate_deadlines: $1}"
  } >"$BENCH_TMP/chain.yaml"
  # Emptied here, not only by the redirect below: that one runs in the background process, maybe
  # after the first look for "listening", which would then read the last point's output.
  : >"$BENCH_TMP/fraud.out"
  taskset -c "$FRAUD_CPU" "$OVERLOAD" fraud --port="${port[fraud]}" --work-us="$WORK_US" --shed="$2" --shed-margin-us=$((SHED_MARGIN_MS * 1000)) \
    >"$BENCH_TMP/fraud.out" 2>"$BENCH_TMP/fraud.err" &
  pid[fraud]=$!
  BENCH_PIDS+=($!)
  local tries=0
  while [ "$tries" -lt "$READY_TRIES" ] && ! grep -q '^listening' "$BENCH_TMP/fraud.out"; do
    sleep 0.1
    tries=$((tries + 1))
  done
  if ! grep -q '^listening' "$BENCH_TMP/fraud.out"; then
    echo "overload.sh: the fraud check did not start on ${port[fraud]} after $tries tries" \
      "($(kill -0 "${pid[fraud]}" 2>/dev/null && echo running || echo exited); its output: $(head -c 200 "$BENCH_TMP/fraud.out"))" >&2
    cat "$BENCH_TMP/fraud.err" >&2
    return 1
  fi
  for s in "${SERVICES[@]}"; do serve_on "$CHAIN_CPU" "$s" || return 1; done
}

# stop_fraud: TERM, so it prints its counters into fraud.out.
stop_fraud() {
  kill -TERM "${pid[fraud]}" 2>/dev/null || true
  wait "${pid[fraud]}" || true
  bench_forget "${pid[fraud]}"
}

MODES=(on off shed)
declare -A good wasted chain_cpu late wasted_share
points=0
total_points=$((RUNS * ${#MODES[@]} * $(echo $RATES | wc -w)))
now_ms() { date +%s%3N; }
for run in $(seq 1 "$RUNS"); do
  for mode in "${MODES[@]}"; do
    flag=1; [ "$mode" = off ] && flag=0
    shed=0; [ "$mode" = shed ] && shed=1
    for rate in $RATES; do
      points=$((points + 1))
      report_progress "overload: point $points/$total_points: run $run, propagation $mode, $rate/s"
      # A free port can be taken by someone else before a server binds it: try again.
      started=0
      for attempt in 1 2 3; do
        if start_chain "$flag" "$shed"; then started=1; break; fi
        echo "overload.sh: start attempt $attempt failed; retrying" >&2
        report_stop_servers
        rm -rf "$BENCH_TMP/var"
      done
      [ "$started" = 1 ] || { echo "overload.sh: the chain did not start in 3 attempts" >&2; exit 1; }
      window_start=$(now_ms)
      taskset -c "$CHAIN_CPU" "$OVERLOAD" load --target="127.0.0.1:${port[booking]}" --rate="$rate" \
        --seconds="$SECONDS_PER_POINT" --deadline-ms="$DEADLINE_MS" \
        --cpu-pids="booking:${pid[booking]},ticket:${pid[ticket]},payment:${pid[payment]}" \
        >"$BENCH_TMP/load.out" || true
      sleep "$SETTLE_S"
      stop_fraud
      window_ms=$(($(now_ms) - window_start))
      report_stop_servers
      rm -rf "$BENCH_TMP/var"
      if [ -n "${RAW_DIR:-}" ]; then  # every point's raw counters, for a closer look
        cat "$BENCH_TMP/load.out" "$BENCH_TMP/fraud.out" >"$RAW_DIR/$mode-$rate-$run.txt"
      fi
      good[$mode-$rate]+=" $(bench_field good_rps "$BENCH_TMP/load.out")"
      late[$mode-$rate]+=" $(bench_field good_p99_ms "$BENCH_TMP/load.out")"
      # Cores: wasted CPU over the whole window, from the first call to the counters.
      wasted[$mode-$rate]+=" $(awk -v ms="$(bench_field fraud_cpu_ms_wasted "$BENCH_TMP/fraud.out")" \
        -v w="$window_ms" 'BEGIN {printf "%.3f", ms / w}')"
      wasted_share[$mode-$rate]+=" $(awk -v bad="$(bench_field fraud_cpu_ms_wasted "$BENCH_TMP/fraud.out")" \
        -v good="$(bench_field fraud_cpu_ms_useful "$BENCH_TMP/fraud.out")" \
        'BEGIN {printf "%.0f", ((bad + good) > 0 ? 100 * bad / (bad + good) : 0)}')"
      chain_cpu[$mode-$rate]+=" $(awk '$1 ~ /^cpu_ms_/ {t += $2} END {printf "%.0f", t}' "$BENCH_TMP/load.out")"
    done
  done
done

# Columns: offered, then for each of on, off, shed: goodput, wasted cores, wasted share of the
# check's CPU (%), p99 of the good calls (ms), booking+ticket+payment CPU (ms).
{
  printf 'offered_rps'
  for mode in "${MODES[@]}"; do
    printf '\tgood_%s\twasted_cores_%s\twasted_pct_%s\tgood_p99_ms_%s\tchain_cpu_ms_%s' "$mode" "$mode" "$mode" "$mode" "$mode"
  done
  printf '\n'
  for rate in $RATES; do
    printf '%s' "$rate"
    for mode in "${MODES[@]}"; do
      # shellcheck disable=SC2086
      printf '\t%s\t%s\t%s\t%s\t%s' "$(bench_median ${good[$mode-$rate]})" "$(bench_median ${wasted[$mode-$rate]})" \
        "$(bench_median ${wasted_share[$mode-$rate]})" "$(bench_median ${late[$mode-$rate]})" \
        "$(bench_median ${chain_cpu[$mode-$rate]})"
    done
    printf '\n'
  done
} >"$OUT_DIR/overload.tsv"
report_plot overload.gp "$OUT_DIR/overload.tsv" "$OUT_DIR/overload.svg"

capacity=$((1000000 / WORK_US))
echo "## 3. Deadlines under overload"
echo
echo "**The claim.** Propagating deadlines stops work nobody waits for, so a chain pushed past its"
echo "capacity keeps completing what it can; without propagation the wasted work feeds a cascading"
echo "failure."
echo
echo "**What was measured.** The real chain (booking -> ticket -> payment -> fraud, then notification,"
echo "on CPU $CHAIN_CPU) with a CPU-bound fraud check in place of the fraud service: \`bench_overload fraud\`,"
echo "$WORK_US us of CPU per check, one worker on CPU $FRAUD_CPU (capacity about $capacity checks/s), stopping a check"
echo "when its call is cancelled or its deadline passes, as the real fraud service's delay does."
echo "An open loop (\`bench_overload load\`) offers CreateBooking at a fixed rate for $SECONDS_PER_POINT s,"
echo "each call with a $DEADLINE_MS ms deadline. *Goodput*: bookings answered OK within that deadline, per"
echo "second. *Wasted*: fraud CPU spent on checks that ended after the end caller's deadline (read from"
echo "the user id the load carries) or were abandoned, from the first call until ${SETTLE_S} s after the"
echo "last answer: in cores over that window and as a share of the check's CPU."
echo "Off = \`propagate_deadlines: 0\` on booking and payment. *On + shedding*: propagation on, and the"
echo "check is not started when its deadline leaves less than its $WORK_US us of work plus ${SHED_MARGIN_MS} ms for the"
echo "rest of the chain (\`--shed=1 --shed-margin-us=$((SHED_MARGIN_MS * 1000))\`)."
echo "The load sends the deadline both as grpc-timeout and as \`x-deadline-unix-us\`, as the services do"
echo "between themselves, so time spent queued before booking reads the call does not lengthen it."
echo "Fresh servers and data for every point; medians of $RUNS runs."
echo
report_machine
echo
echo "command: \`RUNS=$RUNS RATES=\"$RATES\" SECONDS_PER_POINT=$SECONDS_PER_POINT WORK_US=$WORK_US DEADLINE_MS=$DEADLINE_MS bench/report/overload.sh $BUILD_DIR docs/report\`"
echo
echo "![Goodput and wasted CPU vs offered load](report/overload.svg)"
echo
echo "| offered /s | goodput on | off | on + shedding | wasted check CPU on (cores; % of its CPU) | off | on + shedding | p99 of good calls on / off / shedding (ms) |"
echo "|---|---|---|---|---|---|---|---|"
awk -F'\t' 'NR > 1 {printf "| %s | %s | %s | %s | %s (%s%%) | %s (%s%%) | %s (%s%%) | %s / %s / %s |\n",
    $1, $2, $7, $12, $3, $4, $8, $9, $13, $14, $5, $10, $15}' "$OUT_DIR/overload.tsv"
echo
echo "Runs (goodput on / off / shedding): $(for rate in $RATES; do printf '%s/s:%s /%s /%s; ' "$rate" "${good[on-$rate]}" "${good[off-$rate]}" "${good[shed-$rate]}"; done)"
echo
last=$(echo $RATES | awk '{print $NF}')
read -r peak_on peak_off peak_shed last_on last_off last_shed w_on w_off < <(awk -F'\t' -v last="$last" 'NR > 1 {
    if ($2 > pon) pon = $2; if ($7 > poff) poff = $7; if ($12 > psh) psh = $12
    if ($1 == last) {lon = $2; loff = $7; lsh = $12; won = $3; woff = $8}}
  END {print pon, poff, psh, lon, loff, lsh, won, woff}' "$OUT_DIR/overload.tsv")
echo "**Conclusion.** At $last/s offered ($(bench_ratio "$last" "$capacity")x the check's capacity) goodput is $last_off/s without propagation, $last_on/s with it and $last_shed/s with it plus shedding"
echo "(peaks $peak_off, $peak_on, $peak_shed/s; the check's capacity is about $capacity/s). Propagation cuts the check's CPU spent on callers that gave up from $w_off to $w_on cores, but with a first-come-first-served queue most checks still start too late to help; shedding on the propagated deadline is what kept goodput near capacity in this run."
