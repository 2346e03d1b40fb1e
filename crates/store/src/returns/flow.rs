//! Registering a return and moving it along: receive (the goods back in
//! stock), complete (the refund settled), cancel (a draft's quantities
//! given back to the order's lines).

use chrono::Datelike;
use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::inventory::MovementKind;
use salesflow_domain::money::Money;
use salesflow_domain::orders::OrderStatus;
use salesflow_domain::quantity::Quantity;
use salesflow_domain::returns::{self as rules, ReturnAction, ReturnStatus};
use salesflow_domain::validation::FieldError;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

use super::{ReturnView, SOURCE_TYPE, find_in_scope, full_view, lines_of, status_of};
use crate::Store;
use crate::audit::AuditEvent;
use crate::entity::{order_line, return_line, return_order, warehouse};
use crate::error::{StoreError, StoreResult};
use crate::inventory::{self, Source};
use crate::scope::Actor;

/// One line of a return as typed.
#[derive(Debug, Clone, Default)]
pub struct ReturnLineInput {
    pub order_line_id: i64,
    /// Decimal string: more than zero, at most what the line shipped less
    /// what earlier returns took.
    pub quantity: String,
}

#[derive(Debug, Clone, Default)]
pub struct ReturnInput {
    pub order_id: i64,
    /// The (active) warehouse the goods go back into.
    pub warehouse_id: i64,
    pub reason: String,
    pub lines: Vec<ReturnLineInput>,
}

/// Registers a return (a draft) against a shipped or partly shipped order
/// in the caller's scope. Each line's quantity is taken off what may still
/// come back in the statement that records it (`returned + q <= shipped`),
/// so concurrent returns of one line never exceed what shipped; the
/// refund is the domain's share of the line's total. Any refusal changes
/// nothing.
pub async fn create(store: &Store, actor: &Actor, input: ReturnInput) -> StoreResult<ReturnView> {
    let permit = store.permit(actor, Module::Orders, Action::Create)?;
    let mut invalid = Invalid::new();
    invalid.text("reason", &input.reason, rules::REASON_MAX);
    if input.lines.is_empty() {
        invalid.push(FieldError::new("lines", "required"));
    }
    if input.lines.len() > rules::LINES_MAX {
        invalid.push(FieldError::new("lines", "too_many").with("max", rules::LINES_MAX));
    }
    let mut quantities = Vec::with_capacity(input.lines.len());
    for (i, l) in input.lines.iter().enumerate() {
        match Quantity::parse(&l.quantity) {
            Ok(q) => quantities.push(q),
            Err(e) => {
                invalid.push(e.field(&format!("lines[{i}].quantity"), 3, "0.001", "1000000000"));
                quantities.push(Quantity::ZERO);
            }
        }
        if input.lines[..i].iter().any(|earlier| earlier.order_line_id == l.order_line_id) {
            invalid.push(FieldError::new(&format!("lines[{i}].order_line_id"), "duplicate"));
        }
    }
    let unit = permit.begin().await?;
    let order = match crate::orders::find_in_scope(&unit, actor, input.order_id).await {
        Ok(o) => Some(o),
        Err(StoreError::NotFound) => {
            invalid.push(FieldError::new("order_id", "unknown_reference"));
            None
        }
        Err(e) => return Err(e),
    };
    if let Some(o) = &order
        && !rules::order_returnable(OrderStatus::parse(&o.status).unwrap_or(OrderStatus::Draft))
    {
        invalid.push(FieldError::new("order_id", "not_shipped"));
    }
    let active = warehouse::Entity::find_by_id(input.warehouse_id)
        .filter(warehouse::Column::Active.eq(true))
        .count(&unit)
        .await?;
    if active == 0 {
        invalid.push(FieldError::new("warehouse_id", "unknown_reference"));
    }
    let order_lines = match &order {
        Some(o) => order_line::Entity::find().filter(order_line::Column::OrderId.eq(o.id)).all(&unit).await?,
        None => Vec::new(),
    };
    if order.is_some() {
        for (i, (l, q)) in input.lines.iter().zip(&quantities).enumerate() {
            let Some(line) = order_lines.iter().find(|ol| ol.id == l.order_line_id) else {
                invalid.push(FieldError::new(&format!("lines[{i}].order_line_id"), "unknown_reference"));
                continue;
            };
            if !q.is_positive() {
                if !invalid.0.iter().any(|e| e.field == format!("lines[{i}].quantity")) {
                    invalid.push(FieldError::new(&format!("lines[{i}].quantity"), "must_be_positive"));
                }
                continue;
            }
            if let Err(left) = rules::check_quantity(Quantity(line.shipped), Quantity(line.returned), *q) {
                invalid
                    .push(FieldError::new(&format!("lines[{i}].quantity"), "more_than_returnable").with("max", left));
            }
        }
    }
    invalid.into_result()?;
    let order = order.ok_or(StoreError::NotFound)?;
    let year = crate::settings::today(&unit, unit.now()).await?.year();
    let number = crate::orders::next_number(&unit, rules::NUMBER_PREFIX, year).await?;
    let now = unit.now();
    let head = return_order::ActiveModel {
        number: Set(number),
        order_id: Set(order.id),
        customer_id: Set(order.customer_id),
        warehouse_id: Set(input.warehouse_id),
        status: Set(ReturnStatus::Draft.code().to_owned()),
        reason: Set(input.reason.trim().to_owned()),
        refund: Set(0),
        created_by: Set(actor.user_id.unwrap_or_default()),
        received_at: Set(None),
        completed_at: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&unit)
    .await?;
    let mut total: i128 = 0;
    for (i, (l, q)) in input.lines.iter().zip(&quantities).enumerate() {
        let line = order_lines.iter().find(|ol| ol.id == l.order_line_id).ok_or(StoreError::NotFound)?;
        // The bound again, in the statement that takes the quantity: a
        // return registered meanwhile is counted.
        let taken = order_line::Entity::update_many()
            .col_expr(order_line::Column::Returned, Expr::col(order_line::Column::Returned).add(q.0))
            .filter(order_line::Column::Id.eq(line.id))
            .filter(Expr::col(order_line::Column::Returned).add(q.0).lte(Expr::col(order_line::Column::Shipped)))
            .exec(&unit)
            .await?;
        if taken.rows_affected == 0 {
            return Err(Invalid(vec![FieldError::new(&format!("lines[{i}].quantity"), "more_than_returnable")]).into());
        }
        // What earlier returns took, read under the row's lock.
        let now_line = order_line::Entity::find_by_id(line.id).one(&unit).await?.ok_or(StoreError::NotFound)?;
        let before = Quantity(now_line.returned) - *q;
        let refund = rules::refund(Money(line.total), Quantity(line.quantity), before, *q);
        total += refund.0 as i128;
        return_line::ActiveModel {
            return_id: Set(head.id),
            order_line_id: Set(line.id),
            product_id: Set(line.product_id),
            quantity: Set(q.0),
            refund: Set(refund.0),
            ..Default::default()
        }
        .insert(&unit)
        .await?;
    }
    // The refund, once the lines are priced (the same unit: still version 1).
    return_order::Entity::update_many()
        .col_expr(return_order::Column::Refund, Expr::value(total as i64))
        .filter(return_order::Column::Id.eq(head.id))
        .exec(&unit)
        .await?;
    let after = return_order::Entity::find_by_id(head.id).one(&unit).await?.ok_or(StoreError::NotFound)?;
    let view = full_view(&unit, after).await?;
    let lines: Vec<serde_json::Value> = view
        .lines
        .iter()
        .map(|l| serde_json::json!({"order_line_id": l.order_line_id, "quantity": l.quantity, "refund": l.refund}))
        .collect();
    let event = AuditEvent::new("return.create", "return", Some(view.id)).after(&serde_json::json!({
        "number": view.number, "order_id": view.order_id, "warehouse_id": view.warehouse_id,
        "reason": view.reason, "refund": view.refund, "lines": lines,
    }));
    unit.commit(event).await?;
    Ok(view)
}

