//! The task list: filters, saved views, columns, export and bulk actions.

use super::*;

#[derive(Debug, Deserialize, Default)]
pub(super) struct ListQuery {
    /// `mine` (default), `assigned` (by me to others), `team` (others in
    /// my scope) or `all` (everyone in my scope, me included).
    pub(super) tab: Option<String>,
    /// One person's tasks (with `team` or `all`).
    pub(super) assignee_id: Option<String>,
    pub(super) q: Option<String>,
    /// Absent: open tasks; empty: every status.
    pub(super) status: Option<String>,
    pub(super) priority: Option<String>,
    pub(super) overdue: Option<String>,
    pub(super) sort: Option<String>,
    pub(super) cursor: Option<String>,
}

impl ListQuery {
    pub(super) fn tab(&self) -> &str {
        match self.tab.as_deref() {
            Some("assigned") => "assigned",
            Some("team") => "team",
            Some("all") => "all",
            _ => "mine",
        }
    }

    /// Absent: `open`; empty or `all`: every status (`all` survives a saved
    /// view, which keeps no empty values).
    pub(super) fn status(&self) -> &str {
        match self.status.as_deref() {
            None => "open",
            Some("all") => "",
            Some(s) => s,
        }
    }

    pub(super) fn overdue(&self) -> bool {
        self.overdue.as_deref().is_some_and(|v| !v.is_empty())
    }

    pub(super) fn filter(&self, actor: &Actor) -> TaskFilter {
        let me = actor.user_id;
        let one = self.assignee_id.as_deref().and_then(|v| v.parse::<i64>().ok());
        let (assignee_id, created_by, not_assignee_id) = match (self.tab(), one) {
            ("assigned", _) => (None, me, me),
            ("team" | "all", Some(person)) => (Some(person), None, None),
            ("team", None) => (None, None, me),
            ("all", None) => (None, None, None),
            _ => (me, None, None),
        };
        TaskFilter {
            q: self.q.clone(),
            assignee_id,
            not_assignee_id,
            created_by,
            status: Some(self.status().to_owned()),
            priority: self.priority.clone(),
            overdue: self.overdue(),
            ..Default::default()
        }
    }

    pub(super) fn base_query(&self, sort: Option<&str>) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        out.append_pair("tab", self.tab());
        // "Every status" must survive paging and saved views.
        out.append_pair("status", if self.status().is_empty() { "all" } else { self.status() });
        for (k, v) in [
            ("q", self.q.as_deref()),
            ("assignee_id", self.assignee_id.as_deref()),
            ("priority", self.priority.as_deref()),
            ("overdue", self.overdue.as_deref()),
            ("sort", sort.or(self.sort.as_deref())),
        ] {
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                out.append_pair(k, v);
            }
        }
        out.finish()
    }

    pub(super) fn is(&self, value: &Option<String>, option: &str) -> bool {
        value.as_deref().unwrap_or("") == option
    }
}

pub(super) const DEFAULT_COLUMNS: [&str; 5] = ["due_at", "assignee", "priority", "status", "created_at"];

/// The message key of a column's heading.
pub(super) fn column_label(code: &str) -> &'static str {
    match code {
        "due_at" => "tasks.due_at",
        "assignee" => "tasks.assignee",
        "priority" => "tasks.priority_label",
        "status" => "tasks.status_label",
        "customer" => "fields.customer_id",
        "created_by" => "tasks.created_by",
        "start_at" => "tasks.start_at",
        "completed_at" => "tasks.completed_at",
        _ => "fields.created_at",
    }
}

/// The sort a column's heading asks for first, for the sortable ones:
/// the most urgent and the newest come first.
pub(super) fn column_sort(code: &str) -> Option<&'static str> {
    match code {
        "due_at" => Some("due_at"),
        "priority" => Some("-priority"),
        "created_at" => Some("-created_at"),
        _ => None,
    }
}

#[derive(Template)]
#[template(path = "tasks/list.html")]
pub(super) struct ListPage {
    pub(super) ctx: PageCtx,
    pub(super) rows: Rows,
    pub(super) query: ListQuery,
    pub(super) statuses: [TaskStatus; 4],
    pub(super) priorities: [Priority; 4],
    pub(super) bar: ViewsBar,
    /// People tasks may be handed to (empty: no assigning).
    pub(super) people: Vec<(i64, String)>,
    pub(super) can_delete: bool,
    pub(super) show_team: bool,
    pub(super) can_create: bool,
    pub(super) can_export: bool,
}

impl ListPage {
    pub(super) fn export_link(&self, format: &str) -> String {
        format!("/tasks/export.{format}?{}", self.query.base_query(None))
    }

    pub(super) fn tab_link(&self, tab: &str) -> String {
        format!("/tasks?tab={tab}")
    }

    pub(super) fn sort_link(&self, field: &str) -> String {
        let current = self.query.sort.as_deref().unwrap_or("due_at");
        let next = if current == field { format!("-{field}") } else { field.to_owned() };
        format!("/tasks?{}", self.query.base_query(Some(&next)))
    }

