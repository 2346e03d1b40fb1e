//! Managers work their team: lists filtered by owner and by team within
//! the caller's scope, the hand-over with its preview (all, selected, by
//! filter), and the person picker searched by pinyin.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, USER_PASSWORD};
use crate::support::{field_codes, ids};

/// A team: 华东 with 上海组 below it, and 华南 beside it.
struct Team {
    east: i64,
    south: i64,
    manager: String,
    /// In 华东.
    a: (i64, String),
    /// In 上海组, below 华东.
    b: (i64, String),
    /// In 华南: outside the manager's scope.
    c: (i64, String),
}

async fn team(app: &TestApp) -> Team {
    let east = app.department("华东").await;
    let shanghai = app.department_under("上海组", Some(east)).await;
    let south = app.department("华南").await;
    let (_, manager) = app.signed_in("zhou.jun", "sales_manager", Some(east)).await;
    let a = app.signed_in("rep.a", "salesperson", Some(east)).await;
    let b = app.signed_in("rep.b", "salesperson", Some(shanghai)).await;
    let c = app.signed_in("rep.c", "salesperson", Some(south)).await;
    Team { east, south, manager, a, b, c }
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().expect("an id")
}

/// One customer, lead and open deal of the holder of `token`.
async fn records(app: &TestApp, token: &str, tag: &str) -> (i64, i64, i64) {
    let customer = app.customer(token, &format!("{tag}客户公司")).await;
    let lead = id(&app
        .leads()
        .by(token)
        .create(&json!({"name": format!("{tag}联系人"), "company": format!("{tag}线索单位")}))
        .await);
    let deal = id(&app
        .opportunities()
        .by(token)
        .create(&json!({"name": format!("{tag}项目"), "customer_id": customer, "amount": "1000"}))
        .await);
    (customer, lead, deal)
}

#[tokio::test]
async fn lists_filter_by_owner_and_by_team_below_it_only_within_the_callers_scope() {
    let app = TestApp::new().await;
    let t = team(&app).await;
    records(&app, &t.a.1, "甲").await;
    records(&app, &t.b.1, "乙").await;
    records(&app, &t.c.1, "丙").await;
    for list in ["customers", "leads", "opportunities"] {
        let get = |query: String| {
            let app = &app;
            let token = t.manager.clone();
            async move {
                let (s, page) = app.api(Method::GET, &format!("/api/v1/{list}?{query}"), Some(&token), None).await;
                assert_eq!(s, StatusCode::OK, "{list}?{query}: {page}");
                ids(&page).len()
            }
        };
        // The team filter takes the departments below it too.
        assert_eq!(get(format!("department_id={}", t.east)).await, 2, "{list}: 华东 with 上海组");
        assert_eq!(get(format!("owner_id={}", t.b.0)).await, 1, "{list}: one owner");
        assert_eq!(get(format!("owner_id={}&department_id={}", t.a.0, t.east)).await, 1, "{list}: both");
        // Another team's people and departments give no rows.
        assert_eq!(get(format!("department_id={}", t.south)).await, 0, "{list}: another team");
        assert_eq!(get(format!("owner_id={}", t.c.0)).await, 0, "{list}: another team's rep");
        // The administrator sees that team.
        let (_, page) =
            app.api(Method::GET, &format!("/api/v1/{list}?department_id={}", t.south), Some(&app.admin), None).await;
        assert_eq!(ids(&page).len(), 1, "{list}: the administrator");
    }
}

#[tokio::test]
async fn the_preview_counts_what_the_hand_over_then_moves() {
    let app = TestApp::new().await;
    let t = team(&app).await;
    let (c1, _, _) = records(&app, &t.a.1, "甲").await;
    records(&app, &t.a.1, "丁").await;
    let task = json!({"title": "回访甲客户", "due_at": "2099-01-05", "related_kind": "customer", "related_id": c1});
    let (s, body) = app.tasks().by(&t.a.1).post(&task).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let plan = json!({"to_user_id": t.b.0, "dry_run": true});
    let (s, preview) = app.users().by(&t.manager).act(t.a.0, "transfer", Some(&plan)).await;
    assert_eq!(s, StatusCode::OK, "{preview}");
    assert_eq!(preview["dry_run"], true);
    assert_eq!((preview["customers"].as_u64(), preview["leads"].as_u64()), (Some(2), Some(2)));
    assert_eq!((preview["opportunities"].as_u64(), preview["tasks"].as_u64()), (Some(2), Some(1)));
    // The preview changed nothing.
    let (_, still) = app.customers().by(&t.manager).list(&format!("owner_id={}", t.a.0)).await;
    assert_eq!(ids(&still).len(), 2);

    let (s, moved) = app.users().by(&t.manager).act(t.a.0, "transfer", Some(&json!({"to_user_id": t.b.0}))).await;
    assert_eq!(s, StatusCode::OK, "{moved}");
    assert_eq!(moved["dry_run"], false);
    for kind in ["customers", "leads", "opportunities", "tasks"] {
        assert_eq!(moved[kind], preview[kind], "{kind}");
    }
    let (_, theirs) = app.customers().by(&t.manager).list(&format!("owner_id={}", t.b.0)).await;
    assert_eq!(ids(&theirs).len(), 2);
    let (_, log) = app.audit_log().list("action=customer.transfer").await;
    assert_eq!(log["items"][0]["after"]["customers"], 2, "{log}");
    assert_eq!(log["items"][0]["after"]["mode"], "all");
}

