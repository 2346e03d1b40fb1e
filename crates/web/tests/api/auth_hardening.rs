//! Reset links end when any is used or the password changes; other
//! sessions end when the user asks; redirects stay on this site (issue 9).

use axum::http::{Method, StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::{ADMIN_PASSWORD, TestApp};
use crate::support::browser::{cookie, form, get, sign_in};

async fn request_link(app: &TestApp) {
    let (s, _) =
        app.api(Method::POST, "/api/v1/auth/password-reset", None, Some(json!({"email": "admin@example.com"}))).await;
    assert_eq!(s, StatusCode::ACCEPTED);
}

/// The tokens of every reset mail in the outbox, oldest first.
async fn mailed_tokens(app: &TestApp, token: &str) -> Vec<String> {
    let (s, outbox) = app.outbox().by(token).list("").await;
    assert_eq!(s, StatusCode::OK, "{outbox}");
    let mut tokens: Vec<(i64, String)> = outbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let body = m["body"].as_str().unwrap();
            let t = body.split("token=").nth(1).unwrap().split_whitespace().next().unwrap().to_owned();
            (m["id"].as_i64().unwrap(), t)
        })
        .collect();
    tokens.sort();
    tokens.into_iter().map(|(_, t)| t).collect()
}

async fn confirm(app: &TestApp, token: &str, password: &str) -> (StatusCode, Value) {
    let body = json!({"token": token, "new_password": password});
    app.api(Method::POST, "/api/v1/auth/password-reset/confirm", None, Some(body)).await
}

#[tokio::test]
async fn using_one_reset_link_ends_the_others() {
    let app = TestApp::new().await;
    request_link(&app).await;
    request_link(&app).await;
    let tokens = mailed_tokens(&app, &app.admin).await;
    assert_eq!(tokens.len(), 2);
    let (s, p) = confirm(&app, &tokens[1], "newest-link-pass").await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{p}");
    // The older link, never used, is spent too.
    let (s, p) = confirm(&app, &tokens[0], "older-link-pass").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["field"], "token");
    app.login("admin", "newest-link-pass").await;
}

#[tokio::test]
async fn changing_the_password_ends_reset_links_and_other_sessions_when_asked() {
    let app = TestApp::new().await;
    let other = app.login("admin", ADMIN_PASSWORD).await;
    request_link(&app).await;
    let link = mailed_tokens(&app, &app.admin).await.remove(0);
    // Kept: the other session stays when the user does not ask.
    let body =
        json!({"current_password": ADMIN_PASSWORD, "new_password": "second-pass-1", "sign_out_other_sessions": false});
    let (s, p) = app.api(Method::POST, "/api/v1/me/password", Some(&app.admin), Some(body)).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{p}");
    let (s, _) = app.me(&other).await;
    assert_eq!(s, StatusCode::OK, "the other session stays");
    // The link mailed before the change cannot undo it.
    let (s, p) = confirm(&app, &link, "attacker-pass-1").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    // Asked (the default): other sessions end, this one stays.
    let body = json!({"current_password": "second-pass-1", "new_password": "third-pass-1"});
    let (s, _) = app.api(Method::POST, "/api/v1/me/password", Some(&app.admin), Some(body)).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.me(&other).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app.me(&app.admin).await;
    assert_eq!(s, StatusCode::OK);
    app.login("admin", "third-pass-1").await;
}

