//! Past orders in bulk, for `salesflow demo` and `salesflow gen`: closed
//! orders (completed, shipped, rejected, cancelled) with their lines and
//! shipments, numbered from the same per-year sequence as live orders, at
//! their own dates. Like every bulk load they write no audit rows, and
//! they hold no reservations (no stock moves: the stock history is loaded
//! on its own).

use chrono::{DateTime, Datelike, Duration, Utc};
use salesflow_domain::money::Money;
use salesflow_domain::orders::{self as rules, Line, OrderStatus};
use salesflow_domain::quantity::{Percent, Quantity};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::Store;
use crate::entity::{document_sequence, order, order_line, shipment, shipment_line};
use crate::error::{StoreError, StoreResult};

#[derive(Debug, Clone)]
pub struct PastLine {
    pub product_id: i64,
    pub warehouse_id: Option<i64>,
    pub quantity: Quantity,
    pub unit_price: Money,
    pub discount: Percent,
    pub tax_rate: Percent,
}

#[derive(Debug, Clone)]
pub struct PastOrder {
    pub customer_id: i64,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
    /// Completed, shipped, rejected or cancelled (others are treated as cancelled).
    pub status: OrderStatus,
    pub delivery_address: String,
    pub carrier: String,
    pub lines: Vec<PastLine>,
}

/// Takes `count` numbers of a prefix and year at once: the first one.
pub(crate) async fn take_numbers<C: ConnectionTrait>(
    conn: &C,
    prefix: &str,
    year: i32,
    count: i64,
) -> StoreResult<i64> {
    document_sequence::Entity::insert(document_sequence::ActiveModel {
        prefix: Set(prefix.to_owned()),
        year: Set(year),
        last: Set(0),
    })
    .on_conflict_do_nothing_on([document_sequence::Column::Prefix, document_sequence::Column::Year])
    .exec(conn)
    .await?;
    document_sequence::Entity::update_many()
        .col_expr(document_sequence::Column::Last, Expr::col(document_sequence::Column::Last).add(count))
        .filter(document_sequence::Column::Prefix.eq(prefix))
        .filter(document_sequence::Column::Year.eq(year))
        .exec(conn)
        .await?;
    let row = document_sequence::Entity::find_by_id((prefix.to_owned(), year))
        .one(conn)
        .await?
        .ok_or_else(|| StoreError::Internal("sequence row missing".into()))?;
    Ok(row.last - count + 1)
}

