//! Writing a contract: a draft created and changed in place; once it has
//! left the draft, a change (an amendment) keeps the earlier text as a
//! version and raises the revision.

use chrono::{Datelike, NaiveDate};
use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::contracts::{self as rules, ContractStatus, Edit, Terms};
use salesflow_domain::money::Money;
use salesflow_domain::validation::FieldError;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use super::{ContractView, find_in_scope, full_view, status_of};
use crate::Store;
use crate::audit::AuditEvent;
use crate::entity::{contract, contract_version, order};
use crate::error::{StoreError, StoreResult};
use crate::scope::Actor;
use crate::unit_of_work::UnitOfWork;

#[derive(Debug, Clone, Default)]
pub struct ContractInput {
    pub customer_id: i64,
    /// One of the customer's deals.
    pub opportunity_id: Option<i64>,
    /// One of the customer's orders.
    pub order_id: Option<i64>,
    /// Default: the caller; someone in the caller's scope.
    pub owner_id: Option<i64>,
    pub title: String,
    /// Decimal string, not negative.
    pub amount: String,
    pub terms: String,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub signed_date: Option<NaiveDate>,
}

/// Checks the input inside the unit; every problem as a field error.
/// `signable`: the dates are required too (a contract past its draft).
async fn check(unit: &UnitOfWork<'_>, input: &ContractInput, signable: bool) -> StoreResult<(Money, i64)> {
    let actor = unit.actor();
    let mut invalid = Invalid::new();
    crate::shared::check_parties(unit, input.customer_id, None, input.opportunity_id, &mut invalid).await?;
    if let Some(o) = input.order_id
        && order::Entity::find_by_id(o)
            .filter(order::Column::CustomerId.eq(input.customer_id))
            .one(unit)
            .await?
            .is_none()
    {
        invalid.push(FieldError::new("order_id", "unknown_reference"));
    }
    let owner = input.owner_id.or(actor.user_id).unwrap_or_default();
    if !actor.sees_owner(Some(owner)) {
        invalid.push(FieldError::new("owner_id", "unknown_reference"));
    }
    let amount = match Money::parse_strict(input.amount.trim()) {
        Ok(m) => Some(m),
        Err(e) => {
            invalid.push(e.field("amount"));
            None
        }
    };
    let terms = Terms {
        title: &input.title,
        amount: amount.unwrap_or(Money(0)),
        terms: input.terms.trim(),
        start_date: input.start_date,
        end_date: input.end_date,
        signed_date: input.signed_date,
    };
    let found = if signable { rules::check_signable(&terms) } else { rules::check(&terms) };
    for e in found.0 {
        if !invalid.0.iter().any(|x| x.field == e.field) {
            invalid.push(e);
        }
    }
    invalid.into_result()?;
    Ok((amount.unwrap_or(Money(0)), owner))
}

/// Creates a draft contract for a customer in the caller's scope.
pub async fn create(store: &Store, actor: &Actor, input: ContractInput) -> StoreResult<ContractView> {
    let permit = store.permit(actor, Module::Contracts, Action::Create)?;
    let unit = permit.begin().await?;
    let (amount, owner) = check(&unit, &input, false).await?;
    let now = unit.now();
    let year = crate::settings::today(&unit, now).await?.year();
    let number = crate::orders::next_number(&unit, rules::NUMBER_PREFIX, year).await?;
    let m = contract::ActiveModel {
        number: Set(number),
        customer_id: Set(input.customer_id),
        opportunity_id: Set(input.opportunity_id),
        order_id: Set(input.order_id),
        owner_id: Set(owner),
        title: Set(input.title.trim().to_owned()),
        amount: Set(amount.0),
        terms: Set(input.terms.trim().to_owned()),
        start_date: Set(input.start_date),
        end_date: Set(input.end_date),
        signed_date: Set(input.signed_date),
        status: Set(ContractStatus::Draft.code().to_owned()),
        revision: Set(1),
        termination_reason: Set(String::new()),
        reminded_at: Set(None),
        created_by: Set(actor.user_id.unwrap_or_default()),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&unit)
    .await?;
    let view = full_view(&unit, actor, now, m).await?;
    unit.commit(AuditEvent::new("contract.create", "contract", Some(view.id)).after(&view)).await?;
    Ok(view)
}

/// Changes a contract (`version` as last read): a draft in place; a
/// signed or executing one as a new revision, its earlier text kept (the
/// customer stays). Refused (409) in approval and once it has ended.
pub async fn update(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: i64,
    input: ContractInput,
) -> StoreResult<ContractView> {
    let permit = store.permit(actor, Module::Contracts, Action::Edit)?;
    let unit = permit.begin().await?;
    let before = find_in_scope(&unit, actor, id).await?;
    let status = status_of(&before);
    let edit = status.edit();
    if edit == Edit::Refused {
        return Err(StoreError::Conflict(format!("a contract that is {} cannot be changed", before.status)));
    }
    if edit == Edit::NewVersion && input.customer_id != before.customer_id {
        return Err(Invalid::one("customer_id", "unchangeable").into());
    }
    let (amount, owner) = check(&unit, &input, edit == Edit::NewVersion).await?;
    let now = unit.now();
    let before_view = full_view(&unit, actor, now, before.clone()).await?;
    let mut update = unit
        .update::<contract::Entity>(id, version)
        .set(contract::Column::CustomerId, Expr::value(input.customer_id))
        .set(contract::Column::OpportunityId, Expr::value(input.opportunity_id))
        .set(contract::Column::OrderId, Expr::value(input.order_id))
        .set(contract::Column::OwnerId, Expr::value(owner))
        .set(contract::Column::Title, Expr::value(input.title.trim()))
        .set(contract::Column::Amount, Expr::value(amount.0))
        .set(contract::Column::Terms, Expr::value(input.terms.trim()))
        .set(contract::Column::StartDate, Expr::value(input.start_date))
        .set(contract::Column::EndDate, Expr::value(input.end_date))
        .set(contract::Column::SignedDate, Expr::value(input.signed_date));
    if input.end_date != before.end_date {
        // A new end date is reminded of again.
        update = update.set(contract::Column::RemindedAt, Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None));
    }
    if edit == Edit::NewVersion {
        update = update.set(contract::Column::Revision, Expr::value(before.revision + 1));
    }
    // The version check first: a stale one keeps nothing (409).
    let after = update.exec().await?;
    if edit == Edit::NewVersion {
        contract_version::ActiveModel {
            contract_id: Set(before.id),
            revision: Set(before.revision),
            title: Set(before.title.clone()),
            amount: Set(before.amount),
            terms: Set(before.terms.clone()),
            start_date: Set(before.start_date),
            end_date: Set(before.end_date),
            signed_date: Set(before.signed_date),
            opportunity_id: Set(before.opportunity_id),
            order_id: Set(before.order_id),
            changed_by: Set(actor.user_id.unwrap_or_default()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&unit)
        .await?;
    }
    let view = full_view(&unit, actor, now, after).await?;
    let action = if edit == Edit::NewVersion { "contract.amend" } else { "contract.update" };
    unit.commit(AuditEvent::new(action, "contract", Some(id)).before(&before_view).after(&view)).await?;
    Ok(view)
}
