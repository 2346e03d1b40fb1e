//! Return orders (退货): registered against a shipped (or partly shipped)
//! sales order, then received (the goods back in stock), completed (the
//! refund settled) or cancelled. Quantities and money are decimal strings;
//! the refund is computed by the server. A return follows its customer's
//! data scope; the rights are the `orders` module's.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use salesflow_domain::returns::{ReturnAction, ReturnStatus};
use salesflow_domain::{FieldError, Invalid};
use salesflow_store::returns::{self, ReturnFilter, ReturnInput, ReturnLineInput, ReturnView};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, ApiQuery, OptionalJson, OrApi, Page, PageParams};
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::server::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_returns, create_return))
        .routes(routes!(get_return))
        .routes(routes!(receive_return))
        .routes(routes!(complete_return))
        .routes(routes!(cancel_return))
}

fn invalid(meta: &crate::auth::RequestMeta, errors: Vec<FieldError>) -> ApiError {
    ApiError::invalid(Invalid(errors)).in_locale(&meta.locale)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReturnQuery {
    /// `draft`, `received`, `completed`, `cancelled`.
    pub status: Option<String>,
    pub order_id: Option<i64>,
    pub customer_id: Option<i64>,
}

/// Returns in the caller's scope, without their lines. Sort: `-id`
/// (default), `id`, `number`, `created_at` (each also descending with `-`).
#[utoipa::path(get, path = "/returns", tag = "returns", params(ReturnQuery, PageParams),
    responses((status = 200, body = Page<ReturnView>), (status = 422, body = Problem)))]
async fn list_returns(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<ReturnQuery>,
    ApiQuery(paging): ApiQuery<PageParams>,
) -> ApiResult<Json<Page<ReturnView>>> {
    let status = match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            ReturnStatus::parse(s).ok_or_else(|| invalid(&meta, vec![FieldError::new("status", "invalid_choice")]))?,
        ),
    };
    let filter = ReturnFilter { status, order_id: q.order_id, customer_id: q.customer_id };
    Ok(Json(returns::list(&state.store, &session.actor, &filter, &paging.page()).await.api(&meta)?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnLineBody {
    /// A line of the order.
    pub order_line_id: i64,
    /// Decimal string: more than zero, at most what the line shipped less
    /// what earlier returns took.
    pub quantity: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnBody {
    /// A shipped or partly shipped order in the caller's scope.
    pub order_id: i64,
    /// The active warehouse the goods go back into.
    pub warehouse_id: i64,
    /// Why the goods come back.
    pub reason: String,
    /// At least one line.
    pub lines: Vec<ReturnLineBody>,
}

/// Registers a return (`draft`) with its number (`RT-YYYY-NNNNNN`); the
/// refund comes from the order lines' prices. 422 `more_than_returnable`
/// (with `max`) when a line asks for more than may come back.
#[utoipa::path(post, path = "/returns", tag = "returns", request_body = ReturnBody,
    responses((status = 201, body = ReturnView), (status = 422, body = Problem)))]
async fn create_return(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiJson(body): ApiJson<ReturnBody>,
) -> ApiResult<(StatusCode, Json<ReturnView>)> {
    let input = ReturnInput {
        order_id: body.order_id,
        warehouse_id: body.warehouse_id,
        reason: body.reason,
        lines: body
            .lines
            .into_iter()
            .map(|l| ReturnLineInput { order_line_id: l.order_line_id, quantity: l.quantity })
            .collect(),
    };
    let r = returns::create(&state.store, &session.actor, input).await.api(&meta)?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// A return with its lines.
#[utoipa::path(get, path = "/returns/{id}", tag = "returns", params(("id" = i64, Path)),
    responses((status = 200, body = ReturnView), (status = 404, body = Problem)))]
async fn get_return(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<ReturnView>> {
    Ok(Json(returns::get(&state.store, &session.actor, id).await.api(&meta)?))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnActionBody {
    /// The version last read; a stale one is refused (409). Optional.
    #[serde(default)]
    pub version: Option<i64>,
}

async fn act(
    state: &AppState,
    caller: ApiCaller,
    id: i64,
    action: ReturnAction,
    body: ReturnActionBody,
) -> ApiResult<Json<ReturnView>> {
    let ApiCaller(session, meta) = caller;
    Ok(Json(returns::act(&state.store, &session.actor, id, action, body.version).await.api(&meta)?))
}

/// The goods arrived: each line goes back into the return's warehouse (a
/// `return` stock movement whose source is the return); `received`.
#[utoipa::path(post, path = "/returns/{id}/receive", tag = "returns", params(("id" = i64, Path)),
    request_body(content = ReturnActionBody, description = "optional"),
    responses((status = 200, body = ReturnView), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn receive_return(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<ReturnActionBody>,
) -> ApiResult<Json<ReturnView>> {
    act(&state, caller, id, ReturnAction::Receive, body).await
}

/// The refund is settled: `completed`.
#[utoipa::path(post, path = "/returns/{id}/complete", tag = "returns", params(("id" = i64, Path)),
    request_body(content = ReturnActionBody, description = "optional"),
    responses((status = 200, body = ReturnView), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn complete_return(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<ReturnActionBody>,
) -> ApiResult<Json<ReturnView>> {
    act(&state, caller, id, ReturnAction::Complete, body).await
}

/// Cancels a draft: its quantities may be returned again.
#[utoipa::path(post, path = "/returns/{id}/cancel", tag = "returns", params(("id" = i64, Path)),
    request_body(content = ReturnActionBody, description = "optional"),
    responses((status = 200, body = ReturnView), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn cancel_return(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<ReturnActionBody>,
) -> ApiResult<Json<ReturnView>> {
    act(&state, caller, id, ReturnAction::Cancel, body).await
}
