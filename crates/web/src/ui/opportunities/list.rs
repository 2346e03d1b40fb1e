//! The opportunity list: filters, sorting, saved views, columns and export.

use super::*;

#[derive(Debug, Deserialize, Default)]
pub(super) struct ListQuery {
    pub(super) q: Option<String>,
    pub(super) pipeline_id: Option<String>,
    pub(super) stage_id: Option<String>,
    /// `open`, `won`, `lost` or empty for all.
    pub(super) status: Option<String>,
    pub(super) owner_id: Option<String>,
    pub(super) department_id: Option<String>,
    pub(super) close_from: Option<String>,
    pub(super) close_to: Option<String>,
    /// `1`: only stalled open deals.
    pub(super) stalled: Option<String>,
    pub(super) sort: Option<String>,
    pub(super) cursor: Option<String>,
}

impl ListQuery {
    pub(super) fn filter(&self) -> OpportunityFilter {
        OpportunityFilter {
            q: self.q.clone().filter(|q| !q.trim().is_empty()),
            pipeline_id: parse_id(&self.pipeline_id),
            stage_id: parse_id(&self.stage_id),
            status: self.status.clone().filter(|s| OpportunityStatus::parse(s).is_some()),
            owner_id: parse_id(&self.owner_id),
            department_id: parse_id(&self.department_id),
            customer_id: None,
            close_from: parse_date(&self.close_from),
            close_to: parse_date(&self.close_to),
            deleted: false,
            ids: None,
            stalled: self.stalled.as_deref() == Some("1"),
        }
    }

    pub(super) fn pairs(&self, sort: Option<&str>) -> String {
        crate::ui::query_string([
            ("q", self.q.as_deref()),
            ("pipeline_id", self.pipeline_id.as_deref()),
            ("stage_id", self.stage_id.as_deref()),
            ("status", self.status.as_deref()),
            ("owner_id", self.owner_id.as_deref()),
            ("department_id", self.department_id.as_deref()),
            ("close_from", self.close_from.as_deref()),
            ("close_to", self.close_to.as_deref()),
            ("stalled", self.stalled.as_deref()),
            ("sort", sort.or(self.sort.as_deref())),
        ])
    }

    pub(super) fn export_link(&self, format: &str) -> String {
        format!("/opportunities/export.{format}?{}", self.pairs(None))
    }

    pub(super) fn is(&self, value: &Option<String>, option: &str) -> bool {
        value.as_deref().unwrap_or("") == option
    }

    pub(super) fn is_id(&self, value: &Option<String>, id: &i64) -> bool {
        value.as_deref().unwrap_or("") == id.to_string()
    }

    pub(super) fn value<'a>(&self, value: &'a Option<String>) -> &'a str {
        value.as_deref().unwrap_or("")
    }

    pub(super) fn filtered(&self) -> bool {
        [
            &self.q,
            &self.pipeline_id,
            &self.stage_id,
            &self.status,
            &self.owner_id,
            &self.department_id,
            &self.close_from,
            &self.close_to,
            &self.stalled,
        ]
        .iter()
        .any(|v| v.as_deref().is_some_and(|v| !v.is_empty()))
    }
}

pub(super) const DEFAULT_COLUMNS: [&str; 9] =
    ["customer", "stage", "amount", "weighted", "probability", "close_date", "owner", "days_in_stage", "status"];
/// Columns the list can be sorted by (besides the name).
pub(super) const SORTABLE: [&str; 2] = ["amount", "updated_at"];

pub(super) fn column_label(code: &str) -> &'static str {
    match code {
        "customer" => "fields.customer_id",
        "stage" => "opportunities.stage",
        "status" => "fields.status",
        "amount" => "opportunities.amount",
        "weighted" => "opportunities.weighted_amount",
        "probability" => "opportunities.probability",
        "close_date" => "opportunities.expected_close_date",
        "owner" => "customers.owner",
        "days_in_stage" => "opportunities.days_in_stage",
        "next_step" => "opportunities.next_step",
        "source" => "fields.source",
        _ => "lists.updated_at",
    }
}

#[derive(Template)]
#[template(path = "opportunities/list.html")]
pub(super) struct ListPage {
    pub(super) ctx: PageCtx,
    pub(super) rows: Rows,
    pub(super) query: ListQuery,
    pub(super) bar: ViewsBar,
    pub(super) pipelines: Vec<PipelineView>,
    pub(super) people: Vec<(i64, String)>,
    pub(super) departments: Vec<(i64, String)>,
    pub(super) statuses: [OpportunityStatus; 3],
    pub(super) can_create: bool,
    pub(super) can_export: bool,
}

impl ListPage {
    pub(super) fn sort_link(&self, field: &str) -> String {
        let current = self.query.sort.as_deref().unwrap_or("-updated_at");
        let next = if current == field { format!("-{field}") } else { field.to_owned() };
        format!("/opportunities?{}", self.query.pairs(Some(&next)))
    }

