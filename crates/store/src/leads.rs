//! Leads (线索): worked by their owner from new to qualified, then
//! converted in one step into a customer and contact, reusing a customer
//! the duplicate check finds.
//!
//! Scope: a lead always has an owner (there is no pool for leads) and is
//! visible when that owner is in the caller's scope. Leads use the
//! customers permissions.
//!
//! Converting can open an opportunity too, in the same transaction.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::customers::{ContactRole, name_key, phone_key};
use salesflow_domain::leads::{self as rules, Intention, LeadFields, LeadStatus};
use salesflow_domain::validation::FieldError;
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use serde::Serialize;

use crate::Store;
use crate::audit::{self, AuditEvent};
use crate::clashes;
use crate::customers::{
    self, ContactInput, CustomerInput, Duplicate, check_contact, check_input, contact_duplicates, duplicates_by_name,
    insert_contact, insert_customer, require_owned,
};
use crate::entity::{contact, customer, lead};
use crate::error::{StoreError, StoreResult};
use crate::opportunities::{OpportunityInput, insert_opportunity};
use crate::paging::{Key, Keyset, Page, PageRequest, SortField};
use crate::scope::Actor;
use crate::search::{self, Kind};
use crate::shared::{check_owner, clean, hidden_owners, owner_names, selection};
use crate::unit_of_work::UnitOfWork;

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

// ---------------------------------------------------------------- duplicates

/// A record a lead may duplicate: an existing customer (by company name or a
/// contact's phone or e-mail) or another lead, found through `field`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LeadDuplicate {
    pub field: String,
    /// `customer` or `lead`.
    pub kind: String,
    pub id: i64,
    pub name: String,
    /// Who owns it, to say whom to ask when the caller may not read it.
    #[serde(skip)]
    owner_id: Option<i64>,
    #[serde(skip)]
    owner_name: Option<String>,
}

impl LeadDuplicate {
    /// Customers in the public pool are everyone's to read; otherwise the
    /// owner must be in the caller's scope.
    fn readable(&self, actor: &Actor) -> bool {
        (self.kind == "customer" && self.owner_id.is_none()) || actor.sees_owner(self.owner_id)
    }
}

fn found(field: &str, kind: &str, id: i64, name: String, owner_id: Option<i64>) -> LeadDuplicate {
    LeadDuplicate { field: field.to_owned(), kind: kind.to_owned(), id, name, owner_id, owner_name: None }
}

/// Per field: `possible_duplicate` naming the records the caller may read,
/// `duplicate_elsewhere` naming only the owners of the others.
fn duplicate_errors(actor: &Actor, found: &[LeadDuplicate]) -> Invalid {
    let mut invalid = Invalid::new();
    let mut fields: Vec<&str> = Vec::new();
    for d in found {
        if !fields.contains(&d.field.as_str()) {
            fields.push(&d.field);
        }
    }
    for field in fields {
        let mut names: Vec<&str> = Vec::new();
        let mut hidden: Vec<Option<&String>> = Vec::new();
        for d in found.iter().filter(|d| d.field == field) {
            if !d.readable(actor) {
                hidden.push(d.owner_name.as_ref());
            } else if !names.contains(&d.name.as_str()) {
                names.push(&d.name);
            }
        }
        if !names.is_empty() {
            invalid.push(FieldError::new(field, "possible_duplicate").with("names", names.join("、")));
        }
        if !hidden.is_empty() {
            invalid.push(FieldError::new(field, "duplicate_elsewhere").with("owners", hidden_owners(hidden)));
        }
    }
    invalid
}

