//! Typed calls on the JSON API's collections, so that a test says what it
//! does (`app.customers().get(id)`) rather than how a request is built.

use std::fmt::Display;

use axum::http::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::TestApp;

/// One collection of the API, `/api/v1/<name>`, called with one token: the
/// administrator's unless [`Resource::by`] names another caller.
///
/// Calls answer `(status, body)` as [`TestApp::api`] does, so the test checks
/// the status it expects; only [`Resource::create`] asserts it (201).
#[derive(Clone, Copy)]
pub struct Resource<'a> {
    app: &'a TestApp,
    token: &'a str,
    name: &'static str,
}

impl<'a> Resource<'a> {
    /// The same collection, called by the holder of `token`.
    pub fn by(self, token: &'a str) -> Self {
        Resource { token, ..self }
    }

    fn path(&self, rest: impl Display) -> String {
        format!("/api/v1/{}{rest}", self.name)
    }

    async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> (StatusCode, Value) {
        self.app.api(method, path, Some(self.token), body.cloned()).await
    }

    /// `POST /<name>` that must create: the new record.
    pub async fn create(&self, body: &Value) -> Value {
        let (status, created) = self.post(body).await;
        assert_eq!(status, StatusCode::CREATED, "POST {}: {created}", self.path(""));
        created
    }

    /// `POST /<name>`, whatever it answers.
    pub async fn post(&self, body: &Value) -> (StatusCode, Value) {
        self.call(Method::POST, &self.path(""), Some(body)).await
    }

    /// `GET /<name>?<query>` (without `?` when the query is empty).
    pub async fn list(&self, query: &str) -> (StatusCode, Value) {
        let path = if query.is_empty() { self.path("") } else { self.path(format_args!("?{query}")) };
        self.call(Method::GET, &path, None).await
    }

    /// `GET /<name>/<id>`.
    pub async fn get(&self, id: impl Display) -> (StatusCode, Value) {
        self.call(Method::GET, &self.path(format_args!("/{id}")), None).await
    }

    /// `PATCH /<name>/<id>`.
    pub async fn patch(&self, id: impl Display, body: &Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, &self.path(format_args!("/{id}")), Some(body)).await
    }

    /// `DELETE /<name>/<id>`.
    pub async fn delete(&self, id: impl Display) -> (StatusCode, Value) {
        self.call(Method::DELETE, &self.path(format_args!("/{id}")), None).await
    }

    /// `POST /<name>/<id>/<action>` (claim, win, restore, …), with a body or none.
    pub async fn act(&self, id: impl Display, action: &str, body: Option<&Value>) -> (StatusCode, Value) {
        self.call(Method::POST, &self.path(format_args!("/{id}/{action}")), body).await
    }

    /// `GET /<name>/<id>/<part>` (history, convert, …).
    pub async fn get_part(&self, id: impl Display, part: &str) -> (StatusCode, Value) {
        self.call(Method::GET, &self.path(format_args!("/{id}/{part}")), None).await
    }
}

impl TestApp {
    fn resource(&self, name: &'static str) -> Resource<'_> {
        Resource { app: self, token: &self.admin, name }
    }

    pub fn activities(&self) -> Resource<'_> {
        self.resource("activities")
    }

    pub fn api_tokens(&self) -> Resource<'_> {
        self.resource("api-tokens")
    }

    pub fn audit_log(&self) -> Resource<'_> {
        self.resource("audit-log")
    }

    pub fn contacts(&self) -> Resource<'_> {
        self.resource("contacts")
    }

    pub fn customers(&self) -> Resource<'_> {
        self.resource("customers")
    }

    pub fn departments(&self) -> Resource<'_> {
        self.resource("departments")
    }

    pub fn imports(&self) -> Resource<'_> {
        self.resource("imports")
    }

    pub fn leads(&self) -> Resource<'_> {
        self.resource("leads")
    }

    pub fn lost_reasons(&self) -> Resource<'_> {
        self.resource("lost-reasons")
    }

    pub fn notifications(&self) -> Resource<'_> {
        self.resource("notifications")
    }

    pub fn orders(&self) -> Resource<'_> {
        self.resource("orders")
    }

    pub fn quotes(&self) -> Resource<'_> {
        self.resource("quotes")
    }

    pub fn approval_rules(&self) -> Resource<'_> {
        self.resource("approval-rules")
    }

    pub fn approvals(&self) -> Resource<'_> {
        self.resource("approvals")
    }

    pub fn opportunities(&self) -> Resource<'_> {
        self.resource("opportunities")
    }

    pub fn outbox(&self) -> Resource<'_> {
        self.resource("outbox")
    }

    pub fn picklists(&self) -> Resource<'_> {
        self.resource("picklists")
    }

    pub fn pipelines(&self) -> Resource<'_> {
        self.resource("pipelines")
    }

    pub fn products(&self) -> Resource<'_> {
        self.resource("products")
    }

    pub fn product_categories(&self) -> Resource<'_> {
        self.resource("product-categories")
    }

    pub fn warehouses(&self) -> Resource<'_> {
        self.resource("warehouses")
    }

    pub fn stock(&self) -> Resource<'_> {
        self.resource("stock")
    }

    pub fn stock_movements(&self) -> Resource<'_> {
        self.resource("stock-movements")
    }

    pub fn suppliers(&self) -> Resource<'_> {
        self.resource("suppliers")
    }

    pub fn purchase_orders(&self) -> Resource<'_> {
        self.resource("purchase-orders")
    }

    pub fn returns(&self) -> Resource<'_> {
        self.resource("returns")
    }

    pub fn contracts(&self) -> Resource<'_> {
        self.resource("contracts")
    }

    pub fn roles(&self) -> Resource<'_> {
        self.resource("roles")
    }

    pub fn saved_views(&self) -> Resource<'_> {
        self.resource("saved-views")
    }

    pub fn tasks(&self) -> Resource<'_> {
        self.resource("tasks")
    }

    pub fn users(&self) -> Resource<'_> {
        self.resource("users")
    }

    /// `GET /api/v1/me`: the account of the holder of `token`.
    pub async fn me(&self, token: &str) -> (StatusCode, Value) {
        self.api(Method::GET, "/api/v1/me", Some(token), None).await
    }
}
