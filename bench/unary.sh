#!/usr/bin/env bash
# Unary GetEvent against the ticket service with h2load: QPS and p50/p99, median of RUNS runs,
# beside grpc.health.v1 Check on the same server (the cheapest RPC it has) as the baseline.
set -euo pipefail
BUILD_DIR=${1:-build}
SWITCHBOARD=$(realpath "$BUILD_DIR/switchboard")
RUNS=${RUNS:-3}
REQUESTS=${REQUESTS:-40000}
CLIENTS=${CLIENTS:-8}
STREAMS=${STREAMS:-32}
source "$(dirname "$0")/lib.sh"

port=$(bench_free_port)
bench_serve ticket "$port"

# gRPC length-prefixed messages: GetEventRequest{id:"evt-1"} and an empty HealthCheckRequest.
printf '\x00\x00\x00\x00\x07\x0a\x05evt-1' >"$BENCH_TMP/get_event.bin"
printf '\x00\x00\x00\x00\x00' >"$BENCH_TMP/health.bin"

run_h2load() {  # PATH BODY [REQUESTS CLIENTS STREAMS] -> prints "qps p50_us p99_us"
  local path=$1 body=$2 log="$BENCH_TMP/h2load.log"
  local n=${3:-$REQUESTS} c=${4:-$CLIENTS} m=${5:-$STREAMS}
  rm -f "$log"
  local out
  out=$(h2load -n "$n" -c "$c" -m "$m" -t 1 \
    -H 'content-type: application/grpc' -H 'te: trailers' -d "$body" --log-file="$log" \
    "http://127.0.0.1:$port$path")
  local ok qps
  ok=$(echo "$out" | awk '/^status codes:/ {print $3}')
  qps=$(echo "$out" | awk '/^finished in/ {print $4}')
  [ "$ok" = "$n" ] || { echo "bench: only $ok of $n succeeded" >&2; echo "$out" >&2; exit 1; }
  cut -f3 "$log" >"$log.us"
  echo "$qps $(bench_percentile 50 "$log.us") $(bench_percentile 99 "$log.us")"
}

declare -a get_qps get_p50 get_p99 health_qps low_p50 low_p99
for i in $(seq 1 "$RUNS"); do
  read -r q p50 p99 < <(run_h2load /switchboard.ticket.v1.TicketService/GetEvent "$BENCH_TMP/get_event.bin")
  get_qps+=("$q"); get_p50+=("$p50"); get_p99+=("$p99")
  read -r hq _ _ < <(run_h2load /grpc.health.v1.Health/Check "$BENCH_TMP/health.bin")
  health_qps+=("$hq")
  read -r _ lp50 lp99 < <(run_h2load /switchboard.ticket.v1.TicketService/GetEvent "$BENCH_TMP/get_event.bin" 5000 1 1)
  low_p50+=("$lp50"); low_p99+=("$lp99")
  echo "run $i: GetEvent $q req/s p50 ${p50}us p99 ${p99}us; one stream p50 ${lp50}us p99 ${lp99}us; Health.Check $hq req/s" >&2
done

qps=$(bench_median "${get_qps[@]}")
hqps=$(bench_median "${health_qps[@]}")
echo "## Unary GetEvent (ticket service, direct)"
echo
echo "command: RUNS=$RUNS bench/unary.sh; h2load -n $REQUESTS -c $CLIENTS -m $STREAMS -t 1, median of $RUNS"
bench_machine
echo
echo "| RPC | req/s | p50 | p99 | vs Health.Check |"
echo "|---|---|---|---|---|"
printf '| GetEvent | %.0f | %s us | %s us | %.2f |\n' "$qps" "$(bench_median "${get_p50[@]}")" \
  "$(bench_median "${get_p99[@]}")" "$(echo "$qps $hqps" | awk '{print $1/$2}')"
printf '| Health.Check | %.0f | | | 1.00 |\n' "$hqps"
echo
printf 'GetEvent at low load (h2load -n 5000 -c 1 -m 1): p50 %s us, p99 %s us\n' \
  "$(bench_median "${low_p50[@]}")" "$(bench_median "${low_p99[@]}")"
