//! Pipelines, their stages and checklists, and the lost reasons.
//! Reading needs the opportunities view right; changing needs administer.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use salesflow_domain::Invalid;
use salesflow_store::pipelines::{self, ItemInput, LostReasonView, PipelineInput, PipelineView, StageInput};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::body::MergePatch;
use super::{ApiJson, ApiQuery, OrApi};
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::server::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_pipelines, create_pipeline))
        .routes(routes!(get_pipeline, update_pipeline))
        .routes(routes!(create_stage))
        .routes(routes!(reorder_stages))
        .routes(routes!(update_stage, retire_stage))
        .routes(routes!(restore_stage))
        .routes(routes!(list_lost_reasons, create_lost_reason))
        .routes(routes!(update_lost_reason))
}

#[derive(Debug, Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct PipelineQuery {
    /// `true`: retired pipelines (and lost reasons) too.
    pub include_retired: Option<bool>,
}

/// Every pipeline with its stages (in order) and their checklists.
#[utoipa::path(get, path = "/pipelines", tag = "pipelines", params(PipelineQuery),
    responses((status = 200, body = Vec<PipelineView>), (status = 403, body = Problem)))]
async fn list_pipelines(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<PipelineQuery>,
) -> ApiResult<Json<Vec<PipelineView>>> {
    let all =
        pipelines::list_pipelines(&state.store, &session.actor, q.include_retired.unwrap_or(false)).await.api(&meta)?;
    Ok(Json(all))
}

#[utoipa::path(get, path = "/pipelines/{id}", tag = "pipelines", params(("id" = i64, Path)),
    responses((status = 200, body = PipelineView), (status = 404, body = Problem)))]
