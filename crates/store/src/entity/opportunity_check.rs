use sea_orm::entity::prelude::*;

/// A ticked checklist item of an opportunity.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "opportunity_checks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub opportunity_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub item_id: i64,
    pub done_by: Option<i64>,
    pub done_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
