//! Sales orders (销售订单): drafts, their lines and totals, and the life
//! cycle (`submit`, `approve`, `reject`, `ship`, `complete`, `cancel`).
//! Amounts, quantities and percents are decimal strings. An order follows
//! its customer's data scope; the approvers of its pending step read it too.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use salesflow_domain::orders::OrderStatus;
use salesflow_domain::{FieldError, Invalid};
use salesflow_store::orders::{self, LineInput, OrderFilter, OrderInput, OrderSummary, OrderView, ShipInput, ShipLine};
use serde::{Deserialize, Serialize};
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
        .routes(routes!(list_orders, create_order))
        .routes(routes!(get_order, update_order))
        .routes(routes!(submit_order))
        .routes(routes!(approve_order))
        .routes(routes!(reject_order))
        .routes(routes!(ship_order))
        .routes(routes!(complete_order))
        .routes(routes!(cancel_order))
}

fn invalid(meta: &crate::auth::RequestMeta, errors: Vec<FieldError>) -> ApiError {
    ApiError::invalid(Invalid(errors)).in_locale(&meta.locale)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderQuery {
    /// `draft`, `submitted`, `approved`, `partially_shipped`, `shipped`,
    /// `completed`, `rejected`, `cancelled`.
    pub status: Option<String>,
    pub customer_id: Option<i64>,
    pub opportunity_id: Option<i64>,
    /// `true`: approved or partly shipped orders (what is still to ship).
    #[serde(default)]
    pub to_ship: bool,
    /// By money: `owing` (still owes something), `overdue` (an instalment
    /// past due), `paid` (paid in full), `uninvoiced` (not invoiced in full).
    pub collection: Option<String>,
}

/// Orders in the caller's scope. Sort: `-id` (default), `id`, `number`,
/// `created_at` (each also descending with `-`).
#[utoipa::path(get, path = "/orders", tag = "orders", params(OrderQuery, PageParams),
    responses((status = 200, body = Page<OrderSummary>), (status = 422, body = Problem)))]
async fn list_orders(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<OrderQuery>,
    ApiQuery(paging): ApiQuery<PageParams>,
) -> ApiResult<Json<Page<OrderSummary>>> {
    let status = match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            OrderStatus::parse(s).ok_or_else(|| invalid(&meta, vec![FieldError::new("status", "invalid_choice")]))?,
        ),
    };
    let collection = match q.collection.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(c) => Some(
            salesflow_store::finance::Collection::parse(c)
                .ok_or_else(|| invalid(&meta, vec![FieldError::new("collection", "invalid_choice")]))?,
        ),
    };
    let filter = OrderFilter {
        status,
        customer_id: q.customer_id,
        opportunity_id: q.opportunity_id,
        to_ship: q.to_ship,
        collection,
        ..Default::default()
    };
    Ok(Json(orders::list(&state.store, &session.actor, &filter, &paging.page()).await.api(&meta)?.into()))
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SalesOrderLineBody {
    pub product_id: i64,
    /// Default: the order's warehouse (else the first active one on approval).
    #[serde(default)]
    pub warehouse_id: Option<i64>,
    /// Decimal string, more than zero, up to three decimals.
    pub quantity: String,
    /// Decimal string, not negative; default: the price that applies to
    /// the customer today.
    #[serde(default)]
    pub unit_price: Option<String>,
    /// Percent 0–100; default 0.
    #[serde(default)]
    pub discount_percent: Option<String>,
    /// Percent 0–100; default: the product's tax rate.
    #[serde(default)]
    pub tax_rate: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SalesOrderBody {
    /// A customer owned by someone in the caller's scope.
    pub customer_id: i64,
    /// One of the customer's contacts.
    #[serde(default)]
    pub contact_id: Option<i64>,
    /// One of the customer's deals.
    #[serde(default)]
    pub opportunity_id: Option<i64>,
    /// The default warehouse of the lines.
    #[serde(default)]
    pub warehouse_id: Option<i64>,
    #[serde(default)]
    pub delivery_address: String,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub delivery_date: Option<String>,
    #[serde(default)]
    pub notes: String,
    /// At least one line.
    pub lines: Vec<SalesOrderLineBody>,
    /// Required when updating.
    #[serde(default)]
    pub version: Option<i64>,
}

impl SalesOrderBody {
    fn input(&self, meta: &crate::auth::RequestMeta) -> ApiResult<OrderInput> {
        let delivery_date = match self.delivery_date.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(
                salesflow_domain::time::parse_day(s)
                    .ok_or_else(|| invalid(meta, vec![FieldError::new("delivery_date", "invalid_date")]))?,
            ),
        };
        Ok(OrderInput {
            customer_id: self.customer_id,
            contact_id: self.contact_id,
            opportunity_id: self.opportunity_id,
            warehouse_id: self.warehouse_id,
            delivery_address: self.delivery_address.clone(),
            delivery_date,
            notes: self.notes.clone(),
            lines: self
                .lines
                .iter()
                .map(|l| LineInput {
                    product_id: l.product_id,
                    warehouse_id: l.warehouse_id,
                    quantity: l.quantity.clone(),
                    unit_price: l.unit_price.clone(),
                    discount_percent: l.discount_percent.clone(),
                    tax_rate: l.tax_rate.clone(),
                })
                .collect(),
        })
    }
}

