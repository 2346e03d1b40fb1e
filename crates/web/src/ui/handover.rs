//! The hand-over page (移交): a manager picks whose records move, to whom,
//! which kinds, and all of them, a selection or the customers matching a
//! filter; a preview counts what would move, then the hand-over runs and
//! says what moved. The rules are the store's (`handover`); this page only
//! gathers the plan.

use askama::Template;
use axum::Router;
use axum::extract::Query;
use axum::response::Response;
use axum::routing::{get, post};
use axum_extra::extract::Form as MultiForm;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::customers::Grade;
use salesflow_store::StoreError;
use salesflow_store::customers::{CustomerFilter, CustomerView};
use salesflow_store::handover::{
    self, Handover, HandoverFilter, HandoverKinds, HandoverPick, HandoverPlan, HandoverSelection,
};
use salesflow_store::leads::{LeadFilter, LeadView};
use salesflow_store::opportunities::{OpportunityFilter, OpportunityView};
use salesflow_store::paging::PageRequest;
use salesflow_store::tasks::{TaskFilter, TaskView};
use serde::Deserialize;

use super::page::Page;
use super::{FormErrors, PageCtx, PageResult, id_param, render};
use crate::server::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/handover", get(handover_page).post(run_handover))
        .route("/handover/preview", post(preview_handover))
        .route("/people/options", get(person_options))
}

/// Records of each kind listed for picking one by one.
const LISTED: u64 = 200;

#[derive(Debug, Deserialize, Default, Clone)]
pub(super) struct HandoverForm {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    /// `all`, `selected` or `filter`.
    #[serde(default)]
    mode: String,
    /// The kinds ticked: `customers`, `opportunities`, `leads`, `tasks`.
    #[serde(default)]
    kinds: Vec<String>,
    #[serde(default)]
    customer_ids: Vec<String>,
    #[serde(default)]
    opportunity_ids: Vec<String>,
    #[serde(default)]
    lead_ids: Vec<String>,
    #[serde(default)]
    task_ids: Vec<String>,
    #[serde(default)]
    grade: String,
    #[serde(default)]
    industry: String,
    #[serde(default)]
    province: String,
    #[serde(default)]
    tag: String,
    /// After a hand-over: what moved, `customers.opportunities.leads.tasks`.
    #[serde(default)]
    moved: String,
}

fn ids(values: &[String]) -> Vec<i64> {
    values.iter().filter_map(|v| v.trim().parse().ok()).collect()
}

