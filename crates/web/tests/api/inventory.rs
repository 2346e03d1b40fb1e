//! Inventory (issue 12): warehouses, stock, the stock card with its running
//! balance, transfers, adjustments, never below zero (also under a burst of
//! concurrent requests), low stock and its notice, and refused deletes.

use axum::http::{Method, StatusCode};
use salesflow_store::entity::stock;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::helpers::{TestApp, api_request, send_to};
use crate::support::{field_codes, ids};

fn movement(kind: &str, product: i64, warehouse: i64, quantity: &str) -> Value {
    json!({"kind": kind, "product_id": product, "warehouse_id": warehouse, "quantity": quantity})
}

async fn stock_of(app: &TestApp, product: i64, warehouse: i64) -> Value {
    let (status, page) = app.stock().list(&format!("product_id={product}&warehouse_id={warehouse}")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"][0].clone()
}

#[tokio::test]
async fn the_stock_card_lists_every_movement_newest_first_with_its_running_balance() {
    let app = TestApp::new().await;
    let p = app.product("PLC-200", "0").await;
    let sh = app.warehouse("SH").await;
    let bj = app.warehouse("BJ").await;
    app.receive(p, sh, "10").await;
    app.receive(p, sh, "2.5").await;
    let mut adj = movement("adjustment", p, sh, "-1.5");
    adj["reason"] = json!("盘点损坏");
    app.stock_movements().create(&adj).await;
    let mut transfer = movement("transfer", p, sh, "4");
    transfer["to_warehouse_id"] = json!(bj);
    let written = app.stock_movements().create(&transfer).await;
    let kinds: Vec<&str> = written["items"].as_array().unwrap().iter().map(|m| m["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["transfer_out", "transfer_in"]);

    let (_, card) = app.stock_movements().list(&format!("product_id={p}&warehouse_id={sh}")).await;
    let rows: Vec<(String, String, String)> = card["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["kind"].as_str().unwrap().into(),
                m["quantity"].as_str().unwrap().into(),
                m["balance_after"].as_str().unwrap().into(),
            )
        })
        .collect();
    let want = [
        ("transfer_out", "-4", "7"),
        ("adjustment", "-1.5", "11"),
        ("receipt", "2.5", "12.5"),
        ("receipt", "10", "10"),
    ];
    assert_eq!(rows, want.map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned())));
    // Keyset pages: two at a time, the same rows.
    let (_, first) = app.stock_movements().list(&format!("product_id={p}&warehouse_id={sh}&limit=2")).await;
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let (_, second) =
        app.stock_movements().list(&format!("product_id={p}&warehouse_id={sh}&limit=2&cursor={cursor}")).await;
    let all: Vec<i64> = ids(&first).into_iter().chain(ids(&second)).collect();
    assert_eq!(all, ids(&card));

    let s = stock_of(&app, p, sh).await;
    assert_eq!(
        (s["on_hand"].as_str(), s["reserved"].as_str(), s["available"].as_str()),
        (Some("7"), Some("0"), Some("7"))
    );
    assert_eq!(stock_of(&app, p, bj).await["on_hand"], "4");
}

#[tokio::test]
async fn bad_movements_are_refused_and_change_nothing() {
    let app = TestApp::new().await;
    let p = app.product("PLC-200", "0").await;
    let sh = app.warehouse("SH").await;
    app.receive(p, sh, "3").await;
    // An adjustment needs a reason; zero, negative receipts, unknown records, too many decimals.
    let (s, e) = app.stock_movements().post(&movement("adjustment", p, sh, "-1")).await;
    assert_eq!((s, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["reason:required".to_owned()]));
    let (_, e) = app.stock_movements().post(&movement("receipt", p, sh, "0")).await;
    assert_eq!(field_codes(&e), ["quantity:must_be_positive"]);
    let (_, e) = app.stock_movements().post(&movement("receipt", p, sh, "1.0001")).await;
    assert_eq!(field_codes(&e), ["quantity:too_precise"]);
    let (_, e) = app.stock_movements().post(&movement("receipt", 999, 998, "1")).await;
    assert_eq!(field_codes(&e), ["product_id:unknown_reference", "warehouse_id:unknown_reference"]);
    let (_, e) = app.stock_movements().post(&movement("teleport", p, sh, "1")).await;
    assert_eq!(field_codes(&e), ["kind:invalid_choice"]);
    let mut same = movement("transfer", p, sh, "1");
    same["to_warehouse_id"] = json!(sh);
    let (_, e) = app.stock_movements().post(&same).await;
    assert_eq!(field_codes(&e), ["to_warehouse_id:same_warehouse"]);
    // Never below zero: the answer names what is available.
    let mut adj = movement("adjustment", p, sh, "-3.5");
    adj["reason"] = json!("盘亏");
    let (s, e) = app.stock_movements().post(&adj).await;
    assert_eq!(
        (s, field_codes(&e)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["quantity:insufficient_stock".to_owned()])
    );
    assert!(e.to_string().contains('3'), "{e}");
    let bj = app.warehouse("BJ").await;
    let mut transfer = movement("transfer", p, sh, "4");
    transfer["to_warehouse_id"] = json!(bj);
    let (s, _) = app.stock_movements().post(&transfer).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(stock_of(&app, p, sh).await["on_hand"], "3");
    let (_, bj_stock) = app.stock().list(&format!("product_id={p}&warehouse_id={bj}")).await;
    assert!(bj_stock["items"][0]["on_hand"].as_str().is_none_or(|q| q == "0"), "nothing arrived: {bj_stock}");
    let (_, card) = app.stock_movements().list(&format!("product_id={p}")).await;
    assert_eq!(ids(&card).len(), 1, "only the first receipt");

    // Allowed by the company, the same adjustment goes through.
    let (_, mut settings) = app.api(Method::GET, "/api/v1/settings", Some(&app.admin), None).await;
    settings["allow_negative_stock"] = json!(true);
    let (s, body) = app.api(Method::PATCH, "/api/v1/settings", Some(&app.admin), Some(settings)).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    app.stock_movements().create(&adj).await;
    assert_eq!(stock_of(&app, p, sh).await["on_hand"], "-0.5");
}

