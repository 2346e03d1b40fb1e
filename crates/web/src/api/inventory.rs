//! Warehouses, stock and stock movements. Everyone signed in reads them;
//! recording movements and changing warehouses needs the `inventory`
//! module. Quantities are decimal strings (up to three decimals).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use salesflow_domain::{FieldError, Invalid};
use salesflow_store::inventory::{
    self, LowStockView, MovementFilter, MovementInput, MovementRequest, MovementView, Source, StockFilter, StockView,
    WarehouseInput, WarehouseView,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::body::MergePatch;
use super::{ApiJson, ApiQuery, OrApi, Page, PageParams};
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::server::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_warehouses, create_warehouse))
        .routes(routes!(get_warehouse, update_warehouse, delete_warehouse))
        .routes(routes!(list_stock))
        .routes(routes!(low_stock))
        .routes(routes!(list_movements, create_movement))
}

fn invalid(meta: &crate::auth::RequestMeta, errors: Vec<FieldError>) -> ApiError {
    ApiError::invalid(Invalid(errors)).in_locale(&meta.locale)
}

// ---------------------------------------------------------------- warehouses

#[derive(Debug, Serialize, ToSchema)]
pub struct WarehouseList {
    /// Every warehouse, by code.
    pub items: Vec<WarehouseView>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WarehouseBody {
    /// Unique, no spaces, at most 30 characters.
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub address: String,
    /// Default `true`; movements need an active warehouse.
    #[serde(default = "yes")]
    pub active: bool,
    /// Required when updating.
    pub version: Option<i64>,
}

fn yes() -> bool {
    true
}

impl WarehouseBody {
    fn input(&self) -> WarehouseInput {
        WarehouseInput {
            code: self.code.clone(),
            name: self.name.clone(),
            address: self.address.clone(),
            active: self.active,
        }
    }
}

#[utoipa::path(get, path = "/warehouses", tag = "inventory", responses((status = 200, body = WarehouseList)))]
async fn list_warehouses(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
) -> ApiResult<Json<WarehouseList>> {
    Ok(Json(WarehouseList { items: inventory::list_warehouses(&state.store, &session.actor).await.api(&meta)? }))
}

#[utoipa::path(post, path = "/warehouses", tag = "inventory", request_body = WarehouseBody,
    responses((status = 201, body = WarehouseView), (status = 422, body = Problem)))]
async fn create_warehouse(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiJson(body): ApiJson<WarehouseBody>,
) -> ApiResult<(StatusCode, Json<WarehouseView>)> {
    let w = inventory::create_warehouse(&state.store, &session.actor, body.input()).await.api(&meta)?;
    Ok((StatusCode::CREATED, Json(w)))
}

#[utoipa::path(get, path = "/warehouses/{id}", tag = "inventory", params(("id" = i64, Path)),
    responses((status = 200, body = WarehouseView), (status = 404, body = Problem)))]
