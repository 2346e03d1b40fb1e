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
struct Lookups {
    roles: Vec<RoleView>,
    departments: Vec<DepartmentView>,
}

impl Lookups {
    async fn load(state: &AppState, actor: &Actor) -> Result<Lookups, StoreError> {
        Ok(Lookups {
            roles: access::list_roles(&state.store, actor).await?,
            departments: access::list_departments(&state.store, actor).await?,
        })
    }

    /// A department's name indented by its depth, for `<select>`.
    fn indented(&self, d: &DepartmentView) -> String {
        format!("{}{}", "\u{3000}".repeat(d.depth), d.name)
    }
}

// ---------------------------------------------------------------- users

#[derive(Debug, Deserialize, Default)]
struct UserQuery {
    q: Option<String>,
    role_id: Option<String>,
    department_id: Option<String>,
    /// `active`, `inactive` or `deleted`.
    status: Option<String>,
    sort: Option<String>,
    cursor: Option<String>,
}

impl UserQuery {
    fn filter(&self) -> UserFilter {
        let status = self.status.as_deref().unwrap_or("");
        UserFilter {
            q: self.q.clone(),
            role_id: self.role_id.as_deref().and_then(|v| v.parse().ok()),
            department_id: self.department_id.as_deref().and_then(|v| v.parse().ok()),
            active: match status {
                "active" => Some(true),
                "inactive" => Some(false),
                _ => None,
            },
            deleted: status == "deleted",
        }
    }

    /// The query string without the cursor, for sort links and "load more".
    fn base_query(&self, sort: Option<&str>) -> String {
        super::query_string([
            ("q", self.q.as_deref()),
            ("role_id", self.role_id.as_deref()),
            ("department_id", self.department_id.as_deref()),
            ("status", self.status.as_deref()),
            ("sort", sort.or(self.sort.as_deref())),
        ])
    }
}

#[derive(Template)]
#[template(path = "access/users.html")]
struct UsersPage {
    ctx: PageCtx,
    rows: UserRows,
    query: UserQuery,
    lookups: Lookups,
    can_create: bool,
}

#[derive(Template)]
#[template(path = "access/user_rows.html")]
struct UserRows {
    ctx: PageCtx,
    users: Vec<UserView>,
    department_names: HashMap<i64, String>,
    next_url: Option<String>,
    /// The first page replaces the table body; later pages append.
    first_page: bool,
}

impl UserRows {
    fn department(&self, id: &Option<i64>) -> String {
        id.and_then(|id| self.department_names.get(&id).cloned()).unwrap_or_else(|| "—".into())
    }
}

impl UsersPage {
    fn sort_link(&self, field: &str) -> String {
        let current = self.query.sort.as_deref().unwrap_or("display_name");
        let next = if current == field { format!("-{field}") } else { field.to_owned() };
        format!("/admin/users?{}", self.query.base_query(Some(&next)))
    }

    fn sort_mark(&self, field: &str) -> &'static str {
        match self.query.sort.as_deref().unwrap_or("display_name") {
            s if s == field => "▲",
            s if s.strip_prefix('-') == Some(field) => "▼",
            _ => "",
        }
    }

    fn selected(&self, value: &Option<String>, option: &str) -> bool {
        value.as_deref() == Some(option)
    }
}

async fn users_page(request: Page, Query(query): Query<UserQuery>) -> PageResult {
    let actor = request.actor();
    let req = PageRequest { limit: Some(50), cursor: query.cursor.clone(), sort: query.sort.clone() };
    let page = match access::list_users(request.store(), actor, &query.filter(), &req).await {
        Ok(p) => p,
        Err(StoreError::Invalid(_)) => {
            // A stale cursor or unknown sort from an old link: start over.
            access::list_users(request.store(), actor, &query.filter(), &PageRequest::default()).await?
        }
        Err(e) => return Err(e.into()),
    };
    let lookups = Lookups::load(&request.state, actor).await?;
    let ctx = request.ctx("/admin/users").await;
    let next_url = page.next_cursor.as_ref().map(|c| {
        let base = query.base_query(None);
        format!("/admin/users?{base}{}cursor={c}", if base.is_empty() { "" } else { "&" })
    });
    let rows = UserRows {
        ctx: ctx.clone(),
        users: page.items,
        department_names: lookups.departments.iter().map(|d| (d.id, d.name.clone())).collect(),
        next_url,
        first_page: query.cursor.is_none(),
    };
    if request.meta.is_htmx {
        return Ok(render(&rows.ctx, &rows));
    }
    let page = UsersPage { ctx, rows, query, lookups, can_create: actor.can(Module::Access, Action::Create) };
    Ok(render(&page.ctx, &page))
}

