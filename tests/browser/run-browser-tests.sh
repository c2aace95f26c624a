#!/usr/bin/env bash
# Runs the browser app's tests (web/tests/, node's test runner driving Debian's headless
# Chromium through playwright-core) against a real Switchboard, and always stops everything it
# started. Exit status is node's.
#
#   tests/browser/run-browser-tests.sh [path/to/switchboard]     (default: build/switchboard)
#
# What runs, all on free loopback ports in one temp dir:
#   - `switchboard up` with a config that sets only the ports;
#   - the built app (web/build.mjs) served by web/serve.mjs: the page's own origin;
#   - a second `switchboard gateway` on up's gateway.yaml and descriptor set, plus
#     cors.allow_origins for the page's origin (up's gateway has no CORS, and the page is
#     cross-origin to any gateway, as a real site on its own host is).
# SWITCHBOARD_WEB_SCREENSHOT=FILE keeps the screenshot the last test takes.
# shellcheck disable=SC2317  # stop_* and cleanup run from traps, which shellcheck cannot see
set -euo pipefail

readonly kServices=(ticket booking payment fraud user notification stock upload chat)
readonly kChromium=${SWITCHBOARD_CHROMIUM:-/usr/bin/chromium}
readonly kHealthyTimeoutS=60    # for `up` to print its table of healthy services
readonly kListenTimeoutS=20     # for the static server and our gateway to listen
readonly kStopTimeoutS=15       # for a process to stop after SIGTERM (`up` gives children 5 s)
readonly kTestTimeoutMs=240000  # node --test bound (node 20 applies it to the whole file too)
readonly kLogTailLines=100

# shellcheck source=../lib/runner.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/runner.sh"
sb_runner_setup run-browser-tests "${1:-}"
if [[ ! -x "$kChromium" ]]; then
  echo "run-browser-tests: $kChromium is missing (apt-get install chromium)" >&2
  exit 2
fi
for package in grpc-web protobufjs esbuild playwright-core google-proto-files; do
  if [[ ! -d "$repo/node_modules/$package" ]]; then
    echo "run-browser-tests: node_modules/$package is missing; run 'npm ci' in $repo" >&2
    exit 2
  fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/switchboard-browser.XXXXXX")
up_pid=""
serve_pid=""
gateway_pid=""
node_pid=""

