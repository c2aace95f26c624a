#!/usr/bin/env bash
# Fan-out of one stock server to STREAMS concurrent WatchStockPrice streams over CHANNELS
# connections: updates delivered per second against the nominal ticks x streams, tick-to-client
# latency against PriceUpdate.timestamp, and server memory per idle stream. Median of RUNS runs;
# every run starts its own server.
set -euo pipefail
BUILD_DIR=${1:-build}
SWITCHBOARD=$(realpath "$BUILD_DIR/switchboard")
LOADGEN=$(realpath "$BUILD_DIR/bench/bench_stock_fanout")
RUNS=${RUNS:-3}
STREAMS=${STREAMS:-10000}
CHANNELS=${CHANNELS:-16}
TICKS_MS=${TICKS_MS:-"10 100"}
MEASURE_S=${MEASURE_S:-10}
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_servers.sh"
load_at_start=$(bench_load)

# run_once TICK_MS MEASURE_S OUT: one server with that tick interval, one load generator run.
run_once() {
  local tick=$1 measure=$2 out=$3 port
  port=$(bench_free_port)
  printf 'services:\n  stock: {port: %s, tick_interval: %sms}\n' "$port" "$tick" >"$BENCH_TMP/stock.yaml"
  bench_serve stock "$port" --config "$BENCH_TMP/stock.yaml"
  timeout 300 "$LOADGEN" --target="127.0.0.1:$port" --streams="$STREAMS" --channels="$CHANNELS" \
    --server-pid="$(bench_last_pid)" --measure-s="$measure" --tick-ms="$tick" >"$out"
  bench_stop_servers
  rm -rf "$BENCH_TMP/var"
}

declare -A col
add() { col[$1]="${col[$1]:-} $2"; }
med() { bench_median ${col[$1]}; }
for i in $(seq 1 "$RUNS"); do
  # Idle streams: a tick interval of an hour, so each stream holds only its first price.
  run_once 3600000 0 "$BENCH_TMP/idle.out"
  add kib "$(bench_field kib_per_stream "$BENCH_TMP/idle.out")"
  add rss0 "$(bench_field rss_before_kib "$BENCH_TMP/idle.out")"
  add rss1 "$(bench_field rss_after_kib "$BENCH_TMP/idle.out")"
  add open "$(bench_field open_seconds "$BENCH_TMP/idle.out")"
  echo "run $i: idle $(bench_field kib_per_stream "$BENCH_TMP/idle.out") KiB/stream" >&2
  for tick in $TICKS_MS; do
    out="$BENCH_TMP/tick$tick.out"
    run_once "$tick" "$MEASURE_S" "$out"
    for f in deliveries_per_second nominal_deliveries_per_second ticks_observed_per_second \
      ticks_times_watchers_per_second dropped_per_second latency_p50_ms latency_p99_ms \
      server_cpu_percent server_busiest_thread_percent client_cpu_percent; do
      add "$f$tick" "$(bench_field "$f" "$out")"
    done
    echo "run $i: tick ${tick}ms $(bench_field deliveries_per_second "$out") deliveries/s," \
      "p50 $(bench_field latency_p50_ms "$out") ms, p99 $(bench_field latency_p99_ms "$out") ms" >&2
  done
done

echo "## Stock fan-out ($STREAMS WatchStockPrice streams, one server)"
echo
echo "command: RUNS=$RUNS STREAMS=$STREAMS CHANNELS=$CHANNELS TICKS_MS=\"$TICKS_MS\" MEASURE_S=$MEASURE_S bench/stock_fanout.sh; median of $RUNS runs, a fresh server per run and tick interval"
bench_machine
echo "load average (1/5/15 min): $load_at_start at start, $(bench_load) at end"
echo
echo "Streams spread over $CHANNELS connections; 5 generated symbols, $((STREAMS / 5)) streams each; a ${MEASURE_S} s window after 2 s of warm-up."
echo
echo "| tick_interval | deliveries/s | nominal (streams x 1000/tick) | ratio to nominal | ticks made/s (of nominal) | deliveries / (ticks made x watchers) | dropped (newest wins)/s | tick-to-client p50 | p99 | server CPU | busiest server thread | client CPU |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for tick in $TICKS_MS; do
  d=$(med "deliveries_per_second$tick"); n=$(med "nominal_deliveries_per_second$tick")
  printf '| %s ms | %.0f | %.0f | %s | %.1f (of %s) | %s | %.0f | %s ms | %s ms | %.0f%% | %.0f%% | %.0f%% |\n' \
    "$tick" "$d" "$n" "$(bench_ratio "$d" "$n")" "$(med "ticks_observed_per_second$tick")" \
    "$((5000 / tick))" "$(bench_ratio "$d" "$(med "ticks_times_watchers_per_second$tick")")" \
    "$(med "dropped_per_second$tick")" "$(med "latency_p50_ms$tick")" "$(med "latency_p99_ms$tick")" \
    "$(med "server_cpu_percent$tick")" "$(med "server_busiest_thread_percent$tick")" \
    "$(med "client_cpu_percent$tick")"
done
echo
printf 'Idle streams (tick_interval 1h): server VmRSS %.0f KiB before, %.0f KiB with %s streams open: %.1f KiB per stream (opened in %.2f s).\n' \
  "$(med rss0)" "$(med rss1)" "$STREAMS" "$(med kib)" "$(med open)"
echo
echo "Latency is receive time minus PriceUpdate.timestamp, which the server stamps in whole ms when the tick starts: each sample reads 0-1 ms high. CPU is percent of one core."
