#!/usr/bin/env bash
# One chat room with MEMBERS bidirectional streams: deliveries per second (texts received, over
# all members) with SENDERS senders posting closed-loop (WINDOW unanswered messages each), and
# send-to-deliver latency from a send time carried in each text. Also the same room with one
# sender and one message at a time (latency without queueing), and the baseline: a room holding
# only the senders, same server, same run. Median of RUNS runs; a fresh server per run.
set -euo pipefail
BUILD_DIR=${1:-build}
SWITCHBOARD=$(realpath "$BUILD_DIR/switchboard")
LOADGEN=$(realpath "$BUILD_DIR/bench/bench_chat")
RUNS=${RUNS:-3}
MEMBERS=${MEMBERS:-1000}
SENDERS=${SENDERS:-10}
WINDOW=${WINDOW:-4}
MEASURE_S=${MEASURE_S:-10}
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_servers.sh"
load_at_start=$(bench_load)

declare -A col
add() { col[$1]="${col[$1]:-} $2"; }
med() { bench_median ${col[$1]}; }
# room NAME MEMBERS SENDERS WINDOW: one load generator run into its own room.
room() {
  local out="$BENCH_TMP/$1.out"
  timeout 300 "$LOADGEN" --target="127.0.0.1:$port" --room="$1-$i" --members="$2" \
    --senders="$3" --window="$4" --measure-s="$MEASURE_S" >"$out"
  for f in messages_per_second deliveries_per_second latency_p50_ms latency_p99_ms members_failed; do
    add "$1_$f" "$(bench_field "$f" "$out")"
  done
  echo "run $i: $1: $(bench_field deliveries_per_second "$out") deliveries/s," \
    "p50 $(bench_field latency_p50_ms "$out") ms, p99 $(bench_field latency_p99_ms "$out") ms" >&2
}

for i in $(seq 1 "$RUNS"); do
  port=$(bench_free_port)
  bench_serve chat "$port"
  room big "$MEMBERS" "$SENDERS" "$WINDOW"
  room one "$MEMBERS" 1 1
  room small "$SENDERS" "$SENDERS" "$WINDOW"
  bench_stop_servers
  rm -rf "$BENCH_TMP/var"
done

row() {  # LABEL KEY MEMBERS SENDERS WINDOW
  printf '| %s | %s | %s x %s | %.0f | %.0f | %s | %s ms | %s ms | %s |\n' "$1" "$3" "$4" "$5" \
    "$(med "$2_messages_per_second")" "$(med "$2_deliveries_per_second")" \
    "$(bench_ratio "$(med "$2_deliveries_per_second")" "$(med small_deliveries_per_second)")" \
    "$(med "$2_latency_p50_ms")" "$(med "$2_latency_p99_ms")" "$(med "$2_members_failed")"
}
echo "## Chat room fan-out ($MEMBERS members, bidirectional streams)"
echo
echo "command: RUNS=$RUNS MEMBERS=$MEMBERS SENDERS=$SENDERS WINDOW=$WINDOW MEASURE_S=$MEASURE_S bench/chat_room.sh; median of $RUNS runs"
bench_machine
echo "load average (1/5/15 min): $load_at_start at start, $(bench_load) at end"
echo
echo "Members spread over 8 connections; chat settings at their defaults (member_queue 1024). Each sender keeps at most WINDOW of its own texts not yet delivered back to itself; a ${MEASURE_S} s window after 2 s of warm-up."
echo
echo "| room | members | senders x window | messages/s | deliveries/s | vs baseline deliveries/s | send-to-deliver p50 | p99 | members dropped |"
echo "|---|---|---|---|---|---|---|---|---|"
row "saturated" big "$MEMBERS" "$SENDERS" "$WINDOW"
row "one message at a time" one "$MEMBERS" 1 1
row "baseline: senders only" small "$SENDERS" "$SENDERS" "$WINDOW"
echo
echo "Latency covers every delivery (each member's receive time minus the send time in the text), so p99 is the slowest members' share of a fan-out."
