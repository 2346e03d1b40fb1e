//! Report pages: funnel analysis (漏斗分析) with the seed's three questions
//! answered in words, and the weighted forecast (加权预测). Charts are
//! drawn by ECharts from a JSON block (no inline script: CSP).

use askama::Template;
use axum::Router;
use axum::extract::Query;
use axum::routing::get;
use chrono::{Datelike, Months, NaiveDate};
use salesflow_domain::access::{Action, Module};
use salesflow_domain::money::Money;
use salesflow_domain::pipelines::ForecastCategory;
use salesflow_store::StoreError;
use salesflow_store::pipelines::{PipelineView, localized};
use salesflow_store::reports::{self, ForecastFigures, ForecastReport, FunnelReport};
use serde::Deserialize;

use super::page::Page;
use super::{FormErrors, PageCtx, opt_id, render};
use crate::error::page::PageResult;
use crate::export::reports::{download_forecast, download_funnel};
use crate::input::reports::{FUNNEL_DEFAULT_PERIOD, ForecastQuery, Format, FunnelQuery, PRESETS, preset};
use crate::server::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/reports/funnel", get(funnel_page)).route("/reports/forecast", get(forecast_page))
}

/// Coverage from which the pipeline counts as enough (3× the target).
const HEALTHY_COVERAGE: f64 = 3.0;

/// A select's value: "" is none; anything not a number is none too.
fn id(value: &Option<String>) -> Option<i64> {
    value.as_deref().and_then(|v| opt_id(v).ok().flatten())
}

fn blank(value: &Option<String>) -> Option<String> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
}

/// JSON for a `<script type="application/json">` block: `<` escaped so
/// the text cannot close the element.
fn script_json(value: &serde_json::Value) -> String {
    value.to_string().replace('<', "\\u003c")
}

#[derive(Debug, Deserialize, Default, Clone)]
struct Filters {
    preset: Option<String>,
    from: Option<String>,
    to: Option<String>,
    pipeline_id: Option<String>,
    owner_id: Option<String>,
    department_id: Option<String>,
    target: Option<String>,
    idle_days: Option<String>,
    group_by: Option<String>,
    format: Option<String>,
}

impl Filters {
    /// A preset fills the dates (this month when nothing is chosen).
    fn dates(&self, today: NaiveDate, default_preset: &str) -> (Option<String>, Option<String>) {
        let chosen = blank(&self.preset);
        if chosen.is_none() && (blank(&self.from).is_some() || blank(&self.to).is_some()) {
            return (blank(&self.from), blank(&self.to));
        }
        let code = chosen.unwrap_or_else(|| default_preset.to_owned());
        match preset(&code, today) {
            Some((f, t)) => (Some(f.to_string()), Some(t.to_string())),
            None => (blank(&self.from), blank(&self.to)),
        }
    }

    fn is(&self, value: &Option<String>, option: &str) -> bool {
        value.as_deref().unwrap_or("") == option
    }

    fn is_id(&self, value: &Option<String>, option: &i64) -> bool {
        id(value) == Some(*option)
    }

    fn query_with(&self, from: &str, to: &str, format: &str) -> String {
        super::query_string([
            ("from", Some(from)),
            ("to", Some(to)),
            ("pipeline_id", self.pipeline_id.as_deref()),
            ("owner_id", self.owner_id.as_deref()),
            ("department_id", self.department_id.as_deref()),
            ("target", self.target.as_deref()),
            ("idle_days", self.idle_days.as_deref()),
            ("group_by", self.group_by.as_deref()),
            ("format", Some(format)),
        ])
    }
}

/// Who may be chosen: people in scope, and teams when the caller may see
/// departments.
async fn choices(state: &AppState, actor: &salesflow_store::Actor) -> (Vec<(i64, String)>, Vec<(i64, String)>) {
    let people = salesflow_store::access::people_in_scope(&state.store, actor).await.unwrap_or_default();
    let teams = salesflow_store::access::list_departments(&state.store, actor)
        .await
        .map(|ds| ds.into_iter().map(|d| (d.id, d.name)).collect())
        .unwrap_or_default();
    (people, teams)
}

/// Sentences answering the seed's three questions.
pub struct Answers {
    pub coverage: String,
    pub coverage_ok: bool,
    pub moving: String,
    pub bottleneck: String,
}

