//! Customer pages: the list with search and filters, the customer page
//! with its contacts, the form, and the public pool's claim and release.

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
use salesflow_domain::activities::{ActivityKind, Intention};
use salesflow_domain::customers::{ContactRole, Grade, parse_tags};
use salesflow_domain::money::Money;
use salesflow_store::StoreError;
use salesflow_store::activities::{self, ActivityInput, ActivityView};
use salesflow_store::audit::AuditEntry;
use salesflow_store::customers::{
    self, ContactFilter, ContactInput, ContactView, CustomerFilter, CustomerInput, CustomerView,
};
use salesflow_store::notifications::{self, Notice};
use salesflow_store::paging::PageRequest;
use serde::Deserialize;

use super::page::Page;
use super::views::{BulkForm, ViewsBar, bulk_outcome, chosen_columns};
use super::{FormErrors, PageCtx, redirect_flash, render};
use crate::error::page::PageResult;
use crate::export;
use crate::list_columns;
use crate::server::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/customers", get(list_page).post(create))
        .route("/customers/new", get(new_page))
        .route("/customers/bulk", post(bulk))
        .route("/customers/export.csv", get(export_csv))
        .route("/customers/export.xlsx", get(export_xlsx))
        .route("/customers/{id}", get(show).post(update))
        .route("/customers/{id}/edit", get(edit_page))
        .route("/customers/{id}/claim", post(claim))
        .route("/customers/{id}/release", post(release))
        .route("/customers/{id}/delete", post(delete))
        .route("/customers/{id}/merge", post(merge))
        .route("/customers/{id}/contacts", post(add_contact))
        .route("/contacts", get(contacts_page))
        .route("/contacts/bulk", post(contacts_bulk))
        .route("/contacts/export.csv", get(contacts_export_csv))
        .route("/contacts/export.xlsx", get(contacts_export_xlsx))
        .route("/contacts/{id}/edit", post(edit_contact))
        .route("/contacts/{id}/delete", post(delete_contact))
        .route("/customers/{id}/activities", post(log_activity))
        .route("/notifications", get(notices_page))
        .route("/notifications/{id}/read", post(read_notice))
}

// ---------------------------------------------------------------- list

const DEFAULT_COLUMNS: [&str; 5] = ["grade", "industry", "region", "owner", "last_activity_at"];
/// Columns the list can be sorted by (besides the name).
const SORTABLE: [&str; 3] = ["last_activity_at", "created_at", "closed_at"];

/// The message key of a column's heading.
fn column_label(code: &str) -> &'static str {
    match code {
        "grade" => "fields.grade",
        "industry" => "fields.industry",
        "region" => "fields.region",
        "owner" => "customers.owner",
        "last_activity_at" => "customers.last_activity",
        "source" => "fields.source",
        "kind" => "fields.kind",
        "tags" => "fields.tags",
        "credit_limit" => "fields.credit_limit",
        "closed_at" => "fields.closed_at",
        _ => "fields.created_at",
    }
}

#[derive(Debug, Deserialize, Default)]
struct ListQuery {
    q: Option<String>,
    grade: Option<String>,
    /// `mine`, `pool`, `closed` (成交客户档案) or empty for everything in scope.
    scope: Option<String>,
    province: Option<String>,
    industry: Option<String>,
    tag: Option<String>,
    sort: Option<String>,
    cursor: Option<String>,
}

impl ListQuery {
    fn filter(&self, actor: &salesflow_store::Actor) -> CustomerFilter {
        CustomerFilter {
            q: self.q.clone(),
            grade: self.grade.clone(),
            province: self.province.clone(),
            industry: self.industry.clone(),
            tag: self.tag.clone(),
            pool: self.scope.as_deref() == Some("pool"),
            owner_id: if self.scope.as_deref() == Some("mine") { actor.user_id } else { None },
            closed: (self.scope.as_deref() == Some("closed")).then_some(true),
            ..Default::default()
        }
    }

    fn export_link(&self, format: &str) -> String {
        format!("/customers/export.{format}?{}", self.base_query(None))
    }

    /// The filters (and sort) as a query string, without the cursor.
    fn base_query(&self, sort: Option<&str>) -> String {
        super::query_string([
            ("q", self.q.as_deref()),
            ("grade", self.grade.as_deref()),
            ("scope", self.scope.as_deref()),
            ("province", self.province.as_deref()),
            ("industry", self.industry.as_deref()),
            ("tag", self.tag.as_deref()),
            ("sort", sort.or(self.sort.as_deref())),
        ])
    }

    fn is(&self, value: &Option<String>, option: &str) -> bool {
        value.as_deref().unwrap_or("") == option
    }

    fn default_sort(&self) -> &'static str {
        if self.scope.as_deref() == Some("closed") { "-closed_at" } else { "-last_activity_at" }
    }
}

