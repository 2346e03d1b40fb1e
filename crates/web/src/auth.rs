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
    let forwarded = parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok());
    if trust_proxy && let Some(ip) = forwarded_client(forwarded) {
        return ip;
    }
    parts
        .extensions
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The client's address from `X-Forwarded-For` behind one trusted proxy:
/// the rightmost entry, the one that proxy appended. Entries to its left
/// come from the client, who can write anything there (and so could give
/// every sign-in attempt a fresh address to dodge the throttle). Several
/// header lines count as one list, in order; an entry that is not an IP
/// address gives none.
fn forwarded_client<'a>(values: impl Iterator<Item = &'a str>) -> Option<String> {
    let last = values.flat_map(|v| v.split(',')).map(str::trim).filter(|e| !e.is_empty()).last()?;
    last.parse::<std::net::IpAddr>().ok().map(|ip| ip.to_string())
}

/// Where a redirect taken from the request (`next`, `back`) may go: only a
/// path on this site. Anything else is `None`: absolute and
/// protocol-relative URLs (`//host`), backslashes (browsers read `/\host`
/// as `//host`), and control characters anywhere (browsers drop tabs and
/// line breaks, so `/\t/host` becomes `//host`; and they cannot go into a
/// `Location` header). Characters outside ASCII are percent-encoded.
pub fn same_origin_path(target: &str) -> Option<String> {
    const MAX: usize = 2048;
    let mut chars = target.chars();
    if chars.next() != Some('/') || matches!(chars.next(), Some('/' | '\\')) || target.len() > MAX {
        return None;
    }
    if target.chars().any(|c| c.is_control() || c == '\\') {
        return None;
    }
    let mut out = String::with_capacity(target.len());
    for c in target.chars() {
        if c.is_ascii_graphic() {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    Some(out)
}

/// [`same_origin_path`], or `fallback` when the target is missing or unsafe.
pub fn local_redirect(target: Option<&str>, fallback: &str) -> String {
    target.and_then(same_origin_path).unwrap_or_else(|| fallback.to_owned())
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
        crate::error::page::error_page(locale, StatusCode::FORBIDDEN, "errors.csrf_page")
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
    let multipart_form = !api && is_multipart(&parts.headers) && is_multipart_form(parts.uri.path());
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

/// The record pages' file uploads (`/customers/{id}/attachments`, and of
/// contacts and deals), whose handler checks the CSRF field too.
const ATTACHMENT_HOLDERS: [&str; 3] = ["customers", "contacts", "opportunities"];

/// Whether a path takes a file upload form (see `MULTIPART_FORMS`).
fn is_multipart_form(path: &str) -> bool {
    if MULTIPART_FORMS.contains(&path) {
        return true;
    }
    match path.split('/').collect::<Vec<_>>().as_slice() {
        ["", area, id, "attachments"] => ATTACHMENT_HOLDERS.contains(area) && id.parse::<i64>().is_ok(),
        _ => false,
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_stay_on_this_site() {
        let hostile = [
            "",
            "evil.example",
            "https://evil.example/",
            "http:/evil.example",
            "javascript:alert(1)",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\/evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "/x\r\nSet-Cookie: a=b",
            "/\0",
            "/x\u{7f}",
            "/x\u{85}y",
            "/customers\\..\\..\\evil",
            " /customers",
            "\t/customers",
        ];
        for target in hostile {
            assert_eq!(same_origin_path(target), None, "{target:?} must be refused");
            assert_eq!(local_redirect(Some(target), "/"), "/");
        }
        let fine = [
            ("/", "/"),
            ("/customers?grade=A&cursor=abc", "/customers?grade=A&cursor=abc"),
            ("/opportunities/5#stages", "/opportunities/5#stages"),
            ("/%2F%2Fevil.example", "/%2F%2Fevil.example"),
            ("/customers?province=上海", "/customers?province=%E4%B8%8A%E6%B5%B7"),
            ("/a b", "/a%20b"),
        ];
        for (target, expected) in fine {
            assert_eq!(same_origin_path(target).as_deref(), Some(expected), "{target:?}");
        }
        assert_eq!(local_redirect(None, "/tasks"), "/tasks");
        assert_eq!(same_origin_path(&format!("/{}", "a".repeat(3000))), None);
    }

    #[test]
    fn the_client_address_is_the_one_the_proxy_appended() {
        let one = |v: &'static str| forwarded_client([v].into_iter());
        assert_eq!(one("203.0.113.7").as_deref(), Some("203.0.113.7"));
        // The client wrote the left part; the proxy appended the right one.
        assert_eq!(one("1.2.3.4, 198.51.100.9").as_deref(), Some("198.51.100.9"));
        assert_eq!(one("spoofed, 10.0.0.1 , 198.51.100.9 ").as_deref(), Some("198.51.100.9"));
        assert_eq!(one("2001:db8::1").as_deref(), Some("2001:db8::1"));
        assert_eq!(one("1.2.3.4, not-an-address"), None);
        assert_eq!(one(""), None);
        // Two header lines are one list.
        assert_eq!(forwarded_client(["1.2.3.4", "198.51.100.9"].into_iter()).as_deref(), Some("198.51.100.9"));
    }
}
