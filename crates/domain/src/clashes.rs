//! 撞单: two reps on one customer.
//!
//! A clash is a match (a customer's or a lead's normalised company name, a
//! contact's or a lead's phone or e-mail against a contact of a customer)
//! with a customer owned by ANOTHER user than the one the record is saved
//! for. Customers in the public pool are not clashes (they stay a
//! possible duplicate). Who may save despite a clash: callers whose data
//! scope is wider than their own records (team, department, all: managers
//! and administrators), and only with a reason; salespeople never.

use crate::access::DataScope;
use crate::validation::{FieldError, Invalid};

/// The longest reason for saving despite a clash.
pub const REASON_MAX: usize = 500;

/// The input field that carries the reason.
pub const REASON_FIELD: &str = "duplicate_reason";

/// The error code of a refused clash (on the matching field, with the
/// parameter `owners`).
pub const OWNED_BY_OTHER: &str = "owned_by_other";

/// Whether an existing record owned by `existing_owner` clashes with a
/// record saved for `new_owner` (`None`: the public pool).
pub fn is_clash(existing_owner: Option<i64>, new_owner: Option<i64>) -> bool {
    matches!(existing_owner, Some(o) if Some(o) != new_owner)
}

/// Whether a caller with this data scope may save despite a clash (with a
/// reason): only those who see more than their own records.
pub fn may_override(scope: DataScope) -> bool {
    scope != DataScope::Own
}

/// What a write that clashes with someone else's customer may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Save, recording this reason.
    Save(String),
    /// Refuse with these field errors.
    Refuse(Invalid),
}

/// The decision for a write that found clashes on `fields` (field name and
/// the owners' display names, joined): refused for salespeople whatever
/// they ask; for managers refused unless they ask to save anyway
/// (`allow`) with a non-empty reason of at most [`REASON_MAX`] characters.
pub fn decide(scope: DataScope, allow: bool, reason: Option<&str>, fields: &[(String, String)]) -> Decision {
    let refusal = || {
        let mut invalid = Invalid::new();
        for (field, owners) in fields {
            invalid.push(FieldError::new(field, OWNED_BY_OTHER).with("owners", owners));
        }
        invalid
    };
    if !may_override(scope) || !allow {
        return Decision::Refuse(refusal());
    }
    let reason = reason.map(str::trim).unwrap_or("");
    if reason.is_empty() {
        let mut invalid = refusal();
        invalid.push(FieldError::new(REASON_FIELD, "required"));
        return Decision::Refuse(invalid);
    }
    if reason.chars().count() > REASON_MAX {
        return Decision::Refuse(Invalid(vec![FieldError::new(REASON_FIELD, "too_long").with("max", REASON_MAX)]));
    }
    Decision::Save(reason.to_owned())
}

/// The reason recorded for clashes an import accepts (a manager's import,
/// whose duplicate mode decides).
pub fn import_reason(job_id: i64) -> String {
    format!("import {job_id}")
}

/// The longest message of a hand-over request.
pub const REQUEST_MESSAGE_MAX: usize = 500;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customers::{name_key, phone_key};

    fn on_name() -> Vec<(String, String)> {
        vec![("name".to_owned(), "李娜".to_owned())]
    }

    #[test]
    fn another_owners_record_clashes_the_pool_and_ones_own_do_not() {
        assert!(is_clash(Some(2), Some(1)));
        assert!(is_clash(Some(2), None), "a customer put into the pool still clashes with an owned one");
        assert!(!is_clash(Some(1), Some(1)));
        assert!(!is_clash(None, Some(1)), "the public pool is a possible duplicate, not a clash");
    }

    #[test]
    fn name_variants_and_phone_prefixes_match() {
        assert_eq!(name_key("上海华信有限公司"), name_key("上海华信"));
        assert_eq!(name_key("上海华信股份有限公司"), name_key(" 上海 华信 "));
        assert_eq!(name_key("Acme Co., Ltd."), name_key("acme"));
        assert_eq!(phone_key("+86 138 0013 8000"), phone_key("13800138000"));
        assert_eq!(phone_key("0086-13800138000"), phone_key("13800138000"));
    }

    #[test]
    fn salespeople_are_refused_whatever_they_ask() {
        for allow in [false, true] {
            let Decision::Refuse(invalid) = decide(DataScope::Own, allow, Some("my customer"), &on_name()) else {
                panic!("a salesperson saved despite a clash");
            };
            assert_eq!(invalid.0.len(), 1);
            assert_eq!(invalid.0[0].field, "name");
            assert_eq!(invalid.0[0].code, OWNED_BY_OTHER);
            assert_eq!(invalid.0[0].params, vec![("owners".to_owned(), "李娜".to_owned())]);
        }
    }

    #[test]
    fn managers_save_only_when_asked_and_with_a_reason() {
        for scope in [DataScope::Team, DataScope::Department, DataScope::All] {
            assert!(matches!(decide(scope, false, Some("why"), &on_name()), Decision::Refuse(_)));
            assert_eq!(
                decide(scope, true, Some("  agreed with 李娜 "), &on_name()),
                Decision::Save("agreed with 李娜".into())
            );
            let Decision::Refuse(invalid) = decide(scope, true, Some("   "), &on_name()) else { panic!() };
            assert!(invalid.0.iter().any(|e| e.field == REASON_FIELD && e.code == "required"));
            let Decision::Refuse(invalid) = decide(scope, true, None, &on_name()) else { panic!() };
            assert!(invalid.0.iter().any(|e| e.field == REASON_FIELD && e.code == "required"));
            let long = "因".repeat(REASON_MAX + 1);
            let Decision::Refuse(invalid) = decide(scope, true, Some(&long), &on_name()) else { panic!() };
            assert_eq!(invalid.0[0].code, "too_long");
            assert!(matches!(decide(scope, true, Some(&"因".repeat(REASON_MAX)), &on_name()), Decision::Save(_)));
        }
    }

    #[test]
    fn an_import_names_its_job() {
        assert_eq!(import_reason(12), "import 12");
    }
}
