//! The board's column totals (count, amount, weighted amount of the open
//! deals per stage) read from the funnel's covering index, once it also
//! holds the probability: one wide index serves both. The weighted
//! forecast (open deals by close date) reads a covering index too.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261130_000012_board_index"
    }
}

/// The index of `m20261129_000011_funnel_rollup`, which this one replaces.
const FIGURES_INDEX: &str = "idx_opportunities_pipeline_status_figures";
const FIGURES_COLUMNS: &str = "pipeline_id, status, stage_id, owner_id, amount, expected_close_date, deleted_at, \
                               stage_entered_at, last_activity_at";
const BOARD_INDEX: &str = "idx_opportunities_pipeline_status_board";
const BOARD_COLUMNS: &str = "pipeline_id, status, stage_id, owner_id, amount, probability, expected_close_date, \
                             deleted_at, stage_entered_at, last_activity_at";
/// Of `m20261127_000009_pipelines`: replaced by the forecast's, which starts the same.
const CLOSE_INDEX: &str = "idx_opportunities_status_expected_close_date_id";
const CLOSE_COLUMNS: &str = "status, expected_close_date, id";
const FORECAST_INDEX: &str = "idx_opportunities_forecast";
const FORECAST_COLUMNS: &str =
    "status, expected_close_date, deleted_at, pipeline_id, owner_id, probability, amount, id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let conn = m.get_connection();
        conn.execute_unprepared(&format!("DROP INDEX IF EXISTS {FIGURES_INDEX}")).await?;
        conn.execute_unprepared(&format!(
            "CREATE INDEX IF NOT EXISTS {BOARD_INDEX} ON opportunities ({BOARD_COLUMNS})"
        ))
        .await?;
        conn.execute_unprepared(&format!("DROP INDEX IF EXISTS {CLOSE_INDEX}")).await?;
        conn.execute_unprepared(&format!(
            "CREATE INDEX IF NOT EXISTS {FORECAST_INDEX} ON opportunities ({FORECAST_COLUMNS})"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let conn = m.get_connection();
        conn.execute_unprepared(&format!("DROP INDEX IF EXISTS {FORECAST_INDEX}")).await?;
        conn.execute_unprepared(&format!(
            "CREATE INDEX IF NOT EXISTS {CLOSE_INDEX} ON opportunities ({CLOSE_COLUMNS})"
        ))
        .await?;
        conn.execute_unprepared(&format!("DROP INDEX IF EXISTS {BOARD_INDEX}")).await?;
        conn.execute_unprepared(&format!(
            "CREATE INDEX IF NOT EXISTS {FIGURES_INDEX} ON opportunities ({FIGURES_COLUMNS})"
        ))
        .await?;
        Ok(())
    }
}
