//! Leads (线索): worked by their owner from new to qualified, then
//! converted in one step into a customer and contact, reusing a customer
//! the duplicate check finds.
//!
//! Scope: a lead always has an owner (there is no pool for leads) and is
//! visible when that owner is in the caller's scope. Leads use the
//! customers permissions.
//!
//! Converting can open an opportunity too, in the same transaction.

mod conversion;
mod duplicates;
mod list;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::customers::{name_key, phone_key};
use salesflow_domain::leads::{self as rules, Intention, LeadFields, LeadStatus};
use salesflow_domain::validation::FieldError;
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::Serialize;

use crate::Store;
use crate::audit::AuditEvent;
use crate::clashes;
use crate::entity::lead;
use crate::error::{StoreError, StoreResult};
use crate::scope::Actor;
use crate::search::Kind;
use crate::shared::{check_owner, clean, owner_names, selection};
use crate::unit_of_work::UnitOfWork;

pub use conversion::{Conversion, ConversionPreview, ConvertInput, ConvertOpportunity, conversion_preview, convert};
pub use duplicates::{LeadDuplicate, find_duplicates};
use duplicates::{duplicate_errors, duplicates};
pub use list::{LeadFilter, list_leads};

// ---------------------------------------------------------------- views

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LeadView {
    pub id: i64,
    /// The person.
    pub name: String,
    pub company: Option<String>,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub source: Option<String>,
    pub campaign: Option<String>,
    /// `high|medium|low`, `null` when not assessed.
    pub intention: Option<String>,
    /// `new|contacted|qualified|disqualified`.
    pub status: String,
    pub owner_id: i64,
    pub owner_name: Option<String>,
    pub notes: String,
    pub disqualify_reason: Option<String>,
    /// Set when converted: the customer and contact it became.
    pub converted_customer_id: Option<i64>,
    pub converted_contact_id: Option<i64>,
    pub converted_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

fn view(m: lead::Model, names: &HashMap<i64, String>) -> LeadView {
    LeadView {
        owner_name: names.get(&m.owner_id).cloned(),
        id: m.id,
        name: m.name,
        company: m.company,
        title: m.title,
        phone: m.phone,
        mobile: m.mobile,
        email: m.email,
        province: m.province,
        city: m.city,
        source: m.source,
        campaign: m.campaign,
        intention: m.intention,
        status: m.status,
        owner_id: m.owner_id,
        notes: m.notes,
        disqualify_reason: m.disqualify_reason,
        converted_customer_id: m.converted_customer_id,
        converted_contact_id: m.converted_contact_id,
        converted_at: m.converted_at,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
        deleted_at: m.deleted_at,
    }
}

async fn one_view<C: ConnectionTrait>(conn: &C, m: lead::Model) -> StoreResult<LeadView> {
    let names = owner_names(conn, std::iter::once(m.owner_id)).await?;
    Ok(view(m, &names))
}

/// A lead in the caller's scope (soft-deleted ones included).
async fn find_visible<C: ConnectionTrait>(conn: &C, actor: &Actor, id: i64) -> StoreResult<lead::Model> {
    lead::Entity::find_by_id(id)
        .filter(actor.scope_condition(lead::Column::OwnerId))
        .one(conn)
        .await?
        .ok_or(StoreError::NotFound)
}

/// A lead in scope that may still change: not deleted, not converted.
async fn find_changeable<C: ConnectionTrait>(conn: &C, actor: &Actor, id: i64) -> StoreResult<lead::Model> {
    let m = find_visible(conn, actor, id).await?;
    if m.deleted_at.is_some() {
        return Err(StoreError::NotFound);
    }
    rules::check_changeable(m.converted_at.is_some())?;
    Ok(m)
}

fn status_of(m: &lead::Model) -> LeadStatus {
    LeadStatus::parse(&m.status).unwrap_or(LeadStatus::New)
}

// ---------------------------------------------------------------- input

#[derive(Debug, Clone, Default)]
pub struct LeadInput {
    pub name: String,
    pub company: Option<String>,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub source: Option<String>,
    pub campaign: Option<String>,
    /// `high|medium|low`; blank: not assessed.
    pub intention: Option<String>,
    /// `None`: `new` when creating, unchanged when updating.
    pub status: Option<String>,
    /// `None`: the caller when creating, unchanged when updating.
    pub owner_id: Option<i64>,
    pub notes: String,
    /// Required when the status is `disqualified`.
    pub disqualify_reason: Option<String>,
    /// Save although a customer, contact or lead with the same company
    /// name, phone or e-mail exists.
    pub allow_duplicate: bool,
    /// Why a manager saves despite a clash (撞单) with another owner's customer.
    pub duplicate_reason: Option<String>,
}

fn text(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("")
}

pub(crate) fn check_lead(input: &LeadInput, status: &str) -> Invalid {
    rules::check(&LeadFields {
        name: &input.name,
        company: text(&input.company),
        title: text(&input.title),
        phone: text(&input.phone),
        mobile: text(&input.mobile),
        email: text(&input.email),
        province: text(&input.province),
        city: text(&input.city),
        source: text(&input.source),
        campaign: text(&input.campaign),
        intention: text(&input.intention),
        status,
        notes: &input.notes,
        disqualify_reason: text(&input.disqualify_reason),
    })
}

/// The normalised keys duplicates are found by.
pub(crate) struct Keys {
    pub(crate) company: Option<String>,
    pub(crate) phone: Option<String>,
    pub(crate) mobile: Option<String>,
    pub(crate) email: Option<String>,
}

impl Keys {
    pub(crate) fn of(input: &LeadInput) -> Keys {
        Keys {
            company: clean(&input.company).map(|c| name_key(&c)),
            phone: input.phone.as_deref().and_then(phone_key),
            mobile: input.mobile.as_deref().and_then(phone_key),
            email: clean(&input.email).map(|e| e.to_lowercase()),
        }
    }

    fn same_as(&self, m: &lead::Model) -> bool {
        self.company == m.company_key
            && self.phone == m.phone_key
            && self.mobile == m.mobile_key
            && self.email == m.email_key
    }
}

pub(crate) fn intention_code(input: &LeadInput) -> Option<String> {
    clean(&input.intention).and_then(|i| Intention::parse(&i)).map(|i| i.code().to_owned())
}

pub(crate) fn search_texts(m: &lead::Model) -> Vec<&str> {
    [Some(m.name.as_str()), m.company.as_deref(), m.phone.as_deref(), m.mobile.as_deref(), m.email.as_deref()]
        .into_iter()
        .flatten()
        .collect()
}

// ---------------------------------------------------------------- create, read, update, delete

/// A checked lead as a row to insert (creating one, or many in an import).
pub(crate) fn new_lead(input: &LeadInput, status: String, owner: i64, now: DateTime<Utc>) -> lead::ActiveModel {
    let keys = Keys::of(input);
    let reason = if status == LeadStatus::Disqualified.code() { clean(&input.disqualify_reason) } else { None };
    lead::ActiveModel {
        name: Set(input.name.trim().to_owned()),
        company: Set(clean(&input.company)),
        company_key: Set(keys.company),
        title: Set(clean(&input.title)),
        phone: Set(clean(&input.phone)),
        mobile: Set(clean(&input.mobile)),
        phone_key: Set(keys.phone),
        mobile_key: Set(keys.mobile),
        email: Set(clean(&input.email)),
        email_key: Set(keys.email),
        province: Set(clean(&input.province)),
        city: Set(clean(&input.city)),
        source: Set(clean(&input.source)),
        campaign: Set(clean(&input.campaign)),
        intention: Set(intention_code(input)),
        status: Set(status),
        owner_id: Set(owner),
        notes: Set(input.notes.trim().to_owned()),
        disqualify_reason: Set(reason),
        converted_customer_id: Set(None),
        converted_contact_id: Set(None),
        converted_at: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

pub async fn create_lead(store: &Store, actor: &Actor, input: LeadInput) -> StoreResult<LeadView> {
    let permit = store.permit(actor, Module::Customers, Action::Create)?;
    let owner = input.owner_id.or(actor.user_id);
    let status = clean(&input.status).unwrap_or_else(|| LeadStatus::New.code().to_owned());
    let mut invalid = check_lead(&input, &status);
    let txn = permit.begin().await?;
    match owner {
        Some(owner) => check_owner(&txn, actor, &mut invalid, Some(owner)).await?,
        // The system itself (imports, demo) must name the owner.
        None => invalid.push(FieldError::new("owner_id", "required")),
    }
    invalid.into_result()?;
    let accepted = clashes::lead(&txn, actor, &input, owner).await?;
    if !input.allow_duplicate {
        duplicate_errors(actor, &duplicates(&txn, &input, None).await?).into_result()?;
    }
    let owner = owner.ok_or(StoreError::Forbidden)?;
    let m = new_lead(&input, status, owner, txn.now()).insert(&txn).await?;
    txn.index(Kind::Lead, m.id, &search_texts(&m)).await?;
    let v = one_view(&txn, m).await?;
    txn.commit(clashes::Accepted::note(&accepted, AuditEvent::new("lead.create", "lead", Some(v.id)).after(&v)))
        .await?;
    Ok(v)
}

pub async fn get_lead(store: &Store, actor: &Actor, id: i64) -> StoreResult<LeadView> {
    actor.require(Module::Customers, Action::View)?;
    let m = find_visible(store.reader(), actor, id).await?;
    one_view(store.reader(), m).await
}

/// A lead's history, newest first: its audit entries (created, edited,
/// status changes, given to someone, converted, deleted), for the lead
/// page's sentences. Only for a lead in the caller's scope.
pub async fn history(store: &Store, actor: &Actor, id: i64, limit: u64) -> StoreResult<Vec<crate::audit::AuditEntry>> {
    actor.require(Module::Customers, Action::View)?;
    find_visible(store.reader(), actor, id).await?;
    let rows = crate::entity::audit_entry::Entity::find()
        .filter(crate::entity::audit_entry::Column::EntityType.eq("lead"))
        .filter(crate::entity::audit_entry::Column::EntityId.eq(id))
        .order_by_desc(crate::entity::audit_entry::Column::Id)
        .limit(limit)
        .all(store.reader())
        .await?;
    Ok(rows.into_iter().map(crate::audit::AuditEntry::from).collect())
}

/// Replaces a lead's fields (`version` must be current). The status and
/// owner change only when given. Converted leads no longer change.
pub async fn update_lead(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: i64,
    input: LeadInput,
) -> StoreResult<LeadView> {
    let permit = store.permit(actor, Module::Customers, Action::Edit)?;
    let txn = permit.begin().await?;
    let before = find_changeable(&txn, actor, id).await?;
    let status = clean(&input.status).unwrap_or_else(|| before.status.clone());
    let mut invalid = check_lead(&input, &status);
    let owner = input.owner_id.unwrap_or(before.owner_id);
    if owner != before.owner_id {
        check_owner(&txn, actor, &mut invalid, Some(owner)).await?;
    }
    invalid.into_result()?;
    let keys = Keys::of(&input);
    let accepted = if keys.same_as(&before) { None } else { clashes::lead(&txn, actor, &input, Some(owner)).await? };
    if !input.allow_duplicate && !keys.same_as(&before) {
        duplicate_errors(actor, &duplicates(&txn, &input, Some(id)).await?).into_result()?;
    }
    let reason = if status == LeadStatus::Disqualified.code() { clean(&input.disqualify_reason) } else { None };
    let after = txn
        .update::<lead::Entity>(id, version)
        .set(lead::Column::Name, Expr::value(input.name.trim()))
        .set(lead::Column::Company, Expr::value(clean(&input.company)))
        .set(lead::Column::CompanyKey, Expr::value(keys.company))
        .set(lead::Column::Title, Expr::value(clean(&input.title)))
        .set(lead::Column::Phone, Expr::value(clean(&input.phone)))
        .set(lead::Column::Mobile, Expr::value(clean(&input.mobile)))
        .set(lead::Column::PhoneKey, Expr::value(keys.phone))
        .set(lead::Column::MobileKey, Expr::value(keys.mobile))
        .set(lead::Column::Email, Expr::value(clean(&input.email)))
        .set(lead::Column::EmailKey, Expr::value(keys.email))
        .set(lead::Column::Province, Expr::value(clean(&input.province)))
        .set(lead::Column::City, Expr::value(clean(&input.city)))
        .set(lead::Column::Source, Expr::value(clean(&input.source)))
        .set(lead::Column::Campaign, Expr::value(clean(&input.campaign)))
        .set(lead::Column::Intention, Expr::value(intention_code(&input)))
        .set(lead::Column::Status, Expr::value(status))
        .set(lead::Column::OwnerId, Expr::value(owner))
        .set(lead::Column::Notes, Expr::value(input.notes.trim()))
        .set(lead::Column::DisqualifyReason, Expr::value(reason))
        .exec()
        .await?;
    txn.index(Kind::Lead, id, &search_texts(&after)).await?;
    let names = owner_names(&txn, [before.owner_id, after.owner_id].into_iter()).await?;
    let (before, after) = (view(before, &names), view(after, &names));
    let event = AuditEvent::new("lead.update", "lead", Some(id)).before(&before).after(&after);
    txn.commit(clashes::Accepted::note(&accepted, event)).await?;
    Ok(after)
}

/// Moves a lead to another status (the quick buttons: contacted,
/// qualified, disqualified with a reason).
pub async fn set_status(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: i64,
    status: &str,
    reason: &str,
) -> StoreResult<LeadView> {
    let permit = store.permit(actor, Module::Customers, Action::Edit)?;
    let txn = permit.begin().await?;
    let before = find_changeable(&txn, actor, id).await?;
    let Some(status) = LeadStatus::parse(status) else {
        return Err(Invalid::one("status", "invalid_choice").into());
    };
    rules::check_status(status, reason).into_result()?;
    let reason = (status == LeadStatus::Disqualified).then(|| reason.trim().to_owned());
    let after = txn
        .update::<lead::Entity>(id, version)
        .set(lead::Column::Status, Expr::value(status.code()))
        .set(lead::Column::DisqualifyReason, Expr::value(reason))
        .exec()
        .await?;
    let names = owner_names(&txn, std::iter::once(after.owner_id)).await?;
    let (before, after) = (view(before, &names), view(after, &names));
    txn.commit(AuditEvent::new("lead.status", "lead", Some(id)).before(&before).after(&after)).await?;
    Ok(after)
}

/// Soft-deletes (`deleted = true`) or restores a lead.
pub async fn set_lead_deleted(store: &Store, actor: &Actor, id: i64, deleted: bool) -> StoreResult<LeadView> {
    let permit = store.permit(actor, Module::Customers, Action::Delete)?;
    let txn = permit.begin().await?;
    let before = find_visible(&txn, actor, id).await?;
    if before.deleted_at.is_some() == deleted {
        return if deleted { Err(StoreError::NotFound) } else { one_view(&txn, before).await };
    }
    let now = txn.now();
    let after = txn
        .update::<lead::Entity>(id, before.version)
        .set(lead::Column::DeletedAt, Expr::value(if deleted { Some(now) } else { None }))
        .exec()
        .await?;
    let v = one_view(&txn, after).await?;
    let action = if deleted { "lead.delete" } else { "lead.restore" };
    txn.commit(AuditEvent::new(action, "lead", Some(id)).after(&v)).await?;
    Ok(v)
}

/// The leads of `from` a hand-over would move: those not converted yet
/// and not deleted (all, or those of `only`).
pub(crate) async fn handover_ids<C: ConnectionTrait>(
    conn: &C,
    from: i64,
    only: Option<&[i64]>,
) -> StoreResult<Vec<i64>> {
    let mut query = lead::Entity::find()
        .select_only()
        .column(lead::Column::Id)
        .filter(lead::Column::OwnerId.eq(from))
        .filter(lead::Column::ConvertedAt.is_null())
        .filter(lead::Column::DeletedAt.is_null())
        .order_by_asc(lead::Column::Id);
    if let Some(ids) = only {
        query = query.filter(lead::Column::Id.is_in(ids.iter().copied()));
    }
    Ok(query.into_tuple().all(conn).await?)
}

/// Gives these leads (found by `handover_ids`) to `to`.
pub(crate) async fn hand_over(unit: &UnitOfWork<'_>, ids: &[i64], to: i64) -> StoreResult<u64> {
    let mut moved = 0;
    for chunk in ids.chunks(500) {
        moved += unit
            .update_all::<lead::Entity>(Condition::all().add(lead::Column::Id.is_in(chunk.iter().copied())))
            .set(lead::Column::OwnerId, Expr::value(to))
            .exec()
            .await?;
    }
    Ok(moved)
}

// ---------------------------------------------------------------- bulk actions

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeadBulkAction {
    /// Hand the leads to this person (someone in the caller's scope).
    AssignOwner(i64),
    Delete,
}

/// Applies one action to selected leads, all or none: every lead must be in
/// the caller's scope and not deleted; converted leads keep their owner.
/// Deleting needs the delete right, as deleting one lead does. Each change
/// is audited. Returns how many changed.
pub async fn bulk(store: &Store, actor: &Actor, ids: &[i64], action: LeadBulkAction) -> StoreResult<u64> {
    let needed = if action == LeadBulkAction::Delete { Action::Delete } else { Action::Edit };
    let permit = store.permit(actor, Module::Customers, needed)?;
    let ids = selection(ids)?;
    let txn = permit.begin().await?;
    if let LeadBulkAction::AssignOwner(owner) = action {
        let mut invalid = Invalid::new();
        check_owner(&txn, actor, &mut invalid, Some(owner)).await?;
        invalid.into_result()?;
    }
    let rows = lead::Entity::find()
        .filter(lead::Column::Id.is_in(ids.iter().copied()))
        .filter(lead::Column::DeletedAt.is_null())
        .filter(actor.scope_condition(lead::Column::OwnerId))
        .all(&txn)
        .await?;
    if rows.len() != ids.len() {
        return Err(StoreError::NotFound);
    }
    if matches!(action, LeadBulkAction::AssignOwner(_)) && rows.iter().any(|l| l.converted_at.is_some()) {
        return Err(Invalid::one("ids", "lead_converted").into());
    }
    let now = txn.now();
    let mut audited = None;
    for l in rows {
        let mut update = txn.update::<lead::Entity>(l.id, l.version);
        let (code, detail) = match action {
            LeadBulkAction::AssignOwner(owner) => {
                update = update.set(lead::Column::OwnerId, Expr::value(owner));
                ("lead.assign", serde_json::json!({ "from_owner_id": l.owner_id, "owner_id": owner }))
            }
            LeadBulkAction::Delete => {
                update = update.set(lead::Column::DeletedAt, Expr::value(now));
                ("lead.delete", serde_json::json!({ "bulk": true }))
            }
        };
        update.exec_without_reading().await?;
        audited = Some(txn.record(AuditEvent::new(code, "lead", Some(l.id)).detail(detail)).await?);
    }
    if let Some(audited) = audited {
        txn.commit_recorded(audited).await?;
    }
    Ok(ids.len() as u64)
}
