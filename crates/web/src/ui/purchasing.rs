//! Purchasing pages: suppliers (list, form), purchase orders (list, the
//! draft form, an order's page with order / cancel / receive), and the
//! one action that drafts purchase orders from the low-stock list.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query};
// Forms whose fields repeat (an order's lines, a receipt's lines).
use axum::response::Response;
use axum::routing::{get, post};
use axum_extra::extract::Form as MultiForm;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::purchasing::{PurchaseAction, PurchaseStatus};
use salesflow_domain::{FieldError, Invalid};
use salesflow_store::inventory::{self, WarehouseView};
use salesflow_store::paging::PageRequest;
use salesflow_store::purchasing::{
    self, LineInput, PurchaseOrderFilter, PurchaseOrderInput, PurchaseOrderView, ReceiptLine, ReceiveInput,
    SupplierFilter, SupplierInput, SupplierView,
};
use serde::Deserialize;

use super::page::Page;
use super::{FormErrors, PageCtx, query_string, redirect_flash, render};
use crate::error::page::PageResult;
use crate::server::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/suppliers", get(suppliers_page).post(create_supplier))
        .route("/suppliers/new", get(new_supplier))
        .route("/suppliers/{id}", get(edit_supplier).post(update_supplier))
        .route("/purchase-orders", get(orders_page).post(create_order))
        .route("/purchase-orders/new", get(new_order))
        .route("/purchase-orders/from-low-stock", post(from_low_stock))
        .route("/purchase-orders/{id}", get(order_page))
        .route("/purchase-orders/{id}/order", post(order_action))
        .route("/purchase-orders/{id}/cancel", post(cancel_action))
        .route("/purchase-orders/{id}/receive", post(receive_action))
}

fn with_status(status: axum::http::StatusCode, mut response: Response) -> Response {
    *response.status_mut() = status;
    response
}

// ---------------------------------------------------------------- suppliers

#[derive(Debug, Deserialize, Default)]
struct SupplierQuery {
    q: Option<String>,
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "purchasing/suppliers.html")]
struct SuppliersPage {
    ctx: PageCtx,
    items: Vec<SupplierView>,
    q: String,
    next_url: Option<String>,
    can_create: bool,
}

async fn suppliers_page(request: Page, Query(q): Query<SupplierQuery>) -> PageResult {
    let filter = SupplierFilter { q: q.q.clone() };
    let paging = PageRequest { limit: Some(50), cursor: q.cursor.clone(), sort: None };
    let found = purchasing::list_suppliers(request.store(), request.actor(), &filter, &paging).await?;
    let next_url = found
        .next_cursor
        .map(|c| format!("/suppliers?{}", query_string([("q", q.q.as_deref()), ("cursor", Some(c.as_str()))])));
    let page = SuppliersPage {
        ctx: request.ctx("/suppliers").await,
        items: found.items,
        q: q.q.unwrap_or_default(),
        next_url,
        can_create: request.actor().can(Module::Purchasing, Action::Create),
    };
    Ok(render(&page.ctx, &page))
}

#[derive(Debug, Deserialize, Default, Clone)]
struct SupplierForm {
    name: String,
    contact: String,
    phone: String,
    email: String,
    address: String,
    notes: String,
    #[serde(default)]
    version: i64,
}

