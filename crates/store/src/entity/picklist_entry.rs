use sea_orm::entity::prelude::*;

/// One choice of a customer picklist (industry, source, customer type):
/// customers store its `code`; pages show a label in the reader's language.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "picklist_entries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `industry`, `source` or `kind` (`records::Picklist`).
    pub list: String,
    pub code: String,
    pub label_zh: String,
    /// Empty: the Chinese label is shown.
    pub label_en: String,
    pub position: i32,
    /// Inactive choices are no longer offered; records keep them.
    pub active: bool,
    pub version: i64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
