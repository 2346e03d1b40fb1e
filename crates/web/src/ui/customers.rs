//! Customer pages: the list with search and filters, the customer page
//! with its contacts, the form, and the public pool's claim and release.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::CookieJar;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::activities::ActivityKind;
use salesflow_domain::customers::{ContactRole, Grade, parse_tags};
use salesflow_domain::money::Money;
use salesflow_domain::{FieldError, Invalid};
use salesflow_store::StoreError;
use salesflow_store::activities::{self, ActivityInput, ActivityView};
use salesflow_store::customers::{
    self, ContactFilter, ContactInput, ContactView, CustomerFilter, CustomerInput, CustomerView,
};
use salesflow_store::notifications::{self, Notice};
use salesflow_store::paging::PageRequest;
use serde::Deserialize;

use super::{FormErrors, PageCtx, page_ctx, redirect_flash, render, store_error_page};
use crate::auth::{RequestMeta, Session, UiUser};
use crate::server::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/customers", get(list_page).post(create))
        .route("/customers/new", get(new_page))
        .route("/customers/export.csv", get(export_csv))
        .route("/customers/{id}", get(show).post(update))
        .route("/customers/{id}/edit", get(edit_page))
        .route("/customers/{id}/claim", post(claim))
        .route("/customers/{id}/release", post(release))
        .route("/customers/{id}/delete", post(delete))
        .route("/customers/{id}/contacts", post(add_contact))
        .route("/contacts", get(contacts_page))
        .route("/contacts/{id}/delete", post(delete_contact))
        .route("/customers/{id}/activities", post(log_activity))
        .route("/notifications", get(notices_page))
        .route("/notifications/{id}/read", post(read_notice))
}

// ---------------------------------------------------------------- list

#[derive(Debug, Deserialize, Default)]
struct ListQuery {
    q: Option<String>,
    grade: Option<String>,
    /// `mine`, `pool` or empty for everything in scope.
    scope: Option<String>,
    province: Option<String>,
    sort: Option<String>,
    cursor: Option<String>,
}

impl ListQuery {
    fn filter(&self, actor: &salesflow_store::Actor) -> CustomerFilter {
        CustomerFilter {
            q: self.q.clone(),
            grade: self.grade.clone(),
            province: self.province.clone(),
            pool: self.scope.as_deref() == Some("pool"),
            owner_id: if self.scope.as_deref() == Some("mine") { actor.user_id } else { None },
            ..Default::default()
        }
    }

    fn export_link(&self) -> String {
        format!("/customers/export.csv?{}", self.base_query(None))
    }

    fn base_query(&self, sort: Option<&str>) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("q", self.q.as_deref()),
            ("grade", self.grade.as_deref()),
            ("scope", self.scope.as_deref()),
            ("province", self.province.as_deref()),
            ("sort", sort.or(self.sort.as_deref())),
        ] {
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                out.append_pair(k, v);
            }
        }
        out.finish()
    }

    fn is(&self, value: &Option<String>, option: &str) -> bool {
        value.as_deref().unwrap_or("") == option
    }
}

#[derive(Template)]
#[template(path = "customers/list.html")]
struct ListPage {
    ctx: PageCtx,
    rows: Rows,
    query: ListQuery,
    grades: [Grade; 3],
    can_create: bool,
    can_export: bool,
    filtered: bool,
}

impl ListPage {
    fn sort_link(&self, field: &str) -> String {
        let current = self.query.sort.as_deref().unwrap_or("-last_activity_at");
        let next = if current == field { format!("-{field}") } else { field.to_owned() };
        format!("/customers?{}", self.query.base_query(Some(&next)))
    }

    fn sort_mark(&self, field: &str) -> &'static str {
        match self.query.sort.as_deref().unwrap_or("-last_activity_at") {
            s if s == field => "▲",
            s if s.strip_prefix('-') == Some(field) => "▼",
            _ => "",
        }
    }
}

#[derive(Template)]
#[template(path = "customers/rows.html")]
struct Rows {
    ctx: PageCtx,
    customers: Vec<CustomerView>,
    next_url: Option<String>,
    first_page: bool,
}

