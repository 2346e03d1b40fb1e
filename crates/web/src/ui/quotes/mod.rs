//! Quote pages (报价): the list, a new quote and the edit form (a sent
//! quote's edit makes a new version), and — in `show.rs` — the quote page
//! with its actions, the printable page, an old version and the
//! comparison of two versions.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use salesflow_domain::access::{Action, Module};
use salesflow_domain::quotes::QuoteStatus;
use salesflow_domain::{FieldError, Invalid};
use salesflow_store::customers::{self, ContactFilter, CustomerFilter};
use salesflow_store::paging::PageRequest;
use salesflow_store::quotes::{self, QuoteFilter, QuoteInput, QuoteLineInput, QuoteSummary, QuoteView};
use salesflow_store::{StoreError, StoreResult};
use serde::Deserialize;

use super::page::Page;
use super::{FormErrors, PageCtx, redirect_flash, render};
use crate::error::page::PageResult;
use crate::server::AppState;

mod show;

/// Line rows a quote form offers (empty rows are left out).
const FORM_LINES: usize = 6;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/quotes", get(list_page))
        .route("/quotes/new", get(new_page).post(create))
        .route("/quotes/{id}", get(show::show_page))
        .route("/quotes/{id}/edit", get(edit_page).post(update))
        .route("/quotes/{id}/print", get(show::print_page))
        .route("/quotes/{id}/versions/{revision}", get(show::version_page))
        .route("/quotes/{id}/compare", get(show::compare_page))
        .route("/quotes/{id}/{action}", post(show::act))
}

fn id_of(text: &str) -> Option<i64> {
    text.trim().parse().ok()
}

// ---------------------------------------------------------------- list

#[derive(Debug, Deserialize, Default)]
struct ListQuery {
    status: Option<String>,
    customer_id: Option<String>,
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "quotes/list.html")]
struct ListPage {
    ctx: PageCtx,
    items: Vec<QuoteSummary>,
    status: String,
    statuses: Vec<&'static str>,
    next_url: Option<String>,
    can_create: bool,
}

async fn list_page(request: Page, Query(q): Query<ListQuery>) -> PageResult {
    let (store, actor) = (request.store(), request.actor());
    let status = q.status.clone().unwrap_or_default();
    let customer = q.customer_id.clone().unwrap_or_default();
    let filter =
        QuoteFilter { status: QuoteStatus::parse(status.trim()), customer_id: id_of(&customer), ..Default::default() };
    let paging = PageRequest { limit: Some(50), cursor: q.cursor.clone(), sort: None };
    let found = quotes::list(store, actor, &filter, &paging).await?;
    let next_url = found.next_cursor.map(|c| {
        let pairs =
            [("cursor", Some(c.as_str())), ("status", Some(status.as_str())), ("customer_id", Some(customer.as_str()))];
        format!("/quotes?{}", super::query_string(pairs))
    });
    let p = ListPage {
        ctx: request.ctx("/quotes").await,
        items: found.items,
        status,
        statuses: QuoteStatus::ALL.iter().map(|s| s.code()).collect(),
        next_url,
        can_create: actor.can(Module::Quotes, Action::Create),
    };
    Ok(render(&p.ctx, &p))
}

// ---------------------------------------------------------------- form

#[derive(Debug, Deserialize, Default, Clone)]
pub(super) struct LineForm {
    pub product_code: String,
    pub quantity: String,
    pub unit_price: String,
    pub discount_percent: String,
}

#[derive(Debug, Default, Clone)]
pub(super) struct QuoteForm {
    pub customer_id: String,
    pub contact_id: String,
    pub opportunity_id: String,
    pub valid_until: String,
    pub notes: String,
    pub terms: String,
    pub version: String,
    pub lines: Vec<LineForm>,
}

impl QuoteForm {
    /// Reads `lines[i].field` pairs of an urlencoded form.
    fn from_pairs(pairs: Vec<(String, String)>) -> QuoteForm {
        let mut form = QuoteForm { lines: vec![LineForm::default(); FORM_LINES], ..Default::default() };
        for (k, v) in pairs {
            match k.as_str() {
                "customer_id" => form.customer_id = v,
                "contact_id" => form.contact_id = v,
                "opportunity_id" => form.opportunity_id = v,
                "valid_until" => form.valid_until = v,
                "notes" => form.notes = v,
                "terms" => form.terms = v,
                "version" => form.version = v,
                _ => {
                    let Some((i, field)) = k.strip_prefix("lines[").and_then(|r| r.split_once("].")) else { continue };
                    let Some(line) = i.parse::<usize>().ok().and_then(|i| form.lines.get_mut(i)) else { continue };
                    match field {
                        "product_code" => line.product_code = v,
                        "quantity" => line.quantity = v,
                        "unit_price" => line.unit_price = v,
                        "discount_percent" => line.discount_percent = v,
                        _ => {}
                    }
                }
            }
        }
        form
    }

