//! The report queries (funnel, forecast) as the API and the report pages
//! both read them: period, pipeline, people, target and file format.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use salesflow_domain::money::Money;
use salesflow_domain::validation::FieldError;
use salesflow_domain::{Invalid, settings::Settings};
use salesflow_store::reports::{ForecastParams, FunnelParams, GroupBy, Selection};
use salesflow_store::{Actor, Store, StoreError, StoreResult};
use serde::Deserialize;
use utoipa::IntoParams;

/// `json` (default), `csv` or `xlsx`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Xlsx,
}

fn parse_format(invalid: &mut Invalid, format: &Option<String>) -> Format {
    match format.as_deref().map(str::trim).unwrap_or("") {
        "" | "json" => Format::Json,
        "csv" => Format::Csv,
        "xlsx" => Format::Xlsx,
        _ => {
            invalid.push(FieldError::new("format", "invalid_choice"));
            Format::Json
        }
    }
}

fn parse_date(invalid: &mut Invalid, field: &str, value: &Option<String>) -> Option<NaiveDate> {
    let v = value.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
    match salesflow_domain::time::parse_day(v) {
        Some(d) => Some(d),
        None => {
            invalid.push(FieldError::new(field, "invalid_date"));
            None
        }
    }
}

/// The period presets of the report pages' period box.
pub const PRESETS: [&str; 4] = ["this_month", "this_quarter", "this_year", "last_12_months"];

/// The funnel's period when none is given (page and API): this calendar
/// quarter, named in the page's period box.
pub const FUNNEL_DEFAULT_PERIOD: &str = "this_quarter";

/// The first and last day of a period preset around `today`.
pub fn preset(code: &str, today: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let month1 = today.with_day(1)?;
    let end_of = |start: NaiveDate, months: u32| start.checked_add_months(chrono::Months::new(months))?.pred_opt();
    match code {
        "this_month" => Some((month1, end_of(month1, 1)?)),
        "this_quarter" => {
            let q = NaiveDate::from_ymd_opt(today.year(), today.month0() / 3 * 3 + 1, 1)?;
            Some((q, end_of(q, 3)?))
        }
        "this_year" => {
            let y = NaiveDate::from_ymd_opt(today.year(), 1, 1)?;
            Some((y, end_of(y, 12)?))
        }
        "last_12_months" => Some((month1.checked_sub_months(chrono::Months::new(11))?, end_of(month1, 1)?)),
        _ => None,
    }
}

fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn month_end(d: NaiveDate) -> NaiveDate {
    month_start(d).checked_add_months(chrono::Months::new(1)).and_then(|n| n.pred_opt()).unwrap_or(d)
}

#[derive(Debug, Clone, Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct FunnelQuery {
    /// First day of the period, `YYYY-MM-DD`, in the company's time zone.
    /// Default: the first day of this month.
    pub from: Option<String>,
    /// Last day of the period (inclusive). Default: the last day of this
    /// month. At most three years after `from`.
    pub to: Option<String>,
    /// Default: the first active pipeline.
    pub pipeline_id: Option<i64>,
    /// Only this salesperson (inside the caller's scope).
    pub owner_id: Option<i64>,
    /// Only this team: the department and its sub-departments.
    pub department_id: Option<i64>,
    /// Sales target for the period, a decimal string: coverage = open
    /// amount expected to close in the period ÷ target.
    pub target: Option<String>,
    /// Days without activity after which an open deal counts as stalled
    /// (1–3650, default 14).
    pub idle_days: Option<i64>,
    /// `json` (default), `csv` or `xlsx` (export right needed for files).
    pub format: Option<String>,
}

impl FunnelQuery {
    /// The store's parameters, or the field errors of this query.
    pub async fn params(
        &self,
        store: &Store,
        actor: &Actor,
        settings: &Settings,
    ) -> StoreResult<(FunnelParams, Format)> {
        let mut invalid = Invalid::new();
        let today = settings.today(store.now());
        let (first, last) = preset(FUNNEL_DEFAULT_PERIOD, today).unwrap_or((month_start(today), month_end(today)));
        let from = parse_date(&mut invalid, "from", &self.from).unwrap_or(first);
        let to = parse_date(&mut invalid, "to", &self.to).unwrap_or(last);
        let target = match self.target.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => None,
            Some(t) => match Money::parse_strict(t) {
                Ok(m) if m.minor() < 0 => {
                    invalid.push(FieldError::new("target", "negative"));
                    None
                }
                Ok(m) => Some(m.minor()),
                Err(e) => {
                    invalid.push(e.field("target"));
                    None
                }
            },
        };
        let format = parse_format(&mut invalid, &self.format);
        let pipeline_id = match self.pipeline_id {
            Some(p) => Some(p),
            None => salesflow_store::pipelines::list_pipelines(store, actor, false).await?.first().map(|p| p.id),
        };
        if pipeline_id.is_none() {
            invalid.push(FieldError::new("pipeline_id", "required"));
        }
        if !invalid.is_empty() {
            return Err(StoreError::Invalid(invalid));
        }
        let params = FunnelParams {
            from,
            to,
            pipeline_id: pipeline_id.unwrap_or_default(),
            selection: Selection { owner_id: self.owner_id, department_id: self.department_id },
            target,
            idle_days: self.idle_days,
        };
        Ok((params, format))
    }
}

#[derive(Debug, Clone, Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct ForecastQuery {
    /// First expected close date, `YYYY-MM-DD`. Default: the first day of
    /// this month.
    pub from: Option<String>,
    /// Last expected close date (inclusive). Default: the end of the fifth
    /// month after this one (six months). At most three years.
    pub to: Option<String>,
    /// `month` (default) or `quarter` (calendar quarters; the fiscal-year
    /// start is not applied).
    pub group_by: Option<String>,
    /// Default: every pipeline.
    pub pipeline_id: Option<i64>,
    pub owner_id: Option<i64>,
    pub department_id: Option<i64>,
    /// `json` (default), `csv` or `xlsx`.
    pub format: Option<String>,
}

impl ForecastQuery {
    /// `now`: the store's clock (the default period is this month).
    pub fn params(&self, settings: &Settings, now: DateTime<Utc>) -> Result<(ForecastParams, Format), Invalid> {
        let mut invalid = Invalid::new();
        let today = settings.today(now);
        let from = parse_date(&mut invalid, "from", &self.from).unwrap_or_else(|| month_start(today));
        let to = parse_date(&mut invalid, "to", &self.to).unwrap_or_else(|| {
            month_end(month_start(today).checked_add_months(chrono::Months::new(5)).unwrap_or(today))
        });
        let group_by = match self.group_by.as_deref().map(str::trim).filter(|g| !g.is_empty()) {
            None => GroupBy::Month,
            Some(g) => GroupBy::parse(g).unwrap_or_else(|| {
                invalid.push(FieldError::new("group_by", "invalid_choice"));
                GroupBy::Month
            }),
        };
        let format = parse_format(&mut invalid, &self.format);
        invalid.into_result()?;
        let params = ForecastParams {
            from,
            to,
            group_by,
            pipeline_id: self.pipeline_id,
            selection: Selection { owner_id: self.owner_id, department_id: self.department_id },
        };
        Ok((params, format))
    }
}
