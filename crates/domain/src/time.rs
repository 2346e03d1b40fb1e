//! Dates and instants as people and programs send them: one parser for
//! "an RFC 3339 instant or a day", used by every API and page.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use crate::settings::Settings;

/// Where "now" comes from: the system clock, or a fixed instant that tests
/// set and move (a report test must not depend on the hour it runs at).
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// `None`: the system clock.
    fixed: Option<Arc<Mutex<DateTime<Utc>>>>,
}

impl Clock {
    pub fn system() -> Clock {
        Clock { fixed: None }
    }

    /// A clock that stays at `at` until [`Clock::set`] moves it (clones share it).
    pub fn fixed(at: DateTime<Utc>) -> Clock {
        Clock { fixed: Some(Arc::new(Mutex::new(at))) }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &self.fixed {
            None => Utc::now(),
            Some(at) => *at.lock().unwrap_or_else(|poisoned| poisoned.into_inner()),
        }
    }

    /// Moves a fixed clock to `at`; the system clock cannot be moved.
    pub fn set(&self, at: DateTime<Utc>) {
        if let Some(fixed) = &self.fixed {
            *fixed.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = at;
        }
    }
}

/// Years a date may have: four digits, from 0001 (year 0000, negative
/// years and years past 9999 are typing mistakes or probes, and not every
/// backend or client takes them).
pub const YEARS: std::ops::RangeInclusive<i32> = 1..=9999;

/// Whether a day is within [`YEARS`].
pub fn day_in_range(day: NaiveDate) -> bool {
    YEARS.contains(&day.year())
}

/// A day written `YYYY-MM-DD`: exactly four digits of year (0001–9999),
/// two of month and two of day, nothing else (surrounding space is trimmed).
pub fn parse_day(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    let b = text.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().filter(|d| day_in_range(*d))
}

/// An RFC 3339 instant (`2026-03-01T09:30:00+08:00`) with a year in
/// [`YEARS`], as UTC.
pub fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    // Four digits of year first: chrono reads no sign, but say so here.
    if !text.as_bytes().get(..4).is_some_and(|y| y.iter().all(u8::is_ascii_digit)) {
        return None;
    }
    let at = DateTime::parse_from_rfc3339(text).ok()?;
    // The local year and the UTC year must both be within range.
    (YEARS.contains(&at.year()) && YEARS.contains(&at.with_timezone(&Utc).year())).then(|| at.with_timezone(&Utc))
}

/// For `#[serde(default, deserialize_with = "…")]` on an `Option<NaiveDate>`
/// field of a body or query: a day by [`parse_day`] (four-digit years),
/// not chrono's own reading (which takes year 0 and signed years).
pub fn optional_day<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    let text: Option<String> = serde::Deserialize::deserialize(d)?;
    match text.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => parse_day(t)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("not a day YYYY-MM-DD (years 0001-9999): {t}"))),
    }
}

// ---------------------------------------------------------------- days of the company

fn tz(settings: &Settings) -> Tz {
    settings.time_zone.parse().unwrap_or(chrono_tz::Asia::Shanghai)
}

/// Midnight at the start of a day in the company's time zone.
pub fn start_of_day(settings: &Settings, day: NaiveDate) -> Option<DateTime<Utc>> {
    tz(settings).from_local_datetime(&day.and_hms_opt(0, 0, 0)?).earliest().map(|t| t.with_timezone(&Utc))
}

/// The last minute of a day in the company's time zone: a task due "on
/// the 12th" is overdue only once the 12th is over.
pub fn end_of_day(settings: &Settings, day: NaiveDate) -> Option<DateTime<Utc>> {
    let next = start_of_day(settings, day.succ_opt()?)?;
    Some(next - Duration::minutes(1))
}

/// The company-time day an instant falls on.
pub fn local_day(settings: &Settings, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&tz(settings)).date_naive()
}

/// The morning (09:00 company time) of a day: when reminders of that day
/// go out.
pub fn morning_of(settings: &Settings, day: NaiveDate) -> Option<DateTime<Utc>> {
    tz(settings).from_local_datetime(&day.and_hms_opt(9, 0, 0)?).earliest().map(|t| t.with_timezone(&Utc))
}

