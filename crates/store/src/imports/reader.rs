//! Reading an uploaded table as a stream of rows: CSV in UTF-8 (with or
//! without a byte-order mark) or GBK, Excel `.xlsx` (read cell by cell from
//! the compressed sheet, never the whole sheet at once) and `.xls` (the old
//! binary format, read whole: it holds at most 65,536 rows).
//!
//! Blocking I/O: callers run it on a blocking thread.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufReader, Read};
use std::ops::ControlFlow;
use std::path::Path;

use calamine::{Data, DataRef, Reader, Xls, Xlsx};
use encoding_rs::{DecoderResult, Encoding, GB18030, UTF_8};
use encoding_rs_io::DecodeReaderBytesBuilder;

/// How a file is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    CsvUtf8,
    CsvGbk,
    /// UTF-16 with a byte-order mark: Excel's "Unicode text" (tab-separated).
    CsvUtf16,
    Xlsx,
    Xls,
}

impl Format {
    pub fn code(self) -> &'static str {
        match self {
            Format::CsvUtf8 => "csv-utf8",
            Format::CsvGbk => "csv-gbk",
            Format::CsvUtf16 => "csv-utf16",
            Format::Xlsx => "xlsx",
            Format::Xls => "xls",
        }
    }

    pub fn parse(code: &str) -> Option<Format> {
        [Format::CsvUtf8, Format::CsvGbk, Format::CsvUtf16, Format::Xlsx, Format::Xls]
            .into_iter()
            .find(|f| f.code() == code)
    }
}

/// Why a file cannot be read; each becomes a translated message on `file`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// Neither CSV nor Excel (an image, a PDF, a binary …).
    NotATable,
    /// No bytes, or no header row.
    Empty,
    /// Looked like CSV/Excel but could not be read.
    Broken(String),
    /// Beyond a bound on the work reading it may cost (see [`Limit`]).
    TooLarge(Limit),
}

/// The bounds every file is read within, so that a small upload cannot
/// cost far more than its size (a zip of 40 million tiny shared strings is
/// 1.6 MB, and calamine would hold them all in memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Cells in one row (Excel's own maximum).
    Columns,
    /// Rows of a sheet (Excel's own maximum).
    Rows,
    /// Cells of a sheet.
    Cells,
    /// Entries of an `.xlsx` shared-strings table (or bytes of it).
    SharedStrings,
    /// Bytes of an `.xlsx` once unzipped.
    Bytes,
    /// Bytes of an `.xls`.
    XlsBytes,
}

pub const MAX_COLUMNS: usize = 16_384;
pub const MAX_ROWS: u64 = 1_048_576;
pub const MAX_CELLS: u64 = 40_000_000;
/// calamine keeps each shared string as a `String` (~40 bytes beside its
/// text): 3 million of them stay under ~300 MB with their text.
pub const MAX_SHARED_STRINGS: u64 = 3_000_000;
pub const MAX_SHARED_STRING_BYTES: u64 = 192 * 1024 * 1024;
/// All parts of an `.xlsx`, unzipped.
pub const MAX_XLSX_BYTES: u64 = 1024 * 1024 * 1024;
/// Entries of an `.xlsx` zip (a workbook has a few dozen).
pub const MAX_ZIP_ENTRIES: u64 = 10_000;
/// An `.xls` is read whole (strings and cells); 65,536 rows fit in far less.
pub const MAX_XLS_BYTES: u64 = 16 * 1024 * 1024;

impl Limit {
    pub fn code(self) -> &'static str {
        match self {
            Limit::Columns => "too_many_columns",
            Limit::Rows => "too_many_rows",
            Limit::Cells => "too_many_cells",
            Limit::SharedStrings => "too_many_strings",
            Limit::Bytes => "file_too_big_unzipped",
            Limit::XlsBytes => "xls_too_large",
        }
    }

    /// The bound, as the message shows it (bytes in MB).
    pub fn max(self) -> u64 {
        match self {
            Limit::Columns => MAX_COLUMNS as u64,
            Limit::Rows => MAX_ROWS,
            Limit::Cells => MAX_CELLS,
            Limit::SharedStrings => MAX_SHARED_STRINGS,
            Limit::Bytes => MAX_XLSX_BYTES / (1024 * 1024),
            Limit::XlsBytes => MAX_XLS_BYTES / (1024 * 1024),
        }
    }
}

