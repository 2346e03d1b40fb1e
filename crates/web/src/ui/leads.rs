//! Lead pages: the list with search, status tabs and filters, the form with
//! the duplicate warning, and the lead page with quick status buttons and
//! the conversion into customer and contact.

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
// A form whose fields repeat (the selected rows' `ids`).
use axum_extra::extract::Form as MultiForm;
use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::customers::ContactRole;
use salesflow_domain::leads::{Intention, LeadStatus};
use salesflow_domain::money::Money;
use salesflow_store::leads::{
    self, ConversionPreview, ConvertInput, ConvertOpportunity, LeadDuplicate, LeadFilter, LeadInput, LeadView,
};
use salesflow_store::paging::PageRequest;
use salesflow_store::{Actor, StoreError};
use serde::Deserialize;

use super::page::Page;
use super::views::{BulkForm, ViewsBar, bulk_outcome, chosen_columns};
use super::{FormErrors, PageCtx, non_empty, opt_id, redirect_flash, render};
use crate::error::page::PageResult;
use crate::list_columns;
use crate::server::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/leads", get(list_page).post(create))
        .route("/leads/new", get(new_page))
        .route("/leads/bulk", post(bulk))
        .route("/leads/export.csv", get(export_csv))
        .route("/leads/export.xlsx", get(export_xlsx))
        .route("/leads/{id}", get(show).post(update))
        .route("/leads/{id}/edit", get(edit_page))
        .route("/leads/{id}/status", post(change_status))
        .route("/leads/{id}/convert", post(convert))
        .route("/leads/{id}/delete", post(delete))
        .route("/leads/{id}/restore", post(restore))
}

// ---------------------------------------------------------------- list

/// The list's tabs: every status, converted leads, deleted leads.
const TABS: [&str; 7] = ["", "new", "contacted", "qualified", "disqualified", "converted", "deleted"];

#[derive(Debug, Deserialize, Default)]
struct ListQuery {
    q: Option<String>,
    /// A status, `converted`, `deleted` or empty for every open and converted lead.
    tab: Option<String>,
    intention: Option<String>,
    source: Option<String>,
    campaign: Option<String>,
    /// `mine` or empty for everyone in scope.
    owner: Option<String>,
    sort: Option<String>,
    cursor: Option<String>,
}

impl ListQuery {
    fn tab(&self) -> &str {
        self.tab.as_deref().filter(|t| TABS.contains(t)).unwrap_or("")
    }

    fn filter(&self, actor: &Actor) -> LeadFilter {
        let tab = self.tab();
        let status = LeadStatus::parse(tab).map(|s| s.code().to_owned());
        LeadFilter {
            q: self.q.clone(),
            // A status tab holds the leads still to work; converted ones have their own tab.
            converted: if tab == "converted" { Some(true) } else { status.as_ref().map(|_| false) },
            status,
            intention: self.intention.clone(),
            source: self.source.clone(),
            campaign: self.campaign.clone(),
            owner_id: if self.owner.as_deref() == Some("mine") { actor.user_id } else { None },
            deleted: tab == "deleted",
            ids: None,
        }
    }

    fn pairs<'a>(&'a self, tab: Option<&'a str>, sort: Option<&'a str>) -> String {
        super::query_string([
            ("q", self.q.as_deref()),
            ("tab", tab.or(self.tab.as_deref())),
            ("intention", self.intention.as_deref()),
            ("source", self.source.as_deref()),
            ("campaign", self.campaign.as_deref()),
            ("owner", self.owner.as_deref()),
            ("sort", sort.or(self.sort.as_deref())),
        ])
    }

    fn tab_link(&self, tab: &str) -> String {
        let query = self.pairs(Some(tab), None);
        // An empty `tab` must not fall back to the current one.
        let query = if tab.is_empty() {
            query.split('&').filter(|p| !p.starts_with("tab=")).collect::<Vec<_>>().join("&")
        } else {
            query
        };
        if query.is_empty() { "/leads".to_owned() } else { format!("/leads?{query}") }
    }

    fn export_link(&self, format: &str) -> String {
        format!("/leads/export.{format}?{}", self.pairs(None, None))
    }

    fn campaign_link(&self, campaign: &str) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        out.append_pair("campaign", campaign);
        format!("/leads?{}", out.finish())
    }

    fn is(&self, value: &Option<String>, option: &str) -> bool {
        value.as_deref().unwrap_or("") == option
    }

    fn value<'a>(&self, value: &'a Option<String>) -> &'a str {
        value.as_deref().unwrap_or("")
    }
}

