use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub username: String,
    /// Lower-cased username, unique: sign-in ignores case.
    pub username_key: String,
    pub email: String,
    pub email_key: String,
    pub display_name: String,
    /// The display name in pinyin (`zhangwei`): the person picker's search
    /// and sort key (`salesflow_domain::people::name_keys`).
    pub pinyin: String,
    /// The pinyin initials (`zw`).
    pub pinyin_initials: String,
    pub password_hash: String,
    pub role_id: i64,
    pub department_id: Option<i64>,
    pub locale: Option<String>,
    pub active: bool,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub last_login_at: Option<DateTimeUtc>,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
