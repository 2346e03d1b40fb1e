//! Imports of customers, contacts and leads from CSV (UTF-8 or GBK) and Excel:
//! upload (a draft job), preview with a remembered or guessed column
//! mapping, a dry run that reports every bad row, and the import itself,
//! run as a job whose progress lives in the database so any node can show
//! it.
//!
//! The file is read as a stream on a blocking thread and handled in
//! batches of [`BATCH`] rows, each in one transaction: rows are checked by
//! the create form's rules, owners and customers resolved and duplicates
//! found with one query per batch, new rows inserted in bulk with their
//! search bigrams, and the job's counts updated.
//!
//! Cancelling stops a running job at the next batch: the batch in flight is
//! rolled back, batches committed before it stay (the counts say how many).
//! Upload, preview and dry run never write business data, so leaving the
//! wizard before "Import" leaves nothing behind.

mod reader;
mod reading;
mod running;
pub(crate) mod targets;
mod upload;

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::imports::{Status, Target};
use salesflow_domain::validation::FieldError;
use sea_orm::sea_query::Condition;
use sea_orm::{ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};

pub use reader::{Format, Limit, ReadError, Row};
pub use reading::{FILES_KEPT_DAYS, actor_for_username, cancel, expire_files, fail_stale, get, list, report};
pub use running::{message, run};
pub use upload::{StartInput, preview, start, upload};

use crate::entity::import_job;
use crate::error::{StoreError, StoreResult};
use crate::scope::Actor;

/// Rows per transaction.
pub const BATCH: usize = 5_000;
/// Batches whose search bigrams wait before they move into the index
/// together, in key order (see `search::index_later`): 100,000 rows.
const FLUSH_EVERY: usize = 20;
/// How far the SQLite write-ahead log may grow during an import before it
/// is copied back into the database.
const BULK_WAL_MIB: u32 = 512;
/// The writer's SQLite page cache during an import (the usual one is much
/// smaller, for the server's memory): what the import figures were measured with.
const BULK_CACHE_MIB: u64 = 256;
/// Bad rows kept in the job row for any node to show.
const SAMPLE_ERRORS: usize = 100;
const SAMPLE_ROWS: usize = 3;
/// Uploads a person may leave as drafts (not yet started, files kept):
/// beyond either bound a new upload is refused until some are started or
/// cancelled (drafts also expire after [`FILES_KEPT_DAYS`]).
pub const MAX_DRAFTS: u64 = 10;
pub const MAX_DRAFT_BYTES: u64 = 1024 * 1024 * 1024;

/// Translates a message key (`errors.required`, `imports.report_row` …)
/// into the importer's language, for the rejected-rows file.
pub type Messages = Arc<dyn Fn(&str) -> String + Send + Sync>;

/// Told after every batch (the command line's progress bar).
pub type OnProgress = Arc<dyn Fn(&ImportView) + Send + Sync>;

// ---------------------------------------------------------------- views

/// One problem with one row.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RowError {
    /// The row number as the spreadsheet shows it (the header is row 1).
    pub row: u64,
    /// The column header the problem is in.
    pub column: String,
    pub field: String,
    /// Validation code, e.g. `required`, `invalid_email`, `owner_outside_scope`.
    pub code: String,
    #[serde(default)]
    pub params: BTreeMap<String, String>,
}

