//! Reports and forecasts: funnel analysis and the weighted forecast.
//! Each is a `GET` with `from`, `to` and filters, answering JSON, or a
//! download with `?format=csv` (UTF-8 with BOM) or `?format=xlsx` (with a
//! native Excel chart).

use axum::extract::State;
use axum::response::Response;
use salesflow_domain::access::{Action, Module};
use salesflow_store::StoreError;
use salesflow_store::reports::{self, ForecastReport, FunnelReport};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiQuery, OrApi};
use crate::auth::ApiCaller;
use crate::error::{ApiResult, Problem};
use crate::export::reports::{download_forecast, download_funnel};
use crate::input::reports::{ForecastQuery, Format, FunnelQuery};
use crate::server::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(funnel_report)).routes(routes!(weighted_forecast))
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
    let report = reports::funnel(&state.store, &session.actor, &params).await.api(&meta)?;
    download_funnel(&report, format, &meta.locale, &settings).await.api(&meta)
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
    let (params, format) = q.params(&settings, state.store.now()).map_err(StoreError::Invalid).api(&meta)?;
    if format != Format::Json {
        session.actor.require(Module::Opportunities, Action::Export).api(&meta)?;
    }
    let report = reports::weighted_forecast(&state.store, &session.actor, &params).await.api(&meta)?;
    download_forecast(&report, format, &meta.locale, &settings).await.api(&meta)
}
