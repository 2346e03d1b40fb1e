//! Exact quantities and percentages for documents (quotes, orders, stock):
//! fixed-point integers, never floating point. The API writes both as
//! decimal strings (`"12.5"`, `"13"`).

use std::fmt;

/// A quantity of a product in thousandths of its unit (1.5 kg, 2.125 m,
/// 3 pieces): three decimals are enough for every unit we sell in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Quantity(pub i64);

/// A percentage in hundredths of a percent: 13 % is `Percent(1300)`,
/// 12.5 % is `Percent(1250)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Percent(pub i32);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    #[error("not a decimal number")]
    Malformed,
    #[error("too many decimals")]
    TooPrecise,
    #[error("out of range")]
    OutOfRange,
}

impl DecimalError {
    /// The field error: `invalid_number`, `too_precise` (with the number
    /// of decimals allowed) or `out_of_range` (with the bounds).
    pub fn field(self, field: &str, decimals: u32, min: &str, max: &str) -> crate::FieldError {
        match self {
            DecimalError::Malformed => crate::FieldError::new(field, "invalid_number"),
            DecimalError::TooPrecise => crate::FieldError::new(field, "too_precise").with("decimals", decimals),
            DecimalError::OutOfRange => crate::FieldError::new(field, "out_of_range").with("min", min).with("max", max),
        }
    }
}

/// Reads `digits[.digits]` with an optional leading `-` into an integer
/// scaled by 10^`decimals`; at most `decimals` decimals, at most `max` in
/// magnitude.
fn parse_scaled(text: &str, decimals: u32, max: i64) -> Result<i64, DecimalError> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if (whole.is_empty() && frac.is_empty())
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || (digits.contains('.') && frac.is_empty())
    {
        return Err(DecimalError::Malformed);
    }
    if frac.len() > decimals as usize {
        return Err(DecimalError::TooPrecise);
    }
    let scale = 10i64.pow(decimals);
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| DecimalError::OutOfRange)? };
    let frac: i64 = if decimals == 0 {
        0
    } else {
        format!("{frac:0<width$}", width = decimals as usize).parse().map_err(|_| DecimalError::Malformed)?
    };
    let value = whole.checked_mul(scale).and_then(|w| w.checked_add(frac)).ok_or(DecimalError::OutOfRange)?;
    if value > max {
        return Err(DecimalError::OutOfRange);
    }
    Ok(if negative { -value } else { value })
}

/// Writes a scaled integer as a decimal without trailing zeros: `12.5`, `3`.
fn format_scaled(value: i64, decimals: u32, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let scale = 10u64.pow(decimals);
    let sign = if value < 0 { "-" } else { "" };
    let abs = value.unsigned_abs();
    let (whole, frac) = (abs / scale, abs % scale);
    if frac == 0 {
        return write!(f, "{sign}{whole}");
    }
    let frac = format!("{frac:0width$}", width = decimals as usize);
    write!(f, "{sign}{whole}.{}", frac.trim_end_matches('0'))
}

impl Quantity {
    /// Thousandths per unit.
    pub const SCALE: i64 = 1000;
    /// The largest quantity anywhere: a billion units.
    pub const MAX: Quantity = Quantity(1_000_000_000 * Quantity::SCALE);
    pub const ZERO: Quantity = Quantity(0);

    pub fn units(whole: i64) -> Quantity {
        Quantity(whole * Self::SCALE)
    }

    /// Parses `"12"`, `"1.5"`, `"0.125"`; negative values parse (an
    /// adjustment may take stock out); beyond ±[`Quantity::MAX`] is out of range.
    pub fn parse(text: &str) -> Result<Quantity, DecimalError> {
        parse_scaled(text, 3, Self::MAX.0).map(Quantity)
    }

    /// A quantity a document line may hold: more than zero, at most the maximum.
    pub fn check_positive(self, field: &str) -> Option<crate::FieldError> {
        (self.0 <= 0).then(|| crate::FieldError::new(field, "must_be_positive"))
    }

    pub fn is_positive(self) -> bool {
        self.0 > 0
    }

    pub fn min(self, other: Quantity) -> Quantity {
        Quantity(self.0.min(other.0))
    }
}

