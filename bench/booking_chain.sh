#!/usr/bin/env bash
# The booking chain (booking -> ticket -> payment -> fraud, then notification), each service its
# own process: CreateBooking QPS and p50/p99; the downstream CPU spent on bookings whose callers
# gave up (fraud slower than the caller's deadline); and the per-hop cost of deadline
# propagation on an in-process relay (the whole chain on vs off is bench/booking_propagation.sh). Median of RUNS runs; fresh servers and data dir for every part of every run.
set -euo pipefail
BUILD_DIR=${1:-build}
SWITCHBOARD=$(realpath "$BUILD_DIR/switchboard")
LOADGEN=$(realpath "$BUILD_DIR/bench/bench_booking")
RUNS=${RUNS:-3}
REQUESTS=${REQUESTS:-2000}          # CreateBooking, seats=1 on evt-5 (5200 seats)
CONCURRENCY=${CONCURRENCY:-16}
LOW_REQUESTS=${LOW_REQUESTS:-300}   # one at a time
EXPIRED=${EXPIRED:-1000}            # requests whose caller gives up
FRAUD_DELAY_MS=${FRAUD_DELAY_MS:-200}
CALLER_DEADLINE_MS=${CALLER_DEADLINE_MS:-50}
HOP_REQUESTS=${HOP_REQUESTS:-20000}
HOP_ROUNDS=${HOP_ROUNDS:-4}
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_servers.sh"
source "$(dirname "$0")/lib_chain.sh"
load_at_start=$(bench_load)

declare -A col
add() { col[$1]="${col[$1]:-} $2"; }
med() { bench_median ${col[$1]}; }

collect() {  # PREFIX FILE FIELD...
  local prefix=$1 file=$2 f; shift 2
  for f in "$@"; do add "$prefix$f" "$(bench_field "$f" "$file")"; done
}

