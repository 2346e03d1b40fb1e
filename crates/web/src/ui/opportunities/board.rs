//! The kanban board: a column per stage, more cards on demand, drag and drop.

use super::*;

/// Cards a column shows at first and per "load more".
pub(super) const CARDS_PER_PAGE: u64 = 20;

#[derive(Debug, Deserialize, Default, Clone)]
pub(super) struct BoardQuery {
    pub(super) pipeline_id: Option<String>,
    pub(super) owner_id: Option<String>,
    pub(super) department_id: Option<String>,
    pub(super) close_from: Option<String>,
    pub(super) close_to: Option<String>,
    /// `load more` of one column.
    pub(super) stage_id: Option<String>,
    pub(super) cursor: Option<String>,
}

impl BoardQuery {
    pub(super) fn filter(&self) -> OpportunityFilter {
        OpportunityFilter {
            owner_id: parse_id(&self.owner_id),
            department_id: parse_id(&self.department_id),
            close_from: parse_date(&self.close_from),
            close_to: parse_date(&self.close_to),
            ..Default::default()
        }
    }

    /// The board's filters (and pipeline) as a query string.
    pub(super) fn pairs(&self, pipeline_id: i64) -> String {
        let pipeline = pipeline_id.to_string();
        crate::ui::query_string([
            ("pipeline_id", Some(pipeline.as_str())),
            ("owner_id", self.owner_id.as_deref()),
            ("department_id", self.department_id.as_deref()),
            ("close_from", self.close_from.as_deref()),
            ("close_to", self.close_to.as_deref()),
        ])
    }

    pub(super) fn is_id(&self, value: &Option<String>, id: &i64) -> bool {
        value.as_deref().unwrap_or("") == id.to_string()
    }

    pub(super) fn value<'a>(&self, value: &'a Option<String>) -> &'a str {
        value.as_deref().unwrap_or("")
    }
}

/// A column header's figures.
#[derive(Template)]
#[template(path = "opportunities/kanban_head.html")]
pub(super) struct ColumnHead {
    pub(super) ctx: PageCtx,
    pub(super) stage_id: i64,
    pub(super) label: String,
    pub(super) probability: i32,
    pub(super) count: i64,
    pub(super) amount: String,
    pub(super) weighted: String,
}

/// A column's cards (and the button for the next ones).
#[derive(Template)]
#[template(path = "opportunities/kanban_cards.html")]
pub(super) struct Cards {
    pub(super) ctx: PageCtx,
    pub(super) stage_id: i64,
    pub(super) cards: Vec<OpportunityView>,
    /// Every active stage, for the cards' move menu.
    pub(super) stages: Vec<(i64, String)>,
    pub(super) next_url: Option<String>,
    /// The board as it is now, to come back to after a move.
    pub(super) back: String,
    pub(super) can_move: bool,
    /// Render the "load more" box as an out-of-band swap (htmx).
    pub(super) oob: bool,
}

pub(super) struct Column {
    pub(super) head: ColumnHead,
    pub(super) cards: Cards,
}

#[derive(Template)]
#[template(path = "opportunities/kanban.html")]
pub(super) struct BoardPage {
    pub(super) ctx: PageCtx,
    pub(super) query: BoardQuery,
    pub(super) pipelines: Vec<PipelineView>,
    pub(super) pipeline_id: i64,
    pub(super) columns: Vec<Column>,
    pub(super) people: Vec<(i64, String)>,
    pub(super) departments: Vec<(i64, String)>,
    pub(super) move_url: String,
    pub(super) can_move: bool,
    pub(super) can_approve: bool,
    pub(super) can_create: bool,
}

pub(super) fn cards_url(query: &BoardQuery, pipeline_id: i64, stage_id: i64, cursor: &str) -> String {
    format!("/board/cards?{}&stage_id={stage_id}&cursor={cursor}", query.pairs(pipeline_id))
}

