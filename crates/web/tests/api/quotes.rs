//! Quotes (issue 12 item 4): pricing and numbering, sending with and
//! without an approval (a discount over the configured threshold), the
//! customer's answer (accepting makes a draft sales order and offers to
//! mark the opportunity won under its stage gate), versions and their
//! comparison, expiry, bad input, data scope and stale versions.

use axum::http::{Method, StatusCode};
use chrono::{Duration, Utc};
use salesflow_store::entity::quote;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::support::{field_codes, ids};

/// A sales department with a manager and a salesperson, a customer of the
/// salesperson with a contact and a deal, and two products (list price
/// 100.00, no tax).
struct Setup {
    manager: (i64, String),
    rep: (i64, String),
    customer: i64,
    deal: i64,
    a: i64,
    b: i64,
}

async fn setup(app: &TestApp) -> Setup {
    let dept = app.department("华东销售部").await;
    let manager = app.signed_in("wang.manager", "sales_manager", Some(dept)).await;
    let (status, body) = app.departments().patch(dept, &json!({"manager_id": manager.0, "version": 1})).await;
    assert!(status.is_success(), "{body}");
    let rep = app.signed_in("li.rep", "salesperson", Some(dept)).await;
    let customer = app.customer(&rep.1, "上海精密机械有限公司").await;
    let deal = app
        .opportunities()
        .by(&rep.1)
        .create(&json!({"name": "数控车间改造", "customer_id": customer, "amount": "50000.00"}))
        .await["id"]
        .as_i64()
        .unwrap();
    let a = app.product("CNC-100", "0").await;
    let b = app.product("SRV-200", "0").await;
    Setup { manager, rep, customer, deal, a, b }
}

fn quote_body(s: &Setup, discount: &str) -> Value {
    json!({"customer_id": s.customer, "opportunity_id": s.deal, "terms": "款到发货，交期 4 周",
           "lines": [{"product_id": s.a, "quantity": "10", "discount_percent": discount},
                     {"product_id": s.b, "quantity": "2", "unit_price": "350.00"}]})
}

async fn act(app: &TestApp, token: &str, id: i64, action: &str, body: Value) -> (StatusCode, Value) {
    app.quotes().by(token).act(id, action, Some(&body)).await
}

async fn quote_rule(app: &TestApp, min_discount: &str) {
    app.approval_rules()
        .create(&json!({"document_type": "quote", "min_discount": min_discount, "steps": [{"manager": 1}]}))
        .await;
}

