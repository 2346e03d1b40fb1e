//! Contract pages (合同): the list (status, customer, owner, ending within
//! 30 days), a new contract and its edit form (an amendment once signed),
//! the contract page with its actions, files, earlier versions and
//! approval history, an earlier version, and a printable view.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query};
use axum::response::Response;
use axum::routing::{get, post};
use salesflow_domain::access::{Action, Module};
use salesflow_domain::attachments::Holder;
use salesflow_domain::contracts::{ContractAction, ContractStatus, Edit, transition};
use salesflow_domain::{FieldError, Invalid};
use salesflow_store::contracts::{self, ContractFilter, ContractInput, ContractVersionView, ContractView};
use salesflow_store::customers::{self, CustomerFilter};
use salesflow_store::paging::PageRequest;
use salesflow_store::{StoreError, StoreResult};
use serde::Deserialize;

use super::page::Page;
use super::{FormErrors, PageCtx, redirect_flash, render};
use crate::error::page::PageResult;
use crate::server::AppState;

/// "Ending soon" on the list: within this many days.
const EXPIRING_DAYS: u32 = 30;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/contracts", get(list_page))
        .route("/contracts/new", get(new_page).post(create))
        .route("/contracts/{id}", get(show_page))
        .route("/contracts/{id}/edit", get(edit_page).post(update))
        .route("/contracts/{id}/print", get(print_page))
        .route("/contracts/{id}/versions/{revision}", get(version_page))
        .route("/contracts/{id}/{action}", post(act))
}

fn id_of(text: &str) -> Option<i64> {
    text.trim().parse().ok()
}

// ---------------------------------------------------------------- list

#[derive(Debug, Deserialize, Default)]
struct ListQuery {
    status: Option<String>,
    customer_id: Option<String>,
    owner_id: Option<String>,
    expiring: Option<String>,
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "contracts/list.html")]
struct ListPage {
    ctx: PageCtx,
    items: Vec<ContractView>,
    status: String,
    statuses: Vec<&'static str>,
    customer_id: String,
    owner_id: String,
    expiring: bool,
    customers: Vec<(i64, String)>,
    people: Vec<(i64, String)>,
    next_url: Option<String>,
    can_create: bool,
}

async fn customer_choices(request: &Page) -> StoreResult<Vec<(i64, String)>> {
    let paging = PageRequest { limit: Some(500), ..Default::default() };
    let found =
        customers::list_customers(request.store(), request.actor(), &CustomerFilter::default(), &paging).await?;
    Ok(found.items.into_iter().filter(|c| c.owner_id.is_some()).map(|c| (c.id, c.name)).collect())
}

async fn list_page(request: Page, Query(q): Query<ListQuery>) -> PageResult {
    let (store, actor) = (request.store(), request.actor());
    let status = q.status.clone().unwrap_or_default();
    let customer = q.customer_id.clone().unwrap_or_default();
    let owner = q.owner_id.clone().unwrap_or_default();
    let expiring = q.expiring.as_deref().is_some_and(|e| !e.is_empty());
    let filter = ContractFilter {
        status: ContractStatus::parse(status.trim()),
        customer_id: id_of(&customer),
        owner_id: id_of(&owner),
        expiring_within: expiring.then_some(EXPIRING_DAYS),
        ..Default::default()
    };
    let paging = PageRequest { limit: Some(50), cursor: q.cursor.clone(), sort: None };
    let found = contracts::list(store, actor, &filter, &paging).await?;
    let next_url = found.next_cursor.map(|c| {
        let pairs = [
            ("cursor", Some(c.as_str())),
            ("status", Some(status.as_str())),
            ("customer_id", Some(customer.as_str())),
            ("owner_id", Some(owner.as_str())),
            ("expiring", expiring.then_some("1")),
        ];
        format!("/contracts?{}", super::query_string(pairs))
    });
    let p = ListPage {
        ctx: request.ctx("/contracts").await,
        items: found.items,
        status,
        statuses: ContractStatus::ALL.iter().map(|s| s.code()).collect(),
        customer_id: customer,
        owner_id: owner,
        expiring,
        customers: customer_choices(&request).await?,
        people: salesflow_store::access::people_in_scope(store, actor).await?,
        next_url,
        can_create: actor.can(Module::Contracts, Action::Create),
    };
    Ok(render(&p.ctx, &p))
}

// ---------------------------------------------------------------- form

#[derive(Debug, Deserialize, Default, Clone)]
struct ContractForm {
    #[serde(default)]
    customer_id: String,
    #[serde(default)]
    opportunity_id: String,
    #[serde(default)]
    order_id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    terms: String,
    #[serde(default)]
    start_date: String,
    #[serde(default)]
    end_date: String,
    #[serde(default)]
    signed_date: String,
    #[serde(default)]
    version: String,
}

