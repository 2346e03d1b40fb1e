//! The task form (new and edit).

use super::*;

#[derive(Debug, Deserialize, Default, Clone)]
pub(super) struct TaskForm {
    #[serde(default)]
    pub(super) title: String,
    #[serde(default)]
    pub(super) description: String,
    #[serde(default)]
    pub(super) assignee_id: String,
    /// `customer:ID`, `contact:ID` or empty.
    #[serde(default)]
    pub(super) related: String,
    /// Days, `YYYY-MM-DD`.
    #[serde(default)]
    pub(super) start_at: String,
    #[serde(default)]
    pub(super) due_at: String,
    #[serde(default)]
    pub(super) priority: String,
    #[serde(default)]
    pub(super) status: String,
    #[serde(default)]
    pub(super) version: i64,
}

impl TaskForm {
    pub(super) fn from_view(t: &TaskView, ctx: &PageCtx) -> Self {
        let day = |at: DateTime<Utc>| local_day(&ctx.settings, at).format("%Y-%m-%d").to_string();
        TaskForm {
            title: t.title.clone(),
            description: t.description.clone(),
            assignee_id: t.assignee_id.to_string(),
            related: match (&t.related_kind, t.related_id) {
                (Some(k), Some(id)) => format!("{k}:{id}"),
                _ => String::new(),
            },
            start_at: t.start_at.map(day).unwrap_or_default(),
            due_at: day(t.due_at),
            priority: t.priority.clone(),
            status: t.status.clone(),
            version: t.version,
        }
    }

    /// The store's input; a day left as it was keeps the exact time it had.
    pub(super) fn input(&self, ctx: &PageCtx, current: Option<&TaskView>) -> Result<TaskInput, Invalid> {
        let company = &ctx.settings;
        let same_day = |text: &str, at: Option<DateTime<Utc>>| {
            at.filter(|a| local_day(company, *a).format("%Y-%m-%d").to_string() == text.trim())
        };
        let mut errors: Vec<FieldError> = Vec::new();
        let start_at = match same_day(&self.start_at, current.and_then(|t| t.start_at)) {
            Some(kept) => Some(kept),
            None => when(Some(&self.start_at), "start_at", company, DayEdge::Morning).unwrap_or_else(|e| {
                errors.push(e);
                None
            }),
        };
        let due_at = match same_day(&self.due_at, current.map(|t| t.due_at)) {
            Some(kept) => Some(kept),
            None => match when(Some(&self.due_at), "due_at", company, DayEdge::Evening) {
                Ok(Some(at)) => Some(at),
                Ok(None) => {
                    errors.push(FieldError::new("due_at", "required"));
                    None
                }
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
        };
        let assignee_id = match crate::ui::opt_id(&self.assignee_id) {
            Ok(id) => id,
            Err(_) => {
                errors.push(FieldError::new("assignee_id", "unknown_reference"));
                None
            }
        };
        let (related_kind, related_id) = match self.related.trim().split_once(':') {
            None if self.related.trim().is_empty() => (None, None),
            Some((kind, id)) if id.parse::<i64>().is_ok() => (Some(kind.to_owned()), id.parse().ok()),
            _ => {
                errors.push(FieldError::new("related_id", "unknown_reference"));
                (None, None)
            }
        };
        let Some(due_at) = due_at.filter(|_| errors.is_empty()) else {
            return Err(Invalid(errors));
        };
        Ok(TaskInput {
            title: self.title.clone(),
            description: self.description.clone(),
            assignee_id,
            related_kind,
            related_id,
            start_at,
            due_at,
            priority: self.priority.clone(),
            status: Some(self.status.clone()).filter(|s| !s.is_empty()),
            // The form names every status itself (in progress included).
            in_progress: (!self.status.is_empty()).then(|| self.status == TaskStatus::InProgress.code()),
        })
    }
}

#[derive(Template)]
#[template(path = "tasks/form.html")]
pub(super) struct FormPage {
    pub(super) ctx: PageCtx,
    pub(super) form: TaskForm,
    pub(super) task: Option<TaskView>,
    pub(super) errors: FormErrors,
    pub(super) people: Vec<(i64, String)>,
    /// The chosen related record's name, for its option.
    pub(super) related_label: Option<String>,
    pub(super) statuses: [TaskStatus; 4],
    pub(super) priorities: [Priority; 4],
}

impl FormPage {
    pub(super) fn person_selected(&self, id: &i64) -> bool {
        self.form.assignee_id == id.to_string()
    }

