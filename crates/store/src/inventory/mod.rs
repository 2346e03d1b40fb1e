//! Inventory (库存): warehouses, stock per product and warehouse, and the
//! stock movements every change of on-hand leaves behind (the stock card).
//!
//! "Never below zero" (unless the company allows negative stock) is
//! enforced in the one statement that changes the row (`UPDATE stock SET
//! on_hand = on_hand + delta … WHERE … AND on_hand - reserved + delta >= 0`):
//! no row changed means not enough, and the caller hears how much is
//! available. Concurrent changes of the same row wait for each other
//! (SQLite's write lock, PostgreSQL's row lock, which re-checks the
//! condition on the row it waited for), so none can oversell.
//!
//! Reserve, release and ship are `pub` for the documents that move goods
//! (orders, shipments): they run inside the caller's unit of work.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module, Permissions};
use salesflow_domain::inventory::{self as rules, MovementKind, Stock};
use salesflow_domain::products::check_reason;
use salesflow_domain::quantity::{DecimalError, Quantity};
use salesflow_domain::validation::FieldError;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, Set,
};
use serde::Serialize;

use crate::Store;
use crate::audit::AuditEvent;
use crate::entity::notification::NotificationKind;
use crate::entity::{product, role, stock, stock_movement, user, warehouse};
use crate::error::{StoreError, StoreResult};
use crate::notifications;
use crate::paging::{Key, Keyset, Page, PageRequest, SortField};
use crate::scope::Actor;
use crate::unit_of_work::UnitOfWork;

mod warehouses;
pub use warehouses::*;

fn signed_in(actor: &Actor) -> StoreResult<()> {
    if actor.user_id.is_none() && actor.username != "system" {
        return Err(StoreError::Forbidden);
    }
    Ok(())
}

// ---------------------------------------------------------------- stock

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StockView {
    pub product_id: i64,
    pub product_code: String,
    pub product_name: String,
    pub unit: String,
    pub warehouse_id: i64,
    pub warehouse_code: String,
    pub warehouse_name: String,
    /// Decimal strings in the product's unit.
    pub on_hand: String,
    pub reserved: String,
    /// On hand less reserved.
    pub available: String,
}

#[derive(Debug, Clone, Default)]
pub struct StockFilter {
    pub product_id: Option<i64>,
    pub warehouse_id: Option<i64>,
}

const STOCK_SORTS: [SortField<stock::Column>; 1] = [SortField { name: "product_id", column: stock::Column::ProductId }];

struct Names {
    products: HashMap<i64, product::Model>,
    warehouses: HashMap<i64, warehouse::Model>,
}

async fn names<C: ConnectionTrait>(conn: &C, products: Vec<i64>) -> StoreResult<Names> {
    let warehouses = warehouse::Entity::find().all(conn).await?.into_iter().map(|w| (w.id, w)).collect();
    let mut products = products;
    products.sort_unstable();
    products.dedup();
    Ok(Names { products: crate::products::products_by_id(conn, &products).await?, warehouses })
}

fn stock_view(s: stock::Model, n: &Names) -> StockView {
    let p = n.products.get(&s.product_id);
    let w = n.warehouses.get(&s.warehouse_id);
    StockView {
        product_code: p.map(|p| p.code.clone()).unwrap_or_default(),
        product_name: p.map(|p| p.name.clone()).unwrap_or_default(),
        unit: p.map(|p| p.unit.clone()).unwrap_or_default(),
        warehouse_code: w.map(|w| w.code.clone()).unwrap_or_default(),
        warehouse_name: w.map(|w| w.name.clone()).unwrap_or_default(),
        on_hand: Quantity(s.on_hand).to_string(),
        reserved: Quantity(s.reserved).to_string(),
        available: Quantity(s.on_hand - s.reserved).to_string(),
        product_id: s.product_id,
        warehouse_id: s.warehouse_id,
    }
}

