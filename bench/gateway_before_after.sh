#!/usr/bin/env bash
# Two builds of the gateway side by side in one run, in front of the same ticket backend: the
# binary BEFORE (an older commit's `switchboard`) and this build's. Native gRPC, gRPC-Web and
# REST (GetEvent, GET /events/evt-1) over h2c, and gRPC-Web and REST over HTTP/1.1: req/s and
# the gateway's CPU per call, medians of RUNS runs with the two gateways in rotating order.
# Prints a markdown section (docs/benchmarks-gateway.md, "Before and after").
#
# Usage: BEFORE=/path/to/old/switchboard [BEFORE_LABEL=<commit>] bench/gateway_before_after.sh [BUILD_DIR]
#        (RUNS=5, REQUESTS=40000, H1_REQUESTS=20000, CLIENTS=8, STREAMS=32, H1_CLIENTS=64,
#        LOADGEN_CPU=<last core>)
# Build the old binary in a worktree of its own, e.g.
#   git worktree add ../before b1a6271 && ln -s "$PWD/node_modules" ../before/
#   cmake -S ../before -B ../before-build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
#   cmake --build ../before-build --target switchboard
# Both gateways read this build's descriptor set and the same config but for the port. The
# load generator is pinned (`taskset -c $LOADGEN_CPU h2load -t 1`); the gateways and the
# backend are not. Needs h2load (nghttp2-client) and taskset (util-linux).
set -euo pipefail
BUILD_DIR=${1:-build}
RUNS=${RUNS:-5}
REQUESTS=${REQUESTS:-40000}
H1_REQUESTS=${H1_REQUESTS:-20000}
CLIENTS=${CLIENTS:-8}
STREAMS=${STREAMS:-32}
H1_CLIENTS=${H1_CLIENTS:-64}
AFTER_WORKERS=${AFTER_WORKERS:-1}
LOADGEN_CPU=${LOADGEN_CPU:-$(($(nproc) - 1))}
H2LOAD_TIMEOUT=${H2LOAD_TIMEOUT:-120}  # seconds; every load generator run is bounded
SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
SWITCHBOARD=$(realpath "$BUILD_DIR/switchboard")
DESCRIPTORS=$(realpath "$BUILD_DIR/switchboard.pb")
source "$SCRIPT_DIR/lib.sh"

die() { echo "bench/gateway_before_after.sh: $*" >&2; exit 1; }
[ -n "${BEFORE:-}" ] || die "set BEFORE to the older build's switchboard binary"
[ -x "$BEFORE" ] || die "BEFORE=$BEFORE is not an executable"
command -v h2load >/dev/null || die "h2load not found: apt-get install -y nghttp2-client"
command -v taskset >/dev/null || die "taskset not found: apt-get install -y util-linux"

bench_snapshot_binary
cp "$BEFORE" "$BENCH_TMP/switchboard-before"
before_note="$(realpath "$BEFORE") built $(date -u -r "$BEFORE" '+%Y-%m-%d %H:%M UTC')"
# What BEFORE was built from (a commit), for the table's title; a build directory outside its
# source tree cannot tell.
before_tree=${BEFORE_LABEL:-$(git -C "$(dirname "$(realpath "$BEFORE")")" rev-parse --short HEAD 2>/dev/null || echo BEFORE)}

GET_EVENT=$BENCH_GET_EVENT
GRPC_HEADERS=("${BENCH_GRPC_HEADERS[@]}")
WEB_HEADERS=(-H 'content-type: application/grpc-web+proto' -H 'x-grpc-web: 1')
LOADGEN=(taskset -c "$LOADGEN_CPU" h2load -t 1)

cpu_ticks() { bench_cpu_ticks "$1"; }
CLK_TCK=$BENCH_CLK_TCK

wait_grpc() { bench_wait_get_event "$@" || die "$1: no answer"; }

# load N URL [h2load args]: one pinned h2load run; fails unless every request succeeded.
# Sets R_QPS and R_BYTES (DATA bytes, the same for every path of one kind or a call failed).
load() {
  local n=$1 url=$2 out ok
  shift 2
  out=$(timeout "$H2LOAD_TIMEOUT" "${LOADGEN[@]}" -n "$n" "$@" "$url") \
    || die "h2load did not finish in ${H2LOAD_TIMEOUT}s: $url"
  ok=$(echo "$out" | awk '/^requests:/ {print $8}')
  [ "$ok" = "$n" ] || { echo "$out" >&2; die "only ${ok:-0} of $n succeeded: $url"; }
  R_QPS=$(echo "$out" | awk '/^finished in/ {print $4}')
  R_BYTES=$(echo "$out" | sed -nE 's/^traffic:.*\(([0-9]+)\) data$/\1/p')
}

declare -A S PORT PID BYTES
add() { S[$1]="${S[$1]:-} $2"; }
med() { [ -n "${S[$1]:-}" ] && bench_median ${S[$1]} || echo nan; }
ratio() { echo "$1 $2" | awk '{ if ($2 > 0) printf "%.2f", $1/$2; else print "nan" }'; }
per_call() { echo "$1 $2" | awk '{printf "%.2f", $1/$2}'; }

backend_port=$(bench_free_port)
bench_serve ticket "$backend_port"

GATEWAYS=(before after)
for g in "${GATEWAYS[@]}"; do
  port=$(bench_free_port)
  cat >"$BENCH_TMP/gateway-$g.yaml" <<EOF
listen: 127.0.0.1:$port
descriptors: [$DESCRIPTORS]
services:
  switchboard.ticket.v1.TicketService: {backends: [127.0.0.1:$backend_port]}
