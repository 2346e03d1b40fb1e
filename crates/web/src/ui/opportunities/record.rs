//! The opportunity page: stage path, checklist, gate, moves, win, loss, reopen.

use salesflow_domain::comments::Subject;

use super::*;

/// One stage on the path, with its checklist as this deal has it.
pub(super) struct StageBlock {
    pub(super) id: i64,
    pub(super) label: String,
    pub(super) probability: i32,
    /// `passed`, `current`, `lost`, `won` or `ahead`.
    pub(super) state: &'static str,
    pub(super) items: Vec<ChecklistEntry>,
    pub(super) done: usize,
    pub(super) success_criteria: String,
    pub(super) milestone: String,
    pub(super) input: String,
    pub(super) output: String,
}

impl StageBlock {
    pub(super) fn is_current(&self) -> bool {
        matches!(self.state, "current" | "lost")
    }
}

pub(super) fn stage_blocks(o: &OpportunityView, pipeline: &PipelineView, locale: &str) -> Vec<StageBlock> {
    let current_pos = pipeline.stage(o.stage_id).map_or(0, |s| s.position);
    pipeline
        .stages
        .iter()
        .filter(|s| !s.retired || s.id == o.stage_id)
        .map(|s| {
            let state = match (OpportunityStatus::parse(&o.status), s.id == o.stage_id) {
                (Some(OpportunityStatus::Won), _) if s.position <= current_pos => "won",
                (Some(OpportunityStatus::Lost), true) => "lost",
                (_, true) => "current",
                _ if s.position < current_pos => "passed",
                _ => "ahead",
            };
            let items: Vec<ChecklistEntry> = o.checklist.iter().filter(|c| c.stage_id == s.id).cloned().collect();
            let loc = |a: &str, b: &str| pipelines::localized(a, b, locale).to_owned();
            StageBlock {
                id: s.id,
                label: s.label(locale),
                probability: s.probability,
                state,
                done: items.iter().filter(|i| i.done).count(),
                items,
                success_criteria: loc(&s.success_criteria, &s.success_criteria_en),
                milestone: loc(&s.milestone, &s.milestone_en),
                input: loc(&s.input, &s.input_en),
                output: loc(&s.output, &s.output_en),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "opportunities/checklist.html")]
pub(super) struct Checklist {
    pub(super) ctx: PageCtx,
    pub(super) id: i64,
    pub(super) stages: Vec<StageBlock>,
    pub(super) can_tick: bool,
    /// The other stage whose section the reader had open when ticking (kept open).
    pub(super) open_stage: Option<i64>,
}

impl Checklist {
    /// Whether another stage's folded section comes back open.
    pub(super) fn is_open(&self, stage_id: &i64) -> bool {
        self.open_stage == Some(*stage_id)
    }

    pub(super) fn text<'a>(&self, item: &'a ChecklistEntry) -> &'a str {
        pipelines::localized(&item.text, &item.text_en, &self.ctx.locale)
    }
}

/// A refused move or win: what is missing and whether the reader may pass anyway.
pub(super) struct GateRefusal {
    /// `move` or `win`.
    pub(super) action: &'static str,
    pub(super) stage_id: i64,
    pub(super) missing: Vec<String>,
    pub(super) can_override: bool,
    /// The override's reason as typed and its error.
    pub(super) reason: String,
    pub(super) reason_error: Option<String>,
}

