//! Sales orders and the approval engine (issue 12 items 3 and 6): the life
//! cycle with and without approval rules, multi-step approvals (manager,
//! then a role), rejections, cancellations releasing stock, bad input,
//! data scope, and approvals racing for scarce stock.

use axum::http::{Method, StatusCode};
use salesflow_store::entity::stock;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::helpers::{TestApp, api_request, send_to};
use crate::support::{field_codes, ids};

/// A sales department with a manager and a salesperson, a customer of the
/// salesperson, a product (list price 100.00, no tax) and a warehouse with
/// `stock` units.
struct Setup {
    manager: (i64, String),
    rep: (i64, String),
    customer: i64,
    product: i64,
    warehouse: i64,
}

async fn setup(app: &TestApp, stock: &str) -> Setup {
    let dept = app.department("华东销售部").await;
    let manager = app.signed_in("wang.manager", "sales_manager", Some(dept)).await;
    let (status, body) = app.departments().patch(dept, &json!({"manager_id": manager.0, "version": 1})).await;
    assert!(status.is_success(), "{body}");
    let rep = app.signed_in("li.rep", "salesperson", Some(dept)).await;
    let customer = app.customer(&rep.1, "上海精密机械有限公司").await;
    let product = app.product("PLC-200", "0").await;
    let warehouse = app.warehouse("SH").await;
    if stock != "0" {
        app.receive(product, warehouse, stock).await;
    }
    Setup { manager, rep, customer, product, warehouse }
}

fn order_body(s: &Setup, quantity: &str) -> Value {
    json!({"customer_id": s.customer, "warehouse_id": s.warehouse, "delivery_address": "上海市浦东新区张江路 88 号",
           "delivery_date": "2026-12-20", "lines": [{"product_id": s.product, "quantity": quantity}]})
}

async fn stock_row(app: &TestApp, s: &Setup) -> (i64, i64) {
    let row = stock::Entity::find_by_id((s.product, s.warehouse)).one(app.store.reader()).await.unwrap().unwrap();
    (row.on_hand / 1000, row.reserved / 1000)
}

async fn act(app: &TestApp, token: &str, id: i64, action: &str, body: Value) -> (StatusCode, Value) {
    app.orders().by(token).act(id, action, Some(&body)).await
}

async fn rule(app: &TestApp, min_amount: &str, steps: Value) {
    app.approval_rules().create(&json!({"document_type": "order", "min_amount": min_amount, "steps": steps})).await;
}

