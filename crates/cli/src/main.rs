//! `salesflow`: the one binary. Serves the web UI and API, migrates,
//! manages users, loads demo data and generates benchmark data.
#![forbid(unsafe_code)]

mod commands;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use salesflow_store::DbSettings;

#[derive(Parser)]
#[command(name = "salesflow", version, about = "Salesflow — sales process management (销售进程管理系统)")]
struct Cli {
    #[command(flatten)]
    db: DbArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
pub struct DbArgs {
    /// Database URL: `sqlite://path.db` or `postgres://user@host/db`.
    /// Default: an SQLite file in the data directory.
    #[arg(long, env = "DATABASE_URL", global = true)]
    database_url: Option<String>,
    /// Where the default SQLite file lives.
    #[arg(long, env = "SALESFLOW_DATA_DIR", default_value = "data", global = true)]
    data_dir: PathBuf,
    /// Database connections of this process: on PostgreSQL all of them
    /// (keep nodes × this under the server's `max_connections`), on SQLite
    /// the reading ones (plus one writer).
    #[arg(long, env = "SALESFLOW_DB_POOL", default_value_t = DbSettings::default().pool_size,
          value_parser = clap::value_parser!(u32).range(1..=1000), global = true)]
    db_pool_size: u32,
    /// SQLite page cache of all connections together, in MiB (half for the
    /// writer, half shared by the readers); the main part of the server's memory.
    #[arg(long, env = "SALESFLOW_SQLITE_CACHE_MB", default_value_t = DbSettings::default().sqlite_cache_mib,
          value_parser = clap::value_parser!(u32).range(2..=65536), global = true)]
    sqlite_cache_mb: u32,
}

impl DbArgs {
    /// The URL to connect to; creates the data directory for SQLite.
    pub fn url(&self) -> anyhow::Result<String> {
        if let Some(url) = &self.database_url {
            return Ok(url.clone());
        }
        std::fs::create_dir_all(&self.data_dir)?;
        Ok(format!("sqlite://{}?mode=rwc", self.data_dir.join("salesflow.db").display()))
    }

    pub fn settings(&self) -> DbSettings {
        DbSettings { pool_size: self.db_pool_size, sqlite_cache_mib: self.sqlite_cache_mb }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the web UI and JSON API (migrates the database first).
    Serve(ServeArgs),
    /// Create or update the database schema, then exit.
    Migrate,
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Load the demo company (departments and people, Chinese and English names).
    Demo,
    /// Generate benchmark-scale data.
    Gen(commands::generate::GenArgs),
    /// Import customers, contacts or leads from a CSV or Excel file.
    Import(commands::import::ImportArgs),
    /// Count the funnel analysis summary again from the stage history
    /// (after rows were restored or edited outside Salesflow).
    RebuildFunnel,
}

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "SALESFLOW_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Load the demo company first when the database has no demo data yet.
    #[arg(long)]
    demo: bool,
    /// The address users reach Salesflow at (for links in e-mails).
    #[arg(long, env = "SALESFLOW_PUBLIC_URL")]
    public_url: Option<String>,
    /// Mark cookies Secure (when served over HTTPS).
    #[arg(long, env = "SALESFLOW_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Take the client address from X-Forwarded-For (behind a proxy).
    #[arg(long, env = "SALESFLOW_TRUST_PROXY")]
    trust_proxy: bool,
    /// SMTP server for e-mail, e.g. smtps://user:pass@mail.example.com;
    /// without it e-mails stay in the outbox for administrators.
    #[arg(long, env = "SALESFLOW_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// Sender of e-mails.
    #[arg(long, env = "SALESFLOW_MAIL_FROM", default_value = "Salesflow <no-reply@salesflow.local>")]
    mail_from: String,
    /// This node's name (logs and job leases); default: host and port.
    #[arg(long, env = "SALESFLOW_NODE_NAME")]
    node_name: Option<String>,
    /// Largest import file accepted, in MiB (uploads are kept under the data directory).
    #[arg(long, env = "SALESFLOW_UPLOAD_MAX_MB", default_value_t = 200)]
    upload_max_mb: u64,
    /// Largest attachment (customers, contacts, deals) accepted, in MiB.
    #[arg(long, env = "SALESFLOW_ATTACHMENT_MAX_MB", default_value_t = 20)]
    attachment_max_mb: u64,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; the password is read from standard input.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        /// admin, sales_manager, salesperson, marketing, warehouse, after_sales, management (or a custom role's code).
        #[arg(long)]
        role: String,
        /// Shown name; defaults to the username.
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from standard input (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Set a user's password (read from standard input) and end their sessions.
    ResetPassword {
        /// Username or e-mail address.
        username: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn,tower_http=info".into());
    // JSON lines for log collectors; human-readable text otherwise.
    if std::env::var("SALESFLOW_LOG_FORMAT").is_ok_and(|f| f == "json") {
        tracing_subscriber::fmt().json().with_env_filter(filter).init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).with_target(false).init();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let url = cli.db.url()?;
    let db = cli.db.settings();
    match cli.command {
        Command::Serve(args) => commands::serve::run(&url, &db, &cli.db.data_dir, args).await,
        Command::Migrate => {
            let store = commands::open(&url, &db).await?;
            // Also when nothing was pending: `migrate` is what operators run by hand.
            store.refresh_statistics().await?;
            drop(store);
            println!("database is up to date");
            Ok(())
        }
        Command::User(UserCommand::Create { username, email, role, display_name, .. }) => {
            let password = commands::read_password()?;
            commands::user::create(&url, &db, &username, &email, &role, display_name.as_deref(), &password).await
        }
        Command::User(UserCommand::ResetPassword { username, .. }) => {
            let password = commands::read_password()?;
            commands::user::reset_password(&url, &db, &username, &password).await
        }
        Command::Demo => {
            let store = commands::open(&url, &db).await?;
            commands::demo::load(&store, &cli.db.data_dir).await
        }
        Command::Gen(args) => {
            let store = commands::open(&url, &db).await?;
            commands::generate::run(&store, args).await
        }
        Command::Import(args) => {
            let store = commands::open(&url, &db).await?;
            commands::import::run(&store, args).await
        }
        Command::RebuildFunnel => {
            let store = commands::open(&url, &db).await?;
            let started = std::time::Instant::now();
            salesflow_store::reports::rollup::rebuild(&store).await?;
            println!("funnel summary rebuilt in {:.1} s", started.elapsed().as_secs_f64());
            Ok(())
        }
    }
}
