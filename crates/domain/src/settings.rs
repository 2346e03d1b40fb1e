//! Company settings and how dates, times and money render through them.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::money::{Money, ShortStyle};
use crate::validation::{FieldError, Invalid};

/// The languages the UI speaks.
pub const LOCALES: [&str; 2] = ["zh-CN", "en"];

/// Picks a supported locale from an `Accept-Language` header value.
pub fn locale_from_accept_language(header: &str) -> Option<&'static str> {
    let mut best: Option<(f32, &'static str)> = None;
    for part in header.split(',') {
        let mut pieces = part.trim().split(';');
        let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = pieces.find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok())).unwrap_or(1.0);
        let locale = if tag.starts_with("zh") {
            "zh-CN"
        } else if tag.starts_with("en") {
            "en"
        } else {
            continue;
        };
        if best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, locale));
        }
    }
    best.map(|(_, l)| l)
}

/// Normalises a locale code to a supported one.
pub fn supported_locale(code: &str) -> Option<&'static str> {
    LOCALES.into_iter().find(|l| l.eq_ignore_ascii_case(code))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DateFormat {
    #[serde(rename = "YYYY-MM-DD")]
    Iso,
    #[serde(rename = "YYYY/MM/DD")]
    Slashes,
    #[serde(rename = "DD/MM/YYYY")]
    DayFirst,
    #[serde(rename = "MM/DD/YYYY")]
    MonthFirst,
}

impl DateFormat {
    pub const ALL: [DateFormat; 4] =
        [DateFormat::Iso, DateFormat::Slashes, DateFormat::DayFirst, DateFormat::MonthFirst];

    pub fn code(self) -> &'static str {
        match self {
            DateFormat::Iso => "YYYY-MM-DD",
            DateFormat::Slashes => "YYYY/MM/DD",
            DateFormat::DayFirst => "DD/MM/YYYY",
            DateFormat::MonthFirst => "MM/DD/YYYY",
        }
    }

    pub fn parse(code: &str) -> Option<DateFormat> {
        DateFormat::ALL.into_iter().find(|f| f.code() == code)
    }

    /// The same order of day, month and year as an Excel number format,
    /// for exported date cells.
    pub fn excel_pattern(self) -> &'static str {
        match self {
            DateFormat::Iso => "yyyy-mm-dd",
            DateFormat::Slashes => "yyyy/mm/dd",
            DateFormat::DayFirst => "dd/mm/yyyy",
            DateFormat::MonthFirst => "mm/dd/yyyy",
        }
    }

    fn pattern(self) -> &'static str {
        match self {
            DateFormat::Iso => "%Y-%m-%d",
            DateFormat::Slashes => "%Y/%m/%d",
            DateFormat::DayFirst => "%d/%m/%Y",
            DateFormat::MonthFirst => "%m/%d/%Y",
        }
    }
}

/// The company-wide settings (one row in the database).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub company_name: String,
    /// ISO 4217 code, e.g. `CNY`.
    pub currency: String,
    pub currency_symbol: String,
    pub date_format: DateFormat,
    /// IANA time zone name, e.g. `Asia/Shanghai`.
    pub time_zone: String,
    /// 1 = January.
    pub fiscal_year_start_month: u32,
    pub default_locale: String,
    /// A customer whose owner records no activity for this many days
    /// returns to the public pool.
    pub pool_return_days: u32,
    /// How many customers one person may claim from the pool per day.
    pub pool_claim_limit: u32,
    /// Large amounts in lists, cards and board figures shown short
    /// (`¥30.5万`, `¥1.2亿`; in English `¥305K`, `¥120M`) with the exact
    /// amount on hover; forms, exports and the API stay exact.
    #[serde(default)]
    pub short_amounts: bool,
    /// Stock may go below zero (receipts recorded late); by default a
    /// movement or reservation that would is refused.
    #[serde(default)]
    pub allow_negative_stock: bool,
    /// How many days before a contract's end its owner hears of it.
    #[serde(default = "default_reminder_days")]
    pub contract_reminder_days: u32,
}

