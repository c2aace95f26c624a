#!/usr/bin/env bash
# Load balancing in the gateway, run by hand:
#  1. native gRPC GetEvent req/s through the gateway to 1 ticket backend vs 3 replicas, every
#     backend pinned to the same CPU (taskset), so the ratio shows what balancing costs rather
#     than capacity added; and the gateway's own CPU per call in both, which a loaded machine
#     moves far less than req/s;
#  2. p99 of fraud Check calls with 3 replicas, one of them slow (fraud `delay`), under
#     round_robin vs least_request.
# Median of RUNS runs; prints a markdown section.
#
# Usage: bench/gateway_lb.sh [BUILD_DIR]   (RUNS=3, REQUESTS=20000, CLIENTS=4, STREAMS=16,
#        SLOW_DELAY=20ms, CHECKS=4000, CHECK_STREAMS=8, BACKEND_CPU=1, GATEWAY_CPU=0)
set -euo pipefail
BUILD_DIR=${1:-build}
RUNS=${RUNS:-3}
REQUESTS=${REQUESTS:-20000}
CLIENTS=${CLIENTS:-4}
STREAMS=${STREAMS:-16}
SLOW_DELAY=${SLOW_DELAY:-20ms}
CHECKS=${CHECKS:-4000}
CHECK_STREAMS=${CHECK_STREAMS:-8}
BACKEND_CPU=${BACKEND_CPU:-1}
GATEWAY_CPU=${GATEWAY_CPU:-0}
H2LOAD_TIMEOUT=${H2LOAD_TIMEOUT:-120}
SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
SWITCHBOARD=$(realpath "$BUILD_DIR/switchboard")
DESCRIPTORS=$(realpath "$BUILD_DIR/switchboard.pb")
source "$SCRIPT_DIR/lib.sh"
source "$SCRIPT_DIR/lib_servers.sh"
command -v h2load >/dev/null || { echo "h2load not found: apt-get install -y nghttp2-client" >&2; exit 1; }
command -v taskset >/dev/null || { echo "taskset not found (util-linux)" >&2; exit 1; }

cp "$SWITCHBOARD" "$BENCH_TMP/switchboard"
cp "$DESCRIPTORS" "$BENCH_TMP/switchboard.pb"
SWITCHBOARD="$BENCH_TMP/switchboard"
DESCRIPTORS="$BENCH_TMP/switchboard.pb"
GRPC_HEADERS=(-H 'content-type: application/grpc' -H 'te: trailers')
printf '\x00\x00\x00\x00\x07\x0a\x05evt-1' >"$BENCH_TMP/get_event.bin"
# CheckRequest{user_id:"u1", amount:100, currency:"EUR"}
printf '\x00\x00\x00\x00\x0b\x0a\x02u1\x10\x64\x1a\x03EUR' >"$BENCH_TMP/check.bin"
GET_EVENT=/switchboard.ticket.v1.TicketService/GetEvent
CHECK=/switchboard.fraud.v1.FraudService/Check

# serve_pinned SERVICE PORT [args]: `switchboard serve` on BACKEND_CPU.
serve_pinned() {
  local service=$1 port=$2; shift 2
  taskset -c "$BACKEND_CPU" "$SWITCHBOARD" serve "$service" --port "$port" \
    --data-dir "$BENCH_TMP/var-$port" --log-level warn "$@" >"$BENCH_TMP/$service-$port.log" 2>&1 &
  BENCH_PIDS+=($!)
  for _ in $(seq 1 100); do
    "$SWITCHBOARD" call health check --address "127.0.0.1:$port" --timeout 500ms 2>/dev/null \
      | grep -q SERVING && return 0
    sleep 0.1
  done
  cat "$BENCH_TMP/$service-$port.log" >&2
  return 1
}

# start_gateway PORT SERVICE LB BACKEND...: the gateway on GATEWAY_CPU; waits for /metrics.
start_gateway() {
  local port=$1 service=$2 lb=$3; shift 3
  local list
  list=$(printf '127.0.0.1:%s, ' "$@")
  cat >"$BENCH_TMP/gw-$port.yaml" <<YAML
listen: 127.0.0.1:$port
workers: 1
descriptors: [$DESCRIPTORS]
services:
  $service:
    backends: [${list%, }]
    lb: $lb
YAML
  taskset -c "$GATEWAY_CPU" "$SWITCHBOARD" gateway --config "$BENCH_TMP/gw-$port.yaml" \
    --log-level warn >"$BENCH_TMP/gw-$port.log" 2>&1 &
  BENCH_PIDS+=($!)
  GATEWAY_PID[$port]=$!
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/metrics" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  cat "$BENCH_TMP/gw-$port.log" >&2
  return 1
}

declare -A GATEWAY_PID
CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }

