#!/usr/bin/env bash
# Give the test suite a PostgreSQL login that works whatever the server's authentication is.
#
# Debian's default for new clusters is peer authentication on the local socket and
# scram-sha-256 (passwords) over TCP, so `postgres@127.0.0.1` without a password is refused.
# This script connects through the local socket as the `postgres` OS user, creates (or
# updates) the role `rescity_test` with a generated password and CREATEDB, and writes the
# connection URL the tests use (RESCITY_TEST_PG_ADMIN_URL) to a file readable only by you.
# Running it again keeps a working URL as it is.
#
# Environment (defaults for the local Debian cluster):
#   RESCITY_PG_PORT        server port (5432)
#   RESCITY_PG_SOCKET_DIR  the server's socket folder (/var/run/postgresql)
#   RESCITY_PG_URL_FILE    where the URL goes (~/.config/rescity/test-postgres-url)
set -euo pipefail

port=${RESCITY_PG_PORT:-5432}
socket=${RESCITY_PG_SOCKET_DIR:-/var/run/postgresql}
url_file=${RESCITY_PG_URL_FILE:-${XDG_CONFIG_HOME:-$HOME/.config}/rescity/test-postgres-url}
role=rescity_test

works() { psql "${1/+psycopg/}" -Atqc 'SELECT 1' >/dev/null 2>&1; }

if [[ -f "$url_file" ]] && works "$(cat "$url_file")"; then
  exit 0
fi

as_postgres() {
  if [[ $(id -un) == postgres ]]; then "$@"
  elif [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"
  elif command -v sudo >/dev/null; then sudo -u postgres -- "$@"
  else return 1
  fi
}

password=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
if ! as_postgres psql -h "$socket" -p "$port" -d postgres -v ON_ERROR_STOP=1 -qAt \
    -v role="$role" -v pw="$password" >/dev/null <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'role')
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
ALTER ROLE :"role" WITH LOGIN CREATEDB PASSWORD :'pw';
SQL
then
  echo "could not create the PostgreSQL role $role through $socket (port $port) as the" \
       "postgres OS user; set RESCITY_TEST_PG_ADMIN_URL to a login that may create databases" >&2
  exit 1
fi

url="postgresql+psycopg://$role:$password@127.0.0.1:$port/postgres"
works "$url" || { echo "PostgreSQL refuses $role over TCP on 127.0.0.1:$port (pg_hba.conf)" >&2; exit 1; }
mkdir -p "$(dirname "$url_file")"
(umask 077 && printf '%s\n' "$url" > "$url_file")
echo "PostgreSQL test login $role written to $url_file"
