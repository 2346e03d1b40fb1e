//! Exports of any list, with its filters: CSV in UTF-8 with a byte-order
//! mark (so Excel opens Chinese text correctly), streamed page by page so a
//! million rows never sit in memory; or an Excel workbook written in
//! constant-memory mode (rows go to a temporary file as they come).

pub mod reports;
pub mod sheet;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::cells::csv_safe;
use salesflow_domain::records::Picklist;
use salesflow_store::activities::{self, ActivityFilter, ActivityView};
use salesflow_store::customers::{self, ContactFilter, ContactView, CustomerFilter, CustomerView};
use salesflow_store::finance::{self, InvoiceFilter, InvoiceView, PaymentFilter, PaymentView};
use salesflow_store::leads::{self, LeadFilter, LeadView};
use salesflow_store::opportunities;
use salesflow_store::paging::PageRequest;
use salesflow_store::picklists::{self, Picklists};
use salesflow_store::products::{self, ProductFilter, ProductView};
use salesflow_store::tasks::{self, TaskFilter, TaskView};
use salesflow_store::{Actor, Store, StoreError, StoreResult};

pub use sheet::Cell;
use sheet::{Formats, SheetWriter, Style};

const BOM: &[u8] = b"\xEF\xBB\xBF";
const PAGE: u64 = 500;
/// Excel's sheet holds 1,048,576 rows, one of them the header.
const XLSX_MAX_ROWS: u32 = 1_048_575;

/// One page of rows and the cursor of the next page.
pub type Rows = (Vec<Vec<Cell>>, Option<String>);
/// Fetches the page at a cursor (`None`: the first page).
pub type Fetch = Arc<dyn Fn(Option<String>) -> Pin<Box<dyn Future<Output = StoreResult<Rows>> + Send>> + Send + Sync>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

/// A translated header from message keys.
pub fn header(t: &dyn Fn(&str) -> String, keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| t(k)).collect()
}

/// The customer export's columns: every field the customer import reads
/// back (their headers are names the import recognises in either
/// language), then the read-only ones.
pub const CUSTOMER_COLUMNS: [&str; 17] = [
    "fields.name",
    "fields.grade",
    "fields.industry",
    "fields.phone",
    "fields.website",
    "fields.credit_code",
    "fields.province",
    "fields.city",
    "fields.address",
    "fields.source",
    "fields.kind",
    "fields.tags",
    "fields.credit_limit",
    "customers.owner",
    "customers.last_activity",
    "fields.closed_at",
    "fields.created_at",
];

/// A customer's row; picklist fields (industry, source, type) as their
/// labels in the reader's language, which the import takes back.
fn customer_row(c: &CustomerView, lists: &Picklists, locale: &str) -> Vec<Cell> {
    let o = Cell::opt_text;
    let label = |list: Picklist, code: &Option<String>| {
        code.as_deref().map_or(Cell::Empty, |code| Cell::text(lists.label(list, code, locale)))
    };
    vec![
        Cell::text(&c.name),
        o(&c.grade),
        label(Picklist::Industry, &c.industry),
        o(&c.phone),
        o(&c.website),
        o(&c.credit_code),
        o(&c.province),
        o(&c.city),
        o(&c.address),
        label(Picklist::Source, &c.source),
        label(Picklist::Kind, &c.kind),
        Cell::Text(c.tags.join(",")),
        Cell::Money(c.credit_limit.clone()),
        o(&c.owner_name),
        Cell::DateTime(c.last_activity_at),
        Cell::opt_datetime(c.closed_at),
        Cell::DateTime(c.created_at),
    ]
}

