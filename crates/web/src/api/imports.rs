//! Imports of customers, contacts and leads from CSV and Excel: upload (multipart,
//! streamed to a file), preview with the guessed or remembered mapping,
//! start (dry run or import), progress, rejected rows, cancel.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use salesflow_domain::imports::{DuplicateMode, Target};
use salesflow_domain::{FieldError, Invalid};
use salesflow_store::imports::{self, ImportView, Preview, StartInput};
use salesflow_store::{Actor, StoreError};
use serde::Deserialize;
use tokio::io::AsyncWriteExt;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, ApiQuery, OrApi, Page, PageParams};
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
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

// ---------------------------------------------------------------- upload

/// A multipart upload: the file, stored under the data directory, and the
/// text fields sent with it.
pub(crate) struct Upload {
    pub file: Option<(PathBuf, String)>,
    pub fields: HashMap<String, String>,
}

impl Upload {
    /// Removes the stored file (after a refused upload).
    pub async fn discard(&self) {
        if let Some((path, _)) = &self.file {
            let _ = tokio::fs::remove_file(path).await;
        }
    }

    pub fn text(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
    }
}

/// Where uploads and their rejected-rows files are kept.
pub(crate) fn upload_dir(state: &AppState) -> PathBuf {
    state.config.data_dir.join("imports")
}

/// The most a text field of an upload may hold (bytes).
const TEXT_FIELD_MAX: usize = 64 * 1024;

/// Reads a multipart body: text fields into memory (small), the `file`
/// part straight to disk, refusing more than the configured size. With
/// `csrf`, the `_csrf` field must come (right) before the file.
pub(crate) async fn receive(
    state: &AppState,
    mut multipart: Multipart,
    allowed: &[&str],
    csrf: Option<&str>,
) -> Result<Upload, Invalid> {
    let mut upload = Upload { file: None, fields: HashMap::new() };
    let result = receive_into(state, &mut multipart, allowed, csrf, &mut upload).await;
    if result.is_err() {
        upload.discard().await;
    }
    result.map(|()| upload)
}

async fn receive_into(
    state: &AppState,
    multipart: &mut Multipart,
    allowed: &[&str],
    csrf: Option<&str>,
    upload: &mut Upload,
) -> Result<(), Invalid> {
    let malformed = |_| Invalid::one("file", "upload_failed");
    while let Some(mut field) = multipart.next_field().await.map_err(malformed)? {
        let name = field.name().unwrap_or("").to_owned();
        if name == "file" {
            if let Some(expected) = csrf
                && upload.fields.get(crate::auth::CSRF_FIELD).map(String::as_str) != Some(expected)
            {
                return Err(Invalid::one("_csrf", "csrf"));
            }
            if upload.file.is_some() {
                return Err(Invalid::one("file", "one_file"));
            }
            let original = field.file_name().unwrap_or("upload").to_owned();
            let dir = upload_dir(state);
            let io = |e: std::io::Error| {
                tracing::error!(error = %e, "cannot store an upload");
                Invalid::one("file", "upload_failed")
            };
            tokio::fs::create_dir_all(&dir).await.map_err(io)?;
            let token = salesflow_store::access::new_token();
            let path = dir.join(format!("{}-{}.upload", chrono::Utc::now().format("%Y%m%d"), &token[..24]));
            let mut file = tokio::fs::File::create(&path).await.map_err(io)?;
            upload.file = Some((path, original));
            let max = state.config.upload_max_bytes;
            let mut size: u64 = 0;
            while let Some(chunk) = field.chunk().await.map_err(malformed)? {
                size += chunk.len() as u64;
                if size > max {
                    return Err(Invalid(vec![
                        FieldError::new("file", "file_too_large").with("max", max / (1024 * 1024)),
                    ]));
                }
                file.write_all(&chunk).await.map_err(io)?;
            }
            file.flush().await.map_err(io)?;
        } else if allowed.contains(&name.as_str()) || name == crate::auth::CSRF_FIELD {
            // Read with the cap: a 400 MB text field is refused at 64 KiB,
            // not held whole first.
            let mut bytes: Vec<u8> = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(malformed)? {
                if bytes.len() + chunk.len() > TEXT_FIELD_MAX {
                    return Err(Invalid(vec![FieldError::new(&name, "too_long").with("max", TEXT_FIELD_MAX)]));
                }
                bytes.extend_from_slice(&chunk);
            }
            let text = String::from_utf8(bytes).map_err(|_| Invalid::one(&name, "upload_failed"))?;
            upload.fields.insert(name, text);
        } else {
            return Err(Invalid(vec![FieldError::new(&name, "unknown_field")]));
        }
    }
    if upload.file.is_none() {
        return Err(Invalid::one("file", "required"));
    }
    Ok(())
}

/// Registers the stored file as a draft import; the file is removed when
/// it is refused.
pub(crate) async fn register(
    state: &AppState,
    actor: &Actor,
    upload: &Upload,
    target: Target,
) -> Result<ImportView, StoreError> {
    let Some((path, name)) = &upload.file else {
        return Err(Invalid::one("file", "required").into());
    };
    let result = imports::upload(&state.store, actor, target, name, path).await;
    if result.is_err() {
        upload.discard().await;
    }
    result
}

pub(crate) fn target_of(text: Option<&str>) -> Result<Target, Invalid> {
    match text {
        None => Err(Invalid::one("target", "required")),
        Some(t) => Target::parse(t).ok_or_else(|| Invalid::one("target", "invalid_choice")),
    }
}

/// Runs a queued import in the background on this node. Its progress is in
/// the database, so any node can show it.
pub(crate) fn spawn_run(state: &AppState, actor: Actor, id: i64, locale: &str) {
    let store = state.store.clone();
    let locale = locale.to_owned();
    let messages: imports::Messages = Arc::new(move |key: &str| crate::i18n::t(&locale, key));
    tokio::spawn(async move {
        match imports::run(&store, &actor, id, messages, None).await {
            Ok(job) => tracing::info!(import = id, status = %job.status, processed = job.processed, "import finished"),
            Err(e) => tracing::error!(import = id, error = %e, "import could not run"),
        }
    });
}

/// The rejected rows as a download.
pub(crate) async fn report_download(path: &Path, id: i64) -> Result<Response, StoreError> {
    let file = tokio::fs::File::open(path).await.map_err(|_| StoreError::NotFound)?;
    let body = axum::body::Body::from_stream(tokio_util_stream(file));
    let disposition = format!("attachment; filename=\"import-{id}-rejected.csv\"");
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, disposition)],
        body,
    )
        .into_response())
}

/// A file as a stream of chunks, without holding it in memory.
fn tokio_util_stream(
    file: tokio::fs::File,
) -> impl futures_util::Stream<Item = Result<axum::body::Bytes, std::io::Error>> + Send {
    futures_util::stream::unfold(file, |mut file| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(axum::body::Bytes::from(buf)), file))
            }
            Err(e) => Some((Err(e), file)),
        }
    })
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

#[derive(Debug, Deserialize, ToSchema)]
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
    request_body = StartBody,
    responses((status = 202, body = ImportView), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn start_import(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    UrlPath(id): UrlPath<i64>,
    ApiJson(body): ApiJson<StartBody>,
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
