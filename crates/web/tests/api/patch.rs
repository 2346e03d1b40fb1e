//! Every `PATCH` of the API is an RFC 7396 merge patch: an absent field
//! stays, `null` clears (or is refused when the field is required), a value
//! replaces, and a stale `version` is a 409. The routes are taken from the
//! OpenAPI document, so a new `PATCH` route without a case here fails.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// One PATCH route exercised on a record made for it.
struct Case {
    /// The route as the document names it.
    route: &'static str,
    /// The record's address.
    path: String,
    /// Where to read it back, and how to pick it out of that answer.
    read: String,
    pick: fn(&Value, &Value) -> Value,
    /// Fields changed by the first patch, with their new values.
    change: Value,
    /// Fields that must stay as they were.
    keep: &'static [&'static str],
    /// An optional field `null` clears (and what it reads as then).
    clear: Option<(&'static str, Value)>,
    /// A required field: `null` is a 422.
    required: Option<&'static str>,
    /// Whether the body carries `version` (else the record has none).
    versioned: bool,
    /// The record's id (for `pick`).
    id: Value,
}

fn same(v: &Value, _: &Value) -> Value {
    v.clone()
}

fn by_id_in_list(v: &Value, id: &Value) -> Value {
    let list = v.get("items").unwrap_or(v);
    list.as_array().and_then(|a| a.iter().find(|x| &x["id"] == id)).cloned().unwrap_or(Value::Null)
}

fn stage_of_pipeline(v: &Value, id: &Value) -> Value {
    v["stages"].as_array().and_then(|a| a.iter().find(|s| &s["id"] == id)).cloned().unwrap_or(Value::Null)
}

fn check_of_deal(v: &Value, id: &Value) -> Value {
    v["checklist"].as_array().and_then(|a| a.iter().find(|s| &s["item_id"] == id)).cloned().unwrap_or(Value::Null)
}

async fn post(app: &TestApp, path: &str, body: Value) -> Value {
    let (s, v) = app.api(Method::POST, path, Some(&app.admin), Some(body)).await;
    assert!(s.is_success(), "POST {path}: {s} {v}");
    v
}

