//! Money owed on sales orders (回款): deposits and payments, invoices,
//! collection plans, receivables and their aging, the credit a customer
//! uses, and the overdue reminders. The rules are
//! `salesflow_domain::finance`.
//!
//! The bound on a payment (no more than the order still owes) and on an
//! invoice (no more than the order's total invoiced) is enforced by the
//! write itself: one conditional `UPDATE orders SET paid = paid + x WHERE
//! … AND paid + x <= total` in the payment's unit, so that two payments at
//! once cannot both pass (SQLite serializes writers; PostgreSQL re-checks
//! the condition on the locked row). The order row keeps `paid`,
//! `invoiced`, `planned` and `receivable` (what is owed now), so that the
//! aging reads only open orders through one partial index.
//!
//! Data scope: payments, invoices and plans follow the order's customer,
//! as orders do; the `finance` module's rights say who may see and change
//! them.

use chrono::NaiveDate;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::finance::{self as rules};
use salesflow_domain::money::Money;
use salesflow_domain::orders::OrderStatus;
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Serialize;

use crate::entity::{customer, order};
use crate::error::{StoreError, StoreResult};
use crate::scope::Actor;
use crate::unit_of_work::UnitOfWork;

mod invoices;
mod load;
mod payments;
mod plans;
mod receivables;
pub use invoices::*;
pub use load::{Ledger, load_past_money};
pub use payments::*;
pub use plans::*;
pub use receivables::*;

/// The statuses whose orders owe money (approved or later).
pub(crate) fn owing_codes() -> Vec<&'static str> {
    OrderStatus::ALL.into_iter().filter(|s| rules::takes_money(*s)).map(|s| s.code()).collect()
}

/// Rows whose customer (in `column`) is owned by someone in the actor's scope.
pub(crate) fn customer_in_scope<C: ColumnTrait>(actor: &Actor, column: C) -> Condition {
    match &actor.visible_users {
        None => Condition::all(),
        Some(_) => {
            let mut customers = Query::select();
            customers
                .column(customer::Column::Id)
                .from(customer::Entity)
                .cond_where(actor.scope_condition(customer::Column::OwnerId));
            Condition::all().add(column.in_subquery(customers))
        }
    }
}

/// The order, in the actor's scope and able to take money (approved or
/// later); otherwise not found, or 422 `order_not_approved`.
pub(crate) async fn owing_order<C: ConnectionTrait>(conn: &C, actor: &Actor, id: i64) -> StoreResult<order::Model> {
    let o = crate::orders::find_in_scope(conn, actor, id).await?;
    let status = OrderStatus::parse(&o.status).unwrap_or(OrderStatus::Draft);
    if !rules::takes_money(status) {
        return Err(salesflow_domain::Invalid::one("order_id", "order_not_approved").into());
    }
    Ok(o)
}

/// The money figures of an order, as decimal strings.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrderMoney {
    pub total: String,
    pub paid: String,
    pub invoiced: String,
    /// What is owed now: total less paid once approved; zero before.
    pub outstanding: String,
    pub uninvoiced: String,
    /// The collection plan's instalments added up.
    pub planned: String,
}

impl OrderMoney {
    pub fn of(o: &order::Model) -> OrderMoney {
        OrderMoney {
            total: Money(o.total).to_string(),
            paid: Money(o.paid).to_string(),
            invoiced: Money(o.invoiced).to_string(),
            outstanding: Money(o.receivable).to_string(),
            uninvoiced: Money(o.total - o.invoiced).to_string(),
            planned: Money(o.planned).to_string(),
        }
    }
}

/// Raises (or lowers, `delta` < 0) what was paid on an order, if the order
/// still owes money and the result stays within 0..=total: in the same
/// statement as the check, so that concurrent payments cannot pass it
/// together. False when the condition no longer holds.
pub(crate) async fn add_paid(unit: &UnitOfWork<'_>, order_id: i64, delta: i64) -> StoreResult<bool> {
    let paid = Expr::col(order::Column::Paid).add(delta);
    let res = order::Entity::update_many()
        .col_expr(order::Column::Paid, paid.clone())
        .col_expr(order::Column::Receivable, Expr::col(order::Column::Receivable).sub(delta))
        .filter(order::Column::Id.eq(order_id))
        .filter(order::Column::Status.is_in(owing_codes()))
        .filter(paid.clone().lte(Expr::col(order::Column::Total)))
        .filter(paid.gte(0))
        .exec(unit)
        .await?;
    Ok(res.rows_affected == 1)
}

