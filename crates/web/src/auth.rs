//! Who is calling: session cookie or bearer token, the request's address,
//! id and language, and the CSRF check for cookie-authenticated writes.

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use salesflow_domain::settings::{locale_from_accept_language, supported_locale};
use salesflow_store::access::{self, Authenticated};
use salesflow_store::{Actor, settings};

use crate::error::ApiError;
use crate::server::AppState;

pub const SESSION_COOKIE: &str = "sf_session";
/// CSRF token for visitors not signed in yet (login and reset forms).
pub const CSRF_COOKIE: &str = "sf_csrf";
pub const LANG_COOKIE: &str = "sf_lang";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const CSRF_FIELD: &str = "_csrf";
/// Largest form body read for the CSRF field.
const FORM_LIMIT: usize = 256 * 1024;

/// Facts about the request every handler may use.
#[derive(Clone, Debug)]
pub struct RequestMeta {
    pub ip: String,
    pub request_id: Option<String>,
    pub locale: String,
    pub is_htmx: bool,
    /// The CSRF token forms on this page must carry.
    pub csrf_token: String,
}

/// A signed-in caller.
#[derive(Clone, Debug)]
pub struct Session {
    pub actor: Actor,
    pub via_cookie: bool,
    /// The raw session token (to end this session on sign-out).
    pub token: String,
}

fn client_ip(parts: &Parts, trust_proxy: bool) -> String {
    if trust_proxy
        && let Some(first) =
            parts.headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()).and_then(|v| v.split(',').next())
    {
        return first.trim().to_owned();
    }
    parts
        .extensions
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

fn forbidden_csrf(api: bool, locale: &str) -> Response {
    if api {
        ApiError::new(StatusCode::FORBIDDEN, "csrf", "missing or wrong CSRF token").in_locale(locale).into_response()
    } else {
        crate::ui::error_page(locale, StatusCode::FORBIDDEN, "errors.csrf_page")
    }
}

/// Resolves the caller, language and CSRF token, and refuses unsafe
/// cookie-authenticated requests that do not echo the CSRF token.
pub async fn identify(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let jar = CookieJar::from_headers(&parts.headers);
    let ip = client_ip(&parts, state.config.trust_proxy);
    let request_id = parts.headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let api = is_api(parts.uri.path());

    let (token, via_cookie) = match bearer(&parts.headers) {
        Some(t) => (Some(t), false),
        None => (jar.get(SESSION_COOKIE).map(|c| c.value().to_owned()), true),
    };
    let mut found: Option<(Authenticated, String)> = None;
    if let Some(token) = token {
        match access::authenticate(&state.store, &token, via_cookie).await {
            Ok(Some(a)) => found = Some((a, token)),
            Ok(None) => {}
            Err(e) => return ApiError::from(e).into_response(),
        }
    }

    let locale = match found.as_ref().and_then(|(a, _)| a.actor.locale.clone()) {
        Some(l) => l,
        None => match jar.get(LANG_COOKIE).and_then(|c| supported_locale(c.value())).or_else(|| {
            parts
                .headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(locale_from_accept_language)
        }) {
            Some(l) => l.to_owned(),
            None => {
                settings::get(&state.store).await.map(|s| s.settings.default_locale).unwrap_or_else(|_| "zh-CN".into())
            }
        },
    };

    // Anonymous visitors get a CSRF cookie for the login and reset forms.
    let mut new_anon_csrf = None;
    let csrf_token = match &found {
        Some((a, _)) if via_cookie => a.csrf_token.clone().unwrap_or_default(),
        _ => match jar.get(CSRF_COOKIE) {
            Some(c) if c.value().len() == 64 => c.value().to_owned(),
            _ if !api => {
                let t = access::new_token();
                new_anon_csrf = Some(t.clone());
                t
            }
            _ => String::new(),
        },
    };

    let unsafe_method = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    let cookie_session = found.is_some() && via_cookie;
    let mut body = body;
    // A file upload form carries `_csrf` as its first part; the upload
    // handler checks it before it stores the file (see `MULTIPART_FORMS`).
    let multipart_form = !api && is_multipart(&parts.headers) && MULTIPART_FORMS.contains(&parts.uri.path());
    // Bearer calls carry no ambient credential; anonymous API calls neither.
    if unsafe_method && (cookie_session || !api) && !multipart_form {
        let header_token = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let provided = match header_token {
            Some(t) => Some(t),
            None if is_form(&parts.headers) => {
                let Ok(bytes) = axum::body::to_bytes(body, FORM_LIMIT).await else {
                    return StatusCode::PAYLOAD_TOO_LARGE.into_response();
                };
                let field = form_urlencoded::parse(&bytes).find(|(k, _)| k == CSRF_FIELD).map(|(_, v)| v.into_owned());
                body = Body::from(bytes);
                field
            }
            None => None,
        };
        let expected = if new_anon_csrf.is_some() { "" } else { csrf_token.as_str() };
        if expected.is_empty() || provided.as_deref() != Some(expected) {
            return forbidden_csrf(api, &locale);
        }
    }

    let meta = RequestMeta {
        ip: ip.clone(),
        request_id: request_id.clone(),
        locale,
        is_htmx: parts.headers.contains_key("hx-request"),
        csrf_token,
    };
    parts.extensions.insert(meta);
    if let Some((a, token)) = found {
        let mut actor = a.actor;
        actor.ip = Some(ip);
        actor.request_id = request_id;
        parts.extensions.insert(Session { actor, via_cookie, token });
    }
    let response = next.run(Request::from_parts(parts, body)).await;
    match new_anon_csrf {
        Some(t) => (CookieJar::new().add(csrf_cookie(t, state.config.secure_cookies)), response).into_response(),
        None => response,
    }
}

