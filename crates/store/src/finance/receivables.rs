//! Receivables (应收) and their aging, per customer, in one SQL statement
//! over the open orders' partial index (`receivable > 0`): what the plans'
//! instalments still owe ages from their due dates, whatever an order owes
//! beyond its plan (or without one) from the day it was approved.
//! Payments fill the instalments in due order, the unplanned rest last
//! (`salesflow_domain::finance::order_aging`, the same arithmetic). The
//! database compares dates only; the buckets' first days come from
//! `bucket_starts`.
//!
//! Also: a customer's credit (limit, used, available), the overdue figures
//! of the home page, and the overdue reminders (once per instalment, the
//! day after its due date, to the customer's owner).

use chrono::NaiveDate;
use salesflow_domain::finance::{bucket_starts, credit_line};
use salesflow_domain::money::{Money, format_wide};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult};
use serde::Serialize;

use super::require_view;
use crate::Store;
use crate::entity::notification::NotificationKind;
use crate::error::StoreResult;
use crate::reports::Params;
use crate::scope::Actor;

/// Receivables split by age, as decimal strings.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct AgingView {
    pub total: String,
    /// Up to 30 days since due (amounts not due yet too).
    pub days_0_30: String,
    pub days_31_60: String,
    pub days_61_90: String,
    pub days_over_90: String,
    /// Of the total: instalments past their due date.
    pub overdue: String,
}

#[derive(Debug, Clone, Copy, Default)]
struct Sums([i128; 6]);

impl Sums {
    fn add(&mut self, other: &Sums) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a += b;
        }
    }

    fn view(&self) -> AgingView {
        let [b0, b1, b2, b3, overdue, _] = self.0;
        AgingView {
            total: format_wide(b0 + b1 + b2 + b3),
            days_0_30: format_wide(b0),
            days_31_60: format_wide(b1),
            days_61_90: format_wide(b2),
            days_over_90: format_wide(b3),
            overdue: format_wide(overdue),
        }
    }

    fn total(&self) -> i128 {
        self.0[..4].iter().sum()
    }
}

/// One customer's receivables.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReceivableRow {
    pub customer_id: i64,
    pub customer_name: String,
    pub owner_id: Option<i64>,
    pub owner_name: Option<String>,
    /// Orders that still owe something.
    pub orders: i64,
    pub aging: AgingView,
    /// Decimal string; null without a limit.
    pub credit_limit: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReceivablesPage {
    /// The day the ages are counted to (company time).
    pub as_of: NaiveDate,
    /// Largest total first.
    pub items: Vec<ReceivableRow>,
    /// All customers of the filter together (not only this page).
    pub totals: AgingView,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ReceivableFilter {
    pub customer_id: Option<i64>,
    /// The customers' owner.
    pub owner_id: Option<i64>,
}

/// ` AND o.customer_id IN (…)`: the actor's scope and the filter.
fn order_filter(actor: &Actor, filter: &ReceivableFilter, p: &mut Params) -> String {
    let mut sql = String::new();
    match &actor.visible_users {
        None => {}
        Some(ids) if ids.is_empty() => sql.push_str(" AND 1 = 0"),
        Some(ids) => sql.push_str(&format!(
            " AND o.customer_id IN (SELECT id FROM customers WHERE owner_id IN ({}))",
            p.list(ids.iter().copied())
        )),
    }
    if let Some(c) = filter.customer_id {
        sql.push_str(&format!(" AND o.customer_id = {}", p.bind(c)));
    }
    if let Some(owner) = filter.owner_id {
        sql.push_str(&format!(" AND o.customer_id IN (SELECT id FROM customers WHERE owner_id = {})", p.bind(owner)));
    }
    sql
}

/// The owed part of an instalment (`i`) of an open order (`o`): the same
/// as `finance::unpaid_part`, for rows where `i.running > o.paid`.
const INSTALMENT_OWED: &str = "CASE WHEN i.running - o.paid < i.amount THEN i.running - o.paid ELSE i.amount END";

struct AgingRow {
    customer_id: i64,
    name: String,
    owner_id: Option<i64>,
    credit_limit: i64,
    orders: i64,
    sums: Sums,
}

fn int(row: &QueryResult, i: usize) -> StoreResult<i64> {
    Ok(row.try_get_by_index::<Option<i64>>(i)?.unwrap_or(0))
}

/// The one aging statement: a row per customer.
async fn aging_rows<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    filter: &ReceivableFilter,
    today: NaiveDate,
) -> StoreResult<Vec<AgingRow>> {
    let backend: DbBackend = conn.get_database_backend();
    let mut p = Params::new(backend);
    let [s0, s1, s2] = bucket_starts(today).map(|d| p.bind(d));
    let day = p.bind(today);
    let scope_rest = order_filter(actor, filter, &mut p);
    let scope_plan = order_filter(actor, filter, &mut p);
    let sum = |cond: &str| format!("CAST(SUM(CASE WHEN {cond} THEN x.owed ELSE 0 END) AS BIGINT)");
    let sql = format!(
        "SELECT x.customer_id, c.name, c.owner_id, c.credit_limit, COUNT(DISTINCT x.order_id), {b0}, {b1}, {b2}, {b3}, {late} \
         FROM ( \
           SELECT o.id AS order_id, o.customer_id AS customer_id, COALESCE(o.receivable_since, {day}) AS since, \
             CASE WHEN o.total - o.paid < o.total - o.planned THEN o.total - o.paid ELSE o.total - o.planned END AS owed, \
             0 AS late \
           FROM orders o WHERE o.receivable > 0 AND o.total > o.planned{scope_rest} \
           UNION ALL \
           SELECT o.id, o.customer_id, i.due_date, {INSTALMENT_OWED}, CASE WHEN i.due_date < {day} THEN 1 ELSE 0 END \
           FROM orders o JOIN collection_instalments i ON i.order_id = o.id \
           WHERE o.receivable > 0 AND o.planned > 0 AND i.running > o.paid{scope_plan} \
         ) x JOIN customers c ON c.id = x.customer_id \
         GROUP BY x.customer_id, c.name, c.owner_id, c.credit_limit",
        b0 = sum(&format!("x.since >= {s0}")),
        b1 = sum(&format!("x.since < {s0} AND x.since >= {s1}")),
        b2 = sum(&format!("x.since < {s1} AND x.since >= {s2}")),
        b3 = sum(&format!("x.since < {s2}")),
        late = sum("x.late = 1"),
    );
    let rows = conn.query_all_raw(p.statement(sql)).await?;
    rows.iter()
        .map(|r| {
            Ok(AgingRow {
                customer_id: int(r, 0)?,
                name: r.try_get_by_index::<Option<String>>(1)?.unwrap_or_default(),
                owner_id: r.try_get_by_index::<Option<i64>>(2)?,
                credit_limit: int(r, 3)?,
                orders: int(r, 4)?,
                sums: Sums([
                    i128::from(int(r, 5)?),
                    i128::from(int(r, 6)?),
                    i128::from(int(r, 7)?),
                    i128::from(int(r, 8)?),
                    i128::from(int(r, 9)?),
                    0,
                ]),
            })
        })
        .collect()
}