async fn list_page(
    State(state): State<AppState>,
    UiUser(session, meta): UiUser,
    jar: CookieJar,
    Query(query): Query<ListQuery>,
) -> Response {
    let actor = &session.actor;
    let filter = query.filter(actor);
    let req = PageRequest { limit: Some(50), cursor: query.cursor.clone(), sort: query.sort.clone() };
    let page = match customers::list_customers(&state.store, actor, &filter, &req).await {
        Ok(p) => p,
        Err(StoreError::Invalid(_)) => {
            match customers::list_customers(&state.store, actor, &filter, &PageRequest::default()).await {
                Ok(p) => p,
                Err(e) => return store_error_page(&meta.locale, e),
            }
        }
        Err(e) => return store_error_page(&meta.locale, e),
    };
    let ctx = page_ctx(&state, &session, &meta, &jar, "/customers").await;
    let base = query.base_query(None);
    let next_url =
        page.next_cursor.map(|c| format!("/customers?{base}{}cursor={c}", if base.is_empty() { "" } else { "&" }));
    let rows = Rows { ctx: ctx.clone(), customers: page.items, next_url, first_page: query.cursor.is_none() };
    if meta.is_htmx {
        return render(&rows.ctx, &rows);
    }
    let filtered = [&query.q, &query.grade, &query.scope, &query.province]
        .iter()
        .any(|v| v.as_deref().is_some_and(|v| !v.is_empty()));
    let page = ListPage {
        ctx,
        rows,
        query,
        grades: Grade::ALL,
        can_create: actor.can(Module::Customers, Action::Create),
        can_export: actor.can(Module::Customers, Action::Export),
        filtered,
    };
    render(&page.ctx, &page)
}

/// The list as it is filtered, as a CSV file Excel opens correctly.
async fn export_csv(
    State(state): State<AppState>,
    UiUser(session, meta): UiUser,
    Query(query): Query<ListQuery>,
) -> Response {
    let filter = query.filter(&session.actor);
    let t = |k: &str| crate::i18n::t(&meta.locale, k);
    let header = crate::export::customer_header(&t);
    let name = format!("customers-{}.csv", chrono::Utc::now().format("%Y%m%d"));
    match crate::export::customers_csv(state.store.clone(), session.actor.clone(), filter, header, &name).await {
        Ok(r) => r,
        Err(e) => store_error_page(&meta.locale, e),
    }
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
    #[serde(default)]
    to_pool: Option<String>,
    #[serde(default)]
    allow_duplicate: Option<String>,
    #[serde(default)]
    version: i64,
}

