#!/usr/bin/env bash
# community tracing: libsodium-wrappers (from npm) for the visitor's check-in page, served
# locally. The page loads libsodium.js (WebAssembly, with libsodium's own asm.js fallback)
# and then the wrappers, which expose `window.sodium`. Called by scripts/setup.sh with the
# vendor folder as $1.
set -euo pipefail
vendor=${1:?usage: tracing.sh VENDOR_DIR}
core=node_modules/libsodium/dist/modules/libsodium.js
wrappers=node_modules/libsodium-wrappers/dist/modules/libsodium-wrappers.js
[[ -f "$core" && -f "$wrappers" ]] || { echo "libsodium-wrappers missing: run npm ci" >&2; exit 1; }
mkdir -p "$vendor/libsodium"
cp "$core" "$wrappers" "$vendor/libsodium/"
