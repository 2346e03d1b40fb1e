//! The company setting to show large amounts short (万 / 亿 in Chinese,
//! K / M / B in English) in lists, cards and board figures: off by default.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000017_amount_display"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Alias::new("company_settings"))
                .add_column(ColumnDef::new(Alias::new("short_amounts")).boolean().not_null().default(false))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter().table(Alias::new("company_settings")).drop_column(Alias::new("short_amounts")).to_owned(),
        )
        .await
    }
}
