#!/usr/bin/env bash
# Starts a real `switchboard xds` and three `switchboard serve ticket` replicas on free loopback
# ports in a temp dir, runs the @grpc/grpc-js-xds test (node --test) against them, and always
# stops them. Exit status is node's.
#
#   tests/xds/run-grpc-js-xds.sh [path/to/switchboard]      (default: build/switchboard)
# shellcheck disable=SC2317  # cleanup runs from a trap, which shellcheck cannot see
set -euo pipefail

readonly kReplicas=3
readonly kStartTimeoutS=30     # for each process to log that it serves
readonly kStopTimeoutS=10      # for each process to exit after SIGTERM
readonly kTestTimeoutMs=110000
readonly kLogTailLines=60

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/runner.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/runner.sh"
sb_runner_setup run-grpc-js-xds "${1:-}" @grpc/grpc-js @grpc/grpc-js-xds @grpc/proto-loader google-proto-files

tmp=$(mktemp -d "${TMPDIR:-/tmp}/switchboard-xds.XXXXXX")
pids=()
node_pid=""

stop_all() {
  local pid waited
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    waited=0
    while kill -0 "$pid" 2>/dev/null && ((waited < kStopTimeoutS * 10)); do
      sleep 0.1
      waited=$((waited + 1))
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  pids=()
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "$node_pid" ]]; then
    kill -TERM "$node_pid" 2>/dev/null || true
    wait "$node_pid" 2>/dev/null || true
  fi
  stop_all
  if ((rc != 0)); then
    for log in "$tmp"/*.log; do
      echo "---- last $kLogTailLines lines of $(basename "$log") ----" >&2
      tail -n "$kLogTailLines" "$log" >&2 || true
    done
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Free ports, all held open at once so no two processes get the same one.
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
' "$((kReplicas + 1))")
if ((${#ports[@]} != kReplicas + 1)); then
  echo "run-grpc-js-xds: could not pick $((kReplicas + 1)) free ports" >&2
  exit 2
fi

# Waits until `pattern` is in `log`, failing when the process exits or the time runs out.
wait_for_log() {
  local pid=$1 log=$2 pattern=$3 waited=0
  until grep -q "$pattern" "$log" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "run-grpc-js-xds: $(basename "$log" .log) exited before serving" >&2
      return 1
    fi
    if ((waited >= kStartTimeoutS * 10)); then
      echo "run-grpc-js-xds: $(basename "$log" .log) not serving within ${kStartTimeoutS}s" >&2
      return 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
}

xds_address="127.0.0.1:${ports[0]}"
"$binary" xds --listen "$xds_address" >"$tmp/xds.log" 2>&1 &
pids+=($!)
wait_for_log "${pids[0]}" "$tmp/xds.log" "xds control plane listening"

replicas=()
for ((i = 1; i <= kReplicas; i++)); do
  address="127.0.0.1:${ports[$i]}"
  "$binary" serve ticket --host 127.0.0.1 --port "${ports[$i]}" --data-dir "$tmp/ticket-$i" \
    >"$tmp/ticket-$i.log" 2>&1 &
  pids+=($!)
  replicas+=("$address")
done
for ((i = 1; i <= kReplicas; i++)); do
  wait_for_log "${pids[$i]}" "$tmp/ticket-$i.log" "serving service=ticket"
done

SWITCHBOARD_XDS_ADDR=$xds_address
SWITCHBOARD_TICKET_REPLICAS=$(IFS=,; echo "${replicas[*]}")
export SWITCHBOARD_XDS_ADDR SWITCHBOARD_TICKET_REPLICAS
echo "run-grpc-js-xds: xds at $SWITCHBOARD_XDS_ADDR, ticket replicas $SWITCHBOARD_TICKET_REPLICAS"

# In the background and waited for, so a SIGTERM to this script is handled at once.
(cd "$repo" && exec node --test --test-reporter=spec --test-timeout="$kTestTimeoutMs" \
  "$script_dir/grpc_js_xds.test.mjs") &
node_pid=$!
rc=0
wait "$node_pid" || rc=$?
node_pid=""
exit "$rc"
