//! The approval engine (审批), one for every document type.
//!
//! Rules are configured by an administrator (`approval_rules`); when a
//! document is submitted, its own area asks [`open`] with the document's
//! facts: the rules' steps (the domain's `required_steps`) are copied onto
//! a request and the first step's approver is resolved (a user for a
//! manager step, a role code for a role step). The document's own action
//! (`orders::approve`, later `quotes::approve` …) calls [`decide`] inside
//! its unit of work and applies its own transition when the request is
//! approved or rejected: this module never calls a document's module.
//!
//! Who decides a step: for a manager step, the requester's manager that
//! many levels up (the managers of the requester's department and the
//! departments above it, the requester and inactive people skipped; a
//! chain shorter than the level ends at its top; no manager at all: the
//! administrators); for a role step, anyone active holding the role. The
//! requester never decides their own document (domain `check_decision`).

use chrono::{DateTime, Utc};
use salesflow_domain::Invalid;
use salesflow_domain::approvals::{
    self as rules, ApprovalStatus, Approver, Decision, DecisionRefused, DocumentType, Facts,
};
use salesflow_domain::money::Money;
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use serde::{Deserialize, Serialize};

use crate::Store;
use crate::audit::AuditEvent;
use crate::entity::notification::NotificationKind;
use crate::entity::{approval_decision, approval_request, department, role, user};
use crate::error::{StoreError, StoreResult};
use crate::notifications;
use crate::paging::{Key, Keyset, Page, PageRequest, SortField};
use crate::scope::Actor;
use crate::unit_of_work::UnitOfWork;

mod config;
pub use config::*;

// ---------------------------------------------------------------- steps

/// A step as stored: `{"role": "finance"}` or `{"manager": 1}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct StepView {
    /// A role's code: anyone holding it approves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The requester's manager this many levels up (1–5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<u8>,
}

impl StepView {
    fn approver(&self) -> Option<Approver> {
        match (&self.role, self.manager) {
            (Some(r), None) => Some(Approver::Role(r.trim().to_owned())),
            (None, Some(l)) => Some(Approver::Manager(l)),
            _ => None,
        }
    }

    fn of(a: &Approver) -> StepView {
        match a {
            Approver::Role(r) => StepView { role: Some(r.clone()), manager: None },
            Approver::Manager(l) => StepView { role: None, manager: Some(*l) },
        }
    }
}

fn parse_steps(json: &str) -> Vec<Approver> {
    serde_json::from_str::<Vec<StepView>>(json).unwrap_or_default().iter().filter_map(StepView::approver).collect()
}

fn steps_json(steps: &[Approver]) -> String {
    serde_json::to_string(&steps.iter().map(StepView::of).collect::<Vec<_>>()).unwrap_or_else(|_| "[]".into())
}

// ---------------------------------------------------------------- requests

/// The document a request is for, as its own area describes it.
#[derive(Debug, Clone)]
pub struct DocumentRef {
    pub document: DocumentType,
    pub id: i64,
    pub number: String,
    pub customer_id: Option<i64>,
    pub customer_name: String,
    pub amount: Money,
    pub requester_id: i64,
    /// The document's page, where the approve and reject buttons are.
    pub link: String,
}

/// Who decides the current step.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Resolved {
    User(i64),
    Role(String),
}

fn active(q: sea_orm::Select<user::Entity>) -> sea_orm::Select<user::Entity> {
    q.filter(user::Column::Active.eq(true)).filter(user::Column::DeletedAt.is_null())
}

/// The requester's managers, nearest first (see the module's note).
async fn manager_chain<C: ConnectionTrait>(conn: &C, requester: i64) -> StoreResult<Vec<i64>> {
    let mut chain = Vec::new();
    let mut at = user::Entity::find_by_id(requester).one(conn).await?.and_then(|u| u.department_id);
    let mut seen = Vec::new();
    while let Some(d) = at {
        if seen.contains(&d) || seen.len() > 50 {
            break;
        }
        seen.push(d);
        let Some(dept) = department::Entity::find_by_id(d).one(conn).await? else { break };
        if let Some(m) = dept.manager_id
            && m != requester
            && !chain.contains(&m)
            && active(user::Entity::find_by_id(m)).one(conn).await?.is_some()
        {
            chain.push(m);
        }
        at = dept.parent_id;
    }
    Ok(chain)
}

