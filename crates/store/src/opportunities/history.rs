//! An opportunity's history: every recorded change, stages named in the reader's language.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use salesflow_domain::access::{Action, Module};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;

use super::find_visible;
use crate::Store;
use crate::entity::{opportunity_change, pipeline_stage};
use crate::error::StoreResult;
use crate::scope::Actor;
use crate::shared::owner_names;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    pub id: i64,
    /// `stage|probability|amount|owner|expected_close_date|status|checklist_done|checklist_undone`.
    pub field: String,
    /// A stage: its code and name in the reader's language (`S2 需求确认`).
    pub from_value: Option<String>,
    pub to_value: Option<String>,
    /// A stage change: the stages left and entered.
    pub from_stage_id: Option<i64>,
    pub to_stage_id: Option<i64>,
    /// A gate override's or probability override's reason, a lost note.
    pub reason: Option<String>,
    pub user_id: Option<i64>,
    pub user_name: Option<String>,
    pub at: DateTime<Utc>,
}

/// Every recorded change of an opportunity, newest first, with stages
/// named in `locale` (the reader's language).
pub async fn history(store: &Store, actor: &Actor, id: i64, locale: &str) -> StoreResult<Vec<HistoryEntry>> {
    actor.require(Module::Opportunities, Action::View)?;
    find_visible(store.reader(), actor, id).await?;
    let rows = opportunity_change::Entity::find()
        .filter(opportunity_change::Column::OpportunityId.eq(id))
        .order_by_desc(opportunity_change::Column::Id)
        .limit(1000)
        .all(store.reader())
        .await?;
    let names = owner_names(store.reader(), rows.iter().filter_map(|r| r.user_id)).await?;
    let stage_ids: Vec<i64> = rows.iter().flat_map(|r| [r.from_stage_id, r.to_stage_id]).flatten().collect();
    let stages: HashMap<i64, String> = if stage_ids.is_empty() {
        HashMap::new()
    } else {
        pipeline_stage::Entity::find()
            .filter(pipeline_stage::Column::Id.is_in(stage_ids))
            .all(store.reader())
            .await?
            .into_iter()
            .map(|s| (s.id, format!("{} {}", s.code, crate::pipelines::localized(&s.name, &s.name_en, locale))))
            .collect()
    };
    // A stage by its id, named now; its stored code if it is gone.
    let stage = |id: Option<i64>, code: Option<String>| id.and_then(|i| stages.get(&i).cloned()).or(code);
    Ok(rows
        .into_iter()
        .map(|r| HistoryEntry {
            user_name: r.user_id.and_then(|u| names.get(&u).cloned()),
            id: r.id,
            from_value: stage(r.from_stage_id, r.from_value),
            to_value: stage(r.to_stage_id, r.to_value),
            from_stage_id: r.from_stage_id,
            to_stage_id: r.to_stage_id,
            field: r.field,
            reason: r.reason,
            user_id: r.user_id,
            at: r.at,
        })
        .collect())
}
