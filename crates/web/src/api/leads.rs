//! Leads (线索) and their conversion into customer and contact.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use salesflow_domain::Invalid;
use salesflow_domain::money::Money;
use salesflow_store::leads::{
    self, Conversion, ConversionPreview, ConvertInput, ConvertOpportunity, LeadFilter, LeadInput, LeadView,
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
        .routes(routes!(list_leads, create_lead))
        .routes(routes!(export_leads))
        .routes(routes!(export_leads_xlsx))
        .routes(routes!(bulk_leads))
        .routes(routes!(get_lead, update_lead, delete_lead))
        .routes(routes!(restore_lead))
        .routes(routes!(preview_conversion, convert_lead))
}

#[derive(Debug, Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct LeadQuery {
    /// Part of the name, company, phone or e-mail (Chinese or Latin; two
    /// characters are enough).
    pub q: Option<String>,
    /// `new|contacted|qualified|disqualified`.
    #[serde(default, deserialize_with = "super::body::filters::lead_status")]
    pub status: Option<String>,
    /// `high|medium|low`.
    #[serde(default, deserialize_with = "super::body::filters::intention")]
    pub intention: Option<String>,
    pub source: Option<String>,
    pub campaign: Option<String>,
    /// Only records of this owner (someone in the caller's scope).
    pub owner_id: Option<i64>,
    /// Only records whose owner is in this department or one below it (a team).
    pub department_id: Option<i64>,
    /// `true`: only converted leads; `false`: only leads not converted.
    pub converted: Option<bool>,
    /// `true`: only deleted leads (to restore).
    pub deleted: Option<bool>,
}

impl LeadQuery {
    pub fn filter(&self) -> LeadFilter {
        LeadFilter {
            q: self.q.clone(),
            status: self.status.clone(),
            intention: self.intention.clone(),
            source: self.source.clone(),
            campaign: self.campaign.clone(),
            owner_id: self.owner_id,
            department_id: self.department_id,
            converted: self.converted,
            deleted: self.deleted.unwrap_or(false),
            ids: None,
        }
    }
}

/// Leads in the caller's scope. Sort: `-created_at` (default),
/// `updated_at`, `name`, `id`.
#[utoipa::path(get, path = "/leads", tag = "leads", params(LeadQuery, PageParams),
    responses((status = 200, body = Page<LeadView>), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn list_leads(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<LeadQuery>,
    ApiQuery(paging): ApiQuery<PageParams>,
) -> ApiResult<Json<Page<LeadView>>> {
    let page = leads::list_leads(&state.store, &session.actor, &q.filter(), &paging.page()).await.api(&meta)?;
    Ok(Json(page.into()))
}

/// The filtered list as CSV (UTF-8 with BOM, streamed; needs the export right).
#[utoipa::path(get, path = "/leads/export.csv", tag = "leads", params(LeadQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = Problem)))]
async fn export_leads(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<LeadQuery>,
) -> ApiResult<Response> {
    export_as(state, session, meta, q, export::Format::Csv).await
}

/// The filtered list as an Excel workbook (needs the export right).
#[utoipa::path(get, path = "/leads/export.xlsx", tag = "leads", params(LeadQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    body = Vec<u8>), (status = 403, body = Problem)))]
async fn export_leads_xlsx(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<LeadQuery>,
) -> ApiResult<Response> {
    export_as(state, session, meta, q, export::Format::Xlsx).await
}

async fn export_as(
    state: AppState,
    session: crate::auth::Session,
    meta: crate::auth::RequestMeta,
    q: LeadQuery,
    format: export::Format,
) -> ApiResult<Response> {
    let t = |k: &str| crate::i18n::t(&meta.locale, k);
    let header = export::header(&t, &export::LEAD_COLUMNS);
    let fetch =
        export::leads(state.store.clone(), session.actor.clone(), q.filter(), meta.locale.clone()).api(&meta)?;
    export::respond(
        crate::export::Download { store: &state.store, locale: &meta.locale, kind: "leads", file_stem: "leads" },
        format,
        header,
        fetch,
    )
    .await
    .api(&meta)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadBody {
    /// The person.
    pub name: String,
    pub company: Option<String>,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub source: Option<String>,
    pub campaign: Option<String>,
    /// `high|medium|low`.
    pub intention: Option<String>,
    /// `new` (default when creating) `|contacted|qualified|disqualified`;
    /// unchanged when absent in an update.
    pub status: Option<String>,
    /// Default: the caller; unchanged when absent in an update. Must be
    /// inside the caller's scope.
    pub owner_id: Option<i64>,
    #[serde(default)]
    pub notes: String,
    /// Required with status `disqualified`.
    pub disqualify_reason: Option<String>,
    /// Save although a customer, contact or lead with the same company
    /// name, phone or e-mail exists.
    #[serde(default)]
    pub allow_duplicate: bool,
    /// Why a manager saves despite a clash with another owner's customer
    /// (撞单, `owned_by_other`): required with `allow_duplicate` then, at
    /// most 500 characters, recorded in the audit event. Salespeople cannot
    /// save despite a clash.
    pub duplicate_reason: Option<String>,
    /// Required when updating.
    pub version: Option<i64>,
}

impl LeadBody {
    fn input(&self) -> LeadInput {
        LeadInput {
            name: self.name.clone(),
            company: self.company.clone(),
            title: self.title.clone(),
            phone: self.phone.clone(),
            mobile: self.mobile.clone(),
            email: self.email.clone(),
            province: self.province.clone(),
            city: self.city.clone(),
            source: self.source.clone(),
            campaign: self.campaign.clone(),
            intention: self.intention.clone(),
            status: self.status.clone(),
            owner_id: self.owner_id,
            notes: self.notes.clone(),
            disqualify_reason: self.disqualify_reason.clone(),
            allow_duplicate: self.allow_duplicate,
            duplicate_reason: self.duplicate_reason.clone(),
        }
    }
}

#[utoipa::path(post, path = "/leads", tag = "leads", request_body = LeadBody,
    responses((status = 201, body = LeadView), (status = 422, body = Problem)))]
