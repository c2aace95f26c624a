#!/usr/bin/env bash
# Checks that the Containerfile's runtime stage installs the Debian packages that own the shared
# libraries the built binary names (readelf's NEEDED, found through `ldd`, each resolved with
# `dpkg -S`), and nothing that owns none of its libraries: a library the binary gains, or
# loses, is noticed here rather than by the first pod that cannot start.
#
#   tests/deploy/check-image-libraries.sh [path/to/switchboard]      (default: build/switchboard)
set -euo pipefail

# In debian:bookworm-slim already (Essential or required by apt itself), so not installed.
readonly kInBaseImage=(libc6 libgcc-s1 libstdc++6)
# Installed in the runtime stage for what the binary does, not for a library it links.
readonly kNotLibraries=(ca-certificates)

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/runner.sh
source "$script_dir/../lib/runner.sh"
sb_runner_setup check-image-libraries "${1:-}"
for tool in ldd readelf dpkg-query; do
  if ! command -v "$tool" >/dev/null; then
    echo "check-image-libraries: $tool is not on PATH (this check needs a Debian machine)" >&2
    exit 2
  fi
done
containerfile="$repo/Containerfile"

# The packages of the runtime stage's `apt-get install`: the words after the last FROM's
# install command up to the `&&` that ends it.
mapfile -t listed < <(awk '
  /^FROM / { runtime = 0 }
  /^FROM debian:bookworm-slim/ { runtime = 1 }
  runtime && /apt-get install/ { installing = 1; sub(/.*apt-get install/, "") }
  installing {
    for (i = 1; i <= NF; i++) {
      if ($i == "&&") { installing = 0; break }
      if ($i ~ /^[a-z0-9][a-z0-9.+-]+$/) print $i
    }
  }' "$containerfile" | sort -u)
if ((${#listed[@]} == 0)); then
  echo "check-image-libraries: no apt-get install in the runtime stage of $containerfile" >&2
  exit 1
fi

# The package owning each library the dynamic linker resolves for the binary (ldd: the whole
# closure). One dpkg-query for all of them (each call reads the whole package database); a
# library is asked for by its path and by the file it links to, since /lib is /usr/lib on a
# merged-/usr system.
declare -A library_paths=()
missing_libraries=()
while read -r library path; do
  if [[ "$path" == "not" ]]; then
    missing_libraries+=("$library")
  else
    library_paths[$library]="$path $(readlink -f "$path")"
  fi
done < <(ldd "$binary" | awk '$2 == "=>" { print $1, $3 }')
if ((${#missing_libraries[@]} > 0)); then
  echo "check-image-libraries: ldd finds no ${missing_libraries[*]} on this machine" >&2
  exit 1
fi
# shellcheck disable=SC2046  # one word per path
owners=$(dpkg-query -S $(printf '%s ' "${library_paths[@]}") 2>/dev/null || true)
declare -A owner_of=()
for library in "${!library_paths[@]}"; do
  for path in ${library_paths[$library]}; do
    owner=$(awk -v path="$path" '$NF == path { sub(/:.*/, "", $1); print $1; exit }' <<<"$owners")
    if [[ -n "$owner" ]]; then
      owner_of[$library]=$owner
      break
    fi
  done
  if [[ -z "${owner_of[$library]:-}" ]]; then
    echo "check-image-libraries: no Debian package owns ${library_paths[$library]%% *} ($library)" >&2
    exit 1
  fi
done
mapfile -t closure < <(printf '%s\n' "${owner_of[@]}" | sort -u)
# What the image must install: the packages of the libraries the binary itself names (its
# NEEDED entries); apt brings what those link in turn as their dependencies.
mapfile -t needed < <(readelf -d "$binary" | awk '/\(NEEDED\)/ { gsub(/[][]/, "", $5); print $5 }' |
  while read -r soname; do echo "${owner_of[$soname]:-?$soname}"; done | sort -u)

failures=0
contains() {
  local want=$1
  shift
  local item
  for item in "$@"; do [[ "$item" == "$want" ]] && return 0; done
  return 1
}
for package in "${needed[@]}"; do
  contains "$package" "${kInBaseImage[@]}" && continue
  if [[ "$package" == \?* ]]; then
    echo "FAIL the binary needs ${package#?}, which ldd does not resolve"
    failures=$((failures + 1))
  elif ! contains "$package" "${listed[@]}"; then
    echo "FAIL the binary links a library of $package, which the Containerfile's runtime stage does not install"
    failures=$((failures + 1))
  fi
done
for package in "${listed[@]}"; do
  contains "$package" "${kNotLibraries[@]}" && continue
  if ! contains "$package" "${closure[@]}"; then
    echo "FAIL the Containerfile's runtime stage installs $package, which owns no library the binary links"
    failures=$((failures + 1))
  fi
done
echo "check-image-libraries: the binary names libraries of ${#needed[@]} packages (${#closure[@]} with theirs); the Containerfile installs ${#listed[@]}"
if ((failures == 0)); then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
((failures == 0))
