//! Approval rules: what an administrator configures (document type,
//! conditions, steps), checked by the domain's `Rule::check`.

use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::approvals::{Approver, DocumentType, Rule};
use salesflow_domain::money::Money;
use salesflow_domain::quantity::Percent;
use salesflow_domain::validation::FieldError;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;

use super::{StepView, parse_steps, steps_json};
use crate::Store;
use crate::audit::AuditEvent;
use crate::entity::{approval_rule, role};
use crate::error::{StoreError, StoreResult};
use crate::scope::Actor;

// ---------------------------------------------------------------- rules

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RuleView {
    pub id: i64,
    /// `order`, `quote`, `contract`, `purchase_order`.
    pub document_type: String,
    /// Decimal string; matches documents of at least this amount.
    pub min_amount: Option<String>,
    /// Percent; matches documents whose overall discount is at least this.
    pub min_discount: Option<String>,
    /// Matches documents that take the customer over its credit limit.
    pub over_credit_limit: bool,
    pub steps: Vec<StepView>,
    pub position: i32,
    pub active: bool,
    pub version: i64,
}

fn rule_view(m: approval_rule::Model) -> RuleView {
    RuleView {
        id: m.id,
        document_type: m.document_type,
        min_amount: m.min_amount.map(|a| Money(a).to_string()),
        min_discount: m.min_discount.map(|d| Percent(d).to_string()),
        over_credit_limit: m.over_credit_limit,
        steps: serde_json::from_str(&m.steps).unwrap_or_default(),
        position: m.position,
        active: m.active,
        version: m.version,
    }
}

/// What an administrator types: amounts and percents as decimal strings.
#[derive(Debug, Clone, Default)]
pub struct RuleInput {
    pub document_type: String,
    pub min_amount: Option<String>,
    pub min_discount: Option<String>,
    pub over_credit_limit: bool,
    pub steps: Vec<StepView>,
    pub position: i32,
    pub active: bool,
}

fn checked_rule(input: &RuleInput) -> StoreResult<Rule> {
    let mut invalid = Invalid::new();
    let document = DocumentType::parse(input.document_type.trim());
    if document.is_none() {
        invalid.push(FieldError::new("document_type", "invalid_choice"));
    }
    let blank = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let min_amount = match blank(&input.min_amount) {
        None => None,
        Some(s) => match Money::parse_strict(&s) {
            Ok(m) => Some(m),
            Err(_) => {
                invalid.push(FieldError::new("min_amount", "invalid_amount"));
                None
            }
        },
    };
    let min_discount = match blank(&input.min_discount) {
        None => None,
        Some(s) => match Percent::parse(&s) {
            Ok(p) => Some(p),
            Err(_) => {
                invalid.push(FieldError::new("min_discount", "invalid_number"));
                None
            }
        },
    };
    let mut steps = Vec::new();
    for (i, s) in input.steps.iter().enumerate() {
        match s.approver() {
            Some(a) => steps.push(a),
            None => invalid.push(FieldError::new(&format!("steps[{i}]"), "role_or_manager")),
        }
    }
    let rule = Rule {
        document: document.unwrap_or(DocumentType::Order),
        min_amount,
        min_discount,
        over_credit_limit: input.over_credit_limit,
        steps,
    };
    invalid.0.extend(rule.check().0);
    invalid.into_result()?;
    Ok(rule)
}

async fn check_roles<C: ConnectionTrait>(conn: &C, rule: &Rule) -> StoreResult<()> {
    let mut invalid = Invalid::new();
    for (i, step) in rule.steps.iter().enumerate() {
        if let Approver::Role(code) = step
            && role::Entity::find().filter(role::Column::Code.eq(code.as_str())).count(conn).await? == 0
        {
            invalid.push(FieldError::new(&format!("steps[{i}].role"), "unknown_reference"));
        }
    }
    Ok(invalid.into_result()?)
}

/// Every rule, by document type and position.
pub async fn list_rules(store: &Store, actor: &Actor) -> StoreResult<Vec<RuleView>> {
    actor.require(Module::Settings, Action::View)?;
    let rows = approval_rule::Entity::find()
        .order_by_asc(approval_rule::Column::DocumentType)
        .order_by_asc(approval_rule::Column::Position)
        .order_by_asc(approval_rule::Column::Id)
        .all(store.reader())
        .await?;
    Ok(rows.into_iter().map(rule_view).collect())
}

