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

mod board;
mod form;
mod list;
mod record;

use board::*;
use form::*;
use list::*;
use record::*;

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
pub(super) fn back_to(back: &str, fallback: &str) -> String {
    crate::auth::local_redirect(Some(back), fallback)
}

pub(super) fn parse_date(value: &Option<String>) -> Option<NaiveDate> {
    value.as_deref().and_then(salesflow_domain::time::parse_day)
}

pub(super) fn parse_id(value: &Option<String>) -> Option<i64> {
    value.as_deref().and_then(|v| v.trim().parse().ok())
}

/// The stage's label in the reader's language (`G 电话邀约`).
pub(super) fn stage_label(o: &OpportunityView, locale: &str) -> String {
    format!("{} {}", o.stage_code, pipelines::localized(&o.stage_name, &o.stage_name_en, locale))
}

pub(super) fn status_badge(status: &str) -> &'static str {
    match OpportunityStatus::parse(status) {
        Some(OpportunityStatus::Won) => "green",
        Some(OpportunityStatus::Lost) => "red",
        _ => "blue",
    }
}

/// Whether the deal is still open (neither won nor lost).
pub(super) fn is_open(o: &OpportunityView) -> bool {
    OpportunityStatus::parse(&o.status) == Some(OpportunityStatus::Open)
}
