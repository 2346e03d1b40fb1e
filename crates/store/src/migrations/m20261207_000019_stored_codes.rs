//! Stored data holds codes; the reader's language renders them.
//!
//! - Built-in roles were stored with one bilingual name (`系统管理员
//!   Administrator`). A built-in role still under its shipped name (in
//!   either language or both) now keeps none (`''`): pages and the API name
//!   it by its code in the reader's language (`roles.<code>`). A name an
//!   administrator typed stays, as do custom roles' names.
//! - A stage change in an opportunity's history was stored as the stages'
//!   labels in the mover's language (`S2 需求确认`). It now holds the
//!   stages' codes in `from_value`/`to_value` and their ids in the new
//!   `from_stage_id`/`to_stage_id`. Existing rows are matched to a stage of
//!   the opportunity's pipeline by their label in either language, else by
//!   the code before the first space (a stage renamed since); a row that
//!   matches no stage keeps its text, which the history then shows as is.

use std::collections::HashMap;

use salesflow_domain::access::built_in_roles;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, FromQueryResult};

use super::cols::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000019_stored_codes"
    }
}

/// History rows read per step.
const BATCH: u64 = 2_000;

#[derive(FromQueryResult)]
struct Stage {
    id: i64,
    pipeline_id: i64,
    code: String,
    name: String,
    name_en: String,
}

#[derive(FromQueryResult)]
struct Change {
    id: i64,
    pipeline_id: i64,
    from_value: Option<String>,
    to_value: Option<String>,
}

/// The stage of `pipeline` a stored label names: by its label in either
/// language, else by its code (the label's first word).
pub(crate) fn stage_for<'a>(
    stages: &'a [(i64, String, String, String)],
    label: &str,
) -> Option<&'a (i64, String, String, String)> {
    let label = label.trim();
    stages
        .iter()
        .find(|(_, code, name, name_en)| label == format!("{code} {name}") || label == format!("{code} {name_en}"))
        .or_else(|| {
            let code = label.split_whitespace().next()?;
            stages.iter().find(|(_, c, _, _)| c == code)
        })
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let backend = m.get_database_backend();

        // Roles: a built-in role under its shipped name keeps none.
        for role in built_in_roles() {
            let shipped =
                [role.name_zh.to_owned(), role.name_en.to_owned(), format!("{} {}", role.name_zh, role.name_en)];
            let update = Query::update()
                .table(Alias::new("roles"))
                .value(Alias::new("name"), "")
                .and_where(Expr::col(Alias::new("code")).eq(role.code))
                .and_where(Expr::col(Alias::new("built_in")).eq(true))
                .and_where(Expr::col(Alias::new("name")).is_in(shipped))
                .to_owned();
            db.execute(&update).await?;
        }

        // Stage history: codes and ids instead of the mover's labels.
        m.alter_table(
            Table::alter().table(Alias::new("opportunity_changes")).add_column(big_null("from_stage_id")).to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter().table(Alias::new("opportunity_changes")).add_column(big_null("to_stage_id")).to_owned(),
        )
        .await?;
        let select = Query::select()
            .columns(["id", "pipeline_id", "code", "name", "name_en"].map(Alias::new))
            .from(Alias::new("pipeline_stages"))
            .to_owned();
        let mut stages: HashMap<i64, Vec<(i64, String, String, String)>> = HashMap::new();
        for s in Stage::find_by_statement(backend.build(&select)).all(db).await? {
            stages.entry(s.pipeline_id).or_default().push((s.id, s.code, s.name, s.name_en));
        }
        let mut after = 0i64;
        loop {
            let select = Query::select()
                .expr_as(Expr::col((Alias::new("c"), Alias::new("id"))), Alias::new("id"))
                .expr_as(Expr::col((Alias::new("o"), Alias::new("pipeline_id"))), Alias::new("pipeline_id"))
                .expr_as(Expr::col((Alias::new("c"), Alias::new("from_value"))), Alias::new("from_value"))
                .expr_as(Expr::col((Alias::new("c"), Alias::new("to_value"))), Alias::new("to_value"))
                .from_as(Alias::new("opportunity_changes"), Alias::new("c"))
                .join_as(
                    JoinType::InnerJoin,
                    Alias::new("opportunities"),
                    Alias::new("o"),
                    Expr::col((Alias::new("o"), Alias::new("id")))
                        .equals((Alias::new("c"), Alias::new("opportunity_id"))),
                )
                .and_where(Expr::col((Alias::new("c"), Alias::new("field"))).eq("stage"))
                .and_where(Expr::col((Alias::new("c"), Alias::new("id"))).gt(after))
                .order_by((Alias::new("c"), Alias::new("id")), Order::Asc)
                .limit(BATCH)
                .to_owned();
            let rows = Change::find_by_statement(backend.build(&select)).all(db).await?;
            let Some(last) = rows.last() else { break };
            after = last.id;
            for r in rows {
                let Some(pipeline) = stages.get(&r.pipeline_id) else { continue };
                let mut update = Query::update().table(Alias::new("opportunity_changes")).to_owned();
                let mut any = false;
                for (value, id_column, value_column) in
                    [(&r.from_value, "from_stage_id", "from_value"), (&r.to_value, "to_stage_id", "to_value")]
                {
                    if let Some((id, code, _, _)) = value.as_deref().and_then(|v| stage_for(pipeline, v)) {
                        update.value(Alias::new(id_column), *id).value(Alias::new(value_column), code.clone());
                        any = true;
                    }
                }
                if any {
                    db.execute(&update.and_where(Expr::col(Alias::new("id")).eq(r.id)).to_owned()).await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // The labels come back in Chinese (the product's first language).
        let db = m.get_connection();
        for (id_column, value_column) in [("from_stage_id", "from_value"), ("to_stage_id", "to_value")] {
            db.execute_unprepared(&format!(
                "UPDATE opportunity_changes SET {value_column} = \
                   (SELECT s.code || ' ' || s.name FROM pipeline_stages s WHERE s.id = opportunity_changes.{id_column}) \
                 WHERE {id_column} IN (SELECT id FROM pipeline_stages)"
            ))
            .await?;
        }
        for column in ["from_stage_id", "to_stage_id"] {
            m.alter_table(
                Table::alter().table(Alias::new("opportunity_changes")).drop_column(Alias::new(column)).to_owned(),
            )
            .await?;
        }
        for role in built_in_roles() {
            let update = Query::update()
                .table(Alias::new("roles"))
                .value(Alias::new("name"), format!("{} {}", role.name_zh, role.name_en))
                .and_where(Expr::col(Alias::new("code")).eq(role.code))
                .and_where(Expr::col(Alias::new("name")).eq(""))
                .to_owned();
            db.execute(&update).await?;
        }
        Ok(())
    }
}
