//! Database leases for background jobs: with several nodes, the node that
//! takes the lease runs the job and the others skip it until it expires.

use chrono::Duration;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use crate::Store;
use crate::entity::job_lease::{self, Column, Entity};
use crate::error::StoreResult;

/// Tries to take (or renew) the lease `name` for `holder`; true if taken.
pub async fn try_lease(store: &Store, name: &str, holder: &str, ttl: Duration) -> StoreResult<bool> {
    let now = store.now();
    let txn = store.begin().await?;
    // Take it over if it expired or is already ours.
    let taken = Entity::update_many()
        .col_expr(Column::Holder, Expr::value(holder))
        .col_expr(Column::ExpiresAt, Expr::value(now + ttl))
        .filter(Column::Name.eq(name))
        .filter(Column::Holder.eq(holder).or(Column::ExpiresAt.lt(now)))
        .exec(&txn)
        .await?
        .rows_affected
        == 1;
    if taken {
        txn.commit().await?;
        return Ok(true);
    }
    if Entity::find_by_id(name.to_owned()).one(&txn).await?.is_some() {
        return Ok(false);
    }
    let inserted = job_lease::ActiveModel {
        name: Set(name.to_owned()),
        holder: Set(holder.to_owned()),
        expires_at: Set(now + ttl),
    }
    .insert(&txn)
    .await;
    match inserted {
        Ok(_) => {
            txn.commit().await?;
            Ok(true)
        }
        // Another node inserted it first.
        Err(e) if matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) => Ok(false),
        Err(e) => Err(e.into()),
    }
}
