//! Connecting: an embedded SQLite file by default, PostgreSQL by URL scheme.

use std::time::Duration;

use salesflow_domain::time::Clock;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, TransactionTrait};
use sea_orm_migration::MigratorTrait;

use crate::error::StoreResult;
use crate::migrations::Migrator;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// How many connections a node opens and how much memory SQLite's page
/// caches may take; `salesflow serve` reads them from the command line or
/// the environment (`SALESFLOW_DB_POOL`, `SALESFLOW_SQLITE_CACHE_MB`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DbSettings {
    /// PostgreSQL: connections per node (five nodes at the default stay
    /// well under PostgreSQL's default `max_connections` of 100). SQLite:
    /// reading connections (there is always one writer besides).
    pub pool_size: u32,
    /// SQLite: page cache of all connections together, in MiB: the writer
    /// gets half, the readers share the other half. Bulk loads (`gen`,
    /// imports) enlarge the writer's for their duration.
    pub sqlite_cache_mib: u32,
}

impl Default for DbSettings {
    fn default() -> Self {
        // 64 MiB of cache keeps the server well under 200 MB at a million
        // customers (the old 8 × 16 MiB + 256 MiB let it grow to ~450 MB);
        // the hot pages of the lists' indexes fit, the OS cache holds the rest.
        DbSettings { pool_size: 10, sqlite_cache_mib: 64 }
    }
}

impl DbSettings {
    /// The writer's and each reader's page cache, in KiB.
    fn sqlite_caches_kib(&self) -> (u32, u32) {
        let total = self.sqlite_cache_mib.max(2) * 1024;
        (total / 2, (total / 2 / self.pool_size.max(1)).max(512))
    }
}
/// SQLite's own default for `wal_autocheckpoint`.
const DEFAULT_AUTOCHECKPOINT_PAGES: u32 = 1000;

/// The handle every area module works through.
///
/// SQLite allows one writer at a time; a transaction that starts reading
/// and later writes fails at once with `SQLITE_BUSY` when another writer got
/// in between. So on SQLite all writes go through a one-connection pool and
/// wait their turn, while reads use the larger pool. On PostgreSQL both are
/// the same pool.
#[derive(Clone)]
pub struct Store {
    read: DatabaseConnection,
    write: DatabaseConnection,
    backend: Backend,
    /// SQLite: the writer's usual page cache, restored after a bulk load.
    write_cache_kib: u32,
    /// "Now" for every write and rule: the system clock unless a test fixes it.
    clock: Clock,
}

impl Store {
    /// Opens (and for SQLite creates) the database with the default
    /// settings. Does not migrate.
    pub async fn connect(url: &str) -> StoreResult<Store> {
        Self::connect_with(url, &DbSettings::default()).await
    }

