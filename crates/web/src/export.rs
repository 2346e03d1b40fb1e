//! Streaming CSV exports: UTF-8 with a byte-order mark so that Excel opens
//! Chinese text correctly, written page by page so a million rows never sit
//! in memory.

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use salesflow_store::customers::{self, CustomerFilter, CustomerView};
use salesflow_store::paging::PageRequest;
use salesflow_store::{Actor, Store, StoreResult};

pub(crate) const BOM: &[u8] = b"\xEF\xBB\xBF";
pub(crate) const PAGE: u64 = 500;

/// Column headers and one row of the customer export.
pub fn customer_header(t: &dyn Fn(&str) -> String) -> Vec<String> {
    [
        "fields.name",
        "fields.grade",
        "fields.industry",
        "fields.province",
        "fields.city",
        "fields.address",
        "fields.source",
        "fields.kind",
        "fields.tags",
        "fields.credit_limit",
        "customers.owner",
        "customers.last_activity",
        "fields.created_at",
    ]
    .iter()
    .map(|k| t(k))
    .collect()
}

fn customer_row(c: &CustomerView) -> Vec<String> {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    vec![
        c.name.clone(),
        o(&c.grade),
        o(&c.industry),
        o(&c.province),
        o(&c.city),
        o(&c.address),
        o(&c.source),
        o(&c.kind),
        c.tags.join(","),
        c.credit_limit.clone(),
        o(&c.owner_name),
        c.last_activity_at.to_rfc3339(),
        c.created_at.to_rfc3339(),
    ]
}

pub(crate) fn csv_bytes(rows: impl IntoIterator<Item = Vec<String>>) -> Bytes {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        // Writing to memory cannot fail.
        let _ = writer.write_record(&row);
    }
    Bytes::from(writer.into_inner().unwrap_or_default())
}

/// Checks the first page (so permission and filter errors answer as usual),
/// then streams the rest.
pub async fn customers_csv(
    store: Store,
    actor: Actor,
    filter: CustomerFilter,
    header: Vec<String>,
    file_name: &str,
) -> StoreResult<Response> {
    actor.require(salesflow_domain::access::Module::Customers, salesflow_domain::access::Action::Export)?;
    let first =
        customers::list_customers(&store, &actor, &filter, &PageRequest { limit: Some(PAGE), ..Default::default() })
            .await?;
    let mut head = BOM.to_vec();
    head.extend_from_slice(&csv_bytes([header]));
    head.extend_from_slice(&csv_bytes(first.items.iter().map(customer_row)));
    let state = (store, actor, filter, first.next_cursor);
    let rest = futures_util::stream::unfold(Some(state), |state| async move {
        let (store, actor, filter, cursor) = state?;
        let cursor = cursor?;
        let req = PageRequest { limit: Some(PAGE), cursor: Some(cursor), sort: None };
        match customers::list_customers(&store, &actor, &filter, &req).await {
            Ok(page) => {
                let bytes = csv_bytes(page.items.iter().map(customer_row));
                Some((Ok::<Bytes, std::io::Error>(bytes), Some((store, actor, filter, page.next_cursor))))
            }
            Err(e) => {
                tracing::error!(error = %e, "export stopped");
                Some((Err(std::io::Error::other(e.to_string())), None))
            }
        }
    });
    let body = Body::from_stream(futures_util::stream::once(async move { Ok(Bytes::from(head)) }).chain(rest));
    let disposition = format!("attachment; filename=\"{file_name}\"");
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, disposition)],
        body,
    )
        .into_response())
}