impl ReadError {
    /// The validation code shown for the `file` field.
    pub fn code(&self) -> &'static str {
        match self {
            ReadError::NotATable => "not_a_table",
            ReadError::Empty => "empty_file",
            ReadError::Broken(_) => "unreadable_file",
            ReadError::TooLarge(limit) => limit.code(),
        }
    }
}

impl From<std::io::Error> for ReadError {
    fn from(e: std::io::Error) -> Self {
        ReadError::Broken(e.to_string())
    }
}

const SNIFF: usize = 64 * 1024;

/// Tells the format from the first bytes.
pub fn detect(path: &Path) -> Result<Format, ReadError> {
    let mut head = Vec::with_capacity(SNIFF);
    File::open(path)?.take(SNIFF as u64).read_to_end(&mut head)?;
    detect_bytes(&head)
}

pub fn detect_bytes(head: &[u8]) -> Result<Format, ReadError> {
    if head.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ReadError::Empty);
    }
    if head.starts_with(b"PK\x03\x04") {
        return Ok(Format::Xlsx);
    }
    if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Ok(Format::Xls);
    }
    if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
        return Ok(Format::CsvUtf16);
    }
    // Text has no NUL bytes and few control characters; images, PDFs,
    // archives and programs do.
    let controls = head.iter().filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C)).count();
    if head.contains(&0) || controls * 100 > head.len() || head.starts_with(b"%PDF") {
        return Err(ReadError::NotATable);
    }
    if head.starts_with(b"\xEF\xBB\xBF") || is_utf8_prefix(head) {
        return Ok(Format::CsvUtf8);
    }
    if decodes_cleanly(GB18030, head) { Ok(Format::CsvGbk) } else { Err(ReadError::NotATable) }
}

/// Valid UTF-8, allowing a character cut off at the end of the sample.
fn is_utf8_prefix(bytes: &[u8]) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

fn decodes_cleanly(encoding: &'static Encoding, bytes: &[u8]) -> bool {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let Some(capacity) = decoder.max_utf8_buffer_length_without_replacement(bytes.len()) else { return false };
    let mut out = String::with_capacity(capacity);
    // Not the last chunk: a character cut off at the end of the sample is fine.
    let (result, _) = decoder.decode_to_string_without_replacement(bytes, &mut out, false);
    !matches!(result, DecoderResult::Malformed(_, _))
}

/// One row as read: its row number as the user sees it (the header is
/// row 1 in a sheet and line 1 in a text editor) and its cells.
#[derive(Debug, Clone)]
pub struct Row {
    pub line: u64,
    pub cells: Vec<String>,
}

/// Reads the header row, then calls `each` for every non-empty row until
/// it breaks. `on_header` gets the header (blank names become `#n`,
/// repeated names get a suffix, so each can key a mapping).
pub fn read(
    path: &Path,
    format: Format,
    on_header: impl FnOnce(&[String]),
    mut each: impl FnMut(Row) -> ControlFlow<()>,
) -> Result<(), ReadError> {
    let mut header: Option<Vec<String>> = None;
    let mut on_header = Some(on_header);
    let mut handle = |row: Row| -> ControlFlow<()> {
        if row.cells.iter().all(|c| c.trim().is_empty()) {
            return ControlFlow::Continue(());
        }
        match &header {
            None => {
                let names = header_names(&row.cells);
                if let Some(f) = on_header.take() {
                    f(&names);
                }
                header = Some(names);
                ControlFlow::Continue(())
            }
            Some(_) => each(row),
        }
    };
    match format {
        Format::CsvUtf8 | Format::CsvGbk | Format::CsvUtf16 => read_csv(path, format, &mut handle)?,
        Format::Xlsx => read_xlsx(path, &mut handle)?,
        Format::Xls => read_xls(path, &mut handle)?,
    }
    if header.is_none() {
        return Err(ReadError::Empty);
    }
    Ok(())
}

