//! Money owed on sales orders (回款): deposits and payments (`/payments`,
//! reversed by `POST /payments/{id}/reverse`), invoices (`/invoices`, voided
//! by `POST /invoices/{id}/void`), an order's collection plan
//! (`GET`/`PUT /orders/{id}/plan`), receivables and their aging
//! (`/receivables`, `/customers/{id}/credit`) and the overdue figures
//! (`/receivables/overdue`). Amounts are decimal strings; everything
//! follows the order's customer's data scope.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use salesflow_domain::money::Money;
use salesflow_domain::time::parse_day;
use salesflow_domain::{FieldError, Invalid};
use salesflow_store::finance::{
    self, CustomerCredit, InstalmentInput, InvoiceFilter, InvoiceInput, InvoiceResult, InvoiceView, OverdueSummary,
    PaymentFilter, PaymentInput, PaymentResult, PaymentView, PlanView, ReceivableFilter, ReceivablesPage,
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
        .routes(routes!(list_payments, record_payment))
        .routes(routes!(get_payment))
        .routes(routes!(reverse_payment))
        .routes(routes!(list_invoices, issue_invoice))
        .routes(routes!(get_invoice))
        .routes(routes!(void_invoice))
        .routes(routes!(get_plan, set_plan))
        .routes(routes!(list_receivables))
        .routes(routes!(overdue))
        .routes(routes!(customer_credit))
}

fn day(field: &str, text: &Option<String>, invalid: &mut Vec<FieldError>) -> Option<chrono::NaiveDate> {
    match text.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => {
            let d = parse_day(s);
            if d.is_none() {
                invalid.push(FieldError::new(field, "invalid_date"));
            }
            d
        }
    }
}

fn amount(field: &str, text: &str) -> Result<Money, FieldError> {
    Money::parse_strict(text).map_err(|e| e.field(field))
}

fn refuse(meta: &crate::auth::RequestMeta, errors: Vec<FieldError>) -> ApiResult<()> {
    if errors.is_empty() { Ok(()) } else { Err(ApiError::invalid(Invalid(errors)).in_locale(&meta.locale)) }
}

// ---------------------------------------------------------------- payments

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MoneyQuery {
    pub order_id: Option<i64>,
    pub customer_id: Option<i64>,
}

/// Payments in the caller's scope, newest first.
#[utoipa::path(get, path = "/payments", tag = "finance", params(MoneyQuery, PageParams),
    responses((status = 200, body = Page<PaymentView>), (status = 422, body = Problem)))]
