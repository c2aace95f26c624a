# Helpers for the benchmark scripts: free ports, servers that are always stopped, medians.
# Sourced, not run.

bench_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null \
    || echo $((20000 + RANDOM % 20000))
}

BENCH_PIDS=()
bench_cleanup() {
  for pid in "${BENCH_PIDS[@]:-}"; do
    # Under set -e a failed kill or wait must not end the loop: later servers would keep running.
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  done
  [ -n "${BENCH_TMP:-}" ] && rm -rf "$BENCH_TMP"
}
trap bench_cleanup EXIT INT TERM
BENCH_TMP=$(mktemp -d /tmp/switchboard-bench-XXXXXX)

# bench_serve SERVICE PORT [extra args]: starts `switchboard serve` and waits until it answers.
bench_serve() {
  local service=$1 port=$2; shift 2
  "$SWITCHBOARD" serve "$service" --port "$port" --data-dir "$BENCH_TMP/var" \
    --log-level "${BENCH_LOG_LEVEL:-warn}" "$@" \
    >"$BENCH_TMP/$service-$port.log" 2>&1 &
  BENCH_PIDS+=($!)
  for _ in $(seq 1 100); do
    "$SWITCHBOARD" call health check --address "127.0.0.1:$port" --timeout 500ms 2>/dev/null \
      | grep -q SERVING && return 0
    sleep 0.1
  done
  echo "bench: $service did not start on $port" >&2
  cat "$BENCH_TMP/$service-$port.log" >&2
  return 1
}

# median of the numbers given as arguments
bench_median() {
  printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'
}

# percentile P (0-100) of the numbers in FILE (one per line)
bench_percentile() {
  sort -g "$2" | awk -v p="$1" '{a[NR]=$1} END {i=int(NR*p/100); if (i<1) i=1; print a[i]}'
}

bench_machine() {
  echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), h2load $(h2load --version | awk '{print $2}')"
}

# Copies SWITCHBOARD and DESCRIPTORS into BENCH_TMP and points both variables at the copies, so a
# rebuild during the run cannot mix two versions; sets binary_note (path, build time, tree).
bench_snapshot_binary() {
  cp "$SWITCHBOARD" "$BENCH_TMP/switchboard"
  cp "$DESCRIPTORS" "$BENCH_TMP/switchboard.pb"
  binary_note="$(realpath --relative-to="$SCRIPT_DIR/.." "$SWITCHBOARD") built $(date -u -r "$SWITCHBOARD" '+%Y-%m-%d %H:%M UTC')"
  if git -C "$SCRIPT_DIR/.." rev-parse --short HEAD >/dev/null 2>&1; then
    binary_note+=", tree $(git -C "$SCRIPT_DIR/.." rev-parse --short HEAD)"
    [ -n "$(git -C "$SCRIPT_DIR/.." status --porcelain -- src 2>/dev/null)" ] && binary_note+=" + uncommitted changes under src/"
  fi
  SWITCHBOARD="$BENCH_TMP/switchboard"
  DESCRIPTORS="$BENCH_TMP/switchboard.pb"
}

# utime+stime of PID in clock ticks (BENCH_CLK_TCK per second).
bench_cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
BENCH_CLK_TCK=$(getconf CLK_TCK)

# GetEventRequest{id:"evt-1"}, length-prefixed, and the native gRPC headers to send it with.
printf '\x00\x00\x00\x00\x07\x0a\x05evt-1' >"$BENCH_TMP/get_event.bin"
BENCH_GET_EVENT=/switchboard.ticket.v1.TicketService/GetEvent
BENCH_GRPC_HEADERS=(-H 'content-type: application/grpc' -H 'te: trailers')

# bench_wait_get_event PORT PID LOG: until one GetEvent through PORT succeeds (10 s at most);
# fails with the process's log when it exits first or nothing answers.
bench_wait_get_event() {
  local port=$1 pid=$2 log=$3
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; echo "bench: process $pid exited while starting" >&2; return 1; }
    if timeout 5 h2load -n 1 -c 1 "${BENCH_GRPC_HEADERS[@]}" -d "$BENCH_TMP/get_event.bin" \
        "http://127.0.0.1:$port$BENCH_GET_EVENT" 2>/dev/null | grep -q '1 succeeded'; then
      return 0
    fi
    sleep 0.1
  done
  cat "$log" >&2
  echo "bench: nothing answered GetEvent on 127.0.0.1:$port" >&2
  return 1
}
