//! The dashboard (工作台): what exists so far, in figures the user may see.

use askama::Template;
use axum::Router;
use axum::response::Response;
use axum::routing::get;
use salesflow_domain::access::{Action, Module};
use salesflow_store::access;
use salesflow_store::audit::{self, AuditEntry, AuditFilter};
use salesflow_store::paging::PageRequest;

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
    today: String,
    users: Option<(u64, u64)>,
    departments: Option<usize>,
    roles: Option<usize>,
    recent: Vec<AuditEntry>,
    can_audit: bool,
    can_admin: bool,
}

async fn dashboard(request: Page) -> Response {
    let actor = request.actor();
    let ctx = request.ctx("/").await;
    let today = ctx.settings.format_date(ctx.settings.today());
    let can_view = actor.can(Module::Access, Action::View);
    let users = if can_view { access::user_counts(request.store(), actor).await.ok() } else { None };
    let departments =
        if can_view { access::list_departments(request.store(), actor).await.ok().map(|d| d.len()) } else { None };
    let roles = if can_view { access::list_roles(request.store(), actor).await.ok().map(|r| r.len()) } else { None };
    let can_audit = actor.can(Module::Audit, Action::View);
    let recent = if can_audit {
        let page = PageRequest { limit: Some(8), ..Default::default() };
        audit::list(request.store(), actor, &AuditFilter::default(), &page).await.map(|p| p.items).unwrap_or_default()
    } else {
        Vec::new()
    };
    let page = Dashboard {
        ctx,
        today,
        users,
        departments,
        roles,
        recent,
        can_audit,
        can_admin: actor.can(Module::Settings, Action::Edit),
    };
    render(&page.ctx, &page)
}
