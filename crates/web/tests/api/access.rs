//! Users, departments, roles: permissions, data scope, versions, soft delete.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::support::ids;

/// A role that may view users and the audit log, with the given scope.
async fn viewer_role(app: &TestApp, code: &str, scope: &str) -> i64 {
    let r = app
        .roles()
        .create(&json!({"code": code, "name": code, "data_scope": scope,
                        "permissions": {"access": ["view"], "audit": ["view"]}}))
        .await;
    r["id"].as_i64().unwrap()
}

#[tokio::test]
async fn scope_own_sees_only_itself_and_gets_404_elsewhere() {
    let app = TestApp::new().await;
    viewer_role(&app, "own_viewer", "own").await;
    let (me, token) = app.signed_in("li.na", "own_viewer", None).await;
    let other = app.create_user("zhao.lei", "salesperson", None).await;

    let (s, page) = app.users().by(&token).list("limit=500").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ids(&page), vec![me]);
    let (s, found) = app.users().by(&token).list("q=zhao").await;
    assert_eq!(s, StatusCode::OK);
    assert!(ids(&found).is_empty());
    let (s, p) = app.users().by(&token).get(other).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{p}");
    assert_eq!(p["status"], 404);

    // The audit log is scoped too: only li.na's own sign-in is visible.
    let (s, log) = app.audit_log().by(&token).list("limit=500").await;
    assert_eq!(s, StatusCode::OK);
    let actors: Vec<&Value> = log["items"].as_array().unwrap().iter().map(|e| &e["actor_id"]).collect();
    assert!(!actors.is_empty());
    assert!(actors.iter().all(|a| a.as_i64() == Some(me)), "{actors:?}");

    // A salesperson without the view permission gets 403 on the list.
    let sales = app.login("zhao.lei", "password-123").await;
    let (s, _) = app.users().by(&sales).list("").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // …but may always read their own account.
    let (s, _) = app.users().by(&sales).get(other).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn team_and_department_scopes_follow_the_tree() {
    let app = TestApp::new().await;
    let sales = app.department_under("销售部", None).await;
    let east = app.department_under("华东销售组", Some(sales)).await;
    let south = app.department_under("华南销售组", Some(sales)).await;
    viewer_role(&app, "team_viewer", "team").await;
    viewer_role(&app, "dept_viewer", "department").await;
    let head = app.create_user("liu.yang", "dept_viewer", Some(sales)).await;
    let lead = app.create_user("zhang.wei", "team_viewer", Some(east)).await;
    let east_rep = app.create_user("li.na", "salesperson", Some(east)).await;
    let south_rep = app.create_user("zhao.lei", "salesperson", Some(south)).await;

    let token = app.login("zhang.wei", "password-123").await;
    let (_, page) = app.users().by(&token).list("sort=id").await;
    assert_eq!(ids(&page), vec![lead, east_rep]);

    let token = app.login("liu.yang", "password-123").await;
    let (_, page) = app.users().by(&token).list("sort=id").await;
    assert_eq!(ids(&page), vec![head, lead, east_rep, south_rep]);
}

