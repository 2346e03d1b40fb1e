//! Sales order pages (销售订单): the list, a new order and a draft's edit
//! form, and the order page with its actions (submit, approve / reject for
//! the step's approver, ship, complete, cancel); "my approvals" (我的审批)
//! and the approval rules' admin page.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query};
use axum::response::Response;
use axum::routing::{get, post};
use salesflow_domain::access::{Action, Module};
use salesflow_domain::orders::OrderStatus;
use salesflow_domain::{FieldError, Invalid};
use salesflow_store::approvals::{self, ApprovalView, RuleInput, RuleView, StepView};
use salesflow_store::customers::{self, CustomerFilter};
use salesflow_store::inventory::{self, WarehouseView};
use salesflow_store::orders::{self, LineInput, OrderFilter, OrderInput, OrderSummary, OrderView, ShipInput, ShipLine};
use salesflow_store::paging::PageRequest;
use salesflow_store::{StoreError, StoreResult};
use serde::Deserialize;

use super::page::Page;
use super::{FormErrors, PageCtx, redirect_flash, render};
use crate::error::page::PageResult;
use crate::server::AppState;

/// Line rows an order form offers (empty rows are left out).
const FORM_LINES: usize = 6;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orders", get(list_page))
        .route("/orders/new", get(new_page).post(create))
        .route("/orders/{id}", get(show_page))
        .route("/orders/{id}/edit", get(edit_page).post(update))
        .route("/orders/{id}/{action}", post(act))
        .route("/approvals", get(my_approvals))
        .route("/admin/approval-rules", get(rules_page).post(create_rule))
        .route("/admin/approval-rules/{id}/delete", post(delete_rule))
}

// ---------------------------------------------------------------- list

#[derive(Debug, Deserialize, Default)]
struct ListQuery {
    status: Option<String>,
    collection: Option<String>,
    customer_id: Option<String>,
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "orders/list.html")]
struct ListPage {
    ctx: PageCtx,
    items: Vec<OrderSummary>,
    status: String,
    statuses: Vec<&'static str>,
    collection: String,
    collections: Vec<&'static str>,
    show_money: bool,
    next_url: Option<String>,
    can_create: bool,
}

async fn list_page(request: Page, Query(q): Query<ListQuery>) -> PageResult {
    let (store, actor) = (request.store(), request.actor());
    let status = q.status.clone().unwrap_or_default();
    let customer = q.customer_id.clone().unwrap_or_default();
    let collection = q.collection.clone().unwrap_or_default();
    let filter = OrderFilter {
        status: OrderStatus::parse(status.trim()),
        customer_id: id_of(&customer),
        // Approved or partly shipped (the warehouse's home links here).
        to_ship: status.trim() == "to_ship",
        collection: salesflow_store::finance::Collection::parse(collection.trim()),
        ..Default::default()
    };
    let paging = PageRequest { limit: Some(50), cursor: q.cursor.clone(), sort: None };
    let found = orders::list(store, actor, &filter, &paging).await?;
    let next_url = found.next_cursor.map(|c| {
        let pairs = [
            ("cursor", Some(c.as_str())),
            ("status", Some(status.as_str())),
            ("customer_id", Some(customer.as_str())),
            ("collection", Some(collection.as_str())),
        ];
        format!("/orders?{}", super::query_string(pairs))
    });
    let p = ListPage {
        ctx: request.ctx("/orders").await,
        items: found.items,
        status,
        statuses: OrderStatus::ALL.iter().map(|s| s.code()).collect(),
        collections: salesflow_store::finance::Collection::ALL.iter().map(|c| c.code()).collect(),
        show_money: actor.can(Module::Finance, Action::View),
        collection,
        next_url,
        can_create: actor.can(Module::Orders, Action::Create),
    };
    Ok(render(&p.ctx, &p))
}

// ---------------------------------------------------------------- form

#[derive(Debug, Deserialize, Default, Clone)]
struct LineForm {
    product_code: String,
    quantity: String,
    unit_price: String,
    discount_percent: String,
    warehouse_id: String,
}

#[derive(Debug, Default, Clone)]
struct OrderForm {
    customer_id: String,
    warehouse_id: String,
    delivery_address: String,
    delivery_date: String,
    notes: String,
    version: String,
    lines: Vec<LineForm>,
}

