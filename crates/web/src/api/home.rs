//! The home page's figures (工作台): the caller's day, or the team's.

use axum::Json;
use axum::extract::State;
use salesflow_store::home::{self, Home};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::OrApi;
use crate::auth::ApiCaller;
use crate::error::{ApiResult, Problem};
use crate::server::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_home))
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
