use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "company_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub company_name: String,
    pub currency: String,
    pub currency_symbol: String,
    pub date_format: String,
    pub time_zone: String,
    pub fiscal_year_start_month: i32,
    pub default_locale: String,
    pub version: i64,
    pub updated_at: DateTimeUtc,
    pub pool_return_days: i32,
    pub pool_claim_limit: i32,
    pub short_amounts: bool,
    pub allow_negative_stock: bool,
    pub contract_reminder_days: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
