//! Attachments on customers, contacts and deals: kinds and sizes refused,
//! scope enforced, downloads served as attachments of our content type.

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::{TestApp, send_to};
use crate::support::field_codes;

/// Uploads one file as multipart: the status and the answer.
async fn upload(app: &TestApp, token: &str, path: &str, name: &str, bytes: &[u8]) -> (StatusCode, Value) {
    upload_to(&app.router, token, path, name, bytes).await
}

pub(crate) async fn upload_to(
    router: &axum::Router,
    token: &str,
    path: &str,
    name: &str,
    bytes: &[u8],
) -> (StatusCode, Value) {
    let boundary = "----salesflow-attachment-boundary-Zx81";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/html\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .header("x-forwarded-for", "203.0.113.7")
        .body(Body::from(body))
        .unwrap();
    let (s, _, v) = send_to(router, request).await;
    (s, v)
}

async fn download(app: &TestApp, token: &str, id: &Value) -> (StatusCode, HeaderMap, Value) {
    let request = Request::builder()
        .uri(format!("/api/v1/attachments/{id}"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    send_to(&app.router, request).await
}

#[tokio::test]
async fn files_are_checked_scoped_and_served_as_attachments() {
    let app = TestApp::new().await;
    let east = app.department("华东销售组").await;
    let (_, li) = app.signed_in("li.na", "salesperson", Some(east)).await;
    let (_, wang) = app.signed_in("wang.fang", "salesperson", Some(east)).await;
    let c = app.customers().by(&li).create(&json!({"name": "上海华信科技有限公司"})).await;
    let path = format!("/api/v1/customers/{}/attachments", c["id"]);

    let (s, a) = upload(&app, &li, &path, "会议纪要.txt", "拜访纪要：下周发报价\n".as_bytes()).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!((a["file_name"].as_str(), a["kind"].as_str()), (Some("会议纪要.txt"), Some("text")));
    assert_eq!(a["size"], "拜访纪要：下周发报价\n".len());
    assert!(a.get("stored_name").is_none(), "where the bytes are is not the API's business");

    let (s, headers, body) = download(&app, &li, &a["id"]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/plain; charset=utf-8", "ours, not the upload's text/html");
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let disposition = headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(disposition.contains("filename*=UTF-8''%E4%BC%9A%E8%AE%AE"), "{disposition}");
    assert_eq!(body, "拜访纪要：下周发报价\n");

    // Another rep's customer: not found, for listing, uploading and downloading.
    let (s, _) = app.api(Method::GET, &path, Some(&wang), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = upload(&app, &wang, &path, "x.txt", b"hello").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, _) = download(&app, &wang, &a["id"]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Kinds: by extension and content.
    let (s, p) = upload(&app, &li, &path, "setup.exe", b"MZ\x90\x00").await;
    assert_eq!((s, field_codes(&p)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["file:file_type_not_allowed".to_owned()]));
    let (s, p) = upload(&app, &li, &path, "invoice.pdf", b"MZ\x90\x00 not a pdf").await;
    assert_eq!((s, field_codes(&p)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["file:file_type_mismatch".to_owned()]));
    let (s, pdf) = upload(&app, &li, &path, "报价单.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n").await;
    assert_eq!(s, StatusCode::CREATED, "{pdf}");
    let (_, headers, _) = download(&app, &li, &pdf["id"]).await;
    assert_eq!(headers[header::CONTENT_TYPE], "application/pdf");

    // Listed newest first; the audit names the customer.
    let (s, list) = app.api(Method::GET, &path, Some(&li), None).await;
    assert_eq!(s, StatusCode::OK);
    let names: Vec<&str> = list.as_array().unwrap().iter().map(|a| a["file_name"].as_str().unwrap()).collect();
    assert_eq!(names, ["报价单.pdf", "会议纪要.txt"]);
    let audit = crate::support::audit_actions(&app, "customer", c["id"].as_i64().unwrap()).await;
    assert!(audit.contains(&"attachment.create".to_owned()), "{audit:?}");

    // Deleted by the uploader or whoever administers customers, not by others.
    let (_, manager) = app.signed_in("zhang.wei", "sales_manager", Some(east)).await;
    let (s, theirs) = upload(&app, &manager, &path, "批注.txt", "经理批注".as_bytes()).await;
    assert_eq!(s, StatusCode::CREATED, "{theirs}");
    assert_eq!(theirs["deletable"], true);
    let (_, listed) = app.api(Method::GET, &path, Some(&li), None).await;
    let seen = listed.as_array().unwrap().iter().find(|f| f["id"] == theirs["id"]).cloned().unwrap();
    assert_eq!(seen["deletable"], false, "the rep did not upload it and does not administer");
    let (s, _) = app.api(Method::DELETE, &format!("/api/v1/attachments/{}", theirs["id"]), Some(&li), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let one = format!("/api/v1/attachments/{}", a["id"]);
    let (s, _) = app.api(Method::DELETE, &one, Some(&li), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "the uploader");
    let (s, _, _) = download(&app, &li, &a["id"]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.api(Method::DELETE, &format!("/api/v1/attachments/{}", pdf["id"]), Some(&manager), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "a manager who administers customers deletes anyone's");

    // Contacts and deals take files the same way.
    let contact =
        app.contacts().by(&li).create(&json!({"customer_id": c["id"], "name": "陈静", "role": "handler"})).await;
    let (s, on_contact) =
        upload(&app, &li, &format!("/api/v1/contacts/{}/attachments", contact["id"]), "名片.txt", b"Chen Jing").await;
    assert_eq!((s, on_contact["holder_type"].as_str()), (StatusCode::CREATED, Some("contact")), "{on_contact}");
    let deal = app
        .opportunities()
        .by(&li)
        .create(&json!({"name": "华信 ERP 项目", "customer_id": c["id"], "amount": "300000.00"}))
        .await;
    let deal_path = format!("/api/v1/opportunities/{}/attachments", deal["id"]);
    let (s, _) = upload(&app, &li, &deal_path, "方案.zip", b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0").await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = app.api(Method::GET, &deal_path, Some(&wang), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_file_over_the_size_setting_is_refused_and_leaves_nothing() {
    let data_dir = std::env::temp_dir().join(crate::helpers::unique("sf-attachments-"));
    let config =
        salesflow_web::WebConfig { attachment_max_bytes: 1024, data_dir: data_dir.clone(), ..crate::helpers::config() };
    let app = TestApp::new().await;
    let small = salesflow_web::router(salesflow_web::AppState { store: app.store.clone(), config });
    let cid = app.customer(&app.admin, "上海华信科技有限公司").await;
    let path = format!("/api/v1/customers/{cid}/attachments");
    let (s, p) = upload_to(&small, &app.admin, &path, "big.txt", &[b'a'; 2000]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(field_codes(&p), ["file:file_too_large"]);
    let left = std::fs::read_dir(data_dir.join("attachments")).map(|d| d.count()).unwrap_or(0);
    assert_eq!(left, 0, "a refused upload leaves no file");
    let (s, _) = upload_to(&small, &app.admin, &path, "small.txt", &[b'a'; 1000]).await;
    assert_eq!(s, StatusCode::CREATED);
    let _ = std::fs::remove_dir_all(&data_dir);
}

/// A file posted by the page's upload form: the session's cookies, the
/// CSRF field first, then the file.
async fn upload_form(
    app: &TestApp,
    cookies: &str,
    csrf: &str,
    path: &str,
    name: &str,
    bytes: &[u8],
) -> (StatusCode, HeaderMap) {
    let boundary = "----salesflow-page-upload-Q7";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n").as_bytes(),
    );
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/plain\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::COOKIE, cookies)
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .header("x-forwarded-for", "192.0.2.1")
        .body(Body::from(body))
        .unwrap();
    let (s, h, _) = send_to(&app.router, request).await;
    (s, h)
}

#[tokio::test]
async fn a_contacts_page_lists_takes_and_serves_its_files() {
    use crate::helpers::USER_PASSWORD;
    use crate::support::browser::{get, sign_in_as};
    let app = TestApp::new().await;
    let east = app.department("华东销售组").await;
    let (_, li) = app.signed_in("li.na", "salesperson", Some(east)).await;
    let (_, wang) = app.signed_in("wang.fang", "salesperson", Some(east)).await;
    let c = app.customers().by(&li).create(&json!({"name": "上海华信科技有限公司"})).await;
    let contact = app
        .contacts()
        .by(&li)
        .create(&json!({"customer_id": c["id"], "name": "陈静", "mobile": "13800138000", "role": "handler"}))
        .await;
    let id = contact["id"].as_i64().unwrap();
    let (cookies, csrf) = sign_in_as(&app, "li.na", USER_PASSWORD, "/").await;

    // The customer page links the contact; the contact's page offers the upload.
    let (s, _, page) = app.send(get(&format!("/customers/{}", c["id"]), &cookies)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.as_str().unwrap().contains(&format!(r#"href="/contacts/{id}" data-testid="contact-link">陈静</a>"#)));
    let (s, _, page) = app.send(get(&format!("/contacts/{id}"), &cookies)).await;
    assert_eq!(s, StatusCode::OK);
    let html = page.as_str().unwrap();
    assert!(html.contains("<h1>陈静"), "the contact's page");
    assert!(html.contains(&format!(r#"action="/contacts/{id}/attachments" enctype="multipart/form-data""#)));

    // The page's form uploads (CSRF field first), back to the contact's files.
    let path = format!("/contacts/{id}/attachments");
    let (s, h) = upload_form(&app, &cookies, &csrf, &path, "名片.txt", "陈静 13800138000".as_bytes()).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h.get(header::LOCATION).unwrap(), &format!("/contacts/{id}#attachments"));
    let (s, _) = upload_form(&app, &cookies, "wrong-token", &path, "x.txt", b"x").await;
    assert_eq!(s, StatusCode::SEE_OTHER, "refused by the handler's CSRF check, with a message");
    let (_, listed) = app.api(Method::GET, &format!("/api/v1/contacts/{id}/attachments"), Some(&li), None).await;
    let files = listed.as_array().unwrap();
    assert_eq!(files.len(), 1, "only the file with the right token: {listed}");
    let (s, _, page) = app.send(get(&format!("/contacts/{id}"), &cookies)).await;
    assert_eq!(s, StatusCode::OK);
    let file_id = &files[0]["id"];
    assert!(page.as_str().unwrap().contains(&format!(
        r#"<a href="/attachments/{file_id}/download" class="strong wrap-any" download>名片.txt</a>"#
    )));
    let (s, h, _) = app.send(get(&format!("/attachments/{file_id}/download"), &cookies)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(h[header::CONTENT_DISPOSITION].to_str().unwrap().starts_with("attachment"));
    // The customer page's own upload form goes through the same way.
    let (s, h) =
        upload_form(&app, &cookies, &csrf, &format!("/customers/{}/attachments", c["id"]), "纪要.txt", b"notes").await;
    assert_eq!(
        (s, h.get(header::LOCATION).unwrap().to_str().unwrap()),
        (StatusCode::SEE_OTHER, &*format!("/customers/{}#attachments", c["id"]))
    );
    // Deleting the contact's file comes back to the contact.
    let body = format!("_csrf={csrf}");
    let (s, h, _) =
        app.send(crate::support::browser::form(&format!("/attachments/{file_id}/delete"), &cookies, &body)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h.get(header::LOCATION).unwrap(), &format!("/contacts/{id}#attachments"));

    // Another rep's contact is not found.
    let (wang_cookies, _) = sign_in_as(&app, "wang.fang", USER_PASSWORD, "/").await;
    let (s, _, _) = app.send(get(&format!("/contacts/{id}"), &wang_cookies)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let _ = wang;
}
