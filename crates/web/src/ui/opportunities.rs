//! Opportunity pages (销售机会): the list with filters, views and export,
//! the form, the opportunity page with its stage path, checklist and
//! gate, and the kanban board (销售漏斗看板) with drag and drop.

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use chrono::NaiveDate;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::customers::ContactRole;
use salesflow_domain::money::Money;
use salesflow_domain::pipelines::{OpportunityFields, OpportunityStatus};
use salesflow_domain::{FieldError, Invalid};
use salesflow_store::customers::{self, ContactFilter, CustomerFilter};
use salesflow_store::opportunities::{
    self as store, ChecklistEntry, HistoryEntry, MoveInput, OpportunityFilter, OpportunityInput, OpportunityView,
};
use salesflow_store::paging::PageRequest;
use salesflow_store::pipelines::{self, LostReasonView, PipelineView};
use salesflow_store::{Actor, StoreError};
use serde::Deserialize;
use serde_json::json;

use super::page::Page;
use super::views::{ViewsBar, chosen_columns};
use super::{FormErrors, PageCtx, non_empty, redirect_flash, render};
use crate::error::page::{PageError, PageResult};
use crate::i18n;
use crate::list_columns;
use crate::server::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/opportunities", get(list_page).post(create))
        .route("/opportunities/new", get(new_page))
        .route("/opportunities/export.csv", get(export_csv))
        .route("/opportunities/export.xlsx", get(export_xlsx))
        .route("/opportunities/customer-options", get(customer_options))
        .route("/opportunities/contact-options", get(contact_options))
        .route("/opportunities/stage-options", get(stage_options))
        .route("/opportunities/{id}", get(show).post(update))
        .route("/opportunities/{id}/edit", get(edit_page))
        .route("/opportunities/{id}/check/{item_id}", post(check))
        .route("/opportunities/{id}/move", post(move_stage))
        .route("/opportunities/{id}/win", post(win))
        .route("/opportunities/{id}/lose", post(lose))
        .route("/opportunities/{id}/reopen", post(reopen))
        .route("/opportunities/{id}/delete", post(delete))
        .route("/board", get(board_page))
        .route("/board/cards", get(board_cards))
        .route("/board/move/{id}", post(board_move))
}

/// A local path to go back to, or the fallback.
fn back_to(back: &str, fallback: &str) -> String {
    crate::auth::local_redirect(Some(back), fallback)
}

fn parse_date(value: &Option<String>) -> Option<NaiveDate> {
    value.as_deref().and_then(salesflow_domain::time::parse_day)
}

fn parse_id(value: &Option<String>) -> Option<i64> {
    value.as_deref().and_then(|v| v.trim().parse().ok())
}

/// The stage's label in the reader's language (`G 电话邀约`).
fn stage_label(o: &OpportunityView, locale: &str) -> String {
    format!("{} {}", o.stage_code, pipelines::localized(&o.stage_name, &o.stage_name_en, locale))
}

fn status_badge(status: &str) -> &'static str {
    match status {
        "won" => "green",
        "lost" => "red",
        _ => "blue",
    }
}

// ---------------------------------------------------------------- list

#[derive(Debug, Deserialize, Default)]
struct ListQuery {
    q: Option<String>,
    pipeline_id: Option<String>,
    stage_id: Option<String>,
    /// `open`, `won`, `lost` or empty for all.
    status: Option<String>,
    owner_id: Option<String>,
    department_id: Option<String>,
    close_from: Option<String>,
    close_to: Option<String>,
    sort: Option<String>,
    cursor: Option<String>,
}

impl ListQuery {
    fn filter(&self) -> OpportunityFilter {
        OpportunityFilter {
            q: self.q.clone().filter(|q| !q.trim().is_empty()),
            pipeline_id: parse_id(&self.pipeline_id),
            stage_id: parse_id(&self.stage_id),
            status: self.status.clone().filter(|s| OpportunityStatus::parse(s).is_some()),
            owner_id: parse_id(&self.owner_id),
            department_id: parse_id(&self.department_id),
            customer_id: None,
            close_from: parse_date(&self.close_from),
            close_to: parse_date(&self.close_to),
            deleted: false,
            ids: None,
        }
    }

    fn pairs(&self, sort: Option<&str>) -> String {
        super::query_string([
            ("q", self.q.as_deref()),
            ("pipeline_id", self.pipeline_id.as_deref()),
            ("stage_id", self.stage_id.as_deref()),
            ("status", self.status.as_deref()),
            ("owner_id", self.owner_id.as_deref()),
            ("department_id", self.department_id.as_deref()),
            ("close_from", self.close_from.as_deref()),
            ("close_to", self.close_to.as_deref()),
            ("sort", sort.or(self.sort.as_deref())),
        ])
    }

    fn export_link(&self, format: &str) -> String {
        format!("/opportunities/export.{format}?{}", self.pairs(None))
    }

    fn is(&self, value: &Option<String>, option: &str) -> bool {
        value.as_deref().unwrap_or("") == option
    }

    fn is_id(&self, value: &Option<String>, id: &i64) -> bool {
        value.as_deref().unwrap_or("") == id.to_string()
    }

    fn value<'a>(&self, value: &'a Option<String>) -> &'a str {
        value.as_deref().unwrap_or("")
    }

    fn filtered(&self) -> bool {
        [
            &self.q,
            &self.pipeline_id,
            &self.stage_id,
            &self.status,
            &self.owner_id,
            &self.department_id,
            &self.close_from,
            &self.close_to,
        ]
        .iter()
        .any(|v| v.as_deref().is_some_and(|v| !v.is_empty()))
    }
}

const DEFAULT_COLUMNS: [&str; 9] =
    ["customer", "stage", "amount", "weighted", "probability", "close_date", "owner", "days_in_stage", "status"];
/// Columns the list can be sorted by (besides the name).
const SORTABLE: [&str; 2] = ["amount", "updated_at"];

fn column_label(code: &str) -> &'static str {
    match code {
        "customer" => "fields.customer_id",
        "stage" => "opportunities.stage",
        "status" => "fields.status",
        "amount" => "opportunities.amount",
        "weighted" => "opportunities.weighted_amount",
        "probability" => "opportunities.probability",
        "close_date" => "opportunities.expected_close_date",
        "owner" => "customers.owner",
        "days_in_stage" => "opportunities.days_in_stage",
        "next_step" => "opportunities.next_step",
        "source" => "fields.source",
        _ => "lists.updated_at",
    }
}

