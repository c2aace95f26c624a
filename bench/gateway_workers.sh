#!/usr/bin/env bash
# Native gRPC unary calls through the gateway with `workers: 1` and `workers: 2` (and any other
# counts in WORKERS), in front of the same ticket backend in one run, beside direct calls to it:
# req/s and the gateway's CPU per call. Then the same load on a page the gateway answers itself
# (GET /healthz over h2c), where no backend shares the cores, to show what the loops alone
# carry. Median of RUNS runs; prints a markdown section (docs/benchmarks-gateway.md, "Workers").
#
# Usage: bench/gateway_workers.sh [BUILD_DIR]   (RUNS=3, REQUESTS=100000, OWN_REQUESTS=1000000,
#        CLIENTS=8, STREAMS=32, WORKERS="1 2", LOADGEN_CPU=<last core>)
# The load generator is pinned: `taskset -c $LOADGEN_CPU h2load -t 1 ...`, one h2load thread on
# one core, the same core for every path and run, so that the gateway's loops and the backend
# share the rest (and that core, when there is no other) the same way in every run. The gateway
# and the backend are not pinned: a worker may run on any core, as it does in production.
# Needs h2load (apt-get install -y nghttp2-client) and taskset (util-linux).
set -euo pipefail
BUILD_DIR=${1:-build}
RUNS=${RUNS:-3}
REQUESTS=${REQUESTS:-100000}
# /healthz costs the gateway a tenth of a proxied call: ten times the requests for a run as long.
OWN_REQUESTS=${OWN_REQUESTS:-1000000}
CLIENTS=${CLIENTS:-8}
STREAMS=${STREAMS:-32}
WORKERS=${WORKERS:-"1 2"}
LOADGEN_CPU=${LOADGEN_CPU:-$(($(nproc) - 1))}
H2LOAD_TIMEOUT=${H2LOAD_TIMEOUT:-120}  # seconds; every load generator run is bounded
SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
SWITCHBOARD=$(realpath "$BUILD_DIR/switchboard")
DESCRIPTORS=$(realpath "$BUILD_DIR/switchboard.pb")
source "$SCRIPT_DIR/lib.sh"

die() { echo "bench/gateway_workers.sh: $*" >&2; exit 1; }
command -v h2load >/dev/null || die "h2load not found: apt-get install -y nghttp2-client"
command -v taskset >/dev/null || die "taskset not found: apt-get install -y util-linux"
[ "$LOADGEN_CPU" -lt "$(nproc)" ] || die "LOADGEN_CPU=$LOADGEN_CPU: this machine has $(nproc) cores"

bench_snapshot_binary

GET_EVENT=$BENCH_GET_EVENT
GRPC_HEADERS=("${BENCH_GRPC_HEADERS[@]}")
LOADGEN=(taskset -c "$LOADGEN_CPU" h2load -t 1)

cpu_ticks() { bench_cpu_ticks "$1"; }
CLK_TCK=$BENCH_CLK_TCK

wait_grpc() { bench_wait_get_event "$@" || die "$1: no answer"; }

# load N URL [h2load args]: one pinned h2load run of N requests; fails unless every one
# succeeded. Sets R_QPS, R_BYTES.
load() {
  local n=$1 url=$2 out ok
  shift 2
  out=$(timeout "$H2LOAD_TIMEOUT" "${LOADGEN[@]}" -n "$n" -c "$CLIENTS" -m "$STREAMS" \
    "$@" "$url") \
    || die "h2load did not finish in ${H2LOAD_TIMEOUT}s: $url"
  ok=$(echo "$out" | awk '/^requests:/ {print $8}')
  [ "$ok" = "$n" ] || { echo "$out" >&2; die "only ${ok:-0} of $n succeeded: $url"; }
  R_QPS=$(echo "$out" | awk '/^finished in/ {print $4}')
  R_BYTES=$(echo "$out" | sed -nE 's/^traffic:.*\(([0-9]+)\) data$/\1/p')
}

declare -A S PORT PID
add() { S[$1]="${S[$1]:-} $2"; }
med() { [ -n "${S[$1]:-}" ] && bench_median ${S[$1]} || echo nan; }
ratio() { echo "$1 $2" | awk '{ if ($2 > 0) printf "%.2f", $1/$2; else print "nan" }'; }
per_call() { echo "$1 ${2:-$REQUESTS}" | awk '{printf "%.2f", $1/$2}'; }

