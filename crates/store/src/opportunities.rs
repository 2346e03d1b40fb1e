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
        weighted_amount: Money(rules::weighted(m.amount, m.probability)).to_string(),
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
async fn full_view<C: ConnectionTrait>(conn: &C, m: opportunity::Model) -> StoreResult<OpportunityView> {
    let cx = Context::load(conn, std::slice::from_ref(&m)).await?;
    let (id, pipeline_id) = (m.id, m.pipeline_id);
    let mut v = summary(m, &cx, Utc::now());
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
async fn reread<C: ConnectionTrait>(conn: &C, id: i64) -> StoreResult<OpportunityView> {
    let after = opportunity::Entity::find_by_id(id).one(conn).await?.ok_or(StoreError::NotFound)?;
    full_view(conn, after).await
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

async fn change<C: ConnectionTrait>(
    conn: &C,
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
        at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(conn)
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
    let mut v = full_view(conn, m).await?;
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
    full_view(store.reader(), m).await
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
    let v = full_view(&txn, after).await?;
    txn.commit(AuditEvent::new("opportunity.update", "opportunity", Some(id)).before(&before_view).after(&v)).await?;
    Ok(v)
}

/// Soft-deletes or restores an opportunity.
pub async fn set_deleted(store: &Store, actor: &Actor, id: i64, deleted: bool) -> StoreResult<OpportunityView> {
    let permit = store.permit(actor, Module::Opportunities, Action::Delete)?;
    let txn = permit.begin().await?;
    let before = find_visible(&txn, actor, id).await?;
    if before.deleted_at.is_some() == deleted {
        return if deleted { Err(StoreError::NotFound) } else { full_view(&txn, before).await };
    }
    let now = txn.now();
    let funnel = txn.funnel_begin(&[id]).await?;
    let after = txn
        .update::<opportunity::Entity>(id, before.version)
        .set(opportunity::Column::DeletedAt, Expr::value(if deleted { Some(now) } else { None }))
        .exec()
        .await?;
    txn.funnel_finish(funnel).await?;
    let v = full_view(&txn, after).await?;
    let action = if deleted { "opportunity.delete" } else { "opportunity.restore" };
    txn.commit(AuditEvent::new(action, "opportunity", Some(id)).after(&v)).await?;
    Ok(v)
}

// ---------------------------------------------------------------- checklist and the gate

/// Ticks (`done = true`) or unticks one checklist item of the
/// opportunity's pipeline. The opportunity's version does not change: a
/// card on the kanban stays movable.
pub async fn set_check(
    store: &Store,
    actor: &Actor,
    id: i64,
    item_id: i64,
    done: bool,
) -> StoreResult<OpportunityView> {
    let permit = store.permit(actor, Module::Opportunities, Action::Edit)?;
    let txn = permit.begin().await?;
    let m = find_changeable(&txn, actor, id, true).await?;
    let pipeline = load_one(&txn, m.pipeline_id).await?;
    let item = pipeline
        .stages
        .iter()
        .flat_map(|s| s.checklist.iter())
        .find(|i| i.id == item_id)
        .ok_or(StoreError::NotFound)?;
    // A conditional write, not "look, then write": of two identical ticks
    // racing, one ticks and the other finds it done (no unique-index error).
    let changed = if done {
        opportunity_check::Entity::insert(opportunity_check::ActiveModel {
            opportunity_id: Set(id),
            item_id: Set(item_id),
            done_by: Set(actor.user_id),
            done_at: Set(txn.now()),
        })
        .on_conflict(
            sea_orm::sea_query::OnConflict::columns([
                opportunity_check::Column::OpportunityId,
                opportunity_check::Column::ItemId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?
    } else {
        opportunity_check::Entity::delete_by_id((id, item_id)).exec(&txn).await?.rows_affected
    };
    if changed == 0 {
        // Already as asked: nothing written, nothing to record.
        return full_view(&txn, m).await;
    }
    change(
        &txn,
        actor,
        id,
        if done { "checklist_done" } else { "checklist_undone" },
        None,
        Some(item.text.clone()),
        None,
    )
    .await?;
    let detail = serde_json::json!({ "item_id": item_id, "done": done });
    let v = full_view(&txn, m).await?;
    txn.commit(AuditEvent::new("opportunity.checklist", "opportunity", Some(id)).detail(detail)).await?;
    Ok(v)
}

fn gate_stages(p: &PipelineView) -> Vec<GateStage> {
    p.stages
        .iter()
        .map(|s| GateStage {
            id: s.id,
            position: s.position,
            retired: s.retired,
            required_items: s.checklist.iter().filter(|i| i.required).map(|i| i.id).collect(),
        })
        .collect()
}

async fn done_items<C: ConnectionTrait>(conn: &C, id: i64) -> StoreResult<BTreeSet<i64>> {
    Ok(opportunity_check::Entity::find()
        .filter(opportunity_check::Column::OpportunityId.eq(id))
        .all(conn)
        .await?
        .into_iter()
        .map(|c| c.item_id)
        .collect())
}

/// The refusal: one `gate_item_missing` error per missing item, naming it
/// and its stage in both languages (the web layer picks the reader's).
fn gate_refusal(p: &PipelineView, missing: &[i64]) -> Invalid {
    let mut invalid = Invalid::new();
    for s in &p.stages {
        for i in s.checklist.iter().filter(|i| missing.contains(&i.id)) {
            invalid.push(
                FieldError::new("checklist", "gate_item_missing")
                    .with("item_id", i.id)
                    .with("stage", s.label("zh-CN"))
                    .with("stage_en", s.label("en"))
                    .with("text", &i.text)
                    .with("text_en", &i.text_en),
            );
        }
    }
    invalid
}

/// What the caller asks of a move or a win.
#[derive(Debug, Clone, Default)]
pub struct MoveInput {
    pub stage_id: i64,
    /// The version last read (the kanban sends it): stale → conflict.
    pub version: Option<i64>,
    /// Pass the gate anyway (approvers only); must say why.
    pub override_reason: Option<String>,
}

/// Decides whether a gate refusal may be overridden: `Ok(Some(reason))`
/// when the caller is an approver and gave a reason.
fn override_gate(
    actor: &Actor,
    p: &PipelineView,
    missing: &[i64],
    reason: &Option<String>,
) -> StoreResult<Option<String>> {
    let may_approve = actor.can(Module::Opportunities, Action::Approve);
    match deal_rules::check_override(reason.as_deref(), may_approve) {
        Ok(reason) => Ok(Some(reason)),
        Err(OverrideRefused::NotAsked) => Err(gate_refusal(p, missing).into()),
        Err(OverrideRefused::Invalid(invalid)) => Err(invalid.into()),
    }
}

/// Moves an open opportunity to another stage of its pipeline, under the
/// gate. Moving back is always allowed; the probability becomes the new
/// stage's (an override is dropped).
pub async fn move_opportunity(store: &Store, actor: &Actor, id: i64, input: MoveInput) -> StoreResult<OpportunityView> {
    let permit = store.permit(actor, Module::Opportunities, Action::Edit)?;
    let txn = permit.begin().await?;
    let m = find_changeable(&txn, actor, id, true).await?;
    check_version(&m, input.version)?;
    let pipeline = load_one(&txn, m.pipeline_id).await?;
    let done = done_items(&txn, id).await?;
    let stages = gate_stages(&pipeline);
    let (direction, overridden) = match rules::check_move(&stages, m.stage_id, input.stage_id, &done) {
        Ok(d) => (d, None),
        Err(GateError::UnknownStage) => return Err(Invalid::one("stage_id", "stage_not_in_pipeline").into()),
        Err(GateError::Missing(missing)) => {
            (Direction::Forward, override_gate(actor, &pipeline, &missing, &input.override_reason)?)
        }
    };
    if direction == Direction::Stay {
        return full_view(&txn, m).await;
    }
    let now = txn.now();
    let target = pipeline.stage(input.stage_id).ok_or(StoreError::NotFound)?;
    let funnel = txn.funnel_begin(&[id]).await?;
    txn.update::<opportunity::Entity>(id, m.version)
        .set(opportunity::Column::StageId, Expr::value(target.id))
        .set(opportunity::Column::Probability, Expr::value(target.probability))
        .set(opportunity::Column::ProbabilityReason, Expr::value(Option::<String>::None))
        .set(opportunity::Column::StageEnteredAt, Expr::value(now))
        .set(opportunity::Column::LastActivityAt, Expr::value(now))
        .exec_without_reading()
        .await?;
    leave_stage(&txn, id, now).await?;
    if direction == Direction::Forward {
        for passed in rules::passed_over(&stages, m.stage_id, target.id) {
            enter_stage(&txn, actor, &m, passed, now, true, overridden.clone()).await?;
        }
    }
    enter_stage(&txn, actor, &m, target.id, now, false, overridden.clone()).await?;
    txn.funnel_finish(funnel).await?;
    let locale = actor.locale.as_deref().unwrap_or("zh-CN");
    let from = pipeline.stage(m.stage_id).map(|s| s.label(locale));
    change(&txn, actor, id, "stage", from, Some(target.label(locale)), overridden.clone()).await?;
    if m.probability != target.probability {
        change(
            &txn,
            actor,
            id,
            "probability",
            Some(m.probability.to_string()),
            Some(target.probability.to_string()),
            None,
        )
        .await?;
    }
    let detail =
        serde_json::json!({ "from_stage_id": m.stage_id, "to_stage_id": target.id, "override_reason": overridden });
    let action = if overridden.is_some() { "opportunity.gate_override" } else { "opportunity.move" };
    let v = reread(&txn, id).await?;
    txn.commit(AuditEvent::new(action, "opportunity", Some(id)).detail(detail)).await?;
    Ok(v)
}

/// Marks an open opportunity won: the gates of its stage and every later
/// one must be met (or overridden by an approver). It ends in the last
/// stage at 100 %, and its customer counts as closed (成交) from now on.
pub async fn win(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: Option<i64>,
    override_reason: Option<String>,
) -> StoreResult<OpportunityView> {
    let permit = store.permit(actor, Module::Opportunities, Action::Edit)?;
    let txn = permit.begin().await?;
    let m = find_changeable(&txn, actor, id, true).await?;
    check_version(&m, version)?;
    let pipeline = load_one(&txn, m.pipeline_id).await?;
    let done = done_items(&txn, id).await?;
    let stages = gate_stages(&pipeline);
    let overridden = match rules::check_win(&stages, m.stage_id, &done) {
        Ok(()) => None,
        Err(GateError::UnknownStage) => return Err(Invalid::one("stage_id", "stage_not_in_pipeline").into()),
        Err(GateError::Missing(missing)) => override_gate(actor, &pipeline, &missing, &override_reason)?,
    };
    let last = pipeline.active_stages().last().ok_or(StoreError::NotFound)?;
    let now = txn.now();
    let funnel = txn.funnel_begin(&[id]).await?;
    txn.update::<opportunity::Entity>(id, m.version)
        .set(opportunity::Column::StageId, Expr::value(last.id))
        .set(opportunity::Column::Status, Expr::value(OpportunityStatus::Won.code()))
        .set(opportunity::Column::Probability, Expr::value(100))
        .set(opportunity::Column::ProbabilityReason, Expr::value(Option::<String>::None))
        .set(opportunity::Column::ClosedAt, Expr::value(Some(now)))
        .set(opportunity::Column::LostReasonId, Expr::value(Option::<i64>::None))
        .set(opportunity::Column::LostNote, Expr::value(Option::<String>::None))
        .exec_without_reading()
        .await?;
    leave_stage(&txn, id, now).await?;
    if last.id != m.stage_id {
        for passed in rules::passed_over(&stages, m.stage_id, last.id) {
            enter_stage(&txn, actor, &m, passed, now, true, overridden.clone()).await?;
        }
        enter_stage(&txn, actor, &m, last.id, now, true, overridden.clone()).await?;
        opportunity::Entity::update_many()
            .col_expr(opportunity::Column::StageEnteredAt, Expr::value(now))
            .filter(opportunity::Column::Id.eq(id))
            .exec(&txn)
            .await?;
    }
    txn.funnel_finish(funnel).await?;
    let closed_before = customer::Entity::find_by_id(m.customer_id).one(&txn).await?.and_then(|c| c.closed_at);
    let closed_at = deal_rules::customer_closed_at(closed_before, now);
    if closed_before != Some(closed_at) {
        customer::Entity::update_many()
            .col_expr(customer::Column::ClosedAt, Expr::value(Some(closed_at)))
            .filter(customer::Column::Id.eq(m.customer_id))
            .filter(customer::Column::ClosedAt.is_null())
            .exec(&txn)
            .await?;
    }
    change(
        &txn,
        actor,
        id,
        "status",
        Some(m.status.clone()),
        Some(OpportunityStatus::Won.code().to_owned()),
        overridden.clone(),
    )
    .await?;
    let detail = serde_json::json!({ "override_reason": overridden });
    let v = reread(&txn, id).await?;
    txn.commit(AuditEvent::new("opportunity.win", "opportunity", Some(id)).detail(detail)).await?;
    Ok(v)
}

/// Marks an open opportunity lost with a reason from the configured list
/// and/or a note (at least one).
pub async fn lose(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: Option<i64>,
    reason_id: Option<i64>,
    note: Option<String>,
) -> StoreResult<OpportunityView> {
    let permit = store.permit(actor, Module::Opportunities, Action::Edit)?;
    let txn = permit.begin().await?;
    let m = find_changeable(&txn, actor, id, true).await?;
    check_version(&m, version)?;
    let note = clean(&note);
    let reason_known = match reason_id {
        Some(r) => Some(lost_reason::Entity::find_by_id(r).one(&txn).await?.is_some_and(|r| r.retired_at.is_none())),
        None => None,
    };
    deal_rules::check_loss(reason_known, note.as_deref()).into_result()?;
    let now = txn.now();
    let funnel = txn.funnel_begin(&[id]).await?;
    txn.update::<opportunity::Entity>(id, m.version)
        .set(opportunity::Column::Status, Expr::value(OpportunityStatus::Lost.code()))
        .set(opportunity::Column::ClosedAt, Expr::value(Some(now)))
        .set(opportunity::Column::LostReasonId, Expr::value(reason_id))
        .set(opportunity::Column::LostNote, Expr::value(note.clone()))
        .exec_without_reading()
        .await?;
    leave_stage(&txn, id, now).await?;
    txn.funnel_finish(funnel).await?;
    change(&txn, actor, id, "status", Some(m.status.clone()), Some(OpportunityStatus::Lost.code().to_owned()), note)
        .await?;
    let v = reread(&txn, id).await?;
    let detail = serde_json::json!({ "lost_reason_id": reason_id });
    txn.commit(AuditEvent::new("opportunity.lose", "opportunity", Some(id)).detail(detail)).await?;
    Ok(v)
}

/// Opens a won or lost opportunity again, in the stage it ended in.
pub async fn reopen(store: &Store, actor: &Actor, id: i64, version: Option<i64>) -> StoreResult<OpportunityView> {
    let permit = store.permit(actor, Module::Opportunities, Action::Edit)?;
    let txn = permit.begin().await?;
    let m = find_changeable(&txn, actor, id, false).await?;
    check_version(&m, version)?;
    if m.status == OpportunityStatus::Open.code() {
        return full_view(&txn, m).await;
    }
    let pipeline = load_one(&txn, m.pipeline_id).await?;
    let probability = pipeline.stage(m.stage_id).map_or(m.probability, |s| s.probability);
    let now = txn.now();
    let funnel = txn.funnel_begin(&[id]).await?;
    txn.update::<opportunity::Entity>(id, m.version)
        .set(opportunity::Column::Status, Expr::value(OpportunityStatus::Open.code()))
        .set(opportunity::Column::ClosedAt, Expr::value(Option::<DateTime<Utc>>::None))
        .set(opportunity::Column::LostReasonId, Expr::value(Option::<i64>::None))
        .set(opportunity::Column::LostNote, Expr::value(Option::<String>::None))
        .set(opportunity::Column::Probability, Expr::value(probability))
        .set(opportunity::Column::StageEnteredAt, Expr::value(now))
        .set(opportunity::Column::LastActivityAt, Expr::value(now))
        .exec_without_reading()
        .await?;
    enter_stage(&txn, actor, &m, m.stage_id, now, false, None).await?;
    txn.funnel_finish(funnel).await?;
    change(&txn, actor, id, "status", Some(m.status.clone()), Some(OpportunityStatus::Open.code().to_owned()), None)
        .await?;
    let v = reread(&txn, id).await?;
    txn.commit(AuditEvent::new("opportunity.reopen", "opportunity", Some(id))).await?;
    Ok(v)
}

// ---------------------------------------------------------------- history

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    pub id: i64,
    /// `stage|probability|amount|owner|expected_close_date|status|checklist_done|checklist_undone`.
    pub field: String,
    pub from_value: Option<String>,
    pub to_value: Option<String>,
    /// A gate override's or probability override's reason, a lost note.
    pub reason: Option<String>,
    pub user_id: Option<i64>,
    pub user_name: Option<String>,
    pub at: DateTime<Utc>,
}

/// Every recorded change of an opportunity, newest first.
pub async fn history(store: &Store, actor: &Actor, id: i64) -> StoreResult<Vec<HistoryEntry>> {
    actor.require(Module::Opportunities, Action::View)?;
    find_visible(store.reader(), actor, id).await?;
    let rows = opportunity_change::Entity::find()
        .filter(opportunity_change::Column::OpportunityId.eq(id))
        .order_by_desc(opportunity_change::Column::Id)
        .limit(1000)
        .all(store.reader())
        .await?;
    let names = owner_names(store.reader(), rows.iter().filter_map(|r| r.user_id)).await?;
    Ok(rows
        .into_iter()
        .map(|r| HistoryEntry {
            user_name: r.user_id.and_then(|u| names.get(&u).cloned()),
            id: r.id,
            field: r.field,
            from_value: r.from_value,
            to_value: r.to_value,
            reason: r.reason,
            user_id: r.user_id,
            at: r.at,
        })
        .collect())
}

// ---------------------------------------------------------------- lists and the kanban

#[derive(Debug, Clone, Default)]
pub struct OpportunityFilter {
    /// Part of the name, in any script.
    pub q: Option<String>,
    pub pipeline_id: Option<i64>,
    pub stage_id: Option<i64>,
    pub status: Option<String>,
    pub owner_id: Option<i64>,
    /// Owners in this department and those below it.
    pub department_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub close_from: Option<NaiveDate>,
    pub close_to: Option<NaiveDate>,
    pub deleted: bool,
    /// Only these (an export of selected rows).
    pub ids: Option<Vec<i64>>,
}

const SORTS: [SortField<opportunity::Column>; 6] = [
    SortField { name: "updated_at", column: opportunity::Column::UpdatedAt },
    SortField { name: "created_at", column: opportunity::Column::CreatedAt },
    SortField { name: "amount", column: opportunity::Column::Amount },
    SortField { name: "name", column: opportunity::Column::Name },
    SortField { name: "closed_at", column: opportunity::Column::ClosedAt },
    SortField { name: "id", column: opportunity::Column::Id },
];

async fn filtered<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    filter: &OpportunityFilter,
) -> StoreResult<sea_orm::Select<opportunity::Entity>> {
    let mut query = opportunity::Entity::find().filter(actor.scope_condition(opportunity::Column::OwnerId));
    query = if filter.deleted {
        query.filter(opportunity::Column::DeletedAt.is_not_null())
    } else {
        query.filter(opportunity::Column::DeletedAt.is_null())
    };
    if let Some(q) = filter.q.as_deref()
        && let Some(ids) = search::matching(conn, Kind::Opportunity, q).await?
    {
        query = query.filter(opportunity::Column::Id.in_subquery(ids));
    }
    for (column, value) in [
        (opportunity::Column::PipelineId, filter.pipeline_id),
        (opportunity::Column::StageId, filter.stage_id),
        (opportunity::Column::OwnerId, filter.owner_id),
        (opportunity::Column::CustomerId, filter.customer_id),
    ] {
        if let Some(v) = value {
            query = query.filter(column.eq(v));
        }
    }
    if let Some(s) = filter.status.as_deref().and_then(OpportunityStatus::parse) {
        query = query.filter(opportunity::Column::Status.eq(s.code()));
    }
    if let Some(d) = filter.department_id {
        let members = crate::access::department_members(conn, d).await?;
        query = query.filter(opportunity::Column::OwnerId.is_in(members));
    }
    if let Some(from) = filter.close_from {
        query = query.filter(opportunity::Column::ExpectedCloseDate.gte(from));
    }
    if let Some(to) = filter.close_to {
        query = query.filter(opportunity::Column::ExpectedCloseDate.lte(to));
    }
    if let Some(ids) = &filter.ids {
        query = query.filter(opportunity::Column::Id.is_in(ids.iter().copied()));
    }
    Ok(query)
}

fn sort_key(o: &opportunity::Model, field: &str) -> (Key, i64) {
    let key = match field {
        "updated_at" => Key::Time(o.updated_at),
        "created_at" => Key::Time(o.created_at),
        "amount" => Key::Int(o.amount),
        "name" => Key::Text(o.name.clone()),
        "closed_at" => Key::Time(o.closed_at.unwrap_or(o.updated_at)),
        _ => Key::Int(o.id),
    };
    (key, o.id)
}

/// Opportunities in the caller's scope. Sort: `-updated_at` (default),
/// `created_at`, `amount`, `name`, `closed_at`, `id`.
pub async fn list_opportunities(
    store: &Store,
    actor: &Actor,
    filter: &OpportunityFilter,
    page: &PageRequest,
) -> StoreResult<Page<OpportunityView>> {
    actor.require(Module::Opportunities, Action::View)?;
    let keyset = Keyset::parse(page, &SORTS, "-updated_at")?;
    let query = filtered(store.reader(), actor, filter).await?;
    let rows = keyset.apply(query, opportunity::Column::Id).all(store.reader()).await?;
    let cx = Context::load(store.reader(), &rows).await?;
    let page = keyset.finish(rows, sort_key);
    let now = store.now();
    Ok(page.map(|o| summary(o, &cx, now)))
}

/// One kanban column's figures: open deals in the stage.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KanbanColumn {
    pub stage: StageView,
    pub count: i64,
    pub amount: String,
    /// Σ amount × probability.
    pub weighted_amount: String,
    /// The first cards, largest first; `next_cursor` loads more.
    #[schema(value_type = Object)]
    pub cards: Page<OpportunityView>,
}

/// Per stage: count, then the two parts of the amount and of Σ amount × probability.
type SplitTotals = (i64, i64, Option<i64>, Option<i64>, Option<i64>, Option<i64>);

/// The kanban of a pipeline: for each active stage its open deals' count,
/// amount and weighted amount (one grouped query) and the first cards of
/// every column (one query: each column's own ordered, limited select,
/// joined by `UNION ALL`, so each is served by the board's index). The
/// pipeline, the filter's sub-queries and the cards' names are loaded once
/// for all columns: a fixed number of statements whatever the number of
/// stages. Further cards come from [`kanban_cards`].
pub async fn kanban(
    store: &Store,
    actor: &Actor,
    pipeline_id: i64,
    filter: &OpportunityFilter,
    cards_per_column: u64,
) -> StoreResult<Vec<KanbanColumn>> {
    actor.require(Module::Opportunities, Action::View)?;
    let conn = store.reader();
    let pipeline = load_one(conn, pipeline_id).await?;
    let mut filter = filter.clone();
    filter.pipeline_id = Some(pipeline_id);
    filter.status = Some(OpportunityStatus::Open.code().to_owned());
    filter.stage_id = None;
    let open = filtered(conn, actor, &filter).await?;
    // Sums in two parts each (see `money::split_sum_sql`): a column of
    // deals at the maximum amount cannot overflow either backend.
    let amount = || Expr::col(opportunity::Column::Amount);
    // Σ amount × probability as Σ (amount / D) × p and Σ (amount % D) × p:
    // no row's product overflows, even an amount stored before the maximum.
    let probability = || Expr::col(opportunity::Column::Probability);
    let high = |e: Expr| e.div(money::SPLIT).sum().cast_as("bigint");
    let low = |e: Expr| e.modulo(money::SPLIT).sum().cast_as("bigint");
    let weighted_high = amount().div(money::SPLIT).mul(probability()).sum().cast_as("bigint");
    let weighted_low = amount().modulo(money::SPLIT).mul(probability()).sum().cast_as("bigint");
    let totals: Vec<SplitTotals> = open
        .clone()
        .select_only()
        .column(opportunity::Column::StageId)
        .column_as(Expr::col(opportunity::Column::Id).count(), "n")
        .column_as(high(amount()), "amount_high")
        .column_as(low(amount()), "amount_low")
        .column_as(weighted_high, "weighted_high")
        .column_as(weighted_low, "weighted_low")
        .group_by(opportunity::Column::StageId)
        .into_tuple()
        .all(conn)
        .await?;
    // The same page request as `kanban_cards` makes for a first page.
    let page = PageRequest { limit: Some(cards_per_column), cursor: None, sort: Some(CARD_SORT.to_owned()) };
    let keyset = Keyset::parse(&page, &SORTS, CARD_SORT)?;
    let stages: Vec<&StageView> = pipeline.active_stages().collect();
    let mut union: Option<sea_orm::sea_query::SelectStatement> = None;
    for (i, stage) in stages.iter().enumerate() {
        let column = keyset
            .apply(open.clone().filter(opportunity::Column::StageId.eq(stage.id)), opportunity::Column::Id)
            .into_query();
        // Wrapped: SQLite allows no ORDER BY / LIMIT in a compound's parts.
        let mut part = sea_orm::sea_query::Query::select();
        part.column(sea_orm::sea_query::Asterisk)
            .from_subquery(column, sea_orm::sea_query::Alias::new(format!("c{i}")));
        match union.as_mut() {
            None => union = Some(part),
            Some(u) => {
                u.union(sea_orm::sea_query::UnionType::All, part);
            }
        }
    }
    let rows = match union {
        Some(u) => opportunity::Entity::find().from_raw_sql(conn.get_database_backend().build(&u)).all(conn).await?,
        None => Vec::new(),
    };
    let cx = Context::load_with(conn, &rows, Some(std::slice::from_ref(&pipeline))).await?;
    let mut by_stage: HashMap<i64, Vec<opportunity::Model>> = HashMap::new();
    for row in rows {
        by_stage.entry(row.stage_id).or_default().push(row);
    }
    let now = store.now();
    let mut columns = Vec::new();
    for stage in stages {
        let (count, amount, weighted) = totals.iter().find(|t| t.0 == stage.id).map_or((0, 0, 0), |t| {
            let joined = |h: Option<i64>, l: Option<i64>| money::join_split_sum(h.unwrap_or(0), l.unwrap_or(0));
            (t.1, joined(t.2, t.3), joined(t.4, t.5))
        });
        // Σ amount × probability in hundredths, rounded half away from zero.
        let weighted = if weighted >= 0 { (weighted + 50) / 100 } else { (weighted - 50) / 100 };
        let mut cards = by_stage.remove(&stage.id).unwrap_or_default();
        // A compound query's order is not guaranteed: largest first again.
        cards.sort_by(|a, b| b.amount.cmp(&a.amount).then(b.id.cmp(&a.id)));
        let cards = keyset.finish(cards, sort_key).map(|o| summary(o, &cx, now));
        columns.push(KanbanColumn {
            stage: stage.clone(),
            count,
            amount: money::format_wide(amount),
            weighted_amount: money::format_wide(weighted),
            cards,
        });
    }
    Ok(columns)
}

/// Cards of a column: largest first.
const CARD_SORT: &str = "-amount";

/// More cards of one kanban column (open deals of a stage), largest first.
pub async fn kanban_cards(
    store: &Store,
    actor: &Actor,
    stage_id: i64,
    filter: &OpportunityFilter,
    page: &PageRequest,
) -> StoreResult<Page<OpportunityView>> {
    actor.require(Module::Opportunities, Action::View)?;
    let mut filter = filter.clone();
    filter.stage_id = Some(stage_id);
    filter.status = Some(OpportunityStatus::Open.code().to_owned());
    let page = PageRequest { sort: Some(CARD_SORT.to_owned()), ..page.clone() };
    list_opportunities(store, actor, &filter, &page).await
}

/// Open opportunities of a customer (its page), largest first.
pub async fn of_customer(store: &Store, actor: &Actor, customer_id: i64) -> StoreResult<Vec<OpportunityView>> {
    let filter = OpportunityFilter { customer_id: Some(customer_id), ..Default::default() };
    let page = PageRequest { limit: Some(100), cursor: None, sort: Some("-updated_at".to_owned()) };
    Ok(list_opportunities(store, actor, &filter, &page).await?.items)
}

/// Hands every open opportunity of `from` to `to` (a transfer when someone
/// leaves), each with an owner change in its history; the current stays
/// count for the new owner from now on.
pub(crate) async fn hand_over(conn: &UnitOfWork<'_>, from: i64, to: i64) -> StoreResult<u64> {
    let ids: Vec<i64> = opportunity::Entity::find()
        .select_only()
        .column(opportunity::Column::Id)
        .filter(opportunity::Column::OwnerId.eq(from))
        .filter(opportunity::Column::Status.eq(OpportunityStatus::Open.code()))
        .filter(opportunity::Column::DeletedAt.is_null())
        .into_tuple()
        .all(conn)
        .await?;
    if ids.is_empty() {
        return Ok(0);
    }
    let now = conn.now();
    let funnel = conn.funnel_begin(&ids).await?;
    for chunk in ids.chunks(500) {
        conn.update_all::<opportunity::Entity>(opportunity::Column::Id.is_in(chunk.iter().copied()))
            .set(opportunity::Column::OwnerId, Expr::value(to))
            .exec()
            .await?;
        opportunity_stage::Entity::update_many()
            .col_expr(opportunity_stage::Column::OwnerId, Expr::value(to))
            .filter(opportunity_stage::Column::OpportunityId.is_in(chunk.iter().copied()))
            .filter(opportunity_stage::Column::LeftAt.is_null())
            .exec(conn)
            .await?;
    }
    conn.funnel_finish(funnel).await?;
    let names = owner_names(conn, [from, to].into_iter()).await?;
    let rows = ids.iter().map(|id| opportunity_change::ActiveModel {
        opportunity_id: Set(*id),
        field: Set("owner".to_owned()),
        from_value: Set(names.get(&from).cloned()),
        to_value: Set(names.get(&to).cloned()),
        reason: Set(None),
        user_id: Set(conn.actor().user_id),
        at: Set(now),
        ..Default::default()
    });
    opportunity_change::Entity::insert_many(rows).exec(conn).await?;
    Ok(ids.len() as u64)
}
