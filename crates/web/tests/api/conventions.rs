//! API conventions: problem JSON, strict bodies, idempotency, audit,
//! settings, OpenAPI.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;

use crate::helpers::{TestApp, api_request};

async fn raw(app: &TestApp, body: &str, content_type: &str) -> (StatusCode, serde_json::Value, String) {
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/departments")
        .header(header::AUTHORIZATION, format!("Bearer {}", app.admin))
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body.to_owned()))
        .unwrap();
    let (s, h, json) = app.send(request).await;
    let ct = h.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    (s, json, ct)
}

#[tokio::test]
async fn bad_bodies_are_problems_never_500() {
    let app = TestApp::new().await;
    let (s, p, ct) = raw(&app, "{\"name\": ", "application/json").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(ct, "application/problem+json");
    assert_eq!(p["status"], 400);
    let (s, p, _) = raw(&app, "{\"name\": 42}", "application/json").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let (s, p, _) = raw(&app, "{\"name\": \"销售部\", \"colour\": \"red\"}", "application/json").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p["detail"].as_str().unwrap().contains("colour"));
    let (s, _, _) = raw(&app, "{}", "application/json").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _, _) = raw(&app, "name=x", "text/plain").await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let long = json!({"name": "部".repeat(101)}).to_string();
    let (s, p, _) = raw(&app, &long, "application/json").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "name");
    assert_eq!(p["errors"][0]["code"], "too_long");
    let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(3 * 1024 * 1024));
    let (s, _, _) = raw(&app, &huge, "application/json").await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    // Nothing of it was stored.
    let (_, list) = app.departments().list("").await;
    assert_eq!(list.as_array().unwrap().len(), 0);
    // Unknown endpoints and ids are problem JSON too.
    let (s, p) = app.api(Method::GET, "/api/v1/nothing-here", Some(&app.admin), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(p["status"], 404);
    let (s, _) = app.users().get("not-a-number").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = app.users().list("limit=many").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn problem_messages_follow_the_language() {
    let app = TestApp::new().await;
    let (s, _, p) = app
        .send(api_request(
            Method::POST,
            "/api/v1/departments",
            Some(&app.admin),
            Some(json!({"name": ""})),
            &[("accept-language", "zh-CN,zh;q=0.9")],
        ))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["message"], "必填。");
    assert_eq!(p["title"], "输入有误");
}