#[derive(Template)]
#[template(path = "reports/funnel.html")]
struct FunnelPage {
    ctx: PageCtx,
    filters: Filters,
    from: String,
    to: String,
    report: Option<FunnelReport>,
    answers: Option<Answers>,
    chart: String,
    pipelines: Vec<PipelineView>,
    people: Vec<(i64, String)>,
    teams: Vec<(i64, String)>,
    errors: FormErrors,
    can_export: bool,
    presets: [&'static str; 4],
}

impl FunnelPage {
    fn money(&self, decimal: &str) -> String {
        // HTML (`|safe`): short with the exact amount on hover when the setting asks.
        self.ctx.money(decimal, "")
    }

    fn opt_money(&self, decimal: &Option<String>) -> String {
        decimal.as_deref().map(|d| self.money(d)).unwrap_or_else(|| "—".to_owned())
    }

    fn pct(&self, v: &Option<f64>) -> String {
        v.map(|x| format!("{:.1}%", x * 100.0)).unwrap_or_else(|| "—".to_owned())
    }

    fn days(&self, v: &Option<f64>) -> String {
        v.map(|x| format!("{x:.1}")).unwrap_or_else(|| "—".to_owned())
    }

    fn stage_label(&self, code: &str, name: &str, name_en: &str) -> String {
        format!("{code} {}", localized(name, name_en, &self.ctx.locale))
    }

    fn is_bottleneck(&self, person: &reports::PersonFigures, stage_id: &i64) -> bool {
        person.bottleneck.as_ref().is_some_and(|b| b.stage_id == *stage_id)
    }

    fn export_link(&self, format: &str) -> String {
        format!("/reports/funnel?{}", self.filters.query_with(&self.from, &self.to, format))
    }

    fn pipeline_label(&self, p: &PipelineView) -> String {
        p.label(&self.ctx.locale).to_owned()
    }

    fn all_errors(&self) -> Vec<String> {
        self.errors.others(&[])
    }

    fn times(&self, ratio: &f64) -> String {
        format!("{ratio:.1}×")
    }

    fn share(&self, v: &f64) -> String {
        format!("{:.1}%", v * 100.0)
    }

