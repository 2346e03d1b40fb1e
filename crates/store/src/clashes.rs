//! 撞单 enforced: the one place every write that may put a second rep on a
//! customer asks (customer create and rename, contact create and edit, lead
//! create and edit, the imports of the three), and the hand-over request a
//! refused salesperson sends to the owner's manager.
//!
//! The rule is the domain's (`salesflow_domain::clashes`): a match with a
//! customer owned by another user is refused with `owned_by_other` on the
//! matching field and the owners' display names only; callers with a wider
//! data scope may save anyway with a reason, which goes into the write's
//! audit event.

use chrono::{DateTime, Utc};
use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::clashes::{self as rules, Decision, REQUEST_MESSAGE_MAX};
use salesflow_domain::customers::name_key;
use salesflow_domain::validation::FieldError;
use sea_orm::sea_query::{Condition, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::Serialize;

use crate::Store;
use crate::audit::AuditEvent;
use crate::entity::{contact, customer, department, handover_request, role, user};
use crate::error::{StoreError, StoreResult};
use crate::imports::targets::Item;
use crate::notifications;
use crate::scope::Actor;
use crate::shared::{clean, hidden_owners, owner_names};

/// At most this many customers per key are looked at.
const LIMIT: u64 = 5;

/// A customer of another owner that a value of the input matches.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub field: &'static str,
    pub customer_id: i64,
    pub owner_id: i64,
}

/// What a write is compared by: the domain's keys (company name, phones,
/// e-mail, each with the input field it came from).
pub(crate) use salesflow_domain::clashes::Keys as Probe;

/// Customers of owners other than `new_owner` the probe matches (not
/// deleted; the public pool never clashes), as `Keys::matches` says: the
/// name against customers' names, a phone against customers' own phones
/// and their contacts' phones, the e-mail against contacts'.
/// `except_customer` is the customer being changed, `except_contact` the
/// contact being edited.
pub(crate) async fn find<C: ConnectionTrait>(
    conn: &C,
    probe: &Probe,
    new_owner: Option<i64>,
    except_customer: Option<i64>,
    except_contact: Option<i64>,
) -> StoreResult<Vec<Hit>> {
    let mut hits: Vec<Hit> = Vec::new();
    let others = |q: sea_orm::Select<customer::Entity>| {
        let mut q = q.filter(customer::Column::DeletedAt.is_null()).filter(customer::Column::OwnerId.is_not_null());
        if let Some(me) = new_owner {
            q = q.filter(customer::Column::OwnerId.ne(me));
        }
        if let Some(id) = except_customer {
            q = q.filter(customer::Column::Id.ne(id));
        }
        q
    };
    if let Some((field, key)) = &probe.name
        && !key.is_empty()
    {
        let rows: Vec<(i64, Option<i64>)> = others(customer::Entity::find())
            .select_only()
            .column(customer::Column::Id)
            .column(customer::Column::OwnerId)
            .filter(customer::Column::NameKey.eq(key.clone()))
            .order_by_asc(customer::Column::Id)
            .limit(LIMIT)
            .into_tuple()
            .all(conn)
            .await?;
        hits.extend(rows.into_iter().filter_map(|(id, o)| Some(Hit { field, customer_id: id, owner_id: o? })));
    }
    // (field, the contacts' condition, the customer's own phone key)
    let mut by_contact: Vec<(&'static str, Condition, Option<&String>)> = Vec::new();
    for (field, key) in &probe.phones {
        by_contact.push((
            field,
            Condition::any()
                .add(contact::Column::PhoneKey.eq(key.clone()))
                .add(contact::Column::MobileKey.eq(key.clone())),
            Some(key),
        ));
    }
    if let Some((field, key)) = &probe.email {
        by_contact.push((field, Condition::all().add(contact::Column::EmailKey.eq(key.clone())), None));
    }
    for (field, cond, own_phone) in by_contact {
        let mut people = sea_orm::sea_query::Query::select();
        people.column(contact::Column::CustomerId).from(contact::Entity).cond_where(
            Condition::all()
                .add(cond)
                .add(contact::Column::DeletedAt.is_null())
                .add_option(except_contact.map(|id| contact::Column::Id.ne(id))),
        );
        let matched = Condition::any()
            .add(customer::Column::Id.in_subquery(people))
            .add_option(own_phone.map(|key| customer::Column::PhoneKey.eq(key.clone())));
        let rows: Vec<(i64, Option<i64>)> = others(customer::Entity::find())
            .select_only()
            .column(customer::Column::Id)
            .column(customer::Column::OwnerId)
            .filter(matched)
            .order_by_asc(customer::Column::Id)
            .limit(LIMIT)
            .into_tuple()
            .all(conn)
            .await?;
        hits.extend(rows.into_iter().filter_map(|(id, o)| Some(Hit { field, customer_id: id, owner_id: o? })));
    }
    Ok(hits)
}

/// A clash a manager saved despite: recorded in the write's audit event.
#[derive(Debug, Clone)]
pub(crate) struct Accepted {
    pub reason: String,
    pub customer_ids: Vec<i64>,
}

impl Accepted {
    /// The write's audit event with the reason and the customers it clashed with.
    pub(crate) fn note(accepted: &Option<Accepted>, event: AuditEvent) -> AuditEvent {
        match accepted {
            None => event,
            Some(a) => event
                .note("duplicate_reason", serde_json::json!(a.reason))
                .note("clashes_with", serde_json::json!(a.customer_ids)),
        }
    }
}

/// The decision for hits: `Ok(None)` no clash; `Ok(Some(_))` a manager
/// saves anyway (`allow` with a reason); otherwise the refusal, naming only
/// the owners per field.
pub(crate) async fn decide<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    hits: &[Hit],
    allow: bool,
    reason: Option<&str>,
) -> StoreResult<Option<Accepted>> {
    if hits.is_empty() {
        return Ok(None);
    }
    let names = owner_names(conn, hits.iter().map(|h| h.owner_id)).await?;
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut fields_seen: Vec<&str> = Vec::new();
    for h in hits {
        if fields_seen.contains(&h.field) {
            continue;
        }
        fields_seen.push(h.field);
        let owners = hidden_owners(hits.iter().filter(|o| o.field == h.field).map(|o| names.get(&o.owner_id)));
        fields.push((h.field.to_owned(), owners));
    }
    match rules::decide(actor.scope, allow, reason, &fields) {
        Decision::Save(reason) => {
            let mut customer_ids: Vec<i64> = hits.iter().map(|h| h.customer_id).collect();
            customer_ids.sort_unstable();
            customer_ids.dedup();
            Ok(Some(Accepted { reason, customer_ids }))
        }
        Decision::Refuse(invalid) => Err(invalid.into()),
    }
}

