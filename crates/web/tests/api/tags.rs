//! Customers' tags (their own table since migration 000017): the filter
//! matches a tag exactly after trimming, case included, on both backends;
//! bulk add, edits, merges and exports keep each customer's tags in order.

use serde_json::json;

use crate::helpers::TestApp;
use crate::support::{csv_export, ids, post_ok, urlencode};

async fn tagged(app: &TestApp, tag: &str) -> Vec<i64> {
    let (_, page) = app.customers().list(&format!("tag={}", urlencode(tag))).await;
    let mut found = ids(&page);
    found.sort_unstable();
    found
}

#[tokio::test]
async fn the_tag_filter_matches_exactly_after_trimming() {
    let app = TestApp::new().await;
    let vip = app.customers().create(&json!({"name": "上海华信科技", "tags": ["VIP", "华东"]})).await;
    let lower = app.customers().create(&json!({"name": "杭州西湖茶业", "tags": ["vip"]})).await;
    let longer = app.customers().create(&json!({"name": "苏州园林设计院", "tags": ["VIP客户", "华东"]})).await;
    let (vip, lower, longer) =
        (vip["id"].as_i64().unwrap(), lower["id"].as_i64().unwrap(), longer["id"].as_i64().unwrap());
    assert_eq!(tagged(&app, "VIP").await, [vip]);
    assert_eq!(tagged(&app, " VIP ").await, [vip]);
    assert_eq!(tagged(&app, "vip").await, [lower]);
    assert_eq!(tagged(&app, "华东").await, [vip, longer]);
    assert!(tagged(&app, "VI").await.is_empty());
    // Tags are trimmed and kept once when saved, in their order.
    let (_, c) = app.customers().get(longer).await;
    assert_eq!(c["tags"], json!(["VIP客户", "华东"]));
    let (s, c) =
        app.customers().patch(longer, &json!({"tags": [" 华南 ", "VIP客户", "华南"], "version": c["version"]})).await;
    assert_eq!(s, axum::http::StatusCode::OK, "{c}");
    assert_eq!(c["tags"], json!(["华南", "VIP客户"]));
    assert_eq!(tagged(&app, "华东").await, [vip]);
    assert_eq!(tagged(&app, "华南").await, [longer]);
}

#[tokio::test]
async fn the_tag_filter_pages_with_the_keyset() {
    let app = TestApp::new().await;
    let mut made = Vec::new();
    for i in 0..7 {
        let tags = if i % 2 == 0 { json!(["展会"]) } else { json!([]) };
        made.push(
            app.customers().create(&json!({"name": format!("测试客户{i}"), "tags": tags})).await["id"]
                .as_i64()
                .unwrap(),
        );
    }
    let mut seen = Vec::new();
    let mut query = format!("tag={}&limit=2", urlencode("展会"));
    loop {
        let (_, page) = app.customers().list(&query).await;
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => query = format!("tag={}&limit=2&cursor={}", urlencode("展会"), urlencode(cursor)),
            None => break,
        }
    }
    seen.sort_unstable();
    let expected: Vec<i64> = made.iter().copied().step_by(2).collect();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn bulk_add_keeps_the_order_and_adds_a_tag_once() {
    let app = TestApp::new().await;
    let a = app.customers().create(&json!({"name": "南京金陵汽车", "tags": ["重点", "华东"]})).await["id"]
        .as_i64()
        .unwrap();
    let b = app.customers().create(&json!({"name": "无锡太湖船舶", "tags": ["展会"]})).await["id"].as_i64().unwrap();
    let c = app.customers().create(&json!({"name": "厦门鼎盛物流"})).await["id"].as_i64().unwrap();
    let r = post_ok(
        &app,
        &app.admin,
        "/api/v1/customers/bulk",
        json!({"ids": [a, b, c], "action": "add_tag", "tag": " 展会 "}),
    )
    .await;
    assert_eq!(r["changed"], 3);
    for (id, tags) in [(a, json!(["重点", "华东", "展会"])), (b, json!(["展会"])), (c, json!(["展会"]))] {
        assert_eq!(app.customers().get(id).await.1["tags"], tags);
    }
    assert_eq!(tagged(&app, "展会").await, {
        let mut all = vec![a, b, c];
        all.sort_unstable();
        all
    });
    // A merge joins the tags, the survivor's first.
    post_ok(&app, &app.admin, &format!("/api/v1/customers/{a}/merge"), json!({"other_id": b})).await;
    assert_eq!(app.customers().get(a).await.1["tags"], json!(["重点", "华东", "展会"]));
}

#[tokio::test]
async fn exports_show_the_tags() {
    let app = TestApp::new().await;
    app.customers().create(&json!({"name": "北京精工机械", "grade": "A", "tags": ["重点", "华北"]})).await;
    let text = csv_export(&app, &format!("/api/v1/customers/export.csv?tag={}", urlencode("华北"))).await;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[1].contains("\"重点,华北\"") || lines[1].contains("重点,华北"), "{}", lines[1]);
}
