//! The home page (工作台): a salesperson's day, and for a manager the same
//! for the team with a row per person. Every figure is counted in SQL
//! inside the caller's data scope; the pages link each one to the filtered
//! list behind it.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use salesflow_domain::access::{Action, DataScope, Module};
use salesflow_domain::activities::unanswered_window;
use salesflow_domain::imports::Status as ImportStatus;
use salesflow_domain::money;
use salesflow_domain::pipelines::OpportunityStatus;
use salesflow_domain::tasks::TaskStatus;
use salesflow_domain::time::{local_day, start_of_day};
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query, UnionType};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;

use crate::Store;
use crate::audit::{self, AuditEntry};
use crate::entity::{activity, audit_entry, customer, import_job, opportunity, outbox_message, task, user};
use crate::error::StoreResult;
use crate::opportunities::{OpportunityFilter, OpportunityView, list_opportunities, stalled_condition};
use crate::paging::PageRequest;
use crate::scope::Actor;
use crate::tasks::{CalendarEvent, TaskFilter, TaskView, calendar, list_tasks};

/// The figures of a person or a team.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct DayFigures {
    /// Tasks still to do whose due time has passed.
    pub overdue_tasks: i64,
    /// Tasks still to do, due today.
    pub tasks_today: i64,
    /// Follow-up dates (an activity's next date) today.
    pub follow_ups_today: i64,
    /// Follow-up dates of the last 30 days with nothing recorded on the
    /// customer since.
    pub overdue_follow_ups: i64,
    /// Visits and meetings from now to the end of the seventh day.
    pub visits_planned: i64,
    pub open_deals: i64,
    pub open_amount: String,
    /// Σ amount × probability of the open deals.
    pub weighted_amount: String,
    pub stalled_deals: i64,
    /// Open deals expected to close this month.
    pub closing_this_month: i64,
    pub closing_this_month_amount: String,
}

/// Open deals in one stage.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HomeStage {
    pub pipeline_id: i64,
    pub pipeline_name: String,
    pub pipeline_name_en: String,
    pub stage_id: i64,
    pub stage_code: String,
    pub stage_name: String,
    pub stage_name_en: String,
    pub count: i64,
    pub amount: String,
    pub weighted_amount: String,
}

/// One person of a manager's team.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HomePerson {
    pub user_id: i64,
    pub name: String,
    pub overdue_tasks: i64,
    pub overdue_follow_ups: i64,
    pub stalled_deals: i64,
    pub open_deals: i64,
    pub open_amount: String,
}

/// What an administrator watches.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SystemHealth {
    /// E-mails not sent yet, and those whose last attempt failed.
    pub outbox_waiting: i64,
    pub outbox_failed: i64,
    /// Imports queued or running, and those failed in the last 7 days.
    pub imports_running: i64,
    pub imports_failed: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Home {
    /// `own`: the caller's records; `team`: everyone's in the caller's
    /// data scope (managers, administrators).
    pub scope: String,
    /// Today and this month, in the company's time zone.
    pub today: NaiveDate,
    pub month_from: NaiveDate,
    pub month_to: NaiveDate,
    pub figures: DayFigures,
    /// The caller's own day: tasks due, follow-ups, visits and meetings.
    pub agenda: Vec<CalendarEvent>,
    /// The caller's own overdue tasks, the longest overdue first.
    pub overdue: Vec<TaskView>,
    /// The largest stalled deals.
    pub stalled: Vec<OpportunityView>,
    /// The largest open deals expected to close this month.
    pub closing: Vec<OpportunityView>,
    /// Open deals by stage.
    pub pipeline: Vec<HomeStage>,
    /// Per person who sells (team scope only), the ones needing attention
    /// first.
    pub people: Vec<HomePerson>,
    /// Changes of the last 14 days on customers and deals in scope (live
    /// ones only, unless the caller sees everyone).
    pub recent: Vec<AuditEntry>,
    /// The current names of the records `recent` is about (a change whose
    /// details hold no name still names its record).
    pub recent_records: Vec<RecentRecord>,
    /// For administrators (who may edit settings).
    pub health: Option<SystemHealth>,
}

/// A record a recent change is about, by its current name.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecentRecord {
    /// `customer` or `opportunity`.
    pub entity_type: String,
    pub entity_id: i64,
    pub name: String,
}

