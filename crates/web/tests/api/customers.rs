//! Customers and contacts: scope, Chinese search, duplicates, the pool.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;

fn ids(page: &Value) -> Vec<i64> {
    page["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect()
}

async fn customer(app: &TestApp, token: &str, body: Value) -> Value {
    let (s, c) = app.api(Method::POST, "/api/v1/customers", Some(token), Some(body)).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    c
}

async fn department(app: &TestApp, name: &str) -> i64 {
    let (_, d) = app.api(Method::POST, "/api/v1/departments", Some(&app.admin), Some(json!({"name": name}))).await;
    d["id"].as_i64().unwrap()
}

#[tokio::test]
async fn salespeople_see_only_their_own_customers() {
    let app = TestApp::new().await;
    let east = department(&app, "华东销售组").await;
    app.create_user("li.na", "salesperson", Some(east)).await;
    app.create_user("wang.fang", "salesperson", Some(east)).await;
    app.create_user("zhang.wei", "sales_manager", Some(east)).await;
    let li = app.login("li.na", "password-123").await;
    let wang = app.login("wang.fang", "password-123").await;
    let manager = app.login("zhang.wei", "password-123").await;

    let c = customer(
        &app,
        &li,
        json!({"name": "上海华信科技有限公司", "grade": "A", "credit_limit": "500000.00",
        "province": "上海", "tags": ["重点", "华东"]}),
    )
    .await;
    let id = c["id"].as_i64().unwrap();
    assert_eq!(c["credit_limit"], "500000.00");
    assert_eq!(c["owner_name"], "li.na");

    let (s, _) = app.api(Method::GET, &format!("/api/v1/customers/{id}"), Some(&wang), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, page) = app.api(Method::GET, "/api/v1/customers", Some(&wang), None).await;
    assert!(ids(&page).is_empty());
    let (_, page) = app.api(Method::GET, "/api/v1/customers?grade=A", Some(&manager), None).await;
    assert_eq!(ids(&page), vec![id]);
    // Nor may she add contacts to it, or assign customers to someone outside her scope.
    let (s, _) = app
        .api(
            Method::POST,
            "/api/v1/contacts",
            Some(&wang),
            Some(json!({"customer_id": id, "name": "陈静", "role": "handler"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, me) = app.api(Method::GET, "/api/v1/me", Some(&li), None).await;
    let (s, p) = app
        .api(
            Method::POST,
            "/api/v1/customers",
            Some(&wang),
            Some(json!({"name": "Acme", "owner_id": me["user"]["id"]})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["code"], "owner_outside_scope");
}

#[tokio::test]
async fn chinese_names_phones_and_emails_are_found() {
    let app = TestApp::new().await;
    let hx = customer(&app, &app.admin, json!({"name": "上海华信科技有限公司"})).await;
    customer(&app, &app.admin, json!({"name": "Beijing Acme Trading"})).await;
    let hx_id = hx["id"].as_i64().unwrap();
    let (s, contact) = app
        .api(
            Method::POST,
            "/api/v1/contacts",
            Some(&app.admin),
            Some(json!({"customer_id": hx_id, "name": "李娜", "mobile": "+86 138-0013-8000",
                        "email": "li.na@huaxin.cn", "role": "decision_maker", "title": "采购经理"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{contact}");
    for q in ["华信", "华", "huaxin", "上海华信科技"] {
        let (_, page) =
            app.api(Method::GET, &format!("/api/v1/customers?q={}", urlencode(q)), Some(&app.admin), None).await;
        if q == "huaxin" {
            assert!(ids(&page).is_empty(), "names only: {q}");
        } else {
            assert_eq!(ids(&page), vec![hx_id], "{q}");
        }
    }
    let (_, page) = app.api(Method::GET, "/api/v1/customers?q=acme", Some(&app.admin), None).await;
    assert_eq!(ids(&page).len(), 1);
    for q in ["李娜", "13800138000", "0013", "li.na@huaxin", "HUAXIN.CN"] {
        let (_, page) =
            app.api(Method::GET, &format!("/api/v1/contacts?q={}", urlencode(q)), Some(&app.admin), None).await;
        assert_eq!(page["items"].as_array().unwrap().len(), 1, "{q}");
    }
    let (_, page) =
        app.api(Method::GET, &format!("/api/v1/contacts?q={}", urlencode("张伟")), Some(&app.admin), None).await;
    assert!(page["items"].as_array().unwrap().is_empty());
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'.' || b == b'@' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn duplicates_warn_until_confirmed() {
    let app = TestApp::new().await;
    let first = customer(&app, &app.admin, json!({"name": "上海华信科技有限公司"})).await;
    let (s, p) =
        app.api(Method::POST, "/api/v1/customers", Some(&app.admin), Some(json!({"name": "上海 华信科技"}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["code"], "possible_duplicate");
    assert!(p["errors"][0]["message"].as_str().unwrap().contains("上海华信科技有限公司"), "{p}");
    customer(&app, &app.admin, json!({"name": "上海 华信科技", "allow_duplicate": true})).await;
    let id = first["id"].as_i64().unwrap();
    let contact = json!({"customer_id": id, "name": "王芳", "phone": "021-6234 5678", "role": "handler"});
    let (s, _) = app.api(Method::POST, "/api/v1/contacts", Some(&app.admin), Some(contact)).await;
    assert_eq!(s, StatusCode::CREATED);
    let again = json!({"customer_id": id, "name": "王芳芳", "mobile": "02162345678", "role": "other"});
    let (s, p) = app.api(Method::POST, "/api/v1/contacts", Some(&app.admin), Some(again)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "phone");
}

#[tokio::test]
async fn the_public_pool_is_claimed_once_and_released_by_the_owner() {
    let app = TestApp::new().await;
    app.create_user("li.na", "salesperson", None).await;
    app.create_user("zhao.lei", "salesperson", None).await;
    let li = app.login("li.na", "password-123").await;
    let zhao = app.login("zhao.lei", "password-123").await;
    let c = customer(&app, &app.admin, json!({"name": "广州南方贸易", "to_pool": true})).await;
    let id = c["id"].as_i64().unwrap();
    assert!(c["owner_id"].is_null());
    let (_, pool) = app.api(Method::GET, "/api/v1/customers?pool=true", Some(&zhao), None).await;
    assert_eq!(ids(&pool), vec![id]);

    let (s, claimed) = app.api(Method::POST, &format!("/api/v1/customers/{id}/claim"), Some(&li), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(claimed["owner_name"], "li.na");
    let (s, p) = app.api(Method::POST, &format!("/api/v1/customers/{id}/claim"), Some(&zhao), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "now li.na's, out of zhao's scope: {p}");
    let (s, _) = app.api(Method::POST, &format!("/api/v1/customers/{id}/release"), Some(&li), None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.api(Method::POST, &format!("/api/v1/customers/{id}/claim"), Some(&zhao), None).await;
    assert_eq!(s, StatusCode::OK);
    // The moves are in the audit log.
    let (_, log) = app
        .api(Method::GET, &format!("/api/v1/audit-log?entity_type=customer&entity_id={id}"), Some(&app.admin), None)
        .await;
    let actions: Vec<&str> = log["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["customer.claim", "customer.release", "customer.claim", "customer.create"]);
}

#[tokio::test]
async fn bad_customer_input_is_field_level() {
    let app = TestApp::new().await;
    let (s, p) = app
        .api(
            Method::POST,
            "/api/v1/customers",
            Some(&app.admin),
            Some(json!({"name": "", "grade": "D", "credit_limit": "-5"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let mut fields: Vec<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    fields.sort();
    assert_eq!(fields, ["credit_limit", "grade", "name"]);
    let (s, p) = app
        .api(Method::POST, "/api/v1/customers", Some(&app.admin), Some(json!({"name": "X", "credit_limit": "lots"})))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["code"], "invalid_amount");
    let c = customer(&app, &app.admin, json!({"name": "深圳创新电子"})).await;
    let (s, p) = app
        .api(
            Method::POST,
            "/api/v1/contacts",
            Some(&app.admin),
            Some(json!({"customer_id": c["id"], "name": "周杰", "phone": "call me", "email": "nope", "role": "boss"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"].as_array().unwrap().len(), 3, "{p}");
    // A stale version changes nothing.
    let path = format!("/api/v1/customers/{}", c["id"]);
    let (s, _) =
        app.api(Method::PATCH, &path, Some(&app.admin), Some(json!({"name": "深圳创新电子科技", "version": 1}))).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.api(Method::PATCH, &path, Some(&app.admin), Some(json!({"name": "Other", "version": 1}))).await;
    assert_eq!(s, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_visit_moves_last_activity_and_reminds_the_owner() {
    let app = TestApp::new().await;
    app.create_user("li.na", "salesperson", None).await;
    let li = app.login("li.na", "password-123").await;
    let c = customer(&app, &li, json!({"name": "杭州云帆网络科技"})).await;
    let id = c["id"].as_i64().unwrap();
    let visit = json!({"customer_id": id, "kind": "visit", "subject": "初次拜访，介绍方案",
        "occurred_at": "2030-01-10T02:00:00Z", "outcome": "客户有兴趣", "next_step": "发送报价",
        "next_at": "2030-01-09"});
    let (s, p) = app.api(Method::POST, "/api/v1/activities", Some(&li), Some(visit.clone())).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "follow-up before the visit: {p}");
    assert_eq!(p["errors"][0]["field"], "next_at");

    let mut ok = visit.clone();
    ok["occurred_at"] = json!("2026-01-10T02:00:00Z");
    ok["next_at"] = json!("2026-01-12");
    let (s, a) = app.api(Method::POST, "/api/v1/activities", Some(&li), Some(ok)).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    // 09:00 in Shanghai is 01:00 UTC.
    assert_eq!(a["next_at"], "2026-01-12T01:00:00Z");
    let (_, timeline) = app.api(Method::GET, &format!("/api/v1/activities?customer_id={id}"), Some(&li), None).await;
    assert_eq!(timeline["items"][0]["subject"], "初次拜访，介绍方案");
    // The reminder is due (its date has passed) and belongs to the owner.
    let (_, notices) = app.api(Method::GET, "/api/v1/notifications", Some(&li), None).await;
    let list = notices.as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert!(list[0]["title"].as_str().unwrap().contains("发送报价"));
    let (_, admin_notices) = app.api(Method::GET, "/api/v1/notifications", Some(&app.admin), None).await;
    assert!(admin_notices.as_array().unwrap().is_empty());
    let nid = list[0]["id"].as_i64().unwrap();
    let (s, _) = app.api(Method::POST, &format!("/api/v1/notifications/{nid}/read"), Some(&app.admin), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "nobody reads another's reminders");
    let (s, _) = app.api(Method::POST, &format!("/api/v1/notifications/{nid}/read"), Some(&li), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    // Another salesperson cannot log visits on li.na's customer.
    app.create_user("zhao.lei", "salesperson", None).await;
    let zhao = app.login("zhao.lei", "password-123").await;
    let (s, _) = app
        .api(
            Method::POST,
            "/api/v1/activities",
            Some(&zhao),
            Some(json!({"customer_id": id, "kind": "call", "subject": "x"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn idle_customers_return_to_the_pool_and_claims_are_limited() {
    use salesflow_store::entity::customer;
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    let app = TestApp::new().await;
    app.create_user("li.na", "salesperson", None).await;
    let li = app.login("li.na", "password-123").await;
    let idle = customer(&app, &li, json!({"name": "宁波港口物流"})).await;
    let fresh = customer(&app, &li, json!({"name": "厦门海润食品"})).await;
    // Thirty-one days without activity (the default limit is thirty).
    let txn = app.store.begin().await.unwrap();
    customer::Entity::update_many()
        .col_expr(customer::Column::LastActivityAt, Expr::value(chrono::Utc::now() - chrono::Duration::days(31)))
        .filter(customer::Column::Id.eq(idle["id"].as_i64().unwrap()))
        .exec(&txn)
        .await
        .unwrap();
    txn.commit().await.unwrap();
    let moved = salesflow_store::customers::return_idle_to_pool(&app.store, 100).await.unwrap();
    assert_eq!(moved, 1);
    let (_, pool) = app.api(Method::GET, "/api/v1/customers?pool=true", Some(&li), None).await;
    assert_eq!(ids(&pool), vec![idle["id"].as_i64().unwrap()]);
    let (_, still) = app.api(Method::GET, &format!("/api/v1/customers/{}", fresh["id"]), Some(&li), None).await;
    assert!(still["owner_id"].is_i64());
    let (_, log) =
        app.api(Method::GET, "/api/v1/audit-log?action=customer.returned_to_pool", Some(&app.admin), None).await;
    assert_eq!(log["items"].as_array().unwrap().len(), 1);

    // One claim a day: the second is refused with a field error.
    let (_, settings) = app.api(Method::GET, "/api/v1/settings", Some(&app.admin), None).await;
    let mut s = settings.clone();
    s["pool_claim_limit"] = json!(1);
    let (status, _) = app.api(Method::PATCH, "/api/v1/settings", Some(&app.admin), Some(s)).await;
    assert_eq!(status, StatusCode::OK);
    let other = customer(&app, &app.admin, json!({"name": "Chengdu Panda Foods", "to_pool": true})).await;
    let (status, _) = app.api(Method::POST, &format!("/api/v1/customers/{}/claim", idle["id"]), Some(&li), None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, p) = app.api(Method::POST, &format!("/api/v1/customers/{}/claim", other["id"]), Some(&li), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["code"], "claim_limit");
}

#[tokio::test]
async fn a_manager_hands_over_all_customers_of_someone_who_leaves() {
    let app = TestApp::new().await;
    let east = department(&app, "华东销售组").await;
    let leaving = app.create_user("sun.li", "salesperson", Some(east)).await;
    let taking = app.create_user("li.na", "salesperson", Some(east)).await;
    app.create_user("zhang.wei", "sales_manager", Some(east)).await;
    let sun = app.login("sun.li", "password-123").await;
    for name in ["青岛海景酒店", "烟台葡萄酒业", "Weihai Marine"] {
        customer(&app, &sun, json!({"name": name})).await;
    }
    let manager = app.login("zhang.wei", "password-123").await;
    let (s, p) = app
        .api(
            Method::POST,
            &format!("/api/v1/users/{leaving}/transfer"),
            Some(&manager),
            Some(json!({"to_user_id": leaving})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "to_user_id");
    let (s, moved) = app
        .api(
            Method::POST,
            &format!("/api/v1/users/{leaving}/transfer"),
            Some(&manager),
            Some(json!({"to_user_id": taking})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{moved}");
    assert_eq!(moved["customers"], 3);
    let li = app.login("li.na", "password-123").await;
    let (_, mine) = app.api(Method::GET, &format!("/api/v1/customers?owner_id={taking}"), Some(&li), None).await;
    assert_eq!(ids(&mine).len(), 3);
    // A salesperson may not hand over anyone's customers.
    let (s, _) = app
        .api(Method::POST, &format!("/api/v1/users/{taking}/transfer"), Some(&li), Some(json!({"to_user_id": leaving})))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn exports_are_csv_with_a_bom_and_follow_the_filters() {
    let app = TestApp::new().await;
    for i in 0..3 {
        customer(&app, &app.admin, json!({"name": format!("北京测试客户{i}"), "grade": "A"})).await;
    }
    customer(&app, &app.admin, json!({"name": "Other Co", "grade": "C"})).await;
    let (s, headers, body) = app
        .send(crate::helpers::api_request(
            Method::GET,
            "/api/v1/customers/export.csv?grade=A",
            Some(&app.admin),
            None,
            &[("accept-language", "zh-CN")],
        ))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(headers.get("content-type").unwrap().to_str().unwrap().starts_with("text/csv"));
    let text = body.as_str().unwrap();
    assert!(text.starts_with('\u{feff}'), "UTF-8 byte-order mark for Excel");
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert!(lines[0].starts_with("名称,等级"), "{}", lines[0]);
    assert_eq!(lines.len(), 4, "header and three A customers: {lines:?}");
    assert!(lines.iter().any(|l| l.starts_with("北京测试客户1,A")));
    // Salespeople without the export right (a custom role) are refused.
    let (s, _) = app
        .api(Method::POST, "/api/v1/roles", Some(&app.admin), Some(json!({"code": "viewer", "name": "Viewer", "data_scope": "all", "permissions": {"customers": ["view"]}})))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    app.create_user("viewer1", "viewer", None).await;
    let token = app.login("viewer1", "password-123").await;
    let (s, _) = app.api(Method::GET, "/api/v1/customers/export.csv", Some(&token), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn region_is_the_contracts_name_for_province_and_city_in_and_out() {
    let app = TestApp::new().await;
    let admin = app.admin.clone();
    // Out: province and city joined; one alone when the other is blank or the same.
    let hz = customer(&app, &admin, json!({"name": "杭州海润食品有限公司", "province": "浙江", "city": "杭州"})).await;
    assert_eq!(hz["region"], "浙江 杭州");
    let sh = customer(&app, &admin, json!({"name": "上海华信科技有限公司", "province": "上海", "city": "上海"})).await;
    assert_eq!(sh["region"], "上海");
    let none = customer(&app, &admin, json!({"name": "无地区贸易公司"})).await;
    assert_eq!(none["region"], Value::Null);

    // In: a space or "/" splits it into province and city.
    let nb = customer(&app, &admin, json!({"name": "宁波明珠机械有限公司", "region": "浙江/宁波"})).await;
    assert_eq!(
        (nb["province"].as_str(), nb["city"].as_str(), nb["region"].as_str()),
        (Some("浙江"), Some("宁波"), Some("浙江 宁波"))
    );
    let gd = customer(&app, &admin, json!({"name": "广东鼎盛电子有限公司", "region": "广东"})).await;
    assert_eq!((gd["province"].as_str(), gd["city"].as_str()), (Some("广东"), None));
    // An update through region replaces province and city.
    let path = format!("/api/v1/customers/{}", gd["id"]);
    let (s, moved) = app
        .api(
            Method::PATCH,
            &path,
            Some(&admin),
            Some(json!({"name": "广东鼎盛电子有限公司", "region": "广东 深圳", "version": gd["version"]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{moved}");
    assert_eq!((moved["city"].as_str(), moved["region"].as_str()), (Some("深圳"), Some("广东 深圳")));
    // Both ways at once is a field error, not a guess.
    let (s, p) = app
        .api(
            Method::POST,
            "/api/v1/customers",
            Some(&admin),
            Some(json!({"name": "两种写法公司", "region": "浙江 杭州", "province": "江苏"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(
        (p["errors"][0]["field"].as_str(), p["errors"][0]["code"].as_str()),
        (Some("region"), Some("region_conflict"))
    );

    // The list filter matches the province (and the city when given).
    let list = |query: &str| {
        let (app, admin, query) = (&app, admin.clone(), query.to_owned());
        async move {
            let (s, page) =
                app.api(Method::GET, &format!("/api/v1/customers?limit=50&sort=id&{query}"), Some(&admin), None).await;
            assert_eq!(s, StatusCode::OK, "{page}");
            ids(&page)
        }
    };
    let id = |c: &Value| c["id"].as_i64().unwrap();
    assert_eq!(list(&format!("region={}", urlencode("浙江"))).await, [id(&hz), id(&nb)]);
    assert_eq!(list(&format!("region={}", urlencode("浙江 杭州"))).await, [id(&hz)]);
    assert_eq!(list(&format!("region={}", urlencode("广东"))).await, [id(&gd)]);
    assert!(list(&format!("region={}", urlencode("江苏"))).await.is_empty());

    // The served OpenAPI document names it.
    let (_, doc) = app.api(Method::GET, "/api/openapi.json", None, None).await;
    assert!(doc["components"]["schemas"]["CustomerView"]["properties"].get("region").is_some());
    assert!(doc["components"]["schemas"]["CustomerBody"]["properties"].get("region").is_some());
}
