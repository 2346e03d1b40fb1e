use sea_orm::entity::prelude::*;

/// One dated instalment of an order's collection plan (回款计划).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "collection_instalments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_id: i64,
    /// Its place in due order, from 0.
    pub position: i32,
    pub due_date: Date,
    pub amount: i64,
    /// This amount plus every earlier instalment's (in due order).
    pub running: i64,
    /// When the overdue reminder went out (once per instalment).
    pub reminded_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
