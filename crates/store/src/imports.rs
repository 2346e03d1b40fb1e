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
pub(crate) mod targets;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::io::{BufWriter, Write};
use std::marker::PhantomData;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::cells::csv_safe;
use salesflow_domain::imports::{DuplicateMode, Status, Target, guess_mapping};
use salesflow_domain::validation::FieldError;
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use serde::{Deserialize, Serialize};

pub use reader::{Format, Limit, ReadError, Row};
use targets::{ImportTarget, Item, Values};

use crate::Store;
use crate::audit::AuditEvent;
use crate::entity::{import_job, import_mapping, user};
use crate::error::{StoreError, StoreResult};
use crate::paging::{Key, Keyset, Page, PageRequest, SortField};
use crate::scope::Actor;
use crate::unit_of_work::Unaudited;

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

// ---------------------------------------------------------------- upload and mapping

/// Registers an uploaded file as a draft import, after checking that it is
/// a CSV or Excel table with a header and at least one row. The file at
/// `path` stays where it is; the caller removes it when this fails.
pub async fn upload(
    store: &Store,
    actor: &Actor,
    target: Target,
    file_name: &str,
    path: &Path,
) -> StoreResult<ImportView> {
    require_for(actor, target)?;
    let (format, header, rows) = inspect(path, 1).await?;
    if rows.is_empty() {
        return Err(Invalid::one("file", "empty_file").into());
    }
    let mapping = suggested_mapping(store, actor, target, &header).await?;
    let name: String = Path::new(file_name)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("upload")
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let now = store.now();
    let txn = store.permit_by_record(actor).begin().await?;
    if let Some(me) = actor.user_id {
        // Counted under a lock on the person's row, in the transaction
        // that adds the draft: parallel uploads cannot overrun it.
        crate::locks::lock_user(&txn, me).await?;
        check_draft_quota(&txn, me, path).await?;
    }
    let m = import_job::ActiveModel {
        user_id: Set(actor.user_id),
        target: Set(target.code().to_owned()),
        file_name: Set(name),
        file_path: Set(path.to_string_lossy().into_owned()),
        file_format: Set(format.code().to_owned()),
        mapping: Set(serde_json::to_string(&mapping).unwrap_or_else(|_| "{}".into())),
        duplicate_mode: Set(DuplicateMode::Skip.code().to_owned()),
        dry_run: Set(false),
        status: Set(Status::Draft.code().to_owned()),
        total_rows: Set(None),
        processed: Set(0),
        inserted: Set(0),
        merged: Set(0),
        skipped: Set(0),
        rejected: Set(0),
        error: Set(None),
        sample_errors: Set("[]".to_owned()),
        report_path: Set(None),
        created_at: Set(now),
        started_at: Set(None),
        finished_at: Set(None),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit_without_audit(Unaudited::ImportBookkeeping).await?;
    Ok(view(m))
}

/// The per-person bound on drafts: their number, and the bytes of their
/// files with the new one.
async fn check_draft_quota<C: ConnectionTrait>(conn: &C, user_id: i64, new_file: &Path) -> StoreResult<()> {
    let drafts: Vec<String> = import_job::Entity::find()
        .select_only()
        .column(import_job::Column::FilePath)
        .filter(import_job::Column::UserId.eq(user_id))
        .filter(import_job::Column::Status.eq(Status::Draft.code()))
        .filter(import_job::Column::FilesExpiredAt.is_null())
        .into_tuple()
        .all(conn)
        .await?;
    if drafts.len() as u64 >= MAX_DRAFTS {
        return Err(Invalid(vec![FieldError::new("file", "too_many_drafts").with("max", MAX_DRAFTS)]).into());
    }
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let bytes: u64 = drafts.iter().map(|p| size(Path::new(p))).sum::<u64>() + size(new_file);
    if bytes > MAX_DRAFT_BYTES {
        let max = MAX_DRAFT_BYTES / (1024 * 1024);
        return Err(Invalid(vec![FieldError::new("file", "drafts_too_large").with("max", max)]).into());
    }
    Ok(())
}

/// The mapping the user last used for these headers, completed by guesses.
async fn suggested_mapping(
    store: &Store,
    actor: &Actor,
    target: Target,
    header: &[String],
) -> StoreResult<BTreeMap<String, String>> {
    let remembered: BTreeMap<String, String> = match actor.user_id {
        None => BTreeMap::new(),
        Some(user_id) => import_mapping::Entity::find()
            .filter(import_mapping::Column::UserId.eq(user_id))
            .filter(import_mapping::Column::Target.eq(target.code()))
            .one(store.reader())
            .await?
            .and_then(|m| serde_json::from_str(&m.mapping).ok())
            .unwrap_or_default(),
    };
    let mut mapping = BTreeMap::new();
    let mut taken: HashSet<String> = HashSet::new();
    for h in header {
        if let Some(field) = remembered.get(h).filter(|f| target.field(f).is_some() && !taken.contains(*f)) {
            taken.insert(field.clone());
            mapping.insert(h.clone(), field.clone());
        }
    }
    let unmapped: Vec<String> = header.iter().filter(|h| !mapping.contains_key(*h)).cloned().collect();
    for (h, guess) in unmapped.iter().zip(guess_mapping(target, &unmapped)) {
        if let Some(field) = guess.filter(|f| !taken.contains(*f)) {
            taken.insert(field.to_owned());
            mapping.insert(h.clone(), field.to_owned());
        }
    }
    Ok(mapping)
}

/// The file's columns with sample values and their current mapping.
pub async fn preview(store: &Store, actor: &Actor, id: i64) -> StoreResult<Preview> {
    let job = find(store.reader(), actor, id).await?;
    let target = target_of(&job)?;
    require_for(actor, target)?;
    if job.files_expired_at.is_some() {
        return Err(Invalid::one("file", "file_expired").into());
    }
    let (_, header, rows) = inspect(Path::new(&job.file_path), SAMPLE_ROWS).await?;
    let job = view(job);
    let columns = header
        .iter()
        .enumerate()
        .map(|(i, h)| PreviewColumn {
            header: h.clone(),
            samples: rows.iter().filter_map(|r| r.cells.get(i)).map(|c| c.trim().to_owned()).collect(),
            field: job.mapping.get(h).cloned(),
        })
        .collect();
    let fields = target.fields().iter().map(|f| FieldInfo { name: f.name.to_owned(), required: f.required }).collect();
    Ok(Preview { import: job, columns, fields })
}

/// How to run an uploaded file.
#[derive(Debug, Clone)]
pub struct StartInput {
    /// Column header → field; `None`: the suggested mapping.
    pub mapping: Option<BTreeMap<String, String>>,
    pub duplicates: DuplicateMode,
    pub dry_run: bool,
}

fn check_mapping(target: Target, header: &[String], mapping: &BTreeMap<String, String>) -> Result<(), Invalid> {
    let mut invalid = Invalid::new();
    let mut seen: Vec<&str> = Vec::new();
    for (column, field) in mapping {
        if !header.contains(column) {
            invalid.push(FieldError::new("mapping", "unknown_column").with("column", column));
        }
        match target.field(field) {
            None => invalid.push(FieldError::new("mapping", "invalid_choice").with("column", column)),
            Some(f) if seen.contains(&f.name) => {
                invalid.push(FieldError::new("mapping", "mapped_twice").with("field", f.name));
            }
            Some(f) => seen.push(f.name),
        }
    }
    if mapping.is_empty() {
        invalid.push(FieldError::new("mapping", "no_usable_columns"));
    } else {
        let missing: Vec<&str> =
            target.fields().iter().filter(|f| f.required && !seen.contains(&f.name)).map(|f| f.name).collect();
        if !missing.is_empty() {
            invalid.push(FieldError::new("mapping", "missing_required").with("fields", missing.join(", ")));
        }
    }
    invalid.into_result()
}

/// Queues an uploaded file for a dry run or the import, with the mapping
/// (remembered for next time). A draft is queued itself; a file that
/// already ran (a dry run before the import) gets a new job. The caller
/// then runs [`run`].
pub async fn start(store: &Store, actor: &Actor, id: i64, input: StartInput) -> StoreResult<ImportView> {
    let job = find(store.reader(), actor, id).await?;
    let target = target_of(&job)?;
    require_for(actor, target)?;
    let status = Status::parse(&job.status).unwrap_or(Status::Failed);
    if status.is_active() {
        return Err(StoreError::Conflict("the import is already running".into()));
    }
    if job.files_expired_at.is_some() {
        return Err(Invalid::one("file", "file_expired").into());
    }
    let (_, header, _) = inspect(Path::new(&job.file_path), 0).await?;
    let mapping: BTreeMap<String, String> = input
        .mapping
        .unwrap_or_else(|| serde_json::from_str(&job.mapping).unwrap_or_default())
        .into_iter()
        .filter(|(_, f)| !f.trim().is_empty())
        .collect();
    check_mapping(target, &header, &mapping)?;
    let mapping_json = serde_json::to_string(&mapping).unwrap_or_else(|_| "{}".into());
    let now = store.now();
    let txn = store.permit_by_record(actor).begin().await?;
    let m = if status == Status::Draft {
        let res = import_job::Entity::update_many()
            .col_expr(import_job::Column::Mapping, Expr::value(mapping_json.clone()))
            .col_expr(import_job::Column::DuplicateMode, Expr::value(input.duplicates.code()))
            .col_expr(import_job::Column::DryRun, Expr::value(input.dry_run))
            .col_expr(import_job::Column::Status, Expr::value(Status::Queued.code()))
            .col_expr(import_job::Column::UpdatedAt, Expr::value(now))
            .filter(import_job::Column::Id.eq(id))
            .filter(import_job::Column::Status.eq(Status::Draft.code()))
            .exec(&txn)
            .await?;
        if res.rows_affected == 0 {
            return Err(StoreError::Conflict("the import was started meanwhile".into()));
        }
        import_job::Entity::find_by_id(id).one(&txn).await?.ok_or(StoreError::NotFound)?
    } else {
        import_job::ActiveModel {
            user_id: Set(actor.user_id),
            target: Set(job.target.clone()),
            file_name: Set(job.file_name.clone()),
            file_path: Set(job.file_path.clone()),
            file_format: Set(job.file_format.clone()),
            mapping: Set(mapping_json.clone()),
            duplicate_mode: Set(input.duplicates.code().to_owned()),
            dry_run: Set(input.dry_run),
            status: Set(Status::Queued.code().to_owned()),
            total_rows: Set(job.total_rows),
            processed: Set(0),
            inserted: Set(0),
            merged: Set(0),
            skipped: Set(0),
            rejected: Set(0),
            error: Set(None),
            sample_errors: Set("[]".to_owned()),
            report_path: Set(None),
            created_at: Set(now),
            started_at: Set(None),
            finished_at: Set(None),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?
    };
    if let Some(user_id) = actor.user_id {
        remember_mapping(&txn, user_id, target, &mapping_json).await?;
    }
    txn.commit_without_audit(Unaudited::ImportBookkeeping).await?;
    Ok(view(m))
}

async fn remember_mapping<C: ConnectionTrait>(conn: &C, user_id: i64, target: Target, json: &str) -> StoreResult<()> {
    // One upsert on the unique (user, target): two imports of one person
    // saved at once cannot both insert (update-then-insert could).
    let row = import_mapping::ActiveModel {
        user_id: Set(user_id),
        target: Set(target.code().to_owned()),
        mapping: Set(json.to_owned()),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    import_mapping::Entity::insert(row)
        .on_conflict(
            sea_orm::sea_query::OnConflict::columns([import_mapping::Column::UserId, import_mapping::Column::Target])
                .update_columns([import_mapping::Column::Mapping, import_mapping::Column::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------- reading

pub async fn get(store: &Store, actor: &Actor, id: i64) -> StoreResult<ImportView> {
    actor.require(Module::Customers, Action::View)?;
    Ok(view(find(store.reader(), actor, id).await?))
}

const SORTS: [SortField<import_job::Column>; 1] = [SortField { name: "id", column: import_job::Column::Id }];

/// Imports of the people in the caller's scope, newest first.
pub async fn list(store: &Store, actor: &Actor, page: &PageRequest) -> StoreResult<Page<ImportView>> {
    actor.require(Module::Customers, Action::View)?;
    let keyset = Keyset::parse(page, &SORTS, "-id")?;
    let query = import_job::Entity::find().filter(visible(actor));
    let rows = keyset.apply(query, import_job::Column::Id).all(store.reader()).await?;
    Ok(keyset.finish(rows, |m, _| (Key::Int(m.id), m.id)).map(view))
}

/// The rejected-rows file of an import, when it has one on this node.
pub async fn report(store: &Store, actor: &Actor, id: i64) -> StoreResult<PathBuf> {
    // The rows as uploaded are an export of what was not imported: they
    // need the right to import them, not only to view customers.
    if !IMPORT_RIGHTS.iter().any(|(m, a)| actor.can(*m, *a)) {
        return Err(StoreError::Forbidden);
    }
    let job = find(store.reader(), actor, id).await?;
    require_for(actor, target_of(&job)?)?;
    if job.files_expired_at.is_some() {
        return Err(StoreError::NotFound);
    }
    let path = job.report_path.map(PathBuf::from).ok_or(StoreError::NotFound)?;
    if !path.exists() {
        return Err(StoreError::NotFound);
    }
    Ok(path)
}

/// Cancels a draft, queued or running import. A running one stops at its
/// next batch; what earlier batches wrote stays.
pub async fn cancel(store: &Store, actor: &Actor, id: i64) -> StoreResult<ImportView> {
    let txn = store.permit_by_record(actor).begin().await?;
    let job = find(&txn, actor, id).await?;
    require_for(actor, target_of(&job)?)?;
    let now = txn.now();
    let res = import_job::Entity::update_many()
        .col_expr(import_job::Column::Status, Expr::value(Status::Cancelled.code()))
        .col_expr(import_job::Column::FinishedAt, Expr::value(now))
        .col_expr(import_job::Column::UpdatedAt, Expr::value(now))
        .filter(import_job::Column::Id.eq(id))
        .filter(import_job::Column::Status.is_in([Status::Draft.code(), Status::Queued.code(), Status::Running.code()]))
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
        return Err(StoreError::Conflict("the import has already finished".into()));
    }
    let detail =
        serde_json::json!({ "file_name": job.file_name, "status_before": job.status, "processed": job.processed });
    let after = import_job::Entity::find_by_id(id).one(&txn).await?.ok_or(StoreError::NotFound)?;
    txn.commit(AuditEvent::new("import.cancel", "import", Some(id)).detail(detail)).await?;
    Ok(view(after))
}

/// Marks imports failed whose node stopped reporting: every batch updates
/// `updated_at`, so a queued or running job silent for `idle` died with its
/// node. Run by the housekeeping job; returns how many.
pub async fn fail_stale(store: &Store, idle: chrono::Duration) -> StoreResult<u64> {
    let now = store.now();
    let system = Actor::system();
    let txn = store.permit_own(&system).begin().await?;
    let res = import_job::Entity::update_many()
        .col_expr(import_job::Column::Status, Expr::value(Status::Failed.code()))
        .col_expr(import_job::Column::Error, Expr::value("the node running this import stopped"))
        .col_expr(import_job::Column::FinishedAt, Expr::value(now))
        .col_expr(import_job::Column::UpdatedAt, Expr::value(now))
        .filter(import_job::Column::Status.is_in([Status::Queued.code(), Status::Running.code()]))
        .filter(import_job::Column::UpdatedAt.lt(now - idle))
        .exec(&txn)
        .await?;
    txn.commit_without_audit(Unaudited::ImportBookkeeping).await?;
    Ok(res.rows_affected)
}

/// How long the files of a finished import are kept.
pub const FILES_KEPT_DAYS: i64 = 7;

/// Removes the files of imports that finished (or were left as drafts)
/// before `before`: the rejected-rows file and the upload, and marks the
/// jobs so their pages say the files expired. The job rows stay.
///
/// Only files inside `upload_dir` are deleted (a command-line import names
/// a file of the user's own, which is theirs to keep), and an upload that a
/// later job still uses (the import after a dry run) stays until that job
/// expires too. Run by the housekeeping job; returns how many jobs expired.
pub async fn expire_files(store: &Store, upload_dir: &Path, before: DateTime<Utc>) -> StoreResult<u64> {
    let finished = [Status::Done.code(), Status::Failed.code(), Status::Cancelled.code()];
    let old = Condition::any()
        .add(
            Condition::all()
                .add(import_job::Column::Status.is_in(finished))
                .add(import_job::Column::FinishedAt.lt(before)),
        )
        .add(
            Condition::all()
                .add(import_job::Column::Status.eq(Status::Draft.code()))
                .add(import_job::Column::UpdatedAt.lt(before)),
        );
    let expiring = import_job::Entity::find()
        .filter(import_job::Column::FilesExpiredAt.is_null())
        .filter(old)
        .all(store.reader())
        .await?;
    if expiring.is_empty() {
        return Ok(0);
    }
    let ids: Vec<i64> = expiring.iter().map(|j| j.id).collect();
    let mut uploads: Vec<String> = expiring.iter().map(|j| j.file_path.clone()).collect();
    uploads.sort();
    uploads.dedup();
    // Uploads another job still needs.
    let mut in_use: HashSet<String> = HashSet::new();
    for chunk in uploads.chunks(500) {
        let rows: Vec<String> = import_job::Entity::find()
            .select_only()
            .column(import_job::Column::FilePath)
            .filter(import_job::Column::FilePath.is_in(chunk.iter().cloned()))
            .filter(import_job::Column::FilesExpiredAt.is_null())
            .filter(import_job::Column::Id.is_not_in(ids.iter().copied()))
            .into_tuple()
            .all(store.reader())
            .await?;
        in_use.extend(rows);
    }
    let dir = std::fs::canonicalize(upload_dir).unwrap_or_else(|_| upload_dir.to_owned());
    let mut files: Vec<PathBuf> = expiring.iter().filter_map(|j| j.report_path.as_ref().map(PathBuf::from)).collect();
    files.extend(uploads.iter().filter(|u| !in_use.contains(*u)).map(PathBuf::from));
    let now = store.now();
    let system = Actor::system();
    let txn = store.permit_own(&system).begin().await?;
    for chunk in ids.chunks(500) {
        import_job::Entity::update_many()
            .col_expr(import_job::Column::FilesExpiredAt, Expr::value(now))
            .filter(import_job::Column::Id.is_in(chunk.iter().copied()))
            .filter(import_job::Column::FilesExpiredAt.is_null())
            .exec(&txn)
            .await?;
    }
    txn.commit_without_audit(Unaudited::ImportBookkeeping).await?;
    // After the commit: a page never offers a file that is already gone.
    blocking(move || {
        for file in files {
            if file.parent().and_then(|p| std::fs::canonicalize(p).ok()).as_deref() != Some(dir.as_path()) {
                continue;
            }
            match std::fs::remove_file(&file) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => tracing::warn!(file = %file.display(), error = %e, "cannot remove an expired import file"),
            }
        }
    })
    .await?;
    Ok(ids.len() as u64)
}

/// The actor a command-line import runs as.
pub async fn actor_for_username(store: &Store, username: &str) -> StoreResult<Actor> {
    let u = user::Entity::find()
        .filter(user::Column::UsernameKey.eq(username.trim().to_lowercase()))
        .filter(user::Column::Active.eq(true))
        .filter(user::Column::DeletedAt.is_null())
        .one(store.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
    crate::access::actor_for(store.reader(), &u).await
}

// ---------------------------------------------------------------- running

/// Runs a queued import to its end (or until it is cancelled), as `actor`.
/// Returns the job as it finished.
pub async fn run(
    store: &Store,
    actor: &Actor,
    id: i64,
    messages: Messages,
    on_progress: Option<OnProgress>,
) -> StoreResult<ImportView> {
    let txn = store.permit_by_record(actor).begin().await?;
    let now = txn.now();
    let taken = import_job::Entity::update_many()
        .col_expr(import_job::Column::Status, Expr::value(Status::Running.code()))
        .col_expr(import_job::Column::StartedAt, Expr::value(now))
        .col_expr(import_job::Column::UpdatedAt, Expr::value(now))
        .filter(import_job::Column::Id.eq(id))
        .filter(import_job::Column::Status.eq(Status::Queued.code()))
        .exec(&txn)
        .await?;
    let job = import_job::Entity::find_by_id(id).one(&txn).await?.ok_or(StoreError::NotFound)?;
    txn.commit_without_audit(Unaudited::ImportBookkeeping).await?;
    if taken.rows_affected == 0 {
        // Cancelled before it started, or run elsewhere.
        return Ok(view(job));
    }
    // A real import is a bulk load: see `Store::defer_checkpoints`.
    let bulk = !job.dry_run;
    if bulk {
        store.defer_checkpoints(Some(BULK_WAL_MIB)).await?;
        // Inserts land all over big indexes: see `Store::enlarge_write_cache`.
        store.enlarge_write_cache(BULK_CACHE_MIB).await?;
    }
    let outcome = match target_of(&job) {
        Ok(Target::Customers) => {
            Run::<targets::Customers>::new(store, actor, &job, messages.clone(), on_progress).go().await
        }
        Ok(Target::Contacts) => {
            Run::<targets::Contacts>::new(store, actor, &job, messages.clone(), on_progress).go().await
        }
        Ok(Target::Leads) => Run::<targets::Leads>::new(store, actor, &job, messages.clone(), on_progress).go().await,
        Err(e) => Err(e),
    };
    // The bigrams of committed batches, whatever the outcome (normally
    // already moved before the job was marked done).
    if bulk && let Err(e) = crate::search::flush_pending(store).await {
        tracing::warn!(import = id, error = %e, "moving the imported rows' bigrams failed");
    }
    if bulk && let Err(e) = store.defer_checkpoints(None).await {
        tracing::warn!(import = id, error = %e, "checkpoint after the import failed");
    }
    if bulk && let Err(e) = store.restore_write_cache().await {
        tracing::warn!(import = id, error = %e, "restoring the page cache after the import failed");
    }
    // The planner's statistics of the tables that grew.
    if bulk && let Err(e) = store.after_bulk_load().await {
        tracing::warn!(import = id, error = %e, "refreshing statistics after the import failed");
    }
    match outcome {
        Ok(()) => {}
        Err(e) => {
            let text = match &e {
                StoreError::Invalid(invalid) => {
                    invalid.0.iter().map(|fe| message(&messages, fe)).collect::<Vec<_>>().join("; ")
                }
                other => other.to_string(),
            };
            tracing::warn!(import = id, error = %e, "import failed");
            let txn = store.permit_by_record(actor).begin().await?;
            // Batches committed before the failure stay: audit them like a finished import.
            let after = import_job::Entity::find_by_id(id).one(&txn).await?.ok_or(StoreError::NotFound)?;
            let now = txn.now();
            import_job::Entity::update_many()
                .col_expr(import_job::Column::Status, Expr::value(Status::Failed.code()))
                .col_expr(import_job::Column::Error, Expr::value(text))
                .col_expr(import_job::Column::FinishedAt, Expr::value(now))
                .col_expr(import_job::Column::UpdatedAt, Expr::value(now))
                .filter(import_job::Column::Id.eq(id))
                .filter(import_job::Column::Status.eq(Status::Running.code()))
                .exec(&txn)
                .await?;
            if !after.dry_run && after.inserted + after.merged > 0 {
                let detail = serde_json::json!({
                    "file_name": after.file_name,
                    "target": after.target,
                    "duplicates": after.duplicate_mode,
                    "status": Status::Failed.code(),
                    "processed": after.processed,
                    "inserted": after.inserted,
                    "merged": after.merged,
                    "skipped": after.skipped,
                    "rejected": after.rejected,
                });
                txn.commit(AuditEvent::new(format!("import.{}", after.target), "import", Some(id)).detail(detail))
                    .await?;
            } else {
                txn.commit_without_audit(Unaudited::ImportBookkeeping).await?;
            }
        }
    }
    Ok(view(import_job::Entity::find_by_id(id).one(store.reader()).await?.ok_or(StoreError::NotFound)?))
}

/// A field error as a sentence in the importer's language.
pub fn message(messages: &Messages, error: &FieldError) -> String {
    let mut text = messages(&format!("errors.{}", error.code));
    for (name, value) in &error.params {
        text = text.replace(&format!("%{{{name}}}"), value);
    }
    text
}

enum Chunk {
    Header(Vec<String>, Option<u64>),
    Rows(Vec<Row>),
}

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    processed: i64,
    inserted: i64,
    merged: i64,
    skipped: i64,
    rejected: i64,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.processed += other.processed;
        self.inserted += other.inserted;
        self.merged += other.merged;
        self.skipped += other.skipped;
        self.rejected += other.rejected;
    }
}

fn hashed(key: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

type ReportWriter = csv::Writer<BufWriter<std::fs::File>>;

struct Run<'a, T: ImportTarget> {
    store: &'a Store,
    actor: &'a Actor,
    job: import_job::Model,
    target: Target,
    mode: DuplicateMode,
    messages: Messages,
    on_progress: Option<OnProgress>,
    header: Vec<String>,
    /// Field → column index.
    columns: HashMap<&'static str, usize>,
    counts: Counts,
    samples: Vec<RowError>,
    report: Option<ReportWriter>,
    report_path: PathBuf,
    /// Dry run only: duplicate keys of earlier batches (hashed, so a
    /// million rows cost megabytes, not the file).
    seen: HashSet<u64>,
    /// Batches committed since their bigrams last moved into the index.
    unflushed: usize,
    _target: PhantomData<T>,
}

impl<'a, T: ImportTarget> Run<'a, T> {
    fn new(
        store: &'a Store,
        actor: &'a Actor,
        job: &import_job::Model,
        messages: Messages,
        on_progress: Option<OnProgress>,
    ) -> Self {
        Run {
            store,
            actor,
            target: T::TARGET,
            mode: DuplicateMode::parse(&job.duplicate_mode).unwrap_or(DuplicateMode::Skip),
            report_path: PathBuf::from(format!("{}.rejected-{}.csv", job.file_path, job.id)),
            job: job.clone(),
            messages,
            on_progress,
            header: Vec::new(),
            columns: HashMap::new(),
            counts: Counts::default(),
            samples: Vec::new(),
            report: None,
            seen: HashSet::new(),
            unflushed: 0,
            _target: PhantomData,
        }
    }

    async fn go(mut self) -> StoreResult<()> {
        let format =
            Format::parse(&self.job.file_format).ok_or_else(|| StoreError::Internal("unknown format".into()))?;
        let path = PathBuf::from(&self.job.file_path);
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Chunk>(2);
        let reading = tokio::task::spawn_blocking(move || -> Result<(), ReadError> {
            let total = reader::count_rows(&path, format)?;
            let mut batch = Vec::with_capacity(BATCH);
            reader::read(
                &path,
                format,
                |h| {
                    let _ = tx.blocking_send(Chunk::Header(h.to_vec(), total));
                },
                |row| {
                    batch.push(row);
                    if batch.len() >= BATCH && tx.blocking_send(Chunk::Rows(std::mem::take(&mut batch))).is_err() {
                        // The job stopped listening (cancelled).
                        return ControlFlow::Break(());
                    }
                    ControlFlow::Continue(())
                },
            )?;
            if !batch.is_empty() {
                let _ = tx.blocking_send(Chunk::Rows(batch));
            }
            Ok(())
        });
        let mut cancelled = false;
        while let Some(chunk) = rx.recv().await {
            match chunk {
                Chunk::Header(header, total) => self.start(header, total).await?,
                Chunk::Rows(rows) => {
                    if !self.batch(rows).await? {
                        cancelled = true;
                        break;
                    }
                }
            }
        }
        drop(rx);
        let read = reading.await.map_err(|e| StoreError::Internal(format!("reader thread: {e}")))?;
        if !cancelled && let Err(e) = read {
            self.close_report();
            return Err(file_error(&e));
        }
        // Searchable before the job says it is done.
        crate::search::flush_pending(self.store).await?;
        self.finish().await
    }

    async fn start(&mut self, header: Vec<String>, total: Option<u64>) -> StoreResult<()> {
        let mapping: BTreeMap<String, String> = serde_json::from_str(&self.job.mapping).unwrap_or_default();
        for (column, field) in &mapping {
            if let (Some(i), Some(f)) = (header.iter().position(|h| h == column), self.target.field(field)) {
                self.columns.insert(f.name, i);
            }
        }
        self.header = header;
        if let Some(total) = total {
            let txn = self.store.permit_by_record(self.actor).begin().await?;
            import_job::Entity::update_many()
                .col_expr(import_job::Column::TotalRows, Expr::value(total as i64))
                .filter(import_job::Column::Id.eq(self.job.id))
                .exec(&txn)
                .await?;
            txn.commit_without_audit(Unaudited::ImportBookkeeping).await?;
            self.job.total_rows = Some(total as i64);
        }
        Ok(())
    }

    /// One batch in one transaction. `false` when the job was cancelled
    /// meanwhile (the batch is rolled back).
    async fn batch(&mut self, rows: Vec<Row>) -> StoreResult<bool> {
        let mut items: Vec<Item<T::Record>> = rows
            .into_iter()
            .map(|row| {
                let parsed = T::parse(&Values { cells: &row.cells, columns: &self.columns });
                let (record, errors) = match parsed {
                    Ok(r) => (Some(r), Vec::new()),
                    Err(invalid) => (None, invalid.0),
                };
                Item { line: row.line, cells: row.cells, record, errors }
            })
            .collect();
        let dry_run = self.job.dry_run;
        let txn = self.store.permit_by_record(self.actor).begin().await?;
        T::resolve(&txn, self.actor, &mut items).await?;
        crate::clashes::import_rows(&txn, self.actor, &mut items, T::clash_probe).await?;

        let mut keys: Vec<String> = items
            .iter()
            .filter_map(|i| i.record.as_ref())
            .flat_map(|r| T::keys(r).into_iter().map(|(_, k)| k))
            .collect();
        keys.sort();
        keys.dedup();
        let existing = if keys.is_empty() { HashMap::new() } else { T::existing(&txn, self.actor, keys).await? };

        let mut counts = Counts::default();
        let mut fresh: Vec<T::Record> = Vec::new();
        let mut fresh_keys: HashMap<String, usize> = HashMap::new();
        let mut merges: Vec<(T::Model, T::Record)> = Vec::new();
        // Keys of rows that matched a record in the database, to the key they
        // matched it by: a later row with only another of their keys (the
        // e-mail an earlier row added) matches the same record.
        let mut linked: HashMap<String, String> = HashMap::new();
        for item in items.iter_mut() {
            counts.processed += 1;
            let Some(record) = item.record.take() else { continue };
            let keys = T::keys(&record);
            // A record already in the database.
            let matched = keys.iter().find_map(|(f, k)| {
                let by = if existing.contains_key(k) { k } else { linked.get(k)? };
                existing.get(by).map(|e| (*f, by.clone(), e))
            });
            if let Some((field, by, found)) = matched {
                for (_, k) in &keys {
                    linked.entry(k.clone()).or_insert_with(|| by.clone());
                }
                match self.mode {
                    DuplicateMode::Skip => counts.skipped += 1,
                    DuplicateMode::Merge if found.editable => {
                        // Several rows for one record: merged in order, written once.
                        match merges.iter_mut().find(|(m, _)| T::id_of(m) == T::id_of(&found.model)) {
                            Some((_, earlier)) => T::merge_records(earlier, record),
                            None => merges.push((found.model.clone(), record)),
                        }
                        counts.merged += 1;
                    }
                    DuplicateMode::Merge => item.errors.push(FieldError::new(field, "duplicate_not_editable")),
                }
                continue;
            }
            // An earlier row of this batch.
            if let Some(&index) = keys.iter().find_map(|(_, k)| fresh_keys.get(k)) {
                match self.mode {
                    DuplicateMode::Skip => counts.skipped += 1,
                    DuplicateMode::Merge => {
                        for (_, k) in &keys {
                            fresh_keys.entry(k.clone()).or_insert(index);
                        }
                        T::merge_records(&mut fresh[index], record);
                        counts.merged += 1;
                    }
                }
                continue;
            }
            // An earlier batch of a dry run (a real run finds those in the database).
            if dry_run && keys.iter().any(|(_, k)| self.seen.contains(&hashed(k))) {
                match self.mode {
                    DuplicateMode::Skip => counts.skipped += 1,
                    DuplicateMode::Merge => counts.merged += 1,
                }
                continue;
            }
            for (_, k) in &keys {
                fresh_keys.insert(k.clone(), fresh.len());
                if dry_run {
                    self.seen.insert(hashed(k));
                }
            }
            fresh.push(record);
        }
        counts.inserted = fresh.len() as i64;
        if !dry_run {
            T::insert(&txn, fresh).await?;
            for (model, record) in merges {
                T::merge(&txn, &model, record).await?;
            }
        }
        let bad: Vec<&Item<T::Record>> = items.iter().filter(|i| !i.errors.is_empty()).collect();
        counts.rejected = bad.len() as i64;
        let samples_before = self.samples.len();
        for item in &bad {
            for e in &item.errors {
                if self.samples.len() >= SAMPLE_ERRORS {
                    break;
                }
                self.samples.push(self.row_error(item.line, e));
            }
        }
        let mut total = self.counts;
        total.add(counts);
        let mut update = import_job::Entity::update_many()
            .col_expr(import_job::Column::Processed, Expr::value(total.processed))
            .col_expr(import_job::Column::Inserted, Expr::value(total.inserted))
            .col_expr(import_job::Column::Merged, Expr::value(total.merged))
            .col_expr(import_job::Column::Skipped, Expr::value(total.skipped))
            .col_expr(import_job::Column::Rejected, Expr::value(total.rejected))
            .col_expr(import_job::Column::UpdatedAt, Expr::value(txn.now()));
        if self.samples.len() != samples_before {
            update = update.col_expr(
                import_job::Column::SampleErrors,
                Expr::value(serde_json::to_string(&self.samples).unwrap_or_else(|_| "[]".into())),
            );
        }
        let res = update
            .filter(import_job::Column::Id.eq(self.job.id))
            .filter(import_job::Column::Status.eq(Status::Running.code()))
            .exec(&txn)
            .await?;
        if res.rows_affected == 0 {
            self.samples.truncate(samples_before);
            return Ok(false);
        }
        txn.commit_without_audit(Unaudited::ImportBatch).await?;
        self.counts = total;
        self.unflushed += 1;
        if !dry_run && self.unflushed >= FLUSH_EVERY {
            crate::search::flush_pending(self.store).await?;
            self.unflushed = 0;
        }
        for item in bad {
            self.write_report(item)?;
        }
        if let Some(on_progress) = &self.on_progress {
            let mut job = self.job.clone();
            job.processed = total.processed;
            job.inserted = total.inserted;
            job.merged = total.merged;
            job.skipped = total.skipped;
            job.rejected = total.rejected;
            on_progress(&view(job));
        }
        Ok(true)
    }

    fn column_of(&self, field: &str) -> String {
        self.columns.get(field).and_then(|&i| self.header.get(i)).cloned().unwrap_or_else(|| field.to_owned())
    }

    fn row_error(&self, line: u64, e: &FieldError) -> RowError {
        RowError {
            row: line,
            column: self.column_of(&e.field),
            field: e.field.clone(),
            code: e.code.clone(),
            params: e.params.iter().cloned().collect(),
        }
    }

    /// Appends a bad row to the rejected-rows file (UTF-8 with a BOM, so
    /// Excel shows Chinese correctly): row number, the original cells, why.
    fn write_report(&mut self, item: &Item<T::Record>) -> StoreResult<()> {
        let io = |e: std::io::Error| StoreError::Internal(format!("rejected-rows file: {e}"));
        if self.report.is_none() {
            let mut file = BufWriter::new(std::fs::File::create(&self.report_path).map_err(io)?);
            file.write_all(b"\xEF\xBB\xBF").map_err(io)?;
            let mut writer = csv::Writer::from_writer(file);
            let mut head = vec![(self.messages)("imports.report_row")];
            head.extend(self.header.iter().cloned());
            head.push((self.messages)("imports.report_reason"));
            writer.write_record(head.iter().map(|c| csv_safe(c).into_owned())).map_err(|e| io(e.into()))?;
            self.report = Some(writer);
        }
        let reason: Vec<String> = item
            .errors
            .iter()
            .map(|e| format!("{}: {}", self.column_of(&e.field), message(&self.messages, e)))
            .collect();
        let mut record = vec![item.line.to_string()];
        record.extend((0..self.header.len()).map(|i| item.cells.get(i).cloned().unwrap_or_default()));
        record.push(reason.join("; "));
        if let Some(w) = self.report.as_mut() {
            // The user's own cells, but opened in a spreadsheet: no formulas.
            w.write_record(record.iter().map(|c| csv_safe(c).into_owned())).map_err(|e| io(e.into()))?;
        }
        Ok(())
    }

    fn close_report(&mut self) {
        if let Some(mut w) = self.report.take()
            && let Err(e) = w.flush()
        {
            tracing::warn!(error = %e, "rejected-rows file not flushed");
        }
    }

    /// Marks the job done (unless it was cancelled meanwhile) with its
    /// counts, and writes one audit row for the whole import.
    async fn finish(mut self) -> StoreResult<()> {
        let has_report = self.report.is_some();
        self.close_report();
        let txn = self.store.permit_by_record(self.actor).begin().await?;
        let now = txn.now();
        let current = import_job::Entity::find_by_id(self.job.id).one(&txn).await?.ok_or(StoreError::NotFound)?;
        let status = if current.status == Status::Running.code() { Status::Done } else { Status::Cancelled };
        let report = has_report.then(|| self.report_path.to_string_lossy().into_owned());
        import_job::Entity::update_many()
            .col_expr(import_job::Column::Status, Expr::value(status.code()))
            .col_expr(import_job::Column::Processed, Expr::value(self.counts.processed))
            .col_expr(import_job::Column::Inserted, Expr::value(self.counts.inserted))
            .col_expr(import_job::Column::Merged, Expr::value(self.counts.merged))
            .col_expr(import_job::Column::Skipped, Expr::value(self.counts.skipped))
            .col_expr(import_job::Column::Rejected, Expr::value(self.counts.rejected))
            .col_expr(import_job::Column::ReportPath, Expr::value(report))
            .col_expr(
                import_job::Column::SampleErrors,
                Expr::value(serde_json::to_string(&self.samples).unwrap_or_else(|_| "[]".into())),
            )
            .col_expr(import_job::Column::FinishedAt, Expr::value(current.finished_at.unwrap_or(now)))
            .col_expr(import_job::Column::UpdatedAt, Expr::value(now))
            .filter(import_job::Column::Id.eq(self.job.id))
            .exec(&txn)
            .await?;
        if !self.job.dry_run {
            let c = self.counts;
            let detail = serde_json::json!({
                "file_name": self.job.file_name,
                "target": self.job.target,
                "duplicates": self.job.duplicate_mode,
                "status": status.code(),
                "processed": c.processed,
                "inserted": c.inserted,
                "merged": c.merged,
                "skipped": c.skipped,
                "rejected": c.rejected,
            });
            let detail = crate::clashes::import_note(self.actor, self.job.id, detail);
            let action = format!("import.{}", self.target.code());
            txn.commit(AuditEvent::new(action, "import", Some(self.job.id)).detail(detail)).await
        } else {
            txn.commit_without_audit(Unaudited::ImportBookkeeping).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn mapping(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
    }

    #[test]
    fn a_mapping_needs_the_required_fields_once() {
        let h = header(&["客户名称", "等级", "其他"]);
        assert!(check_mapping(Target::Customers, &h, &mapping(&[("客户名称", "name"), ("等级", "grade")])).is_ok());
        let e = check_mapping(Target::Customers, &h, &mapping(&[("等级", "grade")])).unwrap_err();
        assert_eq!(e.0[0].code, "missing_required");
        let e = check_mapping(Target::Customers, &h, &BTreeMap::new()).unwrap_err();
        assert_eq!(e.0[0].code, "no_usable_columns");
        let e = check_mapping(Target::Customers, &h, &mapping(&[("客户名称", "name"), ("其他", "name")])).unwrap_err();
        assert_eq!(e.0[0].code, "mapped_twice");
        let e = check_mapping(Target::Customers, &h, &mapping(&[("客户名称", "name"), ("无", "grade")])).unwrap_err();
        assert_eq!(e.0[0].code, "unknown_column");
        let e =
            check_mapping(Target::Contacts, &h, &mapping(&[("客户名称", "customer"), ("等级", "grade")])).unwrap_err();
        assert!(e.0.iter().any(|e| e.code == "invalid_choice"));
    }
}
