//! Past returns in bulk, for `salesflow demo` and `salesflow gen`: returns
//! of shipped order lines at their own dates, numbered from the same
//! per-year sequence as live returns, refunds priced by the domain, and
//! each line's `returned` raised within what it shipped. Like every bulk
//! load they write no audit rows and move no stock (the stock history is
//! loaded on its own).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Duration, Utc};
use salesflow_domain::money::Money;
use salesflow_domain::quantity::Quantity;
use salesflow_domain::returns::{self as rules, ReturnStatus};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};

use crate::Store;
use crate::entity::{order, order_line, return_line, return_order};
use crate::error::{StoreError, StoreResult};

#[derive(Debug, Clone)]
pub struct PastReturn {
    pub order_id: i64,
    /// The (active) warehouse the goods went back into.
    pub warehouse_id: i64,
    pub created_at: DateTime<Utc>,
    /// Draft, received, completed or cancelled.
    pub status: ReturnStatus,
    pub reason: String,
    /// (order line, quantity); lines beyond what may come back are left out.
    pub lines: Vec<(i64, Quantity)>,
}

/// Writes the returns in one transaction; answers how many were written
/// (a return none of whose lines fits is skipped).
pub async fn load_past(store: &Store, returns: &[PastReturn]) -> StoreResult<usize> {
    let txn = store.begin().await?;
    let order_ids: Vec<i64> = returns.iter().map(|r| r.order_id).collect();
    let mut orders: HashMap<i64, order::Model> = HashMap::new();
    let mut lines: HashMap<i64, order_line::Model> = HashMap::new();
    for chunk in order_ids.chunks(500) {
        for o in order::Entity::find().filter(order::Column::Id.is_in(chunk.to_vec())).all(&txn).await? {
            orders.insert(o.id, o);
        }
        for l in order_line::Entity::find().filter(order_line::Column::OrderId.is_in(chunk.to_vec())).all(&txn).await? {
            lines.insert(l.id, l);
        }
    }
    // What fits, priced in the order given.
    let mut kept = Vec::new();
    for r in returns {
        let Some(o) = orders.get(&r.order_id) else { continue };
        let mut priced = Vec::new();
        for (line_id, q) in &r.lines {
            let Some(l) = lines.get_mut(line_id) else { continue };
            if l.order_id != o.id || rules::check_quantity(Quantity(l.shipped), Quantity(l.returned), *q).is_err() {
                continue;
            }
            let refund = rules::refund(Money(l.total), Quantity(l.quantity), Quantity(l.returned), *q);
            if r.status.takes_quantity() {
                l.returned += q.0;
            }
            priced.push((l.id, l.product_id, *q, refund));
        }
        if !priced.is_empty() {
            kept.push((r, o.customer_id, priced));
        }
    }
    let mut per_year: BTreeMap<i32, i64> = BTreeMap::new();
    for (r, _, _) in &kept {
        *per_year.entry(r.created_at.year()).or_default() += 1;
    }
    let mut next: BTreeMap<i32, i64> = BTreeMap::new();
    for (year, count) in &per_year {
        next.insert(*year, crate::orders::take_numbers(&txn, rules::NUMBER_PREFIX, *year, *count).await?);
    }
    for chunk in kept.chunks(200) {
        let mut heads = Vec::with_capacity(chunk.len());
        let mut numbers = Vec::with_capacity(chunk.len());
        for (r, customer_id, priced) in chunk {
            let year = r.created_at.year();
            let seq = next.get_mut(&year).ok_or_else(|| StoreError::Internal("year".into()))?;
            let number = rules::number(year, *seq);
            *seq += 1;
            let refund: i64 = priced.iter().map(|(_, _, _, m)| m.0).sum();
            let received = matches!(r.status, ReturnStatus::Received | ReturnStatus::Completed);
            numbers.push(number.clone());
            heads.push(return_order::ActiveModel {
                number: Set(number),
                order_id: Set(r.order_id),
                customer_id: Set(*customer_id),
                warehouse_id: Set(r.warehouse_id),
                status: Set(r.status.code().to_owned()),
                reason: Set(r.reason.clone()),
                refund: Set(refund),
                created_by: Set(orders.get(&r.order_id).map(|o| o.created_by).unwrap_or_default()),
                received_at: Set(received.then_some(r.created_at + Duration::days(3))),
                completed_at: Set((r.status == ReturnStatus::Completed).then_some(r.created_at + Duration::days(10))),
                version: Set(1),
                created_at: Set(r.created_at),
                updated_at: Set(r.created_at + Duration::days(if received { 10 } else { 1 })),
                ..Default::default()
            });
        }
        return_order::Entity::insert_many(heads).exec(&txn).await?;
        let ids: HashMap<String, i64> = return_order::Entity::find()
            .filter(return_order::Column::Number.is_in(numbers.clone()))
            .all(&txn)
            .await?
            .into_iter()
            .map(|r| (r.number, r.id))
            .collect();
        let mut rows = Vec::new();
        for (number, (_, _, priced)) in numbers.iter().zip(chunk) {
            for (line_id, product_id, q, refund) in priced {
                rows.push(return_line::ActiveModel {
                    return_id: Set(ids[number]),
                    order_line_id: Set(*line_id),
                    product_id: Set(*product_id),
                    quantity: Set(q.0),
                    refund: Set(refund.0),
                    ..Default::default()
                });
            }
        }
        return_line::Entity::insert_many(rows).exec(&txn).await?;
    }
    // Each touched line's `returned`, as counted above.
    let mut touched: Vec<(i64, i64)> = kept
        .iter()
        .filter(|(r, _, _)| r.status.takes_quantity())
        .flat_map(|(_, _, priced)| priced.iter().map(|(line_id, _, _, _)| *line_id))
        .filter_map(|id| lines.get(&id).map(|l| (l.id, l.returned)))
        .collect();
    touched.sort_unstable();
    touched.dedup();
    for (id, returned) in touched {
        order_line::Entity::update_many()
            .col_expr(order_line::Column::Returned, Expr::value(returned))
            .filter(order_line::Column::Id.eq(id))
            .filter(Expr::col(order_line::Column::Shipped).gte(returned))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(kept.len())
}