/// Stock rows by product then warehouse (keyset pages).
pub async fn list_stock(
    store: &Store,
    actor: &Actor,
    filter: &StockFilter,
    page: &PageRequest,
) -> StoreResult<Page<StockView>> {
    signed_in(actor)?;
    let keyset = Keyset::parse(page, &STOCK_SORTS, "product_id")?;
    let mut query = stock::Entity::find();
    if let Some(p) = filter.product_id {
        query = query.filter(stock::Column::ProductId.eq(p));
    }
    if let Some(w) = filter.warehouse_id {
        query = query.filter(stock::Column::WarehouseId.eq(w));
    }
    let rows = keyset.apply(query, stock::Column::WarehouseId).all(store.reader()).await?;
    let n = names(store.reader(), rows.iter().map(|s| s.product_id).collect()).await?;
    let page = keyset.finish(rows, |s, _| (Key::Int(s.product_id), s.warehouse_id));
    Ok(page.map(|s| stock_view(s, &n)))
}

async fn stock_row<C: ConnectionTrait>(conn: &C, product_id: i64, warehouse_id: i64) -> StoreResult<Stock> {
    let row = stock::Entity::find_by_id((product_id, warehouse_id)).one(conn).await?;
    Ok(row.map(|s| Stock { on_hand: Quantity(s.on_hand), reserved: Quantity(s.reserved) }).unwrap_or_default())
}

fn insufficient(available: Quantity) -> StoreError {
    Invalid(vec![FieldError::new("quantity", "insufficient_stock").with("available", available)]).into()
}

async fn ensure_row(unit: &UnitOfWork<'_>, product_id: i64, warehouse_id: i64) -> StoreResult<()> {
    let insert = stock::Entity::insert(stock::ActiveModel {
        product_id: Set(product_id),
        warehouse_id: Set(warehouse_id),
        on_hand: Set(0),
        reserved: Set(0),
        version: Set(1),
        updated_at: Set(unit.now()),
    })
    .on_conflict_do_nothing_on([stock::Column::ProductId, stock::Column::WarehouseId]);
    insert.exec(unit).await?;
    Ok(())
}

async fn allow_negative(unit: &UnitOfWork<'_>) -> StoreResult<bool> {
    Ok(crate::settings::current(unit).await?.allow_negative_stock)
}

/// Where a movement comes from: a document (`order`, `shipment`, …) and its id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Source {
    pub document_type: Option<String>,
    pub document_id: Option<i64>,
}

#[allow(clippy::too_many_arguments)] // one movement row, field by field
async fn write_movement(
    unit: &UnitOfWork<'_>,
    kind: MovementKind,
    product_id: i64,
    warehouse_id: i64,
    quantity: Quantity,
    balance_after: Quantity,
    source: &Source,
    reason: &str,
) -> StoreResult<stock_movement::Model> {
    Ok(stock_movement::ActiveModel {
        product_id: Set(product_id),
        warehouse_id: Set(warehouse_id),
        kind: Set(kind.code().to_owned()),
        quantity: Set(quantity.0),
        balance_after: Set(balance_after.0),
        source_type: Set(source.document_type.clone()),
        source_id: Set(source.document_id),
        reason: Set(reason.trim().to_owned()),
        created_by: Set(unit.actor().user_id),
        created_at: Set(unit.now()),
        ..Default::default()
    }
    .insert(unit)
    .await?)
}

