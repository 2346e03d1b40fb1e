//! Attachments' bytes under the data directory (`<data>/attachments/`,
//! random names): receiving an upload (size limit while it streams, kind
//! by extension and content), serving a download (our content type, as an
//! attachment, never sniffed), removing. The API and the pages both use it.

use axum::body::Body;
use axum::extract::Multipart;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use salesflow_domain::Invalid;
use salesflow_domain::attachments::{self, FileKind, SNIFF_BYTES};
use salesflow_store::attachments::{AttachmentView, NewFile};
use tokio::io::AsyncWriteExt;

use crate::server::AppState;

fn dir(state: &AppState) -> std::path::PathBuf {
    state.config.data_dir.join("attachments")
}

/// A stored name is ours (hex), never a path the request chose.
fn path_of(state: &AppState, stored_name: &str) -> Option<std::path::PathBuf> {
    stored_name.chars().all(|c| c.is_ascii_hexdigit()).then(|| dir(state).join(stored_name))
}

/// Receives the one `file` field of a multipart form into the data
/// directory (with `csrf`, a `_csrf` field before it must match). Refused
/// uploads leave nothing behind.
pub async fn receive(state: &AppState, mut multipart: Multipart, csrf: Option<&str>) -> Result<NewFile, Invalid> {
    let malformed = |_| Invalid::one("file", "upload_failed");
    let io = |e: std::io::Error| {
        tracing::error!(error = %e, "cannot store an attachment");
        Invalid::one("file", "upload_failed")
    };
    let mut csrf_seen: Option<String> = None;
    while let Some(mut field) = multipart.next_field().await.map_err(malformed)? {
        let name = field.name().unwrap_or("").to_owned();
        if name == crate::auth::CSRF_FIELD {
            csrf_seen = Some(field.text().await.map_err(malformed)?.chars().take(200).collect());
            continue;
        }
        if name != "file" {
            return Err(Invalid::one(&name, "unknown_field"));
        }
        if let Some(expected) = csrf
            && csrf_seen.as_deref() != Some(expected)
        {
            return Err(Invalid::one("_csrf", "csrf"));
        }
        let original = field.file_name().unwrap_or("").to_owned();
        let max = state.config.attachment_max_bytes;
        tokio::fs::create_dir_all(dir(state)).await.map_err(io)?;
        let token = salesflow_store::access::new_token();
        let stored_name: String = token.chars().filter(char::is_ascii_hexdigit).take(32).collect();
        let path = path_of(state, &stored_name).ok_or_else(|| Invalid::one("file", "upload_failed"))?;
        let mut file = tokio::fs::File::create(&path).await.map_err(io)?;
        let mut head: Vec<u8> = Vec::new();
        let mut size: u64 = 0;
        let mut kind: Option<FileKind> = None;
        let outcome: Result<(), Invalid> = async {
            while let Some(chunk) = field.chunk().await.map_err(malformed)? {
                size += chunk.len() as u64;
                attachments::check_size(size, max)?;
                if kind.is_none() {
                    head.extend_from_slice(&chunk[..chunk.len().min(SNIFF_BYTES - head.len().min(SNIFF_BYTES))]);
                    if head.len() >= SNIFF_BYTES {
                        kind = Some(attachments::sniff(&original, &head)?);
                    }
                }
                file.write_all(&chunk).await.map_err(io)?;
            }
            if size == 0 {
                return Err(Invalid::one("file", "file_empty"));
            }
            if kind.is_none() {
                kind = Some(attachments::sniff(&original, &head)?);
            }
            file.flush().await.map_err(io)?;
            Ok(())
        }
        .await;
        drop(file);
        return match (outcome, kind) {
            (Ok(()), Some(kind)) => Ok(NewFile { file_name: original, stored_name, kind, size }),
            (Err(e), _) => {
                let _ = tokio::fs::remove_file(&path).await;
                Err(e)
            }
            (Ok(()), None) => {
                let _ = tokio::fs::remove_file(&path).await;
                Err(Invalid::one("file", "upload_failed"))
            }
        };
    }
    Err(Invalid::one("file", "required"))
}

/// Removes stored bytes (a refused record, a deleted attachment).
pub async fn remove(state: &AppState, stored_name: &str) {
    if let Some(path) = path_of(state, stored_name)
        && let Err(e) = tokio::fs::remove_file(&path).await
    {
        tracing::warn!(error = %e, "cannot remove an attachment's file");
    }
}

/// The download: the kind's content type (never the uploader's), as an
/// attachment under its name, not to be sniffed by the browser.
pub async fn download(state: &AppState, a: &AttachmentView) -> Response {
    let Some(path) = path_of(state, &a.stored_name) else {
        return axum::http::StatusCode::NOT_FOUND.into_response();
    };
    let file = match tokio::fs::File::open(&path).await {
        Ok(f) => f,
        Err(e) => {
            tracing::error!(error = %e, id = a.id, "an attachment's file is missing");
            return axum::http::StatusCode::NOT_FOUND.into_response();
        }
    };
    let kind = FileKind::parse(&a.kind).unwrap_or(FileKind::Zip);
    let body = Body::from_stream(crate::jobs::imports::tokio_util_stream(file));
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind.content_type(&a.file_name)));
    let ascii: String = a
        .file_name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' })
        .collect();
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", percent(&a.file_name));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    if let Ok(v) = HeaderValue::from_str(&a.size.to_string()) {
        headers.insert(header::CONTENT_LENGTH, v);
    }
    response
}

/// RFC 5987 encoding of a file name.
fn percent(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
