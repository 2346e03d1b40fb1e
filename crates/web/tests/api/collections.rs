//! Money owed on sales orders (issue 12 item 7): payments and their
//! reversal, invoices and voiding, collection plans and their instalments'
//! states, receivables' aging, the credit condition of the approval rules,
//! overdue reminders, bad input, rights and data scope, and parallel
//! payments and invoices that must never exceed the order.

use axum::http::{Method, StatusCode};
use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::helpers::{TestApp, api_request, send_to};
use crate::support::{field_codes, ids};

struct Setup {
    manager: (i64, String),
    rep: (i64, String),
    customer: i64,
    product: i64,
    warehouse: i64,
}

async fn setup(app: &TestApp) -> Setup {
    let dept = app.department("华南销售部").await;
    let manager = app.signed_in("zhao.manager", "sales_manager", Some(dept)).await;
    let (status, body) = app.departments().patch(dept, &json!({"manager_id": manager.0, "version": 1})).await;
    assert!(status.is_success(), "{body}");
    let rep = app.signed_in("chen.rep", "salesperson", Some(dept)).await;
    let customer = app.customer(&rep.1, "深圳华强电子有限公司").await;
    let product = app.product("INV-300", "0").await;
    let warehouse = app.warehouse("SZ").await;
    app.receive(product, warehouse, "1000").await;
    Setup { manager, rep, customer, product, warehouse }
}

/// An order of `quantity` × 100.00 (no tax), submitted: approved at once
/// unless a rule says otherwise. Its id.
async fn order(app: &TestApp, s: &Setup, quantity: &str) -> (i64, Value) {
    let body = json!({"customer_id": s.customer, "warehouse_id": s.warehouse,
                      "lines": [{"product_id": s.product, "quantity": quantity}]});
    let id = app.orders().by(&s.rep.1).create(&body).await["id"].as_i64().unwrap();
    let (status, submitted) = app.orders().by(&s.rep.1).act(id, "submit", Some(&json!({}))).await;
    assert_eq!(status, StatusCode::OK, "{submitted}");
    (id, submitted)
}

async fn call(app: &TestApp, token: &str, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    app.api(method, &format!("/api/v1{path}"), Some(token), body).await
}

async fn pay(app: &TestApp, token: &str, order: i64, amount: &str) -> (StatusCode, Value) {
    let body = json!({"order_id": order, "amount": amount, "kind": "payment", "method": "bank_transfer",
                      "reference": "ICBC-0001"});
    call(app, token, Method::POST, "/payments", Some(body)).await
}

fn day(offset: i64) -> String {
    (Utc::now() + Duration::days(offset)).date_naive().to_string()
}

