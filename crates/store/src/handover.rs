//! Hand-over (移交): a manager moves a person's customers, open deals,
//! unconverted leads and open tasks to another person — all of them (when
//! someone leaves), a selection, or the customers matching a filter with
//! the deals and tasks on them — after a preview that counts what would
//! move. This module orchestrates; each area finds and moves its own rows
//! (`handover_ids` and `hand_over` in customers, opportunities, leads and
//! tasks), so the areas need not call each other.

use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::validation::FieldError;
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};

use crate::Store;
use crate::audit::AuditEvent;
use crate::error::{StoreError, StoreResult};
use crate::scope::Actor;
use crate::shared::check_owner;

/// What a hand-over moved, or (in a preview) would move.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Handover {
    pub customers: u64,
    /// Open tasks (open or in progress) assigned to the person.
    pub tasks: u64,
    /// Leads not converted yet.
    pub leads: u64,
    /// Open opportunities.
    pub opportunities: u64,
}

/// Which kinds of records move (each can be left out).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
pub struct HandoverKinds {
    pub customers: bool,
    pub opportunities: bool,
    pub leads: bool,
    pub tasks: bool,
}

impl Default for HandoverKinds {
    fn default() -> Self {
        HandoverKinds { customers: true, opportunities: true, leads: true, tasks: true }
    }
}

/// The customers a hand-over by filter moves (each field narrows).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
pub struct HandoverFilter {
    /// `A|B|C|D`.
    pub grade: Option<String>,
    pub industry: Option<String>,
    pub province: Option<String>,
    pub tag: Option<String>,
}

/// The records picked one by one, per kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
pub struct HandoverSelection {
    #[serde(default)]
    pub customers: Vec<i64>,
    #[serde(default)]
    pub opportunities: Vec<i64>,
    #[serde(default)]
    pub leads: Vec<i64>,
    #[serde(default)]
    pub tasks: Vec<i64>,
}

/// Which of the person's records move.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum HandoverPick {
    /// Every customer, open deal, unconverted lead and open task.
    #[default]
    All,
    /// Exactly these (each must be the person's and still movable).
    Selected(HandoverSelection),
    /// The person's customers matching the filter, and their open deals
    /// and open tasks on those customers (leads belong to no customer:
    /// none move by a filter).
    Filter(HandoverFilter),
}

/// A hand-over: from whom, to whom, what.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HandoverPlan {
    pub from: i64,
    pub to: i64,
    pub kinds: HandoverKinds,
    pub pick: HandoverPick,
}

/// The ids each area would move.
#[derive(Debug, Default)]
struct Moving {
    customers: Vec<i64>,
    opportunities: Vec<i64>,
    leads: Vec<i64>,
    tasks: Vec<i64>,
}

impl Moving {
    fn counts(&self) -> Handover {
        Handover {
            customers: self.customers.len() as u64,
            opportunities: self.opportunities.len() as u64,
            leads: self.leads.len() as u64,
            tasks: self.tasks.len() as u64,
        }
    }
}

/// Both people in the caller's scope, not the same person.
async fn check_people<C: ConnectionTrait>(conn: &C, actor: &Actor, plan: &HandoverPlan) -> StoreResult<()> {
    if !actor.sees_owner(Some(plan.from)) {
        return Err(StoreError::NotFound);
    }
    let mut invalid = Invalid::new();
    if plan.from == plan.to {
        invalid.push(FieldError::new("to_user_id", "same_user"));
    }
    check_owner(conn, actor, &mut invalid, Some(plan.to)).await?;
    invalid.0.iter_mut().filter(|e| e.field == "owner_id").for_each(|e| e.field = "to_user_id".into());
    Ok(invalid.into_result()?)
}

