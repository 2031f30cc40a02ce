#!/usr/bin/env bash
# Installs everything Packline needs on a Debian bookworm machine, as root.
# Idempotent and quick when everything is present: apt only runs for missing
# packages, the WASM dependencies are built once per machine (into $PACKLINE_DEPS),
# and npm only runs when webapp/package-lock.json changed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
deps=${PACKLINE_DEPS:-/opt/packline-deps}

pkgs=(build-essential cmake ninja-build ccache pkg-config git
      libboost-dev libmsgpack-cxx-dev libsodium-dev libsqlite3-dev zlib1g-dev doctest-dev
      emscripten chromium webkit2gtk-driver firefox-esr xvfb tcl autoconf automake libtool dpkg-dev ca-certificates
      poppler-utils libpoppler-cpp-dev
      nodejs npm clang libclang-rt-14-dev libssl-dev openssl libcli11-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
# npm may come with nodejs from another source; do not ask apt for it then.
if command -v npm >/dev/null; then
  missing=("${missing[@]/npm}")
fi
if command -v node >/dev/null; then
  missing=("${missing[@]/nodejs}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))

# deb-src entry for bookworm: mirror the configured deb sources.
if ! grep -rqs '^Types:.*deb-src\|^deb-src ' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
      > /etc/apt/sources.list.d/packline-src.sources
  elif [ -f /etc/apt/sources.list ]; then
    sed -n 's/^deb /deb-src /p' /etc/apt/sources.list > /etc/apt/sources.list.d/packline-src.list
  fi
  need_update=1
fi

if [ ${#missing[@]} -gt 0 ] || [ -n "${need_update:-}" ]; then
  echo "setup: installing ${missing[*]:-(source lists)}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  [ ${#missing[@]} -gt 0 ] && apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

"$here/scripts/build-wasm-deps.sh" "$deps"

# Webapp dependencies (vite, typescript, and the browser drivers playwright-core,
# puppeteer-core, selenium-webdriver): only when the lock changed.
stamp="$here/webapp/node_modules/.packline-lock"
if [ -f "$here/webapp/package.json" ]; then
  want=$(cat "$here/webapp/package.json" "$here/webapp/package-lock.json" 2>/dev/null | sha256sum | cut -c1-16)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "setup: npm install in webapp/"
    (cd "$here/webapp" && npm install --no-audit --no-fund)
    echo "$want" > "$stamp"
  fi
fi
echo "setup: ok"
