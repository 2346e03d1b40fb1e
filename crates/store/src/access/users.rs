//! Users: accounts, their roles and departments, activation and soft delete.

use super::*;
use salesflow_domain::people::name_keys;
use sea_orm::Condition;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub role_id: i64,
    pub role_code: String,
    /// The name an administrator typed for the role, empty for a built-in
    /// role under its shipped name: pages show it through the web crate's
    /// `i18n::role_name` (the reader's language). Not part of the JSON.
    #[serde(skip)]
    pub role_name: String,
    pub department_id: Option<i64>,
    pub locale: Option<String>,
    pub active: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
}

fn view_with(u: user::Model, roles: &HashMap<i64, (String, String)>) -> UserView {
    let (role_code, role_name) = roles.get(&u.role_id).cloned().unwrap_or_default();
    UserView {
        role_code,
        role_name,
        id: u.id,
        username: u.username,
        email: u.email,
        display_name: u.display_name,
        role_id: u.role_id,
        department_id: u.department_id,
        locale: u.locale,
        active: u.active,
        version: u.version,
        created_at: u.created_at,
        updated_at: u.updated_at,
        last_login_at: u.last_login_at,
        deleted_at: u.deleted_at,
    }
}

/// Every role's code and stored name, by id.
async fn role_codes<C: ConnectionTrait>(conn: &C) -> StoreResult<HashMap<i64, (String, String)>> {
    Ok(role::Entity::find().all(conn).await?.into_iter().map(|r| (r.id, (r.code, r.name))).collect())
}

pub(super) async fn user_view<C: ConnectionTrait>(conn: &C, u: user::Model) -> StoreResult<UserView> {
    Ok(view_with(u, &role_codes(conn).await?))
}

/// A user to create. `Debug` never prints the password (it would land in
/// logs and panic messages).
#[derive(Clone, Default)]
pub struct NewUser {
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub password: String,
    pub role_id: i64,
    pub department_id: Option<i64>,
    pub locale: Option<String>,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("username", &self.username)
            .field("email", &self.email)
            .field("display_name", &self.display_name)
            .field("password", &"[REDACTED]")
            .field("role_id", &self.role_id)
            .field("department_id", &self.department_id)
            .field("locale", &self.locale)
            .finish()
    }
}

/// Changes to a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub version: i64,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub role_id: Option<i64>,
    pub department_id: Option<Option<i64>>,
    pub locale: Option<Option<String>>,
    pub active: Option<bool>,
}

async fn check_references<C: ConnectionTrait>(
    conn: &C,
    invalid: &mut Invalid,
    role_id: Option<i64>,
    department_id: Option<i64>,
) -> StoreResult<()> {
    if let Some(r) = role_id
        && role::Entity::find_by_id(r).one(conn).await?.is_none()
    {
        invalid.push(salesflow_domain::FieldError::new("role_id", "unknown_reference"));
    }
    if let Some(d) = department_id
        && department::Entity::find_by_id(d).filter(department::Column::DeletedAt.is_null()).one(conn).await?.is_none()
    {
        invalid.push(salesflow_domain::FieldError::new("department_id", "unknown_reference"));
    }
    Ok(())
}

fn check_locale(invalid: &mut Invalid, locale: Option<&str>) {
    if locale.is_some_and(|l| supported_locale(l).is_none()) {
        invalid.push(salesflow_domain::FieldError::new("locale", "invalid_choice"));
    }
}

async fn check_unique<C: ConnectionTrait>(
    conn: &C,
    invalid: &mut Invalid,
    username: Option<&str>,
    email: Option<&str>,
    except: Option<i64>,
) -> StoreResult<()> {
    for (field, column, value) in
        [("username", user::Column::UsernameKey, username), ("email", user::Column::EmailKey, email)]
    {
        let Some(value) = value else { continue };
        let mut q = user::Entity::find().filter(column.eq(identifier_key(value)));
        if let Some(id) = except {
            q = q.filter(user::Column::Id.ne(id));
        }
        if q.count(conn).await? > 0 {
            invalid.push(salesflow_domain::FieldError::new(field, "already_taken"));
        }
    }
    Ok(())
}

