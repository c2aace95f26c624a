#!/usr/bin/env bash
# The gateway's data path beside direct calls and three reverse proxies (nghttpx, HAProxy, nginx
# grpc_pass), all in front of the same ticket server in one run: native gRPC unary req/s, added
# latency at one request in flight, gRPC-Web and REST over HTTP/1.1 (beside grpc-gateway v1) and
# over h2c, server-streaming throughput and memory per idle proxied stream. Median of RUNS runs;
# prints a markdown section.
#
# Usage: bench/gateway.sh [BUILD_DIR]   (RUNS=3, REQUESTS=40000, CLIENTS=8, STREAMS=32,
# GATEWAY_WORKERS=1, ...)
# BACKEND=cpp (default): `switchboard serve ticket` behind every unary path; BACKEND=go: the
# grpc-go ticket server of bench/go/ticket_backend instead (the streaming rows stay on the C++
# stock server either way).
# Peers: apt-get install -y nghttp2-client nghttp2-proxy haproxy nginx-light, and for the Go peers
# (built here by bench/go/build.sh, offline) golang-go golang-google-grpc-dev
# golang-goprotobuf-dev golang-google-genproto-dev golang-github-grpc-ecosystem-grpc-gateway-dev
# golang-grpc-gateway; `SWITCHBOARD_BENCH=1 scripts/install-deps.sh` installs them all. A missing
# peer is skipped and named in the table; BACKEND=go without a built backend stops the run.
set -euo pipefail
BUILD_DIR=${1:-build}
BACKEND=${BACKEND:-cpp}
RUNS=${RUNS:-3}
REQUESTS=${REQUESTS:-40000}
CLIENTS=${CLIENTS:-8}
STREAMS=${STREAMS:-32}
LOW_REQUESTS=${LOW_REQUESTS:-5000}
# HTTP/1.1 has one request in flight per connection, so the same load is CLIENTS*STREAMS
# connections; the first count is the one the targets use.
H1_CLIENTS=${H1_CLIENTS:-"$((CLIENTS * STREAMS)) 64"}
WATCH_CLIENTS=${WATCH_CLIENTS:-4}
WATCH_STREAMS=${WATCH_STREAMS:-64}
WATCH_SECONDS=${WATCH_SECONDS:-5}
WATCH_TICK=${WATCH_TICK:-1ms}
IDLE_STREAMS=${IDLE_STREAMS:-2000}
IDLE_CONNECTIONS=${IDLE_CONNECTIONS:-4}
H2LOAD_TIMEOUT=${H2LOAD_TIMEOUT:-120}  # seconds; every load generator run is bounded
GATEWAY_WORKERS=${GATEWAY_WORKERS:-1}
SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
SWITCHBOARD=$(realpath "$BUILD_DIR/switchboard")
DESCRIPTORS=$(realpath "$BUILD_DIR/switchboard.pb")
source "$SCRIPT_DIR/lib.sh"

# Every process this script starts is in BENCH_PIDS (lib.sh); peers that fork workers also have
# their children recorded. TERM first, KILL whatever is left after 5 s, then the temp dir.
GW_CHILD_PIDS=()
gw_cleanup() {
  local pid
  for pid in "${BENCH_PIDS[@]:-}" "${GW_CHILD_PIDS[@]:-}"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  for _ in $(seq 1 50); do
    local alive=0
    for pid in "${BENCH_PIDS[@]:-}" "${GW_CHILD_PIDS[@]:-}"; do
      [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && alive=1
    done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for pid in "${BENCH_PIDS[@]:-}" "${GW_CHILD_PIDS[@]:-}"; do
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
  done
  for pid in "${BENCH_PIDS[@]:-}"; do
    [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
  done
  [ -n "${BENCH_TMP:-}" ] && rm -rf "$BENCH_TMP"
}
trap gw_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

die() { echo "bench/gateway.sh: $*" >&2; exit 1; }
command -v h2load >/dev/null || die "h2load not found: apt-get install -y nghttp2-client"
HAVE_NODE=0
command -v node >/dev/null && HAVE_NODE=1  # the idle-stream client; without it that part is skipped
case "$BACKEND" in cpp | go) ;; *) die "BACKEND=$BACKEND: expected cpp or go" ;; esac

bench_snapshot_binary

# The Go peers (grpc-go ticket server, grpc-gateway v1) are built now, from Debian's Go sources;
# one that does not build is skipped (BACKEND=go needs its backend) with build.sh's reason.
declare -A GO_SKIP
bash "$SCRIPT_DIR/go/build.sh" "$BUILD_DIR" >"$BENCH_TMP/go-build.log" 2>&1 || true
for peer in ticket_backend rest_gateway; do
  if [ -x "$BUILD_DIR/bench-go/$peer" ]; then
    cp "$BUILD_DIR/bench-go/$peer" "$BENCH_TMP/$peer"
  else
    why=$(grep -E "^bench/go/build.sh: ($peer|all): " "$BENCH_TMP/go-build.log" | tail -1 \
      | sed -E 's/^bench\/go\/build.sh: [a-z_]+: //')
    GO_SKIP[$peer]="not built by bench/go/build.sh: ${why:-see its output}"
  fi
done
if [ "$BACKEND" = go ] && [ -n "${GO_SKIP[ticket_backend]:-}" ]; then
  cat "$BENCH_TMP/go-build.log" >&2
  die "BACKEND=go: the grpc-go ticket server is ${GO_SKIP[ticket_backend]}"
fi

# gRPC length-prefixed requests: GetEventRequest{id:"evt-1"}, StockRequest{symbol:"ACME"}.
printf '\x00\x00\x00\x00\x07\x0a\x05evt-1' >"$BENCH_TMP/get_event.bin"
printf '\x00\x00\x00\x00\x06\x0a\x04ACME' >"$BENCH_TMP/watch_acme.bin"
GET_EVENT=/switchboard.ticket.v1.TicketService/GetEvent
WATCH=/switchboard.stock.v1.StockService/WatchStockPrice
GRPC_HEADERS=(-H 'content-type: application/grpc' -H 'te: trailers')
WEB_HEADERS=(-H 'content-type: application/grpc-web+proto' -H 'x-grpc-web: 1')

LOADS=()
gw_load() { LOADS+=("$(cut -d' ' -f1-3 /proc/loadavg) ($1)"); }

# ---- processes ---------------------------------------------------------------------------------

# utime+stime in clock ticks of PID and its children (nginx and nghttpx run their workers as
# child processes).
gw_cpu_ticks() {
  local total=0 pid t
  for pid in "$1" $(pgrep -P "$1" 2>/dev/null || true); do
    t=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13}') || t=0
    total=$((total + ${t:-0}))
  done
  echo "$total"
}
CLK_TCK=$(getconf CLK_TCK)

