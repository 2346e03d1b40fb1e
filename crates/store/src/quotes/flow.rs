//! A quote's life cycle: send (the approval rules decide whether it waits
//! for approvers first), approve / reject-approval (the approval engine's
//! decision, then the quote's transition), and the customer's answer:
//! accept (a draft sales order with the same lines, in the same unit) or
//! reject. A quote past its validity date is neither sent nor accepted.

use salesflow_domain::access::{Action, Module};
use salesflow_domain::approvals::{Decision, DocumentType};
use salesflow_domain::money::Money;
use salesflow_domain::quantity::{Percent, Quantity};
use salesflow_domain::quotes::{self as rules, QuoteAction, QuoteStatus};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Serialize;

use super::edit::not_allowed;
use super::{LINK, QuoteView, find_in_scope, find_readable, full_view, status_on, today_of, totals_of};
use crate::Store;
use crate::approvals::{self, DocumentRef, Outcome};
use crate::audit::AuditEvent;
use crate::entity::{customer, quote, quote_revision};
use crate::error::{StoreError, StoreResult};
use crate::orders::{LineInput, OrderInput};
use crate::scope::Actor;
use crate::unit_of_work::UnitOfWork;

fn link(id: i64) -> String {
    format!("{LINK}{id}")
}

async fn finish(
    unit: UnitOfWork<'_>,
    actor: &Actor,
    action: &'static str,
    before: &quote::Model,
    after: quote::Model,
    today: chrono::NaiveDate,
) -> StoreResult<QuoteView> {
    let id = after.id;
    let from = status_on(before, today).code();
    let view = full_view(&unit, actor, after, today).await?;
    let event = AuditEvent::new(format!("quote.{action}"), "quote", Some(id))
        .note("number", serde_json::json!(before.number))
        .note("revision", serde_json::json!(before.revision))
        .note("from", serde_json::json!(from))
        .note("to", serde_json::json!(view.status));
    unit.commit(event).await?;
    Ok(view)
}

/// Marks the current version sent (its own header keeps when).
async fn mark_sent(unit: &UnitOfWork<'_>, q: &quote::Model) -> StoreResult<quote::Model> {
    let now = unit.now();
    quote_revision::Entity::update_many()
        .col_expr(quote_revision::Column::SentAt, Expr::value(Some(now)))
        .filter(quote_revision::Column::QuoteId.eq(q.id))
        .filter(quote_revision::Column::Revision.eq(q.revision))
        .exec(unit)
        .await?;
    unit.update::<quote::Entity>(q.id, q.version)
        .set(quote::Column::Status, Expr::value(QuoteStatus::Sent.code()))
        .set(quote::Column::SentAt, Expr::value(Some(now)))
        .exec()
        .await
}

/// Sends a draft to the customer, or asks for approval first when the
/// rules require it (a discount above the threshold, an amount): then it
/// waits (`pending_approval`) and is sent once approved. An approved quote
/// is sent as it is. Refused past the validity date (422 `quote_expired`).
pub async fn send(store: &Store, actor: &Actor, id: i64) -> StoreResult<QuoteView> {
    let permit = store.permit(actor, Module::Quotes, Action::Edit)?;
    let unit = permit.begin().await?;
    let today = today_of(&unit, store).await?;
    let q = find_in_scope(&unit, actor, id).await?;
    let status = status_on(&q, today);
    let past = q.valid_until < today;
    // Refused early when the state does not allow sending.
    rules::transition(status, QuoteAction::Send, past, false).map_err(not_allowed)?;
    let needs = if status == QuoteStatus::Draft {
        let totals = totals_of(&q);
        let customer_name =
            customer::Entity::find_by_id(q.customer_id).one(&unit).await?.map(|c| c.name).unwrap_or_default();
        let doc = DocumentRef {
            document: DocumentType::Quote,
            id: q.id,
            number: format!("{} v{}", q.number, q.revision),
            customer_id: Some(q.customer_id),
            customer_name,
            amount: totals.total,
            requester_id: actor.user_id.unwrap_or(q.created_by),
            link: link(q.id),
        };
        approvals::open(&unit, &doc, &rules::facts(&totals)).await?.is_some()
    } else {
        false
    };
    let next = rules::transition(status, QuoteAction::Send, past, needs).map_err(not_allowed)?;
    let after = if next == QuoteStatus::Sent {
        mark_sent(&unit, &q).await?
    } else {
        unit.update::<quote::Entity>(q.id, q.version)
            .set(quote::Column::Status, Expr::value(next.code()))
            .exec()
            .await?
    };
    let action = if next == QuoteStatus::Sent { "send" } else { "submit" };
    finish(unit, actor, action, &q, after, today).await
}

async fn decide(
    store: &Store,
    actor: &Actor,
    id: i64,
    decision: Decision,
    comment: Option<&str>,
) -> StoreResult<QuoteView> {
    // The right to decide is the engine's (the step's approver), checked
    // once the quote and its request are read.
    let permit = store.permit_by_record(actor);
    let unit = permit.begin().await?;
    let today = today_of(&unit, store).await?;
    let q = find_readable(&unit, actor, id).await?;
    let action = match decision {
        Decision::Approve => QuoteAction::Approve,
        Decision::Reject => QuoteAction::RejectApproval,
    };
    let next = rules::transition(status_on(&q, today), action, false, false).map_err(not_allowed)?;
    let outcome = approvals::decide(&unit, DocumentType::Quote, q.id, &link(q.id), decision, comment).await?;
    let after = match outcome {
        Outcome::NextStep => unit.update::<quote::Entity>(q.id, q.version).exec().await?,
        Outcome::Approved | Outcome::Rejected => {
            unit.update::<quote::Entity>(q.id, q.version)
                .set(quote::Column::Status, Expr::value(next.code()))
                .exec()
                .await?
        }
    };
    let name = match outcome {
        Outcome::NextStep => "approve_step",
        Outcome::Approved => "approve",
        Outcome::Rejected => "reject_approval",
    };
    finish(unit, actor, name, &q, after, today).await
}