impl SupplierForm {
    fn input(&self) -> SupplierInput {
        SupplierInput {
            name: self.name.clone(),
            contact: self.contact.clone(),
            phone: self.phone.clone(),
            email: self.email.clone(),
            address: self.address.clone(),
            notes: self.notes.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "purchasing/supplier_form.html")]
struct SupplierFormPage {
    ctx: PageCtx,
    id: Option<i64>,
    form: SupplierForm,
    errors: FormErrors,
}

impl SupplierFormPage {
    /// The one-line fields: name, label key, value, required.
    fn fields(&self) -> Vec<(&'static str, &'static str, String, bool)> {
        let f = &self.form;
        vec![
            ("name", "purchasing.supplier_name", f.name.clone(), true),
            ("contact", "purchasing.contact", f.contact.clone(), false),
            ("phone", "purchasing.phone", f.phone.clone(), false),
            ("email", "purchasing.email", f.email.clone(), false),
            ("address", "purchasing.address", f.address.clone(), false),
        ]
    }
}

async fn new_supplier(request: Page) -> PageResult {
    let page = SupplierFormPage {
        ctx: request.ctx("/suppliers").await,
        id: None,
        form: SupplierForm::default(),
        errors: FormErrors::default(),
    };
    Ok(render(&page.ctx, &page))
}

async fn edit_supplier(request: Page, Path(id): Path<i64>) -> PageResult {
    let s = purchasing::get_supplier(request.store(), request.actor(), id).await?;
    let form = SupplierForm {
        name: s.name,
        contact: s.contact,
        phone: s.phone,
        email: s.email,
        address: s.address,
        notes: s.notes,
        version: s.version,
    };
    let page =
        SupplierFormPage { ctx: request.ctx("/suppliers").await, id: Some(id), form, errors: FormErrors::default() };
    Ok(render(&page.ctx, &page))
}

async fn supplier_saved(
    request: Page,
    id: Option<i64>,
    form: SupplierForm,
    result: salesflow_store::StoreResult<SupplierView>,
) -> PageResult {
    match request.saved(result)? {
        Ok(_) => Ok(redirect_flash("/suppliers", "flash.saved")),
        Err(refused) => {
            let page = SupplierFormPage { ctx: request.ctx("/suppliers").await, id, form, errors: refused.errors };
            Ok(with_status(refused.status, render(&page.ctx, &page)))
        }
    }
}

async fn create_supplier(request: Page, Form(form): Form<SupplierForm>) -> PageResult {
    let result = purchasing::create_supplier(request.store(), request.actor(), form.input()).await;
    supplier_saved(request, None, form, result).await
}

async fn update_supplier(request: Page, Path(id): Path<i64>, Form(form): Form<SupplierForm>) -> PageResult {
    let result = purchasing::update_supplier(request.store(), request.actor(), id, form.version, form.input()).await;
    supplier_saved(request, Some(id), form, result).await
}

// ---------------------------------------------------------------- purchase orders

#[derive(Debug, Deserialize, Default)]
struct OrdersQuery {
    status: Option<String>,
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "purchasing/orders.html")]
struct OrdersPage {
    ctx: PageCtx,
    items: Vec<PurchaseOrderView>,
    status: String,
    statuses: Vec<&'static str>,
    next_url: Option<String>,
    can_create: bool,
}

async fn orders_page(request: Page, Query(q): Query<OrdersQuery>) -> PageResult {
    let status = q.status.as_deref().and_then(PurchaseStatus::parse);
    let filter = PurchaseOrderFilter { supplier_id: None, status };
    let paging = PageRequest { limit: Some(50), cursor: q.cursor.clone(), sort: None };
    let found = purchasing::list_purchase_orders(request.store(), request.actor(), &filter, &paging).await?;
    let next_url = found.next_cursor.map(|c| {
        format!("/purchase-orders?{}", query_string([("status", q.status.as_deref()), ("cursor", Some(c.as_str()))]))
    });
    let page = OrdersPage {
        ctx: request.ctx("/purchase-orders").await,
        items: found.items,
        status: status.map(|s| s.code().to_owned()).unwrap_or_default(),
        statuses: PurchaseStatus::ALL.iter().map(|s| s.code()).collect(),
        next_url,
        can_create: request.actor().can(Module::Purchasing, Action::Create),
    };
    Ok(render(&page.ctx, &page))
}

/// Rows of the draft form: product code, quantity, unit cost.
const FORM_LINES: usize = 6;

#[derive(Debug, Deserialize, Default, Clone)]
struct OrderForm {
    #[serde(default)]
    supplier_id: String,
    #[serde(default)]
    expected_date: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    product_code: Vec<String>,
    #[serde(default)]
    quantity: Vec<String>,
    #[serde(default)]
    unit_cost: Vec<String>,
}