const DEFAULT_COLUMNS: [&str; 7] = ["company", "status", "intention", "campaign", "source", "owner", "created_at"];
/// Columns the list can be sorted by (besides the name).
const SORTABLE: [&str; 2] = ["created_at", "updated_at"];

/// The message key of a column's heading.
fn column_label(code: &str) -> &'static str {
    match code {
        "company" => "leads.company",
        "status" => "fields.status",
        "intention" => "leads.intention",
        "campaign" => "leads.campaign",
        "source" => "fields.source",
        "owner" => "customers.owner",
        "phones" => "lists.phones",
        "email" => "fields.email",
        "region" => "fields.region",
        "updated_at" => "lists.updated_at",
        _ => "fields.created_at",
    }
}

#[derive(Template)]
#[template(path = "leads/list.html")]
struct ListPage {
    ctx: PageCtx,
    rows: Rows,
    query: ListQuery,
    tabs: [&'static str; 7],
    intentions: [Intention; 3],
    bar: ViewsBar,
    /// People a lead may be handed to (empty: no assigning).
    people: Vec<(i64, String)>,
    can_create: bool,
    can_export: bool,
    can_delete: bool,
    filtered: bool,
}

impl ListPage {
    fn sort_link(&self, field: &str) -> String {
        let current = self.query.sort.as_deref().unwrap_or("-created_at");
        let next = if current == field { format!("-{field}") } else { field.to_owned() };
        format!("/leads?{}", self.query.pairs(None, Some(&next)))
    }

    fn sort_mark(&self, field: &str) -> &'static str {
        match self.query.sort.as_deref().unwrap_or("-created_at") {
            s if s == field => "▲",
            s if s.strip_prefix('-') == Some(field) => "▼",
            _ => "",
        }
    }

    fn sortable(&self, column: &str) -> bool {
        SORTABLE.contains(&column)
    }

    fn tab_label(&self, tab: &str) -> String {
        if tab.is_empty() { self.ctx.t("leads.tab_all") } else { self.ctx.t(&format!("leads.tabs.{tab}")) }
    }
}

#[derive(Template)]
#[template(path = "leads/rows.html")]
struct Rows {
    ctx: PageCtx,
    leads: Vec<LeadView>,
    columns: Vec<String>,
    selectable: bool,
    next_url: Option<String>,
    first_page: bool,
}

impl Rows {
    fn span(&self) -> usize {
        self.columns.len() + 1 + usize::from(self.selectable)
    }

    /// Phones show the first two columns only.
    fn cell_class(&self, index: &usize) -> &'static str {
        if *index < 2 { "" } else { "hide-sm" }
    }

    fn campaign_link(&self, campaign: &str) -> String {
        ListQuery::default().campaign_link(campaign)
    }
}

