//! Import pages: the history, the upload form, the column mapping with the
//! duplicate choice, and the job page whose progress htmx polls every
//! second (dry-run report, cancel, rejected rows, links when done).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Multipart, Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::imports::{DuplicateMode, Status, Target};
use salesflow_store::StoreError;
use salesflow_store::imports::{self, ImportView, Preview, RowError, StartInput};
use salesflow_store::paging::PageRequest;
use serde::Deserialize;

use super::page::Page;
use super::{FormErrors, PageCtx, error_page, render};
use crate::auth::Session;
use crate::error::page::PageResult;
use crate::jobs::imports::{receive, register, report_download, spawn_run, target_of};
use crate::server::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/imports", get(list_page).post(upload).layer(axum::extract::DefaultBodyLimit::disable()))
        .route("/imports/new", get(new_page))
        .route("/imports/{id}", get(show))
        .route("/imports/{id}/progress", get(progress))
        .route("/imports/{id}/mapping", get(mapping_page))
        .route("/imports/{id}/start", post(start))
        .route("/imports/{id}/run", post(run_after_dry_run))
        .route("/imports/{id}/cancel", post(cancel))
        .route("/imports/{id}/rejected.csv", get(rejected))
}

/// The targets this user may import into.
fn targets(session: &Session) -> Vec<Target> {
    let actor = &session.actor;
    Target::ALL
        .into_iter()
        .filter(|t| match t {
            Target::Customers | Target::Leads => actor.can(Module::Customers, Action::Create),
            Target::Contacts => actor.can(Module::Customers, Action::Edit),
        })
        .collect()
}

/// The key of a text that differs by target. The leads' texts have their
/// own locale section, `lead_import`, rather than an entry in each group.
fn per_target(group: &str, code: &str) -> String {
    if code == Target::Leads.code() { format!("lead_import.{group}") } else { format!("imports.{group}.{code}") }
}

/// Helpers the import templates share.
pub struct ImportText<'a>(&'a PageCtx);

impl ImportText<'_> {
    pub fn target(&self, code: &str) -> String {
        self.0.t(&per_target("targets", code))
    }

    pub fn status(&self, code: &str) -> String {
        self.0.t(&format!("imports.statuses.{code}"))
    }

    pub fn field(&self, target: &str, field: &str) -> String {
        self.0.t(&format!("{}.{field}", per_target("fields", target)))
    }

    /// `imports.<group>.<code>` (for leads `lead_import.<group>`).
    pub fn key(&self, group: &str, code: &str) -> String {
        self.0.t(&per_target(group, code))
    }

    /// The column a bad row's error is about; the field's name when no
    /// column holds it (a disqualified lead whose file has no reason column).
    pub fn column(&self, target: &str, e: &RowError) -> String {
        let unmapped = e.column == e.field && Target::parse(target).and_then(|t| t.field(&e.field)).is_some();
        if unmapped { self.field(target, &e.field) } else { e.column.clone() }
    }

    pub fn reason(&self, e: &RowError) -> String {
        crate::i18n::field_message(&self.0.locale, &e.field_error())
    }
}

fn status_badge(status: &str) -> &'static str {
    match Status::parse(status) {
        Some(Status::Done) => "green",
        Some(Status::Failed) => "red",
        Some(Status::Running | Status::Queued) => "blue",
        _ => "gray",
    }
}

// ---------------------------------------------------------------- list

#[derive(Deserialize, Default)]
struct ListQuery {
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "imports/list.html")]
struct ListPage {
    ctx: PageCtx,
    jobs: Vec<ImportView>,
    next_url: Option<String>,
    can_import: bool,
}

impl ListPage {
    fn text(&self) -> ImportText<'_> {
        ImportText(&self.ctx)
    }

    fn badge(&self, status: &str) -> &'static str {
        status_badge(status)
    }

    fn running(&self, status: &str) -> bool {
        Status::parse(status) == Some(Status::Running)
    }
}

async fn list_page(request: Page, Query(q): Query<ListQuery>) -> PageResult {
    let req = PageRequest { limit: Some(50), cursor: q.cursor, sort: None };
    let page = imports::list(request.store(), request.actor(), &req).await?;
    let ctx = request.ctx("/imports").await;
    let next_url = page.next_cursor.map(|c| format!("/imports?cursor={c}"));
    let page = ListPage { ctx, jobs: page.items, next_url, can_import: !targets(&request.session).is_empty() };
    Ok(render(&page.ctx, &page))
}

// ---------------------------------------------------------------- upload

#[derive(Deserialize, Default)]
struct NewQuery {
    target: Option<String>,
}

#[derive(Template)]
#[template(path = "imports/new.html")]
struct NewPage {
    ctx: PageCtx,
    targets: Vec<Target>,
    target: String,
    errors: FormErrors,
    max_mb: u64,
}

