#!/usr/bin/env bash
# The API reference page (/docs): Swagger UI from npm, served locally like every other asset
# (no CDN: the page runs on the same origin as the sign-in cookie, under the same CSP).
# Called by scripts/setup.sh with the vendor folder as $1.
set -euo pipefail
vendor=${1:?usage: docs.sh VENDOR_DIR}
src=node_modules/swagger-ui-dist
[[ -f "$src/swagger-ui-bundle.js" ]] || { echo "swagger-ui-dist missing: run npm ci" >&2; exit 1; }
mkdir -p "$vendor/swagger-ui"
cp "$src/swagger-ui-bundle.js" "$src/swagger-ui.css" "$vendor/swagger-ui/"
