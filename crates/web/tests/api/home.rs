//! The home page (工作台): a salesperson's own figures, a manager's team
//! with a row per person, an administrator's system health; the stalled
//! and unanswered follow-up filters behind the figures; the page itself.

use axum::http::StatusCode;
use chrono::{Datelike, Duration, Utc};
use salesflow_store::entity::{customer, opportunity};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{TestApp, USER_PASSWORD};
use crate::support::browser::{get, sign_in_as};

fn figure(home: &Value, name: &str) -> i64 {
    home["figures"][name].as_i64().unwrap_or_else(|| panic!("{name} in {home}"))
}

fn names(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn home_shows_a_salespersons_day_and_a_managers_team() {
    let app = TestApp::new().await;
    let east = app.department("华东销售部").await;
    let west = app.department("华西销售部").await;
    let (_, mia) = app.signed_in("mia", "sales_manager", Some(east)).await;
    let (alice_id, alice) = app.signed_in("alice", "salesperson", Some(east)).await;
    let (bob_id, bob) = app.signed_in("bob", "salesperson", Some(west)).await;
    let (_, carol) = app.signed_in("carol", "salesperson", Some(east)).await;
    let clerk = app.create_user("wendy", "warehouse", Some(east)).await;

    let today = Utc::now().date_naive();
    let month_end = today.with_day(1).unwrap().checked_add_months(chrono::Months::new(1)).unwrap().pred_opt().unwrap();
    let c = app.customer(&alice, "上海华信科技有限公司").await;
    let body = json!({"name": "华信 ERP", "customer_id": c, "amount": "300000", "expected_close_date": month_end});
    let stalled = app.opportunities().by(&alice).create(&body).await["id"].as_i64().unwrap();
    let body = json!({"name": "华信 运维", "customer_id": c, "amount": "50000", "expected_close_date": "2099-01-31"});
    app.opportunities().by(&alice).create(&body).await;
    let b = app.customer(&bob, "成都远景能源").await;
    let bobs = app
        .opportunities()
        .by(&bob)
        .create(&json!({"name": "远景 储能", "customer_id": b, "amount": "80000"}))
        .await["id"]
        .as_i64()
        .unwrap();
    // Nothing recorded on the first deal for three weeks: stalled.
    opportunity::Entity::update_many()
        .col_expr(opportunity::Column::LastActivityAt, Expr::value(Utc::now() - Duration::days(21)))
        .filter(opportunity::Column::Id.eq(stalled))
        .exec(app.store.reader())
        .await
        .unwrap();
    // A task past its due time, one due later.
    let yesterday = (today - Duration::days(1)).to_string();
    app.tasks()
        .by(&alice)
        .create(&json!({"title": "回访华信", "due_at": yesterday, "related_type": "customer", "related_id": c}))
        .await;
    app.tasks().by(&alice).create(&json!({"title": "准备方案", "due_at": "2099-01-01"})).await;
    // A follow-up date three days ago, and nothing recorded since.
    let visit = json!({"customer_id": c, "kind": "visit", "subject": "初次拜访",
        "occurred_at": (Utc::now() - Duration::days(5)).to_rfc3339(),
        "next_step": "送样品", "next_at": (Utc::now() - Duration::days(3)).to_rfc3339()});
    let (s, v) = app.activities().by(&alice).post(&visit).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    customer::Entity::update_many()
        .col_expr(customer::Column::LastActivityAt, Expr::value(Utc::now() - Duration::days(5)))
        .filter(customer::Column::Id.eq(c))
        .exec(app.store.reader())
        .await
        .unwrap();

    // Alice: her own figures only.
    let (s, home) = app.api(axum::http::Method::GET, "/api/v1/home", Some(&alice), None).await;
    assert_eq!(s, StatusCode::OK, "{home}");
    assert_eq!(home["scope"], "own");
    assert_eq!(figure(&home, "open_deals"), 2);
    assert_eq!(home["figures"]["open_amount"], "350000.00");
    assert_eq!(figure(&home, "stalled_deals"), 1);
    assert_eq!(figure(&home, "closing_this_month"), 1);
    assert_eq!(home["figures"]["closing_this_month_amount"], "300000.00");
    assert_eq!(figure(&home, "overdue_tasks"), 1);
    assert_eq!(figure(&home, "overdue_follow_ups"), 1);
    assert_eq!(names(&home["stalled"]), ["华信 ERP"]);
    assert_eq!(names(&home["closing"]), ["华信 ERP"]);
    assert!(home["people"].as_array().unwrap().is_empty());
    assert!(home["health"].is_null());
    let stages: i64 = home["pipeline"].as_array().unwrap().iter().map(|s| s["count"].as_i64().unwrap()).sum();
    assert_eq!(stages, 2);
    assert!(!home["recent"].as_array().unwrap().is_empty(), "her records' changes");

    // Carol (same department, nothing of her own) sees nothing of Alice's.
    let (_, home) = app.api(axum::http::Method::GET, "/api/v1/home", Some(&carol), None).await;
    for name in ["open_deals", "stalled_deals", "overdue_tasks", "overdue_follow_ups"] {
        assert_eq!(figure(&home, name), 0, "{name}");
    }
    assert!(home["recent"].as_array().unwrap().is_empty());

    // Mia manages east: Alice and Carol (and herself), not Bob in the west.
    let (_, home) = app.api(axum::http::Method::GET, "/api/v1/home", Some(&mia), None).await;
    assert_eq!(home["scope"], "team");
    assert_eq!(figure(&home, "open_deals"), 2);
    let people = home["people"].as_array().unwrap();
    let row = |id: i64| people.iter().find(|p| p["user_id"] == id);
    assert!(row(bob_id).is_none(), "{people:?}");
    assert!(row(clerk).is_none(), "a warehouse clerk sells nothing: no row");
    let a = row(alice_id).expect("alice's row");
    assert_eq!((a["stalled_deals"].as_i64(), a["overdue_tasks"].as_i64()), (Some(1), Some(1)));
    assert_eq!((a["overdue_follow_ups"].as_i64(), a["open_deals"].as_i64()), (Some(1), Some(2)));
    assert_eq!(people[0]["user_id"], alice_id, "who needs attention comes first");
    // The team's largest stalled and closing deals, read per person.
    assert_eq!(names(&home["stalled"]), ["华信 ERP"]);
    assert_eq!(names(&home["closing"]), ["华信 ERP"]);
    // The team's recent changes: Alice's customer and deals, newest first,
    // nothing of Bob's.
    let recent = home["recent"].as_array().unwrap();
    let about = |kind: &str| -> Vec<i64> {
        recent.iter().filter(|e| e["entity_type"] == kind).filter_map(|e| e["entity_id"].as_i64()).collect()
    };
    assert!(about("customer").contains(&c) && !about("customer").contains(&b), "{recent:?}");
    assert!(about("opportunity").contains(&stalled) && !about("opportunity").contains(&bobs), "{recent:?}");
    let ids: Vec<i64> = recent.iter().filter_map(|e| e["id"].as_i64()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");

    // The administrator sees everyone, and the system's health.
    let (_, home) = app.api(axum::http::Method::GET, "/api/v1/home", Some(&app.admin), None).await;
    assert_eq!(figure(&home, "open_deals"), 3);
    assert!(home["health"]["outbox_waiting"].is_i64(), "{home}");
    assert!(!home["recent"].as_array().unwrap().is_empty(), "everyone's records' changes");

    // The lists behind the figures hold the same records.
    let (_, page) = app.opportunities().by(&alice).list("stalled=true").await;
    assert_eq!(names(&page["items"]), ["华信 ERP"]);
    let (_, page) = app.opportunities().by(&bob).list("stalled=true").await;
    assert!(page["items"].as_array().unwrap().is_empty());
    let (_, page) = app.activities().by(&mia).list(&format!("unanswered=true&customer_owner_id={alice_id}")).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
    let (_, page) = app.activities().by(&bob).list("unanswered=true").await;
    assert!(page["items"].as_array().unwrap().is_empty());

    // The page, in both languages.
    let (session, _) = sign_in_as(&app, "alice", USER_PASSWORD, "/").await;
    let (s, _, html) = app.send(get("/", &session)).await;
    assert_eq!(s, StatusCode::OK);
    let html = html.as_str().unwrap();
    for expected in ["data-testid=\"home-stalled\"", "华信 ERP", "回访华信"] {
        assert!(html.contains(expected), "{expected} in the page");
    }
    assert!(!html.contains("data-testid=\"home-team\""), "no team table for a salesperson");
    let stalled_link = html.split("data-testid=\"home-stalled\"").next().unwrap().rsplit("href=").next().unwrap();
    assert!(stalled_link.contains(&format!("stalled=1&#38;owner_id={alice_id}")), "{stalled_link}");
    let (session, _) = sign_in_as(&app, "mia", USER_PASSWORD, "/").await;
    let (_, _, html) = app.send(get("/", &session)).await;
    assert!(html.as_str().unwrap().contains("data-testid=\"home-team\""));
}

/// The warehouse's home: every department's orders to ship (its role sees
/// the whole company), the late ones, products running low; the page and
/// the API say the same.
#[tokio::test]
async fn the_warehouse_home_lists_every_departments_orders_to_ship() {
    let app = TestApp::new().await;
    let east = app.department("华东销售部").await;
    let west = app.department("华西销售部").await;
    let (_, rep) = app.signed_in("li.rep", "salesperson", Some(west)).await;
    app.create_user("zhao.lei", "warehouse", Some(east)).await;
    let keeper = app.login("zhao.lei", USER_PASSWORD).await;
    let customer = app.customer(&rep, "成都精密机械有限公司").await;
    let product = app.product("PLC-200", "50").await;
    let warehouse = app.warehouse("CD").await;
    app.receive(product, warehouse, "10").await;
    let mut ids = Vec::new();
    for delivery in ["2020-01-10", "2099-01-10"] {
        let body = json!({"customer_id": customer, "warehouse_id": warehouse, "delivery_date": delivery,
                          "lines": [{"product_id": product, "quantity": "2"}]});
        let id = app.orders().by(&rep).create(&body).await["id"].as_i64().unwrap();
        let (s, o) = app.orders().by(&rep).act(id, "submit", Some(&json!({}))).await;
        assert_eq!((s, o["status"].as_str()), (StatusCode::OK, Some("approved")), "{o}");
        ids.push(id);
    }
    // A draft is not to ship.
    let draft = json!({"customer_id": customer, "lines": [{"product_id": product, "quantity": "1"}]});
    app.orders().by(&rep).create(&draft).await;

    let (s, desk) = app.api(axum::http::Method::GET, "/api/v1/home/warehouse", Some(&keeper), None).await;
    assert_eq!(s, StatusCode::OK, "{desk}");
    assert_eq!((desk["to_ship"].as_i64(), desk["late"].as_i64()), (Some(2), Some(1)), "{desk}");
    let next: Vec<i64> = desk["next"].as_array().unwrap().iter().map(|o| o["id"].as_i64().unwrap()).collect();
    assert_eq!(next, ids, "oldest first");
    // 10 on hand, 4 reserved: 6 available, at or below the reorder point of 50.
    assert_eq!(desk["low_stock"][0]["product_id"], product);
    assert_eq!(desk["arriving"], 0);
    let (s, listed) = app.api(axum::http::Method::GET, "/api/v1/orders?to_ship=true", Some(&keeper), None).await;
    assert_eq!((s, listed["items"].as_array().unwrap().len()), (StatusCode::OK, 2), "{listed}");

    let (cookies, _) = sign_in_as(&app, "zhao.lei", USER_PASSWORD, "/").await;
    let (s, _, page) = app.send(get("/", &cookies)).await;
    assert_eq!(s, StatusCode::OK);
    let html = page.as_str().unwrap();
    assert!(html.contains("data-testid=\"warehouse-figures\""), "{html}");
    // The top bar offers nothing the clerk may not read or create.
    assert!(!html.contains("data-testid=\"global-search\"") && !html.contains("data-testid=\"quick-create\""));
    for id in &ids {
        assert!(html.contains(&format!("href=\"/orders/{id}\"")), "order {id} listed");
    }
    let (s, _, list) = app.send(get("/orders?status=to_ship", &cookies)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list.as_str().unwrap().matches("href=\"/orders/").count(), 2);
}

/// The home page's open-deal statements (the figures by owner and stage,
/// the ids of the largest stalled and closing deals) read an index alone,
/// never the table, for a salesperson and for a manager: the SQL the API
/// really sends, planned by SQLite (a column missing from the index made
/// PostgreSQL read the table: 58 ms instead of 6.6 for a team's 7,410 open
/// deals among 1,000,000).
#[tokio::test]
async fn the_homes_open_deals_come_from_their_index_alone() {
    let app = TestApp::new().await;
    if app.store.backend() != salesflow_store::Backend::Sqlite {
        return;
    }
    let east = app.department("华东销售部").await;
    let (_, mia) = app.signed_in("mia", "sales_manager", Some(east)).await;
    let (_, alice) = app.signed_in("alice", "salesperson", Some(east)).await;
    let c = app.customer(&alice, "上海华信科技有限公司").await;
    app.opportunities().by(&alice).create(&json!({"name": "华信 ERP", "customer_id": c, "amount": "300000"})).await;
    let mut store = app.store.clone();
    let kept = store.record_statements();
    let node =
        salesflow_web::router(salesflow_web::AppState { store: store.clone(), config: crate::helpers::config() });
    for who in [&alice, &mia] {
        kept.lock().unwrap().clear();
        let request = axum::http::Request::get("/api/v1/home")
            .header("authorization", format!("Bearer {who}"))
            .body(axum::body::Body::empty())
            .unwrap();
        let (s, _, body) = crate::helpers::send_to(&node, request).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let statements = kept.lock().unwrap().clone();
        let open: Vec<_> = statements
            .iter()
            .filter(|st| st.sql.contains("FROM \"opportunities\"") && st.sql.contains("\"status\" = ?"))
            .filter(|st| st.sql.contains("GROUP BY") || !st.sql.contains("\"opportunities\".\"name\""))
            .collect();
        assert_eq!(open.len(), 3, "the figures and two lists' ids: {statements:#?}");
        for st in open {
            let plan = crate::helpers::sqlite_plan(&app.store, st).await;
            let reads: Vec<&String> = plan.iter().filter(|step| step.contains(" opportunities ")).collect();
            assert!(
                !reads.is_empty() && reads.iter().all(|step| step.contains("USING COVERING INDEX")),
                "{}\n{plan:#?}",
                st.sql
            );
        }
    }
}

/// The home page's statements do not grow with the records (no query per
/// person, change or deal), and its recent changes come from the index of
/// changes by their record's owner: a team's few newest, not every
/// change of the fortnight checked for being the team's.
#[tokio::test]
async fn the_home_reads_a_fixed_number_of_statements_and_recent_changes_by_owner() {
    let app = TestApp::new().await;
    let east = app.department("华东销售部").await;
    let west = app.department("华西销售部").await;
    let (_, mia) = app.signed_in("mia", "sales_manager", Some(east)).await;
    let (_, alice) = app.signed_in("alice", "salesperson", Some(east)).await;
    let (_, bob) = app.signed_in("bob", "salesperson", Some(west)).await;
    let mut store = app.store.clone();
    let kept = store.record_statements();
    let node =
        salesflow_web::router(salesflow_web::AppState { store: store.clone(), config: crate::helpers::config() });
    let statements = |who: &String| {
        let request = axum::http::Request::get("/api/v1/home")
            .header("authorization", format!("Bearer {who}"))
            .body(axum::body::Body::empty())
            .unwrap();
        let (node, kept) = (node.clone(), kept.clone());
        async move {
            kept.lock().unwrap().clear();
            let (s, _, body) = crate::helpers::send_to(&node, request).await;
            assert_eq!(s, StatusCode::OK, "{body}");
            (kept.lock().unwrap().clone(), body)
        }
    };
    let mut counts = Vec::new();
    for round in 0..3 {
        for (who, owner) in [(&alice, "a"), (&bob, "b")] {
            let c = app.customer(who, &format!("客户 {owner} {round}")).await;
            let body = json!({"name": format!("商机 {owner} {round}"), "customer_id": c, "amount": "100000"});
            app.opportunities().by(who).create(&body).await;
        }
        let mut round_counts = Vec::new();
        for who in [&alice, &mia] {
            let (sent, home) = statements(who).await;
            round_counts.push(sent.len());
            let recent: Vec<&str> =
                home["recent"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
            assert!(!recent.is_empty() && recent.len() <= 8, "{home}");
            let names: Vec<&str> =
                home["recent_records"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
            assert!(names.iter().all(|n| !n.contains(" b ")), "Bob's records are not the east team's: {names:?}");
            if app.store.backend() == salesflow_store::Backend::Sqlite {
                let changes: Vec<_> = sent
                    .iter()
                    .filter(|st| st.sql.contains("FROM \"audit_log\"") && st.sql.contains("\"owner_id\" IS NOT NULL"))
                    .collect();
                assert_eq!(changes.len(), 1, "recent changes in one statement: {sent:#?}");
                let plan = crate::helpers::sqlite_plan(&app.store, changes[0]).await;
                // Each person's changes from the owners' index, then the few found by key.
                let reads: Vec<&String> = plan.iter().filter(|step| step.contains(" audit_log ")).collect();
                assert!(
                    reads.iter().any(|step| step.contains("idx_audit_log_owner_recent"))
                        && reads.iter().all(|step| {
                            step.contains("idx_audit_log_owner_recent") || step.contains("INTEGER PRIMARY KEY")
                        }),
                    "{}\n{plan:#?}",
                    changes[0].sql
                );
            }
        }
        counts.push(round_counts);
    }
    assert!(counts.windows(2).all(|w| w[0] == w[1]), "statements per home page, round by round: {counts:?}");
    let [own, team] = [counts[0][0], counts[0][1]];
    assert!(own <= 30 && team <= 30, "a salesperson's home {own}, a manager's {team} statements");
}
