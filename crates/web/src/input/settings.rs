//! The company settings as fields: the API's body and the settings form.

use salesflow_domain::Invalid;
use salesflow_domain::settings::{DateFormat, Settings};
use salesflow_store::settings::VersionedSettings;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
    /// Large amounts short in lists, cards and the board (`¥30.5万`; in
    /// English `¥305K`), exact on hover; default `false`. Exports, forms and
    /// the API are always exact.
    #[serde(default)]
    pub short_amounts: bool,
    /// Stock may go below zero; default `false` (a movement or reservation
    /// that would is refused).
    #[serde(default)]
    pub allow_negative_stock: bool,
    /// Days before a contract's end its owner is reminded (1–365; default 30).
    #[serde(default = "default_reminder_days")]
    pub contract_reminder_days: u32,
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
            short_amounts: s.short_amounts,
            allow_negative_stock: s.allow_negative_stock,
            contract_reminder_days: s.contract_reminder_days,
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
            short_amounts: self.short_amounts,
            allow_negative_stock: self.allow_negative_stock,
            contract_reminder_days: self.contract_reminder_days,
        })
    }
}

fn default_reminder_days() -> u32 {
    salesflow_domain::contracts::REMINDER_DAYS_DEFAULT
}
