//! Contracts (issue 12 item 5): the life cycle through the approval engine
//! (draft → in approval → signed → executing → completed; rejected back to
//! the draft; terminated with a reason), amendments kept as versions, stale
//! versions refused, bad input that changes nothing, data scope, files,
//! the expiry reminder (once) and expiry, and the pages.

use axum::http::{Method, StatusCode, header};
use chrono::{Duration, Utc};
use salesflow_store::entity::notification;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::attachments::upload_to;
use crate::helpers::{TestApp, USER_PASSWORD};
use crate::support::browser::{form, get, sign_in_as};
use crate::support::{field_codes, ids};

struct Setup {
    manager: (i64, String),
    rep: (i64, String),
    customer: i64,
}

async fn setup(app: &TestApp) -> Setup {
    let dept = app.department("华东销售部").await;
    let manager = app.signed_in("wang.manager", "sales_manager", Some(dept)).await;
    let (status, body) = app.departments().patch(dept, &json!({"manager_id": manager.0, "version": 1})).await;
    assert!(status.is_success(), "{body}");
    let rep = app.signed_in("li.rep", "salesperson", Some(dept)).await;
    let customer = app.customer(&rep.1, "上海精密机械有限公司").await;
    Setup { manager, rep, customer }
}

/// A day `offset` days from today in the company's time zone (the default, Asia/Shanghai).
fn day(offset: i64) -> String {
    ((Utc::now() + Duration::hours(8)).date_naive() + Duration::days(offset)).to_string()
}

fn body(s: &Setup, amount: &str) -> Value {
    json!({"customer_id": s.customer, "title": "2027 年度设备维保合同", "amount": amount,
           "terms": "一、服务范围：PLC 产线季度巡检。\n二、付款方式：按季度支付。",
           "start_date": day(-10), "end_date": day(355), "signed_date": day(-12)})
}

async fn act(app: &TestApp, token: &str, id: i64, action: &str, body: Value) -> (StatusCode, Value) {
    app.contracts().by(token).act(id, action, Some(&body)).await
}

