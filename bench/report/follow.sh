#!/usr/bin/env bash
# Report section 2: N clients following one price that changes every TICK_MS, through the
# gateway's REST side over HTTP/1.1: one NDJSON stream each (GET /stocks/AAPL/watch) vs polling
# GET /stocks/AAPL every 1 s and every 100 ms (bench/report/follow_price.py). Bytes on the wire
# (tcpdump on the gateway's port), requests, server CPU (gateway + stock service) and client CPU
# per minute, staleness p50/p99. Median of RUNS.
# Usage: bench/report/follow.sh BUILD_DIR OUT_DIR   (RUNS=3, CLIENTS="10 100", FOLLOW_SECONDS=8,
#        GATEWAY_CPU=0, STOCK_CPU=1)
# Writes OUT_DIR/follow.tsv and follow.svg; prints the markdown section.
set -euo pipefail
BUILD_DIR=$1
OUT_DIR=$2
RUNS=${RUNS:-3}
CLIENTS=${CLIENTS:-"10 100"}
FOLLOW_SECONDS=${FOLLOW_SECONDS:-8}
GATEWAY_CPU=${GATEWAY_CPU:-0}
STOCK_CPU=${STOCK_CPU:-1}
TICK_MS=100
CAPTURE_SETTLE_S=1
SECONDS_PER_MINUTE=60
REPORT_SCRIPTS=$(cd "$(dirname "$0")" && pwd)
SCRIPT_DIR="$REPORT_SCRIPTS/.."
SWITCHBOARD=$(realpath "$BUILD_DIR/switchboard")
DESCRIPTORS=$(realpath "$BUILD_DIR/switchboard.pb")
source "$SCRIPT_DIR/lib.sh"
source "$SCRIPT_DIR/lib_servers.sh"
source "$REPORT_SCRIPTS/lib_report.sh"
for n in $CLIENTS; do
  case "$n" in '' | *[!0-9]*) echo "follow.sh: CLIENTS: $n is not a count" >&2; exit 2 ;; esac
done
bench_snapshot_binary

S=$(bench_free_port)
G=$(bench_free_port)
printf 'services:\n  stock: {port: %s, tick_interval: %sms}\n' "$S" "$TICK_MS" >"$BENCH_TMP/stock.yaml"
taskset -c "$STOCK_CPU" "$SWITCHBOARD" serve stock --port "$S" --config "$BENCH_TMP/stock.yaml" \
  --data-dir "$BENCH_TMP/var" --log-level warn >"$BENCH_TMP/stock.log" 2>&1 &
STOCK=$!
BENCH_PIDS+=($STOCK)
cat >"$BENCH_TMP/gw.yaml" <<YAML
listen: 127.0.0.1:$G
workers: 1
descriptors: [$DESCRIPTORS]
services:
  switchboard.stock.v1.StockService:
    backends: [127.0.0.1:$S]
    # A stream lasts the whole run; the default deadline (5 s) would end it midway.
    timeout: {default: 10m, max: 10m}
YAML
taskset -c "$GATEWAY_CPU" "$SWITCHBOARD" gateway --config "$BENCH_TMP/gw.yaml" --log-level warn \
  >"$BENCH_TMP/gw.log" 2>&1 &
GATEWAY=$!
BENCH_PIDS+=($GATEWAY)
ready=0
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$G/stocks/AAPL" >/dev/null 2>&1 && { ready=1; break; }
  sleep 0.1
done
[ "$ready" = 1 ] || { echo "follow.sh: GET /stocks/AAPL never answered" >&2; cat "$BENCH_TMP/gw.log" "$BENCH_TMP/stock.log" >&2; exit 1; }

cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{sub(/.*\) /, ""); split($0, f, " "); print (f[12] + f[13]) * 1000 / hz}' "/proc/$1/stat"; }
MODES=(stream poll_1s poll_100ms)
declare -A LABEL=([stream]="stream" [poll_1s]="GET every 1 s" [poll_100ms]="GET every 100 ms")
declare -A INTERVAL=([poll_1s]=1.0 [poll_100ms]=0.1)
declare -A bytes requests cpu client p50 p99 seen
per_min() { awk -v v="$1" -v s="$FOLLOW_SECONDS" -v m="$SECONDS_PER_MINUTE" 'BEGIN {printf "%.0f", v / s * m}'; }
for run in $(seq 1 "$RUNS"); do
  for n in $CLIENTS; do
    for mode in "${MODES[@]}"; do
      report_progress "follow: run $run, $n clients, ${LABEL[$mode]}"
      tcpdump -i lo -U --immediate-mode -nn -s 96 -w "$BENCH_TMP/follow.pcap" "tcp port $G" \
        2>"$BENCH_TMP/tcpdump.log" &
      capture=$!
      BENCH_PIDS+=($capture)
      sleep "$CAPTURE_SETTLE_S"
      before=$(( $(cpu_ms "$GATEWAY" | cut -d. -f1) + $(cpu_ms "$STOCK" | cut -d. -f1) ))
      if [ "$mode" = stream ]; then
        args=(--mode stream)
      else
        args=(--mode poll --interval "${INTERVAL[$mode]}")
      fi
      python3 "$REPORT_SCRIPTS/follow_price.py" --port "$G" --clients "$n" --seconds "$FOLLOW_SECONDS" \
        --tick-ms "$TICK_MS" \
        "${args[@]}" >"$BENCH_TMP/follow.out" || { echo "follow.sh: the clients failed ($n, $mode)" >&2; exit 1; }
      after=$(( $(cpu_ms "$GATEWAY" | cut -d. -f1) + $(cpu_ms "$STOCK" | cut -d. -f1) ))
      sleep "$CAPTURE_SETTLE_S"
      kill -INT "$capture"; wait "$capture" || true
      bench_forget "$capture"
      total=$(tcpdump -r "$BENCH_TMP/follow.pcap" -nn -q 2>/dev/null | awk '{b += $NF} END {print b + 0}')
      k=$n-$mode
      bytes[$k]+=" $(per_min "$total")"
      requests[$k]+=" $(per_min "$(bench_field requests "$BENCH_TMP/follow.out")")"
      cpu[$k]+=" $(per_min $((after - before)))"
      client[$k]+=" $(per_min "$(bench_field client_cpu_ms "$BENCH_TMP/follow.out")")"
      p50[$k]+=" $(bench_field staleness_p50_ms "$BENCH_TMP/follow.out")"
      p99[$k]+=" $(bench_field staleness_p99_ms "$BENCH_TMP/follow.out")"
      # Share of the price changes each client saw (one every TICK_MS).
      seen[$k]+=" $(awk -v u="$(bench_field updates_seen "$BENCH_TMP/follow.out")" -v n="$n" \
        -v s="$FOLLOW_SECONDS" -v t="$TICK_MS" 'BEGIN {printf "%.0f", 100 * u / n / (s * 1000 / t)}')"
    done
  done
