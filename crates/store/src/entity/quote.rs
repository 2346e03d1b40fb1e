use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "quotes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub number: String,
    pub customer_id: i64,
    pub contact_id: Option<i64>,
    pub opportunity_id: Option<i64>,
    /// `salesflow_domain::quotes::QuoteStatus` code (never `expired`).
    pub status: String,
    /// The current version's number (1, 2, …).
    pub revision: i32,
    pub valid_until: Date,
    pub notes: String,
    pub terms: String,
    pub gross: i64,
    pub discount: i64,
    pub net: i64,
    pub tax: i64,
    pub total: i64,
    pub created_by: i64,
    pub sent_at: Option<DateTimeUtc>,
    /// When the customer accepted or rejected it.
    pub decided_at: Option<DateTimeUtc>,
    /// The sales order accepting it made.
    pub order_id: Option<i64>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