/// Writes the orders in one transaction; answers how many were written
/// (orders whose lines break the rules are skipped).
pub async fn load_past(store: &Store, orders: &[PastOrder]) -> StoreResult<usize> {
    let txn = store.begin().await?;
    // Numbers per year, in the order given.
    let mut per_year: std::collections::BTreeMap<i32, i64> = std::collections::BTreeMap::new();
    for o in orders {
        *per_year.entry(o.created_at.year()).or_default() += 1;
    }
    let mut next: std::collections::BTreeMap<i32, i64> = std::collections::BTreeMap::new();
    for (year, count) in &per_year {
        next.insert(*year, take_numbers(&txn, "SO", *year, *count).await?);
    }
    let mut written = 0;
    for chunk in orders.chunks(200) {
        let mut heads = Vec::new();
        let mut numbers = Vec::new();
        let mut priced = Vec::new();
        for o in chunk {
            let year = o.created_at.year();
            let seq = next.get_mut(&year).ok_or_else(|| StoreError::Internal("year".into()))?;
            let number = rules::document_number("SO", year, *seq);
            *seq += 1;
            let lines: Vec<Line> = o
                .lines
                .iter()
                .map(|l| Line {
                    quantity: l.quantity,
                    unit_price: l.unit_price,
                    discount: l.discount,
                    tax_rate: l.tax_rate,
                })
                .collect();
            let Ok((amounts, t)) = rules::price(&lines) else { continue };
            let status = match o.status {
                OrderStatus::Completed | OrderStatus::Shipped | OrderStatus::Rejected | OrderStatus::Cancelled => {
                    o.status
                }
                _ => OrderStatus::Cancelled,
            };
            let approved = matches!(status, OrderStatus::Completed | OrderStatus::Shipped);
            let submitted_at = o.created_at + Duration::hours(4);
            numbers.push(number.clone());
            heads.push(order::ActiveModel {
                number: Set(number),
                customer_id: Set(o.customer_id),
                contact_id: Set(None),
                opportunity_id: Set(None),
                status: Set(status.code().to_owned()),
                warehouse_id: Set(None),
                delivery_address: Set(o.delivery_address.clone()),
                delivery_date: Set(Some((o.created_at + Duration::days(14)).date_naive())),
                notes: Set(String::new()),
                gross: Set(t.gross.0),
                discount: Set(t.discount.0),
                net: Set(t.net.0),
                tax: Set(t.tax.0),
                total: Set(t.total.0),
                created_by: Set(o.created_by),
                submitted_at: Set((status != OrderStatus::Cancelled).then_some(submitted_at)),
                approved_at: Set(approved.then_some(o.created_at + Duration::days(1))),
                // Owed in full until `finance::load_past_money` settles it.
                receivable: Set(if approved { t.total.0 } else { 0 }),
                receivable_since: Set(approved.then(|| (o.created_at + Duration::days(1)).date_naive())),
                version: Set(1),
                created_at: Set(o.created_at),
                updated_at: Set(o.created_at + Duration::days(if approved { 20 } else { 2 })),
                ..Default::default()
            });
            priced.push((o, amounts, approved));
        }
        if heads.is_empty() {
            continue;
        }
        order::Entity::insert_many(heads).exec(&txn).await?;
        let ids: std::collections::HashMap<String, i64> = order::Entity::find()
            .filter(order::Column::Number.is_in(numbers.clone()))
            .all(&txn)
            .await?
            .into_iter()
            .map(|o| (o.number, o.id))
            .collect();
        let mut line_rows = Vec::new();
        let mut shipments = Vec::new();
        let mut shipped_ids = Vec::new();
        for (number, (o, amounts, approved)) in numbers.iter().zip(&priced) {
            let id = ids[number];
            for (i, (l, a)) in o.lines.iter().zip(amounts).enumerate() {
                line_rows.push(order_line::ActiveModel {
                    order_id: Set(id),
                    position: Set(i as i32),
                    product_id: Set(l.product_id),
                    warehouse_id: Set(l.warehouse_id),
                    quantity: Set(l.quantity.0),
                    unit_price: Set(l.unit_price.0),
                    discount_percent: Set(l.discount.0),
                    tax_rate: Set(l.tax_rate.0),
                    gross: Set(a.gross.0),
                    discount: Set(a.discount.0),
                    net: Set(a.net.0),
                    tax: Set(a.tax.0),
                    total: Set(a.total.0),
                    reserved: Set(0),
                    returned: Set(0),
                    shipped: Set(if *approved { l.quantity.0 } else { 0 }),
                    ..Default::default()
                });
            }
            if *approved {
                shipped_ids.push(id);
                shipments.push(shipment::ActiveModel {
                    order_id: Set(id),
                    carrier: Set(o.carrier.clone()),
                    tracking_number: Set(format!("SF{}{:06}", o.created_at.format("%y%m%d"), id % 1_000_000)),
                    created_by: Set(Some(o.created_by)),
                    shipped_at: Set(o.created_at + Duration::days(7)),
                    ..Default::default()
                });
            }
            written += 1;
        }
        order_line::Entity::insert_many(line_rows).exec(&txn).await?;
        if !shipments.is_empty() {
            shipment::Entity::insert_many(shipments).exec(&txn).await?;
            let made =
                shipment::Entity::find().filter(shipment::Column::OrderId.is_in(shipped_ids.clone())).all(&txn).await?;
            let lines =
                order_line::Entity::find().filter(order_line::Column::OrderId.is_in(shipped_ids)).all(&txn).await?;
            let rows: Vec<shipment_line::ActiveModel> = lines
                .iter()
                .filter_map(|l| {
                    let s = made.iter().find(|s| s.order_id == l.order_id)?;
                    Some(shipment_line::ActiveModel {
                        shipment_id: Set(s.id),
                        order_line_id: Set(l.id),
                        quantity: Set(l.quantity),
                        ..Default::default()
                    })
                })
                .collect();
            for part in rows.chunks(500) {
                shipment_line::Entity::insert_many(part.to_vec()).exec(&txn).await?;
            }
        }
    }
    txn.commit().await?;
    Ok(written)
}