#[tokio::test]
async fn only_warehouse_staff_and_administrators_move_stock_everyone_reads_it() {
    let app = TestApp::new().await;
    let p = app.product("PLC-200", "0").await;
    let sh = app.warehouse("SH").await;
    let (_, sales) = app.signed_in("li.na", "salesperson", None).await;
    let (_, keeper) = app.signed_in("zhao.lei", "warehouse", None).await;
    let (_, manager) = app.signed_in("wang.qiang", "sales_manager", None).await;
    for token in [&sales, &manager] {
        let (s, _) = app.stock_movements().by(token).post(&movement("receipt", p, sh, "1")).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = app.warehouses().by(token).post(&json!({"code": "X", "name": "x"})).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = app.stock().by(token).list("").await;
        assert_eq!(s, StatusCode::OK);
    }
    app.stock_movements().by(&keeper).create(&movement("receipt", p, sh, "1")).await;
    app.warehouses().by(&keeper).create(&json!({"code": "BJ", "name": "北京仓"})).await;
}

#[tokio::test]
async fn what_movements_refer_to_cannot_be_deleted() {
    let app = TestApp::new().await;
    let p = app.product("PLC-200", "0").await;
    let sh = app.warehouse("SH").await;
    let empty = app.warehouse("EMPTY").await;
    app.receive(p, sh, "1").await;
    let (s, e) = app.products().delete(p).await;
    assert_eq!((s, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["id:product_has_movements".to_owned()]));
    let (s, e) = app.warehouses().delete(sh).await;
    assert_eq!((s, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["id:warehouse_has_movements".to_owned()]));
    let (s, _) = app.warehouses().delete(empty).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.products().get(p).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn a_product_at_its_reorder_point_is_low_and_the_warehouse_hears_of_it() {
    let app = TestApp::new().await;
    let p = app.product("PLC-200", "5").await;
    let never = app.product("NO-POINT", "0").await;
    let sh = app.warehouse("SH").await;
    let (_, keeper) = app.signed_in("zhao.lei", "warehouse", None).await;
    let (_, sales) = app.signed_in("li.na", "salesperson", None).await;
    app.receive(p, sh, "8").await;
    let (_, low) = app.api(Method::GET, "/api/v1/stock/low", Some(&sales), None).await;
    assert_eq!(low["items"].as_array().unwrap().len(), 0, "{low}");
    let mut adj = movement("adjustment", p, sh, "-3");
    adj["reason"] = json!("损坏");
    app.stock_movements().create(&adj).await;
    let (_, low) = app.api(Method::GET, "/api/v1/stock/low", Some(&sales), None).await;
    let items = low["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{low}");
    assert_eq!(items[0]["product_id"], p);
    assert_eq!(items[0]["available"], "5");
    assert_eq!(items[0]["suggested_order"], "0");
    assert!(items.iter().all(|i| i["product_id"] != never));
    // The warehouse keeper was told once (crossing the point), the salesperson not.
    let (_, notes) = app.notifications().by(&keeper).list("").await;
    let low_notes =
        notes.as_array().or(notes["items"].as_array()).unwrap().iter().filter(|n| n["kind"] == "low_stock").count();
    assert_eq!(low_notes, 1, "{notes}");
    app.stock_movements().create(&adj).await;
    let (_, notes) = app.notifications().by(&keeper).list("").await;
    let low_notes =
        notes.as_array().or(notes["items"].as_array()).unwrap().iter().filter(|n| n["kind"] == "low_stock").count();
    assert_eq!(low_notes, 1, "already low: no second notice");
    let (_, notes) = app.notifications().by(&sales).list("").await;
    assert!(!notes.to_string().contains("low_stock"));
}

/// 20 adjustments of −1 race for the last 5 units: exactly 5 succeed, the
/// others are refused, and on hand never goes below zero.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_takes_of_the_last_units_never_oversell() {
    let app = TestApp::new().await;
    let p = app.product("PLC-200", "0").await;
    let sh = app.warehouse("SH").await;
    app.receive(p, sh, "5").await;
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let router = app.router.clone();
            let mut body = movement("adjustment", p, sh, "-1");
            body["reason"] = json!(format!("领用 {i}"));
            let request = api_request(Method::POST, "/api/v1/stock-movements", Some(&app.admin), Some(body), &[]);
            tokio::spawn(async move { send_to(&router, request).await.0 })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("task"));
    }
    let ok = statuses.iter().filter(|s| **s == StatusCode::CREATED).count();
    let refused = statuses.iter().filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY).count();
    assert_eq!((ok, refused), (5, 15), "{statuses:?}");
    let row = stock::Entity::find_by_id((p, sh)).one(app.store.reader()).await.unwrap().unwrap();
    assert_eq!((row.on_hand, row.reserved), (0, 0));
    let (_, card) = app.stock_movements().list(&format!("product_id={p}&limit=100")).await;
    assert_eq!(ids(&card).len(), 6);
    let lowest =
        card["items"].as_array().unwrap().iter().map(|m| m["balance_after"].as_str().unwrap().parse::<f64>().unwrap());
    assert!(lowest.fold(f64::MAX, f64::min) >= 0.0);
}