/// The whole check for one write: find, then decide.
pub(crate) async fn check<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    probe: &Probe,
    new_owner: Option<i64>,
    except: (Option<i64>, Option<i64>),
    allow: bool,
    reason: Option<&str>,
) -> StoreResult<Option<Accepted>> {
    if probe.is_empty() {
        return Ok(None);
    }
    let hits = find(conn, probe, new_owner, except.0, except.1).await?;
    decide(conn, actor, &hits, allow, reason).await
}

/// A lead's check: its company, phones and e-mail against the customers of
/// owners other than the lead's.
pub(crate) async fn lead<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    input: &crate::leads::LeadInput,
    owner: Option<i64>,
) -> StoreResult<Option<Accepted>> {
    let probe = lead_probe(input);
    check(conn, actor, &probe, owner, (None, None), input.allow_duplicate, input.duplicate_reason.as_deref()).await
}

pub(crate) fn lead_probe(input: &crate::leads::LeadInput) -> Probe {
    Probe::person(input.company.as_deref(), input.phone.as_deref(), input.mobile.as_deref(), input.email.as_deref())
}

/// A lead converted into a new customer ("new customer" chosen although
/// the duplicate check found one): refused for salespeople when the name is
/// another rep's customer; a manager's explicit choice is recorded with the
/// reason `convert lead <id>`.
pub(crate) async fn conversion<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    name: &str,
    owner: i64,
    lead_id: i64,
) -> StoreResult<Option<Accepted>> {
    let reason = format!("convert lead {lead_id}");
    let allow = rules::may_override(actor.scope);
    check(conn, actor, &Probe::customer(name, None), Some(owner), (None, None), allow, Some(&reason)).await
}