impl Home {
    /// The current name of the record a recent change is about.
    pub fn record_name(&self, e: &AuditEntry) -> Option<&str> {
        let id = e.entity_id?;
        self.recent_records
            .iter()
            .find(|r| r.entity_id == id && r.entity_type == e.entity_type)
            .map(|r| r.name.as_str())
    }
}

/// Rows of each short list on the page.
const LISTED: u64 = 5;
/// Recent changes shown.
const RECENT: u64 = 8;
/// A team's largest deals are read per person up to this many people
/// (SQLite allows 500 parts in one compound query), over the team at once
/// beyond.
const MAX_PARTS: usize = 100;
/// "Nothing was recorded on the activity's customer since its follow-up
/// date", for a query over `activities`.
pub(crate) fn unanswered() -> sea_orm::sea_query::SimpleExpr {
    let mut later = Query::select();
    later
        .expr(Expr::val(1))
        .from(customer::Entity)
        .and_where(
            Expr::col((customer::Entity, customer::Column::Id))
                .equals((activity::Entity, activity::Column::CustomerId)),
        )
        .and_where(
            Expr::col((customer::Entity, customer::Column::LastActivityAt))
                .lt(Expr::col((activity::Entity, activity::Column::NextAt))),
        );
    Expr::exists(later)
}

pub async fn home(store: &Store, actor: &Actor) -> StoreResult<Home> {
    let company = crate::settings::get(store).await?.settings;
    let now = store.now();
    let today = local_day(&company, now);
    let month_from = today.with_day(1).unwrap_or(today);
    let day = Day {
        now,
        start: start_of_day(&company, today).unwrap_or(now),
        end: today.succ_opt().and_then(|d| start_of_day(&company, d)).unwrap_or(now),
        today,
        month_from,
        month_to: month_from.checked_add_months(chrono::Months::new(1)).and_then(|d| d.pred_opt()).unwrap_or(today),
        unanswered: unanswered_window(&company, now),
    };
    // Whose records the figures count: the caller's, or the scope's.
    let whose = Whose { actor, team: actor.scope != DataScope::Own, me: actor.user_id.unwrap_or(0) };
    let customers = actor.can(Module::Customers, Action::View);
    let deals = actor.can(Module::Opportunities, Action::View);

    // The parts read independently, each statement on a pooled connection
    // of its own: the page waits for its slowest part, not for the sum of
    // its statements (on PostgreSQL each is planned at bind).
    let (sellers, work, deals, (recent, recent_records), health) = tokio::try_join!(
        sellers(store, &whose),
        async { if customers { work(store, &whose, &day).await } else { Ok(Work::default()) } },
        async { if deals { deal_figures(store, &whose, &day).await } else { Ok(DealFigures::none()) } },
        async {
            let recent = if customers || deals { recent_changes(store, &whose, now).await? } else { Vec::new() };
            let names = record_names(store, &recent).await?;
            Ok((recent, names))
        },
        async { if actor.can(Module::Settings, Action::Edit) { health(store, now).await.map(Some) } else { Ok(None) } },
    )?;

    let mut people: Vec<HomePerson> = sellers
        .into_iter()
        .map(|(user_id, name)| {
            let (overdue_tasks, overdue_follow_ups) = work.by_person.get(&user_id).copied().unwrap_or_default();
            let (open_deals, stalled_deals, amount) = deals.by_person.get(&user_id).copied().unwrap_or_default();
            HomePerson {
                user_id,
                name,
                overdue_tasks,
                overdue_follow_ups,
                stalled_deals,
                open_deals,
                open_amount: money::format_wide(amount),
            }
        })
        .collect();
    // Who needs attention first: overdue and stalled work, then an empty pipeline.
    people.sort_by_key(|p| {
        (std::cmp::Reverse(p.overdue_tasks + p.overdue_follow_ups + p.stalled_deals), p.open_deals != 0)
    });
    Ok(Home {
        scope: if whose.team { "team" } else { "own" }.into(),
        today,
        month_from: day.month_from,
        month_to: day.month_to,
        figures: DayFigures {
            overdue_tasks: work.overdue_tasks,
            tasks_today: work.tasks_today,
            follow_ups_today: work.follow_ups_today,
            overdue_follow_ups: work.overdue_follow_ups,
            visits_planned: work.visits_planned,
            ..deals.figures
        },
        agenda: work.agenda,
        overdue: work.overdue,
        stalled: deals.stalled,
        closing: deals.closing,
        pipeline: deals.pipeline,
        people,
        recent,
        recent_records,
        health,
    })
}