async fn list_page(request: Page, Query(query): Query<ListQuery>) -> PageResult {
    let actor = request.actor();
    let filter = query.filter(actor);
    let req = PageRequest { limit: Some(50), cursor: query.cursor.clone(), sort: query.sort.clone() };
    let page = match leads::list_leads(request.store(), actor, &filter, &req).await {
        Ok(p) => p,
        // A stale cursor or an unknown sort in a shared link: start over.
        Err(StoreError::Invalid(_)) => {
            leads::list_leads(request.store(), actor, &filter, &PageRequest::default()).await?
        }
        Err(e) => return Err(e.into()),
    };
    let ctx = request.ctx("/leads").await;
    let base = query.pairs(None, None);
    let next_url =
        page.next_cursor.map(|c| format!("/leads?{base}{}cursor={c}", if base.is_empty() { "" } else { "&" }));
    let first_page = query.cursor.is_none();
    let filtered = [&query.q, &query.tab, &query.intention, &query.source, &query.campaign, &query.owner]
        .iter()
        .any(|v| v.as_deref().is_some_and(|v| !v.is_empty()));
    let can_assign = actor.can(Module::Customers, Action::Edit);
    let can_export = actor.can(Module::Customers, Action::Export);
    let can_delete = actor.can(Module::Customers, Action::Delete);
    // Deleted leads are restored one by one, not acted on in bulk.
    let selectable = query.tab() != "deleted" && (can_assign || can_export || can_delete);
    let columns = chosen_columns(&request.state, actor, "leads", &list_columns::LEADS, &DEFAULT_COLUMNS).await;
    let rows = Rows { ctx: ctx.clone(), leads: page.items, columns, selectable, next_url, first_page };
    if request.meta.is_htmx {
        return Ok(render(&rows.ctx, &rows));
    }
    let bar =
        ViewsBar::load(&request.state, actor, "leads", base, &list_columns::LEADS, &rows.columns, column_label).await;
    let people = if can_assign {
        salesflow_store::access::people_in_scope(request.store(), actor).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let page = ListPage {
        ctx,
        rows,
        query,
        tabs: TABS,
        intentions: Intention::ALL,
        bar,
        people,
        can_create: actor.can(Module::Customers, Action::Create),
        can_export,
        can_delete,
        filtered,
    };
    Ok(render(&page.ctx, &page))
}

/// A bulk action on the selected leads: hand them to someone, export or
/// delete them.
async fn bulk(request: Page, MultiForm(form): MultiForm<BulkForm>) -> PageResult {
    let ids = form.ids();
    let back = form.back("/leads");
    if ids.is_empty() {
        return Ok(redirect_flash(&back, "flash.bulk_none_selected"));
    }
    if form.action == "export" {
        let filter = LeadFilter { ids: Some(ids), ..Default::default() };
        return export_leads(&request, filter, crate::export::Format::Csv).await;
    }
    let result = match crate::input::bulk::lead_action(&form.action, form.owner_id.parse().ok()) {
        Ok(action) => leads::bulk(request.store(), request.actor(), &ids, action).await,
        Err(invalid) => Err(StoreError::Invalid(invalid)),
    };
    bulk_outcome(result, &back, "lists.flash.leads_refused")
}

async fn export_csv(request: Page, query: Query<ListQuery>) -> PageResult {
    export_list(request, query, crate::export::Format::Csv).await
}

async fn export_xlsx(request: Page, query: Query<ListQuery>) -> PageResult {
    export_list(request, query, crate::export::Format::Xlsx).await
}

/// The list as it is filtered, as a CSV file Excel opens correctly or as
/// an Excel workbook.
async fn export_list(request: Page, Query(query): Query<ListQuery>, format: crate::export::Format) -> PageResult {
    let filter = query.filter(request.actor());
    export_leads(&request, filter, format).await
}

async fn export_leads(request: &Page, filter: LeadFilter, format: crate::export::Format) -> PageResult {
    super::export_download(
        request.locale(),
        "leads",
        &crate::export::LEAD_COLUMNS,
        crate::export::leads(
            request.state.store.clone(),
            request.session.actor.clone(),
            filter,
            request.meta.locale.clone(),
        ),
        format,
    )
    .await
}

// ---------------------------------------------------------------- form

#[derive(Debug, Deserialize, Default, Clone)]
struct LeadForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    company: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    mobile: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    province: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    campaign: String,
    #[serde(default)]
    intention: String,
    #[serde(default)]
    owner_id: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    allow_duplicate: Option<String>,
    #[serde(default)]
    version: i64,
}

impl LeadForm {
    fn from_view(l: &LeadView) -> Self {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        LeadForm {
            name: l.name.clone(),
            company: o(&l.company),
            title: o(&l.title),
            mobile: o(&l.mobile),
            phone: o(&l.phone),
            email: o(&l.email),
            province: o(&l.province),
            city: o(&l.city),
            source: o(&l.source),
            campaign: o(&l.campaign),
            intention: o(&l.intention),
            owner_id: l.owner_id.to_string(),
            notes: l.notes.clone(),
            allow_duplicate: None,
            version: l.version,
        }
    }

