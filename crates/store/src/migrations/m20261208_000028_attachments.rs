//! Files attached to customers, contacts and deals. The bytes live under
//! the data directory (`stored_name`, random); the table holds what the
//! record page lists and the download needs.

use sea_orm_migration::prelude::*;

use super::cols::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261208_000028_attachments"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("attachments")
                .col(id())
                // `customer`, `contact` or `opportunity`.
                .col(text("holder_type"))
                .col(big("holder_id"))
                .col(text("file_name"))
                .col(text("stored_name"))
                // `attachments::FileKind` code: decides the served content type.
                .col(text("kind"))
                .col(big("size"))
                .col(big("uploader_id"))
                .col(version())
                .col(time("created_at"))
                .col(time("updated_at"))
                .col(time_null("deleted_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("attachments", &["holder_type", "holder_id", "id"], false).if_not_exists().to_owned())
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("attachments")).if_exists().to_owned()).await
    }
}
