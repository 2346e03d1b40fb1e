//! Warehouses, stock and stock movements (issue 12). `stock` holds one row
//! per product and warehouse (on hand, reserved); every change of on hand
//! is a row in `stock_movements` with the balance after it, so a product's
//! stock card reads its newest rows by index. `company_settings` learns
//! `allow_negative_stock` (default: never below zero). The built-in roles
//! of an existing database get the new `inventory` module.

use salesflow_domain::access::Module;
use sea_orm_migration::prelude::*;

use super::cols::{big, big_null, flag, id, index, long_text, table, text, text_null, time, version};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261208_000031_inventory"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("warehouses")
                .col(id())
                .col(text("code"))
                .col(text("name"))
                .col(long_text("address"))
                .col(flag("active"))
                .col(version())
                .col(time("created_at"))
                .col(time("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("warehouses", &["code"], true).if_not_exists().to_owned()).await?;
        m.create_table(
            table("stock")
                .col(big("product_id"))
                .col(big("warehouse_id"))
                // Thousandths of the product's unit.
                .col(big("on_hand"))
                .col(big("reserved"))
                .col(version())
                .col(time("updated_at"))
                .primary_key(Index::create().col(Alias::new("product_id")).col(Alias::new("warehouse_id")))
                .to_owned(),
        )
        .await?;
        m.create_index(index("stock", &["warehouse_id", "product_id"], false).if_not_exists().to_owned()).await?;
        m.create_table(
            table("stock_movements")
                .col(id())
                .col(big("product_id"))
                .col(big("warehouse_id"))
                .col(text("kind"))
                // Signed, thousandths.
                .col(big("quantity"))
                .col(big("balance_after"))
                .col(text_null("source_type"))
                .col(big_null("source_id"))
                .col(long_text("reason"))
                .col(big_null("created_by"))
                .col(time("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("stock_movements", &["product_id", "id"], false).if_not_exists().to_owned()).await?;
        m.create_index(
            index("stock_movements", &["product_id", "warehouse_id", "id"], false).if_not_exists().to_owned(),
        )
        .await?;
        m.create_index(index("stock_movements", &["warehouse_id", "id"], false).if_not_exists().to_owned()).await?;
        m.create_index(index("stock_movements", &["source_type", "source_id"], false).if_not_exists().to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table(Alias::new("company_settings"))
                .add_column(ColumnDef::new(Alias::new("allow_negative_stock")).boolean().not_null().default(false))
                .to_owned(),
        )
        .await?;
        super::m20261127_000009_pipelines::grant_new_module(m, Module::Inventory).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Alias::new("company_settings"))
                .drop_column(Alias::new("allow_negative_stock"))
                .to_owned(),
        )
        .await?;
        for t in ["stock_movements", "stock", "warehouses"] {
            m.drop_table(Table::drop().table(Alias::new(t)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
