//! An order's life cycle: submit (the approval rules decide whether it
//! waits), approve / reject (the approval engine's decision, then the
//! order's transition), ship (partial or whole), complete, cancel.
//!
//! Approving reserves every line's stock in the same unit: a line short of
//! stock refuses the approval and nothing changes (the reservations are
//! conditional updates that never take available below zero).

use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::approvals::{Decision, DocumentType, Facts};
use salesflow_domain::orders::{self as rules, OrderAction, OrderStatus};
use salesflow_domain::quantity::Quantity;
use salesflow_domain::validation::FieldError;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::{LINK, OrderView, find_in_scope, find_readable, full_view, status_of, totals_of};
use crate::Store;
use crate::approvals::{self, DocumentRef, Outcome};
use crate::audit::AuditEvent;
use crate::entity::{customer, order, order_line, shipment, shipment_line, warehouse};
use crate::error::{StoreError, StoreResult};
use crate::inventory::{self, Source};
use crate::scope::Actor;
use crate::unit_of_work::UnitOfWork;

fn not_allowed(e: rules::NotAllowed) -> StoreError {
    StoreError::Conflict(e.to_string())
}

fn link(id: i64) -> String {
    format!("{LINK}{id}")
}

async fn default_warehouse<C: ConnectionTrait>(conn: &C) -> StoreResult<Option<i64>> {
    Ok(warehouse::Entity::find()
        .filter(warehouse::Column::Active.eq(true))
        .order_by_asc(warehouse::Column::Code)
        .one(conn)
        .await?
        .map(|w| w.id))
}

/// Reserves every line's stock (in its warehouse, else the order's, else
/// the first active one); a line short of stock fails the whole unit. A
/// service's line has no stock to reserve.
async fn reserve_lines(unit: &UnitOfWork<'_>, o: &order::Model) -> StoreResult<()> {
    let lines = order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(o.id))
        .order_by_asc(order_line::Column::Position)
        .all(unit)
        .await?;
    let services = crate::products::services(unit, &lines.iter().map(|l| l.product_id).collect::<Vec<_>>()).await?;
    let lines: Vec<_> = lines.into_iter().enumerate().filter(|(_, l)| !services.contains(&l.product_id)).collect();
    let fallback = match o.warehouse_id {
        Some(w) => Some(w),
        None => default_warehouse(unit).await?,
    };
    for (i, l) in &lines {
        let Some(w) = l.warehouse_id.or(fallback) else {
            return Err(Invalid::one(&format!("lines[{i}].warehouse_id"), "required").into());
        };
        match inventory::reserve(unit, l.product_id, w, Quantity(l.quantity)).await {
            Ok(_) => {}
            Err(StoreError::Invalid(mut inv)) => {
                for e in &mut inv.0 {
                    e.field = format!("lines[{i}].{}", e.field);
                }
                return Err(StoreError::Invalid(inv));
            }
            Err(e) => return Err(e),
        }
        order_line::Entity::update_many()
            .col_expr(order_line::Column::Reserved, Expr::value(l.quantity))
            .col_expr(order_line::Column::WarehouseId, Expr::value(Some(w)))
            .filter(order_line::Column::Id.eq(l.id))
            .exec(unit)
            .await?;
    }
    Ok(())
}

async fn release_lines(unit: &UnitOfWork<'_>, o: &order::Model) -> StoreResult<()> {
    let lines = order_line::Entity::find().filter(order_line::Column::OrderId.eq(o.id)).all(unit).await?;
    for l in lines.iter().filter(|l| l.reserved > 0) {
        if let Some(w) = l.warehouse_id {
            inventory::release(unit, l.product_id, w, Quantity(l.reserved)).await?;
        }
        order_line::Entity::update_many()
            .col_expr(order_line::Column::Reserved, Expr::value(0i64))
            .filter(order_line::Column::Id.eq(l.id))
            .exec(unit)
            .await?;
    }
    Ok(())
}

