//! Money for past orders in bulk (`salesflow demo`, `salesflow gen
//! --payments`): approved orders older than three weeks that have no
//! money yet get payments, invoices and, when large, a collection plan,
//! the same way every time (by the order's id): most paid in full, some
//! paid in part with instalments gone overdue, some not paid at all, so
//! that every aging bucket has something.

use chrono::{Duration, NaiveDate};
use salesflow_domain::finance::{Instalment, in_due_order, running_totals};
use salesflow_domain::money::Money;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use crate::Store;
use crate::entity::{collection_instalment, invoice, order, payment};
use crate::error::StoreResult;

/// Orders from this total up get a collection plan (¥50,000.00).
const PLAN_FROM: i64 = 5_000_000;
const BATCH: u64 = 2_000;

/// An order to settle: id, customer, total, the day it became receivable, who made it.
type Unsettled = (i64, i64, i64, Option<NaiveDate>, Option<i64>);

fn split(total: i64, parts: &[i64]) -> Vec<i64> {
    let mut out: Vec<i64> = parts.iter().map(|p| total * p / 100).collect();
    let rest = total - out.iter().sum::<i64>();
    if let Some(last) = out.last_mut() {
        *last += rest;
    }
    out
}

/// How the past is settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ledger {
    /// As a company's books look: orders older than four months have been
    /// paid, but for one in a hundred (a bad debt); the recent ones are owed in
    /// part (the demo: aging shows mostly current amounts).
    Realistic,
    /// A tenth unpaid and a tenth paid in part, however old (benchmarks: the
    /// receivables read many open orders).
    Stress,
}

/// Settles the past orders that have no money yet; answers how many.
pub async fn load_past_money(store: &Store, ledger: Ledger) -> StoreResult<usize> {
    let now = store.now();
    let today = crate::settings::today(store.reader(), now).await?;
    let cutoff = now - Duration::days(21);
    let mut after = 0i64;
    let mut count = 0;
    loop {
        let rows: Vec<Unsettled> = order::Entity::find()
            .select_only()
            .columns([order::Column::Id, order::Column::CustomerId, order::Column::Total])
            .column(order::Column::ReceivableSince)
            .column(order::Column::CreatedBy)
            .filter(order::Column::Id.gt(after))
            .filter(order::Column::Receivable.gt(0))
            .filter(order::Column::Paid.eq(0))
            .filter(order::Column::Invoiced.eq(0))
            .filter(order::Column::Planned.eq(0))
            .filter(order::Column::ApprovedAt.lt(cutoff))
            .order_by_asc(order::Column::Id)
            .limit(BATCH)
            .into_tuple()
            .all(store.reader())
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        let txn = store.begin().await?;
        let mut payments = Vec::new();
        let mut invoices = Vec::new();
        let mut instalments = Vec::new();
        for (id, customer_id, total, since, created_by) in &rows {
            let approved = since.unwrap_or(today);
            let day = |d: i64| (approved + Duration::days(d)).min(today);
            // 0–6 paid in full, 7 paid in part, 8 not paid, 9 paid and invoiced at once.
            let settled_long_ago = ledger == Ledger::Realistic && approved < today - Duration::days(120);
            let kind = match id % 10 {
                7 | 8 if settled_long_ago && id % 100 != 8 => 0,
                kind => kind,
            };
            let plan: Vec<Instalment> = if *total >= PLAN_FROM {
                split(*total, &[30, 60, 10])
                    .into_iter()
                    .zip([0, 30, 60])
                    .map(|(amount, d)| Instalment { due: approved + Duration::days(d), amount: Money(amount) })
                    .collect()
            } else {
                Vec::new()
            };
            let paid_parts: Vec<(i64, i64, &str)> = match kind {
                0..=6 if plan.is_empty() => vec![(*total, 25, "payment")],
                0..=6 => {
                    let p = split(*total, &[30, 70]);
                    vec![(p[0], 2, "deposit"), (p[1], 55, "payment")]
                }
                7 => vec![(split(*total, &[30, 70])[0], 5, "deposit")],
                8 => Vec::new(),
                _ => vec![(*total, 10, "payment")],
            };
            let paid: i64 = paid_parts.iter().map(|p| p.0).sum();
            for (n, (amount, d, k)) in paid_parts.iter().enumerate() {
                payments.push(payment::ActiveModel {
                    order_id: Set(*id),
                    customer_id: Set(*customer_id),
                    kind: Set((*k).to_owned()),
                    received_on: Set(day(*d)),
                    amount: Set(*amount),
                    method: Set(if n % 3 == 2 { "cheque" } else { "bank_transfer" }.to_owned()),
                    reference: Set(format!("BK{:08}{n}", id)),
                    note: Set(String::new()),
                    status: Set("recorded".to_owned()),
                    reversed_at: Set(None),
                    reversed_by: Set(None),
                    reversal_reason: Set(String::new()),
                    created_by: Set(*created_by),
                    version: Set(1),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                });
            }
            let invoiced = if kind == 8 { 0 } else { paid.max(*total * i64::from(kind < 7)) };
            if invoiced > 0 {
                invoices.push(invoice::ActiveModel {
                    order_id: Set(*id),
                    customer_id: Set(*customer_id),
                    number: Set(format!("{:08}", 30_000_000 + id)),
                    invoice_type: Set(if id % 2 == 0 { "special" } else { "ordinary" }.to_owned()),
                    issued_on: Set(day(3)),
                    amount: Set(invoiced),
                    note: Set(String::new()),
                    status: Set("issued".to_owned()),
                    voided_at: Set(None),
                    voided_by: Set(None),
                    void_reason: Set(String::new()),
                    created_by: Set(*created_by),
                    version: Set(1),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                });
            }
            let sorted = in_due_order(&plan);
            let planned: i64 = sorted.iter().map(|p| p.amount.0).sum();
            for (position, (p, running)) in sorted.iter().zip(running_totals(&sorted)).enumerate() {
                // Instalments long overdue were reminded when they fell due.
                let reminded = (p.due < today - Duration::days(2)).then_some(now);
                instalments.push(collection_instalment::ActiveModel {
                    order_id: Set(*id),
                    position: Set(position as i32),
                    due_date: Set(p.due),
                    amount: Set(p.amount.0),
                    running: Set(running.0),
                    reminded_at: Set(reminded),
                    created_at: Set(now),
                    ..Default::default()
                });
            }
            order::Entity::update_many()
                .col_expr(order::Column::Paid, Expr::value(paid))
                .col_expr(order::Column::Receivable, Expr::value(*total - paid))
                .col_expr(order::Column::Invoiced, Expr::value(invoiced))
                .col_expr(order::Column::Planned, Expr::value(planned))
                .filter(order::Column::Id.eq(*id))
                .exec(&txn)
                .await?;
            count += 1;
        }
        for part in payments.chunks(500) {
            payment::Entity::insert_many(part.to_vec()).exec(&txn).await?;
        }
        for part in invoices.chunks(500) {
            invoice::Entity::insert_many(part.to_vec()).exec(&txn).await?;
        }
        for part in instalments.chunks(500) {
            collection_instalment::Entity::insert_many(part.to_vec()).exec(&txn).await?;
        }
        txn.commit().await?;
    }
    Ok(count)
}
