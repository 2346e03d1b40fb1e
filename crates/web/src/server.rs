//! The router, its layers, and serving with graceful shutdown.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use salesflow_store::Store;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::config::WebConfig;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: WebConfig,
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// Scripts and styles only from our own origin: no inline code runs.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; \
                   base-uri 'none'; object-src 'none'";

pub fn router(state: AppState) -> Router {
    let trace = TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
        let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
        tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
    });
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .merge(crate::assets::routes())
        .merge(crate::api::routes(&state))
        .merge(crate::ui::routes().route_layer(axum::middleware::from_fn(authorize_page)))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), finish_response))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::auth::identify))
        .layer(DefaultBodyLimit::max(2 * 1024 * 1024))
        .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(trace)
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

/// The 404 for any unknown path: problem JSON under `/api/`, a page elsewhere.
async fn not_found(request: axum::extract::Request) -> axum::response::Response {
    let locale =
        request.extensions().get::<crate::auth::RequestMeta>().map(|m| m.locale.clone()).unwrap_or_else(|| "en".into());
    if request.uri().path().starts_with("/api/") {
        return crate::error::ApiError::new(StatusCode::NOT_FOUND, "not-found", "no such endpoint")
            .in_locale(&locale)
            .into_response();
    }
    crate::error::page::error_page(&locale, StatusCode::NOT_FOUND, "errors.not_found_page")
}

/// Headers and error shapes every answer shares: `Cache-Control:
/// no-store` on the API and signed-in pages (exports included), HSTS when
/// served over HTTPS, `WWW-Authenticate` on a 401 of the API, the pages'
/// failures (`PageError`) as the styled error page, and the framework's
/// own plain-text refusals (a path id that is not a number, a wrong
/// method, a body too large) as problem JSON in the API and as the styled
/// error page in the browser.
async fn finish_response(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let path = request.uri().path().to_owned();
    let api = path.starts_with("/api/");
    let signed_in = request.extensions().get::<crate::auth::Session>().is_some();
    let locale =
        request.extensions().get::<crate::auth::RequestMeta>().map(|m| m.locale.clone()).unwrap_or_else(|| "en".into());
    // Public pages (sign-in, reset) store nothing from their query string.
    let mut response = match refuse_nul(request, api, signed_in).await {
        // A page that failed (`PageError`) is rendered here, in the reader's language.
        Ok(request) => crate::error::page::render_failed(next.run(request).await, &locale),
        Err(StatusCode::PAYLOAD_TOO_LARGE) => StatusCode::PAYLOAD_TOO_LARGE.into_response(),
        Err(status) => crate::error::page::error_page(&locale, status, "errors.nul_page"),
    };
    let status = response.status();
    let content_type =
        response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    if status.is_client_error() || status.is_server_error() {
        let plain = content_type.is_empty() || content_type.starts_with("text/plain");
        if api && !content_type.starts_with("application/problem+json") {
            let detail = if plain { body_text(response).await } else { String::new() };
            let detail =
                if detail.is_empty() { status.canonical_reason().unwrap_or("error").to_lowercase() } else { detail };
            response =
                crate::error::ApiError::new(status, problem_kind(status), detail).in_locale(&locale).into_response();
        } else if !api && plain && status != StatusCode::UNAUTHORIZED {
            let key = match status {
                StatusCode::NOT_FOUND => "errors.not_found_page",
                StatusCode::FORBIDDEN => "errors.forbidden_page",
                StatusCode::CONFLICT => "errors.conflict_page",
                StatusCode::UNPROCESSABLE_ENTITY => "errors.invalid_page",
                s if s.is_server_error() => "errors.server_page",
                _ => "errors.bad_request_page",
            };
            response = crate::error::page::error_page(&locale, status, key);
        }
    }
    let headers = response.headers_mut();
    if api && status == StatusCode::UNAUTHORIZED {
        headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    if (api || signed_in) && !path.starts_with("/assets/") {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if state.config.secure_cookies {
        headers
            .insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    response
}

/// Pages: a query string or form holding NUL is refused before any handler
/// sees it (PostgreSQL cannot store NUL; the API's extractors refuse it
/// there, after the permission check).
async fn refuse_nul(
    request: axum::extract::Request,
    api: bool,
    signed_in: bool,
) -> Result<axum::extract::Request, StatusCode> {
    if api {
        return Ok(request);
    }
    let has_nul = |bytes: &[u8]| form_urlencoded::parse(bytes).any(|(k, v)| k.contains('\0') || v.contains('\0'));
    if signed_in && request.uri().query().is_some_and(|q| has_nul(q.as_bytes())) {
        return Err(StatusCode::UNPROCESSABLE_ENTITY);
    }
    let form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return Ok(request);
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 2 * 1024 * 1024).await else {
        return Err(StatusCode::PAYLOAD_TOO_LARGE);
    };
    if has_nul(&bytes) {
        return Err(StatusCode::UNPROCESSABLE_ENTITY);
    }
    Ok(axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes)))
}

