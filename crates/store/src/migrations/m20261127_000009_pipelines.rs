//! Pipelines with ordered stages and checklists, opportunities, their
//! checklist ticks, stage stays (for funnel analysis) and field history,
//! lost reasons, and the opportunity an activity was recorded for.

use std::collections::BTreeMap;

use salesflow_domain::access::{Module, built_in_roles};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

use super::cols::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261127_000009_pipelines"
    }
}

fn date_null(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).date().null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("pipelines")
                .col(id())
                // Set for the shipped pipelines, so they are installed once.
                .col(text_null("code"))
                .col(text("name"))
                .col(text("name_en"))
                .col(int("position"))
                .col(time_null("retired_at"))
                .col(version())
                .col(time("created_at"))
                .col(time("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("pipelines", &["code"], false)).await?;

        let mut stages = table("pipeline_stages");
        stages.col(id()).col(big("pipeline_id")).col(int("position")).col(text("code")).col(text("name"));
        stages
            .col(text("name_en"))
            .col(int("probability"))
            .col(ColumnDef::new(Alias::new("expected_days")).integer().null());
        for t in ["success_criteria", "milestone", "input", "output"] {
            stages.col(long_text(t)).col(long_text(&format!("{t}_en")));
        }
        stages.col(time_null("retired_at")).col(version()).col(time("created_at")).col(time("updated_at"));
        m.create_table(stages.to_owned()).await?;
        m.create_index(index("pipeline_stages", &["pipeline_id", "position"], false)).await?;

        m.create_table(
            table("stage_items")
                .col(id())
                .col(big("stage_id"))
                .col(int("position"))
                // `task` (任务清单) or `condition` (符合条件).
                .col(text("kind"))
                .col(long_text("text"))
                .col(long_text("text_en"))
                .col(flag("required"))
                .col(time_null("retired_at"))
                .col(time("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("stage_items", &["stage_id", "position"], false)).await?;

        m.create_table(
            table("lost_reasons")
                .col(id())
                .col(text("name"))
                .col(text("name_en"))
                .col(int("position"))
                .col(time_null("retired_at"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            table("opportunities")
                .col(id())
                .col(text("name"))
                .col(big("customer_id"))
                .col(big("pipeline_id"))
                .col(big("stage_id"))
                .col(big("owner_id"))
                // Minor units (分).
                .col(big("amount"))
                .col(text("currency"))
                .col(date_null("expected_close_date"))
                // The probability counted with: the stage's, or the override.
                .col(int("probability"))
                // Set when the probability is overridden: why.
                .col(text_null("probability_reason"))
                .col(text_null("source"))
                .col(text_null("campaign"))
                .col(long_text("competitors"))
                // Free text until products exist; then opportunity lines.
                .col(long_text("product_lines"))
                .col(long_text("next_step"))
                .col(long_text("notes"))
                .col(text("status"))
                .col(big_null("lost_reason_id"))
                .col(long_text_null("lost_note"))
                .col(time_null("closed_at"))
                .col(time("stage_entered_at"))
                // Last activity recorded for it, or its last move.
                .col(time("last_activity_at"))
                .col(big_null("lead_id"))
                .col(version())
                .col(time("created_at"))
                .col(time("updated_at"))
                .col(time_null("deleted_at"))
                .to_owned(),
        )
        .await?;
        for columns in [
            // Kanban columns: cards of a stage, largest first.
            &["stage_id", "status", "amount", "id"][..],
            &["owner_id", "stage_id", "status", "amount", "id"],
            // Forecast and lists by close date.
            &["status", "expected_close_date", "id"],
            &["owner_id", "status", "expected_close_date"],
            &["customer_id", "status"],
            &["pipeline_id", "status", "stage_id"],
            &["created_at", "id"],
            &["updated_at", "id"],
            &["amount", "id"],
            &["name", "id"],
            &["closed_at", "id"],
        ] {
            m.create_index(index("opportunities", columns, false)).await?;
        }

        m.create_table(
            table("opportunity_contacts")
                .col(big("opportunity_id"))
                .col(big("contact_id"))
                .col(text("role"))
                .primary_key(Index::create().col(Alias::new("opportunity_id")).col(Alias::new("contact_id")))
                .to_owned(),
        )
        .await?;
        m.create_index(index("opportunity_contacts", &["contact_id"], false)).await?;

        m.create_table(
            table("opportunity_checks")
                .col(big("opportunity_id"))
                .col(big("item_id"))
                .col(big_null("done_by"))
                .col(time("done_at"))
                .primary_key(Index::create().col(Alias::new("opportunity_id")).col(Alias::new("item_id")))
                .to_owned(),
        )
        .await?;

        // One row per stay of an opportunity in a stage: what funnel
        // analysis counts (entered, converted, days in stage).
        m.create_table(
            table("opportunity_stages")
                .col(id())
                .col(big("opportunity_id"))
                .col(big("pipeline_id"))
                .col(big("stage_id"))
                .col(big("owner_id"))
                .col(big("amount"))
                .col(time("entered_at"))
                .col(time_null("left_at"))
                .col(big_null("entered_by"))
                // Passed over by a move that skipped it (no time spent).
                .col(flag("passed"))
                // Set when a gate was overridden to enter the next stage.
                .col(long_text_null("override_reason"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("opportunity_stages", &["opportunity_id", "entered_at"], false)).await?;
        m.create_index(index(
            "opportunity_stages",
            &["pipeline_id", "entered_at", "stage_id", "owner_id", "amount", "left_at"],
            false,
        ))
        .await?;

        m.create_table(
            table("opportunity_changes")
                .col(id())
                .col(big("opportunity_id"))
                // stage, probability, amount, owner, expected_close_date,
                // status, gate_override.
                .col(text("field"))
                .col(long_text_null("from_value"))
                .col(long_text_null("to_value"))
                .col(long_text_null("reason"))
                .col(big_null("user_id"))
                .col(time("at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("opportunity_changes", &["opportunity_id", "id"], false)).await?;

        m.alter_table(Table::alter().table(Alias::new("activities")).add_column(big_null("opportunity_id")).to_owned())
            .await?;
        m.create_index(index("activities", &["opportunity_id", "occurred_at"], false)).await?;

        grant_new_module(m, Module::Opportunities).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop().name("idx_activities_opportunity_id_occurred_at").table(Alias::new("activities")).to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter().table(Alias::new("activities")).drop_column(Alias::new("opportunity_id")).to_owned(),
        )
        .await?;
        for t in [
            "opportunity_changes",
            "opportunity_stages",
            "opportunity_checks",
            "opportunity_contacts",
            "opportunities",
            "lost_reasons",
            "stage_items",
            "pipeline_stages",
            "pipelines",
        ] {
            m.drop_table(Table::drop().table(Alias::new(t)).to_owned()).await?;
        }
        Ok(())
    }
}

/// Built-in roles get their permissions when first created; a module added
/// later is granted here, once, to the built-in roles of an existing
/// database (as `built_in_roles()` grants it to new ones).
pub(super) async fn grant_new_module(m: &SchemaManager<'_>, module: Module) -> Result<(), DbErr> {
    let db = m.get_connection();
    for role in built_in_roles() {
        let Some(actions) = role.permissions.0.get(&module) else { continue };
        let select = Query::select()
            .columns([Alias::new("id"), Alias::new("permissions")])
            .from(Alias::new("roles"))
            .and_where(Expr::col(Alias::new("code")).eq(role.code))
            .and_where(Expr::col(Alias::new("built_in")).eq(true))
            .to_owned();
        let Some(row) = db.query_one(&select).await? else { continue };
        let id: i64 = row.try_get("", "id")?;
        let stored: String = row.try_get("", "permissions")?;
        let mut codes: BTreeMap<String, Vec<String>> = serde_json::from_str(&stored).unwrap_or_default();
        codes.insert(module.code().to_owned(), actions.iter().map(|a| a.code().to_owned()).collect());
        let json = serde_json::to_string(&codes).unwrap_or(stored);
        let update = Query::update()
            .table(Alias::new("roles"))
            .value(Alias::new("permissions"), json)
            .and_where(Expr::col(Alias::new("id")).eq(id))
            .to_owned();
        db.execute(&update).await?;
    }
    Ok(())
}