    pub(super) fn sort_mark(&self, field: &str) -> &'static str {
        match self.query.sort.as_deref().unwrap_or("due_at") {
            s if s == field => "▲",
            s if s.strip_prefix('-') == Some(field) => "▼",
            _ => "",
        }
    }

    pub(super) fn column_sort(&self, column: &str) -> Option<&'static str> {
        column_sort(column)
    }
}

#[derive(Template)]
#[template(path = "tasks/rows.html")]
pub(super) struct Rows {
    pub(super) ctx: PageCtx,
    pub(super) tasks: Vec<TaskView>,
    pub(super) columns: Vec<String>,
    pub(super) selectable: bool,
    pub(super) next_url: Option<String>,
    pub(super) first_page: bool,
    pub(super) can_edit: bool,
    /// Where one-click completion returns to without JavaScript.
    pub(super) back: String,
}

impl Rows {
    pub(super) fn closed(&self, status: &str) -> bool {
        closed(status)
    }

    pub(super) fn span(&self) -> usize {
        self.columns.len() + 2 + usize::from(self.selectable)
    }

    /// On a phone each row is a card showing when it is due, its status, who does it, how urgent and for whom; the other columns
    /// stay on the desktop table.
    pub(super) fn cell_class(&self, column: &str) -> &'static str {
        if ["due_at", "status", "assignee", "priority", "customer"].contains(&column) { "" } else { "hide-sm" }
    }

    /// The column's name, written before its value on a phone's card.
    pub(super) fn label(&self, column: &str) -> String {
        self.ctx.t(column_label(column))
    }

    pub(super) fn shows(&self, column: &str) -> bool {
        self.columns.iter().any(|c| c == column)
    }
}

pub(super) async fn list_page(request: Page, Query(query): Query<ListQuery>) -> PageResult {
    let actor = request.actor();
    let filter = query.filter(actor);
    let req = PageRequest { limit: Some(50), cursor: query.cursor.clone(), sort: query.sort.clone() };
    let page = match tasks::list_tasks(request.store(), actor, &filter, &req).await {
        Ok(p) => p,
        // A stale cursor or an unknown sort or filter: start again plainly.
        Err(StoreError::Invalid(_)) => {
            let plain = TaskFilter { status: None, priority: None, ..filter };
            tasks::list_tasks(request.store(), actor, &plain, &PageRequest::default()).await?
        }
        Err(e) => return Err(e.into()),
    };
    let ctx = request.ctx("/tasks").await;
    let base = query.base_query(None);
    let next_url = page.next_cursor.map(|c| format!("/tasks?{base}&cursor={c}"));
    let can_edit = actor.can(Module::Customers, Action::Edit);
    let rows = Rows {
        ctx: ctx.clone(),
        tasks: page.items,
        columns: chosen_columns(&request.state, actor, "tasks", &list_columns::TASKS, &DEFAULT_COLUMNS).await,
        selectable: can_edit,
        next_url,
        first_page: query.cursor.is_none(),
        can_edit,
        back: format!("/tasks?{base}"),
    };
    if request.meta.is_htmx {
        return Ok(render(&rows.ctx, &rows));
    }
    let bar =
        ViewsBar::load(&request.state, actor, "tasks", base, &list_columns::TASKS, &rows.columns, column_label).await;
    let people =
        if can_edit { tasks::assignable_people(request.store(), actor).await.unwrap_or_default() } else { Vec::new() };
    let page = ListPage {
        ctx,
        rows,
        query,
        statuses: TaskStatus::ALL,
        priorities: Priority::ALL,
        bar,
        people,
        can_delete: can_edit,
        show_team: actor.scope != DataScope::Own,
        can_create: actor.can(Module::Customers, Action::Create),
        can_export: actor.can(Module::Customers, Action::Export),
    };
    Ok(render(&page.ctx, &page))
}

pub(super) async fn export_csv(request: Page, query: Query<ListQuery>) -> PageResult {
    export_list(request, query, crate::export::Format::Csv).await
}

pub(super) async fn export_xlsx(request: Page, query: Query<ListQuery>) -> PageResult {
    export_list(request, query, crate::export::Format::Xlsx).await
}

/// The list as it is filtered, as CSV or an Excel workbook.
pub(super) async fn export_list(
    request: Page,
    Query(query): Query<ListQuery>,
    format: crate::export::Format,
) -> PageResult {
    let filter = query.filter(request.actor());
    crate::ui::export_download(
        request.store(),
        request.locale(),
        "tasks",
        &crate::export::TASK_COLUMNS,
        crate::export::tasks(request.store().clone(), request.actor().clone(), filter, request.meta.locale.clone()),
        format,
    )
    .await
}

/// A bulk action on the selected tasks: hand them to someone, mark them
/// done or delete them.
pub(super) async fn bulk(request: Page, MultiForm(form): MultiForm<BulkForm>) -> PageResult {
    let ids = form.ids();
    let back = form.back("/tasks");
    if ids.is_empty() {
        return Ok(redirect_flash(&back, "flash.bulk_none_selected"));
    }
    let result = match crate::input::bulk::task_action(&form.action, form.assignee_id.parse().ok()) {
        Ok(action) => tasks::bulk(request.store(), request.actor(), &ids, action).await,
        Err(invalid) => Err(StoreError::Invalid(invalid)),
    };
    bulk_outcome(result, &back, "lists.flash.tasks_refused")
}
