use sea_orm::entity::prelude::*;

/// A stage with its win probability and the seed's guidance texts.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pipeline_stages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub pipeline_id: i64,
    pub position: i32,
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub probability: i32,
    pub expected_days: Option<i32>,
    pub success_criteria: String,
    pub success_criteria_en: String,
    pub milestone: String,
    pub milestone_en: String,
    pub input: String,
    pub input_en: String,
    pub output: String,
    pub output_en: String,
    pub retired_at: Option<DateTimeUtc>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
