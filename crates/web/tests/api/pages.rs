//! HTML pages: sign-in with a cookie, CSRF, headers, field errors.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};

use crate::helpers::{ADMIN_PASSWORD, TestApp, USER_PASSWORD};
use crate::support::browser::{cookie, form, get, sign_in};

#[tokio::test]
async fn pages_need_a_session_and_carry_security_headers() {
    let app = TestApp::new().await;
    let (s, h, _) = app.send(get("/admin/users", "")).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h.get(header::LOCATION).unwrap(), "/login?next=%2Fadmin%2Fusers");
    let (s, h, page) = app.send(get("/login", "")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.as_str().unwrap().contains("Sign in"));
    let csp = h.get(header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    assert_eq!(h.get(header::X_FRAME_OPTIONS).unwrap(), "DENY");
    assert_eq!(h.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(), "nosniff");
    assert!(h.contains_key("x-request-id"));
    let (s, _, page) = app.send(get("/no/such/page", "")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(page.as_str().unwrap().contains("404"));
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused() {
    let app = TestApp::new().await;
    // The login form itself needs the anonymous token.
    let (s, _, _) = app.send(form("/login", "", &format!("username=admin&password={ADMIN_PASSWORD}"))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (cookies, csrf) = sign_in(&app).await;
    let (s, _, _) = app.send(form("/admin/departments", &cookies, "name=%E9%94%80%E5%94%AE%E9%83%A8")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, _) = app.send(form("/admin/departments", &cookies, "_csrf=wrong&name=x")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The API called with the cookie needs the header too.
    let json = |token: Option<&str>| {
        let mut b = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/departments")
            .header(header::COOKIE, &cookies)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(t) = token {
            b = b.header("x-csrf-token", t);
        }
        b.body(Body::from(r#"{"name": "华南销售组"}"#)).unwrap()
    };
    let (s, _, p) = app.send(json(None)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(p["status"], 403);
    let (s, _, _) = app.send(json(Some(&csrf))).await;
    assert_eq!(s, StatusCode::CREATED);
    // With the token the form works and redirects with a flash message.
    let (s, h, _) =
        app.send(form("/admin/departments", &cookies, &format!("_csrf={csrf}&name=%E9%94%80%E5%94%AE%E9%83%A8"))).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(cookie(&h, "sf_flash").is_some());
}

#[tokio::test]
async fn form_errors_are_shown_under_their_fields_and_keep_the_input() {
    let app = TestApp::new().await;
    let (cookies, csrf) = sign_in(&app).await;
    let role = app.role_id("salesperson").await;
    let body = format!(
        "_csrf={csrf}&username=li.na&display_name=%E6%9D%8E%E5%A8%9C&email=bad&password=123&role_id={role}&department_id=&locale="
    );
    let (s, _, page) = app.send(form("/admin/users", &cookies, &body)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let html = page.as_str().unwrap();
    assert!(html.contains("id=\"email-error\""), "email error shown");
    assert!(html.contains("id=\"password-error\""), "password error shown");
    assert!(html.contains("value=\"李娜\""), "typed name kept");
    assert!(!html.contains("value=\"123\""), "password not echoed");
}

#[tokio::test]
async fn sign_out_ends_the_session_and_language_is_kept() {
    let app = TestApp::new().await;
    let (cookies, csrf) = sign_in(&app).await;
    let (s, h, _) = app.send(form("/locale", &cookies, &format!("_csrf={csrf}&locale=zh-CN&next=%2F"))).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(cookie(&h, "sf_lang").as_deref(), Some("zh-CN"));
    // Kept on the account: Chinese even though the browser asks for English.
    let (_, _, page) = app.send(get("/", &cookies)).await;
    assert!(page.as_str().unwrap().contains("工作台"));
    let (s, h, _) = app.send(form("/logout", &cookies, &format!("_csrf={csrf}"))).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h.get(header::LOCATION).unwrap(), "/login?done=logout");
    let (s, _, _) = app.send(get("/", &cookies)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn assets_are_cached_with_etags() {
    let app = TestApp::new().await;
    let (s, h, _) = app.send(get("/assets/app.css", "")).await;
    assert_eq!(s, StatusCode::OK);
    let etag = h.get(header::ETAG).unwrap().to_str().unwrap().to_owned();
    let req =
        Request::builder().uri("/assets/app.css").header(header::IF_NONE_MATCH, &etag).body(Body::empty()).unwrap();
    let (s, _, _) = app.send(req).await;
    assert_eq!(s, StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn the_contacts_page_searches_in_chinese() {
    use serde_json::json;
    let app = TestApp::new().await;
    let (_, c) = app.customers().post(&json!({"name": "上海华信科技"})).await;
    for (name, mobile) in [("李娜", "13800138000"), ("王芳", "13900139000")] {
        let body = json!({"customer_id": c["id"], "name": name, "mobile": mobile, "role": "handler"});
        app.contacts().create(&body).await;
    }
    let (cookies, _) = sign_in(&app).await;
    let (s, _, page) = app.send(get("/contacts?q=%E6%9D%8E%E5%A8%9C", &cookies)).await;
    assert_eq!(s, StatusCode::OK);
    let html = page.as_str().unwrap();
    assert!(html.contains("李娜") && html.contains("上海华信科技"));
    assert!(!html.contains("王芳"));
}

#[tokio::test]
async fn list_pages_save_views_choose_columns_and_act_in_bulk() {
    let app = TestApp::new().await;
    let (cookies, csrf) = sign_in(&app).await;
    let id_of = |c: &serde_json::Value| c["id"].as_i64().unwrap();
    let (_, a) = app.customers().post(&serde_json::json!({"name": "杭州西湖茶业", "grade": "A"})).await;
    let (_, b) = app.customers().post(&serde_json::json!({"name": "苏州园林设计院", "grade": "A"})).await;
    // Save a view of the A-grade customers; it shows as a chip on the list.
    let body = format!("_csrf={csrf}&list=customers&name=A%E7%BA%A7&query=grade%3DA&back=%2Fcustomers");
    let (s, h, _) = app.send(form("/views", &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h.get(header::LOCATION).unwrap(), "/customers?grade=A");
    // Only two columns, the closing date among them.
    let body = format!("_csrf={csrf}&columns=owner&columns=closed_at&back=%2Fcustomers");
    let (s, _, _) = app.send(form("/columns/customers", &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, _, page) = app.send(get("/customers?grade=A", &cookies)).await;
    assert_eq!(s, StatusCode::OK);
    let html = page.as_str().unwrap();
    assert!(html.contains("view-chip on") && html.contains("A级"), "the saved view is shown and active");
    let head = html.split("<thead>").nth(1).unwrap().split("</thead>").next().unwrap();
    assert!(head.contains("Closed on") && !head.contains("Industry"), "the chosen columns: {head}");
    assert!(html.contains("id=\"bulk-form\"") && html.contains("data-row-select"));
    // Tag both in one go; the form repeats `ids`.
    let body = format!(
        "_csrf={csrf}&ids={}&ids={}&action=add_tag&tag=%E5%B1%95%E4%BC%9A&back=%2Fcustomers",
        id_of(&a),
        id_of(&b)
    );
    let (s, h, _) = app.send(form("/customers/bulk", &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h.get(header::LOCATION).unwrap(), "/customers");
    let (_, c) = app.customers().get(&id_of(&b)).await;
    assert_eq!(c["tags"], serde_json::json!(["展会"]));
    // Export the selection.
    let body = format!("_csrf={csrf}&ids={}&action=export", id_of(&a));
    let (s, h, csv) = app.send(form("/customers/bulk", &cookies, &body)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(h[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/csv"));
    let csv = csv.as_str().unwrap();
    assert!(csv.contains("杭州西湖茶业") && !csv.contains("苏州园林设计院"));

    // Release to the pool and claim back: both moves are on the timeline.
    let id = id_of(&a);
    for action in ["release", "claim"] {
        let (s, _, _) = app.send(form(&format!("/customers/{id}/{action}"), &cookies, &format!("_csrf={csrf}"))).await;
        assert_eq!(s, StatusCode::SEE_OTHER);
    }
    let (_, _, page) = app.send(get(&format!("/customers/{id}"), &cookies)).await;
    let html = page.as_str().unwrap();
    assert_eq!(html.matches("data-testid=\"ownership-move\"").count(), 2, "claim and release on the timeline");
    // The named archives render.
    for path in ["/activities?archive=visits", "/activities?archive=follow_up", "/customers?scope=closed"] {
        let (s, _, page) = app.send(get(path, &cookies)).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        let html = page.as_str().unwrap();
        assert!(html.contains("Closed-customer archive"), "{path}");
        assert!(path.starts_with("/customers") || html.contains("Visitor intention register"), "{path}");
    }
    // Merging from the customer page: a bad number is a field error.
    let (s, _, page) =
        app.send(form(&format!("/customers/{id}/merge"), &cookies, &format!("_csrf={csrf}&other_id=abc"))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.as_str().unwrap().contains("merge-other_id-error"));
    let body = format!("_csrf={csrf}&other_id={}", id_of(&b));
    let (s, _, _) = app.send(form(&format!("/customers/{id}/merge"), &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_login_form_tabs_from_username_to_password_to_sign_in() {
    let app = TestApp::new().await;
    let (_, _, page) = app.send(get("/login", "")).await;
    let html = page.as_str().unwrap();
    let form = &html[html.find("<form method=\"post\" action=\"/login\"").unwrap()..];
    let form = &form[..form.find("</form>").unwrap()];
    let user = form.find("id=\"username\"").unwrap();
    let password = form.find("id=\"password\"").unwrap();
    let submit = form.find("<button type=\"submit\"").unwrap();
    assert!(user < password && password < submit, "username, password, sign in in that order");
    // Nothing a Tab stops at between them: no link, no button, no visible input.
    let between = &form[user..submit];
    assert!(!between.contains("<a "), "no link between the fields: {between}");
    assert!(!between.contains("<button"), "no button between the fields");
    assert_eq!(between.matches("<input").count(), 1, "only the password input after the username");
    assert!(!form.contains("tabindex"));
    // The forgotten-password link is still there, after the form.
    let after = &html[html.find("</form>").unwrap()..];
    assert!(after.contains("href=\"/forgot-password\""));
}

#[tokio::test]
async fn the_warehouse_has_its_home_and_after_sales_sees_what_its_home_will_hold() {
    use crate::helpers::USER_PASSWORD;
    use crate::support::browser::sign_in_as;
    let app = TestApp::new().await;
    app.create_user("cang.ku", "warehouse", None).await;
    app.create_user("shou.hou", "after_sales", None).await;
    app.create_user("xiao.shou", "salesperson", None).await;

    let (cookies, _) = sign_in_as(&app, "cang.ku", USER_PASSWORD, "/").await;
    let (s, _, page) = app.send(get("/", &cookies)).await;
    assert_eq!(s, StatusCode::OK);
    let html = page.as_str().unwrap();
    assert!(html.contains("data-testid=\"warehouse-figures\""), "the warehouse's own home");
    assert!(html.contains("href=\"/orders?status=to_ship\""), "orders to ship");
    assert!(!html.contains("data-testid=\"home-figures\""), "no empty sales figures");
    assert!(!html.contains("href=\"/customers\""), "no customer rights, no customer link");
    // No right to see deals: the API's figures say zero, not nothing.
    let (s, _, home) = app.send(get("/api/v1/home", &cookies)).await;
    assert_eq!(s, StatusCode::OK, "{home}");
    for amount in ["open_amount", "weighted_amount", "closing_this_month_amount"] {
        assert_eq!(home["figures"][amount], "0.00", "{amount}: {home}");
    }

    let (cookies, _) = sign_in_as(&app, "shou.hou", USER_PASSWORD, "/").await;
    let (_, _, page) = app.send(get("/", &cookies)).await;
    let html = page.as_str().unwrap();
    assert!(html.contains("data-area=\"after_sales\"") && html.contains("Service tickets"));
    assert!(html.contains("href=\"/customers\""), "after-sales may already look customers up");

    let (cookies, _) = sign_in_as(&app, "xiao.shou", USER_PASSWORD, "/").await;
    let (_, _, page) = app.send(get("/", &cookies)).await;
    let html = page.as_str().unwrap();
    assert!(html.contains("data-testid=\"home-figures\"") && !html.contains("data-area="), "a salesperson's day");
}

/// A page read in Chinese (the language cookie; the account keeps none).
fn get_zh(path: &str, cookies: &str) -> Request<Body> {
    get(path, &format!("{cookies}; sf_lang=zh-CN"))
}

#[tokio::test]
async fn roles_are_named_in_the_readers_language_on_user_pages_and_the_top_bar() {
    let app = TestApp::new().await;
    let id = app.create_user("wang.fang", "salesperson", None).await;
    let (cookies, _) = sign_in(&app).await;
    let cell = |name: &str| format!("<td class=\"nowrap\">{name}</td>");
    let header = |name: &str| format!("@wang.fang · {name} ·");
    for (request, name) in
        [(get("/admin/users", &cookies), "Salesperson"), (get_zh("/admin/users", &cookies), "销售顾问")]
    {
        let (s, _, page) = app.send(request).await;
        assert_eq!(s, StatusCode::OK);
        let html = page.as_str().unwrap();
        assert!(html.contains(&cell(name)), "the list names the role {name}");
        assert!(!html.contains(&cell("salesperson")), "never the code");
    }
    let path = format!("/admin/users/{id}");
    for (request, name) in [(get(&path, &cookies), "Salesperson"), (get_zh(&path, &cookies), "销售顾问")] {
        let (_, _, page) = app.send(request).await;
        assert!(page.as_str().unwrap().contains(&header(name)), "the form's header names the role {name}");
    }
    // The top bar of the salesperson's own pages.
    let (theirs, _) = crate::support::browser::sign_in_as(&app, "wang.fang", USER_PASSWORD, "/").await;
    let bar = |name: &str| format!("@wang.fang · {name}</span>");
    for (request, name) in [(get("/", &theirs), "Salesperson"), (get_zh("/", &theirs), "销售顾问")] {
        let (_, _, page) = app.send(request).await;
        let html = page.as_str().unwrap();
        assert!(html.contains(&bar(name)), "the top bar names the role {name}");
        assert!(!html.contains(&bar("salesperson")));
    }
    // A role an administrator named keeps that name in both languages.
    let role = serde_json::json!({"code": "area_lead", "name": "区域经理", "data_scope": "team", "permissions": {}});
    let (s, role) = app.api(Method::POST, "/api/v1/roles", Some(&app.admin), Some(role)).await;
    assert_eq!(s, StatusCode::CREATED, "{role}");
    let url = format!("/api/v1/users/{id}");
    let (_, user) = app.api(Method::GET, &url, Some(&app.admin), None).await;
    let patch = serde_json::json!({"role_id": role["id"], "version": user["version"]});
    let (s, user) = app.api(Method::PATCH, &url, Some(&app.admin), Some(patch)).await;
    assert_eq!(s, StatusCode::OK, "{user}");
    for request in [get("/admin/users", &cookies), get_zh("/admin/users", &cookies)] {
        let (_, _, page) = app.send(request).await;
        assert!(page.as_str().unwrap().contains(&cell("区域经理")));
    }
}