    /// Errors of fields the form does not show (e.g. an unknown sort).
    pub(super) fn other_errors(&self) -> Vec<String> {
        self.errors.others(&[
            "title",
            "assignee_id",
            "priority",
            "start_at",
            "due_at",
            "related_id",
            "related_kind",
            "description",
            "status",
            "version",
        ])
    }
}

/// The name of the record a form value (`customer:ID`, `contact:ID`,
/// `opportunity:ID`) names.
pub(super) async fn related_label(state: &AppState, actor: &Actor, related: &str) -> Option<String> {
    let (kind, id) = related.split_once(':')?;
    let id: i64 = id.parse().ok()?;
    match kind {
        "customer" => customers::get_customer(&state.store, actor, id).await.ok().map(|c| c.name),
        "contact" => {
            let person = customers::get_contact(&state.store, actor, id).await.ok()?;
            let company = customers::get_customer(&state.store, actor, person.customer_id).await.ok()?;
            Some(format!("{} · {}", company.name, person.name))
        }
        "opportunity" => {
            let deal = salesflow_store::opportunities::get_opportunity(&state.store, actor, id).await.ok()?;
            Some(format!("{} · {}", deal.customer_name.unwrap_or_default(), deal.name))
        }
        _ => None,
    }
}

pub(super) async fn form_page(
    request: &Page,
    form: TaskForm,
    task: Option<TaskView>,
    errors: FormErrors,
) -> PageResult {
    let people = tasks::assignable_people(request.store(), request.actor()).await?;
    let related_label = related_label(&request.state, request.actor(), &form.related).await;
    let ctx = request.ctx("/tasks").await;
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = FormPage {
        ctx,
        form,
        task,
        errors,
        people,
        related_label,
        statuses: TaskStatus::ALL,
        priorities: Priority::ALL,
    };
    Ok((status, render(&page.ctx, &page)).into_response())
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct NewQuery {
    pub(super) customer_id: Option<i64>,
    /// A task for this opportunity (from its page).
    pub(super) opportunity_id: Option<i64>,
}

pub(super) async fn new_page(request: Page, Query(q): Query<NewQuery>) -> PageResult {
    request.actor().require(Module::Customers, Action::Create)?;
    let company = salesflow_store::settings::get(request.store()).await.map(|s| s.settings).unwrap_or_default();
    let form = TaskForm {
        assignee_id: request.session.actor.user_id.map(|id| id.to_string()).unwrap_or_default(),
        related: match (q.opportunity_id, q.customer_id) {
            (Some(id), _) => format!("opportunity:{id}"),
            (None, Some(id)) => format!("customer:{id}"),
            (None, None) => String::new(),
        },
        due_at: (company.today(request.store().now()) + Duration::days(1)).format("%Y-%m-%d").to_string(),
        priority: Priority::Normal.code().into(),
        ..Default::default()
    };
    form_page(&request, form, None, FormErrors::default()).await
}

pub(super) async fn create(request: Page, Form(form): Form<TaskForm>) -> PageResult {
    let ctx = request.ctx("/tasks").await;
    let result = match form.input(&ctx, None) {
        Ok(input) => tasks::create_task(request.store(), request.actor(), input).await,
        Err(invalid) => Err(StoreError::Invalid(invalid)),
    };
    Ok(match result {
        Ok(t) => redirect_flash(&format!("/tasks/{}", t.id), "flash.task_created"),
        Err(StoreError::Invalid(invalid)) => {
            let errors = FormErrors::from_invalid(request.locale(), &invalid);
            form_page(&request, form, None, errors).await?
        }
        Err(e) => return Err(e.into()),
    })
}

pub(super) async fn edit_page(request: Page, Path(id): Path<i64>) -> PageResult {
    Ok(match tasks::get_task(request.store(), request.actor(), id).await {
        Ok(t) => {
            let ctx = request.ctx("/tasks").await;
            let form = TaskForm::from_view(&t, &ctx);
            form_page(&request, form, Some(t), FormErrors::default()).await?
        }
        Err(e) => return Err(e.into()),
    })
}

pub(super) async fn update(request: Page, Path(id): Path<i64>, Form(form): Form<TaskForm>) -> PageResult {
    let current = tasks::get_task(request.store(), request.actor(), id).await?;
    let ctx = request.ctx("/tasks").await;
    let result = match form.input(&ctx, Some(&current)) {
        Ok(input) => tasks::update_task(request.store(), request.actor(), id, form.version, input).await,
        Err(invalid) => Err(StoreError::Invalid(invalid)),
    };
    match request.saved(result)? {
        Ok(_) => Ok(redirect_flash(&format!("/tasks/{id}"), "flash.saved")),
        Err(refused) => form_page(&request, form, Some(current), refused.errors).await,
    }
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct OptionsQuery {
    #[serde(default)]
    pub(super) customer_q: String,
}

#[derive(Template)]
#[template(path = "tasks/customer_options.html")]
pub(super) struct CustomerOptions {
    pub(super) ctx: PageCtx,
    pub(super) options: Vec<(i64, String)>,
}

/// The related-customer picker's choices for what was typed (htmx).
pub(super) async fn customer_options(request: Page, Query(q): Query<OptionsQuery>) -> PageResult {
    let filter = CustomerFilter { q: Some(q.customer_q.clone()), ..Default::default() };
    let req = PageRequest { limit: Some(20), sort: Some("name".into()), ..Default::default() };
    let options = match customers::list_customers(request.store(), request.actor(), &filter, &req).await {
        Ok(p) => p.items.into_iter().map(|c| (c.id, c.name)).collect(),
        Err(e) => return Err(e.into()),
    };
    let ctx = request.ctx("/tasks").await;
    let page = CustomerOptions { ctx, options };
    Ok(render(&page.ctx, &page))
}
