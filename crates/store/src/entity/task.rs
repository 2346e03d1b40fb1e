use sea_orm::entity::prelude::*;

/// A sales task (销售任务) assigned to one person.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tasks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub title: String,
    pub description: String,
    pub assignee_id: i64,
    pub created_by: i64,
    /// The customer it concerns, directly or through a contact.
    pub customer_id: Option<i64>,
    /// `customer` or `contact`.
    pub related_kind: Option<String>,
    pub related_id: Option<i64>,
    pub start_at: Option<DateTimeUtc>,
    pub due_at: DateTimeUtc,
    /// 1 low … 4 urgent.
    pub priority: i32,
    /// `open|in_progress|done|cancelled`.
    pub status: String,
    pub completed_at: Option<DateTimeUtc>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