/// The customers list, page after page (needs the export right), in the
/// reader's language.
pub fn customers(store: Store, actor: Actor, filter: CustomerFilter, locale: String) -> StoreResult<Fetch> {
    actor.require(Module::Customers, Action::Export)?;
    Ok(Arc::new(move |cursor| {
        let (store, actor, filter, locale) = (store.clone(), actor.clone(), filter.clone(), locale.clone());
        Box::pin(async move {
            let req = PageRequest { limit: Some(PAGE), cursor, sort: None };
            let page = customers::list_customers(&store, &actor, &filter, &req).await?;
            let lists = picklists::all(&store).await?;
            Ok((page.items.iter().map(|c| customer_row(c, &lists, &locale)).collect(), page.next_cursor))
        })
    }))
}

pub const ACTIVITY_COLUMNS: [&str; 11] = [
    "activities.occurred_at",
    "activities.customer",
    "activities.kind",
    "activities.subject",
    "activities.participants",
    "activities.intention",
    "activities.outcome",
    "activities.next_step",
    "activities.next_at",
    "activities.recorded_by",
    "fields.created_at",
];

fn activity_row(a: &ActivityView, t: &dyn Fn(&str) -> String) -> Vec<Cell> {
    let o = Cell::opt_text;
    vec![
        Cell::DateTime(a.occurred_at),
        o(&a.customer_name),
        Cell::Text(t(&format!("activity_kinds.{}", a.kind))),
        Cell::text(&a.subject),
        o(&a.participants),
        a.intention.as_ref().map_or(Cell::Empty, |i| Cell::Text(t(&format!("intentions.{i}")))),
        Cell::text(&a.outcome),
        o(&a.next_step),
        Cell::opt_datetime(a.next_at),
        o(&a.owner_name),
        Cell::DateTime(a.created_at),
    ]
}

/// Visits and contact records across customers (needs the export right).
pub fn activities(store: Store, actor: Actor, filter: ActivityFilter, locale: String) -> StoreResult<Fetch> {
    actor.require(Module::Customers, Action::Export)?;
    Ok(Arc::new(move |cursor| {
        let (store, actor, filter, locale) = (store.clone(), actor.clone(), filter.clone(), locale.clone());
        Box::pin(async move {
            let req = PageRequest { limit: Some(PAGE), cursor, sort: None };
            let page = activities::list_activities(&store, &actor, &filter, &req).await?;
            let t = |k: &str| crate::i18n::t(&locale, k);
            Ok((page.items.iter().map(|a| activity_row(a, &t)).collect(), page.next_cursor))
        })
    }))
}

pub const LEAD_COLUMNS: [&str; 16] = [
    "fields.name",
    "leads.company",
    "fields.title",
    "fields.mobile",
    "fields.phone",
    "fields.email",
    "fields.province",
    "fields.city",
    "fields.source",
    "leads.campaign",
    "leads.intention",
    "fields.status",
    "customers.owner",
    "leads.disqualify_reason",
    "leads.converted_at",
    "fields.created_at",
];

fn lead_row(l: &LeadView, locale: &str) -> Vec<Cell> {
    let o = Cell::opt_text;
    let label = |group: &str, code: &str| Cell::Text(crate::i18n::t(locale, &format!("{group}.{code}")));
    vec![
        Cell::text(&l.name),
        o(&l.company),
        o(&l.title),
        o(&l.mobile),
        o(&l.phone),
        o(&l.email),
        o(&l.province),
        o(&l.city),
        o(&l.source),
        o(&l.campaign),
        l.intention.as_deref().map_or(Cell::Empty, |i| label("leads.intentions", i)),
        label("leads.statuses", &l.status),
        o(&l.owner_name),
        o(&l.disqualify_reason),
        Cell::opt_datetime(l.converted_at),
        Cell::DateTime(l.created_at),
    ]
}

