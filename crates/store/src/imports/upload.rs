//! Upload and mapping: a file becomes a draft job, previewed with a
//! remembered or guessed mapping, then started (as a dry run or the import).

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use chrono::{DateTime, Utc};
use salesflow_domain::Invalid;
use salesflow_domain::imports::{DuplicateMode, Status, Target, guess_mapping};
use salesflow_domain::validation::FieldError;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};

use super::{
    FieldInfo, ImportView, MAX_DRAFT_BYTES, MAX_DRAFTS, Preview, PreviewColumn, SAMPLE_ROWS, find, inspect,
    require_for, target_of, view,
};
use crate::Store;
use crate::entity::{import_job, import_mapping};
use crate::error::{StoreError, StoreResult};
use crate::scope::Actor;
use crate::unit_of_work::Unaudited;

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
        remember_mapping(&txn, user_id, target, &mapping_json, txn.now()).await?;
    }
    txn.commit_without_audit(Unaudited::ImportBookkeeping).await?;
    Ok(view(m))
}

async fn remember_mapping<C: ConnectionTrait>(
    conn: &C,
    user_id: i64,
    target: Target,
    json: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    // One upsert on the unique (user, target): two imports of one person
    // saved at once cannot both insert (update-then-insert could).
    let row = import_mapping::ActiveModel {
        user_id: Set(user_id),
        target: Set(target.code().to_owned()),
        mapping: Set(json.to_owned()),
        updated_at: Set(now),
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