impl CustomerForm {
    fn from_view(c: &CustomerView) -> Self {
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
            to_pool: None,
            allow_duplicate: None,
            version: c.version,
        }
    }

    fn input(&self) -> Result<CustomerInput, Invalid> {
        let credit_limit = match self.credit_limit.trim() {
            "" => Money(0),
            text => Money::parse(text).map_err(|_| Invalid(vec![FieldError::new("credit_limit", "invalid_amount")]))?,
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

#[allow(clippy::too_many_arguments)]
async fn form_page(
    state: &AppState,
    session: &Session,
    meta: &RequestMeta,
    jar: &CookieJar,
    form: CustomerForm,
    customer: Option<CustomerView>,
    errors: FormErrors,
    duplicate: bool,
) -> Response {
    let ctx = page_ctx(state, session, meta, jar, "/customers").await;
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = FormPage { ctx, form, customer, errors, grades: Grade::ALL, duplicate };
    (status, render(&page.ctx, &page)).into_response()
}

async fn new_page(State(state): State<AppState>, UiUser(session, meta): UiUser, jar: CookieJar) -> Response {
    if let Err(e) = session.actor.require(Module::Customers, Action::Create) {
        return store_error_page(&meta.locale, e);
    }
    form_page(&state, &session, &meta, &jar, CustomerForm::default(), None, FormErrors::default(), false).await
}

fn is_duplicate(invalid: &Invalid) -> bool {
    invalid.0.iter().any(|e| e.code == "possible_duplicate")
}

async fn create(
    State(state): State<AppState>,
    UiUser(session, meta): UiUser,
    jar: CookieJar,
    Form(form): Form<CustomerForm>,
) -> Response {
    let result = match form.input() {
        Ok(input) => customers::create_customer(&state.store, &session.actor, input).await,
        Err(invalid) => Err(StoreError::Invalid(invalid)),
    };
    match result {
        Ok(c) => redirect_flash(&format!("/customers/{}", c.id), "flash.customer_created"),
        Err(StoreError::Invalid(invalid)) => {
            let errors = FormErrors::from_invalid(&meta.locale, &invalid);
            form_page(&state, &session, &meta, &jar, form, None, errors, is_duplicate(&invalid)).await
        }
        Err(e) => store_error_page(&meta.locale, e),
    }
}

async fn edit_page(
    State(state): State<AppState>,
    UiUser(session, meta): UiUser,
    jar: CookieJar,
    Path(id): Path<i64>,
) -> Response {
    match customers::get_customer(&state.store, &session.actor, id).await {
        Ok(c) => {
            form_page(&state, &session, &meta, &jar, CustomerForm::from_view(&c), Some(c), FormErrors::default(), false)
                .await
        }
        Err(e) => store_error_page(&meta.locale, e),
    }
}

async fn update(
    State(state): State<AppState>,
    UiUser(session, meta): UiUser,
    jar: CookieJar,
    Path(id): Path<i64>,
    Form(form): Form<CustomerForm>,
) -> Response {
    let current = match customers::get_customer(&state.store, &session.actor, id).await {
        Ok(c) => c,
        Err(e) => return store_error_page(&meta.locale, e),
    };
    let result = match form.input() {
        Ok(input) => customers::update_customer(&state.store, &session.actor, id, form.version, input).await,
        Err(invalid) => Err(StoreError::Invalid(invalid)),
    };
    match result {
        Ok(_) => redirect_flash(&format!("/customers/{id}"), "flash.saved"),
        Err(StoreError::Invalid(invalid)) => {
            let errors = FormErrors::from_invalid(&meta.locale, &invalid);
            form_page(&state, &session, &meta, &jar, form, Some(current), errors, is_duplicate(&invalid)).await
        }
        Err(StoreError::Conflict(_)) => {
            let errors = FormErrors::one(&meta.locale, "version", "stale_version");
            form_page(&state, &session, &meta, &jar, form, Some(current), errors, false).await
        }
        Err(e) => store_error_page(&meta.locale, e),
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
    timeline: Vec<ActivityView>,
    activity: ActivityForm,
    kinds: [ActivityKind; 5],
    can_edit: bool,
    can_delete: bool,
    can_claim: bool,
    mine: bool,
    duplicate: bool,
    open_tasks: Vec<salesflow_store::tasks::TaskView>,
    can_add_task: bool,
}

impl ShowPage {
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

#[allow(clippy::too_many_arguments)]
async fn show_page(
    state: &AppState,
    session: &Session,
    meta: &RequestMeta,
    jar: &CookieJar,
    id: i64,
    contact: ContactForm,
    activity: ActivityForm,
    errors: FormErrors,
    duplicate: bool,
) -> Response {
    let actor = &session.actor;
    let c = match customers::get_customer(&state.store, actor, id).await {
        Ok(c) => c,
        Err(e) => return store_error_page(&meta.locale, e),
    };
    let filter = ContactFilter { customer_id: Some(id), ..Default::default() };
    let contacts = match customers::list_contacts(
        &state.store,
        actor,
        &filter,
        &PageRequest { limit: Some(200), ..Default::default() },
    )
    .await
    {
        Ok(p) => p.items,
        Err(e) => return store_error_page(&meta.locale, e),
    };
    let timeline = match activities::list_for_customer(
        &state.store,
        actor,
        id,
        &PageRequest { limit: Some(50), ..Default::default() },
    )
    .await
    {
        Ok(p) => p.items,
        Err(e) => return store_error_page(&meta.locale, e),
    };
    let task_filter =
        salesflow_store::tasks::TaskFilter { customer_id: Some(id), status: Some("open".into()), ..Default::default() };
    let open_tasks = match salesflow_store::tasks::list_tasks(
        &state.store,
        actor,
        &task_filter,
        &PageRequest { limit: Some(20), ..Default::default() },
    )
    .await
    {
        Ok(p) => p.items,
        Err(e) => return store_error_page(&meta.locale, e),
    };
    let ctx = page_ctx(state, session, meta, jar, "/customers").await;
    let activity = if activity.occurred_at.is_empty() {
        ActivityForm { occurred_at: ctx.settings.local_input(chrono::Utc::now()), kind: "visit".into(), ..activity }
    } else {
        activity
    };
    let in_scope = c.owner_id.is_some() && actor.sees_owner(c.owner_id);
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
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
        duplicate,
        open_tasks,
        can_add_task: actor.can(Module::Customers, Action::Create),
    };
    (status, render(&page.ctx, &page)).into_response()
}

async fn show(
    State(state): State<AppState>,
    UiUser(session, meta): UiUser,
    jar: CookieJar,
    Path(id): Path<i64>,
) -> Response {
    let contact = ContactForm { role: "handler".into(), ..Default::default() };
    show_page(&state, &session, &meta, &jar, id, contact, ActivityForm::default(), FormErrors::default(), false).await
}

async fn add_contact(
    State(state): State<AppState>,
    UiUser(session, meta): UiUser,
    jar: CookieJar,
    Path(id): Path<i64>,
    Form(form): Form<ContactForm>,
) -> Response {
    let opt = |v: &str| Some(v.to_owned());
    let input = ContactInput {
        customer_id: id,
        name: form.name.clone(),
        title: opt(&form.title),
        phone: opt(&form.phone),
        mobile: opt(&form.mobile),
        email: opt(&form.email),
        role: form.role.clone(),
        notes: String::new(),
        allow_duplicate: form.allow_duplicate.is_some(),
    };
    match customers::create_contact(&state.store, &session.actor, input).await {
        Ok(_) => redirect_flash(&format!("/customers/{id}"), "flash.contact_added"),
        Err(StoreError::Invalid(invalid)) => {
            let errors = FormErrors::from_invalid(&meta.locale, &invalid);
            show_page(&state, &session, &meta, &jar, id, form, ActivityForm::default(), errors, is_duplicate(&invalid))
                .await
        }
        Err(e) => store_error_page(&meta.locale, e),
    }
}

async fn delete_contact(State(state): State<AppState>, UiUser(session, meta): UiUser, Path(id): Path<i64>) -> Response {
    let customer_id = match customers::get_contact(&state.store, &session.actor, id).await {
        Ok(c) => c.customer_id,
        Err(e) => return store_error_page(&meta.locale, e),
    };
    match customers::delete_contact(&state.store, &session.actor, id).await {
        Ok(()) => redirect_flash(&format!("/customers/{customer_id}"), "flash.contact_deleted"),
        Err(e) => store_error_page(&meta.locale, e),
    }
}

async fn claim(State(state): State<AppState>, UiUser(session, meta): UiUser, Path(id): Path<i64>) -> Response {
    match customers::claim(&state.store, &session.actor, id).await {
        Ok(_) => redirect_flash(&format!("/customers/{id}"), "flash.customer_claimed"),
        Err(StoreError::Invalid(_)) | Err(StoreError::Conflict(_)) => {
            redirect_flash(&format!("/customers/{id}"), "flash.claim_refused")
        }
        Err(e) => store_error_page(&meta.locale, e),
    }
}

async fn release(State(state): State<AppState>, UiUser(session, meta): UiUser, Path(id): Path<i64>) -> Response {
    match customers::release(&state.store, &session.actor, id).await {
        Ok(_) => redirect_flash("/customers", "flash.customer_released"),
        Err(e) => store_error_page(&meta.locale, e),
    }
}

async fn delete(State(state): State<AppState>, UiUser(session, meta): UiUser, Path(id): Path<i64>) -> Response {
    match customers::set_customer_deleted(&state.store, &session.actor, id, true).await {
        Ok(_) => redirect_flash("/customers", "flash.customer_deleted"),
        Err(e) => store_error_page(&meta.locale, e),
    }
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
}

async fn log_activity(
    State(state): State<AppState>,
    UiUser(session, meta): UiUser,
    jar: CookieJar,
    Path(id): Path<i64>,
    Form(form): Form<ActivityForm>,
) -> Response {
    let company = salesflow_store::settings::get(&state.store).await.map(|s| s.settings).unwrap_or_default();
    let occurred_at = company.parse_local_datetime(&form.occurred_at);
    let next_at = occurred_at.map(|at| crate::api::activities::follow_up(Some(&form.next_at), &company, at));
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
            };
            activities::create_activity(&state.store, &session.actor, input).await.map(|_| ())
        }
    };
    match result {
        Ok(()) => redirect_flash(&format!("/customers/{id}"), "flash.activity_logged"),
        Err(StoreError::Invalid(invalid)) => {
            let errors = FormErrors::from_invalid(&meta.locale, &invalid);
            let contact = ContactForm { role: "handler".into(), ..Default::default() };
            show_page(&state, &session, &meta, &jar, id, contact, form, errors, false).await
        }
        Err(e) => store_error_page(&meta.locale, e),
    }
}

