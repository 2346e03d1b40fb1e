//! The top bar's search box: results as you type (an htmx fragment under
//! the box) and the same results as a page (`/search?q=`, without script).

use askama::Template;
use axum::Router;
use axum::extract::Query;
use axum::response::Response;
use axum::routing::get;
use salesflow_store::global_search::{self, Found, SearchResults};
use serde::Deserialize;

use super::page::Page;
use super::{PageCtx, PageResult, render};
use crate::server::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/search", get(search))
}

#[derive(Debug, Deserialize, Default)]
struct SearchQuery {
    q: Option<String>,
}

#[derive(Template)]
#[template(path = "search/results.html")]
struct Results {
    ctx: PageCtx,
    q: String,
    found: SearchResults,
}

impl Results {
    /// Each kind's heading and what was found of it.
    fn groups(&self) -> [(&'static str, &Vec<Found>); 4] {
        [
            ("search.customers", &self.found.customers),
            ("search.contacts", &self.found.contacts),
            ("search.leads", &self.found.leads),
            ("search.opportunities", &self.found.opportunities),
        ]
    }
}

#[derive(Template)]
#[template(path = "search/page.html")]
struct SearchPage {
    ctx: PageCtx,
    results: Results,
}

/// Records of each kind: a few under the box, more on the page.
const UNDER_THE_BOX: u64 = 5;
const ON_THE_PAGE: u64 = 20;

async fn search(request: Page, Query(query): Query<SearchQuery>) -> PageResult<Response> {
    let q = query.q.unwrap_or_default();
    let per_kind = if request.meta.is_htmx { UNDER_THE_BOX } else { ON_THE_PAGE };
    let found = global_search::search_everything(request.store(), request.actor(), &q, per_kind).await?;
    let ctx = request.ctx("/search").await;
    let results = Results { ctx: ctx.clone(), q, found };
    if request.meta.is_htmx {
        return Ok(render(&results.ctx, &results));
    }
    let page = SearchPage { ctx, results };
    Ok(render(&page.ctx, &page))
}
