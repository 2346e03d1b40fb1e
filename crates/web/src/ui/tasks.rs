//! Task pages: "my tasks" with tabs, filters and one-click completion, the
//! task form and page, and the month and week calendar.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Form, Router};
// A form whose fields repeat (the selected rows' `ids`).
use axum_extra::extract::Form as MultiForm;
use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};
use salesflow_domain::access::{Action, DataScope, Module};
use salesflow_domain::tasks::{Priority, TaskStatus, local_day};
use salesflow_domain::{FieldError, Invalid};
use salesflow_store::customers::{self, CustomerFilter};
use salesflow_store::paging::PageRequest;
use salesflow_store::tasks::{self, CalendarEvent, TaskFilter, TaskInput, TaskView};
use salesflow_store::{Actor, StoreError};
use serde::Deserialize;

use super::page::Page;
use super::views::{BulkForm, ViewsBar, bulk_outcome, chosen_columns};
use super::{FormErrors, PageCtx, redirect_flash, render};
use crate::error::page::PageResult;
use crate::input::dates::{DayEdge, when};
use crate::list_columns;
use crate::server::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/tasks", get(list_page).post(create))
        .route("/tasks/export.csv", get(export_csv))
        .route("/tasks/export.xlsx", get(export_xlsx))
        .route("/tasks/new", get(new_page))
        .route("/tasks/bulk", post(bulk))
        .route("/tasks/customer-options", get(customer_options))
        .route("/tasks/{id}", get(show).post(update))
        .route("/tasks/{id}/edit", get(edit_page))
        .route("/tasks/{id}/complete", post(complete))
        .route("/tasks/{id}/reopen", post(reopen))
        .route("/tasks/{id}/delete", post(delete))
        .route("/calendar", get(calendar_page))
}

impl PageCtx {
    /// A due time as people think of it: just the day when it is the end
    /// of the day (as a due date typed as a day is), otherwise day and time.
    pub fn due(&self, at: &DateTime<Utc>) -> String {
        let local = self.settings.local_input(*at);
        if local.ends_with("T23:59") { self.settings.format_date(local_day(&self.settings, *at)) } else { self.dt(at) }
    }

    /// `HH:MM` in the company's time zone.
    pub fn time_of(&self, at: &DateTime<Utc>) -> String {
        self.settings.local_input(*at).get(11..16).unwrap_or_default().to_owned()
    }
}

/// Whether a task is closed (done or cancelled), for templates.
fn closed(status: &str) -> bool {
    TaskStatus::parse(status).is_some_and(TaskStatus::is_closed)
}

/// Where to go back to after an action: a local path only.
fn back_to(back: &str, fallback: &str) -> String {
    crate::auth::local_redirect(Some(back), fallback)
}

// ---------------------------------------------------------------- list

#[derive(Debug, Deserialize, Default)]
struct ListQuery {
    /// `mine` (default), `assigned` (by me to others) or `team`.
    tab: Option<String>,
    q: Option<String>,
    /// Absent: open tasks; empty: every status.
    status: Option<String>,
    priority: Option<String>,
    overdue: Option<String>,
    sort: Option<String>,
    cursor: Option<String>,
}

impl ListQuery {
    fn tab(&self) -> &str {
        match self.tab.as_deref() {
            Some("assigned") => "assigned",
            Some("team") => "team",
            _ => "mine",
        }
    }

    /// Absent: `open`; empty or `all`: every status (`all` survives a saved
    /// view, which keeps no empty values).
    fn status(&self) -> &str {
        match self.status.as_deref() {
            None => "open",
            Some("all") => "",
            Some(s) => s,
        }
    }

    fn overdue(&self) -> bool {
        self.overdue.as_deref().is_some_and(|v| !v.is_empty())
    }

    fn filter(&self, actor: &Actor) -> TaskFilter {
        let me = actor.user_id;
        let (assignee_id, created_by, not_assignee_id) = match self.tab() {
            "assigned" => (None, me, me),
            "team" => (None, None, me),
            _ => (me, None, None),
        };
        TaskFilter {
            q: self.q.clone(),
            assignee_id,
            not_assignee_id,
            created_by,
            status: Some(self.status().to_owned()),
            priority: self.priority.clone(),
            overdue: self.overdue(),
            ..Default::default()
        }
    }

