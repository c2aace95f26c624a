#!/usr/bin/env bash
# Starts a real `switchboard up` on free loopback ports in a temp dir, runs the grpc-js interop
# tests (node --test tests/interop/) against it, and always stops it. Exit status is node's.
#
#   tests/interop/run-grpc-js.sh [path/to/switchboard]      (default: build/switchboard)
#
# SWITCHBOARD_REQUIRE_ALL=1 makes a service that `up` did not start a failure, not a skip.
# shellcheck disable=SC2317  # stop_up and cleanup run from traps, which shellcheck cannot see
set -euo pipefail

readonly kServices=(ticket booking payment fraud user notification stock upload chat)
readonly kHealthyTimeoutS=60    # for `up` to print its table of healthy services
readonly kStopTimeoutS=15       # for `up` to stop after SIGTERM (it gives children 5 s)
readonly kTestTimeoutMs=60000   # node --test bound per test (the file bounds its own tests lower)
readonly kLogTailLines=150

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/runner.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/runner.sh"
sb_runner_setup run-grpc-js "${1:-}" @grpc/grpc-js @grpc/proto-loader google-proto-files

tmp=$(mktemp -d "${TMPDIR:-/tmp}/switchboard-interop.XXXXXX")
up_pid=""
node_pid=""

stop_up() {
  [[ -n "$up_pid" ]] || return 0
  if kill -0 "$up_pid" 2>/dev/null; then
    kill -TERM "$up_pid" 2>/dev/null || true
    local waited=0
    while kill -0 "$up_pid" 2>/dev/null && ((waited < kStopTimeoutS * 10)); do
      sleep 0.1
      waited=$((waited + 1))
    done
    if kill -0 "$up_pid" 2>/dev/null; then
      echo "run-grpc-js: switchboard up (pid $up_pid) still running ${kStopTimeoutS}s after SIGTERM; killing it and its children" >&2
      pkill -KILL -P "$up_pid" 2>/dev/null || true
      kill -KILL "$up_pid" 2>/dev/null || true
    fi
  fi
  local status=0
  wait "$up_pid" 2>/dev/null || status=$?
  up_pid=""
  if ((status != 0)); then
    echo "run-grpc-js: switchboard up exited with status $status" >&2
  fi
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "$node_pid" ]]; then
    kill -TERM "$node_pid" 2>/dev/null || true
    wait "$node_pid" 2>/dev/null || true
  fi
  stop_up
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

show_log() {
  echo "---- last $kLogTailLines lines of switchboard up's output ($1) ----" >&2
  tail -n "$kLogTailLines" "$tmp/up.log" >&2 || true
  echo "---- end of switchboard up's output ----" >&2
}

# Free ports, all held open at once so no two services get the same one.
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
' "$((${#kServices[@]} + 1))")
# The last port is the gateway's, so the test never collides with a system on :8080.
if ((${#ports[@]} != ${#kServices[@]} + 1)); then
  echo "run-grpc-js: could not pick ${#kServices[@]} free ports" >&2
  exit 2
fi

{
  echo "host: 127.0.0.1"
  echo "gateway_port: ${ports[${#kServices[@]}]}"
  echo "services:"
  for i in "${!kServices[@]}"; do
    echo "  ${kServices[$i]}: {port: ${ports[$i]}}"
  done
} >"$tmp/config.yaml"

: >"$tmp/up.log"  # exists before the first grep below, whenever the child opens it
"$binary" up --config "$tmp/config.yaml" --data-dir "$tmp/var" >"$tmp/up.log" 2>&1 &
up_pid=$!

waited=0
until grep -q "services healthy" "$tmp/up.log"; do
  if ! kill -0 "$up_pid" 2>/dev/null; then
    show_log "it exited before every service was healthy"
    exit 1
  fi
  if ((waited >= kHealthyTimeoutS * 10)); then
    show_log "not healthy within ${kHealthyTimeoutS}s"
    exit 1
  fi
  sleep 0.1
  waited=$((waited + 1))
done

# `up` lists what it started as "NAME ADDRESS PID"; services not written yet are absent.
running=()
for i in "${!kServices[@]}"; do
  name=${kServices[$i]}
  address="127.0.0.1:${ports[$i]}"
  export "SWITCHBOARD_ADDR_${name^^}=$address"
  if grep -Eq "^${name}[[:space:]]+${address}[[:space:]]+[0-9]+[[:space:]]*$" "$tmp/up.log"; then
    running+=("$name")
  fi
done
SWITCHBOARD_RUNNING=$(IFS=,; echo "${running[*]}")
export SWITCHBOARD_RUNNING
echo "run-grpc-js: switchboard up (pid $up_pid) is serving: ${SWITCHBOARD_RUNNING:-nothing}"

# In the background and waited for, so a SIGTERM to this script is handled at once (bash runs
# traps only between commands).
(cd "$repo" && exec node --test --test-reporter=spec --test-timeout="$kTestTimeoutMs" \
  "$script_dir/") &
node_pid=$!
rc=0
wait "$node_pid" || rc=$?
node_pid=""
if ! kill -0 "$up_pid" 2>/dev/null; then
  show_log "it exited while the tests ran"
elif ((rc != 0)); then
  show_log "tests failed"
fi
exit "$rc"