#[derive(Template)]
#[template(path = "opportunities/list.html")]
struct ListPage {
    ctx: PageCtx,
    rows: Rows,
    query: ListQuery,
    bar: ViewsBar,
    pipelines: Vec<PipelineView>,
    people: Vec<(i64, String)>,
    departments: Vec<(i64, String)>,
    statuses: [OpportunityStatus; 3],
    can_create: bool,
    can_export: bool,
}

impl ListPage {
    fn sort_link(&self, field: &str) -> String {
        let current = self.query.sort.as_deref().unwrap_or("-updated_at");
        let next = if current == field { format!("-{field}") } else { field.to_owned() };
        format!("/opportunities?{}", self.query.pairs(Some(&next)))
    }

    fn sort_mark(&self, field: &str) -> &'static str {
        match self.query.sort.as_deref().unwrap_or("-updated_at") {
            s if s == field => "▲",
            s if s.strip_prefix('-') == Some(field) => "▼",
            _ => "",
        }
    }

    fn sortable(&self, column: &str) -> bool {
        SORTABLE.contains(&column)
    }

    /// Stages for the stage filter: those of the chosen pipeline, or all.
    fn stage_options(&self) -> Vec<(i64, String)> {
        let chosen = parse_id(&self.query.pipeline_id);
        self.pipelines
            .iter()
            .filter(|p| chosen.is_none_or(|c| c == p.id))
            .flat_map(|p| {
                let prefix =
                    if chosen.is_some() { String::new() } else { format!("{} · ", p.label(&self.ctx.locale)) };
                p.active_stages()
                    .map(move |s| (s.id, format!("{prefix}{}", s.label(&self.ctx.locale))))
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

#[derive(Template)]
#[template(path = "opportunities/rows.html")]
struct Rows {
    ctx: PageCtx,
    items: Vec<OpportunityView>,
    columns: Vec<String>,
    next_url: Option<String>,
    first_page: bool,
}

impl Rows {
    fn span(&self) -> usize {
        self.columns.len() + 1
    }

    fn cell_class(&self, index: &usize) -> &'static str {
        if *index < 2 { "" } else { "hide-sm" }
    }

    fn stage(&self, o: &OpportunityView) -> String {
        stage_label(o, &self.ctx.locale)
    }

    fn badge(&self, status: &str) -> &'static str {
        status_badge(status)
    }
}

async fn list_page(request: Page, Query(query): Query<ListQuery>) -> PageResult {
    let actor = request.actor();
    let filter = query.filter();
    let req = PageRequest { limit: Some(50), cursor: query.cursor.clone(), sort: query.sort.clone() };
    let page = match store::list_opportunities(request.store(), actor, &filter, &req).await {
        Ok(p) => p,
        // A stale cursor or an unknown sort in a shared link: start over.
        Err(StoreError::Invalid(_)) => {
            store::list_opportunities(request.store(), actor, &filter, &PageRequest::default()).await?
        }
        Err(e) => return Err(e.into()),
    };
    let ctx = request.ctx("/opportunities").await;
    let base = query.pairs(None);
    let next_url =
        page.next_cursor.map(|c| format!("/opportunities?{base}{}cursor={c}", if base.is_empty() { "" } else { "&" }));
    let columns =
        chosen_columns(&request.state, actor, "opportunities", &list_columns::OPPORTUNITIES, &DEFAULT_COLUMNS).await;
    let rows = Rows { ctx: ctx.clone(), items: page.items, columns, next_url, first_page: query.cursor.is_none() };
    if request.meta.is_htmx {
        return Ok(render(&rows.ctx, &rows));
    }
    let bar = ViewsBar::load(
        &request.state,
        actor,
        "opportunities",
        base,
        &list_columns::OPPORTUNITIES,
        &rows.columns,
        column_label,
    )
    .await;
    let pipelines = pipelines::list_pipelines(request.store(), actor, false).await.unwrap_or_default();
    let people = salesflow_store::access::people_in_scope(request.store(), actor).await.unwrap_or_default();
    let departments = salesflow_store::access::department_names(request.store()).await.unwrap_or_default();
    let page = ListPage {
        ctx,
        rows,
        query,
        bar,
        pipelines,
        people,
        departments,
        statuses: OpportunityStatus::ALL,
        can_create: actor.can(Module::Opportunities, Action::Create),
        can_export: actor.can(Module::Opportunities, Action::Export),
    };
    Ok(render(&page.ctx, &page))
}

async fn export_csv(request: Page, query: Query<ListQuery>) -> PageResult {
    export_list(request, query, crate::export::Format::Csv).await
}

async fn export_xlsx(request: Page, query: Query<ListQuery>) -> PageResult {
    export_list(request, query, crate::export::Format::Xlsx).await
}

/// The list as it is filtered and sorted, as CSV or an Excel workbook.
async fn export_list(request: Page, Query(query): Query<ListQuery>, format: crate::export::Format) -> PageResult {
    let fetch = crate::export::opportunities(
        request.state.store.clone(),
        request.session.actor.clone(),
        query.filter(),
        query.sort.clone(),
        request.meta.locale.clone(),
    );
    super::export_download(request.locale(), "opportunities", &crate::export::OPPORTUNITY_COLUMNS, fetch, format).await
}

// ---------------------------------------------------------------- form

/// The form as typed; contacts come as `contact` (repeated) with
/// `role_<contact id>`.
#[derive(Debug, Default, Clone)]
struct OpportunityForm {
    name: String,
    customer_id: String,
    pipeline_id: String,
    stage_id: String,
    owner_id: String,
    amount: String,
    currency: String,
    expected_close_date: String,
    probability: String,
    probability_reason: String,
    source: String,
    campaign: String,
    competitors: String,
    product_lines: String,
    next_step: String,
    notes: String,
    contacts: Vec<(i64, String)>,
    version: i64,
}

impl OpportunityForm {
    fn parse(pairs: &[(String, String)]) -> Self {
        let field = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
        let contacts = pairs
            .iter()
            .filter(|(k, _)| k == "contact")
            .filter_map(|(_, v)| v.trim().parse::<i64>().ok())
            .map(|id| {
                let role = field(&format!("role_{id}"));
                (id, if role.is_empty() { "other".to_owned() } else { role })
            })
            .collect();
        OpportunityForm {
            name: field("name"),
            customer_id: field("customer_id"),
            pipeline_id: field("pipeline_id"),
            stage_id: field("stage_id"),
            owner_id: field("owner_id"),
            amount: field("amount"),
            currency: field("currency"),
            expected_close_date: field("expected_close_date"),
            probability: field("probability"),
            probability_reason: field("probability_reason"),
            source: field("source"),
            campaign: field("campaign"),
            competitors: field("competitors"),
            product_lines: field("product_lines"),
            next_step: field("next_step"),
            notes: field("notes"),
            contacts,
            version: field("version").trim().parse().unwrap_or(0),
        }
    }

    fn from_view(o: &OpportunityView) -> Self {
        OpportunityForm {
            name: o.name.clone(),
            customer_id: o.customer_id.to_string(),
            pipeline_id: o.pipeline_id.to_string(),
            stage_id: o.stage_id.to_string(),
            owner_id: o.owner_id.to_string(),
            amount: o.amount.clone(),
            currency: o.currency.clone(),
            expected_close_date: o.expected_close_date.map(|d| d.to_string()).unwrap_or_default(),
            probability: if o.probability_overridden { o.probability.to_string() } else { String::new() },
            probability_reason: o.probability_reason.clone().unwrap_or_default(),
            source: o.source.clone().unwrap_or_default(),
            campaign: o.campaign.clone().unwrap_or_default(),
            competitors: o.competitors.clone(),
            product_lines: o.product_lines.clone(),
            next_step: o.next_step.clone(),
            notes: o.notes.clone(),
            contacts: o.contacts.iter().map(|c| (c.contact_id, c.role.clone())).collect(),
            version: o.version,
        }
    }

    fn input(&self, creating: bool) -> Result<OpportunityInput, Invalid> {
        let mut errors: Vec<FieldError> = Vec::new();
        let mut id = |field: &str, value: &str| match super::opt_id(value) {
            Ok(v) => v,
            Err(_) => {
                errors.push(FieldError::new(field, "unknown_reference"));
                None
            }
        };
        let customer_id = id("customer_id", &self.customer_id);
        let pipeline_id = id("pipeline_id", &self.pipeline_id);
        let stage_id = id("stage_id", &self.stage_id);
        let owner_id = id("owner_id", &self.owner_id);
        if customer_id.is_none() && !errors.iter().any(|e| e.field == "customer_id") {
            errors.push(FieldError::new("customer_id", "required"));
        }
        let amount = if self.amount.trim().is_empty() {
            Money(0)
        } else {
            Money::parse(&self.amount).unwrap_or_else(|e| {
                errors.push(e.field("amount"));
                Money(0)
            })
        };
        let expected_close_date = match self.expected_close_date.trim() {
            "" => None,
            d => salesflow_domain::time::parse_day(d).map(Some).unwrap_or_else(|| {
                errors.push(FieldError::new("expected_close_date", "invalid_date"));
                None
            }),
        };
        let probability = match self.probability.trim() {
            "" => None,
            p => p.parse::<i32>().map(Some).unwrap_or_else(|_| {
                errors.push(FieldError::new("probability", "out_of_range").with("min", 0).with("max", 100));
                None
            }),
        };
        let input = OpportunityInput {
            name: self.name.clone(),
            customer_id: customer_id.unwrap_or_default(),
            pipeline_id: if creating { pipeline_id } else { None },
            stage_id: if creating { stage_id } else { None },
            owner_id,
            amount,
            currency: non_empty(&self.currency),
            expected_close_date,
            probability,
            probability_reason: non_empty(&self.probability_reason),
            source: non_empty(&self.source),
            campaign: non_empty(&self.campaign),
            competitors: self.competitors.clone(),
            product_lines: self.product_lines.clone(),
            next_step: self.next_step.clone(),
            notes: self.notes.clone(),
            contacts: Some(self.contacts.clone()),
            lead_id: None,
        };
        if errors.is_empty() {
            return Ok(input);
        }
        // Show the other fields' errors too, not only the unreadable ones.
        let others = salesflow_domain::pipelines::check_opportunity(&OpportunityFields {
            name: &input.name,
            amount: input.amount.minor(),
            currency: input.currency.as_deref().unwrap_or("CNY"),
            probability: input.probability,
            probability_reason: input.probability_reason.as_deref().unwrap_or(""),
            source: input.source.as_deref().unwrap_or(""),
            campaign: input.campaign.as_deref().unwrap_or(""),
            competitors: &input.competitors,
            product_lines: &input.product_lines,
            next_step: &input.next_step,
            notes: &input.notes,
            expected_close_date: input.expected_close_date,
        });
        errors.extend(others.0.into_iter().filter(|o| !errors.iter().any(|e| e.field == o.field)).collect::<Vec<_>>());
        Err(Invalid(errors))
    }
}

/// One of the chosen customer's contacts, as the form offers it.
struct ContactChoice {
    id: i64,
    name: String,
    title: Option<String>,
    chosen: bool,
    role: String,
}

#[derive(Template)]
#[template(path = "opportunities/contact_options.html")]
struct ContactOptions {
    ctx: PageCtx,
    contacts: Vec<ContactChoice>,
    customer_chosen: bool,
    roles: [ContactRole; 6],
}

#[derive(Template)]
#[template(path = "opportunities/form.html")]
struct FormPage {
    ctx: PageCtx,
    form: OpportunityForm,
    current: Option<OpportunityView>,
    errors: FormErrors,
    customer_label: Option<String>,
    contact_options: ContactOptions,
    pipelines: Vec<PipelineView>,
    owners: Vec<(i64, String)>,
}

impl FormPage {
    fn selected(&self, value: &str, id: &i64) -> bool {
        value == id.to_string()
    }

    /// The stages to start in: those of the chosen pipeline (or the first).
    fn stages(&self) -> Vec<(i64, String)> {
        stage_choices(&self.pipelines, &self.form.pipeline_id, &self.ctx.locale)
    }

    fn other_errors(&self) -> Vec<String> {
        self.errors.others(&[
            "name",
            "customer_id",
            "pipeline_id",
            "stage_id",
            "owner_id",
            "amount",
            "currency",
            "expected_close_date",
            "probability",
            "probability_reason",
            "source",
            "campaign",
            "competitors",
            "product_lines",
            "next_step",
            "notes",
            "version",
        ])
    }

    /// The stage probability the deal counts with unless overridden.
    fn stage_probability(&self) -> Option<i32> {
        match &self.current {
            Some(o) => self
                .pipelines
                .iter()
                .find(|p| p.id == o.pipeline_id)
                .and_then(|p| p.stage(o.stage_id))
                .map(|s| s.probability),
            None => {
                let pipeline = pick_pipeline(&self.pipelines, &self.form.pipeline_id);
                pipeline.and_then(|p| match self.form.stage_id.parse::<i64>() {
                    Ok(id) => p.stage(id).map(|s| s.probability),
                    Err(_) => p.active_stages().next().map(|s| s.probability),
                })
            }
        }
    }
}

fn pick_pipeline<'a>(pipelines: &'a [PipelineView], chosen: &str) -> Option<&'a PipelineView> {
    let chosen: Option<i64> = chosen.trim().parse().ok();
    pipelines.iter().find(|p| Some(p.id) == chosen).or_else(|| pipelines.first())
}

