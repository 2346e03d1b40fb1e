//! Quotes (报价): number `QT-YYYY-NNNNNN`, customer, contact, an optional
//! opportunity, lines priced by the domain (the unit price defaults to
//! the customer's price, as on orders), validity, notes and terms, and
//! the life cycle draft → (pending approval → approved) → sent →
//! accepted / rejected; a sent quote past its validity reads as expired.
//! Editing a sent quote makes a new version; every version stays readable
//! and two can be compared line by line.
//!
//! Data scope: a quote follows its customer, like an order. The approvers
//! of its pending step read it too. Approval is the engine's: `send` opens
//! a request when the rules ask for one, and `approve` / `reject_approval`
//! call `approvals::decide` inside this module's own unit of work.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use salesflow_domain::access::{Action, Module};
use salesflow_domain::approvals::DocumentType;
use salesflow_domain::money::Money;
use salesflow_domain::orders::{Totals, discount_percent};
use salesflow_domain::quantity::{Percent, Quantity};
use salesflow_domain::quotes::{QuoteStatus, effective_status};
use sea_orm::sea_query::{Condition, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use crate::Store;
use crate::approvals::{self, ApprovalView};
use crate::entity::{contact, customer, opportunity, order, quote, quote_line, quote_revision};
use crate::error::{StoreError, StoreResult};
use crate::paging::{Key, Keyset, Page, PageRequest, SortField};
use crate::scope::Actor;

mod edit;
mod flow;
mod load;
mod versions;
pub use edit::*;
pub use flow::*;
pub use load::*;
pub use versions::*;

pub(crate) const LINK: &str = "/quotes/";

fn stored_status(m: &quote::Model) -> QuoteStatus {
    QuoteStatus::parse(&m.status).unwrap_or(QuoteStatus::Draft)
}

fn status_on(m: &quote::Model, today: NaiveDate) -> QuoteStatus {
    effective_status(stored_status(m), m.valid_until, today)
}

// ---------------------------------------------------------------- views

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuoteLineView {
    pub position: i32,
    pub product_id: i64,
    pub product_code: String,
    pub product_name: String,
    pub unit: String,
    /// Decimal strings.
    pub quantity: String,
    pub unit_price: String,
    pub discount_percent: String,
    pub tax_rate: String,
    pub gross: String,
    pub discount: String,
    pub net: String,
    pub tax: String,
    pub total: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuoteView {
    pub id: i64,
    /// `QT-2026-000123`.
    pub number: String,
    pub customer_id: i64,
    pub customer_name: String,
    pub contact_id: Option<i64>,
    pub contact_name: Option<String>,
    pub opportunity_id: Option<i64>,
    pub opportunity_name: Option<String>,
    /// `draft`, `pending_approval`, `approved`, `sent`, `accepted`,
    /// `rejected`, or `expired` (sent, past its validity date).
    pub status: String,
    /// The current version's number (v1, v2 …); editing a sent quote adds one.
    pub revision: i32,
    /// `YYYY-MM-DD`: the last day the quote may be accepted.
    pub valid_until: NaiveDate,
    pub notes: String,
    pub terms: String,
    /// Decimal strings: the lines' amounts added up.
    pub gross: String,
    pub discount: String,
    pub net: String,
    pub tax: String,
    pub total: String,
    /// The overall discount the approval rules compare.
    pub discount_percent: String,
    pub created_by: i64,
    pub created_by_name: String,
    pub sent_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    /// The sales order accepting the quote made.
    pub order_id: Option<i64>,
    pub order_number: Option<String>,
    pub lines: Vec<QuoteLineView>,
    /// The quote's approval requests, newest first, with their decisions.
    pub approvals: Vec<ApprovalView>,
    /// Whether the caller decides the pending approval step now.
    pub can_decide: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A row of the quote list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuoteSummary {
    pub id: i64,
    pub number: String,
    pub customer_id: i64,
    pub customer_name: String,
    pub opportunity_id: Option<i64>,
    pub status: String,
    pub revision: i32,
    pub total: String,
    pub valid_until: NaiveDate,
    pub order_id: Option<i64>,
    pub created_by_name: String,
    pub created_at: DateTime<Utc>,
}

fn totals_of(m: &quote::Model) -> Totals {
    Totals {
        gross: Money(m.gross),
        discount: Money(m.discount),
        net: Money(m.net),
        tax: Money(m.tax),
        total: Money(m.total),
    }
}

pub(crate) fn revision_totals(r: &quote_revision::Model) -> Totals {
    Totals {
        gross: Money(r.gross),
        discount: Money(r.discount),
        net: Money(r.net),
        tax: Money(r.tax),
        total: Money(r.total),
    }
}

async fn customer_names<C: ConnectionTrait>(conn: &C, ids: Vec<i64>) -> StoreResult<HashMap<i64, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = customer::Entity::find().filter(customer::Column::Id.is_in(ids)).all(conn).await?;
    Ok(rows.into_iter().map(|c| (c.id, c.name)).collect())
}

/// A version's lines, in order.
pub(crate) async fn lines_of<C: ConnectionTrait>(
    conn: &C,
    quote_id: i64,
    revision: i32,
) -> StoreResult<Vec<quote_line::Model>> {
    Ok(quote_line::Entity::find()
        .filter(quote_line::Column::QuoteId.eq(quote_id))
        .filter(quote_line::Column::Revision.eq(revision))
        .order_by_asc(quote_line::Column::Position)
        .all(conn)
        .await?)
}

pub(crate) async fn line_views<C: ConnectionTrait>(
    conn: &C,
    lines: Vec<quote_line::Model>,
) -> StoreResult<Vec<QuoteLineView>> {
    let products =
        crate::products::products_by_id(conn, &lines.iter().map(|l| l.product_id).collect::<Vec<_>>()).await?;
    Ok(lines
        .into_iter()
        .map(|l| {
            let p = products.get(&l.product_id);
            QuoteLineView {
                product_code: p.map(|p| p.code.clone()).unwrap_or_default(),
                product_name: p.map(|p| p.name.clone()).unwrap_or_default(),
                unit: p.map(|p| p.unit.clone()).unwrap_or_default(),
                quantity: Quantity(l.quantity).to_string(),
                unit_price: Money(l.unit_price).to_string(),
                discount_percent: Percent(l.discount_percent).to_string(),
                tax_rate: Percent(l.tax_rate).to_string(),
                gross: Money(l.gross).to_string(),
                discount: Money(l.discount).to_string(),
                net: Money(l.net).to_string(),
                tax: Money(l.tax).to_string(),
                total: Money(l.total).to_string(),
                position: l.position,
                product_id: l.product_id,
            }
        })
        .collect())
}

pub(crate) async fn full_view<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    m: quote::Model,
    today: NaiveDate,
) -> StoreResult<QuoteView> {
    let lines = line_views(conn, lines_of(conn, m.id, m.revision).await?).await?;
    let customer_name = customer_names(conn, vec![m.customer_id]).await?.remove(&m.customer_id).unwrap_or_default();
    let contact_name = match m.contact_id {
        Some(c) => contact::Entity::find_by_id(c).one(conn).await?.map(|c| c.name),
        None => None,
    };
    let opportunity_name = match m.opportunity_id {
        Some(o) => opportunity::Entity::find_by_id(o).one(conn).await?.map(|o| o.name),
        None => None,
    };
    let order_number = match m.order_id {
        Some(o) => order::Entity::find_by_id(o).one(conn).await?.map(|o| o.number),
        None => None,
    };
    let names = crate::shared::owner_names(conn, std::iter::once(m.created_by)).await?;
    let approvals = approvals::history(conn, DocumentType::Quote, m.id).await?;
    let can_decide = approvals::can_decide(conn, actor, DocumentType::Quote, m.id).await?;
    let totals = totals_of(&m);
    Ok(QuoteView {
        status: status_on(&m, today).code().to_owned(),
        customer_name,
        contact_name,
        opportunity_name,
        order_number,
        gross: totals.gross.to_string(),
        discount: totals.discount.to_string(),
        net: totals.net.to_string(),
        tax: totals.tax.to_string(),
        total: totals.total.to_string(),
        discount_percent: discount_percent(&totals).to_string(),
        created_by_name: names.get(&m.created_by).cloned().unwrap_or_default(),
        lines,
        approvals,
        can_decide,
        id: m.id,
        number: m.number,
        customer_id: m.customer_id,
        contact_id: m.contact_id,
        opportunity_id: m.opportunity_id,
        revision: m.revision,
        valid_until: m.valid_until,
        notes: m.notes,
        terms: m.terms,
        created_by: m.created_by,
        sent_at: m.sent_at,
        decided_at: m.decided_at,
        order_id: m.order_id,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

// ---------------------------------------------------------------- scope

/// Quotes whose customer is owned by someone in the actor's scope (and
/// not deleted).
pub(crate) fn in_scope(actor: &Actor) -> Condition {
    let live = Condition::all().add(quote::Column::DeletedAt.is_null());
    match &actor.visible_users {
        None => live,
        Some(_) => {
            let mut customers = Query::select();
            customers
                .column(customer::Column::Id)
                .from(customer::Entity)
                .cond_where(actor.scope_condition(customer::Column::OwnerId));
            live.add(quote::Column::CustomerId.in_subquery(customers))
        }
    }
}

/// The quote if the actor sees it: in scope with the `quotes` view right,
/// or as an approver of its steps. Otherwise "not found".
pub(crate) async fn find_readable<C: ConnectionTrait>(conn: &C, actor: &Actor, id: i64) -> StoreResult<quote::Model> {
    if actor.can(Module::Quotes, Action::View)
        && let Some(m) = quote::Entity::find_by_id(id).filter(in_scope(actor)).one(conn).await?
    {
        return Ok(m);
    }
    if approvals::approver_sees(conn, actor, DocumentType::Quote, id).await? {
        return quote::Entity::find_by_id(id)
            .filter(quote::Column::DeletedAt.is_null())
            .one(conn)
            .await?
            .ok_or(StoreError::NotFound);
    }
    Err(StoreError::NotFound)
}

/// The quote if it is in the actor's scope (for changes).
pub(crate) async fn find_in_scope<C: ConnectionTrait>(conn: &C, actor: &Actor, id: i64) -> StoreResult<quote::Model> {
    quote::Entity::find_by_id(id).filter(in_scope(actor)).one(conn).await?.ok_or(StoreError::NotFound)
}

pub(crate) async fn today_of<C: ConnectionTrait>(conn: &C, store: &Store) -> StoreResult<NaiveDate> {
    crate::settings::today(conn, store.now()).await
}

// ---------------------------------------------------------------- reading

pub async fn get(store: &Store, actor: &Actor, id: i64) -> StoreResult<QuoteView> {
    let db = store.reader();
    let m = find_readable(db, actor, id).await?;
    full_view(db, actor, m, today_of(db, store).await?).await
}

#[derive(Debug, Clone, Default)]
pub struct QuoteFilter {
    /// `expired` matches sent quotes past their validity; `sent` those still valid.
    pub status: Option<QuoteStatus>,
    pub customer_id: Option<i64>,
    pub opportunity_id: Option<i64>,
    pub order_id: Option<i64>,
}

const SORTS: [SortField<quote::Column>; 3] = [
    SortField { name: "id", column: quote::Column::Id },
    SortField { name: "number", column: quote::Column::Number },
    SortField { name: "created_at", column: quote::Column::CreatedAt },
];

/// Quotes in scope: sort `-id` (default, newest first), `number`,
/// `created_at`.
pub async fn list(
    store: &Store,
    actor: &Actor,
    filter: &QuoteFilter,
    page: &PageRequest,
) -> StoreResult<Page<QuoteSummary>> {
    actor.require(Module::Quotes, Action::View)?;
    let keyset = Keyset::parse(page, &SORTS, "-id")?;
    let db = store.reader();
    let today = today_of(db, store).await?;
    let mut query = quote::Entity::find().filter(in_scope(actor));
    match filter.status {
        None => {}
        Some(QuoteStatus::Expired) => {
            query = query
                .filter(quote::Column::Status.eq(QuoteStatus::Sent.code()))
                .filter(quote::Column::ValidUntil.lt(today))
        }
        Some(QuoteStatus::Sent) => {
            query = query
                .filter(quote::Column::Status.eq(QuoteStatus::Sent.code()))
                .filter(quote::Column::ValidUntil.gte(today))
        }
        Some(s) => query = query.filter(quote::Column::Status.eq(s.code())),
    }
    if let Some(c) = filter.customer_id {
        query = query.filter(quote::Column::CustomerId.eq(c));
    }
    if let Some(o) = filter.opportunity_id {
        query = query.filter(quote::Column::OpportunityId.eq(o));
    }
    if let Some(o) = filter.order_id {
        query = query.filter(quote::Column::OrderId.eq(o));
    }
    let rows = keyset.apply(query, quote::Column::Id).all(db).await?;
    let customers = customer_names(db, rows.iter().map(|o| o.customer_id).collect()).await?;
    let people = crate::shared::owner_names(db, rows.iter().map(|o| o.created_by)).await?;
    let page = keyset.finish(rows, |o, field| {
        let key = match field {
            "number" => Key::Text(o.number.clone()),
            "created_at" => Key::Time(o.created_at),
            _ => Key::Int(o.id),
        };
        (key, o.id)
    });
    Ok(page.map(|o| QuoteSummary {
        status: status_on(&o, today).code().to_owned(),
        customer_name: customers.get(&o.customer_id).cloned().unwrap_or_default(),
        created_by_name: people.get(&o.created_by).cloned().unwrap_or_default(),
        total: Money(o.total).to_string(),
        id: o.id,
        number: o.number,
        customer_id: o.customer_id,
        opportunity_id: o.opportunity_id,
        revision: o.revision,
        valid_until: o.valid_until,
        order_id: o.order_id,
        created_at: o.created_at,
    }))
}

/// A record page's quotes (a customer's or an opportunity's), newest
/// first, at most `limit`; empty without the right to view quotes.
pub async fn related(store: &Store, actor: &Actor, filter: QuoteFilter, limit: u64) -> StoreResult<Vec<QuoteSummary>> {
    if !actor.can(Module::Quotes, Action::View) {
        return Ok(Vec::new());
    }
    let page = PageRequest { limit: Some(limit), ..Default::default() };
    Ok(list(store, actor, &filter, &page).await?.items)
}

/// The quote a sales order was made from, if the actor sees it (the
/// order page's link back).
pub async fn of_order(store: &Store, actor: &Actor, order_id: i64) -> StoreResult<Option<(i64, String)>> {
    if !actor.can(Module::Quotes, Action::View) {
        return Ok(None);
    }
    Ok(quote::Entity::find()
        .filter(in_scope(actor))
        .filter(quote::Column::OrderId.eq(order_id))
        .one(store.reader())
        .await?
        .map(|q| (q.id, q.number)))
}