impl OrderForm {
    /// Reads `lines[i].field` pairs of an urlencoded form.
    fn from_pairs(pairs: Vec<(String, String)>) -> OrderForm {
        let mut form = OrderForm { lines: vec![LineForm::default(); FORM_LINES], ..Default::default() };
        for (k, v) in pairs {
            match k.as_str() {
                "customer_id" => form.customer_id = v,
                "warehouse_id" => form.warehouse_id = v,
                "delivery_address" => form.delivery_address = v,
                "delivery_date" => form.delivery_date = v,
                "notes" => form.notes = v,
                "version" => form.version = v,
                _ => {
                    let Some((i, field)) = k.strip_prefix("lines[").and_then(|r| r.split_once("].")) else { continue };
                    let Some(line) = i.parse::<usize>().ok().and_then(|i| form.lines.get_mut(i)) else { continue };
                    match field {
                        "product_code" => line.product_code = v,
                        "quantity" => line.quantity = v,
                        "unit_price" => line.unit_price = v,
                        "discount_percent" => line.discount_percent = v,
                        "warehouse_id" => line.warehouse_id = v,
                        _ => {}
                    }
                }
            }
        }
        form
    }

    fn of(o: &OrderView) -> OrderForm {
        let mut lines: Vec<LineForm> = o
            .lines
            .iter()
            .map(|l| LineForm {
                product_code: l.product_code.clone(),
                quantity: l.quantity.clone(),
                unit_price: l.unit_price.clone(),
                discount_percent: l.discount_percent.clone(),
                warehouse_id: l.warehouse_id.map(|w| w.to_string()).unwrap_or_default(),
            })
            .collect();
        lines.resize(FORM_LINES.max(lines.len()), LineForm::default());
        OrderForm {
            customer_id: o.customer_id.to_string(),
            warehouse_id: o.warehouse_id.map(|w| w.to_string()).unwrap_or_default(),
            delivery_address: o.delivery_address.clone(),
            delivery_date: o.delivery_date.map(|d| d.to_string()).unwrap_or_default(),
            notes: o.notes.clone(),
            version: o.version.to_string(),
            lines,
        }
    }
}

fn id_of(text: &str) -> Option<i64> {
    text.trim().parse().ok()
}

/// The form as the store's input: products by their code; rows without a
/// product code are left out (their positions follow the kept rows).
async fn input(request: &Page, form: &OrderForm) -> StoreResult<(OrderInput, Vec<usize>)> {
    let mut invalid = Invalid::new();
    let customer_id = id_of(&form.customer_id);
    if customer_id.is_none() {
        invalid.push(FieldError::new("customer_id", "required"));
    }
    let delivery_date = match form.delivery_date.trim() {
        "" => None,
        s => match salesflow_domain::time::parse_day(s) {
            Some(d) => Some(d),
            None => {
                invalid.push(FieldError::new("delivery_date", "invalid_date"));
                None
            }
        },
    };
    let mut lines = Vec::new();
    let mut rows = Vec::new();
    for (i, l) in form.lines.iter().enumerate() {
        let code = l.product_code.trim();
        if code.is_empty() {
            continue;
        }
        let Some(product_id) = salesflow_store::products::product_by_code(request.store(), code).await? else {
            invalid.push(FieldError::new(&format!("lines[{i}].product_code"), "unknown_reference"));
            continue;
        };
        let optional = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        rows.push(i);
        lines.push(LineInput {
            product_id,
            warehouse_id: id_of(&l.warehouse_id),
            quantity: l.quantity.clone(),
            unit_price: optional(&l.unit_price),
            discount_percent: optional(&l.discount_percent),
            tax_rate: None,
        });
    }
    invalid.into_result()?;
    let input = OrderInput {
        customer_id: customer_id.unwrap_or_default(),
        contact_id: None,
        opportunity_id: None,
        warehouse_id: id_of(&form.warehouse_id),
        delivery_address: form.delivery_address.clone(),
        delivery_date,
        notes: form.notes.clone(),
        lines,
    };
    Ok((input, rows))
}