backend_port=$(bench_free_port)
bench_serve ticket "$backend_port"
backend_pid=${BENCH_PIDS[${#BENCH_PIDS[@]}-1]}
PATHS=(direct) PORT[direct]=$backend_port PID[direct]=$backend_pid

# One gateway per worker count, all running for the whole run (an idle one only health-checks
# the backend twice a second); the access log is off, as for the peers in bench/gateway.sh.
for w in $WORKERS; do
  port=$(bench_free_port)
  cat >"$BENCH_TMP/gateway-$w.yaml" <<EOF
listen: 127.0.0.1:$port
workers: $w
descriptors: [$DESCRIPTORS]
services:
  switchboard.ticket.v1.TicketService: {backends: [127.0.0.1:$backend_port]}
EOF
  "$SWITCHBOARD" gateway --config "$BENCH_TMP/gateway-$w.yaml" --log-level warn \
    >"$BENCH_TMP/gateway-$w.log" 2>&1 &
  BENCH_PIDS+=($!)
  PATHS+=("w$w") PORT[w$w]=$port PID[w$w]=$!
  wait_grpc "$port" "$!" "$BENCH_TMP/gateway-$w.log"
done

LOADS=()
expect_bytes=""
n_paths=${#PATHS[@]}
echo "bench/gateway_workers.sh: paths ${PATHS[*]}; $RUNS runs; h2load pinned to CPU $LOADGEN_CPU" >&2
for run in $(seq 1 "$RUNS"); do
  LOADS+=("$(cut -d' ' -f1-3 /proc/loadavg) (run $run)")
  # The order rotates from run to run, so no path always goes first after a quiet spell.
  for k in $(seq 0 $((n_paths - 1))); do
    p=${PATHS[$(((k + run - 1) % n_paths))]}
    cpu0=$(cpu_ticks "${PID[$p]}") backend0=$(cpu_ticks "$backend_pid")
    load "$REQUESTS" "http://127.0.0.1:${PORT[$p]}$GET_EVENT" "${GRPC_HEADERS[@]}" -d "$BENCH_TMP/get_event.bin"
    # h2load counts HTTP 200 as success, and a gRPC error is a 200 too: same bytes or fail.
    [ -z "$expect_bytes" ] && expect_bytes=$R_BYTES
    [ "$R_BYTES" = "$expect_bytes" ] || die "$p: $R_BYTES DATA bytes, expected $expect_bytes (a failed call?)"
    add "$p.qps" "$R_QPS"
    [ "$p" != direct ] && add "$p.cpu" "$(( ($(cpu_ticks "${PID[$p]}") - cpu0) * 1000000 / CLK_TCK ))"
    add "$p.bcpu" "$(( ($(cpu_ticks "$backend_pid") - backend0) * 1000000 / CLK_TCK ))"
    line="$p $R_QPS req/s"
    if [ "$p" != direct ]; then
      cpu0=$(cpu_ticks "${PID[$p]}")
      load "$OWN_REQUESTS" "http://127.0.0.1:${PORT[$p]}/healthz"
      add "$p.own.qps" "$R_QPS"
      add "$p.own.cpu" "$(( ($(cpu_ticks "${PID[$p]}") - cpu0) * 1000000 / CLK_TCK ))"
      line+=", /healthz $R_QPS req/s"
    fi
    echo "run $run: $line" >&2
  done
done

w1_qps=$(med w1.qps)
direct_qps=$(med direct.qps)
echo "### Workers: native gRPC through the gateway with 1 and 2 event loops"
echo
echo "$(bench_machine); $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'); shared with other work, so compare rows of one run only. Binary: $binary_note. Backend: \`switchboard serve ticket\` (grpc++, one process for every path). Load: \`h2load -n $REQUESTS -c $CLIENTS -m $STREAMS -t 1\` GetEvent, pinned with \`taskset -c $LOADGEN_CPU\` (one core for the load generator in every run; the gateway and the backend are not pinned). Medians of $RUNS runs, paths in rotating order. CPU per call is the process's user+system time over the run divided by the calls; the gateway's workers deal the $CLIENTS client connections in turn."
echo
echo "| path | req/s | vs workers: 1 | vs direct | gateway CPU per call | backend CPU per call | per run req/s |"
echo "|---|---|---|---|---|---|---|"
for p in "${PATHS[@]}"; do
  qps=$(med "$p.qps")
  if [ "$p" = direct ]; then
    echo "| direct to the backend | ${qps%.*} | | 1.00 | | $(per_call "$(med "$p.bcpu")") us |${S[$p.qps]} |"
  else
    echo "| gateway, \`workers: ${p#w}\` | ${qps%.*} | $(ratio "$qps" "$w1_qps") | $(ratio "$qps" "$direct_qps") | $(per_call "$(med "$p.cpu")") us | $(per_call "$(med "$p.bcpu")") us |${S[$p.qps]} |"
  fi
done
echo
echo "The same connections and streams on a page the gateway answers itself, \`GET /healthz\` over h2c, $OWN_REQUESTS requests (no backend: what the loops carry on the cores h2load leaves them):"
echo
echo "| path | req/s | vs workers: 1 | gateway CPU per request | per run req/s |"
echo "|---|---|---|---|---|"
w1_own=$(med w1.own.qps)
for p in "${PATHS[@]}"; do
  [ "$p" = direct ] && continue
  qps=$(med "$p.own.qps")
  echo "| gateway, \`workers: ${p#w}\` | ${qps%.*} | $(ratio "$qps" "$w1_own") | $(per_call "$(med "$p.own.cpu")" "$OWN_REQUESTS") us |${S[$p.own.qps]} |"
done
echo
echo "Load average (1, 5, 15 min) at each run: $(printf '%s; ' "${LOADS[@]}")"
echo
echo "Commands:"
echo '```sh'
echo "switchboard serve ticket --port $backend_port --log-level warn"
for w in $WORKERS; do echo "switchboard gateway --config gateway-$w.yaml --log-level warn   # workers: $w"; done
echo "${LOADGEN[*]} -n $REQUESTS -c $CLIENTS -m $STREAMS -H 'content-type: application/grpc' -H 'te: trailers' -d get_event.bin http://127.0.0.1:PORT$GET_EVENT"
echo "${LOADGEN[*]} -n $OWN_REQUESTS -c $CLIENTS -m $STREAMS http://127.0.0.1:PORT/healthz"
echo '```'
echo
last=$(echo "$WORKERS" | awk '{print $NF}')
echo "gateway-$last.yaml (the others differ only in \`workers\` and the port):"
echo '```yaml'
sed "s|$BENCH_TMP/||" "$BENCH_TMP/gateway-$last.yaml"
echo '```'