#[derive(Template)]
#[template(path = "opportunities/show.html")]
pub(super) struct ShowPage {
    pub(super) ctx: PageCtx,
    pub(super) o: OpportunityView,
    pub(super) pipeline_name: String,
    pub(super) checklist: Checklist,
    pub(super) next_stage: Option<(i64, String)>,
    pub(super) move_targets: Vec<(i64, String)>,
    pub(super) history: Vec<HistoryEntry>,
    /// Visits and contact records for this deal, newest first.
    pub(super) activities: Vec<salesflow_store::activities::ActivityView>,
    pub(super) can_log_activity: bool,
    /// Whom to call on the road: the deal's contacts, or the customer's
    /// when the deal names none (with their phones and e-mail).
    pub(super) road_contacts: Vec<salesflow_store::customers::ContactView>,
    /// Tasks about this deal, open ones first by due date.
    pub(super) tasks: Vec<salesflow_store::tasks::TaskView>,
    pub(super) can_add_task: bool,
    /// The orders that name this deal (empty without the orders view right).
    pub(super) orders: Vec<salesflow_store::orders::OrderSummary>,
    /// The deal's quotes (empty without the quotes view right).
    pub(super) quotes: Vec<salesflow_store::quotes::QuoteSummary>,
    pub(super) can_add_quote: bool,
    /// The contracts that name this deal (empty without the contracts view right).
    pub(super) contracts: Vec<salesflow_store::contracts::ContractView>,
    pub(super) can_add_contract: bool,
    pub(super) reasons: Vec<LostReasonView>,
    pub(super) gate: Option<GateRefusal>,
    pub(super) errors: FormErrors,
    pub(super) lose_form: LoseForm,
    pub(super) can_edit: bool,
    pub(super) can_delete: bool,
    /// The files section (empty on a deleted record).
    pub(super) files: String,
    /// The comments section (empty on a deleted deal).
    pub(super) discussion: String,
}

impl ShowPage {
    pub(super) fn badge(&self) -> &'static str {
        status_badge(&self.o.status)
    }

    pub(super) fn open(&self) -> bool {
        is_open(&self.o) && self.o.deleted_at.is_none()
    }

    pub(super) fn won(&self) -> bool {
        OpportunityStatus::parse(&self.o.status) == Some(OpportunityStatus::Won)
    }

    pub(super) fn lost(&self) -> bool {
        OpportunityStatus::parse(&self.o.status) == Some(OpportunityStatus::Lost)
    }

    pub(super) fn current(&self) -> Option<&StageBlock> {
        self.checklist.stages.iter().find(|s| s.is_current() || (s.id == self.o.stage_id))
    }

    pub(super) fn history_value(&self, e: &HistoryEntry, value: &Option<String>) -> String {
        let Some(v) = value else { return "—".to_owned() };
        match e.field.as_str() {
            "status" => self.ctx.label("opportunities.statuses", v),
            "probability" => format!("{v}%"),
            "amount" => self.ctx.money_in(v, &self.o.currency),
            "expected_close_date" => match chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d") {
                Ok(d) => self.ctx.day(&Some(d)),
                Err(_) => v.clone(),
            },
            _ => v.clone(),
        }
    }

    /// A history line as a sentence in the reader's language.
    pub(super) fn history_line(&self, e: &HistoryEntry) -> String {
        let (from, to) = (self.history_value(e, &e.from_value), self.history_value(e, &e.to_value));
        crate::history::deal_change(&self.ctx.locale, &e.field, e.user_name.as_deref(), &from, &to)
    }

    pub(super) fn reason_label<'a>(&self, r: &'a LostReasonView) -> &'a str {
        pipelines::localized(&r.name, &r.name_en, &self.ctx.locale)
    }

    /// A stage's name on the path: its hyphens do not break ("On-site"
    /// stays whole; the name wraps between words only).
    pub(super) fn path_label(&self, label: &str) -> String {
        label.replace('-', "\u{2011}")
    }

    /// The stage "move to stage" offers first: the next one.
    pub(super) fn is_next(&self, id: &i64) -> bool {
        self.next_stage.as_ref().is_some_and(|(next, _)| next == id)
    }

    /// The latest visit or contact record of this deal.
    pub(super) fn last_activity(&self) -> Option<&salesflow_store::activities::ActivityView> {
        self.activities.first()
    }

    pub(super) fn stalled_hint(&self) -> String {
        self.ctx.t("opportunities.stalled_hint")
    }
}

#[derive(Debug, Deserialize, Default, Clone)]
pub(super) struct LoseForm {
    #[serde(default)]
    pub(super) lost_reason_id: String,
    #[serde(default)]
    pub(super) note: String,
    #[serde(default)]
    pub(super) version: i64,
}

