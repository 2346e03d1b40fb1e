//! Opportunity rules: the stage gate (moving forward needs the required
//! checklist items of every stage left; moving back is always allowed),
//! who may override it, what a loss must say, and what a win does to the
//! customer.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};

use crate::pipelines::OpportunityStatus;
use crate::settings::Settings;
use crate::validation::{FieldError, Invalid};

/// The longest reason of an override, a probability or a loss.
pub const REASON_MAX: usize = 500;

/// The probability an opportunity counts with: its override, else its
/// stage's.
pub fn effective_probability(stage_probability: i32, overridden: Option<i32>) -> i32 {
    overridden.unwrap_or(stage_probability)
}

// ---------------------------------------------------------------- weight

/// The weight a status fixes whatever the probability stored: a lost deal
/// weighs 0 and a won one 100; an open deal (`None`) weighs its
/// probability. The store's SQL writes this as a `CASE` on the status
/// (`opportunities::weight_expr`, `weight_sql`), built from this function.
pub fn fixed_weight(status: OpportunityStatus) -> Option<i32> {
    match status {
        OpportunityStatus::Open => None,
        OpportunityStatus::Won => Some(100),
        OpportunityStatus::Lost => Some(0),
    }
}

/// The weight of a deal (percent) in every weighted figure: board columns,
/// home page, forecast, funnel, list totals and the deal's own weighted
/// amount.
pub fn weight(status: OpportunityStatus, probability: i32) -> i32 {
    fixed_weight(status).unwrap_or(probability)
}

// ---------------------------------------------------------------- stage gate

/// A stage as the gate sees it: its place in the pipeline and its
/// required checklist items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateStage {
    pub id: i64,
    pub position: i32,
    /// Retired stages keep their place (opportunities may still sit in
    /// them) but cannot be moved into.
    pub retired: bool,
    pub required_items: Vec<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Stay,
    Back,
    Forward,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateError {
    /// The target stage is not an active stage of this pipeline.
    UnknownStage,
    /// These required items of the stages being left are not done, in
    /// pipeline order.
    Missing(Vec<i64>),
}

fn position_of(stages: &[GateStage], id: i64) -> Option<i32> {
    stages.iter().find(|s| s.id == id).map(|s| s.position)
}

/// The required items not yet done of the stages whose position is in
/// `from..=to`, in pipeline order.
fn missing_between(stages: &[GateStage], from: i32, to: i32, done: &BTreeSet<i64>) -> Vec<i64> {
    let mut ordered: Vec<&GateStage> = stages.iter().filter(|s| s.position >= from && s.position <= to).collect();
    ordered.sort_by_key(|s| s.position);
    ordered.iter().flat_map(|s| s.required_items.iter().copied()).filter(|i| !done.contains(i)).collect()
}

/// Checks a move from stage `from` to stage `to` of one pipeline. Moving
/// forward leaves the current stage and every stage passed over: all
/// their required items must be done. Moving back is always allowed.
pub fn check_move(stages: &[GateStage], from: i64, to: i64, done: &BTreeSet<i64>) -> Result<Direction, GateError> {
    let target = stages.iter().find(|s| s.id == to).ok_or(GateError::UnknownStage)?;
    if target.retired && from != to {
        return Err(GateError::UnknownStage);
    }
    let from_pos = position_of(stages, from).unwrap_or(i32::MIN);
    if from == to {
        return Ok(Direction::Stay);
    }
    if target.position < from_pos {
        return Ok(Direction::Back);
    }
    let missing = missing_between(stages, from_pos, target.position - 1, done);
    if missing.is_empty() { Ok(Direction::Forward) } else { Err(GateError::Missing(missing)) }
}

/// Checks winning from stage `from`: the gate of the current stage and of
/// every later stage up to the last one.
pub fn check_win(stages: &[GateStage], from: i64, done: &BTreeSet<i64>) -> Result<(), GateError> {
    let from_pos = position_of(stages, from).ok_or(GateError::UnknownStage)?;
    let missing = missing_between(stages, from_pos, i32::MAX, done);
    if missing.is_empty() { Ok(()) } else { Err(GateError::Missing(missing)) }
}

