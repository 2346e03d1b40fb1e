//! The sales pipeline (销售漏斗 Pipeline): ordered stages with win
//! probabilities and checklists, and the formulas of funnel analysis and
//! the weighted forecast. The stage gate that enforces the checklists is
//! an opportunity rule: see [`crate::opportunities`].
//!
//! The seed's idea: a pipeline is a common language, a filter of false
//! projects and the basis of an accurate forecast. So a stage's required
//! checklist items (任务清单) and conditions (符合条件) really gate the
//! move forward; moving back is always allowed.

use serde::{Deserialize, Serialize};

use crate::validation::{FieldError, Invalid};

mod templates;

pub use templates::{ItemTemplate, PipelineTemplate, StageTemplate, lost_reasons, templates};

// The gate is an opportunity rule; its old home keeps the names for callers.
pub use crate::opportunities::{
    Direction, GateError, GateStage, REASON_MAX, check_move, check_win, effective_probability, passed_over,
};

pub const NAME_MAX: usize = 100;
pub const CODE_MAX: usize = 10;
/// Success criteria, milestone, input, output, checklist texts.
pub const TEXT_MAX: usize = 2000;
pub const EXPECTED_DAYS_MAX: i32 = 3650;
pub const CURRENCY_LEN: usize = 3;

/// An opportunity is open until it is won or lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpportunityStatus {
    Open,
    Won,
    Lost,
}

impl OpportunityStatus {
    pub const ALL: [OpportunityStatus; 3] = [OpportunityStatus::Open, OpportunityStatus::Won, OpportunityStatus::Lost];

    pub fn code(self) -> &'static str {
        match self {
            OpportunityStatus::Open => "open",
            OpportunityStatus::Won => "won",
            OpportunityStatus::Lost => "lost",
        }
    }

    pub fn parse(code: &str) -> Option<OpportunityStatus> {
        OpportunityStatus::ALL.into_iter().find(|s| s.code() == code.trim())
    }
}

/// A checklist entry is a task to do (任务清单) or a condition that must
/// hold (符合条件); both gate the stage when required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Task,
    Condition,
}

impl ItemKind {
    pub const ALL: [ItemKind; 2] = [ItemKind::Task, ItemKind::Condition];

    pub fn code(self) -> &'static str {
        match self {
            ItemKind::Task => "task",
            ItemKind::Condition => "condition",
        }
    }

    pub fn parse(code: &str) -> Option<ItemKind> {
        ItemKind::ALL.into_iter().find(|k| k.code() == code.trim())
    }
}

/// The role a contact plays in one deal (the same scale as a contact's
/// usual role).
pub use crate::customers::ContactRole as DealRole;

// ---------------------------------------------------------------- validation

/// A stage's fields as entered. `_en` texts are the English version shown
/// to English users; blank means "same as the main text".
#[derive(Debug, Clone, Copy, Default)]
pub struct StageFields<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub name_en: &'a str,
    pub probability: i32,
    pub expected_days: Option<i32>,
    pub texts: [(&'a str, &'a str); 8],
}

/// The names of [`StageFields::texts`], in order.
pub const STAGE_TEXT_FIELDS: [&str; 8] = [
    "success_criteria",
    "success_criteria_en",
    "milestone",
    "milestone_en",
    "input",
    "input_en",
    "output",
    "output_en",
];

pub fn check_stage(fields: &StageFields) -> Invalid {
    let mut invalid = Invalid::new();
    invalid.text("code", fields.code, CODE_MAX);
    invalid.text("name", fields.name, NAME_MAX);
    invalid.optional_text("name_en", fields.name_en, NAME_MAX);
    check_probability(&mut invalid, "probability", fields.probability);
    if let Some(days) = fields.expected_days
        && !(0..=EXPECTED_DAYS_MAX).contains(&days)
    {
        invalid.push(FieldError::new("expected_days", "out_of_range").with("min", 0).with("max", EXPECTED_DAYS_MAX));
    }
    for (field, value) in fields.texts {
        invalid.optional_text(field, value, TEXT_MAX);
    }
    invalid
}

pub fn check_item(invalid: &mut Invalid, field: &str, text: &str, text_en: &str) {
    invalid.text(field, text, TEXT_MAX);
    invalid.optional_text(&format!("{field}_en"), text_en, TEXT_MAX);
}

pub fn check_probability(invalid: &mut Invalid, field: &str, probability: i32) {
    if !(0..=100).contains(&probability) {
        invalid.push(FieldError::new(field, "out_of_range").with("min", 0).with("max", 100));
    }
}

