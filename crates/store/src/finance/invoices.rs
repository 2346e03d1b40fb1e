//! Invoices (开票) against an approved order: number, type (普票 ordinary,
//! 专票 special VAT), date and amount; the order's invoiced total never
//! exceeds its total (enforced in the write, like payments). A mistaken
//! invoice is voided (作废), never deleted.

use chrono::{DateTime, NaiveDate, Utc};
use salesflow_domain::access::{Action, Module};
use salesflow_domain::finance::{self as rules, InvoiceType};
use salesflow_domain::money::Money;
use salesflow_domain::{FieldError, Invalid};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::Serialize;

use super::{OrderMoney, add_invoiced, check_not_future, customer_in_scope, owing_order, require_view, trimmed};
use crate::Store;
use crate::audit::AuditEvent;
use crate::entity::{invoice, order};
use crate::error::{StoreError, StoreResult};
use crate::paging::{Key, Keyset, Page, PageRequest, SortField};
use crate::scope::Actor;

pub const NUMBER_MAX: usize = 50;
const ISSUED: &str = "issued";
const VOID: &str = "void";

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InvoiceView {
    pub id: i64,
    pub order_id: i64,
    pub order_number: String,
    pub customer_id: i64,
    pub customer_name: String,
    /// The invoice's own number (发票号码).
    pub number: String,
    /// `ordinary` (普票) or `special` (专票).
    pub invoice_type: String,
    pub issued_on: NaiveDate,
    /// Decimal string.
    pub amount: String,
    pub note: String,
    /// `issued` or `void`.
    pub status: String,
    pub voided_at: Option<DateTime<Utc>>,
    pub void_reason: String,
    pub created_by_name: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct InvoiceInput {
    pub order_id: i64,
    pub number: String,
    pub invoice_type: String,
    pub issued_on: Option<NaiveDate>,
    pub amount: Result<Money, FieldError>,
    pub note: String,
}

/// An invoice and the order's money after it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InvoiceResult {
    pub invoice: InvoiceView,
    pub order: OrderMoney,
}

async fn views<C: ConnectionTrait>(conn: &C, rows: Vec<invoice::Model>) -> StoreResult<Vec<InvoiceView>> {
    let orders: std::collections::HashMap<i64, String> = if rows.is_empty() {
        Default::default()
    } else {
        order::Entity::find()
            .filter(order::Column::Id.is_in(rows.iter().map(|p| p.order_id)))
            .all(conn)
            .await?
            .into_iter()
            .map(|o| (o.id, o.number))
            .collect()
    };
    let customers = super::customer_names(conn, rows.iter().map(|p| p.customer_id)).await?;
    let people = crate::shared::owner_names(conn, rows.iter().filter_map(|p| p.created_by)).await?;
    Ok(rows
        .into_iter()
        .map(|i| InvoiceView {
            order_number: orders.get(&i.order_id).cloned().unwrap_or_default(),
            customer_name: customers.get(&i.customer_id).cloned().unwrap_or_default(),
            amount: Money(i.amount).to_string(),
            created_by_name: i.created_by.and_then(|u| people.get(&u).cloned()).unwrap_or_default(),
            id: i.id,
            order_id: i.order_id,
            customer_id: i.customer_id,
            number: i.number,
            invoice_type: i.invoice_type,
            issued_on: i.issued_on,
            note: i.note,
            status: i.status,
            voided_at: i.voided_at,
            void_reason: i.void_reason,
            version: i.version,
            created_at: i.created_at,
        })
        .collect())
}

fn number_taken(e: sea_orm::DbErr) -> StoreError {
    match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => Invalid::one("number", "already_taken").into(),
        _ => e.into(),
    }
}