    fn more_stalled(&self, r: &FunnelReport) -> bool {
        r.team.stalled > r.stalled.len() as i64
    }
}

fn funnel_answers(ctx: &PageCtx, r: &FunnelReport) -> Answers {
    let t = |k: &str| ctx.t(k);
    let money = |d: &str| {
        Money::parse(d).map(|m| ctx.settings.format_money_for(m, &ctx.locale)).unwrap_or_else(|_| d.to_owned())
    };
    let (coverage, coverage_ok) = match (&r.coverage.target, r.coverage.ratio) {
        (Some(target), Some(ratio)) => {
            let key = if ratio >= HEALTHY_COVERAGE {
                "funnel.answer_coverage_enough"
            } else if ratio >= 1.0 {
                "funnel.answer_coverage_thin"
            } else {
                "funnel.answer_coverage_short"
            };
            let text = t(key)
                .replace("%{pipeline}", &money(&r.coverage.pipeline_amount))
                .replace("%{target}", &money(target))
                .replace("%{ratio}", &format!("{ratio:.1}"))
                .replace("%{healthy}", &format!("{HEALTHY_COVERAGE:.0}"));
            (text, ratio >= HEALTHY_COVERAGE)
        }
        _ => (t("funnel.answer_coverage_no_target").replace("%{pipeline}", &money(&r.coverage.pipeline_amount)), true),
    };
    // The slowest stage: average days furthest over the expected days.
    let slowest = r
        .stages
        .iter()
        .filter_map(|s| Some((s, s.average_days? / f64::from(s.expected_days.filter(|e| *e > 0)?))))
        .max_by(|a, b| a.1.total_cmp(&b.1));
    let mut moving = t("funnel.answer_stalled")
        .replace("%{stalled}", &r.team.stalled.to_string())
        .replace("%{open}", &r.team.open_deals.to_string());
    if let Some((s, _)) = slowest {
        moving.push(' ');
        moving.push_str(
            &t("funnel.answer_slowest")
                .replace("%{stage}", &format!("{} {}", s.code, localized(&s.name, &s.name_en, &ctx.locale)))
                .replace("%{days}", &format!("{:.1}", s.average_days.unwrap_or_default()))
                .replace("%{expected}", &s.expected_days.unwrap_or_default().to_string()),
        );
    }
    let worst =
        r.people.iter().filter_map(|p| Some((p, p.bottleneck.as_ref()?))).max_by(|a, b| a.1.gap.total_cmp(&b.1.gap));
    let bottleneck = match worst {
        Some((p, b)) => {
            let stage = r.stages.iter().find(|s| s.stage_id == b.stage_id);
            t("funnel.answer_bottleneck")
                .replace("%{person}", &p.owner_name)
                .replace(
                    "%{stage}",
                    &stage
                        .map(|s| format!("{} {}", s.code, localized(&s.name, &s.name_en, &ctx.locale)))
                        .unwrap_or_default(),
                )
                .replace("%{rate}", &format!("{:.1}%", b.conversion * 100.0))
                .replace("%{team}", &format!("{:.1}%", b.team_conversion * 100.0))
        }
        None => t("funnel.answer_no_bottleneck"),
    };
    Answers { coverage, coverage_ok, moving, bottleneck }
}

async fn funnel_page(request: Page, Query(filters): Query<Filters>) -> PageResult {
    let actor = request.actor();
    if !actor.can(Module::Opportunities, Action::View) {
        return Err(StoreError::Forbidden.into());
    }
    let ctx = request.ctx("/reports/funnel").await;
    let mut filters = filters;
    if blank(&filters.preset).is_none() && blank(&filters.from).is_none() && blank(&filters.to).is_none() {
        // Nothing chosen: the default period, named in the period box.
        filters.preset = Some(FUNNEL_DEFAULT_PERIOD.to_owned());
    }
    let (from, to) = filters.dates(ctx.settings.today(ctx.now), FUNNEL_DEFAULT_PERIOD);
    let idle_days = match blank(&filters.idle_days).map(|d| d.parse::<i64>()) {
        Some(Ok(d)) => Some(d),
        Some(Err(_)) => Some(0),
        None => None,
    };
    let query = FunnelQuery {
        from: from.clone(),
        to: to.clone(),
        pipeline_id: id(&filters.pipeline_id),
        owner_id: id(&filters.owner_id),
        department_id: id(&filters.department_id),
        // Typed as on every page's money field (`100万`), passed on as
        // the API's plain decimal; what cannot be read is passed as typed
        // and refused there.
        target: blank(&filters.target).map(|t| Money::parse_lenient(&t).map(|m| m.to_string()).unwrap_or(t)),
        idle_days,
        format: blank(&filters.format),
    };
    let result = match query.params(request.store(), actor, &ctx.settings).await {
        Ok((params, format)) => reports::funnel(request.store(), actor, &params).await.map(|r| (r, format)),
        Err(e) => Err(e),
    };
    let (report, errors) = match result {
        Ok((report, format)) if format != Format::Json => {
            actor.require(Module::Opportunities, Action::Export)?;
            return Ok(download_funnel(&report, format, request.locale(), &ctx.settings).await?);
        }
        Ok((report, _)) => (Some(report), FormErrors::default()),
        Err(StoreError::Invalid(invalid)) => (None, FormErrors::from_invalid(request.locale(), &invalid)),
        Err(e) => return Err(e.into()),
    };
    let chart = report
        .as_ref()
        .map(|r| {
            script_json(&serde_json::json!({
                "title": ctx.t("funnel.chart_title"),
                "entered": ctx.t("funnel.entered"),
                "conversion": ctx.t("funnel.conversion"),
                "stages": r.stages.iter().filter(|s| !s.retired || s.entered > 0).map(|s| serde_json::json!({
                    "name": format!("{} {}", s.code, localized(&s.name, &s.name_en, &ctx.locale)),
                    "value": s.entered,
                    "conversion": s.conversion,
                })).collect::<Vec<_>>(),
            }))
        })
        .unwrap_or_default();
    let answers = report.as_ref().map(|r| funnel_answers(&ctx, r));
    let pipelines = salesflow_store::pipelines::list_pipelines(request.store(), actor, false).await.unwrap_or_default();
    let (people, teams) = choices(&request.state, actor).await;
    let page = FunnelPage {
        can_export: actor.can(Module::Opportunities, Action::Export),
        from: from.unwrap_or_default(),
        to: to.unwrap_or_default(),
        ctx,
        filters,
        report,
        answers,
        chart,
        pipelines,
        people,
        teams,
        errors,
        presets: PRESETS,
    };
    Ok(render(&page.ctx, &page))
}

// ---------------------------------------------------------------- forecast

#[derive(Template)]
#[template(path = "reports/forecast.html")]
struct ForecastPage {
    ctx: PageCtx,
    filters: Filters,
    from: String,
    to: String,
    report: Option<ForecastReport>,
    chart: String,
    pipelines: Vec<PipelineView>,
    people: Vec<(i64, String)>,
    teams: Vec<(i64, String)>,
    errors: FormErrors,
    can_export: bool,
    categories: [ForecastCategory; 3],
    presets: [&'static str; 4],
}

impl ForecastPage {
    fn money(&self, decimal: &str) -> String {
        // HTML (`|safe`): short with the exact amount on hover when the setting asks.
        self.ctx.money(decimal, "")
    }