#[derive(Template)]
#[template(path = "customers/list.html")]
struct ListPage {
    ctx: PageCtx,
    rows: Rows,
    query: ListQuery,
    grades: [Grade; 3],
    bar: ViewsBar,
    people: Vec<(i64, String)>,
    can_create: bool,
    can_export: bool,
    can_bulk: bool,
    can_delete: bool,
    filtered: bool,
}

impl ListPage {
    fn sort_link(&self, field: &str) -> String {
        let current = self.query.sort.as_deref().unwrap_or(self.query.default_sort());
        let next = if current == field { format!("-{field}") } else { field.to_owned() };
        format!("/customers?{}", self.query.base_query(Some(&next)))
    }

    fn sort_mark(&self, field: &str) -> &'static str {
        match self.query.sort.as_deref().unwrap_or(self.query.default_sort()) {
            s if s == field => "▲",
            s if s.strip_prefix('-') == Some(field) => "▼",
            _ => "",
        }
    }

    fn sortable(&self, column: &str) -> bool {
        SORTABLE.contains(&column) && (column != "closed_at" || self.query.scope.as_deref() == Some("closed"))
    }

    fn back(&self) -> String {
        self.bar.back()
    }
}

#[derive(Template)]
#[template(path = "customers/rows.html")]
struct Rows {
    ctx: PageCtx,
    customers: Vec<CustomerView>,
    columns: Vec<String>,
    selectable: bool,
    next_url: Option<String>,
    first_page: bool,
}

impl Rows {
    fn span(&self) -> usize {
        self.columns.len() + 1 + usize::from(self.selectable)
    }

    fn money(&self, amount: &str) -> String {
        Money::parse(amount).map(|m| self.ctx.settings.format_money(m)).unwrap_or_else(|_| amount.to_owned())
    }

    /// Phones show the first two columns only.
    fn cell_class(&self, index: &usize) -> &'static str {
        if *index < 2 { "" } else { "hide-sm" }
    }
}

async fn list_page(request: Page, Query(query): Query<ListQuery>) -> PageResult {
    let actor = request.actor();
    let filter = query.filter(actor);
    let sort = query.sort.clone().or_else(|| Some(query.default_sort().to_owned()));
    let req = PageRequest { limit: Some(50), cursor: query.cursor.clone(), sort: sort.clone() };
    let page = match customers::list_customers(request.store(), actor, &filter, &req).await {
        Ok(p) => p,
        Err(StoreError::Invalid(_)) => {
            let req = PageRequest { sort: Some(query.default_sort().to_owned()), ..Default::default() };
            customers::list_customers(request.store(), actor, &filter, &req).await?
        }
        Err(e) => return Err(e.into()),
    };
    let ctx = request.ctx("/customers").await;
    let base = query.base_query(None);
    let next_url =
        page.next_cursor.map(|c| format!("/customers?{base}{}cursor={c}", if base.is_empty() { "" } else { "&" }));
    let columns = chosen_columns(&request.state, actor, "customers", &list_columns::CUSTOMERS, &DEFAULT_COLUMNS).await;
    let can_bulk = actor.can(Module::Customers, Action::Edit) || actor.can(Module::Customers, Action::Export);
    let rows = Rows {
        ctx: ctx.clone(),
        customers: page.items,
        columns,
        selectable: can_bulk,
        next_url,
        first_page: query.cursor.is_none(),
    };
    if request.meta.is_htmx {
        return Ok(render(&rows.ctx, &rows));
    }
    let filtered = [&query.q, &query.grade, &query.scope, &query.province, &query.industry, &query.tag]
        .iter()
        .any(|v| v.as_deref().is_some_and(|v| !v.is_empty()));
    let bar =
        ViewsBar::load(&request.state, actor, "customers", base, &list_columns::CUSTOMERS, &rows.columns, column_label)
            .await;
    let page = ListPage {
        ctx,
        rows,
        query,
        grades: Grade::ALL,
        bar,
        people: if actor.can(Module::Customers, Action::Edit) {
            salesflow_store::access::people_in_scope(request.store(), actor).await.unwrap_or_default()
        } else {
            Vec::new()
        },
        can_create: actor.can(Module::Customers, Action::Create),
        can_export: actor.can(Module::Customers, Action::Export),
        can_bulk,
        can_delete: actor.can(Module::Customers, Action::Delete),
        filtered,
    };
    Ok(render(&page.ctx, &page))
}

/// The list as it is filtered, as a CSV file Excel opens correctly.
async fn export_csv(request: Page, Query(query): Query<ListQuery>) -> PageResult {
    export_customers(&request, query.filter(request.actor()), export::Format::Csv).await
}

/// The list as it is filtered, as an Excel workbook.
async fn export_xlsx(request: Page, Query(query): Query<ListQuery>) -> PageResult {
    export_customers(&request, query.filter(request.actor()), export::Format::Xlsx).await
}

async fn export_customers(request: &Page, filter: CustomerFilter, format: export::Format) -> PageResult {
    super::export_download(
        request.locale(),
        "customers",
        &crate::export::CUSTOMER_COLUMNS,
        crate::export::customers(request.state.store.clone(), request.session.actor.clone(), filter),
        format,
    )
    .await
}