/// For an import: rejects the rows that clash when the importer may not
/// save despite a clash (a salesperson), with the refusal as the row's
/// errors. A manager's rows go on: the import's duplicate mode decides, and
/// the import's audit event carries the reason `import <job id>`
/// ([`import_note`]).
pub(crate) async fn import_rows<C: ConnectionTrait, R>(
    conn: &C,
    actor: &Actor,
    items: &mut [Item<R>],
    probe: impl Fn(&R) -> Probe,
) -> StoreResult<()> {
    if rules::may_override(actor.scope) {
        return Ok(());
    }
    for item in items.iter_mut() {
        let Some(record) = item.record.as_ref() else { continue };
        let hits = find(conn, &probe(record), actor.user_id, None, None).await?;
        match decide(conn, actor, &hits, false, None).await {
            Ok(_) => {}
            Err(StoreError::Invalid(Invalid(errors))) => {
                for e in errors {
                    item.reject(e);
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The import's audit detail, with the reason clashes were accepted under
/// when the importer may accept them.
pub(crate) fn import_note(actor: &Actor, job_id: i64, mut detail: serde_json::Value) -> serde_json::Value {
    if rules::may_override(actor.scope)
        && let serde_json::Value::Object(map) = &mut detail
    {
        map.insert("duplicate_reason".into(), rules::import_reason(job_id).into());
    }
    detail
}

// ---------------------------------------------------------------- hand-over requests

/// What a refused salesperson asks for: the value that clashed (a company
/// name, a phone or an e-mail) and a message for the manager.
#[derive(Debug, Clone, Default)]
pub struct HandoverRequestInput {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub message: String,
}

/// The answer: only that the request went out (never to whom or about which record).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HandoverRequestSent {
    /// Always `true`.
    pub sent: bool,
}

/// Who is told about a request for a customer of `owner`: the manager of
/// the owner's department, else the active administrators.
async fn recipients<C: ConnectionTrait>(conn: &C, owner: i64) -> StoreResult<Vec<i64>> {
    let active = |q: sea_orm::Select<user::Entity>| {
        q.filter(user::Column::Active.eq(true)).filter(user::Column::DeletedAt.is_null())
    };
    let department = user::Entity::find_by_id(owner).one(conn).await?.and_then(|u| u.department_id);
    if let Some(d) = department
        && let Some(manager) = department::Entity::find_by_id(d)
            .filter(department::Column::DeletedAt.is_null())
            .one(conn)
            .await?
            .and_then(|d| d.manager_id)
        && active(user::Entity::find_by_id(manager)).one(conn).await?.is_some()
    {
        return Ok(vec![manager]);
    }
    let mut admins = sea_orm::sea_query::Query::select();
    admins.column(role::Column::Id).from(role::Entity).and_where(role::Column::Code.eq("admin"));
    let ids: Vec<i64> = active(user::Entity::find())
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::RoleId.in_subquery(admins))
        .order_by_asc(user::Column::Id)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(ids)
}

/// Sends a hand-over request for the customers of other owners that the
/// value matches (as the refusal found them): each owner's manager gets a
/// notice, each request an audit event. One request per requester,
/// customer and company day: a second one the same day is a conflict
/// (409), decided by the unique key in the inserting transaction.
pub async fn request_handover(
    store: &Store,
    actor: &Actor,
    input: HandoverRequestInput,
) -> StoreResult<HandoverRequestSent> {
    let permit = store.permit(actor, Module::Customers, Action::Create)?;
    let me = actor.user_id.ok_or(StoreError::Forbidden)?;
    let mut invalid = Invalid::new();
    invalid.optional_text("message", input.message.trim(), REQUEST_MESSAGE_MAX);
    let probe = Probe {
        name: clean(&input.name).map(|n| ("name", name_key(&n))).filter(|(_, k)| !k.is_empty()),
        ..Probe::person(None, input.phone.as_deref(), None, input.email.as_deref())
    };
    if probe.is_empty() {
        invalid.push(FieldError::new("name", "required"));
    }
    invalid.into_result()?;
    let unit = permit.begin().await?;
    let hits = find(&unit, &probe, Some(me), None, None).await?;
    if hits.is_empty() {
        let field = probe.name.as_ref().or(probe.phones.first()).or(probe.email.as_ref()).map_or("name", |p| p.0);
        return Err(Invalid::one(field, "nothing_to_request").into());
    }
    let now = unit.now();
    let day = crate::settings::today(&unit, now).await?.format("%Y-%m-%d").to_string();
    let message = input.message.trim().to_owned();
    let mut seen: Vec<i64> = Vec::new();
    let mut audited = None;
    for hit in &hits {
        if seen.contains(&hit.customer_id) {
            continue;
        }
        seen.push(hit.customer_id);
        let to = recipients(&unit, hit.owner_id).await?;
        let inserted = handover_request::Entity::insert(handover_request::ActiveModel {
            requester_id: Set(me),
            customer_id: Set(hit.customer_id),
            owner_id: Set(hit.owner_id),
            day: Set(day.clone()),
            message: Set(message.clone()),
            notified_user_id: Set(to.first().copied().unwrap_or(hit.owner_id)),
            created_at: Set(now),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::columns([
                handover_request::Column::RequesterId,
                handover_request::Column::CustomerId,
                handover_request::Column::Day,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&unit)
        .await?;
        if inserted == 0 {
            continue;
        }
        notify(&unit, actor, hit.customer_id, &to, &message, now).await?;
        let detail = serde_json::json!({
            "field": hit.field,
            "requester_id": me,
            "owner_id": hit.owner_id,
            "notified": to,
            "message": message,
        });
        audited = Some(
            unit.record(AuditEvent::new("customer.handover_request", "customer", Some(hit.customer_id)).detail(detail))
                .await?,
        );
    }
    match audited {
        Some(audited) => unit.commit_recorded(audited).await?,
        None => return Err(StoreError::Conflict("hand-over already requested today".into())),
    }
    Ok(HandoverRequestSent { sent: true })
}

async fn notify<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    customer_id: i64,
    to: &[i64],
    message: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let name = customer::Entity::find_by_id(customer_id).one(conn).await?.map(|c| c.name).unwrap_or_default();
    let title = if message.is_empty() {
        format!("{name} · {}", actor.display_name)
    } else {
        format!("{name} · {}: {message}", actor.display_name)
    };
    for &user_id in to {
        notifications::remind(
            conn,
            user_id,
            crate::entity::notification::NotificationKind::HandoverRequest,
            &title,
            &format!("/customers/{customer_id}"),
            now,
            now,
        )
        .await?;
    }
    Ok(())
}
