//! Exports business users can use: typed Excel cells (money in the
//! currency format, dates as dates in the company's time zone and date
//! format, booleans), a named sheet, a filtered and frozen header, fitted
//! widths; CSV dates in the company's format. Read back with calamine and
//! from the workbook's XML.

use std::io::{Cursor, Read};

use axum::http::{Method, StatusCode};
use calamine::{Data, Reader, Xlsx};
use chrono::NaiveDate;
use serde_json::json;

use crate::helpers::{TestApp, api_request};

async fn download(app: &TestApp, path: &str, locale: &str) -> (StatusCode, Vec<u8>) {
    let request = api_request(Method::GET, path, Some(&app.admin), None, &[("accept-language", locale)]);
    let response = tower::ServiceExt::oneshot(app.router.clone(), request).await.unwrap();
    let status = response.status();
    let bytes = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
    (status, bytes.to_vec())
}

fn part(bytes: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut text = String::new();
    zip.by_name(name).unwrap().read_to_string(&mut text).unwrap();
    text
}

/// Excel's serial day number of a date (1900 system).
fn serial(d: NaiveDate) -> f64 {
    (d - NaiveDate::from_ymd_opt(1899, 12, 30).unwrap()).num_days() as f64
}

async fn world() -> (TestApp, i64) {
    let app = TestApp::new().await;
    let c = app.customer(&app.admin, "华信科技有限公司").await;
    let o = app
        .opportunities()
        .create(&json!({"name": "华信 ERP 项目", "customer_id": c, "amount": "123456.78", "expected_close_date": "2031-03-09"}))
        .await;
    (app, o["id"].as_i64().unwrap())
}

#[tokio::test]
async fn exports_excel_cells_are_typed_on_a_named_sheet_with_a_frozen_filtered_header() {
    let (app, _) = world().await;
    let (s, bytes) = download(&app, "/api/v1/opportunities/export.xlsx", "zh-CN").await;
    assert_eq!(s, StatusCode::OK);
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.clone())).unwrap();
    assert_eq!(book.sheet_names(), ["商机"], "the sheet is named in the reader's language");
    let range = book.worksheet_range("商机").unwrap();
    let header: Vec<String> = range.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("{name} in {header:?}"));
    let row = range.rows().nth(1).unwrap();
    assert_eq!(row[0], Data::String("华信 ERP 项目".into()));
    assert_eq!(row[col("金额")], Data::Float(123_456.78), "money is a number");
    assert_eq!(row[col("赢率")], Data::Float(10.0), "{header:?}");
    match &row[col("预计成交")] {
        Data::DateTime(d) => assert_eq!(d.as_f64(), serial(NaiveDate::from_ymd_opt(2031, 3, 9).unwrap())),
        other => panic!("a date cell, not {other:?}"),
    }
    assert!(matches!(row[col("创建时间")], Data::DateTime(_)), "{:?}", row[col("创建时间")]);
    assert_eq!(row[col("停滞")], Data::Bool(false));

    // Formats, frozen header, filter, widths: in the workbook's XML.
    let styles = part(&bytes, "xl/styles.xml");
    assert!(styles.contains("&quot;¥&quot;#,##0.00"), "currency format: {styles}");
    assert!(styles.contains("yyyy-mm-dd"), "the company's date format");
    let sheet = part(&bytes, "xl/worksheets/sheet1.xml");
    assert!(sheet.contains("<pane ySplit=\"1\" topLeftCell=\"A2\""), "frozen header: {sheet}");
    assert!(sheet.contains("<autoFilter ref=\"A1:"), "header filter");
    assert!(sheet.contains("<cols>") && sheet.contains("customWidth=\"1\""), "column widths");
}

