//! Customers, contacts, the search index and public-pool settings.

use sea_orm_migration::prelude::*;

use super::cols::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261127_000002_customers"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("customers")
                .col(id())
                .col(text("name"))
                .col(text("name_key"))
                .col(text_null("grade"))
                .col(text_null("industry"))
                .col(text_null("province"))
                .col(text_null("city"))
                .col(text_null("address"))
                .col(text_null("source"))
                .col(text_null("kind"))
                .col(text("tags"))
                .col(big("credit_limit"))
                .col(big_null("owner_id"))
                .col(long_text("notes"))
                .col(time("last_activity_at"))
                .col(time_null("claimed_at"))
                .col(version())
                .col(time("created_at"))
                .col(time("updated_at"))
                .col(time_null("deleted_at"))
                .to_owned(),
        )
        .await?;
        // The list's common filters and sorts, each ending in id for keyset paging.
        m.create_index(index("customers", &["owner_id", "grade", "last_activity_at", "id"], false)).await?;
        m.create_index(index("customers", &["owner_id", "last_activity_at", "id"], false)).await?;
        m.create_index(index("customers", &["last_activity_at", "id"], false)).await?;
        m.create_index(index("customers", &["grade", "last_activity_at", "id"], false)).await?;
        m.create_index(index("customers", &["created_at", "id"], false)).await?;
        m.create_index(index("customers", &["name", "id"], false)).await?;
        m.create_index(index("customers", &["name_key"], false)).await?;

        m.create_table(
            table("contacts")
                .col(id())
                .col(big("customer_id"))
                .col(text("name"))
                .col(text_null("title"))
                .col(text_null("phone"))
                .col(text_null("mobile"))
                .col(text_null("phone_key"))
                .col(text_null("mobile_key"))
                .col(text_null("email"))
                .col(text_null("email_key"))
                .col(text("role"))
                .col(long_text("notes"))
                .col(version())
                .col(time("created_at"))
                .col(time("updated_at"))
                .col(time_null("deleted_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from(Alias::new("contacts"), Alias::new("customer_id"))
                        .to(Alias::new("customers"), Alias::new("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index("contacts", &["customer_id", "id"], false)).await?;
        m.create_index(index("contacts", &["phone_key"], false)).await?;
        m.create_index(index("contacts", &["mobile_key"], false)).await?;
        m.create_index(index("contacts", &["email_key"], false)).await?;

        // Character bigrams of searchable text, written with the row.
        m.create_table(
            table("search_grams")
                .col(ColumnDef::new(Alias::new("gram")).string().not_null())
                .col(ColumnDef::new(Alias::new("kind")).small_integer().not_null())
                .col(ColumnDef::new(Alias::new("entity_id")).big_integer().not_null())
                .primary_key(
                    Index::create().col(Alias::new("gram")).col(Alias::new("kind")).col(Alias::new("entity_id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index("search_grams", &["kind", "entity_id"], false)).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["search_grams", "contacts", "customers"] {
            m.drop_table(Table::drop().table(Alias::new(t)).to_owned()).await?;
        }
        Ok(())
    }
}