fn stage_choices(pipelines: &[PipelineView], chosen: &str, locale: &str) -> Vec<(i64, String)> {
    pick_pipeline(pipelines, chosen)
        .map(|p| p.active_stages().map(|s| (s.id, format!("{} · {}%", s.label(locale), s.probability))).collect())
        .unwrap_or_default()
}

async fn contact_choices(
    state: &AppState,
    actor: &Actor,
    customer_id: Option<i64>,
    chosen: &[(i64, String)],
) -> Vec<ContactChoice> {
    let Some(customer_id) = customer_id else { return Vec::new() };
    let filter = ContactFilter { customer_id: Some(customer_id), ..Default::default() };
    let req = PageRequest { limit: Some(200), ..Default::default() };
    let contacts =
        customers::list_contacts(&state.store, actor, &filter, &req).await.map(|p| p.items).unwrap_or_default();
    contacts
        .into_iter()
        .map(|c| {
            let pick = chosen.iter().find(|(id, _)| *id == c.id);
            ContactChoice {
                id: c.id,
                name: c.name,
                title: c.title,
                chosen: pick.is_some(),
                role: pick.map(|(_, r)| r.clone()).unwrap_or(c.role),
            }
        })
        .collect()
}

async fn form_page(
    request: &Page,
    form: OpportunityForm,
    current: Option<OpportunityView>,
    errors: FormErrors,
) -> PageResult {
    let actor = request.actor();
    let pipelines = pipelines::list_pipelines(request.store(), actor, false).await?;
    let customer_id: Option<i64> = form.customer_id.trim().parse().ok();
    let customer_label = match customer_id {
        Some(id) => customers::get_customer(request.store(), actor, id).await.ok().map(|c| c.name),
        None => None,
    };
    let contacts = contact_choices(&request.state, actor, customer_id, &form.contacts).await;
    let owners = salesflow_store::access::people_in_scope(request.store(), actor).await.unwrap_or_default();
    let ctx = request.ctx("/opportunities").await;
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let contact_options = ContactOptions {
        ctx: ctx.clone(),
        contacts,
        customer_chosen: customer_label.is_some(),
        roles: ContactRole::ALL,
    };
    let page = FormPage { ctx, form, current, errors, customer_label, contact_options, pipelines, owners };
    Ok((status, render(&page.ctx, &page)).into_response())
}

