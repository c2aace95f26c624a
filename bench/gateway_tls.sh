#!/usr/bin/env bash
# The gateway's TLS listener beside nghttpx and HAProxy, in one run, in front of one ticket
# server, with one certificate (P-256 ECDSA, made here by openssl) and TLS 1.3 everywhere:
# native gRPC unary req/s over TLS (and the gateway's h2c port as the reference: what TLS
# costs), new TLS handshakes per second, full and resumed, and memory per idle TLS connection.
# Median of RUNS runs in rotating order; prints a markdown section
# (docs/benchmarks-gateway.md, "TLS").
#
# Usage: bench/gateway_tls.sh [BUILD_DIR]   (RUNS=3, REQUESTS=40000, CLIENTS=8, STREAMS=32,
#        HANDSHAKE_SECONDS=5, HANDSHAKE_CONCURRENCY=16, IDLE_CONNECTIONS=2000,
#        TLS13_CIPHER=TLS_AES_128_GCM_SHA256, PROXY_CPU=0, LOADGEN_CPU=<last core>)
# Needs h2load (nghttp2-client), openssl, taskset, bench_tls_clients (cmake --build BUILD_DIR
# --target bench_tls_clients); peers: apt-get install -y nghttp2-proxy haproxy (a missing one
# is skipped and named in the tables).
set -euo pipefail
BUILD_DIR=${1:-build}
RUNS=${RUNS:-3}
REQUESTS=${REQUESTS:-40000}
CLIENTS=${CLIENTS:-8}
STREAMS=${STREAMS:-32}
HANDSHAKE_SECONDS=${HANDSHAKE_SECONDS:-5}
HANDSHAKE_CONCURRENCY=${HANDSHAKE_CONCURRENCY:-16}
IDLE_CONNECTIONS=${IDLE_CONNECTIONS:-2000}
TLS13_CIPHER=${TLS13_CIPHER:-TLS_AES_128_GCM_SHA256}
PROXY_CPU=${PROXY_CPU:-0}
LOADGEN_CPU=${LOADGEN_CPU:-$(($(nproc) - 1))}
H2LOAD_TIMEOUT=${H2LOAD_TIMEOUT:-120}  # seconds; every load generator run is bounded
START_ATTEMPTS=100                     # 0.1 s apart: a proxy has 10 s to answer its first call
IDLE_SETTLE_SECONDS=1                  # after the last handshake, before RSS is read
SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
SWITCHBOARD=$(realpath "$BUILD_DIR/switchboard")
DESCRIPTORS=$(realpath "$BUILD_DIR/switchboard.pb")
TLS_CLIENTS=$(realpath "$BUILD_DIR/bench/bench_tls_clients" 2>/dev/null || true)
source "$SCRIPT_DIR/lib.sh"
source "$SCRIPT_DIR/lib_servers.sh"

die() { echo "bench/gateway_tls.sh: $*" >&2; exit 1; }
for tool in h2load openssl taskset; do command -v "$tool" >/dev/null || die "$tool not found"; done
[ -x "$TLS_CLIENTS" ] || die "no $BUILD_DIR/bench/bench_tls_clients: cmake --build $BUILD_DIR --target bench_tls_clients"
[ "$LOADGEN_CPU" -lt "$(nproc)" ] && [ "$PROXY_CPU" -lt "$(nproc)" ] \
  || die "PROXY_CPU=$PROXY_CPU LOADGEN_CPU=$LOADGEN_CPU: this machine has $(nproc) cores"

