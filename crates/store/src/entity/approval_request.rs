use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "approval_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub document_type: String,
    pub document_id: i64,
    pub document_number: String,
    pub customer_id: Option<i64>,
    pub customer_name: String,
    pub amount: i64,
    pub requester_id: i64,
    /// `salesflow_domain::approvals::ApprovalStatus` code.
    pub status: String,
    /// 0-based.
    pub current_step: i32,
    /// JSON, as in `approval_rules.steps`.
    pub steps: String,
    pub current_approver_id: Option<i64>,
    pub current_role: Option<String>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub decided_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
