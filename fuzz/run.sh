#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang in build-fuzz/ and runs each for
# a bounded time: PACKLINE_FUZZ_SECONDS per harness (default 15; set e.g.
# 600 for a long run). A crash or a failed property is copied into
# tests/corpus/regression/<harness>/ (replayed by the doctest
# server_fuzz_corpus_test in every test run) and this script fails.
# Prints "# pass N" / "# fail N" for scripts/test.sh.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
secs=${PACKLINE_FUZZ_SECONDS:-15}
out=${PACKLINE_FUZZ_BUILD:-build-fuzz}
if ! command -v clang++ >/dev/null; then
  echo "fuzz: clang++ missing (scripts/setup.sh installs clang and libclang-rt-14-dev)"; echo "# pass 0"; echo "# fail 1"; exit 1
fi
[ -f "$out/build.ninja" ] || cmake -S fuzz -B "$out" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || exit 1
cmake --build "$out" -j"${PACKLINE_JOBS:-2}" >/dev/null || { echo "fuzz: build failed"; echo "# pass 0"; echo "# fail 1"; exit 1; }
"$out/make_seeds" "$out/seeds" >/dev/null
pass=0; fail=0
mkdir -p "$out/seeds/target"
printf '/index.html' > "$out/seeds/target/1"; printf '/assets/a.js?x=1' > "$out/seeds/target/2"
printf '/%%2e%%2e/link' > "$out/seeds/target/3"; printf '//etc/passwd' > "$out/seeds/target/4"
for h in frame envelope target; do
  corpus="$out/corpus/$h"; art="$out/artifacts/$h"; reg="tests/corpus/regression/$h"
  mkdir -p "$corpus" "$art" "$reg"
  # Frames up to a little over a typical push; the limits themselves are unit-tested.
  if "$out/${h}_fuzz" "$corpus" "$out/seeds/$h" "$reg" -max_total_time="$secs" -max_len=4096 \
       -artifact_prefix="$art/" -print_final_stats=1 >"$out/$h.log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/$h.log" | grep -o '[0-9]*$')
    echo "fuzz: $h ok (${runs:-?} inputs in ${secs}s)"
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "fuzz: $h FAILED; tail of $out/$h.log:"; tail -30 "$out/$h.log"
    for f in "$art"/*; do
      [ -f "$f" ] || continue
      name=$(basename "$f"); cp "$f" "$reg/$name"; echo "fuzz: kept $reg/$name as a regression input"
    done
  fi
done
echo "# pass $pass"
echo "# fail $fail"
[ "$fail" -eq 0 ]
