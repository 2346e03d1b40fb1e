use sea_orm::entity::prelude::*;

/// A lead (线索). Always owned; converted once into a customer and contact.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "leads")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The person.
    pub name: String,
    pub company: Option<String>,
    /// Normalised company name for duplicate checks.
    pub company_key: Option<String>,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub phone_key: Option<String>,
    pub mobile_key: Option<String>,
    pub email: Option<String>,
    pub email_key: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub source: Option<String>,
    pub campaign: Option<String>,
    /// `high|medium|low`; `None` when not assessed.
    pub intention: Option<String>,
    /// `new|contacted|qualified|disqualified`.
    pub status: String,
    pub owner_id: i64,
    pub notes: String,
    pub disqualify_reason: Option<String>,
    pub converted_customer_id: Option<i64>,
    pub converted_contact_id: Option<i64>,
    pub converted_at: Option<DateTimeUtc>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
