//! The customer list: filters, saved views, columns, export and bulk actions.

use super::*;

pub(super) const DEFAULT_COLUMNS: [&str; 5] = ["grade", "industry", "region", "owner", "last_activity_at"];
/// Columns the list can be sorted by (besides the name).
pub(super) const SORTABLE: [&str; 3] = ["last_activity_at", "created_at", "closed_at"];

/// The message key of a column's heading.
pub(super) fn column_label(code: &str) -> &'static str {
    match code {
        "grade" => "fields.grade",
        "industry" => "fields.industry",
        "region" => "fields.region",
        "owner" => "customers.owner",
        "last_activity_at" => "customers.last_activity",
        "source" => "fields.source",
        "kind" => "fields.kind",
        "tags" => "fields.tags",
        "credit_limit" => "fields.credit_limit",
        "closed_at" => "fields.closed_at",
        _ => "fields.created_at",
    }
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct ListQuery {
    pub(super) q: Option<String>,
    pub(super) grade: Option<String>,
    /// `mine`, `pool`, `closed` (成交客户档案) or empty for everything in scope.
    pub(super) scope: Option<String>,
    pub(super) province: Option<String>,
    pub(super) industry: Option<String>,
    pub(super) tag: Option<String>,
    /// An owner's id (someone in scope).
    pub(super) owner_id: Option<String>,
    /// A team: owners in this department and those below it.
    pub(super) department_id: Option<String>,
    pub(super) sort: Option<String>,
    pub(super) cursor: Option<String>,
}

impl ListQuery {
    pub(super) fn filter(&self, actor: &salesflow_store::Actor) -> CustomerFilter {
        CustomerFilter {
            q: self.q.clone(),
            grade: self.grade.clone(),
            province: self.province.clone(),
            industry: self.industry.clone(),
            tag: self.tag.clone(),
            pool: self.scope.as_deref() == Some("pool"),
            owner_id: if self.scope.as_deref() == Some("mine") {
                actor.user_id
            } else {
                crate::ui::id_param(&self.owner_id)
            },
            department_id: crate::ui::id_param(&self.department_id),
            closed: (self.scope.as_deref() == Some("closed")).then_some(true),
            ..Default::default()
        }
    }

    pub(super) fn export_link(&self, format: &str) -> String {
        format!("/customers/export.{format}?{}", self.base_query(None))
    }

    /// The filters (and sort) as a query string, without the cursor.
    pub(super) fn base_query(&self, sort: Option<&str>) -> String {
        crate::ui::query_string([
            ("q", self.q.as_deref()),
            ("grade", self.grade.as_deref()),
            ("scope", self.scope.as_deref()),
            ("province", self.province.as_deref()),
            ("industry", self.industry.as_deref()),
            ("tag", self.tag.as_deref()),
            ("owner_id", self.owner_id.as_deref()),
            ("department_id", self.department_id.as_deref()),
            ("sort", sort.or(self.sort.as_deref())),
        ])
    }

    pub(super) fn is(&self, value: &Option<String>, option: &str) -> bool {
        value.as_deref().unwrap_or("") == option
    }

    pub(super) fn is_id(&self, value: &Option<String>, id: &i64) -> bool {
        crate::ui::id_param(value) == Some(*id)
    }

    pub(super) fn default_sort(&self) -> &'static str {
        if self.scope.as_deref() == Some("closed") { "-closed_at" } else { "-last_activity_at" }
    }
}

#[derive(Template)]
#[template(path = "customers/list.html")]
pub(super) struct ListPage {
    pub(super) ctx: PageCtx,
    pub(super) rows: Rows,
    pub(super) query: ListQuery,
    pub(super) grades: [Grade; 3],
    pub(super) bar: ViewsBar,
    /// Whom the selected customers may be handed to (empty: no reassigning).
    pub(super) people: Vec<(i64, String)>,
    /// The owner and team filters' choices (empty: not offered).
    pub(super) owners: Vec<(i64, String)>,
    pub(super) teams: Vec<(i64, String)>,
    /// May open the hand-over page.
    pub(super) can_hand_over: bool,
    pub(super) can_create: bool,
    pub(super) can_export: bool,
    pub(super) can_bulk: bool,
    pub(super) can_delete: bool,
    pub(super) filtered: bool,
}

