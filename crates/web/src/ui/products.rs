//! Product pages: the catalogue list, a product's page (details, price
//! list, stock per warehouse, stock card) and the product form.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query};
use axum::routing::get;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::products::ProductText;
use salesflow_store::inventory::{self, MovementFilter, MovementView, StockFilter, StockView};
use salesflow_store::paging::PageRequest;
use salesflow_store::products::{self, CategoryView, PriceEntryView, ProductFilter, ProductInput, ProductView};
use salesflow_store::purchasing::{self, SupplierFilter, SupplierView};
use serde::Deserialize;

use super::page::Page;
use super::{FormErrors, PageCtx, query_string, redirect_flash, render};
use crate::error::page::PageResult;
use crate::server::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/products", get(list_page).post(create))
        .route("/products/new", get(new_page))
        .route("/products/{id}", get(show_page).post(update))
        .route("/products/{id}/edit", get(edit_page))
}

// ---------------------------------------------------------------- list

#[derive(Debug, Deserialize, Default)]
struct ListQuery {
    q: Option<String>,
    category_id: Option<String>,
    active: Option<String>,
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "products/list.html")]
struct ListPage {
    ctx: PageCtx,
    items: Vec<ProductView>,
    categories: Vec<CategoryView>,
    q: String,
    category_id: String,
    active: String,
    next_url: Option<String>,
    can_create: bool,
}

async fn list_page(request: Page, Query(q): Query<ListQuery>) -> PageResult {
    let category_id = q.category_id.as_deref().and_then(|c| c.parse().ok());
    let active = match q.active.as_deref() {
        Some("true") => Some(true),
        Some("false") => Some(false),
        _ => None,
    };
    let filter = ProductFilter { q: q.q.clone().filter(|s| !s.trim().is_empty()), category_id, active };
    let page = PageRequest { limit: Some(50), cursor: q.cursor.clone(), sort: None };
    let found = products::list_products(request.store(), request.actor(), &filter, &page).await?;
    let categories = products::list_categories(request.store(), request.actor()).await?;
    let base = query_string([
        ("q", q.q.as_deref()),
        ("category_id", q.category_id.as_deref()),
        ("active", q.active.as_deref()),
    ]);
    let next_url = found.next_cursor.map(|c| {
        let cursor = query_string([("cursor", Some(c.as_str()))]);
        if base.is_empty() { format!("/products?{cursor}") } else { format!("/products?{base}&{cursor}") }
    });
    let page = ListPage {
        ctx: request.ctx("/products").await,
        items: found.items,
        categories,
        q: q.q.unwrap_or_default(),
        category_id: q.category_id.unwrap_or_default(),
        active: q.active.unwrap_or_default(),
        next_url,
        can_create: request.actor().can(Module::Products, Action::Create),
    };
    Ok(render(&page.ctx, &page))
}

// ---------------------------------------------------------------- show

#[derive(Template)]
#[template(path = "products/show.html")]
struct ShowPage {
    ctx: PageCtx,
    product: ProductView,
    prices: Vec<PriceEntryView>,
    stock: Vec<StockView>,
    movements: Vec<MovementView>,
    can_edit: bool,
}

async fn show_page(request: Page, Path(id): Path<i64>) -> PageResult {
    let (store, actor) = (request.store(), request.actor());
    let product = products::get_product(store, actor, id).await?;
    let prices = products::list_prices(store, actor, id).await?;
    let per_warehouse = PageRequest { limit: Some(100), ..Default::default() };
    let stock =
        inventory::list_stock(store, actor, &StockFilter { product_id: Some(id), warehouse_id: None }, &per_warehouse)
            .await?
            .items;
    let card = PageRequest { limit: Some(50), ..Default::default() };
    let movements =
        inventory::list_movements(store, actor, &MovementFilter { product_id: Some(id), warehouse_id: None }, &card)
            .await?
            .items;
    let page = ShowPage {
        ctx: request.ctx("/products").await,
        product,
        prices,
        stock,
        movements,
        can_edit: actor.can(Module::Products, Action::Edit),
    };
    Ok(render(&page.ctx, &page))
}

// ---------------------------------------------------------------- form

#[derive(Debug, Deserialize, Default, Clone)]
struct ProductForm {
    code: String,
    name: String,
    category_id: String,
    specification: String,
    unit: String,
    list_price: String,
    cost: String,
    tax_rate: String,
    reorder_point: String,
    safety_stock: String,
    #[serde(default)]
    default_supplier_id: String,
    /// The checkbox: present when ticked.
    active: Option<String>,
    /// The checkbox "a service (no stock)".
    service: Option<String>,
    version: i64,
}

impl ProductForm {
    fn from_view(p: &ProductView) -> Self {
        ProductForm {
            code: p.code.clone(),
            name: p.name.clone(),
            category_id: p.category_id.map(|c| c.to_string()).unwrap_or_default(),
            specification: p.specification.clone(),
            unit: p.unit.clone(),
            list_price: p.list_price.clone(),
            cost: p.cost.clone(),
            tax_rate: p.tax_rate.clone(),
            reorder_point: p.reorder_point.clone(),
            safety_stock: p.safety_stock.clone(),
            default_supplier_id: p.default_supplier_id.map(|c| c.to_string()).unwrap_or_default(),
            active: p.active.then(|| "1".to_owned()),
            service: p.service.then(|| "1".to_owned()),
            version: p.version,
        }
    }

