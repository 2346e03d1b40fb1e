//! The bigram index: written in the transaction that writes the row, read
//! as a sub-query that any list can filter by. One row per bigram and
//! record (`search_grams`, a covering B-tree key) on both backends; on
//! PostgreSQL also one array per record with a GIN index ([`sets`]), which
//! intersects the bigrams of a longer query inside the index.
//!
//! Each structure does what it is fast at: a single bigram's rows, a
//! query's rarity and the per-row check of a list walking its own order are
//! read from the B-tree key alone (on PostgreSQL an index-only scan, where
//! the GIN index must fetch every candidate's heap row: `华信` took 30 ms
//! instead of 8 on SQLite); only when every bigram of a query is common
//! are its matches collected through the GIN index (`12345`).

use salesflow_domain::search::{Lookup, index_grams, lookup};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Order, Query, SelectStatement, SimpleExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};

mod sets;

use crate::Store;
use crate::entity::search_gram::{self, Column, Entity};
use crate::entity::search_gram_pending as pending;
use crate::error::StoreResult;

/// What an index entry belongs to.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Customer = 1,
    Contact = 2,
    Task = 4,
    Lead = 3,
    Opportunity = 5,
    /// Products by code and name (issue 12).
    Product = 10,
}

/// Replaces the index entries of a row with those of its new texts.
pub async fn index<C: ConnectionTrait>(conn: &C, kind: Kind, id: i64, texts: &[&str]) -> StoreResult<()> {
    // Bigrams of a bulk load that have not moved yet are outdated too.
    pending::Entity::delete_many()
        .filter(pending::Column::Kind.eq(kind as i16))
        .filter(pending::Column::EntityId.eq(id))
        .exec(conn)
        .await?;
    if is_postgres(conn) {
        sets::index(conn, kind, id, texts).await?;
    }
    Entity::delete_many().filter(Column::Kind.eq(kind as i16)).filter(Column::EntityId.eq(id)).exec(conn).await?;
    let mut grams = std::collections::BTreeSet::new();
    for t in texts {
        grams.extend(index_grams(t));
    }
    if grams.is_empty() {
        return Ok(());
    }
    insert(conn, grams.into_iter().map(|gram| row(kind, id, gram)).collect()).await
}

/// Indexes many new rows at once (bulk loads): `(id, text)` pairs.
pub async fn index_new<C: ConnectionTrait>(conn: &C, kind: Kind, rows: &[(i64, String)]) -> StoreResult<()> {
    if is_postgres(conn) {
        sets::index_new(conn, kind, rows).await?;
    }
    let mut grams: Vec<(String, i64)> =
        rows.iter().flat_map(|(id, text)| index_grams(text).into_iter().map(move |g| (g, *id))).collect();
    // In key order, each insert lands next to the previous one in the index.
    grams.sort_unstable();
    insert(conn, grams.into_iter().map(|(g, id)| row(kind, id, g)).collect()).await
}

/// Bulk loads (imports): writes the bigrams of new rows to a waiting table
/// in the caller's transaction, where appending costs little; they become
/// searchable when [`flush_pending`] moves them into the index.
///
/// Inserting each batch's bigrams straight into the index put every batch
/// at thousands of places in a large B-tree, and each commit wrote all
/// those pages again: a million imported names took 161 s. Moved many
/// batches at a time in key order, each index page is written about once
/// per move.
pub async fn index_later<C: ConnectionTrait>(conn: &C, kind: Kind, rows: &[(i64, String)]) -> StoreResult<()> {
    let grams: Vec<pending::ActiveModel> = rows
        .iter()
        .flat_map(|(id, text)| {
            index_grams(text).into_iter().map(move |gram| pending::ActiveModel {
                gram: Set(gram),
                kind: Set(kind as i16),
                entity_id: Set(*id),
                ..Default::default()
            })
        })
        .collect();
    // Bounded statements: SQLite limits the number of bound parameters.
    for chunk in grams.chunks(1000) {
        pending::Entity::insert_many(chunk.to_vec()).exec(conn).await?;
    }
    Ok(())
}

