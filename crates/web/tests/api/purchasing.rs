//! Purchasing (issue 12): suppliers, purchase orders from draft to
//! received (stock and the stock card right, the order's number), refused
//! receipts that change nothing, drafts from the low-stock list, and
//! concurrent receipts of one line that never exceed what was ordered.

use axum::http::{Method, StatusCode};
use salesflow_store::entity::{purchase_order_line, stock};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::helpers::{TestApp, api_request, send_to};
use crate::support::{field_codes, ids};

async fn supplier(app: &TestApp, name: &str) -> i64 {
    app.suppliers().create(&json!({"name": name, "phone": "021-6234 5678"})).await["id"].as_i64().unwrap()
}

fn line(product: i64, quantity: &str, cost: &str) -> Value {
    json!({"product_id": product, "quantity": quantity, "unit_cost": cost})
}

async fn on_hand(app: &TestApp, product: i64, warehouse: i64) -> i64 {
    stock::Entity::find_by_id((product, warehouse)).one(app.store.reader()).await.unwrap().map_or(0, |s| s.on_hand)
}

#[tokio::test]
async fn suppliers_are_created_read_changed_and_deleted() {
    let app = TestApp::new().await;
    let created = app
        .suppliers()
        .create(&json!({"name": "上海精密机械有限公司", "contact": "王芳", "phone": "+86 138-0013-8000",
                        "email": "sales@jingmi.cn", "address": "上海市浦东新区张江路 88 号", "notes": "月结 30 天"}))
        .await;
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["contact"], "王芳");
    supplier(&app, "Acme Components Ltd").await;
    let (s, list) = app.suppliers().list("").await;
    assert_eq!(s, StatusCode::OK);
    let names: Vec<&str> = list["items"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Acme Components Ltd", "上海精密机械有限公司"]);
    let (_, found) = app.suppliers().list("q=精密").await;
    assert_eq!(ids(&found), [id]);
    let (s, changed) = app.suppliers().patch(id, &json!({"phone": "021-5555 6666", "version": 1})).await;
    assert_eq!(s, StatusCode::OK, "{changed}");
    assert_eq!(
        (changed["phone"].as_str(), changed["email"].as_str()),
        (Some("021-5555 6666"), Some("sales@jingmi.cn"))
    );
    let (s, _) = app.suppliers().patch(id, &json!({"phone": "021-7777 8888", "version": 1})).await;
    assert_eq!(s, StatusCode::CONFLICT, "a stale version");
    let (s, e) = app.suppliers().post(&json!({"name": " ", "email": "nope", "phone": "call me"})).await;
    assert_eq!(
        (s, field_codes(&e)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["name:required".to_owned(), "phone:invalid_phone".to_owned(), "email:invalid_email".to_owned()]
        )
    );
    // Named by a purchase order: not deleted; otherwise gone.
    let p = app.product("PLC-200", "0").await;
    app.purchase_orders().create(&json!({"supplier_id": id, "lines": [line(p, "1", "10")]})).await;
    let (s, e) = app.suppliers().delete(id).await;
    assert_eq!(
        (s, field_codes(&e)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["id:supplier_has_purchase_orders".into()])
    );
    let other = supplier(&app, "闲置供应商").await;
    let (s, _) = app.suppliers().delete(other).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.suppliers().get(other).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_purchase_order_goes_from_draft_to_received_and_puts_the_goods_in_stock() {
    let app = TestApp::new().await;
    let sup = supplier(&app, "深圳华强电子").await;
    let plc = app.product("PLC-200", "0").await;
    let hmi = app.product("HMI-7", "0").await;
    let sh = app.warehouse("SH").await;
    app.receive(plc, sh, "2").await;
    let body = json!({"supplier_id": sup, "expected_date": "2026-12-20", "notes": "加急",
                      "lines": [line(plc, "10", "1999.99"), line(hmi, "2.5", "0.33")]});
    let po = app.purchase_orders().create(&body).await;
    let id = po["id"].as_i64().unwrap();
    assert!(po["number"].as_str().unwrap().starts_with("PO-2026-"), "{po}");
    assert_eq!(po["number"].as_str().unwrap().len(), "PO-2026-000001".len());
    assert_eq!((po["status"].as_str(), po["total"].as_str()), (Some("draft"), Some("20000.73")));
    assert_eq!(po["supplier_name"], "深圳华强电子");
    let second = app.purchase_orders().create(&json!({"supplier_id": sup, "lines": [line(hmi, "1", "5")]})).await;
    assert_ne!(second["number"], po["number"]);
    let plc_line = po["lines"][0]["id"].as_i64().unwrap();
    let receipt = |line_id: i64, quantity: &str| json!({"warehouse_id": sh, "lines": [{"line_id": line_id, "quantity": quantity}]});

    // A draft receives nothing (409), changes freely; ordered, it is final.
    let (s, _) = app.purchase_orders().act(id, "receive", Some(&receipt(plc_line, "1"))).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, patched) =
        app.purchase_orders().patch(id, &json!({"notes": "加急，送上海仓", "version": po["version"]})).await;
    assert_eq!(s, StatusCode::OK, "{patched}");
    assert_eq!(patched["lines"].as_array().unwrap().len(), 2);
    let (s, ordered) = app.purchase_orders().act(id, "order", None).await;
    assert_eq!((s, ordered["status"].as_str()), (StatusCode::OK, Some("ordered")), "{ordered}");
    let plc_line = ordered["lines"][0]["id"].as_i64().unwrap();
    // Changing a draft's lines replaced them: the ids are the ordered ones.
    let hmi_line_now = ordered["lines"][1]["id"].as_i64().unwrap();
    let (s, _) = app.purchase_orders().patch(id, &json!({"notes": "x", "version": ordered["version"]})).await;
    assert_eq!(s, StatusCode::CONFLICT, "an ordered purchase order is final");

    // Partly received.
    let (s, part) = app.purchase_orders().act(id, "receive", Some(&receipt(plc_line, "4"))).await;
    assert_eq!(s, StatusCode::OK, "{part}");
    assert_eq!(part["status"], "partially_received");
    assert_eq!(
        (part["lines"][0]["received"].as_str(), part["lines"][0]["outstanding"].as_str()),
        (Some("4"), Some("6"))
    );
    assert_eq!(on_hand(&app, plc, sh).await, 6_000);

    // More than is outstanding: refused, nothing changed (not even the other line).
    let over = json!({"warehouse_id": sh, "lines": [{"line_id": hmi_line_now, "quantity": "1"},
                                                     {"line_id": plc_line, "quantity": "6.001"}]});
    let (s, e) = app.purchase_orders().act(id, "receive", Some(&over)).await;
    assert_eq!(
        (s, field_codes(&e)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["lines[1].quantity:exceeds_outstanding".into()])
    );
    assert!(e.to_string().contains('6'), "{e}");
    let (_, unchanged) = app.purchase_orders().get(id).await;
    assert_eq!(
        (unchanged["lines"][1]["received"].as_str(), unchanged["status"].as_str()),
        (Some("0"), Some("partially_received"))
    );
    assert_eq!(on_hand(&app, plc, sh).await, 6_000);
    assert_eq!(on_hand(&app, hmi, sh).await, 0);
    // Cancelling after goods arrived is refused.
    let (s, _) = app.purchase_orders().act(id, "cancel", None).await;
    assert_eq!(s, StatusCode::CONFLICT);

    // The rest, both lines at once: received.
    let rest = json!({"warehouse_id": sh, "lines": [{"line_id": plc_line, "quantity": "6"},
                                                     {"line_id": hmi_line_now, "quantity": "2.5"}]});
    let (s, done) = app.purchase_orders().act(id, "receive", Some(&rest)).await;
    assert_eq!((s, done["status"].as_str()), (StatusCode::OK, Some("received")), "{done}");
    assert_eq!(on_hand(&app, plc, sh).await, 12_000);
    assert_eq!(on_hand(&app, hmi, sh).await, 2_500);
    let (s, _) = app.purchase_orders().act(id, "receive", Some(&receipt(plc_line, "1"))).await;
    assert_eq!(s, StatusCode::CONFLICT, "nothing more to receive");

    // The stock card: receipts tied to the order, with the running balance.
    let (_, card) = app.stock_movements().list(&format!("product_id={plc}&warehouse_id={sh}")).await;
    let rows: Vec<(String, String, Value, Value)> = card["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["quantity"].as_str().unwrap().to_owned(),
                m["balance_after"].as_str().unwrap().to_owned(),
                m["source_type"].clone(),
                m["source_id"].clone(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("6".to_owned(), "12".to_owned(), json!("purchase_order"), json!(id)),
            ("4".to_owned(), "6".to_owned(), json!("purchase_order"), json!(id)),
            ("2".to_owned(), "2".to_owned(), Value::Null, Value::Null),
        ]
    );
    // Lists filter by status and supplier.
    let (_, received) = app.purchase_orders().list(&format!("status=received&supplier_id={sup}")).await;
    assert_eq!(ids(&received), [id]);
    let (_, drafts) = app.purchase_orders().list("status=draft").await;
    assert_eq!(ids(&drafts), [second["id"].as_i64().unwrap()]);
    let (s, _) = app.purchase_orders().list("status=lost").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // A draft may be cancelled or deleted; an ordered one only cancelled.
    let (s, cancelled) = app.purchase_orders().act(second["id"].as_i64().unwrap(), "cancel", None).await;
    assert_eq!((s, cancelled["status"].as_str()), (StatusCode::OK, Some("cancelled")));
    let (s, _) = app.purchase_orders().delete(id).await;
    assert_eq!(s, StatusCode::CONFLICT);
}