pub async fn create_user(store: &Store, actor: &Actor, new: NewUser) -> StoreResult<UserView> {
    let permit = store.permit(actor, Module::Access, Action::Create)?;
    insert_user(permit, new, false).await?.ok_or(StoreError::Conflict("users exist".into()))
}

/// Creates the first administrator of an empty installation, or nothing
/// (`None`) when there are users already. Nodes starting at once on an
/// empty database take turns under the installation lock, so exactly one
/// creates it.
pub async fn create_first_admin(store: &Store, new: NewUser) -> StoreResult<Option<UserView>> {
    let system = Actor::system();
    insert_user(store.permit_own(&system), new, true).await
}

/// A unique index refused a username or e-mail address taken by a
/// concurrent write between the check and the insert: the same 422 the
/// check gives, not the database's message.
fn taken(err: sea_orm::DbErr) -> StoreError {
    match err.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(msg)) => {
            let field = if msg.contains("email_key") { "email" } else { "username" };
            Invalid::one(field, "already_taken").into()
        }
        _ => err.into(),
    }
}

async fn insert_user(permit: Permit<'_>, new: NewUser, first_only: bool) -> StoreResult<Option<UserView>> {
    let username = new.username.trim().to_owned();
    let email = new.email.trim().to_owned();
    let mut invalid = Invalid::new();
    rules::check_username(&mut invalid, &username);
    rules::check_email(&mut invalid, "email", &email);
    invalid.text("display_name", &new.display_name, rules::NAME_MAX);
    rules::check_password(&mut invalid, "password", &new.password, &username);
    check_locale(&mut invalid, new.locale.as_deref());
    let hash = if invalid.is_empty() { hash_password(&new.password).await? } else { String::new() };
    let txn = permit.begin().await?;
    if first_only {
        crate::locks::lock_install(&txn).await?;
        if user::Entity::find().count(&txn).await? > 0 {
            return Ok(None);
        }
    }
    check_references(&txn, &mut invalid, Some(new.role_id), new.department_id).await?;
    check_unique(&txn, &mut invalid, Some(&username), Some(&email), None).await?;
    invalid.into_result()?;
    let now = txn.now();
    let keys = name_keys(new.display_name.trim());
    let model = user::ActiveModel {
        username_key: Set(identifier_key(&username)),
        username: Set(username),
        email_key: Set(identifier_key(&email)),
        email: Set(email),
        display_name: Set(new.display_name.trim().to_owned()),
        pinyin: Set(keys.pinyin),
        pinyin_initials: Set(keys.initials),
        password_hash: Set(hash),
        role_id: Set(new.role_id),
        department_id: Set(new.department_id),
        locale: Set(new.locale.as_deref().and_then(supported_locale).map(str::to_owned)),
        active: Set(true),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(taken)?;
    let view = user_view(&txn, model).await?;
    txn.commit(AuditEvent::new("user.create", "user", Some(view.id)).after(&view)).await?;
    Ok(Some(view))
}

/// A user in the caller's scope (deleted ones too, for restore).
async fn find_user<C: ConnectionTrait>(conn: &C, actor: &Actor, id: i64) -> StoreResult<user::Model> {
    user::Entity::find_by_id(id)
        .filter(actor.scope_condition(user::Column::Id))
        .one(conn)
        .await?
        .ok_or(StoreError::NotFound)
}

pub async fn get_user(store: &Store, actor: &Actor, id: i64) -> StoreResult<UserView> {
    // Everyone may read their own account; others need the view permission.
    if actor.user_id != Some(id) {
        actor.require(Module::Access, Action::View)?;
    }
    let u = find_user(store.reader(), actor, id).await?;
    user_view(store.reader(), u).await
}

pub async fn update_user(store: &Store, actor: &Actor, id: i64, patch: UserPatch) -> StoreResult<UserView> {
    let permit = store.permit(actor, Module::Access, Action::Edit)?;
    if patch.role_id.is_some() {
        // Granting roles is how privileges grow: administrators only.
        actor.require(Module::Access, Action::Administer)?;
    }
    if patch.active == Some(false) && actor.user_id == Some(id) {
        return Err(Invalid::one("active", "cannot_deactivate_self").into());
    }
    let mut invalid = Invalid::new();
    if let Some(email) = &patch.email {
        rules::check_email(&mut invalid, "email", email.trim());
    }
    if let Some(name) = &patch.display_name {
        invalid.text("display_name", name, rules::NAME_MAX);
    }
    if let Some(locale) = &patch.locale {
        check_locale(&mut invalid, locale.as_deref());
    }
    let txn = permit.begin().await?;
    let before = find_user(&txn, actor, id).await?;
    if before.deleted_at.is_some() {
        return Err(StoreError::NotFound);
    }
    check_references(&txn, &mut invalid, patch.role_id, patch.department_id.flatten()).await?;
    check_unique(&txn, &mut invalid, None, patch.email.as_deref(), Some(id)).await?;
    invalid.into_result()?;
    let now = txn.now();
    let mut update = txn.update::<user::Entity>(id, patch.version).map_db_error(taken);
    if let Some(email) = &patch.email {
        update = update
            .set(user::Column::Email, Expr::value(email.trim()))
            .set(user::Column::EmailKey, Expr::value(identifier_key(email)));
    }
    if let Some(name) = &patch.display_name {
        let keys = name_keys(name.trim());
        update = update
            .set(user::Column::DisplayName, Expr::value(name.trim()))
            .set(user::Column::Pinyin, Expr::value(keys.pinyin))
            .set(user::Column::PinyinInitials, Expr::value(keys.initials));
    }
    if let Some(role_id) = patch.role_id {
        update = update.set(user::Column::RoleId, Expr::value(role_id));
    }
    if let Some(dept) = patch.department_id {
        update = update.set(user::Column::DepartmentId, Expr::value(dept));
    }
    if let Some(locale) = &patch.locale {
        let locale = locale.as_deref().and_then(supported_locale).map(str::to_owned);
        update = update.set(user::Column::Locale, Expr::value(locale));
    }
    if let Some(active) = patch.active {
        update = update.set(user::Column::Active, Expr::value(active));
    }
    let after = update.exec().await?;
    if patch.active == Some(false) {
        end_all_access(&txn, id, now).await?;
    }
    let codes = role_codes(&txn).await?;
    let (before, after) = (view_with(before, &codes), view_with(after, &codes));
    let action = match patch.active {
        Some(false) if before.active => "user.deactivate",
        Some(true) if !before.active => "user.activate",
        _ => "user.update",
    };
    txn.commit(AuditEvent::new(action, "user", Some(id)).before(&before).after(&after)).await?;
    Ok(after)
}

/// Sessions and API tokens of a user stop working at once.
async fn end_all_access<C: ConnectionTrait>(conn: &C, user_id: i64, now: DateTime<Utc>) -> StoreResult<()> {
    session::Entity::delete_many().filter(session::Column::UserId.eq(user_id)).exec(conn).await?;
    api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(now))
        .filter(api_token::Column::UserId.eq(user_id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Sets the caller's own language (no permission needed).
pub async fn set_own_locale(store: &Store, actor: &Actor, locale: &str) -> StoreResult<()> {
    let id = actor.user_id.ok_or(StoreError::Forbidden)?;
    let locale = supported_locale(locale).ok_or_else(|| Invalid::one("locale", "invalid_choice"))?;
    let txn = store.permit_own(actor).begin().await?;
    user::Entity::update_many()
        .col_expr(user::Column::Locale, Expr::value(locale))
        .filter(user::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    let detail = serde_json::json!({ "locale": locale });
    txn.commit(AuditEvent::new("user.set_locale", "user", Some(id)).detail(detail)).await?;
    Ok(())
}

/// Soft-deletes (`deleted = true`) or restores a user.
pub async fn set_user_deleted(store: &Store, actor: &Actor, id: i64, deleted: bool) -> StoreResult<UserView> {
    let permit = store.permit(actor, Module::Access, Action::Delete)?;
    if deleted && actor.user_id == Some(id) {
        return Err(Invalid::one("id", "cannot_delete_self").into());
    }
    let txn = permit.begin().await?;
    let before = find_user(&txn, actor, id).await?;
    if before.deleted_at.is_some() == deleted {
        return if deleted { Err(StoreError::NotFound) } else { Ok(user_view(&txn, before).await?) };
    }
    let now = txn.now();
    let after = txn
        .update::<user::Entity>(id, before.version)
        .set(user::Column::DeletedAt, Expr::value(if deleted { Some(now) } else { None }))
        .set(user::Column::Active, Expr::value(!deleted))
        .exec()
        .await?;
    if deleted {
        end_all_access(&txn, id, now).await?;
    }
    let codes = role_codes(&txn).await?;
    let (before, after) = (view_with(before, &codes), view_with(after, &codes));
    let action = if deleted { "user.delete" } else { "user.restore" };
    txn.commit(AuditEvent::new(action, "user", Some(id)).before(&before).after(&after)).await?;
    Ok(after)
}

#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Matches username, display name or e-mail (any case, any script).
    pub q: Option<String>,
    pub role_id: Option<i64>,
    pub department_id: Option<i64>,
    pub active: Option<bool>,
    pub deleted: bool,
}

const USER_SORTS: [SortField<user::Column>; 5] = [
    SortField { name: "id", column: user::Column::Id },
    SortField { name: "username", column: user::Column::UsernameKey },
    SortField { name: "display_name", column: user::Column::DisplayName },
    SortField { name: "created_at", column: user::Column::CreatedAt },
    SortField { name: "updated_at", column: user::Column::UpdatedAt },
];

pub async fn list_users(
    store: &Store,
    actor: &Actor,
    filter: &UserFilter,
    page: &PageRequest,
) -> StoreResult<Page<UserView>> {
    use sea_orm::sea_query::ExprTrait;
    actor.require(Module::Access, Action::View)?;
    let keyset = Keyset::parse(page, &USER_SORTS, "display_name")?;
    let mut query = user::Entity::find().filter(actor.scope_condition(user::Column::Id));
    query = if filter.deleted {
        query.filter(user::Column::DeletedAt.is_not_null())
    } else {
        query.filter(user::Column::DeletedAt.is_null())
    };
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        // The user table stays small (people, not customers): a scan is fine.
        let term = format!("%{}%", q.to_lowercase().replace(['%', '_'], ""));
        query = query.filter(
            sea_orm::Condition::any()
                .add(user::Column::UsernameKey.like(term.clone()))
                .add(user::Column::EmailKey.like(term.clone()))
                .add(Expr::expr(sea_orm::sea_query::Func::lower(Expr::col(user::Column::DisplayName))).like(term)),
        );
    }
    if let Some(r) = filter.role_id {
        query = query.filter(user::Column::RoleId.eq(r));
    }
    if let Some(d) = filter.department_id {
        query = query.filter(user::Column::DepartmentId.eq(d));
    }
    if let Some(a) = filter.active {
        query = query.filter(user::Column::Active.eq(a));
    }
    let rows = keyset.apply(query, user::Column::Id).all(store.reader()).await?;
    let codes = role_codes(store.reader()).await?;
    let page = keyset.finish(rows, |u, field| {
        let key = match field {
            "username" => Key::Text(u.username_key.clone()),
            "display_name" => Key::Text(u.display_name.clone()),
            "created_at" => Key::Time(u.created_at),
            "updated_at" => Key::Time(u.updated_at),
            _ => Key::Int(u.id),
        };
        (key, u.id)
    });
    Ok(page.map(|u| view_with(u, &codes)))
}

/// Every active user's id and name, for pickers (no scope: names are not secret).
pub async fn user_names(store: &Store) -> StoreResult<Vec<(i64, String)>> {
    Ok(user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::DisplayName)
        .filter(user::Column::DeletedAt.is_null())
        .order_by_asc(user::Column::DisplayName)
        .into_tuple()
        .all(store.reader())
        .await?)
}

/// Every live department's id and name, by name, for filters (no scope:
/// team names are not secret).
pub async fn department_names(store: &Store) -> StoreResult<Vec<(i64, String)>> {
    Ok(department::Entity::find()
        .select_only()
        .column(department::Column::Id)
        .column(department::Column::Name)
        .filter(department::Column::DeletedAt.is_null())
        .order_by_asc(department::Column::Name)
        .into_tuple()
        .all(store.reader())
        .await?)
}

/// Active people inside the actor's data scope, by name: whom they may
/// assign records to.
pub async fn people_in_scope(store: &Store, actor: &Actor) -> StoreResult<Vec<(i64, String)>> {
    Ok(user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::DisplayName)
        .filter(user::Column::DeletedAt.is_null())
        .filter(user::Column::Active.eq(true))
        .filter(actor.scope_condition(user::Column::Id))
        .order_by_asc(user::Column::Pinyin)
        .order_by_asc(user::Column::Id)
        .into_tuple()
        .all(store.reader())
        .await?)
}

