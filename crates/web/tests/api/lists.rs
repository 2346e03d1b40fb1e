//! Lists beyond one record: bulk actions, merging duplicates, saved views
//! and columns, the activity list with its named archives, and exports.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::support::post_ok;
use crate::support::{csv_export, ids};

#[tokio::test]
async fn bulk_actions_change_all_selected_or_none() {
    let app = TestApp::new().await;
    let east = app.department("华东销售组").await;
    let (li_id, li) = app.signed_in("li.na", "salesperson", Some(east)).await;
    let (_, wang) = app.signed_in("wang.fang", "salesperson", Some(east)).await;
    let a = app.customers().by(&li).create(&json!({"name": "杭州西湖茶业"})).await["id"].as_i64().unwrap();
    let b = app.customers().by(&li).create(&json!({"name": "苏州园林设计院"})).await["id"].as_i64().unwrap();
    let other = app.customers().by(&wang).create(&json!({"name": "无锡太湖船舶"})).await["id"].as_i64().unwrap();

    // One customer outside her scope: nothing changes.
    let (s, _) = app
        .api(
            Method::POST,
            "/api/v1/customers/bulk",
            Some(&li),
            Some(json!({"ids": [a, b, other], "action": "add_tag", "tag": "展会"})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, c) = app.customers().by(&li).get(a).await;
    assert_eq!(c["tags"], json!([]));

    let r =
        post_ok(&app, &li, "/api/v1/customers/bulk", json!({"ids": [a, b], "action": "add_tag", "tag": "展会"})).await;
    assert_eq!(r["changed"], 2);
    let (_, page) = app.customers().by(&li).list("tag=%E5%B1%95%E4%BC%9A").await;
    assert_eq!(ids(&page).len(), 2);

    // Bad input: an empty tag, an unknown action, no owner, too many ids.
    for (body, field) in [
        (json!({"ids": [a], "action": "add_tag", "tag": " "}), "tag"),
        (json!({"ids": [a], "action": "archive"}), "action"),
        (json!({"ids": [a], "action": "assign_owner"}), "owner_id"),
        (json!({"ids": (1..=501).collect::<Vec<i64>>(), "action": "add_tag", "tag": "x"}), "ids"),
    ] {
        let (s, p) = app.api(Method::POST, "/api/v1/customers/bulk", Some(&li), Some(body)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        assert_eq!(p["errors"][0]["field"], field, "{p}");
    }

    // The administrator assigns both to Wang, then deletes one.
    let wang_id = app.me(&wang).await.1["user"]["id"].as_i64().unwrap();
    post_ok(
        &app,
        &app.admin,
        "/api/v1/customers/bulk",
        json!({"ids": [a, b], "action": "assign_owner", "owner_id": wang_id}),
    )
    .await;
    let (s, _) = app.customers().by(&li).get(a).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "no longer hers");
    let (_, c) = app.customers().by(&wang).get(a).await;
    assert_eq!(c["owner_id"], wang_id);
    post_ok(&app, &app.admin, "/api/v1/customers/bulk", json!({"ids": [b], "action": "delete"})).await;
    let (s, _) = app.customers().by(&wang).get(b).await;
    assert_eq!(s, StatusCode::OK, "soft-deleted customers stay readable by id");
    let (_, page) = app.customers().by(&wang).list("").await;
    assert!(!ids(&page).contains(&b));
    // A salesperson may not delete (no delete right) even her own.
    let mine = app.customers().by(&li).create(&json!({"name": "宁波港务"})).await["id"].as_i64().unwrap();
    let (s, _) = app
        .api(Method::POST, "/api/v1/customers/bulk", Some(&li), Some(json!({"ids": [mine], "action": "delete"})))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Every change is in the audit log, with the previous owner.
    let (_, log) = app.audit_log().list(&format!("entity_type=customer&entity_id={a}")).await;
    let actions: Vec<&str> = log["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"customer.assign") && actions.contains(&"customer.tag"), "{actions:?}");
    let assign = log["items"].as_array().unwrap().iter().find(|e| e["action"] == "customer.assign").unwrap();
    assert_eq!(assign["after"]["from_owner_id"], li_id);
}

#[tokio::test]
async fn merging_moves_contacts_and_visits_to_the_survivor() {
    let app = TestApp::new().await;
    let keep =
        app.customers().create(&json!({"name": "深圳云帆科技有限公司", "grade": "A", "tags": ["重点"]})).await["id"]
            .as_i64()
            .unwrap();
    let dup = app
        .customers()
        .create(&json!({"name": "深圳云帆科技", "industry": "信息技术", "tags": ["华南"], "closed_at": "2026-03-01",
            "allow_duplicate": true}))
        .await["id"]
        .as_i64()
        .unwrap();
    app.contacts().create(&json!({"customer_id": dup, "name": "林晓", "role": "evaluator"})).await;
    app.activities().create(&json!({"customer_id": dup, "kind": "visit", "subject": "初次拜访"})).await;
    app.tasks()
        .create(&json!({"title": "寄送样品", "due_at": "2099-01-01", "related_kind": "customer", "related_id": dup}))
        .await;

    // Not for salespeople; not with itself; not with an unknown customer.
    let (_, li) = app.signed_in("li.na", "salesperson", None).await;
    let (s, _) = app.customers().by(&li).act(keep, "merge", Some(&json!({"other_id": dup}))).await;
    assert!(s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND, "{s}");
    for other in [keep, 999_999] {
        let (s, p) = app.customers().act(keep, "merge", Some(&json!({"other_id": other}))).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        assert_eq!(p["errors"][0]["field"], "other_id");
    }

    let out = post_ok(&app, &app.admin, &format!("/api/v1/customers/{keep}/merge"), json!({"other_id": dup})).await;
    assert_eq!(out["contacts_moved"], 1);
    assert_eq!(out["activities_moved"], 1);
    assert_eq!(out["tasks_moved"], 1);
    let (_, tasks) = app.tasks().list(&format!("customer_id={keep}")).await;
    assert_eq!(tasks["items"][0]["title"], "寄送样品");
    let c = &out["customer"];
    assert_eq!(c["grade"], "A", "the survivor's own fields win");
    assert_eq!(c["industry"], "it", "empty fields are filled from the other");
    assert_eq!(c["tags"], json!(["重点", "华南"]));
    assert!(c["closed_at"].is_string());
    let (_, contacts) = app.contacts().list(&format!("customer_id={keep}")).await;
    assert_eq!(contacts["items"][0]["name"], "林晓");
    let (_, timeline) = app.activities().list(&format!("customer_id={keep}")).await;
    assert_eq!(timeline["items"][0]["subject"], "初次拜访");
    let (_, gone) = app.customers().get(dup).await;
    assert!(gone["deleted_at"].is_string());
    assert_eq!(gone["merged_into_id"], keep);
    let (_, log) = app.audit_log().list(&format!("entity_type=customer&entity_id={keep}&action=customer.merge")).await;
    assert_eq!(log["items"][0]["after"]["merged_customer_id"], dup);
}

#[tokio::test]
async fn saved_views_and_columns_belong_to_one_person() {
    let app = TestApp::new().await;
    let (_, li) = app.signed_in("li.na", "salesperson", None).await;
    let v = post_ok(&app, &li, "/api/v1/saved-views", json!({"list": "customers", "name": "我的华东 A 级客户", "query": "?grade=A&province=%E4%B8%8A%E6%B5%B7&cursor=abc"}))
    .await;
    assert_eq!(v["query"], "grade=A&province=%E4%B8%8A%E6%B5%B7", "the paging position is not kept");
    // The same name again replaces the filters.
    post_ok(
        &app,
        &li,
        "/api/v1/saved-views",
        json!({"list": "customers", "name": "我的华东 A 级客户", "query": "grade=B"}),
    )
    .await;
    let (_, mine) = app.saved_views().by(&li).list("list=customers").await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["query"], "grade=B");
    let (_, theirs) = app.saved_views().list("list=customers").await;
    assert!(theirs.as_array().unwrap().is_empty());
    let id = v["id"].as_i64().unwrap();
    let (s, _) = app.saved_views().delete(id).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "nobody deletes another's view");
    for (body, field) in [
        (json!({"list": "customers", "name": "", "query": ""}), "name"),
        (json!({"list": "orders", "name": "x", "query": ""}), "list"),
        (json!({"list": "customers", "name": "x".repeat(61), "query": ""}), "name"),
    ] {
        let (s, p) = app.saved_views().by(&li).post(&body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(p["errors"][0]["field"], field);
    }
    let (s, _) = app.saved_views().by(&li).delete(id).await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    let (s, _) = app
        .api(Method::PUT, "/api/v1/list-columns/customers", Some(&li), Some(json!({"columns": ["owner", "closed_at"]})))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, cols) = app.api(Method::GET, "/api/v1/list-columns/customers", Some(&li), None).await;
    assert_eq!(cols["columns"], json!(["owner", "closed_at"]));
    let (_, cols) = app.api(Method::GET, "/api/v1/list-columns/customers", Some(&app.admin), None).await;
    assert_eq!(cols["columns"], json!([]));
    let (s, _) =
        app.api(Method::PUT, "/api/v1/list-columns/customers", Some(&li), Some(json!({"columns": ["password"]}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn activity_list_and_the_named_archives() {
    let app = TestApp::new().await;
    let east = app.department("华东销售组").await;
    let (_, li) = app.signed_in("li.na", "salesperson", Some(east)).await;
    let (_, wang) = app.signed_in("wang.fang", "salesperson", Some(east)).await;
    let prospect = app.customers().by(&li).create(&json!({"name": "南京金陵药业"})).await["id"].as_i64().unwrap();
    let closed =
        app.customers().by(&li).create(&json!({"name": "合肥新能源汽车", "closed_at": "2026-05-20"})).await["id"]
            .as_i64()
            .unwrap();
    let hers = app.customers().by(&wang).create(&json!({"name": "无锡太湖船舶"})).await["id"].as_i64().unwrap();
    let visit = |c: i64, intention: &str| json!({"customer_id": c, "kind": "visit", "subject": "到访洽谈", "intention": intention, "occurred_at": "2026-06-01T02:00:00Z"});
    app.activities().by(&li).create(&visit(prospect, "high")).await;
    app.activities().by(&li).create(&visit(closed, "medium")).await;
    app.activities()
        .by(&li)
        .create(&json!({"customer_id": prospect, "kind": "call", "subject": "电话回访", "next_at": "2099-01-05"}))
        .await;
    app.activities().by(&wang).create(&visit(hers, "low")).await;
    let (s, p) = app
        .activities()
        .by(&li)
        .post(&json!({"customer_id": prospect, "kind": "visit", "subject": "x", "intention": "eager"}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "intention");

    let names = |page: &Value| -> Vec<String> {
        page["items"].as_array().unwrap().iter().map(|a| a["customer_name"].as_str().unwrap().to_owned()).collect()
    };
    // Her scope: her three records, newest first, none of Wang's.
    let (_, all) = app.activities().by(&li).list("").await;
    assert_eq!(all["items"].as_array().unwrap().len(), 3);
    assert!(!names(&all).contains(&"无锡太湖船舶".to_owned()));
    // 到访客户意向登记表: visits to customers not closed yet.
    let (_, register) = app.activities().by(&li).list("kind=visit&closed=false").await;
    assert_eq!(names(&register), ["南京金陵药业"]);
    assert_eq!(register["items"][0]["intention"], "high");
    // 客户跟踪档案: every record of customers not closed yet.
    let (_, follow) = app.activities().by(&li).list("closed=false").await;
    assert_eq!(follow["items"].as_array().unwrap().len(), 2);
    // 成交客户档案: closed customers.
    let (_, archive) = app.customers().by(&li).list("closed=true").await;
    assert_eq!(ids(&archive), [closed]);
    let (_, by_close) = app.customers().by(&li).list("sort=-closed_at").await;
    assert_eq!(ids(&by_close), [closed], "sorting by the closing date lists closed customers only");
    // Filters: follow-ups, intention, date range, customer name in Chinese.
    let (_, f) = app.activities().by(&li).list("follow_up=true").await;
    assert_eq!(f["items"][0]["subject"], "电话回访");
    let (_, f) = app.activities().by(&li).list("intention=medium").await;
    assert_eq!(names(&f), ["合肥新能源汽车"]);
    let (_, f) = app.activities().by(&li).list("from=2026-06-01&to=2026-06-01").await;
    assert_eq!(f["items"].as_array().unwrap().len(), 2);
    let (_, f) = app.activities().by(&li).list("q=%E9%87%91%E9%99%B5").await;
    assert!(names(&f).iter().all(|n| n == "南京金陵药业") && !names(&f).is_empty());
    let (s, p) = app.activities().by(&li).list("from=June").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "from");
    // Another's customer's timeline is not found.
    let (s, _) = app.activities().by(&li).list(&format!("customer_id={hers}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn lists_export_to_excel_and_csv() {
    let app = TestApp::new().await;
    let c = app.customers().create(&json!({"name": "成都蜀锦丝绸有限公司", "grade": "A"})).await;
    app.activities()
        .create(&json!({"customer_id": c["id"], "kind": "visit", "subject": "到访洽谈", "intention": "high"}))
        .await;
    let get = |path: &str| {
        crate::helpers::api_request(Method::GET, path, Some(&app.admin), None, &[("accept-language", "zh-CN")])
    };
    let (s, h, body) = app.send(get("/api/v1/customers/export.xlsx?grade=A")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    assert!(h["content-disposition"].to_str().unwrap().contains("customers.xlsx"));
    assert!(body.as_str().unwrap().starts_with("PK"), "an xlsx file is a zip archive");
    let text = csv_export(&app, "/api/v1/activities/export.csv?kind=visit").await;
    assert!(text.contains("成都蜀锦丝绸有限公司") && text.contains("到访洽谈") && text.contains("高"), "{text}");
    let (s, _, _) = app.send(get("/api/v1/activities/export.xlsx")).await;
    assert_eq!(s, StatusCode::OK);
    // No export right, no file.
    let (_, li) = app.signed_in("li.na", "after_sales", None).await;
    let (s, _) = app.customers().by(&li).get("export.xlsx").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn due_follow_ups_are_emailed_once_when_smtp_is_set() {
    use salesflow_store::paging::PageRequest;
    use salesflow_store::{Actor, notifications};
    let app = TestApp::new().await;
    let (_, li) = app.signed_in("li.na", "salesperson", None).await;
    let c = app.customers().by(&li).create(&json!({"name": "南京金陵药业"})).await;
    let past = (chrono::Utc::now() - chrono::Duration::hours(2)).to_rfc3339();
    let long_ago = (chrono::Utc::now() - chrono::Duration::hours(3)).to_rfc3339();
    app.activities()
        .by(&li)
        .create(&json!({"customer_id": c["id"], "kind": "call", "subject": "电话回访", "occurred_at": long_ago,
            "next_step": "寄送报价", "next_at": past}))
        .await;
    let outbox =
        || async { notifications::list(&app.store, &Actor::system(), &PageRequest::default()).await.unwrap().items };
    // Without SMTP the reminder stays in the app only.
    let plain = salesflow_web::AppState { store: app.store.clone(), config: crate::helpers::config() };
    assert_eq!(salesflow_web::send_due_reminders(&plain).await.unwrap(), 0);
    assert!(outbox().await.is_empty());
    // With SMTP (unreachable here: the attempt is recorded) it goes out once, in her language.
    let smtp = salesflow_web::AppState {
        store: app.store.clone(),
        config: salesflow_web::WebConfig { smtp_url: Some("smtp://127.0.0.1:9".into()), ..crate::helpers::config() },
    };
    assert_eq!(salesflow_web::send_due_reminders(&smtp).await.unwrap(), 1);
    let sent = outbox().await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to_address, "li.na@example.com");
    assert!(sent[0].subject.contains("南京金陵药业") && sent[0].subject.contains("寄送报价"), "{}", sent[0].subject);
    assert!(sent[0].body.contains("http://salesflow.test/customers/"), "{}", sent[0].body);
    assert!(sent[0].error.is_some(), "the failed delivery is recorded");
    assert_eq!(salesflow_web::send_due_reminders(&smtp).await.unwrap(), 0, "never twice");
}

#[tokio::test]
async fn a_common_search_word_pages_in_sort_order() {
    use salesflow_store::entity::customer;
    use salesflow_store::search::{self, Kind};
    use sea_orm::{EntityTrait, Set};
    let app = TestApp::new().await;
    // 2,100 names share 华信: enough for the "walk the sort index" plan.
    let now = chrono::Utc::now();
    let txn = app.store.begin().await.unwrap();
    // And two words common alone (2,005 names each) but together in five.
    let name_of = |i: i64| match i {
        0..2100 => format!("上海华信{i}号"),
        2100..4100 => format!("甲乙公司{i}"),
        4100..6100 => format!("乙丙公司{i}"),
        _ => format!("甲乙丙{i}"),
    };
    let rows: Vec<customer::ActiveModel> = (0..6105)
        .map(|i| {
            let name = name_of(i);
            let at = now - chrono::Duration::minutes(i);
            customer::ActiveModel {
                name_key: Set(salesflow_domain::customers::name_key(&name)),
                name: Set(name),
                credit_limit: Set(0),
                notes: Set(String::new()),
                last_activity_at: Set(at),
                version: Set(1),
                created_at: Set(at),
                updated_at: Set(at),
                ..Default::default()
            }
        })
        .collect();
    let mut new_ids = Vec::new();
    for chunk in rows.chunks(500) {
        new_ids.extend(customer::Entity::insert_many(chunk.to_vec()).exec_with_returning_keys(&txn).await.unwrap());
    }
    let texts: Vec<(i64, String)> = new_ids.iter().enumerate().map(|(i, id)| (*id, name_of(i as i64))).collect();
    search::index_new(&txn, Kind::Customer, &texts).await.unwrap();
    txn.commit().await.unwrap();
    app.customers().create(&json!({"name": "北京燕山机械"})).await;

    let (s, page) = app.customers().list("q=%E5%8D%8E%E4%BF%A1&limit=3").await;
    assert_eq!(s, StatusCode::OK);
    let names: Vec<&str> = page["items"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["上海华信0号", "上海华信1号", "上海华信2号"], "newest activity first");
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, next) = app.customers().list(&format!("q=%E5%8D%8E%E4%BF%A1&limit=3&cursor={cursor}")).await;
    assert_eq!(next["items"][0]["name"], "上海华信3号");
    // A rare word next to the common one still narrows to the one match.
    let (_, one) = app.customers().list("q=%E5%8D%8E%E4%BF%A11234").await;
    assert_eq!(ids(&one).len(), 1);
    // Over 5,000 customers not closed: the activity archives walk the activities.
    for (n, c) in new_ids.iter().take(3).enumerate() {
        let at = (now - chrono::Duration::hours(n as i64 + 1)).to_rfc3339();
        let body = json!({"customer_id": c, "kind": "visit", "subject": format!("拜访{n}"), "occurred_at": at});
        app.activities().create(&body).await;
    }
    let (_, follow) = app.activities().list("closed=false&limit=2").await;
    let subjects: Vec<&str> =
        follow["items"].as_array().unwrap().iter().map(|a| a["subject"].as_str().unwrap()).collect();
    assert_eq!(subjects, ["拜访0", "拜访1"]);
    let cursor = follow["next_cursor"].as_str().unwrap();
    let (_, rest) = app.activities().list(&format!("closed=false&limit=2&cursor={cursor}")).await;
    assert_eq!(rest["items"][0]["subject"], "拜访2");
    let (_, none) = app.activities().list("closed=true").await;
    assert!(none["items"].as_array().unwrap().is_empty());
    let (_, few) = app.customers().list("q=%E7%94%B2%E4%B9%99%E4%B8%99").await;
    let names: Vec<&str> = few["items"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["甲乙丙6100", "甲乙丙6101", "甲乙丙6102", "甲乙丙6103", "甲乙丙6104"]);
    // The pool customers are visible to a salesperson, her scope still applies.
    let (_, li) = app.signed_in("li.na", "salesperson", None).await;
    let (_, hers) = app.customers().by(&li).list("q=%E5%8D%8E%E4%BF%A1&owner_id=1").await;
    assert!(ids(&hers).is_empty());
}

#[tokio::test]
async fn tasks_can_concern_a_lead_and_hand_over_moves_leads() {
    let app = TestApp::new().await;
    let east = app.department("华东销售组").await;
    let (li_id, li) = app.signed_in("li.na", "salesperson", Some(east)).await;
    let (wang_id, wang) = app.signed_in("wang.fang", "salesperson", Some(east)).await;
    let lead = app.leads().by(&li).create(&json!({"name": "陈静", "company": "温州鞋业有限公司"})).await;
    let task = app
        .tasks()
        .by(&li)
        .create(
            &json!({"title": "电话联系陈静", "due_at": "2099-03-01", "related_kind": "lead", "related_id": lead["id"]}),
        )
        .await;
    assert_eq!(task["related_type"], "lead");
    // Another's lead is unknown to her.
    let (s, p) = app
        .tasks()
        .by(&wang)
        .post(&json!({"title": "x", "due_at": "2099-03-01", "related_kind": "lead", "related_id": lead["id"]}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "related_id");
    // Li leaves: her lead and open task go to Wang.
    let moved =
        post_ok(&app, &app.admin, &format!("/api/v1/users/{li_id}/transfer"), json!({"to_user_id": wang_id})).await;
    assert_eq!((moved["leads"].as_i64(), moved["tasks"].as_i64()), (Some(1), Some(1)));
    let (s, l) = app.leads().by(&wang).get(&lead["id"]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(l["owner_id"], wang_id);
}

#[tokio::test]
async fn tasks_and_contacts_export_with_their_filters() {
    let app = TestApp::new().await;
    let c = app.customers().create(&json!({"name": "成都蜀锦丝绸有限公司"})).await;
    app.contacts().create(&json!({"customer_id": c["id"], "name": "陈静", "role": "decision_maker"})).await;
    app.contacts().create(&json!({"customer_id": c["id"], "name": "Tom Chan", "role": "handler"})).await;
    app.tasks().create(&json!({"title": "寄送样品", "due_at": "2099-01-01", "priority": "urgent"})).await;
    app.tasks().create(&json!({"title": "季度回访", "due_at": "2099-02-01"})).await;
    let get = |path: &str| {
        crate::helpers::api_request(Method::GET, path, Some(&app.admin), None, &[("accept-language", "zh-CN")])
    };
    let (s, _, body) = app.send(get("/api/v1/contacts/export.csv?role=decision_maker")).await;
    assert_eq!(s, StatusCode::OK);
    let text = body.as_str().unwrap();
    assert!(text.starts_with('\u{feff}') && text.contains("陈静") && text.contains("成都蜀锦丝绸有限公司"), "{text}");
    assert!(!text.contains("Tom Chan"), "the filter applies");
    let (s, _, body) = app.send(get("/api/v1/tasks/export.csv?priority=urgent&assignee=me")).await;
    assert_eq!(s, StatusCode::OK);
    let text = body.as_str().unwrap();
    assert!(text.contains("寄送样品") && text.contains("紧急") && !text.contains("季度回访"), "{text}");
    for path in ["/api/v1/contacts/export.xlsx", "/api/v1/tasks/export.xlsx"] {
        let (s, h, body) = app.send(get(path)).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        assert!(h["content-disposition"].to_str().unwrap().ends_with(".xlsx\""));
        assert!(body.as_str().unwrap().starts_with("PK"));
    }
    let (_, li) = app.signed_in("li.na", "after_sales", None).await;
    let (s, _) = app.tasks().by(&li).get("export.csv").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

/// Every sort the customer list offers, alone and under the common filters
/// (owner, public pool, grade, owner and grade), and the default sorts of
/// the other lists for one owner, read an index in order instead of
/// sorting all matching rows: the SQL the API really sends, planned by
/// SQLite (PostgreSQL plans by table size, and the test's tables are tiny).
#[tokio::test]
async fn every_list_sort_is_served_by_an_index() {
    let app = TestApp::new().await;
    if app.store.backend() != salesflow_store::Backend::Sqlite {
        return;
    }
    let owner = app.create_user("sortowner", "salesperson", None).await;
    let mut store = app.store.clone();
    let kept = store.record_statements();
    let node =
        salesflow_web::router(salesflow_web::AppState { store: store.clone(), config: crate::helpers::config() });
    let mut paths = Vec::new();
    for sort in ["-last_activity_at", "created_at", "-created_at", "updated_at", "-updated_at", "name", "-name", "id"] {
        for filter in ["", "&owner_id={o}", "&pool=true", "&grade=A", "&owner_id={o}&grade=B"] {
            paths.push(format!("/api/v1/customers?sort={sort}{filter}").replace("{o}", &owner.to_string()));
        }
    }
    for (list, sorts, by) in [
        ("leads", &["-created_at", "-updated_at", "name", "id"][..], "owner_id"),
        ("opportunities", &["-updated_at", "-created_at", "-amount", "name", "-closed_at"], "owner_id"),
        ("tasks", &["due_at", "priority", "-created_at", "-updated_at"], "assignee"),
    ] {
        for sort in sorts {
            paths.push(format!("/api/v1/{list}?sort={sort}&{by}={owner}"));
        }
    }
    paths.push("/api/v1/contacts?sort=name".into());
    paths.push("/api/v1/contacts?sort=-created_at".into());
    for path in paths {
        kept.lock().unwrap().clear();
        let request = axum::http::Request::get(&path)
            .header("authorization", format!("Bearer {}", app.admin))
            .body(axum::body::Body::empty())
            .unwrap();
        let (s, _, body) = crate::helpers::send_to(&node, request).await;
        assert_eq!(s, StatusCode::OK, "{path}: {body}");
        let statements = kept.lock().unwrap().clone();
        let list = statements
            .iter()
            .find(|st| st.sql.contains("ORDER BY") && st.sql.contains("LIMIT"))
            .unwrap_or_else(|| panic!("{path}: no list query among {statements:?}"));
        let plan = crate::helpers::sqlite_plan(&app.store, list).await;
        assert!(
            !plan.iter().any(|step| step.contains("TEMP B-TREE FOR ORDER BY")),
            "{path} sorts:\n{}\n{plan:#?}",
            list.sql
        );
    }
}
