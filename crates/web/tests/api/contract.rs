//! The API's contract at its edges: text with NUL is a 422 everywhere
//! (bodies, forms, query strings, the sign-in), tampered cursors are 400,
//! unparseable path ids answer in the product's error shapes, and the
//! shared headers (no-store, HSTS, WWW-Authenticate) are on every answer.
//! Also the contact form of the customer page, editing.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use base64::Engine;
use serde_json::{Value, json};

use crate::helpers::{TestApp, USER_PASSWORD, api_request};
use crate::support::browser::{cookie, form, get, sign_in, sign_in_as};

fn raw(method: Method, path: &str, token: Option<&str>, content_type: &str, body: &str) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(path).header(header::CONTENT_TYPE, content_type);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    b.body(Body::from(body.to_owned())).unwrap()
}

#[tokio::test]
async fn nul_in_any_text_is_a_422_and_changes_nothing() {
    let app = TestApp::new().await;
    let t = Some(app.admin.as_str());
    // JSON bodies: values, nested values, keys; POST and PATCH.
    for (method, path, body) in [
        (Method::POST, "/api/v1/customers", r#"{"name": "a\u0000b"}"#),
        (Method::POST, "/api/v1/customers", r#"{"name": "ok", "tags": ["x\u0000"]}"#),
        (Method::POST, "/api/v1/leads", r#"{"name": "ok", "notes\u0000": ""}"#),
        (Method::POST, "/api/v1/auth/login", r#"{"username": "admin\u0000", "password": "x"}"#),
        (Method::PATCH, "/api/v1/settings", r#"{"company_name": "\u0000", "version": 1}"#),
    ] {
        let (s, h, p) = app.send(raw(method.clone(), path, t, "application/json", body)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{method} {path} {body}: {p}");
        assert_eq!(h[header::CONTENT_TYPE], "application/problem+json");
        assert_eq!(p["errors"][0]["code"], "contains_nul", "{p}");
    }
    // The sign-in without a token, too.
    let (s, _, p) = app
        .send(raw(
            Method::POST,
            "/api/v1/auth/login",
            None,
            "application/json",
            r#"{"username":"\u0000","password":"p"}"#,
        ))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    // A literal backslash-u text is just text.
    let (s, _, p) =
        app.send(raw(Method::POST, "/api/v1/customers", t, "application/json", r#"{"name": "a\\u0000b"}"#)).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    // Query strings, of lists and filters.
    for path in
        ["/api/v1/customers?q=%00", "/api/v1/contacts?q=a%00b", "/api/v1/users?q=%00", "/api/v1/tasks?assignee=%00"]
    {
        let (s, _, p) = app.send(api_request(Method::GET, path, t, None, &[])).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {p}");
    }
    let (s, list) = app.api(Method::GET, "/api/v1/customers", t, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "only the one good customer was made");
}

#[tokio::test]
async fn nul_in_forms_and_page_queries_is_refused() {
    let app = TestApp::new().await;
    let (_, h, _) = app.send(get("/login", "")).await;
    let anon = cookie(&h, "sf_csrf").unwrap();
    let (s, _, _) = app
        .send(form("/login", &format!("sf_csrf={anon}"), &format!("_csrf={anon}&username=admin%00&password=x")))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (cookies, csrf) = sign_in(&app).await;
    let (s, _, _) = app.send(form("/customers", &cookies, &format!("_csrf={csrf}&name=%E5%8D%8E%00"))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _, page) = app.send(get("/customers?q=%00", &cookies)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.as_str().unwrap().contains("<html"), "the styled error page");
}

#[tokio::test]
async fn tampered_cursors_are_400() {
    let app = TestApp::new().await;
    let t = Some(app.admin.as_str());
    for i in 0..3 {
        app.api(Method::POST, "/api/v1/customers", t, Some(json!({"name": format!("游标客户{i}")}))).await;
    }
    let (s, page) = app.api(Method::GET, "/api/v1/customers?sort=name&limit=1", t, None).await;
    assert_eq!(s, StatusCode::OK);
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let encode = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    for bad in [
        encode(json!({"sort": "name", "key": {"k": "i", "v": 5}, "id": 1})),
        encode(json!({"sort": "name", "key": {"k": "t", "v": "2020-01-01T00:00:00Z"}, "id": 1})),
        encode(json!({"sort": "created_at", "key": {"k": "s", "v": "x"}, "id": 1})),
        encode(json!({"sort": "name", "key": {"k": "s", "v": "x"}, "id": "one"})),
        "garbage!".to_owned(),
    ] {
        let sort = if bad.len() > 40 && bad.contains("Y3JlYXRlZF9hd") { "created_at" } else { "name" };
        let (s, p) = app.api(Method::GET, &format!("/api/v1/customers?sort={sort}&cursor={bad}"), t, None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {p}");
    }
    for sort in ["created_at", "-created_at", "id"] {
        let bad = encode(json!({"sort": sort, "key": {"k": "s", "v": "x"}, "id": 1}));
        let (s, p) = app.api(Method::GET, &format!("/api/v1/customers?sort={sort}&cursor={bad}"), t, None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{sort}: {p}");
    }
    // The real one still works.
    let (s, _) = app.api(Method::GET, &format!("/api/v1/customers?sort=name&limit=1&cursor={cursor}"), t, None).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn unknown_filter_values_are_400() {
    let app = TestApp::new().await;
    let t = Some(app.admin.as_str());
    for path in [
        "/api/v1/customers?grade=junk",
        "/api/v1/leads?status=junk",
        "/api/v1/leads?intention=junk",
        "/api/v1/tasks?status=junk",
        "/api/v1/tasks?priority=junk",
        "/api/v1/tasks?related_type=junk",
        "/api/v1/contacts?role=junk",
        "/api/v1/opportunities?status=junk",
    ] {
        let (s, p) = app.api(Method::GET, path, t, None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{path}: {p}");
        assert_eq!(p["status"], 400, "{path}");
    }
    for path in ["/api/v1/customers?grade=A", "/api/v1/leads?status=new", "/api/v1/tasks?status=open&priority=high"] {
        let (s, p) = app.api(Method::GET, path, t, None).await;
        assert_eq!(s, StatusCode::OK, "{path}: {p}");
    }
}

#[tokio::test]
async fn unparseable_ids_answer_in_the_products_error_shapes() {
    let app = TestApp::new().await;
    let t = Some(app.admin.as_str());
    for path in ["/api/v1/customers/abc", "/api/v1/opportunities/1/checklist/x", "/api/v1/nothing-here"] {
        let (s, h, p) = app.send(api_request(Method::GET, path, t, None, &[])).await;
        assert!(s.is_client_error(), "{path}: {s}");
        assert_eq!(h[header::CONTENT_TYPE], "application/problem+json", "{path}");
        assert_eq!(p["status"], s.as_u16(), "{path}: {p}");
    }
    // A wrong method, too.
    let (s, h, _) = app.send(api_request(Method::PUT, "/api/v1/customers", t, Some(json!({})), &[])).await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(h[header::CONTENT_TYPE], "application/problem+json");
    let (cookies, _) = sign_in(&app).await;
    let (s, h, page) = app.send(get("/customers/abc", &cookies)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(h[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    assert!(page.as_str().unwrap().contains("<html"));
}

#[tokio::test]
async fn answers_are_not_cached_and_hsts_follows_secure_cookies() {
    let app = TestApp::new().await;
    let t = Some(app.admin.as_str());
    for path in ["/api/v1/customers", "/api/v1/customers/export.csv", "/api/v1/customers/999"] {
        let (_, h, _) = app.send(api_request(Method::GET, path, t, None, &[])).await;
        assert_eq!(h[header::CACHE_CONTROL], "no-store", "{path}");
        assert!(h.get(header::STRICT_TRANSPORT_SECURITY).is_none(), "no HSTS over plain HTTP");
    }
    let (cookies, _) = sign_in(&app).await;
    for path in ["/", "/customers", "/customers/export.csv"] {
        let (_, h, _) = app.send(get(path, &cookies)).await;
        assert_eq!(h[header::CACHE_CONTROL], "no-store", "{path}");
    }
    // Static assets keep their long cache.
    let (_, h, _) = app.send(get("/assets/app.css", &cookies)).await;
    assert_ne!(h.get(header::CACHE_CONTROL).map(|v| v.to_str().unwrap()), Some("no-store"));

    let secure = salesflow_web::router(salesflow_web::AppState {
        store: app.store.clone(),
        config: salesflow_web::WebConfig { secure_cookies: true, ..crate::helpers::config() },
    });
    let (_, h, _) = crate::helpers::send_to(&secure, get("/login", "")).await;
    assert!(h[header::STRICT_TRANSPORT_SECURITY].to_str().unwrap().starts_with("max-age="));
}

#[tokio::test]
async fn a_contact_is_edited_on_the_customer_page() {
    let app = TestApp::new().await;
    let t = Some(app.admin.as_str());
    let (_, c) = app.api(Method::POST, "/api/v1/customers", t, Some(json!({"name": "联系人编辑 公司"}))).await;
    let (_, p) = app
        .api(
            Method::POST,
            "/api/v1/contacts",
            t,
            Some(json!({"customer_id": c["id"], "name": "王芳", "phone": "0571-1234567", "role": "handler",
                        "notes": "周三在"})),
        )
        .await;
    let (cookies, csrf) = sign_in(&app).await;
    let (s, _, page) = app.send(get(&format!("/customers/{}?edit_contact={}", c["id"], p["id"]), &cookies)).await;
    assert_eq!(s, StatusCode::OK);
    let html = page.as_str().unwrap();
    assert!(html.contains(&format!("action=\"/contacts/{}/edit\"", p["id"])), "the edit form");
    assert!(html.contains("Edit contact") && html.contains("value=\"王芳\""));

    // A field error is shown under the field, the input kept.
    let path = format!("/contacts/{}/edit", p["id"]);
    let body = format!("_csrf={csrf}&version=1&name=&title=&mobile=&phone=0571&email=bad&role=handler");
    let (s, _, page) = app.send(form(&path, &cookies, &body)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let html = page.as_str().unwrap();
    assert!(html.contains("field-error"), "field errors shown");
    assert!(html.contains(&format!("action=\"/contacts/{}/edit\"", p["id"])), "still editing");

    // Saved; notes (not on the form) stay.
    let body = format!(
        "_csrf={csrf}&version=1&name=%E7%8E%8B%E8%8A%B3&title=CEO&mobile=&phone=0571-7654321&email=&role=decision_maker"
    );
    let (s, _, _) = app.send(form(&path, &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, now) = app.api(Method::GET, &format!("/api/v1/contacts/{}", p["id"]), t, None).await;
    assert_eq!(
        (now["title"].as_str(), now["role"].as_str(), now["notes"].as_str()),
        (Some("CEO"), Some("decision_maker"), Some("周三在"))
    );

    // The same form again (version 1) is now stale: the conflict message.
    let (s, _, page) = app.send(form(&path, &cookies, &body)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // (Forms are posted without Accept-Language: the company's language.)
    let html = page.as_str().unwrap();
    assert!(html.contains("class=\"notice error\" role=\"alert\">该记录已被他人修改"), "conflict message");
}

#[test]
fn the_document_describes_the_refusals_formats_and_patch_bodies() {
    use salesflow_web::api::authz::{Need, need_of};
    let doc: Value = serde_json::from_str(salesflow_web::api::openapi_document()).unwrap();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let public = need_of(&m, path.trim_start_matches("/api/v1")) == Some(Need::Public);
            let responses = op["responses"].as_object().unwrap();
            let mut wanted = vec!["400", "404"];
            if !public {
                wanted.extend(["401", "403"]);
            }
            if op.get("requestBody").is_some() {
                wanted.extend(["415", "422"]);
            }
            for status in wanted {
                assert!(responses.contains_key(status), "{method} {path} lacks {status}");
            }
            for (status, response) in responses {
                if status.starts_with('4') {
                    let content = response["content"].as_object().unwrap();
                    assert!(
                        content.keys().all(|k| k == "application/problem+json"),
                        "{method} {path} {status}: {content:?}"
                    );
                }
            }
            for p in op["parameters"].as_array().into_iter().flatten() {
                if p["name"] == "limit" {
                    assert_eq!(p["schema"]["maximum"], 500, "{method} {path}");
                }
            }
            if method == "patch" {
                let r = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str().unwrap();
                assert!(r.ends_with("Patch"), "{method} {path}: {r}");
                let schema = &doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")];
                let required = schema["required"].as_array().unwrap();
                assert!(required.iter().all(|f| f == "version"), "{method} {path}: {required:?}");
            }
        }
    }
    // Days and instants given as text say which.
    let due = &doc["components"]["schemas"]["TaskBody"]["properties"]["due_date"];
    assert!(due.to_string().contains("\"date\"") && due.to_string().contains("date-time"), "{due}");
    let at = &doc["components"]["schemas"]["CustomerView"]["properties"]["created_at"];
    assert_eq!(at["format"], "date-time", "{at}");
}

#[tokio::test]
async fn every_documented_filter_value_is_accepted() {
    let app = TestApp::new().await;
    let doc: Value = serde_json::from_str(salesflow_web::api::openapi_document()).unwrap();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(op) = item.get("get") else { continue };
        if path.contains('{') || path.ends_with(".xlsx") {
            continue;
        }
        for p in op["parameters"].as_array().into_iter().flatten() {
            let Some(values) = p["schema"]["enum"].as_array() else { continue };
            for v in values {
                let url = format!("{path}?{}={}", p["name"].as_str().unwrap(), v.as_str().unwrap());
                let (s, body) = app.api(Method::GET, &url, Some(&app.admin), None).await;
                assert_eq!(s, StatusCode::OK, "{url}: {body}");
                checked += 1;
            }
        }
    }
    assert!(checked >= 30, "only {checked} filter values documented");
}

#[tokio::test]
async fn page_forms_refuse_a_role_without_the_right_before_reading_the_form() {
    let app = TestApp::new().await;
    app.create_user("page.sales", "salesperson", None).await;
    app.create_user("page.boss", "management", None).await;
    let (sales, sales_csrf) = sign_in_as(&app, "page.sales", USER_PASSWORD, "/").await;
    let (boss, boss_csrf) = sign_in_as(&app, "page.boss", USER_PASSWORD, "/").await;
    // Garbage forms: a field error would mean the form was read first.
    for (cookies, csrf, path) in [
        (&sales, &sales_csrf, "/admin/users"),
        (&sales, &sales_csrf, "/admin/roles"),
        (&sales, &sales_csrf, "/admin/settings"),
        (&sales, &sales_csrf, "/admin/lost-reasons"),
        (&sales, &sales_csrf, "/customers/1/merge"),
        (&boss, &boss_csrf, "/customers"),
        (&boss, &boss_csrf, "/leads"),
        (&boss, &boss_csrf, "/opportunities"),
        (&boss, &boss_csrf, "/tasks"),
    ] {
        let (s, _, page) = app.send(form(path, cookies, &format!("_csrf={csrf}&role_id=x&name=&email=bad"))).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{path}");
        assert!(!page.as_str().unwrap().contains("field-error"), "{path}: no field errors");
    }
    // With the right, the same form is read and its errors shown.
    let (s, _, _) = app.send(form("/customers", &sales, &format!("_csrf={sales_csrf}&name="))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}
