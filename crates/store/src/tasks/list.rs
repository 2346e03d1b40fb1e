//! The list of tasks: filter, sorts and keyset pages.

use chrono::{DateTime, Utc};
use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::tasks::{Priority, RelatedKind, StatusFilter, TaskStatus};
use salesflow_domain::validation::FieldError;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::Store;
use crate::entity::task;
use crate::error::StoreResult;
use crate::paging::{Key, Keyset, Page, PageRequest, SortField};
use crate::scope::Actor;
use crate::search::{self, Kind};

use super::{TaskView, names_for, view, visible};

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
        Some(code) => match StatusFilter::parse(code).map(StatusFilter::statuses).as_deref() {
            Some([one]) => query = query.filter(task::Column::Status.eq(one.code())),
            Some(many) => query = query.filter(task::Column::Status.is_in(many.iter().map(|s| s.code()))),
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