    fn base_query(&self, sort: Option<&str>) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        out.append_pair("tab", self.tab());
        // "Every status" must survive paging and saved views.
        out.append_pair("status", if self.status().is_empty() { "all" } else { self.status() });
        for (k, v) in [
            ("q", self.q.as_deref()),
            ("priority", self.priority.as_deref()),
            ("overdue", self.overdue.as_deref()),
            ("sort", sort.or(self.sort.as_deref())),
        ] {
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                out.append_pair(k, v);
            }
        }
        out.finish()
    }

    fn is(&self, value: &Option<String>, option: &str) -> bool {
        value.as_deref().unwrap_or("") == option
    }
}

const DEFAULT_COLUMNS: [&str; 5] = ["due_at", "assignee", "priority", "status", "created_at"];

/// The message key of a column's heading.
fn column_label(code: &str) -> &'static str {
    match code {
        "due_at" => "tasks.due_at",
        "assignee" => "tasks.assignee",
        "priority" => "tasks.priority_label",
        "status" => "tasks.status_label",
        "customer" => "fields.customer_id",
        "created_by" => "tasks.created_by",
        "start_at" => "tasks.start_at",
        "completed_at" => "tasks.completed_at",
        _ => "fields.created_at",
    }
}

/// The sort a column's heading asks for first, for the sortable ones:
/// the most urgent and the newest come first.
fn column_sort(code: &str) -> Option<&'static str> {
    match code {
        "due_at" => Some("due_at"),
        "priority" => Some("-priority"),
        "created_at" => Some("-created_at"),
        _ => None,
    }
}

#[derive(Template)]
#[template(path = "tasks/list.html")]
struct ListPage {
    ctx: PageCtx,
    rows: Rows,
    query: ListQuery,
    statuses: [TaskStatus; 4],
    priorities: [Priority; 4],
    bar: ViewsBar,
    /// People tasks may be handed to (empty: no assigning).
    people: Vec<(i64, String)>,
    can_delete: bool,
    show_team: bool,
    can_create: bool,
    can_export: bool,
}

impl ListPage {
    fn export_link(&self, format: &str) -> String {
        format!("/tasks/export.{format}?{}", self.query.base_query(None))
    }

    fn tab_link(&self, tab: &str) -> String {
        format!("/tasks?tab={tab}")
    }

    fn sort_link(&self, field: &str) -> String {
        let current = self.query.sort.as_deref().unwrap_or("due_at");
        let next = if current == field { format!("-{field}") } else { field.to_owned() };
        format!("/tasks?{}", self.query.base_query(Some(&next)))
    }

    fn sort_mark(&self, field: &str) -> &'static str {
        match self.query.sort.as_deref().unwrap_or("due_at") {
            s if s == field => "▲",
            s if s.strip_prefix('-') == Some(field) => "▼",
            _ => "",
        }
    }

    fn column_sort(&self, column: &str) -> Option<&'static str> {
        column_sort(column)
    }
}

#[derive(Template)]
#[template(path = "tasks/rows.html")]
struct Rows {
    ctx: PageCtx,
    tasks: Vec<TaskView>,
    columns: Vec<String>,
    selectable: bool,
    next_url: Option<String>,
    first_page: bool,
    can_edit: bool,
    /// Where one-click completion returns to without JavaScript.
    back: String,
}

impl Rows {
    fn closed(&self, status: &str) -> bool {
        closed(status)
    }

    fn span(&self) -> usize {
        self.columns.len() + 2 + usize::from(self.selectable)
    }

    /// Phones show the first column only (the title shows who and how urgent).
    fn cell_class(&self, index: &usize) -> &'static str {
        if *index < 1 { "" } else { "hide-sm" }
    }

    fn shows(&self, column: &str) -> bool {
        self.columns.iter().any(|c| c == column)
    }
}

