//! Purchasing (issue 12): suppliers, purchase orders and their lines, the
//! yearly counter behind `PO-YYYY-NNNNNN`, and a product's default
//! supplier (for drafting orders from the low-stock list). Quantities in
//! thousandths of the unit, money in minor units; dates `YYYY-MM-DD`.
//! The built-in roles of an existing database get the new `purchasing`
//! module as new ones do.

use salesflow_domain::access::Module;
use sea_orm_migration::prelude::*;

use super::cols::{big, big_null, id, index, long_text, table, text, text_null, time, version};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261209_000050_purchasing"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("suppliers")
                .col(id())
                .col(text("name"))
                .col(text("contact"))
                .col(text("phone"))
                .col(text("email"))
                .col(long_text("address"))
                .col(long_text("notes"))
                .col(version())
                .col(time("created_at"))
                .col(time("updated_at"))
                .to_owned(),
        )
        .await?;
        // The list sorts by name (then id) and by id.
        m.create_index(index("suppliers", &["name", "id"], false).if_not_exists().to_owned()).await?;
        m.create_table(
            table("purchase_orders")
                .col(id())
                .col(text("number"))
                .col(big("supplier_id"))
                .col(text("status"))
                .col(text_null("expected_date"))
                .col(long_text("notes"))
                // Minor units: the sum of the lines' amounts.
                .col(big("total"))
                .col(big_null("created_by"))
                .col(version())
                .col(time("created_at"))
                .col(time("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("purchase_orders", &["number"], true).if_not_exists().to_owned()).await?;
        m.create_index(index("purchase_orders", &["supplier_id", "id"], false).if_not_exists().to_owned()).await?;
        m.create_index(index("purchase_orders", &["status", "id"], false).if_not_exists().to_owned()).await?;
        m.create_table(
            table("purchase_order_lines")
                .col(id())
                .col(big("purchase_order_id"))
                .col(big("position"))
                .col(big("product_id"))
                .col(big("quantity"))
                .col(big("received"))
                .col(big("unit_cost"))
                .col(big("amount"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("purchase_order_lines", &["purchase_order_id", "position"], false).if_not_exists().to_owned(),
        )
        .await?;
        m.create_index(index("purchase_order_lines", &["product_id"], false).if_not_exists().to_owned()).await?;
        m.create_table(
            table("purchase_order_numbers")
                .col(ColumnDef::new(Alias::new("year")).integer().not_null().primary_key())
                .col(big("last"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Alias::new("products"))
                .add_column(ColumnDef::new(Alias::new("default_supplier_id")).big_integer().null())
                .to_owned(),
        )
        .await?;
        m.create_index(index("products", &["default_supplier_id"], false).if_not_exists().to_owned()).await?;
        super::m20261127_000009_pipelines::grant_new_module(m, Module::Purchasing).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("idx_products_default_supplier_id").table(Alias::new("products")).to_owned())
            .await?;
        m.alter_table(
            Table::alter().table(Alias::new("products")).drop_column(Alias::new("default_supplier_id")).to_owned(),
        )
        .await?;
        for t in ["purchase_order_numbers", "purchase_order_lines", "purchase_orders", "suppliers"] {
            m.drop_table(Table::drop().table(Alias::new(t)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
