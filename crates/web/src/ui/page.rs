//! What every signed-in page handler takes, in one extractor, and the end
//! every form save shares (`Page::saved`).

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use axum_extra::extract::cookie::CookieJar;
use salesflow_domain::Invalid;
use salesflow_domain::settings::Settings;
use salesflow_store::{Actor, Store, StoreError, StoreResult};

use super::{FormErrors, PageCtx, page_ctx};
use crate::auth::{RequestMeta, Session, UiUser};
use crate::error::page::PageResult;
use crate::server::AppState;

/// A signed-in page request: the state, the session, the request's
/// language, CSRF token and address, and its cookies (for the flash
/// message). The page context is built only when a page is rendered
/// (`ctx`). Without a session the request goes to the sign-in page.
pub struct Page {
    pub state: AppState,
    pub session: Session,
    pub meta: RequestMeta,
    pub jar: CookieJar,
}

impl FromRequestParts<AppState> for Page {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let UiUser(session, meta) = UiUser::from_request_parts(parts, state).await?;
        let jar = CookieJar::from_headers(&parts.headers);
        Ok(Page { state: state.clone(), session, meta, jar })
    }
}

impl Page {
    pub fn store(&self) -> &Store {
        &self.state.store
    }

    pub fn actor(&self) -> &Actor {
        &self.session.actor
    }

    pub fn locale(&self) -> &str {
        &self.meta.locale
    }

    /// The context of a page under `path` (navigation, flash, settings).
    pub async fn ctx(&self, path: &str) -> PageCtx {
        page_ctx(self, path).await
    }

    /// The company settings; the defaults when they cannot be read.
    pub async fn company(&self) -> Settings {
        salesflow_store::settings::get(self.store()).await.map(|s| s.settings).unwrap_or_default()
    }

    /// The end of a form save: the saved value, or why the form shows
    /// again (a change by someone else meanwhile is the `version` field's
    /// error); any other failure fails the page.
    pub fn saved<T>(&self, result: StoreResult<T>) -> PageResult<Result<T, Refused>> {
        let (invalid, status) = match result {
            Ok(value) => return Ok(Ok(value)),
            Err(StoreError::Invalid(invalid)) => (invalid, StatusCode::UNPROCESSABLE_ENTITY),
            Err(StoreError::Conflict(_)) => (Invalid::one("version", "stale_version"), StatusCode::CONFLICT),
            Err(e) => return Err(e.into()),
        };
        let errors = FormErrors::from_invalid(self.locale(), &invalid);
        Ok(Err(Refused { invalid, errors, status }))
    }
}

/// Why a form was not saved: it shows again with these field errors, and
/// the answer says so by its status.
pub struct Refused {
    pub invalid: Invalid,
    pub errors: FormErrors,
    /// 422, or 409 when someone else changed the record meanwhile.
    pub status: StatusCode,
}
