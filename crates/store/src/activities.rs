//! Visits and contact records on a customer's timeline. Logging one moves
//! the customer's last activity (which keeps it out of the public pool) and
//! schedules a reminder for the follow-up date.

use chrono::{DateTime, Utc};
use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::activities::check;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement, SimpleExpr};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::Serialize;

use crate::Store;
use crate::audit::AuditEvent;
use crate::customers::{customer_names, find_visible, require_owned, visible};
use crate::entity::notification::NotificationKind;
use crate::entity::{activity, contact, customer, opportunity};
use crate::error::{StoreError, StoreResult};
use crate::notifications;
use crate::paging::{Key, Keyset, Page, PageRequest, SortField};
use crate::scope::Actor;
use crate::search::{self, Kind};
use crate::shared::{clean, owner_names};

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
    /// `high|medium|low`: the prospect's intention noted at a visit.
    pub intention: Option<String>,
    /// The opportunity it was recorded for, if any.
    pub opportunity_id: Option<i64>,
    /// Who recorded it.
    pub owner_id: i64,
    pub owner_name: Option<String>,
    /// Filled in lists across customers.
    pub customer_name: Option<String>,
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
        intention: m.intention,
        opportunity_id: m.opportunity_id,
        owner_id: m.owner_id,
        owner_name: None,
        customer_name: None,
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
    pub intention: Option<String>,
    /// An opportunity of the same customer this was for: it counts as
    /// activity on the deal (stalled-deal detection).
    pub opportunity_id: Option<i64>,
}

pub async fn create_activity(store: &Store, actor: &Actor, input: ActivityInput) -> StoreResult<ActivityView> {
    let permit = store.permit(actor, Module::Customers, Action::Edit)?;
    let me = actor.user_id.ok_or(StoreError::Forbidden)?;
    let checked = check(
        &input.kind,
        &input.subject,
        &input.outcome,
        input.next_step.as_deref().unwrap_or(""),
        input.occurred_at,
        input.next_at,
        clean(&input.intention).as_deref(),
    );
    let txn = permit.begin().await?;
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
    let deal = match input.opportunity_id {
        Some(o) => Some(
            opportunity::Entity::find_by_id(o)
                .filter(opportunity::Column::CustomerId.eq(input.customer_id))
                .filter(opportunity::Column::DeletedAt.is_null())
                .filter(actor.scope_condition(opportunity::Column::OwnerId))
                .one(&txn)
                .await?
                .ok_or_else(|| Invalid::one("opportunity_id", "unknown_reference"))?,
        ),
        None => None,
    };
    let now = txn.now();
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
        intention: Set(clean(&input.intention)),
        opportunity_id: Set(input.opportunity_id),
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
    if let Some(deal) = deal
        && input.occurred_at > deal.last_activity_at
    {
        opportunity::Entity::update_many()
            .col_expr(opportunity::Column::LastActivityAt, Expr::value(input.occurred_at))
            .filter(opportunity::Column::Id.eq(deal.id))
            .exec(&txn)
            .await?;
    }
    if let Some(due) = input.next_at {
        let who = parent.owner_id.unwrap_or(me);
        let what = clean(&input.next_step).unwrap_or_else(|| input.subject.trim().to_owned());
        let title = format!("{} · {what}", parent.name);
        notifications::remind(
            &txn,
            who,
            NotificationKind::FollowUp,
            &title,
            &format!("/customers/{}", parent.id),
            due,
            txn.now(),
        )
        .await?;
    }
    let v = view(m);
    txn.commit(AuditEvent::new("activity.create", "customer", Some(v.customer_id)).after(&v)).await?;
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
    let page = keyset.finish(rows, |a, _| (Key::Time(a.occurred_at), a.id)).map(view);
    with_names(store, page).await
}

