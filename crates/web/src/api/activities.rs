//! Visits and contact records; the caller's reminders.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use salesflow_domain::Invalid;
use salesflow_store::activities::{self, ActivityFilter, ActivityInput, ActivityView};
use salesflow_store::notifications::{self, Notice};
use salesflow_store::settings;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, ApiQuery, OrApi, Page, PageParams};
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::export::{self, Format};
use crate::input::dates::{day_bound, follow_up};
use crate::server::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_activities, create_activity))
        .routes(routes!(export_activities_csv))
        .routes(routes!(export_activities_xlsx))
        .routes(routes!(list_notifications))
        .routes(routes!(read_notification))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityQuery {
    /// One customer's timeline (404 when outside the caller's scope).
    pub customer_id: Option<i64>,
    /// Part of the customer's name.
    pub q: Option<String>,
    /// `call|visit|meeting|email|note`.
    #[serde(default, deserialize_with = "super::body::filters::activity_kind")]
    pub kind: Option<String>,
    /// Who recorded it.
    pub owner_id: Option<i64>,
    /// `high|medium|low`.
    #[serde(default, deserialize_with = "super::body::filters::intention")]
    pub intention: Option<String>,
    /// From this day (`YYYY-MM-DD`, company time) on.
    pub from: Option<String>,
    /// Up to and including this day.
    pub to: Option<String>,
    /// `true`: only records with a follow-up date.
    pub follow_up: Option<bool>,
    /// `true`: only follow-up dates of the last 30 days, before today,
    /// with nothing recorded on the customer since (overdue follow-ups).
    pub unanswered: Option<bool>,
    /// Only records on the customers of this owner.
    pub customer_owner_id: Option<i64>,
    /// `true`: customers that closed a deal; `false`: prospects.
    pub closed: Option<bool>,
}

impl ActivityQuery {
    pub fn filter(&self, settings: &salesflow_domain::settings::Settings) -> Result<ActivityFilter, Invalid> {
        Ok(ActivityFilter {
            q: self.q.clone(),
            customer_id: self.customer_id,
            kind: self.kind.clone(),
            owner_id: self.owner_id,
            intention: self.intention.clone(),
            from: day_bound(settings, "from", self.from.as_deref(), false)?,
            to: day_bound(settings, "to", self.to.as_deref(), true)?,
            follow_up: self.follow_up.unwrap_or(false),
            unanswered: self.unanswered.unwrap_or(false),
            customer_owner_id: self.customer_owner_id,
            closed: self.closed,
        })
    }
}