async fn list_page(request: Page, Query(query): Query<ListQuery>) -> PageResult {
    let actor = request.actor();
    let filter = query.filter(actor);
    let req = PageRequest { limit: Some(50), cursor: query.cursor.clone(), sort: query.sort.clone() };
    let page = match tasks::list_tasks(request.store(), actor, &filter, &req).await {
        Ok(p) => p,
        // A stale cursor or an unknown sort or filter: start again plainly.
        Err(StoreError::Invalid(_)) => {
            let plain = TaskFilter { status: None, priority: None, ..filter };
            tasks::list_tasks(request.store(), actor, &plain, &PageRequest::default()).await?
        }
        Err(e) => return Err(e.into()),
    };
    let ctx = request.ctx("/tasks").await;
    let base = query.base_query(None);
    let next_url = page.next_cursor.map(|c| format!("/tasks?{base}&cursor={c}"));
    let can_edit = actor.can(Module::Customers, Action::Edit);
    let rows = Rows {
        ctx: ctx.clone(),
        tasks: page.items,
        columns: chosen_columns(&request.state, actor, "tasks", &list_columns::TASKS, &DEFAULT_COLUMNS).await,
        selectable: can_edit,
        next_url,
        first_page: query.cursor.is_none(),
        can_edit,
        back: format!("/tasks?{base}"),
    };
    if request.meta.is_htmx {
        return Ok(render(&rows.ctx, &rows));
    }
    let bar =
        ViewsBar::load(&request.state, actor, "tasks", base, &list_columns::TASKS, &rows.columns, column_label).await;
    let people =
        if can_edit { tasks::assignable_people(request.store(), actor).await.unwrap_or_default() } else { Vec::new() };
    let page = ListPage {
        ctx,
        rows,
        query,
        statuses: TaskStatus::ALL,
        priorities: Priority::ALL,
        bar,
        people,
        can_delete: can_edit,
        show_team: actor.scope != DataScope::Own,
        can_create: actor.can(Module::Customers, Action::Create),
        can_export: actor.can(Module::Customers, Action::Export),
    };
    Ok(render(&page.ctx, &page))
}

async fn export_csv(request: Page, query: Query<ListQuery>) -> PageResult {
    export_list(request, query, crate::export::Format::Csv).await
}

async fn export_xlsx(request: Page, query: Query<ListQuery>) -> PageResult {
    export_list(request, query, crate::export::Format::Xlsx).await
}

/// The list as it is filtered, as CSV or an Excel workbook.
async fn export_list(request: Page, Query(query): Query<ListQuery>, format: crate::export::Format) -> PageResult {
    let filter = query.filter(request.actor());
    super::export_download(
        request.locale(),
        "tasks",
        &crate::export::TASK_COLUMNS,
        crate::export::tasks(
            request.state.store.clone(),
            request.session.actor.clone(),
            filter,
            request.meta.locale.clone(),
        ),
        format,
    )
    .await
}

/// A bulk action on the selected tasks: hand them to someone, mark them
/// done or delete them.
async fn bulk(request: Page, MultiForm(form): MultiForm<BulkForm>) -> PageResult {
    let ids = form.ids();
    let back = form.back("/tasks");
    if ids.is_empty() {
        return Ok(redirect_flash(&back, "flash.bulk_none_selected"));
    }
    let result = match crate::input::bulk::task_action(&form.action, form.assignee_id.parse().ok()) {
        Ok(action) => tasks::bulk(request.store(), request.actor(), &ids, action).await,
        Err(invalid) => Err(StoreError::Invalid(invalid)),
    };
    bulk_outcome(result, &back, "lists.flash.tasks_refused")
}

// ---------------------------------------------------------------- complete, reopen, delete

#[derive(Debug, Deserialize)]
struct VersionForm {
    version: i64,
    #[serde(default)]
    back: String,
}

async fn set_done(request: &Page, id: i64, form: VersionForm, done: bool) -> PageResult {
    let result = tasks::set_done(request.store(), request.actor(), id, form.version, done).await;
    let back = back_to(&form.back, &format!("/tasks/{id}"));
    if request.meta.is_htmx {
        // The row again, as it is now (after a conflict: someone else's state).
        let current = match result {
            Ok(t) => t,
            Err(StoreError::Conflict(_)) => tasks::get_task(request.store(), request.actor(), id).await?,
            Err(e) => return Err(e.into()),
        };
        let ctx = request.ctx("/tasks").await;
        let rows = Rows {
            ctx,
            tasks: vec![current],
            columns: chosen_columns(&request.state, request.actor(), "tasks", &list_columns::TASKS, &DEFAULT_COLUMNS)
                .await,
            selectable: request.session.actor.can(Module::Customers, Action::Edit),
            next_url: None,
            first_page: false,
            can_edit: true,
            back: form.back.clone(),
        };
        return Ok(render(&rows.ctx, &rows));
    }
    Ok(match result {
        Ok(_) => redirect_flash(&back, if done { "flash.task_completed" } else { "flash.task_reopened" }),
        Err(StoreError::Conflict(_)) => redirect_flash(&back, "flash.stale"),
        Err(e) => return Err(e.into()),
    })
}

