//! Converting a lead into a customer and contact (and optionally an
//! opportunity) in one transaction, reusing a customer the duplicate check
//! finds.

use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::customers::{ContactRole, phone_key};
use salesflow_domain::leads::{self as rules};
use salesflow_domain::validation::FieldError;
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;

use super::{
    LeadView, duplicates::LeadDuplicate, duplicates::duplicate_errors, duplicates::found, find_visible, status_of, view,
};
use crate::Store;
use crate::audit::{self, AuditEvent};
use crate::clashes;
use crate::customers::{
    self, ContactInput, CustomerInput, Duplicate, check_contact, check_input, contact_duplicates, duplicates_by_name,
    insert_contact, insert_customer, normalize, require_owned,
};
use crate::entity::{contact, customer, lead};
use crate::error::{StoreError, StoreResult};
use crate::opportunities::{OpportunityInput, insert_opportunity};
use crate::scope::Actor;
use crate::shared::{check_owner, clean, owner_names};

/// What converting a lead would do, from the duplicate check.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConversionPreview {
    /// The existing customer the lead would be added to.
    pub existing_customer: Option<Duplicate>,
    /// Customers that look the same but that the caller cannot add to
    /// (in the public pool, or someone else's inside the caller's scope):
    /// converting needs `new_customer: true` or a `customer_id` then.
    pub others: Vec<Duplicate>,
    /// Look-alikes outside the caller's scope: only who owns them (display
    /// names), so that the caller can ask; never their ids or names.
    pub elsewhere: Vec<String>,
    /// The name a new customer would get.
    pub new_customer_name: String,
}

/// The caller's choice when converting.
#[derive(Debug, Clone, Default)]
pub struct ConvertInput {
    /// Add the lead to this customer (one the caller may change).
    pub customer_id: Option<i64>,
    /// Create a new customer even when the duplicate check finds one.
    pub new_customer: bool,
    /// The new contact's role; default `handler`.
    pub contact_role: Option<String>,
    /// The lead's version last read; default the current one.
    pub version: Option<i64>,
    /// Also open an opportunity for the new customer and contact.
    pub opportunity: Option<ConvertOpportunity>,
}

/// The opportunity a conversion opens: owned by the lead's owner, with
/// the lead's source and campaign and the contact in the deal.
#[derive(Debug, Clone, Default)]
pub struct ConvertOpportunity {
    /// Default: the customer's name.
    pub name: Option<String>,
    pub amount: salesflow_domain::money::Money,
    /// Default: the first pipeline (its first stage).
    pub pipeline_id: Option<i64>,
    pub expected_close_date: Option<chrono::NaiveDate>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Conversion {
    pub lead: LeadView,
    pub customer_id: i64,
    pub contact_id: i64,
    /// `true`: the lead joined an existing customer.
    pub customer_reused: bool,
    /// `true`: that customer already had this person as a contact.
    pub contact_reused: bool,
    /// The opportunity opened, when one was asked for.
    pub opportunity_id: Option<i64>,
}

fn contact_probe(m: &lead::Model) -> ContactInput {
    ContactInput { phone: m.phone.clone(), mobile: m.mobile.clone(), email: m.email.clone(), ..Default::default() }
}

/// The duplicate check for a conversion: customers with the lead's
/// normalised company name, then customers with a contact of the same
/// phone or e-mail. The first the caller may change is reused.
async fn match_customer<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    m: &lead::Model,
) -> StoreResult<(Option<customer::Model>, Vec<Duplicate>)> {
    let name = rules::customer_name(&m.name, m.company.as_deref().unwrap_or(""));
    let mut ids: Vec<i64> = duplicates_by_name(conn, name, None).await?.into_iter().map(|d| d.id).collect();
    for (_, d) in contact_duplicates(conn, &contact_probe(m), None).await? {
        if !ids.contains(&d.id) {
            ids.push(d.id);
        }
    }
    if ids.is_empty() {
        return Ok((None, Vec::new()));
    }
    let found = customer::Entity::find()
        .filter(customer::Column::Id.is_in(ids.clone()))
        .filter(customer::Column::DeletedAt.is_null())
        .all(conn)
        .await?;
    let names = owner_names(conn, found.iter().filter_map(|c| c.owner_id)).await?;
    let mut reuse = None;
    let mut others = Vec::new();
    // In the order found: name matches before contact matches.
    for id in ids {
        let Some(c) = found.iter().find(|c| c.id == id) else { continue };
        if reuse.is_none() && require_owned(actor, c).is_ok() {
            reuse = Some(c.clone());
        } else {
            others.push(Duplicate {
                id: c.id,
                name: c.name.clone(),
                owner_name: c.owner_id.and_then(|o| names.get(&o).cloned()),
                owner_id: c.owner_id,
            });
        }
    }
    Ok((reuse, others))
}

