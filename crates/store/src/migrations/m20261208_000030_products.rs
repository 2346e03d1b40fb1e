//! Products (issue 12): the category tree, the catalogue and its price
//! lists. Codes are unique; a price-list entry is for one customer or one
//! customer grade, with inclusive validity days (`YYYY-MM-DD`, open when
//! empty). Products are searched through the search index (kind 10), so
//! PostgreSQL gets that kind's partial GIN index. The built-in roles of an
//! existing database get the new `products` module as new ones do.

use salesflow_domain::access::Module;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use super::cols::{big, big_null, flag, id, index, int, long_text, table, text, text_null, time, version};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261208_000030_products"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("product_categories")
                .col(id())
                .col(text("name"))
                .col(big_null("parent_id"))
                .col(version())
                .col(time("created_at"))
                .col(time("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("product_categories", &["parent_id"], false).if_not_exists().to_owned()).await?;
        m.create_table(
            table("products")
                .col(id())
                .col(text("code"))
                .col(text("name"))
                .col(big_null("category_id"))
                .col(long_text("specification"))
                .col(text("unit"))
                // Minor units (分).
                .col(big("list_price"))
                .col(big("cost"))
                // Hundredths of a percent.
                .col(int("tax_rate"))
                .col(flag("active"))
                // Thousandths of the unit.
                .col(big("reorder_point"))
                .col(big("safety_stock"))
                .col(version())
                .col(time("created_at"))
                .col(time("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("products", &["code"], true).if_not_exists().to_owned()).await?;
        m.create_index(index("products", &["name", "id"], false).if_not_exists().to_owned()).await?;
        m.create_index(index("products", &["category_id", "code"], false).if_not_exists().to_owned()).await?;
        m.create_index(index("products", &["active", "code"], false).if_not_exists().to_owned()).await?;
        m.create_table(
            table("price_list_entries")
                .col(id())
                .col(big("product_id"))
                .col(big_null("customer_id"))
                .col(text_null("grade"))
                .col(big("price"))
                .col(text_null("valid_from"))
                .col(text_null("valid_to"))
                .col(version())
                .col(time("created_at"))
                .col(time("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("price_list_entries", &["product_id", "id"], false).if_not_exists().to_owned()).await?;
        m.create_index(index("price_list_entries", &["customer_id"], false).if_not_exists().to_owned()).await?;
        if m.get_database_backend() == DbBackend::Postgres {
            m.get_connection()
                .execute_unprepared(
                    "CREATE INDEX IF NOT EXISTS search_sets_grams_10 ON search_sets USING GIN (grams) WHERE kind = 10",
                )
                .await?;
        }
        super::m20261127_000009_pipelines::grant_new_module(m, Module::Products).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["price_list_entries", "products", "product_categories"] {
            m.drop_table(Table::drop().table(Alias::new(t)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
