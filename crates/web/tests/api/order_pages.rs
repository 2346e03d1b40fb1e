//! The order pages: a new order through the form (with its field errors),
//! the order page with the approver's buttons, "my approvals", the home
//! page's count, the customer page's orders, and the rules admin page.

use axum::http::{StatusCode, header};
use serde_json::json;

use crate::helpers::{TestApp, USER_PASSWORD};
use crate::support::browser::{form, get, sign_in, sign_in_as};
use crate::support::urlencode;

#[tokio::test]
async fn an_order_goes_through_the_pages_from_the_form_to_the_approvers_decision() {
    let app = TestApp::new().await;
    let dept = app.department("华南销售部").await;
    let manager = app.signed_in("zhou.manager", "sales_manager", Some(dept)).await;
    app.departments().patch(dept, &json!({"manager_id": manager.0, "version": 1})).await;
    let rep = app.signed_in("chen.rep", "salesperson", Some(dept)).await;
    let customer = app.customer(&rep.1, "深圳恒达电子有限公司").await;
    let product = app.product("SRV-10", "0").await;
    let warehouse = app.warehouse("SZ").await;
    app.receive(product, warehouse, "50").await;
    app.approval_rules()
        .create(&json!({"document_type": "order", "min_amount": "1000", "steps": [{"manager": 1}]}))
        .await;

    let (cookies, csrf) = sign_in_as(&app, "chen.rep", USER_PASSWORD, "/orders").await;
    let (status, _, page) = app.send(get("/orders/new", &cookies)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.as_str().unwrap().contains("深圳恒达电子有限公司"));
    // A bad quantity shows the form again with the error on its row.
    let bad = format!("_csrf={csrf}&customer_id={customer}&lines[0].product_code=SRV-10&lines[0].quantity=0");
    let (status, _, page) = app.send(form("/orders/new", &cookies, &urlencode_keys(&bad))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.as_str().unwrap().contains("<p class=\"field-error\">必须大于零。</p>"), "{page}");
    let good = format!(
        "_csrf={csrf}&customer_id={customer}&warehouse_id={warehouse}&delivery_date=2026-12-24&lines[0].product_code=SRV-10&lines[0].quantity=12&lines[1].product_code="
    );
    let (status, headers, _) = app.send(form("/orders/new", &cookies, &urlencode_keys(&good))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = headers.get(header::LOCATION).unwrap().to_str().unwrap().to_owned();
    let id: i64 = location.trim_start_matches("/orders/").parse().unwrap();
    let (status, _, _) = app.send(form(&format!("/orders/{id}/submit"), &cookies, &format!("_csrf={csrf}"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // An order that names a deal shows on the deal's page.
    let deal = json!({"name": "恒达 产线升级", "customer_id": customer, "amount": "200000", "expected_close_date": "2099-01-31"});
    let deal = app.opportunities().by(&rep.1).create(&deal).await["id"].as_i64().unwrap();
    let body =
        json!({"customer_id": customer, "opportunity_id": deal, "lines": [{"product_id": product, "quantity": "1"}]});
    let linked = app.orders().by(&rep.1).create(&body).await["id"].as_i64().unwrap();
    let (_, _, page) = app.send(get(&format!("/opportunities/{deal}"), &cookies)).await;
    assert!(page.as_str().unwrap().contains(&format!("/orders/{linked}")), "{page}");
    // A deal of another customer is refused.
    let other = app.customer(&rep.1, "东莞精密模具厂").await;
    let body =
        json!({"customer_id": other, "opportunity_id": deal, "lines": [{"product_id": product, "quantity": "1"}]});
    let (status, _) = app.orders().by(&rep.1).post(&body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // The customer page lists the order.
    let (_, _, page) = app.send(get(&format!("/customers/{customer}"), &cookies)).await;
    assert!(page.as_str().unwrap().contains(&format!("/orders/{id}")));

    // The manager: the home page counts it, my approvals lists it, the order page has the buttons.
    let (mcookies, mcsrf) = sign_in_as(&app, "zhou.manager", USER_PASSWORD, "/").await;
    let (_, _, home) = app.send(get("/", &mcookies)).await;
    assert!(home.as_str().unwrap().contains("1 waiting for your decision"), "{home}");
    let (_, _, mine) = app.send(get("/approvals", &mcookies)).await;
    let mine = mine.as_str().unwrap();
    assert!(mine.contains(&format!("/orders/{id}")) && mine.contains("chen.rep"), "{mine}");
    let (_, _, order) = app.send(get(&format!("/orders/{id}"), &mcookies)).await;
    assert!(order.as_str().unwrap().contains(&format!("/orders/{id}/reject")));
    // Rejecting without a comment: the page again with the error.
    let (status, _, page) =
        app.send(form(&format!("/orders/{id}/reject"), &mcookies, &format!("_csrf={mcsrf}&comment="))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.as_str().unwrap().contains("notice error"), "{page}");
    let (status, _, _) =
        app.send(form(&format!("/orders/{id}/approve"), &mcookies, &format!("_csrf={mcsrf}&comment=ok"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, order) = app.orders().get(id).await;
    assert_eq!(order["status"], "approved");
    let (_, _, home) = app.send(get("/", &mcookies)).await;
    assert!(!home.as_str().unwrap().contains("waiting for your decision"));

    // Shipping from the page.
    let line = order["lines"][0]["id"].as_i64().unwrap();
    let body = format!("_csrf={csrf}&carrier={}&tracking_number=SF001&ship_{line}=5", urlencode("顺丰"));
    let (status, _, _) = app.send(form(&format!("/orders/{id}/ship"), &cookies, &body)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, order) = app.orders().get(id).await;
    assert_eq!(order["status"], "partially_shipped");
    let (_, _, list) = app.send(get("/orders?status=partially_shipped", &cookies)).await;
    assert!(list.as_str().unwrap().contains(order["number"].as_str().unwrap()));
}

#[tokio::test]
async fn administrators_configure_approval_rules_on_their_page() {
    let app = TestApp::new().await;
    let (cookies, csrf) = sign_in(&app).await;
    let (status, _, _) = app.send(get("/admin/approval-rules", &cookies)).await;
    assert_eq!(status, StatusCode::OK);
    let body = format!(
        "_csrf={csrf}&document_type=order&min_amount=500000&min_discount=&step1=manager%3A1&step2=role%3Aadmin&step3=&position=1"
    );
    let (status, _, _) = app.send(form("/admin/approval-rules", &cookies, &body)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, rules) = app.approval_rules().list("").await;
    assert_eq!(rules["items"][0]["steps"], json!([{"manager": 1}, {"role": "admin"}]));
    assert_eq!(rules["items"][0]["min_amount"], "500000.00");
    // No step: refused with the form again.
    let body = format!("_csrf={csrf}&document_type=order&min_amount=abc&step1=&step2=&step3=&position=1");
    let (status, _, _) = app.send(form("/admin/approval-rules", &cookies, &body)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // A salesperson may not change them.
    let (_, rep) = app.signed_in("sun.rep", "salesperson", None).await;
    let (status, _) =
        app.approval_rules().by(&rep).post(&json!({"document_type": "order", "steps": [{"manager": 1}]})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// Form keys with brackets, encoded as a browser does.
fn urlencode_keys(body: &str) -> String {
    body.replace('[', "%5B").replace(']', "%5D")
}
