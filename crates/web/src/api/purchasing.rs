//! Suppliers and purchase orders. Reading needs the `purchasing` module's
//! `view` right; ordering, cancelling and receiving its `edit` right.
//! Quantities and amounts are decimal strings.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use salesflow_domain::purchasing::{PurchaseAction, PurchaseStatus};
use salesflow_domain::{FieldError, Invalid};
use salesflow_store::purchasing::{
    self, DraftsFromLowStock, LineInput, PurchaseOrderFilter, PurchaseOrderInput, PurchaseOrderView, ReceiptLine,
    ReceiveInput, SupplierFilter, SupplierInput, SupplierView,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::body::MergePatch;
use super::{ApiJson, ApiQuery, OptionalJson, OrApi, Page, PageParams};
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::server::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_suppliers, create_supplier))
        .routes(routes!(get_supplier, update_supplier, delete_supplier))
        .routes(routes!(list_purchase_orders, create_purchase_order))
        .routes(routes!(drafts_from_low_stock))
        .routes(routes!(get_purchase_order, update_purchase_order, delete_purchase_order))
        .routes(routes!(order_purchase_order))
        .routes(routes!(cancel_purchase_order))
        .routes(routes!(receive_purchase_order))
}

fn invalid(meta: &crate::auth::RequestMeta, errors: Vec<FieldError>) -> ApiError {
    ApiError::invalid(Invalid(errors)).in_locale(&meta.locale)
}

// ---------------------------------------------------------------- suppliers

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SupplierQuery {
    /// Part of the name.
    pub q: Option<String>,
}

/// Suppliers by name. Sort: `name` (default) or `id`, `-` for descending.
#[utoipa::path(get, path = "/suppliers", tag = "purchasing", params(SupplierQuery, PageParams),
    responses((status = 200, body = Page<SupplierView>), (status = 422, body = Problem)))]
async fn list_suppliers(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<SupplierQuery>,
    ApiQuery(paging): ApiQuery<PageParams>,
) -> ApiResult<Json<Page<SupplierView>>> {
    let filter = SupplierFilter { q: q.q };
    Ok(Json(purchasing::list_suppliers(&state.store, &session.actor, &filter, &paging.page()).await.api(&meta)?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupplierBody {
    /// Required, at most 200 characters.
    pub name: String,
    #[serde(default)]
    pub contact: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub notes: String,
    /// Required when updating.
    pub version: Option<i64>,
}

impl SupplierBody {
    fn input(&self) -> SupplierInput {
        SupplierInput {
            name: self.name.clone(),
            contact: self.contact.clone(),
            phone: self.phone.clone(),
            email: self.email.clone(),
            address: self.address.clone(),
            notes: self.notes.clone(),
        }
    }
}

#[utoipa::path(post, path = "/suppliers", tag = "purchasing", request_body = SupplierBody,
    responses((status = 201, body = SupplierView), (status = 422, body = Problem)))]
async fn create_supplier(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiJson(body): ApiJson<SupplierBody>,
) -> ApiResult<(StatusCode, Json<SupplierView>)> {
    let s = purchasing::create_supplier(&state.store, &session.actor, body.input()).await.api(&meta)?;
    Ok((StatusCode::CREATED, Json(s)))
}

#[utoipa::path(get, path = "/suppliers/{id}", tag = "purchasing", params(("id" = i64, Path)),
    responses((status = 200, body = SupplierView), (status = 404, body = Problem)))]