/// Leads, page after page (needs the export right).
pub fn leads(store: Store, actor: Actor, filter: LeadFilter, locale: String) -> StoreResult<Fetch> {
    actor.require(Module::Customers, Action::Export)?;
    Ok(Arc::new(move |cursor| {
        let (store, actor, filter, locale) = (store.clone(), actor.clone(), filter.clone(), locale.clone());
        Box::pin(async move {
            let req = PageRequest { limit: Some(PAGE), cursor, sort: None };
            let page = leads::list_leads(&store, &actor, &filter, &req).await?;
            Ok((page.items.iter().map(|l| lead_row(l, &locale)).collect(), page.next_cursor))
        })
    }))
}

pub const PRODUCT_COLUMNS: [&str; 12] = [
    "products.code",
    "products.name",
    "products.category",
    "products.specification",
    "products.unit",
    "products.list_price",
    "products.cost",
    "products.tax_rate",
    "products.reorder_point",
    "products.safety_stock",
    "products.active",
    "products.service",
];

fn product_row(p: &ProductView) -> Vec<Cell> {
    vec![
        Cell::text(&p.code),
        Cell::text(&p.name),
        Cell::opt_text(&p.category_name),
        Cell::text(&p.specification),
        Cell::text(&p.unit),
        Cell::Money(p.list_price.clone()),
        Cell::Money(p.cost.clone()),
        Cell::Text(p.tax_rate.clone()),
        Cell::Text(p.reorder_point.clone()),
        Cell::Text(p.safety_stock.clone()),
        Cell::Bool(p.active),
        Cell::Bool(p.service),
    ]
}

/// The catalogue (with its filters), by code: needs the products module's
/// export right.
pub fn products(store: Store, actor: Actor, filter: ProductFilter) -> StoreResult<Fetch> {
    actor.require(Module::Products, Action::Export)?;
    Ok(Arc::new(move |cursor| {
        let (store, actor, filter) = (store.clone(), actor.clone(), filter.clone());
        Box::pin(async move {
            let req = PageRequest { limit: Some(PAGE), cursor, sort: None };
            let page = products::list_products(&store, &actor, &filter, &req).await?;
            Ok((page.items.iter().map(product_row).collect(), page.next_cursor))
        })
    }))
}

pub const PAYMENT_COLUMNS: [&str; 9] = [
    "finance.received_on",
    "orders.customer",
    "orders.number",
    "finance.kind",
    "finance.method",
    "finance.reference",
    "finance.amount",
    "finance.status",
    "finance.note",
];

fn payment_row(p: &PaymentView, locale: &str) -> Vec<Cell> {
    let label = |group: &str, code: &str| Cell::Text(crate::i18n::t(locale, &format!("finance.{group}.{code}")));
    vec![
        Cell::Date(p.received_on),
        Cell::text(&p.customer_name),
        Cell::text(&p.order_number),
        label("kinds", &p.kind),
        label("methods", &p.method),
        Cell::text(&p.reference),
        Cell::Money(p.amount.clone()),
        label("payment_statuses", &p.status),
        Cell::text(&p.note),
    ]
}

/// Payments received (reversed ones marked), newest first, page after page
/// (needs the finance export right).
pub fn payments(store: Store, actor: Actor, filter: PaymentFilter, locale: String) -> StoreResult<Fetch> {
    actor.require(Module::Finance, Action::Export)?;
    Ok(Arc::new(move |cursor| {
        let (store, actor, filter, locale) = (store.clone(), actor.clone(), filter.clone(), locale.clone());
        Box::pin(async move {
            let req = PageRequest { limit: Some(PAGE), cursor, sort: None };
            let page = finance::list_payments(&store, &actor, &filter, &req).await?;
            Ok((page.items.iter().map(|p| payment_row(p, &locale)).collect(), page.next_cursor))
        })
    }))
}

pub const INVOICE_COLUMNS: [&str; 8] = [
    "finance.issued_on",
    "orders.customer",
    "orders.number",
    "finance.invoice_number",
    "finance.invoice_type",
    "finance.amount",
    "finance.status",
    "finance.note",
];

