//! Contracts (合同): their life cycle, what a contract must say, and when
//! its owner hears that it is about to end.
//!
//! A contract is written as a draft, then submitted for signing: when the
//! approval rules ask for approval it waits "in approval" (a rejection
//! sends it back to the draft), otherwise it is signed at once. A signed
//! contract starts executing and is completed, or ends early (terminated),
//! or runs past its end date unfinished (expired). A draft is changed in
//! place; a change once it has left the draft (an amendment, 合同变更) keeps
//! the earlier text as a version that stays readable.

use chrono::NaiveDate;

use crate::money::Money;
use crate::{FieldError, Invalid};

/// The document number's prefix: `CT-2026-000123`.
pub const NUMBER_PREFIX: &str = "CT";
pub const TITLE_MAX: usize = 200;
/// Terms are long text (clauses, payment terms, warranty …).
pub const TERMS_MAX: usize = 20_000;
pub const REASON_MAX: usize = 500;
/// The default number of days before the end date the owner is reminded.
pub const REMINDER_DAYS_DEFAULT: u32 = 30;
/// The most days ahead a reminder may be set to.
pub const REMINDER_DAYS_MAX: u32 = 365;

/// A contract's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContractStatus {
    Draft,
    InApproval,
    Signed,
    Executing,
    Completed,
    Expired,
    Terminated,
}

impl ContractStatus {
    pub const ALL: [ContractStatus; 7] = [
        ContractStatus::Draft,
        ContractStatus::InApproval,
        ContractStatus::Signed,
        ContractStatus::Executing,
        ContractStatus::Completed,
        ContractStatus::Expired,
        ContractStatus::Terminated,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ContractStatus::Draft => "draft",
            ContractStatus::InApproval => "in_approval",
            ContractStatus::Signed => "signed",
            ContractStatus::Executing => "executing",
            ContractStatus::Completed => "completed",
            ContractStatus::Expired => "expired",
            ContractStatus::Terminated => "terminated",
        }
    }

    pub fn parse(code: &str) -> Option<ContractStatus> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// How a change is made: in place (a draft), as a new version (an
    /// amendment of a signed or executing contract), or not at all.
    pub fn edit(self) -> Edit {
        match self {
            ContractStatus::Draft => Edit::InPlace,
            ContractStatus::Signed | ContractStatus::Executing => Edit::NewVersion,
            _ => Edit::Refused,
        }
    }

    /// In force: signed or executing (reminded before, expired after its end).
    pub fn in_force(self) -> bool {
        matches!(self, ContractStatus::Signed | ContractStatus::Executing)
    }
}

/// How a contract in a state takes a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    InPlace,
    NewVersion,
    Refused,
}

/// What can be done to a contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContractAction {
    /// Submitted for signing: approved first when the rules say so.
    Submit,
    Approve,
    Reject,
    /// Execution begins (delivery, service …).
    Start,
    Complete,
    /// Ended early, with a reason.
    Terminate,
    /// Its end date passed before it was completed (the daily job).
    Expire,
}

impl ContractAction {
    pub const ALL: [ContractAction; 7] = [
        ContractAction::Submit,
        ContractAction::Approve,
        ContractAction::Reject,
        ContractAction::Start,
        ContractAction::Complete,
        ContractAction::Terminate,
        ContractAction::Expire,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ContractAction::Submit => "submit",
            ContractAction::Approve => "approve",
            ContractAction::Reject => "reject",
            ContractAction::Start => "start",
            ContractAction::Complete => "complete",
            ContractAction::Terminate => "terminate",
            ContractAction::Expire => "expire",
        }
    }

    pub fn parse(code: &str) -> Option<ContractAction> {
        Self::ALL.into_iter().find(|a| a.code() == code)
    }
}

/// The action is not possible in the contract's state (409 with both named).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a contract that is {} cannot be {}", .status.code(), .action.code())]
pub struct NotAllowed {
    pub status: ContractStatus,
    pub action: ContractAction,
}

