//! A quote's versions (v1, v2 …): each as it was, and two compared line
//! by line by the domain's `quotes::compare`.

use chrono::{DateTime, NaiveDate, Utc};
use salesflow_domain::Invalid;
use salesflow_domain::money::Money;
use salesflow_domain::quantity::{Percent, Quantity};
use salesflow_domain::quotes::{self as rules, CompareLine};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use super::{QuoteLineView, find_readable, line_views, lines_of, revision_totals};
use crate::Store;
use crate::entity::{quote_line, quote_revision};
use crate::error::StoreResult;
use crate::scope::Actor;

/// One version of a quote as it was.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuoteVersionView {
    pub revision: i32,
    pub valid_until: NaiveDate,
    pub notes: String,
    pub terms: String,
    /// Decimal strings.
    pub gross: String,
    pub discount: String,
    pub net: String,
    pub tax: String,
    pub total: String,
    pub created_by: i64,
    pub created_by_name: String,
    pub created_at: DateTime<Utc>,
    /// When this version went to the customer (none for a draft).
    pub sent_at: Option<DateTime<Utc>>,
    pub lines: Vec<QuoteLineView>,
}

async fn version_view(
    store: &Store,
    r: quote_revision::Model,
    names: &std::collections::HashMap<i64, String>,
) -> StoreResult<QuoteVersionView> {
    let db = store.reader();
    let lines = line_views(db, lines_of(db, r.quote_id, r.revision).await?).await?;
    let t = revision_totals(&r);
    Ok(QuoteVersionView {
        gross: t.gross.to_string(),
        discount: t.discount.to_string(),
        net: t.net.to_string(),
        tax: t.tax.to_string(),
        total: t.total.to_string(),
        created_by_name: names.get(&r.created_by).cloned().unwrap_or_default(),
        lines,
        revision: r.revision,
        valid_until: r.valid_until,
        notes: r.notes,
        terms: r.terms,
        created_by: r.created_by,
        created_at: r.created_at,
        sent_at: r.sent_at,
    })
}

/// Every version of a quote the actor reads, oldest first.
pub async fn versions(store: &Store, actor: &Actor, id: i64) -> StoreResult<Vec<QuoteVersionView>> {
    let db = store.reader();
    find_readable(db, actor, id).await?;
    let rows = quote_revision::Entity::find()
        .filter(quote_revision::Column::QuoteId.eq(id))
        .order_by_asc(quote_revision::Column::Revision)
        .all(db)
        .await?;
    let names = crate::shared::owner_names(db, rows.iter().map(|r| r.created_by)).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(version_view(store, r, &names).await?);
    }
    Ok(out)
}

/// One line of a comparison.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LineChangeView {
    /// `added`, `removed`, `changed` or `same`.
    pub change: String,
    pub product_id: i64,
    pub product_code: String,
    pub product_name: String,
    /// The line in the older version (none when added).
    pub from: Option<QuoteLineView>,
    /// The line in the newer version (none when removed).
    pub to: Option<QuoteLineView>,
    /// What differs: `quantity`, `unit_price`, `discount_percent`, `tax_rate`, `total`.
    pub fields: Vec<String>,
}

/// Two versions compared.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuoteComparison {
    pub from: QuoteVersionView,
    pub to: QuoteVersionView,
    pub lines: Vec<LineChangeView>,
    /// The totals that differ: `gross`, `discount`, `net`, `tax`, `total`.
    pub totals_changed: Vec<String>,
}

/// The first unused line view that is this compared line.
fn take(views: &[QuoteLineView], used: &mut [bool], l: &Option<CompareLine>) -> Option<QuoteLineView> {
    let l = (*l)?;
    let i = views.iter().enumerate().position(|(i, v)| {
        !used[i]
            && v.product_id == l.product_id
            && v.quantity == l.quantity.to_string()
            && v.unit_price == l.unit_price.to_string()
            && v.discount_percent == l.discount.to_string()
    })?;
    used[i] = true;
    Some(views[i].clone())
}

fn compare_line(l: &quote_line::Model) -> CompareLine {
    CompareLine {
        product_id: l.product_id,
        quantity: Quantity(l.quantity),
        unit_price: Money(l.unit_price),
        discount: Percent(l.discount_percent),
        tax_rate: Percent(l.tax_rate),
        total: Money(l.total),
    }
}

/// Compares version `from` with version `to` of a quote (422 on a version
/// it does not have).
pub async fn compare(store: &Store, actor: &Actor, id: i64, from: i32, to: i32) -> StoreResult<QuoteComparison> {
    let db = store.reader();
    find_readable(db, actor, id).await?;
    let rows = quote_revision::Entity::find()
        .filter(quote_revision::Column::QuoteId.eq(id))
        .filter(quote_revision::Column::Revision.is_in([from, to]))
        .all(db)
        .await?;
    let mut invalid = Invalid::new();
    let a = rows.iter().find(|r| r.revision == from).cloned();
    let b = rows.iter().find(|r| r.revision == to).cloned();
    if a.is_none() {
        invalid.push(salesflow_domain::FieldError::new("from", "unknown_reference"));
    }
    if b.is_none() {
        invalid.push(salesflow_domain::FieldError::new("to", "unknown_reference"));
    }
    invalid.into_result()?;
    let (Some(a), Some(b)) = (a, b) else { return Err(crate::StoreError::NotFound) };
    let (lines_a, lines_b) = (lines_of(db, id, from).await?, lines_of(db, id, to).await?);
    let diff = rules::compare(
        &lines_a.iter().map(compare_line).collect::<Vec<_>>(),
        &lines_b.iter().map(compare_line).collect::<Vec<_>>(),
    );
    let totals_changed =
        rules::totals_changed(&revision_totals(&a), &revision_totals(&b)).into_iter().map(str::to_owned).collect();
    // The rows' line views: the nth line of a version by its position.
    let views_a = line_views(db, lines_a.clone()).await?;
    let views_b = line_views(db, lines_b.clone()).await?;
    let mut used_a = vec![false; views_a.len()];
    let mut used_b = vec![false; views_b.len()];
    let lines = diff
        .iter()
        .map(|d| {
            let from = take(&views_a, &mut used_a, &d.from);
            let to = take(&views_b, &mut used_b, &d.to);
            let any = to.as_ref().or(from.as_ref());
            LineChangeView {
                change: d.change.code().to_owned(),
                product_id: d.to.or(d.from).map(|l| l.product_id).unwrap_or_default(),
                product_code: any.map(|v| v.product_code.clone()).unwrap_or_default(),
                product_name: any.map(|v| v.product_name.clone()).unwrap_or_default(),
                fields: d.fields.iter().map(|f| (*f).to_owned()).collect(),
                from,
                to,
            }
        })
        .collect();
    let names = crate::shared::owner_names(db, [a.created_by, b.created_by].into_iter()).await?;
    Ok(QuoteComparison {
        from: version_view(store, a, &names).await?,
        to: version_view(store, b, &names).await?,
        lines,
        totals_changed,
    })
}
