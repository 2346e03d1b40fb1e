//! Leads (线索): people who showed interest, from a campaign or another
//! source, worked through new → contacted → qualified (or disqualified) and
//! then converted into a customer and contact (and, once pipelines exist,
//! an opportunity).

use serde::{Deserialize, Serialize};

use crate::customers::{NAME_MAX, NOTES_MAX, TEXT_MAX, check_optional_email, check_phone};
use crate::validation::{FieldError, Invalid};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadStatus {
    New,
    Contacted,
    Qualified,
    Disqualified,
}

impl LeadStatus {
    pub const ALL: [LeadStatus; 4] =
        [LeadStatus::New, LeadStatus::Contacted, LeadStatus::Qualified, LeadStatus::Disqualified];

    pub fn code(self) -> &'static str {
        match self {
            LeadStatus::New => "new",
            LeadStatus::Contacted => "contacted",
            LeadStatus::Qualified => "qualified",
            LeadStatus::Disqualified => "disqualified",
        }
    }

    pub fn parse(code: &str) -> Option<LeadStatus> {
        LeadStatus::ALL.into_iter().find(|s| s.code() == code.trim())
    }
}

/// A lead's intention level: the same scale as a visit's (意向程度).
pub use crate::activities::Intention;

/// Why a lead was disqualified: at most this many characters.
pub const REASON_MAX: usize = 500;

/// A lead's fields as entered; blank optional texts are empty strings.
#[derive(Debug, Clone, Copy, Default)]
pub struct LeadFields<'a> {
    pub name: &'a str,
    pub company: &'a str,
    pub title: &'a str,
    pub phone: &'a str,
    pub mobile: &'a str,
    pub email: &'a str,
    pub province: &'a str,
    pub city: &'a str,
    pub source: &'a str,
    pub campaign: &'a str,
    /// Empty: not assessed yet.
    pub intention: &'a str,
    pub status: &'a str,
    pub notes: &'a str,
    pub disqualify_reason: &'a str,
}

/// The rules of one lead's fields, with the status rules of [`check_status`].
pub fn check(f: &LeadFields) -> Invalid {
    let mut invalid = Invalid::new();
    invalid.text("name", f.name, TEXT_MAX);
    invalid.optional_text("company", f.company.trim(), NAME_MAX);
    for (field, value) in
        [("title", f.title), ("province", f.province), ("city", f.city), ("source", f.source), ("campaign", f.campaign)]
    {
        invalid.optional_text(field, value.trim(), TEXT_MAX);
    }
    check_phone(&mut invalid, "phone", f.phone);
    check_phone(&mut invalid, "mobile", f.mobile);
    check_optional_email(&mut invalid, "email", f.email);
    if !f.intention.trim().is_empty() && Intention::parse(f.intention).is_none() {
        invalid.push(FieldError::new("intention", "invalid_choice"));
    }
    invalid.optional_text("notes", f.notes, NOTES_MAX);
    match LeadStatus::parse(f.status) {
        None => invalid.push(FieldError::new("status", "invalid_choice")),
        Some(status) => invalid.0.extend(check_status(status, f.disqualify_reason).0),
    }
    invalid
}

/// A disqualified lead says why; the reason belongs to that status only.
pub fn check_status(status: LeadStatus, reason: &str) -> Invalid {
    let mut invalid = Invalid::new();
    if status == LeadStatus::Disqualified {
        invalid.text("disqualify_reason", reason, REASON_MAX);
    } else {
        invalid.optional_text("disqualify_reason", reason.trim(), REASON_MAX);
    }
    invalid
}

/// A converted lead is history: its customer and contact carry on.
pub fn check_changeable(converted: bool) -> Result<(), Invalid> {
    if converted { Err(Invalid::one("status", "lead_converted")) } else { Ok(()) }
}

/// Only a qualified lead that was not converted yet converts.
pub fn check_convertible(status: LeadStatus, converted: bool) -> Result<(), Invalid> {
    check_changeable(converted)?;
    if status != LeadStatus::Qualified {
        return Err(Invalid::one("status", "lead_not_qualified"));
    }
    Ok(())
}

/// The name of the customer a lead becomes: its company, or for a private
/// person (a walk-in visitor without a company) the person.
pub fn customer_name<'a>(name: &'a str, company: &'a str) -> &'a str {
    let company = company.trim();
    if company.is_empty() { name.trim() } else { company }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> LeadFields<'static> {
        LeadFields { name: "李娜", company: "上海华信科技", status: "new", ..Default::default() }
    }

    #[test]
    fn a_plain_lead_is_valid() {
        assert!(check(&fields()).is_empty());
        let full = LeadFields {
            mobile: "+86 138-0013-8000",
            email: "li.na@huaxin.cn",
            intention: "high",
            campaign: "2026 春季展会",
            ..fields()
        };
        assert!(check(&full).is_empty());
    }

    #[test]
    fn bad_fields_are_reported_each() {
        let long = "长".repeat(101);
        let bad = LeadFields {
            name: " ",
            title: &long,
            phone: "call me",
            email: "nope",
            intention: "hot",
            status: "won",
            ..fields()
        };
        let mut found: Vec<(String, String)> = check(&bad).0.into_iter().map(|e| (e.field, e.code)).collect();
        found.sort();
        let expected = [
            ("email", "invalid_email"),
            ("intention", "invalid_choice"),
            ("name", "required"),
            ("phone", "invalid_phone"),
            ("status", "invalid_choice"),
            ("title", "too_long"),
        ];
        assert_eq!(found, expected.map(|(f, c)| (f.to_owned(), c.to_owned())));
    }

    #[test]
    fn disqualifying_needs_a_reason() {
        let err = check(&LeadFields { status: "disqualified", ..fields() });
        assert_eq!(err.0[0].field, "disqualify_reason");
        assert_eq!(err.0[0].code, "required");
        assert!(check_status(LeadStatus::Disqualified, "预算不足").is_empty());
        assert!(check_status(LeadStatus::Contacted, "").is_empty());
    }

    #[test]
    fn only_qualified_unconverted_leads_convert() {
        assert!(check_convertible(LeadStatus::Qualified, false).is_ok());
        for status in [LeadStatus::New, LeadStatus::Contacted, LeadStatus::Disqualified] {
            assert_eq!(check_convertible(status, false).unwrap_err().0[0].code, "lead_not_qualified");
        }
        assert_eq!(check_convertible(LeadStatus::Qualified, true).unwrap_err().0[0].code, "lead_converted");
    }

    #[test]
    fn codes_parse() {
        assert_eq!(LeadStatus::parse("qualified"), Some(LeadStatus::Qualified));
        assert_eq!(LeadStatus::parse("won"), None);
        assert_eq!(Intention::parse(" low "), Some(Intention::Low));
        assert_eq!(customer_name("王先生", " "), "王先生");
        assert_eq!(customer_name("王先生", "厦门海润食品"), "厦门海润食品");
    }
}