/// Changes on hand by `delta` (signed) and writes the movement; refused
/// when it would take available below zero (unless allowed).
pub async fn change_on_hand(
    unit: &UnitOfWork<'_>,
    kind: MovementKind,
    product_id: i64,
    warehouse_id: i64,
    delta: Quantity,
    source: &Source,
    reason: &str,
) -> StoreResult<stock_movement::Model> {
    ensure_row(unit, product_id, warehouse_id).await?;
    let mut update = stock::Entity::update_many()
        .col_expr(stock::Column::OnHand, Expr::col(stock::Column::OnHand).add(delta.0))
        .col_expr(stock::Column::Version, Expr::col(stock::Column::Version).add(1))
        .col_expr(stock::Column::UpdatedAt, Expr::value(unit.now()))
        .filter(stock::Column::ProductId.eq(product_id))
        .filter(stock::Column::WarehouseId.eq(warehouse_id));
    if delta.0 < 0 && !allow_negative(unit).await? {
        update =
            update.filter(Expr::col(stock::Column::OnHand).sub(Expr::col(stock::Column::Reserved)).add(delta.0).gte(0));
    }
    if update.exec(unit).await?.rows_affected == 0 {
        return Err(insufficient(stock_row(unit, product_id, warehouse_id).await?.available()));
    }
    let after = stock_row(unit, product_id, warehouse_id).await?;
    let movement = write_movement(unit, kind, product_id, warehouse_id, delta, after.on_hand, source, reason).await?;
    if delta.0 < 0 {
        warn_if_low(unit, product_id, -delta).await?;
    }
    Ok(movement)
}

/// Reserves `quantity` for a document: refused when more than available
/// (unless negative stock is allowed). No movement: on hand is unchanged.
pub async fn reserve(
    unit: &UnitOfWork<'_>,
    product_id: i64,
    warehouse_id: i64,
    quantity: Quantity,
) -> StoreResult<Stock> {
    if !quantity.is_positive() {
        return Err(Invalid::one("quantity", "must_be_positive").into());
    }
    ensure_row(unit, product_id, warehouse_id).await?;
    let mut update = stock::Entity::update_many()
        .col_expr(stock::Column::Reserved, Expr::col(stock::Column::Reserved).add(quantity.0))
        .col_expr(stock::Column::Version, Expr::col(stock::Column::Version).add(1))
        .col_expr(stock::Column::UpdatedAt, Expr::value(unit.now()))
        .filter(stock::Column::ProductId.eq(product_id))
        .filter(stock::Column::WarehouseId.eq(warehouse_id));
    if !allow_negative(unit).await? {
        update = update
            .filter(Expr::col(stock::Column::OnHand).sub(Expr::col(stock::Column::Reserved)).sub(quantity.0).gte(0));
    }
    if update.exec(unit).await?.rows_affected == 0 {
        return Err(insufficient(stock_row(unit, product_id, warehouse_id).await?.available()));
    }
    warn_if_low(unit, product_id, quantity).await?;
    stock_row(unit, product_id, warehouse_id).await
}

/// Releases up to `quantity` of a reservation (never below zero reserved).
pub async fn release(
    unit: &UnitOfWork<'_>,
    product_id: i64,
    warehouse_id: i64,
    quantity: Quantity,
) -> StoreResult<Stock> {
    let q = Ord::max(quantity.0, 0);
    let reserved = || Expr::col(stock::Column::Reserved);
    stock::Entity::update_many()
        .col_expr(stock::Column::Reserved, Expr::case(reserved().gt(q), reserved().sub(q)).finally(0).into())
        .col_expr(stock::Column::Version, Expr::col(stock::Column::Version).add(1))
        .col_expr(stock::Column::UpdatedAt, Expr::value(unit.now()))
        .filter(stock::Column::ProductId.eq(product_id))
        .filter(stock::Column::WarehouseId.eq(warehouse_id))
        .exec(unit)
        .await?;
    stock_row(unit, product_id, warehouse_id).await
}