#[derive(Debug, Deserialize, Default)]
struct NewQuery {
    customer_id: Option<i64>,
}

async fn new_page(request: Page, Query(q): Query<NewQuery>) -> PageResult {
    request.session.actor.require(Module::Opportunities, Action::Create)?;
    let company = salesflow_store::settings::get(request.store()).await.map(|s| s.settings).unwrap_or_default();
    let form = OpportunityForm {
        customer_id: q.customer_id.map(|id| id.to_string()).unwrap_or_default(),
        owner_id: request.session.actor.user_id.map(|id| id.to_string()).unwrap_or_default(),
        currency: company.currency.clone(),
        ..Default::default()
    };
    form_page(&request, form, None, FormErrors::default()).await
}

async fn create(request: Page, Form(pairs): Form<Vec<(String, String)>>) -> PageResult {
    let form = OpportunityForm::parse(&pairs);
    let result = match form.input(true) {
        Ok(input) => store::create_opportunity(request.store(), request.actor(), input).await,
        Err(invalid) => Err(StoreError::Invalid(invalid)),
    };
    Ok(match result {
        Ok(o) => {
            let key = if o.warnings.iter().any(|w| w.starts_with("expected_close_date")) {
                "opportunities.flash.created_past_close"
            } else {
                "opportunities.flash.created"
            };
            redirect_flash(&format!("/opportunities/{}", o.id), key)
        }
        Err(StoreError::Invalid(invalid)) => {
            let errors = FormErrors::from_invalid(request.locale(), &invalid);
            form_page(&request, form, None, errors).await?
        }
        Err(e) => return Err(e.into()),
    })
}

async fn edit_page(request: Page, Path(id): Path<i64>) -> PageResult {
    request.session.actor.require(Module::Opportunities, Action::Edit)?;
    Ok(match store::get_opportunity(request.store(), request.actor(), id).await {
        Ok(o) if o.deleted_at.is_none() => {
            let form = OpportunityForm::from_view(&o);
            form_page(&request, form, Some(o), FormErrors::default()).await?
        }
        Ok(_) => return Err(PageError::not_found()),
        Err(e) => return Err(e.into()),
    })
}

async fn update(request: Page, Path(id): Path<i64>, Form(pairs): Form<Vec<(String, String)>>) -> PageResult {
    let form = OpportunityForm::parse(&pairs);
    let current = store::get_opportunity(request.store(), request.actor(), id).await?;
    let result = match form.input(false) {
        Ok(input) => store::update_opportunity(request.store(), request.actor(), id, form.version, input).await,
        Err(invalid) => Err(StoreError::Invalid(invalid)),
    };
    match request.saved(result)? {
        Ok(_) => Ok(redirect_flash(&format!("/opportunities/{id}"), "flash.saved")),
        Err(refused) => form_page(&request, form, Some(current), refused.errors).await,
    }
}

#[derive(Debug, Deserialize, Default)]
struct OptionsQuery {
    #[serde(default)]
    customer_q: String,
    #[serde(default)]
    customer_id: String,
    #[serde(default)]
    pipeline_id: String,
}

#[derive(Template)]
#[template(
    source = r#"<option value="">{{ ctx.t("opportunities.choose_customer") }}</option>
{% for (id, name) in options %}<option value="{{ id }}">{{ name }}</option>
{% endfor %}"#,
    ext = "html"
)]
struct CustomerOptions {
    ctx: PageCtx,
    options: Vec<(i64, String)>,
}

/// The customer picker's choices for what was typed (htmx).
async fn customer_options(request: Page, Query(q): Query<OptionsQuery>) -> PageResult {
    let filter = CustomerFilter { q: Some(q.customer_q.clone()), ..Default::default() };
    let req = PageRequest { limit: Some(20), sort: Some("name".into()), ..Default::default() };
    let options = match customers::list_customers(request.store(), request.actor(), &filter, &req).await {
        Ok(p) => p.items.into_iter().map(|c| (c.id, c.name)).collect(),
        Err(e) => return Err(e.into()),
    };
    let ctx = request.ctx("/opportunities").await;
    let page = CustomerOptions { ctx, options };
    Ok(render(&page.ctx, &page))
}

