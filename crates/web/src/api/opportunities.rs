//! Opportunities: create, read, update, delete; the stage gate's `move`,
//! `win`, `lose`, `reopen`; the checklist; history; the kanban columns.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use salesflow_domain::Invalid;
use salesflow_domain::money::Money;
use salesflow_store::opportunities::{
    self, HistoryEntry, KanbanColumn, MoveInput, OpportunityFilter, OpportunityInput, OpportunityView,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::body::MergePatch;
use super::{ApiJson, ApiQuery, OptionalJson, OrApi, Page, PageParams};
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::export;
use crate::server::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_opportunities, create_opportunity))
        .routes(routes!(export_opportunities))
        .routes(routes!(opportunity_totals))
        .routes(routes!(export_opportunities_xlsx))
        .routes(routes!(kanban))
        .routes(routes!(kanban_cards))
        .routes(routes!(get_opportunity, update_opportunity, delete_opportunity))
        .routes(routes!(restore_opportunity))
        .routes(routes!(move_opportunity))
        .routes(routes!(win_opportunity))
        .routes(routes!(lose_opportunity))
        .routes(routes!(reopen_opportunity))
        .routes(routes!(set_check))
        .routes(routes!(opportunity_history))
}

#[derive(Debug, Deserialize, IntoParams, Default, Clone)]
#[into_params(parameter_in = Query)]
pub struct OpportunityQuery {
    /// Part of the name (Chinese or Latin; two characters are enough).
    pub q: Option<String>,
    pub pipeline_id: Option<i64>,
    pub stage_id: Option<i64>,
    /// `open|won|lost`.
    #[serde(default, deserialize_with = "super::body::filters::opportunity_status")]
    pub status: Option<String>,
    pub owner_id: Option<i64>,
    /// Owners in this department and the ones below it.
    pub department_id: Option<i64>,
    pub customer_id: Option<i64>,
    /// Expected close date from (inclusive, `YYYY-MM-DD`).
    #[serde(default, deserialize_with = "salesflow_domain::time::optional_day")]
    pub close_from: Option<NaiveDate>,
    /// Expected close date to (inclusive).
    #[serde(default, deserialize_with = "salesflow_domain::time::optional_day")]
    pub close_to: Option<NaiveDate>,
    /// `true`: only deleted ones (to restore).
    pub deleted: Option<bool>,
    /// `true`: only open deals that are stalled (longer in their stage than
    /// its expected days, or 14 days without activity).
    pub stalled: Option<bool>,
}

impl OpportunityQuery {
    pub fn filter(&self) -> OpportunityFilter {
        OpportunityFilter {
            q: self.q.clone(),
            pipeline_id: self.pipeline_id,
            stage_id: self.stage_id,
            status: self.status.clone(),
            owner_id: self.owner_id,
            department_id: self.department_id,
            customer_id: self.customer_id,
            close_from: self.close_from,
            close_to: self.close_to,
            deleted: self.deleted.unwrap_or(false),
            ids: None,
            stalled: self.stalled.unwrap_or(false),
        }
    }
}

/// Opportunities in the caller's scope. Sort: `-updated_at` (default),
/// `created_at`, `amount`, `name`, `closed_at`, `id`.
#[utoipa::path(get, path = "/opportunities", tag = "opportunities", params(OpportunityQuery, PageParams),
    responses((status = 200, body = Page<OpportunityView>), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn list_opportunities(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<OpportunityQuery>,
    ApiQuery(paging): ApiQuery<PageParams>,
) -> ApiResult<Json<Page<OpportunityView>>> {
    let page = opportunities::list_opportunities(&state.store, &session.actor, &q.filter(), &paging.page())
        .await
        .api(&meta)?;
    Ok(Json(page.into()))
}

/// What the whole filtered list adds up to: the same filters and data
/// scope as `GET /opportunities` (no paging), summed in one statement:
/// `{count, amount, weighted_amount}` (plain decimals, exact).
#[utoipa::path(get, path = "/opportunities/totals", tag = "opportunities", params(OpportunityQuery),
    responses((status = 200, body = opportunities::OpportunityTotals), (status = 403, body = Problem),
    (status = 422, body = Problem)))]
