//! Who owns a customer: claiming from the public pool, releasing,
//! returning idle customers to it, handing over, and the ownership timeline.

use chrono::{DateTime, Duration, Utc};
use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::customers::{self as rules, Grade};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};

use super::{CustomerView, find_visible, one_view, tags};
use crate::Store;
use crate::audit::{self, AuditEvent};
use crate::entity::{audit_entry, customer, pool_claim};
use crate::error::{StoreError, StoreResult};
use crate::scope::Actor;
use crate::shared::clean;
use crate::unit_of_work::UnitOfWork;

/// Takes a customer from the public pool. Two people claiming at once:
/// the second gets a conflict. At most the configured number of claims per
/// person in 24 hours, counted from the claim log (a customer claimed,
/// released and claimed again counts twice), under a lock on the person's
/// row in the transaction that claims, so parallel claims cannot overrun it.
pub async fn claim(store: &Store, actor: &Actor, id: i64) -> StoreResult<CustomerView> {
    let permit = store.permit(actor, Module::Customers, Action::Edit)?;
    let me = actor.user_id.ok_or(StoreError::Forbidden)?;
    let limit = u64::from(crate::settings::get(store).await?.settings.pool_claim_limit);
    let txn = permit.begin().await?;
    crate::locks::lock_user(&txn, me).await?;
    let now = txn.now();
    let before = find_visible(&txn, actor, id).await?;
    if before.deleted_at.is_some() {
        return Err(StoreError::NotFound);
    }
    if before.owner_id.is_some() {
        return Err(Invalid::one("owner_id", "not_in_pool").into());
    }
    let claims = pool_claim::Entity::find()
        .filter(pool_claim::Column::UserId.eq(me))
        .filter(pool_claim::Column::ClaimedAt.gt(rules::claim_window_start(now)))
        .count(&txn)
        .await?;
    rules::check_claim_limit(claims, limit)?;
    let after = txn
        .update::<customer::Entity>(id, before.version)
        .set(customer::Column::OwnerId, Expr::value(me))
        .set(customer::Column::ClaimedAt, Expr::value(now))
        .set(customer::Column::LastActivityAt, Expr::value(now))
        .only_if(customer::Column::OwnerId.is_null())
        .conflict("claimed by someone else")
        .exec()
        .await?;
    pool_claim::ActiveModel { user_id: Set(me), customer_id: Set(id), claimed_at: Set(now), ..Default::default() }
        .insert(&txn)
        .await?;
    let v = one_view(&txn, after).await?;
    txn.commit(AuditEvent::new("customer.claim", "customer", Some(id)).detail(serde_json::json!({ "owner_id": me })))
        .await?;
    Ok(v)
}

/// Puts a customer back into the public pool.
pub async fn release(store: &Store, actor: &Actor, id: i64) -> StoreResult<CustomerView> {
    let permit = store.permit(actor, Module::Customers, Action::Edit)?;
    let txn = permit.begin().await?;
    let before = find_visible(&txn, actor, id).await?;
    if before.deleted_at.is_some() {
        return Err(StoreError::NotFound);
    }
    let Some(owner) = before.owner_id else {
        return Err(Invalid::one("owner_id", "already_in_pool").into());
    };
    let mine = actor.user_id == Some(owner);
    let manages = actor.can(Module::Customers, Action::Administer) && actor.sees_owner(Some(owner));
    if !(mine || manages) {
        return Err(StoreError::Forbidden);
    }
    let after = txn
        .update::<customer::Entity>(id, before.version)
        .set(customer::Column::OwnerId, Expr::value(Option::<i64>::None))
        .set(customer::Column::ClaimedAt, Expr::value(Option::<DateTime<Utc>>::None))
        .exec()
        .await?;
    let v = one_view(&txn, after).await?;
    let detail = serde_json::json!({ "previous_owner_id": owner });
    txn.commit(AuditEvent::new("customer.release", "customer", Some(id)).detail(detail)).await?;
    Ok(v)
}

