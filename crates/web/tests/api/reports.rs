//! Funnel analysis and the weighted forecast over a small pipeline history
//! built through the store (create, move, win, lose), with exact figures.

use axum::http::{Method, StatusCode};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use salesflow_domain::money::Money;
use salesflow_store::Actor;
use salesflow_store::customers::{self, CustomerInput};
use salesflow_store::entity::{opportunity, opportunity_stage};
use salesflow_store::opportunities::{self, MoveInput, OpportunityInput};
use salesflow_store::pipelines::{PipelineView, list_pipelines};
use salesflow_store::reports::{self, FunnelParams, Selection, rollup};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::Value;

use crate::helpers::{TestApp, api_request};

struct World {
    app: TestApp,
    alice: String,
    bob_id: i64,
    east: i64,
    west: i64,
    stages: Vec<i64>,
    pipeline: i64,
    today: NaiveDate,
    ids: std::collections::HashMap<&'static str, i64>,
}

fn sys() -> Actor {
    Actor::system()
}

async fn deal(
    w: &World,
    name: &str,
    owner: i64,
    customer: i64,
    amount: &str,
    close: NaiveDate,
    probability: Option<i32>,
) -> i64 {
    let input = OpportunityInput {
        name: name.into(),
        customer_id: customer,
        pipeline_id: Some(w.pipeline),
        owner_id: Some(owner),
        amount: Money::parse(amount).unwrap(),
        expected_close_date: Some(close),
        probability,
        probability_reason: probability.map(|_| "客户口头确认".to_owned()),
        ..Default::default()
    };
    opportunities::create_opportunity(&w.app.store, &sys(), input).await.expect("create opportunity").id
}

async fn move_to(w: &World, id: i64, stage: usize) {
    let input = MoveInput { stage_id: w.stages[stage], version: None, override_reason: Some("test".into()) };
    opportunities::move_opportunity(&w.app.store, &sys(), id, input).await.expect("move");
}

/// Sets the times of an opportunity's stays, in the order they were
/// entered: `(entered, left)` days before `now`.
async fn set_stays(w: &World, id: i64, now: DateTime<Utc>, times: &[(i64, Option<i64>)]) {
    let stays = opportunity_stage::Entity::find()
        .filter(opportunity_stage::Column::OpportunityId.eq(id))
        .order_by_asc(opportunity_stage::Column::Id)
        .all(w.app.store.reader())
        .await
        .unwrap();
    assert_eq!(stays.len(), times.len(), "stays of {id}");
    for (stay, (entered, left)) in stays.iter().zip(times) {
        opportunity_stage::Entity::update_many()
            .col_expr(opportunity_stage::Column::EnteredAt, Expr::value(now - Duration::days(*entered)))
            .col_expr(opportunity_stage::Column::LeftAt, Expr::value(left.map(|l| now - Duration::days(l))))
            .filter(opportunity_stage::Column::Id.eq(stay.id))
            .exec(w.app.store.reader())
            .await
            .unwrap();
    }
}

/// Moves every time of these deals (their stays, creation, closing, stage
/// entry and last activity) back by `by`, behind the store's back.
async fn shift_back(w: &World, ids: &[i64], by: Duration) {
    let conn = w.app.store.reader();
    let stays = opportunity_stage::Entity::find()
        .filter(opportunity_stage::Column::OpportunityId.is_in(ids.iter().copied()))
        .all(conn)
        .await
        .unwrap();
    for stay in stays {
        opportunity_stage::Entity::update_many()
            .col_expr(opportunity_stage::Column::EnteredAt, Expr::value(stay.entered_at - by))
            .col_expr(opportunity_stage::Column::LeftAt, Expr::value(stay.left_at.map(|l| l - by)))
            .filter(opportunity_stage::Column::Id.eq(stay.id))
            .exec(conn)
            .await
            .unwrap();
    }
    let deals = opportunity::Entity::find().filter(opportunity::Column::Id.is_in(ids.iter().copied())).all(conn);
    for deal in deals.await.unwrap() {
        opportunity::Entity::update_many()
            .col_expr(opportunity::Column::CreatedAt, Expr::value(deal.created_at - by))
            .col_expr(opportunity::Column::ClosedAt, Expr::value(deal.closed_at.map(|c| c - by)))
            .col_expr(opportunity::Column::StageEnteredAt, Expr::value(deal.stage_entered_at - by))
            .col_expr(opportunity::Column::LastActivityAt, Expr::value(deal.last_activity_at - by))
            .filter(opportunity::Column::Id.eq(deal.id))
            .exec(conn)
            .await
            .unwrap();
    }
}

async fn set_opportunity_time(w: &World, id: i64, column: opportunity::Column, at: DateTime<Utc>) {
    opportunity::Entity::update_many()
        .col_expr(column, Expr::value(at))
        .filter(opportunity::Column::Id.eq(id))
        .exec(w.app.store.reader())
        .await
        .unwrap();
}

