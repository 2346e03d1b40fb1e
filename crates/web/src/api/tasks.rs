//! Sales tasks and the calendar of one's own tasks and visits.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use salesflow_domain::settings::Settings;
use salesflow_domain::{FieldError, Invalid};
use salesflow_store::settings;
use salesflow_store::tasks::{self, CalendarEvent, TaskFilter, TaskInput, TaskView};
use salesflow_store::{Actor, Store, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::body::MergePatch;
use super::{ApiJson, ApiQuery, OrApi, Page, PageParams};
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::input::dates::{DayEdge, when};
use crate::server::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tasks, create_task))
        .routes(routes!(bulk_tasks))
        .routes(routes!(export_tasks_csv))
        .routes(routes!(export_tasks_xlsx))
        .routes(routes!(get_task, update_task, delete_task))
        .routes(routes!(complete_task))
        .routes(routes!(reopen_task))
        .routes(routes!(calendar))
}

// ---------------------------------------------------------------- dates

/// A day `YYYY-MM-DD`.
pub fn day(text: &str, field: &str) -> Result<NaiveDate, FieldError> {
    salesflow_domain::time::parse_day(text).ok_or_else(|| FieldError::new(field, "invalid_date"))
}

/// `me` or a user id; blank is `None`.
pub fn person(text: Option<&str>, field: &str, actor: &Actor) -> Result<Option<i64>, FieldError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some("me") => Ok(actor.user_id),
        Some(id) => id.parse().map(Some).map_err(|_| FieldError::new(field, "invalid_choice")),
    }
}

/// Field errors named as the API contract names the fields (the store and
/// the pages say `start_at`, `due_at`, `related_kind`).
fn contract_fields(e: StoreError) -> StoreError {
    match e {
        StoreError::Invalid(Invalid(errors)) => StoreError::Invalid(Invalid(
            errors
                .into_iter()
                .map(|mut fe| {
                    fe.field = match fe.field.as_str() {
                        "start_at" => "start_date".to_owned(),
                        "due_at" => "due_date".to_owned(),
                        "related_kind" => "related_type".to_owned(),
                        _ => fe.field,
                    };
                    fe
                })
                .collect(),
        )),
        other => other,
    }
}

fn invalid(meta: &crate::auth::RequestMeta, errors: Vec<FieldError>) -> ApiError {
    ApiError::invalid(Invalid(errors)).in_locale(&meta.locale)
}

async fn company(store: &Store, meta: &crate::auth::RequestMeta) -> ApiResult<Settings> {
    Ok(settings::get(store).await.api(meta)?.settings)
}

// ---------------------------------------------------------------- tasks

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskQuery {
    /// Part of the title (Chinese or Latin; two characters are enough).
    pub q: Option<String>,
    /// `me` or a user id.
    pub assignee: Option<String>,
    /// `me` or a user id.
    pub created_by: Option<String>,
    /// `open` (including tasks in progress), `done`, `cancelled`; also
    /// `in_progress` for only those.
    #[serde(default, deserialize_with = "super::body::filters::task_status")]
    pub status: Option<String>,
    /// `low|normal|high|urgent`.
    #[serde(default, deserialize_with = "super::body::filters::priority")]
    pub priority: Option<String>,
    /// `true`: only tasks past due and still to be done.
    pub overdue: Option<bool>,
    pub customer_id: Option<i64>,
    /// `customer`, `contact`, `lead` or `opportunity` (also accepted as `related_kind`).
    #[serde(alias = "related_kind")]
    #[serde(default, deserialize_with = "super::body::filters::related_kind")]
    pub related_type: Option<String>,
    pub related_id: Option<i64>,
    /// Due on or after: a day `YYYY-MM-DD` or RFC 3339.
    pub due_from: Option<String>,
    /// Due on or before this day (or before this instant).
    pub due_to: Option<String>,
}