async fn get_warehouse(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<WarehouseView>> {
    Ok(Json(inventory::get_warehouse(&state.store, &session.actor, id).await.api(&meta)?))
}

/// Changes the fields the body names (merge patch); `version` as last read.
#[utoipa::path(patch, path = "/warehouses/{id}", tag = "inventory", params(("id" = i64, Path)),
    request_body = WarehouseBody,
    responses((status = 200, body = WarehouseView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn update_warehouse(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    patch: MergePatch,
) -> ApiResult<Json<WarehouseView>> {
    let w = inventory::get_warehouse(&state.store, &session.actor, id).await.api(&meta)?;
    let base = serde_json::json!({"code": w.code, "name": w.name, "address": w.address, "active": w.active});
    let body: WarehouseBody = patch.apply(base, &meta.locale)?;
    let version = body.version.ok_or_else(|| invalid(&meta, vec![FieldError::new("version", "required")]))?;
    Ok(Json(inventory::update_warehouse(&state.store, &session.actor, id, version, body.input()).await.api(&meta)?))
}

/// Deletes a warehouse no stock movement names (else 422 with the reason).
#[utoipa::path(delete, path = "/warehouses/{id}", tag = "inventory", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn delete_warehouse(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    inventory::delete_warehouse(&state.store, &session.actor, id).await.api(&meta)?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------- stock

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StockQuery {
    pub product_id: Option<i64>,
    pub warehouse_id: Option<i64>,
}

/// Stock per product and warehouse: on hand, reserved, available. Sort:
/// `product_id` (then warehouse).
#[utoipa::path(get, path = "/stock", tag = "inventory", params(StockQuery, PageParams),
    responses((status = 200, body = Page<StockView>), (status = 422, body = Problem)))]
async fn list_stock(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<StockQuery>,
    ApiQuery(paging): ApiQuery<PageParams>,
) -> ApiResult<Json<Page<StockView>>> {
    let filter = StockFilter { product_id: q.product_id, warehouse_id: q.warehouse_id };
    Ok(Json(inventory::list_stock(&state.store, &session.actor, &filter, &paging.page()).await.api(&meta)?.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LowStockList {
    /// By code, at most 500.
    pub items: Vec<LowStockView>,
}

/// Active products whose available quantity over all warehouses is at or
/// under their reorder point, with the quantity to order.
#[utoipa::path(get, path = "/stock/low", tag = "inventory", responses((status = 200, body = LowStockList)))]
async fn low_stock(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
) -> ApiResult<Json<LowStockList>> {
    Ok(Json(LowStockList { items: inventory::low_stock(&state.store, &session.actor, 500).await.api(&meta)? }))
}

// ---------------------------------------------------------------- movements

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MovementQuery {
    pub product_id: Option<i64>,
    pub warehouse_id: Option<i64>,
}

/// The stock card: movements newest first, each with the warehouse's
/// balance after it. Sort: `-id` (default) or `id`.
#[utoipa::path(get, path = "/stock-movements", tag = "inventory", params(MovementQuery, PageParams),
    responses((status = 200, body = Page<MovementView>), (status = 422, body = Problem)))]
async fn list_movements(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<MovementQuery>,
    ApiQuery(paging): ApiQuery<PageParams>,
) -> ApiResult<Json<Page<MovementView>>> {
    let filter = MovementFilter { product_id: q.product_id, warehouse_id: q.warehouse_id };
    Ok(Json(inventory::list_movements(&state.store, &session.actor, &filter, &paging.page()).await.api(&meta)?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MovementBody {
    /// `receipt` (goods in), `adjustment` (a count correction, signed, with
    /// a reason) or `transfer` (to `to_warehouse_id`).
    pub kind: String,
    pub product_id: i64,
    pub warehouse_id: i64,
    /// Transfers only: the receiving warehouse.
    pub to_warehouse_id: Option<i64>,
    /// Decimal string: > 0 for receipts and transfers; ≠ 0 for adjustments
    /// (negative takes goods out).
    pub quantity: String,
    /// Required for adjustments.
    #[serde(default)]
    pub reason: String,
    /// Receipts: the document the goods came with (e.g. `purchase_order`).
    pub source_type: Option<String>,
    pub source_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MovementsWritten {
    /// One movement; two for a transfer (out, then in).
    pub items: Vec<MovementView>,
}

/// Records a receipt, an adjustment or a transfer. Refused (422,
/// `insufficient_stock` naming the available quantity) when it would take
/// available stock below zero, unless the company allows negative stock.
#[utoipa::path(post, path = "/stock-movements", tag = "inventory", request_body = MovementBody,
    responses((status = 201, body = MovementsWritten), (status = 422, body = Problem)))]
async fn create_movement(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiJson(body): ApiJson<MovementBody>,
) -> ApiResult<(StatusCode, Json<MovementsWritten>)> {
    let request = match body.kind.trim() {
        "receipt" => MovementRequest::Receipt,
        "adjustment" => MovementRequest::Adjustment,
        "transfer" => MovementRequest::Transfer { to_warehouse_id: body.to_warehouse_id },
        _ => return Err(invalid(&meta, vec![FieldError::new("kind", "invalid_choice")])),
    };
    let source_type = body.source_type.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    if source_type.as_ref().is_some_and(|s| s.chars().count() > 50) {
        return Err(invalid(&meta, vec![FieldError::new("source_type", "too_long").with("max", 50)]));
    }
    let input = MovementInput {
        request,
        product_id: body.product_id,
        warehouse_id: body.warehouse_id,
        quantity: body.quantity,
        reason: body.reason,
        source: Source { document_type: source_type, document_id: body.source_id },
    };
    let items = inventory::record(&state.store, &session.actor, input).await.api(&meta)?;
    Ok((StatusCode::CREATED, Json(MovementsWritten { items })))
}