/// Other leads matching `cond`, named with their company.
async fn leads_with<C: ConnectionTrait>(
    conn: &C,
    field: &str,
    cond: Condition,
    except: Option<i64>,
) -> StoreResult<Vec<LeadDuplicate>> {
    let mut q = lead::Entity::find().filter(cond).filter(lead::Column::DeletedAt.is_null());
    if let Some(id) = except {
        q = q.filter(lead::Column::Id.ne(id));
    }
    let rows = q.limit(5).all(conn).await?;
    Ok(rows
        .into_iter()
        .map(|l| {
            let name = match l.company {
                Some(c) => format!("{}（{c}）", l.name),
                None => l.name,
            };
            found(field, "lead", l.id, name, Some(l.owner_id))
        })
        .collect())
}

/// Customers, contacts and leads that look like the same company or person:
/// same normalised company name, phone or e-mail.
async fn duplicates<C: ConnectionTrait>(
    conn: &C,
    input: &LeadInput,
    except: Option<i64>,
) -> StoreResult<Vec<LeadDuplicate>> {
    let keys = Keys::of(input);
    let mut all = Vec::new();
    if let (Some(company), Some(key)) = (clean(&input.company), keys.company.clone()) {
        for d in duplicates_by_name(conn, &company, None).await? {
            all.push(found("company", "customer", d.id, d.name, d.owner_id));
        }
        all.extend(leads_with(conn, "company", Condition::all().add(lead::Column::CompanyKey.eq(key)), except).await?);
    }
    for (field, value, key) in [
        ("phone", &input.phone, keys.phone),
        ("mobile", &input.mobile, keys.mobile),
        ("email", &input.email, keys.email),
    ] {
        let Some(key) = key else { continue };
        // Contacts through the customers' own check, one field at a time.
        let probe = if field == "email" {
            ContactInput { email: value.clone(), ..Default::default() }
        } else {
            ContactInput { phone: value.clone(), ..Default::default() }
        };
        for (_, d) in contact_duplicates(conn, &probe, None).await? {
            all.push(found(field, "customer", d.id, d.name, d.owner_id));
        }
        let cond = if field == "email" {
            Condition::all().add(lead::Column::EmailKey.eq(key))
        } else {
            Condition::any().add(lead::Column::PhoneKey.eq(key.clone())).add(lead::Column::MobileKey.eq(key))
        };
        all.extend(leads_with(conn, field, cond, except).await?);
    }
    let names = owner_names(conn, all.iter().filter_map(|d| d.owner_id)).await?;
    for d in &mut all {
        d.owner_name = d.owner_id.and_then(|o| names.get(&o).cloned());
    }
    Ok(all)
}