#[tokio::test]
async fn payments_lower_what_is_owed_and_a_reversal_restores_it() {
    let app = TestApp::new().await;
    let s = setup(&app).await;
    let rep = &s.rep.1;
    let (id, approved) = order(&app, &s, "3").await;
    assert_eq!((approved["status"].as_str(), approved["outstanding"].as_str()), (Some("approved"), Some("300.00")));

    let deposit = json!({"order_id": id, "amount": "100", "kind": "deposit", "method": "cash", "received_on": day(-1)});
    let (status, paid) = call(&app, rep, Method::POST, "/payments", Some(deposit)).await;
    assert_eq!(status, StatusCode::CREATED, "{paid}");
    assert_eq!(paid["payment"]["kind"], "deposit");
    assert_eq!(paid["payment"]["amount"], "100.00");
    assert_eq!(
        (paid["order"]["paid"].as_str(), paid["order"]["outstanding"].as_str()),
        (Some("100.00"), Some("200.00"))
    );
    let (_, o) = app.orders().by(rep).get(id).await;
    assert_eq!((o["paid"].as_str(), o["outstanding"].as_str()), (Some("100.00"), Some("200.00")));

    // More than is owed: refused with the most it may be, nothing changed.
    let (status, problem) = pay(&app, rep, id, "200.01").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(field_codes(&problem), ["amount:more_than_outstanding"]);
    assert_eq!(problem["errors"][0]["message"].as_str().map(|m| m.contains("200.00")), Some(true), "{problem}");
    let (_, list) = call(&app, rep, Method::GET, &format!("/payments?order_id={id}"), None).await;
    assert_eq!(ids(&list).len(), 1);

    // A salesperson may record but not reverse; a manager reverses (with a reason, the version).
    let pid = paid["payment"]["id"].as_i64().unwrap();
    let reverse = |v: i64, reason: &str| json!({"reason": reason, "version": v});
    let path = format!("/payments/{pid}/reverse");
    assert_eq!(call(&app, rep, Method::POST, &path, Some(reverse(1, "错账"))).await.0, StatusCode::FORBIDDEN);
    let manager = &s.manager.1;
    let (status, problem) = call(&app, manager, Method::POST, &path, Some(reverse(1, " "))).await;
    assert_eq!((status, field_codes(&problem)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["reason:required".to_owned()]));
    assert_eq!(call(&app, manager, Method::POST, &path, Some(reverse(7, "错账"))).await.0, StatusCode::CONFLICT);
    let (status, reversed) = call(&app, manager, Method::POST, &path, Some(reverse(1, "客户退回，错账"))).await;
    assert_eq!(status, StatusCode::OK, "{reversed}");
    assert_eq!(reversed["payment"]["status"], "reversed");
    assert_eq!(reversed["payment"]["reversal_reason"], "客户退回，错账");
    assert_eq!(reversed["order"]["outstanding"], "300.00");
    // Never twice; the payment stays readable, marked reversed.
    assert_eq!(call(&app, manager, Method::POST, &path, Some(reverse(2, "again"))).await.0, StatusCode::CONFLICT);
    let (_, again) = call(&app, rep, Method::GET, &format!("/payments/{pid}"), None).await;
    assert_eq!(again["status"], "reversed");
    // Both are in the audit log.
    let (_, audit) = app.audit_log().list("entity_type=payment").await;
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert!(actions.contains(&"payment.record") && actions.contains(&"payment.reverse"), "{audit}");
    // Paid in full: the order owes nothing.
    let (status, _) = pay(&app, rep, id, "300.00").await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, owing) = app.orders().by(rep).list("collection=owing").await;
    assert!(ids(&owing).is_empty());
    let (_, paid_up) = app.orders().by(rep).list("collection=paid").await;
    assert_eq!(ids(&paid_up), [id]);
}

