use sea_orm::entity::prelude::*;

/// A product of the catalogue. Money in minor units, the tax rate in
/// hundredths of a percent, quantities in thousandths of the unit.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "products")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub code: String,
    pub name: String,
    pub category_id: Option<i64>,
    pub specification: String,
    pub unit: String,
    pub list_price: i64,
    pub cost: i64,
    pub tax_rate: i32,
    pub active: bool,
    pub reorder_point: i64,
    pub safety_stock: i64,
    /// Where the product is usually bought (drafts from the low-stock list).
    pub default_supplier_id: Option<i64>,
    /// A service (installation, training): no stock, nothing reserved or
    /// issued for it.
    pub service: bool,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
