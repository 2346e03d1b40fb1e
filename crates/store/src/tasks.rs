//! Sales tasks (销售任务) and the calendar of one's own tasks and visits.
//!
//! Scope: a task is visible to its assignee, its creator, and anyone whose
//! data scope covers the assignee. Assigning needs the assignee inside the
//! caller's scope, so a salesperson with `own` scope assigns only to self.
//! A task's due date reminds the assignee in the app; closing the task
//! withdraws the reminder.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::settings::Settings;
use salesflow_domain::tasks::{self as rules, Priority, RelatedKind, TaskStatus, check, is_overdue};
use salesflow_domain::validation::FieldError;
use sea_orm::sea_query::{Condition, Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use serde::Serialize;

use crate::Store;
use crate::audit::AuditEvent;
use crate::customers::{customer_names, find_visible as find_visible_customer};
use crate::entity::{activity, contact, customer, lead, notification, opportunity, task, user};
use crate::error::{StoreError, StoreResult};
use crate::notifications;
use crate::paging::{Key, Keyset, Page, PageRequest, SortField};
use crate::scope::Actor;
use crate::search::{self, Kind};
use crate::unit_of_work::UnitOfWork;

/// The kind of the in-app reminder a task's due date schedules.
pub const REMINDER_KIND: &str = "task_due";

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

async fn one_view<C: ConnectionTrait>(conn: &C, company: &Settings, m: task::Model) -> StoreResult<TaskView> {
    let names = names_for(conn, std::slice::from_ref(&m)).await?;
    Ok(view(m, &names, company, Utc::now()))
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

async fn schedule_reminder<C: ConnectionTrait>(conn: &C, settings: &Settings, t: &task::Model) -> StoreResult<()> {
    if status_of(t).is_closed() {
        return Ok(());
    }
    notifications::remind(
        conn,
        t.assignee_id,
        REMINDER_KIND,
        &t.title,
        &reminder_link(t.id),
        salesflow_domain::time::reminder_time(settings, t.due_at),
    )
    .await
}

/// Withdraws the reminders of a task that nobody has read yet.
async fn withdraw_reminders<C: ConnectionTrait>(conn: &C, assignee: i64, id: i64) -> StoreResult<()> {
    notification::Entity::delete_many()
        .filter(notification::Column::UserId.eq(assignee))
        .filter(notification::Column::Kind.eq(REMINDER_KIND))
        .filter(notification::Column::Link.eq(reminder_link(id)))
        .filter(notification::Column::ReadAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------- changes

#[derive(Debug, Clone, Default)]
pub struct TaskInput {
    pub title: String,
    pub description: String,
    /// `None`: the caller (on create) or unchanged (on update).
    pub assignee_id: Option<i64>,
    /// `customer` or `contact`, with `related_id`; both `None` for none.
    pub related_kind: Option<String>,
    pub related_id: Option<i64>,
    pub start_at: Option<DateTime<Utc>>,
    pub due_at: DateTime<Utc>,
    /// `low|normal|high|urgent`.
    pub priority: String,
    /// `None`: `open` (on create) or unchanged (on update).
    pub status: Option<String>,
    /// Whether an open task is being worked on; `None`: as it was (see
    /// [`TaskStatus::with_progress`]).
    pub in_progress: Option<bool>,
}

pub async fn create_task(store: &Store, actor: &Actor, input: TaskInput) -> StoreResult<TaskView> {
    let permit = store.permit(actor, Module::Customers, Action::Create)?;
    let me = actor.user_id.ok_or(StoreError::Forbidden)?;
    let status = input.status.clone().unwrap_or_else(|| TaskStatus::Open.code().to_owned());
    let mut invalid = check(&input.title, &input.description, &input.priority, &status, input.start_at, input.due_at);
    let company = crate::settings::get(store).await?.settings;
    let assignee = input.assignee_id.unwrap_or(me);
    let txn = permit.begin().await?;
    check_assignee(&txn, actor, &mut invalid, assignee).await?;
    let related = resolve_related(&txn, actor, &mut invalid, input.related_kind.as_deref(), input.related_id).await?;
    invalid.into_result()?;
    let status = TaskStatus::parse(&status).unwrap_or(TaskStatus::Open).with_progress(input.in_progress, None);
    let now = txn.now();
    let m = task::ActiveModel {
        title: Set(input.title.trim().to_owned()),
        description: Set(input.description.trim().to_owned()),
        assignee_id: Set(assignee),
        created_by: Set(me),
        customer_id: Set(related.customer_id),
        related_kind: Set(related.kind),
        related_id: Set(related.id),
        start_at: Set(input.start_at),
        due_at: Set(input.due_at),
        priority: Set(Priority::parse(&input.priority).unwrap_or(Priority::Normal).rank()),
        status: Set(status.code().to_owned()),
        completed_at: Set((status == TaskStatus::Done).then_some(now)),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.index(Kind::Task, m.id, &[&m.title]).await?;
    schedule_reminder(&txn, &company, &m).await?;
    let v = one_view(&txn, &company, m).await?;
    txn.commit(AuditEvent::new("task.create", "task", Some(v.id)).after(&v)).await?;
    Ok(v)
}

pub async fn get_task(store: &Store, actor: &Actor, id: i64) -> StoreResult<TaskView> {
    actor.require(Module::Customers, Action::View)?;
    let m = find_visible(store.reader(), actor, id).await?;
    let company = crate::settings::get(store).await?.settings;
    one_view(store.reader(), &company, m).await
}

/// When a task becomes done it gets a completion time; reopened, it loses it.
fn completed_at(before: &task::Model, status: TaskStatus, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    match status {
        TaskStatus::Done if status_of(before) == TaskStatus::Done => before.completed_at.or(Some(now)),
        TaskStatus::Done => Some(now),
        _ => None,
    }
}

/// Writes the new state of a task (`version` must be current) and keeps
/// its reminder in step; returns it with the change's audit event.
async fn save(
    txn: &UnitOfWork<'_>,
    settings: &Settings,
    before: task::Model,
    version: i64,
    mut after: task::Model,
    action: &'static str,
) -> StoreResult<(TaskView, AuditEvent)> {
    let now = txn.now();
    after.version = version + 1;
    after.updated_at = now;
    txn.update::<task::Entity>(before.id, version)
        .set(task::Column::Title, Expr::value(after.title.clone()))
        .set(task::Column::Description, Expr::value(after.description.clone()))
        .set(task::Column::AssigneeId, Expr::value(after.assignee_id))
        .set(task::Column::CustomerId, Expr::value(after.customer_id))
        .set(task::Column::RelatedKind, Expr::value(after.related_kind.clone()))
        .set(task::Column::RelatedId, Expr::value(after.related_id))
        .set(task::Column::StartAt, Expr::value(after.start_at))
        .set(task::Column::DueAt, Expr::value(after.due_at))
        .set(task::Column::Priority, Expr::value(after.priority))
        .set(task::Column::Status, Expr::value(after.status.clone()))
        .set(task::Column::CompletedAt, Expr::value(after.completed_at))
        .only_if(task::Column::DeletedAt.is_null())
        .exec_without_reading()
        .await?;
    if after.title != before.title {
        txn.index(Kind::Task, after.id, &[&after.title]).await?;
    }
    let reschedule = after.due_at != before.due_at
        || after.assignee_id != before.assignee_id
        || after.title != before.title
        || status_of(&after).is_closed() != status_of(&before).is_closed();
    if reschedule {
        withdraw_reminders(txn, before.assignee_id, before.id).await?;
        schedule_reminder(txn, settings, &after).await?;
    }
    let names = names_for(txn, &[before.clone(), after.clone()]).await?;
    let (before, after) = (view(before, &names, settings, now), view(after, &names, settings, now));
    let event = AuditEvent::new(action, "task", Some(after.id)).before(&before).after(&after);
    Ok((after, event))
}

/// Replaces a task's fields; `version` must be the one last read.
pub async fn update_task(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: i64,
    input: TaskInput,
) -> StoreResult<TaskView> {
    let permit = store.permit(actor, Module::Customers, Action::Edit)?;
    let company = crate::settings::get(store).await?.settings;
    let txn = permit.begin().await?;
    let before = find_visible(&txn, actor, id).await?;
    let status = input.status.clone().unwrap_or_else(|| before.status.clone());
    let mut invalid = check(&input.title, &input.description, &input.priority, &status, input.start_at, input.due_at);
    let assignee = input.assignee_id.unwrap_or(before.assignee_id);
    if assignee != before.assignee_id {
        check_assignee(&txn, actor, &mut invalid, assignee).await?;
    }
    let unchanged_relation = input.related_kind.as_deref().map(str::trim).filter(|k| !k.is_empty())
        == before.related_kind.as_deref()
        && input.related_id == before.related_id;
    let related = if unchanged_relation {
        Related { kind: before.related_kind.clone(), id: before.related_id, customer_id: before.customer_id }
    } else {
        resolve_related(&txn, actor, &mut invalid, input.related_kind.as_deref(), input.related_id).await?
    };
    invalid.into_result()?;
    let status = TaskStatus::parse(&status)
        .unwrap_or(TaskStatus::Open)
        .with_progress(input.in_progress, Some(status_of(&before)));
    let after = task::Model {
        title: input.title.trim().to_owned(),
        description: input.description.trim().to_owned(),
        assignee_id: assignee,
        customer_id: related.customer_id,
        related_kind: related.kind,
        related_id: related.id,
        start_at: input.start_at,
        due_at: input.due_at,
        priority: Priority::parse(&input.priority).unwrap_or(Priority::Normal).rank(),
        status: status.code().to_owned(),
        completed_at: completed_at(&before, status, txn.now()),
        ..before.clone()
    };
    let (v, event) = save(&txn, &company, before, version, after, "task.update").await?;
    txn.commit(event).await?;
    Ok(v)
}

/// Marks a task done (`done = true`) or opens it again.
pub async fn set_done(store: &Store, actor: &Actor, id: i64, version: i64, done: bool) -> StoreResult<TaskView> {
    let permit = store.permit(actor, Module::Customers, Action::Edit)?;
    let company = crate::settings::get(store).await?.settings;
    let txn = permit.begin().await?;
    let before = find_visible(&txn, actor, id).await?;
    if before.version != version {
        return Err(StoreError::Conflict("stale version".into()));
    }
    let status = if done { TaskStatus::Done } else { TaskStatus::Open };
    if status_of(&before) == status || (!done && !status_of(&before).is_closed()) {
        // Already so: nothing to change.
        return one_view(&txn, &company, before).await;
    }
    let after = task::Model {
        status: status.code().to_owned(),
        completed_at: completed_at(&before, status, txn.now()),
        ..before.clone()
    };
    let action = if done { "task.complete" } else { "task.reopen" };
    let (v, event) = save(&txn, &company, before, version, after, action).await?;
    txn.commit(event).await?;
    Ok(v)
}

/// Soft-deletes a task: its creator may, and whoever may delete records
/// of the assignee.
pub async fn delete_task(store: &Store, actor: &Actor, id: i64) -> StoreResult<()> {
    let permit = store.permit(actor, Module::Customers, Action::Edit)?;
    let company = crate::settings::get(store).await?.settings;
    let txn = permit.begin().await?;
    let before = find_visible(&txn, actor, id).await?;
    let creator = actor.user_id == Some(before.created_by);
    let manages = actor.can(Module::Customers, Action::Delete) && actor.sees_owner(Some(before.assignee_id));
    if !(creator || manages) {
        return Err(StoreError::Forbidden);
    }
    txn.update::<task::Entity>(id, before.version)
        .set(task::Column::DeletedAt, Expr::value(txn.now()))
        .exec_without_reading()
        .await?;
    withdraw_reminders(&txn, before.assignee_id, id).await?;
    let v = one_view(&txn, &company, before).await?;
    txn.commit(AuditEvent::new("task.delete", "task", Some(id)).before(&v)).await?;
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskBulkAction {
    /// Hand the tasks to this person (someone in the caller's scope).
    Assign(i64),
    MarkDone,
    Delete,
}

/// Applies one action to selected tasks, all or none, by the rules of
/// changing one task: every task must be visible to the caller; an
/// assignee must be in their scope; deleting needs to be the task's
/// creator or allowed to delete the assignee's records. Reminders follow
/// as for one task, and each change is audited. Tasks already so (done, or
/// with that assignee) stay as they are. Returns how many changed.
pub async fn bulk(store: &Store, actor: &Actor, ids: &[i64], action: TaskBulkAction) -> StoreResult<u64> {
    let permit = store.permit(actor, Module::Customers, Action::Edit)?;
    let ids = crate::shared::selection(ids)?;
    let company = crate::settings::get(store).await?.settings;
    let txn = permit.begin().await?;
    if let TaskBulkAction::Assign(assignee) = action {
        let mut invalid = Invalid::new();
        check_assignee(&txn, actor, &mut invalid, assignee).await?;
        invalid.into_result()?;
    }
    let rows = task::Entity::find()
        .filter(task::Column::Id.is_in(ids.iter().copied()))
        .filter(task::Column::DeletedAt.is_null())
        .filter(visible(actor))
        .all(&txn)
        .await?;
    if rows.len() != ids.len() {
        return Err(StoreError::NotFound);
    }
    if action == TaskBulkAction::Delete {
        let may_delete = actor.can(Module::Customers, Action::Delete);
        let refused = rows.iter().any(|t| {
            let creator = actor.user_id == Some(t.created_by);
            !(creator || (may_delete && actor.sees_owner(Some(t.assignee_id))))
        });
        if refused {
            return Err(StoreError::Forbidden);
        }
    }
    let now = txn.now();
    let mut changed = 0;
    let mut audited = None;
    for before in rows {
        let version = before.version;
        match action {
            TaskBulkAction::Assign(assignee) => {
                if before.assignee_id == assignee {
                    continue;
                }
                let after = task::Model { assignee_id: assignee, ..before.clone() };
                let (_, event) = save(&txn, &company, before, version, after, "task.assign").await?;
                audited = Some(txn.record(event).await?);
            }
            TaskBulkAction::MarkDone => {
                if status_of(&before) == TaskStatus::Done {
                    continue;
                }
                let after = task::Model {
                    status: TaskStatus::Done.code().to_owned(),
                    completed_at: completed_at(&before, TaskStatus::Done, now),
                    ..before.clone()
                };
                let (_, event) = save(&txn, &company, before, version, after, "task.complete").await?;
                audited = Some(txn.record(event).await?);
            }
            TaskBulkAction::Delete => {
                txn.update::<task::Entity>(before.id, version)
                    .set(task::Column::DeletedAt, Expr::value(now))
                    .exec_without_reading()
                    .await?;
                withdraw_reminders(&txn, before.assignee_id, before.id).await?;
                let id = before.id;
                let v = one_view(&txn, &company, before).await?;
                let event = AuditEvent::new("task.delete", "task", Some(id)).before(&v);
                audited = Some(txn.record(event.detail(serde_json::json!({ "bulk": true }))).await?);
            }
        }
        changed += 1;
    }
    // Every task already so: nothing was written.
    if let Some(audited) = audited {
        txn.commit_recorded(audited).await?;
    }
    Ok(changed)
}

/// Hands the open tasks of one person to another, inside the caller's
/// transaction (part of `handover::transfer`). Done and cancelled tasks
/// stay with the person who did them. Returns how many moved.
pub(crate) async fn hand_over(conn: &UnitOfWork<'_>, from: i64, to: i64) -> StoreResult<u64> {
    let open: Vec<&str> = TaskStatus::OPEN.iter().map(|s| s.code()).collect();
    let moving: Vec<i64> = task::Entity::find()
        .select_only()
        .column(task::Column::Id)
        .filter(task::Column::AssigneeId.eq(from))
        .filter(task::Column::Status.is_in(open.clone()))
        .filter(task::Column::DeletedAt.is_null())
        .into_tuple()
        .all(conn)
        .await?;
    if moving.is_empty() {
        return Ok(0);
    }
    let moved = conn
        .update_all::<task::Entity>(
            Condition::all()
                .add(task::Column::AssigneeId.eq(from))
                .add(task::Column::Status.is_in(open))
                .add(task::Column::DeletedAt.is_null()),
        )
        .set(task::Column::AssigneeId, Expr::value(to))
        .exec()
        .await?;
    // Their pending reminders follow them, in bounded statements.
    for ids in moving.chunks(500) {
        let links: Vec<String> = ids.iter().map(|id| reminder_link(*id)).collect();
        notification::Entity::update_many()
            .col_expr(notification::Column::UserId, Expr::value(to))
            .filter(notification::Column::UserId.eq(from))
            .filter(notification::Column::Kind.eq(REMINDER_KIND))
            .filter(notification::Column::ReadAt.is_null())
            .filter(notification::Column::Link.is_in(links))
            .exec(conn)
            .await?;
    }
    Ok(moved)
}

// ---------------------------------------------------------------- lists

#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    /// Part of the title, in any script.
    pub q: Option<String>,
    pub assignee_id: Option<i64>,
    /// Leaves out the tasks of this person ("assigned by me" to others,
    /// "my team" without oneself).
    pub not_assignee_id: Option<i64>,
    pub created_by: Option<i64>,
    /// `open` (open and in progress), `in_progress`, `done`, `cancelled`.
    pub status: Option<String>,
    /// `low|normal|high|urgent`.
    pub priority: Option<String>,
    /// Only tasks past their due time and still to be done.
    pub overdue: bool,
    pub customer_id: Option<i64>,
    pub related_kind: Option<String>,
    pub related_id: Option<i64>,
    /// Due at or after.
    pub due_from: Option<DateTime<Utc>>,
    /// Due before.
    pub due_to: Option<DateTime<Utc>>,
}

const SORTS: [SortField<task::Column>; 6] = [
    SortField { name: "due_at", column: task::Column::DueAt },
    // The contract's name of the same order.
    SortField { name: "due_date", column: task::Column::DueAt },
    SortField { name: "priority", column: task::Column::Priority },
    SortField { name: "created_at", column: task::Column::CreatedAt },
    SortField { name: "updated_at", column: task::Column::UpdatedAt },
    SortField { name: "id", column: task::Column::Id },
];

/// Tasks in the caller's scope. Sort: `due_at` (default; also `due_date`),
/// `priority`, `created_at`, `updated_at`, `id`.
pub async fn list_tasks(
    store: &Store,
    actor: &Actor,
    filter: &TaskFilter,
    page: &PageRequest,
) -> StoreResult<Page<TaskView>> {
    actor.require(Module::Customers, Action::View)?;
    let keyset = Keyset::parse(page, &SORTS, "due_at")?;
    let mut query = task::Entity::find().filter(task::Column::DeletedAt.is_null()).filter(visible(actor));
    let mut invalid = Invalid::new();
    match filter.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => {}
        Some("open") => {
            query = query.filter(task::Column::Status.is_in(TaskStatus::OPEN.iter().map(|s| s.code())));
        }
        Some(code) => match TaskStatus::parse(code) {
            Some(s) => query = query.filter(task::Column::Status.eq(s.code())),
            None => invalid.push(FieldError::new("status", "invalid_choice")),
        },
    }
    if let Some(code) = filter.priority.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        match Priority::parse(code) {
            Some(p) => query = query.filter(task::Column::Priority.eq(p.rank())),
            None => invalid.push(FieldError::new("priority", "invalid_choice")),
        }
    }
    if let Some(kind) = filter.related_kind.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        match RelatedKind::parse(kind) {
            Some(k) => query = query.filter(task::Column::RelatedKind.eq(k.code())),
            None => invalid.push(FieldError::new("related_kind", "invalid_choice")),
        }
    }
    invalid.into_result()?;
    if let Some(q) = filter.q.as_deref()
        && let Some(ids) = search::matching(store.reader(), Kind::Task, q).await?
    {
        query = query.filter(task::Column::Id.in_subquery(ids));
    }
    for (column, value) in [
        (task::Column::AssigneeId, filter.assignee_id),
        (task::Column::CreatedBy, filter.created_by),
        (task::Column::CustomerId, filter.customer_id),
        (task::Column::RelatedId, filter.related_id),
    ] {
        if let Some(v) = value {
            query = query.filter(column.eq(v));
        }
    }
    if let Some(other) = filter.not_assignee_id {
        query = query.filter(task::Column::AssigneeId.ne(other));
    }
    let now = store.now();
    if filter.overdue {
        query = query
            .filter(task::Column::Status.is_in(TaskStatus::OPEN.iter().map(|s| s.code())))
            .filter(task::Column::DueAt.lt(now));
    }
    if let Some(from) = filter.due_from {
        query = query.filter(task::Column::DueAt.gte(from));
    }
    if let Some(to) = filter.due_to {
        query = query.filter(task::Column::DueAt.lt(to));
    }
    let rows = keyset.apply(query, task::Column::Id).all(store.reader()).await?;
    let names = names_for(store.reader(), &rows).await?;
    let company = crate::settings::get(store).await?.settings;
    let page = keyset.finish(rows, |t, field| {
        let key = match field {
            "due_at" | "due_date" => Key::Time(t.due_at),
            "priority" => Key::Int(i64::from(t.priority)),
            "created_at" => Key::Time(t.created_at),
            "updated_at" => Key::Time(t.updated_at),
            _ => Key::Int(t.id),
        };
        (key, t.id)
    });
    Ok(page.map(|t| view(t, &names, &company, now)))
}

// ---------------------------------------------------------------- calendar

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
        .filter(activity::Column::Kind.is_in(["visit", "meeting"]))
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