#[tokio::test]
async fn only_approved_orders_take_money_and_bad_input_changes_nothing() {
    let app = TestApp::new().await;
    let s = setup(&app).await;
    let rep = &s.rep.1;
    let body = json!({"customer_id": s.customer, "lines": [{"product_id": s.product, "quantity": "1"}]});
    let draft = app.orders().by(rep).create(&body).await["id"].as_i64().unwrap();
    let (status, problem) = pay(&app, rep, draft, "10").await;
    assert_eq!(
        (status, field_codes(&problem)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["order_id:order_not_approved".into()])
    );
    let invoice = json!({"order_id": draft, "number": "No.00000001", "amount": "10"});
    assert_eq!(call(&app, rep, Method::POST, "/invoices", Some(invoice)).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let plan = json!({"instalments": [{"due_date": day(10), "amount": "10"}], "version": 1});
    assert_eq!(
        call(&app, rep, Method::PUT, &format!("/orders/{draft}/plan"), Some(plan)).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    let (id, _) = order(&app, &s, "2").await;
    let bad = json!({"order_id": id, "amount": "abc", "kind": "gift", "method": "bitcoin", "received_on": day(3),
                     "reference": "x".repeat(101)});
    let (status, problem) = call(&app, rep, Method::POST, "/payments", Some(bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let mut codes = field_codes(&problem);
    codes.sort();
    assert_eq!(
        codes,
        [
            "amount:invalid_amount",
            "kind:invalid_choice",
            "method:invalid_choice",
            "received_on:date_in_future",
            "reference:too_long"
        ]
    );
    for amount in ["0", "-5", "1.234"] {
        let (status, problem) = pay(&app, rep, id, amount).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{amount}: {problem}");
    }
    let bad_day = json!({"order_id": id, "amount": "1", "received_on": "2026-13-01"});
    let (status, problem) = call(&app, rep, Method::POST, "/payments", Some(bad_day)).await;
    assert_eq!(
        (status, field_codes(&problem)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["received_on:invalid_date".into()])
    );
    let unknown = json!({"order_id": id, "amount": "1", "total": "5"});
    assert_eq!(call(&app, rep, Method::POST, "/payments", Some(unknown)).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, o) = app.orders().by(rep).get(id).await;
    assert_eq!((o["paid"].as_str(), o["outstanding"].as_str()), (Some("0.00"), Some("200.00")));

    // An order with money received is not cancelled (reverse first).
    assert_eq!(pay(&app, rep, id, "50").await.0, StatusCode::CREATED);
    assert_eq!(app.orders().by(rep).act(id, "cancel", None).await.0, StatusCode::CONFLICT);
}

#[tokio::test]
async fn invoices_never_exceed_the_order_and_a_voided_one_frees_its_amount() {
    let app = TestApp::new().await;
    let s = setup(&app).await;
    let rep = &s.rep.1;
    let (id, _) = order(&app, &s, "3").await;
    let issue = |number: &str, amount: &str, kind: &str| json!({"order_id": id, "number": number, "amount": amount, "invoice_type": kind, "issued_on": day(0)});
    let (status, first) = call(&app, rep, Method::POST, "/invoices", Some(issue("04400001", "200", "special"))).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(
        (first["invoice"]["invoice_type"].as_str(), first["order"]["invoiced"].as_str()),
        (Some("special"), Some("200.00"))
    );
    let (status, problem) =
        call(&app, rep, Method::POST, "/invoices", Some(issue("04400002", "100.01", "ordinary"))).await;
    assert_eq!(
        (status, field_codes(&problem)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["amount:more_than_uninvoiced".into()])
    );
    let (status, problem) = call(&app, rep, Method::POST, "/invoices", Some(issue("04400001", "1", "ordinary"))).await;
    assert_eq!(
        (status, field_codes(&problem)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["number:already_taken".into()])
    );
    let (status, problem) = call(&app, rep, Method::POST, "/invoices", Some(issue("", "1", "red"))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut codes = field_codes(&problem);
    codes.sort();
    assert_eq!(codes, ["invoice_type:invalid_choice", "number:required"]);
    // Voided (by finance): the 200 may be invoiced again.
    let finance = app.signed_in("qian.finance", "finance", None).await;
    let iid = first["invoice"]["id"].as_i64().unwrap();
    let (status, voided) = call(
        &app,
        &finance.1,
        Method::POST,
        &format!("/invoices/{iid}/void"),
        Some(json!({"reason": "开错抬头", "version": 1})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{voided}");
    assert_eq!(
        (voided["invoice"]["status"].as_str(), voided["order"]["invoiced"].as_str()),
        (Some("void"), Some("0.00"))
    );
    let (status, _) = call(&app, rep, Method::POST, "/invoices", Some(issue("04400003", "300", "ordinary"))).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, list) = call(&app, &finance.1, Method::GET, &format!("/invoices?order_id={id}"), None).await;
    assert_eq!(ids(&list).len(), 2);
}

#[tokio::test]
async fn a_plan_gives_each_instalment_its_state_and_the_receivables_their_age() {
    let app = TestApp::new().await;
    let s = setup(&app).await;
    let rep = &s.rep.1;
    let (id, _) = order(&app, &s, "4").await;
    let path = format!("/orders/{id}/plan");
    let (_, empty) = call(&app, rep, Method::GET, &path, None).await;
    assert_eq!((empty["instalments"].as_array().map(Vec::len), empty["version"].as_i64()), (Some(0), Some(1)));
    // Over the total (400.00): refused with the bound.
    let over = json!({"instalments": [{"due_date": day(-100), "amount": "300"}, {"due_date": day(5), "amount": "100.01"}], "version": 1});
    let (status, problem) = call(&app, rep, Method::PUT, &path, Some(over)).await;
    assert_eq!(
        (status, field_codes(&problem)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["instalments:plan_exceeds_total".into()])
    );
    let bad = json!({"instalments": [{"due_date": "tomorrow", "amount": "0"}], "version": 1});
    let (status, problem) = call(&app, rep, Method::PUT, &path, Some(bad)).await;
    assert_eq!(
        (status, field_codes(&problem)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["instalments[0].due_date:invalid_date".into()])
    );
    // 100 due 100 days ago, 100 due 40 days ago, 100 in 10 days (given out of order); 100 unplanned.
    let plan = json!({"instalments": [{"due_date": day(10), "amount": "100"}, {"due_date": day(-100), "amount": "100"},
                                      {"due_date": day(-40), "amount": "100"}], "version": 1});
    let (status, saved) = call(&app, rep, Method::PUT, &path, Some(plan.clone())).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["version"], 2);
    assert_eq!(call(&app, rep, Method::PUT, &path, Some(plan)).await.0, StatusCode::CONFLICT);
    let states = |p: &Value| -> Vec<String> {
        p["instalments"].as_array().unwrap().iter().map(|i| i["state"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(states(&saved), ["overdue", "overdue", "due"]);
    assert_eq!(saved["instalments"][0]["due_date"], day(-100));

    // 150 paid: the oldest in full, 50 of the second (still overdue), the third untouched.
    assert_eq!(pay(&app, rep, id, "150").await.0, StatusCode::CREATED);
    let (_, now) = call(&app, rep, Method::GET, &path, None).await;
    assert_eq!(states(&now), ["paid", "overdue", "due"]);
    assert_eq!(
        (now["instalments"][1]["paid"].as_str(), now["instalments"][1]["unpaid"].as_str()),
        (Some("50.00"), Some("50.00"))
    );

    // Aging: 50 is 40 days late (31–60); 100 not due yet and the unplanned 100 from today (0–30).
    let (status, rec) = call(&app, &s.manager.1, Method::GET, "/receivables", None).await;
    assert_eq!(status, StatusCode::OK, "{rec}");
    let row = &rec["items"][0];
    assert_eq!(row["customer_id"], s.customer);
    assert_eq!(row["orders"], 1);
    let aging = &row["aging"];
    assert_eq!(
        [
            &aging["total"],
            &aging["days_0_30"],
            &aging["days_31_60"],
            &aging["days_61_90"],
            &aging["days_over_90"],
            &aging["overdue"]
        ],
        ["250.00", "200.00", "50.00", "0.00", "0.00", "50.00"]
    );
    assert_eq!(rec["totals"]["total"], "250.00");
    // The overdue figures and the filtered list behind them.
    let (_, overdue) = call(&app, rep, Method::GET, "/receivables/overdue", None).await;
    assert_eq!(
        (overdue["instalments"].as_i64(), overdue["orders"].as_i64(), overdue["amount"].as_str()),
        (Some(1), Some(1), Some("50.00"))
    );
    let (_, late) = app.orders().by(rep).list("collection=overdue").await;
    assert_eq!(ids(&late), [id]);

    // The reminder: once, to the customer's owner, only for the unpaid overdue instalment.
    assert_eq!(salesflow_store::finance::remind_overdue(&app.store, 100).await.unwrap(), 1);
    assert_eq!(salesflow_store::finance::remind_overdue(&app.store, 100).await.unwrap(), 0);
    let (_, notices) = app.notifications().by(rep).list("").await;
    let kinds: Vec<&str> = notices.as_array().unwrap().iter().filter_map(|n| n["kind"].as_str()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "collection_overdue").count(), 1, "{notices}");
}

#[tokio::test]
async fn the_credit_condition_counts_what_approved_orders_still_owe() {
    let app = TestApp::new().await;
    let s = setup(&app).await;
    let rep = &s.rep.1;
    let (status, c) = app.customers().get(s.customer).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) =
        app.customers().patch(s.customer, &json!({"credit_limit": "500", "version": c["version"]})).await;
    assert!(status.is_success(), "{body}");
    let rule = json!({"document_type": "order", "over_credit_limit": true, "steps": [{"role": "admin"}]});
    app.approval_rules().create(&rule).await;
    // 300 approved (300 ≤ 500), 100 of it paid: 200 still owed.
    let (first, o) = order(&app, &s, "3").await;
    assert_eq!(o["status"], "approved");
    assert_eq!(pay(&app, rep, first, "100").await.0, StatusCode::CREATED);
    // 200 owed + 250 = 450 ≤ 500: approved at once.
    let (_, second) = order(&app, &s, "2.5").await;
    assert_eq!(second["status"], "approved");
    // 200 + 250 owed + 100 = 550 > 500: waits for approval.
    let (_, third) = order(&app, &s, "1").await;
    assert_eq!(third["status"], "submitted");
    // The customer's credit: 450 used, 50 available.
    let (status, credit) = call(&app, rep, Method::GET, &format!("/customers/{}/credit", s.customer), None).await;
    assert_eq!(status, StatusCode::OK, "{credit}");
    assert_eq!(
        (credit["credit_limit"].as_str(), credit["used"].as_str(), credit["available"].as_str()),
        (Some("500.00"), Some("450.00"), Some("50.00"))
    );
}

#[tokio::test]
async fn money_follows_the_order_scope_and_the_finance_rights() {
    let app = TestApp::new().await;
    let s = setup(&app).await;
    let (id, _) = order(&app, &s, "1").await;
    let (_, paid) = pay(&app, &s.rep.1, id, "10").await;
    let pid = paid["payment"]["id"].as_i64().unwrap();
    let other_dept = app.department("华北销售部").await;
    let other = app.signed_in("sun.rep", "salesperson", Some(other_dept)).await;
    let o = &other.1;
    assert_eq!(call(&app, o, Method::GET, &format!("/payments/{pid}"), None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(pay(&app, o, id, "1").await.0, StatusCode::NOT_FOUND);
    assert_eq!(call(&app, o, Method::GET, &format!("/orders/{id}/plan"), None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        call(&app, o, Method::GET, &format!("/customers/{}/credit", s.customer), None).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, list) = call(&app, o, Method::GET, "/payments", None).await;
    assert!(ids(&list).is_empty());
    let (_, rec) = call(&app, o, Method::GET, "/receivables", None).await;
    assert_eq!((rec["items"].as_array().map(Vec::len), rec["totals"]["total"].as_str()), (Some(0), Some("0.00")));
    // The manager and finance see it; a warehouse clerk has no money rights (403 before the body).
    assert_eq!(call(&app, &s.manager.1, Method::GET, &format!("/payments/{pid}"), None).await.0, StatusCode::OK);
    let finance = app.signed_in("qian.finance", "finance", None).await;
    let (_, rec) = call(&app, &finance.1, Method::GET, "/receivables", None).await;
    assert_eq!(rec["totals"]["total"], "90.00");
    let clerk = app.signed_in("zhou.clerk", "warehouse", None).await;
    assert_eq!(call(&app, &clerk.1, Method::GET, "/payments", None).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        call(&app, &clerk.1, Method::POST, "/payments", Some(json!("not even a body"))).await.0,
        StatusCode::FORBIDDEN
    );
}

/// 10 payments of 50.00 at once against an order of 300.00: exactly 6 are
/// taken, the others refused; what is paid never exceeds the total. The
/// same for invoices.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_payments_and_invoices_never_exceed_the_order() {
    let app = TestApp::new().await;
    let s = setup(&app).await;
    let (id, _) = order(&app, &s, "3").await;
    let race = |path: &'static str, body: Box<dyn Fn(usize) -> Value>| {
        let tasks: Vec<_> = (0..10)
            .map(|i| {
                let router = app.router.clone();
                let request = api_request(Method::POST, path, Some(&s.rep.1), Some(body(i)), &[]);
                tokio::spawn(async move { send_to(&router, request).await.0 })
            })
            .collect();
        async move {
            let mut statuses = Vec::new();
            for t in tasks {
                statuses.push(t.await.expect("task"));
            }
            statuses
        }
    };
    let statuses = race("/api/v1/payments", Box::new(move |_| json!({"order_id": id, "amount": "50"}))).await;
    let created = statuses.iter().filter(|s| **s == StatusCode::CREATED).count();
    let refused = statuses.iter().filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY).count();
    assert_eq!((created, refused), (6, 4), "{statuses:?}");
    let (_, o) = app.orders().get(id).await;
    assert_eq!((o["paid"].as_str(), o["outstanding"].as_str()), (Some("300.00"), Some("0.00")));
    let statuses = race(
        "/api/v1/invoices",
        Box::new(move |i| json!({"order_id": id, "number": format!("P-{i}"), "amount": "50"})),
    )
    .await;
    let created = statuses.iter().filter(|s| **s == StatusCode::CREATED).count();
    assert_eq!(created, 6, "{statuses:?}");
    let (_, o) = app.orders().get(id).await;
    assert_eq!(o["invoiced"], "300.00");
}

/// The pages: the order page's money section, the payment form with its
/// field errors (the form keeps what was typed), the plan form, the
/// receivables page, the customer's credit and the home page's figures.
#[tokio::test]
async fn the_money_pages_record_a_payment_and_show_the_receivables() {
    use crate::helpers::USER_PASSWORD;
    use crate::support::browser::{form, get, sign_in_as};
    let app = TestApp::new().await;
    let s = setup(&app).await;
    let (id, _) = order(&app, &s, "5").await;
    let (cookies, csrf) = sign_in_as(&app, "chen.rep", USER_PASSWORD, "/orders").await;
    let (status, _, page) = app.send(get(&format!("/orders/{id}"), &cookies)).await;
    assert_eq!(status, StatusCode::OK);
    let html = page.as_str().unwrap();
    assert!(html.contains("data-testid=\"order-outstanding\"") && html.contains("¥500.00"), "{html}");
    assert!(html.contains(&format!("/orders/{id}/payments/new")));
    let (status, _, _) = app.send(get(&format!("/orders/{id}/payments/new"), &cookies)).await;
    assert_eq!(status, StatusCode::OK);
    // Too much: the form again, with the bound beside the amount and the typed reference kept.
    let path = format!("/orders/{id}/payments/new");
    let bad = format!("_csrf={csrf}&kind=payment&received_on={}&amount=600&method=cash&reference=XJ-77&note=", day(0));
    let (status, _, page) = app.send(form(&path, &cookies, &bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = page.as_str().unwrap();
    assert!(html.contains("超过订单未收金额（最多 500.00）") && html.contains("value=\"XJ-77\""), "{html}");
    // 200 is taken: back to the order.
    let good = format!("_csrf={csrf}&kind=deposit&received_on={}&amount=200&method=cash&reference=XJ-77&note=", day(0));
    let (status, headers, _) = app.send(form(&path, &cookies, &good)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers.get(axum::http::header::LOCATION).unwrap(), &format!("/orders/{id}#money"));
    let (_, _, page) = app.send(get(&format!("/orders/{id}"), &cookies)).await;
    assert!(page.as_str().unwrap().contains("¥300.00"));
    // A plan row without a date: the error on its row.
    let plan = format!(
        "_csrf={csrf}&version=1&instalments[0].due_date=&instalments[0].amount=100&instalments[1].due_date={}&instalments[1].amount=",
        day(5)
    );
    let plan = plan.replace('[', "%5B").replace(']', "%5D");
    let (status, _, page) = app.send(form(&format!("/orders/{id}/plan"), &cookies, &plan)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.as_str().unwrap().contains("field-error"));
    // The receivables page and the customer's credit; the home page's section.
    let (status, _, page) = app.send(get("/receivables", &cookies)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.as_str().unwrap().contains("深圳华强电子有限公司"));
    let (_, _, page) = app.send(get(&format!("/customers/{}", s.customer), &cookies)).await;
    assert!(page.as_str().unwrap().contains("data-testid=\"customer-credit\""));
    let (_, _, page) = app.send(get("/", &cookies)).await;
    assert!(page.as_str().unwrap().contains("data-testid=\"home-collections\""));
    // Exports need the finance export right: the salesperson has none.
    assert!(!app.send(get("/receivables", &cookies)).await.2.as_str().unwrap().contains("money-exports"));
    let (status, _, _) = app.send(get("/payments/export.csv", &cookies)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The manager exports the team's payments (Excel opens the CSV: a BOM) and invoices.
    let (cookies, _) = sign_in_as(&app, "zhao.manager", USER_PASSWORD, "/receivables").await;
    let (_, _, page) = app.send(get("/receivables", &cookies)).await;
    assert!(page.as_str().unwrap().contains("/payments/export.xlsx"), "{page}");
    let request = get(&format!("/payments/export.csv?customer_id={}", s.customer), &cookies);
    let response = tower::ServiceExt::oneshot(app.router.clone(), request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let csv = String::from_utf8(bytes.to_vec()).unwrap();
    assert!(csv.starts_with('\u{feff}') && csv.contains("XJ-77") && csv.contains("深圳华强电子有限公司"), "{csv}");
    assert!(csv.contains("200.00") && (csv.contains("定金") || csv.contains("Deposit")), "{csv}");
    let (status, _, _) = app.send(get("/invoices/export.xlsx", &cookies)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = app.send(get("/invoices/export.pdf", &cookies)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
