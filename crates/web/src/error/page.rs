//! The pages' errors: a full error page in the product's style, in the
//! reader's language.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use salesflow_store::StoreError;

use crate::i18n;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    lang: String,
    title: String,
    message: String,
    home: String,
    status: u16,
}

/// A full error page in the product's style.
pub fn error_page(locale: &str, status: StatusCode, message_key: &str) -> Response {
    let page = ErrorPage {
        lang: locale.to_owned(),
        title: i18n::t(locale, &format!("errors.status_{}", status.as_u16())),
        message: i18n::t(locale, message_key),
        home: i18n::t(locale, "errors.back_home"),
        status: status.as_u16(),
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => status.into_response(),
    }
}

/// Turns a store error into the right page (404 for out-of-scope too).
pub fn store_error_page(locale: &str, err: StoreError) -> Response {
    match err {
        StoreError::NotFound => error_page(locale, StatusCode::NOT_FOUND, "errors.not_found_page"),
        StoreError::Forbidden => error_page(locale, StatusCode::FORBIDDEN, "errors.forbidden_page"),
        StoreError::Conflict(_) => error_page(locale, StatusCode::CONFLICT, "errors.conflict_page"),
        StoreError::Invalid(_) => error_page(locale, StatusCode::UNPROCESSABLE_ENTITY, "errors.invalid_page"),
        StoreError::Throttled { .. } => error_page(locale, StatusCode::TOO_MANY_REQUESTS, "errors.throttled"),
        StoreError::Unauthorized => Redirect::to("/login").into_response(),
        other => {
            tracing::error!(error = %other, "page failed");
            error_page(locale, StatusCode::INTERNAL_SERVER_ERROR, "errors.server_page")
        }
    }
}
