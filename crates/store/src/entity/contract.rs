use chrono::NaiveDate;
use sea_orm::entity::prelude::*;

/// A contract (合同), `CT-YYYY-NNNNNN`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contracts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub number: String,
    pub customer_id: i64,
    pub opportunity_id: Option<i64>,
    pub order_id: Option<i64>,
    /// Who is responsible for it (reminded before its end).
    pub owner_id: i64,
    pub title: String,
    /// Minor units.
    pub amount: i64,
    pub terms: String,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub signed_date: Option<NaiveDate>,
    /// The domain's `ContractStatus` code.
    pub status: String,
    /// 1 for the first text; each amendment adds one.
    pub revision: i32,
    pub termination_reason: String,
    /// When the owner heard that it ends soon (once per contract).
    pub reminded_at: Option<DateTimeUtc>,
    pub created_by: i64,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