    fn cat<'a>(&self, f: &'a ForecastFigures, c: &ForecastCategory) -> &'a reports::CategoryFigures {
        f.category(*c)
    }

    fn export_link(&self, format: &str) -> String {
        format!("/reports/forecast?{}", self.filters.query_with(&self.from, &self.to, format))
    }

    fn pipeline_label(&self, p: &PipelineView) -> String {
        p.label(&self.ctx.locale).to_owned()
    }

    fn all_errors(&self) -> Vec<String> {
        self.errors.others(&[])
    }
}

async fn forecast_page(request: Page, Query(filters): Query<Filters>) -> PageResult {
    let actor = request.actor();
    if !actor.can(Module::Opportunities, Action::View) {
        return Err(StoreError::Forbidden.into());
    }
    let ctx = request.ctx("/reports/forecast").await;
    let today = ctx.settings.today(ctx.now);
    let (from, to) =
        if blank(&filters.from).is_none() && blank(&filters.to).is_none() && blank(&filters.preset).is_none() {
            let start = today.with_day(1).unwrap_or(today);
            let end = start.checked_add_months(Months::new(6)).and_then(|d| d.pred_opt()).unwrap_or(today);
            (Some(start.to_string()), Some(end.to_string()))
        } else {
            filters.dates(today, "this_quarter")
        };
    let query = ForecastQuery {
        from: from.clone(),
        to: to.clone(),
        group_by: blank(&filters.group_by),
        pipeline_id: id(&filters.pipeline_id),
        owner_id: id(&filters.owner_id),
        department_id: id(&filters.department_id),
        format: blank(&filters.format),
    };
    let result = match query.params(&ctx.settings, ctx.now) {
        Ok((params, format)) => reports::weighted_forecast(request.store(), actor, &params).await.map(|r| (r, format)),
        Err(invalid) => Err(StoreError::Invalid(invalid)),
    };
    let (report, errors) = match result {
        Ok((report, format)) if format != Format::Json => {
            actor.require(Module::Opportunities, Action::Export)?;
            return Ok(download_forecast(&report, format, request.locale(), &ctx.settings).await?);
        }
        Ok((report, _)) => (Some(report), FormErrors::default()),
        Err(StoreError::Invalid(invalid)) => (None, FormErrors::from_invalid(request.locale(), &invalid)),
        Err(e) => return Err(e.into()),
    };
    let chart = report
        .as_ref()
        .map(|r| {
            let series: Vec<serde_json::Value> = ForecastCategory::ALL
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "name": ctx.t(&format!("forecast.categories.{}", c.code())),
                        "values": r.periods.iter().map(|p| p.figures.category(*c).amount_minor() as f64 / 100.0).collect::<Vec<_>>(),
                    })
                })
                .collect();
            script_json(&serde_json::json!({
                "title": ctx.t("forecast.chart_title"),
                "unit": ctx.settings.currency_symbol,
                "periods": r.periods.iter().map(|p| p.key.clone()).collect::<Vec<_>>(),
                "series": series,
            }))
        })
        .unwrap_or_default();
    let pipelines = salesflow_store::pipelines::list_pipelines(request.store(), actor, false).await.unwrap_or_default();
    let (people, teams) = choices(&request.state, actor).await;
    let page = ForecastPage {
        can_export: actor.can(Module::Opportunities, Action::Export),
        from: from.unwrap_or_default(),
        to: to.unwrap_or_default(),
        ctx,
        filters,
        report,
        chart,
        pipelines,
        people,
        teams,
        errors,
        categories: ForecastCategory::ALL,
        presets: PRESETS,
    };
    Ok(render(&page.ctx, &page))
}