#[tokio::test]
async fn stale_version_is_a_conflict_and_changes_nothing() {
    let app = TestApp::new().await;
    let id = app.create_user("wang.fang", "salesperson", None).await;
    let (_, user) = app.users().get(id).await;
    let v = user["version"].as_i64().unwrap();
    let (s, first) = app.users().patch(id, &json!({"version": v, "display_name": "王芳"})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(first["version"], v + 1);
    let (s, p) = app.users().patch(id, &json!({"version": v, "display_name": "Someone else"})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{p}");
    let (_, now) = app.users().get(id).await;
    assert_eq!(now["display_name"], "王芳");
    assert_eq!(now["version"], v + 1);
}

#[tokio::test]
async fn users_are_soft_deleted_and_restored() {
    let app = TestApp::new().await;
    let (id, token) = app.signed_in("he.ping", "after_sales", None).await;
    let (s, _) = app.users().delete(id).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.me(&token).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (_, live) = app.users().list("").await;
    assert!(!ids(&live).contains(&id));
    let (_, deleted) = app.users().list("deleted=true").await;
    assert_eq!(ids(&deleted), vec![id]);
    let (s, restored) = app.users().act(id, "restore", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(restored["active"], true);
    app.login("he.ping", "password-123").await;
    // Nobody deletes themselves.
    let (_, me) = app.me(&app.admin).await;
    let my_id = me["user"]["id"].as_i64().unwrap();
    let (s, _) = app.users().delete(my_id).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn user_validation_is_field_level() {
    let app = TestApp::new().await;
    let role_id = app.role_id("salesperson").await;
    let (s, p) = app
        .users()
        .post(&json!({"username": "a b", "email": "not-an-email", "display_name": "x".repeat(101),
                        "password": "short", "role_id": role_id, "department_id": 999999}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let mut fields: Vec<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    fields.sort();
    assert_eq!(fields, ["department_id", "display_name", "email", "password", "username"]);
    assert!(p["errors"][0]["message"].as_str().is_some_and(|m| !m.is_empty()));
    // Duplicates, in any case.
    app.create_user("zhou.jie", "salesperson", None).await;
    let (s, p) = app
        .users()
        .post(&json!({"username": "ZHOU.JIE", "email": "zhou.jie@EXAMPLE.com", "display_name": "周杰",
                        "password": "password-123", "role_id": role_id}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"].as_array().unwrap().len(), 2, "{p}");
}

#[tokio::test]
async fn cursor_pages_cover_every_user_once() {
    let app = TestApp::new().await;
    for i in 0..7 {
        app.create_user(&format!("user{i}"), "salesperson", None).await;
    }
    for sort in ["display_name", "-created_at", "username", "-id"] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/users?limit=3&sort={sort}&cursor={c}"),
                None => format!("/api/v1/users?limit=3&sort={sort}"),
            };
            let (s, page) = app.api(Method::GET, &path, Some(&app.admin), None).await;
            assert_eq!(s, StatusCode::OK, "{page}");
            seen.extend(ids(&page));
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(seen.len(), 8, "sort {sort}: {seen:?}");
        assert_eq!(unique.len(), 8);
    }
    let (s, p) = app.users().list("sort=password_hash").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "sort");
    let (s, _) = app.users().list("limit=501").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // A cursor is the server's own token: a bad one is a malformed request.
    let (s, _) = app.users().list("cursor=garbage").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn departments_refuse_cycles_and_deleting_when_not_empty() {
    let app = TestApp::new().await;
    let top = app.department_under("管理层", None).await;
    let child = app.department_under("销售部", Some(top)).await;
    let (_, list) = app.departments().list("").await;
    let version = list.as_array().unwrap().iter().find(|d| d["id"] == top).unwrap()["version"].as_i64().unwrap();
    let (s, p) = app.departments().patch(top, &json!({"name": "管理层", "parent_id": child, "version": version})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["code"], "department_cycle");
    app.create_user("ma.lin", "management", Some(child)).await;
    let (s, p) = app.departments().delete(child).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["code"], "department_not_empty");
    let empty = app.department_under("财务部", Some(top)).await;
    let (s, _) = app.departments().delete(empty).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.departments().act(empty, "restore", None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn only_administrators_grant_roles() {
    let app = TestApp::new().await;
    // A role that may edit users but not administer access.
    app.roles()
        .create(&json!({"code": "hr", "name": "HR", "data_scope": "all", "permissions": {"access": ["view", "edit"]}}))
        .await;
    let (_, token) = app.signed_in("hr.person", "hr", None).await;
    let target = app.create_user("li.na", "salesperson", None).await;
    let (_, user) = app.users().by(&token).get(target).await;
    let admin_role = app.role_id("admin").await;
    let (s, _) =
        app.users().by(&token).patch(target, &json!({"version": user["version"], "role_id": admin_role})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) =
        app.users().by(&token).patch(target, &json!({"version": user["version"], "display_name": "李娜"})).await;
    assert_eq!(s, StatusCode::OK);
    // Built-in roles stay; the admin role keeps its administer right.
    let (s, _) = app.roles().delete(admin_role).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, role) = app.roles().get(admin_role).await;
    let (s, p) = app.roles().patch(admin_role, &json!({"code": "admin", "name": "Admin", "data_scope": "all", "permissions": {"access": ["view"]}, "version": role["version"]}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
}

#[tokio::test]
async fn built_in_roles_are_named_in_the_readers_language_and_custom_ones_as_typed() {
    let app = TestApp::new().await;
    let roles_in = |language: &'static str| {
        let app = &app;
        async move {
            let request = crate::helpers::api_request(
                axum::http::Method::GET,
                "/api/v1/roles",
                Some(&app.admin),
                None,
                &[("accept-language", language)],
            );
            let (s, _, roles) = app.send(request).await;
            assert_eq!(s, StatusCode::OK, "{roles}");
            roles.as_array().unwrap().clone()
        }
    };
    let name = |roles: &[Value], code: &str| roles.iter().find(|r| r["code"] == code).unwrap()["name"].clone();
    let (en, zh) = (roles_in("en").await, roles_in("zh-CN").await);
    assert_eq!((name(&en, "admin"), name(&zh, "admin")), (json!("Administrator"), json!("系统管理员")));
    assert_eq!((name(&en, "salesperson"), name(&zh, "salesperson")), (json!("Salesperson"), json!("销售顾问")));

    // Saved under its shipped name, a built-in role still follows the reader.
    let manager = en.iter().find(|r| r["code"] == "sales_manager").unwrap().clone();
    let (s, p) =
        app.roles().patch(&manager["id"], &json!({"name": "Sales manager", "version": manager["version"]})).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(name(&roles_in("zh-CN").await, "sales_manager"), json!("销售主管"));
    // A name an administrator types stays, in every language; so do custom roles'.
    let (s, p) = app.roles().patch(&manager["id"], &json!({"name": "大区经理", "version": p["version"]})).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    app.roles()
        .create(&json!({"code": "field_sales", "name": "外勤销售", "data_scope": "own", "permissions": {}}))
        .await;
    let en = roles_in("en").await;
    assert_eq!((name(&en, "sales_manager"), name(&en, "field_sales")), (json!("大区经理"), json!("外勤销售")));
}