# Every process started here is stopped on every exit path: TERM, KILL after 5 s, then the
# temp dir (nghttpx's worker is its child and goes with it).
tls_cleanup() {
  local pid
  for pid in "${BENCH_PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    local alive=0
    for pid in "${BENCH_PIDS[@]:-}"; do [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for pid in "${BENCH_PIDS[@]:-}"; do [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true; done
  for pid in "${BENCH_PIDS[@]:-}"; do [ -n "$pid" ] && wait "$pid" 2>/dev/null || true; done
  [ -n "${BENCH_TMP:-}" ] && rm -rf "$BENCH_TMP"
}
trap tls_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bench_snapshot_binary
cp "$TLS_CLIENTS" "$BENCH_TMP/bench_tls_clients"
TLS_CLIENTS="$BENCH_TMP/bench_tls_clients"
LOADGEN=(taskset -c "$LOADGEN_CPU")
PINNED=(taskset -c "$PROXY_CPU")
CLK_TCK=$(getconf CLK_TCK)

# One P-256 ECDSA certificate for 127.0.0.1 for every server (HAProxy wants it and its key in
# one file).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$BENCH_TMP/server.key" -out "$BENCH_TMP/server.pem" 2>/dev/null
cat "$BENCH_TMP/server.pem" "$BENCH_TMP/server.key" >"$BENCH_TMP/server-and-key.pem"

printf '\x00\x00\x00\x00\x07\x0a\x05evt-1' >"$BENCH_TMP/get_event.bin"
GET_EVENT=/switchboard.ticket.v1.TicketService/GetEvent
GRPC=(-H 'content-type: application/grpc' -H 'te: trailers' -d "$BENCH_TMP/get_event.bin")
GET_EVENT_DATA_BYTES=78  # the framed Event of evt-1: a gRPC error would be 0 (bench/gateway.sh)

declare -A S PORT PID CMD URL
add() { S[$1]="${S[$1]:-} $2"; }
med() { [ -n "${S[$1]:-}" ] && bench_median ${S[$1]} || echo nan; }
LOADS=()

# start NAME URL COMMAND...: starts a server pinned to PROXY_CPU, waits until GetEvent through
# URL succeeds.
start() {
  local name=$1 url=$2; shift 2
  "${PINNED[@]}" "$@" >"$BENCH_TMP/$name.log" 2>&1 &
  local pid=$!
  BENCH_PIDS+=("$pid")
  PID[$name]=$pid URL[$name]=$url CMD[$name]=$(printf '%q ' "$@")
  for _ in $(seq 1 "$START_ATTEMPTS"); do
    kill -0 "$pid" 2>/dev/null || { cat "$BENCH_TMP/$name.log" >&2; die "$name exited while starting"; }
    timeout 5 h2load -n 1 -c 1 "${GRPC[@]}" "$url$GET_EVENT" 2>/dev/null | grep -q '1 succeeded' \
      && return 0
    sleep 0.1
  done
  cat "$BENCH_TMP/$name.log" >&2
  die "$name: nothing answered GetEvent at $url"
}

backend_port=$(bench_free_port)
bench_serve ticket "$backend_port"

# The gateway: one event loop, as each peer runs one worker thread; both listeners in one
# process. Every client here is 127.0.0.1, so the per-client connection limit (1000 by default)
# is raised to let the idle connections in; the peers have no such limit.
gw_port=$(bench_free_port) gw_tls_port=$(bench_free_port)
gateway_config() {  # FILE PORT TLS_PORT
  cat >"$1" <<EOF
listen: 127.0.0.1:$2
workers: 1
tls:
  listen: 127.0.0.1:$3
  cert_file: $BENCH_TMP/server.pem
  key_file: $BENCH_TMP/server.key
descriptors: [$DESCRIPTORS]
services:
  switchboard.ticket.v1.TicketService:
    backends: [127.0.0.1:$backend_port]
limits:
  max_connections_per_client: $((IDLE_CONNECTIONS + HANDSHAKE_CONCURRENCY))
  max_connections: $((IDLE_CONNECTIONS + HANDSHAKE_CONCURRENCY + 100))
EOF
}
gateway_config "$BENCH_TMP/gateway.yaml" "$gw_port" "$gw_tls_port"
start gateway "https://127.0.0.1:$gw_tls_port" "$SWITCHBOARD" gateway \
  --config "$BENCH_TMP/gateway.yaml" --log-level warn
PID[gateway_h2c]=${PID[gateway]} URL[gateway_h2c]="http://127.0.0.1:$gw_port"
PATHS=(gateway gateway_h2c)
TLS_SERVERS=(gateway)
declare -A SKIPPED

nghttpx_start() {  # NAME PORT
  : >"$BENCH_TMP/$1.conf"  # not /etc/nghttpx/nghttpx.conf
  start "$1" "https://127.0.0.1:$2" nghttpx --conf="$BENCH_TMP/$1.conf" \
    --frontend="127.0.0.1,$2" --backend="127.0.0.1,$backend_port;;proto=h2" --workers=1 \
    --no-ocsp "$BENCH_TMP/server.key" "$BENCH_TMP/server.pem"
}
haproxy_start() {  # NAME PORT
  cat >"$BENCH_TMP/$1.cfg" <<EOF
global
  nbthread 1
  ssl-default-bind-options ssl-min-ver TLSv1.2
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend grpc_in
  bind 127.0.0.1:$2 ssl crt $BENCH_TMP/server-and-key.pem alpn h2,http/1.1
  default_backend ticket
backend ticket
  server s1 127.0.0.1:$backend_port proto h2
EOF
  start "$1" "https://127.0.0.1:$2" haproxy -f "$BENCH_TMP/$1.cfg" -db
}
for peer in nghttpx haproxy; do
  if command -v "$peer" >/dev/null; then
    "${peer}_start" "$peer" "$(bench_free_port)"
    PATHS+=("$peer") TLS_SERVERS+=("$peer")
  else
    SKIPPED[$peer]="not installed (apt-get install -y $([ "$peer" = nghttpx ] && echo nghttp2-proxy || echo haproxy))"
  fi
done

# utime+stime in clock ticks of PID and its children (nghttpx's worker is a child process).
cpu_ticks() {
  local total=0 pid t
  for pid in "$1" $(pgrep -P "$1" 2>/dev/null || true); do
    t=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13}') || t=0
    total=$((total + ${t:-0}))
  done
  echo "$total"
}
# VmRSS in KiB of PID and its children.
rss_kib() {
  local total=0 pid r
  for pid in "$1" $(pgrep -P "$1" 2>/dev/null || true); do
    r=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null) || r=0
    total=$((total + ${r:-0}))
  done
  echo "$total"
}
us_per() { awk -v t="$1" -v n="$2" -v hz="$CLK_TCK" 'BEGIN {printf "%.1f", t * 1e6 / hz / n}'; }

