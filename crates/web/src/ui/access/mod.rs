//! Administration pages: users, departments, roles, API tokens, outbox.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use salesflow_domain::access::{Action, DataScope, Module, Permissions};
use salesflow_domain::{Invalid, settings::LOCALES};
use salesflow_store::access::{
    self, ApiTokenView, DepartmentInput, DepartmentView, NewUser, RoleInput, RoleView, UserFilter, UserPatch, UserView,
};
use salesflow_store::notifications::{self, OutboxMessage};
use salesflow_store::paging::PageRequest;
use salesflow_store::{Actor, StoreError};
use serde::Deserialize;

use super::page::Page;
use super::{FormErrors, PageCtx, non_empty, opt_id, redirect_flash, render};
use crate::error::page::PageResult;
use crate::server::AppState;

mod departments;
mod outbox;
mod roles;
mod tokens;
mod users;

use departments::*;
use outbox::*;
use roles::*;
use tokens::*;
use users::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(users_page).post(create_user))
        .route("/admin/users/new", get(new_user_page))
        .route("/admin/users/{id}", get(edit_user_page).post(update_user))
        .route("/admin/users/{id}/active", post(set_active))
        .route("/admin/users/{id}/delete", post(delete_user))
        .route("/admin/users/{id}/restore", post(restore_user))
        .route("/admin/users/{id}/transfer", post(transfer_user))
        .route("/admin/departments", get(departments_page).post(create_department))
        .route("/admin/departments/{id}", get(edit_department_page).post(update_department))
        .route("/admin/departments/{id}/delete", post(delete_department))
        .route("/admin/roles", get(roles_page).post(create_role))
        .route("/admin/roles/new", get(new_role_page))
        .route("/admin/roles/{id}", get(edit_role_page).post(update_role))
        .route("/admin/roles/{id}/delete", post(delete_role))
        .route("/admin/api-tokens", get(tokens_page).post(create_token))
        .route("/admin/api-tokens/{id}/revoke", post(revoke_token))
        .route("/admin/outbox", get(outbox_page))
}

/// Names for pickers and tables: roles and departments by id.
pub(super) struct Lookups {
    pub(super) roles: Vec<RoleView>,
    pub(super) departments: Vec<DepartmentView>,
}

impl Lookups {
    pub(super) async fn load(state: &AppState, actor: &Actor) -> Result<Lookups, StoreError> {
        Ok(Lookups {
            roles: access::list_roles(&state.store, actor).await?,
            departments: access::list_departments(&state.store, actor).await?,
        })
    }

    /// A department's name indented by its depth, for `<select>`.
    pub(super) fn indented(&self, d: &DepartmentView) -> String {
        format!("{}{}", "\u{3000}".repeat(d.depth), d.name)
    }
}