/// Pages whose forms upload files; their handlers check the CSRF field.
pub const MULTIPART_FORMS: [&str; 1] = ["/imports"];

fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"))
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

fn csrf_cookie(token: String, secure: bool) -> Cookie<'static> {
    Cookie::build((CSRF_COOKIE, token)).path("/").http_only(true).same_site(SameSite::Strict).secure(secure).build()
}

/// The session cookie: HttpOnly, SameSite=Lax, Secure when serving HTTPS.
pub fn session_cookie(token: String, secure: bool) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, token)).path("/").http_only(true).same_site(SameSite::Lax).secure(secure).build()
}

pub fn lang_cookie(locale: &str, secure: bool) -> Cookie<'static> {
    Cookie::build((LANG_COOKIE, locale.to_owned()))
        .path("/")
        .same_site(SameSite::Lax)
        .secure(secure)
        .permanent()
        .build()
}

impl<S: Send + Sync> FromRequestParts<S> for RequestMeta {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<RequestMeta>().cloned().ok_or_else(|| ApiError::bad_request("no request context"))
    }
}

/// A signed-in API caller; 401 problem JSON otherwise.
pub struct ApiCaller(pub Session, pub RequestMeta);

impl<S: Send + Sync> FromRequestParts<S> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let meta = RequestMeta::from_request_parts(parts, state).await?;
        match parts.extensions.get::<Session>() {
            Some(s) => Ok(ApiCaller(s.clone(), meta)),
            None => Err(ApiError::unauthorized().in_locale(&meta.locale)),
        }
    }
}

/// A signed-in user of the HTML pages; redirected to the login page otherwise.
pub struct UiUser(pub Session, pub RequestMeta);

impl<S: Send + Sync> FromRequestParts<S> for UiUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let meta = RequestMeta::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        match parts.extensions.get::<Session>() {
            Some(s) => Ok(UiUser(s.clone(), meta)),
            None => {
                let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
                let target =
                    format!("/login?next={}", form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>());
                if meta.is_htmx {
                    // htmx follows HX-Redirect with a full page load.
                    Err(([("HX-Redirect", target)], StatusCode::UNAUTHORIZED).into_response())
                } else {
                    Err(Redirect::to(&target).into_response())
                }
            }
        }
    }
}