    fn input(&self) -> Result<ProductInput, salesflow_domain::Invalid> {
        let category_id = super::opt_id(&self.category_id)
            .map_err(|_| salesflow_domain::Invalid::one("category_id", "invalid_choice"))?;
        let default_supplier_id = super::opt_id(&self.default_supplier_id)
            .map_err(|_| salesflow_domain::Invalid::one("default_supplier_id", "invalid_choice"))?;
        Ok(ProductInput {
            text: ProductText {
                code: self.code.clone(),
                name: self.name.clone(),
                specification: self.specification.clone(),
                unit: self.unit.clone(),
                list_price: self.list_price.trim().replace(',', ""),
                cost: if self.cost.trim().is_empty() { "0".into() } else { self.cost.trim().replace(',', "") },
                tax_rate: self.tax_rate.trim().trim_end_matches('%').to_owned(),
                reorder_point: self.reorder_point.clone(),
                safety_stock: self.safety_stock.clone(),
            },
            category_id,
            active: self.active.is_some(),
            default_supplier_id,
            service: self.service.is_some(),
        })
    }
}

#[derive(Template)]
#[template(path = "products/form.html")]
struct FormPage {
    ctx: PageCtx,
    id: Option<i64>,
    form: ProductForm,
    categories: Vec<CategoryView>,
    /// The supplier choices; `None` for a person who may not see suppliers
    /// (the form then keeps the product's default supplier as it is).
    suppliers: Option<Vec<SupplierView>>,
    errors: FormErrors,
}

impl FormPage {
    /// The text fields: name, label key, value, required, decimal.
    fn fields(&self) -> Vec<(&'static str, &'static str, String, bool, bool)> {
        let f = &self.form;
        vec![
            ("code", "products.code", f.code.clone(), true, false),
            ("name", "products.name", f.name.clone(), true, false),
            ("unit", "products.unit", f.unit.clone(), true, false),
            ("list_price", "products.list_price", f.list_price.clone(), true, true),
            ("cost", "products.cost", f.cost.clone(), false, true),
            ("tax_rate", "products.tax_rate", f.tax_rate.clone(), false, true),
            ("reorder_point", "products.reorder_point", f.reorder_point.clone(), false, true),
            ("safety_stock", "products.safety_stock", f.safety_stock.clone(), false, true),
        ]
    }
}

async fn form_page(request: &Page, id: Option<i64>, form: ProductForm, errors: FormErrors) -> PageResult<FormPage> {
    let categories = products::list_categories(request.store(), request.actor()).await?;
    let suppliers = if request.actor().can(Module::Purchasing, Action::View) {
        let all = PageRequest { limit: Some(500), ..Default::default() };
        Some(
            purchasing::list_suppliers(request.store(), request.actor(), &SupplierFilter::default(), &all).await?.items,
        )
    } else {
        None
    };
    Ok(FormPage { ctx: request.ctx("/products").await, id, form, categories, suppliers, errors })
}

async fn new_page(request: Page) -> PageResult {
    let form = ProductForm { active: Some("1".into()), tax_rate: "13".into(), ..Default::default() };
    let page = form_page(&request, None, form, FormErrors::default()).await?;
    Ok(render(&page.ctx, &page))
}

async fn edit_page(request: Page, Path(id): Path<i64>) -> PageResult {
    let p = products::get_product(request.store(), request.actor(), id).await?;
    let page = form_page(&request, Some(id), ProductForm::from_view(&p), FormErrors::default()).await?;
    Ok(render(&page.ctx, &page))
}

async fn create(request: Page, Form(form): Form<ProductForm>) -> PageResult {
    let result = match form.input() {
        Ok(input) => products::create_product(request.store(), request.actor(), input).await,
        Err(invalid) => Err(invalid.into()),
    };
    match request.saved(result)? {
        Ok(p) => Ok(redirect_flash(&format!("/products/{}", p.id), "flash.saved")),
        Err(refused) => {
            let page = form_page(&request, None, form, refused.errors).await?;
            Ok((refused.status, render(&page.ctx, &page)).into_response_page())
        }
    }
}

async fn update(request: Page, Path(id): Path<i64>, Form(form): Form<ProductForm>) -> PageResult {
    let result = match form.input() {
        Ok(input) => products::update_product(request.store(), request.actor(), id, form.version, input).await,
        Err(invalid) => Err(invalid.into()),
    };
    match request.saved(result)? {
        Ok(_) => Ok(redirect_flash(&format!("/products/{id}"), "flash.saved")),
        Err(refused) => {
            let page = form_page(&request, Some(id), form, refused.errors).await?;
            Ok((refused.status, render(&page.ctx, &page)).into_response_page())
        }
    }
}

/// A status and a page as one response.
trait IntoResponsePage {
    fn into_response_page(self) -> axum::response::Response;
}

impl IntoResponsePage for (axum::http::StatusCode, axum::response::Response) {
    fn into_response_page(self) -> axum::response::Response {
        let (status, mut response) = self;
        *response.status_mut() = status;
        response
    }
}
