//! Leads: field errors, scope, Chinese search, duplicates, conversion into
//! customer and contact, concurrency, audit, export.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::support::{audit_actions, csv_export, ids, urlencode};

fn error_fields(problem: &Value) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap().to_owned(), e["code"].as_str().unwrap().to_owned()))
        .collect();
    found.sort();
    found
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected.iter().map(|(f, c)| ((*f).to_owned(), (*c).to_owned())).collect()
}

async fn lead(app: &TestApp, token: &str, body: Value) -> Value {
    app.leads().by(token).create(&body).await
}

/// Marks a lead qualified (through the API, with its version) and returns it.
async fn qualify(app: &TestApp, token: &str, l: &Value) -> Value {
    // An update replaces every field: send them all back.
    let mut body = json!({"status": "qualified", "version": l["version"], "allow_duplicate": true});
    for field in [
        "name",
        "company",
        "title",
        "phone",
        "mobile",
        "email",
        "province",
        "city",
        "source",
        "campaign",
        "intention",
        "notes",
    ] {
        body[field] = l[field].clone();
    }
    let (s, q) = app.leads().by(token).patch(&l["id"], &body).await;
    assert_eq!(s, StatusCode::OK, "{q}");
    assert_eq!(q["status"], "qualified");
    q
}

async fn count(app: &TestApp, path: &str) -> usize {
    let (s, page) = app.api(Method::GET, path, Some(&app.admin), None).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().len()
}