async fn get_supplier(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<SupplierView>> {
    Ok(Json(purchasing::get_supplier(&state.store, &session.actor, id).await.api(&meta)?))
}

/// Changes the fields the body names (merge patch); `version` as last read.
#[utoipa::path(patch, path = "/suppliers/{id}", tag = "purchasing", params(("id" = i64, Path)),
    request_body = SupplierBody,
    responses((status = 200, body = SupplierView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn update_supplier(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    patch: MergePatch,
) -> ApiResult<Json<SupplierView>> {
    let s = purchasing::get_supplier(&state.store, &session.actor, id).await.api(&meta)?;
    let base = serde_json::json!({"name": s.name, "contact": s.contact, "phone": s.phone, "email": s.email,
        "address": s.address, "notes": s.notes});
    let body: SupplierBody = patch.apply(base, &meta.locale)?;
    let version = body.version.ok_or_else(|| invalid(&meta, vec![FieldError::new("version", "required")]))?;
    Ok(Json(purchasing::update_supplier(&state.store, &session.actor, id, version, body.input()).await.api(&meta)?))
}

/// Deletes a supplier no purchase order names (else 422 with the count).
#[utoipa::path(delete, path = "/suppliers/{id}", tag = "purchasing", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn delete_supplier(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    purchasing::delete_supplier(&state.store, &session.actor, id).await.api(&meta)?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------- purchase orders

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PurchaseOrderQuery {
    pub supplier_id: Option<i64>,
    /// `draft`, `ordered`, `partially_received`, `received` or `cancelled`.
    pub status: Option<String>,
}

/// Purchase orders, newest first, without their lines. Sort: `-id`
/// (default) or `id`.
#[utoipa::path(get, path = "/purchase-orders", tag = "purchasing", params(PurchaseOrderQuery, PageParams),
    responses((status = 200, body = Page<PurchaseOrderView>), (status = 422, body = Problem)))]
async fn list_purchase_orders(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<PurchaseOrderQuery>,
    ApiQuery(paging): ApiQuery<PageParams>,
) -> ApiResult<Json<Page<PurchaseOrderView>>> {
    let status = match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(code) => Some(
            PurchaseStatus::parse(code)
                .ok_or_else(|| invalid(&meta, vec![FieldError::new("status", "invalid_choice")]))?,
        ),
    };
    let filter = PurchaseOrderFilter { supplier_id: q.supplier_id, status };
    let page = purchasing::list_purchase_orders(&state.store, &session.actor, &filter, &paging.page()).await;
    Ok(Json(page.api(&meta)?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseLineBody {
    pub product_id: i64,
    /// Decimal string > 0, up to three decimals.
    pub quantity: String,
    /// Decimal string ≥ 0, two decimals at most (without tax).
    pub unit_cost: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseOrderBody {
    pub supplier_id: i64,
    /// `YYYY-MM-DD`.
    pub expected_date: Option<String>,
    #[serde(default)]
    pub notes: String,
    /// At least one, at most 200.
    pub lines: Vec<PurchaseLineBody>,
    /// Required when updating.
    pub version: Option<i64>,
}

impl PurchaseOrderBody {
    fn input(&self) -> PurchaseOrderInput {
        PurchaseOrderInput {
            supplier_id: self.supplier_id,
            expected_date: self.expected_date.clone().unwrap_or_default(),
            notes: self.notes.clone(),
            lines: self
                .lines
                .iter()
                .map(|l| LineInput {
                    product_id: l.product_id,
                    quantity: l.quantity.clone(),
                    unit_cost: l.unit_cost.clone(),
                })
                .collect(),
        }
    }
}

/// A new draft purchase order, numbered `PO-YYYY-NNNNNN`.
#[utoipa::path(post, path = "/purchase-orders", tag = "purchasing", request_body = PurchaseOrderBody,
    responses((status = 201, body = PurchaseOrderView), (status = 422, body = Problem)))]
async fn create_purchase_order(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiJson(body): ApiJson<PurchaseOrderBody>,
) -> ApiResult<(StatusCode, Json<PurchaseOrderView>)> {
    let o = purchasing::create_purchase_order(&state.store, &session.actor, body.input()).await.api(&meta)?;
    Ok((StatusCode::CREATED, Json(o)))
}

/// Drafts purchase orders for the products running low: one draft per
/// default supplier; products without one, or already on order, skipped.
#[utoipa::path(post, path = "/purchase-orders/from-low-stock", tag = "purchasing",
    responses((status = 201, body = DraftsFromLowStock)))]
async fn drafts_from_low_stock(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
) -> ApiResult<(StatusCode, Json<DraftsFromLowStock>)> {
    let drafts = purchasing::drafts_from_low_stock(&state.store, &session.actor).await.api(&meta)?;
    Ok((StatusCode::CREATED, Json(drafts)))
}

#[utoipa::path(get, path = "/purchase-orders/{id}", tag = "purchasing", params(("id" = i64, Path)),
    responses((status = 200, body = PurchaseOrderView), (status = 404, body = Problem)))]
