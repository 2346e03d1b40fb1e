use sea_orm::entity::prelude::*;

/// A bigram written by a bulk load, waiting to move into `search_grams`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "search_grams_pending")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub gram: String,
    pub kind: i16,
    pub entity_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