#[tokio::test]
async fn moving_all_leaves_deleted_customers_and_leads_where_they_are() {
    let app = TestApp::new().await;
    let t = team(&app).await;
    let (kept, _, _) = records(&app, &t.a.1, "甲").await;
    let gone = app.customer(&t.a.1, "乙已删客户公司").await;
    let gone_lead = id(&app.leads().by(&t.a.1).create(&json!({"name": "已删线索", "company": "丙线索单位"})).await);
    for (s, body) in
        [app.customers().by(&t.manager).delete(gone).await, app.leads().by(&t.manager).delete(gone_lead).await]
    {
        assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    }
    let plan = json!({"to_user_id": t.b.0, "dry_run": true});
    let (s, preview) = app.users().by(&t.manager).act(t.a.0, "transfer", Some(&plan)).await;
    assert_eq!(s, StatusCode::OK, "{preview}");
    assert_eq!((preview["customers"].as_u64(), preview["leads"].as_u64()), (Some(1), Some(1)), "{preview}");
    let (s, moved) = app.users().by(&t.manager).act(t.a.0, "transfer", Some(&json!({"to_user_id": t.b.0}))).await;
    assert_eq!(s, StatusCode::OK, "{moved}");
    assert_eq!((moved["customers"].as_u64(), moved["leads"].as_u64()), (Some(1), Some(1)), "{moved}");
    let (_, live) = app.customers().by(&t.manager).get(kept).await;
    assert_eq!(live["owner_id"], t.b.0);
    // Restored, the deleted ones are still the first rep's.
    for (s, body) in [
        app.customers().by(&t.manager).act(gone, "restore", None).await,
        app.leads().by(&t.manager).act(gone_lead, "restore", None).await,
    ] {
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(body["owner_id"], t.a.0, "a deleted record stays with its owner: {body}");
    }
}

