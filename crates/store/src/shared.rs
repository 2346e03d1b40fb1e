//! Helpers every area uses: blank text as none, the names of record
//! owners, the check of a new owner, what a duplicate warning may say about
//! owners the caller cannot see, and the selection of a bulk action.

use std::collections::HashMap;

use salesflow_domain::Invalid;
use salesflow_domain::validation::FieldError;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};

use crate::entity::user;
use crate::error::StoreResult;
use crate::scope::Actor;

/// A trimmed optional text; blank means none.
/// `COUNT(*)`: the rows of a group. Counting a column (`COUNT` of `id`) makes
/// PostgreSQL read every row from the table, since the covering indexes of
/// the board and the home page hold no `id` (SQLite's hold the rowid): the
/// board's stage totals took 15 ms instead of 3 (test
/// `conventions::aggregates_count_rows_not_columns`).
pub(crate) fn rows() -> sea_orm::sea_query::SimpleExpr {
    sea_orm::sea_query::Func::count(sea_orm::sea_query::Expr::col(sea_orm::sea_query::Asterisk)).into()
}

/// `UNION ALL` of the parts, each read as `SELECT * FROM (part)`: SQLite
/// allows no `ORDER BY` or `LIMIT` in a compound's parts. `None` without
/// parts.
pub(crate) fn union_all(
    parts: impl IntoIterator<Item = sea_orm::sea_query::SelectStatement>,
) -> Option<sea_orm::sea_query::SelectStatement> {
    use sea_orm::sea_query::{Alias, Asterisk, Query, UnionType};
    let mut union: Option<sea_orm::sea_query::SelectStatement> = None;
    for (i, part) in parts.into_iter().enumerate() {
        let mut wrapped = Query::select();
        wrapped.column(Asterisk).from_subquery(part, Alias::new(format!("part{i}")));
        match union.as_mut() {
            None => union = Some(wrapped),
            Some(u) => {
                u.union(UnionType::All, wrapped);
            }
        }
    }
    union
}

pub(crate) fn clean(value: &Option<String>) -> Option<String> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
}

/// Owner names for a page of rows, in one query.
pub(crate) async fn owner_names<C: ConnectionTrait>(
    conn: &C,
    ids: impl Iterator<Item = i64>,
) -> StoreResult<HashMap<i64, String>> {
    let ids: Vec<i64> = ids.collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, String)> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::DisplayName)
        .filter(user::Column::Id.is_in(ids))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// The owner a new or changed customer gets, checked against the scope.
pub(crate) async fn check_owner<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    invalid: &mut Invalid,
    owner: Option<i64>,
) -> StoreResult<()> {
    let Some(owner) = owner else { return Ok(()) };
    let exists = user::Entity::find_by_id(owner)
        .filter(user::Column::Active.eq(true))
        .filter(user::Column::DeletedAt.is_null())
        .count(conn)
        .await?
        > 0;
    if !exists {
        invalid.push(FieldError::new("owner_id", "unknown_reference"));
    } else if !actor.sees_owner(Some(owner)) {
        invalid.push(FieldError::new("owner_id", "owner_outside_scope"));
    }
    Ok(())
}

/// The display names of the owners of records the caller may not read:
/// all a duplicate warning says about them ("ask 张伟"), never their ids
/// or names.
pub(crate) fn hidden_owners<'a>(owners: impl IntoIterator<Item = Option<&'a String>>) -> String {
    let mut names: Vec<&str> = Vec::new();
    for name in owners.into_iter().map(|o| o.map_or("?", String::as_str)) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names.join("、")
}

/// At most this many records in one bulk action.
pub const BULK_MAX: usize = 500;

/// The selected ids of a bulk action, each once: 1 to [`BULK_MAX`] of them.
pub(crate) fn selection(ids: &[i64]) -> StoreResult<Vec<i64>> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() || ids.len() > BULK_MAX {
        return Err(Invalid(vec![FieldError::new("ids", "out_of_range").with("min", 1).with("max", BULK_MAX)]).into());
    }
    Ok(ids)
}

/// The parties a sales document (order, quote, contract) names: its
/// customer, owned by someone in the caller's scope and not in the public
/// pool; and, when given, one of that customer's live contacts and deals.
/// Each problem is a field error in `invalid`; nothing is read twice.
pub(crate) async fn check_parties(
    unit: &crate::unit_of_work::UnitOfWork<'_>,
    customer_id: i64,
    contact_id: Option<i64>,
    opportunity_id: Option<i64>,
    invalid: &mut Invalid,
) -> StoreResult<()> {
    use crate::entity::{contact, opportunity};
    let actor = unit.actor();
    match crate::customers::find_visible(unit, actor, customer_id).await {
        Ok(c) if c.deleted_at.is_none() && c.owner_id.is_some() && actor.sees_owner(c.owner_id) => {}
        Ok(c) if c.deleted_at.is_none() && c.owner_id.is_none() => {
            invalid.push(FieldError::new("customer_id", "customer_in_pool"))
        }
        Ok(_) | Err(crate::StoreError::NotFound) => invalid.push(FieldError::new("customer_id", "unknown_reference")),
        Err(e) => return Err(e),
    }
    if let Some(c) = contact_id
        && contact::Entity::find_by_id(c)
            .filter(contact::Column::CustomerId.eq(customer_id))
            .filter(contact::Column::DeletedAt.is_null())
            .one(unit)
            .await?
            .is_none()
    {
        invalid.push(FieldError::new("contact_id", "unknown_reference"));
    }
    if let Some(o) = opportunity_id
        && opportunity::Entity::find_by_id(o)
            .filter(opportunity::Column::CustomerId.eq(customer_id))
            .filter(opportunity::Column::DeletedAt.is_null())
            .one(unit)
            .await?
            .is_none()
    {
        invalid.push(FieldError::new("opportunity_id", "unknown_reference"));
    }
    Ok(())
}