#[tokio::test]
async fn bad_purchase_orders_are_refused_field_by_field() {
    let app = TestApp::new().await;
    let sup = supplier(&app, "Acme").await;
    let p = app.product("PLC-200", "0").await;
    let (s, e) = app
        .purchase_orders()
        .post(&json!({"supplier_id": 999, "expected_date": "2026-13-01",
                      "lines": [line(p, "0", "-1"), line(998, "1.0001", "1")]}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_codes(&e),
        [
            "supplier_id:unknown_reference",
            "expected_date:invalid_date",
            "lines[1].product_id:unknown_reference",
            "lines[1].quantity:too_precise",
        ]
    );
    let (_, e) = app.purchase_orders().post(&json!({"supplier_id": sup, "lines": [line(p, "0", "-1")]})).await;
    assert_eq!(field_codes(&e), ["lines[0].quantity:must_be_positive", "lines[0].unit_cost:must_not_be_negative"]);
    let (_, e) = app.purchase_orders().post(&json!({"supplier_id": sup, "lines": []})).await;
    assert_eq!(field_codes(&e), ["lines:required"]);
    let (_, list) = app.purchase_orders().list("").await;
    assert!(ids(&list).is_empty());
}

#[tokio::test]
async fn the_warehouse_runs_purchasing_salespeople_do_not_see_it() {
    let app = TestApp::new().await;
    let (_, sales) = app.signed_in("li.na", "salesperson", None).await;
    let (_, keeper) = app.signed_in("zhao.lei", "warehouse", None).await;
    let (_, manager) = app.signed_in("wang.qiang", "sales_manager", None).await;
    let (s, _) = app.suppliers().by(&sales).list("").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.purchase_orders().by(&sales).list("").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let sup = app.suppliers().by(&keeper).create(&json!({"name": "华东物料"})).await["id"].as_i64().unwrap();
    let p = app.product("PLC-200", "0").await;
    let po = app.purchase_orders().by(&keeper).create(&json!({"supplier_id": sup, "lines": [line(p, "1", "1")]})).await;
    let (s, _) = app.purchase_orders().by(&manager).get(po["id"].as_i64().unwrap()).await;
    assert_eq!(s, StatusCode::OK, "sales managers read purchasing");
    let (s, _) = app.purchase_orders().by(&manager).act(po["id"].as_i64().unwrap(), "order", None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn low_stock_drafts_one_purchase_order_per_default_supplier() {
    let app = TestApp::new().await;
    let east = supplier(&app, "华东物料").await;
    let west = supplier(&app, "West Supply Co").await;
    let sh = app.warehouse("SH").await;
    let a = app.product("A-1", "10").await;
    let b = app.product("B-1", "5").await;
    let c = app.product("C-1", "8").await;
    let orphan = app.product("D-1", "3").await;
    let fine = app.product("E-1", "2").await;
    for (p, s) in [(a, Some(east)), (b, Some(east)), (c, Some(west)), (fine, Some(west))] {
        let (st, body) =
            app.products().patch(p, &json!({"default_supplier_id": s, "cost": "12.50", "version": 1})).await;
        assert_eq!(st, StatusCode::OK, "{body}");
    }
    let (s, e) = app.products().patch(orphan, &json!({"default_supplier_id": 999, "version": 1})).await;
    assert_eq!(
        (s, field_codes(&e)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["default_supplier_id:unknown_reference".into()])
    );
    app.receive(a, sh, "4").await;
    app.receive(fine, sh, "20").await;
    let (s, drafts) = app.purchase_orders().post(&json!({})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "a plain POST still needs a body: {drafts}");
    let (s, drafts) = app.api(Method::POST, "/api/v1/purchase-orders/from-low-stock", Some(&app.admin), None).await;
    assert_eq!(s, StatusCode::CREATED, "{drafts}");
    let created = drafts["created"].as_array().unwrap();
    assert_eq!(created.len(), 2, "{drafts}");
    let by_supplier = |sup: i64| created.iter().find(|o| o["supplier_id"] == sup).unwrap();
    let lines = |o: &Value| -> Vec<(i64, String, String)> {
        o["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["product_id"].as_i64().unwrap(),
                    l["quantity"].as_str().unwrap().into(),
                    l["unit_cost"].as_str().unwrap().into(),
                )
            })
            .collect()
    };
    // A: 10 − 4 = 6; B: 5 − 0 = 5; C: 8.
    assert_eq!(lines(by_supplier(east)), [(a, "6".into(), "12.50".into()), (b, "5".into(), "12.50".into())]);
    assert_eq!(lines(by_supplier(west)), [(c, "8".into(), "12.50".into())]);
    assert!(created.iter().all(|o| o["status"] == "draft"));
    let skipped: Vec<(i64, &str)> = drafts["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["product_id"].as_i64().unwrap(), s["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(skipped, [(orphan, "no_default_supplier")]);
    // Asked again: what is on order already covers it.
    let (_, again) = app.api(Method::POST, "/api/v1/purchase-orders/from-low-stock", Some(&app.admin), None).await;
    assert_eq!(again["created"].as_array().unwrap().len(), 0, "{again}");
    assert_eq!(again["skipped"].as_array().unwrap().len(), 4);
}

/// 20 receipts of 1 race for a line of 5: exactly 5 succeed, the rest are
/// refused, and the line, the stock and the stock card agree.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_receipts_never_exceed_what_was_ordered() {
    let app = TestApp::new().await;
    let sup = supplier(&app, "Acme").await;
    let p = app.product("PLC-200", "0").await;
    let sh = app.warehouse("SH").await;
    let po = app.purchase_orders().create(&json!({"supplier_id": sup, "lines": [line(p, "5", "10")]})).await;
    let id = po["id"].as_i64().unwrap();
    let line_id = po["lines"][0]["id"].as_i64().unwrap();
    app.purchase_orders().act(id, "order", None).await;
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let router = app.router.clone();
            let body = json!({"warehouse_id": sh, "lines": [{"line_id": line_id, "quantity": "1"}]});
            let path = format!("/api/v1/purchase-orders/{id}/receive");
            let request = api_request(Method::POST, &path, Some(&app.admin), Some(body), &[]);
            tokio::spawn(async move { send_to(&router, request).await.0 })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("task"));
    }
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let refused =
        statuses.iter().filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY || **s == StatusCode::CONFLICT).count();
    assert_eq!((ok, refused), (5, 15), "{statuses:?}");
    let line = purchase_order_line::Entity::find_by_id(line_id).one(app.store.reader()).await.unwrap().unwrap();
    assert_eq!((line.quantity, line.received), (5_000, 5_000));
    assert_eq!(on_hand(&app, p, sh).await, 5_000);
    let (_, card) = app.stock_movements().list(&format!("product_id={p}&limit=100")).await;
    assert_eq!(ids(&card).len(), 5);
    let (_, po) = app.purchase_orders().get(id).await;
    assert_eq!(po["status"], "received");
}