fn text(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

impl HandoverForm {
    fn mode(&self) -> &str {
        match self.mode.as_str() {
            "selected" | "filter" => &self.mode,
            _ => "all",
        }
    }

    fn kinds(&self) -> HandoverKinds {
        let has = |k: &str| self.kinds.iter().any(|v| v == k);
        HandoverKinds {
            customers: has("customers"),
            opportunities: has("opportunities"),
            leads: has("leads"),
            tasks: has("tasks"),
        }
    }

    fn plan(&self) -> Option<HandoverPlan> {
        let from = self.from.trim().parse().ok()?;
        let to = self.to.trim().parse().unwrap_or(0);
        let pick = match self.mode() {
            "selected" => HandoverPick::Selected(HandoverSelection {
                customers: ids(&self.customer_ids),
                opportunities: ids(&self.opportunity_ids),
                leads: ids(&self.lead_ids),
                tasks: ids(&self.task_ids),
            }),
            "filter" => HandoverPick::Filter(HandoverFilter {
                grade: text(&self.grade),
                industry: text(&self.industry),
                province: text(&self.province),
                tag: text(&self.tag),
            }),
            _ => HandoverPick::All,
        };
        Some(HandoverPlan { from, to, kinds: self.kinds(), pick })
    }
}

#[derive(Template)]
#[template(path = "handover/page.html")]
struct HandoverPage {
    ctx: PageCtx,
    form: HandoverForm,
    people: Vec<(i64, String)>,
    grades: [Grade; 3],
    /// The chosen person's records, to pick from (empty before one is chosen).
    customers: Vec<CustomerView>,
    opportunities: Vec<OpportunityView>,
    leads: Vec<LeadView>,
    tasks: Vec<TaskView>,
    preview: Option<Handover>,
    moved: Option<Handover>,
    errors: FormErrors,
}

impl HandoverPage {
    fn chosen(&self) -> bool {
        id_param(&Some(self.form.from.clone())).is_some()
    }
    fn is_from(&self, id: &i64) -> bool {
        self.form.from.trim() == id.to_string()
    }
    fn is_to(&self, id: &i64) -> bool {
        self.form.to.trim() == id.to_string()
    }
    fn is_mode(&self, mode: &str) -> bool {
        self.form.mode() == mode
    }
    fn kind_on(&self, kind: &str) -> bool {
        self.form.kinds.iter().any(|k| k == kind)
    }
    fn picked(&self, kind: &str, id: &i64) -> bool {
        let list = match kind {
            "customers" => &self.form.customer_ids,
            "opportunities" => &self.form.opportunity_ids,
            "leads" => &self.form.lead_ids,
            _ => &self.form.task_ids,
        };
        list.iter().any(|v| v.trim() == id.to_string())
    }
    fn grade_on(&self, g: &str) -> bool {
        self.form.grade == g
    }
    /// The kinds with their heading key, for the counts tables.
    fn rows(counts: &Handover) -> [(&'static str, u64); 4] {
        [
            ("handover.customers", counts.customers),
            ("handover.opportunities", counts.opportunities),
            ("handover.leads", counts.leads),
            ("handover.tasks", counts.tasks),
        ]
    }
}

fn parse_moved(v: &str) -> Option<Handover> {
    let n: Vec<u64> = v.split('.').filter_map(|p| p.parse().ok()).collect();
    (n.len() == 4).then(|| Handover { customers: n[0], opportunities: n[1], leads: n[2], tasks: n[3] })
}

async fn page(
    request: &Page,
    mut form: HandoverForm,
    preview: Option<Handover>,
    errors: FormErrors,
    status: axum::http::StatusCode,
) -> PageResult<Response> {
    let actor = request.actor();
    actor.require(Module::Customers, Action::Administer)?;
    if form.kinds.is_empty() {
        form.kinds = ["customers", "opportunities", "leads", "tasks"].map(String::from).to_vec();
    }
    let people = salesflow_store::access::people_in_scope(request.store(), actor).await.unwrap_or_default();
    let from = id_param(&Some(form.from.clone())).filter(|id| actor.sees_owner(Some(*id)));
    let req = PageRequest { limit: Some(LISTED), ..Default::default() };
    let store = request.store();
    let (mut customers, mut opportunities, mut leads, mut tasks) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    if let Some(from) = from {
        let f = CustomerFilter { owner_id: Some(from), ..Default::default() };
        customers = salesflow_store::customers::list_customers(store, actor, &f, &req).await?.items;
        let f = OpportunityFilter { owner_id: Some(from), status: Some("open".into()), ..Default::default() };
        opportunities = salesflow_store::opportunities::list_opportunities(store, actor, &f, &req).await?.items;
        let f = LeadFilter { owner_id: Some(from), converted: Some(false), ..Default::default() };
        leads = salesflow_store::leads::list_leads(store, actor, &f, &req).await?.items;
        let f = TaskFilter { assignee_id: Some(from), status: Some("open".into()), ..Default::default() };
        tasks = salesflow_store::tasks::list_tasks(store, actor, &f, &req).await?.items;
    }
    let moved = parse_moved(&form.moved);
    let ctx = request.ctx("/handover").await;
    let page = HandoverPage {
        ctx,
        form,
        people,
        grades: Grade::ALL,
        customers,
        opportunities,
        leads,
        tasks,
        preview,
        moved,
        errors,
    };
    Ok((status, render(&page.ctx, &page)).into_response())
}

use axum::response::IntoResponse;

async fn handover_page(request: Page, MultiForm(form): MultiForm<HandoverForm>) -> PageResult<Response> {
    page(&request, form, None, FormErrors::default(), axum::http::StatusCode::OK).await
}

/// Counts what the plan would move and shows the page again with the
/// counts and the button that runs it.
async fn preview_handover(request: Page, MultiForm(form): MultiForm<HandoverForm>) -> PageResult<Response> {
    let Some(plan) = form.plan() else {
        let errors = FormErrors::one(request.locale(), "from", "required");
        return page(&request, form, None, errors, axum::http::StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    match handover::preview(request.store(), request.actor(), &plan).await {
        Ok(counts) => page(&request, form, Some(counts), FormErrors::default(), axum::http::StatusCode::OK).await,
        Err(StoreError::Invalid(invalid)) => {
            let errors = FormErrors::from_invalid(request.locale(), &invalid);
            page(&request, form, None, errors, axum::http::StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Runs the hand-over, then shows what moved.
async fn run_handover(request: Page, MultiForm(form): MultiForm<HandoverForm>) -> PageResult<Response> {
    let Some(plan) = form.plan() else {
        let errors = FormErrors::one(request.locale(), "from", "required");
        return page(&request, form, None, errors, axum::http::StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    match handover::run(request.store(), request.actor(), &plan).await {
        Ok(m) => {
            let to = format!(
                "/handover?from={}&moved={}.{}.{}.{}",
                plan.from, m.customers, m.opportunities, m.leads, m.tasks
            );
            Ok(super::redirect_flash(&to, "flash.handed_over"))
        }
        Err(StoreError::Invalid(invalid)) => {
            let errors = FormErrors::from_invalid(request.locale(), &invalid);
            page(&request, form, None, errors, axum::http::StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize, Default)]
struct PeopleQuery {
    q: Option<String>,
}

/// The person picker's matches (ids, sorted by pinyin) for what was typed:
/// people in the caller's scope by name, pinyin or pinyin initials.
async fn person_options(request: Page, Query(q): Query<PeopleQuery>) -> PageResult<Response> {
    let found =
        salesflow_store::access::find_people(request.store(), request.actor(), q.q.as_deref().unwrap_or(""), 200)
            .await?;
    let ids: Vec<i64> = found.into_iter().map(|p| p.id).collect();
    Ok(axum::Json(ids).into_response())
}
