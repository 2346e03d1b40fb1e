//! What each import target needs: how a row becomes a record (with the
//! create form's checks), how references are resolved for a batch, which
//! keys find duplicates, how records are inserted and merged.
//!
//! One file per target (`customers.rs`, `contacts.rs`, `leads.rs`); this
//! module holds what they share: the row's values, the batch item, the
//! target trait and the owner lookup.

use std::collections::HashMap;
use std::future::Future;

use salesflow_domain::Invalid;
use salesflow_domain::imports::Target;
use salesflow_domain::validation::FieldError;
use sea_orm::sea_query::Condition;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::entity::user;
use crate::error::StoreResult;
use crate::scope::Actor;
use crate::unit_of_work::UnitOfWork;

mod contacts;
mod customers;
mod leads;

pub(crate) use contacts::Contacts;
pub(crate) use customers::Customers;
pub(crate) use leads::Leads;

/// The cells of one row by field, through the chosen mapping.
pub(crate) struct Values<'a> {
    pub cells: &'a [String],
    /// Field name → column index.
    pub columns: &'a HashMap<&'static str, usize>,
}

impl Values<'_> {
    /// The trimmed cell mapped to `field`; empty when unmapped or blank.
    /// A text our own CSV exports guarded against formulas (`'+86 …`)
    /// reads as it was written.
    pub fn get(&self, field: &str) -> &str {
        self.columns
            .get(field)
            .and_then(|&i| self.cells.get(i))
            .map(|s| salesflow_domain::cells::csv_unescape(s.trim()))
            .unwrap_or("")
    }

    fn opt(&self, field: &str) -> Option<String> {
        let v = self.get(field);
        (!v.is_empty()).then(|| v.to_owned())
    }
}

/// One row on its way through a batch.
pub(crate) struct Item<R> {
    pub line: u64,
    pub cells: Vec<String>,
    pub record: Option<R>,
    pub errors: Vec<FieldError>,
}

impl<R> Item<R> {
    pub fn reject(&mut self, error: FieldError) {
        self.errors.push(error);
        self.record = None;
    }
}

/// A record already in the database that a row duplicates, and whether the
/// importer may change it.
pub(crate) struct Found<M> {
    pub model: M,
    pub editable: bool,
}

pub(crate) trait ImportTarget: Send + Sync + 'static {
    type Record: Send + Sync;
    type Model: Clone + Send + Sync;
    const TARGET: Target;

    /// A mapped row as a record, checked as the create form checks it.
    fn parse(values: &Values<'_>) -> Result<Self::Record, Invalid>;

    /// Resolves references (owners, customers) of a batch in one query each;
    /// a row whose reference is unknown or outside the scope is rejected.
    fn resolve(
        txn: &UnitOfWork<'_>,
        actor: &Actor,
        items: &mut [Item<Self::Record>],
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// The keys a record is a duplicate by, with the field each comes from.
    fn keys(record: &Self::Record) -> Vec<(&'static str, String)>;

    /// Existing records holding any of these keys (one query), by key.
    fn existing(
        txn: &UnitOfWork<'_>,
        actor: &Actor,
        keys: Vec<String>,
    ) -> impl Future<Output = StoreResult<HashMap<String, Found<Self::Model>>>> + Send;

    fn insert(txn: &UnitOfWork<'_>, records: Vec<Self::Record>) -> impl Future<Output = StoreResult<()>> + Send;

    /// Copies the record's non-blank fields over an existing record.
    fn merge(
        txn: &UnitOfWork<'_>,
        existing: &Self::Model,
        record: Self::Record,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// The same rule between two rows of the file (the later one wins).
    fn merge_records(into: &mut Self::Record, from: Self::Record);

    fn id_of(model: &Self::Model) -> i64;

    /// What a record is compared by for clashes (撞单).
    fn clash_probe(record: &Self::Record) -> crate::clashes::Probe;
}

/// Rows per statement: SQLite limits bound parameters per statement.
const ROWS_PER_STATEMENT: usize = 500;

fn overwrite(into: &mut Option<String>, from: Option<String>) {
    if from.is_some() {
        *into = from;
    }
}

/// The owner a row names (`None`: the importer), which must be in the
/// importer's scope.
fn owner_of(
    actor: &Actor,
    owners: &HashMap<String, Option<i64>>,
    text: Option<&str>,
) -> Result<Option<i64>, FieldError> {
    let owner = match text {
        None => actor.user_id,
        Some(text) => match owners.get(&text.to_lowercase()) {
            Some(Some(id)) => Some(*id),
            Some(None) => return Err(FieldError::new("owner", "ambiguous_reference")),
            None => return Err(FieldError::new("owner", "unknown_reference")),
        },
    };
    if owner.is_some() && !actor.sees_owner(owner) {
        return Err(FieldError::new("owner", "owner_outside_scope"));
    }
    Ok(owner)
}

/// Active users by lower-cased username, e-mail or display name, in one
/// query. `None` marks a display name two people share.
async fn owners_by_text(txn: &UnitOfWork<'_>, texts: Vec<String>) -> StoreResult<HashMap<String, Option<i64>>> {
    let mut found: HashMap<String, Option<i64>> = HashMap::new();
    if texts.is_empty() {
        return Ok(found);
    }
    let mut lowered: Vec<String> = texts.iter().map(|t| t.to_lowercase()).collect();
    lowered.sort();
    lowered.dedup();
    let mut names: Vec<String> = texts;
    names.sort();
    names.dedup();
    let rows: Vec<(i64, String, String, String)> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::UsernameKey)
        .column(user::Column::EmailKey)
        .column(user::Column::DisplayName)
        .filter(user::Column::Active.eq(true))
        .filter(user::Column::DeletedAt.is_null())
        .filter(
            Condition::any()
                .add(user::Column::UsernameKey.is_in(lowered.clone()))
                .add(user::Column::EmailKey.is_in(lowered))
                .add(user::Column::DisplayName.is_in(names)),
        )
        .into_tuple()
        .all(txn)
        .await?;
    // Usernames and e-mails are unique; display names may repeat.
    for (id, _, _, display) in &rows {
        let key = display.to_lowercase();
        match found.get(&key) {
            Some(Some(other)) if other != id => {
                found.insert(key, None);
            }
            Some(_) => {}
            None => {
                found.insert(key, Some(*id));
            }
        }
    }
    for (id, username, email, _) in rows {
        found.insert(username, Some(id));
        found.insert(email, Some(id));
    }
    Ok(found)
}
