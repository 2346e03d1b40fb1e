//! Hand-over requests (撞单): a salesperson refused because another owns
//! the customer asks that owner's manager to hand it over. One request per
//! requester, customer and day: the unique key makes a second one on the
//! same day a no-op inside the inserting transaction, on both backends.

use sea_orm_migration::prelude::*;

use super::cols::{big, id, index, long_text, table, text, time};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000020_handover_requests"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("handover_requests")
                .col(id())
                .col(big("requester_id"))
                .col(big("customer_id"))
                .col(big("owner_id"))
                // The day asked on (YYYY-MM-DD, in the company's time zone).
                .col(text("day"))
                .col(long_text("message"))
                .col(big("notified_user_id"))
                .col(time("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("handover_requests", &["requester_id", "customer_id", "day"], true).if_not_exists().to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("handover_requests")).if_exists().to_owned()).await
    }
}