for i in $(seq 1 "$RUNS"); do
  # 1. Throughput and latency through the whole chain.
  start_chain 0
  b="127.0.0.1:${port[booking]}"
  "$LOADGEN" chain --target="$b" --requests=200 --concurrency=8 --user-prefix=warm >/dev/null
  "$LOADGEN" chain --target="$b" --requests="$REQUESTS" --concurrency="$CONCURRENCY" \
    --user-prefix=load >"$BENCH_TMP/load.out"
  "$LOADGEN" chain --target="$b" --requests="$LOW_REQUESTS" --concurrency=1 --user-prefix=low \
    >"$BENCH_TMP/low.out"
  stop_chain
  collect load_ "$BENCH_TMP/load.out" qps p50_ms p99_ms status_OK
  collect low_ "$BENCH_TMP/low.out" qps p50_ms p99_ms status_OK
  echo "run $i: CreateBooking $(bench_field qps "$BENCH_TMP/load.out") req/s," \
    "p50 $(bench_field p50_ms "$BENCH_TMP/load.out") ms, p99 $(bench_field p99_ms "$BENCH_TMP/load.out") ms" >&2

  # 2. Work done for callers that gave up: fraud takes longer than the caller's deadline.
  start_chain "$FRAUD_DELAY_MS"
  "$LOADGEN" chain --target="127.0.0.1:${port[booking]}" --requests=0 --cpu-pids="$(cpu_pids)" \
    --settle-ms=3000 >"$BENCH_TMP/idle.out" 2>/dev/null
  "$LOADGEN" chain --target="127.0.0.1:${port[booking]}" --requests="$EXPIRED" --concurrency=50 \
    --deadline-ms="$CALLER_DEADLINE_MS" --cpu-pids="$(cpu_pids)" --settle-ms=1000 \
    --user-prefix=expired >"$BENCH_TMP/expired.out" 2>/dev/null
  # Every call that fails is logged at warn: how many of the chain's calls reached each hop.
  add expired_charges "$(grep -c 'PaymentService/Charge ' "$BENCH_TMP/payment-${port[payment]}.log" || true)"
  add expired_checks "$(grep -c 'FraudService/Check ' "$BENCH_TMP/fraud-${port[fraud]}.log" || true)"
  for mode in on off; do
    deadline=$CALLER_DEADLINE_MS; [ "$mode" = off ] && deadline=0
    "$LOADGEN" charge --target="127.0.0.1:${port[payment]}" --requests="$EXPIRED" --concurrency=50 \
      --deadline-ms="$deadline" --cpu-pids="$(cpu_pids)" --settle-ms=1000 \
      --booking-prefix="direct-$mode" >"$BENCH_TMP/direct-$mode.out" 2>/dev/null
  done
  stop_chain
  collect idle_ "$BENCH_TMP/idle.out" cpu_ms_fraud cpu_ms_payment cpu_ms_ticket cpu_ms_booking
  for part in expired direct-on direct-off; do
    collect "${part}_" "$BENCH_TMP/$part.out" cpu_ms_fraud cpu_ms_payment cpu_ms_ticket \
      cpu_ms_booking p50_ms status_OK status_DEADLINE_EXCEEDED refunds_failed
  done
  for part in expired direct-on direct-off; do
    echo "run $i: $part: fraud $(bench_field cpu_ms_fraud "$BENCH_TMP/$part.out") ms," \
      "payment $(bench_field cpu_ms_payment "$BENCH_TMP/$part.out") ms CPU" >&2
  done
  echo "run $i: expired chain: $(echo "${col[expired_charges]}" | awk '{print $NF}') Charge and" \
    "$(echo "${col[expired_checks]}" | awk '{print $NF}') Check calls reached payment and fraud" >&2

  # 3. Per-hop cost of propagation (in-process relay, same run).
  "$LOADGEN" hop --requests="$HOP_REQUESTS" --concurrency="$CONCURRENCY" --rounds="$HOP_ROUNDS" \
    >"$BENCH_TMP/hop.out"
  for v in on value off; do collect hop_ "$BENCH_TMP/hop.out" "${v}_qps" "${v}_p50_us" "${v}_p99_us"; done
  echo "run $i: hop on $(bench_field on_qps "$BENCH_TMP/hop.out") req/s, off $(bench_field off_qps "$BENCH_TMP/hop.out") req/s" >&2
done

nan0() { [ "$1" = nan ] && echo 0 || echo "$1"; }
echo "## Booking chain (CreateBooking: booking -> ticket -> payment -> fraud, then notification)"
echo
echo "command: RUNS=$RUNS REQUESTS=$REQUESTS CONCURRENCY=$CONCURRENCY EXPIRED=$EXPIRED FRAUD_DELAY_MS=$FRAUD_DELAY_MS CALLER_DEADLINE_MS=$CALLER_DEADLINE_MS bench/booking_chain.sh; median of $RUNS runs, fresh servers and data dir for each part"
bench_machine
echo "load average (1/5/15 min): $load_at_start at start, $(bench_load) at end"
echo
echo "Five \`switchboard serve\` processes on loopback, SQLite in WAL mode; each request books 1 seat of evt-5 for a distinct user, caller deadline 5 s; 200 warm-up requests first."
echo
echo "| load | req/s | p50 | p99 | succeeded | vs closed loop of $CONCURRENCY |"
echo "|---|---|---|---|---|---|"
printf '| closed loop, %s in flight, %s requests | %.0f | %s ms | %s ms | %s/%s | 1.00 |\n' "$CONCURRENCY" "$REQUESTS" \
  "$(med load_qps)" "$(med load_p50_ms)" "$(med load_p99_ms)" "$(med load_status_OK)" "$REQUESTS"
printf '| one at a time, %s requests | %.0f | %s ms | %s ms | %s/%s | %s |\n' "$LOW_REQUESTS" \
  "$(med low_qps)" "$(med low_p50_ms)" "$(med low_p99_ms)" "$(med low_status_OK)" "$LOW_REQUESTS" \
  "$(bench_ratio "$(med low_qps)" "$(med load_qps)")"