/// Moves the waiting bigrams ([`index_later`]) into the index, in key
/// order, in one transaction; returns how many moved. Run by an import
/// every few batches and when it ends, and by housekeeping (for an import
/// whose node stopped).
pub async fn flush_pending(store: &Store) -> StoreResult<u64> {
    let txn = store.begin().await?;
    // Only what is there now: on PostgreSQL another import may add more meanwhile.
    let last: Option<i64> = pending::Entity::find()
        .select_only()
        .column_as(pending::Column::Id.max(), "last")
        .into_tuple()
        .one(&txn)
        .await?
        .flatten();
    let Some(last) = last else { return Ok(0) };
    if is_postgres(&txn) {
        sets::merge_pending(&txn, last).await?;
    }
    let mut moving = Query::select();
    moving
        .columns([pending::Column::Gram, pending::Column::Kind, pending::Column::EntityId])
        .from(pending::Entity)
        .and_where(pending::Column::Id.lte(last))
        .order_by(pending::Column::Gram, Order::Asc)
        .order_by(pending::Column::Kind, Order::Asc)
        .order_by(pending::Column::EntityId, Order::Asc);
    let mut insert = Query::insert();
    insert
        .into_table(Entity)
        .columns([Column::Gram, Column::Kind, Column::EntityId])
        .select_from(moving)
        .map_err(|e| crate::StoreError::Internal(format!("bigram move: {e}")))?
        // A row indexed again meanwhile already has these.
        .on_conflict(OnConflict::columns([Column::Gram, Column::Kind, Column::EntityId]).do_nothing().to_owned());
    let moved = txn.execute(&insert).await?.rows_affected();
    pending::Entity::delete_many().filter(pending::Column::Id.lte(last)).exec(&txn).await?;
    txn.commit().await?;
    Ok(moved)
}

pub(crate) fn is_postgres<C: ConnectionTrait>(conn: &C) -> bool {
    conn.get_database_backend() == sea_orm::DbBackend::Postgres
}

fn row(kind: Kind, id: i64, gram: String) -> search_gram::ActiveModel {
    search_gram::ActiveModel { gram: Set(gram), kind: Set(kind as i16), entity_id: Set(id) }
}

async fn insert<C: ConnectionTrait>(conn: &C, rows: Vec<search_gram::ActiveModel>) -> StoreResult<()> {
    // Bounded statements: SQLite limits the number of bound parameters.
    for chunk in rows.chunks(1000) {
        Entity::insert_many(chunk.to_vec()).exec(conn).await?;
    }
    Ok(())
}

/// `SELECT entity_id …` of the rows of `kind` whose text contains `query`;
/// `None` when the query has nothing to search for.
///
/// When fewer than [`COMMON`] rows match, they are fetched first and the
/// statement names them (`… AND entity_id IN (ids)`): given the bare
/// sub-query, PostgreSQL guesses the number of matches from the bigram's
/// statistics over every kind and may walk a whole list in its sort order
/// to find them (a contact name that no customer holds: 0 of 200,000
/// customers checked one by one, 340 ms).
///
/// SQLite reads an `IN (SELECT …)` once, driven by the matches, whatever
/// their number: there the statement is returned without collecting them.
pub async fn matching<C: ConnectionTrait>(conn: &C, kind: Kind, query: &str) -> StoreResult<Option<SelectStatement>> {
    if !is_postgres(conn) {
        return Ok(build(conn, kind, lookup(query)).await?.map(|built| built.select));
    }
    let Some(matches) = matches(conn, kind, query).await? else { return Ok(None) };
    let (false, Some(gram)) = (matches.common, matches.gram) else { return Ok(Some(matches.select)) };
    // The ids found hold every bigram: one bigram's index entries name them.
    let g0 = Alias::new("g0");
    let mut named = Query::select();
    named
        .column((g0.clone(), Column::EntityId))
        .from_as(Entity, g0.clone())
        .and_where(Expr::col((g0.clone(), Column::Gram)).eq(gram))
        .and_where(Expr::col((g0.clone(), Column::Kind)).eq(kind as i16))
        .and_where(Expr::col((g0, Column::EntityId)).is_in(matches.ids));
    Ok(Some(named))
}

