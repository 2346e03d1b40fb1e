//! The second index on PostgreSQL: one row per record (`search_sets`,
//! migration `m20261206_000015_search_sets`) holding its bigrams and their
//! first characters as an array, with a GIN index per kind. A query's
//! bigrams are intersected inside the GIN index (`grams @> ARRAY[…]`),
//! where checking them one key lookup at a time in `search_grams` made a
//! search of several bigrams 1.6–2.7× slower than on SQLite. The same bigrams as on SQLite, so the same
//! matches: a row matches when it holds every bigram of the query, or for a
//! one-character query a bigram starting with it (its first character).
//! Bulk loads still wait in `search_grams_pending` (see `super::index_later`).

use std::collections::{BTreeMap, BTreeSet};

use salesflow_domain::search::{Lookup, index_grams};
use sea_orm::sea_query::{Alias, Expr, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use super::Kind;
use crate::error::StoreResult;

pub(super) fn table() -> Alias {
    Alias::new("search_sets")
}

pub(super) fn entity_id() -> Alias {
    Alias::new("entity_id")
}

/// What a record's array holds: the bigrams of its texts and the first
/// character of each.
fn of_texts<'a>(texts: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    let mut set = BTreeSet::new();
    for text in texts {
        for gram in index_grams(text) {
            set.extend(gram.chars().next().map(String::from));
            set.insert(gram);
        }
    }
    set
}

/// The grams as one `text[]` value.
fn array(grams: &BTreeSet<String>) -> Value {
    Value::from(grams.iter().cloned().collect::<Vec<String>>())
}

/// Replaces the index entries of a record.
pub(super) async fn index<C: ConnectionTrait>(conn: &C, kind: Kind, id: i64, texts: &[&str]) -> StoreResult<()> {
    let grams = of_texts(texts.iter().copied());
    if grams.is_empty() {
        let sql = "DELETE FROM search_sets WHERE kind = $1 AND entity_id = $2";
        conn.execute_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, [(kind as i16).into(), id.into()]))
            .await?;
        return Ok(());
    }
    upsert(conn, kind, [(id, grams)].into()).await
}

/// Indexes many records at once (`(id, text)` pairs).
pub(super) async fn index_new<C: ConnectionTrait>(conn: &C, kind: Kind, rows: &[(i64, String)]) -> StoreResult<()> {
    let mut sets: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
    for (id, text) in rows {
        sets.entry(*id).or_default().extend(of_texts([text.as_str()]));
    }
    sets.retain(|_, grams| !grams.is_empty());
    upsert(conn, kind, sets).await
}

/// Writes the arrays, in statements of bounded size.
async fn upsert<C: ConnectionTrait>(conn: &C, kind: Kind, sets: BTreeMap<i64, BTreeSet<String>>) -> StoreResult<()> {
    const MAX_VALUES: usize = 3_000;
    let mut values: Vec<Value> = Vec::new();
    let mut rows: Vec<String> = Vec::new();
    for (id, grams) in sets {
        values.extend([Value::from(kind as i16), Value::from(id), array(&grams)]);
        let n = values.len();
        rows.push(format!("(${}, ${}, ${n})", n - 2, n - 1));
        if values.len() >= MAX_VALUES {
            write(conn, std::mem::take(&mut rows), std::mem::take(&mut values)).await?;
        }
    }
    if !rows.is_empty() {
        write(conn, rows, values).await?;
    }
    Ok(())
}

async fn write<C: ConnectionTrait>(conn: &C, rows: Vec<String>, values: Vec<Value>) -> StoreResult<()> {
    let sql = format!(
        "INSERT INTO search_sets (kind, entity_id, grams) VALUES {} \
         ON CONFLICT (kind, entity_id) DO UPDATE SET grams = excluded.grams",
        rows.join(", ")
    );
    conn.execute_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, values)).await?;
    Ok(())
}

/// Adds the waiting bigrams up to `last` to the records' arrays (the
/// caller moves them into `search_grams` too).
pub(super) async fn merge_pending<C: ConnectionTrait>(conn: &C, last: i64) -> StoreResult<()> {
    let merge = "INSERT INTO search_sets (kind, entity_id, grams) \
         SELECT kind, entity_id, array_agg(DISTINCT g) FROM ( \
           SELECT kind, entity_id, gram AS g FROM search_grams_pending WHERE id <= $1 \
           UNION ALL SELECT kind, entity_id, substr(gram, 1, 1) FROM search_grams_pending WHERE id <= $1 \
         ) t GROUP BY kind, entity_id \
         ON CONFLICT (kind, entity_id) DO UPDATE \
         SET grams = ARRAY(SELECT DISTINCT g FROM unnest(search_sets.grams || excluded.grams) g)";
    conn.execute_raw(Statement::from_sql_and_values(DbBackend::Postgres, merge, [last.into()])).await?;
    Ok(())
}

/// `SELECT g0.entity_id FROM search_sets g0 WHERE kind = … AND grams @> …`.
pub(super) fn matching(kind: Kind, lookup: Lookup) -> Option<SelectStatement> {
    let grams: Vec<String> = match lookup {
        Lookup::Empty => return None,
        Lookup::Prefix(c) => vec![c],
        Lookup::All(grams) => grams,
    };
    let g0 = Alias::new("g0");
    let mut select = Query::select();
    select
        .column((g0.clone(), entity_id()))
        .from_as(table(), g0.clone())
        // The kind written out, not bound: a generic plan of a prepared
        // statement could not match `kind = $1` to the partial index.
        .and_where(Expr::cust(format!("g0.kind = {}", kind as i16)))
        .and_where(Expr::cust_with_values("g0.grams @> $1", [Value::from(grams)]));
    Some(select)
}