# ---- 1. native gRPC unary over TLS -------------------------------------------------------------

# unary PATH: one pinned h2load run; every call must succeed with the Event's bytes, over TLS 1.3
# with TLS13_CIPHER on the TLS paths. Records PATH.qps and PATH.cpu (us of the server per call).
unary() {
  local p=$1 out ok bytes cpu0
  cpu0=$(cpu_ticks "${PID[$p]}")
  out=$(timeout "$H2LOAD_TIMEOUT" "${LOADGEN[@]}" h2load -n "$REQUESTS" -c "$CLIENTS" \
    -m "$STREAMS" -t 1 --tls13-ciphers="$TLS13_CIPHER" "${GRPC[@]}" "${URL[$p]}$GET_EVENT") \
    || die "$p: h2load did not finish in ${H2LOAD_TIMEOUT}s"
  add "$p.cpu" "$(us_per "$(($(cpu_ticks "${PID[$p]}") - cpu0))" "$REQUESTS")"
  ok=$(echo "$out" | awk '/^requests:/ {print $8}')
  [ "$ok" = "$REQUESTS" ] || { echo "$out" >&2; die "$p: only ${ok:-0} of $REQUESTS succeeded"; }
  bytes=$(echo "$out" | sed -nE 's/^traffic:.*\(([0-9]+)\) data$/\1/p')
  [ "$bytes" = $((REQUESTS * GET_EVENT_DATA_BYTES)) ] \
    || die "$p: $bytes DATA bytes for $REQUESTS calls, expected $GET_EVENT_DATA_BYTES each (failed calls?)"
  if [ "$p" != gateway_h2c ]; then
    echo "$out" | grep -q "^TLS Protocol: TLSv1.3" && echo "$out" | grep -q "^Cipher: $TLS13_CIPHER" \
      || { echo "$out" >&2; die "$p: not TLS 1.3 with $TLS13_CIPHER"; }
  fi
  R_QPS=$(echo "$out" | awk '/^finished in/ {print $4}')
  add "$p.qps" "$R_QPS"
}

# ---- 2. handshakes per second ------------------------------------------------------------------