    fn input(&self) -> Result<LeadInput, Invalid> {
        let owner_id = opt_id(&self.owner_id).map_err(|_| Invalid::one("owner_id", "unknown_reference"))?;
        Ok(LeadInput {
            name: self.name.clone(),
            company: non_empty(&self.company),
            title: non_empty(&self.title),
            phone: non_empty(&self.phone),
            mobile: non_empty(&self.mobile),
            email: non_empty(&self.email),
            province: non_empty(&self.province),
            city: non_empty(&self.city),
            source: non_empty(&self.source),
            campaign: non_empty(&self.campaign),
            intention: non_empty(&self.intention),
            status: None,
            owner_id,
            notes: self.notes.clone(),
            disqualify_reason: None,
            allow_duplicate: self.allow_duplicate.is_some(),
        })
    }
}

#[derive(Template)]
#[template(path = "leads/form.html")]
struct FormPage {
    ctx: PageCtx,
    form: LeadForm,
    lead: Option<LeadView>,
    errors: FormErrors,
    intentions: [Intention; 3],
    owners: Vec<(i64, String)>,
    duplicates: Vec<LeadDuplicate>,
}

impl FormPage {
    /// The short text fields, in form order: name, value, input type.
    fn text_fields(&self) -> Vec<(&'static str, String, &'static str)> {
        let f = &self.form;
        vec![
            ("title", f.title.clone(), "text"),
            ("mobile", f.mobile.clone(), "tel"),
            ("phone", f.phone.clone(), "tel"),
            ("email", f.email.clone(), "email"),
            ("province", f.province.clone(), "text"),
            ("city", f.city.clone(), "text"),
            ("source", f.source.clone(), "text"),
            ("campaign", f.campaign.clone(), "text"),
        ]
    }

    fn field_label(&self, field: &str) -> String {
        match field {
            "campaign" | "company" | "intention" => self.ctx.t(&format!("leads.{field}")),
            _ => self.ctx.label("fields", field),
        }
    }

    /// Errors of fields the form does not show (e.g. a bad status).
    fn other_errors(&self) -> Vec<String> {
        let shown = ["version", "name", "company", "intention", "owner_id", "notes"];
        let texts = self.text_fields();
        let shown: Vec<&str> = shown.into_iter().chain(texts.iter().map(|(f, _, _)| *f)).collect();
        self.errors.others(&shown)
    }

    fn owner_selected(&self, id: &i64) -> bool {
        self.form.owner_id == id.to_string()
    }
}

/// Users a lead may be given to: those in the caller's scope.
async fn owners(state: &AppState, actor: &Actor) -> Vec<(i64, String)> {
    salesflow_store::access::user_names(&state.store)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|(id, _)| actor.sees_owner(Some(*id)))
        .collect()
}

fn is_duplicate(invalid: &Invalid) -> bool {
    invalid.0.iter().any(|e| e.code == "possible_duplicate" || e.code == "duplicate_elsewhere")
}

async fn form_page(
    request: &Page,
    form: LeadForm,
    lead: Option<LeadView>,
    errors: FormErrors,
    duplicates: Vec<LeadDuplicate>,
) -> Response {
    let ctx = request.ctx("/leads").await;
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let owners = owners(&request.state, request.actor()).await;
    let page = FormPage { ctx, form, lead, errors, intentions: Intention::ALL, owners, duplicates };
    (status, render(&page.ctx, &page)).into_response()
}

/// The form again after an error: the messages, and for a possible
/// duplicate the records it may duplicate, as links.
async fn form_error(request: &Page, form: LeadForm, lead: Option<LeadView>, invalid: Invalid) -> Response {
    let errors = FormErrors::from_invalid(request.locale(), &invalid);
    let duplicates = match (is_duplicate(&invalid), form.input()) {
        (true, Ok(input)) => {
            leads::find_duplicates(request.store(), request.actor(), &input, lead.as_ref().map(|l| l.id))
                .await
                .unwrap_or_default()
        }
        _ => Vec::new(),
    };
    form_page(request, form, lead, errors, duplicates).await
}

async fn new_page(request: Page) -> PageResult {
    request.session.actor.require(Module::Customers, Action::Create)?;
    let form = LeadForm {
        owner_id: request.session.actor.user_id.map(|id| id.to_string()).unwrap_or_default(),
        ..Default::default()
    };
    Ok(form_page(&request, form, None, FormErrors::default(), Vec::new()).await)
}

