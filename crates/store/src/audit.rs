//! The audit log: who changed what, when, before and after. Rows are
//! written inside the transaction of the change they describe.

use std::borrow::Cow;

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

/// One audit row: what was done to which record, before and after.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    action: Cow<'static, str>,
    entity_type: &'static str,
    entity_id: Option<i64>,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
    /// Someone else than the unit's actor (a sign-in names the person once found).
    by: Option<Actor>,
}

impl AuditEvent {
    pub fn new(action: impl Into<Cow<'static, str>>, entity_type: &'static str, entity_id: Option<i64>) -> Self {
        AuditEvent { action: action.into(), entity_type, entity_id, before: None, after: None, by: None }
    }

    /// The record as it was.
    pub fn before(mut self, value: &impl Serialize) -> Self {
        self.before = snapshot(value);
        self
    }

    /// The record as it is now.
    pub fn after(mut self, value: &impl Serialize) -> Self {
        self.after = snapshot(value);
        self
    }

    /// What the change did, when a snapshot says too much or too little
    /// (stored as `after`).
    pub fn detail(mut self, detail: serde_json::Value) -> Self {
        self.after = Some(detail);
        self
    }

    /// Adds one entry to the `after` object (made one when empty): a note
    /// such as the reason a clash was saved despite.
    pub fn note(mut self, key: &str, value: serde_json::Value) -> Self {
        match &mut self.after {
            Some(serde_json::Value::Object(map)) => {
                map.insert(key.to_owned(), value);
            }
            _ => {
                let mut map = serde_json::Map::new();
                if let Some(other) = self.after.take() {
                    map.insert("value".to_owned(), other);
                }
                map.insert(key.to_owned(), value);
                self.after = Some(serde_json::Value::Object(map));
            }
        }
        self
    }

    /// `before` as already turned into JSON (or nothing).
    pub fn before_json(mut self, before: Option<serde_json::Value>) -> Self {
        self.before = before;
        self
    }

    /// `after` as already turned into JSON (or nothing).
    pub fn after_json(mut self, after: Option<serde_json::Value>) -> Self {
        self.after = after;
        self
    }

    /// Recorded as done by `actor` instead of the unit's actor.
    pub fn by(mut self, actor: &Actor) -> Self {
        self.by = Some(actor.clone());
        self
    }
}

/// Writes one audit row with the actor's identity and request details.
/// Store code records through its unit of work
/// ([`crate::unit_of_work::UnitOfWork::commit`]); this is for tests that
/// need a row of their own.
pub async fn record<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    action: &str,
    entity_type: &'static str,
    entity_id: Option<i64>,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> StoreResult<()> {
    let event = AuditEvent::new(action.to_owned(), entity_type, entity_id).before_json(before).after_json(after);
    write(conn, actor, Utc::now(), event).await
}

/// Writes one audit row: `event` done by `actor` (unless it names another) at `at`.
pub(crate) async fn write<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    at: DateTime<Utc>,
    event: AuditEvent,
) -> StoreResult<()> {
    let actor = event.by.as_ref().unwrap_or(actor);
    let owner_id = match event.entity_id {
        Some(id) => owner_of(conn, event.entity_type, id).await?,
        None => None,
    };
    audit_entry::ActiveModel {
        at: Set(at),
        actor_id: Set(actor.user_id),
        actor_name: Set(actor.username.clone()),
        action: Set(event.action.into_owned()),
        entity_type: Set(event.entity_type.to_owned()),
        entity_id: Set(event.entity_id),
        before: Set(event.before.map(|v| v.to_string())),
        after: Set(event.after.map(|v| v.to_string())),
        ip: Set(actor.ip.clone()),
        request_id: Set(actor.request_id.clone()),
        owner_id: Set(owner_id),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// The current owner of the customer or deal `id` (other kinds have none):
/// read in the change's own transaction, after the change.
async fn owner_of<C: ConnectionTrait>(conn: &C, entity_type: &str, id: i64) -> StoreResult<Option<i64>> {
    use crate::entity::{customer, opportunity};
    use sea_orm::QuerySelect;
    let owner: Option<Option<i64>> = match entity_type {
        CUSTOMER => {
            customer::Entity::find_by_id(id)
                .select_only()
                .column(customer::Column::OwnerId)
                .into_tuple()
                .one(conn)
                .await?
        }
        OPPORTUNITY => {
            let owner = opportunity::Entity::find_by_id(id).select_only().column(opportunity::Column::OwnerId);
            owner.into_tuple::<i64>().one(conn).await?.map(Some)
        }
        _ => None,
    };
    Ok(owner.flatten())
}

/// The entity types whose changes carry their record's owner.
pub(crate) const CUSTOMER: &str = "customer";
pub(crate) const OPPORTUNITY: &str = "opportunity";

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

/// Keys of an entry's `before`/`after` that hold a person's id: the
/// readable history names them.
pub const PERSON_KEYS: [&str; 7] =
    ["owner_id", "from_owner_id", "to_owner_id", "from_user_id", "to_user_id", "user_id", "assignee_id"];

/// The display names of everyone the entries name (their actors, and the
/// people in their details under [`PERSON_KEYS`]), in one query.
pub async fn people_named(
    store: &Store,
    entries: &[AuditEntry],
) -> StoreResult<std::collections::HashMap<i64, String>> {
    let mut ids: std::collections::BTreeSet<i64> = entries.iter().filter_map(|e| e.actor_id).collect();
    for e in entries {
        for side in [&e.before, &e.after].into_iter().flatten() {
            if let serde_json::Value::Object(map) = side {
                ids.extend(PERSON_KEYS.iter().filter_map(|k| map.get(*k).and_then(serde_json::Value::as_i64)));
            }
        }
    }
    crate::shared::owner_names(store.reader(), ids.into_iter()).await
}