async fn resolve<C: ConnectionTrait>(conn: &C, step: &Approver, requester: i64) -> StoreResult<Resolved> {
    Ok(match step {
        Approver::Role(code) => Resolved::Role(code.clone()),
        Approver::Manager(level) => {
            let chain = manager_chain(conn, requester).await?;
            match chain.get(usize::from(*level).saturating_sub(1)).or(chain.last()) {
                Some(m) => Resolved::User(*m),
                None => Resolved::Role("admin".into()),
            }
        }
    })
}

/// The active people who may decide a resolved step (never the requester).
async fn deciders<C: ConnectionTrait>(conn: &C, who: &Resolved, requester: i64) -> StoreResult<Vec<i64>> {
    let ids: Vec<i64> = match who {
        Resolved::User(id) => vec![*id],
        Resolved::Role(code) => {
            let mut roles = sea_orm::sea_query::Query::select();
            roles.column(role::Column::Id).from(role::Entity).and_where(role::Column::Code.eq(code.as_str()));
            active(user::Entity::find())
                .select_only()
                .column(user::Column::Id)
                .filter(user::Column::RoleId.in_subquery(roles))
                .into_tuple()
                .all(conn)
                .await?
        }
    };
    Ok(ids.into_iter().filter(|id| *id != requester).collect())
}

fn title(r: &approval_request::Model) -> String {
    format!("{} · {} · ¥{}", r.document_number, r.customer_name, Money(r.amount).grouped())
}

async fn notify_deciders(
    unit: &UnitOfWork<'_>,
    r: &approval_request::Model,
    who: &Resolved,
    link: &str,
) -> StoreResult<()> {
    for id in deciders(unit, who, r.requester_id).await? {
        notifications::remind(unit, id, NotificationKind::ApprovalRequest, &title(r), link, unit.now(), unit.now())
            .await?;
    }
    Ok(())
}

fn place(who: &Resolved) -> (Option<i64>, Option<String>) {
    match who {
        Resolved::User(id) => (Some(*id), None),
        Resolved::Role(code) => (None, Some(code.clone())),
    }
}

/// Opens a request for a submitted document when the rules require steps
/// (`None`: no approval needed). A pending request of the same document
/// (a resubmission) is cancelled first. Runs in the document's unit.
pub async fn open(
    unit: &UnitOfWork<'_>,
    doc: &DocumentRef,
    facts: &Facts,
) -> StoreResult<Option<approval_request::Model>> {
    cancel(unit, doc.document, doc.id).await?;
    let steps = rules::required_steps(&rules_for(unit, doc.document).await?, facts);
    let Some(first) = steps.first() else { return Ok(None) };
    let who = resolve(unit, first, doc.requester_id).await?;
    let (approver, role_code) = place(&who);
    let now = unit.now();
    let r = approval_request::ActiveModel {
        document_type: Set(doc.document.code().to_owned()),
        document_id: Set(doc.id),
        document_number: Set(doc.number.clone()),
        customer_id: Set(doc.customer_id),
        customer_name: Set(doc.customer_name.clone()),
        amount: Set(doc.amount.0),
        requester_id: Set(doc.requester_id),
        status: Set(ApprovalStatus::Pending.code().to_owned()),
        current_step: Set(0),
        steps: Set(steps_json(&steps)),
        current_approver_id: Set(approver),
        current_role: Set(role_code),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        decided_at: Set(None),
        ..Default::default()
    }
    .insert(unit)
    .await?;
    notify_deciders(unit, &r, &who, &doc.link).await?;
    Ok(Some(r))
}