gw_rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# gw_wait_grpc PORT PID LOG: until one GetEvent through PORT succeeds (10 s at most).
gw_wait_grpc() {
  local port=$1 pid=$2 log=$3
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; die "process $pid exited while starting"; }
    if timeout 5 h2load -n 1 -c 1 "${GRPC_HEADERS[@]}" -d "$BENCH_TMP/get_event.bin" \
        "http://127.0.0.1:$port$GET_EVENT" 2>/dev/null | grep -q '1 succeeded'; then
      return 0
    fi
    sleep 0.1
  done
  cat "$log" >&2
  die "nothing answered GetEvent on 127.0.0.1:$port"
}

# gw_wait_rest PORT PID LOG: until GET /events/evt-1 through PORT answers the event (10 s at most).
gw_wait_rest() {
  local port=$1 pid=$2 log=$3
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; die "process $pid exited while starting"; }
    curl -s --max-time 5 "http://127.0.0.1:$port/events/evt-1" 2>/dev/null | grep -q '"id":"evt-1"' \
      && return 0
    sleep 0.1
  done
  cat "$log" >&2
  die "nothing answered GET /events/evt-1 on 127.0.0.1:$port"
}

# gw_start NAME PORT COMMAND...: starts a proxy in the background and waits until it proxies
# (gRPC GetEvent; GW_WAIT=gw_wait_rest for a REST-only peer).
declare -A PORT PID CMD
gw_start() {
  local name=$1 port=$2; shift 2
  "$@" >"$BENCH_TMP/$name.log" 2>&1 &
  local pid=$!
  BENCH_PIDS+=("$pid")
  PORT[$name]=$port PID[$name]=$pid CMD[$name]=$(printf '%q ' "$@")
  "${GW_WAIT:-gw_wait_grpc}" "$port" "$pid" "$BENCH_TMP/$name.log"
  local child
  for child in $(pgrep -P "$pid" 2>/dev/null || true); do GW_CHILD_PIDS+=("$child"); done
}

# gw_stop_pid PID: stops one process this script started (TERM, then KILL after 5 s).
gw_stop_pid() {
  local pid=$1 i
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for i in "${!BENCH_PIDS[@]}"; do [ "${BENCH_PIDS[$i]}" = "$pid" ] && unset 'BENCH_PIDS[i]'; done
  BENCH_PIDS=("${BENCH_PIDS[@]}")
  return 0
}
gw_stop() { gw_stop_pid "${PID[$1]}"; }

# The stock service gets the long deadline `switchboard up` gives streaming services (else the
# gateway's default of 5 s would end the streams). One event loop, as every peer here runs one
# worker or thread (GATEWAY_WORKERS to change it; bench/gateway_workers.sh compares counts).
gw_gateway_config() {  # FILE PORT TICKET_PORT STOCK_PORT
  cat >"$1" <<EOF
listen: 127.0.0.1:$2
workers: $GATEWAY_WORKERS
descriptors: [$DESCRIPTORS]
services:
  switchboard.ticket.v1.TicketService: {backends: [127.0.0.1:$3]}
  switchboard.stock.v1.StockService: {backends: [127.0.0.1:$4], timeout: {default: 1h, max: 24h}}
EOF
}

# ---- load generator ----------------------------------------------------------------------------

# gw_h2load LOGFILE|- URL N ARGS...: one h2load run; fails unless every request succeeded.
# WHAT (a global) names the path in the error.
# Sets R_QPS, R_BYTES (DATA bytes per request), R_P50, R_MEAN, R_P99 (us, with a log file).
gw_h2load() {
  local log=$1 url=$2 n=$3; shift 3
  local logarg=()
  [ "$log" != - ] && { rm -f "$log"; logarg=(--log-file="$log"); }
  local out
  out=$(timeout "$H2LOAD_TIMEOUT" h2load -n "$n" -t 1 "$@" "${logarg[@]}" "$url") \
    || die "$WHAT: h2load did not finish in ${H2LOAD_TIMEOUT}s (a stalled path?): h2load -n $n $* $url"
  local ok
  ok=$(echo "$out" | awk '/^requests:/ {print $8}')
  [ "$ok" = "$n" ] || { echo "$out" >&2; die "$WHAT: only ${ok:-0} of $n succeeded: h2load -n $n $* $url"; }
  R_QPS=$(echo "$out" | awk '/^finished in/ {print $4}')
  R_BYTES=$(echo "$out" | sed -nE 's/^traffic:.*\(([0-9]+)\) data$/\1/p' | awk -v n="$n" '{printf "%.2f", $1/n}')
  R_P50='' R_MEAN='' R_P99=''
  if [ "$log" != - ]; then
    cut -f3 "$log" >"$log.us"
    R_P50=$(bench_percentile 50 "$log.us")
    R_P99=$(bench_percentile 99 "$log.us")
    R_MEAN=$(awk '{s+=$1} END {printf "%.0f", s/NR}' "$log.us")
  fi
}

# Results: space-separated samples per key, medians at the end.
declare -A S
IDLE_ROWS=""
add() { S[$1]="${S[$1]:-} $2"; }
med() { [ -n "${S[$1]:-}" ] && bench_median ${S[$1]} || echo nan; }

# Every path must return the same DATA bytes per request as the first sample of its protocol:
# h2load counts HTTP 200 as success, and a gRPC error is also a 200 (with no message).
declare -A EXPECT_BYTES
check_bytes() {  # KEY WHAT
  if [ -z "${EXPECT_BYTES[$1]:-}" ]; then
    EXPECT_BYTES[$1]=$R_BYTES
  elif [ "${EXPECT_BYTES[$1]}" != "$R_BYTES" ]; then
    die "$2: $R_BYTES DATA bytes per response, expected ${EXPECT_BYTES[$1]} (a failed call?)"
  fi
}

# h1_sample KEY PROCESS LABEL BYTES_KEY WHAT URL [h2load args]: one HTTP/1.1 run at $h1c
# connections; records KEY.$h1c.qps and the CPU per request of PROCESS (a PID key) as
# KEY.$h1c.cpu, checks the bytes per response against BYTES_KEY's and adds LABEL to `line`.
h1_sample() {
  local key=$1 process=$2 label=$3 bytes_key=$4 what=$5 url=$6; shift 6
  local cpu0
  cpu0=$(gw_cpu_ticks "${PID[$process]}")
  gw_h2load - "$url" "$REQUESTS" --h1 -c "$h1c" "$@"
  check_bytes "$bytes_key" "$what"
  add "$key.$h1c.qps" "$R_QPS"
  add "$key.$h1c.cpu" "$(( ($(gw_cpu_ticks "${PID[$process]}") - cpu0) * 1000000 / CLK_TCK ))"
  line+="$label -c $h1c $R_QPS req/s, "
}

