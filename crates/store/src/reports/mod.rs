//! Funnel analysis (销售漏斗分析) and the weighted forecast (加权预测).
//!
//! The funnel answers the seed's three questions for a period, a pipeline
//! and optionally a person or a team, always inside the caller's scope:
//! is there enough pipeline for the target (coverage), are deals moving
//! (conversion, days per stage, stalled deals), and which salesperson is
//! the bottleneck at which stage (conversion per stage against the team's).
//!
//! Definitions:
//! - *Entered*: stays (rows of `opportunity_stages`) whose `entered_at`
//!   falls in the period, stages passed over by a forward move included.
//!   A deal moved back and forth enters a stage once per stay.
//! - *Converted*: of those stays, the ones whose deal later (or at the same
//!   moment, for passed-over stages) entered a stage further down the
//!   pipeline: conversion = converted ÷ entered.
//! - *Days in stage*: finished stays that were not passed over; the median
//!   is read from a histogram of whole days per stage.
//! - *Won, lost, cycle*: deals closed in the period; the cycle runs from
//!   creation to winning.
//! - *Current*, *stalled*, *coverage*: open deals now (coverage counts those
//!   expected to close in the period, against the target given).
//!
//! Every figure is a `GROUP BY` in the database (one query per figure
//! family, never one per deal), with the owner filter and the data scope
//! as `owner_id IN (…)`. Soft-deleted deals are left out. Day differences
//! need one backend-specific expression ([`days_between`]): SQLite stores
//! timestamps as RFC 3339 text, PostgreSQL as `timestamptz`.
//!
//! Entered, converted, days and closed deals come from the summary in
//! [`rollup`] (whole local months of the period, and its days at the
//! ends), which every change of an opportunity keeps in step; a year of a
//! million deals is then some thousands of rows instead of millions of
//! stays. [`funnel_from_stays`] counts the same from the stays and deals
//! themselves: the reference the summary is tested against, and what is
//! used while the summary was built for another time zone.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::money::split_sum_sql;
use salesflow_domain::pipelines::{self as rules, DEFAULT_IDLE_DAYS, ForecastCategory};
use salesflow_domain::validation::FieldError;
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, QueryResult, Statement, Value};
use serde::Serialize;

use crate::Store;
use crate::entity::{department, user};
use crate::error::{StoreError, StoreResult};
use crate::pipelines::{PipelineView, load_stages};
use crate::scope::Actor;
use crate::shared::owner_names;

mod forecast;
mod funnel;
pub mod rollup;

pub use forecast::*;
pub use funnel::*;

/// The longest period a report covers (three years and a leap day).
pub const MAX_PERIOD_DAYS: i64 = 3 * 365 + 1;
/// Stalled deals listed by name (the count covers all of them).
pub const STALLED_LISTED: u64 = 50;
pub const IDLE_DAYS_MAX: i64 = 3650;

// ---------------------------------------------------------------- parameters

/// Who a report covers: one person, a team (department with its
/// sub-departments), or everyone the caller sees.
#[derive(Debug, Clone, Copy, Default)]
pub struct Selection {
    pub owner_id: Option<i64>,
    pub department_id: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct FunnelParams {
    /// First and last day of the period, in the company's time zone.
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub pipeline_id: i64,
    pub selection: Selection,
    /// Sales target for the period (minor units), for coverage.
    pub target: Option<i64>,
    /// Days without activity after which an open deal is stalled.
    pub idle_days: Option<i64>,
}

/// `month` or `quarter` (calendar quarters: the fiscal-year start is not
/// applied yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Month,
    Quarter,
}