async fn complete(request: Page, Path(id): Path<i64>, Form(form): Form<VersionForm>) -> PageResult {
    set_done(&request, id, form, true).await
}

async fn reopen(request: Page, Path(id): Path<i64>, Form(form): Form<VersionForm>) -> PageResult {
    set_done(&request, id, form, false).await
}

async fn delete(request: Page, Path(id): Path<i64>) -> PageResult {
    tasks::delete_task(request.store(), request.actor(), id).await?;
    Ok(redirect_flash("/tasks", "flash.task_deleted"))
}

// ---------------------------------------------------------------- task page

#[derive(Template)]
#[template(path = "tasks/show.html")]
struct ShowPage {
    ctx: PageCtx,
    t: TaskView,
    can_edit: bool,
    can_delete: bool,
}

impl ShowPage {
    fn closed(&self) -> bool {
        closed(&self.t.status)
    }
}

async fn show(request: Page, Path(id): Path<i64>) -> PageResult {
    let actor = request.actor();
    let t = tasks::get_task(request.store(), actor, id).await?;
    let ctx = request.ctx("/tasks").await;
    let can_delete = actor.can(Module::Customers, Action::Edit)
        && (actor.user_id == Some(t.created_by)
            || (actor.can(Module::Customers, Action::Delete) && actor.sees_owner(Some(t.assignee_id))));
    let page = ShowPage { ctx, can_edit: actor.can(Module::Customers, Action::Edit), can_delete, t };
    Ok(render(&page.ctx, &page))
}

// ---------------------------------------------------------------- form

#[derive(Debug, Deserialize, Default, Clone)]
struct TaskForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    assignee_id: String,
    /// `customer:ID`, `contact:ID` or empty.
    #[serde(default)]
    related: String,
    /// Days, `YYYY-MM-DD`.
    #[serde(default)]
    start_at: String,
    #[serde(default)]
    due_at: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    version: i64,
}

impl TaskForm {
    fn from_view(t: &TaskView, ctx: &PageCtx) -> Self {
        let day = |at: DateTime<Utc>| local_day(&ctx.settings, at).format("%Y-%m-%d").to_string();
        TaskForm {
            title: t.title.clone(),
            description: t.description.clone(),
            assignee_id: t.assignee_id.to_string(),
            related: match (&t.related_kind, t.related_id) {
                (Some(k), Some(id)) => format!("{k}:{id}"),
                _ => String::new(),
            },
            start_at: t.start_at.map(day).unwrap_or_default(),
            due_at: day(t.due_at),
            priority: t.priority.clone(),
            status: t.status.clone(),
            version: t.version,
        }
    }