impl NewPage {
    fn text(&self) -> ImportText<'_> {
        ImportText(&self.ctx)
    }

    fn file_hint(&self) -> String {
        self.ctx.t("imports.file_hint").replace("%{max}", &self.max_mb.to_string())
    }
}

async fn new_form(request: &Page, target: String, errors: FormErrors) -> PageResult {
    let allowed = targets(&request.session);
    if allowed.is_empty() {
        return Err(StoreError::Forbidden.into());
    }
    let ctx = request.ctx("/imports").await;
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let max_mb = request.state.config.upload_max_bytes / (1024 * 1024);
    let page = NewPage { ctx, targets: allowed, target, errors, max_mb };
    Ok((status, render(&page.ctx, &page)).into_response())
}

async fn new_page(request: Page, Query(q): Query<NewQuery>) -> PageResult {
    let target = q.target.unwrap_or_else(|| "customers".into());
    new_form(&request, target, FormErrors::default()).await
}

/// The upload form posts here (multipart; the CSRF field comes first).
async fn upload(
    request: Page,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> PageResult {
    let Ok(multipart) = multipart else {
        let errors = FormErrors::one(request.locale(), "file", "upload_failed");
        return new_form(&request, "customers".into(), errors).await;
    };
    let received = receive(&request.state, multipart, &["target"], Some(&request.meta.csrf_token)).await;
    let upload = match received {
        Ok(u) => u,
        Err(invalid) if invalid.0.iter().any(|e| e.field == crate::auth::CSRF_FIELD) => {
            return Ok(error_page(request.locale(), StatusCode::FORBIDDEN, "errors.csrf_page"));
        }
        Err(invalid) => {
            let errors = FormErrors::from_invalid(request.locale(), &invalid);
            return new_form(&request, "customers".into(), errors).await;
        }
    };
    let target_text = upload.text("target").unwrap_or("customers").to_owned();
    let target = match target_of(upload.text("target")) {
        Ok(t) => t,
        Err(invalid) => {
            upload.discard().await;
            let errors = FormErrors::from_invalid(request.locale(), &invalid);
            return new_form(&request, target_text, errors).await;
        }
    };
    Ok(match register(&request.state, request.actor(), &upload, target).await {
        Ok(draft) => Redirect::to(&format!("/imports/{}/mapping", draft.id)).into_response(),
        Err(StoreError::Invalid(invalid)) => {
            let errors = FormErrors::from_invalid(request.locale(), &invalid);
            new_form(&request, target_text, errors).await?
        }
        Err(e) => return Err(e.into()),
    })
}

// ---------------------------------------------------------------- mapping

#[derive(Template)]
#[template(path = "imports/mapping.html")]
struct MappingPage {
    ctx: PageCtx,
    preview: Preview,
    /// Chosen field per column (what the user picked, or the suggestion).
    chosen: Vec<String>,
    duplicates: String,
    errors: FormErrors,
}

impl MappingPage {
    fn text(&self) -> ImportText<'_> {
        ImportText(&self.ctx)
    }

    /// Sample values on one line (phone width), blanks left out.
    fn samples_line(&self, samples: &[String]) -> String {
        samples.iter().filter(|s| !s.is_empty()).cloned().collect::<Vec<_>>().join(" · ")
    }

    fn chosen(&self, column: &usize) -> &str {
        self.chosen.get(*column).map(String::as_str).unwrap_or("")
    }
}

async fn mapping_form(
    request: &Page,
    preview: Preview,
    chosen: Option<(Vec<String>, String)>,
    errors: FormErrors,
) -> Response {
    let ctx = request.ctx("/imports").await;
    let (chosen, duplicates) = chosen.unwrap_or_else(|| {
        let fields = preview.columns.iter().map(|c| c.field.clone().unwrap_or_default()).collect();
        (fields, preview.import.duplicates.clone())
    });
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = MappingPage { ctx, preview, chosen, duplicates, errors };
    (status, render(&page.ctx, &page)).into_response()
}

async fn mapping_page(request: Page, Path(id): Path<i64>) -> PageResult {
    let preview = imports::preview(request.store(), request.actor(), id).await?;
    Ok(mapping_form(&request, preview, None, FormErrors::default()).await)
}

