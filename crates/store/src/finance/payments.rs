//! Deposits and payments (定金, 收款) against an approved order, and their
//! reversal (冲销): the payment stays, marked reversed with who, when and
//! why, and the order owes the amount again.

use chrono::{DateTime, NaiveDate, Utc};
use salesflow_domain::access::{Action, Module};
use salesflow_domain::finance::{self as rules, PaymentKind, PaymentMethod};
use salesflow_domain::money::Money;
use salesflow_domain::{FieldError, Invalid};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::Serialize;

use super::{OrderMoney, add_paid, check_not_future, customer_in_scope, owing_order, require_view, trimmed};
use crate::Store;
use crate::audit::AuditEvent;
use crate::entity::{order, payment};
use crate::error::{StoreError, StoreResult};
use crate::paging::{Key, Keyset, Page, PageRequest, SortField};
use crate::scope::Actor;

pub const REFERENCE_MAX: usize = 100;
pub const NOTE_MAX: usize = 500;
const RECORDED: &str = "recorded";
const REVERSED: &str = "reversed";

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PaymentView {
    pub id: i64,
    pub order_id: i64,
    pub order_number: String,
    pub customer_id: i64,
    pub customer_name: String,
    /// `deposit` or `payment`.
    pub kind: String,
    pub received_on: NaiveDate,
    /// Decimal string.
    pub amount: String,
    /// `bank_transfer`, `cash`, `cheque`, `other`.
    pub method: String,
    pub reference: String,
    pub note: String,
    /// `recorded` or `reversed`.
    pub status: String,
    pub reversed_at: Option<DateTime<Utc>>,
    pub reversed_by_name: Option<String>,
    pub reversal_reason: String,
    pub created_by_name: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct PaymentInput {
    pub order_id: i64,
    /// `deposit` or `payment`.
    pub kind: String,
    pub received_on: Option<NaiveDate>,
    /// The amount as the caller's parser read it (the API's strict
    /// decimal, a page's lenient one), or its field error.
    pub amount: Result<Money, FieldError>,
    pub method: String,
    pub reference: String,
    pub note: String,
}

pub(crate) async fn views<C: ConnectionTrait>(conn: &C, rows: Vec<payment::Model>) -> StoreResult<Vec<PaymentView>> {
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
    let people = crate::shared::owner_names(
        conn,
        rows.iter().flat_map(|p| [p.created_by, p.reversed_by]).flatten().collect::<Vec<_>>().into_iter(),
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|p| PaymentView {
            order_number: orders.get(&p.order_id).cloned().unwrap_or_default(),
            customer_name: customers.get(&p.customer_id).cloned().unwrap_or_default(),
            amount: Money(p.amount).to_string(),
            reversed_by_name: p.reversed_by.and_then(|u| people.get(&u).cloned()),
            created_by_name: p.created_by.and_then(|u| people.get(&u).cloned()).unwrap_or_default(),
            id: p.id,
            order_id: p.order_id,
            customer_id: p.customer_id,
            kind: p.kind,
            received_on: p.received_on,
            method: p.method,
            reference: p.reference,
            note: p.note,
            status: p.status,
            reversed_at: p.reversed_at,
            reversal_reason: p.reversal_reason,
            version: p.version,
            created_at: p.created_at,
        })
        .collect())
}

/// A payment and the order's money after it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PaymentResult {
    pub payment: PaymentView,
    pub order: OrderMoney,
}

/// Records a deposit or payment against an approved (or later) order in
/// scope: the amount more than zero and at most what the order still owes
/// (422 `more_than_outstanding` with the most it may be, also when another
/// payment took the room a moment earlier).
pub async fn record_payment(store: &Store, actor: &Actor, input: PaymentInput) -> StoreResult<PaymentResult> {
    let permit = store.permit(actor, Module::Finance, Action::Create)?;
    let unit = permit.begin().await?;
    let o = owing_order(&unit, actor, input.order_id).await?;
    let today = crate::settings::today(&unit, unit.now()).await?;
    let mut invalid = Invalid::new();
    let kind = PaymentKind::parse(input.kind.trim());
    if kind.is_none() {
        invalid.push(FieldError::new("kind", "invalid_choice"));
    }
    let method = PaymentMethod::parse(input.method.trim());
    if method.is_none() {
        invalid.push(FieldError::new("method", "invalid_choice"));
    }
    check_not_future(&mut invalid, "received_on", input.received_on, today);
    invalid.optional_text("reference", input.reference.trim(), REFERENCE_MAX);
    invalid.optional_text("note", input.note.trim(), NOTE_MAX);
    let amount = match &input.amount {
        Ok(a) => {
            if let Some(e) = rules::check_amount("amount", *a, Money(o.receivable), "more_than_outstanding") {
                invalid.push(e);
            }
            *a
        }
        Err(e) => {
            invalid.push(e.clone());
            Money(0)
        }
    };
    invalid.into_result()?;
    // The bound, in the write: refused when a concurrent payment took the room.
    if !add_paid(&unit, o.id, amount.0).await? {
        let now = order::Entity::find_by_id(o.id).one(&unit).await?.ok_or(StoreError::NotFound)?;
        return Err(Invalid(vec![
            FieldError::new("amount", "more_than_outstanding").with("max", Money(now.receivable.max(0)).grouped()),
        ])
        .into());
    }
    let now = unit.now();
    let p = payment::ActiveModel {
        order_id: Set(o.id),
        customer_id: Set(o.customer_id),
        kind: Set(kind.map(|k| k.code()).unwrap_or_default().to_owned()),
        received_on: Set(input.received_on.unwrap_or(today)),
        amount: Set(amount.0),
        method: Set(method.map(|m| m.code()).unwrap_or_default().to_owned()),
        reference: Set(trimmed(&input.reference)),
        note: Set(trimmed(&input.note)),
        status: Set(RECORDED.to_owned()),
        reversed_at: Set(None),
        reversed_by: Set(None),
        reversal_reason: Set(String::new()),
        created_by: Set(actor.user_id),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&unit)
    .await?;
    let after = order::Entity::find_by_id(o.id).one(&unit).await?.ok_or(StoreError::NotFound)?;
    let view = views(&unit, vec![p]).await?.remove(0);
    let event = AuditEvent::new("payment.record", "payment", Some(view.id))
        .note("order", serde_json::json!(o.number))
        .note("amount", serde_json::json!(view.amount))
        .note("kind", serde_json::json!(view.kind));
    unit.commit(event).await?;
    Ok(PaymentResult { payment: view, order: OrderMoney::of(&after) })
}

