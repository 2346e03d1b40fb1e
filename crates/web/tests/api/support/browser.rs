//! A browser on the HTML pages: its requests and its signed-in session.

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};

use crate::helpers::{ADMIN_PASSWORD, TestApp};
use crate::support::urlencode;

/// The value of the cookie `name` that the answer sets, if it sets one.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|c| {
        let (pair, _) = c.split_once(';').unwrap_or((c, ""));
        let (k, v) = pair.split_once('=')?;
        (k == name && !v.is_empty()).then(|| v.to_owned())
    })
}

/// A form post (`body` already encoded) with the session's cookies.
pub fn form(path: &str, cookies: &str, body: &str) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::COOKIE, cookies)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("x-forwarded-for", "192.0.2.1")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

/// A page read in English with the session's cookies.
pub fn get(path: &str, cookies: &str) -> Request<Body> {
    Request::builder()
        .uri(path)
        .header(header::COOKIE, cookies)
        .header("accept-language", "en")
        .body(Body::empty())
        .unwrap()
}

/// Signs the administrator in through the login form, going on to the
/// user list: the cookie header and the session's CSRF token.
pub async fn sign_in(app: &TestApp) -> (String, String) {
    sign_in_as(app, "admin", ADMIN_PASSWORD, "/admin/users").await
}

/// Signs `username` in through the login form, going on to `next`: the
/// cookie header and the session's CSRF token. Every sign-in redirects to
/// `next` with a session cookie that scripts cannot read and other sites
/// do not send.
pub async fn sign_in_as(app: &TestApp, username: &str, password: &str, next: &str) -> (String, String) {
    let (_, h, _) = app.send(get("/login", "")).await;
    let anon = cookie(&h, "sf_csrf").expect("anonymous CSRF cookie");
    let body = format!("_csrf={anon}&username={username}&password={password}&next={}", urlencode(next));
    let (s, h, _) = app.send(form("/login", &format!("sf_csrf={anon}"), &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{username} signs in");
    assert_eq!(h.get(header::LOCATION).unwrap(), next);
    let set =
        h.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect::<Vec<_>>().join("\n");
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax"), "{set}");
    let session = cookie(&h, "sf_session").expect("session cookie");
    let cookies = format!("sf_session={session}; sf_csrf={anon}");
    let (s, _, page) = app.send(get("/", &cookies)).await;
    assert_eq!(s, StatusCode::OK);
    let html = page.as_str().unwrap();
    let csrf = html.split("name=\"csrf-token\" content=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    (cookies, csrf)
}