#[tokio::test]
async fn a_selective_hand_over_moves_only_the_selected_and_a_filter_only_what_matches() {
    let app = TestApp::new().await;
    let t = team(&app).await;
    let (c1, l1, d1) = records(&app, &t.a.1, "甲").await;
    let (c2, l2, d2) = records(&app, &t.a.1, "丁").await;
    let selection = json!({"customers": [c1], "leads": [l2]});
    let body = json!({"to_user_id": t.b.0, "mode": "selected", "selection": selection, "dry_run": true});
    let (s, preview) = app.users().by(&t.manager).act(t.a.0, "transfer", Some(&body)).await;
    assert_eq!(s, StatusCode::OK, "{preview}");
    assert_eq!(preview, json!({"dry_run": true, "customers": 1, "leads": 1, "opportunities": 0, "tasks": 0}));
    let body = json!({"to_user_id": t.b.0, "mode": "selected", "selection": selection});
    let (s, moved) = app.users().by(&t.manager).act(t.a.0, "transfer", Some(&body)).await;
    assert_eq!(s, StatusCode::OK, "{moved}");
    assert_eq!(moved, json!({"dry_run": false, "customers": 1, "leads": 1, "opportunities": 0, "tasks": 0}));
    let owner = |v: Value| v["owner_id"].as_i64();
    assert_eq!(owner(app.customers().get(c1).await.1), Some(t.b.0));
    assert_eq!(owner(app.customers().get(c2).await.1), Some(t.a.0), "not selected: stays");
    assert_eq!(owner(app.leads().get(l2).await.1), Some(t.b.0));
    assert_eq!(owner(app.leads().get(l1).await.1), Some(t.a.0));
    assert_eq!(owner(app.opportunities().get(d1).await.1), Some(t.a.0), "deals were not selected");

    // A record that is not the person's any more refuses the whole plan.
    let body = json!({"to_user_id": t.b.0, "mode": "selected", "selection": {"customers": [c1, c2]}});
    let (s, p) = app.users().by(&t.manager).act(t.a.0, "transfer", Some(&body)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(field_codes(&p), ["customer_ids:not_movable"]);
    assert_eq!(owner(app.customers().get(c2).await.1), Some(t.a.0), "nothing moved");

    // By filter: the grade-A customers and the open deals on them; kinds left out stay.
    let (_, c) = app.customers().by(&t.a.1).get(c2).await;
    let (s, body) = app.customers().by(&t.a.1).patch(c2, &json!({"grade": "A", "version": c["version"]})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let body = json!({"to_user_id": t.b.0, "mode": "filter", "filter": {"grade": "A"},
        "kinds": {"customers": true, "opportunities": true, "leads": true, "tasks": false}, "dry_run": true});
    let (_, preview) = app.users().by(&t.manager).act(t.a.0, "transfer", Some(&body)).await;
    assert_eq!(preview, json!({"dry_run": true, "customers": 1, "leads": 0, "opportunities": 1, "tasks": 0}));
    let mut run = body.clone();
    run["dry_run"] = json!(false);
    let (_, moved) = app.users().by(&t.manager).act(t.a.0, "transfer", Some(&run)).await;
    assert_eq!(moved["opportunities"], 1);
    assert_eq!(owner(app.opportunities().get(d2).await.1), Some(t.b.0));
}

#[tokio::test]
async fn a_hand_over_stays_inside_the_callers_scope() {
    let app = TestApp::new().await;
    let t = team(&app).await;
    records(&app, &t.c.1, "丙").await;
    records(&app, &t.a.1, "甲").await;
    // Not to someone of another team…
    let (s, p) =
        app.users().by(&t.manager).act(t.a.0, "transfer", Some(&json!({"to_user_id": t.c.0, "dry_run": true}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(field_codes(&p), ["to_user_id:owner_outside_scope"]);
    // …nor that person's records, preview or not.
    for dry_run in [true, false] {
        let body = json!({"to_user_id": t.a.0, "dry_run": dry_run});
        let (s, _) = app.users().by(&t.manager).act(t.c.0, "transfer", Some(&body)).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
    // A salesperson may not preview either.
    let (s, _) =
        app.users().by(&t.a.1).act(t.a.0, "transfer", Some(&json!({"to_user_id": t.b.0, "dry_run": true}))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

async fn person(app: &TestApp, username: &str, name: &str, department: i64) -> i64 {
    let (_, roles) = app.roles().list("").await;
    let role = roles.as_array().unwrap().iter().find(|r| r["code"] == "salesperson").unwrap()["id"].clone();
    let body = json!({"username": username, "email": format!("{username}@example.com"), "display_name": name,
        "password": USER_PASSWORD, "role_id": role, "department_id": department});
    let (s, u) = app.users().post(&body).await;
    assert_eq!(s, StatusCode::CREATED, "{u}");
    id(&u)
}

#[tokio::test]
async fn the_person_picker_finds_people_of_the_scope_by_pinyin_initials_and_sorts_by_pinyin() {
    let app = TestApp::new().await;
    let t = team(&app).await;
    let zhang = person(&app, "zw", "张伟", t.east).await;
    let li = person(&app, "ln", "李娜", t.east).await;
    let wang = person(&app, "wf", "王芳", t.east).await;
    person(&app, "zx", "张新", t.south).await;
    let find = |q: &str| {
        let (app, token, q) = (&app, t.manager.clone(), q.to_owned());
        async move {
            let (s, found) = app
                .api(Method::GET, &format!("/api/v1/people?q={}", crate::support::urlencode(&q)), Some(&token), None)
                .await;
            assert_eq!(s, StatusCode::OK, "{found}");
            found.as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect::<Vec<i64>>()
        }
    };
    assert_eq!(find("zw").await, [zhang], "initials");
    assert_eq!(find("ZHANG").await, [zhang], "pinyin, any case; 张新 is outside the scope");
    assert_eq!(find("李").await, [li], "characters");
    assert_eq!(find("wang fang").await, [wang], "pinyin with a space");
    assert!(find("zz").await.is_empty());
    // Sorted by pinyin: 李娜 (lina), 王芳 (wangfang), 张伟 (zhangwei).
    let all = find("").await;
    let order: Vec<i64> = all.iter().copied().filter(|id| [zhang, li, wang].contains(id)).collect();
    assert_eq!(order, [li, wang, zhang]);
    // A renamed person is found by the new name's pinyin.
    let (_, u) = app.users().get(wang).await;
    let (s, _) = app.users().patch(wang, &json!({"display_name": "欧阳芳", "version": u["version"]})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(find("oyf").await, [wang]);
    // A salesperson's picker holds only themselves.
    let (s, mine) = app.api(Method::GET, "/api/v1/people", Some(&t.a.1), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["id"], t.a.0);
}