async fn create(request: Page, Form(form): Form<LeadForm>) -> PageResult {
    let result = match form.input() {
        Ok(input) => leads::create_lead(request.store(), request.actor(), input).await,
        Err(invalid) => Err(StoreError::Invalid(invalid)),
    };
    Ok(match result {
        Ok(l) => redirect_flash(&format!("/leads/{}", l.id), "flash.lead_created"),
        Err(StoreError::Invalid(invalid)) => form_error(&request, form, None, invalid).await,
        Err(e) => return Err(e.into()),
    })
}

async fn edit_page(request: Page, Path(id): Path<i64>) -> PageResult {
    Ok(match leads::get_lead(request.store(), request.actor(), id).await {
        Ok(l) if l.deleted_at.is_none() && l.converted_at.is_none() => {
            let form = LeadForm::from_view(&l);
            form_page(&request, form, Some(l), FormErrors::default(), Vec::new()).await
        }
        Ok(_) => redirect_flash(&format!("/leads/{id}"), "flash.lead_locked"),
        Err(e) => return Err(e.into()),
    })
}

async fn update(request: Page, Path(id): Path<i64>, Form(form): Form<LeadForm>) -> PageResult {
    let current = leads::get_lead(request.store(), request.actor(), id).await?;
    let result = match form.input() {
        Ok(input) => leads::update_lead(request.store(), request.actor(), id, form.version, input).await,
        Err(invalid) => Err(StoreError::Invalid(invalid)),
    };
    Ok(match result {
        Ok(_) => redirect_flash(&format!("/leads/{id}"), "flash.saved"),
        Err(StoreError::Invalid(invalid)) => form_error(&request, form, Some(current), invalid).await,
        Err(StoreError::Conflict(_)) => {
            let errors = FormErrors::one(request.locale(), "version", "stale_version");
            form_page(&request, form, Some(current), errors, Vec::new()).await
        }
        Err(e) => return Err(e.into()),
    })
}

// ---------------------------------------------------------------- lead page

#[derive(Debug, Deserialize, Default, Clone)]
struct StatusForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    disqualify_reason: String,
    #[serde(default)]
    version: i64,
}

#[derive(Debug, Deserialize, Default, Clone)]
struct ConvertForm {
    /// A customer id, `new`, or empty for the duplicate check's choice.
    #[serde(default)]
    target: String,
    #[serde(default)]
    contact_role: String,
    #[serde(default)]
    version: i64,
    /// Also open an opportunity (checkbox).
    #[serde(default)]
    with_opportunity: bool,
    #[serde(default)]
    opportunity_name: String,
    #[serde(default)]
    opportunity_amount: String,
}

#[derive(Template)]
#[template(path = "leads/show.html")]
struct ShowPage {
    ctx: PageCtx,
    l: LeadView,
    preview: Option<ConversionPreview>,
    converted_name: Option<String>,
    status_form: StatusForm,
    convert_form: ConvertForm,
    errors: FormErrors,
    roles: [ContactRole; 6],
    can_edit: bool,
    can_delete: bool,
    can_open_opportunity: bool,
}

impl ShowPage {
    fn status_badge(&self) -> &'static str {
        match self.l.status.as_str() {
            "qualified" => "green",
            "disqualified" => "red",
            "contacted" => "blue",
            _ => "gray",
        }
    }

    /// The quick status moves from here (not to the current status).
    fn moves(&self) -> Vec<&'static str> {
        ["contacted", "qualified"].into_iter().filter(|s| *s != self.l.status).collect()
    }

    fn mark_label(&self, status: &str) -> String {
        self.ctx.t(&format!("leads.mark.{status}"))
    }

    fn open(&self) -> bool {
        self.l.deleted_at.is_none() && self.l.converted_at.is_none()
    }

    fn target_is(&self, value: &str) -> bool {
        self.convert_form.target == value
    }

    fn role_selected(&self, code: &str) -> bool {
        let current =
            if self.convert_form.contact_role.is_empty() { "handler" } else { &self.convert_form.contact_role };
        current == code
    }
}

