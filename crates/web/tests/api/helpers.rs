//! A fresh, migrated database per test — an SQLite file by default, a new
//! PostgreSQL database when `SALESFLOW_TEST_DATABASE_URL` is set — and the
//! real router called in-process.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use rand::Rng;
use salesflow_store::access::{self, NewUser};
use salesflow_store::{Actor, Store};
use salesflow_web::{AppState, WebConfig, router};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use tower::ServiceExt;

pub const ADMIN_PASSWORD: &str = "admin-password-1";
/// The password of every user the tests create.
pub const USER_PASSWORD: &str = "password-123";

pub struct TestApp {
    pub store: Store,
    pub router: Router,
    pub admin: String,
    pub url: String,
    sqlite_file: Option<std::path::PathBuf>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(f) = &self.sqlite_file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", f.display()));
            }
        }
    }
}

pub fn unique(prefix: &str) -> String {
    format!("{prefix}{:016x}", rand::rng().random::<u64>())
}

/// A new empty database: its URL and, for SQLite, the file to delete.
pub async fn fresh_database() -> (String, Option<std::path::PathBuf>) {
    match std::env::var("SALESFLOW_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        Some(server) => {
            let name = unique("sf_test_");
            let admin = sea_orm::Database::connect(&server).await.expect("connect to the PostgreSQL test server");
            admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
            let base = server.rsplit_once('/').map(|(b, _)| b).unwrap_or(&server);
            (format!("{base}/{name}"), None)
        }
        None => {
            let file = std::env::temp_dir().join(format!("{}.db", unique("salesflow-test-")));
            (format!("sqlite://{}?mode=rwc", file.display()), Some(file))
        }
    }
}

pub fn config() -> WebConfig {
    WebConfig { trust_proxy: true, public_url: "http://salesflow.test".into(), ..WebConfig::default() }
}

impl TestApp {
    pub async fn new() -> TestApp {
        let (url, sqlite_file) = fresh_database().await;
        let store = Store::connect(&url).await.expect("connect");
        store.migrate().await.expect("migrate");
        access::bootstrap(&store).await.expect("bootstrap");
        let admin_role = access::role_by_code(&store, "admin").await.unwrap().unwrap();
        access::create_user(
            &store,
            &Actor::system(),
            NewUser {
                username: "admin".into(),
                email: "admin@example.com".into(),
                display_name: "Admin".into(),
                password: ADMIN_PASSWORD.into(),
                role_id: admin_role.id,
                ..Default::default()
            },
        )
        .await
        .expect("admin");
        let router = router(AppState { store: store.clone(), config: config() });
        let mut app = TestApp { store, router, admin: String::new(), url, sqlite_file };
        app.admin = app.login("admin", ADMIN_PASSWORD).await;
        app
    }

    /// A second node: another router and store on the same database.
    pub async fn second_node(&self) -> Router {
        let store = Store::connect(&self.url).await.expect("connect");
        router(AppState { store, config: config() })
    }

    pub async fn send(&self, request: Request<Body>) -> (StatusCode, HeaderMap, Value) {
        send_to(&self.router, request).await
    }

    /// A JSON API call with an optional bearer token.
    pub async fn api(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let (status, _, json) = self.send(api_request(method, path, token, body, &[])).await;
        (status, json)
    }

    /// A sign-in through the JSON API, whatever it answers.
    pub async fn try_login(&self, username: &str, password: &str) -> (StatusCode, Value) {
        let (status, _, body) = self.send(login_request(username, password, &[])).await;
        (status, body)
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let (status, body) = self.try_login(username, password).await;
        assert_eq!(status, StatusCode::OK, "login of {username} failed: {body}");
        body["token"].as_str().expect("token").to_owned()
    }

    pub async fn role_id(&self, code: &str) -> i64 {
        access::role_by_code(&self.store, code).await.unwrap().unwrap().id
    }

    /// Creates a role (`role`: the body of `POST /roles`) and a user holding
    /// it, both through the API, and returns the user's token.
    pub async fn sign_in_with_new_role(&self, username: &str, role: serde_json::Value) -> String {
        let (status, role) = self.api(Method::POST, "/api/v1/roles", Some(&self.admin), Some(role)).await;
        assert_eq!(status, StatusCode::CREATED, "{role}");
        let (status, user) = self
            .api(
                Method::POST,
                "/api/v1/users",
                Some(&self.admin),
                Some(json!({"username": username, "email": format!("{username}@example.com"),
                            "display_name": username, "password": USER_PASSWORD, "role_id": role["id"]})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{user}");
        self.login(username, USER_PASSWORD).await
    }

    /// Creates a user through the API and returns its id.
    pub async fn create_user(&self, username: &str, role: &str, department_id: Option<i64>) -> i64 {
        let role_id = self.role_id(role).await;
        let (status, body) = self
            .api(
                Method::POST,
                "/api/v1/users",
                Some(&self.admin),
                Some(json!({
                    "username": username,
                    "email": format!("{username}@example.com"),
                    "display_name": username,
                    "password": USER_PASSWORD,
                    "role_id": role_id,
                    "department_id": department_id,
                })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_i64().unwrap()
    }
}

pub fn api_request(
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(path);
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("x-forwarded-for")) {
        builder = builder.header("x-forwarded-for", "203.0.113.7");
    }
    if let Some(t) = token {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    match body {
        Some(b) => builder.header(header::CONTENT_TYPE, "application/json").body(Body::from(b.to_string())).unwrap(),
        None => builder.body(Body::empty()).unwrap(),
    }
}

/// The JSON API's sign-in request, with `headers` (such as the address it
/// comes from, `x-forwarded-for`).
pub fn login_request(username: &str, password: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let body = json!({"username": username, "password": password});
    api_request(Method::POST, "/api/v1/auth/login", None, Some(body), headers)
}

pub async fn send_to(router: &Router, request: Request<Body>) -> (StatusCode, HeaderMap, Value) {
    let response = router.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    let json =
        serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, headers, json)
}

/// SQLite's plan of a statement the API sent (`EXPLAIN QUERY PLAN`), one
/// line per step.
pub async fn sqlite_plan(store: &salesflow_store::Store, statement: &sea_orm::Statement) -> Vec<String> {
    let explain = sea_orm::Statement {
        sql: format!("EXPLAIN QUERY PLAN {}", statement.sql),
        values: statement.values.clone(),
        db_backend: statement.db_backend,
    };
    sea_orm::ConnectionTrait::query_all_raw(store.reader(), explain)
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get_by_index::<String>(3).unwrap())
        .collect()
}