/// A bulk action on the selected rows: assign an owner, add a tag, export
/// or delete.
async fn bulk(request: Page, MultiForm(form): MultiForm<BulkForm>) -> PageResult {
    let ids = form.ids();
    let back = form.back("/customers");
    if ids.is_empty() {
        return Ok(redirect_flash(&back, "flash.bulk_none_selected"));
    }
    if form.action == "export" {
        let filter = CustomerFilter { ids: Some(ids), ..Default::default() };
        return export_customers(&request, filter, export::Format::Csv).await;
    }
    let owner = form.owner_id.parse().ok();
    let result = match crate::input::bulk::customer_action(&form.action, owner, Some(&form.tag)) {
        Ok(action) => customers::bulk(request.store(), request.actor(), &ids, action).await,
        Err(invalid) => Err(StoreError::Invalid(invalid)),
    };
    Ok(match result {
        Ok(_) => redirect_flash(&back, "flash.bulk_done"),
        Err(StoreError::Invalid(_)) => redirect_flash(&back, "flash.bulk_invalid"),
        Err(StoreError::NotFound) | Err(StoreError::Forbidden) => redirect_flash(&back, "flash.bulk_refused"),
        Err(e) => return Err(e.into()),
    })
}

// ---------------------------------------------------------------- form

#[derive(Debug, Deserialize, Default, Clone)]
struct CustomerForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    grade: String,
    #[serde(default)]
    industry: String,
    #[serde(default)]
    province: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    credit_limit: String,
    #[serde(default)]
    notes: String,
    /// `YYYY-MM-DD`: the day of the first deal.
    #[serde(default)]
    closed_at: String,
    #[serde(default)]
    to_pool: Option<String>,
    #[serde(default)]
    allow_duplicate: Option<String>,
    #[serde(default)]
    version: i64,
}

impl CustomerForm {
    fn from_view(c: &CustomerView, settings: &salesflow_domain::settings::Settings) -> Self {
        CustomerForm {
            name: c.name.clone(),
            grade: c.grade.clone().unwrap_or_default(),
            industry: c.industry.clone().unwrap_or_default(),
            province: c.province.clone().unwrap_or_default(),
            city: c.city.clone().unwrap_or_default(),
            address: c.address.clone().unwrap_or_default(),
            source: c.source.clone().unwrap_or_default(),
            kind: c.kind.clone().unwrap_or_default(),
            tags: c.tags.join(", "),
            credit_limit: c.credit_limit.clone(),
            notes: c.notes.clone(),
            closed_at: c.closed_at.map(|t| settings.local_input(t)[..10].to_owned()).unwrap_or_default(),
            to_pool: None,
            allow_duplicate: None,
            version: c.version,
        }
    }

    fn input(&self, settings: &salesflow_domain::settings::Settings) -> Result<CustomerInput, Invalid> {
        let credit_limit = match self.credit_limit.trim() {
            "" => Money(0),
            text => Money::parse(text).map_err(|e| Invalid(vec![e.field("credit_limit")]))?,
        };
        let closed_at = match self.closed_at.trim() {
            "" => None,
            text => Some(
                crate::input::dates::instant_or_day(text, settings)
                    .ok_or_else(|| Invalid::one("closed_at", "invalid_date"))?,
            ),
        };
        let opt = |v: &str| Some(v.to_owned());
        Ok(CustomerInput {
            name: self.name.clone(),
            grade: opt(&self.grade),
            industry: opt(&self.industry),
            province: opt(&self.province),
            city: opt(&self.city),
            address: opt(&self.address),
            source: opt(&self.source),
            kind: opt(&self.kind),
            tags: parse_tags(&self.tags),
            credit_limit,
            owner_id: None,
            to_pool: self.to_pool.is_some(),
            notes: self.notes.clone(),
            closed_at,
            allow_duplicate: self.allow_duplicate.is_some(),
        })
    }
}

#[derive(Template)]
#[template(path = "customers/form.html")]
struct FormPage {
    ctx: PageCtx,
    form: CustomerForm,
    customer: Option<CustomerView>,
    errors: FormErrors,
    grades: [Grade; 3],
    duplicate: bool,
}

impl FormPage {
    /// The short text fields, in form order.
    fn text_fields(&self) -> Vec<(&'static str, String)> {
        let f = &self.form;
        vec![
            ("industry", f.industry.clone()),
            ("source", f.source.clone()),
            ("kind", f.kind.clone()),
            ("province", f.province.clone()),
            ("city", f.city.clone()),
        ]
    }
}

async fn form_page(
    request: &Page,
    form: CustomerForm,
    customer: Option<CustomerView>,
    errors: FormErrors,
    duplicate: bool,
) -> Response {
    let ctx = request.ctx("/customers").await;
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = FormPage { ctx, form, customer, errors, grades: Grade::ALL, duplicate };
    (status, render(&page.ctx, &page)).into_response()
}