async fn set_status(
    unit: &UnitOfWork<'_>,
    o: &order::Model,
    next: OrderStatus,
    stamp: Option<order::Column>,
) -> StoreResult<order::Model> {
    let mut update = unit.update::<order::Entity>(o.id, o.version).set(order::Column::Status, Expr::value(next.code()));
    if let Some(column) = stamp {
        update = update.set(column, Expr::value(Some(unit.now())));
    }
    update.exec().await
}

async fn finish(
    unit: UnitOfWork<'_>,
    actor: &Actor,
    action: &'static str,
    before: &order::Model,
    after: order::Model,
) -> StoreResult<OrderView> {
    let id = after.id;
    let view = full_view(&unit, actor, after).await?;
    let event = AuditEvent::new(format!("order.{action}"), "order", Some(id))
        .note("number", serde_json::json!(before.number))
        .note("from", serde_json::json!(before.status))
        .note("to", serde_json::json!(view.status));
    unit.commit(event).await?;
    Ok(view)
}

/// Submits a draft (or a rejected order again): when the approval rules
/// require steps, a request opens and the order waits (`submitted`);
/// otherwise it is approved at once and its stock reserved.
pub async fn submit(store: &Store, actor: &Actor, id: i64) -> StoreResult<OrderView> {
    let permit = store.permit(actor, Module::Orders, Action::Edit)?;
    let unit = permit.begin().await?;
    let o = find_in_scope(&unit, actor, id).await?;
    // Refused early when the state does not allow a submission.
    rules::transition(status_of(&o), OrderAction::Submit, false, false).map_err(not_allowed)?;
    let totals = totals_of(&o);
    let credit = rules::credit(
        crate::finance::open_receivables(&unit, o.customer_id, o.id).await?,
        totals.total,
        super::credit_limit(&unit, o.customer_id).await?,
    );
    let facts = Facts {
        document: DocumentType::Order,
        amount: totals.total,
        discount: rules::discount_percent(&totals),
        over_credit_limit: credit.over_limit.0 > 0,
    };
    let customer_name =
        customer::Entity::find_by_id(o.customer_id).one(&unit).await?.map(|c| c.name).unwrap_or_default();
    let doc = DocumentRef {
        document: DocumentType::Order,
        id: o.id,
        number: o.number.clone(),
        customer_id: Some(o.customer_id),
        customer_name,
        amount: totals.total,
        requester_id: actor.user_id.unwrap_or(o.created_by),
        link: link(o.id),
    };
    let request = approvals::open(&unit, &doc, &facts).await?;
    let next = rules::transition(status_of(&o), OrderAction::Submit, request.is_some(), false).map_err(not_allowed)?;
    let mut update = unit
        .update::<order::Entity>(o.id, o.version)
        .set(order::Column::Status, Expr::value(next.code()))
        .set(order::Column::SubmittedAt, Expr::value(Some(unit.now())));
    if next == OrderStatus::Approved {
        update = update.set(order::Column::ApprovedAt, Expr::value(Some(unit.now())));
    }
    let mut after = update.exec().await?;
    if next == OrderStatus::Approved {
        reserve_lines(&unit, &after).await?;
        after = crate::finance::on_approved(&unit, after.id).await?;
    }
    finish(unit, actor, "submit", &o, after).await
}

async fn decide(
    store: &Store,
    actor: &Actor,
    id: i64,
    decision: Decision,
    comment: Option<&str>,
) -> StoreResult<OrderView> {
    // The right to decide is the engine's (the step's approver), checked
    // once the order and its request are read.
    let permit = store.permit_by_record(actor);
    let unit = permit.begin().await?;
    let o = find_readable(&unit, actor, id).await?;
    let action = match decision {
        Decision::Approve => OrderAction::Approve,
        Decision::Reject => OrderAction::Reject,
    };
    let next = rules::transition(status_of(&o), action, false, false).map_err(not_allowed)?;
    let outcome = approvals::decide(&unit, DocumentType::Order, o.id, &link(o.id), decision, comment).await?;
    let after = match outcome {
        Outcome::NextStep => unit.update::<order::Entity>(o.id, o.version).exec().await?,
        Outcome::Approved => {
            let after = set_status(&unit, &o, next, Some(order::Column::ApprovedAt)).await?;
            reserve_lines(&unit, &after).await?;
            crate::finance::on_approved(&unit, after.id).await?
        }
        Outcome::Rejected => set_status(&unit, &o, next, None).await?,
    };
    let name = match outcome {
        Outcome::NextStep => "approve_step",
        Outcome::Approved => "approve",
        Outcome::Rejected => "reject",
    };
    finish(unit, actor, name, &o, after).await
}

