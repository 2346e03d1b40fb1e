//! Opportunity and pipeline pages: administration, the list and its
//! filters, the form, the opportunity page with its gate, the kanban board.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use salesflow_store::Actor;
use salesflow_store::opportunities::get_opportunity;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::support::browser::{get, sign_in};

/// A form post read in English.
fn form(path: &str, cookies: &str, body: &str) -> Request<Body> {
    let mut request = crate::support::browser::form(path, cookies, body);
    request.headers_mut().insert("accept-language", header::HeaderValue::from_static("en"));
    request
}

/// Form values percent-encoded.
fn enc(pairs: &[(&str, &str)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        out.append_pair(k, v);
    }
    out.finish()
}

fn location(h: &axum::http::HeaderMap) -> String {
    h.get(header::LOCATION).map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default()
}

/// Creates an opportunity through the form; returns its id.
async fn deal(app: &TestApp, cookies: &str, csrf: &str, fields: &[(&str, &str)]) -> i64 {
    let mut pairs = vec![("_csrf", csrf)];
    pairs.extend_from_slice(fields);
    let (s, h, page) = app.send(form("/opportunities", cookies, &enc(&pairs))).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{page}");
    location(&h).rsplit('/').next().unwrap().parse().unwrap()
}

fn html(page: &Value) -> &str {
    page.as_str().unwrap()
}

/// A request as htmx or the board's script sends it: CSRF in a header.
fn scripted(method: Method, path: &str, cookies: &str, csrf: &str, body: &str) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(path)
        .header(header::COOKIE, cookies)
        .header("x-csrf-token", csrf)
        .header("hx-request", "true")
        .header("accept-language", "en")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("x-forwarded-for", "192.0.2.1")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

/// Ticks every required item of the deal's current stage (htmx).
async fn tick_current_stage(app: &TestApp, cookies: &str, csrf: &str, id: i64) {
    let o = get_opportunity(&app.store, &Actor::system(), id).await.unwrap();
    let items: Vec<i64> =
        o.checklist.iter().filter(|c| c.stage_id == o.stage_id && c.required).map(|c| c.item_id).collect();
    assert!(!items.is_empty(), "the stage has required items");
    for item in items {
        let path = format!("/opportunities/{id}/check/{item}");
        let (s, _, page) = app.send(scripted(Method::POST, &path, cookies, csrf, "done=1")).await;
        assert_eq!(s, StatusCode::OK);
        let fragment = html(&page);
        assert!(fragment.starts_with("<div id=\"checklist\""), "htmx gets the checklist only");
        assert!(fragment.contains(&format!("data-item=\"{item}\"")));
    }
}