fn default_reminder_days() -> u32 {
    crate::contracts::REMINDER_DAYS_DEFAULT
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            company_name: "Salesflow".to_owned(),
            currency: "CNY".to_owned(),
            currency_symbol: "¥".to_owned(),
            date_format: DateFormat::Iso,
            time_zone: "Asia/Shanghai".to_owned(),
            fiscal_year_start_month: 1,
            default_locale: "zh-CN".to_owned(),
            pool_return_days: 30,
            pool_claim_limit: 20,
            short_amounts: false,
            allow_negative_stock: false,
            contract_reminder_days: crate::contracts::REMINDER_DAYS_DEFAULT,
        }
    }
}

impl Settings {
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut invalid = Invalid::new();
        invalid.text("company_name", &self.company_name, 100);
        if self.currency.len() != 3 || !self.currency.chars().all(|c| c.is_ascii_uppercase()) {
            invalid.push(FieldError::new("currency", "invalid_currency"));
        }
        invalid.text("currency_symbol", &self.currency_symbol, 5);
        if self.time_zone.parse::<Tz>().is_err() {
            invalid.push(FieldError::new("time_zone", "invalid_time_zone"));
        }
        if !(1..=12).contains(&self.fiscal_year_start_month) {
            invalid.push(FieldError::new("fiscal_year_start_month", "out_of_range").with("min", 1).with("max", 12));
        }
        if !(1..=3650).contains(&self.pool_return_days) {
            invalid.push(FieldError::new("pool_return_days", "out_of_range").with("min", 1).with("max", 3650));
        }
        if !(1..=crate::contracts::REMINDER_DAYS_MAX).contains(&self.contract_reminder_days) {
            invalid.push(
                FieldError::new("contract_reminder_days", "out_of_range")
                    .with("min", 1)
                    .with("max", crate::contracts::REMINDER_DAYS_MAX),
            );
        }
        if !(1..=10_000).contains(&self.pool_claim_limit) {
            invalid.push(FieldError::new("pool_claim_limit", "out_of_range").with("min", 1).with("max", 10_000));
        }
        if supported_locale(&self.default_locale).is_none() {
            invalid.push(FieldError::new("default_locale", "invalid_choice"));
        }
        invalid.into_result()
    }

    pub fn tz(&self) -> Tz {
        self.time_zone.parse().unwrap_or(chrono_tz::Asia::Shanghai)
    }

    /// The day `now` falls on in the company's time zone ("today", with
    /// `now` from the store's clock).
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&self.tz()).date_naive()
    }

    pub fn format_date(&self, date: NaiveDate) -> String {
        date.format(self.date_format.pattern()).to_string()
    }

    /// A UTC instant shown in the company's time zone.
    pub fn format_datetime(&self, at: DateTime<Utc>) -> String {
        let local = at.with_timezone(&self.tz());
        format!("{} {}", local.format(self.date_format.pattern()), local.format("%H:%M"))
    }

    /// A wall-clock time typed in the company's time zone
    /// (`2026-03-31T14:30` from a `datetime-local` field), in UTC.
    pub fn parse_local_datetime(&self, text: &str) -> Option<DateTime<Utc>> {
        use chrono::TimeZone;
        let naive = chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M").ok()?;
        self.tz().from_local_datetime(&naive).earliest().map(|t| t.with_timezone(&Utc))
    }

    /// A day as a reminder time: 09:00 that day in the company's time zone.
    pub fn morning_of(&self, date: NaiveDate) -> Option<DateTime<Utc>> {
        use chrono::TimeZone;
        self.tz().from_local_datetime(&date.and_hms_opt(9, 0, 0)?).earliest().map(|t| t.with_timezone(&Utc))
    }

    /// The start of a day (00:00) in the company's time zone.
    pub fn start_of(&self, date: NaiveDate) -> Option<DateTime<Utc>> {
        use chrono::TimeZone;
        self.tz().from_local_datetime(&date.and_hms_opt(0, 0, 0)?).earliest().map(|t| t.with_timezone(&Utc))
    }

    /// `YYYY-MM-DDTHH:MM` in the company's time zone, for form fields.
    pub fn local_input(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.tz()).format("%Y-%m-%dT%H:%M").to_string()
    }

    pub fn format_money(&self, amount: Money) -> String {
        amount.display(&self.currency_symbol)
    }

    /// An amount as lists, cards and board figures show it: short in the
    /// reader's language when [`Settings::short_amounts`] is on and the
    /// amount is at least 10,000 (`¥30.5万` / `¥305K`), else exact
    /// (`¥300,000.00`). [`Settings::format_money`] is the exact one.
    pub fn format_money_for(&self, amount: Money, locale: &str) -> String {
        if !self.short_amounts {
            return self.format_money(amount);
        }
        let style = if locale.starts_with("zh") { ShortStyle::Wan } else { ShortStyle::Thousands };
        amount.short(&self.currency_symbol, style).unwrap_or_else(|| self.format_money(amount))
    }

    /// The first day of the fiscal year that contains `date`.
    pub fn fiscal_year_start(&self, date: NaiveDate) -> NaiveDate {
        use chrono::Datelike;
        let month = self.fiscal_year_start_month.clamp(1, 12);
        let year = if date.month() >= month { date.year() } else { date.year() - 1 };
        NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(date)
    }
}

