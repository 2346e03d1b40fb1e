//! The quote page and its actions (send, approve / reject the approval for
//! the step's approver, accept — making the sales order and offering to
//! mark the opportunity won — reject, delete), the printable page, an old
//! version as it was, and two versions compared.

use askama::Template;
use axum::extract::{Form, Path, Query};
use axum::response::Response;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::quotes::QuoteStatus;
use salesflow_store::StoreError;
use salesflow_store::quotes::{self, QuoteComparison, QuoteVersionView, QuoteView};
use serde::Deserialize;

use super::super::page::Page;
use super::super::{FormErrors, PageCtx, redirect_flash, render};
use crate::error::page::PageResult;

#[derive(Template)]
#[template(path = "quotes/show.html")]
pub(super) struct ShowPage {
    ctx: PageCtx,
    q: QuoteView,
    errors: FormErrors,
    versions: Vec<QuoteVersionView>,
    can_edit: bool,
    can_send: bool,
    can_answer: bool,
    can_delete: bool,
    new_version: bool,
    /// After an accepted quote whose opportunity was not marked won: why.
    win_refused: Option<WinRefused>,
}

pub(super) struct WinRefused {
    order_id: i64,
    order_number: String,
    reason: String,
    unmet: Vec<String>,
}

async fn show(request: &Page, id: i64, errors: FormErrors, win_refused: Option<WinRefused>) -> PageResult<ShowPage> {
    let (store, actor) = (request.store(), request.actor());
    let q = quotes::get(store, actor, id).await?;
    let versions = quotes::versions(store, actor, id).await?;
    let status = QuoteStatus::parse(&q.status).unwrap_or(QuoteStatus::Draft);
    let can_edit = actor.can(Module::Quotes, Action::Edit);
    Ok(ShowPage {
        ctx: request.ctx("/quotes").await,
        can_send: can_edit && matches!(status, QuoteStatus::Draft | QuoteStatus::Approved),
        can_answer: can_edit && matches!(status, QuoteStatus::Sent | QuoteStatus::Expired),
        can_delete: actor.can(Module::Quotes, Action::Delete) && status == QuoteStatus::Draft,
        new_version: matches!(status, QuoteStatus::Sent | QuoteStatus::Expired),
        can_edit: can_edit
            && matches!(status, QuoteStatus::Draft | QuoteStatus::Approved | QuoteStatus::Sent | QuoteStatus::Expired),
        q,
        errors,
        versions,
        win_refused,
    })
}

pub(super) async fn show_page(request: Page, Path(id): Path<i64>) -> PageResult {
    let p = show(&request, id, FormErrors::default(), None).await?;
    Ok(render(&p.ctx, &p))
}

pub(super) async fn act(
    request: Page,
    Path((id, action)): Path<(i64, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let (store, actor) = (request.store(), request.actor());
    let value = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let comment = Some(value("comment")).filter(|c| !c.trim().is_empty());
    let result = match action.as_str() {
        "send" => quotes::send(store, actor, id).await,
        "approve" => quotes::approve(store, actor, id, comment.as_deref()).await,
        "reject-approval" => quotes::reject_approval(store, actor, id, comment.as_deref()).await,
        "reject" => quotes::reject(store, actor, id).await,
        "delete" => {
            return match request.saved(quotes::delete(store, actor, id).await)? {
                Ok(()) => Ok(redirect_flash("/quotes", "quotes.flash.deleted")),
                Err(refused) => refused_page(&request, id, refused).await,
            };
        }
        "accept" => {
            let win = !value("win").is_empty();
            return match request.saved(quotes::accept(store, actor, id, win).await)? {
                Ok(done) if done.win_refused.is_none() => {
                    Ok(redirect_flash(&format!("/orders/{}", done.order_id), "quotes.flash.accepted"))
                }
                Ok(done) => {
                    let reason = done.win_refused.unwrap_or_default();
                    let refused = WinRefused {
                        order_id: done.order_id,
                        order_number: done.order_number,
                        reason: request.ctx("/quotes").await.t(&format!("quotes.win_refused_reasons.{reason}")),
                        unmet: done.win_unmet,
                    };
                    let p = show(&request, id, FormErrors::default(), Some(refused)).await?;
                    Ok(render(&p.ctx, &p))
                }
                Err(refused) => refused_page(&request, id, refused).await,
            };
        }
        _ => return Err(StoreError::NotFound.into()),
    };
    match request.saved(result)? {
        Ok(q) => Ok(redirect_flash(&format!("/quotes/{}", q.id), "flash.saved")),
        Err(refused) => refused_page(&request, id, refused).await,
    }
}

async fn refused_page(request: &Page, id: i64, refused: super::super::page::Refused) -> PageResult {
    let p = show(request, id, refused.errors, None).await?;
    let mut response: Response = render(&p.ctx, &p);
    *response.status_mut() = refused.status;
    Ok(response)
}

// ---------------------------------------------------------------- print

#[derive(Template)]
#[template(path = "quotes/print.html")]
struct PrintPage {
    ctx: PageCtx,
    q: QuoteView,
}

pub(super) async fn print_page(request: Page, Path(id): Path<i64>) -> PageResult {
    let q = quotes::get(request.store(), request.actor(), id).await?;
    let p = PrintPage { ctx: request.ctx("/quotes").await, q };
    Ok(render(&p.ctx, &p))
}

// ---------------------------------------------------------------- versions

#[derive(Template)]
#[template(path = "quotes/version.html")]
struct VersionPage {
    ctx: PageCtx,
    q: QuoteView,
    v: QuoteVersionView,
}

pub(super) async fn version_page(request: Page, Path((id, revision)): Path<(i64, i32)>) -> PageResult {
    let (store, actor) = (request.store(), request.actor());
    let q = quotes::get(store, actor, id).await?;
    let v = quotes::versions(store, actor, id)
        .await?
        .into_iter()
        .find(|v| v.revision == revision)
        .ok_or(StoreError::NotFound)?;
    let p = VersionPage { ctx: request.ctx("/quotes").await, q, v };
    Ok(render(&p.ctx, &p))
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct CompareQuery {
    from: Option<String>,
    to: Option<String>,
}

#[derive(Template)]
#[template(path = "quotes/compare.html")]
struct ComparePage {
    ctx: PageCtx,
    q: QuoteView,
    c: QuoteComparison,
    revisions: Vec<i32>,
}

impl ComparePage {
    fn changed(&self, name: &str) -> bool {
        self.c.totals_changed.iter().any(|t| t == name)
    }
}

pub(super) async fn compare_page(request: Page, Path(id): Path<i64>, Query(query): Query<CompareQuery>) -> PageResult {
    let (store, actor) = (request.store(), request.actor());
    let q = quotes::get(store, actor, id).await?;
    let number = |s: &Option<String>| s.as_deref().and_then(|s| s.trim().parse::<i32>().ok());
    let to = number(&query.to).unwrap_or(q.revision);
    let from = number(&query.from).unwrap_or((to - 1).max(1));
    let c = quotes::compare(store, actor, id, from, to).await?;
    let p = ComparePage { ctx: request.ctx("/quotes").await, revisions: (1..=q.revision).collect(), q, c };
    Ok(render(&p.ctx, &p))
}
