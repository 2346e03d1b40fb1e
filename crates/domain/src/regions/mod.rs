//! The provincial-level divisions of China and their prefecture-level
//! cities, shipped as data (`regions.json`, embedded at build): the
//! customer form's province/city picker and the check of what is saved.
//!
//! A customer stores the short names (`浙江`, `杭州`), as typed in the
//! API's `region` (`浙江 杭州`); full names (`浙江省`, `杭州市`) are read
//! as the short ones. A municipality's city is the municipality itself
//! (`上海 上海`, shown `上海`).

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::validation::{FieldError, Invalid};

const DATA: &str = include_str!("regions.json");

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct Province {
    /// The first two digits of the division code (GB/T 2260).
    pub code: String,
    /// Short name, stored on customers: `浙江`.
    pub name: String,
    /// Official name: `浙江省`.
    pub full: String,
    pub en: String,
    /// Short names of the prefecture-level cities (autonomous prefectures,
    /// leagues and areas by their full names).
    pub cities: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Data {
    provinces: Vec<Province>,
}

fn parse(text: &str) -> Result<Vec<Province>, serde_json::Error> {
    serde_json::from_str::<Data>(text).map(|d| d.provinces)
}

static PROVINCES: LazyLock<Vec<Province>> =
    LazyLock::new(|| parse(DATA).expect("regions/regions.json parses (see the unit tests)"));

/// Every provincial-level division, in the order of their codes.
pub fn provinces() -> &'static [Province] {
    &PROVINCES
}

const SUFFIXES: [&str; 7] = ["特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市"];

/// The province a name means: short (`浙江`), full (`浙江省`) or English
/// (`Zhejiang`).
pub fn province(name: &str) -> Option<&'static Province> {
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    provinces().iter().find(|p| p.name == name || p.full == name || p.en.eq_ignore_ascii_case(name)).or_else(|| {
        let short = SUFFIXES.iter().find_map(|s| name.strip_suffix(s)).unwrap_or(name);
        provinces().iter().find(|p| p.name == short)
    })
}

impl Province {
    /// The city of this province a name means: `杭州` or `杭州市`.
    pub fn city(&self, name: &str) -> Option<&str> {
        let name = name.trim();
        let short = name.strip_suffix('市').unwrap_or(name);
        self.cities.iter().find(|c| c.as_str() == name || c.as_str() == short).map(String::as_str)
    }
}

/// Checks a province and city as entered and returns the names to store
/// (short ones). A province outside the list, or a city not of the
/// province, is refused (`unknown_region`) unless it is what the record
/// already holds (`keep`). A city alone is looked up in every province.
pub fn check_region(
    invalid: &mut Invalid,
    province_in: Option<&str>,
    city_in: Option<&str>,
    keep: (Option<&str>, Option<&str>),
) -> (Option<String>, Option<String>) {
    let clean = |v: Option<&str>| v.map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
    let (p_in, c_in) = (clean(province_in), clean(city_in));
    if (p_in.as_deref(), c_in.as_deref()) == (keep.0, keep.1) {
        return (p_in, c_in);
    }
    let p = match &p_in {
        None => None,
        Some(name) => match province(name) {
            Some(p) => Some(p),
            None if Some(name.as_str()) == keep.0 => {
                // A province kept from before: its city is not checked.
                return (p_in, c_in);
            }
            None => {
                invalid.push(FieldError::new("province", "unknown_region"));
                return (None, None);
            }
        },
    };
    let city = match (&c_in, p) {
        (None, _) => None,
        (Some(c), Some(p)) => match p.city(c) {
            Some(c) => Some(c.to_owned()),
            None => {
                invalid.push(FieldError::new("city", "unknown_region"));
                None
            }
        },
        (Some(c), None) => {
            let found = provinces().iter().find_map(|p| p.city(c).map(|c| (p, c)));
            match found {
                Some((p, c)) => return (Some(p.name.clone()), Some(c.to_owned())),
                None => {
                    invalid.push(FieldError::new("city", "unknown_region"));
                    None
                }
            }
        }
    };
    (p.map(|p| p.name.clone()), city)
}

/// A stored province name as the reader sees it: the English name
/// (`Zhejiang`) for an English reader when the data has one, otherwise
/// as stored. (Cities have no English names in the data and stay as
/// stored.)
pub fn province_label<'a>(stored: &'a str, locale: &str) -> &'a str {
    if locale.starts_with("zh") {
        return stored;
    }
    match province(stored) {
        Some(p) if !p.en.is_empty() => p.en.as_str(),
        _ => stored,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_loads_with_34_provincial_divisions() {
        let all = parse(DATA).unwrap();
        assert_eq!(all.len(), 34);
        let mut codes: Vec<&str> = all.iter().map(|p| p.code.as_str()).collect();
        codes.dedup();
        assert_eq!(codes.len(), 34, "codes unique and in order");
        assert!(all.iter().all(|p| !p.cities.is_empty() && !p.en.is_empty()));
        let cities: usize = all.iter().map(|p| p.cities.len()).sum();
        assert!(cities > 330, "prefecture-level cities: {cities}");
        for p in &all {
            let mut names = p.cities.clone();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), p.cities.len(), "no city twice in {}", p.name);
        }
    }

    #[test]
    fn provinces_and_cities_are_found_by_any_name() {
        assert_eq!(province("浙江省").map(|p| p.name.as_str()), Some("浙江"));
        assert_eq!(province("广西壮族自治区").map(|p| p.name.as_str()), Some("广西"));
        assert_eq!(province("新疆").map(|p| p.full.as_str()), Some("新疆维吾尔自治区"));
        assert_eq!(province("hong kong").map(|p| p.name.as_str()), Some("香港"));
        assert_eq!(province("上海市").and_then(|p| p.city("上海市")), Some("上海"));
        assert_eq!(province("浙江").and_then(|p| p.city("杭州市")), Some("杭州"));
        assert_eq!(province("火星"), None);
    }

    #[test]
    fn regions_are_checked_and_stored_short() {
        let mut invalid = Invalid::new();
        let got = check_region(&mut invalid, Some("浙江省"), Some("杭州市"), (None, None));
        assert_eq!(got, (Some("浙江".into()), Some("杭州".into())));
        let got = check_region(&mut invalid, None, Some("苏州"), (None, None));
        assert_eq!(got, (Some("江苏".into()), Some("苏州".into())), "a city alone names its province");
        assert!(invalid.is_empty());
        check_region(&mut invalid, Some("浙江"), Some("苏州"), (None, None));
        assert_eq!((invalid.0[0].field.as_str(), invalid.0[0].code.as_str()), ("city", "unknown_region"));
        let mut invalid = Invalid::new();
        check_region(&mut invalid, Some("华东"), None, (None, None));
        assert_eq!(invalid.0[0].field, "province");
        let mut invalid = Invalid::new();
        let kept = check_region(&mut invalid, Some("华东"), Some("某地"), (Some("华东"), Some("某地")));
        assert_eq!(kept, (Some("华东".into()), Some("某地".into())), "what a record holds stays");
        assert!(invalid.is_empty());
    }

    #[test]
    fn an_english_reader_sees_the_english_province_names() {
        assert_eq!(province_label("浙江", "en"), "Zhejiang");
        assert_eq!(province_label("新疆", "en"), "Xinjiang");
        assert_eq!(province_label("浙江", "zh-CN"), "浙江");
        assert_eq!(province_label("火星", "en"), "火星", "unknown names stay as stored");
        assert!(provinces().iter().all(|p| !p.en.is_empty() && p.en.is_ascii()), "every division has an English name");
        assert_eq!(provinces().len(), 34);
    }
}