pub(super) async fn show_page(
    request: &Page,
    id: i64,
    gate: Option<GateRefusal>,
    errors: FormErrors,
    lose_form: LoseForm,
) -> PageResult {
    let actor = request.actor();
    let o = store::get_opportunity(request.store(), actor, id).await?;
    let pipeline = pipelines::get_pipeline(request.store(), actor, o.pipeline_id).await?;
    let history = store::history(request.store(), actor, id, request.locale()).await.unwrap_or_default();
    let recent = PageRequest { limit: Some(20), ..Default::default() };
    let activities = salesflow_store::activities::list_for_opportunity(request.store(), actor, id, &recent)
        .await
        .map(|p| p.items)
        .unwrap_or_default();
    let task_filter = salesflow_store::tasks::TaskFilter {
        related_kind: Some("opportunity".to_owned()),
        related_id: Some(id),
        ..Default::default()
    };
    let by_due = PageRequest { limit: Some(20), sort: Some("-due_at".to_owned()), ..Default::default() };
    let tasks = salesflow_store::tasks::list_tasks(request.store(), actor, &task_filter, &by_due)
        .await
        .map(|p| p.items)
        .unwrap_or_default();
    let reasons = pipelines::list_lost_reasons(request.store(), actor, false).await.unwrap_or_default();
    let contact_filter = ContactFilter { customer_id: Some(o.customer_id), ..Default::default() };
    let all_contacts = customers::list_contacts(
        request.store(),
        actor,
        &contact_filter,
        &PageRequest { limit: Some(50), ..Default::default() },
    )
    .await
    .map(|p| p.items)
    .unwrap_or_default();
    let linked: Vec<_> =
        all_contacts.iter().filter(|c| o.contacts.iter().any(|d| d.contact_id == c.id)).cloned().collect();
    let road_contacts = if linked.is_empty() { all_contacts } else { linked };
    let locale = request.meta.locale.as_str();
    let current_pos = pipeline.stage(o.stage_id).map_or(0, |s| s.position);
    let next_stage = pipeline.active_stages().find(|s| s.position > current_pos).map(|s| (s.id, s.label(locale)));
    let move_targets =
        pipeline.active_stages().filter(|s| s.id != o.stage_id).map(|s| (s.id, s.label(locale))).collect();
    let ctx = request.ctx("/opportunities").await;
    let can_edit = actor.can(Module::Opportunities, Action::Edit) && o.deleted_at.is_none();
    let checklist = Checklist {
        ctx: ctx.clone(),
        id,
        stages: stage_blocks(&o, &pipeline, locale),
        can_tick: can_edit && is_open(&o),
        open_stage: None,
    };
    let status = if errors.any() || gate.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let files = match o.deleted_at {
        Some(_) => String::new(),
        None => {
            let can_upload =
                crate::ui::attachments::may_upload(request, salesflow_domain::attachments::Holder::Opportunity);
            crate::ui::attachments::Files::load(
                request,
                ctx.clone(),
                salesflow_domain::attachments::Holder::Opportunity,
                id,
                can_upload,
            )
            .await?
            .html()
        }
    };
    let discussion = match o.deleted_at {
        Some(_) => String::new(),
        None => crate::ui::comments::Discussion::load(request, ctx.clone(), Subject::Opportunity, id).await?.html(),
    };
    let page = ShowPage {
        discussion,
        files,
        ctx,
        pipeline_name: pipeline.label(locale).to_owned(),
        checklist,
        next_stage,
        move_targets,
        history,
        activities,
        can_log_activity: actor.can(Module::Customers, Action::Edit) && is_open(&o) && o.deleted_at.is_none(),
        road_contacts,
        tasks,
        can_add_task: actor.can(Module::Customers, Action::Create) && o.deleted_at.is_none(),
        quotes: salesflow_store::quotes::related(
            request.store(),
            actor,
            salesflow_store::quotes::QuoteFilter { opportunity_id: Some(o.id), ..Default::default() },
            10,
        )
        .await?,
        can_add_quote: actor.can(Module::Quotes, Action::Create) && o.deleted_at.is_none(),
        orders: if actor.can(Module::Orders, Action::View) {
            let filter = salesflow_store::orders::OrderFilter { opportunity_id: Some(o.id), ..Default::default() };
            let page = salesflow_store::paging::PageRequest { limit: Some(10), ..Default::default() };
            salesflow_store::orders::list(request.store(), actor, &filter, &page).await?.items
        } else {
            Vec::new()
        },
        contracts: salesflow_store::contracts::for_record(request.store(), actor, None, Some(o.id), 10).await?,
        can_add_contract: actor.can(Module::Contracts, Action::Create) && o.deleted_at.is_none(),
        reasons,
        gate,
        errors,
        lose_form,
        can_edit,
        can_delete: actor.can(Module::Opportunities, Action::Delete) && o.deleted_at.is_none(),
        o,
    };
    Ok((status, render(&page.ctx, &page)).into_response())
}

