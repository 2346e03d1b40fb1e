//! Issue 9, items 6 and 12: amounts have a domain maximum and the API's
//! money is strict; dates have four-digit years; sums of many deals at the
//! maximum keep the board, the funnel and the forecast answering.

use axum::http::{Method, StatusCode};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::json;

use crate::helpers::TestApp;
use crate::support::field_codes;

#[tokio::test]
async fn money_is_strict_and_bounded_and_dates_have_four_digit_years() {
    let app = TestApp::new().await;
    let c = app.customer(&app.admin, "华信科技").await;
    let deal = |amount: &str| json!({"name": "ERP", "customer_id": c, "amount": amount});
    for (amount, code) in [
        ("1,000", "amount:invalid_amount"),
        ("1.000,00", "amount:invalid_amount"),
        ("10000000000000.01", "amount:amount_too_large"),
        ("92233720368547758.07", "amount:amount_too_large"),
    ] {
        let (s, p) = app.opportunities().post(&deal(amount)).await;
        assert_eq!((s, field_codes(&p)), (StatusCode::UNPROCESSABLE_ENTITY, vec![code.to_owned()]), "{amount}: {p}");
    }
    let p = app.opportunities().create(&deal("10000000000000")).await;
    assert_eq!(p["amount"], "10000000000000.00");
    for (limit, code) in [("1,000", "credit_limit:invalid_amount"), ("10000000000001", "credit_limit:amount_too_large")]
    {
        let body = json!({"name": format!("额度 {limit}"), "credit_limit": limit});
        let (s, p) = app.customers().post(&body).await;
        assert_eq!((s, field_codes(&p)), (StatusCode::UNPROCESSABLE_ENTITY, vec![code.to_owned()]), "{limit}: {p}");
    }

    for day in ["0000-01-01", "-0001-01-01", "10000-01-01", "+2026-01-01"] {
        let task = json!({"title": "回访", "due_date": day});
        let (s, p) = app.tasks().post(&task).await;
        assert_eq!(
            (s, field_codes(&p)),
            (StatusCode::UNPROCESSABLE_ENTITY, vec!["due_date:invalid_date".to_owned()]),
            "{day}: {p}"
        );
        let body = json!({"name": format!("成交 {day}"), "closed_at": day});
        let (s, p) = app.customers().post(&body).await;
        assert_eq!(
            (s, field_codes(&p)),
            (StatusCode::UNPROCESSABLE_ENTITY, vec!["closed_at:invalid_date".to_owned()]),
            "{day}: {p}"
        );
        // `+` is a space in a query string: sent encoded.
        let query = day.replace('+', "%2B");
        let (s, p) = app.activities().list(&format!("from={query}")).await;
        assert!(s.is_client_error(), "{day}: {s} {p}");
        let (s, p) = app.audit_log().list(&format!("from={query}")).await;
        assert!(s.is_client_error(), "{day}: {s} {p}");
        let (s, p) = app.opportunities().list(&format!("close_from={query}")).await;
        assert!(s.is_client_error(), "{day}: {s} {p}");
    }
    for at in ["0000-01-01T00:00:00Z", "-0001-01-01T00:00:00Z"] {
        let body = json!({"name": format!("成交 {at}"), "closed_at": at});
        let (s, p) = app.customers().post(&body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{at}: {p}");
        let visit = json!({"customer_id": c, "kind": "visit", "subject": "拜访", "occurred_at": at});
        let (s, p) = app.activities().post(&visit).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{at}: {p}");
    }
    // A close date read by serde reaches the domain's check.
    let body = json!({"name": "ERP", "customer_id": c, "amount": "1", "expected_close_date": "0000-03-01"});
    let (s, p) = app.opportunities().post(&body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
}

/// The columns of a table but `id` (to copy its rows).
async fn columns(app: &TestApp, table: &str) -> String {
    let conn = app.store.reader();
    let backend = conn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            format!(
                "SELECT column_name FROM information_schema.columns WHERE table_name = '{table}' AND table_schema = 'public'"
            )
        }
        _ => format!("SELECT name FROM pragma_table_info('{table}')"),
    };
    let rows = conn.query_all_raw(Statement::from_string(backend, sql)).await.unwrap();
    let names: Vec<String> =
        rows.iter().map(|r| r.try_get_by_index::<String>(0).unwrap()).filter(|n| n != "id").collect();
    names.join(", ")
}

