//! An import's life on the server: the upload streamed to a file, its
//! registration as a draft, the run in the background on this node, and
//! the rejected rows as a download. The API and the pages both start
//! imports through these.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::Multipart;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use salesflow_domain::imports::Target;
use salesflow_domain::{FieldError, Invalid};
use salesflow_store::imports::{self, ImportView};
use salesflow_store::{Actor, StoreError};
use tokio::io::AsyncWriteExt;

use crate::server::AppState;

/// A multipart upload: the file, stored under the data directory, and the
/// text fields sent with it.
pub struct Upload {
    pub file: Option<(PathBuf, String)>,
    pub fields: HashMap<String, String>,
}

impl Upload {
    /// Removes the stored file (after a refused upload).
    pub async fn discard(&self) {
        if let Some((path, _)) = &self.file {
            let _ = tokio::fs::remove_file(path).await;
        }
    }

    pub fn text(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
    }
}

/// Where uploads and their rejected-rows files are kept.
pub fn upload_dir(state: &AppState) -> PathBuf {
    state.config.data_dir.join("imports")
}

/// The most a text field of an upload may hold (bytes).
const TEXT_FIELD_MAX: usize = 64 * 1024;

/// Reads a multipart body: text fields into memory (small), the `file`
/// part straight to disk, refusing more than the configured size. With
/// `csrf`, the `_csrf` field must come (right) before the file.
pub async fn receive(
    state: &AppState,
    mut multipart: Multipart,
    allowed: &[&str],
    csrf: Option<&str>,
) -> Result<Upload, Invalid> {
    let mut upload = Upload { file: None, fields: HashMap::new() };
    let result = receive_into(state, &mut multipart, allowed, csrf, &mut upload).await;
    if result.is_err() {
        upload.discard().await;
    }
    result.map(|()| upload)
}

async fn receive_into(
    state: &AppState,
    multipart: &mut Multipart,
    allowed: &[&str],
    csrf: Option<&str>,
    upload: &mut Upload,
) -> Result<(), Invalid> {
    let malformed = |_| Invalid::one("file", "upload_failed");
    while let Some(mut field) = multipart.next_field().await.map_err(malformed)? {
        let name = field.name().unwrap_or("").to_owned();
        if name == "file" {
            if let Some(expected) = csrf
                && upload.fields.get(crate::auth::CSRF_FIELD).map(String::as_str) != Some(expected)
            {
                return Err(Invalid::one("_csrf", "csrf"));
            }
            if upload.file.is_some() {
                return Err(Invalid::one("file", "one_file"));
            }
            let original = field.file_name().unwrap_or("upload").to_owned();
            let dir = upload_dir(state);
            let io = |e: std::io::Error| {
                tracing::error!(error = %e, "cannot store an upload");
                Invalid::one("file", "upload_failed")
            };
            tokio::fs::create_dir_all(&dir).await.map_err(io)?;
            let token = salesflow_store::access::new_token();
            // The machine's date in a file name (tidiness on disk), not business time.
            let path = dir.join(format!("{}-{}.upload", chrono::Utc::now().format("%Y%m%d"), &token[..24]));
            let mut file = tokio::fs::File::create(&path).await.map_err(io)?;
            upload.file = Some((path, original));
            let max = state.config.upload_max_bytes;
            let mut size: u64 = 0;
            while let Some(chunk) = field.chunk().await.map_err(malformed)? {
                size += chunk.len() as u64;
                if size > max {
                    return Err(Invalid(vec![
                        FieldError::new("file", "file_too_large").with("max", max / (1024 * 1024)),
                    ]));
                }
                file.write_all(&chunk).await.map_err(io)?;
            }
            file.flush().await.map_err(io)?;
        } else if allowed.contains(&name.as_str()) || name == crate::auth::CSRF_FIELD {
            // Read with the cap: a 400 MB text field is refused at 64 KiB,
            // not held whole first.
            let mut bytes: Vec<u8> = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(malformed)? {
                if bytes.len() + chunk.len() > TEXT_FIELD_MAX {
                    return Err(Invalid(vec![FieldError::new(&name, "too_long").with("max", TEXT_FIELD_MAX)]));
                }
                bytes.extend_from_slice(&chunk);
            }
            let text = String::from_utf8(bytes).map_err(|_| Invalid::one(&name, "upload_failed"))?;
            upload.fields.insert(name, text);
        } else {
            return Err(Invalid(vec![FieldError::new(&name, "unknown_field")]));
        }
    }
    if upload.file.is_none() {
        return Err(Invalid::one("file", "required"));
    }
    Ok(())
}

/// Registers the stored file as a draft import; the file is removed when
/// it is refused.
pub async fn register(
    state: &AppState,
    actor: &Actor,
    upload: &Upload,
    target: Target,
) -> Result<ImportView, StoreError> {
    let Some((path, name)) = &upload.file else {
        return Err(Invalid::one("file", "required").into());
    };
    let result = imports::upload(&state.store, actor, target, name, path).await;
    if result.is_err() {
        upload.discard().await;
    }
    result
}

pub fn target_of(text: Option<&str>) -> Result<Target, Invalid> {
    match text {
        None => Err(Invalid::one("target", "required")),
        Some(t) => Target::parse(t).ok_or_else(|| Invalid::one("target", "invalid_choice")),
    }
}

/// Runs a queued import in the background on this node. Its progress is in
/// the database, so any node can show it.
pub fn spawn_run(state: &AppState, actor: Actor, id: i64, locale: &str) {
    let store = state.store.clone();
    let locale = locale.to_owned();
    let messages: imports::Messages = Arc::new(move |key: &str| crate::i18n::t(&locale, key));
    tokio::spawn(async move {
        match imports::run(&store, &actor, id, messages, None).await {
            Ok(job) => tracing::info!(import = id, status = %job.status, processed = job.processed, "import finished"),
            Err(e) => tracing::error!(import = id, error = %e, "import could not run"),
        }
    });
}

/// The rejected rows as a download.
pub async fn report_download(path: &Path, id: i64) -> Result<Response, StoreError> {
    let file = tokio::fs::File::open(path).await.map_err(|_| StoreError::NotFound)?;
    let body = axum::body::Body::from_stream(tokio_util_stream(file));
    let disposition = format!("attachment; filename=\"import-{id}-rejected.csv\"");
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, disposition)],
        body,
    )
        .into_response())
}

/// A file as a stream of chunks, without holding it in memory.
pub(crate) fn tokio_util_stream(
    file: tokio::fs::File,
) -> impl futures_util::Stream<Item = Result<axum::body::Bytes, std::io::Error>> + Send {
    futures_util::stream::unfold(file, |mut file| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(axum::body::Bytes::from(buf)), file))
            }
            Err(e) => Some((Err(e), file)),
        }
    })
}
