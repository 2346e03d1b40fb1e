//! The list of all visits and contact records in one's scope, with the two
//! named archives over it: the visitor intention register
//! (到访客户意向登记表: visits to customers not closed yet, with the
//! intention noted) and the follow-up archive (客户跟踪档案: every contact
//! record of customers not closed yet).

use askama::Template;
use axum::Router;
use axum::extract::Query;
use axum::routing::get;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::activities::{ActivityKind, Intention};
use salesflow_store::activities::{self, ActivityFilter, ActivityView};
use salesflow_store::paging::PageRequest;
use serde::Deserialize;

use super::page::Page;
use super::views::{ViewsBar, chosen_columns};
use super::{FormErrors, PageCtx, render};
use crate::error::page::PageResult;
use crate::export;
use crate::input::dates::day_bound;
use crate::list_columns;
use crate::server::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/activities", get(list_page))
        .route("/activities/export.csv", get(export_csv))
        .route("/activities/export.xlsx", get(export_xlsx))
}

const DEFAULT_COLUMNS: [&str; 6] = ["kind", "subject", "intention", "next_step", "next_at", "recorded_by"];
const VISIT_REGISTER_COLUMNS: [&str; 7] =
    ["participants", "intention", "subject", "outcome", "next_step", "next_at", "recorded_by"];
const FOLLOW_UP_COLUMNS: [&str; 6] = ["kind", "subject", "outcome", "next_step", "next_at", "recorded_by"];

#[derive(Debug, Deserialize, Default)]
struct ListQuery {
    q: Option<String>,
    kind: Option<String>,
    intention: Option<String>,
    /// `mine`: only what I recorded.
    owner: Option<String>,
    from: Option<String>,
    to: Option<String>,
    /// `1`: only records with a follow-up date; `unanswered`: follow-up
    /// dates passed with nothing recorded since (the home page's figure).
    follow_up: Option<String>,
    /// Only the customers of this owner.
    customer_owner_id: Option<String>,
    /// `visits` (到访客户意向登记表) or `follow_up` (客户跟踪档案).
    archive: Option<String>,
    cursor: Option<String>,
}

impl ListQuery {
    fn archive(&self) -> &str {
        self.archive.as_deref().unwrap_or("")
    }

    fn filter(
        &self,
        actor: &salesflow_store::Actor,
        settings: &salesflow_domain::settings::Settings,
    ) -> Result<ActivityFilter, salesflow_domain::Invalid> {
        Ok(ActivityFilter {
            q: self.q.clone(),
            customer_id: None,
            kind: if self.archive() == "visits" { Some("visit".into()) } else { self.kind.clone() },
            owner_id: if self.owner.as_deref() == Some("mine") { actor.user_id } else { None },
            intention: self.intention.clone(),
            from: day_bound(settings, "from", self.from.as_deref(), false)?,
            to: day_bound(settings, "to", self.to.as_deref(), true)?,
            follow_up: self.follow_up.as_deref() == Some("1"),
            unanswered: self.follow_up.as_deref() == Some("unanswered"),
            customer_owner_id: self.customer_owner_id.as_deref().and_then(|v| v.parse().ok()),
            closed: matches!(self.archive(), "visits" | "follow_up").then_some(false),
        })
    }

    fn base_query(&self) -> String {
        super::query_string([
            ("archive", self.archive.as_deref()),
            ("q", self.q.as_deref()),
            ("kind", self.kind.as_deref()),
            ("intention", self.intention.as_deref()),
            ("owner", self.owner.as_deref()),
            ("from", self.from.as_deref()),
            ("to", self.to.as_deref()),
            ("follow_up", self.follow_up.as_deref()),
            ("customer_owner_id", self.customer_owner_id.as_deref()),
        ])
    }

    fn is(&self, value: &Option<String>, option: &str) -> bool {
        value.as_deref().unwrap_or("") == option
    }
}

/// The message key of a column's heading.
fn column_label(code: &str) -> &'static str {
    match code {
        "kind" => "activities.kind",
        "subject" => "activities.subject",
        "participants" => "activities.participants",
        "intention" => "activities.intention",
        "outcome" => "activities.outcome",
        "next_step" => "activities.next_step",
        "next_at" => "activities.next_at",
        _ => "activities.recorded_by",
    }
}

