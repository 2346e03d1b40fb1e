use sea_orm::entity::prelude::*;

/// One line of a purchase order: quantity and received in thousandths of
/// the product's unit, unit cost and amount in minor units.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "purchase_order_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub purchase_order_id: i64,
    pub position: i64,
    pub product_id: i64,
    pub quantity: i64,
    pub received: i64,
    pub unit_cost: i64,
    pub amount: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
