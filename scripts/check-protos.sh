#!/usr/bin/env bash
# buf lint, then buf breaking against earlier versions of proto/: the commit that first added
# the contracts, the previous commit, and main when run on another branch. A changed field
# number, a removed field or a renamed RPC fails here.
set -euo pipefail
cd "$(dirname "$0")/.."
buf=node_modules/.bin/buf
[ -x "$buf" ] || { echo "check-protos: $buf missing: run 'npm ci' (make test does)"; exit 1; }

"$buf" lint
echo "buf lint: ok"

if ! git rev-parse --git-dir >/dev/null 2>&1 || ! git rev-parse HEAD >/dev/null 2>&1; then
  echo "buf breaking: no git history, nothing to compare against"
  exit 0
fi
baselines=()
first=$(git log --diff-filter=A --format=%H -- proto/switchboard | tail -n 1)
[ -n "$first" ] && baselines+=("$first")
git rev-parse -q --verify HEAD~1 >/dev/null && baselines+=("$(git rev-parse HEAD~1)")
if git rev-parse -q --verify main >/dev/null && [ "$(git rev-parse main)" != "$(git rev-parse HEAD)" ]; then
  baselines+=("$(git rev-parse main)")
fi
baselines+=("$(git rev-parse HEAD)")  # the working tree against the last commit
# Compared as built images: the workspace has two modules (ours and google/api), and an image
# holds both, so commits from before google/api was added compare too.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$buf" build -o "$tmp/current.binpb"
for ref in $(printf '%s\n' "${baselines[@]}" | awk '!seen[$0]++'); do
  if ! git cat-file -e "$ref:buf.yaml" 2>/dev/null; then continue; fi
  # google/api/*.proto are not committed: the old tree is built beside today's node_modules.
  rm -rf "$tmp/src" && mkdir -p "$tmp/src"
  git archive "$ref" proto buf.yaml | tar -x -C "$tmp/src"
  ln -s "$PWD/node_modules" "$tmp/src/node_modules"
  "$buf" build "$tmp/src" -o "$tmp/against.binpb"
  "$buf" breaking "$tmp/current.binpb" --against "$tmp/against.binpb" --exclude-imports
  echo "buf breaking against ${ref:0:12}: ok"
done
