//! `Idempotency-Key`: the first response to a POST is kept for a day, and
//! a retry with the same key gets it again instead of a second record.

use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use crate::Store;
use crate::entity::idempotency_key::{self, Column, Entity};
use crate::error::StoreResult;

pub struct Saved {
    pub request_path: String,
    pub status: u16,
    pub body: String,
}

pub async fn find(store: &Store, user_id: i64, key: &str) -> StoreResult<Option<Saved>> {
    let since = Utc::now() - Duration::hours(24);
    let row = Entity::find()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::Key.eq(key))
        .filter(Column::CreatedAt.gt(since))
        .one(store.reader())
        .await?;
    Ok(row.map(|r| Saved { request_path: r.request_path, status: r.status as u16, body: r.body }))
}

/// Saves a response; a concurrent save of the same key keeps the first.
pub async fn save(store: &Store, user_id: i64, key: &str, path: &str, status: u16, body: &str) -> StoreResult<()> {
    let txn = store.begin().await?;
    // An expired row with the same key would block the unique index.
    Entity::delete_many()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::Key.eq(key))
        .filter(Column::CreatedAt.lte(Utc::now() - Duration::hours(24)))
        .exec(&txn)
        .await?;
    let inserted = idempotency_key::ActiveModel {
        user_id: Set(user_id),
        key: Set(key.to_owned()),
        request_path: Set(path.to_owned()),
        status: Set(status as i32),
        body: Set(body.to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    match inserted {
        Ok(_) => txn.commit().await?,
        Err(e) if matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

/// Drops keys older than a day.
pub async fn purge(store: &Store) -> StoreResult<u64> {
    let txn = store.begin().await?;
    let res = Entity::delete_many().filter(Column::CreatedAt.lte(Utc::now() - Duration::hours(24))).exec(&txn).await?;
    txn.commit().await?;
    Ok(res.rows_affected)
}
