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
    pub kind: SessionKind,
    pub user_id: i64,
    pub csrf_token: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

/// What a session is for; stored as the same words as before (`cookie`,
/// `bearer`), so the column is unchanged.
#[derive(Copy, Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum SessionKind {
    /// A browser session (the cookie, with a CSRF token).
    #[sea_orm(string_value = "cookie")]
    Cookie,
    /// A token from `POST /auth/login`, sent as `Authorization: Bearer`.
    #[sea_orm(string_value = "bearer")]
    Bearer,
}

impl SessionKind {
    pub fn code(self) -> &'static str {
        match self {
            SessionKind::Cookie => "cookie",
            SessionKind::Bearer => "bearer",
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
