//! Issue 11, item 7: the pages' money fields read amounts as Chinese users
//! write them (`30万`, `1.5亿`, `¥1,000`) while the API stays strict, and the
//! opportunity list adds up the whole filtered list at its foot (also
//! `GET /opportunities/totals`), within the caller's data scope.

use axum::http::{Method, StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::support::browser::{form, get, sign_in};

fn enc(pairs: &[(&str, &str)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        out.append_pair(k, v);
    }
    out.finish()
}

fn created_id(h: &axum::http::HeaderMap) -> String {
    let location = h.get(header::LOCATION).map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
    location.rsplit('/').next().unwrap().to_owned()
}

async fn totals(app: &TestApp, token: &str, query: &str) -> Value {
    let (s, body) = app.api(Method::GET, &format!("/api/v1/opportunities/totals?{query}"), Some(token), None).await;
    assert_eq!(s, StatusCode::OK, "{query}: {body}");
    body
}

#[tokio::test]
async fn page_money_fields_take_wan_and_yi_and_the_api_stays_strict() {
    let app = TestApp::new().await;
    let (cookies, csrf) = sign_in(&app).await;
    // A customer's credit limit typed as 30万.
    let body = enc(&[("_csrf", &csrf), ("name", "苏州工业园区华润有限公司"), ("credit_limit", "30万")]);
    let (s, h, page) = app.send(form("/customers", &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{page}");
    let c = created_id(&h);
    let (_, customer) = app.customers().get(&c).await;
    assert_eq!(customer["credit_limit"], "300000.00");
    // A deal of ￥ 1.5亿, and one of ¥1,000,000.
    for (amount, stored) in [("￥ 1.5亿", "150000000.00"), ("¥1,000,000", "1000000.00"), ("２.５万元", "25000.00")]
    {
        let body = enc(&[("_csrf", &csrf), ("name", "华润 ERP"), ("customer_id", &c), ("amount", amount)]);
        let (s, h, page) = app.send(form("/opportunities", &cookies, &body)).await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{amount}: {page}");
        let (_, o) = app.opportunities().get(created_id(&h)).await;
        assert_eq!(o["amount"], stored, "{amount}");
    }
    // What could be read two ways is refused on the field, the input kept.
    for amount in ["1.000,50", "3万亿", "1,00,000", "$100"] {
        let body = enc(&[("_csrf", &csrf), ("name", "华润 二期"), ("customer_id", &c), ("amount", amount)]);
        let (s, _, page) = app.send(form("/opportunities", &cookies, &body)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{amount}");
        let text = page.as_str().unwrap();
        assert!(text.contains("id=\"amount-error\"") && text.contains("1.5亿"), "{amount}: the accepted forms named");
    }
    let body = enc(&[("_csrf", &csrf), ("name", "华润 三期"), ("customer_id", &c), ("amount", "1.2345678万")]);
    let (s, _, page) = app.send(form("/opportunities", &cookies, &body)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.as_str().unwrap().contains("两位小数"));
    // The form hints at the forms it takes.
    let (_, _, page) = app.send(get("/opportunities/new", &cookies)).await;
    assert!(page.as_str().unwrap().contains("placeholder=\"300,000 / 30万\""), "in English");
    // The API does not guess: 30万 and 1,000 are refused there.
    for amount in ["30万", "1,000"] {
        let (s, p) = app
            .opportunities()
            .post(&json!({"name": "API", "customer_id": c.parse::<i64>().unwrap(), "amount": amount}))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{amount}: {p}");
    }
}

#[tokio::test]
async fn the_list_adds_up_the_whole_filtered_list_within_the_callers_scope() {
    let app = TestApp::new().await;
    let (_, dept) = app.departments().post(&json!({"name": "华东"})).await;
    let dept = dept["id"].as_i64();
    let (_, li) = app.signed_in("li", "salesperson", dept).await;
    let mine = app.customer(&li, "上海华信科技有限公司").await;
    let other = app.customer(&app.admin, "杭州云帆网络科技有限公司").await;
    let deal =
        |customer: i64, name: &str, amount: &str| json!({"name": name, "customer_id": customer, "amount": amount});
    // Three of li's deals (probability of the first stage each), one of the administrator's.
    for (name, amount) in [("华信 CRM", "120000.00"), ("华信 二期", "0.05"), ("华信 三期", "10000000000000")]
    {
        app.opportunities().by(&li).create(&deal(mine, name, amount)).await;
    }
    let admins = app.opportunities().create(&deal(other, "云帆 数据平台", "50000")).await;
    let probability = admins["probability"].as_i64().unwrap();

    // The administrator sees all four; li only his three, whatever the filter asks.
    let all = totals(&app, &app.admin, "").await;
    assert_eq!(all["count"], 4);
    assert_eq!(all["amount"], "10000000170000.05");
    let his = totals(&app, &li, "").await;
    assert_eq!((his["count"].clone(), his["amount"].clone()), (json!(3), json!("10000000120000.05")));
    let his = totals(&app, &li, &format!("customer_id={other}")).await;
    assert_eq!((his["count"].clone(), his["amount"].clone()), (json!(0), json!("0.00")));
    // The list's filters apply: a name search, the status.
    let q = totals(&app, &app.admin, "q=%E4%BA%91%E5%B8%86").await;
    assert_eq!(q["count"], 1);
    assert_eq!(q["amount"], "50000.00");
    let weighted = 50_000 * probability / 100;
    assert_eq!(q["weighted_amount"], format!("{weighted}.00"));
    let lost = totals(&app, &app.admin, "status=lost").await;
    assert_eq!((lost["count"].clone(), lost["amount"].clone()), (json!(0), json!("0.00")));
    // The list's own validation: a bad day is refused, not ignored.
    let (s, _) =
        app.api(Method::GET, "/api/v1/opportunities/totals?close_from=2026-02-30", Some(&app.admin), None).await;
    assert!(s.is_client_error());

    // The list page shows the sums of the whole list at its foot.
    let (cookies, _) = sign_in(&app).await;
    let (_, _, page) = app.send(get("/opportunities?sort=amount&q=%E4%BA%91%E5%B8%86", &cookies)).await;
    let text = page.as_str().unwrap();
    let foot = &text[text.find("data-testid=\"opportunity-totals\"").expect("a totals row")..];
    assert!(foot.contains("Total (1)") && foot.contains("¥50,000.00"), "{foot}");
}

#[tokio::test]
async fn short_amounts_are_a_setting_with_the_exact_amount_on_hover_and_in_exports() {
    let app = TestApp::new().await;
    let c = app.customer(&app.admin, "上海华信科技有限公司").await;
    app.opportunities().create(&json!({"name": "华信 CRM", "customer_id": c, "amount": "305000"})).await;
    app.opportunities().create(&json!({"name": "华信 小单", "customer_id": c, "amount": "9000"})).await;
    let (cookies, _) = sign_in(&app).await;
    let zh = |path: &str| {
        let mut request = get(path, &cookies);
        request.headers_mut().insert("accept-language", header::HeaderValue::from_static("zh-CN"));
        request
    };
    // Off by default: exact everywhere.
    let (_, settings) = app.api(Method::GET, "/api/v1/settings", Some(&app.admin), None).await;
    assert_eq!(settings["short_amounts"], false);
    let (_, _, page) = app.send(get("/opportunities", &cookies)).await;
    assert!(page.as_str().unwrap().contains("<span class=\"money\">¥305,000.00</span>"));

    let patch = json!({"short_amounts": true, "version": settings["version"]});
    let (s, body) = app.api(Method::PATCH, "/api/v1/settings", Some(&app.admin), Some(patch)).await;
    assert_eq!((s, body["short_amounts"].clone()), (StatusCode::OK, json!(true)), "{body}");
    // On: 万 in Chinese, K in English, the exact amount in the title; small amounts stay exact.
    let (_, _, page) = app.send(zh("/opportunities")).await;
    let text = page.as_str().unwrap();
    assert!(text.contains("<span class=\"money\" title=\"¥305,000.00\">¥30.5万</span>"), "list in Chinese");
    assert!(text.contains("<span class=\"money\">¥9,000.00</span>"), "below 10,000: exact");
    let (_, _, page) = app.send(get("/opportunities", &cookies)).await;
    assert!(page.as_str().unwrap().contains("title=\"¥305,000.00\">¥305K</span>"), "list in English");
    let (_, _, page) = app.send(zh("/board")).await;
    assert!(page.as_str().unwrap().contains("title=\"¥305,000.00\">¥30.5万</span>"), "board card");
    let (_, _, page) = app.send(zh("/opportunities/1")).await;
    assert!(page.as_str().unwrap().contains("¥30.5万"), "deal page");
    // The settings page shows the option ticked; exports and the API stay exact.
    let (_, _, page) = app.send(zh("/admin/settings")).await;
    assert!(page.as_str().unwrap().contains("name=\"short_amounts\" value=\"1\" checked"));
    let (s, _, csv) = app.send(zh("/opportunities/export.csv")).await;
    assert_eq!(s, StatusCode::OK);
    let csv = csv.as_str().unwrap();
    assert!(csv.contains("305000") && !csv.contains('万'), "{csv}");
    let (_, list) = app.opportunities().list("sort=-amount").await;
    assert_eq!(list["items"][0]["amount"], "305000.00");
}