/// Alice and Bob (salespeople in East), Carol (West, no deals), and six
/// deals in the 8-stage funnel pipeline G F E D C B A S:
/// - a1 alice 100.02: G → F → E, open (close today, 25 %)
/// - a2 alice 200.00: G, lost
/// - a3 alice 300.00: G, won (F…A and S passed over), 10-day cycle
/// - b1 bob 400.00: G → F, lost
/// - b2 bob 500.00: G → C (F E D passed), open (close today, 50 %), 25 days in C
/// - b3 bob 600.00: G, open, override 80 %, closes next month, idle 20 days
async fn world() -> World {
    let app = TestApp::new().await;
    let east = app.department("华东销售部").await;
    let west = app.department("华南销售部").await;
    let (alice_id, alice) = app.signed_in("alice", "salesperson", Some(east)).await;
    let bob_id = app.create_user("bob", "salesperson", Some(east)).await;
    app.create_user("carol", "salesperson", Some(west)).await;
    let funnel: PipelineView = list_pipelines(&app.store, &sys(), false)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.code.as_deref() == Some("funnel"))
        .expect("the shipped funnel pipeline");
    let stages: Vec<i64> = funnel.active_stages().map(|s| s.id).collect();
    assert_eq!(stages.len(), 8);
    let today = salesflow_store::settings::get(&app.store).await.unwrap().settings.today(app.store.now());
    let mut w = World { app, alice, bob_id, east, west, stages, pipeline: funnel.id, today, ids: Default::default() };
    let customer =
        |owner: i64, name: &str| CustomerInput { name: name.into(), owner_id: Some(owner), ..Default::default() };
    let ca = customers::create_customer(&w.app.store, &sys(), customer(alice_id, "华信科技有限公司")).await.unwrap().id;
    let cb = customers::create_customer(&w.app.store, &sys(), customer(bob_id, "远景贸易有限公司")).await.unwrap().id;
    let next_month = (today.with_day0(0).unwrap() + chrono::Months::new(1)).with_day0(0).unwrap();
    let a1 = deal(&w, "a1", alice_id, ca, "100.02", today, None).await;
    let a2 = deal(&w, "a2", alice_id, ca, "200.00", today, None).await;
    let a3 = deal(&w, "a3", alice_id, ca, "300.00", today, None).await;
    let b1 = deal(&w, "b1", bob_id, cb, "400.00", today, None).await;
    let b2 = deal(&w, "b2", bob_id, cb, "500.00", today, None).await;
    let b3 = deal(&w, "华信 ERP 项目", bob_id, cb, "600.00", next_month, Some(80)).await;
    move_to(&w, a1, 1).await;
    move_to(&w, a1, 2).await;
    opportunities::lose(&w.app.store, &sys(), a2, None, None, Some("预算不足".into())).await.unwrap();
    opportunities::win(&w.app.store, &sys(), a3, None, Some("test".into())).await.unwrap();
    move_to(&w, b1, 1).await;
    opportunities::lose(&w.app.store, &sys(), b1, None, None, Some("选了竞争对手".into())).await.unwrap();
    move_to(&w, b2, 4).await;
    // Nothing happened today: the period ends on the `today` read above,
    // and a run that crosses midnight (in the company's time zone) would
    // otherwise see what happened after it fall outside.
    shift_back(&w, &[a1, a2, a3, b1, b2, b3], Duration::days(1)).await;

    // Days in stages: a1 3 days in G and 5 in F; b1 1 day in G and 7 in F.
    let now = Utc::now();
    set_stays(&w, a1, now, &[(10, Some(7)), (7, Some(2)), (2, None)]).await;
    set_opportunity_time(&w, a1, opportunity::Column::StageEnteredAt, now - Duration::days(2)).await;
    set_stays(&w, b1, now, &[(10, Some(9)), (9, Some(2))]).await;
    // a3 was created 10 days before it was won.
    let won_at =
        opportunity::Entity::find_by_id(a3).one(w.app.store.reader()).await.unwrap().unwrap().closed_at.unwrap();
    set_opportunity_time(&w, a3, opportunity::Column::CreatedAt, won_at - Duration::days(10)).await;
    // b2 sits in C (21 expected days) for 25 days; b3 idle for 20 days.
    set_opportunity_time(&w, b2, opportunity::Column::StageEnteredAt, now - Duration::days(25)).await;
    set_opportunity_time(&w, b3, opportunity::Column::LastActivityAt, now - Duration::days(20)).await;
    // The times above were written behind the store's back: count the
    // funnel summary again, as `salesflow rebuild-funnel` would.
    salesflow_store::reports::rollup::rebuild(&w.app.store).await.unwrap();
    w.ids = [("a1", a1), ("a2", a2), ("a3", a3), ("b1", b1), ("b2", b2), ("b3", b3)].into();
    w
}

fn period(w: &World) -> String {
    format!("from={}&to={}", w.today - Duration::days(30), w.today)
}

async fn get(w: &World, token: &str, path: &str) -> (StatusCode, Value) {
    w.app.api(Method::GET, path, Some(token), None).await
}

fn close(v: &Value, expected: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - expected).abs() < 0.01)
}

fn stage<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["stages"].as_array().unwrap().iter().find(|s| s["code"] == code).unwrap()
}

fn person<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["people"].as_array().unwrap().iter().find(|p| p["owner_name"] == name).unwrap()
}