echo
echo "### Deadline propagation: per-hop cost"
echo
echo "The whole chain with propagation on and off is compared by \`bench/booking_propagation.sh\`; this part isolates one hop: \`bench_booking hop\`, one relay hop on loopback with servers in the bench process, built from the project's \`CallBudget\` (on entry at the relay and at the leaf, as every service does). The relay's downstream context is made three ways; $HOP_REQUESTS requests per variant per round, $CONCURRENCY in flight, $HOP_ROUNDS rounds in rotating order, mean over rounds, then median over runs."
echo
echo "| relay's downstream context | req/s | p50 | p99 | req/s vs on |"
echo "|---|---|---|---|---|"
for v in on value off; do
  case $v in
    on) label="on (today): CallBudget::NewClientContext: parent call linked (deadline + cancellation), x-deadline-unix-us";;
    value) label="by value: same deadline and x-deadline-unix-us, no parent-call link";;
    off) label="off: fresh ClientContext, default_timeout (10 s), nothing from the caller";;
  esac
  printf '| %s | %.0f | %.0f us | %.0f us | %s |\n' "$label" "$(med "hop_${v}_qps")" \
    "$(med "hop_${v}_p50_us")" "$(med "hop_${v}_p99_us")" "$(bench_ratio "$(med "hop_${v}_qps")" "$(med hop_on_qps)")"
done
echo
echo "### Work done after the caller gave up"
echo
echo "Fraud configured with delay ${FRAUD_DELAY_MS} ms, callers' deadline ${CALLER_DEADLINE_MS} ms, $EXPIRED requests, 50 in flight. CPU = utime+stime from /proc/<pid>/stat (10 ms ticks) from the first request to 1 s after the last answer."
echo
echo "| requests | answers | call p50 | fraud CPU | payment CPU | ticket CPU | booking CPU | payment+fraud CPU per request |"
echo "|---|---|---|---|---|---|---|---|"
for part in expired direct-on direct-off; do
  case $part in
    expired) label="CreateBooking through the chain, propagation on (today)";;
    direct-on) label="direct: Charge with the caller's ${CALLER_DEADLINE_MS} ms deadline, then Refund (what payment gets today)";;
    direct-off) label="direct, emulating off: Charge with no deadline, then Refund (what payment would get from a booking that does not propagate)";;
  esac
  f=$(med "${part}_cpu_ms_fraud"); p=$(med "${part}_cpu_ms_payment")
  printf '| %s | %s OK, %s DEADLINE_EXCEEDED | %s ms | %.0f ms | %.0f ms | %.0f ms | %.0f ms | %.2f ms |\n' "$label" \
    "$(nan0 "$(med "${part}_status_OK")")" "$(nan0 "$(med "${part}_status_DEADLINE_EXCEEDED")")" \
    "$(med "${part}_p50_ms")" "$f" "$p" "$(med "${part}_cpu_ms_ticket")" "$(med "${part}_cpu_ms_booking")" \
    "$(echo "$f $p $EXPIRED" | awk '{print ($1+$2)/$3}')"
done
printf '| idle, 3 s, no requests (noise floor) | | | %.0f ms | %.0f ms | %.0f ms | %.0f ms | |\n' \
  "$(med idle_cpu_ms_fraud)" "$(med idle_cpu_ms_payment)" "$(med idle_cpu_ms_ticket)" "$(med idle_cpu_ms_booking)"
echo
printf 'Of the %s expired CreateBooking calls, %s reached payment (Charge) and %s reached fraud (Check) (median; counted from the warn-level log line each failed call leaves). Those log lines are part of the CPU above: failed calls are logged at warn, successful ones are not, which slightly favours the emulated off row.\n' \
  "$EXPIRED" "$(med expired_charges)" "$(med expired_checks)"
