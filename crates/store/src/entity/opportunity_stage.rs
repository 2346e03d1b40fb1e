use sea_orm::entity::prelude::*;

/// One stay of an opportunity in a stage (funnel analysis).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "opportunity_stages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub opportunity_id: i64,
    pub pipeline_id: i64,
    pub stage_id: i64,
    pub owner_id: i64,
    pub amount: i64,
    pub entered_at: DateTimeUtc,
    pub left_at: Option<DateTimeUtc>,
    pub entered_by: Option<i64>,
    pub passed: bool,
    pub override_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
