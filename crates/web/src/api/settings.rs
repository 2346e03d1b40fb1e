//! Company settings.

use axum::Json;
use axum::extract::State;
use salesflow_domain::Invalid;
use salesflow_domain::settings::{DateFormat, Settings};
use salesflow_store::settings::{self, VersionedSettings};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::OrApi;
use super::body::MergePatch;
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::server::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_settings, update_settings))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsBody {
    pub company_name: String,
    /// ISO 4217, e.g. `CNY`.
    pub currency: String,
    pub currency_symbol: String,
    /// `YYYY-MM-DD`, `YYYY/MM/DD`, `DD/MM/YYYY` or `MM/DD/YYYY`.
    pub date_format: String,
    /// IANA name, e.g. `Asia/Shanghai`.
    pub time_zone: String,
    /// 1–12.
    pub fiscal_year_start_month: u32,
    /// `zh-CN` or `en`.
    pub default_locale: String,
    /// Days without activity before a customer returns to the public pool.
    pub pool_return_days: u32,
    /// Customers one person may claim from the pool per day.
    pub pool_claim_limit: u32,
    pub version: i64,
}

impl From<VersionedSettings> for SettingsBody {
    fn from(v: VersionedSettings) -> Self {
        let s = v.settings;
        SettingsBody {
            company_name: s.company_name,
            currency: s.currency,
            currency_symbol: s.currency_symbol,
            date_format: s.date_format.code().to_owned(),
            time_zone: s.time_zone,
            fiscal_year_start_month: s.fiscal_year_start_month,
            default_locale: s.default_locale,
            pool_return_days: s.pool_return_days,
            pool_claim_limit: s.pool_claim_limit,
            version: v.version,
        }
    }
}

impl SettingsBody {
    pub fn settings(&self) -> Result<Settings, Invalid> {
        let date_format =
            DateFormat::parse(&self.date_format).ok_or_else(|| Invalid::one("date_format", "invalid_choice"))?;
        Ok(Settings {
            company_name: self.company_name.clone(),
            currency: self.currency.trim().to_uppercase(),
            currency_symbol: self.currency_symbol.clone(),
            date_format,
            time_zone: self.time_zone.trim().to_owned(),
            fiscal_year_start_month: self.fiscal_year_start_month,
            default_locale: self.default_locale.clone(),
            pool_return_days: self.pool_return_days,
            pool_claim_limit: self.pool_claim_limit,
        })
    }
}

#[utoipa::path(get, path = "/settings", tag = "settings", responses((status = 200, body = SettingsBody)))]
async fn get_settings(
    State(state): State<AppState>,
    ApiCaller(_session, meta): ApiCaller,
) -> ApiResult<Json<SettingsBody>> {
    Ok(Json(settings::get(&state.store).await.api(&meta)?.into()))
}

/// Changes the settings the body names (RFC 7396 merge patch); `version`
/// must be the one last read.
#[utoipa::path(patch, path = "/settings", tag = "settings", request_body = SettingsBody,
    responses((status = 200, body = SettingsBody), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update_settings(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    patch: MergePatch,
) -> ApiResult<Json<SettingsBody>> {
    let current = SettingsBody::from(settings::get(&state.store).await.api(&meta)?);
    let base = serde_json::to_value(current).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let body: SettingsBody = patch.apply(base, &meta.locale)?;
    let new = body.settings().map_err(|e| ApiError::invalid(e).in_locale(&meta.locale))?;
    Ok(Json(settings::update(&state.store, &session.actor, new, body.version).await.api(&meta)?.into()))
}
