//! Each owner's deals by status and amount, covering what the home page
//! counts of the open ones (issue 11, speed at 1,000,000 deals): the stage
//! totals, the weighted amount (its rule reads the status), the stalled and
//! closing-this-month figures and the largest of each are read from this
//! index alone, however many closed deals the owners have. One owner's
//! open deals come largest first from it without a sort. It replaces the
//! shorter index of the same leading columns (`owner_id, status,
//! expected_close_date`, migration `m20261127_000009_pipelines`), which
//! SQLite preferred for being narrower, then read the table for the rest.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261211_000100_owner_figures"
    }
}

const OWNER_FIGURES: &str = "idx_opportunities_owner_figures";
const SHORTER: &str = "idx_opportunities_owner_id_status_expected_close_date";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection().execute_unprepared(&format!("DROP INDEX IF EXISTS {SHORTER}")).await?;
        m.get_connection()
            .execute_unprepared(&format!(
                "CREATE INDEX IF NOT EXISTS {OWNER_FIGURES} ON opportunities \
                 (owner_id, status, amount, id, pipeline_id, stage_id, probability, expected_close_date, \
                 stage_entered_at, last_activity_at, deleted_at)"
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection().execute_unprepared(&format!("DROP INDEX IF EXISTS {OWNER_FIGURES}")).await?;
        m.get_connection()
            .execute_unprepared(&format!(
                "CREATE INDEX IF NOT EXISTS {SHORTER} ON opportunities (owner_id, status, expected_close_date)"
            ))
            .await?;
        Ok(())
    }
}