# SIGTERM, wait up to kStopTimeoutS, then SIGKILL (the process and, for `up`, its children).
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
# own and closes it when node exits, but not if node is killed, so whatever still runs on our
# profile directory is ended by pid too.
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
  local pids=()
  mapfile -t pids < <(pgrep -f -- "--user-data-dir=$tmp/chromium-profile" || true)
  if ((${#pids[@]} > 0)); then
    echo "run-browser-tests: Chromium outlived the tests; killing pids ${pids[*]}" >&2
    kill -KILL "${pids[@]}" 2>/dev/null || true
  fi
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_node
  stop_pid "switchboard gateway" "$gateway_pid"
  stop_pid "web/serve.mjs" "$serve_pid"
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

# Waits until FILE has a line matching PATTERN, failing if PID exits or TIMEOUT_S passes.
wait_for_line() {
  local file=$1 pattern=$2 pid=$3 timeout_s=$4 what=$5
  local waited=0
  until grep -Eq "$pattern" "$file"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      show_log "$file" "$what exited before it was ready"
      exit 1
    fi
    if ((waited >= timeout_s * 10)); then
      show_log "$file" "$what not ready within ${timeout_s}s"
      exit 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
}

# Free ports, all held open at once so no two get the same one: the services, up's gateway
# and ours (the static server picks its own).
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
up_gateway_port=${ports[${#kServices[@]}]}
cors_gateway_port=${ports[${#kServices[@]} + 1]}

# 1. The system, with a config that sets nothing but the ports.
{
  echo "host: 127.0.0.1"
  echo "gateway_port: $up_gateway_port"
  echo "services:"
  for i in "${!kServices[@]}"; do
    echo "  ${kServices[$i]}: {port: ${ports[$i]}}"
  done
} >"$tmp/config.yaml"
: >"$tmp/up.log"
"$binary" up --config "$tmp/config.yaml" --data-dir "$tmp/var" >"$tmp/up.log" 2>&1 &
up_pid=$!

# 2. The app, built while the services start, and its static server.
node "$repo/web/build.mjs" --outdir "$tmp/site" >"$tmp/build.log" 2>&1 || {
  show_log "$tmp/build.log" "web/build.mjs failed"
  exit 1
}
: >"$tmp/serve.log"
node "$repo/web/serve.mjs" --root "$tmp/site" --host 127.0.0.1 --port 0 >"$tmp/serve.log" 2>&1 &
serve_pid=$!
wait_for_line "$tmp/serve.log" "^serving " "$serve_pid" "$kListenTimeoutS" "web/serve.mjs"
page_url=$(grep -Eo 'http://127\.0\.0\.1:[0-9]+/' "$tmp/serve.log" | head -n 1)
page_origin=${page_url%/}

wait_for_line "$tmp/up.log" "services healthy" "$up_pid" "$kHealthyTimeoutS" "switchboard up"
for file in gateway.yaml switchboard.pb; do
  if [[ ! -s "$tmp/var/$file" ]]; then
    show_log "$tmp/up.log" "it wrote no $file"
    exit 1
  fi
done

# 3. Our gateway: up's routes and descriptor set, its own port, CORS for the page.
{
  sed -E "s|^listen:.*$|listen: 127.0.0.1:$cors_gateway_port|" "$tmp/var/gateway.yaml"
  echo "cors:"
  echo "  allow_origins: [\"$page_origin\"]"
} >"$tmp/gateway-cors.yaml"
"$binary" gateway --config "$tmp/gateway-cors.yaml" --check >"$tmp/gateway.log" 2>&1 || {
  show_log "$tmp/gateway.log" "gateway --check refused $tmp/gateway-cors.yaml"
  exit 1
}
"$binary" gateway --config "$tmp/gateway-cors.yaml" >"$tmp/gateway.log" 2>&1 &
gateway_pid=$!
wait_for_line "$tmp/gateway.log" "gateway listening" "$gateway_pid" "$kListenTimeoutS" \
  "switchboard gateway"

echo "run-browser-tests: page $page_url, gateway with CORS http://127.0.0.1:$cors_gateway_port," \
  "switchboard up (pid $up_pid) gateway http://127.0.0.1:$up_gateway_port"

mkdir "$tmp/chromium-profile"
export SWITCHBOARD_WEB_URL="$page_url"
export SWITCHBOARD_GATEWAY_URL="http://127.0.0.1:$cors_gateway_port"
export SWITCHBOARD_PLAIN_GATEWAY_URL="http://127.0.0.1:$up_gateway_port"
export SWITCHBOARD_UP_LOG="$tmp/up.log"
export SWITCHBOARD_BROWSER_PROFILE="$tmp/chromium-profile"
export SWITCHBOARD_CHROMIUM="$kChromium"

# In the background and waited for, so a SIGTERM to this script is handled at once (bash runs
# traps only between commands); setsid makes node the leader of a group stop_node can end.
(cd "$repo" && exec setsid node --test --test-reporter=spec --test-timeout="$kTestTimeoutMs" \
  "$repo/web/tests/grpc_web_browser.test.mjs") &
node_pid=$!
rc=0
wait "$node_pid" || rc=$?
node_pid=""
if ! kill -0 "$up_pid" 2>/dev/null; then
  show_log "$tmp/up.log" "it exited while the tests ran"
elif ! kill -0 "$gateway_pid" 2>/dev/null; then
  show_log "$tmp/gateway.log" "our gateway exited while the tests ran"
elif ((rc != 0)); then
  show_log "$tmp/gateway.log" "tests failed"
  # What the browser saw first on every call: the CORS preflight's answer.
  if command -v curl >/dev/null; then
    echo "---- a preflight to our gateway, as Chromium sends it ----" >&2
    curl -sS -i -X OPTIONS --max-time 5 \
      -H "Origin: $page_origin" -H "Access-Control-Request-Method: POST" \
      -H "Access-Control-Request-Headers: content-type,x-grpc-web,x-user-agent,grpc-timeout" \
      "http://127.0.0.1:$cors_gateway_port/switchboard.ticket.v1.TicketService/GetEvent" >&2 || true
    echo "---- end of preflight ----" >&2
  fi
fi
exit "$rc"