/// The store's `lines[k]` errors named after the form's row.
fn renumber(mut result: StoreResult<OrderView>, rows: &[usize]) -> StoreResult<OrderView> {
    if let Err(StoreError::Invalid(inv)) = &mut result {
        for e in &mut inv.0 {
            if let Some(rest) = e.field.strip_prefix("lines[")
                && let Some((k, field)) = rest.split_once("].")
                && let Some(row) = k.parse::<usize>().ok().and_then(|k| rows.get(k))
            {
                let field = if field == "product_id" { "product_code" } else { field };
                e.field = format!("lines[{row}].{field}");
            }
        }
    }
    result
}

#[derive(Template)]
#[template(path = "orders/form.html")]
struct FormPage {
    ctx: PageCtx,
    id: Option<i64>,
    number: String,
    form: OrderForm,
    errors: FormErrors,
    customers: Vec<(i64, String)>,
    warehouses: Vec<WarehouseView>,
}

impl FormPage {
    fn line_error(&self, i: &usize, field: &str) -> Option<&String> {
        self.errors.get(&format!("lines[{i}].{field}"))
    }

    /// Errors not shown beside a field of the form (the lines' are on their rows).
    fn general_errors(&self) -> Vec<&String> {
        const SHOWN: [&str; 5] = ["customer_id", "warehouse_id", "delivery_address", "delivery_date", "notes"];
        let mut found: Vec<(&String, &String)> =
            self.errors.0.iter().filter(|(k, _)| !SHOWN.contains(&k.as_str()) && !k.starts_with("lines[")).collect();
        found.sort();
        found.into_iter().map(|(_, v)| v).collect()
    }
}

async fn form_page(
    request: &Page,
    id: Option<i64>,
    number: String,
    form: OrderForm,
    errors: FormErrors,
) -> PageResult<FormPage> {
    let (store, actor) = (request.store(), request.actor());
    let paging = PageRequest { limit: Some(500), ..Default::default() };
    let found = customers::list_customers(store, actor, &CustomerFilter::default(), &paging).await?;
    let customers = found.items.into_iter().filter(|c| c.owner_id.is_some()).map(|c| (c.id, c.name)).collect();
    Ok(FormPage {
        ctx: request.ctx("/orders").await,
        id,
        number,
        form,
        errors,
        customers,
        warehouses: inventory::list_warehouses(store, actor).await?.into_iter().filter(|w| w.active).collect(),
    })
}

#[derive(Debug, Deserialize, Default)]
struct NewQuery {
    customer_id: Option<String>,
}

async fn new_page(request: Page, Query(q): Query<NewQuery>) -> PageResult {
    request.actor().require(Module::Orders, Action::Create)?;
    let form = OrderForm {
        customer_id: q.customer_id.unwrap_or_default(),
        lines: vec![LineForm::default(); FORM_LINES],
        ..Default::default()
    };
    let p = form_page(&request, None, String::new(), form, FormErrors::default()).await?;
    Ok(render(&p.ctx, &p))
}

async fn refused_form(request: &Page, id: Option<i64>, form: OrderForm, refused: super::page::Refused) -> PageResult {
    let p = form_page(request, id, String::new(), form, refused.errors).await?;
    let mut response = render(&p.ctx, &p);
    *response.status_mut() = refused.status;
    Ok(response)
}

async fn create(request: Page, Form(pairs): Form<Vec<(String, String)>>) -> PageResult {
    let form = OrderForm::from_pairs(pairs);
    let result = match input(&request, &form).await {
        Ok((input, rows)) => renumber(orders::create(request.store(), request.actor(), input).await, &rows),
        Err(e) => Err(e),
    };
    match request.saved(result)? {
        Ok(o) => Ok(redirect_flash(&format!("/orders/{}", o.id), "flash.saved")),
        Err(refused) => refused_form(&request, None, form, refused).await,
    }
}

async fn edit_page(request: Page, Path(id): Path<i64>) -> PageResult {
    let o = orders::get(request.store(), request.actor(), id).await?;
    let p = form_page(&request, Some(id), o.number.clone(), OrderForm::of(&o), FormErrors::default()).await?;
    Ok(render(&p.ctx, &p))
}

async fn update(request: Page, Path(id): Path<i64>, Form(pairs): Form<Vec<(String, String)>>) -> PageResult {
    let form = OrderForm::from_pairs(pairs);
    let version = id_of(&form.version).unwrap_or_default();
    let result = match input(&request, &form).await {
        Ok((input, rows)) => {
            renumber(orders::update(request.store(), request.actor(), id, version, input).await, &rows)
        }
        Err(e) => Err(e),
    };
    match request.saved(result)? {
        Ok(o) => Ok(redirect_flash(&format!("/orders/{}", o.id), "flash.saved")),
        Err(refused) => refused_form(&request, Some(id), form, refused).await,
    }
}