impl std::ops::Add for Quantity {
    type Output = Quantity;
    fn add(self, other: Quantity) -> Quantity {
        Quantity(self.0 + other.0)
    }
}

impl std::ops::Sub for Quantity {
    type Output = Quantity;
    fn sub(self, other: Quantity) -> Quantity {
        Quantity(self.0 - other.0)
    }
}

impl std::ops::Neg for Quantity {
    type Output = Quantity;
    fn neg(self) -> Quantity {
        Quantity(-self.0)
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        format_scaled(self.0, 3, f)
    }
}

impl Percent {
    pub const ZERO: Percent = Percent(0);
    pub const HUNDRED: Percent = Percent(10_000);

    /// Parses `"13"`, `"12.5"`, `"0.05"` as a percentage between 0 and 100
    /// with at most two decimals.
    pub fn parse(text: &str) -> Result<Percent, DecimalError> {
        match parse_scaled(text, 2, Self::HUNDRED.0 as i64)? {
            v if v < 0 => Err(DecimalError::OutOfRange),
            v => Ok(Percent(v as i32)),
        }
    }

    /// The field error of a percentage that did not parse (0 to 100, two decimals).
    pub fn field_error(error: DecimalError, field: &str) -> crate::FieldError {
        error.field(field, 2, "0", "100")
    }

    pub fn hundredths(self) -> i32 {
        self.0
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        format_scaled(self.0 as i64, 2, f)
    }
}

/// `numerator / denominator` rounded half away from zero (the rounding of
/// Chinese invoices, 四舍五入); `denominator` is positive.
pub fn div_round(numerator: i128, denominator: i128) -> i128 {
    debug_assert!(denominator > 0);
    let half = denominator / 2;
    if numerator >= 0 { (numerator + half) / denominator } else { -((-numerator + half) / denominator) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_parse_with_three_decimals_and_print_without_trailing_zeros() {
        assert_eq!(Quantity::parse("12"), Ok(Quantity(12_000)));
        assert_eq!(Quantity::parse("1.5"), Ok(Quantity(1_500)));
        assert_eq!(Quantity::parse(" 0.125 "), Ok(Quantity(125)));
        assert_eq!(Quantity::parse("-2"), Ok(Quantity(-2_000)));
        assert_eq!(Quantity::parse("1.2345"), Err(DecimalError::TooPrecise));
        for bad in ["", "-", ".", "1.", "1,000", "1e3", "abc", "1.2.3", "+1"] {
            assert_eq!(Quantity::parse(bad), Err(DecimalError::Malformed), "{bad}");
        }
        assert_eq!(Quantity::parse("1000000001"), Err(DecimalError::OutOfRange));
        assert_eq!(Quantity::parse("99999999999999999999"), Err(DecimalError::OutOfRange));
        assert_eq!(Quantity(1_500).to_string(), "1.5");
        assert_eq!(Quantity(12_000).to_string(), "12");
        assert_eq!(Quantity(125).to_string(), "0.125");
        assert_eq!(Quantity(-2_050).to_string(), "-2.05");
    }

    #[test]
    fn percentages_stay_between_zero_and_a_hundred() {
        assert_eq!(Percent::parse("13"), Ok(Percent(1300)));
        assert_eq!(Percent::parse("12.5"), Ok(Percent(1250)));
        assert_eq!(Percent::parse("100"), Ok(Percent::HUNDRED));
        assert_eq!(Percent::parse("100.01"), Err(DecimalError::OutOfRange));
        assert_eq!(Percent::parse("-1"), Err(DecimalError::OutOfRange));
        assert_eq!(Percent::parse("0.125"), Err(DecimalError::TooPrecise));
        assert_eq!(Percent(1250).to_string(), "12.5");
        assert_eq!(Percent(1300).to_string(), "13");
        let error = Percent::field_error(DecimalError::OutOfRange, "discount_percent");
        assert_eq!(error.code, "out_of_range");
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(div_round(5, 10), 1);
        assert_eq!(div_round(4, 10), 0);
        assert_eq!(div_round(15, 10), 2);
        assert_eq!(div_round(-5, 10), -1);
        assert_eq!(div_round(-4, 10), 0);
    }
}