/// Ships `quantity`, of which `was_reserved` had been reserved for the
/// document: the reservation ends and the goods leave (a `shipment`
/// movement). The unreserved part must be available (unless allowed).
pub async fn ship(
    unit: &UnitOfWork<'_>,
    product_id: i64,
    warehouse_id: i64,
    quantity: Quantity,
    was_reserved: Quantity,
    source: &Source,
) -> StoreResult<stock_movement::Model> {
    if !quantity.is_positive() {
        return Err(Invalid::one("quantity", "must_be_positive").into());
    }
    ensure_row(unit, product_id, warehouse_id).await?;
    let q = quantity.0;
    let r = Ord::max(was_reserved.min(quantity).0, 0);
    // What the reservation covers, bounded by what is reserved now.
    let reserved = || Expr::col(stock::Column::Reserved);
    let covered = || -> Expr { Expr::case(reserved().lt(r), reserved()).finally(r).into() };
    let mut update = stock::Entity::update_many()
        .col_expr(stock::Column::OnHand, Expr::col(stock::Column::OnHand).sub(q))
        .col_expr(stock::Column::Reserved, reserved().sub(covered()))
        .col_expr(stock::Column::Version, Expr::col(stock::Column::Version).add(1))
        .col_expr(stock::Column::UpdatedAt, Expr::value(unit.now()))
        .filter(stock::Column::ProductId.eq(product_id))
        .filter(stock::Column::WarehouseId.eq(warehouse_id));
    if !allow_negative(unit).await? {
        let unreserved = Expr::val(q).sub(covered());
        update = update.filter(Expr::col(stock::Column::OnHand).sub(reserved()).sub(unreserved).gte(0));
    }
    if update.exec(unit).await?.rows_affected == 0 {
        return Err(insufficient(stock_row(unit, product_id, warehouse_id).await?.available()));
    }
    let after = stock_row(unit, product_id, warehouse_id).await?;
    let movement =
        write_movement(unit, MovementKind::Shipment, product_id, warehouse_id, -quantity, after.on_hand, source, "")
            .await?;
    // Only the unreserved part lowers what is available.
    let unreserved = quantity - was_reserved.min(quantity);
    if unreserved.is_positive() {
        warn_if_low(unit, product_id, unreserved).await?;
    }
    Ok(movement)
}

// ---------------------------------------------------------------- low stock

/// A product's available quantity over all warehouses.
async fn available_total<C: ConnectionTrait>(conn: &C, product_id: i64) -> StoreResult<Quantity> {
    let total: Option<Option<i64>> = stock::Entity::find()
        .select_only()
        .column_as(Expr::cust("CAST(SUM(on_hand - reserved) AS BIGINT)"), "total")
        .filter(stock::Column::ProductId.eq(product_id))
        .into_tuple()
        .one(conn)
        .await?;
    Ok(Quantity(total.flatten().unwrap_or(0)))
}

/// When a change that lowered available by `drop` took the product from
/// above its reorder point to or under it, the people who manage stock
/// hear of it (in-app notice).
async fn warn_if_low(unit: &UnitOfWork<'_>, product_id: i64, drop: Quantity) -> StoreResult<()> {
    let Some(p) = product::Entity::find_by_id(product_id).one(unit).await? else { return Ok(()) };
    let point = Quantity(p.reorder_point);
    let after = available_total(unit, product_id).await?;
    let before = after + drop;
    if !rules::is_low(after, point) || rules::is_low(before, point) {
        return Ok(());
    }
    let title = format!("{} {} ≤ {}", p.code, p.name, point);
    for user_id in inventory_people(unit).await? {
        notifications::remind(
            unit,
            user_id,
            NotificationKind::LowStock,
            &title,
            &format!("/products/{product_id}"),
            unit.now(),
            unit.now(),
        )
        .await?;
    }
    Ok(())
}

/// Active users whose role may record stock movements.
async fn inventory_people<C: ConnectionTrait>(conn: &C) -> StoreResult<Vec<i64>> {
    let roles: Vec<i64> = role::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .filter(|r| {
            let codes = serde_json::from_str(&r.permissions).unwrap_or_default();
            Permissions::from_codes(&codes).allows(Module::Inventory, Action::Create)
        })
        .map(|r| r.id)
        .collect();
    if roles.is_empty() {
        return Ok(Vec::new());
    }
    Ok(user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::RoleId.is_in(roles))
        .filter(user::Column::Active.eq(true))
        .filter(user::Column::DeletedAt.is_null())
        .into_tuple()
        .all(conn)
        .await?)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LowStockView {
    pub product_id: i64,
    pub code: String,
    pub name: String,
    pub unit: String,
    /// Over all warehouses.
    pub available: String,
    pub reorder_point: String,
    pub safety_stock: String,
    /// Up to the larger of reorder point and safety stock.
    pub suggested_order: String,
}