#[tokio::test]
async fn exports_follow_the_company_date_format_in_csv_and_excel() {
    let (app, _) = world().await;
    let (_, mut settings) = app.api(Method::GET, "/api/v1/settings", Some(&app.admin), None).await;
    settings["date_format"] = json!("DD/MM/YYYY");
    settings["currency_symbol"] = json!("US$");
    let (s, body) = app.api(Method::PATCH, "/api/v1/settings", Some(&app.admin), Some(settings)).await;
    assert_eq!(s, StatusCode::OK, "{body}");

    let (s, csv) = download(&app, "/api/v1/opportunities/export.csv", "en").await;
    assert_eq!(s, StatusCode::OK);
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    assert!(text.contains(",09/03/2031,"), "CSV date in the company's format: {text}");
    assert!(text.contains(",123456.78,"), "money as a plain decimal: {text}");
    assert!(!text.contains("T0") && !text.contains("+00:00"), "no RFC 3339 instants: {text}");

    let (_, bytes) = download(&app, "/api/v1/opportunities/export.xlsx", "en").await;
    let styles = part(&bytes, "xl/styles.xml");
    assert!(styles.contains("dd/mm/yyyy"), "{styles}");
    assert!(styles.contains("&quot;US$&quot;#,##0.00"), "{styles}");
    let book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    assert_eq!(book.sheet_names(), ["Opportunities"]);

    // Every list goes through the same writer: customers, contacts, leads, tasks.
    for (path, sheet) in [
        ("/api/v1/customers/export.xlsx", "Customers"),
        ("/api/v1/contacts/export.xlsx", "Contacts"),
        ("/api/v1/leads/export.xlsx", "Leads"),
        ("/api/v1/tasks/export.xlsx", "Tasks"),
    ] {
        let (s, bytes) = download(&app, path, "en").await;
        assert_eq!(s, StatusCode::OK, "{path}");
        let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.clone())).unwrap();
        assert_eq!(book.sheet_names(), [sheet], "{path}");
        assert!(part(&bytes, "xl/worksheets/sheet1.xml").contains("<pane ySplit=\"1\""), "{path}");
        if path.contains("customers") {
            let range = book.worksheet_range(sheet).unwrap();
            let row = range.rows().nth(1).unwrap();
            assert!(row.iter().any(|c| matches!(c, Data::DateTime(_))), "created at as a date: {row:?}");
        }
    }

    // Reports too: named sheets, money typed.
    let (_, bytes) = download(&app, "/api/v1/forecasts/weighted?format=xlsx&from=2031-01-01&to=2031-06-30", "en").await;
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.clone())).unwrap();
    let names = book.sheet_names();
    let range = book.worksheet_range(&names[0]).unwrap();
    let total_row = range.rows().find(|r| r.iter().any(|c| c == &Data::Float(123_456.78)));
    assert!(total_row.is_some(), "the forecast's amounts are numbers");
    assert!(part(&bytes, "xl/worksheets/sheet1.xml").contains("<autoFilter"));
}

#[tokio::test]
async fn dates_excel_cannot_hold_are_written_as_text_not_a_failed_export() {
    // Excel's calendar starts in 1900; the API takes any four-digit year.
    let app = TestApp::new().await;
    let c = app.customer(&app.admin, "远古贸易").await;
    for (path, body) in [
        (
            "/api/v1/opportunities",
            json!({"name": "一千年的商机", "customer_id": c, "amount": "1.00", "expected_close_date": "1000-01-01"}),
        ),
        ("/api/v1/tasks", json!({"title": "一千年的任务", "due_at": "1000-01-01"})),
    ] {
        let (s, created) = app.api(Method::POST, path, Some(&app.admin), Some(body)).await;
        assert!(s.is_success(), "{path}: {created}");
    }
    for (path, sheet) in
        [("/api/v1/opportunities/export.xlsx", "Opportunities"), ("/api/v1/tasks/export.xlsx", "Tasks")]
    {
        let (s, bytes) = download(&app, path, "en").await;
        assert_eq!(s, StatusCode::OK, "{path}");
        let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range(sheet).unwrap();
        let row = range.rows().nth(1).unwrap();
        assert!(row.iter().any(|c| matches!(c, Data::String(t) if t.starts_with("1000-01-01"))), "{path}: {row:?}");
    }
}

/// The fields of a customer that an export and an import carry.
fn carried(c: &serde_json::Value) -> serde_json::Value {
    let keys = [
        "name",
        "grade",
        "industry",
        "phone",
        "website",
        "credit_code",
        "province",
        "city",
        "address",
        "source",
        "kind",
        "tags",
        "credit_limit",
        "owner_name",
    ];
    serde_json::Value::Object(keys.iter().map(|k| ((*k).to_owned(), c[*k].clone())).collect())
}

async fn customers_by_name(app: &TestApp) -> Vec<serde_json::Value> {
    let (s, page) = app.customers().list("limit=500&sort=name").await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let mut all: Vec<serde_json::Value> = page["items"].as_array().unwrap().iter().map(carried).collect();
    all.sort_by_key(|c| c["name"].as_str().unwrap().to_owned());
    all
}

