#!/usr/bin/env bash
# A JWT-protected REST route with a cached token beside the same route without auth, in one
# run: two gateways alike but for `auth: required` (RS256 provider, sub forwarded as
# x-user-id), in front of one ticket backend, GET /events/evt-1 over h2c with the same
# Authorization header on both. Median of RUNS runs in rotating order; prints a markdown
# section (docs/benchmarks-gateway.md, "JWT authentication").
#
# Usage: bench/gateway_auth.sh [BUILD_DIR]   (RUNS=5, REQUESTS=100000, CLIENTS=8, STREAMS=32,
#        WORKERS=1, LOADGEN_CPU=<last core>)
# Needs h2load (apt-get install -y nghttp2-client), taskset (util-linux), openssl, python3.
set -euo pipefail
BUILD_DIR=${1:-build}
RUNS=${RUNS:-5}
REQUESTS=${REQUESTS:-100000}
CLIENTS=${CLIENTS:-8}
STREAMS=${STREAMS:-32}
WORKERS=${WORKERS:-1}
LOADGEN_CPU=${LOADGEN_CPU:-$(($(nproc) - 1))}
H2LOAD_TIMEOUT=${H2LOAD_TIMEOUT:-120}  # seconds; every load generator run is bounded
START_ATTEMPTS=100                     # 0.1 s apart: a gateway has 10 s to answer its first call
TOKEN_LIFETIME=3600                    # seconds: the token outlives the run, so it stays cached
SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
SWITCHBOARD=$(realpath "$BUILD_DIR/switchboard")
DESCRIPTORS=$(realpath "$BUILD_DIR/switchboard.pb")
source "$SCRIPT_DIR/lib.sh"
source "$SCRIPT_DIR/lib_servers.sh"

die() { echo "bench/gateway_auth.sh: $*" >&2; exit 1; }
for tool in h2load taskset openssl python3; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
[ "$LOADGEN_CPU" -lt "$(nproc)" ] || die "LOADGEN_CPU=$LOADGEN_CPU: this machine has $(nproc) cores"

bench_snapshot_binary
ROUTE=/events/evt-1
ISSUER=https://issuer.bench
LOADGEN=(taskset -c "$LOADGEN_CPU" h2load -t 1)

# An RSA key made here, its JWKS and an RS256 token signed by openssl.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$BENCH_TMP/rsa.pem" 2>/dev/null
TOKEN=$(python3 - "$BENCH_TMP" "$ISSUER" "$TOKEN_LIFETIME" <<'PY'
import base64, json, subprocess, sys, time
tmp, issuer, lifetime = sys.argv[1], sys.argv[2], int(sys.argv[3])
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
modulus = subprocess.run(["openssl", "rsa", "-in", f"{tmp}/rsa.pem", "-noout", "-modulus"],
                         capture_output=True, text=True, check=True).stdout.strip().split("=")[1]
jwks = {"keys": [{"kty": "RSA", "kid": "bench", "n": b64(bytes.fromhex(modulus)),
                  "e": b64((65537).to_bytes(3, "big"))}]}
open(f"{tmp}/jwks.json", "w").write(json.dumps(jwks))
header = b64(json.dumps({"alg": "RS256", "kid": "bench", "typ": "JWT"}).encode())
claims = b64(json.dumps({"iss": issuer, "aud": "switchboard", "sub": "bench-user",
                         "exp": int(time.time()) + lifetime}).encode())
signing_input = f"{header}.{claims}".encode()
signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", f"{tmp}/rsa.pem"],
                           input=signing_input, capture_output=True, check=True).stdout
print(f"{header}.{claims}.{b64(signature)}")
PY
)
AUTH_HEADER="authorization: Bearer $TOKEN"

# wait_rest PORT PID LOG: until one authorized GET through PORT answers 200.
wait_rest() {
  local port=$1 pid=$2 log=$3
  for _ in $(seq 1 "$START_ATTEMPTS"); do
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; die "process $pid exited while starting"; }
    if timeout 5 h2load -n 1 -c 1 -H "$AUTH_HEADER" "http://127.0.0.1:$port$ROUTE" 2>/dev/null \
        | grep -q '1 succeeded'; then
      return 0
    fi
    sleep 0.1
  done
  cat "$log" >&2
  die "nothing answered $ROUTE on 127.0.0.1:$port"
}

# load URL [h2load args]: one pinned h2load run; every request must succeed (2xx). Sets R_QPS.
load() {
  local url=$1 out ok
  shift
  out=$(timeout "$H2LOAD_TIMEOUT" "${LOADGEN[@]}" -n "$REQUESTS" -c "$CLIENTS" -m "$STREAMS" \
    "$@" "$url") || die "h2load did not finish in ${H2LOAD_TIMEOUT}s: $url"
  ok=$(echo "$out" | awk '/^status codes:/ {print $3}')
  [ "$ok" = "$REQUESTS" ] || { echo "$out" >&2; die "only ${ok:-0} of $REQUESTS were 2xx: $url"; }
  R_QPS=$(echo "$out" | awk '/^finished in/ {print $4}')
}