async fn opportunity_totals(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<OpportunityQuery>,
) -> ApiResult<Json<opportunities::OpportunityTotals>> {
    let totals = opportunities::list_totals(&state.store, &session.actor, &q.filter()).await.api(&meta)?;
    Ok(Json(totals))
}

/// The filtered list as CSV (UTF-8 with BOM, streamed; needs the export right).
#[utoipa::path(get, path = "/opportunities/export.csv", tag = "opportunities", params(OpportunityQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = Problem)))]
async fn export_opportunities(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<OpportunityQuery>,
) -> ApiResult<Response> {
    export_as(state, session, meta, q, export::Format::Csv).await
}

/// The filtered list as an Excel workbook (needs the export right).
#[utoipa::path(get, path = "/opportunities/export.xlsx", tag = "opportunities", params(OpportunityQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    body = Vec<u8>), (status = 403, body = Problem)))]
async fn export_opportunities_xlsx(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<OpportunityQuery>,
) -> ApiResult<Response> {
    export_as(state, session, meta, q, export::Format::Xlsx).await
}

async fn export_as(
    state: AppState,
    session: crate::auth::Session,
    meta: crate::auth::RequestMeta,
    q: OpportunityQuery,
    format: export::Format,
) -> ApiResult<Response> {
    let t = |k: &str| crate::i18n::t(&meta.locale, k);
    let header = export::header(&t, &export::OPPORTUNITY_COLUMNS);
    let fetch =
        export::opportunities(state.store.clone(), session.actor.clone(), q.filter(), None, meta.locale.clone())
            .api(&meta)?;
    export::respond(
        crate::export::Download {
            store: &state.store,
            locale: &meta.locale,
            kind: "opportunities",
            file_stem: "opportunities",
        },
        format,
        header,
        fetch,
    )
    .await
    .api(&meta)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DealContactBody {
    pub contact_id: i64,
    /// `handler|decision_maker|evaluator|supporter|executive|other`.
    pub role: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpportunityBody {
    pub name: String,
    pub customer_id: i64,
    /// Creating only; default the first pipeline.
    pub pipeline_id: Option<i64>,
    /// Creating only; default the pipeline's first stage. Later: `move`.
    pub stage_id: Option<i64>,
    /// Default the caller; must be inside the caller's scope.
    pub owner_id: Option<i64>,
    /// Decimal string, e.g. `"12500.00"`; not negative.
    pub amount: String,
    /// Default the company currency.
    pub currency: Option<String>,
    /// `YYYY-MM-DD`; a past date on a new opportunity is allowed with a
    /// warning in `warnings`.
    pub expected_close_date: Option<NaiveDate>,
    /// Overrides the stage's probability (0–100); needs
    /// `probability_reason`. Absent: the stage's.
    pub probability: Option<i32>,
    pub probability_reason: Option<String>,
    pub source: Option<String>,
    pub campaign: Option<String>,
    #[serde(default)]
    pub competitors: String,
    /// Free text until products exist.
    #[serde(default)]
    pub product_lines: String,
    #[serde(default)]
    pub next_step: String,
    #[serde(default)]
    pub notes: String,
    /// The contacts taking part, with their role in this deal; absent in
    /// an update keeps them.
    pub contacts: Option<Vec<DealContactBody>>,
    /// Required when updating.
    pub version: Option<i64>,
}

impl OpportunityBody {
    fn input(&self) -> Result<OpportunityInput, Invalid> {
        let amount = Money::parse_strict(&self.amount).map_err(|e| Invalid(vec![e.field("amount")]))?;
        Ok(OpportunityInput {
            name: self.name.clone(),
            customer_id: self.customer_id,
            pipeline_id: self.pipeline_id,
            stage_id: self.stage_id,
            owner_id: self.owner_id,
            amount,
            currency: self.currency.clone(),
            expected_close_date: self.expected_close_date,
            probability: self.probability,
            probability_reason: self.probability_reason.clone(),
            source: self.source.clone(),
            campaign: self.campaign.clone(),
            competitors: self.competitors.clone(),
            product_lines: self.product_lines.clone(),
            next_step: self.next_step.clone(),
            notes: self.notes.clone(),
            contacts: self.contacts.as_ref().map(|c| c.iter().map(|c| (c.contact_id, c.role.clone())).collect()),
            lead_id: None,
        })
    }
}

#[utoipa::path(post, path = "/opportunities", tag = "opportunities", request_body = OpportunityBody,
    responses((status = 201, body = OpportunityView), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn create_opportunity(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiJson(body): ApiJson<OpportunityBody>,
) -> ApiResult<(StatusCode, Json<OpportunityView>)> {
    let input = body.input().map_err(|e| ApiError::invalid(e).in_locale(&meta.locale))?;
    let v = opportunities::create_opportunity(&state.store, &session.actor, input).await.api(&meta)?;
    Ok((StatusCode::CREATED, Json(v)))
}

#[utoipa::path(get, path = "/opportunities/{id}", tag = "opportunities", params(("id" = i64, Path)),
    responses((status = 200, body = OpportunityView), (status = 404, body = Problem)))]
async fn get_opportunity(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<OpportunityView>> {
    Ok(Json(opportunities::get_opportunity(&state.store, &session.actor, id).await.api(&meta)?))
}

/// Changes the fields the body names (RFC 7396 merge patch: absent =
/// unchanged, `null` = cleared; `version` required). The stage changes
/// through `move`, the status through `win`, `lose`, `reopen`.
#[utoipa::path(patch, path = "/opportunities/{id}", tag = "opportunities", params(("id" = i64, Path)),
    request_body = OpportunityBody,
    responses((status = 200, body = OpportunityView), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update_opportunity(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    patch: MergePatch,
) -> ApiResult<Json<OpportunityView>> {
    let current = opportunities::get_opportunity(&state.store, &session.actor, id).await.api(&meta)?;
    let body: OpportunityBody = patch.apply(opportunity_body(&current), &meta.locale)?;
    let invalid = |e: Invalid| ApiError::invalid(e).in_locale(&meta.locale);
    let version = body.version.ok_or_else(|| invalid(Invalid::one("version", "required")))?;
    let input = body.input().map_err(invalid)?;
    Ok(Json(opportunities::update_opportunity(&state.store, &session.actor, id, version, input).await.api(&meta)?))
}

/// An opportunity in the shape of [`OpportunityBody`], for merge patches;
/// the probability only when it overrides the stage's.
fn opportunity_body(o: &OpportunityView) -> serde_json::Value {
    serde_json::json!({
        "name": o.name,
        "customer_id": o.customer_id,
        "owner_id": o.owner_id,
        "amount": o.amount,
        "currency": o.currency,
        "expected_close_date": o.expected_close_date,
        "probability": o.probability_overridden.then_some(o.probability),
        "probability_reason": o.probability_reason,
        "source": o.source,
        "campaign": o.campaign,
        "competitors": o.competitors,
        "product_lines": o.product_lines,
        "next_step": o.next_step,
        "notes": o.notes,
        "contacts": o.contacts.iter().map(|c| serde_json::json!({"contact_id": c.contact_id, "role": c.role}))
            .collect::<Vec<_>>(),
    })
}

#[utoipa::path(delete, path = "/opportunities/{id}", tag = "opportunities", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn delete_opportunity(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    opportunities::set_deleted(&state.store, &session.actor, id, true).await.api(&meta)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/opportunities/{id}/restore", tag = "opportunities", params(("id" = i64, Path)),
    responses((status = 200, body = OpportunityView), (status = 404, body = Problem)))]
async fn restore_opportunity(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<OpportunityView>> {
    Ok(Json(opportunities::set_deleted(&state.store, &session.actor, id, false).await.api(&meta)?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveBody {
    pub stage_id: i64,
    /// Pass a refusing gate anyway (approve right); the reason is recorded.
    pub override_reason: Option<String>,
    /// The version last read: two people moving the same card → the
    /// second gets 409.
    pub version: Option<i64>,
}

/// Moves the opportunity to another stage of its pipeline. Forward moves
/// need every required checklist item of the stages being left: else 422
/// with one `gate_item_missing` error per missing item (`params.item_id`,
/// `params.text`, `params.stage`). Back is always allowed.
#[utoipa::path(post, path = "/opportunities/{id}/move", tag = "opportunities", params(("id" = i64, Path)),
    request_body = MoveBody,
    responses((status = 200, body = OpportunityView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn move_opportunity(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<MoveBody>,
) -> ApiResult<Json<OpportunityView>> {
    let input = MoveInput { stage_id: body.stage_id, version: body.version, override_reason: body.override_reason };
    Ok(Json(opportunities::move_opportunity(&state.store, &session.actor, id, input).await.api(&meta)?))
}

#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct WinBody {
    pub override_reason: Option<String>,
    pub version: Option<i64>,
}

/// Marks it won: the gates of the current and every later stage apply
/// (422 listing the missing items, or an approver's override reason).
#[utoipa::path(post, path = "/opportunities/{id}/win", tag = "opportunities", params(("id" = i64, Path)),
    request_body(content = WinBody, description = "optional"),
    responses((status = 200, body = OpportunityView), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn win_opportunity(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<WinBody>,
) -> ApiResult<Json<OpportunityView>> {
    let v =
        opportunities::win(&state.store, &session.actor, id, body.version, body.override_reason).await.api(&meta)?;
    Ok(Json(v))
}

#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct LoseBody {
    /// One of `GET /lost-reasons`.
    pub lost_reason_id: Option<i64>,
    /// A note; enough on its own when no listed reason fits.
    pub reason: Option<String>,
    pub version: Option<i64>,
}

#[utoipa::path(post, path = "/opportunities/{id}/lose", tag = "opportunities", params(("id" = i64, Path)),
    request_body(content = LoseBody, description = "a listed reason or a note is required"),
    responses((status = 200, body = OpportunityView), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn lose_opportunity(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<LoseBody>,
) -> ApiResult<Json<OpportunityView>> {
    let v = opportunities::lose(&state.store, &session.actor, id, body.version, body.lost_reason_id, body.reason)
        .await
        .api(&meta)?;
    Ok(Json(v))
}

#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ReopenBody {
    pub version: Option<i64>,
}

/// Opens a won or lost opportunity again, in the stage it ended in.
#[utoipa::path(post, path = "/opportunities/{id}/reopen", tag = "opportunities", params(("id" = i64, Path)),
    request_body(content = ReopenBody, description = "optional"),
    responses((status = 200, body = OpportunityView), (status = 409, body = Problem)))]
async fn reopen_opportunity(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<ReopenBody>,
) -> ApiResult<Json<OpportunityView>> {
    Ok(Json(opportunities::reopen(&state.store, &session.actor, id, body.version).await.api(&meta)?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckBody {
    pub done: bool,
}

/// Ticks or unticks a checklist item of the opportunity's pipeline (items
/// of later stages may be ticked ahead; a merge patch: `done` absent leaves
/// it). The opportunity's version stays.
#[utoipa::path(patch, path = "/opportunities/{id}/checklist/{item_id}", tag = "opportunities",
    params(("id" = i64, Path), ("item_id" = i64, Path)), request_body = CheckBody,
    responses((status = 200, body = OpportunityView), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn set_check(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path((id, item_id)): Path<(i64, i64)>,
    patch: MergePatch,
) -> ApiResult<Json<OpportunityView>> {
    let current = opportunities::get_opportunity(&state.store, &session.actor, id).await.api(&meta)?;
    let entry = current.checklist.iter().find(|e| e.item_id == item_id);
    let done = entry.map(|e| e.done).unwrap_or(false);
    let body: CheckBody = patch.apply(serde_json::json!({ "done": done }), &meta.locale)?;
    Ok(Json(opportunities::set_check(&state.store, &session.actor, id, item_id, body.done).await.api(&meta)?))
}

/// Every change of stage, probability, amount, owner, close date, status
/// and checklist, newest first, with who and when.
#[utoipa::path(get, path = "/opportunities/{id}/history", tag = "opportunities", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<HistoryEntry>), (status = 404, body = Problem)))]
async fn opportunity_history(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<HistoryEntry>>> {
    Ok(Json(opportunities::history(&state.store, &session.actor, id, &meta.locale).await.api(&meta)?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KanbanQuery {
    pub pipeline_id: i64,
    pub owner_id: Option<i64>,
    pub department_id: Option<i64>,
    #[serde(default, deserialize_with = "salesflow_domain::time::optional_day")]
    pub close_from: Option<NaiveDate>,
    #[serde(default, deserialize_with = "salesflow_domain::time::optional_day")]
    pub close_to: Option<NaiveDate>,
    /// Cards per column, 1–100 (default 20).
    pub cards: Option<u64>,
}

impl KanbanQuery {
    fn filter(&self) -> OpportunityFilter {
        OpportunityFilter {
            owner_id: self.owner_id,
            department_id: self.department_id,
            close_from: self.close_from,
            close_to: self.close_to,
            ..Default::default()
        }
    }
}

/// The kanban of a pipeline: per active stage the open deals' count,
/// amount, weighted amount and the first cards (largest first). More
/// cards: `GET /opportunities/kanban/{stage_id}/cards?cursor=…`.
#[utoipa::path(get, path = "/opportunities/kanban", tag = "opportunities", params(KanbanQuery),
    responses((status = 200, body = Vec<KanbanColumn>), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn kanban(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<KanbanQuery>,
) -> ApiResult<Json<Vec<KanbanColumn>>> {
    let cards = q.cards.unwrap_or(20);
    if !(1..=100).contains(&cards) {
        let e = salesflow_domain::FieldError::new("cards", "out_of_range").with("min", 1).with("max", 100);
        return Err(ApiError::invalid(Invalid(vec![e])).in_locale(&meta.locale));
    }
    let columns =
        opportunities::kanban(&state.store, &session.actor, q.pipeline_id, &q.filter(), cards).await.api(&meta)?;
    Ok(Json(columns))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CardsQuery {
    pub owner_id: Option<i64>,
    pub department_id: Option<i64>,
    #[serde(default, deserialize_with = "salesflow_domain::time::optional_day")]
    pub close_from: Option<NaiveDate>,
    #[serde(default, deserialize_with = "salesflow_domain::time::optional_day")]
    pub close_to: Option<NaiveDate>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// More cards of one kanban column (open deals of the stage, largest first).
#[utoipa::path(get, path = "/opportunities/kanban/{stage_id}/cards", tag = "opportunities",
    params(("stage_id" = i64, Path), CardsQuery),
    responses((status = 200, body = Page<OpportunityView>), (status = 422, body = Problem)))]
async fn kanban_cards(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(stage_id): Path<i64>,
    ApiQuery(q): ApiQuery<CardsQuery>,
) -> ApiResult<Json<Page<OpportunityView>>> {
    let filter = OpportunityFilter {
        owner_id: q.owner_id,
        department_id: q.department_id,
        close_from: q.close_from,
        close_to: q.close_to,
        ..Default::default()
    };
    let page = salesflow_store::paging::PageRequest { limit: q.limit, cursor: q.cursor, sort: None };
    let cards = opportunities::kanban_cards(&state.store, &session.actor, stage_id, &filter, &page).await.api(&meta)?;
    Ok(Json(cards.into()))
}
