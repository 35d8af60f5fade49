#!/usr/bin/env bash
# assess: the Leaflet map library (from npm) for the assessment page, served locally.
# Called by scripts/setup.sh with the vendor folder as $1. No map tiles are used: the page
# draws the street network itself from GeoJSON served by the app.
set -euo pipefail
vendor=${1:?usage: assess.sh VENDOR_DIR}
src=node_modules/leaflet/dist
[[ -f "$src/leaflet.js" ]] || { echo "leaflet missing: run npm ci" >&2; exit 1; }
mkdir -p "$vendor/leaflet/images"
cp "$src/leaflet.js" "$src/leaflet.css" "$vendor/leaflet/"
cp "$src"/images/*.png "$vendor/leaflet/images/"
