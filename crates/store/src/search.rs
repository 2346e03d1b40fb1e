//! The bigram index: written in the transaction that writes the row, read
//! as a sub-query that any list can filter by.

use salesflow_domain::search::{Lookup, index_grams, lookup};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::entity::search_gram::{self, Column, Entity};
use crate::error::StoreResult;

/// What an index entry belongs to.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Customer = 1,
    Contact = 2,
}

/// Replaces the index entries of a row with those of its new texts.
pub async fn index<C: ConnectionTrait>(conn: &C, kind: Kind, id: i64, texts: &[&str]) -> StoreResult<()> {
    Entity::delete_many().filter(Column::Kind.eq(kind as i16)).filter(Column::EntityId.eq(id)).exec(conn).await?;
    let mut grams = std::collections::BTreeSet::new();
    for t in texts {
        grams.extend(index_grams(t));
    }
    if grams.is_empty() {
        return Ok(());
    }
    let rows = grams.into_iter().map(|gram| search_gram::ActiveModel {
        gram: Set(gram),
        kind: Set(kind as i16),
        entity_id: Set(id),
    });
    Entity::insert_many(rows).exec(conn).await?;
    Ok(())
}

/// `SELECT entity_id …` of the rows of `kind` whose text contains `query`;
/// `None` when the query has nothing to search for.
pub fn matching(kind: Kind, query: &str) -> Option<SelectStatement> {
    let mut select = Query::select();
    select.column(Column::EntityId).from(Entity).and_where(Expr::col(Column::Kind).eq(kind as i16));
    match lookup(query) {
        Lookup::Empty => None,
        Lookup::Prefix(c) => {
            // Bigrams starting with the character (LIKE, since a range
            // would depend on the database's collation).
            select.and_where(Column::Gram.starts_with(c)).distinct();
            Some(select)
        }
        Lookup::All(grams) => {
            let n = grams.len() as i64;
            select
                .and_where(Expr::col(Column::Gram).is_in(grams))
                .group_by_col(Column::EntityId)
                .and_having(Expr::col(Column::Gram).count().eq(n));
            Some(select)
        }
    }
}