impl OrderForm {
    /// The rows to show: those typed, then blank ones up to [`FORM_LINES`].
    fn rows(&self) -> Vec<(usize, String, String, String)> {
        let n = self.product_code.len().max(FORM_LINES);
        (0..n)
            .map(|i| {
                let at = |v: &Vec<String>| v.get(i).cloned().unwrap_or_default();
                (i, at(&self.product_code), at(&self.quantity), at(&self.unit_cost))
            })
            .collect()
    }
}

#[derive(Template)]
#[template(path = "purchasing/order_form.html")]
struct OrderFormPage {
    ctx: PageCtx,
    form: OrderForm,
    suppliers: Vec<SupplierView>,
    errors: FormErrors,
}

impl OrderFormPage {
    fn line_error(&self, i: &usize) -> Option<String> {
        ["product_id", "quantity", "unit_cost"]
            .iter()
            .find_map(|f| self.errors.get(&format!("lines[{i}].{f}")).map(|e| e.to_string()))
    }
}

async fn order_form(request: &Page, form: OrderForm, errors: FormErrors) -> PageResult<OrderFormPage> {
    let all = PageRequest { limit: Some(500), ..Default::default() };
    let suppliers =
        purchasing::list_suppliers(request.store(), request.actor(), &SupplierFilter::default(), &all).await?;
    Ok(OrderFormPage { ctx: request.ctx("/purchase-orders").await, form, suppliers: suppliers.items, errors })
}

async fn new_order(request: Page) -> PageResult {
    let page = order_form(&request, OrderForm::default(), FormErrors::default()).await?;
    Ok(render(&page.ctx, &page))
}

/// The form as the store's input: products by their codes; blank rows left out.
async fn order_input(request: &Page, form: &OrderForm) -> salesflow_store::StoreResult<PurchaseOrderInput> {
    let mut invalid = Invalid::new();
    let supplier_id = form.supplier_id.trim().parse::<i64>().unwrap_or_else(|_| {
        invalid.push(FieldError::new("supplier_id", "required"));
        0
    });
    let mut lines = Vec::new();
    for (i, code, quantity, cost) in form.rows() {
        if code.trim().is_empty() && quantity.trim().is_empty() {
            continue;
        }
        let product_id = salesflow_store::products::product_by_code(request.store(), code.trim()).await?;
        if product_id.is_none() {
            invalid.push(FieldError::new(&format!("lines[{i}].product_id"), "unknown_reference"));
        }
        lines.push(LineInput {
            product_id: product_id.unwrap_or_default(),
            quantity,
            unit_cost: if cost.trim().is_empty() { "0".into() } else { cost.trim().replace(',', "") },
        });
    }
    invalid.into_result()?;
    Ok(PurchaseOrderInput { supplier_id, expected_date: form.expected_date.clone(), notes: form.notes.clone(), lines })
}

async fn create_order(request: Page, MultiForm(form): MultiForm<OrderForm>) -> PageResult {
    let result = match order_input(&request, &form).await {
        Ok(input) => purchasing::create_purchase_order(request.store(), request.actor(), input).await,
        Err(e) => Err(e),
    };
    match request.saved(result)? {
        Ok(o) => Ok(redirect_flash(&format!("/purchase-orders/{}", o.id), "flash.saved")),
        Err(refused) => {
            let page = order_form(&request, form, refused.errors).await?;
            Ok(with_status(refused.status, render(&page.ctx, &page)))
        }
    }
}

#[derive(Template)]
#[template(path = "purchasing/order.html")]
struct OrderPage {
    ctx: PageCtx,
    order: PurchaseOrderView,
    warehouses: Vec<WarehouseView>,
    can_order: bool,
    can_cancel: bool,
    can_receive: bool,
    form: ReceiveForm,
    errors: FormErrors,
}

impl OrderPage {
    fn received_value(&self, line_id: &i64) -> String {
        self.form
            .line_id
            .iter()
            .position(|l| l == &line_id.to_string())
            .and_then(|i| self.form.quantity.get(i).cloned())
            .unwrap_or_default()
    }