/// The chosen customer's contacts with their roles (htmx).
async fn contact_options(request: Page, Query(q): Query<OptionsQuery>) -> Response {
    let customer_id: Option<i64> = q.customer_id.trim().parse().ok();
    let contacts = contact_choices(&request.state, request.actor(), customer_id, &[]).await;
    let ctx = request.ctx("/opportunities").await;
    let page = ContactOptions { ctx, contacts, customer_chosen: customer_id.is_some(), roles: ContactRole::ALL };
    render(&page.ctx, &page)
}

#[derive(Template)]
#[template(
    source = r#"{% for (id, label) in stages %}<option value="{{ id }}">{{ label }}</option>
{% endfor %}"#,
    ext = "html"
)]
struct StageOptions {
    stages: Vec<(i64, String)>,
}

/// The first-stage choices of a pipeline (htmx).
async fn stage_options(request: Page, Query(q): Query<OptionsQuery>) -> PageResult {
    let pipelines = pipelines::list_pipelines(request.store(), request.actor(), false).await?;
    let ctx = request.ctx("/opportunities").await;
    let page = StageOptions { stages: stage_choices(&pipelines, &q.pipeline_id, request.locale()) };
    Ok(render(&ctx, &page))
}

// ---------------------------------------------------------------- the opportunity page

/// One stage on the path, with its checklist as this deal has it.
struct StageBlock {
    id: i64,
    label: String,
    probability: i32,
    /// `passed`, `current`, `lost`, `won` or `ahead`.
    state: &'static str,
    items: Vec<ChecklistEntry>,
    done: usize,
    success_criteria: String,
    milestone: String,
    input: String,
    output: String,
}

impl StageBlock {
    fn is_current(&self) -> bool {
        matches!(self.state, "current" | "lost")
    }
}

fn stage_blocks(o: &OpportunityView, pipeline: &PipelineView, locale: &str) -> Vec<StageBlock> {
    let current_pos = pipeline.stage(o.stage_id).map_or(0, |s| s.position);
    pipeline
        .stages
        .iter()
        .filter(|s| !s.retired || s.id == o.stage_id)
        .map(|s| {
            let state = match (o.status.as_str(), s.id == o.stage_id) {
                ("won", _) if s.position <= current_pos => "won",
                ("lost", true) => "lost",
                (_, true) => "current",
                _ if s.position < current_pos => "passed",
                _ => "ahead",
            };
            let items: Vec<ChecklistEntry> = o.checklist.iter().filter(|c| c.stage_id == s.id).cloned().collect();
            let loc = |a: &str, b: &str| pipelines::localized(a, b, locale).to_owned();
            StageBlock {
                id: s.id,
                label: s.label(locale),
                probability: s.probability,
                state,
                done: items.iter().filter(|i| i.done).count(),
                items,
                success_criteria: loc(&s.success_criteria, &s.success_criteria_en),
                milestone: loc(&s.milestone, &s.milestone_en),
                input: loc(&s.input, &s.input_en),
                output: loc(&s.output, &s.output_en),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "opportunities/checklist.html")]
struct Checklist {
    ctx: PageCtx,
    id: i64,
    stages: Vec<StageBlock>,
    can_tick: bool,
}

impl Checklist {
    fn text<'a>(&self, item: &'a ChecklistEntry) -> &'a str {
        pipelines::localized(&item.text, &item.text_en, &self.ctx.locale)
    }
}

/// A refused move or win: what is missing and whether the reader may pass anyway.
struct GateRefusal {
    /// `move` or `win`.
    action: &'static str,
    stage_id: i64,
    missing: Vec<String>,
    can_override: bool,
    /// The override's reason as typed and its error.
    reason: String,
    reason_error: Option<String>,
}

#[derive(Template)]
#[template(path = "opportunities/show.html")]
struct ShowPage {
    ctx: PageCtx,
    o: OpportunityView,
    pipeline_name: String,
    checklist: Checklist,
    next_stage: Option<(i64, String)>,
    move_targets: Vec<(i64, String)>,
    history: Vec<HistoryEntry>,
    /// Visits and contact records for this deal, newest first.
    activities: Vec<salesflow_store::activities::ActivityView>,
    can_log_activity: bool,
    /// Tasks about this deal, open ones first by due date.
    tasks: Vec<salesflow_store::tasks::TaskView>,
    can_add_task: bool,
    reasons: Vec<LostReasonView>,
    gate: Option<GateRefusal>,
    errors: FormErrors,
    lose_form: LoseForm,
    can_edit: bool,
    can_delete: bool,
}

impl ShowPage {
    fn badge(&self) -> &'static str {
        status_badge(&self.o.status)
    }

    fn open(&self) -> bool {
        self.o.status == "open" && self.o.deleted_at.is_none()
    }

    fn current(&self) -> Option<&StageBlock> {
        self.checklist.stages.iter().find(|s| s.is_current() || (s.id == self.o.stage_id))
    }

    fn history_value(&self, e: &HistoryEntry, value: &Option<String>) -> String {
        let Some(v) = value else { return "—".to_owned() };
        match e.field.as_str() {
            "status" => self.ctx.label("opportunities.statuses", v),
            "probability" => format!("{v}%"),
            "amount" => self.ctx.money_in(v, &self.o.currency),
            _ => v.clone(),
        }
    }

    fn reason_label<'a>(&self, r: &'a LostReasonView) -> &'a str {
        pipelines::localized(&r.name, &r.name_en, &self.ctx.locale)
    }

    fn stalled_hint(&self) -> String {
        self.ctx.t("opportunities.stalled_hint")
    }
}

#[derive(Debug, Deserialize, Default, Clone)]
struct LoseForm {
    #[serde(default)]
    lost_reason_id: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    version: i64,
}

