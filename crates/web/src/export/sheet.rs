//! The one writer of every export's cells, lists and reports alike: typed
//! cells written as typed Excel cells (money as numbers in the currency
//! format, dates as dates in the company's time zone and date format,
//! yes/no as booleans) on a named sheet with a bold, filtered and frozen
//! header and fitted column widths; and the same cells as CSV text (dates
//! in the company's date format, money as a plain decimal).

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use rust_xlsxwriter::{ExcelDateTime, Format as XFormat, FormatAlign, Worksheet, XlsxError};
use salesflow_domain::settings::Settings;

/// A cell of an exported table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// A plain decimal (`12500.00`): a number in the currency format.
    Money(String),
    Number(f64),
    Int(i64),
    Date(NaiveDate),
    /// An instant, shown in the company's time zone.
    DateTime(DateTime<Utc>),
    Bool(bool),
    Empty,
}

impl Cell {
    pub fn text(v: impl Into<String>) -> Cell {
        Cell::Text(v.into())
    }

    /// Text, or an empty cell for none.
    pub fn opt_text(v: &Option<String>) -> Cell {
        v.as_ref().map_or(Cell::Empty, |t| Cell::Text(t.clone()))
    }

    pub fn opt_date(v: Option<NaiveDate>) -> Cell {
        v.map_or(Cell::Empty, Cell::Date)
    }

    pub fn opt_datetime(v: Option<DateTime<Utc>>) -> Cell {
        v.map_or(Cell::Empty, Cell::DateTime)
    }

    pub fn opt_money(v: Option<&str>) -> Cell {
        v.map_or(Cell::Empty, |m| Cell::Money(m.to_owned()))
    }
}

/// What the cells are written with: the company's settings (time zone,
/// date format, currency symbol) and the reader's words for yes and no.
#[derive(Debug, Clone)]
pub struct Style {
    pub settings: Settings,
    pub yes: String,
    pub no: String,
}

impl Style {
    pub fn new(settings: Settings, locale: &str) -> Style {
        Style {
            settings,
            yes: crate::i18n::t(locale, "exports.true_value"),
            no: crate::i18n::t(locale, "exports.false_value"),
        }
    }

    /// A cell as CSV text.
    pub fn csv(&self, cell: &Cell) -> String {
        match cell {
            Cell::Text(t) | Cell::Money(t) => t.clone(),
            Cell::Number(n) => format!("{}", (n * 10_000.0).round() / 10_000.0),
            Cell::Int(n) => n.to_string(),
            Cell::Date(d) => self.settings.format_date(*d),
            Cell::DateTime(at) => self.settings.format_datetime(*at),
            Cell::Bool(b) => {
                if *b {
                    self.yes.clone()
                } else {
                    self.no.clone()
                }
            }
            Cell::Empty => String::new(),
        }
    }

    /// The width a cell takes, in characters (CJK counted twice).
    fn width(&self, cell: &Cell) -> usize {
        let chars = |t: &str| t.chars().map(|c| if (c as u32) >= 0x2E80 { 2 } else { 1 }).sum::<usize>();
        match cell {
            // Thousands separators and the symbol.
            Cell::Money(m) => chars(m) + chars(m) / 3 + 2,
            Cell::Date(_) => 10,
            Cell::DateTime(_) => 16,
            other => chars(&self.csv(other)),
        }
    }
}

/// The workbook's cell formats, made once per workbook.
pub struct Formats {
    header: XFormat,
    money: XFormat,
    date: XFormat,
    datetime: XFormat,
    number: XFormat,
}

impl Formats {
    pub fn new(style: &Style) -> Formats {
        // The symbol as literal text (quotes in it would end the literal).
        let symbol: String = style.settings.currency_symbol.chars().filter(|c| *c != '"').collect();
        let date = style.settings.date_format.excel_pattern();
        Formats {
            header: XFormat::new().set_bold().set_background_color("#EEF2F7").set_align(FormatAlign::Center),
            money: XFormat::new().set_num_format(format!("\"{symbol}\"#,##0.00")),
            date: XFormat::new().set_num_format(date),
            datetime: XFormat::new().set_num_format(format!("{date} hh:mm")),
            number: XFormat::new().set_num_format("#,##0.####"),
        }
    }
}

/// The widest a column gets, in characters.
const MAX_WIDTH: usize = 50;

/// Sheet names: at most 31 characters, none of `[]:*?/\`.
pub fn sheet_name(title: &str) -> String {
    let name: String = title.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect();
    if name.trim().is_empty() { "Sheet1".to_owned() } else { name }
}

/// Writes one table onto a sheet, row after row: [`SheetWriter::begin`]
/// names the sheet, writes the header (bold, frozen) and fits the columns
/// to the header and the first rows; [`SheetWriter::finish`] puts the
/// filter on the header once the last row is known.
pub struct SheetWriter<'a> {
    formats: &'a Formats,
    style: &'a Style,
    row: u32,
    columns: u16,
}

