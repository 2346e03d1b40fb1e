//! Comments with @mentions on customers and deals: scope, authors, notices.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::support::field_codes;

async fn mentions_of(app: &TestApp, token: &str) -> Vec<Value> {
    let (s, n) = app.notifications().by(token).list("").await;
    assert_eq!(s, StatusCode::OK, "{n}");
    n.as_array().unwrap().iter().filter(|n| n["kind"] == "mention").cloned().collect()
}

#[tokio::test]
async fn comments_mention_and_notify_within_the_records_scope() {
    let app = TestApp::new().await;
    let east = app.department("华东销售组").await;
    let (li_id, li) = app.signed_in("li.na", "salesperson", Some(east)).await;
    let (_, wang) = app.signed_in("wang.fang", "salesperson", Some(east)).await;
    let (zhang_id, zhang) = app.signed_in("zhang.wei", "sales_manager", Some(east)).await;
    let (s, d) = app.departments().patch(east, &json!({"manager_id": zhang_id, "version": 1})).await;
    assert!(s.is_success(), "{d}");
    let c = app.customers().by(&li).create(&json!({"name": "上海华信科技有限公司"})).await;
    let cid = c["id"].as_i64().unwrap();
    let path = format!("/api/v1/customers/{cid}/comments");

    // The rep mentions her manager (her department's manager may be mentioned).
    let (s, first) = app
        .api(Method::POST, &path, Some(&li), Some(json!({"body": "@zhang.wei 请帮忙看一下报价，@wang.fang 也看看"})))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    assert_eq!(first["mentions"], json!([{"user_id": zhang_id, "name": "zhang.wei"}]), "wang is outside her scope");
    assert_eq!((first["author_id"].as_i64(), first["mine"].as_bool()), (Some(li_id), Some(true)));
    let told = mentions_of(&app, &zhang).await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0]["link"], format!("/customers/{cid}#comments"));
    let title = told[0]["title"].as_str().unwrap();
    assert!(title.contains("上海华信科技有限公司") && title.contains("li.na"), "{title}");
    assert!(mentions_of(&app, &wang).await.is_empty());

    // The manager answers; the list is newest first.
    let (s, reply) = app.api(Method::POST, &path, Some(&zhang), Some(json!({"body": "收到 @li.na"}))).await;
    assert_eq!(s, StatusCode::CREATED, "{reply}");
    assert_eq!(mentions_of(&app, &li).await.len(), 1);
    let (s, page) = app.api(Method::GET, &path, Some(&li), None).await;
    assert_eq!(s, StatusCode::OK);
    let ids: Vec<i64> = page["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [reply["id"].as_i64().unwrap(), first["id"].as_i64().unwrap()]);
    assert_eq!(page["items"][0]["mine"], false);

    // Another rep's customer is not found, for reading and for writing.
    let (s, _) = app.api(Method::GET, &path, Some(&wang), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.api(Method::POST, &path, Some(&wang), Some(json!({"body": "我也来"}))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Only the author changes a comment.
    let own = format!("/api/v1/comments/{}", first["id"]);
    let (s, _) = app.api(Method::PATCH, &own, Some(&zhang), Some(json!({"body": "改", "version": 1}))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.api(Method::DELETE, &own, Some(&zhang), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, p) = app.api(Method::PATCH, &own, Some(&li), Some(json!({"body": "  ", "version": 1}))).await;
    assert_eq!((s, field_codes(&p)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["body:required".to_owned()]));
    let (s, edited) =
        app.api(Method::PATCH, &own, Some(&li), Some(json!({"body": "@zhang.wei 报价已更新", "version": 1}))).await;
    assert_eq!((s, edited["version"].as_i64()), (StatusCode::OK, Some(2)), "{edited}");
    assert_eq!(mentions_of(&app, &zhang).await.len(), 1, "mentioned before: not told again");
    let (s, _) = app.api(Method::DELETE, &own, Some(&li), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, page) = app.api(Method::GET, &path, Some(&li), None).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);

    // Bad input: field-level 422.
    let (s, p) = app.api(Method::POST, &path, Some(&li), Some(json!({"body": "长".repeat(2001)}))).await;
    assert_eq!((s, field_codes(&p)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["body:too_long".to_owned()]));

    // Deals take comments the same way.
    let deal = app
        .opportunities()
        .by(&li)
        .create(&json!({"name": "华信 ERP 项目", "customer_id": cid, "amount": "300000.00"}))
        .await;
    let deal_path = format!("/api/v1/opportunities/{}/comments", deal["id"]);
    let (s, on_deal) =
        app.api(Method::POST, &deal_path, Some(&li), Some(json!({"body": "@zhang.wei 需要特价审批"}))).await;
    assert_eq!(s, StatusCode::CREATED, "{on_deal}");
    let told = mentions_of(&app, &zhang).await;
    assert!(told.iter().any(|n| n["link"] == format!("/opportunities/{}#comments", deal["id"])), "{told:?}");
    let (s, _) = app.api(Method::GET, &deal_path, Some(&wang), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let audit = crate::support::audit_actions(&app, "opportunity", deal["id"].as_i64().unwrap()).await;
    assert!(audit.contains(&"comment.create".to_owned()), "{audit:?}");
}

#[tokio::test]
async fn the_record_page_shows_the_comment_box_and_posts_with_htmx() {
    let app = TestApp::new().await;
    let cid = app.customer(&app.admin, "杭州云帆网络").await;
    let (cookies, csrf) = crate::support::browser::sign_in(&app).await;
    let (s, _, page) = app.send(crate::support::browser::get(&format!("/customers/{cid}"), &cookies)).await;
    assert_eq!(s, StatusCode::OK);
    let html = page.as_str().unwrap_or_default();
    assert!(html.contains("id=\"comments\"") && html.contains("data-mentions"), "the comment box");
    let mut request = crate::support::browser::form(
        &format!("/customers/{cid}/comments"),
        &cookies,
        &format!("_csrf={csrf}&body={}", crate::support::urlencode("第一条评论")),
    );
    request.headers_mut().insert("hx-request", "true".parse().unwrap());
    let (s, _, section) = app.send(request).await;
    assert_eq!(s, StatusCode::OK);
    assert!(section.as_str().unwrap_or_default().contains("第一条评论"), "the section comes back in place");
}
