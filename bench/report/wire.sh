#!/usr/bin/env bash
# Report section 6: the same GetEvent through the gateway as REST (JSON over HTTP/1.1), as REST
# over h2c, and as native gRPC (HTTP/2): TCP bytes and packets per call between client and
# gateway (tcpdump on loopback), the gateway's syscalls per call (strace -c -f) and its CPU per
# call (/proc), at 1 and at IN_FLIGHT calls in flight. Gateway on GATEWAY_CPU, ticket server and
# h2load on BACKEND_CPU.
# Usage: bench/report/wire.sh BUILD_DIR OUT_DIR   (RUNS=3, REQUESTS=20000, BYTES_REQUESTS=1000,
#        SYSCALL_REQUESTS=2000, IN_FLIGHT=16, GATEWAY_CPU=0, BACKEND_CPU=1)
# Writes OUT_DIR/wire-*.tsv and wire.svg; prints the markdown section.
set -euo pipefail
BUILD_DIR=$1
OUT_DIR=$2
RUNS=${RUNS:-3}
REQUESTS=${REQUESTS:-20000}
BYTES_REQUESTS=${BYTES_REQUESTS:-1000}
SYSCALL_REQUESTS=${SYSCALL_REQUESTS:-2000}
IN_FLIGHT=${IN_FLIGHT:-16}
GATEWAY_CPU=${GATEWAY_CPU:-0}
BACKEND_CPU=${BACKEND_CPU:-1}
H2LOAD_TIMEOUT=${H2LOAD_TIMEOUT:-120}  # seconds; every load generator run is bounded
CAPTURE_SETTLE_S=1                     # tcpdump needs a moment to attach before and flush after
REPORT_SCRIPTS=$(cd "$(dirname "$0")" && pwd)
SCRIPT_DIR="$REPORT_SCRIPTS/.."
SWITCHBOARD=$(realpath "$BUILD_DIR/switchboard")
DESCRIPTORS=$(realpath "$BUILD_DIR/switchboard.pb")
source "$SCRIPT_DIR/lib.sh"
source "$SCRIPT_DIR/lib_servers.sh"
source "$REPORT_SCRIPTS/lib_report.sh"
for tool in h2load tcpdump strace taskset; do
  command -v "$tool" >/dev/null || { echo "wire.sh: $tool not found (SWITCHBOARD_REPORT=1 scripts/install-deps.sh)" >&2; exit 1; }
done
case "$IN_FLIGHT" in '' | *[!0-9]*) echo "wire.sh: IN_FLIGHT=$IN_FLIGHT: expected a count" >&2; exit 2 ;; esac
bench_snapshot_binary

EVENT_ID=evt-1  # seeded by the ticket service
REST_PATH=/events/$EVENT_ID
GRPC_PATH=/switchboard.ticket.v1.TicketService/GetEvent
# GetEventRequest{id: "evt-1"} in a gRPC frame: no compression, length 7.
printf '\x00\x00\x00\x00\x07\x0a\x05evt-1' >"$BENCH_TMP/get_event.bin"
VARIANTS=(rest_h1 rest_h2 grpc)
declare -A LABEL=([rest_h1]="REST/JSON, HTTP/1.1" [rest_h2]="REST/JSON, h2c" [grpc]="gRPC, HTTP/2")

T=$(bench_free_port)
G=$(bench_free_port)
taskset -c "$BACKEND_CPU" "$SWITCHBOARD" serve ticket --port "$T" --data-dir "$BENCH_TMP/var" \
  --log-level warn >"$BENCH_TMP/ticket.log" 2>&1 &
BENCH_PIDS+=($!)
cat >"$BENCH_TMP/gw.yaml" <<YAML
listen: 127.0.0.1:$G
workers: 1
descriptors: [$DESCRIPTORS]
services:
  switchboard.ticket.v1.TicketService:
    backends: [127.0.0.1:$T]
YAML
taskset -c "$GATEWAY_CPU" "$SWITCHBOARD" gateway --config "$BENCH_TMP/gw.yaml" --log-level warn \
  >"$BENCH_TMP/gw.log" 2>&1 &
