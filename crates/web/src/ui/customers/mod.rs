//! Customer pages: the list with search and filters, the customer page
//! with its contacts, the form, and the public pool's claim and release.

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
use salesflow_domain::activities::{ActivityKind, Intention};
use salesflow_domain::customers::{ContactRole, Grade, parse_tags};
use salesflow_domain::money::Money;
use salesflow_store::StoreError;
use salesflow_store::activities::{self, ActivityInput, ActivityView};
use salesflow_store::audit::AuditEntry;
use salesflow_store::customers::{
    self, ContactFilter, ContactInput, ContactView, CustomerFilter, CustomerInput, CustomerView,
};
use salesflow_store::notifications::{self, Notice};
use salesflow_store::paging::PageRequest;
use serde::Deserialize;

use super::page::Page;
use super::views::{BulkForm, ViewsBar, bulk_outcome, chosen_columns};
use super::{FormErrors, PageCtx, redirect_flash, render};
use crate::error::page::PageResult;
use crate::export;
use crate::list_columns;
use crate::server::AppState;

mod activity_form;
mod contact_page;
mod contacts;
mod form;
mod list;
mod record;

use activity_form::*;
use contact_page::*;
use contacts::*;
use form::*;
use list::*;
use record::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/customers", get(list_page).post(create))
        .route("/customers/new", get(new_page))
        .route("/customers/bulk", post(bulk))
        .route("/customers/handover-requests", post(crate::ui::clash::request_handover))
        .route("/customers/export.csv", get(export_csv))
        .route("/customers/export.xlsx", get(export_xlsx))
        .route("/customers/{id}", get(show).post(update))
        .route("/customers/{id}/edit", get(edit_page))
        .route("/customers/{id}/claim", post(claim))
        .route("/customers/{id}/release", post(release))
        .route("/customers/{id}/delete", post(delete))
        .route("/customers/{id}/merge", post(merge))
        .route("/customers/{id}/contacts", post(add_contact))
        .route("/contacts", get(contacts_page))
        .route("/contacts/bulk", post(contacts_bulk))
        .route("/contacts/export.csv", get(contacts_export_csv))
        .route("/contacts/export.xlsx", get(contacts_export_xlsx))
        .route("/contacts/{id}", get(contact_page))
        .route("/contacts/{id}/edit", post(edit_contact))
        .route("/contacts/{id}/delete", post(delete_contact))
        .route("/customers/{id}/activities", post(log_activity))
        .route("/notifications", get(notices_page))
        .route("/notifications/{id}/read", post(read_notice))
}
