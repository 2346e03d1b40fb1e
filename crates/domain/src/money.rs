//! Exact money: integer minor units (cents, 分), never floating point.

use std::fmt;

/// An amount in minor units of the company's currency (2 decimals).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(pub i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("not a decimal amount")]
    Malformed,
    #[error("more than two decimals")]
    TooPrecise,
    #[error("amount out of range")]
    OutOfRange,
}

/// The largest amount anywhere (10^13 in the major unit, 10^15 minor
/// units): far above any deal, and low enough that sums of many such
/// amounts stay exact in `i128` and the pieces SQL sums them in
/// ([`split_sum_sql`]) never overflow.
pub const MAX_MINOR: i64 = 1_000_000_000_000_000;

impl MoneyError {
    /// The field error for an amount that could not be taken:
    /// `invalid_amount`, or `amount_too_large` with the bound.
    pub fn field(&self, field: &str) -> crate::FieldError {
        match self {
            MoneyError::OutOfRange => {
                crate::FieldError::new(field, "amount_too_large").with("max", Money::MAX.grouped())
            }
            _ => crate::FieldError::new(field, "invalid_amount"),
        }
    }
}

impl Money {
    pub const MAX: Money = Money(MAX_MINOR);

    pub fn minor(self) -> i64 {
        self.0
    }

    /// Whether the amount is within the domain's bounds (±[`Money::MAX`]).
    pub fn in_range(self) -> bool {
        self.0.unsigned_abs() <= MAX_MINOR.unsigned_abs()
    }

    /// Parses an amount typed by a person or read from a file:
    /// `"12500"`, `"12500.5"`, `"-3.25"`, and thousands separators where
    /// they belong (`"1,234.00"`, not `"1,0"`). Beyond ±[`Money::MAX`] is
    /// out of range.
    pub fn parse(text: &str) -> Result<Money, MoneyError> {
        let text = text.trim();
        let (sign, rest) = match text.strip_prefix('-') {
            Some(rest) => ("-", rest),
            None => ("", text),
        };
        let (whole, frac) = rest.split_once('.').unwrap_or((rest, ""));
        if whole.contains(',') {
            // Groups of three after the first group of one to three digits.
            let mut groups = whole.split(',');
            let first = groups.next().unwrap_or("");
            if first.is_empty() || first.len() > 3 || groups.any(|g| g.len() != 3) {
                return Err(MoneyError::Malformed);
            }
        }
        let plain: String = whole.chars().filter(|c| *c != ',').collect();
        let dot = if rest.contains('.') { "." } else { "" };
        Money::parse_strict(&format!("{sign}{plain}{dot}{frac}"))
    }

    /// Parses the plain decimal of the API and JSON (`"12500.50"`,
    /// `"-3"`): digits, an optional `.` and at most two decimals; no group
    /// separators (`"1,000"` is refused, not read as 1000).
    /// Beyond ±[`Money::MAX`] is out of range.
    pub fn parse_strict(text: &str) -> Result<Money, MoneyError> {
        let text = text.trim();
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if whole.is_empty() && frac.is_empty()
            || !whole.chars().all(|c| c.is_ascii_digit())
            || !frac.chars().all(|c| c.is_ascii_digit())
        {
            return Err(MoneyError::Malformed);
        }
        if frac.len() > 2 {
            return Err(MoneyError::TooPrecise);
        }
        let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| MoneyError::OutOfRange)? };
        let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| MoneyError::Malformed)?;
        let minor = whole.checked_mul(100).and_then(|w| w.checked_add(frac)).ok_or(MoneyError::OutOfRange)?;
        let money = Money(if negative { -minor } else { minor });
        if !money.in_range() {
            return Err(MoneyError::OutOfRange);
        }
        Ok(money)
    }

    /// The field error for an amount beyond the bounds, if it is.
    pub fn check(self, field: &str) -> Option<crate::FieldError> {
        (!self.in_range()).then(|| MoneyError::OutOfRange.field(field))
    }

    /// `1234567.00` with thousands separators: `1,234,567.00`.
    pub fn grouped(self) -> String {
        let abs = self.0.unsigned_abs();
        let whole = (abs / 100).to_string();
        let mut out = String::new();
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        let sign = if self.0 < 0 { "-" } else { "" };
        format!("{sign}{out}.{:02}", abs % 100)
    }

    /// With the currency symbol: `¥1,234,567.00`.
    pub fn display(self, symbol: &str) -> String {
        let grouped = self.grouped();
        match grouped.strip_prefix('-') {
            Some(rest) => format!("-{symbol}{rest}"),
            None => format!("{symbol}{grouped}"),
        }
    }

    /// Chinese large-figure style for dashboards: `123.5万`, `1.2亿`.
    pub fn display_wan(self, symbol: &str) -> String {
        let yuan = self.0 as f64 / 100.0;
        let abs = yuan.abs();
        if abs >= 100_000_000.0 {
            format!("{symbol}{:.1}亿", yuan / 100_000_000.0)
        } else if abs >= 10_000.0 {
            format!("{symbol}{:.1}万", yuan / 10_000.0)
        } else {
            self.display(symbol)
        }
    }
}

