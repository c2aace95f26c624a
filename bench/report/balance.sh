#!/usr/bin/env bash
# Report section 4: one client channel making GetEvent calls to three ticket replicas, five ways:
# through HAProxy in TCP mode (L4: one long-lived HTTP/2 connection to one replica), through the
# gateway (L7, per call), client-side round_robin and pick_first over the three addresses, and
# xds:///ticket through `switchboard xds`. Share of calls per replica, counted by x-server-id.
# Usage: bench/report/balance.sh BUILD_DIR OUT_DIR   (CALLS=3000)
# Writes OUT_DIR/balance.tsv and balance.svg; prints the markdown section.
set -euo pipefail
BUILD_DIR=$1
OUT_DIR=$2
CALLS=${CALLS:-3000}
REPLICAS=3
READY_TRIES=100  # x 0.1 s
REPORT_SCRIPTS=$(cd "$(dirname "$0")" && pwd)
SCRIPT_DIR="$REPORT_SCRIPTS/.."
SWITCHBOARD=$(realpath "$BUILD_DIR/switchboard")
DESCRIPTORS=$(realpath "$BUILD_DIR/switchboard.pb")
CLIENT=$(realpath "$BUILD_DIR/bench/bench_balance")
source "$SCRIPT_DIR/lib.sh"
source "$SCRIPT_DIR/lib_servers.sh"
source "$REPORT_SCRIPTS/lib_report.sh"
command -v haproxy >/dev/null || { echo "balance.sh: haproxy not found (SWITCHBOARD_REPORT=1 scripts/install-deps.sh)" >&2; exit 1; }
bench_snapshot_binary
CLIENT=$(report_snapshot "$CLIENT")

wait_health() {
  for _ in $(seq 1 "$READY_TRIES"); do
    "$SWITCHBOARD" call health check --address "127.0.0.1:$1" --timeout 500ms 2>/dev/null \
      | grep -q SERVING && return 0
    sleep 0.1
  done
  echo "balance.sh: nothing healthy on $1" >&2
  return 1
}
# replica N PORT [args]: ticket replica N (x-server-id ticket-N@...) on PORT (an explicit --port
# is used as it is; --replica only names it).
replica() {
  local n=$1 p=$2; shift 2
  "$SWITCHBOARD" serve ticket --port "$p" --replica "$n" --data-dir "$BENCH_TMP/var-$p" \
    --log-level error "$@" >"$BENCH_TMP/ticket-$p.log" 2>&1 &
  BENCH_PIDS+=($!)
  wait_health "$p" || { cat "$BENCH_TMP/ticket-$p.log" >&2; return 1; }
}
# count LABEL TARGET LB: runs the client; appends LABEL and the share (%) per replica number.
count() {
  "$CLIENT" --target="$2" --lb="$3" --calls="$CALLS" >"$BENCH_TMP/count.out"
  awk -v label="$1" -v n="$REPLICAS" -v calls="$CALLS" '
      $1 == "server" {split($2, a, "[-@]"); share[a[2]] += $3}
      $1 == "errors" {errors = $2}
      END {printf "%s", label; for (i = 1; i <= n; i++) printf "\t%.1f", 100 * share[i] / calls;
           printf "\t%d\n", errors}' "$BENCH_TMP/count.out" >>"$OUT_DIR/balance.tsv"
}

report_progress "balance: $REPLICAS ticket replicas, HAProxy (TCP), the gateway"
ports=()
for n in $(seq 1 "$REPLICAS"); do
  p=$(bench_free_port)
  replica "$n" "$p"
  ports+=("$p")
done
list=$(printf '127.0.0.1:%s,' "${ports[@]}")
list=${list%,}

H=$(bench_free_port)
{
  printf 'global\n  maxconn 1000\ndefaults\n  mode tcp\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s\n'
  printf 'frontend grpc\n  bind 127.0.0.1:%s\n  default_backend ticket\nbackend ticket\n  balance roundrobin\n' "$H"
  for n in $(seq 1 "$REPLICAS"); do printf '  server t%s 127.0.0.1:%s\n' "$n" "${ports[$((n - 1))]}"; done
} >"$BENCH_TMP/haproxy.cfg"
haproxy -db -f "$BENCH_TMP/haproxy.cfg" >"$BENCH_TMP/haproxy.log" 2>&1 &
BENCH_PIDS+=($!)

