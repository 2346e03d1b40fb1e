//! Roles: named sets of permissions with a data scope.

use super::*;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RoleView {
    pub id: i64,
    pub code: String,
    /// The name its creator typed. Empty for a built-in role under its
    /// shipped name: the reader's language names it (`roles.<code>`).
    pub name: String,
    #[schema(value_type = String, example = "own")]
    pub data_scope: DataScope,
    /// `{"module": ["action", …]}`.
    pub permissions: BTreeMap<String, Vec<String>>,
    pub built_in: bool,
    pub version: i64,
}

fn role_view(r: role::Model) -> RoleView {
    let permissions = role_permissions(&r).to_codes();
    RoleView {
        id: r.id,
        data_scope: DataScope::parse(&r.data_scope).unwrap_or(DataScope::Own),
        code: r.code,
        name: r.name,
        permissions,
        built_in: r.built_in,
        version: r.version,
    }
}

#[derive(Debug, Clone)]
pub struct RoleInput {
    pub code: String,
    pub name: String,
    pub data_scope: DataScope,
    pub permissions: Permissions,
}

pub async fn list_roles(store: &Store, actor: &Actor) -> StoreResult<Vec<RoleView>> {
    actor.require(Module::Access, Action::View)?;
    let rows = role::Entity::find().order_by_asc(role::Column::Id).all(store.reader()).await?;
    Ok(rows.into_iter().map(role_view).collect())
}

pub async fn role_by_code(store: &Store, code: &str) -> StoreResult<Option<RoleView>> {
    Ok(role::Entity::find().filter(role::Column::Code.eq(code)).one(store.reader()).await?.map(role_view))
}

pub async fn get_role(store: &Store, actor: &Actor, id: i64) -> StoreResult<RoleView> {
    actor.require(Module::Access, Action::View)?;
    role::Entity::find_by_id(id).one(store.reader()).await?.map(role_view).ok_or(StoreError::NotFound)
}

fn check_role(input: &RoleInput) -> Result<(), Invalid> {
    let mut invalid = Invalid::new();
    invalid.text("code", &input.code, 50);
    if !input.code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
        invalid.push(salesflow_domain::FieldError::new("code", "invalid_code"));
    }
    invalid.text("name", &input.name, rules::NAME_MAX);
    invalid.into_result()
}

pub async fn create_role(store: &Store, actor: &Actor, input: RoleInput) -> StoreResult<RoleView> {
    let permit = store.permit(actor, Module::Access, Action::Administer)?;
    check_role(&input)?;
    let txn = permit.begin().await?;
    if role::Entity::find().filter(role::Column::Code.eq(&input.code)).count(&txn).await? > 0 {
        return Err(Invalid::one("code", "already_taken").into());
    }
    let now = txn.now();
    let r = role::ActiveModel {
        code: Set(input.code.clone()),
        name: Set(input.name.trim().to_owned()),
        data_scope: Set(input.data_scope.code().to_owned()),
        permissions: Set(serde_json::to_string(&input.permissions.to_codes()).unwrap_or_default()),
        built_in: Set(false),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| match e.sql_err() {
        // Taken by a concurrent create after the check above.
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => Invalid::one("code", "already_taken").into(),
        _ => StoreError::from(e),
    })?;
    let view = role_view(r);
    txn.commit(AuditEvent::new("role.create", "role", Some(view.id)).after(&view)).await?;
    Ok(view)
}

/// Edits a role's name, scope and permissions (the code stays).
pub async fn update_role(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: i64,
    input: RoleInput,
) -> StoreResult<RoleView> {
    let permit = store.permit(actor, Module::Access, Action::Administer)?;
    check_role(&input)?;
    let txn = permit.begin().await?;
    let before = role::Entity::find_by_id(id).one(&txn).await?.ok_or(StoreError::NotFound)?;
    if before.code == "admin" && !input.permissions.allows(Module::Access, Action::Administer) {
        // Without this an installation could lock itself out.
        return Err(Invalid::one("permissions", "admin_must_administer").into());
    }
    // A built-in role given its shipped name (in either language) keeps
    // none of its own, so that every reader sees it in their language.
    let name = match rules::built_in_role(&before.code) {
        Some(shipped) if before.built_in && shipped.is_shipped_name(&input.name) => "",
        _ => input.name.trim(),
    };
    let after = txn
        .update::<role::Entity>(id, version)
        .set(role::Column::Name, Expr::value(name))
        .set(role::Column::DataScope, Expr::value(input.data_scope.code()))
        .set(
            role::Column::Permissions,
            Expr::value(serde_json::to_string(&input.permissions.to_codes()).unwrap_or_default()),
        )
        .exec()
        .await?;
    let (before, after) = (role_view(before), role_view(after));
    txn.commit(AuditEvent::new("role.update", "role", Some(id)).before(&before).after(&after)).await?;
    Ok(after)
}

/// Deletes a custom role that nobody holds.
pub async fn delete_role(store: &Store, actor: &Actor, id: i64) -> StoreResult<()> {
    let permit = store.permit(actor, Module::Access, Action::Administer)?;
    let txn = permit.begin().await?;
    let r = role::Entity::find_by_id(id).one(&txn).await?.ok_or(StoreError::NotFound)?;
    if r.built_in {
        return Err(Invalid::one("id", "role_built_in").into());
    }
    let holders = user::Entity::find().filter(user::Column::RoleId.eq(id)).count(&txn).await?;
    if holders > 0 {
        return Err(Invalid(vec![salesflow_domain::FieldError::new("id", "role_in_use").with("users", holders)]).into());
    }
    role::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit(AuditEvent::new("role.delete", "role", Some(id)).before(&role_view(r))).await?;
    Ok(())
}
