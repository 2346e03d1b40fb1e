//! Customer (company) and contact rules: grades, roles in the deal,
//! duplicate keys, validation.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::validation::{FieldError, Invalid, is_email};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Grade {
    A,
    B,
    C,
}

impl Grade {
    pub const ALL: [Grade; 3] = [Grade::A, Grade::B, Grade::C];

    pub fn code(self) -> &'static str {
        match self {
            Grade::A => "A",
            Grade::B => "B",
            Grade::C => "C",
        }
    }

    pub fn parse(code: &str) -> Option<Grade> {
        Grade::ALL.into_iter().find(|g| g.code().eq_ignore_ascii_case(code.trim()))
    }
}

/// A contact's role in the deal (经手人, 决策人 …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactRole {
    Handler,
    DecisionMaker,
    Evaluator,
    Supporter,
    Executive,
    Other,
}

impl ContactRole {
    pub const ALL: [ContactRole; 6] = [
        ContactRole::Handler,
        ContactRole::DecisionMaker,
        ContactRole::Evaluator,
        ContactRole::Supporter,
        ContactRole::Executive,
        ContactRole::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ContactRole::Handler => "handler",
            ContactRole::DecisionMaker => "decision_maker",
            ContactRole::Evaluator => "evaluator",
            ContactRole::Supporter => "supporter",
            ContactRole::Executive => "executive",
            ContactRole::Other => "other",
        }
    }

    pub fn parse(code: &str) -> Option<ContactRole> {
        ContactRole::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// Company-form words that do not tell two customers apart.
const COMPANY_FORMS: [&str; 12] = [
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "集团",
    "公司",
    "co.,ltd.",
    "co.,ltd",
    "co.ltd",
    "ltd.",
    "ltd",
    "inc.",
    "inc",
];

/// The key two customer names are compared by for duplicates: case,
/// spaces, punctuation and the company form do not count.
pub fn name_key(name: &str) -> String {
    let mut key: String = name
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '(' | ')' | '（' | '）' | '·' | '-' | '&'))
        .flat_map(char::to_lowercase)
        .collect();
    loop {
        let before = key.len();
        for form in COMPANY_FORMS {
            if let Some(stripped) = key.strip_suffix(form).filter(|s| !s.is_empty()) {
                key = stripped.trim_end_matches([',', '.']).to_owned();
            }
        }
        if key.len() == before {
            return key;
        }
    }
}

/// Digits of a phone number without the country prefix (+86, 0086), for
/// duplicate checks; `None` when it is not a plausible number.
pub fn phone_key(phone: &str) -> Option<String> {
    let trimmed = phone.trim();
    if trimmed.is_empty() {
        return None;
    }
    if !trimmed.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')')) {
        return None;
    }
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    let digits = digits
        .strip_prefix("0086")
        .or_else(|| trimmed.starts_with('+').then(|| digits.strip_prefix("86")).flatten())
        .unwrap_or(&digits);
    (6..=15).contains(&digits.len()).then(|| digits.to_owned())
}

/// The region of the API contract: province and city joined by a space
/// (`浙江 杭州`); one of them alone when the other is blank or the same
/// (`上海`).
pub fn region(province: Option<&str>, city: Option<&str>) -> Option<String> {
    let clean = |v: Option<&str>| v.map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
    match (clean(province), clean(city)) {
        (Some(p), Some(c)) if p == c => Some(p),
        (Some(p), Some(c)) => Some(format!("{p} {c}")),
        (one, None) | (None, one) => one,
    }
}

/// A region as written (`浙江 杭州`, `浙江/杭州`, `浙江`) split into
/// province and city at the first space or `/`; blank parts are `None`.
pub fn split_region(text: &str) -> (Option<String>, Option<String>) {
    let part = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
    let text = text.trim();
    match text.split_once(|c: char| c.is_whitespace() || c == '/') {
        Some((province, city)) => {
            (part(province), part(city.trim_start_matches(|c: char| c.is_whitespace() || c == '/')))
        }
        None => (part(text), None),
    }
}

pub const NAME_MAX: usize = 200;
pub const TEXT_MAX: usize = 100;
pub const NOTES_MAX: usize = 5000;
pub const TAG_MAX: usize = 30;
pub const TAGS_MAX: usize = 20;

// ---------------------------------------------------------------- the public pool

/// The daily claim limit counts the claims made in the 24 hours before
/// `now` (a moving window, not the calendar day).
pub fn claim_window_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::days(1)
}

/// A person may claim from the pool while they made fewer than `limit`
/// claims in the window; a customer claimed, released and claimed again
/// counts twice.
pub fn check_claim_limit(claims_in_window: u64, limit: u64) -> Result<(), Invalid> {
    if claims_in_window >= limit {
        return Err(Invalid(vec![FieldError::new("owner_id", "claim_limit").with("max", limit)]));
    }
    Ok(())
}

