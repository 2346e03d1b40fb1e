use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "quote_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub quote_id: i64,
    /// The version the line belongs to.
    pub revision: i32,
    pub position: i32,
    pub product_id: i64,
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
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