#[derive(Template)]
#[template(path = "customers/notices.html")]
struct NoticesPage {
    ctx: PageCtx,
    notices: Vec<Notice>,
    now: chrono::DateTime<chrono::Utc>,
}

async fn notices_page(State(state): State<AppState>, UiUser(session, meta): UiUser, jar: CookieJar) -> Response {
    match notifications::my_notices(&state.store, &session.actor, true).await {
        Ok(notices) => {
            let ctx = page_ctx(&state, &session, &meta, &jar, "/notifications").await;
            let page = NoticesPage { ctx, notices, now: chrono::Utc::now() };
            render(&page.ctx, &page)
        }
        Err(e) => store_error_page(&meta.locale, e),
    }
}

async fn read_notice(State(state): State<AppState>, UiUser(session, meta): UiUser, Path(id): Path<i64>) -> Response {
    match notifications::mark_read(&state.store, &session.actor, id).await {
        Ok(()) => redirect_flash("/notifications", "flash.saved"),
        Err(e) => store_error_page(&meta.locale, e),
    }
}

// ---------------------------------------------------------------- contacts list

#[derive(Debug, Deserialize, Default)]
struct ContactQuery {
    q: Option<String>,
    role: Option<String>,
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "customers/contacts.html")]
struct ContactsPage {
    ctx: PageCtx,
    contacts: Vec<ContactView>,
    names: std::collections::HashMap<i64, String>,
    query: ContactQuery,
    roles: [ContactRole; 6],
    next_url: Option<String>,
}

