//! Reports and forecasts: funnel analysis and the weighted forecast.
//! Each is a `GET` with `from`, `to` and filters, answering JSON, or a
//! download with `?format=csv` (UTF-8 with BOM) or `?format=xlsx` (with a
//! native Excel chart).

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use salesflow_domain::access::{Action, Module};
use salesflow_domain::money::Money;
use salesflow_domain::pipelines::ForecastCategory;
use salesflow_domain::validation::FieldError;
use salesflow_domain::{Invalid, settings::Settings};
use salesflow_store::funnel::{self, ForecastParams, ForecastReport, FunnelParams, FunnelReport, GroupBy, Selection};
use salesflow_store::{Actor, Store, StoreError, StoreResult};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiQuery, OrApi};
use crate::auth::ApiCaller;
use crate::error::{ApiResult, Problem};
use crate::server::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(funnel_report)).routes(routes!(weighted_forecast))
}

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
        let today = settings.today();
        let from = parse_date(&mut invalid, "from", &self.from).unwrap_or_else(|| month_start(today));
        let to = parse_date(&mut invalid, "to", &self.to).unwrap_or_else(|| month_end(today));
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
    pub fn params(&self, settings: &Settings) -> Result<(ForecastParams, Format), Invalid> {
        let mut invalid = Invalid::new();
        let today = settings.today();
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

/// Funnel analysis of one pipeline for a period: per stage entered (count,
/// amount), currently in, conversion to a later stage, average and median
/// days; win rate, average deal, sales cycle, velocity, stalled deals and
/// coverage of the target; the same per salesperson with the stage where
/// each is furthest below the team (the bottleneck). Figures cover only
/// the caller's data scope.
#[utoipa::path(get, path = "/reports/funnel", tag = "reports", params(FunnelQuery),
    responses(
        (status = 200, description = "JSON; `format=csv`: UTF-8 with BOM; `format=xlsx`: with a native chart",
            content((FunnelReport = "application/json"), (String = "text/csv"),
                (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn funnel_report(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<FunnelQuery>,
) -> ApiResult<Response> {
    let settings = salesflow_store::settings::get(&state.store).await.api(&meta)?.settings;
    let (params, format) = q.params(&state.store, &session.actor, &settings).await.api(&meta)?;
    if format != Format::Json {
        session.actor.require(Module::Opportunities, Action::Export).api(&meta)?;
    }
    let report = funnel::funnel(&state.store, &session.actor, &params).await.api(&meta)?;
    download_funnel(&report, format, &meta.locale).await.api(&meta)
}

/// The weighted forecast: open opportunities by expected close month or
/// quarter, per person and for the team: count, amount and amount ×
/// probability, split into commit (≥ 75 %), best case (50–74 %) and
/// pipeline (< 50 %).
#[utoipa::path(get, path = "/forecasts/weighted", tag = "reports", params(ForecastQuery),
    responses(
        (status = 200, description = "JSON; `format=csv`: UTF-8 with BOM; `format=xlsx`: with a native chart",
            content((ForecastReport = "application/json"), (String = "text/csv"),
                (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn weighted_forecast(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<ForecastQuery>,
) -> ApiResult<Response> {
    let settings = salesflow_store::settings::get(&state.store).await.api(&meta)?.settings;
    let (params, format) = q.params(&settings).map_err(StoreError::Invalid).api(&meta)?;
    if format != Format::Json {
        session.actor.require(Module::Opportunities, Action::Export).api(&meta)?;
    }
    let report = funnel::weighted_forecast(&state.store, &session.actor, &params).await.api(&meta)?;
    download_forecast(&report, format, &meta.locale).await.api(&meta)
}

// ---------------------------------------------------------------- files

/// A cell of an exported table.
#[derive(Debug, Clone)]
pub enum Cell {
    Text(String),
    Number(f64),
    Empty,
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Number(n) => format!("{}", (n * 10_000.0).round() / 10_000.0),
            Cell::Empty => String::new(),
        }
    }
}

fn money_cell(decimal: &str) -> Cell {
    decimal.parse::<f64>().map(Cell::Number).unwrap_or_else(|_| Cell::Text(decimal.to_owned()))
}

fn opt_number(v: Option<f64>) -> Cell {
    v.map(|n| Cell::Number((n * 10.0).round() / 10.0)).unwrap_or(Cell::Empty)
}

/// A share as a percentage with one decimal.
fn percent(v: Option<f64>) -> Cell {
    v.map(|n| Cell::Number((n * 1000.0).round() / 10.0)).unwrap_or(Cell::Empty)
}

/// One sheet: a title, a header and rows; optionally a chart over columns.
pub struct Table {
    pub title: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    pub chart: Option<ChartSpec>,
}

pub struct ChartSpec {
    pub kind: rust_xlsxwriter::ChartType,
    pub title: String,
    /// Columns holding the series (the first column is the category).
    pub series: Vec<usize>,
}

/// The funnel's tables: stages (with the funnel chart), key figures,
/// people, stalled deals.
pub fn funnel_tables(r: &FunnelReport, locale: &str) -> Vec<Table> {
    let t = |k: &str| crate::i18n::t(locale, k);
    let name =
        |code: &str, zh: &str, en: &str| format!("{code} {}", salesflow_store::pipelines::localized(zh, en, locale));
    let stages = Table {
        title: t("reports.sheet_stages"),
        header: [
            "funnel.stage",
            "funnel.entered",
            "funnel.entered_amount",
            "funnel.converted",
            "funnel.conversion_pct",
            "funnel.current",
            "funnel.current_amount",
            "funnel.average_days",
            "funnel.median_days",
        ]
        .iter()
        .map(|k| t(k))
        .collect(),
        rows: r
            .stages
            .iter()
            .map(|s| {
                vec![
                    Cell::Text(name(&s.code, &s.name, &s.name_en)),
                    Cell::Number(s.entered as f64),
                    money_cell(&s.entered_amount),
                    Cell::Number(s.converted as f64),
                    percent(s.conversion),
                    Cell::Number(s.current as f64),
                    money_cell(&s.current_amount),
                    opt_number(s.average_days),
                    opt_number(s.median_days),
                ]
            })
            .collect(),
        chart: Some(ChartSpec {
            kind: rust_xlsxwriter::ChartType::Bar,
            title: t("funnel.chart_title"),
            series: vec![1],
        }),
    };
    let k = &r.team;
    let figure = |key: &str, v: Cell| vec![Cell::Text(t(key)), v];
    let key_figures = Table {
        title: t("reports.sheet_figures"),
        header: vec![t("reports.figure"), t("reports.value")],
        rows: vec![
            figure("reports.period", Cell::Text(format!("{} – {}", r.from, r.to))),
            figure(
                "funnel.pipeline",
                Cell::Text(
                    salesflow_store::pipelines::localized(&r.pipeline_name, &r.pipeline_name_en, locale).to_owned(),
                ),
            ),
            figure("funnel.entered", Cell::Number(k.entered as f64)),
            figure("funnel.won", Cell::Number(k.won as f64)),
            figure("funnel.lost", Cell::Number(k.lost as f64)),
            figure("funnel.won_amount", money_cell(&k.won_amount)),
            figure("funnel.win_rate_pct", percent(k.win_rate)),
            figure("funnel.average_deal", k.average_deal.as_deref().map(money_cell).unwrap_or(Cell::Empty)),
            figure("funnel.cycle_days", opt_number(k.cycle_days)),
            figure("funnel.open_deals", Cell::Number(k.open_deals as f64)),
            figure("funnel.open_amount", money_cell(&k.open_amount)),
            figure("funnel.velocity", k.velocity.as_deref().map(money_cell).unwrap_or(Cell::Empty)),
            figure("funnel.stalled", Cell::Number(k.stalled as f64)),
            figure("funnel.pipeline_in_period", money_cell(&r.coverage.pipeline_amount)),
            figure("funnel.target", r.coverage.target.as_deref().map(money_cell).unwrap_or(Cell::Empty)),
            figure("funnel.coverage", opt_number(r.coverage.ratio.map(|c| (c * 100.0).round() / 100.0))),
        ],
        chart: None,
    };
    let mut header: Vec<String> = [
        "funnel.person",
        "funnel.entered",
        "funnel.won",
        "funnel.lost",
        "funnel.win_rate_pct",
        "funnel.average_deal",
        "funnel.cycle_days",
        "funnel.stalled",
        "funnel.bottleneck",
    ]
    .iter()
    .map(|k| t(k))
    .collect();
    header.extend(r.stages.iter().map(|s| format!("{} {}", s.code, t("funnel.conversion_pct"))));
    let mut people_rows: Vec<Vec<Cell>> = Vec::new();
    let team_row = {
        let mut row = vec![
            Cell::Text(t("funnel.team")),
            Cell::Number(k.entered as f64),
            Cell::Number(k.won as f64),
            Cell::Number(k.lost as f64),
            percent(k.win_rate),
            k.average_deal.as_deref().map(money_cell).unwrap_or(Cell::Empty),
            opt_number(k.cycle_days),
            Cell::Number(k.stalled as f64),
            Cell::Empty,
        ];
        row.extend(r.stages.iter().map(|s| percent(s.conversion)));
        row
    };
    people_rows.push(team_row);
    for p in &r.people {
        let f = &p.figures;
        let mut row = vec![
            Cell::Text(p.owner_name.clone()),
            Cell::Number(f.entered as f64),
            Cell::Number(f.won as f64),
            Cell::Number(f.lost as f64),
            percent(f.win_rate),
            f.average_deal.as_deref().map(money_cell).unwrap_or(Cell::Empty),
            opt_number(f.cycle_days),
            Cell::Number(f.stalled as f64),
            p.bottleneck.as_ref().map(|b| Cell::Text(b.stage_code.clone())).unwrap_or(Cell::Empty),
        ];
        row.extend(p.stages.iter().map(|s| percent(s.conversion)));
        people_rows.push(row);
    }
    let people = Table { title: t("reports.sheet_people"), header, rows: people_rows, chart: None };
    let stalled = Table {
        title: t("reports.sheet_stalled"),
        header: [
            "funnel.deal",
            "funnel.person",
            "funnel.stage",
            "funnel.amount",
            "funnel.days_in_stage",
            "funnel.days_idle",
        ]
        .iter()
        .map(|k| t(k))
        .collect(),
        rows: r
            .stalled
            .iter()
            .map(|s| {
                vec![
                    Cell::Text(s.name.clone()),
                    Cell::Text(s.owner_name.clone()),
                    Cell::Text(s.stage_code.clone()),
                    money_cell(&s.amount),
                    Cell::Number(s.days_in_stage as f64),
                    Cell::Number(s.days_idle as f64),
                ]
            })
            .collect(),
        chart: None,
    };
    vec![stages, key_figures, people, stalled]
}

/// The forecast's tables: per period (with the stacked chart), per person.
pub fn forecast_tables(r: &ForecastReport, locale: &str) -> Vec<Table> {
    let t = |k: &str| crate::i18n::t(locale, k);
    let categories = ForecastCategory::ALL;
    let mut header = vec![t("forecast.period")];
    header.extend(categories.iter().map(|c| t(&format!("forecast.categories.{}", c.code()))));
    header.extend(["forecast.total", "forecast.weighted", "forecast.count"].iter().map(|k| t(k)));
    let row_of = |label: String, f: &funnel::ForecastFigures| {
        let mut row = vec![Cell::Text(label)];
        row.extend(categories.iter().map(|c| money_cell(&f.category(*c).amount)));
        row.push(money_cell(&f.total.amount));
        row.push(money_cell(&f.total.weighted));
        row.push(Cell::Number(f.total.count as f64));
        row
    };
    let mut rows: Vec<Vec<Cell>> = r.periods.iter().map(|p| row_of(p.key.clone(), &p.figures)).collect();
    rows.push(row_of(t("forecast.total"), &r.total));
    let periods = Table {
        title: t("reports.sheet_periods"),
        header,
        rows,
        chart: Some(ChartSpec {
            kind: rust_xlsxwriter::ChartType::ColumnStacked,
            title: t("forecast.chart_title"),
            series: vec![1, 2, 3],
        }),
    };
    let mut header = vec![t("funnel.person")];
    for p in &r.periods {
        header.push(format!("{} {}", p.key, t("forecast.total")));
        header.push(format!("{} {}", p.key, t("forecast.weighted")));
    }
    header.extend(categories.iter().map(|c| t(&format!("forecast.categories.{}", c.code()))));
    header.extend(["forecast.total", "forecast.weighted"].iter().map(|k| t(k)));
    let people = Table {
        title: t("reports.sheet_people"),
        header,
        rows: r
            .people
            .iter()
            .map(|p| {
                let mut row = vec![Cell::Text(p.owner_name.clone())];
                for f in &p.periods {
                    row.push(money_cell(&f.total.amount));
                    row.push(money_cell(&f.total.weighted));
                }
                row.extend(categories.iter().map(|c| money_cell(&p.total.category(*c).amount)));
                row.push(money_cell(&p.total.total.amount));
                row.push(money_cell(&p.total.total.weighted));
                row
            })
            .collect(),
        chart: None,
    };
    vec![periods, people]
}

/// The tables as one CSV: UTF-8 with a byte-order mark, one block per
/// table, a blank line between.
pub fn csv_bytes(tables: &[Table]) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new().flexible(true).from_writer(b"\xEF\xBB\xBF".to_vec());
    for (i, table) in tables.iter().enumerate() {
        if i > 0 {
            let _ = writer.write_record([""]);
        }
        // Names in titles and rows are user text: neutralise formulas.
        let safe = salesflow_domain::cells::csv_safe;
        let _ = writer.write_record([safe(&table.title).as_ref()]);
        let _ = writer.write_record(table.header.iter().map(|h| safe(h).into_owned()));
        for row in &table.rows {
            let _ = writer.write_record(row.iter().map(|c| safe(&c.text()).into_owned()));
        }
    }
    writer.into_inner().unwrap_or_default()
}

/// The tables as a workbook, one sheet each, charts as native Excel charts.
pub fn xlsx_bytes(tables: &[Table]) -> StoreResult<Vec<u8>> {
    use rust_xlsxwriter::{Chart, Format as XFormat, Workbook};
    let failed = |e: rust_xlsxwriter::XlsxError| StoreError::Internal(format!("excel export: {e}"));
    let mut workbook = Workbook::new();
    let bold = XFormat::new().set_bold();
    for table in tables {
        let sheet = workbook.add_worksheet();
        // Sheet names: at most 31 characters, none of []:*?/\.
        let name: String = table.title.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect::<String>();
        sheet.set_name(&name).map_err(failed)?;
        sheet.write_row_with_format(0, 0, &table.header, &bold).map_err(failed)?;
        for (r, row) in table.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Text(t) => {
                        sheet.write_string(r, c, t).map_err(failed)?;
                    }
                    Cell::Number(n) => {
                        sheet.write_number(r, c, *n).map_err(failed)?;
                    }
                    Cell::Empty => {}
                }
            }
        }
        sheet.set_column_width(0, 24).map_err(failed)?;
        if let Some(spec) = &table.chart
            && !table.rows.is_empty()
        {
            let mut chart = Chart::new(spec.kind);
            chart.title().set_name(&spec.title);
            let last = table.rows.len() as u32;
            // The forecast's last row is the total: left out of the chart.
            let last = if spec.kind == rust_xlsxwriter::ChartType::ColumnStacked { last - 1 } else { last };
            for col in &spec.series {
                let col = *col as u16;
                chart
                    .add_series()
                    .set_name((name.as_str(), 0, col))
                    .set_categories((name.as_str(), 1, 0, last.max(1), 0))
                    .set_values((name.as_str(), 1, col, last.max(1), col));
            }
            if spec.kind == rust_xlsxwriter::ChartType::Bar {
                // First stage on top, like a funnel.
                chart.x_axis().set_reverse();
            }
            sheet.insert_chart(1, table.header.len() as u16 + 1, &chart).map_err(failed)?;
        }
    }
    workbook.save_to_buffer().map_err(failed)
}

async fn file_response(tables: Vec<Table>, format: Format, stem: &str) -> StoreResult<Response> {
    let (content_type, body, extension) = match format {
        Format::Csv => ("text/csv; charset=utf-8", csv_bytes(&tables), "csv"),
        _ => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            tokio::task::spawn_blocking(move || xlsx_bytes(&tables))
                .await
                .map_err(|e| StoreError::Internal(format!("excel export: {e}")))??,
            "xlsx",
        ),
    };
    let disposition = format!("attachment; filename=\"{stem}-{}.{extension}\"", chrono::Utc::now().format("%Y%m%d"));
    Ok(([(header::CONTENT_TYPE, content_type.to_owned()), (header::CONTENT_DISPOSITION, disposition)], body)
        .into_response())
}

pub async fn download_funnel(report: &FunnelReport, format: Format, locale: &str) -> StoreResult<Response> {
    match format {
        Format::Json => Ok(Json(report).into_response()),
        _ => file_response(funnel_tables(report, locale), format, "funnel").await,
    }
}

pub async fn download_forecast(report: &ForecastReport, format: Format, locale: &str) -> StoreResult<Response> {
    match format {
        Format::Json => Ok(Json(report).into_response()),
        _ => file_response(forecast_tables(report, locale), format, "forecast").await,
    }
}
