//! Past quotes in bulk, for `salesflow demo` and `salesflow gen`: quotes
//! with one or more versions at their own dates, numbered from the same
//! per-year sequence as live quotes (`QT`). Like every bulk load they
//! write no audit rows.

use chrono::{DateTime, Datelike, Duration, Utc};
use salesflow_domain::money::Money;
use salesflow_domain::orders::{self as pricing, Line};
use salesflow_domain::quantity::{Percent, Quantity};
use salesflow_domain::quotes::QuoteStatus;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::Store;
use crate::entity::{document_sequence, quote, quote_line, quote_revision};
use crate::error::{StoreError, StoreResult};

#[derive(Debug, Clone)]
pub struct PastQuoteLine {
    pub product_id: i64,
    pub quantity: Quantity,
    pub unit_price: Money,
    pub discount: Percent,
    pub tax_rate: Percent,
}

#[derive(Debug, Clone)]
pub struct PastQuote {
    pub customer_id: i64,
    pub opportunity_id: Option<i64>,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
    /// Days the quote is valid from its last version's date.
    pub valid_days: i64,
    /// Draft, sent, accepted or rejected (others are loaded as sent; a
    /// sent one past its validity reads as expired).
    pub status: QuoteStatus,
    pub terms: String,
    /// The sales order an accepted quote made, if any.
    pub order_id: Option<i64>,
    /// Every version's lines, oldest first (at least one); a version is
    /// made a week after the one before.
    pub versions: Vec<Vec<PastQuoteLine>>,
}

async fn take_numbers<C: ConnectionTrait>(conn: &C, year: i32, count: i64) -> StoreResult<i64> {
    document_sequence::Entity::insert(document_sequence::ActiveModel {
        prefix: Set("QT".to_owned()),
        year: Set(year),
        last: Set(0),
    })
    .on_conflict_do_nothing_on([document_sequence::Column::Prefix, document_sequence::Column::Year])
    .exec(conn)
    .await?;
    document_sequence::Entity::update_many()
        .col_expr(document_sequence::Column::Last, Expr::col(document_sequence::Column::Last).add(count))
        .filter(document_sequence::Column::Prefix.eq("QT"))
        .filter(document_sequence::Column::Year.eq(year))
        .exec(conn)
        .await?;
    let row = document_sequence::Entity::find_by_id(("QT".to_owned(), year))
        .one(conn)
        .await?
        .ok_or_else(|| StoreError::Internal("sequence row missing".into()))?;
    Ok(row.last - count + 1)
}

fn priced(lines: &[PastQuoteLine]) -> Option<(Vec<pricing::LineAmounts>, pricing::Totals)> {
    let parsed: Vec<Line> = lines
        .iter()
        .map(|l| Line { quantity: l.quantity, unit_price: l.unit_price, discount: l.discount, tax_rate: l.tax_rate })
        .collect();
    pricing::price(&parsed).ok()
}