impl TaskQuery {
    fn filter(&self, actor: &Actor, company: &Settings) -> Result<TaskFilter, Vec<FieldError>> {
        let assignee = person(self.assignee.as_deref(), "assignee", actor);
        let created_by = person(self.created_by.as_deref(), "created_by", actor);
        let from = when(self.due_from.as_deref(), "due_from", company, DayEdge::Midnight);
        let to = when(self.due_to.as_deref(), "due_to", company, DayEdge::NextMidnight);
        match (assignee, created_by, from, to) {
            (Ok(assignee_id), Ok(created_by), Ok(due_from), Ok(due_to)) => Ok(TaskFilter {
                q: self.q.clone(),
                assignee_id,
                not_assignee_id: None,
                created_by,
                status: self.status.clone(),
                priority: self.priority.clone(),
                overdue: self.overdue.unwrap_or(false),
                customer_id: self.customer_id,
                related_kind: self.related_type.clone(),
                related_id: self.related_id,
                due_from,
                due_to,
            }),
            (a, b, c, d) => Err([a.err(), b.err(), c.err(), d.err()].into_iter().flatten().collect()),
        }
    }
}

/// Tasks in the caller's scope: assigned to someone in scope, or created
/// by the caller. Sort: `due_date` (default; also `due_at`), `priority`,
/// `created_at`, `updated_at`, `id`.
#[utoipa::path(get, path = "/tasks", tag = "tasks", params(TaskQuery, PageParams),
    responses((status = 200, body = Page<TaskView>), (status = 422, body = Problem)))]
async fn list_tasks(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<TaskQuery>,
    ApiQuery(paging): ApiQuery<PageParams>,
) -> ApiResult<Json<Page<TaskView>>> {
    let company = company(&state.store, &meta).await?;
    let filter = q.filter(&session.actor, &company).map_err(|e| invalid(&meta, e))?;
    let page = tasks::list_tasks(&state.store, &session.actor, &filter, &paging.page())
        .await
        .map_err(contract_fields)
        .api(&meta)?;
    Ok(Json(page.into()))
}

/// The filtered list as CSV (UTF-8 with BOM, streamed; needs the export right).
#[utoipa::path(get, path = "/tasks/export.csv", tag = "tasks", params(TaskQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = Problem)))]
async fn export_tasks_csv(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<TaskQuery>,
) -> ApiResult<axum::response::Response> {
    export_tasks(state, session, meta, q, crate::export::Format::Csv).await
}

/// The filtered list as an Excel workbook (needs the export right).
#[utoipa::path(get, path = "/tasks/export.xlsx", tag = "tasks", params(TaskQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    body = Vec<u8>), (status = 403, body = Problem)))]
async fn export_tasks_xlsx(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<TaskQuery>,
) -> ApiResult<axum::response::Response> {
    export_tasks(state, session, meta, q, crate::export::Format::Xlsx).await
}