/// Receives (the goods go back into the return's warehouse: a `return`
/// movement per line whose source is the return), completes (the refund
/// is settled) or cancels (a draft only; its quantities go back to what
/// the order's lines may return). `version`, when given, must be the one
/// last read (409 otherwise).
pub async fn act(
    store: &Store,
    actor: &Actor,
    id: i64,
    action: ReturnAction,
    version: Option<i64>,
) -> StoreResult<ReturnView> {
    let permit = store.permit(actor, Module::Orders, Action::Edit)?;
    let unit = permit.begin().await?;
    let r = find_in_scope(&unit, actor, id).await?;
    let status = status_of(&r);
    let next = rules::transition(status, action).map_err(|e| StoreError::Conflict(e.to_string()))?;
    let version = version.unwrap_or(r.version);
    // The version first: a stale one changes nothing (409).
    let mut update =
        unit.update::<return_order::Entity>(r.id, version).set(return_order::Column::Status, Expr::value(next.code()));
    let lines = lines_of(&unit, r.id).await?;
    match action {
        ReturnAction::Receive => {
            update = update.set(return_order::Column::ReceivedAt, Expr::value(Some(unit.now())));
        }
        ReturnAction::Complete => {
            update = update.set(return_order::Column::CompletedAt, Expr::value(Some(unit.now())));
        }
        ReturnAction::Cancel => {}
    }
    let after = update.exec().await?;
    match action {
        ReturnAction::Receive => {
            let source = Source { document_type: Some(SOURCE_TYPE.to_owned()), document_id: Some(r.id) };
            // A service has no stock to go back into.
            let services =
                crate::products::services(&unit, &lines.iter().map(|l| l.product_id).collect::<Vec<_>>()).await?;
            for l in lines.iter().filter(|l| !services.contains(&l.product_id)) {
                inventory::change_on_hand(
                    &unit,
                    MovementKind::Return,
                    l.product_id,
                    r.warehouse_id,
                    Quantity(l.quantity),
                    &source,
                    &r.number,
                )
                .await?;
            }
        }
        ReturnAction::Cancel => {
            for l in &lines {
                order_line::Entity::update_many()
                    .col_expr(order_line::Column::Returned, Expr::col(order_line::Column::Returned).sub(l.quantity))
                    .filter(order_line::Column::Id.eq(l.order_line_id))
                    .exec(&unit)
                    .await?;
            }
        }
        ReturnAction::Complete => {}
    }
    let view = full_view(&unit, after).await?;
    let event = AuditEvent::new(format!("return.{}", action.code()), "return", Some(r.id))
        .note("number", serde_json::json!(r.number))
        .note("from", serde_json::json!(status.code()))
        .note("to", serde_json::json!(next.code()));
    unit.commit(event).await?;
    Ok(view)
}

/// A customer's returns for its page (newest first, at most `limit`).
pub async fn for_customer(store: &Store, actor: &Actor, customer_id: i64, limit: u64) -> StoreResult<Vec<ReturnView>> {
    if !actor.can(Module::Orders, Action::View) {
        return Ok(Vec::new());
    }
    let filter = super::ReturnFilter { customer_id: Some(customer_id), ..Default::default() };
    let page = crate::paging::PageRequest { limit: Some(limit), ..Default::default() };
    Ok(super::list(store, actor, &filter, &page).await?.items)
}
