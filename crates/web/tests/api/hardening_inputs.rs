//! Issue 9, items 5 and 9: inputs that cost far more than their size are
//! refused quickly (hostile files built here), and no CSV the product
//! writes holds a cell a spreadsheet would run as a formula.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::{TestApp, send_to};
use crate::support::field_codes;

const BOUNDARY: &str = "----salesflow-hardening-boundary-Qm9vQmFy";

/// A multipart body: `(name, file name, bytes)` parts.
fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file_name, bytes) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let disposition = match file_name {
            Some(f) => format!(
                "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            ),
            None => format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n"),
        };
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn upload_request(path: &str, token: &str, body: Body) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .header("x-forwarded-for", "203.0.113.9")
        .body(body)
        .unwrap()
}

async fn preview(app: &TestApp, file_name: &str, bytes: &[u8]) -> (StatusCode, Value) {
    let body = multipart(&[("target", None, b"customers"), ("file", Some(file_name), bytes)]);
    let (s, _, v) = send_to(&app.router, upload_request("/api/v1/imports/preview", &app.admin, Body::from(body))).await;
    (s, v)
}

/// The peak resident memory of this test process, in MiB.
fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

// ---------------------------------------------------------------- a zip bomb of shared strings

/// Bits of a raw deflate stream, least significant first.
#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u64, bits: u32) {
        self.acc |= value << self.n;
        self.n += bits;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// A Huffman code goes most significant bit first.
    fn code(&mut self, code: u32, len: u32) {
        let reversed = (0..len).fold(0u64, |r, i| (r << 1) | u64::from((code >> i) & 1));
        self.put(reversed, len);
    }

    /// A literal byte with the fixed codes of RFC 1951 §3.2.6.
    fn literal(&mut self, b: u8) {
        if b < 144 { self.code(0x30 + u32::from(b), 8) } else { self.code(0x190 + u32::from(b) - 144, 9) }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

const SI: &[u8] = b"<si><t>a</t></si>";
const SST_HEAD: &[u8] =
    b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">";
const SST_TAIL: &[u8] = b"</sst>";

/// `sharedStrings.xml` with `1 + ⌈258 × m / 17⌉` tiny strings (no declared count),
/// deflated by hand: one copy, then copies of 258 bytes at distance 17
/// (two bytes each). Returns the deflated bytes, the CRC and the size.
fn shared_strings_bomb(m: u64) -> (Vec<u8>, u32, u64) {
    let mut bits = Bits::default();
    bits.put(1, 1); // last block
    bits.put(1, 2); // fixed Huffman codes
    for &b in SST_HEAD.iter().chain(SI) {
        bits.literal(b);
    }
    for _ in 0..m {
        bits.code(0xC5, 8); // length symbol 285: 258 bytes
        bits.code(8, 5); // distance code 8: 17–24, three extra bits
        bits.put(0, 3); // 17
    }
    // The last string completed with literals.
    let cut = (258 * m as usize) % SI.len();
    if cut != 0 {
        for &b in &SI[cut..] {
            bits.literal(b);
        }
    }
    for &b in SST_TAIL {
        bits.literal(b);
    }
    bits.code(0, 7); // end of block
    let copies = 1 + (258 * m).div_ceil(SI.len() as u64);
    // The CRC of `copies` repeats by doubling (crc32fast combines CRCs).
    let mut repeated = crc32fast::Hasher::new();
    let mut power = crc32fast::Hasher::new();
    power.update(SI);
    let mut k = copies;
    while k > 0 {
        if k & 1 == 1 {
            repeated.combine(&power);
        }
        let twice = power.clone();
        power.combine(&twice);
        k >>= 1;
    }
    let mut crc = crc32fast::Hasher::new();
    crc.update(SST_HEAD);
    crc.combine(&repeated);
    let mut tail = crc32fast::Hasher::new();
    tail.update(SST_TAIL);
    crc.combine(&tail);
    let size = (SST_HEAD.len() + SST_TAIL.len()) as u64 + copies * SI.len() as u64;
    (bits.finish(), crc.finalize(), size)
}

/// A real workbook (one string cell) whose shared strings are replaced by
/// `shared_strings_bomb(m)`; the other parts are stored as they are.
fn hostile_xlsx(m: u64) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write(0, 0, "a").unwrap();
    sheet.write(1, 0, "a").unwrap();
    let original = book.save_to_buffer().unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(original)).unwrap();
    let mut parts: Vec<(String, u16, Vec<u8>, u32, u64)> = Vec::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let name = entry.name().unwrap().into_owned();
        if name == "xl/sharedStrings.xml" {
            let (data, crc, size) = shared_strings_bomb(m);
            parts.push((name, 8, data, crc, size));
        } else {
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut data).unwrap();
            let (crc, size) = (crc32fast::hash(&data), data.len() as u64);
            parts.push((name, 0, data, crc, size));
        }
    }
    assert!(parts.iter().any(|p| p.0 == "xl/sharedStrings.xml"), "the workbook has shared strings");
    let (mut out, mut central) = (Vec::new(), Vec::new());
    let le16 = |v: &mut Vec<u8>, x: u16| v.extend_from_slice(&x.to_le_bytes());
    let le32 = |v: &mut Vec<u8>, x: u32| v.extend_from_slice(&x.to_le_bytes());
    for (name, method, data, crc, size) in &parts {
        let offset = out.len() as u32;
        le32(&mut out, 0x0403_4b50);
        for x in [20, 0, *method, 0, 0x21] {
            le16(&mut out, x);
        }
        for x in [*crc, data.len() as u32, *size as u32] {
            le32(&mut out, x);
        }
        le16(&mut out, name.len() as u16);
        le16(&mut out, 0);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        le32(&mut central, 0x0201_4b50);
        for x in [20, 20, 0, *method, 0, 0x21] {
            le16(&mut central, x);
        }
        for x in [*crc, data.len() as u32, *size as u32] {
            le32(&mut central, x);
        }
        for x in [name.len() as u16, 0, 0, 0, 0] {
            le16(&mut central, x);
        }
        le32(&mut central, 0);
        le32(&mut central, offset);
        central.extend_from_slice(name.as_bytes());
    }
    let (cd_offset, cd_size) = (out.len() as u32, central.len() as u32);
    out.extend_from_slice(&central);
    le32(&mut out, 0x0605_4b50);
    for x in [0, 0, parts.len() as u16, parts.len() as u16] {
        le16(&mut out, x);
    }
    le32(&mut out, cd_size);
    le32(&mut out, cd_offset);
    le16(&mut out, 0);
    out
}