async fn pending<C: ConnectionTrait>(
    conn: &C,
    document: DocumentType,
    id: i64,
) -> StoreResult<Option<approval_request::Model>> {
    Ok(approval_request::Entity::find()
        .filter(approval_request::Column::DocumentType.eq(document.code()))
        .filter(approval_request::Column::DocumentId.eq(id))
        .filter(approval_request::Column::Status.eq(ApprovalStatus::Pending.code()))
        .order_by_desc(approval_request::Column::Id)
        .one(conn)
        .await?)
}

/// Whether the actor decides the request's current step (the role or the
/// person; the requester excepted by [`decide`]).
fn is_step_approver(actor: &Actor, r: &approval_request::Model) -> bool {
    match (&r.current_role, r.current_approver_id) {
        (Some(code), _) => *code == actor.role_code && actor.user_id.is_some(),
        (None, Some(id)) => actor.user_id == Some(id),
        (None, None) => false,
    }
}

/// Whether the actor may read the document for its approval: they decide
/// its pending step, or decided one of its steps before.
pub async fn approver_sees<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    document: DocumentType,
    id: i64,
) -> StoreResult<bool> {
    let Some(me) = actor.user_id else { return Ok(false) };
    if let Some(r) = pending(conn, document, id).await?
        && is_step_approver(actor, &r)
    {
        return Ok(true);
    }
    let mut requests = sea_orm::sea_query::Query::select();
    requests
        .column(approval_request::Column::Id)
        .from(approval_request::Entity)
        .and_where(approval_request::Column::DocumentType.eq(document.code()))
        .and_where(approval_request::Column::DocumentId.eq(id));
    Ok(approval_decision::Entity::find()
        .filter(approval_decision::Column::DeciderId.eq(me))
        .filter(approval_decision::Column::RequestId.in_subquery(requests))
        .count(conn)
        .await?
        > 0)
}

/// Whether the actor may decide the document's pending step now.
pub async fn can_decide<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    document: DocumentType,
    id: i64,
) -> StoreResult<bool> {
    Ok(pending(conn, document, id)
        .await?
        .is_some_and(|r| is_step_approver(actor, &r) && actor.user_id != Some(r.requester_id)))
}

/// Where a decision left the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Approved this step; the next one waits.
    NextStep,
    /// The last step approved: the document is approved.
    Approved,
    Rejected,
}

fn refused(r: DecisionRefused) -> StoreError {
    match r {
        DecisionRefused::NotPending => StoreError::Conflict("approval no longer pending".into()),
        DecisionRefused::NotApprover => StoreError::Forbidden,
        DecisionRefused::OwnDocument => Invalid::one("decision", "own_document").into(),
        DecisionRefused::CommentRequired => Invalid::one("comment", "required").into(),
    }
}

