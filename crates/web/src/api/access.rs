//! Users, departments, roles and API tokens.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use salesflow_domain::Invalid;
use salesflow_domain::access::{DataScope, Permissions};
use salesflow_store::access::{
    self, ApiTokenView, DepartmentInput, DepartmentView, NewUser, RoleInput, RoleView, UserFilter, UserPatch, UserView,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::body::MergePatch;
use super::{ApiJson, ApiQuery, OrApi, Page, PageParams};
use crate::auth::ApiCaller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::i18n::named_role;
use crate::server::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user, delete_user))
        .routes(routes!(restore_user))
        .routes(routes!(transfer_user))
        .routes(routes!(list_departments, create_department))
        .routes(routes!(update_department, delete_department))
        .routes(routes!(restore_department))
        .routes(routes!(list_roles, create_role))
        .routes(routes!(get_role, update_role, delete_role))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
}

// ---------------------------------------------------------------- users

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Part of a username, display name or e-mail address.
    pub q: Option<String>,
    pub role_id: Option<i64>,
    pub department_id: Option<i64>,
    pub active: Option<bool>,
    /// `true` lists deleted users (to restore them).
    pub deleted: Option<bool>,
}

/// Users in the caller's data scope. Sort: `display_name` (default),
/// `username`, `created_at`, `updated_at`, `id`.
#[utoipa::path(get, path = "/users", tag = "access", params(UserQuery, PageParams),
    responses((status = 200, body = Page<UserView>), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_users(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiQuery(q): ApiQuery<UserQuery>,
    ApiQuery(paging): ApiQuery<PageParams>,
) -> ApiResult<Json<Page<UserView>>> {
    let filter = UserFilter {
        q: q.q.clone(),
        role_id: q.role_id,
        department_id: q.department_id,
        active: q.active,
        deleted: q.deleted.unwrap_or(false),
    };
    let page = access::list_users(&state.store, &session.actor, &filter, &paging.page()).await.api(&meta)?;
    Ok(Json(page.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub password: String,
    pub role_id: i64,
    pub department_id: Option<i64>,
    /// `zh-CN` or `en`; empty follows the browser.
    pub locale: Option<String>,
}

#[utoipa::path(post, path = "/users", tag = "access", request_body = NewUserBody,
    responses((status = 201, body = UserView), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn create_user(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiJson(body): ApiJson<NewUserBody>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    let new = NewUser {
        username: body.username,
        email: body.email,
        display_name: body.display_name,
        password: body.password,
        role_id: body.role_id,
        department_id: body.department_id,
        locale: body.locale,
    };
    let user = access::create_user(&state.store, &session.actor, new).await.api(&meta)?;
    Ok((StatusCode::CREATED, Json(user)))
}

#[utoipa::path(get, path = "/users/{id}", tag = "access", params(("id" = i64, Path)),
    responses((status = 200, body = UserView), (status = 404, body = Problem)))]
async fn get_user(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<UserView>> {
    Ok(Json(access::get_user(&state.store, &session.actor, id).await.api(&meta)?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatchBody {
    /// The `version` last read; a stale one is refused with 409.
    pub version: i64,
    pub email: String,
    pub display_name: String,
    /// Changing it needs the administer right on access.
    pub role_id: i64,
    pub department_id: Option<i64>,
    /// `zh-CN` or `en`; `null` follows the browser.
    pub locale: Option<String>,
    /// `false` deactivates: the user's sessions and tokens stop at once.
    pub active: bool,
}

/// Changes the fields the body names (RFC 7396 merge patch: absent =
/// unchanged, `null` = cleared); `version` must be the one last read.
#[utoipa::path(patch, path = "/users/{id}", tag = "access", params(("id" = i64, Path)), request_body = UserPatchBody,
    responses((status = 200, body = UserView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update_user(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    patch: MergePatch,
) -> ApiResult<Json<UserView>> {
    let current = access::get_user(&state.store, &session.actor, id).await.api(&meta)?;
    let base = serde_json::json!({
        "email": current.email,
        "display_name": current.display_name,
        "role_id": current.role_id,
        "department_id": current.department_id,
        "locale": current.locale,
        "active": current.active,
    });
    let body: UserPatchBody = patch.apply(base, &meta.locale)?;
    // Only what changes is passed on: a new role needs more rights than
    // other changes, and an unchanged one must not ask for them.
    let changed = |same: bool| !same;
    let patch = UserPatch {
        version: body.version,
        email: changed(body.email == current.email).then_some(body.email),
        display_name: changed(body.display_name == current.display_name).then_some(body.display_name),
        role_id: changed(body.role_id == current.role_id).then_some(body.role_id),
        department_id: changed(body.department_id == current.department_id).then_some(body.department_id),
        locale: changed(body.locale == current.locale).then_some(body.locale),
        active: changed(body.active == current.active).then_some(body.active),
    };
    Ok(Json(access::update_user(&state.store, &session.actor, id, patch).await.api(&meta)?))
}

/// Soft-deletes a user (restorable); their sessions and tokens end.
#[utoipa::path(delete, path = "/users/{id}", tag = "access", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn delete_user(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    access::set_user_deleted(&state.store, &session.actor, id, true).await.api(&meta)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/users/{id}/restore", tag = "access", params(("id" = i64, Path)),
    responses((status = 200, body = UserView), (status = 404, body = Problem)))]
async fn restore_user(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<UserView>> {
    Ok(Json(access::set_user_deleted(&state.store, &session.actor, id, false).await.api(&meta)?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferBody {
    pub to_user_id: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TransferAnswer {
    /// How many customers moved.
    pub customers: u64,
    /// How many open tasks moved.
    pub tasks: u64,
    /// How many leads (not converted yet) moved.
    pub leads: u64,
    /// How many open opportunities moved.
    pub opportunities: u64,
}

/// Moves all of a user's customers, open tasks, unconverted leads and open opportunities to another user (for
/// example when someone leaves). Needs the administer right on customers.
#[utoipa::path(post, path = "/users/{id}/transfer", tag = "access", params(("id" = i64, Path)), request_body = TransferBody,
    responses((status = 200, body = TransferAnswer), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn transfer_user(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<TransferBody>,
) -> ApiResult<Json<TransferAnswer>> {
    let moved =
        salesflow_store::handover::transfer(&state.store, &session.actor, id, body.to_user_id).await.api(&meta)?;
    Ok(Json(TransferAnswer {
        customers: moved.customers,
        tasks: moved.tasks,
        leads: moved.leads,
        opportunities: moved.opportunities,
    }))
}

// ---------------------------------------------------------------- departments

/// The department tree, parents before children.
#[utoipa::path(get, path = "/departments", tag = "access", responses((status = 200, body = Vec<DepartmentView>)))]
async fn list_departments(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
) -> ApiResult<Json<Vec<DepartmentView>>> {
    Ok(Json(access::list_departments(&state.store, &session.actor).await.api(&meta)?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentBody {
    pub name: String,
    pub parent_id: Option<i64>,
    pub manager_id: Option<i64>,
    /// Required when updating.
    pub version: Option<i64>,
}

impl DepartmentBody {
    fn input(&self) -> DepartmentInput {
        DepartmentInput { name: self.name.clone(), parent_id: self.parent_id, manager_id: self.manager_id }
    }
}

#[utoipa::path(post, path = "/departments", tag = "access", request_body = DepartmentBody,
    responses((status = 201, body = DepartmentView), (status = 422, body = Problem)))]
async fn create_department(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiJson(body): ApiJson<DepartmentBody>,
) -> ApiResult<(StatusCode, Json<DepartmentView>)> {
    let d = access::create_department(&state.store, &session.actor, body.input()).await.api(&meta)?;
    Ok((StatusCode::CREATED, Json(d)))
}

/// Changes name, parent or manager (RFC 7396 merge patch); `version`
/// must be the one last read.
#[utoipa::path(patch, path = "/departments/{id}", tag = "access", params(("id" = i64, Path)), request_body = DepartmentBody,
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update_department(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    patch: MergePatch,
) -> ApiResult<StatusCode> {
    let all = access::list_departments(&state.store, &session.actor).await.api(&meta)?;
    let current = all.iter().find(|d| d.id == id).ok_or_else(|| ApiError::not_found().in_locale(&meta.locale))?;
    let base =
        serde_json::json!({"name": current.name, "parent_id": current.parent_id, "manager_id": current.manager_id});
    let body: DepartmentBody = patch.apply(base, &meta.locale)?;
    let version =
        body.version.ok_or_else(|| ApiError::invalid(Invalid::one("version", "required")).in_locale(&meta.locale))?;
    access::update_department(&state.store, &session.actor, id, version, body.input()).await.api(&meta)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Soft-deletes an empty department.
#[utoipa::path(delete, path = "/departments/{id}", tag = "access", params(("id" = i64, Path)),
    responses((status = 204), (status = 422, body = Problem)))]
async fn delete_department(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    access::delete_department(&state.store, &session.actor, id).await.api(&meta)?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/departments/{id}/restore", tag = "access", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn restore_department(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    access::restore_department(&state.store, &session.actor, id).await.api(&meta)?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------- roles

#[utoipa::path(get, path = "/roles", tag = "access", responses((status = 200, body = Vec<RoleView>)))]
async fn list_roles(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
) -> ApiResult<Json<Vec<RoleView>>> {
    let roles = access::list_roles(&state.store, &session.actor).await.api(&meta)?;
    Ok(Json(roles.into_iter().map(|r| named_role(r, &meta.locale)).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleBody {
    /// Lower-case letters, digits and `_`; fixed after creation.
    pub code: String,
    pub name: String,
    /// `own|team|department|all`.
    pub data_scope: String,
    /// `{"module": ["view", "create", …]}`.
    pub permissions: BTreeMap<String, Vec<String>>,
    /// Required when updating.
    pub version: Option<i64>,
}

impl RoleBody {
    fn input(&self) -> Result<RoleInput, ApiError> {
        let data_scope = DataScope::parse(&self.data_scope)
            .ok_or_else(|| ApiError::invalid(Invalid::one("data_scope", "invalid_choice")))?;
        Ok(RoleInput {
            code: self.code.clone(),
            name: self.name.clone(),
            data_scope,
            permissions: Permissions::from_codes(&self.permissions),
        })
    }
}

#[utoipa::path(post, path = "/roles", tag = "access", request_body = RoleBody,
    responses((status = 201, body = RoleView), (status = 422, body = Problem)))]
async fn create_role(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiJson(body): ApiJson<RoleBody>,
) -> ApiResult<(StatusCode, Json<RoleView>)> {
    let input = body.input().map_err(|e| e.in_locale(&meta.locale))?;
    let role = access::create_role(&state.store, &session.actor, input).await.api(&meta)?;
    Ok((StatusCode::CREATED, Json(named_role(role, &meta.locale))))
}

#[utoipa::path(get, path = "/roles/{id}", tag = "access", params(("id" = i64, Path)),
    responses((status = 200, body = RoleView), (status = 404, body = Problem)))]
async fn get_role(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<RoleView>> {
    Ok(Json(named_role(access::get_role(&state.store, &session.actor, id).await.api(&meta)?, &meta.locale)))
}

/// Changes the fields the body names (RFC 7396 merge patch: within
/// `permissions` a module given replaces its actions, a module `null` loses
/// them all); `version` must be the one last read.
#[utoipa::path(patch, path = "/roles/{id}", tag = "access", params(("id" = i64, Path)), request_body = RoleBody,
    responses((status = 200, body = RoleView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update_role(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
    patch: MergePatch,
) -> ApiResult<Json<RoleView>> {
    let current = named_role(access::get_role(&state.store, &session.actor, id).await.api(&meta)?, &meta.locale);
    let base = serde_json::json!({
        "code": current.code,
        "name": current.name,
        "data_scope": current.data_scope.code(),
        "permissions": current.permissions,
    });
    let body: RoleBody = patch.apply(base, &meta.locale)?;
    let input = body.input().map_err(|e| e.in_locale(&meta.locale))?;
    let version =
        body.version.ok_or_else(|| ApiError::invalid(Invalid::one("version", "required")).in_locale(&meta.locale))?;
    let role = access::update_role(&state.store, &session.actor, id, version, input).await.api(&meta)?;
    Ok(Json(named_role(role, &meta.locale)))
}

/// Deletes a custom role nobody holds.
#[utoipa::path(delete, path = "/roles/{id}", tag = "access", params(("id" = i64, Path)),
    responses((status = 204), (status = 422, body = Problem)))]
async fn delete_role(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    access::delete_role(&state.store, &session.actor, id).await.api(&meta)?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------- API tokens

#[utoipa::path(get, path = "/api-tokens", tag = "access", responses((status = 200, body = Vec<ApiTokenView>)))]
async fn list_tokens(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
) -> ApiResult<Json<Vec<ApiTokenView>>> {
    Ok(Json(access::list_api_tokens(&state.store, &session.actor).await.api(&meta)?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenBody {
    pub name: String,
    /// The user the token acts as.
    pub user_id: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NewTokenAnswer {
    /// Shown this once; only its hash is stored.
    pub secret: String,
    pub token: ApiTokenView,
}

#[utoipa::path(post, path = "/api-tokens", tag = "access", request_body = NewTokenBody,
    responses((status = 201, body = NewTokenAnswer), (status = 422, body = Problem)))]
async fn create_token(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    ApiJson(body): ApiJson<NewTokenBody>,
) -> ApiResult<(StatusCode, Json<NewTokenAnswer>)> {
    let (token, secret) =
        access::create_api_token(&state.store, &session.actor, &body.name, body.user_id).await.api(&meta)?;
    Ok((StatusCode::CREATED, Json(NewTokenAnswer { secret, token })))
}

#[utoipa::path(delete, path = "/api-tokens/{id}", tag = "access", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn revoke_token(
    State(state): State<AppState>,
    ApiCaller(session, meta): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    access::revoke_api_token(&state.store, &session.actor, id).await.api(&meta)?;
    Ok(StatusCode::NO_CONTENT)
}
