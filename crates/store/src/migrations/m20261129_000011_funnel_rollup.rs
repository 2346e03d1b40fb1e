//! The funnel summary (see `reports::rollup`): what the funnel analysis
//! counts, per pipeline, local day and local month of the company's time
//! zone, kept in step with every change of an opportunity, so that a
//! report reads thousands of summary rows instead of millions of stays.
//! The tables start empty; `Store::migrate` fills them (a rebuild) when
//! their state row is missing or was built for another time zone.
//! Also the indexes that let the funnel read open deals without the table.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

use super::cols::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261129_000011_funnel_rollup"
    }
}

fn real(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).double().not_null().to_owned()
}

fn key(columns: &[&str]) -> IndexCreateStatement {
    let mut stmt = Index::create();
    for c in columns {
        stmt.col(Alias::new(*c));
    }
    stmt.to_owned()
}

/// The index of a pipeline's deals by status and stage, made covering for
/// the funnel's open deals (counts, amounts, stalled), replacing the
/// shorter one of `m20261127_000009_pipelines` (same leading columns).
const FIGURES_INDEX: &str = "idx_opportunities_pipeline_status_figures";
const FIGURES_COLUMNS: &str = "pipeline_id, status, stage_id, owner_id, amount, expected_close_date, deleted_at, \
                               stage_entered_at, last_activity_at";
const OLD_INDEX: &str = "idx_opportunities_pipeline_id_status_stage_id";
/// Open deals by time in stage: the longest stalled first.
const OPEN_BY_TIME: &str = "idx_opportunities_open_by_time";

const TABLES: [&str; 4] = ["funnel_stays", "funnel_stay_days", "funnel_closed", "funnel_rollup_state"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Stays by the local day (grain 0) and month (grain 1) they were
        // entered in; `period` is yyyymmdd (the 1st for a month).
        m.create_table(
            table("funnel_stays")
                .col(big("pipeline_id"))
                .col(int("grain"))
                .col(big("period"))
                .col(big("owner_id"))
                .col(big("stage_id"))
                .col(big("entered"))
                .col(big("amount"))
                .col(big("converted"))
                .col(big("finished"))
                .col(real("days"))
                .primary_key(&mut key(&["pipeline_id", "grain", "period", "owner_id", "stage_id"]))
                .to_owned(),
        )
        .await?;
        // Finished stays by whole days, for medians: owner 0 is everyone
        // (days and months), real owners by month only. Owner first, so
        // that everyone's rows are read without passing the owners'.
        m.create_table(
            table("funnel_stay_days")
                .col(big("pipeline_id"))
                .col(int("grain"))
                .col(big("period"))
                .col(big("owner_id"))
                .col(big("stage_id"))
                .col(big("days"))
                .col(big("stays"))
                .primary_key(&mut key(&["pipeline_id", "owner_id", "grain", "period", "stage_id", "days"]))
                .to_owned(),
        )
        .await?;
        // Deals won or lost, by the local day and month they closed in and
        // their owner.
        m.create_table(
            table("funnel_closed")
                .col(big("pipeline_id"))
                .col(int("grain"))
                .col(big("period"))
                .col(big("owner_id"))
                .col(big("won"))
                .col(big("lost"))
                .col(big("won_amount"))
                .col(real("cycle_days"))
                .primary_key(&mut key(&["pipeline_id", "grain", "period", "owner_id"]))
                .to_owned(),
        )
        .await?;
        let conn = m.get_connection();
        conn.execute_unprepared(&format!("DROP INDEX IF EXISTS {OLD_INDEX}")).await?;
        conn.execute_unprepared(&format!(
            "CREATE INDEX IF NOT EXISTS {FIGURES_INDEX} ON opportunities ({FIGURES_COLUMNS})"
        ))
        .await?;
        conn.execute_unprepared(&format!(
            "CREATE INDEX IF NOT EXISTS {OPEN_BY_TIME} ON opportunities \
             (pipeline_id, stage_entered_at, id, stage_id, owner_id, last_activity_at) \
             WHERE status = 'open' AND deleted_at IS NULL"
        ))
        .await?;
        // One row: the time zone the summary was built for.
        m.create_table(
            table("funnel_rollup_state")
                .col(int("id").primary_key())
                .col(text("time_zone"))
                .col(time("built_at"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let conn = m.get_connection();
        for name in [OPEN_BY_TIME, FIGURES_INDEX] {
            conn.execute_unprepared(&format!("DROP INDEX IF EXISTS {name}")).await?;
        }
        conn.execute_unprepared(&format!(
            "CREATE INDEX IF NOT EXISTS {OLD_INDEX} ON opportunities (pipeline_id, status, stage_id)"
        ))
        .await?;
        for t in TABLES {
            m.drop_table(Table::drop().table(Alias::new(t)).to_owned()).await?;
        }
        Ok(())
    }
}
