//! Public-pool settings: days without activity before a customer returns
//! to the pool, and how many customers one person may claim a day.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261127_000004_pool_settings"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for (name, default) in [("pool_return_days", 30), ("pool_claim_limit", 20)] {
            m.alter_table(
                Table::alter()
                    .table(Alias::new("company_settings"))
                    .add_column(ColumnDef::new(Alias::new(name)).integer().not_null().default(default))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for name in ["pool_return_days", "pool_claim_limit"] {
            m.alter_table(
                Table::alter().table(Alias::new("company_settings")).drop_column(Alias::new(name)).to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
