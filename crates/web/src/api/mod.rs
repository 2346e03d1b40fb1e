//! The JSON API under `/api/v1`, documented by the OpenAPI document it is
//! generated from. Conventions live here once: problem JSON errors, strict
//! JSON bodies, cursor pages, `Idempotency-Key`.

mod access;
pub(crate) mod activities;
mod approvals;
mod attachments;
pub(crate) mod audit;
mod auth;
pub mod authz;
pub(crate) mod body;
mod clashes;
mod comments;
mod contract;
mod contracts;
pub(crate) mod customers;
mod finance;
mod global_search;
mod home;
pub(crate) mod imports;
pub(crate) mod inventory;
pub(crate) mod leads;
pub(crate) mod opportunities;
mod orders;
mod picklists;
pub(crate) mod pipelines;
pub(crate) mod products;
pub(crate) mod purchasing;
mod quotes;
pub(crate) mod reports;
mod returns;
pub(crate) mod settings;
pub(crate) mod tasks;
mod views;

use std::sync::LazyLock;

use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use salesflow_store::paging::PageRequest;
use salesflow_store::{StoreResult, idempotency};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;

use crate::auth::{RequestMeta, Session};
use crate::error::{ApiError, ApiResult};
use crate::server::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Salesflow API", version = "1", description = "Sales process management: the public API (v1)."),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(crate::error::Problem))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

fn api_router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let v1 = OpenApiRouter::new()
        .merge(auth::routes())
        .merge(access::routes())
        .merge(audit::routes())
        .merge(home::routes())
        .merge(global_search::routes())
        .merge(settings::routes())
        .merge(picklists::routes())
        .merge(customers::routes())
        .merge(clashes::routes())
        .merge(comments::routes())
        .merge(attachments::routes())
        .merge(activities::routes())
        .merge(views::routes())
        .merge(tasks::routes())
        .merge(leads::routes())
        .merge(pipelines::routes())
        .merge(opportunities::routes())
        .merge(reports::routes())
        .merge(imports::routes())
        .merge(products::routes())
        .merge(inventory::routes())
        .merge(purchasing::routes())
        .merge(approvals::routes())
        .merge(orders::routes())
        .merge(quotes::routes())
        .merge(finance::routes())
        .merge(returns::routes())
        .merge(contracts::routes());
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest("/api/v1", v1).split_for_parts()
}

static OPENAPI_JSON: LazyLock<String> = LazyLock::new(|| {
    let mut doc = serde_json::to_value(api_router().1).unwrap_or_default();
    contract::finish(&mut doc);
    serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".to_owned())
});

pub fn routes(state: &AppState) -> Router<AppState> {
    let (api, _) = api_router();
    // Permission first, before any extractor reads the body or query.
    api.route_layer(axum::middleware::from_fn(authz::authorize))
        .layer(axum::middleware::from_fn_with_state(state.clone(), idempotent))
        .route("/api/openapi.json", get(openapi_json))
        .route("/api/docs", get(docs_page))
}

/// The OpenAPI 3 document, generated from the handlers' annotations.
pub fn openapi_document() -> &'static str {
    &OPENAPI_JSON
}

async fn openapi_json() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], openapi_document()).into_response()
}

/// Swagger UI from the embedded npm package; works without the internet.
async fn docs_page() -> Response {
    let html = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Salesflow API</title>
<link rel="stylesheet" href="/assets/vendor/swagger-ui.css"></head>
<body><div id="swagger-ui" data-url="/api/openapi.json"></div>
<script src="/assets/vendor/swagger-ui-bundle.js"></script>
<script src="/assets/docs.js"></script></body></html>"#;
    // Swagger UI sets inline styles on its elements.
    let csp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
               connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";
    ([(header::CONTENT_SECURITY_POLICY, csp)], Html(html)).into_response()
}

// ---------------------------------------------------------------- extractors