    /// The store's input; a day left as it was keeps the exact time it had.
    fn input(&self, ctx: &PageCtx, current: Option<&TaskView>) -> Result<TaskInput, Invalid> {
        let company = &ctx.settings;
        let same_day = |text: &str, at: Option<DateTime<Utc>>| {
            at.filter(|a| local_day(company, *a).format("%Y-%m-%d").to_string() == text.trim())
        };
        let mut errors: Vec<FieldError> = Vec::new();
        let start_at = match same_day(&self.start_at, current.and_then(|t| t.start_at)) {
            Some(kept) => Some(kept),
            None => when(Some(&self.start_at), "start_at", company, DayEdge::Morning).unwrap_or_else(|e| {
                errors.push(e);
                None
            }),
        };
        let due_at = match same_day(&self.due_at, current.map(|t| t.due_at)) {
            Some(kept) => Some(kept),
            None => match when(Some(&self.due_at), "due_at", company, DayEdge::Evening) {
                Ok(Some(at)) => Some(at),
                Ok(None) => {
                    errors.push(FieldError::new("due_at", "required"));
                    None
                }
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
        };
        let assignee_id = match super::opt_id(&self.assignee_id) {
            Ok(id) => id,
            Err(_) => {
                errors.push(FieldError::new("assignee_id", "unknown_reference"));
                None
            }
        };
        let (related_kind, related_id) = match self.related.trim().split_once(':') {
            None if self.related.trim().is_empty() => (None, None),
            Some((kind, id)) if id.parse::<i64>().is_ok() => (Some(kind.to_owned()), id.parse().ok()),
            _ => {
                errors.push(FieldError::new("related_id", "unknown_reference"));
                (None, None)
            }
        };
        let Some(due_at) = due_at.filter(|_| errors.is_empty()) else {
            return Err(Invalid(errors));
        };
        Ok(TaskInput {
            title: self.title.clone(),
            description: self.description.clone(),
            assignee_id,
            related_kind,
            related_id,
            start_at,
            due_at,
            priority: self.priority.clone(),
            status: Some(self.status.clone()).filter(|s| !s.is_empty()),
            // The form names every status itself (in progress included).
            in_progress: (!self.status.is_empty()).then(|| self.status == TaskStatus::InProgress.code()),
        })
    }
}

#[derive(Template)]
#[template(path = "tasks/form.html")]
struct FormPage {
    ctx: PageCtx,
    form: TaskForm,
    task: Option<TaskView>,
    errors: FormErrors,
    people: Vec<(i64, String)>,
    /// The chosen related record's name, for its option.
    related_label: Option<String>,
    statuses: [TaskStatus; 4],
    priorities: [Priority; 4],
}

impl FormPage {
    fn person_selected(&self, id: &i64) -> bool {
        self.form.assignee_id == id.to_string()
    }

