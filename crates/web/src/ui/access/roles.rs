//! Roles and their permissions.

use super::*;

#[derive(Template)]
#[template(path = "access/roles.html")]
pub(super) struct RolesPage {
    pub(super) ctx: PageCtx,
    pub(super) roles: Vec<RoleView>,
    pub(super) can_admin: bool,
}

impl RolesPage {
    pub(super) fn granted(&self, r: &RoleView) -> usize {
        r.permissions.values().map(Vec::len).sum()
    }
}

pub(super) async fn roles_page(request: Page) -> PageResult {
    Ok(match access::list_roles(request.store(), request.actor()).await {
        Ok(roles) => {
            let ctx = request.ctx("/admin/roles").await;
            let page = RolesPage { ctx, roles, can_admin: request.actor().can(Module::Access, Action::Administer) };
            render(&page.ctx, &page)
        }
        Err(e) => return Err(e.into()),
    })
}

#[derive(Template)]
#[template(path = "access/role_form.html")]
pub(super) struct RoleFormPage {
    pub(super) ctx: PageCtx,
    pub(super) role: Option<RoleView>,
    pub(super) code: String,
    pub(super) name: String,
    pub(super) scope: String,
    pub(super) permissions: Permissions,
    pub(super) version: i64,
    pub(super) errors: FormErrors,
    pub(super) modules: Vec<Module>,
    pub(super) actions: Vec<Action>,
    pub(super) scopes: Vec<DataScope>,
    pub(super) can_admin: bool,
}

impl RoleFormPage {
    pub(super) fn checked(&self, m: &Module, a: &Action) -> bool {
        self.permissions.allows(*m, *a)
    }
}

/// Reads the role form: repeated `perm=module:action` checkboxes.
pub(super) fn parse_role_form(body: &[u8]) -> (String, String, String, Permissions, i64) {
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

pub(super) async fn role_form(
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
        can_admin: request.actor().can(Module::Access, Action::Administer),
    };
    (status, render(&page.ctx, &page)).into_response()
}

pub(super) async fn new_role_page(request: Page) -> PageResult {
    request.actor().require(Module::Access, Action::Administer)?;
    let fields = (String::new(), String::new(), "own".to_owned(), Permissions::default(), 0);
    Ok(role_form(&request, None, fields, FormErrors::default(), StatusCode::OK).await)
}

pub(super) async fn edit_role_page(request: Page, Path(id): Path<i64>) -> PageResult {
    Ok(match access::get_role(request.store(), request.actor(), id).await {
        Ok(r) => {
            let fields = (
                r.code.clone(),
                // A built-in role without a name of its own shows its name
                // in the reader's language; saved unchanged, it keeps none.
                crate::i18n::role_name(request.locale(), &r.code, &r.name),
                r.data_scope.code().to_owned(),
                Permissions::from_codes(&r.permissions),
                r.version,
            );
            role_form(&request, Some(r), fields, FormErrors::default(), StatusCode::OK).await
        }
        Err(e) => return Err(e.into()),
    })
}

pub(super) async fn save_role(request: &Page, id: Option<i64>, body: axum::body::Bytes) -> PageResult {
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

pub(super) async fn create_role(request: Page, body: axum::body::Bytes) -> PageResult {
    save_role(&request, None, body).await
}

pub(super) async fn update_role(request: Page, Path(id): Path<i64>, body: axum::body::Bytes) -> PageResult {
    save_role(&request, Some(id), body).await
}

pub(super) async fn delete_role(request: Page, Path(id): Path<i64>) -> PageResult {
    Ok(match access::delete_role(request.store(), request.actor(), id).await {
        Ok(()) => redirect_flash("/admin/roles", "flash.role_deleted"),
        Err(StoreError::Invalid(_)) => redirect_flash(&format!("/admin/roles/{id}"), "flash.role_in_use"),
        Err(e) => return Err(e.into()),
    })
}
