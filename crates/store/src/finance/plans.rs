//! Collection plans (回款计划): an approved order's dated instalments,
//! replaced as a whole (with the plan's version: 409 when stale), each
//! instalment's state derived from what was paid, applied in due order.

use chrono::NaiveDate;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::finance::{self as rules, Instalment};
use salesflow_domain::money::Money;
use salesflow_domain::{FieldError, Invalid};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::Serialize;

use super::{OrderMoney, owing_order, require_view};
use crate::Store;
use crate::audit::AuditEvent;
use crate::entity::{collection_instalment, order};
use crate::error::{StoreError, StoreResult};
use crate::scope::Actor;

/// The most instalments a plan may have.
pub const MAX_INSTALMENTS: usize = 24;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InstalmentView {
    pub id: i64,
    pub due_date: NaiveDate,
    /// Decimal strings.
    pub amount: String,
    pub paid: String,
    pub unpaid: String,
    /// `due`, `partly_paid`, `paid`, `overdue`.
    pub state: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanView {
    pub order_id: i64,
    pub order_number: String,
    pub money: OrderMoney,
    /// In due order.
    pub instalments: Vec<InstalmentView>,
    /// The plan's version, to send back when replacing it.
    pub version: i64,
}

#[derive(Debug, Clone)]
pub struct InstalmentInput {
    pub due_date: Option<NaiveDate>,
    pub amount: Result<Money, FieldError>,
}

pub(crate) async fn plan_view<C: ConnectionTrait>(
    conn: &C,
    o: &order::Model,
    now: chrono::DateTime<chrono::Utc>,
) -> StoreResult<PlanView> {
    let rows = collection_instalment::Entity::find()
        .filter(collection_instalment::Column::OrderId.eq(o.id))
        .order_by_asc(collection_instalment::Column::Position)
        .all(conn)
        .await?;
    let today = crate::settings::today(conn, now).await?;
    let plan: Vec<Instalment> = rows.iter().map(|r| Instalment { due: r.due_date, amount: Money(r.amount) }).collect();
    let states = rules::instalment_states(&plan, Money(o.paid), today);
    Ok(PlanView {
        order_id: o.id,
        order_number: o.number.clone(),
        money: OrderMoney::of(o),
        instalments: rows
            .iter()
            .zip(states)
            .map(|(r, s)| InstalmentView {
                id: r.id,
                due_date: s.due,
                amount: s.amount.to_string(),
                paid: s.paid.to_string(),
                unpaid: s.unpaid.to_string(),
                state: s.state.code().to_owned(),
            })
            .collect(),
        version: o.plan_version,
    })
}

/// An order's plan (empty when it has none), for anyone who sees money in
/// the order's scope.
pub async fn get_plan(store: &Store, actor: &Actor, order_id: i64) -> StoreResult<PlanView> {
    require_view(actor)?;
    let o = crate::orders::find_in_scope(store.reader(), actor, order_id).await?;
    plan_view(store.reader(), &o, store.now()).await
}

/// Replaces an approved order's plan (an empty list removes it): every
/// instalment with a due date and an amount more than zero, all of them
/// together no more than the order's total (422 `plan_exceeds_total`).
/// An instalment already reminded as overdue keeps that (once per
/// instalment), when the new plan has one due the same day.
pub async fn set_plan(
    store: &Store,
    actor: &Actor,
    order_id: i64,
    version: i64,
    input: Vec<InstalmentInput>,
) -> StoreResult<PlanView> {
    let permit = store.permit(actor, Module::Finance, Action::Create)?;
    let unit = permit.begin().await?;
    let o = owing_order(&unit, actor, order_id).await?;
    let mut invalid = Invalid::new();
    if input.len() > MAX_INSTALMENTS {
        invalid.push(FieldError::new("instalments", "too_many").with("max", MAX_INSTALMENTS));
    }
    let mut plan = Vec::new();
    for (i, p) in input.iter().enumerate() {
        let due = match p.due_date {
            Some(d) => d,
            None => {
                invalid.push(FieldError::new(&format!("instalments[{i}].due_date"), "required"));
                continue;
            }
        };
        match &p.amount {
            Ok(a) => plan.push(Instalment { due, amount: *a }),
            Err(e) => invalid.push(e.clone()),
        }
    }
    invalid.into_result()?;
    rules::check_plan(&plan, Money(o.total)).into_result()?;
    let sorted = rules::in_due_order(&plan);
    let planned: i64 = sorted.iter().map(|p| p.amount.0).sum();
    let res = order::Entity::update_many()
        .col_expr(order::Column::Planned, Expr::value(planned))
        .col_expr(order::Column::PlanVersion, Expr::col(order::Column::PlanVersion).add(1))
        .filter(order::Column::Id.eq(o.id))
        .filter(order::Column::PlanVersion.eq(version))
        .exec(&unit)
        .await?;
    if res.rows_affected == 0 {
        return Err(StoreError::Conflict("stale version".into()));
    }
    let old = collection_instalment::Entity::find()
        .filter(collection_instalment::Column::OrderId.eq(o.id))
        .all(&unit)
        .await?;
    collection_instalment::Entity::delete_many()
        .filter(collection_instalment::Column::OrderId.eq(o.id))
        .exec(&unit)
        .await?;
    let now = unit.now();
    for (position, (p, running)) in sorted.iter().zip(rules::running_totals(&sorted)).enumerate() {
        let reminded = old.iter().find(|r| r.due_date == p.due && r.reminded_at.is_some()).and_then(|r| r.reminded_at);
        collection_instalment::ActiveModel {
            order_id: Set(o.id),
            position: Set(position as i32),
            due_date: Set(p.due),
            amount: Set(p.amount.0),
            running: Set(running.0),
            reminded_at: Set(reminded),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&unit)
        .await?;
    }
    let after = order::Entity::find_by_id(o.id).one(&unit).await?.ok_or(StoreError::NotFound)?;
    let view = plan_view(&unit, &after, now).await?;
    let event = AuditEvent::new("collection_plan.update", "order", Some(o.id))
        .note("number", serde_json::json!(o.number))
        .note("instalments", serde_json::json!(sorted.len()))
        .note("planned", serde_json::json!(Money(planned).to_string()));
    unit.commit(event).await?;
    Ok(view)
}