#[tokio::test]
async fn pipeline_administration_edits_stages_and_refuses_retiring_with_open_deals() {
    let app = TestApp::new().await;
    let (cookies, csrf) = sign_in(&app).await;
    let (s, _, page) = app.send(get("/admin/pipelines", &cookies)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html(&page).contains("Sales funnel") && html(&page).contains("Project sales"), "{page}");
    assert!(html(&page).contains("Price not competitive"), "lost reasons listed");
    let (_, _, page) = app.send(get("/", &cookies)).await;
    assert!(html(&page).contains("href=\"/admin/pipelines\"") && html(&page).contains("href=\"/board\""));

    let pipeline = salesflow_store::pipelines::list_pipelines(&app.store, &Actor::system(), false).await.unwrap();
    let funnel = &pipeline[0];
    let g = &funnel.stages[0];
    let (s, _, page) = app.send(get(&format!("/admin/pipelines/{}", funnel.id), &cookies)).await;
    assert_eq!(s, StatusCode::OK);
    for code in ["G", "F", "E", "D", "C", "B", "A", "S"] {
        assert!(html(&page).contains(&format!("<td class=\"mono strong\">{code}</td>")), "stage {code} listed");
    }

    // Rename in both languages.
    let body = enc(&[("_csrf", &csrf), ("name", "大客户漏斗"), ("name_en", "Key accounts"), ("version", "1")]);
    let (s, _, _) = app.send(form(&format!("/admin/pipelines/{}", funnel.id), &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, _, page) = app.send(get("/admin/pipelines", &cookies)).await;
    assert!(html(&page).contains("Key accounts"));

    // The stage form: an empty checklist text is refused under its row, the input kept.
    let (s, _, page) = app.send(get(&format!("/admin/stages/{}/edit", g.id), &cookies)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html(&page).contains(&g.checklist[0].text_en) || html(&page).contains(&g.checklist[0].text));
    let version = g.version.to_string();
    let body = enc(&[
        ("_csrf", &csrf),
        ("version", &version),
        ("code", "G"),
        ("name", "电话邀约"),
        ("name_en", "Phone call"),
        ("probability", "15"),
        ("expected_days", "5"),
        ("success_criteria", "约好拜访时间"),
        ("items.0.kind", "task"),
        ("items.0.text", ""),
        ("items.0.text_en", "Typed in English"),
        ("items.0.required", "1"),
        ("items.1.kind", "condition"),
        ("items.1.text", "客户有预算"),
        ("items.1.text_en", "Budget exists"),
    ]);
    let (s, _, page) = app.send(form(&format!("/admin/stages/{}", g.id), &cookies, &body)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html(&page).contains("Required."), "row error shown");
    assert!(html(&page).contains("value=\"Typed in English\"") && html(&page).contains("约好拜访时间"), "input kept");
    // Adding a row re-shows the form with one more row.
    let with_add = format!("{body}&add_row=1");
    let (s, _, page) = app.send(form(&format!("/admin/stages/{}", g.id), &cookies, &with_add)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html(&page).contains("name=\"items.2.text\""));
    // Saved with the text filled in: two items, one required.
    let fixed = body.replace("items.0.text=&", "items.0.text=%E6%89%93%E7%94%B5%E8%AF%9D&");
    let (s, h, _) = app.send(form(&format!("/admin/stages/{}", g.id), &cookies, &fixed)).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{}", location(&h));
    let after = salesflow_store::pipelines::get_pipeline(&app.store, &Actor::system(), funnel.id).await.unwrap();
    let g2 = after.stage(g.id).unwrap();
    assert_eq!((g2.probability, g2.expected_days, g2.checklist.len()), (15, Some(5), 2));
    assert_eq!(g2.success_criteria, "约好拜访时间");

    // Add a stage at the end, then move it up once.
    let body = enc(&[("_csrf", &csrf), ("code", "X"), ("name", "复盘"), ("probability", "100")]);
    let (s, _, _) = app.send(form(&format!("/admin/pipelines/{}/stages", funnel.id), &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let p = salesflow_store::pipelines::get_pipeline(&app.store, &Actor::system(), funnel.id).await.unwrap();
    let x = p.stages.last().unwrap();
    assert_eq!(x.code, "X");
    let body = enc(&[("_csrf", &csrf), ("stage_id", &x.id.to_string()), ("dir", "up")]);
    let (s, _, _) = app.send(form(&format!("/admin/pipelines/{}/reorder", funnel.id), &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let p = salesflow_store::pipelines::get_pipeline(&app.store, &Actor::system(), funnel.id).await.unwrap();
    assert_eq!(p.stages[p.stages.len() - 2].code, "X");

    // A stage with an open deal cannot be retired; the refusal says how many.
    let c = app.customer(&app.admin, "成都蜀锦丝绸有限公司").await;
    deal(&app, &cookies, &csrf, &[("name", "蜀锦 ERP"), ("customer_id", &c.to_string())]).await;
    let body = enc(&[("_csrf", &csrf), ("retired", "1")]);
    let (s, _, page) = app.send(form(&format!("/admin/stages/{}/retire", g.id), &cookies, &body)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html(&page).contains("1 open opportunities are in this stage"), "{page}");
    let (s, _, page) = app.send(form(&format!("/admin/pipelines/{}/retire", funnel.id), &cookies, &body)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html(&page).contains("1 open opportunities are in this pipeline"));
    // The empty new stage can be retired.
    let (s, _, _) = app.send(form(&format!("/admin/stages/{}/retire", x.id), &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);

    // Lost reasons: an empty name is refused, a new one added, one retired.
    let (s, _, page) =
        app.send(form("/admin/lost-reasons", &cookies, &enc(&[("_csrf", &csrf), ("name_en", "Timing")]))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html(&page).contains("id=\"new-reason-error\"") && html(&page).contains("value=\"Timing\""));
    let body = enc(&[("_csrf", &csrf), ("name", "时机不对"), ("name_en", "Bad timing")]);
    let (s, _, _) = app.send(form("/admin/lost-reasons", &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let reasons = salesflow_store::pipelines::list_lost_reasons(&app.store, &Actor::system(), true).await.unwrap();
    let added = reasons.iter().find(|r| r.name == "时机不对").unwrap();
    let body = enc(&[("_csrf", &csrf), ("retired", "1")]);
    let (s, _, _) = app.send(form(&format!("/admin/lost-reasons/{}", added.id), &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let reasons = salesflow_store::pipelines::list_lost_reasons(&app.store, &Actor::system(), false).await.unwrap();
    assert!(!reasons.iter().any(|r| r.name == "时机不对"));

    // Without the administer right there is no such page.
    let (_, li) = app.signed_in("li.na", "salesperson", None).await;
    let (s, _) = app.api(Method::GET, "/admin/pipelines", Some(&li), None).await;
    assert_ne!(s, StatusCode::OK);
}

#[tokio::test]
async fn the_list_filters_sorts_pages_and_exports() {
    let app = TestApp::new().await;
    let (cookies, csrf) = sign_in(&app).await;
    let a = app.customer(&app.admin, "上海华信科技有限公司").await.to_string();
    let b = app.customer(&app.admin, "杭州云帆网络科技有限公司").await.to_string();
    let project = salesflow_store::pipelines::list_pipelines(&app.store, &Actor::system(), false).await.unwrap()[1].id;
    deal(
        &app,
        &cookies,
        &csrf,
        &[("name", "华信 CRM"), ("customer_id", &a), ("amount", "120000"), ("expected_close_date", "2099-03-01")],
    )
    .await;
    let lost =
        deal(&app, &cookies, &csrf, &[("name", "云帆 数据平台"), ("customer_id", &b), ("amount", "50000")]).await;
    deal(
        &app,
        &cookies,
        &csrf,
        &[("name", "云帆 二期"), ("customer_id", &b), ("amount", "8000"), ("pipeline_id", &project.to_string())],
    )
    .await;
    let reason =
        salesflow_store::pipelines::list_lost_reasons(&app.store, &Actor::system(), false).await.unwrap()[0].id;
    let body = enc(&[("_csrf", &csrf), ("lost_reason_id", &reason.to_string()), ("version", "1")]);
    let (s, _, _) = app.send(form(&format!("/opportunities/{lost}/lose"), &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);

    let rows = |page: &Value| html(page).matches("class=\"opp-row").count();
    let (s, _, page) = app.send(get("/opportunities", &cookies)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(rows(&page), 3);
    assert!(html(&page).contains("data-testid=\"views-bar\""), "the shared views bar");
    assert!(html(&page).contains("¥120,000.00") && html(&page).contains("¥12,000.00"), "amount and weighted");
    // Two characters of Chinese find a deal.
    let (_, _, page) = app.send(get("/opportunities?q=%E4%BA%91%E5%B8%86", &cookies)).await;
    assert_eq!(rows(&page), 2);
    let (_, _, page) = app.send(get("/opportunities?status=lost", &cookies)).await;
    assert_eq!(rows(&page), 1);
    assert!(html(&page).contains("云帆 数据平台"));
    let (_, _, page) = app.send(get(&format!("/opportunities?pipeline_id={project}"), &cookies)).await;
    assert_eq!(rows(&page), 1);
    assert!(html(&page).contains("云帆 二期"));
    let (_, _, page) = app.send(get("/opportunities?close_from=2099-01-01&close_to=2099-12-31", &cookies)).await;
    assert_eq!(rows(&page), 1);
    assert!(html(&page).contains("华信 CRM"));
    // Sorted by amount, largest first; two per page with a cursor.
    let (_, _, page) = app.send(get("/opportunities?sort=-amount", &cookies)).await;
    let text = html(&page);
    assert!(text.find("华信 CRM").unwrap() < text.find("云帆 数据平台").unwrap());
    assert!(text.find("云帆 数据平台").unwrap() < text.find("云帆 二期").unwrap());
    // The list is registered for saved views and columns.
    let body = enc(&[("_csrf", &csrf), ("list", "opportunities"), ("name", "Lost"), ("query", "status=lost")]);
    let (s, h, _) = app.send(form("/views", &cookies, &body)).await;
    assert_eq!((s, location(&h).as_str()), (StatusCode::SEE_OTHER, "/opportunities?status=lost"));
    let body = enc(&[("_csrf", &csrf), ("back", "/opportunities"), ("columns", "owner"), ("columns", "stage")]);
    let (s, _, _) = app.send(form("/columns/opportunities", &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, _, page) = app.send(get("/opportunities", &cookies)).await;
    assert!(!html(&page).contains("¥120,000.00"), "the amount column is hidden now");
    assert!(html(&page).contains(">Lost</a>"), "the saved view is offered");

    // The export follows the filters.
    let (s, h, body) = app.send(get("/opportunities/export.csv?q=%E4%BA%91%E5%B8%86", &cookies)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(h["content-type"].to_str().unwrap().starts_with("text/csv"));
    let text = html(&body);
    assert!(text.starts_with('\u{feff}') && text.contains("Weighted amount"));
    assert!(text.contains("云帆 数据平台") && text.contains("云帆 二期") && !text.contains("华信 CRM"), "{text}");
    let (s, h, body) = app.send(get("/opportunities/export.xlsx?status=open", &cookies)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(h["content-disposition"].to_str().unwrap().contains("opportunities"));
    assert!(html(&body).starts_with("PK"));
}

#[tokio::test]
async fn the_form_keeps_the_input_on_errors_and_reports_a_stale_version() {
    let app = TestApp::new().await;
    let (cookies, csrf) = sign_in(&app).await;
    let c = app.customer(&app.admin, "南方贸易").await.to_string();
    // From the customer page the customer is filled in.
    let (s, _, page) = app.send(get(&format!("/customers/{c}"), &cookies)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html(&page).contains(&format!("/opportunities/new?customer_id={c}")));
    let (_, _, page) = app.send(get(&format!("/opportunities/new?customer_id={c}"), &cookies)).await;
    assert!(html(&page).contains(&format!("<option value=\"{c}\" selected>南方贸易</option>")));
    assert!(html(&page).contains("value=\"CNY\""), "company currency by default");

    let body =
        enc(&[("_csrf", &csrf), ("name", ""), ("customer_id", &c), ("amount", "约12万"), ("competitors", "金蝶")]);
    let (s, _, page) = app.send(form("/opportunities", &cookies, &body)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let text = html(&page);
    assert!(text.contains("id=\"amount-error\"") && text.contains("id=\"name-error\""), "both errors shown");
    assert!(text.contains("value=\"约12万\"") && text.contains("value=\"金蝶\""), "input kept");
    let body = enc(&[("_csrf", &csrf), ("name", "南方 仓储"), ("customer_id", &c), ("probability", "40")]);
    let (s, _, page) = app.send(form("/opportunities", &cookies, &body)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html(&page).contains("id=\"probability_reason-error\""), "an override needs a reason");

    // A close date in the past creates with a warning.
    let body =
        enc(&[("_csrf", &csrf), ("name", "南方 仓储"), ("customer_id", &c), ("expected_close_date", "2020-01-31")]);
    let (s, h, _) = app.send(form("/opportunities", &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let flash = h.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect::<String>();
    assert!(flash.contains("opportunities.flash.created_past_close"), "{flash}");
    let id = location(&h).rsplit('/').next().unwrap().to_owned();
    let (_, _, page) = app
        .send(get(
            &format!("/opportunities/{id}"),
            &format!("{cookies}; sf_flash=opportunities.flash.created_past_close"),
        ))
        .await;
    assert!(html(&page).contains("the expected close date is in the past"));

    // Editing with a stale version: a clear message, the input kept.
    let body =
        enc(&[("_csrf", &csrf), ("name", "南方 仓储 扩容"), ("customer_id", &c), ("amount", "9000"), ("version", "1")]);
    let (s, _, _) = app.send(form(&format!("/opportunities/{id}"), &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let body = enc(&[
        ("_csrf", &csrf),
        ("name", "南方 仓储 再扩容"),
        ("customer_id", &c),
        ("amount", "9500"),
        ("version", "1"),
    ]);
    let (s, _, page) = app.send(form(&format!("/opportunities/{id}"), &cookies, &body)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html(&page).contains("data-testid=\"stale\"") && html(&page).contains("value=\"南方 仓储 再扩容\""));
}

#[tokio::test]
async fn the_opportunity_page_ticks_items_and_applies_the_gate() {
    let app = TestApp::new().await;
    let (cookies, csrf) = sign_in(&app).await;
    let c = app.customer(&app.admin, "无锡华光电力设备有限公司").await.to_string();
    let id = deal(&app, &cookies, &csrf, &[("name", "华光 变电站"), ("customer_id", &c), ("amount", "300000")]).await;
    let (s, _, page) = app.send(get(&format!("/opportunities/{id}"), &cookies)).await;
    assert_eq!(s, StatusCode::OK);
    let text = html(&page);
    assert!(text.contains("aria-current=\"step\""), "the stage path marks the current stage");
    assert!(text.contains("Success criteria") && text.contains("Customer interested"), "stage texts in English");
    assert!(text.contains("<details class=\"stage-other\">"), "other stages collapsible");

    let o = get_opportunity(&app.store, &Actor::system(), id).await.unwrap();
    let p = salesflow_store::pipelines::get_pipeline(&app.store, &Actor::system(), o.pipeline_id).await.unwrap();
    let next = p.stages[1].id.to_string();
    let body = enc(&[("_csrf", &csrf), ("stage_id", &next), ("version", "1")]);
    let (s, _, page) = app.send(form(&format!("/opportunities/{id}/move"), &cookies, &body)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let text = html(&page);
    assert!(text.contains("data-testid=\"gate-refusal\""));
    let required: Vec<_> = o.checklist.iter().filter(|i| i.stage_id == o.stage_id && i.required).collect();
    for item in &required {
        assert!(text.contains(&format!("Not done: {}", item.text_en)), "missing item named: {}", item.text_en);
    }
    // The admin may approve: the override form asks for a reason.
    assert!(text.contains("name=\"override_reason\""));
    let body = enc(&[("_csrf", &csrf), ("stage_id", &next), ("version", "1"), ("override_reason", " ")]);
    let (s, _, page) = app.send(form(&format!("/opportunities/{id}/move"), &cookies, &body)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html(&page).contains("id=\"override_reason-error\""));

    tick_current_stage(&app, &cookies, &csrf, id).await;
    let (s, h, _) =
        app.send(form(&format!("/opportunities/{id}/move"), &cookies, &body.replace("override_reason=+", "x="))).await;
    assert_eq!((s, location(&h)), (StatusCode::SEE_OTHER, format!("/opportunities/{id}")));
    // An override further on is recorded with its reason.
    let third = p.stages[2].id.to_string();
    let body =
        enc(&[("_csrf", &csrf), ("stage_id", &third), ("version", "2"), ("override_reason", "客户高层已口头确认")]);
    let (s, _, _) = app.send(form(&format!("/opportunities/{id}/move"), &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, _, page) = app.send(get(&format!("/opportunities/{id}"), &cookies)).await;
    let text = html(&page);
    assert!(text.contains("客户高层已口头确认") && text.contains("class=\"tl-override\""), "override in the history");
    assert!(text.contains(" ticked “"), "ticks in the history, as sentences");

    // Lost needs a reason or a note; then reopen.
    let body = enc(&[("_csrf", &csrf), ("version", "3"), ("lost_reason_id", ""), ("note", "")]);
    let (s, _, page) = app.send(form(&format!("/opportunities/{id}/lose"), &cookies, &body)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html(&page).contains("<details class=\"lose-box\" open>"));
    let body = enc(&[("_csrf", &csrf), ("version", "3"), ("lost_reason_id", ""), ("note", "预算取消")]);
    let (s, _, _) = app.send(form(&format!("/opportunities/{id}/lose"), &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, _, page) = app.send(get(&format!("/opportunities/{id}"), &cookies)).await;
    assert!(html(&page).contains("data-testid=\"reopen\"") && html(&page).contains("预算取消"));
    let (s, _, _) = app
        .send(form(&format!("/opportunities/{id}/reopen"), &cookies, &enc(&[("_csrf", &csrf), ("version", "4")])))
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(get_opportunity(&app.store, &Actor::system(), id).await.unwrap().status, "open");
    // The customer page lists it.
    let (_, _, page) = app.send(get(&format!("/customers/{c}"), &cookies)).await;
    assert!(html(&page).contains("data-testid=\"customer-opportunities\"") && html(&page).contains("华光 变电站"));
}

#[tokio::test]
async fn the_board_shows_columns_loads_more_and_moves_under_the_gate() {
    let app = TestApp::new().await;
    let (cookies, csrf) = sign_in(&app).await;
    let c = app.customer(&app.admin, "大连恒通船舶配件").await.to_string();
    let mut ids = Vec::new();
    for n in 0..23 {
        let name = format!("恒通 {n:02}");
        let amount = (1000 + n).to_string();
        ids.push(deal(&app, &cookies, &csrf, &[("name", &name), ("customer_id", &c), ("amount", &amount)]).await);
    }
    let p = &salesflow_store::pipelines::list_pipelines(&app.store, &Actor::system(), false).await.unwrap()[0];
    let (g, f) = (p.stages[0].id, p.stages[1].id);
    let (s, _, page) = app.send(get("/board", &cookies)).await;
    assert_eq!(s, StatusCode::OK);
    let text = html(&page);
    assert_eq!(text.matches("class=\"kcol\"").count(), 8, "a column per active stage");
    assert_eq!(text.matches("data-testid=\"card\"").count(), 20, "never every card at once");
    assert!(text.contains(&format!("id=\"head-{g}\" data-count=\"23\"")));
    assert!(text.contains("¥23,253.00"), "the column's amount");
    let more = text.split(&format!("id=\"more-{g}\"")).nth(1).unwrap();
    let url =
        more.split("hx-get=\"").nth(1).unwrap().split('"').next().unwrap().replace("&amp;", "&").replace("&#38;", "&");
    assert!(url.starts_with("/board/cards?"), "{url}");
    let (s, _, page) = app.send(scripted(Method::GET, &url, &cookies, &csrf, "")).await;
    assert_eq!(s, StatusCode::OK, "{url}: {page}");
    let text = html(&page);
    assert_eq!(text.matches("data-testid=\"card\"").count(), 3, "the rest");
    assert!(text.contains("hx-swap-oob=\"true\"") && !text.contains("data-testid=\"load-more\""), "no more to load");
    assert!(text.contains("恒通 00"), "smallest last");

    // A filter by owner that matches nobody empties the columns.
    let (_, _, page) = app.send(get(&format!("/board?pipeline_id={}&owner_id=999999", p.id), &cookies)).await;
    assert_eq!(html(&page).matches("data-testid=\"card\"").count(), 0);

    // The drop: refused with the missing items in JSON, then moved.
    let id = ids[0];
    let path = format!("/board/move/{id}?pipeline_id={}", p.id);
    let body = format!("stage_id={f}&version=1");
    let (s, _, json) = app.send(scripted(Method::POST, &path, &cookies, &csrf, &body)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json["gate"], true);
    assert_eq!(json["can_override"], true);
    assert!(!json["missing"].as_array().unwrap().is_empty());
    assert!(json["missing"][0].as_str().unwrap().starts_with("Not done: "));
    // Without the CSRF header, no move.
    let bare = Request::builder()
        .method(Method::POST)
        .uri(&path)
        .header(header::COOKIE, &cookies)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.clone()))
        .unwrap();
    let (s, _, _) = app.send(bare).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    tick_current_stage(&app, &cookies, &csrf, id).await;
    let (s, _, json) = app.send(scripted(Method::POST, &path, &cookies, &csrf, &body)).await;
    assert_eq!(s, StatusCode::OK, "{json}");
    assert!(json["card"].as_str().unwrap().contains(&format!("data-stage=\"{f}\"")));
    assert!(json["card"].as_str().unwrap().contains("data-version=\"2\""));
    let heads = json["heads"].as_array().unwrap();
    let head = |stage: i64| heads.iter().find(|h| h["stage_id"] == stage).unwrap()["html"].as_str().unwrap().to_owned();
    assert!(head(g).contains("data-count=\"22\"") && head(f).contains("data-count=\"1\""));
    // The same stale card again: a conflict.
    let (s, _, json) =
        app.send(scripted(Method::POST, &path, &cookies, &csrf, &format!("stage_id={g}&version=1"))).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(json["message"].as_str().unwrap().contains("changed"));
}

#[tokio::test]
async fn a_visit_recorded_for_the_deal_shows_on_its_page() {
    let app = TestApp::new().await;
    let (cookies, csrf) = sign_in(&app).await;
    let c = app.customer(&app.admin, "常州天合光能有限公司").await;
    let cid = c.to_string();
    let id =
        deal(&app, &cookies, &csrf, &[("name", "天合 光伏电站"), ("customer_id", &cid), ("amount", "500000")]).await;
    // The deal's page links to the customer's activity form with the deal chosen.
    let (_, _, page) = app.send(get(&format!("/opportunities/{id}"), &cookies)).await;
    let link = format!("/customers/{c}?opportunity_id={id}#log-activity");
    assert!(html(&page).contains(&link), "a link to record a visit for the deal");
    let (s, _, page) = app.send(get(&format!("/customers/{c}?opportunity_id={id}"), &cookies)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html(&page).contains(&format!("<option value=\"{id}\" selected>")), "the deal is preselected");

    let deal_id = id.to_string();
    let body = enc(&[
        ("_csrf", &csrf),
        ("kind", "visit"),
        ("subject", "现场勘察屋顶"),
        ("occurred_at", "2026-03-02T10:00"),
        ("outcome", "屋顶承重满足要求"),
        ("opportunity_id", &deal_id),
    ]);
    let (s, _, page) = app.send(form(&format!("/customers/{c}/activities"), &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{page}");
    let (_, _, page) = app.send(get(&format!("/opportunities/{id}"), &cookies)).await;
    let text = html(&page);
    assert!(text.contains("data-testid=\"deal-activities\"") && text.contains("现场勘察屋顶"), "listed on the deal");
}

#[tokio::test]
async fn tasks_about_a_deal_show_on_its_page() {
    let app = TestApp::new().await;
    let (cookies, csrf) = sign_in(&app).await;
    let c = app.customer(&app.admin, "厦门金龙客车").await.to_string();
    let id = deal(&app, &cookies, &csrf, &[("name", "金龙 车联网"), ("customer_id", &c), ("amount", "90000")]).await;
    let (_, _, page) = app.send(get(&format!("/tasks/new?opportunity_id={id}"), &cookies)).await;
    assert!(html(&page).contains(&format!("value=\"opportunity:{id}\" selected")), "the deal is the related record");
    // Through the API, with the contract's names.
    let (s, t) = app.tasks().post(&json!({"title": "准备技术方案", "due_date": "2099-01-05", "related_type": "opportunity", "related_id": id}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!(t["customer_id"].to_string(), c, "the task also shows on the deal's customer");
    let (_, _, page) = app.send(get(&format!("/opportunities/{id}"), &cookies)).await;
    assert!(html(&page).contains("data-testid=\"deal-tasks\"") && html(&page).contains("准备技术方案"));
    let (s, p) = app
        .tasks()
        .post(&json!({"title": "x", "due_date": "2099-01-05", "related_type": "opportunity", "related_id": 999_999}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["field"], "related_id");
}

#[tokio::test]
async fn move_to_stage_offers_the_next_stage_first_and_a_tick_keeps_its_section_open() {
    let app = TestApp::new().await;
    let (cookies, csrf) = sign_in(&app).await;
    let c = app.customer(&app.admin, "常州天合储能有限公司").await.to_string();
    let id = deal(&app, &cookies, &csrf, &[("name", "天合 储能柜"), ("customer_id", &c), ("amount", "120000")]).await;
    let o = get_opportunity(&app.store, &Actor::system(), id).await.unwrap();
    let p = salesflow_store::pipelines::get_pipeline(&app.store, &Actor::system(), o.pipeline_id).await.unwrap();
    let (first, next) = (p.stages[0].id, p.stages[1].id);
    assert_eq!(o.stage_id, first);

    let (_, _, page) = app.send(get(&format!("/opportunities/{id}"), &cookies)).await;
    let text = html(&page);
    let select = &text[text.find("id=\"move-stage\"").expect("the move form")..];
    let select = &select[..select.find("</select>").unwrap()];
    assert!(select.contains(&format!("<option value=\"{next}\" selected>")), "the next stage is chosen: {select}");
    assert_eq!(select.matches(" selected").count(), 1, "one stage chosen");

    // Ticking an item of another stage from its folded section: that section comes back open.
    let item = o.checklist.iter().find(|i| i.stage_id == next).expect("the next stage has items").item_id;
    let path = format!("/opportunities/{id}/check/{item}");
    let body = format!("done=1&open={next}");
    let (s, _, page) = app.send(scripted(Method::POST, &path, &cookies, &csrf, &body)).await;
    assert_eq!(s, StatusCode::OK);
    let fragment = html(&page);
    assert_eq!(fragment.matches("<details class=\"stage-other\" open>").count(), 1, "the ticked section stays open");
    let open_at = fragment.find("<details class=\"stage-other\" open>").unwrap();
    assert!(fragment[open_at..].contains(&format!("data-item=\"{item}\"")));
    assert!(fragment.contains(&format!("name=\"open\" value=\"{next}\"")), "its ticks say where they come from");
    // Without the field nothing else opens.
    let (_, _, page) = app.send(scripted(Method::POST, &path, &cookies, &csrf, "done=0")).await;
    assert!(!html(&page).contains("stage-other\" open"));
}
