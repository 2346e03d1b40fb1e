//! Money pages (回款): the order page's money section (payments, invoices,
//! the collection plan with its instalments' states), the forms that
//! record a payment, issue an invoice, change the plan, reverse a payment
//! and void an invoice, and the receivables page with its aging.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query};
use axum::routing::get;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::finance::{InvoiceType, PaymentKind, PaymentMethod};
use salesflow_domain::money::Money;
use salesflow_domain::time::parse_day;
use salesflow_domain::{FieldError, Invalid};
use salesflow_store::StoreError;
use salesflow_store::finance::{
    self, InstalmentInput, InvoiceFilter, InvoiceInput, InvoiceView, PaymentFilter, PaymentInput, PaymentView,
    PlanView, ReceivableFilter, ReceivablesPage,
};
use salesflow_store::orders::OrderView;
use salesflow_store::paging::PageRequest;
use serde::Deserialize;

use super::page::Page;
use super::{FormErrors, PageCtx, redirect_flash, render};
use crate::error::page::PageResult;
use crate::server::AppState;

/// Instalment rows the plan form offers beyond the plan's own.
const SPARE_ROWS: usize = 3;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orders/{id}/payments/new", get(payment_page).post(record_payment))
        .route("/orders/{id}/invoices/new", get(invoice_page).post(issue_invoice))
        .route("/orders/{id}/plan", get(plan_page).post(save_plan))
        .route("/payments/{id}/reverse", get(reverse_page).post(reverse_payment))
        .route("/invoices/{id}/void", get(void_page).post(void_invoice))
        .route("/receivables", get(receivables_page))
        .route("/payments/export.{format}", get(export_payments))
        .route("/invoices/export.{format}", get(export_invoices))
}

fn money_field(field: &str, text: &str) -> Result<Money, FieldError> {
    if text.trim().is_empty() {
        return Err(FieldError::new(field, "required"));
    }
    Money::parse_lenient(text).map_err(|e| e.form_field(field))
}

fn day_field(field: &str, text: &str, invalid: &mut Invalid) -> Option<chrono::NaiveDate> {
    match text.trim() {
        "" => {
            invalid.push(FieldError::new(field, "required"));
            None
        }
        s => {
            let d = parse_day(s);
            if d.is_none() {
                invalid.push(FieldError::new(field, "invalid_date"));
            }
            d
        }
    }
}

// ---------------------------------------------------------------- the order page's section

/// What the order page shows of its money.
pub struct OrderMoneyPanel {
    pub plan: PlanView,
    pub payments: Vec<PaymentView>,
    pub invoices: Vec<InvoiceView>,
    /// The order takes payments and invoices (approved or later).
    pub open: bool,
    pub can_record: bool,
    pub can_reverse: bool,
}

impl OrderMoneyPanel {
    /// Whether any instalment is overdue (the section is highlighted).
    pub fn has_overdue(&self) -> bool {
        self.plan.instalments.iter().any(|i| i.state == "overdue")
    }
}