impl GroupBy {
    pub fn parse(code: &str) -> Option<GroupBy> {
        match code.trim() {
            "month" => Some(GroupBy::Month),
            "quarter" => Some(GroupBy::Quarter),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            GroupBy::Month => "month",
            GroupBy::Quarter => "quarter",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ForecastParams {
    /// Expected close dates from … to, inclusive.
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub group_by: GroupBy,
    pub pipeline_id: Option<i64>,
    pub selection: Selection,
}

/// The period's field errors: reversed or longer than [`MAX_PERIOD_DAYS`].
pub fn check_period(invalid: &mut Invalid, from: NaiveDate, to: NaiveDate) {
    if to < from {
        invalid.push(FieldError::new("to", "range_reversed"));
    } else if (to - from).num_days() + 1 > MAX_PERIOD_DAYS {
        invalid.push(FieldError::new("to", "range_too_long").with("max", MAX_PERIOD_DAYS));
    }
}

// ---------------------------------------------------------------- SQL helpers

/// The values of one raw SQL statement. Each value goes into the SQL as
/// the backend's own numbered placeholder (`?1` on SQLite, `$1` on
/// PostgreSQL), written where the value is added: the SQL is written once
/// for both backends and never rewritten afterwards, and a placeholder
/// stands wherever (and as often as) the SQL needs its value. SeaQuery
/// builds the portable statements elsewhere; these reports keep raw SQL
/// for their `CASE`/`UNION ALL`/upsert shapes.
pub(crate) struct Params {
    backend: DbBackend,
    values: Vec<Value>,
}

impl Params {
    pub(crate) fn new(backend: DbBackend) -> Params {
        Params { backend, values: Vec::new() }
    }

    /// Adds a value: its placeholder.
    pub(crate) fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        let n = self.values.len();
        match self.backend {
            DbBackend::Postgres => format!("${n}"),
            _ => format!("?{n}"),
        }
    }

    /// Adds values: their placeholders, separated by commas (`?1, ?2`).
    pub(crate) fn list<V: Into<Value>>(&mut self, values: impl IntoIterator<Item = V>) -> String {
        values.into_iter().map(|v| self.bind(v)).collect::<Vec<_>>().join(", ")
    }

    /// The statement of `sql` with the values added so far.
    pub(crate) fn statement(self, sql: impl Into<String>) -> Statement {
        Statement::from_sql_and_values(self.backend, sql, self.values)
    }
}

/// Fractional days from `earlier` to `later` (two timestamp columns).
/// The one backend-specific expression of this module.
fn days_between(backend: DbBackend, later: &str, earlier: &str) -> String {
    match backend {
        DbBackend::Postgres => {
            format!("(CAST(EXTRACT(EPOCH FROM ({later} - {earlier})) AS DOUBLE PRECISION) / 86400.0)")
        }
        _ => format!("CAST(julianday({later}) - julianday({earlier}) AS REAL)"),
    }
}

/// Whole days (rounded down) from `earlier` to `later`, as an integer.
fn whole_days(backend: DbBackend, later: &str, earlier: &str) -> String {
    match backend {
        DbBackend::Postgres => {
            format!("CAST(FLOOR(EXTRACT(EPOCH FROM ({later} - {earlier})) / 86400) AS BIGINT)")
        }
        _ => format!("CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"),
    }
}

/// ` AND <column> IN (…)` for a limited set of owners (none: no rows).
fn owner_filter(column: &str, owners: &Option<Vec<i64>>, params: &mut Params) -> String {
    match owners {
        None => String::new(),
        Some(ids) if ids.is_empty() => " AND 1 = 0".to_owned(),
        Some(ids) => format!(" AND {column} IN ({})", params.list(ids.iter().copied())),
    }
}

fn int(row: &QueryResult, i: usize) -> StoreResult<i64> {
    Ok(row.try_get_by_index::<Option<i64>>(i)?.unwrap_or(0))
}

fn float(row: &QueryResult, i: usize) -> StoreResult<f64> {
    Ok(row.try_get_by_index::<Option<f64>>(i)?.unwrap_or(0.0))
}

fn money(minor: i128) -> String {
    salesflow_domain::money::format_wide(minor)
}

/// A sum read as the two parts of `money::split_sum_sql` at `i` and `i + 1`.
fn wide(row: &QueryResult, i: usize) -> StoreResult<i128> {
    Ok(salesflow_domain::money::join_split_sum(int(row, i)?, int(row, i + 1)?))
}

/// A wide sum where an `i64` is needed (a ratio's input, a rollup cell):
/// saturated, which only sums beyond any real figure reach.
fn clamp64(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { -i64::MAX } else { i64::MAX })
}

/// The owners a report covers: the caller's scope, narrowed to a person
/// or a team. `None`: everyone. Unknown or unseen people and teams are
/// field errors.
async fn owners<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    selection: Selection,
    invalid: &mut Invalid,
) -> StoreResult<Option<Vec<i64>>> {
    let mut set: Option<BTreeSet<i64>> = actor.visible_users.as_ref().map(|v| v.iter().copied().collect());
    if let Some(owner) = selection.owner_id {
        let exists = user::Entity::find_by_id(owner).one(conn).await?.is_some();
        if !exists || !actor.sees_owner(Some(owner)) {
            invalid.push(FieldError::new("owner_id", "unknown_reference"));
        }
        set = Some(set.map_or_else(|| [owner].into(), |s| s.into_iter().filter(|o| *o == owner).collect()));
    }
    if let Some(d) = selection.department_id {
        let found = department::Entity::find_by_id(d).one(conn).await?.filter(|d| d.deleted_at.is_none());
        if found.is_none() {
            invalid.push(FieldError::new("department_id", "unknown_reference"));
        }
        let members: BTreeSet<i64> = crate::access::department_members(conn, d).await?.into_iter().collect();
        set = Some(match set {
            None => members,
            Some(s) => s.intersection(&members).copied().collect(),
        });
    }
    Ok(set.map(|s| s.into_iter().collect()))
}