async fn show_page(
    request: &Page,
    id: i64,
    gate: Option<GateRefusal>,
    errors: FormErrors,
    lose_form: LoseForm,
) -> PageResult {
    let actor = request.actor();
    let o = store::get_opportunity(request.store(), actor, id).await?;
    let pipeline = pipelines::get_pipeline(request.store(), actor, o.pipeline_id).await?;
    let history = store::history(request.store(), actor, id).await.unwrap_or_default();
    let recent = PageRequest { limit: Some(20), ..Default::default() };
    let activities = salesflow_store::activities::list_for_opportunity(request.store(), actor, id, &recent)
        .await
        .map(|p| p.items)
        .unwrap_or_default();
    let task_filter = salesflow_store::tasks::TaskFilter {
        related_kind: Some("opportunity".to_owned()),
        related_id: Some(id),
        ..Default::default()
    };
    let by_due = PageRequest { limit: Some(20), sort: Some("-due_at".to_owned()), ..Default::default() };
    let tasks = salesflow_store::tasks::list_tasks(request.store(), actor, &task_filter, &by_due)
        .await
        .map(|p| p.items)
        .unwrap_or_default();
    let reasons = pipelines::list_lost_reasons(request.store(), actor, false).await.unwrap_or_default();
    let locale = request.meta.locale.as_str();
    let current_pos = pipeline.stage(o.stage_id).map_or(0, |s| s.position);
    let next_stage = pipeline.active_stages().find(|s| s.position > current_pos).map(|s| (s.id, s.label(locale)));
    let move_targets =
        pipeline.active_stages().filter(|s| s.id != o.stage_id).map(|s| (s.id, s.label(locale))).collect();
    let ctx = request.ctx("/opportunities").await;
    let can_edit = actor.can(Module::Opportunities, Action::Edit) && o.deleted_at.is_none();
    let checklist = Checklist {
        ctx: ctx.clone(),
        id,
        stages: stage_blocks(&o, &pipeline, locale),
        can_tick: can_edit && o.status == "open",
    };
    let status = if errors.any() || gate.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = ShowPage {
        ctx,
        pipeline_name: pipeline.label(locale).to_owned(),
        checklist,
        next_stage,
        move_targets,
        history,
        activities,
        can_log_activity: actor.can(Module::Customers, Action::Edit) && o.status == "open" && o.deleted_at.is_none(),
        tasks,
        can_add_task: actor.can(Module::Customers, Action::Create) && o.deleted_at.is_none(),
        reasons,
        gate,
        errors,
        lose_form,
        can_edit,
        can_delete: actor.can(Module::Opportunities, Action::Delete) && o.deleted_at.is_none(),
        o,
    };
    Ok((status, render(&page.ctx, &page)).into_response())
}

async fn show(request: Page, Path(id): Path<i64>) -> PageResult {
    show_page(&request, id, None, FormErrors::default(), LoseForm::default()).await
}

#[derive(Debug, Deserialize, Default)]
struct CheckForm {
    /// `1` ticks, anything else unticks.
    #[serde(default)]
    done: String,
}

/// Ticks or unticks a checklist item; htmx gets the checklist back.
async fn check(request: Page, Path((id, item_id)): Path<(i64, i64)>, Form(form): Form<CheckForm>) -> PageResult {
    let actor = request.actor();
    let o = match store::set_check(request.store(), actor, id, item_id, form.done == "1").await {
        Ok(o) => o,
        Err(StoreError::Invalid(_)) => return Ok(redirect_flash(&format!("/opportunities/{id}"), "flash.stale")),
        Err(e) => return Err(e.into()),
    };
    if !request.meta.is_htmx {
        return Ok(redirect_flash(&format!("/opportunities/{id}"), "flash.saved"));
    }
    let pipeline = pipelines::get_pipeline(request.store(), actor, o.pipeline_id).await?;
    let ctx = request.ctx("/opportunities").await;
    let fragment = Checklist { ctx, id, stages: stage_blocks(&o, &pipeline, request.locale()), can_tick: true };
    Ok(render(&fragment.ctx, &fragment))
}

#[derive(Debug, Deserialize, Default)]
struct MoveForm {
    #[serde(default)]
    stage_id: String,
    #[serde(default)]
    version: Option<i64>,
    #[serde(default)]
    override_reason: Option<String>,
    /// Where to go after a successful move (the board).
    #[serde(default)]
    back: String,
}

/// The gate's refusal in the reader's words, if that is what the error is.
/// The store names the items in the actor's language; the page names them
/// in the language it is read in.
async fn gate_refusal(
    state: &AppState,
    locale: &str,
    actor: &Actor,
    invalid: &Invalid,
    action: &'static str,
    stage_id: i64,
    reason: Option<String>,
) -> Option<GateRefusal> {
    let gate: Vec<&FieldError> = invalid.0.iter().filter(|e| e.code == "gate_item_missing").collect();
    let reason_error = invalid.0.iter().find(|e| e.field == "override_reason").map(|e| i18n::field_message(locale, e));
    if gate.is_empty() && reason_error.is_none() {
        return None;
    }
    let all = pipelines::list_pipelines(&state.store, actor, true).await.unwrap_or_default();
    let missing = gate
        .into_iter()
        .map(|e| {
            let item_id = e.params.iter().find(|(k, _)| k == "item_id").and_then(|(_, v)| v.parse::<i64>().ok());
            let found = all
                .iter()
                .flat_map(|p| p.stages.iter())
                .find_map(|s| s.checklist.iter().find(|i| Some(i.id) == item_id).map(|i| (s.label(locale), i)));
            match found {
                Some((stage, item)) => i18n::field_message(
                    locale,
                    &FieldError::new("checklist", "gate_item_missing")
                        .with("stage", stage)
                        .with("text", pipelines::localized(&item.text, &item.text_en, locale)),
                ),
                None => i18n::field_message(locale, e),
            }
        })
        .collect();
    Some(GateRefusal {
        action,
        stage_id,
        missing,
        can_override: actor.can(Module::Opportunities, Action::Approve),
        reason: reason.unwrap_or_default(),
        reason_error,
    })
}

async fn move_stage(request: Page, Path(id): Path<i64>, Form(form): Form<MoveForm>) -> PageResult {
    let actor = request.actor();
    let Ok(stage_id) = form.stage_id.trim().parse::<i64>() else {
        let errors = FormErrors::one(request.locale(), "stage_id", "required");
        return show_page(&request, id, None, errors, LoseForm::default()).await;
    };
    let input = MoveInput { stage_id, version: form.version, override_reason: form.override_reason.clone() };
    Ok(match store::move_opportunity(request.store(), actor, id, input).await {
        Ok(_) => redirect_flash(&back_to(&form.back, &format!("/opportunities/{id}")), "opportunities.flash.moved"),
        Err(StoreError::Invalid(invalid)) => {
            let gate =
                gate_refusal(&request.state, request.locale(), actor, &invalid, "move", stage_id, form.override_reason)
                    .await;
            let errors = if gate.is_some() {
                FormErrors::default()
            } else {
                FormErrors::from_invalid(request.locale(), &invalid)
            };
            show_page(&request, id, gate, errors, LoseForm::default()).await?
        }
        Err(StoreError::Conflict(_)) => redirect_flash(&format!("/opportunities/{id}"), "flash.stale"),
        Err(e) => return Err(e.into()),
    })
}

#[derive(Debug, Deserialize, Default)]
struct WinForm {
    #[serde(default)]
    version: Option<i64>,
    #[serde(default)]
    override_reason: Option<String>,
}