/// Common time zones offered in the settings form (any IANA name is accepted).
pub const COMMON_TIME_ZONES: [&str; 12] = [
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Australia/Sydney",
    "UTC",
];

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn defaults_are_valid() {
        assert!(Settings::default().validate().is_ok());
    }

    #[test]
    fn rejects_bad_values() {
        let s = Settings {
            company_name: String::new(),
            currency: "rmb".into(),
            time_zone: "Mars/Olympus".into(),
            fiscal_year_start_month: 13,
            default_locale: "fr".into(),
            ..Settings::default()
        };
        let fields: Vec<String> = s.validate().unwrap_err().0.into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["company_name", "currency", "time_zone", "fiscal_year_start_month", "default_locale"]);
    }

    #[test]
    fn formats_through_settings() {
        let s = Settings { date_format: DateFormat::DayFirst, ..Settings::default() };
        let at = Utc.with_ymd_and_hms(2026, 3, 31, 17, 30, 0).unwrap();
        // 17:30 UTC is 01:30 the next day in Shanghai.
        assert_eq!(s.format_datetime(at), "01/04/2026 01:30");
        assert_eq!(s.format_money(Money(123_456_700)), "¥1,234,567.00");
        let typed = s.parse_local_datetime("2026-04-01T01:30").unwrap();
        assert_eq!(typed, at, "a time typed in Shanghai is stored in UTC");
        assert_eq!(s.local_input(at), "2026-04-01T01:30");
        let nine = s.morning_of(NaiveDate::from_ymd_opt(2026, 4, 2).unwrap()).unwrap();
        assert_eq!(nine, Utc.with_ymd_and_hms(2026, 4, 2, 1, 0, 0).unwrap());
        let april = Settings { fiscal_year_start_month: 4, ..Settings::default() };
        let d = NaiveDate::from_ymd_opt(2026, 2, 10).unwrap();
        assert_eq!(april.fiscal_year_start(d), NaiveDate::from_ymd_opt(2025, 4, 1).unwrap());
    }

    #[test]
    fn accept_language() {
        assert_eq!(locale_from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"), Some("zh-CN"));
        assert_eq!(locale_from_accept_language("en-US,en;q=0.9"), Some("en"));
        assert_eq!(locale_from_accept_language("fr-FR,en;q=0.5,zh;q=0.7"), Some("zh-CN"));
        assert_eq!(locale_from_accept_language("fr"), None);
    }
}