/// The day the home page counts in, in the company's time zone.
struct Day {
    now: DateTime<Utc>,
    today: NaiveDate,
    /// Today's start and the next day's.
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    month_from: NaiveDate,
    month_to: NaiveDate,
    /// The follow-up dates that count as unanswered.
    unanswered: (DateTime<Utc>, DateTime<Utc>),
}

/// The caller, and whether the figures are theirs or their scope's.
struct Whose<'a> {
    actor: &'a Actor,
    team: bool,
    me: i64,
}

impl Whose<'_> {
    /// Rows whose `column` (an owner or assignee) is the caller's, or in the scope.
    fn condition<C: ColumnTrait>(&self, column: C) -> Condition {
        if self.team { self.actor.scope_condition(column) } else { Condition::all().add(column.eq(self.me)) }
    }

    /// The ids of the live customers counted.
    fn customers(&self) -> sea_orm::sea_query::SelectStatement {
        let mut ids = Query::select();
        ids.column(customer::Column::Id)
            .from(customer::Entity)
            .and_where(customer::Column::DeletedAt.is_null())
            .cond_where(self.condition(customer::Column::OwnerId));
        ids
    }
}

/// The people who sell in a manager's scope (none for a salesperson), by name.
async fn sellers(store: &Store, whose: &Whose<'_>) -> StoreResult<Vec<(i64, String)>> {
    if !whose.team {
        return Ok(Vec::new());
    }
    let conn = store.reader();
    Ok(user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::DisplayName)
        .filter(user::Column::Active.eq(true))
        .filter(user::Column::DeletedAt.is_null())
        .filter(whose.actor.scope_condition(user::Column::Id))
        // People who sell: not a warehouse clerk with an "empty pipeline".
        .filter(user::Column::RoleId.is_in(crate::access::selling_roles(conn).await?))
        .order_by_asc(user::Column::DisplayName)
        .into_tuple()
        .all(conn)
        .await?)
}

/// Tasks, follow-ups and visits.
#[derive(Default)]
struct Work {
    overdue_tasks: i64,
    tasks_today: i64,
    follow_ups_today: i64,
    overdue_follow_ups: i64,
    visits_planned: i64,
    /// Per person: overdue tasks, unanswered follow-ups.
    by_person: BTreeMap<i64, (i64, i64)>,
    agenda: Vec<CalendarEvent>,
    overdue: Vec<TaskView>,
}

