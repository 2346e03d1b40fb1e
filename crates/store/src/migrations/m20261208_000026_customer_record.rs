//! A fuller customer record: phone, website and the unified social credit
//! code (统一社会信用代码) on customers; industry, source and customer type
//! become picklists an administrator edits (`picklist_entries`).
//!
//! The lists start with the shipped choices (`records::DEFAULT_CHOICES`).
//! A value customers already held that names a shipped choice (its code or
//! a label in either language) is rewritten to that choice's code; any
//! other value becomes a choice of its own, its code and Chinese label the
//! value as it was (the English label empty until an administrator types
//! one), so no customer loses what it had.

use salesflow_domain::records::{DEFAULT_CHOICES, Picklist};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, FromQueryResult};

use super::cols::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261208_000026_customer_record"
    }
}

#[derive(FromQueryResult)]
struct Value {
    value: String,
}

fn column(list: Picklist) -> &'static str {
    match list {
        Picklist::Industry => "industry",
        Picklist::Source => "source",
        Picklist::Kind => "kind",
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in ["phone", "website", "credit_code"] {
            m.alter_table(Table::alter().table(Alias::new("customers")).add_column(text_null(col)).to_owned()).await?;
        }
        m.create_index(index("customers", &["credit_code"], false).if_not_exists().to_owned()).await?;
        m.create_table(
            table("picklist_entries")
                .col(id())
                .col(text("list"))
                .col(text("code"))
                .col(text("label_zh"))
                .col(text("label_en"))
                .col(int("position"))
                .col(flag("active"))
                .col(version())
                .col(time("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("picklist_entries", &["list", "code"], true).if_not_exists().to_owned()).await?;

        let db = m.get_connection();
        let backend = m.get_database_backend();
        // The seed's time: when the installation was upgraded.
        let now = chrono::Utc::now();
        for list in Picklist::ALL {
            let shipped: Vec<_> = DEFAULT_CHOICES.iter().filter(|c| c.0 == list).collect();
            let mut position = 0;
            let mut insert = |code: &str, zh: &str, en: &str| {
                position += 1;
                Query::insert()
                    .into_table(Alias::new("picklist_entries"))
                    .columns(
                        ["list", "code", "label_zh", "label_en", "position", "active", "version", "updated_at"]
                            .map(Alias::new),
                    )
                    .values_panic([
                        list.code().into(),
                        code.into(),
                        zh.into(),
                        en.into(),
                        position.into(),
                        true.into(),
                        1i64.into(),
                        now.into(),
                    ])
                    .to_owned()
            };
            for (_, code, zh, en) in &shipped {
                db.execute(&insert(code, zh, en)).await?;
            }
            let col = column(list);
            let select = Query::select()
                .distinct()
                .expr_as(Expr::col(Alias::new(col)), Alias::new("value"))
                .from(Alias::new("customers"))
                .and_where(Expr::col(Alias::new(col)).is_not_null())
                .and_where(Expr::col(Alias::new(col)).ne(""))
                .to_owned();
            let mut values: Vec<String> =
                Value::find_by_statement(backend.build(&select)).all(db).await?.into_iter().map(|v| v.value).collect();
            values.sort();
            for value in values {
                let trimmed = value.trim();
                let same = |a: &str| a.eq_ignore_ascii_case(trimmed);
                let found = shipped.iter().find(|(_, code, zh, en)| same(code) || same(zh) || same(en));
                match found {
                    Some((_, code, _, _)) => {
                        if *code != value {
                            let update = Query::update()
                                .table(Alias::new("customers"))
                                .value(Alias::new(col), *code)
                                .and_where(Expr::col(Alias::new(col)).eq(value.as_str()))
                                .to_owned();
                            db.execute(&update).await?;
                        }
                    }
                    None => {
                        db.execute(&insert(&value, &value, "")).await?;
                    }
                }
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("picklist_entries")).if_exists().to_owned()).await?;
        m.drop_index(Index::drop().name("idx_customers_credit_code").table(Alias::new("customers")).to_owned()).await?;
        for col in ["phone", "website", "credit_code"] {
            m.alter_table(Table::alter().table(Alias::new("customers")).drop_column(Alias::new(col)).to_owned())
                .await?;
        }
        Ok(())
    }
}
