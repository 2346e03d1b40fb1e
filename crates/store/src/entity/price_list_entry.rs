use sea_orm::entity::prelude::*;

/// A product's price for one customer or one customer grade, valid from
/// and to the given days (inclusive, `YYYY-MM-DD`; open when none).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "price_list_entries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub product_id: i64,
    pub customer_id: Option<i64>,
    pub grade: Option<String>,
    pub price: i64,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
