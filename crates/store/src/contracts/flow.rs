//! A contract's life cycle: submit for signing (the approval rules decide
//! whether it waits), approve / reject (the engine's decision, then the
//! contract's transition), start, complete, terminate.

use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::approvals::{Decision, DocumentType, Facts};
use salesflow_domain::contracts::{self as rules, ContractAction, Terms};
use salesflow_domain::money::Money;
use salesflow_domain::quantity::Percent;
use salesflow_domain::validation::FieldError;
use sea_orm::EntityTrait;
use sea_orm::sea_query::Expr;

use super::{ContractView, LINK, find_in_scope, find_readable, full_view, status_of};
use crate::Store;
use crate::approvals::{self, DocumentRef, Outcome};
use crate::audit::AuditEvent;
use crate::entity::{contract, customer};
use crate::error::{StoreError, StoreResult};
use crate::scope::Actor;
use crate::unit_of_work::UnitOfWork;

fn not_allowed(e: rules::NotAllowed) -> StoreError {
    StoreError::Conflict(e.to_string())
}

fn link(id: i64) -> String {
    format!("{LINK}{id}")
}

async fn finish(
    unit: UnitOfWork<'_>,
    actor: &Actor,
    action: &'static str,
    before: &contract::Model,
    after: contract::Model,
) -> StoreResult<ContractView> {
    let id = after.id;
    let view = full_view(&unit, actor, unit.now(), after).await?;
    let event = AuditEvent::new(format!("contract.{action}"), "contract", Some(id))
        .note("number", serde_json::json!(before.number))
        .note("from", serde_json::json!(before.status))
        .note("to", serde_json::json!(view.status));
    unit.commit(event).await?;
    Ok(view)
}

/// Submits a draft for signing (`version` as last read, when given): it
/// needs its dates; when the approval rules require steps, a request opens
/// and the contract waits (`in_approval`), otherwise it is signed at once.
pub async fn submit(store: &Store, actor: &Actor, id: i64, version: Option<i64>) -> StoreResult<ContractView> {
    let permit = store.permit(actor, Module::Contracts, Action::Edit)?;
    let unit = permit.begin().await?;
    let c = find_in_scope(&unit, actor, id).await?;
    rules::transition(status_of(&c), ContractAction::Submit, false).map_err(not_allowed)?;
    let terms = Terms {
        title: &c.title,
        amount: Money(c.amount),
        terms: &c.terms,
        start_date: c.start_date,
        end_date: c.end_date,
        signed_date: c.signed_date,
    };
    rules::check_signable(&terms).into_result()?;
    let facts = Facts {
        document: DocumentType::Contract,
        amount: Money(c.amount),
        discount: Percent::ZERO,
        over_credit_limit: false,
    };
    let customer_name =
        customer::Entity::find_by_id(c.customer_id).one(&unit).await?.map(|x| x.name).unwrap_or_default();
    let doc = DocumentRef {
        document: DocumentType::Contract,
        id: c.id,
        number: c.number.clone(),
        customer_id: Some(c.customer_id),
        customer_name,
        amount: Money(c.amount),
        requester_id: actor.user_id.unwrap_or(c.created_by),
        link: link(c.id),
    };
    let request = approvals::open(&unit, &doc, &facts).await?;
    let next = rules::transition(status_of(&c), ContractAction::Submit, request.is_some()).map_err(not_allowed)?;
    let after = unit
        .update::<contract::Entity>(c.id, version.unwrap_or(c.version))
        .set(contract::Column::Status, Expr::value(next.code()))
        .exec()
        .await?;
    finish(unit, actor, "submit", &c, after).await
}

async fn decide(
    store: &Store,
    actor: &Actor,
    id: i64,
    decision: Decision,
    comment: Option<&str>,
) -> StoreResult<ContractView> {
    // The right to decide is the engine's (the step's approver).
    let permit = store.permit_by_record(actor);
    let unit = permit.begin().await?;
    let c = find_readable(&unit, actor, id).await?;
    let action = match decision {
        Decision::Approve => ContractAction::Approve,
        Decision::Reject => ContractAction::Reject,
    };
    let next = rules::transition(status_of(&c), action, false).map_err(not_allowed)?;
    let outcome = approvals::decide(&unit, DocumentType::Contract, c.id, &link(c.id), decision, comment).await?;
    let after = match outcome {
        Outcome::NextStep => unit.update::<contract::Entity>(c.id, c.version).exec().await?,
        Outcome::Approved | Outcome::Rejected => {
            unit.update::<contract::Entity>(c.id, c.version)
                .set(contract::Column::Status, Expr::value(next.code()))
                .exec()
                .await?
        }
    };
    let name = match outcome {
        Outcome::NextStep => "approve_step",
        Outcome::Approved => "approve",
        Outcome::Rejected => "reject",
    };
    finish(unit, actor, name, &c, after).await
}

/// Approves the contract's current step as its approver; the last step
/// signs the contract.
pub async fn approve(store: &Store, actor: &Actor, id: i64, comment: Option<&str>) -> StoreResult<ContractView> {
    decide(store, actor, id, Decision::Approve, comment).await
}

/// Rejects the contract (a comment says why): it goes back to the draft.
pub async fn reject(store: &Store, actor: &Actor, id: i64, comment: Option<&str>) -> StoreResult<ContractView> {
    decide(store, actor, id, Decision::Reject, comment).await
}

/// Starts, completes or terminates a contract (`version` as last read,
/// when given). Terminating needs a reason.
pub async fn act(
    store: &Store,
    actor: &Actor,
    id: i64,
    action: ContractAction,
    version: Option<i64>,
    reason: Option<&str>,
) -> StoreResult<ContractView> {
    match action {
        ContractAction::Start | ContractAction::Complete | ContractAction::Terminate => {}
        ContractAction::Submit => return submit(store, actor, id, version).await,
        _ => return Err(StoreError::NotFound),
    }
    let permit = store.permit(actor, Module::Contracts, Action::Edit)?;
    let reason = reason.unwrap_or_default().trim();
    if action == ContractAction::Terminate {
        let mut invalid = Invalid::new();
        invalid.text("reason", reason, rules::REASON_MAX);
        invalid.into_result()?;
    } else if !reason.is_empty() {
        return Err(Invalid(vec![FieldError::new("reason", "unknown_field")]).into());
    }
    let unit = permit.begin().await?;
    let c = find_in_scope(&unit, actor, id).await?;
    let next = rules::transition(status_of(&c), action, false).map_err(not_allowed)?;
    let mut update = unit
        .update::<contract::Entity>(c.id, version.unwrap_or(c.version))
        .set(contract::Column::Status, Expr::value(next.code()));
    if action == ContractAction::Terminate {
        update = update.set(contract::Column::TerminationReason, Expr::value(reason));
    }
    let after = update.exec().await?;
    finish(unit, actor, action.code(), &c, after).await
}