/// Writes the quotes in one transaction; answers how many were written
/// (quotes whose lines break the rules are skipped).
pub async fn load_past(store: &Store, quotes: &[PastQuote]) -> StoreResult<usize> {
    let txn = store.begin().await?;
    let mut per_year: std::collections::BTreeMap<i32, i64> = std::collections::BTreeMap::new();
    for q in quotes {
        *per_year.entry(q.created_at.year()).or_default() += 1;
    }
    let mut next: std::collections::BTreeMap<i32, i64> = std::collections::BTreeMap::new();
    for (year, count) in &per_year {
        next.insert(*year, take_numbers(&txn, *year, *count).await?);
    }
    let mut written = 0;
    for chunk in quotes.chunks(200) {
        let mut heads = Vec::new();
        let mut numbers = Vec::new();
        let mut kept = Vec::new();
        for q in chunk {
            let year = q.created_at.year();
            let seq = next.get_mut(&year).ok_or_else(|| StoreError::Internal("year".into()))?;
            let number = pricing::document_number("QT", year, *seq);
            *seq += 1;
            let Some(last) = q.versions.last() else { continue };
            let Some((_, t)) = priced(last) else { continue };
            if q.versions.iter().any(|v| priced(v).is_none()) {
                continue;
            }
            let revision = q.versions.len() as i32;
            let last_at = q.created_at + Duration::days(7 * (revision as i64 - 1));
            let status = match q.status {
                QuoteStatus::Draft | QuoteStatus::Sent | QuoteStatus::Accepted | QuoteStatus::Rejected => q.status,
                _ => QuoteStatus::Sent,
            };
            let sent = status != QuoteStatus::Draft;
            let decided = matches!(status, QuoteStatus::Accepted | QuoteStatus::Rejected);
            numbers.push(number.clone());
            heads.push(quote::ActiveModel {
                number: Set(number),
                customer_id: Set(q.customer_id),
                contact_id: Set(None),
                opportunity_id: Set(q.opportunity_id),
                status: Set(status.code().to_owned()),
                revision: Set(revision),
                valid_until: Set((last_at + Duration::days(q.valid_days)).date_naive()),
                notes: Set(String::new()),
                terms: Set(q.terms.clone()),
                gross: Set(t.gross.0),
                discount: Set(t.discount.0),
                net: Set(t.net.0),
                tax: Set(t.tax.0),
                total: Set(t.total.0),
                created_by: Set(q.created_by),
                sent_at: Set(sent.then_some(last_at + Duration::hours(2))),
                decided_at: Set(decided.then_some(last_at + Duration::days(5))),
                order_id: Set(if status == QuoteStatus::Accepted { q.order_id } else { None }),
                version: Set(1),
                created_at: Set(q.created_at),
                updated_at: Set(last_at + Duration::days(if decided { 5 } else { 0 })),
                deleted_at: Set(None),
                ..Default::default()
            });
            kept.push((q, last_at, sent));
        }
        if heads.is_empty() {
            continue;
        }
        quote::Entity::insert_many(heads).exec(&txn).await?;
        let ids: std::collections::HashMap<String, i64> = quote::Entity::find()
            .filter(quote::Column::Number.is_in(numbers.clone()))
            .all(&txn)
            .await?
            .into_iter()
            .map(|q| (q.number, q.id))
            .collect();
        let mut revisions = Vec::new();
        let mut line_rows = Vec::new();
        for (number, (q, _, sent)) in numbers.iter().zip(&kept) {
            let id = ids[number];
            let count = q.versions.len();
            for (v, lines) in q.versions.iter().enumerate() {
                let Some((amounts, t)) = priced(lines) else { continue };
                let at = q.created_at + Duration::days(7 * v as i64);
                // Every older version went to the customer; the last one if the quote did.
                let was_sent = v + 1 < count || *sent;
                revisions.push(quote_revision::ActiveModel {
                    quote_id: Set(id),
                    revision: Set(v as i32 + 1),
                    contact_id: Set(None),
                    valid_until: Set((at + Duration::days(q.valid_days)).date_naive()),
                    notes: Set(String::new()),
                    terms: Set(q.terms.clone()),
                    gross: Set(t.gross.0),
                    discount: Set(t.discount.0),
                    net: Set(t.net.0),
                    tax: Set(t.tax.0),
                    total: Set(t.total.0),
                    created_by: Set(q.created_by),
                    created_at: Set(at),
                    sent_at: Set(was_sent.then_some(at + Duration::hours(2))),
                    ..Default::default()
                });
                for (i, (l, a)) in lines.iter().zip(amounts).enumerate() {
                    line_rows.push(quote_line::ActiveModel {
                        quote_id: Set(id),
                        revision: Set(v as i32 + 1),
                        position: Set(i as i32),
                        product_id: Set(l.product_id),
                        quantity: Set(l.quantity.0),
                        unit_price: Set(l.unit_price.0),
                        discount_percent: Set(l.discount.0),
                        tax_rate: Set(l.tax_rate.0),
                        gross: Set(a.gross.0),
                        discount: Set(a.discount.0),
                        net: Set(a.net.0),
                        tax: Set(a.tax.0),
                        total: Set(a.total.0),
                        ..Default::default()
                    });
                }
            }
            written += 1;
        }
        for part in revisions.chunks(500) {
            quote_revision::Entity::insert_many(part.to_vec()).exec(&txn).await?;
        }
        for part in line_rows.chunks(500) {
            quote_line::Entity::insert_many(part.to_vec()).exec(&txn).await?;
        }
    }
    txn.commit().await?;
    Ok(written)
}
