#!/usr/bin/env bash
# Customer-list load run at benchmark scale (release build, SQLite or PostgreSQL, loopback).
#   bench/customers.sh [customers] [contacts] [activities] [seconds]
# Generates the customers (default 1,000,000), contacts (2,000,000) and
# activities (5,000,000), owned by 200 salespeople, then measures with wrk: the list filtered by owner and grade
# sorted by last activity (first page and a deep page), a two-character
# Chinese search, one customer with its contacts and timeline, and a static
# asset in the same run for the ratio; single-request timings of searches
# (common and rare words) and of the activity list and the three archives.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
contacts=${2:-$((2 * n))}
activities=${3:-$((5 * n))}
secs=${4:-10}
port=18081
base="http://127.0.0.1:$port"
data=${BENCH_DATA:-$(mktemp -d)}
mkdir -p "$data"
trap 'kill $server 2>/dev/null || true' EXIT

cargo build --release -p salesflow
bin=target/release/salesflow
export SALESFLOW_DATA_DIR="$data" RUST_LOG=warn
# PostgreSQL with DATABASE_URL (generating when it has no customers yet), else SQLite.
. bench/backend.sh
$bin migrate
if [ "$(sql 'SELECT count(*) FROM customers')" = 0 ]; then
  printf 'bench-admin-password\n' | $bin user create --username admin --email admin@bench.local --role admin --password-stdin
  /usr/bin/time -f "generation took %e s, max RSS %M KiB" \
    $bin gen --users 200 --customers "$n" --contacts "$contacts" --activities "$activities"
fi
ls -la "$data"
$bin serve --listen "127.0.0.1:$port" >"$data/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do curl -sf "$base/readyz" >/dev/null && break; sleep 0.2; done
token=$(curl -sf -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"username":"admin","password":"bench-admin-password"}' | sed -E 's/.*"token":"([^"]+)".*/\1/')
auth="Authorization: Bearer $token"
# A salesperson (the newest customer may be in the public pool, without owner).
owner=$(sql 'SELECT min(owner_id) FROM customers')
list="$base/api/v1/customers?owner_id=$owner&grade=A&sort=-last_activity_at&limit=50"
# A deep page: follow the cursor 20 pages in.
url="$list"
for _ in $(seq 20); do
  c=$(curl -sf -H "$auth" "$url" | sed -nE 's/.*"next_cursor":"([^"]+)".*/\1/p')
  [ -n "$c" ] || break
  url="$list&cursor=$c"
done
deep="$url"
id=$(curl -sf -H "$auth" "$list" | sed -E 's/.*"items":\[\{"id":([0-9]+).*/\1/')

one() { # server-side time of one request, from curl
  curl -s -o /dev/null -w "%{time_total}s" -H "$auth" "$1"
}
echo
echo "machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB; customers: $n"
echo "single requests (warm): list $(one "$list"), deep page $(one "$deep"), search $(one "$base/api/v1/customers?q=%E5%8D%8E%E4%BF%A1&limit=50"),"
echo "  customer $(one "$base/api/v1/customers/$id"), contacts $(one "$base/api/v1/contacts?customer_id=$id"), timeline $(one "$base/api/v1/activities?customer_id=$id")"
q() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n' | sed 's/../%&/g'; }
echo "  search (single requests, 3 runs each):"
for term in 华信 上海华信 Panda 12345 李娜; do
  printf '    customers q=%s: %s %s %s\n' "$term" "$(one "$base/api/v1/customers?q=$(q "$term")&limit=50")" \
    "$(one "$base/api/v1/customers?q=$(q "$term")&limit=50")" "$(one "$base/api/v1/customers?q=$(q "$term")&limit=50")"
done
printf '    contacts q=李娜: %s %s\n' "$(one "$base/api/v1/contacts?q=$(q 李娜)&limit=50")" "$(one "$base/api/v1/contacts?q=$(q 李娜)&limit=50")"
echo "  lists: activities $(one "$base/api/v1/activities?limit=50"), visit register $(one "$base/api/v1/activities?kind=visit&closed=false&limit=50"),"
echo "    follow-up archive $(one "$base/api/v1/activities?closed=false&limit=50"), closed customers $(one "$base/api/v1/customers?closed=true&sort=-closed_at&limit=50")"
run() { echo; echo "== $1"; shift; wrk --latency "$@" | grep -E 'Requests/sec|Latency|^ +(50|90|99)%'; }
run "static asset (t1 c8)" -t1 -c8 -d"${secs}s" "$base/assets/app.css"
run "list: owner + grade A, sorted by last activity, first page (t1 c8)" -t1 -c8 -d"${secs}s" -H "$auth" "$list"
run "list: same, page 21 by cursor (t1 c8)" -t1 -c8 -d"${secs}s" -H "$auth" "$deep"
run "search q=华信 (t1 c8)" -t1 -c8 -d"${secs}s" -H "$auth" "$base/api/v1/customers?q=%E5%8D%8E%E4%BF%A1&limit=50"
run "search q=李娜 over contacts (t1 c8)" -t1 -c8 -d"${secs}s" -H "$auth" "$base/api/v1/contacts?q=%E6%9D%8E%E5%A8%9C&limit=50"
run "one customer (t1 c8)" -t1 -c8 -d"${secs}s" -H "$auth" "$base/api/v1/customers/$id"
run "its timeline (t1 c8)" -t1 -c8 -d"${secs}s" -H "$auth" "$base/api/v1/activities?customer_id=$id"
run "activities of every customer, first page (t1 c8)" -t1 -c8 -d"${secs}s" -H "$auth" "$base/api/v1/activities?limit=50"
run "visitor intention register (t1 c8)" -t1 -c8 -d"${secs}s" -H "$auth" "$base/api/v1/activities?kind=visit&closed=false&limit=50"