/// Tags as entered (comma or Chinese comma separated), trimmed, unique.
pub fn parse_tags(text: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for t in text.split([',', '，', ';', '；']).map(str::trim).filter(|t| !t.is_empty()) {
        if !tags.iter().any(|x| x == t) {
            tags.push(t.to_owned());
        }
    }
    tags
}

pub fn check_tags(invalid: &mut Invalid, tags: &[String]) {
    if tags.len() > TAGS_MAX {
        invalid.push(FieldError::new("tags", "too_many").with("max", TAGS_MAX));
    }
    if tags.iter().any(|t| t.chars().count() > TAG_MAX) {
        invalid.push(FieldError::new("tags", "too_long").with("max", TAG_MAX));
    }
}

pub fn check_credit_limit(invalid: &mut Invalid, limit: Money) {
    if limit.minor() < 0 {
        invalid.push(FieldError::new("credit_limit", "negative"));
    }
    invalid.0.extend(limit.check("credit_limit"));
}

pub fn check_phone(invalid: &mut Invalid, field: &str, phone: &str) {
    if !phone.trim().is_empty() && phone_key(phone).is_none() {
        invalid.push(FieldError::new(field, "invalid_phone"));
    }
}

pub fn check_optional_email(invalid: &mut Invalid, field: &str, email: &str) {
    if !email.trim().is_empty() && !is_email(email.trim()) {
        invalid.push(FieldError::new(field, "invalid_email"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_claim_limit_counts_the_last_24_hours() {
        let now: DateTime<Utc> = "2026-03-12T10:00:00Z".parse().unwrap();
        assert_eq!(claim_window_start(now), "2026-03-11T10:00:00Z".parse::<DateTime<Utc>>().unwrap());
        assert!(check_claim_limit(0, 1).is_ok());
        assert!(check_claim_limit(19, 20).is_ok());
        let refused = check_claim_limit(20, 20).unwrap_err();
        assert_eq!(refused.0[0].code, "claim_limit");
        assert_eq!(refused.0[0].field, "owner_id");
        assert!(check_claim_limit(0, 0).is_err(), "a limit of zero: no claims");
    }

    #[test]
    fn region_joins_and_splits_province_and_city() {
        assert_eq!(region(Some("浙江"), Some("杭州")).as_deref(), Some("浙江 杭州"));
        assert_eq!(region(Some("上海"), Some("上海")).as_deref(), Some("上海"));
        assert_eq!(region(None, Some(" 杭州 ")).as_deref(), Some("杭州"));
        assert_eq!(region(Some(""), None), None);
        let split = |t: &str| split_region(t);
        assert_eq!(split("浙江 杭州"), (Some("浙江".into()), Some("杭州".into())));
        assert_eq!(split("浙江/杭州"), (Some("浙江".into()), Some("杭州".into())));
        assert_eq!(split(" 浙江 / 杭州 "), (Some("浙江".into()), Some("杭州".into())));
        assert_eq!(split("广东"), (Some("广东".into()), None));
        assert_eq!(split("  "), (None, None));
        assert_eq!(split(&region(Some("江苏"), Some("苏州")).unwrap()), (Some("江苏".into()), Some("苏州".into())));
    }

    #[test]
    fn names_compare_without_company_forms() {
        assert_eq!(name_key("上海华信科技有限公司"), name_key("上海华信科技"));
        assert_eq!(name_key("上海 华信科技股份有限公司"), "上海华信科技");
        assert_eq!(name_key("Huaxin Tech Co., Ltd."), name_key("huaxin tech"));
        assert_eq!(name_key("ACME Inc."), "acme");
        assert_ne!(name_key("华信"), name_key("华信科技"));
        assert_eq!(name_key("公司"), "公司");
    }

    #[test]
    fn phones_compare_by_digits() {
        assert_eq!(phone_key("+86 138-0013-8000").as_deref(), Some("13800138000"));
        assert_eq!(phone_key("0086 13800138000").as_deref(), Some("13800138000"));
        assert_eq!(phone_key("(021) 6234 5678").as_deref(), Some("02162345678"));
        assert_eq!(phone_key("call me"), None);
        assert_eq!(phone_key("123"), None);
        assert_eq!(phone_key(""), None);
    }

    #[test]
    fn tags_split_on_either_comma() {
        assert_eq!(parse_tags("重点, 华东，重点 ; VIP"), ["重点", "华东", "VIP"]);
        let mut invalid = Invalid::new();
        check_tags(&mut invalid, &["x".repeat(31)]);
        assert_eq!(invalid.0[0].code, "too_long");
    }

    #[test]
    fn grades_and_roles_parse() {
        assert_eq!(Grade::parse("a"), Some(Grade::A));
        assert_eq!(Grade::parse("D"), None);
        assert_eq!(ContactRole::parse("decision_maker"), Some(ContactRole::DecisionMaker));
        assert_eq!(ContactRole::parse("boss"), None);
    }
}
