//! The fuller customer record: the unified social credit code
//! (统一社会信用代码, GB 32100-2015), the website, and the configurable
//! picklists (industry, source, customer type).

use serde::{Deserialize, Serialize};

use crate::validation::{FieldError, Invalid};

// ---------------------------------------------------------------- credit code

/// The characters a credit code may use: digits and the capital letters
/// without I, O, Z, S and V (GB 32100-2015); a character's value is its
/// position here.
const CODE_CHARS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// The weights of the first 17 characters: 3^(i-1) mod 31.
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

fn value_of(c: char) -> Option<u32> {
    CODE_CHARS.find(c).map(|i| i as u32)
}

/// The check character for the first 17 characters of a credit code.
pub fn credit_code_check_char(first17: &str) -> Option<char> {
    let chars: Vec<char> = first17.chars().collect();
    if chars.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in chars.iter().zip(WEIGHTS) {
        sum += value_of(*c)? * w;
    }
    let check = (31 - sum % 31) % 31;
    CODE_CHARS.chars().nth(check as usize)
}

/// A credit code as entered, trimmed and in capitals (`91350100m000100y43`
/// → `91350100M000100Y43`), when it has 18 characters of the code's set
/// and the right check character; the error code otherwise.
pub fn parse_credit_code(text: &str) -> Result<String, &'static str> {
    let code: String = text.trim().to_ascii_uppercase();
    if code.chars().count() != 18 {
        return Err("credit_code_length");
    }
    if !code.chars().all(|c| value_of(c).is_some()) {
        return Err("credit_code_chars");
    }
    // The administrative division (characters 3 to 8) is digits.
    if !code[2..8].chars().all(|c| c.is_ascii_digit()) {
        return Err("credit_code_chars");
    }
    let expected = credit_code_check_char(&code[..17]);
    if expected != code.chars().nth(17) {
        return Err("credit_code_check");
    }
    Ok(code)
}

/// An optional credit code: `Ok(None)` when blank.
pub fn check_credit_code(invalid: &mut Invalid, field: &str, text: Option<&str>) -> Option<String> {
    let text = text.map(str::trim).filter(|t| !t.is_empty())?;
    match parse_credit_code(text) {
        Ok(code) => Some(code),
        Err(e) => {
            invalid.push(FieldError::new(field, e));
            None
        }
    }
}

// ---------------------------------------------------------------- website

pub const WEBSITE_MAX: usize = 200;

/// A website as entered (`www.huaxin.cn`, `https://huaxin.cn/about`):
/// trimmed, `https://` put in front when no scheme is given; only `http`
/// and `https` with a host that has a dot and no spaces.
pub fn parse_website(text: &str) -> Result<String, &'static str> {
    let text = text.trim();
    if text.chars().count() > WEBSITE_MAX {
        return Err("too_long");
    }
    let lower = text.to_ascii_lowercase();
    let (url, rest) = if lower.starts_with("https://") {
        (text.to_owned(), &text[8..])
    } else if lower.starts_with("http://") {
        (text.to_owned(), &text[7..])
    } else if text.contains("://") {
        return Err("invalid_website");
    } else {
        (format!("https://{text}"), text)
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_ok = host.contains('.')
        && !host.starts_with('.')
        && !host.ends_with('.')
        && host.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | ':'));
    if !host_ok || url.chars().any(char::is_whitespace) || url.contains(['<', '>', '"', '\'']) {
        return Err("invalid_website");
    }
    Ok(url)
}

pub fn check_website(invalid: &mut Invalid, field: &str, text: Option<&str>) -> Option<String> {
    let text = text.map(str::trim).filter(|t| !t.is_empty())?;
    match parse_website(text) {
        Ok(url) => Some(url),
        Err(e) => {
            let mut error = FieldError::new(field, e);
            if e == "too_long" {
                error = error.with("max", WEBSITE_MAX);
            }
            invalid.push(error);
            None
        }
    }
}

