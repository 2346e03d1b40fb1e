//! Permission is decided before the body is read: every route of the
//! OpenAPI document declares what it needs, and a caller without it hears
//! 403 (or 401 when not signed in) whatever the body holds.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use salesflow_domain::access::{Action, Module, Permissions};
use salesflow_web::api::authz::{Need, need_of};
use serde_json::{Value, json};

use crate::helpers::{TestApp, api_request};

/// `(method, path)` of every operation in the document, paths without `/api/v1`.
fn operations() -> Vec<(Method, String)> {
    let document: Value = serde_json::from_str(salesflow_web::api::openapi_document()).unwrap();
    let mut ops = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                ops.push((m, path.trim_start_matches("/api/v1").to_owned()));
            }
        }
    }
    ops
}

/// A concrete address for a path template (ids that do not exist).
fn concrete(path: &str) -> String {
    let mut out = String::from("/api/v1");
    for part in path.split('/').filter(|p| !p.is_empty()) {
        out.push('/');
        out.push_str(match part {
            "{list}" => "customers",
            p if p.starts_with('{') => "999999",
            p => p,
        });
    }
    out
}

fn allowed(need: Need, permissions: &Permissions) -> bool {
    match need {
        Need::Public | Need::SignedIn => true,
        Need::Right(m, a) => permissions.allows(m, a),
        Need::AnyOf(rights) => rights.iter().any(|(m, a)| permissions.allows(*m, *a)),
    }
}

#[test]
fn every_route_declares_what_it_needs() {
    let missing: Vec<String> =
        operations().into_iter().filter(|(m, p)| need_of(m, p).is_none()).map(|(m, p)| format!("{m} {p}")).collect();
    assert!(missing.is_empty(), "routes without a declared permission in api/authz.rs: {missing:#?}");
    // And the table names no route the document lacks.
    let ops = operations();
    for (m, p, _) in salesflow_web::api::authz::ROUTES {
        assert!(ops.iter().any(|(om, op)| om.as_str() == *m && op == p), "{m} {p} is not a route");
    }
}

#[tokio::test]
async fn a_caller_without_the_right_gets_403_whatever_the_body() {
    let app = TestApp::new().await;
    // A role with no rights at all, and the built-in salesperson.
    let nothing = app
        .sign_in_with_new_role(
            "no.rights",
            json!({"code": "nothing", "name": "无权限", "data_scope": "own", "permissions": {}}),
        )
        .await;
    let (_, sales) = app.signed_in("sales.person", "salesperson", None).await;
    let sales_rights =
        salesflow_domain::access::built_in_roles().into_iter().find(|r| r.code == "salesperson").unwrap().permissions;

    // The case.
    let (s, p) = app.users().by(&sales).post(&json!({"username": 1})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{p}");
    assert_eq!(p["status"], 403);

    let mut checked = 0;
    for (method, path) in operations() {
        let need = need_of(&method, &path).unwrap();
        let url = concrete(&path);
        for (token, rights) in [(&nothing, Permissions::default()), (&sales, sales_rights.clone())] {
            if allowed(need, &rights) {
                continue;
            }
            // Invalid JSON, a wrong body and no body: always 403.
            for body in [Some("{\"bogus\": "), Some("{\"bogus\": [1]}"), None] {
                let mut builder = Request::builder()
                    .method(method.clone())
                    .uri(format!("{url}?limit=junk&cursor=%00"))
                    .header(header::AUTHORIZATION, format!("Bearer {token}"));
                if body.is_some() {
                    builder = builder.header(header::CONTENT_TYPE, "application/json");
                }
                let request = builder.body(body.map(Body::from).unwrap_or_else(Body::empty)).unwrap();
                let (s, _, p) = app.send(request).await;
                assert_eq!(s, StatusCode::FORBIDDEN, "{method} {path} with {body:?}: {p}");
                assert_eq!(p["type"], "https://salesflow.dev/problems/forbidden", "{method} {path}");
            }
            checked += 1;
        }
    }
    assert!(checked > 60, "only {checked} refusals checked");
}

#[tokio::test]
async fn without_a_session_every_private_route_is_401_with_bearer() {
    let app = TestApp::new().await;
    for (method, path) in operations() {
        if need_of(&method, &path) == Some(Need::Public) {
            continue;
        }
        let (s, headers, p) =
            app.send(api_request(method.clone(), &concrete(&path), None, Some(json!({"bogus": 1})), &[])).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{method} {path}: {p}");
        assert_eq!(headers[header::WWW_AUTHENTICATE], "Bearer", "{method} {path}");
        assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json", "{method} {path}");
    }
    // A wrong bearer token too.
    let (s, headers, _) = app.send(api_request(Method::GET, "/api/v1/customers", Some("not-a-token"), None, &[])).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(headers[header::WWW_AUTHENTICATE], "Bearer");
}

#[test]
fn the_declarations_agree_with_the_store_for_a_few_known_rights() {
    // Spot checks against the store's own first check.
    assert_eq!(need_of(&Method::POST, "/users"), Some(Need::Right(Module::Access, Action::Create)));
    assert_eq!(need_of(&Method::PATCH, "/customers/{id}"), Some(Need::Right(Module::Customers, Action::Edit)));
    assert_eq!(need_of(&Method::POST, "/auth/login"), Some(Need::Public));
}
