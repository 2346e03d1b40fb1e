//! The e-mail outbox. Every message is written here first, in the
//! transaction that caused it; a sender delivers it by SMTP when one is
//! configured, otherwise administrators read it in the UI.

use chrono::{DateTime, Utc};
use salesflow_domain::access::{Action, Module};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use serde::Serialize;

use crate::Store;
use crate::entity::outbox_message::{self, Column, Entity};
use crate::error::StoreResult;
use crate::paging::{Key, Keyset, Page, PageRequest, SortField};
use crate::scope::Actor;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OutboxMessage {
    pub id: i64,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
}

impl From<outbox_message::Model> for OutboxMessage {
    fn from(m: outbox_message::Model) -> Self {
        OutboxMessage {
            id: m.id,
            to_address: m.to_address,
            subject: m.subject,
            body: m.body,
            created_at: m.created_at,
            sent_at: m.sent_at,
            error: m.error,
        }
    }
}

/// Writes a message to the outbox at `now` (the store's clock).
pub async fn enqueue<C: ConnectionTrait>(
    conn: &C,
    to: &str,
    subject: &str,
    body: &str,
    now: DateTime<Utc>,
) -> StoreResult<i64> {
    let row = outbox_message::ActiveModel {
        to_address: Set(to.to_owned()),
        subject: Set(subject.to_owned()),
        body: Set(body.to_owned()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(row.id)
}

pub async fn get(store: &Store, id: i64) -> StoreResult<Option<OutboxMessage>> {
    Ok(Entity::find_by_id(id).one(store.reader()).await?.map(Into::into))
}

/// Records the outcome of a delivery attempt.
pub async fn mark(store: &Store, id: i64, error: Option<String>) -> StoreResult<()> {
    let txn = store.begin().await?;
    let mut update = Entity::update_many().filter(Column::Id.eq(id));
    update = match error {
        None => update
            .col_expr(Column::SentAt, Expr::value(store.now()))
            .col_expr(Column::Error, Expr::value(Option::<String>::None)),
        Some(e) => update.col_expr(Column::Error, Expr::value(e)),
    };
    update.exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

const SORTS: [SortField<Column>; 1] = [SortField { name: "id", column: Column::Id }];

/// The outbox, newest first: administrators only (it holds reset links).
pub async fn list(store: &Store, actor: &Actor, page: &PageRequest) -> StoreResult<Page<OutboxMessage>> {
    actor.require(Module::Access, Action::Administer)?;
    let keyset = Keyset::parse(page, &SORTS, "-id")?;
    let rows = keyset.apply(Entity::find(), Column::Id).all(store.reader()).await?;
    Ok(keyset.finish(rows, |m, _| (Key::Int(m.id), m.id)).map(Into::into))
}

// ---------------------------------------------------------------- in-app notices

use crate::entity::notification::{self, NotificationKind};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Notice {
    pub id: i64,
    /// `follow_up` …
    pub kind: String,
    pub title: String,
    pub link: Option<String>,
    pub due_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

impl From<notification::Model> for Notice {
    fn from(m: notification::Model) -> Self {
        Notice {
            id: m.id,
            kind: m.kind.code().to_owned(),
            title: m.title,
            link: m.link,
            due_at: m.due_at,
            read_at: m.read_at,
        }
    }
}

/// Schedules a notice for a user (inside the caller's transaction),
/// created `now` (the store's clock).
pub async fn remind<C: ConnectionTrait>(
    conn: &C,
    user_id: i64,
    kind: NotificationKind,
    title: &str,
    link: &str,
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    notification::ActiveModel {
        user_id: Set(user_id),
        kind: Set(kind),
        title: Set(title.to_owned()),
        link: Set(Some(link.to_owned())),
        due_at: Set(due_at),
        read_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// The caller's notices: due ones first (newest due first), then upcoming.
pub async fn my_notices(store: &Store, actor: &Actor, include_upcoming: bool) -> StoreResult<Vec<Notice>> {
    use sea_orm::QueryOrder;
    let Some(me) = actor.user_id else { return Ok(Vec::new()) };
    let mut q = notification::Entity::find().filter(notification::Column::UserId.eq(me));
    if !include_upcoming {
        q = q.filter(notification::Column::DueAt.lte(store.now()));
    }
    let rows = q.order_by_desc(notification::Column::DueAt).limit(100).all(store.reader()).await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// How many due notices the caller has not read (the bell's count).
pub async fn unread_count(store: &Store, actor: &Actor) -> StoreResult<u64> {
    use sea_orm::PaginatorTrait;
    let Some(me) = actor.user_id else { return Ok(0) };
    Ok(notification::Entity::find()
        .filter(notification::Column::UserId.eq(me))
        .filter(notification::Column::ReadAt.is_null())
        .filter(notification::Column::DueAt.lte(store.now()))
        .count(store.reader())
        .await?)
}

/// Marks one of the caller's notices read.
pub async fn mark_read(store: &Store, actor: &Actor, id: i64) -> StoreResult<()> {
    let me = actor.user_id.ok_or(crate::StoreError::Forbidden)?;
    let txn = store.begin().await?;
    let res = notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(store.now()))
        .filter(notification::Column::Id.eq(id))
        .filter(notification::Column::UserId.eq(me))
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
        return Err(crate::StoreError::NotFound);
    }
    txn.commit().await?;
    Ok(())
}

/// A due reminder to e-mail: to whom, in which language, about what.
#[derive(Debug, Clone)]
pub struct DueReminder {
    pub to_address: String,
    pub name: String,
    pub locale: Option<String>,
    pub title: String,
    pub link: Option<String>,
    pub due_at: DateTime<Utc>,
}

/// Puts due, unread reminders not e-mailed yet into the outbox (at most
/// `limit`), each rendered by `render` as (subject, body), and marks them
/// e-mailed in the same transaction. Reminders of inactive people are
/// marked without a message. Returns the outbox ids to deliver.
pub async fn queue_due_reminders(
    store: &Store,
    limit: u64,
    render: impl Fn(&DueReminder) -> (String, String),
) -> StoreResult<Vec<i64>> {
    use crate::entity::user;
    let now = store.now();
    let txn = store.begin().await?;
    let due = notification::Entity::find()
        .filter(notification::Column::EmailedAt.is_null())
        .filter(notification::Column::ReadAt.is_null())
        .filter(notification::Column::DueAt.lte(now))
        .limit(limit)
        .all(&txn)
        .await?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    let people: std::collections::HashMap<i64, user::Model> = user::Entity::find()
        .filter(user::Column::Id.is_in(due.iter().map(|n| n.user_id)))
        .filter(user::Column::Active.eq(true))
        .filter(user::Column::DeletedAt.is_null())
        .all(&txn)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let mut outbox = Vec::new();
    for n in &due {
        if let Some(u) = people.get(&n.user_id) {
            let reminder = DueReminder {
                to_address: u.email.clone(),
                name: u.display_name.clone(),
                locale: u.locale.clone(),
                title: n.title.clone(),
                link: n.link.clone(),
                due_at: n.due_at,
            };
            let (subject, body) = render(&reminder);
            outbox.push(enqueue(&txn, &reminder.to_address, &subject, &body, now).await?);
        }
    }
    notification::Entity::update_many()
        .col_expr(notification::Column::EmailedAt, Expr::value(now))
        .filter(notification::Column::Id.is_in(due.iter().map(|n| n.id)))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(outbox)
}
