//! Imports from CSV (UTF-8, UTF-8 with BOM, GBK) and Excel: dry run,
//! duplicates, rejected rows, bad files, scope, remembered mappings.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::{TestApp, send_to};
use crate::support::browser::sign_in;
use crate::support::urlencode;

/// A multipart body: `(name, file name, bytes)` parts.
fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----salesflow-test-boundary-7MA4YWxkTrZu0gW".to_owned();
    let mut body = Vec::new();
    for (name, file_name, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file_name {
            Some(f) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (boundary, body)
}

async fn post_multipart(
    app: &TestApp,
    path: &str,
    token: &str,
    parts: &[(&str, Option<&str>, &[u8])],
) -> (StatusCode, Value) {
    let (boundary, body) = multipart(parts);
    let request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .header("x-forwarded-for", "203.0.113.9")
        .header(header::ACCEPT_LANGUAGE, "en")
        .body(Body::from(body))
        .unwrap();
    let (status, _, json) = send_to(&app.router, request).await;
    (status, json)
}

/// Uploads and starts an import; answers the job when it has finished.
pub(crate) async fn import(
    app: &TestApp,
    token: &str,
    target: &str,
    file: &str,
    bytes: &[u8],
    extra: &[(&str, &str)],
) -> Value {
    let mut parts: Vec<(&str, Option<&str>, &[u8])> = vec![("target", None, target.as_bytes())];
    for (k, v) in extra {
        parts.push((k, None, v.as_bytes()));
    }
    parts.push(("file", Some(file), bytes));
    let (status, job) = post_multipart(app, "/api/v1/imports", token, &parts).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    finished(app, token, job["id"].as_i64().unwrap()).await
}

async fn finished(app: &TestApp, token: &str, id: i64) -> Value {
    for _ in 0..400 {
        let (status, job) = app.imports().by(token).get(id).await;
        assert_eq!(status, StatusCode::OK, "{job}");
        if matches!(job["status"].as_str(), Some("done" | "failed" | "cancelled")) {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("import {id} did not finish");
}

async fn customer_names(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let (status, page) = app.customers().by(token).list(&format!("limit=500{query}")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let mut names: Vec<String> =
        page["items"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect();
    names.sort();
    names
}

fn codes(job: &Value) -> Vec<(u64, String, String)> {
    job["sample_errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap(),
                e["column"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn rejected_csv(app: &TestApp, token: &str, id: i64) -> String {
    let request = Request::builder()
        .uri(format!("/api/v1/imports/{id}/rejected.csv"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = send_to(&app.router, request).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/csv"));
    body.as_str().unwrap().to_owned()
}

const BAD_ROWS: &str = "客户名称,等级,信用额度,负责人,行业\n\
上海华信科技有限公司,A,500000,,信息技术\n\
,B,,,\n\
深圳云帆网络,D,,,\n\
北京精工机械,C,-5,,\n\
广州南方贸易,B,abc,,\n\
杭州海润食品,A,,nobody,\n\
成都光谷电子,B,1000.50,admin,电子\n";

#[tokio::test]
async fn dry_run_reports_every_bad_row_and_writes_nothing() {
    let app = TestApp::new().await;
    let long = format!("{},A,,,\n", "长".repeat(201));
    let csv = format!("{BAD_ROWS}{long}");
    let job = import(&app, &app.admin, "customers", "客户.csv", csv.as_bytes(), &[("dry_run", "true")]).await;
    assert_eq!(job["status"], "done", "{job}");
    assert_eq!(job["dry_run"], true);
    assert_eq!(job["file_format"], "csv-utf8");
    assert_eq!(job["total_rows"], 8);
    assert_eq!(job["processed"], 8);
    assert_eq!(job["inserted"], 2, "{job}");
    assert_eq!(job["rejected"], 6);
    assert_eq!(job["percent"], 100);
    assert_eq!(
        codes(&job),
        vec![
            (3, "客户名称".to_owned(), "required".to_owned()),
            (4, "等级".to_owned(), "invalid_choice".to_owned()),
            (5, "信用额度".to_owned(), "negative".to_owned()),
            (6, "信用额度".to_owned(), "invalid_amount".to_owned()),
            (7, "负责人".to_owned(), "unknown_reference".to_owned()),
            (9, "客户名称".to_owned(), "too_long".to_owned()),
        ]
    );
    assert!(customer_names(&app, &app.admin, "").await.is_empty(), "a dry run writes nothing");

    // The full report: the original row, its number and the reason, in the importer's language.
    let report = rejected_csv(&app, &app.admin, job["id"].as_i64().unwrap()).await;
    assert!(report.starts_with('\u{feff}'), "UTF-8 with BOM for Excel");
    let lines: Vec<&str> = report.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 7);
    assert_eq!(lines[0], "Row,客户名称,等级,信用额度,负责人,行业,Reason");
    assert_eq!(lines[2], "4,深圳云帆网络,D,,,,等级: Not one of the choices.");
    assert!(lines[5].starts_with("7,杭州海润食品,A,,nobody,,负责人: Does not exist."), "{}", lines[5]);
}

#[tokio::test]
async fn import_inserts_valid_rows_and_skips_duplicates() {
    let app = TestApp::new().await;
    app.customers().create(&json!({"name": "上海华信科技有限公司", "grade": "C"})).await;
    let csv = "客户名称,等级,行业\n\
上海华信科技,A,信息技术\n\
深圳云帆网络,B,互联网\n\
深圳云帆网络有限公司,A,\n\
北京精工机械,,制造业\n\
,A,\n";
    let job = import(&app, &app.admin, "customers", "c.csv", csv.as_bytes(), &[("duplicates", "skip")]).await;
    assert_eq!(job["status"], "done", "{job}");
    assert_eq!(
        (job["inserted"].as_i64(), job["skipped"].as_i64(), job["rejected"].as_i64()),
        (Some(2), Some(2), Some(1))
    );
    assert_eq!(customer_names(&app, &app.admin, "").await, ["上海华信科技有限公司", "北京精工机械", "深圳云帆网络"]);
    let (_, page) = app.customers().list("q=%E5%8D%8E%E4%BF%A1").await;
    assert_eq!(page["items"][0]["grade"], "C", "skipped: the existing customer is unchanged");

    // One audit row for the whole import, not one per row.
    let (_, audit) = app.audit_log().list("action=import.customers").await;
    let entries = audit["items"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{audit}");
    assert_eq!(entries[0]["after"]["inserted"], 2);
    assert_eq!(entries[0]["after"]["file_name"], "c.csv");
}

#[tokio::test]
async fn merge_fills_the_existing_record_from_non_blank_cells() {
    let app = TestApp::new().await;
    let (_, existing) = app
        .customers()
        .post(&json!({"name": "上海华信科技有限公司", "grade": "C", "industry": "信息技术", "province": "上海"}))
        .await;
    let csv = "公司名称,等级,行业,省份\n\
上海华信科技,A,,\n\
杭州海润食品,B,食品饮料,\n\
杭州海润食品有限公司,,,浙江\n\
上海华信科技股份有限公司,,,江苏\n";
    let job = import(&app, &app.admin, "customers", "m.csv", csv.as_bytes(), &[("duplicates", "merge")]).await;
    assert_eq!((job["inserted"].as_i64(), job["merged"].as_i64()), (Some(1), Some(3)), "{job}");
    let id = existing["id"].as_i64().unwrap();
    let (_, after) = app.customers().get(id).await;
    assert_eq!(after["grade"], "A", "a non-blank cell overwrites");
    assert_eq!(after["province"], "江苏", "two rows for one customer both count");
    assert_eq!(after["industry"], "it", "a blank cell changes nothing");
    assert_eq!(after["version"], 2, "written once");
    let (_, page) = app.customers().list("q=%E6%B5%B7%E6%B6%A6").await;
    let merged = &page["items"][0];
    assert_eq!(merged["name"], "杭州海润食品");
    assert_eq!(
        (merged["grade"].as_str(), merged["province"].as_str()),
        (Some("B"), Some("浙江")),
        "rows of one file merge too"
    );
}

#[tokio::test]
async fn gbk_and_bom_files_import_chinese_names_found_by_two_characters() {
    let app = TestApp::new().await;
    let (gbk, _, unmappable) = encoding_rs::GBK.encode("客户名称,省份\n苏州瑞丰精密,江苏\n");
    assert!(!unmappable);
    let job = import(&app, &app.admin, "customers", "gbk.csv", &gbk, &[]).await;
    assert_eq!(job["file_format"], "csv-gbk");
    assert_eq!(job["inserted"], 1, "{job}");
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice("客户名称,省份\n厦门鼎盛物流,福建\n".as_bytes());
    let job = import(&app, &app.admin, "customers", "bom.csv", &bom, &[]).await;
    assert_eq!(job["file_format"], "csv-utf8");
    assert_eq!(job["inserted"], 1, "{job}");
    assert_eq!(customer_names(&app, &app.admin, "&q=%E7%91%9E%E4%B8%B0").await, ["苏州瑞丰精密"]);
    assert_eq!(customer_names(&app, &app.admin, "&q=%E9%BC%8E%E7%9B%9B").await, ["厦门鼎盛物流"]);
    let (_, page) = app.customers().list("q=%E7%91%9E%E4%B8%B0").await;
    assert_eq!(page["items"][0]["province"], "江苏");
}

#[tokio::test]
async fn an_xlsx_file_imports() {
    let app = TestApp::new().await;
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (col, h) in ["Company Name", "Grade", "Credit Limit", "Tags"].iter().enumerate() {
        sheet.write(0, col as u16, *h).unwrap();
    }
    sheet.write(1, 0, "南京金陵汽车零部件").unwrap();
    sheet.write(1, 1, "A").unwrap();
    sheet.write(1, 2, 250000).unwrap();
    sheet.write(1, 3, "重点，华东").unwrap();
    sheet.write(2, 0, "").unwrap();
    sheet.write(2, 1, "B").unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let job = import(&app, &app.admin, "customers", "客户.xlsx", &bytes, &[]).await;
    assert_eq!(job["file_format"], "xlsx");
    assert_eq!((job["inserted"].as_i64(), job["rejected"].as_i64()), (Some(1), Some(1)), "{job}");
    assert_eq!(codes(&job), vec![(3, "Company Name".to_owned(), "required".to_owned())]);
    let (_, page) = app.customers().list("q=%E9%87%91%E9%99%B5").await;
    let c = &page["items"][0];
    assert_eq!(c["credit_limit"], "250000.00");
    assert_eq!(c["tags"], json!(["重点", "华东"]));
}

#[tokio::test]
async fn files_that_are_not_tables_get_a_clear_422() {
    let app = TestApp::new().await;
    let png: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
    for (name, bytes, code) in [
        ("logo.png", png, "not_a_table"),
        ("empty.csv", b"".as_slice(), "empty_file"),
        ("header-only.csv", "客户名称,等级\n".as_bytes(), "empty_file"),
    ] {
        let (s, p) = post_multipart(
            &app,
            "/api/v1/imports",
            &app.admin,
            &[("target", None, b"customers"), ("file", Some(name), bytes)],
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {p}");
        assert_eq!(p["errors"][0]["field"], "file", "{name}");
        assert_eq!(p["errors"][0]["code"], code, "{name}");
        assert!(!p["errors"][0]["message"].as_str().unwrap().is_empty());
    }
    // Columns none of which can be told: nothing to import until mapped.
    let (s, p) = post_multipart(
        &app,
        "/api/v1/imports",
        &app.admin,
        &[("target", None, b"customers"), ("file", Some("x.csv"), b"foo,bar\n1,2\n")],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["code"], "no_usable_columns");
    // A wrong target or a missing file.
    let (s, p) = post_multipart(
        &app,
        "/api/v1/imports",
        &app.admin,
        &[("target", None, b"orders"), ("file", Some("x.csv"), b"name\nA\n")],
    )
    .await;
    assert_eq!((s, p["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("target")));
    let (s, p) = post_multipart(&app, "/api/v1/imports", &app.admin, &[("target", None, b"customers")]).await;
    assert_eq!((s, p["errors"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("required")));
    // Not multipart at all, or a field the form does not have.
    let (s, p) = app.imports().post(&json!({"target": "customers"})).await;
    assert_eq!((s, p["status"].as_u64()), (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some(415)));
    let (s, p) =
        post_multipart(&app, "/api/v1/imports", &app.admin, &[("target", None, b"customers"), ("owner", None, b"x")])
            .await;
    assert_eq!((s, p["errors"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_field")));
    assert!(customer_names(&app, &app.admin, "").await.is_empty());
}

#[tokio::test]
async fn a_salespersons_import_stays_in_their_scope() {
    let app = TestApp::new().await;
    let (_, li) = app.signed_in("li.na", "salesperson", None).await;
    let (_, wang) = app.signed_in("wang.fang", "salesperson", None).await;
    let csv = "客户名称,负责人\n上海华信科技,\n深圳云帆网络,li.na\n北京精工机械,wang.fang\n广州南方贸易,wang.fang@example.com\n";
    let job = import(&app, &li, "customers", "mine.csv", csv.as_bytes(), &[]).await;
    assert_eq!((job["inserted"].as_i64(), job["rejected"].as_i64()), (Some(2), Some(2)), "{job}");
    assert_eq!(
        codes(&job).into_iter().map(|(row, _, code)| (row, code)).collect::<Vec<_>>(),
        [(4, "owner_outside_scope".to_owned()), (5, "owner_outside_scope".to_owned())]
    );
    assert_eq!(customer_names(&app, &li, "").await, ["上海华信科技", "深圳云帆网络"]);
    let (_, page) = app.customers().by(&li).list("").await;
    assert!(page["items"].as_array().unwrap().iter().all(|c| c["owner_name"] == "li.na"));
    assert!(customer_names(&app, &wang, "").await.is_empty());
    // Another salesperson sees neither the import nor its rejected rows.
    let id = job["id"].as_i64().unwrap();
    let (s, _) = app.imports().by(&wang).get(id).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, list) = app.imports().by(&wang).list("").await;
    assert!(list["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_mapping_is_remembered_for_the_next_file() {
    let app = TestApp::new().await;
    let csv = b"Firma,Stufe\nAcme Handel,A\n";
    let (s, preview) = post_multipart(
        &app,
        "/api/v1/imports/preview",
        &app.admin,
        &[("target", None, b"customers"), ("file", Some("a.csv"), csv)],
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{preview}");
    assert_eq!(preview["columns"][0]["header"], "Firma");
    assert_eq!(preview["columns"][0]["samples"], json!(["Acme Handel"]));
    assert_eq!(preview["columns"][0]["field"], Value::Null, "nothing to guess from");
    assert!(preview["fields"].as_array().unwrap().iter().any(|f| f["name"] == "name" && f["required"] == true));
    let id = preview["import"]["id"].as_i64().unwrap();
    // Without a usable mapping it cannot start; with one it runs.
    let (s, p) = app.imports().act(id, "start", Some(&json!({}))).await;
    assert_eq!((s, p["errors"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("no_usable_columns")));
    let body = json!({"mapping": {"Firma": "name", "Stufe": "grade"}, "duplicates": "skip"});
    let (s, job) = app.imports().act(id, "start", Some(&body)).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{job}");
    let job = finished(&app, &app.admin, job["id"].as_i64().unwrap()).await;
    assert_eq!(job["inserted"], 1);

    let (_, next) = post_multipart(
        &app,
        "/api/v1/imports/preview",
        &app.admin,
        &[("target", None, b"customers"), ("file", Some("b.csv"), b"Stufe,Firma,Ort\nB,Beta GmbH,Berlin\n")],
    )
    .await;
    let fields: Vec<Value> = next["columns"].as_array().unwrap().iter().map(|c| c["field"].clone()).collect();
    assert_eq!(fields, [json!("grade"), json!("name"), Value::Null]);
    // Cancelling a draft leaves nothing to run.
    let id = next["import"]["id"].as_i64().unwrap();
    let (s, c) = app.imports().act(id, "cancel", None).await;
    assert_eq!((s, c["status"].as_str()), (StatusCode::OK, Some("cancelled")));
    let (s, _) = app.imports().act(id, "cancel", None).await;
    assert_eq!(s, StatusCode::CONFLICT);
}

#[tokio::test]
async fn contacts_are_matched_to_visible_customers_by_name() {
    let app = TestApp::new().await;
    let (_, c) = app.customers().post(&json!({"name": "上海华信科技有限公司"})).await;
    let customer_id = c["id"].as_i64().unwrap();
    let _ = app
        .contacts()
        .create(&json!({"customer_id": customer_id, "name": "陈静", "role": "handler", "mobile": "13800138000"}))
        .await;
    let csv = "客户名称,联系人,手机,邮箱,角色\n\
上海华信科技,李娜,13900139000,li.na@huaxin.cn,决策人\n\
上海华信科技,陈静,+86 138-0013-8000,,\n\
不存在的公司,王芳,13700137000,,\n\
上海华信科技,赵敏,12,bad-mail,老板\n";
    let job = import(&app, &app.admin, "contacts", "contacts.csv", csv.as_bytes(), &[]).await;
    assert_eq!(
        (job["inserted"].as_i64(), job["skipped"].as_i64(), job["rejected"].as_i64()),
        (Some(1), Some(1), Some(2)),
        "{job}"
    );
    let found: Vec<(u64, String)> = codes(&job).into_iter().map(|(row, _, code)| (row, code)).collect();
    assert_eq!(
        found,
        [
            (4, "unknown_reference".to_owned()),
            (5, "invalid_choice".to_owned()),
            (5, "invalid_phone".to_owned()),
            (5, "invalid_email".to_owned())
        ]
    );
    let (_, contacts) = app.contacts().list("q=%E6%9D%8E%E5%A8%9C").await;
    let li = &contacts["items"][0];
    assert_eq!(li["customer_id"], customer_id);
    assert_eq!(li["role"], "decision_maker");
    assert_eq!(li["email"], "li.na@huaxin.cn");
}

// ---------------------------------------------------------------- pages

fn page_request(
    method: Method,
    path: &str,
    cookies: &str,
    content_type: Option<String>,
    body: Vec<u8>,
) -> Request<Body> {
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header(header::COOKIE, cookies)
        .header(header::ACCEPT_LANGUAGE, "zh-CN")
        .header("x-forwarded-for", "192.0.2.7");
    if let Some(ct) = content_type {
        b = b.header(header::CONTENT_TYPE, ct);
    }
    b.body(Body::from(body)).unwrap()
}

async fn page(app: &TestApp, path: &str, cookies: &str) -> (StatusCode, String) {
    let (s, _, body) = app.send(page_request(Method::GET, path, cookies, None, Vec::new())).await;
    (s, body.as_str().unwrap_or_default().to_owned())
}

async fn post_form(app: &TestApp, path: &str, cookies: &str, body: &str) -> (StatusCode, String) {
    let form = Some("application/x-www-form-urlencoded".to_owned());
    let (s, h, _) = app.send(page_request(Method::POST, path, cookies, form, body.as_bytes().to_vec())).await;
    (s, h.get(header::LOCATION).map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default())
}

async fn upload_page(
    app: &TestApp,
    cookies: &str,
    parts: &[(&str, Option<&str>, &[u8])],
) -> (StatusCode, String, String) {
    let (boundary, body) = multipart(parts);
    let ct = Some(format!("multipart/form-data; boundary={boundary}"));
    let (s, h, page) = app.send(page_request(Method::POST, "/imports", cookies, ct, body)).await;
    let location = h.get(header::LOCATION).map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
    (s, location, page.as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn the_pages_upload_map_dry_run_and_import() {
    let app = TestApp::new().await;
    let (cookies, csrf) = sign_in(&app).await;
    let (s, html) = page(&app, "/customers", &cookies).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("href=\"/imports/new?target=customers\""), "the customer list links to the import");
    let csv = "客户名称,等级,备注\n无锡天成机械,A,老客户\n,B,\n".as_bytes();

    // The upload form's CSRF field must come first.
    let (s, _, _) = upload_page(&app, &cookies, &[("target", None, b"customers"), ("file", Some("c.csv"), csv)]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, html) = upload_page(
        &app,
        &cookies,
        &[
            ("_csrf", None, csrf.as_bytes()),
            ("target", None, b"customers"),
            ("file", Some("logo.png"), b"\x89PNG\r\n\x1a\n\0\0"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("这不是 CSV 或 Excel 文件"), "{html}");

    let (s, mapping, _) = upload_page(
        &app,
        &cookies,
        &[("_csrf", None, csrf.as_bytes()), ("target", None, b"customers"), ("file", Some("客户.csv"), csv)],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(mapping.ends_with("/mapping"), "{mapping}");
    let (s, html) = page(&app, &mapping, &cookies).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("无锡天成机械") && html.contains("<option value=\"name\" selected>"), "{html}");
    let id = mapping.trim_start_matches("/imports/").trim_end_matches("/mapping").to_owned();

    // Nothing mapped to the name: the page says so and keeps the choices.
    let body = format!("_csrf={csrf}&col_0=&col_1=grade&col_2=notes&duplicates=merge&action=dry_run");
    let form = Some("application/x-www-form-urlencoded".to_owned());
    let (s, _, html) =
        app.send(page_request(Method::POST, &format!("/imports/{id}/start"), &cookies, form, body.into_bytes())).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let html = html.as_str().unwrap();
    assert!(html.contains("请为每个必填字段选择对应的列") && html.contains("value=\"merge\" checked"), "{html}");

    let body = format!("_csrf={csrf}&col_0=name&col_1=grade&col_2=notes&duplicates=skip&action=dry_run");
    let (s, job_page) = post_form(&app, &format!("/imports/{id}/start"), &cookies, &body).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let dry_id: i64 = job_page.trim_start_matches("/imports/").parse().unwrap();
    finished(&app, &app.admin, dry_id).await;
    let (_, html) = page(&app, &format!("/imports/{dry_id}/progress"), &cookies).await;
    assert!(html.contains("data-status=\"done\"") && !html.contains("hx-trigger"), "polling stops when done");
    assert!(html.contains("立即导入") && html.contains("必填") && html.contains("/rejected.csv"), "{html}");
    assert!(customer_names(&app, &app.admin, "").await.is_empty());

    let (s, next) = post_form(&app, &format!("/imports/{dry_id}/run"), &cookies, &format!("_csrf={csrf}")).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let run_id: i64 = next.trim_start_matches("/imports/").parse().unwrap();
    assert_ne!(run_id, dry_id);
    let job = finished(&app, &app.admin, run_id).await;
    assert_eq!((job["inserted"].as_i64(), job["rejected"].as_i64()), (Some(1), Some(1)));
    let (_, html) = page(&app, &format!("/imports/{run_id}"), &cookies).await;
    assert!(html.contains("打开客户列表") && html.contains("100%"), "{html}");
    let (_, html) = page(&app, "/imports", &cookies).await;
    assert!(html.contains("客户.csv") && html.contains("已完成"), "{html}");
    assert_eq!(customer_names(&app, &app.admin, "").await, ["无锡天成机械"]);
}

#[tokio::test]
async fn an_import_whose_node_stopped_is_marked_failed() {
    use salesflow_domain::imports::DuplicateMode;
    use salesflow_store::imports::{self, StartInput};
    use sea_orm::{ConnectionTrait, Statement};

    let app = TestApp::new().await;
    let (_, preview) = post_multipart(
        &app,
        "/api/v1/imports/preview",
        &app.admin,
        &[("target", None, b"customers"), ("file", Some("a.csv"), "客户名称\n无锡天成机械\n".as_bytes())],
    )
    .await;
    let id = preview["import"]["id"].as_i64().unwrap();
    // Queued as a node would, which then died before (or while) running it.
    let admin = imports::actor_for_username(&app.store, "admin").await.unwrap();
    let input = StartInput { mapping: None, duplicates: DuplicateMode::Skip, dry_run: false };
    imports::start(&app.store, &admin, id, input).await.unwrap();
    assert_eq!(imports::fail_stale(&app.store, chrono::Duration::minutes(10)).await.unwrap(), 0, "still fresh");
    let an_hour_ago = chrono::Utc::now() - chrono::Duration::hours(1);
    let backend = app.store.reader().get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => "UPDATE imports SET updated_at = $1 WHERE id = $2",
        _ => "UPDATE imports SET updated_at = ? WHERE id = ?",
    };
    app.store
        .reader()
        .execute_raw(Statement::from_sql_and_values(backend, sql, [an_hour_ago.into(), id.into()]))
        .await
        .unwrap();
    assert_eq!(imports::fail_stale(&app.store, chrono::Duration::minutes(10)).await.unwrap(), 1);
    let (_, job) = app.imports().get(id).await;
    assert_eq!(job["status"], "failed");
    assert!(job["error"].as_str().unwrap().contains("stopped"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_running_import_stops_it_at_the_next_batch() {
    use std::sync::Arc;

    use salesflow_domain::imports::DuplicateMode;
    use salesflow_store::imports::{self, ImportView, StartInput};
    use sea_orm::{EntityTrait, PaginatorTrait};

    let app = TestApp::new().await;
    let mut csv = String::from("客户名称,等级\n");
    for i in 0..2 * imports::BATCH + 100 {
        csv.push_str(&format!("无锡测试机械{i}号,B\n"));
    }
    let (_, preview) = post_multipart(
        &app,
        "/api/v1/imports/preview",
        &app.admin,
        &[("target", None, b"customers"), ("file", Some("big.csv"), csv.as_bytes())],
    )
    .await;
    let id = preview["import"]["id"].as_i64().unwrap();
    let admin = imports::actor_for_username(&app.store, "admin").await.unwrap();
    let input = StartInput { mapping: None, duplicates: DuplicateMode::Skip, dry_run: false };
    let job = imports::start(&app.store, &admin, id, input).await.unwrap();
    // The user presses "cancel" right after the first batch was committed.
    let (store, who) = (app.store.clone(), admin.clone());
    let on_progress: imports::OnProgress = Arc::new(move |v: &ImportView| {
        if v.processed == imports::BATCH as i64 {
            let handle = tokio::runtime::Handle::current();
            tokio::task::block_in_place(|| handle.block_on(imports::cancel(&store, &who, v.id))).unwrap();
        }
    });
    let messages: imports::Messages = Arc::new(|key: &str| key.to_owned());
    let done = imports::run(&app.store, &admin, job.id, messages, Some(on_progress)).await.unwrap();
    assert_eq!(done.status, "cancelled");
    let batch = imports::BATCH as i64;
    assert_eq!((done.processed, done.inserted), (batch, batch), "the batch in flight was rolled back");
    let stored = salesflow_store::entity::customer::Entity::find().count(app.store.reader()).await.unwrap();
    assert_eq!(stored, batch as u64, "later batches never ran");
    let (_, audit) = app.audit_log().list("action=import.customers").await;
    assert_eq!(audit["items"][0]["after"]["status"], "cancelled");
    assert_eq!(audit["items"][0]["after"]["inserted"], batch);
}

#[tokio::test]
async fn a_file_over_the_configured_size_is_refused() {
    let app = TestApp::new().await;
    let data_dir = std::env::temp_dir().join(crate::helpers::unique("salesflow-upload-"));
    let config =
        salesflow_web::WebConfig { upload_max_bytes: 1024, data_dir: data_dir.clone(), ..crate::helpers::config() };
    let small = salesflow_web::router(salesflow_web::AppState { store: app.store.clone(), config });
    let mut csv = String::from("客户名称\n");
    while csv.len() <= 1024 {
        csv.push_str("无锡天成机械有限公司\n");
    }
    let (boundary, body) = multipart(&[("target", None, b"customers"), ("file", Some("big.csv"), csv.as_bytes())]);
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/imports")
        .header(header::AUTHORIZATION, format!("Bearer {}", app.admin))
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .unwrap();
    let (status, _, problem) = send_to(&small, request).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["code"], "file_too_large");
    let left = std::fs::read_dir(data_dir.join("imports")).map(|d| d.count()).unwrap_or(0);
    assert_eq!(left, 0, "the partial upload is removed");
    let _ = std::fs::remove_dir_all(data_dir);
}

#[tokio::test]
async fn contacts_merge_into_the_contact_with_the_same_phone() {
    let app = TestApp::new().await;
    let (_, c) = app.customers().post(&json!({"name": "上海华信科技有限公司"})).await;
    let customer_id = c["id"].as_i64().unwrap();
    let (_, existing) = app
        .contacts()
        .post(&json!({"customer_id": customer_id, "name": "陈静", "role": "handler", "mobile": "13800138000"}))
        .await;
    let csv = "客户名称,姓名,手机,邮箱,职务\n上海华信科技,陈静,138 0013 8000,chen.jing@huaxin.cn,采购经理\n";
    let job = import(&app, &app.admin, "contacts", "c.csv", csv.as_bytes(), &[("duplicates", "merge")]).await;
    assert_eq!((job["inserted"].as_i64(), job["merged"].as_i64()), (Some(0), Some(1)), "{job}");
    let id = existing["id"].as_i64().unwrap();
    let (_, after) = app.contacts().get(id).await;
    assert_eq!((after["title"].as_str(), after["email"].as_str()), (Some("采购经理"), Some("chen.jing@huaxin.cn")));
    assert_eq!(after["role"], "handler", "a blank role cell keeps the role");
    assert_eq!(after["version"], 2);
    // The merged e-mail is searchable.
    let (_, found) = app.contacts().list("q=chen.jing").await;
    assert_eq!(found["items"][0]["id"], id);
}

// ---------------------------------------------------------------- leads

/// The leads a search finds, by name, sorted.
async fn lead_names(app: &TestApp, token: &str, q: &str) -> Vec<String> {
    let (status, page) = app.leads().by(token).list(&format!("limit=500&q={}", urlencode(q))).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let mut names: Vec<String> =
        page["items"].as_array().unwrap().iter().map(|l| l["name"].as_str().unwrap().to_owned()).collect();
    names.sort();
    names
}

async fn lead_named(app: &TestApp, token: &str, name: &str) -> Value {
    let (_, page) = app.leads().by(token).list(&format!("limit=500&q={}", urlencode(name))).await;
    page["items"].as_array().unwrap().iter().find(|l| l["name"] == name).cloned().unwrap_or(Value::Null)
}

const LEAD_ROWS: &str = "姓名,公司名称,职务,手机,邮箱,意向程度,状态,负责人,营销活动\n\
李娜,上海华信科技,采购经理,138-0013-8000,li.na@huaxin.cn,高,新线索,,2026 春季展会\n\
王芳,深圳云帆网络,,,wang@@yunfan,中,,,\n\
张伟,北京精工机械,,13700001234,,很想买,,,\n\
,广州南方贸易,,13600001234,,低,,,\n\
刘洋,杭州海润食品,,13500001234,,,,wang.fang,\n\
陈静,成都光谷电子,,+86 138 0013 8000,,,已联系,,\n\
赵敏,苏州瑞丰精密,经理,13900001111,,高,,,\n\
孙丽,厦门鼎盛物流,,13300001234,,,无效,,\n\
周杰,南京金陵制药,,,zhou@jinling.cn,low,qualified,li.na,\n";

#[tokio::test]
async fn leads_import_after_a_dry_run_with_every_bad_row_reported() {
    let app = TestApp::new().await;
    let (_, li) = app.signed_in("li.na", "salesperson", None).await;
    let (_, wang) = app.signed_in("wang.fang", "salesperson", None).await;
    // Wang's lead with Li's first mobile is outside Li's scope: not a duplicate for her.
    app.leads().by(&wang).create(&json!({"name": "吴迪", "mobile": "13800138000"})).await;
    let (s, _) = app.leads().by(&li).post(&json!({"name": "赵敏", "mobile": "139 0000 1111"})).await;
    assert_eq!(s, StatusCode::CREATED);

    let dry = import(&app, &li, "leads", "线索.csv", LEAD_ROWS.as_bytes(), &[("dry_run", "true")]).await;
    assert_eq!(dry["status"], "done", "{dry}");
    assert_eq!(dry["target"], "leads");
    assert_eq!(
        (dry["processed"].as_i64(), dry["inserted"].as_i64(), dry["skipped"].as_i64(), dry["rejected"].as_i64()),
        (Some(9), Some(2), Some(2), Some(5)),
        "{dry}"
    );
    let expected = [
        (3, "邮箱", "invalid_email"),
        (4, "意向程度", "invalid_choice"),
        (5, "姓名", "required"),
        (6, "负责人", "owner_outside_scope"),
        (9, "disqualify_reason", "required"),
    ];
    assert_eq!(codes(&dry), expected.map(|(r, c, e)| (r, c.to_owned(), e.to_owned())).to_vec());
    let report = rejected_csv(&app, &li, dry["id"].as_i64().unwrap()).await;
    assert!(report.contains("王芳") && report.contains("Not a valid e-mail address"), "{report}");
    assert!(!report.contains("李娜"), "good rows are not in the report");
    assert_eq!(lead_names(&app, &li, "").await, ["赵敏"], "a dry run writes nothing");
    let (cookies, _) = sign_in(&app).await;
    let (_, html) = page(&app, &format!("/imports/{}/progress", dry["id"]), &cookies).await;
    assert!(html.contains("<td>无效原因</td>") && html.contains("<td>邮箱</td>"), "{html}");

    let job = import(&app, &li, "leads", "线索.csv", LEAD_ROWS.as_bytes(), &[]).await;
    assert_eq!(
        (job["inserted"].as_i64(), job["skipped"].as_i64(), job["rejected"].as_i64()),
        (Some(2), Some(2), Some(5)),
        "{job}"
    );
    assert_eq!(lead_names(&app, &li, "").await, ["周杰", "李娜", "赵敏"]);
    // Found by two Chinese characters of the name or the company.
    assert_eq!(lead_names(&app, &li, "李娜").await, ["李娜"]);
    assert_eq!(lead_names(&app, &li, "金陵").await, ["周杰"]);
    let li_na = lead_named(&app, &li, "李娜").await;
    assert_eq!(li_na["company"], "上海华信科技");
    assert_eq!(li_na["intention"], "high");
    assert_eq!(li_na["status"], "new");
    assert_eq!(li_na["campaign"], "2026 春季展会");
    assert_eq!(li_na["owner_name"], "li.na");
    let zhou = lead_named(&app, &li, "周杰").await;
    assert_eq!((zhou["status"].as_str(), zhou["intention"].as_str()), (Some("qualified"), Some("low")));
    let zhao = lead_named(&app, &li, "赵敏").await;
    assert_eq!((zhao["title"].clone(), zhao["version"].as_i64()), (Value::Null, Some(1)), "skipped: unchanged");
    assert!(lead_names(&app, &wang, "李娜").await.is_empty(), "another salesperson's scope");

    // One audit row for the whole import.
    let (_, audit) = app.audit_log().list("action=import.leads").await;
    let entries = audit["items"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{audit}");
    assert_eq!(entries[0]["after"]["inserted"], 2);
}

#[tokio::test]
async fn lead_duplicates_merge_non_blank_cells() {
    let app = TestApp::new().await;
    app.leads()
        .create(&json!({"name": "赵敏", "company": "苏州瑞丰精密", "mobile": "139 0000 1111", "intention": "high"}))
        .await;
    // Row 2 matches the lead by mobile, row 3 row 2 by the e-mail it adds; row 4 is new.
    let csv = "姓名,手机,邮箱,职务,意向程度,状态,无效原因\n\
赵敏,+86 139-0000-1111,zhao@ruifeng.cn,总经理,低,,\n\
赵敏,,ZHAO@ruifeng.cn,,,已联系,\n\
钱进,13100001234,,,,无效,预算不足\n";
    let job = import(&app, &app.admin, "leads", "merge.csv", csv.as_bytes(), &[("duplicates", "merge")]).await;
    assert_eq!(
        (job["inserted"].as_i64(), job["merged"].as_i64(), job["rejected"].as_i64()),
        (Some(1), Some(2), Some(0)),
        "{job}"
    );
    let zhao = lead_named(&app, &app.admin, "赵敏").await;
    assert_eq!(zhao["company"], "苏州瑞丰精密", "blank cells change nothing");
    assert_eq!(zhao["title"], "总经理");
    assert_eq!(zhao["email"], "ZHAO@ruifeng.cn", "the later row wins");
    assert_eq!(zhao["intention"], "low");
    assert_eq!(zhao["status"], "contacted");
    assert_eq!(zhao["version"], 2);
    assert_eq!(lead_names(&app, &app.admin, "瑞丰").await, ["赵敏"]);
    let qian = lead_named(&app, &app.admin, "钱进").await;
    assert_eq!((qian["status"].as_str(), qian["disqualify_reason"].as_str()), (Some("disqualified"), Some("预算不足")));

    // A converted lead is history: merging into it is refused for the row.
    let id = zhao["id"].as_i64().unwrap();
    let body = json!({
        "name": "赵敏", "company": "苏州瑞丰精密", "title": "总经理", "mobile": "139 0000 1111",
        "email": "zhao@ruifeng.cn", "intention": "low", "status": "qualified", "version": 2,
    });
    let (s, l) = app.leads().patch(id, &body).await;
    assert_eq!(s, StatusCode::OK, "{l}");
    let (s, c) = app.leads().act(id, "convert", Some(&json!({}))).await;
    assert_eq!(s, StatusCode::OK, "{c}");
    let again = "姓名,手机,职务\n赵敏,13900001111,董事长\n";
    let job = import(&app, &app.admin, "leads", "again.csv", again.as_bytes(), &[("duplicates", "merge")]).await;
    assert_eq!(codes(&job), [(2, "手机".to_owned(), "duplicate_not_editable".to_owned())]);
    assert_eq!(lead_named(&app, &app.admin, "赵敏").await["title"], "总经理");
}

#[tokio::test]
async fn a_gbk_lead_file_imports_and_its_mapping_is_remembered() {
    let app = TestApp::new().await;
    let (gbk, _, unmappable) = encoding_rs::GBK.encode("姓名,公司,手机,来源\n韩梅,青岛海信达,13812345678,展会\n");
    assert!(!unmappable);
    let job = import(&app, &app.admin, "leads", "gbk.csv", &gbk, &[]).await;
    assert_eq!(job["file_format"], "csv-gbk");
    assert_eq!(job["inserted"], 1, "{job}");
    assert_eq!(lead_names(&app, &app.admin, "韩梅").await, ["韩梅"]);
    assert_eq!(lead_named(&app, &app.admin, "韩梅").await["source"], "展会");

    // Headers nothing guesses: mapped by hand once, offered again next time.
    let (s, preview) = post_multipart(
        &app,
        "/api/v1/imports/preview",
        &app.admin,
        &[("target", None, b"leads"), ("file", Some("a.csv"), "Kontakt,Firma\nAnna Berg,Acme\n".as_bytes())],
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{preview}");
    assert_eq!(preview["columns"][0]["field"], Value::Null);
    assert!(preview["fields"].as_array().unwrap().iter().any(|f| f["name"] == "intention"));
    let id = preview["import"]["id"].as_i64().unwrap();
    let body = json!({"mapping": {"Kontakt": "name", "Firma": "company"}});
    let (s, job) = app.imports().act(id, "start", Some(&body)).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{job}");
    assert_eq!(finished(&app, &app.admin, id).await["inserted"], 1);
    let (_, next) = post_multipart(
        &app,
        "/api/v1/imports/preview",
        &app.admin,
        &[("target", None, b"leads"), ("file", Some("b.csv"), "Firma,Kontakt\nBeta,Bo Lind\n".as_bytes())],
    )
    .await;
    let fields: Vec<Value> = next["columns"].as_array().unwrap().iter().map(|c| c["field"].clone()).collect();
    assert_eq!(fields, [json!("company"), json!("name")]);
    // The customers' mapping is a different one.
    let (_, other) = post_multipart(
        &app,
        "/api/v1/imports/preview",
        &app.admin,
        &[("target", None, b"customers"), ("file", Some("c.csv"), "Firma,Kontakt\nBeta,Bo Lind\n".as_bytes())],
    )
    .await;
    assert_eq!(other["columns"][0]["field"], Value::Null);
}

#[tokio::test]
async fn the_lead_list_links_to_the_lead_import() {
    let app = TestApp::new().await;
    let (cookies, _) = sign_in(&app).await;
    let (s, html) = page(&app, "/leads", &cookies).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("href=\"/imports/new?target=leads\""), "{html}");
    let (_, html) = page(&app, "/imports/new?target=leads", &cookies).await;
    assert!(html.contains("value=\"leads\" checked") && html.contains("意向程度"), "{html}");
}

/// Moves a job's finish (and last change) into the past, as time would.
async fn age_import(app: &TestApp, id: i64, days: i64) {
    use sea_orm::{ConnectionTrait, Statement};
    let then = chrono::Utc::now() - chrono::Duration::days(days);
    let backend = app.store.reader().get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => "UPDATE imports SET finished_at = $1, updated_at = $1 WHERE id = $2",
        _ => "UPDATE imports SET finished_at = ?1, updated_at = ?1 WHERE id = ?2",
    };
    app.store
        .reader()
        .execute_raw(Statement::from_sql_and_values(backend, sql, [then.into(), id.into()]))
        .await
        .unwrap();
}

#[tokio::test]
async fn files_of_imports_finished_a_week_ago_are_removed_and_the_job_says_expired() {
    use salesflow_domain::imports::DuplicateMode;
    use salesflow_store::entity::import_job;
    use salesflow_store::imports::{self, StartInput};
    use sea_orm::EntityTrait;

    let app = TestApp::new().await;
    let week_ago = || chrono::Utc::now() - chrono::Duration::days(imports::FILES_KEPT_DAYS);
    let stored = |id: i64| {
        let store = app.store.clone();
        async move { import_job::Entity::find_by_id(id).one(store.reader()).await.unwrap().unwrap() }
    };

    // A dry run, then the import of the same upload: both jobs use one file.
    let csv = "客户名称,等级\n无锡天成机械,A\n苏州博远电子,D\n";
    let dry = import(&app, &app.admin, "customers", "a.csv", csv.as_bytes(), &[("dry_run", "true")]).await;
    let dry_id = dry["id"].as_i64().unwrap();
    let admin = imports::actor_for_username(&app.store, "admin").await.unwrap();
    let input = StartInput { mapping: None, duplicates: DuplicateMode::Skip, dry_run: false };
    let real = imports::start(&app.store, &admin, dry_id, input.clone()).await.unwrap();
    let messages: imports::Messages = std::sync::Arc::new(|key: &str| key.to_owned());
    let real = imports::run(&app.store, &admin, real.id, messages, None).await.unwrap();
    assert_eq!((real.status.as_str(), real.inserted, real.rejected), ("done", 1, 1));
    let (dry_job, real_job) = (stored(dry_id).await, stored(real.id).await);
    assert_eq!(dry_job.file_path, real_job.file_path);
    let upload = std::path::PathBuf::from(&dry_job.file_path);
    let (dry_report, real_report) =
        (dry_job.report_path.clone().unwrap().into(), real_job.report_path.clone().unwrap().into());
    let upload_dir = upload.parent().unwrap().to_owned();
    let exists = |p: &std::path::PathBuf| p.exists();
    assert!(exists(&upload) && exists(&dry_report) && exists(&real_report));

    // Fresh jobs keep their files.
    assert_eq!(imports::expire_files(&app.store, &upload_dir, week_ago()).await.unwrap(), 0);
    assert!(exists(&upload) && exists(&dry_report));

    // The dry run is old, the import is not: its report goes, the shared upload stays.
    age_import(&app, dry_id, 8).await;
    assert_eq!(imports::expire_files(&app.store, &upload_dir, week_ago()).await.unwrap(), 1);
    assert!(!exists(&dry_report), "the old dry run's rejected rows are removed");
    assert!(exists(&upload) && exists(&real_report), "the newer import still has its files");
    let (s, job) = app.imports().get(dry_id).await;
    assert_eq!(s, StatusCode::OK, "the job row stays");
    assert_eq!((job["files_expired"].as_bool(), job["has_report"].as_bool()), (Some(true), Some(false)), "{job}");
    assert_eq!(job["inserted"], 1, "its figures stay");
    let (s, _) = app.imports().get_part(dry_id, "rejected.csv").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Running the expired dry run's file again is refused with a field error, not a 500.
    let (s, problem) = app.imports().act(dry_id, "start", Some(&json!({}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "file");

    // Once the import is old too, the upload goes as well; nothing is expired twice.
    age_import(&app, real.id, 8).await;
    assert_eq!(imports::expire_files(&app.store, &upload_dir, week_ago()).await.unwrap(), 1);
    assert!(!exists(&upload) && !exists(&real_report));
    assert_eq!(imports::expire_files(&app.store, &upload_dir, week_ago()).await.unwrap(), 0);
    let (cookies, _) = sign_in(&app).await;
    let (s, html) = page(&app, &format!("/imports/{}", real.id), &cookies).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("import-files-expired") && !html.contains("rejected.csv"), "{html}");

    // A command-line import names a file of the user's own: never deleted.
    let own_dir = std::env::temp_dir().join(crate::helpers::unique("salesflow-own-"));
    std::fs::create_dir_all(&own_dir).unwrap();
    let own = own_dir.join("mine.csv");
    std::fs::write(&own, csv).unwrap();
    let draft = imports::upload(&app.store, &admin, salesflow_domain::imports::Target::Customers, "mine.csv", &own)
        .await
        .unwrap();
    age_import(&app, draft.id, 8).await;
    assert_eq!(imports::expire_files(&app.store, &upload_dir, week_ago()).await.unwrap(), 1, "an old draft expires");
    assert!(own.exists(), "outside the upload directory: left alone");
    assert!(stored(draft.id).await.files_expired_at.is_some());
    std::fs::remove_dir_all(&own_dir).unwrap();
}

#[tokio::test]
async fn bigrams_left_waiting_by_an_import_become_searchable_when_moved() {
    use salesflow_store::search::{self, Kind};

    let app = TestApp::new().await;
    let (s, c) = app.customers().post(&json!({"name": "苏州博远电子有限公司"})).await;
    assert_eq!(s, StatusCode::CREATED);
    let id = c["id"].as_i64().unwrap();
    let found = |q: &str| {
        let q = urlencode(q);
        let app = &app;
        async move { customer_names(app, &app.admin, &format!("&q={q}")).await }
    };
    // As an import whose node stopped between a batch and the move leaves them.
    let txn = app.store.begin().await.unwrap();
    search::index_later(&txn, Kind::Customer, &[(id, "苏州博远电子有限公司 博远智联".to_owned())]).await.unwrap();
    txn.commit().await.unwrap();
    assert!(found("智联").await.is_empty(), "waiting bigrams are not searched yet");
    assert_eq!(found("博远").await, ["苏州博远电子有限公司"], "the row's own bigrams are there");
    // Moved in key order; bigrams the index already holds are skipped, not an error.
    let moved = search::flush_pending(&app.store).await.unwrap();
    assert!(moved > 0 && moved < 14, "only the new bigrams: {moved}");
    assert_eq!(found("智联").await, ["苏州博远电子有限公司"]);
    assert_eq!(search::flush_pending(&app.store).await.unwrap(), 0, "nothing waits any more");

    // A row renamed before its waiting bigrams moved drops them.
    let txn = app.store.begin().await.unwrap();
    search::index_later(&txn, Kind::Customer, &[(id, "旧称天成".to_owned())]).await.unwrap();
    txn.commit().await.unwrap();
    let (s, _) = app.customers().patch(id, &json!({"name": "苏州博远科技有限公司", "version": c["version"]})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(search::flush_pending(&app.store).await.unwrap(), 0);
    assert!(found("天成").await.is_empty());
    assert_eq!(found("博远科技").await, ["苏州博远科技有限公司"]);
}

#[tokio::test]
async fn the_rejected_rows_need_the_right_to_import_not_only_to_view() {
    let app = TestApp::new().await;
    let job = import(&app, &app.admin, "customers", "客户.csv", BAD_ROWS.as_bytes(), &[("dry_run", "true")]).await;
    let id = job["id"].as_i64().unwrap();
    // Sees every customer and every import, may import nothing.
    let viewer = app
        .sign_in_with_new_role(
            "viewer",
            json!({"code": "viewer", "name": "只读", "data_scope": "all", "permissions": {"customers": ["view"]}}),
        )
        .await;
    let (s, _) = app.imports().by(&viewer).get(id).await;
    assert_eq!(s, StatusCode::OK, "the import itself is visible");
    let (s, p) = app.imports().by(&viewer).get_part(id, "rejected.csv").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{p}");
    assert!(rejected_csv(&app, &app.admin, id).await.contains("深圳云帆网络"));
}

/// 撞单 in imports: a salesperson's rows matching another rep's customer
/// (its name, its contact's phone or e-mail) are rejected with the owner's
/// name only; a manager's import goes by its duplicate mode and its audit
/// event records the reason `import <job id>`.
#[tokio::test]
async fn a_salespersons_rows_on_another_reps_customer_are_rejected() {
    let app = TestApp::new().await;
    let (_, li) = app.signed_in("li.na", "salesperson", None).await;
    let (_, wang) = app.signed_in("wang.fang", "salesperson", None).await;
    let huaxin = app.customer(&wang, "上海华信有限公司").await;
    app.contacts()
        .by(&wang)
        .create(&json!({"customer_id": huaxin, "name": "陈经理", "mobile": "13800138000", "role": "handler"}))
        .await;

    let csv = "客户名称\n上海华信\n深圳云帆网络\n";
    let job = import(&app, &li, "customers", "mine.csv", csv.as_bytes(), &[]).await;
    assert_eq!((job["inserted"].as_i64(), job["rejected"].as_i64()), (Some(1), Some(1)), "{job}");
    assert_eq!(
        codes(&job).into_iter().map(|(row, _, code)| (row, code)).collect::<Vec<_>>(),
        [(2, "owned_by_other".to_owned())]
    );
    let report = rejected_csv(&app, &li, job["id"].as_i64().unwrap()).await;
    assert!(report.contains("wang.fang") && !report.contains("上海华信有限公司"), "{report}");

    let leads = "姓名,公司名称,手机\n陈经理,,+86 138 0013 8000\n赵敏,苏州工业园,13900001111\n";
    let job = import(&app, &li, "leads", "leads.csv", leads.as_bytes(), &[]).await;
    assert_eq!((job["inserted"].as_i64(), job["rejected"].as_i64()), (Some(1), Some(1)), "{job}");
    assert_eq!(codes(&job)[0].2, "owned_by_other");

    // The administrator's import: the mode decides (skip: both exist now), the reason is recorded.
    let job = import(&app, &app.admin, "customers", "all.csv", csv.as_bytes(), &[]).await;
    assert_eq!((job["skipped"].as_i64(), job["rejected"].as_i64()), (Some(2), Some(0)), "{job}");
    let id = job["id"].as_i64().unwrap();
    let (_, log) = app.audit_log().list(&format!("entity_type=import&entity_id={id}")).await;
    assert_eq!(log["items"][0]["after"]["duplicate_reason"], format!("import {id}"), "{log}");
}

#[tokio::test]
async fn imported_tags_are_written_and_a_merge_replaces_them_only_when_given() {
    let app = TestApp::new().await;
    let kept = app.customers().create(&json!({"name": "上海华信科技有限公司", "tags": ["老客户"]})).await;
    let replaced = app.customers().create(&json!({"name": "杭州海润食品有限公司", "tags": ["老客户"]})).await;
    let csv = "公司名称,等级,标签\n\
上海华信科技,A,\n\
杭州海润食品,B,\" 重点 ，华东\"\n\
北京精工机械,,VIP;华北\n";
    let job = import(&app, &app.admin, "customers", "t.csv", csv.as_bytes(), &[("duplicates", "merge")]).await;
    assert_eq!((job["inserted"].as_i64(), job["merged"].as_i64()), (Some(1), Some(2)), "{job}");
    assert_eq!(app.customers().get(kept["id"].as_i64().unwrap()).await.1["tags"], json!(["老客户"]));
    assert_eq!(app.customers().get(replaced["id"].as_i64().unwrap()).await.1["tags"], json!(["重点", "华东"]));
    let (_, page) = app.customers().list("tag=VIP").await;
    assert_eq!(page["items"][0]["name"], "北京精工机械");
    assert_eq!(page["items"][0]["tags"], json!(["VIP", "华北"]));
}

#[tokio::test]
async fn the_customer_import_maps_phone_credit_code_and_picklists() {
    let app = TestApp::new().await;
    let csv = "客户名称,电话,网址,统一社会信用代码,行业,来源,客户类型,省份,城市\n\
福州华信科技,0591-87654321,www.huaxin.cn,91350100m000100y43,制造业,Trade show,enterprise,福建省,福州市\n\
杭州云帆网络,0571-88886666,,,internet,官网,经销商,浙江,杭州\n\
北京坏行业公司,010-66668888,,,航天,,,北京,\n\
上海坏代码公司,,,91350100M000100Y44,,,,,\n";
    let job = import(&app, &app.admin, "customers", "r.csv", csv.as_bytes(), &[]).await;
    assert_eq!(job["status"], "done", "{job}");
    assert_eq!((job["inserted"].as_i64(), job["rejected"].as_i64()), (Some(2), Some(2)), "{job}");
    let mut errors = codes(&job);
    errors.sort();
    assert_eq!(
        errors.iter().map(|(row, _, code)| (*row, code.as_str())).collect::<Vec<_>>(),
        [(4, "unknown_choice"), (5, "credit_code_check")],
        "{job}"
    );
    let (_, page) = app.customers().list(&format!("q={}", urlencode("华信"))).await;
    let c = &page["items"][0];
    assert_eq!(c["phone"], "0591-87654321", "an 电话 column is no longer dropped");
    assert_eq!(c["website"], "https://www.huaxin.cn");
    assert_eq!(c["credit_code"], "91350100M000100Y43");
    assert_eq!(
        (c["industry"].as_str(), c["source"].as_str(), c["kind"].as_str(), c["province"].as_str(), c["city"].as_str()),
        (Some("manufacturing"), Some("trade_show"), Some("enterprise"), Some("福建"), Some("福州"))
    );
    let (_, page) = app.customers().list(&format!("q={}", urlencode("云帆"))).await;
    let c = &page["items"][0];
    assert_eq!(
        (c["industry"].as_str(), c["source"].as_str(), c["kind"].as_str()),
        (Some("internet"), Some("website"), Some("distributor"))
    );
}
