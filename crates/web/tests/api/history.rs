//! Readable history: the audit page and a customer's timeline say what
//! happened as a sentence in the reader's language, people by name, the
//! raw JSON behind a "details" toggle.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use salesflow_store::entity::user;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::helpers::TestApp;
use crate::support::browser;

fn get_in(path: &str, cookies: &str, locale: &str) -> Request<Body> {
    Request::builder()
        .uri(path)
        .header(header::COOKIE, cookies)
        .header("accept-language", locale)
        .body(Body::empty())
        .unwrap()
}

async fn rename(app: &TestApp, id: i64, name: &str) {
    user::Entity::update_many()
        .col_expr(user::Column::DisplayName, Expr::value(name))
        .filter(user::Column::Id.eq(id))
        .exec(app.store.reader())
        .await
        .unwrap();
}

#[tokio::test]
async fn history_audit_sentences_name_people_in_both_languages() {
    let app = TestApp::new().await;
    let (zhang, zhang_token) = app.signed_in("zhang.wei", "salesperson", None).await;
    let li = app.create_user("li.na", "salesperson", None).await;
    rename(&app, zhang, "张伟").await;
    rename(&app, li, "李娜").await;
    app.customer(&zhang_token, "华信科技有限公司").await;
    app.customer(&zhang_token, "远景贸易有限公司").await;
    let (s, moved) = app.users().act(zhang, "transfer", Some(&json!({"to_user_id": li}))).await;
    assert_eq!(s, StatusCode::OK, "{moved}");
    let (cookies, _) = browser::sign_in(&app).await;
    let (s, _, page) = app.send(get_in("/admin/audit", &cookies, "zh-CN")).await;
    assert_eq!(s, StatusCode::OK);
    let html = page.as_str().unwrap();
    assert!(html.contains("把 张伟 的 2 个客户"), "hand-over as a sentence: {html}");
    assert!(html.contains("移交给 李娜"), "{html}");
    assert!(html.contains("张伟 新建了客户 华信科技有限公司"), "{html}");
    assert!(html.contains("<summary class=\"small muted\">详情</summary>"), "the JSON behind a toggle");
    assert!(!html.contains("user #") && !html.contains("from_user_id: "), "no raw ids as text");

    let (_, _, page) = app.send(get_in("/admin/audit", &cookies, "en")).await;
    let html = page.as_str().unwrap();
    assert!(html.contains("handed 张伟’s 2 customers"), "{html}");
    assert!(html.contains("over to 李娜"), "{html}");
    assert!(html.contains("张伟 created the customer 华信科技有限公司"), "{html}");
    assert!(html.contains("<summary class=\"small muted\">Details</summary>"));
}

#[tokio::test]
async fn deal_and_lead_histories_and_the_home_feed_read_as_sentences_in_both_languages() {
    use crate::helpers::USER_PASSWORD;
    let app = TestApp::new().await;
    let (li, li_token) = app.signed_in("li.na", "salesperson", None).await;
    rename(&app, li, "李娜").await;
    let customer = app.customer(&li_token, "华信科技有限公司").await;
    let deal = app
        .opportunities()
        .by(&li_token)
        .create(&json!({"name": "华信 ERP 项目", "customer_id": customer, "amount": "100000"}))
        .await;
    let patch = json!({"amount": "250000", "version": deal["version"]});
    let (s, body) = app.opportunities().by(&li_token).patch(deal["id"].as_i64().unwrap(), &patch).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    // A ticked checklist item: its audit details hold no name.
    let item = body["checklist"][0]["item_id"].as_i64().expect("a checklist item");
    let tick = format!("/api/v1/opportunities/{}/checklist/{item}", deal["id"]);
    let (s, ticked) = app.api(axum::http::Method::PATCH, &tick, Some(&li_token), Some(json!({"done": true}))).await;
    assert_eq!(s, StatusCode::OK, "{ticked}");
    let lead = app.leads().by(&li_token).create(&json!({"name": "周国强", "company": "远景贸易"})).await;
    let (cookies, _) = browser::sign_in_as(&app, "li.na", USER_PASSWORD, "/").await;

    let deal_page = format!("/opportunities/{}", deal["id"]);
    let (s, _, page) = app.send(get_in(&deal_page, &cookies, "zh-CN")).await;
    assert_eq!(s, StatusCode::OK);
    let html = page.as_str().unwrap();
    assert!(html.contains("李娜 把金额从 ¥100,000.00 改为 ¥250,000.00"), "{html}");
    let (_, _, page) = app.send(get_in(&deal_page, &cookies, "en")).await;
    let html = page.as_str().unwrap();
    assert!(html.contains("李娜 changed the amount from ¥100,000.00 to ¥250,000.00"), "{html}");
    assert!(!html.contains("把金额"), "one language");

    let lead_page = format!("/leads/{}", lead["id"]);
    let (s, _, page) = app.send(get_in(&lead_page, &cookies, "zh-CN")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.as_str().unwrap().contains("李娜 新建了线索 周国强"), "the lead's history");
    let (_, _, page) = app.send(get_in(&lead_page, &cookies, "en")).await;
    assert!(page.as_str().unwrap().contains("李娜 created the lead 周国强"));

    let (s, _, page) = app.send(get_in("/", &cookies, "zh-CN")).await;
    assert_eq!(s, StatusCode::OK);
    let html = page.as_str().unwrap();
    assert!(html.contains("李娜 编辑了商机 华信 ERP 项目"), "the home feed: {html}");
    assert!(html.contains("李娜 新建了客户 华信科技有限公司"), "{html}");
    let (_, _, page) = app.send(get_in("/", &cookies, "en")).await;
    let html = page.as_str().unwrap();
    assert!(html.contains("李娜 edited the deal 华信 ERP 项目"), "{html}");
    assert!(html.contains("李娜 ticked a checklist item of the deal 华信 ERP 项目"), "named, not #id: {html}");
    assert!(!html.contains("编辑了商机"), "one language");
}