async fn show_page(
    request: &Page,
    id: i64,
    status_form: StatusForm,
    convert_form: ConvertForm,
    errors: FormErrors,
) -> PageResult {
    let actor = request.actor();
    let l = leads::get_lead(request.store(), actor, id).await?;
    let can_edit = actor.can(Module::Customers, Action::Edit);
    let convertible = can_edit && l.status == "qualified" && l.converted_at.is_none() && l.deleted_at.is_none();
    let preview = if convertible {
        match leads::conversion_preview(request.store(), actor, id).await {
            Ok(p) => Some(p),
            Err(e) => return Err(e.into()),
        }
    } else {
        None
    };
    let converted_name = match l.converted_customer_id {
        Some(cid) => salesflow_store::customers::customer_names(request.store(), std::iter::once(cid))
            .await
            .ok()
            .and_then(|names| names.get(&cid).cloned()),
        None => None,
    };
    let convert_form = match (&preview, convert_form.target.is_empty()) {
        // Preselect what the duplicate check found.
        (Some(p), true) => ConvertForm {
            target: p.existing_customer.as_ref().map(|c| c.id.to_string()).unwrap_or_default(),
            ..convert_form
        },
        _ => convert_form,
    };
    let ctx = request.ctx("/leads").await;
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = ShowPage {
        ctx,
        preview,
        converted_name,
        status_form,
        convert_form,
        errors,
        roles: ContactRole::ALL,
        can_edit,
        can_delete: actor.can(Module::Customers, Action::Delete),
        can_open_opportunity: actor.can(Module::Opportunities, Action::Create),
        l,
    };
    Ok((status, render(&page.ctx, &page)).into_response())
}

async fn show(request: Page, Path(id): Path<i64>) -> PageResult {
    show_page(&request, id, StatusForm::default(), ConvertForm::default(), FormErrors::default()).await
}

async fn change_status(request: Page, Path(id): Path<i64>, Form(form): Form<StatusForm>) -> PageResult {
    let result =
        leads::set_status(request.store(), request.actor(), id, form.version, &form.status, &form.disqualify_reason)
            .await;
    Ok(match result {
        Ok(_) => redirect_flash(&format!("/leads/{id}"), "flash.lead_status"),
        Err(StoreError::Invalid(invalid)) => {
            let errors = FormErrors::from_invalid(request.locale(), &invalid);
            show_page(&request, id, form, ConvertForm::default(), errors).await?
        }
        Err(StoreError::Conflict(_)) => redirect_flash(&format!("/leads/{id}"), "flash.stale"),
        Err(e) => return Err(e.into()),
    })
}

async fn convert(request: Page, Path(id): Path<i64>, Form(form): Form<ConvertForm>) -> PageResult {
    let target = form.target.trim();
    let opportunity = if form.with_opportunity {
        let amount = form.opportunity_amount.trim();
        match if amount.is_empty() { Ok(Money::default()) } else { Money::parse(amount) } {
            Ok(amount) => {
                Some(ConvertOpportunity { name: non_empty(&form.opportunity_name), amount, ..Default::default() })
            }
            Err(e) => {
                let invalid = Invalid(vec![e.field("opportunity.amount")]);
                let errors = FormErrors::from_invalid(request.locale(), &invalid);
                return show_page(&request, id, StatusForm::default(), form, errors).await;
            }
        }
    } else {
        None
    };
    let input = ConvertInput {
        customer_id: target.parse().ok(),
        new_customer: target == "new",
        contact_role: non_empty(&form.contact_role),
        version: Some(form.version),
        opportunity,
    };
    Ok(match leads::convert(request.store(), request.actor(), id, input).await {
        Ok(done) => redirect_flash(&format!("/customers/{}", done.customer_id), "flash.lead_converted"),
        Err(StoreError::Invalid(invalid)) => {
            let errors = FormErrors::from_invalid(request.locale(), &invalid);
            show_page(&request, id, StatusForm::default(), form, errors).await?
        }
        Err(StoreError::Conflict(_)) => redirect_flash(&format!("/leads/{id}"), "flash.stale"),
        Err(e) => return Err(e.into()),
    })
}

async fn delete(request: Page, Path(id): Path<i64>) -> PageResult {
    leads::set_lead_deleted(request.store(), request.actor(), id, true).await?;
    Ok(redirect_flash("/leads", "flash.lead_deleted"))
}

async fn restore(request: Page, Path(id): Path<i64>) -> PageResult {
    leads::set_lead_deleted(request.store(), request.actor(), id, false).await?;
    Ok(redirect_flash(&format!("/leads/{id}"), "flash.lead_restored"))
}
