//! Comments on customers and deals, with @mentions. Whoever may read the
//! record reads its comments and may add one; only the author edits or
//! deletes theirs. A mention notifies the person (in the same unit).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use salesflow_domain::access::{Action, Module};
use salesflow_domain::comments::{self as rules, Subject};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::Serialize;

use crate::Store;
use crate::audit::AuditEvent;
use crate::entity::notification::NotificationKind;
use crate::entity::{comment, department, opportunity, user};
use crate::error::{StoreError, StoreResult};
use crate::notifications;
use crate::paging::{Key, Keyset, Page, PageRequest, SortField};
use crate::scope::Actor;
use crate::shared::owner_names;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CommentView {
    pub id: i64,
    /// `customer` or `opportunity`.
    pub subject_type: String,
    pub subject_id: i64,
    pub author_id: i64,
    pub author_name: Option<String>,
    pub body: String,
    /// The people the comment mentions (notified when it was written or
    /// when an edit added them).
    pub mentions: Vec<Mention>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Whether the caller wrote it (and so may edit or delete it).
    pub mine: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Mention {
    pub user_id: i64,
    pub name: String,
}

fn mention_ids(text: &str) -> Vec<i64> {
    text.split(',').filter_map(|s| s.parse().ok()).collect()
}

fn mention_text(ids: &[i64]) -> String {
    if ids.is_empty() {
        String::new()
    } else {
        format!(",{},", ids.iter().map(i64::to_string).collect::<Vec<_>>().join(","))
    }
}

fn view(m: comment::Model, names: &HashMap<i64, String>, actor: &Actor) -> CommentView {
    let mentions = mention_ids(&m.mentions)
        .into_iter()
        .map(|id| Mention { user_id: id, name: names.get(&id).cloned().unwrap_or_default() })
        .collect();
    CommentView {
        author_name: names.get(&m.author_id).cloned(),
        mine: rules::may_change(m.author_id, actor.user_id),
        id: m.id,
        subject_type: m.subject_type,
        subject_id: m.subject_id,
        author_id: m.author_id,
        body: m.body,
        mentions,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

async fn views<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    rows: Vec<comment::Model>,
) -> StoreResult<Vec<CommentView>> {
    let ids = rows.iter().flat_map(|c| std::iter::once(c.author_id).chain(mention_ids(&c.mentions)));
    let names = owner_names(conn, ids).await?;
    Ok(rows.into_iter().map(|m| view(m, &names, actor)).collect())
}

/// The record a comment is on, read inside the caller's rights and scope:
/// its name and its page (for notices). Deleted records take no comments.
async fn subject<C: ConnectionTrait>(conn: &C, actor: &Actor, kind: Subject, id: i64) -> StoreResult<(String, String)> {
    match kind {
        Subject::Customer => {
            actor.require(Module::Customers, Action::View)?;
            let c = crate::customers::find_visible(conn, actor, id).await?;
            if c.deleted_at.is_some() {
                return Err(StoreError::NotFound);
            }
            Ok((c.name, format!("/customers/{id}#comments")))
        }
        Subject::Opportunity => {
            actor.require(Module::Opportunities, Action::View)?;
            let o = opportunity::Entity::find_by_id(id)
                .filter(actor.scope_condition(opportunity::Column::OwnerId))
                .filter(opportunity::Column::DeletedAt.is_null())
                .one(conn)
                .await?
                .ok_or(StoreError::NotFound)?;
            Ok((o.name, format!("/opportunities/{id}#comments")))
        }
    }
}

/// Whom the caller may mention (the picker's list): the active people of
/// their data scope, and their department's manager.
pub async fn mentionable(store: &Store, actor: &Actor) -> StoreResult<Vec<(i64, String)>> {
    mentionable_in(store.reader(), actor).await
}

async fn mentionable_in<C: ConnectionTrait>(conn: &C, actor: &Actor) -> StoreResult<Vec<(i64, String)>> {
    let mut cond = actor.scope_condition(user::Column::Id);
    if let Some(dept) = actor.department_id
        && let Some(manager) = department::Entity::find_by_id(dept).one(conn).await?.and_then(|d| d.manager_id)
    {
        cond = sea_orm::Condition::any().add(cond).add(user::Column::Id.eq(manager));
    }
    Ok(user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::DisplayName)
        .filter(user::Column::DeletedAt.is_null())
        .filter(user::Column::Active.eq(true))
        .filter(cond)
        .order_by_asc(user::Column::DisplayName)
        .into_tuple()
        .all(conn)
        .await?)
}

const SORTS: [SortField<comment::Column>; 1] = [SortField { name: "id", column: comment::Column::Id }];

/// A record's comments, newest first.
pub async fn list(
    store: &Store,
    actor: &Actor,
    kind: Subject,
    id: i64,
    page: &PageRequest,
) -> StoreResult<Page<CommentView>> {
    subject(store.reader(), actor, kind, id).await?;
    let keyset = Keyset::parse(page, &SORTS, "-id")?;
    let query = comment::Entity::find()
        .filter(comment::Column::SubjectType.eq(kind.code()))
        .filter(comment::Column::SubjectId.eq(id))
        .filter(comment::Column::DeletedAt.is_null());
    let rows = keyset.apply(query, comment::Column::Id).all(store.reader()).await?;
    let page = keyset.finish(rows, |c, _| (Key::Int(c.id), c.id));
    let items = views(store.reader(), actor, page.items).await?;
    Ok(Page { items, next_cursor: page.next_cursor })
}

/// Notifies the people newly mentioned (never the author).
async fn notify<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    ids: &[i64],
    record: &(String, String),
    body: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let excerpt: String = body.chars().take(80).collect();
    let title = format!("{} · {}: {excerpt}", record.0, actor.display_name);
    for &user_id in ids.iter().filter(|id| Some(**id) != actor.user_id) {
        notifications::remind(conn, user_id, NotificationKind::Mention, &title, &record.1, now, now).await?;
    }
    Ok(())
}

