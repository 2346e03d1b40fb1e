//! Completing, reopening and deleting a task.

use super::*;

#[derive(Debug, Deserialize)]
pub(super) struct VersionForm {
    pub(super) version: i64,
    #[serde(default)]
    pub(super) back: String,
}

pub(super) async fn set_done(request: &Page, id: i64, form: VersionForm, done: bool) -> PageResult {
    let result = tasks::set_done(request.store(), request.actor(), id, form.version, done).await;
    let back = back_to(&form.back, &format!("/tasks/{id}"));
    if request.meta.is_htmx {
        // The row again, as it is now (after a conflict: someone else's state).
        let current = match result {
            Ok(t) => t,
            Err(StoreError::Conflict(_)) => tasks::get_task(request.store(), request.actor(), id).await?,
            Err(e) => return Err(e.into()),
        };
        let ctx = request.ctx("/tasks").await;
        let rows = Rows {
            ctx,
            tasks: vec![current],
            columns: chosen_columns(&request.state, request.actor(), "tasks", &list_columns::TASKS, &DEFAULT_COLUMNS)
                .await,
            selectable: request.actor().can(Module::Customers, Action::Edit),
            next_url: None,
            first_page: false,
            can_edit: true,
            back: form.back.clone(),
        };
        return Ok(render(&rows.ctx, &rows));
    }
    Ok(match result {
        Ok(_) => redirect_flash(&back, if done { "flash.task_completed" } else { "flash.task_reopened" }),
        Err(StoreError::Conflict(_)) => redirect_flash(&back, "flash.stale"),
        Err(e) => return Err(e.into()),
    })
}

pub(super) async fn complete(request: Page, Path(id): Path<i64>, Form(form): Form<VersionForm>) -> PageResult {
    set_done(&request, id, form, true).await
}

pub(super) async fn reopen(request: Page, Path(id): Path<i64>, Form(form): Form<VersionForm>) -> PageResult {
    set_done(&request, id, form, false).await
}

pub(super) async fn delete(request: Page, Path(id): Path<i64>) -> PageResult {
    tasks::delete_task(request.store(), request.actor(), id).await?;
    Ok(redirect_flash("/tasks", "flash.task_deleted"))
}
