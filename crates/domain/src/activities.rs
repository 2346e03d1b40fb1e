//! Visits and contact records (拜访记录, 联系记录).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::validation::{FieldError, Invalid};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    Call,
    Visit,
    Meeting,
    Email,
    Note,
}

impl ActivityKind {
    pub const ALL: [ActivityKind; 5] =
        [ActivityKind::Call, ActivityKind::Visit, ActivityKind::Meeting, ActivityKind::Email, ActivityKind::Note];

    pub fn code(self) -> &'static str {
        match self {
            ActivityKind::Call => "call",
            ActivityKind::Visit => "visit",
            ActivityKind::Meeting => "meeting",
            ActivityKind::Email => "email",
            ActivityKind::Note => "note",
        }
    }

    pub fn parse(code: &str) -> Option<ActivityKind> {
        ActivityKind::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// How likely a prospect is to buy, as judged at a visit (意向程度).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intention {
    High,
    Medium,
    Low,
}

impl Intention {
    pub const ALL: [Intention; 3] = [Intention::High, Intention::Medium, Intention::Low];

    pub fn code(self) -> &'static str {
        match self {
            Intention::High => "high",
            Intention::Medium => "medium",
            Intention::Low => "low",
        }
    }

    pub fn parse(code: &str) -> Option<Intention> {
        Intention::ALL.into_iter().find(|i| i.code() == code.trim())
    }
}

pub const SUBJECT_MAX: usize = 200;
pub const OUTCOME_MAX: usize = 5000;

/// The rules of one activity record.
pub fn check(
    kind: &str,
    subject: &str,
    outcome: &str,
    next_step: &str,
    occurred_at: DateTime<Utc>,
    next_at: Option<DateTime<Utc>>,
    intention: Option<&str>,
) -> Result<(), Invalid> {
    let mut invalid = Invalid::new();
    if ActivityKind::parse(kind).is_none() {
        invalid.push(FieldError::new("kind", "invalid_choice"));
    }
    if intention.is_some_and(|i| Intention::parse(i).is_none()) {
        invalid.push(FieldError::new("intention", "invalid_choice"));
    }
    invalid.text("subject", subject, SUBJECT_MAX);
    invalid.optional_text("outcome", outcome, OUTCOME_MAX);
    invalid.optional_text("next_step", next_step, SUBJECT_MAX);
    if next_at.is_some_and(|n| n < occurred_at) {
        invalid.push(FieldError::new("next_at", "next_before_occurred"));
    }
    // However they arrived (JSON instants are read by serde): years 0001–9999.
    if !crate::time::day_in_range(occurred_at.date_naive()) {
        invalid.push(FieldError::new("occurred_at", "invalid_date"));
    }
    if next_at.is_some_and(|n| !crate::time::day_in_range(n.date_naive())) {
        invalid.push(FieldError::new("next_at", "invalid_date"));
    }
    invalid.into_result()
}

/// How far back a follow-up date left unanswered still counts as overdue.
pub const UNANSWERED_DAYS: i64 = 30;

/// The follow-up dates that are overdue when nothing was recorded on the
/// customer since: from [`UNANSWERED_DAYS`] ago up to the start of today
/// in the company's time zone (today's are due, not overdue).
pub fn unanswered_window(settings: &crate::settings::Settings, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let today = crate::time::start_of_day(settings, crate::time::local_day(settings, now)).unwrap_or(now);
    (now - chrono::Duration::days(UNANSWERED_DAYS), today)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn unanswered_follow_ups_end_where_the_company_day_begins() {
        let settings = crate::settings::Settings::default();
        // 09:30 in Shanghai is 01:30 UTC; the company's day began at 16:00 UTC the day before.
        let now: DateTime<Utc> = "2026-12-07T01:30:00Z".parse().unwrap();
        let (from, to) = unanswered_window(&settings, now);
        assert_eq!(to, "2026-12-06T16:00:00Z".parse::<DateTime<Utc>>().unwrap());
        assert_eq!(from, now - Duration::days(30));
    }

    #[test]
    fn follow_up_cannot_precede_the_activity() {
        let now = Utc::now();
        assert!(check("visit", "初次拜访", "", "", now, Some(now + Duration::days(3)), Some("high")).is_ok());
        let err = check("visit", "初次拜访", "", "", now, Some(now - Duration::days(1)), None).unwrap_err();
        assert_eq!(err.0[0].code, "next_before_occurred");
        let err = check("fax", "", "", "", now, None, Some("eager")).unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["kind", "intention", "subject"]);
    }
}
