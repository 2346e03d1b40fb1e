//! Sales tasks (销售任务) and the calendar of one's own tasks and visits.
//!
//! Scope: a task is visible to its assignee, its creator, and anyone whose
//! data scope covers the assignee. Assigning needs the assignee inside the
//! caller's scope, so a salesperson with `own` scope assigns only to self.
//! A task's due date reminds the assignee in the app; closing the task
//! withdraws the reminder.

mod calendar;
mod changes;
mod list;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use salesflow_domain::Invalid;
use salesflow_domain::settings::Settings;
use salesflow_domain::tasks::{self as rules, Priority, RelatedKind, TaskStatus, is_overdue};
use salesflow_domain::validation::FieldError;
use sea_orm::sea_query::Condition;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};
use serde::Serialize;

use crate::customers::find_visible as find_visible_customer;
use crate::entity::notification::NotificationKind;
use crate::entity::{contact, customer, lead, notification, opportunity, task, user};
use crate::error::{StoreError, StoreResult};
use crate::notifications;
use crate::scope::Actor;
use crate::unit_of_work::UnitOfWork;

pub use calendar::{CalendarEvent, assignable_people, calendar};
pub use changes::{TaskBulkAction, TaskInput, bulk, create_task, delete_task, get_task, set_done, update_task};
pub(crate) use changes::{hand_over, handover_ids};
pub use list::{TaskFilter, list_tasks};

