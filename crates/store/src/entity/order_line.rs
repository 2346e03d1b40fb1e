use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_id: i64,
    pub position: i32,
    pub product_id: i64,
    pub warehouse_id: Option<i64>,
    /// Thousandths of the product's unit.
    pub quantity: i64,
    pub unit_price: i64,
    /// Hundredths of a percent.
    pub discount_percent: i32,
    pub tax_rate: i32,
    pub gross: i64,
    pub discount: i64,
    pub net: i64,
    pub tax: i64,
    pub total: i64,
    /// Thousandths reserved now (approved, not yet shipped).
    pub reserved: i64,
    pub shipped: i64,
    /// Thousandths taken by returns that are not cancelled (at most `shipped`).
    pub returned: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
