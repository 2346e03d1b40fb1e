use sea_orm::entity::prelude::*;

/// An invoice (发票) issued against a sales order; voided, never deleted.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_id: i64,
    pub customer_id: i64,
    /// The invoice's own number (发票号码), unique.
    pub number: String,
    /// `salesflow_domain::finance::InvoiceType` code.
    pub invoice_type: String,
    pub issued_on: Date,
    pub amount: i64,
    pub note: String,
    /// `issued` or `void`.
    pub status: String,
    pub voided_at: Option<DateTimeUtc>,
    pub voided_by: Option<i64>,
    pub void_reason: String,
    pub created_by: Option<i64>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
