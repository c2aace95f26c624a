# Shared by the node-driven test runners (tests/interop, tests/xds, tests/browser): finds the
# repository and the built binary, and checks node and the npm packages a runner needs.
# Usage: sb_runner_setup NAME BINARY_ARG [npm-package ...]; sets `repo` and `binary`.
sb_runner_setup() {
  local name=$1 arg=$2
  shift 2
  repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  binary=${arg:-$repo/build/switchboard}
  if [[ "$binary" != /* ]]; then binary="$PWD/$binary"; fi
  if [[ ! -x "$binary" ]]; then
    echo "$name: $binary is not an executable (build it: cmake --build build --target switchboard)" >&2
    exit 2
  fi
  if ! command -v node >/dev/null; then
    echo "$name: node is not on PATH" >&2
    exit 2
  fi
  local package
  for package in "$@"; do
    if [[ ! -d "$repo/node_modules/$package" ]]; then
      echo "$name: node_modules/$package is missing; run 'npm ci' in $repo" >&2
      exit 2
    fi
  done
}