async fn cases(app: &TestApp) -> Vec<Case> {
    let parent = post(app, "/api/v1/product-categories", json!({"name": "补丁上级"})).await;
    let category =
        post(app, "/api/v1/product-categories", json!({"name": "补丁分类", "parent_id": parent["id"]})).await;
    let product = post(
        app,
        "/api/v1/products",
        json!({"code": "PATCH-1", "name": "补丁产品", "unit": "台", "list_price": "100", "cost": "60",
               "tax_rate": "13", "specification": "规格", "category_id": category["id"]}),
    )
    .await;
    let warehouse = post(app, "/api/v1/warehouses", json!({"code": "PW", "name": "补丁仓", "address": "上海"})).await;
    let rule = post(
        app,
        "/api/v1/approval-rules",
        json!({"document_type": "order", "min_amount": "500000", "min_discount": "20", "steps": [{"manager": 1}]}),
    )
    .await;
    let supplier = post(
        app,
        "/api/v1/suppliers",
        json!({"name": "补丁供应商", "contact": "赵强", "phone": "021-6234 5678", "address": "苏州", "notes": "月结"}),
    )
    .await;
    let purchase = post(
        app,
        "/api/v1/purchase-orders",
        json!({"supplier_id": supplier["id"], "expected_date": "2026-12-20", "notes": "加急",
               "lines": [{"product_id": product["id"], "quantity": "2", "unit_cost": "60"}]}),
    )
    .await;
    let customer = post(
        app,
        "/api/v1/customers",
        json!({"name": "合并补丁 机械", "grade": "A", "industry": "manufacturing", "notes": "重要客户", "tags": ["老客户"]}),
    )
    .await;
    let cid = customer["id"].as_i64().unwrap();
    let order = post(
        app,
        "/api/v1/orders",
        json!({"customer_id": cid, "warehouse_id": warehouse["id"], "delivery_address": "上海市浦东新区张江路 88 号",
               "delivery_date": "2026-12-20", "notes": "送货前电话",
               "lines": [{"product_id": product["id"], "quantity": "1"}]}),
    )
    .await;
    let contract = post(
        app,
        "/api/v1/contracts",
        json!({"customer_id": cid, "title": "年度维保合同", "amount": "120000.00", "terms": "按季度付款",
               "start_date": "2027-01-01", "end_date": "2027-12-31"}),
    )
    .await;
    let contact = post(
        app,
        "/api/v1/contacts",
        json!({"customer_id": cid, "name": "王芳", "title": "采购经理", "phone": "0571-88880000", "role": "handler",
               "notes": "周三在"}),
    )
    .await;
    let quote = post(
        app,
        "/api/v1/quotes",
        json!({"customer_id": cid, "contact_id": contact["id"], "notes": "先发样品", "terms": "款到发货",
               "lines": [{"product_id": product["id"], "quantity": "2", "discount_percent": "5"}]}),
    )
    .await;
    let lead = post(
        app,
        "/api/v1/leads",
        json!({"name": "李雷", "company": "韩梅梅贸易", "phone": "13800000001", "source": "展会", "notes": "要样品"}),
    )
    .await;
    let task = post(
        app,
        "/api/v1/tasks",
        json!({"title": "回访", "description": "带报价", "due_date": "2030-05-01", "start_date": "2030-04-30",
               "priority": "high"}),
    )
    .await;
    let deal = post(
        app,
        "/api/v1/opportunities",
        json!({"name": "补丁 ERP", "customer_id": cid, "amount": "120000.00", "source": "官网",
               "expected_close_date": "2030-06-30", "notes": "预算已批"}),
    )
    .await;
    let item = deal["checklist"][0]["item_id"].clone();
    let department = post(app, "/api/v1/departments", json!({"name": "补丁部"})).await;
    let manager = app.create_user("patch.manager", "sales_manager", department["id"].as_i64()).await;
    let role = post(
        app,
        "/api/v1/roles",
        json!({"code": "patch_role", "name": "补丁角色", "data_scope": "own",
               "permissions": {"customers": ["view", "edit"], "opportunities": ["view"]}}),
    )
    .await;
    let pipeline = post(
        app,
        "/api/v1/pipelines",
        json!({"name": "补丁流程", "name_en": "Patch pipeline",
               "stages": [{"code": "a", "name": "初步接触", "name_en": "First", "probability": 10, "milestone": "见面",
                           "checklist": [{"text": "确认需求", "required": true}]},
                          {"code": "b", "name": "方案", "probability": 50}]}),
    )
    .await;
    let pid = pipeline["id"].as_i64().unwrap();
    let stage = pipeline["stages"][0].clone();
    let reason = post(app, "/api/v1/lost-reasons", json!({"name": "价格太高", "name_en": "Too expensive"})).await;
    let department_id = department["id"].clone();
    let comment = post(app, &format!("/api/v1/customers/{cid}/comments"), json!({"body": "先发报价"})).await;
    let choice = post(
        app,
        "/api/v1/picklists",
        json!({"list": "source", "code": "patch_fair", "label_zh": "补丁展会",
                                                        "label_en": "Patch fair"}),
    )
    .await;

    vec![
        Case {
            route: "/customers/{id}",
            path: format!("/api/v1/customers/{cid}"),
            read: format!("/api/v1/customers/{cid}"),
            pick: same,
            change: json!({"industry": "electronics"}),
            keep: &["name", "grade", "notes", "tags", "owner_id"],
            clear: Some(("grade", Value::Null)),
            required: Some("name"),
            versioned: true,
            id: json!(cid),
        },
        Case {
            route: "/contacts/{id}",
            path: format!("/api/v1/contacts/{}", contact["id"]),
            read: format!("/api/v1/contacts/{}", contact["id"]),
            pick: same,
            change: json!({"title": "总经理"}),
            keep: &["name", "phone", "notes", "role", "customer_id"],
            clear: Some(("phone", Value::Null)),
            required: Some("name"),
            versioned: true,
            id: contact["id"].clone(),
        },
        Case {
            route: "/leads/{id}",
            path: format!("/api/v1/leads/{}", lead["id"]),
            read: format!("/api/v1/leads/{}", lead["id"]),
            pick: same,
            change: json!({"intention": "high"}),
            keep: &["name", "company", "phone", "source", "notes", "status", "owner_id"],
            clear: Some(("source", Value::Null)),
            required: Some("name"),
            versioned: true,
            id: lead["id"].clone(),
        },
        Case {
            route: "/tasks/{id}",
            path: format!("/api/v1/tasks/{}", task["id"]),
            read: format!("/api/v1/tasks/{}", task["id"]),
            pick: same,
            change: json!({"priority": "low"}),
            keep: &["title", "description", "due_at", "start_at", "assignee_id", "status"],
            clear: Some(("start_date", Value::Null)),
            required: Some("title"),
            versioned: true,
            id: task["id"].clone(),
        },
        Case {
            route: "/opportunities/{id}",
            path: format!("/api/v1/opportunities/{}", deal["id"]),
            read: format!("/api/v1/opportunities/{}", deal["id"]),
            pick: same,
            change: json!({"next_step": "约技术交流"}),
            keep: &["name", "amount", "source", "expected_close_date", "notes", "customer_id", "owner_id", "stage_id"],
            clear: Some(("expected_close_date", Value::Null)),
            required: Some("amount"),
            versioned: true,
            id: deal["id"].clone(),
        },
        Case {
            route: "/opportunities/{id}/checklist/{item_id}",
            path: format!("/api/v1/opportunities/{}/checklist/{item}", deal["id"]),
            read: format!("/api/v1/opportunities/{}", deal["id"]),
            pick: check_of_deal,
            change: json!({"done": true}),
            keep: &["text", "required"],
            clear: None,
            required: Some("done"),
            versioned: false,
            id: item.clone(),
        },
        Case {
            route: "/users/{id}",
            path: format!("/api/v1/users/{manager}"),
            read: format!("/api/v1/users/{manager}"),
            pick: same,
            change: json!({"display_name": "补丁主管"}),
            keep: &["email", "role_id", "department_id", "active", "username"],
            clear: Some(("department_id", Value::Null)),
            required: Some("email"),
            versioned: true,
            id: json!(manager),
        },
        Case {
            route: "/departments/{id}",
            path: format!("/api/v1/departments/{department_id}"),
            read: "/api/v1/departments".into(),
            pick: by_id_in_list,
            change: json!({"manager_id": manager}),
            keep: &["name", "parent_id"],
            clear: Some(("manager_id", Value::Null)),
            required: Some("name"),
            versioned: true,
            id: department_id.clone(),
        },
        Case {
            route: "/roles/{id}",
            path: format!("/api/v1/roles/{}", role["id"]),
            read: format!("/api/v1/roles/{}", role["id"]),
            pick: same,
            change: json!({"name": "补丁角色二"}),
            keep: &["code", "data_scope", "permissions"],
            clear: None,
            required: Some("data_scope"),
            versioned: true,
            id: role["id"].clone(),
        },
        Case {
            route: "/settings",
            path: "/api/v1/settings".into(),
            read: "/api/v1/settings".into(),
            pick: same,
            change: json!({"pool_claim_limit": 7}),
            keep: &["company_name", "currency", "time_zone", "date_format", "pool_return_days"],
            clear: None,
            required: Some("currency"),
            versioned: true,
            id: Value::Null,
        },
        Case {
            route: "/pipelines/{id}",
            path: format!("/api/v1/pipelines/{pid}"),
            read: format!("/api/v1/pipelines/{pid}"),
            pick: same,
            change: json!({"name": "补丁流程二"}),
            keep: &["name_en", "retired", "stages"],
            clear: Some(("name_en", json!(""))),
            required: Some("name"),
            versioned: true,
            id: json!(pid),
        },
        Case {
            route: "/pipelines/{id}/stages/{stage_id}",
            path: format!("/api/v1/pipelines/{pid}/stages/{}", stage["id"]),
            read: format!("/api/v1/pipelines/{pid}"),
            pick: stage_of_pipeline,
            change: json!({"probability": 15}),
            keep: &["code", "name", "name_en", "milestone", "checklist"],
            clear: Some(("milestone", json!(""))),
            required: Some("probability"),
            versioned: true,
            id: stage["id"].clone(),
        },
        Case {
            route: "/comments/{id}",
            path: format!("/api/v1/comments/{}", comment["id"]),
            read: format!("/api/v1/customers/{cid}/comments"),
            pick: by_id_in_list,
            change: json!({"body": "报价已发"}),
            keep: &["author_id", "subject_type", "subject_id", "created_at"],
            clear: None,
            required: Some("body"),
            versioned: true,
            id: comment["id"].clone(),
        },
        Case {
            route: "/picklists/{id}",
            path: format!("/api/v1/picklists/{}", choice["id"]),
            read: "/api/v1/picklists".into(),
            pick: by_id_in_list,
            change: json!({"label_en": "Patched fair"}),
            keep: &["code", "list", "label_zh", "position", "active"],
            clear: Some(("label_en", json!(""))),
            required: Some("label_zh"),
            versioned: true,
            id: choice["id"].clone(),
        },
        Case {
            route: "/products/{id}",
            path: format!("/api/v1/products/{}", product["id"]),
            read: format!("/api/v1/products/{}", product["id"]),
            pick: same,
            change: json!({"list_price": "99.00"}),
            keep: &["code", "name", "unit", "cost", "tax_rate", "specification"],
            clear: Some(("category_id", Value::Null)),
            required: Some("name"),
            versioned: true,
            id: product["id"].clone(),
        },
        Case {
            route: "/product-categories/{id}",
            path: format!("/api/v1/product-categories/{}", category["id"]),
            read: "/api/v1/product-categories".into(),
            pick: by_id_in_list,
            change: json!({"name": "补丁分类二"}),
            keep: &["parent_id"],
            clear: Some(("parent_id", Value::Null)),
            required: Some("name"),
            versioned: true,
            id: category["id"].clone(),
        },
        Case {
            route: "/warehouses/{id}",
            path: format!("/api/v1/warehouses/{}", warehouse["id"]),
            read: format!("/api/v1/warehouses/{}", warehouse["id"]),
            pick: same,
            change: json!({"name": "补丁仓二"}),
            keep: &["code", "address", "active"],
            clear: None,
            required: Some("code"),
            versioned: true,
            id: warehouse["id"].clone(),
        },
        Case {
            route: "/approval-rules/{id}",
            path: format!("/api/v1/approval-rules/{}", rule["id"]),
            read: format!("/api/v1/approval-rules/{}", rule["id"]),
            pick: same,
            change: json!({"min_amount": "800000.00"}),
            keep: &["document_type", "min_discount", "steps", "active"],
            clear: Some(("min_discount", Value::Null)),
            required: Some("document_type"),
            versioned: true,
            id: rule["id"].clone(),
        },
        Case {
            route: "/orders/{id}",
            path: format!("/api/v1/orders/{}", order["id"]),
            read: format!("/api/v1/orders/{}", order["id"]),
            pick: same,
            change: json!({"delivery_address": "杭州市西湖区文三路 1 号"}),
            keep: &["customer_id", "warehouse_id", "notes", "total"],
            clear: Some(("delivery_date", Value::Null)),
            required: Some("customer_id"),
            versioned: true,
            id: order["id"].clone(),
        },
        Case {
            route: "/quotes/{id}",
            path: format!("/api/v1/quotes/{}", quote["id"]),
            read: format!("/api/v1/quotes/{}", quote["id"]),
            pick: same,
            change: json!({"terms": "月结 30 天"}),
            keep: &["customer_id", "valid_until", "notes", "total", "lines"],
            clear: Some(("contact_id", Value::Null)),
            required: Some("customer_id"),
            versioned: true,
            id: quote["id"].clone(),
        },
        Case {
            route: "/contracts/{id}",
            path: format!("/api/v1/contracts/{}", contract["id"]),
            read: format!("/api/v1/contracts/{}", contract["id"]),
            pick: same,
            change: json!({"amount": "135000.50"}),
            keep: &["customer_id", "title", "terms", "end_date"],
            clear: Some(("start_date", Value::Null)),
            required: Some("title"),
            versioned: true,
            id: contract["id"].clone(),
        },
        Case {
            route: "/suppliers/{id}",
            path: format!("/api/v1/suppliers/{}", supplier["id"]),
            read: format!("/api/v1/suppliers/{}", supplier["id"]),
            pick: same,
            change: json!({"phone": "021-5555 6666"}),
            keep: &["name", "contact", "address", "notes"],
            clear: Some(("notes", json!(""))),
            required: Some("name"),
            versioned: true,
            id: supplier["id"].clone(),
        },
        Case {
            route: "/purchase-orders/{id}",
            path: format!("/api/v1/purchase-orders/{}", purchase["id"]),
            read: format!("/api/v1/purchase-orders/{}", purchase["id"]),
            pick: same,
            change: json!({"notes": "不急"}),
            keep: &["supplier_id", "expected_date", "total"],
            clear: Some(("expected_date", Value::Null)),
            required: Some("supplier_id"),
            versioned: true,
            id: purchase["id"].clone(),
        },
        Case {
            route: "/lost-reasons/{id}",
            path: format!("/api/v1/lost-reasons/{}", reason["id"]),
            read: "/api/v1/lost-reasons?include_retired=true".into(),
            pick: by_id_in_list,
            change: json!({"retired": true}),
            keep: &["name", "name_en"],
            clear: Some(("name_en", json!(""))),
            required: Some("name"),
            versioned: false,
            id: reason["id"].clone(),
        },
    ]
}

