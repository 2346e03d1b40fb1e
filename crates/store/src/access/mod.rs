//! Access: users, departments, roles, sign-in and sessions, API tokens,
//! password resets and sign-in throttling.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use salesflow_domain::Invalid;
use salesflow_domain::access::{
    self as rules, ACCOUNT_FAILURE_LIMIT, ACCOUNT_LOCK_MINUTES, ADDRESS_FAILURE_LIMIT, Action, DataScope, Module,
    Permissions, RESET_LINK_MINUTES,
};
use salesflow_domain::settings::supported_locale;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::Store;
use crate::audit::AuditEvent;
use crate::entity::{api_token, department, login_attempt, password_reset, role, session, user};
use crate::error::{StoreError, StoreResult};
use crate::notifications;
use crate::paging::{Key, Keyset, Page, PageRequest, SortField};
use crate::scope::Actor;
use crate::unit_of_work::{Permit, UnitOfWork};

mod api_tokens;
mod departments;
mod roles;
mod users;

pub use api_tokens::*;
pub use departments::*;
pub use roles::*;
pub use users::*;

// ---------------------------------------------------------------- secrets

/// A fresh random token, hex-encoded (256 bits).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What is stored in place of a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Argon2 runs on the blocking pool so the async runtime keeps serving,
/// at most this many at once so a burst of sign-ins cannot exhaust memory
/// (each takes 19 MiB).
static HASHING: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    tokio::sync::Semaphore::new(cores * 2)
});

/// Argon2id with the crate's recommended parameters. CPU-heavy on purpose.
pub async fn hash_password(password: &str) -> StoreResult<String> {
    let password = password.to_owned();
    let _permit = HASHING.acquire().await.map_err(|e| StoreError::Internal(e.to_string()))?;
    tokio::task::spawn_blocking(move || {
        use argon2::password_hash::PasswordHasher;
        argon2::Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| StoreError::Internal(format!("hashing failed: {e}")))
    })
    .await
    .map_err(|e| StoreError::Internal(e.to_string()))?
}