/// Active products whose available quantity over all warehouses is at or
/// under their reorder point (products without one are never low), by code.
pub async fn low_stock(store: &Store, actor: &Actor, limit: u64) -> StoreResult<Vec<LowStockView>> {
    signed_in(actor)?;
    let limit = limit.clamp(1, 500);
    let db = store.reader();
    let sql = format!(
        "SELECT p.id, CAST(COALESCE(SUM(s.on_hand - s.reserved), 0) AS BIGINT) AS available FROM products p \
         LEFT JOIN stock s ON s.product_id = p.id \
         WHERE p.active = {t} AND p.service = {f} AND p.reorder_point > 0 \
         GROUP BY p.id, p.code, p.reorder_point \
         HAVING COALESCE(SUM(s.on_hand - s.reserved), 0) <= p.reorder_point \
         ORDER BY p.code LIMIT {limit}",
        t = if db.get_database_backend() == sea_orm::DbBackend::Postgres { "TRUE" } else { "1" },
        f = if db.get_database_backend() == sea_orm::DbBackend::Postgres { "FALSE" } else { "0" },
    );
    let rows = db.query_all_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await?;
    let mut found = Vec::new();
    for r in rows {
        let id: i64 = r.try_get("", "id")?;
        let available: i64 = r.try_get("", "available")?;
        found.push((id, available));
    }
    let products = crate::products::products_by_id(db, &found.iter().map(|(id, _)| *id).collect::<Vec<_>>()).await?;
    Ok(found
        .into_iter()
        .filter_map(|(id, available)| {
            let p = products.get(&id)?;
            let available = Quantity(available);
            Some(LowStockView {
                product_id: id,
                code: p.code.clone(),
                name: p.name.clone(),
                unit: p.unit.clone(),
                available: available.to_string(),
                reorder_point: Quantity(p.reorder_point).to_string(),
                safety_stock: Quantity(p.safety_stock).to_string(),
                suggested_order: rules::suggested_order(available, Quantity(p.reorder_point), Quantity(p.safety_stock))
                    .to_string(),
            })
        })
        .collect())
}