async fn create_lead(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiJson(body): ApiJson<LeadBody>,
) -> ApiResult<(StatusCode, Json<LeadView>)> {
    let lead = leads::create_lead(&state.store, &session.actor, body.input()).await.api(&meta)?;
    Ok((StatusCode::CREATED, Json(lead)))
}

#[utoipa::path(get, path = "/leads/{id}", tag = "leads", params(("id" = i64, Path)),
    responses((status = 200, body = LeadView), (status = 404, body = Problem)))]
async fn get_lead(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<LeadView>> {
    Ok(Json(leads::get_lead(&state.store, &session.actor, id).await.api(&meta)?))
}

/// Changes the fields the body names (RFC 7396 merge patch: absent =
/// unchanged, `null` = cleared); `version` must be the one last read.
/// Converted leads no longer change (422).
#[utoipa::path(patch, path = "/leads/{id}", tag = "leads", params(("id" = i64, Path)), request_body = LeadBody,
    responses((status = 200, body = LeadView), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update_lead(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    patch: MergePatch,
) -> ApiResult<Json<LeadView>> {
    let current = leads::get_lead(&state.store, &session.actor, id).await.api(&meta)?;
    let body: LeadBody = patch.apply(lead_body(&current), &meta.locale)?;
    let version =
        body.version.ok_or_else(|| ApiError::invalid(Invalid::one("version", "required")).in_locale(&meta.locale))?;
    Ok(Json(leads::update_lead(&state.store, &session.actor, id, version, body.input()).await.api(&meta)?))
}

/// A lead in the shape of [`LeadBody`], for merge patches.
fn lead_body(l: &LeadView) -> serde_json::Value {
    serde_json::json!({
        "name": l.name,
        "company": l.company,
        "title": l.title,
        "phone": l.phone,
        "mobile": l.mobile,
        "email": l.email,
        "province": l.province,
        "city": l.city,
        "source": l.source,
        "campaign": l.campaign,
        "intention": l.intention,
        "status": l.status,
        "owner_id": l.owner_id,
        "notes": l.notes,
        "disqualify_reason": l.disqualify_reason,
    })
}

#[utoipa::path(delete, path = "/leads/{id}", tag = "leads", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn delete_lead(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    leads::set_lead_deleted(&state.store, &session.actor, id, true).await.api(&meta)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/leads/{id}/restore", tag = "leads", params(("id" = i64, Path)),
    responses((status = 200, body = LeadView), (status = 404, body = Problem)))]
