//! Visits and contact records (activities) and in-app notifications.

use sea_orm_migration::prelude::*;

use super::cols::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261127_000003_activities"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("activities")
                .col(id())
                .col(big("customer_id"))
                .col(big_null("contact_id"))
                .col(text("kind"))
                .col(text("subject"))
                .col(time("occurred_at"))
                .col(text_null("participants"))
                .col(long_text("outcome"))
                .col(text_null("next_step"))
                .col(time_null("next_at"))
                .col(big("owner_id"))
                .col(version())
                .col(time("created_at"))
                .col(time("updated_at"))
                .col(time_null("deleted_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from(Alias::new("activities"), Alias::new("customer_id"))
                        .to(Alias::new("customers"), Alias::new("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index("activities", &["customer_id", "occurred_at", "id"], false)).await?;
        m.create_index(index("activities", &["owner_id", "occurred_at", "id"], false)).await?;

        m.create_table(
            table("notifications")
                .col(id())
                .col(big("user_id"))
                .col(text("kind"))
                .col(text("title"))
                .col(text_null("link"))
                .col(time("due_at"))
                .col(time_null("read_at"))
                .col(time("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("notifications", &["user_id", "due_at", "id"], false)).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["notifications", "activities"] {
            m.drop_table(Table::drop().table(Alias::new(t)).to_owned()).await?;
        }
        Ok(())
    }
}
