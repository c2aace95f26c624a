#!/usr/bin/env bash
# Runs the browser app's tests (web/tests/, node's test runner driving Debian's headless
# Chromium through playwright-core) against a real Switchboard, and always stops everything it
# started. Exit status is node's.
#
#   tests/browser/run-browser-tests.sh [--tls] [path/to/switchboard]   (default: build/switchboard)
#
# What runs, on free loopback ports in one temp dir: the app built by web/build.mjs, and
# `switchboard up` serving it at its gateway's root (--web), the API on the same origin.
# With --tls, `up --tls` serves it over HTTPS too, with a certificate from its local CA, and
# web/tests/https.test.mjs runs against the HTTPS port instead of app.test.mjs: Chromium trusts
# that one certificate by the SHA-256 of its public key (SWITCHBOARD_SPKI_PIN), nothing else.
# shellcheck disable=SC2317  # stop_* and cleanup run from traps, which shellcheck cannot see
set -euo pipefail

readonly kServices=(ticket booking payment fraud user notification stock upload chat)
readonly kChromium=${SWITCHBOARD_CHROMIUM:-/usr/bin/chromium}
readonly kHealthyTimeoutS=60    # for `up` to print its table of healthy services
readonly kStopTimeoutS=15       # for a process to stop after SIGTERM (`up` gives children 5 s)
readonly kTestTimeoutMs=60000   # node --test bound (node 20 applies it to the whole file too)
readonly kLogTailLines=100

tls=false
if [[ "${1:-}" == "--tls" ]]; then
  tls=true
  shift
fi

# shellcheck source=../lib/runner.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/runner.sh"
sb_runner_setup run-browser-tests "${1:-}" grpc-web protobufjs esbuild playwright-core \
  google-proto-files
if [[ ! -x "$kChromium" ]]; then
  echo "run-browser-tests: $kChromium is missing (apt-get install chromium)" >&2
  exit 2
fi
if $tls && ! command -v openssl >/dev/null; then
  echo "run-browser-tests: --tls needs openssl for the gateway's SPKI pin" \
    "(apt-get install openssl)" >&2
  exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/switchboard-browser.XXXXXX")
up_pid=""
node_pid=""

