//! Customers and contacts, with the public pool's claim and release.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use salesflow_domain::Invalid;
use salesflow_domain::money::Money;
use salesflow_domain::settings::Settings;
use salesflow_store::customers::{
    self, ContactFilter, ContactInput, ContactView, CustomerFilter, CustomerInput, CustomerView, MergeOutcome,
};
use salesflow_store::settings;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::body::MergePatch;
use super::{ApiJson, ApiQuery, OrApi, Page, PageParams};
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::export::{self, Format};
use crate::input::bulk;
use crate::input::dates::instant_or_day;
use crate::server::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_customers, create_customer))
        .routes(routes!(get_customer, update_customer, delete_customer))
        .routes(routes!(restore_customer))
        .routes(routes!(export_customers_csv))
        .routes(routes!(export_customers_xlsx))
        .routes(routes!(bulk_customers))
        .routes(routes!(merge_customer))
        .routes(routes!(claim_customer))
        .routes(routes!(release_customer))
        .routes(routes!(list_contacts, create_contact))
        .routes(routes!(bulk_contacts))
        .routes(routes!(export_contacts_csv))
        .routes(routes!(export_contacts_xlsx))
        .routes(routes!(get_contact, update_contact, delete_contact))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CustomerQuery {
    /// Part of the name (Chinese or Latin; two characters are enough).
    pub q: Option<String>,
    /// Only records of this owner (someone in the caller's scope).
    pub owner_id: Option<i64>,
    /// Only records whose owner is in this department or one below it (a team).
    pub department_id: Option<i64>,
    /// `true`: only the public pool (no owner).
    pub pool: Option<bool>,
    #[serde(default, deserialize_with = "super::body::filters::grade")]
    pub grade: Option<String>,
    pub industry: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    /// The province (`浙江`), or province and city (`浙江 杭州`, `浙江/杭州`).
    pub region: Option<String>,
    pub source: Option<String>,
    pub kind: Option<String>,
    pub tag: Option<String>,
    /// `true`: customers that closed a deal (成交客户档案); `false`: prospects.
    pub closed: Option<bool>,
    pub deleted: Option<bool>,
}

impl CustomerQuery {
    pub fn filter(&self) -> CustomerFilter {
        CustomerFilter {
            q: self.q.clone(),
            owner_id: self.owner_id,
            department_id: self.department_id,
            pool: self.pool.unwrap_or(false),
            grade: self.grade.clone(),
            industry: self.industry.clone(),
            province: self.province.clone(),
            city: self.city.clone(),
            region: self.region.clone(),
            source: self.source.clone(),
            kind: self.kind.clone(),
            tag: self.tag.clone(),
            closed: self.closed,
            ids: None,
            deleted: self.deleted.unwrap_or(false),
        }
    }
}

/// Customers in the caller's scope and the public pool. Sort:
/// `-last_activity_at` (default), `created_at`, `updated_at`, `name`, `id`.
#[utoipa::path(get, path = "/customers", tag = "customers", params(CustomerQuery, PageParams),
    responses((status = 200, body = Page<CustomerView>), (status = 403, body = Problem)))]
async fn list_customers(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<CustomerQuery>,
    ApiQuery(paging): ApiQuery<PageParams>,
) -> ApiResult<Json<Page<CustomerView>>> {
    let page = customers::list_customers(&state.store, &session.actor, &q.filter(), &paging.page()).await.api(&meta)?;
    Ok(Json(page.into()))
}

/// The filtered list as CSV (UTF-8 with BOM, streamed; needs the export right).
#[utoipa::path(get, path = "/customers/export.csv", tag = "customers", params(CustomerQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = Problem)))]
async fn export_customers_csv(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<CustomerQuery>,
) -> ApiResult<axum::response::Response> {
    export_customers(state, session, meta, q, Format::Csv).await
}

