use sea_orm::entity::prelude::*;

/// A checklist entry of a stage: a task or a qualifying condition.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stage_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub stage_id: i64,
    pub position: i32,
    /// `task|condition`.
    pub kind: String,
    pub text: String,
    pub text_en: String,
    pub required: bool,
    pub retired_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
