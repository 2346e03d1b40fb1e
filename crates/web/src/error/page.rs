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

/// Why a page failed, as the error page shows it. Handlers return
/// `PageResult` and use `?`: the response carries only the status and the
/// message key, and `server::finish_response`, which knows the reader's
/// language, renders the page (see `render_failed`).
#[derive(Debug)]
pub enum PageError {
    /// The error page with this status and message key.
    Show { status: StatusCode, key: &'static str },
    /// Not signed in (any more): to the sign-in page.
    SignIn,
}

pub type PageResult<T = Response> = Result<T, PageError>;

impl PageError {
    pub fn not_found() -> Self {
        PageError::Show { status: StatusCode::NOT_FOUND, key: "errors.not_found_page" }
    }

    /// The page in a given language, for code that answers without the finisher.
    pub fn render(self, locale: &str) -> Response {
        match self {
            PageError::Show { status, key } => error_page(locale, status, key),
            PageError::SignIn => Redirect::to("/login").into_response(),
        }
    }
}

/// Out-of-scope records are "not found" too: the store says so itself.
impl From<StoreError> for PageError {
    fn from(err: StoreError) -> Self {
        let show = |status, key| PageError::Show { status, key };
        match err {
            StoreError::NotFound => PageError::not_found(),
            StoreError::Forbidden => show(StatusCode::FORBIDDEN, "errors.forbidden_page"),
            StoreError::Conflict(_) => show(StatusCode::CONFLICT, "errors.conflict_page"),
            StoreError::Invalid(_) => show(StatusCode::UNPROCESSABLE_ENTITY, "errors.invalid_page"),
            StoreError::Throttled { .. } => show(StatusCode::TOO_MANY_REQUESTS, "errors.throttled"),
            StoreError::Unauthorized => PageError::SignIn,
            other => {
                tracing::error!(error = %other, "page failed");
                show(StatusCode::INTERNAL_SERVER_ERROR, "errors.server_page")
            }
        }
    }
}

/// The message key of a failed page, carried by its response to the finisher.
#[derive(Clone, Copy)]
struct FailedPage(&'static str);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::Show { status, key } => {
                let mut response = status.into_response();
                response.extensions_mut().insert(FailedPage(key));
                response
            }
            PageError::SignIn => Redirect::to("/login").into_response(),
        }
    }
}

/// A failed page's response becomes the error page in the reader's language;
/// any other response is left as it is.
pub fn render_failed(response: Response, locale: &str) -> Response {
    match response.extensions().get::<FailedPage>() {
        Some(&FailedPage(key)) => error_page(locale, response.status(), key),
        None => response,
    }
}
