//! Sales tasks, and the index the calendar reads follow-up dates by.

use sea_orm_migration::prelude::*;

use super::cols::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261127_000006_tasks"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("tasks")
                .col(id())
                .col(text("title"))
                .col(long_text("description"))
                .col(big("assignee_id"))
                .col(big("created_by"))
                // The customer the task is about (directly or through a
                // contact): the task shows on that customer's page.
                .col(big_null("customer_id"))
                .col(text_null("related_kind"))
                .col(big_null("related_id"))
                .col(time_null("start_at"))
                .col(time("due_at"))
                // 1 low … 4 urgent, so that sorting puts urgent first.
                .col(int("priority"))
                .col(text("status"))
                .col(time_null("completed_at"))
                .col(version())
                .col(time("created_at"))
                .col(time("updated_at"))
                .col(time_null("deleted_at"))
                .to_owned(),
        )
        .await?;
        for columns in [
            &["assignee_id", "status", "due_at"][..],
            &["assignee_id", "due_at", "id"],
            &["created_by", "status", "due_at"],
            &["customer_id", "status", "due_at"],
            &["related_kind", "related_id"],
            &["status", "due_at", "id"],
            &["due_at", "id"],
            &["priority", "id"],
            &["created_at", "id"],
        ] {
            m.create_index(index("tasks", columns, false)).await?;
        }
        m.create_index(index("activities", &["next_at"], false)).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("idx_activities_next_at").table(Alias::new("activities")).to_owned()).await?;
        m.drop_table(Table::drop().table(Alias::new("tasks")).to_owned()).await?;
        Ok(())
    }
}