/// The kind of problem a bare status stands for.
fn problem_kind(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "not-found",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "media-type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid-body",
        s if s.is_server_error() => "internal",
        _ => "malformed",
    }
}

async fn body_text(response: axum::response::Response) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024).await.unwrap_or_default();
    String::from_utf8_lossy(&bytes).trim().to_owned()
}

use crate::api::authz::Need;
use salesflow_domain::access::Action as A;
use salesflow_domain::access::Module as M;

const PAGE_BULK: &[(M, A)] = &[(M::Customers, A::Edit), (M::Customers, A::Delete)];
const PAGE_IMPORT: &[(M, A)] = &[(M::Customers, A::Create), (M::Customers, A::Edit)];

/// The page forms that change data, with the right each needs: refused
/// (403 page) before the form is read, as in the API, so a caller without
/// the right never gets field errors for a form they may not send. The
/// handlers and the store check again; forms not listed (sign-in, one's own
/// account, views) need only a session.
const PAGE_WRITES: &[(&str, Need)] = &[
    ("/admin/users", Need::Right(M::Access, A::Create)),
    ("/admin/users/{id}", Need::Right(M::Access, A::Edit)),
    ("/admin/users/{id}/active", Need::Right(M::Access, A::Edit)),
    ("/admin/users/{id}/delete", Need::Right(M::Access, A::Delete)),
    ("/admin/users/{id}/restore", Need::Right(M::Access, A::Delete)),
    ("/admin/users/{id}/transfer", Need::Right(M::Customers, A::Administer)),
    ("/handover", Need::Right(M::Customers, A::Administer)),
    ("/handover/preview", Need::Right(M::Customers, A::Administer)),
    ("/admin/departments", Need::Right(M::Access, A::Create)),
    ("/admin/departments/{id}", Need::Right(M::Access, A::Edit)),
    ("/admin/departments/{id}/delete", Need::Right(M::Access, A::Delete)),
    ("/admin/roles", Need::Right(M::Access, A::Administer)),
    ("/admin/roles/{id}", Need::Right(M::Access, A::Administer)),
    ("/admin/roles/{id}/delete", Need::Right(M::Access, A::Administer)),
    ("/admin/api-tokens", Need::Right(M::Access, A::Administer)),
    ("/admin/api-tokens/{id}/revoke", Need::Right(M::Access, A::Administer)),
    ("/admin/settings", Need::Right(M::Settings, A::Edit)),
    ("/admin/pipelines/{id}", Need::Right(M::Opportunities, A::Administer)),
    ("/admin/pipelines/{id}/retire", Need::Right(M::Opportunities, A::Administer)),
    ("/admin/pipelines/{id}/reorder", Need::Right(M::Opportunities, A::Administer)),
    ("/admin/pipelines/{id}/stages", Need::Right(M::Opportunities, A::Administer)),
    ("/admin/stages/{id}", Need::Right(M::Opportunities, A::Administer)),
    ("/admin/stages/{id}/retire", Need::Right(M::Opportunities, A::Administer)),
    ("/admin/lost-reasons", Need::Right(M::Opportunities, A::Administer)),
    ("/admin/lost-reasons/{id}", Need::Right(M::Opportunities, A::Administer)),
    ("/customers", Need::Right(M::Customers, A::Create)),
    ("/customers/bulk", Need::AnyOf(PAGE_BULK)),
    ("/customers/handover-requests", Need::Right(M::Customers, A::Create)),
    ("/customers/{id}", Need::Right(M::Customers, A::Edit)),
    ("/customers/{id}/claim", Need::Right(M::Customers, A::Edit)),
    ("/customers/{id}/release", Need::Right(M::Customers, A::Edit)),
    ("/customers/{id}/delete", Need::Right(M::Customers, A::Delete)),
    ("/customers/{id}/merge", Need::Right(M::Customers, A::Administer)),
    ("/customers/{id}/contacts", Need::Right(M::Customers, A::Edit)),
    ("/customers/{id}/activities", Need::Right(M::Customers, A::Edit)),
    ("/contacts/{id}/edit", Need::Right(M::Customers, A::Edit)),
    ("/contacts/{id}/delete", Need::Right(M::Customers, A::Edit)),
    ("/imports", Need::AnyOf(PAGE_IMPORT)),
    ("/leads", Need::Right(M::Customers, A::Create)),
    ("/leads/{id}", Need::Right(M::Customers, A::Edit)),
    ("/leads/{id}/status", Need::Right(M::Customers, A::Edit)),
    ("/leads/{id}/convert", Need::Right(M::Customers, A::Edit)),
    ("/leads/{id}/delete", Need::Right(M::Customers, A::Delete)),
    ("/leads/{id}/restore", Need::Right(M::Customers, A::Delete)),
    ("/opportunities", Need::Right(M::Opportunities, A::Create)),
    ("/opportunities/{id}", Need::Right(M::Opportunities, A::Edit)),
    ("/opportunities/{id}/check/{item_id}", Need::Right(M::Opportunities, A::Edit)),
    ("/opportunities/{id}/move", Need::Right(M::Opportunities, A::Edit)),
    ("/opportunities/{id}/win", Need::Right(M::Opportunities, A::Edit)),
    ("/opportunities/{id}/lose", Need::Right(M::Opportunities, A::Edit)),
    ("/opportunities/{id}/reopen", Need::Right(M::Opportunities, A::Edit)),
    ("/opportunities/{id}/delete", Need::Right(M::Opportunities, A::Delete)),
    ("/board/move/{id}", Need::Right(M::Opportunities, A::Edit)),
    ("/products", Need::Right(M::Products, A::Create)),
    ("/products/{id}", Need::Right(M::Products, A::Edit)),
    ("/stock/movements", Need::Right(M::Inventory, A::Create)),
    ("/tasks", Need::Right(M::Customers, A::Create)),
    ("/tasks/{id}", Need::Right(M::Customers, A::Edit)),
    ("/tasks/{id}/complete", Need::Right(M::Customers, A::Edit)),
    ("/tasks/{id}/reopen", Need::Right(M::Customers, A::Edit)),
    ("/tasks/{id}/delete", Need::Right(M::Customers, A::Edit)),
];

