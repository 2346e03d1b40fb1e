#!/usr/bin/env bash
# Generated requests over the OpenAPI document (schemathesis, pinned) against
# a started `salesflow serve`, on SQLite and on PostgreSQL: every answer must
# be documented (status, content type, headers, body schema) and none may be
# a 5xx. Bounded: API_FUZZ_EXAMPLES examples per operation (default 20),
# a few minutes in all. The demo company is loaded first, so that generated
# ids meet real records (and PATCH, DELETE, actions do real work).
#   PG: SALESFLOW_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres);
#       skipped with a note when psql is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=3.39.16
# Schemathesis 3.39 breaks with newer Hypothesis releases.
HYPOTHESIS_VERSION=6.122.3
examples="${API_FUZZ_EXAMPLES:-20}"
pg_url="${SALESFLOW_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

if ! command -v python3 >/dev/null || ! python3 -m pip --version >/dev/null 2>&1 || ! python3 -m venv --help >/dev/null 2>&1; then
  echo "== API fuzz: skipped (python3 with pip and venv is not installed)"
  exit 0
fi

venv=target/api-fuzz-venv
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  if ! python3 -m venv --clear "$venv" >/dev/null 2>&1; then
    echo "== API fuzz: skipped (python3 cannot make a virtual environment: install python3-venv)"
    exit 0
  fi
  "$venv/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION" "hypothesis==$HYPOTHESIS_VERSION"
fi

cargo build -q -p salesflow
bin="$PWD/target/debug/salesflow"
work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

password="fuzz-$(python3 -c 'import secrets; print(secrets.token_hex(12))')"

# The token of a sign-in through the API.
login() {
  python3 - "$1" "$password" <<'EOF'
import json, sys, urllib.request
base, password = sys.argv[1], sys.argv[2]
req = urllib.request.Request(base + "/api/v1/auth/login", method="POST",
    data=json.dumps({"username": "admin", "password": password}).encode(),
    headers={"Content-Type": "application/json"})
print(json.load(urllib.request.urlopen(req, timeout=30))["token"])
EOF
}

wait_ready() {
  for _ in $(seq 1 60); do
    if python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1] + '/readyz', timeout=2)" "$1" 2>/dev/null; then
      return 0
    fi
    sleep 1
  done
  echo "the server did not start; its log:" >&2
  cat "$work/server.log" >&2
  return 1
}

# fuzz NAME DATABASE_URL PORT
fuzz() {
  local name="$1" url="$2" port="$3" base="http://127.0.0.1:$3"
  echo "== API fuzz on $name ($examples examples per operation)"
  DATABASE_URL="$url" SALESFLOW_DATA_DIR="$work/data-$name" SALESFLOW_ADMIN_PASSWORD="$password" \
    SALESFLOW_LISTEN="127.0.0.1:$port" "$bin" serve --demo >"$work/server.log" 2>&1 &
  server_pid=$!
  wait_ready "$base"
  local token
  token="$(login "$base")"
  # Signing out would end the run's own session.
  timeout 600 "$venv/bin/schemathesis" run "$base/api/openapi.json" \
    --experimental=openapi-3.1 \
    --base-url "$base" \
    -H "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
    --exclude-path /api/v1/auth/logout \
    --hypothesis-max-examples "$examples" \
    --hypothesis-phases generate \
    --hypothesis-deadline 60000 \
    --hypothesis-suppress-health-check filter_too_much,too_slow,data_too_large \
    --hypothesis-seed "${API_FUZZ_SEED:-1}" \
    --request-timeout 20000 \
    --no-color
  if grep -q "panicked" "$work/server.log"; then
    echo "the server panicked:" >&2
    grep -A5 "panicked" "$work/server.log" >&2
    return 1
  fi
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

fuzz sqlite "sqlite://$work/fuzz.db?mode=rwc" 18181

if [ "${SALESFLOW_FUZZ_POSTGRES:-true}" != true ]; then
  echo "== API fuzz on PostgreSQL: skipped (no PostgreSQL answers)"
elif command -v psql >/dev/null; then
  db="sf_fuzz_$(python3 -c 'import secrets; print(secrets.token_hex(6))')"
  psql "$pg_url" -qc "CREATE DATABASE $db" >/dev/null
  fuzz postgres "${pg_url%/*}/$db" 18182
  psql "$pg_url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
else
  echo "== API fuzz on PostgreSQL: skipped (psql is not installed)"
fi