/// The money section of an order, when the caller may see money.
pub async fn order_panel(request: &Page, o: &OrderView) -> PageResult<Option<OrderMoneyPanel>> {
    let (store, actor) = (request.store(), request.actor());
    if !actor.can(Module::Finance, Action::View) {
        return Ok(None);
    }
    let plan = match finance::get_plan(store, actor, o.id).await {
        Ok(p) => p,
        // An approver outside the order's scope sees the order, not its money.
        Err(StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let all = PageRequest { limit: Some(200), ..Default::default() };
    let payments =
        finance::list_payments(store, actor, &PaymentFilter { order_id: Some(o.id), customer_id: None }, &all)
            .await?
            .items;
    let invoices =
        finance::list_invoices(store, actor, &InvoiceFilter { order_id: Some(o.id), customer_id: None }, &all)
            .await?
            .items;
    let status =
        salesflow_domain::orders::OrderStatus::parse(&o.status).unwrap_or(salesflow_domain::orders::OrderStatus::Draft);
    Ok(Some(OrderMoneyPanel {
        plan,
        payments,
        invoices,
        open: salesflow_domain::finance::takes_money(status),
        can_record: actor.can(Module::Finance, Action::Create),
        can_reverse: actor.can(Module::Finance, Action::Edit),
    }))
}

// ---------------------------------------------------------------- payment form

#[derive(Debug, Deserialize, Default, Clone)]
struct PaymentForm {
    kind: String,
    received_on: String,
    amount: String,
    method: String,
    reference: String,
    note: String,
}

#[derive(Template)]
#[template(path = "finance/payment_form.html")]
struct PaymentPage {
    ctx: PageCtx,
    order: PlanView,
    form: PaymentForm,
    errors: FormErrors,
    kinds: Vec<&'static str>,
    methods: Vec<&'static str>,
}

async fn payment_form(request: &Page, id: i64, form: PaymentForm, errors: FormErrors) -> PageResult<PaymentPage> {
    request.actor().require(Module::Finance, Action::Create)?;
    Ok(PaymentPage {
        ctx: request.ctx("/orders").await,
        order: finance::get_plan(request.store(), request.actor(), id).await?,
        form,
        errors,
        kinds: PaymentKind::ALL.iter().map(|k| k.code()).collect(),
        methods: PaymentMethod::ALL.iter().map(|m| m.code()).collect(),
    })
}

async fn payment_page(request: Page, Path(id): Path<i64>) -> PageResult {
    let today = finance::today(request.store()).await?;
    let plan = finance::get_plan(request.store(), request.actor(), id).await?;
    let form = PaymentForm {
        kind: "payment".into(),
        method: "bank_transfer".into(),
        received_on: today.to_string(),
        amount: plan.money.outstanding.clone(),
        ..Default::default()
    };
    let p = payment_form(&request, id, form, FormErrors::default()).await?;
    Ok(render(&p.ctx, &p))
}

async fn record_payment(request: Page, Path(id): Path<i64>, Form(form): Form<PaymentForm>) -> PageResult {
    let mut invalid = Invalid::new();
    let received_on = day_field("received_on", &form.received_on, &mut invalid);
    let result = match invalid.into_result() {
        Err(i) => Err(i.into()),
        Ok(()) => {
            let input = PaymentInput {
                order_id: id,
                kind: form.kind.clone(),
                received_on,
                amount: money_field("amount", &form.amount),
                method: form.method.clone(),
                reference: form.reference.clone(),
                note: form.note.clone(),
            };
            finance::record_payment(request.store(), request.actor(), input).await
        }
    };
    match request.saved(result)? {
        Ok(_) => Ok(redirect_flash(&format!("/orders/{id}#money"), "finance.flash.payment_recorded")),
        Err(refused) => {
            let p = payment_form(&request, id, form, refused.errors).await?;
            let mut response = render(&p.ctx, &p);
            *response.status_mut() = refused.status;
            Ok(response)
        }
    }
}

// ---------------------------------------------------------------- invoice form

#[derive(Debug, Deserialize, Default, Clone)]
struct InvoiceForm {
    number: String,
    invoice_type: String,
    issued_on: String,
    amount: String,
    note: String,
}

#[derive(Template)]
#[template(path = "finance/invoice_form.html")]
struct InvoicePage {
    ctx: PageCtx,
    order: PlanView,
    form: InvoiceForm,
    errors: FormErrors,
    types: Vec<&'static str>,
}

async fn invoice_form(request: &Page, id: i64, form: InvoiceForm, errors: FormErrors) -> PageResult<InvoicePage> {
    request.actor().require(Module::Finance, Action::Create)?;
    Ok(InvoicePage {
        ctx: request.ctx("/orders").await,
        order: finance::get_plan(request.store(), request.actor(), id).await?,
        form,
        errors,
        types: InvoiceType::ALL.iter().map(|k| k.code()).collect(),
    })
}

async fn invoice_page(request: Page, Path(id): Path<i64>) -> PageResult {
    let today = finance::today(request.store()).await?;
    let plan = finance::get_plan(request.store(), request.actor(), id).await?;
    let form = InvoiceForm {
        invoice_type: "ordinary".into(),
        issued_on: today.to_string(),
        amount: plan.money.uninvoiced.clone(),
        ..Default::default()
    };
    let p = invoice_form(&request, id, form, FormErrors::default()).await?;
    Ok(render(&p.ctx, &p))
}

async fn issue_invoice(request: Page, Path(id): Path<i64>, Form(form): Form<InvoiceForm>) -> PageResult {
    let mut invalid = Invalid::new();
    let issued_on = day_field("issued_on", &form.issued_on, &mut invalid);
    let result = match invalid.into_result() {
        Err(i) => Err(i.into()),
        Ok(()) => {
            let input = InvoiceInput {
                order_id: id,
                number: form.number.clone(),
                invoice_type: form.invoice_type.clone(),
                issued_on,
                amount: money_field("amount", &form.amount),
                note: form.note.clone(),
            };
            finance::issue_invoice(request.store(), request.actor(), input).await
        }
    };
    match request.saved(result)? {
        Ok(_) => Ok(redirect_flash(&format!("/orders/{id}#money"), "finance.flash.invoice_issued")),
        Err(refused) => {
            let p = invoice_form(&request, id, form, refused.errors).await?;
            let mut response = render(&p.ctx, &p);
            *response.status_mut() = refused.status;
            Ok(response)
        }
    }
}

// ---------------------------------------------------------------- plan form

#[derive(Debug, Default, Clone)]
struct PlanRow {
    due_date: String,
    amount: String,
}

#[derive(Template)]
#[template(path = "finance/plan_form.html")]
struct PlanPage {
    ctx: PageCtx,
    order: PlanView,
    rows: Vec<PlanRow>,
    version: String,
    errors: FormErrors,
}

impl PlanPage {
    fn row_error(&self, i: &usize, field: &str) -> Option<&String> {
        self.errors.get(&format!("instalments[{i}].{field}"))
    }
}

async fn plan_form(
    request: &Page,
    id: i64,
    rows: Vec<PlanRow>,
    version: String,
    errors: FormErrors,
) -> PageResult<PlanPage> {
    request.actor().require(Module::Finance, Action::Create)?;
    Ok(PlanPage {
        ctx: request.ctx("/orders").await,
        order: finance::get_plan(request.store(), request.actor(), id).await?,
        rows,
        version,
        errors,
    })
}

async fn plan_page(request: Page, Path(id): Path<i64>) -> PageResult {
    let plan = finance::get_plan(request.store(), request.actor(), id).await?;
    let mut rows: Vec<PlanRow> = plan
        .instalments
        .iter()
        .map(|i| PlanRow { due_date: i.due_date.to_string(), amount: i.amount.clone() })
        .collect();
    rows.extend(std::iter::repeat_with(PlanRow::default).take(SPARE_ROWS));
    let p = plan_form(&request, id, rows, plan.version.to_string(), FormErrors::default()).await?;
    Ok(render(&p.ctx, &p))
}

async fn save_plan(request: Page, Path(id): Path<i64>, Form(pairs): Form<Vec<(String, String)>>) -> PageResult {
    let mut rows: Vec<PlanRow> = Vec::new();
    let mut version = String::new();
    for (k, v) in pairs {
        if k == "version" {
            version = v;
            continue;
        }
        let Some((i, field)) = k.strip_prefix("instalments[").and_then(|r| r.split_once("].")) else { continue };
        let Some(i) = i.parse::<usize>().ok().filter(|i| *i < finance::MAX_INSTALMENTS + SPARE_ROWS) else { continue };
        if rows.len() <= i {
            rows.resize(i + 1, PlanRow::default());
        }
        match field {
            "due_date" => rows[i].due_date = v,
            "amount" => rows[i].amount = v,
            _ => {}
        }
    }
    // Blank rows are left out; the kept rows' errors are named after their row.
    let kept: Vec<usize> = (0..rows.len())
        .filter(|i| !(rows[*i].due_date.trim().is_empty() && rows[*i].amount.trim().is_empty()))
        .collect();
    let mut invalid = Invalid::new();
    let input: Vec<InstalmentInput> = kept
        .iter()
        .map(|&i| InstalmentInput {
            due_date: day_field(&format!("instalments[{i}].due_date"), &rows[i].due_date, &mut invalid),
            amount: money_field(&format!("instalments[{i}].amount"), &rows[i].amount),
        })
        .collect();
    let result = match invalid.into_result() {
        Err(i) => Err(i.into()),
        Ok(()) => {
            let v = version.trim().parse().unwrap_or_default();
            let mut result = finance::set_plan(request.store(), request.actor(), id, v, input).await;
            // The store numbers the kept rows from 0; the form names its own rows.
            if let Err(StoreError::Invalid(inv)) = &mut result {
                for e in &mut inv.0 {
                    if let Some(rest) = e.field.strip_prefix("instalments[")
                        && let Some((k, field)) = rest.split_once("].")
                        && let Some(row) = k.parse::<usize>().ok().and_then(|k| kept.get(k))
                    {
                        e.field = format!("instalments[{row}].{field}");
                    }
                }
            }
            result
        }
    };
    match request.saved(result)? {
        Ok(_) => Ok(redirect_flash(&format!("/orders/{id}#money"), "finance.flash.plan_saved")),
        Err(refused) => {
            rows.resize(rows.len().max(kept.len() + SPARE_ROWS), PlanRow::default());
            let p = plan_form(&request, id, rows, version, refused.errors).await?;
            let mut response = render(&p.ctx, &p);
            *response.status_mut() = refused.status;
            Ok(response)
        }
    }
}

// ---------------------------------------------------------------- reverse / void

#[derive(Debug, Deserialize, Default, Clone)]
struct ReasonForm {
    reason: String,
    version: String,
}

#[derive(Template)]
#[template(path = "finance/reason_form.html")]
struct ReasonPage {
    ctx: PageCtx,
    /// `payment` or `invoice`.
    what: &'static str,
    action: String,
    order_id: i64,
    order_number: String,
    /// The payment's or invoice's amount and how it reads.
    amount: String,
    label: String,
    form: ReasonForm,
    errors: FormErrors,
}

async fn reason_page_for(
    request: &Page,
    what: &'static str,
    id: i64,
    form: ReasonForm,
    errors: FormErrors,
) -> PageResult<ReasonPage> {
    let (store, actor) = (request.store(), request.actor());
    actor.require(Module::Finance, Action::Edit)?;
    let ctx = request.ctx("/orders").await;
    let page = if what == "payment" {
        let p = finance::get_payment(store, actor, id).await?;
        let label = format!("{} · {}", ctx.label("finance.kinds", &p.kind), ctx.on_day(&p.received_on));
        let form = if form.version.is_empty() { ReasonForm { version: p.version.to_string(), ..form } } else { form };
        ReasonPage {
            action: format!("/payments/{id}/reverse"),
            order_id: p.order_id,
            order_number: p.order_number,
            amount: p.amount,
            label,
            what,
            form,
            errors,
            ctx,
        }
    } else {
        let i = finance::get_invoice(store, actor, id).await?;
        let label = format!("{} · {}", i.number, ctx.label("finance.invoice_types", &i.invoice_type));
        let form = if form.version.is_empty() { ReasonForm { version: i.version.to_string(), ..form } } else { form };
        ReasonPage {
            action: format!("/invoices/{id}/void"),
            order_id: i.order_id,
            order_number: i.order_number,
            amount: i.amount,
            label,
            what,
            form,
            errors,
            ctx,
        }
    };
    Ok(page)
}

async fn reverse_page(request: Page, Path(id): Path<i64>) -> PageResult {
    let p = reason_page_for(&request, "payment", id, ReasonForm::default(), FormErrors::default()).await?;
    Ok(render(&p.ctx, &p))
}

async fn void_page(request: Page, Path(id): Path<i64>) -> PageResult {
    let p = reason_page_for(&request, "invoice", id, ReasonForm::default(), FormErrors::default()).await?;
    Ok(render(&p.ctx, &p))
}

async fn reverse_payment(request: Page, Path(id): Path<i64>, Form(form): Form<ReasonForm>) -> PageResult {
    let version = form.version.trim().parse().unwrap_or_default();
    let result = finance::reverse_payment(request.store(), request.actor(), id, version, &form.reason).await;
    match request.saved(result)? {
        Ok(r) => Ok(redirect_flash(&format!("/orders/{}#money", r.payment.order_id), "finance.flash.payment_reversed")),
        Err(refused) => {
            let p = reason_page_for(&request, "payment", id, form, refused.errors).await?;
            let mut response = render(&p.ctx, &p);
            *response.status_mut() = refused.status;
            Ok(response)
        }
    }
}

async fn void_invoice(request: Page, Path(id): Path<i64>, Form(form): Form<ReasonForm>) -> PageResult {
    let version = form.version.trim().parse().unwrap_or_default();
    let result = finance::void_invoice(request.store(), request.actor(), id, version, &form.reason).await;
    match request.saved(result)? {
        Ok(r) => Ok(redirect_flash(&format!("/orders/{}#money", r.invoice.order_id), "finance.flash.invoice_voided")),
        Err(refused) => {
            let p = reason_page_for(&request, "invoice", id, form, refused.errors).await?;
            let mut response = render(&p.ctx, &p);
            *response.status_mut() = refused.status;
            Ok(response)
        }
    }
}

// ---------------------------------------------------------------- receivables

#[derive(Debug, Deserialize, Default)]
struct ReceivablesQuery {
    owner_id: Option<String>,
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "finance/receivables.html")]
struct ReceivablesView {
    ctx: PageCtx,
    page: ReceivablesPage,
    owners: Vec<(i64, String)>,
    owner_id: String,
    next_url: Option<String>,
    can_export: bool,
}

async fn receivables_page(request: Page, Query(q): Query<ReceivablesQuery>) -> PageResult {
    let (store, actor) = (request.store(), request.actor());
    let owner_id = q.owner_id.clone().unwrap_or_default();
    let filter = ReceivableFilter { customer_id: None, owner_id: owner_id.trim().parse().ok() };
    let page = finance::receivables(store, actor, &filter, 100, q.cursor.as_deref()).await?;
    let owners = salesflow_store::access::people_in_scope(store, actor).await.unwrap_or_default();
    let next_url = page.next_cursor.as_ref().map(|c| {
        format!(
            "/receivables?{}",
            super::query_string([("cursor", Some(c.as_str())), ("owner_id", Some(owner_id.as_str()))])
        )
    });
    let can_export = actor.can(Module::Finance, Action::Export);
    let p = ReceivablesView { ctx: request.ctx("/receivables").await, page, owners, owner_id, next_url, can_export };
    Ok(render(&p.ctx, &p))
}

#[derive(Debug, Deserialize, Default)]
struct ExportQuery {
    /// One customer's (from the customer page); everyone's in scope without.
    customer_id: Option<i64>,
}

fn export_format(format: &str) -> Result<crate::export::Format, StoreError> {
    match format {
        "csv" => Ok(crate::export::Format::Csv),
        "xlsx" => Ok(crate::export::Format::Xlsx),
        _ => Err(StoreError::NotFound),
    }
}

/// Payments in scope as CSV or an Excel workbook (`/payments/export.csv`).
async fn export_payments(request: Page, Path(format): Path<String>, Query(q): Query<ExportQuery>) -> PageResult {
    let format = export_format(&format)?;
    let filter = PaymentFilter { customer_id: q.customer_id, order_id: None };
    let fetch =
        crate::export::payments(request.store().clone(), request.actor().clone(), filter, request.locale().into());
    super::export_download(
        request.store(),
        request.locale(),
        "payments",
        &crate::export::PAYMENT_COLUMNS,
        fetch,
        format,
    )
    .await
}

/// Invoices in scope as CSV or an Excel workbook (`/invoices/export.xlsx`).
async fn export_invoices(request: Page, Path(format): Path<String>, Query(q): Query<ExportQuery>) -> PageResult {
    let format = export_format(&format)?;
    let filter = InvoiceFilter { customer_id: q.customer_id, order_id: None };
    let fetch =
        crate::export::invoices(request.store().clone(), request.actor().clone(), filter, request.locale().into());
    super::export_download(
        request.store(),
        request.locale(),
        "invoices",
        &crate::export::INVOICE_COLUMNS,
        fetch,
        format,
    )
    .await
}