/// The condition "the row with this id matches `query`" for a list that
/// sorts every match itself (by name: the picker's autocomplete); `None`
/// when the query has nothing to search for.
///
/// On PostgreSQL the matches are read once into an array and the list's
/// key probed with them in one ordered scan (`id = ANY(ARRAY(…))`), where
/// `IN (…)` probed the key once per match or walked the whole name order
/// (`华信`, 8,403 matches: 14 against 21–26 ms); the bigrams of a query of
/// three or more are intersected in the GIN index ([`sets`]), where a key
/// probe per candidate and bigram cost 2–3× SQLite's time (`Golden`: five
/// bigrams, 3,547 matches, 15 against 47 ms). Nothing is collected or
/// counted before: the list's statement does it once.
pub async fn all_matching<C, I>(conn: &C, kind: Kind, query: &str, id: I) -> StoreResult<Option<SimpleExpr>>
where
    C: ConnectionTrait,
    I: ColumnTrait,
{
    if !is_postgres(conn) {
        return Ok(matching(conn, kind, query).await?.map(|ids| id.in_subquery(ids)));
    }
    let lookup = lookup(query);
    let select = match &lookup {
        Lookup::All(grams) if grams.len() > 2 => sets::matching(kind, lookup),
        _ => build(conn, kind, lookup).await?.map(|built| built.select),
    };
    Ok(select.map(|select| {
        let ids = SimpleExpr::SubQuery(None, Box::new(sea_orm::sea_query::SubQueryStatement::SelectStatement(select)));
        Expr::cust_with_exprs("$1 = ANY(ARRAY $2)", [id.into_expr(), ids])
    }))
}

/// The condition "the row with this id matches `query`" for a list, or
/// `None` when the query has nothing to search for.
///
/// The matches are collected up to [`COMMON`]: fewer than that (a rare
/// bigram, or common bigrams rare together, like `12345`) become a list of
/// ids, fetched by key; as many (a word in 5 % of a million names) become a
/// correlated `EXISTS`, so the database walks the list's sort index and
/// stops after one page instead of sorting every match.
pub async fn condition<C, E, I>(conn: &C, kind: Kind, query: &str, table: E, id: I) -> StoreResult<Option<SimpleExpr>>
where
    C: ConnectionTrait,
    E: EntityTrait,
    I: ColumnTrait,
{
    let Some(matches) = matches(conn, kind, query).await? else { return Ok(None) };
    if !matches.common {
        return Ok(Some(id.is_in(matches.ids)));
    }
    let mut select = matches.select;
    select.and_where(Expr::col((Alias::new("g0"), Column::EntityId)).equals((table, id)));
    if is_postgres(conn) {
        // PostgreSQL would turn a plain `EXISTS` into a join, collect every
        // match and sort them all (3,559 for `Panda`: 48 ms and more); an
        // `OFFSET` keeps it a check per row, so the list's index is walked
        // and the query stops after a page, as on SQLite.
        select.offset(0);
    }
    Ok(Some(Expr::exists(select)))
}

/// The newest rows of `kind` that match `query` and that the caller may see
/// (`visible`, a condition on `table`), at most `limit`, newest first.
/// `None` when the query has nothing to search for or is one character
/// (a prefix has no single key to walk): the caller searches its list then.
///
/// For a box that shows a few of each kind (the top bar's search), in no
/// list's order: the rarest bigram's index entries are walked from the
/// newest id down, each checked for the other bigrams and then for being
/// visible, and the walk stops after `limit`. Collecting every match first
/// and sorting it cost a salesperson 190–470 ms for a common word or a
/// phone prefix at 200,000 records (`138`: 18,691 contacts); the walk reads
/// about `limit` ÷ (share of the matches the caller sees) entries.
pub async fn newest_visible<C, E, I>(
    conn: &C,
    kind: Kind,
    query: &str,
    table: E,
    id: I,
    visible: sea_orm::Condition,
    limit: u64,
) -> StoreResult<Option<Vec<i64>>>
where
    C: ConnectionTrait,
    E: EntityTrait,
    I: ColumnTrait,
{
    let lookup = lookup(query);
    if !matches!(lookup, Lookup::All(_)) {
        return Ok(None);
    }
    let Some(built) = build(conn, kind, lookup).await? else { return Ok(None) };
    if built.rarest == Some(0) {
        return Ok(Some(Vec::new()));
    }
    let g0 = Alias::new("g0");
    let mut seen = Query::select();
    seen.expr(Expr::val(1)).from(table).cond_where(visible);
    let mut select = built.select;
    if is_postgres(conn) {
        // The matches (the bigrams' entries merged, newest first) in a
        // sub-query of their own, then a check per match, not a join over
        // every visible row (see `condition`): in one query PostgreSQL
        // checked each entry of the rarest bigram before the others
        // (a salesperson's `138` among 1,000,000 deals: 17,135 checks, 75
        // ms, against 1,515 and 14 ms).
        let m = Alias::new("m");
        select.order_by((g0, Column::EntityId), Order::Desc).offset(0);
        seen.and_where(Expr::col((table, id)).equals((m.clone(), Column::EntityId))).offset(0);
        let mut outer = Query::select();
        outer
            .column((m.clone(), Column::EntityId))
            .from_subquery(select, m.clone())
            .and_where(Expr::exists(seen))
            .order_by((m, Column::EntityId), Order::Desc)
            .limit(limit);
        select = outer;
    } else {
        seen.and_where(Expr::col((table, id)).equals((g0.clone(), Column::EntityId)));
        select.and_where(Expr::exists(seen)).order_by((g0, Column::EntityId), Order::Desc).limit(limit);
    }
    let rows = conn.query_all(&select).await?;
    Ok(Some(rows.iter().filter_map(|r| r.try_get_by_index::<i64>(0).ok()).collect()))
}