// ---------------------------------------------------------------- the order

#[derive(Template)]
#[template(path = "orders/show.html")]
struct ShowPage {
    ctx: PageCtx,
    o: OrderView,
    errors: FormErrors,
    editable: bool,
    can_ship: bool,
    can_complete: bool,
    can_cancel: bool,
    /// The quote the order was made from (when the reader sees it).
    quote: Option<(i64, String)>,
    /// The money section (payments, invoices, plan), for those who see money.
    money: Option<super::finance::OrderMoneyPanel>,
    /// The order's returns, and whether goods may come back now.
    returns: Vec<salesflow_store::returns::ReturnView>,
    can_return: bool,
}

async fn show(request: &Page, id: i64, errors: FormErrors) -> PageResult<ShowPage> {
    let (store, actor) = (request.store(), request.actor());
    let o = orders::get(store, actor, id).await?;
    let status = OrderStatus::parse(&o.status).unwrap_or(OrderStatus::Draft);
    let can_edit = actor.can(Module::Orders, Action::Edit);
    let quote = salesflow_store::quotes::of_order(store, actor, o.id).await?;
    let money = super::finance::order_panel(request, &o).await?;
    let returns = salesflow_store::returns::for_order(store, actor, id).await?;
    let can_return = actor.can(Module::Orders, Action::Create)
        && salesflow_domain::returns::order_returnable(status)
        && o.lines.iter().any(|l| l.returnable != "0");
    Ok(ShowPage {
        quote,
        money,
        ctx: request.ctx("/orders").await,
        returns,
        can_return,
        editable: can_edit && status.editable(),
        can_ship: can_edit && matches!(status, OrderStatus::Approved | OrderStatus::PartiallyShipped),
        can_complete: can_edit && status == OrderStatus::Shipped,
        can_cancel: can_edit
            && matches!(
                status,
                OrderStatus::Draft | OrderStatus::Submitted | OrderStatus::Approved | OrderStatus::Rejected
            ),
        o,
        errors,
    })
}

async fn show_page(request: Page, Path(id): Path<i64>) -> PageResult {
    let p = show(&request, id, FormErrors::default()).await?;
    Ok(render(&p.ctx, &p))
}