#[tokio::test]
async fn a_quote_is_priced_sent_and_accepted_into_a_draft_order() {
    let app = TestApp::new().await;
    let s = setup(&app).await;
    let rep = &s.rep.1;
    let created = app.quotes().by(rep).create(&quote_body(&s, "10")).await;
    let id = created["id"].as_i64().unwrap();
    let number = created["number"].as_str().unwrap();
    assert!(number.starts_with("QT-20") && number.ends_with("-000001"), "{number}");
    assert_eq!(created["status"], "draft");
    assert_eq!(created["revision"], 1);
    // 10 × 100.00 less 10 % = 900.00; 2 × 350.00 = 700.00; no tax.
    assert_eq!(created["lines"][0]["unit_price"], "100.00");
    assert_eq!(created["lines"][0]["total"], "900.00");
    assert_eq!(created["gross"], "1700.00");
    assert_eq!(created["discount"], "100.00");
    assert_eq!(created["total"], "1600.00");
    assert_eq!(created["discount_percent"], "5.89");
    // A total sent by the client is refused (unknown field), never stored.
    let mut with_total = quote_body(&s, "0");
    with_total["total"] = json!("1.00");
    assert_eq!(app.quotes().by(rep).post(&with_total).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let second = app.quotes().by(rep).create(&quote_body(&s, "0")).await;
    assert!(second["number"].as_str().unwrap().ends_with("-000002"));

    // Not accepted before it is sent; no rule: sent at once.
    assert_eq!(act(&app, rep, id, "accept", json!({})).await.0, StatusCode::CONFLICT);
    let (status, sent) = act(&app, rep, id, "send", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    assert_eq!(sent["status"], "sent");
    assert!(sent["sent_at"].is_string());
    assert_eq!(act(&app, rep, id, "send", json!({})).await.0, StatusCode::CONFLICT);

    let (status, accepted) = act(&app, rep, id, "accept", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert_eq!(accepted["quote"]["status"], "accepted");
    assert_eq!(accepted["opportunity_won"], false);
    let order_id = accepted["order_id"].as_i64().unwrap();
    assert_eq!(accepted["quote"]["order_id"], order_id);
    let (_, order) = app.orders().by(rep).get(order_id).await;
    assert_eq!(order["status"], "draft");
    assert_eq!(order["customer_id"], s.customer);
    assert_eq!(order["opportunity_id"], s.deal);
    assert_eq!(order["total"], "1600.00");
    assert_eq!(order["lines"][0]["discount_percent"], "10");
    assert_eq!(order["lines"][1]["unit_price"], "350.00");
    // The order names its quote: the quote list finds it by the order.
    let (_, by_order) = app.quotes().by(rep).list(&format!("order_id={order_id}")).await;
    assert_eq!(ids(&by_order), [id]);
    // Twice is a conflict; an accepted quote is not edited.
    assert_eq!(act(&app, rep, id, "accept", json!({})).await.0, StatusCode::CONFLICT);
    assert_eq!(app.quotes().by(rep).patch(id, &json!({"notes": "x", "version": 9})).await.0, StatusCode::CONFLICT);

    let (_, list) = app.quotes().by(rep).list("status=accepted").await;
    assert_eq!(ids(&list), [id]);
    let (_, list) = app.quotes().by(rep).list(&format!("opportunity_id={}", s.deal)).await;
    assert_eq!(ids(&list).len(), 2);
    assert_eq!(app.quotes().by(rep).list("status=bogus").await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, log) = app.audit_log().list("entity_type=quote").await;
    let actions: Vec<&str> = log["items"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    for a in ["quote.create", "quote.send", "quote.accept"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
}

#[tokio::test]
async fn a_discount_over_the_threshold_waits_for_the_managers_approval() {
    let app = TestApp::new().await;
    let s = setup(&app).await;
    quote_rule(&app, "10").await;
    let (rep, manager) = (&s.rep.1, &s.manager.1);

    // 5.89 % overall: under the threshold, sent at once.
    let small = app.quotes().by(rep).create(&quote_body(&s, "10")).await["id"].as_i64().unwrap();
    assert_eq!(act(&app, rep, small, "send", json!({})).await.1["status"], "sent");

    // 30 % on the first line: 300 of 1,700 = 17.65 % overall.
    let id = app.quotes().by(rep).create(&quote_body(&s, "30")).await["id"].as_i64().unwrap();
    let (status, waiting) = act(&app, rep, id, "send", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{waiting}");
    assert_eq!(waiting["status"], "pending_approval");
    assert!(waiting["sent_at"].is_null());
    assert_eq!(waiting["approvals"][0]["current_approver_id"], s.manager.0);
    // Nobody approves their own quote; it is not edited while it waits.
    let (status, problem) = act(&app, rep, id, "approve", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(field_codes(&problem), ["decision:own_document"]);
    assert_eq!(app.quotes().by(rep).patch(id, &json!({"notes": "x", "version": 2})).await.0, StatusCode::CONFLICT);
    // The manager's approvals list it, as a quote.
    let (_, mine) = app.approvals().by(manager).get("mine").await;
    let items = mine["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{mine}");
    assert_eq!(items[0]["document_type"], "quote");
    assert_eq!(items[0]["document_id"], id);

    // A refusal needs a comment and sends it back to draft.
    let (status, problem) = act(&app, manager, id, "reject-approval", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, back) = act(&app, manager, id, "reject-approval", json!({"comment": "折扣过大"})).await;
    assert_eq!(status, StatusCode::OK, "{back}");
    assert_eq!(back["status"], "draft");

    // Asked again, approved, then sent.
    assert_eq!(act(&app, rep, id, "send", json!({})).await.1["status"], "pending_approval");
    let (status, approved) = act(&app, manager, id, "approve", json!({"comment": "同意"})).await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["status"], "approved");
    assert_eq!(act(&app, manager, id, "approve", json!({})).await.0, StatusCode::CONFLICT);
    let (status, sent) = act(&app, rep, id, "send", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    assert_eq!(sent["status"], "sent");
    assert_eq!(sent["approvals"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn editing_a_sent_quote_makes_a_new_version_and_two_versions_compare() {
    let app = TestApp::new().await;
    let s = setup(&app).await;
    let rep = &s.rep.1;
    let created = app.quotes().by(rep).create(&quote_body(&s, "0")).await;
    let id = created["id"].as_i64().unwrap();
    // A draft changes in place.
    let (status, draft) = app.quotes().by(rep).patch(id, &json!({"notes": "先报价", "version": 1})).await;
    assert_eq!(status, StatusCode::OK, "{draft}");
    assert_eq!(draft["revision"], 1);
    // A stale version is a conflict, nothing changes.
    assert_eq!(app.quotes().by(rep).patch(id, &json!({"notes": "旧", "version": 1})).await.0, StatusCode::CONFLICT);
    let sent = act(&app, rep, id, "send", json!({})).await.1;
    let version = sent["version"].as_i64().unwrap();

    // v2: the first line discounted, the second dropped, a third added.
    let v2 = json!({"version": version, "lines": [
        {"product_id": s.a, "quantity": "10", "discount_percent": "5"},
        {"product_id": s.b, "quantity": "1", "unit_price": "350.00"},
        {"product_id": s.b, "quantity": "4", "unit_price": "90.00"}]});
    let (status, edited) = app.quotes().by(rep).patch(id, &v2).await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["revision"], 2);
    assert_eq!(edited["status"], "draft");
    assert_eq!(edited["number"], created["number"]);
    assert_eq!(edited["total"], "1660.00");

    let (status, versions) = app.quotes().by(rep).get_part(id, "versions").await;
    assert_eq!(status, StatusCode::OK, "{versions}");
    let versions = versions.as_array().unwrap();
    assert_eq!(versions.len(), 2);
    // v1 stays as it was sent.
    assert_eq!(versions[0]["revision"], 1);
    assert_eq!(versions[0]["total"], "1700.00");
    assert!(versions[0]["sent_at"].is_string());
    assert_eq!(versions[0]["lines"].as_array().unwrap().len(), 2);
    assert!(versions[1]["sent_at"].is_null());

    let (status, c) = app.quotes().by(rep).get_part(id, "compare?from=1&to=2").await;
    assert_eq!(status, StatusCode::OK, "{c}");
    let changes: Vec<&str> = c["lines"].as_array().unwrap().iter().map(|l| l["change"].as_str().unwrap()).collect();
    assert_eq!(changes, ["changed", "changed", "added"]);
    assert_eq!(c["lines"][0]["fields"], json!(["discount_percent", "total"]));
    assert_eq!(c["lines"][1]["fields"], json!(["quantity", "total"]));
    assert!(c["lines"][2]["from"].is_null());
    assert_eq!(c["totals_changed"], json!(["gross", "discount", "net", "total"]));
    // Back the other way the added line reads as removed.
    let (_, back) = app.quotes().by(rep).get_part(id, "compare?from=2&to=1").await;
    assert_eq!(back["lines"][2]["change"], "removed");
    let (status, problem) = app.quotes().by(rep).get_part(id, "compare?from=1&to=7").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(field_codes(&problem), ["to:unknown_reference"]);
    // The new version is sent again, and accepted.
    assert_eq!(act(&app, rep, id, "send", json!({})).await.1["status"], "sent");
    let (_, log) = app.audit_log().list("entity_type=quote").await;
    let actions: Vec<&str> = log["items"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert!(actions.contains(&"quote.new_version"), "{actions:?}");
}

#[tokio::test]
async fn bad_input_is_refused_field_by_field_and_nothing_is_saved() {
    let app = TestApp::new().await;
    let s = setup(&app).await;
    let rep = &s.rep.1;
    let retired = app.product("OLD-1", "0").await;
    let (status, p) = app.products().patch(retired, &json!({"active": false, "version": 1})).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    let bad = json!({"customer_id": s.customer, "lines": [
        {"product_id": s.a, "quantity": "0"},
        {"product_id": s.a, "quantity": "-2"},
        {"product_id": s.a, "quantity": "1", "unit_price": "-5"},
        {"product_id": s.a, "quantity": "1", "discount_percent": "100.5"},
        {"product_id": 999_999, "quantity": "1"},
        {"product_id": retired, "quantity": "1"}]});
    let (status, problem) = app.quotes().by(rep).post(&bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let codes = field_codes(&problem);
    for expected in [
        "lines[0].quantity:must_be_positive",
        "lines[1].quantity:must_be_positive",
        "lines[2].unit_price:must_not_be_negative",
        "lines[3].discount_percent:out_of_range",
        "lines[4].product_id:unknown_reference",
        "lines[5].product_id:inactive_product",
    ] {
        assert!(codes.iter().any(|c| c == expected), "{expected} in {codes:?}");
    }
    let (status, problem) = app.quotes().by(rep).post(&json!({"customer_id": s.customer, "lines": []})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_codes(&problem), ["lines:required"]);
    let past = (Utc::now() - Duration::days(3)).date_naive().to_string();
    let mut expired = quote_body(&s, "0");
    expired["valid_until"] = json!(past);
    let (status, problem) = app.quotes().by(rep).post(&expired).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_codes(&problem), ["valid_until:quote_expired"]);
    assert_eq!(ids(&app.quotes().by(rep).list("").await.1).len(), 0);

    // A bad edit leaves the draft as it was.
    let q = app.quotes().by(rep).create(&quote_body(&s, "0")).await;
    let id = q["id"].as_i64().unwrap();
    let (status, _) = app
        .quotes()
        .by(rep)
        .patch(id, &json!({"version": 1, "lines": [{"product_id": s.a, "quantity": "1", "discount_percent": "101"}]}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, same) = app.quotes().by(rep).get(id).await;
    assert_eq!(same["total"], q["total"]);
    assert_eq!(same["version"], 1);
    // A draft is deleted; a sent quote is not.
    assert_eq!(app.quotes().by(rep).delete(id).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.quotes().by(rep).get(id).await.0, StatusCode::NOT_FOUND);
    let other = app.quotes().by(rep).create(&quote_body(&s, "0")).await["id"].as_i64().unwrap();
    act(&app, rep, other, "send", json!({})).await;
    assert_eq!(app.quotes().by(rep).delete(other).await.0, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_quote_past_its_validity_is_neither_sent_nor_accepted() {
    let app = TestApp::new().await;
    let s = setup(&app).await;
    let rep = &s.rep.1;
    let draft = app.quotes().by(rep).create(&quote_body(&s, "0")).await["id"].as_i64().unwrap();
    let sent = app.quotes().by(rep).create(&quote_body(&s, "0")).await["id"].as_i64().unwrap();
    act(&app, rep, sent, "send", json!({})).await;
    let yesterday = (Utc::now() - Duration::days(2)).date_naive();
    quote::Entity::update_many()
        .col_expr(quote::Column::ValidUntil, Expr::value(yesterday))
        .filter(quote::Column::Id.is_in([draft, sent]))
        .exec(app.store.reader())
        .await
        .unwrap();
    let (status, problem) = act(&app, rep, draft, "send", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(field_codes(&problem), ["valid_until:quote_expired"]);
    let (_, q) = app.quotes().by(rep).get(sent).await;
    assert_eq!(q["status"], "expired");
    let (status, problem) = act(&app, rep, sent, "accept", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(field_codes(&problem), ["valid_until:quote_expired"]);
    assert_eq!(app.orders().by(rep).list("").await.1["items"].as_array().unwrap().len(), 0);
    let (_, list) = app.quotes().by(rep).list("status=expired").await;
    assert_eq!(ids(&list), [sent]);
    assert_eq!(ids(&app.quotes().by(rep).list("status=sent").await.1).len(), 0);
    // A new version with a later date renews it.
    let later = (Utc::now() + Duration::days(20)).date_naive().to_string();
    let (status, renewed) =
        app.quotes().by(rep).patch(sent, &json!({"valid_until": later, "version": q["version"]})).await;
    assert_eq!(status, StatusCode::OK, "{renewed}");
    assert_eq!(renewed["revision"], 2);
    assert_eq!(act(&app, rep, sent, "send", json!({})).await.1["status"], "sent");
    assert_eq!(act(&app, rep, sent, "reject", json!({})).await.1["status"], "rejected");
}

#[tokio::test]
async fn another_rep_neither_sees_nor_changes_the_quote() {
    let app = TestApp::new().await;
    let s = setup(&app).await;
    let id = app.quotes().by(&s.rep.1).create(&quote_body(&s, "0")).await["id"].as_i64().unwrap();
    let other_dept = app.department("华北销售部").await;
    let (_, other) = app.signed_in("zhao.rep", "salesperson", Some(other_dept)).await;
    assert_eq!(app.quotes().by(&other).get(id).await.0, StatusCode::NOT_FOUND);
    assert_eq!(act(&app, &other, id, "send", json!({})).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.quotes().by(&other).patch(id, &json!({"notes": "x", "version": 1})).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.quotes().by(&other).get_part(id, "versions").await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.quotes().by(&other).delete(id).await.0, StatusCode::NOT_FOUND);
    assert_eq!(ids(&app.quotes().by(&other).list("").await.1).len(), 0);
    // Nor can they quote a customer outside their scope.
    let (status, problem) = app.quotes().by(&other).post(&quote_body(&s, "0")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_codes(&problem).contains(&"customer_id:unknown_reference".to_owned()), "{problem}");
    // The manager of the rep's department sees it; a warehouse role has no quotes at all.
    assert_eq!(app.quotes().by(&s.manager.1).get(id).await.0, StatusCode::OK);
    let (_, keeper) = app.signed_in("sun.store", "warehouse", None).await;
    assert_eq!(app.quotes().by(&keeper).list("").await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.quotes().by(&keeper).post(&quote_body(&s, "0")).await.0, StatusCode::FORBIDDEN);
}

async fn tick_every_required_item(app: &TestApp, token: &str, deal: i64) {
    let (_, d) = app.opportunities().by(token).get(deal).await;
    let (_, pipelines) = app.api(Method::GET, "/api/v1/pipelines", Some(token), None).await;
    let pipeline =
        pipelines.as_array().unwrap().iter().find(|p| p["id"] == d["pipeline_id"]).expect("the deal's pipeline");
    for stage in pipeline["stages"].as_array().unwrap() {
        for item in stage["checklist"].as_array().unwrap().iter().filter(|i| i["required"] == true) {
            let path = format!("/api/v1/opportunities/{deal}/checklist/{}", item["id"]);
            let (s, o) = app.api(Method::PATCH, &path, Some(token), Some(json!({"done": true}))).await;
            assert_eq!(s, StatusCode::OK, "{o}");
        }
    }
}

#[tokio::test]
async fn accepting_offers_to_win_the_deal_and_its_stage_gate_still_applies() {
    let app = TestApp::new().await;
    let s = setup(&app).await;
    let rep = &s.rep.1;
    let id = app.quotes().by(rep).create(&quote_body(&s, "0")).await["id"].as_i64().unwrap();
    act(&app, rep, id, "send", json!({})).await;
    // The gate refuses (nothing ticked): the order is made all the same.
    let (status, accepted) = act(&app, rep, id, "accept", json!({"win": true})).await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert_eq!(accepted["opportunity_won"], false);
    assert_eq!(accepted["win_refused"], "gate_item_missing");
    assert!(!accepted["win_unmet"].as_array().unwrap().is_empty());
    assert!(accepted["order_id"].is_i64());
    assert_eq!(app.opportunities().by(rep).get(s.deal).await.1["status"], "open");

    // With the gate met, the deal is won through its own action.
    tick_every_required_item(&app, rep, s.deal).await;
    let second = app.quotes().by(rep).create(&quote_body(&s, "0")).await["id"].as_i64().unwrap();
    act(&app, rep, second, "send", json!({})).await;
    let (status, accepted) = act(&app, rep, second, "accept", json!({"win": true})).await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert_eq!(accepted["opportunity_won"], true, "{accepted}");
    assert!(accepted["win_refused"].is_null());
    assert_eq!(app.opportunities().by(rep).get(s.deal).await.1["status"], "won");
}