pub async fn verify_password(hash: &str, password: &str) -> bool {
    let (hash, password) = (hash.to_owned(), password.to_owned());
    let Ok(_permit) = HASHING.acquire().await else { return false };
    tokio::task::spawn_blocking(move || {
        use argon2::password_hash::PasswordVerifier;
        use argon2::password_hash::phc::PasswordHash;
        PasswordHash::new(&hash)
            .map(|parsed| argon2::Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A hash no password matches, verified for unknown usernames so that a
/// wrong username takes as long as a wrong password.
static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

async fn dummy_hash() -> String {
    if let Some(h) = DUMMY_HASH.get() {
        return h.clone();
    }
    let h = hash_password(&new_token()).await.unwrap_or_default();
    DUMMY_HASH.get_or_init(|| h).clone()
}

// ---------------------------------------------------------------- bootstrap

/// Creates what a fresh database needs: the built-in roles and the
/// settings row. Safe to run on every start.
pub async fn bootstrap(store: &Store) -> StoreResult<()> {
    let txn = store.begin().await?;
    // Nodes starting at once: one adds the rows, the others then find them.
    crate::locks::lock_install(&txn).await?;
    let existing: HashSet<String> = role::Entity::find().all(&txn).await?.into_iter().map(|r| r.code).collect();
    for r in rules::built_in_roles() {
        if existing.contains(r.code) {
            continue;
        }
        let now = store.now();
        role::ActiveModel {
            code: Set(r.code.to_owned()),
            // No name of its own: each reader sees it in their language.
            name: Set(String::new()),
            data_scope: Set(r.scope.code().to_owned()),
            permissions: Set(serde_json::to_string(&r.permissions.to_codes()).unwrap_or_default()),
            built_in: Set(true),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    crate::settings::ensure(&txn).await?;
    crate::pipelines::install_templates(&txn).await?;
    txn.commit().await?;
    Ok(())
}

pub async fn count_users(store: &Store) -> StoreResult<u64> {
    Ok(user::Entity::find().count(store.reader()).await?)
}

// ---------------------------------------------------------------- actors

fn role_permissions(r: &role::Model) -> Permissions {
    let codes: BTreeMap<String, Vec<String>> = serde_json::from_str(&r.permissions).unwrap_or_default();
    Permissions::from_codes(&codes)
}

/// The roles whose holders sell (may create deals): the people a sales
/// manager's figures are about.
pub(crate) async fn selling_roles<C: ConnectionTrait>(conn: &C) -> StoreResult<Vec<i64>> {
    let roles = role::Entity::find().all(conn).await?;
    Ok(roles
        .iter()
        .filter(|r| role_permissions(r).allows(Module::Opportunities, Action::Create))
        .map(|r| r.id)
        .collect())
}

/// The ids of the departments at and below `root`.
fn subtree(departments: &[(i64, Option<i64>)], root: i64) -> HashSet<i64> {
    let mut found = HashSet::from([root]);
    loop {
        let before = found.len();
        for (id, parent) in departments {
            if parent.is_some_and(|p| found.contains(&p)) {
                found.insert(*id);
            }
        }
        if found.len() == before {
            return found;
        }
    }
}

/// Builds the actor for a signed-in user: permissions and the set of users
/// whose records the role's data scope lets them see.
pub async fn actor_for<C: ConnectionTrait>(conn: &C, u: &user::Model) -> StoreResult<Actor> {
    let r = role::Entity::find_by_id(u.role_id).one(conn).await?.ok_or(StoreError::NotFound)?;
    let scope = DataScope::parse(&r.data_scope).unwrap_or(DataScope::Own);
    let visible_users = match (scope, u.department_id) {
        (DataScope::All, _) => None,
        (DataScope::Own, _) | (_, None) => Some(vec![u.id]),
        (DataScope::Team, Some(dept)) => Some(users_in_departments(conn, &HashSet::from([dept]), u.id).await?),
        (DataScope::Department, Some(dept)) => {
            let all: Vec<(i64, Option<i64>)> = department::Entity::find()
                .select_only()
                .column(department::Column::Id)
                .column(department::Column::ParentId)
                .filter(department::Column::DeletedAt.is_null())
                .into_tuple()
                .all(conn)
                .await?;
            Some(users_in_departments(conn, &subtree(&all, dept), u.id).await?)
        }
    };
    Ok(Actor {
        user_id: Some(u.id),
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        role_code: r.code.clone(),
        role_name: r.name.clone(),
        permissions: role_permissions(&r),
        scope,
        department_id: u.department_id,
        visible_users,
        locale: u.locale.clone(),
        ip: None,
        request_id: None,
    })
}

/// The users of a department and of every department below it (team
/// filters of lists and reports).
pub async fn department_members<C: ConnectionTrait>(conn: &C, department_id: i64) -> StoreResult<Vec<i64>> {
    let all: Vec<(i64, Option<i64>)> = department::Entity::find()
        .select_only()
        .column(department::Column::Id)
        .column(department::Column::ParentId)
        .filter(department::Column::DeletedAt.is_null())
        .into_tuple()
        .all(conn)
        .await?;
    Ok(user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::DepartmentId.is_in(subtree(&all, department_id)))
        .into_tuple()
        .all(conn)
        .await?)
}

async fn users_in_departments<C: ConnectionTrait>(conn: &C, depts: &HashSet<i64>, me: i64) -> StoreResult<Vec<i64>> {
    let mut ids: Vec<i64> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::DepartmentId.is_in(depts.iter().copied()))
        .into_tuple()
        .all(conn)
        .await?;
    if !ids.contains(&me) {
        ids.push(me);
    }
    Ok(ids)
}

// ---------------------------------------------------------------- sign-in

pub use crate::entity::session::SessionKind;
const SESSION_HOURS: i64 = 12;

/// A new session: the secret token goes to the client once.
pub struct NewSession {
    pub token: String,
    pub csrf_token: String,
    pub user: UserView,
    pub expires_at: DateTime<Utc>,
}

pub struct LoginRequest<'a> {
    /// Username or e-mail address.
    pub identifier: &'a str,
    pub password: &'a str,
    pub ip: &'a str,
    pub user_agent: Option<&'a str>,
    pub kind: SessionKind,
    pub request_id: Option<String>,
}

/// Whether an attempt, already recorded, may try its password. It counts
/// the failed (or still running) attempts at the same account, by user id
/// so that the username and the e-mail address share one count, or at the
/// same unknown name, since the account's last success; and the failures
/// from the same address in the last minute.
///
/// Counting happens after the attempt's own row is committed: of attempts
/// racing at one account, the last to commit sees all the others, so no
/// more than the limit ever reach the password check (counting first, then
/// recording, let 39 of 40 parallel guesses through).
async fn throttled(store: &Store, mine: &login_attempt::Model) -> StoreResult<Option<i64>> {
    use login_attempt::Column as A;
    let conn = store.reader();
    let now = store.now();
    let since = now - Duration::minutes(ACCOUNT_LOCK_MINUTES);
    let account = match mine.user_id {
        Some(id) => sea_orm::Condition::all().add(A::UserId.eq(id)),
        None => sea_orm::Condition::all().add(A::UserId.is_null()).add(A::UsernameKey.eq(&mine.username_key)),
    };
    let last_success: Option<i64> = login_attempt::Entity::find()
        .select_only()
        .column(A::Id)
        .filter(account.clone())
        .filter(A::Success.eq(true))
        .filter(A::At.gt(since))
        .order_by_desc(A::Id)
        .into_tuple()
        .one(conn)
        .await?;
    let mut failures = login_attempt::Entity::find()
        .filter(account)
        .filter(A::Success.eq(false))
        .filter(A::At.gt(since))
        .filter(A::Id.ne(mine.id));
    if let Some(id) = last_success {
        failures = failures.filter(A::Id.gt(id));
    }
    let recent = failures.order_by_desc(A::At).limit(ACCOUNT_FAILURE_LIMIT).all(conn).await?;
    if recent.len() as u64 >= ACCOUNT_FAILURE_LIMIT {
        let newest = recent[0].at;
        let wait = (newest + Duration::minutes(ACCOUNT_LOCK_MINUTES) - now).num_seconds().max(1);
        return Ok(Some(wait));
    }
    let from_address = login_attempt::Entity::find()
        .filter(A::Ip.eq(&mine.ip))
        .filter(A::Success.eq(false))
        .filter(A::At.gt(now - Duration::minutes(1)))
        .filter(A::Id.ne(mine.id))
        .count(conn)
        .await?;
    if from_address >= ADDRESS_FAILURE_LIMIT {
        return Ok(Some(60));
    }
    Ok(None)
}

fn identifier_key(identifier: &str) -> String {
    identifier.trim().to_lowercase()
}

async fn find_by_identifier<C: ConnectionTrait>(conn: &C, identifier: &str) -> StoreResult<Option<user::Model>> {
    let key = identifier_key(identifier);
    let column = if key.contains('@') { user::Column::EmailKey } else { user::Column::UsernameKey };
    Ok(user::Entity::find().filter(column.eq(key)).filter(user::Column::DeletedAt.is_null()).one(conn).await?)
}

/// Checks the password and opens a session. Wrong username, wrong
/// password and deactivated account all answer `Unauthorized` alike.
pub async fn login(store: &Store, req: LoginRequest<'_>) -> StoreResult<NewSession> {
    let key = identifier_key(req.identifier);
    if key.is_empty() || key.chars().count() > rules::EMAIL_MAX || req.password.len() > 1024 {
        return Err(StoreError::Unauthorized);
    }
    let found = find_by_identifier(store.reader(), &key).await?;
    // Recorded first, as a failure until the password proves right.
    let txn = store.begin().await?;
    let attempt = login_attempt::ActiveModel {
        username_key: Set(key.clone()),
        ip: Set(req.ip.to_owned()),
        success: Set(false),
        at: Set(store.now()),
        user_id: Set(found.as_ref().map(|u| u.id)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    if let Some(retry_after_secs) = throttled(store, &attempt).await? {
        // A refused attempt is no failure: the lock does not extend itself.
        let txn = store.begin().await?;
        login_attempt::Entity::delete_by_id(attempt.id).exec(&txn).await?;
        txn.commit().await?;
        return Err(StoreError::Throttled { retry_after_secs });
    }
    let ok = match &found {
        Some(u) => verify_password(&u.password_hash, req.password).await && u.active,
        None => {
            verify_password(&dummy_hash().await, req.password).await;
            false
        }
    };
    let now = store.now();
    let system = Actor::system();
    let txn = store.permit_own(&system).begin().await?;
    if ok {
        login_attempt::Entity::update_many()
            .col_expr(login_attempt::Column::Success, Expr::value(true))
            .filter(login_attempt::Column::Id.eq(attempt.id))
            .exec(&txn)
            .await?;
    }
    let mut actor = Actor::system();
    actor.ip = Some(req.ip.to_owned());
    actor.request_id = req.request_id.clone();
    let Some(u) = found.filter(|_| ok) else {
        actor.user_id = None;
        actor.username = key.clone();
        let detail = serde_json::json!({ "identifier": key });
        txn.commit(AuditEvent::new("auth.login_failed", "user", None).detail(detail).by(&actor)).await?;
        return Err(StoreError::Unauthorized);
    };
    actor.user_id = Some(u.id);
    actor.username = u.username.clone();
    let token = new_token();
    let csrf_token = new_token();
    let expires_at = now + Duration::hours(if req.kind == SessionKind::Bearer { 24 } else { SESSION_HOURS });
    session::ActiveModel {
        token_hash: Set(token_hash(&token)),
        kind: Set(req.kind),
        user_id: Set(u.id),
        csrf_token: Set(csrf_token.clone()),
        ip: Set(Some(req.ip.to_owned())),
        user_agent: Set(req.user_agent.map(|s| s.chars().take(255).collect())),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(expires_at),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    user::Entity::update_many()
        .col_expr(user::Column::LastLoginAt, Expr::value(now))
        .filter(user::Column::Id.eq(u.id))
        .exec(&txn)
        .await?;
    let detail = serde_json::json!({ "kind": req.kind.code() });
    let id = u.id;
    let view = user_view(&txn, u).await?;
    txn.commit(AuditEvent::new("auth.login", "user", Some(id)).detail(detail).by(&actor)).await?;
    Ok(NewSession { token, csrf_token, user: view, expires_at })
}

/// Ends the session the token belongs to.
pub async fn logout(store: &Store, actor: &Actor, token: &str) -> StoreResult<()> {
    let txn = store.permit_own(actor).begin().await?;
    session::Entity::delete_many().filter(session::Column::TokenHash.eq(token_hash(token))).exec(&txn).await?;
    txn.commit(AuditEvent::new("auth.logout", "user", actor.user_id)).await?;
    Ok(())
}

/// A signed-in caller found from a session or bearer token.
pub struct Authenticated {
    pub actor: Actor,
    /// Present for sessions: the CSRF token unsafe cookie requests must echo.
    pub csrf_token: Option<String>,
    pub session_kind: &'static str,
}

/// Resolves a session cookie or bearer token (login token or API token).
/// Expired sessions, revoked tokens and deactivated users resolve to nothing.
pub async fn authenticate(store: &Store, token: &str, from_cookie: bool) -> StoreResult<Option<Authenticated>> {
    if token.is_empty() || token.len() > 200 {
        return Ok(None);
    }
    let hash = token_hash(token);
    let now = store.now();
    let conn = store.reader();
    let found = session::Entity::find().filter(session::Column::TokenHash.eq(&hash)).one(conn).await?;
    let (user_id, csrf, kind) = match found {
        Some(s) => {
            let expected = if from_cookie { SessionKind::Cookie } else { SessionKind::Bearer };
            if s.expires_at <= now || s.kind != expected {
                return Ok(None);
            }
            if now - s.last_seen_at > Duration::minutes(5) {
                // Sliding expiry, written at most every five minutes.
                let txn = store.begin().await?;
                let extend =
                    if s.kind == SessionKind::Cookie { Duration::hours(SESSION_HOURS) } else { Duration::zero() };
                session::Entity::update_many()
                    .col_expr(session::Column::LastSeenAt, Expr::value(now))
                    .col_expr(session::Column::ExpiresAt, Expr::value(s.expires_at.max(now + extend)))
                    .filter(session::Column::Id.eq(s.id))
                    .exec(&txn)
                    .await?;
                txn.commit().await?;
            }
            (s.user_id, Some(s.csrf_token), s.kind.code())
        }
        None if !from_cookie => {
            let Some(t) = api_token::Entity::find()
                .filter(api_token::Column::TokenHash.eq(&hash))
                .filter(api_token::Column::RevokedAt.is_null())
                .one(conn)
                .await?
            else {
                return Ok(None);
            };
            if t.last_used_at.is_none_or(|at| now - at > Duration::minutes(5)) {
                let txn = store.begin().await?;
                api_token::Entity::update_many()
                    .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
                    .filter(api_token::Column::Id.eq(t.id))
                    .exec(&txn)
                    .await?;
                txn.commit().await?;
            }
            (t.user_id, None, "api_token")
        }
        None => return Ok(None),
    };
    let Some(u) = user::Entity::find_by_id(user_id)
        .filter(user::Column::Active.eq(true))
        .filter(user::Column::DeletedAt.is_null())
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let actor = actor_for(conn, &u).await?;
    Ok(Some(Authenticated { actor, csrf_token: csrf, session_kind: kind }))
}

/// Removes expired sessions, old sign-in attempts and used reset links.
pub async fn purge_expired(store: &Store) -> StoreResult<u64> {
    let now = store.now();
    let txn = store.begin().await?;
    let a = session::Entity::delete_many().filter(session::Column::ExpiresAt.lt(now)).exec(&txn).await?;
    let b = login_attempt::Entity::delete_many()
        .filter(login_attempt::Column::At.lt(now - Duration::days(30)))
        .exec(&txn)
        .await?;
    let c = password_reset::Entity::delete_many()
        .filter(password_reset::Column::ExpiresAt.lt(now - Duration::days(7)))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(a.rows_affected + b.rows_affected + c.rows_affected)
}

// ---------------------------------------------------------------- passwords

/// Changes the caller's own password after checking the current one.
/// Outstanding reset links end; with `sign_out_others` every other session
/// of the user ends too (the one holding `keep_token` stays).
pub async fn change_own_password(
    store: &Store,
    actor: &Actor,
    current: &str,
    new: &str,
    keep_token: Option<&str>,
    sign_out_others: bool,
) -> StoreResult<()> {
    let id = actor.user_id.ok_or(StoreError::Forbidden)?;
    let u = user::Entity::find_by_id(id).one(store.reader()).await?.ok_or(StoreError::NotFound)?;
    if !verify_password(&u.password_hash, current).await {
        return Err(Invalid::one("current_password", "wrong_password").into());
    }
    let mut invalid = Invalid::new();
    rules::check_password(&mut invalid, "new_password", new, &u.username);
    invalid.into_result()?;
    let hash = hash_password(new).await?;
    let txn = store.permit_own(actor).begin().await?;
    set_password(&txn, id, &hash).await?;
    if sign_out_others {
        let mut others = session::Entity::delete_many().filter(session::Column::UserId.eq(id));
        if let Some(t) = keep_token {
            others = others.filter(session::Column::TokenHash.ne(token_hash(t)));
        }
        others.exec(&txn).await?;
    }
    let detail = serde_json::json!({ "signed_out_other_sessions": sign_out_others });
    txn.commit(AuditEvent::new("auth.password_change", "user", Some(id)).detail(detail)).await?;
    Ok(())
}

/// Every way a password changes goes through here: the new hash, and every
/// reset link of the user still outstanding ends (a link mailed before the
/// change must not undo it).
async fn set_password(conn: &UnitOfWork<'_>, id: i64, hash: &str) -> StoreResult<()> {
    let now = conn.now();
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(id))
        .exec(conn)
        .await?;
    password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(now))
        .filter(password_reset::Column::UserId.eq(id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Sets a user's password by username (command line) and ends their sessions.
pub async fn reset_password(store: &Store, actor: &Actor, username: &str, new: &str) -> StoreResult<()> {
    let permit = store.permit(actor, Module::Access, Action::Administer)?;
    let u = find_by_identifier(store.reader(), username).await?.ok_or(StoreError::NotFound)?;
    let mut invalid = Invalid::new();
    rules::check_password(&mut invalid, "password", new, &u.username);
    invalid.into_result()?;
    let hash = hash_password(new).await?;
    let txn = permit.begin().await?;
    set_password(&txn, u.id, &hash).await?;
    session::Entity::delete_many().filter(session::Column::UserId.eq(u.id)).exec(&txn).await?;
    txn.commit(AuditEvent::new("auth.password_reset", "user", Some(u.id))).await?;
    Ok(())
}

/// What the caller needs to e-mail a reset link.
pub struct ResetMail {
    pub outbox_id: i64,
}

/// Starts a password reset for an e-mail address. Returns `None` when no
/// active user has it; callers answer the same either way. `compose`
/// builds subject and body from the user and the secret token.
pub async fn request_password_reset(
    store: &Store,
    email: &str,
    ip: &str,
    compose: impl FnOnce(&UserView, &str) -> (String, String),
) -> StoreResult<Option<ResetMail>> {
    let key = identifier_key(email);
    if !key.contains('@') || key.chars().count() > rules::EMAIL_MAX {
        return Ok(None);
    }
    let Some(u) = find_by_identifier(store.reader(), &key).await?.filter(|u| u.active) else {
        return Ok(None);
    };
    let token = new_token();
    let now = store.now();
    let mut actor = Actor::system();
    actor.ip = Some(ip.to_owned());
    let txn = store.permit_own(&actor).begin().await?;
    // No more than three links an hour per account: nobody gets e-mail-bombed.
    // Counted under the user's row lock, in the transaction that adds one.
    crate::locks::lock_user(&txn, u.id).await?;
    let recent = password_reset::Entity::find()
        .filter(password_reset::Column::UserId.eq(u.id))
        .filter(password_reset::Column::CreatedAt.gt(now - Duration::hours(1)))
        .count(&txn)
        .await?;
    if recent >= 3 {
        return Ok(None);
    }
    password_reset::ActiveModel {
        user_id: Set(u.id),
        token_hash: Set(token_hash(&token)),
        created_at: Set(now),
        expires_at: Set(now + Duration::minutes(RESET_LINK_MINUTES)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let to = u.email.clone();
    let id = u.id;
    let view = user_view(&txn, u).await?;
    let (subject, body) = compose(&view, &token);
    let outbox_id = notifications::enqueue(&txn, &to, &subject, &body, now).await?;
    txn.commit(AuditEvent::new("auth.password_reset_requested", "user", Some(id))).await?;
    Ok(Some(ResetMail { outbox_id }))
}

/// Sets a new password with a reset token: once, within 30 minutes. Using
/// one link ends all the user's other links and all their sessions.
pub async fn confirm_password_reset(store: &Store, token: &str, new: &str, ip: &str) -> StoreResult<()> {
    let bad_token = || StoreError::Invalid(Invalid::one("token", "invalid_reset_token"));
    let reset = password_reset::Entity::find()
        .filter(password_reset::Column::TokenHash.eq(token_hash(token)))
        .one(store.reader())
        .await?
        .filter(|r| r.used_at.is_none() && r.expires_at > store.now())
        .ok_or_else(bad_token)?;
    let u = user::Entity::find_by_id(reset.user_id)
        .one(store.reader())
        .await?
        .filter(|u| u.active)
        .ok_or_else(bad_token)?;
    let mut invalid = Invalid::new();
    rules::check_password(&mut invalid, "new_password", new, &u.username);
    invalid.into_result()?;
    // Hashed before the transaction: it takes a while and holds no lock.
    let hash = hash_password(new).await?;
    let now = store.now();
    let mut actor = Actor::system();
    actor.user_id = Some(u.id);
    actor.username = u.username.clone();
    actor.ip = Some(ip.to_owned());
    let txn = store.permit_own(&actor).begin().await?;
    // Marking it used only if still unused and unexpired makes the link
    // single-use even when two requests race, and a link ended meanwhile
    // (by another link or a password change) stays ended.
    let used = password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(now))
        .filter(password_reset::Column::Id.eq(reset.id))
        .filter(password_reset::Column::UsedAt.is_null())
        .filter(password_reset::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?;
    if used.rows_affected != 1 {
        return Err(bad_token());
    }
    if user::Entity::find_by_id(u.id).filter(user::Column::Active.eq(true)).one(&txn).await?.is_none() {
        return Err(bad_token());
    }
    set_password(&txn, u.id, &hash).await?;
    session::Entity::delete_many().filter(session::Column::UserId.eq(u.id)).exec(&txn).await?;
    txn.commit(AuditEvent::new("auth.password_reset", "user", Some(u.id))).await?;
    Ok(())
}