async fn new_page(request: Page) -> PageResult {
    request.session.actor.require(Module::Customers, Action::Create)?;
    Ok(form_page(&request, CustomerForm::default(), None, FormErrors::default(), false).await)
}

fn is_duplicate(invalid: &Invalid) -> bool {
    invalid.0.iter().any(|e| e.code == "possible_duplicate" || e.code == "duplicate_elsewhere")
}

async fn create(request: Page, Form(form): Form<CustomerForm>) -> PageResult {
    let company = salesflow_store::settings::get(request.store()).await.map(|s| s.settings).unwrap_or_default();
    let result = match form.input(&company) {
        Ok(input) => customers::create_customer(request.store(), request.actor(), input).await,
        Err(invalid) => Err(StoreError::Invalid(invalid)),
    };
    Ok(match result {
        Ok(c) => redirect_flash(&format!("/customers/{}", c.id), "flash.customer_created"),
        Err(StoreError::Invalid(invalid)) => {
            let errors = FormErrors::from_invalid(request.locale(), &invalid);
            form_page(&request, form, None, errors, is_duplicate(&invalid)).await
        }
        Err(e) => return Err(e.into()),
    })
}

async fn edit_page(request: Page, Path(id): Path<i64>) -> PageResult {
    Ok(match customers::get_customer(request.store(), request.actor(), id).await {
        Ok(c) => {
            let company = salesflow_store::settings::get(request.store()).await.map(|s| s.settings).unwrap_or_default();
            let form = CustomerForm::from_view(&c, &company);
            form_page(&request, form, Some(c), FormErrors::default(), false).await
        }
        Err(e) => return Err(e.into()),
    })
}

async fn update(request: Page, Path(id): Path<i64>, Form(form): Form<CustomerForm>) -> PageResult {
    let current = customers::get_customer(request.store(), request.actor(), id).await?;
    let company = salesflow_store::settings::get(request.store()).await.map(|s| s.settings).unwrap_or_default();
    let result = match form.input(&company) {
        Ok(input) => customers::update_customer(request.store(), request.actor(), id, form.version, input).await,
        Err(invalid) => Err(StoreError::Invalid(invalid)),
    };
    match request.saved(result)? {
        Ok(_) => Ok(redirect_flash(&format!("/customers/{id}"), "flash.saved")),
        Err(refused) => {
            let duplicate = is_duplicate(&refused.invalid);
            Ok(form_page(&request, form, Some(current), refused.errors, duplicate).await)
        }
    }
}

// ---------------------------------------------------------------- customer page

#[derive(Debug, Deserialize, Default, Clone)]
struct ContactForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    mobile: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    allow_duplicate: Option<String>,
    /// The version last read, when editing a contact.
    #[serde(default)]
    version: String,
    /// The contact being edited (from the address, not the form).
    #[serde(skip)]
    editing: Option<i64>,
}

impl ContactForm {
    fn of(c: &ContactView) -> ContactForm {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        ContactForm {
            name: c.name.clone(),
            title: text(&c.title),
            phone: text(&c.phone),
            mobile: text(&c.mobile),
            email: text(&c.email),
            role: c.role.clone(),
            allow_duplicate: None,
            version: c.version.to_string(),
            editing: Some(c.id),
        }
    }

    /// What the form asks the store to save; `notes` are not on the form.
    fn input(&self, customer_id: i64, notes: String) -> ContactInput {
        let opt = |v: &str| Some(v.to_owned());
        ContactInput {
            customer_id,
            name: self.name.clone(),
            title: opt(&self.title),
            phone: opt(&self.phone),
            mobile: opt(&self.mobile),
            email: opt(&self.email),
            role: self.role.clone(),
            notes,
            allow_duplicate: self.allow_duplicate.is_some(),
        }
    }
}

#[derive(Template)]
#[template(path = "customers/show.html")]
struct ShowPage {
    ctx: PageCtx,
    c: CustomerView,
    contacts: Vec<ContactView>,
    contact: ContactForm,
    errors: FormErrors,
    roles: [ContactRole; 6],
    timeline: Vec<TimelineItem>,
    activity: ActivityForm,
    kinds: [ActivityKind; 5],
    intentions: [Intention; 3],
    /// Other customers with the same name, offered for merging.
    merge_candidates: Vec<customers::Duplicate>,
    can_merge: bool,
    can_edit: bool,
    can_delete: bool,
    can_claim: bool,
    mine: bool,
    duplicate: bool,
    open_tasks: Vec<salesflow_store::tasks::TaskView>,
    can_add_task: bool,
    /// The customer's opportunities (empty without the opportunities view right).
    opportunities: Vec<salesflow_store::opportunities::OpportunityView>,
    can_see_opportunities: bool,
    can_add_opportunity: bool,
}