pub async fn conversion_preview(store: &Store, actor: &Actor, id: i64) -> StoreResult<ConversionPreview> {
    actor.require(Module::Customers, Action::View)?;
    let m = find_visible(store.reader(), actor, id).await?;
    // A deleted lead converts to nothing: as missing as on every other path.
    if m.deleted_at.is_some() {
        return Err(StoreError::NotFound);
    }
    let (reuse, others) = match_customer(store.reader(), actor, &m).await?;
    let names = owner_names(store.reader(), reuse.iter().filter_map(|c| c.owner_id)).await?;
    let (others, hidden): (Vec<Duplicate>, Vec<Duplicate>) = others.into_iter().partition(|d| d.readable(actor));
    let mut elsewhere: Vec<String> = Vec::new();
    for d in hidden {
        let owner = d.owner_name.unwrap_or_else(|| "?".to_owned());
        if !elsewhere.contains(&owner) {
            elsewhere.push(owner);
        }
    }
    Ok(ConversionPreview {
        existing_customer: reuse.map(|c| Duplicate {
            id: c.id,
            owner_name: c.owner_id.and_then(|o| names.get(&o).cloned()),
            owner_id: c.owner_id,
            name: c.name,
        }),
        others,
        elsewhere,
        new_customer_name: rules::customer_name(&m.name, m.company.as_deref().unwrap_or("")).to_owned(),
    })
}

/// Converts a qualified lead, in one transaction, into a customer (an
/// existing one the duplicate check finds, the one the caller picks, or a
/// new one owned by the lead's owner) and a contact, and links the lead to
/// both. Everything is audited; on any error nothing is changed.
pub async fn convert(store: &Store, actor: &Actor, id: i64, input: ConvertInput) -> StoreResult<Conversion> {
    let permit = store.permit(actor, Module::Customers, Action::Edit)?;
    let txn = permit.begin().await?;
    let before = find_visible(&txn, actor, id).await?;
    if before.deleted_at.is_some() {
        return Err(StoreError::NotFound);
    }
    rules::check_convertible(status_of(&before), before.converted_at.is_some())?;
    let version = input.version.unwrap_or(before.version);
    if version != before.version {
        return Err(StoreError::Conflict("stale version".into()));
    }
    let role = clean(&input.contact_role).unwrap_or_else(|| ContactRole::Handler.code().to_owned());
    if ContactRole::parse(&role).is_none() {
        return Err(Invalid::one("contact_role", "invalid_choice").into());
    }

    // The customer.
    let existing = match (input.customer_id, input.new_customer) {
        (Some(_), true) => return Err(Invalid::one("new_customer", "invalid_choice").into()),
        (Some(cid), false) => {
            let c = customers::find_visible(&txn, actor, cid)
                .await
                .ok()
                .filter(|c| c.deleted_at.is_none())
                .ok_or_else(|| Invalid::one("customer_id", "unknown_reference"))?;
            require_owned(actor, &c).map_err(|_| Invalid::one("customer_id", "customer_not_changeable"))?;
            Some(c)
        }
        (None, true) => None,
        (None, false) => {
            let (reuse, others) = match_customer(&txn, actor, &before).await?;
            if reuse.is_none() && !others.is_empty() {
                let look_alikes: Vec<LeadDuplicate> = others
                    .into_iter()
                    .map(|d| LeadDuplicate {
                        owner_name: d.owner_name,
                        ..found("customer_id", "customer", d.id, d.name, d.owner_id)
                    })
                    .collect();
                return Err(duplicate_errors(actor, &look_alikes).into());
            }
            reuse
        }
    };
    let customer_reused = existing.is_some();
    let customer_id = match existing {
        Some(c) => c.id,
        None => {
            actor.require(Module::Customers, Action::Create)?;
            let mut new = CustomerInput {
                name: rules::customer_name(&before.name, before.company.as_deref().unwrap_or("")).to_owned(),
                province: before.province.clone(),
                city: before.city.clone(),
                source: before.source.clone().or_else(|| before.campaign.clone()),
                owner_id: Some(before.owner_id),
                ..Default::default()
            };
            let mut invalid = check_input(&new);
            // The lead's free-text source and region carry over when they
            // name a choice and a region; otherwise the customer starts
            // without them (the conversion is not refused for that).
            let _unmatched = normalize(&mut new, &crate::picklists::load(&txn).await?, None);
            // The lead's owner may have left since: reassign the lead first.
            check_owner(&txn, actor, &mut invalid, Some(before.owner_id)).await?;
            invalid.into_result()?;
            let accepted = clashes::conversion(&txn, actor, &new.name, before.owner_id, id).await?;
            let (customer, event) = insert_customer(&txn, &new, Some(before.owner_id)).await?;
            txn.record(clashes::Accepted::note(&accepted, event)).await?;
            customer.id
        }
    };

    // The contact: the same person at that customer is not added twice.
    let known =
        if customer_reused { existing_contact(&txn, customer_id, &contact_probe(&before)).await? } else { None };
    let contact_reused = known.is_some();
    let contact_id = match known {
        Some(id) => id,
        None => {
            let new = ContactInput {
                customer_id,
                name: before.name.clone(),
                title: before.title.clone(),
                phone: before.phone.clone(),
                mobile: before.mobile.clone(),
                email: before.email.clone(),
                role: role.clone(),
                notes: String::new(),
                allow_duplicate: true,
                duplicate_reason: None,
            };
            check_contact(&new).into_result()?;
            let (contact, event) = insert_contact(&txn, &new).await?;
            txn.record(event).await?;
            contact.id
        }
    };

    // The opportunity, in the same transaction: all or nothing.
    let opportunity_id = match input.opportunity {
        Some(o) => {
            actor.require(Module::Opportunities, Action::Create)?;
            let customer_name = customer::Entity::find_by_id(customer_id).one(&txn).await?.map(|c| c.name);
            let new = OpportunityInput {
                name: clean(&o.name).or(customer_name).unwrap_or_else(|| before.name.clone()),
                customer_id,
                pipeline_id: o.pipeline_id,
                owner_id: Some(before.owner_id),
                amount: o.amount,
                expected_close_date: o.expected_close_date,
                source: before.source.clone(),
                campaign: before.campaign.clone(),
                contacts: Some(vec![(contact_id, role.clone())]),
                lead_id: Some(id),
                ..Default::default()
            };
            let (opportunity, event) = insert_opportunity(&txn, new).await.map_err(|e| prefixed(e, "opportunity."))?;
            txn.record(event).await?;
            Some(opportunity.id)
        }
        None => None,
    };

    let after = txn
        .update::<lead::Entity>(id, version)
        .set(lead::Column::ConvertedCustomerId, Expr::value(customer_id))
        .set(lead::Column::ConvertedContactId, Expr::value(contact_id))
        .set(lead::Column::ConvertedAt, Expr::value(txn.now()))
        .only_if(lead::Column::ConvertedAt.is_null())
        .exec()
        .await?;
    let names = owner_names(&txn, std::iter::once(after.owner_id)).await?;
    let (before, after) = (view(before, &names), view(after, &names));
    let mut detail = audit::snapshot(&after);
    if let Some(serde_json::Value::Object(map)) = detail.as_mut() {
        map.insert("customer_reused".into(), customer_reused.into());
        map.insert("contact_reused".into(), contact_reused.into());
    }
    txn.commit(AuditEvent::new("lead.convert", "lead", Some(id)).before(&before).after_json(detail)).await?;
    Ok(Conversion { lead: after, customer_id, contact_id, customer_reused, contact_reused, opportunity_id })
}