/// Creates a draft with its number (`SO-YYYY-NNNNNN`); totals from the lines.
#[utoipa::path(post, path = "/orders", tag = "orders", request_body = SalesOrderBody,
    responses((status = 201, body = OrderView), (status = 422, body = Problem)))]
async fn create_order(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiJson(body): ApiJson<SalesOrderBody>,
) -> ApiResult<(StatusCode, Json<OrderView>)> {
    let input = body.input(&meta)?;
    let o = orders::create(&state.store, &session.actor, input).await.api(&meta)?;
    Ok((StatusCode::CREATED, Json(o)))
}

/// An order with its lines, shipments and approval history.
#[utoipa::path(get, path = "/orders/{id}", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = OrderView), (status = 404, body = Problem)))]
async fn get_order(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(orders::get(&state.store, &session.actor, id).await.api(&meta)?))
}

/// Changes a draft or rejected order (merge patch; `lines` replaces all
/// lines); `version` as last read.
#[utoipa::path(patch, path = "/orders/{id}", tag = "orders", params(("id" = i64, Path)), request_body = SalesOrderBody,
    responses((status = 200, body = OrderView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn update_order(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    patch: MergePatch,
) -> ApiResult<Json<OrderView>> {
    let o = orders::get(&state.store, &session.actor, id).await.api(&meta)?;
    let lines: Vec<SalesOrderLineBody> = o
        .lines
        .iter()
        .map(|l| SalesOrderLineBody {
            product_id: l.product_id,
            warehouse_id: l.warehouse_id,
            quantity: l.quantity.clone(),
            unit_price: Some(l.unit_price.clone()),
            discount_percent: Some(l.discount_percent.clone()),
            tax_rate: Some(l.tax_rate.clone()),
        })
        .collect();
    let base = serde_json::json!({
        "customer_id": o.customer_id, "contact_id": o.contact_id, "opportunity_id": o.opportunity_id,
        "warehouse_id": o.warehouse_id, "delivery_address": o.delivery_address,
        "delivery_date": o.delivery_date.map(|d| d.to_string()), "notes": o.notes, "lines": lines,
    });
    let body: SalesOrderBody = patch.apply(base, &meta.locale)?;
    let version = body.version.ok_or_else(|| invalid(&meta, vec![FieldError::new("version", "required")]))?;
    let input = body.input(&meta)?;
    Ok(Json(orders::update(&state.store, &session.actor, id, version, input).await.api(&meta)?))
}

/// Submits a draft (or a rejected order again). The approval rules decide:
/// `submitted` (waiting for its approvers) or `approved` at once, with its
/// stock reserved (422 `insufficient_stock` per line, nothing changed).
#[utoipa::path(post, path = "/orders/{id}/submit", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = OrderView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn submit_order(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(orders::submit(&state.store, &session.actor, id).await.api(&meta)?))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// Required to reject.
    #[serde(default)]
    pub comment: Option<String>,
}

/// Approves the current approval step, as its approver (403 otherwise;
/// 422 `own_document` for the requester). The last step approves the
/// order and reserves its stock (422 `insufficient_stock`, nothing changed).
#[utoipa::path(post, path = "/orders/{id}/approve", tag = "orders", params(("id" = i64, Path)),
    request_body(content = DecisionBody, description = "optional"),
    responses((status = 200, body = OrderView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn approve_order(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<DecisionBody>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(orders::approve(&state.store, &session.actor, id, body.comment.as_deref()).await.api(&meta)?))
}

/// Rejects the order at its current step (a comment is required); it goes
/// back to its requester to be reworked and submitted again.
#[utoipa::path(post, path = "/orders/{id}/reject", tag = "orders", params(("id" = i64, Path)),
    request_body(content = DecisionBody, description = "optional; `comment` is required to reject"),
    responses((status = 200, body = OrderView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn reject_order(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<DecisionBody>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(orders::reject(&state.store, &session.actor, id, body.comment.as_deref()).await.api(&meta)?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipLineBody {
    pub order_line_id: i64,
    /// Decimal string: more than zero, at most what is left of the line.
    pub quantity: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipBody {
    pub carrier: String,
    #[serde(default)]
    pub tracking_number: String,
    pub lines: Vec<ShipLineBody>,
}

/// Ships part or all of what is left (the goods leave stock, consuming
/// the reservation): `partially_shipped`, or `shipped` when every line is.
#[utoipa::path(post, path = "/orders/{id}/ship", tag = "orders", params(("id" = i64, Path)), request_body = ShipBody,
    responses((status = 200, body = OrderView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn ship_order(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<ShipBody>,
) -> ApiResult<Json<OrderView>> {
    let input = ShipInput {
        carrier: body.carrier,
        tracking_number: body.tracking_number,
        lines: body
            .lines
            .into_iter()
            .map(|l| ShipLine { order_line_id: l.order_line_id, quantity: l.quantity })
            .collect(),
    };
    Ok(Json(orders::ship(&state.store, &session.actor, id, input).await.api(&meta)?))
}

/// Completes a shipped order.
#[utoipa::path(post, path = "/orders/{id}/complete", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = OrderView), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn complete_order(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(orders::complete(&state.store, &session.actor, id).await.api(&meta)?))
}

/// Cancels an order before anything shipped: reservations are released,
/// a pending approval withdrawn.
#[utoipa::path(post, path = "/orders/{id}/cancel", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = OrderView), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn cancel_order(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(orders::cancel(&state.store, &session.actor, id).await.api(&meta)?))
}