    fn of(q: &QuoteView) -> QuoteForm {
        let mut lines: Vec<LineForm> = q
            .lines
            .iter()
            .map(|l| LineForm {
                product_code: l.product_code.clone(),
                quantity: l.quantity.clone(),
                unit_price: l.unit_price.clone(),
                discount_percent: l.discount_percent.clone(),
            })
            .collect();
        lines.resize(FORM_LINES.max(lines.len()), LineForm::default());
        QuoteForm {
            customer_id: q.customer_id.to_string(),
            contact_id: q.contact_id.map(|c| c.to_string()).unwrap_or_default(),
            opportunity_id: q.opportunity_id.map(|o| o.to_string()).unwrap_or_default(),
            valid_until: q.valid_until.to_string(),
            notes: q.notes.clone(),
            terms: q.terms.clone(),
            version: q.version.to_string(),
            lines,
        }
    }
}

/// The form as the store's input: products by their code; rows without a
/// product code are left out (their positions follow the kept rows).
async fn input(request: &Page, form: &QuoteForm) -> StoreResult<(QuoteInput, Vec<usize>)> {
    let mut invalid = Invalid::new();
    let customer_id = id_of(&form.customer_id);
    if customer_id.is_none() {
        invalid.push(FieldError::new("customer_id", "required"));
    }
    let valid_until = match form.valid_until.trim() {
        "" => None,
        s => match salesflow_domain::time::parse_day(s) {
            Some(d) => Some(d),
            None => {
                invalid.push(FieldError::new("valid_until", "invalid_date"));
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
        lines.push(QuoteLineInput {
            product_id,
            quantity: l.quantity.clone(),
            unit_price: optional(&l.unit_price),
            discount_percent: optional(&l.discount_percent),
            tax_rate: None,
        });
    }
    if lines.is_empty() && invalid.0.is_empty() {
        invalid.push(FieldError::new("lines", "required"));
    }
    invalid.into_result()?;
    let input = QuoteInput {
        customer_id: customer_id.unwrap_or_default(),
        contact_id: id_of(&form.contact_id),
        opportunity_id: id_of(&form.opportunity_id),
        valid_until,
        notes: form.notes.clone(),
        terms: form.terms.clone(),
        lines,
    };
    Ok((input, rows))
}

/// The store's `lines[k]` errors named after the form's row.
fn renumber(mut result: StoreResult<QuoteView>, rows: &[usize]) -> StoreResult<QuoteView> {
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
#[template(path = "quotes/form.html")]
struct FormPage {
    ctx: PageCtx,
    id: Option<i64>,
    number: String,
    /// Editing a sent quote makes a new version.
    new_version: bool,
    form: QuoteForm,
    errors: FormErrors,
    customers: Vec<(i64, String)>,
    contacts: Vec<(i64, String)>,
    opportunities: Vec<(i64, String)>,
}

impl FormPage {
    fn line_error(&self, i: &usize, field: &str) -> Option<&String> {
        self.errors.get(&format!("lines[{i}].{field}"))
    }

    /// Errors not shown beside a field of the form (the lines' are on their rows).
    fn general_errors(&self) -> Vec<&String> {
        const SHOWN: [&str; 6] = ["customer_id", "contact_id", "opportunity_id", "valid_until", "notes", "terms"];
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
    new_version: bool,
    form: QuoteForm,
    errors: FormErrors,
) -> PageResult<FormPage> {
    let (store, actor) = (request.store(), request.actor());
    let paging = PageRequest { limit: Some(500), ..Default::default() };
    let found = customers::list_customers(store, actor, &CustomerFilter::default(), &paging).await?;
    let customers = found.items.into_iter().filter(|c| c.owner_id.is_some()).map(|c| (c.id, c.name)).collect();
    let (mut contacts, mut opportunities) = (Vec::new(), Vec::new());
    if let Some(customer_id) = id_of(&form.customer_id) {
        let filter = ContactFilter { customer_id: Some(customer_id), ..Default::default() };
        if let Ok(found) = customers::list_contacts(store, actor, &filter, &paging).await {
            contacts = found.items.into_iter().map(|c| (c.id, c.name)).collect();
        }
        if let Ok(found) = salesflow_store::opportunities::of_customer(store, actor, customer_id).await {
            opportunities = found.into_iter().map(|o| (o.id, o.name)).collect();
        }
    }
    Ok(FormPage {
        ctx: request.ctx("/quotes").await,
        id,
        number,
        new_version,
        form,
        errors,
        customers,
        contacts,
        opportunities,
    })
}

#[derive(Debug, Deserialize, Default)]
struct NewQuery {
    customer_id: Option<String>,
    opportunity_id: Option<String>,
}

async fn new_page(request: Page, Query(q): Query<NewQuery>) -> PageResult {
    request.actor().require(Module::Quotes, Action::Create)?;
    let mut form = QuoteForm {
        customer_id: q.customer_id.unwrap_or_default(),
        opportunity_id: q.opportunity_id.unwrap_or_default(),
        lines: vec![LineForm::default(); FORM_LINES],
        ..Default::default()
    };
    // From an opportunity: its customer.
    if let Some(o) = id_of(&form.opportunity_id)
        && form.customer_id.trim().is_empty()
        && let Ok(deal) = salesflow_store::opportunities::get_opportunity(request.store(), request.actor(), o).await
    {
        form.customer_id = deal.customer_id.to_string();
    }
    let p = form_page(&request, None, String::new(), false, form, FormErrors::default()).await?;
    Ok(render(&p.ctx, &p))
}

async fn refused_form(
    request: &Page,
    id: Option<i64>,
    new_version: bool,
    form: QuoteForm,
    refused: super::page::Refused,
) -> PageResult {
    let p = form_page(request, id, String::new(), new_version, form, refused.errors).await?;
    let mut response = render(&p.ctx, &p);
    *response.status_mut() = refused.status;
    Ok(response)
}

async fn create(request: Page, Form(pairs): Form<Vec<(String, String)>>) -> PageResult {
    let form = QuoteForm::from_pairs(pairs);
    let result = match input(&request, &form).await {
        Ok((input, rows)) => renumber(quotes::create(request.store(), request.actor(), input).await, &rows),
        Err(e) => Err(e),
    };
    match request.saved(result)? {
        Ok(q) => Ok(redirect_flash(&format!("/quotes/{}", q.id), "flash.saved")),
        Err(refused) => refused_form(&request, None, false, form, refused).await,
    }
}

fn makes_new_version(q: &QuoteView) -> bool {
    matches!(QuoteStatus::parse(&q.status), Some(QuoteStatus::Sent | QuoteStatus::Expired))
}

async fn edit_page(request: Page, Path(id): Path<i64>) -> PageResult {
    let q = quotes::get(request.store(), request.actor(), id).await?;
    let status = QuoteStatus::parse(&q.status).unwrap_or(QuoteStatus::Draft);
    if salesflow_domain::quotes::edit(status).is_err() {
        // Waiting for approval, accepted or declined: nothing to edit.
        return Ok(axum::response::Redirect::to(&format!("/quotes/{id}")).into_response());
    }
    let number = q.number.clone();
    let p =
        form_page(&request, Some(id), number, makes_new_version(&q), QuoteForm::of(&q), FormErrors::default()).await?;
    Ok(render(&p.ctx, &p))
}

async fn update(request: Page, Path(id): Path<i64>, Form(pairs): Form<Vec<(String, String)>>) -> PageResult {
    let form = QuoteForm::from_pairs(pairs);
    let version = id_of(&form.version).unwrap_or_default();
    let result = match input(&request, &form).await {
        Ok((input, rows)) => {
            renumber(quotes::update(request.store(), request.actor(), id, version, input).await, &rows)
        }
        Err(e) => Err(e),
    };
    match request.saved(result)? {
        Ok(q) => Ok(redirect_flash(&format!("/quotes/{}", q.id), "flash.saved")),
        Err(refused) => {
            let new_version =
                quotes::get(request.store(), request.actor(), id).await.map(|q| makes_new_version(&q)).unwrap_or(false);
            refused_form(&request, Some(id), new_version, form, refused).await
        }
    }
}
