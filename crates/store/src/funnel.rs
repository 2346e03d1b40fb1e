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

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::money::split_sum_sql;
use salesflow_domain::pipelines::{self as rules, DEFAULT_IDLE_DAYS, ForecastCategory};
use salesflow_domain::validation::FieldError;
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, QueryResult, Statement, Value};
use serde::Serialize;

use crate::Store;
use crate::customers::owner_names;
use crate::entity::{department, user};
use crate::error::{StoreError, StoreResult};
use crate::pipelines::{PipelineView, load_stages};
use crate::scope::Actor;

pub mod rollup;

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

// ---------------------------------------------------------------- results

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StageFigures {
    pub stage_id: i64,
    pub position: i32,
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub retired: bool,
    pub expected_days: Option<i32>,
    /// Stays entered in the period (passed-over stages included).
    pub entered: i64,
    /// Their amount, decimal string.
    pub entered_amount: String,
    /// Of those, how many reached a later stage.
    pub converted: i64,
    /// converted ÷ entered (0–1); null when nothing entered.
    pub conversion: Option<f64>,
    /// Open deals in the stage now.
    pub current: i64,
    pub current_amount: String,
    /// Finished, not passed-over stays measured for the days below.
    pub finished: i64,
    pub average_days: Option<f64>,
    /// Median of whole days.
    pub median_days: Option<f64>,
}