#[tokio::test]
async fn a_shared_strings_bomb_is_refused_quickly_without_the_memory() {
    let app = TestApp::new().await;
    // The same construction, small: a workbook that is read (so the large
    // one is refused for its size, not for being broken).
    let (s, ok) = preview(&app, "small.xlsx", &hostile_xlsx(3)).await;
    assert_eq!(s, StatusCode::CREATED, "{ok}");
    assert_eq!(ok["columns"][0]["header"], "a", "{ok}");

    // 40 million strings (680 MB of XML) in a file of ~5 MB.
    let bomb = hostile_xlsx(2_635_660);
    assert!(bomb.len() < 6 * 1024 * 1024, "{} bytes", bomb.len());
    let started = Instant::now();
    let (s, problem) = preview(&app, "bomb.xlsx", &bomb).await;
    let took = started.elapsed();
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(field_codes(&problem), ["file:too_many_strings"], "{problem}");
    assert!(problem["errors"][0]["message"].as_str().unwrap_or("").contains("3000000"), "{problem}");
    assert!(took < Duration::from_secs(30), "took {took:?}");
    // calamine alone held 1.8 GB for it.
    assert!(peak_rss_mib() < 1024, "peak {} MiB", peak_rss_mib());
}

#[tokio::test]
async fn identical_header_cells_cost_linear_time() {
    let app = TestApp::new().await;
    let mut csv = vec!["名称"; 4000].join(",");
    csv.push('\n');
    csv.push_str(&vec!["华信"; 4000].join(","));
    csv.push('\n');
    let started = Instant::now();
    let (s, preview) = preview(&app, "wide.csv", csv.as_bytes()).await;
    assert_eq!(s, StatusCode::CREATED, "{preview}");
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    let columns = preview["columns"].as_array().unwrap();
    assert_eq!(columns.len(), 4000);
    assert_eq!(columns[3999]["header"], "名称 (4000)");
    // More columns than a sheet can hold: refused, not read.
    let wide = format!("{}\n", vec!["x"; 20_000].join(","));
    let (s, problem) = self::preview(&app, "wider.csv", wide.as_bytes()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(field_codes(&problem), ["file:too_many_columns"], "{problem}");
}

#[tokio::test]
async fn a_huge_text_field_is_refused_at_its_cap_not_read_whole() {
    let app = TestApp::new().await;
    // A `target` field of up to 400 MB, streamed: counted as it is pulled.
    let pulled = Arc::new(AtomicUsize::new(0));
    let counter = pulled.clone();
    let head = Bytes::from(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"target\"\r\n\r\n"));
    let chunk = Bytes::from(vec![b'a'; 64 * 1024]);
    // As over a network: a chunk, then a pause (the reader would otherwise
    // take every chunk that is ready at once).
    let rest = futures_util::stream::unfold(0usize, move |n| {
        let (counter, chunk) = (counter.clone(), chunk.clone());
        async move {
            if n == 6400 {
                return None;
            }
            tokio::task::yield_now().await;
            counter.fetch_add(1, Ordering::Relaxed);
            Some((Ok::<Bytes, std::io::Error>(chunk), n + 1))
        }
    });
    let stream = futures_util::StreamExt::chain(futures_util::stream::iter([Ok(head)]), rest);
    let started = Instant::now();
    let (s, _, problem) =
        send_to(&app.router, upload_request("/api/v1/imports", &app.admin, Body::from_stream(stream))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(field_codes(&problem), ["target:too_long"], "{problem} after {} chunks", pulled.load(Ordering::Relaxed));
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    let read = pulled.load(Ordering::Relaxed);
    assert!(read < 64, "{read} chunks of 64 KiB pulled before the refusal");
}

// ---------------------------------------------------------------- CSV injection

/// Every cell of every row: none may start as a formula (`=`, `+`, `-`,
/// `@`, tab, CR) unless it is a plain number.
fn assert_no_formula(what: &str, bytes: &[u8]) -> Vec<Vec<String>> {
    let text = String::from_utf8_lossy(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)).into_owned();
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.unwrap_or_else(|e| panic!("{what}: not CSV: {e}"));
        for cell in record.iter() {
            let plain_number = cell.trim_start_matches(['-', '+']).split_once('.').map_or_else(
                || {
                    !cell.trim_start_matches(['-', '+']).is_empty()
                        && cell.trim_start_matches(['-', '+']).bytes().all(|b| b.is_ascii_digit())
                },
                |(w, f)| {
                    !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit()) && f.bytes().all(|b| b.is_ascii_digit())
                },
            );
            let risky = matches!(cell.as_bytes().first(), Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r'));
            assert!(!risky || plain_number, "{what}: a formula cell {cell:?}");
        }
        rows.push(record.iter().map(str::to_owned).collect());
    }
    rows
}