#[derive(Template)]
#[template(path = "access/user_form.html")]
struct UserFormPage {
    ctx: PageCtx,
    form: UserForm,
    user: Option<UserView>,
    lookups: Lookups,
    errors: FormErrors,
    locales: [&'static str; 2],
    can_delete: bool,
    can_set_role: bool,
    can_transfer: bool,
    /// Everyone a user's customers can be handed to.
    people: Vec<(i64, String)>,
    is_self: bool,
}

#[derive(Debug, Deserialize, Default, Clone)]
struct UserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    role_id: String,
    #[serde(default)]
    department_id: String,
    #[serde(default)]
    locale: String,
    #[serde(default)]
    version: i64,
}

impl UserForm {
    fn from_user(u: &UserView) -> Self {
        UserForm {
            username: u.username.clone(),
            email: u.email.clone(),
            display_name: u.display_name.clone(),
            password: String::new(),
            role_id: u.role_id.to_string(),
            department_id: u.department_id.map(|d| d.to_string()).unwrap_or_default(),
            locale: u.locale.clone().unwrap_or_default(),
            version: u.version,
        }
    }
}

impl UserFormPage {
    fn role_selected(&self, id: &i64) -> bool {
        self.form.role_id == id.to_string()
    }

    fn department_selected(&self, id: &i64) -> bool {
        self.form.department_id == id.to_string()
    }

    fn department_label(&self, d: &DepartmentView) -> String {
        self.lookups.indented(d)
    }

    fn initial(&self) -> String {
        let name = self.user.as_ref().map(|u| u.display_name.as_str()).unwrap_or("");
        name.chars().next().map(|c| c.to_uppercase().to_string()).unwrap_or_default()
    }
}

async fn user_form(
    request: &Page,
    form: UserForm,
    user: Option<UserView>,
    errors: FormErrors,
    status: StatusCode,
) -> PageResult {
    let lookups = Lookups::load(&request.state, request.actor()).await?;
    let ctx = request.ctx("/admin/users").await;
    let is_self = user.as_ref().is_some_and(|u| Some(u.id) == request.session.actor.user_id);
    let page = UserFormPage {
        ctx,
        form,
        user,
        lookups,
        errors,
        locales: LOCALES,
        can_delete: request.session.actor.can(Module::Access, Action::Delete),
        can_set_role: request.session.actor.can(Module::Access, Action::Administer),
        can_transfer: request.session.actor.can(Module::Customers, Action::Administer),
        people: access::user_names(request.store()).await.unwrap_or_default(),
        is_self,
    };
    Ok((status, render(&page.ctx, &page)).into_response())
}

async fn new_user_page(request: Page) -> PageResult {
    request.session.actor.require(Module::Access, Action::Create)?;
    let salesperson =
        access::role_by_code(request.store(), "salesperson").await.ok().flatten().map(|r| r.id.to_string());
    let form = UserForm { role_id: salesperson.unwrap_or_default(), ..UserForm::default() };
    user_form(&request, form, None, FormErrors::default(), StatusCode::OK).await
}

