//! `salesflow import`: the web import from the command line — the same
//! checks, duplicates and rejected-rows file — with a progress bar.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use salesflow_domain::imports::{DuplicateMode, Target};
use salesflow_store::imports::{self, ImportView, StartInput};
use salesflow_store::{Actor, Store, StoreError};

#[derive(Args)]
pub struct ImportArgs {
    /// What to import: customers, contacts or leads.
    #[arg(long, value_parser = ["customers", "contacts", "leads"])]
    target: String,
    /// A CSV (UTF-8 or GBK) or Excel (.xlsx, .xls) file; the first row holds the column names.
    #[arg(long)]
    file: PathBuf,
    /// Check every row and report the bad ones; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// What to do with rows that match an existing record (same name; for
    /// contacts and leads same phone or e-mail): skip them, or merge their
    /// non-blank cells.
    #[arg(long, default_value = "skip", value_parser = ["skip", "merge"])]
    duplicates: String,
    /// Import as this user (their permissions, scope and remembered mapping;
    /// they own customers without an owner column). Default: the system,
    /// which puts such customers into the public pool (leads need an owner:
    /// name one in an owner column or with --as).
    #[arg(long = "as", value_name = "USERNAME")]
    as_user: Option<String>,
    /// Column mapping as JSON, e.g. '{"客户名称": "name", "等级": "grade"}';
    /// default: the remembered mapping, then guesses from the column names.
    #[arg(long)]
    mapping: Option<String>,
}

fn locale() -> &'static str {
    let lang = std::env::var("LC_ALL").or_else(|_| std::env::var("LANG")).unwrap_or_default();
    if lang.starts_with("zh") { "zh-CN" } else { "en" }
}

/// A store error as a sentence, with field messages translated.
fn explain(e: StoreError) -> anyhow::Error {
    match e {
        StoreError::Invalid(invalid) => {
            let lines: Vec<String> = invalid
                .0
                .iter()
                .map(|fe| format!("{}: {}", fe.field, salesflow_web::i18n::field_message(locale(), fe)))
                .collect();
            anyhow::anyhow!("{}", lines.join("\n"))
        }
        StoreError::NotFound => anyhow::anyhow!("no such user (or not active)"),
        StoreError::Forbidden => anyhow::anyhow!("this user's role may not import {}", "these records"),
        other => other.into(),
    }
}

pub async fn run(store: &Store, args: ImportArgs) -> anyhow::Result<()> {
    let target = Target::parse(&args.target).context("unknown target")?;
    let duplicates = DuplicateMode::parse(&args.duplicates).context("unknown duplicate mode")?;
    let mapping = args
        .mapping
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .context("--mapping must be a JSON object of column name to field")?;
    let actor = match &args.as_user {
        Some(name) => imports::actor_for_username(store, name).await.map_err(explain)?,
        None => Actor::system(),
    };
    let path = args.file.canonicalize().with_context(|| format!("cannot open {}", args.file.display()))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("import").to_owned();
    let draft = imports::upload(store, &actor, target, &name, &path).await.map_err(explain)?;
    let job = imports::start(store, &actor, draft.id, StartInput { mapping, duplicates, dry_run: args.dry_run })
        .await
        .map_err(explain)?;
    for (column, field) in &job.mapping {
        println!("  {column} → {field}");
    }

    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} rows ({per_sec}, {eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(if args.dry_run { "dry run" } else { "importing" });
    let shown = bar.clone();
    let on_progress: imports::OnProgress = Arc::new(move |v: &ImportView| {
        if let Some(total) = v.total_rows {
            shown.set_length(total as u64);
        }
        shown.set_position(v.processed as u64);
    });
    let lang = locale();
    let messages: imports::Messages = Arc::new(move |key: &str| salesflow_web::i18n::t(lang, key));
    let started = std::time::Instant::now();
    let done = imports::run(store, &actor, job.id, messages, Some(on_progress)).await.map_err(explain)?;
    bar.finish();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "import {} {}: {} rows in {:.1} s ({:.0} rows/s): {} {}, {} merged, {} skipped as duplicates, {} rejected",
        done.id,
        done.status,
        done.processed,
        secs,
        done.processed as f64 / secs.max(0.001),
        done.inserted,
        if done.dry_run { "would be added" } else { "added" },
        done.merged,
        done.skipped,
        done.rejected,
    );
    if let Some(error) = &done.error {
        anyhow::bail!("the import failed: {error}");
    }
    if done.has_report {
        let report = imports::report(store, &actor, done.id).await.map_err(explain)?;
        println!("rejected rows with their reasons: {}", report.display());
    }
    Ok(())
}