async fn export_tasks(
    state: AppState,
    session: crate::auth::Session,
    meta: crate::auth::RequestMeta,
    q: TaskQuery,
    format: crate::export::Format,
) -> ApiResult<axum::response::Response> {
    let company = company(&state.store, &meta).await?;
    let filter = q.filter(&session.actor, &company).map_err(|e| invalid(&meta, e))?;
    let t = |k: &str| crate::i18n::t(&meta.locale, k);
    let header = crate::export::header(&t, &crate::export::TASK_COLUMNS);
    let fetch =
        crate::export::tasks(state.store.clone(), session.actor.clone(), filter, meta.locale.clone()).api(&meta)?;
    crate::export::respond(
        crate::export::Download { store: &state.store, locale: &meta.locale, kind: "tasks", file_stem: "tasks" },
        format,
        header,
        fetch,
    )
    .await
    .api(&meta)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskBody {
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Default: the caller. Must be inside the caller's data scope.
    pub assignee_id: Option<i64>,
    /// `customer`, `contact` or `lead`, together with `related_id` (also
    /// accepted as `related_kind`).
    #[serde(alias = "related_kind")]
    pub related_type: Option<String>,
    pub related_id: Option<i64>,
    /// A day `YYYY-MM-DD` (09:00 company time) or an RFC 3339 instant
    /// (also accepted as `start_at`).
    #[serde(alias = "start_at")]
    pub start_date: Option<String>,
    /// A day `YYYY-MM-DD` (due at the end of that day, company time) or an
    /// RFC 3339 instant (also accepted as `due_at`). The assignee is
    /// reminded at 09:00 that day.
    #[serde(alias = "due_at")]
    pub due_date: String,
    /// `low|normal|high|urgent`; default `normal`.
    pub priority: Option<String>,
    /// `open|done|cancelled`; default `open` (unchanged on update). The
    /// former `in_progress` is still accepted.
    pub status: Option<String>,
    /// Whether an open task is being worked on. Left out, an open task
    /// stays as it was.
    pub in_progress: Option<bool>,
    /// Required when updating.
    pub version: Option<i64>,
}

impl TaskBody {
    fn input(&self, company: &Settings) -> Result<TaskInput, Vec<FieldError>> {
        let start = when(self.start_date.as_deref(), "start_date", company, DayEdge::Morning);
        let due = when(Some(&self.due_date), "due_date", company, DayEdge::Evening)
            .and_then(|d| d.ok_or_else(|| FieldError::new("due_date", "required")));
        match (start, due) {
            (Ok(start_at), Ok(due_at)) => Ok(TaskInput {
                title: self.title.clone(),
                description: self.description.clone(),
                assignee_id: self.assignee_id,
                related_kind: self.related_type.clone(),
                related_id: self.related_id,
                start_at,
                due_at,
                priority: self.priority.clone().unwrap_or_else(|| "normal".into()),
                status: self.status.clone(),
                in_progress: self.in_progress,
            }),
            (a, b) => Err([a.err(), b.err()].into_iter().flatten().collect()),
        }
    }
}

/// Creates a task; the assignee gets an in-app reminder for the due date.
#[utoipa::path(post, path = "/tasks", tag = "tasks", request_body = TaskBody,
    responses((status = 201, body = TaskView), (status = 422, body = Problem)))]
async fn create_task(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiJson(body): ApiJson<TaskBody>,
) -> ApiResult<(StatusCode, Json<TaskView>)> {
    let company = company(&state.store, &meta).await?;
    let input = body.input(&company).map_err(|e| invalid(&meta, e))?;
    let t = tasks::create_task(&state.store, &session.actor, input).await.map_err(contract_fields).api(&meta)?;
    Ok((StatusCode::CREATED, Json(t)))
}

#[utoipa::path(get, path = "/tasks/{id}", tag = "tasks", params(("id" = i64, Path)),
    responses((status = 200, body = TaskView), (status = 404, body = Problem)))]
