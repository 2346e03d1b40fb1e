//! The task page.

use super::*;

#[derive(Template)]
#[template(path = "tasks/show.html")]
pub(super) struct ShowPage {
    pub(super) ctx: PageCtx,
    pub(super) t: TaskView,
    pub(super) can_edit: bool,
    pub(super) can_delete: bool,
}

impl ShowPage {
    pub(super) fn closed(&self) -> bool {
        closed(&self.t.status)
    }
}

pub(super) async fn show(request: Page, Path(id): Path<i64>) -> PageResult {
    let actor = request.actor();
    let t = tasks::get_task(request.store(), actor, id).await?;
    let ctx = request.ctx("/tasks").await;
    let can_delete = actor.can(Module::Customers, Action::Edit)
        && (actor.user_id == Some(t.created_by)
            || (actor.can(Module::Customers, Action::Delete) && actor.sees_owner(Some(t.assignee_id))));
    let page = ShowPage { ctx, can_edit: actor.can(Module::Customers, Action::Edit), can_delete, t };
    Ok(render(&page.ctx, &page))
}