impl ListPage {
    /// The industry filter's options: code, label, selected.
    pub(super) fn industries(&self) -> Vec<(String, String, bool)> {
        let current = self.query.industry.as_deref().unwrap_or("");
        self.rows
            .lists
            .of(salesflow_domain::records::Picklist::Industry)
            .map(|e| (e.code.clone(), e.label(&self.ctx.locale).to_owned(), e.code == current))
            .collect()
    }

    pub(super) fn sort_link(&self, field: &str) -> String {
        let current = self.query.sort.as_deref().unwrap_or(self.query.default_sort());
        let next = if current == field { format!("-{field}") } else { field.to_owned() };
        format!("/customers?{}", self.query.base_query(Some(&next)))
    }

    pub(super) fn sort_mark(&self, field: &str) -> &'static str {
        match self.query.sort.as_deref().unwrap_or(self.query.default_sort()) {
            s if s == field => "▲",
            s if s.strip_prefix('-') == Some(field) => "▼",
            _ => "",
        }
    }

    pub(super) fn sortable(&self, column: &str) -> bool {
        SORTABLE.contains(&column) && (column != "closed_at" || self.query.scope.as_deref() == Some("closed"))
    }

    pub(super) fn back(&self) -> String {
        self.bar.back()
    }
}

#[derive(Template)]
#[template(path = "customers/rows.html")]
pub(super) struct Rows {
    pub(super) ctx: PageCtx,
    pub(super) customers: Vec<CustomerView>,
    pub(super) columns: Vec<String>,
    pub(super) selectable: bool,
    pub(super) next_url: Option<String>,
    pub(super) first_page: bool,
    pub(super) lists: salesflow_store::picklists::Picklists,
}

impl Rows {
    pub(super) fn span(&self) -> usize {
        self.columns.len() + 1 + usize::from(self.selectable)
    }

    pub(super) fn money(&self, amount: &str) -> String {
        // HTML (`|safe`): short with the exact amount on hover when the setting asks.
        self.ctx.money(amount, "")
    }

    /// A picklist value (`industry`, `source`, `kind`) in the reader's language.
    pub(super) fn pick(&self, list: &str, value: &Option<String>) -> String {
        match (salesflow_domain::records::Picklist::parse(list), value) {
            (Some(list), Some(code)) => self.lists.label(list, code, &self.ctx.locale).to_owned(),
            _ => "—".to_owned(),
        }
    }

    /// On a phone each row is a card showing grade, owner, last contact and region; the other columns
    /// stay on the desktop table.
    pub(super) fn cell_class(&self, column: &str) -> &'static str {
        if ["grade", "owner", "last_activity_at", "region"].contains(&column) { "" } else { "hide-sm" }
    }

    /// The column's name, written before its value on a phone's card.
    pub(super) fn label(&self, column: &str) -> String {
        self.ctx.t(column_label(column))
    }
}

