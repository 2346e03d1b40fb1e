use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    /// Normalised name for duplicate checks.
    pub name_key: String,
    pub grade: Option<String>,
    pub industry: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub address: Option<String>,
    pub source: Option<String>,
    pub kind: Option<String>,
    pub phone: Option<String>,
    /// The phone's digits for 撞单 (`customers::phone_key`).
    pub phone_key: Option<String>,
    /// With its scheme (`https://…`).
    pub website: Option<String>,
    /// 统一社会信用代码: 18 characters in capitals, check character verified.
    pub credit_code: Option<String>,
    /// Minor units.
    pub credit_limit: i64,
    /// `None`: in the public pool.
    pub owner_id: Option<i64>,
    pub notes: String,
    pub last_activity_at: DateTimeUtc,
    pub claimed_at: Option<DateTimeUtc>,
    /// When the customer first closed a deal (成交); `None`: a prospect.
    pub closed_at: Option<DateTimeUtc>,
    /// Set when merged into another customer (and soft-deleted).
    pub merged_into_id: Option<i64>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
