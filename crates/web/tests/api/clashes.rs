//! 撞单: no two reps on one customer. A salesperson is refused a customer,
//! contact or lead matching another rep's customer (`owned_by_other`, the
//! owner's name only), cannot override it, and may ask the owner's manager
//! to hand it over; a manager may save anyway with a reason, audited.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::support::field_codes;

/// East team: li.na and zhao.lei (salespeople), wang.qiang their manager
/// (the department's manager). li.na owns 上海华信有限公司 with a contact.
struct Team {
    app: TestApp,
    li: String,
    zhao: String,
    wang: String,
    huaxin: i64,
}

async fn team() -> Team {
    let app = TestApp::new().await;
    let east = app.department("华东销售组").await;
    let (_, li) = app.signed_in("li.na", "salesperson", Some(east)).await;
    let (_, zhao) = app.signed_in("zhao.lei", "salesperson", Some(east)).await;
    let (wang_id, wang) = app.signed_in("wang.qiang", "sales_manager", Some(east)).await;
    let (s, d) = app.departments().patch(east, &json!({"manager_id": wang_id, "version": 1})).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{d}");
    let huaxin = app.customer(&li, "上海华信有限公司").await;
    app.contacts()
        .by(&li)
        .create(&json!({"customer_id": huaxin, "name": "陈经理", "mobile": "13800138000", "email": "chen@huaxin.cn", "role": "handler"}))
        .await;
    Team { app, li, zhao, wang, huaxin }
}

fn error<'a>(problem: &'a Value, field: &str) -> &'a Value {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == field)
        .unwrap_or_else(|| panic!("{field}: {problem}"))
}

