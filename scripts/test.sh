#!/usr/bin/env bash
# The whole test suite: unit, store and API tests on SQLite, the same API
# tests on PostgreSQL, and the browser tests in headless Chromium.
#   PG:       SALESFLOW_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres)
#   Browser:  /usr/bin/chromium (apt-get install chromium)
set -euo pipefail
cd "$(dirname "$0")/.."

pg_url="${SALESFLOW_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

echo "== tests on SQLite"
SALESFLOW_TEST_DATABASE_URL= cargo test --workspace

echo "== API tests on PostgreSQL ($pg_url)"
if command -v psql >/dev/null; then
  # Drop databases left by earlier runs on this server.
  for db in $(psql "$pg_url" -tAc "SELECT datname FROM pg_database WHERE datname LIKE 'sf_test_%'" 2>/dev/null); do
    psql "$pg_url" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  done
fi
SALESFLOW_TEST_DATABASE_URL="$pg_url" cargo test -p salesflow-web --test api

# Generated requests over the OpenAPI document, on both backends
# (skips itself with one line when python3/pip are missing).
scripts/api-fuzz.sh

echo "== browser tests (headless Chromium)"
cargo build -p salesflow
(cd e2e && npm ci --no-audit --no-fund --ignore-scripts && npm test)
