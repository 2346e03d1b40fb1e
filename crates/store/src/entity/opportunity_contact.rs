use sea_orm::entity::prelude::*;

/// A contact taking part in a deal, with their role in it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "opportunity_contacts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub opportunity_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub contact_id: i64,
    pub role: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
