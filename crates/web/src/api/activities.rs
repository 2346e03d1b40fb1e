//! Visits and contact records; the caller's reminders.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use salesflow_domain::Invalid;
use salesflow_store::activities::{self, ActivityInput, ActivityView};
use salesflow_store::notifications::{self, Notice};
use salesflow_store::settings;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, ApiQuery, OrApi, Page, PageParams};
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::server::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_activities, create_activity))
        .routes(routes!(list_notifications))
        .routes(routes!(read_notification))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityQuery {
    pub customer_id: i64,
}

/// A customer's timeline, newest first.
#[utoipa::path(get, path = "/activities", tag = "customers", params(ActivityQuery, PageParams),
    responses((status = 200, body = Page<ActivityView>), (status = 404, body = Problem)))]
async fn list_activities(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<ActivityQuery>,
    ApiQuery(paging): ApiQuery<PageParams>,
) -> ApiResult<Json<Page<ActivityView>>> {
    let page =
        activities::list_for_customer(&state.store, &session.actor, q.customer_id, &paging.page()).await.api(&meta)?;
    Ok(Json(page.into()))
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
}

/// Parses a follow-up given as an instant or a day. A day means 09:00
/// company time; the same day as the activity but already past 09:00 means
/// right after the activity.
pub fn follow_up(
    text: Option<&str>,
    settings: &salesflow_domain::settings::Settings,
    occurred_at: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, Invalid> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(Some(at.with_timezone(&Utc)));
    }
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| Invalid::one("next_at", "invalid_date"))?;
    let morning = settings.morning_of(day).ok_or_else(|| Invalid::one("next_at", "invalid_date"))?;
    let same_day = settings.local_input(occurred_at).starts_with(&day.format("%Y-%m-%d").to_string());
    Ok(Some(if same_day { morning.max(occurred_at) } else { morning }))
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
    let occurred_at = body.occurred_at.unwrap_or_else(Utc::now);
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