/// The pages: a warehouse added, refused with its field error, and one
/// that movements name refused on delete; a supplier added through its
/// form; the purchase order list and a draft from the low-stock button.
#[tokio::test]
async fn warehouse_and_supplier_pages_save_refuse_and_draft() {
    use crate::support::browser::{form, get, sign_in};
    let app = TestApp::new().await;
    let (cookies, csrf) = sign_in(&app).await;
    let body = format!("_csrf={csrf}&code=SH&name=%E4%B8%8A%E6%B5%B7%E4%BB%93&address=&active=1");
    let (s, _, _) = app.send(form("/warehouses", &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, _, html) = app.send(form("/warehouses", &cookies, &body)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.as_str().unwrap().contains("code-error"), "the code is taken: {html}");
    let (s, _, html) = app.send(get("/warehouses", &cookies)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.as_str().unwrap().contains("上海仓"), "{html}");
    let sh = app.warehouses().list("").await.1["items"][0]["id"].as_i64().unwrap();
    let p = app.product("PLC-200", "5").await;
    app.receive(p, sh, "1").await;
    let (s, _, html) = app.send(form(&format!("/warehouses/{sh}/delete"), &cookies, &format!("_csrf={csrf}"))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let text = html.as_str().unwrap();
    assert!(text.contains("deactivate it instead") || text.contains("请改为停用"), "{html}");

    let body = format!("_csrf={csrf}&name=Acme+Components&contact=&phone=&email=bad&address=&notes=");
    let (s, _, html) = app.send(form("/suppliers", &cookies, &body)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.as_str().unwrap().contains("email-error"), "{html}");
    let body = body.replace("email=bad", "email=sales%40acme.com");
    let (s, _, _) = app.send(form("/suppliers", &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let sup = app.suppliers().list("").await.1["items"][0]["id"].as_i64().unwrap();
    app.products().patch(p, &json!({"default_supplier_id": sup, "version": 1})).await;
    let (s, _, html) = app.send(get("/stock", &cookies)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.as_str().unwrap().contains("/purchase-orders/from-low-stock"), "the low-stock button: {html}");
    let (s, _, _) = app.send(form("/purchase-orders/from-low-stock", &cookies, &format!("_csrf={csrf}"))).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, _, html) = app.send(get("/purchase-orders?status=draft", &cookies)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.as_str().unwrap().contains("PO-") && html.as_str().unwrap().contains("Acme Components"), "{html}");
}