/// Reverses a recorded payment (a reason is required): it stays in the
/// list, marked reversed, and the order owes its amount again. A stale
/// `version` or a payment already reversed → 409.
pub async fn reverse_payment(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: i64,
    reason: &str,
) -> StoreResult<PaymentResult> {
    let permit = store.permit(actor, Module::Finance, Action::Edit)?;
    let unit = permit.begin().await?;
    let p = find_payment(&unit, actor, id).await?;
    let mut invalid = Invalid::new();
    invalid.text("reason", reason, NOTE_MAX);
    invalid.into_result()?;
    if p.status != RECORDED {
        return Err(StoreError::Conflict("the payment is already reversed".into()));
    }
    let after = unit
        .update::<payment::Entity>(p.id, version)
        .set(payment::Column::Status, Expr::value(REVERSED))
        .set(payment::Column::ReversedAt, Expr::value(Some(unit.now())))
        .set(payment::Column::ReversedBy, Expr::value(actor.user_id))
        .set(payment::Column::ReversalReason, Expr::value(reason.trim()))
        .exec()
        .await?;
    if !add_paid(&unit, p.order_id, -p.amount).await? {
        return Err(StoreError::Conflict("the order no longer takes payments".into()));
    }
    let o = order::Entity::find_by_id(p.order_id).one(&unit).await?.ok_or(StoreError::NotFound)?;
    let view = views(&unit, vec![after]).await?.remove(0);
    let event = AuditEvent::new("payment.reverse", "payment", Some(id))
        .note("order", serde_json::json!(o.number))
        .note("amount", serde_json::json!(view.amount))
        .note("reason", serde_json::json!(view.reversal_reason));
    unit.commit(event).await?;
    Ok(PaymentResult { payment: view, order: OrderMoney::of(&o) })
}

async fn find_payment<C: ConnectionTrait>(conn: &C, actor: &Actor, id: i64) -> StoreResult<payment::Model> {
    payment::Entity::find_by_id(id)
        .filter(customer_in_scope(actor, payment::Column::CustomerId))
        .one(conn)
        .await?
        .ok_or(StoreError::NotFound)
}

pub async fn get_payment(store: &Store, actor: &Actor, id: i64) -> StoreResult<PaymentView> {
    require_view(actor)?;
    let p = find_payment(store.reader(), actor, id).await?;
    Ok(views(store.reader(), vec![p]).await?.remove(0))
}

#[derive(Debug, Clone, Default)]
pub struct PaymentFilter {
    pub order_id: Option<i64>,
    pub customer_id: Option<i64>,
}

const SORTS: [SortField<payment::Column>; 1] = [SortField { name: "id", column: payment::Column::Id }];

/// Payments in scope, newest first (`-id`; or `id`).
pub async fn list_payments(
    store: &Store,
    actor: &Actor,
    filter: &PaymentFilter,
    page: &PageRequest,
) -> StoreResult<Page<PaymentView>> {
    require_view(actor)?;
    let keyset = Keyset::parse(page, &SORTS, "-id")?;
    let mut query = payment::Entity::find().filter(customer_in_scope(actor, payment::Column::CustomerId));
    if let Some(o) = filter.order_id {
        query = query.filter(payment::Column::OrderId.eq(o));
    }
    if let Some(c) = filter.customer_id {
        query = query.filter(payment::Column::CustomerId.eq(c));
    }
    let db = store.reader();
    let rows = keyset.apply(query, payment::Column::Id).all(db).await?;
    let page = keyset.finish(rows, |p, _| (Key::Int(p.id), p.id));
    let items = views(db, page.items).await?;
    Ok(Page { items, next_cursor: page.next_cursor })
}
