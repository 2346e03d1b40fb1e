//! Reading jobs (one, a page, the rejected-rows report), cancelling, and
//! the upkeep of stale jobs and old files.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use salesflow_domain::access::{Action, Module};
use salesflow_domain::imports::Status;
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use super::{IMPORT_RIGHTS, ImportView, blocking, find, require_for, target_of, view, visible};
use crate::Store;
use crate::audit::AuditEvent;
use crate::entity::{import_job, user};
use crate::error::{StoreError, StoreResult};
use crate::paging::{Key, Keyset, Page, PageRequest, SortField};
use crate::scope::Actor;
use crate::unit_of_work::Unaudited;

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
