//! Pipelines and opportunities: the shipped pipelines, field errors, the
//! stage gate (refusal listing the missing items, ticking, override by an
//! approver only, moving back), win/lose/reopen, history, conflicts,
//! scope, stage administration and the kanban figures.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;

fn error_codes(problem: &Value) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = problem["errors"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|e| (e["field"].as_str().unwrap().to_owned(), e["code"].as_str().unwrap().to_owned()))
        .collect();
    found.sort();
    found.dedup();
    found
}

async fn pipelines(app: &TestApp) -> Vec<Value> {
    let (s, list) = app.pipelines().list("").await;
    assert_eq!(s, StatusCode::OK, "{list}");
    list.as_array().unwrap().clone()
}

async fn funnel(app: &TestApp) -> Value {
    pipelines(app).await.into_iter().find(|p| p["code"] == "funnel").expect("the funnel pipeline")
}

fn stage<'a>(pipeline: &'a Value, code: &str) -> &'a Value {
    pipeline["stages"].as_array().unwrap().iter().find(|s| s["code"] == code).expect("stage")
}

fn required_items(stage: &Value) -> Vec<i64> {
    stage["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["required"] == true)
        .map(|i| i["id"].as_i64().unwrap())
        .collect()
}

async fn opportunity(app: &TestApp, token: &str, body: Value) -> Value {
    app.opportunities().by(token).create(&body).await
}

async fn tick(app: &TestApp, token: &str, id: i64, items: &[i64]) {
    for item in items {
        let (s, o) = app
            .api(
                Method::PATCH,
                &format!("/api/v1/opportunities/{id}/checklist/{item}"),
                Some(token),
                Some(json!({"done": true})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{o}");
    }
}

async fn move_to(app: &TestApp, token: &str, id: i64, body: Value) -> (StatusCode, Value) {
    app.opportunities().by(token).act(id, "move", Some(&body)).await
}

#[tokio::test]
async fn the_two_seed_pipelines_ship_with_their_stages_and_checklists() {
    let app = TestApp::new().await;
    let all = pipelines(&app).await;
    assert_eq!(all.len(), 2);
    let funnel = all.iter().find(|p| p["code"] == "funnel").unwrap();
    assert_eq!(funnel["name"], "销售漏斗");
    let codes: Vec<&str> = funnel["stages"].as_array().unwrap().iter().map(|s| s["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["G", "F", "E", "D", "C", "B", "A", "S"]);
    let probabilities: Vec<i64> =
        funnel["stages"].as_array().unwrap().iter().map(|s| s["probability"].as_i64().unwrap()).collect();
    assert_eq!(probabilities, [10, 20, 25, 30, 50, 75, 90, 100]);
    let g = stage(funnel, "G");
    assert_eq!(g["name"], "电话邀约");
    assert!(g["input"].as_str().unwrap().contains("A类的客户名单"), "{g}");
    assert!(!required_items(g).is_empty());
    let project = all.iter().find(|p| p["code"] == "project").unwrap();
    let names: Vec<&str> = project["stages"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["项目立项", "深度接触", "技术突破1", "技术突破2", "商务突破", "合同签订", "合同执行"]);
    let probabilities: Vec<i64> =
        project["stages"].as_array().unwrap().iter().map(|s| s["probability"].as_i64().unwrap()).collect();
    assert_eq!(probabilities, [5, 10, 25, 50, 75, 95, 100]);
    // Lost reasons are configured too.
    let (_, reasons) = app.lost_reasons().list("").await;
    assert!(reasons.as_array().unwrap().len() >= 5, "{reasons}");
}

#[tokio::test]
async fn bad_input_changes_nothing_and_a_past_close_date_only_warns() {
    let app = TestApp::new().await;
    let c = app.customer(&app.admin, "华信科技").await;
    let (s, p) =
        app.opportunities().post(&json!({"name": " ", "customer_id": c, "amount": "-5", "probability": 101})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(
        error_codes(&p),
        [
            ("amount".to_owned(), "negative".to_owned()),
            ("name".to_owned(), "required".to_owned()),
            ("probability".to_owned(), "out_of_range".to_owned()),
            ("probability_reason".to_owned(), "required".to_owned()),
        ]
    );
    let (s, p) = app.opportunities().post(&json!({"name": "ERP", "customer_id": 999_999, "amount": "1.234"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(error_codes(&p), [("amount".to_owned(), "invalid_amount".to_owned())]);
    let (_, list) = app.opportunities().list("").await;
    assert!(list["items"].as_array().unwrap().is_empty());

    let o = opportunity(
        &app,
        &app.admin,
        json!({"name": "华信 ERP 项目", "customer_id": c, "amount": "120000", "expected_close_date": "2020-01-31"}),
    )
    .await;
    assert_eq!(o["warnings"], json!(["expected_close_date:in_past"]));
    // Defaults: the first pipeline, its first stage and probability, the company currency.
    assert_eq!(o["stage_code"], "G");
    assert_eq!(o["probability"], 10);
    assert_eq!(o["currency"], "CNY");
    assert_eq!(o["amount"], "120000.00");
    assert_eq!(o["weighted_amount"], "12000.00");
    assert_eq!(o["status"], "open");
}

#[tokio::test]
async fn the_stage_gate_lists_what_is_missing_until_it_is_ticked() {
    let app = TestApp::new().await;
    let funnel = funnel(&app).await;
    let c = app.customer(&app.admin, "远景能源").await;
    let o = opportunity(&app, &app.admin, json!({"name": "远景 储能", "customer_id": c, "amount": "500000"})).await;
    let id = o["id"].as_i64().unwrap();
    let (g, f, e, d) = (stage(&funnel, "G"), stage(&funnel, "F"), stage(&funnel, "E"), stage(&funnel, "D"));

    // Forward without the ticks: refused, naming exactly G's required items.
    let (s, p) = move_to(&app, &app.admin, id, json!({"stage_id": f["id"]})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let mut missing: Vec<i64> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["params"]["item_id"].as_str().unwrap().parse().unwrap())
        .collect();
    missing.sort();
    let mut expected = required_items(g);
    expected.sort();
    assert_eq!(missing, expected);
    assert!(p["errors"].as_array().unwrap().iter().all(|e| e["code"] == "gate_item_missing"));
    assert!(p["errors"][0]["message"].as_str().unwrap().contains("电话邀约"), "{p}");

    // Ticked: the move goes through, the probability follows the stage.
    tick(&app, &app.admin, id, &required_items(g)).await;
    let (s, moved) = move_to(&app, &app.admin, id, json!({"stage_id": f["id"]})).await;
    assert_eq!(s, StatusCode::OK, "{moved}");
    assert_eq!(moved["stage_code"], "F");
    assert_eq!(moved["probability"], 20);

    // Skipping E to D needs F's and E's required items.
    let (s, p) = move_to(&app, &app.admin, id, json!({"stage_id": d["id"]})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"].as_array().unwrap().len(), required_items(f).len() + required_items(e).len());

    // Back is always allowed.
    let (s, back) = move_to(&app, &app.admin, id, json!({"stage_id": g["id"]})).await;
    assert_eq!(s, StatusCode::OK, "{back}");
    assert_eq!(back["stage_code"], "G");

    // A stage of another pipeline is refused.
    let project = pipelines(&app).await.into_iter().find(|p| p["code"] == "project").unwrap();
    let (s, p) = move_to(&app, &app.admin, id, json!({"stage_id": project["stages"][1]["id"]})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_codes(&p), [("stage_id".to_owned(), "stage_not_in_pipeline".to_owned())]);

    // History: who moved it where, newest first.
    let (_, history) = app.opportunities().get_part(id, "history").await;
    let stages: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["field"] == "stage")
        .map(|h| h["to_value"].as_str().unwrap())
        .collect();
    assert_eq!(stages, ["G 电话邀约", "F 上门拜访"]);
    assert!(history.as_array().unwrap().iter().any(|h| h["field"] == "checklist_done" && h["user_name"] == "Admin"));
}

#[tokio::test]
async fn only_an_approver_overrides_the_gate_and_must_say_why() {
    let app = TestApp::new().await;
    let funnel = funnel(&app).await;
    let (_, dept) = app.departments().post(&json!({"name": "华东销售部"})).await;
    let dept = dept["id"].as_i64();
    let (_, xiaoli) = app.signed_in("xiaoli", "salesperson", dept).await;
    let (_, boss) = app.signed_in("boss", "sales_manager", dept).await;
    let c = app.customer(&xiaoli, "东方电气").await;
    let o = opportunity(&app, &xiaoli, json!({"name": "东方 改造", "customer_id": c, "amount": "80000"})).await;
    let id = o["id"].as_i64().unwrap();
    let f = stage(&funnel, "F")["id"].clone();

    let (s, p) = move_to(&app, &xiaoli, id, json!({"stage_id": f, "override_reason": "客户很急"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(error_codes(&p), [("override_reason".to_owned(), "override_not_allowed".to_owned())]);
    let (s, p) = move_to(&app, &boss, id, json!({"stage_id": f, "override_reason": "  "})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(error_codes(&p), [("override_reason".to_owned(), "required".to_owned())]);

    let (s, moved) =
        move_to(&app, &boss, id, json!({"stage_id": f, "override_reason": "老客户，已口头确认拜访"})).await;
    assert_eq!(s, StatusCode::OK, "{moved}");
    let (_, history) = app.opportunities().by(&xiaoli).get_part(id, "history").await;
    let entry = history.as_array().unwrap().iter().find(|h| h["field"] == "stage").unwrap();
    assert_eq!(entry["reason"], "老客户，已口头确认拜访");
    assert_eq!(entry["user_name"], "boss");
    let (_, log) = app.audit_log().list(&format!("entity_type=opportunity&entity_id={id}")).await;
    assert!(log["items"].as_array().unwrap().iter().any(|e| e["action"] == "opportunity.gate_override"), "{log}");
}

#[tokio::test]
async fn two_people_moving_the_same_card_the_second_gets_a_conflict() {
    let app = TestApp::new().await;
    let funnel = funnel(&app).await;
    let c = app.customer(&app.admin, "蓝天物流").await;
    let o = opportunity(&app, &app.admin, json!({"name": "蓝天 WMS", "customer_id": c, "amount": "10000"})).await;
    let id = o["id"].as_i64().unwrap();
    tick(&app, &app.admin, id, &required_items(stage(&funnel, "G"))).await;
    let version = o["version"].clone();
    let (s, _) =
        move_to(&app, &app.admin, id, json!({"stage_id": stage(&funnel, "F")["id"], "version": version})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, p) =
        move_to(&app, &app.admin, id, json!({"stage_id": stage(&funnel, "G")["id"], "version": version})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{p}");
    let (_, now) = app.opportunities().get(id).await;
    assert_eq!(now["stage_code"], "F");
}

#[tokio::test]
async fn winning_needs_the_last_gate_losing_needs_a_reason() {
    let app = TestApp::new().await;
    let funnel = funnel(&app).await;
    let c = app.customer(&app.admin, "长城汽车").await;
    let o = opportunity(&app, &app.admin, json!({"name": "长城 MES", "customer_id": c, "amount": "300000"})).await;
    let id = o["id"].as_i64().unwrap();
    let (s, p) = app.opportunities().act(id, "win", None).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let all_required: usize = funnel["stages"].as_array().unwrap().iter().map(|s| required_items(s).len()).sum();
    assert_eq!(p["errors"].as_array().unwrap().len(), all_required);

    for s in funnel["stages"].as_array().unwrap() {
        tick(&app, &app.admin, id, &required_items(s)).await;
    }
    let (s, won) = app.opportunities().act(id, "win", None).await;
    assert_eq!(s, StatusCode::OK, "{won}");
    assert_eq!(won["status"], "won");
    assert_eq!(won["stage_code"], "S");
    assert_eq!(won["probability"], 100);
    let (_, customer) = app.customers().get(c).await;
    assert!(customer["closed_at"].is_string(), "a won deal makes the customer a closed customer: {customer}");

    // Closed deals do not move.
    let (s, _) = move_to(&app, &app.admin, id, json!({"stage_id": stage(&funnel, "G")["id"]})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    let o = opportunity(&app, &app.admin, json!({"name": "长城 二期", "customer_id": c, "amount": "1"})).await;
    let id = o["id"].as_i64().unwrap();
    let (s, p) = app.opportunities().act(id, "lose", Some(&json!({}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_codes(&p), [("lost_reason_id".to_owned(), "required".to_owned())]);
    let (_, reasons) = app.lost_reasons().list("").await;
    let reason = reasons[0]["id"].clone();
    let (s, lost) =
        app.opportunities().act(id, "lose", Some(&json!({"lost_reason_id": reason, "reason": "预算砍掉"}))).await;
    assert_eq!(s, StatusCode::OK, "{lost}");
    assert_eq!(lost["status"], "lost");
    assert_eq!(lost["lost_reason"], reasons[0]["name"]);
    assert_eq!(lost["lost_note"], "预算砍掉");
    let (s, reopened) = app.opportunities().act(id, "reopen", None).await;
    assert_eq!(s, StatusCode::OK, "{reopened}");
    assert_eq!(reopened["status"], "open");
    assert!(reopened["lost_reason_id"].is_null());
}

#[tokio::test]
async fn a_salesperson_sees_and_moves_only_own_opportunities() {
    let app = TestApp::new().await;
    let (_, zhang) = app.signed_in("zhang", "salesperson", None).await;
    let (_, wang) = app.signed_in("wang", "salesperson", None).await;
    let c = app.customer(&zhang, "张的客户").await;
    let o = opportunity(&app, &zhang, json!({"name": "张的机会", "customer_id": c, "amount": "100"})).await;
    let id = o["id"].as_i64().unwrap();
    let (s, _) = app.opportunities().by(&wang).get(id).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = move_to(&app, &wang, id, json!({"stage_id": o["stage_id"]})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, list) = app.opportunities().by(&wang).list("").await;
    assert!(list["items"].as_array().unwrap().is_empty());
    // Nor can wang open one on zhang's customer.
    let (s, p) = app.opportunities().by(&wang).post(&json!({"name": "x", "customer_id": c, "amount": "1"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(error_codes(&p), [("customer_id".to_owned(), "unknown_reference".to_owned())]);
    let (_, list) = app.opportunities().by(&zhang).list("q=张的").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "Chinese search finds it");
}

#[tokio::test]
async fn stages_are_configured_without_breaking_open_opportunities() {
    let app = TestApp::new().await;
    let funnel = funnel(&app).await;
    let pid = funnel["id"].as_i64().unwrap();
    let c = app.customer(&app.admin, "星河科技").await;
    let o = opportunity(&app, &app.admin, json!({"name": "星河 CRM", "customer_id": c, "amount": "100"})).await;
    let g = stage(&funnel, "G");

    // Retiring a stage holding open deals is refused, saying how many.
    let (s, p) =
        app.api(Method::DELETE, &format!("/api/v1/pipelines/{pid}/stages/{}", g["id"]), Some(&app.admin), None).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["code"], "stage_has_open");
    assert_eq!(p["errors"][0]["params"]["count"], "1");

    // Editing G's probability moves the open deal's probability with it;
    // dropping a checklist item retires it.
    let mut body = g.clone();
    let obj = body.as_object_mut().unwrap();
    for k in ["id", "pipeline_id", "retired", "position"] {
        obj.remove(k);
    }
    obj.insert("probability".into(), json!(15));
    let items: Vec<Value> = g["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .skip(1)
        .map(|i| json!({"id": i["id"], "kind": i["kind"], "text": i["text"], "text_en": i["text_en"], "required": i["required"]}))
        .collect();
    obj.insert("checklist".into(), json!(items));
    let (s, p) = app
        .api(
            Method::PATCH,
            &format!("/api/v1/pipelines/{pid}/stages/{}", g["id"]),
            Some(&app.admin),
            Some(body.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(stage(&p, "G")["checklist"].as_array().unwrap().len(), g["checklist"].as_array().unwrap().len() - 1);
    let (_, now) = app.opportunities().get(&o["id"]).await;
    assert_eq!(now["probability"], 15);
    // The same version again: conflict.
    let (s, _) = app
        .api(Method::PATCH, &format!("/api/v1/pipelines/{pid}/stages/{}", g["id"]), Some(&app.admin), Some(body))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);

    // A new stage at the front, then the old order back.
    let (s, p) = app
        .pipelines()
        .act(
            pid,
            "stages",
            Some(
                &json!({"code": "H", "name": "线索筛选", "name_en": "Lead screening", "probability": 5, "position": 1,
                "checklist": [{"text": "确认预算", "required": true, "kind": "condition"}]}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    assert_eq!(p["stages"][0]["code"], "H");
    let mut order: Vec<i64> = p["stages"].as_array().unwrap().iter().map(|s| s["id"].as_i64().unwrap()).collect();
    order.rotate_left(1);
    let (s, p) = app
        .api(
            Method::PUT,
            &format!("/api/v1/pipelines/{pid}/stage-order"),
            Some(&app.admin),
            Some(json!({"order": order})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["stages"][0]["code"], "G");
    assert_eq!(p["stages"].as_array().unwrap().last().unwrap()["code"], "H");
    // An empty stage retires; it keeps its place but is flagged.
    let h = p["stages"].as_array().unwrap().last().unwrap()["id"].clone();
    let (s, p) = app.api(Method::DELETE, &format!("/api/v1/pipelines/{pid}/stages/{h}"), Some(&app.admin), None).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["stages"].as_array().unwrap().last().unwrap()["retired"], true);

    // Salespeople may read pipelines but not change them.
    let (_, li) = app.signed_in("li", "salesperson", None).await;
    let (s, _) = app.pipelines().by(&li).list("").await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.lost_reasons().by(&li).post(&json!({"name": "太贵"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_kanban_sums_each_column_and_pages_its_cards() {
    let app = TestApp::new().await;
    let funnel = funnel(&app).await;
    let pid = funnel["id"].as_i64().unwrap();
    let c = app.customer(&app.admin, "光明乳业").await;
    for (n, amount) in ["100", "250.50", "300"].iter().enumerate() {
        opportunity(&app, &app.admin, json!({"name": format!("光明 {n}"), "customer_id": c, "amount": amount})).await;
    }
    let (s, columns) = app
        .api(Method::GET, &format!("/api/v1/opportunities/kanban?pipeline_id={pid}&cards=2"), Some(&app.admin), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{columns}");
    let g = &columns[0];
    assert_eq!(g["stage"]["code"], "G");
    assert_eq!(g["count"], 3);
    assert_eq!(g["amount"], "650.50");
    // 650.50 × 10 % = 65.05
    assert_eq!(g["weighted_amount"], "65.05");
    let amounts: Vec<&str> =
        g["cards"]["items"].as_array().unwrap().iter().map(|c| c["amount"].as_str().unwrap()).collect();
    assert_eq!(amounts, ["300.00", "250.50"]);
    let cursor = g["cards"]["next_cursor"].as_str().unwrap();
    let (s, more) = app
        .api(
            Method::GET,
            &format!("/api/v1/opportunities/kanban/{}/cards?limit=2&cursor={cursor}", g["stage"]["id"]),
            Some(&app.admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{more}");
    assert_eq!(more["items"][0]["amount"], "100.00");
    assert!(more["next_cursor"].is_null());
    assert_eq!(columns[1]["count"], 0);
    let (s, _) = app
        .api(Method::GET, &format!("/api/v1/opportunities/kanban?pipeline_id={pid}&cards=0"), Some(&app.admin), None)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_lead_converts_into_customer_contact_and_opportunity() {
    let app = TestApp::new().await;
    let (s, lead) = app
        .leads()
        .post(&json!({"name": "周杰", "company": "宁波港务集团", "mobile": "13900001111", "status": "qualified",
                "source": "展会", "campaign": "2026 春季展"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{lead}");
    // A bad amount names the opportunity's field and converts nothing.
    let (s, p) = app.leads().act(&lead["id"], "convert", Some(&json!({"opportunity": {"amount": "-1"}}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(error_codes(&p), [("opportunity.amount".to_owned(), "negative".to_owned())]);
    let (_, l) = app.leads().get(&lead["id"]).await;
    assert!(l["converted_at"].is_null());

    let (s, done) = app
        .leads()
        .act(&lead["id"], "convert", Some(&json!({"opportunity": {"amount": "88000", "name": "港务 调度系统"}})))
        .await;
    assert_eq!(s, StatusCode::OK, "{done}");
    let o = done["opportunity_id"].as_i64().expect("an opportunity was opened");
    let (_, o) = app.opportunities().get(o).await;
    assert_eq!(o["name"], "港务 调度系统");
    assert_eq!(o["customer_id"], done["customer_id"]);
    assert_eq!(o["amount"], "88000.00");
    assert_eq!(o["source"], "展会");
    assert_eq!(o["campaign"], "2026 春季展");
    assert_eq!(o["lead_id"], lead["id"]);
    assert_eq!(o["contacts"][0]["contact_id"], done["contact_id"]);
    assert_eq!(o["contacts"][0]["role"], "handler");
}

#[tokio::test]
async fn a_transfer_hands_over_open_opportunities_and_activities_count_on_the_deal() {
    let app = TestApp::new().await;
    let (_, dept) = app.departments().post(&json!({"name": "华南"})).await;
    let dept = dept["id"].as_i64();
    let (leaving, chen) = app.signed_in("chen", "salesperson", dept).await;
    let taking = app.create_user("liu", "salesperson", dept).await;
    let c = app.customer(&chen, "珠江啤酒").await;
    let open = opportunity(&app, &chen, json!({"name": "珠江 ERP", "customer_id": c, "amount": "1000"})).await;
    let won = opportunity(&app, &chen, json!({"name": "珠江 旧单", "customer_id": c, "amount": "1000"})).await;
    let (_, reasons) = app.lost_reasons().by(&chen).list("").await;
    let (s, _) =
        app.opportunities().by(&chen).act(&won["id"], "lose", Some(&json!({"lost_reason_id": reasons[0]["id"]}))).await;
    assert_eq!(s, StatusCode::OK);

    // A visit recorded for the deal counts as activity on it.
    let visit = json!({"customer_id": c, "kind": "visit", "subject": "拜访采购部", "outcome": "约定演示",
        "occurred_at": "2099-01-01T02:00:00Z", "opportunity_id": open["id"]});
    let (s, a) = app.activities().by(&chen).post(&visit).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(a["opportunity_id"], open["id"]);
    let (_, o) = app.opportunities().by(&chen).get(&open["id"]).await;
    assert_eq!(o["last_activity_at"], "2099-01-01T02:00:00Z");
    // Another customer's deal is refused.
    let other = app.customer(&chen, "白云机场").await;
    let mut wrong = visit.clone();
    wrong["customer_id"] = json!(other);
    let (s, p) = app.activities().by(&chen).post(&wrong).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(error_codes(&p), [("opportunity_id".to_owned(), "unknown_reference".to_owned())]);

    let (s, moved) = app.users().act(leaving, "transfer", Some(&json!({"to_user_id": taking}))).await;
    assert_eq!(s, StatusCode::OK, "{moved}");
    assert_eq!(moved["opportunities"], 1);
    let (_, o) = app.opportunities().get(&open["id"]).await;
    assert_eq!(o["owner_id"], taking);
    let (_, lost) = app.opportunities().get(&won["id"]).await;
    assert_eq!(lost["owner_id"], leaving, "closed deals stay with who closed them");
    let (_, history) = app.opportunities().get_part(&open["id"], "history").await;
    assert_eq!(history[0]["field"], "owner");
    assert_eq!(history[0]["from_value"], "chen");
    assert_eq!(history[0]["to_value"], "liu");
}

#[tokio::test]
async fn the_gate_refusal_speaks_the_readers_language() {
    let app = TestApp::new().await;
    let funnel = funnel(&app).await;
    let c = app.customer(&app.admin, "Harbor Foods").await;
    let o = opportunity(&app, &app.admin, json!({"name": "Harbor ERP", "customer_id": c, "amount": "1"})).await;
    let request = crate::helpers::api_request(
        Method::POST,
        &format!("/api/v1/opportunities/{}/move", o["id"]),
        Some(&app.admin),
        Some(json!({"stage_id": stage(&funnel, "F")["id"]})),
        &[("accept-language", "en")],
    );
    let (s, _, p) = app.send(request).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let message = p["errors"][0]["message"].as_str().unwrap();
    assert!(message.starts_with("Not done: ") && message.contains("G Phone invitation"), "{message}");
    assert!(message.is_ascii(), "no Chinese in the English message: {message}");
}

#[tokio::test]
async fn the_list_exports_with_its_filters_as_csv_for_excel() {
    let app = TestApp::new().await;
    let c = app.customer(&app.admin, "温州正泰电器").await;
    opportunity(&app, &app.admin, json!({"name": "正泰 智能配电", "customer_id": c, "amount": "2500.5"})).await;
    opportunity(&app, &app.admin, json!({"name": "其他 项目", "customer_id": c, "amount": "1"})).await;
    let request = crate::helpers::api_request(
        Method::GET,
        "/api/v1/opportunities/export.csv?q=%E6%AD%A3%E6%B3%B0",
        Some(&app.admin),
        None,
        &[],
    );
    let response = tower::ServiceExt::oneshot(app.router.clone(), request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
    assert!(bytes.starts_with("\u{feff}".as_bytes()), "UTF-8 BOM for Excel");
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    assert!(text.contains("正泰 智能配电") && text.contains("2500.50"), "{text}");
    assert!(!text.contains("其他 项目"), "the filter applies");
    assert_eq!(text.lines().count(), 2, "header and one row: {text}");
}

/// Statements the board and the funnel report run per request stay a fixed
/// handful, however many stages (columns) the pipeline has: they used to
/// load the pipeline and the cards' names once per column (51 and 16).
#[tokio::test]
async fn the_board_and_the_funnel_run_a_bounded_number_of_statements() {
    use std::sync::atomic::Ordering;
    let app = TestApp::new().await;
    let funnel = funnel(&app).await;
    let pid = funnel["id"].as_i64().unwrap();
    let active = funnel["stages"].as_array().unwrap().iter().filter(|s| s["retired"] != true).count();
    assert!(active >= 6, "enough columns that a per-column query would show: {active}");
    let c = app.customer(&app.admin, "光明乳业").await;
    for n in 0..3 {
        opportunity(&app, &app.admin, json!({"name": format!("光明 {n}"), "customer_id": c, "amount": "100"})).await;
    }
    let mut store = app.store.clone();
    let counted = store.count_statements();
    let node = salesflow_web::router(salesflow_web::AppState { store, config: crate::helpers::config() });
    let get = |path: String| {
        let node = node.clone();
        let token = app.admin.clone();
        async move {
            let request = axum::http::Request::get(&path)
                .header("authorization", format!("Bearer {token}"))
                .body(axum::body::Body::empty())
                .unwrap();
            crate::helpers::send_to(&node, request).await
        }
    };
    // The sign-in check of each request is counted too (a few statements).
    counted.store(0, Ordering::SeqCst);
    let (s, _, columns) = get(format!("/api/v1/opportunities/kanban?pipeline_id={pid}&cards=20")).await;
    assert_eq!(s, StatusCode::OK, "{columns}");
    assert_eq!(columns.as_array().unwrap().len(), active);
    let board = counted.swap(0, Ordering::SeqCst);
    // 4 to sign in, 3 for the pipeline, totals, cards, owners' and customers' names.
    assert!(board <= 12, "the board ran {board} statements for {active} columns");
    let (s, _, report) = get(format!("/api/v1/reports/funnel?from=2026-01-01&to=2026-12-31&pipeline_id={pid}")).await;
    assert_eq!(s, StatusCode::OK, "{report}");
    let report = counted.swap(0, Ordering::SeqCst);
    // 4 to sign in, the settings (the request's defaults), the pipeline
    // with its stages, the settings with the summary's state, the summary,
    // open and stalled deals, names.
    assert!(report <= 11, "the funnel report ran {report} statements");
    eprintln!("statements per request: board {board}, funnel {report}");
}

#[tokio::test]
async fn a_deal_whose_contact_was_deleted_stays_editable_by_merge_patch() {
    let app = TestApp::new().await;
    let c = app.customer(&app.admin, "远景 能源").await;
    let contact = app.contacts().create(&json!({"customer_id": c, "name": "王芳", "role": "handler"})).await;
    let contact_id = contact["id"].as_i64().unwrap();
    let o = opportunity(
        &app,
        &app.admin,
        json!({"name": "远景 储能", "customer_id": c, "amount": "1000", "contacts": [{"contact_id": contact_id, "role": "handler"}]}),
    )
    .await;
    let id = o["id"].as_i64().unwrap();
    let (s, _) = app.contacts().delete(contact_id).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, read) = app.opportunities().get(id).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(read["contacts"], json!([]), "a deleted contact is not listed");
    let (s, patched) =
        app.opportunities().patch(id, &json!({"name": "远景 储能 二期", "version": read["version"]})).await;
    assert_eq!(s, StatusCode::OK, "{patched}");
    assert_eq!(patched["name"], "远景 储能 二期");
    assert_eq!(patched["amount"], read["amount"]);
}

#[tokio::test]
async fn stage_history_is_named_in_the_readers_language() {
    let app = TestApp::new().await;
    let funnel = funnel(&app).await;
    let c = app.customer(&app.admin, "华信科技").await;
    let o = opportunity(&app, &app.admin, json!({"name": "华信 ERP", "customer_id": c, "amount": "1000"})).await;
    let id = o["id"].as_i64().unwrap();
    let (g, f) = (stage(&funnel, "G"), stage(&funnel, "F"));
    let (s, moved) = move_to(&app, &app.admin, id, json!({"stage_id": f["id"], "override_reason": "已确认"})).await;
    assert_eq!(s, StatusCode::OK, "{moved}");
    for (language, name) in [("en", "name_en"), ("zh-CN", "name")] {
        let path = format!("/api/v1/opportunities/{id}/history");
        let request =
            crate::helpers::api_request(Method::GET, &path, Some(&app.admin), None, &[("accept-language", language)]);
        let (s, _, history) = app.send(request).await;
        assert_eq!(s, StatusCode::OK, "{history}");
        let entry = history.as_array().unwrap().iter().find(|h| h["field"] == "stage").expect("the move").clone();
        let label = |s: &Value| format!("{} {}", s["code"].as_str().unwrap(), s[name].as_str().unwrap());
        assert_eq!(entry["from_value"], label(g), "{language}: {entry}");
        assert_eq!(entry["to_value"], label(f), "{language}: {entry}");
        assert_eq!((entry["from_stage_id"].clone(), entry["to_stage_id"].clone()), (g["id"].clone(), f["id"].clone()));
    }
}
