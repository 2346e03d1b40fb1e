#!/usr/bin/env bash
# Two builds side by side on the same data, measured in the same run (issue
# 10's "before and after" of a restructuring): the customer list of one
# owner, a stage move under the gate, the funnel report.
#   OLD_BIN=… NEW_BIN=… BENCH_DATA=dir bench/compare.sh [rounds]
# BENCH_DATA holds an SQLite salesflow.db made by OLD_BIN (`salesflow gen`,
# as bench/backends.sh does); each build gets a copy (the newer one migrates
# its copy forward). Rounds alternate old and new so that a machine shared
# with other work affects both alike; each figure is the best of its round.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
data=${BENCH_DATA:?BENCH_DATA: a folder with salesflow.db}
export RUST_LOG=warn
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
start() { # name bin port
  local dir="$data/$1"
  rm -rf "$dir" && mkdir -p "$dir" && cp "$data/salesflow.db" "$dir/"
  SALESFLOW_DATA_DIR="$dir" "$2" migrate >/dev/null
  SALESFLOW_DATA_DIR="$dir" "$2" serve --listen "127.0.0.1:$3" >"$dir/serve.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$3/readyz" >/dev/null && break; sleep 0.2; done
}
start old "${OLD_BIN:?}" 18091
start new "${NEW_BIN:?}" 18092
token() {
  curl -sf -X POST "http://127.0.0.1:$1/api/v1/auth/login" -H 'content-type: application/json' \
    -d '{"username":"admin","password":"bench-admin-password"}' | sed -E 's/.*"token":"([^"]+)".*/\1/'
}
declare -A auth
auth[18091]="Authorization: Bearer $(token 18091)"
auth[18092]="Authorization: Bearer $(token 18092)"
json='content-type: application/json'
base=http://127.0.0.1:18091
a=${auth[18091]}
owner=$(sqlite3 "$data/old/salesflow.db" 'SELECT min(owner_id) FROM customers')
pipeline=$(curl -sf -H "$a" "$base/api/v1/pipelines" | sed -E 's/^\[\{"id":([0-9]+).*/\1/')
stages=$(curl -sf -H "$a" "$base/api/v1/pipelines/$pipeline" | grep -oE '"id":[0-9]+,"pipeline_id"' | sed -E 's/"id":([0-9]+).*/\1/')
first=$(echo "$stages" | sed -n 1p)
second=$(echo "$stages" | sed -n 2p)
# An open deal in the second stage (its first stage's items ticked on the way).
deal=$(curl -sf -H "$a" "$base/api/v1/opportunities?stage_id=$second&status=open&limit=1" | sed -E 's/.*"items":\[\{"id":([0-9]+).*/\1/')
to=$(date +%F)
from=$(date -d "1 year ago" +%F)
best() { # port url: best of five, ms
  local t b=999
  for _ in 1 2 3 4 5; do
    t=$(curl -s -o /dev/null -w "%{time_total}" -H "${auth[$1]}" "$2")
    b=$(awk -v a="$t" -v b="$b" 'BEGIN{print (a < b) ? a : b}')
  done
  awk -v b="$b" 'BEGIN{printf "%.1f", b * 1000}'
}
moves() { # port: ms per move, 40 moves back and forth
  local s e
  s=$(date +%s.%N)
  for _ in $(seq 20); do
    curl -sf -o /dev/null -X POST -H "${auth[$1]}" -H "$json" -d "{\"stage_id\":$first}" "http://127.0.0.1:$1/api/v1/opportunities/$deal/move"
    curl -sf -o /dev/null -X POST -H "${auth[$1]}" -H "$json" -d "{\"stage_id\":$second}" "http://127.0.0.1:$1/api/v1/opportunities/$deal/move"
  done
  e=$(date +%s.%N)
  awk -v s="$s" -v e="$e" 'BEGIN{printf "%.1f", (e - s) * 1000 / 40}'
}
echo "machine: $(nproc) cores; customers: $(sqlite3 "$data/old/salesflow.db" 'SELECT count(*) FROM customers'), opportunities: $(sqlite3 "$data/old/salesflow.db" 'SELECT count(*) FROM opportunities')"
printf '%-6s %-5s %8s %8s %8s %8s %8s\n' round build list list/nm move funnel load
for r in $(seq "$rounds"); do
  for port in 18091 18092; do
    b=http://127.0.0.1:$port/api/v1
    name=old; [ "$port" = 18092 ] && name=new
    printf '%-6s %-5s %8s %8s %8s %8s %8s\n' "$r" "$name" \
      "$(best $port "$b/customers?owner_id=$owner&limit=50")" \
      "$(best $port "$b/customers?owner_id=$owner&limit=50&sort=name")" \
      "$(moves $port)" \
      "$(best $port "$b/reports/funnel?from=$from&to=$to&pipeline_id=$pipeline")" \
      "$(cut -d' ' -f1 /proc/loadavg)"
  done
done
