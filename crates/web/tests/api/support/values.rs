//! Readers of the API's answers.

use axum::http::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{TestApp, api_request};

/// The ids of a page of a list, in its order.
pub fn ids(page: &Value) -> Vec<i64> {
    page["items"].as_array().unwrap().iter().map(|item| item["id"].as_i64().unwrap()).collect()
}

/// `POST <path>` by the holder of `token` that must succeed (any 2xx):
/// the answer.
pub async fn post_ok(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let (s, v) = app.api(Method::POST, path, Some(token), Some(body)).await;
    assert!(s.is_success(), "{path}: {s} {v}");
    v
}

/// The field errors of a problem answer, each as `field:code`.
pub fn field_codes(problem: &Value) -> Vec<String> {
    problem["errors"].as_array().map_or_else(Vec::new, |a| {
        a.iter()
            .map(|e| format!("{}:{}", e["field"].as_str().unwrap_or(""), e["code"].as_str().unwrap_or("")))
            .collect()
    })
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

/// `GET <path>` by the administrator, reading Chinese: a CSV file for Excel
/// (200, `text/csv`, a UTF-8 byte-order mark). Its text after the mark.
pub async fn csv_export(app: &TestApp, path: &str) -> String {
    let (s, headers, body) =
        app.send(api_request(Method::GET, path, Some(&app.admin), None, &[("accept-language", "zh-CN")])).await;
    assert_eq!(s, StatusCode::OK);
    assert!(headers.get("content-type").unwrap().to_str().unwrap().starts_with("text/csv"));
    let text = body.as_str().unwrap();
    assert!(text.starts_with('\u{feff}'), "UTF-8 byte-order mark for Excel");
    text.trim_start_matches('\u{feff}').to_owned()
}