async fn work(store: &Store, whose: &Whose<'_>, day: &Day) -> StoreResult<Work> {
    let conn = store.reader();
    // Overdue and due today, per assignee, in one statement.
    let count_when = |c: Condition| Expr::expr(Expr::case(c, Expr::val(1)).finally(0)).sum().cast_as("bigint");
    let tasks = task::Entity::find()
        .select_only()
        .column(task::Column::AssigneeId)
        .column_as(count_when(Condition::all().add(task::Column::DueAt.lt(day.now))), "overdue")
        .column_as(count_when(Condition::all().add(task::Column::DueAt.gte(day.start))), "today")
        .filter(task::Column::DeletedAt.is_null())
        .filter(task::Column::Status.is_in(TaskStatus::OPEN.map(|s| s.code())))
        .filter(whose.condition(task::Column::AssigneeId))
        .filter(task::Column::DueAt.lt(day.end))
        .group_by(task::Column::AssigneeId)
        .into_tuple::<(i64, Option<i64>, Option<i64>)>()
        .all(conn);
    // Follow-up dates on the customers counted, today.
    let follow_ups_today = count(
        activity::Entity::find()
            .filter(activity::Column::DeletedAt.is_null())
            .filter(activity::Column::NextAt.gte(day.start))
            .filter(activity::Column::NextAt.lt(day.end))
            .filter(activity::Column::CustomerId.in_subquery(whose.customers())),
        conn,
    );
    // Unanswered: nothing recorded on the customer since the date.
    let (from, to) = day.unanswered;
    let mut unanswered_by = Query::select();
    unanswered_by
        .column((customer::Entity, customer::Column::OwnerId))
        .expr(crate::shared::rows())
        .from(activity::Entity)
        .inner_join(
            customer::Entity,
            Expr::col((customer::Entity, customer::Column::Id))
                .equals((activity::Entity, activity::Column::CustomerId)),
        )
        .and_where(Expr::col((activity::Entity, activity::Column::DeletedAt)).is_null())
        .and_where(Expr::col((activity::Entity, activity::Column::NextAt)).gte(from))
        .and_where(Expr::col((activity::Entity, activity::Column::NextAt)).lt(to))
        .and_where(unanswered())
        .and_where(Expr::col((customer::Entity, customer::Column::Id)).in_subquery(whose.customers()))
        .group_by_col((customer::Entity, customer::Column::OwnerId));
    let visits_planned = count(
        activity::Entity::find()
            .filter(activity::Column::DeletedAt.is_null())
            .filter(activity::Column::Kind.is_in(["visit", "meeting"]))
            .filter(activity::Column::OccurredAt.gte(day.now))
            .filter(activity::Column::OccurredAt.lt(day.end + Duration::days(6)))
            .filter(whose.condition(activity::Column::OwnerId)),
        conn,
    );
    // The caller's own day and overdue tasks.
    let own = async {
        if whose.actor.user_id.is_none() {
            return Ok((Vec::new(), Vec::new()));
        }
        let filter = TaskFilter {
            assignee_id: whose.actor.user_id,
            status: Some(TaskStatus::Open.code().into()),
            overdue: true,
            ..Default::default()
        };
        let first = PageRequest { limit: Some(LISTED), cursor: None, sort: Some("due_at".into()) };
        let (agenda, overdue) = tokio::try_join!(
            calendar(store, whose.actor, None, day.today, day.today),
            list_tasks(store, whose.actor, &filter, &first)
        )?;
        Ok::<_, crate::error::StoreError>((agenda, overdue.items))
    };
    let (tasks, follow_ups_today, unanswered, visits_planned, (agenda, overdue)) = tokio::try_join!(
        async { Ok(tasks.await?) },
        follow_ups_today,
        conn_rows(conn, &unanswered_by),
        visits_planned,
        own
    )?;

    let mut work = Work { follow_ups_today, visits_planned, agenda, overdue, ..Default::default() };
    for (who, overdue, today) in tasks {
        let overdue = overdue.unwrap_or(0);
        work.overdue_tasks += overdue;
        work.tasks_today += today.unwrap_or(0);
        work.by_person.entry(who).or_default().0 = overdue;
    }
    for row in unanswered {
        let who: Option<i64> = row.try_get_by_index(0)?;
        let n: i64 = row.try_get_by_index(1)?;
        work.overdue_follow_ups += n;
        if let Some(who) = who {
            work.by_person.entry(who).or_default().1 = n;
        }
    }
    Ok(work)
}

/// The rows of a statement.
async fn conn_rows(
    conn: &sea_orm::DatabaseConnection,
    statement: &sea_orm::sea_query::SelectStatement,
) -> StoreResult<Vec<sea_orm::QueryResult>> {
    Ok(conn.query_all(statement).await?)
}

/// The open deals' figures, by stage, and the largest stalled and closing.
#[derive(Default)]
struct DealFigures {
    figures: DayFigures,
    pipeline: Vec<HomeStage>,
    /// Per person: open deals, stalled ones, open amount.
    by_person: BTreeMap<i64, (i64, i64, i128)>,
    stalled: Vec<OpportunityView>,
    closing: Vec<OpportunityView>,
}

impl DealFigures {
    /// Without the right to see deals: nothing listed, amounts of zero.
    fn none() -> DealFigures {
        let zero = money::format_wide(0);
        let figures = DayFigures {
            open_amount: zero.clone(),
            weighted_amount: zero.clone(),
            closing_this_month_amount: zero,
            ..Default::default()
        };
        DealFigures { figures, ..Default::default() }
    }
}

