use sea_orm::entity::prelude::*;

/// One version of a quote as it was (the current one kept in step).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "quote_revisions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub quote_id: i64,
    pub revision: i32,
    pub contact_id: Option<i64>,
    pub valid_until: Date,
    pub notes: String,
    pub terms: String,
    pub gross: i64,
    pub discount: i64,
    pub net: i64,
    pub tax: i64,
    pub total: i64,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
