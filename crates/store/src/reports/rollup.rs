//! The funnel summary: what [`super::funnel`] counts over stage stays and
//! closed deals, added up per pipeline, local day and local month (company
//! time zone), owner and stage, so that a year of a million deals is read
//! from some thousands of rows.
//!
//! Tables (migration `m20261129_000011_funnel_rollup`):
//! - `funnel_stays`: stays by the day (grain 0) and month (grain 1) they
//!   were entered in, owner and stage: entered, amount, converted,
//!   finished and their days — the report's "cells".
//! - `funnel_stay_days`: finished stays by whole days (medians): owner 0
//!   is everyone (by day and month), real owners by month only.
//! - `funnel_closed`: won and lost deals by the day and month they closed
//!   in and their owner: counts, won amount, cycle days.
//! - `funnel_rollup_state`: the time zone the summary was built for; a
//!   report of another time zone falls back to the stays themselves.
//!
//! Every figure of a stay or a deal is computed by the same SQL
//! expressions as the raw report (conversion probe, days, whole days);
//! only the local day is worked out here. The summary is kept exact by
//! one rule: whatever changes an opportunity, its stays or its status
//! takes the opportunity's contribution out before the change and puts
//! it back after, in the same transaction ([`Change`]). Unchanged stays
//! cancel out, so a move writes only the rows it really changes.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use chrono_tz::Tz;
use salesflow_domain::pipelines::OpportunityStatus;
use salesflow_domain::settings::Settings;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};

use super::{Cell, Closed, Params, clamp64, days_between, float, int, owner_filter, whole_days, wide};
use crate::Store;
use crate::entity::company_settings;
use crate::error::{StoreError, StoreResult};
use salesflow_domain::money::split_sum_sql;
use sea_orm::sea_query::Expr;

pub(crate) const DAY: i32 = 0;
pub(crate) const MONTH: i32 = 1;
/// The owner of the everyone rows of `funnel_stay_days`.
pub(crate) const EVERYONE: i64 = 0;
/// Opportunities per capture statement.
const CHUNK: usize = 500;
/// Opportunity ids per range of a rebuild.
const REBUILD_RANGE: i64 = 20_000;
/// Rows per upsert statement.
const ROWS_PER_INSERT: usize = 400;
/// A rebuild writes what it has gathered once it holds this many rows.
const REBUILD_FLUSH: usize = 400_000;

