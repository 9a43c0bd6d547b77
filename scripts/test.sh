#!/usr/bin/env bash
# Builds and runs every test in the coverage and asan presets (what CI runs, through .ci/run).
# The coverage preset is a debug build instrumented for lcov: its run also writes the coverage
# report and fails below coverage/threshold.txt.
# Usage: bash scripts/test.sh
# Ends with one line giving ctest's result per preset; exits non-zero if anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

status=0
results=()
mkdir -p build
for preset in coverage asan; do
  log=build/test-$preset.log
  cmake --workflow --preset "$preset" 2>&1 | tee "$log" || status=1
  result=$(grep -E 'tests passed|No tests were found' "$log" | tail -n 1 || true)
  results+=("$preset: ${result:-failed before testing (see $log)}")
done
echo "test.sh: ${results[0]} | ${results[1]}"
# One plain closing line over both presets: "N passed, N failed".
passed=0
failed=0
for preset in coverage asan; do
  line=$(grep -E '[0-9]+ tests failed out of [0-9]+' "build/test-$preset.log" | tail -n 1 || true)
  if [[ $line =~ ([0-9]+)\ tests\ failed\ out\ of\ ([0-9]+) ]]; then
    failed=$((failed + BASH_REMATCH[1]))
    passed=$((passed + BASH_REMATCH[2] - BASH_REMATCH[1]))
  else
    status=1
  fi
done
echo "$passed passed, $failed failed"
exit "$status"
