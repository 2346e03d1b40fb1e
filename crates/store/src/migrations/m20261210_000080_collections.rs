//! Money owed on sales orders (issue 12 item 7): `payments` (deposits and
//! payments, reversed but never deleted), `invoices` (issued or void),
//! `collection_instalments` (a plan's dated instalments with their running
//! total in due order and when the overdue reminder went out), and on
//! `orders` what was paid, invoiced and planned, what is receivable now
//! (`receivable`: total less paid once the order is approved, zero before
//! and after a cancellation), the day it became receivable and the plan's
//! version. The open orders' partial index (`receivable > 0`) carries what
//! the receivables' aging reads, so that the aging of every customer reads
//! only the orders that still owe something. The built-in roles of an
//! existing database get the new `finance` module.

use salesflow_domain::access::Module;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

use super::cols::{big, big_null, id, index, int, long_text, table, text, time, time_null, version};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261210_000080_collections"
    }
}

fn date(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).date().not_null().to_owned()
}

fn zero(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).big_integer().not_null().default(0).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("payments")
                .col(id())
                .col(big("order_id"))
                .col(big("customer_id"))
                .col(text("kind"))
                .col(date("received_on"))
                .col(big("amount"))
                .col(text("method"))
                .col(text("reference"))
                .col(long_text("note"))
                .col(text("status"))
                .col(time_null("reversed_at"))
                .col(big_null("reversed_by"))
                .col(long_text("reversal_reason"))
                .col(big_null("created_by"))
                .col(version())
                .col(time("created_at"))
                .col(time("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("payments", &["order_id", "id"], false).if_not_exists().to_owned()).await?;
        m.create_index(index("payments", &["customer_id", "id"], false).if_not_exists().to_owned()).await?;
        m.create_table(
            table("invoices")
                .col(id())
                .col(big("order_id"))
                .col(big("customer_id"))
                .col(text("number"))
                .col(text("invoice_type"))
                .col(date("issued_on"))
                .col(big("amount"))
                .col(long_text("note"))
                .col(text("status"))
                .col(time_null("voided_at"))
                .col(big_null("voided_by"))
                .col(long_text("void_reason"))
                .col(big_null("created_by"))
                .col(version())
                .col(time("created_at"))
                .col(time("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("invoices", &["number"], true).if_not_exists().to_owned()).await?;
        m.create_index(index("invoices", &["order_id", "id"], false).if_not_exists().to_owned()).await?;
        m.create_index(index("invoices", &["customer_id", "id"], false).if_not_exists().to_owned()).await?;
        m.create_table(
            table("collection_instalments")
                .col(id())
                .col(big("order_id"))
                .col(int("position"))
                .col(date("due_date"))
                .col(big("amount"))
                .col(big("running"))
                .col(time_null("reminded_at"))
                .col(time("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("collection_instalments", &["order_id", "due_date", "running"], false).if_not_exists().to_owned(),
        )
        .await?;
        for column in [zero("paid"), zero("invoiced"), zero("planned"), zero("receivable"), plan_version()] {
            m.alter_table(Table::alter().table(Alias::new("orders")).add_column(column).to_owned()).await?;
        }
        m.alter_table(
            Table::alter()
                .table(Alias::new("orders"))
                .add_column(ColumnDef::new(Alias::new("receivable_since")).date().null())
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        // Orders approved before this migration owe their whole total from
        // their approval day (the UTC day: close enough for the aging).
        let day = match m.get_database_backend() {
            DatabaseBackend::Postgres => "CAST(approved_at AT TIME ZONE 'UTC' AS DATE)",
            _ => "date(approved_at)",
        };
        db.execute_unprepared(&format!(
            "UPDATE orders SET receivable = total, receivable_since = {day} \
             WHERE status IN ('approved', 'partially_shipped', 'shipped', 'completed') AND approved_at IS NOT NULL"
        ))
        .await?;
        // The aging reads only open orders, from this index alone.
        db.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS idx_orders_open_receivables ON orders \
             (customer_id, receivable_since, receivable, planned, paid, total, id) WHERE receivable > 0",
        )
        .await?;
        super::m20261127_000009_pipelines::grant_new_module(m, Module::Finance).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection().execute_unprepared("DROP INDEX IF EXISTS idx_orders_open_receivables").await?;
        for column in ["paid", "invoiced", "planned", "receivable", "plan_version", "receivable_since"] {
            m.alter_table(Table::alter().table(Alias::new("orders")).drop_column(Alias::new(column)).to_owned())
                .await?;
        }
        for t in ["collection_instalments", "invoices", "payments"] {
            m.drop_table(Table::drop().table(Alias::new(t)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}

fn plan_version() -> ColumnDef {
    ColumnDef::new(Alias::new("plan_version")).big_integer().not_null().default(1).to_owned()
}