/// An opportunity's own fields as entered (the stage and customer are
/// checked against the database by the store).
#[derive(Debug, Clone, Copy, Default)]
pub struct OpportunityFields<'a> {
    pub name: &'a str,
    /// Minor units (分).
    pub amount: i64,
    pub currency: &'a str,
    /// `Some` when the stage's probability is overridden.
    pub probability: Option<i32>,
    pub probability_reason: &'a str,
    pub source: &'a str,
    pub campaign: &'a str,
    pub competitors: &'a str,
    pub product_lines: &'a str,
    pub next_step: &'a str,
    pub notes: &'a str,
    pub expected_close_date: Option<chrono::NaiveDate>,
}

pub fn check_opportunity(fields: &OpportunityFields) -> Invalid {
    let mut invalid = Invalid::new();
    invalid.text("name", fields.name, NAME_MAX * 2);
    if fields.amount < 0 {
        invalid.push(FieldError::new("amount", "negative"));
    }
    invalid.0.extend(crate::money::Money(fields.amount).check("amount"));
    // However it arrived (JSON, a form, a lead's conversion): years 0001–9999.
    if fields.expected_close_date.is_some_and(|d| !crate::time::day_in_range(d)) {
        invalid.push(FieldError::new("expected_close_date", "invalid_date"));
    }
    let currency = fields.currency.trim();
    if currency.len() != CURRENCY_LEN || !currency.chars().all(|c| c.is_ascii_uppercase()) {
        invalid.push(FieldError::new("currency", "invalid_currency"));
    }
    if let Some(p) = fields.probability {
        check_probability(&mut invalid, "probability", p);
        if fields.probability_reason.trim().is_empty() {
            invalid.push(FieldError::new("probability_reason", "required"));
        }
    }
    invalid.optional_text("probability_reason", fields.probability_reason, REASON_MAX);
    for (field, value, max) in [
        ("source", fields.source, NAME_MAX),
        ("campaign", fields.campaign, NAME_MAX),
        ("competitors", fields.competitors, TEXT_MAX),
        ("product_lines", fields.product_lines, TEXT_MAX),
        ("next_step", fields.next_step, TEXT_MAX),
        ("notes", fields.notes, TEXT_MAX * 5),
    ] {
        invalid.optional_text(field, value, max);
    }
    invalid
}

// ---------------------------------------------------------------- forecast

/// Forecast categories by probability: commit (≥ 75 %), best case
/// (50–74 %), pipeline (below 50 %).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ForecastCategory {
    Commit,
    BestCase,
    Pipeline,
}

pub const COMMIT_FROM: i32 = 75;
pub const BEST_CASE_FROM: i32 = 50;

impl ForecastCategory {
    pub const ALL: [ForecastCategory; 3] =
        [ForecastCategory::Commit, ForecastCategory::BestCase, ForecastCategory::Pipeline];

    pub fn of(probability: i32) -> ForecastCategory {
        if probability >= COMMIT_FROM {
            ForecastCategory::Commit
        } else if probability >= BEST_CASE_FROM {
            ForecastCategory::BestCase
        } else {
            ForecastCategory::Pipeline
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            ForecastCategory::Commit => "commit",
            ForecastCategory::BestCase => "best_case",
            ForecastCategory::Pipeline => "pipeline",
        }
    }
}

/// Amount × probability, in minor units, rounded half away from zero.
pub fn weighted(amount: i64, probability: i32) -> i64 {
    let product = i128::from(amount) * i128::from(probability);
    let rounded = if product >= 0 { (product + 50) / 100 } else { (product - 50) / 100 };
    rounded as i64
}

// ---------------------------------------------------------------- funnel formulas

/// Share of `from` that reached the next step, as a fraction; `None` when
/// nothing entered.
pub fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Won among closed deals (won + lost).
pub fn win_rate(won: i64, lost: i64) -> Option<f64> {
    ratio(won, won + lost)
}

/// The median of whole or fractional day counts; `None` for none.
pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) { (values[mid - 1] + values[mid]) / 2.0 } else { values[mid] })
}

/// Pipeline velocity: how much money the pipeline turns into won business
/// per day = open deals × win rate × average won deal size ÷ average sales
/// cycle in days. `None` when a factor is unknown or the cycle is zero.
pub fn velocity(
    open_deals: i64,
    win_rate: Option<f64>,
    average_deal: Option<f64>,
    cycle_days: Option<f64>,
) -> Option<f64> {
    let (rate, deal, cycle) = (win_rate?, average_deal?, cycle_days?);
    (cycle > 0.0).then(|| open_deals as f64 * rate * deal / cycle)
}

/// Pipeline coverage: open pipeline amount for the period ÷ the target.
pub fn coverage(pipeline_amount: i64, target: i64) -> Option<f64> {
    ratio(pipeline_amount, target)
}