async fn list_payments(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<MoneyQuery>,
    ApiQuery(paging): ApiQuery<PageParams>,
) -> ApiResult<Json<Page<PaymentView>>> {
    let filter = PaymentFilter { order_id: q.order_id, customer_id: q.customer_id };
    Ok(Json(finance::list_payments(&state.store, &session.actor, &filter, &paging.page()).await.api(&meta)?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentBody {
    /// An approved (or later) order in the caller's scope.
    pub order_id: i64,
    /// `deposit` (定金) or `payment` (收款); default `payment`.
    #[serde(default)]
    pub kind: Option<String>,
    /// `YYYY-MM-DD`, not after today; default today.
    #[serde(default)]
    pub received_on: Option<String>,
    /// Decimal string: more than zero, at most what the order still owes.
    pub amount: String,
    /// `bank_transfer`, `cash`, `cheque`, `other`; default `bank_transfer`.
    #[serde(default)]
    pub method: Option<String>,
    /// The bank's or cheque's reference.
    #[serde(default)]
    pub reference: String,
    #[serde(default)]
    pub note: String,
}

/// Records a deposit or payment (201 with the payment and the order's
/// money after it). 422 `more_than_outstanding` (with `max`) when it would
/// take the order over its total, also when another payment at the same
/// moment took the room; 422 `order_not_approved` before approval.
#[utoipa::path(post, path = "/payments", tag = "finance", request_body = PaymentBody,
    responses((status = 201, body = PaymentResult), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn record_payment(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiJson(body): ApiJson<PaymentBody>,
) -> ApiResult<(StatusCode, Json<PaymentResult>)> {
    let mut errors = Vec::new();
    let received_on = day("received_on", &body.received_on, &mut errors);
    refuse(&meta, errors)?;
    let today = finance::today(&state.store).await.api(&meta)?;
    let input = PaymentInput {
        order_id: body.order_id,
        kind: body.kind.unwrap_or_else(|| "payment".into()),
        received_on: Some(received_on.unwrap_or(today)),
        amount: amount("amount", &body.amount),
        method: body.method.unwrap_or_else(|| "bank_transfer".into()),
        reference: body.reference,
        note: body.note,
    };
    let done = finance::record_payment(&state.store, &session.actor, input).await.api(&meta)?;
    Ok((StatusCode::CREATED, Json(done)))
}

#[utoipa::path(get, path = "/payments/{id}", tag = "finance", params(("id" = i64, Path)),
    responses((status = 200, body = PaymentView), (status = 404, body = Problem)))]
async fn get_payment(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<PaymentView>> {
    Ok(Json(finance::get_payment(&state.store, &session.actor, id).await.api(&meta)?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReversalBody {
    /// Why (required).
    pub reason: String,
    /// As last read.
    pub version: i64,
}

/// Reverses a payment (冲销): it stays, marked reversed, and the order owes
/// its amount again. 409 when already reversed or the version is stale.
#[utoipa::path(post, path = "/payments/{id}/reverse", tag = "finance", params(("id" = i64, Path)),
    request_body = ReversalBody,
    responses((status = 200, body = PaymentResult), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn reverse_payment(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<ReversalBody>,
) -> ApiResult<Json<PaymentResult>> {
    Ok(Json(finance::reverse_payment(&state.store, &session.actor, id, body.version, &body.reason).await.api(&meta)?))
}

// ---------------------------------------------------------------- invoices

/// Invoices in the caller's scope, newest first.
#[utoipa::path(get, path = "/invoices", tag = "finance", params(MoneyQuery, PageParams),
    responses((status = 200, body = Page<InvoiceView>), (status = 422, body = Problem)))]
async fn list_invoices(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<MoneyQuery>,
    ApiQuery(paging): ApiQuery<PageParams>,
) -> ApiResult<Json<Page<InvoiceView>>> {
    let filter = InvoiceFilter { order_id: q.order_id, customer_id: q.customer_id };
    Ok(Json(finance::list_invoices(&state.store, &session.actor, &filter, &paging.page()).await.api(&meta)?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceBody {
    /// An approved (or later) order in the caller's scope.
    pub order_id: i64,
    /// The invoice's own number (发票号码), not used before.
    pub number: String,
    /// `ordinary` (普票) or `special` (专票); default `ordinary`.
    #[serde(default)]
    pub invoice_type: Option<String>,
    /// `YYYY-MM-DD`, not after today; default today.
    #[serde(default)]
    pub issued_on: Option<String>,
    /// Decimal string: more than zero, at most what is not invoiced yet.
    pub amount: String,
    #[serde(default)]
    pub note: String,
}

/// Issues an invoice (201). 422 `more_than_uninvoiced` (with `max`) when
/// the order's invoices would exceed its total; `already_exists` for a
/// number used before.
#[utoipa::path(post, path = "/invoices", tag = "finance", request_body = InvoiceBody,
    responses((status = 201, body = InvoiceResult), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn issue_invoice(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiJson(body): ApiJson<InvoiceBody>,
) -> ApiResult<(StatusCode, Json<InvoiceResult>)> {
    let mut errors = Vec::new();
    let issued_on = day("issued_on", &body.issued_on, &mut errors);
    refuse(&meta, errors)?;
    let today = finance::today(&state.store).await.api(&meta)?;
    let input = InvoiceInput {
        order_id: body.order_id,
        number: body.number,
        invoice_type: body.invoice_type.unwrap_or_else(|| "ordinary".into()),
        issued_on: Some(issued_on.unwrap_or(today)),
        amount: amount("amount", &body.amount),
        note: body.note,
    };
    let done = finance::issue_invoice(&state.store, &session.actor, input).await.api(&meta)?;
    Ok((StatusCode::CREATED, Json(done)))
}

#[utoipa::path(get, path = "/invoices/{id}", tag = "finance", params(("id" = i64, Path)),
    responses((status = 200, body = InvoiceView), (status = 404, body = Problem)))]
async fn get_invoice(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<InvoiceView>> {
    Ok(Json(finance::get_invoice(&state.store, &session.actor, id).await.api(&meta)?))
}

/// Voids an invoice (作废); its amount may be invoiced again. 409 when
/// already void or the version is stale.
#[utoipa::path(post, path = "/invoices/{id}/void", tag = "finance", params(("id" = i64, Path)),
    request_body = ReversalBody,
    responses((status = 200, body = InvoiceResult), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn void_invoice(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<ReversalBody>,
) -> ApiResult<Json<InvoiceResult>> {
    Ok(Json(finance::void_invoice(&state.store, &session.actor, id, body.version, &body.reason).await.api(&meta)?))
}

// ---------------------------------------------------------------- plans

/// An order's collection plan (回款计划): its instalments in due order,
/// each with what is paid of it and its state (`due`, `partly_paid`,
/// `paid`, `overdue`); payments fill them in due order.
#[utoipa::path(get, path = "/orders/{id}/plan", tag = "finance", params(("id" = i64, Path)),
    responses((status = 200, body = PlanView), (status = 404, body = Problem)))]
async fn get_plan(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<PlanView>> {
    Ok(Json(finance::get_plan(&state.store, &session.actor, id).await.api(&meta)?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstalmentBody {
    /// `YYYY-MM-DD`.
    pub due_date: String,
    /// Decimal string, more than zero.
    pub amount: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanBody {
    /// The whole plan (an empty list removes it), at most 24 instalments,
    /// together no more than the order's total.
    pub instalments: Vec<InstalmentBody>,
    /// The plan's `version` as last read.
    pub version: i64,
}

/// Replaces an approved order's collection plan. 422
/// `plan_exceeds_total` (with `max`); 409 on a stale version.
#[utoipa::path(put, path = "/orders/{id}/plan", tag = "finance", params(("id" = i64, Path)), request_body = PlanBody,
    responses((status = 200, body = PlanView), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn set_plan(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<PlanBody>,
) -> ApiResult<Json<PlanView>> {
    let mut errors = Vec::new();
    let input = body
        .instalments
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let due_field = format!("instalments[{i}].due_date");
            let due_date = parse_day(&p.due_date);
            if due_date.is_none() {
                errors.push(FieldError::new(
                    &due_field,
                    if p.due_date.trim().is_empty() { "required" } else { "invalid_date" },
                ));
            }
            InstalmentInput { due_date, amount: amount(&format!("instalments[{i}].amount"), &p.amount) }
        })
        .collect();
    refuse(&meta, errors)?;
    Ok(Json(finance::set_plan(&state.store, &session.actor, id, body.version, input).await.api(&meta)?))
}

// ---------------------------------------------------------------- receivables

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReceivableQuery {
    pub customer_id: Option<i64>,
    /// The customers' owner.
    pub owner_id: Option<i64>,
    /// 1–500, default 50.
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Receivables (应收) per customer in the caller's scope, largest first,
/// with their aging: 0–30, 31–60, 61–90 and over 90 days since due. A plan's
/// instalment ages from its due date; what an order owes beyond its plan
/// (or without one) from the day it was approved. `totals` adds up every
/// customer of the filter.
#[utoipa::path(get, path = "/receivables", tag = "finance", params(ReceivableQuery),
    responses((status = 200, body = ReceivablesPage), (status = 422, body = Problem)))]
async fn list_receivables(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<ReceivableQuery>,
) -> ApiResult<Json<ReceivablesPage>> {
    let filter = ReceivableFilter { customer_id: q.customer_id, owner_id: q.owner_id };
    let page = finance::receivables(&state.store, &session.actor, &filter, q.limit.unwrap_or(50), q.cursor.as_deref())
        .await
        .api(&meta)?;
    Ok(Json(page))
}

/// Overdue collections in the caller's scope (the home page's figures).
#[utoipa::path(get, path = "/receivables/overdue", tag = "finance",
    responses((status = 200, body = OverdueSummary)))]
async fn overdue(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
) -> ApiResult<Json<OverdueSummary>> {
    Ok(Json(finance::overdue_summary(&state.store, &session.actor).await.api(&meta)?))
}

/// A customer's receivables and credit: limit, used (what its approved
/// orders still owe), available.
#[utoipa::path(get, path = "/customers/{id}/credit", tag = "finance", params(("id" = i64, Path)),
    responses((status = 200, body = CustomerCredit), (status = 404, body = Problem)))]
async fn customer_credit(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<CustomerCredit>> {
    Ok(Json(finance::customer_credit(&state.store, &session.actor, id).await.api(&meta)?))
}