/// Doubles the rows of a table `times` times.
async fn double(app: &TestApp, table: &str, times: u32) {
    let cols = columns(app, table).await;
    let conn = app.store.reader();
    for _ in 0..times {
        let sql = format!("INSERT INTO {table} ({cols}) SELECT {cols} FROM {table}");
        conn.execute_unprepared(&sql).await.unwrap();
    }
}

#[tokio::test]
async fn many_deals_at_the_maximum_keep_the_board_funnel_and_forecast_answering() {
    let app = TestApp::new().await;
    let c = app.customer(&app.admin, "华信科技").await;
    let today = chrono::Utc::now().date_naive();
    let body = json!({"name": "大单", "customer_id": c, "amount": "10000000000000.00", "expected_close_date": today});
    for _ in 0..3 {
        app.opportunities().create(&body).await;
    }
    // 3 × 2^12 = 12,288 deals (and as many stays): i64 holds 9,223 of them.
    double(&app, "opportunities", 12).await;
    double(&app, "opportunity_stages", 12).await;
    // The summary rebuilt from the stays: its cells saturate, not fail.
    salesflow_store::reports::rollup::rebuild(&app.store).await.expect("rebuild the funnel summary");

    let (_, pipelines) = app.pipelines().list("").await;
    let pipeline = pipelines[0]["id"].as_i64().unwrap();
    let (s, board) = app
        .api(Method::GET, &format!("/api/v1/opportunities/kanban?pipeline_id={pipeline}"), Some(&app.admin), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{board}");
    let first = &board.as_array().map_or(&board["columns"][0], |a| &a[0]);
    assert_eq!(first["count"], 12_288, "{first}");
    assert_eq!(first["amount"], "122880000000000000.00", "exact beyond i64: {first}");

    let (s, funnel) = app
        .api(
            Method::GET,
            &format!("/api/v1/reports/funnel?pipeline_id={pipeline}&from={today}&to={today}"),
            Some(&app.admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{funnel}");
    assert_eq!(funnel["stages"][0]["current_amount"], "122880000000000000.00", "{}", funnel["stages"][0]);
    assert_eq!(funnel["team"]["open_amount"], "122880000000000000.00");
    let (s, forecast) = app
        .api(Method::GET, &format!("/api/v1/forecasts/weighted?from={today}&to={today}"), Some(&app.admin), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{forecast}");
    assert_eq!(forecast["total"]["total"]["amount"], "122880000000000000.00", "{}", forecast["total"]);
    // A deal stored before the maximum existed (the 92233720368500000.00):
    // no per-row product overflows either.
    let conn = app.store.reader();
    conn.execute_unprepared(
        "UPDATE opportunities SET amount = 9223372036850000000 WHERE id = (SELECT MIN(id) FROM opportunities)",
    )
    .await
    .unwrap();
    let (s, board) = app
        .api(Method::GET, &format!("/api/v1/opportunities/kanban?pipeline_id={pipeline}"), Some(&app.admin), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{board}");
    let first = board.as_array().map_or(&board["columns"][0], |a| &a[0]);
    // 12,287 × 10^15 + 9,223,372,036,850,000,000 minor units.
    assert_eq!(first["amount"], "215103720368500000.00", "{first}");
    let (s, forecast) = app
        .api(Method::GET, &format!("/api/v1/forecasts/weighted?from={today}&to={today}"), Some(&app.admin), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{forecast}");
    assert_eq!(forecast["total"]["total"]["amount"], "215103720368500000.00");
    for format in ["csv", "xlsx"] {
        let path = format!("/api/v1/reports/funnel?pipeline_id={pipeline}&from={today}&to={today}&format={format}");
        let (s, _) = app.api(Method::GET, &path, Some(&app.admin), None).await;
        assert_eq!(s, StatusCode::OK, "{path}");
    }
}