/// The activities recorded for an opportunity, newest first.
pub async fn list_for_opportunity(
    store: &Store,
    actor: &Actor,
    opportunity_id: i64,
    page: &PageRequest,
) -> StoreResult<Page<ActivityView>> {
    actor.require(Module::Opportunities, Action::View)?;
    opportunity::Entity::find_by_id(opportunity_id)
        .filter(actor.scope_condition(opportunity::Column::OwnerId))
        .one(store.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
    let keyset = Keyset::parse(page, &SORTS, "-occurred_at")?;
    let query = activity::Entity::find()
        .filter(activity::Column::OpportunityId.eq(opportunity_id))
        .filter(activity::Column::DeletedAt.is_null());
    let rows = keyset.apply(query, activity::Column::Id).all(store.reader()).await?;
    let page = keyset.finish(rows, |a, _| (Key::Time(a.occurred_at), a.id)).map(view);
    with_names(store, page).await
}

/// Who recorded each activity and for which customer, in two queries.
async fn with_names(store: &Store, mut page: Page<ActivityView>) -> StoreResult<Page<ActivityView>> {
    let owners = owner_names(store.reader(), page.items.iter().map(|a| a.owner_id)).await?;
    let customers = customer_names(store, page.items.iter().map(|a| a.customer_id)).await?;
    for a in &mut page.items {
        a.owner_name = owners.get(&a.owner_id).cloned();
        a.customer_name = customers.get(&a.customer_id).cloned();
    }
    Ok(page)
}

/// Customers kept by a list's filters from this many on make it walk the
/// activities in time order, checking each one's customer; fewer are looked
/// up by customer and sorted.
const MANY_CUSTOMERS: u64 = 5000;

/// The condition on an activity's customer. A few customers (a name search,
/// a small scope): `customer_id IN (…)`, read through the customer index.
/// Many (everyone not closed yet): a correlated `EXISTS`, so the newest
/// activities are read first and the page stops early instead of sorting
/// millions of rows.
async fn customers_condition(store: &Store, mut customers: SelectStatement) -> StoreResult<SimpleExpr> {
    let mut probe = customers.clone();
    probe.limit(MANY_CUSTOMERS);
    let mut count = Query::select();
    count.expr(Expr::cust("COUNT(*)")).from_subquery(probe, Alias::new("c"));
    let n: i64 = store.reader().query_one(&count).await?.and_then(|r| r.try_get_by_index::<i64>(0).ok()).unwrap_or(0);
    if (n as u64) < MANY_CUSTOMERS {
        return Ok(activity::Column::CustomerId.in_subquery(customers));
    }
    customers.and_where(
        Expr::col((customer::Entity, customer::Column::Id)).equals((activity::Entity, activity::Column::CustomerId)),
    );
    Ok(Expr::exists(customers))
}

/// What the list of all visits and contact records can be narrowed to.
#[derive(Debug, Clone, Default)]
pub struct ActivityFilter {
    /// Part of the customer's name.
    pub q: Option<String>,
    pub customer_id: Option<i64>,
    pub kind: Option<String>,
    /// Who recorded it.
    pub owner_id: Option<i64>,
    pub intention: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Only records with a follow-up date.
    pub follow_up: bool,
    /// Only follow-up dates that passed unanswered (see
    /// `salesflow_domain::activities::unanswered_window`).
    pub unanswered: bool,
    /// Only records on the customers of this owner.
    pub customer_owner_id: Option<i64>,
    /// `Some(false)`: customers that have not closed a deal yet; `Some(true)`: closed ones.
    pub closed: Option<bool>,
}

/// Visits and contact records of every customer the actor sees, newest
/// first. The archives 到访客户意向登记表 and 客户跟踪档案 are this list
/// with fixed filters.
pub async fn list_activities(
    store: &Store,
    actor: &Actor,
    filter: &ActivityFilter,
    page: &PageRequest,
) -> StoreResult<Page<ActivityView>> {
    actor.require(Module::Customers, Action::View)?;
    let keyset = Keyset::parse(page, &SORTS, "-occurred_at")?;
    let mut query = activity::Entity::find().filter(activity::Column::DeletedAt.is_null());
    // The customer side: scope, name search and closed or not, as one sub-query.
    let mut customers = Query::select();
    customers.column(customer::Column::Id).from(customer::Entity).and_where(customer::Column::DeletedAt.is_null());
    let mut narrowed = actor.visible_users.is_some();
    customers.cond_where(visible(actor));
    if let Some(q) = filter.q.as_deref()
        && let Some(ids) = search::matching(store.reader(), Kind::Customer, q).await?
    {
        customers.and_where(customer::Column::Id.in_subquery(ids));
        narrowed = true;
    }
    if let Some(owner) = filter.customer_owner_id {
        customers.and_where(customer::Column::OwnerId.eq(owner));
        narrowed = true;
    }
    if let Some(closed) = filter.closed {
        customers.and_where(if closed {
            customer::Column::ClosedAt.is_not_null()
        } else {
            customer::Column::ClosedAt.is_null()
        });
        narrowed = true;
    }
    if let Some(id) = filter.customer_id {
        find_visible(store.reader(), actor, id).await?;
        query = query.filter(activity::Column::CustomerId.eq(id));
    }
    if narrowed {
        query = query.filter(customers_condition(store, customers).await?);
    }
    if let Some(kind) = clean(&filter.kind) {
        query = query.filter(activity::Column::Kind.eq(kind));
    }
    if let Some(intention) = clean(&filter.intention) {
        query = query.filter(activity::Column::Intention.eq(intention));
    }
    if let Some(owner) = filter.owner_id {
        query = query.filter(activity::Column::OwnerId.eq(owner));
    }
    if let Some(from) = filter.from {
        query = query.filter(activity::Column::OccurredAt.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(activity::Column::OccurredAt.lt(to));
    }
    if filter.follow_up {
        query = query.filter(activity::Column::NextAt.is_not_null());
    }
    if filter.unanswered {
        let company = crate::settings::get(store).await?.settings;
        let (from, to) = salesflow_domain::activities::unanswered_window(&company, store.now());
        query = query
            .filter(activity::Column::NextAt.gte(from))
            .filter(activity::Column::NextAt.lt(to))
            .filter(crate::home::unanswered());
    }
    let rows = keyset.apply(query, activity::Column::Id).all(store.reader()).await?;
    let page = keyset.finish(rows, |a, _| (Key::Time(a.occurred_at), a.id)).map(view);
    with_names(store, page).await
}