#[tokio::test]
async fn a_customer_export_imports_back_with_the_same_values_in_either_language() {
    let app = TestApp::new().await;
    for body in [
        json!({"name": "福州华信科技有限公司", "grade": "A", "industry": "manufacturing", "phone": "0591-87654321",
            "website": "www.huaxin.cn", "credit_code": "91350100M000100Y43", "province": "福建", "city": "福州",
            "address": "鼓楼区五四路 88 号", "source": "trade_show", "kind": "enterprise", "tags": ["重点", "展会"],
            "credit_limit": "500000.00"}),
        json!({"name": "杭州云帆网络", "industry": "internet", "source": "website", "kind": "distributor",
            "phone": "+86 138 0013 8000"}),
        json!({"name": "成都蜀锦丝绸"}),
    ] {
        let (s, c) = app.customers().post(&body).await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
    }
    let original = customers_by_name(&app).await;

    // CSV read in Chinese: the new columns, and picklists as their Chinese labels.
    let (s, csv) = download(&app, "/api/v1/customers/export.csv", "zh-CN").await;
    assert_eq!(s, StatusCode::OK);
    let text = String::from_utf8(csv.clone()).unwrap();
    let header = text.trim_start_matches('\u{feff}').lines().next().unwrap().to_owned();
    for column in ["电话", "网址", "统一社会信用代码", "行业", "来源渠道", "客户类型"] {
        assert!(header.split(',').any(|h| h == column), "{column} in {header}");
    }
    let huaxin = text.lines().find(|l| l.starts_with("福州华信科技有限公司")).unwrap();
    for cell in ["制造业", "展会", "企业", "0591-87654321", "https://www.huaxin.cn", "91350100M000100Y43"] {
        assert!(huaxin.split(',').any(|c| c == cell), "{cell} in {huaxin}");
    }
    assert!(!huaxin.contains("manufacturing") && !huaxin.contains("trade_show"), "labels, not codes: {huaxin}");

    // Excel read in English: English labels.
    let (s, xlsx) = download(&app, "/api/v1/customers/export.xlsx", "en").await;
    assert_eq!(s, StatusCode::OK);
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(xlsx.clone())).unwrap();
    let sheet = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&sheet).unwrap();
    let head: Vec<String> = range.rows().next().unwrap().iter().map(|c| c.to_string()).collect();
    let col = |name: &str| head.iter().position(|h| h == name).unwrap_or_else(|| panic!("{name} in {head:?}"));
    let row = range.rows().find(|r| r[0] == Data::String("福州华信科技有限公司".into())).unwrap();
    assert_eq!(row[col("Industry")], Data::String("Manufacturing".into()));
    assert_eq!(row[col("Source")], Data::String("Trade show".into()));
    assert_eq!(row[col("Unified social credit code")], Data::String("91350100M000100Y43".into()));
    assert_eq!(row[col("Phone")], Data::String("0591-87654321".into()));

    // Each file into a fresh database gives the same customers.
    for (file, bytes) in [("customers.csv", csv), ("customers.xlsx", xlsx)] {
        let fresh = TestApp::new().await;
        let job = crate::imports::import(&fresh, &fresh.admin, "customers", file, &bytes, &[]).await;
        assert_eq!(job["status"], "done", "{file}: {job}");
        assert_eq!((job["inserted"].as_i64(), job["rejected"].as_i64()), (Some(3), Some(0)), "{file}: {job}");
        assert_eq!(customers_by_name(&fresh).await, original, "{file}");
    }
}

/// The catalogue exports with its Chinese names intact (CSV with a BOM,
/// a formula-looking cell neutralised; Excel on a named sheet), and only
/// for those with the products export right.
#[tokio::test]
async fn products_export_as_csv_and_excel_with_chinese_names() {
    let app = TestApp::new().await;
    let body = json!({"code": "SEN-T100", "name": "工业温度传感器", "unit": "个", "list_price": "680.00",
                      "specification": "=1+1 PT100，-50–400 °C"});
    app.products().create(&body).await;
    app.product("PLC-S7", "10").await;
    let (s, csv) = download(&app, "/api/v1/products/export.csv?q=SEN", "zh-CN").await;
    assert_eq!(s, StatusCode::OK);
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "Excel reads UTF-8 by its BOM");
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("编码,名称"), "{text}");
    assert!(lines[1].contains("SEN-T100,工业温度传感器"), "{text}");
    assert!(lines[1].contains("'=1+1 PT100，-50–400 °C"), "a formula is neutralised: {text}");

    let (s, bytes) = download(&app, "/api/v1/products/export.xlsx", "zh-CN").await;
    assert_eq!(s, StatusCode::OK);
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    assert_eq!(book.sheet_names(), ["产品"]);
    let range = book.worksheet_range("产品").unwrap();
    let names: Vec<String> = range.rows().skip(1).map(|r| r[1].to_string()).collect();
    assert_eq!(names, ["产品 PLC-S7", "工业温度传感器"]);

    let (_, sales) = app.signed_in("li.na", "salesperson", None).await;
    let request = api_request(Method::GET, "/api/v1/products/export.csv", Some(&sales), None, &[]);
    let response = tower::ServiceExt::oneshot(app.router.clone(), request).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}