/// A deal is stalled when it has stayed in its stage longer than the
/// stage's expected days, or nothing was recorded on it for `idle_days`.
pub fn is_stalled(days_in_stage: i64, expected_days: Option<i32>, days_idle: i64, idle_days: i64) -> bool {
    expected_days.is_some_and(|e| days_in_stage > i64::from(e)) || days_idle >= idle_days
}

/// Days without activity after which an open deal counts as stalled.
pub const DEFAULT_IDLE_DAYS: i64 = 14;

/// [`is_stalled`] as times, for queries: an open deal is stalled when its
/// last activity is at or before `idle_since`, or when it entered a stage
/// with expected days at or before that stage's `overstay_since`.
/// (Whole days idle ≥ n ⇔ idle since now − n days; whole days in stage
/// > e ⇔ entered at or before now − (e + 1) days.)
pub fn idle_since(now: chrono::DateTime<chrono::Utc>, idle_days: i64) -> chrono::DateTime<chrono::Utc> {
    now - chrono::Duration::days(idle_days)
}

/// See [`idle_since`].
pub fn overstay_since(now: chrono::DateTime<chrono::Utc>, expected_days: i32) -> chrono::DateTime<chrono::Utc> {
    now - chrono::Duration::days(i64::from(expected_days) + 1)
}

/// The median of values given as a histogram of `(value, how many)`
/// pairs in any order (the database counts whole days per stage; the
/// median is read from the counts instead of loading every stay).
/// `None` when the counts add up to nothing.
pub fn median_of_histogram(histogram: &[(i64, i64)]) -> Option<f64> {
    let mut bins: Vec<(i64, i64)> = histogram.iter().copied().filter(|(_, n)| *n > 0).collect();
    bins.sort_by_key(|(value, _)| *value);
    let total: i64 = bins.iter().map(|(_, n)| n).sum();
    if total == 0 {
        return None;
    }
    // The values at 0-based ranks (total - 1) / 2 and total / 2.
    let value_at = |rank: i64| {
        let mut seen = 0;
        for (value, n) in &bins {
            seen += n;
            if rank < seen {
                return *value;
            }
        }
        bins.last().map_or(0, |(v, _)| *v)
    };
    let (low, high) = (value_at((total - 1) / 2), value_at(total / 2));
    Some((low + high) as f64 / 2.0)
}

/// The bottleneck of one salesperson: the stage (by index) whose
/// conversion lies furthest below the team's, with that gap; `None` when
/// no stage is below the team's (or nothing can be compared).
pub fn bottleneck(person: &[Option<f64>], team: &[Option<f64>]) -> Option<(usize, f64)> {
    person
        .iter()
        .zip(team)
        .enumerate()
        .filter_map(|(i, (p, t))| Some((i, (*t)? - (*p)?)))
        .filter(|(_, gap)| *gap > 1e-9)
        .fold(None, |best: Option<(usize, f64)>, (i, gap)| match best {
            Some((_, g)) if g >= gap => best,
            _ => Some((i, gap)),
        })
}

/// Average of a sum over a count; `None` for none.
pub fn average(sum: f64, count: i64) -> Option<f64> {
    (count > 0).then(|| sum / count as f64)
}

#[cfg(test)]
mod tests {
    #[test]
    fn stalled_times_agree_with_the_day_rule() {
        use chrono::{Duration, TimeZone, Utc};
        let now = Utc.with_ymd_and_hms(2026, 12, 7, 9, 30, 0).unwrap();
        for minutes in [0, 1, 60 * 24 - 1, 60 * 24, 60 * 24 * 14 - 1, 60 * 24 * 14, 60 * 24 * 15, 60 * 24 * 40] {
            let at = now - Duration::minutes(minutes);
            let days = (now - at).num_days();
            assert_eq!(at <= super::idle_since(now, 14), super::is_stalled(0, None, days, 14), "{minutes} min idle");
            assert_eq!(
                at <= super::overstay_since(now, 3),
                super::is_stalled(days, Some(3), 0, 14),
                "{minutes} min in stage"
            );
        }
    }

    use super::*;

    #[test]
    fn probability_and_forecast_categories() {
        assert_eq!(effective_probability(30, None), 30);
        assert_eq!(effective_probability(30, Some(45)), 45);
        assert_eq!(ForecastCategory::of(90), ForecastCategory::Commit);
        assert_eq!(ForecastCategory::of(75), ForecastCategory::Commit);
        assert_eq!(ForecastCategory::of(74), ForecastCategory::BestCase);
        assert_eq!(ForecastCategory::of(50), ForecastCategory::BestCase);
        assert_eq!(ForecastCategory::of(49), ForecastCategory::Pipeline);
        // 12,345.67 × 25 % = 3,086.4175 → 3,086.42
        assert_eq!(weighted(1_234_567, 25), 308_642);
        assert_eq!(weighted(100_000, 0), 0);
    }

