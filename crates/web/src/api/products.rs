//! Products, their categories and price lists. Everyone signed in reads
//! them; changing them needs the `products` module. Money and quantities
//! are decimal strings.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use salesflow_domain::products::ProductText;
use salesflow_domain::{FieldError, Invalid};
use salesflow_store::products::{
    self, CategoryView, PriceAnswer, PriceEntryView, PriceInput, ProductFilter, ProductInput, ProductView,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::body::MergePatch;
use super::{ApiJson, ApiQuery, OrApi, Page, PageParams};
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::export;
use crate::server::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_categories, create_category))
        .routes(routes!(update_category, delete_category))
        .routes(routes!(list_products, create_product))
        .routes(routes!(export_products))
        .routes(routes!(export_products_xlsx))
        .routes(routes!(get_product, update_product, delete_product))
        .routes(routes!(list_prices, add_price))
        .routes(routes!(delete_price))
        .routes(routes!(product_price))
}

fn invalid(meta: &crate::auth::RequestMeta, errors: Vec<FieldError>) -> ApiError {
    ApiError::invalid(Invalid(errors)).in_locale(&meta.locale)
}

fn day(text: Option<&str>, field: &str) -> Result<Option<NaiveDate>, FieldError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => salesflow_domain::time::parse_day(t).map(Some).ok_or_else(|| FieldError::new(field, "invalid_date")),
    }
}

// ---------------------------------------------------------------- categories

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryList {
    /// Every category, by name; the tree is given by `parent_id`.
    pub items: Vec<CategoryView>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryBody {
    pub name: String,
    /// The category above (none: at the top). Never the category itself or one below it.
    pub parent_id: Option<i64>,
    /// Required when updating.
    pub version: Option<i64>,
}

/// The product category tree.
#[utoipa::path(get, path = "/product-categories", tag = "products",
    responses((status = 200, body = CategoryList)))]
async fn list_categories(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
) -> ApiResult<Json<CategoryList>> {
    Ok(Json(CategoryList { items: products::list_categories(&state.store, &session.actor).await.api(&meta)? }))
}

#[utoipa::path(post, path = "/product-categories", tag = "products", request_body = CategoryBody,
    responses((status = 201, body = CategoryView), (status = 422, body = Problem)))]