#[tokio::test]
async fn idempotency_key_makes_a_retry_return_the_first_result() {
    let app = TestApp::new().await;
    let body = json!({"name": "华东销售组"});
    let send = || {
        app.send(api_request(
            Method::POST,
            "/api/v1/departments",
            Some(&app.admin),
            Some(body.clone()),
            &[("idempotency-key", "k-123")],
        ))
    };
    let (s1, _, first) = send().await;
    let (s2, h2, second) = send().await;
    assert_eq!(s1, StatusCode::CREATED);
    assert_eq!(s2, StatusCode::CREATED);
    assert_eq!(first, second);
    assert_eq!(h2.get("idempotent-replayed").unwrap(), "true");
    let (_, list) = app.departments().list("").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    // The same key on another endpoint is refused.
    let (s, _, _) = app
        .send(api_request(
            Method::POST,
            "/api/v1/roles",
            Some(&app.admin),
            Some(json!({})),
            &[("idempotency-key", "k-123")],
        ))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn changes_and_sign_ins_are_audited_with_before_and_after() {
    let app = TestApp::new().await;
    let id = app.create_user("sarah.chen", "marketing", None).await;
    let (_, user) = app.users().get(id).await;
    app.users().patch(id, &json!({"version": user["version"], "display_name": "陈莎 Sarah"})).await;
    let (_, log) = app.audit_log().list(&format!("entity_type=user&entity_id={id}")).await;
    let items = log["items"].as_array().unwrap();
    assert_eq!(items[0]["action"], "user.update");
    assert_eq!(items[0]["actor_name"], "admin");
    assert_eq!(items[0]["before"]["display_name"], "sarah.chen");
    assert_eq!(items[0]["after"]["display_name"], "陈莎 Sarah");
    assert_eq!(items[0]["ip"], "203.0.113.7");
    assert!(items[0]["after"].get("password_hash").is_none(), "no secrets in the audit log");
    assert_eq!(items[1]["action"], "user.create");
    let (_, logins) = app.audit_log().list("action=auth.").await;
    assert!(logins["items"].as_array().unwrap().iter().any(|e| e["action"] == "auth.login"));
    let (s, _) = app.audit_log().list("from=yesterday").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn settings_validate_and_check_the_version() {
    let app = TestApp::new().await;
    let (s, settings) = app.api(Method::GET, "/api/v1/settings", Some(&app.admin), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(settings["currency"], "CNY");
    let mut bad = settings.clone();
    bad["time_zone"] = json!("Mars/Olympus");
    bad["fiscal_year_start_month"] = json!(13);
    let (s, p) = app.api(Method::PATCH, "/api/v1/settings", Some(&app.admin), Some(bad)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"].as_array().unwrap().len(), 2);
    let mut good = settings.clone();
    good["company_name"] = json!("华信科技 Huaxin Tech");
    good["fiscal_year_start_month"] = json!(4);
    let (s, saved) = app.api(Method::PATCH, "/api/v1/settings", Some(&app.admin), Some(good.clone())).await;
    assert_eq!(s, StatusCode::OK, "{saved}");
    assert_eq!(saved["company_name"], "华信科技 Huaxin Tech");
    let (s, _) = app.api(Method::PATCH, "/api/v1/settings", Some(&app.admin), Some(good)).await;
    assert_eq!(s, StatusCode::CONFLICT);
    // Only administrators change settings.
    let (_, token) = app.signed_in("li.na", "salesperson", None).await;
    let (s, _) = app.api(Method::PATCH, "/api/v1/settings", Some(&token), Some(saved)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_audit_row_is_rolled_back_with_its_change() {
    use salesflow_store::entity::audit_entry;
    use sea_orm::{EntityTrait, PaginatorTrait};
    let app = TestApp::new().await;
    let before = audit_entry::Entity::find().count(app.store.reader()).await.unwrap();
    let txn = app.store.begin().await.unwrap();
    salesflow_store::audit::record(&txn, &salesflow_store::Actor::system(), "test.change", "test", Some(1), None, None)
        .await
        .unwrap();
    drop(txn); // rolled back
    assert_eq!(audit_entry::Entity::find().count(app.store.reader()).await.unwrap(), before);
    // A refused change writes no audit row either.
    let (s, _) = app.departments().post(&json!({"name": ""})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(audit_entry::Entity::find().count(app.store.reader()).await.unwrap(), before);
}

#[tokio::test]
async fn openapi_document_describes_the_api() {
    let app = TestApp::new().await;
    let (s, doc) = app.api(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(doc["info"]["title"], "Salesflow API");
    for path in [
        "/api/v1/auth/login",
        "/api/v1/users",
        "/api/v1/users/{id}",
        "/api/v1/audit-log",
        "/api/v1/settings",
        "/api/v1/roles",
    ] {
        assert!(doc["paths"].get(path).is_some(), "missing {path}");
    }
    let (s, html) = app.api(Method::GET, "/api/docs", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.as_str().unwrap().contains("/assets/vendor/swagger-ui-bundle.js"));
    let (s, _) = app.api(Method::GET, "/assets/vendor/swagger-ui-bundle.js", None, None).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::new().await;
    let (s, _) = app.api(Method::GET, "/healthz", None, None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.api(Method::GET, "/readyz", None, None).await;
    assert_eq!(s, StatusCode::OK);
}

/// Every action on a record (`POST …/{id}/…`) whose body has no required
/// field takes a bare `POST`, with no body and no content type: the
/// approve of an order once needed `{}`.
#[tokio::test]
async fn actions_whose_fields_are_all_optional_take_no_body() {
    let app = TestApp::new().await;
    let document: serde_json::Value = serde_json::from_str(salesflow_web::api::openapi_document()).unwrap();
    let schemas = &document["components"]["schemas"];
    let (mut checked, mut refused) = (Vec::new(), Vec::new());
    for (path, ops) in document["paths"].as_object().unwrap() {
        let Some(post) = ops.get("post") else { continue };
        if !path.contains('{') {
            continue;
        }
        let body = &post["requestBody"];
        let schema = &body["content"]["application/json"]["schema"];
        let required = match schema["$ref"].as_str() {
            Some(r) => schemas[r.rsplit('/').next().unwrap()]["required"].as_array().map_or(0, Vec::len),
            None if body.is_null() => 0,
            // A file upload, a list or an inline schema: a body is needed.
            None => 1,
        };
        if required > 0 {
            continue;
        }
        // No such record, or a field the action needs (a reason to terminate):
        // either way the body was accepted and the store answered.
        let uri =
            path.split('/').map(|s| if s.starts_with('{') { "987654321" } else { s }).collect::<Vec<_>>().join("/");
        let request = Request::builder()
            .method(Method::POST)
            .uri(&uri)
            .header(header::AUTHORIZATION, format!("Bearer {}", app.admin))
            .body(Body::empty())
            .unwrap();
        let (s, _, p) = app.send(request).await;
        let field_error = s == StatusCode::UNPROCESSABLE_ENTITY && p["errors"][0]["field"] != "body";
        if s != StatusCode::NOT_FOUND && !field_error {
            refused.push(format!("{path}: {s} {p}"));
        }
        checked.push(path.clone());
    }
    assert!(refused.is_empty(), "refused a bare POST:\n{}", refused.join("\n"));
    for must in ["/api/v1/orders/{id}/approve", "/api/v1/purchase-orders/{id}/order", "/api/v1/opportunities/{id}/win"]
    {
        assert!(checked.iter().any(|p| p == must), "{must} was not checked: {checked:?}");
    }
}
