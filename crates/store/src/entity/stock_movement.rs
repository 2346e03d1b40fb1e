use sea_orm::entity::prelude::*;

/// One change of a product's stock in a warehouse; `kind` is the code of
/// the domain's `MovementKind`, `balance_after` the warehouse's on hand
/// after it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_movements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub product_id: i64,
    pub warehouse_id: i64,
    pub kind: String,
    pub quantity: i64,
    pub balance_after: i64,
    pub source_type: Option<String>,
    pub source_id: Option<i64>,
    pub reason: String,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
