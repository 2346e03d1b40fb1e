//! Quotes (报价): drafts, their lines and totals, versions and their
//! comparison, and the life cycle (`send`, `approve` / `reject-approval`
//! for the approval step's approver, and the customer's `accept` or
//! `reject`). Amounts, quantities and percents are decimal strings. A
//! quote follows its customer's data scope; the approvers of its pending
//! step read it too.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use salesflow_domain::quotes::QuoteStatus;
use salesflow_domain::{FieldError, Invalid};
use salesflow_store::quotes::{
    self, Accepted, QuoteComparison, QuoteFilter, QuoteInput, QuoteLineInput, QuoteSummary, QuoteVersionView, QuoteView,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::body::MergePatch;
use super::{ApiJson, ApiQuery, OptionalJson, OrApi, Page, PageParams};
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::server::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_quotes, create_quote))
        .routes(routes!(get_quote, update_quote, delete_quote))
        .routes(routes!(send_quote))
        .routes(routes!(approve_quote))
        .routes(routes!(reject_quote_approval))
        .routes(routes!(accept_quote))
        .routes(routes!(reject_quote))
        .routes(routes!(quote_versions))
        .routes(routes!(compare_quote_versions))
}

fn invalid(meta: &crate::auth::RequestMeta, errors: Vec<FieldError>) -> ApiError {
    ApiError::invalid(Invalid(errors)).in_locale(&meta.locale)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QuoteQuery {
    /// `draft`, `pending_approval`, `approved`, `sent` (still valid),
    /// `expired` (sent, past its validity), `accepted`, `rejected`.
    pub status: Option<String>,
    pub customer_id: Option<i64>,
    pub opportunity_id: Option<i64>,
    /// The quote a sales order was made from.
    pub order_id: Option<i64>,
}

/// Quotes in the caller's scope. Sort: `-id` (default), `id`, `number`,
/// `created_at` (each also descending with `-`).
#[utoipa::path(get, path = "/quotes", tag = "quotes", params(QuoteQuery, PageParams),
    responses((status = 200, body = Page<QuoteSummary>), (status = 422, body = Problem)))]
async fn list_quotes(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<QuoteQuery>,
    ApiQuery(paging): ApiQuery<PageParams>,
) -> ApiResult<Json<Page<QuoteSummary>>> {
    let status = match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            QuoteStatus::parse(s).ok_or_else(|| invalid(&meta, vec![FieldError::new("status", "invalid_choice")]))?,
        ),
    };
    let filter =
        QuoteFilter { status, customer_id: q.customer_id, opportunity_id: q.opportunity_id, order_id: q.order_id };
    Ok(Json(quotes::list(&state.store, &session.actor, &filter, &paging.page()).await.api(&meta)?.into()))
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteLineBody {
    pub product_id: i64,
    /// Decimal string, more than zero, up to three decimals.
    pub quantity: String,
    /// Decimal string, not negative; default: the price that applies to
    /// the customer today (its price list, else the list price).
    #[serde(default)]
    pub unit_price: Option<String>,
    /// Percent 0–100; default 0.
    #[serde(default)]
    pub discount_percent: Option<String>,
    /// Percent 0–100; default: the product's tax rate.
    #[serde(default)]
    pub tax_rate: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteBody {
    /// A customer owned by someone in the caller's scope.
    pub customer_id: i64,
    /// One of the customer's contacts.
    #[serde(default)]
    pub contact_id: Option<i64>,
    /// One of the customer's deals.
    #[serde(default)]
    pub opportunity_id: Option<i64>,
    /// `YYYY-MM-DD`, today or later; default: 30 days from today.
    #[serde(default)]
    pub valid_until: Option<String>,
    #[serde(default)]
    pub notes: String,
    /// Payment and delivery terms printed on the quote.
    #[serde(default)]
    pub terms: String,
    /// At least one line.
    pub lines: Vec<QuoteLineBody>,
    /// Required when updating.
    #[serde(default)]
    pub version: Option<i64>,
}

impl QuoteBody {
    fn input(&self, meta: &crate::auth::RequestMeta) -> ApiResult<QuoteInput> {
        let valid_until = match self.valid_until.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(
                salesflow_domain::time::parse_day(s)
                    .ok_or_else(|| invalid(meta, vec![FieldError::new("valid_until", "invalid_date")]))?,
            ),
        };
        Ok(QuoteInput {
            customer_id: self.customer_id,
            contact_id: self.contact_id,
            opportunity_id: self.opportunity_id,
            valid_until,
            notes: self.notes.clone(),
            terms: self.terms.clone(),
            lines: self
                .lines
                .iter()
                .map(|l| QuoteLineInput {
                    product_id: l.product_id,
                    quantity: l.quantity.clone(),
                    unit_price: l.unit_price.clone(),
                    discount_percent: l.discount_percent.clone(),
                    tax_rate: l.tax_rate.clone(),
                })
                .collect(),
        })
    }
}