async fn deal_figures(store: &Store, whose: &Whose<'_>, day: &Day) -> StoreResult<DealFigures> {
    let conn = store.reader();
    // Per owner, pipeline and stage in one statement over the open
    // deals (`idx_opportunities_owner_figures` covers every column):
    // count, amount, Σ amount × probability, stalled, and the count and
    // amount expected to close this month. Each sum in two parts so no
    // sum overflows (`money::SPLIT`).
    let amount = || Expr::col(opportunity::Column::Amount);
    let probability = crate::opportunities::weight_expr;
    let high = |e: Expr| e.div(money::SPLIT).sum().cast_as("bigint");
    let low = |e: Expr| e.modulo(money::SPLIT).sum().cast_as("bigint");
    let when = |c: Condition, then: Expr| Expr::expr(Expr::case(c, then).finally(0));
    let closing_cond = || {
        Condition::all()
            .add(opportunity::Column::ExpectedCloseDate.gte(day.month_from))
            .add(opportunity::Column::ExpectedCloseDate.lte(day.month_to))
    };
    let (stalled_cond, pipelines) =
        tokio::try_join!(stalled_condition(conn, day.now), crate::pipelines::load(conn, None))?;
    // Seeing everyone, no owner leads an index: the pipelines do (the
    // board's covering index starts with the pipeline and the status),
    // instead of reading every deal (468 ms at 1,000,000 on PostgreSQL).
    let every_pipeline = opportunity::Column::PipelineId.is_in(pipelines.iter().map(|p| p.id));
    let totals = opportunity::Entity::find()
        .select_only()
        .column(opportunity::Column::OwnerId)
        .column(opportunity::Column::PipelineId)
        .column(opportunity::Column::StageId)
        .column_as(crate::shared::rows(), "n")
        .column_as(high(amount()), "amount_high")
        .column_as(low(amount()), "amount_low")
        .column_as(amount().div(money::SPLIT).mul(probability()).sum().cast_as("bigint"), "weighted_high")
        .column_as(amount().modulo(money::SPLIT).mul(probability()).sum().cast_as("bigint"), "weighted_low")
        .column_as(when(stalled_cond.clone(), Expr::val(1)).sum().cast_as("bigint"), "stalled")
        .column_as(when(closing_cond(), Expr::val(1)).sum().cast_as("bigint"), "closing")
        .column_as(high(when(closing_cond(), amount())), "closing_high")
        .column_as(low(when(closing_cond(), amount())), "closing_low")
        .filter(opportunity::Column::DeletedAt.is_null())
        .filter(opportunity::Column::Status.eq(OpportunityStatus::Open.code()))
        .filter(whose.condition(opportunity::Column::OwnerId))
        .filter(every_pipeline)
        .group_by(opportunity::Column::OwnerId)
        .group_by(opportunity::Column::PipelineId)
        .group_by(opportunity::Column::StageId)
        .into_tuple::<OwnerStageTotals>()
        .all(conn);
    let (totals, stalled, closing) = tokio::try_join!(
        async { Ok(totals.await?) },
        largest(store, whose, stalled_cond),
        largest(store, whose, closing_cond())
    )?;

    let joined = |h: Option<i64>, l: Option<i64>| money::join_split_sum(h.unwrap_or(0), l.unwrap_or(0));
    let mut deals = DealFigures { stalled, closing, ..Default::default() };
    let figures = &mut deals.figures;
    let mut by_stage: BTreeMap<(i64, i64), (i64, i128, i128)> = BTreeMap::new();
    let (mut open_amount, mut weighted, mut closing_amount) = (0i128, 0i128, 0i128);
    for t in totals {
        let (owner, pipeline_id, stage, n) = (t.0, t.1, t.2, t.3);
        let (a, w) = (joined(t.4, t.5), joined(t.6, t.7));
        let stalled_here = t.8.unwrap_or(0);
        figures.open_deals += n;
        figures.stalled_deals += stalled_here;
        figures.closing_this_month += t.9.unwrap_or(0);
        open_amount += a;
        weighted += w;
        closing_amount += joined(t.10, t.11);
        let s = by_stage.entry((pipeline_id, stage)).or_default();
        *s = (s.0 + n, s.1 + a, s.2 + w);
        let p = deals.by_person.entry(owner).or_default();
        *p = (p.0 + n, p.1 + stalled_here, p.2 + a);
    }
    figures.open_amount = money::format_wide(open_amount);
    figures.weighted_amount = money::format_wide(hundredths(weighted));
    figures.closing_this_month_amount = money::format_wide(closing_amount);
    for p in &pipelines {
        for s in &p.stages {
            if let Some((n, a, w)) = by_stage.get(&(p.id, s.id)) {
                deals.pipeline.push(HomeStage {
                    pipeline_id: p.id,
                    pipeline_name: p.name.clone(),
                    pipeline_name_en: p.name_en.clone(),
                    stage_id: s.id,
                    stage_code: s.code.clone(),
                    stage_name: s.name.clone(),
                    stage_name_en: s.name_en.clone(),
                    count: *n,
                    amount: money::format_wide(*a),
                    weighted_amount: money::format_wide(hundredths(*w)),
                });
            }
        }
    }
    Ok(deals)
}