// ---------------------------------------------------------------- movements

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MovementView {
    pub id: i64,
    /// `receipt`, `shipment`, `return`, `adjustment`, `transfer_out`, `transfer_in`.
    pub kind: String,
    pub product_id: i64,
    pub product_code: String,
    pub product_name: String,
    pub warehouse_id: i64,
    pub warehouse_name: String,
    /// Signed: goods in are positive, goods out negative.
    pub quantity: String,
    /// On hand in this warehouse after the movement (the running balance).
    pub balance_after: String,
    pub source_type: Option<String>,
    pub source_id: Option<i64>,
    pub reason: String,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

fn movement_view(m: stock_movement::Model, n: &Names) -> MovementView {
    let p = n.products.get(&m.product_id);
    MovementView {
        product_code: p.map(|p| p.code.clone()).unwrap_or_default(),
        product_name: p.map(|p| p.name.clone()).unwrap_or_default(),
        warehouse_name: n.warehouses.get(&m.warehouse_id).map(|w| w.name.clone()).unwrap_or_default(),
        quantity: Quantity(m.quantity).to_string(),
        balance_after: Quantity(m.balance_after).to_string(),
        id: m.id,
        kind: m.kind,
        product_id: m.product_id,
        warehouse_id: m.warehouse_id,
        source_type: m.source_type,
        source_id: m.source_id,
        reason: m.reason,
        created_by: m.created_by,
        created_at: m.created_at,
    }
}

#[derive(Debug, Clone, Default)]
pub struct MovementFilter {
    pub product_id: Option<i64>,
    pub warehouse_id: Option<i64>,
}

const MOVEMENT_SORTS: [SortField<stock_movement::Column>; 1] =
    [SortField { name: "id", column: stock_movement::Column::Id }];

/// The stock card: movements newest first (keyset pages).
pub async fn list_movements(
    store: &Store,
    actor: &Actor,
    filter: &MovementFilter,
    page: &PageRequest,
) -> StoreResult<Page<MovementView>> {
    signed_in(actor)?;
    let keyset = Keyset::parse(page, &MOVEMENT_SORTS, "-id")?;
    let mut query = stock_movement::Entity::find();
    if let Some(p) = filter.product_id {
        query = query.filter(stock_movement::Column::ProductId.eq(p));
    }
    if let Some(w) = filter.warehouse_id {
        query = query.filter(stock_movement::Column::WarehouseId.eq(w));
    }
    let rows = keyset.apply(query, stock_movement::Column::Id).all(store.reader()).await?;
    let n = names(store.reader(), rows.iter().map(|m| m.product_id).collect()).await?;
    let page = keyset.finish(rows, |m, _| (Key::Int(m.id), m.id));
    Ok(page.map(|m| movement_view(m, &n)))
}

/// What a person records by hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MovementRequest {
    /// Goods in (quantity > 0), optionally tied to a document.
    Receipt,
    /// A count correction (quantity ≠ 0, signed), with a reason.
    Adjustment,
    /// From one warehouse to another (quantity > 0): two movements, one unit.
    Transfer { to_warehouse_id: Option<i64> },
}

#[derive(Debug, Clone)]
pub struct MovementInput {
    pub request: MovementRequest,
    pub product_id: i64,
    pub warehouse_id: i64,
    /// Decimal string, up to three decimals.
    pub quantity: String,
    pub reason: String,
    pub source: Source,
}

async fn active_warehouse<C: ConnectionTrait>(conn: &C, id: i64) -> StoreResult<bool> {
    Ok(warehouse::Entity::find_by_id(id).filter(warehouse::Column::Active.eq(true)).count(conn).await? > 0)
}

/// Records a receipt, an adjustment or a transfer; answers the movements
/// written (two for a transfer: out, then in).
pub async fn record(store: &Store, actor: &Actor, input: MovementInput) -> StoreResult<Vec<MovementView>> {
    let permit = store.permit(actor, Module::Inventory, Action::Create)?;
    let mut invalid = Invalid::new();
    let quantity = match Quantity::parse(&input.quantity) {
        Ok(q) => q,
        Err(e) => {
            invalid.push(DecimalError::field(e, "quantity", 3, "-1000000000", "1000000000"));
            Quantity::ZERO
        }
    };
    let signed = matches!(input.request, MovementRequest::Adjustment);
    if invalid.is_empty() {
        if signed && quantity.0 == 0 {
            invalid.push(FieldError::new("quantity", "must_not_be_zero"));
        } else if !signed && !quantity.is_positive() {
            invalid.push(FieldError::new("quantity", "must_be_positive"));
        }
    }
    if signed {
        check_reason(&mut invalid, &input.reason);
    } else {
        invalid.optional_text("reason", input.reason.trim(), salesflow_domain::products::REASON_MAX);
    }
    let unit = permit.begin().await?;
    let product_ok = product::Entity::find_by_id(input.product_id).one(&unit).await?.is_some();
    if !product_ok {
        invalid.push(FieldError::new("product_id", "unknown_reference"));
    }
    if !active_warehouse(&unit, input.warehouse_id).await? {
        invalid.push(FieldError::new("warehouse_id", "unknown_reference"));
    }
    if let MovementRequest::Transfer { to_warehouse_id } = &input.request {
        match to_warehouse_id {
            None => invalid.push(FieldError::new("to_warehouse_id", "required")),
            Some(to) if *to == input.warehouse_id => invalid.push(FieldError::new("to_warehouse_id", "same_warehouse")),
            Some(to) if !active_warehouse(&unit, *to).await? => {
                invalid.push(FieldError::new("to_warehouse_id", "unknown_reference"))
            }
            Some(_) => {}
        }
    }
    invalid.into_result()?;
    let (p, w) = (input.product_id, input.warehouse_id);
    let written = match input.request {
        MovementRequest::Receipt => {
            vec![change_on_hand(&unit, MovementKind::Receipt, p, w, quantity, &input.source, &input.reason).await?]
        }
        MovementRequest::Adjustment => {
            vec![change_on_hand(&unit, MovementKind::Adjustment, p, w, quantity, &input.source, &input.reason).await?]
        }
        MovementRequest::Transfer { to_warehouse_id } => {
            let to = to_warehouse_id.unwrap_or(w);
            let out =
                change_on_hand(&unit, MovementKind::TransferOut, p, w, -quantity, &input.source, &input.reason).await?;
            let source = Source { document_type: Some("transfer".into()), document_id: Some(out.id) };
            let into = change_on_hand(&unit, MovementKind::TransferIn, p, to, quantity, &source, &input.reason).await?;
            vec![out, into]
        }
    };
    let n = names(&unit, vec![p]).await?;
    let views: Vec<MovementView> = written.into_iter().map(|m| movement_view(m, &n)).collect();
    let first = views.first().map(|v| v.id);
    let event = AuditEvent::new(format!("stock.{}", views[0].kind), "stock_movement", first)
        .after(&serde_json::json!({"movements": &views}));
    unit.commit(event).await?;
    Ok(views)
}