/// `yyyymmdd` of a day (the 1st for a month).
pub(crate) fn period(d: NaiveDate) -> i64 {
    i64::from(d.year()) * 10_000 + i64::from(d.month()) * 100 + i64::from(d.day())
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

/// The first instant of a local day, as the report's bounds take it.
pub(super) fn day_start(settings: &Settings, d: NaiveDate) -> DateTime<Utc> {
    settings.start_of(d).unwrap_or_else(|| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
}

/// Local days of instants, consistent with [`day_start`]: an instant
/// belongs to day `d` exactly when `day_start(d) <= t < day_start(d + 1)`.
struct Calendar {
    settings: Settings,
    tz: Tz,
    starts: HashMap<NaiveDate, DateTime<Utc>>,
}

impl Calendar {
    fn new(settings: Settings) -> Calendar {
        let tz = settings.tz();
        Calendar { settings, tz, starts: HashMap::new() }
    }

    fn start(&mut self, d: NaiveDate) -> DateTime<Utc> {
        let settings = &self.settings;
        *self.starts.entry(d).or_insert_with(|| day_start(settings, d))
    }

    fn day_of(&mut self, t: DateTime<Utc>) -> NaiveDate {
        let mut d = t.with_timezone(&self.tz).date_naive();
        for _ in 0..3 {
            match d.pred_opt() {
                Some(p) if t < self.start(d) => d = p,
                _ => break,
            }
        }
        for _ in 0..3 {
            match d.succ_opt() {
                Some(n) if t >= self.start(n) => d = n,
                _ => break,
            }
        }
        d
    }
}

async fn settings_of<C: ConnectionTrait>(conn: &C) -> StoreResult<Settings> {
    match crate::settings::current(conn).await {
        Ok(s) => Ok(s),
        // Before the first start-up created them: the defaults.
        Err(StoreError::NotFound) => Ok(Settings::default()),
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------- deltas

type CellKey = (i64, i32, i64, i64, i64);
type DaysKey = (i64, i32, i64, i64, i64, i64);
type ClosedKey = (i64, i32, i64, i64);

/// Signed contributions to the summary, per row key.
#[derive(Default)]
struct Delta {
    cells: HashMap<CellKey, Cell>,
    days: HashMap<DaysKey, i64>,
    closed: HashMap<ClosedKey, Closed>,
}

/// Which opportunities to take.
enum Which<'a> {
    Ids(&'a [i64]),
    /// Ids `from..to`, of one pipeline or all.
    Range {
        from: i64,
        to: i64,
        pipeline: Option<i64>,
    },
}

impl Which<'_> {
    fn sql(&self, id: &str, pipeline_column: &str, q: &mut Params) -> String {
        match self {
            Which::Ids(ids) => format!("{id} IN ({})", q.list(ids.iter().copied())),
            Which::Range { from, to, pipeline } => {
                let mut sql = format!("{id} >= {} AND {id} < {}", q.bind(*from), q.bind(*to));
                if let Some(p) = pipeline {
                    sql.push_str(&format!(" AND {pipeline_column} = {}", q.bind(*p)));
                }
                sql
            }
        }
    }
}

impl Delta {
    fn len(&self) -> usize {
        self.cells.len() + self.days.len() + self.closed.len()
    }

    /// Adds `sign` × the contribution of the opportunities `which`
    /// (nothing for a deleted one).
    async fn capture<C: ConnectionTrait>(
        &mut self,
        conn: &C,
        which: Which<'_>,
        sign: i64,
        calendar: &mut Calendar,
    ) -> StoreResult<()> {
        let backend = conn.get_database_backend();
        // Stays, with the report's own expressions.
        let days = days_between(backend, "s.left_at", "s.entered_at");
        let whole = whole_days(backend, "s.left_at", "s.entered_at");
        let mut q = Params::new(backend);
        let finished = format!("s.left_at IS NOT NULL AND s.passed = {}", q.bind(false));
        let filter = which.sql("s.opportunity_id", "s.pipeline_id", &mut q);
        let sql = format!(
            "SELECT s.pipeline_id, s.stage_id, s.owner_id, s.amount, s.entered_at, \
             CAST(CASE WHEN EXISTS (SELECT 1 FROM opportunity_stages t JOIN pipeline_stages tp ON tp.id = t.stage_id \
                 WHERE t.opportunity_id = s.opportunity_id AND t.entered_at >= s.entered_at \
                 AND tp.position > sp.position) THEN 1 ELSE 0 END AS BIGINT), \
             CAST(CASE WHEN {finished} THEN 1 ELSE 0 END AS BIGINT), \
             CASE WHEN {finished} THEN {days} END, \
             CASE WHEN {finished} THEN {whole} END \
             FROM opportunity_stages s \
             JOIN pipeline_stages sp ON sp.id = s.stage_id \
             JOIN opportunities o ON o.id = s.opportunity_id AND o.deleted_at IS NULL \
             WHERE {filter}"
        );
        for row in conn.query_all_raw(q.statement(sql)).await? {
            self.add_stay(&row, sign, calendar)?;
        }

        // Won and lost deals.
        let cycle = days_between(backend, "o.closed_at", "o.created_at");
        let mut q = Params::new(backend);
        let won = q.bind(OpportunityStatus::Won.code());
        let lost = q.bind(OpportunityStatus::Lost.code());
        let filter = which.sql("o.id", "o.pipeline_id", &mut q);
        let sql = format!(
            "SELECT o.pipeline_id, o.owner_id, o.status, o.amount, o.closed_at, \
             CASE WHEN o.status = {won} THEN {cycle} END \
             FROM opportunities o WHERE {filter} AND o.status IN ({won}, {lost}) \
             AND o.deleted_at IS NULL AND o.closed_at IS NOT NULL"
        );
        for row in conn.query_all_raw(q.statement(sql)).await? {
            let (pipeline, owner) = (int(&row, 0)?, int(&row, 1)?);
            let status: String = row.try_get_by_index(2)?;
            let closed_at: DateTime<Utc> = row.try_get_by_index(4)?;
            let is_won = OpportunityStatus::parse(&status) == Some(OpportunityStatus::Won);
            let add = Closed {
                won: sign * i64::from(is_won),
                lost: sign * i64::from(!is_won),
                won_amount: if is_won { i128::from(sign) * i128::from(int(&row, 3)?) } else { 0 },
                cycle_days: sign as f64 * float(&row, 5)?,
            };
            let day = calendar.day_of(closed_at);
            for (grain, p) in [(DAY, period(day)), (MONTH, period(first_of_month(day)))] {
                let c = self.closed.entry((pipeline, grain, p, owner)).or_default();
                c.won += add.won;
                c.lost += add.lost;
                c.won_amount += add.won_amount;
                c.cycle_days += add.cycle_days;
            }
        }
        Ok(())
    }

    fn add_stay(&mut self, row: &QueryResult, sign: i64, calendar: &mut Calendar) -> StoreResult<()> {
        let (pipeline, stage, owner) = (int(row, 0)?, int(row, 1)?, int(row, 2)?);
        let amount = int(row, 3)?;
        let entered: DateTime<Utc> = row.try_get_by_index(4)?;
        let (converted, finished) = (int(row, 5)?, int(row, 6)?);
        let days = float(row, 7)?;
        let day = calendar.day_of(entered);
        let month = first_of_month(day);
        for (grain, p) in [(DAY, period(day)), (MONTH, period(month))] {
            let c = self.cells.entry((pipeline, grain, p, owner, stage)).or_default();
            c.entered += sign;
            c.amount += i128::from(sign) * i128::from(amount);
            c.converted += sign * converted;
            c.finished += sign * finished;
            c.days += sign as f64 * days;
        }
        if finished != 0 {
            let whole = int(row, 8)?;
            for key in [
                (pipeline, DAY, period(day), EVERYONE, stage, whole),
                (pipeline, MONTH, period(month), EVERYONE, stage, whole),
                (pipeline, MONTH, period(month), owner, stage, whole),
            ] {
                *self.days.entry(key).or_default() += sign;
            }
        }
        Ok(())
    }

    /// Adds the non-zero contributions to the tables, in key order (rows
    /// are locked in the same order by every writer on PostgreSQL).
    async fn apply<C: ConnectionTrait>(self, conn: &C) -> StoreResult<()> {
        let backend = conn.get_database_backend();
        let mut cells: Vec<(CellKey, Cell)> = self
            .cells
            .into_iter()
            .filter(|(_, c)| c.entered != 0 || c.amount != 0 || c.converted != 0 || c.finished != 0 || c.days != 0.0)
            .collect();
        cells.sort_by_key(|(k, _)| *k);
        for chunk in cells.chunks(ROWS_PER_INSERT) {
            let mut q = Params::new(backend);
            let mut rows = Vec::with_capacity(chunk.len());
            for ((pipeline, grain, p, owner, stage), c) in chunk {
                rows.push(q.list([
                    Value::from(*pipeline),
                    Value::from(*grain),
                    Value::from(*p),
                    Value::from(*owner),
                    Value::from(*stage),
                    Value::from(c.entered),
                    Value::from(clamp64(c.amount)),
                    Value::from(c.converted),
                    Value::from(c.finished),
                    Value::from(c.days),
                ]));
            }
            let sql = upsert(
                "funnel_stays",
                &["pipeline_id", "grain", "period", "owner_id", "stage_id"],
                &["entered", "amount", "converted", "finished", "days"],
                &rows,
            );
            conn.execute_raw(q.statement(sql)).await?;
        }
        let mut days: Vec<(DaysKey, i64)> = self.days.into_iter().filter(|(_, n)| *n != 0).collect();
        days.sort_by_key(|(k, _)| *k);
        for chunk in days.chunks(ROWS_PER_INSERT) {
            let mut q = Params::new(backend);
            let mut rows = Vec::with_capacity(chunk.len());
            for ((pipeline, grain, p, owner, stage, d), n) in chunk {
                rows.push(q.list([
                    Value::from(*pipeline),
                    Value::from(*grain),
                    Value::from(*p),
                    Value::from(*owner),
                    Value::from(*stage),
                    Value::from(*d),
                    Value::from(*n),
                ]));
            }
            let sql = upsert(
                "funnel_stay_days",
                &["pipeline_id", "grain", "period", "owner_id", "stage_id", "days"],
                &["stays"],
                &rows,
            );
            conn.execute_raw(q.statement(sql)).await?;
        }
        let mut closed: Vec<(ClosedKey, Closed)> = self
            .closed
            .into_iter()
            .filter(|(_, c)| c.won != 0 || c.lost != 0 || c.won_amount != 0 || c.cycle_days != 0.0)
            .collect();
        closed.sort_by_key(|(k, _)| *k);
        for chunk in closed.chunks(ROWS_PER_INSERT) {
            let mut q = Params::new(backend);
            let mut rows = Vec::with_capacity(chunk.len());
            for ((pipeline, grain, p, owner), c) in chunk {
                rows.push(q.list([
                    Value::from(*pipeline),
                    Value::from(*grain),
                    Value::from(*p),
                    Value::from(*owner),
                    Value::from(c.won),
                    Value::from(c.lost),
                    Value::from(clamp64(c.won_amount)),
                    Value::from(c.cycle_days),
                ]));
            }
            let sql = upsert(
                "funnel_closed",
                &["pipeline_id", "grain", "period", "owner_id"],
                &["won", "lost", "won_amount", "cycle_days"],
                &rows,
            );
            conn.execute_raw(q.statement(sql)).await?;
        }
        Ok(())
    }
}

/// `INSERT … VALUES (…), … ON CONFLICT (keys) DO UPDATE SET v = t.v + excluded.v`
/// (SQLite 3.24+ and PostgreSQL alike). Sums of amounts saturate at
/// ±`i64::MAX` instead of failing the write (PostgreSQL) or turning into a
/// float (SQLite): only thousands of deals at the maximum amount by one
/// person in one stage and month reach it, and the reports read the cells
/// with sums that cannot overflow. `rows`: each row's placeholders
/// ([`Params::list`]), keys then sums.
fn upsert(table: &str, keys: &[&str], sums: &[&str], rows: &[String]) -> String {
    let set: Vec<String> = sums
        .iter()
        .map(|c| {
            let (t, x) = (format!("{table}.{c}"), format!("excluded.{c}"));
            if c.ends_with("amount") {
                format!(
                    "{c} = CASE WHEN {x} > 0 THEN CASE WHEN {t} > {MAX} - {x} THEN {MAX} ELSE {t} + {x} END \
                     WHEN {x} < 0 THEN CASE WHEN {t} < -{MAX} - {x} THEN -{MAX} ELSE {t} + {x} END ELSE {t} END",
                    MAX = i64::MAX
                )
            } else {
                format!("{c} = {t} + {x}")
            }
        })
        .collect();
    format!(
        "INSERT INTO {table} ({}, {}) VALUES {} ON CONFLICT ({}) DO UPDATE SET {}",
        keys.join(", "),
        sums.join(", "),
        rows.iter().map(|r| format!("({r})")).collect::<Vec<_>>().join(", "),
        keys.join(", "),
        set.join(", ")
    )
}

// ---------------------------------------------------------------- keeping it in step

/// A change of some opportunities: [`Change::begin`] before touching them
/// (takes their contribution out; on PostgreSQL it also locks their rows
/// so that no other writer changes them in between), [`Change::finish`]
/// after, in the same transaction (puts the new contribution in).
pub(crate) struct Change {
    ids: Vec<i64>,
    delta: Delta,
    calendar: Calendar,
}

impl Change {
    pub(crate) async fn begin<C: ConnectionTrait>(conn: &C, ids: &[i64]) -> StoreResult<Change> {
        let mut calendar = Calendar::new(settings_of(conn).await?);
        let mut delta = Delta::default();
        let backend = conn.get_database_backend();
        for chunk in ids.chunks(CHUNK) {
            if backend == DbBackend::Postgres {
                let mut q = Params::new(backend);
                let sql = format!(
                    "SELECT id FROM opportunities WHERE id IN ({}) ORDER BY id FOR UPDATE",
                    q.list(chunk.iter().copied())
                );
                conn.query_all_raw(q.statement(sql)).await?;
            }
            delta.capture(conn, Which::Ids(chunk), -1, &mut calendar).await?;
        }
        Ok(Change { ids: ids.to_vec(), delta, calendar })
    }

    pub(crate) async fn finish<C: ConnectionTrait>(mut self, conn: &C) -> StoreResult<()> {
        for chunk in self.ids.chunks(CHUNK) {
            self.delta.capture(conn, Which::Ids(chunk), 1, &mut self.calendar).await?;
        }
        self.delta.apply(conn).await
    }
}

/// Adds newly written opportunities (with their stays) to the summary,
/// inside the transaction that wrote them: for bulk writers such as the
/// demo and benchmark generators, which insert rows directly.
pub async fn add_new<C: ConnectionTrait>(conn: &C, ids: &[i64]) -> StoreResult<()> {
    let change =
        Change { ids: ids.to_vec(), delta: Delta::default(), calendar: Calendar::new(settings_of(conn).await?) };
    change.finish(conn).await
}

/// Builds the summary again from the stays and deals, of one pipeline or
/// of all (then recording the time zone it was built for).
pub(crate) async fn rebuild_in<C: ConnectionTrait>(conn: &C, pipeline: Option<i64>) -> StoreResult<()> {
    let backend = conn.get_database_backend();
    let settings = settings_of(conn).await?;
    for table in ["funnel_stays", "funnel_stay_days", "funnel_closed"] {
        match pipeline {
            Some(p) => {
                let mut q = Params::new(backend);
                let sql = format!("DELETE FROM {table} WHERE pipeline_id = {}", q.bind(p));
                conn.execute_raw(q.statement(sql)).await?;
            }
            None => {
                conn.execute_unprepared(&format!("DELETE FROM {table}")).await?;
            }
        }
    }
    let rows = conn
        .query_all_raw(Statement::from_string(backend, "SELECT MIN(id), MAX(id) FROM opportunities".to_owned()))
        .await?;
    let (low, high) = match rows.first() {
        Some(r) => (r.try_get_by_index::<Option<i64>>(0)?, r.try_get_by_index::<Option<i64>>(1)?),
        None => (None, None),
    };
    let mut calendar = Calendar::new(settings.clone());
    if let (Some(low), Some(high)) = (low, high) {
        let mut delta = Delta::default();
        let mut from = low;
        while from <= high {
            let to = from.saturating_add(REBUILD_RANGE);
            delta.capture(conn, Which::Range { from, to, pipeline }, 1, &mut calendar).await?;
            if delta.len() >= REBUILD_FLUSH {
                std::mem::take(&mut delta).apply(conn).await?;
            }
            from = to;
        }
        delta.apply(conn).await?;
    }
    if pipeline.is_none() {
        let mut q = Params::new(backend);
        // When the summary was built: bookkeeping of the machine, not business time.
        let row = q.list([Value::from(1i32), settings.time_zone.clone().into(), Utc::now().into()]);
        let sql = format!(
            "INSERT INTO funnel_rollup_state (id, time_zone, built_at) VALUES ({row}) \
             ON CONFLICT (id) DO UPDATE SET time_zone = excluded.time_zone, built_at = excluded.built_at"
        );
        conn.execute_raw(q.statement(sql)).await?;
    }
    Ok(())
}

/// Builds the whole summary again, in one transaction (`salesflow
/// rebuild-funnel`; after rows were changed behind the store's back).
pub async fn rebuild(store: &Store) -> StoreResult<()> {
    let txn = store.begin().await?;
    rebuild_in(&txn, None).await?;
    txn.commit().await?;
    Ok(())
}

/// The time zone the summary was built for; `None`: never built.
pub(crate) async fn built_for<C: ConnectionTrait>(conn: &C) -> StoreResult<Option<String>> {
    let backend = conn.get_database_backend();
    let mut q = Params::new(backend);
    let sql = format!("SELECT time_zone FROM funnel_rollup_state WHERE id = {}", q.bind(1i32));
    let rows = conn.query_all_raw(q.statement(sql)).await?;
    Ok(match rows.first() {
        Some(r) => Some(r.try_get_by_index::<String>(0)?),
        None => None,
    })
}

/// The company's settings and the time zone the summary was built for
/// (`None`: never built), read in one statement.
pub(crate) async fn settings_and_built_for<C: ConnectionTrait>(conn: &C) -> StoreResult<(Settings, Option<String>)> {
    use sea_orm::{EntityTrait, FromQueryResult, QuerySelect, QueryTrait};
    // The settings table holds one row, id 1.
    let select = company_settings::Entity::find_by_id(1)
        .expr_as(Expr::cust("(SELECT time_zone FROM funnel_rollup_state WHERE id = 1)"), "summary_zone");
    let row = conn.query_one_raw(select.build(conn.get_database_backend())).await?.ok_or(StoreError::NotFound)?;
    let zone: Option<String> = row.try_get("", "summary_zone")?;
    let model = company_settings::Model::from_query_result(&row, "")?;
    Ok((crate::settings::from_model(model).settings, zone))
}

/// Rebuilds the summary when it was never built or was built for another
/// time zone than the company's (at start-up, after migrating).
pub async fn rebuild_if_stale(store: &Store) -> StoreResult<bool> {
    let txn = store.begin().await?;
    let zone = settings_of(&txn).await?.time_zone;
    if built_for(&txn).await?.as_deref() == Some(zone.as_str()) {
        return Ok(false);
    }
    rebuild_in(&txn, None).await?;
    txn.commit().await?;
    Ok(true)
}

/// Every non-zero row of the summary as text (sums of days to 1e-6), in
/// key order: tests compare the summary kept in step with a rebuild.
#[doc(hidden)]
pub async fn summary_rows(store: &Store) -> StoreResult<Vec<String>> {
    let conn = store.reader();
    let backend = conn.get_database_backend();
    let queries = [
        "SELECT 'stays', pipeline_id, grain, period, owner_id, stage_id, entered, amount, converted, finished, days \
         FROM funnel_stays ORDER BY pipeline_id, grain, period, owner_id, stage_id",
        "SELECT 'days', pipeline_id, grain, period, owner_id, stage_id, days, stays, \
         CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS DOUBLE PRECISION) \
         FROM funnel_stay_days ORDER BY pipeline_id, grain, period, owner_id, stage_id, days",
        "SELECT 'closed', pipeline_id, grain, period, owner_id, CAST(0 AS BIGINT), \
         won, lost, won_amount, CAST(0 AS BIGINT), cycle_days \
         FROM funnel_closed ORDER BY pipeline_id, grain, period, owner_id",
    ];
    let mut out = Vec::new();
    for sql in queries {
        for row in conn.query_all_raw(Statement::from_string(backend, sql.to_owned())).await? {
            let table: String = row.try_get_by_index(0)?;
            let grain: i32 = row.try_get_by_index(2)?;
            let mut ints = Vec::new();
            for i in [1, 3, 4, 5, 6, 7, 8, 9] {
                ints.push(row.try_get_by_index::<i64>(i)?);
            }
            let real: f64 = row.try_get_by_index(10)?;
            let zero =
                if table == "days" { ints[5] == 0 } else { ints[4..].iter().all(|v| *v == 0) && real.abs() < 1e-9 };
            if !zero {
                out.push(format!("{table} grain {grain} {ints:?} {real:.6}"));
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------- reading

/// Rows of one grain over `first..=last` (periods), added (`sign` 1) or
/// taken away (−1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Part {
    pub grain: i32,
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub sign: i64,
}

/// A report period `from..=to` as summary rows: its whole local months;
/// of a month it covers in part, either the days it covers or — when
/// fewer days lie outside — the month less the days outside (the current
/// month up to today is then one month row less a few empty days).
pub(super) fn spans(from: NaiveDate, to: NaiveDate) -> Vec<Part> {
    let mut parts: Vec<Part> = Vec::new();
    let mut month = first_of_month(from);
    while month <= to {
        let next = month.checked_add_months(Months::new(1)).unwrap_or(NaiveDate::MAX);
        let end = next.pred_opt().unwrap_or(next);
        let (a, b) = (from.max(month), to.min(end));
        let inside = (b - a).num_days() + 1;
        let outside = (end - month).num_days() + 1 - inside;
        if outside < inside {
            match parts.last_mut() {
                Some(p)
                    if p.grain == MONTH && p.sign == 1 && p.last.checked_add_months(Months::new(1)) == Some(month) =>
                {
                    p.last = month;
                }
                _ => parts.push(Part { grain: MONTH, first: month, last: month, sign: 1 }),
            }
            if a > month {
                parts.push(Part { grain: DAY, first: month, last: a.pred_opt().unwrap_or(a), sign: -1 });
            }
            if b < end {
                parts.push(Part { grain: DAY, first: b.succ_opt().unwrap_or(b), last: end, sign: -1 });
            }
        } else {
            parts.push(Part { grain: DAY, first: a, last: b, sign: 1 });
        }
        month = next;
    }
    parts
}

/// The rows of the parts, each with its sign: one `SELECT … UNION ALL`
/// branch per part, so that each reads a range of the table's key.
fn signed_rows<'a>(
    table: &str,
    columns: &str,
    pipeline: i64,
    parts: impl Iterator<Item = &'a Part>,
    extra: impl Fn(&mut Params) -> String,
    q: &mut Params,
) -> String {
    let mut branches = Vec::new();
    for p in parts {
        let (pipeline, grain) = (q.bind(pipeline), q.bind(p.grain));
        let (first, last) = (q.bind(period(p.first)), q.bind(period(p.last)));
        let extra = extra(q);
        branches.push(format!(
            "SELECT {columns}, {} AS sign FROM {table} \
             WHERE pipeline_id = {pipeline} AND grain = {grain} AND period >= {first} AND period <= {last}{extra}",
            p.sign
        ));
    }
    if branches.is_empty() {
        return format!("SELECT {columns}, 1 AS sign FROM {table} WHERE 1 = 0");
    }
    branches.join(" UNION ALL ")
}

/// What the report reads from the summary for its parts, in one
/// statement: stays entered by stage and owner (the cells), whole days of
/// finished stays per stage (added to `histograms`: stage → days → stays;
/// everyone's rows, or for a narrowed report the owners' month parts only,
/// the day parts being the caller's, from the stays), and deals closed by
/// owner.
pub(super) async fn figures<C: ConnectionTrait>(
    conn: &C,
    pipeline: i64,
    parts: &[Part],
    owners: &Option<Vec<i64>>,
    histograms: &mut HashMap<i64, HashMap<i64, i64>>,
) -> StoreResult<(HashMap<(i64, i64), Cell>, HashMap<i64, Closed>)> {
    let backend = conn.get_database_backend();
    // One row shape for the three families:
    // family, key 1, key 2, three counts, a split amount, fractional days.
    let mut q = Params::new(backend);
    let stays = signed_rows(
        "funnel_stays",
        "stage_id, owner_id, entered, amount, converted, finished, days",
        pipeline,
        parts.iter(),
        |q| owner_filter("owner_id", owners, q),
        &mut q,
    );
    let days = signed_rows(
        "funnel_stay_days",
        "stage_id, days, stays",
        pipeline,
        parts.iter().filter(|p| owners.is_none() || p.grain == MONTH),
        |q| match owners {
            None => format!(" AND owner_id = {}", q.bind(EVERYONE)),
            Some(_) => owner_filter("owner_id", owners, q),
        },
        &mut q,
    );
    let closed = signed_rows(
        "funnel_closed",
        "owner_id, won, lost, won_amount, cycle_days",
        pipeline,
        parts.iter(),
        |q| owner_filter("owner_id", owners, q),
        &mut q,
    );
    let sql = format!(
        "SELECT CAST({CELLS} AS BIGINT), stage_id, owner_id, CAST(SUM(sign * entered) AS BIGINT), \
         CAST(SUM(sign * converted) AS BIGINT), CAST(SUM(sign * finished) AS BIGINT), {}, \
         CAST(SUM(sign * days) AS DOUBLE PRECISION) FROM ({stays}) s GROUP BY stage_id, owner_id \
         UNION ALL \
         SELECT CAST({DAYS} AS BIGINT), stage_id, days, CAST(SUM(sign * stays) AS BIGINT), 0, 0, 0, 0, \
         CAST(0 AS DOUBLE PRECISION) FROM ({days}) d GROUP BY stage_id, days \
         UNION ALL \
         SELECT CAST({CLOSED} AS BIGINT), owner_id, 0, CAST(SUM(sign * won) AS BIGINT), CAST(SUM(sign * lost) AS BIGINT), 0, {}, \
         CAST(SUM(sign * cycle_days) AS DOUBLE PRECISION) FROM ({closed}) c GROUP BY owner_id",
        split_sum_sql("sign * amount"),
        split_sum_sql("sign * won_amount"),
    );
    let mut cells = HashMap::new();
    let mut closed = HashMap::new();
    for row in conn.query_all_raw(q.statement(sql)).await? {
        let (key1, key2, n1, n2, n3) = (int(&row, 1)?, int(&row, 2)?, int(&row, 3)?, int(&row, 4)?, int(&row, 5)?);
        match int(&row, 0)? {
            CELLS if n1 != 0 => {
                let amount = wide(&row, 6)?;
                let days = float(&row, 8)?;
                cells.insert((key1, key2), Cell { entered: n1, amount, converted: n2, finished: n3, days });
            }
            DAYS => *histograms.entry(key1).or_default().entry(key2).or_default() += n1,
            CLOSED if n1 != 0 || n2 != 0 => {
                let c = Closed { won: n1, lost: n2, won_amount: wide(&row, 6)?, cycle_days: float(&row, 8)? };
                closed.insert(key1, c);
            }
            _ => {}
        }
    }
    Ok((cells, closed))
}

/// The families of [`figures`]' rows.
const CELLS: i64 = 1;
const DAYS: i64 = 2;
const CLOSED: i64 = 3;

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn part(grain: i32, first: NaiveDate, last: NaiveDate, sign: i64) -> Part {
        Part { grain, first, last, sign }
    }

    #[test]
    fn periods_become_months_and_days_added_or_taken_away() {
        // A year to the 27th: 4 days of November, December…October, and
        // November less its last 3 days.
        assert_eq!(
            spans(d(2025, 11, 27), d(2026, 11, 27)),
            [
                part(DAY, d(2025, 11, 27), d(2025, 11, 30), 1),
                part(MONTH, d(2025, 12, 1), d(2026, 11, 1), 1),
                part(DAY, d(2026, 11, 28), d(2026, 11, 30), -1),
            ]
        );
        assert_eq!(spans(d(2026, 1, 1), d(2026, 12, 31)), [part(MONTH, d(2026, 1, 1), d(2026, 12, 1), 1)]);
        // Mid-January to the 10th of February: 17 of 31 days, 10 of 28.
        assert_eq!(
            spans(d(2026, 1, 15), d(2026, 2, 10)),
            [
                part(MONTH, d(2026, 1, 1), d(2026, 1, 1), 1),
                part(DAY, d(2026, 1, 1), d(2026, 1, 14), -1),
                part(DAY, d(2026, 2, 1), d(2026, 2, 10), 1),
            ]
        );
        assert_eq!(spans(d(2026, 2, 1), d(2026, 2, 28)), [part(MONTH, d(2026, 2, 1), d(2026, 2, 1), 1)]);
        assert_eq!(
            spans(d(2026, 2, 2), d(2026, 2, 27)),
            [
                part(MONTH, d(2026, 2, 1), d(2026, 2, 1), 1),
                part(DAY, d(2026, 2, 1), d(2026, 2, 1), -1),
                part(DAY, d(2026, 2, 28), d(2026, 2, 28), -1),
            ]
        );
        assert_eq!(spans(d(2026, 3, 9), d(2026, 3, 9)), [part(DAY, d(2026, 3, 9), d(2026, 3, 9), 1)]);
        assert_eq!(period(d(2026, 3, 9)), 20260309);
    }

    #[test]
    fn local_days_follow_the_day_starts() {
        let settings = Settings { time_zone: "America/New_York".into(), ..Settings::default() };
        let mut cal = Calendar::new(settings.clone());
        for day in [d(2026, 3, 8), d(2026, 3, 9), d(2026, 11, 1), d(2026, 12, 31)] {
            let start = day_start(&settings, day);
            assert_eq!(cal.day_of(start), day);
            assert_eq!(cal.day_of(start - chrono::Duration::milliseconds(1)), day.pred_opt().unwrap());
        }
        let mut cal = Calendar::new(Settings::default());
        // 16:00 UTC is midnight in Shanghai.
        let t = d(2026, 1, 31).and_hms_opt(16, 0, 0).unwrap().and_utc();
        assert_eq!(cal.day_of(t), d(2026, 2, 1));
        assert_eq!(cal.day_of(t - chrono::Duration::seconds(1)), d(2026, 1, 31));
    }

    #[test]
    fn upserts_add_to_the_rows() {
        let mut q = Params::new(sea_orm::DbBackend::Postgres);
        let rows = [q.list([1, 2, 3]), q.list([4, 5, 6])];
        let sql = upsert("t", &["a", "b"], &["x"], &rows);
        assert_eq!(
            sql,
            "INSERT INTO t (a, b, x) VALUES ($1, $2, $3), ($4, $5, $6) ON CONFLICT (a, b) DO UPDATE SET x = t.x + excluded.x"
        );
    }
}