/// Decides the document's current step as the unit's actor, inside the
/// document's unit of work: records and audits the decision, moves the
/// request on, and tells the next approvers or the requester. The caller
/// applies its document's transition on `Approved` / `Rejected`.
pub async fn decide(
    unit: &UnitOfWork<'_>,
    document: DocumentType,
    id: i64,
    link: &str,
    decision: Decision,
    comment: Option<&str>,
) -> StoreResult<Outcome> {
    let actor = unit.actor();
    let Some(r) = pending(unit, document, id).await? else {
        return Err(refused(DecisionRefused::NotPending));
    };
    let status = ApprovalStatus::parse(&r.status).unwrap_or(ApprovalStatus::Cancelled);
    rules::check_decision(
        status,
        is_step_approver(actor, &r),
        actor.user_id == Some(r.requester_id),
        decision,
        comment,
    )
    .map_err(refused)?;
    let comment = comment.unwrap_or("").trim().to_owned();
    let mut invalid = Invalid::new();
    invalid.optional_text("comment", &comment, 1000);
    invalid.into_result()?;
    let decider = actor.user_id.ok_or(StoreError::Forbidden)?;
    approval_decision::ActiveModel {
        request_id: Set(r.id),
        step: Set(r.current_step),
        decider_id: Set(decider),
        decision: Set(decision.code().to_owned()),
        comment: Set(comment.clone()),
        created_at: Set(unit.now()),
        ..Default::default()
    }
    .insert(unit)
    .await?;
    let steps = parse_steps(&r.steps);
    let next = match decision {
        Decision::Approve => rules::next_step(r.current_step as usize, steps.len()),
        Decision::Reject => None,
    };
    let update = unit.update::<approval_request::Entity>(r.id, r.version);
    let (outcome, after) = match (decision, next) {
        (Decision::Approve, Some(step)) => {
            let who = resolve(unit, &steps[step], r.requester_id).await?;
            let (approver, role_code) = place(&who);
            let after = update
                .set(approval_request::Column::CurrentStep, Expr::value(step as i32))
                .set(approval_request::Column::CurrentApproverId, Expr::value(approver))
                .set(approval_request::Column::CurrentRole, Expr::value(role_code))
                .exec()
                .await?;
            notify_deciders(unit, &after, &who, link).await?;
            (Outcome::NextStep, after)
        }
        (d, _) => {
            let (status, kind, outcome) = match d {
                Decision::Approve => (ApprovalStatus::Approved, NotificationKind::ApprovalApproved, Outcome::Approved),
                Decision::Reject => (ApprovalStatus::Rejected, NotificationKind::ApprovalRejected, Outcome::Rejected),
            };
            let after = update
                .set(approval_request::Column::Status, Expr::value(status.code()))
                .set(approval_request::Column::DecidedAt, Expr::value(Some(unit.now())))
                .exec()
                .await?;
            notifications::remind(unit, r.requester_id, kind, &title(&after), link, unit.now(), unit.now()).await?;
            (outcome, after)
        }
    };
    unit.record(AuditEvent::new(format!("approval.{}", decision.code()), "approval_request", Some(r.id)).after(
        &serde_json::json!({
            "document_type": r.document_type, "document_id": r.document_id,
            "document_number": r.document_number, "step": r.current_step,
            "comment": comment, "status": after.status,
        }),
    ))
    .await?;
    Ok(outcome)
}

/// Cancels the document's pending request, if any (the document was
/// cancelled or resubmitted). Runs in the document's unit.
pub async fn cancel(unit: &UnitOfWork<'_>, document: DocumentType, id: i64) -> StoreResult<()> {
    if let Some(r) = pending(unit, document, id).await? {
        unit.update::<approval_request::Entity>(r.id, r.version)
            .set(approval_request::Column::Status, Expr::value(ApprovalStatus::Cancelled.code()))
            .set(approval_request::Column::DecidedAt, Expr::value(Some(unit.now())))
            .exec_without_reading()
            .await?;
    }
    Ok(())
}

