use sea_orm::entity::prelude::*;

/// A deposit or payment received against a sales order; reversed, never deleted.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_id: i64,
    /// The order's customer (the data scope and the customer's page).
    pub customer_id: i64,
    /// `salesflow_domain::finance::PaymentKind` code.
    pub kind: String,
    pub received_on: Date,
    pub amount: i64,
    /// `salesflow_domain::finance::PaymentMethod` code.
    pub method: String,
    pub reference: String,
    pub note: String,
    /// `recorded` or `reversed`.
    pub status: String,
    pub reversed_at: Option<DateTimeUtc>,
    pub reversed_by: Option<i64>,
    pub reversal_reason: String,
    pub created_by: Option<i64>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
