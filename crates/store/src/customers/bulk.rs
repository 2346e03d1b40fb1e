//! Bulk actions on selected customers: all or none, each change audited.

use super::*;

#[derive(Debug, Clone)]
pub enum BulkAction {
    AssignOwner(i64),
    AddTag(String),
    Delete,
}

/// Applies one action to selected customers, all or none: every customer
/// must be in the caller's scope and changeable by them. Each change is
/// audited. Returns how many changed.
pub async fn bulk(store: &Store, actor: &Actor, ids: &[i64], action: BulkAction) -> StoreResult<u64> {
    let needed = if matches!(action, BulkAction::Delete) { Action::Delete } else { Action::Edit };
    let permit = store.permit(actor, Module::Customers, needed)?;
    let ids = selection(ids)?;
    let mut invalid = Invalid::new();
    let txn = permit.begin().await?;
    match &action {
        BulkAction::AssignOwner(owner) => check_owner(&txn, actor, &mut invalid, Some(*owner)).await?,
        BulkAction::AddTag(tag) => check_tags(&mut invalid, std::slice::from_ref(tag)),
        BulkAction::Delete => {}
    }
    if let BulkAction::AddTag(tag) = &action
        && tag.trim().is_empty()
    {
        invalid.push(FieldError::new("tag", "required"));
    }
    invalid.into_result()?;
    let rows = customer::Entity::find()
        .filter(customer::Column::Id.is_in(ids.iter().copied()))
        .filter(customer::Column::DeletedAt.is_null())
        .filter(visible(actor))
        .all(&txn)
        .await?;
    if rows.len() != ids.len() {
        return Err(StoreError::NotFound);
    }
    for c in &rows {
        require_owned(actor, c)?;
    }
    if let BulkAction::AddTag(tag) = &action {
        add_tag(&txn, &ids, tag).await?;
    }
    let now = txn.now();
    let mut audited = None;
    for c in rows {
        let mut update = txn.update::<customer::Entity>(c.id, c.version);
        let (code, detail) = match &action {
            BulkAction::AssignOwner(owner) => {
                update = update.set(customer::Column::OwnerId, Expr::value(*owner));
                ("customer.assign", serde_json::json!({ "from_owner_id": c.owner_id, "owner_id": owner }))
            }
            BulkAction::AddTag(tag) => ("customer.tag", serde_json::json!({ "tag": tag.trim() })),
            BulkAction::Delete => {
                update = update.set(customer::Column::DeletedAt, Expr::value(now));
                ("customer.delete", serde_json::json!({ "bulk": true }))
            }
        };
        update.exec_without_reading().await?;
        audited = Some(txn.record(AuditEvent::new(code, "customer", Some(c.id)).detail(detail)).await?);
    }
    if let Some(audited) = audited {
        txn.commit_recorded(audited).await?;
    }
    Ok(ids.len() as u64)
}
