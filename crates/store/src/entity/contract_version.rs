use chrono::NaiveDate;
use sea_orm::entity::prelude::*;

/// The text of an earlier revision of a contract, kept when it was amended.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contract_versions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub contract_id: i64,
    pub revision: i32,
    pub title: String,
    pub amount: i64,
    pub terms: String,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub signed_date: Option<NaiveDate>,
    pub opportunity_id: Option<i64>,
    pub order_id: Option<i64>,
    /// Who replaced this text by the next one.
    pub changed_by: i64,
    /// When it was replaced.
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
