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

impl Money {
    pub fn minor(self) -> i64 {
        self.0
    }

    /// Parses `"12500"`, `"12500.5"`, `"-3.25"`, `"1,234.00"`.
    pub fn parse(text: &str) -> Result<Money, MoneyError> {
        let text: String = text.trim().chars().filter(|c| *c != ',').collect();
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.as_str()),
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
        Ok(Money(if negative { -minor } else { minor }))
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
        assert_eq!(Money::parse(".5").unwrap(), Money(50));
        assert_eq!(Money::parse("1.234"), Err(MoneyError::TooPrecise));
        assert_eq!(Money::parse("abc"), Err(MoneyError::Malformed));
        assert_eq!(Money::parse(""), Err(MoneyError::Malformed));
        assert_eq!(Money::parse("99999999999999999999"), Err(MoneyError::OutOfRange));
        assert_eq!(Money(1_250_000).to_string(), "12500.00");
        assert_eq!(Money(-5).to_string(), "-0.05");
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