pub async fn get_rule(store: &Store, actor: &Actor, id: i64) -> StoreResult<RuleView> {
    actor.require(Module::Settings, Action::View)?;
    approval_rule::Entity::find_by_id(id).one(store.reader()).await?.map(rule_view).ok_or(StoreError::NotFound)
}

pub async fn create_rule(store: &Store, actor: &Actor, input: RuleInput) -> StoreResult<RuleView> {
    let permit = store.permit(actor, Module::Settings, Action::Edit)?;
    let rule = checked_rule(&input)?;
    let unit = permit.begin().await?;
    check_roles(&unit, &rule).await?;
    let now = unit.now();
    let m = approval_rule::ActiveModel {
        document_type: Set(rule.document.code().to_owned()),
        min_amount: Set(rule.min_amount.map(|m| m.0)),
        min_discount: Set(rule.min_discount.map(|d| d.0)),
        over_credit_limit: Set(rule.over_credit_limit),
        steps: Set(steps_json(&rule.steps)),
        position: Set(input.position),
        active: Set(input.active),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&unit)
    .await?;
    let v = rule_view(m);
    unit.commit(AuditEvent::new("approval_rule.create", "approval_rule", Some(v.id)).after(&v)).await?;
    Ok(v)
}

pub async fn update_rule(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: i64,
    input: RuleInput,
) -> StoreResult<RuleView> {
    let permit = store.permit(actor, Module::Settings, Action::Edit)?;
    let rule = checked_rule(&input)?;
    let unit = permit.begin().await?;
    let before = approval_rule::Entity::find_by_id(id).one(&unit).await?.ok_or(StoreError::NotFound)?;
    check_roles(&unit, &rule).await?;
    let m = unit
        .update::<approval_rule::Entity>(id, version)
        .set(approval_rule::Column::DocumentType, Expr::value(rule.document.code()))
        .set(approval_rule::Column::MinAmount, Expr::value(rule.min_amount.map(|m| m.0)))
        .set(approval_rule::Column::MinDiscount, Expr::value(rule.min_discount.map(|d| d.0)))
        .set(approval_rule::Column::OverCreditLimit, Expr::value(rule.over_credit_limit))
        .set(approval_rule::Column::Steps, Expr::value(steps_json(&rule.steps)))
        .set(approval_rule::Column::Position, Expr::value(input.position))
        .set(approval_rule::Column::Active, Expr::value(input.active))
        .exec()
        .await?;
    let v = rule_view(m);
    unit.commit(
        AuditEvent::new("approval_rule.update", "approval_rule", Some(id)).before(&rule_view(before)).after(&v),
    )
    .await?;
    Ok(v)
}

/// Deletes a rule; requests already opened keep their copied steps.
pub async fn delete_rule(store: &Store, actor: &Actor, id: i64) -> StoreResult<()> {
    let permit = store.permit(actor, Module::Settings, Action::Edit)?;
    let unit = permit.begin().await?;
    let before = approval_rule::Entity::find_by_id(id).one(&unit).await?.ok_or(StoreError::NotFound)?;
    approval_rule::Entity::delete_by_id(id).exec(&unit).await?;
    unit.commit(AuditEvent::new("approval_rule.delete", "approval_rule", Some(id)).before(&rule_view(before))).await
}

/// The active rules of a document type, in order (for [`open`]).
pub async fn rules_for<C: ConnectionTrait>(conn: &C, document: DocumentType) -> StoreResult<Vec<Rule>> {
    let rows = approval_rule::Entity::find()
        .filter(approval_rule::Column::DocumentType.eq(document.code()))
        .filter(approval_rule::Column::Active.eq(true))
        .order_by_asc(approval_rule::Column::Position)
        .order_by_asc(approval_rule::Column::Id)
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|m| Rule {
            document,
            min_amount: m.min_amount.map(Money),
            min_discount: m.min_discount.map(Percent),
            over_credit_limit: m.over_credit_limit,
            steps: parse_steps(&m.steps),
        })
        .collect())
}
