//! Comments on customers and deals, with the people they mention. Listed
//! newest first per record: the index leads with the record.

use sea_orm_migration::prelude::*;

use super::cols::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261208_000027_comments"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("comments")
                // `customer` or `opportunity`.
                .col(text("subject_type"))
                .col(big("subject_id"))
                .col(id())
                .col(big("author_id"))
                .col(long_text("body"))
                // The mentioned users' ids, `,3,17,` (for the record's readers).
                .col(text("mentions"))
                .col(version())
                .col(time("created_at"))
                .col(time("updated_at"))
                .col(time_null("deleted_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("comments", &["subject_type", "subject_id", "id"], false).if_not_exists().to_owned())
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("comments")).if_exists().to_owned()).await
    }
}
