//! Attachments of customers, contacts and deals: list, upload (multipart,
//! one `file`), download, delete.

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use salesflow_domain::attachments::Holder;
use salesflow_store::attachments::{self, AttachmentView};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::OrApi;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::server::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    // Uploads are limited by `WebConfig::attachment_max_bytes` while they
    // stream to disk, not by the 2 MiB limit of other requests.
    let uploads = OpenApiRouter::new()
        .routes(routes!(list_customer_attachments, upload_customer_attachment))
        .routes(routes!(list_contact_attachments, upload_contact_attachment))
        .routes(routes!(list_opportunity_attachments, upload_opportunity_attachment))
        .routes(routes!(list_contract_attachments, upload_contract_attachment))
        .layer(DefaultBodyLimit::disable());
    OpenApiRouter::new().merge(uploads).routes(routes!(download_attachment, delete_attachment))
}

/// The multipart form of an upload.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AttachmentForm {
    /// pdf, png, jpg, gif, webp, doc(x), xls(x), ppt(x), txt or zip; the
    /// content must match the extension; at most `SALESFLOW_ATTACHMENT_MAX_MB`
    /// (default 20 MiB).
    #[schema(format = Binary, value_type = String)]
    file: Vec<u8>,
}

async fn list(state: AppState, caller: ApiCaller, kind: Holder, id: i64) -> ApiResult<Json<Vec<AttachmentView>>> {
    let ApiCaller(session, meta) = caller;
    Ok(Json(attachments::list(&state.store, &session.actor, kind, id).await.api(&meta)?))
}

async fn upload(
    state: AppState,
    caller: ApiCaller,
    kind: Holder,
    id: i64,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<(StatusCode, Json<AttachmentView>)> {
    let ApiCaller(session, meta) = caller;
    let multipart = multipart.map_err(|e| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "media-type",
            format!("send multipart/form-data: {}", e.body_text()),
        )
        .in_locale(&meta.locale)
    })?;
    // The record first: nobody learns about sizes or types of a record they cannot change.
    attachments::list(&state.store, &session.actor, kind, id).await.api(&meta)?;
    let file = crate::files::receive(&state, multipart, None)
        .await
        .map_err(|e| ApiError::invalid(e).in_locale(&meta.locale))?;
    let stored = file.stored_name.clone();
    match attachments::create(&state.store, &session.actor, kind, id, file).await {
        Ok(v) => Ok((StatusCode::CREATED, Json(v))),
        Err(e) => {
            crate::files::remove(&state, &stored).await;
            Err(e).api(&meta)
        }
    }
}

/// A customer's files, newest first.
#[utoipa::path(get, path = "/customers/{id}/attachments", tag = "attachments", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<AttachmentView>), (status = 404, body = Problem)))]
async fn list_customer_attachments(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<AttachmentView>>> {
    list(state, caller, Holder::Customer, id).await
}

/// Attaches a file to a customer the caller may change.
#[utoipa::path(post, path = "/customers/{id}/attachments", tag = "attachments", params(("id" = i64, Path)),
    request_body(content = AttachmentForm, content_type = "multipart/form-data"),
    responses((status = 201, body = AttachmentView), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn upload_customer_attachment(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<(StatusCode, Json<AttachmentView>)> {
    upload(state, caller, Holder::Customer, id, multipart).await
}

/// A contact's files, newest first.
#[utoipa::path(get, path = "/contacts/{id}/attachments", tag = "attachments", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<AttachmentView>), (status = 404, body = Problem)))]
async fn list_contact_attachments(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<AttachmentView>>> {
    list(state, caller, Holder::Contact, id).await
}

/// Attaches a file to a contact of a customer the caller may change.
#[utoipa::path(post, path = "/contacts/{id}/attachments", tag = "attachments", params(("id" = i64, Path)),
    request_body(content = AttachmentForm, content_type = "multipart/form-data"),
    responses((status = 201, body = AttachmentView), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn upload_contact_attachment(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<(StatusCode, Json<AttachmentView>)> {
    upload(state, caller, Holder::Contact, id, multipart).await
}

/// A deal's files, newest first.
#[utoipa::path(get, path = "/opportunities/{id}/attachments", tag = "attachments", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<AttachmentView>), (status = 404, body = Problem)))]
async fn list_opportunity_attachments(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<AttachmentView>>> {
    list(state, caller, Holder::Opportunity, id).await
}

/// Attaches a file to a deal the caller may change.
#[utoipa::path(post, path = "/opportunities/{id}/attachments", tag = "attachments", params(("id" = i64, Path)),
    request_body(content = AttachmentForm, content_type = "multipart/form-data"),
    responses((status = 201, body = AttachmentView), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn upload_opportunity_attachment(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<(StatusCode, Json<AttachmentView>)> {
    upload(state, caller, Holder::Opportunity, id, multipart).await
}

/// A contract's files (scans, annexes), newest first.
#[utoipa::path(get, path = "/contracts/{id}/attachments", tag = "attachments", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<AttachmentView>), (status = 404, body = Problem)))]
async fn list_contract_attachments(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<AttachmentView>>> {
    list(state, caller, Holder::Contract, id).await
}

/// Attaches a file to a contract the caller may change.
#[utoipa::path(post, path = "/contracts/{id}/attachments", tag = "attachments", params(("id" = i64, Path)),
    request_body(content = AttachmentForm, content_type = "multipart/form-data"),
    responses((status = 201, body = AttachmentView), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn upload_contract_attachment(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<(StatusCode, Json<AttachmentView>)> {
    upload(state, caller, Holder::Contract, id, multipart).await
}

/// The file (inside the caller's data scope), as an attachment with the
/// content type of its checked kind and `X-Content-Type-Options: nosniff`.
#[utoipa::path(get, path = "/attachments/{id}", tag = "attachments", params(("id" = i64, Path)),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 404, body = Problem)))]
async fn download_attachment(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let a = attachments::get(&state.store, &session.actor, id).await.api(&meta)?;
    Ok(crate::files::download(&state, &a).await)
}

/// Deletes a file: its uploader, or whoever administers the area.
#[utoipa::path(delete, path = "/attachments/{id}", tag = "attachments", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_attachment(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    let a = attachments::delete(&state.store, &session.actor, id).await.api(&meta)?;
    crate::files::remove(&state, &a.stored_name).await;
    Ok(StatusCode::NO_CONTENT)
}
