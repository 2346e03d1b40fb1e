use sea_orm::entity::prelude::*;

/// A browser session (`kind = "cookie"`) or a bearer token from
/// `POST /auth/login` (`kind = "bearer"`). Only the SHA-256 of the token
/// is stored, so a copy of the database opens no session.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub token_hash: String,
    pub kind: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