# h2_sample KEY WHAT URL [h2load args]: one HTTP/2 run at the native runs' load through the
# gateway; records KEY.qps and the gateway's CPU per request as KEY.cpu, checks the bytes per
# response and adds the result to `line`.
h2_sample() {
  local key=$1 what=$2 url=$3; shift 3
  local cpu0
  cpu0=$(gw_cpu_ticks "${PID[gateway]}")
  WHAT="$what"
  gw_h2load - "$url" "$REQUESTS" -c "$CLIENTS" -m "$STREAMS" "$@"
  check_bytes "$key" "$what"
  add "$key.qps" "$R_QPS"
  add "$key.cpu" "$(( ($(gw_cpu_ticks "${PID[gateway]}") - cpu0) * 1000000 / CLK_TCK ))"
  line+="$key $R_QPS req/s, "
}

# ---- servers and proxies -----------------------------------------------------------------------

ticket_port=$(bench_free_port)
if [ "$BACKEND" = go ]; then
  gw_start backend "$ticket_port" "$BENCH_TMP/ticket_backend" --port "$ticket_port"
  ticket_pid=${PID[backend]}
  backend_note="grpc-go ticket server (bench/go/ticket_backend: grpc-go $(dpkg-query -W -f='${Version}' golang-google-grpc-dev 2>/dev/null || echo '?'), $(go version 2>/dev/null | awk '{print $3}'), GOMAXPROCS $(nproc), the default), the same seeded Event bytes as switchboard serve ticket"
  backend_cmd="bench/go/build.sh $BUILD_DIR && $BUILD_DIR/bench-go/ticket_backend --port $ticket_port"