pub async fn create(store: &Store, actor: &Actor, kind: Subject, id: i64, body: &str) -> StoreResult<CommentView> {
    let me = actor.user_id.ok_or(StoreError::Forbidden)?;
    let permit = store.permit_own(actor);
    rules::check_body(body).into_result()?;
    let unit = permit.begin().await?;
    let record = subject(&unit, actor, kind, id).await?;
    let people = mentionable_in(&unit, actor).await?;
    let mentioned = rules::mentions(body, &people);
    let now = unit.now();
    let m = comment::ActiveModel {
        subject_type: Set(kind.code().to_owned()),
        subject_id: Set(id),
        author_id: Set(me),
        body: Set(body.trim().to_owned()),
        mentions: Set(mention_text(&mentioned)),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        ..Default::default()
    }
    .insert(&unit)
    .await?;
    notify(&unit, actor, &mentioned, &record, body.trim(), now).await?;
    let v = views(&unit, actor, vec![m]).await?.remove(0);
    unit.commit(AuditEvent::new("comment.create", kind.code(), Some(id)).after(&v)).await?;
    Ok(v)
}

/// The caller's own comment on a record they can still read.
async fn own<C: ConnectionTrait>(conn: &C, actor: &Actor, comment_id: i64) -> StoreResult<(comment::Model, Subject)> {
    let c = comment::Entity::find_by_id(comment_id)
        .filter(comment::Column::DeletedAt.is_null())
        .one(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    let kind = Subject::parse(&c.subject_type).ok_or(StoreError::NotFound)?;
    subject(conn, actor, kind, c.subject_id).await?;
    if !rules::may_change(c.author_id, actor.user_id) {
        return Err(StoreError::Forbidden);
    }
    Ok((c, kind))
}

/// Changes the text of one's own comment; people it newly mentions are notified.
pub async fn update(
    store: &Store,
    actor: &Actor,
    comment_id: i64,
    version: i64,
    body: &str,
) -> StoreResult<CommentView> {
    let permit = store.permit_own(actor);
    rules::check_body(body).into_result()?;
    let unit = permit.begin().await?;
    let (before, kind) = own(&unit, actor, comment_id).await?;
    let record = subject(&unit, actor, kind, before.subject_id).await?;
    let people = mentionable_in(&unit, actor).await?;
    let mentioned = rules::mentions(body, &people);
    let earlier = mention_ids(&before.mentions);
    let new: Vec<i64> = mentioned.iter().copied().filter(|id| !earlier.contains(id)).collect();
    let after = unit
        .update::<comment::Entity>(comment_id, version)
        .set(comment::Column::Body, Expr::value(body.trim()))
        .set(comment::Column::Mentions, Expr::value(mention_text(&mentioned)))
        .exec()
        .await?;
    notify(&unit, actor, &new, &record, body.trim(), unit.now()).await?;
    let mut both = views(&unit, actor, vec![before, after]).await?;
    let after = both.remove(1);
    let event = AuditEvent::new("comment.update", kind.code(), Some(after.subject_id)).before(&both[0]).after(&after);
    unit.commit(event).await?;
    Ok(after)
}

/// Deletes one's own comment (kept, marked deleted, for the audit trail).
pub async fn delete(store: &Store, actor: &Actor, comment_id: i64) -> StoreResult<()> {
    let permit = store.permit_own(actor);
    let unit = permit.begin().await?;
    let (before, kind) = own(&unit, actor, comment_id).await?;
    let now = unit.now();
    unit.update::<comment::Entity>(comment_id, before.version)
        .set(comment::Column::DeletedAt, Expr::value(now))
        .exec()
        .await?;
    let v = views(&unit, actor, vec![before]).await?.remove(0);
    unit.commit(AuditEvent::new("comment.delete", kind.code(), Some(v.subject_id)).before(&v)).await?;
    Ok(())
}

/// One comment (inside the caller's scope).
pub async fn get(store: &Store, actor: &Actor, comment_id: i64) -> StoreResult<CommentView> {
    let c = comment::Entity::find_by_id(comment_id)
        .filter(comment::Column::DeletedAt.is_null())
        .one(store.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
    let kind = Subject::parse(&c.subject_type).ok_or(StoreError::NotFound)?;
    subject(store.reader(), actor, kind, c.subject_id).await?;
    Ok(views(store.reader(), actor, vec![c]).await?.remove(0))
}
