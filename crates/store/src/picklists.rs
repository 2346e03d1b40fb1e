//! The customer picklists (industry, source, customer type): everyone reads
//! them (forms, filters, labels); administrators of the settings add,
//! rename, reorder and deactivate choices. A choice is never deleted:
//! customers hold its code.

use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::records::{self, Choice, Picklist};
use salesflow_domain::validation::FieldError;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::Serialize;

use crate::Store;
use crate::audit::AuditEvent;
use crate::entity::picklist_entry;
use crate::error::{StoreError, StoreResult};
use crate::scope::Actor;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PicklistEntry {
    pub id: i64,
    /// `industry`, `source` or `kind` (customer type).
    pub list: String,
    /// What customers store and the API takes.
    pub code: String,
    pub label_zh: String,
    /// Empty: the Chinese label is shown to English readers too.
    pub label_en: String,
    pub position: i32,
    /// Inactive: no longer offered; customers keep it.
    pub active: bool,
    pub version: i64,
}

fn view(m: picklist_entry::Model) -> PicklistEntry {
    PicklistEntry {
        id: m.id,
        list: m.list,
        code: m.code,
        label_zh: m.label_zh,
        label_en: m.label_en,
        position: m.position,
        active: m.active,
        version: m.version,
    }
}

impl PicklistEntry {
    pub fn choice(&self) -> Choice {
        Choice {
            code: self.code.clone(),
            label_zh: self.label_zh.clone(),
            label_en: self.label_en.clone(),
            active: self.active,
        }
    }

    pub fn label(&self, locale: &str) -> &str {
        if locale.starts_with("zh") || self.label_en.is_empty() { &self.label_zh } else { &self.label_en }
    }
}

/// Every list's choices, in order.
#[derive(Debug, Clone, Default)]
pub struct Picklists {
    pub entries: Vec<PicklistEntry>,
}

impl Picklists {
    pub fn of(&self, list: Picklist) -> impl Iterator<Item = &PicklistEntry> {
        self.entries.iter().filter(move |e| e.list == list.code())
    }

    pub fn choices(&self, list: Picklist) -> Vec<Choice> {
        self.of(list).map(PicklistEntry::choice).collect()
    }

    /// The label of a stored code in the reader's language; the code itself
    /// when no choice has it.
    pub fn label<'a>(&'a self, list: Picklist, code: &'a str, locale: &str) -> &'a str {
        self.of(list).find(|e| e.code == code).map(|e| e.label(locale)).unwrap_or(code)
    }
}

pub(crate) async fn load<C: ConnectionTrait>(conn: &C) -> StoreResult<Picklists> {
    let rows = picklist_entry::Entity::find()
        .order_by_asc(picklist_entry::Column::List)
        .order_by_asc(picklist_entry::Column::Position)
        .order_by_asc(picklist_entry::Column::Id)
        .all(conn)
        .await?;
    Ok(Picklists { entries: rows.into_iter().map(view).collect() })
}

/// Every choice of every list (any signed-in user: forms need them).
pub async fn all(store: &Store) -> StoreResult<Picklists> {
    load(store.reader()).await
}

#[derive(Debug, Clone, Default)]
pub struct EntryInput {
    pub code: String,
    pub label_zh: String,
    pub label_en: String,
    /// `None`: at the end (new) or where it was (change).
    pub position: Option<i32>,
    pub active: bool,
}

fn parse_list(list: &str) -> StoreResult<Picklist> {
    Picklist::parse(list).ok_or_else(|| Invalid::one("list", "invalid_choice").into())
}

pub async fn create(store: &Store, actor: &Actor, list: &str, input: EntryInput) -> StoreResult<PicklistEntry> {
    let permit = store.permit(actor, Module::Settings, Action::Edit)?;
    let list = parse_list(list)?;
    let unit = permit.begin().await?;
    let current = load(&unit).await?;
    let taken: Vec<&str> = current.of(list).map(|e| e.code.as_str()).collect();
    records::check_choice(&input.code, &input.label_zh, &input.label_en, &taken).into_result()?;
    let position = input.position.unwrap_or_else(|| current.of(list).map(|e| e.position).max().unwrap_or(0) + 1);
    let m = picklist_entry::ActiveModel {
        list: Set(list.code().to_owned()),
        code: Set(input.code.trim().to_owned()),
        label_zh: Set(input.label_zh.trim().to_owned()),
        label_en: Set(input.label_en.trim().to_owned()),
        position: Set(position),
        active: Set(input.active),
        version: Set(1),
        updated_at: Set(unit.now()),
        ..Default::default()
    }
    .insert(&unit)
    .await?;
    let v = view(m);
    unit.commit(AuditEvent::new("picklist.create", "picklist_entry", Some(v.id)).after(&v)).await?;
    Ok(v)
}

/// Changes a choice's labels, place and whether it is offered. The code
/// stays: customers hold it.
pub async fn update(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: i64,
    input: EntryInput,
) -> StoreResult<PicklistEntry> {
    let permit = store.permit(actor, Module::Settings, Action::Edit)?;
    let unit = permit.begin().await?;
    let before = picklist_entry::Entity::find_by_id(id).one(&unit).await?.ok_or(StoreError::NotFound)?;
    let mut invalid = records::check_choice(&before.code, &input.label_zh, &input.label_en, &[]);
    if !input.code.trim().is_empty() && input.code.trim() != before.code {
        invalid.push(FieldError::new("code", "unchangeable"));
    }
    invalid.into_result()?;
    let after = unit
        .update::<picklist_entry::Entity>(id, version)
        .set(picklist_entry::Column::LabelZh, Expr::value(input.label_zh.trim()))
        .set(picklist_entry::Column::LabelEn, Expr::value(input.label_en.trim()))
        .set(picklist_entry::Column::Position, Expr::value(input.position.unwrap_or(before.position)))
        .set(picklist_entry::Column::Active, Expr::value(input.active))
        .exec()
        .await?;
    let (before, after) = (view(before), view(after));
    unit.commit(AuditEvent::new("picklist.update", "picklist_entry", Some(id)).before(&before).after(&after)).await?;
    Ok(after)
}

/// One choice by id.
pub async fn get(store: &Store, id: i64) -> StoreResult<PicklistEntry> {
    picklist_entry::Entity::find()
        .filter(picklist_entry::Column::Id.eq(id))
        .one(store.reader())
        .await?
        .map(view)
        .ok_or(StoreError::NotFound)
}