/// Creates a draft (v1) with its number (`QT-YYYY-NNNNNN`); totals from
/// the lines, computed by the server.
#[utoipa::path(post, path = "/quotes", tag = "quotes", request_body = QuoteBody,
    responses((status = 201, body = QuoteView), (status = 422, body = Problem)))]
async fn create_quote(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiJson(body): ApiJson<QuoteBody>,
) -> ApiResult<(StatusCode, Json<QuoteView>)> {
    let input = body.input(&meta)?;
    let q = quotes::create(&state.store, &session.actor, input).await.api(&meta)?;
    Ok((StatusCode::CREATED, Json(q)))
}

/// A quote (its current version) with its lines and approval history.
#[utoipa::path(get, path = "/quotes/{id}", tag = "quotes", params(("id" = i64, Path)),
    responses((status = 200, body = QuoteView), (status = 404, body = Problem)))]
async fn get_quote(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<QuoteView>> {
    Ok(Json(quotes::get(&state.store, &session.actor, id).await.api(&meta)?))
}

/// Changes a quote (merge patch; `lines` replaces all lines); `version` as
/// last read. A draft changes in place (an approved quote not yet sent
/// goes back to draft); a sent or expired quote gets a new version
/// (`revision` + 1) as a draft, the sent one kept readable.
#[utoipa::path(patch, path = "/quotes/{id}", tag = "quotes", params(("id" = i64, Path)), request_body = QuoteBody,
    responses((status = 200, body = QuoteView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn update_quote(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    patch: MergePatch,
) -> ApiResult<Json<QuoteView>> {
    let q = quotes::get(&state.store, &session.actor, id).await.api(&meta)?;
    let lines: Vec<QuoteLineBody> = q
        .lines
        .iter()
        .map(|l| QuoteLineBody {
            product_id: l.product_id,
            quantity: l.quantity.clone(),
            unit_price: Some(l.unit_price.clone()),
            discount_percent: Some(l.discount_percent.clone()),
            tax_rate: Some(l.tax_rate.clone()),
        })
        .collect();
    let base = serde_json::json!({
        "customer_id": q.customer_id, "contact_id": q.contact_id, "opportunity_id": q.opportunity_id,
        "valid_until": q.valid_until.to_string(), "notes": q.notes, "terms": q.terms, "lines": lines,
    });
    let body: QuoteBody = patch.apply(base, &meta.locale)?;
    let version = body.version.ok_or_else(|| invalid(&meta, vec![FieldError::new("version", "required")]))?;
    let input = body.input(&meta)?;
    Ok(Json(quotes::update(&state.store, &session.actor, id, version, input).await.api(&meta)?))
}

/// Deletes a draft (409 for a quote in any other state).
#[utoipa::path(delete, path = "/quotes/{id}", tag = "quotes", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn delete_quote(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    quotes::delete(&state.store, &session.actor, id).await.api(&meta)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sends a draft (or an approved quote) to the customer. When the approval
/// rules for quotes match (a discount at or above a rule's threshold, an
/// amount), it waits for its approvers first (`pending_approval`), and is
/// sent with another `send` once approved. 422 `quote_expired` on
/// `valid_until` past the validity date.
#[utoipa::path(post, path = "/quotes/{id}/send", tag = "quotes", params(("id" = i64, Path)),
    responses((status = 200, body = QuoteView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn send_quote(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<QuoteView>> {
    Ok(Json(quotes::send(&state.store, &session.actor, id).await.api(&meta)?))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteDecisionBody {
    /// Required to reject.
    #[serde(default)]
    pub comment: Option<String>,
}

/// Approves the current approval step, as its approver (403 otherwise;
/// 422 `own_document` for the requester). The last step approves the quote.
#[utoipa::path(post, path = "/quotes/{id}/approve", tag = "quotes", params(("id" = i64, Path)),
    request_body(content = QuoteDecisionBody, description = "optional"),
    responses((status = 200, body = QuoteView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn approve_quote(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<QuoteDecisionBody>,
) -> ApiResult<Json<QuoteView>> {
    Ok(Json(quotes::approve(&state.store, &session.actor, id, body.comment.as_deref()).await.api(&meta)?))
}

/// Refuses the approval at its current step (a comment is required): the
/// quote goes back to draft to be reworked.
#[utoipa::path(post, path = "/quotes/{id}/reject-approval", tag = "quotes", params(("id" = i64, Path)),
    request_body(content = QuoteDecisionBody, description = "optional"),
    responses((status = 200, body = QuoteView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn reject_quote_approval(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<QuoteDecisionBody>,
) -> ApiResult<Json<QuoteView>> {
    Ok(Json(quotes::reject_approval(&state.store, &session.actor, id, body.comment.as_deref()).await.api(&meta)?))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptBody {
    /// Also mark the quote's opportunity won (its stage gate applies; a
    /// refusal leaves the order made and says why in `win_refused`).
    #[serde(default)]
    pub win: bool,
}

/// The customer accepted: the quote becomes `accepted` and a draft sales
/// order is made with the same lines, prices and discounts, linked to it,
/// in one step. 422 `quote_expired` past the validity date.
#[utoipa::path(post, path = "/quotes/{id}/accept", tag = "quotes", params(("id" = i64, Path)),
    request_body(content = AcceptBody, description = "optional"),
    responses((status = 200, body = Accepted), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn accept_quote(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<AcceptBody>,
) -> ApiResult<Json<Accepted>> {
    Ok(Json(quotes::accept(&state.store, &session.actor, id, body.win).await.api(&meta)?))
}

/// The customer declined a sent (or expired) quote.
#[utoipa::path(post, path = "/quotes/{id}/reject", tag = "quotes", params(("id" = i64, Path)),
    responses((status = 200, body = QuoteView), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn reject_quote(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<QuoteView>> {
    Ok(Json(quotes::reject(&state.store, &session.actor, id).await.api(&meta)?))
}

/// Every version of the quote, oldest first, each with its lines and totals.
#[utoipa::path(get, path = "/quotes/{id}/versions", tag = "quotes", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<QuoteVersionView>), (status = 404, body = Problem)))]
async fn quote_versions(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<QuoteVersionView>>> {
    Ok(Json(quotes::versions(&state.store, &session.actor, id).await.api(&meta)?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompareQuery {
    /// The older version's number.
    pub from: i32,
    /// The newer version's number.
    pub to: i32,
}

/// Two versions compared line by line: each line `added`, `removed`,
/// `changed` (with the fields that differ) or `same`, and the totals that
/// differ. 422 on a version the quote does not have.
#[utoipa::path(get, path = "/quotes/{id}/compare", tag = "quotes", params(("id" = i64, Path), CompareQuery),
    responses((status = 200, body = QuoteComparison), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn compare_quote_versions(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<CompareQuery>,
) -> ApiResult<Json<QuoteComparison>> {
    Ok(Json(quotes::compare(&state.store, &session.actor, id, q.from, q.to).await.api(&meta)?))
}
