#!/usr/bin/env bash
# Renders deploy/base and each overlay with `kubectl kustomize` and checks every object offline
# (validate-manifests.mjs: Kubernetes schemas from kubernetes-models, the project's rules, and
# `switchboard gateway --check` on the gateway's ConfigMap). Exit status 1 when any check fails.
#
#   tests/deploy/check-manifests.sh [path/to/switchboard]      (default: build/switchboard)
set -euo pipefail

readonly kRenderTimeoutS=60   # kubectl kustomize of one overlay takes well under a second
readonly kMinKustomizeMajor=5
# What each render is, and the objects it names but leaves to the operator to create.
readonly kRenders=(base overlays/dev overlays/production)
declare -A kExternal=([overlays/production]=switchboard-postgres)

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/runner.sh
source "$script_dir/../lib/runner.sh"
sb_runner_setup check-manifests "${1:-}" kubernetes-models yaml
if ! command -v kubectl >/dev/null; then
  echo "check-manifests: kubectl is not on PATH (it renders the kustomizations)" >&2
  exit 2
fi
# The overlays use components, regex patch targets and `labels`: kustomize v5 (kubectl 1.27+).
kustomize_version=$(kubectl version --client 2>/dev/null | sed -n 's/^Kustomize Version: v\([0-9]*\).*/\1/p')
if [[ -z "$kustomize_version" ]] || ((kustomize_version < kMinKustomizeMajor)); then
  echo "check-manifests: $(command -v kubectl) has kustomize ${kustomize_version:-of unknown version}; deploy/ needs v$kMinKustomizeMajor or later (kubectl 1.27+)" >&2
  exit 2
fi
descriptors="$(dirname "$binary")/switchboard.pb"
if [[ ! -f "$descriptors" ]]; then
  echo "check-manifests: $descriptors is missing (cmake --build build --target sb_descriptor_set)" >&2
  exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/switchboard-deploy.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
for render in "${kRenders[@]}"; do
  name=${render##*/}
  out="$tmp/$name.yaml"
  if ! timeout "$kRenderTimeoutS" kubectl kustomize "$repo/deploy/$render" >"$out" 2>"$tmp/$name.err"; then
    echo "FAIL $name: kubectl kustomize deploy/$render: $(cat "$tmp/$name.err")"
    failed=$((failed + 1))
    continue
  fi
  args=(--name "$name" --file "$out" --switchboard "$binary" --descriptors "$descriptors")
  for external in ${kExternal[$render]:-}; do args+=(--external "$external"); done
  if (cd "$repo" && node "$script_dir/validate-manifests.mjs" "${args[@]}"); then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
((failed == 0))