async fn create_user(request: Page, Form(form): Form<UserForm>) -> PageResult {
    let (Ok(department_id), Ok(role_id)) = (opt_id(&form.department_id), form.role_id.parse::<i64>()) else {
        let errors = FormErrors::one(request.locale(), "role_id", "required");
        return user_form(&request, form, None, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let new = NewUser {
        username: form.username.clone(),
        email: form.email.clone(),
        display_name: form.display_name.clone(),
        password: form.password.clone(),
        role_id,
        department_id,
        locale: non_empty(&form.locale),
    };
    Ok(match access::create_user(request.store(), request.actor(), new).await {
        Ok(u) => redirect_flash(&format!("/admin/users/{}", u.id), "flash.user_created"),
        Err(StoreError::Invalid(invalid)) => {
            let errors = FormErrors::from_invalid(request.locale(), &invalid);
            let form = UserForm { password: String::new(), ..form };
            user_form(&request, form, None, errors, StatusCode::UNPROCESSABLE_ENTITY).await?
        }
        Err(e) => return Err(e.into()),
    })
}

async fn edit_user_page(request: Page, Path(id): Path<i64>) -> PageResult {
    Ok(match access::get_user(request.store(), request.actor(), id).await {
        Ok(u) => {
            let form = UserForm::from_user(&u);
            user_form(&request, form, Some(u), FormErrors::default(), StatusCode::OK).await?
        }
        Err(e) => return Err(e.into()),
    })
}

async fn update_user(request: Page, Path(id): Path<i64>, Form(form): Form<UserForm>) -> PageResult {
    let current = access::get_user(request.store(), request.actor(), id).await?;
    let Ok(department_id) = opt_id(&form.department_id) else {
        let errors = FormErrors::one(request.locale(), "department_id", "unknown_reference");
        return user_form(&request, form, Some(current), errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let role_id = form.role_id.parse::<i64>().ok().filter(|r| *r != current.role_id);
    let patch = UserPatch {
        version: form.version,
        email: Some(form.email.clone()),
        display_name: Some(form.display_name.clone()),
        role_id,
        department_id: Some(department_id),
        locale: Some(non_empty(&form.locale)),
        active: None,
    };
    match request.saved(access::update_user(request.store(), request.actor(), id, patch).await)? {
        Ok(_) => Ok(redirect_flash(&format!("/admin/users/{id}"), "flash.saved")),
        Err(refused) => user_form(&request, form, Some(current), refused.errors, refused.status).await,
    }
}

#[derive(Deserialize)]
struct ActiveForm {
    active: bool,
    version: i64,
}

async fn set_active(request: Page, Path(id): Path<i64>, Form(form): Form<ActiveForm>) -> PageResult {
    let patch = UserPatch { version: form.version, active: Some(form.active), ..UserPatch::default() };
    Ok(match access::update_user(request.store(), request.actor(), id, patch).await {
        Ok(_) => {
            let key = if form.active { "flash.user_activated" } else { "flash.user_deactivated" };
            redirect_flash(&format!("/admin/users/{id}"), key)
        }
        Err(StoreError::Conflict(_)) => redirect_flash(&format!("/admin/users/{id}"), "flash.stale"),
        Err(StoreError::Invalid(_)) => redirect_flash(&format!("/admin/users/{id}"), "flash.cannot_self"),
        Err(e) => return Err(e.into()),
    })
}

async fn delete_user(request: Page, Path(id): Path<i64>) -> PageResult {
    Ok(match access::set_user_deleted(request.store(), request.actor(), id, true).await {
        Ok(_) => redirect_flash("/admin/users", "flash.user_deleted"),
        Err(StoreError::Invalid(_)) => redirect_flash(&format!("/admin/users/{id}"), "flash.cannot_self"),
        Err(e) => return Err(e.into()),
    })
}

async fn restore_user(request: Page, Path(id): Path<i64>) -> PageResult {
    access::set_user_deleted(request.store(), request.actor(), id, false).await?;
    Ok(redirect_flash(&format!("/admin/users/{id}"), "flash.user_restored"))
}

#[derive(Deserialize)]
struct TransferForm {
    to_user_id: String,
}

async fn transfer_user(request: Page, Path(id): Path<i64>, Form(form): Form<TransferForm>) -> PageResult {
    let to = form.to_user_id.parse::<i64>().unwrap_or(0);
    Ok(match salesflow_store::customers::transfer(request.store(), request.actor(), id, to).await {
        Ok(_) => redirect_flash(&format!("/admin/users/{id}"), "flash.transferred"),
        Err(StoreError::Invalid(_)) => redirect_flash(&format!("/admin/users/{id}"), "flash.transfer_refused"),
        Err(e) => return Err(e.into()),
    })
}

// ---------------------------------------------------------------- departments

#[derive(Debug, Deserialize, Default, Clone)]
struct DepartmentForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    parent_id: String,
    #[serde(default)]
    manager_id: String,
    #[serde(default)]
    version: i64,
}

impl DepartmentForm {
    fn input(&self) -> Result<DepartmentInput, Invalid> {
        let parent_id = opt_id(&self.parent_id).map_err(|_| Invalid::one("parent_id", "unknown_reference"))?;
        let manager_id = opt_id(&self.manager_id).map_err(|_| Invalid::one("manager_id", "unknown_reference"))?;
        Ok(DepartmentInput { name: self.name.clone(), parent_id, manager_id })
    }
}

#[derive(Template)]
#[template(path = "access/departments.html")]
struct DepartmentsPage {
    ctx: PageCtx,
    departments: Vec<DepartmentView>,
    users: Vec<(i64, String)>,
    form: DepartmentForm,
    editing: Option<DepartmentView>,
    errors: FormErrors,
    can_edit: bool,
}

impl DepartmentsPage {
    fn user_name(&self, id: &Option<i64>) -> String {
        id.and_then(|id| self.users.iter().find(|(u, _)| *u == id))
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| "—".into())
    }

    fn indent(&self, d: &DepartmentView) -> String {
        "\u{3000}".repeat(d.depth)
    }

    fn parent_selected(&self, id: &i64) -> bool {
        self.form.parent_id == id.to_string()
    }

    fn manager_selected(&self, id: &i64) -> bool {
        self.form.manager_id == id.to_string()
    }
}

async fn departments_view(
    request: &Page,
    form: DepartmentForm,
    editing: Option<DepartmentView>,
    errors: FormErrors,
    status: StatusCode,
) -> PageResult {
    let departments = access::list_departments(request.store(), request.actor()).await?;
    let users = access::user_names(request.store()).await.unwrap_or_default();
    let ctx = request.ctx("/admin/departments").await;
    let can_edit = request.session.actor.can(Module::Access, Action::Edit);
    let page = DepartmentsPage { ctx, departments, users, form, editing, errors, can_edit };
    Ok((status, render(&page.ctx, &page)).into_response())
}

async fn departments_page(request: Page) -> PageResult {
    departments_view(&request, DepartmentForm::default(), None, FormErrors::default(), StatusCode::OK).await
}

async fn create_department(request: Page, Form(form): Form<DepartmentForm>) -> PageResult {
    let result = match form.input() {
        Ok(input) => access::create_department(request.store(), request.actor(), input).await.map(|_| ()),
        Err(invalid) => Err(StoreError::Invalid(invalid)),
    };
    Ok(match result {
        Ok(()) => redirect_flash("/admin/departments", "flash.department_created"),
        Err(StoreError::Invalid(invalid)) => {
            let errors = FormErrors::from_invalid(request.locale(), &invalid);
            departments_view(&request, form, None, errors, StatusCode::UNPROCESSABLE_ENTITY).await?
        }
        Err(e) => return Err(e.into()),
    })
}

async fn edit_department_page(request: Page, Path(id): Path<i64>) -> PageResult {
    let departments = access::list_departments(request.store(), request.actor()).await?;
    let Some(d) = departments.into_iter().find(|d| d.id == id) else {
        return Err(StoreError::NotFound.into());
    };
    let form = DepartmentForm {
        name: d.name.clone(),
        parent_id: d.parent_id.map(|p| p.to_string()).unwrap_or_default(),
        manager_id: d.manager_id.map(|m| m.to_string()).unwrap_or_default(),
        version: d.version,
    };
    departments_view(&request, form, Some(d), FormErrors::default(), StatusCode::OK).await
}

async fn update_department(request: Page, Path(id): Path<i64>, Form(form): Form<DepartmentForm>) -> PageResult {
    let result = match form.input() {
        Ok(input) => access::update_department(request.store(), request.actor(), id, form.version, input).await,
        Err(invalid) => Err(StoreError::Invalid(invalid)),
    };
    let editing = access::list_departments(request.store(), request.actor())
        .await
        .ok()
        .and_then(|all| all.into_iter().find(|d| d.id == id));
    match request.saved(result)? {
        Ok(()) => Ok(redirect_flash("/admin/departments", "flash.saved")),
        Err(refused) => departments_view(&request, form, editing, refused.errors, refused.status).await,
    }
}

async fn delete_department(request: Page, Path(id): Path<i64>) -> PageResult {
    Ok(match access::delete_department(request.store(), request.actor(), id).await {
        Ok(()) => redirect_flash("/admin/departments", "flash.department_deleted"),
        Err(StoreError::Invalid(_)) => redirect_flash("/admin/departments", "flash.department_not_empty"),
        Err(e) => return Err(e.into()),
    })
}

// ---------------------------------------------------------------- roles

#[derive(Template)]
#[template(path = "access/roles.html")]
struct RolesPage {
    ctx: PageCtx,
    roles: Vec<RoleView>,
    can_admin: bool,
}

impl RolesPage {
    fn granted(&self, r: &RoleView) -> usize {
        r.permissions.values().map(Vec::len).sum()
    }
}

async fn roles_page(request: Page) -> PageResult {
    Ok(match access::list_roles(request.store(), request.actor()).await {
        Ok(roles) => {
            let ctx = request.ctx("/admin/roles").await;
            let page =
                RolesPage { ctx, roles, can_admin: request.session.actor.can(Module::Access, Action::Administer) };
            render(&page.ctx, &page)
        }
        Err(e) => return Err(e.into()),
    })
}

#[derive(Template)]
#[template(path = "access/role_form.html")]
struct RoleFormPage {
    ctx: PageCtx,
    role: Option<RoleView>,
    code: String,
    name: String,
    scope: String,
    permissions: Permissions,
    version: i64,
    errors: FormErrors,
    modules: Vec<Module>,
    actions: Vec<Action>,
    scopes: Vec<DataScope>,
    can_admin: bool,
}

impl RoleFormPage {
    fn checked(&self, m: &Module, a: &Action) -> bool {
        self.permissions.allows(*m, *a)
    }
}

/// Reads the role form: repeated `perm=module:action` checkboxes.
fn parse_role_form(body: &[u8]) -> (String, String, String, Permissions, i64) {
    let (mut code, mut name, mut scope, mut version) = (String::new(), String::new(), String::new(), 0);
    let mut perms = Permissions::default();
    for (k, v) in form_urlencoded::parse(body) {
        match k.as_ref() {
            "code" => code = v.into_owned(),
            "name" => name = v.into_owned(),
            "data_scope" => scope = v.into_owned(),
            "version" => version = v.parse().unwrap_or(0),
            "perm" => {
                if let Some((m, a)) = v.split_once(':')
                    && let (Some(m), Some(a)) = (Module::parse(m), Action::parse(a))
                {
                    perms.grant(m, &[a]);
                }
            }
            _ => {}
        }
    }
    (code, name, scope, perms, version)
}

async fn role_form(
    request: &Page,
    role: Option<RoleView>,
    fields: (String, String, String, Permissions, i64),
    errors: FormErrors,
    status: StatusCode,
) -> Response {
    let ctx = request.ctx("/admin/roles").await;
    let (code, name, scope, permissions, version) = fields;
    let page = RoleFormPage {
        ctx,
        role,
        code,
        name,
        scope,
        permissions,
        version,
        errors,
        modules: Module::ALL.to_vec(),
        actions: Action::ALL.to_vec(),
        scopes: DataScope::ALL.to_vec(),
        can_admin: request.session.actor.can(Module::Access, Action::Administer),
    };
    (status, render(&page.ctx, &page)).into_response()
}

async fn new_role_page(request: Page) -> PageResult {
    request.session.actor.require(Module::Access, Action::Administer)?;
    let fields = (String::new(), String::new(), "own".to_owned(), Permissions::default(), 0);
    Ok(role_form(&request, None, fields, FormErrors::default(), StatusCode::OK).await)
}

async fn edit_role_page(request: Page, Path(id): Path<i64>) -> PageResult {
    Ok(match access::get_role(request.store(), request.actor(), id).await {
        Ok(r) => {
            let fields = (
                r.code.clone(),
                r.name.clone(),
                r.data_scope.code().to_owned(),
                Permissions::from_codes(&r.permissions),
                r.version,
            );
            role_form(&request, Some(r), fields, FormErrors::default(), StatusCode::OK).await
        }
        Err(e) => return Err(e.into()),
    })
}

async fn save_role(request: &Page, id: Option<i64>, body: axum::body::Bytes) -> PageResult {
    let fields = parse_role_form(&body);
    let (code, name, scope, permissions, version) = fields.clone();
    let existing = match id {
        Some(id) => match access::get_role(request.store(), request.actor(), id).await {
            Ok(r) => Some(r),
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let result = match DataScope::parse(&scope) {
        None => Err(StoreError::Invalid(Invalid::one("data_scope", "invalid_choice"))),
        Some(data_scope) => {
            let code = existing.as_ref().map(|r| r.code.clone()).unwrap_or(code);
            let input = RoleInput { code, name, data_scope, permissions };
            match id {
                Some(id) => access::update_role(request.store(), request.actor(), id, version, input).await,
                None => access::create_role(request.store(), request.actor(), input).await,
            }
        }
    };
    match request.saved(result)? {
        Ok(r) => Ok(redirect_flash(&format!("/admin/roles/{}", r.id), "flash.saved")),
        Err(refused) => Ok(role_form(request, existing, fields, refused.errors, refused.status).await),
    }
}

async fn create_role(request: Page, body: axum::body::Bytes) -> PageResult {
    save_role(&request, None, body).await
}

async fn update_role(request: Page, Path(id): Path<i64>, body: axum::body::Bytes) -> PageResult {
    save_role(&request, Some(id), body).await
}

async fn delete_role(request: Page, Path(id): Path<i64>) -> PageResult {
    Ok(match access::delete_role(request.store(), request.actor(), id).await {
        Ok(()) => redirect_flash("/admin/roles", "flash.role_deleted"),
        Err(StoreError::Invalid(_)) => redirect_flash(&format!("/admin/roles/{id}"), "flash.role_in_use"),
        Err(e) => return Err(e.into()),
    })
}

// ---------------------------------------------------------------- API tokens

#[derive(Template)]
#[template(path = "access/tokens.html")]
struct TokensPage {
    ctx: PageCtx,
    tokens: Vec<ApiTokenView>,
    users: Vec<(i64, String)>,
    secret: Option<String>,
    name: String,
    user_id: String,
    errors: FormErrors,
}

impl TokensPage {
    fn user_name(&self, id: &i64) -> String {
        self.users.iter().find(|(u, _)| u == id).map(|(_, n)| n.clone()).unwrap_or_else(|| format!("#{id}"))
    }

    fn user_selected(&self, id: &i64) -> bool {
        self.user_id == id.to_string()
    }
}

async fn tokens_view(
    request: &Page,
    secret: Option<String>,
    name: String,
    user_id: String,
    errors: FormErrors,
) -> PageResult {
    let tokens = access::list_api_tokens(request.store(), request.actor()).await?;
    let users = access::user_names(request.store()).await.unwrap_or_default();
    let ctx = request.ctx("/admin/api-tokens").await;
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = TokensPage { ctx, tokens, users, secret, name, user_id, errors };
    Ok((status, render(&page.ctx, &page)).into_response())
}

async fn tokens_page(request: Page) -> PageResult {
    let me = request.session.actor.user_id.map(|u| u.to_string()).unwrap_or_default();
    tokens_view(&request, None, String::new(), me, FormErrors::default()).await
}

#[derive(Deserialize)]
struct TokenForm {
    name: String,
    user_id: String,
}

/// Shows the new secret on this response only: it is never stored.
async fn create_token(request: Page, Form(form): Form<TokenForm>) -> PageResult {
    let user_id = form.user_id.parse::<i64>().unwrap_or(0);
    Ok(match access::create_api_token(request.store(), request.actor(), &form.name, user_id).await {
        Ok((_, secret)) => {
            tokens_view(&request, Some(secret), String::new(), form.user_id, FormErrors::default()).await?
        }
        Err(StoreError::Invalid(invalid)) => {
            let errors = FormErrors::from_invalid(request.locale(), &invalid);
            tokens_view(&request, None, form.name, form.user_id, errors).await?
        }
        Err(e) => return Err(e.into()),
    })
}

async fn revoke_token(request: Page, Path(id): Path<i64>) -> PageResult {
    access::revoke_api_token(request.store(), request.actor(), id).await?;
    Ok(redirect_flash("/admin/api-tokens", "flash.token_revoked"))
}

// ---------------------------------------------------------------- outbox

#[derive(Template)]
#[template(path = "access/outbox.html")]
struct OutboxPage {
    ctx: PageCtx,
    messages: Vec<OutboxMessage>,
    next_url: Option<String>,
    smtp: bool,
}

#[derive(Deserialize)]
struct CursorQuery {
    cursor: Option<String>,
}

async fn outbox_page(request: Page, Query(q): Query<CursorQuery>) -> PageResult {
    let req = PageRequest { limit: Some(50), cursor: q.cursor, sort: None };
    Ok(match notifications::list(request.store(), request.actor(), &req).await {
        Ok(page) => {
            let ctx = request.ctx("/admin/outbox").await;
            let next_url = page.next_cursor.map(|c| format!("/admin/outbox?cursor={c}"));
            let page =
                OutboxPage { ctx, messages: page.items, next_url, smtp: request.state.config.smtp_url.is_some() };
            render(&page.ctx, &page)
        }
        Err(e) => return Err(e.into()),
    })
}
