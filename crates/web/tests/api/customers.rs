//! Customers and contacts: scope, Chinese search, duplicates, the pool.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::support::{audit_actions, csv_export, ids, urlencode};

#[tokio::test]
async fn salespeople_see_only_their_own_customers() {
    let app = TestApp::new().await;
    let east = app.department("华东销售组").await;
    let (_, li) = app.signed_in("li.na", "salesperson", Some(east)).await;
    let (_, wang) = app.signed_in("wang.fang", "salesperson", Some(east)).await;
    let (_, manager) = app.signed_in("zhang.wei", "sales_manager", Some(east)).await;

    let c = app
        .customers()
        .by(&li)
        .create(&json!({"name": "上海华信科技有限公司", "grade": "A", "credit_limit": "500000.00",
        "province": "上海", "tags": ["重点", "华东"]}))
        .await;
    let id = c["id"].as_i64().unwrap();
    assert_eq!(c["credit_limit"], "500000.00");
    assert_eq!(c["owner_name"], "li.na");

    let (s, _) = app.customers().by(&wang).get(id).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, page) = app.customers().by(&wang).list("").await;
    assert!(ids(&page).is_empty());
    let (_, page) = app.customers().by(&manager).list("grade=A").await;
    assert_eq!(ids(&page), vec![id]);
    // Nor may she add contacts to it, or assign customers to someone outside her scope.
    let (s, _) = app.contacts().by(&wang).post(&json!({"customer_id": id, "name": "陈静", "role": "handler"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, me) = app.me(&li).await;
    let (s, p) = app.customers().by(&wang).post(&json!({"name": "Acme", "owner_id": me["user"]["id"]})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["code"], "owner_outside_scope");
}

#[tokio::test]
async fn chinese_names_phones_and_emails_are_found() {
    let app = TestApp::new().await;
    let hx_id = app.customer(&app.admin, "上海华信科技有限公司").await;
    app.customer(&app.admin, "Beijing Acme Trading").await;
    app.contacts()
        .create(&json!({"customer_id": hx_id, "name": "李娜", "mobile": "+86 138-0013-8000",
                        "email": "li.na@huaxin.cn", "role": "decision_maker", "title": "采购经理"}))
        .await;
    for q in ["华信", "华", "huaxin", "上海华信科技"] {
        let (_, page) = app.customers().list(&format!("q={}", urlencode(q))).await;
        if q == "huaxin" {
            assert!(ids(&page).is_empty(), "names only: {q}");
        } else {
            assert_eq!(ids(&page), vec![hx_id], "{q}");
        }
    }
    let (_, page) = app.customers().list("q=acme").await;
    assert_eq!(ids(&page).len(), 1);
    for q in ["李娜", "13800138000", "0013", "li.na@huaxin", "HUAXIN.CN"] {
        let (_, page) = app.contacts().list(&format!("q={}", urlencode(q))).await;
        assert_eq!(page["items"].as_array().unwrap().len(), 1, "{q}");
    }
    let (_, page) = app.contacts().list(&format!("q={}", urlencode("张伟"))).await;
    assert!(page["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn duplicates_warn_until_confirmed() {
    let app = TestApp::new().await;
    let id = app.customer(&app.admin, "上海华信科技有限公司").await;
    let (s, p) = app.customers().post(&json!({"name": "上海 华信科技"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["code"], "possible_duplicate");
    assert!(p["errors"][0]["message"].as_str().unwrap().contains("上海华信科技有限公司"), "{p}");
    app.customers().create(&json!({"name": "上海 华信科技", "allow_duplicate": true})).await;
    app.contacts()
        .create(&json!({"customer_id": id, "name": "王芳", "phone": "021-6234 5678", "role": "handler"}))
        .await;
    let again = json!({"customer_id": id, "name": "王芳芳", "mobile": "02162345678", "role": "other"});
    let (s, p) = app.contacts().post(&again).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "phone");
}

#[tokio::test]
async fn the_public_pool_is_claimed_once_and_released_by_the_owner() {
    let app = TestApp::new().await;
    let (_, li) = app.signed_in("li.na", "salesperson", None).await;
    let (_, zhao) = app.signed_in("zhao.lei", "salesperson", None).await;
    let c = app.customers().create(&json!({"name": "广州南方贸易", "to_pool": true})).await;
    let id = c["id"].as_i64().unwrap();
    assert!(c["owner_id"].is_null());
    let (_, pool) = app.customers().by(&zhao).list("pool=true").await;
    assert_eq!(ids(&pool), vec![id]);

    let (s, claimed) = app.customers().by(&li).act(id, "claim", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(claimed["owner_name"], "li.na");
    let (s, p) = app.customers().by(&zhao).act(id, "claim", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "now li.na's, out of zhao's scope: {p}");
    let (s, _) = app.customers().by(&li).act(id, "release", None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.customers().by(&zhao).act(id, "claim", None).await;
    assert_eq!(s, StatusCode::OK);
    // The moves are in the audit log.
    let actions = audit_actions(&app, "customer", id).await;
    assert_eq!(actions, ["customer.claim", "customer.release", "customer.claim", "customer.create"]);
}

#[tokio::test]
async fn bad_customer_input_is_field_level() {
    let app = TestApp::new().await;
    let (s, p) = app.customers().post(&json!({"name": "", "grade": "D", "credit_limit": "-5"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let mut fields: Vec<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    fields.sort();
    assert_eq!(fields, ["credit_limit", "grade", "name"]);
    let (s, p) = app.customers().post(&json!({"name": "X", "credit_limit": "lots"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["code"], "invalid_amount");
    let c = app.customer(&app.admin, "深圳创新电子").await;
    let (s, p) = app
        .contacts()
        .post(&json!({"customer_id": c, "name": "周杰", "phone": "call me", "email": "nope", "role": "boss"}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"].as_array().unwrap().len(), 3, "{p}");
    // A stale version changes nothing.
    let (s, _) = app.customers().patch(c, &json!({"name": "深圳创新电子科技", "version": 1})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.customers().patch(c, &json!({"name": "Other", "version": 1})).await;
    assert_eq!(s, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_visit_moves_last_activity_and_reminds_the_owner() {
    let app = TestApp::new().await;
    let (_, li) = app.signed_in("li.na", "salesperson", None).await;
    let id = app.customer(&li, "杭州云帆网络科技").await;
    let visit = json!({"customer_id": id, "kind": "visit", "subject": "初次拜访，介绍方案",
        "occurred_at": "2030-01-10T02:00:00Z", "outcome": "客户有兴趣", "next_step": "发送报价",
        "next_at": "2030-01-09"});
    let (s, p) = app.activities().by(&li).post(&visit).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "follow-up before the visit: {p}");
    assert_eq!(p["errors"][0]["field"], "next_at");

    let mut ok = visit.clone();
    ok["occurred_at"] = json!("2026-01-10T02:00:00Z");
    ok["next_at"] = json!("2026-01-12");
    let a = app.activities().by(&li).create(&ok).await;
    // 09:00 in Shanghai is 01:00 UTC.
    assert_eq!(a["next_at"], "2026-01-12T01:00:00Z");
    let (_, timeline) = app.activities().by(&li).list(&format!("customer_id={id}")).await;
    assert_eq!(timeline["items"][0]["subject"], "初次拜访，介绍方案");
    // The reminder is due (its date has passed) and belongs to the owner.
    let (_, notices) = app.notifications().by(&li).list("").await;
    let list = notices.as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert!(list[0]["title"].as_str().unwrap().contains("发送报价"));
    let (_, admin_notices) = app.notifications().list("").await;
    assert!(admin_notices.as_array().unwrap().is_empty());
    let nid = list[0]["id"].as_i64().unwrap();
    let (s, _) = app.notifications().act(nid, "read", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "nobody reads another's reminders");
    let (s, _) = app.notifications().by(&li).act(nid, "read", None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    // Another salesperson cannot log visits on li.na's customer.
    let (_, zhao) = app.signed_in("zhao.lei", "salesperson", None).await;
    let (s, _) = app.activities().by(&zhao).post(&json!({"customer_id": id, "kind": "call", "subject": "x"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn idle_customers_return_to_the_pool_and_claims_are_limited() {
    use salesflow_store::entity::customer;
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    let app = TestApp::new().await;
    let (_, li) = app.signed_in("li.na", "salesperson", None).await;
    let idle = app.customer(&li, "宁波港口物流").await;
    let fresh = app.customer(&li, "厦门海润食品").await;
    // Thirty-one days without activity (the default limit is thirty).
    let txn = app.store.begin().await.unwrap();
    customer::Entity::update_many()
        .col_expr(customer::Column::LastActivityAt, Expr::value(chrono::Utc::now() - chrono::Duration::days(31)))
        .filter(customer::Column::Id.eq(idle))
        .exec(&txn)
        .await
        .unwrap();
    txn.commit().await.unwrap();
    let moved = salesflow_store::customers::return_idle_to_pool(&app.store, 100).await.unwrap();
    assert_eq!(moved, 1);
    let (_, pool) = app.customers().by(&li).list("pool=true").await;
    assert_eq!(ids(&pool), vec![idle]);
    let (_, still) = app.customers().by(&li).get(fresh).await;
    assert!(still["owner_id"].is_i64());
    let (_, log) = app.audit_log().list("action=customer.returned_to_pool").await;
    assert_eq!(log["items"].as_array().unwrap().len(), 1);

    // One claim a day: the second is refused with a field error.
    app.set_claim_limit(1).await;
    let other = app.customers().create(&json!({"name": "Chengdu Panda Foods", "to_pool": true})).await;
    let (status, _) = app.customers().by(&li).act(idle, "claim", None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, p) = app.customers().by(&li).act(&other["id"], "claim", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["code"], "claim_limit");
}

#[tokio::test]
async fn a_manager_hands_over_all_customers_of_someone_who_leaves() {
    let app = TestApp::new().await;
    let east = app.department("华东销售组").await;
    let (leaving, sun) = app.signed_in("sun.li", "salesperson", Some(east)).await;
    let (taking, li) = app.signed_in("li.na", "salesperson", Some(east)).await;
    let (_, manager) = app.signed_in("zhang.wei", "sales_manager", Some(east)).await;
    for name in ["青岛海景酒店", "烟台葡萄酒业", "Weihai Marine"] {
        app.customer(&sun, name).await;
    }
    let (s, p) = app.users().by(&manager).act(leaving, "transfer", Some(&json!({"to_user_id": leaving}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "to_user_id");
    let (s, moved) = app.users().by(&manager).act(leaving, "transfer", Some(&json!({"to_user_id": taking}))).await;
    assert_eq!(s, StatusCode::OK, "{moved}");
    assert_eq!(moved["customers"], 3);
    let (_, mine) = app.customers().by(&li).list(&format!("owner_id={taking}")).await;
    assert_eq!(ids(&mine).len(), 3);
    // A salesperson may not hand over anyone's customers.
    let (s, _) = app.users().by(&li).act(taking, "transfer", Some(&json!({"to_user_id": leaving}))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn exports_are_csv_with_a_bom_and_follow_the_filters() {
    let app = TestApp::new().await;
    for i in 0..3 {
        app.customers().create(&json!({"name": format!("北京测试客户{i}"), "grade": "A"})).await;
    }
    app.customers().create(&json!({"name": "Other Co", "grade": "C"})).await;
    let text = csv_export(&app, "/api/v1/customers/export.csv?grade=A").await;
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("名称,等级"), "{}", lines[0]);
    assert_eq!(lines.len(), 4, "header and three A customers: {lines:?}");
    assert!(lines.iter().any(|l| l.starts_with("北京测试客户1,A")));
    // Salespeople without the export right (a custom role) are refused.
    app.roles()
        .create(
            &json!({"code": "viewer", "name": "Viewer", "data_scope": "all", "permissions": {"customers": ["view"]}}),
        )
        .await;
    let (_, token) = app.signed_in("viewer1", "viewer", None).await;
    let (s, _) = app.customers().by(&token).get("export.csv").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn region_is_the_contracts_name_for_province_and_city_in_and_out() {
    let app = TestApp::new().await;
    let customers = app.customers();
    // Out: province and city joined; one alone when the other is blank or the same.
    let hz = customers.create(&json!({"name": "杭州海润食品有限公司", "province": "浙江", "city": "杭州"})).await;
    assert_eq!(hz["region"], "浙江 杭州");
    let sh = customers.create(&json!({"name": "上海华信科技有限公司", "province": "上海", "city": "上海"})).await;
    assert_eq!(sh["region"], "上海");
    let none = customers.create(&json!({"name": "无地区贸易公司"})).await;
    assert_eq!(none["region"], Value::Null);

    // In: a space or "/" splits it into province and city.
    let nb = customers.create(&json!({"name": "宁波明珠机械有限公司", "region": "浙江/宁波"})).await;
    assert_eq!(
        (nb["province"].as_str(), nb["city"].as_str(), nb["region"].as_str()),
        (Some("浙江"), Some("宁波"), Some("浙江 宁波"))
    );
    let gd = customers.create(&json!({"name": "广东鼎盛电子有限公司", "region": "广东"})).await;
    assert_eq!((gd["province"].as_str(), gd["city"].as_str()), (Some("广东"), None));
    // An update through region replaces province and city.
    let (s, moved) = customers
        .patch(&gd["id"], &json!({"name": "广东鼎盛电子有限公司", "region": "广东 深圳", "version": gd["version"]}))
        .await;
    assert_eq!(s, StatusCode::OK, "{moved}");
    assert_eq!((moved["city"].as_str(), moved["region"].as_str()), (Some("深圳"), Some("广东 深圳")));
    // Both ways at once is a field error, not a guess.
    let (s, p) = customers.post(&json!({"name": "两种写法公司", "region": "浙江 杭州", "province": "江苏"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(
        (p["errors"][0]["field"].as_str(), p["errors"][0]["code"].as_str()),
        (Some("region"), Some("region_conflict"))
    );

    // The list filter matches the province (and the city when given).
    let list = |query: &str| {
        let query = query.to_owned();
        async move {
            let (s, page) = customers.list(&format!("limit=50&sort=id&{query}")).await;
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