impl ContractForm {
    fn of(c: &ContractView) -> ContractForm {
        let day = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        ContractForm {
            customer_id: c.customer_id.to_string(),
            opportunity_id: c.opportunity_id.map(|o| o.to_string()).unwrap_or_default(),
            order_id: c.order_id.map(|o| o.to_string()).unwrap_or_default(),
            title: c.title.clone(),
            amount: c.amount.clone(),
            terms: c.terms.clone(),
            start_date: day(c.start_date),
            end_date: day(c.end_date),
            signed_date: day(c.signed_date),
            version: c.version.to_string(),
        }
    }

    fn input(&self, owner_id: Option<i64>) -> StoreResult<ContractInput> {
        let mut invalid = Invalid::new();
        let mut day = |field: &str, text: &str| match text.trim() {
            "" => None,
            s => salesflow_domain::time::parse_day(s).or_else(|| {
                invalid.push(FieldError::new(field, "invalid_date"));
                None
            }),
        };
        let start_date = day("start_date", &self.start_date);
        let end_date = day("end_date", &self.end_date);
        let signed_date = day("signed_date", &self.signed_date);
        let customer_id = id_of(&self.customer_id);
        if customer_id.is_none() {
            invalid.push(FieldError::new("customer_id", "required"));
        }
        invalid.into_result()?;
        Ok(ContractInput {
            customer_id: customer_id.unwrap_or_default(),
            opportunity_id: id_of(&self.opportunity_id),
            order_id: id_of(&self.order_id),
            owner_id,
            title: self.title.clone(),
            amount: self.amount.clone(),
            terms: self.terms.clone(),
            start_date,
            end_date,
            signed_date,
        })
    }
}

#[derive(Template)]
#[template(path = "contracts/form.html")]
struct FormPage {
    ctx: PageCtx,
    id: Option<i64>,
    number: String,
    /// Changing a signed contract: a new revision.
    amending: bool,
    form: ContractForm,
    errors: FormErrors,
    customers: Vec<(i64, String)>,
}

impl FormPage {
    fn general_errors(&self) -> Vec<&String> {
        const SHOWN: [&str; 9] = [
            "customer_id",
            "opportunity_id",
            "order_id",
            "title",
            "amount",
            "terms",
            "start_date",
            "end_date",
            "signed_date",
        ];
        let mut found: Vec<(&String, &String)> =
            self.errors.0.iter().filter(|(k, _)| !SHOWN.contains(&k.as_str())).collect();
        found.sort();
        found.into_iter().map(|(_, v)| v).collect()
    }
}

async fn form_page(
    request: &Page,
    id: Option<i64>,
    number: String,
    amending: bool,
    form: ContractForm,
    errors: FormErrors,
) -> PageResult<FormPage> {
    Ok(FormPage {
        ctx: request.ctx("/contracts").await,
        id,
        number,
        amending,
        form,
        errors,
        customers: customer_choices(request).await?,
    })
}

#[derive(Debug, Deserialize, Default)]
struct NewQuery {
    customer_id: Option<String>,
    opportunity_id: Option<String>,
    order_id: Option<String>,
}

async fn new_page(request: Page, Query(q): Query<NewQuery>) -> PageResult {
    request.actor().require(Module::Contracts, Action::Create)?;
    let form = ContractForm {
        customer_id: q.customer_id.unwrap_or_default(),
        opportunity_id: q.opportunity_id.unwrap_or_default(),
        order_id: q.order_id.unwrap_or_default(),
        ..Default::default()
    };
    let p = form_page(&request, None, String::new(), false, form, FormErrors::default()).await?;
    Ok(render(&p.ctx, &p))
}

async fn refused_form(
    request: &Page,
    id: Option<i64>,
    amending: bool,
    form: ContractForm,
    refused: super::page::Refused,
) -> PageResult {
    let p = form_page(request, id, String::new(), amending, form, refused.errors).await?;
    let mut response = render(&p.ctx, &p);
    *response.status_mut() = refused.status;
    Ok(response)
}

async fn create(request: Page, Form(form): Form<ContractForm>) -> PageResult {
    request.actor().require(Module::Contracts, Action::Create)?;
    let result = match form.input(None) {
        Ok(input) => contracts::create(request.store(), request.actor(), input).await,
        Err(e) => Err(e),
    };
    match request.saved(result)? {
        Ok(c) => Ok(redirect_flash(&format!("/contracts/{}", c.id), "flash.saved")),
        Err(refused) => refused_form(&request, None, false, form, refused).await,
    }
}

async fn edit_page(request: Page, Path(id): Path<i64>) -> PageResult {
    request.actor().require(Module::Contracts, Action::Edit)?;
    let c = contracts::get(request.store(), request.actor(), id).await?;
    let status = ContractStatus::parse(&c.status).unwrap_or(ContractStatus::Draft);
    if status.edit() == Edit::Refused {
        return Err(StoreError::Conflict(format!("a contract that is {} cannot be changed", c.status)).into());
    }
    let amending = status.edit() == Edit::NewVersion;
    let p =
        form_page(&request, Some(id), c.number.clone(), amending, ContractForm::of(&c), FormErrors::default()).await?;
    Ok(render(&p.ctx, &p))
}