pub(super) fn heads(ctx: &PageCtx, columns: &[store::KanbanColumn]) -> Vec<ColumnHead> {
    columns
        .iter()
        .map(|c| ColumnHead {
            ctx: ctx.clone(),
            stage_id: c.stage.id,
            label: c.stage.label(&ctx.locale),
            probability: c.stage.probability,
            count: c.count,
            // HTML: short with the exact amount on hover when the setting asks.
            amount: ctx.money(&c.amount, ""),
            weighted: ctx.money(&c.weighted_amount, ""),
        })
        .collect()
}

/// The pipeline the board shows: the chosen one, or the first active one.
pub(super) async fn board_pipelines(state: &AppState, actor: &Actor) -> Result<Vec<PipelineView>, StoreError> {
    let all = pipelines::list_pipelines(&state.store, actor, false).await?;
    if all.is_empty() {
        return Err(StoreError::NotFound);
    }
    Ok(all)
}

pub(super) async fn board_page(request: Page, Query(query): Query<BoardQuery>) -> PageResult {
    let actor = request.actor();
    let all = board_pipelines(&request.state, actor).await?;
    let chosen = parse_id(&query.pipeline_id);
    let pipeline = all.iter().find(|p| Some(p.id) == chosen).unwrap_or(&all[0]);
    let filter = query.filter();
    let columns = match store::kanban(request.store(), actor, pipeline.id, &filter, CARDS_PER_PAGE).await {
        Ok(c) => c,
        Err(StoreError::Invalid(_)) => {
            store::kanban(request.store(), actor, pipeline.id, &OpportunityFilter::default(), CARDS_PER_PAGE).await?
        }
        Err(e) => return Err(e.into()),
    };
    let ctx = request.ctx("/board").await;
    let can_move = actor.can(Module::Opportunities, Action::Edit);
    let stages: Vec<(i64, String)> = pipeline.active_stages().map(|s| (s.id, s.label(request.locale()))).collect();
    let back = format!("/board?{}", query.pairs(pipeline.id));
    let column_heads = heads(&ctx, &columns);
    let columns = columns
        .into_iter()
        .zip(column_heads)
        .map(|(c, head)| Column {
            cards: Cards {
                ctx: ctx.clone(),
                stage_id: c.stage.id,
                next_url: c.cards.next_cursor.as_deref().map(|cur| cards_url(&query, pipeline.id, c.stage.id, cur)),
                cards: c.cards.items,
                stages: stages.clone(),
                back: back.clone(),
                can_move,
                oob: false,
            },
            head,
        })
        .collect();
    let (people, departments) = crate::ui::scope_filters(request.store(), actor).await;
    let page = BoardPage {
        move_url: query.pairs(pipeline.id),
        pipeline_id: pipeline.id,
        ctx,
        query,
        pipelines: all,
        columns,
        people,
        departments,
        can_move,
        can_approve: actor.can(Module::Opportunities, Action::Approve),
        can_create: actor.can(Module::Opportunities, Action::Create),
    };
    Ok(render(&page.ctx, &page))
}

/// More cards of one column (or its first ones again), with the next
/// "load more" box swapped out of band (htmx).
pub(super) async fn board_cards(request: Page, Query(query): Query<BoardQuery>) -> PageResult {
    let actor = request.actor();
    let (Some(pipeline_id), Some(stage_id)) = (parse_id(&query.pipeline_id), parse_id(&query.stage_id)) else {
        return Err(StoreError::NotFound.into());
    };
    let pipeline = pipelines::get_pipeline(request.store(), actor, pipeline_id).await?;
    if pipeline.stage(stage_id).is_none() {
        return Err(StoreError::NotFound.into());
    }
    let req =
        PageRequest { limit: Some(CARDS_PER_PAGE), cursor: query.cursor.clone().filter(|c| !c.is_empty()), sort: None };
    let page = store::kanban_cards(request.store(), actor, stage_id, &query.filter(), &req).await?;
    let ctx = request.ctx("/board").await;
    let fragment = Cards {
        ctx,
        stage_id,
        next_url: page.next_cursor.as_deref().map(|c| cards_url(&query, pipeline_id, stage_id, c)),
        cards: page.items,
        stages: pipeline.active_stages().map(|s| (s.id, s.label(request.locale()))).collect(),
        back: format!("/board?{}", query.pairs(pipeline_id)),
        can_move: actor.can(Module::Opportunities, Action::Edit),
        oob: true,
    };
    Ok(render(&fragment.ctx, &fragment))
}

