//! Drafting purchase orders from the low-stock list, and the bulk load of
//! past purchase orders for `salesflow demo` and `salesflow gen`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use salesflow_domain::access::{Action, Module};
use salesflow_domain::inventory::MovementKind;
use salesflow_domain::money::Money;
use salesflow_domain::purchasing::{self as rules, LINES_MAX, Line, PurchaseStatus};
use salesflow_domain::quantity::Quantity;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use serde::Serialize;

use super::orders::{Checked, PurchaseOrderInput, insert_draft};
use super::{PurchaseOrderView, SOURCE_TYPE, full_view};
use crate::Store;
use crate::audit::AuditEvent;
use crate::entity::{purchase_order, purchase_order_line, purchase_order_number, stock, stock_movement};
use crate::error::StoreResult;
use crate::scope::Actor;

/// A low product that got no draft, and why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SkippedProduct {
    pub product_id: i64,
    pub code: String,
    pub name: String,
    /// `no_default_supplier`, or `already_on_order` (open purchase orders
    /// already bring what it needs).
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DraftsFromLowStock {
    /// One draft per supplier, lines by product code.
    pub created: Vec<PurchaseOrderView>,
    pub skipped: Vec<SkippedProduct>,
}

/// Drafts purchase orders for every low product: one draft per default
/// supplier, each line the suggested quantity less what open purchase
/// orders (draft, ordered, partially received) still bring, at the
/// product's cost. Products without a default supplier, or already fully
/// on order, are listed as skipped.
pub async fn drafts_from_low_stock(store: &Store, actor: &Actor) -> StoreResult<DraftsFromLowStock> {
    let permit = store.permit(actor, Module::Purchasing, Action::Create)?;
    let low = crate::inventory::low_stock(store, actor, 500).await?;
    let unit = permit.begin().await?;
    let ids: Vec<i64> = low.iter().map(|l| l.product_id).collect();
    let products = crate::products::products_by_id(&unit, &ids).await?;
    let open = [PurchaseStatus::Draft, PurchaseStatus::Ordered, PurchaseStatus::PartiallyReceived].map(|s| s.code());
    let on_order: Vec<(i64, i64, i64)> = purchase_order_line::Entity::find()
        .select_only()
        .column(purchase_order_line::Column::ProductId)
        .column(purchase_order_line::Column::Quantity)
        .column(purchase_order_line::Column::Received)
        .filter(purchase_order_line::Column::ProductId.is_in(ids.clone()))
        .filter(
            purchase_order_line::Column::PurchaseOrderId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(purchase_order::Column::Id)
                    .from(purchase_order::Entity)
                    .and_where(purchase_order::Column::Status.is_in(open))
                    .to_owned(),
            ),
        )
        .into_tuple()
        .all(&unit)
        .await?;
    let mut coming: HashMap<i64, Quantity> = HashMap::new();
    for (p, q, r) in on_order {
        *coming.entry(p).or_default() = *coming.entry(p).or_default() + Quantity(q - r);
    }
    let mut by_supplier: BTreeMap<i64, Vec<(i64, Line)>> = BTreeMap::new();
    let mut skipped = Vec::new();
    for l in &low {
        let Some(p) = products.get(&l.product_id) else { continue };
        let skip = |reason: &str| SkippedProduct {
            product_id: p.id,
            code: p.code.clone(),
            name: p.name.clone(),
            reason: reason.to_owned(),
        };
        let Some(supplier_id) = p.default_supplier_id else {
            skipped.push(skip("no_default_supplier"));
            continue;
        };
        let suggested = Quantity::parse(&l.suggested_order).unwrap_or_default();
        // At least back above the reorder point when the suggestion is nil.
        let wanted = if suggested.is_positive() {
            suggested
        } else {
            Quantity(p.reorder_point) - Quantity::parse(&l.available).unwrap_or_default() + Quantity::units(1)
        };
        let quantity = wanted - coming.get(&p.id).copied().unwrap_or_default();
        if !quantity.is_positive() {
            skipped.push(skip("already_on_order"));
            continue;
        }
        let lines = by_supplier.entry(supplier_id).or_default();
        if lines.len() < LINES_MAX {
            lines.push((p.id, Line { quantity, unit_cost: Money(p.cost) }));
        }
    }
    let mut created = Vec::new();
    for (supplier_id, lines) in by_supplier {
        let (amounts, total) = rules::totals(&lines.iter().map(|(_, l)| *l).collect::<Vec<_>>())?;
        let checked = Checked {
            expected_date: None,
            lines: lines.into_iter().zip(amounts).map(|((p, l), a)| (p, l, a)).collect(),
            total,
        };
        let input = PurchaseOrderInput { supplier_id, ..Default::default() };
        let o = insert_draft(&unit, &input, &checked).await?;
        created.push(full_view(&unit, o).await?);
    }
    let summary: Vec<serde_json::Value> =
        created.iter().map(|o| serde_json::json!({"id": o.id, "number": o.number, "total": o.total})).collect();
    let event = AuditEvent::new("purchase_order.draft_from_low_stock", "purchase_order", created.first().map(|o| o.id))
        .after(&serde_json::json!({"created": summary, "skipped": skipped.len()}));
    unit.commit(event).await?;
    Ok(DraftsFromLowStock { created, skipped })
}

/// A past purchase order for [`load_purchase_orders`].
#[derive(Debug, Clone)]
pub struct PastPurchaseOrder {
    pub supplier_id: i64,
    pub ordered_at: DateTime<Utc>,
    pub expected_date: Option<NaiveDate>,
    /// Received (into `warehouse_id`, at `received_at`) or still ordered.
    pub received_at: Option<DateTime<Utc>>,
    pub warehouse_id: i64,
    pub notes: String,
    /// Product, quantity, unit cost.
    pub lines: Vec<(i64, Quantity, Money)>,
}

