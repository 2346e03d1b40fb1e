//! Sales tasks (销售任务) and the calendar: statuses, priorities, what a
//! task may refer to, the rules of one task and of a calendar range.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::validation::{FieldError, Invalid};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Open,
    InProgress,
    Done,
    Cancelled,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 4] =
        [TaskStatus::Open, TaskStatus::InProgress, TaskStatus::Done, TaskStatus::Cancelled];
    /// The statuses of a task still to be done ("open" in lists and transfers).
    pub const OPEN: [TaskStatus; 2] = [TaskStatus::Open, TaskStatus::InProgress];

    pub fn code(self) -> &'static str {
        match self {
            TaskStatus::Open => "open",
            TaskStatus::InProgress => "in_progress",
            TaskStatus::Done => "done",
            TaskStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(code: &str) -> Option<TaskStatus> {
        TaskStatus::ALL.into_iter().find(|s| s.code() == code.trim())
    }

    /// Done or cancelled: nothing left to do, never overdue, no reminder.
    pub fn is_closed(self) -> bool {
        matches!(self, TaskStatus::Done | TaskStatus::Cancelled)
    }

    /// The status the API contract shows (`open|done|cancelled`): a task in
    /// progress is open, with `in_progress: true` beside it.
    pub fn contract_code(self) -> &'static str {
        match self {
            TaskStatus::InProgress => TaskStatus::Open.code(),
            other => other.code(),
        }
    }

    /// The status to store when a change says `status` and, perhaps,
    /// whether the task is in progress. `in_progress` only matters for a
    /// task still to be done; when it is not said, an open task that was in
    /// progress (`before`) stays so, since the contract shows it as `open`
    /// and a client writing back what it read must not reset it.
    pub fn with_progress(self, in_progress: Option<bool>, before: Option<TaskStatus>) -> TaskStatus {
        match (self, in_progress) {
            (TaskStatus::Open | TaskStatus::InProgress, Some(true)) => TaskStatus::InProgress,
            (TaskStatus::Open | TaskStatus::InProgress, Some(false)) => TaskStatus::Open,
            (TaskStatus::Open, None) if before == Some(TaskStatus::InProgress) => TaskStatus::InProgress,
            (status, _) => status,
        }
    }
}

/// A list's status filter: `open` is every status still to be done (open
/// or in progress, as the contract shows them), any other code that status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    StillToDo,
    Only(TaskStatus),
}

impl StatusFilter {
    pub fn parse(code: &str) -> Option<StatusFilter> {
        match TaskStatus::parse(code)? {
            TaskStatus::Open => Some(StatusFilter::StillToDo),
            other => Some(StatusFilter::Only(other)),
        }
    }

    /// The stored statuses the filter matches.
    pub fn statuses(self) -> Vec<TaskStatus> {
        match self {
            StatusFilter::StillToDo => TaskStatus::OPEN.to_vec(),
            StatusFilter::Only(s) => vec![s],
        }
    }
}

/// Stored as its rank so that sorting by priority puts urgent work first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    Normal,
    High,
    Urgent,
}

impl Priority {
    pub const ALL: [Priority; 4] = [Priority::Low, Priority::Normal, Priority::High, Priority::Urgent];

    pub fn code(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }

    pub fn parse(code: &str) -> Option<Priority> {
        Priority::ALL.into_iter().find(|p| p.code() == code.trim())
    }

    pub fn rank(self) -> i32 {
        match self {
            Priority::Low => 1,
            Priority::Normal => 2,
            Priority::High => 3,
            Priority::Urgent => 4,
        }
    }

    pub fn from_rank(rank: i32) -> Priority {
        Priority::ALL.into_iter().find(|p| p.rank() == rank).unwrap_or(Priority::Normal)
    }
}

/// What a task may be about. Leads join when their area exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelatedKind {
    Customer,
    Contact,
    Lead,
    Opportunity,
}

impl RelatedKind {
    pub const ALL: [RelatedKind; 4] =
        [RelatedKind::Customer, RelatedKind::Contact, RelatedKind::Lead, RelatedKind::Opportunity];

    pub fn code(self) -> &'static str {
        match self {
            RelatedKind::Customer => "customer",
            RelatedKind::Contact => "contact",
            RelatedKind::Lead => "lead",
            RelatedKind::Opportunity => "opportunity",
        }
    }

    pub fn parse(code: &str) -> Option<RelatedKind> {
        RelatedKind::ALL.into_iter().find(|k| k.code() == code.trim())
    }
}

pub const TITLE_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 5000;

/// The rules of one task, apart from the people and records it names
/// (those need the database).
pub fn check(
    title: &str,
    description: &str,
    priority: &str,
    status: &str,
    start_at: Option<DateTime<Utc>>,
    due_at: DateTime<Utc>,
) -> Invalid {
    let mut invalid = Invalid::new();
    invalid.text("title", title, TITLE_MAX);
    invalid.optional_text("description", description, DESCRIPTION_MAX);
    if Priority::parse(priority).is_none() {
        invalid.push(FieldError::new("priority", "invalid_choice"));
    }
    if TaskStatus::parse(status).is_none() {
        invalid.push(FieldError::new("status", "invalid_choice"));
    }
    if start_at.is_some_and(|s| due_at < s) {
        invalid.push(FieldError::new("due_at", "due_before_start"));
    }
    invalid
}