# SIGTERM, wait up to kStopTimeoutS, then SIGKILL (the process and its children).
stop_pid() {
  local name=$1 pid=$2
  [[ -n "$pid" ]] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    local waited=0
    while kill -0 "$pid" 2>/dev/null && ((waited < kStopTimeoutS * 10)); do
      sleep 0.1
      waited=$((waited + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "run-browser-tests: $name (pid $pid) still running ${kStopTimeoutS}s after SIGTERM; killing it" >&2
      pkill -KILL -P "$pid" 2>/dev/null || true
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true
}

# node runs in its own process group (setsid); Playwright starts Chromium in a group of its
# own and closes it when node exits, but not if node is killed, so whatever still runs from
# our temp dir is ended by pid too.
stop_node() {
  if [[ -n "$node_pid" ]]; then
    kill -TERM -- "-$node_pid" 2>/dev/null || true
    local waited=0
    while kill -0 -- "-$node_pid" 2>/dev/null && ((waited < kStopTimeoutS * 10)); do
      sleep 0.1
      waited=$((waited + 1))
    done
    kill -KILL -- "-$node_pid" 2>/dev/null || true
    wait "$node_pid" 2>/dev/null || true
    node_pid=""
  fi
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_node
  stop_pid "switchboard up" "$up_pid"
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

show_log() {
  local file=$1 what=$2
  echo "---- last $kLogTailLines lines of $(basename "$file") ($what) ----" >&2
  tail -n "$kLogTailLines" "$file" >&2 || true
  echo "---- end of $(basename "$file") ----" >&2
}

# Free ports, all held open at once so no two get the same one: the services, the gateway and
# its HTTPS port.
port_count=$((${#kServices[@]} + 2))
mapfile -t ports < <(node -e '
  const net = require("net");
  const n = Number(process.argv[1]);
  const servers = Array.from({ length: n }, () => net.createServer());
  Promise.all(servers.map((s) => new Promise((ok, fail) => {
    s.once("error", fail);
    s.listen(0, "127.0.0.1", ok);
  }))).then(() => {
    for (const s of servers) console.log(s.address().port);
    for (const s of servers) s.close();
  }, (e) => { console.error(e.message); process.exit(1); });
' "$port_count")
if ((${#ports[@]} != port_count)); then
  echo "run-browser-tests: could not pick $port_count free ports" >&2
  exit 2
fi
gateway_port=${ports[${#kServices[@]}]}
tls_port=${ports[${#kServices[@]} + 1]}
tls_flags=()
if $tls; then tls_flags=(--tls --tls-port "$tls_port"); fi

# 1. The app, built from this tree.
node "$repo/web/build.mjs" --outdir "$tmp/site" >"$tmp/build.log" 2>&1 || {
  show_log "$tmp/build.log" "web/build.mjs failed"
  exit 1
}

# 2. The system, with a config that sets nothing but the ports, serving the app.
{
  echo "host: 127.0.0.1"
  echo "gateway_port: $gateway_port"
  echo "services:"
  for i in "${!kServices[@]}"; do
    echo "  ${kServices[$i]}: {port: ${ports[$i]}}"
  done
} >"$tmp/config.yaml"
: >"$tmp/up.log"
"$binary" up --config "$tmp/config.yaml" --data-dir "$tmp/var" --web "$tmp/site" \
  "${tls_flags[@]}" >"$tmp/up.log" 2>&1 &
up_pid=$!
waited=0
until grep -q "services healthy" "$tmp/up.log"; do
  if ! kill -0 "$up_pid" 2>/dev/null; then
    show_log "$tmp/up.log" "switchboard up exited before it was ready"
    exit 1
  fi
  if ((waited >= kHealthyTimeoutS * 10)); then
    show_log "$tmp/up.log" "switchboard up not ready within ${kHealthyTimeoutS}s"
    exit 1
  fi
  sleep 0.1
  waited=$((waited + 1))
done

export SWITCHBOARD_CHROMIUM="$kChromium"
test_file="$repo/web/tests/app.test.mjs"
if $tls; then
  # The gateway's own certificate (the first of its chain): base64 of the SHA-256 of its
  # SubjectPublicKeyInfo, the form of Chromium's --ignore-certificate-errors-spki-list.
  leaf="$tmp/var/tls/gateway.pem"
  pin=$(openssl x509 -in "$leaf" -pubkey -noout | openssl pkey -pubin -outform der |
    openssl dgst -sha256 -binary | base64) || pin=""
  if [[ -z "$pin" ]]; then
    echo "run-browser-tests: could not compute the SPKI pin of $leaf" >&2
    exit 1
  fi
  export SWITCHBOARD_APP_URL="https://127.0.0.1:$tls_port/"
  export SWITCHBOARD_SPKI_PIN="$pin"
  test_file="$repo/web/tests/https.test.mjs"
else
  export SWITCHBOARD_APP_URL="http://127.0.0.1:$gateway_port/"
fi
echo "run-browser-tests: the app at $SWITCHBOARD_APP_URL (switchboard up, pid $up_pid)"

# In the background and waited for, so a SIGTERM to this script is handled at once (bash runs
# traps only between commands); setsid makes node the leader of a group stop_node can end.
(cd "$repo" && exec setsid node --test --test-reporter=spec --test-timeout="$kTestTimeoutMs" \
  "$test_file") &
node_pid=$!
rc=0
wait "$node_pid" || rc=$?
node_pid=""
if ! kill -0 "$up_pid" 2>/dev/null; then
  show_log "$tmp/up.log" "it exited while the tests ran"
elif ((rc != 0)); then
  show_log "$tmp/up.log" "tests failed"
fi
exit "$rc"
