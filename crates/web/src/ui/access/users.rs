//! Users: the list, the form, activation, deletion, restoring and handing over their records.

use super::*;

#[derive(Debug, Deserialize, Default)]
pub(super) struct UserQuery {
    pub(super) q: Option<String>,
    pub(super) role_id: Option<String>,
    pub(super) department_id: Option<String>,
    /// `active`, `inactive` or `deleted`.
    pub(super) status: Option<String>,
    pub(super) sort: Option<String>,
    pub(super) cursor: Option<String>,
}

impl UserQuery {
    pub(super) fn filter(&self) -> UserFilter {
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
    pub(super) fn base_query(&self, sort: Option<&str>) -> String {
        crate::ui::query_string([
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
pub(super) struct UsersPage {
    pub(super) ctx: PageCtx,
    pub(super) rows: UserRows,
    pub(super) query: UserQuery,
    pub(super) lookups: Lookups,
    pub(super) can_create: bool,
}

#[derive(Template)]
#[template(path = "access/user_rows.html")]
pub(super) struct UserRows {
    pub(super) ctx: PageCtx,
    pub(super) users: Vec<UserView>,
    pub(super) department_names: HashMap<i64, String>,
    pub(super) next_url: Option<String>,
    /// The first page replaces the table body; later pages append.
    pub(super) first_page: bool,
}

impl UserRows {
    pub(super) fn department(&self, id: &Option<i64>) -> String {
        id.and_then(|id| self.department_names.get(&id).cloned()).unwrap_or_else(|| "—".into())
    }
}

impl UsersPage {
    pub(super) fn sort_link(&self, field: &str) -> String {
        let current = self.query.sort.as_deref().unwrap_or("display_name");
        let next = if current == field { format!("-{field}") } else { field.to_owned() };
        format!("/admin/users?{}", self.query.base_query(Some(&next)))
    }

    pub(super) fn sort_mark(&self, field: &str) -> &'static str {
        match self.query.sort.as_deref().unwrap_or("display_name") {
            s if s == field => "▲",
            s if s.strip_prefix('-') == Some(field) => "▼",
            _ => "",
        }
    }

    pub(super) fn selected(&self, value: &Option<String>, option: &str) -> bool {
        value.as_deref() == Some(option)
    }
}

pub(super) async fn users_page(request: Page, Query(query): Query<UserQuery>) -> PageResult {
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
pub(super) struct UserFormPage {
    pub(super) ctx: PageCtx,
    pub(super) form: UserForm,
    pub(super) user: Option<UserView>,
    pub(super) lookups: Lookups,
    pub(super) errors: FormErrors,
    pub(super) locales: [&'static str; 2],
    pub(super) can_delete: bool,
    pub(super) can_set_role: bool,
    pub(super) can_transfer: bool,
    /// Everyone a user's customers can be handed to.
    pub(super) people: Vec<(i64, String)>,
    pub(super) is_self: bool,
}

#[derive(Debug, Deserialize, Default, Clone)]
pub(super) struct UserForm {
    #[serde(default)]
    pub(super) username: String,
    #[serde(default)]
    pub(super) email: String,
    #[serde(default)]
    pub(super) display_name: String,
    #[serde(default)]
    pub(super) password: String,
    #[serde(default)]
    pub(super) role_id: String,
    #[serde(default)]
    pub(super) department_id: String,
    #[serde(default)]
    pub(super) locale: String,
    #[serde(default)]
    pub(super) version: i64,
}

impl UserForm {
    pub(super) fn from_user(u: &UserView) -> Self {
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
    pub(super) fn role_selected(&self, id: &i64) -> bool {
        self.form.role_id == id.to_string()
    }

    pub(super) fn department_selected(&self, id: &i64) -> bool {
        self.form.department_id == id.to_string()
    }

    pub(super) fn department_label(&self, d: &DepartmentView) -> String {
        self.lookups.indented(d)
    }

    pub(super) fn initial(&self) -> String {
        let name = self.user.as_ref().map(|u| u.display_name.as_str()).unwrap_or("");
        name.chars().next().map(|c| c.to_uppercase().to_string()).unwrap_or_default()
    }
}

pub(super) async fn user_form(
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
        can_delete: request.actor().can(Module::Access, Action::Delete),
        can_set_role: request.actor().can(Module::Access, Action::Administer),
        can_transfer: request.actor().can(Module::Customers, Action::Administer),
        people: access::user_names(request.store()).await.unwrap_or_default(),
        is_self,
    };
    Ok((status, render(&page.ctx, &page)).into_response())
}

pub(super) async fn new_user_page(request: Page) -> PageResult {
    request.actor().require(Module::Access, Action::Create)?;
    let salesperson =
        access::role_by_code(request.store(), "salesperson").await.ok().flatten().map(|r| r.id.to_string());
    let form = UserForm { role_id: salesperson.unwrap_or_default(), ..UserForm::default() };
    user_form(&request, form, None, FormErrors::default(), StatusCode::OK).await
}

pub(super) async fn create_user(request: Page, Form(form): Form<UserForm>) -> PageResult {
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

pub(super) async fn edit_user_page(request: Page, Path(id): Path<i64>) -> PageResult {
    Ok(match access::get_user(request.store(), request.actor(), id).await {
        Ok(u) => {
            let form = UserForm::from_user(&u);
            user_form(&request, form, Some(u), FormErrors::default(), StatusCode::OK).await?
        }
        Err(e) => return Err(e.into()),
    })
}

pub(super) async fn update_user(request: Page, Path(id): Path<i64>, Form(form): Form<UserForm>) -> PageResult {
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
pub(super) struct ActiveForm {
    pub(super) active: bool,
    pub(super) version: i64,
}

pub(super) async fn set_active(request: Page, Path(id): Path<i64>, Form(form): Form<ActiveForm>) -> PageResult {
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

pub(super) async fn delete_user(request: Page, Path(id): Path<i64>) -> PageResult {
    Ok(match access::set_user_deleted(request.store(), request.actor(), id, true).await {
        Ok(_) => redirect_flash("/admin/users", "flash.user_deleted"),
        Err(StoreError::Invalid(_)) => redirect_flash(&format!("/admin/users/{id}"), "flash.cannot_self"),
        Err(e) => return Err(e.into()),
    })
}

pub(super) async fn restore_user(request: Page, Path(id): Path<i64>) -> PageResult {
    access::set_user_deleted(request.store(), request.actor(), id, false).await?;
    Ok(redirect_flash(&format!("/admin/users/{id}"), "flash.user_restored"))
}

#[derive(Deserialize)]
pub(super) struct TransferForm {
    pub(super) to_user_id: String,
}

pub(super) async fn transfer_user(request: Page, Path(id): Path<i64>, Form(form): Form<TransferForm>) -> PageResult {
    let to = form.to_user_id.parse::<i64>().unwrap_or(0);
    Ok(match salesflow_store::handover::transfer(request.store(), request.actor(), id, to).await {
        Ok(_) => redirect_flash(&format!("/admin/users/{id}"), "flash.transferred"),
        Err(StoreError::Invalid(_)) => redirect_flash(&format!("/admin/users/{id}"), "flash.transfer_refused"),
        Err(e) => return Err(e.into()),
    })
}
