//! The approval engine: the rules an administrator configures (which
//! documents need whose approval), and "my approvals" (我的审批), the
//! pending requests the caller decides. Decisions are made on the
//! document itself (`POST /orders/{id}/approve|reject`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use salesflow_domain::{FieldError, Invalid};
use salesflow_store::approvals::{self, ApprovalView, RuleInput, RuleView, StepView};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::body::MergePatch;
use super::{ApiJson, ApiQuery, OrApi, Page, PageParams};
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::server::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(my_approvals)).routes(routes!(list_rules, create_rule)).routes(routes!(
        get_rule,
        update_rule,
        delete_rule
    ))
}

/// 我的审批: pending requests whose current step the caller decides,
/// oldest first (each with the document's number, customer, amount and
/// requester). Sort: `id`.
#[utoipa::path(get, path = "/approvals/mine", tag = "approvals", params(PageParams),
    responses((status = 200, body = Page<ApprovalView>)))]
async fn my_approvals(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(paging): ApiQuery<PageParams>,
) -> ApiResult<Json<Page<ApprovalView>>> {
    Ok(Json(approvals::my_approvals(&state.store, &session.actor, &paging.page()).await.api(&meta)?.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalRuleList {
    /// By document type, then position.
    pub items: Vec<RuleView>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalRuleBody {
    /// `order`, `quote`, `contract`, `purchase_order`.
    pub document_type: String,
    /// Decimal string; empty or absent: any amount.
    #[serde(default)]
    pub min_amount: Option<String>,
    /// Percent; empty or absent: any discount.
    #[serde(default)]
    pub min_discount: Option<String>,
    #[serde(default)]
    pub over_credit_limit: bool,
    /// In order, at least one: `{"role": "finance"}` or `{"manager": 1}`.
    pub steps: Vec<StepView>,
    #[serde(default)]
    pub position: i32,
    #[serde(default = "yes")]
    pub active: bool,
    /// Required when updating.
    #[serde(default)]
    pub version: Option<i64>,
}

fn yes() -> bool {
    true
}

impl ApprovalRuleBody {
    fn input(self) -> RuleInput {
        RuleInput {
            document_type: self.document_type,
            min_amount: self.min_amount,
            min_discount: self.min_discount,
            over_credit_limit: self.over_credit_limit,
            steps: self.steps,
            position: self.position,
            active: self.active,
        }
    }
}

#[utoipa::path(get, path = "/approval-rules", tag = "approvals", responses((status = 200, body = ApprovalRuleList)))]
async fn list_rules(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
) -> ApiResult<Json<ApprovalRuleList>> {
    Ok(Json(ApprovalRuleList { items: approvals::list_rules(&state.store, &session.actor).await.api(&meta)? }))
}

/// A rule: every condition set must hold; a document matching several
/// rules passes all their steps, each once, in the rules' order.
#[utoipa::path(post, path = "/approval-rules", tag = "approvals", request_body = ApprovalRuleBody,
    responses((status = 201, body = RuleView), (status = 422, body = Problem)))]
async fn create_rule(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiJson(body): ApiJson<ApprovalRuleBody>,
) -> ApiResult<(StatusCode, Json<RuleView>)> {
    let r = approvals::create_rule(&state.store, &session.actor, body.input()).await.api(&meta)?;
    Ok((StatusCode::CREATED, Json(r)))
}

#[utoipa::path(get, path = "/approval-rules/{id}", tag = "approvals", params(("id" = i64, Path)),
    responses((status = 200, body = RuleView), (status = 404, body = Problem)))]
async fn get_rule(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<RuleView>> {
    Ok(Json(approvals::get_rule(&state.store, &session.actor, id).await.api(&meta)?))
}

/// Changes the fields the body names (merge patch); `version` as last read.
#[utoipa::path(patch, path = "/approval-rules/{id}", tag = "approvals", params(("id" = i64, Path)),
    request_body = ApprovalRuleBody,
    responses((status = 200, body = RuleView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn update_rule(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    patch: MergePatch,
) -> ApiResult<Json<RuleView>> {
    let r = approvals::get_rule(&state.store, &session.actor, id).await.api(&meta)?;
    let base = serde_json::json!({
        "document_type": r.document_type, "min_amount": r.min_amount, "min_discount": r.min_discount,
        "over_credit_limit": r.over_credit_limit, "steps": r.steps, "position": r.position, "active": r.active,
    });
    let body: ApprovalRuleBody = patch.apply(base, &meta.locale)?;
    let Some(version) = body.version else {
        return Err(ApiError::invalid(Invalid(vec![FieldError::new("version", "required")])).in_locale(&meta.locale));
    };
    Ok(Json(approvals::update_rule(&state.store, &session.actor, id, version, body.input()).await.api(&meta)?))
}

/// Deletes a rule; requests already open keep the steps they were given.
#[utoipa::path(delete, path = "/approval-rules/{id}", tag = "approvals", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn delete_rule(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    approvals::delete_rule(&state.store, &session.actor, id).await.api(&meta)?;
    Ok(StatusCode::NO_CONTENT)
}
