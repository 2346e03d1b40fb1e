//! The stock page: stock per warehouse, the low-stock list, the latest
//! movements and, for those who keep the warehouse, the form that records
//! a receipt, an adjustment or a transfer.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query};
use axum::routing::{get, post};
use salesflow_domain::access::{Action, Module};
use salesflow_store::inventory::{
    self, LowStockView, MovementFilter, MovementInput, MovementRequest, MovementView, Source, StockFilter, StockView,
    WarehouseView,
};
use salesflow_store::paging::PageRequest;
use serde::Deserialize;

use super::page::Page;
use super::{FormErrors, PageCtx, redirect_flash, render};
use crate::error::page::PageResult;
use crate::server::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/stock", get(stock_page)).route("/stock/movements", post(record))
}

#[derive(Debug, Deserialize, Default)]
struct StockQuery {
    warehouse_id: Option<String>,
    cursor: Option<String>,
}

#[derive(Debug, Deserialize, Default, Clone)]
struct MovementForm {
    kind: String,
    product_code: String,
    warehouse_id: String,
    to_warehouse_id: String,
    quantity: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "inventory/stock.html")]
struct StockPage {
    ctx: PageCtx,
    warehouses: Vec<WarehouseView>,
    warehouse_id: String,
    stock: Vec<StockView>,
    next_url: Option<String>,
    low: Vec<LowStockView>,
    movements: Vec<MovementView>,
    can_move: bool,
    /// May draft purchase orders from the low-stock list.
    can_draft: bool,
    form: MovementForm,
    errors: FormErrors,
}

async fn page(request: &Page, q: StockQuery, form: MovementForm, errors: FormErrors) -> PageResult<StockPage> {
    let (store, actor) = (request.store(), request.actor());
    let warehouse_id: Option<i64> = q.warehouse_id.as_deref().and_then(|w| w.parse().ok());
    let paging = PageRequest { limit: Some(100), cursor: q.cursor.clone(), sort: None };
    let found = inventory::list_stock(store, actor, &StockFilter { product_id: None, warehouse_id }, &paging).await?;
    let next_url = found.next_cursor.map(|c| {
        let mut pairs = vec![("cursor", c)];
        if let Some(w) = warehouse_id {
            pairs.push(("warehouse_id", w.to_string()));
        }
        format!("/stock?{}", super::query_string(pairs.iter().map(|(k, v)| (*k, Some(v.as_str())))))
    });
    let latest = PageRequest { limit: Some(20), ..Default::default() };
    let movements =
        inventory::list_movements(store, actor, &MovementFilter { product_id: None, warehouse_id }, &latest).await?;
    Ok(StockPage {
        ctx: request.ctx("/stock").await,
        warehouses: inventory::list_warehouses(store, actor).await?,
        warehouse_id: q.warehouse_id.unwrap_or_default(),
        stock: found.items,
        next_url,
        low: inventory::low_stock(store, actor, 100).await?,
        movements: movements.items,
        can_move: actor.can(Module::Inventory, Action::Create),
        can_draft: actor.can(Module::Purchasing, Action::Create),
        form,
        errors,
    })
}

async fn stock_page(request: Page, Query(q): Query<StockQuery>) -> PageResult {
    let form = MovementForm { kind: "receipt".into(), ..Default::default() };
    let p = page(&request, q, form, FormErrors::default()).await?;
    Ok(render(&p.ctx, &p))
}

async fn record(request: Page, Form(form): Form<MovementForm>) -> PageResult {
    let result = input(&request, &form).await;
    let result = match result {
        Ok(input) => inventory::record(request.store(), request.actor(), input).await,
        Err(e) => Err(e),
    };
    match request.saved(result)? {
        Ok(_) => Ok(redirect_flash("/stock", "flash.saved")),
        Err(refused) => {
            let p = page(&request, StockQuery::default(), form, refused.errors).await?;
            let mut response = render(&p.ctx, &p);
            *response.status_mut() = refused.status;
            Ok(response)
        }
    }
}

/// The form as the store's input: the product by its code.
async fn input(request: &Page, form: &MovementForm) -> salesflow_store::StoreResult<MovementInput> {
    use salesflow_domain::Invalid;
    let mut invalid = Invalid::new();
    let id = |text: &str, field: &str, invalid: &mut Invalid| match text.trim().parse::<i64>() {
        Ok(id) => Some(id),
        Err(_) => {
            invalid.push(salesflow_domain::FieldError::new(field, "required"));
            None
        }
    };
    let warehouse_id = id(&form.warehouse_id, "warehouse_id", &mut invalid);
    let request_kind = match form.kind.as_str() {
        "receipt" => MovementRequest::Receipt,
        "adjustment" => MovementRequest::Adjustment,
        "transfer" => {
            MovementRequest::Transfer { to_warehouse_id: id(&form.to_warehouse_id, "to_warehouse_id", &mut invalid) }
        }
        _ => {
            invalid.push(salesflow_domain::FieldError::new("kind", "invalid_choice"));
            MovementRequest::Receipt
        }
    };
    let product = salesflow_store::products::product_by_code(request.store(), form.product_code.trim()).await?;
    if product.is_none() {
        invalid.push(salesflow_domain::FieldError::new("product_code", "unknown_reference"));
    }
    invalid.into_result()?;
    Ok(MovementInput {
        request: request_kind,
        product_id: product.unwrap_or_default(),
        warehouse_id: warehouse_id.unwrap_or_default(),
        quantity: form.quantity.clone(),
        reason: form.reason.clone(),
        source: Source::default(),
    })
}