# rps PORT: GetEvent req/s through the gateway on PORT; sets CPU_US, the gateway's CPU (user +
# system) per call in microseconds.
rps() {
  local before after
  before=$(cpu_ticks "${GATEWAY_PID[$1]}")
  timeout "$H2LOAD_TIMEOUT" h2load -n "$REQUESTS" -c "$CLIENTS" -m "$STREAMS" "${GRPC_HEADERS[@]}" \
    -d "$BENCH_TMP/get_event.bin" "http://127.0.0.1:$1$GET_EVENT" \
    | awk '/^finished in/ {gsub(",", "", $4); print $4}' >"$BENCH_TMP/rps"
  after=$(cpu_ticks "${GATEWAY_PID[$1]}")
  CPU_US=$(awk -v t=$((after - before)) -v hz="$CLK_TCK" -v n="$REQUESTS" \
    'BEGIN {printf "%.1f", t / hz * 1e6 / n}')
  cat "$BENCH_TMP/rps"
}

# p99_ms PORT: p99 latency (ms) of CHECKS Check calls, CHECK_STREAMS in flight.
p99_ms() {
  local log="$BENCH_TMP/check-$1.log"
  rm -f "$log"
  timeout "$H2LOAD_TIMEOUT" h2load -n "$CHECKS" -c 1 -m "$CHECK_STREAMS" "${GRPC_HEADERS[@]}" \
    -d "$BENCH_TMP/check.bin" --log-file="$log" "http://127.0.0.1:$1$CHECK" >/dev/null
  # h2load's log: start time, status, latency in microseconds.
  awk '{print $3 / 1000}' "$log" >"$log.ms"
  bench_percentile 99 "$log.ms"
}

echo "## Load balancing (bench/gateway_lb.sh)"
echo
bench_machine
echo "command: RUNS=$RUNS REQUESTS=$REQUESTS CLIENTS=$CLIENTS STREAMS=$STREAMS SLOW_DELAY=$SLOW_DELAY CHECKS=$CHECKS CHECK_STREAMS=$CHECK_STREAMS bench/gateway_lb.sh $BUILD_DIR"
echo

# 1. one backend vs three replicas on one CPU.
T1=$(bench_free_port); T2=$(bench_free_port); T3=$(bench_free_port)
serve_pinned ticket "$T1"; serve_pinned ticket "$T2"; serve_pinned ticket "$T3"
G1=$(bench_free_port); G3=$(bench_free_port)
start_gateway "$G1" switchboard.ticket.v1.TicketService round_robin "$T1"
start_gateway "$G3" switchboard.ticket.v1.TicketService round_robin "$T1" "$T2" "$T3"
one=(); three=(); cpu_one=(); cpu_three=()
for _ in $(seq 1 "$RUNS"); do
  rps "$G1" >/dev/null; one+=("$(cat "$BENCH_TMP/rps")"); cpu_one+=("$CPU_US")
  rps "$G3" >/dev/null; three+=("$(cat "$BENCH_TMP/rps")"); cpu_three+=("$CPU_US")
done
m1=$(bench_median "${one[@]}"); m3=$(bench_median "${three[@]}")
c1=$(bench_median "${cpu_one[@]}"); c3=$(bench_median "${cpu_three[@]}")
echo "| GetEvent through the gateway (backends on CPU $BACKEND_CPU) | req/s (median of $RUNS) | runs | gateway CPU us/call (median) | runs |"
echo "|---|---|---|---|---|"
echo "| 1 backend | $m1 | ${one[*]} | $c1 | ${cpu_one[*]} |"
echo "| 3 replicas, round_robin | $m3 | ${three[*]} | $c3 | ${cpu_three[*]} |"
echo "| ratio 3/1 | $(bench_ratio "$m3" "$m1") | | $(bench_ratio "$c3" "$c1") | |"
echo

# 2. one slow replica of three.
F1=$(bench_free_port); F2=$(bench_free_port); F3=$(bench_free_port)
printf 'services:\n  fraud: {delay: %s}\n' "$SLOW_DELAY" >"$BENCH_TMP/slow.yaml"
serve_pinned fraud "$F1"; serve_pinned fraud "$F2"; serve_pinned fraud "$F3" --config "$BENCH_TMP/slow.yaml"
GR=$(bench_free_port); GL=$(bench_free_port)
start_gateway "$GR" switchboard.fraud.v1.FraudService round_robin "$F1" "$F2" "$F3"
start_gateway "$GL" switchboard.fraud.v1.FraudService least_request "$F1" "$F2" "$F3"
rr=(); lr=()
for _ in $(seq 1 "$RUNS"); do
  rr+=("$(p99_ms "$GR")")
  lr+=("$(p99_ms "$GL")")
done
echo "| Check, 3 fraud replicas, one with delay $SLOW_DELAY | p99 ms (median of $RUNS) | runs |"
echo "|---|---|---|"
echo "| round_robin | $(bench_median "${rr[@]}") | ${rr[*]} |"
echo "| least_request | $(bench_median "${lr[@]}") | ${lr[*]} |"
echo
echo "load average at the end: $(bench_load)"
