//! The lead list: filters, saved views, columns, export and bulk actions.

use super::*;

/// The list's tabs: every status, converted leads, deleted leads.
pub(super) const TABS: [&str; 7] = ["", "new", "contacted", "qualified", "disqualified", "converted", "deleted"];

#[derive(Debug, Deserialize, Default)]
pub(super) struct ListQuery {
    pub(super) q: Option<String>,
    /// A status, `converted`, `deleted` or empty for every open and converted lead.
    pub(super) tab: Option<String>,
    pub(super) intention: Option<String>,
    pub(super) source: Option<String>,
    pub(super) campaign: Option<String>,
    /// `mine`, an owner's id, or empty for everyone in scope.
    pub(super) owner: Option<String>,
    /// A team: owners in this department and those below it.
    pub(super) department_id: Option<String>,
    pub(super) sort: Option<String>,
    pub(super) cursor: Option<String>,
}

impl ListQuery {
    pub(super) fn tab(&self) -> &str {
        self.tab.as_deref().filter(|t| TABS.contains(t)).unwrap_or("")
    }

    pub(super) fn filter(&self, actor: &Actor) -> LeadFilter {
        let tab = self.tab();
        let status = LeadStatus::parse(tab).map(|s| s.code().to_owned());
        LeadFilter {
            q: self.q.clone(),
            // A status tab holds the leads still to work; converted ones have their own tab.
            converted: if tab == "converted" { Some(true) } else { status.as_ref().map(|_| false) },
            status,
            intention: self.intention.clone(),
            source: self.source.clone(),
            campaign: self.campaign.clone(),
            owner_id: if self.owner.as_deref() == Some("mine") {
                actor.user_id
            } else {
                crate::ui::id_param(&self.owner)
            },
            department_id: crate::ui::id_param(&self.department_id),
            deleted: tab == "deleted",
            ids: None,
        }
    }

    pub(super) fn pairs<'a>(&'a self, tab: Option<&'a str>, sort: Option<&'a str>) -> String {
        crate::ui::query_string([
            ("q", self.q.as_deref()),
            ("tab", tab.or(self.tab.as_deref())),
            ("intention", self.intention.as_deref()),
            ("source", self.source.as_deref()),
            ("campaign", self.campaign.as_deref()),
            ("owner", self.owner.as_deref()),
            ("department_id", self.department_id.as_deref()),
            ("sort", sort.or(self.sort.as_deref())),
        ])
    }

    pub(super) fn tab_link(&self, tab: &str) -> String {
        let query = self.pairs(Some(tab), None);
        // An empty `tab` must not fall back to the current one.
        let query = if tab.is_empty() {
            query.split('&').filter(|p| !p.starts_with("tab=")).collect::<Vec<_>>().join("&")
        } else {
            query
        };
        if query.is_empty() { "/leads".to_owned() } else { format!("/leads?{query}") }
    }

    pub(super) fn export_link(&self, format: &str) -> String {
        format!("/leads/export.{format}?{}", self.pairs(None, None))
    }

    pub(super) fn campaign_link(&self, campaign: &str) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        out.append_pair("campaign", campaign);
        format!("/leads?{}", out.finish())
    }

    pub(super) fn is(&self, value: &Option<String>, option: &str) -> bool {
        value.as_deref().unwrap_or("") == option
    }

    pub(super) fn value<'a>(&self, value: &'a Option<String>) -> &'a str {
        value.as_deref().unwrap_or("")
    }
}

pub(super) const DEFAULT_COLUMNS: [&str; 7] =
    ["company", "status", "intention", "campaign", "source", "owner", "created_at"];
/// Columns the list can be sorted by (besides the name).
pub(super) const SORTABLE: [&str; 2] = ["created_at", "updated_at"];

/// The message key of a column's heading.
pub(super) fn column_label(code: &str) -> &'static str {
    match code {
        "company" => "leads.company",
        "status" => "fields.status",
        "intention" => "leads.intention",
        "campaign" => "leads.campaign",
        "source" => "fields.source",
        "owner" => "customers.owner",
        "phones" => "lists.phones",
        "email" => "fields.email",
        "region" => "fields.region",
        "updated_at" => "lists.updated_at",
        _ => "fields.created_at",
    }
}

#[derive(Template)]
#[template(path = "leads/list.html")]
pub(super) struct ListPage {
    pub(super) ctx: PageCtx,
    pub(super) rows: Rows,
    pub(super) query: ListQuery,
    pub(super) tabs: [&'static str; 7],
    pub(super) intentions: [Intention; 3],
    pub(super) bar: ViewsBar,
    /// People a lead may be handed to (empty: no assigning).
    pub(super) people: Vec<(i64, String)>,
    /// The owner and team filters' choices (empty: not offered).
    pub(super) owners: Vec<(i64, String)>,
    pub(super) teams: Vec<(i64, String)>,
    pub(super) can_create: bool,
    pub(super) can_export: bool,
    pub(super) can_delete: bool,
    pub(super) filtered: bool,
}

impl ListPage {
    pub(super) fn sort_link(&self, field: &str) -> String {
        let current = self.query.sort.as_deref().unwrap_or("-created_at");
        let next = if current == field { format!("-{field}") } else { field.to_owned() };
        format!("/leads?{}", self.query.pairs(None, Some(&next)))
    }

    pub(super) fn sort_mark(&self, field: &str) -> &'static str {
        match self.query.sort.as_deref().unwrap_or("-created_at") {
            s if s == field => "▲",
            s if s.strip_prefix('-') == Some(field) => "▼",
            _ => "",
        }
    }

    pub(super) fn sortable(&self, column: &str) -> bool {
        SORTABLE.contains(&column)
    }