/// Approves the order's current step as its approver; the last step
/// approves the order and reserves its stock (refused, nothing changed,
/// when a line is short).
pub async fn approve(store: &Store, actor: &Actor, id: i64, comment: Option<&str>) -> StoreResult<OrderView> {
    decide(store, actor, id, Decision::Approve, comment).await
}

/// Rejects the order (a comment says why); it goes back to be reworked.
pub async fn reject(store: &Store, actor: &Actor, id: i64, comment: Option<&str>) -> StoreResult<OrderView> {
    decide(store, actor, id, Decision::Reject, comment).await
}

#[derive(Debug, Clone)]
pub struct ShipLine {
    pub order_line_id: i64,
    /// Decimal string.
    pub quantity: String,
}

#[derive(Debug, Clone, Default)]
pub struct ShipInput {
    pub carrier: String,
    pub tracking_number: String,
    pub lines: Vec<ShipLine>,
}

/// Ships some or all of what is left: each line up to its ordered
/// quantity; the goods leave stock (`inventory::ship`, consuming the
/// reservation).
pub async fn ship(store: &Store, actor: &Actor, id: i64, input: ShipInput) -> StoreResult<OrderView> {
    let permit = store.permit(actor, Module::Orders, Action::Edit)?;
    let unit = permit.begin().await?;
    let o = find_in_scope(&unit, actor, id).await?;
    rules::transition(status_of(&o), OrderAction::Ship, false, false).map_err(not_allowed)?;
    let mut invalid = Invalid::new();
    invalid.text("carrier", &input.carrier, 100);
    invalid.optional_text("tracking_number", input.tracking_number.trim(), 100);
    if input.lines.is_empty() {
        invalid.push(FieldError::new("lines", "required"));
    }
    let mut lines = order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(o.id))
        .order_by_asc(order_line::Column::Position)
        .all(&unit)
        .await?;
    let services = crate::products::services(&unit, &lines.iter().map(|l| l.product_id).collect::<Vec<_>>()).await?;
    let mut moves = Vec::new();
    for (i, s) in input.lines.iter().enumerate() {
        let field = format!("lines[{i}].quantity");
        let Some(l) = lines.iter().position(|l| l.id == s.order_line_id) else {
            invalid.push(FieldError::new(&format!("lines[{i}].order_line_id"), "unknown_reference"));
            continue;
        };
        if moves.iter().any(|(j, _)| *j == l) {
            invalid.push(FieldError::new(&format!("lines[{i}].order_line_id"), "duplicate"));
            continue;
        }
        match Quantity::parse(&s.quantity) {
            Err(e) => invalid.push(e.field(&field, 3, "0.001", "1000000000")),
            Ok(q) => match rules::check_against(Quantity(lines[l].quantity), Quantity(lines[l].shipped), q) {
                Ok(()) => moves.push((l, q)),
                Err(left) if !q.is_positive() => {
                    invalid.push(FieldError::new(&field, "must_be_positive").with("max", left))
                }
                Err(left) => invalid.push(FieldError::new(&field, "more_than_remaining").with("max", left)),
            },
        }
    }
    invalid.into_result()?;
    let now = unit.now();
    let s = shipment::ActiveModel {
        order_id: Set(o.id),
        carrier: Set(input.carrier.trim().to_owned()),
        tracking_number: Set(input.tracking_number.trim().to_owned()),
        created_by: Set(actor.user_id),
        shipped_at: Set(now),
        ..Default::default()
    }
    .insert(&unit)
    .await?;
    let source = Source { document_type: Some("order".into()), document_id: Some(o.id) };
    for (i, (l, q)) in moves.iter().enumerate() {
        let line = &mut lines[*l];
        let was_reserved = Quantity(line.reserved).min(*q);
        // A service is delivered, not issued from stock.
        if !services.contains(&line.product_id) {
            let Some(w) = line.warehouse_id else {
                return Err(Invalid::one(&format!("lines[{i}].warehouse_id"), "required").into());
            };
            match inventory::ship(&unit, line.product_id, w, *q, was_reserved, &source).await {
                Ok(_) => {}
                Err(StoreError::Invalid(mut inv)) => {
                    for e in &mut inv.0 {
                        e.field = format!("lines[{i}].{}", e.field);
                    }
                    return Err(StoreError::Invalid(inv));
                }
                Err(e) => return Err(e),
            }
        }
        line.shipped += q.0;
        line.reserved -= was_reserved.0;
        order_line::Entity::update_many()
            .col_expr(order_line::Column::Shipped, Expr::value(line.shipped))
            .col_expr(order_line::Column::Reserved, Expr::value(line.reserved))
            .filter(order_line::Column::Id.eq(line.id))
            .exec(&unit)
            .await?;
        shipment_line::ActiveModel {
            shipment_id: Set(s.id),
            order_line_id: Set(line.id),
            quantity: Set(q.0),
            ..Default::default()
        }
        .insert(&unit)
        .await?;
    }
    let fully = lines.iter().all(|l| l.shipped >= l.quantity);
    let next = rules::transition(status_of(&o), OrderAction::Ship, false, fully).map_err(not_allowed)?;
    let after = set_status(&unit, &o, next, None).await?;
    finish(unit, actor, "ship", &o, after).await
}

