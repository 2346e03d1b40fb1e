use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "approval_rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `salesflow_domain::approvals::DocumentType` code.
    pub document_type: String,
    pub min_amount: Option<i64>,
    /// Hundredths of a percent.
    pub min_discount: Option<i32>,
    pub over_credit_limit: bool,
    /// JSON list of steps: `{"role": "admin"}` or `{"manager": 1}`.
    pub steps: String,
    pub position: i32,
    pub active: bool,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