/// The records a lead's input may duplicate (for links beside the warning);
/// `except` is the lead being edited.
pub async fn find_duplicates(
    store: &Store,
    actor: &Actor,
    input: &LeadInput,
    except: Option<i64>,
) -> StoreResult<Vec<LeadDuplicate>> {
    actor.require(Module::Customers, Action::View)?;
    // Only what the caller may read gets a link; the rest is in the warning.
    Ok(duplicates(store.reader(), input, except).await?.into_iter().filter(|d| d.readable(actor)).collect())
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

/// Hands the unconverted leads of `from` to `to`, in the hand-over's unit
/// (`handover::transfer`). Returns how many moved.
pub(crate) async fn hand_over(unit: &UnitOfWork<'_>, from: i64, to: i64) -> StoreResult<u64> {
    unit.update_all::<lead::Entity>(
        Condition::all().add(lead::Column::OwnerId.eq(from)).add(lead::Column::ConvertedAt.is_null()),
    )
    .set(lead::Column::OwnerId, Expr::value(to))
    .exec()
    .await
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

// ---------------------------------------------------------------- list

#[derive(Debug, Clone, Default)]
pub struct LeadFilter {
    /// Part of the name, company, phone or e-mail, in any script.
    pub q: Option<String>,
    pub status: Option<String>,
    pub intention: Option<String>,
    pub source: Option<String>,
    pub campaign: Option<String>,
    pub owner_id: Option<i64>,
    /// `Some(true)`: only converted leads; `Some(false)`: only open ones.
    pub converted: Option<bool>,
    pub deleted: bool,
    /// Only these leads (an export of selected rows).
    pub ids: Option<Vec<i64>>,
}

const SORTS: [SortField<lead::Column>; 4] = [
    SortField { name: "created_at", column: lead::Column::CreatedAt },
    SortField { name: "updated_at", column: lead::Column::UpdatedAt },
    SortField { name: "name", column: lead::Column::Name },
    SortField { name: "id", column: lead::Column::Id },
];

/// Leads in the caller's scope. Sort: `-created_at` (default),
/// `updated_at`, `name`, `id`.
pub async fn list_leads(
    store: &Store,
    actor: &Actor,
    filter: &LeadFilter,
    page: &PageRequest,
) -> StoreResult<Page<LeadView>> {
    actor.require(Module::Customers, Action::View)?;
    let keyset = Keyset::parse(page, &SORTS, "-created_at")?;
    let mut query = lead::Entity::find().filter(actor.scope_condition(lead::Column::OwnerId));
    query = if filter.deleted {
        query.filter(lead::Column::DeletedAt.is_not_null())
    } else {
        query.filter(lead::Column::DeletedAt.is_null())
    };
    if let Some(q) = filter.q.as_deref()
        && let Some(ids) = search::matching(store.reader(), Kind::Lead, q).await?
    {
        query = query.filter(lead::Column::Id.in_subquery(ids));
    }
    if let Some(o) = filter.owner_id {
        query = query.filter(lead::Column::OwnerId.eq(o));
    }
    for (column, value) in [
        (lead::Column::Status, filter.status.as_deref().and_then(LeadStatus::parse).map(|s| s.code().to_owned())),
        (lead::Column::Intention, filter.intention.as_deref().and_then(Intention::parse).map(|i| i.code().to_owned())),
        (lead::Column::Source, clean(&filter.source)),
        (lead::Column::Campaign, clean(&filter.campaign)),
    ] {
        if let Some(v) = value {
            query = query.filter(column.eq(v));
        }
    }
    if let Some(ids) = &filter.ids {
        query = query.filter(lead::Column::Id.is_in(ids.iter().copied()));
    }
    match filter.converted {
        Some(true) => query = query.filter(lead::Column::ConvertedAt.is_not_null()),
        Some(false) => query = query.filter(lead::Column::ConvertedAt.is_null()),
        None => {}
    }
    let rows = keyset.apply(query, lead::Column::Id).all(store.reader()).await?;
    let names = owner_names(store.reader(), rows.iter().map(|l| l.owner_id)).await?;
    let page = keyset.finish(rows, |l, field| {
        let key = match field {
            "created_at" => Key::Time(l.created_at),
            "updated_at" => Key::Time(l.updated_at),
            "name" => Key::Text(l.name.clone()),
            _ => Key::Int(l.id),
        };
        (key, l.id)
    });
    Ok(page.map(|l| view(l, &names)))
}

// ---------------------------------------------------------------- conversion

/// What converting a lead would do, from the duplicate check.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConversionPreview {
    /// The existing customer the lead would be added to.
    pub existing_customer: Option<Duplicate>,
    /// Customers that look the same but that the caller cannot add to
    /// (in the public pool, or someone else's inside the caller's scope):
    /// converting needs `new_customer: true` or a `customer_id` then.
    pub others: Vec<Duplicate>,
    /// Look-alikes outside the caller's scope: only who owns them (display
    /// names), so that the caller can ask; never their ids or names.
    pub elsewhere: Vec<String>,
    /// The name a new customer would get.
    pub new_customer_name: String,
}

/// The caller's choice when converting.
#[derive(Debug, Clone, Default)]
pub struct ConvertInput {
    /// Add the lead to this customer (one the caller may change).
    pub customer_id: Option<i64>,
    /// Create a new customer even when the duplicate check finds one.
    pub new_customer: bool,
    /// The new contact's role; default `handler`.
    pub contact_role: Option<String>,
    /// The lead's version last read; default the current one.
    pub version: Option<i64>,
    /// Also open an opportunity for the new customer and contact.
    pub opportunity: Option<ConvertOpportunity>,
}

/// The opportunity a conversion opens: owned by the lead's owner, with
/// the lead's source and campaign and the contact in the deal.
#[derive(Debug, Clone, Default)]
pub struct ConvertOpportunity {
    /// Default: the customer's name.
    pub name: Option<String>,
    pub amount: salesflow_domain::money::Money,
    /// Default: the first pipeline (its first stage).
    pub pipeline_id: Option<i64>,
    pub expected_close_date: Option<chrono::NaiveDate>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Conversion {
    pub lead: LeadView,
    pub customer_id: i64,
    pub contact_id: i64,
    /// `true`: the lead joined an existing customer.
    pub customer_reused: bool,
    /// `true`: that customer already had this person as a contact.
    pub contact_reused: bool,
    /// The opportunity opened, when one was asked for.
    pub opportunity_id: Option<i64>,
}

fn contact_probe(m: &lead::Model) -> ContactInput {
    ContactInput { phone: m.phone.clone(), mobile: m.mobile.clone(), email: m.email.clone(), ..Default::default() }
}

/// The duplicate check for a conversion: customers with the lead's
/// normalised company name, then customers with a contact of the same
/// phone or e-mail. The first the caller may change is reused.
async fn match_customer<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    m: &lead::Model,
) -> StoreResult<(Option<customer::Model>, Vec<Duplicate>)> {
    let name = rules::customer_name(&m.name, m.company.as_deref().unwrap_or(""));
    let mut ids: Vec<i64> = duplicates_by_name(conn, name, None).await?.into_iter().map(|d| d.id).collect();
    for (_, d) in contact_duplicates(conn, &contact_probe(m), None).await? {
        if !ids.contains(&d.id) {
            ids.push(d.id);
        }
    }
    if ids.is_empty() {
        return Ok((None, Vec::new()));
    }
    let found = customer::Entity::find()
        .filter(customer::Column::Id.is_in(ids.clone()))
        .filter(customer::Column::DeletedAt.is_null())
        .all(conn)
        .await?;
    let names = owner_names(conn, found.iter().filter_map(|c| c.owner_id)).await?;
    let mut reuse = None;
    let mut others = Vec::new();
    // In the order found: name matches before contact matches.
    for id in ids {
        let Some(c) = found.iter().find(|c| c.id == id) else { continue };
        if reuse.is_none() && require_owned(actor, c).is_ok() {
            reuse = Some(c.clone());
        } else {
            others.push(Duplicate {
                id: c.id,
                name: c.name.clone(),
                owner_name: c.owner_id.and_then(|o| names.get(&o).cloned()),
                owner_id: c.owner_id,
            });
        }
    }
    Ok((reuse, others))
}

pub async fn conversion_preview(store: &Store, actor: &Actor, id: i64) -> StoreResult<ConversionPreview> {
    actor.require(Module::Customers, Action::View)?;
    let m = find_visible(store.reader(), actor, id).await?;
    // A deleted lead converts to nothing: as missing as on every other path.
    if m.deleted_at.is_some() {
        return Err(StoreError::NotFound);
    }
    let (reuse, others) = match_customer(store.reader(), actor, &m).await?;
    let names = owner_names(store.reader(), reuse.iter().filter_map(|c| c.owner_id)).await?;
    let (others, hidden): (Vec<Duplicate>, Vec<Duplicate>) = others.into_iter().partition(|d| d.readable(actor));
    let mut elsewhere: Vec<String> = Vec::new();
    for d in hidden {
        let owner = d.owner_name.unwrap_or_else(|| "?".to_owned());
        if !elsewhere.contains(&owner) {
            elsewhere.push(owner);
        }
    }
    Ok(ConversionPreview {
        existing_customer: reuse.map(|c| Duplicate {
            id: c.id,
            owner_name: c.owner_id.and_then(|o| names.get(&o).cloned()),
            owner_id: c.owner_id,
            name: c.name,
        }),
        others,
        elsewhere,
        new_customer_name: rules::customer_name(&m.name, m.company.as_deref().unwrap_or("")).to_owned(),
    })
}

/// Converts a qualified lead, in one transaction, into a customer (an
/// existing one the duplicate check finds, the one the caller picks, or a
/// new one owned by the lead's owner) and a contact, and links the lead to
/// both. Everything is audited; on any error nothing is changed.
pub async fn convert(store: &Store, actor: &Actor, id: i64, input: ConvertInput) -> StoreResult<Conversion> {
    let permit = store.permit(actor, Module::Customers, Action::Edit)?;
    let txn = permit.begin().await?;
    let before = find_visible(&txn, actor, id).await?;
    if before.deleted_at.is_some() {
        return Err(StoreError::NotFound);
    }
    rules::check_convertible(status_of(&before), before.converted_at.is_some())?;
    let version = input.version.unwrap_or(before.version);
    if version != before.version {
        return Err(StoreError::Conflict("stale version".into()));
    }
    let role = clean(&input.contact_role).unwrap_or_else(|| ContactRole::Handler.code().to_owned());
    if ContactRole::parse(&role).is_none() {
        return Err(Invalid::one("contact_role", "invalid_choice").into());
    }

    // The customer.
    let existing = match (input.customer_id, input.new_customer) {
        (Some(_), true) => return Err(Invalid::one("new_customer", "invalid_choice").into()),
        (Some(cid), false) => {
            let c = customers::find_visible(&txn, actor, cid)
                .await
                .ok()
                .filter(|c| c.deleted_at.is_none())
                .ok_or_else(|| Invalid::one("customer_id", "unknown_reference"))?;
            require_owned(actor, &c).map_err(|_| Invalid::one("customer_id", "customer_not_changeable"))?;
            Some(c)
        }
        (None, true) => None,
        (None, false) => {
            let (reuse, others) = match_customer(&txn, actor, &before).await?;
            if reuse.is_none() && !others.is_empty() {
                let look_alikes: Vec<LeadDuplicate> = others
                    .into_iter()
                    .map(|d| LeadDuplicate {
                        owner_name: d.owner_name,
                        ..found("customer_id", "customer", d.id, d.name, d.owner_id)
                    })
                    .collect();
                return Err(duplicate_errors(actor, &look_alikes).into());
            }
            reuse
        }
    };
    let customer_reused = existing.is_some();
    let customer_id = match existing {
        Some(c) => c.id,
        None => {
            actor.require(Module::Customers, Action::Create)?;
            let new = CustomerInput {
                name: rules::customer_name(&before.name, before.company.as_deref().unwrap_or("")).to_owned(),
                province: before.province.clone(),
                city: before.city.clone(),
                source: before.source.clone().or_else(|| before.campaign.clone()),
                owner_id: Some(before.owner_id),
                ..Default::default()
            };
            let mut invalid = check_input(&new);
            // The lead's owner may have left since: reassign the lead first.
            check_owner(&txn, actor, &mut invalid, Some(before.owner_id)).await?;
            invalid.into_result()?;
            let accepted = clashes::conversion(&txn, actor, &new.name, before.owner_id, id).await?;
            let (customer, event) = insert_customer(&txn, &new, Some(before.owner_id)).await?;
            txn.record(clashes::Accepted::note(&accepted, event)).await?;
            customer.id
        }
    };

    // The contact: the same person at that customer is not added twice.
    let known =
        if customer_reused { existing_contact(&txn, customer_id, &contact_probe(&before)).await? } else { None };
    let contact_reused = known.is_some();
    let contact_id = match known {
        Some(id) => id,
        None => {
            let new = ContactInput {
                customer_id,
                name: before.name.clone(),
                title: before.title.clone(),
                phone: before.phone.clone(),
                mobile: before.mobile.clone(),
                email: before.email.clone(),
                role: role.clone(),
                notes: String::new(),
                allow_duplicate: true,
                duplicate_reason: None,
            };
            check_contact(&new).into_result()?;
            let (contact, event) = insert_contact(&txn, &new).await?;
            txn.record(event).await?;
            contact.id
        }
    };

    // The opportunity, in the same transaction: all or nothing.
    let opportunity_id = match input.opportunity {
        Some(o) => {
            actor.require(Module::Opportunities, Action::Create)?;
            let customer_name = customer::Entity::find_by_id(customer_id).one(&txn).await?.map(|c| c.name);
            let new = OpportunityInput {
                name: clean(&o.name).or(customer_name).unwrap_or_else(|| before.name.clone()),
                customer_id,
                pipeline_id: o.pipeline_id,
                owner_id: Some(before.owner_id),
                amount: o.amount,
                expected_close_date: o.expected_close_date,
                source: before.source.clone(),
                campaign: before.campaign.clone(),
                contacts: Some(vec![(contact_id, role.clone())]),
                lead_id: Some(id),
                ..Default::default()
            };
            let (opportunity, event) = insert_opportunity(&txn, new).await.map_err(|e| prefixed(e, "opportunity."))?;
            txn.record(event).await?;
            Some(opportunity.id)
        }
        None => None,
    };

    let after = txn
        .update::<lead::Entity>(id, version)
        .set(lead::Column::ConvertedCustomerId, Expr::value(customer_id))
        .set(lead::Column::ConvertedContactId, Expr::value(contact_id))
        .set(lead::Column::ConvertedAt, Expr::value(txn.now()))
        .only_if(lead::Column::ConvertedAt.is_null())
        .exec()
        .await?;
    let names = owner_names(&txn, std::iter::once(after.owner_id)).await?;
    let (before, after) = (view(before, &names), view(after, &names));
    let mut detail = audit::snapshot(&after);
    if let Some(serde_json::Value::Object(map)) = detail.as_mut() {
        map.insert("customer_reused".into(), customer_reused.into());
        map.insert("contact_reused".into(), contact_reused.into());
    }
    txn.commit(AuditEvent::new("lead.convert", "lead", Some(id)).before(&before).after_json(detail)).await?;
    Ok(Conversion { lead: after, customer_id, contact_id, customer_reused, contact_reused, opportunity_id })
}

/// Field errors of a part of the conversion, named under that part.
fn prefixed(err: StoreError, prefix: &str) -> StoreError {
    match err {
        StoreError::Invalid(Invalid(errors)) => StoreError::Invalid(Invalid(
            errors.into_iter().map(|e| FieldError { field: format!("{prefix}{}", e.field), ..e }).collect(),
        )),
        other => other,
    }
}

/// The contact of `customer_id` with one of the probe's phones or its e-mail.
async fn existing_contact<C: ConnectionTrait>(
    conn: &C,
    customer_id: i64,
    probe: &ContactInput,
) -> StoreResult<Option<i64>> {
    let phones: Vec<String> =
        [&probe.phone, &probe.mobile].into_iter().filter_map(|p| p.as_deref().and_then(phone_key)).collect();
    let email = clean(&probe.email).map(|e| e.to_lowercase());
    if phones.is_empty() && email.is_none() {
        return Ok(None);
    }
    let mut cond = Condition::any();
    if !phones.is_empty() {
        cond = cond.add(contact::Column::PhoneKey.is_in(phones.clone())).add(contact::Column::MobileKey.is_in(phones));
    }
    if let Some(e) = email {
        cond = cond.add(contact::Column::EmailKey.eq(e));
    }
    let found = contact::Entity::find()
        .select_only()
        .column(contact::Column::Id)
        .filter(contact::Column::CustomerId.eq(customer_id))
        .filter(contact::Column::DeletedAt.is_null())
        .filter(cond)
        .into_tuple::<i64>()
        .one(conn)
        .await?;
    Ok(found)
}
