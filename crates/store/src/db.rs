//! Connecting: an embedded SQLite file by default, PostgreSQL by URL scheme.

use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, TransactionTrait};
use sea_orm_migration::MigratorTrait;

use crate::error::StoreResult;
use crate::migrations::Migrator;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// SQLite page cache per connection. The one writer gets a large one: bulk
/// loads (imports) insert into big indexes (search bigrams) at random
/// places, and SQLite's default 2 MiB makes each insert a read syscall.
const WRITE_CACHE_KIB: u32 = 256 * 1024;
const READ_CACHE_KIB: u32 = 16 * 1024;
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
}

impl Store {
    /// Opens (and for SQLite creates) the database. Does not migrate.
    pub async fn connect(url: &str) -> StoreResult<Store> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let mut opts = ConnectOptions::new(url.to_owned());
            opts.max_connections(20).min_connections(1).acquire_timeout(Duration::from_secs(10)).sqlx_logging(false);
            let conn = Database::connect(opts).await?;
            return Ok(Store { read: conn.clone(), write: conn, backend: Backend::Postgres });
        }
        let read = Self::sqlite_pool(url, 8, READ_CACHE_KIB).await?;
        let write = Self::sqlite_pool(url, 1, WRITE_CACHE_KIB).await?;
        Ok(Store { read, write, backend: Backend::Sqlite })
    }

    async fn sqlite_pool(url: &str, size: u32, cache_kib: u32) -> StoreResult<DatabaseConnection> {
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
        Ok(Database::connect(opts).await?)
    }

    /// Brings the schema up to date. Nodes starting at once take turns, so
    /// one migrates and the others find nothing pending: on PostgreSQL under
    /// an advisory lock held by a connection of its own (the migrations keep
    /// their own transactions), on SQLite inside one `BEGIN IMMEDIATE`
    /// transaction (DDL is transactional there).
    pub async fn migrate(&self) -> StoreResult<()> {
        match self.backend {
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
                    Migrator::up(&self.write, None).await?;
                    StoreResult::Ok(())
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
                Migrator::up(&txn, None).await?;
                txn.commit().await?;
            }
        };
        // The funnel summary starts empty and follows the time zone.
        crate::funnel::rollup::rebuild_if_stale(self).await?;
        Ok(())
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
        if self.backend == Backend::Sqlite {
            let txn = self.begin().await?;
            txn.execute_unprepared(&format!("PRAGMA cache_size = -{}", mib * 1024)).await?;
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

    /// `SELECT 1`, for the readiness probe.
    pub async fn ping(&self) -> StoreResult<()> {
        self.read.execute_unprepared("SELECT 1").await?;
        Ok(())
    }
}
