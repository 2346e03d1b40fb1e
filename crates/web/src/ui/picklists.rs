//! The picklists page (客户选项): industry, source and customer type, each
//! choice with its code, labels in both languages, order and whether it is
//! offered. For those who edit the settings.

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use salesflow_domain::access::{Action, Module};
use salesflow_domain::records::Picklist;
use salesflow_store::picklists::{self, EntryInput, PicklistEntry, Picklists};

use super::page::Page;
use super::{FormErrors, PageCtx, redirect_flash, render};
use crate::error::page::PageResult;
use crate::server::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/picklists", get(picklists_page).post(create))
        .route("/admin/picklists/{id}", post(update))
}

/// The form of one choice (a row of the page, or the new one of a list).
#[derive(Debug, Default, Clone, serde::Deserialize)]
struct EntryForm {
    #[serde(default)]
    list: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    label_zh: String,
    #[serde(default)]
    label_en: String,
    #[serde(default)]
    position: String,
    /// The checkbox: present when ticked.
    #[serde(default)]
    active: Option<String>,
    #[serde(default)]
    version: i64,
}

impl EntryForm {
    fn input(&self) -> EntryInput {
        EntryInput {
            code: self.code.clone(),
            label_zh: self.label_zh.clone(),
            label_en: self.label_en.clone(),
            position: self.position.trim().parse().ok(),
            active: self.active.is_some(),
        }
    }

    fn of(e: &PicklistEntry) -> EntryForm {
        EntryForm {
            list: e.list.clone(),
            code: e.code.clone(),
            label_zh: e.label_zh.clone(),
            label_en: e.label_en.clone(),
            position: e.position.to_string(),
            active: e.active.then(|| "1".to_owned()),
            version: e.version,
        }
    }
}

/// A row that was refused: which one (`0` with its list: a new choice),
/// what was typed, and why.
struct Refusal {
    id: i64,
    list: String,
    form: EntryForm,
    errors: FormErrors,
}

/// One row of the page: the choice's id (0: the new one), list, form, errors.
type Row = (i64, EntryForm, FormErrors);

#[derive(Template)]
#[template(path = "settings/picklists.html")]
struct PicklistsPage {
    ctx: PageCtx,
    /// Each list: its code and rows, the last one the empty new choice.
    lists: Vec<(&'static str, Vec<Row>)>,
}

async fn show(request: &Page, lists: Picklists, refusal: Option<Refusal>, status: StatusCode) -> Response {
    let ctx = request.ctx("/admin/picklists").await;
    let lists = Picklist::ALL
        .into_iter()
        .map(|list| {
            let mut rows: Vec<Row> = lists
                .of(list)
                .map(|e| match &refusal {
                    Some(r) if r.id == e.id => (e.id, r.form.clone(), FormErrors(r.errors.0.clone())),
                    _ => (e.id, EntryForm::of(e), FormErrors::default()),
                })
                .collect();
            let new = match &refusal {
                Some(r) if r.id == 0 && r.list == list.code() => (0, r.form.clone(), FormErrors(r.errors.0.clone())),
                _ => (0, EntryForm { active: Some("1".into()), ..Default::default() }, FormErrors::default()),
            };
            rows.push(new);
            (list.code(), rows)
        })
        .collect();
    let page = PicklistsPage { ctx, lists };
    (status, render(&page.ctx, &page)).into_response()
}

async fn picklists_page(request: Page) -> PageResult {
    request.actor().require(Module::Settings, Action::Edit)?;
    let lists = picklists::all(request.store()).await?;
    Ok(show(&request, lists, None, StatusCode::OK).await)
}

async fn create(request: Page, Form(form): Form<EntryForm>) -> PageResult {
    let result = picklists::create(request.store(), request.actor(), &form.list, form.input()).await;
    match request.saved(result)? {
        Ok(_) => Ok(redirect_flash(&format!("/admin/picklists#list-{}", form.list), "flash.saved")),
        Err(refused) => {
            let lists = picklists::all(request.store()).await?;
            let refusal = Refusal { id: 0, list: form.list.clone(), form, errors: refused.errors };
            Ok(show(&request, lists, Some(refusal), refused.status).await)
        }
    }
}

async fn update(request: Page, Path(id): Path<i64>, Form(form): Form<EntryForm>) -> PageResult {
    let result = picklists::update(request.store(), request.actor(), id, form.version, form.input()).await;
    match request.saved(result)? {
        Ok(e) => Ok(redirect_flash(&format!("/admin/picklists#list-{}", e.list), "flash.saved")),
        Err(refused) => {
            let lists = picklists::all(request.store()).await?;
            let refusal = Refusal { id, list: form.list.clone(), form, errors: refused.errors };
            Ok(show(&request, lists, Some(refusal), refused.status).await)
        }
    }
}