/// One choice of the person picker.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonChoice {
    pub id: i64,
    pub display_name: String,
    /// The name in pinyin (`zhangwei`), what the list is sorted by.
    pub pinyin: String,
    /// The pinyin initials (`zw`).
    pub pinyin_initials: String,
    pub department_id: Option<i64>,
}

/// Active people inside the caller's scope whose name, pinyin or pinyin
/// initials contain what was typed (`zw`, `zhang`, `张`), sorted by
/// pinyin: the person picker's choices, at most `limit`. The keys were
/// stored when each user was saved; an empty query lists the first ones.
pub async fn find_people(store: &Store, actor: &Actor, query: &str, limit: u64) -> StoreResult<Vec<PersonChoice>> {
    let q = salesflow_domain::people::query_key(query);
    let mut select = user::Entity::find()
        .filter(user::Column::DeletedAt.is_null())
        .filter(user::Column::Active.eq(true))
        .filter(actor.scope_condition(user::Column::Id));
    if !q.is_empty() {
        select = select.filter(
            Condition::any()
                .add(user::Column::DisplayName.contains(&q))
                .add(user::Column::Pinyin.contains(&q))
                .add(user::Column::PinyinInitials.contains(&q)),
        );
    }
    let rows = select
        .order_by_asc(user::Column::Pinyin)
        .order_by_asc(user::Column::Id)
        .limit(limit.clamp(1, 200))
        .all(store.reader())
        .await?;
    Ok(rows
        .into_iter()
        .map(|u| PersonChoice {
            id: u.id,
            display_name: u.display_name,
            pinyin: u.pinyin,
            pinyin_initials: u.pinyin_initials,
            department_id: u.department_id,
        })
        .collect())
}