/// What a query matches (see [`matches`]).
struct Matches {
    /// The first matching ids, at most [`COMMON`] (none when one
    /// bigram's count already says they are common).
    ids: Vec<i64>,
    /// As many as [`COMMON`] match: `ids` is only the start.
    common: bool,
    /// `SELECT g0.entity_id FROM search_grams g0 …` finding every match;
    /// usable as a correlated check of one row when `common`.
    select: SelectStatement,
    /// A bigram every match holds (none for a one-character prefix).
    gram: Option<String>,
}

/// Collects a query's matches up to [`COMMON`]; `None` when the query has
/// nothing to search for.
///
/// The matches are collected from the rarest bigram's key entries, each
/// further bigram checked by key: the work is bounded by the rarest
/// bigram's rows (counted first, up to [`RARITY_CAP`]). Only when every
/// bigram of the query is that common does PostgreSQL intersect them in the
/// GIN index instead (`12345`: few rows hold all of them), which fetches
/// each candidate's row and so costs more per match (2,000 matches of
/// `Panda`: 16.6 ms there, 6.8 ms through the key).
async fn matches<C: ConnectionTrait>(conn: &C, kind: Kind, query: &str) -> StoreResult<Option<Matches>> {
    let lookup = lookup(query);
    let gin = match &lookup {
        Lookup::All(grams) if grams.len() > 1 && is_postgres(conn) => sets::matching(kind, lookup.clone()),
        _ => None,
    };
    let single = matches!(&lookup, Lookup::All(grams) if grams.len() == 1);
    let Some(built) = build(conn, kind, lookup).await? else { return Ok(None) };
    let ids = match (built.rarest, gin) {
        (Some(0), _) => Vec::new(),
        // One bigram: its rows are the matches, already counted.
        (Some(rows), _) if single && rows >= COMMON => {
            return Ok(Some(Matches { ids: Vec::new(), common: true, select: built.select, gram: built.rarest_gram }));
        }
        (Some(rarest), Some(gin)) if rarest >= RARITY_CAP => first_ids(conn, gin).await?,
        _ => ids(conn, &built).await?,
    };
    let common = ids.len() as u64 >= COMMON;
    Ok(Some(Matches { ids, common, select: built.select, gram: built.rarest_gram }))
}

/// The ids a matching query finds, at most [`COMMON`].
async fn ids<C: ConnectionTrait>(conn: &C, built: &Built) -> StoreResult<Vec<i64>> {
    first_ids(conn, built.select.clone()).await
}

/// The first [`COMMON`] ids a `SELECT entity_id …` finds.
async fn first_ids<C: ConnectionTrait>(conn: &C, mut select: SelectStatement) -> StoreResult<Vec<i64>> {
    select.limit(COMMON);
    let rows = conn.query_all(&select).await?;
    Ok(rows.iter().filter_map(|r| r.try_get_by_index::<i64>(0).ok()).collect())
}