fn header_names(cells: &[String]) -> Vec<String> {
    // Linear: names taken so far, and per base name the next suffix to try
    // (4,000 identical cells once cost a quadratic search each).
    let mut taken: HashSet<String> = HashSet::with_capacity(cells.len());
    let mut next_suffix: HashMap<String, usize> = HashMap::new();
    let mut names: Vec<String> = Vec::with_capacity(cells.len());
    for (i, cell) in cells.iter().enumerate() {
        let base = cell.trim().trim_start_matches('\u{feff}').trim().to_owned();
        let base = if base.is_empty() { format!("#{}", i + 1) } else { base };
        let mut name = base.clone();
        if taken.contains(&name) {
            let n = next_suffix.entry(base.clone()).or_insert(2);
            loop {
                name = format!("{base} ({n})");
                *n += 1;
                if !taken.contains(&name) {
                    break;
                }
            }
        }
        taken.insert(name.clone());
        names.push(name);
    }
    names
}

/// A reader that turns the file into UTF-8 as it goes (dropping a BOM).
fn decoded(path: &Path, format: Format) -> Result<impl Read, ReadError> {
    let file = BufReader::with_capacity(256 * 1024, File::open(path)?);
    // UTF-16 is told by its byte-order mark, which the decoder reads itself.
    let encoding = match format {
        Format::CsvGbk => Some(GB18030),
        Format::CsvUtf16 => None,
        _ => Some(UTF_8),
    };
    Ok(DecodeReaderBytesBuilder::new().encoding(encoding).bom_override(true).build(file))
}

/// The delimiter of the first line (comma unless tabs or semicolons rule)
/// and whether lines end in CRLF.
fn sniff(path: &Path, format: Format) -> Result<(u8, bool), ReadError> {
    let mut head = String::new();
    decoded(path, format)?.take(SNIFF as u64).read_to_string(&mut head).ok();
    let first = head.lines().next().unwrap_or("");
    let count = |c: char| first.chars().filter(|&x| x == c).count();
    let (commas, tabs, semis) = (count(','), count('\t'), count(';'));
    let delimiter = if tabs > commas && tabs >= semis {
        b'\t'
    } else if semis > commas {
        b';'
    } else {
        b','
    };
    Ok((delimiter, head.contains("\r\n")))
}

fn csv_reader(path: &Path, format: Format, delimiter: u8) -> Result<csv::Reader<impl Read>, ReadError> {
    Ok(csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .buffer_capacity(256 * 1024)
        .from_reader(decoded(path, format)?))
}

fn read_csv(path: &Path, format: Format, handle: &mut dyn FnMut(Row) -> ControlFlow<()>) -> Result<(), ReadError> {
    let (delimiter, crlf) = sniff(path, format)?;
    let mut reader = csv_reader(path, format, delimiter)?;
    let mut record = csv::StringRecord::new();
    // After a record the reader stands past its LF, but before the LF of a CRLF.
    let past_break = u64::from(!crlf);
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {
                // The csv crate numbers a record from where it began reading,
                // before any blank lines that a spreadsheet shows as rows; so
                // count back from where the record ended instead.
                let first = record.position().map(|p| p.line()).unwrap_or(1);
                let after = reader.position().line();
                let inner: u64 = record.iter().map(|c| c.matches('\n').count() as u64).sum();
                let terminated = after.saturating_sub(past_break + inner);
                // Less than where reading began: the last line had no line break.
                let line = if terminated >= first { terminated } else { after.saturating_sub(inner) };
                if record.len() > MAX_COLUMNS {
                    return Err(ReadError::TooLarge(Limit::Columns));
                }
                let row = Row { line, cells: record.iter().map(str::to_owned).collect() };
                if handle(row).is_break() {
                    return Ok(());
                }
            }
            Err(e) => return Err(ReadError::Broken(e.to_string())),
        }
    }
}

