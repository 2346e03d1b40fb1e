#!/usr/bin/env bash
# The whole test suite: unit, store and API tests on SQLite, the same API
# tests on PostgreSQL, generated requests over the OpenAPI document, and the
# browser tests in headless Chromium. Installs what it needs (Debian's
# chromium, the pinned npm packages) when it runs as root.
#   PG:       SALESFLOW_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres);
#             skipped with one line when no server answers there.
#   Browser:  /usr/bin/chromium
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

pg_url="${SALESFLOW_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

# Only what is missing (Debian's npm conflicts with a Node.js that brings its own).
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v npm >/dev/null || missing+=(npm)
command -v psql >/dev/null || missing+=(postgresql-client)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing ${missing[*]}"
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "== missing ${missing[*]}: install them (apt-get install ${missing[*]}) for the full suite"
  fi
fi

pg_ok=false
if command -v psql >/dev/null && psql "$pg_url" -qtAc "SELECT 1" >/dev/null 2>&1; then
  pg_ok=true
fi

echo "== tests on SQLite"
SALESFLOW_TEST_DATABASE_URL= cargo test --workspace

if $pg_ok; then
  echo "== API tests on PostgreSQL ($pg_url)"
  # Drop databases left by earlier runs on this server.
  for db in $(psql "$pg_url" -tAc "SELECT datname FROM pg_database WHERE datname LIKE 'sf_test_%'" 2>/dev/null); do
    psql "$pg_url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done
  SALESFLOW_TEST_DATABASE_URL="$pg_url" cargo test -p salesflow-web --test api
  echo "== store tests on PostgreSQL (migrations, units of work, stock, statistics)"
  SALESFLOW_TEST_DATABASE_URL="$pg_url" cargo test -p salesflow-store --tests
else
  echo "== API and store tests on PostgreSQL: skipped (no PostgreSQL answers at $pg_url)"
fi

# Generated requests over the OpenAPI document, on both backends
# (skips itself with one line when python3/pip are missing).
SALESFLOW_FUZZ_POSTGRES="$pg_ok" scripts/api-fuzz.sh

echo "== browser tests (headless Chromium)"
if command -v chromium >/dev/null && command -v npm >/dev/null; then
  # Our scripts parse (a merge that drops a brace kills every script on every page).
  for f in assets/*.js e2e/*.mjs e2e/tests/*.mjs; do node --check "$f"; done
  cargo build -p salesflow
  (cd e2e && npm ci --no-audit --no-fund --ignore-scripts && npm test)
else
  echo "== browser tests cannot run: chromium and npm are needed"
  exit 1
fi