/// When a follow-up due at `due_at` reminds its person: the morning of its
/// company-time day, or the due time itself when that is earlier (a
/// follow-up at 08:00 reminds at 08:00, not after it).
pub fn reminder_time(settings: &Settings, due_at: DateTime<Utc>) -> DateTime<Utc> {
    morning_of(settings, local_day(settings, due_at)).filter(|m| *m < due_at).unwrap_or(due_at)
}

/// What a field that takes "an instant or a day" was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayOrInstant {
    Day(NaiveDate),
    Instant(DateTime<Utc>),
}

/// An RFC 3339 instant or a day `YYYY-MM-DD` (see [`parse_day`],
/// [`parse_instant`]); `None` when it is neither.
pub fn parse_day_or_instant(text: &str) -> Option<DayOrInstant> {
    parse_instant(text).map(DayOrInstant::Instant).or_else(|| parse_day(text).map(DayOrInstant::Day))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shanghai() -> Settings {
        Settings { time_zone: "Asia/Shanghai".to_owned(), ..Settings::default() }
    }

    #[test]
    fn days_end_in_the_companys_time_zone() {
        let s = shanghai();
        let day = NaiveDate::from_ymd_opt(2026, 3, 12).unwrap();
        // Midnight in Shanghai is 16:00 UTC the day before.
        assert_eq!(start_of_day(&s, day), parse_instant("2026-03-11T16:00:00Z"));
        assert_eq!(end_of_day(&s, day), parse_instant("2026-03-12T15:59:00Z"));
        assert_eq!(local_day(&s, parse_instant("2026-03-11T16:00:00Z").unwrap()), day);
        assert_eq!(local_day(&s, parse_instant("2026-03-11T15:59:59Z").unwrap()), day.pred_opt().unwrap());
    }

    #[test]
    fn a_follow_up_reminds_in_the_morning_or_at_its_time_if_earlier() {
        let s = shanghai();
        // Due 15:00 Shanghai: reminded at 09:00 Shanghai (01:00 UTC).
        let afternoon = parse_instant("2026-03-12T07:00:00Z").unwrap();
        assert_eq!(reminder_time(&s, afternoon), parse_instant("2026-03-12T01:00:00Z").unwrap());
        // Due 08:00 Shanghai: reminded at 08:00.
        let early = parse_instant("2026-03-12T00:00:00Z").unwrap();
        assert_eq!(reminder_time(&s, early), early);
        // Exactly 09:00: at 09:00.
        let nine = parse_instant("2026-03-12T01:00:00Z").unwrap();
        assert_eq!(reminder_time(&s, nine), nine);
    }

    #[test]
    fn a_fixed_clock_stays_until_moved() {
        let at = parse_instant("2026-03-01T09:30:00Z").unwrap();
        let clock = Clock::fixed(at);
        let shared = clock.clone();
        assert_eq!(clock.now(), at);
        shared.set(at + chrono::Duration::hours(1));
        assert_eq!(clock.now(), at + chrono::Duration::hours(1));
        assert!(Clock::system().now() > at);
    }

    #[test]
    fn days_have_four_digit_years_from_0001() {
        assert_eq!(parse_day("2026-03-01"), NaiveDate::from_ymd_opt(2026, 3, 1));
        assert_eq!(parse_day(" 0001-01-01 "), NaiveDate::from_ymd_opt(1, 1, 1));
        assert_eq!(parse_day("9999-12-31"), NaiveDate::from_ymd_opt(9999, 12, 31));
        for bad in
            ["0000-01-01", "-0001-01-01", "+2026-03-01", "10000-01-01", "2026-3-1", "2026-02-30", "", "2026-03-01x"]
        {
            assert_eq!(parse_day(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn instants_are_rfc3339_within_the_years() {
        let at = parse_instant("2026-03-01T09:30:00+08:00").unwrap();
        assert_eq!(at.to_rfc3339(), "2026-03-01T01:30:00+00:00");
        for bad in ["0000-01-01T00:00:00Z", "-0001-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "2026-03-01"] {
            assert_eq!(parse_instant(bad), None, "{bad:?}");
        }
        assert!(matches!(parse_day_or_instant("2026-03-01"), Some(DayOrInstant::Day(_))));
        assert!(matches!(parse_day_or_instant("2026-03-01T00:00:00Z"), Some(DayOrInstant::Instant(_))));
        assert_eq!(parse_day_or_instant("0000-03-01"), None);
    }
}
