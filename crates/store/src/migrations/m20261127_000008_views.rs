//! Saved list views and column choices per person; the date a customer
//! first closed a deal (成交客户档案) and which customer a merged one went
//! into; the intention level noted on a visit (到访客户意向登记表); when a
//! reminder was e-mailed.

use sea_orm_migration::prelude::*;

use super::cols::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261127_000008_views"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("saved_views")
                .col(id())
                .col(big("user_id"))
                .col(text("list"))
                .col(text("name"))
                .col(long_text("query"))
                .col(time("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("saved_views", &["user_id", "list", "name"], true)).await?;
        m.create_table(
            table("list_columns").col(id()).col(big("user_id")).col(text("list")).col(text("columns")).to_owned(),
        )
        .await?;
        m.create_index(index("list_columns", &["user_id", "list"], true)).await?;

        // SQLite adds one column per statement.
        for (t, column) in [
            ("customers", time_null("closed_at")),
            ("customers", big_null("merged_into_id")),
            ("activities", text_null("intention")),
            ("notifications", time_null("emailed_at")),
        ] {
            m.alter_table(Table::alter().table(Alias::new(t)).add_column(column).to_owned()).await?;
        }
        m.create_index(index("customers", &["closed_at", "id"], false)).await?;
        m.create_index(index("activities", &["occurred_at", "id"], false)).await?;
        m.create_index(index("activities", &["kind", "occurred_at", "id"], false)).await?;
        m.create_index(index("notifications", &["emailed_at", "due_at"], false)).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (t, column) in [("customers", "closed_at"), ("customers", "merged_into_id"), ("activities", "intention")] {
            m.alter_table(Table::alter().table(Alias::new(t)).drop_column(Alias::new(column)).to_owned()).await?;
        }
        for t in ["list_columns", "saved_views"] {
            m.drop_table(Table::drop().table(Alias::new(t)).to_owned()).await?;
        }
        Ok(())
    }
}
