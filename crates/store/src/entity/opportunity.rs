use sea_orm::entity::prelude::*;

/// A sales opportunity (销售机会) moving through a pipeline.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "opportunities")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub customer_id: i64,
    pub pipeline_id: i64,
    pub stage_id: i64,
    pub owner_id: i64,
    /// Minor units.
    pub amount: i64,
    pub currency: String,
    pub expected_close_date: Option<Date>,
    pub probability: i32,
    /// Set when the probability is overridden.
    pub probability_reason: Option<String>,
    pub source: Option<String>,
    pub campaign: Option<String>,
    pub competitors: String,
    pub product_lines: String,
    pub next_step: String,
    pub notes: String,
    /// `open|won|lost`.
    pub status: String,
    pub lost_reason_id: Option<i64>,
    pub lost_note: Option<String>,
    pub closed_at: Option<DateTimeUtc>,
    pub stage_entered_at: DateTimeUtc,
    pub last_activity_at: DateTimeUtc,
    pub lead_id: Option<i64>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
