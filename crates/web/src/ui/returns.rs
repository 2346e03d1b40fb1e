//! Return order pages (退货): the list, a new return from an order's
//! shipped lines, and the return page with its actions (receive,
//! complete, cancel).

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query};
use axum::response::Response;
use axum::routing::{get, post};
use salesflow_domain::access::{Action, Module};
use salesflow_domain::returns::{ReturnAction, ReturnStatus};
use salesflow_store::StoreError;
use salesflow_store::inventory::{self, WarehouseView};
use salesflow_store::orders::{self, OrderView};
use salesflow_store::paging::PageRequest;
use salesflow_store::returns::{self, ReturnFilter, ReturnInput, ReturnLineInput, ReturnView};
use serde::Deserialize;

use super::page::Page;
use super::{FormErrors, PageCtx, redirect_flash, render};
use crate::error::page::PageResult;
use crate::server::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/returns", get(list_page).post(create))
        .route("/returns/new", get(new_page))
        .route("/returns/{id}", get(show_page))
        .route("/returns/{id}/{action}", post(act))
}

// ---------------------------------------------------------------- list

#[derive(Debug, Deserialize, Default)]
struct ListQuery {
    status: Option<String>,
    /// One customer's returns (from the customer page).
    customer_id: Option<i64>,
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "returns/list.html")]
struct ListPage {
    ctx: PageCtx,
    items: Vec<ReturnView>,
    status: String,
    statuses: Vec<&'static str>,
    next_url: Option<String>,
}

async fn list_page(request: Page, Query(q): Query<ListQuery>) -> PageResult {
    let (store, actor) = (request.store(), request.actor());
    let status = q.status.clone().unwrap_or_default();
    let filter =
        ReturnFilter { status: ReturnStatus::parse(status.trim()), customer_id: q.customer_id, ..Default::default() };
    let paging = PageRequest { limit: Some(50), cursor: q.cursor.clone(), sort: None };
    let found = returns::list(store, actor, &filter, &paging).await?;
    let next_url = found.next_cursor.map(|c| {
        let customer = q.customer_id.map(|id| id.to_string());
        let pairs =
            [("cursor", Some(c.as_str())), ("status", Some(status.as_str())), ("customer_id", customer.as_deref())];
        format!("/returns?{}", super::query_string(pairs))
    });
    let p = ListPage {
        ctx: request.ctx("/returns").await,
        items: found.items,
        status,
        statuses: ReturnStatus::ALL.iter().map(|s| s.code()).collect(),
        next_url,
    };
    Ok(render(&p.ctx, &p))
}

// ---------------------------------------------------------------- form

#[derive(Debug, Default, Clone)]
struct ReturnForm {
    order_id: String,
    warehouse_id: String,
    reason: String,
    /// Quantity typed per order line id.
    quantities: Vec<(i64, String)>,
}

impl ReturnForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> ReturnForm {
        let mut form = ReturnForm::default();
        for (k, v) in pairs {
            match k.as_str() {
                "order_id" => form.order_id = v,
                "warehouse_id" => form.warehouse_id = v,
                "reason" => form.reason = v,
                _ => {
                    if let Some(line) = k.strip_prefix("qty_").and_then(|l| l.parse::<i64>().ok()) {
                        form.quantities.push((line, v));
                    }
                }
            }
        }
        form
    }
}

#[derive(Template)]
#[template(path = "returns/form.html")]
struct FormPage {
    ctx: PageCtx,
    o: OrderView,
    form: ReturnForm,
    errors: FormErrors,
    warehouses: Vec<WarehouseView>,
}

impl FormPage {
    fn quantity(&self, line: &i64) -> String {
        self.form.quantities.iter().find(|(l, _)| l == line).map(|(_, v)| v.clone()).unwrap_or_default()
    }

    fn line_error(&self, line: &i64) -> Option<&String> {
        self.errors.get(&format!("qty_{line}"))
    }

    /// Errors not shown beside a field.
    fn general_errors(&self) -> Vec<&String> {
        let mut found: Vec<(&String, &String)> = self
            .errors
            .0
            .iter()
            .filter(|(k, _)| !["warehouse_id", "reason"].contains(&k.as_str()) && !k.starts_with("qty_"))
            .collect();
        found.sort();
        found.into_iter().map(|(_, v)| v).collect()
    }
}