async fn create_category(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiJson(body): ApiJson<CategoryBody>,
) -> ApiResult<(StatusCode, Json<CategoryView>)> {
    let c = products::create_category(&state.store, &session.actor, &body.name, body.parent_id).await.api(&meta)?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// Renames or moves a category (merge patch; `version` as last read).
#[utoipa::path(patch, path = "/product-categories/{id}", tag = "products", params(("id" = i64, Path)),
    request_body = CategoryBody,
    responses((status = 200, body = CategoryView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn update_category(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    patch: MergePatch,
) -> ApiResult<Json<CategoryView>> {
    let all = products::list_categories(&state.store, &session.actor).await.api(&meta)?;
    let current = all
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(|| ApiError::from(salesflow_store::StoreError::NotFound).in_locale(&meta.locale))?;
    let base = serde_json::json!({"name": current.name, "parent_id": current.parent_id});
    let body: CategoryBody = patch.apply(base, &meta.locale)?;
    let version = body.version.ok_or_else(|| invalid(&meta, vec![FieldError::new("version", "required")]))?;
    Ok(Json(
        products::update_category(&state.store, &session.actor, id, version, &body.name, body.parent_id)
            .await
            .api(&meta)?,
    ))
}

/// Deletes an empty category (no sub-categories, no products: else 422 with the counts).
#[utoipa::path(delete, path = "/product-categories/{id}", tag = "products", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn delete_category(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    products::delete_category(&state.store, &session.actor, id).await.api(&meta)?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------- products

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductQuery {
    /// Part of the code or name (two characters are enough).
    pub q: Option<String>,
    /// This category and all below it.
    pub category_id: Option<i64>,
    pub active: Option<bool>,
}

/// Products. Sort: `code` (default), `name`, `updated_at`, `id`.
#[utoipa::path(get, path = "/products", tag = "products", params(ProductQuery, PageParams),
    responses((status = 200, body = Page<ProductView>), (status = 422, body = Problem)))]
async fn list_products(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<ProductQuery>,
    ApiQuery(paging): ApiQuery<PageParams>,
) -> ApiResult<Json<Page<ProductView>>> {
    let filter = ProductFilter { q: q.q, category_id: q.category_id, active: q.active };
    Ok(Json(products::list_products(&state.store, &session.actor, &filter, &paging.page()).await.api(&meta)?.into()))
}

/// The filtered catalogue as CSV (UTF-8 with BOM, streamed; needs the export right).
#[utoipa::path(get, path = "/products/export.csv", tag = "products", params(ProductQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = Problem)))]
async fn export_products(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<ProductQuery>,
) -> ApiResult<Response> {
    export_as(state, session, meta, q, export::Format::Csv).await
}

/// The filtered catalogue as an Excel workbook (needs the export right).
#[utoipa::path(get, path = "/products/export.xlsx", tag = "products", params(ProductQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    body = Vec<u8>), (status = 403, body = Problem)))]
async fn export_products_xlsx(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<ProductQuery>,
) -> ApiResult<Response> {
    export_as(state, session, meta, q, export::Format::Xlsx).await
}

async fn export_as(
    state: AppState,
    session: crate::auth::Session,
    meta: crate::auth::RequestMeta,
    q: ProductQuery,
    format: export::Format,
) -> ApiResult<Response> {
    let t = |k: &str| crate::i18n::t(&meta.locale, k);
    let header = export::header(&t, &export::PRODUCT_COLUMNS);
    let filter = ProductFilter { q: q.q, category_id: q.category_id, active: q.active };
    let fetch = export::products(state.store.clone(), session.actor.clone(), filter).api(&meta)?;
    let download =
        export::Download { store: &state.store, locale: &meta.locale, kind: "products", file_stem: "products" };
    export::respond(download, format, header, fetch).await.api(&meta)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductBody {
    /// Unique, no spaces, at most 50 characters.
    pub code: String,
    pub name: String,
    pub category_id: Option<i64>,
    #[serde(default)]
    pub specification: String,
    /// 台, 个, pcs …
    pub unit: String,
    /// Decimal string ≥ 0, two decimals at most.
    pub list_price: String,
    #[serde(default = "zero")]
    pub cost: String,
    /// Percent 0–100, e.g. `"13"`.
    #[serde(default = "zero")]
    pub tax_rate: String,
    /// Default `true`.
    #[serde(default = "yes")]
    pub active: bool,
    /// Decimal string ≥ 0 (three decimals at most); 0: never low.
    #[serde(default = "zero")]
    pub reorder_point: String,
    #[serde(default = "zero")]
    pub safety_stock: String,
    /// Where the product is usually bought (drafts from the low-stock list).
    pub default_supplier_id: Option<i64>,
    /// A service (installation, training): no stock; an order line for it
    /// reserves and ships nothing. Default `false`.
    #[serde(default)]
    pub service: bool,
    /// Required when updating.
    pub version: Option<i64>,
}

fn zero() -> String {
    "0".to_owned()
}

fn yes() -> bool {
    true
}

impl ProductBody {
    fn input(&self) -> ProductInput {
        ProductInput {
            text: ProductText {
                code: self.code.clone(),
                name: self.name.clone(),
                specification: self.specification.clone(),
                unit: self.unit.clone(),
                list_price: self.list_price.clone(),
                cost: self.cost.clone(),
                tax_rate: self.tax_rate.clone(),
                reorder_point: self.reorder_point.clone(),
                safety_stock: self.safety_stock.clone(),
            },
            category_id: self.category_id,
            active: self.active,
            default_supplier_id: self.default_supplier_id,
            service: self.service,
        }
    }
}

#[utoipa::path(post, path = "/products", tag = "products", request_body = ProductBody,
    responses((status = 201, body = ProductView), (status = 422, body = Problem)))]
async fn create_product(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiJson(body): ApiJson<ProductBody>,
) -> ApiResult<(StatusCode, Json<ProductView>)> {
    let p = products::create_product(&state.store, &session.actor, body.input()).await.api(&meta)?;
    Ok((StatusCode::CREATED, Json(p)))
}

#[utoipa::path(get, path = "/products/{id}", tag = "products", params(("id" = i64, Path)),
    responses((status = 200, body = ProductView), (status = 404, body = Problem)))]
