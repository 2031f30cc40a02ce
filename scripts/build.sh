#!/usr/bin/env bash
# Builds everything incrementally: native (build/), WASM core (build-wasm/),
# and the webapp (webapp/dist). Assumes scripts/setup.sh has run.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
export NODE_PATH=/usr/share/nodejs   # Debian's Emscripten optimiser needs it
# ccache hits across clones in different folders (CI builds a fresh clone).
export CCACHE_BASEDIR="$here" CCACHE_NOHASHDIR=1
jobs=${PACKLINE_JOBS:-$(nproc)}

# The two builds are CMakePresets.json's presets; emcmake adds Emscripten's
# toolchain to the WASM one.
[ -f build/build.ninja ] || cmake --preset native >/dev/null
echo "build: native"
cmake --build --preset native -j"$jobs"

[ -f build-wasm/build.ninja ] || emcmake cmake --preset wasm >/dev/null
echo "build: wasm core"
cmake --build --preset wasm -j"$jobs"

# The webapp is rebuilt only when its sources or the core changed.
stamp=build/.webapp-build-stamp
want=$( (find webapp/src webapp/public webapp/index.html webapp/vite.config.ts webapp/package.json webapp/scripts \
          -path webapp/public/core -prune -o -type f -print0 | sort -z | xargs -0 sha256sum;
         sha256sum build-wasm/client-core/wasm/packline_core.mjs build-wasm/client-core/wasm/packline_core.wasm) | sha256sum | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "build: webapp"
  (cd webapp && npm run --silent build)
  echo "$want" > "$stamp"
fi
echo "build: ok"
