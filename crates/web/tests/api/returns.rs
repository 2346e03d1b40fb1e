//! Return orders (issue 12 item 8): a return against a partly shipped
//! order (its number, its refund from the order's prices, the goods back in
//! stock on the stock card), the bounds (never more than shipped less
//! returned, also when returns race), bad input that changes nothing, data
//! scope, stale versions, and the pages (the order's "return goods"
//! action and its returns section, the form with its field errors).

use axum::http::{Method, StatusCode, header};
use salesflow_store::entity::{order_line, stock};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::helpers::{TestApp, USER_PASSWORD, api_request, send_to};
use crate::support::browser::{form, get, sign_in_as};
use crate::support::{field_codes, ids};

struct Setup {
    dept: i64,
    rep: String,
    customer: i64,
    product: i64,
    warehouse: i64,
}

async fn setup(app: &TestApp) -> Setup {
    let dept = app.department("华东销售部").await;
    let (_, rep) = app.signed_in("li.rep", "salesperson", Some(dept)).await;
    let customer = app.customer(&rep, "上海精密机械有限公司").await;
    let product = app.product("PLC-200", "0").await;
    let warehouse = app.warehouse("SH").await;
    app.receive(product, warehouse, "10").await;
    Setup { dept, rep, customer, product, warehouse }
}