impl<'a> SheetWriter<'a> {
    pub fn begin(
        sheet: &mut Worksheet,
        formats: &'a Formats,
        style: &'a Style,
        title: &str,
        header: &[String],
        sample: &[Vec<Cell>],
    ) -> Result<SheetWriter<'a>, XlsxError> {
        sheet.set_name(sheet_name(title))?;
        let columns = u16::try_from(header.len()).unwrap_or(u16::MAX);
        for (c, h) in header.iter().enumerate() {
            let header_width = style.width(&Cell::Text(h.clone())) + 2;
            let widest = sample.iter().filter_map(|r| r.get(c)).map(|cell| style.width(cell)).max().unwrap_or(0);
            let width = header_width.max(widest + 1).clamp(8, MAX_WIDTH);
            sheet.set_column_width(c as u16, width as f64)?;
        }
        sheet.write_row_with_format(0, 0, header, &formats.header)?;
        sheet.set_freeze_panes(1, 0)?;
        Ok(SheetWriter { formats, style, row: 1, columns })
    }

    /// Rows written so far, the header included.
    pub fn rows(&self) -> u32 {
        self.row
    }

    pub fn write(&mut self, sheet: &mut Worksheet, cells: &[Cell]) -> Result<(), XlsxError> {
        let r = self.row;
        for (c, cell) in cells.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Text(t) => {
                    sheet.write_string(r, c, excel_text(t))?;
                }
                Cell::Money(m) => match m.parse::<f64>() {
                    Ok(n) => {
                        sheet.write_number_with_format(r, c, n, &self.formats.money)?;
                    }
                    Err(_) => {
                        sheet.write_string(r, c, m)?;
                    }
                },
                Cell::Number(n) => {
                    sheet.write_number_with_format(r, c, *n, &self.formats.number)?;
                }
                Cell::Int(n) => {
                    sheet.write_number(r, c, *n as f64)?;
                }
                Cell::Date(d) => match excel_date(*d) {
                    Some(x) => {
                        sheet.write_datetime_with_format(r, c, &x, &self.formats.date)?;
                    }
                    None => {
                        sheet.write_string(r, c, self.style.csv(cell))?;
                    }
                },
                Cell::DateTime(at) => {
                    let local = at.with_timezone(&self.style.settings.tz()).naive_local();
                    match excel_date(local.date()) {
                        Some(x) => {
                            let x = x.and_hms(local.hour() as u16, local.minute() as u8, local.second())?;
                            sheet.write_datetime_with_format(r, c, &x, &self.formats.datetime)?;
                        }
                        None => {
                            sheet.write_string(r, c, self.style.csv(cell))?;
                        }
                    }
                }
                Cell::Bool(b) => {
                    sheet.write_boolean(r, c, *b)?;
                }
                Cell::Empty => {}
            }
        }
        self.row += 1;
        Ok(())
    }

    /// The filter over the header and every row written.
    pub fn finish(self, sheet: &mut Worksheet) -> Result<(), XlsxError> {
        if self.columns > 0 {
            sheet.autofilter(0, 0, self.row.saturating_sub(1).max(1), self.columns - 1)?;
        }
        Ok(())
    }
}

/// A date Excel can hold (its calendar starts on 1900-01-01 and ends with
/// 9999): `None` for one outside, which is then written as text in the
/// company's format instead of failing the whole export.
fn excel_date(d: NaiveDate) -> Option<ExcelDateTime> {
    if !(1900..=9999).contains(&d.year()) {
        return None;
    }
    ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8).ok()
}

/// The text of a cell as Excel takes it: at most 32,767 characters.
fn excel_text(t: &str) -> &str {
    const MAX: usize = 32_767;
    match t.char_indices().nth(MAX) {
        Some((end, _)) => &t[..end],
        None => t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_text_follows_the_company_settings() {
        let settings = Settings {
            time_zone: "Asia/Shanghai".into(),
            date_format: salesflow_domain::settings::DateFormat::DayFirst,
            ..Settings::default()
        };
        let style = Style { settings, yes: "是".into(), no: "否".into() };
        assert_eq!(style.csv(&Cell::Date(NaiveDate::from_ymd_opt(2026, 3, 9).unwrap())), "09/03/2026");
        let at: DateTime<Utc> = "2026-03-08T17:30:00Z".parse().unwrap();
        assert_eq!(style.csv(&Cell::DateTime(at)), "09/03/2026 01:30");
        assert_eq!(style.csv(&Cell::Bool(true)), "是");
        assert_eq!(style.csv(&Cell::Money("1234.50".into())), "1234.50");
        assert_eq!(sheet_name("a/b:c"), "abc");
    }
}