// ---------------------------------------------------------------- picklists

/// The customer fields whose values an administrator chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Picklist {
    Industry,
    Source,
    /// Customer type (the `kind` column).
    Kind,
}

impl Picklist {
    pub const ALL: [Picklist; 3] = [Picklist::Industry, Picklist::Source, Picklist::Kind];

    pub fn code(self) -> &'static str {
        match self {
            Picklist::Industry => "industry",
            Picklist::Source => "source",
            Picklist::Kind => "kind",
        }
    }

    pub fn parse(code: &str) -> Option<Picklist> {
        Picklist::ALL.into_iter().find(|p| p.code() == code)
    }
}

/// The choices a new installation starts with (code, Chinese label,
/// English label); the migration that made the lists adds the values
/// customers already held.
pub const DEFAULT_CHOICES: [(Picklist, &str, &str, &str); 34] = [
    (Picklist::Industry, "manufacturing", "制造业", "Manufacturing"),
    (Picklist::Industry, "it", "信息技术", "Information technology"),
    (Picklist::Industry, "retail", "零售", "Retail"),
    (Picklist::Industry, "wholesale", "批发贸易", "Wholesale and trade"),
    (Picklist::Industry, "finance", "金融", "Finance"),
    (Picklist::Industry, "construction", "建筑", "Construction"),
    (Picklist::Industry, "energy", "能源", "Energy"),
    (Picklist::Industry, "healthcare", "医疗健康", "Healthcare"),
    (Picklist::Industry, "education", "教育", "Education"),
    (Picklist::Industry, "logistics", "物流", "Logistics"),
    (Picklist::Industry, "food", "食品饮料", "Food and beverage"),
    (Picklist::Industry, "internet", "互联网", "Internet"),
    (Picklist::Industry, "pharma", "医药", "Pharmaceuticals"),
    (Picklist::Industry, "electronics", "电子", "Electronics"),
    (Picklist::Industry, "automotive", "汽车", "Automotive"),
    (Picklist::Industry, "chemicals", "化工", "Chemicals"),
    (Picklist::Industry, "hospitality", "酒店餐饮", "Hotels and restaurants"),
    (Picklist::Industry, "other", "其他", "Other"),
    (Picklist::Source, "trade_show", "展会", "Trade show"),
    (Picklist::Source, "website", "官网", "Website"),
    (Picklist::Source, "referral", "转介绍", "Referral"),
    (Picklist::Source, "cold_call", "电话营销", "Cold call"),
    (Picklist::Source, "advertising", "广告", "Advertising"),
    (Picklist::Source, "partner", "合作伙伴", "Partner"),
    (Picklist::Source, "tender", "招投标", "Tender"),
    (Picklist::Source, "walk_in", "客户到访", "Walk-in"),
    (Picklist::Source, "other", "其他", "Other"),
    (Picklist::Kind, "enterprise", "企业", "Enterprise"),
    (Picklist::Kind, "government", "政府机关", "Government"),
    (Picklist::Kind, "institution", "事业单位", "Public institution"),
    (Picklist::Kind, "distributor", "经销商", "Distributor"),
    (Picklist::Kind, "partner", "合作伙伴", "Partner"),
    (Picklist::Kind, "individual", "个人", "Individual"),
    (Picklist::Kind, "other", "其他", "Other"),
];

pub const PICK_CODE_MAX: usize = 100;
pub const PICK_LABEL_MAX: usize = 100;

/// One choice of a picklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Choice {
    pub code: String,
    pub label_zh: String,
    pub label_en: String,
    pub active: bool,
}

impl Choice {
    pub fn label(&self, locale: &str) -> &str {
        if locale.starts_with("zh") || self.label_en.is_empty() { &self.label_zh } else { &self.label_en }
    }
}

