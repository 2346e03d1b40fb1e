//! Sales tasks and the calendar: field errors, scope, overdue, versions,
//! reminders, the calendar's contents and range, the hand-over, the pages.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::support::browser::sign_in;

fn titles(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|t| t["title"].as_str().unwrap().to_owned()).collect()
}

fn codes(problem: &Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap().to_owned(), e["code"].as_str().unwrap().to_owned()))
        .collect()
}

async fn task(app: &TestApp, token: &str, body: Value) -> Value {
    app.tasks().by(token).create(&body).await
}

fn day(offset: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(offset)).format("%Y-%m-%d").to_string()
}

/// An east-China team (manager, two salespeople) and a south-China salesperson.
struct Team {
    manager: String,
    li: String,
    wang: String,
    zhao: String,
    li_id: i64,
    wang_id: i64,
    zhao_id: i64,
}

async fn team(app: &TestApp) -> Team {
    let east = app.department("华东销售组").await;
    let south = app.department("华南销售组").await;
    let (_, manager) = app.signed_in("zhang.wei", "sales_manager", Some(east)).await;
    let (li_id, li) = app.signed_in("li.na", "salesperson", Some(east)).await;
    let (wang_id, wang) = app.signed_in("wang.fang", "salesperson", Some(east)).await;
    let (zhao_id, zhao) = app.signed_in("zhao.lei", "salesperson", Some(south)).await;
    Team { manager, li, wang, zhao, li_id, wang_id, zhao_id }
}

