//! Saved views, column choice and bulk actions on the leads, tasks and
//! contacts lists: the API (all or none, inside the caller's scope, audited)
//! and the list pages.

use axum::http::{Method, StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::support::browser::{cookie, form, get, sign_in};
use crate::support::post_ok;

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap()
}

/// The audit actions recorded on one record, newest first.
async fn audit_actions(app: &TestApp, entity_type: &str, entity_id: i64) -> Vec<Value> {
    let (s, log) = app.audit_log().list(&format!("entity_type={entity_type}&entity_id={entity_id}")).await;
    assert_eq!(s, StatusCode::OK, "{log}");
    log["items"].as_array().unwrap().clone()
}

fn has_action(log: &[Value], action: &str) -> bool {
    log.iter().any(|e| e["action"] == action)
}

/// The status and problem fields of a refused bulk request.
async fn refused(app: &TestApp, token: &str, path: &str, body: Value) -> (StatusCode, Vec<String>) {
    let (s, p) = app.api(Method::POST, path, Some(token), Some(body)).await;
    assert!(!s.is_success(), "{path} should be refused: {p}");
    let fields = p["errors"]
        .as_array()
        .map(|e| e.iter().map(|e| e["field"].as_str().unwrap_or("").to_owned()).collect())
        .unwrap_or_default();
    (s, fields)
}

