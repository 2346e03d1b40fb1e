//! The board's column totals (count, amount, weighted amount of the open
//! deals per stage) read from one covering index instead of every row.

use sea_orm_migration::prelude::*;

use super::cols::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261130_000012_board_index"
    }
}

const COLUMNS: [&str; 8] =
    ["pipeline_id", "status", "stage_id", "owner_id", "amount", "probability", "expected_close_date", "deleted_at"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // The covering index starts like the one it replaces.
        m.drop_index(
            Index::drop()
                .name("idx_opportunities_pipeline_id_status_stage_id")
                .table(Alias::new("opportunities"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("opportunities", &COLUMNS, false)).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name(format!("idx_opportunities_{}", COLUMNS.join("_")))
                .table(Alias::new("opportunities"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("opportunities", &["pipeline_id", "status", "stage_id"], false)).await
    }
}
