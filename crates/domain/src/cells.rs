//! Text written into files other programs open: spreadsheet cells.

use std::borrow::Cow;

/// A cell of a CSV file the product writes, safe to open in a spreadsheet
/// (OWASP "CSV injection"): text starting with `=`, `+`, `-`, `@`, a tab
/// or a carriage return would be taken as a formula, so it gets a leading
/// `'`. A plain number (`-5`, `+3`, `-1234.50`) is left as it is: it is
/// not a formula, and negative amounts stay numbers in the spreadsheet.
/// Every CSV writer (exports, reports, the import's rejected rows) passes
/// each cell through this one function.
pub fn csv_safe(cell: &str) -> Cow<'_, str> {
    let risky = matches!(cell.as_bytes().first(), Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r'));
    if risky && !is_plain_number(cell) { Cow::Owned(format!("'{cell}")) } else { Cow::Borrowed(cell) }
}

/// A cell read back from a file: the `'` that [`csv_safe`] put before a
/// text starting with `=`, `+`, `-`, `@`, a tab or a carriage return is
/// taken off again, so an export imports back as it was
/// (`'+86 138 0013 8000` is `+86 138 0013 8000`). Any other `'` stays.
pub fn csv_unescape(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if matches!(rest.as_bytes().first(), Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')) => rest,
        _ => cell,
    }
}

/// `[+-]digits[.digits]`, nothing else.
fn is_plain_number(text: &str) -> bool {
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (whole, frac) = body.split_once('.').unwrap_or((body, ""));
    !whole.is_empty() && whole.bytes().all(|b| b.is_ascii_digit()) && frac.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_csv_safe_escaped_reads_back_as_it_was() {
        for text in ["+86 138 0013 8000", "=1+1", "-", "@home", "\t=1", "上海华信", "'quoted'", "-5", "it's"] {
            assert_eq!(csv_unescape(&csv_safe(text)), text, "{text:?}");
        }
        assert_eq!(csv_unescape("'上海"), "'上海", "an apostrophe before anything else stays");
    }

    #[test]
    fn formulas_are_neutralised_numbers_are_not() {
        for hostile in
            ["=1+1", "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1)", "\t=1", "\r=1", "-", "+86 138"]
        {
            assert_eq!(csv_safe(hostile), format!("'{hostile}"), "{hostile:?}");
        }
        for plain in ["华信", "a=b", " =1", "", "-5", "-1234.50", "+3", "12"] {
            assert_eq!(csv_safe(plain), plain, "{plain:?}");
        }
        assert_eq!(csv_safe("-5."), "-5.");
        assert_eq!(csv_safe("-.5"), "'-.5");
    }
}
