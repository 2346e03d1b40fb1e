//! Contracts (合同): drafts, amendments kept as versions, approval through
//! the one engine, and the life cycle (`submit`, `approve`, `reject`,
//! `start`, `complete`, `terminate`; the daily job expires those past
//! their end). Money is a decimal string, dates `YYYY-MM-DD`. A contract
//! follows its customer's data scope; the approvers of its pending step
//! read it too. Its files: `/contracts/{id}/attachments`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use salesflow_domain::contracts::{ContractAction, ContractStatus};
use salesflow_domain::{FieldError, Invalid};
use salesflow_store::contracts::{self, ContractFilter, ContractInput, ContractVersionView, ContractView};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::body::MergePatch;
use super::{ApiJson, ApiQuery, OptionalJson, OrApi, Page, PageParams};
use crate::auth::{ApiCaller, RequestMeta};
use crate::error::{ApiError, ApiResult, Problem};
use crate::server::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_contracts, create_contract))
        .routes(routes!(get_contract, update_contract))
        .routes(routes!(contract_versions))
        .routes(routes!(submit_contract))
        .routes(routes!(approve_contract))
        .routes(routes!(reject_contract))
        .routes(routes!(start_contract))
        .routes(routes!(complete_contract))
        .routes(routes!(terminate_contract))
}

fn invalid(meta: &RequestMeta, errors: Vec<FieldError>) -> ApiError {
    ApiError::invalid(Invalid(errors)).in_locale(&meta.locale)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContractQuery {
    /// `draft`, `in_approval`, `signed`, `executing`, `completed`,
    /// `expired`, `terminated`.
    pub status: Option<String>,
    pub customer_id: Option<i64>,
    pub opportunity_id: Option<i64>,
    pub owner_id: Option<i64>,
    /// In force (signed or executing) and ending within this many days
    /// from today (e.g. 30).
    pub expiring_within: Option<u32>,
}

/// Contracts in the caller's scope. Sort: `-id` (default), `id`, `number`,
/// `created_at` (each also descending with `-`).
#[utoipa::path(get, path = "/contracts", tag = "contracts", params(ContractQuery, PageParams),
    responses((status = 200, body = Page<ContractView>), (status = 422, body = Problem)))]
async fn list_contracts(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<ContractQuery>,
    ApiQuery(paging): ApiQuery<PageParams>,
) -> ApiResult<Json<Page<ContractView>>> {
    let status = match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            ContractStatus::parse(s)
                .ok_or_else(|| invalid(&meta, vec![FieldError::new("status", "invalid_choice")]))?,
        ),
    };
    let filter = ContractFilter {
        status,
        customer_id: q.customer_id,
        opportunity_id: q.opportunity_id,
        owner_id: q.owner_id,
        expiring_within: q.expiring_within,
    };
    Ok(Json(contracts::list(&state.store, &session.actor, &filter, &paging.page()).await.api(&meta)?.into()))
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractBody {
    /// A customer owned by someone in the caller's scope (unchangeable
    /// once signed).
    pub customer_id: i64,
    /// One of the customer's deals.
    #[serde(default)]
    pub opportunity_id: Option<i64>,
    /// One of the customer's orders.
    #[serde(default)]
    pub order_id: Option<i64>,
    /// Default: the caller.
    #[serde(default)]
    pub owner_id: Option<i64>,
    pub title: String,
    /// Decimal string, not negative.
    pub amount: String,
    #[serde(default)]
    pub terms: String,
    /// `YYYY-MM-DD`; required to submit.
    #[serde(default)]
    pub start_date: Option<String>,
    /// `YYYY-MM-DD`, not before the start; required to submit.
    #[serde(default)]
    pub end_date: Option<String>,
    /// `YYYY-MM-DD`; required to submit.
    #[serde(default)]
    pub signed_date: Option<String>,
    /// Required when updating.
    #[serde(default)]
    pub version: Option<i64>,
}

fn day(field: &str, text: &Option<String>, errors: &mut Vec<FieldError>) -> Option<NaiveDate> {
    let s = text.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
    let d = salesflow_domain::time::parse_day(s);
    if d.is_none() {
        errors.push(FieldError::new(field, "invalid_date"));
    }
    d
}

impl ContractBody {
    fn input(&self, meta: &RequestMeta) -> ApiResult<ContractInput> {
        let mut errors = Vec::new();
        let start_date = day("start_date", &self.start_date, &mut errors);
        let end_date = day("end_date", &self.end_date, &mut errors);
        let signed_date = day("signed_date", &self.signed_date, &mut errors);
        if !errors.is_empty() {
            return Err(invalid(meta, errors));
        }
        Ok(ContractInput {
            customer_id: self.customer_id,
            opportunity_id: self.opportunity_id,
            order_id: self.order_id,
            owner_id: self.owner_id,
            title: self.title.clone(),
            amount: self.amount.clone(),
            terms: self.terms.clone(),
            start_date,
            end_date,
            signed_date,
        })
    }
}

/// Creates a draft with its number (`CT-YYYY-NNNNNN`).
#[utoipa::path(post, path = "/contracts", tag = "contracts", request_body = ContractBody,
    responses((status = 201, body = ContractView), (status = 422, body = Problem)))]
async fn create_contract(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiJson(body): ApiJson<ContractBody>,
) -> ApiResult<(StatusCode, Json<ContractView>)> {
    let input = body.input(&meta)?;
    let c = contracts::create(&state.store, &session.actor, input).await.api(&meta)?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// A contract with its approval history.
#[utoipa::path(get, path = "/contracts/{id}", tag = "contracts", params(("id" = i64, Path)),
    responses((status = 200, body = ContractView), (status = 404, body = Problem)))]
