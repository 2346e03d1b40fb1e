#!/usr/bin/env bash
# Load run against a release build on this machine (loopback only).
#   bench/load.sh [users] [audit entries] [seconds]
# Prints wrk's throughput and latency for an authenticated API page, the
# audit log, a static asset (same run, for the ratio), and the asset while
# sign-ins (argon2) load the server. Needs wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
users=${1:-10000}
audit=${2:-1000000}
secs=${3:-15}
port=18080
base="http://127.0.0.1:$port"
data=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$data"' EXIT

cargo build --release -p salesflow
bin=target/release/salesflow
export SALESFLOW_DATA_DIR="$data" SALESFLOW_ADMIN_PASSWORD=bench-admin-password RUST_LOG=warn
unset DATABASE_URL
echo "== generating $users users and $audit audit entries"
$bin migrate
printf 'bench-admin-password\n' | $bin user create --username admin --email admin@bench.local --role admin --password-stdin
$bin gen --users "$users" --audit "$audit"
$bin serve --listen "127.0.0.1:$port" >"$data/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do curl -sf "$base/readyz" >/dev/null && break; sleep 0.2; done
token=$(curl -sf -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"username":"admin","password":"bench-admin-password"}' | sed -E 's/.*"token":"([^"]+)".*/\1/')
auth="Authorization: Bearer $token"
cursor=$(curl -sf -H "$auth" "$base/api/v1/audit-log?limit=50" | sed -E 's/.*"next_cursor":"([^"]+)".*/\1/')

run() { echo; echo "== $1"; shift; wrk --latency "$@" | grep -E 'Requests/sec|Latency|^ +(50|90|99)%'; }
echo; echo "machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB, $(uname -r)"
run "static asset /assets/app.css (t2 c32 ${secs}s)" -t2 -c32 -d"${secs}s" "$base/assets/app.css"
run "API users page, limit=50, sorted by name (t2 c32 ${secs}s)" -t2 -c32 -d"${secs}s" -H "$auth" "$base/api/v1/users?limit=50"
run "API users search q=王 (t2 c32 ${secs}s)" -t2 -c32 -d"${secs}s" -H "$auth" "$base/api/v1/users?limit=50&q=%E7%8E%8B"
run "API audit log, first page (t2 c32 ${secs}s)" -t2 -c32 -d"${secs}s" -H "$auth" "$base/api/v1/audit-log?limit=50"
run "API audit log, second page by cursor (t2 c32 ${secs}s)" -t2 -c32 -d"${secs}s" -H "$auth" "$base/api/v1/audit-log?limit=50&cursor=$cursor"
run "sign-in POST /api/v1/auth/login (t1 c4 ${secs}s)" -t1 -c4 -d"${secs}s" -s bench/login.lua "$base/api/v1/auth/login"
echo; echo "== static asset while sign-ins run (argon2 must not block the runtime)"
wrk -t1 -c4 -d"$((secs + 2))s" -s bench/login.lua "$base/api/v1/auth/login" >/dev/null &
sleep 1
wrk --latency -t1 -c16 -d"${secs}s" "$base/assets/app.css" | grep -E 'Requests/sec|Latency|^ +(50|90|99)%'
wait
