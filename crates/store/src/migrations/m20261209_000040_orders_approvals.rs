//! The approval engine and sales orders (issue 12 items 3 and 6).
//!
//! Approvals, one engine for every document type: `approval_rules` (what an
//! administrator configures: document type, conditions, steps as JSON),
//! `approval_requests` (one per submission of a document that needs
//! approval, with its steps copied from the rules at the time and the
//! current step's approver resolved: a user for a manager step, a role
//! code for a role step, so "my approvals" reads by index) and
//! `approval_decisions` (every decision with its comment).
//!
//! Sales orders: `orders` (number `SO-YYYY-NNNNNN`, unique), `order_lines`
//! (quantities in thousandths, prices in cents, what is reserved and
//! shipped per line), `shipments` and `shipment_lines`, and
//! `document_sequences` (one counter per prefix and year, taken under the
//! row's lock inside the creating transaction). The built-in roles of an
//! existing database get the new `orders` module.

use salesflow_domain::access::Module;
use sea_orm_migration::prelude::*;

use super::cols::{big, big_null, flag, id, index, int, long_text, table, text, text_null, time, time_null, version};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261209_000040_orders_approvals"
    }
}

fn int_null(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).integer().null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("approval_rules")
                .col(id())
                .col(text("document_type"))
                .col(big_null("min_amount"))
                .col(int_null("min_discount"))
                .col(flag("over_credit_limit"))
                // JSON: [{"role": "admin"}, {"manager": 1}, …]
                .col(long_text("steps"))
                .col(int("position"))
                .col(flag("active"))
                .col(version())
                .col(time("created_at"))
                .col(time("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("approval_rules", &["document_type", "position"], false).if_not_exists().to_owned())
            .await?;
        m.create_table(
            table("approval_requests")
                .col(id())
                .col(text("document_type"))
                .col(big("document_id"))
                .col(text("document_number"))
                .col(big_null("customer_id"))
                .col(text("customer_name"))
                .col(big("amount"))
                .col(big("requester_id"))
                .col(text("status"))
                .col(int("current_step"))
                // JSON, the steps as the rules said at submission.
                .col(long_text("steps"))
                .col(big_null("current_approver_id"))
                .col(text_null("current_role"))
                .col(version())
                .col(time("created_at"))
                .col(time("updated_at"))
                .col(time_null("decided_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            index("approval_requests", &["document_type", "document_id", "id"], false).if_not_exists().to_owned(),
        )
        .await?;
        m.create_index(
            index("approval_requests", &["status", "current_approver_id", "id"], false).if_not_exists().to_owned(),
        )
        .await?;
        m.create_index(index("approval_requests", &["status", "current_role", "id"], false).if_not_exists().to_owned())
            .await?;
        m.create_table(
            table("approval_decisions")
                .col(id())
                .col(big("request_id"))
                .col(int("step"))
                .col(big("decider_id"))
                .col(text("decision"))
                .col(long_text("comment"))
                .col(time("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("approval_decisions", &["request_id", "id"], false).if_not_exists().to_owned()).await?;

        m.create_table(
            table("document_sequences")
                .col(text("prefix"))
                .col(int("year"))
                .col(big("last"))
                .primary_key(Index::create().col(Alias::new("prefix")).col(Alias::new("year")))
                .to_owned(),
        )
        .await?;
        m.create_table(
            table("orders")
                .col(id())
                .col(text("number"))
                .col(big("customer_id"))
                .col(big_null("contact_id"))
                .col(big_null("opportunity_id"))
                .col(text("status"))
                .col(big_null("warehouse_id"))
                .col(long_text("delivery_address"))
                .col(ColumnDef::new(Alias::new("delivery_date")).date().null())
                .col(long_text("notes"))
                .col(big("gross"))
                .col(big("discount"))
                .col(big("net"))
                .col(big("tax"))
                .col(big("total"))
                .col(big("created_by"))
                .col(time_null("submitted_at"))
                .col(time_null("approved_at"))
                .col(version())
                .col(time("created_at"))
                .col(time("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("orders", &["number"], true).if_not_exists().to_owned()).await?;
        m.create_index(index("orders", &["customer_id", "id"], false).if_not_exists().to_owned()).await?;
        m.create_index(index("orders", &["status", "id"], false).if_not_exists().to_owned()).await?;
        m.create_index(index("orders", &["opportunity_id", "id"], false).if_not_exists().to_owned()).await?;
        m.create_index(index("orders", &["created_at", "id"], false).if_not_exists().to_owned()).await?;
        m.create_table(
            table("order_lines")
                .col(id())
                .col(big("order_id"))
                .col(int("position"))
                .col(big("product_id"))
                .col(big_null("warehouse_id"))
                .col(big("quantity"))
                .col(big("unit_price"))
                .col(int("discount_percent"))
                .col(int("tax_rate"))
                .col(big("gross"))
                .col(big("discount"))
                .col(big("net"))
                .col(big("tax"))
                .col(big("total"))
                .col(big("reserved"))
                .col(big("shipped"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("order_lines", &["order_id", "position"], false).if_not_exists().to_owned()).await?;
        m.create_index(index("order_lines", &["product_id"], false).if_not_exists().to_owned()).await?;
        m.create_table(
            table("shipments")
                .col(id())
                .col(big("order_id"))
                .col(text("carrier"))
                .col(text("tracking_number"))
                .col(big_null("created_by"))
                .col(time("shipped_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("shipments", &["order_id", "id"], false).if_not_exists().to_owned()).await?;
        m.create_table(
            table("shipment_lines")
                .col(id())
                .col(big("shipment_id"))
                .col(big("order_line_id"))
                .col(big("quantity"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("shipment_lines", &["shipment_id"], false).if_not_exists().to_owned()).await?;
        super::m20261127_000009_pipelines::grant_new_module(m, Module::Orders).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "shipment_lines",
            "shipments",
            "order_lines",
            "orders",
            "document_sequences",
            "approval_decisions",
            "approval_requests",
            "approval_rules",
        ] {
            m.drop_table(Table::drop().table(Alias::new(t)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
