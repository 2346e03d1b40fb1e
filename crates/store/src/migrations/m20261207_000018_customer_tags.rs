//! Customers' tags move from a text column (`,a,b,`, filtered with `LIKE`,
//! which no index serves and which compared case differently on the two
//! backends) into their own table: one row per customer and tag, the
//! primary key `(customer_id, tag)` and an index `(tag, customer_id)` for
//! the list's tag filter. `position` keeps the order the tags were given in.
//! The existing tags are copied over (split, trimmed, empty and repeated
//! ones dropped) and the old column is dropped.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, FromQueryResult};

use super::cols::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000018_customer_tags"
    }
}

/// Customers read per step of the copy.
const BATCH: u64 = 2_000;

#[derive(FromQueryResult)]
struct Row {
    id: i64,
    tags: String,
}

/// `,a,b,` → `["a", "b"]`, trimmed, without empty or repeated tags.
pub(crate) fn split_stored(stored: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for t in stored.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        if !tags.iter().any(|x| x == t) {
            tags.push(t.to_owned());
        }
    }
    tags
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("customer_tags")
                .col(big("customer_id"))
                .col(text("tag"))
                .col(int("position"))
                .primary_key(Index::create().col(Alias::new("customer_id")).col(Alias::new("tag")))
                .to_owned(),
        )
        .await?;
        m.create_index(index("customer_tags", &["tag", "customer_id"], false)).await?;
        let db = m.get_connection();
        let backend = m.get_database_backend();
        let mut after = 0i64;
        loop {
            let select = Query::select()
                .columns([Alias::new("id"), Alias::new("tags")])
                .from(Alias::new("customers"))
                .and_where(Expr::col(Alias::new("id")).gt(after))
                .and_where(Expr::col(Alias::new("tags")).ne(""))
                .order_by(Alias::new("id"), Order::Asc)
                .limit(BATCH)
                .to_owned();
            let rows = Row::find_by_statement(backend.build(&select)).all(db).await?;
            let Some(last) = rows.last() else { break };
            after = last.id;
            let mut insert = Query::insert()
                .into_table(Alias::new("customer_tags"))
                .columns([Alias::new("customer_id"), Alias::new("tag"), Alias::new("position")])
                .to_owned();
            let mut any = false;
            for r in &rows {
                for (position, tag) in split_stored(&r.tags).into_iter().enumerate() {
                    insert.values_panic([r.id.into(), tag.into(), (position as i32).into()]);
                    any = true;
                }
            }
            if any {
                db.execute(&insert).await?;
            }
        }
        db.execute_unprepared("ALTER TABLE customers DROP COLUMN tags").await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared("ALTER TABLE customers ADD COLUMN tags VARCHAR NOT NULL DEFAULT ''").await?;
        // `,a,b,` again, in the tags' order.
        let aggregate = match m.get_database_backend() {
            sea_orm_migration::sea_orm::DbBackend::Postgres => "string_agg(tag, ',' ORDER BY position)",
            _ => "group_concat(tag, ',')",
        };
        db.execute_unprepared(&format!(
            "UPDATE customers SET tags = ',' || (SELECT {aggregate} FROM \
               (SELECT tag, position FROM customer_tags t WHERE t.customer_id = customers.id ORDER BY position) o) || ',' \
             WHERE id IN (SELECT customer_id FROM customer_tags)"
        ))
        .await?;
        m.drop_table(Table::drop().table(Alias::new("customer_tags")).to_owned()).await?;
        Ok(())
    }
}