impl RowError {
    pub fn field_error(&self) -> FieldError {
        FieldError {
            field: self.field.clone(),
            code: self.code.clone(),
            params: self.params.clone().into_iter().collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportView {
    pub id: i64,
    pub user_id: Option<i64>,
    /// `customers` or `contacts`.
    pub target: String,
    pub file_name: String,
    /// `csv-utf8`, `csv-gbk`, `csv-utf16` (Excel's "Unicode text"), `xlsx` or `xls`.
    pub file_format: String,
    /// Column header → field.
    pub mapping: BTreeMap<String, String>,
    /// `skip` or `merge`.
    pub duplicates: String,
    pub dry_run: bool,
    /// `draft|queued|running|done|failed|cancelled`.
    pub status: String,
    /// Data rows in the file, when known.
    pub total_rows: Option<i64>,
    pub processed: i64,
    /// New records (in a dry run: would be).
    pub inserted: i64,
    pub merged: i64,
    pub skipped: i64,
    pub rejected: i64,
    /// 0–100.
    pub percent: u8,
    pub error: Option<String>,
    /// The first 100 bad rows; all of them are in the rejected-rows file.
    pub sample_errors: Vec<RowError>,
    /// Whether the rejected-rows file can be downloaded.
    pub has_report: bool,
    /// The upload and the rejected-rows file were removed (see
    /// [`expire_files`]): nothing to download or run any more.
    pub files_expired: bool,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

impl ImportView {
    pub fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Failed)
    }
}

fn view(m: import_job::Model) -> ImportView {
    let status = Status::parse(&m.status).unwrap_or(Status::Failed);
    let percent = match (status, m.total_rows) {
        (Status::Done, _) => 100,
        (_, Some(total)) if total > 0 => (m.processed * 100 / total).clamp(0, 99) as u8,
        _ => 0,
    };
    ImportView {
        id: m.id,
        user_id: m.user_id,
        target: m.target,
        file_name: m.file_name,
        file_format: m.file_format,
        mapping: serde_json::from_str(&m.mapping).unwrap_or_default(),
        duplicates: m.duplicate_mode,
        dry_run: m.dry_run,
        status: m.status,
        total_rows: m.total_rows,
        processed: m.processed,
        inserted: m.inserted,
        merged: m.merged,
        skipped: m.skipped,
        rejected: m.rejected,
        percent,
        error: m.error,
        sample_errors: serde_json::from_str(&m.sample_errors).unwrap_or_default(),
        has_report: m.report_path.is_some() && m.files_expired_at.is_none(),
        files_expired: m.files_expired_at.is_some(),
        created_at: m.created_at,
        started_at: m.started_at,
        finished_at: m.finished_at,
        updated_at: m.updated_at,
    }
}

/// A column of the file as the mapping step shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PreviewColumn {
    pub header: String,
    /// Up to three values from the first rows.
    pub samples: Vec<String>,
    /// The field it is mapped to (remembered or guessed), if any.
    pub field: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldInfo {
    pub name: String,
    pub required: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Preview {
    pub import: ImportView,
    pub columns: Vec<PreviewColumn>,
    /// The fields of the target that columns can be mapped to.
    pub fields: Vec<FieldInfo>,
}

// ---------------------------------------------------------------- access

/// Any of these lets a person import something (see [`require_for`]).
pub const IMPORT_RIGHTS: [(Module, Action); 2] =
    [(Module::Customers, Action::Create), (Module::Customers, Action::Edit)];

/// Customers and leads are imported with the right to create them; contacts
/// with the right to edit customers (as adding a contact needs).
fn require_for(actor: &Actor, target: Target) -> StoreResult<()> {
    match target {
        Target::Customers => actor.require(Module::Customers, Action::Create),
        Target::Contacts => actor.require(Module::Customers, Action::Edit),
        Target::Leads => actor.require(Module::Customers, Action::Create),
    }
}

/// Imports of people in the caller's scope.
fn visible(actor: &Actor) -> Condition {
    actor.scope_condition(import_job::Column::UserId)
}

async fn find<C: ConnectionTrait>(conn: &C, actor: &Actor, id: i64) -> StoreResult<import_job::Model> {
    import_job::Entity::find_by_id(id).filter(visible(actor)).one(conn).await?.ok_or(StoreError::NotFound)
}

fn target_of(m: &import_job::Model) -> StoreResult<Target> {
    Target::parse(&m.target).ok_or_else(|| StoreError::Internal(format!("unknown import target {}", m.target)))
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> StoreResult<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| StoreError::Internal(format!("reader thread: {e}")))
}

fn file_error(e: &ReadError) -> StoreError {
    match e {
        ReadError::Broken(detail) => tracing::info!(%detail, "unreadable import file"),
        ReadError::TooLarge(limit) => {
            tracing::info!(limit = limit.code(), "import file beyond a reading limit");
            return Invalid(vec![FieldError::new("file", e.code()).with("max", limit.max())]).into();
        }
        _ => {}
    }
    Invalid::one("file", e.code()).into()
}

/// The header and the first `n` rows.
fn sample(path: &Path, format: Format, n: usize) -> Result<(Vec<String>, Vec<Row>), ReadError> {
    let mut header = Vec::new();
    let mut rows = Vec::new();
    reader::read(
        path,
        format,
        |h| header = h.to_vec(),
        |row| {
            if rows.len() >= n {
                return ControlFlow::Break(());
            }
            rows.push(row);
            ControlFlow::Continue(())
        },
    )?;
    Ok((header, rows))
}

/// Format, header and first rows of a stored file.
async fn inspect(path: &Path, n: usize) -> StoreResult<(Format, Vec<String>, Vec<Row>)> {
    let path = path.to_owned();
    blocking(move || {
        let format = reader::detect(&path)?;
        let (header, rows) = sample(&path, format, n)?;
        Ok::<_, ReadError>((format, header, rows))
    })
    .await?
    .map_err(|e| file_error(&e))
}