async fn update(request: Page, Path(id): Path<i64>, Form(form): Form<ContractForm>) -> PageResult {
    request.actor().require(Module::Contracts, Action::Edit)?;
    let c = contracts::get(request.store(), request.actor(), id).await?;
    let amending = ContractStatus::parse(&c.status).is_some_and(|s| s.edit() == Edit::NewVersion);
    let version = id_of(&form.version).unwrap_or_default();
    let result = match form.input(Some(c.owner_id)) {
        Ok(input) => contracts::update(request.store(), request.actor(), id, version, input).await,
        Err(e) => Err(e),
    };
    match request.saved(result)? {
        Ok(c) => Ok(redirect_flash(&format!("/contracts/{}", c.id), "flash.saved")),
        Err(refused) => refused_form(&request, Some(id), amending, form, refused).await,
    }
}

// ---------------------------------------------------------------- the contract

#[derive(Template)]
#[template(path = "contracts/show.html")]
struct ShowPage {
    ctx: PageCtx,
    c: ContractView,
    errors: FormErrors,
    can_edit: bool,
    amend: bool,
    can_submit: bool,
    can_start: bool,
    can_complete: bool,
    can_terminate: bool,
    versions: Vec<ContractVersionView>,
    files: String,
}

async fn show(request: &Page, id: i64, errors: FormErrors) -> PageResult<ShowPage> {
    let (store, actor) = (request.store(), request.actor());
    let c = contracts::get(store, actor, id).await?;
    let status = ContractStatus::parse(&c.status).unwrap_or(ContractStatus::Draft);
    let may = actor.can(Module::Contracts, Action::Edit);
    let allowed = |a: ContractAction| may && transition(status, a, false).is_ok();
    let ctx = request.ctx("/contracts").await;
    // The files of a contract the caller reads only as an approver are not theirs to see.
    let files = if actor.can(Module::Contracts, Action::View) {
        match crate::ui::attachments::Files::load(request, ctx.clone(), Holder::Contract, id, may).await {
            Ok(f) => f.html(),
            Err(StoreError::NotFound) => String::new(),
            Err(e) => return Err(e.into()),
        }
    } else {
        String::new()
    };
    Ok(ShowPage {
        can_edit: may && status.edit() != Edit::Refused,
        amend: status.edit() == Edit::NewVersion,
        can_submit: allowed(ContractAction::Submit),
        can_start: allowed(ContractAction::Start),
        can_complete: allowed(ContractAction::Complete),
        can_terminate: allowed(ContractAction::Terminate),
        versions: contracts::versions(store, actor, id).await?,
        files,
        ctx,
        c,
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
    let version = id_of(&value("version"));
    let result = match action.as_str() {
        "approve" => contracts::approve(store, actor, id, comment.as_deref()).await,
        "reject" => contracts::reject(store, actor, id, comment.as_deref()).await,
        other => {
            let action = ContractAction::parse(other).ok_or(StoreError::NotFound)?;
            let reason = (action == ContractAction::Terminate).then(|| value("reason"));
            contracts::act(store, actor, id, action, version, reason.as_deref()).await
        }
    };
    match request.saved(result)? {
        Ok(c) => Ok(redirect_flash(&format!("/contracts/{}", c.id), "flash.saved")),
        Err(refused) => {
            let p = show(&request, id, refused.errors).await?;
            let mut response: Response = render(&p.ctx, &p);
            *response.status_mut() = refused.status;
            Ok(response)
        }
    }
}

// ---------------------------------------------------------------- a version, print

#[derive(Template)]
#[template(path = "contracts/version.html")]
struct VersionPage {
    ctx: PageCtx,
    c: ContractView,
    v: ContractVersionView,
}

async fn version_page(request: Page, Path((id, revision)): Path<(i64, i32)>) -> PageResult {
    let (store, actor) = (request.store(), request.actor());
    let c = contracts::get(store, actor, id).await?;
    let v = contracts::versions(store, actor, id)
        .await?
        .into_iter()
        .find(|v| v.revision == revision)
        .ok_or(StoreError::NotFound)?;
    let p = VersionPage { ctx: request.ctx("/contracts").await, c, v };
    Ok(render(&p.ctx, &p))
}

#[derive(Template)]
#[template(path = "contracts/print.html")]
struct PrintPage {
    ctx: PageCtx,
    c: ContractView,
    company: String,
}

async fn print_page(request: Page, Path(id): Path<i64>) -> PageResult {
    let c = contracts::get(request.store(), request.actor(), id).await?;
    let company = salesflow_store::settings::get(request.store()).await?.settings.company_name;
    let p = PrintPage { ctx: request.ctx("/contracts").await, c, company };
    Ok(render(&p.ctx, &p))
}
