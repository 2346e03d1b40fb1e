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
