//! Access, sessions, audit, settings, throttling, outbox, idempotency, job leases.

use sea_orm_migration::prelude::*;

use super::cols::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261127_000001_foundation"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("departments")
                .col(id())
                .col(text("name"))
                .col(big_null("parent_id"))
                .col(big_null("manager_id"))
                .col(version())
                .col(time("created_at"))
                .col(time("updated_at"))
                .col(time_null("deleted_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("departments", &["parent_id"], false)).await?;

        m.create_table(
            table("roles")
                .col(id())
                .col(text("code"))
                .col(text("name"))
                .col(text("data_scope"))
                .col(long_text("permissions"))
                .col(flag("built_in"))
                .col(version())
                .col(time("created_at"))
                .col(time("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("roles", &["code"], true)).await?;

        m.create_table(
            table("users")
                .col(id())
                .col(text("username"))
                .col(text("username_key"))
                .col(text("email"))
                .col(text("email_key"))
                .col(text("display_name"))
                .col(text("password_hash"))
                .col(big("role_id"))
                .col(big_null("department_id"))
                .col(text_null("locale"))
                .col(flag("active"))
                .col(version())
                .col(time("created_at"))
                .col(time("updated_at"))
                .col(time_null("last_login_at"))
                .col(time_null("deleted_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from(Alias::new("users"), Alias::new("role_id"))
                        .to(Alias::new("roles"), Alias::new("id")),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Alias::new("users"), Alias::new("department_id"))
                        .to(Alias::new("departments"), Alias::new("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index("users", &["username_key"], true)).await?;
        m.create_index(index("users", &["email_key"], true)).await?;
        m.create_index(index("users", &["department_id"], false)).await?;
        m.create_index(index("users", &["role_id"], false)).await?;
        m.create_index(index("users", &["display_name", "id"], false)).await?;
        m.create_index(index("users", &["created_at", "id"], false)).await?;
        m.create_index(index("users", &["updated_at", "id"], false)).await?;

        m.create_table(
            table("sessions")
                .col(id())
                .col(text("token_hash"))
                .col(text("kind"))
                .col(big("user_id"))
                .col(text("csrf_token"))
                .col(text_null("ip"))
                .col(text_null("user_agent"))
                .col(time("created_at"))
                .col(time("last_seen_at"))
                .col(time("expires_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from(Alias::new("sessions"), Alias::new("user_id"))
                        .to(Alias::new("users"), Alias::new("id"))
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index("sessions", &["token_hash"], true)).await?;
        m.create_index(index("sessions", &["user_id"], false)).await?;
        m.create_index(index("sessions", &["expires_at"], false)).await?;

        m.create_table(
            table("api_tokens")
                .col(id())
                .col(text("name"))
                .col(text("token_hash"))
                .col(text("prefix"))
                .col(big("user_id"))
                .col(big("created_by"))
                .col(time("created_at"))
                .col(time_null("last_used_at"))
                .col(time_null("revoked_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from(Alias::new("api_tokens"), Alias::new("user_id"))
                        .to(Alias::new("users"), Alias::new("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index("api_tokens", &["token_hash"], true)).await?;
        m.create_index(index("api_tokens", &["user_id"], false)).await?;

        m.create_table(
            table("audit_log")
                .col(id())
                .col(time("at"))
                .col(big_null("actor_id"))
                .col(text("actor_name"))
                .col(text("action"))
                .col(text("entity_type"))
                .col(big_null("entity_id"))
                .col(long_text_null("before"))
                .col(long_text_null("after"))
                .col(text_null("ip"))
                .col(text_null("request_id"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("audit_log", &["actor_id", "id"], false)).await?;
        m.create_index(index("audit_log", &["entity_type", "entity_id", "id"], false)).await?;
        m.create_index(index("audit_log", &["action", "id"], false)).await?;
        m.create_index(index("audit_log", &["at"], false)).await?;

        m.create_table(
            table("company_settings")
                .col(ColumnDef::new(Alias::new("id")).big_integer().not_null().primary_key())
                .col(text("company_name"))
                .col(text("currency"))
                .col(text("currency_symbol"))
                .col(text("date_format"))
                .col(text("time_zone"))
                .col(int("fiscal_year_start_month"))
                .col(text("default_locale"))
                .col(version())
                .col(time("updated_at"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            table("login_attempts")
                .col(id())
                .col(text("username_key"))
                .col(text("ip"))
                .col(flag("success"))
                .col(time("at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("login_attempts", &["username_key", "at"], false)).await?;
        m.create_index(index("login_attempts", &["ip", "at"], false)).await?;

        m.create_table(
            table("password_resets")
                .col(id())
                .col(big("user_id"))
                .col(text("token_hash"))
                .col(time("created_at"))
                .col(time("expires_at"))
                .col(time_null("used_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from(Alias::new("password_resets"), Alias::new("user_id"))
                        .to(Alias::new("users"), Alias::new("id"))
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index("password_resets", &["token_hash"], true)).await?;

        m.create_table(
            table("outbox")
                .col(id())
                .col(text("to_address"))
                .col(text("subject"))
                .col(long_text("body"))
                .col(time("created_at"))
                .col(time_null("sent_at"))
                .col(long_text_null("error"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            table("idempotency_keys")
                .col(id())
                .col(big("user_id"))
                .col(text("key"))
                .col(text("request_path"))
                .col(int("status"))
                .col(long_text("body"))
                .col(time("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("idempotency_keys", &["user_id", "key"], true)).await?;
        m.create_index(index("idempotency_keys", &["created_at"], false)).await?;

        m.create_table(
            table("job_leases")
                .col(ColumnDef::new(Alias::new("name")).string().not_null().primary_key())
                .col(text("holder"))
                .col(time("expires_at"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "job_leases",
            "idempotency_keys",
            "outbox",
            "password_resets",
            "login_attempts",
            "company_settings",
            "audit_log",
            "api_tokens",
            "sessions",
            "users",
            "roles",
            "departments",
        ] {
            m.drop_table(Table::drop().table(Alias::new(t)).to_owned()).await?;
        }
        Ok(())
    }
}
