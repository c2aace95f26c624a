#!/usr/bin/env bash
# Installs what building, running and testing Switchboard needs, and nothing that is already
# there: Debian packages (as root, or through sudo) and the npm tooling from package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libspdlog-dev libfmt-dev libcli11-dev libyaml-cpp-dev libsqlite3-dev libssl-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev libnghttp2-dev libboost-dev libmimalloc-dev
  nghttp2-client chromium fonts-liberation curl openssl
  clang-14 libfuzzer-14-dev libclang-rt-14-dev
  nats-server libnats-dev
  postgresql-15 libpq-dev
)
# `make bench` also wants the peer proxies the gateway is measured beside, and Debian's Go
# toolchain and sources for the Go peers bench/go/build.sh builds offline (a grpc-go ticket
# backend, grpc-gateway v1).
if [ "${SWITCHBOARD_BENCH:-0}" = 1 ]; then
  packages+=(nghttp2-proxy haproxy nginx-light
    golang-go golang-google-grpc-dev golang-goprotobuf-dev golang-google-genproto-dev
    golang-github-grpc-ecosystem-grpc-gateway-dev golang-grpc-gateway)
fi
# `make report` also wants gnuplot for the plots, tcpdump and strace for bytes and syscalls on
# the wire, HAProxy as the L4 proxy and Python for the polling clients.
if [ "${SWITCHBOARD_REPORT:-0}" = 1 ]; then
  packages+=(gnuplot-nox tcpdump strace haproxy python3)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js may come from Debian (nodejs + npm) or from a vendor package that bundles npm.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm ci only when the lock file changed since the last install.
stamp=node_modules/.package-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "install-deps: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