/// Returns customers whose owner recorded no activity for the configured
/// number of days to the public pool, at most `batch` per call; each move is
/// audited. Run by the background job under its lease.
pub async fn return_idle_to_pool(store: &Store, batch: u64) -> StoreResult<u64> {
    let days = crate::settings::get(store).await?.settings.pool_return_days;
    let cutoff = store.now() - Duration::days(i64::from(days));
    let system = Actor::system();
    let txn = store.permit_own(&system).begin().await?;
    let idle = customer::Entity::find()
        .filter(customer::Column::OwnerId.is_not_null())
        .filter(customer::Column::DeletedAt.is_null())
        .filter(customer::Column::LastActivityAt.lt(cutoff))
        .limit(batch)
        .all(&txn)
        .await?;
    let mut audited = None;
    for c in &idle {
        txn.update::<customer::Entity>(c.id, c.version)
            .set(customer::Column::OwnerId, Expr::value(Option::<i64>::None))
            .set(customer::Column::ClaimedAt, Expr::value(Option::<DateTime<Utc>>::None))
            .exec_without_reading()
            .await?;
        let detail = serde_json::json!({ "previous_owner_id": c.owner_id, "idle_days": days });
        audited = Some(
            txn.record(AuditEvent::new("customer.returned_to_pool", "customer", Some(c.id)).detail(detail)).await?,
        );
    }
    // Nothing idle: nothing was written, the unit just ends.
    if let Some(audited) = audited {
        txn.commit_recorded(audited).await?;
    }
    Ok(idle.len() as u64)
}

/// The customers of `from` a hand-over would move: all the live ones (a
/// soft-deleted customer stays where it is, also for "move all"), or those
/// of `only` (each must be theirs, else it is left out and the caller
/// refuses), or the live ones matching `filter`.
pub(crate) async fn handover_ids<C: ConnectionTrait>(
    conn: &C,
    from: i64,
    only: Option<&[i64]>,
    filter: Option<&crate::handover::HandoverFilter>,
) -> StoreResult<Vec<i64>> {
    let mut query = customer::Entity::find()
        .select_only()
        .column(customer::Column::Id)
        .filter(customer::Column::OwnerId.eq(from))
        .filter(customer::Column::DeletedAt.is_null())
        .order_by_asc(customer::Column::Id);
    if let Some(ids) = only {
        query = query.filter(customer::Column::Id.is_in(ids.iter().copied()));
    }
    if let Some(f) = filter {
        if let Some(g) = f.grade.as_deref().and_then(Grade::parse) {
            query = query.filter(customer::Column::Grade.eq(g.code()));
        }
        for (column, value) in
            [(customer::Column::Industry, clean(&f.industry)), (customer::Column::Province, clean(&f.province))]
        {
            if let Some(v) = value {
                query = query.filter(column.eq(v));
            }
        }
        if let Some(tag) = clean(&f.tag) {
            query = query.filter(customer::Column::Id.in_subquery(tags::tagged(&tag)));
        }
    }
    Ok(query.into_tuple().all(conn).await?)
}

/// Gives these customers (found by `handover_ids`) to `to`.
pub(crate) async fn hand_over(unit: &UnitOfWork<'_>, ids: &[i64], to: i64) -> StoreResult<u64> {
    let mut moved = 0;
    for chunk in ids.chunks(500) {
        moved += unit
            .update_all::<customer::Entity>(customer::Column::Id.is_in(chunk.iter().copied()))
            .set(customer::Column::OwnerId, Expr::value(to))
            .exec()
            .await?;
    }
    Ok(moved)
}

/// The audit actions that change who owns a customer: shown on its timeline.
pub const OWNERSHIP_ACTIONS: [&str; 5] =
    ["customer.claim", "customer.release", "customer.returned_to_pool", "customer.assign", "customer.merge"];

/// Claims, releases, returns to the pool, reassignments and merges of one
/// customer, newest first (from the audit log; anyone who sees the customer
/// sees these).
pub async fn ownership_history(
    store: &Store,
    actor: &Actor,
    id: i64,
    limit: u64,
) -> StoreResult<Vec<audit::AuditEntry>> {
    actor.require(Module::Customers, Action::View)?;
    find_visible(store.reader(), actor, id).await?;
    let rows = audit_entry::Entity::find()
        .filter(audit_entry::Column::EntityType.eq("customer"))
        .filter(audit_entry::Column::EntityId.eq(id))
        .filter(audit_entry::Column::Action.is_in(OWNERSHIP_ACTIONS))
        .order_by_desc(audit_entry::Column::Id)
        .limit(limit)
        .all(store.reader())
        .await?;
    Ok(rows.into_iter().map(audit::AuditEntry::from).collect())
}