impl ShowPage {
    /// The open opportunities an activity may be recorded for.
    fn open_opportunities(&self) -> impl Iterator<Item = &salesflow_store::opportunities::OpportunityView> {
        self.opportunities.iter().filter(|o| o.status == "open")
    }

    /// The contact form's text fields: name, value, input type, required.
    fn contact_fields(&self) -> Vec<(&'static str, String, &'static str, bool)> {
        let c = &self.contact;
        vec![
            ("name", c.name.clone(), "text", true),
            ("title", c.title.clone(), "text", false),
            ("mobile", c.mobile.clone(), "tel", false),
            ("phone", c.phone.clone(), "tel", false),
            ("email", c.email.clone(), "email", false),
        ]
    }

    fn money(&self, amount: &str) -> String {
        Money::parse(amount).map(|m| self.ctx.settings.format_money(m)).unwrap_or_else(|_| amount.to_owned())
    }
}

/// One entry of a customer's timeline: a visit or contact record, or a
/// change of owner (claim, release, return to the pool, reassignment, merge).
enum TimelineItem {
    Activity(ActivityView),
    Move(AuditEntry),
}

impl TimelineItem {
    fn at(&self) -> chrono::DateTime<chrono::Utc> {
        match self {
            TimelineItem::Activity(a) => a.occurred_at,
            TimelineItem::Move(m) => m.at,
        }
    }
}