/// A card dropped on another column: the move under the gate, answered
/// in JSON for assets/kanban.js — the card and every column's figures,
/// or the refusal with the missing items.
pub(super) async fn board_move(
    request: Page,
    Path(id): Path<i64>,
    Query(query): Query<BoardQuery>,
    Form(form): Form<MoveForm>,
) -> PageResult {
    let actor = request.actor();
    let locale = request.meta.locale.as_str();
    let t = |k: &str| i18n::t(locale, k);
    let Ok(stage_id) = form.stage_id.trim().parse::<i64>() else {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(json!({ "message": t("errors.stage_not_in_pipeline") })))
            .into_response());
    };
    let reason = form.override_reason.clone();
    let input = MoveInput { stage_id, version: form.version, override_reason: reason.clone() };
    let moved = match store::move_opportunity(request.store(), actor, id, input).await {
        Ok(o) => o,
        Err(StoreError::Invalid(invalid)) => {
            let body = match gate_refusal(&request.state, locale, actor, &invalid, "move", stage_id, reason).await {
                Some(g) => json!({
                    "gate": true,
                    "message": t("kanban.refused"),
                    "missing": g.missing,
                    "can_override": g.can_override,
                    "reason_error": g.reason_error,
                }),
                None => {
                    let messages: Vec<String> = invalid.0.iter().map(|e| i18n::field_message(locale, e)).collect();
                    json!({ "message": messages.join(" ") })
                }
            };
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response());
        }
        Err(StoreError::Conflict(_)) => {
            return Ok((StatusCode::CONFLICT, Json(json!({ "message": t("kanban.conflict") }))).into_response());
        }
        Err(StoreError::NotFound) => {
            return Ok((StatusCode::NOT_FOUND, Json(json!({ "message": t("errors.not_found_page") }))).into_response());
        }
        Err(StoreError::Forbidden) => {
            return Ok((StatusCode::FORBIDDEN, Json(json!({ "message": t("errors.forbidden_page") }))).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    let pipeline = pipelines::get_pipeline(request.store(), actor, moved.pipeline_id).await?;
    let columns = store::kanban(request.store(), actor, pipeline.id, &query.filter(), 1).await?;
    let ctx = request.ctx("/board").await;
    let mut rendered_heads = Vec::new();
    for head in heads(&ctx, &columns) {
        match head.render() {
            Ok(html) => rendered_heads.push(json!({ "stage_id": head.stage_id, "html": html })),
            Err(e) => {
                tracing::error!(error = %e, "template failed");
                return Ok(StatusCode::INTERNAL_SERVER_ERROR.into_response());
            }
        }
    }
    let card = Cards {
        ctx: ctx.clone(),
        stage_id: moved.stage_id,
        stages: pipeline.active_stages().map(|s| (s.id, s.label(locale))).collect(),
        back: format!("/board?{}", query.pairs(pipeline.id)),
        cards: vec![moved],
        next_url: None,
        can_move: true,
        oob: false,
    };
    let Ok(card_html) = card.render() else {
        return Ok(StatusCode::INTERNAL_SERVER_ERROR.into_response());
    };
    Ok(Json(json!({ "card": card_html, "heads": rendered_heads, "message": t("opportunities.flash.moved") }))
        .into_response())
}
