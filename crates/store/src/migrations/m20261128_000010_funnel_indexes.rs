//! Indexes for funnel analysis: the "reached a later stage" probe reads
//! only the index, and deals closed in a period are found per pipeline
//! without touching the table.

use sea_orm_migration::prelude::*;

use super::cols::index;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261128_000010_funnel_indexes"
    }
}

const INDEXES: [(&str, &[&str]); 2] = [
    ("opportunity_stages", &["opportunity_id", "entered_at", "stage_id"]),
    ("opportunities", &["pipeline_id", "closed_at", "status", "owner_id", "amount", "created_at", "deleted_at"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, columns) in INDEXES {
            m.create_index(index(table, columns, false)).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, columns) in INDEXES {
            m.drop_index(
                Index::drop().name(format!("idx_{table}_{}", columns.join("_"))).table(Alias::new(table)).to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