fn limit_of(minor: i64) -> Option<Money> {
    (minor > 0).then_some(Money(minor))
}

/// Receivables per customer in the actor's scope, largest first, with
/// the totals of all of them; `cursor` is where the previous page ended.
pub async fn receivables(
    store: &Store,
    actor: &Actor,
    filter: &ReceivableFilter,
    limit: u64,
    cursor: Option<&str>,
) -> StoreResult<ReceivablesPage> {
    require_view(actor)?;
    let db = store.reader();
    let today = crate::settings::today(db, store.now()).await?;
    let mut rows = aging_rows(db, actor, filter, today).await?;
    let mut totals = Sums::default();
    for r in &rows {
        totals.add(&r.sums);
    }
    rows.sort_by(|a, b| b.sums.total().cmp(&a.sums.total()).then(a.customer_id.cmp(&b.customer_id)));
    let start: usize = match cursor.map(str::trim).filter(|c| !c.is_empty()) {
        None => 0,
        Some(c) => c.parse().map_err(|_| salesflow_domain::Invalid::one("cursor", "invalid_cursor"))?,
    };
    let limit = limit.clamp(1, 500) as usize;
    let end = (start + limit).min(rows.len());
    let next_cursor = (end < rows.len()).then(|| end.to_string());
    let page: Vec<AgingRow> = rows.into_iter().skip(start).take(limit).collect();
    let owners = crate::shared::owner_names(db, page.iter().filter_map(|r| r.owner_id)).await?;
    let items = page
        .into_iter()
        .map(|r| ReceivableRow {
            owner_name: r.owner_id.and_then(|o| owners.get(&o).cloned()),
            aging: r.sums.view(),
            credit_limit: limit_of(r.credit_limit).map(|m| m.to_string()),
            customer_id: r.customer_id,
            customer_name: r.name,
            owner_id: r.owner_id,
            orders: r.orders,
        })
        .collect();
    Ok(ReceivablesPage { as_of: today, items, totals: totals.view(), next_cursor })
}

/// A customer's receivables and credit: the limit, what is used (its
/// approved orders' outstanding), what is left.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CustomerCredit {
    pub customer_id: i64,
    pub as_of: NaiveDate,
    pub aging: AgingView,
    /// Decimal strings; `credit_limit` and `available` null without a limit.
    pub credit_limit: Option<String>,
    pub used: String,
    pub available: Option<String>,
    pub orders: i64,
}

