#!/usr/bin/env bash
# Customer import at benchmark scale: generates a realistic CSV of N rows
# (default 1,000,000; Chinese company names, about one bad row in a
# thousand), then times `salesflow import` into a fresh SQLite database.
#   bench/import.sh [rows]
# PROFILE=dev measures the debug build instead of the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
profile=${PROFILE:-release}
data=${BENCH_DATA:-$(mktemp -d)}
cargo build --profile "$profile" -p salesflow
bin=target/$([ "$profile" = dev ] && echo debug || echo "$profile")/salesflow
export SALESFLOW_DATA_DIR="$data" RUST_LOG=warn LANG=en_US.UTF-8
unset DATABASE_URL
$bin migrate
printf 'bench-admin-password\n' | $bin user create --username admin --email admin@bench.local --role admin --password-stdin
$bin gen --import-csv "$data/customers.csv" --rows "$n"
echo "file: $(du -h "$data/customers.csv" | cut -f1), machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB"
/usr/bin/time -f "dry run took %e s, max RSS %M KiB" \
  $bin import --target customers --file "$data/customers.csv" --as admin --dry-run
/usr/bin/time -f "import took %e s, max RSS %M KiB" \
  $bin import --target customers --file "$data/customers.csv" --as admin
echo "database: $(du -h "$data/salesflow.db" | cut -f1)"