async fn show_page(
    request: &Page,
    id: i64,
    contact: ContactForm,
    activity: ActivityForm,
    errors: FormErrors,
    duplicate: bool,
) -> PageResult {
    let actor = request.actor();
    let c = customers::get_customer(request.store(), actor, id).await?;
    let filter = ContactFilter { customer_id: Some(id), ..Default::default() };
    let contacts = match customers::list_contacts(
        request.store(),
        actor,
        &filter,
        &PageRequest { limit: Some(200), ..Default::default() },
    )
    .await
    {
        Ok(p) => p.items,
        Err(e) => return Err(e.into()),
    };
    let timeline = match activities::list_for_customer(
        request.store(),
        actor,
        id,
        &PageRequest { limit: Some(50), ..Default::default() },
    )
    .await
    {
        Ok(p) => p.items,
        Err(e) => return Err(e.into()),
    };
    let moves = customers::ownership_history(request.store(), actor, id, 50).await?;
    let mut timeline: Vec<TimelineItem> =
        timeline.into_iter().map(TimelineItem::Activity).chain(moves.into_iter().map(TimelineItem::Move)).collect();
    timeline.sort_by_key(|item| std::cmp::Reverse(item.at()));
    let can_merge = actor.can(Module::Customers, Action::Administer) && c.deleted_at.is_none();
    let merge_candidates = if can_merge {
        // Only look-alikes the administrator may read (their scope may be narrower).
        let found =
            customers::duplicates_by_name(request.state.store.reader(), &c.name, Some(id)).await.unwrap_or_default();
        found.into_iter().filter(|d| d.readable(actor)).collect()
    } else {
        Vec::new()
    };
    let task_filter =
        salesflow_store::tasks::TaskFilter { customer_id: Some(id), status: Some("open".into()), ..Default::default() };
    let open_tasks = match salesflow_store::tasks::list_tasks(
        request.store(),
        actor,
        &task_filter,
        &PageRequest { limit: Some(20), ..Default::default() },
    )
    .await
    {
        Ok(p) => p.items,
        Err(e) => return Err(e.into()),
    };
    let ctx = request.ctx("/customers").await;
    let activity = if activity.occurred_at.is_empty() {
        ActivityForm { occurred_at: ctx.settings.local_input(chrono::Utc::now()), kind: "visit".into(), ..activity }
    } else {
        activity
    };
    let in_scope = c.owner_id.is_some() && actor.sees_owner(c.owner_id);
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let opportunities = if actor.can(Module::Opportunities, Action::View) {
        salesflow_store::opportunities::of_customer(request.store(), actor, id).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let page = ShowPage {
        mine: c.owner_id.is_some() && c.owner_id == actor.user_id,
        can_edit: actor.can(Module::Customers, Action::Edit)
            && (in_scope || actor.can(Module::Customers, Action::Administer)),
        can_delete: actor.can(Module::Customers, Action::Delete) && in_scope,
        can_claim: actor.can(Module::Customers, Action::Edit) && actor.user_id.is_some(),
        ctx,
        c,
        contacts,
        contact,
        errors,
        roles: ContactRole::ALL,
        timeline,
        activity,
        kinds: ActivityKind::ALL,
        intentions: Intention::ALL,
        merge_candidates,
        can_merge,
        duplicate,
        open_tasks,
        can_add_task: actor.can(Module::Customers, Action::Create),
        opportunities,
        can_see_opportunities: actor.can(Module::Opportunities, Action::View),
        can_add_opportunity: actor.can(Module::Opportunities, Action::Create),
    };
    Ok((status, render(&page.ctx, &page)).into_response())
}

#[derive(Debug, Deserialize, Default)]
struct ShowQuery {
    /// Preselects the opportunity in the activity form (from its page).
    #[serde(default)]
    opportunity_id: String,
    /// Opens this contact of the customer in the contact form for editing.
    #[serde(default)]
    edit_contact: String,
}

async fn show(request: Page, Path(id): Path<i64>, Query(q): Query<ShowQuery>) -> PageResult {
    let editing = match q.edit_contact.trim().parse::<i64>() {
        Ok(contact_id) => match customers::get_contact(request.store(), request.actor(), contact_id).await {
            Ok(c) if c.customer_id == id => Some(ContactForm::of(&c)),
            Ok(_) | Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        },
        Err(_) => None,
    };
    let contact = editing.unwrap_or_else(|| ContactForm { role: "handler".into(), ..Default::default() });
    let activity = ActivityForm { opportunity_id: q.opportunity_id, ..Default::default() };
    show_page(&request, id, contact, activity, FormErrors::default(), false).await
}

async fn add_contact(request: Page, Path(id): Path<i64>, Form(form): Form<ContactForm>) -> PageResult {
    let input = form.input(id, String::new());
    Ok(match customers::create_contact(request.store(), request.actor(), input).await {
        Ok(_) => redirect_flash(&format!("/customers/{id}"), "flash.contact_added"),
        Err(StoreError::Invalid(invalid)) => {
            let errors = FormErrors::from_invalid(request.locale(), &invalid);
            show_page(&request, id, form, ActivityForm::default(), errors, is_duplicate(&invalid)).await?
        }
        Err(e) => return Err(e.into()),
    })
}

/// Saves the contact form of the customer page for an existing contact;
/// fields the form does not show (notes) stay as they are.
async fn edit_contact(request: Page, Path(id): Path<i64>, Form(mut form): Form<ContactForm>) -> PageResult {
    let current = customers::get_contact(request.store(), request.actor(), id).await?;
    let customer_id = current.customer_id;
    form.editing = Some(id);
    let Ok(version) = form.version.trim().parse::<i64>() else {
        let errors = FormErrors::one(request.locale(), "version", "stale_version");
        return show_page(&request, customer_id, form, ActivityForm::default(), errors, false).await;
    };
    let input = form.input(customer_id, current.notes.clone());
    let result = customers::update_contact(request.store(), request.actor(), id, version, input).await;
    match request.saved(result)? {
        Ok(_) => Ok(redirect_flash(&format!("/customers/{customer_id}"), "flash.contact_saved")),
        Err(refused) => {
            let duplicate = is_duplicate(&refused.invalid);
            show_page(&request, customer_id, form, ActivityForm::default(), refused.errors, duplicate).await
        }
    }
}

async fn delete_contact(request: Page, Path(id): Path<i64>) -> PageResult {
    let customer_id = customers::get_contact(request.store(), request.actor(), id).await?.customer_id;
    customers::delete_contact(request.store(), request.actor(), id).await?;
    Ok(redirect_flash(&format!("/customers/{customer_id}"), "flash.contact_deleted"))
}

async fn claim(request: Page, Path(id): Path<i64>) -> PageResult {
    Ok(match customers::claim(request.store(), request.actor(), id).await {
        Ok(_) => redirect_flash(&format!("/customers/{id}"), "flash.customer_claimed"),
        Err(StoreError::Invalid(_)) | Err(StoreError::Conflict(_)) => {
            redirect_flash(&format!("/customers/{id}"), "flash.claim_refused")
        }
        Err(e) => return Err(e.into()),
    })
}

async fn release(request: Page, Path(id): Path<i64>) -> PageResult {
    customers::release(request.store(), request.actor(), id).await?;
    Ok(redirect_flash("/customers", "flash.customer_released"))
}

async fn delete(request: Page, Path(id): Path<i64>) -> PageResult {
    customers::set_customer_deleted(request.store(), request.actor(), id, true).await?;
    Ok(redirect_flash("/customers", "flash.customer_deleted"))
}

#[derive(Debug, Deserialize)]
struct MergeForm {
    /// The other customer's number.
    #[serde(default)]
    other_id: String,
}

async fn merge(request: Page, Path(id): Path<i64>, Form(form): Form<MergeForm>) -> PageResult {
    let result = match form.other_id.trim().trim_start_matches('#').parse::<i64>() {
        Ok(other) => customers::merge(request.store(), request.actor(), id, other).await.map(|_| ()),
        Err(_) => Err(StoreError::Invalid(Invalid::one("other_id", "unknown_reference"))),
    };
    Ok(match result {
        Ok(()) => redirect_flash(&format!("/customers/{id}"), "flash.customer_merged"),
        Err(StoreError::Invalid(invalid)) => {
            let errors = FormErrors::from_invalid(request.locale(), &invalid);
            let contact = ContactForm { role: "handler".into(), ..Default::default() };
            show_page(&request, id, contact, ActivityForm::default(), errors, false).await?
        }
        Err(e) => return Err(e.into()),
    })
}

// ---------------------------------------------------------------- activities

#[derive(Debug, Deserialize, Default, Clone)]
struct ActivityForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    occurred_at: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    next_step: String,
    #[serde(default)]
    next_at: String,
    #[serde(default)]
    intention: String,
    /// An open opportunity of this customer the record is for.
    #[serde(default)]
    opportunity_id: String,
}