GATEWAY=$!
BENCH_PIDS+=($GATEWAY)
ready=0
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$G$REST_PATH" >/dev/null 2>&1 && { ready=1; break; }
  sleep 0.1
done
[ "$ready" = 1 ] || { echo "wire.sh: gateway on $G never answered $REST_PATH" >&2; cat "$BENCH_TMP/gw.log" "$BENCH_TMP/ticket.log" >&2; exit 1; }

# load VARIANT N IN_FLIGHT: N GetEvent calls; fails unless every call succeeded.
load() {
  local variant=$1 n=$2 inflight=$3 out="$BENCH_TMP/h2load.out"
  case "$variant" in
    rest_h1) taskset -c "$BACKEND_CPU" timeout "$H2LOAD_TIMEOUT" h2load --h1 -n "$n" -c "$inflight" \
               "http://127.0.0.1:$G$REST_PATH" >"$out" ;;
    rest_h2) taskset -c "$BACKEND_CPU" timeout "$H2LOAD_TIMEOUT" h2load -n "$n" -c 1 -m "$inflight" \
               "http://127.0.0.1:$G$REST_PATH" >"$out" ;;
    grpc) taskset -c "$BACKEND_CPU" timeout "$H2LOAD_TIMEOUT" h2load -n "$n" -c 1 -m "$inflight" \
            -H 'content-type: application/grpc' -H 'te: trailers' -d "$BENCH_TMP/get_event.bin" \
            "http://127.0.0.1:$G$GRPC_PATH" >"$out" ;;
  esac
  grep -q "^requests: $n total, $n started, $n done, $n succeeded" "$out" \
    || { echo "wire.sh: $variant: not every call succeeded:" >&2; cat "$out" >&2; exit 1; }
}

CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }

# 1. Bytes and packets per call, one call in flight on one connection (set-up included).
report_progress "wire: bytes per call (tcpdump, $BYTES_REQUESTS calls each)"
printf 'variant\trequest_bytes\tresponse_bytes\trequest_packets\tresponse_packets\n' >"$OUT_DIR/wire-bytes.tsv"
for v in "${VARIANTS[@]}"; do
  tcpdump -i lo -U --immediate-mode -nn -s 96 -w "$BENCH_TMP/$v.pcap" "tcp port $G" \
    2>"$BENCH_TMP/tcpdump.log" &
  capture=$!
  BENCH_PIDS+=($capture)
  sleep "$CAPTURE_SETTLE_S"
  load "$v" "$BYTES_REQUESTS" 1
  sleep "$CAPTURE_SETTLE_S"
  kill -INT "$capture"; wait "$capture" || true
  bench_forget "$capture"
  # Lines: "... IP 127.0.0.1.A > 127.0.0.1.B: tcp LEN"; to the gateway's port = request side.
  tcpdump -r "$BENCH_TMP/$v.pcap" -nn -q 2>/dev/null | awk -v g=".$G:" -v v="$v" -v n="$BYTES_REQUESTS" '
      { len = $NF; if ($5 ~ g"$") { rq += len; if (len > 0) rp++ } else { rs += len; if (len > 0) sp++ } }
      END { printf "%s\t%.1f\t%.1f\t%.2f\t%.2f\n", v, rq / n, rs / n, rp / n, sp / n }' \
    >>"$OUT_DIR/wire-bytes.tsv"
done

# 2. Syscalls per call in the gateway (both its sides: client and backend), median of RUNS.
report_progress "wire: gateway syscalls per call (strace -c -f, $SYSCALL_REQUESTS calls, $RUNS runs)"
declare -A sys cpu
for run in $(seq 1 "$RUNS"); do
  for inflight in 1 "$IN_FLIGHT"; do
    for v in "${VARIANTS[@]}"; do
      strace -c -f -p "$GATEWAY" -o "$BENCH_TMP/strace.txt" 2>/dev/null &
      tracer=$!
      BENCH_PIDS+=($tracer)
      sleep "$CAPTURE_SETTLE_S"
      load "$v" "$SYSCALL_REQUESTS" "$inflight"
      kill -INT "$tracer"; wait "$tracer" || true
      bench_forget "$tracer"
      sys[$v-$inflight]+=" $(awk -v n="$SYSCALL_REQUESTS" '$NF == "total" {printf "%.2f", $4 / n}' "$BENCH_TMP/strace.txt")"
    done
  done