async fn win(request: Page, Path(id): Path<i64>, Form(form): Form<WinForm>) -> PageResult {
    let actor = request.actor();
    Ok(match store::win(request.store(), actor, id, form.version, form.override_reason.clone()).await {
        Ok(_) => redirect_flash(&format!("/opportunities/{id}"), "opportunities.flash.won"),
        Err(StoreError::Invalid(invalid)) => {
            let gate =
                gate_refusal(&request.state, request.locale(), actor, &invalid, "win", 0, form.override_reason).await;
            let errors = if gate.is_some() {
                FormErrors::default()
            } else {
                FormErrors::from_invalid(request.locale(), &invalid)
            };
            show_page(&request, id, gate, errors, LoseForm::default()).await?
        }
        Err(StoreError::Conflict(_)) => redirect_flash(&format!("/opportunities/{id}"), "flash.stale"),
        Err(e) => return Err(e.into()),
    })
}

async fn lose(request: Page, Path(id): Path<i64>, Form(form): Form<LoseForm>) -> PageResult {
    let reason_id = match super::opt_id(&form.lost_reason_id) {
        Ok(r) => r,
        Err(_) => {
            let errors = FormErrors::one(request.locale(), "lost_reason_id", "unknown_reference");
            return show_page(&request, id, None, errors, form).await;
        }
    };
    Ok(
        match store::lose(request.store(), request.actor(), id, Some(form.version), reason_id, non_empty(&form.note))
            .await
        {
            Ok(_) => redirect_flash(&format!("/opportunities/{id}"), "opportunities.flash.lost"),
            Err(StoreError::Invalid(invalid)) => {
                let errors = FormErrors::from_invalid(request.locale(), &invalid);
                show_page(&request, id, None, errors, form).await?
            }
            Err(StoreError::Conflict(_)) => redirect_flash(&format!("/opportunities/{id}"), "flash.stale"),
            Err(e) => return Err(e.into()),
        },
    )
}

async fn reopen(request: Page, Path(id): Path<i64>, Form(form): Form<WinForm>) -> PageResult {
    Ok(match store::reopen(request.store(), request.actor(), id, form.version).await {
        Ok(_) => redirect_flash(&format!("/opportunities/{id}"), "opportunities.flash.reopened"),
        Err(StoreError::Conflict(_)) => redirect_flash(&format!("/opportunities/{id}"), "flash.stale"),
        Err(e) => return Err(e.into()),
    })
}

async fn delete(request: Page, Path(id): Path<i64>) -> PageResult {
    store::set_deleted(request.store(), request.actor(), id, true).await?;
    Ok(redirect_flash("/opportunities", "opportunities.flash.deleted"))
}

// ---------------------------------------------------------------- the kanban board

/// Cards a column shows at first and per "load more".
const CARDS_PER_PAGE: u64 = 20;

#[derive(Debug, Deserialize, Default, Clone)]
struct BoardQuery {
    pipeline_id: Option<String>,
    owner_id: Option<String>,
    department_id: Option<String>,
    close_from: Option<String>,
    close_to: Option<String>,
    /// `load more` of one column.
    stage_id: Option<String>,
    cursor: Option<String>,
}

impl BoardQuery {
    fn filter(&self) -> OpportunityFilter {
        OpportunityFilter {
            owner_id: parse_id(&self.owner_id),
            department_id: parse_id(&self.department_id),
            close_from: parse_date(&self.close_from),
            close_to: parse_date(&self.close_to),
            ..Default::default()
        }
    }

    /// The board's filters (and pipeline) as a query string.
    fn pairs(&self, pipeline_id: i64) -> String {
        let pipeline = pipeline_id.to_string();
        super::query_string([
            ("pipeline_id", Some(pipeline.as_str())),
            ("owner_id", self.owner_id.as_deref()),
            ("department_id", self.department_id.as_deref()),
            ("close_from", self.close_from.as_deref()),
            ("close_to", self.close_to.as_deref()),
        ])
    }

    fn is_id(&self, value: &Option<String>, id: &i64) -> bool {
        value.as_deref().unwrap_or("") == id.to_string()
    }

    fn value<'a>(&self, value: &'a Option<String>) -> &'a str {
        value.as_deref().unwrap_or("")
    }
}

/// A column header's figures.
#[derive(Template)]
#[template(path = "opportunities/kanban_head.html")]
struct ColumnHead {
    ctx: PageCtx,
    stage_id: i64,
    label: String,
    probability: i32,
    count: i64,
    amount: String,
    weighted: String,
}

/// A column's cards (and the button for the next ones).
#[derive(Template)]
#[template(path = "opportunities/kanban_cards.html")]
struct Cards {
    ctx: PageCtx,
    stage_id: i64,
    cards: Vec<OpportunityView>,
    /// Every active stage, for the cards' move menu.
    stages: Vec<(i64, String)>,
    next_url: Option<String>,
    /// The board as it is now, to come back to after a move.
    back: String,
    can_move: bool,
    /// Render the "load more" box as an out-of-band swap (htmx).
    oob: bool,
}

struct Column {
    head: ColumnHead,
    cards: Cards,
}

#[derive(Template)]
#[template(path = "opportunities/kanban.html")]
struct BoardPage {
    ctx: PageCtx,
    query: BoardQuery,
    pipelines: Vec<PipelineView>,
    pipeline_id: i64,
    columns: Vec<Column>,
    people: Vec<(i64, String)>,
    departments: Vec<(i64, String)>,
    move_url: String,
    can_move: bool,
    can_approve: bool,
    can_create: bool,
}

fn cards_url(query: &BoardQuery, pipeline_id: i64, stage_id: i64, cursor: &str) -> String {
    format!("/board/cards?{}&stage_id={stage_id}&cursor={cursor}", query.pairs(pipeline_id))
}

fn heads(ctx: &PageCtx, columns: &[store::KanbanColumn]) -> Vec<ColumnHead> {
    columns
        .iter()
        .map(|c| ColumnHead {
            ctx: ctx.clone(),
            stage_id: c.stage.id,
            label: c.stage.label(&ctx.locale),
            probability: c.stage.probability,
            count: c.count,
            amount: ctx.money_in(&c.amount, ""),
            weighted: ctx.money_in(&c.weighted_amount, ""),
        })
        .collect()
}

/// The pipeline the board shows: the chosen one, or the first active one.
async fn board_pipelines(state: &AppState, actor: &Actor) -> Result<Vec<PipelineView>, StoreError> {
    let all = pipelines::list_pipelines(&state.store, actor, false).await?;
    if all.is_empty() {
        return Err(StoreError::NotFound);
    }
    Ok(all)
}