/// An approved order of `quantity` at 1,999.99 less 12.5 % with 13 % tax,
/// `shipped` of it shipped: the order's id and its line's id.
async fn shipped_order(app: &TestApp, s: &Setup, quantity: &str, shipped: &str) -> (i64, i64) {
    let body = json!({"customer_id": s.customer, "warehouse_id": s.warehouse,
        "lines": [{"product_id": s.product, "quantity": quantity, "unit_price": "1999.99",
                   "discount_percent": "12.5", "tax_rate": "13"}]});
    let order = app.orders().by(&s.rep).create(&body).await;
    let id = order["id"].as_i64().unwrap();
    let (status, submitted) = app.orders().by(&s.rep).act(id, "submit", Some(&json!({}))).await;
    assert_eq!(status, StatusCode::OK, "{submitted}");
    let line = submitted["lines"][0]["id"].as_i64().unwrap();
    if shipped != "0" {
        let ship = json!({"carrier": "顺丰速运", "lines": [{"order_line_id": line, "quantity": shipped}]});
        let (status, body) = app.orders().by(&s.rep).act(id, "ship", Some(&ship)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    (id, line)
}

fn return_body(s: &Setup, order: i64, line: i64, quantity: &str) -> Value {
    json!({"order_id": order, "warehouse_id": s.warehouse, "reason": "包装破损",
           "lines": [{"order_line_id": line, "quantity": quantity}]})
}

async fn on_hand(app: &TestApp, s: &Setup) -> i64 {
    let row = stock::Entity::find_by_id((s.product, s.warehouse)).one(app.store.reader()).await.unwrap().unwrap();
    row.on_hand
}

#[tokio::test]
async fn a_return_takes_shipped_goods_back_into_stock_with_its_refund() {
    let app = TestApp::new().await;
    let s = setup(&app).await;
    let (order, line) = shipped_order(&app, &s, "3", "2").await;
    assert_eq!(on_hand(&app, &s).await, 8_000);

    // One of the two shipped: 5,932.47 / 3 = 1,977.49.
    let created = app.returns().by(&s.rep).create(&return_body(&s, order, line, "1")).await;
    let id = created["id"].as_i64().unwrap();
    let number = created["number"].as_str().unwrap();
    assert!(number.starts_with("RT-20") && number.ends_with("-000001"), "{number}");
    assert_eq!(number.len(), "RT-2026-000001".len());
    assert_eq!(
        (created["status"].as_str(), created["refund"].as_str(), created["order_id"].as_i64()),
        (Some("draft"), Some("1977.49"), Some(order))
    );
    assert_eq!(created["lines"][0]["quantity"], "1");
    assert_eq!(created["reason"], "包装破损");
    let (_, o) = app.orders().by(&s.rep).get(order).await;
    assert_eq!((o["lines"][0]["returned"].as_str(), o["lines"][0]["returnable"].as_str()), (Some("1"), Some("1")));

    // Two more than may come back: refused with what is left, nothing changed.
    let (status, problem) = app.returns().by(&s.rep).post(&return_body(&s, order, line, "2")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(field_codes(&problem), ["lines[0].quantity:more_than_returnable"]);
    assert!(problem.to_string().contains("1"), "{problem}");
    assert_eq!(ids(&app.returns().by(&s.rep).list("").await.1), [id]);

    // A stale version is refused; received, the goods are back in stock.
    let (status, _) = app.returns().by(&s.rep).act(id, "receive", Some(&json!({"version": 7}))).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(on_hand(&app, &s).await, 8_000);
    let (status, received) = app.returns().by(&s.rep).act(id, "receive", Some(&json!({"version": 1}))).await;
    assert_eq!(status, StatusCode::OK, "{received}");
    assert_eq!(received["status"], "received");
    assert!(received["received_at"].is_string());
    assert_eq!(on_hand(&app, &s).await, 9_000);
    let (_, card) = app.stock_movements().list(&format!("product_id={}", s.product)).await;
    let top = &card["items"][0];
    assert_eq!(
        (top["kind"].as_str(), top["quantity"].as_str(), top["source_type"].as_str(), top["source_id"].as_i64()),
        (Some("return"), Some("1"), Some("return"), Some(id))
    );
    assert_eq!(top["reason"].as_str(), Some(number));
    // Received once only; not cancelled once the goods are back.
    assert_eq!(app.returns().by(&s.rep).act(id, "receive", None).await.0, StatusCode::CONFLICT);
    assert_eq!(app.returns().by(&s.rep).act(id, "cancel", None).await.0, StatusCode::CONFLICT);

    // The second shipped unit: the next share, 3,954.98 − 1,977.49.
    let second = app.returns().by(&s.rep).create(&return_body(&s, order, line, "1")).await;
    assert_eq!(
        (second["refund"].as_str(), second["number"].as_str().map(|n| n.ends_with("-000002"))),
        (Some("1977.49"), Some(true))
    );
    // Cancelled, its quantity may come back again.
    let second_id = second["id"].as_i64().unwrap();
    let (status, cancelled) = app.returns().by(&s.rep).act(second_id, "cancel", None).await;
    assert_eq!((status, cancelled["status"].as_str()), (StatusCode::OK, Some("cancelled")));
    let (_, o) = app.orders().by(&s.rep).get(order).await;
    assert_eq!(o["lines"][0]["returned"], "1");
    assert_eq!(on_hand(&app, &s).await, 9_000, "a cancelled draft moved no goods");

    let (status, done) = app.returns().by(&s.rep).act(id, "complete", None).await;
    assert_eq!((status, done["status"].as_str()), (StatusCode::OK, Some("completed")));
    assert!(done["completed_at"].is_string());

    // Lists filter by status and order; the audit log has the steps.
    let (_, list) = app.returns().by(&s.rep).list("status=completed").await;
    assert_eq!(ids(&list), [id]);
    let (_, list) = app.returns().by(&s.rep).list(&format!("order_id={order}")).await;
    assert_eq!(ids(&list), [second_id, id]);
    assert_eq!(app.returns().by(&s.rep).list("status=bogus").await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, log) = app.audit_log().list("entity_type=return").await;
    let actions: Vec<&str> = log["items"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    for a in ["return.create", "return.receive", "return.cancel", "return.complete"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
}

#[tokio::test]
async fn bad_returns_are_refused_field_by_field_and_change_nothing() {
    let app = TestApp::new().await;
    let s = setup(&app).await;
    let (order, line) = shipped_order(&app, &s, "3", "3").await;
    let (draft, draft_line) = shipped_order(&app, &s, "1", "0").await;
    let body = json!({"order_id": order, "warehouse_id": 999, "reason": " ",
        "lines": [{"order_line_id": line, "quantity": "0"}, {"order_line_id": 998, "quantity": "1"},
                  {"order_line_id": line, "quantity": "1.0001"}]});
    let (status, problem) = app.returns().by(&s.rep).post(&body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        field_codes(&problem),
        [
            "reason:required",
            "lines[2].quantity:too_precise",
            "lines[2].order_line_id:duplicate",
            "warehouse_id:unknown_reference",
            "lines[0].quantity:must_be_positive",
            "lines[1].order_line_id:unknown_reference",
        ]
    );
    // An order that shipped nothing takes no returns; nor does one out of reach.
    let (_, problem) = app.returns().by(&s.rep).post(&return_body(&s, draft, draft_line, "1")).await;
    assert_eq!(field_codes(&problem), ["order_id:not_shipped", "lines[0].quantity:more_than_returnable"]);
    let (_, problem) = app.returns().by(&s.rep).post(&return_body(&s, 123_456, line, "1")).await;
    assert_eq!(field_codes(&problem), ["order_id:unknown_reference"]);
    let (_, problem) = app
        .returns()
        .by(&s.rep)
        .post(&json!({"order_id": order, "warehouse_id": s.warehouse,
        "reason": "x", "lines": []}))
        .await;
    assert_eq!(field_codes(&problem), ["lines:required"]);
    // A refund sent by the client is not a field of the body.
    let mut with_refund = return_body(&s, order, line, "1");
    with_refund["refund"] = json!("1.00");
    assert_eq!(app.returns().by(&s.rep).post(&with_refund).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(ids(&app.returns().list("").await.1).is_empty());
    let row = order_line::Entity::find_by_id(line).one(app.store.reader()).await.unwrap().unwrap();
    assert_eq!(row.returned, 0);
}

#[tokio::test]
async fn returns_follow_the_customers_data_scope() {
    let app = TestApp::new().await;
    let s = setup(&app).await;
    let (order, line) = shipped_order(&app, &s, "2", "2").await;
    let created = app.returns().by(&s.rep).create(&return_body(&s, order, line, "1")).await;
    let id = created["id"].as_i64().unwrap();
    let other_dept = app.department("华南销售部").await;
    let (_, other) = app.signed_in("zhou.rep", "salesperson", Some(other_dept)).await;
    assert_eq!(app.returns().by(&other).get(id).await.0, StatusCode::NOT_FOUND);
    assert!(ids(&app.returns().by(&other).list("").await.1).is_empty());
    assert_eq!(app.returns().by(&other).act(id, "receive", None).await.0, StatusCode::NOT_FOUND);
    let (status, problem) = app.returns().by(&other).post(&return_body(&s, order, line, "1")).await;
    assert_eq!(
        (status, field_codes(&problem)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["order_id:unknown_reference".into()])
    );
    // The department's warehouse keeper receives returns but does not register them.
    let (_, keeper) = app.signed_in("zhao.keeper", "warehouse", Some(s.dept)).await;
    assert_eq!(app.returns().by(&keeper).post(&return_body(&s, order, line, "1")).await.0, StatusCode::FORBIDDEN);
    let (status, received) = app.returns().by(&keeper).act(id, "receive", None).await;
    assert_eq!((status, received["status"].as_str()), (StatusCode::OK, Some("received")), "{received}");
    assert_eq!(app.returns().get(id).await.0, StatusCode::OK, "the administrator sees every return");
}

/// 12 returns of 1 race for a line that shipped 5: exactly 5 are
/// registered, the rest refused, and the line never counts more than 5.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_returns_never_exceed_what_shipped() {
    let app = TestApp::new().await;
    let s = setup(&app).await;
    let (order, line) = shipped_order(&app, &s, "6", "5").await;
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let router = app.router.clone();
            let request = api_request(
                Method::POST,
                "/api/v1/returns",
                Some(&s.rep),
                Some(return_body(&s, order, line, "1")),
                &[],
            );
            tokio::spawn(async move { send_to(&router, request).await.0 })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("task"));
    }
    let created = statuses.iter().filter(|s| **s == StatusCode::CREATED).count();
    let refused = statuses.iter().filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY).count();
    assert_eq!((created, refused), (5, 7), "{statuses:?}");
    let row = order_line::Entity::find_by_id(line).one(app.store.reader()).await.unwrap().unwrap();
    assert_eq!((row.shipped, row.returned), (5_000, 5_000));
    let (_, list) = app.returns().list(&format!("order_id={order}&limit=100")).await;
    assert_eq!(ids(&list).len(), 5);
    // The five refunds are the line's shares: together 5/6 of 11,864.94.
    let refunds: i64 = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["refund"].as_str().unwrap().replace('.', "").parse::<i64>().unwrap())
        .sum();
    assert_eq!(refunds, 988_745);
}

#[tokio::test]
async fn the_order_page_offers_returns_and_the_form_shows_its_errors() {
    let app = TestApp::new().await;
    let s = setup(&app).await;
    let (order, line) = shipped_order(&app, &s, "3", "2").await;
    let (cookies, csrf) = sign_in_as(&app, "li.rep", USER_PASSWORD, "/orders").await;
    let (status, _, page) = app.send(get(&format!("/orders/{order}"), &cookies)).await;
    assert_eq!(status, StatusCode::OK);
    let html = page.as_str().unwrap();
    assert!(html.contains(&format!("/returns/new?order_id={order}")), "the return action: {html}");
    assert!(html.contains("No returns for this order") || html.contains("该订单暂无退货"), "{html}");
    let (status, _, page) = app.send(get(&format!("/returns/new?order_id={order}"), &cookies)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.as_str().unwrap().contains(&format!("name=\"qty_{line}\"")), "{page}");
    // Too much: the form again, the error on its row, what was typed kept.
    let too_much =
        format!("_csrf={csrf}&order_id={order}&warehouse_id={}&reason=%E7%A0%B4%E6%8D%9F&qty_{line}=3", s.warehouse);
    let (status, _, page) = app.send(form("/returns", &cookies, &too_much)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = page.as_str().unwrap();
    assert!(html.contains(&format!("qty_{line}-error")), "{html}");
    assert!(html.contains("(at most 2)") || html.contains("超过可退数量（最多 2）"), "{html}");
    assert!(html.contains("破损"), "the reason is kept: {html}");
    let good = too_much.replace(&format!("qty_{line}=3"), &format!("qty_{line}=2"));
    let (status, headers, _) = app.send(form("/returns", &cookies, &good)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = headers.get(header::LOCATION).unwrap().to_str().unwrap().to_owned();
    let id: i64 = location.trim_start_matches("/returns/").parse().unwrap();
    let (status, _, page) = app.send(get(&location, &cookies)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.as_str().unwrap().contains("3,954.98"), "the refund: {page}");
    let (status, _, _) =
        app.send(form(&format!("/returns/{id}/receive"), &cookies, &format!("_csrf={csrf}&version=1"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = app.send(get(&format!("/orders/{order}"), &cookies)).await;
    let html = page.as_str().unwrap();
    assert!(html.contains(&format!("/returns/{id}")), "{html}");
    assert!(html.contains(">Received<") || html.contains(">已收货<"), "{html}");
    let (status, _, page) = app.send(get("/returns", &cookies)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.as_str().unwrap().contains("RT-"), "{page}");
    // The customer's page lists it, and its link filters the list to the customer.
    let (_, _, page) = app.send(get(&format!("/customers/{}", s.customer), &cookies)).await;
    let html = page.as_str().unwrap();
    assert!(html.contains("data-testid=\"customer-returns\"") && html.contains(&format!("/returns/{id}")), "{html}");
    let (status, _, page) = app.send(get(&format!("/returns?customer_id={}", s.customer), &cookies)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.as_str().unwrap().contains(&format!("/returns/{id}")), "{page}");
    let other = app.customer(&s.rep, "北京另一家客户").await;
    let (_, _, page) = app.send(get(&format!("/returns?customer_id={other}"), &cookies)).await;
    assert!(!page.as_str().unwrap().contains(&format!("/returns/{id}")), "another customer's list: {page}");
}
