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
            name: Set(format!("{} {}", r.name_zh, r.name_en)),
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

pub const COOKIE_SESSION: &str = "cookie";
pub const BEARER_SESSION: &str = "bearer";
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
    /// `COOKIE_SESSION` or `BEARER_SESSION`.
    pub kind: &'a str,
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
    let expires_at = now + Duration::hours(if req.kind == BEARER_SESSION { 24 } else { SESSION_HOURS });
    session::ActiveModel {
        token_hash: Set(token_hash(&token)),
        kind: Set(req.kind.to_owned()),
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
    let detail = serde_json::json!({ "kind": req.kind });
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
            let expected = if from_cookie { COOKIE_SESSION } else { BEARER_SESSION };
            if s.expires_at <= now || s.kind != expected {
                return Ok(None);
            }
            if now - s.last_seen_at > Duration::minutes(5) {
                // Sliding expiry, written at most every five minutes.
                let txn = store.begin().await?;
                let extend = if s.kind == COOKIE_SESSION { Duration::hours(SESSION_HOURS) } else { Duration::zero() };
                session::Entity::update_many()
                    .col_expr(session::Column::LastSeenAt, Expr::value(now))
                    .col_expr(session::Column::ExpiresAt, Expr::value(s.expires_at.max(now + extend)))
                    .filter(session::Column::Id.eq(s.id))
                    .exec(&txn)
                    .await?;
                txn.commit().await?;
            }
            let kind = if s.kind == COOKIE_SESSION { COOKIE_SESSION } else { BEARER_SESSION };
            (s.user_id, Some(s.csrf_token), kind)
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
    let outbox_id = notifications::enqueue(&txn, &to, &subject, &body).await?;
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

// ---------------------------------------------------------------- users

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub role_id: i64,
    pub role_code: String,
    pub department_id: Option<i64>,
    pub locale: Option<String>,
    pub active: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
}

fn view_with(u: user::Model, role_codes: &HashMap<i64, String>) -> UserView {
    UserView {
        role_code: role_codes.get(&u.role_id).cloned().unwrap_or_default(),
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

async fn role_codes<C: ConnectionTrait>(conn: &C) -> StoreResult<HashMap<i64, String>> {
    Ok(role::Entity::find().all(conn).await?.into_iter().map(|r| (r.id, r.code)).collect())
}

async fn user_view<C: ConnectionTrait>(conn: &C, u: user::Model) -> StoreResult<UserView> {
    Ok(view_with(u, &role_codes(conn).await?))
}

#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub password: String,
    pub role_id: i64,
    pub department_id: Option<i64>,
    pub locale: Option<String>,
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
    let model = user::ActiveModel {
        username_key: Set(identifier_key(&username)),
        username: Set(username),
        email_key: Set(identifier_key(&email)),
        email: Set(email),
        display_name: Set(new.display_name.trim().to_owned()),
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
        update = update.set(user::Column::DisplayName, Expr::value(name.trim()));
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
        .order_by_asc(user::Column::DisplayName)
        .into_tuple()
        .all(store.reader())
        .await?)
}

// ---------------------------------------------------------------- departments

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
    use sea_orm::sea_query::ExprTrait;
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
        .column_as(Expr::col(user::Column::Id).count(), "n")
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

// ---------------------------------------------------------------- roles

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RoleView {
    pub id: i64,
    pub code: String,
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
    let after = txn
        .update::<role::Entity>(id, version)
        .set(role::Column::Name, Expr::value(input.name.trim()))
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

// ---------------------------------------------------------------- API tokens

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