    /// Opens (and for SQLite creates) the database. Does not migrate.
    pub async fn connect_with(url: &str, settings: &DbSettings) -> StoreResult<Store> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let mut opts = ConnectOptions::new(url.to_owned());
            opts.max_connections(settings.pool_size.max(1))
                .min_connections(1)
                .acquire_timeout(Duration::from_secs(10))
                .sqlx_logging(false);
            if !ssl_mode_given(url, std::env::var("PGSSLMODE").ok().as_deref()) {
                opts.map_sqlx_postgres_opts(|o| {
                    // The driver cannot set TCP_NODELAY on its socket, and
                    // through TLS a large write goes out as several records:
                    // Nagle's algorithm then holds the last one until the
                    // server's delayed ACK (~40 ms a statement). On this
                    // machine's own addresses TLS protects nothing, so the
                    // default `prefer` becomes `disable`; elsewhere the
                    // operator chooses (docs/DEPLOYMENT.md, "PostgreSQL and TLS").
                    if o.get_socket().is_some() || is_loopback(o.get_host()) {
                        o.ssl_mode(sea_orm::sqlx::postgres::PgSslMode::Disable)
                    } else {
                        o
                    }
                });
            }
            let conn = Database::connect(opts).await?;
            return Ok(Store {
                read: conn.clone(),
                write: conn,
                backend: Backend::Postgres,
                write_cache_kib: 0,
                clock: Clock::system(),
            });
        }
        let (write_kib, read_kib) = settings.sqlite_caches_kib();
        let read = Self::sqlite_pool(url, settings.pool_size.max(1), read_kib).await?;
        let write = Self::sqlite_pool(url, 1, write_kib).await?;
        Ok(Store { read, write, backend: Backend::Sqlite, write_cache_kib: write_kib, clock: Clock::system() })
    }

    /// Opens a pool on the SQLite file. Nodes starting at once on a new file
    /// race to switch it to WAL, and SQLite answers that switch with "database
    /// is locked" at once, without waiting for the busy timeout: such a
    /// start is tried again for up to ten seconds.
    async fn sqlite_pool(url: &str, size: u32, cache_kib: u32) -> StoreResult<DatabaseConnection> {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            match Self::open_sqlite_pool(url, size, cache_kib).await {
                Err(sea_orm::DbErr::Conn(e))
                    if e.to_string().contains("database is locked") && std::time::Instant::now() < deadline =>
                {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                result => return Ok(result?),
            }
        }
    }

    async fn open_sqlite_pool(url: &str, size: u32, cache_kib: u32) -> Result<DatabaseConnection, sea_orm::DbErr> {
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.max_connections(size)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(move |o| {
                o.create_if_missing(true)
                    .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
                    // Negative: KiB rather than pages.
                    .pragma("cache_size", format!("-{cache_kib}"))
            });
        Database::connect(opts).await
    }

    /// Runs the pending migrations that come before the one named `first_not_run`
    /// (none of the others): tests of a data migration write rows in the
    /// old shape first. Not for running installations.
    #[doc(hidden)]
    pub async fn migrate_before(&self, first_not_run: &str) -> StoreResult<()> {
        let pending = Migrator::get_pending_migrations(&self.write).await?;
        let steps = pending.iter().position(|m| m.name() == first_not_run).unwrap_or(pending.len());
        Migrator::up(&self.write, Some(steps as u32)).await?;
        Ok(())
    }

    /// Brings the schema up to date. Nodes starting at once take turns, so
    /// one migrates and the others find nothing pending: on PostgreSQL under
    /// an advisory lock held by a connection of its own (the migrations keep
    /// their own transactions), on SQLite inside one `BEGIN IMMEDIATE`
    /// transaction (DDL is transactional there).
    pub async fn migrate(&self) -> StoreResult<()> {
        let pending = match self.backend {
            Backend::Postgres => {
                use sea_orm::sqlx;
                let failed = |e: sqlx::Error| crate::StoreError::Internal(format!("migration lock: {e}"));
                // Detached: the pool opens another in its place, so even a
                // pool of one connection cannot wait on itself.
                let mut lock = self.write.get_postgres_connection_pool().acquire().await.map_err(failed)?.detach();
                sqlx::query("SELECT pg_advisory_lock($1)")
                    .bind(crate::locks::INSTALL_LOCK)
                    .execute(&mut lock)
                    .await
                    .map_err(failed)?;
                let result = async {
                    let pending = Migrator::get_pending_migrations(&self.write).await?.len();
                    Migrator::up(&self.write, None).await?;
                    StoreResult::Ok(pending)
                }
                .await;
                // Closing the connection ends the lock too; unlock first to be quick.
                let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
                    .bind(crate::locks::INSTALL_LOCK)
                    .execute(&mut lock)
                    .await;
                let _ = sea_orm::sqlx::Connection::close(lock).await;
                result?
            }
            Backend::Sqlite => {
                let txn = self.begin_waiting().await?;
                let pending = Migrator::get_pending_migrations(&txn).await?.len();
                Migrator::up(&txn, None).await?;
                txn.commit().await?;
                pending
            }
        };
        if pending > 0 {
            // New tables and indexes have no statistics yet.
            self.refresh_statistics().await?;
        }
        // The funnel summary starts empty and follows the time zone.
        crate::reports::rollup::rebuild_if_stale(self).await?;
        Ok(())
    }

    /// The same store reading "now" from `clock` (tests fix it).
    pub fn with_clock(mut self, clock: Clock) -> Store {
        self.clock = clock;
        self
    }

    /// The current instant by the store's clock: store code reads this,
    /// never `Utc::now()`.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// For reads and scope-filtered lists.
    pub fn reader(&self) -> &DatabaseConnection {
        &self.read
    }

    /// Starts the one transaction a write runs in.
    ///
    /// On SQLite it is `BEGIN IMMEDIATE`: the write lock is taken at once,
    /// so what the transaction reads and checks cannot be changed by another
    /// process (a second node on the same file) before it writes; a
    /// deferred transaction would fail with `SQLITE_BUSY` there instead.
    pub async fn begin(&self) -> StoreResult<DatabaseTransaction> {
        Ok(match self.backend {
            Backend::Sqlite => {
                let options = sea_orm::TransactionOptions {
                    sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
                    ..Default::default()
                };
                self.write.begin_with_options(options).await?
            }
            Backend::Postgres => self.write.begin().await?,
        })
    }

    /// [`Store::begin`] that keeps waiting (up to ten minutes) while another
    /// process holds SQLite's write lock longer than the busy timeout, e.g.
    /// a node migrating a large database.
    async fn begin_waiting(&self) -> StoreResult<DatabaseTransaction> {
        let mut tries = 0;
        loop {
            match self.begin().await {
                Err(e) if tries < 60 && e.to_string().contains("locked") => tries += 1,
                other => return other,
            }
        }
    }

    /// Gives the one writing SQLite connection a large page cache for a bulk
    /// load (import, `gen`): inserts land at random places in big indexes,
    /// which then stay in memory instead of being re-read and re-written.
    pub async fn enlarge_write_cache(&self, mib: u64) -> StoreResult<()> {
        self.set_write_cache_kib(mib * 1024).await
    }

    /// Gives the writing SQLite connection its usual page cache again
    /// (SQLite frees the pages beyond it).
    pub async fn restore_write_cache(&self) -> StoreResult<()> {
        self.set_write_cache_kib(u64::from(self.write_cache_kib)).await
    }

    async fn set_write_cache_kib(&self, kib: u64) -> StoreResult<()> {
        if self.backend == Backend::Sqlite {
            let txn = self.begin().await?;
            txn.execute_unprepared(&format!("PRAGMA cache_size = -{kib}")).await?;
            txn.commit().await?;
        }
        Ok(())
    }

    /// Lets the write-ahead log of the one SQLite writer grow to about
    /// `mib` before SQLite copies it back into the database file (and
    /// syncs that), instead of SQLite's default of 4 MiB; `None` restores
    /// the default, checkpoints at once and truncates the log file.
    ///
    /// A bulk load commits every few thousand rows, and each commit dirties
    /// thousands of index pages (search bigrams, names); with the default,
    /// nearly every commit was followed by a checkpoint that wrote those
    /// pages again and synced the file. With a large log a page changed by
    /// many commits is written back once. Readers are unaffected (they read
    /// the log too); the log file grows to about `mib` meanwhile.
    pub async fn defer_checkpoints(&self, mib: Option<u32>) -> StoreResult<()> {
        if self.backend != Backend::Sqlite {
            return Ok(());
        }
        // Pages of the database (4 KiB by default) the log may hold.
        let page_kib = 4;
        let pages = mib.map(|m| m * 1024 / page_kib).unwrap_or(DEFAULT_AUTOCHECKPOINT_PAGES);
        let txn = self.begin().await?;
        txn.execute_unprepared(&format!("PRAGMA wal_autocheckpoint = {pages}")).await?;
        txn.commit().await?;
        if mib.is_none() {
            // Copies the log back and shrinks its file again.
            self.write.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)").await?;
        }
        Ok(())
    }

    /// Refreshes the planner's statistics: `ANALYZE` on PostgreSQL,
    /// `PRAGMA optimize` on SQLite (which analyses only the tables whose
    /// size changed much since, with a bounded sample). Run after
    /// migrations, bulk loads and by housekeeping: without statistics the
    /// planners guess, and plans differed by 1.3–5× before and after.
    pub async fn refresh_statistics(&self) -> StoreResult<()> {
        match self.backend {
            Backend::Postgres => self.write.execute_unprepared("ANALYZE").await?,
            // 0x10002: every table, not only those this connection used.
            Backend::Sqlite => self.write.execute_unprepared("PRAGMA optimize = 0x10002").await?,
        };
        Ok(())
    }

    /// [`Store::refresh_statistics`] after a bulk load (`gen`, an import):
    /// on PostgreSQL `VACUUM (ANALYZE)`, which also marks the new pages
    /// all-visible, so that index-only scans (the search bigrams, the
    /// covering indexes of lists and reports) need not visit the table.
    /// Autovacuum would get there, minutes later.
    pub async fn after_bulk_load(&self) -> StoreResult<()> {
        match self.backend {
            Backend::Postgres => {
                self.write.execute_unprepared("VACUUM (ANALYZE)").await?;
                Ok(())
            }
            Backend::Sqlite => self.refresh_statistics().await,
        }
    }

    /// `ANALYZE` of the given tables on PostgreSQL (SQLite's planner has
    /// no statistics until [`Store::refresh_statistics`] and guesses well).
    async fn analyze(&self, tables: &[&str]) -> StoreResult<()> {
        if self.backend == Backend::Postgres {
            self.write.execute_unprepared(&format!("ANALYZE {}", tables.join(", "))).await?;
        }
        Ok(())
    }

    /// Counts the statements run through this handle (and its clones made
    /// afterwards) from now on: tests keep round trips per request bounded.
    #[doc(hidden)]
    pub fn count_statements(&mut self) -> std::sync::Arc<std::sync::atomic::AtomicU64> {
        let n = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        for conn in [&mut self.read, &mut self.write] {
            let n = n.clone();
            conn.set_metric_callback(move |_| {
                n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            });
        }
        n
    }

    /// Keeps every statement run through this handle (and its clones made
    /// afterwards) from now on: tests check the plans of the SQL the lists
    /// really send.
    #[doc(hidden)]
    pub fn record_statements(&mut self) -> std::sync::Arc<std::sync::Mutex<Vec<sea_orm::Statement>>> {
        let kept = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        for conn in [&mut self.read, &mut self.write] {
            let kept = kept.clone();
            conn.set_metric_callback(move |info| {
                if let Ok(mut v) = kept.lock() {
                    v.push(info.statement.clone());
                }
            });
        }
        kept
    }

    /// `SELECT 1`, for the readiness probe.
    pub async fn ping(&self) -> StoreResult<()> {
        self.read.execute_unprepared("SELECT 1").await?;
        Ok(())
    }
}