async fn log_activity(request: Page, Path(id): Path<i64>, Form(form): Form<ActivityForm>) -> PageResult {
    let company = salesflow_store::settings::get(request.store()).await.map(|s| s.settings).unwrap_or_default();
    let occurred_at = company.parse_local_datetime(&form.occurred_at);
    let next_at = occurred_at.map(|at| crate::input::dates::follow_up(Some(&form.next_at), &company, at));
    let result = match (occurred_at, next_at) {
        (None, _) | (_, None) => Err(StoreError::Invalid(Invalid::one("occurred_at", "invalid_date"))),
        (_, Some(Err(invalid))) => Err(StoreError::Invalid(invalid)),
        (Some(occurred_at), Some(Ok(next_at))) => {
            let input = ActivityInput {
                customer_id: id,
                contact_id: None,
                kind: form.kind.clone(),
                subject: form.subject.clone(),
                occurred_at,
                participants: None,
                outcome: form.outcome.clone(),
                next_step: Some(form.next_step.clone()),
                next_at,
                intention: Some(form.intention.clone()),
                opportunity_id: form.opportunity_id.trim().parse().ok(),
            };
            activities::create_activity(request.store(), request.actor(), input).await.map(|_| ())
        }
    };
    Ok(match result {
        Ok(()) => redirect_flash(&format!("/customers/{id}"), "flash.activity_logged"),
        Err(StoreError::Invalid(invalid)) => {
            let errors = FormErrors::from_invalid(request.locale(), &invalid);
            let contact = ContactForm { role: "handler".into(), ..Default::default() };
            show_page(&request, id, contact, form, errors, false).await?
        }
        Err(e) => return Err(e.into()),
    })
}

#[derive(Template)]
#[template(path = "customers/notices.html")]
struct NoticesPage {
    ctx: PageCtx,
    notices: Vec<Notice>,
    now: chrono::DateTime<chrono::Utc>,
}

async fn notices_page(request: Page) -> PageResult {
    Ok(match notifications::my_notices(request.store(), request.actor(), true).await {
        Ok(notices) => {
            let ctx = request.ctx("/notifications").await;
            let page = NoticesPage { ctx, notices, now: chrono::Utc::now() };
            render(&page.ctx, &page)
        }
        Err(e) => return Err(e.into()),
    })
}

async fn read_notice(request: Page, Path(id): Path<i64>) -> PageResult {
    notifications::mark_read(request.store(), request.actor(), id).await?;
    Ok(redirect_flash("/notifications", "flash.saved"))
}

// ---------------------------------------------------------------- contacts list

async fn contacts_export_csv(request: Page, query: Query<ContactQuery>) -> PageResult {
    contacts_export(request, query, export::Format::Csv).await
}

async fn contacts_export_xlsx(request: Page, query: Query<ContactQuery>) -> PageResult {
    contacts_export(request, query, export::Format::Xlsx).await
}

/// The contacts list as it is filtered, as CSV or an Excel workbook.
async fn contacts_export(request: Page, Query(query): Query<ContactQuery>, format: export::Format) -> PageResult {
    super::export_download(
        request.locale(),
        "contacts",
        &crate::export::CONTACT_COLUMNS,
        crate::export::contacts(
            request.state.store.clone(),
            request.session.actor.clone(),
            query.filter(),
            request.meta.locale.clone(),
        ),
        format,
    )
    .await
}

const CONTACT_DEFAULT_COLUMNS: [&str; 4] = ["customer", "role", "phones", "email"];

/// The message key of a contact column's heading.
fn contact_column_label(code: &str) -> &'static str {
    match code {
        "customer" => "fields.customer_id",
        "role" => "fields.role",
        "phones" => "lists.phones",
        "email" => "fields.email",
        "title" => "fields.title",
        _ => "fields.created_at",
    }
}

#[derive(Debug, Deserialize, Default)]
struct ContactQuery {
    q: Option<String>,
    role: Option<String>,
    sort: Option<String>,
    cursor: Option<String>,
}

impl ContactQuery {
    fn filter(&self) -> ContactFilter {
        ContactFilter { customer_id: None, q: self.q.clone(), role: self.role.clone(), ids: None }
    }

    /// The filters (and sort) as a query string, without the cursor.
    fn base_query(&self, sort: Option<&str>) -> String {
        super::query_string([
            ("q", self.q.as_deref()),
            ("role", self.role.as_deref()),
            ("sort", sort.or(self.sort.as_deref())),
        ])
    }
}

