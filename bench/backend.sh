# Sourced by the bench scripts after `data` is set: DATABASE_URL=postgres://…
# runs on PostgreSQL; without it, on the SQLite file in $data. Defines
# `backend` (sqlite|postgres) and `sql QUERY` (one value out).
if [ -n "${DATABASE_URL:-}" ]; then
  export DATABASE_URL
  backend=postgres
  sql() { psql "$DATABASE_URL" -tAc "$1"; }
else
  backend=sqlite
  sql() { sqlite3 "$data/salesflow.db" "$1"; }
fi
