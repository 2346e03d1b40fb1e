//! The calendar: one's own (or a visible person's) tasks and visits over a
//! range of days, and the people one may assign to.

use chrono::{DateTime, NaiveDate, Utc};
use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::activities::ActivityKind;
use salesflow_domain::tasks::{self as rules, Priority, TaskStatus, is_overdue};
use sea_orm::sea_query::{Condition, Query};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;

use crate::Store;
use crate::customers::customer_names;
use crate::entity::{activity, customer, task, user};
use crate::error::{StoreError, StoreResult};
use crate::scope::Actor;

use super::{reminder_link, status_of};

/// One entry of a calendar.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CalendarEvent {
    /// `task`, `follow_up` (an activity's follow-up date), `visit` or `meeting`.
    pub kind: String,
    /// The task's or the activity's id.
    pub id: i64,
    pub title: String,
    /// When it shows in the calendar: a task's due time (or, for a task
    /// due after the range, its start), a follow-up date, a visit's time.
    pub at: DateTime<Utc>,
    /// A task's start and due time.
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    /// Where the event opens in the app.
    pub link: String,
    pub customer_id: Option<i64>,
    pub customer_name: Option<String>,
    /// A task's status and priority.
    pub status: Option<String>,
    pub priority: Option<String>,
    pub overdue: bool,
    /// A task done, or a visit that took place.
    pub done: bool,
}

/// At most this many events of each kind in one calendar answer.
const CALENDAR_CAP: u64 = 1000;

/// The calendar of one person (the caller when `user` is `None`) from day
/// `from` to day `to` inclusive, in the company's time zone: their tasks
/// (start–due overlapping the range; cancelled ones left out), the
/// follow-up dates on their customers, and their visits and meetings.
/// Someone outside the caller's scope has no calendar for them.
pub async fn calendar(
    store: &Store,
    actor: &Actor,
    user: Option<i64>,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<Vec<CalendarEvent>> {
    actor.require(Module::Customers, Action::View)?;
    let user = user.or(actor.user_id).ok_or(StoreError::Forbidden)?;
    if !actor.sees_owner(Some(user)) {
        return Err(StoreError::NotFound);
    }
    rules::check_range(from, to)?;
    let company = crate::settings::get(store).await?.settings;
    let bad_day = || StoreError::Invalid(Invalid::one("from", "invalid_date"));
    let start = rules::start_of_day(&company, from).ok_or_else(bad_day)?;
    let end = to.succ_opt().and_then(|d| rules::start_of_day(&company, d)).ok_or_else(bad_day)?;
    let now = store.now();
    let conn = store.reader();
    let mut events = Vec::new();

    let tasks = task::Entity::find()
        .filter(task::Column::AssigneeId.eq(user))
        .filter(task::Column::DeletedAt.is_null())
        .filter(task::Column::Status.ne(TaskStatus::Cancelled.code()))
        .filter(task::Column::DueAt.gte(start))
        .filter(
            Condition::any()
                .add(task::Column::StartAt.lt(end))
                .add(Condition::all().add(task::Column::StartAt.is_null()).add(task::Column::DueAt.lt(end))),
        )
        .order_by_asc(task::Column::DueAt)
        .limit(CALENDAR_CAP)
        .all(conn)
        .await?;
    for t in tasks {
        let status = status_of(&t);
        let at = if t.due_at < end { t.due_at } else { std::cmp::max(t.start_at.unwrap_or(start), start) };
        events.push(CalendarEvent {
            kind: "task".into(),
            id: t.id,
            at,
            start: t.start_at,
            end: Some(t.due_at),
            link: reminder_link(t.id),
            customer_id: t.customer_id,
            customer_name: None,
            status: Some(t.status.clone()),
            priority: Some(Priority::from_rank(t.priority).code().to_owned()),
            overdue: is_overdue(status, t.due_at, now),
            done: status == TaskStatus::Done,
            title: t.title,
        });
    }

    let mut owned = Query::select();
    owned
        .column(customer::Column::Id)
        .from(customer::Entity)
        .and_where(customer::Column::OwnerId.eq(user))
        .and_where(customer::Column::DeletedAt.is_null());
    let follow_ups = activity::Entity::find()
        .filter(activity::Column::DeletedAt.is_null())
        .filter(activity::Column::NextAt.gte(start))
        .filter(activity::Column::NextAt.lt(end))
        .filter(activity::Column::CustomerId.in_subquery(owned))
        .order_by_asc(activity::Column::NextAt)
        .limit(CALENDAR_CAP)
        .all(conn)
        .await?;
    for a in follow_ups {
        let Some(at) = a.next_at else { continue };
        events.push(CalendarEvent {
            kind: "follow_up".into(),
            id: a.id,
            title: a.next_step.clone().unwrap_or(a.subject),
            at,
            start: None,
            end: None,
            link: format!("/customers/{}", a.customer_id),
            customer_id: Some(a.customer_id),
            customer_name: None,
            status: None,
            priority: None,
            overdue: false,
            done: false,
        });
    }

    let visits = activity::Entity::find()
        .filter(activity::Column::OwnerId.eq(user))
        .filter(activity::Column::DeletedAt.is_null())
        .filter(activity::Column::Kind.is_in([ActivityKind::Visit.code(), ActivityKind::Meeting.code()]))
        .filter(activity::Column::OccurredAt.gte(start))
        .filter(activity::Column::OccurredAt.lt(end))
        .order_by_asc(activity::Column::OccurredAt)
        .limit(CALENDAR_CAP)
        .all(conn)
        .await?;
    for a in visits {
        events.push(CalendarEvent {
            kind: a.kind.clone(),
            id: a.id,
            title: a.subject,
            at: a.occurred_at,
            start: None,
            end: None,
            link: format!("/customers/{}", a.customer_id),
            customer_id: Some(a.customer_id),
            customer_name: None,
            status: None,
            priority: None,
            overdue: false,
            done: a.occurred_at <= now,
        });
    }

    let names = customer_names(store, events.iter().filter_map(|e| e.customer_id)).await?;
    for e in &mut events {
        e.customer_name = e.customer_id.and_then(|c| names.get(&c).cloned());
    }
    events.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.kind.cmp(&b.kind)).then(a.id.cmp(&b.id)));
    Ok(events)
}

/// Everyone the caller may assign tasks to (and whose calendar they may
/// open): active users inside their scope, by name.
pub async fn assignable_people(store: &Store, actor: &Actor) -> StoreResult<Vec<(i64, String)>> {
    let mut q = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::DisplayName)
        .filter(user::Column::Active.eq(true))
        .filter(user::Column::DeletedAt.is_null());
    if let Some(ids) = &actor.visible_users {
        q = q.filter(user::Column::Id.is_in(ids.iter().copied()));
    }
    Ok(q.order_by_asc(user::Column::DisplayName).into_tuple().all(store.reader()).await?)
}
