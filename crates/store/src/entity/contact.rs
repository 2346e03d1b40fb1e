use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contacts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub customer_id: i64,
    pub name: String,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub phone_key: Option<String>,
    pub mobile_key: Option<String>,
    pub email: Option<String>,
    pub email_key: Option<String>,
    pub role: String,
    pub notes: String,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
