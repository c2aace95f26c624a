#!/usr/bin/env bash
# Report section 5: the gateway beside nghttpx, HAProxy, nginx (and grpc-gateway for REST), from
# the last run of bench/gateway.sh recorded in docs/benchmarks-gateway.md: its native gRPC
# req/s table and its added-latency table, parsed (not re-run: the full run takes ~10 minutes).
# Usage: bench/report/peers.sh OUT_DIR [RESULTS_FILE]
# Writes OUT_DIR/peers-*.tsv and peers.svg; prints the markdown section.
set -euo pipefail
OUT_DIR=$1
RESULTS=${2:-docs/benchmarks-gateway.md}
REPORT_SCRIPTS=$(cd "$(dirname "$0")" && pwd)
source "$REPORT_SCRIPTS/lib_report.sh"
[ -f "$RESULTS" ] || { echo "peers.sh: $RESULTS: no such file" >&2; exit 1; }

RPS_HEADING='#### Native gRPC unary GetEvent'
LATENCY_HEADING='#### Added latency at one request in flight'
start=$(grep -n "^$RPS_HEADING" "$RESULTS" | tail -1 | cut -d: -f1)
[ -n "$start" ] || { echo "peers.sh: $RESULTS has no '$RPS_HEADING' table" >&2; exit 1; }
# The run's own lines (command, binary, machine, load) sit between its "### " heading and the table.
heading_line=$(awk -v s="$start" 'NR < s && /^### / {h = NR} END {print h}' "$RESULTS")
run_lines=$(sed -n "${heading_line},${start}p" "$RESULTS" | grep -E '^(command|binary|machine|backend|peers|load average):' || true)

# table_after LINE: the rows of the first markdown table after LINE, cells trimmed, tab-separated.
table_after() {
  awk -v s="$1" 'NR > s && /^\|/ {in_table = 1; if ($0 !~ /^\|---/) print; next}
      in_table {exit}' "$RESULTS" \
    | sed -e 's/^| *//' -e 's/ *|$//' -e 's/ *| */\t/g'
}
table_after "$start" | awk -F'\t' -v OFS='\t' 'NR == 1 {print "path", "rps", "vs_direct", "proxy_cpu_us"; next}
    {cpu = $5; sub(/ us$/, "", cpu); if (cpu == "n/a") cpu = 0; print $1, $2, $3, cpu}' >"$OUT_DIR/peers-rps.tsv"
latency_start=$(awk -v s="$start" -v h="$LATENCY_HEADING" 'NR > s && $0 == h {print NR; exit}' "$RESULTS")
[ -n "$latency_start" ] || { echo "peers.sh: no '$LATENCY_HEADING' after line $start of $RESULTS" >&2; exit 1; }
table_after "$latency_start" | awk -F'\t' -v OFS='\t' 'NR == 1 {print "path", "added_p50_us"; next}
    $5 != "" {v = $5; gsub(/[+ us]/, "", v); print $1, v}' >"$OUT_DIR/peers-latency.tsv"
rows=$(($(wc -l <"$OUT_DIR/peers-rps.tsv") - 1))
[ "$rows" -ge 2 ] || { echo "peers.sh: the req/s table after line $start has $rows rows" >&2; exit 1; }
# Short names for the plot's axis; the tables keep the run's own.
shorten() {
  sed -e 's/ (default --log-level info)//' -e 's/, access log on/ +log/' -e 's/gateway, native gRPC/gateway/' \
    -e 's#REST GET /events/evt-1#REST#' -e 's/(HTTP\/1.1)/h1/' -e 's/(h2c)/h2c/' -e 's/^gateway, /gateway /' \
    -e 's/grpc-gateway v1, /grpc-gateway /' "$1" >"$2"
}
mkdir -p "$OUT_DIR/.plot"
shorten "$OUT_DIR/peers-rps.tsv" "$OUT_DIR/.plot/peers-rps.tsv"
shorten "$OUT_DIR/peers-latency.tsv" "$OUT_DIR/.plot/peers-latency.tsv"
report_plot peers.gp "$OUT_DIR/.plot/peers" "$OUT_DIR/peers.svg"
rm -rf "$OUT_DIR/.plot"

echo "## 5. The gateway beside the peers"
echo
echo "**The claim.** The gateway proxies native gRPC about as fast as the established proxies"
echo "(nghttpx, HAProxy, nginx \`grpc_pass\`) and adds well under 100 us at one call in flight."
echo
echo "**What was measured.** Not re-run here (\`bench/gateway.sh\` takes about 10 minutes): the last run"
echo "recorded in docs/benchmarks-gateway.md, parsed from its tables (line $start of that file). That run:"
echo
echo '```'
echo "$run_lines"
echo '```'
echo
echo "This report was generated on: $(report_machine | sed 's/^machine: //')"
echo
echo "command: \`bench/report/peers.sh docs/report docs/benchmarks-gateway.md\` (re-measure with \`RUNS=3 bench/gateway.sh build\`)"
echo
echo "![req/s vs direct and added latency per proxy](report/peers.svg)"
echo
echo "| path | req/s | vs direct | proxy CPU us/req |"
echo "|---|---|---|---|"
awk -F'\t' 'NR > 1 {printf "| %s | %s | %s | %s |\n", $1, $2, $3, ($4 == 0 ? "n/a" : $4)}' "$OUT_DIR/peers-rps.tsv"
echo
echo "| path (one call in flight) | added p50 us |"
echo "|---|---|"
awk -F'\t' 'NR > 1 {printf "| %s | %s |\n", $1, $2}' "$OUT_DIR/peers-latency.tsv"
echo
gw=$(awk -F'\t' '$1 == "gateway" {print $3}' "$OUT_DIR/peers-rps.tsv")
best=$(awk -F'\t' 'NR > 1 && $1 != "direct" && $1 !~ /^gateway/ {if ($3 > b) {b = $3; n = $1}} END {print n, b}' "$OUT_DIR/peers-rps.tsv")
added=$(awk -F'\t' '$1 == "gateway, native gRPC" {print $2}' "$OUT_DIR/peers-latency.tsv")
echo "**Conclusion.** In that run the gateway reached ${gw}x direct, the best peer (${best% *}) ${best##* }x; it added $added us at p50 with one call in flight."
echo "These are one recorded run on a shared 2-core machine: its per-run numbers (in the file) spread by tens of percent."
