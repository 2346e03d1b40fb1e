//! PostgreSQL only: the top bar's search checks each match it walks for
//! being the caller's (`search::newest_visible`); by the primary key that
//! check read the row itself from the table, a random page per match
//! (a salesperson's `138` among 1,000,000 deals: 3,104 matches walked, 52
//! ms). These indexes answer it from the index: the owner (for contacts
//! the customer) of each live row. SQLite finds the row by its rowid in
//! the table's own tree and needs none.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261211_000101_scope_probes"
    }
}

/// Table, the column the scope reads.
const PROBES: [(&str, &str); 4] =
    [("customers", "owner_id"), ("contacts", "customer_id"), ("leads", "owner_id"), ("opportunities", "owner_id")];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        for (table, column) in PROBES {
            m.get_connection()
                .execute_unprepared(&format!(
                    "CREATE INDEX IF NOT EXISTS idx_{table}_live_{column} ON {table} (id, {column}) \
                     WHERE deleted_at IS NULL"
                ))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in PROBES {
            m.get_connection().execute_unprepared(&format!("DROP INDEX IF EXISTS idx_{table}_live_{column}")).await?;
        }
        Ok(())
    }
}
