//! Pipelines, their stages and checklists, and the lost reasons, as an
//! administrator configures them. Stages are retired, never deleted, so
//! open opportunities and their history keep pointing at them; retiring
//! is refused while open opportunities sit in the stage.
//!
//! Reading needs the opportunities `view` right; changing needs
//! `administer`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use salesflow_domain::Invalid;
use salesflow_domain::access::{Action, Module};
use salesflow_domain::pipelines::{self as rules, ItemKind, OpportunityStatus, StageFields};
use salesflow_domain::validation::FieldError;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;

use crate::Store;
use crate::audit::{self, AuditEvent};
use crate::entity::{lost_reason, opportunity, pipeline, pipeline_stage, stage_item};
use crate::error::{StoreError, StoreResult};
use crate::scope::Actor;

// ---------------------------------------------------------------- views

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemView {
    pub id: i64,
    /// `task` (任务清单) or `condition` (符合条件).
    pub kind: String,
    pub text: String,
    pub text_en: String,
    pub required: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StageView {
    pub id: i64,
    pub pipeline_id: i64,
    pub position: i32,
    pub code: String,
    pub name: String,
    pub name_en: String,
    /// Win probability, 0–100.
    pub probability: i32,
    pub expected_days: Option<i32>,
    pub success_criteria: String,
    pub success_criteria_en: String,
    pub milestone: String,
    pub milestone_en: String,
    pub input: String,
    pub input_en: String,
    pub output: String,
    pub output_en: String,
    pub retired: bool,
    pub version: i64,
    pub checklist: Vec<ItemView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PipelineView {
    pub id: i64,
    pub code: Option<String>,
    pub name: String,
    pub name_en: String,
    pub position: i32,
    pub retired: bool,
    pub version: i64,
    /// In order; retired stages last-known position, flagged.
    pub stages: Vec<StageView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LostReasonView {
    pub id: i64,
    pub name: String,
    pub name_en: String,
    pub position: i32,
    pub retired: bool,
}

/// The English text when the reader wants English and one exists.
pub fn localized<'a>(text: &'a str, text_en: &'a str, locale: &str) -> &'a str {
    if locale.starts_with("en") && !text_en.trim().is_empty() { text_en } else { text }
}

impl StageView {
    pub fn label(&self, locale: &str) -> String {
        format!("{} {}", self.code, localized(&self.name, &self.name_en, locale))
    }
}

impl PipelineView {
    pub fn label(&self, locale: &str) -> &str {
        localized(&self.name, &self.name_en, locale)
    }

    pub fn active_stages(&self) -> impl Iterator<Item = &StageView> {
        self.stages.iter().filter(|s| !s.retired)
    }

    pub fn stage(&self, id: i64) -> Option<&StageView> {
        self.stages.iter().find(|s| s.id == id)
    }
}

fn item_view(m: stage_item::Model) -> ItemView {
    ItemView { id: m.id, kind: m.kind, text: m.text, text_en: m.text_en, required: m.required }
}

fn stage_view(m: pipeline_stage::Model, items: Vec<ItemView>) -> StageView {
    StageView {
        id: m.id,
        pipeline_id: m.pipeline_id,
        position: m.position,
        code: m.code,
        name: m.name,
        name_en: m.name_en,
        probability: m.probability,
        expected_days: m.expected_days,
        success_criteria: m.success_criteria,
        success_criteria_en: m.success_criteria_en,
        milestone: m.milestone,
        milestone_en: m.milestone_en,
        input: m.input,
        input_en: m.input_en,
        output: m.output,
        output_en: m.output_en,
        retired: m.retired_at.is_some(),
        version: m.version,
        checklist: items,
    }
}

/// Pipelines with their stages and active checklist items, in three queries.
pub(crate) async fn load<C: ConnectionTrait>(conn: &C, only: Option<i64>) -> StoreResult<Vec<PipelineView>> {
    let mut q = pipeline::Entity::find().order_by_asc(pipeline::Column::Position).order_by_asc(pipeline::Column::Id);
    if let Some(id) = only {
        q = q.filter(pipeline::Column::Id.eq(id));
    }
    let pipelines = q.all(conn).await?;
    let ids: Vec<i64> = pipelines.iter().map(|p| p.id).collect();
    let stages = pipeline_stage::Entity::find()
        .filter(pipeline_stage::Column::PipelineId.is_in(ids))
        .order_by_asc(pipeline_stage::Column::Position)
        .order_by_asc(pipeline_stage::Column::Id)
        .all(conn)
        .await?;
    let stage_ids: Vec<i64> = stages.iter().map(|s| s.id).collect();
    let mut items: HashMap<i64, Vec<ItemView>> = HashMap::new();
    for i in stage_item::Entity::find()
        .filter(stage_item::Column::StageId.is_in(stage_ids))
        .filter(stage_item::Column::RetiredAt.is_null())
        .order_by_asc(stage_item::Column::Position)
        .order_by_asc(stage_item::Column::Id)
        .all(conn)
        .await?
    {
        items.entry(i.stage_id).or_default().push(item_view(i));
    }
    let mut by_pipeline: HashMap<i64, Vec<StageView>> = HashMap::new();
    for s in stages {
        let own = items.remove(&s.id).unwrap_or_default();
        by_pipeline.entry(s.pipeline_id).or_default().push(stage_view(s, own));
    }
    Ok(pipelines
        .into_iter()
        .map(|p| PipelineView {
            stages: by_pipeline.remove(&p.id).unwrap_or_default(),
            id: p.id,
            code: p.code,
            name: p.name,
            name_en: p.name_en,
            position: p.position,
            retired: p.retired_at.is_some(),
            version: p.version,
        })
        .collect())
}

/// A pipeline and its stages without their checklists (what reports
/// need), in one statement.
pub(crate) async fn load_stages<C: ConnectionTrait>(conn: &C, id: i64) -> StoreResult<Option<PipelineView>> {
    use sea_orm::{JoinType, QuerySelect, RelationDef};
    let stages_of: RelationDef = pipeline_stage::Entity::belongs_to(pipeline::Entity)
        .from(pipeline_stage::Column::PipelineId)
        .to(pipeline::Column::Id)
        .into();
    let rows = pipeline::Entity::find_by_id(id)
        .join(JoinType::LeftJoin, stages_of.rev())
        .select_also(pipeline_stage::Entity)
        .order_by_asc(pipeline_stage::Column::Position)
        .order_by_asc(pipeline_stage::Column::Id)
        .all(conn)
        .await?;
    let Some(p) = rows.first().map(|(p, _)| p.clone()) else { return Ok(None) };
    Ok(Some(PipelineView {
        stages: rows.into_iter().filter_map(|(_, s)| s).map(|s| stage_view(s, Vec::new())).collect(),
        id: p.id,
        code: p.code,
        name: p.name,
        name_en: p.name_en,
        position: p.position,
        retired: p.retired_at.is_some(),
        version: p.version,
    }))
}

pub(crate) async fn load_one<C: ConnectionTrait>(conn: &C, id: i64) -> StoreResult<PipelineView> {
    load(conn, Some(id)).await?.into_iter().next().ok_or(StoreError::NotFound)
}

/// Every pipeline (retired ones too when asked), with stages and checklists.
pub async fn list_pipelines(store: &Store, actor: &Actor, include_retired: bool) -> StoreResult<Vec<PipelineView>> {
    actor.require(Module::Opportunities, Action::View)?;
    let all = load(store.reader(), None).await?;
    Ok(all.into_iter().filter(|p| include_retired || !p.retired).collect())
}

pub async fn get_pipeline(store: &Store, actor: &Actor, id: i64) -> StoreResult<PipelineView> {
    actor.require(Module::Opportunities, Action::View)?;
    load_one(store.reader(), id).await
}

// ---------------------------------------------------------------- input

#[derive(Debug, Clone, Default)]
pub struct ItemInput {
    /// An existing item to keep (edited); `None` adds one.
    pub id: Option<i64>,
    pub kind: String,
    pub text: String,
    pub text_en: String,
    pub required: bool,
}

#[derive(Debug, Clone, Default)]
pub struct StageInput {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub probability: i32,
    pub expected_days: Option<i32>,
    pub success_criteria: String,
    pub success_criteria_en: String,
    pub milestone: String,
    pub milestone_en: String,
    pub input: String,
    pub input_en: String,
    pub output: String,
    pub output_en: String,
    /// The whole checklist, in order: items left out are retired.
    pub checklist: Vec<ItemInput>,
}

fn check_stage_input(input: &StageInput) -> Invalid {
    let mut invalid = rules::check_stage(&StageFields {
        code: &input.code,
        name: &input.name,
        name_en: &input.name_en,
        probability: input.probability,
        expected_days: input.expected_days,
        texts: [
            ("success_criteria", &input.success_criteria),
            ("success_criteria_en", &input.success_criteria_en),
            ("milestone", &input.milestone),
            ("milestone_en", &input.milestone_en),
            ("input", &input.input),
            ("input_en", &input.input_en),
            ("output", &input.output),
            ("output_en", &input.output_en),
        ],
    });
    for (n, item) in input.checklist.iter().enumerate() {
        let field = format!("checklist[{n}].text");
        rules::check_item(&mut invalid, &field, &item.text, &item.text_en);
        if ItemKind::parse(&item.kind).is_none() {
            invalid.push(FieldError::new(&format!("checklist[{n}].kind"), "invalid_choice"));
        }
    }
    invalid
}

#[derive(Debug, Clone, Default)]
pub struct PipelineInput {
    pub name: String,
    pub name_en: String,
}

fn check_pipeline_input(input: &PipelineInput) -> Invalid {
    let mut invalid = Invalid::new();
    invalid.text("name", &input.name, rules::NAME_MAX);
    invalid.optional_text("name_en", &input.name_en, rules::NAME_MAX);
    invalid
}

// ---------------------------------------------------------------- install

fn stage_row(pipeline_id: i64, position: i32, input: &StageInput, now: DateTime<Utc>) -> pipeline_stage::ActiveModel {
    pipeline_stage::ActiveModel {
        pipeline_id: Set(pipeline_id),
        position: Set(position),
        code: Set(input.code.trim().to_owned()),
        name: Set(input.name.trim().to_owned()),
        name_en: Set(input.name_en.trim().to_owned()),
        probability: Set(input.probability),
        expected_days: Set(input.expected_days),
        success_criteria: Set(input.success_criteria.trim().to_owned()),
        success_criteria_en: Set(input.success_criteria_en.trim().to_owned()),
        milestone: Set(input.milestone.trim().to_owned()),
        milestone_en: Set(input.milestone_en.trim().to_owned()),
        input: Set(input.input.trim().to_owned()),
        input_en: Set(input.input_en.trim().to_owned()),
        output: Set(input.output.trim().to_owned()),
        output_en: Set(input.output_en.trim().to_owned()),
        retired_at: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

async fn insert_item<C: ConnectionTrait>(
    conn: &C,
    stage_id: i64,
    position: i32,
    item: &ItemInput,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    stage_item::ActiveModel {
        stage_id: Set(stage_id),
        position: Set(position),
        kind: Set(ItemKind::parse(&item.kind).unwrap_or(ItemKind::Task).code().to_owned()),
        text: Set(item.text.trim().to_owned()),
        text_en: Set(item.text_en.trim().to_owned()),
        required: Set(item.required),
        retired_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

fn template_stage(t: &rules::StageTemplate) -> StageInput {
    StageInput {
        code: t.code.to_owned(),
        name: t.name.0.to_owned(),
        name_en: t.name.1.to_owned(),
        probability: t.probability,
        expected_days: t.expected_days,
        success_criteria: t.success_criteria.0.to_owned(),
        success_criteria_en: t.success_criteria.1.to_owned(),
        milestone: t.milestone.0.to_owned(),
        milestone_en: t.milestone.1.to_owned(),
        input: t.input.0.to_owned(),
        input_en: t.input.1.to_owned(),
        output: t.output.0.to_owned(),
        output_en: t.output.1.to_owned(),
        checklist: t
            .items
            .iter()
            .map(|i| ItemInput {
                id: None,
                kind: i.kind.code().to_owned(),
                text: i.text.to_owned(),
                text_en: i.text_en.to_owned(),
                required: i.required,
            })
            .collect(),
    }
}

/// Installs the shipped pipelines (once per code, even if retired since)
/// and the lost reasons (when there are none). Safe on every start.
pub(crate) async fn install_templates<C: ConnectionTrait>(conn: &C) -> StoreResult<()> {
    // Start-up bookkeeping (the shipped data's row times), not business time.
    let now = Utc::now();
    for (n, t) in rules::templates().iter().enumerate() {
        let exists = pipeline::Entity::find().filter(pipeline::Column::Code.eq(t.code.as_str())).count(conn).await? > 0;
        if exists {
            continue;
        }
        let p = pipeline::ActiveModel {
            code: Set(Some(t.code.to_owned())),
            name: Set(t.name.0.to_owned()),
            name_en: Set(t.name.1.to_owned()),
            position: Set(n as i32 + 1),
            retired_at: Set(None),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(conn)
        .await?;
        for (i, s) in t.stages.iter().enumerate() {
            let input = template_stage(s);
            let stage = stage_row(p.id, i as i32 + 1, &input, now).insert(conn).await?;
            for (k, item) in input.checklist.iter().enumerate() {
                insert_item(conn, stage.id, k as i32 + 1, item, now).await?;
            }
        }
    }
    if lost_reason::Entity::find().count(conn).await? == 0 {
        for (n, (name, name_en)) in rules::lost_reasons().into_iter().enumerate() {
            lost_reason::ActiveModel {
                name: Set(name),
                name_en: Set(name_en),
                position: Set(n as i32 + 1),
                retired_at: Set(None),
                ..Default::default()
            }
            .insert(conn)
            .await?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- pipelines

pub async fn create_pipeline(
    store: &Store,
    actor: &Actor,
    input: PipelineInput,
    stages: Vec<StageInput>,
) -> StoreResult<PipelineView> {
    let permit = store.permit(actor, Module::Opportunities, Action::Administer)?;
    let mut invalid = check_pipeline_input(&input);
    if stages.is_empty() {
        invalid.push(FieldError::new("stages", "required"));
    }
    for (n, s) in stages.iter().enumerate() {
        for e in check_stage_input(s).0 {
            invalid.push(FieldError { field: format!("stages[{n}].{}", e.field), ..e });
        }
    }
    invalid.into_result()?;
    let txn = permit.begin().await?;
    let now = txn.now();
    let last = pipeline::Entity::find().order_by_desc(pipeline::Column::Position).one(&txn).await?;
    let p = pipeline::ActiveModel {
        code: Set(None),
        name: Set(input.name.trim().to_owned()),
        name_en: Set(input.name_en.trim().to_owned()),
        position: Set(last.map_or(1, |l| l.position + 1)),
        retired_at: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for (i, s) in stages.iter().enumerate() {
        let stage = stage_row(p.id, i as i32 + 1, s, txn.now()).insert(&txn).await?;
        for (k, item) in s.checklist.iter().enumerate() {
            insert_item(&txn, stage.id, k as i32 + 1, item, txn.now()).await?;
        }
    }
    let v = load_one(&txn, p.id).await?;
    txn.commit(AuditEvent::new("pipeline.create", "pipeline", Some(p.id)).after(&v)).await?;
    Ok(v)
}

/// Renames a pipeline, or retires (`retired = Some(true)`) or revives it.
/// Retiring is refused while it holds open opportunities.
pub async fn update_pipeline(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: i64,
    input: PipelineInput,
    retired: Option<bool>,
) -> StoreResult<PipelineView> {
    let permit = store.permit(actor, Module::Opportunities, Action::Administer)?;
    check_pipeline_input(&input).into_result()?;
    let txn = permit.begin().await?;
    let before = load_one(&txn, id).await?;
    let retire = retired.unwrap_or(before.retired);
    if retire && !before.retired {
        let open = open_count(&txn, opportunity::Column::PipelineId, id).await?;
        if open > 0 {
            return Err(Invalid(vec![FieldError::new("retired", "pipeline_has_open").with("count", open)]).into());
        }
    }
    let now = txn.now();
    txn.update::<pipeline::Entity>(id, version)
        .set(pipeline::Column::Name, Expr::value(input.name.trim()))
        .set(pipeline::Column::NameEn, Expr::value(input.name_en.trim()))
        .set(pipeline::Column::RetiredAt, Expr::value(if retire { Some(now) } else { None }))
        .exec_without_reading()
        .await?;
    let after = load_one(&txn, id).await?;
    txn.commit(AuditEvent::new("pipeline.update", "pipeline", Some(id)).before(&before).after(&after)).await?;
    Ok(after)
}

async fn open_count<C: ConnectionTrait>(conn: &C, column: opportunity::Column, id: i64) -> StoreResult<u64> {
    Ok(opportunity::Entity::find()
        .filter(column.eq(id))
        .filter(opportunity::Column::Status.eq(OpportunityStatus::Open.code()))
        .filter(opportunity::Column::DeletedAt.is_null())
        .count(conn)
        .await?)
}

// ---------------------------------------------------------------- stages

/// Replaces a stage's checklist: listed items with an id are updated in
/// place (their ticks stay), new ones are added, the rest retired.
async fn save_checklist<C: ConnectionTrait>(
    conn: &C,
    stage_id: i64,
    items: &[ItemInput],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let existing: Vec<i64> = stage_item::Entity::find()
        .filter(stage_item::Column::StageId.eq(stage_id))
        .filter(stage_item::Column::RetiredAt.is_null())
        .all(conn)
        .await?
        .into_iter()
        .map(|i| i.id)
        .collect();
    for (n, item) in items.iter().enumerate() {
        let position = n as i32 + 1;
        match item.id {
            Some(id) if existing.contains(&id) => {
                stage_item::Entity::update_many()
                    .col_expr(stage_item::Column::Position, Expr::value(position))
                    .col_expr(
                        stage_item::Column::Kind,
                        Expr::value(ItemKind::parse(&item.kind).unwrap_or(ItemKind::Task).code()),
                    )
                    .col_expr(stage_item::Column::Text, Expr::value(item.text.trim()))
                    .col_expr(stage_item::Column::TextEn, Expr::value(item.text_en.trim()))
                    .col_expr(stage_item::Column::Required, Expr::value(item.required))
                    .filter(stage_item::Column::Id.eq(id))
                    .exec(conn)
                    .await?;
            }
            Some(_) => return Err(Invalid::one(&format!("checklist[{n}].id"), "unknown_reference").into()),
            None => insert_item(conn, stage_id, position, item, now).await?,
        }
    }
    let kept: Vec<i64> = items.iter().filter_map(|i| i.id).collect();
    let gone: Vec<i64> = existing.into_iter().filter(|id| !kept.contains(id)).collect();
    if !gone.is_empty() {
        stage_item::Entity::update_many()
            .col_expr(stage_item::Column::RetiredAt, Expr::value(Some(now)))
            .filter(stage_item::Column::Id.is_in(gone))
            .exec(conn)
            .await?;
    }
    Ok(())
}

/// Adds a stage at the end of a pipeline (or at `position`, moving the
/// later ones down).
pub async fn create_stage(
    store: &Store,
    actor: &Actor,
    pipeline_id: i64,
    position: Option<i32>,
    input: StageInput,
) -> StoreResult<PipelineView> {
    let permit = store.permit(actor, Module::Opportunities, Action::Administer)?;
    check_stage_input(&input).into_result()?;
    let txn = permit.begin().await?;
    let before = load_one(&txn, pipeline_id).await?;
    let last = before.stages.iter().map(|s| s.position).max().unwrap_or(0);
    let position = position.unwrap_or(last + 1).clamp(1, last + 1);
    if position <= last {
        pipeline_stage::Entity::update_many()
            .col_expr(pipeline_stage::Column::Position, Expr::col(pipeline_stage::Column::Position).add(1))
            .filter(pipeline_stage::Column::PipelineId.eq(pipeline_id))
            .filter(pipeline_stage::Column::Position.gte(position))
            .exec(&txn)
            .await?;
    }
    let stage = stage_row(pipeline_id, position, &input, txn.now()).insert(&txn).await?;
    save_checklist(&txn, stage.id, &input.checklist, txn.now()).await?;
    let after = load_one(&txn, pipeline_id).await?;
    let snapshot = after.stage(stage.id).and_then(audit::snapshot);
    txn.commit(AuditEvent::new("pipeline.stage_create", "pipeline_stage", Some(stage.id)).after_json(snapshot)).await?;
    Ok(after)
}

async fn find_stage<C: ConnectionTrait>(conn: &C, id: i64) -> StoreResult<pipeline_stage::Model> {
    pipeline_stage::Entity::find_by_id(id).one(conn).await?.ok_or(StoreError::NotFound)
}

/// Replaces a stage's fields and checklist (`version` must be current).
/// A changed probability applies to the open opportunities in the stage
/// that do not override it.
pub async fn update_stage(
    store: &Store,
    actor: &Actor,
    stage_id: i64,
    version: i64,
    input: StageInput,
) -> StoreResult<PipelineView> {
    let permit = store.permit(actor, Module::Opportunities, Action::Administer)?;
    check_stage_input(&input).into_result()?;
    let txn = permit.begin().await?;
    let before = find_stage(&txn, stage_id).await?;
    let pipeline_before = load_one(&txn, before.pipeline_id).await?;
    txn.update::<pipeline_stage::Entity>(stage_id, version)
        .set(pipeline_stage::Column::Code, Expr::value(input.code.trim()))
        .set(pipeline_stage::Column::Name, Expr::value(input.name.trim()))
        .set(pipeline_stage::Column::NameEn, Expr::value(input.name_en.trim()))
        .set(pipeline_stage::Column::Probability, Expr::value(input.probability))
        .set(pipeline_stage::Column::ExpectedDays, Expr::value(input.expected_days))
        .set(pipeline_stage::Column::SuccessCriteria, Expr::value(input.success_criteria.trim()))
        .set(pipeline_stage::Column::SuccessCriteriaEn, Expr::value(input.success_criteria_en.trim()))
        .set(pipeline_stage::Column::Milestone, Expr::value(input.milestone.trim()))
        .set(pipeline_stage::Column::MilestoneEn, Expr::value(input.milestone_en.trim()))
        .set(pipeline_stage::Column::Input, Expr::value(input.input.trim()))
        .set(pipeline_stage::Column::InputEn, Expr::value(input.input_en.trim()))
        .set(pipeline_stage::Column::Output, Expr::value(input.output.trim()))
        .set(pipeline_stage::Column::OutputEn, Expr::value(input.output_en.trim()))
        .exec_without_reading()
        .await?;
    save_checklist(&txn, stage_id, &input.checklist, txn.now()).await?;
    if before.probability != input.probability {
        opportunity::Entity::update_many()
            .col_expr(opportunity::Column::Probability, Expr::value(input.probability))
            .filter(opportunity::Column::StageId.eq(stage_id))
            .filter(opportunity::Column::Status.eq(OpportunityStatus::Open.code()))
            .filter(opportunity::Column::ProbabilityReason.is_null())
            .exec(&txn)
            .await?;
    }
    let after = load_one(&txn, before.pipeline_id).await?;
    let event = AuditEvent::new("pipeline.stage_update", "pipeline_stage", Some(stage_id))
        .before_json(pipeline_before.stage(stage_id).and_then(audit::snapshot))
        .after_json(after.stage(stage_id).and_then(audit::snapshot));
    txn.commit(event).await?;
    Ok(after)
}

/// Puts a pipeline's stages in the given order (every stage id once).
pub async fn reorder_stages(
    store: &Store,
    actor: &Actor,
    pipeline_id: i64,
    order: &[i64],
) -> StoreResult<PipelineView> {
    let permit = store.permit(actor, Module::Opportunities, Action::Administer)?;
    let txn = permit.begin().await?;
    let before = load_one(&txn, pipeline_id).await?;
    let mut known: Vec<i64> = before.stages.iter().map(|s| s.id).collect();
    let mut given = order.to_vec();
    known.sort_unstable();
    given.sort_unstable();
    if known != given {
        return Err(Invalid::one("order", "stage_order_mismatch").into());
    }
    for (n, id) in order.iter().enumerate() {
        txn.update_all::<pipeline_stage::Entity>(pipeline_stage::Column::Id.eq(*id))
            .set(pipeline_stage::Column::Position, Expr::value(n as i32 + 1))
            .exec()
            .await?;
    }
    let after = load_one(&txn, pipeline_id).await?;
    let ids = |p: &PipelineView| serde_json::json!(p.stages.iter().map(|s| s.id).collect::<Vec<_>>());
    if ids(&before) != ids(&after) {
        // "Reached a later stage" follows the order: count the pipeline again.
        txn.funnel_rebuild(Some(pipeline_id)).await?;
    }
    let event = AuditEvent::new("pipeline.reorder", "pipeline", Some(pipeline_id))
        .before_json(Some(ids(&before)))
        .after_json(Some(ids(&after)));
    txn.commit(event).await?;
    Ok(after)
}

/// Retires a stage (`retired = true`) or brings it back. Refused while
/// open opportunities sit in it, saying how many.
pub async fn set_stage_retired(
    store: &Store,
    actor: &Actor,
    stage_id: i64,
    retired: bool,
) -> StoreResult<PipelineView> {
    let permit = store.permit(actor, Module::Opportunities, Action::Administer)?;
    let txn = permit.begin().await?;
    let before = find_stage(&txn, stage_id).await?;
    if retired {
        let open = open_count(&txn, opportunity::Column::StageId, stage_id).await?;
        if open > 0 {
            return Err(Invalid(vec![FieldError::new("stage_id", "stage_has_open").with("count", open)]).into());
        }
        let pipeline = load_one(&txn, before.pipeline_id).await?;
        if before.retired_at.is_none() && pipeline.active_stages().count() <= 1 {
            return Err(Invalid::one("stage_id", "last_stage").into());
        }
    }
    txn.update::<pipeline_stage::Entity>(stage_id, before.version)
        .set(pipeline_stage::Column::RetiredAt, Expr::value(if retired { Some(txn.now()) } else { None }))
        .exec_without_reading()
        .await?;
    let action = if retired { "pipeline.stage_retire" } else { "pipeline.stage_restore" };
    let after = load_one(&txn, before.pipeline_id).await?;
    txn.commit(AuditEvent::new(action, "pipeline_stage", Some(stage_id))).await?;
    Ok(after)
}

// ---------------------------------------------------------------- lost reasons

fn reason_view(m: lost_reason::Model) -> LostReasonView {
    LostReasonView { id: m.id, name: m.name, name_en: m.name_en, position: m.position, retired: m.retired_at.is_some() }
}

pub async fn list_lost_reasons(
    store: &Store,
    actor: &Actor,
    include_retired: bool,
) -> StoreResult<Vec<LostReasonView>> {
    actor.require(Module::Opportunities, Action::View)?;
    let mut q = lost_reason::Entity::find().order_by_asc(lost_reason::Column::Position);
    if !include_retired {
        q = q.filter(lost_reason::Column::RetiredAt.is_null());
    }
    Ok(q.all(store.reader()).await?.into_iter().map(reason_view).collect())
}

/// Adds a lost reason (`id = None`) or renames / retires one.
pub async fn save_lost_reason(
    store: &Store,
    actor: &Actor,
    id: Option<i64>,
    name: &str,
    name_en: &str,
    retired: bool,
) -> StoreResult<LostReasonView> {
    let permit = store.permit(actor, Module::Opportunities, Action::Administer)?;
    let mut invalid = Invalid::new();
    invalid.text("name", name, rules::NAME_MAX);
    invalid.optional_text("name_en", name_en, rules::NAME_MAX);
    invalid.into_result()?;
    let txn = permit.begin().await?;
    let m = match id {
        None => {
            let last = lost_reason::Entity::find().order_by_desc(lost_reason::Column::Position).one(&txn).await?;
            lost_reason::ActiveModel {
                name: Set(name.trim().to_owned()),
                name_en: Set(name_en.trim().to_owned()),
                position: Set(last.map_or(1, |l| l.position + 1)),
                retired_at: Set(None),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
        Some(id) => {
            let before = lost_reason::Entity::find_by_id(id).one(&txn).await?.ok_or(StoreError::NotFound)?;
            let mut m: lost_reason::ActiveModel = before.clone().into();
            m.name = Set(name.trim().to_owned());
            m.name_en = Set(name_en.trim().to_owned());
            m.retired_at = Set(if retired { before.retired_at.or(Some(txn.now())) } else { None });
            m.update(&txn).await?
        }
    };
    let v = reason_view(m);
    txn.commit(AuditEvent::new("pipeline.lost_reason", "lost_reason", Some(v.id)).after(&v)).await?;
    Ok(v)
}
