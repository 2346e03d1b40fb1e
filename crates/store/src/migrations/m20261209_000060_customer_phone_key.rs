//! 撞单 also by a customer's own phone: the phone's key (its digits
//! without +86, `customers::phone_key`, as contacts and leads keep theirs)
//! beside the phone, indexed for the clash check, filled for the customers
//! that already have a phone.

use salesflow_domain::customers::phone_key;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, FromQueryResult};

use super::cols::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261209_000060_customer_phone_key"
    }
}

#[derive(FromQueryResult)]
struct Phone {
    id: i64,
    phone: String,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Alias::new("customers")).add_column(text_null("phone_key")).to_owned())
            .await?;
        m.create_index(index("customers", &["phone_key"], false).if_not_exists().to_owned()).await?;
        let db = m.get_connection();
        let backend = m.get_database_backend();
        let select = Query::select()
            .columns([Alias::new("id"), Alias::new("phone")])
            .from(Alias::new("customers"))
            .and_where(Expr::col(Alias::new("phone")).is_not_null())
            .to_owned();
        for row in Phone::find_by_statement(backend.build(&select)).all(db).await? {
            let Some(key) = phone_key(&row.phone) else { continue };
            let update = Query::update()
                .table(Alias::new("customers"))
                .value(Alias::new("phone_key"), key)
                .and_where(Expr::col(Alias::new("id")).eq(row.id))
                .to_owned();
            db.execute(&update).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("idx_customers_phone_key").table(Alias::new("customers")).to_owned()).await?;
        m.alter_table(Table::alter().table(Alias::new("customers")).drop_column(Alias::new("phone_key")).to_owned())
            .await?;
        Ok(())
    }
}