G=$(bench_free_port)
cat >"$BENCH_TMP/gw.yaml" <<YAML
listen: 127.0.0.1:$G
workers: 1
descriptors: [$DESCRIPTORS]
services:
  switchboard.ticket.v1.TicketService:
    backends: [${list//,/, }]
    lb: round_robin
YAML
"$SWITCHBOARD" gateway --config "$BENCH_TMP/gw.yaml" --log-level warn >"$BENCH_TMP/gw.log" 2>&1 &
BENCH_PIDS+=($!)
wait_health "$H"
for _ in $(seq 1 "$READY_TRIES"); do
  curl -sf "http://127.0.0.1:$G/metrics" >/dev/null 2>&1 && break
  sleep 0.1
done

printf 'path' >"$OUT_DIR/balance.tsv"
for n in $(seq 1 "$REPLICAS"); do printf '\treplica_%s' "$n" >>"$OUT_DIR/balance.tsv"; done
printf '\terrors\n' >>"$OUT_DIR/balance.tsv"
count "HAProxy, TCP mode (L4)" "127.0.0.1:$H" pick_first
count "gateway (L7, round_robin)" "127.0.0.1:$G" pick_first
count "client round_robin" "ipv4:$list" round_robin
count "client pick_first" "ipv4:$list" pick_first

# xDS: a control plane and three replicas registered with it; the client asks for xds:///ticket.
report_progress "balance: xDS"
xds_note=""
X=$(bench_free_port)
"$SWITCHBOARD" xds --listen "127.0.0.1:$X" --data-dir "$BENCH_TMP/xds" --log-level warn \
  >"$BENCH_TMP/xds.log" 2>&1 &
BENCH_PIDS+=($!)
xds_ok=1
wait_health "$X" || xds_ok=0
if [ "$xds_ok" = 1 ]; then
  for n in $(seq 1 "$REPLICAS"); do
    replica "$n" "$(bench_free_port)" --xds "127.0.0.1:$X" || { xds_ok=0; break; }
  done
fi
if [ "$xds_ok" = 1 ]; then
  for _ in $(seq 1 "$READY_TRIES"); do
    [ "$("$SWITCHBOARD" xds list --server "127.0.0.1:$X" --service ticket 2>/dev/null | grep -c 'ticket-')" -ge "$REPLICAS" ] && break
    sleep 0.1
  done
  GRPC_XDS_BOOTSTRAP_CONFIG="$("$SWITCHBOARD" xds bootstrap --server "127.0.0.1:$X")" \
    count "xDS (xds:///ticket)" "xds:///ticket" "" || xds_ok=0
fi
if [ "$xds_ok" = 0 ]; then
  xds_note="The xDS row is missing: the control plane or its replicas did not start here (log: $(tail -1 "$BENCH_TMP/xds.log" 2>/dev/null))."
  echo "balance.sh: $xds_note" >&2
fi
# A path whose calls failed has no share to show: stop rather than plot a broken row.
broken=$(awk -F'\t' 'NR > 1 && $NF > 0 {printf "%s (%s errors); ", $1, $NF}' "$OUT_DIR/balance.tsv")
if [ -n "$broken" ]; then
  echo "balance.sh: calls failed: $broken see $BENCH_TMP/*.log" >&2
  cat "$BENCH_TMP/gw.log" >&2
  exit 1
fi
report_plot balance.gp "$OUT_DIR/balance.tsv" "$OUT_DIR/balance.svg"

echo "## 4. Balancing a long-lived HTTP/2 connection"
echo
echo "**The claim.** An L4 (TCP) proxy balances connections, not calls: one long-lived HTTP/2"
echo "connection through it pins every call to one server. Per-call balancing needs an L7 proxy (the"
echo "gateway), a client that balances itself, or xDS look-aside balancing."
echo
echo "**What was measured.** $REPLICAS \`switchboard serve ticket\` replicas; one grpc++ channel"
echo "(\`bench_balance\`) makes $CALLS GetEvent calls one after another and counts the \`x-server-id\` of each"
echo "reply. Through HAProxy (\`mode tcp\`, \`balance roundrobin\`) and through the gateway (\`lb: round_robin\`)"
echo "the channel holds one connection; client-side, the channel gets the three addresses and"
echo "\`round_robin\` or \`pick_first\`; with xDS it resolves \`xds:///ticket\` through \`switchboard xds\`, which"
echo "three more replicas registered with. $xds_note"
echo
report_machine
echo
echo "command: \`CALLS=$CALLS bench/report/balance.sh $BUILD_DIR docs/report\`"
echo
echo "![Share of calls per replica](report/balance.svg)"
echo
echo "| path | $(for n in $(seq 1 "$REPLICAS"); do printf 'replica %s (%%) | ' "$n"; done)errors |"
echo "|---|$(for n in $(seq 1 "$REPLICAS"); do printf -- '---|'; done)---|"
awk -F'\t' 'NR > 1 {line = "|"; for (i = 1; i <= NF; i++) line = line " " $i " |"; print line}' "$OUT_DIR/balance.tsv"
echo
l4=$(awk -F'\t' 'NR == 2 {m = 0; for (i = 2; i < NF; i++) if ($i > m) m = $i; print m}' "$OUT_DIR/balance.tsv")
gw=$(awk -F'\t' 'NR == 3 {m = 0; for (i = 2; i < NF; i++) if ($i > m) m = $i; print m}' "$OUT_DIR/balance.tsv")
echo "**Conclusion.** Through the L4 proxy one replica took $l4% of the calls; through the gateway the busiest took $gw%, and"
echo "client-side round_robin (and xDS, where measured) spread them the same way, while a pick_first client pins like L4 does."
echo "Not measured yet: the spread over time while a replica is killed and comes back."