/// The stage ids passed over when moving forward from `from` to `to`
/// (exclusive both ends), in order: the history records them as passed
/// through so that the funnel counts them as entered.
pub fn passed_over(stages: &[GateStage], from: i64, to: i64) -> Vec<i64> {
    let (Some(a), Some(b)) = (position_of(stages, from), position_of(stages, to)) else { return Vec::new() };
    let mut between: Vec<&GateStage> =
        stages.iter().filter(|s| s.position > a && s.position < b && !s.retired).collect();
    between.sort_by_key(|s| s.position);
    between.iter().map(|s| s.id).collect()
}

// ---------------------------------------------------------------- override

/// Why a gate's refusal stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverrideRefused {
    /// No override asked for: the gate's own refusal (the missing items).
    NotAsked,
    /// Asked for, but not allowed or not said well enough.
    Invalid(Invalid),
}

/// Whether a refused move or win may pass anyway: only an approver may
/// override the gate, and must say why (at most [`REASON_MAX`]
/// characters). Returns the trimmed reason.
pub fn check_override(reason: Option<&str>, may_approve: bool) -> Result<String, OverrideRefused> {
    let Some(reason) = reason else { return Err(OverrideRefused::NotAsked) };
    let reason = reason.trim();
    let refuse = |e: FieldError| Err(OverrideRefused::Invalid(Invalid(vec![e])));
    if reason.is_empty() {
        return refuse(FieldError::new("override_reason", "required"));
    }
    if reason.chars().count() > REASON_MAX {
        return refuse(FieldError::new("override_reason", "too_long").with("max", REASON_MAX));
    }
    if !may_approve {
        return refuse(FieldError::new("override_reason", "override_not_allowed"));
    }
    Ok(reason.to_owned())
}

// ---------------------------------------------------------------- closing

/// A loss says why: a reason from the configured list (`reason_known`:
/// whether the given one exists and is not retired), a note, or both; a
/// note has at most [`REASON_MAX`] characters.
pub fn check_loss(reason_known: Option<bool>, note: Option<&str>) -> Invalid {
    let mut invalid = Invalid::new();
    match reason_known {
        Some(false) => invalid.push(FieldError::new("lost_reason_id", "unknown_reference")),
        Some(true) => {}
        None if note.is_none() => invalid.push(FieldError::new("lost_reason_id", "required")),
        None => {}
    }
    if let Some(note) = note {
        invalid.optional_text("reason", note, REASON_MAX);
    }
    invalid
}

/// A win closes the customer (成交): from its first won deal on, the
/// customer is a closed customer. Later wins keep the first date.
pub fn customer_closed_at(closed_before: Option<DateTime<Utc>>, won_at: DateTime<Utc>) -> DateTime<Utc> {
    closed_before.unwrap_or(won_at)
}