/// A query's matching ids, as [`build`] makes them.
struct Built {
    /// `SELECT g0.entity_id FROM search_grams g0 …`: the rarest bigram's
    /// rows, each further bigram checked by key (`EXISTS`); usable as a
    /// correlated check of one row.
    select: SelectStatement,
    /// How many rows the rarest bigram has (capped at [`RARITY_CAP`]);
    /// `None` when unknown (a one-character prefix).
    rarest: Option<u64>,
    rarest_gram: Option<String>,
}

/// The matching ids' query (see [`Built`]).
async fn build<C: ConnectionTrait>(conn: &C, kind: Kind, lookup: Lookup) -> StoreResult<Option<Built>> {
    let first = Alias::new("g0");
    let mut built = Built { select: Query::select(), rarest: None, rarest_gram: None };
    let select = &mut built.select;
    select
        .column((first.clone(), Column::EntityId))
        .from_as(Entity, first.clone())
        .and_where(Expr::col((first.clone(), Column::Kind)).eq(kind as i16));
    match lookup {
        Lookup::Empty => return Ok(None),
        Lookup::Prefix(c) => {
            // Bigrams starting with the character (LIKE, since a range
            // would depend on the database's collation).
            select.and_where(Expr::col((first, Column::Gram)).like(format!("{c}%"))).distinct();
        }
        Lookup::All(grams) => {
            let mut counted = rarity(conn, kind, grams).await?;
            counted.sort();
            built.rarest = Some(counted.first().map(|(n, _)| *n).unwrap_or(0));
            let mut grams = counted.into_iter().map(|(_, g)| g);
            let rarest = grams.next().unwrap_or_default();
            built.rarest_gram = Some(rarest.clone());
            select.and_where(Expr::col((first.clone(), Column::Gram)).eq(rarest));
            for (i, gram) in grams.enumerate() {
                let other = Alias::new(format!("g{}", i + 1));
                let mut exists = Query::select();
                exists
                    .expr(Expr::val(1))
                    .from_as(Entity, other.clone())
                    .and_where(Expr::col((other.clone(), Column::Gram)).eq(gram))
                    .and_where(Expr::col((other.clone(), Column::Kind)).eq(kind as i16))
                    .and_where(Expr::col((other, Column::EntityId)).equals((first.clone(), Column::EntityId)));
                select.and_where(Expr::exists(exists));
            }
        }
    }
    Ok(Some(built))
}

/// How many rows each bigram has (capped at [`RARITY_CAP`]), counted in one
/// statement: `SELECT i, COUNT(*) FROM (… LIMIT cap)` per bigram, joined by
/// `UNION ALL`.
async fn rarity<C: ConnectionTrait>(conn: &C, kind: Kind, grams: Vec<String>) -> StoreResult<Vec<(u64, String)>> {
    let mut union: Option<SelectStatement> = None;
    for (i, gram) in grams.iter().enumerate() {
        let mut rows = Query::select();
        rows.expr(Expr::val(1))
            .from(Entity)
            .and_where(Expr::col(Column::Kind).eq(kind as i16))
            .and_where(Expr::col(Column::Gram).eq(gram.as_str()))
            .limit(RARITY_CAP);
        let mut count = Query::select();
        count
            .expr(Expr::val(i as i64))
            .expr(sea_orm::sea_query::Func::count(Expr::col(sea_orm::sea_query::Asterisk)))
            .from_subquery(rows, Alias::new(format!("r{i}")));
        match union.as_mut() {
            None => union = Some(count),
            Some(u) => {
                u.union(sea_orm::sea_query::UnionType::All, count);
            }
        }
    }
    let mut counted: Vec<(u64, String)> = grams.iter().map(|g| (0, g.clone())).collect();
    if let Some(u) = union {
        for row in conn.query_all(&u).await? {
            let i: i64 = row.try_get_by_index(0)?;
            let n: i64 = row.try_get_by_index(1)?;
            if let Some(c) = counted.get_mut(i as usize) {
                c.0 = Ord::max(n, 0) as u64;
            }
        }
    }
    Ok(counted)
}

/// Counting a bigram's rows stops here: enough to tell rare from common.
const RARITY_CAP: u64 = 5000;
/// From this many matching rows on, a list walks its own sort order and
/// checks each row against the index, instead of collecting and sorting
/// every match.
const COMMON: u64 = 2000;
