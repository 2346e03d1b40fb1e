//! The contact list across customers: filters, views, export and bulk actions.

use super::*;

pub(super) async fn contacts_export_csv(request: Page, query: Query<ContactQuery>) -> PageResult {
    contacts_export(request, query, export::Format::Csv).await
}

pub(super) async fn contacts_export_xlsx(request: Page, query: Query<ContactQuery>) -> PageResult {
    contacts_export(request, query, export::Format::Xlsx).await
}

/// The contacts list as it is filtered, as CSV or an Excel workbook.
pub(super) async fn contacts_export(
    request: Page,
    Query(query): Query<ContactQuery>,
    format: export::Format,
) -> PageResult {
    crate::ui::export_download(
        request.store(),
        request.locale(),
        "contacts",
        &crate::export::CONTACT_COLUMNS,
        crate::export::contacts(
            request.store().clone(),
            request.actor().clone(),
            query.filter(),
            request.meta.locale.clone(),
        ),
        format,
    )
    .await
}

pub(super) const CONTACT_DEFAULT_COLUMNS: [&str; 4] = ["customer", "role", "phones", "email"];

/// The message key of a contact column's heading.
pub(super) fn contact_column_label(code: &str) -> &'static str {
    match code {
        "customer" => "fields.customer_id",
        "role" => "fields.role",
        "phones" => "lists.phones",
        "email" => "fields.email",
        "title" => "fields.title",
        _ => "fields.created_at",
    }
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct ContactQuery {
    pub(super) q: Option<String>,
    pub(super) role: Option<String>,
    pub(super) sort: Option<String>,
    pub(super) cursor: Option<String>,
}

impl ContactQuery {
    pub(super) fn filter(&self) -> ContactFilter {
        ContactFilter { customer_id: None, q: self.q.clone(), role: self.role.clone(), ids: None }
    }

    /// The filters (and sort) as a query string, without the cursor.
    pub(super) fn base_query(&self, sort: Option<&str>) -> String {
        crate::ui::query_string([
            ("q", self.q.as_deref()),
            ("role", self.role.as_deref()),
            ("sort", sort.or(self.sort.as_deref())),
        ])
    }
}

#[derive(Template)]
#[template(path = "customers/contacts.html")]
pub(super) struct ContactsPage {
    pub(super) ctx: PageCtx,
    pub(super) rows: ContactRows,
    pub(super) query: ContactQuery,
    pub(super) roles: [ContactRole; 6],
    pub(super) bar: ViewsBar,
    pub(super) can_export: bool,
    pub(super) can_delete: bool,
}

impl ContactsPage {
    pub(super) fn export_link(&self, format: &str) -> String {
        format!("/contacts/export.{format}?{}", self.query.base_query(None))
    }

    pub(super) fn role_selected(&self, code: &str) -> bool {
        self.query.role.as_deref() == Some(code)
    }

    pub(super) fn sort_link(&self, field: &str) -> String {
        let current = self.query.sort.as_deref().unwrap_or("name");
        let next = if current == field { format!("-{field}") } else { field.to_owned() };
        format!("/contacts?{}", self.query.base_query(Some(&next)))
    }

    pub(super) fn sort_mark(&self, field: &str) -> &'static str {
        match self.query.sort.as_deref().unwrap_or("name") {
            s if s == field => "▲",
            s if s.strip_prefix('-') == Some(field) => "▼",
            _ => "",
        }
    }

    pub(super) fn sortable(&self, column: &str) -> bool {
        column == "created_at"
    }
}

#[derive(Template)]
#[template(path = "customers/contact_rows.html")]
pub(super) struct ContactRows {
    pub(super) ctx: PageCtx,
    pub(super) contacts: Vec<ContactView>,
    pub(super) names: std::collections::HashMap<i64, String>,
    pub(super) columns: Vec<String>,
    pub(super) selectable: bool,
    pub(super) next_url: Option<String>,
    pub(super) first_page: bool,
}

