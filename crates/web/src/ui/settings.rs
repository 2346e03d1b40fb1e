//! The company settings page.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use axum_extra::extract::cookie::CookieJar;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::settings::{COMMON_TIME_ZONES, DateFormat, LOCALES};
use salesflow_store::{StoreError, settings};

use super::{FormErrors, PageCtx, page_ctx, redirect_flash, render, store_error_page};
use crate::auth::{RequestMeta, Session, UiUser};
use crate::input::settings::SettingsBody;
use crate::server::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/settings", get(settings_page).post(save_settings))
}

#[derive(Template)]
#[template(path = "settings/form.html")]
struct SettingsPage {
    ctx: PageCtx,
    form: SettingsBody,
    errors: FormErrors,
    date_formats: Vec<&'static str>,
    time_zones: Vec<&'static str>,
    locales: [&'static str; 2],
    months: Vec<u32>,
}

impl SettingsPage {
    /// The public-pool numbers: field, value, maximum.
    fn pool_fields(&self) -> Vec<(&'static str, u32, u32)> {
        vec![
            ("pool_return_days", self.form.pool_return_days, 3650),
            ("pool_claim_limit", self.form.pool_claim_limit, 10_000),
        ]
    }
}

async fn show(
    state: &AppState,
    session: &Session,
    meta: &RequestMeta,
    jar: &CookieJar,
    form: SettingsBody,
    errors: FormErrors,
    status: StatusCode,
) -> Response {
    let ctx = page_ctx(state, session, meta, jar, "/admin/settings").await;
    let page = SettingsPage {
        ctx,
        form,
        errors,
        date_formats: DateFormat::ALL.iter().map(|f| f.code()).collect(),
        time_zones: COMMON_TIME_ZONES.to_vec(),
        locales: LOCALES,
        months: (1..=12).collect(),
    };
    (status, render(&page.ctx, &page)).into_response()
}

async fn settings_page(State(state): State<AppState>, UiUser(session, meta): UiUser, jar: CookieJar) -> Response {
    if let Err(e) = session.actor.require(Module::Settings, Action::Edit) {
        return store_error_page(&meta.locale, e);
    }
    match settings::get(&state.store).await {
        Ok(s) => show(&state, &session, &meta, &jar, s.into(), FormErrors::default(), StatusCode::OK).await,
        Err(e) => store_error_page(&meta.locale, e),
    }
}

/// The form's fields (the CSRF field rides along and is ignored here).
#[derive(serde::Deserialize)]
struct SettingsForm {
    company_name: String,
    currency: String,
    currency_symbol: String,
    date_format: String,
    time_zone: String,
    fiscal_year_start_month: u32,
    default_locale: String,
    pool_return_days: u32,
    pool_claim_limit: u32,
    version: i64,
}

async fn save_settings(
    State(state): State<AppState>,
    UiUser(session, meta): UiUser,
    jar: CookieJar,
    Form(f): Form<SettingsForm>,
) -> Response {
    let form = SettingsBody {
        company_name: f.company_name,
        currency: f.currency,
        currency_symbol: f.currency_symbol,
        date_format: f.date_format,
        time_zone: f.time_zone,
        fiscal_year_start_month: f.fiscal_year_start_month,
        default_locale: f.default_locale,
        pool_return_days: f.pool_return_days,
        pool_claim_limit: f.pool_claim_limit,
        version: f.version,
    };
    let result = match form.settings() {
        Ok(new) => settings::update(&state.store, &session.actor, new, form.version).await.map(|_| ()),
        Err(invalid) => Err(StoreError::Invalid(invalid)),
    };
    match result {
        Ok(()) => redirect_flash("/admin/settings", "flash.saved"),
        Err(StoreError::Invalid(invalid)) => {
            let errors = FormErrors::from_invalid(&meta.locale, &invalid);
            show(&state, &session, &meta, &jar, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(StoreError::Conflict(_)) => {
            let errors = FormErrors::one(&meta.locale, "version", "stale_version");
            show(&state, &session, &meta, &jar, form, errors, StatusCode::CONFLICT).await
        }
        Err(e) => store_error_page(&meta.locale, e),
    }
}