/// The largest open deals meeting `c`: their ids from the owners' index
/// alone, then the rows of those few only. For a team, each person's
/// largest in a part of their own (`UNION ALL`), each read in the index's
/// order: one query over the team made PostgreSQL walk every deal by
/// amount instead (14 ms for a team of ten at 1,000,000 deals, against a
/// few hundred index entries).
async fn largest(store: &Store, whose: &Whose<'_>, c: Condition) -> StoreResult<Vec<OpportunityView>> {
    let owners: Vec<Option<i64>> = match (whose.team, &whose.actor.visible_users) {
        (false, _) => vec![Some(whose.me)],
        (true, Some(ids)) if ids.len() <= MAX_PARTS => ids.iter().map(|o| Some(*o)).collect(),
        _ => vec![None],
    };
    let parts = owners.into_iter().map(|owner| {
        let mut part = Query::select();
        part.column(opportunity::Column::Id)
            .column(opportunity::Column::Amount)
            .from(opportunity::Entity)
            .and_where(opportunity::Column::DeletedAt.is_null())
            .and_where(opportunity::Column::Status.eq(OpportunityStatus::Open.code()))
            .cond_where(match owner {
                Some(o) => Condition::all().add(opportunity::Column::OwnerId.eq(o)),
                None => whose.condition(opportunity::Column::OwnerId),
            })
            .cond_where(c.clone())
            .order_by(opportunity::Column::Amount, Order::Desc)
            .order_by(opportunity::Column::Id, Order::Desc)
            .limit(LISTED);
        part
    });
    let Some(union) = crate::shared::union_all(parts) else { return Ok(Vec::new()) };
    let mut rows: Vec<(i64, i64)> = Vec::new();
    for row in store.reader().query_all(&union).await? {
        rows.push((row.try_get_by_index(0)?, row.try_get_by_index(1)?));
    }
    rows.sort_by_key(|(id, amount)| std::cmp::Reverse((*amount, *id)));
    let ids: Vec<i64> = rows.into_iter().take(LISTED as usize).map(|(id, _)| id).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let filter = OpportunityFilter { ids: Some(ids), ..Default::default() };
    let page = PageRequest { limit: Some(LISTED), cursor: None, sort: Some("-amount".into()) };
    Ok(list_opportunities(store, whose.actor, &filter, &page).await?.items)
}