/// Opens an `.xlsx` after checking what calamine would read whole
/// ([`check_xlsx`]).
fn open_xlsx(path: &Path) -> Result<Xlsx<BufReader<File>>, ReadError> {
    check_xlsx(path)?;
    Xlsx::new(BufReader::new(File::open(path)?)).map_err(|e| ReadError::Broken(e.to_string()))
}

/// Checks an `.xlsx` zip before calamine opens it, which reads the whole
/// shared-strings table into memory (reserving its declared `uniqueCount`
/// up front) and parses every part it needs however far it unzips: the
/// number of entries (from the end record, before the central directory
/// is read), then every entry unzipped as a stream against
/// [`MAX_XLSX_BYTES`] in all, the shared strings counted on the way.
/// Declared sizes are checked first (quick) but not trusted.
pub fn check_xlsx(path: &Path) -> Result<(), ReadError> {
    let mut file = File::open(path)?;
    if zip_entries(&mut file)? > MAX_ZIP_ENTRIES {
        return Err(ReadError::TooLarge(Limit::Bytes));
    }
    let mut zip = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| ReadError::Broken(e.to_string()))?;
    let mut declared: u64 = 0;
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i).map_err(|e| ReadError::Broken(e.to_string()))?;
        declared = declared.saturating_add(entry.size());
    }
    if declared > MAX_XLSX_BYTES {
        return Err(ReadError::TooLarge(Limit::Bytes));
    }
    let mut budget = MAX_XLSX_BYTES;
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|e| ReadError::Broken(e.to_string()))?;
        let shared = entry.name().is_ok_and(|n| n.to_ascii_lowercase().ends_with("sharedstrings.xml"));
        if shared && entry.size() > MAX_SHARED_STRING_BYTES {
            return Err(ReadError::TooLarge(Limit::SharedStrings));
        }
        let mut counter = shared.then(SharedStringCounter::default);
        let mut read: u64 = 0;
        loop {
            let n = entry.read(&mut buf).map_err(|e| ReadError::Broken(e.to_string()))?;
            if n == 0 {
                break;
            }
            read += n as u64;
            if read > budget {
                return Err(ReadError::TooLarge(Limit::Bytes));
            }
            if let Some(c) = counter.as_mut() {
                c.feed(&buf[..n]);
                if c.strings > MAX_SHARED_STRINGS || c.declared > MAX_SHARED_STRINGS {
                    return Err(ReadError::TooLarge(Limit::SharedStrings));
                }
                if read > MAX_SHARED_STRING_BYTES {
                    return Err(ReadError::TooLarge(Limit::SharedStrings));
                }
            }
        }
        budget -= read;
    }
    Ok(())
}

/// The number of entries a zip declares in its end record (the last 22
/// bytes, or before a comment of up to 64 KiB). A ZIP64 count (0xFFFF)
/// counts as too many: a workbook has a few dozen parts.
fn zip_entries(file: &mut File) -> Result<u64, ReadError> {
    use std::io::{Seek, SeekFrom};
    let len = file.seek(SeekFrom::End(0))?;
    let tail = len.min(22 + 65_535);
    file.seek(SeekFrom::Start(len - tail))?;
    let mut bytes = Vec::with_capacity(tail as usize);
    file.by_ref().take(tail).read_to_end(&mut bytes)?;
    file.seek(SeekFrom::Start(0))?;
    let at = bytes
        .windows(4)
        .rposition(|w| w == b"PK\x05\x06")
        .ok_or_else(|| ReadError::Broken("no zip end record".into()))?;
    let count = bytes.get(at + 10..at + 12).ok_or_else(|| ReadError::Broken("short zip end record".into()))?;
    let count = u64::from(u16::from_le_bytes([count[0], count[1]]));
    Ok(if count == 0xFFFF { u64::MAX } else { count })
}