    pub(super) fn tab_label(&self, tab: &str) -> String {
        if tab.is_empty() { self.ctx.t("leads.tab_all") } else { self.ctx.t(&format!("leads.tabs.{tab}")) }
    }
}

#[derive(Template)]
#[template(path = "leads/rows.html")]
pub(super) struct Rows {
    pub(super) ctx: PageCtx,
    pub(super) leads: Vec<LeadView>,
    pub(super) columns: Vec<String>,
    pub(super) selectable: bool,
    pub(super) next_url: Option<String>,
    pub(super) first_page: bool,
}

impl Rows {
    pub(super) fn span(&self) -> usize {
        self.columns.len() + 1 + usize::from(self.selectable)
    }

    /// On a phone each row is a card showing company, status, intention, owner and phones; the other columns
    /// stay on the desktop table.
    pub(super) fn cell_class(&self, column: &str) -> &'static str {
        if ["company", "status", "intention", "owner", "phones"].contains(&column) { "" } else { "hide-sm" }
    }

    /// The column's name, written before its value on a phone's card.
    pub(super) fn label(&self, column: &str) -> String {
        self.ctx.t(column_label(column))
    }

    pub(super) fn campaign_link(&self, campaign: &str) -> String {
        ListQuery::default().campaign_link(campaign)
    }

    pub(super) fn status_badge(&self, status: &str) -> &'static str {
        status_badge(status)
    }
}

pub(super) async fn list_page(request: Page, Query(query): Query<ListQuery>) -> PageResult {
    let actor = request.actor();
    let filter = query.filter(actor);
    let req = PageRequest { limit: Some(50), cursor: query.cursor.clone(), sort: query.sort.clone() };
    let page = match leads::list_leads(request.store(), actor, &filter, &req).await {
        Ok(p) => p,
        // A stale cursor or an unknown sort in a shared link: start over.
        Err(StoreError::Invalid(_)) => {
            leads::list_leads(request.store(), actor, &filter, &PageRequest::default()).await?
        }
        Err(e) => return Err(e.into()),
    };
    let ctx = request.ctx("/leads").await;
    let base = query.pairs(None, None);
    let next_url =
        page.next_cursor.map(|c| format!("/leads?{base}{}cursor={c}", if base.is_empty() { "" } else { "&" }));
    let first_page = query.cursor.is_none();
    let filtered =
        [&query.q, &query.tab, &query.intention, &query.source, &query.campaign, &query.owner, &query.department_id]
            .iter()
            .any(|v| v.as_deref().is_some_and(|v| !v.is_empty()));
    let can_assign = actor.can(Module::Customers, Action::Edit);
    let can_export = actor.can(Module::Customers, Action::Export);
    let can_delete = actor.can(Module::Customers, Action::Delete);
    // Deleted leads are restored one by one, not acted on in bulk.
    let selectable = query.tab() != "deleted" && (can_assign || can_export || can_delete);
    let columns = chosen_columns(&request.state, actor, "leads", &list_columns::LEADS, &DEFAULT_COLUMNS).await;
    let rows = Rows { ctx: ctx.clone(), leads: page.items, columns, selectable, next_url, first_page };
    if request.meta.is_htmx {
        return Ok(render(&rows.ctx, &rows));
    }
    let bar =
        ViewsBar::load(&request.state, actor, "leads", base, &list_columns::LEADS, &rows.columns, column_label).await;
    let (owners, teams) = crate::ui::scope_filters(request.store(), actor).await;
    let people = if can_assign && crate::ui::may_reassign(actor) { owners.clone() } else { Vec::new() };
    let page = ListPage {
        ctx,
        rows,
        query,
        tabs: TABS,
        intentions: Intention::ALL,
        bar,
        people,
        owners,
        teams,
        can_create: actor.can(Module::Customers, Action::Create),
        can_export,
        can_delete,
        filtered,
    };
    Ok(render(&page.ctx, &page))
}

/// A bulk action on the selected leads: hand them to someone, export or
/// delete them.
pub(super) async fn bulk(request: Page, MultiForm(form): MultiForm<BulkForm>) -> PageResult {
    let ids = form.ids();
    let back = form.back("/leads");
    if ids.is_empty() {
        return Ok(redirect_flash(&back, "flash.bulk_none_selected"));
    }
    if form.action == "export" {
        let filter = LeadFilter { ids: Some(ids), ..Default::default() };
        return export_leads(&request, filter, crate::export::Format::Csv).await;
    }
    let result = match crate::input::bulk::lead_action(&form.action, form.owner_id.parse().ok()) {
        Ok(action) => leads::bulk(request.store(), request.actor(), &ids, action).await,
        Err(invalid) => Err(StoreError::Invalid(invalid)),
    };
    bulk_outcome(result, &back, "lists.flash.leads_refused")
}

pub(super) async fn export_csv(request: Page, query: Query<ListQuery>) -> PageResult {
    export_list(request, query, crate::export::Format::Csv).await
}

pub(super) async fn export_xlsx(request: Page, query: Query<ListQuery>) -> PageResult {
    export_list(request, query, crate::export::Format::Xlsx).await
}

/// The list as it is filtered, as a CSV file Excel opens correctly or as
/// an Excel workbook.
pub(super) async fn export_list(
    request: Page,
    Query(query): Query<ListQuery>,
    format: crate::export::Format,
) -> PageResult {
    let filter = query.filter(request.actor());
    export_leads(&request, filter, format).await
}

pub(super) async fn export_leads(request: &Page, filter: LeadFilter, format: crate::export::Format) -> PageResult {
    crate::ui::export_download(
        request.store(),
        request.locale(),
        "leads",
        &crate::export::LEAD_COLUMNS,
        crate::export::leads(request.store().clone(), request.actor().clone(), filter, request.meta.locale.clone()),
        format,
    )
    .await
}