/// Where an action takes a contract. `needs_approval` decides a submission
/// (the approval rules' answer).
pub fn transition(
    status: ContractStatus,
    action: ContractAction,
    needs_approval: bool,
) -> Result<ContractStatus, NotAllowed> {
    use ContractAction as A;
    use ContractStatus as S;
    let next = match (status, action) {
        (S::Draft, A::Submit) if needs_approval => S::InApproval,
        (S::Draft, A::Submit) => S::Signed,
        (S::InApproval, A::Approve) => S::Signed,
        (S::InApproval, A::Reject) => S::Draft,
        (S::Signed, A::Start) => S::Executing,
        (S::Executing, A::Complete) => S::Completed,
        (S::Signed | S::Executing, A::Terminate) => S::Terminated,
        (S::Signed | S::Executing, A::Expire) => S::Expired,
        _ => return Err(NotAllowed { status, action }),
    };
    Ok(next)
}

/// What a contract says, as checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terms<'a> {
    pub title: &'a str,
    pub amount: Money,
    pub terms: &'a str,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub signed_date: Option<NaiveDate>,
}

/// A title, an amount not negative, terms within their length, and an end
/// not before the start.
pub fn check(t: &Terms<'_>) -> Invalid {
    let mut invalid = Invalid::new();
    invalid.text("title", t.title, TITLE_MAX);
    if t.amount.0 < 0 {
        invalid.push(FieldError::new("amount", "must_not_be_negative"));
    } else if !t.amount.in_range() {
        invalid.push(FieldError::new("amount", "amount_too_large").with("max", Money::MAX.grouped()));
    }
    invalid.optional_text("terms", t.terms, TERMS_MAX);
    if let (Some(start), Some(end)) = (t.start_date, t.end_date)
        && end < start
    {
        invalid.push(FieldError::new("end_date", "end_before_start"));
    }
    invalid
}

/// What submitting for signing needs besides the terms: the dates the
/// contract runs between and the day it was signed.
pub fn check_signable(t: &Terms<'_>) -> Invalid {
    let mut invalid = check(t);
    for (field, value) in [("start_date", t.start_date), ("end_date", t.end_date), ("signed_date", t.signed_date)] {
        if value.is_none() {
            invalid.push(FieldError::new(field, "required"));
        }
    }
    invalid
}

/// Days from `today` to `end` (negative once it has passed).
pub fn days_left(end: NaiveDate, today: NaiveDate) -> i64 {
    (end - today).num_days()
}

/// Whether the owner of a contract in force should hear that it ends
/// soon: from `days` days before its end date up to the end date itself.
pub fn reminder_due(end: NaiveDate, today: NaiveDate, days: u32) -> bool {
    (0..=i64::from(days)).contains(&days_left(end, today))
}

/// Whether a contract in force has run past its end date.
pub fn past_end(end: NaiveDate, today: NaiveDate) -> bool {
    days_left(end, today) < 0
}

