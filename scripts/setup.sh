#!/usr/bin/env bash
# Install everything rescity needs on a fresh Debian machine; safe to run again.
#   scripts/setup.sh          runtime (venv, Python packages, front-end assets, CJK fonts)
#   scripts/setup.sh --dev    also test tools, Debian's Chromium, local services and a
#                             PostgreSQL login for the tests (scripts/test-postgres.sh)
# Needs internet access to Debian's, PyPI's and npm's package registries on the first run.
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
[[ "${1:-}" == "--dev" ]] && dev=1
log() { printf '\033[1;32m[setup]\033[0m %s\n' "$*"; }

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  ((${#missing[@]})) || return 0
  if [[ $(id -u) -ne 0 ]] && ! command -v sudo >/dev/null; then
    log "please install Debian packages: ${missing[*]}"; return 1
  fi
  local SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  log "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# CJK fonts so that figures and screenshots show Chinese; npm for the front-end assets.
apt_install fonts-noto-cjk
command -v npm >/dev/null || apt_install npm
if ((dev)); then
  apt_install chromium
fi

# Python: a virtualenv with the package (and test tools with --dev).
PY=${PYTHON:-}
if [[ -z "$PY" ]]; then
  for cand in python3.12 python3.11 python3; do
    # stderr silenced: a pyenv shim answers `command -v` for versions it cannot run.
    if command -v "$cand" >/dev/null \
        && "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      PY=$cand; break
    fi
  done
fi
[[ -n "$PY" ]] || { echo "Python 3.11+ is needed" >&2; exit 1; }
[[ -x .venv/bin/python ]] || { log "creating .venv with $PY"; "$PY" -m venv .venv; }
extras=""; ((dev)) && extras="[dev]"
stamp=".venv/.rescity-installed$extras"
# The install also compiles the engine's kernels and the OSM reader's loop (setup.py,
# rescity/assess/*/*.pyx) with the machine's C compiler: redone when they change or a built
# module is missing.
digest=$(cat pyproject.toml setup.py rescity/assess/*/*.pyx | sha256sum | cut -c1-16)
if { ! compgen -G "rescity/assess/network/_engine.*.so" >/dev/null \
       && ! compgen -G "rescity/assess/network/_engine.*.pyd" >/dev/null; } \
    || { ! compgen -G "rescity/assess/adapters/_opl.*.so" >/dev/null \
       && ! compgen -G "rescity/assess/adapters/_opl.*.pyd" >/dev/null; }; then
  rm -f "$stamp"
fi
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$digest" ]]; then
  command -v cc >/dev/null || command -v gcc >/dev/null || apt_install gcc libc6-dev
  .venv/bin/python -c 'import os, sys, sysconfig
sys.exit(not os.path.isfile(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
    || apt_install python3-dev
  log "installing Python packages ($extras) and compiling the engine"
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e ".$extras"
  echo "$digest" > "$stamp"
fi

# matplotlib caches its font list once; a list older than the CJK fonts shows Chinese as boxes.
.venv/bin/python scripts/fontcache.py | sed 's/^/[setup] /'

# Front-end assets from the npm registry, served locally (never from a CDN).
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  log "installing front-end assets (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
vendor=rescity/web/static/vendor
mkdir -p "$vendor"
cp node_modules/@picocss/pico/css/pico.min.css "$vendor/"
for f in scripts/vendor.d/*.sh; do [[ -f "$f" ]] && bash "$f" "$vendor"; done

if ((dev)); then
  # The local services the tests talk to: start them if they are installed but stopped.
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    if ! command -v pg_ctlcluster >/dev/null; then apt_install postgresql; fi
    log "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start || true
    for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
  if ! (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null; then
    command -v mosquitto >/dev/null || apt_install mosquitto
    log "starting Mosquitto"
    mosquitto -d -c /etc/mosquitto/mosquitto.conf || mosquitto -d
  fi
  # A password login for the tests: works on trust, peer and scram-sha-256 servers alike.
  if [[ -z "${RESCITY_TEST_PG_ADMIN_URL:-}" ]]; then
    bash scripts/test-postgres.sh
  fi
fi
log "ready: run the web app with .venv/bin/rescity demo (or bash scripts/demo.sh);" \
  "every command: .venv/bin/rescity --help (or: source .venv/bin/activate)"