#[tokio::test]
async fn without_a_rule_an_order_is_approved_on_submit_then_shipped_in_parts_and_completed() {
    let app = TestApp::new().await;
    let s = setup(&app, "10").await;
    let rep = &s.rep.1;
    let created = app.orders().by(rep).create(&order_body(&s, "3")).await;
    let id = created["id"].as_i64().unwrap();
    let number = created["number"].as_str().unwrap();
    assert!(number.starts_with("SO-20") && number.len() == "SO-2026-000001".len(), "{number}");
    assert!(number.ends_with("-000001"), "{number}");
    assert_eq!(created["status"], "draft");
    // The unit price defaults from the price that applies (the list price here).
    assert_eq!(created["lines"][0]["unit_price"], "100.00");
    assert_eq!(created["total"], "300.00");
    let second = app.orders().by(rep).create(&order_body(&s, "1")).await;
    assert!(second["number"].as_str().unwrap().ends_with("-000002"));

    let (status, submitted) = act(&app, rep, id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{submitted}");
    assert_eq!(submitted["status"], "approved");
    assert_eq!(submitted["approvals"].as_array().unwrap().len(), 0);
    assert_eq!(stock_row(&app, &s).await, (10, 3));
    // Submitting twice is a conflict.
    assert_eq!(act(&app, rep, id, "submit", json!({})).await.0, StatusCode::CONFLICT);

    let line = submitted["lines"][0]["id"].as_i64().unwrap();
    let ship = |q: &str| json!({"carrier": "顺丰速运", "tracking_number": "SF1234567890", "lines": [{"order_line_id": line, "quantity": q}]});
    // More than ordered: refused, nothing changes.
    let (status, problem) = act(&app, rep, id, "ship", ship("4")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(field_codes(&problem), ["lines[0].quantity:more_than_remaining"]);
    let (status, part) = act(&app, rep, id, "ship", ship("1")).await;
    assert_eq!(status, StatusCode::OK, "{part}");
    assert_eq!(part["status"], "partially_shipped");
    assert_eq!(part["lines"][0]["shipped"], "1");
    assert_eq!(part["shipments"][0]["carrier"], "顺丰速运");
    assert_eq!(stock_row(&app, &s).await, (9, 2));
    // Not completed before everything shipped; not cancelled once something has.
    assert_eq!(act(&app, rep, id, "complete", json!({})).await.0, StatusCode::CONFLICT);
    assert_eq!(act(&app, rep, id, "cancel", json!({})).await.0, StatusCode::CONFLICT);
    let (status, rest) = act(&app, rep, id, "ship", ship("2")).await;
    assert_eq!(status, StatusCode::OK, "{rest}");
    assert_eq!(rest["status"], "shipped");
    assert_eq!(stock_row(&app, &s).await, (7, 0));
    let (_, card) = app.stock_movements().list(&format!("product_id={}", s.product)).await;
    let kinds: Vec<&str> = card["items"].as_array().unwrap().iter().map(|m| m["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["shipment", "shipment", "receipt"]);
    assert_eq!(card["items"][0]["source_type"], "order");
    let (status, done) = act(&app, rep, id, "complete", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "completed");

    // The list filters by status and customer; the audit log has the steps.
    let (_, list) = app.orders().by(rep).list("status=completed").await;
    assert_eq!(ids(&list), [id]);
    let (_, list) = app.orders().by(rep).list(&format!("customer_id={}", s.customer)).await;
    assert_eq!(ids(&list).len(), 2);
    assert_eq!(app.orders().by(rep).list("status=bogus").await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, log) = app.audit_log().list("entity_type=order").await;
    let actions: Vec<&str> = log["items"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    for a in ["order.create", "order.submit", "order.ship", "order.complete"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
}

#[tokio::test]
async fn a_large_order_waits_for_the_manager_then_the_admin_role() {
    let app = TestApp::new().await;
    let s = setup(&app, "100").await;
    rule(&app, "500", json!([{"manager": 1}])).await;
    rule(&app, "2000", json!([{"role": "admin"}])).await;
    let (rep, manager) = (&s.rep.1, &s.manager.1);

    // A small order needs nobody.
    let small = app.orders().by(rep).create(&order_body(&s, "2")).await["id"].as_i64().unwrap();
    assert_eq!(act(&app, rep, small, "submit", json!({})).await.1["status"], "approved");

    let id = app.orders().by(rep).create(&order_body(&s, "30")).await["id"].as_i64().unwrap();
    let (status, submitted) = act(&app, rep, id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{submitted}");
    assert_eq!(submitted["status"], "submitted");
    assert_eq!(submitted["approvals"][0]["steps"], json!([{"manager": 1}, {"role": "admin"}]));
    assert_eq!(submitted["approvals"][0]["current_approver_id"], s.manager.0);
    assert_eq!(stock_row(&app, &s).await, (100, 2));

    // The requester cannot approve their own order; the admin not yet (not their step).
    let (status, problem) = act(&app, rep, id, "approve", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(field_codes(&problem), ["decision:own_document"]);
    assert_eq!(act(&app, &app.admin, id, "approve", json!({})).await.0, StatusCode::FORBIDDEN);

    // 我的审批: the manager sees it with number, customer, amount, requester.
    let (status, mine) = app.approvals().by(manager).get("mine").await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    let item = &mine["items"][0];
    assert_eq!(item["document_id"], id);
    assert_eq!(item["customer_name"], "上海精密机械有限公司");
    assert_eq!(item["amount"], "3000.00");
    assert_eq!(item["requester_name"], "li.rep");
    assert!(item["document_number"].as_str().unwrap().starts_with("SO-"));
    assert_eq!(ids(&app.approvals().get("mine").await.1).len(), 0);

    let (status, step) = act(&app, manager, id, "approve", json!({"comment": "同意"})).await;
    assert_eq!(status, StatusCode::OK, "{step}");
    assert_eq!(step["status"], "submitted");
    assert_eq!(step["approvals"][0]["current_role"], "admin");
    assert_eq!(ids(&app.approvals().by(manager).get("mine").await.1).len(), 0);
    assert_eq!(ids(&app.approvals().get("mine").await.1).len(), 1);
    // The manager decided a step, so still reads the order.
    assert_eq!(app.orders().by(manager).get(id).await.0, StatusCode::OK);

    let (status, approved) = act(&app, &app.admin, id, "approve", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["approvals"][0]["status"], "approved");
    assert_eq!(approved["approvals"][0]["decisions"].as_array().unwrap().len(), 2);
    assert_eq!(stock_row(&app, &s).await, (100, 32));
    // Deciding again: the request is no longer pending.
    assert_eq!(act(&app, &app.admin, id, "approve", json!({})).await.0, StatusCode::CONFLICT);

    // The requester heard of it; every decision is audited.
    let (_, notices) = app.notifications().by(rep).list("").await;
    assert!(notices.to_string().contains("approval_approved"), "{notices}");
    let (_, log) = app.audit_log().list("entity_type=approval_request").await;
    let actions: Vec<&str> = log["items"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions.iter().filter(|a| **a == "approval.approve").count(), 2, "{actions:?}");
}

#[tokio::test]
async fn a_rejection_needs_a_comment_and_sends_the_order_back_to_be_reworked() {
    let app = TestApp::new().await;
    let s = setup(&app, "100").await;
    rule(&app, "500", json!([{"manager": 1}])).await;
    let (rep, manager) = (&s.rep.1, &s.manager.1);
    let id = app.orders().by(rep).create(&order_body(&s, "10")).await["id"].as_i64().unwrap();
    act(&app, rep, id, "submit", json!({})).await;
    let (status, problem) = act(&app, manager, id, "reject", json!({"comment": "  "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(field_codes(&problem), ["comment:required"]);
    let (status, rejected) = act(&app, manager, id, "reject", json!({"comment": "价格太低，请重新报价"})).await;
    assert_eq!(status, StatusCode::OK, "{rejected}");
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["approvals"][0]["decisions"][0]["comment"], "价格太低，请重新报价");
    let (_, notices) = app.notifications().by(rep).list("").await;
    assert!(notices.to_string().contains("approval_rejected"), "{notices}");

    // Reworked (fewer units, under the threshold) and submitted again.
    let version = rejected["version"].as_i64().unwrap();
    let (status, edited) = app
        .orders()
        .by(rep)
        .patch(id, &json!({"lines": [{"product_id": s.product, "quantity": "4"}], "version": version}))
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["total"], "400.00");
    let (status, again) = act(&app, rep, id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["status"], "approved");
    // An approved order is no longer editable.
    let stale = json!({"notes": "改", "version": again["version"]});
    assert_eq!(app.orders().by(rep).patch(id, &stale).await.0, StatusCode::CONFLICT);
}

#[tokio::test]
async fn cancelling_releases_the_reservation_and_withdraws_a_pending_approval() {
    let app = TestApp::new().await;
    let s = setup(&app, "10").await;
    let rep = &s.rep.1;
    let id = app.orders().by(rep).create(&order_body(&s, "4")).await["id"].as_i64().unwrap();
    act(&app, rep, id, "submit", json!({})).await;
    assert_eq!(stock_row(&app, &s).await, (10, 4));
    let (status, cancelled) = act(&app, rep, id, "cancel", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["lines"][0]["reserved"], "0");
    assert_eq!(stock_row(&app, &s).await, (10, 0));

    rule(&app, "1", json!([{"manager": 1}])).await;
    let waiting = app.orders().by(rep).create(&order_body(&s, "1")).await["id"].as_i64().unwrap();
    act(&app, rep, waiting, "submit", json!({})).await;
    assert_eq!(ids(&app.approvals().by(&s.manager.1).get("mine").await.1).len(), 1);
    let (_, cancelled) = act(&app, rep, waiting, "cancel", json!({})).await;
    assert_eq!(cancelled["approvals"][0]["status"], "cancelled");
    assert_eq!(ids(&app.approvals().by(&s.manager.1).get("mine").await.1).len(), 0);
}

#[tokio::test]
async fn an_approval_short_of_stock_is_refused_and_changes_nothing() {
    let app = TestApp::new().await;
    let s = setup(&app, "1").await;
    rule(&app, "1", json!([{"role": "admin"}])).await;
    let id = app.orders().by(&s.rep.1).create(&order_body(&s, "2")).await["id"].as_i64().unwrap();
    act(&app, &s.rep.1, id, "submit", json!({})).await;
    let (status, problem) = act(&app, &app.admin, id, "approve", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(field_codes(&problem), ["lines[0].quantity:insufficient_stock"]);
    let (_, order) = app.orders().get(id).await;
    assert_eq!(order["status"], "submitted");
    assert_eq!(order["approvals"][0]["status"], "pending");
    assert_eq!(order["approvals"][0]["decisions"].as_array().unwrap().len(), 0);
    assert_eq!(stock_row(&app, &s).await, (1, 0));
}

#[tokio::test]
async fn bad_lines_are_refused_field_by_field_and_nothing_is_saved() {
    let app = TestApp::new().await;
    let s = setup(&app, "0").await;
    let inactive = app.product("OLD-1", "0").await;
    let (_, p) = app.products().get(inactive).await;
    app.products().patch(inactive, &json!({"active": false, "version": p["version"]})).await;
    let rep = &s.rep.1;
    let line = |q: &str, price: &str, discount: &str| json!({"product_id": s.product, "quantity": q, "unit_price": price, "discount_percent": discount});
    let body = json!({"customer_id": s.customer, "lines": [
        line("0", "10", "0"), line("-2", "10", "0"), line("1", "-1", "0"), line("1", "10", "101"),
        {"product_id": 999_999, "quantity": "1"}, {"product_id": inactive, "quantity": "1"},
        line("1.0001", "10", "0"),
    ]});
    let (status, problem) = app.orders().by(rep).post(&body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let codes = field_codes(&problem);
    for want in [
        "lines[0].quantity:must_be_positive",
        "lines[1].quantity:must_be_positive",
        "lines[2].unit_price:must_not_be_negative",
        "lines[3].discount_percent:out_of_range",
        "lines[4].product_id:unknown_reference",
        "lines[5].product_id:inactive_product",
        "lines[6].quantity:too_precise",
    ] {
        assert!(codes.contains(&want.to_owned()), "{want} in {codes:?}");
    }
    let (status, problem) = app.orders().by(rep).post(&json!({"customer_id": s.customer, "lines": []})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_codes(&problem), ["lines:required"]);
    let (status, problem) = app
        .orders()
        .by(rep)
        .post(&json!({"customer_id": s.customer, "delivery_date": "2026-13-01", "lines": []}))
        .await;
    assert_eq!(
        (status, field_codes(&problem)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["delivery_date:invalid_date".to_owned()])
    );
    assert_eq!(ids(&app.orders().list("").await.1).len(), 0);
    let (_, log) = app.audit_log().list("entity_type=order").await;
    assert_eq!(log["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn another_rep_neither_sees_nor_changes_the_order() {
    let app = TestApp::new().await;
    let s = setup(&app, "10").await;
    let other_dept = app.department("华北销售部").await;
    let (_, other) = app.signed_in("zhao.rep", "salesperson", Some(other_dept)).await;
    let id = app.orders().by(&s.rep.1).create(&order_body(&s, "1")).await["id"].as_i64().unwrap();
    assert_eq!(app.orders().by(&other).get(id).await.0, StatusCode::NOT_FOUND);
    assert_eq!(act(&app, &other, id, "submit", json!({})).await.0, StatusCode::NOT_FOUND);
    assert_eq!(act(&app, &other, id, "cancel", json!({})).await.0, StatusCode::NOT_FOUND);
    assert_eq!(ids(&app.orders().by(&other).list("").await.1).len(), 0);
    // Nor can they order for a customer outside their scope.
    let (status, problem) = app.orders().by(&other).post(&order_body(&s, "1")).await;
    assert_eq!(
        (status, field_codes(&problem)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["customer_id:unknown_reference".to_owned()])
    );
    // The manager sees the department's orders.
    assert_eq!(app.orders().by(&s.manager.1).get(id).await.0, StatusCode::OK);
}

/// 20 orders of one unit each wait for the admin; 20 approvals race for 5
/// units: exactly 5 orders are approved, available never goes below zero.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn approvals_racing_for_scarce_stock_approve_exactly_what_is_there() {
    let app = TestApp::new().await;
    let s = setup(&app, "5").await;
    rule(&app, "1", json!([{"role": "admin"}])).await;
    let mut orders = Vec::new();
    for _ in 0..20 {
        let id = app.orders().by(&s.rep.1).create(&order_body(&s, "1")).await["id"].as_i64().unwrap();
        let (status, body) = act(&app, &s.rep.1, id, "submit", json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        orders.push(id);
    }
    let tasks: Vec<_> = orders
        .iter()
        .map(|id| {
            let router = app.router.clone();
            let path = format!("/api/v1/orders/{id}/approve");
            let request = api_request(Method::POST, &path, Some(&app.admin), Some(json!({})), &[]);
            tokio::spawn(async move { send_to(&router, request).await.0 })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("task"));
    }
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let refused = statuses.iter().filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY).count();
    assert_eq!((ok, refused), (5, 15), "{statuses:?}");
    assert_eq!(stock_row(&app, &s).await, (5, 5));
    let (_, approved) = app.orders().list("status=approved&limit=100").await;
    assert_eq!(ids(&approved).len(), 5);
    let (_, waiting) = app.orders().list("status=submitted&limit=100").await;
    assert_eq!(ids(&waiting).len(), 15);
}

/// A service (installation) has no stock: its line needs none to be
/// approved, ships without a stock movement, and is never "low".
#[tokio::test]
async fn a_service_line_reserves_and_ships_no_stock() {
    let app = TestApp::new().await;
    let s = setup(&app, "5").await;
    let rep = &s.rep.1;
    let body = json!({"code": "SVC-INSTALL", "name": "安装调试服务", "unit": "次", "list_price": "800.00",
                      "reorder_point": "10", "service": true});
    let service = app.products().create(&body).await;
    assert_eq!(service["service"], true);
    let service = service["id"].as_i64().unwrap();
    let mut body = order_body(&s, "2");
    body["lines"].as_array_mut().unwrap().push(json!({"product_id": service, "quantity": "1"}));
    let id = app.orders().by(rep).create(&body).await["id"].as_i64().unwrap();
    let (status, approved) = act(&app, rep, id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["lines"][1]["reserved"], "0");
    assert_eq!(stock_row(&app, &s).await, (5, 2));

    let lines: Vec<Value> = approved["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| json!({"order_line_id": l["id"], "quantity": l["quantity"]}))
        .collect();
    let (status, shipped) = act(&app, rep, id, "ship", json!({"carrier": "自送", "lines": lines})).await;
    assert_eq!(status, StatusCode::OK, "{shipped}");
    assert_eq!(shipped["status"], "shipped");
    assert_eq!(shipped["lines"][1]["shipped"], "1");
    assert_eq!(stock_row(&app, &s).await, (3, 0));
    let (_, card) = app.stock_movements().list(&format!("product_id={service}")).await;
    assert_eq!(card["items"].as_array().unwrap().len(), 0, "{card}");
    // A reorder point on a service never makes it "low".
    let (_, low) = app.api(Method::GET, "/api/v1/stock/low", Some(&app.admin), None).await;
    assert!(!low.to_string().contains("SVC-INSTALL"), "{low}");
}
