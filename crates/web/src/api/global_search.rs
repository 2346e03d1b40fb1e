//! The top bar's search over customers, contacts, leads and deals.

use axum::Json;
use axum::extract::State;
use salesflow_store::global_search::{self, SearchResults};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiQuery, OrApi};
use crate::auth::ApiCaller;
use crate::error::{ApiResult, Problem};
use crate::server::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(search))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// What to look for: part of a name (two Chinese characters are
    /// enough), a phone number or an e-mail address.
    pub q: String,
    /// Records of each kind, 1–20 (default 5).
    pub limit: Option<u64>,
}

/// Customers (also found through a contact's name or phone), contacts,
/// leads and deals matching `q`, the first few of each, in the caller's
/// rights and data scope.
#[utoipa::path(get, path = "/search", tag = "search", params(SearchQuery),
    responses((status = 200, body = SearchResults), (status = 401, body = Problem), (status = 422, body = Problem)))]
async fn search(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> ApiResult<Json<SearchResults>> {
    let limit = q.limit.unwrap_or(5);
    Ok(Json(global_search::search_everything(&state.store, &session.actor, &q.q, limit).await.api(&meta)?))
}