/// Counts `<si>` elements (with or without a namespace prefix) and reads
/// the declared `uniqueCount`, in a stream of chunks. A tag split across
/// two chunks is seen through the few bytes kept from the last one.
#[derive(Default)]
struct SharedStringCounter {
    strings: u64,
    declared: u64,
    tail: Vec<u8>,
    head: Vec<u8>,
}

impl SharedStringCounter {
    fn feed(&mut self, chunk: &[u8]) {
        if self.head.len() < 4096 {
            let take = (4096 - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
            self.declared = declared_count(&self.head);
        }
        // The last bytes of the previous chunk come first, so that a tag cut
        // in two is whole here; a tag is counted in the window where it ends.
        let mut window = std::mem::take(&mut self.tail);
        let kept = window.len();
        window.extend_from_slice(chunk);
        // `si` preceded by `<` or `prefix:` and followed by `>`, `/` or a
        // space, not in an end tag (`</x:si>`).
        for i in 1..window.len().saturating_sub(2) {
            if i + 2 >= kept
                && window[i] == b's'
                && window[i + 1] == b'i'
                && matches!(window[i + 2], b'>' | b'/' | b' ' | b'\t' | b'\r' | b'\n')
                && (window[i - 1] == b'<' || window[i - 1] == b':' && !end_tag(&window[..i - 1]))
            {
                self.strings += 1;
            }
        }
        let keep = window.len().min(TAIL);
        self.tail = window[window.len() - keep..].to_vec();
    }
}

/// Bytes kept between chunks: enough for `</` and a namespace prefix.
const TAIL: usize = 32;

/// Whether the prefix before `:` belongs to an end tag (`</x`).
fn end_tag(before: &[u8]) -> bool {
    before.iter().rev().take(TAIL - 4).position(|&b| b == b'<').is_some_and(|p| {
        let at = before.len() - 1 - p;
        before.get(at + 1) == Some(&b'/')
    })
}

/// `uniqueCount="…"` of the `<sst>` start tag (calamine reserves that many).
fn declared_count(head: &[u8]) -> u64 {
    let Some(at) = head.windows(13).position(|w| w == b"uniqueCount=\"") else { return 0 };
    let digits: Vec<u8> = head[at + 13..].iter().take_while(|b| b.is_ascii_digit()).copied().collect();
    if digits.len() > 18 {
        return u64::MAX;
    }
    std::str::from_utf8(&digits).ok().and_then(|d| d.parse().ok()).unwrap_or(0)
}

fn read_xlsx(path: &Path, handle: &mut dyn FnMut(Row) -> ControlFlow<()>) -> Result<(), ReadError> {
    let mut book = open_xlsx(path)?;
    let Some(sheet) = book.sheet_names().into_iter().next() else { return Err(ReadError::Empty) };
    let mut cells = book.worksheet_cells_reader(&sheet).map_err(|e| ReadError::Broken(e.to_string()))?;
    let mut current: Option<Row> = None;
    let mut seen: u64 = 0;
    while let Some(cell) = cells.next_cell().map_err(|e| ReadError::Broken(e.to_string()))? {
        let (r, c) = cell.get_position();
        let line = u64::from(r) + 1;
        seen += 1;
        if seen > MAX_CELLS {
            return Err(ReadError::TooLarge(Limit::Cells));
        }
        if line > MAX_ROWS {
            return Err(ReadError::TooLarge(Limit::Rows));
        }
        let c = c as usize;
        if c >= MAX_COLUMNS {
            return Err(ReadError::TooLarge(Limit::Columns));
        }
        if current.as_ref().is_some_and(|row| row.line != line)
            && let Some(done) = current.take()
            && handle(done).is_break()
        {
            return Ok(());
        }
        let row = current.get_or_insert_with(|| Row { line, cells: Vec::new() });
        if row.cells.len() <= c {
            row.cells.resize(c + 1, String::new());
        }
        row.cells[c] = text_of_ref(cell.get_value());
    }
    if let Some(last) = current {
        let _ = handle(last);
    }
    Ok(())
}

fn read_xls(path: &Path, handle: &mut dyn FnMut(Row) -> ControlFlow<()>) -> Result<(), ReadError> {
    // Not compressed, but read whole (its strings and a dense range of cells).
    if std::fs::metadata(path)?.len() > MAX_XLS_BYTES {
        return Err(ReadError::TooLarge(Limit::XlsBytes));
    }
    let mut book: Xls<_> = Xls::new(BufReader::new(File::open(path)?)).map_err(|e| ReadError::Broken(e.to_string()))?;
    let Some(sheet) = book.sheet_names().into_iter().next() else { return Err(ReadError::Empty) };
    let range = book.worksheet_range(&sheet).map_err(|e| ReadError::Broken(e.to_string()))?;
    let first_row = range.start().map(|(r, _)| r).unwrap_or(0);
    let first_col = range.start().map(|(_, c)| c as usize).unwrap_or(0);
    for (i, cells) in range.rows().enumerate() {
        let mut texts = vec![String::new(); first_col];
        texts.extend(cells.iter().map(text_of));
        if handle(Row { line: u64::from(first_row) + i as u64 + 1, cells: texts }).is_break() {
            break;
        }
    }
    Ok(())
}

/// A cell as text: whole numbers without `.0` (phone numbers are often
/// numbers in sheets), dates as `YYYY-MM-DD`.
fn text_of_ref(value: &DataRef<'_>) -> String {
    match value {
        DataRef::Empty | DataRef::Error(_) => String::new(),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => number(*f),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(d) => excel_date(d.as_f64()),
    }
}

fn text_of(value: &Data) -> String {
    match value {
        Data::Empty | Data::Error(_) => String::new(),
        Data::Float(f) => number(*f),
        Data::DateTime(d) => excel_date(d.as_f64()),
        other => other.to_string(),
    }
}

fn number(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 { format!("{}", f as i64) } else { f.to_string() }
}

/// An Excel date serial (days since 1899-12-30) as `YYYY-MM-DD`.
fn excel_date(serial: f64) -> String {
    let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default();
    epoch
        .checked_add_signed(chrono::Duration::days(serial.floor() as i64))
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| number(serial))
}