impl ContactRows {
    pub(super) fn customer(&self, id: &i64) -> String {
        self.names.get(id).cloned().unwrap_or_default()
    }

    pub(super) fn span(&self) -> usize {
        self.columns.len() + 1 + usize::from(self.selectable)
    }

    /// On a phone each row is a card showing the customer, role, phones and e-mail; the other columns
    /// stay on the desktop table.
    pub(super) fn cell_class(&self, column: &str) -> &'static str {
        if ["customer", "role", "phones", "email", "title"].contains(&column) { "" } else { "hide-sm" }
    }

    /// The column's name, written before its value on a phone's card.
    pub(super) fn label(&self, column: &str) -> String {
        self.ctx.t(contact_column_label(column))
    }
}

pub(super) async fn contacts_page(request: Page, Query(query): Query<ContactQuery>) -> PageResult {
    let actor = request.actor();
    let filter = query.filter();
    let req = PageRequest { limit: Some(50), cursor: query.cursor.clone(), sort: query.sort.clone() };
    let page = match customers::list_contacts(request.store(), actor, &filter, &req).await {
        Ok(p) => p,
        // A stale cursor or an unknown sort in a shared link: start over.
        Err(StoreError::Invalid(_)) => {
            customers::list_contacts(request.store(), actor, &filter, &PageRequest::default()).await?
        }
        Err(e) => return Err(e.into()),
    };
    let names =
        customers::customer_names(request.store(), page.items.iter().map(|c| c.customer_id)).await.unwrap_or_default();
    let base = query.base_query(None);
    let next_url =
        page.next_cursor.map(|c| format!("/contacts?{base}{}cursor={c}", if base.is_empty() { "" } else { "&" }));
    let ctx = request.ctx("/contacts").await;
    let can_export = actor.can(Module::Customers, Action::Export);
    let can_delete = actor.can(Module::Customers, Action::Edit);
    let columns =
        chosen_columns(&request.state, actor, "contacts", &list_columns::CONTACTS, &CONTACT_DEFAULT_COLUMNS).await;
    let rows = ContactRows {
        ctx: ctx.clone(),
        contacts: page.items,
        names,
        columns,
        selectable: can_export || can_delete,
        next_url,
        first_page: query.cursor.is_none(),
    };
    if request.meta.is_htmx {
        return Ok(render(&rows.ctx, &rows));
    }
    let bar = ViewsBar::load(
        &request.state,
        actor,
        "contacts",
        base,
        &list_columns::CONTACTS,
        &rows.columns,
        contact_column_label,
    )
    .await;
    let page = ContactsPage { ctx, rows, query, roles: ContactRole::ALL, bar, can_export, can_delete };
    Ok(render(&page.ctx, &page))
}

/// A bulk action on the selected contacts: export them or delete them.
pub(super) async fn contacts_bulk(request: Page, MultiForm(form): MultiForm<BulkForm>) -> PageResult {
    let ids = form.ids();
    let back = form.back("/contacts");
    if ids.is_empty() {
        return Ok(redirect_flash(&back, "flash.bulk_none_selected"));
    }
    Ok(match form.action.as_str() {
        "export" => {
            let filter = ContactFilter { ids: Some(ids), ..Default::default() };
            crate::ui::export_download(
                request.store(),
                request.locale(),
                "contacts",
                &crate::export::CONTACT_COLUMNS,
                crate::export::contacts(
                    request.store().clone(),
                    request.actor().clone(),
                    filter,
                    request.meta.locale.clone(),
                ),
                crate::export::Format::Csv,
            )
            .await?
        }
        "delete" => {
            let result = customers::delete_contacts(request.store(), request.actor(), &ids).await;
            bulk_outcome(result, &back, "lists.flash.contacts_refused")?
        }
        _ => redirect_flash(&back, "lists.flash.bulk_invalid"),
    })
}
