use sea_orm::entity::prelude::*;

/// A file attached to a customer, a contact or a deal.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "attachments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `customer`, `contact` or `opportunity` (`attachments::Holder`).
    pub holder_type: String,
    pub holder_id: i64,
    /// The name shown and offered for the download (cleaned).
    pub file_name: String,
    /// The random name of the bytes under the data directory.
    pub stored_name: String,
    /// `attachments::FileKind` code.
    pub kind: String,
    pub size: i64,
    pub uploader_id: i64,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
