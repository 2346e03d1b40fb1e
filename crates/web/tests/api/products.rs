//! Products (issue 12): the catalogue, categories and price lists through
//! the API; who may change them; the price that applies to a customer.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::helpers::TestApp;
use crate::support::{audit_actions, field_codes, ids};

fn plc() -> serde_json::Value {
    json!({"code": "PLC-200", "name": "PLC控制器", "specification": "24 DI / 16 DO, Modbus TCP", "unit": "台",
           "list_price": "12800", "cost": "7600.50", "tax_rate": "13", "reorder_point": "5", "safety_stock": "2.5"})
}

#[tokio::test]
async fn products_are_created_read_changed_and_searched() {
    let app = TestApp::new().await;
    let sensors = app.product_categories().create(&json!({"name": "传感器"})).await;
    let heat = app.product_categories().create(&json!({"name": "温度传感器", "parent_id": sensors["id"]})).await;
    let mut body = plc();
    body["category_id"] = heat["id"].clone();
    let p = app.products().create(&body).await;
    assert_eq!(p["list_price"], "12800.00");
    assert_eq!(p["cost"], "7600.50");
    assert_eq!(p["tax_rate"], "13");
    assert_eq!(p["safety_stock"], "2.5");
    assert_eq!(p["active"], true);
    assert_eq!(p["category_name"], "温度传感器");
    let id = p["id"].as_i64().unwrap();
    app.product("SENSOR-T1", "0").await;

    // Search by a part of the name or the code; filter by the parent category.
    let (_, page) = app.products().list("q=控制").await;
    assert_eq!(ids(&page), [id]);
    let (_, page) = app.products().list("q=PLC").await;
    assert_eq!(ids(&page), [id]);
    let (_, page) = app.products().list(&format!("category_id={}", sensors["id"])).await;
    assert_eq!(ids(&page), [id], "a category lists the products of the categories below it");
    let (_, page) = app.products().list("limit=1").await;
    assert_eq!(page["items"][0]["code"], "PLC-200", "sorted by code");
    let (_, next) = app.products().list(&format!("limit=1&cursor={}", page["next_cursor"].as_str().unwrap())).await;
    assert_eq!(next["items"][0]["code"], "SENSOR-T1");

    // A merge patch changes what it names.
    let (status, changed) =
        app.products().patch(id, &json!({"list_price": "12500.5", "active": false, "version": 1})).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["list_price"], "12500.50");
    assert_eq!(changed["name"], "PLC控制器");
    let (_, page) = app.products().list("active=true").await;
    assert!(!ids(&page).contains(&id));
    let (status, _) = app.products().patch(id, &json!({"name": "x", "version": 1})).await;
    assert_eq!(status, StatusCode::CONFLICT, "a stale version");
    assert_eq!(audit_actions(&app, "product", id).await, ["product.update", "product.create"]);

    // A category cannot move under its own child, nor be deleted while used.
    let (status, e) = app
        .product_categories()
        .patch(sensors["id"].as_i64().unwrap(), &json!({"parent_id": heat["id"], "version": 1}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_codes(&e), ["parent_id:category_cycle"]);
    let (status, e) = app.product_categories().delete(heat["id"].as_i64().unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_codes(&e), ["id:category_in_use"]);

    // Deleting a product nothing refers to works.
    let (status, _) = app.products().delete(id).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.products().get(id).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_products_are_refused_field_by_field_and_nothing_is_saved() {
    let app = TestApp::new().await;
    app.product("PLC-200", "0").await;
    let bad = json!({"code": "PLC-200", "name": "", "unit": "台", "list_price": "-1", "cost": "1.234",
                     "tax_rate": "101", "reorder_point": "-3"});
    let (status, e) = app.products().post(&bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let mut codes = field_codes(&e);
    codes.sort();
    assert_eq!(
        codes,
        [
            "code:already_taken",
            "cost:invalid_amount",
            "list_price:negative",
            "name:required",
            "reorder_point:negative",
            "tax_rate:out_of_range"
        ]
    );
    let (status, e) = app
        .products()
        .post(&json!({"code": "A B", "name": "x", "unit": "台", "list_price": "1",
        "category_id": 999}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut codes = field_codes(&e);
    codes.sort();
    assert_eq!(codes, ["category_id:unknown_reference", "code:no_spaces"]);
    let (_, page) = app.products().list("").await;
    assert_eq!(ids(&page).len(), 1, "nothing saved");
}

#[tokio::test]
async fn everyone_reads_the_catalogue_but_only_managers_change_it() {
    let app = TestApp::new().await;
    let id = app.product("PLC-200", "0").await;
    let (_, sales) = app.signed_in("li.na", "salesperson", None).await;
    let (_, manager) = app.signed_in("wang.qiang", "sales_manager", None).await;
    let (_, store_keeper) = app.signed_in("zhao.lei", "warehouse", None).await;
    for token in [&sales, &store_keeper] {
        let (status, _) = app.products().by(token).get(id).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = app.products().by(token).post(&plc()).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = app.products().by(token).patch(id, &json!({"name": "x", "version": 1})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let mut body = plc();
    body["code"] = json!("PLC-300");
    let created = app.products().by(&manager).create(&body).await;
    assert_eq!(created["code"], "PLC-300");
}

#[tokio::test]
async fn the_price_that_applies_is_the_customers_then_the_grades_then_the_list_price() {
    let app = TestApp::new().await;
    let id = app.product("PLC-200", "0").await;
    let (_, sales) = app.signed_in("li.na", "salesperson", None).await;
    let mine = app.customer(&sales, "上海华信科技").await;
    let (status, _) = app.customers().by(&sales).patch(mine, &json!({"grade": "A", "version": 1})).await;
    assert_eq!(status, StatusCode::OK);
    let other = app.customer(&app.admin, "杭州西湖茶业").await;
    let add = |body: serde_json::Value| {
        let app = &app;
        async move { app.api(Method::POST, &format!("/api/v1/products/{id}/prices"), Some(&app.admin), Some(body)).await }
    };
    let (s, grade) =
        add(json!({"grade": "A", "price": "90", "valid_from": "2026-01-01", "valid_to": "2026-12-31"})).await;
    assert_eq!(s, StatusCode::CREATED, "{grade}");
    let (s, own) = add(json!({"customer_id": mine, "price": "88.00", "valid_from": "2026-03-15"})).await;
    assert_eq!(s, StatusCode::CREATED, "{own}");
    // Bad entries: both or neither target, reversed dates, a negative price.
    let (s, e) = add(json!({"customer_id": mine, "grade": "A", "price": "1"})).await;
    assert_eq!((s, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["grade:customer_or_grade".to_owned()]));
    let (s, e) = add(json!({"grade": "B", "price": "-1", "valid_from": "2026-02-02", "valid_to": "2026-02-01"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_codes(&e), ["price:negative", "valid_to:range_reversed"]);

    let price = |customer: i64, date: &str, token: String| {
        let app = &app;
        let path = format!("/api/v1/products/{id}/price?customer_id={customer}&date={date}");
        async move { app.api(Method::GET, &path, Some(&token), None).await }
    };
    let (_, p) = price(mine, "2026-03-14", sales.clone()).await;
    assert_eq!((p["price"].as_str(), p["source"].as_str()), (Some("90.00"), Some("grade")));
    let (_, p) = price(mine, "2026-03-15", sales.clone()).await;
    assert_eq!((p["price"].as_str(), p["source"].as_str()), (Some("88.00"), Some("customer")));
    assert_eq!(p["entry_id"], own["id"]);
    let (_, p) = price(other, "2026-03-15", app.admin.clone()).await;
    assert_eq!((p["price"].as_str(), p["source"].as_str()), (Some("100.00"), Some("list_price")));
    // A customer outside the caller's scope is not theirs to price.
    let (s, _) = price(other, "2026-03-15", sales.clone()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, list) = app.api(Method::GET, &format!("/api/v1/products/{id}/prices"), Some(&sales), None).await;
    assert_eq!(list["items"][0]["customer_name"], "上海华信科技");
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
}

/// The category tree page: a category added under another shows indented
/// below it, a move is saved, and one with a category below it is refused
/// on delete (the page again, with the reason).
#[tokio::test]
async fn the_category_tree_page_adds_moves_and_refuses_deleting_a_parent() {
    use crate::support::browser::{form, get, sign_in};
    let app = crate::helpers::TestApp::new().await;
    let (cookies, csrf) = sign_in(&app).await;
    let (s, _, _) = app
        .send(form(
            "/product-categories",
            &cookies,
            &format!("_csrf={csrf}&name=%E4%BC%A0%E6%84%9F%E5%99%A8&parent_id="),
        ))
        .await;
    assert_eq!(s, axum::http::StatusCode::SEE_OTHER);
    let (_, list) = app.product_categories().list("").await;
    let root = list["items"].as_array().or(list.as_array()).unwrap()[0]["id"].as_i64().unwrap();
    let body = format!("_csrf={csrf}&name=%E6%B8%A9%E5%BA%A6&parent_id={root}");
    let (s, _, _) = app.send(form("/product-categories", &cookies, &body)).await;
    assert_eq!(s, axum::http::StatusCode::SEE_OTHER);
    let (s, _, html) = app.send(get("/product-categories", &cookies)).await;
    assert_eq!(s, axum::http::StatusCode::OK);
    let html = html.as_str().unwrap().to_owned();
    let (parent_at, child_at) = (html.find("传感器").unwrap(), html.find("padding-left: 2rem\">温度").unwrap());
    assert!(parent_at < child_at, "the child follows its parent, indented");
    let (s, _, html) =
        app.send(form(&format!("/product-categories/{root}/delete"), &cookies, &format!("_csrf={csrf}"))).await;
    assert_eq!(s, axum::http::StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.as_str().unwrap().contains("notice error"));
}
