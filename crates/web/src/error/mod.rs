//! One error type for the API: every failure becomes RFC 7807 problem JSON.
//! 5xx are logged with their cause and shown to users without it. The
//! pages' errors are in `page`.

pub mod page;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use salesflow_domain::{FieldError, Invalid};
use salesflow_store::StoreError;
use serde::Serialize;

use crate::i18n;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProblemField {
    pub field: String,
    pub code: String,
    pub message: String,
    /// The message's parameters, e.g. `max`, or a stage gate's `item_id`.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub params: std::collections::BTreeMap<String, String>,
}

/// `application/problem+json` body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub detail: Option<String>,
    pub errors: Vec<FieldError>,
    pub retry_after: Option<i64>,
    pub locale: String,
}

impl ApiError {
    pub fn new(status: StatusCode, kind: &'static str, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            kind,
            detail: Some(detail.into()),
            errors: Vec::new(),
            retry_after: None,
            locale: "en".into(),
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "malformed", detail)
    }

    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "sign in first, or send a valid bearer token")
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "no such record")
    }

    pub fn invalid(invalid: Invalid) -> Self {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            kind: "validation",
            detail: None,
            errors: invalid.0,
            retry_after: None,
            locale: "en".into(),
        }
    }

    /// Translates field messages into the caller's language.
    pub fn in_locale(mut self, locale: &str) -> Self {
        self.locale = locale.to_owned();
        self
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => ApiError::not_found(),
            StoreError::Forbidden => ApiError::new(StatusCode::FORBIDDEN, "forbidden", "your role does not allow this"),
            StoreError::Conflict(what) => ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                format!("{what}: the record was changed by someone else; reload it and try again"),
            ),
            // A cursor is the server's own token: a bad one is a malformed
            // request, not a field the caller typed.
            StoreError::Invalid(invalid)
                if invalid.0.iter().all(|e| e.code == "invalid_cursor") && !invalid.0.is_empty() =>
            {
                ApiError { status: StatusCode::BAD_REQUEST, kind: "malformed", ..ApiError::invalid(invalid) }
            }
            StoreError::Invalid(invalid) => ApiError::invalid(invalid),
            StoreError::Throttled { retry_after_secs } => ApiError {
                retry_after: Some(retry_after_secs),
                ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "throttled", "too many attempts; wait and try again")
            },
            StoreError::Unauthorized => {
                ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "wrong username or password")
            }
            StoreError::Db(e) => internal(&e.to_string()),
            StoreError::Internal(e) => internal(&e),
        }
    }
}

fn internal(cause: &str) -> ApiError {
    tracing::error!(%cause, "internal error");
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "something went wrong on our side; it has been logged")
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let title = i18n::t(&self.locale, &format!("problem.{}", self.kind));
        let errors = self
            .errors
            .iter()
            .map(|e| ProblemField {
                field: e.field.clone(),
                code: e.code.clone(),
                message: i18n::field_message(&self.locale, e),
                params: e.params.iter().cloned().collect(),
            })
            .collect();
        let body = Problem {
            kind: format!("https://salesflow.dev/problems/{}", self.kind),
            title,
            status: self.status.as_u16(),
            detail: self.detail,
            errors,
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            headers.insert(header::RETRY_AFTER, v);
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
