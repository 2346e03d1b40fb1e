//! Imports of customers, contacts and leads from CSV and Excel: upload (multipart,
//! streamed to a file), preview with the guessed or remembered mapping,
//! start (dry run or import), progress, rejected rows, cancel.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::Response;
use salesflow_domain::Invalid;
use salesflow_domain::imports::DuplicateMode;
use salesflow_store::imports::{self, ImportView, Preview, StartInput};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiQuery, OptionalJson, OrApi, Page, PageParams};
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::jobs::imports::{receive, register, report_download, spawn_run, target_of};
use crate::server::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    // Uploads are limited by `WebConfig::upload_max_bytes` while they stream
    // to disk, not by the 2 MiB limit of other requests.
    let uploads = OpenApiRouter::new()
        .routes(routes!(create_import))
        .routes(routes!(preview_import))
        .layer(DefaultBodyLimit::disable());
    OpenApiRouter::new()
        .merge(uploads)
        .routes(routes!(list_imports))
        .routes(routes!(get_import))
        .routes(routes!(start_import))
        .routes(routes!(cancel_import))
        .routes(routes!(rejected_rows))
}

/// A body that is not multipart answers as problem JSON like every other error.
fn multipart_body(body: Result<Multipart, MultipartRejection>, locale: &str) -> ApiResult<Multipart> {
    body.map_err(|e| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "media-type",
            format!("send multipart/form-data: {}", e.body_text()),
        )
        .in_locale(locale)
    })
}

fn duplicates_of(text: Option<&str>) -> Result<DuplicateMode, Invalid> {
    match text {
        None => Ok(DuplicateMode::Skip),
        Some(t) => DuplicateMode::parse(t).ok_or_else(|| Invalid::one("duplicates", "invalid_choice")),
    }
}

fn flag_of(name: &str, text: Option<&str>) -> Result<bool, Invalid> {
    match text {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(_) => Err(Invalid::one(name, "invalid_choice")),
    }
}

fn mapping_of(text: Option<&str>) -> Result<Option<BTreeMap<String, String>>, Invalid> {
    text.map(|t| serde_json::from_str(t).map_err(|_| Invalid::one("mapping", "invalid_mapping"))).transpose()
}

// ---------------------------------------------------------------- endpoints

/// The multipart form of `POST /imports`.
#[derive(ToSchema)]
#[allow(dead_code)]
struct ImportForm {
    /// The CSV (UTF-8 or GBK) or Excel (.xlsx, .xls) file.
    #[schema(value_type = String, format = Binary)]
    file: String,
    /// `customers`, `contacts` or `leads`.
    target: String,
    /// JSON object `{"column header": "field"}`; default: the remembered or guessed mapping.
    mapping: Option<String>,
    /// `skip` (default) or `merge`.
    duplicates: Option<String>,
    /// `true`: check every row and write nothing.
    dry_run: Option<bool>,
}

/// The multipart form of `POST /imports/preview`.
#[derive(ToSchema)]
#[allow(dead_code)]
struct PreviewForm {
    #[schema(value_type = String, format = Binary)]
    file: String,
    /// `customers`, `contacts` or `leads`.
    target: String,
}

/// Uploads a file and starts its import (or dry run) in the background.
/// Poll `GET /imports/{id}` for progress.
#[utoipa::path(post, path = "/imports", tag = "imports",
    request_body(content = ImportForm, content_type = "multipart/form-data"),
    responses((status = 202, body = ImportView), (status = 422, body = Problem), (status = 403, body = Problem)))]
async fn create_import(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<(StatusCode, Json<ImportView>)> {
    let multipart = multipart_body(multipart, &meta.locale)?;
    let invalid = |e: Invalid| ApiError::invalid(e).in_locale(&meta.locale);
    let upload =
        receive(&state, multipart, &["target", "mapping", "duplicates", "dry_run"], None).await.map_err(invalid)?;
    let checked = (|| {
        Ok::<_, Invalid>((
            target_of(upload.text("target"))?,
            mapping_of(upload.text("mapping"))?,
            duplicates_of(upload.text("duplicates"))?,
            flag_of("dry_run", upload.text("dry_run"))?,
        ))
    })();
    let (target, mapping, duplicates, dry_run) = match checked {
        Ok(c) => c,
        Err(e) => {
            upload.discard().await;
            return Err(invalid(e));
        }
    };
    let actor = &session.actor;
    let draft = register(&state, actor, &upload, target).await.api(&meta)?;
    let job =
        imports::start(&state.store, actor, draft.id, StartInput { mapping, duplicates, dry_run }).await.api(&meta)?;
    spawn_run(&state, actor.clone(), job.id, &meta.locale);
    Ok((StatusCode::ACCEPTED, Json(job)))
}

/// Uploads a file without starting it: answers the detected columns with
/// sample values and the remembered or guessed mapping. Start it with
/// `POST /imports/{id}/start`.
#[utoipa::path(post, path = "/imports/preview", tag = "imports",
    request_body(content = PreviewForm, content_type = "multipart/form-data"),
    responses((status = 201, body = Preview), (status = 422, body = Problem)))]
