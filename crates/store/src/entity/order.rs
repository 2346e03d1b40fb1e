use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub number: String,
    pub customer_id: i64,
    pub contact_id: Option<i64>,
    pub opportunity_id: Option<i64>,
    /// `salesflow_domain::orders::OrderStatus` code.
    pub status: String,
    /// The default warehouse of lines that name none.
    pub warehouse_id: Option<i64>,
    pub delivery_address: String,
    pub delivery_date: Option<Date>,
    pub notes: String,
    pub gross: i64,
    pub discount: i64,
    pub net: i64,
    pub tax: i64,
    pub total: i64,
    pub created_by: i64,
    pub submitted_at: Option<DateTimeUtc>,
    pub approved_at: Option<DateTimeUtc>,
    pub version: i64,
    /// Paid so far (payments less reversals), in cents.
    pub paid: i64,
    /// Invoiced so far (issued, not void).
    pub invoiced: i64,
    /// The collection plan's instalments added up.
    pub planned: i64,
    /// What is owed now: total less paid once approved; zero before
    /// approval and after a cancellation (the open-receivables index).
    pub receivable: i64,
    /// The day the order became receivable (its approval, company time).
    pub receivable_since: Option<Date>,
    /// Bumped by every change of the collection plan (409 on a stale one).
    pub plan_version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
