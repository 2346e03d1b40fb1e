use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_keys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Who asked (user id), so keys of different callers never collide.
    pub user_id: i64,
    pub key: String,
    pub request_path: String,
    /// 0 while the first request is still running.
    pub status: i32,
    pub body: String,
    pub created_at: DateTimeUtc,
    /// SHA-256 of method, path, query and body of the first request.
    pub request_hash: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
