//! Departments: the tree people belong to, which team data scopes follow.

use super::*;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DepartmentView {
    pub id: i64,
    pub name: String,
    pub parent_id: Option<i64>,
    pub manager_id: Option<i64>,
    /// 0 for a top-level department.
    pub depth: usize,
    pub member_count: u64,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct DepartmentInput {
    pub name: String,
    pub parent_id: Option<i64>,
    pub manager_id: Option<i64>,
}

/// All live departments in tree order (parents before their children).
pub async fn list_departments(store: &Store, actor: &Actor) -> StoreResult<Vec<DepartmentView>> {
    actor.require(Module::Access, Action::View)?;
    let conn = store.reader();
    let rows = department::Entity::find()
        .filter(department::Column::DeletedAt.is_null())
        .order_by_asc(department::Column::Name)
        .all(conn)
        .await?;
    let counts: Vec<(Option<i64>, i64)> = user::Entity::find()
        .select_only()
        .column(user::Column::DepartmentId)
        .column_as(crate::shared::rows(), "n")
        .filter(user::Column::DeletedAt.is_null())
        .group_by(user::Column::DepartmentId)
        .into_tuple()
        .all(conn)
        .await?;
    let counts: HashMap<i64, u64> = counts.into_iter().filter_map(|(d, n)| d.map(|d| (d, n as u64))).collect();
    let ids: HashSet<i64> = rows.iter().map(|d| d.id).collect();
    let mut out = Vec::with_capacity(rows.len());
    // Roots are those whose parent is gone or absent.
    fn walk(
        rows: &[department::Model],
        parent: Option<i64>,
        ids: &HashSet<i64>,
        depth: usize,
        counts: &HashMap<i64, u64>,
        out: &mut Vec<DepartmentView>,
    ) {
        for d in rows.iter().filter(|d| match parent {
            None => d.parent_id.is_none_or(|p| !ids.contains(&p)),
            Some(p) => d.parent_id == Some(p),
        }) {
            out.push(DepartmentView {
                id: d.id,
                name: d.name.clone(),
                parent_id: d.parent_id,
                manager_id: d.manager_id,
                depth,
                member_count: counts.get(&d.id).copied().unwrap_or(0),
                version: d.version,
                created_at: d.created_at,
                updated_at: d.updated_at,
            });
            if depth < 16 {
                walk(rows, Some(d.id), ids, depth + 1, counts, out);
            }
        }
    }
    walk(&rows, None, &ids, 0, &counts, &mut out);
    Ok(out)
}

async fn check_department<C: ConnectionTrait>(conn: &C, input: &DepartmentInput, id: Option<i64>) -> StoreResult<()> {
    let mut invalid = Invalid::new();
    invalid.text("name", &input.name, rules::NAME_MAX);
    if let Some(parent) = input.parent_id {
        let all: Vec<(i64, Option<i64>)> = department::Entity::find()
            .select_only()
            .column(department::Column::Id)
            .column(department::Column::ParentId)
            .filter(department::Column::DeletedAt.is_null())
            .into_tuple()
            .all(conn)
            .await?;
        if !all.iter().any(|(d, _)| *d == parent) {
            invalid.push(salesflow_domain::FieldError::new("parent_id", "unknown_reference"));
        } else if id.is_some_and(|id| subtree(&all, id).contains(&parent)) {
            invalid.push(salesflow_domain::FieldError::new("parent_id", "department_cycle"));
        }
    }
    if let Some(m) = input.manager_id
        && user::Entity::find_by_id(m).filter(user::Column::DeletedAt.is_null()).one(conn).await?.is_none()
    {
        invalid.push(salesflow_domain::FieldError::new("manager_id", "unknown_reference"));
    }
    invalid.into_result()?;
    Ok(())
}

fn department_snapshot(d: &department::Model) -> Option<serde_json::Value> {
    Some(
        serde_json::json!({ "name": d.name, "parent_id": d.parent_id, "manager_id": d.manager_id, "version": d.version }),
    )
}

pub async fn create_department(store: &Store, actor: &Actor, input: DepartmentInput) -> StoreResult<DepartmentView> {
    let permit = store.permit(actor, Module::Access, Action::Create)?;
    let txn = permit.begin().await?;
    check_department(&txn, &input, None).await?;
    let now = txn.now();
    let d = department::ActiveModel {
        name: Set(input.name.trim().to_owned()),
        parent_id: Set(input.parent_id),
        manager_id: Set(input.manager_id),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit(AuditEvent::new("department.create", "department", Some(d.id)).after_json(department_snapshot(&d)))
        .await?;
    Ok(DepartmentView {
        id: d.id,
        name: d.name,
        parent_id: d.parent_id,
        manager_id: d.manager_id,
        depth: 0,
        member_count: 0,
        version: d.version,
        created_at: d.created_at,
        updated_at: d.updated_at,
    })
}

pub async fn update_department(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: i64,
    input: DepartmentInput,
) -> StoreResult<()> {
    let permit = store.permit(actor, Module::Access, Action::Edit)?;
    let txn = permit.begin().await?;
    let before = department::Entity::find_by_id(id)
        .filter(department::Column::DeletedAt.is_null())
        .one(&txn)
        .await?
        .ok_or(StoreError::NotFound)?;
    check_department(&txn, &input, Some(id)).await?;
    let after = txn
        .update::<department::Entity>(id, version)
        .set(department::Column::Name, Expr::value(input.name.trim()))
        .set(department::Column::ParentId, Expr::value(input.parent_id))
        .set(department::Column::ManagerId, Expr::value(input.manager_id))
        .exec()
        .await?;
    let event = AuditEvent::new("department.update", "department", Some(id))
        .before_json(department_snapshot(&before))
        .after_json(department_snapshot(&after));
    txn.commit(event).await?;
    Ok(())
}

/// Soft-deletes an empty department (no members, no sub-departments).
pub async fn delete_department(store: &Store, actor: &Actor, id: i64) -> StoreResult<()> {
    let permit = store.permit(actor, Module::Access, Action::Delete)?;
    let txn = permit.begin().await?;
    let before = department::Entity::find_by_id(id)
        .filter(department::Column::DeletedAt.is_null())
        .one(&txn)
        .await?
        .ok_or(StoreError::NotFound)?;
    let members = user::Entity::find()
        .filter(user::Column::DepartmentId.eq(id))
        .filter(user::Column::DeletedAt.is_null())
        .count(&txn)
        .await?;
    let children = department::Entity::find()
        .filter(department::Column::ParentId.eq(id))
        .filter(department::Column::DeletedAt.is_null())
        .count(&txn)
        .await?;
    if members > 0 || children > 0 {
        return Err(Invalid(vec![
            salesflow_domain::FieldError::new("id", "department_not_empty")
                .with("members", members)
                .with("children", children),
        ])
        .into());
    }
    txn.update::<department::Entity>(id, before.version)
        .set(department::Column::DeletedAt, Expr::value(txn.now()))
        .exec_without_reading()
        .await?;
    let event = AuditEvent::new("department.delete", "department", Some(id)).before_json(department_snapshot(&before));
    txn.commit(event).await?;
    Ok(())
}

pub async fn restore_department(store: &Store, actor: &Actor, id: i64) -> StoreResult<()> {
    let permit = store.permit(actor, Module::Access, Action::Delete)?;
    let txn = permit.begin().await?;
    let before = department::Entity::find_by_id(id)
        .filter(department::Column::DeletedAt.is_not_null())
        .one(&txn)
        .await?
        .ok_or(StoreError::NotFound)?;
    txn.update::<department::Entity>(id, before.version)
        .set(department::Column::DeletedAt, Expr::value(Option::<DateTime<Utc>>::None))
        .exec_without_reading()
        .await?;
    let event = AuditEvent::new("department.restore", "department", Some(id)).after_json(department_snapshot(&before));
    txn.commit(event).await?;
    Ok(())
}
