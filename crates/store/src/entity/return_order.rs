use sea_orm::entity::prelude::*;

/// A return order (退货单), `RT-YYYY-NNNNNN`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "returns")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub number: String,
    pub order_id: i64,
    /// The order's customer (for the data scope).
    pub customer_id: i64,
    /// Where the goods go back in.
    pub warehouse_id: i64,
    /// `draft`, `received`, `completed`, `cancelled` (the domain's `ReturnStatus`).
    pub status: String,
    pub reason: String,
    /// Minor units: the lines' refunds added up.
    pub refund: i64,
    pub created_by: i64,
    pub received_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
