//! The home page (工作台): the caller's day, or the team's for a manager,
//! each figure linking to the list behind it (`store::home`).

use askama::Template;
use axum::Router;
use axum::response::Response;
use axum::routing::get;
use salesflow_store::home::{self, Home};

use super::PageResult;
use super::page::Page;
use super::{PageCtx, render};
use crate::server::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(dashboard))
}

#[derive(Template)]
#[template(path = "home.html")]
struct Dashboard {
    ctx: PageCtx,
    home: Home,
    can_create_customers: bool,
    can_create_deals: bool,
    user_id: Option<i64>,
    /// Everyone the recent changes name, by id.
    names: std::collections::HashMap<i64, String>,
    /// Approval requests waiting for the user (我的审批).
    approvals_waiting: u64,
    /// Overdue collections (回款), for those who see money.
    collections: Option<salesflow_store::finance::OverdueSummary>,
}

impl Dashboard {
    /// A recent change as a sentence in the reader's language.
    fn sentence(&self, e: &salesflow_store::audit::AuditEntry) -> String {
        crate::history::sentence_about(&self.ctx.locale, e, &self.names, self.home.record_name(e))
    }

    fn team(&self) -> bool {
        self.home.scope == "team"
    }

    /// The task list tab whose rows the figures count.
    fn task_tab(&self) -> &'static str {
        if self.team() { "all" } else { "mine" }
    }

    /// The deal list's owner filter for the caller's own figures.
    fn owner_param(&self) -> String {
        match (self.team(), self.user_id) {
            (false, Some(id)) => format!("&owner_id={id}"),
            _ => String::new(),
        }
    }

    fn closing_link(&self) -> String {
        format!(
            "/opportunities?status=open&close_from={}&close_to={}{}&sort=-amount",
            self.home.month_from,
            self.home.month_to,
            self.owner_param()
        )
    }

    /// Whether the stage rows come from more than one pipeline (then each
    /// names its pipeline).
    fn several_pipelines(&self) -> bool {
        self.home.pipeline.iter().any(|s| s.pipeline_id != self.home.pipeline[0].pipeline_id)
    }

    fn amount(&self, amount: &str) -> String {
        self.ctx.money(amount, "")
    }
}

/// The home of a role whose area is not built yet (warehouse, after-sales):
/// what they will find here, and what they may already open.
#[derive(Template)]
#[template(path = "home_awaiting.html")]
struct AwaitingHome {
    ctx: PageCtx,
    area: &'static str,
    can_view_customers: bool,
    can_view_deals: bool,
}

impl AwaitingHome {
    fn key(&self, part: &str) -> String {
        format!("{}_{part}", self.area)
    }
}

/// The warehouse's home: what to ship, what runs low, what is arriving.
#[derive(Template)]
#[template(path = "home_warehouse.html")]
struct WarehouseDesk {
    ctx: PageCtx,
    desk: salesflow_store::home::WarehouseHome,
    approvals_waiting: u64,
    can_draft_purchases: bool,
}

impl WarehouseDesk {
    /// Still to ship after its delivery date.
    fn late(&self, o: &salesflow_store::orders::OrderSummary) -> bool {
        o.delivery_date.is_some_and(|d| d < self.desk.today)
    }
}

async fn dashboard(request: Page) -> PageResult<Response> {
    let actor = request.actor();
    use salesflow_domain::access::{Action, Module, awaited_area};
    // Who keeps stock and sells nothing: the warehouse.
    if !actor.can(Module::Customers, Action::View) && actor.can(Module::Inventory, Action::Create) {
        let page = WarehouseDesk {
            desk: home::warehouse(request.store(), actor).await?,
            approvals_waiting: salesflow_store::approvals::waiting_count(request.store(), actor).await?,
            can_draft_purchases: actor.can(Module::Purchasing, Action::Create),
            ctx: request.ctx("/").await,
        };
        return Ok(render(&page.ctx, &page));
    }
    if let Some(area) = awaited_area(&actor.role_code) {
        let page = AwaitingHome {
            ctx: request.ctx("/").await,
            area: area.code(),
            can_view_customers: actor.can(Module::Customers, Action::View),
            can_view_deals: actor.can(Module::Opportunities, Action::View),
        };
        return Ok(render(&page.ctx, &page));
    }
    let home = home::home(request.store(), actor).await?;
    let names = salesflow_store::audit::people_named(request.store(), &home.recent).await?;
    let ctx = request.ctx("/").await;
    let page = Dashboard {
        names,
        can_create_customers: actor.can(Module::Customers, Action::Create),
        can_create_deals: actor.can(Module::Opportunities, Action::Create),
        user_id: actor.user_id,
        approvals_waiting: salesflow_store::approvals::waiting_count(request.store(), actor).await?,
        collections: if actor.can(Module::Finance, Action::View) {
            Some(salesflow_store::finance::overdue_summary(request.store(), actor).await?)
        } else {
            None
        },
        ctx,
        home,
    };
    Ok(render(&page.ctx, &page))
}