#[tokio::test]
async fn a_contract_is_approved_signed_executed_amended_and_completed() {
    let app = TestApp::new().await;
    let s = setup(&app).await;
    let rep = &s.rep.1;
    app.approval_rules()
        .create(&json!({"document_type": "contract", "min_amount": "100000", "steps": [{"manager": 1}]}))
        .await;
    let deal = app
        .opportunities()
        .by(rep)
        .create(&json!({"name": "精密 维保项目", "customer_id": s.customer, "amount": "120000"}))
        .await["id"]
        .as_i64()
        .unwrap();
    // A draft may leave its dates open; submitting needs them.
    let mut draft = body(&s, "120000.00");
    draft["opportunity_id"] = json!(deal);
    for f in ["start_date", "end_date", "signed_date"] {
        draft[f] = Value::Null;
    }
    let created = app.contracts().by(rep).create(&draft).await;
    let id = created["id"].as_i64().unwrap();
    let number = created["number"].as_str().unwrap();
    assert!(number.starts_with("CT-20") && number.ends_with("-000001"), "{number}");
    assert_eq!(
        (created["status"].as_str(), created["amount"].as_str(), created["revision"].as_i64()),
        (Some("draft"), Some("120000.00"), Some(1))
    );
    assert_eq!(created["opportunity_name"], "精密 维保项目");
    let (status, problem) = act(&app, rep, id, "submit", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(field_codes(&problem), ["start_date:required", "end_date:required", "signed_date:required"]);
    // A draft changes in place (no version kept); a stale version is refused.
    let dates = json!({"start_date": day(-10), "end_date": day(355), "signed_date": day(-12), "version": 1});
    let (status, patched) = app.contracts().by(rep).patch(id, &dates).await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!((patched["revision"].as_i64(), patched["version"].as_i64()), (Some(1), Some(2)));
    assert_eq!(patched["terms"], created["terms"], "absent fields are kept");
    assert_eq!(app.contracts().by(rep).patch(id, &dates).await.0, StatusCode::CONFLICT);

    // ≥ ¥100,000: the manager approves; the requester cannot.
    let (status, submitted) = act(&app, rep, id, "submit", json!({"version": 2})).await;
    assert_eq!((status, submitted["status"].as_str()), (StatusCode::OK, Some("in_approval")), "{submitted}");
    assert_eq!(app.contracts().by(rep).patch(id, &json!({"title": "x", "version": 3})).await.0, StatusCode::CONFLICT);
    let (status, _) = act(&app, rep, id, "approve", json!({})).await;
    assert!(status == StatusCode::FORBIDDEN || status == StatusCode::UNPROCESSABLE_ENTITY, "{status}");
    let (_, mine) = app.api(Method::GET, "/api/v1/approvals/mine", Some(&s.manager.1), None).await;
    assert!(mine.to_string().contains(number), "{mine}");
    let (status, signed) = act(&app, &s.manager.1, id, "approve", json!({"comment": "同意"})).await;
    assert_eq!((status, signed["status"].as_str()), (StatusCode::OK, Some("signed")), "{signed}");
    assert_eq!(signed["approvals"][0]["status"], "approved");
    assert_eq!(signed["days_left"], 355);

    // Executing; amended: the earlier text stays readable.
    let (status, running) = act(&app, rep, id, "start", json!({})).await;
    assert_eq!((status, running["status"].as_str()), (StatusCode::OK, Some("executing")));
    let version = running["version"].clone();
    let (status, amended) = app
        .contracts()
        .by(rep)
        .patch(id, &json!({"amount": "135000.50", "terms": "补充协议：增加备件。", "version": version}))
        .await;
    assert_eq!(status, StatusCode::OK, "{amended}");
    assert_eq!((amended["revision"].as_i64(), amended["amount"].as_str()), (Some(2), Some("135000.50")));
    assert_eq!(amended["status"], "executing");
    let (status, versions) = app.contracts().by(rep).get_part(id, "versions").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(versions.as_array().unwrap().len(), 1);
    assert_eq!(
        (versions[0]["revision"].as_i64(), versions[0]["amount"].as_str(), versions[0]["terms"].as_str()),
        (Some(1), Some("120000.00"), created["terms"].as_str())
    );
    // Once signed, the customer stays.
    let other = app.customer(rep, "苏州恒通电子").await;
    let (status, problem) =
        app.contracts().by(rep).patch(id, &json!({"customer_id": other, "version": amended["version"]})).await;
    assert_eq!(
        (status, field_codes(&problem)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["customer_id:unchangeable".into()])
    );

    let (status, done) = act(&app, rep, id, "complete", json!({"version": amended["version"]})).await;
    assert_eq!((status, done["status"].as_str()), (StatusCode::OK, Some("completed")), "{done}");
    assert_eq!(
        app.contracts().by(rep).patch(id, &json!({"title": "x", "version": done["version"]})).await.0,
        StatusCode::CONFLICT,
        "a completed contract is final"
    );
    assert_eq!(act(&app, rep, id, "terminate", json!({"reason": "x"})).await.0, StatusCode::CONFLICT);

    // Lists: by status, customer, deal, owner.
    let (_, list) = app.contracts().by(rep).list("status=completed").await;
    assert_eq!(ids(&list), [id]);
    let (_, list) = app.contracts().by(rep).list(&format!("opportunity_id={deal}&owner_id={}", s.rep.0)).await;
    assert_eq!(ids(&list), [id]);
    assert_eq!(app.contracts().by(rep).list("status=bogus").await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, log) = app.audit_log().list("entity_type=contract").await;
    let actions: Vec<&str> = log["items"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    for a in ["contract.create", "contract.update", "contract.submit", "contract.approve", "contract.amend"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
}

#[tokio::test]
async fn a_rejection_sends_it_back_and_termination_needs_a_reason() {
    let app = TestApp::new().await;
    let s = setup(&app).await;
    let rep = &s.rep.1;
    // Below every rule: signed at once.
    let small = app.contracts().by(rep).create(&body(&s, "8000")).await;
    let small_id = small["id"].as_i64().unwrap();
    let (status, signed) = act(&app, rep, small_id, "submit", json!({})).await;
    assert_eq!((status, signed["status"].as_str()), (StatusCode::OK, Some("signed")), "{signed}");
    let (status, problem) = act(&app, rep, small_id, "terminate", json!({})).await;
    assert_eq!((status, field_codes(&problem)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["reason:required".into()]));
    let (status, ended) = act(&app, rep, small_id, "terminate", json!({"reason": "客户业务调整，双方协商解除"})).await;
    assert_eq!((status, ended["status"].as_str()), (StatusCode::OK, Some("terminated")), "{ended}");
    assert_eq!(ended["termination_reason"], "客户业务调整，双方协商解除");

    app.approval_rules().create(&json!({"document_type": "contract", "steps": [{"manager": 1}]})).await;
    let big = app.contracts().by(rep).create(&body(&s, "500000")).await;
    let big_id = big["id"].as_i64().unwrap();
    act(&app, rep, big_id, "submit", json!({})).await;
    let (status, _) = act(&app, &s.manager.1, big_id, "reject", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a rejection says why");
    let (status, back) = act(&app, &s.manager.1, big_id, "reject", json!({"comment": "付款条款需法务复核"})).await;
    assert_eq!((status, back["status"].as_str()), (StatusCode::OK, Some("draft")), "{back}");
    // Reworked in place and submitted again.
    let (status, _) =
        app.contracts().by(rep).patch(big_id, &json!({"terms": "付款：30 天内。", "version": back["version"]})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, again) = act(&app, rep, big_id, "submit", json!({})).await;
    assert_eq!(again["status"], "in_approval");
}

#[tokio::test]
async fn bad_contracts_are_refused_field_by_field_and_change_nothing() {
    let app = TestApp::new().await;
    let s = setup(&app).await;
    let rep = &s.rep.1;
    let mut bad = body(&s, "-5");
    bad["title"] = json!(" ");
    bad["start_date"] = json!("2027-06-01");
    bad["end_date"] = json!("2027-05-31");
    let (status, problem) = app.contracts().by(rep).post(&bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(field_codes(&problem), ["title:required", "amount:must_not_be_negative", "end_date:end_before_start"]);
    let mut bad = body(&s, "12.345");
    bad["customer_id"] = json!(999_999);
    let (_, problem) = app.contracts().by(rep).post(&bad).await;
    let codes = field_codes(&problem);
    assert!(
        codes.contains(&"customer_id:unknown_reference".to_owned()) && codes.iter().any(|c| c.starts_with("amount:")),
        "{codes:?}"
    );
    let mut bad = body(&s, "1");
    bad["end_date"] = json!("2027-13-01");
    let (status, problem) = app.contracts().by(rep).post(&bad).await;
    assert_eq!(
        (status, field_codes(&problem)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["end_date:invalid_date".into()])
    );
    // A deal or an order of another customer.
    let other = app.customer(rep, "苏州恒通电子").await;
    let deal =
        app.opportunities().by(rep).create(&json!({"name": "恒通 项目", "customer_id": other, "amount": "1"})).await;
    let mut bad = body(&s, "1");
    bad["opportunity_id"] = deal["id"].clone();
    bad["order_id"] = json!(424_242);
    let (_, problem) = app.contracts().by(rep).post(&bad).await;
    assert_eq!(field_codes(&problem), ["opportunity_id:unknown_reference", "order_id:unknown_reference"]);
    // An amount sent as a number, or a total the server computes: not the body's shape.
    let mut bad = body(&s, "1");
    bad["amount"] = json!(1);
    assert_eq!(app.contracts().by(rep).post(&bad).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(ids(&app.contracts().list("").await.1).is_empty());
}

#[tokio::test]
async fn contracts_and_their_files_follow_the_customers_data_scope() {
    let app = TestApp::new().await;
    let s = setup(&app).await;
    let rep = &s.rep.1;
    let id = app.contracts().by(rep).create(&body(&s, "50000")).await["id"].as_i64().unwrap();
    let other_dept = app.department("华南销售部").await;
    let (_, other) = app.signed_in("zhou.rep", "salesperson", Some(other_dept)).await;
    assert_eq!(app.contracts().by(&other).get(id).await.0, StatusCode::NOT_FOUND);
    assert!(ids(&app.contracts().by(&other).list("").await.1).is_empty());
    assert_eq!(act(&app, &other, id, "submit", json!({})).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        app.contracts().by(&other).patch(id, &json!({"title": "x", "version": 1})).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, problem) = app.contracts().by(&other).post(&body(&s, "1")).await;
    assert_eq!(
        (status, field_codes(&problem)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["customer_id:unknown_reference".into()])
    );
    assert_eq!(app.contracts().by(&s.manager.1).get(id).await.0, StatusCode::OK, "the rep's manager");
    let (_, keeper) = app.signed_in("zhao.keeper", "warehouse", None).await;
    assert_eq!(app.contracts().by(&keeper).list("").await.0, StatusCode::FORBIDDEN);

    // Files: type-checked, listed and downloaded within the scope.
    let path = format!("/api/v1/contracts/{id}/attachments");
    let (status, pdf) = upload_to(&app.router, rep, &path, "合同扫描件.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n").await;
    assert_eq!((status, pdf["holder_type"].as_str()), (StatusCode::CREATED, Some("contract")), "{pdf}");
    let (status, problem) = upload_to(&app.router, rep, &path, "virus.exe", b"MZ\x90\x00").await;
    assert_eq!(
        (status, field_codes(&problem)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["file:file_type_not_allowed".into()])
    );
    let (status, list) = app.api(Method::GET, &path, Some(rep), None).await;
    assert_eq!((status, list.as_array().map(Vec::len)), (StatusCode::OK, Some(1)));
    assert_eq!(app.api(Method::GET, &path, Some(&other), None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(upload_to(&app.router, &other, &path, "x.txt", b"hello").await.0, StatusCode::NOT_FOUND);
    let download = format!("/api/v1/attachments/{}", pdf["id"]);
    assert_eq!(app.api(Method::GET, &download, Some(&other), None).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_file_over_the_limit_is_refused_on_a_contract() {
    let data_dir = std::env::temp_dir().join(crate::helpers::unique("sf-contract-files-"));
    let config =
        salesflow_web::WebConfig { attachment_max_bytes: 1024, data_dir: data_dir.clone(), ..crate::helpers::config() };
    let app = TestApp::new().await;
    let s = setup(&app).await;
    let small = salesflow_web::router(salesflow_web::AppState { store: app.store.clone(), config });
    let id = app.contracts().by(&s.rep.1).create(&body(&s, "1")).await["id"].as_i64().unwrap();
    let path = format!("/api/v1/contracts/{id}/attachments");
    let (status, problem) = upload_to(&small, &s.rep.1, &path, "big.txt", &[b'a'; 2000]).await;
    assert_eq!((status, field_codes(&problem)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["file:file_too_large".into()]));
    let left = std::fs::read_dir(data_dir.join("attachments")).map(|d| d.count()).unwrap_or(0);
    assert_eq!(left, 0, "a refused upload leaves no file");
    let _ = std::fs::remove_dir_all(&data_dir);
}

#[tokio::test]
async fn the_owner_hears_once_before_the_end_and_a_contract_past_it_expires() {
    let app = TestApp::new().await;
    let s = setup(&app).await;
    let rep = &s.rep.1;
    let signed = |end: i64| {
        let mut b = body(&s, "10000");
        b["start_date"] = json!(day(-300));
        b["signed_date"] = json!(day(-300));
        b["end_date"] = json!(day(end));
        b
    };
    let mut made = Vec::new();
    for end in [10, 45, -1] {
        let id = app.contracts().by(rep).create(&signed(end)).await["id"].as_i64().unwrap();
        let (status, c) = act(&app, rep, id, "submit", json!({})).await;
        assert_eq!((status, c["status"].as_str()), (StatusCode::OK, Some("signed")), "{c}");
        made.push(id);
    }
    // Ending within 30 days: the list's filter.
    let (_, soon) = app.contracts().by(rep).list("expiring_within=30").await;
    assert_eq!(ids(&soon), [made[0]]);
    // The setting: 5 days is too short for the first; 30 (the default) is not.
    let (_, mut settings) = app.api(Method::GET, "/api/v1/settings", Some(&app.admin), None).await;
    assert_eq!(settings["contract_reminder_days"], 30);
    settings["contract_reminder_days"] = json!(5);
    let (status, saved) = app.api(Method::PATCH, "/api/v1/settings", Some(&app.admin), Some(settings.clone())).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let run = salesflow_store::contracts::remind_and_expire(&app.store, 100).await.unwrap();
    assert_eq!((run.reminded, run.expired), (0, 1));
    let (_, expired) = app.contracts().by(rep).get(made[2]).await;
    assert_eq!(expired["status"], "expired");
    let mut settings = saved;
    settings["contract_reminder_days"] = json!(30);
    app.api(Method::PATCH, "/api/v1/settings", Some(&app.admin), Some(settings)).await;
    let run = salesflow_store::contracts::remind_and_expire(&app.store, 100).await.unwrap();
    assert_eq!((run.reminded, run.expired), (1, 0));
    let again = salesflow_store::contracts::remind_and_expire(&app.store, 100).await.unwrap();
    assert_eq!((again.reminded, again.expired), (0, 0), "once per contract");
    let notices = notification::Entity::find()
        .filter(notification::Column::UserId.eq(s.rep.0))
        .filter(notification::Column::Kind.eq(notification::NotificationKind::ContractExpiring))
        .all(app.store.reader())
        .await
        .unwrap();
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].link.as_deref(), Some(format!("/contracts/{}", made[0]).as_str()));
}

#[tokio::test]
async fn the_contract_pages_save_refuse_show_and_print() {
    let app = TestApp::new().await;
    let s = setup(&app).await;
    let (cookies, csrf) = sign_in_as(&app, "li.rep", USER_PASSWORD, "/contracts").await;
    let (status, _, page) = app.send(get(&format!("/contracts/new?customer_id={}", s.customer), &cookies)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.as_str().unwrap().contains("上海精密机械有限公司"));
    let bad = format!(
        "_csrf={csrf}&customer_id={}&title=%E7%BB%B4%E4%BF%9D&amount=1000&terms=&start_date=2027-06-01&end_date=2027-05-01&signed_date=2027-05-20",
        s.customer
    );
    let (status, _, page) = app.send(form("/contracts/new", &cookies, &bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = page.as_str().unwrap();
    assert!(html.contains("end_date-error") && html.contains("维保"), "the error by the field, the title kept: {html}");
    let good = bad.replace("end_date=2027-05-01", "end_date=2027-12-31");
    let (status, headers, page) = app.send(form("/contracts/new", &cookies, &good)).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let location = headers.get(header::LOCATION).unwrap().to_str().unwrap().to_owned();
    let id: i64 = location.trim_start_matches("/contracts/").parse().unwrap();
    let (status, _, page) = app.send(get(&location, &cookies)).await;
    assert_eq!(status, StatusCode::OK);
    let html = page.as_str().unwrap();
    assert!(html.contains("CT-") && html.contains(&format!("/contracts/{id}/print")), "{html}");
    let (status, _, page) = app.send(get(&format!("/contracts/{id}/print"), &cookies)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.as_str().unwrap().contains("print-sheet"), "{page}");
    let (_, _, page) = app.send(get(&format!("/customers/{}", s.customer), &cookies)).await;
    assert!(page.as_str().unwrap().contains(&format!("/contracts/{id}")), "the customer page lists it: {page}");
    let (status, _, page) = app.send(get("/contracts?status=draft", &cookies)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.as_str().unwrap().contains(&format!("/contracts/{id}")), "{page}");
    // Submitted for signing from its page: below every rule, signed at once.
    let (status, _, page) =
        app.send(form(&format!("/contracts/{id}/submit"), &cookies, &format!("_csrf={csrf}&version=1"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let (_, _, page) = app.send(get(&location, &cookies)).await;
    assert!(page.as_str().unwrap().contains(">Signed<") || page.as_str().unwrap().contains(">已签署<"), "{page}");
    // A stale version from the page: refused with the conflict message, nothing changed.
    let (status, _, _) =
        app.send(form(&format!("/contracts/{id}/start"), &cookies, &format!("_csrf={csrf}&version=1"))).await;
    assert_eq!(status, StatusCode::CONFLICT);
}
