use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "activities")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub customer_id: i64,
    pub contact_id: Option<i64>,
    pub kind: String,
    pub subject: String,
    pub occurred_at: DateTimeUtc,
    pub participants: Option<String>,
    pub outcome: String,
    pub next_step: Option<String>,
    pub next_at: Option<DateTimeUtc>,
    /// The prospect's intention level noted at a visit: `high|medium|low`.
    pub intention: Option<String>,
    /// The opportunity it was recorded for, if any.
    pub opportunity_id: Option<i64>,
    /// Who recorded it.
    pub owner_id: i64,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
