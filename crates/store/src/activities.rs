//! Visits and contact records on a customer's timeline. Logging one moves
//! the customer's last activity (which keeps it out of the public pool) and
//! schedules a reminder for the follow-up date.

use chrono::{DateTime, Utc};
use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::activities::check;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::Serialize;

use crate::Store;
use crate::audit;
use crate::customers::{clean, find_visible, require_owned};
use crate::entity::{activity, contact, customer};
use crate::error::{StoreError, StoreResult};
use crate::notifications;
use crate::paging::{Key, Keyset, Page, PageRequest, SortField};
use crate::scope::Actor;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ActivityView {
    pub id: i64,
    pub customer_id: i64,
    pub contact_id: Option<i64>,
    /// `call|visit|meeting|email|note`.
    pub kind: String,
    pub subject: String,
    pub occurred_at: DateTime<Utc>,
    pub participants: Option<String>,
    pub outcome: String,
    pub next_step: Option<String>,
    pub next_at: Option<DateTime<Utc>>,
    pub owner_id: i64,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

fn view(m: activity::Model) -> ActivityView {
    ActivityView {
        id: m.id,
        customer_id: m.customer_id,
        contact_id: m.contact_id,
        kind: m.kind,
        subject: m.subject,
        occurred_at: m.occurred_at,
        participants: m.participants,
        outcome: m.outcome,
        next_step: m.next_step,
        next_at: m.next_at,
        owner_id: m.owner_id,
        version: m.version,
        created_at: m.created_at,
    }
}

#[derive(Debug, Clone)]
pub struct ActivityInput {
    pub customer_id: i64,
    pub contact_id: Option<i64>,
    pub kind: String,
    pub subject: String,
    pub occurred_at: DateTime<Utc>,
    pub participants: Option<String>,
    pub outcome: String,
    pub next_step: Option<String>,
    /// The follow-up date: a reminder for the customer's owner.
    pub next_at: Option<DateTime<Utc>>,
}

pub async fn create_activity(store: &Store, actor: &Actor, input: ActivityInput) -> StoreResult<ActivityView> {
    actor.require(Module::Customers, Action::Edit)?;
    let me = actor.user_id.ok_or(StoreError::Forbidden)?;
    let checked = check(
        &input.kind,
        &input.subject,
        &input.outcome,
        input.next_step.as_deref().unwrap_or(""),
        input.occurred_at,
        input.next_at,
    );
    let txn = store.begin().await?;
    let parent = find_visible(&txn, actor, input.customer_id)
        .await
        .map_err(|_| StoreError::Invalid(Invalid::one("customer_id", "unknown_reference")))?;
    require_owned(actor, &parent)?;
    checked?;
    if let Some(c) = input.contact_id
        && contact::Entity::find_by_id(c)
            .filter(contact::Column::CustomerId.eq(input.customer_id))
            .filter(contact::Column::DeletedAt.is_null())
            .one(&txn)
            .await?
            .is_none()
    {
        return Err(Invalid::one("contact_id", "unknown_reference").into());
    }
    let now = Utc::now();
    let m = activity::ActiveModel {
        customer_id: Set(input.customer_id),
        contact_id: Set(input.contact_id),
        kind: Set(input.kind.clone()),
        subject: Set(input.subject.trim().to_owned()),
        occurred_at: Set(input.occurred_at),
        participants: Set(clean(&input.participants)),
        outcome: Set(input.outcome.trim().to_owned()),
        next_step: Set(clean(&input.next_step)),
        next_at: Set(input.next_at),
        owner_id: Set(me),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if input.occurred_at > parent.last_activity_at {
        // A derived column: no version bump, so it never conflicts with edits.
        customer::Entity::update_many()
            .col_expr(customer::Column::LastActivityAt, Expr::value(input.occurred_at))
            .filter(customer::Column::Id.eq(parent.id))
            .exec(&txn)
            .await?;
    }
    if let Some(due) = input.next_at {
        let who = parent.owner_id.unwrap_or(me);
        let what = clean(&input.next_step).unwrap_or_else(|| input.subject.trim().to_owned());
        let title = format!("{} · {what}", parent.name);
        notifications::remind(&txn, who, "follow_up", &title, &format!("/customers/{}", parent.id), due).await?;
    }
    let v = view(m);
    audit::record(&txn, actor, "activity.create", "customer", Some(v.customer_id), None, audit::snapshot(&v)).await?;
    txn.commit().await?;
    Ok(v)
}

const SORTS: [SortField<activity::Column>; 1] =
    [SortField { name: "occurred_at", column: activity::Column::OccurredAt }];

/// A customer's timeline, newest first.
pub async fn list_for_customer(
    store: &Store,
    actor: &Actor,
    customer_id: i64,
    page: &PageRequest,
) -> StoreResult<Page<ActivityView>> {
    actor.require(Module::Customers, Action::View)?;
    find_visible(store.reader(), actor, customer_id).await?;
    let keyset = Keyset::parse(page, &SORTS, "-occurred_at")?;
    let query = activity::Entity::find()
        .filter(activity::Column::CustomerId.eq(customer_id))
        .filter(activity::Column::DeletedAt.is_null());
    let rows = keyset.apply(query, activity::Column::Id).all(store.reader()).await?;
    Ok(keyset.finish(rows, |a, _| (Key::Time(a.occurred_at), a.id)).map(view))
}
