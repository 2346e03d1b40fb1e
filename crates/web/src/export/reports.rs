//! The reports as files: each report is a few tables, written as one CSV
//! (UTF-8 with BOM) or as a workbook with native Excel charts.

use axum::Json;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use salesflow_domain::pipelines::ForecastCategory;
use salesflow_store::reports::{self, ForecastReport, FunnelReport};
use salesflow_store::{StoreError, StoreResult};

use crate::input::reports::Format;

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
    let row_of = |label: String, f: &reports::ForecastFigures| {
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
    // The machine's date in a download's file name, not business time.
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
