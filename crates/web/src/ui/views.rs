//! Saving and deleting a list's views, and choosing its columns. Each form
//! sends the person back to the list it came from.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::post;
use salesflow_store::StoreError;
use salesflow_store::views;

use super::{redirect_flash, store_error_page};
use crate::auth::UiUser;
use crate::server::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/views", post(save_view))
        .route("/views/{id}/delete", post(delete_view))
        .route("/columns/{list}", post(save_columns))
}

/// The form's fields as pairs (checkbox lists repeat a name).
fn pairs(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

fn field(pairs: &[(String, String)], name: &str) -> String {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default()
}

/// Where to go back to: only a page of this site.
fn back(pairs: &[(String, String)]) -> String {
    let back = field(pairs, "back");
    if back.starts_with('/') && !back.starts_with("//") { back } else { "/".to_owned() }
}

async fn save_view(State(state): State<AppState>, UiUser(session, meta): UiUser, body: axum::body::Bytes) -> Response {
    let form = pairs(&body);
    let result = views::save_view(
        &state.store,
        &session.actor,
        &field(&form, "list"),
        &field(&form, "name"),
        &field(&form, "query"),
    )
    .await;
    match result {
        Ok(v) => redirect_flash(&format!("/{}?{}", v.list, v.query), "flash.view_saved"),
        Err(StoreError::Invalid(_)) => redirect_flash(&back(&form), "flash.view_invalid"),
        Err(e) => store_error_page(&meta.locale, e),
    }
}

async fn delete_view(
    State(state): State<AppState>,
    UiUser(session, meta): UiUser,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Response {
    match views::delete_view(&state.store, &session.actor, id).await {
        Ok(()) => redirect_flash(&back(&pairs(&body)), "flash.view_deleted"),
        Err(e) => store_error_page(&meta.locale, e),
    }
}

async fn save_columns(
    State(state): State<AppState>,
    UiUser(session, meta): UiUser,
    Path(list): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let form = pairs(&body);
    let chosen: Vec<String> = if field(&form, "reset").is_empty() {
        form.iter().filter(|(k, _)| k == "columns").map(|(_, v)| v.clone()).collect()
    } else {
        Vec::new()
    };
    match views::set_columns(&state.store, &session.actor, &list, &chosen, allowed_columns(&list)).await {
        Ok(()) => redirect_flash(&back(&form), "flash.saved"),
        Err(StoreError::Invalid(_)) => redirect_flash(&back(&form), "flash.view_invalid"),
        Err(e) => store_error_page(&meta.locale, e),
    }
}

/// The column codes each list accepts.
pub fn allowed_columns(list: &str) -> &'static [&'static str] {
    match list {
        "customers" => &super::customers::COLUMNS,
        "activities" => &super::activities::COLUMNS,
        _ => &[],
    }
}
