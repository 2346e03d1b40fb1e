//! Opportunities (销售机会): deals moving through a pipeline under the
//! stage gate, with their checklist, contacts, stage stays and history.
//!
//! Scope: an opportunity is visible when its owner is in the caller's
//! scope. The gate lives here once: [`move_opportunity`] and [`win`] ask
//! `salesflow_domain::pipelines` which required items are missing; only an
//! approver may pass with a written reason, and the override is recorded.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::customers::ContactRole;
use salesflow_domain::money::{self, Money};
use salesflow_domain::opportunities::{self as deal_rules, OverrideRefused};
use salesflow_domain::pipelines::{
    self as rules, DEFAULT_IDLE_DAYS, Direction, GateError, GateStage, OpportunityFields, OpportunityStatus,
};
use salesflow_domain::validation::FieldError;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
};
use serde::Serialize;

use crate::Store;
use crate::audit::AuditEvent;
use crate::entity::{
    contact, customer, lost_reason, opportunity, opportunity_change, opportunity_check, opportunity_contact,
    opportunity_stage,
};
use crate::error::{StoreError, StoreResult};
use crate::paging::{Key, Keyset, Page, PageRequest, SortField};
use crate::pipelines::{PipelineView, StageView, load, load_one};
use crate::scope::Actor;
use crate::search::{self, Kind};
use crate::shared::{check_owner, clean, owner_names};
use crate::unit_of_work::UnitOfWork;

mod gate;
mod history;
mod lists;
mod totals;
mod weight;

pub use gate::*;
pub use history::*;
pub use lists::*;
pub use totals::*;
pub use weight::*;

