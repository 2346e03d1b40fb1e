//! Merging two customers into one: contacts, activities and tasks move to the survivor.

use super::*;

/// What a merge moved to the surviving customer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MergeOutcome {
    pub customer: CustomerView,
    pub contacts_moved: u64,
    pub activities_moved: u64,
    pub tasks_moved: u64,
}

/// Merges `other` into `survivor` (administrators only): contacts,
/// activities and tasks move to the survivor, its empty fields are filled from the
/// other, tags are joined; the other is soft-deleted with a pointer to the
/// survivor. Both customers must be in the caller's scope.
pub async fn merge(store: &Store, actor: &Actor, survivor_id: i64, other_id: i64) -> StoreResult<MergeOutcome> {
    let permit = store.permit(actor, Module::Customers, Action::Administer)?;
    if survivor_id == other_id {
        return Err(Invalid::one("other_id", "same_customer").into());
    }
    let txn = permit.begin().await?;
    let survivor = find_visible(&txn, actor, survivor_id).await?;
    let other = find_visible(&txn, actor, other_id)
        .await
        .map_err(|_| StoreError::Invalid(Invalid::one("other_id", "unknown_reference")))?;
    if survivor.deleted_at.is_some() {
        return Err(StoreError::NotFound);
    }
    if other.deleted_at.is_some() {
        return Err(Invalid::one("other_id", "unknown_reference").into());
    }
    require_owned(actor, &survivor)?;
    require_owned(actor, &other)?;
    let now = txn.now();
    let contacts = contact::Entity::update_many()
        .col_expr(contact::Column::CustomerId, Expr::value(survivor_id))
        .col_expr(contact::Column::UpdatedAt, Expr::value(now))
        .filter(contact::Column::CustomerId.eq(other_id))
        .exec(&txn)
        .await?
        .rows_affected;
    let activities = activity::Entity::update_many()
        .col_expr(activity::Column::CustomerId, Expr::value(survivor_id))
        .filter(activity::Column::CustomerId.eq(other_id))
        .exec(&txn)
        .await?
        .rows_affected;
    let tasks = task::Entity::update_many()
        .col_expr(task::Column::CustomerId, Expr::value(survivor_id))
        .filter(task::Column::CustomerId.eq(other_id))
        .exec(&txn)
        .await?
        .rows_affected;
    task::Entity::update_many()
        .col_expr(task::Column::RelatedId, Expr::value(survivor_id))
        .filter(task::Column::RelatedKind.eq("customer"))
        .filter(task::Column::RelatedId.eq(other_id))
        .exec(&txn)
        .await?;
    let either = |a: &Option<String>, b: &Option<String>| a.clone().or_else(|| b.clone());
    let mut tags_before = tags_of(&txn, [survivor_id, other_id]).await?;
    let (survivor_tags, other_tags) =
        (tags_before.remove(&survivor_id).unwrap_or_default(), tags_before.remove(&other_id).unwrap_or_default());
    let mut tags = survivor_tags.clone();
    for t in &other_tags {
        if !tags.contains(t) {
            tags.push(t.clone());
        }
    }
    replace_tags(&txn, survivor_id, &survivor_tags, &tags).await?;
    let notes = match (survivor.notes.is_empty(), other.notes.is_empty()) {
        (_, true) => survivor.notes.clone(),
        (true, false) => other.notes.clone(),
        (false, false) => format!("{}\n\n{}", survivor.notes, other.notes),
    };
    let closed_at = match (survivor.closed_at, other.closed_at) {
        (Some(a), Some(b)) => Some(std::cmp::min(a, b)),
        (a, b) => a.or(b),
    };
    let after = txn
        .update::<customer::Entity>(survivor_id, survivor.version)
        .set(customer::Column::Grade, Expr::value(either(&survivor.grade, &other.grade)))
        .set(customer::Column::Industry, Expr::value(either(&survivor.industry, &other.industry)))
        .set(customer::Column::Province, Expr::value(either(&survivor.province, &other.province)))
        .set(customer::Column::City, Expr::value(either(&survivor.city, &other.city)))
        .set(customer::Column::Address, Expr::value(either(&survivor.address, &other.address)))
        .set(customer::Column::Source, Expr::value(either(&survivor.source, &other.source)))
        .set(customer::Column::Kind, Expr::value(either(&survivor.kind, &other.kind)))
        .set(customer::Column::Phone, Expr::value(either(&survivor.phone, &other.phone)))
        .set(
            customer::Column::PhoneKey,
            Expr::value(
                either(&survivor.phone, &other.phone).as_deref().and_then(salesflow_domain::customers::phone_key),
            ),
        )
        .set(customer::Column::Website, Expr::value(either(&survivor.website, &other.website)))
        .set(customer::Column::CreditCode, Expr::value(either(&survivor.credit_code, &other.credit_code)))
        .set(customer::Column::CreditLimit, Expr::value(std::cmp::max(survivor.credit_limit, other.credit_limit)))
        .set(customer::Column::Notes, Expr::value(notes))
        .set(customer::Column::ClosedAt, Expr::value(closed_at))
        .set(
            customer::Column::LastActivityAt,
            Expr::value(std::cmp::max(survivor.last_activity_at, other.last_activity_at)),
        )
        .exec()
        .await?;
    txn.update::<customer::Entity>(other_id, other.version)
        .set(customer::Column::MergedIntoId, Expr::value(survivor_id))
        .set(customer::Column::DeletedAt, Expr::value(now))
        .exec_without_reading()
        .await?;
    txn.index(Kind::Customer, other_id, &[]).await?;
    let names = owner_names(&txn, [survivor.owner_id, other.owner_id, after.owner_id].into_iter().flatten()).await?;
    let (before, merged, after) =
        (view(survivor, &names, survivor_tags), view(other, &names, other_tags), view(after, &names, tags));
    let detail = serde_json::json!({
        "merged_customer_id": other_id,
        "merged_customer": audit::snapshot(&merged),
        "contacts_moved": contacts,
        "activities_moved": activities,
        "tasks_moved": tasks,
    });
    txn.record(AuditEvent::new("customer.merge", "customer", Some(survivor_id)).before(&before).detail(detail)).await?;
    let detail = serde_json::json!({ "merged_into_id": survivor_id });
    txn.commit(AuditEvent::new("customer.merged_into", "customer", Some(other_id)).before(&merged).detail(detail))
        .await?;
    Ok(MergeOutcome { customer: after, contacts_moved: contacts, activities_moved: activities, tasks_moved: tasks })
}
