#!/usr/bin/env bash
# Sets up, builds and runs every test: doctest suites through CTest (unit,
# server integration against the real binary), the WASM core under Node, and
# the browser tests in real Chromium (and the shared walk in WebKitGTK and
# Firefox ESR) against the real server. Ends with each
# runner's own summary and a final 'N passed, N failed' line; exits non-zero
# on any failure.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
"$here/scripts/setup.sh" || exit 1
"$here/scripts/build.sh" || exit 1

logs=$(mktemp -d)
status=0
total_pass=0
total_fail=0
run() {  # run NAME KIND CMD...: KIND is ctest or node, to read the runner's own counts
  local name=$1 kind=$2; shift 2
  echo "=== $name"
  "$@" 2>&1 | tee "$logs/out"
  local rc=${PIPESTATUS[0]} p=0 f=0
  if [ "$kind" = ctest ]; then
    local line; line=$(grep -E 'tests passed, [0-9]+ tests? failed out of' "$logs/out" | tail -1)
    f=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line"); t=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
    [ -n "$line" ] && p=$((t - f)) || f=1
  else
    p=$(grep -E '^# pass [0-9]+' "$logs/out" | tail -1 | awk '{print $3}'); f=$(grep -E '^# fail [0-9]+' "$logs/out" | tail -1 | awk '{print $3}')
    p=${p:-0}; f=${f:-1}
  fi
  [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
  [ "$rc" -ne 0 ] && status=1
  total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
}
run "ctest: C++ unit and integration tests" ctest ctest --test-dir build --output-on-failure -j2
run "fuzz: libFuzzer on the frame decoder and envelope parser (PACKLINE_FUZZ_SECONDS each)" node fuzz/run.sh
run "node: the WASM core" node node --no-experimental-fetch --test tests/wasm/
run "node: browser end-to-end tests in Chromium, WebKit and Firefox" node bash -c "cd webapp && npm run --silent test:e2e"
echo "=== summary (CTest counts test programs, node counts test cases)"
[ "$total_fail" -gt 0 ] && status=1
echo "all: $total_pass passed, $total_fail failed"
exit $status