async fn get_task(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<TaskView>> {
    Ok(Json(tasks::get_task(&state.store, &session.actor, id).await.api(&meta)?))
}

/// Changes the fields the body names (RFC 7396 merge patch: absent =
/// unchanged, `null` = cleared); `version` must be the one last read.
#[utoipa::path(patch, path = "/tasks/{id}", tag = "tasks", params(("id" = i64, Path)), request_body = TaskBody,
    responses((status = 200, body = TaskView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn update_task(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    patch: MergePatch,
) -> ApiResult<Json<TaskView>> {
    let current = tasks::get_task(&state.store, &session.actor, id).await.api(&meta)?;
    let mut base = task_body(&current);
    // The fields' other names replace them, as on create.
    for (alias, field) in [("start_at", "start_date"), ("due_at", "due_date"), ("related_kind", "related_type")] {
        if patch.has(alias)
            && let Some(m) = base.as_object_mut()
        {
            m.remove(field);
        }
    }
    let body: TaskBody = patch.apply(base, &meta.locale)?;
    let company = company(&state.store, &meta).await?;
    let version = body.version.ok_or_else(|| invalid(&meta, vec![FieldError::new("version", "required")]))?;
    let input = body.input(&company).map_err(|e| invalid(&meta, e))?;
    Ok(Json(
        tasks::update_task(&state.store, &session.actor, id, version, input)
            .await
            .map_err(contract_fields)
            .api(&meta)?,
    ))
}

/// A task in the shape of [`TaskBody`], for merge patches (instants kept
/// exact rather than as days).
fn task_body(t: &TaskView) -> serde_json::Value {
    serde_json::json!({
        "title": t.title,
        "description": t.description,
        "assignee_id": t.assignee_id,
        "related_type": t.related_kind,
        "related_id": t.related_id,
        "start_date": t.start_at.map(|at| at.to_rfc3339()),
        "due_date": t.due_at.to_rfc3339(),
        "priority": t.priority,
        "status": serde_json::to_value(t).ok().and_then(|v| v.get("status").cloned()),
        "in_progress": t.in_progress,
    })
}

/// Deletes a task (its creator, or whoever may delete the assignee's records).
#[utoipa::path(delete, path = "/tasks/{id}", tag = "tasks", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_task(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    tasks::delete_task(&state.store, &session.actor, id).await.api(&meta)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionBody {
    /// The version last read.
    pub version: i64,
}

/// Marks a task done; its pending reminder is withdrawn.
#[utoipa::path(post, path = "/tasks/{id}/complete", tag = "tasks", params(("id" = i64, Path)), request_body = VersionBody,
    responses((status = 200, body = TaskView), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn complete_task(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<VersionBody>,
) -> ApiResult<Json<TaskView>> {
    Ok(Json(tasks::set_done(&state.store, &session.actor, id, body.version, true).await.api(&meta)?))
}

/// Opens a done or cancelled task again.
#[utoipa::path(post, path = "/tasks/{id}/reopen", tag = "tasks", params(("id" = i64, Path)), request_body = VersionBody,
    responses((status = 200, body = TaskView), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn reopen_task(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<VersionBody>,
) -> ApiResult<Json<TaskView>> {
    Ok(Json(tasks::set_done(&state.store, &session.actor, id, body.version, false).await.api(&meta)?))
}

// ---------------------------------------------------------------- calendar

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CalendarQuery {
    /// First day, `YYYY-MM-DD` (company time zone).
    pub from: String,
    /// Last day, inclusive; at most 62 days after `from`.
    pub to: String,
    /// Whose calendar: default the caller; others only inside the caller's scope.
    pub user_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarAnswer {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// In time order.
    pub events: Vec<CalendarEvent>,
}

/// One's tasks, the follow-up dates on one's customers, and one's visits
/// and meetings from `from` to `to`.
#[utoipa::path(get, path = "/calendar", tag = "tasks", params(CalendarQuery),
    responses((status = 200, body = CalendarAnswer), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn calendar(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<CalendarQuery>,
) -> ApiResult<Json<CalendarAnswer>> {
    let (from, to) = match (day(&q.from, "from"), day(&q.to, "to")) {
        (Ok(from), Ok(to)) => (from, to),
        (a, b) => return Err(invalid(&meta, [a.err(), b.err()].into_iter().flatten().collect())),
    };
    let events = tasks::calendar(&state.store, &session.actor, q.user_id, from, to).await.api(&meta)?;
    Ok(Json(CalendarAnswer { from, to, events }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskBulkBody {
    /// At most 500 tasks, all visible to the caller (all or none change).
    pub ids: Vec<i64>,
    /// `assign` (with `assignee_id`, someone in the caller's scope),
    /// `mark_done` or `delete` (the tasks' creator, or who may delete the
    /// assignee's records).
    pub action: String,
    pub assignee_id: Option<i64>,
}

/// One action on selected tasks: assign, mark done, delete. Tasks already
/// so are left as they are and not counted in `changed`.
#[utoipa::path(post, path = "/tasks/bulk", tag = "tasks", request_body = TaskBulkBody,
    responses((status = 200, body = super::customers::BulkResult), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn bulk_tasks(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiJson(body): ApiJson<TaskBulkBody>,
) -> ApiResult<Json<super::customers::BulkResult>> {
    let action = crate::input::bulk::task_action(&body.action, body.assignee_id)
        .map_err(|e| ApiError::invalid(e).in_locale(&meta.locale))?;
    let changed = tasks::bulk(&state.store, &session.actor, &body.ids, action).await.api(&meta)?;
    Ok(Json(super::customers::BulkResult { changed }))
}
