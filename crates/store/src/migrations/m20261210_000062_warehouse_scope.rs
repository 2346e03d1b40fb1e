//! The warehouse ships every department's orders: its built-in role sees
//! the whole company (new databases get it from `built_in_roles()`); a
//! role an administrator changed keeps its scope.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261210_000062_warehouse_scope"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let update = Query::update()
            .table(Alias::new("roles"))
            .value(Alias::new("data_scope"), "all")
            .and_where(Expr::col(Alias::new("code")).eq("warehouse"))
            .and_where(Expr::col(Alias::new("built_in")).eq(true))
            .and_where(Expr::col(Alias::new("data_scope")).eq("team"))
            .to_owned();
        m.get_connection().execute(&update).await?;
        Ok(())
    }

    async fn down(&self, _: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}