/// A JSON body, strictly parsed: malformed JSON is 400, wrong types,
/// missing or unknown fields are 422, all as problem JSON.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, Self::Rejection> {
        body::read_json(req).await.map(ApiJson)
    }
}

/// An action's body whose every field is optional (`approve`, `win`,
/// `order`…): no body at all is the default, so a bare `POST` works; a
/// body that is sent is read as strictly as [`ApiJson`].
pub struct OptionalJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, Self::Rejection> {
        body::read_optional_json(req).await.map(OptionalJson)
    }
}

/// Query parameters; a malformed one is a 400 problem.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let locale = parts.extensions.get::<RequestMeta>().map(|m| m.locale.clone()).unwrap_or_else(|| "en".into());
        body::read_query(parts.uri.query()).map(ApiQuery).map_err(|e| e.in_locale(&locale))
    }
}

/// Store results into API results, with messages in the caller's language.
pub trait OrApi<T> {
    fn api(self, meta: &RequestMeta) -> ApiResult<T>;
}

impl<T> OrApi<T> for StoreResult<T> {
    fn api(self, meta: &RequestMeta) -> ApiResult<T> {
        self.map_err(|e| ApiError::from(e).in_locale(&meta.locale))
    }
}

/// `limit`, `cursor`, `sort` of every list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// 1–500, default 50.
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// A field name, `-` first for descending.
    pub sort: Option<String>,
}

impl PageParams {
    pub fn page(&self) -> PageRequest {
        PageRequest { limit: self.limit, cursor: self.cursor.clone(), sort: self.sort.clone() }
    }
}

/// `{"items": [...], "next_cursor": "…" | null}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T: ToSchema> From<salesflow_store::paging::Page<T>> for Page<T> {
    fn from(p: salesflow_store::paging::Page<T>) -> Self {
        Page { items: p.items, next_cursor: p.next_cursor }
    }
}

/// For PATCH bodies: tells "absent" (`None`) from "set to null" (`Some(None)`).
pub fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

// ---------------------------------------------------------------- idempotency

const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// Largest body of a request with `Idempotency-Key` (it is read whole to
/// compare it with the first request's); the routes' own limit is 2 MiB.
const IDEMPOTENT_BODY_MAX: usize = 2 * 1024 * 1024;

/// A POST with `Idempotency-Key` runs once. The key is reserved before the
/// handler runs (a unique index decides who is first), so concurrent
/// retries cannot both create: a finished first request is answered again
/// (`idempotent-replayed: true`), one still running answers 409, and the
/// key reused with another method, path or body answers 422. A failed
/// request gives the key up, so a retry runs again.
async fn idempotent(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let key = match request.headers().get(IDEMPOTENCY_HEADER).map(|v| v.to_str()) {
        None => return next.run(request).await,
        Some(Ok(k)) if !k.is_empty() && k.len() <= 200 => k.to_owned(),
        Some(_) => return ApiError::bad_request("Idempotency-Key must be 1–200 visible characters").into_response(),
    };
    let Some(user_id) = request.extensions().get::<Session>().and_then(|s| s.actor.user_id) else {
        return next.run(request).await;
    };
    let locale = request.extensions().get::<RequestMeta>().map(|m| m.locale.clone()).unwrap_or_else(|| "en".into());
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, IDEMPOTENT_BODY_MAX).await else {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "malformed",
            "a request with Idempotency-Key may carry at most 2 MiB",
        )
        .in_locale(&locale)
        .into_response();
    };
    let path = parts.uri.path().to_owned();
    let target = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or(&path);
    let hash = idempotency::request_hash(parts.method.as_str(), target, &bytes);
    let reservation = match idempotency::reserve(&state.store, user_id, &key, &path, &hash).await {
        Ok(idempotency::Reservation::Reserved(id)) => id,
        Ok(idempotency::Reservation::Replay(saved)) => {
            let status = StatusCode::from_u16(saved.status).unwrap_or(StatusCode::OK);
            return (
                status,
                [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
                [("idempotent-replayed", "true")],
                saved.body,
            )
                .into_response();
        }
        Ok(idempotency::Reservation::InFlight) => {
            return ApiError {
                retry_after: Some(1),
                ..ApiError::new(
                    StatusCode::CONFLICT,
                    "conflict",
                    "a request with this Idempotency-Key is still running; retry in a moment",
                )
            }
            .in_locale(&locale)
            .into_response();
        }
        Ok(idempotency::Reservation::Mismatch) => {
            return ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency",
                "this Idempotency-Key was used for another request",
            )
            .in_locale(&locale)
            .into_response();
        }
        Err(e) => return ApiError::from(e).in_locale(&locale).into_response(),
    };
    // The request runs to its end in a task of its own: a client that goes
    // away mid-request must not leave the key reserved, or its retry would
    // wait and then, once the key counts as abandoned, run a second time.
    let store = state.store.clone();
    let run = tokio::spawn(async move {
        let response = next.run(Request::from_parts(parts, axum::body::Body::from(bytes))).await;
        settle(&store, reservation, response).await
    });
    match run.await {
        Ok(response) => response,
        Err(e) => {
            // The handler panicked: its transaction was rolled back.
            tracing::error!(error = %e, "idempotent request failed");
            if let Err(e) = idempotency::release(&state.store, reservation).await {
                tracing::warn!(error = %e, "idempotency key not released");
            }
            ApiError::from(salesflow_store::StoreError::Internal("request failed".into())).into_response()
        }
    }
}