/// Checks a choice an administrator enters: code and Chinese label
/// required; the code without spaces at its ends and unique in its list
/// (`taken`: the codes other entries of the list hold).
pub fn check_choice(code: &str, label_zh: &str, label_en: &str, taken: &[&str]) -> Invalid {
    let mut invalid = Invalid::new();
    invalid.text("code", code, PICK_CODE_MAX);
    invalid.text("label_zh", label_zh, PICK_LABEL_MAX);
    invalid.optional_text("label_en", label_en.trim(), PICK_LABEL_MAX);
    if taken.iter().any(|t| t.eq_ignore_ascii_case(code.trim())) {
        invalid.push(FieldError::new("code", "taken"));
    }
    invalid
}

/// The code a value names in a picklist: the code itself, or the label in
/// either language (case and surrounding spaces do not count). Inactive
/// choices match only `keep` (the value the record already holds).
pub fn resolve_choice<'a>(choices: &'a [Choice], value: &str, keep: Option<&str>) -> Option<&'a str> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    let same = |a: &str| a.trim().to_lowercase() == value.to_lowercase();
    choices
        .iter()
        .filter(|c| c.active || keep == Some(c.code.as_str()))
        .find(|c| c.code == value)
        .or_else(|| {
            choices
                .iter()
                .filter(|c| c.active || keep == Some(c.code.as_str()))
                .find(|c| same(&c.code) || same(&c.label_zh) || (!c.label_en.is_empty() && same(&c.label_en)))
        })
        .map(|c| c.code.as_str())
}

