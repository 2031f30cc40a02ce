#!/usr/bin/env bash
# Builds the WASM dependencies of client-core once per machine: the SQLite
# amalgamation and libsodium compiled with Debian's Emscripten from Debian's
# source packages, zlib's sources, plus a copy of the msgpack-cxx headers (never /usr/include
# in an Emscripten build). Output: $1/{sqlite,libsodium,zlib,msgpack}.
set -euo pipefail
deps=$1
export NODE_PATH=/usr/share/nodejs
mkdir -p "$deps/src"

# apt-get source PKG, falling back to each other version apt lists for it:
# a mirror may list a security update whose files it does not serve.
fetch_source() {
  (cd "$deps/src" && rm -rf "$1"-*
   apt-get source -qq "$1" >/dev/null 2>&1 && exit 0
   for v in $(apt-cache showsrc "$1" | sed -n 's/^Version: //p' | sort -u); do
     apt-get source -qq "$1=$v" >/dev/null 2>&1 && exit 0
     rm -rf "$1"-*
   done
   echo "wasm-deps: could not fetch the source package $1" >&2; exit 1)
}

if [ ! -f "$deps/sqlite/sqlite3.c" ]; then
  echo "wasm-deps: SQLite amalgamation from the Debian source package"
  fetch_source sqlite3
  d=$(ls -d "$deps"/src/sqlite3-*/ | head -1)
  (cd "$d" && ./configure -q >/dev/null && make -s sqlite3.c)
  mkdir -p "$deps/sqlite" && cp "$d/sqlite3.c" "$d/sqlite3.h" "$deps/sqlite/"
fi

if [ ! -f "$deps/libsodium/lib/libsodium.a" ]; then
  echo "wasm-deps: libsodium for wasm32 from the Debian source package"
  fetch_source libsodium
  d=$(ls -d "$deps"/src/libsodium-*/ | head -1)
  (cd "$d" && ./autogen.sh -s >/dev/null 2>&1 \
    && emconfigure ./configure -q --host=wasm32-unknown-emscripten --prefix="$deps/libsodium" \
         --disable-shared --without-pthreads --disable-ssp --disable-asm --disable-pie >/dev/null \
    && emmake make -s -j"$(nproc)" >/dev/null && emmake make -s install >/dev/null)
fi

if [ ! -f "$deps/zlib/zlib.h" ]; then
  echo "wasm-deps: zlib sources from the Debian source package"
  fetch_source zlib
  d=$(ls -d "$deps"/src/zlib-*/ | head -1)
  mkdir -p "$deps/zlib"
  cp "$d"/*.c "$d"/*.h "$deps/zlib/"
fi

if [ ! -d "$deps/msgpack/include/msgpack" ]; then
  mkdir -p "$deps/msgpack/include"
  cp -r /usr/include/msgpack /usr/include/msgpack.hpp "$deps/msgpack/include/"
fi