EOF
  # One event loop on both sides: an older gateway has exactly one, and this build's default
  # is one per core (bench/gateway_workers.sh measures that). AFTER_WORKERS changes it.
  [ "$g" = after ] && echo "workers: $AFTER_WORKERS" >>"$BENCH_TMP/gateway-$g.yaml"
  binary="$BENCH_TMP/switchboard"
  [ "$g" = before ] && binary="$BENCH_TMP/switchboard-before"
  "$binary" gateway --config "$BENCH_TMP/gateway-$g.yaml" --log-level warn \
    >"$BENCH_TMP/gateway-$g.log" 2>&1 &
  BENCH_PIDS+=($!)
  PORT[$g]=$port PID[$g]=$!
  wait_grpc "$port" "$!" "$BENCH_TMP/gateway-$g.log"
done

KINDS=(native web2 rest2 web1 rest1)
declare -A LABEL=(
  [native]="native gRPC GetEvent (h2c)"
  [web2]="gRPC-Web GetEvent (h2c)"
  [rest2]="REST GET /events/evt-1 (h2c)"
  [web1]="gRPC-Web GetEvent (HTTP/1.1, $H1_CLIENTS connections)"
  [rest1]="REST GET /events/evt-1 (HTTP/1.1, $H1_CLIENTS connections)")
# run_kind KIND GATEWAY: one load of KIND through GATEWAY; sets N (requests sent).
run_kind() {
  local kind=$1 port=${PORT[$2]}
  case $kind in
    native) N=$REQUESTS; load "$N" "http://127.0.0.1:$port$GET_EVENT" -c "$CLIENTS" -m "$STREAMS" \
              "${GRPC_HEADERS[@]}" -d "$BENCH_TMP/get_event.bin" ;;
    web2) N=$REQUESTS; load "$N" "http://127.0.0.1:$port$GET_EVENT" -c "$CLIENTS" -m "$STREAMS" \
            "${WEB_HEADERS[@]}" -d "$BENCH_TMP/get_event.bin" ;;
    rest2) N=$REQUESTS; load "$N" "http://127.0.0.1:$port/events/evt-1" -c "$CLIENTS" -m "$STREAMS" ;;
    web1) N=$H1_REQUESTS; load "$N" "http://127.0.0.1:$port$GET_EVENT" --h1 -c "$H1_CLIENTS" \
            "${WEB_HEADERS[@]}" -d "$BENCH_TMP/get_event.bin" ;;
    rest1) N=$H1_REQUESTS; load "$N" "http://127.0.0.1:$port/events/evt-1" --h1 -c "$H1_CLIENTS" ;;
  esac
}

LOADS=()
echo "bench/gateway_before_after.sh: $RUNS runs; h2load pinned to CPU $LOADGEN_CPU" >&2
for run in $(seq 1 "$RUNS"); do
  LOADS+=("$(cut -d' ' -f1-3 /proc/loadavg) (run $run)")
  for kind in "${KINDS[@]}"; do
    for k in 0 1; do
      g=${GATEWAYS[$(((k + run) % 2))]}
      cpu0=$(cpu_ticks "${PID[$g]}")
      run_kind "$kind" "$g"
      [ -z "${BYTES[$kind]:-}" ] && BYTES[$kind]=$R_BYTES
      [ "$R_BYTES" = "${BYTES[$kind]}" ] \
        || die "$g $kind: $R_BYTES DATA bytes, expected ${BYTES[$kind]} (a failed call?)"
      add "$g.$kind.qps" "$R_QPS"
      add "$g.$kind.cpu" "$(echo "$(cpu_ticks "${PID[$g]}") $cpu0 $CLK_TCK $N" \
        | awk '{printf "%.2f", ($1 - $2) * 1000000 / $3 / $4}')"
      echo "run $run: $g $kind $R_QPS req/s" >&2
    done
  done
done

echo "### Before and after: the gateway of $before_tree beside this build"
echo
echo "$(bench_machine); $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'); shared with other work, so compare the two columns of one row only. Before: $before_note. After: $binary_note. Backend: \`switchboard serve ticket\` of this build, one process for both gateways; the same descriptor set and config, with \`workers: $AFTER_WORKERS\` for this build (the older gateway has one event loop). Load pinned with \`taskset -c $LOADGEN_CPU\`: h2c rows \`h2load -n $REQUESTS -c $CLIENTS -m $STREAMS -t 1\`, HTTP/1.1 rows \`h2load --h1 -n $H1_REQUESTS -c $H1_CLIENTS -t 1\`. Medians of $RUNS runs, the two gateways in alternating order. CPU per call: the gateway process's user+system time over the run divided by the requests."
echo
echo "| path | before req/s | after req/s | after / before | before CPU per call | after CPU per call | per run req/s (before; after) |"
echo "|---|---|---|---|---|---|---|"
for kind in "${KINDS[@]}"; do
  b=$(med "before.$kind.qps") a=$(med "after.$kind.qps")
  echo "| ${LABEL[$kind]} | ${b%.*} | ${a%.*} | $(ratio "$a" "$b") | $(med "before.$kind.cpu") us | $(med "after.$kind.cpu") us |${S[before.$kind.qps]};${S[after.$kind.qps]} |"
done
echo
echo "Load average (1, 5, 15 min) at each run: $(printf '%s; ' "${LOADS[@]}")"
echo
echo "Command: \`BEFORE=<old build>/switchboard RUNS=$RUNS bench/gateway_before_after.sh $BUILD_DIR\`"
