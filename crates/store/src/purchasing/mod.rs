//! Purchasing (采购): suppliers and purchase orders.
//!
//! A purchase order is written as a draft (lines: product, quantity, unit
//! cost), ordered, then received line by line into a warehouse, partly or
//! wholly, or cancelled before anything arrives. The rules are the
//! domain's (`salesflow_domain::purchasing`). Receiving puts the goods in
//! through `inventory::change_on_hand` (a `receipt` movement whose source
//! is the purchase order) and raises the line's `received` in one
//! conditional `UPDATE … WHERE received + q <= quantity`, after locking the
//! order's row, so that concurrent receipts of one line never take it
//! beyond what was ordered.
//!
//! Purchasing is company-wide: whoever has the `purchasing` module's
//! `view` right sees every supplier and order.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use salesflow_domain::money::Money;
use salesflow_domain::quantity::Quantity;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use crate::entity::{product, purchase_order, purchase_order_line, supplier};
use crate::error::StoreResult;

mod drafts;
mod orders;
mod receive;
mod suppliers;

pub use drafts::*;
pub use orders::*;
pub use receive::*;
pub use suppliers::*;

/// The source type stock movements of a receipt name.
pub const SOURCE_TYPE: &str = "purchase_order";

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PurchaseLineView {
    pub id: i64,
    pub position: i64,
    pub product_id: i64,
    pub product_code: String,
    pub product_name: String,
    pub unit: String,
    /// Decimal strings in the product's unit.
    pub quantity: String,
    pub received: String,
    /// Ordered less received.
    pub outstanding: String,
    /// Without tax, e.g. `"12.50"`.
    pub unit_cost: String,
    /// Quantity × unit cost, to the cent.
    pub amount: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PurchaseOrderView {
    pub id: i64,
    /// `PO-YYYY-NNNNNN`.
    pub number: String,
    pub supplier_id: i64,
    pub supplier_name: String,
    /// `draft`, `ordered`, `partially_received`, `received`, `cancelled`.
    pub status: String,
    pub expected_date: Option<NaiveDate>,
    pub notes: String,
    /// The lines' amounts added up.
    pub total: String,
    pub created_by: Option<i64>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// In their order; empty in lists.
    pub lines: Vec<PurchaseLineView>,
}

fn line_view(l: purchase_order_line::Model, products: &HashMap<i64, product::Model>) -> PurchaseLineView {
    let p = products.get(&l.product_id);
    PurchaseLineView {
        product_code: p.map(|p| p.code.clone()).unwrap_or_default(),
        product_name: p.map(|p| p.name.clone()).unwrap_or_default(),
        unit: p.map(|p| p.unit.clone()).unwrap_or_default(),
        quantity: Quantity(l.quantity).to_string(),
        received: Quantity(l.received).to_string(),
        outstanding: Quantity(l.quantity - l.received).to_string(),
        unit_cost: Money(l.unit_cost).to_string(),
        amount: Money(l.amount).to_string(),
        id: l.id,
        position: l.position,
        product_id: l.product_id,
    }
}

fn order_view(
    o: purchase_order::Model,
    suppliers: &HashMap<i64, String>,
    lines: Vec<PurchaseLineView>,
) -> PurchaseOrderView {
    PurchaseOrderView {
        supplier_name: suppliers.get(&o.supplier_id).cloned().unwrap_or_default(),
        expected_date: o.expected_date.as_deref().and_then(salesflow_domain::time::parse_day),
        total: Money(o.total).to_string(),
        id: o.id,
        number: o.number,
        supplier_id: o.supplier_id,
        status: o.status,
        notes: o.notes,
        created_by: o.created_by,
        version: o.version,
        created_at: o.created_at,
        updated_at: o.updated_at,
        lines,
    }
}

async fn supplier_names<C: ConnectionTrait>(conn: &C, ids: &[i64]) -> StoreResult<HashMap<i64, String>> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = supplier::Entity::find().filter(supplier::Column::Id.is_in(ids)).all(conn).await?;
    Ok(rows.into_iter().map(|s| (s.id, s.name)).collect())
}

async fn lines_of<C: ConnectionTrait>(conn: &C, order_id: i64) -> StoreResult<Vec<purchase_order_line::Model>> {
    Ok(purchase_order_line::Entity::find()
        .filter(purchase_order_line::Column::PurchaseOrderId.eq(order_id))
        .order_by_asc(purchase_order_line::Column::Position)
        .all(conn)
        .await?)
}

/// One order with its lines, read on `conn` (the unit or the reader).
async fn full_view<C: ConnectionTrait>(conn: &C, o: purchase_order::Model) -> StoreResult<PurchaseOrderView> {
    let lines = lines_of(conn, o.id).await?;
    let product_ids: Vec<i64> = lines.iter().map(|l| l.product_id).collect();
    let products = crate::products::products_by_id(conn, &product_ids).await?;
    let names = supplier_names(conn, &[o.supplier_id]).await?;
    let lines = lines.into_iter().map(|l| line_view(l, &products)).collect();
    Ok(order_view(o, &names, lines))
}