async fn board_page(request: Page, Query(query): Query<BoardQuery>) -> PageResult {
    let actor = request.actor();
    let all = board_pipelines(&request.state, actor).await?;
    let chosen = parse_id(&query.pipeline_id);
    let pipeline = all.iter().find(|p| Some(p.id) == chosen).unwrap_or(&all[0]);
    let filter = query.filter();
    let columns = match store::kanban(request.store(), actor, pipeline.id, &filter, CARDS_PER_PAGE).await {
        Ok(c) => c,
        Err(StoreError::Invalid(_)) => {
            store::kanban(request.store(), actor, pipeline.id, &OpportunityFilter::default(), CARDS_PER_PAGE).await?
        }
        Err(e) => return Err(e.into()),
    };
    let ctx = request.ctx("/board").await;
    let can_move = actor.can(Module::Opportunities, Action::Edit);
    let stages: Vec<(i64, String)> = pipeline.active_stages().map(|s| (s.id, s.label(request.locale()))).collect();
    let back = format!("/board?{}", query.pairs(pipeline.id));
    let column_heads = heads(&ctx, &columns);
    let columns = columns
        .into_iter()
        .zip(column_heads)
        .map(|(c, head)| Column {
            cards: Cards {
                ctx: ctx.clone(),
                stage_id: c.stage.id,
                next_url: c.cards.next_cursor.as_deref().map(|cur| cards_url(&query, pipeline.id, c.stage.id, cur)),
                cards: c.cards.items,
                stages: stages.clone(),
                back: back.clone(),
                can_move,
                oob: false,
            },
            head,
        })
        .collect();
    let people = salesflow_store::access::people_in_scope(request.store(), actor).await.unwrap_or_default();
    let departments = salesflow_store::access::department_names(request.store()).await.unwrap_or_default();
    let page = BoardPage {
        move_url: query.pairs(pipeline.id),
        pipeline_id: pipeline.id,
        ctx,
        query,
        pipelines: all,
        columns,
        people,
        departments,
        can_move,
        can_approve: actor.can(Module::Opportunities, Action::Approve),
        can_create: actor.can(Module::Opportunities, Action::Create),
    };
    Ok(render(&page.ctx, &page))
}

/// More cards of one column (or its first ones again), with the next
/// "load more" box swapped out of band (htmx).
async fn board_cards(request: Page, Query(query): Query<BoardQuery>) -> PageResult {
    let actor = request.actor();
    let (Some(pipeline_id), Some(stage_id)) = (parse_id(&query.pipeline_id), parse_id(&query.stage_id)) else {
        return Err(StoreError::NotFound.into());
    };
    let pipeline = pipelines::get_pipeline(request.store(), actor, pipeline_id).await?;
    if pipeline.stage(stage_id).is_none() {
        return Err(StoreError::NotFound.into());
    }
    let req =
        PageRequest { limit: Some(CARDS_PER_PAGE), cursor: query.cursor.clone().filter(|c| !c.is_empty()), sort: None };
    let page = store::kanban_cards(request.store(), actor, stage_id, &query.filter(), &req).await?;
    let ctx = request.ctx("/board").await;
    let fragment = Cards {
        ctx,
        stage_id,
        next_url: page.next_cursor.as_deref().map(|c| cards_url(&query, pipeline_id, stage_id, c)),
        cards: page.items,
        stages: pipeline.active_stages().map(|s| (s.id, s.label(request.locale()))).collect(),
        back: format!("/board?{}", query.pairs(pipeline_id)),
        can_move: actor.can(Module::Opportunities, Action::Edit),
        oob: true,
    };
    Ok(render(&fragment.ctx, &fragment))
}

/// A card dropped on another column: the move under the gate, answered
/// in JSON for assets/kanban.js — the card and every column's figures,
/// or the refusal with the missing items.
async fn board_move(
    request: Page,
    Path(id): Path<i64>,
    Query(query): Query<BoardQuery>,
    Form(form): Form<MoveForm>,
) -> PageResult {
    let actor = request.actor();
    let locale = request.meta.locale.as_str();
    let t = |k: &str| i18n::t(locale, k);
    let Ok(stage_id) = form.stage_id.trim().parse::<i64>() else {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(json!({ "message": t("errors.stage_not_in_pipeline") })))
            .into_response());
    };
    let reason = form.override_reason.clone();
    let input = MoveInput { stage_id, version: form.version, override_reason: reason.clone() };
    let moved = match store::move_opportunity(request.store(), actor, id, input).await {
        Ok(o) => o,
        Err(StoreError::Invalid(invalid)) => {
            let body = match gate_refusal(&request.state, locale, actor, &invalid, "move", stage_id, reason).await {
                Some(g) => json!({
                    "gate": true,
                    "message": t("kanban.refused"),
                    "missing": g.missing,
                    "can_override": g.can_override,
                    "reason_error": g.reason_error,
                }),
                None => {
                    let messages: Vec<String> = invalid.0.iter().map(|e| i18n::field_message(locale, e)).collect();
                    json!({ "message": messages.join(" ") })
                }
            };
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response());
        }
        Err(StoreError::Conflict(_)) => {
            return Ok((StatusCode::CONFLICT, Json(json!({ "message": t("kanban.conflict") }))).into_response());
        }
        Err(StoreError::NotFound) => {
            return Ok((StatusCode::NOT_FOUND, Json(json!({ "message": t("errors.not_found_page") }))).into_response());
        }
        Err(StoreError::Forbidden) => {
            return Ok((StatusCode::FORBIDDEN, Json(json!({ "message": t("errors.forbidden_page") }))).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    let pipeline = pipelines::get_pipeline(request.store(), actor, moved.pipeline_id).await?;
    let columns = store::kanban(request.store(), actor, pipeline.id, &query.filter(), 1).await?;
    let ctx = request.ctx("/board").await;
    let mut rendered_heads = Vec::new();
    for head in heads(&ctx, &columns) {
        match head.render() {
            Ok(html) => rendered_heads.push(json!({ "stage_id": head.stage_id, "html": html })),
            Err(e) => {
                tracing::error!(error = %e, "template failed");
                return Ok(StatusCode::INTERNAL_SERVER_ERROR.into_response());
            }
        }
    }
    let card = Cards {
        ctx: ctx.clone(),
        stage_id: moved.stage_id,
        stages: pipeline.active_stages().map(|s| (s.id, s.label(locale))).collect(),
        back: format!("/board?{}", query.pairs(pipeline.id)),
        cards: vec![moved],
        next_url: None,
        can_move: true,
        oob: false,
    };
    let Ok(card_html) = card.render() else {
        return Ok(StatusCode::INTERNAL_SERVER_ERROR.into_response());
    };
    Ok(Json(json!({ "card": card_html, "heads": rendered_heads, "message": t("opportunities.flash.moved") }))
        .into_response())
}
