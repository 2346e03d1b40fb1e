//! 撞单: two reps on one customer.
//!
//! A clash is a match with a customer owned by ANOTHER user than the one
//! the record is saved for: a customer's or a lead's normalised company
//! name against a customer's name; a customer's own phone, a contact's or
//! a lead's phone against a customer's own phone or a phone of one of its
//! contacts; a contact's or a lead's e-mail against a contact's (customers
//! hold no e-mail of their own). What a record is compared by is its
//! [`Keys`]. Customers in the public pool are not clashes (they stay a
//! possible duplicate). Who may save despite a clash: callers whose data
//! scope is wider than their own records (team, department, all: managers
//! and administrators), and only with a reason; salespeople never.

use crate::access::DataScope;
use crate::customers::{name_key, phone_key};
use crate::validation::{FieldError, Invalid};

/// What a record is compared by, each key with the input field it came
/// from (the refusal names that field): the company name's key, the
/// phones' keys ([`phone_key`]: digits without +86), the e-mail in lower
/// case. Blank or implausible values give no key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keys {
    pub name: Option<(&'static str, String)>,
    /// Compared with customers' own phones and their contacts' phones.
    pub phones: Vec<(&'static str, String)>,
    /// Compared with contacts' e-mails.
    pub email: Option<(&'static str, String)>,
}

impl Keys {
    /// A customer's: its name and its own phone.
    pub fn customer(name: &str, phone: Option<&str>) -> Keys {
        let name = Some(name_key(name)).filter(|k| !k.is_empty()).map(|k| ("name", k));
        let phones = phone.and_then(phone_key).map(|k| ("phone", k)).into_iter().collect();
        Keys { name, phones, email: None }
    }

    /// A person's (a contact's or a lead's): phones and e-mail, and a
    /// lead's company (field `company`).
    pub fn person(company: Option<&str>, phone: Option<&str>, mobile: Option<&str>, email: Option<&str>) -> Keys {
        let name = company.map(name_key).filter(|k| !k.is_empty()).map(|k| ("company", k));
        let mut phones: Vec<(&'static str, String)> = Vec::new();
        for (field, value) in [("phone", phone), ("mobile", mobile)] {
            if let Some(key) = value.and_then(phone_key)
                && !phones.iter().any(|(_, k)| *k == key)
            {
                phones.push((field, key));
            }
        }
        let email = email.map(str::trim).filter(|e| !e.is_empty()).map(|e| ("email", e.to_lowercase()));
        Keys { name, phones, email }
    }

    /// Whether there is nothing to compare.
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.phones.is_empty() && self.email.is_none()
    }

    /// Whether a customer's stored keys (its name key and its own phone
    /// key) or one of its contacts' (phones and e-mail) match: the field
    /// that matched first, if any. The store asks the same in SQL; this is
    /// the rule it follows.
    pub fn matches(&self, customer: &Keys, contacts: &[Keys]) -> Option<&'static str> {
        if let (Some((field, key)), Some((_, theirs))) = (&self.name, &customer.name)
            && key == theirs
        {
            return Some(field);
        }
        let their_phones = customer.phones.iter().chain(contacts.iter().flat_map(|c| c.phones.iter()));
        let their_phones: Vec<&String> = their_phones.map(|(_, k)| k).collect();
        if let Some((field, _)) = self.phones.iter().find(|(_, k)| their_phones.contains(&k)) {
            return Some(field);
        }
        match &self.email {
            Some((field, key)) if contacts.iter().any(|c| c.email.as_ref().is_some_and(|(_, e)| e == key)) => {
                Some(field)
            }
            _ => None,
        }
    }
}

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
    fn a_customers_own_phone_matches_another_customers_phone_and_its_contacts() {
        let theirs = Keys::customer("上海华信科技有限公司", Some("021-6234 5678"));
        let their_contact = Keys::person(None, Some("+86 138 0013 8000"), None, Some("Zhou@HuaXin.cn"));
        // A new customer under another name, with the same switchboard written differently.
        let mine = Keys::customer("华信（上海）贸易", Some("02162345678"));
        assert_eq!(mine.matches(&theirs, &[]), Some("phone"));
        // … or with the contact's mobile as its phone.
        let mine = Keys::customer("另一家公司", Some("0086 13800138000"));
        assert_eq!(mine.matches(&theirs, std::slice::from_ref(&their_contact)), Some("phone"));
        assert_eq!(mine.matches(&theirs, &[]), None, "no contact, no match");
        // A contact's or a lead's phone against the customer's own phone.
        let person = Keys::person(Some("别的公司"), None, Some("021 62345678"), None);
        assert_eq!(person.matches(&theirs, &[]), Some("mobile"));
        // The name still matches first; e-mail only against contacts.
        assert_eq!(Keys::customer("上海华信科技股份有限公司", None).matches(&theirs, &[]), Some("name"));
        let by_mail = Keys::person(None, None, None, Some(" zhou@huaxin.cn "));
        assert_eq!(by_mail.matches(&theirs, &[their_contact]), Some("email"));
        assert_eq!(by_mail.matches(&theirs, &[]), None);
    }

    #[test]
    fn blank_and_implausible_values_give_no_keys() {
        assert!(Keys::customer("", Some("  ")).is_empty());
        assert!(Keys::customer("", Some("ext. 12")).is_empty(), "not a phone number");
        assert!(Keys::person(Some(" "), Some(""), None, Some(" ")).is_empty());
        let k = Keys::person(None, Some("13800138000"), Some("+86 13800138000"), None);
        assert_eq!(k.phones, vec![("phone", "13800138000".to_owned())], "the same number once");
        assert_eq!(Keys::customer("华信", Some("13800138000")).phones[0].0, "phone");
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