/// Refuses a page form the caller's role does not allow, before it is read.
async fn authorize_page(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    if request.method() == axum::http::Method::POST
        && let Some(session) = request.extensions().get::<crate::auth::Session>()
        && let Some(path) = request.extensions().get::<axum::extract::MatchedPath>()
        && let Some((_, need)) = PAGE_WRITES.iter().find(|(p, _)| *p == path.as_str())
    {
        let allowed = match need {
            Need::Right(m, a) => session.actor.can(*m, *a),
            Need::AnyOf(rights) => rights.iter().any(|(m, a)| session.actor.can(*m, *a)),
            Need::Public | Need::SignedIn => true,
        };
        if !allowed {
            let locale = request
                .extensions()
                .get::<crate::auth::RequestMeta>()
                .map(|m| m.locale.clone())
                .unwrap_or_else(|| "en".into());
            return crate::error::page::error_page(&locale, StatusCode::FORBIDDEN, "errors.forbidden_page");
        }
    }
    next.run(request).await
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = %e, "database not reachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database not reachable")
        }
    }
}

/// Serves until SIGTERM or Ctrl-C, then finishes the requests in flight.
pub async fn serve(state: AppState, listen: SocketAddr) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    tracing::info!(%listen, "Salesflow is listening");
    let jobs = tokio::spawn(crate::server::run_jobs(state.clone()));
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await?;
    jobs.abort();
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Housekeeping, run by whichever node holds the lease; reminder e-mails
/// every minute, also under a lease so that each goes out once.
async fn run_jobs(state: AppState) {
    // Without an SMTP server there is no e-mail job (not an error): said
    // once at start; a job that did run and stopped is said once too.
    let mut reminders = if state.config.smtp_url.is_some() {
        Some(tokio::spawn(run_reminder_mail(state.clone())))
    } else {
        tracing::info!("no SMTP server configured: reminders are shown in the app, not e-mailed");
        None
    };
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    loop {
        tick.tick().await;
        let lease = salesflow_store::jobs::try_lease(
            &state.store,
            "housekeeping",
            &state.config.node_name,
            chrono::Duration::minutes(9),
        )
        .await;
        if matches!(lease, Ok(true)) {
            let purged = salesflow_store::access::purge_expired(&state.store).await;
            let keys = salesflow_store::idempotency::purge(&state.store).await;
            let returned = salesflow_store::customers::return_idle_to_pool(&state.store, 1000).await;
            // Contracts ending soon (their owners reminded once) and past their end (expired).
            let contracts = salesflow_store::contracts::remind_and_expire(&state.store, 1000).await;
            let imports = salesflow_store::imports::fail_stale(&state.store, chrono::Duration::minutes(10)).await;
            let kept = chrono::Duration::days(salesflow_store::imports::FILES_KEPT_DAYS);
            let expired = salesflow_store::imports::expire_files(
                &state.store,
                &crate::jobs::imports::upload_dir(&state),
                state.store.now() - kept,
            )
            .await;
            // Bigrams an import left waiting when its node stopped.
            let bigrams = salesflow_store::search::flush_pending(&state.store).await;
            // Instalments that fell overdue: their owners hear of it, once each.
            let collections = salesflow_store::finance::remind_overdue(&state.store, 1000).await;
            // Planner statistics of the tables that changed (ANALYZE / PRAGMA optimize).
            let statistics = state.store.refresh_statistics().await;
            tracing::info!(
                ?purged,
                ?keys,
                ?returned,
                ?contracts,
                ?imports,
                ?expired,
                ?bigrams,
                ?collections,
                ?statistics,
                "housekeeping done"
            );
        }
        if reminders.as_ref().is_some_and(|r| r.is_finished()) {
            tracing::error!("reminder e-mail job stopped");
            reminders = None;
        }
    }
}