#[derive(Template)]
#[template(path = "activities/list.html")]
struct ListPage {
    ctx: PageCtx,
    rows: Rows,
    query: ListQuery,
    kinds: [ActivityKind; 5],
    intentions: [Intention; 3],
    bar: ViewsBar,
    errors: FormErrors,
    can_export: bool,
}

impl ListPage {
    fn title_key(&self) -> &'static str {
        match self.query.archive() {
            "visits" => "archives.visit_register",
            "follow_up" => "archives.follow_up",
            _ => "activities.list_title",
        }
    }

    fn hint_key(&self) -> &'static str {
        match self.query.archive() {
            "visits" => "archives.visit_register_hint",
            "follow_up" => "archives.follow_up_hint",
            _ => "activities.list_subtitle",
        }
    }

    fn export_link(&self, format: &str) -> String {
        format!("/activities/export.{format}?{}", self.query.base_query())
    }
}

#[derive(Template)]
#[template(path = "activities/rows.html")]
struct Rows {
    ctx: PageCtx,
    activities: Vec<ActivityView>,
    columns: Vec<String>,
    next_url: Option<String>,
    first_page: bool,
}

impl Rows {
    fn span(&self) -> usize {
        self.columns.len() + 2
    }

    fn cell_class(&self, index: &usize) -> &'static str {
        if *index < 1 { "" } else { "hide-sm" }
    }
}

async fn list_page(request: Page, Query(query): Query<ListQuery>) -> PageResult {
    let actor = request.actor();
    let ctx = request.ctx("/activities").await;
    let (filter, errors) = match query.filter(actor, &ctx.settings) {
        Ok(f) => (f, FormErrors::default()),
        Err(invalid) => (ActivityFilter::default(), FormErrors::from_invalid(request.locale(), &invalid)),
    };
    let req = PageRequest { limit: Some(50), cursor: query.cursor.clone(), sort: None };
    let page = activities::list_activities(request.store(), actor, &filter, &req).await?;
    let base = query.base_query();
    let next_url =
        page.next_cursor.map(|c| format!("/activities?{base}{}cursor={c}", if base.is_empty() { "" } else { "&" }));
    let columns = match query.archive() {
        "visits" => VISIT_REGISTER_COLUMNS.iter().map(|c| (*c).to_owned()).collect(),
        "follow_up" => FOLLOW_UP_COLUMNS.iter().map(|c| (*c).to_owned()).collect(),
        _ => chosen_columns(&request.state, actor, "activities", &list_columns::ACTIVITIES, &DEFAULT_COLUMNS).await,
    };
    let rows = Rows { ctx: ctx.clone(), activities: page.items, columns, next_url, first_page: query.cursor.is_none() };
    if request.meta.is_htmx {
        return Ok(render(&rows.ctx, &rows));
    }
    // The named archives have fixed columns.
    let choice: &[&'static str] = if query.archive().is_empty() { &list_columns::ACTIVITIES } else { &[] };
    let bar = ViewsBar::load(&request.state, actor, "activities", base, choice, &rows.columns, column_label).await;
    let page = ListPage {
        ctx,
        rows,
        query,
        kinds: ActivityKind::ALL,
        intentions: Intention::ALL,
        bar,
        errors,
        can_export: actor.can(Module::Customers, Action::Export),
    };
    Ok(render(&page.ctx, &page))
}

async fn export_csv(request: Page, query: Query<ListQuery>) -> PageResult {
    export_list(request, query, export::Format::Csv).await
}

async fn export_xlsx(request: Page, query: Query<ListQuery>) -> PageResult {
    export_list(request, query, export::Format::Xlsx).await
}

async fn export_list(request: Page, Query(query): Query<ListQuery>, format: export::Format) -> PageResult {
    export_activities(&request, &query, format).await
}

async fn export_activities(request: &Page, query: &ListQuery, format: export::Format) -> PageResult {
    let company = salesflow_store::settings::get(request.store()).await.map(|s| s.settings).unwrap_or_default();
    let filter = match query.filter(request.actor(), &company) {
        Ok(f) => f,
        Err(invalid) => return Err(salesflow_store::StoreError::Invalid(invalid).into()),
    };
    let stem = match query.archive() {
        "visits" => "visit-register",
        "follow_up" => "follow-up-archive",
        _ => "activities",
    };
    let fetch =
        export::activities(request.store().clone(), request.actor().clone(), filter, request.meta.locale.clone());
    super::export_download(request.store(), request.locale(), stem, &export::ACTIVITY_COLUMNS, fetch, format).await
}
