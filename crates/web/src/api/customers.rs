//! Customers and contacts, with the public pool's claim and release.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use salesflow_domain::Invalid;
use salesflow_domain::money::Money;
use salesflow_store::customers::{
    self, ContactFilter, ContactInput, ContactView, CustomerFilter, CustomerInput, CustomerView,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiJson, ApiQuery, OrApi, Page, PageParams};
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::server::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_customers, create_customer))
        .routes(routes!(get_customer, update_customer, delete_customer))
        .routes(routes!(restore_customer))
        .routes(routes!(export_customers))
        .routes(routes!(claim_customer))
        .routes(routes!(release_customer))
        .routes(routes!(list_contacts, create_contact))
        .routes(routes!(get_contact, update_contact, delete_contact))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CustomerQuery {
    /// Part of the name (Chinese or Latin; two characters are enough).
    pub q: Option<String>,
    pub owner_id: Option<i64>,
    /// `true`: only the public pool (no owner).
    pub pool: Option<bool>,
    pub grade: Option<String>,
    pub industry: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub source: Option<String>,
    pub kind: Option<String>,
    pub tag: Option<String>,
    pub deleted: Option<bool>,
}

impl CustomerQuery {
    pub fn filter(&self) -> CustomerFilter {
        CustomerFilter {
            q: self.q.clone(),
            owner_id: self.owner_id,
            pool: self.pool.unwrap_or(false),
            grade: self.grade.clone(),
            industry: self.industry.clone(),
            province: self.province.clone(),
            city: self.city.clone(),
            source: self.source.clone(),
            kind: self.kind.clone(),
            tag: self.tag.clone(),
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
async fn export_customers(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<CustomerQuery>,
) -> ApiResult<axum::response::Response> {
    let t = |k: &str| crate::i18n::t(&meta.locale, k);
    let header = crate::export::customer_header(&t);
    crate::export::customers_csv(state.store.clone(), session.actor.clone(), q.filter(), header, "customers.csv")
        .await
        .api(&meta)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerBody {
    pub name: String,
    /// `A`, `B` or `C`.
    pub grade: Option<String>,
    pub industry: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub address: Option<String>,
    pub source: Option<String>,
    pub kind: Option<String>,
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
    /// Save although a customer with the same name exists.
    #[serde(default)]
    pub allow_duplicate: bool,
    /// Required when updating.
    pub version: Option<i64>,
}

impl CustomerBody {
    fn input(&self) -> Result<CustomerInput, Invalid> {
        let credit_limit = match self.credit_limit.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Money(0),
            Some(text) => Money::parse(text).map_err(|_| Invalid::one("credit_limit", "invalid_amount"))?,
        };
        Ok(CustomerInput {
            name: self.name.clone(),
            grade: self.grade.clone(),
            industry: self.industry.clone(),
            province: self.province.clone(),
            city: self.city.clone(),
            address: self.address.clone(),
            source: self.source.clone(),
            kind: self.kind.clone(),
            tags: self.tags.iter().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect(),
            credit_limit,
            owner_id: self.owner_id,
            to_pool: self.to_pool,
            notes: self.notes.clone(),
            allow_duplicate: self.allow_duplicate,
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
    let input = body.input().map_err(|e| ApiError::invalid(e).in_locale(&meta.locale))?;
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

/// Replaces the customer's fields; `version` must be the one last read.
#[utoipa::path(patch, path = "/customers/{id}", tag = "customers", params(("id" = i64, Path)), request_body = CustomerBody,
    responses((status = 200, body = CustomerView), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update_customer(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<CustomerBody>,
) -> ApiResult<Json<CustomerView>> {
    let input = body.input().map_err(|e| ApiError::invalid(e).in_locale(&meta.locale))?;
    let version =
        body.version.ok_or_else(|| ApiError::invalid(Invalid::one("version", "required")).in_locale(&meta.locale))?;
    Ok(Json(customers::update_customer(&state.store, &session.actor, id, version, input).await.api(&meta)?))
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
    let filter = ContactFilter { customer_id: q.customer_id, q: q.q.clone(), role: q.role.clone() };
    Ok(Json(customers::list_contacts(&state.store, &session.actor, &filter, &paging.page()).await.api(&meta)?.into()))
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

#[utoipa::path(patch, path = "/contacts/{id}", tag = "customers", params(("id" = i64, Path)), request_body = ContactBody,
    responses((status = 200, body = ContactView), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update_contact(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<ContactBody>,
) -> ApiResult<Json<ContactView>> {
    let version =
        body.version.ok_or_else(|| ApiError::invalid(Invalid::one("version", "required")).in_locale(&meta.locale))?;
    Ok(Json(customers::update_contact(&state.store, &session.actor, id, version, body.input()).await.api(&meta)?))
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
