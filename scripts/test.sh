#!/usr/bin/env bash
# Set up and run the whole test suite: SQLite, the local PostgreSQL and MQTT, headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
.venv/bin/ruff check rescity tests bench
.venv/bin/mypy
exec .venv/bin/python -m pytest -n 2 "$@"
