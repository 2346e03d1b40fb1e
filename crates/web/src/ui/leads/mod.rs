//! Lead pages: the list with search, status tabs and filters, the form with
//! the duplicate warning, and the lead page with quick status buttons and
//! the conversion into customer and contact.

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
// A form whose fields repeat (the selected rows' `ids`).
use axum_extra::extract::Form as MultiForm;
use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::customers::ContactRole;
use salesflow_domain::leads::{Intention, LeadStatus};
use salesflow_domain::money::Money;
use salesflow_store::leads::{
    self, ConversionPreview, ConvertInput, ConvertOpportunity, LeadDuplicate, LeadFilter, LeadInput, LeadView,
};
use salesflow_store::paging::PageRequest;
use salesflow_store::{Actor, StoreError};
use serde::Deserialize;

use super::page::Page;
use super::views::{BulkForm, ViewsBar, bulk_outcome, chosen_columns};
use super::{FormErrors, PageCtx, non_empty, opt_id, redirect_flash, render};
use crate::error::page::PageResult;
use crate::list_columns;
use crate::server::AppState;

mod form;
mod list;
mod record;

use form::*;
use list::*;
use record::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/leads", get(list_page).post(create))
        .route("/leads/new", get(new_page))
        .route("/leads/bulk", post(bulk))
        .route("/leads/export.csv", get(export_csv))
        .route("/leads/export.xlsx", get(export_xlsx))
        .route("/leads/{id}", get(show).post(update))
        .route("/leads/{id}/edit", get(edit_page))
        .route("/leads/{id}/status", post(change_status))
        .route("/leads/{id}/convert", post(convert))
        .route("/leads/{id}/delete", post(delete))
        .route("/leads/{id}/restore", post(restore))
}

/// A lead's badge colour by its status.
pub(super) fn status_badge(status: &str) -> &'static str {
    match LeadStatus::parse(status) {
        Some(LeadStatus::Qualified) => "green",
        Some(LeadStatus::Disqualified) => "red",
        Some(LeadStatus::Contacted) => "blue",
        _ => "gray",
    }
}