fn invoice_row(i: &InvoiceView, locale: &str) -> Vec<Cell> {
    let label = |group: &str, code: &str| Cell::Text(crate::i18n::t(locale, &format!("finance.{group}.{code}")));
    vec![
        Cell::Date(i.issued_on),
        Cell::text(&i.customer_name),
        Cell::text(&i.order_number),
        Cell::text(&i.number),
        label("invoice_types", &i.invoice_type),
        Cell::Money(i.amount.clone()),
        label("invoice_statuses", &i.status),
        Cell::text(&i.note),
    ]
}

/// Invoices issued (voided ones marked), newest first, page after page
/// (needs the finance export right).
pub fn invoices(store: Store, actor: Actor, filter: InvoiceFilter, locale: String) -> StoreResult<Fetch> {
    actor.require(Module::Finance, Action::Export)?;
    Ok(Arc::new(move |cursor| {
        let (store, actor, filter, locale) = (store.clone(), actor.clone(), filter.clone(), locale.clone());
        Box::pin(async move {
            let req = PageRequest { limit: Some(PAGE), cursor, sort: None };
            let page = finance::list_invoices(&store, &actor, &filter, &req).await?;
            Ok((page.items.iter().map(|i| invoice_row(i, &locale)).collect(), page.next_cursor))
        })
    }))
}

pub const CONTACT_COLUMNS: [&str; 8] = [
    "fields.name",
    "fields.customer_id",
    "fields.title",
    "fields.role",
    "fields.mobile",
    "fields.phone",
    "fields.email",
    "fields.created_at",
];

fn contact_row(c: &ContactView, customer: &str, locale: &str) -> Vec<Cell> {
    let o = Cell::opt_text;
    vec![
        Cell::text(&c.name),
        Cell::text(customer),
        o(&c.title),
        Cell::Text(crate::i18n::t(locale, &format!("contact_roles.{}", c.role))),
        o(&c.mobile),
        o(&c.phone),
        o(&c.email),
        Cell::DateTime(c.created_at),
    ]
}

/// Contacts with their customer's name, page after page (needs the export
/// right).
pub fn contacts(store: Store, actor: Actor, filter: ContactFilter, locale: String) -> StoreResult<Fetch> {
    actor.require(Module::Customers, Action::Export)?;
    Ok(Arc::new(move |cursor| {
        let (store, actor, filter, locale) = (store.clone(), actor.clone(), filter.clone(), locale.clone());
        Box::pin(async move {
            let req = PageRequest { limit: Some(PAGE), cursor, sort: None };
            let page = customers::list_contacts(&store, &actor, &filter, &req).await?;
            let names = customers::customer_names(&store, page.items.iter().map(|c| c.customer_id)).await?;
            let rows = page
                .items
                .iter()
                .map(|c| contact_row(c, names.get(&c.customer_id).map(String::as_str).unwrap_or(""), &locale))
                .collect();
            Ok((rows, page.next_cursor))
        })
    }))
}

pub const TASK_COLUMNS: [&str; 9] = [
    "tasks.title_label",
    "tasks.assignee",
    "tasks.related",
    "tasks.priority_label",
    "tasks.status_label",
    "tasks.start_at",
    "tasks.due_at",
    "tasks.completed_at",
    "tasks.created_by",
];

fn task_row(t: &TaskView, locale: &str) -> Vec<Cell> {
    let o = Cell::opt_text;
    vec![
        Cell::text(&t.title),
        o(&t.assignee_name),
        o(&t.customer_name),
        Cell::Text(crate::i18n::t(locale, &format!("tasks.priority.{}", t.priority))),
        Cell::Text(crate::i18n::t(locale, &format!("tasks.status.{}", t.status))),
        Cell::opt_datetime(t.start_at),
        Cell::DateTime(t.due_at),
        Cell::opt_datetime(t.completed_at),
        o(&t.created_by_name),
    ]
}

