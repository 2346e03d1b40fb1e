use sea_orm::entity::prelude::*;

/// A request to hand a customer over, sent to its owner's manager (撞单).
/// Unique per requester, customer and day.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "handover_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub requester_id: i64,
    pub customer_id: i64,
    pub owner_id: i64,
    /// `YYYY-MM-DD` in the company's time zone.
    pub day: String,
    pub message: String,
    pub notified_user_id: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
