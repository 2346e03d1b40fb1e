//! The reports as files: each report is a few tables, written as one CSV
//! (UTF-8 with BOM) or as a workbook with native Excel charts.

use axum::Json;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use salesflow_domain::pipelines::ForecastCategory;
use salesflow_domain::settings::Settings;
use salesflow_store::reports::{self, ForecastReport, FunnelReport};
use salesflow_store::{StoreError, StoreResult};

use crate::input::reports::Format;

use super::sheet::{Cell, Formats, SheetWriter, Style};

fn money_cell(decimal: &str) -> Cell {
    Cell::Money(decimal.to_owned())
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
                    Cell::Int(s.entered),
                    money_cell(&s.entered_amount),
                    Cell::Int(s.converted),
                    percent(s.conversion),
                    Cell::Int(s.current),
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
            figure("reports.from", Cell::Date(r.from)),
            figure("reports.to", Cell::Date(r.to)),
            figure(
                "funnel.pipeline",
                Cell::Text(
                    salesflow_store::pipelines::localized(&r.pipeline_name, &r.pipeline_name_en, locale).to_owned(),
                ),
            ),
            figure("funnel.entered", Cell::Int(k.entered)),
            figure("funnel.won", Cell::Int(k.won)),
            figure("funnel.lost", Cell::Int(k.lost)),
            figure("funnel.won_amount", money_cell(&k.won_amount)),
            figure("funnel.win_rate_pct", percent(k.win_rate)),
            figure("funnel.average_deal", k.average_deal.as_deref().map(money_cell).unwrap_or(Cell::Empty)),
            figure("funnel.cycle_days", opt_number(k.cycle_days)),
            figure("funnel.open_deals", Cell::Int(k.open_deals)),
            figure("funnel.open_amount", money_cell(&k.open_amount)),
            figure("funnel.velocity", k.velocity.as_deref().map(money_cell).unwrap_or(Cell::Empty)),
            figure("funnel.stalled", Cell::Int(k.stalled)),
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
            Cell::Int(k.entered),
            Cell::Int(k.won),
            Cell::Int(k.lost),
            percent(k.win_rate),
            k.average_deal.as_deref().map(money_cell).unwrap_or(Cell::Empty),
            opt_number(k.cycle_days),
            Cell::Int(k.stalled),
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
            Cell::Int(f.entered),
            Cell::Int(f.won),
            Cell::Int(f.lost),
            percent(f.win_rate),
            f.average_deal.as_deref().map(money_cell).unwrap_or(Cell::Empty),
            opt_number(f.cycle_days),
            Cell::Int(f.stalled),
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
                    Cell::Int(s.days_in_stage),
                    Cell::Int(s.days_idle),
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
    header.extend(["forecast.total", "forecast.weighted", "forecast.count", "forecast.won"].iter().map(|k| t(k)));
    let row_of = |label: String, f: &reports::ForecastFigures| {
        let mut row = vec![Cell::Text(label)];
        row.extend(categories.iter().map(|c| money_cell(&f.category(*c).amount)));
        row.push(money_cell(&f.total.amount));
        row.push(money_cell(&f.total.weighted));
        row.push(Cell::Int(f.total.count));
        row.push(money_cell(&f.won.amount));
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
    header.extend(["forecast.total", "forecast.weighted", "forecast.won"].iter().map(|k| t(k)));
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
                row.push(money_cell(&p.total.won.amount));
                row
            })
            .collect(),
        chart: None,
    };
    vec![periods, people]
}

/// The tables as one CSV: UTF-8 with a byte-order mark, one block per
/// table, a blank line between.
pub fn csv_bytes(tables: &[Table], style: &Style) -> Vec<u8> {
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
            let _ = writer.write_record(row.iter().map(|c| safe(&style.csv(c)).into_owned()));
        }
    }
    writer.into_inner().unwrap_or_default()
}

/// The tables as a workbook, one named sheet each (typed cells, filtered
/// and frozen header, fitted widths: the one sheet writer), charts as
/// native Excel charts.
pub fn xlsx_bytes(tables: &[Table], style: &Style) -> StoreResult<Vec<u8>> {
    use rust_xlsxwriter::{Chart, Workbook};
    let failed = |e: rust_xlsxwriter::XlsxError| StoreError::Internal(format!("excel export: {e}"));
    let mut workbook = Workbook::new();
    let formats = Formats::new(style);
    for table in tables {
        let sheet = workbook.add_worksheet();
        let mut writer =
            SheetWriter::begin(sheet, &formats, style, &table.title, &table.header, &table.rows).map_err(failed)?;
        for row in &table.rows {
            writer.write(sheet, row).map_err(failed)?;
        }
        writer.finish(sheet).map_err(failed)?;
        let name = sheet.name();
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

async fn file_response(tables: Vec<Table>, format: Format, stem: &str, style: Style) -> StoreResult<Response> {
    let (content_type, body, extension) = match format {
        Format::Csv => ("text/csv; charset=utf-8", csv_bytes(&tables, &style), "csv"),
        _ => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            tokio::task::spawn_blocking(move || xlsx_bytes(&tables, &style))
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

pub async fn download_funnel(
    report: &FunnelReport,
    format: Format,
    locale: &str,
    settings: &Settings,
) -> StoreResult<Response> {
    match format {
        Format::Json => Ok(Json(report).into_response()),
        _ => {
            let style = Style::new(settings.clone(), locale);
            file_response(funnel_tables(report, locale), format, "funnel", style).await
        }
    }
}

pub async fn download_forecast(
    report: &ForecastReport,
    format: Format,
    locale: &str,
    settings: &Settings,
) -> StoreResult<Response> {
    match format {
        Format::Json => Ok(Json(report).into_response()),
        _ => {
            let style = Style::new(settings.clone(), locale);
            file_response(forecast_tables(report, locale), format, "forecast", style).await
        }
    }
}
