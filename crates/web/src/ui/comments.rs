//! The comments of a customer or a deal on its page: the list (newest
//! first), the comment box with the @ picker, edit and delete of one's own.
//! With htmx the section is replaced in place (with its field errors);
//! without, each form posts and comes back to the record's page.

use askama::Template;
use axum::extract::Path;
use axum::response::{Html, IntoResponse};
use axum::routing::post;
use axum::{Form, Router};
use salesflow_domain::Invalid;
use salesflow_domain::comments::{BODY_MAX, Subject};
use salesflow_store::StoreError;
use salesflow_store::comments::{self, CommentView};
use salesflow_store::paging::PageRequest;

use super::page::Page;
use super::{FormErrors, PageCtx, redirect_flash};
use crate::error::page::PageResult;
use crate::server::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/customers/{id}/comments", post(create_on_customer))
        .route("/opportunities/{id}/comments", post(create_on_opportunity))
        .route("/comments/{id}/edit", post(edit))
        .route("/comments/{id}/delete", post(delete))
}

#[derive(Template)]
#[template(path = "comments/section.html")]
pub struct Discussion {
    pub ctx: PageCtx,
    /// `customers` or `opportunities`: the record's address.
    pub area: &'static str,
    pub subject_id: i64,
    pub comments: Vec<CommentView>,
    /// Whom the picker offers: id, name.
    pub people: Vec<(i64, String)>,
    /// What the box holds (kept after an error).
    pub body: String,
    pub errors: FormErrors,
    /// The comment whose edit was refused, with what was typed.
    pub editing: Option<(i64, String)>,
    pub max: usize,
}

fn area(kind: Subject) -> &'static str {
    match kind {
        Subject::Customer => "customers",
        Subject::Opportunity => "opportunities",
    }
}

impl Discussion {
    /// The section of a record the caller can read.
    pub async fn load(request: &Page, ctx: PageCtx, kind: Subject, id: i64) -> Result<Discussion, StoreError> {
        let page = PageRequest { limit: Some(100), ..Default::default() };
        let comments = comments::list(request.store(), request.actor(), kind, id, &page).await?.items;
        let people = comments::mentionable(request.store(), request.actor()).await?;
        Ok(Discussion {
            ctx,
            area: area(kind),
            subject_id: id,
            comments,
            people,
            body: String::new(),
            errors: FormErrors::default(),
            editing: None,
            max: BODY_MAX,
        })
    }

    /// The section as HTML, for the record's page.
    pub fn html(&self) -> String {
        self.render().unwrap_or_else(|e| {
            tracing::error!(error = %e, "comments template failed");
            String::new()
        })
    }

    /// The text a comment's edit box shows.
    pub fn edit_text(&self, c: &CommentView) -> String {
        match &self.editing {
            Some((id, text)) if *id == c.id => text.clone(),
            _ => c.body.clone(),
        }
    }

    pub fn edit_refused(&self, c: &CommentView) -> bool {
        matches!(&self.editing, Some((id, _)) if *id == c.id)
    }
}

#[derive(serde::Deserialize)]
struct CommentForm {
    #[serde(default)]
    body: String,
    #[serde(default)]
    version: i64,
}

fn back(kind: Subject, id: i64) -> String {
    format!("/{}/{id}#comments", area(kind))
}

/// After a write: the fresh section for htmx (errors in it), else back to the page.
async fn answer(
    request: &Page,
    kind: Subject,
    id: i64,
    refused: Option<(Invalid, String, Option<i64>)>,
    done_flash: &str,
) -> PageResult {
    if !request.meta.is_htmx {
        let flash = if refused.is_some() { "flash.comment_refused" } else { done_flash };
        return Ok(redirect_flash(&back(kind, id), flash));
    }
    let ctx = request.ctx(&format!("/{}", area(kind))).await;
    let mut section = Discussion::load(request, ctx, kind, id).await?;
    if let Some((invalid, text, editing)) = refused {
        section.errors = FormErrors::from_invalid(request.locale(), &invalid);
        match editing {
            Some(comment) => section.editing = Some((comment, text)),
            None => section.body = text,
        }
    }
    Ok(Html(section.html()).into_response())
}

async fn create(request: Page, kind: Subject, id: i64, form: CommentForm) -> PageResult {
    match comments::create(request.store(), request.actor(), kind, id, &form.body).await {
        Ok(_) => answer(&request, kind, id, None, "flash.comment_added").await,
        Err(StoreError::Invalid(invalid)) => answer(&request, kind, id, Some((invalid, form.body, None)), "").await,
        Err(e) => Err(e.into()),
    }
}

async fn create_on_customer(request: Page, Path(id): Path<i64>, Form(form): Form<CommentForm>) -> PageResult {
    create(request, Subject::Customer, id, form).await
}

async fn create_on_opportunity(request: Page, Path(id): Path<i64>, Form(form): Form<CommentForm>) -> PageResult {
    create(request, Subject::Opportunity, id, form).await
}

async fn edit(request: Page, Path(comment_id): Path<i64>, Form(form): Form<CommentForm>) -> PageResult {
    let c = comments::get(request.store(), request.actor(), comment_id).await?;
    let kind = Subject::parse(&c.subject_type).ok_or(StoreError::NotFound)?;
    match comments::update(request.store(), request.actor(), comment_id, form.version, &form.body).await {
        Ok(_) => answer(&request, kind, c.subject_id, None, "flash.saved").await,
        Err(StoreError::Invalid(invalid)) => {
            answer(&request, kind, c.subject_id, Some((invalid, form.body, Some(comment_id))), "").await
        }
        Err(StoreError::Conflict(_)) => {
            let invalid = Invalid::one("version", "stale_version");
            answer(&request, kind, c.subject_id, Some((invalid, form.body, Some(comment_id))), "").await
        }
        Err(e) => Err(e.into()),
    }
}

async fn delete(request: Page, Path(comment_id): Path<i64>) -> PageResult {
    let c = comments::get(request.store(), request.actor(), comment_id).await?;
    let kind = Subject::parse(&c.subject_type).ok_or(StoreError::NotFound)?;
    comments::delete(request.store(), request.actor(), comment_id).await?;
    answer(&request, kind, c.subject_id, None, "flash.comment_deleted").await
}