/// Approves the quote's current approval step, as its approver; the last
/// step approves the quote, which may then be sent.
pub async fn approve(store: &Store, actor: &Actor, id: i64, comment: Option<&str>) -> StoreResult<QuoteView> {
    decide(store, actor, id, Decision::Approve, comment).await
}

/// Refuses the approval (a comment says why): the quote goes back to draft
/// to be reworked.
pub async fn reject_approval(store: &Store, actor: &Actor, id: i64, comment: Option<&str>) -> StoreResult<QuoteView> {
    decide(store, actor, id, Decision::Reject, comment).await
}

/// The customer declined the quote (a sent or expired one).
pub async fn reject(store: &Store, actor: &Actor, id: i64) -> StoreResult<QuoteView> {
    let permit = store.permit(actor, Module::Quotes, Action::Edit)?;
    let unit = permit.begin().await?;
    let today = today_of(&unit, store).await?;
    let q = find_in_scope(&unit, actor, id).await?;
    let next = rules::transition(status_on(&q, today), QuoteAction::Reject, q.valid_until < today, false)
        .map_err(not_allowed)?;
    let after = unit
        .update::<quote::Entity>(q.id, q.version)
        .set(quote::Column::Status, Expr::value(next.code()))
        .set(quote::Column::DecidedAt, Expr::value(Some(unit.now())))
        .exec()
        .await?;
    finish(unit, actor, "reject", &q, after, today).await
}

/// What accepting a quote did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Accepted {
    pub quote: QuoteView,
    /// The draft sales order made from the quote's lines.
    pub order_id: i64,
    pub order_number: String,
    /// Whether the quote's opportunity was marked won (asked with `win`).
    pub opportunity_won: bool,
    /// Why the opportunity was not marked won when that was asked: a code
    /// (`gate_item_missing` when the stage gate refused, `forbidden`,
    /// `not_open` …); the order is made all the same.
    pub win_refused: Option<String>,
    /// The stage gate's unmet checklist items, as written in the pipeline.
    pub win_unmet: Vec<String>,
}

/// The customer accepted the quote: in one unit it becomes `accepted` and
/// a draft sales order is made with the same lines, prices and discounts,
/// linked to the quote. With `win`, the quote's opportunity is then marked
/// won through the opportunities' own action, so its stage gate applies:
/// when the gate refuses, the order stands and `win_refused` says why.
/// Refused past the validity date (422 `quote_expired`).
pub async fn accept(store: &Store, actor: &Actor, id: i64, win: bool) -> StoreResult<Accepted> {
    let permit = store.permit(actor, Module::Quotes, Action::Edit)?;
    let unit = permit.begin().await?;
    let today = today_of(&unit, store).await?;
    let q = find_in_scope(&unit, actor, id).await?;
    let next = rules::transition(status_on(&q, today), QuoteAction::Accept, q.valid_until < today, false)
        .map_err(not_allowed)?;
    let lines = super::lines_of(&unit, q.id, q.revision).await?;
    let input = OrderInput {
        customer_id: q.customer_id,
        contact_id: q.contact_id,
        opportunity_id: q.opportunity_id,
        warehouse_id: None,
        delivery_address: String::new(),
        delivery_date: None,
        notes: format!("{} v{}", q.number, q.revision),
        lines: lines
            .iter()
            .map(|l| LineInput {
                product_id: l.product_id,
                warehouse_id: None,
                quantity: Quantity(l.quantity).to_string(),
                unit_price: Some(Money(l.unit_price).to_string()),
                discount_percent: Some(Percent(l.discount_percent).to_string()),
                tax_rate: Some(Percent(l.tax_rate).to_string()),
            })
            .collect(),
    };
    let made = match crate::orders::create_in(store, &unit, &input).await {
        Ok(m) => m,
        // A line's product deactivated since is refused field by field.
        Err(e) => return Err(e),
    };
    unit.record(
        AuditEvent::new("order.create", "order", Some(made.id))
            .note("number", serde_json::json!(made.number))
            .note("quote", serde_json::json!(q.number)),
    )
    .await?;
    let after = unit
        .update::<quote::Entity>(q.id, q.version)
        .set(quote::Column::Status, Expr::value(next.code()))
        .set(quote::Column::DecidedAt, Expr::value(Some(unit.now())))
        .set(quote::Column::OrderId, Expr::value(Some(made.id)))
        .exec()
        .await?;
    let view = finish(unit, actor, "accept", &q, after, today).await?;
    let (mut opportunity_won, mut win_refused, mut win_unmet) = (false, None, Vec::new());
    if win && let Some(opportunity) = q.opportunity_id {
        match crate::opportunities::win(store, actor, opportunity, None, None).await {
            Ok(_) => opportunity_won = true,
            Err(StoreError::Invalid(inv)) => {
                win_refused = inv.0.first().map(|e| e.code.clone());
                win_unmet = inv
                    .0
                    .iter()
                    .filter_map(|e| e.params.iter().find(|(k, _)| k == "text").map(|(_, v)| v.clone()))
                    .collect();
            }
            Err(StoreError::Forbidden) => win_refused = Some("forbidden".into()),
            Err(StoreError::NotFound) => win_refused = Some("not_found".into()),
            Err(StoreError::Conflict(_)) => win_refused = Some("not_open".into()),
            Err(e) => return Err(e),
        }
    }
    Ok(Accepted { quote: view, order_id: made.id, order_number: made.number, opportunity_won, win_refused, win_unmet })
}