async fn get_contract(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<ContractView>> {
    Ok(Json(contracts::get(&state.store, &session.actor, id).await.api(&meta)?))
}

/// Changes a contract (merge patch; `version` as last read): a draft in
/// place; a signed or executing one as a new revision whose earlier text
/// stays readable under `versions`. 409 in approval or once ended.
#[utoipa::path(patch, path = "/contracts/{id}", tag = "contracts", params(("id" = i64, Path)),
    request_body = ContractBody,
    responses((status = 200, body = ContractView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn update_contract(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    patch: MergePatch,
) -> ApiResult<Json<ContractView>> {
    let c = contracts::get(&state.store, &session.actor, id).await.api(&meta)?;
    let base = serde_json::json!({
        "customer_id": c.customer_id, "opportunity_id": c.opportunity_id, "order_id": c.order_id,
        "owner_id": c.owner_id, "title": c.title, "amount": c.amount, "terms": c.terms,
        "start_date": c.start_date.map(|d| d.to_string()), "end_date": c.end_date.map(|d| d.to_string()),
        "signed_date": c.signed_date.map(|d| d.to_string()),
    });
    let body: ContractBody = patch.apply(base, &meta.locale)?;
    let version = body.version.ok_or_else(|| invalid(&meta, vec![FieldError::new("version", "required")]))?;
    let input = body.input(&meta)?;
    Ok(Json(contracts::update(&state.store, &session.actor, id, version, input).await.api(&meta)?))
}

/// The earlier texts of a contract (one per amendment), newest first.
#[utoipa::path(get, path = "/contracts/{id}/versions", tag = "contracts", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<ContractVersionView>), (status = 404, body = Problem)))]
async fn contract_versions(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<ContractVersionView>>> {
    Ok(Json(contracts::versions(&state.store, &session.actor, id).await.api(&meta)?))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractActionBody {
    /// When given, must be the contract's current version (else 409).
    #[serde(default)]
    pub version: Option<i64>,
    /// Why the contract ends early: required to terminate.
    #[serde(default)]
    pub reason: Option<String>,
}

async fn act(
    state: &AppState,
    caller: ApiCaller,
    id: i64,
    action: ContractAction,
    body: ContractActionBody,
) -> ApiResult<Json<ContractView>> {
    let ApiCaller(session, meta) = caller;
    let c = contracts::act(&state.store, &session.actor, id, action, body.version, body.reason.as_deref()).await;
    Ok(Json(c.api(&meta)?))
}

/// Submits a draft for signing: it needs its start, end and signed dates.
/// The approval rules decide: `in_approval` (waiting for its approvers) or
/// `signed` at once.
#[utoipa::path(post, path = "/contracts/{id}/submit", tag = "contracts", params(("id" = i64, Path)),
    request_body(content = ContractActionBody, description = "optional"),
    responses((status = 200, body = ContractView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn submit_contract(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<ContractActionBody>,
) -> ApiResult<Json<ContractView>> {
    act(&state, caller, id, ContractAction::Submit, body).await
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractDecisionBody {
    /// Required to reject.
    #[serde(default)]
    pub comment: Option<String>,
}

/// Approves the current approval step, as its approver (403 otherwise;
/// 422 `own_document` for the requester). The last step signs it.
#[utoipa::path(post, path = "/contracts/{id}/approve", tag = "contracts", params(("id" = i64, Path)),
    request_body(content = ContractDecisionBody, description = "optional"),
    responses((status = 200, body = ContractView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn approve_contract(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<ContractDecisionBody>,
) -> ApiResult<Json<ContractView>> {
    Ok(Json(contracts::approve(&state.store, &session.actor, id, body.comment.as_deref()).await.api(&meta)?))
}

/// Rejects the contract at its current step (a comment is required); it
/// goes back to the draft.
#[utoipa::path(post, path = "/contracts/{id}/reject", tag = "contracts", params(("id" = i64, Path)),
    request_body(content = ContractDecisionBody, description = "optional"),
    responses((status = 200, body = ContractView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn reject_contract(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<ContractDecisionBody>,
) -> ApiResult<Json<ContractView>> {
    Ok(Json(contracts::reject(&state.store, &session.actor, id, body.comment.as_deref()).await.api(&meta)?))
}

/// A signed contract starts executing.
#[utoipa::path(post, path = "/contracts/{id}/start", tag = "contracts", params(("id" = i64, Path)),
    request_body(content = ContractActionBody, description = "optional"),
    responses((status = 200, body = ContractView), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn start_contract(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<ContractActionBody>,
) -> ApiResult<Json<ContractView>> {
    act(&state, caller, id, ContractAction::Start, body).await
}

/// An executing contract is completed.
#[utoipa::path(post, path = "/contracts/{id}/complete", tag = "contracts", params(("id" = i64, Path)),
    request_body(content = ContractActionBody, description = "optional"),
    responses((status = 200, body = ContractView), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn complete_contract(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<ContractActionBody>,
) -> ApiResult<Json<ContractView>> {
    act(&state, caller, id, ContractAction::Complete, body).await
}

/// A signed or executing contract ends early (`reason` required).
#[utoipa::path(post, path = "/contracts/{id}/terminate", tag = "contracts", params(("id" = i64, Path)),
    request_body(content = ContractActionBody, description = "`reason` is required"),
    responses((status = 200, body = ContractView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn terminate_contract(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<ContractActionBody>,
) -> ApiResult<Json<ContractView>> {
    act(&state, caller, id, ContractAction::Terminate, body).await
}
