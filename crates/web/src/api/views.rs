//! Saved views and column choices: personal list settings.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use salesflow_store::saved_views::{self as views, SavedView};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, ApiQuery, OrApi};
use crate::auth::ApiCaller;
use crate::error::{ApiResult, Problem};
use crate::server::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_views, save_view))
        .routes(routes!(delete_view))
        .routes(routes!(get_columns, set_columns))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ViewQuery {
    /// `customers`, `contacts`, `activities`, `leads` or `tasks`.
    pub list: String,
}

/// The caller's saved views of a list, by name.
#[utoipa::path(get, path = "/saved-views", tag = "views", params(ViewQuery),
    responses((status = 200, body = Vec<SavedView>), (status = 422, body = Problem)))]
async fn list_views(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<ViewQuery>,
) -> ApiResult<Json<Vec<SavedView>>> {
    Ok(Json(views::list_views(&state.store, &session.actor, &q.list).await.api(&meta)?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ViewBody {
    pub list: String,
    /// At most 60 characters; saving under an existing name replaces it.
    pub name: String,
    /// The list's filters as a query string, e.g. `grade=A&province=上海`.
    pub query: String,
}

#[utoipa::path(post, path = "/saved-views", tag = "views", request_body = ViewBody,
    responses((status = 201, body = SavedView), (status = 422, body = Problem)))]
async fn save_view(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiJson(body): ApiJson<ViewBody>,
) -> ApiResult<(StatusCode, Json<SavedView>)> {
    let v = views::save_view(&state.store, &session.actor, &body.list, &body.name, &body.query).await.api(&meta)?;
    Ok((StatusCode::CREATED, Json(v)))
}

#[utoipa::path(delete, path = "/saved-views/{id}", tag = "views", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn delete_view(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    views::delete_view(&state.store, &session.actor, id).await.api(&meta)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    /// Column codes in order; empty: the list's default columns.
    pub columns: Vec<String>,
}

/// The columns the caller chose for a list (empty: the default ones).
#[utoipa::path(get, path = "/list-columns/{list}", tag = "views", params(("list" = String, Path)),
    responses((status = 200, body = Columns)))]
async fn get_columns(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(list): Path<String>,
) -> ApiResult<Json<Columns>> {
    let columns = views::columns(&state.store, &session.actor, &list).await.api(&meta)?.unwrap_or_default();
    Ok(Json(Columns { columns }))
}

#[utoipa::path(put, path = "/list-columns/{list}", tag = "views", params(("list" = String, Path)), request_body = Columns,
    responses((status = 200, body = Columns), (status = 422, body = Problem)))]
async fn set_columns(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(list): Path<String>,
    ApiJson(body): ApiJson<Columns>,
) -> ApiResult<Json<Columns>> {
    let allowed = crate::list_columns::allowed(&list);
    views::set_columns(&state.store, &session.actor, &list, &body.columns, allowed).await.api(&meta)?;
    Ok(Json(body))
}