/// Keeps a successful answer under its key, or gives the key up after a failure.
async fn settle(store: &salesflow_store::Store, reservation: i64, response: Response) -> Response {
    if !response.status().is_success() {
        if let Err(e) = idempotency::release(store, reservation).await {
            tracing::warn!(error = %e, "idempotency key not released");
        }
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 4 * 1024 * 1024).await else {
        // Done, but too large to keep: the key stays reserved until it is
        // taken to be abandoned, so a retry meanwhile cannot run twice.
        return ApiError::from(salesflow_store::StoreError::Internal("idempotent response too large".into()))
            .into_response();
    };
    let text = String::from_utf8_lossy(&bytes);
    if let Err(e) = idempotency::finish(store, reservation, parts.status.as_u16(), &text).await {
        tracing::warn!(error = %e, "idempotent response not saved");
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    /// The OpenAPI document names each response type by its Rust name, and
    /// two types of one name silently become one schema (the funnel's
    /// stages were once described by the home page's fields): every type
    /// deriving `ToSchema` in the store and the web crate has its own name.
    #[test]
    fn schema_type_names_are_unique() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for dir in [root.join("src"), root.join("../store/src")] {
            walk(&dir, &mut |path, text| {
                let mut deriving = false;
                for line in text.lines().map(str::trim) {
                    if line.starts_with("#[derive(") && line.contains("ToSchema") {
                        deriving = true;
                    } else if deriving && !line.starts_with("#[") && !line.starts_with("///") {
                        let name = line
                            .strip_prefix("pub struct ")
                            .or_else(|| line.strip_prefix("pub enum "))
                            .and_then(|rest| rest.split(|c: char| !c.is_alphanumeric() && c != '_').next());
                        if let Some(name) = name {
                            seen.entry(name.to_owned()).or_default().push(path.display().to_string());
                        }
                        deriving = false;
                    }
                }
            });
        }
        assert!(seen.len() > 20, "the scan finds the schema types");
        let twice: Vec<_> = seen.iter().filter(|(_, files)| files.len() > 1).collect();
        assert!(twice.is_empty(), "schema types sharing a name: {twice:?}");
    }

    fn walk(dir: &Path, visit: &mut dyn FnMut(&Path, &str)) {
        for entry in std::fs::read_dir(dir).expect("a source folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, visit);
            } else if path.extension().is_some_and(|e| e == "rs") {
                visit(&path, &std::fs::read_to_string(&path).expect("a source file"));
            }
        }
    }
}
