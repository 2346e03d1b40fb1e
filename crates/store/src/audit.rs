//! The audit log: who changed what, when, before and after. Rows are
//! written inside the transaction of the change they describe.

use chrono::{DateTime, Utc};
use salesflow_domain::access::{Action, Module};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::Serialize;

use crate::Store;
use crate::entity::audit_entry::{self, Column, Entity};
use crate::error::StoreResult;
use crate::paging::{Key, Keyset, Page, PageRequest, SortField};
use crate::scope::Actor;

/// A value as it goes into `before`/`after`.
pub fn snapshot(value: &impl Serialize) -> Option<serde_json::Value> {
    serde_json::to_value(value).ok()
}

/// Writes one audit row with the actor's identity and request details.
pub async fn record<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    action: &str,
    entity_type: &str,
    entity_id: Option<i64>,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> StoreResult<()> {
    audit_entry::ActiveModel {
        at: Set(Utc::now()),
        actor_id: Set(actor.user_id),
        actor_name: Set(actor.username.clone()),
        action: Set(action.to_owned()),
        entity_type: Set(entity_type.to_owned()),
        entity_id: Set(entity_id),
        before: Set(before.map(|v| v.to_string())),
        after: Set(after.map(|v| v.to_string())),
        ip: Set(actor.ip.clone()),
        request_id: Set(actor.request_id.clone()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<i64>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub ip: Option<String>,
    pub request_id: Option<String>,
}

impl From<audit_entry::Model> for AuditEntry {
    fn from(m: audit_entry::Model) -> Self {
        let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        AuditEntry {
            id: m.id,
            at: m.at,
            actor_id: m.actor_id,
            actor_name: m.actor_name,
            action: m.action,
            entity_type: m.entity_type,
            entity_id: m.entity_id,
            before: parse(m.before),
            after: parse(m.after),
            ip: m.ip,
            request_id: m.request_id,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_id: Option<i64>,
    /// Exact action, or a prefix ending in `.` (`auth.` for every sign-in event).
    pub action: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<i64>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

const SORTS: [SortField<Column>; 1] = [SortField { name: "id", column: Column::Id }];

/// Audit entries of actors inside the caller's scope, newest first.
pub async fn list(
    store: &Store,
    actor: &Actor,
    filter: &AuditFilter,
    page: &PageRequest,
) -> StoreResult<Page<AuditEntry>> {
    actor.require(Module::Audit, Action::View)?;
    let keyset = Keyset::parse(page, &SORTS, "-id")?;
    let mut query = Entity::find().filter(actor.scope_condition(Column::ActorId));
    if let Some(id) = filter.actor_id {
        query = query.filter(Column::ActorId.eq(id));
    }
    if let Some(action) = filter.action.as_deref().filter(|a| !a.is_empty()) {
        query = if action.ends_with('.') {
            query.filter(Column::Action.starts_with(action))
        } else {
            query.filter(Column::Action.eq(action))
        };
    }
    if let Some(t) = filter.entity_type.as_deref().filter(|t| !t.is_empty()) {
        query = query.filter(Column::EntityType.eq(t));
    }
    if let Some(id) = filter.entity_id {
        query = query.filter(Column::EntityId.eq(id));
    }
    if let Some(from) = filter.from {
        query = query.filter(Column::At.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(Column::At.lt(to));
    }
    let rows = keyset.apply(query, Column::Id).all(store.reader()).await?;
    Ok(keyset.finish(rows, |m, _| (Key::Int(m.id), m.id)).map(AuditEntry::from))
}
