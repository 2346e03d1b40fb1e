#!/usr/bin/env bash
# Pipeline load run at benchmark scale (release build, SQLite or PostgreSQL, loopback).
#   bench/pipeline.sh [opportunities] [customers] [seconds]
# Generates 200 salespeople, the customers (default 100,000) and the
# opportunities (default 1,000,000, walked through their pipelines over two
# years with their stage history), then measures: the kanban's first cards
# per column (whole company and one owner), more cards of a column, the
# opportunity list, one opportunity, the funnel analysis for a year and the
# whole company, the weighted forecast, and a stage move (back and forward
# under the gate), with a static asset in the same run for the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
customers=${2:-100000}
secs=${3:-10}
port=18082
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
    $bin gen --users 200 --customers "$customers" --opportunities "$n"
fi
ls -la "$data"
$bin serve --listen "127.0.0.1:$port" >"$data/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do curl -sf "$base/readyz" >/dev/null && break; sleep 0.2; done
token=$(curl -sf -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"username":"admin","password":"bench-admin-password"}' | sed -E 's/.*"token":"([^"]+)".*/\1/')
auth="Authorization: Bearer $token"
json='content-type: application/json'
pipeline=$(curl -sf -H "$auth" "$base/api/v1/pipelines" | sed -E 's/^\[\{"id":([0-9]+).*/\1/')
stages=$(curl -sf -H "$auth" "$base/api/v1/pipelines/$pipeline" | grep -oE '"id":[0-9]+,"pipeline_id"' | sed -E 's/"id":([0-9]+).*/\1/')
first=$(echo "$stages" | sed -n 1p)
second=$(echo "$stages" | sed -n 2p)
owner=$(curl -sf -H "$auth" "$base/api/v1/opportunities?limit=1&status=open" | sed -E 's/.*"owner_id":([0-9]+).*/\1/')
kanban="$base/api/v1/opportunities/kanban?pipeline_id=$pipeline&cards=20"
cards="$base/api/v1/opportunities/kanban/$second/cards?limit=20"
cursor=$(curl -sf -H "$auth" "$cards" | sed -nE 's/.*"next_cursor":"([^"]+)".*/\1/p')
more="$cards&cursor=$cursor"
# An open deal in the second stage: its first stage's required items were
# ticked on the way, so it can go back and forward again under the gate.
deal=$(curl -sf -H "$auth" "$base/api/v1/opportunities?stage_id=$second&status=open&limit=1" | sed -E 's/.*"items":\[\{"id":([0-9]+).*/\1/')
to=$(date +%F)
from=$(date -d "1 year ago" +%F)
funnel="$base/api/v1/reports/funnel?from=$from&to=$to&pipeline_id=$pipeline"
forecast="$base/api/v1/forecasts/weighted?from=$to&to=$(date -d "6 months" +%F)&group_by=month&pipeline_id=$pipeline"

one() { # time of one request, from curl (loopback)
  curl -s -o /dev/null -w "%{time_total}s" -H "$auth" "$1"
}
echo
echo "machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg); opportunities: $n"
echo "open: $(sql "SELECT count(*) FROM opportunities WHERE status = 'open'" 2>/dev/null || echo '?'),\
 stage stays: $(sql "SELECT count(*) FROM opportunity_stages" 2>/dev/null || echo '?')"
echo "single requests (warm, 3 runs): kanban $(one "$kanban") $(one "$kanban") $(one "$kanban"),"
echo "  kanban of one owner $(one "$kanban&owner_id=$owner") $(one "$kanban&owner_id=$owner"), more cards $(one "$more") $(one "$more"),"
echo "  list $(one "$base/api/v1/opportunities?limit=50"), one $(one "$base/api/v1/opportunities/$deal"),"
echo "  funnel (a year, whole company) $(one "$funnel") $(one "$funnel") $(one "$funnel"),"
echo "  forecast (6 months) $(one "$forecast") $(one "$forecast")"
moves=200
start=$(date +%s.%N)
for _ in $(seq $((moves / 2))); do
  curl -sf -o /dev/null -X POST -H "$auth" -H "$json" -d "{\"stage_id\":$first}" "$base/api/v1/opportunities/$deal/move"
  curl -sf -o /dev/null -X POST -H "$auth" -H "$json" -d "{\"stage_id\":$second}" "$base/api/v1/opportunities/$deal/move"
done
end=$(date +%s.%N)
echo "  moves: $moves sequential (back, then forward under the gate): $(awk "BEGIN{printf \"%.2f\", ($end - $start) * 1000 / $moves}") ms each incl. curl start-up"
run() { echo; echo "== $1"; shift; wrk --latency "$@" | grep -E 'Requests/sec|Latency|^ +(50|90|99)%'; }
run "static asset (t1 c8)" -t1 -c8 -d"${secs}s" "$base/assets/app.css"
run "kanban, first 20 cards of each column, whole company (t1 c8)" -t1 -c8 -d"${secs}s" -H "$auth" "$kanban"
run "kanban of one owner (t1 c8)" -t1 -c8 -d"${secs}s" -H "$auth" "$kanban&owner_id=$owner"
run "more cards of a column (t1 c8)" -t1 -c8 -d"${secs}s" -H "$auth" "$more"
run "funnel analysis, a year, whole company (t1 c2)" -t1 -c2 -d"${secs}s" -H "$auth" "$funnel"
run "one opportunity (t1 c8)" -t1 -c8 -d"${secs}s" -H "$auth" "$base/api/v1/opportunities/$deal"