// ---------------------------------------------------------------- reading

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DecisionView {
    pub step: i32,
    pub decider_id: i64,
    pub decider_name: String,
    /// `approve` or `reject`.
    pub decision: String,
    pub comment: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApprovalView {
    pub id: i64,
    pub document_type: String,
    pub document_id: i64,
    pub document_number: String,
    pub customer_id: Option<i64>,
    pub customer_name: String,
    pub amount: String,
    pub requester_id: i64,
    pub requester_name: String,
    /// `pending`, `approved`, `rejected`, `cancelled`.
    pub status: String,
    /// 0-based.
    pub current_step: i32,
    pub steps: Vec<StepView>,
    /// Who decides the current step: a person, or anyone holding a role.
    pub current_approver_id: Option<i64>,
    pub current_role: Option<String>,
    pub decisions: Vec<DecisionView>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

async fn views<C: ConnectionTrait>(
    conn: &C,
    rows: Vec<approval_request::Model>,
    with_decisions: bool,
) -> StoreResult<Vec<ApprovalView>> {
    let decisions = if with_decisions && !rows.is_empty() {
        approval_decision::Entity::find()
            .filter(approval_decision::Column::RequestId.is_in(rows.iter().map(|r| r.id)))
            .order_by_asc(approval_decision::Column::Id)
            .all(conn)
            .await?
    } else {
        Vec::new()
    };
    let mut people: Vec<i64> =
        rows.iter().map(|r| r.requester_id).chain(decisions.iter().map(|d| d.decider_id)).collect();
    people.sort_unstable();
    people.dedup();
    let names = crate::shared::owner_names(conn, people.into_iter()).await?;
    let name = |id: i64| names.get(&id).cloned().unwrap_or_default();
    Ok(rows
        .into_iter()
        .map(|r| ApprovalView {
            decisions: decisions
                .iter()
                .filter(|d| d.request_id == r.id)
                .map(|d| DecisionView {
                    step: d.step,
                    decider_id: d.decider_id,
                    decider_name: name(d.decider_id),
                    decision: d.decision.clone(),
                    comment: d.comment.clone(),
                    created_at: d.created_at,
                })
                .collect(),
            requester_name: name(r.requester_id),
            amount: Money(r.amount).to_string(),
            steps: serde_json::from_str(&r.steps).unwrap_or_default(),
            id: r.id,
            document_type: r.document_type,
            document_id: r.document_id,
            document_number: r.document_number,
            customer_id: r.customer_id,
            customer_name: r.customer_name,
            requester_id: r.requester_id,
            status: r.status,
            current_step: r.current_step,
            current_approver_id: r.current_approver_id,
            current_role: r.current_role,
            created_at: r.created_at,
            decided_at: r.decided_at,
        })
        .collect())
}

/// The document's requests, newest first, with their decisions.
pub async fn history<C: ConnectionTrait>(conn: &C, document: DocumentType, id: i64) -> StoreResult<Vec<ApprovalView>> {
    let rows = approval_request::Entity::find()
        .filter(approval_request::Column::DocumentType.eq(document.code()))
        .filter(approval_request::Column::DocumentId.eq(id))
        .order_by_desc(approval_request::Column::Id)
        .all(conn)
        .await?;
    views(conn, rows, true).await
}

fn mine(actor: &Actor) -> Condition {
    let me = actor.user_id.unwrap_or(0);
    Condition::all().add(approval_request::Column::Status.eq(ApprovalStatus::Pending.code())).add(
        Condition::any().add(approval_request::Column::CurrentApproverId.eq(me)).add(
            Condition::all()
                .add(approval_request::Column::CurrentRole.eq(actor.role_code.as_str()))
                .add(approval_request::Column::RequesterId.ne(me)),
        ),
    )
}

const SORTS: [SortField<approval_request::Column>; 1] =
    [SortField { name: "id", column: approval_request::Column::Id }];

/// 我的审批: the pending requests whose current step the caller decides,
/// oldest first (keyset pages).
pub async fn my_approvals(store: &Store, actor: &Actor, page: &PageRequest) -> StoreResult<Page<ApprovalView>> {
    if actor.user_id.is_none() {
        return Err(StoreError::Forbidden);
    }
    let keyset = Keyset::parse(page, &SORTS, "id")?;
    let query = approval_request::Entity::find().filter(mine(actor));
    let rows = keyset.apply(query, approval_request::Column::Id).all(store.reader()).await?;
    let page = keyset.finish(rows, |r, _| (Key::Int(r.id), r.id));
    let items = views(store.reader(), page.items, false).await?;
    Ok(Page { items, next_cursor: page.next_cursor })
}

/// How many requests wait for the caller (the home page's count).
pub async fn waiting_count(store: &Store, actor: &Actor) -> StoreResult<u64> {
    if actor.user_id.is_none() {
        return Ok(0);
    }
    Ok(approval_request::Entity::find().filter(mine(actor)).count(store.reader()).await?)
}
