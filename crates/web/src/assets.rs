//! Static files embedded into the binary, served with ETags and a long
//! cache (the URLs carry no version, so `no-cache` + ETag would also do;
//! we use a day and revalidation). Our own files come from `assets/`, the
//! pinned npm packages' files from `OUT_DIR/vendor`, where build.rs puts
//! them.

use std::borrow::Cow;
use std::sync::LazyLock;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_embed::Embed;
use sha2::{Digest, Sha256};

use crate::server::AppState;

#[derive(Embed)]
#[folder = "../../assets/"]
#[include = "app.css"]
#[include = "app.js"]
#[include = "kanban.js"]
#[include = "docs.js"]
#[include = "reports.js"]
#[include = "logo.svg"]
#[include = "icons.svg"]
struct Assets;

/// A vendored file under `/assets/vendor/`.
macro_rules! vendor_file {
    ($name:literal) => {
        ($name, include_bytes!(concat!(env!("OUT_DIR"), "/vendor/", $name)).as_slice())
    };
}

const VENDOR: [(&str, &[u8]); 5] = [
    vendor_file!("htmx.min.js"),
    vendor_file!("echarts.min.js"),
    vendor_file!("Sortable.min.js"),
    vendor_file!("swagger-ui-bundle.js"),
    vendor_file!("swagger-ui.css"),
];

/// The vendored files' hashes, as `Assets` has them for ours.
static VENDOR_HASHES: LazyLock<Vec<[u8; 32]>> =
    LazyLock::new(|| VENDOR.iter().map(|(_, data)| Sha256::digest(data).into()).collect());

/// An embedded file: its bytes, SHA-256 and type.
struct Found {
    data: Cow<'static, [u8]>,
    sha256: [u8; 32],
    mime: String,
}

fn find(path: &str) -> Option<Found> {
    if let Some(name) = path.strip_prefix("vendor/") {
        let i = VENDOR.iter().position(|(n, _)| *n == name)?;
        let mime = if name.ends_with(".css") { "text/css" } else { "text/javascript" };
        return Some(Found { data: Cow::Borrowed(VENDOR[i].1), sha256: VENDOR_HASHES[i], mime: mime.to_owned() });
    }
    let file = Assets::get(path)?;
    Some(Found { sha256: file.metadata.sha256_hash(), mime: file.metadata.mimetype().to_owned(), data: file.data })
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/assets/{*path}", get(serve_asset))
        // Browsers ask for it on every page that names no icon (the API docs).
        .route("/favicon.ico", get(|| async { axum::response::Redirect::permanent("/assets/logo.svg") }))
}

async fn serve_asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    let Some(file) = find(&path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!("\"{}\"", hex::encode(&file.sha256[..12]));
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let mime = file.mime;
    let mut response = file.data.into_owned().into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&mime).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400, must-revalidate"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    response
}

#[cfg(test)]
mod tests {
    /// A lost closing brace puts every later rule inside the block before it
    /// (a merge once hid the board's styles inside a phone-width query).
    #[test]
    fn the_stylesheet_braces_are_balanced() {
        let css = include_str!("../../../assets/app.css");
        let mut depth = 0i32;
        for (n, line) in css.lines().enumerate() {
            depth += line.matches('{').count() as i32 - line.matches('}').count() as i32;
            assert!(depth >= 0, "an extra closing brace on line {}", n + 1);
        }
        assert_eq!(depth, 0, "a block of app.css is never closed");
    }
}