    fn line_error(&self, line_id: &i64) -> Option<String> {
        let i = self.form.line_id.iter().position(|l| l == &line_id.to_string())?;
        let sent = self.sent_index(i)?;
        self.errors.get(&format!("lines[{sent}].quantity")).map(|e| e.to_string())
    }

    /// Which of the receipt's lines (as sent to the store) row `i` became.
    fn sent_index(&self, i: usize) -> Option<usize> {
        let filled = |k: usize| self.form.quantity.get(k).is_some_and(|q| !q.trim().is_empty());
        filled(i).then(|| (0..i).filter(|k| filled(*k)).count())
    }
}

#[derive(Debug, Deserialize, Default, Clone)]
struct ReceiveForm {
    #[serde(default)]
    warehouse_id: String,
    #[serde(default)]
    line_id: Vec<String>,
    #[serde(default)]
    quantity: Vec<String>,
}

async fn order_view_page(request: &Page, id: i64, form: ReceiveForm, errors: FormErrors) -> PageResult<OrderPage> {
    let (store, actor) = (request.store(), request.actor());
    let order = purchasing::get_purchase_order(store, actor, id).await?;
    let status = PurchaseStatus::parse(&order.status).unwrap_or(PurchaseStatus::Cancelled);
    let edit = actor.can(Module::Purchasing, Action::Edit);
    let warehouses = inventory::list_warehouses(store, actor).await?.into_iter().filter(|w| w.active).collect();
    Ok(OrderPage {
        ctx: request.ctx("/purchase-orders").await,
        can_order: edit && status == PurchaseStatus::Draft,
        can_cancel: edit && matches!(status, PurchaseStatus::Draft | PurchaseStatus::Ordered),
        can_receive: edit && status.receivable(),
        order,
        warehouses,
        form,
        errors,
    })
}

async fn order_page(request: Page, Path(id): Path<i64>) -> PageResult {
    let page = order_view_page(&request, id, ReceiveForm::default(), FormErrors::default()).await?;
    Ok(render(&page.ctx, &page))
}

async fn act(request: Page, id: i64, action: PurchaseAction) -> PageResult {
    let result = purchasing::change_purchase_order(request.store(), request.actor(), id, action, None).await;
    match request.saved(result)? {
        Ok(_) => Ok(redirect_flash(&format!("/purchase-orders/{id}"), "flash.saved")),
        Err(refused) => {
            let page = order_view_page(&request, id, ReceiveForm::default(), refused.errors).await?;
            Ok(with_status(refused.status, render(&page.ctx, &page)))
        }
    }
}

async fn order_action(request: Page, Path(id): Path<i64>) -> PageResult {
    act(request, id, PurchaseAction::Order).await
}

async fn cancel_action(request: Page, Path(id): Path<i64>) -> PageResult {
    act(request, id, PurchaseAction::Cancel).await
}

async fn receive_action(request: Page, Path(id): Path<i64>, MultiForm(form): MultiForm<ReceiveForm>) -> PageResult {
    let mut lines = Vec::new();
    for (line_id, quantity) in form.line_id.iter().zip(&form.quantity) {
        if quantity.trim().is_empty() {
            continue;
        }
        lines.push(ReceiptLine { line_id: line_id.parse().unwrap_or_default(), quantity: quantity.clone() });
    }
    let result = match form.warehouse_id.trim().parse::<i64>() {
        Ok(warehouse_id) => {
            purchasing::receive(request.store(), request.actor(), id, ReceiveInput { warehouse_id, lines }).await
        }
        Err(_) => Err(Invalid::one("warehouse_id", "required").into()),
    };
    match request.saved(result)? {
        Ok(_) => Ok(redirect_flash(&format!("/purchase-orders/{id}"), "flash.saved")),
        Err(refused) => {
            let page = order_view_page(&request, id, form, refused.errors).await?;
            Ok(with_status(refused.status, render(&page.ctx, &page)))
        }
    }
}

/// Drafts from the low-stock list, then the list of drafts.
async fn from_low_stock(request: Page) -> PageResult {
    purchasing::drafts_from_low_stock(request.store(), request.actor()).await?;
    Ok(redirect_flash("/purchase-orders?status=draft", "flash.saved"))
}