impl ContactsPage {
    fn customer(&self, id: &i64) -> String {
        self.names.get(id).cloned().unwrap_or_default()
    }

    fn role_selected(&self, code: &str) -> bool {
        self.query.role.as_deref() == Some(code)
    }
}

async fn contacts_page(
    State(state): State<AppState>,
    UiUser(session, meta): UiUser,
    jar: CookieJar,
    Query(query): Query<ContactQuery>,
) -> Response {
    let filter = ContactFilter { customer_id: None, q: query.q.clone(), role: query.role.clone() };
    let req = PageRequest { limit: Some(50), cursor: query.cursor.clone(), sort: None };
    let page = match customers::list_contacts(&state.store, &session.actor, &filter, &req).await {
        Ok(p) => p,
        Err(e) => return store_error_page(&meta.locale, e),
    };
    let names =
        customers::customer_names(&state.store, page.items.iter().map(|c| c.customer_id)).await.unwrap_or_default();
    let next_url = page.next_cursor.map(|c| {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [("q", query.q.as_deref()), ("role", query.role.as_deref()), ("cursor", Some(c.as_str()))] {
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                out.append_pair(k, v);
            }
        }
        format!("/contacts?{}", out.finish())
    });
    let ctx = page_ctx(&state, &session, &meta, &jar, "/contacts").await;
    let page = ContactsPage { ctx, contacts: page.items, names, query, roles: ContactRole::ALL, next_url };
    render(&page.ctx, &page)
}
