//! The quote pages: a new quote through the form (field errors on their
//! rows, nothing saved), the quote page with the approver's buttons, "my
//! approvals" linking the quote, a new version and the comparison page,
//! the printable page, accepting into an order (the order page links
//! back, the deal page lists the quote), and a refused win said plainly.

use axum::http::{StatusCode, header};
use serde_json::json;

use crate::helpers::{TestApp, USER_PASSWORD};
use crate::support::browser::{form, get, sign_in_as};

fn keys(body: &str) -> String {
    body.replace('[', "%5B").replace(']', "%5D")
}

fn text(page: &serde_json::Value) -> &str {
    page.as_str().unwrap()
}

/// The page says it in one of the two languages (the reader's).
fn says(page: &serde_json::Value, zh: &str, en: &str) -> bool {
    text(page).contains(zh) || text(page).contains(en)
}

#[tokio::test]
async fn a_quote_goes_through_the_pages_from_the_form_to_the_order() {
    let app = TestApp::new().await;
    let dept = app.department("华南销售部").await;
    let manager = app.signed_in("zhou.manager", "sales_manager", Some(dept)).await;
    app.departments().patch(dept, &json!({"manager_id": manager.0, "version": 1})).await;
    let rep = app.signed_in("chen.rep", "salesperson", Some(dept)).await;
    let customer = app.customer(&rep.1, "深圳恒达电子有限公司").await;
    app.product("SRV-10", "0").await;
    let deal = json!({"name": "恒达 产线升级", "customer_id": customer, "amount": "200000"});
    let deal = app.opportunities().by(&rep.1).create(&deal).await["id"].as_i64().unwrap();
    app.approval_rules()
        .create(&json!({"document_type": "quote", "min_discount": "10", "steps": [{"manager": 1}]}))
        .await;

    let (cookies, csrf) = sign_in_as(&app, "chen.rep", USER_PASSWORD, "/quotes").await;
    // From the deal's page: its customer is chosen, its deal offered.
    let (status, _, page) = app.send(get(&format!("/quotes/new?opportunity_id={deal}"), &cookies)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text(&page).contains(&format!("<option value=\"{customer}\" selected>")), "{page}");
    assert!(text(&page).contains("恒达 产线升级"));
    // Bad lines: the form again, the errors on their rows, nothing saved.
    let bad = format!(
        "_csrf={csrf}&customer_id={customer}&opportunity_id={deal}&lines[0].product_code=SRV-10&lines[0].quantity=0&lines[1].product_code=SRV-10&lines[1].quantity=1&lines[1].discount_percent=120"
    );
    let (status, _, page) = app.send(form("/quotes/new", &cookies, &keys(&bad))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(&page);
    assert!(page.contains("<p class=\"field-error\">必须大于零。</p>"), "{page}");
    assert!(page.contains("value=\"120\""), "the form keeps what was typed");
    assert!(page.contains("必须在 0 到 100 之间"), "{page}");
    assert_eq!(app.quotes().by(&rep.1).list("").await.1["items"].as_array().unwrap().len(), 0);
    let good = format!(
        "_csrf={csrf}&customer_id={customer}&opportunity_id={deal}&terms=款到发货&lines[0].product_code=SRV-10&lines[0].quantity=5&lines[0].discount_percent=12"
    );
    let (status, headers, _) = app.send(form("/quotes/new", &cookies, &keys(&good))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = headers.get(header::LOCATION).unwrap().to_str().unwrap().to_owned();
    let id: i64 = location.trim_start_matches("/quotes/").parse().unwrap();
    let (status, _, page) = app.send(get(&location, &cookies)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text(&page).contains("款到发货") && says(&page, ">草稿<", ">Draft<"), "{page}");
    let (status, _, _) = app.send(form(&format!("/quotes/{id}/send"), &cookies, &format!("_csrf={csrf}"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // The manager decides from "my approvals".
    let (mcookies, mcsrf) = sign_in_as(&app, "zhou.manager", USER_PASSWORD, "/").await;
    let (_, _, mine) = app.send(get("/approvals", &mcookies)).await;
    assert!(text(&mine).contains(&format!("/quotes/{id}")), "{mine}");
    let (_, _, quote) = app.send(get(&format!("/quotes/{id}"), &mcookies)).await;
    assert!(text(&quote).contains(&format!("/quotes/{id}/reject-approval")));
    let (status, _, _) =
        app.send(form(&format!("/quotes/{id}/approve"), &mcookies, &format!("_csrf={mcsrf}&comment=ok"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // Sent, then a new version and the comparison.
    app.send(form(&format!("/quotes/{id}/send"), &cookies, &format!("_csrf={csrf}"))).await;
    let (_, _, edit) = app.send(get(&format!("/quotes/{id}/edit"), &cookies)).await;
    assert!(says(&edit, "新建版本", "New version"), "{edit}");
    let version = app.quotes().by(&rep.1).get(id).await.1["version"].as_i64().unwrap();
    let v2 = format!(
        "_csrf={csrf}&version={version}&customer_id={customer}&opportunity_id={deal}&lines[0].product_code=SRV-10&lines[0].quantity=6&lines[0].discount_percent=5"
    );
    let (status, _, page) = app.send(form(&format!("/quotes/{id}/edit"), &cookies, &keys(&v2))).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let (status, _, compare) = app.send(get(&format!("/quotes/{id}/compare?from=1&to=2"), &cookies)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text(&compare).contains("data-change=\"changed\""), "{compare}");
    assert!(text(&compare).contains("diff-changed"));
    let (status, _, old) = app.send(get(&format!("/quotes/{id}/versions/1"), &cookies)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(says(&old, "历史版本", "An earlier version"));
    let (status, _, print) = app.send(get(&format!("/quotes/{id}/print"), &cookies)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(says(&print, "报价单", "Quotation") && text(&print).contains("data-print"));

    // v2 goes out (5 %: no approval) and is accepted with a win the gate refuses.
    app.send(form(&format!("/quotes/{id}/send"), &cookies, &format!("_csrf={csrf}"))).await;
    let (status, _, page) =
        app.send(form(&format!("/quotes/{id}/accept"), &cookies, &format!("_csrf={csrf}&win=1"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text(&page).contains("data-testid=\"win-refused\""), "{page}");
    assert!(says(&page, "阶段关卡", "stage gate"), "{page}");
    let q = app.quotes().by(&rep.1).get(id).await.1;
    assert_eq!(q["status"], "accepted");
    let order = q["order_id"].as_i64().unwrap();
    let (_, _, order_page) = app.send(get(&format!("/orders/{order}"), &cookies)).await;
    assert!(text(&order_page).contains(&format!("/quotes/{id}")), "{order_page}");
    let (_, _, deal_page) = app.send(get(&format!("/opportunities/{deal}"), &cookies)).await;
    assert!(text(&deal_page).contains(&format!("/quotes/{id}")), "{deal_page}");
    let (_, _, customer_page) = app.send(get(&format!("/customers/{customer}"), &cookies)).await;
    assert!(text(&customer_page).contains(&format!("/quotes/{id}")));
    let (_, _, list) = app.send(get("/quotes?status=accepted", &cookies)).await;
    assert!(text(&list).contains(&format!("/quotes/{id}")));
}
