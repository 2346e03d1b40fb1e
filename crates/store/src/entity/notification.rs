use sea_orm::entity::prelude::*;

/// An in-app reminder or notice for one user, shown from `due_at` on.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub kind: String,
    pub title: String,
    pub link: Option<String>,
    pub due_at: DateTimeUtc,
    pub read_at: Option<DateTimeUtc>,
    /// When the reminder went out by e-mail (only with SMTP configured).
    pub emailed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