/// The key figures of a team or of one person.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct KeyFigures {
    /// Stays entered in the period, all stages together.
    pub entered: i64,
    pub won: i64,
    pub lost: i64,
    pub won_amount: String,
    /// won ÷ (won + lost), closed in the period.
    pub win_rate: Option<f64>,
    /// Won amount ÷ won count, decimal string.
    pub average_deal: Option<String>,
    /// Average days from creation to winning.
    pub cycle_days: Option<f64>,
    pub open_deals: i64,
    pub open_amount: String,
    /// Money a day: open deals × win rate × average deal ÷ cycle days.
    pub velocity: Option<String>,
    pub stalled: i64,
    /// Open amount expected to close in the period.
    pub pipeline_in_period: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Bottleneck {
    pub stage_id: i64,
    pub stage_code: String,
    pub conversion: f64,
    pub team_conversion: f64,
    /// Team's conversion minus the person's (0–1).
    pub gap: f64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonStage {
    pub stage_id: i64,
    pub entered: i64,
    pub converted: i64,
    pub conversion: Option<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonFigures {
    pub owner_id: i64,
    pub owner_name: String,
    pub figures: KeyFigures,
    /// In the order of [`FunnelReport::stages`].
    pub stages: Vec<PersonStage>,
    pub bottleneck: Option<Bottleneck>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StalledDeal {
    pub id: i64,
    pub name: String,
    pub owner_id: i64,
    pub owner_name: String,
    pub stage_id: i64,
    pub stage_code: String,
    pub amount: String,
    pub days_in_stage: i64,
    pub days_idle: i64,
    /// Over the stage's expected days (else: idle too long).
    pub overdue: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Coverage {
    /// Open amount expected to close in the period.
    pub pipeline_amount: String,
    pub target: Option<String>,
    /// pipeline ÷ target; null without a (non-zero) target.
    pub ratio: Option<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FunnelReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub pipeline_id: i64,
    pub pipeline_name: String,
    pub pipeline_name_en: String,
    pub currency: String,
    pub idle_days: i64,
    /// In pipeline order.
    pub stages: Vec<StageFigures>,
    pub team: KeyFigures,
    pub coverage: Coverage,
    pub people: Vec<PersonFigures>,
    /// The first [`STALLED_LISTED`], longest in their stage first.
    pub stalled: Vec<StalledDeal>,
}

// ---------------------------------------------------------------- SQL helpers

/// Plain SQL with `?` placeholders, numbered for PostgreSQL.
fn statement(backend: DbBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = if backend == DbBackend::Postgres {
        let mut out = String::with_capacity(sql.len() + 16);
        let mut n = 0;
        for c in sql.chars() {
            if c == '?' {
                n += 1;
                out.push_str(&format!("${n}"));
            } else {
                out.push(c);
            }
        }
        out
    } else {
        sql.to_owned()
    };
    Statement::from_sql_and_values(backend, sql, values)
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

/// ` AND <column> IN (?, …)` for a limited set of owners (none: no rows).
fn owner_filter(column: &str, owners: &Option<Vec<i64>>, values: &mut Vec<Value>) -> String {
    match owners {
        None => String::new(),
        Some(ids) if ids.is_empty() => " AND 1 = 0".to_owned(),
        Some(ids) => {
            values.extend(ids.iter().map(|i| Value::from(*i)));
            format!(" AND {column} IN ({})", vec!["?"; ids.len()].join(", "))
        }
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

// ---------------------------------------------------------------- funnel

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

#[derive(Default, Clone, Copy)]
struct Open {
    count: i64,
    amount: i128,
}

/// The funnel of one pipeline for a period (needs the opportunities
/// `view` right; figures cover only owners inside the caller's scope).
#[tracing::instrument(skip_all)]
pub async fn funnel(store: &Store, actor: &Actor, params: &FunnelParams) -> StoreResult<FunnelReport> {
    report(store, actor, params, Source::Summary).await
}

/// The funnel counted from the stays and deals themselves, never from the
/// summary: the reference the summary is tested against.
#[doc(hidden)]
pub async fn funnel_from_stays(store: &Store, actor: &Actor, params: &FunnelParams) -> StoreResult<FunnelReport> {
    report(store, actor, params, Source::Stays).await
}

/// Where the figures of stays and closed deals come from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    /// The summary when it fits the company's time zone, else the stays.
    Summary,
    Stays,
}

async fn report(store: &Store, actor: &Actor, params: &FunnelParams, source: Source) -> StoreResult<FunnelReport> {
    actor.require(Module::Opportunities, Action::View)?;
    let conn = store.reader();
    let backend = conn.get_database_backend();
    let mut invalid = Invalid::new();
    check_period(&mut invalid, params.from, params.to);
    if params.target.is_some_and(|t| t < 0) {
        invalid.push(FieldError::new("target", "negative"));
    }
    let idle_days = params.idle_days.unwrap_or(DEFAULT_IDLE_DAYS);
    if !(1..=IDLE_DAYS_MAX).contains(&idle_days) {
        invalid.push(FieldError::new("idle_days", "out_of_range").with("min", 1).with("max", IDLE_DAYS_MAX));
    }
    let pipeline: Option<PipelineView> = load_stages(conn, params.pipeline_id).await?;
    if pipeline.is_none() {
        invalid.push(FieldError::new("pipeline_id", "unknown_reference"));
    }
    let owners = owners(conn, actor, params.selection, &mut invalid).await?;
    invalid.into_result()?;
    let pipeline = pipeline.ok_or(StoreError::NotFound)?;
    let (settings, summary_zone) = rollup::settings_and_built_for(conn).await?;
    let (start, end) = bounds(&settings, params.from, params.to);
    let now = Utc::now();

    // 1. Stays entered in the period, by stage and owner (count, amount,
    //    converted, finished and their days); whole days of the finished
    //    ones per stage, for medians; deals closed in the period, by owner.
    //    From the summary (whole months, and days at the ends) when it is
    //    built for the company's time zone, else from the stays.
    let summary = source == Source::Summary && summary_zone.as_deref() == Some(settings.time_zone.as_str());
    let mut histograms: HashMap<i64, HashMap<i64, i64>> = HashMap::new();
    let (cells, closed) = if summary {
        let parts = rollup::spans(params.from, params.to);
        if owners.is_some() {
            // The summary counts days by owner per month only.
            for p in parts.iter().filter(|p| p.grain == rollup::DAY) {
                let (s, e) = bounds(&settings, p.first, p.last);
                stay_days(conn, params.pipeline_id, s, e, &owners, p.sign, &mut histograms).await?;
            }
        }
        rollup::figures(conn, params.pipeline_id, &parts, &owners, &mut histograms).await?
    } else {
        stay_days(conn, params.pipeline_id, start, end, &owners, 1, &mut histograms).await?;
        (
            stay_cells(conn, params.pipeline_id, start, end, &owners).await?,
            closed_deals(conn, params.pipeline_id, start, end, &owners).await?,
        )
    };

    // 3. Open deals now, by stage and owner: count, amount, amount expected
    //    to close in the period, stalled (over the stage's expected days, or
    //    idle too long), from one covering index; and the longest stalled
    //    by name. The status is written into the SQL, so that the partial
    //    index of open deals by time in stage can serve the second query
    //    (migration m20261129_000011).
    let open_deals = format!(
        "FROM opportunities WHERE pipeline_id = ? AND status = '{}' AND deleted_at IS NULL",
        rules::OpportunityStatus::Open.code()
    );
    let (stalled_sql, stalled_values) = stalled_condition(&pipeline, now, idle_days);
    // The period bounds twice: the in-period sum is read in two parts.
    let mut values: Vec<Value> = vec![params.from.into(), params.to.into(), params.from.into(), params.to.into()];
    values.extend(stalled_values.iter().cloned());
    values.push(params.pipeline_id.into());
    let scope = owner_filter("owner_id", &owners, &mut values);
    let sql = format!(
        "SELECT stage_id, owner_id, COUNT(*), {}, {}, \
         CAST(SUM(CASE WHEN {stalled_sql} THEN 1 ELSE 0 END) AS BIGINT) \
         {open_deals}{scope} GROUP BY stage_id, owner_id",
        split_sum_sql("amount"),
        split_sum_sql("CASE WHEN expected_close_date >= ? AND expected_close_date <= ? THEN amount ELSE 0 END"),
    );
    let mut open: HashMap<(i64, i64), Open> = HashMap::new();
    let mut in_period: HashMap<i64, i128> = HashMap::new();
    let mut stalled_by: HashMap<i64, i64> = HashMap::new();
    for row in conn.query_all_raw(statement(backend, &sql, values)).await? {
        let (stage, owner) = (int(&row, 0)?, int(&row, 1)?);
        open.insert((stage, owner), Open { count: int(&row, 2)?, amount: wide(&row, 3)? });
        *in_period.entry(owner).or_default() += wide(&row, 5)?;
        let stalled = int(&row, 7)?;
        if stalled > 0 {
            *stalled_by.entry(owner).or_default() += stalled;
        }
    }
    let mut values: Vec<Value> = vec![params.pipeline_id.into()];
    values.extend(stalled_values);
    let scope = owner_filter("owner_id", &owners, &mut values);
    let sql = format!(
        "SELECT id, name, owner_id, stage_id, amount, stage_entered_at, last_activity_at \
         {open_deals} AND ({stalled_sql}){scope} ORDER BY stage_entered_at, id LIMIT {STALLED_LISTED}"
    );
    let stalled_rows = conn.query_all_raw(statement(backend, &sql, values)).await?;

    // Names of everyone who appears.
    let mut people: BTreeSet<i64> = cells.keys().map(|(_, o)| *o).collect();
    people.extend(open.keys().map(|(_, o)| *o));
    people.extend(closed.keys().copied());
    people.extend(stalled_by.keys().copied());
    let mut stalled = Vec::new();
    for row in &stalled_rows {
        people.insert(int(row, 2)?);
    }
    let names = owner_names(conn, people.iter().copied()).await?;
    let name_of = |o: i64| names.get(&o).cloned().unwrap_or_else(|| format!("#{o}"));
    for row in &stalled_rows {
        let stage_id = int(row, 3)?;
        let entered: DateTime<Utc> = row.try_get_by_index(5)?;
        let active: DateTime<Utc> = row.try_get_by_index(6)?;
        let days_in_stage = (now - entered).num_days();
        let expected = pipeline.stage(stage_id).and_then(|s| s.expected_days);
        stalled.push(StalledDeal {
            id: int(row, 0)?,
            name: row.try_get_by_index(1)?,
            owner_id: int(row, 2)?,
            owner_name: name_of(int(row, 2)?),
            stage_id,
            stage_code: pipeline.stage(stage_id).map(|s| s.code.clone()).unwrap_or_default(),
            amount: money(int(row, 4)?.into()),
            days_in_stage,
            days_idle: (now - active).num_days(),
            overdue: expected.is_some_and(|e| days_in_stage > i64::from(e)),
        });
    }

    // Assemble: stages (team), key figures per person and for the team.
    let stage_ids: Vec<i64> = pipeline.stages.iter().map(|s| s.id).collect();
    let team_cell = |stage: i64| {
        cells.iter().filter(|((s, _), _)| *s == stage).fold(Cell::default(), |acc, (_, c)| Cell {
            entered: acc.entered + c.entered,
            amount: acc.amount + c.amount,
            converted: acc.converted + c.converted,
            finished: acc.finished + c.finished,
            days: acc.days + c.days,
        })
    };
    let stages: Vec<StageFigures> = pipeline
        .stages
        .iter()
        .map(|s| {
            let c = team_cell(s.id);
            let now_in = open
                .iter()
                .filter(|((st, _), _)| *st == s.id)
                .fold(Open::default(), |a, (_, o)| Open { count: a.count + o.count, amount: a.amount + o.amount });
            StageFigures {
                stage_id: s.id,
                position: s.position,
                code: s.code.clone(),
                name: s.name.clone(),
                name_en: s.name_en.clone(),
                retired: s.retired,
                expected_days: s.expected_days,
                entered: c.entered,
                entered_amount: money(c.amount),
                converted: c.converted,
                conversion: rules::ratio(c.converted, c.entered),
                current: now_in.count,
                current_amount: money(now_in.amount),
                finished: c.finished,
                average_days: rules::average(c.days, c.finished),
                median_days: histograms
                    .get(&s.id)
                    .and_then(|h| rules::median_of_histogram(&h.iter().map(|(d, n)| (*d, *n)).collect::<Vec<_>>())),
            }
        })
        .collect();
    let team_conversions: Vec<Option<f64>> = stages.iter().map(|s| s.conversion).collect();

    let figures_for = |who: Option<i64>| {
        let mine = |o: &i64| who.is_none_or(|w| w == *o);
        let entered = cells.iter().filter(|((_, o), _)| mine(o)).map(|(_, c)| c.entered).sum();
        let c = closed.iter().filter(|(o, _)| mine(o)).fold(Closed::default(), |a, (_, c)| Closed {
            won: a.won + c.won,
            lost: a.lost + c.lost,
            won_amount: a.won_amount + c.won_amount,
            cycle_days: a.cycle_days + c.cycle_days,
        });
        let o = open
            .iter()
            .filter(|((_, o), _)| mine(o))
            .fold(Open::default(), |a, (_, o)| Open { count: a.count + o.count, amount: a.amount + o.amount });
        let win_rate = rules::win_rate(c.won, c.lost);
        let average_deal = rules::average(c.won_amount as f64, c.won);
        let cycle_days = rules::average(c.cycle_days, c.won);
        KeyFigures {
            entered,
            won: c.won,
            lost: c.lost,
            won_amount: money(c.won_amount),
            win_rate,
            average_deal: (c.won > 0).then(|| money(divide_rounded(c.won_amount, c.won))),
            cycle_days,
            open_deals: o.count,
            open_amount: money(o.amount),
            velocity: rules::velocity(o.count, win_rate, average_deal, cycle_days).map(|v| money(v.round() as i128)),
            stalled: stalled_by.iter().filter(|(o, _)| mine(o)).map(|(_, n)| n).sum(),
            pipeline_in_period: money(in_period.iter().filter(|(o, _)| mine(o)).map(|(_, a)| a).sum()),
        }
    };
    let team = figures_for(None);
    let people = people
        .iter()
        .map(|&owner| {
            let stages_of: Vec<PersonStage> = stage_ids
                .iter()
                .map(|s| {
                    let c = cells.get(&(*s, owner)).copied().unwrap_or_default();
                    PersonStage {
                        stage_id: *s,
                        entered: c.entered,
                        converted: c.converted,
                        conversion: rules::ratio(c.converted, c.entered),
                    }
                })
                .collect();
            let conversions: Vec<Option<f64>> = stages_of.iter().map(|s| s.conversion).collect();
            let bottleneck = rules::bottleneck(&conversions, &team_conversions).and_then(|(i, gap)| {
                Some(Bottleneck {
                    stage_id: stages.get(i)?.stage_id,
                    stage_code: stages.get(i)?.code.clone(),
                    conversion: conversions.get(i).copied().flatten()?,
                    team_conversion: team_conversions.get(i).copied().flatten()?,
                    gap,
                })
            });
            PersonFigures {
                owner_id: owner,
                owner_name: name_of(owner),
                figures: figures_for(Some(owner)),
                stages: stages_of,
                bottleneck,
            }
        })
        .collect();
    let pipeline_amount: i128 = in_period.values().sum();
    Ok(FunnelReport {
        from: params.from,
        to: params.to,
        pipeline_id: pipeline.id,
        pipeline_name: pipeline.name.clone(),
        pipeline_name_en: pipeline.name_en.clone(),
        currency: settings.currency.clone(),
        idle_days,
        stages,
        team,
        coverage: Coverage {
            pipeline_amount: money(pipeline_amount),
            target: params.target.map(|t| money(t.into())),
            ratio: params.target.and_then(|t| rules::coverage(clamp64(pipeline_amount), t)),
        },
        people,
        stalled,
    })
}

/// Stays entered in `[start, end)`, by stage and owner: count, amount,
/// converted, finished and their days.
async fn stay_cells<C: ConnectionTrait>(
    conn: &C,
    pipeline_id: i64,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    owners: &Option<Vec<i64>>,
) -> StoreResult<HashMap<(i64, i64), Cell>> {
    let backend = conn.get_database_backend();
    let days = days_between(backend, "s.left_at", "s.entered_at");
    let mut values: Vec<Value> = vec![false.into(), false.into(), pipeline_id.into(), start.into(), end.into()];
    let scope = owner_filter("s.owner_id", owners, &mut values);
    let sql = format!(
        "SELECT s.stage_id, s.owner_id, COUNT(*), {}, \
         SUM(CASE WHEN EXISTS (SELECT 1 FROM opportunity_stages t JOIN pipeline_stages tp ON tp.id = t.stage_id \
             WHERE t.opportunity_id = s.opportunity_id AND t.entered_at >= s.entered_at \
             AND tp.position > sp.position) THEN 1 ELSE 0 END), \
         SUM(CASE WHEN s.left_at IS NOT NULL AND s.passed = ? THEN 1 ELSE 0 END), \
         SUM(CASE WHEN s.left_at IS NOT NULL AND s.passed = ? THEN {days} END) \
         FROM opportunity_stages s \
         JOIN pipeline_stages sp ON sp.id = s.stage_id \
         JOIN opportunities o ON o.id = s.opportunity_id AND o.deleted_at IS NULL \
         WHERE s.pipeline_id = ? AND s.entered_at >= ? AND s.entered_at < ?{scope} \
         GROUP BY s.stage_id, s.owner_id",
        split_sum_sql("s.amount"),
    );
    let mut cells: HashMap<(i64, i64), Cell> = HashMap::new();
    for row in conn.query_all_raw(statement(backend, &sql, values)).await? {
        let key = (int(&row, 0)?, int(&row, 1)?);
        cells.insert(
            key,
            Cell {
                entered: int(&row, 2)?,
                amount: wide(&row, 3)?,
                converted: int(&row, 5)?,
                finished: int(&row, 6)?,
                days: float(&row, 7)?,
            },
        );
    }
    Ok(cells)
}

/// Whole days of the finished stays entered in `[start, end)`, per stage,
/// added to `out` (stage → days → stays) `sign` times.
async fn stay_days<C: ConnectionTrait>(
    conn: &C,
    pipeline_id: i64,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    owners: &Option<Vec<i64>>,
    sign: i64,
    out: &mut HashMap<i64, HashMap<i64, i64>>,
) -> StoreResult<()> {
    let backend = conn.get_database_backend();
    let whole = whole_days(backend, "s.left_at", "s.entered_at");
    let mut values: Vec<Value> = vec![pipeline_id.into(), start.into(), end.into(), false.into()];
    let scope = owner_filter("s.owner_id", owners, &mut values);
    let sql = format!(
        "SELECT s.stage_id, {whole}, COUNT(*) FROM opportunity_stages s \
         JOIN opportunities o ON o.id = s.opportunity_id AND o.deleted_at IS NULL \
         WHERE s.pipeline_id = ? AND s.entered_at >= ? AND s.entered_at < ? \
         AND s.left_at IS NOT NULL AND s.passed = ?{scope} \
         GROUP BY 1, 2"
    );
    for row in conn.query_all_raw(statement(backend, &sql, values)).await? {
        *out.entry(int(&row, 0)?).or_default().entry(int(&row, 1)?).or_default() += sign * int(&row, 2)?;
    }
    Ok(())
}

/// Deals closed in `[start, end)`, by owner; the cycle of the won.
async fn closed_deals<C: ConnectionTrait>(
    conn: &C,
    pipeline_id: i64,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    owners: &Option<Vec<i64>>,
) -> StoreResult<HashMap<i64, Closed>> {
    let backend = conn.get_database_backend();
    let cycle = days_between(backend, "closed_at", "created_at");
    let won = rules::OpportunityStatus::Won.code();
    let lost = rules::OpportunityStatus::Lost.code();
    let mut values: Vec<Value> =
        vec![won.into(), pipeline_id.into(), start.into(), end.into(), won.into(), lost.into()];
    let scope = owner_filter("owner_id", owners, &mut values);
    let sql = format!(
        "SELECT owner_id, status, COUNT(*), {}, \
         SUM(CASE WHEN status = ? THEN {cycle} END) \
         FROM opportunities WHERE pipeline_id = ? AND closed_at >= ? AND closed_at < ? \
         AND status IN (?, ?) AND deleted_at IS NULL{scope} \
         GROUP BY owner_id, status",
        split_sum_sql("amount"),
    );
    let mut closed: HashMap<i64, Closed> = HashMap::new();
    for row in conn.query_all_raw(statement(backend, &sql, values)).await? {
        let owner = int(&row, 0)?;
        let status: String = row.try_get_by_index(1)?;
        let c = closed.entry(owner).or_default();
        if status == won {
            c.won = int(&row, 2)?;
            c.won_amount = wide(&row, 3)?;
            c.cycle_days = float(&row, 5)?;
        } else {
            c.lost = int(&row, 2)?;
        }
    }
    Ok(closed)
}

/// `a ÷ b` rounded half away from zero (b > 0).
fn divide_rounded(a: i128, b: i64) -> i128 {
    let b = i128::from(b);
    if a >= 0 { (2 * a + b) / (2 * b) } else { (2 * a - b) / (2 * b) }
}

/// The SQL condition (and its values) of a stalled open deal, as
/// [`rules::is_stalled`] decides it: whole days in the stage above the
/// stage's expected days, or whole idle days at least `idle_days`.
fn stalled_condition(pipeline: &PipelineView, now: DateTime<Utc>, idle_days: i64) -> (String, Vec<Value>) {
    // days_idle >= idle  ⇔  last_activity_at <= now − idle days.
    let mut parts = vec!["last_activity_at <= ?".to_owned()];
    let mut values: Vec<Value> = vec![(now - Duration::days(idle_days)).into()];
    for s in &pipeline.stages {
        if let Some(e) = s.expected_days {
            // whole days > e  ⇔  stage_entered_at <= now − (e + 1) days.
            parts.push("(stage_id = ? AND stage_entered_at <= ?)".to_owned());
            values.push(s.id.into());
            values.push((now - Duration::days(i64::from(e) + 1)).into());
        }
    }
    (parts.join(" OR "), values)
}

// ---------------------------------------------------------------- weighted forecast

/// Count, amount and weighted amount of one forecast category.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CategoryFigures {
    pub count: i64,
    pub amount: String,
    /// Σ amount × probability, each deal rounded to the cent.
    pub weighted: String,
    #[serde(skip)]
    amount_minor: i128,
    #[serde(skip)]
    weighted_minor: i128,
}

impl Default for CategoryFigures {
    fn default() -> Self {
        CategoryFigures { count: 0, amount: money(0), weighted: money(0), amount_minor: 0, weighted_minor: 0 }
    }
}

impl CategoryFigures {
    fn add(&mut self, count: i64, amount: i128, weighted: i128) {
        self.count += count;
        self.amount_minor += amount;
        self.weighted_minor += weighted;
        self.amount = money(self.amount_minor);
        self.weighted = money(self.weighted_minor);
    }

    pub fn amount_minor(&self) -> i128 {
        self.amount_minor
    }

    pub fn weighted_minor(&self) -> i128 {
        self.weighted_minor
    }
}

/// Open deals of one period (or all periods): all, and by category.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ForecastFigures {
    pub total: CategoryFigures,
    /// Probability ≥ 75 %.
    pub commit: CategoryFigures,
    /// 50–74 %.
    pub best_case: CategoryFigures,
    /// Below 50 %.
    pub pipeline: CategoryFigures,
}

impl ForecastFigures {
    fn add(&mut self, category: ForecastCategory, count: i64, amount: i128, weighted: i128) {
        self.total.add(count, amount, weighted);
        match category {
            ForecastCategory::Commit => self.commit.add(count, amount, weighted),
            ForecastCategory::BestCase => self.best_case.add(count, amount, weighted),
            ForecastCategory::Pipeline => self.pipeline.add(count, amount, weighted),
        }
    }

    pub fn category(&self, category: ForecastCategory) -> &CategoryFigures {
        match category {
            ForecastCategory::Commit => &self.commit,
            ForecastCategory::BestCase => &self.best_case,
            ForecastCategory::Pipeline => &self.pipeline,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ForecastPeriod {
    /// `2026-03` or `2026-Q1`.
    pub key: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub figures: ForecastFigures,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonForecast {
    pub owner_id: i64,
    pub owner_name: String,
    /// In the order of [`ForecastReport::periods`].
    pub periods: Vec<ForecastFigures>,
    pub total: ForecastFigures,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ForecastReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub group_by: GroupBy,
    pub pipeline_id: Option<i64>,
    pub currency: String,
    /// The team's figures per period.
    pub periods: Vec<ForecastPeriod>,
    pub people: Vec<PersonForecast>,
    pub total: ForecastFigures,
}

/// The periods `[start, end]` covering `from..=to`, clipped to it.
pub fn periods(from: NaiveDate, to: NaiveDate, group_by: GroupBy) -> Vec<(String, NaiveDate, NaiveDate)> {
    let months = match group_by {
        GroupBy::Month => 1,
        GroupBy::Quarter => 3,
    };
    let first_month = (from.month0() / months) * months;
    let Some(mut start) = NaiveDate::from_ymd_opt(from.year(), first_month + 1, 1) else { return Vec::new() };
    let mut out = Vec::new();
    while start <= to {
        let next = start.checked_add_months(chrono::Months::new(months)).unwrap_or(NaiveDate::MAX);
        let key = match group_by {
            GroupBy::Month => format!("{}-{:02}", start.year(), start.month()),
            GroupBy::Quarter => format!("{}-Q{}", start.year(), start.month0() / 3 + 1),
        };
        let end = next.pred_opt().unwrap_or(next).min(to);
        out.push((key, start.max(from), end));
        start = next;
    }
    out
}

/// Open opportunities by expected close period, per person and for the
/// team: amount, weighted amount, split into commit / best case /
/// pipeline by probability (needs the opportunities `view` right).
#[tracing::instrument(skip_all)]
pub async fn weighted_forecast(store: &Store, actor: &Actor, params: &ForecastParams) -> StoreResult<ForecastReport> {
    actor.require(Module::Opportunities, Action::View)?;
    let conn = store.reader();
    let backend = conn.get_database_backend();
    let mut invalid = Invalid::new();
    check_period(&mut invalid, params.from, params.to);
    if let Some(p) = params.pipeline_id
        && load_stages(conn, p).await?.is_none()
    {
        invalid.push(FieldError::new("pipeline_id", "unknown_reference"));
    }
    let owners = owners(conn, actor, params.selection, &mut invalid).await?;
    invalid.into_result()?;
    let settings = crate::settings::current(conn).await?;
    let buckets = periods(params.from, params.to, params.group_by);

    // The period index as a CASE over the bucket starts (portable).
    let mut values: Vec<Value> = Vec::new();
    let mut case = String::from("CAST(CASE");
    for (i, (_, _, end)) in buckets.iter().enumerate() {
        case.push_str(&format!(" WHEN expected_close_date <= ? THEN {i}"));
        values.push((*end).into());
    }
    case.push_str(" END AS BIGINT)");
    values.extend([rules::OpportunityStatus::Open.code().into(), params.from.into(), params.to.into()]);
    let mut filter = String::new();
    if let Some(p) = params.pipeline_id {
        filter.push_str(" AND pipeline_id = ?");
        values.push(p.into());
    }
    filter.push_str(&owner_filter("owner_id", &owners, &mut values));
    // Each deal's amount × probability rounded to the cent, without the
    // product (an amount stored before the maximum would overflow it):
    // (a / D × p) × D/100 + (a % D × p + 50) / 100, as D is a multiple of
    // 100 and amounts are not negative.
    let d = salesflow_domain::money::SPLIT;
    let sql = format!(
        "SELECT {case}, owner_id, probability, COUNT(*), {}, \
         CAST(SUM((amount / {d}) * probability) AS BIGINT), \
         CAST(SUM(((amount % {d}) * probability + 50) / 100) AS BIGINT) \
         FROM opportunities WHERE status = ? AND deleted_at IS NULL \
         AND expected_close_date >= ? AND expected_close_date <= ?{filter} \
         GROUP BY 1, 2, 3",
        split_sum_sql("amount"),
    );

    let mut team: Vec<ForecastFigures> = vec![ForecastFigures::default(); buckets.len()];
    let mut by_person: BTreeMap<i64, Vec<ForecastFigures>> = BTreeMap::new();
    let mut total = ForecastFigures::default();
    for row in conn.query_all_raw(statement(backend, &sql, values)).await? {
        let Ok(bucket) = usize::try_from(int(&row, 0)?) else { continue };
        let owner = int(&row, 1)?;
        let probability: i32 = row.try_get_by_index(2)?;
        let weighted =
            i128::from(int(&row, 6)?) * i128::from(salesflow_domain::money::SPLIT / 100) + i128::from(int(&row, 7)?);
        let (count, amount) = (int(&row, 3)?, wide(&row, 4)?);
        let category = ForecastCategory::of(probability);
        if let Some(f) = team.get_mut(bucket) {
            f.add(category, count, amount, weighted);
        }
        let mine = by_person.entry(owner).or_insert_with(|| vec![ForecastFigures::default(); buckets.len()]);
        if let Some(f) = mine.get_mut(bucket) {
            f.add(category, count, amount, weighted);
        }
        total.add(category, count, amount, weighted);
    }
    let names = owner_names(conn, by_person.keys().copied()).await?;
    let people = by_person
        .into_iter()
        .map(|(owner, periods)| {
            let mut sum = ForecastFigures::default();
            for p in &periods {
                for c in ForecastCategory::ALL {
                    let f = p.category(c);
                    sum.add(c, f.count, f.amount_minor, f.weighted_minor);
                }
            }
            PersonForecast {
                owner_id: owner,
                owner_name: names.get(&owner).cloned().unwrap_or_else(|| format!("#{owner}")),
                periods,
                total: sum,
            }
        })
        .collect();
    Ok(ForecastReport {
        from: params.from,
        to: params.to,
        group_by: params.group_by,
        pipeline_id: params.pipeline_id,
        currency: settings.currency,
        periods: buckets
            .into_iter()
            .zip(team)
            .map(|((key, start, end), figures)| ForecastPeriod { key, start, end, figures })
            .collect(),
        people,
        total,
    })
}

#[cfg(test)]
mod tests {
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
    fn placeholders_are_numbered_for_postgres() {
        let s = statement(DbBackend::Postgres, "a = ? AND b IN (?, ?)", vec![1.into(), 2.into(), 3.into()]);
        assert_eq!(s.sql, "a = $1 AND b IN ($2, $3)");
        let s = statement(DbBackend::Sqlite, "a = ?", vec![1.into()]);
        assert_eq!(s.sql, "a = ?");
    }
}