/// Completes a shipped order.
pub async fn complete(store: &Store, actor: &Actor, id: i64) -> StoreResult<OrderView> {
    let permit = store.permit(actor, Module::Orders, Action::Edit)?;
    let unit = permit.begin().await?;
    let o = find_in_scope(&unit, actor, id).await?;
    let next = rules::transition(status_of(&o), OrderAction::Complete, false, true).map_err(not_allowed)?;
    let after = set_status(&unit, &o, next, None).await?;
    finish(unit, actor, "complete", &o, after).await
}

/// Cancels an order before anything shipped: its reservations are
/// released and a pending approval is withdrawn.
pub async fn cancel(store: &Store, actor: &Actor, id: i64) -> StoreResult<OrderView> {
    let permit = store.permit(actor, Module::Orders, Action::Edit)?;
    let unit = permit.begin().await?;
    let o = find_in_scope(&unit, actor, id).await?;
    let next = rules::transition(status_of(&o), OrderAction::Cancel, false, false).map_err(not_allowed)?;
    crate::finance::on_cancelled(&unit, &o).await?;
    if status_of(&o).holds_reservation() {
        release_lines(&unit, &o).await?;
    }
    approvals::cancel(&unit, DocumentType::Order, o.id).await?;
    let after = set_status(&unit, &o, next, None).await?;
    finish(unit, actor, "cancel", &o, after).await
}

/// A customer's orders for its page (newest first, at most `limit`).
pub async fn for_customer(
    store: &Store,
    actor: &Actor,
    customer_id: i64,
    limit: u64,
) -> StoreResult<Vec<super::OrderSummary>> {
    if !actor.can(Module::Orders, Action::View) {
        return Ok(Vec::new());
    }
    let filter = super::OrderFilter { customer_id: Some(customer_id), ..Default::default() };
    let page = crate::paging::PageRequest { limit: Some(limit), ..Default::default() };
    Ok(super::list(store, actor, &filter, &page).await?.items)
}