/// Past its due time and still to be done.
pub fn is_overdue(status: TaskStatus, due_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    !status.is_closed() && due_at < now
}

/// The longest calendar range one request may ask for (a month view
/// with its leading and trailing weeks fits comfortably).
pub const CALENDAR_MAX_DAYS: i64 = 62;

/// A calendar range of whole days, `from` to `to` inclusive.
pub fn check_range(from: NaiveDate, to: NaiveDate) -> Result<(), Invalid> {
    if to < from {
        return Err(Invalid::one("to", "range_reversed"));
    }
    if (to - from).num_days() + 1 > CALENDAR_MAX_DAYS {
        return Err(Invalid(vec![FieldError::new("to", "range_too_long").with("max", CALENDAR_MAX_DAYS)]));
    }
    Ok(())
}

// Day edges live with the other date rules; tasks' callers still find them here.
pub use crate::time::{end_of_day, local_day, start_of_day};

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::settings::Settings;

    #[test]
    fn the_open_filter_takes_every_status_still_to_do() {
        assert_eq!(StatusFilter::parse("open").map(StatusFilter::statuses), Some(TaskStatus::OPEN.to_vec()));
        assert_eq!(StatusFilter::parse(" done ").map(StatusFilter::statuses), Some(vec![TaskStatus::Done]));
        assert_eq!(StatusFilter::parse("in_progress").map(StatusFilter::statuses), Some(vec![TaskStatus::InProgress]));
        assert_eq!(StatusFilter::parse("later"), None);
    }

    #[test]
    fn codes_round_trip() {
        for s in TaskStatus::ALL {
            assert_eq!(TaskStatus::parse(s.code()), Some(s));
        }
        for p in Priority::ALL {
            assert_eq!(Priority::from_rank(p.rank()), p);
            assert_eq!(Priority::parse(p.code()), Some(p));
        }
        assert_eq!(TaskStatus::parse("finished"), None);
        assert_eq!(RelatedKind::parse("contact"), Some(RelatedKind::Contact));
        assert_eq!(RelatedKind::parse("order"), None);
        assert!(Priority::Urgent.rank() > Priority::Low.rank());
    }

    #[test]
    fn in_progress_is_open_in_the_contract_and_kept_unless_said() {
        use TaskStatus::*;
        assert_eq!(InProgress.contract_code(), "open");
        assert_eq!(Done.contract_code(), "done");
        assert_eq!(Open.with_progress(Some(true), None), InProgress);
        assert_eq!(InProgress.with_progress(Some(false), Some(InProgress)), Open);
        assert_eq!(Open.with_progress(None, Some(InProgress)), InProgress, "written back as read");
        assert_eq!(Open.with_progress(None, Some(Done)), Open, "reopened");
        assert_eq!(InProgress.with_progress(None, None), InProgress, "the old input value");
        assert_eq!(Done.with_progress(Some(true), Some(InProgress)), Done);
    }

    #[test]
    fn due_cannot_precede_start() {
        let now = Utc::now();
        assert!(check("回访客户", "", "normal", "open", Some(now), now + Duration::days(1)).is_empty());
        assert!(check("回访客户", "", "normal", "open", None, now).is_empty());
        let invalid = check("", "", "soon", "later", Some(now), now - Duration::hours(1));
        let found: Vec<(&str, &str)> = invalid.0.iter().map(|e| (e.field.as_str(), e.code.as_str())).collect();
        assert_eq!(
            found,
            [
                ("title", "required"),
                ("priority", "invalid_choice"),
                ("status", "invalid_choice"),
                ("due_at", "due_before_start")
            ]
        );
        let invalid = check(&"长".repeat(TITLE_MAX + 1), "", "low", "open", None, now);
        assert_eq!(invalid.0[0].code, "too_long");
    }

    #[test]
    fn overdue_only_while_open() {
        let now = Utc::now();
        let past = now - Duration::minutes(1);
        assert!(is_overdue(TaskStatus::Open, past, now));
        assert!(is_overdue(TaskStatus::InProgress, past, now));
        assert!(!is_overdue(TaskStatus::Done, past, now));
        assert!(!is_overdue(TaskStatus::Cancelled, past, now));
        assert!(!is_overdue(TaskStatus::Open, now + Duration::minutes(1), now));
    }

    #[test]
    fn calendar_ranges_are_bounded() {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(check_range(day("2026-03-01"), day("2026-03-31")).is_ok());
        assert!(check_range(day("2026-03-01"), day("2026-03-01")).is_ok());
        assert!(check_range(day("2026-01-01"), day("2026-03-03")).is_ok(), "62 days");
        assert_eq!(check_range(day("2026-01-01"), day("2026-03-04")).unwrap_err().0[0].code, "range_too_long");
        assert_eq!(check_range(day("2026-03-02"), day("2026-03-01")).unwrap_err().0[0].code, "range_reversed");
    }

    #[test]
    fn days_in_the_company_time_zone() {
        let s = Settings::default();
        let day = NaiveDate::from_ymd_opt(2026, 1, 12).unwrap();
        // Shanghai is UTC+8.
        assert_eq!(start_of_day(&s, day).unwrap().to_rfc3339(), "2026-01-11T16:00:00+00:00");
        assert_eq!(end_of_day(&s, day).unwrap().to_rfc3339(), "2026-01-12T15:59:00+00:00");
        assert_eq!(local_day(&s, end_of_day(&s, day).unwrap()), day);
    }
}