#[derive(Template)]
#[template(path = "customers/contacts.html")]
struct ContactsPage {
    ctx: PageCtx,
    rows: ContactRows,
    query: ContactQuery,
    roles: [ContactRole; 6],
    bar: ViewsBar,
    can_export: bool,
    can_delete: bool,
}

impl ContactsPage {
    fn export_link(&self, format: &str) -> String {
        format!("/contacts/export.{format}?{}", self.query.base_query(None))
    }

    fn role_selected(&self, code: &str) -> bool {
        self.query.role.as_deref() == Some(code)
    }

    fn sort_link(&self, field: &str) -> String {
        let current = self.query.sort.as_deref().unwrap_or("name");
        let next = if current == field { format!("-{field}") } else { field.to_owned() };
        format!("/contacts?{}", self.query.base_query(Some(&next)))
    }

    fn sort_mark(&self, field: &str) -> &'static str {
        match self.query.sort.as_deref().unwrap_or("name") {
            s if s == field => "▲",
            s if s.strip_prefix('-') == Some(field) => "▼",
            _ => "",
        }
    }

    fn sortable(&self, column: &str) -> bool {
        column == "created_at"
    }
}

#[derive(Template)]
#[template(path = "customers/contact_rows.html")]
struct ContactRows {
    ctx: PageCtx,
    contacts: Vec<ContactView>,
    names: std::collections::HashMap<i64, String>,
    columns: Vec<String>,
    selectable: bool,
    next_url: Option<String>,
    first_page: bool,
}

impl ContactRows {
    fn customer(&self, id: &i64) -> String {
        self.names.get(id).cloned().unwrap_or_default()
    }

    fn span(&self) -> usize {
        self.columns.len() + 1 + usize::from(self.selectable)
    }

    /// Phones show the first two columns only.
    fn cell_class(&self, index: &usize) -> &'static str {
        if *index < 2 { "" } else { "hide-sm" }
    }
}

async fn contacts_page(request: Page, Query(query): Query<ContactQuery>) -> PageResult {
    let actor = request.actor();
    let filter = query.filter();
    let req = PageRequest { limit: Some(50), cursor: query.cursor.clone(), sort: query.sort.clone() };
    let page = match customers::list_contacts(request.store(), actor, &filter, &req).await {
        Ok(p) => p,
        // A stale cursor or an unknown sort in a shared link: start over.
        Err(StoreError::Invalid(_)) => {
            customers::list_contacts(request.store(), actor, &filter, &PageRequest::default()).await?
        }
        Err(e) => return Err(e.into()),
    };
    let names =
        customers::customer_names(request.store(), page.items.iter().map(|c| c.customer_id)).await.unwrap_or_default();
    let base = query.base_query(None);
    let next_url =
        page.next_cursor.map(|c| format!("/contacts?{base}{}cursor={c}", if base.is_empty() { "" } else { "&" }));
    let ctx = request.ctx("/contacts").await;
    let can_export = actor.can(Module::Customers, Action::Export);
    let can_delete = actor.can(Module::Customers, Action::Edit);
    let columns =
        chosen_columns(&request.state, actor, "contacts", &list_columns::CONTACTS, &CONTACT_DEFAULT_COLUMNS).await;
    let rows = ContactRows {
        ctx: ctx.clone(),
        contacts: page.items,
        names,
        columns,
        selectable: can_export || can_delete,
        next_url,
        first_page: query.cursor.is_none(),
    };
    if request.meta.is_htmx {
        return Ok(render(&rows.ctx, &rows));
    }
    let bar = ViewsBar::load(
        &request.state,
        actor,
        "contacts",
        base,
        &list_columns::CONTACTS,
        &rows.columns,
        contact_column_label,
    )
    .await;
    let page = ContactsPage { ctx, rows, query, roles: ContactRole::ALL, bar, can_export, can_delete };
    Ok(render(&page.ctx, &page))
}

/// A bulk action on the selected contacts: export them or delete them.
async fn contacts_bulk(request: Page, MultiForm(form): MultiForm<BulkForm>) -> PageResult {
    let ids = form.ids();
    let back = form.back("/contacts");
    if ids.is_empty() {
        return Ok(redirect_flash(&back, "flash.bulk_none_selected"));
    }
    Ok(match form.action.as_str() {
        "export" => {
            let filter = ContactFilter { ids: Some(ids), ..Default::default() };
            super::export_download(
                request.locale(),
                "contacts",
                &crate::export::CONTACT_COLUMNS,
                crate::export::contacts(
                    request.state.store.clone(),
                    request.session.actor.clone(),
                    filter,
                    request.meta.locale.clone(),
                ),
                crate::export::Format::Csv,
            )
            .await?
        }
        "delete" => {
            let result = customers::delete_contacts(request.store(), request.actor(), &ids).await;
            bulk_outcome(result, &back, "lists.flash.contacts_refused")?
        }
        _ => redirect_flash(&back, "lists.flash.bulk_invalid"),
    })
}
