#!/usr/bin/env bash
# The README's first command: tw's job end to end, in a couple of minutes after the build.
#  1. installs what is missing (scripts/setup.sh) and builds, in the coverage preset (a debug
#     build measured by lcov), only what the demo runs: tw_examples_tests, calculator_server,
#     calculator_client and deferreds_demo;
#  2. runs every example's tests under trial (virtual time, fakes, no sockets), one line per
#     example, and the Deferreds tour;
#  3. starts calculator_server on a free loopback port and talks to it over real TCP with
#     calculator_client, and with nc if it is installed; then stops the server with SIGTERM;
#  4. writes the coverage report of that run (lcov + genhtml) and prints where the HTML is.
# Usage: bash scripts/demo.sh
# Logs go to build/coverage/demo/.  Ends with a summary; exits non-zero, saying why, on any
# failure.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

preset=coverage
src=$(pwd)
build=$src/build/$preset
out=$build/demo
rel=build/$preset/demo   # $out, as printed
started=$SECONDS
server_pid=
lcov_pids=

fail() {
  echo "demo: FAILED: $*" >&2
  exit 1
}
# On any exit: stop what this script started and is still running (each lcov is the leader of
# its own process group, with its geninfo and gcov).
cleanup() {
  local pid
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  for pid in $lcov_pids; do
    kill -TERM -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'echo "demo: FAILED at line $LINENO: $BASH_COMMAND" >&2' ERR
step() { printf '\n== %s\n' "$*"; }
elapsed() { printf '%dm%02ds' $((($SECONDS - $1) / 60)) $((($SECONDS - $1) % 60)); }

# --- 1. build ---------------------------------------------------------------------------------
step "Build (preset $preset): tw_examples_tests, calculator_server, calculator_client, deferreds_demo"
mkdir -p "$out"
t=$SECONDS
cmake --preset "$preset" >"$out/configure.log" 2>&1 ||
  { tail -n 20 "$out/configure.log" >&2; fail "cmake --preset $preset (log: $out/configure.log)"; }
# A one-line progress display on a terminal ("[37/50]"); the full output goes to build.log.
progress() {
  if [[ -t 1 ]]; then
    awk '/^\[[0-9]+\/[0-9]+\]/ { printf "\r   %s", $1; fflush() } END { printf "\r" }'
  else
    cat >/dev/null
  fi
}
if ! cmake --build --preset "$preset" --target tw_examples_tests calculator_server \
  calculator_client deferreds_demo 2>&1 | tee "$out/build.log" | progress; then
  grep -E -B2 -A8 'error|FAILED' "$out/build.log" | head -n 40 >&2 || true
  fail "the build failed (log: $out/build.log)"
fi
echo "   built in $(elapsed "$t")"

# Coverage counts from this run only: zero the counters, and take the zero baseline of every
# instrumented file of the libraries and examples (so that code never run shows as 0%).
lcov_quiet() {
  lcov --quiet --rc lcov_branch_coverage=1 "$@" 2>&1 |
    { grep -v '^Subroutine .* redefined at ' || true; }
}
# The objects lcov reads, in two halves of about equal work: the libraries' and the examples'
# code, and the examples' tests (which count too, for the header and template code they run).
code_dirs=(runtime fakes trial examples/calculator examples/chat examples/echo examples/qotd
  examples/deferreds)
test_dirs=(examples/CMakeFiles)
lcov_dirs() {
  local d
  for d in "$@"; do printf -- '--directory\n%s\n' "$build/$d"; done
}
# Runs lcov in the background, in a process group of its own (setsid execs it, so its pid is
# $!), writing $out/coverage/<name>.info and its output to <name>.log.
lcov_background() {
  local name=$1
  shift
  setsid lcov --quiet --rc lcov_branch_coverage=1 "$@" --output-file "$out/coverage/$name.info" \
    >"$out/coverage/$name.log" 2>&1 &
}
mapfile -t dirs < <(lcov_dirs "${code_dirs[@]}" "${test_dirs[@]}")
rm -rf "$out/coverage"
mkdir -p "$out/coverage"
lcov_quiet --zerocounters "${dirs[@]}"
# The baseline needs only the build's .gcno files: it is taken while the tests run.
mapfile -t half < <(lcov_dirs "${code_dirs[@]}")
lcov_background base-code --capture --initial "${half[@]}"
lcov_pids=$!
mapfile -t half < <(lcov_dirs "${test_dirs[@]}")
lcov_background base-tests --capture --initial "${half[@]}"
lcov_pids+=" $!"

# --- 2. the examples' tests under trial -------------------------------------------------------
step "The examples' tests under trial (virtual time, fakes, no sockets)"
tests=$build/examples/tw_examples_tests
total=$("$tests" --gtest_list_tests | grep -c '^  ' || true)
counted=0
per_example=()
# Suites by example (their names start with the example's name).
for entry in "calculator:Calcula*" "chat:Chat*" "echo:Echo*" "qotd:QOTD*"; do
  name=${entry%%:*}
  filter=${entry#*:}
  log=$out/tests-$name.log
  t=$SECONDS
  status=0
  "$tests" --gtest_filter="$filter" --gtest_color=no >"$log" 2>&1 || status=$?
  passed=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) tests\{0,1\}\..*/\1/p' "$log")
  suites=$(sed -n 's/^\[==========\] [0-9]* tests\{0,1\} from \([0-9]*\) test suites\{0,1\} ran.*/\1/p' "$log")
  properties=$(grep -c '^\[       OK \] [A-Za-z]*Property' "$log" || true)
  if [[ $status -ne 0 || -z $passed ]]; then
    grep -E '^\[  FAILED  \] [A-Za-z]+\.' "$log" | sort -u | sed 's/^/   /' >&2 || true
    fail "the $name tests failed (log: $log)"
  fi
  extra=
  [[ $properties -gt 0 ]] && extra=", $properties RapidCheck properties"
  printf '   %-11s %3d tests passed in %2d suites%s (%ds)\n' \
    "$name" "$passed" "${suites:-0}" "$extra" $((SECONDS - t))
  counted=$((counted + passed))
  per_example+=("$name $passed")
done
if [[ $counted -ne $total ]]; then
  fail "$((total - counted)) of the $total tests in tw_examples_tests belong to no example above"
fi
log=$out/deferreds.log
"$build/examples/deferreds/deferreds_demo" >"$log" 2>&1 || fail "the Deferreds tour failed (log: $log)"
checks=$(grep -c '^ *ok: ' "$log" || true)
printf '   %-11s %3d checks passed (the printed tour: %s)\n' "deferreds" "$checks" "$rel/deferreds.log"

# --- 3. the calculator over real TCP ----------------------------------------------------------
step "The calculator over TCP on 127.0.0.1"
"$build/examples/calculator/calculator_server" 0 120 >"$out/server.log" 2>&1 &
server_pid=$!
port=
for _ in $(seq 100); do
  port=$(sed -n 's/^LISTENING \([0-9]*\)$/\1/p' "$out/server.log")
  [[ -n $port ]] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
[[ -n $port ]] || fail "calculator_server did not print LISTENING (log: $out/server.log)"
echo "   calculator_server listening on 127.0.0.1:$port (pid $server_pid)"
expressions=("add 4123 9423" "subtract 7 10" "multiply 6 7" "divide -7 2" "divide 1 0")
status=0
answers=$("$build/examples/calculator/calculator_client" "$port" "${expressions[@]}" 2>&1) ||
  status=$?
echo "   \$ calculator_client $port$(printf ' "%s"' "${expressions[@]}")"
sed 's/^/     /' <<<"$answers"
[[ $status -eq 0 ]] || fail "calculator_client exited with status $status"
for expected in "add 4123 9423 = 13546" "divide 1 0: error: division by zero"; do
  grep -qxF "$expected" <<<"$answers" || fail "calculator_client did not print '$expected'"
done
answered=$(grep -c . <<<"$answers")
nc_result="nc not installed, skipped"
if command -v nc >/dev/null; then
  # netcat-openbsd and netcat-traditional close after -q1; others get stdin held open a moment.
  reply=$(printf 'add 1 2\r\n' | timeout 5 nc -q1 127.0.0.1 "$port" 2>/dev/null || true)
  if [[ -z $reply ]]; then
    reply=$({ printf 'add 1 2\r\n'; sleep 1; } | timeout 3 nc 127.0.0.1 "$port" 2>/dev/null || true)
  fi
  echo "   \$ printf 'add 1 2\\r\\n' | nc 127.0.0.1 $port"
  echo "     ${reply%$'\r'}"
  [[ ${reply%$'\r'} == 3 ]] || fail "nc got '${reply%$'\r'}' for 'add 1 2', not 3"
  nc_result="nc answered 3"
fi
kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=
[[ $status -eq 0 ]] && grep -q '^STOPPED$' "$out/server.log" ||
  fail "calculator_server did not stop cleanly on SIGTERM (status $status, log: $out/server.log)"
echo "   calculator_server stopped on SIGTERM"

# --- 4. coverage ------------------------------------------------------------------------------
step "Coverage of this run (lcov, genhtml)"
t=$SECONDS
cov=$out/coverage
# The counts of the run, in two halves at once (geninfo uses one core).
mapfile -t half < <(lcov_dirs "${code_dirs[@]}")
lcov_background run-code --capture "${half[@]}"
lcov_pids+=" $!"
mapfile -t half < <(lcov_dirs "${test_dirs[@]}")
lcov_background run-tests --capture "${half[@]}"
lcov_pids+=" $!"
for pid in $lcov_pids; do
  wait "$pid" || fail "lcov failed (logs: $rel/coverage/*.log)"
done
lcov_pids=
for info in base-code base-tests run-code run-tests; do
  [[ -s $cov/$info.info ]] || fail "lcov wrote no $info.info (log: $rel/coverage/$info.log)"
done
lcov_quiet --add-tracefile "$cov/base-code.info" --add-tracefile "$cov/base-tests.info" \
  --add-tracefile "$cov/run-code.info" --add-tracefile "$cov/run-tests.info" \
  --output-file "$cov/total.info"
lcov_quiet --extract "$cov/total.info" "$src/runtime/*" "$src/fakes/*" "$src/trial/*" \
  "$src/examples/*" --output-file "$cov/extracted.info"
# The report is about the code under test: leave out the tests themselves.
lcov_quiet --remove "$cov/extracted.info" "$src/examples/*/tests/*" \
  "$src/examples/*/integration/*" "$src/examples/loopback_test.hpp" --output-file "$cov/lcov.info"
genhtml --quiet --branch-coverage --title "tw demo" --prefix "$src" \
  --output-directory "$cov/html" "$cov/lcov.info" >"$cov/genhtml.log" 2>&1 ||
  fail "genhtml failed (log: $cov/genhtml.log)"
summary=$(lcov --rc lcov_branch_coverage=1 --summary "$cov/lcov.info" 2>&1)
lines=$(sed -n 's/^ *lines\.*: \([0-9.]*%\).*/\1/p' <<<"$summary")
functions=$(sed -n 's/^ *functions\.*: \([0-9.]*%\).*/\1/p' <<<"$summary")
[[ -n $lines ]] || fail "lcov found no coverage data"
lcov_quiet --extract "$cov/lcov.info" "$src/examples/*" --output-file "$cov/examples.info"
example_lines=$(lcov --rc lcov_branch_coverage=1 --summary "$cov/examples.info" 2>&1 |
  sed -n 's/^ *lines\.*: \([0-9.]*%\).*/\1/p' || true)
echo "   lines $lines, functions $functions (the examples alone: lines ${example_lines:-?})"
echo "   HTML report: $rel/coverage/html/index.html ($(elapsed "$t"))"

# --- summary ----------------------------------------------------------------------------------
step "Summary"
breakdown=$(printf ', %s' "${per_example[@]}")
echo "   examples' tests: $counted passed (${breakdown:2})"
echo "   calculator over TCP: $answered answers to calculator_client; $nc_result"
echo "   coverage: lines $lines, report in $rel/coverage/html/index.html (logs: $rel/)"
echo "   demo passed in $(elapsed "$started")"
