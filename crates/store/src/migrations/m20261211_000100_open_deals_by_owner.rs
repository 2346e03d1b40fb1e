//! The open deals of each owner, by amount, covering what the home page
//! counts of them (issue 11, speed at 1,000,000 deals): the stage totals,
//! the weighted amount, the stalled and the closing-this-month figures and
//! the largest of each are read from this index alone, however many
//! closed deals the owners have (the status too: the weight's rule reads
//! it). Partial (open, not deleted) like
//! `idx_opportunities_open_by_time`: the home page writes the status into
//! its SQL so that both backends may use it.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261211_000100_open_deals_by_owner"
    }
}

pub(crate) const OPEN_BY_OWNER: &str = "idx_opportunities_open_by_owner";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared(&format!(
                "CREATE INDEX IF NOT EXISTS {OPEN_BY_OWNER} ON opportunities \
                 (owner_id, amount, id, pipeline_id, stage_id, probability, expected_close_date, \
                 stage_entered_at, last_activity_at, status) WHERE status = 'open' AND deleted_at IS NULL"
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection().execute_unprepared(&format!("DROP INDEX IF EXISTS {OPEN_BY_OWNER}")).await?;
        Ok(())
    }
}
