//! Contracts (issue 12 item 5): `contracts` (number `CT-YYYY-NNNNNN`,
//! unique, from the per-year `document_sequences` counter; the customer,
//! an optional deal and order — a quote link comes with quotes, as a
//! column of its own then; title, amount in minor units, terms, the dates
//! it runs between and was signed, its status, its revision, when its
//! owner was reminded of its end) and `contract_versions` (the text of each
//! earlier revision, kept when a signed contract is amended). The company
//! settings get `contract_reminder_days` (how many days before the end the
//! owner hears of it). The built-in roles get the new `contracts` module.

use salesflow_domain::access::Module;
use sea_orm_migration::prelude::*;

use super::cols::{big, big_null, id, index, int, long_text, table, text, time, time_null, version};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261210_000091_contracts"
    }
}

fn date_null(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).date().null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("contracts")
                .col(id())
                .col(text("number"))
                .col(big("customer_id"))
                .col(big_null("opportunity_id"))
                .col(big_null("order_id"))
                .col(big("owner_id"))
                .col(text("title"))
                .col(big("amount"))
                .col(long_text("terms"))
                .col(date_null("start_date"))
                .col(date_null("end_date"))
                .col(date_null("signed_date"))
                .col(text("status"))
                .col(int("revision"))
                .col(long_text("termination_reason"))
                .col(time_null("reminded_at"))
                .col(big("created_by"))
                .col(version())
                .col(time("created_at"))
                .col(time("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("contracts", &["number"], true).if_not_exists().to_owned()).await?;
        m.create_index(index("contracts", &["customer_id", "id"], false).if_not_exists().to_owned()).await?;
        m.create_index(index("contracts", &["opportunity_id", "id"], false).if_not_exists().to_owned()).await?;
        m.create_index(index("contracts", &["owner_id", "id"], false).if_not_exists().to_owned()).await?;
        m.create_index(index("contracts", &["status", "id"], false).if_not_exists().to_owned()).await?;
        // "Expiring within 30 days" and the reminder job read by end date.
        m.create_index(index("contracts", &["status", "end_date"], false).if_not_exists().to_owned()).await?;
        m.create_table(
            table("contract_versions")
                .col(id())
                .col(big("contract_id"))
                .col(int("revision"))
                .col(text("title"))
                .col(big("amount"))
                .col(long_text("terms"))
                .col(date_null("start_date"))
                .col(date_null("end_date"))
                .col(date_null("signed_date"))
                .col(big_null("opportunity_id"))
                .col(big_null("order_id"))
                .col(big("changed_by"))
                .col(time("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("contract_versions", &["contract_id", "revision"], true).if_not_exists().to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table(Alias::new("company_settings"))
                .add_column(ColumnDef::new(Alias::new("contract_reminder_days")).integer().not_null().default(30))
                .to_owned(),
        )
        .await?;
        super::m20261127_000009_pipelines::grant_new_module(m, Module::Contracts).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Alias::new("company_settings"))
                .drop_column(Alias::new("contract_reminder_days"))
                .to_owned(),
        )
        .await?;
        for t in ["contract_versions", "contracts"] {
            m.drop_table(Table::drop().table(Alias::new(t)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