async fn run_reminder_mail(state: AppState) {
    if state.config.smtp_url.is_none() {
        return;
    }
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        let lease = salesflow_store::jobs::try_lease(
            &state.store,
            "reminder_mail",
            &state.config.node_name,
            chrono::Duration::seconds(50),
        )
        .await;
        if matches!(lease, Ok(true)) {
            match send_due_reminders(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(sent = n, "reminder e-mails"),
                Err(e) => tracing::warn!(error = %e, "reminder e-mails failed"),
            }
        }
    }
}

/// E-mails due reminders (follow-ups, tasks) to their people in their own
/// language, when SMTP is configured; returns how many were queued.
pub async fn send_due_reminders(state: &AppState) -> salesflow_store::StoreResult<usize> {
    if state.config.smtp_url.is_none() {
        return Ok(0);
    }
    let settings = salesflow_store::settings::get(&state.store).await?.settings;
    let public_url = state.config.public_url.trim_end_matches('/').to_owned();
    let ids = salesflow_store::notifications::queue_due_reminders(&state.store, 200, |r| {
        let locale = r.locale.clone().unwrap_or_else(|| settings.default_locale.clone());
        let t = |k: &str| crate::i18n::t(&locale, k);
        let link = r.link.as_deref().map(|l| format!("{public_url}{l}")).unwrap_or_else(|| public_url.clone());
        let subject = t("mail.reminder_subject").replace("%{title}", &r.title);
        let body = t("mail.reminder_body")
            .replace("%{name}", &r.name)
            .replace("%{title}", &r.title)
            .replace("%{due}", &settings.format_datetime(r.due_at))
            .replace("%{link}", &link);
        (subject, body)
    })
    .await?;
    for id in &ids {
        crate::mail::deliver(&state.store, &state.config, *id).await;
    }
    Ok(ids.len())
}