/// How many data rows the file has, when it can be told cheaply: a CSV is
/// counted in one pass (no rows kept), an `.xlsx` says its size.
pub fn count_rows(path: &Path, format: Format) -> Result<Option<u64>, ReadError> {
    match format {
        Format::CsvUtf8 | Format::CsvGbk | Format::CsvUtf16 => {
            let (delimiter, _) = sniff(path, format)?;
            let mut reader = csv_reader(path, format, delimiter)?;
            let mut record = csv::ByteRecord::new();
            let mut rows: u64 = 0;
            loop {
                match reader.read_byte_record(&mut record) {
                    Ok(false) => break,
                    Ok(true) => {
                        if !record.iter().all(|c| c.iter().all(u8::is_ascii_whitespace)) {
                            rows += 1;
                        }
                    }
                    Err(e) => return Err(ReadError::Broken(e.to_string())),
                }
            }
            Ok(Some(rows.saturating_sub(1)))
        }
        Format::Xlsx => {
            let mut book = open_xlsx(path)?;
            let Some(sheet) = book.sheet_names().into_iter().next() else { return Ok(None) };
            let cells = book.worksheet_cells_reader(&sheet).map_err(|e| ReadError::Broken(e.to_string()))?;
            let d = cells.dimensions();
            // The declared dimension is only a hint (the rows are bounded when read).
            Ok((d.end.0 >= d.start.0).then(|| u64::from(d.end.0 - d.start.0).min(MAX_ROWS)))
        }
        Format::Xls => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("sf-reader-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn rows_of(path: &Path) -> (Vec<String>, Vec<Row>) {
        let format = detect(path).unwrap();
        let mut header = Vec::new();
        let mut rows = Vec::new();
        read(
            path,
            format,
            |h| header = h.to_vec(),
            |r| {
                rows.push(r);
                ControlFlow::Continue(())
            },
        )
        .unwrap();
        (header, rows)
    }

    #[test]
    fn formats_are_told_from_the_first_bytes() {
        assert_eq!(detect_bytes(b"name,grade\n"), Ok(Format::CsvUtf8));
        assert_eq!(detect_bytes("\u{feff}客户名称\n".as_bytes()), Ok(Format::CsvUtf8));
        let (gbk, _, _) = GB18030.encode("客户名称,等级\n上海华信科技,A\n");
        assert_eq!(detect_bytes(&gbk), Ok(Format::CsvGbk));
        assert_eq!(detect_bytes(b"PK\x03\x04rest"), Ok(Format::Xlsx));
        assert_eq!(detect_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Err(ReadError::NotATable));
        assert_eq!(detect_bytes(b"%PDF-1.7\n"), Err(ReadError::NotATable));
        assert_eq!(detect_bytes(b""), Err(ReadError::Empty));
        assert_eq!(detect_bytes(b" \n\r\n"), Err(ReadError::Empty));
    }

    #[test]
    fn gbk_and_bom_files_read_as_the_same_text() {
        let text = "客户名称,等级,备注\n上海华信科技有限公司,A,\"多行\n备注\"\n李娜贸易,B,\n,,\n\n";
        let (gbk, _, _) = GB18030.encode(text);
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        for path in [temp("gbk.csv", &gbk), temp("bom.csv", &bom)] {
            let (header, rows) = rows_of(&path);
            assert_eq!(header, ["客户名称", "等级", "备注"]);
            assert_eq!(rows.len(), 2, "blank lines are skipped");
            assert_eq!(rows[0].cells[0], "上海华信科技有限公司");
            assert_eq!(rows[0].cells[2], "多行\n备注");
            assert_eq!(rows[1].line, 4);
            assert_eq!(rows[1].cells[0], "李娜贸易");
            assert_eq!(count_rows(&path, detect(&path).unwrap()).unwrap(), Some(2));
            std::fs::remove_file(path).ok();
        }
    }

    #[test]
    fn excel_unicode_text_is_read() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "客户名称\t等级\r\n上海华信科技\tA\r\n".encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let path = temp("utf16.txt", &bytes);
        assert_eq!(detect(&path).unwrap(), Format::CsvUtf16);
        let (header, rows) = rows_of(&path);
        assert_eq!(header, ["客户名称", "等级"]);
        assert_eq!(rows[0].cells, ["上海华信科技", "A"]);
        std::fs::remove_file(path).ok();
    }

    #[test]
    fn semicolons_and_tabs_are_delimiters_too() {
        let path = temp("tabs.csv", "名称\t等级\n华信\tA\n".as_bytes());
        let (header, rows) = rows_of(&path);
        assert_eq!(header, ["名称", "等级"]);
        assert_eq!(rows[0].cells, ["华信", "A"]);
        std::fs::remove_file(path).ok();
    }

    #[test]
    fn row_numbers_count_blank_lines() {
        for text in ["\n名称\n华信\n\n\n\"云\n帆\"\n星辰\n", "\r\n名称\r\n华信\r\n\r\n\r\n\"云\r\n帆\"\r\n星辰\r\n"]
        {
            let path = temp("blank.csv", text.as_bytes());
            let (_, rows) = rows_of(&path);
            assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [3, 6, 8], "{text:?}");
            std::fs::remove_file(path).ok();
        }
        for text in ["名称\n华信\n云帆", "名称\r\n华信\r\n云帆"] {
            let path = temp("no-final-break.csv", text.as_bytes());
            let (_, rows) = rows_of(&path);
            assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 3], "{text:?}");
            std::fs::remove_file(path).ok();
        }
    }

    #[test]
    fn blank_and_repeated_headers_get_names() {
        assert_eq!(header_names(&["名称".into(), "".into(), "名称".into()]), ["名称", "#2", "名称 (2)"]);
    }

    #[test]
    fn header_de_duplication_is_linear() {
        // 4,000 identical cells once took 38 s; 100,000 now take well under one.
        let cells = vec!["名称".to_owned(); 100_000];
        let started = std::time::Instant::now();
        let names = header_names(&cells);
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
        assert_eq!(names[1], "名称 (2)");
        assert_eq!(names[99_999], "名称 (100000)");
        assert_eq!(names.iter().collect::<HashSet<_>>().len(), names.len());
        // A cell that already has a generated name's text is not taken twice.
        assert_eq!(
            header_names(&["a".into(), "a (2)".into(), "a".into(), "a".into()]),
            ["a", "a (2)", "a (3)", "a (4)"]
        );
    }

    #[test]
    fn shared_strings_are_counted_across_chunks() {
        let xml = format!(
            "<?xml version=\"1.0\"?><sst xmlns=\"x\" count=\"9\" uniqueCount=\"7\">{}<x:si><t>b</t></x:si><si/></sst>",
            "<si><t>a</t></si>".repeat(5)
        );
        for size in [1, 2, 3, 5, 64, 4096] {
            let mut c = SharedStringCounter::default();
            for chunk in xml.as_bytes().chunks(size) {
                c.feed(chunk);
            }
            assert_eq!((c.strings, c.declared), (7, 7), "chunks of {size}");
        }
        assert_eq!(declared_count(b"<sst uniqueCount=\"99999999999999999999999\">"), u64::MAX);
    }

    fn zip_of(parts: &[(&str, &[u8])]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, bytes) in parts {
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .compression_level(Some(1));
            zip.start_file(*name, options).unwrap();
            std::io::Write::write_all(&mut zip, bytes).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn hostile_workbooks_are_refused_before_calamine_reads_them() {
        // A declared count calamine would reserve up front.
        let sst = b"<sst xmlns=\"x\" uniqueCount=\"4000000000\"><si><t>a</t></si></sst>";
        let path = temp("declared.xlsx", &zip_of(&[("xl/sharedStrings.xml", sst)]));
        assert_eq!(check_xlsx(&path), Err(ReadError::TooLarge(Limit::SharedStrings)));
        // More strings than the bound, each tiny.
        let many = format!("<sst xmlns=\"x\">{}</sst>", "<si><t>a</t></si>".repeat(MAX_SHARED_STRINGS as usize + 1));
        let path = temp("many.xlsx", &zip_of(&[("xl/sharedStrings.xml", many.as_bytes())]));
        let started = std::time::Instant::now();
        assert_eq!(check_xlsx(&path), Err(ReadError::TooLarge(Limit::SharedStrings)));
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
        let e = read(&path, Format::Xlsx, |_| {}, |_| ControlFlow::Continue(())).unwrap_err();
        assert_eq!(e.code(), "too_many_strings");
        std::fs::remove_file(path).ok();
    }

    #[test]
    fn xlsx_is_read_cell_by_cell() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write(0, 0, "客户名称").unwrap();
        sheet.write(0, 1, "手机").unwrap();
        sheet.write(0, 2, "信用额度").unwrap();
        sheet.write(1, 0, "上海华信科技").unwrap();
        sheet.write(1, 1, 13800138000.0).unwrap();
        sheet.write(1, 2, 1234.5).unwrap();
        sheet.write(3, 0, "深圳云帆").unwrap();
        let path = temp("book.xlsx", &book.save_to_buffer().unwrap());
        assert_eq!(detect(&path).unwrap(), Format::Xlsx);
        let (header, rows) = rows_of(&path);
        assert_eq!(header, ["客户名称", "手机", "信用额度"]);
        assert_eq!(rows[0].cells, ["上海华信科技", "13800138000", "1234.5"]);
        assert_eq!(rows[1].line, 4);
        assert_eq!(rows[1].cells[0], "深圳云帆");
        assert_eq!(count_rows(&path, Format::Xlsx).unwrap(), Some(3));
        std::fs::remove_file(path).ok();
    }
}