/// `col_<n>` = field per column, `duplicates`, and `action` (`dry_run` or `import`).
async fn start(request: Page, Path(id): Path<i64>, Form(form): Form<Vec<(String, String)>>) -> PageResult {
    let preview = imports::preview(request.store(), request.actor(), id).await?;
    let value = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned());
    let chosen: Vec<String> =
        (0..preview.columns.len()).map(|i| value(&format!("col_{i}")).unwrap_or_default()).collect();
    let duplicates_text = value("duplicates").unwrap_or_else(|| "skip".into());
    let mapping: BTreeMap<String, String> = preview
        .columns
        .iter()
        .zip(&chosen)
        .filter(|(_, f)| !f.is_empty())
        .map(|(c, f)| (c.header.clone(), f.clone()))
        .collect();
    let result = match DuplicateMode::parse(&duplicates_text) {
        None => Err(StoreError::Invalid(Invalid::one("duplicates", "invalid_choice"))),
        Some(duplicates) => {
            let dry_run = value("action").as_deref() != Some("import");
            imports::start(
                request.store(),
                request.actor(),
                id,
                StartInput { mapping: Some(mapping), duplicates, dry_run },
            )
            .await
        }
    };
    Ok(match result {
        Ok(job) => {
            spawn_run(&request.state, request.actor().clone(), job.id, request.locale());
            Redirect::to(&format!("/imports/{}", job.id)).into_response()
        }
        Err(StoreError::Invalid(invalid)) => {
            let errors = FormErrors::from_invalid(request.locale(), &invalid);
            mapping_form(&request, preview, Some((chosen, duplicates_text)), errors).await
        }
        Err(StoreError::Conflict(_)) => Redirect::to(&format!("/imports/{id}")).into_response(),
        Err(e) => return Err(e.into()),
    })
}

/// "Import now" after a dry run: the same file, mapping and duplicate choice.
async fn run_after_dry_run(request: Page, Path(id): Path<i64>) -> PageResult {
    let job = imports::get(request.store(), request.actor(), id).await?;
    let duplicates = DuplicateMode::parse(&job.duplicates).unwrap_or(DuplicateMode::Skip);
    let input = StartInput { mapping: Some(job.mapping.clone()), duplicates, dry_run: false };
    Ok(match imports::start(request.store(), request.actor(), id, input).await {
        Ok(next) => {
            spawn_run(&request.state, request.actor().clone(), next.id, request.locale());
            Redirect::to(&format!("/imports/{}", next.id)).into_response()
        }
        Err(StoreError::Invalid(_) | StoreError::Conflict(_)) => {
            Redirect::to(&format!("/imports/{id}/mapping")).into_response()
        }
        Err(e) => return Err(e.into()),
    })
}

// ---------------------------------------------------------------- job page

#[derive(Template)]
#[template(path = "imports/status.html")]
struct StatusPart {
    ctx: PageCtx,
    job: ImportView,
}

impl StatusPart {
    fn text(&self) -> ImportText<'_> {
        ImportText(&self.ctx)
    }

    fn badge(&self) -> &'static str {
        status_badge(&self.job.status)
    }

    fn active(&self) -> bool {
        self.job.status().is_active()
    }

    fn finished(&self) -> bool {
        self.job.status().is_finished()
    }

    fn done(&self) -> bool {
        self.job.status() == Status::Done
    }

    fn failed(&self) -> bool {
        self.job.status() == Status::Failed
    }

    fn list_link(&self) -> String {
        format!("/{}", self.job.target)
    }

    fn more_errors(&self) -> bool {
        self.job.rejected > self.job.sample_errors.len() as i64
    }
}

#[derive(Template)]
#[template(path = "imports/show.html")]
struct ShowPage {
    ctx: PageCtx,
    status: StatusPart,
}

impl ShowPage {
    fn text(&self) -> ImportText<'_> {
        ImportText(&self.ctx)
    }
}

async fn show(request: Page, Path(id): Path<i64>) -> PageResult {
    let job = imports::get(request.store(), request.actor(), id).await?;
    if job.status() == Status::Draft {
        return Ok(Redirect::to(&format!("/imports/{id}/mapping")).into_response());
    }
    let ctx = request.ctx("/imports").await;
    let page = ShowPage { status: StatusPart { ctx: ctx.clone(), job }, ctx };
    Ok(render(&page.ctx, &page))
}

/// The status part alone, polled by htmx while the job runs.
async fn progress(request: Page, Path(id): Path<i64>) -> PageResult {
    Ok(match imports::get(request.store(), request.actor(), id).await {
        Ok(job) => {
            let ctx = request.ctx("/imports").await;
            let part = StatusPart { ctx, job };
            render(&part.ctx, &part)
        }
        Err(e) => return Err(e.into()),
    })
}

async fn cancel(request: Page, Path(id): Path<i64>) -> PageResult {
    Ok(match imports::cancel(request.store(), request.actor(), id).await {
        Ok(_) | Err(StoreError::Conflict(_)) => Redirect::to(&format!("/imports/{id}")).into_response(),
        Err(e) => return Err(e.into()),
    })
}

async fn rejected(request: Page, Path(id): Path<i64>) -> PageResult {
    let path = imports::report(request.store(), request.actor(), id).await?;
    Ok(report_download(&path, id).await?)
}