/// What the plan moves. A selected record that is not the person's (or no
/// longer movable: a converted lead, a closed deal, a done task) refuses
/// the whole plan with the kind's field (`customer_ids`, …).
async fn resolve<C: ConnectionTrait>(conn: &C, plan: &HandoverPlan) -> StoreResult<Moving> {
    let (from, kinds) = (plan.from, plan.kinds);
    let mut moving = Moving::default();
    match &plan.pick {
        HandoverPick::All => {
            if kinds.customers {
                moving.customers = crate::customers::handover_ids(conn, from, None, None).await?;
            }
            if kinds.opportunities {
                moving.opportunities = crate::opportunities::handover_ids(conn, from, None, None).await?;
            }
            if kinds.leads {
                moving.leads = crate::leads::handover_ids(conn, from, None).await?;
            }
            if kinds.tasks {
                moving.tasks = crate::tasks::handover_ids(conn, from, None, None).await?;
            }
        }
        HandoverPick::Selected(s) => {
            let mut invalid = Invalid::new();
            let mut pick = |field: &str, wanted: &[i64], found: Vec<i64>| {
                let mut wanted: Vec<i64> = wanted.to_vec();
                wanted.sort_unstable();
                wanted.dedup();
                if found.len() != wanted.len() {
                    invalid.push(FieldError::new(field, "not_movable"));
                }
                found
            };
            if kinds.customers && !s.customers.is_empty() {
                let found = crate::customers::handover_ids(conn, from, Some(&s.customers), None).await?;
                moving.customers = pick("customer_ids", &s.customers, found);
            }
            if kinds.opportunities && !s.opportunities.is_empty() {
                let found = crate::opportunities::handover_ids(conn, from, Some(&s.opportunities), None).await?;
                moving.opportunities = pick("opportunity_ids", &s.opportunities, found);
            }
            if kinds.leads && !s.leads.is_empty() {
                let found = crate::leads::handover_ids(conn, from, Some(&s.leads)).await?;
                moving.leads = pick("lead_ids", &s.leads, found);
            }
            if kinds.tasks && !s.tasks.is_empty() {
                let found = crate::tasks::handover_ids(conn, from, Some(&s.tasks), None).await?;
                moving.tasks = pick("task_ids", &s.tasks, found);
            }
            invalid.into_result()?;
        }
        HandoverPick::Filter(f) => {
            let customers = crate::customers::handover_ids(conn, from, None, Some(f)).await?;
            if kinds.opportunities {
                moving.opportunities = crate::opportunities::handover_ids(conn, from, None, Some(&customers)).await?;
            }
            if kinds.tasks {
                moving.tasks = crate::tasks::handover_ids(conn, from, None, Some(&customers)).await?;
            }
            if kinds.customers {
                moving.customers = customers;
            }
        }
    }
    Ok(moving)
}

/// What the plan would move, counted per kind; nothing changes. Refused
/// as the hand-over itself would be (people outside the caller's scope,
/// records that are not the person's).
pub async fn preview(store: &Store, actor: &Actor, plan: &HandoverPlan) -> StoreResult<Handover> {
    actor.require(Module::Customers, Action::Administer)?;
    check_people(store.reader(), actor, plan).await?;
    Ok(resolve(store.reader(), plan).await?.counts())
}

/// Moves what the plan picks in one unit of work, audited with the counts
/// (`customer.transfer`). The counts are those the preview showed unless
/// the records changed in between.
pub async fn run(store: &Store, actor: &Actor, plan: &HandoverPlan) -> StoreResult<Handover> {
    let permit = store.permit(actor, Module::Customers, Action::Administer)?;
    let txn = permit.begin().await?;
    check_people(&txn, actor, plan).await?;
    let moving = resolve(&txn, plan).await?;
    let (from, to) = (plan.from, plan.to);
    let customers = crate::customers::hand_over(&txn, &moving.customers, to).await?;
    let tasks = crate::tasks::hand_over(&txn, &moving.tasks, from, to).await?;
    let leads = crate::leads::hand_over(&txn, &moving.leads, to).await?;
    let opportunities = crate::opportunities::hand_over(&txn, &moving.opportunities, from, to).await?;
    let mode = match plan.pick {
        HandoverPick::All => "all",
        HandoverPick::Selected(_) => "selected",
        HandoverPick::Filter(_) => "filter",
    };
    let detail = serde_json::json!({
        "from_user_id": from, "to_user_id": to, "mode": mode, "customers": customers, "tasks": tasks,
        "leads": leads, "opportunities": opportunities
    });
    txn.commit(AuditEvent::new("customer.transfer", "user", Some(from)).detail(detail)).await?;
    Ok(Handover { customers, tasks, leads, opportunities })
}

/// Moves every customer, open task, unconverted lead and open opportunity
/// of one person to another, in one unit (when someone leaves, the
/// customers and the work on them stay with the company). Both people must
/// be in the caller's scope.
pub async fn transfer(store: &Store, actor: &Actor, from: i64, to: i64) -> StoreResult<Handover> {
    run(store, actor, &HandoverPlan { from, to, ..HandoverPlan::default() }).await
}
