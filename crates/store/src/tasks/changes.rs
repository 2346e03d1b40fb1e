//! Creating, editing, completing, deleting tasks, bulk actions and the
//! hand-over of a person's tasks.

use chrono::{DateTime, Utc};
use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::settings::Settings;
use salesflow_domain::tasks::{Priority, TaskStatus, check};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use crate::Store;
use crate::audit::AuditEvent;
use crate::entity::notification::NotificationKind;
use crate::entity::{notification, task};
use crate::error::{StoreError, StoreResult};
use crate::scope::Actor;
use crate::search::Kind;
use crate::unit_of_work::UnitOfWork;

use super::{
    Related, TaskView, check_assignee, find_visible, names_for, one_view, reminder_link, resolve_related,
    schedule_reminder, status_of, view, visible, withdraw_reminders,
};

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
    let v = one_view(&txn, &company, m, txn.now()).await?;
    txn.commit(AuditEvent::new("task.create", "task", Some(v.id)).after(&v)).await?;
    Ok(v)
}

pub async fn get_task(store: &Store, actor: &Actor, id: i64) -> StoreResult<TaskView> {
    actor.require(Module::Customers, Action::View)?;
    let m = find_visible(store.reader(), actor, id).await?;
    let company = crate::settings::get(store).await?.settings;
    one_view(store.reader(), &company, m, store.now()).await
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
        return one_view(&txn, &company, before, txn.now()).await;
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
    let v = one_view(&txn, &company, before, txn.now()).await?;
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
                let v = one_view(&txn, &company, before, txn.now()).await?;
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
/// The tasks of `from` a hand-over would move: open ones (open or in
/// progress) assigned to them (all, or those of `only`, or those about
/// `customers`).
pub(crate) async fn handover_ids<C: sea_orm::ConnectionTrait>(
    conn: &C,
    from: i64,
    only: Option<&[i64]>,
    customers: Option<&[i64]>,
) -> StoreResult<Vec<i64>> {
    let open: Vec<&str> = TaskStatus::OPEN.iter().map(|s| s.code()).collect();
    let mut query = task::Entity::find()
        .select_only()
        .column(task::Column::Id)
        .filter(task::Column::AssigneeId.eq(from))
        .filter(task::Column::Status.is_in(open))
        .filter(task::Column::DeletedAt.is_null())
        .order_by_asc(task::Column::Id);
    if let Some(ids) = only {
        query = query.filter(task::Column::Id.is_in(ids.iter().copied()));
    }
    let mut found: Vec<i64> = Vec::new();
    match customers {
        None => found = query.into_tuple().all(conn).await?,
        Some(customers) => {
            for chunk in customers.chunks(500) {
                let part: Vec<i64> = query
                    .clone()
                    .filter(task::Column::CustomerId.is_in(chunk.iter().copied()))
                    .into_tuple()
                    .all(conn)
                    .await?;
                found.extend(part);
            }
            found.sort_unstable();
        }
    }
    Ok(found)
}

/// Gives these tasks of `from` (found by `handover_ids`) to `to`, with
/// their pending reminders.
pub(crate) async fn hand_over(conn: &UnitOfWork<'_>, moving: &[i64], from: i64, to: i64) -> StoreResult<u64> {
    let mut moved = 0;
    for chunk in moving.chunks(500) {
        moved += conn
            .update_all::<task::Entity>(Condition::all().add(task::Column::Id.is_in(chunk.iter().copied())))
            .set(task::Column::AssigneeId, Expr::value(to))
            .exec()
            .await?;
    }
    // Their pending reminders follow them, in bounded statements.
    for ids in moving.chunks(500) {
        let links: Vec<String> = ids.iter().map(|id| reminder_link(*id)).collect();
        notification::Entity::update_many()
            .col_expr(notification::Column::UserId, Expr::value(to))
            .filter(notification::Column::UserId.eq(from))
            .filter(notification::Column::Kind.eq(NotificationKind::TaskDue))
            .filter(notification::Column::ReadAt.is_null())
            .filter(notification::Column::Link.is_in(links))
            .exec(conn)
            .await?;
    }
    Ok(moved)
}
