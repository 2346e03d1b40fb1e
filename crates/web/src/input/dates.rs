//! Dates as requests give them: an RFC 3339 instant or a day `YYYY-MM-DD`,
//! a day read in the company's time zone at the edge the field means.

use chrono::{DateTime, Utc};
use salesflow_domain::settings::Settings;
use salesflow_domain::tasks::{end_of_day, start_of_day};
use salesflow_domain::time::{DayOrInstant, parse_day, parse_day_or_instant};
use salesflow_domain::{FieldError, Invalid};

/// Which end of a day a bare date stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayEdge {
    /// 09:00 company time: when work on the day starts.
    Morning,
    /// The day's last minute: due "on the 12th" means by the end of it.
    Evening,
    /// 00:00 company time.
    Midnight,
    /// 00:00 of the next day (an inclusive upper bound).
    NextMidnight,
}

/// An instant given as RFC 3339, or a day `YYYY-MM-DD` in the company's
/// time zone; blank is `None`.
pub fn when(
    text: Option<&str>,
    field: &str,
    company: &Settings,
    edge: DayEdge,
) -> Result<Option<DateTime<Utc>>, FieldError> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
    let bad = || FieldError::new(field, "invalid_date");
    let day = match parse_day_or_instant(text).ok_or_else(bad)? {
        DayOrInstant::Instant(at) => return Ok(Some(at)),
        DayOrInstant::Day(day) => day,
    };
    let at = match edge {
        DayEdge::Morning => company.morning_of(day),
        DayEdge::Evening => end_of_day(company, day),
        DayEdge::Midnight => start_of_day(company, day),
        DayEdge::NextMidnight => day.succ_opt().and_then(|d| start_of_day(company, d)),
    };
    at.map(Some).ok_or_else(bad)
}

/// An instant given as RFC 3339, or a day as `YYYY-MM-DD` (09:00 company time).
pub fn instant_or_day(text: &str, settings: &Settings) -> Option<DateTime<Utc>> {
    match parse_day_or_instant(text)? {
        DayOrInstant::Instant(at) => Some(at),
        DayOrInstant::Day(day) => settings.morning_of(day),
    }
}

/// Parses a follow-up given as an instant or a day. A day means 09:00
/// company time; the same day as the activity but already past 09:00 means
/// right after the activity.
pub fn follow_up(
    text: Option<&str>,
    settings: &Settings,
    occurred_at: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, Invalid> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
    let parsed = parse_day_or_instant(text);
    let day = match parsed.ok_or_else(|| Invalid::one("next_at", "invalid_date"))? {
        DayOrInstant::Instant(at) => return Ok(Some(at)),
        DayOrInstant::Day(day) => day,
    };
    let morning = settings.morning_of(day).ok_or_else(|| Invalid::one("next_at", "invalid_date"))?;
    let same_day = settings.local_input(occurred_at).starts_with(&day.format("%Y-%m-%d").to_string());
    Ok(Some(if same_day { morning.max(occurred_at) } else { morning }))
}

/// A date bound that is neither a day nor an instant.
#[derive(Debug)]
pub struct BadDate;

/// Parses a day or an instant; a day as `to` means the end of that day.
pub fn parse_bound(text: Option<&str>, end: bool) -> Result<Option<DateTime<Utc>>, BadDate> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
    let day = match parse_day_or_instant(text).ok_or(BadDate)? {
        DayOrInstant::Instant(at) => return Ok(Some(at)),
        DayOrInstant::Day(day) => day,
    };
    let day = if end { day.succ_opt().ok_or(BadDate)? } else { day };
    Ok(day.and_hms_opt(0, 0, 0).map(|d| d.and_utc()))
}

/// A day `YYYY-MM-DD` as the start of that day in company time, or with
/// `after` the start of the next (an exclusive upper bound); blank is `None`.
pub fn day_bound(
    settings: &Settings,
    field: &str,
    text: Option<&str>,
    after: bool,
) -> Result<Option<DateTime<Utc>>, Invalid> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
    let day = parse_day(text).ok_or_else(|| Invalid::one(field, "invalid_date"))?;
    let day = if after { day.succ_opt().unwrap_or(day) } else { day };
    settings.start_of(day).map(Some).ok_or_else(|| Invalid::one(field, "invalid_date"))
}
