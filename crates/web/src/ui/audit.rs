//! The audit log page: search by who, what, which record and when.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::Query;
use axum::routing::get;
use salesflow_store::access;
use salesflow_store::audit::{self, AuditEntry, AuditFilter};
use salesflow_store::paging::PageRequest;
use serde::Deserialize;

use super::page::Page;
use super::{FormErrors, PageCtx, render};
use crate::error::page::PageResult;
use crate::input::dates::parse_bound;
use crate::server::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/audit", get(audit_page))
}

#[derive(Debug, Deserialize, Default)]
struct AuditQuery {
    actor_id: Option<String>,
    action: Option<String>,
    entity_type: Option<String>,
    entity_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
}

impl AuditQuery {
    fn base_query(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("actor_id", &self.actor_id),
            ("action", &self.action),
            ("entity_type", &self.entity_type),
            ("entity_id", &self.entity_id),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                out.append_pair(k, v);
            }
        }
        out.finish()
    }
}

#[derive(Template)]
#[template(path = "audit/list.html")]
struct AuditPage {
    ctx: PageCtx,
    rows: AuditRows,
    query: AuditQuery,
    users: Vec<(i64, String)>,
    errors: FormErrors,
}

#[derive(Template)]
#[template(path = "audit/rows.html")]
struct AuditRows {
    ctx: PageCtx,
    entries: Vec<AuditEntry>,
    /// Everyone the page's entries name, by id (one query).
    names: HashMap<i64, String>,
    next_url: Option<String>,
    first_page: bool,
}

impl AuditRows {
    /// The entry as a sentence in the reader's language, people by name.
    fn sentence(&self, e: &AuditEntry) -> String {
        crate::history::sentence(&self.ctx.locale, e, &self.names)
    }

    /// The raw JSON behind the "details" toggle.
    fn details(&self, e: &AuditEntry) -> Option<String> {
        crate::history::details(e)
    }
}

/// The action filter's choices: a prefix ending in `.` stands for every
/// action of an area. Each has a label in `audit_actions` of both locales.
pub const ACTION_FILTERS: [&str; 27] = [
    "customer.",
    "customer.create",
    "customer.update",
    "customer.delete",
    "customer.assign",
    "customer.tag",
    "customer.merge",
    "customer.claim",
    "customer.release",
    "customer.transfer",
    "contact.",
    "activity.create",
    "lead.",
    "lead.convert",
    "task.",
    "import.",
    "import.customers",
    "import.contacts",
    "import.leads",
    "auth.",
    "auth.login",
    "auth.login_failed",
    "user.",
    "department.",
    "role.",
    "api_token.",
    "settings.update",
];

impl AuditPage {
    fn action_filters(&self) -> &'static [&'static str] {
        &ACTION_FILTERS
    }

    fn actor_selected(&self, id: &i64) -> bool {
        self.query.actor_id.as_deref() == Some(id.to_string().as_str())
    }

    fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }
}

async fn audit_page(request: Page, Query(query): Query<AuditQuery>) -> PageResult {
    let mut errors = FormErrors::default();
    let from = parse_bound(query.from.as_deref(), false).unwrap_or_else(|_| {
        errors = FormErrors::one(request.locale(), "from", "invalid_date");
        None
    });
    let to = parse_bound(query.to.as_deref(), true).unwrap_or_else(|_| {
        errors = FormErrors::one(request.locale(), "to", "invalid_date");
        None
    });
    let filter = AuditFilter {
        actor_id: query.actor_id.as_deref().and_then(|v| v.parse().ok()),
        action: query.action.clone(),
        entity_type: query.entity_type.clone(),
        entity_id: query.entity_id.as_deref().and_then(|v| v.parse().ok()),
        from,
        to,
    };
    let req = PageRequest { limit: Some(50), cursor: query.cursor.clone(), sort: None };
    let page = audit::list(request.store(), request.actor(), &filter, &req).await?;
    let ctx = request.ctx("/admin/audit").await;
    let base = query.base_query();
    let next_url =
        page.next_cursor.map(|c| format!("/admin/audit?{base}{}cursor={c}", if base.is_empty() { "" } else { "&" }));
    let names = audit::people_named(request.store(), &page.items).await?;
    let rows = AuditRows { ctx: ctx.clone(), entries: page.items, names, next_url, first_page: query.cursor.is_none() };
    if request.meta.is_htmx {
        return Ok(render(&rows.ctx, &rows));
    }
    let users = access::user_names(request.store()).await.unwrap_or_default();
    let page = AuditPage { ctx, rows, query, users, errors };
    Ok(render(&page.ctx, &page))
}

#[cfg(test)]
mod tests {
    use super::ACTION_FILTERS;

    #[test]
    fn every_action_filter_has_a_label_in_both_languages() {
        for locale in ["en", "zh-CN"] {
            for code in ACTION_FILTERS {
                let key = format!("audit_actions.{code}");
                let text = crate::i18n::t(locale, &key);
                assert!(!text.ends_with(&key), "{locale}: no label for {code}");
            }
        }
        for area in ["lead.", "task.", "import.", "customer.assign", "customer.tag", "customer.merge"] {
            assert!(ACTION_FILTERS.contains(&area), "{area} is offered");
        }
    }
}
