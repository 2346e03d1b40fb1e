//! The records most tests start from, created through the API.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, USER_PASSWORD};

impl TestApp {
    /// A department at the top of the tree: its id.
    pub async fn department(&self, name: &str) -> i64 {
        let created = self.departments().create(&json!({ "name": name })).await;
        created["id"].as_i64().unwrap()
    }

    /// A department under `parent` (or at the top): its id.
    pub async fn department_under(&self, name: &str, parent: Option<i64>) -> i64 {
        let created = self.departments().create(&json!({ "name": name, "parent_id": parent })).await;
        created["id"].as_i64().unwrap()
    }

    /// A customer named `name`, created by the holder of `token` (so owned
    /// by a salesperson who creates it): its id.
    pub async fn customer(&self, token: &str, name: &str) -> i64 {
        let created = self.customers().by(token).create(&json!({ "name": name })).await;
        created["id"].as_i64().unwrap()
    }

    /// A new user of `role` (a role code) in `department`, signed in: its id
    /// and token.
    pub async fn signed_in(&self, username: &str, role: &str, department: Option<i64>) -> (i64, String) {
        let id = self.create_user(username, role, department).await;
        (id, self.login(username, USER_PASSWORD).await)
    }

    /// Sets how many pool customers one person may claim a day.
    pub async fn set_claim_limit(&self, limit: u32) {
        let (_, mut settings) = self.api(Method::GET, "/api/v1/settings", Some(&self.admin), None).await;
        settings["pool_claim_limit"] = json!(limit);
        let (status, body) = self.api(Method::PATCH, "/api/v1/settings", Some(&self.admin), Some(settings)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    /// A product with this code (list price 100.00, reorder point `reorder`): its id.
    pub async fn product(&self, code: &str, reorder: &str) -> i64 {
        let body = json!({"code": code, "name": format!("产品 {code}"), "unit": "台", "list_price": "100.00",
                          "reorder_point": reorder});
        self.products().create(&body).await["id"].as_i64().unwrap()
    }

    /// A warehouse with this code: its id.
    pub async fn warehouse(&self, code: &str) -> i64 {
        self.warehouses().create(&json!({"code": code, "name": format!("仓库 {code}")})).await["id"].as_i64().unwrap()
    }

    /// Puts `quantity` of a product into a warehouse (a receipt).
    pub async fn receive(&self, product: i64, warehouse: i64, quantity: &str) {
        let body = json!({"kind": "receipt", "product_id": product, "warehouse_id": warehouse, "quantity": quantity});
        self.stock_movements().create(&body).await;
    }
}
