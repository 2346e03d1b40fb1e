//! Return orders (退货): goods a customer sends back against a sales order
//! that shipped them. Number `RT-YYYY-NNNNNN` from the per-year counter;
//! lines name the order's lines and take at most what each shipped less
//! what earlier returns took; the refund is the domain's share of each
//! line's total; receiving puts the goods back through
//! `inventory::change_on_hand` (a `return` movement whose source is the
//! return). The rules are `salesflow_domain::returns`.
//!
//! Rights are the `orders` module's (a return is part of order handling):
//! `view` to read, `create` to register, `edit` to receive, complete or
//! cancel. Data scope: a return follows its customer, as orders do (a
//! salesperson sees the returns of the customers they own).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use salesflow_domain::access::{Action, Module};
use salesflow_domain::money::Money;
use salesflow_domain::quantity::Quantity;
use salesflow_domain::returns::ReturnStatus;
use sea_orm::sea_query::{Condition, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use crate::Store;
use crate::entity::{customer, order, order_line, return_line, return_order, warehouse};
use crate::error::{StoreError, StoreResult};
use crate::paging::{Key, Keyset, Page, PageRequest, SortField};
use crate::scope::Actor;

mod flow;
mod load;
pub use flow::*;
pub use load::*;

/// The source type the stock movements of a return name.
pub const SOURCE_TYPE: &str = "return";

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReturnLineView {
    pub id: i64,
    pub order_line_id: i64,
    pub product_id: i64,
    pub product_code: String,
    pub product_name: String,
    pub unit: String,
    /// Decimal string in the product's unit.
    pub quantity: String,
    /// The order line's unit price (without tax), for reference.
    pub unit_price: String,
    /// This line's refund: its share of the order line's total (with tax).
    pub refund: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReturnView {
    pub id: i64,
    /// `RT-YYYY-NNNNNN`.
    pub number: String,
    pub order_id: i64,
    pub order_number: String,
    pub customer_id: i64,
    pub customer_name: String,
    /// Where the goods go back in.
    pub warehouse_id: i64,
    pub warehouse_name: String,
    /// `draft`, `received`, `completed`, `cancelled`.
    pub status: String,
    pub reason: String,
    /// Decimal string: the lines' refunds added up (with tax).
    pub refund: String,
    pub currency: String,
    pub created_by: i64,
    pub created_by_name: String,
    pub received_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The lines; empty in lists.
    pub lines: Vec<ReturnLineView>,
}

fn status_of(m: &return_order::Model) -> ReturnStatus {
    ReturnStatus::parse(&m.status).unwrap_or(ReturnStatus::Draft)
}

/// Names a page of returns needs: orders' numbers, customers, warehouses, people.
struct Names {
    orders: HashMap<i64, String>,
    customers: HashMap<i64, String>,
    warehouses: HashMap<i64, String>,
    people: HashMap<i64, String>,
    currency: String,
}

async fn names<C: ConnectionTrait>(conn: &C, rows: &[return_order::Model]) -> StoreResult<Names> {
    let mut order_ids: Vec<i64> = rows.iter().map(|r| r.order_id).collect();
    order_ids.sort_unstable();
    order_ids.dedup();
    let mut customer_ids: Vec<i64> = rows.iter().map(|r| r.customer_id).collect();
    customer_ids.sort_unstable();
    customer_ids.dedup();
    let orders = if order_ids.is_empty() {
        HashMap::new()
    } else {
        order::Entity::find()
            .filter(order::Column::Id.is_in(order_ids))
            .all(conn)
            .await?
            .into_iter()
            .map(|o| (o.id, o.number))
            .collect()
    };
    let customers = if customer_ids.is_empty() {
        HashMap::new()
    } else {
        customer::Entity::find()
            .filter(customer::Column::Id.is_in(customer_ids))
            .all(conn)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect()
    };
    let warehouses = warehouse::Entity::find().all(conn).await?.into_iter().map(|w| (w.id, w.name)).collect();
    let people = crate::shared::owner_names(conn, rows.iter().map(|r| r.created_by)).await?;
    let currency = crate::settings::current(conn).await?.currency;
    Ok(Names { orders, customers, warehouses, people, currency })
}

fn view(m: return_order::Model, n: &Names, lines: Vec<ReturnLineView>) -> ReturnView {
    ReturnView {
        order_number: n.orders.get(&m.order_id).cloned().unwrap_or_default(),
        customer_name: n.customers.get(&m.customer_id).cloned().unwrap_or_default(),
        warehouse_name: n.warehouses.get(&m.warehouse_id).cloned().unwrap_or_default(),
        created_by_name: n.people.get(&m.created_by).cloned().unwrap_or_default(),
        refund: Money(m.refund).to_string(),
        currency: n.currency.clone(),
        id: m.id,
        number: m.number,
        order_id: m.order_id,
        customer_id: m.customer_id,
        warehouse_id: m.warehouse_id,
        status: m.status,
        reason: m.reason,
        created_by: m.created_by,
        received_at: m.received_at,
        completed_at: m.completed_at,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
        lines,
    }
}

async fn lines_of<C: ConnectionTrait>(conn: &C, return_id: i64) -> StoreResult<Vec<return_line::Model>> {
    Ok(return_line::Entity::find()
        .filter(return_line::Column::ReturnId.eq(return_id))
        .order_by_asc(return_line::Column::Id)
        .all(conn)
        .await?)
}

/// One return with its lines, read on `conn` (the unit or the reader).
pub(crate) async fn full_view<C: ConnectionTrait>(conn: &C, m: return_order::Model) -> StoreResult<ReturnView> {
    let lines = lines_of(conn, m.id).await?;
    let products =
        crate::products::products_by_id(conn, &lines.iter().map(|l| l.product_id).collect::<Vec<_>>()).await?;
    let order_lines: HashMap<i64, order_line::Model> = order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(m.order_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    let line_views = lines
        .into_iter()
        .map(|l| {
            let p = products.get(&l.product_id);
            ReturnLineView {
                product_code: p.map(|p| p.code.clone()).unwrap_or_default(),
                product_name: p.map(|p| p.name.clone()).unwrap_or_default(),
                unit: p.map(|p| p.unit.clone()).unwrap_or_default(),
                unit_price: order_lines
                    .get(&l.order_line_id)
                    .map(|o| Money(o.unit_price).to_string())
                    .unwrap_or_default(),
                quantity: Quantity(l.quantity).to_string(),
                refund: Money(l.refund).to_string(),
                id: l.id,
                order_line_id: l.order_line_id,
                product_id: l.product_id,
            }
        })
        .collect();
    let n = names(conn, std::slice::from_ref(&m)).await?;
    Ok(view(m, &n, line_views))
}

// ---------------------------------------------------------------- scope

/// Returns whose customer is owned by someone in the actor's scope.
pub(crate) fn in_scope(actor: &Actor) -> Condition {
    match &actor.visible_users {
        None => Condition::all(),
        Some(_) => {
            let mut customers = Query::select();
            customers
                .column(customer::Column::Id)
                .from(customer::Entity)
                .cond_where(actor.scope_condition(customer::Column::OwnerId));
            Condition::all().add(return_order::Column::CustomerId.in_subquery(customers))
        }
    }
}

/// The return if it is in the actor's scope; otherwise "not found".
pub(crate) async fn find_in_scope<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    id: i64,
) -> StoreResult<return_order::Model> {
    return_order::Entity::find_by_id(id).filter(in_scope(actor)).one(conn).await?.ok_or(StoreError::NotFound)
}

// ---------------------------------------------------------------- reading

pub async fn get(store: &Store, actor: &Actor, id: i64) -> StoreResult<ReturnView> {
    actor.require(Module::Orders, Action::View)?;
    let m = find_in_scope(store.reader(), actor, id).await?;
    full_view(store.reader(), m).await
}

#[derive(Debug, Clone, Default)]
pub struct ReturnFilter {
    pub status: Option<ReturnStatus>,
    pub order_id: Option<i64>,
    pub customer_id: Option<i64>,
}

const SORTS: [SortField<return_order::Column>; 3] = [
    SortField { name: "id", column: return_order::Column::Id },
    SortField { name: "number", column: return_order::Column::Number },
    SortField { name: "created_at", column: return_order::Column::CreatedAt },
];

/// Returns in scope: sort `-id` (default, newest first), `number`, `created_at`.
pub async fn list(
    store: &Store,
    actor: &Actor,
    filter: &ReturnFilter,
    page: &PageRequest,
) -> StoreResult<Page<ReturnView>> {
    actor.require(Module::Orders, Action::View)?;
    let keyset = Keyset::parse(page, &SORTS, "-id")?;
    let mut query = return_order::Entity::find().filter(in_scope(actor));
    if let Some(s) = filter.status {
        query = query.filter(return_order::Column::Status.eq(s.code()));
    }
    if let Some(o) = filter.order_id {
        query = query.filter(return_order::Column::OrderId.eq(o));
    }
    if let Some(c) = filter.customer_id {
        query = query.filter(return_order::Column::CustomerId.eq(c));
    }
    let db = store.reader();
    let rows = keyset.apply(query, return_order::Column::Id).all(db).await?;
    let n = names(db, &rows).await?;
    let page = keyset.finish(rows, |r, field| {
        let key = match field {
            "number" => Key::Text(r.number.clone()),
            "created_at" => Key::Time(r.created_at),
            _ => Key::Int(r.id),
        };
        (key, r.id)
    });
    Ok(page.map(|r| view(r, &n, Vec::new())))
}

/// An order's returns, oldest first, with their lines (for the order page).
pub async fn for_order(store: &Store, actor: &Actor, order_id: i64) -> StoreResult<Vec<ReturnView>> {
    if !actor.can(Module::Orders, Action::View) {
        return Ok(Vec::new());
    }
    let db = store.reader();
    let rows = return_order::Entity::find()
        .filter(in_scope(actor))
        .filter(return_order::Column::OrderId.eq(order_id))
        .order_by_asc(return_order::Column::Id)
        .all(db)
        .await?;
    let mut views = Vec::with_capacity(rows.len());
    for r in rows {
        views.push(full_view(db, r).await?);
    }
    Ok(views)
}
