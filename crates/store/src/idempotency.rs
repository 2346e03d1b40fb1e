//! `Idempotency-Key`: the first request with a key reserves it (a unique
//! index on user and key decides who is first, in one transaction), runs,
//! and keeps its response for a day; a retry with the same key gets that
//! response again instead of a second record, a request still running
//! answers "in progress", and the key reused for a different request
//! (method, path, query or body) is refused.

use chrono::Duration;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};

use crate::Store;
use crate::entity::idempotency_key::{self, Column, Entity};
use crate::error::StoreResult;

/// How long a key and its response are kept.
const KEEP_HOURS: i64 = 24;
/// A reservation older than this is taken to belong to a request that
/// died (a node stopped mid-request), and may be taken over.
const ABANDONED_MINUTES: i64 = 10;
/// `status` of a reservation whose request is still running.
const IN_FLIGHT: i32 = 0;

pub struct Saved {
    pub request_path: String,
    pub status: u16,
    pub body: String,
}

/// What a request with a key may do.
pub enum Reservation {
    /// It holds the key: run it, then [`finish`] (success) or [`release`].
    Reserved(i64),
    /// The first request with the key finished: answer its response.
    Replay(Saved),
    /// The first request with the key is still running.
    InFlight,
    /// The key was used for a different request.
    Mismatch,
}

/// SHA-256 of what makes two requests the same one.
pub fn request_hash(method: &str, path_and_query: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(method.as_bytes());
    h.update(b"\n");
    h.update(path_and_query.as_bytes());
    h.update(b"\n");
    h.update(body);
    hex::encode(h.finalize())
}

/// Reserves `key` for this request, or says why not.
pub async fn reserve(store: &Store, user_id: i64, key: &str, path: &str, hash: &str) -> StoreResult<Reservation> {
    let now = store.now();
    let txn = store.begin().await?;
    // Expired keys and abandoned reservations would block the unique index.
    Entity::delete_many()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::Key.eq(key))
        .filter(
            Condition::any().add(Column::CreatedAt.lte(now - Duration::hours(KEEP_HOURS))).add(
                Condition::all()
                    .add(Column::Status.eq(IN_FLIGHT))
                    .add(Column::CreatedAt.lte(now - Duration::minutes(ABANDONED_MINUTES))),
            ),
        )
        .exec(&txn)
        .await?;
    // Of requests racing with one key exactly one inserts; on PostgreSQL
    // the others wait here for it to commit, then insert nothing.
    let inserted = Entity::insert(idempotency_key::ActiveModel {
        user_id: Set(user_id),
        key: Set(key.to_owned()),
        request_path: Set(path.to_owned()),
        request_hash: Set(hash.to_owned()),
        status: Set(IN_FLIGHT),
        body: Set(String::new()),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict(OnConflict::columns([Column::UserId, Column::Key]).do_nothing().to_owned())
    .exec_without_returning(&txn)
    .await?;
    let row = Entity::find()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::Key.eq(key))
        .one(&txn)
        .await?
        .ok_or_else(|| crate::StoreError::Internal("idempotency key vanished".into()))?;
    txn.commit().await?;
    if inserted == 1 {
        return Ok(Reservation::Reserved(row.id));
    }
    // Keys saved before the request hash was kept match by path alone.
    let same = if row.request_hash.is_empty() { row.request_path == path } else { row.request_hash == hash };
    Ok(if !same {
        Reservation::Mismatch
    } else if row.status == IN_FLIGHT {
        Reservation::InFlight
    } else {
        Reservation::Replay(Saved { request_path: row.request_path, status: row.status as u16, body: row.body })
    })
}

/// Keeps the successful response of the request holding reservation `id`.
pub async fn finish(store: &Store, id: i64, status: u16, body: &str) -> StoreResult<()> {
    let txn = store.begin().await?;
    Entity::update_many()
        .col_expr(Column::Status, Expr::value(i32::from(status)))
        .col_expr(Column::Body, Expr::value(body))
        .filter(Column::Id.eq(id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Gives the key up after a failed request, so that a retry runs again.
pub async fn release(store: &Store, id: i64) -> StoreResult<()> {
    let txn = store.begin().await?;
    Entity::delete_many().filter(Column::Id.eq(id)).filter(Column::Status.eq(IN_FLIGHT)).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// Drops keys older than a day.
pub async fn purge(store: &Store) -> StoreResult<u64> {
    let txn = store.begin().await?;
    let res = Entity::delete_many()
        .filter(Column::CreatedAt.lte(store.now() - Duration::hours(KEEP_HOURS)))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(res.rows_affected)
}