async fn act(
    request: Page,
    Path((id, action)): Path<(i64, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let (store, actor) = (request.store(), request.actor());
    let value = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let comment = Some(value("comment")).filter(|c| !c.trim().is_empty());
    let result = match action.as_str() {
        "submit" => orders::submit(store, actor, id).await,
        "approve" => orders::approve(store, actor, id, comment.as_deref()).await,
        "reject" => orders::reject(store, actor, id, comment.as_deref()).await,
        "complete" => orders::complete(store, actor, id).await,
        "cancel" => orders::cancel(store, actor, id).await,
        "ship" => {
            let lines = pairs
                .iter()
                .filter_map(|(k, v)| {
                    let line = k.strip_prefix("ship_")?.parse::<i64>().ok()?;
                    (!v.trim().is_empty() && v.trim() != "0")
                        .then(|| ShipLine { order_line_id: line, quantity: v.clone() })
                })
                .collect();
            let input = ShipInput { carrier: value("carrier"), tracking_number: value("tracking_number"), lines };
            orders::ship(store, actor, id, input).await
        }
        _ => return Err(StoreError::NotFound.into()),
    };
    match request.saved(result)? {
        Ok(o) => Ok(redirect_flash(&format!("/orders/{}", o.id), "flash.saved")),
        Err(refused) => {
            let p = show(&request, id, refused.errors).await?;
            let mut response: Response = render(&p.ctx, &p);
            *response.status_mut() = refused.status;
            Ok(response)
        }
    }
}

// ---------------------------------------------------------------- my approvals

#[derive(Template)]
#[template(path = "orders/approvals.html")]
struct ApprovalsPage {
    ctx: PageCtx,
    items: Vec<ApprovalView>,
    next_url: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
struct CursorQuery {
    cursor: Option<String>,
}

async fn my_approvals(request: Page, Query(q): Query<CursorQuery>) -> PageResult {
    let paging = PageRequest { limit: Some(50), cursor: q.cursor, sort: None };
    let found = approvals::my_approvals(request.store(), request.actor(), &paging).await?;
    let p = ApprovalsPage {
        ctx: request.ctx("/approvals").await,
        next_url: found
            .next_cursor
            .map(|c| format!("/approvals?{}", super::query_string([("cursor", Some(c.as_str()))]))),
        items: found.items,
    };
    Ok(render(&p.ctx, &p))
}

// ---------------------------------------------------------------- rules

#[derive(Debug, Deserialize, Default, Clone)]
struct RuleForm {
    document_type: String,
    min_amount: String,
    min_discount: String,
    #[serde(default)]
    over_credit_limit: Option<String>,
    /// `manager:1` or `role:admin`, one per step field.
    step1: String,
    step2: String,
    step3: String,
    position: String,
}

#[derive(Template)]
#[template(path = "orders/rules.html")]
struct RulesPage {
    ctx: PageCtx,
    rules: Vec<RuleView>,
    roles: Vec<(String, String)>,
    form: RuleForm,
    errors: FormErrors,
    can_edit: bool,
    step_fields: Vec<(&'static str, String)>,
    managers: Vec<(String, String)>,
}

impl RulesPage {
    fn step_label(&self, s: &StepView) -> String {
        match (&s.role, s.manager) {
            (Some(r), _) => {
                self.roles.iter().find(|(c, _)| c == r).map(|(_, n)| n.clone()).unwrap_or_else(|| r.clone())
            }
            (None, Some(l)) => self.ctx.t(&format!("approvals.manager_{l}")),
            _ => String::new(),
        }
    }
}

async fn rules(request: &Page, form: RuleForm, errors: FormErrors) -> PageResult<RulesPage> {
    let (store, actor) = (request.store(), request.actor());
    let locale = request.locale();
    let roles = salesflow_store::access::list_roles(store, actor)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|r| {
            let name = crate::i18n::role_name(locale, &r.code, &r.name);
            (r.code, name)
        })
        .collect();
    Ok(RulesPage {
        ctx: request.ctx("/admin/approval-rules").await,
        rules: approvals::list_rules(store, actor).await?,
        roles,
        step_fields: vec![("step1", form.step1.clone()), ("step2", form.step2.clone()), ("step3", form.step3.clone())],
        managers: (1..=3).map(|l| (format!("manager:{l}"), format!("approvals.manager_{l}"))).collect(),
        form,
        errors,
        can_edit: actor.can(Module::Settings, Action::Edit),
    })
}

async fn rules_page(request: Page) -> PageResult {
    let form = RuleForm { document_type: "order".into(), step1: "manager:1".into(), ..Default::default() };
    let p = rules(&request, form, FormErrors::default()).await?;
    Ok(render(&p.ctx, &p))
}

fn step_of(text: &str) -> Option<StepView> {
    match text.trim().split_once(':') {
        Some(("manager", l)) => Some(StepView { role: None, manager: l.parse().ok().or(Some(0)) }),
        Some(("role", r)) => Some(StepView { role: Some(r.to_owned()), manager: None }),
        _ => None,
    }
}

async fn create_rule(request: Page, Form(form): Form<RuleForm>) -> PageResult {
    let input = RuleInput {
        document_type: form.document_type.clone(),
        min_amount: Some(form.min_amount.clone()),
        min_discount: Some(form.min_discount.clone()),
        over_credit_limit: form.over_credit_limit.is_some(),
        steps: [&form.step1, &form.step2, &form.step3].into_iter().filter_map(|s| step_of(s)).collect(),
        position: form.position.trim().parse().unwrap_or(0),
        active: true,
    };
    let result = approvals::create_rule(request.store(), request.actor(), input).await;
    match request.saved(result)? {
        Ok(_) => Ok(redirect_flash("/admin/approval-rules", "flash.saved")),
        Err(refused) => {
            let p = rules(&request, form, refused.errors).await?;
            let mut response = render(&p.ctx, &p);
            *response.status_mut() = refused.status;
            Ok(response)
        }
    }
}

async fn delete_rule(request: Page, Path(id): Path<i64>) -> PageResult {
    approvals::delete_rule(request.store(), request.actor(), id).await?;
    Ok(redirect_flash("/admin/approval-rules", "flash.saved"))
}