# handshakes SERVER full|resumed: HANDSHAKE_SECONDS of new connections (HANDSHAKE_CONCURRENCY at
# once), each counted when the server's first HTTP/2 frame arrives. Records SERVER.KIND.hs (per
# second), SERVER.KIND.cpu (server us per handshake) and SERVER.KIND.resumed (%).
handshakes() {
  local s=$1 kind=$2 out cpu0 n
  local resume=false
  [ "$kind" = resumed ] && resume=true
  cpu0=$(cpu_ticks "${PID[$s]}")
  out=$(timeout $((HANDSHAKE_SECONDS + 30)) "${LOADGEN[@]}" "$TLS_CLIENTS" --mode=handshakes \
    --address="${URL[$s]#https://}" --seconds="$HANDSHAKE_SECONDS" \
    --concurrency="$HANDSHAKE_CONCURRENCY" --resume="$resume" --tls13-ciphers="$TLS13_CIPHER") \
    || { echo "$out" >&2; die "$s: $kind handshakes failed"; }
  n=$(bench_field handshakes <(echo "$out"))
  add "$s.$kind.cpu" "$(us_per "$(($(cpu_ticks "${PID[$s]}") - cpu0))" "$n")"
  add "$s.$kind.hs" "$(bench_field per_second <(echo "$out"))"
  add "$s.$kind.resumed" "$(awk -v r="$(bench_field resumed <(echo "$out"))" -v n="$n" 'BEGIN {printf "%.0f", 100 * r / n}')"
}