async fn preview_import(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<(StatusCode, Json<Preview>)> {
    let multipart = multipart_body(multipart, &meta.locale)?;
    let upload = receive(&state, multipart, &["target"], None)
        .await
        .map_err(|e| ApiError::invalid(e).in_locale(&meta.locale))?;
    let target = match target_of(upload.text("target")) {
        Ok(t) => t,
        Err(e) => {
            upload.discard().await;
            return Err(ApiError::invalid(e).in_locale(&meta.locale));
        }
    };
    let draft = register(&state, &session.actor, &upload, target).await.api(&meta)?;
    let preview = imports::preview(&state.store, &session.actor, draft.id).await.api(&meta)?;
    Ok((StatusCode::CREATED, Json(preview)))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartBody {
    /// `{"column header": "field"}`; default: the import's current mapping.
    pub mapping: Option<BTreeMap<String, String>>,
    /// `skip` (default) or `merge`.
    pub duplicates: Option<String>,
    #[serde(default)]
    pub dry_run: bool,
}

/// Starts an uploaded file's dry run or import. A file that already ran
/// (say, a dry run) gets a new job; the answer is that job.
#[utoipa::path(post, path = "/imports/{id}/start", tag = "imports", params(("id" = i64, Path)),
    request_body(content = StartBody, description = "optional"),
    responses((status = 202, body = ImportView), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn start_import(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    UrlPath(id): UrlPath<i64>,
    OptionalJson(body): OptionalJson<StartBody>,
) -> ApiResult<(StatusCode, Json<ImportView>)> {
    let duplicates =
        duplicates_of(body.duplicates.as_deref()).map_err(|e| ApiError::invalid(e).in_locale(&meta.locale))?;
    let input = StartInput { mapping: body.mapping, duplicates, dry_run: body.dry_run };
    let job = imports::start(&state.store, &session.actor, id, input).await.api(&meta)?;
    spawn_run(&state, session.actor.clone(), job.id, &meta.locale);
    Ok((StatusCode::ACCEPTED, Json(job)))
}

/// Imports of the people in the caller's scope, newest first.
#[utoipa::path(get, path = "/imports", tag = "imports", params(PageParams),
    responses((status = 200, body = Page<ImportView>)))]
async fn list_imports(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(paging): ApiQuery<PageParams>,
) -> ApiResult<Json<Page<ImportView>>> {
    Ok(Json(imports::list(&state.store, &session.actor, &paging.page()).await.api(&meta)?.into()))
}

/// One import with its progress, counts and the first 100 bad rows.
#[utoipa::path(get, path = "/imports/{id}", tag = "imports", params(("id" = i64, Path)),
    responses((status = 200, body = ImportView), (status = 404, body = Problem)))]
async fn get_import(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    UrlPath(id): UrlPath<i64>,
) -> ApiResult<Json<ImportView>> {
    Ok(Json(imports::get(&state.store, &session.actor, id).await.api(&meta)?))
}

/// Cancels an import: a running one stops at its next batch (rows of
/// batches already committed stay).
#[utoipa::path(post, path = "/imports/{id}/cancel", tag = "imports", params(("id" = i64, Path)),
    responses((status = 200, body = ImportView), (status = 409, body = Problem)))]
async fn cancel_import(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    UrlPath(id): UrlPath<i64>,
) -> ApiResult<Json<ImportView>> {
    Ok(Json(imports::cancel(&state.store, &session.actor, id).await.api(&meta)?))
}

/// The rejected rows (row number, the original columns, the reason) as CSV
/// with a UTF-8 BOM. Kept on the node that ran the import.
#[utoipa::path(get, path = "/imports/{id}/rejected.csv", tag = "imports", params(("id" = i64, Path)),
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = Problem)))]
async fn rejected_rows(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    UrlPath(id): UrlPath<i64>,
) -> ApiResult<Response> {
    let path = imports::report(&state.store, &session.actor, id).await.api(&meta)?;
    report_download(&path, id).await.api(&meta)
}