async fn form_page(request: &Page, order_id: i64, form: ReturnForm, errors: FormErrors) -> PageResult<FormPage> {
    let (store, actor) = (request.store(), request.actor());
    Ok(FormPage {
        ctx: request.ctx("/returns").await,
        o: orders::get(store, actor, order_id).await?,
        form,
        errors,
        warehouses: inventory::list_warehouses(store, actor).await?.into_iter().filter(|w| w.active).collect(),
    })
}

#[derive(Debug, Deserialize, Default)]
struct NewQuery {
    order_id: Option<i64>,
}

async fn new_page(request: Page, Query(q): Query<NewQuery>) -> PageResult {
    request.actor().require(Module::Orders, Action::Create)?;
    let order_id = q.order_id.ok_or(StoreError::NotFound)?;
    let o = orders::get(request.store(), request.actor(), order_id).await?;
    // The goods go back where they left from, unless chosen otherwise.
    let warehouse = o.lines.iter().find_map(|l| l.warehouse_id).or(o.warehouse_id);
    let form = ReturnForm {
        order_id: order_id.to_string(),
        warehouse_id: warehouse.map(|w| w.to_string()).unwrap_or_default(),
        ..Default::default()
    };
    let p = form_page(&request, order_id, form, FormErrors::default()).await?;
    Ok(render(&p.ctx, &p))
}

async fn create(request: Page, Form(pairs): Form<Vec<(String, String)>>) -> PageResult {
    let form = ReturnForm::from_pairs(pairs);
    let order_id: i64 = form.order_id.trim().parse().map_err(|_| StoreError::NotFound)?;
    // Rows left blank (or 0) are not returned.
    let chosen: Vec<&(i64, String)> =
        form.quantities.iter().filter(|(_, v)| !v.trim().is_empty() && v.trim() != "0").collect();
    let input = ReturnInput {
        order_id,
        warehouse_id: form.warehouse_id.trim().parse().unwrap_or_default(),
        reason: form.reason.clone(),
        lines: chosen.iter().map(|(line, q)| ReturnLineInput { order_line_id: *line, quantity: q.clone() }).collect(),
    };
    let result = returns::create(request.store(), request.actor(), input).await;
    match request.saved(result)? {
        Ok(r) => Ok(redirect_flash(&format!("/returns/{}", r.id), "flash.saved")),
        Err(mut refused) => {
            // `lines[k].…` named after the row's order line.
            let mut renamed = FormErrors::default();
            for (field, message) in refused.errors.0.drain() {
                let row = field
                    .strip_prefix("lines[")
                    .and_then(|r| r.split_once(']'))
                    .and_then(|(k, _)| k.parse::<usize>().ok())
                    .and_then(|k| chosen.get(k));
                let field = match row {
                    Some((line, _)) => format!("qty_{line}"),
                    None => field,
                };
                renamed.0.entry(field).or_insert(message);
            }
            let p = form_page(&request, order_id, form, renamed).await?;
            let mut response = render(&p.ctx, &p);
            *response.status_mut() = refused.status;
            Ok(response)
        }
    }
}

// ---------------------------------------------------------------- the return

#[derive(Template)]
#[template(path = "returns/show.html")]
struct ShowPage {
    ctx: PageCtx,
    r: ReturnView,
    errors: FormErrors,
    can_receive: bool,
    can_complete: bool,
    can_cancel: bool,
}

async fn show(request: &Page, id: i64, errors: FormErrors) -> PageResult<ShowPage> {
    let (store, actor) = (request.store(), request.actor());
    let r = returns::get(store, actor, id).await?;
    let status = ReturnStatus::parse(&r.status).unwrap_or(ReturnStatus::Draft);
    let can_edit = actor.can(Module::Orders, Action::Edit);
    let allowed = |a: ReturnAction| can_edit && salesflow_domain::returns::transition(status, a).is_ok();
    Ok(ShowPage {
        ctx: request.ctx("/returns").await,
        can_receive: allowed(ReturnAction::Receive),
        can_complete: allowed(ReturnAction::Complete),
        can_cancel: allowed(ReturnAction::Cancel),
        r,
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
    let action = ReturnAction::parse(&action).ok_or(StoreError::NotFound)?;
    let version = pairs.iter().find(|(k, _)| k == "version").and_then(|(_, v)| v.trim().parse().ok());
    let result = returns::act(request.store(), request.actor(), id, action, version).await;
    match request.saved(result)? {
        Ok(r) => Ok(redirect_flash(&format!("/returns/{}", r.id), "flash.saved")),
        Err(refused) => {
            let p = show(&request, id, refused.errors).await?;
            let mut response: Response = render(&p.ctx, &p);
            *response.status_mut() = refused.status;
            Ok(response)
        }
    }
}