/// A won or lost deal's close date: the day it was won or lost, in the
/// company's time zone (the expected date it replaces stays in the
/// deal's history).
pub fn close_date(closed_at: DateTime<Utc>, settings: &Settings) -> NaiveDate {
    crate::time::local_day(settings, closed_at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_deal_weighs_nothing_and_a_won_one_all() {
        assert_eq!(weight(OpportunityStatus::Open, 40), 40);
        assert_eq!(weight(OpportunityStatus::Lost, 40), 0);
        assert_eq!(weight(OpportunityStatus::Won, 40), 100);
    }

    #[test]
    fn the_close_date_is_the_company_day_of_closing() {
        let settings = Settings { time_zone: "Asia/Shanghai".into(), ..Settings::default() };
        // 17:30 UTC on the 5th is 01:30 on the 6th in Shanghai.
        let at: DateTime<Utc> = "2026-01-05T17:30:00Z".parse().unwrap();
        assert_eq!(close_date(at, &settings), NaiveDate::from_ymd_opt(2026, 1, 6).unwrap());
    }

    fn stages() -> Vec<GateStage> {
        // G(1) → F(2) → E(3) → S(4); item ids are stage*10 + n.
        vec![
            GateStage { id: 1, position: 1, retired: false, required_items: vec![11, 12] },
            GateStage { id: 2, position: 2, retired: false, required_items: vec![21] },
            GateStage { id: 3, position: 3, retired: false, required_items: vec![] },
            GateStage { id: 4, position: 4, retired: false, required_items: vec![41] },
            GateStage { id: 5, position: 5, retired: true, required_items: vec![51] },
        ]
    }

    fn done(ids: &[i64]) -> BTreeSet<i64> {
        ids.iter().copied().collect()
    }

    #[test]
    fn moving_forward_needs_the_required_items_of_every_stage_left() {
        let s = stages();
        assert_eq!(check_move(&s, 1, 2, &done(&[11])), Err(GateError::Missing(vec![12])));
        assert_eq!(check_move(&s, 1, 2, &done(&[11, 12])), Ok(Direction::Forward));
        // Skipping F leaves G and F: both gates apply, in pipeline order.
        assert_eq!(check_move(&s, 1, 3, &done(&[])), Err(GateError::Missing(vec![11, 12, 21])));
        assert_eq!(check_move(&s, 1, 3, &done(&[11, 12, 21])), Ok(Direction::Forward));
        // A stage without required items lets anything through.
        assert_eq!(check_move(&s, 3, 4, &done(&[])), Ok(Direction::Forward));
    }

    #[test]
    fn moving_back_and_staying_are_always_allowed() {
        let s = stages();
        assert_eq!(check_move(&s, 4, 1, &done(&[])), Ok(Direction::Back));
        assert_eq!(check_move(&s, 2, 2, &done(&[])), Ok(Direction::Stay));
    }

    #[test]
    fn unknown_and_retired_targets_are_refused() {
        let s = stages();
        assert_eq!(check_move(&s, 1, 99, &done(&[])), Err(GateError::UnknownStage));
        assert_eq!(check_move(&s, 4, 5, &done(&[])), Err(GateError::UnknownStage));
        // Leaving a retired stage is fine: it still has its place.
        assert_eq!(check_move(&s, 5, 1, &done(&[])), Ok(Direction::Back));
    }

    #[test]
    fn winning_needs_the_gates_up_to_the_last_stage() {
        let s = stages();
        assert_eq!(check_win(&s, 3, &done(&[])), Err(GateError::Missing(vec![41, 51])));
        assert_eq!(check_win(&s, 4, &done(&[41, 51])), Ok(()));
        assert_eq!(check_win(&s, 99, &done(&[])), Err(GateError::UnknownStage));
    }

    #[test]
    fn passed_over_lists_the_stages_between() {
        let s = stages();
        assert_eq!(passed_over(&s, 1, 4), vec![2, 3]);
        assert_eq!(passed_over(&s, 1, 2), Vec::<i64>::new());
        assert_eq!(passed_over(&s, 4, 1), Vec::<i64>::new());
    }

    #[test]
    fn only_an_approver_overrides_and_says_why() {
        assert_eq!(check_override(None, true), Err(OverrideRefused::NotAsked));
        assert_eq!(check_override(Some(" 客户口头确认 "), true), Ok("客户口头确认".to_owned()));
        let code = |r: Result<String, OverrideRefused>| match r {
            Err(OverrideRefused::Invalid(i)) => i.0[0].code.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(code(check_override(Some("  "), true)), "required");
        assert_eq!(code(check_override(Some(&"长".repeat(REASON_MAX + 1)), true)), "too_long");
        assert_eq!(code(check_override(Some("理由"), false)), "override_not_allowed");
        assert!(check_override(Some(&"长".repeat(REASON_MAX)), true).is_ok());
    }

    #[test]
    fn a_loss_needs_a_reason_or_a_note() {
        let codes = |i: Invalid| i.0.into_iter().map(|e| (e.field, e.code)).collect::<Vec<_>>();
        assert_eq!(codes(check_loss(None, None)), [("lost_reason_id".to_owned(), "required".to_owned())]);
        assert!(check_loss(None, Some("价格太高")).is_empty());
        assert!(check_loss(Some(true), None).is_empty());
        assert_eq!(
            codes(check_loss(Some(false), Some("x"))),
            [("lost_reason_id".to_owned(), "unknown_reference".to_owned())]
        );
        assert_eq!(codes(check_loss(None, Some(&"长".repeat(REASON_MAX + 1))))[0].1, "too_long");
    }

    #[test]
    fn the_first_win_closes_the_customer() {
        let first: DateTime<Utc> = "2026-01-05T02:00:00Z".parse().unwrap();
        let later: DateTime<Utc> = "2026-03-01T02:00:00Z".parse().unwrap();
        assert_eq!(customer_closed_at(None, later), later);
        assert_eq!(customer_closed_at(Some(first), later), first);
    }
}