/// A customer's receivables, if the actor sees money and the customer.
pub async fn customer_credit(store: &Store, actor: &Actor, customer_id: i64) -> StoreResult<CustomerCredit> {
    require_view(actor)?;
    let db = store.reader();
    use sea_orm::{EntityTrait, QueryFilter};
    let c = crate::entity::customer::Entity::find_by_id(customer_id)
        .filter(actor.scope_condition(crate::entity::customer::Column::OwnerId))
        .one(db)
        .await?
        .ok_or(crate::StoreError::NotFound)?;
    let today = crate::settings::today(db, store.now()).await?;
    let filter = ReceivableFilter { customer_id: Some(customer_id), owner_id: None };
    let row = aging_rows(db, &Actor { visible_users: None, ..actor.clone() }, &filter, today).await?.pop();
    let sums = row.as_ref().map(|r| r.sums).unwrap_or_default();
    let used = Money(i64::try_from(sums.total()).unwrap_or(i64::MAX));
    let line = credit_line(limit_of(c.credit_limit), used);
    Ok(CustomerCredit {
        customer_id,
        as_of: today,
        aging: sums.view(),
        credit_limit: line.limit.map(|m| m.to_string()),
        used: line.used.to_string(),
        available: line.available.map(|m| m.to_string()),
        orders: row.map(|r| r.orders).unwrap_or(0),
    })
}

/// The home page's overdue collections within the actor's scope.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OverdueSummary {
    /// Instalments past their due date and not paid in full.
    pub instalments: i64,
    /// The orders they belong to.
    pub orders: i64,
    /// What they still owe.
    pub amount: String,
    /// Receivables over 90 days (instalments and unplanned rests).
    pub over_90: String,
    /// All receivables.
    pub receivable: String,
}

pub async fn overdue_summary(store: &Store, actor: &Actor) -> StoreResult<OverdueSummary> {
    require_view(actor)?;
    let db = store.reader();
    let today = crate::settings::today(db, store.now()).await?;
    let mut p = Params::new(db.get_database_backend());
    let day = p.bind(today);
    let scope = order_filter(actor, &ReceivableFilter::default(), &mut p);
    let sql = format!(
        "SELECT COUNT(*), COUNT(DISTINCT o.id), CAST(SUM({INSTALMENT_OWED}) AS BIGINT) \
         FROM orders o JOIN collection_instalments i ON i.order_id = o.id \
         WHERE o.receivable > 0 AND o.planned > 0 AND i.running > o.paid AND i.due_date < {day}{scope}"
    );
    let row = db.query_one_raw(p.statement(sql)).await?;
    let (instalments, orders, amount) = match &row {
        Some(r) => (int(r, 0)?, int(r, 1)?, int(r, 2)?),
        None => (0, 0, 0),
    };
    let mut totals = Sums::default();
    for r in aging_rows(db, actor, &ReceivableFilter::default(), today).await? {
        totals.add(&r.sums);
    }
    Ok(OverdueSummary {
        instalments,
        orders,
        amount: Money(amount).to_string(),
        over_90: format_wide(totals.0[3]),
        receivable: format_wide(totals.total()),
    })
}

/// Reminds the owners of orders whose instalments fell overdue (due
/// before today, not paid in full, not reminded yet): one in-app notice
/// per instalment, to the customer's owner (else whoever made the order).
/// Run by the housekeeping job; returns how many went out.
pub async fn remind_overdue(store: &Store, limit: u64) -> StoreResult<usize> {
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    use crate::entity::collection_instalment;
    let now = store.now();
    let txn = store.begin().await?;
    let today = crate::settings::today(&txn, now).await?;
    let settings = crate::settings::current(&txn).await?;
    let mut p = Params::new(txn.get_database_backend());
    let day = p.bind(today);
    let n = p.bind(limit as i64);
    let sql = format!(
        "SELECT i.id, i.due_date, o.id, o.number, c.owner_id, o.created_by, c.name, {INSTALMENT_OWED} \
         FROM orders o JOIN collection_instalments i ON i.order_id = o.id JOIN customers c ON c.id = o.customer_id \
         WHERE o.receivable > 0 AND o.planned > 0 AND i.running > o.paid AND i.due_date < {day} \
           AND i.reminded_at IS NULL ORDER BY i.id LIMIT {n}"
    );
    let rows = txn.query_all_raw(p.statement(sql)).await?;
    let mut sent = 0;
    for r in &rows {
        let instalment = int(r, 0)?;
        let due: NaiveDate = r.try_get_by_index(1)?;
        let order_id = int(r, 2)?;
        let number: String = r.try_get_by_index(3)?;
        let to = r.try_get_by_index::<Option<i64>>(4)?.unwrap_or(int(r, 5)?);
        let customer: String = r.try_get_by_index::<Option<String>>(6)?.unwrap_or_default();
        let owed = Money(int(r, 7)?);
        let taken = collection_instalment::Entity::update_many()
            .col_expr(collection_instalment::Column::RemindedAt, Expr::value(Some(now)))
            .filter(collection_instalment::Column::Id.eq(instalment))
            .filter(collection_instalment::Column::RemindedAt.is_null())
            .exec(&txn)
            .await?;
        if taken.rows_affected == 1 {
            let title = format!("{number} · {customer} · {} · {due}", owed.display(&settings.currency_symbol));
            crate::notifications::remind(
                &txn,
                to,
                NotificationKind::CollectionOverdue,
                &title,
                &format!("/orders/{order_id}"),
                now,
                now,
            )
            .await?;
            sent += 1;
        }
    }
    txn.commit().await?;
    Ok(sent)
}
