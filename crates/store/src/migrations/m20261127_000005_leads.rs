//! Leads (线索) and their conversion links.

use sea_orm_migration::prelude::*;

use super::cols::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261127_000005_leads"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("leads")
                .col(id())
                .col(text("name"))
                .col(text_null("company"))
                .col(text_null("company_key"))
                .col(text_null("title"))
                .col(text_null("phone"))
                .col(text_null("mobile"))
                .col(text_null("phone_key"))
                .col(text_null("mobile_key"))
                .col(text_null("email"))
                .col(text_null("email_key"))
                .col(text_null("province"))
                .col(text_null("city"))
                .col(text_null("source"))
                .col(text_null("campaign"))
                .col(text_null("intention"))
                .col(text("status"))
                .col(big("owner_id"))
                .col(long_text("notes"))
                .col(text_null("disqualify_reason"))
                .col(big_null("converted_customer_id"))
                .col(big_null("converted_contact_id"))
                .col(time_null("converted_at"))
                .col(version())
                .col(time("created_at"))
                .col(time("updated_at"))
                .col(time_null("deleted_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from(Alias::new("leads"), Alias::new("converted_customer_id"))
                        .to(Alias::new("customers"), Alias::new("id")),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Alias::new("leads"), Alias::new("converted_contact_id"))
                        .to(Alias::new("contacts"), Alias::new("id")),
                )
                .to_owned(),
        )
        .await?;
        // The scope (owner) first, then the common filters and sorts, each
        // ending in id for keyset paging.
        for columns in [
            &["owner_id", "status", "created_at", "id"][..],
            &["owner_id", "created_at", "id"],
            &["owner_id", "updated_at", "id"],
            &["owner_id", "name", "id"],
            &["status", "created_at", "id"],
            &["intention", "created_at", "id"],
            &["source", "created_at", "id"],
            &["campaign", "created_at", "id"],
            &["converted_at", "created_at", "id"],
            &["created_at", "id"],
            &["updated_at", "id"],
            &["name", "id"],
            // Duplicate checks.
            &["company_key"],
            &["phone_key"],
            &["mobile_key"],
            &["email_key"],
            &["converted_customer_id"],
        ] {
            m.create_index(index("leads", columns, false)).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("leads")).to_owned()).await
    }
}