/// Issues an invoice against an approved (or later) order in scope: a
/// number not used before, the amount more than zero and at most what is
/// not invoiced yet (422 `more_than_uninvoiced`).
pub async fn issue_invoice(store: &Store, actor: &Actor, input: InvoiceInput) -> StoreResult<InvoiceResult> {
    let permit = store.permit(actor, Module::Finance, Action::Create)?;
    let unit = permit.begin().await?;
    let o = owing_order(&unit, actor, input.order_id).await?;
    let today = crate::settings::today(&unit, unit.now()).await?;
    let mut invalid = Invalid::new();
    invalid.text("number", &input.number, NUMBER_MAX);
    let kind = InvoiceType::parse(input.invoice_type.trim());
    if kind.is_none() {
        invalid.push(FieldError::new("invoice_type", "invalid_choice"));
    }
    check_not_future(&mut invalid, "issued_on", input.issued_on, today);
    invalid.optional_text("note", input.note.trim(), super::NOTE_MAX);
    let amount = match &input.amount {
        Ok(a) => {
            if let Some(e) = rules::check_amount("amount", *a, Money(o.total - o.invoiced), "more_than_uninvoiced") {
                invalid.push(e);
            }
            *a
        }
        Err(e) => {
            invalid.push(e.clone());
            Money(0)
        }
    };
    if invalid.is_empty()
        && invoice::Entity::find().filter(invoice::Column::Number.eq(input.number.trim())).one(&unit).await?.is_some()
    {
        invalid.push(FieldError::new("number", "already_taken"));
    }
    invalid.into_result()?;
    if !add_invoiced(&unit, o.id, amount.0).await? {
        let now = order::Entity::find_by_id(o.id).one(&unit).await?.ok_or(StoreError::NotFound)?;
        return Err(Invalid(vec![
            FieldError::new("amount", "more_than_uninvoiced").with("max", Money(now.total - now.invoiced).grouped()),
        ])
        .into());
    }
    let now = unit.now();
    let i = invoice::ActiveModel {
        order_id: Set(o.id),
        customer_id: Set(o.customer_id),
        number: Set(trimmed(&input.number)),
        invoice_type: Set(kind.map(|k| k.code()).unwrap_or_default().to_owned()),
        issued_on: Set(input.issued_on.unwrap_or(today)),
        amount: Set(amount.0),
        note: Set(trimmed(&input.note)),
        status: Set(ISSUED.to_owned()),
        voided_at: Set(None),
        voided_by: Set(None),
        void_reason: Set(String::new()),
        created_by: Set(actor.user_id),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&unit)
    .await
    .map_err(number_taken)?;
    let after = order::Entity::find_by_id(o.id).one(&unit).await?.ok_or(StoreError::NotFound)?;
    let view = views(&unit, vec![i]).await?.remove(0);
    let event = AuditEvent::new("invoice.issue", "invoice", Some(view.id))
        .note("order", serde_json::json!(o.number))
        .note("number", serde_json::json!(view.number))
        .note("amount", serde_json::json!(view.amount));
    unit.commit(event).await?;
    Ok(InvoiceResult { invoice: view, order: OrderMoney::of(&after) })
}

/// Voids an issued invoice (a reason is required); the amount may be
/// invoiced again. A stale `version` or an invoice already void → 409.
pub async fn void_invoice(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: i64,
    reason: &str,
) -> StoreResult<InvoiceResult> {
    let permit = store.permit(actor, Module::Finance, Action::Edit)?;
    let unit = permit.begin().await?;
    let i = find_invoice(&unit, actor, id).await?;
    let mut invalid = Invalid::new();
    invalid.text("reason", reason, super::NOTE_MAX);
    invalid.into_result()?;
    if i.status != ISSUED {
        return Err(StoreError::Conflict("the invoice is already void".into()));
    }
    let after = unit
        .update::<invoice::Entity>(i.id, version)
        .set(invoice::Column::Status, Expr::value(VOID))
        .set(invoice::Column::VoidedAt, Expr::value(Some(unit.now())))
        .set(invoice::Column::VoidedBy, Expr::value(actor.user_id))
        .set(invoice::Column::VoidReason, Expr::value(reason.trim()))
        .exec()
        .await?;
    if !add_invoiced(&unit, i.order_id, -i.amount).await? {
        return Err(StoreError::Conflict("the order no longer takes invoices".into()));
    }
    let o = order::Entity::find_by_id(i.order_id).one(&unit).await?.ok_or(StoreError::NotFound)?;
    let view = views(&unit, vec![after]).await?.remove(0);
    let event = AuditEvent::new("invoice.void", "invoice", Some(id))
        .note("order", serde_json::json!(o.number))
        .note("number", serde_json::json!(view.number))
        .note("reason", serde_json::json!(view.void_reason));
    unit.commit(event).await?;
    Ok(InvoiceResult { invoice: view, order: OrderMoney::of(&o) })
}

async fn find_invoice<C: ConnectionTrait>(conn: &C, actor: &Actor, id: i64) -> StoreResult<invoice::Model> {
    invoice::Entity::find_by_id(id)
        .filter(customer_in_scope(actor, invoice::Column::CustomerId))
        .one(conn)
        .await?
        .ok_or(StoreError::NotFound)
}

pub async fn get_invoice(store: &Store, actor: &Actor, id: i64) -> StoreResult<InvoiceView> {
    require_view(actor)?;
    let i = find_invoice(store.reader(), actor, id).await?;
    Ok(views(store.reader(), vec![i]).await?.remove(0))
}

#[derive(Debug, Clone, Default)]
pub struct InvoiceFilter {
    pub order_id: Option<i64>,
    pub customer_id: Option<i64>,
}

const SORTS: [SortField<invoice::Column>; 1] = [SortField { name: "id", column: invoice::Column::Id }];

/// Invoices in scope, newest first (`-id`; or `id`).
pub async fn list_invoices(
    store: &Store,
    actor: &Actor,
    filter: &InvoiceFilter,
    page: &PageRequest,
) -> StoreResult<Page<InvoiceView>> {
    require_view(actor)?;
    let keyset = Keyset::parse(page, &SORTS, "-id")?;
    let mut query = invoice::Entity::find().filter(customer_in_scope(actor, invoice::Column::CustomerId));
    if let Some(o) = filter.order_id {
        query = query.filter(invoice::Column::OrderId.eq(o));
    }
    if let Some(c) = filter.customer_id {
        query = query.filter(invoice::Column::CustomerId.eq(c));
    }
    let db = store.reader();
    let rows = keyset.apply(query, invoice::Column::Id).all(db).await?;
    let page = keyset.finish(rows, |i, _| (Key::Int(i.id), i.id));
    let items = views(db, page.items).await?;
    Ok(Page { items, next_cursor: page.next_cursor })
}
