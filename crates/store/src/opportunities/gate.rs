//! The checklist and the stage gate: ticking items, moving, winning, losing and reopening.

use super::*;

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
        return full_view(&txn, m, txn.now()).await;
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
    let v = full_view(&txn, m, txn.now()).await?;
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
        return full_view(&txn, m, txn.now()).await;
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
    stage_change(&txn, actor, id, pipeline.stage(m.stage_id), target, overridden.clone()).await?;
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
    let closed_on = deal_rules::close_date(now, &crate::settings::current(&txn).await?);
    let funnel = txn.funnel_begin(&[id]).await?;
    txn.update::<opportunity::Entity>(id, m.version)
        .set(opportunity::Column::StageId, Expr::value(last.id))
        .set(opportunity::Column::Status, Expr::value(OpportunityStatus::Won.code()))
        .set(opportunity::Column::Probability, Expr::value(100))
        .set(opportunity::Column::ProbabilityReason, Expr::value(Option::<String>::None))
        .set(opportunity::Column::ClosedAt, Expr::value(Some(now)))
        .set(opportunity::Column::ExpectedCloseDate, Expr::value(Some(closed_on)))
        .set(opportunity::Column::LostReasonId, Expr::value(Option::<i64>::None))
        .set(opportunity::Column::LostNote, Expr::value(Option::<String>::None))
        .exec_without_reading()
        .await?;
    record_close_date(&txn, actor, &m, closed_on).await?;
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
    let closed_on = deal_rules::close_date(now, &crate::settings::current(&txn).await?);
    let funnel = txn.funnel_begin(&[id]).await?;
    txn.update::<opportunity::Entity>(id, m.version)
        .set(opportunity::Column::Status, Expr::value(OpportunityStatus::Lost.code()))
        .set(opportunity::Column::ClosedAt, Expr::value(Some(now)))
        .set(opportunity::Column::ExpectedCloseDate, Expr::value(Some(closed_on)))
        .set(opportunity::Column::LostReasonId, Expr::value(reason_id))
        .set(opportunity::Column::LostNote, Expr::value(note.clone()))
        .exec_without_reading()
        .await?;
    record_close_date(&txn, actor, &m, closed_on).await?;
    leave_stage(&txn, id, now).await?;
    txn.funnel_finish(funnel).await?;
    change(&txn, actor, id, "status", Some(m.status.clone()), Some(OpportunityStatus::Lost.code().to_owned()), note)
        .await?;
    let v = reread(&txn, id).await?;
    let detail = serde_json::json!({ "lost_reason_id": reason_id });
    txn.commit(AuditEvent::new("opportunity.lose", "opportunity", Some(id)).detail(detail)).await?;
    Ok(v)
}

/// A won or lost deal's close date becomes the day it closed; the
/// expected date it replaces stays in the history.
async fn record_close_date(
    unit: &UnitOfWork<'_>,
    actor: &Actor,
    m: &opportunity::Model,
    closed_on: NaiveDate,
) -> StoreResult<()> {
    if m.expected_close_date == Some(closed_on) {
        return Ok(());
    }
    let text = |d: Option<NaiveDate>| d.map(|d| d.to_string());
    change(unit, actor, m.id, "expected_close_date", text(m.expected_close_date), text(Some(closed_on)), None).await
}

/// Opens a won or lost opportunity again, in the stage it ended in.
pub async fn reopen(store: &Store, actor: &Actor, id: i64, version: Option<i64>) -> StoreResult<OpportunityView> {
    let permit = store.permit(actor, Module::Opportunities, Action::Edit)?;
    let txn = permit.begin().await?;
    let m = find_changeable(&txn, actor, id, false).await?;
    check_version(&m, version)?;
    if m.status == OpportunityStatus::Open.code() {
        return full_view(&txn, m, txn.now()).await;
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
