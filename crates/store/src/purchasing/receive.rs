//! Receiving goods against a purchase order.

use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::inventory::MovementKind;
use salesflow_domain::purchasing::{self as rules, PurchaseAction, PurchaseStatus};
use salesflow_domain::quantity::{DecimalError, Quantity};
use salesflow_domain::validation::FieldError;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::{PurchaseOrderView, SOURCE_TYPE, full_view, lines_of};
use crate::Store;
use crate::audit::AuditEvent;
use crate::entity::{purchase_order, purchase_order_line, warehouse};
use crate::error::{StoreError, StoreResult};
use crate::inventory::{self, Source};
use crate::scope::Actor;

/// One line's receipt as typed.
#[derive(Debug, Clone, Default)]
pub struct ReceiptLine {
    pub line_id: i64,
    /// Decimal string, more than zero, at most what is outstanding.
    pub quantity: String,
}

#[derive(Debug, Clone, Default)]
pub struct ReceiveInput {
    pub warehouse_id: i64,
    pub lines: Vec<ReceiptLine>,
}

/// Receives goods against an ordered (or partly received) purchase order
/// into one warehouse: each line at most what is outstanding. Every
/// receipt is a `receipt` stock movement whose source is the order; the
/// order becomes partially received or received. Any refusal (422 with
/// the line's field, 409 for the order's state) changes nothing.
pub async fn receive(store: &Store, actor: &Actor, id: i64, input: ReceiveInput) -> StoreResult<PurchaseOrderView> {
    let permit = store.permit(actor, Module::Purchasing, Action::Edit)?;
    let mut invalid = Invalid::new();
    if input.lines.is_empty() {
        invalid.push(FieldError::new("lines", "required"));
    }
    let mut quantities = Vec::with_capacity(input.lines.len());
    for (i, l) in input.lines.iter().enumerate() {
        match Quantity::parse(&l.quantity) {
            Ok(q) => quantities.push(q),
            Err(e) => {
                invalid.push(DecimalError::field(e, &format!("lines[{i}].quantity"), 3, "0", "1000000000"));
                quantities.push(Quantity::ZERO);
            }
        }
        if input.lines[..i].iter().any(|earlier| earlier.line_id == l.line_id) {
            invalid.push(FieldError::new(&format!("lines[{i}].line_id"), "duplicate_line"));
        }
    }
    invalid.clone().into_result()?;
    let unit = permit.begin().await?;
    // Lock the order's row first (PostgreSQL's row lock; SQLite's write
    // transaction holds every row): receipts of one order take turns.
    let locked = purchase_order::Entity::update_many()
        .col_expr(purchase_order::Column::Version, Expr::col(purchase_order::Column::Version).add(1))
        .col_expr(purchase_order::Column::UpdatedAt, Expr::value(unit.now()))
        .filter(purchase_order::Column::Id.eq(id))
        .exec(&unit)
        .await?;
    if locked.rows_affected == 0 {
        return Err(StoreError::NotFound);
    }
    let order = purchase_order::Entity::find_by_id(id).one(&unit).await?.ok_or(StoreError::NotFound)?;
    let status = PurchaseStatus::parse(&order.status)
        .ok_or_else(|| StoreError::Internal(format!("unknown status {}", order.status)))?;
    if !status.receivable() {
        return Err(StoreError::Conflict(rules::NotAllowed { status, action: PurchaseAction::Receive }.to_string()));
    }
    let active = warehouse::Entity::find_by_id(input.warehouse_id)
        .filter(warehouse::Column::Active.eq(true))
        .count(&unit)
        .await?;
    if active == 0 {
        invalid.push(FieldError::new("warehouse_id", "unknown_reference"));
    }
    let lines = lines_of(&unit, id).await?;
    for (i, (l, q)) in input.lines.iter().zip(&quantities).enumerate() {
        let Some(line) = lines.iter().find(|line| line.id == l.line_id) else {
            invalid.push(FieldError::new(&format!("lines[{i}].line_id"), "unknown_reference"));
            continue;
        };
        if let Err(outstanding) = rules::check_receipt(Quantity(line.quantity), Quantity(line.received), *q) {
            invalid.push(
                FieldError::new(&format!("lines[{i}].quantity"), "exceeds_outstanding")
                    .with("outstanding", outstanding),
            );
        }
    }
    invalid.into_result()?;
    let source = Source { document_type: Some(SOURCE_TYPE.to_owned()), document_id: Some(id) };
    for (i, (l, q)) in input.lines.iter().zip(&quantities).enumerate() {
        let line = lines.iter().find(|line| line.id == l.line_id).ok_or(StoreError::NotFound)?;
        // The bound again, in the statement that raises it.
        let raised = purchase_order_line::Entity::update_many()
            .col_expr(purchase_order_line::Column::Received, Expr::col(purchase_order_line::Column::Received).add(q.0))
            .filter(purchase_order_line::Column::Id.eq(line.id))
            .filter(
                Expr::col(purchase_order_line::Column::Received)
                    .add(q.0)
                    .lte(Expr::col(purchase_order_line::Column::Quantity)),
            )
            .exec(&unit)
            .await?;
        if raised.rows_affected == 0 {
            return Err(Invalid(vec![FieldError::new(&format!("lines[{i}].quantity"), "exceeds_outstanding")]).into());
        }
        inventory::change_on_hand(
            &unit,
            MovementKind::Receipt,
            line.product_id,
            input.warehouse_id,
            *q,
            &source,
            &order.number,
        )
        .await?;
    }
    let after: Vec<(Quantity, Quantity)> =
        lines_of(&unit, id).await?.iter().map(|l| (Quantity(l.quantity), Quantity(l.received))).collect();
    let next = rules::transition(status, PurchaseAction::Receive, rules::fully_received(&after))
        .map_err(|e| StoreError::Conflict(e.to_string()))?;
    purchase_order::Entity::update_many()
        .col_expr(purchase_order::Column::Status, Expr::value(next.code()))
        .filter(purchase_order::Column::Id.eq(id))
        .exec(&unit)
        .await?;
    let order = purchase_order::Entity::find_by_id(id).one(&unit).await?.ok_or(StoreError::NotFound)?;
    let view = full_view(&unit, order).await?;
    let received: Vec<serde_json::Value> = input
        .lines
        .iter()
        .zip(&quantities)
        .map(|(l, q)| serde_json::json!({"line_id": l.line_id, "quantity": q.to_string()}))
        .collect();
    let event = AuditEvent::new("purchase_order.receive", "purchase_order", Some(id))
        .before(&serde_json::json!({"status": status.code()}))
        .after(&serde_json::json!({
            "status": next.code(), "number": view.number, "warehouse_id": input.warehouse_id, "lines": received,
        }));
    unit.commit(event).await?;
    Ok(view)
}
