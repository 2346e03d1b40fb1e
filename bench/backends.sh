#!/usr/bin/env bash
# The same measurements on SQLite and on PostgreSQL, for the two columns of
# docs/BENCHMARKS.md ("SQLite and PostgreSQL side by side").
#   bench/backends.sh [customers] [opportunities] [seconds]
# With DATABASE_URL=postgres://… it runs on that database (generating the
# data when it has no customers yet); without it on an SQLite file in
# $BENCH_DATA (a new temporary directory by default). Generates 200
# salespeople, the customers (default 200,000, with a contact and two
# activities each) and the opportunities (default 100,000), then measures
# single requests (best and median of three, warm): the customer list of one owner in
# every sort, with a grade, and the public pool; searches; the customer
# picker's autocomplete (sorted by name, 10 rows); the board; the funnel
# report; and with wrk the list, the board and creating customers under 8
# connections (not with BENCH_NO_LOAD=1). Each figure is printed with the load average at the time:
# the machine may be shared.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200000}
deals=${2:-100000}
secs=${3:-10}
port=${BENCH_PORT:-18083}
base="http://127.0.0.1:$port"
data=${BENCH_DATA:-$(mktemp -d)}
mkdir -p "$data"
trap 'kill $server 2>/dev/null || true' EXIT

[ -n "${BENCH_NO_BUILD:-}" ] || cargo build --release -p salesflow
bin=${BENCH_BIN:-target/release/salesflow}
export SALESFLOW_DATA_DIR="$data" RUST_LOG=warn
. bench/backend.sh
$bin migrate >/dev/null
if [ "$(sql 'SELECT count(*) FROM customers')" = 0 ]; then
  printf 'bench-admin-password\n' | $bin user create --username admin --email admin@bench.local --role admin --password-stdin
  /usr/bin/time -f "generation took %e s, max RSS %M KiB (load $(cut -d' ' -f1-3 /proc/loadavg) at the start)" \
    $bin gen --users 200 --customers "$n" --contacts "$n" --activities "$((2 * n))" --opportunities "$deals"
fi
# The customers an earlier run's create test added (newest activity, so
# they would head every list and search walk): the same data each run.
[ "$backend" = postgres ] && sql "DELETE FROM search_sets WHERE kind = 1 AND entity_id IN (SELECT id FROM customers WHERE name LIKE '压测客户 %');" >/dev/null
sql "DELETE FROM search_grams WHERE kind = 1 AND entity_id IN (SELECT id FROM customers WHERE name LIKE '压测客户 %');
     DELETE FROM customers WHERE name LIKE '压测客户 %';" >/dev/null
# Dead rows and pages not yet all-visible would make index-only scans read
# the table (a run after a load test measured 1.5–2× slower on PostgreSQL).
[ "$backend" = postgres ] && sql "VACUUM (ANALYZE)" >/dev/null
$bin serve --listen "127.0.0.1:$port" >"$data/serve-$backend.log" 2>&1 &
server=$!
for _ in $(seq 300); do curl -sf "$base/readyz" >/dev/null && break; sleep 0.2; done
token=$(curl -sf -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"username":"admin","password":"bench-admin-password"}' | sed -E 's/.*"token":"([^"]+)".*/\1/')
auth="Authorization: Bearer $token"
# The first salesperson (about n / 200 customers, like every other).
owner=$(sql 'SELECT min(owner_id) FROM customers')
pipeline=$(curl -sf -H "$auth" "$base/api/v1/pipelines" | sed -E 's/^\[\{"id":([0-9]+).*/\1/')
to=$(date +%F)
from=$(date -d "1 year ago" +%F)
q() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n' | sed 's/../%&/g'; }
load() { cut -d' ' -f1 /proc/loadavg; }
# Best and median of three single requests (BENCH_REPEAT), in ms, and the
# load average: the median says what a user typically waits.
one() {
  for _ in $(seq "${BENCH_REPEAT:-3}"); do
    curl -s -o /dev/null -w "%{time_total}\n" -H "$auth" "$1"
  done | sort -g | awk -v l="$(load)" '{t[NR] = $1}
    END {printf "%7.1f ms, median %7.1f ms  (load %s)", t[1] * 1000, t[int((NR + 1) / 2)] * 1000, l}'
}
row() { printf '%-58s %s\n' "$1" "$(one "$2")"; }
echo
echo "backend: $backend; machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB; customers: $(sql 'SELECT count(*) FROM customers'), opportunities: $(sql 'SELECT count(*) FROM opportunities')"
list="$base/api/v1/customers?owner_id=$owner&limit=50"
for sort in -last_activity_at created_at -created_at name -updated_at id; do
  row "customers of one owner, sort=$sort" "$list&sort=$sort"
