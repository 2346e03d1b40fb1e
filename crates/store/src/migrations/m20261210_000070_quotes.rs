//! Quotes (报价, issue 12 item 4).
//!
//! `quotes`: the quote as it stands now (number `QT-YYYY-NNNNNN` from the
//! same per-year `document_sequences` as orders, unique; customer, contact,
//! opportunity, status, the current version's number `revision`, validity,
//! notes and terms, totals in cents, the sales order an accepted quote
//! made). `quote_revisions`: every version's own header (validity, notes,
//! terms, totals, when it was sent), one row per quote and version number;
//! `quote_lines`: every version's lines. Editing a sent quote adds a
//! version; the older ones are never changed. The built-in roles of an
//! existing database get the new `quotes` module.

use salesflow_domain::access::Module;
use sea_orm_migration::prelude::*;

use super::cols::{big, big_null, id, index, int, long_text, table, text, time, time_null, version};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261210_000070_quotes"
    }
}

fn date(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).date().not_null().to_owned()
}

fn amounts(t: &mut TableCreateStatement) {
    for c in ["gross", "discount", "net", "tax", "total"] {
        t.col(big(c));
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut quotes = table("quotes");
        quotes
            .col(id())
            .col(text("number"))
            .col(big("customer_id"))
            .col(big_null("contact_id"))
            .col(big_null("opportunity_id"))
            .col(text("status"))
            .col(int("revision"))
            .col(date("valid_until"))
            .col(long_text("notes"))
            .col(long_text("terms"));
        amounts(&mut quotes);
        quotes
            .col(big("created_by"))
            .col(time_null("sent_at"))
            .col(time_null("decided_at"))
            .col(big_null("order_id"))
            .col(version())
            .col(time("created_at"))
            .col(time("updated_at"))
            .col(time_null("deleted_at"));
        m.create_table(quotes.to_owned()).await?;
        m.create_index(index("quotes", &["number"], true).if_not_exists().to_owned()).await?;
        for cols in [
            &["customer_id", "id"][..],
            &["opportunity_id", "id"],
            &["status", "id"],
            &["created_at", "id"],
            &["order_id"],
        ] {
            m.create_index(index("quotes", cols, false).if_not_exists().to_owned()).await?;
        }
        let mut revisions = table("quote_revisions");
        revisions
            .col(id())
            .col(big("quote_id"))
            .col(int("revision"))
            .col(big_null("contact_id"))
            .col(date("valid_until"))
            .col(long_text("notes"))
            .col(long_text("terms"));
        amounts(&mut revisions);
        revisions.col(big("created_by")).col(time("created_at")).col(time_null("sent_at"));
        m.create_table(revisions.to_owned()).await?;
        m.create_index(index("quote_revisions", &["quote_id", "revision"], true).if_not_exists().to_owned()).await?;
        let mut lines = table("quote_lines");
        lines
            .col(id())
            .col(big("quote_id"))
            .col(int("revision"))
            .col(int("position"))
            .col(big("product_id"))
            .col(big("quantity"))
            .col(big("unit_price"))
            .col(int("discount_percent"))
            .col(int("tax_rate"));
        amounts(&mut lines);
        m.create_table(lines.to_owned()).await?;
        m.create_index(index("quote_lines", &["quote_id", "revision", "position"], false).if_not_exists().to_owned())
            .await?;
        m.create_index(index("quote_lines", &["product_id"], false).if_not_exists().to_owned()).await?;
        super::m20261127_000009_pipelines::grant_new_module(m, Module::Quotes).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["quote_lines", "quote_revisions", "quotes"] {
            m.drop_table(Table::drop().table(Alias::new(t)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
