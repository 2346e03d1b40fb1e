use sea_orm::entity::prelude::*;

/// An import of customers, contacts or leads from an uploaded file.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "imports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: Option<i64>,
    pub target: String,
    pub file_name: String,
    pub file_path: String,
    pub file_format: String,
    /// JSON: `{"column header": "field"}`.
    pub mapping: String,
    pub duplicate_mode: String,
    pub dry_run: bool,
    pub status: String,
    pub total_rows: Option<i64>,
    pub processed: i64,
    pub inserted: i64,
    pub merged: i64,
    pub skipped: i64,
    pub rejected: i64,
    pub error: Option<String>,
    /// JSON: the first bad rows.
    pub sample_errors: String,
    pub report_path: Option<String>,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
    /// When housekeeping removed the upload and the rejected-rows file.
    pub files_expired_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