/// Whether the URL (or `PGSSLMODE`) says how to use TLS.
fn ssl_mode_given(url: &str, env: Option<&str>) -> bool {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    env.is_some_and(|v| !v.is_empty())
        || query.split('&').any(|pair| {
            let key = pair.split_once('=').map_or(pair, |(k, _)| k);
            key.eq_ignore_ascii_case("sslmode") || key.eq_ignore_ascii_case("ssl-mode")
        })
}

/// `localhost`, 127.0.0.0/8 or ::1 (brackets allowed).
fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Keeps the planner's statistics in step with a bulk load whose batches
/// look rows up as they go (`gen`, imports): the loaded tables are analysed
/// each time the rows loaded doubled. Autovacuum does that on a default
/// PostgreSQL server, minutes later; with it off (as on this project's
/// test machines) the planner kept the empty tables' statistics, and `gen`
/// at 440,000 deals read 375,000 of them for each batch of 1,000 (0.9 s a
/// batch, 20 times slower than after an `ANALYZE`).
pub struct LoadStatistics {
    tables: &'static [&'static str],
    next: u64,
}

impl LoadStatistics {
    /// The first refresh: below this the guesses are cheap whatever they are.
    const FIRST: u64 = 20_000;

    pub fn new(tables: &'static [&'static str]) -> Self {
        LoadStatistics { tables, next: Self::FIRST }
    }

    /// `rows` loaded so far.
    pub async fn loaded(&mut self, store: &Store, rows: u64) -> StoreResult<()> {
        if rows >= self.next {
            self.next = rows.saturating_mul(2);
            store.analyze(self.tables).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_default_follows_the_url() {
        assert!(!ssl_mode_given("postgres://u@db.example.com/sf", None));
        assert!(ssl_mode_given("postgres://u@db.example.com/sf?sslmode=require", None));
        assert!(ssl_mode_given("postgres://u@h/sf?application_name=x&ssl-mode=prefer", None));
        assert!(ssl_mode_given("postgres://u@h/sf", Some("verify-full")));
        assert!(!ssl_mode_given("postgres://u@h/sf?application_name=sslmode", None));
        for host in ["localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]"] {
            assert!(is_loopback(host), "{host}");
        }
        for host in ["db.example.com", "10.0.0.5", "::2", "localhost.example.com"] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn caches_stay_within_the_budget() {
        let (w, r) = DbSettings::default().sqlite_caches_kib();
        assert_eq!(w, 32 * 1024);
        assert!(w + r * DbSettings::default().pool_size <= 64 * 1024 + 1024);
        let (_, r) = DbSettings { pool_size: 1000, sqlite_cache_mib: 8 }.sqlite_caches_kib();
        assert_eq!(r, 512, "a floor per connection");
    }
}
