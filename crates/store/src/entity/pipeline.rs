use sea_orm::entity::prelude::*;

/// A sales pipeline: ordered stages an opportunity moves through.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pipelines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `funnel` or `project` for the shipped ones.
    pub code: Option<String>,
    pub name: String,
    pub name_en: String,
    pub position: i32,
    pub retired_at: Option<DateTimeUtc>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