/// Visits and contact records of the customers in the caller's scope,
/// newest first; with `customer_id`, one customer's timeline.
#[utoipa::path(get, path = "/activities", tag = "customers", params(ActivityQuery, PageParams),
    responses((status = 200, body = Page<ActivityView>), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn list_activities(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<ActivityQuery>,
    ApiQuery(paging): ApiQuery<PageParams>,
) -> ApiResult<Json<Page<ActivityView>>> {
    let company = settings::get(&state.store).await.api(&meta)?.settings;
    let filter = q.filter(&company).map_err(|e| ApiError::invalid(e).in_locale(&meta.locale))?;
    let page = activities::list_activities(&state.store, &session.actor, &filter, &paging.page()).await.api(&meta)?;
    Ok(Json(page.into()))
}

/// The filtered list as CSV (UTF-8 with BOM, streamed; needs the export right).
#[utoipa::path(get, path = "/activities/export.csv", tag = "customers", params(ActivityQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = Problem)))]
async fn export_activities_csv(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<ActivityQuery>,
) -> ApiResult<axum::response::Response> {
    export_activities(state, session, meta, q, Format::Csv).await
}

/// The filtered list as an Excel workbook (needs the export right).
#[utoipa::path(get, path = "/activities/export.xlsx", tag = "customers", params(ActivityQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    body = Vec<u8>), (status = 403, body = Problem)))]
async fn export_activities_xlsx(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<ActivityQuery>,
) -> ApiResult<axum::response::Response> {
    export_activities(state, session, meta, q, Format::Xlsx).await
}

async fn export_activities(
    state: AppState,
    session: crate::auth::Session,
    meta: crate::auth::RequestMeta,
    q: ActivityQuery,
    format: Format,
) -> ApiResult<axum::response::Response> {
    let company = settings::get(&state.store).await.api(&meta)?.settings;
    let filter = q.filter(&company).map_err(|e| ApiError::invalid(e).in_locale(&meta.locale))?;
    let t = |k: &str| crate::i18n::t(&meta.locale, k);
    let header = export::header(&t, &export::ACTIVITY_COLUMNS);
    let fetch =
        export::activities(state.store.clone(), session.actor.clone(), filter, meta.locale.clone()).api(&meta)?;
    export::respond(
        crate::export::Download {
            store: &state.store,
            locale: &meta.locale,
            kind: "activities",
            file_stem: "activities",
        },
        format,
        header,
        fetch,
    )
    .await
    .api(&meta)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityBody {
    pub customer_id: i64,
    pub contact_id: Option<i64>,
    /// `call|visit|meeting|email|note`.
    pub kind: String,
    pub subject: String,
    /// RFC 3339; default now.
    pub occurred_at: Option<DateTime<Utc>>,
    pub participants: Option<String>,
    #[serde(default)]
    pub outcome: String,
    pub next_step: Option<String>,
    /// Follow-up: RFC 3339, or a day `YYYY-MM-DD` (09:00 company time).
    /// The customer's owner is reminded then.
    pub next_at: Option<String>,
    /// The prospect's intention noted at a visit: `high|medium|low`.
    pub intention: Option<String>,
    /// An opportunity of this customer the record is about.
    pub opportunity_id: Option<i64>,
}

/// Records a visit, call, meeting, e-mail or note.
#[utoipa::path(post, path = "/activities", tag = "customers", request_body = ActivityBody,
    responses((status = 201, body = ActivityView), (status = 422, body = Problem)))]
async fn create_activity(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiJson(body): ApiJson<ActivityBody>,
) -> ApiResult<(StatusCode, Json<ActivityView>)> {
    let company = settings::get(&state.store).await.api(&meta)?.settings;
    let occurred_at = body.occurred_at.unwrap_or_else(|| state.store.now());
    let next_at = follow_up(body.next_at.as_deref(), &company, occurred_at)
        .map_err(|e| ApiError::invalid(e).in_locale(&meta.locale))?;
    let input = ActivityInput {
        customer_id: body.customer_id,
        contact_id: body.contact_id,
        kind: body.kind,
        subject: body.subject,
        occurred_at,
        participants: body.participants,
        outcome: body.outcome,
        next_step: body.next_step,
        next_at,
        intention: body.intention,
        opportunity_id: body.opportunity_id,
    };
    let a = activities::create_activity(&state.store, &session.actor, input).await.api(&meta)?;
    Ok((StatusCode::CREATED, Json(a)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NoticeQuery {
    /// `true`: also reminders not due yet.
    pub upcoming: Option<bool>,
}

/// The caller's reminders and notices, due ones first.
#[utoipa::path(get, path = "/notifications", tag = "customers", params(NoticeQuery),
    responses((status = 200, body = Vec<Notice>)))]
async fn list_notifications(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<NoticeQuery>,
) -> ApiResult<Json<Vec<Notice>>> {
    Ok(Json(notifications::my_notices(&state.store, &session.actor, q.upcoming.unwrap_or(false)).await.api(&meta)?))
}

#[utoipa::path(post, path = "/notifications/{id}/read", tag = "customers", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn read_notification(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    notifications::mark_read(&state.store, &session.actor, id).await.api(&meta)?;
    Ok(StatusCode::NO_CONTENT)
}