    #[test]
    fn funnel_formulas_against_hand_computed_examples() {
        // 40 entered E, 10 reached D: 25 %.
        assert_eq!(ratio(10, 40), Some(0.25));
        assert_eq!(ratio(1, 0), None);
        // 6 won, 14 lost: 30 %.
        assert_eq!(win_rate(6, 14), Some(0.3));
        assert_eq!(median(&mut [5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 10.0]), Some(3.5));
        assert_eq!(median(&mut []), None);
        // 50 open deals × 30 % × 200,000 ÷ 60 days = 50,000 a day.
        assert_eq!(velocity(50, Some(0.3), Some(200_000.0), Some(60.0)), Some(50_000.0));
        assert_eq!(velocity(50, Some(0.3), Some(200_000.0), Some(0.0)), None);
        assert_eq!(velocity(50, None, Some(200_000.0), Some(60.0)), None);
        // 3,000,000 in the pipeline against a 1,000,000 target: 3×.
        assert_eq!(coverage(300_000_000, 100_000_000), Some(3.0));
        assert!(is_stalled(20, Some(14), 0, 14));
        assert!(!is_stalled(10, Some(14), 3, 14));
        assert!(is_stalled(1, None, 14, 14));
        assert!(!is_stalled(100, None, 13, 14));
    }

    #[test]
    fn medians_from_histograms_and_bottlenecks_by_hand() {
        // 1, 1, 2, 5, 9 days: the middle one is 2.
        assert_eq!(median_of_histogram(&[(5, 1), (1, 2), (9, 1), (2, 1)]), Some(2.0));
        // 1, 1, 3, 3, 3, 10: between the 3rd and 4th values, 3 and 3.
        assert_eq!(median_of_histogram(&[(1, 2), (3, 3), (10, 1)]), Some(3.0));
        // 2, 2, 4, 4: (2 + 4) / 2 = 3.
        assert_eq!(median_of_histogram(&[(4, 2), (2, 2)]), Some(3.0));
        assert_eq!(median_of_histogram(&[(7, 1)]), Some(7.0));
        assert_eq!(median_of_histogram(&[(7, 0)]), None);
        assert_eq!(median_of_histogram(&[]), None);
        // The same as `median` over the expanded values.
        assert_eq!(median_of_histogram(&[(0, 1), (6, 3)]), median(&mut [0.0, 6.0, 6.0, 6.0]));

        // Team converts 50 %, 40 %, 80 %; the person 50 %, 10 %, 60 %:
        // the gaps are 0, 30 and 20 points, so stage 1 is the bottleneck.
        let team = [Some(0.5), Some(0.4), Some(0.8)];
        let gap = bottleneck(&[Some(0.5), Some(0.1), Some(0.6)], &team).unwrap();
        assert_eq!(gap.0, 1);
        assert!((gap.1 - 0.3).abs() < 1e-12);
        // Nothing below the team, or nothing comparable: none.
        assert_eq!(bottleneck(&[Some(0.6), Some(0.4), Some(0.9)], &team), None);
        assert_eq!(bottleneck(&[None, None, None], &team), None);
        assert_eq!(bottleneck(&[Some(0.0)], &[None]), None);
        assert_eq!(average(10.0, 4), Some(2.5));
        assert_eq!(average(10.0, 0), None);
    }

    #[test]
    fn bad_input_is_reported_per_field() {
        let codes = |i: Invalid| i.0.into_iter().map(|e| format!("{}:{}", e.field, e.code)).collect::<Vec<_>>();
        let fields =
            OpportunityFields { name: " ", amount: -1, currency: "cny", probability: Some(101), ..Default::default() };
        assert_eq!(
            codes(check_opportunity(&fields)),
            [
                "name:required",
                "amount:negative",
                "currency:invalid_currency",
                "probability:out_of_range",
                "probability_reason:required"
            ]
        );
        let ok = OpportunityFields { name: "华信 ERP 项目", amount: 0, currency: "CNY", ..Default::default() };
        assert!(check_opportunity(&ok).is_empty());
        let stage =
            StageFields {
                code: "G", name: "电话邀约", probability: -1, expected_days: Some(-2), ..Default::default()
            };
        assert_eq!(codes(check_stage(&stage)), ["probability:out_of_range", "expected_days:out_of_range"]);
    }
}
