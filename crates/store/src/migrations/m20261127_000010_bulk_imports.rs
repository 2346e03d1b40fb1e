//! Bulk imports: bigrams waiting to be moved into the search index in key
//! order (see `search::index_later`), and when housekeeping removed the
//! files of an import (its page then says "expired" instead of offering a
//! download that is gone).

use sea_orm_migration::prelude::*;

use super::cols::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261127_000010_bulk_imports"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Alias::new("imports")).add_column(time_null("files_expired_at")).to_owned())
            .await?;
        // Appended to in row order, emptied in bigram order: no index on the
        // bigram, so writing here costs no random B-tree inserts.
        m.create_table(
            table("search_grams_pending")
                .col(id())
                .col(ColumnDef::new(Alias::new("gram")).string().not_null())
                .col(ColumnDef::new(Alias::new("kind")).small_integer().not_null())
                .col(big("entity_id"))
                .to_owned(),
        )
        .await?;
        // A row changed before its bigrams moved drops the waiting ones.
        m.create_index(index("search_grams_pending", &["kind", "entity_id"], false)).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("search_grams_pending")).to_owned()).await?;
        m.alter_table(
            Table::alter().table(Alias::new("imports")).drop_column(Alias::new("files_expired_at")).to_owned(),
        )
        .await?;
        Ok(())
    }
}
