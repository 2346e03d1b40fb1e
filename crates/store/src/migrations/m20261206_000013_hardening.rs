//! Limits that hold under concurrency (issue 9):
//! - `login_attempts.user_id`: sign-in throttling counts per account, so
//!   the username and the e-mail address share one count;
//! - `idempotency_keys.request_hash`: a key reused with another request is
//!   refused instead of answered with the first response;
//! - `pool_claims`: every claim from the public pool, kept when the
//!   customer is released again, so the daily claim limit counts claims
//!   rather than customers held now.

use sea_orm_migration::prelude::*;

use super::cols::{big, big_null, id, index, table, time};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000013_hardening"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Alias::new("login_attempts")).add_column(big_null("user_id")).to_owned())
            .await?;
        m.create_index(index("login_attempts", &["user_id", "at"], false)).await?;
        m.alter_table(
            Table::alter()
                .table(Alias::new("idempotency_keys"))
                .add_column(ColumnDef::new(Alias::new("request_hash")).string().not_null().default(""))
                .to_owned(),
        )
        .await?;

        m.create_table(
            table("pool_claims")
                .col(id())
                .col(big("user_id"))
                .col(big("customer_id"))
                .col(time("claimed_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from(Alias::new("pool_claims"), Alias::new("user_id"))
                        .to(Alias::new("users"), Alias::new("id"))
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index("pool_claims", &["user_id", "claimed_at"], false)).await?;
        // Claims made before this migration still count today.
        m.get_connection()
            .execute_unprepared(
                "INSERT INTO pool_claims (user_id, customer_id, claimed_at) \
                 SELECT owner_id, id, claimed_at FROM customers \
                 WHERE owner_id IS NOT NULL AND claimed_at IS NOT NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("pool_claims")).to_owned()).await?;
        m.alter_table(
            Table::alter().table(Alias::new("idempotency_keys")).drop_column(Alias::new("request_hash")).to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop().name("idx_login_attempts_user_id_at").table(Alias::new("login_attempts")).to_owned(),
        )
        .await?;
        m.alter_table(Table::alter().table(Alias::new("login_attempts")).drop_column(Alias::new("user_id")).to_owned())
            .await?;
        Ok(())
    }
}