#[tokio::test]
async fn reports_funnel_figures_are_exact() {
    let w = world().await;
    let path = format!("/api/v1/reports/funnel?{}&pipeline_id={}&target=300.01", period(&w), w.pipeline);
    let (s, r) = get(&w, &w.app.admin, &path).await;
    assert_eq!(s, StatusCode::OK, "{r}");

    // Entered and converted per stage (passed-over stages count as entered).
    let expected = [
        ("G", 6, "2100.02", 4),
        ("F", 4, "1300.02", 3),
        ("E", 3, "900.02", 2),
        ("D", 2, "800.00", 2),
        ("C", 2, "800.00", 1),
        ("B", 1, "300.00", 1),
        ("A", 1, "300.00", 1),
        ("S", 1, "300.00", 0),
    ];
    for (code, entered, amount, converted) in expected {
        let st = stage(&r, code);
        assert_eq!(st["entered"], entered, "{code}: {st}");
        assert_eq!(st["entered_amount"], amount, "{code}: {st}");
        assert_eq!(st["converted"], converted, "{code}: {st}");
        // The last stage shows the win rate (a3 won, a2 and b1 lost).
        let conversion = if code == "S" { 1.0 / 3.0 } else { converted as f64 / entered as f64 };
        assert!(close(&st["conversion"], conversion), "{code}: {st}");
    }
    // Open deals now: a1 in E, b2 in C, b3 in G.
    assert_eq!(stage(&r, "G")["current"], 1);
    assert_eq!(stage(&r, "G")["current_amount"], "600.00");
    assert_eq!(stage(&r, "E")["current"], 1);
    assert_eq!(stage(&r, "C")["current_amount"], "500.00");
    assert_eq!(stage(&r, "F")["current"], 0);
    // Days: F stays of 5 and 7 days; G stays of 3, 1 and three of ~0.
    let f = stage(&r, "F");
    assert_eq!(f["finished"], 2);
    assert!(close(&f["average_days"], 6.0) && close(&f["median_days"], 6.0), "{f}");
    let g = stage(&r, "G");
    assert_eq!(g["finished"], 5);
    assert!(close(&g["average_days"], 0.8) && close(&g["median_days"], 0.0), "{g}");
    assert!(stage(&r, "E")["median_days"].is_null());

    let team = &r["team"];
    assert_eq!(team["entered"], 20);
    assert_eq!((team["won"].as_i64(), team["lost"].as_i64()), (Some(1), Some(2)));
    assert!(close(&team["win_rate"], 1.0 / 3.0), "{team}");
    assert_eq!(team["average_deal"], "300.00");
    assert!(close(&team["cycle_days"], 10.0), "{team}");
    assert_eq!(team["open_deals"], 3);
    assert_eq!(team["open_amount"], "1200.02");
    // 3 open × 1/3 × 300.00 ÷ 10 days = 30.00 a day.
    assert_eq!(team["velocity"], "30.00");
    assert_eq!(team["stalled"], 2);
    // Expected to close in the period: a1 + b2 = 600.02 = 2 × 300.01.
    assert_eq!(r["coverage"]["pipeline_amount"], "600.02");
    assert!(close(&r["coverage"]["ratio"], 2.0), "{}", r["coverage"]);

    let stalled: Vec<i64> = r["stalled"].as_array().unwrap().iter().map(|d| d["id"].as_i64().unwrap()).collect();
    assert_eq!(stalled, [w.ids["b2"], w.ids["b3"]]);
    assert_eq!(r["stalled"][0]["overdue"], true);
    assert_eq!(r["stalled"][0]["days_in_stage"], 25);
    assert_eq!(r["stalled"][1]["days_idle"], 20);

    // Per salesperson, with the bottleneck against the team.
    let alice = person(&r, "alice");
    assert_eq!(alice["figures"]["entered"], 12);
    assert!(close(&alice["figures"]["win_rate"], 0.5));
    assert_eq!(alice["figures"]["velocity"], "15.00");
    assert_eq!(alice["figures"]["stalled"], 0);
    assert_eq!(alice["bottleneck"]["stage_code"], "E");
    assert!(close(&alice["bottleneck"]["gap"], 2.0 / 3.0 - 0.5));
    let bob = person(&r, "bob");
    assert_eq!(bob["figures"]["entered"], 8);
    assert!(close(&bob["figures"]["win_rate"], 0.0));
    assert!(bob["figures"]["average_deal"].is_null() && bob["figures"]["velocity"].is_null());
    assert_eq!(bob["figures"]["stalled"], 2);
    assert_eq!(bob["bottleneck"]["stage_code"], "C");
    assert!(close(&bob["bottleneck"]["gap"], 0.5));
    let bob_f = bob["stages"].as_array().unwrap().iter().find(|s| s["stage_id"] == w.stages[1]).unwrap();
    assert_eq!((bob_f["entered"].as_i64(), bob_f["converted"].as_i64()), (Some(2), Some(1)));

    // A team: East has both; West (Carol) has nothing.
    let (_, east) = get(&w, &w.app.admin, &format!("{path}&department_id={}", w.east)).await;
    assert_eq!(east["team"]["entered"], 20);
    let (_, west) = get(&w, &w.app.admin, &format!("{path}&department_id={}", w.west)).await;
    assert_eq!(west["team"]["entered"], 0);
    assert!(west["people"].as_array().unwrap().is_empty());
    // One person.
    let (_, only_bob) = get(&w, &w.app.admin, &format!("{path}&owner_id={}", w.bob_id)).await;
    assert_eq!(only_bob["team"]["entered"], 8);
    assert_eq!(stage(&only_bob, "G")["entered"], 3);
    // A period before anything happened.
    let (_, empty) = get(
        &w,
        &w.app.admin,
        &format!("/api/v1/reports/funnel?from=2020-01-01&to=2020-12-31&pipeline_id={}", w.pipeline),
    )
    .await;
    assert_eq!(empty["team"]["entered"], 0);
    assert_eq!(empty["team"]["open_deals"], 3);
}

#[tokio::test]
async fn reports_funnel_keeps_to_the_callers_scope() {
    let w = world().await;
    let path = format!("/api/v1/reports/funnel?{}&pipeline_id={}", period(&w), w.pipeline);
    let (s, r) = get(&w, &w.alice, &path).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["team"]["entered"], 12);
    assert_eq!(stage(&r, "G")["entered"], 3);
    assert_eq!(stage(&r, "G")["current"], 0);
    assert_eq!(r["team"]["open_deals"], 1);
    assert_eq!(r["team"]["stalled"], 0);
    let names: Vec<&str> = r["people"].as_array().unwrap().iter().map(|p| p["owner_name"].as_str().unwrap()).collect();
    assert_eq!(names, ["alice"]);
    // Another person's figures are not hers to ask for.
    let (s, e) = get(&w, &w.alice, &format!("{path}&owner_id={}", w.bob_id)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["errors"][0]["field"], "owner_id");
}

