//! Limits, quotas and keys under many concurrent clients (issue 9): each
//! is enforced in the transaction of the write it guards, so a burst of
//! parallel requests cannot get past it, on SQLite and PostgreSQL alike.

use axum::http::{Method, StatusCode};
use salesflow_store::Store;
use salesflow_store::access::{self, NewUser};
use salesflow_store::entity::{customer, pipeline, user};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{TestApp, api_request, fresh_database, login_request, send_to};

/// Sends all requests at once, each from its own task; answers in order.
async fn burst(app: &TestApp, requests: Vec<axum::http::Request<axum::body::Body>>) -> Vec<(StatusCode, Value)> {
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|r| {
            let router = app.router.clone();
            tokio::spawn(async move {
                let (s, h, b) = send_to(&router, r).await;
                let replayed = h.get("idempotent-replayed").is_some();
                (s, json!({"body": b, "replayed": replayed}))
            })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.expect("task"));
    }
    out
}

fn statuses(answers: &[(StatusCode, Value)]) -> Vec<u16> {
    answers.iter().map(|(s, _)| s.as_u16()).collect()
}

fn count(answers: &[(StatusCode, Value)], status: StatusCode) -> usize {
    answers.iter().filter(|(s, _)| *s == status).count()
}

fn login(username: &str, password: &str, forwarded: &str) -> axum::http::Request<axum::body::Body> {
    login_request(username, password, &[("x-forwarded-for", forwarded)])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_guesses_cannot_pass_the_account_lock_by_username_or_email() {
    let app = TestApp::new().await;
    app.create_user("li.na", "salesperson", None).await;
    // 39 wrong passwords at once, half by username and half by e-mail
    // address, from many addresses: one account, one count.
    let guesses = (0..39)
        .map(|i| {
            let who = if i % 2 == 0 { "li.na" } else { "LI.NA@example.com" };
            login(who, &format!("wrong-{i}"), &format!("198.51.100.{}", i + 1))
        })
        .collect();
    let answers = burst(&app, guesses).await;
    let refused = count(&answers, StatusCode::UNAUTHORIZED);
    assert!(refused <= 5, "{refused} guesses reached the password check; the limit is 5");
    assert_eq!(refused + count(&answers, StatusCode::TOO_MANY_REQUESTS), 39, "{:?}", statuses(&answers));
    // Guesses one by one until the lock: five in all, whichever identifier.
    let mut more = 0;
    loop {
        let (s, _, _) = app.send(login("li.na@example.com", "wrong-again", "192.0.2.50")).await;
        if s == StatusCode::TOO_MANY_REQUESTS {
            break;
        }
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        more += 1;
        assert!(more <= 5, "never locked");
    }
    assert_eq!(refused + more, 5, "five failures lock the account, by username and e-mail together");
    // Now even the right password is refused, by username and by e-mail.
    for who in ["li.na", "li.na@example.com"] {
        let (s, _, _) = app.send(login(who, "password-123", "192.0.2.51")).await;
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{who}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_address_throttle_takes_the_address_the_proxy_appended() {
    let app = TestApp::new().await;
    app.create_user("li.na", "salesperson", None).await;
    // 30 failures at once from one client who writes a fresh address into
    // the left of X-Forwarded-For each time; the proxy appends the real one.
    let guesses =
        (0..30).map(|i| login(&format!("nobody{i}"), "wrong-pass", &format!("10.9.{i}.1, 203.0.113.99"))).collect();
    let answers = burst(&app, guesses).await;
    let refused = count(&answers, StatusCode::UNAUTHORIZED);
    assert!(refused <= 20, "{refused} failures from one address got through; the limit is 20");
    assert_eq!(refused + count(&answers, StatusCode::TOO_MANY_REQUESTS), 30);
    for i in refused..20 {
        let (s, _, _) = app.send(login(&format!("later{i}"), "wrong-pass", "10.10.10.10, 203.0.113.99")).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, _, _) = app.send(login("li.na", "password-123", "10.0.0.77, 203.0.113.99")).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "the spoofed left part changes nothing");
    // The same spoofed left part with another real address is someone else.
    let (s, _, _) = app.send(login("li.na", "password-123", "203.0.113.99, 203.0.113.100")).await;
    assert_eq!(s, StatusCode::OK);
}

async fn pool_customer(app: &TestApp, name: &str) -> i64 {
    let (s, c) = app.customers().post(&json!({"name": name, "to_pool": true, "allow_duplicate": true})).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    c["id"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_parallel_claims_with_a_limit_of_three_claim_three() {
    let app = TestApp::new().await;
    let (_, li) = app.signed_in("li.na", "salesperson", None).await;
    app.set_claim_limit(3).await;
    let mut ids = Vec::new();
    for i in 0..30 {
        ids.push(pool_customer(&app, &format!("公海客户 {i}")).await);
    }
    let claims =
        ids.iter().map(|id| api_request(Method::POST, &format!("/api/v1/customers/{id}/claim"), Some(&li), None, &[]));
    let answers = burst(&app, claims.collect()).await;
    assert_eq!(count(&answers, StatusCode::OK), 3, "{:?}", statuses(&answers));
    assert_eq!(count(&answers, StatusCode::UNPROCESSABLE_ENTITY), 27);
    for (s, a) in &answers {
        if *s == StatusCode::UNPROCESSABLE_ENTITY {
            assert_eq!(a["body"]["errors"][0]["code"], "claim_limit", "{a}");
        }
    }
    let mine = customer::Entity::find()
        .filter(customer::Column::OwnerId.is_not_null())
        .count(app.store.reader())
        .await
        .unwrap();
    assert_eq!(mine, 3);
}

#[tokio::test]
async fn releasing_does_not_give_a_claim_back() {
    let app = TestApp::new().await;
    let (_, li) = app.signed_in("li.na", "salesperson", None).await;
    app.set_claim_limit(2).await;
    let id = pool_customer(&app, "杭州西湖茶业").await;
    for _ in 0..2 {
        let (s, b) = app.customers().by(&li).act(id, "claim", None).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let (s, b) = app.customers().by(&li).act(id, "release", None).await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    // Claim, release, claim, release: two claims today, the limit is two.
    let (s, p) = app.customers().by(&li).act(id, "claim", None).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["code"], "claim_limit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_idempotency_key_creates_one_customer_however_many_send_it() {
    let app = TestApp::new().await;
    let body = json!({"name": "幂等 测试客户", "allow_duplicate": true});
    let post = |b: &Value| {
        api_request(Method::POST, "/api/v1/customers", Some(&app.admin), Some(b.clone()), &[("idempotency-key", "k-1")])
    };
    let answers = burst(&app, (0..20).map(|_| post(&body)).collect()).await;
    let created: Vec<&Value> = answers.iter().filter(|(s, _)| *s == StatusCode::CREATED).map(|(_, a)| a).collect();
    assert!(!created.is_empty(), "{answers:?}");
    assert_eq!(created.len() + count(&answers, StatusCode::CONFLICT), 20, "only 201 or 409: {answers:?}");
    assert_eq!(created.iter().filter(|a| a["replayed"] == false).count(), 1, "one ran, the others replayed");
    let id = &created[0]["body"]["id"];
    assert!(created.iter().all(|a| &a["body"]["id"] == id));
    for (s, a) in &answers {
        if *s == StatusCode::CONFLICT {
            assert_eq!(a["body"]["status"], 409, "problem JSON: {a}");
        }
    }
    let n = customer::Entity::find()
        .filter(customer::Column::Name.eq("幂等 测试客户"))
        .count(app.store.reader())
        .await
        .unwrap();
    assert_eq!(n, 1);
    // A later retry replays; the key with another body or path is refused.
    let (s, h, b) = send_to(&app.router, post(&body)).await;
    assert_eq!((s, h.get("idempotent-replayed").is_some(), &b["id"]), (StatusCode::CREATED, true, id));
    let (s, _, p) = send_to(&app.router, post(&json!({"name": "别的客户"}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let other_path = api_request(
        Method::POST,
        "/api/v1/tasks",
        Some(&app.admin),
        Some(json!({"title": "x"})),
        &[("idempotency-key", "k-1")],
    );
    let (s, _, p) = send_to(&app.router, other_path).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["type"], "https://salesflow.dev/problems/idempotency");
    // A failed request gives its key up: fixed and retried, it runs.
    let bad = api_request(
        Method::POST,
        "/api/v1/customers",
        Some(&app.admin),
        Some(json!({"name": ""})),
        &[("idempotency-key", "k-2")],
    );
    let (s, _, _) = send_to(&app.router, bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let good = api_request(
        Method::POST,
        "/api/v1/customers",
        Some(&app.admin),
        Some(json!({"name": "改好的客户"})),
        &[("idempotency-key", "k-2")],
    );
    let (s, h, p) = send_to(&app.router, good).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    assert!(h.get("idempotent-replayed").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn identical_checklist_ticks_racing_all_succeed() {
    let app = TestApp::new().await;
    let (_, c) = app.customers().post(&json!({"name": "勾选 并发 客户"})).await;
    let (s, o) = app.opportunities().post(&json!({"name": "并发勾选", "customer_id": c["id"], "amount": "1000"})).await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let id = o["id"].as_i64().unwrap();
    let (_, pipelines) = app.pipelines().list("").await;
    let pipeline = pipelines.as_array().unwrap().iter().find(|p| p["id"] == o["pipeline_id"]).unwrap();
    let item = pipeline["stages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["checklist"].as_array().unwrap())
        .next()
        .expect("a checklist item")["id"]
        .as_i64()
        .unwrap();
    for done in [true, false] {
        let ticks = (0..20)
            .map(|_| {
                api_request(
                    Method::PATCH,
                    &format!("/api/v1/opportunities/{id}/checklist/{item}"),
                    Some(&app.admin),
                    Some(json!({"done": done})),
                    &[],
                )
            })
            .collect();
        let answers = burst(&app, ticks).await;
        assert_eq!(count(&answers, StatusCode::OK), 20, "done={done}: {answers:?}");
    }
    // Recorded once each way, not twenty times.
    let (_, history) = app.opportunities().get_part(id, "history").await;
    let text = history.to_string();
    assert_eq!(text.matches("checklist_done").count(), 1, "{text}");
    assert_eq!(text.matches("checklist_undone").count(), 1, "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reset_requests_send_three_links_an_hour() {
    let app = TestApp::new().await;
    let requests = (0..12)
        .map(|_| {
            api_request(
                Method::POST,
                "/api/v1/auth/password-reset",
                None,
                Some(json!({"email": "admin@example.com"})),
                &[],
            )
        })
        .collect();
    let answers = burst(&app, requests).await;
    assert_eq!(count(&answers, StatusCode::ACCEPTED), 12);
    let (_, outbox) = app.outbox().list("").await;
    assert_eq!(outbox["items"].as_array().unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_username_or_email_created_at_once_is_a_clean_422() {
    let app = TestApp::new().await;
    let role = app.role_id("salesperson").await;
    let requests = (0..10)
        .map(|i| {
            api_request(
                Method::POST,
                "/api/v1/users",
                Some(&app.admin),
                Some(json!({
                    "username": if i % 2 == 0 { "wang.fang".to_owned() } else { format!("wang.fang{i}") },
                    "email": "wang.fang@example.com",
                    "display_name": "王芳",
                    "password": "password-123",
                    "role_id": role,
                })),
                &[],
            )
        })
        .collect();
    let answers = burst(&app, requests).await;
    assert_eq!(count(&answers, StatusCode::CREATED), 1, "{answers:?}");
    for (s, a) in answers.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
        assert_eq!(*s, StatusCode::UNPROCESSABLE_ENTITY, "{a}");
        assert_eq!(a["body"]["errors"][0]["code"], "already_taken", "{a}");
    }
}

/// What `salesflow serve` does on start: migrate, add the built-in rows,
/// create the first administrator if there is nobody yet.
async fn start_node(url: String) -> Option<i64> {
    let store = Store::connect(&url).await.expect("connect");
    store.migrate().await.expect("migrate");
    access::bootstrap(&store).await.expect("bootstrap");
    let role = access::role_by_code(&store, "admin").await.unwrap().expect("admin role");
    let admin = NewUser {
        username: "admin".into(),
        email: "admin@salesflow.local".into(),
        display_name: "Administrator".into(),
        password: "first-admin-password".into(),
        role_id: role.id,
        ..Default::default()
    };
    access::create_first_admin(&store, admin).await.expect("first admin").map(|u| u.id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nodes_starting_at_once_on_an_empty_database_make_one_administrator() {
    for _ in 0..3 {
        let (url, file) = fresh_database().await;
        let nodes: Vec<_> = (0..3).map(|_| tokio::spawn(start_node(url.clone()))).collect();
        let mut created = 0;
        for n in nodes {
            created += usize::from(n.await.expect("node started").is_some());
        }
        assert_eq!(created, 1, "exactly one node creates the administrator");
        let store = Store::connect(&url).await.unwrap();
        assert_eq!(user::Entity::find().count(store.reader()).await.unwrap(), 1);
        // The built-in rows once each, too.
        let codes: Vec<Option<String>> =
            pipeline::Entity::find().all(store.reader()).await.unwrap().into_iter().map(|p| p.code).collect();
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(codes.len(), unique.len(), "shipped pipelines installed twice: {codes:?}");
        let roles = access::list_roles(&store, &salesflow_store::Actor::system()).await.unwrap();
        assert_eq!(roles.len(), salesflow_domain::access::built_in_roles().len());
        drop(store);
        if let Some(f) = file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", f.display()));
            }
        }
    }
}
