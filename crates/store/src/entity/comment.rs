use sea_orm::entity::prelude::*;

/// A comment on a customer or a deal.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "comments")]
pub struct Model {
    /// `customer` or `opportunity` (`comments::Subject`).
    pub subject_type: String,
    pub subject_id: i64,
    #[sea_orm(primary_key)]
    pub id: i64,
    pub author_id: i64,
    pub body: String,
    /// The mentioned users' ids, `,3,17,`.
    pub mentions: String,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