done
for sort in -last_activity_at created_at name -updated_at; do
  row "customers of one owner, grade A, sort=$sort" "$list&grade=A&sort=$sort"
done
for sort in -last_activity_at created_at name; do
  row "public pool, sort=$sort" "$base/api/v1/customers?pool=true&limit=50&sort=$sort"
  row "everyone's, grade A, sort=$sort" "$base/api/v1/customers?grade=A&limit=50&sort=$sort"
done
for term in 华信 上海华信 Panda 12345 李娜; do
  row "search customers q=$term" "$base/api/v1/customers?q=$(q "$term")&limit=50"
done
row "search contacts q=李娜" "$base/api/v1/contacts?q=$(q 李娜)&limit=50"
for term in Pan Panda Golden 华信; do
  row "autocomplete q=$term (sort=name, limit 10)" "$base/api/v1/customers?q=$(q "$term")&sort=name&limit=10"
done
kanban="$base/api/v1/opportunities/kanban?pipeline_id=$pipeline&cards=20"
row "board, 20 cards a column" "$kanban"
row "board of one owner" "$kanban&owner_id=$owner"
row "funnel report, a year" "$base/api/v1/reports/funnel?from=$from&to=$to&pipeline_id=$pipeline"
row "opportunity list" "$base/api/v1/opportunities?limit=50"
# Home pages and the top bar's search (issue 11): a salesperson, and the
# manager of a generated team of ten (the second bench user, made one here).
rep=$(sql "SELECT username FROM users WHERE username LIKE 'bench%' ORDER BY id LIMIT 1")
mgr=$(sql "SELECT username FROM users WHERE username LIKE 'bench%' ORDER BY id LIMIT 1 OFFSET 1")
sql "UPDATE users SET role_id = (SELECT id FROM roles WHERE code = 'sales_manager') WHERE username = '$mgr'" >/dev/null
sql "UPDATE departments SET manager_id = (SELECT id FROM users WHERE username = '$mgr')
     WHERE id = (SELECT department_id FROM users WHERE username = '$mgr')" >/dev/null
sign_in() {
  curl -sf -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"bench-password\"}" | sed -E 's/.*"token":"([^"]+)".*/\1/'
}
admin_auth=$auth
auth="Authorization: Bearer $(sign_in "$rep")"
row "home page, a salesperson" "$base/api/v1/home"
for term in 华信 Panda 138; do
  row "global search q=$term, a salesperson" "$base/api/v1/search?q=$(q "$term")"
done
auth="Authorization: Bearer $(sign_in "$mgr")"
row "home page, the manager of ten" "$base/api/v1/home"
auth=$admin_auth
row "home page, the administrator" "$base/api/v1/home"
for term in 华信 Panda 138; do
  row "global search q=$term, the administrator" "$base/api/v1/search?q=$(q "$term")"
done
if [ "$backend" = sqlite ]; then
  echo "server RSS after the single requests: $(ps -o rss= -p "$server") KiB"
fi
# BENCH_NO_LOAD=1: the single requests only.
[ -z "${BENCH_NO_LOAD:-}" ] || exit 0
run() {
  local title=$1; shift
  echo; echo "== $title (load $(load) before)"
  wrk --latency "$@" | grep -E 'Requests/sec|Latency|^ +(50|99)%|non-2xx|^status'
}
run "customers of one owner, sort=name (t1 c8 ${secs}s)" -t1 -c8 -d"${secs}s" -H "$auth" "$list&sort=name"
run "search q=华信 (t1 c8 ${secs}s)" -t1 -c8 -d"${secs}s" -H "$auth" "$base/api/v1/customers?q=$(q 华信)&limit=50"
run "board (t1 c8 ${secs}s)" -t1 -c8 -d"${secs}s" -H "$auth" "$kanban"
BENCH_TOKEN=$token run "create customers (t2 c8 ${secs}s)" -t2 -c8 -d"${secs}s" -s bench/create.lua "$base"
echo "server RSS at the end: $(ps -o rss= -p "$server") KiB"
