//! API tokens: long-lived bearer tokens that act as a user.

use super::*;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApiTokenView {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub user_id: i64,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

fn token_view(t: api_token::Model) -> ApiTokenView {
    ApiTokenView {
        id: t.id,
        name: t.name,
        prefix: t.prefix,
        user_id: t.user_id,
        created_by: t.created_by,
        created_at: t.created_at,
        last_used_at: t.last_used_at,
        revoked_at: t.revoked_at,
    }
}

/// Creates a token acting as `user_id`; the secret is returned only here.
pub async fn create_api_token(
    store: &Store,
    actor: &Actor,
    name: &str,
    user_id: i64,
) -> StoreResult<(ApiTokenView, String)> {
    let permit = store.permit(actor, Module::Access, Action::Administer)?;
    let mut invalid = Invalid::new();
    invalid.text("name", name, rules::NAME_MAX);
    let txn = permit.begin().await?;
    if user::Entity::find_by_id(user_id)
        .filter(user::Column::DeletedAt.is_null())
        .filter(user::Column::Active.eq(true))
        .one(&txn)
        .await?
        .is_none()
    {
        invalid.push(salesflow_domain::FieldError::new("user_id", "unknown_reference"));
    }
    invalid.into_result()?;
    let secret = format!("sf_{}", new_token());
    let t = api_token::ActiveModel {
        name: Set(name.trim().to_owned()),
        token_hash: Set(token_hash(&secret)),
        prefix: Set(secret.chars().take(10).collect()),
        user_id: Set(user_id),
        created_by: Set(actor.user_id.unwrap_or(user_id)),
        created_at: Set(txn.now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let view = token_view(t);
    txn.commit(AuditEvent::new("api_token.create", "api_token", Some(view.id)).after(&view)).await?;
    Ok((view, secret))
}

pub async fn list_api_tokens(store: &Store, actor: &Actor) -> StoreResult<Vec<ApiTokenView>> {
    actor.require(Module::Access, Action::Administer)?;
    let rows = api_token::Entity::find().order_by_desc(api_token::Column::Id).all(store.reader()).await?;
    Ok(rows.into_iter().map(token_view).collect())
}

pub async fn revoke_api_token(store: &Store, actor: &Actor, id: i64) -> StoreResult<()> {
    let permit = store.permit(actor, Module::Access, Action::Administer)?;
    let txn = permit.begin().await?;
    let t = api_token::Entity::find_by_id(id)
        .filter(api_token::Column::RevokedAt.is_null())
        .one(&txn)
        .await?
        .ok_or(StoreError::NotFound)?;
    api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(txn.now()))
        .filter(api_token::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    txn.commit(AuditEvent::new("api_token.revoke", "api_token", Some(id)).before(&token_view(t))).await?;
    Ok(())
}

/// Active and deactivated users in the caller's scope (dashboard figures).
pub async fn user_counts(store: &Store, actor: &Actor) -> StoreResult<(u64, u64)> {
    actor.require(Module::Access, Action::View)?;
    let base =
        user::Entity::find().filter(actor.scope_condition(user::Column::Id)).filter(user::Column::DeletedAt.is_null());
    let active = base.clone().filter(user::Column::Active.eq(true)).count(store.reader()).await?;
    let inactive = base.filter(user::Column::Active.eq(false)).count(store.reader()).await?;
    Ok((active, inactive))
}