/// The same for what was invoiced.
pub(crate) async fn add_invoiced(unit: &UnitOfWork<'_>, order_id: i64, delta: i64) -> StoreResult<bool> {
    let invoiced = Expr::col(order::Column::Invoiced).add(delta);
    let res = order::Entity::update_many()
        .col_expr(order::Column::Invoiced, invoiced.clone())
        .filter(order::Column::Id.eq(order_id))
        .filter(order::Column::Status.is_in(owing_codes()))
        .filter(invoiced.clone().lte(Expr::col(order::Column::Total)))
        .filter(invoiced.gte(0))
        .exec(unit)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Called by the order's approval (in its unit): the order owes its total
/// less anything paid from today on. The order as it is then.
pub(crate) async fn on_approved(unit: &UnitOfWork<'_>, order_id: i64) -> StoreResult<order::Model> {
    let today = crate::settings::today(unit, unit.now()).await?;
    order::Entity::update_many()
        .col_expr(order::Column::Receivable, Expr::col(order::Column::Total).sub(Expr::col(order::Column::Paid)))
        .col_expr(order::Column::ReceivableSince, Expr::value(Some(today)))
        .filter(order::Column::Id.eq(order_id))
        .exec(unit)
        .await?;
    order::Entity::find_by_id(order_id).one(unit).await?.ok_or(StoreError::NotFound)
}

/// Called by the order's cancellation (in its unit): refused while money
/// was received or invoiced against it (reverse and void first); then it
/// owes nothing.
pub(crate) async fn on_cancelled(unit: &UnitOfWork<'_>, o: &order::Model) -> StoreResult<()> {
    if o.paid != 0 || o.invoiced != 0 {
        return Err(StoreError::Conflict("the order has payments or invoices: reverse and void them first".into()));
    }
    order::Entity::update_many()
        .col_expr(order::Column::Receivable, Expr::value(0i64))
        .filter(order::Column::Id.eq(o.id))
        .exec(unit)
        .await?;
    Ok(())
}

/// What the customer owes on its other approved orders (the approval
/// rules' credit condition adds the order being submitted).
pub(crate) async fn open_receivables<C: ConnectionTrait>(
    conn: &C,
    customer_id: i64,
    except_order: i64,
) -> StoreResult<Money> {
    use sea_orm::QuerySelect;
    let total: Option<Option<i64>> = order::Entity::find()
        .select_only()
        .column_as(Expr::cust("CAST(SUM(receivable) AS BIGINT)"), "total")
        .filter(order::Column::CustomerId.eq(customer_id))
        .filter(order::Column::Id.ne(except_order))
        .filter(order::Column::Receivable.gt(0))
        .into_tuple()
        .one(conn)
        .await?;
    Ok(Money(total.flatten().unwrap_or(0)))
}

/// The reader's permission to see money.
pub(crate) fn require_view(actor: &Actor) -> StoreResult<()> {
    actor.require(Module::Finance, Action::View)
}

/// A text field's trimmed value.
pub(crate) fn trimmed(s: &str) -> String {
    s.trim().to_owned()
}

/// A day that is not after today (money received or invoiced in the future
/// is a typing mistake).
pub(crate) fn check_not_future(
    invalid: &mut salesflow_domain::Invalid,
    field: &str,
    day: Option<NaiveDate>,
    today: NaiveDate,
) {
    match day {
        None => invalid.push(salesflow_domain::FieldError::new(field, "required")),
        Some(d) if d > today => invalid.push(salesflow_domain::FieldError::new(field, "date_in_future")),
        Some(_) => {}
    }
}

/// Customers' names by id.
pub(crate) async fn customer_names<C: ConnectionTrait>(
    conn: &C,
    ids: impl Iterator<Item = i64>,
) -> StoreResult<std::collections::HashMap<i64, String>> {
    let ids: Vec<i64> = ids.collect();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let rows = customer::Entity::find().filter(customer::Column::Id.is_in(ids)).all(conn).await?;
    Ok(rows.into_iter().map(|c| (c.id, c.name)).collect())
}

/// The order list's filter by money.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collection {
    /// Still owes something.
    Owing,
    /// Has an instalment past its due date not paid in full.
    Overdue,
    /// Approved or later and paid in full.
    Paid,
    /// Approved or later and not invoiced in full.
    Uninvoiced,
}

impl Collection {
    pub const ALL: [Collection; 4] = [Collection::Owing, Collection::Overdue, Collection::Paid, Collection::Uninvoiced];

    pub fn code(self) -> &'static str {
        match self {
            Collection::Owing => "owing",
            Collection::Overdue => "overdue",
            Collection::Paid => "paid",
            Collection::Uninvoiced => "uninvoiced",
        }
    }

    pub fn parse(code: &str) -> Option<Collection> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    pub(crate) fn condition(self, today: NaiveDate) -> Condition {
        use crate::entity::collection_instalment as ci;
        let owing = || order::Column::Status.is_in(owing_codes());
        match self {
            Collection::Owing => Condition::all().add(order::Column::Receivable.gt(0)),
            Collection::Paid => Condition::all().add(owing()).add(order::Column::Receivable.eq(0)),
            Collection::Uninvoiced => Condition::all()
                .add(owing())
                .add(Expr::col(order::Column::Invoiced).lt(Expr::col(order::Column::Total))),
            Collection::Overdue => {
                let mut late = Query::select();
                late.column(ci::Column::OrderId).from(ci::Entity).and_where(ci::Column::DueDate.lt(today)).and_where(
                    Expr::col((ci::Entity, ci::Column::Running)).gt(Expr::col((order::Entity, order::Column::Paid))),
                );
                Condition::all().add(order::Column::Receivable.gt(0)).add(order::Column::Id.in_subquery(late))
            }
        }
    }
}

/// The company-time day today (a default for dates the caller left out).
pub async fn today(store: &crate::Store) -> StoreResult<NaiveDate> {
    crate::settings::today(store.reader(), store.now()).await
}