// ---------------------------------------------------------------- views

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TaskView {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub assignee_id: i64,
    pub assignee_name: Option<String>,
    pub created_by: i64,
    pub created_by_name: Option<String>,
    /// The customer the task concerns (directly or through a contact).
    pub customer_id: Option<i64>,
    pub customer_name: Option<String>,
    /// `customer`, `contact` or `lead`, with `related_id`.
    #[serde(rename = "related_type")]
    pub related_kind: Option<String>,
    pub related_id: Option<i64>,
    /// The start day (`YYYY-MM-DD`, company time zone).
    pub start_date: Option<NaiveDate>,
    /// The due day (`YYYY-MM-DD`, company time zone).
    pub due_date: NaiveDate,
    /// The start as an instant (a day given alone starts at 09:00 company time).
    pub start_at: Option<DateTime<Utc>>,
    /// The due time (a day given alone is due at its end, company time).
    pub due_at: DateTime<Utc>,
    /// `low|normal|high|urgent`.
    pub priority: String,
    /// `open|done|cancelled`; a task being worked on is `open` with
    /// `in_progress: true`. (Pages read the stored code, which may be
    /// `in_progress`.)
    #[serde(serialize_with = "contract_status")]
    #[schema(example = "open")]
    pub status: String,
    /// An open task someone is working on.
    pub in_progress: bool,
    /// Past its due time and still to be done.
    pub overdue: bool,
    pub completed_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Names shown beside a page of tasks, loaded in one query each.
#[derive(Default)]
struct Names {
    users: HashMap<i64, String>,
    customers: HashMap<i64, String>,
}

async fn names_for<C: ConnectionTrait>(conn: &C, rows: &[task::Model]) -> StoreResult<Names> {
    let mut user_ids: Vec<i64> = rows.iter().flat_map(|t| [t.assignee_id, t.created_by]).collect();
    user_ids.sort_unstable();
    user_ids.dedup();
    let mut customer_ids: Vec<i64> = rows.iter().filter_map(|t| t.customer_id).collect();
    customer_ids.sort_unstable();
    customer_ids.dedup();
    let mut names = Names::default();
    if !user_ids.is_empty() {
        let found: Vec<(i64, String)> = user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .column(user::Column::DisplayName)
            .filter(user::Column::Id.is_in(user_ids))
            .into_tuple()
            .all(conn)
            .await?;
        names.users = found.into_iter().collect();
    }
    if !customer_ids.is_empty() {
        let found: Vec<(i64, String)> = customer::Entity::find()
            .select_only()
            .column(customer::Column::Id)
            .column(customer::Column::Name)
            .filter(customer::Column::Id.is_in(customer_ids))
            .into_tuple()
            .all(conn)
            .await?;
        names.customers = found.into_iter().collect();
    }
    Ok(names)
}

fn status_of(m: &task::Model) -> TaskStatus {
    TaskStatus::parse(&m.status).unwrap_or(TaskStatus::Open)
}

/// The stored status as the API contract shows it.
fn contract_status<S: serde::Serializer>(status: &str, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(TaskStatus::parse(status).map(TaskStatus::contract_code).unwrap_or(status))
}

fn view(m: task::Model, names: &Names, company: &Settings, now: DateTime<Utc>) -> TaskView {
    TaskView {
        overdue: is_overdue(status_of(&m), m.due_at, now),
        in_progress: status_of(&m) == TaskStatus::InProgress,
        start_date: m.start_at.map(|at| rules::local_day(company, at)),
        due_date: rules::local_day(company, m.due_at),
        assignee_name: names.users.get(&m.assignee_id).cloned(),
        created_by_name: names.users.get(&m.created_by).cloned(),
        customer_name: m.customer_id.and_then(|c| names.customers.get(&c).cloned()),
        priority: Priority::from_rank(m.priority).code().to_owned(),
        id: m.id,
        title: m.title,
        description: m.description,
        assignee_id: m.assignee_id,
        created_by: m.created_by,
        customer_id: m.customer_id,
        related_kind: m.related_kind,
        related_id: m.related_id,
        start_at: m.start_at,
        due_at: m.due_at,
        status: m.status,
        completed_at: m.completed_at,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

/// `now`: the store's clock (overdue).
async fn one_view<C: ConnectionTrait>(
    conn: &C,
    company: &Settings,
    m: task::Model,
    now: DateTime<Utc>,
) -> StoreResult<TaskView> {
    let names = names_for(conn, std::slice::from_ref(&m)).await?;
    Ok(view(m, &names, company, now))
}

// ---------------------------------------------------------------- scope

/// Tasks the actor may see: assigned to someone in scope, or created by
/// the actor (a task one handed to another team stays visible).
fn visible(actor: &Actor) -> Condition {
    match (&actor.visible_users, actor.user_id) {
        (None, _) => Condition::all(),
        (Some(_), Some(me)) => {
            Condition::any().add(actor.scope_condition(task::Column::AssigneeId)).add(task::Column::CreatedBy.eq(me))
        }
        (Some(_), None) => actor.scope_condition(task::Column::AssigneeId),
    }
}

async fn find_visible<C: ConnectionTrait>(conn: &C, actor: &Actor, id: i64) -> StoreResult<task::Model> {
    task::Entity::find_by_id(id)
        .filter(task::Column::DeletedAt.is_null())
        .filter(visible(actor))
        .one(conn)
        .await?
        .ok_or(StoreError::NotFound)
}

/// An assignee must be an active user inside the caller's scope.
async fn check_assignee<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    invalid: &mut Invalid,
    assignee: i64,
) -> StoreResult<()> {
    let exists = user::Entity::find_by_id(assignee)
        .filter(user::Column::Active.eq(true))
        .filter(user::Column::DeletedAt.is_null())
        .count(conn)
        .await?
        > 0;
    if !exists {
        invalid.push(FieldError::new("assignee_id", "unknown_reference"));
    } else if !actor.sees_owner(Some(assignee)) {
        invalid.push(FieldError::new("assignee_id", "assignee_outside_scope"));
    }
    Ok(())
}

/// What a task is about, checked: the kind, the id, and the customer it
/// belongs to. Records outside the caller's scope do not exist for them.
#[derive(Debug, Clone, PartialEq)]
struct Related {
    kind: Option<String>,
    id: Option<i64>,
    customer_id: Option<i64>,
}

async fn resolve_related<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    invalid: &mut Invalid,
    kind: Option<&str>,
    id: Option<i64>,
) -> StoreResult<Related> {
    let none = Related { kind: None, id: None, customer_id: None };
    let kind = kind.map(str::trim).filter(|k| !k.is_empty());
    let (kind, id) = match (kind, id) {
        (None, None) => return Ok(none),
        (Some(_), None) => {
            invalid.push(FieldError::new("related_id", "required"));
            return Ok(none);
        }
        (None, Some(_)) => {
            invalid.push(FieldError::new("related_kind", "required"));
            return Ok(none);
        }
        (Some(k), Some(id)) => (k, id),
    };
    let Some(kind) = RelatedKind::parse(kind) else {
        invalid.push(FieldError::new("related_kind", "invalid_choice"));
        return Ok(none);
    };
    let customer_id = match kind {
        RelatedKind::Customer => match find_visible_customer(conn, actor, id).await {
            Ok(c) if c.deleted_at.is_none() => {
                crate::customers::check_attachable(actor, &c, invalid, "related_id");
                Some(c.id)
            }
            Ok(_) | Err(StoreError::NotFound) => None,
            Err(e) => return Err(e),
        },
        RelatedKind::Contact => {
            let found = contact::Entity::find_by_id(id).filter(contact::Column::DeletedAt.is_null()).one(conn).await?;
            match found {
                Some(p) => match find_visible_customer(conn, actor, p.customer_id).await {
                    Ok(c) if c.deleted_at.is_none() => {
                        crate::customers::check_attachable(actor, &c, invalid, "related_id");
                        Some(c.id)
                    }
                    Ok(_) | Err(StoreError::NotFound) => None,
                    Err(e) => return Err(e),
                },
                None => None,
            }
        }
        RelatedKind::Opportunity => {
            // An opportunity in the caller's scope: the task shows on it and
            // on its customer's page.
            opportunity::Entity::find_by_id(id)
                .filter(opportunity::Column::DeletedAt.is_null())
                .filter(actor.scope_condition(opportunity::Column::OwnerId))
                .one(conn)
                .await?
                .map(|o| o.customer_id)
        }
        RelatedKind::Lead => {
            // A lead in the caller's scope; its customer once converted.
            let found = lead::Entity::find_by_id(id)
                .filter(lead::Column::DeletedAt.is_null())
                .filter(actor.scope_condition(lead::Column::OwnerId))
                .one(conn)
                .await?;
            let Some(l) = found else {
                invalid.push(FieldError::new("related_id", "unknown_reference"));
                return Ok(none);
            };
            return Ok(Related {
                kind: Some(kind.code().to_owned()),
                id: Some(id),
                customer_id: l.converted_customer_id,
            });
        }
    };
    if customer_id.is_none() {
        invalid.push(FieldError::new("related_id", "unknown_reference"));
        return Ok(none);
    }
    Ok(Related { kind: Some(kind.code().to_owned()), id: Some(id), customer_id })
}

// ---------------------------------------------------------------- reminders

fn reminder_link(id: i64) -> String {
    format!("/tasks/{id}")
}

async fn schedule_reminder(unit: &UnitOfWork<'_>, settings: &Settings, t: &task::Model) -> StoreResult<()> {
    if status_of(t).is_closed() {
        return Ok(());
    }
    notifications::remind(
        unit,
        t.assignee_id,
        NotificationKind::TaskDue,
        &t.title,
        &reminder_link(t.id),
        salesflow_domain::time::reminder_time(settings, t.due_at),
        unit.now(),
    )
    .await
}

/// Withdraws the reminders of a task that nobody has read yet.
async fn withdraw_reminders<C: ConnectionTrait>(conn: &C, assignee: i64, id: i64) -> StoreResult<()> {
    notification::Entity::delete_many()
        .filter(notification::Column::UserId.eq(assignee))
        .filter(notification::Column::Kind.eq(NotificationKind::TaskDue))
        .filter(notification::Column::Link.eq(reminder_link(id)))
        .filter(notification::Column::ReadAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}