async fn restore_lead(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<LeadView>> {
    Ok(Json(leads::set_lead_deleted(&state.store, &session.actor, id, false).await.api(&meta)?))
}

#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ConvertBody {
    /// Add the lead to this existing customer instead of the one the
    /// duplicate check finds.
    pub customer_id: Option<i64>,
    /// `true`: create a new customer even when the duplicate check finds one.
    #[serde(default)]
    pub new_customer: bool,
    /// The new contact's role (`handler` by default).
    pub contact_role: Option<String>,
    /// The lead's version last read (optional).
    pub version: Option<i64>,
    /// Also open an opportunity for the customer and contact (owner: the
    /// lead's owner; source and campaign from the lead).
    pub opportunity: Option<ConvertOpportunityBody>,
}

#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ConvertOpportunityBody {
    /// Default: the customer's name.
    pub name: Option<String>,
    /// Decimal string; default `"0"`.
    pub amount: Option<String>,
    /// Default: the first pipeline.
    pub pipeline_id: Option<i64>,
    pub expected_close_date: Option<chrono::NaiveDate>,
}

/// What converting would do: the existing customer the duplicate check
/// finds (the lead would join it), other look-alikes the caller cannot add
/// to, and the name a new customer would get.
#[utoipa::path(get, path = "/leads/{id}/convert", tag = "leads", params(("id" = i64, Path)),
    responses((status = 200, body = ConversionPreview), (status = 404, body = Problem)))]
async fn preview_conversion(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<ConversionPreview>> {
    Ok(Json(leads::conversion_preview(&state.store, &session.actor, id).await.api(&meta)?))
}

/// Converts a qualified lead into customer + contact in one step. Reuses
/// the customer the duplicate check finds (same company name, or a contact
/// with the same phone or e-mail) unless `new_customer` or `customer_id`
/// say otherwise. A look-alike the caller cannot add to answers 422
/// `possible_duplicate` on `customer_id`. Not qualified or already
/// converted: 422 on `status`. With `opportunity`, an opportunity is
/// opened too (its field errors are named `opportunity.…`).
#[utoipa::path(post, path = "/leads/{id}/convert", tag = "leads", params(("id" = i64, Path)),
    request_body(content = ConvertBody, description = "optional"),
    responses((status = 200, body = Conversion), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn convert_lead(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    OptionalJson(body): OptionalJson<ConvertBody>,
) -> ApiResult<Json<Conversion>> {
    let input = ConvertInput {
        customer_id: body.customer_id,
        new_customer: body.new_customer,
        contact_role: body.contact_role,
        version: body.version,
        opportunity: match body.opportunity {
            Some(o) => Some(ConvertOpportunity {
                name: o.name,
                amount: match o.amount.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
                    Some(a) => Money::parse_strict(a).map_err(|e| {
                        ApiError::invalid(Invalid(vec![e.field("opportunity.amount")])).in_locale(&meta.locale)
                    })?,
                    None => Money::default(),
                },
                pipeline_id: o.pipeline_id,
                expected_close_date: o.expected_close_date,
            }),
            None => None,
        },
    };
    Ok(Json(leads::convert(&state.store, &session.actor, id, input).await.api(&meta)?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadBulkBody {
    /// At most 500 leads, all in the caller's scope (all or none change).
    pub ids: Vec<i64>,
    /// `assign_owner` (with `owner_id`, someone in the caller's scope; not
    /// for converted leads) or `delete` (needs the delete right).
    pub action: String,
    pub owner_id: Option<i64>,
}

/// One action on selected leads: assign an owner, delete.
#[utoipa::path(post, path = "/leads/bulk", tag = "leads", request_body = LeadBulkBody,
    responses((status = 200, body = super::customers::BulkResult), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn bulk_leads(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiJson(body): ApiJson<LeadBulkBody>,
) -> ApiResult<Json<super::customers::BulkResult>> {
    let action = crate::input::bulk::lead_action(&body.action, body.owner_id)
        .map_err(|e| ApiError::invalid(e).in_locale(&meta.locale))?;
    let changed = leads::bulk(&state.store, &session.actor, &body.ids, action).await.api(&meta)?;
    Ok(Json(super::customers::BulkResult { changed }))
}
