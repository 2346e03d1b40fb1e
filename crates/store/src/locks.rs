//! Locks that make "check, then write" safe under concurrency, on both
//! backends. On SQLite every write transaction (`Store::begin`) starts with
//! `BEGIN IMMEDIATE` and so holds the database's one write lock from its
//! first statement; on PostgreSQL a check of a limit takes a row lock or an
//! advisory lock first, in the same transaction as the write it guards.

use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::error::StoreResult;

/// The advisory lock key of installation work (migrations, built-in rows,
/// the first administrator): the ASCII of "SALESFLW".
pub(crate) const INSTALL_LOCK: i64 = 0x5341_4C45_5346_4C57;

/// Locks a user's row until the transaction ends. Per-user limits (claims
/// a day, reset links an hour, saved views) are counted after this, so two
/// requests of one user cannot both pass the check.
pub(crate) async fn lock_user<C: ConnectionTrait>(conn: &C, user_id: i64) -> StoreResult<()> {
    if conn.get_database_backend() == DbBackend::Postgres {
        let sql = "SELECT id FROM users WHERE id = $1 FOR UPDATE";
        conn.query_all_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, [user_id.into()])).await?;
    }
    Ok(())
}

/// Serialises installation work of nodes starting at once, until the
/// transaction ends.
pub(crate) async fn lock_install<C: ConnectionTrait>(conn: &C) -> StoreResult<()> {
    if conn.get_database_backend() == DbBackend::Postgres {
        let sql = "SELECT pg_advisory_xact_lock($1)";
        conn.execute_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, [INSTALL_LOCK.into()])).await?;
    }
    Ok(())
}
