#!/usr/bin/env bash
# Builds the Go peers of bench/gateway.sh offline, from Debian's Go packages (GOPATH mode, no
# module proxy): BUILD_DIR/bench-go/ticket_backend (a grpc-go TicketService) and
# BUILD_DIR/bench-go/rest_gateway (grpc-gateway v1 generated from ticket.proto). The generated
# code lives in BUILD_DIR/bench-go/gopath and is never committed.
#
# Usage: bench/go/build.sh [BUILD_DIR]
# Needs: apt-get install -y golang-go golang-google-grpc-dev golang-goprotobuf-dev
#   golang-google-genproto-dev golang-github-grpc-ecosystem-grpc-gateway-dev golang-grpc-gateway
#   protobuf-compiler   (or SWITCHBOARD_BENCH=1 scripts/install-deps.sh)
# Exits 1 when a binary could not be built, after trying both; each failure is one line
# "bench/go/build.sh: NAME: why" on stderr, and a binary that failed is not left behind.
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
BUILD_DIR=${1:-build}
mkdir -p "$BUILD_DIR/bench-go"
OUT=$(realpath "$BUILD_DIR/bench-go")
GOCODE=${GOCODE:-/usr/share/gocode}
PACKAGES="golang-go golang-google-grpc-dev golang-goprotobuf-dev golang-google-genproto-dev golang-github-grpc-ecosystem-grpc-gateway-dev golang-grpc-gateway"
GOOGLE_PROTOS="$ROOT/node_modules/google-proto-files"
TICKET_PROTO=switchboard/ticket/v1/ticket.proto
# The Go import path of the generated package (the proto has no go_package option).
TICKET_GO=switchboard/ticket/v1

fail() { echo "bench/go/build.sh: $*" >&2; exit 1; }
rm -f "$OUT/ticket_backend" "$OUT/rest_gateway"

command -v go >/dev/null || fail "all: go not found (apt-get install -y $PACKAGES)"
command -v protoc >/dev/null || fail "all: protoc not found (apt-get install -y protobuf-compiler)"
[ -d "$GOCODE/src/google.golang.org/grpc" ] || fail "all: $GOCODE/src/google.golang.org/grpc missing (apt-get install -y golang-google-grpc-dev)"
[ -f "$GOOGLE_PROTOS/google/api/annotations.proto" ] || fail "all: $GOOGLE_PROTOS/google/api/annotations.proto missing: run 'npm ci'"
# google/protobuf/timestamp.proto: protoc's own include directory.
PROTOC_INCLUDE=""
for d in /usr/include /usr/local/include; do
  [ -f "$d/google/protobuf/timestamp.proto" ] && { PROTOC_INCLUDE=$d; break; }
done
[ -n "$PROTOC_INCLUDE" ] || fail "all: google/protobuf/timestamp.proto not found (apt-get install -y libprotobuf-dev)"

# GOPATH mode against Debian's sources: our generated package first, then /usr/share/gocode.
# A fixed GOPATH and GOCACHE under BUILD_DIR, so a second build reuses the compiled packages.
export GO111MODULE=off GOFLAGS="" GOPATH="$OUT/gopath:$GOCODE" GOCACHE="$OUT/cache" GOPROXY=off

# The protoc plugins: Debian's binaries, else built from the sources in /usr/share/gocode.
mkdir -p "$OUT/bin"
plugin() {  # NAME IMPORT_PATH: prints the plugin's path
  if command -v "$1" >/dev/null; then
    command -v "$1"
  elif [ -d "$GOCODE/src/$2" ] && go build -o "$OUT/bin/$1" "$2" >&2; then
    echo "$OUT/bin/$1"
  else
    return 1
  fi
}
GEN_GO=$(plugin protoc-gen-go github.com/golang/protobuf/protoc-gen-go) \
  || fail "all: protoc-gen-go not found and not buildable (apt-get install -y golang-goprotobuf-dev)"

gen="$OUT/gopath/src/$TICKET_GO"
rm -rf "$OUT/gopath"
mkdir -p "$gen"
includes=(-I "$ROOT/proto" -I "$GOOGLE_PROTOS" -I "$PROTOC_INCLUDE")
# Timestamp from github.com/golang/protobuf (the API v1 world Debian's grpc-go 1.33 and
# grpc-gateway 1.6 are built on), not the timestamppb its .proto names.
mapping="Mgoogle/protobuf/timestamp.proto=github.com/golang/protobuf/ptypes/timestamp,M$TICKET_PROTO=$TICKET_GO"
protoc "${includes[@]}" --plugin=protoc-gen-go="$GEN_GO" \
  --go_out="plugins=grpc,$mapping:$OUT/gopath/src" "$TICKET_PROTO" \
  || fail "all: protoc --go_out failed for $TICKET_PROTO"

status=0
build() {  # NAME: go build bench/go/NAME/main.go into OUT/NAME
  if go build -o "$OUT/$1" "$SCRIPT_DIR/$1/main.go"; then
    echo "bench/go/build.sh: built $OUT/$1" >&2
  else
    echo "bench/go/build.sh: $1: go build failed (see above)" >&2
    status=1
  fi
}
build ticket_backend

if ! GEN_GW=$(plugin protoc-gen-grpc-gateway github.com/grpc-ecosystem/grpc-gateway/protoc-gen-grpc-gateway); then
  echo "bench/go/build.sh: rest_gateway: protoc-gen-grpc-gateway not found and not buildable (apt-get install -y golang-grpc-gateway golang-github-grpc-ecosystem-grpc-gateway-dev)" >&2
  status=1
elif [ ! -d "$GOCODE/src/github.com/grpc-ecosystem/grpc-gateway/runtime" ]; then
  echo "bench/go/build.sh: rest_gateway: grpc-gateway runtime missing (apt-get install -y golang-github-grpc-ecosystem-grpc-gateway-dev)" >&2
  status=1
elif ! protoc "${includes[@]}" --plugin=protoc-gen-grpc-gateway="$GEN_GW" \
    --grpc-gateway_out="logtostderr=true,$mapping:$OUT/gopath/src" "$TICKET_PROTO"; then
  echo "bench/go/build.sh: rest_gateway: protoc --grpc-gateway_out failed for $TICKET_PROTO" >&2
  status=1
else
  build rest_gateway
fi
exit "$status"
