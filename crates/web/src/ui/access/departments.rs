//! Departments: the tree and its form.

use super::*;

#[derive(Debug, Deserialize, Default, Clone)]
pub(super) struct DepartmentForm {
    #[serde(default)]
    pub(super) name: String,
    #[serde(default)]
    pub(super) parent_id: String,
    #[serde(default)]
    pub(super) manager_id: String,
    #[serde(default)]
    pub(super) version: i64,
}

impl DepartmentForm {
    pub(super) fn input(&self) -> Result<DepartmentInput, Invalid> {
        let parent_id = opt_id(&self.parent_id).map_err(|_| Invalid::one("parent_id", "unknown_reference"))?;
        let manager_id = opt_id(&self.manager_id).map_err(|_| Invalid::one("manager_id", "unknown_reference"))?;
        Ok(DepartmentInput { name: self.name.clone(), parent_id, manager_id })
    }
}

#[derive(Template)]
#[template(path = "access/departments.html")]
pub(super) struct DepartmentsPage {
    pub(super) ctx: PageCtx,
    pub(super) departments: Vec<DepartmentView>,
    pub(super) users: Vec<(i64, String)>,
    pub(super) form: DepartmentForm,
    pub(super) editing: Option<DepartmentView>,
    pub(super) errors: FormErrors,
    pub(super) can_edit: bool,
}

impl DepartmentsPage {
    pub(super) fn user_name(&self, id: &Option<i64>) -> String {
        id.and_then(|id| self.users.iter().find(|(u, _)| *u == id))
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| "—".into())
    }

    pub(super) fn indent(&self, d: &DepartmentView) -> String {
        "\u{3000}".repeat(d.depth)
    }

    pub(super) fn parent_selected(&self, id: &i64) -> bool {
        self.form.parent_id == id.to_string()
    }

    pub(super) fn manager_selected(&self, id: &i64) -> bool {
        self.form.manager_id == id.to_string()
    }
}

pub(super) async fn departments_view(
    request: &Page,
    form: DepartmentForm,
    editing: Option<DepartmentView>,
    errors: FormErrors,
    status: StatusCode,
) -> PageResult {
    let departments = access::list_departments(request.store(), request.actor()).await?;
    let users = access::user_names(request.store()).await.unwrap_or_default();
    let ctx = request.ctx("/admin/departments").await;
    let can_edit = request.actor().can(Module::Access, Action::Edit);
    let page = DepartmentsPage { ctx, departments, users, form, editing, errors, can_edit };
    Ok((status, render(&page.ctx, &page)).into_response())
}

pub(super) async fn departments_page(request: Page) -> PageResult {
    departments_view(&request, DepartmentForm::default(), None, FormErrors::default(), StatusCode::OK).await
}

pub(super) async fn create_department(request: Page, Form(form): Form<DepartmentForm>) -> PageResult {
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

pub(super) async fn edit_department_page(request: Page, Path(id): Path<i64>) -> PageResult {
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

pub(super) async fn update_department(
    request: Page,
    Path(id): Path<i64>,
    Form(form): Form<DepartmentForm>,
) -> PageResult {
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

pub(super) async fn delete_department(request: Page, Path(id): Path<i64>) -> PageResult {
    Ok(match access::delete_department(request.store(), request.actor(), id).await {
        Ok(()) => redirect_flash("/admin/departments", "flash.department_deleted"),
        Err(StoreError::Invalid(_)) => redirect_flash("/admin/departments", "flash.department_not_empty"),
        Err(e) => return Err(e.into()),
    })
}