// ---------------------------------------------------------------- views

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DealContact {
    pub contact_id: i64,
    pub name: String,
    /// `handler|decision_maker|evaluator|supporter|executive|other`.
    pub role: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChecklistEntry {
    pub item_id: i64,
    pub stage_id: i64,
    /// `task|condition`.
    pub kind: String,
    pub text: String,
    pub text_en: String,
    pub required: bool,
    pub done: bool,
    pub done_at: Option<DateTime<Utc>>,
    pub done_by: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OpportunityView {
    pub id: i64,
    pub name: String,
    pub customer_id: i64,
    pub customer_name: Option<String>,
    pub pipeline_id: i64,
    pub stage_id: i64,
    pub stage_code: String,
    pub stage_name: String,
    pub stage_name_en: String,
    pub owner_id: i64,
    pub owner_name: Option<String>,
    /// Decimal string, e.g. `"12500.00"`.
    pub amount: String,
    pub currency: String,
    /// Amount × probability.
    pub weighted_amount: String,
    pub expected_close_date: Option<NaiveDate>,
    /// 0–100: the stage's, or the override.
    pub probability: i32,
    pub probability_overridden: bool,
    pub probability_reason: Option<String>,
    pub source: Option<String>,
    pub campaign: Option<String>,
    pub competitors: String,
    /// Free text until products exist.
    pub product_lines: String,
    pub next_step: String,
    pub notes: String,
    /// `open|won|lost`.
    pub status: String,
    pub lost_reason_id: Option<i64>,
    pub lost_reason: Option<String>,
    pub lost_note: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub stage_entered_at: DateTime<Utc>,
    pub days_in_stage: i64,
    pub last_activity_at: DateTime<Utc>,
    /// Over the stage's expected days, or idle for 14 days (open deals).
    pub stalled: bool,
    pub lead_id: Option<i64>,
    pub contacts: Vec<DealContact>,
    /// Every active item of the pipeline, in stage order, with its tick.
    pub checklist: Vec<ChecklistEntry>,
    /// Non-blocking notes, e.g. `expected_close_date: in_past`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// Names and lookups a page of opportunities needs, loaded once.
struct Context {
    pipelines: Vec<PipelineView>,
    owners: HashMap<i64, String>,
    customers: HashMap<i64, String>,
    reasons: HashMap<i64, String>,
}

impl Context {
    /// The names the rows need; `pipelines` when the caller has them already.
    async fn load<C: ConnectionTrait>(conn: &C, rows: &[opportunity::Model]) -> StoreResult<Context> {
        Self::load_with(conn, rows, None).await
    }

    async fn load_with<C: ConnectionTrait>(
        conn: &C,
        rows: &[opportunity::Model],
        pipelines: Option<&[PipelineView]>,
    ) -> StoreResult<Context> {
        let ids: BTreeSet<i64> = rows.iter().map(|o| o.pipeline_id).collect();
        let pipelines = match (pipelines, ids.len()) {
            (Some(known), _) if ids.iter().all(|id| known.iter().any(|p| p.id == *id)) => known.to_vec(),
            (_, 0) => Vec::new(),
            // A page of one pipeline (the board, one deal) loads only that one.
            (_, 1) => load(conn, ids.first().copied()).await?,
            _ => load(conn, None).await?,
        };
        let owners = owner_names(conn, rows.iter().map(|o| o.owner_id)).await?;
        let customers = customer_names(conn, rows.iter().map(|o| o.customer_id)).await?;
        let reasons: HashMap<i64, String> = if rows.iter().any(|o| o.lost_reason_id.is_some()) {
            lost_reason::Entity::find().all(conn).await?.into_iter().map(|r| (r.id, r.name)).collect()
        } else {
            HashMap::new()
        };
        Ok(Context { pipelines, owners, customers, reasons })
    }

    fn stage(&self, pipeline_id: i64, stage_id: i64) -> Option<&StageView> {
        self.pipelines.iter().find(|p| p.id == pipeline_id).and_then(|p| p.stage(stage_id))
    }
}

async fn customer_names<C: ConnectionTrait>(
    conn: &C,
    ids: impl Iterator<Item = i64>,
) -> StoreResult<HashMap<i64, String>> {
    let ids: Vec<i64> = ids.collect::<BTreeSet<_>>().into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, String)> = customer::Entity::find()
        .select_only()
        .column(customer::Column::Id)
        .column(customer::Column::Name)
        .filter(customer::Column::Id.is_in(ids))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

fn days_between(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    Ord::max((to - from).num_days(), 0)
}

/// The view without contacts and checklist (lists, kanban cards).
fn summary(m: opportunity::Model, cx: &Context, now: DateTime<Utc>) -> OpportunityView {
    let stage = cx.stage(m.pipeline_id, m.stage_id);
    let days_in_stage = days_between(m.stage_entered_at, now);
    let open = m.status == OpportunityStatus::Open.code();
    let stalled = open
        && rules::is_stalled(
            days_in_stage,
            stage.and_then(|s| s.expected_days),
            days_between(m.last_activity_at, now),
            DEFAULT_IDLE_DAYS,
        );
    OpportunityView {
        customer_name: cx.customers.get(&m.customer_id).cloned(),
        owner_name: cx.owners.get(&m.owner_id).cloned(),
        stage_code: stage.map(|s| s.code.clone()).unwrap_or_default(),
        stage_name: stage.map(|s| s.name.clone()).unwrap_or_default(),
        stage_name_en: stage.map(|s| s.name_en.clone()).unwrap_or_default(),
        lost_reason: m.lost_reason_id.and_then(|r| cx.reasons.get(&r).cloned()),
        amount: Money(m.amount).to_string(),
        weighted_amount: Money(rules::weighted(m.amount, weight_of(&m))).to_string(),
        probability_overridden: m.probability_reason.is_some(),
        days_in_stage,
        stalled,
        id: m.id,
        name: m.name,
        customer_id: m.customer_id,
        pipeline_id: m.pipeline_id,
        stage_id: m.stage_id,
        owner_id: m.owner_id,
        currency: m.currency,
        expected_close_date: m.expected_close_date,
        probability: m.probability,
        probability_reason: m.probability_reason,
        source: m.source,
        campaign: m.campaign,
        competitors: m.competitors,
        product_lines: m.product_lines,
        next_step: m.next_step,
        notes: m.notes,
        status: m.status,
        lost_reason_id: m.lost_reason_id,
        lost_note: m.lost_note,
        closed_at: m.closed_at,
        stage_entered_at: m.stage_entered_at,
        last_activity_at: m.last_activity_at,
        lead_id: m.lead_id,
        contacts: Vec::new(),
        checklist: Vec::new(),
        warnings: Vec::new(),
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
        deleted_at: m.deleted_at,
    }
}

/// The whole view of one opportunity: contacts and checklist included.
/// `now`: the store's clock (days in stage, overdue).
async fn full_view<C: ConnectionTrait>(
    conn: &C,
    m: opportunity::Model,
    now: DateTime<Utc>,
) -> StoreResult<OpportunityView> {
    let cx = Context::load(conn, std::slice::from_ref(&m)).await?;
    let (id, pipeline_id) = (m.id, m.pipeline_id);
    let mut v = summary(m, &cx, now);
    let links =
        opportunity_contact::Entity::find().filter(opportunity_contact::Column::OpportunityId.eq(id)).all(conn).await?;
    // Deleted contacts are left out: they are not shown, and an edit that
    // sends the list back (a merge patch, the form) must not be refused for them.
    let names: HashMap<i64, String> = contact::Entity::find()
        .filter(contact::Column::Id.is_in(links.iter().map(|l| l.contact_id)))
        .filter(contact::Column::DeletedAt.is_null())
        .all(conn)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    v.contacts = links
        .into_iter()
        .filter(|l| names.contains_key(&l.contact_id))
        .map(|l| DealContact {
            name: names.get(&l.contact_id).cloned().unwrap_or_default(),
            contact_id: l.contact_id,
            role: l.role,
        })
        .collect();
    let checks =
        opportunity_check::Entity::find().filter(opportunity_check::Column::OpportunityId.eq(id)).all(conn).await?;
    let tickers = owner_names(conn, checks.iter().filter_map(|c| c.done_by)).await?;
    let checks: HashMap<i64, opportunity_check::Model> = checks.into_iter().map(|c| (c.item_id, c)).collect();
    if let Some(p) = cx.pipelines.iter().find(|p| p.id == pipeline_id) {
        for s in p.stages.iter().filter(|s| !s.retired || s.id == v.stage_id) {
            for i in &s.checklist {
                let tick = checks.get(&i.id);
                v.checklist.push(ChecklistEntry {
                    item_id: i.id,
                    stage_id: s.id,
                    kind: i.kind.clone(),
                    text: i.text.clone(),
                    text_en: i.text_en.clone(),
                    required: i.required,
                    done: tick.is_some(),
                    done_at: tick.map(|t| t.done_at),
                    done_by: tick.and_then(|t| t.done_by).and_then(|u| tickers.get(&u).cloned()),
                });
            }
        }
    }
    Ok(v)
}

async fn find_visible<C: ConnectionTrait>(conn: &C, actor: &Actor, id: i64) -> StoreResult<opportunity::Model> {
    opportunity::Entity::find_by_id(id)
        .filter(actor.scope_condition(opportunity::Column::OwnerId))
        .one(conn)
        .await?
        .ok_or(StoreError::NotFound)
}

/// A visible, not deleted opportunity; `open_only` refuses won or lost ones.
async fn find_changeable<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    id: i64,
    open_only: bool,
) -> StoreResult<opportunity::Model> {
    let m = find_visible(conn, actor, id).await?;
    if m.deleted_at.is_some() {
        return Err(StoreError::NotFound);
    }
    if open_only && m.status != OpportunityStatus::Open.code() {
        return Err(Invalid::one("status", "opportunity_closed").into());
    }
    Ok(m)
}

/// A versioned update that changed no row lost the race: conflict.
/// The opportunity as it now stands inside the transaction, fully viewed.
async fn reread(unit: &UnitOfWork<'_>, id: i64) -> StoreResult<OpportunityView> {
    let after = opportunity::Entity::find_by_id(id).one(unit).await?.ok_or(StoreError::NotFound)?;
    full_view(unit, after, unit.now()).await
}

fn check_version(m: &opportunity::Model, version: Option<i64>) -> StoreResult<()> {
    match version {
        Some(v) if v != m.version => Err(StoreError::Conflict("stale version".into())),
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------- input

#[derive(Debug, Clone, Default)]
pub struct OpportunityInput {
    pub name: String,
    pub customer_id: i64,
    /// Creating only; default: the first pipeline.
    pub pipeline_id: Option<i64>,
    /// Creating only; default: the pipeline's first stage. Later changes go
    /// through [`move_opportunity`].
    pub stage_id: Option<i64>,
    /// `None`: the caller when creating, unchanged when updating.
    pub owner_id: Option<i64>,
    pub amount: Money,
    /// Default: the company currency.
    pub currency: Option<String>,
    pub expected_close_date: Option<NaiveDate>,
    /// `Some`: override the stage's probability (with a reason).
    pub probability: Option<i32>,
    pub probability_reason: Option<String>,
    pub source: Option<String>,
    pub campaign: Option<String>,
    pub competitors: String,
    pub product_lines: String,
    pub next_step: String,
    pub notes: String,
    /// `(contact id, role)`; `None` keeps them when updating.
    pub contacts: Option<Vec<(i64, String)>>,
    pub lead_id: Option<i64>,
}

fn check_input(input: &OpportunityInput, currency: &str) -> Invalid {
    rules::check_opportunity(&OpportunityFields {
        name: &input.name,
        amount: input.amount.minor(),
        currency,
        probability: input.probability,
        probability_reason: input.probability_reason.as_deref().unwrap_or(""),
        source: input.source.as_deref().unwrap_or(""),
        campaign: input.campaign.as_deref().unwrap_or(""),
        competitors: &input.competitors,
        product_lines: &input.product_lines,
        next_step: &input.next_step,
        notes: &input.notes,
        expected_close_date: input.expected_close_date,
    })
}

/// The customer must be visible and not deleted; the contacts must be its.
async fn check_links<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    invalid: &mut Invalid,
    input: &OpportunityInput,
    current_customer: Option<i64>,
) -> StoreResult<()> {
    let customer =
        crate::customers::find_visible(conn, actor, input.customer_id).await.ok().filter(|c| c.deleted_at.is_none());
    let Some(customer) = customer else {
        invalid.push(FieldError::new("customer_id", "unknown_reference"));
        return Ok(());
    };
    // A deal kept on a customer that went back to the pool stays editable.
    if current_customer != Some(customer.id) {
        crate::customers::check_attachable(actor, &customer, invalid, "customer_id");
    }
    if let Some(contacts) = &input.contacts {
        let ids: Vec<i64> = contacts.iter().map(|(id, _)| *id).collect();
        let found = contact::Entity::find()
            .filter(contact::Column::Id.is_in(ids.clone()))
            .filter(contact::Column::CustomerId.eq(input.customer_id))
            .filter(contact::Column::DeletedAt.is_null())
            .all(conn)
            .await?;
        for (n, (id, role)) in contacts.iter().enumerate() {
            if !found.iter().any(|c| c.id == *id) {
                invalid.push(FieldError::new(&format!("contacts[{n}].contact_id"), "unknown_reference"));
            }
            if ContactRole::parse(role).is_none() {
                invalid.push(FieldError::new(&format!("contacts[{n}].role"), "invalid_choice"));
            }
        }
    }
    Ok(())
}

async fn save_contacts<C: ConnectionTrait>(conn: &C, id: i64, contacts: &[(i64, String)]) -> StoreResult<()> {
    opportunity_contact::Entity::delete_many()
        .filter(opportunity_contact::Column::OpportunityId.eq(id))
        .exec(conn)
        .await?;
    let mut seen = BTreeSet::new();
    for (contact_id, role) in contacts {
        if seen.insert(*contact_id) {
            opportunity_contact::ActiveModel {
                opportunity_id: Set(id),
                contact_id: Set(*contact_id),
                role: Set(ContactRole::parse(role).map(|r| r.code()).unwrap_or("other").to_owned()),
            }
            .insert(conn)
            .await?;
        }
    }
    Ok(())
}

async fn change(
    unit: &UnitOfWork<'_>,
    actor: &Actor,
    id: i64,
    field: &str,
    from: Option<String>,
    to: Option<String>,
    reason: Option<String>,
) -> StoreResult<()> {
    opportunity_change::ActiveModel {
        opportunity_id: Set(id),
        field: Set(field.to_owned()),
        from_value: Set(from),
        to_value: Set(to),
        reason: Set(reason),
        user_id: Set(actor.user_id),
        at: Set(unit.now()),
        ..Default::default()
    }
    .insert(unit)
    .await?;
    Ok(())
}

/// Records a move between stages as codes and ids, so that the history
/// names the stages in the reader's language (not the mover's).
async fn stage_change(
    unit: &UnitOfWork<'_>,
    actor: &Actor,
    id: i64,
    from: Option<&StageView>,
    to: &StageView,
    reason: Option<String>,
) -> StoreResult<()> {
    opportunity_change::ActiveModel {
        opportunity_id: Set(id),
        field: Set("stage".to_owned()),
        from_value: Set(from.map(|s| s.code.clone())),
        to_value: Set(Some(to.code.clone())),
        from_stage_id: Set(from.map(|s| s.id)),
        to_stage_id: Set(Some(to.id)),
        reason: Set(reason),
        user_id: Set(actor.user_id),
        at: Set(unit.now()),
        ..Default::default()
    }
    .insert(unit)
    .await?;
    Ok(())
}

/// Opens a stay in a stage (`passed`: skipped over, no time spent).
async fn enter_stage<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    m: &opportunity::Model,
    stage_id: i64,
    now: DateTime<Utc>,
    passed: bool,
    override_reason: Option<String>,
) -> StoreResult<()> {
    opportunity_stage::ActiveModel {
        opportunity_id: Set(m.id),
        pipeline_id: Set(m.pipeline_id),
        stage_id: Set(stage_id),
        owner_id: Set(m.owner_id),
        amount: Set(m.amount),
        entered_at: Set(now),
        left_at: Set(passed.then_some(now)),
        entered_by: Set(actor.user_id),
        passed: Set(passed),
        override_reason: Set(override_reason),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

async fn leave_stage<C: ConnectionTrait>(conn: &C, id: i64, now: DateTime<Utc>) -> StoreResult<()> {
    opportunity_stage::Entity::update_many()
        .col_expr(opportunity_stage::Column::LeftAt, Expr::value(Some(now)))
        .filter(opportunity_stage::Column::OpportunityId.eq(id))
        .filter(opportunity_stage::Column::LeftAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------- create, read, update, delete

pub async fn create_opportunity(store: &Store, actor: &Actor, input: OpportunityInput) -> StoreResult<OpportunityView> {
    let permit = store.permit(actor, Module::Opportunities, Action::Create)?;
    let txn = permit.begin().await?;
    let (v, event) = insert_opportunity(&txn, input).await?;
    txn.commit(event).await?;
    Ok(v)
}

/// Creates an opportunity inside a caller's unit (also lead conversion);
/// returns it with its audit event.
pub(crate) async fn insert_opportunity(
    conn: &UnitOfWork<'_>,
    input: OpportunityInput,
) -> StoreResult<(OpportunityView, AuditEvent)> {
    let actor = conn.actor();
    let currency = match clean(&input.currency) {
        Some(c) => c,
        None => crate::settings::current(conn).await?.currency,
    };
    let mut invalid = check_input(&input, &currency);
    let owner = input.owner_id.or(actor.user_id);
    match owner {
        Some(owner) => check_owner(conn, actor, &mut invalid, Some(owner)).await?,
        None => invalid.push(FieldError::new("owner_id", "required")),
    }
    check_links(conn, actor, &mut invalid, &input, None).await?;
    let pipelines = load(conn, None).await?;
    let pipeline = match input.pipeline_id {
        Some(id) => pipelines.iter().find(|p| p.id == id && !p.retired),
        None => pipelines.iter().find(|p| !p.retired),
    };
    let stage = pipeline.and_then(|p| match input.stage_id {
        Some(id) => p.active_stages().find(|s| s.id == id),
        None => p.active_stages().next(),
    });
    match (pipeline, stage) {
        (None, _) => invalid.push(FieldError::new("pipeline_id", "unknown_reference")),
        (Some(_), None) => invalid.push(FieldError::new("stage_id", "stage_not_in_pipeline")),
        _ => {}
    }
    invalid.into_result()?;
    let (pipeline, stage, owner) = match (pipeline, stage, owner) {
        (Some(p), Some(s), Some(o)) => (p, s, o),
        _ => return Err(StoreError::Forbidden),
    };
    let now = conn.now();
    let probability = rules::effective_probability(stage.probability, input.probability);
    let m = opportunity::ActiveModel {
        name: Set(input.name.trim().to_owned()),
        customer_id: Set(input.customer_id),
        pipeline_id: Set(pipeline.id),
        stage_id: Set(stage.id),
        owner_id: Set(owner),
        amount: Set(input.amount.minor()),
        currency: Set(currency),
        expected_close_date: Set(input.expected_close_date),
        probability: Set(probability),
        probability_reason: Set(input.probability.and(clean(&input.probability_reason))),
        source: Set(clean(&input.source)),
        campaign: Set(clean(&input.campaign)),
        competitors: Set(input.competitors.trim().to_owned()),
        product_lines: Set(input.product_lines.trim().to_owned()),
        next_step: Set(input.next_step.trim().to_owned()),
        notes: Set(input.notes.trim().to_owned()),
        status: Set(OpportunityStatus::Open.code().to_owned()),
        lost_reason_id: Set(None),
        lost_note: Set(None),
        closed_at: Set(None),
        stage_entered_at: Set(now),
        last_activity_at: Set(now),
        lead_id: Set(input.lead_id),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    if let Some(contacts) = &input.contacts {
        save_contacts(conn, m.id, contacts).await?;
    }
    enter_stage(conn, actor, &m, stage.id, now, false, None).await?;
    conn.funnel_add(&[m.id]).await?;
    conn.index(Kind::Opportunity, m.id, &[m.name.as_str()]).await?;
    let mut v = full_view(conn, m, conn.now()).await?;
    let today = crate::settings::today(conn, conn.now()).await?;
    if input.expected_close_date.is_some_and(|d| d < today) {
        v.warnings.push("expected_close_date:in_past".to_owned());
    }
    let event = AuditEvent::new("opportunity.create", "opportunity", Some(v.id)).after(&v);
    Ok((v, event))
}

pub async fn get_opportunity(store: &Store, actor: &Actor, id: i64) -> StoreResult<OpportunityView> {
    actor.require(Module::Opportunities, Action::View)?;
    let m = find_visible(store.reader(), actor, id).await?;
    full_view(store.reader(), m, store.now()).await
}

/// Replaces an opportunity's fields (`version` must be current). Stage
/// and status change through move, win, lose and reopen. Changes of
/// amount, owner, close date and probability go into the history.
pub async fn update_opportunity(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: i64,
    input: OpportunityInput,
) -> StoreResult<OpportunityView> {
    let permit = store.permit(actor, Module::Opportunities, Action::Edit)?;
    let txn = permit.begin().await?;
    let before = find_changeable(&txn, actor, id, false).await?;
    check_version(&before, Some(version))?;
    let funnel = txn.funnel_begin(&[id]).await?;
    let currency = clean(&input.currency).unwrap_or_else(|| before.currency.clone());
    let mut invalid = check_input(&input, &currency);
    let owner = input.owner_id.unwrap_or(before.owner_id);
    if owner != before.owner_id {
        check_owner(&txn, actor, &mut invalid, Some(owner)).await?;
    }
    check_links(&txn, actor, &mut invalid, &input, Some(before.customer_id)).await?;
    invalid.into_result()?;
    let pipeline = load_one(&txn, before.pipeline_id).await?;
    let stage_probability = pipeline.stage(before.stage_id).map_or(before.probability, |s| s.probability);
    let probability = if before.status == OpportunityStatus::Open.code() {
        rules::effective_probability(stage_probability, input.probability)
    } else {
        before.probability
    };
    let reason = input.probability.and(clean(&input.probability_reason));
    let now = txn.now();
    txn.update::<opportunity::Entity>(id, version)
        .set(opportunity::Column::Name, Expr::value(input.name.trim()))
        .set(opportunity::Column::CustomerId, Expr::value(input.customer_id))
        .set(opportunity::Column::OwnerId, Expr::value(owner))
        .set(opportunity::Column::Amount, Expr::value(input.amount.minor()))
        .set(opportunity::Column::Currency, Expr::value(currency))
        .set(opportunity::Column::ExpectedCloseDate, Expr::value(input.expected_close_date))
        .set(opportunity::Column::Probability, Expr::value(probability))
        .set(opportunity::Column::ProbabilityReason, Expr::value(reason.clone()))
        .set(opportunity::Column::Source, Expr::value(clean(&input.source)))
        .set(opportunity::Column::Campaign, Expr::value(clean(&input.campaign)))
        .set(opportunity::Column::Competitors, Expr::value(input.competitors.trim()))
        .set(opportunity::Column::ProductLines, Expr::value(input.product_lines.trim()))
        .set(opportunity::Column::NextStep, Expr::value(input.next_step.trim()))
        .set(opportunity::Column::Notes, Expr::value(input.notes.trim()))
        .exec_without_reading()
        .await?;
    if let Some(contacts) = &input.contacts {
        save_contacts(&txn, id, contacts).await?;
    }
    if before.amount != input.amount.minor() {
        let (a, b) = (Money(before.amount).to_string(), input.amount.to_string());
        change(&txn, actor, id, "amount", Some(a), Some(b), None).await?;
        // The current stay counts with the new amount.
        opportunity_stage::Entity::update_many()
            .col_expr(opportunity_stage::Column::Amount, Expr::value(input.amount.minor()))
            .filter(opportunity_stage::Column::OpportunityId.eq(id))
            .filter(opportunity_stage::Column::LeftAt.is_null())
            .exec(&txn)
            .await?;
    }
    if before.owner_id != owner {
        let names = owner_names(&txn, [before.owner_id, owner].into_iter()).await?;
        change(&txn, actor, id, "owner", names.get(&before.owner_id).cloned(), names.get(&owner).cloned(), None)
            .await?;
        opportunity_stage::Entity::update_many()
            .col_expr(opportunity_stage::Column::OwnerId, Expr::value(owner))
            .filter(opportunity_stage::Column::OpportunityId.eq(id))
            .filter(opportunity_stage::Column::LeftAt.is_null())
            .exec(&txn)
            .await?;
    }
    if before.expected_close_date != input.expected_close_date {
        let text = |d: Option<NaiveDate>| d.map(|d| d.to_string());
        change(
            &txn,
            actor,
            id,
            "expected_close_date",
            text(before.expected_close_date),
            text(input.expected_close_date),
            None,
        )
        .await?;
    }
    if before.probability != probability {
        change(
            &txn,
            actor,
            id,
            "probability",
            Some(before.probability.to_string()),
            Some(probability.to_string()),
            reason,
        )
        .await?;
    }
    txn.funnel_finish(funnel).await?;
    let after = opportunity::Entity::find_by_id(id).one(&txn).await?.ok_or(StoreError::NotFound)?;
    txn.index(Kind::Opportunity, id, &[after.name.as_str()]).await?;
    let cx = Context::load(&txn, &[before.clone(), after.clone()]).await?;
    let before_view = summary(before, &cx, now);
    let v = full_view(&txn, after, txn.now()).await?;
    txn.commit(AuditEvent::new("opportunity.update", "opportunity", Some(id)).before(&before_view).after(&v)).await?;
    Ok(v)
}

/// Soft-deletes or restores an opportunity.
pub async fn set_deleted(store: &Store, actor: &Actor, id: i64, deleted: bool) -> StoreResult<OpportunityView> {
    let permit = store.permit(actor, Module::Opportunities, Action::Delete)?;
    let txn = permit.begin().await?;
    let before = find_visible(&txn, actor, id).await?;
    if before.deleted_at.is_some() == deleted {
        return if deleted { Err(StoreError::NotFound) } else { full_view(&txn, before, txn.now()).await };
    }
    let now = txn.now();
    let funnel = txn.funnel_begin(&[id]).await?;
    let after = txn
        .update::<opportunity::Entity>(id, before.version)
        .set(opportunity::Column::DeletedAt, Expr::value(if deleted { Some(now) } else { None }))
        .exec()
        .await?;
    txn.funnel_finish(funnel).await?;
    let v = full_view(&txn, after, txn.now()).await?;
    let action = if deleted { "opportunity.delete" } else { "opportunity.restore" };
    txn.commit(AuditEvent::new(action, "opportunity", Some(id)).after(&v)).await?;
    Ok(v)
}
