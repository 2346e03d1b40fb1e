//! Contracts (合同): number `CT-YYYY-NNNNNN`, customer, an optional deal and
//! order (a quote link comes with quotes), title, amount, terms, the dates
//! it runs between and was signed, files (the attachments module), earlier
//! versions, approval through the one engine, and the life cycle of
//! `salesflow_domain::contracts`.
//!
//! Data scope: a contract follows its customer, as orders do (a
//! salesperson sees the contracts of the customers they own; a manager
//! those of their people). The approvers of its pending step read it too.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use salesflow_domain::access::{Action, Module};
use salesflow_domain::approvals::DocumentType;
use salesflow_domain::contracts::ContractStatus;
use salesflow_domain::money::Money;
use sea_orm::sea_query::{Condition, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use crate::Store;
use crate::approvals::{self, ApprovalView};
use crate::entity::{contract, contract_version, customer, opportunity, order};
use crate::error::{StoreError, StoreResult};
use crate::paging::{Key, Keyset, Page, PageRequest, SortField};
use crate::scope::Actor;

mod edit;
mod expiry;
mod flow;
pub use edit::*;
pub use expiry::*;
pub use flow::*;

pub(crate) const LINK: &str = "/contracts/";

pub(crate) fn status_of(m: &contract::Model) -> ContractStatus {
    ContractStatus::parse(&m.status).unwrap_or(ContractStatus::Draft)
}

// ---------------------------------------------------------------- views

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ContractView {
    pub id: i64,
    /// `CT-2026-000123`.
    pub number: String,
    pub customer_id: i64,
    pub customer_name: String,
    pub opportunity_id: Option<i64>,
    pub opportunity_name: Option<String>,
    pub order_id: Option<i64>,
    pub order_number: Option<String>,
    pub owner_id: i64,
    pub owner_name: String,
    pub title: String,
    /// Decimal string.
    pub amount: String,
    pub currency: String,
    pub terms: String,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub signed_date: Option<NaiveDate>,
    /// `draft`, `in_approval`, `signed`, `executing`, `completed`,
    /// `expired`, `terminated`.
    pub status: String,
    /// 1 for the first text; each amendment of a signed contract adds one
    /// (the earlier ones under `/contracts/{id}/versions`).
    pub revision: i32,
    pub termination_reason: String,
    /// Days to the end date (negative once passed), for contracts in force.
    pub days_left: Option<i64>,
    /// The contract's approval requests, newest first (empty in lists).
    pub approvals: Vec<ApprovalView>,
    /// Whether the caller decides the pending approval step now.
    pub can_decide: bool,
    pub created_by: i64,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An earlier text of a contract.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ContractVersionView {
    pub revision: i32,
    pub title: String,
    pub amount: String,
    pub terms: String,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub signed_date: Option<NaiveDate>,
    pub opportunity_id: Option<i64>,
    pub order_id: Option<i64>,
    /// Who replaced it by the next revision, and when.
    pub changed_by: i64,
    pub changed_by_name: String,
    pub replaced_at: DateTime<Utc>,
}

struct Names {
    customers: HashMap<i64, String>,
    deals: HashMap<i64, String>,
    orders: HashMap<i64, String>,
    people: HashMap<i64, String>,
    currency: String,
    today: NaiveDate,
}

fn ids(values: impl Iterator<Item = Option<i64>>) -> Vec<i64> {
    let mut v: Vec<i64> = values.flatten().collect();
    v.sort_unstable();
    v.dedup();
    v
}

async fn names<C: ConnectionTrait>(conn: &C, now: DateTime<Utc>, rows: &[contract::Model]) -> StoreResult<Names> {
    let customer_ids = ids(rows.iter().map(|r| Some(r.customer_id)));
    let deal_ids = ids(rows.iter().map(|r| r.opportunity_id));
    let order_ids = ids(rows.iter().map(|r| r.order_id));
    let customers = if customer_ids.is_empty() {
        HashMap::new()
    } else {
        customer::Entity::find()
            .filter(customer::Column::Id.is_in(customer_ids))
            .all(conn)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect()
    };
    let deals = if deal_ids.is_empty() {
        HashMap::new()
    } else {
        opportunity::Entity::find()
            .filter(opportunity::Column::Id.is_in(deal_ids))
            .all(conn)
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect()
    };
    let orders = if order_ids.is_empty() {
        HashMap::new()
    } else {
        order::Entity::find()
            .filter(order::Column::Id.is_in(order_ids))
            .all(conn)
            .await?
            .into_iter()
            .map(|o| (o.id, o.number))
            .collect()
    };
    let people = crate::shared::owner_names(conn, rows.iter().map(|r| r.owner_id)).await?;
    let settings = crate::settings::current(conn).await?;
    let today = salesflow_domain::time::local_day(&settings, now);
    Ok(Names { customers, deals, orders, people, currency: settings.currency, today })
}

fn view(m: contract::Model, n: &Names) -> ContractView {
    let status = status_of(&m);
    ContractView {
        customer_name: n.customers.get(&m.customer_id).cloned().unwrap_or_default(),
        opportunity_name: m.opportunity_id.and_then(|o| n.deals.get(&o).cloned()),
        order_number: m.order_id.and_then(|o| n.orders.get(&o).cloned()),
        owner_name: n.people.get(&m.owner_id).cloned().unwrap_or_default(),
        amount: Money(m.amount).to_string(),
        currency: n.currency.clone(),
        days_left: m
            .end_date
            .filter(|_| status.in_force())
            .map(|end| salesflow_domain::contracts::days_left(end, n.today)),
        approvals: Vec::new(),
        can_decide: false,
        id: m.id,
        number: m.number,
        customer_id: m.customer_id,
        opportunity_id: m.opportunity_id,
        order_id: m.order_id,
        owner_id: m.owner_id,
        title: m.title,
        terms: m.terms,
        start_date: m.start_date,
        end_date: m.end_date,
        signed_date: m.signed_date,
        status: m.status,
        revision: m.revision,
        termination_reason: m.termination_reason,
        created_by: m.created_by,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

pub(crate) async fn full_view<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    now: DateTime<Utc>,
    m: contract::Model,
) -> StoreResult<ContractView> {
    let n = names(conn, now, std::slice::from_ref(&m)).await?;
    let id = m.id;
    let mut v = view(m, &n);
    v.approvals = approvals::history(conn, DocumentType::Contract, id).await?;
    v.can_decide = approvals::can_decide(conn, actor, DocumentType::Contract, id).await?;
    Ok(v)
}

// ---------------------------------------------------------------- scope

/// Contracts whose customer is owned by someone in the actor's scope.
pub(crate) fn in_scope(actor: &Actor) -> Condition {
    match &actor.visible_users {
        None => Condition::all(),
        Some(_) => {
            let mut customers = Query::select();
            customers
                .column(customer::Column::Id)
                .from(customer::Entity)
                .cond_where(actor.scope_condition(customer::Column::OwnerId));
            Condition::all().add(contract::Column::CustomerId.in_subquery(customers))
        }
    }
}

/// The contract if the actor sees it: in scope with the `contracts` view
/// right, or as an approver of its steps. Otherwise "not found".
pub(crate) async fn find_readable<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    id: i64,
) -> StoreResult<contract::Model> {
    if actor.can(Module::Contracts, Action::View)
        && let Some(m) = contract::Entity::find_by_id(id).filter(in_scope(actor)).one(conn).await?
    {
        return Ok(m);
    }
    if approvals::approver_sees(conn, actor, DocumentType::Contract, id).await? {
        return contract::Entity::find_by_id(id).one(conn).await?.ok_or(StoreError::NotFound);
    }
    Err(StoreError::NotFound)
}

/// The contract if it is in the actor's scope (for changes and its files).
pub(crate) async fn find_in_scope<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    id: i64,
) -> StoreResult<contract::Model> {
    contract::Entity::find_by_id(id).filter(in_scope(actor)).one(conn).await?.ok_or(StoreError::NotFound)
}

// ---------------------------------------------------------------- reading

pub async fn get(store: &Store, actor: &Actor, id: i64) -> StoreResult<ContractView> {
    let m = find_readable(store.reader(), actor, id).await?;
    full_view(store.reader(), actor, store.now(), m).await
}

/// The earlier texts of a contract, newest first.
pub async fn versions(store: &Store, actor: &Actor, id: i64) -> StoreResult<Vec<ContractVersionView>> {
    let m = find_readable(store.reader(), actor, id).await?;
    let rows = contract_version::Entity::find()
        .filter(contract_version::Column::ContractId.eq(m.id))
        .order_by_desc(contract_version::Column::Revision)
        .all(store.reader())
        .await?;
    let people = crate::shared::owner_names(store.reader(), rows.iter().map(|r| r.changed_by)).await?;
    Ok(rows
        .into_iter()
        .map(|r| ContractVersionView {
            changed_by_name: people.get(&r.changed_by).cloned().unwrap_or_default(),
            amount: Money(r.amount).to_string(),
            revision: r.revision,
            title: r.title,
            terms: r.terms,
            start_date: r.start_date,
            end_date: r.end_date,
            signed_date: r.signed_date,
            opportunity_id: r.opportunity_id,
            order_id: r.order_id,
            changed_by: r.changed_by,
            replaced_at: r.created_at,
        })
        .collect())
}

#[derive(Debug, Clone, Default)]
pub struct ContractFilter {
    pub status: Option<ContractStatus>,
    pub customer_id: Option<i64>,
    pub opportunity_id: Option<i64>,
    pub owner_id: Option<i64>,
    /// In force and ending within this many days (from today on).
    pub expiring_within: Option<u32>,
}

const SORTS: [SortField<contract::Column>; 3] = [
    SortField { name: "id", column: contract::Column::Id },
    SortField { name: "number", column: contract::Column::Number },
    SortField { name: "created_at", column: contract::Column::CreatedAt },
];

/// Contracts in scope: sort `-id` (default, newest first), `number`, `created_at`.
pub async fn list(
    store: &Store,
    actor: &Actor,
    filter: &ContractFilter,
    page: &PageRequest,
) -> StoreResult<Page<ContractView>> {
    actor.require(Module::Contracts, Action::View)?;
    let keyset = Keyset::parse(page, &SORTS, "-id")?;
    let mut query = contract::Entity::find().filter(in_scope(actor));
    if let Some(s) = filter.status {
        query = query.filter(contract::Column::Status.eq(s.code()));
    }
    if let Some(c) = filter.customer_id {
        query = query.filter(contract::Column::CustomerId.eq(c));
    }
    if let Some(o) = filter.opportunity_id {
        query = query.filter(contract::Column::OpportunityId.eq(o));
    }
    if let Some(o) = filter.owner_id {
        query = query.filter(contract::Column::OwnerId.eq(o));
    }
    let db = store.reader();
    if let Some(days) = filter.expiring_within {
        let today = crate::settings::today(db, store.now()).await?;
        let until = today + chrono::Duration::days(i64::from(days));
        let in_force = [ContractStatus::Signed.code(), ContractStatus::Executing.code()];
        query = query
            .filter(contract::Column::Status.is_in(in_force))
            .filter(contract::Column::EndDate.gte(today))
            .filter(contract::Column::EndDate.lte(until));
    }
    let rows = keyset.apply(query, contract::Column::Id).all(db).await?;
    let n = names(db, store.now(), &rows).await?;
    let page = keyset.finish(rows, |r, field| {
        let key = match field {
            "number" => Key::Text(r.number.clone()),
            "created_at" => Key::Time(r.created_at),
            _ => Key::Int(r.id),
        };
        (key, r.id)
    });
    Ok(page.map(|r| view(r, &n)))
}

/// A customer's (or a deal's) contracts for its page: newest first, at most `limit`.
pub async fn for_record(
    store: &Store,
    actor: &Actor,
    customer_id: Option<i64>,
    opportunity_id: Option<i64>,
    limit: u64,
) -> StoreResult<Vec<ContractView>> {
    if !actor.can(Module::Contracts, Action::View) {
        return Ok(Vec::new());
    }
    let filter = ContractFilter { customer_id, opportunity_id, ..Default::default() };
    let page = PageRequest { limit: Some(limit), ..Default::default() };
    Ok(list(store, actor, &filter, &page).await?.items)
}
