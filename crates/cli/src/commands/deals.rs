//! Opportunities with a believable past, for `demo` and `gen`: each one
//! walks its pipeline stage by stage from its creation date — staying
//! about the stage's expected days, sometimes skipping one, often lost on
//! the way, won when it reaches the last stage — and is written in
//! batches with its stage stays, checklist ticks and history, exactly as
//! the stage gate would have left them.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::Rng;
use salesflow_domain::pipelines::OpportunityStatus;
use salesflow_store::entity::{
    lost_reason, opportunity, opportunity_change, opportunity_check, opportunity_contact, opportunity_stage,
};
use salesflow_store::pipelines::{self, PipelineView, StageView};
use salesflow_store::search::{self, Kind};
use salesflow_store::{Actor, Store};
use sea_orm::{ConnectionTrait, EntityTrait, QueryFilter, Set};

/// What a generated deal starts from.
pub struct Seed {
    pub name: String,
    pub customer_id: i64,
    pub owner_id: i64,
    /// Minor units.
    pub amount: i64,
    pub created_at: DateTime<Utc>,
    /// Index into the planner's pipelines.
    pub pipeline: usize,
    /// A contact of the customer taking part, with the role in the deal.
    pub contact: Option<(i64, &'static str)>,
    pub source: Option<String>,
}

pub struct Planner {
    pub pipelines: Vec<PipelineView>,
    reasons: Vec<i64>,
}

/// One stay in a stage: (stage, entered, left, passed over).
type Stay = (i64, DateTime<Utc>, Option<DateTime<Utc>>, bool);

struct Path {
    stays: Vec<Stay>,
    status: OpportunityStatus,
    closed_at: Option<DateTime<Utc>>,
    /// Items ticked, with when.
    ticks: Vec<(i64, DateTime<Utc>)>,
    lost_reason: Option<i64>,
}

/// Share of deals lost when leaving a stage, by how far along it is (0 = first).
fn lose_chance(index: usize, stages: usize) -> f64 {
    let progress = index as f64 / stages.max(1) as f64;
    0.22 - 0.18 * progress
}

impl Planner {
    pub async fn load(store: &Store) -> anyhow::Result<Planner> {
        let pipelines = pipelines::list_pipelines(store, &Actor::system(), false).await?;
        anyhow::ensure!(!pipelines.is_empty(), "no pipeline configured");
        let reasons = lost_reason::Entity::find()
            .filter(sea_orm::ColumnTrait::is_null(&lost_reason::Column::RetiredAt))
            .all(store.reader())
            .await?
            .into_iter()
            .map(|r| r.id)
            .collect();
        Ok(Planner { pipelines, reasons })
    }

    fn walk(&self, rng: &mut impl Rng, seed: &Seed, now: DateTime<Utc>) -> Path {
        let stages: Vec<&StageView> = self.pipelines[seed.pipeline].active_stages().collect();
        let last = stages.len() - 1;
        let mut path = Path {
            stays: Vec::new(),
            status: OpportunityStatus::Open,
            closed_at: None,
            ticks: Vec::new(),
            lost_reason: None,
        };
        let required = |s: &StageView| s.checklist.iter().filter(|i| i.required).map(|i| i.id).collect::<Vec<_>>();
        let (mut i, mut entered) = (0, seed.created_at);
        loop {
            let stage = stages[i];
            if i == last {
                // Reaching the last stage is the win (as `win` records it).
                path.stays.push((stage.id, entered, Some(entered), true));
                path.ticks.extend(required(stage).into_iter().map(|t| (t, entered)));
                path.status = OpportunityStatus::Won;
                path.closed_at = Some(entered);
                return path;
            }
            let days = f64::from(stage.expected_days.unwrap_or(14).max(1)) * rng.random_range(0.3..2.2);
            let left = entered + Duration::minutes((days * 24.0 * 60.0) as i64);
            if left > now {
                path.stays.push((stage.id, entered, None, false));
                // Part of the current stage's work is done already.
                for item in required(stage) {
                    if rng.random_bool(0.5) {
                        path.ticks.push((item, entered + (now - entered) / 2));
                    }
                }
                return path;
            }
            path.stays.push((stage.id, entered, Some(left), false));
            if rng.random_bool(lose_chance(i, stages.len())) {
                path.status = OpportunityStatus::Lost;
                path.closed_at = Some(left);
                if !self.reasons.is_empty() {
                    path.lost_reason = Some(self.reasons[rng.random_range(0..self.reasons.len())]);
                }
                return path;
            }
            path.ticks.extend(required(stage).into_iter().map(|t| (t, left - Duration::hours(2))));
            // Now and then a stage is skipped: it counts as passed through.
            let mut next = i + 1;
            if next < last && rng.random_bool(0.05) {
                path.stays.push((stages[next].id, left, Some(left), true));
                path.ticks.extend(required(stages[next]).into_iter().map(|t| (t, left - Duration::hours(1))));
                next += 1;
            }
            i = next;
            entered = left;
        }
    }