/// Writes past purchase orders (oldest first) with their numbers; a
/// received one also puts its goods in stock with `receipt` movements
/// tied to it, and the stock cards they join get their running balance
/// again in time order. For `salesflow demo` and `salesflow gen` (no
/// audit rows, like every bulk load).
pub async fn load_purchase_orders(store: &Store, orders: &[PastPurchaseOrder]) -> StoreResult<usize> {
    let txn = store.begin().await?;
    let mut touched: BTreeSet<(i64, i64)> = BTreeSet::new();
    let mut numbers: HashMap<i32, i64> = HashMap::new();
    for o in orders {
        let lines: Vec<Line> = o.lines.iter().map(|(_, q, c)| Line { quantity: *q, unit_cost: *c }).collect();
        let (amounts, total) = rules::totals(&lines)?;
        let year = o.ordered_at.year();
        let next = match numbers.get(&year) {
            Some(n) => n + 1,
            None => {
                let last: Option<i64> = purchase_order_number::Entity::find_by_id(year)
                    .select_only()
                    .column(purchase_order_number::Column::Last)
                    .into_tuple()
                    .one(&txn)
                    .await?;
                last.unwrap_or(0) + 1
            }
        };
        numbers.insert(year, next);
        let status = if o.received_at.is_some() { PurchaseStatus::Received } else { PurchaseStatus::Ordered };
        let saved = purchase_order::ActiveModel {
            number: Set(rules::number(year, next)),
            supplier_id: Set(o.supplier_id),
            status: Set(status.code().to_owned()),
            expected_date: Set(o.expected_date.map(|d| d.format("%Y-%m-%d").to_string())),
            notes: Set(o.notes.clone()),
            total: Set(total.0),
            created_by: Set(None),
            version: Set(1),
            created_at: Set(o.ordered_at),
            updated_at: Set(o.received_at.unwrap_or(o.ordered_at)),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        for (i, ((product_id, quantity, cost), amount)) in o.lines.iter().zip(amounts).enumerate() {
            purchase_order_line::ActiveModel {
                purchase_order_id: Set(saved.id),
                position: Set(i as i64 + 1),
                product_id: Set(*product_id),
                quantity: Set(quantity.0),
                received: Set(if o.received_at.is_some() { quantity.0 } else { 0 }),
                unit_cost: Set(cost.0),
                amount: Set(amount.0),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            let Some(at) = o.received_at else { continue };
            touched.insert((*product_id, o.warehouse_id));
            stock_movement::ActiveModel {
                product_id: Set(*product_id),
                warehouse_id: Set(o.warehouse_id),
                kind: Set(MovementKind::Receipt.code().to_owned()),
                quantity: Set(quantity.0),
                // Set by the rebalance below, in time order.
                balance_after: Set(0),
                source_type: Set(Some(SOURCE_TYPE.to_owned())),
                source_id: Set(Some(saved.id)),
                reason: Set(saved.number.clone()),
                created_by: Set(None),
                created_at: Set(at),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }
    for (year, last) in numbers {
        purchase_order_number::Entity::insert(purchase_order_number::ActiveModel { year: Set(year), last: Set(last) })
            .on_conflict(
                sea_orm::sea_query::OnConflict::column(purchase_order_number::Column::Year)
                    .update_column(purchase_order_number::Column::Last)
                    .to_owned(),
            )
            .exec(&txn)
            .await?;
    }
    for (product_id, warehouse_id) in touched {
        rebalance(&txn, store.now(), product_id, warehouse_id).await?;
    }
    txn.commit().await?;
    Ok(orders.len())
}

/// Recomputes a stock card's running balance in time order (past receipts
/// were added among existing movements) and sets on hand to its end.
async fn rebalance<C: sea_orm::ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
    product_id: i64,
    warehouse_id: i64,
) -> StoreResult<()> {
    use sea_orm::QueryOrder;
    use sea_orm::sea_query::Expr;
    let rows: Vec<(i64, i64, i64)> = stock_movement::Entity::find()
        .select_only()
        .column(stock_movement::Column::Id)
        .column(stock_movement::Column::Quantity)
        .column(stock_movement::Column::BalanceAfter)
        .filter(stock_movement::Column::ProductId.eq(product_id))
        .filter(stock_movement::Column::WarehouseId.eq(warehouse_id))
        .order_by_asc(stock_movement::Column::CreatedAt)
        .order_by_asc(stock_movement::Column::Id)
        .into_tuple()
        .all(conn)
        .await?;
    let mut balance = 0i64;
    for (id, quantity, stored) in rows {
        balance += quantity;
        if stored != balance {
            stock_movement::Entity::update_many()
                .col_expr(stock_movement::Column::BalanceAfter, Expr::value(balance))
                .filter(stock_movement::Column::Id.eq(id))
                .exec(conn)
                .await?;
        }
    }
    stock::Entity::insert(stock::ActiveModel {
        product_id: Set(product_id),
        warehouse_id: Set(warehouse_id),
        on_hand: Set(balance),
        reserved: Set(0),
        version: Set(1),
        updated_at: Set(now),
    })
    .on_conflict(
        sea_orm::sea_query::OnConflict::columns([stock::Column::ProductId, stock::Column::WarehouseId])
            .update_column(stock::Column::OnHand)
            .to_owned(),
    )
    .exec(conn)
    .await?;
    Ok(())
}