/// Field errors of a part of the conversion, named under that part.
fn prefixed(err: StoreError, prefix: &str) -> StoreError {
    match err {
        StoreError::Invalid(Invalid(errors)) => StoreError::Invalid(Invalid(
            errors.into_iter().map(|e| FieldError { field: format!("{prefix}{}", e.field), ..e }).collect(),
        )),
        other => other,
    }
}

/// The contact of `customer_id` with one of the probe's phones or its e-mail.
async fn existing_contact<C: ConnectionTrait>(
    conn: &C,
    customer_id: i64,
    probe: &ContactInput,
) -> StoreResult<Option<i64>> {
    let phones: Vec<String> =
        [&probe.phone, &probe.mobile].into_iter().filter_map(|p| p.as_deref().and_then(phone_key)).collect();
    let email = clean(&probe.email).map(|e| e.to_lowercase());
    if phones.is_empty() && email.is_none() {
        return Ok(None);
    }
    let mut cond = Condition::any();
    if !phones.is_empty() {
        cond = cond.add(contact::Column::PhoneKey.is_in(phones.clone())).add(contact::Column::MobileKey.is_in(phones));
    }
    if let Some(e) = email {
        cond = cond.add(contact::Column::EmailKey.eq(e));
    }
    let found = contact::Entity::find()
        .select_only()
        .column(contact::Column::Id)
        .filter(contact::Column::CustomerId.eq(customer_id))
        .filter(contact::Column::DeletedAt.is_null())
        .filter(cond)
        .into_tuple::<i64>()
        .one(conn)
        .await?;
    Ok(found)
}
