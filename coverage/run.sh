#!/usr/bin/env bash
# Coverage of tw's libraries (runtime/, fakes/, trial/) by the whole ctest suite, with lcov 1.16.
# Usage: coverage/run.sh <source dir> <build dir configured with TW_COVERAGE=ON> [ctest args...]
# Normally run through the build: cmake --build --preset coverage-report (target coverage).
# Writes <build>/coverage/lcov.info and <build>/coverage/html/index.html, prints the summary and
# fails if a test failed or if line coverage is below coverage/threshold.txt (percent).
set -euo pipefail
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
shift 2
out=$build/coverage
branches=(--rc lcov_branch_coverage=1)

# lcov, minus the "Subroutine ... redefined" noise of Debian 12's geninfo.
lcov_quiet() {
  lcov --quiet "${branches[@]}" "$@" 2>&1 | { grep -v '^Subroutine .* redefined at ' || true; }
}

mkdir -p "$out"   # also the CMake binary dir of coverage/: remove only what this script writes
rm -rf "$out/html" "$out"/*.info
lcov_quiet --zerocounters --directory "$build"
lcov_quiet --capture --initial --directory "$build" --output-file "$out/base.info"
tests_status=0
ctest --test-dir "$build" --output-on-failure --parallel "$(nproc)" --timeout 300 "$@" \
  || tests_status=$?
lcov_quiet --capture --directory "$build" --output-file "$out/tests.info"
lcov_quiet --add-tracefile "$out/base.info" --add-tracefile "$out/tests.info" \
  --output-file "$out/total.info"
lcov_quiet --extract "$out/total.info" "$src/runtime/*" "$src/fakes/*" "$src/trial/*" \
  --output-file "$out/lcov.info"
# A build directory keeps the .gcno of sources deleted since it was configured: drop them.
missing=()
while IFS= read -r file; do
  [[ -e $file ]] || missing+=("$file")
done < <(sed -n 's/^SF://p' "$out/lcov.info")
if ((${#missing[@]})); then
  lcov_quiet --remove "$out/lcov.info" "${missing[@]}" --output-file "$out/present.info"
  mv "$out/present.info" "$out/lcov.info"
fi
genhtml --quiet --branch-coverage --title tw --prefix "$src" --output-directory "$out/html" \
  "$out/lcov.info"

summary=$(lcov "${branches[@]}" --summary "$out/lcov.info" 2>&1)
echo "$summary"
echo "coverage: HTML report in $out/html/index.html"
lines=$(sed -n 's/^ *lines\.*: \([0-9.]*\)%.*/\1/p' <<<"$summary")
threshold=$(tr -d '[:space:]' <"$src/coverage/threshold.txt")
if [[ -z $lines ]]; then
  echo "coverage: no line coverage in the summary" >&2
  exit 1
fi
if [[ $tests_status -ne 0 ]]; then
  echo "coverage: ctest failed (status $tests_status)" >&2
  exit "$tests_status"
fi
if awk -v l="$lines" -v t="$threshold" 'BEGIN { exit !(l < t) }'; then
  echo "coverage: line coverage $lines% is below the threshold of $threshold%" >&2
  exit 1
fi
echo "coverage: line coverage $lines% (threshold $threshold%)"