/// Tasks, page after page (needs the export right).
pub fn tasks(store: Store, actor: Actor, filter: TaskFilter, locale: String) -> StoreResult<Fetch> {
    actor.require(Module::Customers, Action::Export)?;
    Ok(Arc::new(move |cursor| {
        let (store, actor, filter, locale) = (store.clone(), actor.clone(), filter.clone(), locale.clone());
        Box::pin(async move {
            let req = PageRequest { limit: Some(PAGE), cursor, sort: None };
            let page = tasks::list_tasks(&store, &actor, &filter, &req).await?;
            Ok((page.items.iter().map(|t| task_row(t, &locale)).collect(), page.next_cursor))
        })
    }))
}

fn csv_bytes(style: &Style, rows: &[Vec<Cell>]) -> Bytes {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        // Writing to memory cannot fail. Cells that a spreadsheet would
        // take as formulas are neutralised (the one rule for every CSV).
        let _ = writer.write_record(row.iter().map(|c| csv_safe(&style.csv(c)).into_owned()));
    }
    Bytes::from(writer.into_inner().unwrap_or_default())
}

/// What one list's export is: which list (`customers`: its sheet's name
/// comes from `exports.sheets.<kind>`), the file's name, the reader's
/// language.
pub struct Download<'a> {
    pub store: &'a Store,
    pub locale: &'a str,
    pub kind: &'a str,
    pub file_stem: &'a str,
}

/// The export as a download named `<file_stem>.<csv|xlsx>`. The first page
/// is fetched before answering, so permission and filter errors answer as
/// usual. Cells are written with the company's settings (time zone, date
/// format, currency).
pub async fn respond(d: Download<'_>, format: Format, header: Vec<String>, fetch: Fetch) -> StoreResult<Response> {
    let (first, next) = fetch(None).await?;
    let style = Style::new(salesflow_store::settings::get(d.store).await?.settings, d.locale);
    let title = crate::i18n::t(d.locale, &format!("exports.sheets.{}", d.kind));
    let file_stem = d.file_stem;
    let (content_type, body) = match format {
        Format::Csv => ("text/csv; charset=utf-8", csv_body(style, header, first, next, fetch)),
        Format::Xlsx => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Body::from(xlsx_bytes(style, &title, header, first, next, fetch).await?),
        ),
    };
    let extension = if format == Format::Csv { "csv" } else { "xlsx" };
    let disposition = format!("attachment; filename=\"{file_stem}.{extension}\"");
    Ok(([(header::CONTENT_TYPE, content_type.to_owned()), (header::CONTENT_DISPOSITION, disposition)], body)
        .into_response())
}

fn csv_body(style: Style, header: Vec<String>, first: Vec<Vec<Cell>>, next: Option<String>, fetch: Fetch) -> Body {
    let mut head = BOM.to_vec();
    head.extend_from_slice(&csv_bytes(&style, &[header.into_iter().map(Cell::Text).collect()]));
    head.extend_from_slice(&csv_bytes(&style, &first));
    let style = Arc::new(style);
    let rest = futures_util::stream::unfold(next.map(|c| (c, fetch)), move |state| {
        let style = style.clone();
        async move {
            let (cursor, fetch) = state?;
            match fetch(Some(cursor)).await {
                Ok((rows, next)) => {
                    Some((Ok::<Bytes, std::io::Error>(csv_bytes(&style, &rows)), next.map(|c| (c, fetch))))
                }
                Err(e) => {
                    tracing::error!(error = %e, "export stopped");
                    Some((Err(std::io::Error::other(e.to_string())), None))
                }
            }
        }
    });
    Body::from_stream(futures_util::stream::once(async move { Ok(Bytes::from(head)) }).chain(rest))
}

