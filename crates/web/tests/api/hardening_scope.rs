//! Issue 9, items 10 and 12: duplicate checks say that a record exists and
//! who owns it, never what the caller may not read; deals and tasks are
//! not attached to the public pool by salespeople; a deleted lead has no
//! conversion preview.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::support::field_codes;

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
    app.api(Method::POST, path, Some(token), Some(body)).await
}

/// Nothing of Bob's records but his name may appear in what Alice gets.
fn assert_reveals_only_the_owner(what: &str, answer: &Value, secrets: &[&str]) {
    let text = answer.to_string();
    for secret in secrets {
        assert!(!text.contains(secret), "{what} reveals {secret:?}: {text}");
    }
    assert!(text.contains("Bob Zhang"), "{what} names the owner: {text}");
}

#[tokio::test]
async fn duplicate_checks_do_not_reveal_records_outside_the_callers_scope() {
    let app = TestApp::new().await;
    let alice_id = app.create_user("alice", "salesperson", None).await;
    // Bob with a display name to look for (the username is "bob").
    let role_id = app.role_id("salesperson").await;
    let body = json!({"username": "bob", "email": "bob@example.com", "display_name": "Bob Zhang",
        "password": "password-123", "role_id": role_id});
    let (s, b) = post(&app, &app.admin, "/api/v1/users", body).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let alice = app.login("alice", "password-123").await;
    let bob = app.login("bob", "password-123").await;

    // Bob's customer, its contact, and a lead of Bob's.
    let (s, secret) =
        post(&app, &bob, "/api/v1/customers", json!({"name": "华信科技有限公司", "industry": "制造业"})).await;
    assert_eq!(s, StatusCode::CREATED, "{secret}");
    let secret_id = secret["id"].as_i64().unwrap();
    let contact = json!({"customer_id": secret_id, "name": "王秘书", "role": "handler", "mobile": "13800138000", "email": "wang@huaxin.example"});
    let (s, c) = post(&app, &bob, "/api/v1/contacts", contact).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let (s, l) =
        post(&app, &bob, "/api/v1/leads", json!({"name": "赵线索", "company": "云帆贸易", "phone": "13900139000"}))
            .await;
    assert_eq!(s, StatusCode::CREATED, "{l}");
    let secrets = ["王秘书", "赵线索", "云帆贸易", "wang@huaxin", "\"ids\""];

    // Alice's customer by the same name.
    let (s, p) = post(&app, &alice, "/api/v1/customers", json!({"name": "华信科技有限公司"})).await;
    assert_eq!(
        (s, field_codes(&p)),
        // Another rep's customer (撞单): refused, naming only the owner.
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["name:owned_by_other".to_owned()]),
        "{p}"
    );
    assert_reveals_only_the_owner("customer create", &p, &secrets);
    assert!(!p.to_string().contains(&format!("\"{secret_id}\"")), "{p}");

    // Alice's contact with Bob's contact's mobile, on her own customer.
    let (s, mine) = post(&app, &alice, "/api/v1/customers", json!({"name": "阿里云"})).await;
    assert_eq!(s, StatusCode::CREATED, "{mine}");
    let body = json!({"customer_id": mine["id"], "name": "新联系人", "role": "handler", "mobile": "13800138000"});
    let (s, p) = post(&app, &alice, "/api/v1/contacts", body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(field_codes(&p), ["mobile:owned_by_other"], "{p}");
    assert_reveals_only_the_owner("contact create", &p, &secrets);

    // Alice's lead: Bob's company name, Bob's lead's phone.
    let body = json!({"name": "钱先生", "company": "华信科技有限公司", "phone": "13900139000"});
    let (s, p) = post(&app, &alice, "/api/v1/leads", body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(field_codes(&p), ["company:owned_by_other"], "{p}");
    assert_reveals_only_the_owner("lead create", &p, &secrets);
    // Bob's lead's phone alone is no clash (leads are not customers): the warning names only Bob.
    let body = json!({"name": "钱先生", "phone": "13900139000"});
    let (s, p) = post(&app, &alice, "/api/v1/leads", body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(field_codes(&p), ["phone:duplicate_elsewhere"], "{p}");
    assert_reveals_only_the_owner("lead create", &p, &secrets);

    // Alice cannot save it anyway (撞单); the administrator gives her the
    // lead with a reason: its conversion preview names only Bob.
    let body = json!({"name": "钱先生", "company": "华信科技有限公司", "status": "qualified", "allow_duplicate": true,
        "owner_id": alice_id, "duplicate_reason": "展会名单"});
    let (s, lead) = post(&app, &app.admin, "/api/v1/leads", body).await;
    assert_eq!(s, StatusCode::CREATED, "{lead}");
    let lead_id = lead["id"].as_i64().unwrap();
    let (s, preview) = app.leads().by(&alice).get_part(lead_id, "convert").await;
    assert_eq!(s, StatusCode::OK, "{preview}");
    assert_eq!(preview["existing_customer"], Value::Null, "{preview}");
    assert_eq!(preview["others"], json!([]), "{preview}");
    assert_eq!(preview["elsewhere"], json!(["Bob Zhang"]), "{preview}");
    assert!(!preview.to_string().contains(&format!(":{secret_id},")), "{preview}");
    // The administrator sees the customer itself.
    let (_, full) = app.leads().get_part(lead_id, "convert").await;
    assert_eq!(full["existing_customer"]["id"], secret_id, "{full}");

    // Deleted, the lead has no preview.
    let (s, _) = app.leads().delete(lead_id).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    for token in [&alice, &app.admin] {
        let (s, p) = app.leads().by(token).get_part(lead_id, "convert").await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{p}");
    }
    let _ = alice_id;
}

#[tokio::test]
async fn salespeople_claim_a_pool_customer_before_attaching_deals_or_tasks() {
    let app = TestApp::new().await;
    let (_, alice) = app.signed_in("alice", "salesperson", None).await;
    let (s, c) = post(&app, &alice, "/api/v1/customers", json!({"name": "公海客户"})).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let id = c["id"].as_i64().unwrap();
    let (s, p) = post(&app, &alice, &format!("/api/v1/customers/{id}/release"), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{p}");

    let deal = json!({"name": "ERP", "customer_id": id, "amount": "100"});
    let (s, p) = post(&app, &alice, "/api/v1/opportunities", deal.clone()).await;
    assert_eq!(
        (s, field_codes(&p)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["customer_id:customer_in_pool".to_owned()]),
        "{p}"
    );
    let task = json!({"title": "回访", "due_date": "2026-12-31", "related_type": "customer", "related_id": id});
    let (s, p) = post(&app, &alice, "/api/v1/tasks", task.clone()).await;
    assert_eq!(
        (s, field_codes(&p)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["related_id:customer_in_pool".to_owned()]),
        "{p}"
    );
    assert!(p["errors"][0]["message"].as_str().unwrap_or("").contains("领取"), "{p}");

    // The administrator may; Alice after claiming it.
    let (s, p) = post(&app, &app.admin, "/api/v1/tasks", task.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let (s, p) = post(&app, &alice, &format!("/api/v1/customers/{id}/claim"), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    let (s, p) = post(&app, &alice, "/api/v1/opportunities", deal).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let (s, p) = post(&app, &alice, "/api/v1/tasks", task).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
}