    /// Errors of fields the form does not show (e.g. an unknown sort).
    fn other_errors(&self) -> Vec<String> {
        self.errors.others(&[
            "title",
            "assignee_id",
            "priority",
            "start_at",
            "due_at",
            "related_id",
            "related_kind",
            "description",
            "status",
            "version",
        ])
    }
}

/// The name of the record a form value (`customer:ID`, `contact:ID`,
/// `opportunity:ID`) names.
async fn related_label(state: &AppState, actor: &Actor, related: &str) -> Option<String> {
    let (kind, id) = related.split_once(':')?;
    let id: i64 = id.parse().ok()?;
    match kind {
        "customer" => customers::get_customer(&state.store, actor, id).await.ok().map(|c| c.name),
        "contact" => {
            let person = customers::get_contact(&state.store, actor, id).await.ok()?;
            let company = customers::get_customer(&state.store, actor, person.customer_id).await.ok()?;
            Some(format!("{} · {}", company.name, person.name))
        }
        "opportunity" => {
            let deal = salesflow_store::opportunities::get_opportunity(&state.store, actor, id).await.ok()?;
            Some(format!("{} · {}", deal.customer_name.unwrap_or_default(), deal.name))
        }
        _ => None,
    }
}

async fn form_page(request: &Page, form: TaskForm, task: Option<TaskView>, errors: FormErrors) -> PageResult {
    let people = tasks::assignable_people(request.store(), request.actor()).await?;
    let related_label = related_label(&request.state, request.actor(), &form.related).await;
    let ctx = request.ctx("/tasks").await;
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = FormPage {
        ctx,
        form,
        task,
        errors,
        people,
        related_label,
        statuses: TaskStatus::ALL,
        priorities: Priority::ALL,
    };
    Ok((status, render(&page.ctx, &page)).into_response())
}

#[derive(Debug, Deserialize, Default)]
struct NewQuery {
    customer_id: Option<i64>,
    /// A task for this opportunity (from its page).
    opportunity_id: Option<i64>,
}

async fn new_page(request: Page, Query(q): Query<NewQuery>) -> PageResult {
    request.session.actor.require(Module::Customers, Action::Create)?;
    let company = salesflow_store::settings::get(request.store()).await.map(|s| s.settings).unwrap_or_default();
    let form = TaskForm {
        assignee_id: request.session.actor.user_id.map(|id| id.to_string()).unwrap_or_default(),
        related: match (q.opportunity_id, q.customer_id) {
            (Some(id), _) => format!("opportunity:{id}"),
            (None, Some(id)) => format!("customer:{id}"),
            (None, None) => String::new(),
        },
        due_at: (company.today() + Duration::days(1)).format("%Y-%m-%d").to_string(),
        priority: Priority::Normal.code().into(),
        ..Default::default()
    };
    form_page(&request, form, None, FormErrors::default()).await
}

async fn create(request: Page, Form(form): Form<TaskForm>) -> PageResult {
    let ctx = request.ctx("/tasks").await;
    let result = match form.input(&ctx, None) {
        Ok(input) => tasks::create_task(request.store(), request.actor(), input).await,
        Err(invalid) => Err(StoreError::Invalid(invalid)),
    };
    Ok(match result {
        Ok(t) => redirect_flash(&format!("/tasks/{}", t.id), "flash.task_created"),
        Err(StoreError::Invalid(invalid)) => {
            let errors = FormErrors::from_invalid(request.locale(), &invalid);
            form_page(&request, form, None, errors).await?
        }
        Err(e) => return Err(e.into()),
    })
}

async fn edit_page(request: Page, Path(id): Path<i64>) -> PageResult {
    Ok(match tasks::get_task(request.store(), request.actor(), id).await {
        Ok(t) => {
            let ctx = request.ctx("/tasks").await;
            let form = TaskForm::from_view(&t, &ctx);
            form_page(&request, form, Some(t), FormErrors::default()).await?
        }
        Err(e) => return Err(e.into()),
    })
}

async fn update(request: Page, Path(id): Path<i64>, Form(form): Form<TaskForm>) -> PageResult {
    let current = tasks::get_task(request.store(), request.actor(), id).await?;
    let ctx = request.ctx("/tasks").await;
    let result = match form.input(&ctx, Some(&current)) {
        Ok(input) => tasks::update_task(request.store(), request.actor(), id, form.version, input).await,
        Err(invalid) => Err(StoreError::Invalid(invalid)),
    };
    match request.saved(result)? {
        Ok(_) => Ok(redirect_flash(&format!("/tasks/{id}"), "flash.saved")),
        Err(refused) => form_page(&request, form, Some(current), refused.errors).await,
    }
}

#[derive(Debug, Deserialize, Default)]
struct OptionsQuery {
    #[serde(default)]
    customer_q: String,
}

#[derive(Template)]
#[template(path = "tasks/customer_options.html")]
struct CustomerOptions {
    ctx: PageCtx,
    options: Vec<(i64, String)>,
}

/// The related-customer picker's choices for what was typed (htmx).
async fn customer_options(request: Page, Query(q): Query<OptionsQuery>) -> PageResult {
    let filter = CustomerFilter { q: Some(q.customer_q.clone()), ..Default::default() };
    let req = PageRequest { limit: Some(20), sort: Some("name".into()), ..Default::default() };
    let options = match customers::list_customers(request.store(), request.actor(), &filter, &req).await {
        Ok(p) => p.items.into_iter().map(|c| (c.id, c.name)).collect(),
        Err(e) => return Err(e.into()),
    };
    let ctx = request.ctx("/tasks").await;
    let page = CustomerOptions { ctx, options };
    Ok(render(&page.ctx, &page))
}

// ---------------------------------------------------------------- calendar

#[derive(Debug, Deserialize, Default)]
struct CalendarQuery {
    /// `month` (default) or `week`.
    view: Option<String>,
    /// A day inside the month or week to show; default today.
    date: Option<String>,
    user_id: Option<i64>,
}

/// One event as the calendar draws it.
struct CalItem {
    href: String,
    title: String,
    time: String,
    kind: String,
    classes: String,
    customer: Option<String>,
}

struct CalDay {
    date: NaiveDate,
    number: u32,
    weekday: String,
    in_month: bool,
    today: bool,
    items: Vec<CalItem>,
}

#[derive(Template)]
#[template(path = "tasks/calendar.html")]
struct CalendarPage {
    ctx: PageCtx,
    week_view: bool,
    title: String,
    weekdays: Vec<String>,
    weeks: Vec<Vec<CalDay>>,
    prev: String,
    next: String,
    today_link: String,
    month_link: String,
    week_link: String,
    people: Vec<(i64, String)>,
    user_id: Option<i64>,
    can_create: bool,
    empty: bool,
}

impl CalendarPage {
    fn person_selected(&self, id: &i64) -> bool {
        self.user_id == Some(*id)
    }
}

const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn item(ctx: &PageCtx, e: CalendarEvent) -> CalItem {
    let mut classes = vec![format!("ev-{}", e.kind)];
    if e.overdue {
        classes.push("overdue".into());
    }
    if e.done {
        classes.push("done".into());
    }
    let time = if e.kind == "task" && e.end.is_some_and(|due| due != e.at) {
        // Due after the range shown: it appears where it starts.
        ctx.t("calendar.starts")
    } else if e.kind == "task" && ctx.settings.local_input(e.at).ends_with("T23:59") {
        String::new()
    } else {
        ctx.time_of(&e.at)
    };
    CalItem {
        href: e.link,
        kind: ctx.t(&format!("calendar.kinds.{}", e.kind)),
        time,
        classes: classes.join(" "),
        customer: e.customer_name,
        title: e.title,
    }
}

async fn calendar_page(request: Page, Query(q): Query<CalendarQuery>) -> PageResult {
    let actor = request.actor();
    let ctx = request.ctx("/calendar").await;
    let today = ctx.settings.today();
    let anchor = q.date.as_deref().and_then(salesflow_domain::time::parse_day).unwrap_or(today);
    let week_view = q.view.as_deref() == Some("week");
    let monday = |d: NaiveDate| d - Duration::days(i64::from(d.weekday().num_days_from_monday()));
    let first_of_month = anchor.with_day(1).unwrap_or(anchor);
    let (from, to, prev, next) = if week_view {
        let from = monday(anchor);
        (from, from + Duration::days(6), from - Duration::days(7), from + Duration::days(7))
    } else {
        let next_month = first_of_month.checked_add_months(Months::new(1)).unwrap_or(first_of_month);
        let last = next_month.pred_opt().unwrap_or(first_of_month);
        let from = monday(first_of_month);
        let to = last + Duration::days(6 - i64::from(last.weekday().num_days_from_monday()));
        let prev = first_of_month.checked_sub_months(Months::new(1)).unwrap_or(first_of_month);
        (from, to, prev, next_month)
    };
    let events = tasks::calendar(request.store(), actor, q.user_id, from, to).await?;
    let empty = events.is_empty();
    let mut by_day: HashMap<NaiveDate, Vec<CalItem>> = HashMap::new();
    for e in events {
        let day = local_day(&ctx.settings, e.at);
        by_day.entry(day).or_default().push(item(&ctx, e));
    }
    let weekdays: Vec<String> = WEEKDAYS.iter().map(|d| ctx.t(&format!("calendar.weekdays.{d}"))).collect();
    let mut weeks = Vec::new();
    let mut day = from;
    while day <= to {
        let mut week = Vec::with_capacity(7);
        for weekday in &weekdays {
            week.push(CalDay {
                date: day,
                number: day.day(),
                weekday: weekday.clone(),
                in_month: week_view || day.month() == anchor.month(),
                today: day == today,
                items: by_day.remove(&day).unwrap_or_default(),
            });
            day += Duration::days(1);
        }
        weeks.push(week);
    }
    let title = if week_view {
        format!("{} – {}", ctx.settings.format_date(from), ctx.settings.format_date(to))
    } else {
        ctx.t("calendar.month_title")
            .replace("%{year}", &anchor.year().to_string())
            .replace("%{month}", &ctx.t(&format!("months.{}", anchor.month())))
            .replace("%{num}", &anchor.month().to_string())
    };
    let view = if week_view { "week" } else { "month" };
    let who = q.user_id.map(|u| format!("&user_id={u}")).unwrap_or_default();
    let link = |view: &str, d: NaiveDate| format!("/calendar?view={view}&date={}{who}", d.format("%Y-%m-%d"));
    let people = if actor.scope == DataScope::Own {
        Vec::new()
    } else {
        tasks::assignable_people(request.store(), actor).await.unwrap_or_default()
    };
    let page = CalendarPage {
        week_view,
        title,
        weekdays,
        weeks,
        prev: link(view, prev),
        next: link(view, next),
        today_link: link(view, today),
        month_link: link("month", anchor),
        week_link: link("week", anchor),
        people,
        user_id: q.user_id.or(actor.user_id),
        can_create: actor.can(Module::Customers, Action::Create),
        empty,
        ctx,
    };
    Ok(render(&page.ctx, &page))
}