done
# Which syscalls, for the last run at one call in flight, kept for the table below.
strace_detail() {
  awk -v n="$SYSCALL_REQUESTS" 'NF >= 5 && $NF != "total" && $NF != "syscall" && $1 !~ /^-/ {
      c = $4; if ($4 + 0 == 0) next; if (c / n >= 0.05) printf "%s %.2f, ", $NF, c / n }' "$1" | sed 's/, $//'
}

# 3. Gateway CPU per call, no tracer, median of RUNS.
report_progress "wire: gateway CPU per call ($REQUESTS calls, $RUNS runs)"
declare -A rps
for run in $(seq 1 "$RUNS"); do
  for inflight in 1 "$IN_FLIGHT"; do
    for v in "${VARIANTS[@]}"; do
      before=$(cpu_ticks "$GATEWAY")
      load "$v" "$REQUESTS" "$inflight"
      after=$(cpu_ticks "$GATEWAY")
      cpu[$v-$inflight]+=" $(awk -v t=$((after - before)) -v hz="$CLK_TCK" -v n="$REQUESTS" 'BEGIN {printf "%.1f", t / hz * 1e6 / n}')"
      rps[$v-$inflight]+=" $(awk '/^finished in/ {gsub(",", "", $4); print $4}' "$BENCH_TMP/h2load.out")"
    done
  done
done

{
  printf 'variant'
  for inflight in 1 "$IN_FLIGHT"; do printf '\tsyscalls_%s\tcpu_us_%s\trps_%s' "$inflight" "$inflight" "$inflight"; done
  printf '\n'
  for v in "${VARIANTS[@]}"; do
    printf '%s' "${LABEL[$v]}"
    for inflight in 1 "$IN_FLIGHT"; do
      # shellcheck disable=SC2086
      printf '\t%s\t%s\t%s' "$(bench_median ${sys[$v-$inflight]})" "$(bench_median ${cpu[$v-$inflight]})" \
        "$(bench_median ${rps[$v-$inflight]})"
    done
    printf '\n'
  done
} >"$OUT_DIR/wire-gateway.tsv"
awk -F'\t' -v OFS='\t' 'NR == 1 {print "variant", $2, $3, $4, $5; next}
  {sub(/^rest_h1$/, "REST/JSON, HTTP/1.1", $1); sub(/^rest_h2$/, "REST/JSON, h2c", $1);
   sub(/^grpc$/, "gRPC, HTTP/2", $1); print}' "$OUT_DIR/wire-bytes.tsv" >"$BENCH_TMP/bytes-labelled.tsv"
mv "$BENCH_TMP/bytes-labelled.tsv" "$OUT_DIR/wire-bytes.tsv"
gnuplot -e "bytes='$OUT_DIR/wire-bytes.tsv'; gateway='$OUT_DIR/wire-gateway.tsv'; inflight='$IN_FLIGHT'; out='$OUT_DIR/wire.svg'" \
  "$REPORT_SCRIPTS/wire.gp" || { echo "report: gnuplot wire.gp failed" >&2; exit 1; }

