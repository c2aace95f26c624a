#!/usr/bin/env bash
# Deadline propagation on vs off on the real chain (booking -> ticket -> payment -> fraud, then
# notification): off means booking and payment run with `propagate_deadlines: 0`, so their
# downstream calls get a fresh default deadline and no cancellation, as in a system without
# propagation. Reports CreateBooking throughput (the cost of propagating) and, with fraud
# slower than the callers' deadline, the downstream CPU and calls spent on callers that
# already gave up (the work propagation saves). Median of RUNS runs, fresh servers each part.
set -euo pipefail
BUILD_DIR=${1:-build}
SWITCHBOARD=$(realpath "$BUILD_DIR/switchboard")
LOADGEN=$(realpath "$BUILD_DIR/bench/bench_booking")
RUNS=${RUNS:-3}
REQUESTS=${REQUESTS:-2000}
CONCURRENCY=${CONCURRENCY:-16}
EXPIRED=${EXPIRED:-500}
FRAUD_DELAY_MS=${FRAUD_DELAY_MS:-200}
CALLER_DEADLINE_MS=${CALLER_DEADLINE_MS:-50}
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_servers.sh"
source "$(dirname "$0")/lib_chain.sh"
load_at_start=$(bench_load)

declare -A col
add() { col[$1]="${col[$1]:-} $2"; }
med() { bench_median ${col[$1]}; }


for i in $(seq 1 "$RUNS"); do
  for mode in on off; do
    flag=1; [ "$mode" = off ] && flag=0
    start_chain 0 "$flag"
    b="127.0.0.1:${port[booking]}"
    "$LOADGEN" chain --target="$b" --requests=200 --concurrency=8 --user-prefix=warm >/dev/null
    "$LOADGEN" chain --target="$b" --requests="$REQUESTS" --concurrency="$CONCURRENCY" \
      --user-prefix=load >"$BENCH_TMP/load-$mode.out"
    stop_chain
    for f in qps p50_ms p99_ms; do add "load_${mode}_$f" "$(bench_field "$f" "$BENCH_TMP/load-$mode.out")"; done

    start_chain "$FRAUD_DELAY_MS" "$flag"
    "$LOADGEN" chain --target="127.0.0.1:${port[booking]}" --requests="$EXPIRED" --concurrency=50 \
      --deadline-ms="$CALLER_DEADLINE_MS" --cpu-pids="$(cpu_pids)" --settle-ms=$((FRAUD_DELAY_MS * 3 + 1000)) \
      --user-prefix=expired >"$BENCH_TMP/expired-$mode.out" 2>/dev/null
    checks=$(grep -c 'FraudService/Check ' "$BENCH_TMP/fraud-${port[fraud]}.log" || true)
    stop_chain
    for f in cpu_ms_fraud cpu_ms_payment status_DEADLINE_EXCEEDED; do
      add "expired_${mode}_$f" "$(bench_field "$f" "$BENCH_TMP/expired-$mode.out")"
    done
    add "expired_${mode}_checks_logged" "$checks"
    echo "run $i $mode: $(bench_field qps "$BENCH_TMP/load-$mode.out") req/s; expired: fraud" \
      "$(bench_field cpu_ms_fraud "$BENCH_TMP/expired-$mode.out") ms CPU" >&2
  done
done

echo "## Deadline propagation on vs off, on the real chain"
echo
echo "command: RUNS=$RUNS REQUESTS=$REQUESTS CONCURRENCY=$CONCURRENCY EXPIRED=$EXPIRED FRAUD_DELAY_MS=$FRAUD_DELAY_MS CALLER_DEADLINE_MS=$CALLER_DEADLINE_MS bench/booking_propagation.sh; median of $RUNS runs, fresh servers for every part"
bench_machine
echo "load average at start: $load_at_start; at end: $(bench_load)"
echo
echo "Off = \`propagate_deadlines: 0\` on booking and payment (each downstream call gets a fresh default deadline and no cancellation)."
echo
echo "| | propagation on | off | on / off |"
echo "|---|---|---|---|"
echo "| CreateBooking req/s ($CONCURRENCY in flight) | $(med load_on_qps) | $(med load_off_qps) | $(bench_ratio "$(med load_on_qps)" "$(med load_off_qps)") |"
echo "| p50 ms | $(med load_on_p50_ms) | $(med load_off_p50_ms) | |"
echo "| p99 ms | $(med load_on_p99_ms) | $(med load_off_p99_ms) | |"
echo "| callers that gave up ($EXPIRED, deadline ${CALLER_DEADLINE_MS} ms, fraud delay ${FRAUD_DELAY_MS} ms): DEADLINE_EXCEEDED | $(med expired_on_status_DEADLINE_EXCEEDED) | $(med expired_off_status_DEADLINE_EXCEEDED) | |"
echo "| fraud CPU ms spent on them | $(med expired_on_cpu_ms_fraud) | $(med expired_off_cpu_ms_fraud) | $(bench_ratio "$(med expired_on_cpu_ms_fraud)" "$(med expired_off_cpu_ms_fraud)") |"
echo "| payment CPU ms spent on them | $(med expired_on_cpu_ms_payment) | $(med expired_off_cpu_ms_payment) | $(bench_ratio "$(med expired_on_cpu_ms_payment)" "$(med expired_off_cpu_ms_payment)") |"
echo "| fraud checks that ended in an error (logged at warn: cancelled or expired) | $(med expired_on_checks_logged) | $(med expired_off_checks_logged) | |"