/// A contract's number: `CT-2026-000123`.
pub fn number(year: i32, sequence: i64) -> String {
    crate::orders::document_number(NUMBER_PREFIX, year, sequence)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn terms<'a>(start: &str, end: &str) -> Terms<'a> {
        Terms {
            title: "2027 年度设备维保合同",
            amount: Money(12_000_000),
            terms: "按季度付款",
            start_date: Some(day(start)),
            end_date: Some(day(end)),
            signed_date: Some(day(start)),
        }
    }

    #[test]
    fn a_contract_moves_only_along_its_life_cycle() {
        use ContractAction as A;
        use ContractStatus as S;
        assert_eq!(transition(S::Draft, A::Submit, true), Ok(S::InApproval));
        assert_eq!(transition(S::Draft, A::Submit, false), Ok(S::Signed));
        assert_eq!(transition(S::InApproval, A::Approve, false), Ok(S::Signed));
        assert_eq!(transition(S::InApproval, A::Reject, false), Ok(S::Draft));
        assert_eq!(transition(S::Signed, A::Start, false), Ok(S::Executing));
        assert_eq!(transition(S::Executing, A::Complete, false), Ok(S::Completed));
        assert_eq!(transition(S::Signed, A::Terminate, false), Ok(S::Terminated));
        assert_eq!(transition(S::Executing, A::Terminate, false), Ok(S::Terminated));
        assert_eq!(transition(S::Signed, A::Expire, false), Ok(S::Expired));
        assert_eq!(transition(S::Executing, A::Expire, false), Ok(S::Expired));
        // Out of turn: refused with both named.
        let refused = transition(S::Draft, A::Start, false).unwrap_err();
        assert_eq!(refused.to_string(), "a contract that is draft cannot be start");
        assert!(transition(S::Signed, A::Complete, false).is_err(), "it executes first");
        assert!(transition(S::InApproval, A::Submit, true).is_err());
        assert!(transition(S::Draft, A::Terminate, false).is_err());
        assert!(transition(S::Draft, A::Expire, false).is_err());
        for done in [S::Completed, S::Expired, S::Terminated] {
            for a in ContractAction::ALL {
                assert!(transition(done, a, false).is_err(), "{done:?} is final");
            }
        }
        for s in ContractStatus::ALL {
            assert_eq!(ContractStatus::parse(s.code()), Some(s));
        }
        for a in ContractAction::ALL {
            assert_eq!(ContractAction::parse(a.code()), Some(a));
        }
    }

    #[test]
    fn a_draft_changes_in_place_a_signed_contract_by_a_new_version() {
        assert_eq!(ContractStatus::Draft.edit(), Edit::InPlace);
        assert_eq!(ContractStatus::Signed.edit(), Edit::NewVersion);
        assert_eq!(ContractStatus::Executing.edit(), Edit::NewVersion);
        for s in
            [ContractStatus::InApproval, ContractStatus::Completed, ContractStatus::Expired, ContractStatus::Terminated]
        {
            assert_eq!(s.edit(), Edit::Refused, "{s:?}");
        }
        assert!(ContractStatus::Signed.in_force() && ContractStatus::Executing.in_force());
        assert!(!ContractStatus::Draft.in_force() && !ContractStatus::Expired.in_force());
    }

    #[test]
    fn the_end_may_not_come_before_the_start() {
        assert!(check(&terms("2027-01-01", "2027-12-31")).is_empty());
        // One day is fine.
        assert!(check(&terms("2027-01-01", "2027-01-01")).is_empty());
        let codes: Vec<String> = check(&terms("2027-01-02", "2027-01-01"))
            .0
            .into_iter()
            .map(|e| format!("{}:{}", e.field, e.code))
            .collect();
        assert_eq!(codes, ["end_date:end_before_start"]);
        let bad = Terms { title: " ", amount: Money(-1), ..terms("2027-01-01", "2027-12-31") };
        let codes: Vec<String> = check(&bad).0.into_iter().map(|e| format!("{}:{}", e.field, e.code)).collect();
        assert_eq!(codes, ["title:required", "amount:must_not_be_negative"]);
        let long = "条".repeat(TERMS_MAX + 1);
        let bad = Terms { terms: &long, ..terms("2027-01-01", "2027-12-31") };
        assert_eq!(check(&bad).0[0].code, "too_long");
        // A draft may leave the dates open; signing needs them.
        let open = Terms { start_date: None, end_date: None, signed_date: None, ..terms("2027-01-01", "2027-12-31") };
        assert!(check(&open).is_empty());
        let codes: Vec<String> = check_signable(&open).0.into_iter().map(|e| e.field).collect();
        assert_eq!(codes, ["start_date", "end_date", "signed_date"]);
    }

    #[test]
    fn the_owner_hears_n_days_before_the_end_until_the_end() {
        let end = day("2027-03-31");
        // 30 days before: 2027-03-01.
        assert_eq!(days_left(end, day("2027-03-01")), 30);
        assert!(reminder_due(end, day("2027-03-01"), 30));
        assert!(!reminder_due(end, day("2027-02-28"), 30), "31 days before");
        assert!(reminder_due(end, day("2027-03-31"), 30), "the last day");
        assert!(!reminder_due(end, day("2027-04-01"), 30), "past the end");
        // Across a leap day: 2028-03-01 is 30 days after 2028-01-31.
        assert_eq!(days_left(day("2028-03-01"), day("2028-01-31")), 30);
        assert!(reminder_due(end, day("2027-03-31"), 0));
        assert!(past_end(end, day("2027-04-01")));
        assert!(!past_end(end, day("2027-03-31")));
    }

    #[test]
    fn numbers_have_the_ct_prefix() {
        assert_eq!(number(2026, 7), "CT-2026-000007");
    }
}