async fn xlsx_bytes(
    style: Style,
    title: &str,
    header: Vec<String>,
    first: Vec<Vec<Cell>>,
    mut next: Option<String>,
    fetch: Fetch,
) -> StoreResult<Vec<u8>> {
    let failed = |e: rust_xlsxwriter::XlsxError| StoreError::Internal(format!("excel export: {e}"));
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let formats = Formats::new(&style);
    let sheet = workbook.add_worksheet_with_constant_memory().map_err(failed)?;
    let mut writer = SheetWriter::begin(sheet, &formats, &style, title, &header, &first).map_err(failed)?;
    let mut rows = first;
    loop {
        for r in &rows {
            if writer.rows() > XLSX_MAX_ROWS {
                break;
            }
            writer.write(sheet, r).map_err(failed)?;
        }
        match next.take() {
            Some(cursor) if writer.rows() <= XLSX_MAX_ROWS => (rows, next) = fetch(Some(cursor)).await?,
            _ => break,
        }
    }
    writer.finish(sheet).map_err(failed)?;
    tokio::task::spawn_blocking(move || workbook.save_to_buffer())
        .await
        .map_err(|e| StoreError::Internal(format!("excel export: {e}")))?
        .map_err(failed)
}

pub const OPPORTUNITY_COLUMNS: [&str; 17] = [
    "fields.name",
    "fields.customer_id",
    "opportunities.pipeline",
    "opportunities.stage",
    "fields.status",
    "opportunities.amount",
    "fields.currency",
    "opportunities.probability",
    "opportunities.weighted_amount",
    "opportunities.expected_close_date",
    "customers.owner",
    "opportunities.days_in_stage",
    "opportunities.stalled",
    "fields.source",
    "opportunities.next_step",
    "opportunities.lost_reason",
    "fields.created_at",
];

fn opportunity_row(
    o: &opportunities::OpportunityView,
    pipelines: &[salesflow_store::pipelines::PipelineView],
    locale: &str,
) -> Vec<Cell> {
    let t = |k: &str| crate::i18n::t(locale, k);
    let pipeline = pipelines.iter().find(|p| p.id == o.pipeline_id);
    vec![
        Cell::text(&o.name),
        Cell::opt_text(&o.customer_name),
        pipeline.map_or(Cell::Empty, |p| Cell::text(p.label(locale))),
        Cell::Text(format!(
            "{} {}",
            o.stage_code,
            salesflow_store::pipelines::localized(&o.stage_name, &o.stage_name_en, locale)
        )),
        Cell::Text(t(&format!("opportunities.statuses.{}", o.status))),
        Cell::Money(o.amount.clone()),
        Cell::text(&o.currency),
        Cell::Int(i64::from(o.probability)),
        Cell::Money(o.weighted_amount.clone()),
        Cell::opt_date(o.expected_close_date),
        Cell::opt_text(&o.owner_name),
        Cell::Int(o.days_in_stage),
        Cell::Bool(o.stalled),
        Cell::opt_text(&o.source),
        Cell::text(&o.next_step),
        Cell::opt_text(&o.lost_reason.clone().or_else(|| o.lost_note.clone())),
        Cell::DateTime(o.created_at),
    ]
}

/// Opportunities, page after page (needs the opportunities export right).
pub fn opportunities(
    store: Store,
    actor: Actor,
    filter: opportunities::OpportunityFilter,
    sort: Option<String>,
    locale: String,
) -> StoreResult<Fetch> {
    actor.require(Module::Opportunities, Action::Export)?;
    Ok(Arc::new(move |cursor| {
        let (store, actor, filter, locale, sort) =
            (store.clone(), actor.clone(), filter.clone(), locale.clone(), sort.clone());
        Box::pin(async move {
            let pipelines = salesflow_store::pipelines::list_pipelines(&store, &actor, true).await?;
            let req = PageRequest { limit: Some(PAGE), cursor, sort };
            let page = opportunities::list_opportunities(&store, &actor, &filter, &req).await?;
            Ok((page.items.iter().map(|o| opportunity_row(o, &pipelines, &locale)).collect(), page.next_cursor))
        })
    }))
}