declare -A S PORT PID
add() { S[$1]="${S[$1]:-} $2"; }
med() { bench_median ${S[$1]}; }

backend_port=$(bench_free_port)
bench_serve ticket "$backend_port"

for path in open jwt; do
  port=$(bench_free_port)
  {
    echo "listen: 127.0.0.1:$port"
    echo "workers: $WORKERS"
    echo "descriptors: [$DESCRIPTORS]"
    if [ "$path" = jwt ]; then
      echo "auth:"
      echo "  jwt:"
      echo "    - {name: main, issuer: '$ISSUER', audiences: [switchboard], jwks_file: $BENCH_TMP/jwks.json, forward_claims: {sub: x-user-id}}"
    fi
    echo "services:"
    echo "  switchboard.ticket.v1.TicketService:"
    echo "    backends: [127.0.0.1:$backend_port]"
    [ "$path" = jwt ] && echo "    auth: required"
  } >"$BENCH_TMP/gateway-$path.yaml"
  "$SWITCHBOARD" gateway --config "$BENCH_TMP/gateway-$path.yaml" --log-level warn \
    >"$BENCH_TMP/gateway-$path.log" 2>&1 &
  BENCH_PIDS+=($!)
  PORT[$path]=$port PID[$path]=$!
  wait_rest "$port" "$!" "$BENCH_TMP/gateway-$path.log"
done
# The protected route really is protected: without the header it is 401.
status=$(timeout 5 h2load -n 1 -c 1 "http://127.0.0.1:${PORT[jwt]}$ROUTE" 2>/dev/null \
  | awk '/^status codes:/ {print $7}')
[ "$status" = 1 ] || die "the jwt gateway did not answer 4xx without a token"

PATHS=(open jwt)
LOADS=()
echo "bench/gateway_auth.sh: $RUNS runs of $REQUESTS requests; h2load pinned to CPU $LOADGEN_CPU" >&2
for run in $(seq 1 "$RUNS"); do
  LOADS+=("$(bench_load) (run $run)")
  for k in 0 1; do
    p=${PATHS[$(((k + run - 1) % 2))]}
    load "http://127.0.0.1:${PORT[$p]}$ROUTE" -H "$AUTH_HEADER"
    add "$p" "$R_QPS"
    echo "run $run: $p $R_QPS req/s" >&2
  done
done

open_qps=$(med open)
jwt_qps=$(med jwt)
echo "### JWT authentication: a protected REST route with a cached token"
echo
echo "$(bench_machine); $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'); shared with other work, so compare rows of one run only. Binary: $binary_note. Backend: \`switchboard serve ticket\`. Two gateways (\`workers: $WORKERS\`) alike but for \`auth: required\` with an RS256 provider forwarding \`sub\` as \`x-user-id\`; both get the same \`Authorization: Bearer\` header (the open one passes it on untouched). Load: \`h2load -n $REQUESTS -c $CLIENTS -m $STREAMS -t 1\` GET $ROUTE over h2c, pinned with \`taskset -c $LOADGEN_CPU\`. Medians of $RUNS runs, paths in rotating order; the token is verified once and then answered from the cache."
echo
echo "| path | req/s | vs no auth | per run req/s |"
echo "|---|---|---|---|"
echo "| no auth | ${open_qps%.*} | 1.00 |${S[open]} |"
echo "| \`auth: required\`, cached token | ${jwt_qps%.*} | $(bench_ratio "$jwt_qps" "$open_qps") |${S[jwt]} |"
echo
echo "Load average (1, 5, 15 min) at each run: $(printf '%s; ' "${LOADS[@]}")"
echo
echo "Commands:"
echo '```sh'
echo "bench/gateway_auth.sh $BUILD_DIR   # RUNS=$RUNS REQUESTS=$REQUESTS CLIENTS=$CLIENTS STREAMS=$STREAMS WORKERS=$WORKERS"
echo "switchboard serve ticket --port $backend_port --log-level warn"
echo "switchboard gateway --config gateway-open.yaml --log-level warn"
echo "switchboard gateway --config gateway-jwt.yaml --log-level warn"
echo "${LOADGEN[*]} -n $REQUESTS -c $CLIENTS -m $STREAMS -H 'authorization: Bearer <RS256 JWT>' http://127.0.0.1:PORT$ROUTE"
echo '```'
echo
echo "gateway-jwt.yaml:"
echo '```yaml'
sed "s|$BENCH_TMP/||" "$BENCH_TMP/gateway-jwt.yaml"
echo '```'