    pub(super) fn sort_mark(&self, field: &str) -> &'static str {
        match self.query.sort.as_deref().unwrap_or("-updated_at") {
            s if s == field => "▲",
            s if s.strip_prefix('-') == Some(field) => "▼",
            _ => "",
        }
    }

    pub(super) fn sortable(&self, column: &str) -> bool {
        SORTABLE.contains(&column)
    }

    /// Stages for the stage filter: those of the chosen pipeline, or all.
    pub(super) fn stage_options(&self) -> Vec<(i64, String)> {
        let chosen = parse_id(&self.query.pipeline_id);
        self.pipelines
            .iter()
            .filter(|p| chosen.is_none_or(|c| c == p.id))
            .flat_map(|p| {
                let prefix =
                    if chosen.is_some() { String::new() } else { format!("{} · ", p.label(&self.ctx.locale)) };
                p.active_stages()
                    .map(move |s| (s.id, format!("{prefix}{}", s.label(&self.ctx.locale))))
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

#[derive(Template)]
#[template(path = "opportunities/rows.html")]
pub(super) struct Rows {
    pub(super) ctx: PageCtx,
    pub(super) items: Vec<OpportunityView>,
    pub(super) columns: Vec<String>,
    pub(super) next_url: Option<String>,
    pub(super) first_page: bool,
    /// What the whole filtered list adds up to (on the first page only:
    /// its last row, which the next pages' rows are inserted above).
    pub(super) totals: Option<store::OpportunityTotals>,
}

impl Rows {
    pub(super) fn span(&self) -> usize {
        self.columns.len() + 1
    }

    /// On a phone each row is a card showing the customer, stage, amount, owner, close date and next step; the other columns
    /// stay on the desktop table.
    pub(super) fn cell_class(&self, column: &str) -> &'static str {
        if ["customer", "stage", "status", "amount", "owner", "close_date", "next_step"].contains(&column) {
            ""
        } else {
            "hide-sm"
        }
    }

    /// The column's name, written before its value on a phone's card.
    pub(super) fn label(&self, column: &str) -> String {
        self.ctx.t(column_label(column))
    }

    pub(super) fn stage(&self, o: &OpportunityView) -> String {
        stage_label(o, &self.ctx.locale)
    }

    pub(super) fn badge(&self, status: &str) -> &'static str {
        status_badge(status)
    }

    /// "Total of 42 deals" in the reader's language.
    pub(super) fn totals_label(&self, count: &i64) -> String {
        self.ctx.t("opportunities.totals").replace("%{n}", &count.to_string())
    }
}

pub(super) async fn list_page(request: Page, Query(query): Query<ListQuery>) -> PageResult {
    let actor = request.actor();
    let filter = query.filter();
    let req = PageRequest { limit: Some(50), cursor: query.cursor.clone(), sort: query.sort.clone() };
    let page = match store::list_opportunities(request.store(), actor, &filter, &req).await {
        Ok(p) => p,
        // A stale cursor or an unknown sort in a shared link: start over.
        Err(StoreError::Invalid(_)) => {
            store::list_opportunities(request.store(), actor, &filter, &PageRequest::default()).await?
        }
        Err(e) => return Err(e.into()),
    };
    let ctx = request.ctx("/opportunities").await;
    let base = query.pairs(None);
    let next_url =
        page.next_cursor.map(|c| format!("/opportunities?{base}{}cursor={c}", if base.is_empty() { "" } else { "&" }));
    let columns =
        chosen_columns(&request.state, actor, "opportunities", &list_columns::OPPORTUNITIES, &DEFAULT_COLUMNS).await;
    let first_page = query.cursor.is_none();
    // The whole filtered list's sums (one statement), under its first page.
    let totals = if first_page && !page.items.is_empty() {
        Some(store::list_totals(request.store(), actor, &filter).await?)
    } else {
        None
    };
    let rows = Rows { ctx: ctx.clone(), items: page.items, columns, next_url, first_page, totals };
    if request.meta.is_htmx {
        return Ok(render(&rows.ctx, &rows));
    }
    let bar = ViewsBar::load(
        &request.state,
        actor,
        "opportunities",
        base,
        &list_columns::OPPORTUNITIES,
        &rows.columns,
        column_label,
    )
    .await;
    let pipelines = pipelines::list_pipelines(request.store(), actor, false).await.unwrap_or_default();
    let (people, departments) = crate::ui::scope_filters(request.store(), actor).await;
    let page = ListPage {
        ctx,
        rows,
        query,
        bar,
        pipelines,
        people,
        departments,
        statuses: OpportunityStatus::ALL,
        can_create: actor.can(Module::Opportunities, Action::Create),
        can_export: actor.can(Module::Opportunities, Action::Export),
    };
    Ok(render(&page.ctx, &page))
}

pub(super) async fn export_csv(request: Page, query: Query<ListQuery>) -> PageResult {
    export_list(request, query, crate::export::Format::Csv).await
}

pub(super) async fn export_xlsx(request: Page, query: Query<ListQuery>) -> PageResult {
    export_list(request, query, crate::export::Format::Xlsx).await
}

/// The list as it is filtered and sorted, as CSV or an Excel workbook.
pub(super) async fn export_list(
    request: Page,
    Query(query): Query<ListQuery>,
    format: crate::export::Format,
) -> PageResult {
    let fetch = crate::export::opportunities(
        request.store().clone(),
        request.actor().clone(),
        query.filter(),
        query.sort.clone(),
        request.meta.locale.clone(),
    );
    crate::ui::export_download(
        request.store(),
        request.locale(),
        "opportunities",
        &crate::export::OPPORTUNITY_COLUMNS,
        fetch,
        format,
    )
    .await
}