/// UTC bounds `[start, end)` of the local days `from..=to`.
fn bounds(
    settings: &salesflow_domain::settings::Settings,
    from: NaiveDate,
    to: NaiveDate,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let next = to.succ_opt().unwrap_or(to);
    (rollup::day_start(settings, from), rollup::day_start(settings, next))
}

// ---------------------------------------------------------------- figures the summary shares

#[derive(Default, Clone, Copy)]
struct Cell {
    entered: i64,
    /// Sums of amounts are `i128`: exact however many deals at the maximum.
    amount: i128,
    converted: i64,
    finished: i64,
    days: f64,
}

#[derive(Default, Clone, Copy)]
struct Closed {
    won: i64,
    lost: i64,
    won_amount: i128,
    cycle_days: f64,
}

#[cfg(test)]
mod tests {
    use super::funnel::divide_rounded;
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn periods_cover_the_range_clipped() {
        let months = periods(d(2026, 1, 15), d(2026, 3, 10), GroupBy::Month);
        let keys: Vec<&str> = months.iter().map(|p| p.0.as_str()).collect();
        assert_eq!(keys, ["2026-01", "2026-02", "2026-03"]);
        assert_eq!((months[0].1, months[0].2), (d(2026, 1, 15), d(2026, 1, 31)));
        assert_eq!((months[2].1, months[2].2), (d(2026, 3, 1), d(2026, 3, 10)));
        let quarters = periods(d(2025, 11, 1), d(2026, 6, 30), GroupBy::Quarter);
        let keys: Vec<&str> = quarters.iter().map(|p| p.0.as_str()).collect();
        assert_eq!(keys, ["2025-Q4", "2026-Q1", "2026-Q2"]);
        assert_eq!(quarters[1].2, d(2026, 3, 31));
    }

    #[test]
    fn period_checks_and_rounding() {
        let mut i = Invalid::new();
        check_period(&mut i, d(2026, 2, 1), d(2026, 1, 1));
        check_period(&mut i, d(2020, 1, 1), d(2026, 1, 1));
        check_period(&mut i, d(2024, 1, 1), d(2026, 12, 31));
        let codes: Vec<&str> = i.0.iter().map(|e| e.code.as_str()).collect();
        assert_eq!(codes, ["range_reversed", "range_too_long"]);
        // 1,000.00 ÷ 3 = 333.333… → 333.33; 0.05 ÷ 2 = 0.025 → 0.03.
        assert_eq!(divide_rounded(100_000, 3), 33_333);
        assert_eq!(divide_rounded(5, 2), 3);
    }

    #[test]
    fn placeholders_are_each_backends_own() {
        for (backend, sql) in
            [(DbBackend::Postgres, "a = $1 AND b IN ($2, $3)"), (DbBackend::Sqlite, "a = ?1 AND b IN (?2, ?3)")]
        {
            let mut p = Params::new(backend);
            let a = p.bind(1);
            let b = p.list([2, 3]);
            let s = p.statement(format!("a = {a} AND b IN ({b})"));
            assert_eq!(s.sql, sql);
            assert_eq!(s.values.map(|v| v.0.len()), Some(3));
        }
    }
}