#[tokio::test]
async fn bad_task_input_is_field_level_and_changes_nothing() {
    let app = TestApp::new().await;
    let t = team(&app).await;
    let cases = [
        (json!({"title": "  ", "due_date": day(1)}), ("title", "required")),
        (json!({"title": "长".repeat(201), "due_date": day(1)}), ("title", "too_long")),
        (json!({"title": "回访", "start_date": day(5), "due_date": day(1)}), ("due_date", "due_before_start")),
        (json!({"title": "回访", "due_date": day(1), "assignee_id": 999_999}), ("assignee_id", "unknown_reference")),
        (
            json!({"title": "回访", "due_date": day(1), "assignee_id": t.wang_id}),
            ("assignee_id", "assignee_outside_scope"),
        ),
        (json!({"title": "回访", "due_date": "next week"}), ("due_date", "invalid_date")),
        (json!({"title": "回访", "due_date": day(1), "priority": "asap"}), ("priority", "invalid_choice")),
        (
            json!({"title": "回访", "due_date": day(1), "related_type": "customer", "related_id": 424_242}),
            ("related_id", "unknown_reference"),
        ),
        (
            json!({"title": "回访", "due_date": day(1), "related_type": "order", "related_id": 1}),
            ("related_type", "invalid_choice"),
        ),
    ];
    for (body, (field, code)) in cases {
        let (s, p) = app.tasks().by(&t.li).post(&body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {p}");
        assert!(codes(&p).contains(&(field.to_owned(), code.to_owned())), "{body}: {p}");
    }
    // Another salesperson's customer does not exist for li.na.
    let theirs = app.customer(&t.wang, "苏州精工机械").await;
    let body = json!({"title": "回访", "due_date": day(1), "related_type": "customer", "related_id": theirs});
    let (s, p) = app.tasks().by(&t.li).post(&body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(codes(&p), [("related_id".to_owned(), "unknown_reference".to_owned())]);
    // Unknown fields are refused; nothing was stored.
    let (s, _) = app.tasks().by(&t.li).post(&json!({"title": "x", "due_at": day(1), "owner": 1})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, all) = app.tasks().list("status=").await;
    assert!(titles(&all).is_empty(), "{all}");
    // Messages in Chinese.
    let (s, _, p) = app
        .send(crate::helpers::api_request(
            Method::POST,
            "/api/v1/tasks",
            Some(&t.li),
            Some(json!({"title": "回访", "start_at": day(5), "due_at": day(1)})),
            &[("accept-language", "zh-CN")],
        ))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["message"], "截止日期不能早于开始日期。");
}

#[tokio::test]
async fn a_manager_assigns_to_the_team_and_others_cannot_see_it() {
    let app = TestApp::new().await;
    let t = team(&app).await;
    let hx = app.customer(&t.li, "上海华信科技有限公司").await;
    let assigned = task(
        &app,
        &t.manager,
        json!({"title": "准备华信科技年度采购方案", "assignee_id": t.li_id, "due_at": day(3), "priority": "high",
               "related_kind": "customer", "related_id": hx, "description": "重点客户"}),
    )
    .await;
    let id = assigned["id"].as_i64().unwrap();
    assert_eq!(assigned["assignee_name"], "li.na");
    assert_eq!(assigned["created_by_name"], "zhang.wei");
    assert_eq!(assigned["customer_name"], "上海华信科技有限公司");
    assert_eq!(assigned["status"], "open");
    assert_eq!(assigned["priority"], "high");
    // li.na sees it among her tasks.
    let (_, mine) = app.tasks().by(&t.li).list("assignee=me").await;
    assert_eq!(titles(&mine), ["准备华信科技年度采购方案"]);
    let (_, by_me) = app.tasks().by(&t.manager).list("created_by=me").await;
    assert_eq!(titles(&by_me), ["准备华信科技年度采购方案"]);
    // Her colleague and the other team do not: 404 and absent from lists.
    for token in [&t.wang, &t.zhao] {
        let (s, _) = app.tasks().by(token).get(id).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (_, list) = app.tasks().by(token).list("").await;
        assert!(titles(&list).is_empty());
        let (s, _) = app.tasks().by(token).act(id, "complete", Some(&json!({"version": 1}))).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = app.tasks().by(token).delete(id).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
    // The manager may not assign outside the department either.
    let (s, p) =
        app.tasks().by(&t.manager).post(&json!({"title": "x", "assignee_id": t.zhao_id, "due_at": day(1)})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(codes(&p), [("assignee_id".to_owned(), "assignee_outside_scope".to_owned())]);
    // On the customer's filter; a salesperson cannot delete what the manager created.
    let (_, on_customer) = app.tasks().by(&t.li).list(&format!("customer_id={hx}&status=open")).await;
    assert_eq!(titles(&on_customer).len(), 1);
    let (s, _) = app.tasks().by(&t.li).delete(id).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.tasks().by(&t.manager).delete(id).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.tasks().by(&t.li).get(id).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, log) = app.audit_log().list(&format!("entity_type=task&entity_id={id}")).await;
    let actions: Vec<&str> = log["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["task.delete", "task.create"]);
}

#[tokio::test]
async fn overdue_search_filters_and_sorting() {
    let app = TestApp::new().await;
    let late =
        task(&app, &app.admin, json!({"title": "催收第二期款项", "due_at": day(-2), "priority": "urgent"})).await;
    task(&app, &app.admin, json!({"title": "季度客户回访", "due_at": day(5), "priority": "low"})).await;
    let finished = task(&app, &app.admin, json!({"title": "Send the proposal", "due_at": day(-3)})).await;
    let (s, _) = app.tasks().act(&finished["id"], "complete", Some(&json!({"version": finished["version"]}))).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(late["overdue"], true);
    let (_, overdue) = app.tasks().list("overdue=true").await;
    assert_eq!(titles(&overdue), ["催收第二期款项"]);
    // Two Chinese characters are enough.
    let (_, found) = app.tasks().list("q=%E5%9B%9E%E8%AE%BF").await;
    assert_eq!(titles(&found), ["季度客户回访"]);
    let (_, open) = app.tasks().list("status=open").await;
    assert_eq!(titles(&open), ["催收第二期款项", "季度客户回访"]);
    let (_, done) = app.tasks().list("status=done").await;
    assert_eq!(titles(&done), ["Send the proposal"]);
    let (_, by_priority) = app.tasks().list("sort=-priority").await;
    assert_eq!(titles(&by_priority)[0], "催收第二期款项");
    let (_, urgent) = app.tasks().list("priority=urgent").await;
    assert_eq!(titles(&urgent), ["催收第二期款项"]);
    let (_, coming) = app.tasks().list(&format!("due_from={}&due_to={}", day(0), day(10))).await;
    assert_eq!(titles(&coming), ["季度客户回访"]);
    // Cursor paging, one at a time, in due order.
    let (_, first) = app.tasks().list("limit=1").await;
    assert_eq!(titles(&first), ["Send the proposal"]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = app.tasks().list(&format!("limit=1&cursor={cursor}")).await;
    assert_eq!(titles(&second), ["催收第二期款项"]);
    // Unknown values of a fixed list are malformed requests; bad values
    // the caller typed (a sort, a person, a date) are field errors.
    for bad in ["status=finished", "priority=asap"] {
        let (s, _) = app.tasks().list(bad).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
    }
    for bad in ["sort=title", "assignee=someone", "due_from=soon"] {
        let (s, _) = app.tasks().list(bad).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
}

#[tokio::test]
async fn complete_and_reopen_check_the_version_and_move_the_reminder() {
    let app = TestApp::new().await;
    let t = team(&app).await;
    let created = task(
        &app,
        &t.manager,
        json!({"title": "回访苏州精工设备科", "assignee_id": t.wang_id, "due_at": "2030-01-12"}),
    )
    .await;
    let id = created["id"].as_i64().unwrap();
    // Due by the end of the day; reminded at 09:00 Shanghai time (01:00 UTC).
    assert_eq!(created["due_at"], "2030-01-12T15:59:00Z");
    let (_, notices) = app.notifications().by(&t.wang).list("upcoming=true").await;
    let list = notices.as_array().unwrap();
    assert_eq!(list.len(), 1, "{notices}");
    assert_eq!(list[0]["kind"], "task_due");
    assert_eq!(list[0]["title"], "回访苏州精工设备科");
    assert_eq!(list[0]["due_at"], "2030-01-12T01:00:00Z");
    assert_eq!(list[0]["link"], format!("/tasks/{id}"));
    let (_, manager_notices) = app.notifications().by(&t.manager).list("upcoming=true").await;
    assert!(manager_notices.as_array().unwrap().is_empty());

    let (s, done) = app.tasks().by(&t.wang).act(id, "complete", Some(&json!({"version": 1}))).await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "done");
    assert!(done["completed_at"].is_string());
    assert_eq!(done["version"], 2);
    // A done task reminds nobody.
    let (_, notices) = app.notifications().by(&t.wang).list("upcoming=true").await;
    assert!(notices.as_array().unwrap().is_empty(), "{notices}");
    // Someone working from the old version gets a conflict.
    let (s, _) = app.tasks().by(&t.manager).act(id, "complete", Some(&json!({"version": 1}))).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = app.tasks().by(&t.manager).act(id, "reopen", Some(&json!({"version": 1}))).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, open) = app.tasks().by(&t.manager).act(id, "reopen", Some(&json!({"version": 2}))).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(open["status"], "open");
    assert!(open["completed_at"].is_null());
    let (_, notices) = app.notifications().by(&t.wang).list("upcoming=true").await;
    assert_eq!(notices.as_array().unwrap().len(), 1);
    // An edit with a stale version changes nothing; a current one moves the reminder.
    let edit = json!({"title": "回访苏州精工设备科", "assignee_id": t.li_id, "due_at": "2030-02-01", "version": 2});
    let (s, _) = app.tasks().by(&t.manager).patch(id, &edit).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let mut current = edit.clone();
    current["version"] = json!(3);
    let (s, moved) = app.tasks().by(&t.manager).patch(id, &current).await;
    assert_eq!(s, StatusCode::OK, "{moved}");
    assert_eq!(moved["assignee_name"], "li.na");
    let (_, wang_notices) = app.notifications().by(&t.wang).list("upcoming=true").await;
    assert!(wang_notices.as_array().unwrap().is_empty());
    let (_, li_notices) = app.notifications().by(&t.li).list("upcoming=true").await;
    assert_eq!(li_notices[0]["due_at"], "2030-02-01T01:00:00Z");
    let (s, p) = app.tasks().by(&t.manager).patch(id, &json!({"title": "x", "due_at": day(1)})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(codes(&p)[0].0, "version");
}

#[tokio::test]
async fn the_calendar_shows_tasks_follow_ups_and_planned_visits() {
    let app = TestApp::new().await;
    let t = team(&app).await;
    let c = app.customer(&t.li, "杭州云帆网络科技").await;
    task(&app, &t.li, json!({"title": "整理拜访记录", "due_at": day(2)})).await;
    task(&app, &t.li, json!({"title": "Far away", "due_at": day(80)})).await;
    // A long task that started before the range and ends within it.
    task(&app, &t.li, json!({"title": "准备投标文件", "start_at": day(-20), "due_at": day(1)})).await;
    let at = |days: i64| (chrono::Utc::now() + chrono::Duration::days(days)).to_rfc3339();
    let visit = json!({"customer_id": c, "kind": "visit", "subject": "上门拜访，演示方案", "occurred_at": at(3)});
    app.activities().by(&t.li).create(&visit).await;
    let call = json!({"customer_id": c, "kind": "call", "subject": "电话沟通", "occurred_at": at(-1),
        "next_step": "发送报价", "next_at": day(4)});
    app.activities().by(&t.li).create(&call).await;

    let range = format!("/api/v1/calendar?from={}&to={}", day(0), day(6));
    let (s, cal) = app.api(Method::GET, &range, Some(&t.li), None).await;
    assert_eq!(s, StatusCode::OK, "{cal}");
    let events: Vec<(String, String)> = cal["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].as_str().unwrap().to_owned(), e["title"].as_str().unwrap().to_owned()))
        .collect();
    for expected in
        [("task", "整理拜访记录"), ("task", "准备投标文件"), ("visit", "上门拜访，演示方案"), ("follow_up", "发送报价")]
    {
        assert!(events.contains(&(expected.0.to_owned(), expected.1.to_owned())), "{expected:?} in {events:?}");
    }
    assert!(!events.iter().any(|(_, title)| title == "Far away"));
    let visit_event = cal["events"].as_array().unwrap().iter().find(|e| e["kind"] == "visit").unwrap();
    assert_eq!(visit_event["customer_name"], "杭州云帆网络科技");
    assert_eq!(visit_event["link"], format!("/customers/{c}"));
    // Someone else's calendar: only for those whose scope covers them.
    let (_, theirs) = app.api(Method::GET, &range, Some(&t.wang), None).await;
    assert!(theirs["events"].as_array().unwrap().is_empty());
    let (s, managed) = app.api(Method::GET, &format!("{range}&user_id={}", t.li_id), Some(&t.manager), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(managed["events"].as_array().unwrap().len(), events.len());
    let (s, _) = app.api(Method::GET, &format!("{range}&user_id={}", t.li_id), Some(&t.zhao), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Ranges are bounded and well-formed.
    let (s, p) =
        app.api(Method::GET, &format!("/api/v1/calendar?from={}&to={}", day(0), day(70)), Some(&t.li), None).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(codes(&p), [("to".to_owned(), "range_too_long".to_owned())]);
    let (s, _) =
        app.api(Method::GET, &format!("/api/v1/calendar?from={}&to={}", day(5), day(0)), Some(&t.li), None).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = app.api(Method::GET, "/api/v1/calendar?from=today&to=tomorrow", Some(&t.li), None).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_hand_over_moves_open_tasks_but_not_done_ones() {
    let app = TestApp::new().await;
    let t = team(&app).await;
    let customer_id = app.customer(&t.wang, "青岛海景酒店").await;
    for title in ["季度回访", "催收货款"] {
        task(
            &app,
            &t.wang,
            json!({"title": title, "due_at": day(3), "related_kind": "customer", "related_id": customer_id}),
        )
        .await;
    }
    let done = task(&app, &t.wang, json!({"title": "已完成的拜访", "due_at": day(-3)})).await;
    let (s, _) = app.tasks().by(&t.wang).act(&done["id"], "complete", Some(&json!({"version": 1}))).await;
    assert_eq!(s, StatusCode::OK);
    let (s, moved) = app.users().by(&t.manager).act(t.wang_id, "transfer", Some(&json!({"to_user_id": t.li_id}))).await;
    assert_eq!(s, StatusCode::OK, "{moved}");
    assert_eq!(moved["customers"], 1);
    assert_eq!(moved["tasks"], 2);
    let (_, li_tasks) = app.tasks().by(&t.li).list("assignee=me").await;
    let mut got = titles(&li_tasks);
    got.sort();
    assert_eq!(got, ["催收货款", "季度回访"]);
    let (_, wang_tasks) = app.tasks().by(&t.wang).list("assignee=me&status=").await;
    assert_eq!(titles(&wang_tasks), ["已完成的拜访"]);
    // The reminders went along.
    let (_, notices) = app.notifications().by(&t.li).list("upcoming=true").await;
    assert_eq!(notices.as_array().unwrap().len(), 2);
    let (_, log) = app.audit_log().list("action=customer.transfer").await;
    assert_eq!(log["items"][0]["after"]["tasks"], 2);
}

// ---------------------------------------------------------------- pages

fn get(path: &str, cookies: &str, language: &str) -> Request<Body> {
    Request::builder()
        .uri(path)
        .header(header::COOKIE, cookies)
        .header("accept-language", language)
        .body(Body::empty())
        .unwrap()
}

fn post(path: &str, cookies: &str, body: &str, htmx: bool) -> Request<Body> {
    let mut b = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::COOKIE, cookies)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("accept-language", "en");
    if htmx {
        b = b.header("hx-request", "true");
    }
    b.body(Body::from(body.to_owned())).unwrap()
}

#[tokio::test]
async fn task_pages_create_complete_and_show_in_the_calendar() {
    let app = TestApp::new().await;
    let (cookies, csrf) = sign_in(&app).await;
    let c = app.customer(&app.admin, "上海华信科技有限公司").await;
    // Field errors keep what was typed.
    let bad = format!("_csrf={csrf}&title=%E5%9B%9E%E8%AE%BF&start_at={}&due_at={}&priority=normal", day(5), day(1));
    let (s, _, page) = app.send(post("/tasks", &cookies, &bad, false)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let html = page.as_str().unwrap();
    assert!(html.contains("The due date cannot be before the start date."), "{html}");
    assert!(html.contains("value=\"回访\""));
    let good = format!(
        "_csrf={csrf}&title=%E5%9B%9E%E8%AE%BF%E5%8D%8E%E4%BF%A1&due_at={}&priority=high&related=customer%3A{c}",
        day(1)
    );
    let (s, h, _) = app.send(post("/tasks", &cookies, &good, false)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let location = h.get(header::LOCATION).unwrap().to_str().unwrap().to_owned();
    let id: i64 = location.trim_start_matches("/tasks/").parse().unwrap();
    for (path, language, expected) in [
        ("/tasks", "en", "回访华信"),
        ("/tasks", "zh-CN", "我负责的"),
        (location.as_str(), "en", "上海华信科技有限公司"),
        (&format!("/customers/{c}"), "en", "回访华信"),
        (&format!("/calendar?view=week&date={}", day(1)), "zh-CN", "回访华信"),
        (&format!("/calendar?date={}", day(1)), "en", "回访华信"),
        ("/tasks/new", "zh-CN", "新建任务"),
        (&format!("/tasks/{id}/edit"), "en", "Edit task"),
    ] {
        let (s, _, page) = app.send(get(path, &cookies, language)).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        assert!(page.as_str().unwrap().contains(expected), "{path} should show {expected}");
    }
    // The customer picker answers with options.
    let (_, _, options) = app.send(get("/tasks/customer-options?customer_q=%E5%8D%8E%E4%BF%A1", &cookies, "en")).await;
    assert!(options.as_str().unwrap().contains(&format!("value=\"customer:{c}\"")));
    // One click completes it and answers with the row (htmx).
    let (s, _, row) =
        app.send(post(&format!("/tasks/{id}/complete"), &cookies, &format!("_csrf={csrf}&version=1"), true)).await;
    assert_eq!(s, StatusCode::OK);
    let row = row.as_str().unwrap();
    assert!(row.contains("task-row") && row.contains("closed"), "{row}");
    let (_, t) = app.tasks().get(id).await;
    assert_eq!(t["status"], "done");
    // The customer page lists only open tasks.
    let (_, _, page) = app.send(get(&format!("/customers/{c}"), &cookies, "en")).await;
    assert!(page.as_str().unwrap().contains("No open tasks."));
}

#[tokio::test]
async fn the_contract_names_work_in_and_out_and_the_old_ones_are_still_accepted() {
    let app = TestApp::new().await;
    let admin = app.admin.clone();
    let c = app.customer(&admin, "杭州海润食品有限公司").await;
    // The contract's names in, and out: days in the company's time zone (Shanghai).
    let t = task(
        &app,
        &admin,
        json!({"title": "季度回访", "start_date": "2030-01-10", "due_date": "2030-01-12",
               "related_type": "customer", "related_id": c}),
    )
    .await;
    assert_eq!((t["start_date"].as_str(), t["due_date"].as_str()), (Some("2030-01-10"), Some("2030-01-12")), "{t}");
    assert_eq!((t["related_type"].as_str(), t["related_id"].as_i64()), (Some("customer"), Some(c)));
    assert_eq!((t["status"].as_str(), t["in_progress"].as_bool()), (Some("open"), Some(false)));
    assert!(t.get("related_kind").is_none(), "{t}");
    // The instants stay beside the days: 09:00 and the end of the day, Shanghai time.
    assert_eq!(
        (t["start_at"].as_str(), t["due_at"].as_str()),
        (Some("2030-01-10T01:00:00Z"), Some("2030-01-12T15:59:00Z"))
    );
    // 20:00 UTC is already the next day in Shanghai.
    let late = task(&app, &admin, json!({"title": "晚间截止", "due_date": "2030-03-01T20:00:00Z"})).await;
    assert_eq!(late["due_date"], "2030-03-02");
    assert_eq!(late["start_date"], Value::Null);

    // The former names and the former status are still accepted.
    let old = task(
        &app,
        &admin,
        json!({"title": "旧字段任务", "start_at": "2030-02-01", "due_at": "2030-02-03",
               "related_kind": "customer", "related_id": c, "status": "in_progress"}),
    )
    .await;
    assert_eq!((old["start_date"].as_str(), old["due_date"].as_str()), (Some("2030-02-01"), Some("2030-02-03")));
    assert_eq!(old["related_type"], "customer");
    assert_eq!((old["status"].as_str(), old["in_progress"].as_bool()), (Some("open"), Some(true)), "{old}");
    let started =
        task(&app, &admin, json!({"title": "新字段进行中", "due_date": "2030-02-05", "in_progress": true})).await;
    assert_eq!((started["status"].as_str(), started["in_progress"].as_bool()), (Some("open"), Some(true)));

    // `status=open` includes the tasks in progress; `in_progress` still picks only those.
    let (_, open) = app.tasks().by(&admin).list("status=open&sort=due_date").await;
    assert_eq!(titles(&open), ["季度回访", "旧字段任务", "新字段进行中", "晚间截止"]);
    assert!(open["items"].as_array().unwrap().iter().all(|t| t["status"] == "open"), "{open}");
    let (_, busy) = app.tasks().by(&admin).list("status=in_progress").await;
    assert_eq!(titles(&busy), ["旧字段任务", "新字段进行中"]);
    for filter in ["related_type", "related_kind"] {
        let (s, related) = app.tasks().by(&admin).list(&format!("{filter}=customer&related_id={c}")).await;
        assert_eq!(s, StatusCode::OK, "{related}");
        assert_eq!(titles(&related), ["季度回访", "旧字段任务"], "{filter}");
    }
    let (s, p) = app.tasks().by(&admin).list("related_type=order").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(codes(&p), [("related_type".to_owned(), "invalid_choice".to_owned())]);
    let (s, p) = app.tasks().by(&admin).list("status=started").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(codes(&p), [("status".to_owned(), "invalid_choice".to_owned())]);

    // Writing back what was read (status "open") keeps the task in progress;
    // `in_progress: false` makes it plainly open; done is done.
    let mut back = json!({"title": "旧字段任务", "due_date": old["due_date"], "start_date": old["start_date"],
        "related_type": "customer", "related_id": c, "status": "open", "version": old["version"]});
    let (s, kept) = app.tasks().by(&admin).patch(&old["id"], &back).await;
    assert_eq!(s, StatusCode::OK, "{kept}");
    assert_eq!((kept["in_progress"].as_bool(), kept["due_date"].as_str()), (Some(true), Some("2030-02-03")));
    back["in_progress"] = json!(false);
    back["version"] = kept["version"].clone();
    let (_, plain) = app.tasks().by(&admin).patch(&old["id"], &back).await;
    assert_eq!((plain["status"].as_str(), plain["in_progress"].as_bool()), (Some("open"), Some(false)), "{plain}");
    back["status"] = json!("done");
    back["in_progress"] = json!(true);
    back["version"] = plain["version"].clone();
    let (_, done) = app.tasks().by(&admin).patch(&old["id"], &back).await;
    assert_eq!((done["status"].as_str(), done["in_progress"].as_bool()), (Some("done"), Some(false)), "{done}");

    // The served OpenAPI document names the contract's fields.
    let (_, doc) = app.api(Method::GET, "/api/openapi.json", None, None).await;
    let view = &doc["components"]["schemas"]["TaskView"]["properties"];
    for field in ["start_date", "due_date", "related_type", "related_id", "status", "in_progress"] {
        assert!(view.get(field).is_some(), "TaskView.{field}: {view}");
    }
    assert!(view.get("related_kind").is_none());
    let body = &doc["components"]["schemas"]["TaskBody"]["properties"];
    for field in ["start_date", "due_date", "related_type", "in_progress"] {
        assert!(body.get(field).is_some(), "TaskBody.{field}: {body}");
    }
}
