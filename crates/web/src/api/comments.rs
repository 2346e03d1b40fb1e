//! Comments with @mentions on customers and deals.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use salesflow_domain::Invalid;
use salesflow_domain::comments::Subject;
use salesflow_store::comments::{self, CommentView};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::body::MergePatch;
use super::{ApiJson, ApiQuery, OrApi, Page, PageParams};
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::server::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_customer_comments, create_customer_comment))
        .routes(routes!(list_opportunity_comments, create_opportunity_comment))
        .routes(routes!(update_comment, delete_comment))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    /// At most 2,000 characters. `@` followed by the name of someone the
    /// caller may mention (people of their data scope and their
    /// department's manager) mentions and notifies them.
    pub body: String,
    /// Required when changing.
    pub version: Option<i64>,
}

async fn list(
    state: AppState,
    caller: ApiCaller,
    kind: Subject,
    id: i64,
    paging: PageParams,
) -> ApiResult<Json<Page<CommentView>>> {
    let ApiCaller(session, meta) = caller;
    Ok(Json(comments::list(&state.store, &session.actor, kind, id, &paging.page()).await.api(&meta)?.into()))
}

async fn create(
    state: AppState,
    caller: ApiCaller,
    kind: Subject,
    id: i64,
    body: CommentBody,
) -> ApiResult<(StatusCode, Json<CommentView>)> {
    let ApiCaller(session, meta) = caller;
    let c = comments::create(&state.store, &session.actor, kind, id, &body.body).await.api(&meta)?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// A customer's comments, newest first.
#[utoipa::path(get, path = "/customers/{id}/comments", tag = "comments", params(("id" = i64, Path), PageParams),
    responses((status = 200, body = Page<CommentView>), (status = 404, body = Problem)))]
async fn list_customer_comments(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    ApiQuery(paging): ApiQuery<PageParams>,
) -> ApiResult<Json<Page<CommentView>>> {
    list(state, caller, Subject::Customer, id, paging).await
}

/// Comments on a customer the caller can see; mentions notify.
#[utoipa::path(post, path = "/customers/{id}/comments", tag = "comments", params(("id" = i64, Path)),
    request_body = CommentBody,
    responses((status = 201, body = CommentView), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn create_customer_comment(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<CommentBody>,
) -> ApiResult<(StatusCode, Json<CommentView>)> {
    create(state, caller, Subject::Customer, id, body).await
}

/// A deal's comments, newest first.
#[utoipa::path(get, path = "/opportunities/{id}/comments", tag = "comments", params(("id" = i64, Path), PageParams),
    responses((status = 200, body = Page<CommentView>), (status = 404, body = Problem)))]
async fn list_opportunity_comments(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    ApiQuery(paging): ApiQuery<PageParams>,
) -> ApiResult<Json<Page<CommentView>>> {
    list(state, caller, Subject::Opportunity, id, paging).await
}

/// Comments on a deal the caller can see; mentions notify.
#[utoipa::path(post, path = "/opportunities/{id}/comments", tag = "comments", params(("id" = i64, Path)),
    request_body = CommentBody,
    responses((status = 201, body = CommentView), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn create_opportunity_comment(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<CommentBody>,
) -> ApiResult<(StatusCode, Json<CommentView>)> {
    create(state, caller, Subject::Opportunity, id, body).await
}

/// Changes one's own comment (`version` as last read); people it newly
/// mentions are notified.
#[utoipa::path(patch, path = "/comments/{id}", tag = "comments", params(("id" = i64, Path)), request_body = CommentBody,
    responses((status = 200, body = CommentView), (status = 403, body = Problem), (status = 409, body = Problem),
    (status = 422, body = Problem)))]
async fn update_comment(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    patch: MergePatch,
) -> ApiResult<Json<CommentView>> {
    let current = comments::get(&state.store, &session.actor, id).await.api(&meta)?;
    let body: CommentBody = patch.apply(serde_json::json!({ "body": current.body }), &meta.locale)?;
    let version =
        body.version.ok_or_else(|| ApiError::invalid(Invalid::one("version", "required")).in_locale(&meta.locale))?;
    Ok(Json(comments::update(&state.store, &session.actor, id, version, &body.body).await.api(&meta)?))
}

/// Deletes one's own comment.
#[utoipa::path(delete, path = "/comments/{id}", tag = "comments", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_comment(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    comments::delete(&state.store, &session.actor, id).await.api(&meta)?;
    Ok(StatusCode::NO_CONTENT)
}