/// A sum of many amounts, exact however many there are, as the plain
/// decimal of JSON (`12500.00`).
pub fn format_wide(minor: i128) -> String {
    let abs = minor.unsigned_abs();
    let sign = if minor < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// What a SQL sum is split into, so that it cannot overflow on either
/// backend (SQLite's `SUM` of integers fails on overflow, PostgreSQL's
/// `SUM(bigint)` is numeric and fails when cast back to `bigint`): the
/// high and low parts of each value, summed apart and joined again in
/// Rust by [`join_split_sum`]. Each high part of an amount within
/// [`MAX_MINOR`] is at most 10^6 (10^8 times a probability), so a billion
/// rows cannot overflow it; truncating division and remainder keep
/// `a = a / D * D + a % D` for negative values on both backends.
pub const SPLIT: i64 = 1_000_000_000;

/// `CAST(SUM((expr) / D) AS BIGINT), CAST(SUM((expr) % D) AS BIGINT)`: two
/// columns to read with [`join_split_sum`].
pub fn split_sum_sql(expr: &str) -> String {
    format!("CAST(SUM(({expr}) / {SPLIT}) AS BIGINT), CAST(SUM(({expr}) % {SPLIT}) AS BIGINT)")
}

/// The exact sum from the two parts of [`split_sum_sql`].
pub fn join_split_sum(high: i64, low: i64) -> i128 {
    i128::from(high) * i128::from(SPLIT) + i128::from(low)
}

/// The plain decimal string used in JSON: `12500.00`.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let abs = self.0.unsigned_abs();
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        assert_eq!(Money::parse("12500").unwrap(), Money(1_250_000));
        assert_eq!(Money::parse("12500.5").unwrap(), Money(1_250_050));
        assert_eq!(Money::parse("-3.25").unwrap(), Money(-325));
        assert_eq!(Money::parse("1,234.00").unwrap(), Money(123_400));
        assert_eq!(Money::parse("1,234,567").unwrap(), Money(123_456_700));
        assert_eq!(Money::parse("1,0"), Err(MoneyError::Malformed));
        assert_eq!(Money::parse(",100"), Err(MoneyError::Malformed));
        assert_eq!(Money::parse("1000,000"), Err(MoneyError::Malformed));
        assert_eq!(Money::parse(".5").unwrap(), Money(50));
        assert_eq!(Money::parse("1.234"), Err(MoneyError::TooPrecise));
        assert_eq!(Money::parse("abc"), Err(MoneyError::Malformed));
        assert_eq!(Money::parse(""), Err(MoneyError::Malformed));
        assert_eq!(Money::parse("99999999999999999999"), Err(MoneyError::OutOfRange));
        assert_eq!(Money(1_250_000).to_string(), "12500.00");
        assert_eq!(Money(-5).to_string(), "-0.05");
    }

    #[test]
    fn the_api_is_strict_and_amounts_are_bounded() {
        assert_eq!(Money::parse_strict("1,000"), Err(MoneyError::Malformed));
        assert_eq!(Money::parse_strict("1 000"), Err(MoneyError::Malformed));
        assert_eq!(Money::parse_strict("1000.5").unwrap(), Money(100_050));
        assert_eq!(Money::parse_strict("10000000000000").unwrap(), Money::MAX);
        assert_eq!(Money::parse_strict("-10000000000000.00").unwrap(), Money(-MAX_MINOR));
        assert_eq!(Money::parse_strict("10000000000000.01"), Err(MoneyError::OutOfRange));
        assert_eq!(Money::parse("92233720368547758.07"), Err(MoneyError::OutOfRange));
        assert_eq!(Money::parse("10,000,000,000,000.01"), Err(MoneyError::OutOfRange));
        assert!(Money(MAX_MINOR + 1).check("amount").is_some());
        assert!(Money::MAX.check("amount").is_none());
    }

    #[test]
    fn split_sums_are_exact() {
        for values in [vec![MAX_MINOR; 10_000], vec![-7, 3, -1_999_999_999, MAX_MINOR, -MAX_MINOR, 5]] {
            let (high, low): (i64, i64) = values.iter().fold((0, 0), |(h, l), v| (h + v / SPLIT, l + v % SPLIT));
            let exact: i128 = values.iter().map(|v| i128::from(*v)).sum();
            assert_eq!(join_split_sum(high, low), exact);
        }
        assert_eq!(format_wide(i128::from(MAX_MINOR) * 10_000), "100000000000000000.00");
        assert_eq!(format_wide(-5), "-0.05");
    }

    #[test]
    fn formats_for_people() {
        assert_eq!(Money(123_456_700).display("¥"), "¥1,234,567.00");
        assert_eq!(Money(-100_000).display("$"), "-$1,000.00");
        assert_eq!(Money(99_900).grouped(), "999.00");
        assert_eq!(Money(123_450_000).display_wan("¥"), "¥123.5万");
        assert_eq!(Money(12_000_000_000).display_wan("¥"), "¥1.2亿");
        assert_eq!(Money(500_000).display_wan("¥"), "¥5,000.00");
    }
}
