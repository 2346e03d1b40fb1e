//! The company settings page.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use salesflow_domain::access::{Action, Module};
use salesflow_domain::settings::{COMMON_TIME_ZONES, DateFormat, LOCALES};
use salesflow_store::{StoreError, settings};

use super::page::Page;
use super::{FormErrors, PageCtx, redirect_flash, render};
use crate::error::page::PageResult;
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
            ("contract_reminder_days", self.form.contract_reminder_days, 365),
        ]
    }
}

async fn show(request: &Page, form: SettingsBody, errors: FormErrors, status: StatusCode) -> Response {
    let ctx = request.ctx("/admin/settings").await;
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

async fn settings_page(request: Page) -> PageResult {
    request.actor().require(Module::Settings, Action::Edit)?;
    let s = settings::get(request.store()).await?;
    Ok(show(&request, s.into(), FormErrors::default(), StatusCode::OK).await)
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
    /// The checkbox: present when ticked.
    short_amounts: Option<String>,
    allow_negative_stock: Option<String>,
    contract_reminder_days: Option<u32>,
    version: i64,
}

async fn save_settings(request: Page, Form(f): Form<SettingsForm>) -> PageResult {
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
        short_amounts: f.short_amounts.is_some(),
        allow_negative_stock: f.allow_negative_stock.is_some(),
        contract_reminder_days: f.contract_reminder_days.unwrap_or(salesflow_domain::contracts::REMINDER_DAYS_DEFAULT),
        version: f.version,
    };
    let result = match form.settings() {
        Ok(new) => settings::update(request.store(), request.actor(), new, form.version).await.map(|_| ()),
        Err(invalid) => Err(StoreError::Invalid(invalid)),
    };
    match request.saved(result)? {
        Ok(()) => Ok(redirect_flash("/admin/settings", "flash.saved")),
        Err(refused) => Ok(show(&request, form, refused.errors, refused.status).await),
    }
}