field() { awk -F'\t' -v r="$1" -v c="$2" 'NR == r + 1 {print $c}' "$3"; }
echo "## 6. HTTP/1.1 REST vs HTTP/2 gRPC through the gateway"
echo
echo "**The claim.** gRPC over HTTP/2 is cheaper per call than REST/JSON over HTTP/1.1: fewer bytes"
echo "(binary messages, HPACK-compressed headers) and fewer syscalls (many calls on one connection)."
echo
echo "**What was measured.** The same \`GetEvent(evt-1)\` through one gateway (1 worker, CPU"
echo "$GATEWAY_CPU) to one ticket server (CPU $BACKEND_CPU), sent by h2load (CPU $BACKEND_CPU) as REST/JSON over"
echo "HTTP/1.1 (\`GET $REST_PATH\`), as the same REST over h2c, and as native gRPC. Bytes: TCP payload"
echo "between client and gateway, captured by tcpdump on loopback, $BYTES_REQUESTS calls one after the other"
echo "on one connection (its set-up included; add 52 bytes of IP and TCP header per packet for the"
echo "bytes on the wire). Syscalls: \`strace -c -f\` on the gateway over $SYSCALL_REQUESTS calls (both of its"
echo "sides: the backend side is gRPC in every variant). CPU: the gateway's user + system time over"
echo "$REQUESTS calls, without a tracer. With $IN_FLIGHT in flight, HTTP/1.1 uses $IN_FLIGHT connections and HTTP/2"
echo "one connection with $IN_FLIGHT streams. Medians of $RUNS runs."
echo
report_machine
echo
echo "command: \`RUNS=$RUNS REQUESTS=$REQUESTS BYTES_REQUESTS=$BYTES_REQUESTS SYSCALL_REQUESTS=$SYSCALL_REQUESTS IN_FLIGHT=$IN_FLIGHT bench/report/wire.sh $BUILD_DIR docs/report\`"
echo
echo "![Bytes, syscalls and CPU per GetEvent](report/wire.svg)"
echo
echo "| per call | request bytes | response bytes | request packets | response packets | gateway syscalls (1 in flight) | gateway CPU us (1) | req/s (1) | gateway syscalls ($IN_FLIGHT in flight) | gateway CPU us ($IN_FLIGHT) | req/s ($IN_FLIGHT) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
paste "$OUT_DIR/wire-bytes.tsv" <(cut -f2- "$OUT_DIR/wire-gateway.tsv") | awk -F'\t' 'NR > 1 {
    printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11}'
echo
echo "Runs (syscalls; CPU us): $(for v in "${VARIANTS[@]}"; do printf '%s: %s;%s / %s;%s. ' "${LABEL[$v]}" "${sys[$v-1]}" "${cpu[$v-1]}" "${sys[$v-$IN_FLIGHT]}" "${cpu[$v-$IN_FLIGHT]}"; done)"
echo
h1_bytes=$(awk -F'\t' 'NR == 2 {print $2 + $3}' "$OUT_DIR/wire-bytes.tsv")
h2_bytes=$(awk -F'\t' 'NR == 3 {print $2 + $3}' "$OUT_DIR/wire-bytes.tsv")
grpc_bytes=$(awk -F'\t' 'NR == 4 {print $2 + $3}' "$OUT_DIR/wire-bytes.tsv")
echo "**Conclusion.** One GetEvent costs $h1_bytes bytes as REST over HTTP/1.1, $h2_bytes as REST over h2c and $grpc_bytes as gRPC ($(bench_ratio "$h1_bytes" "$grpc_bytes")x from first to last); the gateway spends $(field 1 3 "$OUT_DIR/wire-gateway.tsv") / $(field 2 3 "$OUT_DIR/wire-gateway.tsv") / $(field 3 3 "$OUT_DIR/wire-gateway.tsv") us of CPU per call at one in flight"
echo "and $(field 1 6 "$OUT_DIR/wire-gateway.tsv") / $(field 2 6 "$OUT_DIR/wire-gateway.tsv") / $(field 3 6 "$OUT_DIR/wire-gateway.tsv") us at $IN_FLIGHT in flight, where HTTP/2's one connection also cuts the syscalls per call ($(field 1 5 "$OUT_DIR/wire-gateway.tsv") / $(field 2 5 "$OUT_DIR/wire-gateway.tsv") / $(field 3 5 "$OUT_DIR/wire-gateway.tsv")). REST over h2c separates what HTTP/2 saves from what protobuf saves."