echo "bench/gateway_tls.sh: paths ${PATHS[*]}; $RUNS runs; servers on CPU $PROXY_CPU, load generators on CPU $LOADGEN_CPU" >&2
LOADS+=("$(bench_load) (start)")
for run in $(seq 1 "$RUNS"); do
  LOADS+=("$(bench_load) (run $run)")
  line=""
  for k in $(seq 0 $((${#PATHS[@]} - 1))); do  # rotating, so no path always goes first
    p=${PATHS[$(((k + run - 1) % ${#PATHS[@]}))]}
    unary "$p"
    line+="$p $R_QPS req/s, "
  done
  echo "run $run: GetEvent: ${line%, }" >&2
  line=""
  for k in $(seq 0 $((${#TLS_SERVERS[@]} - 1))); do
    s=${TLS_SERVERS[$(((k + run - 1) % ${#TLS_SERVERS[@]}))]}
    for kind in full resumed; do
      handshakes "$s" "$kind"
      line+="$s $kind $(echo "${S[$s.$kind.hs]}" | awk '{print $NF}')/s, "
    done
  done
  echo "run $run: handshakes: ${line%, }" >&2
done

# ---- 3. memory per idle TLS connection ---------------------------------------------------------
# A fresh server of each kind: one call through it first (its backend connection and first
# allocations), then RUNS cycles of IDLE_CONNECTIONS connections that finish the handshake and
# the HTTP/2 preface and stay idle: RSS before, with them open, and 2 s after they closed.

IDLE_ROWS=""
idle_servers=()
declare -A FRESH  # RSS of each idle server before its first cycle
idle_gw_port=$(bench_free_port) idle_gw_tls_port=$(bench_free_port)
gateway_config "$BENCH_TMP/gateway-idle.yaml" "$idle_gw_port" "$idle_gw_tls_port"
start gateway_idle "https://127.0.0.1:$idle_gw_tls_port" "$SWITCHBOARD" gateway \
  --config "$BENCH_TMP/gateway-idle.yaml" --log-level warn
idle_servers+=(gateway_idle)
for peer in nghttpx haproxy; do
  if [ -n "${PID[$peer]:-}" ]; then
    "${peer}_start" "${peer}_idle" "$(bench_free_port)"
    idle_servers+=("${peer}_idle")
  fi
done
LOADS+=("$(bench_load) (idle connections)")
for run in $(seq 1 "$RUNS"); do
  for s in "${idle_servers[@]}"; do
    rss0=$(rss_kib "${PID[$s]}")
    [ -z "${FRESH[$s]:-}" ] && FRESH[$s]=$rss0
    coproc IDLE { exec "${LOADGEN[@]}" "$TLS_CLIENTS" --mode=idle --address="${URL[$s]#https://}" \
      --connections="$IDLE_CONNECTIONS" --concurrency="$HANDSHAKE_CONCURRENCY" --seconds=60 \
      --tls13-ciphers="$TLS13_CIPHER"; }
    idle_pid=$IDLE_PID
    BENCH_PIDS+=("$idle_pid")
    read -r -t 90 key open_ms <&"${IDLE[0]}" || true
    [ "${key:-}" = open_ms ] || die "$s: $IDLE_CONNECTIONS idle connections did not open (${key:-nothing} ${open_ms:-})"
    sleep "$IDLE_SETTLE_SECONDS"
    rss1=$(rss_kib "${PID[$s]}")
    exec {IDLE[1]}>&-  # stdin closed: the client closes every connection and exits
    read -r -t 30 key dropped <&"${IDLE[0]}" || true
    wait "$idle_pid" 2>/dev/null || true
    bench_forget "$idle_pid"
    [ "${key:-}" = dropped ] && [ "${dropped:-1}" = 0 ] \
      || die "$s: the server closed ${dropped:-?} of the idle connections while they were held"
    sleep 2
    rss2=$(rss_kib "${PID[$s]}")
    kib=$(awk -v a="${FRESH[$s]}" -v b="$rss1" -v n="$IDLE_CONNECTIONS" 'BEGIN {printf "%.1f", (b - a) / n}')
    add "$s.kib" "$kib"
    IDLE_ROWS+="| ${s%_idle} | $run | $rss0 | $rss1 | $rss2 | $kib | $open_ms ms |"$'\n'
    echo "run $run: $s: $IDLE_CONNECTIONS idle TLS connections: RSS $rss0 -> $rss1 KiB ($kib KiB each), $rss2 KiB after close" >&2
  done
done
LOADS+=("$(bench_load) (end)")

# ---- report ------------------------------------------------------------------------------------

fmt0() { printf '%.0f' "$1"; }
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { if (v == "n/a") print "n/a"; else if (v >= t) print "met"; else print "**missed**" }'; }
gw_qps=$(med gateway.qps)
echo "### TLS: native gRPC, handshakes and idle connections, gateway beside nghttpx and HAProxy"
echo
echo "command: RUNS=$RUNS bench/gateway_tls.sh $BUILD_DIR (medians of $RUNS runs, paths in rotating order)"
bench_machine
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'); shared with other work, so compare rows of one run only"
echo "binary: $binary_note"
echo "peers: $(command -v nghttpx >/dev/null && nghttpx --version | head -1), $(command -v haproxy >/dev/null && haproxy -v | head -1 | awk '{print "HAProxy " $3}'), $(openssl version)"
echo "TLS: TLS 1.3, $TLS13_CIPHER (the only suite the clients offer), X25519, one P-256 ECDSA certificate; every server single-threaded (gateway \`workers: 1\`, nghttpx \`--workers=1\`, HAProxy \`nbthread 1\`) and pinned with \`taskset -c $PROXY_CPU\`, every load generator pinned with \`taskset -c $LOADGEN_CPU\`; the ticket server is not pinned"
echo "load average (1/5/15 min): $(printf '%s; ' "${LOADS[@]}")"
echo
echo "#### Native gRPC unary GetEvent over TLS"
echo
echo "\`h2load -n $REQUESTS -c $CLIENTS -m $STREAMS -t 1 --tls13-ciphers=$TLS13_CIPHER\`, content-type application/grpc, te trailers, GetEventRequest{id:\"evt-1\"} framed; every call checked by its DATA bytes. CPU is the server's user+system time per call (all its processes). \`gateway h2c\` is the same gateway process's plaintext port: the difference is what TLS costs."
echo
echo "| path | req/s | gateway (TLS) vs this | target | server CPU/call | per-run req/s |"
echo "|---|---|---|---|---|---|"
for p in "${PATHS[@]}"; do
  q=$(med "$p.qps")
  r=$(bench_ratio "$gw_qps" "$q")
  target=""
  case $p in
    gateway) label="gateway, TLS" ;;
    gateway_h2c) label="gateway, h2c (reference)" ;;
    *) label="$p, TLS"; target=">= 1.0 ($(verdict "$r" 1))" ;;
  esac
  echo "| $label | $(fmt0 "$q") | $r | $target | $(med "$p.cpu") us |${S[$p.qps]} |"
done
for p in "${!SKIPPED[@]}"; do echo "| $p | ${SKIPPED[$p]} | | | | |"; done
echo
echo "#### New TLS handshakes per second"
echo
echo "\`bench_tls_clients --mode=handshakes --seconds=$HANDSHAKE_SECONDS --concurrency=$HANDSHAKE_CONCURRENCY\` (bench/bench_tls_clients.cc): $HANDSHAKE_CONCURRENCY connections at a time, each closed and replaced as soon as it is set up: TCP connect, TLS 1.3 handshake with ALPN h2, the client's HTTP/2 preface, and the server's first HTTP/2 frame. Full: no session offered. Resumed: each connection offers a ticket from an earlier one, used once (a PSK with X25519, as every TLS 1.3 client resumes); the resumed column is the share the server accepted. The client itself is single-threaded, so the rate may be the client's limit; server CPU per handshake is the comparison that holds."
echo
echo "| server | full/s | server CPU/full | resumed/s | server CPU/resumed | resumed | per-run full/s; resumed/s |"
echo "|---|---|---|---|---|---|---|"
for s in "${TLS_SERVERS[@]}"; do
  echo "| $s | $(fmt0 "$(med "$s.full.hs")") | $(med "$s.full.cpu") us | $(fmt0 "$(med "$s.resumed.hs")") | $(med "$s.resumed.cpu") us | $(med "$s.resumed.resumed")% |${S[$s.full.hs]};${S[$s.resumed.hs]} |"
done
echo
echo "#### Memory per idle TLS connection"
echo
echo "A fresh server of each kind; \`bench_tls_clients --mode=idle --connections=$IDLE_CONNECTIONS\` opens $IDLE_CONNECTIONS connections ($HANDSHAKE_CONCURRENCY handshakes at a time), each through the TLS 1.3 handshake and the HTTP/2 preface, and holds them idle; VmRSS (all the server's processes) before, ${IDLE_SETTLE_SECONDS} s after the last one opened, and 2 s after they all closed. $RUNS cycles on the same server. KiB/connection = (RSS with them open - RSS of the fresh server before its first cycle) / $IDLE_CONNECTIONS: memory one cycle frees is kept by the allocator and reused by the next, so each cycle's own \"before\" creeps up while this stays the cost of holding them."
echo
echo "| server | cycle | RSS before (KiB) | with $IDLE_CONNECTIONS open | after close | KiB/connection | time to open all |"
echo "|---|---|---|---|---|---|---|"
printf '%s' "$IDLE_ROWS"
echo
echo "KiB per idle TLS connection, median of the cycles: $(for s in "${idle_servers[@]}"; do printf '%s %s; ' "${s%_idle}" "$(med "$s.kib")"; done)"
echo
echo "#### Targets"
echo
for peer in nghttpx haproxy; do
  [ -n "${PID[$peer]:-}" ] || continue
  r=$(bench_ratio "$gw_qps" "$(med "$peer.qps")")
  echo "- native gRPC over TLS, gateway >= $peer: $r ($(verdict "$r" 1))"
done
echo "- what TLS costs the gateway: $(bench_ratio "$gw_qps" "$(med gateway_h2c.qps)")x its h2c req/s, $(med gateway.cpu) vs $(med gateway_h2c.cpu) us of CPU per call"
echo
echo "#### Commands"
echo
echo '```sh'
echo "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout server.key -out server.pem"
echo "switchboard serve ticket --port $backend_port --log-level warn"
for p in gateway nghttpx haproxy; do [ -n "${CMD[$p]:-}" ] && echo "taskset -c $PROXY_CPU ${CMD[$p]//$BENCH_TMP\//}"; done
echo "taskset -c $LOADGEN_CPU h2load -n $REQUESTS -c $CLIENTS -m $STREAMS -t 1 --tls13-ciphers=$TLS13_CIPHER -H 'content-type: application/grpc' -H 'te: trailers' -d get_event.bin https://127.0.0.1:PORT$GET_EVENT"
echo "taskset -c $LOADGEN_CPU bench_tls_clients --mode=handshakes --address=127.0.0.1:PORT --seconds=$HANDSHAKE_SECONDS --concurrency=$HANDSHAKE_CONCURRENCY --resume=false|true --tls13-ciphers=$TLS13_CIPHER"
echo "taskset -c $LOADGEN_CPU bench_tls_clients --mode=idle --address=127.0.0.1:PORT --connections=$IDLE_CONNECTIONS --concurrency=$HANDSHAKE_CONCURRENCY --seconds=60 --tls13-ciphers=$TLS13_CIPHER"
echo '```'
echo
echo "gateway.yaml:"
echo '```yaml'
sed "s|$BENCH_TMP/||" "$BENCH_TMP/gateway.yaml"
echo '```'
if [ -n "${PID[haproxy]:-}" ]; then
  echo
  echo "haproxy.cfg:"
  echo '```'
  sed "s|$BENCH_TMP/||" "$BENCH_TMP/haproxy.cfg"
  echo '```'
fi