#[tokio::test]
async fn lead_bulk_actions_change_all_selected_or_none() {
    let app = TestApp::new().await;
    let east = app.department("华东销售组").await;
    let (li_id, li) = app.signed_in("li.na", "salesperson", Some(east)).await;
    let (wang_id, wang) = app.signed_in("wang.fang", "salesperson", Some(east)).await;
    let a = id(&app.leads().by(&li).create(&json!({"name": "许文博", "company": "杭州西湖茶业"})).await);
    let b = id(&app.leads().by(&li).create(&json!({"name": "周敏", "company": "苏州园林设计院"})).await);
    let other = id(&app.leads().by(&wang).create(&json!({"name": "赵磊", "company": "无锡太湖船舶"})).await);

    // One lead outside her scope: nothing changes, nothing is audited.
    let (s, _) = refused(
        &app,
        &li,
        "/api/v1/leads/bulk",
        json!({"ids": [a, b, other], "action": "assign_owner", "owner_id": li_id}),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(!has_action(&audit_actions(&app, "lead", a).await, "lead.assign"));

    // Bad input.
    for (body, field) in [
        (json!({"ids": [a], "action": "archive"}), "action"),
        (json!({"ids": [a], "action": "assign_owner"}), "owner_id"),
        (json!({"ids": [a], "action": "assign_owner", "owner_id": wang_id}), "owner_id"),
        (json!({"ids": [a], "action": "assign_owner", "owner_id": 999_999}), "owner_id"),
        (json!({"ids": [], "action": "assign_owner", "owner_id": li_id}), "ids"),
        (json!({"ids": (1..=501).collect::<Vec<i64>>(), "action": "assign_owner", "owner_id": li_id}), "ids"),
    ] {
        let (s, fields) = refused(&app, &li, "/api/v1/leads/bulk", body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(fields, [field], "{body}");
    }
    let (s, _) = refused(&app, &li, "/api/v1/leads/bulk", json!({"ids": [a], "action": "delete", "tag": "x"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "unknown fields are refused");
    // Deleting needs the delete right, as deleting one lead does.
    let (s, _) = refused(&app, &li, "/api/v1/leads/bulk", json!({"ids": [a], "action": "delete"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // The administrator hands both to Wang.
    let r = post_ok(
        &app,
        &app.admin,
        "/api/v1/leads/bulk",
        json!({"ids": [a, b, a], "action": "assign_owner", "owner_id": wang_id}),
    )
    .await;
    assert_eq!(r["changed"], 2, "each lead once");
    let (s, _) = app.leads().by(&li).get(a).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "no longer hers");
    let (_, lead) = app.leads().by(&wang).get(a).await;
    assert_eq!(lead["owner_id"], wang_id);
    let log = audit_actions(&app, "lead", a).await;
    let assign = log.iter().find(|e| e["action"] == "lead.assign").expect("assignment audited");
    assert_eq!(assign["after"]["from_owner_id"], li_id);
    assert_eq!(assign["after"]["owner_id"], wang_id);

    // A converted lead keeps its owner: the whole selection is refused.
    let done = app.leads().create(&json!({"name": "林晓", "company": "成都蜀锦丝绸", "status": "qualified"})).await;
    post_ok(&app, &app.admin, &format!("/api/v1/leads/{}/convert", id(&done)), json!({})).await;
    let (s, fields) = refused(
        &app,
        &app.admin,
        "/api/v1/leads/bulk",
        json!({"ids": [b, id(&done)], "action": "assign_owner", "owner_id": li_id}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields, ["ids"]);
    let (_, lead) = app.leads().get(b).await;
    assert_eq!(lead["owner_id"], wang_id, "the other lead did not move either");

    // Deleting: soft, out of the list, audited; a deleted lead cannot be selected again.
    let r = post_ok(&app, &app.admin, "/api/v1/leads/bulk", json!({"ids": [b], "action": "delete"})).await;
    assert_eq!(r["changed"], 1);
    let (_, lead) = app.leads().get(b).await;
    assert!(lead["deleted_at"].is_string());
    let (_, page) = app.leads().by(&wang).list("").await;
    let listed: Vec<i64> = page["items"].as_array().unwrap().iter().map(id).collect();
    assert!(listed.contains(&a) && !listed.contains(&b), "{listed:?}");
    assert!(has_action(&audit_actions(&app, "lead", b).await, "lead.delete"));
    let (s, _) = refused(&app, &app.admin, "/api/v1/leads/bulk", json!({"ids": [a, b], "action": "delete"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, lead) = app.leads().get(a).await;
    assert!(lead["deleted_at"].is_null());
}

#[tokio::test]
async fn task_bulk_actions_follow_the_rules_for_one_task() {
    let app = TestApp::new().await;
    let east = app.department("华东销售组").await;
    let (_, li) = app.signed_in("li.na", "salesperson", Some(east)).await;
    let (wang_id, wang) = app.signed_in("wang.fang", "salesperson", Some(east)).await;
    let (_, boss) = app.signed_in("zhou.jie", "sales_manager", Some(east)).await;
    let task = |title: &str| json!({"title": title, "due_at": "2099-01-05"});
    let t1 = id(&app.tasks().by(&li).create(&task("回访华信：确认交货计划")).await);
    let t2 = id(&app.tasks().by(&li).create(&task("寄送样品")).await);
    let t3 = id(&app.tasks().by(&wang).create(&task("准备报价单")).await);

    // Wang's task is outside her scope: nothing is marked done.
    let (s, _) = refused(&app, &li, "/api/v1/tasks/bulk", json!({"ids": [t1, t3], "action": "mark_done"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, t) = app.tasks().by(&li).get(t1).await;
    assert_eq!(t["status"], "open");

    let r = post_ok(&app, &li, "/api/v1/tasks/bulk", json!({"ids": [t1, t2], "action": "mark_done"})).await;
    assert_eq!(r["changed"], 2);
    let (_, t) = app.tasks().by(&li).get(t2).await;
    assert_eq!(t["status"], "done");
    assert!(t["completed_at"].is_string());
    let r = post_ok(&app, &li, "/api/v1/tasks/bulk", json!({"ids": [t1, t2], "action": "mark_done"})).await;
    assert_eq!(r["changed"], 0, "already done");
    assert_eq!(
        audit_actions(&app, "task", t2).await.iter().filter(|e| e["action"] == "task.complete").count(),
        1,
        "audited once"
    );

    // Bad input; her scope is her own, so she assigns to nobody else.
    for (body, field) in [
        (json!({"ids": [t1], "action": "assign", "assignee_id": wang_id}), "assignee_id"),
        (json!({"ids": [t1], "action": "assign"}), "assignee_id"),
        (json!({"ids": [t1], "action": "archive"}), "action"),
        (json!({"ids": [], "action": "mark_done"}), "ids"),
    ] {
        let (s, fields) = refused(&app, &li, "/api/v1/tasks/bulk", body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(fields, [field], "{body}");
    }

    // Her manager hands Li's open task and Wang's task to Wang, in one go.
    let r = post_ok(
        &app,
        &boss,
        "/api/v1/tasks/bulk",
        json!({"ids": [t1, t3], "action": "assign", "assignee_id": wang_id}),
    )
    .await;
    assert_eq!(r["changed"], 1, "t3 was Wang's already");
    let (_, t) = app.tasks().by(&wang).get(t1).await;
    assert_eq!(t["assignee_id"], wang_id);
    let log = audit_actions(&app, "task", t1).await;
    let assign = log.iter().find(|e| e["action"] == "task.assign").expect("assignment audited");
    assert_eq!(assign["after"]["assignee_id"], wang_id);
    assert!(assign["before"]["assignee_id"].as_i64().unwrap() != wang_id);

    // Deleting: Wang did not create t1 and may not delete others' records.
    let (s, _) = refused(&app, &wang, "/api/v1/tasks/bulk", json!({"ids": [t1, t3], "action": "delete"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, t) = app.tasks().by(&wang).get(t3).await;
    assert_eq!(t["status"], "open", "his own task was not deleted either");
    // Li created t1 and t2: she may delete them.
    let r = post_ok(&app, &li, "/api/v1/tasks/bulk", json!({"ids": [t1, t2], "action": "delete"})).await;
    assert_eq!(r["changed"], 2);
    let (s, _) = app.tasks().by(&wang).get(t1).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(has_action(&audit_actions(&app, "task", t1).await, "task.delete"));
}

#[tokio::test]
async fn contact_bulk_delete_changes_all_selected_or_none() {
    let app = TestApp::new().await;
    let east = app.department("华东销售组").await;
    let (_, li) = app.signed_in("li.na", "salesperson", Some(east)).await;
    let (_, wang) = app.signed_in("wang.fang", "salesperson", Some(east)).await;
    let hers = id(&app.customers().by(&li).create(&json!({"name": "杭州西湖茶业"})).await);
    let his = id(&app.customers().by(&wang).create(&json!({"name": "无锡太湖船舶"})).await);
    let pool = id(&app.customers().create(&json!({"name": "南京金陵药业", "to_pool": true})).await);
    let contact = |customer: i64, name: &str| json!({"customer_id": customer, "name": name, "role": "handler"});
    let c1 = id(&app.contacts().by(&li).create(&contact(hers, "李娜")).await);
    let c2 = id(&app.contacts().by(&li).create(&contact(hers, "王芳")).await);
    let c3 = id(&app.contacts().by(&wang).create(&contact(his, "赵磊")).await);
    let c4 = id(&app.contacts().create(&contact(pool, "孙丽")).await);

    let (s, _) = refused(&app, &li, "/api/v1/contacts/bulk", json!({"ids": [c1, c3], "action": "delete"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "Wang's customer's contact is outside her scope");
    // A pool customer is visible to her but not hers to change.
    let (s, _) = refused(&app, &li, "/api/v1/contacts/bulk", json!({"ids": [c1, c4], "action": "delete"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, page) = app.contacts().by(&li).list(&format!("customer_id={hers}")).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2, "nothing was deleted");
    for (body, field) in
        [(json!({"ids": [c1], "action": "export"}), "action"), (json!({"ids": [], "action": "delete"}), "ids")]
    {
        let (s, fields) = refused(&app, &li, "/api/v1/contacts/bulk", body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(fields, [field], "{body}");
    }

    let r = post_ok(&app, &li, "/api/v1/contacts/bulk", json!({"ids": [c1, c2], "action": "delete"})).await;
    assert_eq!(r["changed"], 2);
    let (_, page) = app.contacts().by(&li).list(&format!("customer_id={hers}")).await;
    assert!(page["items"].as_array().unwrap().is_empty());
    let (s, _) = app.contacts().by(&li).get(c1).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let log = audit_actions(&app, "contact", c2).await;
    let deleted = log.iter().find(|e| e["action"] == "contact.delete").expect("deletion audited");
    assert_eq!(deleted["before"]["name"], "王芳");
    // Deleted once: selecting it again is refused.
    let (s, _) = refused(&app, &li, "/api/v1/contacts/bulk", json!({"ids": [c2], "action": "delete"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

/// The `<thead>` of a list page.
fn head(html: &str) -> &str {
    html.split("<thead>").nth(1).unwrap().split("</thead>").next().unwrap()
}

#[tokio::test]
async fn every_list_page_has_one_views_bar() {
    let app = TestApp::new().await;
    let (cookies, _) = sign_in(&app).await;
    for list in ["customers", "contacts", "activities", "leads", "tasks"] {
        let (s, _, page) = app.send(get(&format!("/{list}"), &cookies)).await;
        assert_eq!(s, StatusCode::OK, "{list}");
        let html = page.as_str().unwrap();
        assert_eq!(html.matches("data-testid=\"views-bar\"").count(), 1, "{list}");
        assert!(html.contains(&format!("name=\"list\" value=\"{list}\"")), "{list}: saving a view");
        assert!(html.contains(&format!("action=\"/columns/{list}\"")), "{list}: choosing columns");
    }
    // The named archives keep their fixed columns.
    let (_, _, page) = app.send(get("/activities?archive=visits", &cookies)).await;
    assert!(!page.as_str().unwrap().contains("action=\"/columns/activities\""));
}

#[tokio::test]
async fn the_lead_list_saves_views_chooses_columns_and_acts_in_bulk() {
    let app = TestApp::new().await;
    let (cookies, csrf) = sign_in(&app).await;
    let li_id = app.create_user("li.na", "salesperson", None).await;
    let lead = |name: &str, intention: &str, email: &str| json!({"name": name, "company": format!("{name}的公司"), "intention": intention, "email": email});
    let a = id(&app.leads().create(&lead("许文博", "high", "xu@huaxin.cn")).await);
    let b = id(&app.leads().create(&lead("周敏", "low", "zhou@xihu.cn")).await);

    // A saved view of the high-intention leads, shown as the active chip.
    let body = format!("_csrf={csrf}&list=leads&name=%E9%AB%98%E6%84%8F%E5%90%91&query=intention%3Dhigh&back=%2Fleads");
    let (s, h, _) = app.send(form("/views", &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h.get(header::LOCATION).unwrap(), "/leads?intention=high");
    let (_, _, page) = app.send(get("/leads?intention=high", &cookies)).await;
    let html = page.as_str().unwrap();
    assert!(html.contains("view-chip on") && html.contains("高意向"), "the view is shown and active");
    assert!(html.contains("许文博") && !html.contains("周敏"), "its filter applies");

    // Columns: e-mail and the update time, nothing else besides the name.
    let body = format!("_csrf={csrf}&columns=email&columns=updated_at&back=%2Fleads");
    let (s, _, _) = app.send(form("/columns/leads", &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, _, page) = app.send(get("/leads", &cookies)).await;
    let html = page.as_str().unwrap();
    let thead = head(html);
    assert!(thead.contains("E-mail") && thead.contains("Updated"), "{thead}");
    assert!(!thead.contains("Company") && !thead.contains("Intention"), "{thead}");
    assert!(html.contains("mailto:") && !html.contains("许文博的公司"), "the rows follow the columns");
    let (s, _, _) = app.send(form("/columns/leads", &cookies, &format!("_csrf={csrf}&columns=password"))).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "an unknown column is refused with a message");
    let (_, _, page) = app.send(get("/leads", &cookies)).await;
    assert!(head(page.as_str().unwrap()).contains("E-mail"), "the choice stayed");

    // Bulk: the form and the row boxes are there.
    assert!(html.contains("id=\"bulk-form\"") && html.contains("data-row-select") && html.contains("data-select-all"));
    let (s, h, csv) =
        app.send(form("/leads/bulk", &cookies, &format!("_csrf={csrf}&ids={a}&action=export&back=%2Fleads"))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(h[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/csv"));
    let csv = csv.as_str().unwrap();
    assert!(csv.contains("许文博") && !csv.contains("周敏"), "{csv}");
    let body =
        format!("_csrf={csrf}&ids={a}&ids={b}&action=assign_owner&owner_id={li_id}&back=%2Fleads%3Fintention%3Dhigh");
    let (s, h, _) = app.send(form("/leads/bulk", &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h.get(header::LOCATION).unwrap(), "/leads?intention=high");
    assert_eq!(cookie(&h, "sf_flash").as_deref(), Some("flash.bulk_done"));
    let (_, l) = app.leads().get(b).await;
    assert_eq!(l["owner_id"], li_id);
    // Some rows out of reach: nothing changes, and the page says why.
    let body = format!("_csrf={csrf}&ids={a}&ids=999999&action=delete&back=%2Fleads");
    let (s, h, _) = app.send(form("/leads/bulk", &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(cookie(&h, "sf_flash").as_deref(), Some("lists.flash.leads_refused"));
    let (_, l) = app.leads().get(a).await;
    assert!(l["deleted_at"].is_null());
    let (s, h, _) = app.send(form("/leads/bulk", &cookies, &format!("_csrf={csrf}&action=delete"))).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(cookie(&h, "sf_flash").as_deref(), Some("flash.bulk_none_selected"));
    let (s, _, _) = app.send(form("/leads/bulk", &cookies, &format!("_csrf={csrf}&ids={a}&action=delete"))).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, l) = app.leads().get(a).await;
    assert!(l["deleted_at"].is_string());
    // No CSRF token, no bulk action.
    let (s, _, _) = app.send(form("/leads/bulk", &cookies, &format!("ids={b}&action=delete"))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_task_list_saves_views_chooses_columns_and_acts_in_bulk() {
    let app = TestApp::new().await;
    let (cookies, csrf) = sign_in(&app).await;
    let c = id(&app.customers().create(&json!({"name": "上海华信科技"})).await);
    let task =
        |title: &str| json!({"title": title, "due_at": "2099-01-05", "related_kind": "customer", "related_id": c});
    let t1 = id(&app.tasks().create(&task("回访华信")).await);
    let t2 = id(&app.tasks().create(&task("寄送样品")).await);

    // "Every status" survives in a saved view.
    let body = format!("_csrf={csrf}&list=tasks&name=all&query=tab%3Dmine%26status%3Dall&back=%2Ftasks");
    let (s, h, _) = app.send(form("/views", &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h.get(header::LOCATION).unwrap(), "/tasks?tab=mine&status=all");

    // Columns: the customer and the status only.
    let body = format!("_csrf={csrf}&columns=customer&columns=status&back=%2Ftasks");
    let (s, _, _) = app.send(form("/columns/tasks", &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, _, page) = app.send(get("/tasks", &cookies)).await;
    let html = page.as_str().unwrap();
    let thead = head(html);
    assert!(thead.contains("Customer") && thead.contains("Status"), "{thead}");
    assert!(!thead.contains("Assignee") && !thead.contains("Due"), "{thead}");
    assert!(
        html.contains("href=\"/customers/") && !html.contains("class=\"badge prio-"),
        "the rows follow the columns"
    );
    assert!(html.contains("id=\"bulk-form\"") && html.contains("value=\"mark_done\""));

    // Mark both done from the list: they leave the open list, the saved view shows them.
    let body = format!("_csrf={csrf}&ids={t1}&ids={t2}&action=mark_done&back=%2Ftasks");
    let (s, h, _) = app.send(form("/tasks/bulk", &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(cookie(&h, "sf_flash").as_deref(), Some("flash.bulk_done"));
    let (_, _, page) = app.send(get("/tasks", &cookies)).await;
    assert!(!page.as_str().unwrap().contains("回访华信"));
    let (_, _, page) = app.send(get("/tasks?tab=mine&status=all", &cookies)).await;
    let html = page.as_str().unwrap();
    assert!(html.contains("回访华信") && html.contains("view-chip on"), "the view lists done tasks too");
    // One-click reopening keeps the chosen columns in the row it returns.
    let (_, t) = app.tasks().get(t1).await;
    let mut reopen =
        form(&format!("/tasks/{t1}/reopen"), &cookies, &format!("_csrf={csrf}&version={}&back=%2Ftasks", t["version"]));
    reopen.headers_mut().insert("hx-request", "true".parse().unwrap());
    let (s, _, row) = app.send(reopen).await;
    assert_eq!(s, StatusCode::OK);
    let row = row.as_str().unwrap();
    assert_eq!(row.matches("<td").count(), 5, "select, tick, title and the two columns: {row}");

    let body = format!("_csrf={csrf}&ids={t1}&action=assign&back=%2Ftasks");
    let (s, h, _) = app.send(form("/tasks/bulk", &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(cookie(&h, "sf_flash").as_deref(), Some("lists.flash.bulk_invalid"), "assigning needs a person");
    let body = format!("_csrf={csrf}&ids={t1}&ids={t2}&action=delete&back=%2Ftasks");
    let (s, _, _) = app.send(form("/tasks/bulk", &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, _) = app.tasks().get(t2).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_contact_list_saves_views_chooses_columns_and_acts_in_bulk() {
    let app = TestApp::new().await;
    let (cookies, csrf) = sign_in(&app).await;
    let c = id(&app.customers().create(&json!({"name": "上海华信科技"})).await);
    let contact = |name: &str, role: &str, title: &str| json!({"customer_id": c, "name": name, "role": role, "title": title, "email": format!("{role}@huaxin.cn")});
    let p1 = id(&app.contacts().create(&contact("李娜", "decision_maker", "采购总监")).await);
    let p2 = id(&app.contacts().create(&contact("王芳", "handler", "采购专员")).await);

    let body = format!("_csrf={csrf}&list=contacts&name=%E5%86%B3%E7%AD%96%E4%BA%BA&query=role%3Ddecision_maker");
    let (s, h, _) = app.send(form("/views", &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h.get(header::LOCATION).unwrap(), "/contacts?role=decision_maker");
    let (_, _, page) = app.send(get("/contacts?role=decision_maker", &cookies)).await;
    let html = page.as_str().unwrap();
    assert!(html.contains("view-chip on") && html.contains("决策人"));
    assert!(html.contains("李娜") && !html.contains("王芳"));

    let body = format!("_csrf={csrf}&columns=title&columns=created_at&back=%2Fcontacts");
    let (s, _, _) = app.send(form("/columns/contacts", &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, _, page) = app.send(get("/contacts", &cookies)).await;
    let html = page.as_str().unwrap();
    let thead = head(html);
    assert!(thead.contains("Title") && thead.contains("Created"), "{thead}");
    assert!(!thead.contains("E-mail") && !thead.contains("Customer"), "{thead}");
    assert!(html.contains("采购专员") && !html.contains("mailto:"), "the rows follow the columns");

    let (s, _, csv) = app.send(form("/contacts/bulk", &cookies, &format!("_csrf={csrf}&ids={p1}&action=export"))).await;
    assert_eq!(s, StatusCode::OK);
    let csv = csv.as_str().unwrap();
    assert!(csv.contains("李娜") && csv.contains("上海华信科技") && !csv.contains("王芳"), "{csv}");
    let body = format!("_csrf={csrf}&ids={p1}&ids={p2}&action=delete&back=%2Fcontacts");
    let (s, h, _) = app.send(form("/contacts/bulk", &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h.get(header::LOCATION).unwrap(), "/contacts");
    let (_, page) = app.contacts().list(&format!("customer_id={c}")).await;
    assert!(page["items"].as_array().unwrap().is_empty());
}
