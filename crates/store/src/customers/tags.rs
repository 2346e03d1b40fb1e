//! Customers' tags, one row per customer and tag (`customer_tags`).
//!
//! A tag is its text trimmed; it matches exactly, case included, on both
//! backends (the list's filter is `tag = ?` on the index `(tag,
//! customer_id)`). Each tag keeps its position, so a customer's tags read
//! back in the order they were given. Writes take the unit of work.

use std::collections::HashMap;

use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use crate::entity::customer_tag;
use crate::error::StoreResult;
use crate::unit_of_work::UnitOfWork;

/// Rows per insert statement (3 parameters each; SQLite allows 32,766).
const ROWS_PER_STATEMENT: usize = 1_000;

/// A tag as stored: trimmed; `None` when nothing is left.
pub fn normalize_tag(tag: &str) -> Option<String> {
    let t = tag.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// Trimmed, without empty or repeated tags, in the given order.
fn normalized(tags: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for t in tags.iter().filter_map(|t| normalize_tag(t)) {
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// The tags of these customers, each customer's in its order; customers
/// without tags are absent.
pub(crate) async fn tags_of<C: ConnectionTrait>(
    conn: &C,
    ids: impl IntoIterator<Item = i64>,
) -> StoreResult<HashMap<i64, Vec<String>>> {
    let ids: Vec<i64> = ids.into_iter().collect();
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        let rows = customer_tag::Entity::find()
            .filter(customer_tag::Column::CustomerId.is_in(chunk.iter().copied()))
            .order_by_asc(customer_tag::Column::CustomerId)
            .order_by_asc(customer_tag::Column::Position)
            .all(conn)
            .await?;
        for r in rows {
            out.entry(r.customer_id).or_default().push(r.tag);
        }
    }
    Ok(out)
}

/// The customers that carry `tag`, as a subquery for a list's filter
/// (served by the index `(tag, customer_id)`).
pub(crate) fn tagged(tag: &str) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(customer_tag::Column::CustomerId)
        .from(customer_tag::Entity)
        .and_where(customer_tag::Column::Tag.eq(tag.trim()))
        .to_owned()
}

/// Writes the tags of customers that have none yet (new ones).
pub(crate) async fn insert_tags(unit: &UnitOfWork<'_>, tags: &[(i64, &[String])]) -> StoreResult<()> {
    let rows: Vec<customer_tag::ActiveModel> = tags
        .iter()
        .flat_map(|(id, tags)| {
            normalized(tags).into_iter().enumerate().map(move |(position, tag)| customer_tag::ActiveModel {
                customer_id: Set(*id),
                tag: Set(tag),
                position: Set(position as i32),
            })
        })
        .collect();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<customer_tag::ActiveModel> = rows.by_ref().take(ROWS_PER_STATEMENT).collect();
        customer_tag::Entity::insert_many(chunk).exec_without_returning(unit).await?;
    }
    Ok(())
}

/// Replaces a customer's tags (nothing is written when they are the same).
pub(crate) async fn replace_tags(
    unit: &UnitOfWork<'_>,
    id: i64,
    before: &[String],
    tags: &[String],
) -> StoreResult<()> {
    let tags = normalized(tags);
    if tags == before {
        return Ok(());
    }
    customer_tag::Entity::delete_many().filter(customer_tag::Column::CustomerId.eq(id)).exec(unit).await?;
    insert_tags(unit, &[(id, &tags)]).await
}

/// Adds one tag to customers, after their other tags; those that have it
/// keep it where it is.
pub(crate) async fn add_tag(unit: &UnitOfWork<'_>, ids: &[i64], tag: &str) -> StoreResult<()> {
    let Some(tag) = normalize_tag(tag) else { return Ok(()) };
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        let next: HashMap<i64, i32> = customer_tag::Entity::find()
            .select_only()
            .column(customer_tag::Column::CustomerId)
            .column_as(customer_tag::Column::Position.max(), "position")
            .filter(customer_tag::Column::CustomerId.is_in(chunk.iter().copied()))
            .group_by(customer_tag::Column::CustomerId)
            .into_tuple::<(i64, i32)>()
            .all(unit)
            .await?
            .into_iter()
            .map(|(id, last)| (id, last + 1))
            .collect();
        let rows = chunk.iter().map(|id| customer_tag::ActiveModel {
            customer_id: Set(*id),
            tag: Set(tag.clone()),
            position: Set(next.get(id).copied().unwrap_or(0)),
        });
        customer_tag::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([customer_tag::Column::CustomerId, customer_tag::Column::Tag])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(unit)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_trimmed_and_kept_once_in_their_order() {
        let given = [" VIP ".to_owned(), "重点".to_owned(), "VIP".to_owned(), " ".to_owned(), "vip".to_owned()];
        assert_eq!(normalized(&given), ["VIP", "重点", "vip"]);
        assert_eq!(normalize_tag("  华东 "), Some("华东".to_owned()));
        assert_eq!(normalize_tag("   "), None);
    }
}
