//! The fuller customer record: phone, website, the unified social credit
//! code, picklists an administrator edits, and the region picker's check.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::support::{field_codes, ids, urlencode};

#[tokio::test]
async fn phone_website_and_credit_code_round_trip() {
    let app = TestApp::new().await;
    let c = app
        .customers()
        .create(&json!({"name": "福州华信科技有限公司", "phone": "0591-8765 4321", "website": "www.huaxin.cn",
            "credit_code": "91350100m000100y43", "industry": "制造业", "source": "Trade show", "kind": "enterprise",
            "province": "福建省", "city": "福州市"}))
        .await;
    assert_eq!(c["phone"], "0591-8765 4321");
    assert_eq!(c["website"], "https://www.huaxin.cn", "a website gets its scheme");
    assert_eq!(c["credit_code"], "91350100M000100Y43", "lower case is taken in capitals");
    assert_eq!(
        (c["industry"].as_str(), c["source"].as_str(), c["kind"].as_str()),
        (Some("manufacturing"), Some("trade_show"), Some("enterprise")),
        "picklist values by label in either language, stored as codes"
    );
    assert_eq!((c["province"].as_str(), c["city"].as_str()), (Some("福建"), Some("福州")), "regions stored short");
    let id = c["id"].as_i64().unwrap();

    let (s, got) = app.customers().get(id).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(got["credit_code"], "91350100M000100Y43");
    // A patch of another field keeps them; null clears one.
    let (s, after) =
        app.customers().patch(id, &json!({"grade": "A", "website": null, "version": got["version"]})).await;
    assert_eq!(s, StatusCode::OK, "{after}");
    assert_eq!((after["phone"].as_str(), after["website"].as_str()), (Some("0591-8765 4321"), None));
    assert_eq!(after["credit_code"], "91350100M000100Y43");
    // The list filters by the choice's code or label.
    for q in ["industry=manufacturing", &format!("industry={}", urlencode("制造业"))] {
        let (_, page) = app.customers().list(q).await;
        assert_eq!(ids(&page), vec![id], "{q}");
    }
}

#[tokio::test]
async fn bad_fields_are_refused_field_by_field_and_nothing_is_saved() {
    let app = TestApp::new().await;
    let (s, p) = app
        .customers()
        .post(&json!({"name": "坏数据公司", "credit_code": "91350100M000100Y44", "website": "javascript:alert(1)",
            "phone": "call me", "industry": "航天", "province": "火星"}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let mut codes = field_codes(&p);
    codes.sort();
    assert_eq!(codes, ["credit_code:credit_code_check", "phone:invalid_phone", "website:invalid_website"]);
    // The picklist and region checks speak once the fields' shapes are right.
    let (s, p) = app.customers().post(&json!({"name": "坏数据公司", "industry": "航天", "province": "火星"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let mut codes = field_codes(&p);
    codes.sort();
    assert_eq!(codes, ["industry:unknown_choice", "province:unknown_region"]);
    let (s, p) = app.customers().post(&json!({"name": "坏数据公司", "region": "浙江 苏州"})).await;
    assert_eq!((s, field_codes(&p)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["city:unknown_region".to_owned()]));
    for (code, error) in [("9135010", "credit_code_length"), ("91350100I000100Y43", "credit_code_chars")] {
        let (s, p) = app.customers().post(&json!({"name": "坏数据公司", "credit_code": code})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(field_codes(&p), [format!("credit_code:{error}")]);
        assert!(p["errors"][0]["message"].as_str().is_some_and(|m| !m.is_empty()), "{p}");
    }
    let (_, page) = app.customers().list("").await;
    assert!(ids(&page).is_empty(), "nothing was saved");
}

fn entry<'a>(list: &'a Value, kind: &str, code: &str) -> &'a Value {
    list.as_array().unwrap().iter().find(|e| e["list"] == kind && e["code"] == code).expect("the entry")
}

#[tokio::test]
async fn administrators_edit_the_picklists_and_others_only_read_them() {
    let app = TestApp::new().await;
    let (_, rep) = app.signed_in("li.na", "salesperson", None).await;
    let (s, lists) = app.picklists().by(&rep).list("").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(entry(&lists, "industry", "manufacturing")["label_zh"], "制造业");
    let (s, p) =
        app.picklists().by(&rep).post(&json!({"list": "industry", "code": "aerospace", "label_zh": "航天"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{p}");
    let id = entry(&lists, "industry", "manufacturing")["id"].as_i64().unwrap();
    let (s, _) = app.picklists().by(&rep).patch(id, &json!({"label_en": "Making", "version": 1})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let created = app
        .picklists()
        .create(&json!({"list": "industry", "code": "aerospace", "label_zh": "航天", "label_en": "Aerospace"}))
        .await;
    assert_eq!((created["active"].as_bool(), created["list"].as_str()), (Some(true), Some("industry")));
    let (s, p) = app.picklists().post(&json!({"list": "industry", "code": "Aerospace", "label_zh": ""})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let mut codes = field_codes(&p);
    codes.sort();
    assert_eq!(codes, ["code:taken", "label_zh:required"]);
    let (s, p) = app.picklists().post(&json!({"list": "colour", "code": "red", "label_zh": "红"})).await;
    assert_eq!((s, field_codes(&p)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["list:invalid_choice".to_owned()]));

    // A rep may now choose it, by its English label.
    let c = app.customers().by(&rep).create(&json!({"name": "西安航天动力", "industry": "aerospace "})).await;
    assert_eq!(c["industry"], "aerospace");
    // Deactivated: no longer offered, but the customer keeps it.
    let aid = created["id"].as_i64().unwrap();
    let (s, off) = app.picklists().patch(aid, &json!({"active": false, "version": created["version"]})).await;
    assert_eq!(s, StatusCode::OK, "{off}");
    assert_eq!(off["code"], "aerospace");
    let (s, p) = app.customers().by(&rep).post(&json!({"name": "成都航天科技", "industry": "航天"})).await;
    assert_eq!((s, field_codes(&p)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["industry:unknown_choice".to_owned()]));
    let id = c["id"].as_i64().unwrap();
    let (s, kept) = app.customers().by(&rep).patch(id, &json!({"grade": "B", "version": c["version"]})).await;
    assert_eq!((s, kept["industry"].as_str()), (StatusCode::OK, Some("aerospace")), "{kept}");
    // The code stays what customers hold.
    let (s, p) = app.picklists().patch(aid, &json!({"code": "space", "version": off["version"]})).await;
    assert_eq!((s, field_codes(&p)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["code:unchangeable".to_owned()]));
}

#[tokio::test]
async fn the_customer_form_offers_choices_and_the_region_picker() {
    let app = TestApp::new().await;
    let (cookies, _csrf) = crate::support::browser::sign_in(&app).await;
    let (s, _, page) = app.send(crate::support::browser::get("/customers/new", &cookies)).await;
    assert_eq!(s, StatusCode::OK);
    let html = page.as_str().unwrap_or_default().to_owned();
    for needle in [
        "name=\"credit_code\"",
        "name=\"website\"",
        "name=\"phone\"",
        "<option value=\"manufacturing\"",
        "data-region-province",
        "<optgroup label=\"Zhejiang\" data-province=\"浙江\">",
        "<option value=\"杭州\"",
    ] {
        assert!(html.contains(needle), "{needle}");
    }
    let (s, _, page) = app.send(crate::support::browser::get("/admin/picklists", &cookies)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.as_str().unwrap_or_default().contains("id=\"list-industry\""));
}