done

{
  printf 'case\tclients\tmode\tbytes_per_min\trequests_per_min\tserver_cpu_ms_per_min\tclient_cpu_ms_per_min\tstaleness_p50_ms\tstaleness_p99_ms\tchanges_seen_pct\n'
  for n in $CLIENTS; do
    for mode in "${MODES[@]}"; do
      k=$n-$mode
      # shellcheck disable=SC2086
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n x ${LABEL[$mode]}" "$n" "${LABEL[$mode]}" \
        "$(bench_median ${bytes[$k]})" "$(bench_median ${requests[$k]})" "$(bench_median ${cpu[$k]})" \
        "$(bench_median ${client[$k]})" "$(bench_median ${p50[$k]})" "$(bench_median ${p99[$k]})" \
        "$(bench_median ${seen[$k]})"
    done
  done
} >"$OUT_DIR/follow.tsv"
report_plot follow.gp "$OUT_DIR/follow.tsv" "$OUT_DIR/follow.svg"

echo "## 2. Streaming vs polling"
echo
echo "**The claim.** Following a changing value, one server stream beats polling: fewer bytes and"
echo "requests, less CPU, and the client sees each change at once instead of up to one interval late."
echo
echo "**What was measured.** \`switchboard serve stock\` (CPU $STOCK_CPU) with AAPL changing every $TICK_MS ms, behind the"
echo "gateway (1 worker, CPU $GATEWAY_CPU); N clients (bench/report/follow_price.py, Python asyncio, one"
echo "HTTP/1.1 connection each) for $FOLLOW_SECONDS s: each holds \`GET /stocks/AAPL/watch\` (NDJSON) or polls"
echo "\`GET /stocks/AAPL\` every 1 s or every 100 ms, at a random phase. Bytes: TCP payload both ways on the"
echo "gateway's client port (tcpdump), per minute. Server CPU: gateway + stock service. Client CPU is"
echo "Python's and only comparable between the rows. Staleness of a change: from when the service"
echo "made it (its timestamp; one clock) until the client holds that price or a newer one. The gateway-to-stock side is"
echo "one gRPC stream or one unary call per request, not counted in the bytes. Medians of $RUNS runs."
echo
report_machine
echo
echo "command: \`RUNS=$RUNS CLIENTS=\"$CLIENTS\" FOLLOW_SECONDS=$FOLLOW_SECONDS bench/report/follow.sh $BUILD_DIR docs/report\`"
echo
echo "![Streaming vs polling](report/follow.svg)"
echo
echo "| clients | how | bytes/min | requests/min | server CPU ms/min | client CPU ms/min | staleness p50 ms | p99 ms | changes seen |"
echo "|---|---|---|---|---|---|---|---|---|"
awk -F'\t' 'NR > 1 {printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s%% |\n", $2, $3, $4, $5, $6, $7, $8, $9, $10}' "$OUT_DIR/follow.tsv"
echo
n=$(echo $CLIENTS | awk '{print $NF}')
read -r sb s_cpu s50 s99 p1b p1cpu p150 p199 pfb pfcpu pf50 pf99 < <(awk -F'\t' -v n="$n" '$2 == n {printf "%s %s %s %s ", $4, $6, $8, $9} END {print ""}' "$OUT_DIR/follow.tsv")
echo "**Conclusion.** With $n clients the stream sends every change ($sb bytes/min, $s_cpu ms/min of server CPU, staleness p50 $s50 ms, p99 $s99 ms). Polling every 1 s sends fewer bytes ($p1b/min) but its price is $p150 ms old at p50 ($p199 at p99) and it never sees most changes;"
echo "polling every 100 ms sees nearly all of them, still $pf50 ms late at p50, for $(bench_ratio "$pfb" "$sb")x the stream's bytes and $(bench_ratio "$pfcpu" "$s_cpu")x its server CPU."