async fn get_bytes(app: &TestApp, path: &str) -> Vec<u8> {
    let request = Request::builder()
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {}", app.admin))
        .header("x-forwarded-for", "203.0.113.9")
        .body(Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(app.router.clone(), request).await.unwrap();
    let status = response.status();
    let bytes = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes().to_vec();
    assert_eq!(status, StatusCode::OK, "{path}: {}", String::from_utf8_lossy(&bytes));
    bytes
}

async fn created(app: &TestApp, path: &str, body: Value) -> Value {
    let (s, v) = app.api(Method::POST, path, Some(&app.admin), Some(body)).await;
    assert_eq!(s, StatusCode::CREATED, "{path}: {v}");
    v
}

#[tokio::test]
async fn no_csv_the_product_writes_carries_a_formula() {
    let app = TestApp::new().await;
    let customer = created(&app, "/api/v1/customers", json!({"name": "=1+2 华信", "address": "@SUM(A1)"})).await;
    let customer_id = customer["id"].as_i64().unwrap();
    created(
        &app,
        "/api/v1/contacts",
        json!({"customer_id": customer_id, "name": "+cmd|' /C calc'!A0", "role": "handler", "title": "\t=1"}),
    )
    .await;
    created(&app, "/api/v1/leads", json!({"name": "-2+3", "company": "=HYPERLINK(\"http://evil.example\")"})).await;
    created(
        &app,
        "/api/v1/activities",
        json!({"customer_id": customer_id, "kind": "visit", "subject": "\r=1", "outcome": "@x"}),
    )
    .await;
    created(&app, "/api/v1/opportunities", json!({"name": "=deal()", "customer_id": customer_id, "amount": "100.00"}))
        .await;
    created(
        &app,
        "/api/v1/tasks",
        json!({"title": "+task", "due_date": "2026-12-31", "related_type": "customer", "related_id": customer_id}),
    )
    .await;

    for (path, hostile) in [
        ("/api/v1/customers/export.csv", "'=1+2 华信"),
        ("/api/v1/contacts/export.csv", "'+cmd|' /C calc'!A0"),
        ("/api/v1/leads/export.csv", "'-2+3"),
        // The subject is trimmed when saved: `=1`.
        ("/api/v1/activities/export.csv", "'=1"),
        ("/api/v1/opportunities/export.csv", "'=deal()"),
        ("/api/v1/tasks/export.csv", "'+task"),
    ] {
        let rows = assert_no_formula(path, &get_bytes(&app, path).await);
        assert!(rows.iter().flatten().any(|c| c == hostile), "{path}: {hostile:?} not in {rows:?}");
    }
    // Reports: the funnel's stalled deals name the deal (idle for 5 days,
    // stalled at 1); the forecast names people.
    use sea_orm::{EntityTrait, sea_query::Expr};
    salesflow_store::entity::opportunity::Entity::update_many()
        .col_expr(
            salesflow_store::entity::opportunity::Column::LastActivityAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::days(5)),
        )
        .exec(app.store.reader())
        .await
        .unwrap();
    let today = chrono::Utc::now().date_naive();
    let pipeline = app.pipelines().list("").await.1[0]["id"].as_i64().unwrap();
    let funnel = format!("/api/v1/reports/funnel?pipeline_id={pipeline}&idle_days=1&format=csv");
    let rows = assert_no_formula(&funnel, &get_bytes(&app, &funnel).await);
    assert!(rows.iter().flatten().any(|c| c == "'=deal()"), "{rows:?}");
    let forecast = format!("/api/v1/forecasts/weighted?from={today}&to={today}&format=csv");
    assert_no_formula(&forecast, &get_bytes(&app, &forecast).await);

    // The rejected rows of an import hold the user's own cells.
    let csv = "客户名称,等级\n=1+1,Z\n";
    let body = multipart(&[("target", None, b"customers"), ("file", Some("bad.csv"), csv.as_bytes())]);
    let (s, _, job) = send_to(&app.router, upload_request("/api/v1/imports", &app.admin, Body::from(body))).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{job}");
    let id = job["id"].as_i64().unwrap();
    for _ in 0..200 {
        let (_, j) = app.imports().get(id).await;
        if j["status"] == "done" || j["status"] == "failed" {
            assert_eq!(j["rejected"], 1, "{j}");
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let path = format!("/api/v1/imports/{id}/rejected.csv");
    let rows = assert_no_formula(&path, &get_bytes(&app, &path).await);
    assert!(rows.iter().flatten().any(|c| c == "'=1+1"), "{rows:?}");
}

#[tokio::test]
async fn draft_uploads_have_a_quota_per_person() {
    let app = TestApp::new().await;
    let (_, alice) = app.signed_in("alice", "salesperson", None).await;
    let csv = "客户名称\n华信\n";
    let upload = |token: String| {
        let body = multipart(&[("target", None, b"customers"), ("file", Some("c.csv"), csv.as_bytes())]);
        upload_request("/api/v1/imports/preview", &token, Body::from(body))
    };
    let mut first = None;
    for n in 0..salesflow_store::imports::MAX_DRAFTS {
        let (s, _, p) = send_to(&app.router, upload(alice.clone())).await;
        assert_eq!(s, StatusCode::CREATED, "draft {n}: {p}");
        first.get_or_insert(p["import"]["id"].as_i64().unwrap());
    }
    let (s, _, p) = send_to(&app.router, upload(alice.clone())).await;
    assert_eq!(
        (s, field_codes(&p)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["file:too_many_drafts".to_owned()]),
        "{p}"
    );
    // Someone else's drafts are theirs; a cancelled draft frees a place.
    let (s, _, p) = send_to(&app.router, upload(app.admin.clone())).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let id = first.unwrap();
    let (s, p) = app.imports().by(&alice).act(id, "cancel", None).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    let (s, _, p) = send_to(&app.router, upload(alice.clone())).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
}
