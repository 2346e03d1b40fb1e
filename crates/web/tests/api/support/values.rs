//! Readers of the API's answers.

use serde_json::Value;

use crate::helpers::TestApp;

/// The ids of a page of a list, in its order.
pub fn ids(page: &Value) -> Vec<i64> {
    page["items"].as_array().unwrap().iter().map(|item| item["id"].as_i64().unwrap()).collect()
}

/// `s` as a query-string value.
pub fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The audit actions recorded on one record, newest first.
pub async fn audit_actions(app: &TestApp, entity_type: &str, entity_id: i64) -> Vec<String> {
    let (_, log) = app.audit_log().list(&format!("entity_type={entity_type}&entity_id={entity_id}")).await;
    log["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect()
}
