use sea_orm::entity::prelude::*;

/// A change of stage, probability, amount, owner, close date or status.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "opportunity_changes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub opportunity_id: i64,
    pub field: String,
    /// The value before, as a code or number (a stage: its code, e.g. `S2`);
    /// the reader's language renders it.
    pub from_value: Option<String>,
    pub to_value: Option<String>,
    /// A stage change: the stages left and entered (their names are
    /// rendered in the reader's language).
    pub from_stage_id: Option<i64>,
    pub to_stage_id: Option<i64>,
    pub reason: Option<String>,
    pub user_id: Option<i64>,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