async fn get_pipeline(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<PipelineView>> {
    Ok(Json(pipelines::get_pipeline(&state.store, &session.actor, id).await.api(&meta)?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemBody {
    /// An existing item to keep (its ticks stay); absent adds a new one.
    pub id: Option<i64>,
    /// `task` (任务清单, default) or `condition` (符合条件).
    #[serde(default = "task")]
    pub kind: String,
    pub text: String,
    #[serde(default)]
    pub text_en: String,
    /// A required item gates the move forward.
    #[serde(default)]
    pub required: bool,
}

fn task() -> String {
    "task".to_owned()
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StageBody {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    /// Win probability 0–100.
    pub probability: i32,
    pub expected_days: Option<i32>,
    #[serde(default)]
    pub success_criteria: String,
    #[serde(default)]
    pub success_criteria_en: String,
    #[serde(default)]
    pub milestone: String,
    #[serde(default)]
    pub milestone_en: String,
    #[serde(default)]
    pub input: String,
    #[serde(default)]
    pub input_en: String,
    #[serde(default)]
    pub output: String,
    #[serde(default)]
    pub output_en: String,
    /// The whole checklist in order; items left out are retired.
    #[serde(default)]
    pub checklist: Vec<ItemBody>,
    /// Creating: where to insert (1 = first); default last.
    pub position: Option<i32>,
    /// Required when updating.
    pub version: Option<i64>,
}

impl StageBody {
    fn input(&self) -> StageInput {
        StageInput {
            code: self.code.clone(),
            name: self.name.clone(),
            name_en: self.name_en.clone(),
            probability: self.probability,
            expected_days: self.expected_days,
            success_criteria: self.success_criteria.clone(),
            success_criteria_en: self.success_criteria_en.clone(),
            milestone: self.milestone.clone(),
            milestone_en: self.milestone_en.clone(),
            input: self.input.clone(),
            input_en: self.input_en.clone(),
            output: self.output.clone(),
            output_en: self.output_en.clone(),
            checklist: self
                .checklist
                .iter()
                .map(|i| ItemInput {
                    id: i.id,
                    kind: i.kind.clone(),
                    text: i.text.clone(),
                    text_en: i.text_en.clone(),
                    required: i.required,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PipelineBody {
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    /// Creating: the stages in order (at least one).
    #[serde(default)]
    pub stages: Vec<StageBody>,
    /// Updating: `true` retires the pipeline (refused while it holds open
    /// opportunities), `false` brings it back.
    pub retired: Option<bool>,
    /// Required when updating.
    pub version: Option<i64>,
}

fn version_required(version: Option<i64>, locale: &str) -> ApiResult<i64> {
    version.ok_or_else(|| ApiError::invalid(Invalid::one("version", "required")).in_locale(locale))
}

/// A new pipeline with its stages (administer right).
#[utoipa::path(post, path = "/pipelines", tag = "pipelines", request_body = PipelineBody,
    responses((status = 201, body = PipelineView), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn create_pipeline(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiJson(body): ApiJson<PipelineBody>,
) -> ApiResult<(StatusCode, Json<PipelineView>)> {
    let input = PipelineInput { name: body.name.clone(), name_en: body.name_en.clone() };
    let stages = body.stages.iter().map(StageBody::input).collect();
    let p = pipelines::create_pipeline(&state.store, &session.actor, input, stages).await.api(&meta)?;
    Ok((StatusCode::CREATED, Json(p)))
}

/// Renames, retires or revives a pipeline (RFC 7396 merge patch; its
/// stages change through the stage routes); `version` required.
#[utoipa::path(patch, path = "/pipelines/{id}", tag = "pipelines", params(("id" = i64, Path)), request_body = PipelineBody,
    responses((status = 200, body = PipelineView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn update_pipeline(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    patch: MergePatch,
) -> ApiResult<Json<PipelineView>> {
    let current = pipelines::get_pipeline(&state.store, &session.actor, id).await.api(&meta)?;
    let base = serde_json::json!({"name": current.name, "name_en": current.name_en, "retired": current.retired});
    let body: PipelineBody = patch.apply(base, &meta.locale)?;
    let version = version_required(body.version, &meta.locale)?;
    let input = PipelineInput { name: body.name, name_en: body.name_en };
    Ok(Json(
        pipelines::update_pipeline(&state.store, &session.actor, id, version, input, body.retired).await.api(&meta)?,
    ))
}

/// Adds a stage (at `position`, default last).
#[utoipa::path(post, path = "/pipelines/{id}/stages", tag = "pipelines", params(("id" = i64, Path)),
    request_body = StageBody,
    responses((status = 201, body = PipelineView), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn create_stage(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<StageBody>,
) -> ApiResult<(StatusCode, Json<PipelineView>)> {
    let p = pipelines::create_stage(&state.store, &session.actor, id, body.position, body.input()).await.api(&meta)?;
    Ok((StatusCode::CREATED, Json(p)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderBody {
    /// Every stage id of the pipeline once, in the new order.
    pub order: Vec<i64>,
}

#[utoipa::path(put, path = "/pipelines/{id}/stage-order", tag = "pipelines", params(("id" = i64, Path)),
    request_body = OrderBody,
    responses((status = 200, body = PipelineView), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn reorder_stages(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<OrderBody>,
) -> ApiResult<Json<PipelineView>> {
    Ok(Json(pipelines::reorder_stages(&state.store, &session.actor, id, &body.order).await.api(&meta)?))
}

/// Changes a stage's fields (RFC 7396 merge patch; a `checklist` given
/// replaces the whole list: items left out are retired); `version`
/// required. A new probability applies to the open opportunities in it
/// that do not override theirs.
#[utoipa::path(patch, path = "/pipelines/{id}/stages/{stage_id}", tag = "pipelines",
    params(("id" = i64, Path), ("stage_id" = i64, Path)), request_body = StageBody,
    responses((status = 200, body = PipelineView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn update_stage(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path((id, stage_id)): Path<(i64, i64)>,
    patch: MergePatch,
) -> ApiResult<Json<PipelineView>> {
    let pipeline = pipelines::get_pipeline(&state.store, &session.actor, id).await.api(&meta)?;
    let s = pipeline.stage(stage_id).ok_or_else(|| ApiError::not_found().in_locale(&meta.locale))?;
    let base = serde_json::json!({
        "code": s.code,
        "name": s.name,
        "name_en": s.name_en,
        "probability": s.probability,
        "expected_days": s.expected_days,
        "success_criteria": s.success_criteria,
        "success_criteria_en": s.success_criteria_en,
        "milestone": s.milestone,
        "milestone_en": s.milestone_en,
        "input": s.input,
        "input_en": s.input_en,
        "output": s.output,
        "output_en": s.output_en,
        "checklist": s.checklist.iter().map(|i| serde_json::json!({
            "id": i.id, "kind": i.kind, "text": i.text, "text_en": i.text_en, "required": i.required,
        })).collect::<Vec<_>>(),
    });
    let body: StageBody = patch.apply(base, &meta.locale)?;
    let version = version_required(body.version, &meta.locale)?;
    let p = pipelines::update_stage(&state.store, &session.actor, stage_id, version, body.input()).await.api(&meta)?;
    if p.id != id {
        return Err(ApiError::not_found());
    }
    Ok(Json(p))
}

/// Retires a stage (it keeps its history); refused with the count while
/// open opportunities sit in it.
#[utoipa::path(delete, path = "/pipelines/{id}/stages/{stage_id}", tag = "pipelines",
    params(("id" = i64, Path), ("stage_id" = i64, Path)),
    responses((status = 200, body = PipelineView), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn retire_stage(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path((id, stage_id)): Path<(i64, i64)>,
) -> ApiResult<Json<PipelineView>> {
    stage_of(&state, &session, &meta, id, stage_id).await?;
    Ok(Json(pipelines::set_stage_retired(&state.store, &session.actor, stage_id, true).await.api(&meta)?))
}

#[utoipa::path(post, path = "/pipelines/{id}/stages/{stage_id}/restore", tag = "pipelines",
    params(("id" = i64, Path), ("stage_id" = i64, Path)),
    responses((status = 200, body = PipelineView), (status = 404, body = Problem)))]
async fn restore_stage(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path((id, stage_id)): Path<(i64, i64)>,
) -> ApiResult<Json<PipelineView>> {
    stage_of(&state, &session, &meta, id, stage_id).await?;
    Ok(Json(pipelines::set_stage_retired(&state.store, &session.actor, stage_id, false).await.api(&meta)?))
}

/// 404 unless the stage belongs to the pipeline in the path.
async fn stage_of(
    state: &AppState,
    session: &crate::auth::Session,
    meta: &crate::auth::RequestMeta,
    id: i64,
    stage_id: i64,
) -> ApiResult<()> {
    let p = pipelines::get_pipeline(&state.store, &session.actor, id).await.api(meta)?;
    if p.stage(stage_id).is_none() {
        return Err(ApiError::not_found().in_locale(&meta.locale));
    }
    Ok(())
}

#[utoipa::path(get, path = "/lost-reasons", tag = "pipelines", params(PipelineQuery),
    responses((status = 200, body = Vec<LostReasonView>)))]
async fn list_lost_reasons(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<PipelineQuery>,
) -> ApiResult<Json<Vec<LostReasonView>>> {
    let all = pipelines::list_lost_reasons(&state.store, &session.actor, q.include_retired.unwrap_or(false))
        .await
        .api(&meta)?;
    Ok(Json(all))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LostReasonBody {
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub retired: bool,
}

#[utoipa::path(post, path = "/lost-reasons", tag = "pipelines", request_body = LostReasonBody,
    responses((status = 201, body = LostReasonView), (status = 422, body = Problem)))]
async fn create_lost_reason(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiJson(body): ApiJson<LostReasonBody>,
) -> ApiResult<(StatusCode, Json<LostReasonView>)> {
    let r = pipelines::save_lost_reason(&state.store, &session.actor, None, &body.name, &body.name_en, false)
        .await
        .api(&meta)?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// Renames a lost reason or retires it (`retired: true`).
/// Renames a lost reason or retires it (`retired: true`); a merge patch.
#[utoipa::path(patch, path = "/lost-reasons/{id}", tag = "pipelines", params(("id" = i64, Path)),
    request_body = LostReasonBody,
    responses((status = 200, body = LostReasonView), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update_lost_reason(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    patch: MergePatch,
) -> ApiResult<Json<LostReasonView>> {
    let all = pipelines::list_lost_reasons(&state.store, &session.actor, true).await.api(&meta)?;
    let current = all.iter().find(|r| r.id == id).ok_or_else(|| ApiError::not_found().in_locale(&meta.locale))?;
    let base = serde_json::json!({"name": current.name, "name_en": current.name_en, "retired": current.retired});
    let body: LostReasonBody = patch.apply(base, &meta.locale)?;
    let r =
        pipelines::save_lost_reason(&state.store, &session.actor, Some(id), &body.name, &body.name_en, body.retired)
            .await
            .api(&meta)?;
    Ok(Json(r))
}