#[tokio::test]
async fn bad_lead_input_is_field_level_and_changes_nothing() {
    let app = TestApp::new().await;
    let (s, p) = app
        .leads()
        .post(&json!({"name": "  ", "phone": "call me", "email": "nope", "intention": "hot", "owner_id": 999_999}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(
        error_fields(&p),
        pairs(&[
            ("email", "invalid_email"),
            ("intention", "invalid_choice"),
            ("name", "required"),
            ("owner_id", "unknown_reference"),
            ("phone", "invalid_phone"),
        ])
    );
    assert!(p["errors"].as_array().unwrap().iter().all(|e| !e["message"].as_str().unwrap().is_empty()));
    let (s, p) = app.leads().post(&json!({"name": "名".repeat(101), "company": "C".repeat(201), "mobile": "12"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_fields(&p), pairs(&[("company", "too_long"), ("mobile", "invalid_phone"), ("name", "too_long")]));
    // Disqualified needs a reason; unknown fields are refused.
    let (s, p) = app.leads().post(&json!({"name": "王强", "status": "disqualified"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_fields(&p), pairs(&[("disqualify_reason", "required")]));
    let (s, _) = app.leads().post(&json!({"name": "王强", "stage": "x"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(count(&app, "/api/v1/leads").await, 0, "nothing was created");
}

#[tokio::test]
async fn salespeople_see_change_and_convert_only_their_own_leads() {
    let app = TestApp::new().await;
    let (_, d) = app.departments().post(&json!({"name": "华东销售组"})).await;
    let east = d["id"].as_i64();
    let (li_id, li) = app.signed_in("li.na", "salesperson", east).await;
    let (_, wang) = app.signed_in("wang.fang", "salesperson", east).await;
    let (_, manager) = app.signed_in("zhang.wei", "sales_manager", east).await;

    let l = lead(&app, &li, json!({"name": "陈静", "company": "苏州精工机械", "mobile": "13800138001"})).await;
    let id = l["id"].as_i64().unwrap();
    assert_eq!(l["owner_id"], li_id, "the creator owns the lead");
    assert_eq!(l["status"], "new");
    let l = qualify(&app, &li, &l).await;

    let (s, _) = app.leads().by(&wang).get(id).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, page) = app.leads().by(&wang).list("").await;
    assert!(ids(&page).is_empty());
    let (_, page) = app.leads().by(&wang).list(&format!("q={}", urlencode("陈静"))).await;
    assert!(ids(&page).is_empty(), "nor through search");
    let (s, _) = app.leads().by(&wang).patch(id, &json!({"name": "x", "version": l["version"]})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.leads().by(&wang).act(id, "convert", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.leads().by(&wang).get_part(id, "convert").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Nor may she hand her own lead to someone outside her scope.
    let mine = lead(&app, &wang, json!({"name": "Tom Chan"})).await;
    let (s, p) = app
        .leads()
        .by(&wang)
        .patch(&mine["id"], &json!({"name": "Tom Chan", "owner_id": li_id, "version": mine["version"]}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_fields(&p), pairs(&[("owner_id", "owner_outside_scope")]));

    // The manager sees both, filters by owner, and could convert it.
    let (_, page) = app.leads().by(&manager).list("").await;
    assert_eq!(ids(&page).len(), 2);
    let (_, page) = app.leads().by(&manager).list(&format!("owner_id={li_id}")).await;
    assert_eq!(ids(&page), vec![id]);
    // Nothing changed for the refused attempts.
    let (_, after) = app.leads().by(&li).get(id).await;
    assert_eq!(after["version"], l["version"]);
    assert!(after["converted_at"].is_null());
}

#[tokio::test]
async fn a_two_character_chinese_name_phone_email_and_company_find_a_lead() {
    let app = TestApp::new().await;
    let l = lead(
        &app,
        &app.admin,
        json!({"name": "李娜", "company": "杭州云帆网络科技有限公司", "mobile": "+86 139-0013-9002",
               "email": "li.na@yunfan.com", "campaign": "2026 春季展会"}),
    )
    .await;
    lead(&app, &app.admin, json!({"name": "Grace Liu", "company": "Bright Pharma", "campaign": "官网咨询"})).await;
    let id = l["id"].as_i64().unwrap();
    for q in ["李娜", "娜", "云帆", "13900139002", "0013", "li.na@yunfan", "YUNFAN.COM"] {
        let (_, page) = app.leads().list(&format!("q={}", urlencode(q))).await;
        assert_eq!(ids(&page), vec![id], "{q}");
    }
    let (_, page) = app.leads().list("q=grace").await;
    assert_eq!(ids(&page).len(), 1);
    let (_, page) = app.leads().list(&format!("q={}", urlencode("张伟"))).await;
    assert!(ids(&page).is_empty());
    // Filters and sorting.
    let campaign = urlencode("2026 春季展会");
    let (_, page) = app.leads().list(&format!("campaign={campaign}")).await;
    assert_eq!(ids(&page), vec![id]);
    let (_, page) = app.leads().list("status=new&converted=false").await;
    assert_eq!(ids(&page).len(), 2);
    let (_, page) = app.leads().list("converted=true").await;
    assert!(ids(&page).is_empty());
    let (_, page) = app.leads().list("sort=name&limit=1").await;
    assert_eq!(page["items"][0]["name"], "Grace Liu");
    let cursor = page["next_cursor"].as_str().expect("a second page");
    let (_, next) = app.leads().list(&format!("sort=name&limit=1&cursor={cursor}")).await;
    assert_eq!(ids(&next), vec![id]);
    assert!(next["next_cursor"].is_null());
    let (s, p) = app.leads().list("sort=mobile").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["code"], "invalid_sort");
}

#[tokio::test]
async fn duplicates_warn_with_the_records_until_confirmed() {
    let app = TestApp::new().await;
    let (_, c) = app.customers().post(&json!({"name": "上海华信科技有限公司"})).await;
    lead(&app, &app.admin, json!({"name": "周国强", "mobile": "13900139002"})).await;
    let (s, p) =
        app.leads().post(&json!({"name": "陈静", "company": "上海 华信科技", "mobile": "139-0013-9002"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_fields(&p), pairs(&[("company", "possible_duplicate"), ("mobile", "possible_duplicate")]));
    let text = p.to_string();
    assert!(text.contains("上海华信科技有限公司") && text.contains("周国强"), "{p}");
    assert_eq!(count(&app, "/api/v1/leads").await, 1);
    let l = lead(
        &app,
        &app.admin,
        json!({"name": "陈静", "company": "上海 华信科技", "mobile": "139-0013-9002", "allow_duplicate": true}),
    )
    .await;
    assert_eq!(l["company"], "上海 华信科技");
    // Saving it again without touching the keys does not warn.
    let (s, _) = app
        .leads()
        .patch(
            &l["id"],
            &json!({"name": "陈静", "company": "上海 华信科技", "mobile": "13900139002", "title": "采购经理",
                        "version": l["version"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(c["id"].is_i64());
}

#[tokio::test]
async fn converting_creates_customer_and_contact_and_links_them() {
    let app = TestApp::new().await;
    let (li_id, li) = app.signed_in("li.na", "salesperson", None).await;
    let l = lead(
        &app,
        &li,
        json!({"name": "林晓", "company": "成都蜀锦丝绸有限公司", "title": "IT 总监", "mobile": "13600136003",
               "email": "lin.xiao@shujin.cn", "province": "四川", "city": "成都", "source": "展会",
               "campaign": "2026 春季展会", "intention": "high"}),
    )
    .await;
    let id = l["id"].as_i64().unwrap();
    let l = qualify(&app, &li, &l).await;
    let (s, preview) = app.leads().by(&li).get_part(id, "convert").await;
    assert_eq!(s, StatusCode::OK);
    assert!(preview["existing_customer"].is_null());
    assert_eq!(preview["new_customer_name"], "成都蜀锦丝绸有限公司");

    let (s, done) = app
        .leads()
        .by(&li)
        .act(id, "convert", Some(&json!({"contact_role": "decision_maker", "version": l["version"]})))
        .await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(done["customer_reused"], false);
    let customer_id = done["customer_id"].as_i64().unwrap();
    let contact_id = done["contact_id"].as_i64().unwrap();
    assert_eq!(done["lead"]["converted_customer_id"], customer_id);
    assert_eq!(done["lead"]["converted_contact_id"], contact_id);
    assert!(done["lead"]["converted_at"].is_string());

    let (_, c) = app.customers().by(&li).get(customer_id).await;
    assert_eq!(c["name"], "成都蜀锦丝绸有限公司");
    assert_eq!(c["owner_id"], li_id, "the lead's owner owns the customer");
    assert_eq!(c["province"], "四川");
    assert_eq!(c["source"], "trade_show", "the lead's source names a choice: its code");
    let (_, contacts) = app.contacts().by(&li).list(&format!("customer_id={customer_id}")).await;
    let person = &contacts["items"][0];
    assert_eq!(person["id"], contact_id);
    assert_eq!(person["name"], "林晓");
    assert_eq!(person["role"], "decision_maker");
    assert_eq!(person["email"], "lin.xiao@shujin.cn");

    assert_eq!(audit_actions(&app, "lead", id).await, ["lead.convert", "lead.update", "lead.create"]);
    assert_eq!(audit_actions(&app, "customer", customer_id).await, ["customer.create"]);
    assert_eq!(audit_actions(&app, "contact", contact_id).await, ["contact.create"]);

    // Converted leads are history: no second conversion, no edits.
    let (s, p) = app.leads().by(&li).act(id, "convert", None).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_fields(&p), pairs(&[("status", "lead_converted")]));
    let (s, _) = app.leads().by(&li).patch(id, &json!({"name": "林晓", "version": done["lead"]["version"]})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(count(&app, "/api/v1/customers").await, 1, "no second customer");
    assert_eq!(count(&app, "/api/v1/leads?converted=true").await, 1);
}

#[tokio::test]
async fn converting_reuses_the_customer_the_duplicate_check_finds() {
    let app = TestApp::new().await;
    let (_, li) = app.signed_in("li.na", "salesperson", None).await;
    let (zhao_id, zhao) = app.signed_in("zhao.lei", "salesperson", None).await;
    let (_, mine) = app.customers().by(&li).post(&json!({"name": "上海华信科技有限公司"})).await;
    let mine_id = mine["id"].as_i64().unwrap();
    app.contacts()
        .by(&li)
        .create(&json!({"customer_id": mine_id, "name": "陈静", "mobile": "13800138001", "role": "handler"}))
        .await;

    // Same company name, written differently: joins the customer as a new contact.
    let a = lead(
        &app,
        &li,
        json!({"name": "周国强", "company": "上海 华信科技", "mobile": "13900139002", "allow_duplicate": true}),
    )
    .await;
    let a = qualify(&app, &li, &a).await;
    let (_, preview) = app.leads().by(&li).get_part(&a["id"], "convert").await;
    assert_eq!(preview["existing_customer"]["id"], mine_id);
    let (s, done) = app.leads().by(&li).act(&a["id"], "convert", None).await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(done["customer_reused"], true);
    assert_eq!(done["customer_id"], mine_id);
    assert_eq!(done["contact_reused"], false);

    // No company, but the same mobile as a contact: the same person at the same customer.
    let b = lead(&app, &li, json!({"name": "陈静", "mobile": "+86 138 0013 8001", "allow_duplicate": true})).await;
    let b = qualify(&app, &li, &b).await;
    let (s, done) = app.leads().by(&li).act(&b["id"], "convert", Some(&json!({}))).await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(done["customer_id"], mine_id);
    assert_eq!(done["contact_reused"], true);
    assert_eq!(count(&app, &format!("/api/v1/contacts?customer_id={mine_id}")).await, 2, "陈静 and 周国强");
    assert_eq!(count(&app, "/api/v1/customers").await, 1);

    // Someone else's look-alike cannot be reused: a field error until a new customer is asked for.
    // (zhao cannot enter the lead himself: 撞单; the administrator gives it to him with a reason.)
    let body = json!({"name": "王磊", "company": "上海华信科技", "allow_duplicate": true, "owner_id": zhao_id,
        "duplicate_reason": "展会名单"});
    let c = lead(&app, &app.admin, body).await;
    let c = qualify(&app, &zhao, &c).await;
    let (s, p) = app.leads().by(&zhao).act(&c["id"], "convert", None).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // Outside zhao's scope: that it exists and whose it is, not which it is.
    assert_eq!(error_fields(&p), pairs(&[("customer_id", "duplicate_elsewhere")]));
    assert!(!p.to_string().contains("上海华信科技有限公司"), "{p}");
    let (s, p) = app.leads().by(&zhao).act(&c["id"], "convert", Some(&json!({"customer_id": mine_id}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_fields(&p), pairs(&[("customer_id", "unknown_reference")]));
    let (_, still) = app.leads().by(&zhao).get(&c["id"]).await;
    assert!(still["converted_at"].is_null(), "nothing changed");
    // A new customer by li.na's customer's name is 撞单 for zhao, a salesperson.
    let (s, p) = app.leads().by(&zhao).act(&c["id"], "convert", Some(&json!({"new_customer": true}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(error_fields(&p), pairs(&[("name", "owned_by_other")]));
    // The administrator may; the audit event says it was the conversion.
    let (s, done) = app.leads().act(&c["id"], "convert", Some(&json!({"new_customer": true}))).await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(done["customer_reused"], false);
    assert_ne!(done["customer_id"], mine_id);
    assert_eq!(count(&app, "/api/v1/customers").await, 2);
}

#[tokio::test]
async fn only_a_qualified_lead_converts_and_stale_versions_conflict() {
    let app = TestApp::new().await;
    let l = lead(&app, &app.admin, json!({"name": "孙建华", "company": "南京金陵建设集团"})).await;
    let id = l["id"].as_i64().unwrap();
    let path = format!("/api/v1/leads/{id}");
    for status in ["new", "contacted", "disqualified"] {
        let mut body = json!({"name": "孙建华", "company": "南京金陵建设集团", "status": status,
            "version": app.leads().get(id).await.1["version"]});
        if status == "disqualified" {
            body["disqualify_reason"] = json!("预算取消");
        }
        let (s, _) = app.leads().patch(id, &body).await;
        assert_eq!(s, StatusCode::OK);
        let (s, p) = app.leads().act(id, "convert", None).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{status}");
        assert_eq!(error_fields(&p), pairs(&[("status", "lead_not_qualified")]));
    }
    assert_eq!(count(&app, "/api/v1/customers").await, 0, "nothing was created");
    assert_eq!(count(&app, "/api/v1/contacts").await, 0);

    // A stale version changes nothing, neither in an edit nor in a conversion.
    let (_, current) = app.leads().get(id).await;
    assert_eq!(current["disqualify_reason"], "预算取消");
    let version = current["version"].as_i64().unwrap();
    let body = json!({"name": "孙建华", "company": "南京金陵建设集团", "status": "qualified", "version": version});
    let (s, _) = app.leads().patch(id, &body).await;
    assert_eq!(s, StatusCode::OK);
    let (s, p) = app.leads().patch(id, &body).await;
    assert_eq!(s, StatusCode::CONFLICT, "{p}");
    let (s, _) = app.leads().act(id, "convert", Some(&json!({"version": version}))).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(count(&app, "/api/v1/customers").await, 0);
    let (_, now) = app.leads().get(id).await;
    assert_eq!(now["version"], version + 1);
    assert!(now["disqualify_reason"].is_null(), "the reason belongs to the disqualified status");
    // The body is optional; an unknown field in it is refused.
    let (s, _, _) = app
        .send(crate::helpers::api_request(
            Method::POST,
            &format!("{path}/convert"),
            Some(&app.admin),
            None,
            &[("content-type", "application/json")],
        ))
        .await;
    assert_eq!(s, StatusCode::OK, "an empty body converts with the duplicate check's choice");
    let (s, p) = app.leads().act(id, "convert", Some(&json!({"x": 1}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
}

#[tokio::test]
async fn leads_are_soft_deleted_restored_and_exported() {
    let app = TestApp::new().await;
    let l =
        lead(&app, &app.admin, json!({"name": "Grace Liu 刘佳", "campaign": "官网咨询", "intention": "medium"})).await;
    lead(&app, &app.admin, json!({"name": "郑伟", "campaign": "老客户推荐"})).await;
    let (s, _) = app.leads().delete(&l["id"]).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(count(&app, "/api/v1/leads").await, 1);
    assert_eq!(count(&app, "/api/v1/leads?deleted=true").await, 1);
    let (s, back) = app.leads().act(&l["id"], "restore", None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(back["deleted_at"].is_null());
    assert_eq!(
        audit_actions(&app, "lead", l["id"].as_i64().unwrap()).await,
        ["lead.restore", "lead.delete", "lead.create"]
    );
    // A salesperson may not delete.
    let (_, li) = app.signed_in("li.na", "salesperson", None).await;
    let own = lead(&app, &li, json!({"name": "黄丽"})).await;
    let (s, _) = app.leads().by(&li).delete(&own["id"]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let text = csv_export(&app, &format!("/api/v1/leads/export.csv?campaign={}", urlencode("官网咨询"))).await;
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("名称,公司名称"), "{}", lines[0]);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[1].contains("Grace Liu 刘佳") && lines[1].contains(",中,"), "{}", lines[1]);
}

#[tokio::test]
async fn the_lead_pages_search_warn_qualify_and_convert() {
    use crate::support::browser::{form, get, sign_in};
    use axum::http::header;

    let app = TestApp::new().await;
    let (_, c) = app.customers().post(&json!({"name": "上海华信科技有限公司"})).await;
    let l = lead(&app, &app.admin, json!({"name": "李娜", "company": "上海华信科技", "allow_duplicate": true})).await;
    lead(&app, &app.admin, json!({"name": "王芳", "company": "Pearl River Logistics"})).await;
    let (cookies, csrf) = sign_in(&app).await;

    let (s, _, page) = app.send(get("/leads?q=%E6%9D%8E%E5%A8%9C", &cookies)).await;
    assert_eq!(s, StatusCode::OK);
    let html = page.as_str().unwrap();
    assert!(html.contains("李娜") && !html.contains("王芳"), "search by two Chinese characters");
    assert!(html.contains("href=\"/leads\""), "the nav entry");

    // Field errors keep what was typed; a duplicate links to the records.
    let body = format!("_csrf={csrf}&name=&company=%E4%B8%8A%E6%B5%B7%E5%8D%8E%E4%BF%A1&mobile=12");
    let (s, _, page) = app.send(form("/leads", &cookies, &body)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let html = page.as_str().unwrap();
    assert!(html.contains("id=\"name-error\"") && html.contains("id=\"mobile-error\""));
    assert!(html.contains("value=\"上海华信\""), "typed company kept");
    let body =
        format!("_csrf={csrf}&name=%E9%99%88%E9%9D%99&company=%E4%B8%8A%E6%B5%B7%E5%8D%8E%E4%BF%A1%E7%A7%91%E6%8A%80");
    let (s, _, page) = app.send(form("/leads", &cookies, &body)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let html = page.as_str().unwrap();
    assert!(html.contains(&format!("href=\"/customers/{}\"", c["id"])), "links the customer");
    assert!(html.contains(&format!("href=\"/leads/{}\"", l["id"])), "links the lead");
    assert!(html.contains("name=\"allow_duplicate\""));
    let (s, h, _) = app.send(form("/leads", &cookies, &format!("{body}&allow_duplicate=1"))).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(h.get(header::LOCATION).unwrap().to_str().unwrap().starts_with("/leads/"));

    // Disqualifying needs a reason; qualifying shows what converting will do.
    let id = l["id"].as_i64().unwrap();
    let status_path = format!("/leads/{id}/status");
    let (s, _, page) =
        app.send(form(&status_path, &cookies, &format!("_csrf={csrf}&status=disqualified&version=1"))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.as_str().unwrap().contains("id=\"disqualify_reason-error\""));
    let (s, _, _) = app.send(form(&status_path, &cookies, &format!("_csrf={csrf}&status=qualified&version=1"))).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, _, page) = app.send(get(&format!("/leads/{id}"), &cookies)).await;
    let html = page.as_str().unwrap();
    assert!(html.contains("data-testid=\"convert-plan\"") && html.contains("上海华信科技有限公司"), "{html}");
    let (s, h, _) = app
        .send(form(&format!("/leads/{id}/convert"), &cookies, &format!("_csrf={csrf}&target={}&version=2", c["id"])))
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h.get(header::LOCATION).unwrap().to_str().unwrap(), format!("/customers/{}", c["id"]));
    let (_, after) = app.leads().get(id).await;
    assert_eq!(after["converted_customer_id"], c["id"]);
}
