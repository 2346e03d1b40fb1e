//! The home page's figures (工作台): the caller's day, or the team's.

use axum::Json;
use axum::extract::State;
use salesflow_store::home::{self, Home, WarehouseHome};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::OrApi;
use crate::auth::ApiCaller;
use crate::error::{ApiResult, Problem};
use crate::server::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_home)).routes(routes!(get_warehouse_home))
}

/// What the home page shows: for a salesperson (data scope `own`) their
/// overdue and today's tasks, follow-ups, planned visits, open pipeline by
/// stage, stalled deals and deals closing this month; for a manager the
/// same over their data scope with a row per person (`scope` = `team`);
/// for administrators also the outbox and imports (`health`).
#[utoipa::path(get, path = "/home", tag = "home",
    responses((status = 200, body = Home), (status = 401, body = Problem)))]
async fn get_home(State(state): State<AppState>, ApiCaller(session, meta): ApiCaller) -> ApiResult<Json<Home>> {
    Ok(Json(home::home(&state.store, &session.actor).await.api(&meta)?))
}

/// The warehouse's home: orders to ship (approved or partly shipped, the
/// oldest first; `late` of them past their delivery date), products at or
/// below their reorder point, and purchase orders still to arrive.
#[utoipa::path(get, path = "/home/warehouse", tag = "home",
    responses((status = 200, body = WarehouseHome), (status = 401, body = Problem)))]
async fn get_warehouse_home(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
) -> ApiResult<Json<WarehouseHome>> {
    Ok(Json(home::warehouse(&state.store, &session.actor).await.api(&meta)?))
}
