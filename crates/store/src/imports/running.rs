//! Running a job: the file read in batches, each checked, resolved,
//! de-duplicated and written in one transaction, with the report of bad rows.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::io::{BufWriter, Write};
use std::marker::PhantomData;
use std::ops::ControlFlow;
use std::path::PathBuf;

use salesflow_domain::cells::csv_safe;
use salesflow_domain::imports::{DuplicateMode, Status, Target};
use salesflow_domain::validation::FieldError;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::reader::{self, Format, ReadError, Row};
use super::targets::{self, ImportTarget, Item, Values};

use super::{
    BATCH, BULK_CACHE_MIB, BULK_WAL_MIB, FLUSH_EVERY, ImportView, Messages, OnProgress, RowError, SAMPLE_ERRORS,
    file_error, target_of, view,
};
use crate::Store;
use crate::audit::AuditEvent;
use crate::entity::import_job;
use crate::error::{StoreError, StoreResult};
use crate::scope::Actor;
use crate::unit_of_work::Unaudited;

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
    /// Each batch looks its rows' duplicates up in the tables it fills.
    statistics: crate::LoadStatistics,
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
            statistics: crate::LoadStatistics::new(&["customers", "contacts", "leads"]),
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
        if !dry_run {
            self.statistics.loaded(self.store, (total.inserted + total.merged).max(0) as u64).await?;
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