/// The filtered list as an Excel workbook (needs the export right).
#[utoipa::path(get, path = "/customers/export.xlsx", tag = "customers", params(CustomerQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    body = Vec<u8>), (status = 403, body = Problem)))]
async fn export_customers_xlsx(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<CustomerQuery>,
) -> ApiResult<axum::response::Response> {
    export_customers(state, session, meta, q, Format::Xlsx).await
}

async fn export_customers(
    state: AppState,
    session: crate::auth::Session,
    meta: crate::auth::RequestMeta,
    q: CustomerQuery,
    format: Format,
) -> ApiResult<axum::response::Response> {
    let t = |k: &str| crate::i18n::t(&meta.locale, k);
    let header = export::header(&t, &export::CUSTOMER_COLUMNS);
    let fetch =
        export::customers(state.store.clone(), session.actor.clone(), q.filter(), meta.locale.clone()).api(&meta)?;
    export::respond(
        crate::export::Download {
            store: &state.store,
            locale: &meta.locale,
            kind: "customers",
            file_stem: "customers",
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
pub struct BulkBody {
    /// At most 500 customers, all in the caller's scope (all or none change).
    pub ids: Vec<i64>,
    /// `assign_owner` (with `owner_id`), `add_tag` (with `tag`) or `delete`.
    pub action: String,
    pub owner_id: Option<i64>,
    pub tag: Option<String>,
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct BulkResult {
    pub changed: u64,
}

/// One action on selected customers: assign an owner, add a tag, delete.
#[utoipa::path(post, path = "/customers/bulk", tag = "customers", request_body = BulkBody,
    responses((status = 200, body = BulkResult), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn bulk_customers(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiJson(body): ApiJson<BulkBody>,
) -> ApiResult<Json<BulkResult>> {
    let action = bulk::customer_action(&body.action, body.owner_id, body.tag.as_deref())
        .map_err(|e| ApiError::invalid(e).in_locale(&meta.locale))?;
    let changed = customers::bulk(&state.store, &session.actor, &body.ids, action).await.api(&meta)?;
    Ok(Json(BulkResult { changed }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    /// The customer merged into this one (then deleted, pointing here).
    pub other_id: i64,
}

/// Merges another customer into this one (administrators): contacts and
/// activities move here, empty fields are filled, the other is deleted.
#[utoipa::path(post, path = "/customers/{id}/merge", tag = "customers", params(("id" = i64, Path)),
    request_body = MergeBody,
    responses((status = 200, body = MergeOutcome), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn merge_customer(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<MergeBody>,
) -> ApiResult<Json<MergeOutcome>> {
    Ok(Json(customers::merge(&state.store, &session.actor, id, body.other_id).await.api(&meta)?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerBody {
    pub name: String,
    /// `A`, `B` or `C`.
    pub grade: Option<String>,
    /// `industry`, `source` and `kind` name a choice of their picklist
    /// (`GET /picklists`) by its code or its label in either language; the
    /// code is stored and returned.
    pub industry: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    /// Province and city in one (`浙江 杭州` or `浙江/杭州`), instead of
    /// `province` and `city`.
    pub region: Option<String>,
    pub address: Option<String>,
    pub source: Option<String>,
    pub kind: Option<String>,
    /// Digits with `+`, `-`, spaces or brackets (`021-6234 5678`).
    pub phone: Option<String>,
    /// `www.huaxin.cn` or `https://…` (stored with its scheme).
    pub website: Option<String>,
    /// 统一社会信用代码: 18 characters with a valid check character (lower
    /// case accepted, stored in capitals).
    pub credit_code: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Decimal string, e.g. `"500000.00"`; default 0.
    pub credit_limit: Option<String>,
    /// Default: the caller. Must be inside the caller's scope.
    pub owner_id: Option<i64>,
    /// `true`: create straight into the public pool.
    #[serde(default)]
    pub to_pool: bool,
    #[serde(default)]
    pub notes: String,
    /// When the customer first closed a deal: RFC 3339 or `YYYY-MM-DD`.
    pub closed_at: Option<String>,
    /// Save although a customer with the same name exists.
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

impl CustomerBody {
    fn input(&self, settings: &Settings) -> Result<CustomerInput, Invalid> {
        let closed_at = match self.closed_at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(text) => {
                Some(instant_or_day(text, settings).ok_or_else(|| Invalid::one("closed_at", "invalid_date"))?)
            }
        };
        let credit_limit = match self.credit_limit.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Money(0),
            Some(text) => Money::parse_strict(text).map_err(|e| Invalid(vec![e.field("credit_limit")]))?,
        };
        let (province, city) = match &self.region {
            None => (self.province.clone(), self.city.clone()),
            Some(_) if self.province.is_some() || self.city.is_some() => {
                return Err(Invalid::one("region", "region_conflict"));
            }
            Some(region) => salesflow_domain::customers::split_region(region),
        };
        Ok(CustomerInput {
            name: self.name.clone(),
            grade: self.grade.clone(),
            industry: self.industry.clone(),
            province,
            city,
            address: self.address.clone(),
            source: self.source.clone(),
            kind: self.kind.clone(),
            phone: self.phone.clone(),
            website: self.website.clone(),
            credit_code: self.credit_code.clone(),
            tags: self.tags.iter().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect(),
            credit_limit,
            owner_id: self.owner_id,
            to_pool: self.to_pool,
            notes: self.notes.clone(),
            closed_at,
            allow_duplicate: self.allow_duplicate,
            duplicate_reason: self.duplicate_reason.clone(),
        })
    }
}

#[utoipa::path(post, path = "/customers", tag = "customers", request_body = CustomerBody,
    responses((status = 201, body = CustomerView), (status = 422, body = Problem)))]
async fn create_customer(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiJson(body): ApiJson<CustomerBody>,
) -> ApiResult<(StatusCode, Json<CustomerView>)> {
    let company = settings::get(&state.store).await.api(&meta)?.settings;
    let input = body.input(&company).map_err(|e| ApiError::invalid(e).in_locale(&meta.locale))?;
    let c = customers::create_customer(&state.store, &session.actor, input).await.api(&meta)?;
    Ok((StatusCode::CREATED, Json(c)))
}

#[utoipa::path(get, path = "/customers/{id}", tag = "customers", params(("id" = i64, Path)),
    responses((status = 200, body = CustomerView), (status = 404, body = Problem)))]
async fn get_customer(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<CustomerView>> {
    Ok(Json(customers::get_customer(&state.store, &session.actor, id).await.api(&meta)?))
}

/// Changes the fields the body names (RFC 7396 merge patch: absent =
/// unchanged, `null` = cleared); `version` must be the one last read.
#[utoipa::path(patch, path = "/customers/{id}", tag = "customers", params(("id" = i64, Path)), request_body = CustomerBody,
    responses((status = 200, body = CustomerView), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update_customer(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    patch: MergePatch,
) -> ApiResult<Json<CustomerView>> {
    let current = customers::get_customer(&state.store, &session.actor, id).await.api(&meta)?;
    let mut base = customer_body(&current);
    // `region` stands for province and city together.
    if patch.has("region")
        && !patch.has("province")
        && !patch.has("city")
        && let Some(m) = base.as_object_mut()
    {
        m.retain(|k, _| k != "province" && k != "city");
    }
    let body: CustomerBody = patch.apply(base, &meta.locale)?;
    let company = settings::get(&state.store).await.api(&meta)?.settings;
    let input = body.input(&company).map_err(|e| ApiError::invalid(e).in_locale(&meta.locale))?;
    let version =
        body.version.ok_or_else(|| ApiError::invalid(Invalid::one("version", "required")).in_locale(&meta.locale))?;
    Ok(Json(customers::update_customer(&state.store, &session.actor, id, version, input).await.api(&meta)?))
}

/// A customer in the shape of [`CustomerBody`], for merge patches.
fn customer_body(c: &CustomerView) -> serde_json::Value {
    serde_json::json!({
        "name": c.name,
        "grade": c.grade,
        "industry": c.industry,
        "province": c.province,
        "city": c.city,
        "address": c.address,
        "source": c.source,
        "kind": c.kind,
        "phone": c.phone,
        "website": c.website,
        "credit_code": c.credit_code,
        "tags": c.tags,
        "credit_limit": c.credit_limit,
        "owner_id": c.owner_id,
        "notes": c.notes,
        "closed_at": c.closed_at.map(|t| t.to_rfc3339()),
    })
}

#[utoipa::path(delete, path = "/customers/{id}", tag = "customers", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn delete_customer(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    customers::set_customer_deleted(&state.store, &session.actor, id, true).await.api(&meta)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/customers/{id}/restore", tag = "customers", params(("id" = i64, Path)),
    responses((status = 200, body = CustomerView), (status = 404, body = Problem)))]
async fn restore_customer(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<CustomerView>> {
    Ok(Json(customers::set_customer_deleted(&state.store, &session.actor, id, false).await.api(&meta)?))
}

/// Takes a customer from the public pool (at most 20 a day per person).
#[utoipa::path(post, path = "/customers/{id}/claim", tag = "customers", params(("id" = i64, Path)),
    responses((status = 200, body = CustomerView), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn claim_customer(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<CustomerView>> {
    Ok(Json(customers::claim(&state.store, &session.actor, id).await.api(&meta)?))
}

/// Puts one's own customer back into the public pool.
#[utoipa::path(post, path = "/customers/{id}/release", tag = "customers", params(("id" = i64, Path)),
    responses((status = 200, body = CustomerView), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn release_customer(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<CustomerView>> {
    Ok(Json(customers::release(&state.store, &session.actor, id).await.api(&meta)?))
}

// ---------------------------------------------------------------- contacts

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContactQuery {
    pub customer_id: Option<i64>,
    /// Part of the name, phone or e-mail.
    pub q: Option<String>,
    #[serde(default, deserialize_with = "super::body::filters::contact_role")]
    pub role: Option<String>,
}

/// Contacts of the customers in the caller's scope. Sort: `name`
/// (default), `created_at`, `id`.
#[utoipa::path(get, path = "/contacts", tag = "customers", params(ContactQuery, PageParams),
    responses((status = 200, body = Page<ContactView>)))]
async fn list_contacts(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<ContactQuery>,
    ApiQuery(paging): ApiQuery<PageParams>,
) -> ApiResult<Json<Page<ContactView>>> {
    Ok(Json(
        customers::list_contacts(&state.store, &session.actor, &q.filter(), &paging.page()).await.api(&meta)?.into(),
    ))
}

impl ContactQuery {
    fn filter(&self) -> ContactFilter {
        ContactFilter { customer_id: self.customer_id, q: self.q.clone(), role: self.role.clone(), ids: None }
    }
}

/// The filtered contacts as CSV (UTF-8 with BOM, streamed; needs the export right).
#[utoipa::path(get, path = "/contacts/export.csv", tag = "customers", params(ContactQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = Problem)))]
async fn export_contacts_csv(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<ContactQuery>,
) -> ApiResult<axum::response::Response> {
    export_contacts(state, session, meta, q, Format::Csv).await
}

/// The filtered contacts as an Excel workbook (needs the export right).
#[utoipa::path(get, path = "/contacts/export.xlsx", tag = "customers", params(ContactQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    body = Vec<u8>), (status = 403, body = Problem)))]
async fn export_contacts_xlsx(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<ContactQuery>,
) -> ApiResult<axum::response::Response> {
    export_contacts(state, session, meta, q, Format::Xlsx).await
}

async fn export_contacts(
    state: AppState,
    session: crate::auth::Session,
    meta: crate::auth::RequestMeta,
    q: ContactQuery,
    format: Format,
) -> ApiResult<axum::response::Response> {
    let t = |k: &str| crate::i18n::t(&meta.locale, k);
    let header = export::header(&t, &export::CONTACT_COLUMNS);
    let fetch =
        export::contacts(state.store.clone(), session.actor.clone(), q.filter(), meta.locale.clone()).api(&meta)?;
    export::respond(
        crate::export::Download { store: &state.store, locale: &meta.locale, kind: "contacts", file_stem: "contacts" },
        format,
        header,
        fetch,
    )
    .await
    .api(&meta)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    pub customer_id: i64,
    pub name: String,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub email: Option<String>,
    /// `handler|decision_maker|evaluator|supporter|executive|other`.
    pub role: String,
    #[serde(default)]
    pub notes: String,
    /// Save although a contact with the same phone or e-mail exists.
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

impl ContactBody {
    fn input(&self) -> ContactInput {
        ContactInput {
            customer_id: self.customer_id,
            name: self.name.clone(),
            title: self.title.clone(),
            phone: self.phone.clone(),
            mobile: self.mobile.clone(),
            email: self.email.clone(),
            role: self.role.clone(),
            notes: self.notes.clone(),
            allow_duplicate: self.allow_duplicate,
            duplicate_reason: self.duplicate_reason.clone(),
        }
    }
}

#[utoipa::path(post, path = "/contacts", tag = "customers", request_body = ContactBody,
    responses((status = 201, body = ContactView), (status = 422, body = Problem)))]
async fn create_contact(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiJson(body): ApiJson<ContactBody>,
) -> ApiResult<(StatusCode, Json<ContactView>)> {
    let c = customers::create_contact(&state.store, &session.actor, body.input()).await.api(&meta)?;
    Ok((StatusCode::CREATED, Json(c)))
}

#[utoipa::path(get, path = "/contacts/{id}", tag = "customers", params(("id" = i64, Path)),
    responses((status = 200, body = ContactView), (status = 404, body = Problem)))]
async fn get_contact(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<ContactView>> {
    Ok(Json(customers::get_contact(&state.store, &session.actor, id).await.api(&meta)?))
}

/// Changes the fields the body names (RFC 7396 merge patch); `version`
/// must be the one last read.
#[utoipa::path(patch, path = "/contacts/{id}", tag = "customers", params(("id" = i64, Path)), request_body = ContactBody,
    responses((status = 200, body = ContactView), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update_contact(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    patch: MergePatch,
) -> ApiResult<Json<ContactView>> {
    let current = customers::get_contact(&state.store, &session.actor, id).await.api(&meta)?;
    let body: ContactBody = patch.apply(contact_body(&current), &meta.locale)?;
    let version =
        body.version.ok_or_else(|| ApiError::invalid(Invalid::one("version", "required")).in_locale(&meta.locale))?;
    Ok(Json(customers::update_contact(&state.store, &session.actor, id, version, body.input()).await.api(&meta)?))
}

/// A contact in the shape of [`ContactBody`], for merge patches.
pub fn contact_body(c: &ContactView) -> serde_json::Value {
    serde_json::json!({
        "customer_id": c.customer_id,
        "name": c.name,
        "title": c.title,
        "phone": c.phone,
        "mobile": c.mobile,
        "email": c.email,
        "role": c.role,
        "notes": c.notes,
    })
}

#[utoipa::path(delete, path = "/contacts/{id}", tag = "customers", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn delete_contact(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    customers::delete_contact(&state.store, &session.actor, id).await.api(&meta)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactBulkBody {
    /// At most 500 contacts, all of customers the caller may change (all
    /// or none change).
    pub ids: Vec<i64>,
    /// `delete`.
    pub action: String,
}

/// One action on selected contacts: delete.
#[utoipa::path(post, path = "/contacts/bulk", tag = "customers", request_body = ContactBulkBody,
    responses((status = 200, body = BulkResult), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn bulk_contacts(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiJson(body): ApiJson<ContactBulkBody>,
) -> ApiResult<Json<BulkResult>> {
    if body.action != "delete" {
        return Err(ApiError::invalid(Invalid::one("action", "invalid_choice")).in_locale(&meta.locale));
    }
    let changed = customers::delete_contacts(&state.store, &session.actor, &body.ids).await.api(&meta)?;
    Ok(Json(BulkResult { changed }))
}