else
  bench_serve ticket "$ticket_port"
  ticket_pid=${BENCH_PIDS[${#BENCH_PIDS[@]}-1]}
  backend_note="switchboard serve ticket (grpc++ $(dpkg-query -W -f='${Version}' libgrpc++-dev 2>/dev/null || echo '?'), SQLite)"
  backend_cmd="switchboard serve ticket --port $ticket_port --log-level warn"
fi
stock_port=$(bench_free_port)  # started only for the streaming part, so it does not tick before

PATHS=(direct)
PORT[direct]=$ticket_port PID[direct]=$ticket_pid

gw_port=$(bench_free_port)
gw_gateway_config "$BENCH_TMP/gateway.yaml" "$gw_port" "$ticket_port" "$stock_port"
gw_log_port=$(bench_free_port)
gw_gateway_config "$BENCH_TMP/gateway-log.yaml" "$gw_log_port" "$ticket_port" "$stock_port"
# The peers run without access logs, so the gateway does too (--log-level warn turns off its
# per-call "access" line); the same binary at its default level (info) is measured beside it.
# Both are started afresh for every run: the gateway this was written against stops proxying
# once ~16 MiB of responses have passed one backend connection (bug 1 in
# docs/benchmarks-gateway.md), and one run sends ~17 MB of responses through the main gateway.
gw_start_gateways() {
  [ -n "${PID[gateway]:-}" ] && gw_stop gateway
  [ -n "${PID[gateway_log]:-}" ] && gw_stop gateway_log
  gw_start gateway "$gw_port" "$SWITCHBOARD" gateway --config "$BENCH_TMP/gateway.yaml" --log-level warn
  gw_start gateway_log "$gw_log_port" "$SWITCHBOARD" gateway --config "$BENCH_TMP/gateway-log.yaml"
}
gw_start_gateways
PATHS+=(gateway gateway_log)

declare -A SKIPPED
if command -v nghttpx >/dev/null; then
  port=$(bench_free_port)
  : >"$BENCH_TMP/nghttpx.conf"  # not /etc/nghttpx/nghttpx.conf
  gw_start nghttpx "$port" nghttpx --conf="$BENCH_TMP/nghttpx.conf" \
    --frontend="127.0.0.1,$port;no-tls" --backend="127.0.0.1,$ticket_port;;proto=h2" \
    --workers=1 --backend-http2-connections-per-worker=1
  PATHS+=(nghttpx)
else
  SKIPPED[nghttpx]="not installed (apt-get install -y nghttp2-proxy)"
fi

if command -v haproxy >/dev/null; then
  port=$(bench_free_port)
  cat >"$BENCH_TMP/haproxy.cfg" <<EOF
global
  nbthread 1
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend grpc_in
  bind 127.0.0.1:$port proto h2
  default_backend ticket
backend ticket
  server s1 127.0.0.1:$ticket_port proto h2
EOF
  gw_start haproxy "$port" haproxy -f "$BENCH_TMP/haproxy.cfg" -db
  PATHS+=(haproxy)
else
  SKIPPED[haproxy]="not installed (apt-get install -y haproxy)"
fi

if command -v nginx >/dev/null; then
  port=$(bench_free_port)
  mkdir -p "$BENCH_TMP/nginx/logs"
  cat >"$BENCH_TMP/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $BENCH_TMP/nginx/nginx.pid;
error_log $BENCH_TMP/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $BENCH_TMP/nginx/body;
  proxy_temp_path $BENCH_TMP/nginx/proxy;
  fastcgi_temp_path $BENCH_TMP/nginx/fastcgi;
  uwsgi_temp_path $BENCH_TMP/nginx/uwsgi;
  scgi_temp_path $BENCH_TMP/nginx/scgi;
  keepalive_requests 1000000;  # else every client connection gets GOAWAY after 1000 calls
  upstream ticket { server 127.0.0.1:$ticket_port; keepalive 64; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:$port http2;
    location / { grpc_pass grpc://ticket; }
  }
}
EOF
  gw_start nginx "$port" nginx -p "$BENCH_TMP/nginx" -c "$BENCH_TMP/nginx/nginx.conf" \
    -e "$BENCH_TMP/nginx/error.log"
  PATHS+=(nginx)
else
  SKIPPED[nginx]="not installed (apt-get install -y nginx-light)"
fi

# grpc-gateway v1 (REST only, HTTP/1.1), in front of the same backend: a REST peer for our REST row.
if [ -z "${GO_SKIP[rest_gateway]:-}" ]; then
  port=$(bench_free_port)
  GW_WAIT=gw_wait_rest gw_start grpc_gateway "$port" "$BENCH_TMP/rest_gateway" --port "$port" \
    --backend "127.0.0.1:$ticket_port"
fi

# One response of each kind, checked by content once (the runs then compare byte counts).
rest_body=$(curl -s --max-time 5 "http://127.0.0.1:$gw_port/events/evt-1")
echo "$rest_body" | grep -q '"id":"evt-1"' || die "REST GET /events/evt-1 answered: $rest_body"
curl -s --max-time 5 --http1.1 -H 'content-type: application/grpc-web+proto' \
  --data-binary @"$BENCH_TMP/get_event.bin" "http://127.0.0.1:$gw_port$GET_EVENT" \
  | grep -aq 'grpc-status:0' || die "gRPC-Web GetEvent through the gateway did not end with grpc-status:0"

# ---- runs --------------------------------------------------------------------------------------

echo "bench/gateway.sh: paths ${PATHS[*]}; $RUNS runs" >&2
gw_load "start"
grpc_url() { echo "http://127.0.0.1:${PORT[$1]}$GET_EVENT"; }
n_paths=${#PATHS[@]}
for run in $(seq 1 "$RUNS"); do
  [ "$run" -gt 1 ] && gw_start_gateways
  gw_load "run $run"
  # The order rotates from run to run, so no path always goes first after a quiet spell.
  for k in $(seq 0 $((n_paths - 1))); do
    p=${PATHS[$(((k + run - 1) % n_paths))]}
    proxy_cpu0=$(gw_cpu_ticks "${PID[$p]}") backend_cpu0=$(gw_cpu_ticks "$ticket_pid")
    WHAT="GetEvent via $p (run $run)"
    gw_h2load - "$(grpc_url "$p")" "$REQUESTS" -c "$CLIENTS" -m "$STREAMS" "${GRPC_HEADERS[@]}" \
      -d "$BENCH_TMP/get_event.bin"
    check_bytes grpc "GetEvent via $p"
    add "$p.qps" "$R_QPS"
    if [ "$p" != direct ]; then
      add "$p.cpu" "$(( ($(gw_cpu_ticks "${PID[$p]}") - proxy_cpu0) * 1000000 / CLK_TCK ))"
    fi
    add "$p.bcpu" "$(( ($(gw_cpu_ticks "$ticket_pid") - backend_cpu0) * 1000000 / CLK_TCK ))"
    line="$p $R_QPS req/s"
    gw_h2load "$BENCH_TMP/low.log" "$(grpc_url "$p")" "$LOW_REQUESTS" -c 1 -m 1 "${GRPC_HEADERS[@]}" \
      -d "$BENCH_TMP/get_event.bin"
    check_bytes grpc "GetEvent via $p at -c 1"
    add "$p.p50" "$R_P50"; add "$p.mean" "$R_MEAN"; add "$p.p99" "$R_P99"
    echo "run $run: $line; one in flight p50 ${R_P50}us mean ${R_MEAN}us" >&2
  done

  # HTTP/1.1 through the gateway: gRPC-Web (binary) and REST.
  line=""
  WHAT="HTTP/1.1 through the gateway (run $run)"
  for h1c in $H1_CLIENTS; do
    h1_sample web gateway grpc-web web "gRPC-Web GetEvent" "http://127.0.0.1:$gw_port$GET_EVENT" \
      "${WEB_HEADERS[@]}" -d "$BENCH_TMP/get_event.bin"
    h1_sample rest gateway rest rest "REST GET /events/evt-1" "http://127.0.0.1:$gw_port/events/evt-1"
    # The same REST load through grpc-gateway v1 (its JSON has the same bytes as ours).
    if [ -n "${PORT[grpc_gateway]:-}" ]; then
      h1_sample gg grpc_gateway grpc-gateway rest "REST GET /events/evt-1 via grpc-gateway v1" \
        "http://127.0.0.1:${PORT[grpc_gateway]}/events/evt-1"
    fi
    # Reference: nghttpx taking the same POST over HTTP/1.1 to the HTTP/2 backend, no
    # translation (its client gets application/grpc with chunked trailers): what the HTTP/1.1
    # side alone costs in a mature proxy.
    if [ -n "${PORT[nghttpx]:-}" ]; then
      h1_sample nx1 nghttpx "nghttpx h1" grpc "GetEvent over HTTP/1.1 via nghttpx" \
        "$(grpc_url nghttpx)" "${GRPC_HEADERS[@]}" -d "$BENCH_TMP/get_event.bin"
    fi
  done
  gw_h2load "$BENCH_TMP/low.log" "http://127.0.0.1:$gw_port$GET_EVENT" "$LOW_REQUESTS" --h1 -c 1 \
    "${WEB_HEADERS[@]}" -d "$BENCH_TMP/get_event.bin"
  check_bytes web "gRPC-Web GetEvent at -c 1"
  add web.p50 "$R_P50"; add web.mean "$R_MEAN"; add web.p99 "$R_P99"
  gw_h2load "$BENCH_TMP/low.log" "http://127.0.0.1:$gw_port/events/evt-1" "$LOW_REQUESTS" --h1 -c 1
  check_bytes rest "REST GET /events/evt-1 at -c 1"
  add rest.p50 "$R_P50"; add rest.mean "$R_MEAN"; add rest.p99 "$R_P99"
  if [ -n "${PORT[grpc_gateway]:-}" ]; then
    gw_h2load "$BENCH_TMP/low.log" "http://127.0.0.1:${PORT[grpc_gateway]}/events/evt-1" \
      "$LOW_REQUESTS" --h1 -c 1
    check_bytes rest "REST GET /events/evt-1 via grpc-gateway v1 at -c 1"
    add gg.p50 "$R_P50"; add gg.mean "$R_MEAN"; add gg.p99 "$R_P99"
  fi
  echo "run $run: ${line%, }" >&2

  # gRPC-Web and REST over h2c: the same HTTP/2 load and load generator mode as the native runs,
  # so the ratio is the translation's cost, not HTTP/1.1's.
  line=""
  h2_sample web2 "gRPC-Web GetEvent over h2c (run $run)" "http://127.0.0.1:$gw_port$GET_EVENT" \
    "${WEB_HEADERS[@]}" -d "$BENCH_TMP/get_event.bin"
  h2_sample rest2 "REST GET /events/evt-1 over h2c (run $run)" "http://127.0.0.1:$gw_port/events/evt-1"
  gw_h2load "$BENCH_TMP/low.log" "http://127.0.0.1:$gw_port$GET_EVENT" "$LOW_REQUESTS" -c 1 -m 1 \
    "${WEB_HEADERS[@]}" -d "$BENCH_TMP/get_event.bin"
  check_bytes web2 "gRPC-Web GetEvent over h2c at -c 1"
  add web2.p50 "$R_P50"; add web2.mean "$R_MEAN"; add web2.p99 "$R_P99"
  gw_h2load "$BENCH_TMP/low.log" "http://127.0.0.1:$gw_port/events/evt-1" "$LOW_REQUESTS" -c 1 -m 1
  check_bytes rest2 "REST GET /events/evt-1 over h2c at -c 1"
  add rest2.p50 "$R_P50"; add rest2.mean "$R_MEAN"; add rest2.p99 "$R_P99"
  echo "run $run: ${line%, }" >&2
done

# ---- server streaming: WatchStockPrice with a 1 ms tick ----------------------------------------
# Every stream is offered one PriceUpdate per tick; a stream that reads slower than that gets the
# newest price with dropped_since_last set (stream_queue: 1). So delivered messages/s at this
# offered load is what the path can carry. h2load cannot count gRPC messages: it counts DATA
# payload bytes, and a PriceUpdate for ACME is 23 bytes framed (25 with dropped_since_last < 128).

printf 'services:\n  stock: {tick_interval: %s}\n' "$WATCH_TICK" >"$BENCH_TMP/stock-fast.yaml"
bench_serve stock "$stock_port" --config "$BENCH_TMP/stock-fast.yaml"
stock_pid=${BENCH_PIDS[${#BENCH_PIDS[@]}-1]}
gw_start_gateways
gw_load "streaming"
watch_streams=$((WATCH_CLIENTS * WATCH_STREAMS))
for run in $(seq 1 "$RUNS"); do
  # direct1: the same streams on one connection, the shape of the gateway's pooled upstream.
  for p in direct direct1 gateway; do
    port=$stock_port wc=$WATCH_CLIENTS wm=$WATCH_STREAMS
    [ "$p" = direct1 ] && wc=1 wm=$watch_streams
    [ "$p" = gateway ] && port=$gw_port
    proxy_cpu0=$(gw_cpu_ticks "${PID[gateway]}") backend_cpu0=$(gw_cpu_ticks "$stock_pid")
    out=$(timeout $((WATCH_SECONDS + 30)) h2load -D "$WATCH_SECONDS" -t 1 -c "$wc" \
      -m "$wm" "${GRPC_HEADERS[@]}" -d "$BENCH_TMP/watch_acme.bin" \
      "http://127.0.0.1:$port$WATCH") || die "h2load WatchStockPrice via $p failed or timed out"
    ok=$(echo "$out" | awk '/^status codes:/ {print $3}')
    [ "$ok" = "$watch_streams" ] || { echo "$out" >&2; die "WatchStockPrice via $p: ${ok:-0} of $watch_streams streams got 200"; }
    seconds=$(echo "$out" | awk '/^finished in/ {sub(/s,$/, "", $3); print $3}')
    bytes=$(echo "$out" | sed -nE 's/^traffic:.*\(([0-9]+)\) data$/\1/p')
    bps=$(echo "$bytes $seconds" | awk '{printf "%.0f", $1/$2}')
    add "watch.$p" "$bps"
    add "watch.$p.bcpu" "$(echo "$(( $(gw_cpu_ticks "$stock_pid") - backend_cpu0 )) $CLK_TCK $seconds" | awk '{printf "%.0f", 100*$1/$2/$3}')"
    [ "$p" = gateway ] && add watch.gateway.cpu "$(echo "$(( $(gw_cpu_ticks "${PID[gateway]}") - proxy_cpu0 )) $CLK_TCK $seconds" | awk '{printf "%.0f", 100*$1/$2/$3}')"
    echo "run $run: WatchStockPrice via $p: $bps DATA bytes/s (~$((bps / 24)) messages/s)" >&2
  done
done
gw_stop_pid "$stock_pid"

# ---- memory per idle proxied stream ------------------------------------------------------------
# A fresh gateway in front of a stock server that ticks once an hour: each stream receives its
# first price and then nothing. VmRSS of both before the streams, once all have their first
# message, and after the client cancelled them all (RUNS open/cancel cycles on one gateway).

if [ "$HAVE_NODE" = 1 ]; then
cat >"$BENCH_TMP/idle_streams.js" <<'EOF'
// Opens N WatchStockPrice streams over C HTTP/2 connections (node's built-in http2), prints
// "open N MS" once every stream has its first message, holds them until SIGTERM, then cancels
// every stream (RST_STREAM CANCEL, as a gRPC client does), closes, and exits.
const http2 = require('http2');
const [url, nArg, cArg] = process.argv.slice(2);
const n = Number(nArg), c = Number(cArg);
const body = Buffer.from([0, 0, 0, 0, 6, 0x0a, 4, ...Buffer.from('ACME')]);
const sessions = [], requests = [];
let first = 0, closing = false;
const started = Date.now();
function fail(why) { console.log('error ' + why); process.exit(1); }
for (let s = 0; s < c; s++) {
  const session = http2.connect(url, { maxSessionMemory: 1000, peerMaxConcurrentStreams: n });
  session.on('error', (e) => closing || fail('session: ' + e.message));
  sessions.push(session);
  const count = Math.floor(n / c) + (s < n % c ? 1 : 0);
  for (let i = 0; i < count; i++) {
    const req = session.request({
      ':method': 'POST', ':path': '/switchboard.stock.v1.StockService/WatchStockPrice',
      'content-type': 'application/grpc', 'te': 'trailers',
    });
    let got = false;
    req.on('response', (h) => {
      if (h[':status'] !== 200 || h['grpc-status'] !== undefined) fail('response ' + JSON.stringify(h));
    });
    req.on('data', () => {
      if (got) return;
      got = true;
      if (++first === n) console.log(`open ${n} ${Date.now() - started}`);
    });
    req.on('end', () => closing || fail('a stream ended before it was cancelled'));
    req.on('error', (e) => closing || fail('stream: ' + e.message));
    req.end(body);
    requests.push(req);
  }
}
process.on('SIGTERM', () => {
  closing = true;
  for (const r of requests) r.close(http2.constants.NGHTTP2_CANCEL);
  for (const s of sessions) s.close();
  setTimeout(() => { console.log('closed'); process.exit(0); }, 500);
});
EOF

idle_stock_port=$(bench_free_port)
printf 'services:\n  stock: {tick_interval: 1h}\n' >"$BENCH_TMP/stock-idle.yaml"
# At info: each stream cancelled at the backend is one "status=CANCELLED" line, counted below.
BENCH_LOG_LEVEL=info bench_serve stock "$idle_stock_port" --config "$BENCH_TMP/stock-idle.yaml"
idle_stock_pid=${BENCH_PIDS[${#BENCH_PIDS[@]}-1]}
idle_gw_port=$(bench_free_port)
gw_gateway_config "$BENCH_TMP/gateway-idle.yaml" "$idle_gw_port" "$ticket_port" "$idle_stock_port"
gw_start gateway_idle "$idle_gw_port" "$SWITCHBOARD" gateway --config "$BENCH_TMP/gateway-idle.yaml"
idle_gw_pid=${PID[gateway_idle]}
sleep 0.5
gw_load "idle streams"
idle_rss_start=$(gw_rss_kib "$idle_gw_pid")
for run in $(seq 1 "$RUNS"); do
  rss0=$(gw_rss_kib "$idle_gw_pid") brss0=$(gw_rss_kib "$idle_stock_pid")
  cancelled_before=$(grep -c 'WatchStockPrice status=CANCELLED' "$BENCH_TMP/stock-$idle_stock_port.log" || true)
  node "$BENCH_TMP/idle_streams.js" "http://127.0.0.1:$idle_gw_port" "$IDLE_STREAMS" \
    "$IDLE_CONNECTIONS" >"$BENCH_TMP/idle.out" 2>&1 &
  node_pid=$!
  BENCH_PIDS+=("$node_pid")
  for _ in $(seq 1 600); do  # 60 s at most
    grep -qE '^(open|error)' "$BENCH_TMP/idle.out" && break
    kill -0 "$node_pid" 2>/dev/null || break
    sleep 0.1
  done
  grep -q '^open' "$BENCH_TMP/idle.out" || { cat "$BENCH_TMP/idle.out" >&2; die "the $IDLE_STREAMS idle streams did not all open"; }
  open_ms=$(awk '/^open/ {print $3}' "$BENCH_TMP/idle.out")
  sleep 1
  rss1=$(gw_rss_kib "$idle_gw_pid") brss1=$(gw_rss_kib "$idle_stock_pid")
  gw_stop_pid "$node_pid"  # its SIGTERM handler cancels every stream, then it exits
  sleep 2
  rss2=$(gw_rss_kib "$idle_gw_pid")
  # The stock server logs each cancelled call: did every cancel reach the backend?
  cancelled=$(grep -c 'WatchStockPrice status=CANCELLED' "$BENCH_TMP/stock-$idle_stock_port.log" || true)
  add idle.kib "$(echo "$rss0 $rss1 $IDLE_STREAMS" | awk '{printf "%.2f", ($2-$1)/$3}')"
  add idle.bkib "$(echo "$brss0 $brss1 $IDLE_STREAMS" | awk '{printf "%.2f", ($2-$1)/$3}')"
  add idle.open_ms "$open_ms"
  IDLE_ROWS+="| $run | $rss0 | $rss1 | $rss2 | $(echo "$rss0 $rss1 $IDLE_STREAMS" | awk '{printf "%.2f", ($2-$1)/$3}') | $(echo "$brss0 $brss1 $IDLE_STREAMS" | awk '{printf "%.2f", ($2-$1)/$3}') | $open_ms ms | $((cancelled - cancelled_before)) |"$'\n'
  echo "run $run: $IDLE_STREAMS idle streams: gateway RSS $rss0 -> $rss1 KiB, $rss2 KiB after cancel" >&2
  kill -0 "$idle_gw_pid" 2>/dev/null || die "the gateway exited during the idle-stream test"
done
idle_rss_end=$(gw_rss_kib "$idle_gw_pid")
fi
gw_load "end"

# ---- report ------------------------------------------------------------------------------------

ratio() { echo "$1 $2" | awk '{ if ($2 == 0 || $1 == "nan" || $2 == "nan") print "n/a"; else printf "%.2f", $1/$2 }'; }
verdict() {  # VALUE TARGET: ">= target" check
  echo "$1 $2" | awk '{ if ($1 == "n/a") print "n/a"; else if ($1 >= $2) print "met"; else print "**missed**" }'
}
fmt0() { printf '%.0f' "$1"; }
diff_us() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%+.0f us", a - b}'; }  # A-B, signed
div() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.0f", a / b}'; }

direct_qps=$(med direct.qps)
gateway_qps=$(med gateway.qps)
echo "## Gateway data path: native gRPC, gRPC-Web, REST and streaming beside direct and peers"
echo
echo "command: BACKEND=$BACKEND RUNS=$RUNS bench/gateway.sh $BUILD_DIR (median of $RUNS runs; one ticket server behind every path)"
echo "backend (every unary path, native gRPC, gRPC-Web and REST): $backend_note"
bench_machine
echo "binary: $binary_note"
echo "peers: $(command -v nghttpx >/dev/null && nghttpx --version | head -1), $(command -v haproxy >/dev/null && haproxy -v | head -1 | awk '{print "HAProxy " $3}'), $(command -v nginx >/dev/null && nginx -v 2>&1 | sed 's/.*: //'), $([ -n "${PORT[grpc_gateway]:-}" ] && echo "grpc-gateway $(dpkg-query -W -f='${Version}' golang-github-grpc-ecosystem-grpc-gateway-dev 2>/dev/null || echo v1) (bench/go/rest_gateway)" || echo "grpc-gateway: ${GO_SKIP[rest_gateway]}")"
echo "load average (1/5/15 min) during the run: $(printf '%s; ' "${LOADS[@]}")"
echo
echo "### Native gRPC unary GetEvent"
echo
echo "\`h2load -n $REQUESTS -c $CLIENTS -m $STREAMS -t 1\`, content-type application/grpc, te trailers, GetEventRequest{id:\"evt-1\"} framed (12 bytes). CPU is the proxy's (all its processes) and the backend's user+system time over the run, per request."
echo
echo "| path | req/s | vs direct | gateway vs this | proxy CPU/req | backend CPU/req |"
echo "|---|---|---|---|---|---|"
for p in "${PATHS[@]}"; do
  q=$(med "$p.qps")
  cpu=n/a
  [ "$p" != direct ] && cpu="$(echo "$(med "$p.cpu") $REQUESTS" | awk '{printf "%.1f", $1/$2}') us"
  bcpu="$(echo "$(med "$p.bcpu") $REQUESTS" | awk '{printf "%.1f", $1/$2}') us"
  gvs=$(ratio "$gateway_qps" "$q")
  [ "$p" = gateway ] && gvs=1.00
  label=$p
  [ "$p" = gateway_log ] && label="gateway, access log on (default --log-level info)"
  echo "| $label | $(fmt0 "$q") | $(ratio "$q" "$direct_qps") | $gvs | $cpu | $bcpu |"
done
for p in "${!SKIPPED[@]}"; do echo "| $p | ${SKIPPED[$p]} | | | | |"; done
echo
echo "Per-run req/s: $(for p in "${PATHS[@]}"; do printf '%s%s; ' "$p" "${S[$p.qps]}"; done)"
echo
echo "### Added latency at one request in flight"
echo
echo "\`h2load -n $LOW_REQUESTS -c 1 -m 1 -t 1 --log-file\` (gRPC-Web and REST: \`--h1 -c 1\` to the gateway), per-request times from the log; added = this path minus direct native gRPC."
echo
echo "| path | p50 | mean | p99 | added p50 | added mean |"
echo "|---|---|---|---|---|---|"
d50=$(med direct.p50) dmean=$(med direct.mean)
low_paths=("${PATHS[@]}" web rest web2 rest2)
[ -n "${PORT[grpc_gateway]:-}" ] && low_paths+=(gg)
for p in "${low_paths[@]}"; do
  label=$p
  [ "$p" = web ] && label="gateway, gRPC-Web (HTTP/1.1)"
  [ "$p" = rest ] && label="gateway, REST GET /events/evt-1 (HTTP/1.1)"
  [ "$p" = web2 ] && label="gateway, gRPC-Web (h2c)"
  [ "$p" = rest2 ] && label="gateway, REST GET /events/evt-1 (h2c)"
  [ "$p" = gg ] && label="grpc-gateway v1, REST GET /events/evt-1 (HTTP/1.1)"
  [ "$p" = gateway ] && label="gateway, native gRPC"
  [ "$p" = gateway_log ] && label="gateway, native gRPC, access log on"
  p50=$(med "$p.p50") mean=$(med "$p.mean") p99=$(med "$p.p99")
  if [ "$p" = direct ]; then
    echo "| direct | $(fmt0 "$p50") us | $(fmt0 "$mean") us | $(fmt0 "$p99") us | | |"
  else
    echo "| $label | $(fmt0 "$p50") us | $(fmt0 "$mean") us | $(fmt0 "$p99") us | $(diff_us "$p50" "$d50") | $(diff_us "$mean" "$dmean") |"
  fi
done
echo
echo "### HTTP/1.1 through the gateway"
echo
h1_main=${H1_CLIENTS%% *}
echo "\`h2load --h1 -n $REQUESTS -c N -t 1\`: N connections with one request in flight on each (h2load does not pipeline a POST), so N = $h1_main has as many requests in flight as the native runs ($CLIENTS x $STREAMS); the targets use that row. gRPC-Web: POST with content-type application/grpc-web+proto and the same framed body; REST: GET /events/evt-1 (JSON). grpc-gateway v1 takes the same REST load in front of the same backend (its generated reverse proxy, one grpc-go client connection, JSON with the proto3 names, so the same 177 bytes as ours). Ratios are against direct native gRPC in the same runs; \"ours vs this\" is our gateway's REST req/s over grpc-gateway's at the same connection count."
echo
echo "| protocol | connections | req/s | vs direct native | target | proxy CPU/req | ours vs this |"
echo "|---|---|---|---|---|---|---|"
web_ratio=$(ratio "$(med "web.$h1_main.qps")" "$direct_qps")
rest_ratio=$(ratio "$(med "rest.$h1_main.qps")" "$direct_qps")
for h1c in $H1_CLIENTS; do
  for kind in web rest; do
    r=$(ratio "$(med "$kind.$h1c.qps")" "$direct_qps")
    if [ "$kind" = web ]; then label="gRPC-Web GetEvent" target=0.40; else label="REST GET /events/evt-1" target=0.35; fi
    t=""
    [ "$h1c" = "$h1_main" ] && t=">= $target ($(verdict "$r" "$target"))"
    echo "| $label | $h1c | $(fmt0 "$(med "$kind.$h1c.qps")") | $r | $t | $(echo "$(med "$kind.$h1c.cpu") $REQUESTS" | awk '{printf "%.1f", $1/$2}') us | |"
  done
  if [ -n "${PORT[grpc_gateway]:-}" ]; then
    echo "| grpc-gateway v1 REST GET /events/evt-1 | $h1c | $(fmt0 "$(med "gg.$h1c.qps")") | $(ratio "$(med "gg.$h1c.qps")" "$direct_qps") | | $(echo "$(med "gg.$h1c.cpu") $REQUESTS" | awk '{printf "%.1f", $1/$2}') us | $(ratio "$(med "rest.$h1c.qps")" "$(med "gg.$h1c.qps")") |"
  else
    echo "| grpc-gateway v1 REST GET /events/evt-1 | ${GO_SKIP[rest_gateway]} | | | | | |"
  fi
  if [ -n "${PORT[nghttpx]:-}" ]; then
    echo "| reference: nghttpx, HTTP/1.1 POST application/grpc to the h2 backend (no translation) | $h1c | $(fmt0 "$(med "nx1.$h1c.qps")") | $(ratio "$(med "nx1.$h1c.qps")" "$direct_qps") | | $(echo "$(med "nx1.$h1c.cpu") $REQUESTS" | awk '{printf "%.1f", $1/$2}') us | |"
  fi
done
echo
echo "Per-run req/s: $(for h1c in $H1_CLIENTS; do printf 'gRPC-Web -c %s%s; REST -c %s%s; grpc-gateway -c %s%s; nghttpx -c %s%s; ' "$h1c" "${S[web.$h1c.qps]}" "$h1c" "${S[rest.$h1c.qps]}" "$h1c" "${S[gg.$h1c.qps]:-}" "$h1c" "${S[nx1.$h1c.qps]:-}"; done)"
echo
echo "### gRPC-Web and REST over h2c through the gateway"
echo
echo "\`h2load -n $REQUESTS -c $CLIENTS -m $STREAMS -t 1\`, the native runs' load and HTTP/2 mode, to the same gateway port: gRPC-Web as POST with content-type application/grpc-web+proto and the same framed body, REST as GET /events/evt-1. The transport and the load generator's cost per request are the direct baseline's, so the ratio is what translating costs."
echo
echo "| protocol | req/s | vs direct native | target | vs gateway native | gateway CPU/req |"
echo "|---|---|---|---|---|---|"
web2_ratio=$(ratio "$(med web2.qps)" "$direct_qps")
rest2_ratio=$(ratio "$(med rest2.qps)" "$direct_qps")
echo "| gRPC-Web GetEvent | $(fmt0 "$(med web2.qps)") | $web2_ratio | >= 0.40 ($(verdict "$web2_ratio" 0.4)) | $(ratio "$(med web2.qps)" "$gateway_qps") | $(echo "$(med web2.cpu) $REQUESTS" | awk '{printf "%.1f", $1/$2}') us |"
echo "| REST GET /events/evt-1 | $(fmt0 "$(med rest2.qps)") | $rest2_ratio | >= 0.35 ($(verdict "$rest2_ratio" 0.35)) | $(ratio "$(med rest2.qps)" "$gateway_qps") | $(echo "$(med rest2.cpu) $REQUESTS" | awk '{printf "%.1f", $1/$2}') us |"
echo "| native gRPC (for comparison) | $(fmt0 "$gateway_qps") | $(ratio "$gateway_qps" "$direct_qps") | | 1.00 | $(echo "$(med gateway.cpu) $REQUESTS" | awk '{printf "%.1f", $1/$2}') us |"
echo
echo "Per-run req/s: gRPC-Web${S[web2.qps]}; REST${S[rest2.qps]}"
echo
echo "### Server streaming: WatchStockPrice"
echo
echo "One stock server (\`switchboard serve stock\`, whatever BACKEND is) with \`tick_interval: $WATCH_TICK\`; \`h2load -D $WATCH_SECONDS -c $WATCH_CLIENTS -m $WATCH_STREAMS -t 1\` = $watch_streams streams on symbol ACME, each offered 1 update per tick ($(echo "$watch_streams $WATCH_TICK" | awk '{t=$2; sub(/ms$/,"",t); printf "%.0f", $1*1000/t}') messages/s in all). A stream that reads slower than the ticks gets only the newest price (stream_queue 1), so this is the rate the path delivers under overload. h2load counts DATA payload bytes, not messages: a framed PriceUpdate is 23 bytes (25 when it reports drops), so messages/s ~= bytes/s / 24 (+-4%)."
echo
echo "| path | DATA bytes/s | ~messages/s | vs direct | stock server CPU | gateway CPU |"
echo "|---|---|---|---|---|---|"
wd=$(med watch.direct) wg=$(med watch.gateway)
w1=$(med watch.direct1)
echo "| direct | $(fmt0 "$wd") | $(div "$wd" 24) | 1.00 | $(med watch.direct.bcpu)% | |"
echo "| direct, all $watch_streams streams on 1 connection | $(fmt0 "$w1") | $(div "$w1" 24) | $(ratio "$w1" "$wd") | $(med watch.direct1.bcpu)% | |"
echo "| gateway | $(fmt0 "$wg") | $(div "$wg" 24) | $(ratio "$wg" "$wd") | $(med watch.gateway.bcpu)% | $(med watch.gateway.cpu)% |"
echo
echo "Per-run bytes/s: direct${S[watch.direct]}; direct on 1 connection${S[watch.direct1]}; gateway${S[watch.gateway]} (CPU in % of one core). The gateway holds one pooled HTTP/2 connection to the stock server, which the \"1 connection\" row reproduces without a proxy."
echo
echo "### Memory per idle proxied stream"
echo
if [ "$HAVE_NODE" = 0 ]; then
  echo "Skipped: node is not installed (the client that holds the streams is a node script)."
else
echo "A fresh gateway in front of a stock server with \`tick_interval: 1h\`; a node client (built-in http2) opens $IDLE_STREAMS WatchStockPrice streams over $IDLE_CONNECTIONS connections, waits until every stream has its first message, 1 s later VmRSS is read, then it cancels them all (RST_STREAM CANCEL) and VmRSS is read again 2 s later. $RUNS cycles on the same gateway."
echo
echo "| cycle | gateway RSS before (KiB) | with streams | after cancel | gateway KiB/stream | stock server KiB/stream | all open after | backend calls ended CANCELLED |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s' "$IDLE_ROWS"
echo
first() { echo "${S[$1]}" | awk '{print $1}'; }
echo "Gateway memory per idle proxied stream: $(first idle.kib) KiB on the first cycle (the stock server, a grpc++ callback server, $(first idle.bkib) KiB for the same streams). Later cycles reuse memory the first one freed (median over all cycles: $(med idle.kib) KiB), so the first cycle is the cost and the RSS after cancel shows what is kept: $idle_rss_start KiB at start, $idle_rss_end KiB after the last cycle."
fi
echo
echo "### Targets"
echo
g_direct=$(ratio "$gateway_qps" "$direct_qps")
echo "- native gRPC through the gateway >= 0.5x direct: $g_direct ($(verdict "$g_direct" 0.5))"
if [ -n "${PORT[nginx]:-}" ]; then
  g_nginx=$(ratio "$gateway_qps" "$(med nginx.qps)")
  echo "- gateway >= 5x nginx grpc_pass: $g_nginx ($(verdict "$g_nginx" 5))"
fi
if [ -n "${PORT[nghttpx]:-}" ]; then
  g_nghttpx=$(ratio "$gateway_qps" "$(med nghttpx.qps)")
  echo "- gateway >= nghttpx (design doc): $g_nghttpx ($(verdict "$g_nghttpx" 1))"
fi
echo "- gRPC-Web >= 0.4x direct native: h2c $web2_ratio ($(verdict "$web2_ratio" 0.4)); HTTP/1.1 at $h1_main connections $web_ratio ($(verdict "$web_ratio" 0.4))"
echo "- REST >= 0.35x direct native: h2c $rest2_ratio ($(verdict "$rest2_ratio" 0.35)); HTTP/1.1 at $h1_main connections $rest_ratio ($(verdict "$rest_ratio" 0.35))"
if [ -n "${PORT[grpc_gateway]:-}" ]; then
  echo "- REST, ours vs grpc-gateway v1 at $h1_main connections (no target): $(ratio "$(med "rest.$h1_main.qps")" "$(med "gg.$h1_main.qps")")"
fi
least=""
for p in "${PATHS[@]}"; do
  [ "$p" = direct ] || [ "$p" = gateway ] || [ "$p" = gateway_log ] && continue
  least+="$p $(diff_us "$(med "$p.mean")" "$dmean"), "
done
echo "- added mean latency less than every peer (design doc): gateway $(diff_us "$(med gateway.mean)" "$dmean"); ${least%, }"
echo
echo "### Commands"
echo
echo '```sh'
echo "# backend (every unary path): $backend_cmd"
echo "$BUILD_DIR/switchboard gateway --config gateway.yaml --log-level warn   # and without --log-level"
for p in nghttpx haproxy nginx; do [ -n "${CMD[$p]:-}" ] && echo "${CMD[$p]//$BENCH_TMP/TMP}"; done
[ -n "${CMD[grpc_gateway]:-}" ] && echo "${CMD[grpc_gateway]//$BENCH_TMP/$BUILD_DIR/bench-go}  # grpc-gateway v1"
echo "h2load -n $REQUESTS -c $CLIENTS -m $STREAMS -t 1 -H 'content-type: application/grpc' -H 'te: trailers' -d get_event.bin http://127.0.0.1:PORT$GET_EVENT"
echo "h2load -n $LOW_REQUESTS -c 1 -m 1 -t 1 -H 'content-type: application/grpc' -H 'te: trailers' -d get_event.bin --log-file=low.log http://127.0.0.1:PORT$GET_EVENT"
echo "h2load --h1 -n $REQUESTS -c N -t 1 -H 'content-type: application/grpc-web+proto' -H 'x-grpc-web: 1' -d get_event.bin http://127.0.0.1:$gw_port$GET_EVENT"
echo "h2load --h1 -n $REQUESTS -c N -t 1 http://127.0.0.1:$gw_port/events/evt-1"
echo "h2load -n $REQUESTS -c $CLIENTS -m $STREAMS -t 1 -H 'content-type: application/grpc-web+proto' -H 'x-grpc-web: 1' -d get_event.bin http://127.0.0.1:$gw_port$GET_EVENT   # h2c"
echo "h2load -n $REQUESTS -c $CLIENTS -m $STREAMS -t 1 http://127.0.0.1:$gw_port/events/evt-1   # h2c"
[ -n "${PORT[grpc_gateway]:-}" ] && echo "h2load --h1 -n $REQUESTS -c N -t 1 http://127.0.0.1:${PORT[grpc_gateway]}/events/evt-1   # grpc-gateway v1"
echo "h2load --h1 -n $REQUESTS -c N -t 1 -H 'content-type: application/grpc' -H 'te: trailers' -d get_event.bin http://127.0.0.1:NGHTTPX_PORT$GET_EVENT   # reference"
echo "h2load -D $WATCH_SECONDS -c $WATCH_CLIENTS -m $WATCH_STREAMS -t 1 -H 'content-type: application/grpc' -H 'te: trailers' -d watch_acme.bin http://127.0.0.1:PORT$WATCH"
[ "$HAVE_NODE" = 1 ] && echo "node idle_streams.js http://127.0.0.1:$idle_gw_port $IDLE_STREAMS $IDLE_CONNECTIONS"
echo '```'
echo
echo "gateway.yaml:"
echo '```yaml'
sed "s|$BENCH_TMP/||" "$BENCH_TMP/gateway.yaml"
echo '```'
if [ -n "${PORT[haproxy]:-}" ]; then
  echo
  echo "haproxy.cfg:"
  echo '```'
  cat "$BENCH_TMP/haproxy.cfg"
  echo '```'
fi
if [ -n "${PORT[nginx]:-}" ]; then
  echo
  echo "nginx.conf:"
  echo '```'
  sed "s|$BENCH_TMP|TMP|g" "$BENCH_TMP/nginx/nginx.conf"
  echo '```'
fi