async fn get_product(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<ProductView>> {
    Ok(Json(products::get_product(&state.store, &session.actor, id).await.api(&meta)?))
}

/// Changes the fields the body names (merge patch); `version` as last read.
#[utoipa::path(patch, path = "/products/{id}", tag = "products", params(("id" = i64, Path)), request_body = ProductBody,
    responses((status = 200, body = ProductView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn update_product(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    patch: MergePatch,
) -> ApiResult<Json<ProductView>> {
    let p = products::get_product(&state.store, &session.actor, id).await.api(&meta)?;
    let base = serde_json::json!({
        "code": p.code, "name": p.name, "category_id": p.category_id, "specification": p.specification,
        "unit": p.unit, "list_price": p.list_price, "cost": p.cost, "tax_rate": p.tax_rate, "active": p.active,
        "reorder_point": p.reorder_point, "safety_stock": p.safety_stock,
        "default_supplier_id": p.default_supplier_id, "service": p.service,
    });
    let body: ProductBody = patch.apply(base, &meta.locale)?;
    let version = body.version.ok_or_else(|| invalid(&meta, vec![FieldError::new("version", "required")]))?;
    Ok(Json(products::update_product(&state.store, &session.actor, id, version, body.input()).await.api(&meta)?))
}

/// Deletes a product no stock movement names (else 422 with the reason:
/// deactivate it instead).
#[utoipa::path(delete, path = "/products/{id}", tag = "products", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn delete_product(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    products::delete_product(&state.store, &session.actor, id).await.api(&meta)?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------- prices

#[derive(Debug, Serialize, ToSchema)]
pub struct PriceList {
    /// Customers' entries first, then grades', newest first.
    pub items: Vec<PriceEntryView>,
}

#[utoipa::path(get, path = "/products/{id}/prices", tag = "products", params(("id" = i64, Path)),
    responses((status = 200, body = PriceList), (status = 404, body = Problem)))]
async fn list_prices(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<PriceList>> {
    Ok(Json(PriceList { items: products::list_prices(&state.store, &session.actor, id).await.api(&meta)? }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceBody {
    /// For this customer (in the caller's scope), or
    pub customer_id: Option<i64>,
    /// for customers of this grade (`A`, `B`, `C`); not both.
    pub grade: Option<String>,
    /// Decimal string ≥ 0.
    pub price: String,
    /// First day (inclusive), `YYYY-MM-DD`.
    pub valid_from: Option<String>,
    /// Last day (inclusive), `YYYY-MM-DD`; not before `valid_from`.
    pub valid_to: Option<String>,
}

/// Adds a price-list entry to a product.
#[utoipa::path(post, path = "/products/{id}/prices", tag = "products", params(("id" = i64, Path)),
    request_body = PriceBody,
    responses((status = 201, body = PriceEntryView), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn add_price(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<PriceBody>,
) -> ApiResult<(StatusCode, Json<PriceEntryView>)> {
    let (from, to) = match (day(body.valid_from.as_deref(), "valid_from"), day(body.valid_to.as_deref(), "valid_to")) {
        (Ok(f), Ok(t)) => (f, t),
        (a, b) => return Err(invalid(&meta, [a.err(), b.err()].into_iter().flatten().collect())),
    };
    let input = PriceInput {
        customer_id: body.customer_id,
        grade: body.grade,
        price: body.price,
        valid_from: from,
        valid_to: to,
    };
    let e = products::add_price(&state.store, &session.actor, id, input).await.api(&meta)?;
    Ok((StatusCode::CREATED, Json(e)))
}

#[utoipa::path(delete, path = "/products/{id}/prices/{entry_id}", tag = "products",
    params(("id" = i64, Path), ("entry_id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn delete_price(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path((id, entry_id)): Path<(i64, i64)>,
) -> ApiResult<StatusCode> {
    products::delete_price(&state.store, &session.actor, id, entry_id).await.api(&meta)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PriceQuery {
    /// The customer (in the caller's scope); none: the list price.
    pub customer_id: Option<i64>,
    /// `YYYY-MM-DD`; default today (company time).
    pub date: Option<String>,
}

/// The price that applies to a customer on a day, and why: the customer's
/// own entry over their grade's over the list price.
#[utoipa::path(get, path = "/products/{id}/price", tag = "products", params(("id" = i64, Path), PriceQuery),
    responses((status = 200, body = PriceAnswer), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn product_price(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    ApiQuery(q): ApiQuery<PriceQuery>,
) -> ApiResult<Json<PriceAnswer>> {
    let date = day(q.date.as_deref(), "date").map_err(|e| invalid(&meta, vec![e]))?;
    Ok(Json(products::price_for(&state.store, &session.actor, id, q.customer_id, date).await.api(&meta)?))
}