async fn read(app: &TestApp, case: &Case) -> Value {
    let (s, v) = app.api(Method::GET, &case.read, Some(&app.admin), None).await;
    assert_eq!(s, StatusCode::OK, "GET {}: {v}", case.read);
    let record = (case.pick)(&v, &case.id);
    assert!(record.is_object(), "{} not found in {v}", case.route);
    record
}

fn with_version(mut body: Value, version: Option<i64>) -> Value {
    if let (Some(v), Some(map)) = (version, body.as_object_mut()) {
        map.insert("version".into(), json!(v));
    }
    body
}

#[tokio::test]
async fn every_patch_route_is_a_merge_patch() {
    let app = TestApp::new().await;
    let document: Value = serde_json::from_str(salesflow_web::api::openapi_document()).unwrap();
    let mut routes: Vec<String> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, ops)| ops.get("patch").is_some())
        .map(|(p, _)| p.trim_start_matches("/api/v1").to_owned())
        .collect();
    routes.sort();
    let cases = cases(&app).await;
    let mut covered: Vec<String> = cases.iter().map(|c| c.route.to_owned()).collect();
    covered.sort();
    assert_eq!(routes, covered, "every PATCH route of the document needs a case here");

    for case in &cases {
        let before = read(&app, case).await;
        let version = case.versioned.then(|| before["version"].as_i64().expect("version"));

        // Absent fields stay; the named ones change.
        let (s, v) = app
            .api(Method::PATCH, &case.path, Some(&app.admin), Some(with_version(case.change.clone(), version)))
            .await;
        assert!(s.is_success(), "{}: {s} {v}", case.route);
        let after = read(&app, case).await;
        for (field, value) in case.change.as_object().unwrap() {
            assert_eq!(&after[field], value, "{}: {field} changed", case.route);
        }
        for field in case.keep {
            assert_eq!(after[*field], before[*field], "{}: {field} must stay", case.route);
        }
        let version = case.versioned.then(|| after["version"].as_i64().unwrap());

        if let Some(v) = version {
            // A stale version changes nothing.
            let (s, p) = app
                .api(Method::PATCH, &case.path, Some(&app.admin), Some(with_version(case.change.clone(), Some(v - 1))))
                .await;
            assert_eq!(s, StatusCode::CONFLICT, "{}: {p}", case.route);
            // No version at all is refused, not taken as the current one.
            let (s, p) = app.api(Method::PATCH, &case.path, Some(&app.admin), Some(case.change.clone())).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{}: {p}", case.route);
            assert_eq!(p["errors"][0]["field"], "version", "{}: {p}", case.route);
        }

        // `null` on a required field is a 422 naming it, and changes nothing.
        if let Some(field) = case.required {
            let (s, p) = app
                .api(Method::PATCH, &case.path, Some(&app.admin), Some(with_version(json!({ field: null }), version)))
                .await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{}: {p}", case.route);
            assert_eq!(p["errors"][0]["field"], field, "{}: {p}", case.route);
            assert_eq!(read(&app, case).await, after, "{}: a refused patch changes nothing", case.route);
        }

        // `null` on an optional field clears it and leaves the rest.
        if let Some((field, cleared)) = &case.clear {
            let (s, p) = app
                .api(Method::PATCH, &case.path, Some(&app.admin), Some(with_version(json!({ *field: null }), version)))
                .await;
            assert!(s.is_success(), "{}: {s} {p}", case.route);
            let now = read(&app, case).await;
            assert_eq!(&now[*field], cleared, "{}: {field} cleared", case.route);
            // (`start_at` is `start_date` as an instant: it clears with it.)
            let linked = |f: &str| f.split('_').next() == field.split('_').next();
            for field in case.keep.iter().filter(|f| !linked(f)) {
                assert_eq!(now[*field], after[*field], "{}: {field} must stay", case.route);
            }
        }

        // Not an object: 422; not JSON: 400.
        let (s, _) = app.api(Method::PATCH, &case.path, Some(&app.admin), Some(json!([1, 2]))).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{}", case.route);
    }
}

#[tokio::test]
async fn the_issue_example_keeps_every_other_field() {
    let app = TestApp::new().await;
    let c = post(
        &app,
        "/api/v1/customers",
        json!({"name": "杭州机械", "grade": "B", "industry": "manufacturing", "notes": "老客户", "region": "浙江 杭州",
               "credit_limit": "5000.00"}),
    )
    .await;
    let (s, v) = app.customers().patch(&c["id"], &json!({"industry": "electronics", "version": c["version"]})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["industry"], "electronics");
    for field in ["name", "grade", "notes", "province", "city", "credit_limit", "tags", "owner_id"] {
        assert_eq!(v[field], c[field], "{field}");
    }
    // `region` alone replaces province and city together.
    let (s, v) = app.customers().patch(&c["id"], &json!({"region": "江苏 南京", "version": v["version"]})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["province"].as_str(), v["city"].as_str()), (Some("江苏"), Some("南京")));
    assert_eq!(v["grade"], "B");
}
