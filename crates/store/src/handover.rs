//! Hand-over: when someone leaves, their customers, open tasks,
//! unconverted leads and open opportunities move to another person, all in
//! one unit of work. This module orchestrates; each area moves its own rows
//! (`hand_over` in customers, tasks, leads and opportunities), so the areas
//! need not call each other.

use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::validation::FieldError;
use serde::Serialize;

use crate::Store;
use crate::audit::AuditEvent;
use crate::error::{StoreError, StoreResult};
use crate::scope::Actor;
use crate::shared::check_owner;

/// What a hand-over moved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Handover {
    pub customers: u64,
    /// Open tasks (open or in progress) assigned to the person leaving.
    pub tasks: u64,
    /// Leads not converted yet.
    pub leads: u64,
    /// Open opportunities.
    pub opportunities: u64,
}

/// Moves every customer, open task, unconverted lead and open opportunity
/// of one person to another, in one unit (when someone leaves, the
/// customers and the work on them stay with the company). Both people must
/// be in the caller's scope.
pub async fn transfer(store: &Store, actor: &Actor, from: i64, to: i64) -> StoreResult<Handover> {
    let permit = store.permit(actor, Module::Customers, Action::Administer)?;
    if !actor.sees_owner(Some(from)) {
        return Err(StoreError::NotFound);
    }
    let mut invalid = Invalid::new();
    if from == to {
        invalid.push(FieldError::new("to_user_id", "same_user"));
    }
    let txn = permit.begin().await?;
    check_owner(&txn, actor, &mut invalid, Some(to)).await?;
    if invalid.0.iter().any(|e| e.field == "owner_id") {
        invalid.0.iter_mut().for_each(|e| e.field = "to_user_id".into());
    }
    invalid.into_result()?;
    let customers = crate::customers::hand_over(&txn, from, to).await?;
    let tasks = crate::tasks::hand_over(&txn, from, to).await?;
    let leads = crate::leads::hand_over(&txn, from, to).await?;
    let opportunities = crate::opportunities::hand_over(&txn, from, to).await?;
    let detail = serde_json::json!({
        "from_user_id": from, "to_user_id": to, "customers": customers, "tasks": tasks, "leads": leads,
        "opportunities": opportunities
    });
    txn.commit(AuditEvent::new("customer.transfer", "user", Some(from)).detail(detail)).await?;
    Ok(Handover { customers, tasks, leads, opportunities })
}
