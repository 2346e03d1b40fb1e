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

impl MoneyError {
    /// The field error for a page's money field (parsed by
    /// [`Money::parse_lenient`]): `invalid_money_input` (the message names
    /// the accepted forms), `money_too_precise`, or `amount_too_large`.
    pub fn form_field(&self, field: &str) -> crate::FieldError {
        match self {
            MoneyError::Malformed => crate::FieldError::new(field, "invalid_money_input"),
            MoneyError::TooPrecise => crate::FieldError::new(field, "money_too_precise"),
            MoneyError::OutOfRange => self.field(field),
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

    /// Parses an amount typed into a page's money field, as Chinese users
    /// write it: `30万`, `1.5亿`, `1,000,000`, `¥1,000`, `￥ 2.5万`,
    /// `30万元`, full-width digits and punctuation (`３０万`, `１，０００`),
    /// spaces around the symbol, the sign and the unit, and spaces as
    /// thousands separators (`1 000 000`). A `-` may stand before or after
    /// the symbol. After the unit is applied at most two decimals may
    /// remain (`1.23456万` is 12345.60, `1.2345678万` is too precise).
    ///
    /// Anything that could be read two ways is refused rather than
    /// guessed: misplaced separators (`1,0`, `1,00,000`), a `.` used as a
    /// group separator (`1.000.000`), a decimal comma (`1.000,50`), two
    /// units (`3万亿` is refused: write `30000亿`), a unit without digits,
    /// other currencies' symbols (`$`), or any other letter.
    ///
    /// The JSON API does not use this: it takes [`Money::parse_strict`].
    pub fn parse_lenient(text: &str) -> Result<Money, MoneyError> {
        // Full-width forms to ASCII, every kind of space to one space.
        let normal: String = text
            .chars()
            .map(|c| match c {
                '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
                '，' => ',',
                '．' | '。' => '.',
                '－' | '−' => '-',
                '＋' => '+',
                '￥' => '¥',
                c if c.is_whitespace() => ' ',
                c => c,
            })
            .collect();
        let mut rest = normal.trim();
        let take_sign = |rest: &mut &str| {
            if let Some(r) = rest.strip_prefix('-') {
                *rest = r.trim_start();
                Some(true)
            } else if let Some(r) = rest.strip_prefix('+') {
                *rest = r.trim_start();
                Some(false)
            } else {
                None
            }
        };
        let before = take_sign(&mut rest);
        if let Some(r) = rest.strip_prefix('¥') {
            rest = r.trim_start();
        }
        let after = take_sign(&mut rest);
        let negative = match (before, after) {
            (Some(_), Some(_)) => return Err(MoneyError::Malformed),
            (Some(n), None) | (None, Some(n)) => n,
            (None, None) => false,
        };
        if let Some(r) = rest.strip_suffix('元') {
            rest = r.trim_end();
        }
        // The unit: 万 is 10^4, 亿 is 10^8 (in yuan).
        let mut exponent = 0u32;
        for (unit, e) in [('万', 4), ('亿', 8)] {
            if let Some(r) = rest.strip_suffix(unit) {
                rest = r.trim_end();
                exponent = e;
                break;
            }
        }
        if rest.is_empty() {
            return Err(MoneyError::Malformed);
        }
        // Only digits, one `.`, and group separators (`,` or a space, not both) remain.
        if rest.chars().any(|c| !(c.is_ascii_digit() || c == '.' || c == ',' || c == ' ')) {
            return Err(MoneyError::Malformed);
        }
        if rest.contains(',') && rest.contains(' ') {
            return Err(MoneyError::Malformed);
        }
        if rest.matches('.').count() > 1 {
            return Err(MoneyError::Malformed);
        }
        let (whole, frac) = rest.split_once('.').unwrap_or((rest, ""));
        if frac.contains([',', ' ']) {
            return Err(MoneyError::Malformed);
        }
        // Without a unit, `1.500` could be a thousand and a half to some
        // readers: more than two decimals are refused, as everywhere else.
        if exponent == 0 && frac.len() > 2 {
            return Err(MoneyError::TooPrecise);
        }
        let separator = if whole.contains(',') {
            Some(',')
        } else if whole.contains(' ') {
            Some(' ')
        } else {
            None
        };
        if let Some(sep) = separator {
            let mut groups = whole.split(sep);
            let first = groups.next().unwrap_or("");
            if first.is_empty() || first.len() > 3 || groups.any(|g| g.len() != 3) {
                return Err(MoneyError::Malformed);
            }
        }
        let whole: String = whole.chars().filter(char::is_ascii_digit).collect();
        if whole.is_empty() && frac.is_empty() {
            return Err(MoneyError::Malformed);
        }
        // Exact: the digits as one integer, scaled by 10^(2 + exponent - decimals).
        let digits = format!("{whole}{frac}");
        let digits = digits.trim_start_matches('0');
        let shift = 2 + exponent as i64 - frac.len() as i64;
        let minor: i128 = if digits.is_empty() {
            0
        } else {
            if digits.len() > 30 {
                return Err(MoneyError::OutOfRange);
            }
            let value: i128 = digits.parse().map_err(|_| MoneyError::Malformed)?;
            if shift >= 0 {
                value.checked_mul(10i128.pow(shift as u32)).ok_or(MoneyError::OutOfRange)?
            } else {
                let divisor = 10i128.checked_pow((-shift) as u32).ok_or(MoneyError::TooPrecise)?;
                if value % divisor != 0 {
                    return Err(MoneyError::TooPrecise);
                }
                value / divisor
            }
        };
        let minor = if negative { -minor } else { minor };
        let minor = i64::try_from(minor).map_err(|_| MoneyError::OutOfRange)?;
        let money = Money(minor);
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

    /// A large amount short, to one decimal (rounded half up, a trailing
    /// `.0` dropped): `¥30.5万`, `¥1.2亿`, `¥3万亿` in [`ShortStyle::Wan`];
    /// `¥305K`, `¥1.2M`, `¥3B`, `¥3T` in [`ShortStyle::Thousands`]. `None`
    /// below 10,000 in the major unit, where the exact amount is as short.
    pub fn short(self, symbol: &str, style: ShortStyle) -> Option<String> {
        let abs = i128::from(self.0).abs();
        // The units in minor units (×100), smallest first.
        let units: &[(i128, &str)] = match style {
            ShortStyle::Wan => &[(1_000_000, "万"), (10_000_000_000, "亿"), (100_000_000_000_000, "万亿")],
            ShortStyle::Thousands => {
                &[(100_000, "K"), (100_000_000, "M"), (100_000_000_000, "B"), (100_000_000_000_000, "T")]
            }
        };
        if abs < 1_000_000 {
            return None;
        }
        // The largest unit the amount reaches, moved up when rounding makes
        // it the next unit's one (9999.96万 is 1亿, not 10000.0万).
        let mut i = units.iter().rposition(|(u, _)| abs >= *u)?;
        let tenths = |u: i128| (abs * 10 + u / 2) / u;
        if let Some((next, _)) = units.get(i + 1)
            && tenths(units[i].0) * units[i].0 >= *next * 10
        {
            i += 1;
        }
        let (unit, name) = units[i];
        let t = tenths(unit);
        let figure = if t % 10 == 0 { format!("{}", t / 10) } else { format!("{}.{}", t / 10, t % 10) };
        let sign = if self.0 < 0 { "-" } else { "" };
        Some(format!("{sign}{symbol}{figure}{name}"))
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

/// How [`Money::short`] shortens: Chinese 万 / 亿, or thousands (K, M, B).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShortStyle {
    Wan,
    Thousands,
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
    fn page_fields_read_amounts_as_chinese_users_write_them() {
        let ok = |text: &str, minor: i64| assert_eq!(Money::parse_lenient(text), Ok(Money(minor)), "{text}");
        ok("30万", 30_000_000);
        ok("1.5亿", 15_000_000_000);
        ok("1,000,000", 100_000_000);
        ok("¥1,000", 100_000);
        ok("￥ 2.5万", 2_500_000);
        ok(" 30 万 ", 30_000_000);
        ok("30万元", 30_000_000);
        ok("1000元", 100_000);
        ok("３０万", 30_000_000);
        ok("１，０００．５", 100_050);
        ok("1 000 000", 100_000_000);
        ok("1\u{3000}000", 100_000);
        ok("12500", 1_250_000);
        ok("12500.5", 1_250_050);
        ok(".5", 50);
        ok("-¥1,000", -100_000);
        ok("¥-1,000", -100_000);
        ok("-2万", -2_000_000);
        ok("1.23456万", 1_234_560);
        ok("1,234.5万", 1_234_500_000);
        ok("0", 0);
        ok("0.00万", 0);
        ok("100000亿", MAX_MINOR);
        ok("10000000000000", MAX_MINOR);
        let err = |text: &str, e: MoneyError| assert_eq!(Money::parse_lenient(text), Err(e), "{text}");
        for text in [
            "",
            "万",
            "¥",
            "元",
            ".",
            "1,0",
            "1,00,000",
            ",100",
            "1000,000",
            "1.000.000",
            "1.000,50",
            "1,000 000",
            "3万亿",
            "3万万",
            "1e5",
            "$100",
            "30w",
            "abc",
            "--5",
            "-¥-5",
            "1 5",
            "1.5.万",
            "万30",
        ] {
            err(text, MoneyError::Malformed);
        }
        err("1.234", MoneyError::TooPrecise);
        err("1.2345678万", MoneyError::TooPrecise);
        err("1.00000000001亿", MoneyError::TooPrecise);
        err("1000000亿", MoneyError::OutOfRange);
        err("10000000000000.01", MoneyError::OutOfRange);
        err("99999999999999999999999999999999999亿", MoneyError::OutOfRange);
        // The page's error names the field and says what is accepted.
        assert_eq!(MoneyError::Malformed.form_field("amount").code, "invalid_money_input");
        assert_eq!(MoneyError::TooPrecise.form_field("amount").code, "money_too_precise");
        assert_eq!(MoneyError::OutOfRange.form_field("amount").code, "amount_too_large");
    }

    #[test]
    fn large_amounts_short() {
        let wan = |minor: i64| Money(minor).short("¥", ShortStyle::Wan);
        let k = |minor: i64| Money(minor).short("¥", ShortStyle::Thousands);
        assert_eq!(wan(999_999), None, "below 10,000: exact");
        assert_eq!(wan(1_000_000).as_deref(), Some("¥1万"));
        assert_eq!(wan(30_500_000).as_deref(), Some("¥30.5万"));
        assert_eq!(wan(30_000_000).as_deref(), Some("¥30万"));
        assert_eq!(wan(12_345_600).as_deref(), Some("¥12.3万"));
        assert_eq!(wan(12_000_000_000).as_deref(), Some("¥1.2亿"));
        assert_eq!(wan(9_999_960_000).as_deref(), Some("¥1亿"), "rounds up into the next unit");
        assert_eq!(wan(-250_000_000).as_deref(), Some("-¥250万"));
        assert_eq!(wan(MAX_MINOR).as_deref(), Some("¥10万亿"));
        assert_eq!(k(30_500_000).as_deref(), Some("¥305K"));
        assert_eq!(k(12_000_000_000).as_deref(), Some("¥120M"));
        assert_eq!(k(99_996_000).as_deref(), Some("¥1M"));
        assert_eq!(k(150_000_000_000).as_deref(), Some("¥1.5B"));
        assert_eq!(k(1_250_000).as_deref(), Some("¥12.5K"));
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
