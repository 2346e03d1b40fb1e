//! Sales orders (销售订单): number `SO-YYYY-NNNNNN`, customer, lines priced
//! by the domain, and the life cycle draft → submitted → approved →
//! partially shipped → shipped → completed (or rejected / cancelled).
//!
//! Data scope: an order follows its customer (a salesperson sees the
//! orders of the customers they own; a manager those of their people).
//! The approvers of an order's pending step read it too, whatever their
//! scope. Approval itself is the engine's (`approvals`): this module opens
//! a request on submit and calls `decide` in its own `approve`/`reject`.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use salesflow_domain::access::{Action, Module};
use salesflow_domain::approvals::DocumentType;
use salesflow_domain::money::Money;
use salesflow_domain::orders::{OrderStatus, Totals, discount_percent};
use salesflow_domain::quantity::{Percent, Quantity};
use sea_orm::sea_query::{Condition, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use crate::Store;
use crate::approvals::{self, ApprovalView};
use crate::entity::{contact, customer, order, order_line, product, shipment, shipment_line, warehouse};
use crate::error::{StoreError, StoreResult};
use crate::paging::{Key, Keyset, Page, PageRequest, SortField};
use crate::scope::Actor;

mod edit;
mod flow;
mod load;
pub use edit::*;
pub use flow::*;
pub use load::*;

pub(crate) const LINK: &str = "/orders/";

fn status_of(m: &order::Model) -> OrderStatus {
    OrderStatus::parse(&m.status).unwrap_or(OrderStatus::Draft)
}

// ---------------------------------------------------------------- views

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrderLineView {
    pub id: i64,
    pub position: i32,
    pub product_id: i64,
    pub product_code: String,
    pub product_name: String,
    pub unit: String,
    pub warehouse_id: Option<i64>,
    pub warehouse_name: Option<String>,
    /// Decimal strings.
    pub quantity: String,
    pub unit_price: String,
    pub discount_percent: String,
    pub tax_rate: String,
    pub gross: String,
    pub discount: String,
    pub net: String,
    pub tax: String,
    pub total: String,
    /// Reserved now (approved, not yet shipped).
    pub reserved: String,
    pub shipped: String,
    /// Ordered less shipped.
    pub remaining: String,
    /// Taken by returns that are not cancelled.
    pub returned: String,
    /// Shipped less returned: what may still come back.
    pub returnable: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ShipmentLineView {
    pub order_line_id: i64,
    pub quantity: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ShipmentView {
    pub id: i64,
    pub carrier: String,
    pub tracking_number: String,
    pub shipped_at: DateTime<Utc>,
    pub lines: Vec<ShipmentLineView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrderView {
    pub id: i64,
    /// `SO-2026-000123`.
    pub number: String,
    pub customer_id: i64,
    pub customer_name: String,
    pub contact_id: Option<i64>,
    pub contact_name: Option<String>,
    pub opportunity_id: Option<i64>,
    /// `draft`, `submitted`, `approved`, `partially_shipped`, `shipped`,
    /// `completed`, `rejected`, `cancelled`.
    pub status: String,
    /// The default warehouse of lines that name none.
    pub warehouse_id: Option<i64>,
    pub delivery_address: String,
    pub delivery_date: Option<NaiveDate>,
    pub notes: String,
    /// Decimal strings: the lines' amounts added up.
    pub gross: String,
    pub discount: String,
    pub net: String,
    pub tax: String,
    pub total: String,
    /// The overall discount the approval rules compare.
    pub discount_percent: String,
    /// Decimal strings: paid so far (payments less reversals), invoiced
    /// (issued, not void), and what is owed now (total less paid once
    /// approved; zero before approval).
    pub paid: String,
    pub invoiced: String,
    pub outstanding: String,
    pub created_by: i64,
    pub created_by_name: String,
    pub submitted_at: Option<DateTime<Utc>>,
    pub approved_at: Option<DateTime<Utc>>,
    pub lines: Vec<OrderLineView>,
    pub shipments: Vec<ShipmentView>,
    /// The order's approval requests, newest first, with their decisions.
    pub approvals: Vec<ApprovalView>,
    /// Whether the caller decides the pending approval step now.
    pub can_decide: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A row of the order list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrderSummary {
    pub id: i64,
    pub number: String,
    pub customer_id: i64,
    pub customer_name: String,
    pub status: String,
    pub total: String,
    pub paid: String,
    pub invoiced: String,
    pub outstanding: String,
    pub delivery_date: Option<NaiveDate>,
    pub created_by_name: String,
    pub created_at: DateTime<Utc>,
}

fn totals_of(m: &order::Model) -> Totals {
    Totals {
        gross: Money(m.gross),
        discount: Money(m.discount),
        net: Money(m.net),
        tax: Money(m.tax),
        total: Money(m.total),
    }
}

async fn customer_names<C: ConnectionTrait>(conn: &C, ids: Vec<i64>) -> StoreResult<HashMap<i64, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = customer::Entity::find().filter(customer::Column::Id.is_in(ids)).all(conn).await?;
    Ok(rows.into_iter().map(|c| (c.id, c.name)).collect())
}

pub(crate) async fn full_view<C: ConnectionTrait>(conn: &C, actor: &Actor, m: order::Model) -> StoreResult<OrderView> {
    let lines = order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(m.id))
        .order_by_asc(order_line::Column::Position)
        .all(conn)
        .await?;
    let products =
        crate::products::products_by_id(conn, &lines.iter().map(|l| l.product_id).collect::<Vec<_>>()).await?;
    let warehouses: HashMap<i64, String> =
        warehouse::Entity::find().all(conn).await?.into_iter().map(|w| (w.id, w.name)).collect();
    let shipments = shipment::Entity::find()
        .filter(shipment::Column::OrderId.eq(m.id))
        .order_by_asc(shipment::Column::Id)
        .all(conn)
        .await?;
    let shipment_lines = if shipments.is_empty() {
        Vec::new()
    } else {
        shipment_line::Entity::find()
            .filter(shipment_line::Column::ShipmentId.is_in(shipments.iter().map(|s| s.id)))
            .order_by_asc(shipment_line::Column::Id)
            .all(conn)
            .await?
    };
    let customer_name = customer_names(conn, vec![m.customer_id]).await?.remove(&m.customer_id).unwrap_or_default();
    let contact_name = match m.contact_id {
        Some(c) => contact::Entity::find_by_id(c).one(conn).await?.map(|c| c.name),
        None => None,
    };
    let names = crate::shared::owner_names(conn, std::iter::once(m.created_by)).await?;
    let approvals = approvals::history(conn, DocumentType::Order, m.id).await?;
    let can_decide = approvals::can_decide(conn, actor, DocumentType::Order, m.id).await?;
    let line_views = lines
        .into_iter()
        .map(|l| {
            let p = products.get(&l.product_id);
            OrderLineView {
                product_code: p.map(|p| p.code.clone()).unwrap_or_default(),
                product_name: p.map(|p| p.name.clone()).unwrap_or_default(),
                unit: p.map(|p| p.unit.clone()).unwrap_or_default(),
                warehouse_name: l.warehouse_id.and_then(|w| warehouses.get(&w).cloned()),
                quantity: Quantity(l.quantity).to_string(),
                unit_price: Money(l.unit_price).to_string(),
                discount_percent: Percent(l.discount_percent).to_string(),
                tax_rate: Percent(l.tax_rate).to_string(),
                gross: Money(l.gross).to_string(),
                discount: Money(l.discount).to_string(),
                net: Money(l.net).to_string(),
                tax: Money(l.tax).to_string(),
                total: Money(l.total).to_string(),
                reserved: Quantity(l.reserved).to_string(),
                shipped: Quantity(l.shipped).to_string(),
                remaining: Quantity(l.quantity - l.shipped).to_string(),
                returned: Quantity(l.returned).to_string(),
                returnable: Quantity(l.shipped - l.returned).to_string(),
                id: l.id,
                position: l.position,
                product_id: l.product_id,
                warehouse_id: l.warehouse_id,
            }
        })
        .collect();
    let shipment_views = shipments
        .into_iter()
        .map(|s| ShipmentView {
            lines: shipment_lines
                .iter()
                .filter(|l| l.shipment_id == s.id)
                .map(|l| ShipmentLineView {
                    order_line_id: l.order_line_id,
                    quantity: Quantity(l.quantity).to_string(),
                })
                .collect(),
            id: s.id,
            carrier: s.carrier,
            tracking_number: s.tracking_number,
            shipped_at: s.shipped_at,
        })
        .collect();
    let totals = totals_of(&m);
    Ok(OrderView {
        customer_name,
        contact_name,
        gross: totals.gross.to_string(),
        discount: totals.discount.to_string(),
        net: totals.net.to_string(),
        tax: totals.tax.to_string(),
        total: totals.total.to_string(),
        discount_percent: discount_percent(&totals).to_string(),
        paid: Money(m.paid).to_string(),
        invoiced: Money(m.invoiced).to_string(),
        outstanding: Money(m.receivable).to_string(),
        created_by_name: names.get(&m.created_by).cloned().unwrap_or_default(),
        lines: line_views,
        shipments: shipment_views,
        approvals,
        can_decide,
        id: m.id,
        number: m.number,
        customer_id: m.customer_id,
        contact_id: m.contact_id,
        opportunity_id: m.opportunity_id,
        status: m.status,
        warehouse_id: m.warehouse_id,
        delivery_address: m.delivery_address,
        delivery_date: m.delivery_date,
        notes: m.notes,
        created_by: m.created_by,
        submitted_at: m.submitted_at,
        approved_at: m.approved_at,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

// ---------------------------------------------------------------- scope

/// Orders whose customer is owned by someone in the actor's scope.
pub(crate) fn in_scope(actor: &Actor) -> Condition {
    match &actor.visible_users {
        None => Condition::all(),
        Some(_) => {
            let mut customers = Query::select();
            customers
                .column(customer::Column::Id)
                .from(customer::Entity)
                .cond_where(actor.scope_condition(customer::Column::OwnerId));
            Condition::all().add(order::Column::CustomerId.in_subquery(customers))
        }
    }
}

/// The order if the actor sees it: in scope with the `orders` view right,
/// or as an approver of its steps. Otherwise "not found".
pub(crate) async fn find_readable<C: ConnectionTrait>(conn: &C, actor: &Actor, id: i64) -> StoreResult<order::Model> {
    if actor.can(Module::Orders, Action::View)
        && let Some(m) = order::Entity::find_by_id(id).filter(in_scope(actor)).one(conn).await?
    {
        return Ok(m);
    }
    if approvals::approver_sees(conn, actor, DocumentType::Order, id).await? {
        return order::Entity::find_by_id(id).one(conn).await?.ok_or(StoreError::NotFound);
    }
    Err(StoreError::NotFound)
}

/// The order if it is in the actor's scope (for changes).
pub(crate) async fn find_in_scope<C: ConnectionTrait>(conn: &C, actor: &Actor, id: i64) -> StoreResult<order::Model> {
    order::Entity::find_by_id(id).filter(in_scope(actor)).one(conn).await?.ok_or(StoreError::NotFound)
}

// ---------------------------------------------------------------- reading

pub async fn get(store: &Store, actor: &Actor, id: i64) -> StoreResult<OrderView> {
    let m = find_readable(store.reader(), actor, id).await?;
    full_view(store.reader(), actor, m).await
}

#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub status: Option<OrderStatus>,
    pub customer_id: Option<i64>,
    pub opportunity_id: Option<i64>,
    /// Approved or partly shipped: what the warehouse has to ship.
    pub to_ship: bool,
    /// Delivery date before this day (late when still to ship).
    pub delivery_before: Option<NaiveDate>,
    /// Orders by what they owe (`finance::Collection`).
    pub collection: Option<crate::finance::Collection>,
}

async fn filtered(store: &Store, actor: &Actor, filter: &OrderFilter) -> StoreResult<sea_orm::Select<order::Entity>> {
    let mut query = order::Entity::find().filter(in_scope(actor));
    if let Some(s) = filter.status {
        query = query.filter(order::Column::Status.eq(s.code()));
    }
    if filter.to_ship {
        let open = [OrderStatus::Approved, OrderStatus::PartiallyShipped];
        query = query.filter(order::Column::Status.is_in(open.map(|s| s.code())));
    }
    if let Some(c) = filter.customer_id {
        query = query.filter(order::Column::CustomerId.eq(c));
    }
    if let Some(o) = filter.opportunity_id {
        query = query.filter(order::Column::OpportunityId.eq(o));
    }
    if let Some(d) = filter.delivery_before {
        query = query.filter(order::Column::DeliveryDate.lt(d));
    }
    if let Some(c) = filter.collection {
        let today = crate::settings::today(store.reader(), store.now()).await?;
        query = query.filter(c.condition(today));
    }
    Ok(query)
}

/// How many orders in scope the filter finds.
pub async fn count(store: &Store, actor: &Actor, filter: &OrderFilter) -> StoreResult<u64> {
    actor.require(Module::Orders, Action::View)?;
    Ok(sea_orm::PaginatorTrait::count(filtered(store, actor, filter).await?, store.reader()).await?)
}

const SORTS: [SortField<order::Column>; 3] = [
    SortField { name: "id", column: order::Column::Id },
    SortField { name: "number", column: order::Column::Number },
    SortField { name: "created_at", column: order::Column::CreatedAt },
];

/// Orders in scope: sort `-id` (default, newest first), `number`, `created_at`.
pub async fn list(
    store: &Store,
    actor: &Actor,
    filter: &OrderFilter,
    page: &PageRequest,
) -> StoreResult<Page<OrderSummary>> {
    actor.require(Module::Orders, Action::View)?;
    let keyset = Keyset::parse(page, &SORTS, "-id")?;
    let query = filtered(store, actor, filter).await?;
    let db = store.reader();
    let rows = keyset.apply(query, order::Column::Id).all(db).await?;
    let customers = customer_names(db, rows.iter().map(|o| o.customer_id).collect()).await?;
    let people = crate::shared::owner_names(db, rows.iter().map(|o| o.created_by)).await?;
    let page = keyset.finish(rows, |o, field| {
        let key = match field {
            "number" => Key::Text(o.number.clone()),
            "created_at" => Key::Time(o.created_at),
            _ => Key::Int(o.id),
        };
        (key, o.id)
    });
    Ok(page.map(|o| OrderSummary {
        customer_name: customers.get(&o.customer_id).cloned().unwrap_or_default(),
        created_by_name: people.get(&o.created_by).cloned().unwrap_or_default(),
        total: Money(o.total).to_string(),
        paid: Money(o.paid).to_string(),
        invoiced: Money(o.invoiced).to_string(),
        outstanding: Money(o.receivable).to_string(),
        id: o.id,
        number: o.number,
        customer_id: o.customer_id,
        status: o.status,
        delivery_date: o.delivery_date,
        created_at: o.created_at,
    }))
}

/// Products by id, for checking lines.
pub(crate) async fn products<C: ConnectionTrait>(conn: &C, ids: &[i64]) -> StoreResult<HashMap<i64, product::Model>> {
    crate::products::products_by_id(conn, ids).await
}
