//! Store errors: database failures become business errors at this boundary.

use salesflow_domain::Invalid;
use sea_orm::{DbErr, SqlErr};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Missing, soft-deleted, or outside the caller's data scope (the caller
    /// must not learn which).
    #[error("not found")]
    NotFound,
    /// The caller may see the record but not do this to it.
    #[error("forbidden")]
    Forbidden,
    /// The row changed since the caller read it (stale `version`), or a
    /// state that makes the request impossible now.
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(Invalid),
    /// Too many attempts; retry after the given number of seconds.
    #[error("throttled")]
    Throttled { retry_after_secs: i64 },
    /// Wrong credentials (never says which part was wrong).
    #[error("unauthorized")]
    Unauthorized,
    #[error("database error: {0}")]
    Db(DbErr),
    #[error("{0}")]
    Internal(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl From<DbErr> for StoreError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            // The database's own text names tables and indexes: logged, not shown.
            Some(SqlErr::UniqueConstraintViolation(msg)) => {
                tracing::debug!(%msg, "unique constraint");
                StoreError::Conflict("saved at the same time by another request".into())
            }
            _ => StoreError::Db(err),
        }
    }
}

impl From<Invalid> for StoreError {
    fn from(invalid: Invalid) -> Self {
        StoreError::Invalid(invalid)
    }
}

impl From<sea_orm::TransactionError<StoreError>> for StoreError {
    fn from(err: sea_orm::TransactionError<StoreError>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(e) => e,
        }
    }
}
