use sea_orm::entity::prelude::*;

/// A purchase order (采购订单); `status` is the code of the domain's
/// `PurchaseStatus`, `total` the lines' amounts in minor units,
/// `expected_date` a day (`YYYY-MM-DD`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "purchase_orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub number: String,
    pub supplier_id: i64,
    pub status: String,
    pub expected_date: Option<String>,
    pub notes: String,
    pub total: i64,
    pub created_by: Option<i64>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