/// The names of the customers and deals the recent changes are about, in
/// one statement (the changes are already the caller's to see).
async fn record_names(store: &Store, recent: &[AuditEntry]) -> StoreResult<Vec<RecentRecord>> {
    let ids = |kind: &str| -> Vec<i64> {
        let mut ids: Vec<i64> = recent.iter().filter(|e| e.entity_type == kind).filter_map(|e| e.entity_id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    let (customers, deals) = (ids(audit::CUSTOMER), ids(audit::OPPORTUNITY));
    if customers.is_empty() && deals.is_empty() {
        return Ok(Vec::new());
    }
    // The kind as its position in `KINDS`.
    const KINDS: [&str; 2] = [audit::CUSTOMER, audit::OPPORTUNITY];
    let mut names = Query::select();
    names
        .expr(Expr::val(0i64))
        .column(customer::Column::Id)
        .column(customer::Column::Name)
        .from(customer::Entity)
        .and_where(customer::Column::Id.is_in(customers));
    let mut deal_names = Query::select();
    deal_names
        .expr(Expr::val(1i64))
        .column(opportunity::Column::Id)
        .column(opportunity::Column::Name)
        .from(opportunity::Entity)
        .and_where(opportunity::Column::Id.is_in(deals));
    names.union(UnionType::All, deal_names);
    let mut found = Vec::new();
    for row in store.reader().query_all(&names).await? {
        let kind: i64 = row.try_get_by_index(0)?;
        found.push(RecentRecord {
            entity_type: KINDS.get(kind as usize).copied().unwrap_or_default().to_owned(),
            entity_id: row.try_get_by_index(1)?,
            name: row.try_get_by_index(2)?,
        });
    }
    Ok(found)
}

/// Per owner, pipeline and stage: count, the two parts of the amount and
/// of Σ amount × probability, stalled, closing this month and the two
/// parts of its amount.
type OwnerStageTotals = (
    i64,
    i64,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

/// Σ amount × probability is in hundredths: rounded half away from zero.
fn hundredths(weighted: i128) -> i128 {
    if weighted >= 0 { (weighted + 50) / 100 } else { (weighted - 50) / 100 }
}

/// Changes of the last 14 days on live customers and deals in the figures'
/// scope, newest first.
///
/// Read from the index of changes by their record's owner
/// (`idx_audit_log_owner_recent`): the team's changes of the fortnight,
/// each checked for its record being live and still in scope (a deleted
/// record's page no longer opens), the newest few of each kind, in one
/// statement. Walking every change of the last 14
/// days and checking each for its record first read every other team's
/// changes.
async fn recent_changes(store: &Store, whose: &Whose<'_>, now: DateTime<Utc>) -> StoreResult<Vec<AuditEntry>> {
    let since = now - Duration::days(14);
    let conn = store.reader();
    let actor = whose.actor;
    let mut kinds = Vec::new();
    if actor.can(Module::Customers, Action::View) {
        let owned = whose.condition(customer::Column::OwnerId);
        let record = live_record(customer::Entity, customer::Column::Id, customer::Column::DeletedAt, owned);
        kinds.push((audit::CUSTOMER, record));
    }
    if actor.can(Module::Opportunities, Action::View) {
        let owned = whose.condition(opportunity::Column::OwnerId);
        let record = live_record(opportunity::Entity, opportunity::Column::Id, opportunity::Column::DeletedAt, owned);
        kinds.push((audit::OPPORTUNITY, record));
    }
    let newest = audit_entry::Entity::find()
        .filter(audit_entry::Column::At.gte(since))
        .order_by_desc(audit_entry::Column::At)
        .order_by_desc(audit_entry::Column::Id)
        .limit(RECENT);
    let owners: Vec<i64> = match (whose.team, &actor.visible_users) {
        (false, _) => vec![whose.me],
        // Seeing everyone: every record, which needs no check.
        (true, None) => {
            let types: Vec<&str> = kinds.iter().map(|(t, _)| *t).collect();
            let rows = newest.filter(audit_entry::Column::EntityType.is_in(types)).all(conn).await?;
            return Ok(rows.into_iter().map(AuditEntry::from).collect());
        }
        (true, Some(ids)) => ids.clone(),
    };
    // A part per kind, over the whole team: a part per person made
    // PostgreSQL plan 20 sub-queries for a team of ten (8 ms at bind).
    let parts = kinds.iter().map(|(entity_type, record)| {
        let mut part = Query::select();
        part.column(audit_entry::Column::Id)
            .from(audit_entry::Entity)
            .and_where(audit_entry::Column::EntityType.eq(*entity_type))
            .and_where(audit_entry::Column::OwnerId.is_not_null())
            .and_where(audit_entry::Column::OwnerId.is_in(owners.iter().copied()))
            .and_where(audit_entry::Column::At.gte(since))
            .and_where(Expr::exists(record.clone()))
            .order_by(audit_entry::Column::At, Order::Desc)
            .order_by(audit_entry::Column::Id, Order::Desc)
            .limit(RECENT);
        part
    });
    let Some(union) = crate::shared::union_all(parts) else { return Ok(Vec::new()) };
    let rows = newest.filter(audit_entry::Column::Id.in_subquery(union)).all(conn).await?;
    Ok(rows.into_iter().map(AuditEntry::from).collect())
}

/// "The change's record is live and `owned`", for a query over `audit_log`.
fn live_record<E: sea_orm::EntityTrait, C: ColumnTrait>(
    table: E,
    id: C,
    deleted_at: C,
    owned: Condition,
) -> sea_orm::sea_query::SelectStatement {
    let mut record = Query::select();
    record
        .expr(Expr::val(1))
        .from(table)
        .and_where(Expr::col((table, id)).equals((audit_entry::Entity, audit_entry::Column::EntityId)))
        .and_where(deleted_at.is_null())
        .cond_where(owned);
    record
}

async fn health(store: &Store, now: DateTime<Utc>) -> StoreResult<SystemHealth> {
    let conn = store.reader();
    let waiting = outbox_message::Entity::find().filter(outbox_message::Column::SentAt.is_null());
    let outbox_waiting = count(waiting.clone(), conn).await?;
    let outbox_failed = count(waiting.filter(outbox_message::Column::Error.is_not_null()), conn).await?;
    let imports_running = count(
        import_job::Entity::find()
            .filter(import_job::Column::Status.is_in([ImportStatus::Queued.code(), ImportStatus::Running.code()])),
        conn,
    )
    .await?;
    let imports_failed = count(
        import_job::Entity::find()
            .filter(import_job::Column::Status.eq(ImportStatus::Failed.code()))
            .filter(import_job::Column::UpdatedAt.gte(now - Duration::days(7))),
        conn,
    )
    .await?;
    Ok(SystemHealth { outbox_waiting, outbox_failed, imports_running, imports_failed })
}

/// `COUNT(*)` of a select.
async fn count<'db, C: ConnectionTrait, S: sea_orm::PaginatorTrait<'db, C> + Send>(
    select: S,
    conn: &'db C,
) -> StoreResult<i64> {
    Ok(i64::try_from(select.count(conn).await?).unwrap_or(i64::MAX))
}

/// The warehouse's day: the orders to ship (oldest first), how many of
/// them are past their delivery date, products at or below their reorder
/// point, and purchase orders still to arrive.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WarehouseHome {
    pub today: NaiveDate,
    pub to_ship: u64,
    /// Orders to ship whose delivery date has passed.
    pub late: u64,
    pub next: Vec<crate::orders::OrderSummary>,
    pub low_stock: Vec<crate::inventory::LowStockView>,
    /// Ordered or partly received purchase orders; `None` without the
    /// purchasing view right.
    pub arriving: Option<u64>,
}

const TO_SHIP_LISTED: u64 = 10;

pub async fn warehouse(store: &Store, actor: &Actor) -> StoreResult<WarehouseHome> {
    use crate::entity::purchase_order;
    use crate::orders::{self, OrderFilter};
    use salesflow_domain::purchasing::PurchaseStatus;
    let company = crate::settings::get(store).await?.settings;
    let today = local_day(&company, store.now());
    let to_ship = OrderFilter { to_ship: true, ..Default::default() };
    let (mut count, mut late, mut next) = (0, 0, Vec::new());
    if actor.can(Module::Orders, Action::View) {
        count = orders::count(store, actor, &to_ship).await?;
        late = orders::count(store, actor, &OrderFilter { delivery_before: Some(today), ..to_ship.clone() }).await?;
        let oldest = PageRequest { limit: Some(TO_SHIP_LISTED), cursor: None, sort: Some("id".into()) };
        next = orders::list(store, actor, &to_ship, &oldest).await?.items;
    }
    let arriving = if actor.can(Module::Purchasing, Action::View) {
        let open = [PurchaseStatus::Ordered, PurchaseStatus::PartiallyReceived];
        Some(
            sea_orm::PaginatorTrait::count(
                purchase_order::Entity::find().filter(purchase_order::Column::Status.is_in(open.map(|s| s.code()))),
                store.reader(),
            )
            .await?,
        )
    } else {
        None
    };
    let low_stock = crate::inventory::low_stock(store, actor, TO_SHIP_LISTED).await?;
    Ok(WarehouseHome { today, to_ship: count, late, next, low_stock, arriving })
}
