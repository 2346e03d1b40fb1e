//! Task pages: "my tasks" with tabs, filters and one-click completion, the
//! task form and page, and the month and week calendar.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Form, Router};
// A form whose fields repeat (the selected rows' `ids`).
use axum_extra::extract::Form as MultiForm;
use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};
use salesflow_domain::access::{Action, DataScope, Module};
use salesflow_domain::tasks::{Priority, TaskStatus, local_day};
use salesflow_domain::{FieldError, Invalid};
use salesflow_store::customers::{self, CustomerFilter};
use salesflow_store::paging::PageRequest;
use salesflow_store::tasks::{self, CalendarEvent, TaskFilter, TaskInput, TaskView};
use salesflow_store::{Actor, StoreError};
use serde::Deserialize;

use super::page::Page;
use super::views::{BulkForm, ViewsBar, bulk_outcome, chosen_columns};
use super::{FormErrors, PageCtx, redirect_flash, render};
use crate::error::page::PageResult;
use crate::input::dates::{DayEdge, when};
use crate::list_columns;
use crate::server::AppState;

mod calendar;
mod form;
mod list;
mod record;
mod status;

use calendar::*;
use form::*;
use list::*;
use record::*;
use status::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/tasks", get(list_page).post(create))
        .route("/tasks/export.csv", get(export_csv))
        .route("/tasks/export.xlsx", get(export_xlsx))
        .route("/tasks/new", get(new_page))
        .route("/tasks/bulk", post(bulk))
        .route("/tasks/customer-options", get(customer_options))
        .route("/tasks/{id}", get(show).post(update))
        .route("/tasks/{id}/edit", get(edit_page))
        .route("/tasks/{id}/complete", post(complete))
        .route("/tasks/{id}/reopen", post(reopen))
        .route("/tasks/{id}/delete", post(delete))
        .route("/calendar", get(calendar_page))
}

impl PageCtx {
    /// A due time as people think of it: just the day when it is the end
    /// of the day (as a due date typed as a day is), otherwise day and time.
    pub fn due(&self, at: &DateTime<Utc>) -> String {
        let local = self.settings.local_input(*at);
        if local.ends_with("T23:59") { self.settings.format_date(local_day(&self.settings, *at)) } else { self.dt(at) }
    }

    /// `HH:MM` in the company's time zone.
    pub fn time_of(&self, at: &DateTime<Utc>) -> String {
        self.settings.local_input(*at).get(11..16).unwrap_or_default().to_owned()
    }
}

/// Whether a task is closed (done or cancelled), for templates.
pub(super) fn closed(status: &str) -> bool {
    TaskStatus::parse(status).is_some_and(TaskStatus::is_closed)
}

/// Where to go back to after an action: a local path only.
pub(super) fn back_to(back: &str, fallback: &str) -> String {
    crate::auth::local_redirect(Some(back), fallback)
}