#[tokio::test]
async fn reports_weighted_forecast_by_month_and_quarter() {
    let w = world().await;
    let first = w.today.with_day0(0).unwrap();
    let end_next = (first + chrono::Months::new(2)).pred_opt().unwrap();
    let path = format!("/api/v1/forecasts/weighted?from={first}&to={end_next}&group_by=month");
    let (s, r) = get(&w, &w.app.admin, &path).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let periods = r["periods"].as_array().unwrap();
    assert_eq!(periods.len(), 2);
    assert_eq!(periods[0]["key"], first.format("%Y-%m").to_string());
    // This month: a1 100.02 at 25 % (pipeline) → 25.01; b2 500.00 at 50 % (best case) → 250.00.
    let this = &periods[0]["figures"];
    assert_eq!(this["pipeline"]["amount"], "100.02");
    assert_eq!(this["pipeline"]["weighted"], "25.01");
    assert_eq!(this["best_case"]["amount"], "500.00");
    assert_eq!(this["best_case"]["weighted"], "250.00");
    assert_eq!(this["commit"]["count"], 0);
    assert_eq!(this["total"]["count"], 2);
    // Next month: b3 600.00 at 80 % (commit) → 480.00.
    let next = &periods[1]["figures"];
    assert_eq!(next["commit"]["amount"], "600.00");
    assert_eq!(next["commit"]["weighted"], "480.00");
    assert_eq!(r["total"]["total"]["amount"], "1200.02");
    assert_eq!(r["total"]["total"]["weighted"], "755.01");
    let bob = person(&r, "bob");
    assert_eq!(bob["total"]["total"]["weighted"], "730.00");
    assert_eq!(bob["periods"][1]["commit"]["count"], 1);

    // By quarter: everything falls into one or two quarters, same totals.
    let (_, q) =
        get(&w, &w.app.admin, &format!("/api/v1/forecasts/weighted?from={first}&to={end_next}&group_by=quarter")).await;
    let sum: f64 = q["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["figures"]["total"]["weighted"].as_str().unwrap().parse::<f64>().unwrap())
        .sum();
    assert!((sum - 755.01).abs() < 1e-6, "{q}");
    assert!(q["periods"][0]["key"].as_str().unwrap().contains("-Q"));

    // Scope: Alice sees only her deal.
    let (_, mine) = get(&w, &w.alice, &path).await;
    assert_eq!(mine["total"]["total"]["amount"], "100.02");
    assert_eq!(mine["people"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn reports_export_csv_with_bom_and_excel() {
    let w = world().await;
    let path = format!("/api/v1/reports/funnel?{}&pipeline_id={}&format=csv", period(&w), w.pipeline);
    let request = api_request(Method::GET, &path, Some(&w.app.admin), None, &[("accept-language", "zh-CN")]);
    let response = tower::ServiceExt::oneshot(w.app.router.clone(), request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let bytes = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(text.contains("华信 ERP 项目"), "{text}");
    assert!(text.contains("2100.02"), "{text}");

    for path in [
        format!("/api/v1/reports/funnel?{}&format=xlsx", period(&w)),
        "/api/v1/forecasts/weighted?format=xlsx&group_by=quarter".to_owned(),
    ] {
        let request = api_request(Method::GET, &path, Some(&w.app.admin), None, &[]);
        let response = tower::ServiceExt::oneshot(w.app.router.clone(), request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let bytes = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
        assert!(bytes.starts_with(b"PK"), "a zip (xlsx) for {path}");
        // The workbook carries a native chart.
        let zip = String::from_utf8_lossy(&bytes);
        assert!(zip.contains("xl/charts/chart1.xml"), "{path}");
    }
    let (s, csv) = get(&w, &w.app.admin, "/api/v1/forecasts/weighted?format=csv").await;
    assert_eq!(s, StatusCode::OK);
    assert!(csv.as_str().unwrap().starts_with('\u{feff}'));
}

#[tokio::test]
async fn reports_bad_parameters_are_422_with_fields() {
    let w = world().await;
    let cases = [
        ("/api/v1/reports/funnel?from=2026-03-01&to=2026-02-01", "to"),
        ("/api/v1/reports/funnel?from=2020-01-01&to=2026-01-01", "to"),
        ("/api/v1/reports/funnel?pipeline_id=999999", "pipeline_id"),
        ("/api/v1/reports/funnel?target=-5", "target"),
        ("/api/v1/reports/funnel?target=abc", "target"),
        ("/api/v1/reports/funnel?from=2026-02-30", "from"),
        ("/api/v1/reports/funnel?idle_days=0", "idle_days"),
        ("/api/v1/reports/funnel?department_id=999999", "department_id"),
        ("/api/v1/reports/funnel?format=pdf", "format"),
        ("/api/v1/forecasts/weighted?group_by=week", "group_by"),
        ("/api/v1/forecasts/weighted?from=2026-05-01&to=2026-04-01", "to"),
        ("/api/v1/forecasts/weighted?pipeline_id=999999", "pipeline_id"),
    ];
    for (path, field) in cases {
        let (s, body) = get(&w, &w.app.admin, path).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {body}");
        let fields: Vec<&str> =
            body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert!(fields.contains(&field), "{path}: {body}");
        assert!(!body["errors"][0]["message"].as_str().unwrap().is_empty());
    }
    // Without a sign-in: 401.
    let (s, _) = w.app.api(Method::GET, "/api/v1/reports/funnel", None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn reports_pages_render_with_chart_data_and_links() {
    let w = world().await;
    let (cookies, _) = crate::support::browser::sign_in(&w.app).await;
    let funnel = format!("/reports/funnel?{}&pipeline_id={}&target=300.01", period(&w), w.pipeline);
    let (s, _, page) = w.app.send(crate::support::browser::get(&funnel, &cookies)).await;
    assert_eq!(s, StatusCode::OK);
    let html = page.as_str().unwrap();
    assert!(html.contains("Funnel analysis") && html.contains("href=\"/reports/forecast\""), "nav and title");
    assert!(html.contains("id=\"funnel-data\"") && html.contains("/assets/reports.js"), "chart data and script");
    assert!(html.contains(&format!("href=\"/opportunities/{}\"", w.ids["b3"])), "stalled deal linked");
    assert!(html.contains("class=\"num hide-sm bottleneck\""), "bottleneck highlighted");
    assert!(html.contains("2.0× the target"), "coverage answered in words");
    assert!(!html.contains("<script>"), "no inline script");

    let (s, _, page) = w.app.send(crate::support::browser::get("/reports/forecast?group_by=quarter", &cookies)).await;
    assert_eq!(s, StatusCode::OK);
    let html = page.as_str().unwrap();
    assert!(html.contains("Weighted forecast") && html.contains("id=\"forecast-data\""));
    assert!(html.contains("755.01"), "weighted total shown");

    // A bad period keeps the page, with the field error.
    let (s, _, page) =
        w.app.send(crate::support::browser::get("/reports/funnel?from=2026-03-01&to=2026-01-01", &cookies)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.as_str().unwrap().contains("field-error"));
    // The page's export link answers a file.
    let (s, h, _) = w.app.send(crate::support::browser::get(&format!("{funnel}&format=csv"), &cookies)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(h["content-type"].to_str().unwrap().starts_with("text/csv"));
    // The asset is served.
    let (s, _, _) = w.app.send(crate::support::browser::get("/assets/reports.js", "")).await;
    assert_eq!(s, StatusCode::OK);
}

// ---------------------------------------------------------------- the summary against the stays

/// One thing done to a deal through the store.
#[derive(Clone, Copy)]
enum Step {
    /// Move to the stage at this index (forward under an override, or back).
    To(usize),
    Win,
    Lose,
    Reopen,
}

async fn step(app: &TestApp, pipeline: &PipelineView, id: i64, s: Step) {
    let store = &app.store;
    match s {
        Step::To(i) => {
            let stage_id = pipeline.active_stages().nth(i).unwrap().id;
            let input = MoveInput { stage_id, version: None, override_reason: Some("test".into()) };
            opportunities::move_opportunity(store, &sys(), id, input).await.expect("move");
        }
        Step::Win => {
            opportunities::win(store, &sys(), id, None, Some("test".into())).await.expect("win");
        }
        Step::Lose => {
            opportunities::lose(store, &sys(), id, None, None, Some("预算不足".into())).await.expect("lose");
        }
        Step::Reopen => {
            opportunities::reopen(store, &sys(), id, None).await.expect("reopen");
        }
    }
}

async fn new_deal(app: &TestApp, pipeline: i64, owner: i64, customer: i64, amount: &str) -> i64 {
    let input = OpportunityInput {
        name: format!("deal {amount}"),
        customer_id: customer,
        pipeline_id: Some(pipeline),
        owner_id: Some(owner),
        amount: Money::parse(amount).unwrap(),
        ..Default::default()
    };
    opportunities::create_opportunity(&app.store, &sys(), input).await.expect("create opportunity").id
}

/// Moves every timestamp of one deal (stays, creation, closing, stage
/// entry, last activity) onto a back-dated time line: its j-th distinct
/// moment becomes `base + j × step`. Written behind the store's back.
async fn back_date(app: &TestApp, id: i64, base: DateTime<Utc>, step: Duration) {
    let conn = app.store.reader();
    let stays = opportunity_stage::Entity::find()
        .filter(opportunity_stage::Column::OpportunityId.eq(id))
        .all(conn)
        .await
        .unwrap();
    let deal = opportunity::Entity::find_by_id(id).one(conn).await.unwrap().unwrap();
    let mut moments: Vec<DateTime<Utc>> =
        stays.iter().flat_map(|s| [Some(s.entered_at), s.left_at]).flatten().collect();
    moments.extend([Some(deal.created_at), deal.closed_at, Some(deal.stage_entered_at)].into_iter().flatten());
    moments.sort();
    moments.dedup();
    let map = |t: DateTime<Utc>| base + step * moments.iter().position(|m| *m == t).unwrap() as i32;
    for stay in &stays {
        opportunity_stage::Entity::update_many()
            .col_expr(opportunity_stage::Column::EnteredAt, Expr::value(map(stay.entered_at)))
            .col_expr(opportunity_stage::Column::LeftAt, Expr::value(stay.left_at.map(map)))
            .filter(opportunity_stage::Column::Id.eq(stay.id))
            .exec(conn)
            .await
            .unwrap();
    }
    opportunity::Entity::update_many()
        .col_expr(opportunity::Column::CreatedAt, Expr::value(map(deal.created_at)))
        .col_expr(opportunity::Column::ClosedAt, Expr::value(deal.closed_at.map(map)))
        .col_expr(opportunity::Column::StageEnteredAt, Expr::value(map(deal.stage_entered_at)))
        .col_expr(opportunity::Column::LastActivityAt, Expr::value(map(deal.stage_entered_at)))
        .filter(opportunity::Column::Id.eq(id))
        .exec(conn)
        .await
        .unwrap();
}

/// Equal JSON, numbers within 1e-9 (sums of days add up in another order).
fn same(a: &Value, b: &Value, path: &str) {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!((x - y).abs() <= 1e-9 * x.abs().max(1.0), "{path}: {x} from the summary, {y} from the stays");
        }
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(x.keys().collect::<Vec<_>>(), y.keys().collect::<Vec<_>>(), "{path}");
            for (k, v) in x {
                same(v, &y[k], &format!("{path}.{k}"));
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{path}: {a} vs {b}");
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                same(v, w, &format!("{path}[{i}]"));
            }
        }
        _ => assert_eq!(a, b, "{path}"),
    }
}

/// The report from the summary equals the one from the stays for every
/// period, pipeline and selection given; returns the reports compared.
async fn compare(
    app: &TestApp,
    periods: &[(NaiveDate, NaiveDate)],
    pipelines: &[i64],
    selections: &[Selection],
) -> u32 {
    let mut compared = 0;
    for &(from, to) in periods {
        for &pipeline_id in pipelines {
            for &selection in selections {
                let params = FunnelParams { from, to, pipeline_id, selection, target: Some(100_000), idle_days: None };
                let summary = reports::funnel(&app.store, &sys(), &params).await.unwrap();
                let stays = reports::funnel_from_stays(&app.store, &sys(), &params).await.unwrap();
                let what = format!("{from}..{to} pipeline {pipeline_id} {selection:?}");
                same(&serde_json::to_value(&summary).unwrap(), &serde_json::to_value(&stays).unwrap(), &what);
                compared += 1;
            }
        }
    }
    compared
}

fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap()
}

fn month_end(d: NaiveDate) -> NaiveDate {
    (month_start(d) + chrono::Months::new(1)).pred_opt().unwrap()
}

#[tokio::test]
async fn reports_funnel_summary_matches_the_stays() {
    use Step::*;
    let app = TestApp::new().await;
    let east = app.department("华东销售部").await;
    let west = app.department("华南销售部").await;
    let alice = app.create_user("alice", "salesperson", Some(east)).await;
    let bob = app.create_user("bob", "salesperson", Some(east)).await;
    let carol = app.create_user("carol", "salesperson", Some(west)).await;
    let all = list_pipelines(&app.store, &sys(), false).await.unwrap();
    let main = all.iter().find(|p| p.code.as_deref() == Some("funnel")).unwrap().clone();
    let other = all.iter().find(|p| p.id != main.id && p.active_stages().count() >= 3).unwrap().clone();
    let mut customer_of = std::collections::HashMap::new();
    for (owner, name) in [(alice, "华信科技有限公司"), (bob, "远景贸易有限公司"), (carol, "南方制造有限公司")]
    {
        let input = CustomerInput { name: name.into(), owner_id: Some(owner), ..Default::default() };
        customer_of.insert(owner, customers::create_customer(&app.store, &sys(), input).await.unwrap().id);
    }
    let plan: Vec<(&PipelineView, i64, &str, Vec<Step>)> = vec![
        (&main, alice, "100.00", vec![To(1), To(2), To(3), Win]),
        (&main, alice, "250.50", vec![To(1), Lose]),
        (&main, bob, "300.00", vec![To(3), To(1), To(4), Lose]),
        (&main, bob, "420.00", vec![Win]),
        (&main, carol, "510.00", vec![To(1), To(2)]),
        (&main, alice, "75.25", vec![To(1), To(0), To(1), To(2)]),
        (&main, bob, "640.00", vec![To(4)]),
        (&main, carol, "80.00", vec![Lose]),
        (&main, alice, "900.00", vec![To(1), Win]),
        (&main, bob, "130.00", vec![To(1), To(2), Lose]),
        (&main, carol, "220.00", vec![]),
        (&main, alice, "1000.00", vec![To(1), To(2), To(3), To(4), To(5), Win]),
        (&main, carol, "333.33", vec![To(1), Lose, Reopen, To(2), Win]),
        (&other, bob, "444.00", vec![To(1), Win]),
        (&other, alice, "50.00", vec![Lose]),
    ];
    let mut ids = Vec::new();
    for (pipeline, owner, amount, steps) in &plan {
        let id = new_deal(&app, pipeline.id, *owner, customer_of[owner], amount).await;
        for s in steps {
            step(&app, pipeline, id, *s).await;
        }
        ids.push(id);
    }

    // Back-date the histories over two years: deal i starts 30 + 47·i days
    // ago and moves every 61 + 7·i hours; deal 3 starts exactly at a local
    // midnight.
    let settings = salesflow_store::settings::get(&app.store).await.unwrap();
    let today = settings.settings.today(Utc::now());
    let now = Utc::now();
    let midnight_day = today - Duration::days(200);
    for (i, id) in ids.iter().enumerate() {
        let base = if i == 3 {
            settings.settings.start_of(midnight_day).unwrap()
        } else {
            now - Duration::days(30 + 47 * i as i64) + Duration::minutes(17 * i as i64)
        };
        back_date(&app, *id, base, Duration::hours(61 + 7 * i as i64)).await;
    }
    salesflow_store::reports::rollup::rebuild(&app.store).await.unwrap();

    let periods = [
        (today - Duration::days(365), today),
        (today - Duration::days(1095), today),
        (month_start(today - Duration::days(400)), month_end(today - Duration::days(60))),
        (
            month_start(today - Duration::days(300)) + Duration::days(14),
            month_start(today - Duration::days(100)) + Duration::days(9),
        ),
        (month_start(today), today),
        (midnight_day, midnight_day),
        (midnight_day - Duration::days(30), midnight_day - Duration::days(1)),
        (midnight_day, midnight_day + Duration::days(40)),
    ];
    let pipelines = [main.id, other.id];
    let selections = [
        Selection::default(),
        Selection { owner_id: None, department_id: Some(east) },
        Selection { owner_id: None, department_id: Some(west) },
        Selection { owner_id: Some(bob), department_id: None },
        Selection { owner_id: Some(carol), department_id: None },
    ];
    compare(&app, &periods, &pipelines, &selections).await;
    let year = FunnelParams {
        from: today - Duration::days(1095),
        to: today,
        pipeline_id: main.id,
        selection: Selection::default(),
        target: None,
        idle_days: None,
    };
    let r = reports::funnel(&app.store, &sys(), &year).await.unwrap();
    assert!(r.team.entered >= 30 && r.team.won >= 4 && r.team.lost >= 4, "{:?}", r.team);

    // Changes through the store on the back-dated deals: the summary
    // follows each of them.
    step(&app, &main, ids[4], To(4)).await;
    step(&app, &main, ids[5], Lose).await;
    for s in [Reopen, To(2), Win] {
        step(&app, &main, ids[1], s).await;
    }
    opportunities::set_deleted(&app.store, &sys(), ids[0], true).await.unwrap();
    opportunities::set_deleted(&app.store, &sys(), ids[7], true).await.unwrap();
    opportunities::set_deleted(&app.store, &sys(), ids[7], false).await.unwrap();
    opportunities::set_deleted(&app.store, &sys(), ids[10], true).await.unwrap();
    for (id, owner, amount) in [(ids[8], carol, "950.00"), (ids[6], alice, "655.00")] {
        let m = opportunity::Entity::find_by_id(id).one(app.store.reader()).await.unwrap().unwrap();
        let input = OpportunityInput {
            name: m.name.clone(),
            customer_id: m.customer_id,
            owner_id: Some(owner),
            amount: Money::parse(amount).unwrap(),
            ..Default::default()
        };
        opportunities::update_opportunity(&app.store, &sys(), id, m.version, input).await.expect("update");
    }
    // Carol leaves: her open deal (4) goes to Bob.
    let handed = salesflow_store::handover::transfer(&app.store, &sys(), carol, bob).await.unwrap();
    assert_eq!(handed.opportunities, 1);
    let fresh = new_deal(&app, main.id, bob, customer_of[&bob], "777.00").await;
    for s in [To(2), Win] {
        step(&app, &main, fresh, s).await;
    }

    // Kept in step: the same rows as counted afresh.
    let kept = rollup::summary_rows(&app.store).await.unwrap();
    assert!(kept.len() > 100, "{}", kept.len());
    rollup::rebuild(&app.store).await.unwrap();
    let counted = rollup::summary_rows(&app.store).await.unwrap();
    let only_kept: Vec<&String> = kept.iter().filter(|r| !counted.contains(r)).collect();
    let only_counted: Vec<&String> = counted.iter().filter(|r| !kept.contains(r)).collect();
    assert!(
        only_kept.is_empty() && only_counted.is_empty() && kept.len() == counted.len(),
        "kept in step only: {only_kept:#?}\ncounted afresh only: {only_counted:#?}"
    );
    let compared = compare(&app, &periods, &pipelines, &selections).await;
    assert_eq!(compared, 80);

    // Another time zone moves day and month boundaries: the settings
    // change counts the summary again.
    let mut other_zone = settings.settings.clone();
    other_zone.time_zone = "America/New_York".into();
    let before = rollup::summary_rows(&app.store).await.unwrap();
    salesflow_store::settings::update(&app.store, &sys(), other_zone, settings.version).await.unwrap();
    assert_ne!(before, rollup::summary_rows(&app.store).await.unwrap());
    compare(&app, &periods, &pipelines, &selections).await;

    // Reordering stages changes what "a later stage" is.
    let mut order: Vec<i64> = main.stages.iter().map(|s| s.id).collect();
    order.swap(1, 2);
    salesflow_store::pipelines::reorder_stages(&app.store, &sys(), main.id, &order).await.unwrap();
    compare(&app, &periods, &[main.id], &selections[..2]).await;

    // The report really reads the summary: spoil it and they differ.
    app.store.reader().execute_unprepared("UPDATE funnel_stays SET entered = entered + 1").await.unwrap();
    let spoiled = reports::funnel(&app.store, &sys(), &year).await.unwrap();
    let stays = reports::funnel_from_stays(&app.store, &sys(), &year).await.unwrap();
    assert_ne!(spoiled.team.entered, stays.team.entered);
}

// ---------------------------------------------------------------- reports that tell the truth by default

/// The first and last day of the calendar quarter of `d`.
fn quarter_of(d: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = NaiveDate::from_ymd_opt(d.year(), d.month0() / 3 * 3 + 1, 1).unwrap();
    (first, (first + chrono::Months::new(3)).pred_opt().unwrap())
}

#[tokio::test]
async fn reports_funnel_opens_on_this_quarter_with_the_win_rate_last() {
    let w = world().await;
    // No period given: this quarter, on the API and on the page.
    let (s, r) = get(&w, &w.app.admin, &format!("/api/v1/reports/funnel?pipeline_id={}", w.pipeline)).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (first, last) = quarter_of(w.today);
    assert_eq!(r["from"], first.to_string());
    assert_eq!(r["to"], last.to_string());
    // a3 won, a2 and b1 lost: the last stage (S) shows the win rate 1/3,
    // not the 0 % of a stage that leads nowhere further.
    let s_stage = stage(&r, "S");
    assert_eq!(s_stage["conversion_is_win_rate"], true);
    assert!(close(&s_stage["conversion"], 1.0 / 3.0), "{s_stage}");
    assert!(close(&r["team"]["win_rate"], 1.0 / 3.0));
    assert_eq!(stage(&r, "A")["conversion_is_win_rate"], false);
    // Alice won one and lost one: her last stage is her own win rate.
    let alice = person(&r, "alice");
    let last_index = r["stages"].as_array().unwrap().iter().position(|s| s["code"] == "S").unwrap();
    assert!(close(&alice["stages"][last_index]["conversion"], 0.5), "{alice}");

    let (cookies, _) = crate::support::browser::sign_in(&w.app).await;
    let (s, _, page) = w.app.send(crate::support::browser::get("/reports/funnel", &cookies)).await;
    assert_eq!(s, StatusCode::OK);
    let html = page.as_str().unwrap();
    assert!(html.contains("<option value=\"this_quarter\" selected>"), "the period box names the default period");
    assert!(html.contains(&format!("value=\"{first}\"")) && html.contains(&format!("value=\"{last}\"")));
    assert!(html.contains("data-win-rate") && html.contains("33.3"), "win rate at the last stage");
}

#[tokio::test]
async fn reports_a_lost_deal_weighs_nothing_anywhere() {
    let w = world().await;
    // Open: a1 100.02 × 25 %, b2 500.00 × 50 %, b3 600.00 × 80 %; won a3
    // 300.00 × 100 %; lost a2 (200.00, G 10 %) and b1 (400.00, F 20 %) weigh 0.
    let (s, totals) = get(&w, &w.app.admin, "/api/v1/opportunities/totals").await;
    assert_eq!(s, StatusCode::OK, "{totals}");
    assert_eq!(totals["count"], 6, "{totals}");
    assert_eq!(totals["weighted_amount"], "1055.01", "{totals}");
    let (_, lost) = get(&w, &w.app.admin, &format!("/api/v1/opportunities/{}", w.ids["a2"])).await;
    assert_eq!(lost["weighted_amount"], "0.00", "{lost}");
    let (_, won) = get(&w, &w.app.admin, &format!("/api/v1/opportunities/{}", w.ids["a3"])).await;
    assert_eq!(won["weighted_amount"], "300.00", "{won}");
    // Board columns: the open deals only.
    let (s, board) = get(&w, &w.app.admin, &format!("/api/v1/opportunities/kanban?pipeline_id={}", w.pipeline)).await;
    assert_eq!(s, StatusCode::OK, "{board}");
    let columns = board.as_array().unwrap_or_else(|| board["columns"].as_array().unwrap());
    let weighted: f64 = columns.iter().map(|c| c["weighted_amount"].as_str().unwrap().parse::<f64>().unwrap()).sum();
    assert!((weighted - 755.01).abs() < 1e-6, "{board}");
    // Alice's home: a1 only (a2 lost, a3 won).
    let (_, home) = get(&w, &w.alice, "/api/v1/home").await;
    assert_eq!(home["figures"]["weighted_amount"], "25.01", "{home}");
    // The forecast's weighted pipeline leaves lost deals out too.
    let (first, last) = quarter_of(w.today);
    let (_, f) =
        get(&w, &w.app.admin, &format!("/api/v1/forecasts/weighted?from={first}&to={last}&group_by=quarter")).await;
    assert_eq!(f["total"]["total"]["count"], 3 - i64::from(w.today.month0() % 3 == 2), "{f}");
}

#[tokio::test]
async fn reports_a_closed_deal_closes_on_its_day_and_the_forecast_shows_it_won() {
    let w = world().await;
    let later = w.today + Duration::days(45);
    let customer = opportunity::Entity::find_by_id(w.ids["a1"]).one(w.app.store.reader()).await.unwrap().unwrap();
    let id = deal(&w, "c1", customer.owner_id, customer.customer_id, "1000.00", later, None).await;
    let (s, won) = w
        .app
        .api(
            Method::POST,
            &format!("/api/v1/opportunities/{id}/win"),
            Some(&w.app.admin),
            Some(serde_json::json!({"override_reason": "test"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{won}");
    assert_eq!(won["expected_close_date"], w.today.to_string(), "the close date is the day won");
    let (_, history) = get(&w, &w.app.admin, &format!("/api/v1/opportunities/{id}/history")).await;
    let entry = history
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["field"] == "expected_close_date")
        .unwrap_or_else(|| panic!("the expected date kept in the history: {history}"));
    assert_eq!(entry["from_value"], later.to_string());
    assert_eq!(entry["to_value"], w.today.to_string());

    // The forecast shows what was won in the period beside the pipeline.
    let first = w.today.with_day0(0).unwrap();
    let end = (first + chrono::Months::new(1)).pred_opt().unwrap();
    let (_, f) =
        get(&w, &w.app.admin, &format!("/api/v1/forecasts/weighted?from={first}&to={end}&group_by=month")).await;
    // a3 (300.00, won in the world) and c1 (1,000.00).
    assert_eq!(f["periods"][0]["figures"]["won"]["amount"], "1300.00", "{f}");
    assert_eq!(f["periods"][0]["figures"]["won"]["count"], 2);
    assert_eq!(f["total"]["won"]["amount"], "1300.00");
    assert_eq!(f["total"]["total"]["amount"], "600.02", "open a1 and b2 only: {f}");

    // A loss too: the day lost.
    let id = deal(&w, "c2", customer.owner_id, customer.customer_id, "10.00", later, None).await;
    let (s, lost) = w
        .app
        .api(
            Method::POST,
            &format!("/api/v1/opportunities/{id}/lose"),
            Some(&w.app.admin),
            Some(serde_json::json!({"reason": "预算取消"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{lost}");
    assert_eq!(lost["expected_close_date"], w.today.to_string());
    assert_eq!(lost["weighted_amount"], "0.00");

    let (cookies, _) = crate::support::browser::sign_in(&w.app).await;
    let (s, _, page) = w.app.send(crate::support::browser::get("/reports/forecast", &cookies)).await;
    assert_eq!(s, StatusCode::OK);
    let html = page.as_str().unwrap();
    assert!(html.contains("Closed won") && html.contains("data-figure=\"won\""), "closed-won beside the pipeline");
}