/// Nothing of li.na's customer but her name: not its id, name or contact.
fn leaks_nothing(problem: &Value, t: &Team) {
    let text = problem.to_string();
    for secret in ["上海华信有限公司", "陈经理", "13800138000", "chen@huaxin.cn", &format!("\"{}\"", t.huaxin)]
    {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
}

#[tokio::test]
async fn a_salesperson_is_refused_another_reps_customer_and_cannot_override() {
    let t = team().await;
    for name in ["上海华信", "上海华信股份有限公司", " 上海 华信 有限公司"] {
        let (s, p) = t.app.customers().by(&t.zhao).post(&json!({"name": name})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {p}");
        assert_eq!(field_codes(&p), ["name:owned_by_other"], "{p}");
        assert!(error(&p, "name")["message"].as_str().unwrap().contains("li.na"), "{p}");
        leaks_nothing(&p, &t);
    }
    // allow_duplicate (and a reason) do not override a clash for a salesperson.
    let body = json!({"name": "上海华信", "allow_duplicate": true, "duplicate_reason": "我的客户"});
    let (s, p) = t.app.customers().by(&t.zhao).post(&body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(field_codes(&p), ["name:owned_by_other"]);
    // Renaming one's own customer into it is refused the same way.
    let own = t.app.customer(&t.zhao, "苏州工业园").await;
    let (_, c) = t.app.customers().by(&t.zhao).get(own).await;
    let (s, p) = t.app.customers().by(&t.zhao).patch(own, &json!({"name": "上海华信", "version": c["version"]})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(field_codes(&p), ["name:owned_by_other"]);
    // The owner herself gets the ordinary duplicate warning, which she may confirm.
    let (s, p) = t.app.customers().by(&t.li).post(&json!({"name": "上海华信"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_codes(&p), ["name:possible_duplicate"]);
    t.app.customers().by(&t.li).create(&json!({"name": "上海华信", "allow_duplicate": true})).await;
}

#[tokio::test]
async fn the_public_pool_is_a_possible_duplicate_not_a_clash() {
    let t = team().await;
    t.app.customers().create(&json!({"name": "广州南方贸易有限公司", "to_pool": true})).await;
    let (s, p) = t.app.customers().by(&t.zhao).post(&json!({"name": "广州南方贸易"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_codes(&p), ["name:possible_duplicate"]);
    t.app.customers().by(&t.zhao).create(&json!({"name": "广州南方贸易", "allow_duplicate": true})).await;
}

#[tokio::test]
async fn a_manager_saves_anyway_only_with_a_reason_which_is_audited() {
    let t = team().await;
    let (s, p) = t.app.customers().by(&t.wang).post(&json!({"name": "上海华信"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_codes(&p), ["name:owned_by_other"]);
    let (s, p) = t.app.customers().by(&t.wang).post(&json!({"name": "上海华信", "allow_duplicate": true})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_codes(&p).contains(&"duplicate_reason:required".to_owned()), "{p}");
    let long = "因".repeat(501);
    let body = json!({"name": "上海华信", "allow_duplicate": true, "duplicate_reason": long});
    let (s, p) = t.app.customers().by(&t.wang).post(&body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_codes(&p), ["duplicate_reason:too_long"]);

    let body = json!({"name": "上海华信", "allow_duplicate": true, "duplicate_reason": "华信分公司另签合同"});
    let c = t.app.customers().by(&t.wang).create(&body).await;
    let id = c["id"].as_i64().unwrap();
    let (_, log) = t.app.audit_log().list(&format!("entity_type=customer&entity_id={id}")).await;
    let created = &log["items"][0];
    assert_eq!(created["action"], "customer.create");
    assert_eq!(created["after"]["duplicate_reason"], "华信分公司另签合同", "{created}");
    assert_eq!(created["after"]["clashes_with"], json!([t.huaxin]));
}

#[tokio::test]
async fn a_contacts_phone_or_email_clashes_with_another_reps_contact() {
    let t = team().await;
    let own = t.app.customer(&t.zhao, "苏州工业园").await;
    for (field, body) in [
        ("mobile", json!({"customer_id": own, "name": "陈总", "mobile": "+86 138 0013 8000", "role": "handler"})),
        ("phone", json!({"customer_id": own, "name": "陈总", "phone": "0086-13800138000", "role": "handler"})),
        ("email", json!({"customer_id": own, "name": "陈总", "email": "Chen@HuaXin.cn", "role": "handler"})),
    ] {
        let (s, p) = t.app.contacts().by(&t.zhao).post(&body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        assert_eq!(field_codes(&p), [format!("{field}:owned_by_other")], "{p}");
        leaks_nothing(&p, &t);
        let mut anyway = body.clone();
        anyway["allow_duplicate"] = json!(true);
        let (s, _) = t.app.contacts().by(&t.zhao).post(&anyway).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    }
    // An unrelated number is fine; changing it into li.na's contact's is not.
    let c = t
        .app
        .contacts()
        .by(&t.zhao)
        .create(&json!({"customer_id": own, "name": "陈总", "mobile": "13900139000", "role": "handler"}))
        .await;
    let patch = json!({"mobile": "13800138000", "version": c["version"]});
    let (s, p) = t.app.contacts().by(&t.zhao).patch(c["id"].as_i64().unwrap(), &patch).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(field_codes(&p), ["mobile:owned_by_other"]);
}

#[tokio::test]
async fn a_customers_own_phone_clashes_both_ways() {
    let t = team().await;
    // li.na's customer has its own switchboard number.
    let (_, c) = t.app.customers().by(&t.li).get(t.huaxin).await;
    let (s, c) =
        t.app.customers().by(&t.li).patch(t.huaxin, &json!({"phone": "021-6234 5678", "version": c["version"]})).await;
    assert_eq!(s, StatusCode::OK, "{c}");

    // Another name, the same switchboard written otherwise: refused on the phone.
    let (s, p) = t.app.customers().by(&t.zhao).post(&json!({"name": "华信贸易（苏州）", "phone": "02162345678"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(field_codes(&p), ["phone:owned_by_other"], "{p}");
    assert!(error(&p, "phone")["message"].as_str().unwrap().contains("li.na"), "{p}");
    leaks_nothing(&p, &t);
    // A customer whose phone is li.na's contact's mobile: refused too.
    let (s, p) = t.app.customers().by(&t.zhao).post(&json!({"name": "另一家公司", "phone": "+86 138 0013 8000"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(field_codes(&p), ["phone:owned_by_other"], "{p}");
    // Giving one's own customer that number later is refused the same way.
    let own = t.app.customer(&t.zhao, "苏州工业园").await;
    let (_, mine) = t.app.customers().by(&t.zhao).get(own).await;
    let patch = json!({"phone": "(021) 62345678", "version": mine["version"]});
    let (s, p) = t.app.customers().by(&t.zhao).patch(own, &patch).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(field_codes(&p), ["phone:owned_by_other"]);
    // A contact's or a lead's phone against the customer's own phone.
    let body = json!({"customer_id": own, "name": "王总", "phone": "021 6234 5678", "role": "handler"});
    let (s, p) = t.app.contacts().by(&t.zhao).post(&body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(field_codes(&p), ["phone:owned_by_other"]);
    let (s, p) = t.app.leads().by(&t.zhao).post(&json!({"name": "王总", "mobile": "02162345678"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(field_codes(&p), ["mobile:owned_by_other"]);
    // Another number is fine; the owner herself keeps her number on edits.
    let (s, p) =
        t.app.customers().by(&t.zhao).post(&json!({"name": "华信贸易（苏州）", "phone": "021-6234 0000"})).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let (s, p) = t.app.customers().by(&t.li).patch(t.huaxin, &json!({"grade": "A", "version": c["version"]})).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    // The manager saves despite it with a reason; the refused rep may ask for a hand-over by the phone.
    let body =
        json!({"name": "华信分公司", "phone": "02162345678", "allow_duplicate": true, "duplicate_reason": "总部同意"});
    let (s, p) = t.app.customers().by(&t.wang).post(&body).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let path = "/api/v1/customers/handover-requests";
    let (s, p) = t.app.api(Method::POST, path, Some(&t.zhao), Some(json!({"phone": "021-62345678"}))).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{p}");
    let (_, n) = t.app.notifications().by(&t.wang).list("").await;
    assert!(
        n.as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "handover_request" && n["link"] == format!("/customers/{}", t.huaxin)),
        "{n}"
    );
}

#[tokio::test]
async fn a_lead_clashes_with_another_reps_customer() {
    let t = team().await;
    for body in [
        json!({"name": "陈经理", "company": "上海华信科技股份有限公司"}),
        json!({"name": "陈经理", "company": "上海华信股份有限公司"}),
        json!({"name": "陈经理", "mobile": "+86 13800138000", "allow_duplicate": true}),
    ] {
        let (s, p) = t.app.leads().by(&t.zhao).post(&body).await;
        if body["company"] == "上海华信科技股份有限公司" {
            assert_eq!(s, StatusCode::CREATED, "another company: {p}");
            continue;
        }
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {p}");
        assert!(field_codes(&p).iter().all(|c| c.ends_with(":owned_by_other")), "{p}");
        leaks_nothing(&p, &t);
    }
    // The manager saves the lead with a reason.
    let body = json!({"name": "陈经理", "company": "上海华信", "owner_id": null, "allow_duplicate": true, "duplicate_reason": "展会名单"});
    let (s, l) = t.app.leads().by(&t.wang).post(&body).await;
    assert_eq!(s, StatusCode::CREATED, "{l}");
    let (_, log) = t.app.audit_log().list(&format!("entity_type=lead&entity_id={}", l["id"])).await;
    assert_eq!(log["items"][0]["after"]["duplicate_reason"], "展会名单");
}

#[tokio::test]
async fn a_hand_over_request_notifies_the_owners_manager_once_a_day() {
    let t = team().await;
    let path = "/api/v1/customers/handover-requests";
    let body = json!({"name": "上海华信", "message": "我上周拜访过陈经理"});
    let (s, answer) = t.app.api(Method::POST, path, Some(&t.zhao), Some(body.clone())).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(answer, json!({"sent": true}), "only that it was sent");
    let notices = |token: String| {
        let app = &t.app;
        async move {
            let (_, n) = app.notifications().by(&token).list("").await;
            n.as_array().unwrap().iter().filter(|n| n["kind"] == "handover_request").cloned().collect::<Vec<_>>()
        }
    };
    let got = notices(t.wang.clone()).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["link"], format!("/customers/{}", t.huaxin));
    assert!(got[0]["title"].as_str().unwrap().contains("zhao.lei"), "{got:?}");
    assert!(notices(t.li.clone()).await.is_empty(), "the manager is told, not the owner");
    // The same request again the same day: 409, nobody told twice.
    for again in [body.clone(), json!({"phone": "+86 138 0013 8000"})] {
        let (s, p) = t.app.api(Method::POST, path, Some(&t.zhao), Some(again)).await;
        assert_eq!(s, StatusCode::CONFLICT, "{p}");
    }
    assert_eq!(notices(t.wang.clone()).await.len(), 1);
    let (_, log) = t.app.audit_log().list(&format!("entity_type=customer&entity_id={}", t.huaxin)).await;
    assert_eq!(log["items"][0]["action"], "customer.handover_request", "{log}");
    // Nothing of another rep matches: nothing to request.
    let (s, p) = t.app.api(Method::POST, path, Some(&t.zhao), Some(json!({"name": "不存在的公司"}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_codes(&p), ["name:nothing_to_request"]);
}

#[tokio::test]
async fn without_a_department_manager_the_administrators_are_told() {
    let app = TestApp::new().await;
    let (_, li) = app.signed_in("li.na", "salesperson", None).await;
    let (_, zhao) = app.signed_in("zhao.lei", "salesperson", None).await;
    app.customer(&li, "深圳云帆网络").await;
    let (s, p) = app
        .api(
            Method::POST,
            "/api/v1/customers/handover-requests",
            Some(&zhao),
            Some(json!({"name": "深圳云帆网络有限公司"})),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{p}");
    let (_, n) = app.notifications().list("").await;
    assert_eq!(n.as_array().unwrap().iter().filter(|n| n["kind"] == "handover_request").count(), 1, "{n}");
}

#[tokio::test]
async fn the_forms_show_the_refusal_with_the_hand_over_and_for_managers_save_anyway() {
    use crate::helpers::USER_PASSWORD;
    use crate::support::browser::{form, sign_in_as};
    use crate::support::urlencode;
    use axum::http::header;

    let t = team().await;
    let (cookies, csrf) = sign_in_as(&t.app, "zhao.lei", USER_PASSWORD, "/customers").await;
    let body = format!("_csrf={csrf}&name={}&allow_duplicate=1", urlencode("上海华信"));
    let (s, _, page) = t.app.send(form("/customers", &cookies, &body)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let html = page.as_str().unwrap();
    assert!(html.contains("li.na") && html.contains("data-clash") && html.contains("data-handover"), "{html}");
    assert!(html.contains("action=\"/customers/handover-requests\""));
    assert!(!html.contains("name=\"duplicate_reason\""), "no save-anyway for a salesperson");
    assert!(!html.contains("上海华信有限公司"), "nothing of the other record");
    // The hand-over request from the page: back to the form, the manager told.
    let body = format!("_csrf={csrf}&name={}&message=&back=/customers/new", urlencode("上海华信"));
    let (s, h, _) = t.app.send(form("/customers/handover-requests", &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h.get(header::LOCATION).unwrap(), "/customers/new");
    let (_, n) = t.app.notifications().by(&t.wang).list("").await;
    assert_eq!(n.as_array().unwrap().iter().filter(|n| n["kind"] == "handover_request").count(), 1);

    // The manager's form offers "save anyway" with a reason, and saves with one.
    let (cookies, csrf) = sign_in_as(&t.app, "wang.qiang", USER_PASSWORD, "/customers").await;
    let body = format!("_csrf={csrf}&name={}", urlencode("上海华信"));
    let (s, _, page) = t.app.send(form("/customers", &cookies, &body)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.as_str().unwrap().contains("name=\"duplicate_reason\""));
    let body = format!("{body}&allow_duplicate=1&duplicate_reason={}", urlencode("分公司"));
    let (s, h, _) = t.app.send(form("/customers", &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{h:?}");
}