pub(super) async fn list_page(request: Page, Query(query): Query<ListQuery>) -> PageResult {
    let actor = request.actor();
    let filter = query.filter(actor);
    let sort = query.sort.clone().or_else(|| Some(query.default_sort().to_owned()));
    let req = PageRequest { limit: Some(50), cursor: query.cursor.clone(), sort: sort.clone() };
    let page = match customers::list_customers(request.store(), actor, &filter, &req).await {
        Ok(p) => p,
        Err(StoreError::Invalid(_)) => {
            let req = PageRequest { sort: Some(query.default_sort().to_owned()), ..Default::default() };
            customers::list_customers(request.store(), actor, &filter, &req).await?
        }
        Err(e) => return Err(e.into()),
    };
    let ctx = request.ctx("/customers").await;
    let base = query.base_query(None);
    let next_url =
        page.next_cursor.map(|c| format!("/customers?{base}{}cursor={c}", if base.is_empty() { "" } else { "&" }));
    let columns = chosen_columns(&request.state, actor, "customers", &list_columns::CUSTOMERS, &DEFAULT_COLUMNS).await;
    let can_bulk = actor.can(Module::Customers, Action::Edit) || actor.can(Module::Customers, Action::Export);
    let rows = Rows {
        ctx: ctx.clone(),
        customers: page.items,
        columns,
        selectable: can_bulk,
        next_url,
        first_page: query.cursor.is_none(),
        lists: salesflow_store::picklists::all(request.store()).await?,
    };
    if request.meta.is_htmx {
        return Ok(render(&rows.ctx, &rows));
    }
    let filtered = [
        &query.q,
        &query.grade,
        &query.scope,
        &query.province,
        &query.industry,
        &query.tag,
        &query.owner_id,
        &query.department_id,
    ]
    .iter()
    .any(|v| v.as_deref().is_some_and(|v| !v.is_empty()));
    let bar =
        ViewsBar::load(&request.state, actor, "customers", base, &list_columns::CUSTOMERS, &rows.columns, column_label)
            .await;
    let (owners, teams) = crate::ui::scope_filters(request.store(), actor).await;
    let page = ListPage {
        ctx,
        rows,
        query,
        grades: Grade::ALL,
        bar,
        people: if actor.can(Module::Customers, Action::Edit) && crate::ui::may_reassign(actor) {
            owners.clone()
        } else {
            Vec::new()
        },
        owners,
        teams,
        can_hand_over: actor.can(Module::Customers, Action::Administer) && crate::ui::may_reassign(actor),
        can_create: actor.can(Module::Customers, Action::Create),
        can_export: actor.can(Module::Customers, Action::Export),
        can_bulk,
        can_delete: actor.can(Module::Customers, Action::Delete),
        filtered,
    };
    Ok(render(&page.ctx, &page))
}

/// The list as it is filtered, as a CSV file Excel opens correctly.
pub(super) async fn export_csv(request: Page, Query(query): Query<ListQuery>) -> PageResult {
    export_customers(&request, query.filter(request.actor()), export::Format::Csv).await
}

/// The list as it is filtered, as an Excel workbook.
pub(super) async fn export_xlsx(request: Page, Query(query): Query<ListQuery>) -> PageResult {
    export_customers(&request, query.filter(request.actor()), export::Format::Xlsx).await
}

pub(super) async fn export_customers(request: &Page, filter: CustomerFilter, format: export::Format) -> PageResult {
    crate::ui::export_download(
        request.store(),
        request.locale(),
        "customers",
        &crate::export::CUSTOMER_COLUMNS,
        crate::export::customers(request.store().clone(), request.actor().clone(), filter, request.locale().to_owned()),
        format,
    )
    .await
}

/// A bulk action on the selected rows: assign an owner, add a tag, export
/// or delete.
pub(super) async fn bulk(request: Page, MultiForm(form): MultiForm<BulkForm>) -> PageResult {
    let ids = form.ids();
    let back = form.back("/customers");
    if ids.is_empty() {
        return Ok(redirect_flash(&back, "flash.bulk_none_selected"));
    }
    if form.action == "export" {
        let filter = CustomerFilter { ids: Some(ids), ..Default::default() };
        return export_customers(&request, filter, export::Format::Csv).await;
    }
    let owner = form.owner_id.parse().ok();
    let result = match crate::input::bulk::customer_action(&form.action, owner, Some(&form.tag)) {
        Ok(action) => customers::bulk(request.store(), request.actor(), &ids, action).await,
        Err(invalid) => Err(StoreError::Invalid(invalid)),
    };
    Ok(match result {
        Ok(_) => redirect_flash(&back, "flash.bulk_done"),
        Err(StoreError::Invalid(_)) => redirect_flash(&back, "flash.bulk_invalid"),
        Err(StoreError::NotFound) | Err(StoreError::Forbidden) => redirect_flash(&back, "flash.bulk_refused"),
        Err(e) => return Err(e.into()),
    })
}