pub(super) async fn show(request: Page, Path(id): Path<i64>) -> PageResult {
    show_page(&request, id, None, FormErrors::default(), LoseForm::default()).await
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct CheckForm {
    /// `1` ticks, anything else unticks.
    #[serde(default)]
    pub(super) done: String,
    /// The stage whose folded section the tick came from, to keep it open.
    #[serde(default)]
    pub(super) open: Option<i64>,
}

/// Ticks or unticks a checklist item; htmx gets the checklist back.
pub(super) async fn check(
    request: Page,
    Path((id, item_id)): Path<(i64, i64)>,
    Form(form): Form<CheckForm>,
) -> PageResult {
    let actor = request.actor();
    let o = match store::set_check(request.store(), actor, id, item_id, form.done == "1").await {
        Ok(o) => o,
        Err(StoreError::Invalid(_)) => return Ok(redirect_flash(&format!("/opportunities/{id}"), "flash.stale")),
        Err(e) => return Err(e.into()),
    };
    if !request.meta.is_htmx {
        return Ok(redirect_flash(&format!("/opportunities/{id}"), "flash.saved"));
    }
    let pipeline = pipelines::get_pipeline(request.store(), actor, o.pipeline_id).await?;
    let ctx = request.ctx("/opportunities").await;
    let fragment = Checklist {
        ctx,
        id,
        stages: stage_blocks(&o, &pipeline, request.locale()),
        can_tick: true,
        open_stage: form.open,
    };
    Ok(render(&fragment.ctx, &fragment))
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct MoveForm {
    #[serde(default)]
    pub(super) stage_id: String,
    #[serde(default)]
    pub(super) version: Option<i64>,
    #[serde(default)]
    pub(super) override_reason: Option<String>,
    /// Where to go after a successful move (the board).
    #[serde(default)]
    pub(super) back: String,
}

/// The gate's refusal in the reader's words, if that is what the error is.
/// The store names the items in the actor's language; the page names them
/// in the language it is read in.
pub(super) async fn gate_refusal(
    state: &AppState,
    locale: &str,
    actor: &Actor,
    invalid: &Invalid,
    action: &'static str,
    stage_id: i64,
    reason: Option<String>,
) -> Option<GateRefusal> {
    let gate: Vec<&FieldError> = invalid.0.iter().filter(|e| e.code == "gate_item_missing").collect();
    let reason_error = invalid.0.iter().find(|e| e.field == "override_reason").map(|e| i18n::field_message(locale, e));
    if gate.is_empty() && reason_error.is_none() {
        return None;
    }
    let all = pipelines::list_pipelines(&state.store, actor, true).await.unwrap_or_default();
    let missing = gate
        .into_iter()
        .map(|e| {
            let item_id = e.params.iter().find(|(k, _)| k == "item_id").and_then(|(_, v)| v.parse::<i64>().ok());
            let found = all
                .iter()
                .flat_map(|p| p.stages.iter())
                .find_map(|s| s.checklist.iter().find(|i| Some(i.id) == item_id).map(|i| (s.label(locale), i)));
            match found {
                Some((stage, item)) => i18n::field_message(
                    locale,
                    &FieldError::new("checklist", "gate_item_missing")
                        .with("stage", stage)
                        .with("text", pipelines::localized(&item.text, &item.text_en, locale)),
                ),
                None => i18n::field_message(locale, e),
            }
        })
        .collect();
    Some(GateRefusal {
        action,
        stage_id,
        missing,
        can_override: actor.can(Module::Opportunities, Action::Approve),
        reason: reason.unwrap_or_default(),
        reason_error,
    })
}

pub(super) async fn move_stage(request: Page, Path(id): Path<i64>, Form(form): Form<MoveForm>) -> PageResult {
    let actor = request.actor();
    let Ok(stage_id) = form.stage_id.trim().parse::<i64>() else {
        let errors = FormErrors::one(request.locale(), "stage_id", "required");
        return show_page(&request, id, None, errors, LoseForm::default()).await;
    };
    let input = MoveInput { stage_id, version: form.version, override_reason: form.override_reason.clone() };
    Ok(match store::move_opportunity(request.store(), actor, id, input).await {
        Ok(_) => redirect_flash(&back_to(&form.back, &format!("/opportunities/{id}")), "opportunities.flash.moved"),
        Err(StoreError::Invalid(invalid)) => {
            let gate =
                gate_refusal(&request.state, request.locale(), actor, &invalid, "move", stage_id, form.override_reason)
                    .await;
            let errors = if gate.is_some() {
                FormErrors::default()
            } else {
                FormErrors::from_invalid(request.locale(), &invalid)
            };
            show_page(&request, id, gate, errors, LoseForm::default()).await?
        }
        Err(StoreError::Conflict(_)) => redirect_flash(&format!("/opportunities/{id}"), "flash.stale"),
        Err(e) => return Err(e.into()),
    })
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct WinForm {
    #[serde(default)]
    pub(super) version: Option<i64>,
    #[serde(default)]
    pub(super) override_reason: Option<String>,
}

pub(super) async fn win(request: Page, Path(id): Path<i64>, Form(form): Form<WinForm>) -> PageResult {
    let actor = request.actor();
    Ok(match store::win(request.store(), actor, id, form.version, form.override_reason.clone()).await {
        Ok(_) => redirect_flash(&format!("/opportunities/{id}"), "opportunities.flash.won"),
        Err(StoreError::Invalid(invalid)) => {
            let gate =
                gate_refusal(&request.state, request.locale(), actor, &invalid, "win", 0, form.override_reason).await;
            let errors = if gate.is_some() {
                FormErrors::default()
            } else {
                FormErrors::from_invalid(request.locale(), &invalid)
            };
            show_page(&request, id, gate, errors, LoseForm::default()).await?
        }
        Err(StoreError::Conflict(_)) => redirect_flash(&format!("/opportunities/{id}"), "flash.stale"),
        Err(e) => return Err(e.into()),
    })
}

pub(super) async fn lose(request: Page, Path(id): Path<i64>, Form(form): Form<LoseForm>) -> PageResult {
    let reason_id = match crate::ui::opt_id(&form.lost_reason_id) {
        Ok(r) => r,
        Err(_) => {
            let errors = FormErrors::one(request.locale(), "lost_reason_id", "unknown_reference");
            return show_page(&request, id, None, errors, form).await;
        }
    };
    Ok(
        match store::lose(request.store(), request.actor(), id, Some(form.version), reason_id, non_empty(&form.note))
            .await
        {
            Ok(_) => redirect_flash(&format!("/opportunities/{id}"), "opportunities.flash.lost"),
            Err(StoreError::Invalid(invalid)) => {
                let errors = FormErrors::from_invalid(request.locale(), &invalid);
                show_page(&request, id, None, errors, form).await?
            }
            Err(StoreError::Conflict(_)) => redirect_flash(&format!("/opportunities/{id}"), "flash.stale"),
            Err(e) => return Err(e.into()),
        },
    )
}

pub(super) async fn reopen(request: Page, Path(id): Path<i64>, Form(form): Form<WinForm>) -> PageResult {
    Ok(match store::reopen(request.store(), request.actor(), id, form.version).await {
        Ok(_) => redirect_flash(&format!("/opportunities/{id}"), "opportunities.flash.reopened"),
        Err(StoreError::Conflict(_)) => redirect_flash(&format!("/opportunities/{id}"), "flash.stale"),
        Err(e) => return Err(e.into()),
    })
}

pub(super) async fn delete(request: Page, Path(id): Path<i64>) -> PageResult {
    store::set_deleted(request.store(), request.actor(), id, true).await?;
    Ok(redirect_flash("/opportunities", "opportunities.flash.deleted"))
}