/// Checks an optional picklist value and returns the code to store: a
/// value naming no (active) choice is refused with `unknown_choice`,
/// unless it is the value the record already holds (`keep`), which stays.
pub fn check_pick(
    invalid: &mut Invalid,
    field: &str,
    choices: &[Choice],
    value: Option<&str>,
    keep: Option<&str>,
) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty())?;
    if keep == Some(value) {
        return Some(value.to_owned());
    }
    match resolve_choice(choices, value, keep) {
        Some(code) => Some(code.to_owned()),
        None => {
            invalid.push(FieldError::new(field, "unknown_choice"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credit_codes_with_the_right_check_character_pass() {
        // 9·1 + 1·3 + 3·9 + 5·27 + 0·19 + 1·26 + 0 + 0 + M(21)·20 + 0 + 0 + 0
        // + 1·8 + 0 + 0 + Y(30)·30 + 4·28 = 1640; 1640 mod 31 = 28;
        // 31 − 28 = 3 → '3'.
        assert_eq!(parse_credit_code("91350100M000100Y43"), Ok("91350100M000100Y43".into()));
        // 9·1 + 1·3 + 3·9 + 1·27 = 66; 66 mod 31 = 4; 31 − 4 = 27 → 'U'.
        assert_eq!(credit_code_check_char("91310000000000000"), Some('U'));
        assert_eq!(parse_credit_code("91310000000000000U"), Ok("91310000000000000U".into()));
        // 3·9 + 1·27 = 54; 54 mod 31 = 23; 31 − 23 = 8.
        assert_eq!(credit_code_check_char("00310000000000000"), Some('8'));
        // A sum that is a multiple of 31 checks with 0: 31·1 is not a
        // value, but 1·3 + 1·9 + 1·19 = 31 → 0.
        assert_eq!(credit_code_check_char("01101000000000000"), Some('0'));
    }

    #[test]
    fn lowercase_and_spaces_are_accepted_and_stored_in_capitals() {
        assert_eq!(parse_credit_code(" 91350100m000100y43 "), Ok("91350100M000100Y43".into()));
    }

    #[test]
    fn credit_codes_refused_say_why() {
        assert_eq!(parse_credit_code("91350100M000100Y44"), Err("credit_code_check"));
        assert_eq!(parse_credit_code("91350100M000100Y4"), Err("credit_code_length"));
        assert_eq!(parse_credit_code("91350100M000100Y433"), Err("credit_code_length"));
        // I, O, S, V and Z are not in the code's set.
        assert_eq!(parse_credit_code("91350100I000100Y43"), Err("credit_code_chars"));
        assert_eq!(parse_credit_code("91350100O000100Y43"), Err("credit_code_chars"));
        // The administrative division is digits.
        assert_eq!(parse_credit_code("9135A100M000100Y43"), Err("credit_code_chars"));
        assert_eq!(
            parse_credit_code("９１350100M000100Y43"),
            Err("credit_code_chars"),
            "full-width digits are not the code's"
        );
        let mut invalid = Invalid::new();
        assert_eq!(check_credit_code(&mut invalid, "credit_code", Some("  ")), None);
        assert!(invalid.is_empty(), "blank is no code, not an error");
        check_credit_code(&mut invalid, "credit_code", Some("123"));
        assert_eq!(invalid.0[0].code, "credit_code_length");
    }

    #[test]
    fn websites_get_a_scheme_and_need_a_host() {
        assert_eq!(parse_website("www.huaxin.cn"), Ok("https://www.huaxin.cn".into()));
        assert_eq!(parse_website(" http://huaxin.cn/about "), Ok("http://huaxin.cn/about".into()));
        assert_eq!(parse_website("HTTPS://Huaxin.cn"), Ok("HTTPS://Huaxin.cn".into()));
        assert_eq!(parse_website("华信.中国"), Ok("https://华信.中国".into()));
        assert_eq!(parse_website("javascript:alert(1)"), Err("invalid_website"));
        assert_eq!(parse_website("ftp://huaxin.cn"), Err("invalid_website"));
        assert_eq!(parse_website("huaxin"), Err("invalid_website"));
        assert_eq!(parse_website("huaxin .cn"), Err("invalid_website"));
        assert_eq!(parse_website(&format!("{}.cn", "a".repeat(200))), Err("too_long"));
    }

    fn choices() -> Vec<Choice> {
        let c = |code: &str, zh: &str, en: &str, active| Choice {
            code: code.into(),
            label_zh: zh.into(),
            label_en: en.into(),
            active,
        };
        vec![
            c("manufacturing", "制造业", "Manufacturing", true),
            c("机械", "机械", "", true),
            c("old", "旧行业", "Old", false),
        ]
    }

    #[test]
    fn picklist_values_match_by_code_or_either_label() {
        let list = choices();
        assert_eq!(resolve_choice(&list, "manufacturing", None), Some("manufacturing"));
        assert_eq!(resolve_choice(&list, "制造业", None), Some("manufacturing"));
        assert_eq!(resolve_choice(&list, " MANUFACTURING ", None), Some("manufacturing"));
        assert_eq!(resolve_choice(&list, "机械", None), Some("机械"));
        assert_eq!(resolve_choice(&list, "旧行业", None), None, "inactive choices are not offered");
        assert_eq!(resolve_choice(&list, "旧行业", Some("old")), Some("old"), "but a record keeps its own");
        let mut invalid = Invalid::new();
        assert_eq!(check_pick(&mut invalid, "industry", &list, Some("old"), Some("old")), Some("old".into()));
        assert_eq!(check_pick(&mut invalid, "industry", &list, Some(""), None), None);
        assert!(invalid.is_empty());
        assert_eq!(check_pick(&mut invalid, "industry", &list, Some("航天"), None), None);
        assert_eq!(invalid.0[0].code, "unknown_choice");
        assert_eq!(list[0].label("en"), "Manufacturing");
        assert_eq!(list[1].label("en"), "机械", "no English label: the Chinese one");
    }

    #[test]
    fn choices_need_a_unique_code_and_a_chinese_label() {
        assert!(check_choice("retail", "零售", "Retail", &["manufacturing"]).is_empty());
        let refused = check_choice("Manufacturing", "", "", &["manufacturing"]);
        let codes: Vec<&str> = refused.0.iter().map(|e| e.code.as_str()).collect();
        assert_eq!(codes, ["required", "taken"]);
    }
}