async fn get_purchase_order(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<PurchaseOrderView>> {
    Ok(Json(purchasing::get_purchase_order(&state.store, &session.actor, id).await.api(&meta)?))
}

/// Changes a draft (merge patch; `lines`, when given, replace all lines);
/// `version` as last read. Not a draft: 409.
#[utoipa::path(patch, path = "/purchase-orders/{id}", tag = "purchasing", params(("id" = i64, Path)),
    request_body = PurchaseOrderBody,
    responses((status = 200, body = PurchaseOrderView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn update_purchase_order(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    patch: MergePatch,
) -> ApiResult<Json<PurchaseOrderView>> {
    let o = purchasing::get_purchase_order(&state.store, &session.actor, id).await.api(&meta)?;
    let lines: Vec<serde_json::Value> = o
        .lines
        .iter()
        .map(|l| serde_json::json!({"product_id": l.product_id, "quantity": l.quantity, "unit_cost": l.unit_cost}))
        .collect();
    let base = serde_json::json!({"supplier_id": o.supplier_id, "expected_date": o.expected_date,
        "notes": o.notes, "lines": lines});
    let body: PurchaseOrderBody = patch.apply(base, &meta.locale)?;
    let version = body.version.ok_or_else(|| invalid(&meta, vec![FieldError::new("version", "required")]))?;
    let o = purchasing::update_purchase_order(&state.store, &session.actor, id, version, body.input()).await;
    Ok(Json(o.api(&meta)?))
}

/// Deletes a draft (an ordered one is cancelled instead: 409).
#[utoipa::path(delete, path = "/purchase-orders/{id}", tag = "purchasing", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn delete_purchase_order(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    purchasing::delete_purchase_order(&state.store, &session.actor, id).await.api(&meta)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseActionBody {
    /// When given, must be the order's current version (else 409).
    pub version: Option<i64>,
}

async fn act(
    state: &AppState,
    session: &crate::auth::Session,
    meta: &crate::auth::RequestMeta,
    id: i64,
    action: PurchaseAction,
    body: PurchaseActionBody,
) -> ApiResult<Json<PurchaseOrderView>> {
    let version = body.version;
    let o = purchasing::change_purchase_order(&state.store, &session.actor, id, action, version).await;
    Ok(Json(o.api(meta)?))
}

/// Orders a draft (sent to the supplier; its lines become final).
#[utoipa::path(post, path = "/purchase-orders/{id}/order", tag = "purchasing", params(("id" = i64, Path)),
    request_body(content = PurchaseActionBody, description = "optional"),
    responses((status = 200, body = PurchaseOrderView), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn order_purchase_order(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<PurchaseActionBody>,
) -> ApiResult<Json<PurchaseOrderView>> {
    act(&state, &session, &meta, id, PurchaseAction::Order, body).await
}

/// Cancels a draft or an ordered purchase order nothing has arrived against.
#[utoipa::path(post, path = "/purchase-orders/{id}/cancel", tag = "purchasing", params(("id" = i64, Path)),
    request_body(content = PurchaseActionBody, description = "optional"),
    responses((status = 200, body = PurchaseOrderView), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn cancel_purchase_order(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<PurchaseActionBody>,
) -> ApiResult<Json<PurchaseOrderView>> {
    act(&state, &session, &meta, id, PurchaseAction::Cancel, body).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptLineBody {
    /// The purchase order line's id.
    pub line_id: i64,
    /// Decimal string > 0, at most what is outstanding on the line.
    pub quantity: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiveBody {
    /// Active warehouse the goods go into.
    pub warehouse_id: i64,
    pub lines: Vec<ReceiptLineBody>,
}

/// Receives goods (some lines, part of a line, or all): each a `receipt`
/// stock movement whose source is the order. More than is outstanding on
/// a line: 422 `exceeds_outstanding` naming what is, nothing changed. Not
/// ordered (draft, received, cancelled): 409.
#[utoipa::path(post, path = "/purchase-orders/{id}/receive", tag = "purchasing", params(("id" = i64, Path)),
    request_body = ReceiveBody,
    responses((status = 200, body = PurchaseOrderView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn receive_purchase_order(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<ReceiveBody>,
) -> ApiResult<Json<PurchaseOrderView>> {
    let input = ReceiveInput {
        warehouse_id: body.warehouse_id,
        lines: body.lines.into_iter().map(|l| ReceiptLine { line_id: l.line_id, quantity: l.quantity }).collect(),
    };
    Ok(Json(purchasing::receive(&state.store, &session.actor, id, input).await.api(&meta)?))
}