/// The departments a list may be filtered by: every one for a caller who
/// sees everyone; otherwise the departments of the people in their scope
/// (a manager's team and the teams below it); none for a caller who sees
/// only their own records.
pub async fn departments_in_scope(store: &Store, actor: &Actor) -> StoreResult<Vec<(i64, String)>> {
    let Some(visible) = &actor.visible_users else { return department_names(store).await };
    if visible.len() <= 1 {
        return Ok(Vec::new());
    }
    let ids: Vec<Option<i64>> = user::Entity::find()
        .select_only()
        .column(user::Column::DepartmentId)
        .distinct()
        .filter(user::Column::Id.is_in(visible.iter().copied()))
        .into_tuple()
        .all(store.reader())
        .await?;
    Ok(department::Entity::find()
        .select_only()
        .column(department::Column::Id)
        .column(department::Column::Name)
        .filter(department::Column::DeletedAt.is_null())
        .filter(department::Column::Id.is_in(ids.into_iter().flatten()))
        .order_by_asc(department::Column::Name)
        .into_tuple()
        .all(store.reader())
        .await?)
}

#[cfg(test)]
mod tests {
    use super::NewUser;

    #[test]
    fn a_new_users_debug_output_hides_the_password() {
        let u = NewUser { username: "li.na".into(), password: "s3cret-Passw0rd".into(), ..Default::default() };
        let printed = format!("{u:?} {u:#?}");
        assert!(!printed.contains("s3cret-Passw0rd"), "{printed}");
        assert!(printed.contains("[REDACTED]") && printed.contains("li.na"), "{printed}");
    }
}