#[tokio::test]
async fn the_password_page_offers_to_sign_out_other_sessions() {
    let app = TestApp::new().await;
    let (cookies, csrf) = sign_in(&app).await;
    let other = app.login("admin", ADMIN_PASSWORD).await;
    let (s, _, page) = app.send(get("/account/password", &cookies)).await;
    assert_eq!(s, StatusCode::OK);
    let html = page.as_str().unwrap();
    assert!(html.contains("name=\"sign_out_others\"") && html.contains("Sign out my other sessions"), "{html}");
    // Unticked: the other session stays.
    let body =
        format!("_csrf={csrf}&current_password={ADMIN_PASSWORD}&new_password=page-pass-1&confirm_password=page-pass-1");
    let (s, h, _) = app.send(form("/account/password", &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h.get(header::LOCATION).unwrap(), "/account/password");
    let (s, _) = app.me(&other).await;
    assert_eq!(s, StatusCode::OK);
    // Ticked: it ends; the page's own session stays.
    let body = format!(
        "_csrf={csrf}&current_password=page-pass-1&new_password=page-pass-2&confirm_password=page-pass-2&sign_out_others=1"
    );
    let (s, _, _) = app.send(form("/account/password", &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, _) = app.me(&other).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _, _) = app.send(get("/account/password", &cookies)).await;
    assert_eq!(s, StatusCode::OK);
    // Both languages have the box.
    let (_, _, page) = app.send(get("/account/password", &format!("{cookies}; sf_lang=zh-CN"))).await;
    assert!(page.as_str().unwrap().contains("sign_out_others"));
}

/// A redirect home, or (NUL, which no text field accepts) a 422: never a
/// 500, never another host.
fn stays_here(status: StatusCode, headers: &axum::http::HeaderMap, next: &str) {
    if next.contains("%00") && status == StatusCode::UNPROCESSABLE_ENTITY {
        return;
    }
    assert_eq!(status, StatusCode::SEE_OTHER, "{next}");
    assert_eq!(headers.get(header::LOCATION).unwrap(), "/", "{next}");
}

#[tokio::test]
async fn redirect_targets_from_the_request_stay_on_this_site() {
    let app = TestApp::new().await;
    // The sign-in page keeps only a safe `next` in its form.
    for next in ["/%09/evil.example", "//evil.example", "/%5Cevil.example", "https://evil.example", "/%0a/x", "/%00"] {
        let (s, _, page) = app.send(get(&format!("/login?next={next}"), "")).await;
        assert_eq!(s, StatusCode::OK, "{next}");
        assert!(!page.as_str().unwrap().contains("evil.example"), "{next}");
    }
    let hostile = [
        "%2F%09%2Fevil.example",
        "%2F%2Fevil.example",
        "%2F%5Cevil.example",
        "https%3A%2F%2Fevil.example",
        "%2Fx%0aSet-Cookie%3A+a%3Db",
        "%2Fx%0d%0a",
        "%2F%00",
    ];
    for next in hostile {
        // Signing in, with the session cookie set: no 500, no other host.
        let (_, h, _) = app.send(get("/login", "")).await;
        let anon = cookie(&h, "sf_csrf").unwrap();
        let body = format!("_csrf={anon}&username=admin&password={ADMIN_PASSWORD}&next={next}");
        let (s, h, _) = app.send(form("/login", &format!("sf_csrf={anon}"), &body)).await;
        stays_here(s, &h, next);
        // Switching the language.
        let (s, h, _) =
            app.send(form("/locale", &format!("sf_csrf={anon}"), &format!("_csrf={anon}&locale=en&next={next}"))).await;
        stays_here(s, &h, next);
    }
    // A page's own path comes through, query and all (non-ASCII encoded).
    let (_, h, _) = app.send(get("/login", "")).await;
    let anon = cookie(&h, "sf_csrf").unwrap();
    let next = "%2Fcustomers%3Fprovince%3D%E4%B8%8A%E6%B5%B7";
    let (_, h, _) =
        app.send(form("/locale", &format!("sf_csrf={anon}"), &format!("_csrf={anon}&locale=en&next={next}"))).await;
    assert_eq!(h.get(header::LOCATION).unwrap(), "/customers?province=%E4%B8%8A%E6%B5%B7");
    // A signed-in page's `back` field goes through the same check.
    let (cookies, csrf) = sign_in(&app).await;
    let body = format!("_csrf={csrf}&list=junk&name=x&query=&back=%2F%09%2Fevil.example");
    let (s, h, _) = app.send(form("/views", &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h.get(header::LOCATION).unwrap(), "/");
}
