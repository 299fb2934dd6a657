#!/usr/bin/env bash
# The README's "test everything" command, also run by CI (.ci/run):
#   1. installs what is missing: Deno (pinned), the test control plane, and
#      the Debian packages of the private network the tests run in;
#   2. deno fmt --check, deno lint, deno check (each stops the run on failure);
#   3. every test, against real local control planes, inside a private
#      network namespace (deno task test runs scripts/in_private_network.sh).
# It ends with one plain line, "tests: N passed, N failed", counted from the
# test run's JUnit report (each test and each test step counts once), and
# exits non-zero if a gate or a test failed, or if no test ran.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

summary() { printf 'tests: %d passed, %d failed\n' "$1" "$2"; }

deno="$(scripts/ensure_deno.sh)" || { summary 0 0; exit 1; }
scripts/build_cluster.sh >/dev/null || { summary 0 0; exit 1; }
scripts/ensure_packages.sh || { summary 0 0; exit 1; }

for gate in "fmt --check" "lint" "task check"; do
  echo "== deno $gate"
  # shellcheck disable=SC2086
  if ! "$deno" $gate; then
    echo "deno $gate failed: fix it before the tests run"
    summary 0 0
    exit 1
  fi
done

report="$root/.cache/test-report.xml"
mkdir -p "$(dirname "$report")"
rm -f "$report"
echo "== deno task test"
"$deno" task test --junit-path="$report" "$@"
status=$?

if [ ! -s "$report" ]; then
  echo "no test report was written to $report"
  summary 0 0
  exit 1
fi
# Deno's JUnit report has one <testcase> per test and per step; a failed one
# holds a <failure> element, an ignored one a <skipped> element.
total=$(grep -c '<testcase ' "$report")
failed=$(grep -c '<failure' "$report")
skipped=$(grep -c '<skipped' "$report")
passed=$((total - failed - skipped))
if [ "$skipped" -gt 0 ]; then
  echo "tests: $passed passed, $failed failed, $skipped skipped"
else
  summary "$passed" "$failed"
fi
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$total" -eq 0 ]; then
  exit 1
fi
