#!/usr/bin/env bash
# Installs, with apt-get, whichever of tw's build and test dependencies are missing (Debian 12).
# Usage: bash scripts/deps.sh   (as root, or through sudo; needs no terminal)
set -euo pipefail
packages=(cmake g++ make pkg-config googletest libgtest-dev libgmock-dev librapidcheck-dev
  libbenchmark-dev lcov libssl-dev)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg -s "$package" 2>/dev/null | grep -q '^Status: install ok installed'; then
    missing+=("$package")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  sudo=(sudo)
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! { "${sudo[@]}" apt-get update -q && "${sudo[@]}" apt-get install -y -q \
  --no-install-recommends "${missing[@]}"; } </dev/null >"$log" 2>&1; then
  cat "$log" >&2
  echo "deps.sh: apt-get failed" >&2
  exit 1
fi
rm -f "$log"
