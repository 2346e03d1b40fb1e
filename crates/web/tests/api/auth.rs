//! Sign-in, throttling, sessions across nodes, password reset, tokens.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{ADMIN_PASSWORD, TestApp, api_request, login_request, send_to};

#[tokio::test]
async fn wrong_password_and_unknown_user_answer_alike() {
    let app = TestApp::new().await;
    let (s1, wrong) = app.try_login("admin", "nope-nope").await;
    let (s2, unknown) = app.try_login("ghost", "nope-nope").await;
    assert_eq!(s1, StatusCode::UNAUTHORIZED);
    assert_eq!(s2, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong["detail"], unknown["detail"]);
    assert_eq!(wrong["title"], unknown["title"]);
    // Sign-in by e-mail works too, in any case.
    app.login("ADMIN@example.com", ADMIN_PASSWORD).await;
}

#[tokio::test]
async fn five_wrong_passwords_throttle_the_account() {
    let app = TestApp::new().await;
    for _ in 0..5 {
        let (s, _) = app.try_login("admin", "wrong-pass").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    // Even the right password is refused now, with a clear 429.
    let (status, headers, body) = app.send(login_request("admin", ADMIN_PASSWORD, &[])).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(headers.contains_key("retry-after"));
    assert_eq!(body["status"], 429);
    // The throttle lives in the database: another node sees it too.
    let other = app.second_node().await;
    let (status, _, _) = send_to(&other, login_request("admin", ADMIN_PASSWORD, &[])).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn twenty_failures_from_one_address_throttle_the_address() {
    let app = TestApp::new().await;
    app.create_user("li.na", "salesperson", None).await;
    for i in 0..20 {
        let guess = login_request(&format!("nobody{i}"), "wrong-pass", &[("x-forwarded-for", "198.51.100.9")]);
        let (s, _, _) = app.send(guess).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, _, _) = app.send(login_request("li.na", "password-123", &[("x-forwarded-for", "198.51.100.9")])).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    // Another address is not affected.
    let (s, _, _) = app.send(login_request("li.na", "password-123", &[("x-forwarded-for", "198.51.100.10")])).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn a_session_from_one_node_works_on_another_and_logout_ends_it() {
    let app = TestApp::new().await;
    let other = app.second_node().await;
    let (s, _, me) = send_to(&other, api_request(Method::GET, "/api/v1/me", Some(&app.admin), None, &[])).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["user"]["username"], "admin");
    assert_eq!(me["data_scope"], "all");
    let (s, _) = app.api(Method::POST, "/api/v1/auth/logout", Some(&app.admin), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _, body) = send_to(&other, api_request(Method::GET, "/api/v1/me", Some(&app.admin), None, &[])).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(body["status"], 401);
}

#[tokio::test]
async fn deactivated_user_is_locked_out_at_once() {
    let app = TestApp::new().await;
    let (id, token) = app.signed_in("wang.fang", "sales_manager", None).await;
    let (s, _) = app.me(&token).await;
    assert_eq!(s, StatusCode::OK);
    let (s, user) = app.users().get(id).await;
    assert_eq!(s, StatusCode::OK);
    let (s, body) = app.users().patch(id, &json!({"version": user["version"], "active": false})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["active"], false);
    let (s, _) = app.me(&token).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app.try_login("wang.fang", "password-123").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn password_reset_link_works_once() {
    let app = TestApp::new().await;
    // Unknown and known addresses get the same answer.
    let (s, _) =
        app.api(Method::POST, "/api/v1/auth/password-reset", None, Some(json!({"email": "ghost@example.com"}))).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let (s, _) =
        app.api(Method::POST, "/api/v1/auth/password-reset", None, Some(json!({"email": "admin@example.com"}))).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    // Without SMTP the mail waits in the outbox, which the administrator reads.
    let (s, outbox) = app.outbox().list("").await;
    assert_eq!(s, StatusCode::OK);
    let items = outbox["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "one mail only, for the known address");
    assert_eq!(items[0]["to_address"], "admin@example.com");
    let body = items[0]["body"].as_str().unwrap();
    let token = body.split("token=").nth(1).unwrap().split_whitespace().next().unwrap().to_owned();
    assert!(body.contains("http://salesflow.test/reset-password?token="));

    let weak = json!({"token": token, "new_password": "short"});
    let (s, problem) = app.api(Method::POST, "/api/v1/auth/password-reset/confirm", None, Some(weak)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "new_password");

    let ok = json!({"token": token, "new_password": "brand-new-secret"});
    let (s, _) = app.api(Method::POST, "/api/v1/auth/password-reset/confirm", None, Some(ok.clone())).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    // The old sessions ended; the new password works; the link is spent.
    let (s, _) = app.me(&app.admin).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    app.login("admin", "brand-new-secret").await;
    let again = json!({"token": token, "new_password": "another-secret"});
    let (s, problem) = app.api(Method::POST, "/api/v1/auth/password-reset/confirm", None, Some(again)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "token");
}

#[tokio::test]
async fn change_own_password_checks_the_current_one() {
    let app = TestApp::new().await;
    let (s, p) = app
        .api(
            Method::POST,
            "/api/v1/me/password",
            Some(&app.admin),
            Some(json!({"current_password": "wrong", "new_password": "new-password-9"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "current_password");
    let (s, _) = app
        .api(
            Method::POST,
            "/api/v1/me/password",
            Some(&app.admin),
            Some(json!({"current_password": ADMIN_PASSWORD, "new_password": "new-password-9"})),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    // The session that changed it stays valid.
    let (s, _) = app.me(&app.admin).await;
    assert_eq!(s, StatusCode::OK);
    app.login("admin", "new-password-9").await;
}

#[tokio::test]
async fn api_tokens_are_shown_once_and_can_be_revoked() {
    let app = TestApp::new().await;
    let uid = app.create_user("finance.bot", "management", None).await;
    let created = app.api_tokens().create(&json!({"name": "财务系统", "user_id": uid})).await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    let (s, me) = app.me(&secret).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["user"]["username"], "finance.bot");
    let (_, list) = app.api_tokens().list("").await;
    assert!(!list.to_string().contains(&secret), "the secret is never listed");
    let id = created["token"]["id"].as_i64().unwrap();
    let (s, _) = app.api_tokens().delete(id).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.me(&secret).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn reset_links_are_limited_to_three_an_hour() {
    let app = TestApp::new().await;
    for _ in 0..5 {
        let (s, _) = app
            .api(Method::POST, "/api/v1/auth/password-reset", None, Some(json!({"email": "admin@example.com"})))
            .await;
        assert_eq!(s, StatusCode::ACCEPTED);
    }
    let (_, outbox) = app.outbox().list("").await;
    assert_eq!(outbox["items"].as_array().unwrap().len(), 3);
}
