//! Return orders (issue 12 item 8): `returns` (number `RT-YYYY-NNNNNN`,
//! unique, from the per-year `document_sequences` counter; the order, its
//! customer for the data scope, the warehouse the goods go back into, the
//! reason, the refund in minor units) and `return_lines` (which order line,
//! how much, its refund). `order_lines.returned` is what the returns that
//! are not cancelled took of a line, raised only `WHERE returned + q <=
//! shipped`, so concurrent returns never take more than shipped.

use sea_orm_migration::prelude::*;

use super::cols::{big, id, index, long_text, table, text, time, time_null, version};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261210_000090_returns"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("returns")
                .col(id())
                .col(text("number"))
                .col(big("order_id"))
                .col(big("customer_id"))
                .col(big("warehouse_id"))
                .col(text("status"))
                .col(long_text("reason"))
                // Minor units: the lines' refunds added up.
                .col(big("refund"))
                .col(big("created_by"))
                .col(time_null("received_at"))
                .col(time_null("completed_at"))
                .col(version())
                .col(time("created_at"))
                .col(time("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("returns", &["number"], true).if_not_exists().to_owned()).await?;
        m.create_index(index("returns", &["order_id", "id"], false).if_not_exists().to_owned()).await?;
        m.create_index(index("returns", &["customer_id", "id"], false).if_not_exists().to_owned()).await?;
        m.create_index(index("returns", &["status", "id"], false).if_not_exists().to_owned()).await?;
        m.create_table(
            table("return_lines")
                .col(id())
                .col(big("return_id"))
                .col(big("order_line_id"))
                .col(big("product_id"))
                .col(big("quantity"))
                .col(big("refund"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("return_lines", &["return_id", "id"], false).if_not_exists().to_owned()).await?;
        m.create_index(index("return_lines", &["order_line_id"], false).if_not_exists().to_owned()).await?;
        m.alter_table(
            Table::alter()
                .table(Alias::new("order_lines"))
                .add_column(ColumnDef::new(Alias::new("returned")).big_integer().not_null().default(0))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Alias::new("order_lines")).drop_column(Alias::new("returned")).to_owned())
            .await?;
        for t in ["return_lines", "returns"] {
            m.drop_table(Table::drop().table(Alias::new(t)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