// ---------------------------------------------------------------- bulk load

/// One past movement for [`load_history`].
#[derive(Debug, Clone)]
pub struct PastMovement {
    pub at: DateTime<Utc>,
    pub kind: MovementKind,
    /// Signed.
    pub quantity: Quantity,
    pub reason: String,
}

/// Writes a product's past movements in one warehouse, oldest first, with
/// their running balance, and sets its stock row to the end balance: for
/// `salesflow demo` and `salesflow gen` on a fresh product (no audit rows,
/// like every bulk load). Movements that would take the balance below zero
/// are skipped, as the live rule would refuse them.
pub async fn load_history(
    store: &Store,
    product_id: i64,
    warehouse_id: i64,
    movements: &[PastMovement],
) -> StoreResult<Quantity> {
    let txn = store.begin().await?;
    let mut balance = stock_row(&txn, product_id, warehouse_id).await?.on_hand;
    let mut rows = Vec::with_capacity(movements.len());
    for m in movements {
        if (balance + m.quantity).0 < 0 {
            continue;
        }
        balance = balance + m.quantity;
        rows.push(stock_movement::ActiveModel {
            product_id: Set(product_id),
            warehouse_id: Set(warehouse_id),
            kind: Set(m.kind.code().to_owned()),
            quantity: Set(m.quantity.0),
            balance_after: Set(balance.0),
            source_type: Set(None),
            source_id: Set(None),
            reason: Set(m.reason.clone()),
            created_by: Set(None),
            created_at: Set(m.at),
            ..Default::default()
        });
    }
    for chunk in rows.chunks(500) {
        stock_movement::Entity::insert_many(chunk.to_vec()).exec(&txn).await?;
    }
    let now = store.now();
    stock::Entity::insert(stock::ActiveModel {
        product_id: Set(product_id),
        warehouse_id: Set(warehouse_id),
        on_hand: Set(balance.0),
        reserved: Set(0),
        version: Set(1),
        updated_at: Set(now),
    })
    .on_conflict(
        sea_orm::sea_query::OnConflict::columns([stock::Column::ProductId, stock::Column::WarehouseId])
            .update_column(stock::Column::OnHand)
            .to_owned(),
    )
    .exec(&txn)
    .await?;
    txn.commit().await?;
    Ok(balance)
}