    fn stage(&self, pipeline: usize, id: i64) -> Option<&StageView> {
        self.pipelines[pipeline].stage(id)
    }
}

/// Writes a batch of deals in one transaction; returns their ids.
pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    planner: &Planner,
    rng: &mut impl Rng,
    seeds: &[Seed],
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<i64>> {
    let paths: Vec<Path> = seeds.iter().map(|s| planner.walk(rng, s, now)).collect();
    let today: NaiveDate = now.date_naive();
    let mut rows = Vec::with_capacity(seeds.len());
    for (seed, path) in seeds.iter().zip(&paths) {
        let current =
            path.stays.iter().rev().find(|s| !s.3 || path.status == OpportunityStatus::Won).unwrap_or(&path.stays[0]);
        let stage = planner.stage(seed.pipeline, current.0);
        let probability = match path.status {
            OpportunityStatus::Won => 100,
            _ => stage.map_or(0, |s| s.probability),
        };
        let entered = current.1;
        let last_activity = match path.closed_at {
            Some(closed) => closed,
            None => entered + Duration::minutes(rng.random_range(0..(now - entered).num_minutes().max(1))),
        };
        let close_date = match path.closed_at {
            Some(closed) => closed.date_naive(),
            None => today + Duration::days(rng.random_range(-10..150)),
        };
        rows.push(opportunity::ActiveModel {
            name: Set(seed.name.clone()),
            customer_id: Set(seed.customer_id),
            pipeline_id: Set(planner.pipelines[seed.pipeline].id),
            stage_id: Set(current.0),
            owner_id: Set(seed.owner_id),
            amount: Set(seed.amount),
            currency: Set("CNY".to_owned()),
            expected_close_date: Set(Some(close_date)),
            probability: Set(probability),
            probability_reason: Set(None),
            source: Set(seed.source.clone()),
            campaign: Set(None),
            competitors: Set(String::new()),
            product_lines: Set(String::new()),
            next_step: Set(String::new()),
            notes: Set(String::new()),
            status: Set(path.status.code().to_owned()),
            lost_reason_id: Set(path.lost_reason),
            lost_note: Set(None),
            closed_at: Set(path.closed_at),
            stage_entered_at: Set(entered),
            last_activity_at: Set(last_activity),
            lead_id: Set(None),
            version: Set(1 + path.stays.len() as i64),
            created_at: Set(seed.created_at),
            updated_at: Set(path.closed_at.unwrap_or(last_activity)),
            deleted_at: Set(None),
            ..Default::default()
        });
    }
    let ids = opportunity::Entity::insert_many(rows).exec_with_returning_keys(conn).await?;

    let (mut stays, mut checks, mut changes, mut contacts) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for ((seed, path), id) in seeds.iter().zip(&paths).zip(&ids) {
        // Stage changes hold codes and ids; the reader's language names them.
        let code = |stage: i64| planner.stage(seed.pipeline, stage).map(|s| s.code.clone());
        for (n, (stage, entered, left, passed)) in path.stays.iter().enumerate() {
            stays.push(opportunity_stage::ActiveModel {
                opportunity_id: Set(*id),
                pipeline_id: Set(planner.pipelines[seed.pipeline].id),
                stage_id: Set(*stage),
                owner_id: Set(seed.owner_id),
                amount: Set(seed.amount),
                entered_at: Set(*entered),
                left_at: Set(*left),
                entered_by: Set(Some(seed.owner_id)),
                passed: Set(*passed),
                override_reason: Set(None),
                ..Default::default()
            });
            if n > 0 {
                let from = path.stays[n - 1].0;
                let mut moved = change(*id, "stage", code(from), code(*stage), seed.owner_id, *entered);
                moved.from_stage_id = Set(Some(from));
                moved.to_stage_id = Set(Some(*stage));
                changes.push(moved);
            }
        }
        if let Some(closed) = path.closed_at {
            changes.push(change(
                *id,
                "status",
                Some("open".into()),
                Some(path.status.code().into()),
                seed.owner_id,
                closed,
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (item, at) in &path.ticks {
            if seen.insert(*item) {
                checks.push(opportunity_check::ActiveModel {
                    opportunity_id: Set(*id),
                    item_id: Set(*item),
                    done_by: Set(Some(seed.owner_id)),
                    done_at: Set(*at),
                });
            }
        }
        if let Some((contact, role)) = seed.contact {
            contacts.push(opportunity_contact::ActiveModel {
                opportunity_id: Set(*id),
                contact_id: Set(contact),
                role: Set(role.to_owned()),
            });
        }
    }
    for chunk in stays.chunks(2000) {
        opportunity_stage::Entity::insert_many(chunk.to_vec()).exec(conn).await?;
    }
    for chunk in checks.chunks(5000) {
        opportunity_check::Entity::insert_many(chunk.to_vec()).exec(conn).await?;
    }
    for chunk in changes.chunks(2000) {
        opportunity_change::Entity::insert_many(chunk.to_vec()).exec(conn).await?;
    }
    if !contacts.is_empty() {
        opportunity_contact::Entity::insert_many(contacts).exec(conn).await?;
    }
    let named: Vec<(i64, String)> = ids.iter().copied().zip(seeds.iter().map(|s| s.name.clone())).collect();
    search::index_new(conn, Kind::Opportunity, &named).await?;
    // The funnel summary follows every write of stays, these included.
    salesflow_store::reports::rollup::add_new(conn, &ids).await?;
    Ok(ids)
}

fn change(
    id: i64,
    field: &str,
    from: Option<String>,
    to: Option<String>,
    user: i64,
    at: DateTime<Utc>,
) -> opportunity_change::ActiveModel {
    opportunity_change::ActiveModel {
        opportunity_id: Set(id),
        field: Set(field.to_owned()),
        from_value: Set(from),
        to_value: Set(to),
        reason: Set(None),
        user_id: Set(Some(user)),
        at: Set(at),
        ..Default::default()
    }
}
