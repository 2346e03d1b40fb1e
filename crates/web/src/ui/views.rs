//! Saving and deleting a list's views, and choosing its columns. Each form
//! sends the person back to the list it came from.

use axum::Router;
use axum::extract::Path;
use axum::routing::post;
use axum_extra::extract::Form;
use salesflow_store::saved_views::{self as views, SavedView};
use salesflow_store::{Actor, StoreError};
use serde::Deserialize;

use super::page::Page;
use super::redirect_flash;
use crate::error::page::PageResult;
use crate::server::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/views", post(save_view))
        .route("/views/{id}/delete", post(delete_view))
        .route("/columns/{list}", post(save_columns))
}

/// Where to go back to: only a page of this site.
fn back(back: &str) -> String {
    crate::auth::local_redirect(Some(back), "/")
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ViewForm {
    list: String,
    name: String,
    query: String,
    back: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct BackForm {
    back: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ColumnsForm {
    /// The chosen columns (a checkbox list repeats the name).
    columns: Vec<String>,
    /// Set: back to the list's default columns.
    reset: String,
    back: String,
}

async fn save_view(request: Page, Form(form): Form<ViewForm>) -> PageResult {
    let result = views::save_view(request.store(), request.actor(), &form.list, &form.name, &form.query).await;
    Ok(match result {
        Ok(v) => redirect_flash(&format!("/{}?{}", v.list, v.query), "flash.view_saved"),
        Err(StoreError::Invalid(_)) => redirect_flash(&back(&form.back), "flash.view_invalid"),
        Err(e) => return Err(e.into()),
    })
}

async fn delete_view(request: Page, Path(id): Path<i64>, Form(form): Form<BackForm>) -> PageResult {
    views::delete_view(request.store(), request.actor(), id).await?;
    Ok(redirect_flash(&back(&form.back), "flash.view_deleted"))
}

async fn save_columns(request: Page, Path(list): Path<String>, Form(form): Form<ColumnsForm>) -> PageResult {
    let chosen = if form.reset.is_empty() { form.columns } else { Vec::new() };
    Ok(
        match views::set_columns(request.store(), request.actor(), &list, &chosen, crate::list_columns::allowed(&list))
            .await
        {
            Ok(()) => redirect_flash(&back(&form.back), "flash.saved"),
            Err(StoreError::Invalid(_)) => redirect_flash(&back(&form.back), "flash.view_invalid"),
            Err(e) => return Err(e.into()),
        },
    )
}

/// One optional column of a list, as the column chooser offers it.
pub(super) struct ColumnChoice {
    pub code: &'static str,
    /// The message key of its heading.
    pub label: &'static str,
    pub shown: bool,
}

/// What the views bar above every list shows (templates/_views_bar.html):
/// the person's saved views of the list, "save this view" and the column
/// chooser.
pub(super) struct ViewsBar {
    /// The list's name in `views::LISTS`; its page is `/{list}`.
    pub list: &'static str,
    /// The list's current filters as a query string, without the cursor.
    pub query: String,
    pub views: Vec<SavedView>,
    /// Empty: the list offers no column choice here.
    pub columns: Vec<ColumnChoice>,
}

impl ViewsBar {
    /// Loads the person's views of `list`; `all` are the list's optional
    /// columns, `shown` the ones on screen, `label` gives a column's heading.
    pub async fn load(
        state: &AppState,
        actor: &Actor,
        list: &'static str,
        query: String,
        all: &[&'static str],
        shown: &[String],
        label: fn(&str) -> &'static str,
    ) -> ViewsBar {
        let columns = all
            .iter()
            .map(|code| ColumnChoice { code, label: label(code), shown: shown.iter().any(|s| s == code) })
            .collect();
        let views = views::list_views(&state.store, actor, list).await.unwrap_or_default();
        ViewsBar { list, query, views, columns }
    }

    /// The list as it is now, to come back to after a form.
    pub fn back(&self) -> String {
        if self.query.is_empty() { format!("/{}", self.list) } else { format!("/{}?{}", self.list, self.query) }
    }

    pub fn link(&self, view: &SavedView) -> String {
        if view.query.is_empty() { format!("/{}", self.list) } else { format!("/{}?{}", self.list, view.query) }
    }

    pub fn active(&self, view: &SavedView) -> bool {
        view.query == self.query
    }
}

/// The columns a person chose for a list (those the list still has), or
/// the default ones.
pub(super) async fn chosen_columns(
    state: &AppState,
    actor: &Actor,
    list: &str,
    all: &[&str],
    default: &[&str],
) -> Vec<String> {
    match views::columns(&state.store, actor, list).await {
        Ok(Some(chosen)) if !chosen.is_empty() => chosen.into_iter().filter(|c| all.contains(&c.as_str())).collect(),
        _ => default.iter().map(|c| (*c).to_owned()).collect(),
    }
}

/// A bulk-action form: the selected rows (repeated `ids`) and what to do
/// with them.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct BulkForm {
    ids: Vec<String>,
    pub action: String,
    pub owner_id: String,
    pub assignee_id: String,
    pub tag: String,
    back: String,
}

impl BulkForm {
    /// The selected rows; an id that is not a number is left out.
    pub fn ids(&self) -> Vec<i64> {
        self.ids.iter().filter_map(|v| v.trim().parse().ok()).collect()
    }

    /// Back to the list the form came from (`list_path` when it says none).
    pub fn back(&self, list_path: &str) -> String {
        if self.back.starts_with(list_path) {
            crate::auth::local_redirect(Some(&self.back), list_path)
        } else {
            list_path.to_owned()
        }
    }
}

/// Where a bulk action sends the person: back to the list, with a message
/// that says what happened (`refused_key` when some rows were out of reach).
pub(super) fn bulk_outcome(result: Result<u64, StoreError>, back: &str, refused_key: &str) -> PageResult {
    Ok(match result {
        Ok(_) => redirect_flash(back, "flash.bulk_done"),
        Err(StoreError::Invalid(invalid)) => {
            let key = if invalid.0.iter().any(|e| e.code == "lead_converted") {
                "lists.flash.leads_converted"
            } else {
                "lists.flash.bulk_invalid"
            };
            redirect_flash(back, key)
        }
        Err(StoreError::NotFound) | Err(StoreError::Forbidden) => redirect_flash(back, refused_key),
        Err(StoreError::Conflict(_)) => redirect_flash(back, "flash.stale"),
        Err(e) => return Err(e.into()),
    })
}
