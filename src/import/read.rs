//! Turning a file into rows of text cells, numbered as Excel shows them: the encoding of a
//! CSV is detected, and a workbook's sheet is chosen.

use std::io::{Cursor, Read};
use std::path::Path;

use calamine::{Data, Reader};

use super::{ImportError, limits, workbook_guard};
use crate::files::ReadProblem;

/// One row of a sheet, as text cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRow {
    /// 1-based, as Excel shows it.
    pub number: u32,
    pub cells: Vec<String>,
}

impl RawRow {
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| c.trim().is_empty())
    }
}

/// A file's contents, ready to be walked row by row.
pub enum Source {
    /// A CSV (or tab-separated text) decoded to UTF-8.
    Text { text: String, encoding: &'static str },
    /// The chosen sheets of a workbook.
    Workbook { sheets: Vec<(String, Sheet)> },
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Where a reading limit was hit: 1-based row, 0-based column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub row: u32,
    pub column: u32,
    pub limit: Limit,
}

/// A reading limit ([`limits`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// One cell longer than Excel allows.
    CellChars,
    /// More non-empty cells than [`limits::CELLS`].
    Cells,
    /// More text than [`limits::TEXT_BYTES`].
    TextBytes,
    /// A non-empty cell beyond `[limits] columns`.
    Columns(u32),
    /// More rows than a sheet has.
    Rows,
    /// More schools in one import than [`limits::SCHOOLS`].
    Schools,
}

/// Reads a file, by its content rather than its name: a workbook is a workbook even if it is
/// called `.csv`, and a binary file is refused even if it is called `.csv`. Only a regular file
/// within [`limits::FILE_BYTES`] is read, and it is checked before a byte is read.
/// Also gives the file's SHA-256, recorded with the import.
pub fn open(path: &Path, sheets: &[String], columns: u32) -> Result<(Source, String), ImportError> {
    use sha2::{Digest, Sha256};
    let file = path.display().to_string();
    let bytes = crate::files::read_bounded(path, limits::FILE_BYTES).map_err(|e| match e {
        ReadProblem::TooLarge { bytes, limit } => ImportError::FileTooLarge { file: file.clone(), bytes, limit },
        ReadProblem::NotAFile { kind } => ImportError::NotAFile { file: file.clone(), kind },
        ReadProblem::Io(e) => ImportError::Unreadable { file: file.clone(), reason: e.to_string() },
    })?;
    if bytes.is_empty() {
        return Err(ImportError::EmptyFile { file });
    }
    let sha256 = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    if bytes.starts_with(OLE_MAGIC) {
        return Err(ImportError::OldFormat { file, format: "XLS" });
    }
    if bytes.starts_with(ZIP_MAGIC) {
        if bytes.len() as u64 > limits::WORKBOOK_BYTES {
            return Err(ImportError::FileTooLarge { file, bytes: bytes.len() as u64, limit: limits::WORKBOOK_BYTES });
        }
        workbook_guard::check(&bytes).map_err(|(part, problem)| ImportError::UnsafeWorkbook {
            file: file.clone(),
            part,
            problem,
        })?;
        return Ok((read_workbook(&bytes, &file, sheets, columns)?, sha256));
    }
    let (text, encoding) = decode(bytes, &file)?;
    Ok((Source::Text { text, encoding }, sha256))
}

/// UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (which covers GBK): the
/// encodings that Excel and the national system actually write. A general-purpose detector
/// would guess among dozens of encodings; here only these occur, so a strict check is surer.
fn decode(bytes: Vec<u8>, file: &str) -> Result<(String, &'static str), ImportError> {
    let utf16 = |enc: &'static encoding_rs::Encoding, name| {
        enc.decode_without_bom_handling_and_without_replacement(&bytes[2..])
            .map(|t| (t.into_owned(), name))
            .ok_or_else(|| ImportError::BadEncoding { file: file.to_string(), line: 1 })
    };
    if bytes.starts_with(&[0xFF, 0xFE]) {
        return utf16(encoding_rs::UTF_16LE, "UTF-16LE");
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        return utf16(encoding_rs::UTF_16BE, "UTF-16BE");
    }
    if bytes.contains(&0) {
        return Err(ImportError::NotText { file: file.to_string() });
    }
    let bom = bytes.starts_with(&[0xEF, 0xBB, 0xBF]);
    match String::from_utf8(bytes) {
        Ok(mut text) => {
            if bom {
                text.drain(..3);
            }
            Ok((text, if bom { "UTF-8 BOM" } else { "UTF-8" }))
        }
        Err(e) => {
            let bad_at = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            match encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(&bytes) {
                Some(text) if !bom => Ok((text.into_owned(), "GB18030")),
                _ => {
                    let line = 1 + bytes[..bad_at].iter().filter(|&&b| b == b'\n').count();
                    Err(ImportError::BadEncoding { file: file.to_string(), line })
                }
            }
        }
    }
}

/// The CSV delimiters real files use; the one that yields a recognisable header wins.
pub const DELIMITERS: [u8; 3] = [b',', b'\t', b';'];

/// The rows of a text source, split by `delimiter`, with the byte offset reached after each;
/// cells are kept up to the last non-empty one. Read field by field (csv-core), so that no row
/// or cell can take more memory than the limits allow: a row of 20,000 columns or a cell of
/// 40 MB stops the reading at that cell.
pub fn text_rows(text: &str, delimiter: u8, columns: u32) -> impl Iterator<Item = Result<(RawRow, u64), Hit>> + '_ {
    let bytes = text.as_bytes();
    let mut reader = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
    let mut field = vec![0u8; 1024];
    let (mut at, mut done) = (0usize, false);
    // Excel shows a quoted field's line breaks inside one row, but shows blank lines as rows
    // (which the csv reader skips): so count the physical lines up to each record's start and
    // take away the line breaks that sat inside earlier fields.
    let (mut scanned_to, mut lines_before, mut breaks_inside_fields) = (0usize, 0u64, 0u64);
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let mut start = at;
        // The reader places a record after the previous one's end, before any blank lines.
        while matches!(bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        lines_before += bytes[scanned_to..start.min(bytes.len())].iter().filter(|&&b| b == b'\n').count() as u64;
        scanned_to = start.min(bytes.len());
        let number = u32::try_from(lines_before + 1 - breaks_inside_fields).unwrap_or(u32::MAX);
        let hit = |column: usize, limit| Hit { row: number, column: column as u32, limit };
        // (Past the last record, blank lines only: the reader ends there, whatever the number.)
        if u64::from(number) > limits::SHEET_ROWS && start < bytes.len() {
            done = true;
            return Some(Err(hit(0, Limit::Rows)));
        }
        let (mut cells, mut filled, mut index, mut used) = (Vec::new(), 0usize, 0usize, 0usize);
        loop {
            let (result, read, wrote) = reader.read_field(&bytes[at..], &mut field[used..]);
            at += read;
            used += wrote;
            match result {
                csv_core::ReadFieldResult::InputEmpty => {}
                csv_core::ReadFieldResult::OutputFull => {
                    if field.len() > limits::CELL_CHARS * 4 {
                        done = true;
                        return Some(Err(hit(index, Limit::CellChars)));
                    }
                    field.resize(field.len() * 2, 0);
                }
                csv_core::ReadFieldResult::Field { record_end } => {
                    // Delimiters and quotes are ASCII: a field of valid UTF-8 text is valid UTF-8.
                    let value = std::str::from_utf8(&field[..used]).unwrap_or_default();
                    used = 0;
                    breaks_inside_fields += value.bytes().filter(|&b| b == b'\n').count() as u64;
                    if value.len() > limits::CELL_CHARS && value.chars().count() > limits::CELL_CHARS {
                        done = true;
                        return Some(Err(hit(index, Limit::CellChars)));
                    }
                    if !value.trim().is_empty() {
                        if index >= columns as usize {
                            done = true;
                            return Some(Err(hit(index, Limit::Columns(columns))));
                        }
                        cells.resize(index, String::new());
                        cells.push(value.to_string());
                        filled = cells.len();
                    }
                    index += 1;
                    if record_end {
                        cells.truncate(filled);
                        return Some(Ok((RawRow { number, cells }, at as u64)));
                    }
                }
                csv_core::ReadFieldResult::End => {
                    done = true;
                    return None;
                }
            }
        }
    })
}

/// Reads a workbook with calamine, which parses whatever the file holds: should it panic on a
/// hostile file (its cell references are summed without overflow checks, for one), the file is
/// refused as damaged rather than taking the import down with it.
fn read_workbook(bytes: &[u8], file: &str, wanted: &[String], columns: u32) -> Result<Source, ImportError> {
    std::panic::catch_unwind(|| read_workbook_unguarded(bytes, file, wanted, columns)).unwrap_or_else(|panic| {
        let reason = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(ImportError::DamagedWorkbook { file: file.to_string(), reason })
    })
}

fn read_workbook_unguarded(bytes: &[u8], file: &str, wanted: &[String], columns: u32) -> Result<Source, ImportError> {
    let damaged =
        |e: &dyn std::fmt::Display| ImportError::DamagedWorkbook { file: file.to_string(), reason: e.to_string() };
    let mut book = match calamine::open_workbook_from_rs::<calamine::Xlsx<_>, _>(Cursor::new(bytes)) {
        Ok(book) => book,
        // calamine reads an OpenDocument sheet whole, repeated cells expanded, before anything
        // can be counted: a few kilobytes can ask for gigabytes. Refused, saying how to convert.
        Err(_) if is_opendocument(bytes) => {
            return Err(ImportError::OldFormat { file: file.to_string(), format: "ODS" });
        }
        Err(e) => return Err(damaged(&e)),
    };
    let names = book.sheet_names();
    for w in wanted {
        if !names.contains(w) {
            return Err(ImportError::NoSuchSheet { file: file.to_string(), sheet: w.clone(), sheets: names.clone() });
        }
    }
    let mut budget = Budget { columns, ..Budget::default() };
    let mut sheets = Vec::new();
    for name in &names {
        if !wanted.is_empty() && !wanted.contains(name) {
            continue;
        }
        let sheet = xlsx_sheet(&mut book, name, &mut budget).map_err(|e| damaged(&e))?.map_err(|hit| {
            ImportError::LimitHit {
                file: format!("{file}[{name}]"),
                row: hit.row,
                column: hit.column,
                limit: hit.limit,
            }
        })?;
        sheets.push((name.clone(), sheet));
    }
    Ok(Source::Workbook { sheets })
}

fn is_opendocument(bytes: &[u8]) -> bool {
    zip::ZipArchive::new(Cursor::new(bytes)).is_ok_and(|mut zip| {
        let mut mimetype = String::new();
        zip.by_name("mimetype").is_ok_and(|f| f.take(200).read_to_string(&mut mimetype).is_ok())
            && mimetype.starts_with("application/vnd.oasis.opendocument")
    })
}

/// What one file's sheets may still take: [`limits::CELLS`] and [`limits::TEXT_BYTES`] over
/// all of them, and the configured columns.
#[derive(Debug, Default)]
struct Budget {
    cells: u64,
    text: u64,
    columns: u32,
}

/// A sheet's non-empty cells, compactly: one text buffer and 16 bytes a cell, so that a sheet
/// of 100,000 schools takes some 50 MB rather than a `String` (and an allocation) per cell.
/// Rows are made one at a time as they are read ([`Sheet::rows`]).
#[derive(Debug, Default)]
pub struct Sheet {
    /// (row, column) 0-based, and the cell's text as `text[start..end]`; sorted.
    cells: Vec<(u32, u32, u32, u32)>,
    text: String,
}

impl Sheet {
    /// The rows that have a non-empty cell, each as wide as its last one.
    pub fn rows(&self) -> impl Iterator<Item = RawRow> + '_ {
        self.cells.chunk_by(|a, b| a.0 == b.0).map(|row| {
            let width = row.last().map_or(0, |c| c.1 as usize + 1);
            let mut cells = vec![String::new(); width];
            for &(_, column, start, end) in row {
                cells[column as usize] = self.text[start as usize..end as usize].to_string();
            }
            RawRow { number: row[0].0.saturating_add(1), cells }
        })
    }
}

/// An XLSX sheet, read cell by cell against the budget. Only non-empty cells are kept:
/// calamine's own range would be the full rectangle from the first cell to the last, and a
/// single cell at XFD1048576 makes that 17 billion cells.
fn xlsx_sheet(
    book: &mut calamine::Xlsx<Cursor<&[u8]>>,
    name: &str,
    budget: &mut Budget,
) -> Result<Result<Sheet, Hit>, calamine::XlsxError> {
    let mut reader = match book.worksheet_cells_reader(name) {
        Ok(reader) => reader,
        // A chart sheet: no cells, as calamine's own range reads it.
        Err(calamine::XlsxError::NotAWorksheet(_)) => return Ok(Ok(Sheet::default())),
        Err(e) => return Err(e),
    };
    let mut sheet = Sheet::default();
    while let Some(cell) = reader.next_cell()? {
        let (row, column) = cell.get_position();
        let hit = |limit| Ok(Err(Hit { row: row.saturating_add(1), column, limit }));
        let text = cell_text(&Data::from(cell.get_value().clone()));
        if text.trim().is_empty() {
            continue;
        }
        if text.len() > limits::CELL_CHARS && text.chars().count() > limits::CELL_CHARS {
            return hit(Limit::CellChars);
        }
        if column >= budget.columns {
            return hit(Limit::Columns(budget.columns));
        }
        budget.cells += 1;
        budget.text += text.len() as u64;
        if budget.cells > limits::CELLS {
            return hit(Limit::Cells);
        }
        if budget.text > limits::TEXT_BYTES {
            return hit(Limit::TextBytes);
        }
        let start = sheet.text.len() as u32;
        sheet.text.push_str(&text);
        sheet.cells.push((row, column, start, sheet.text.len() as u32));
    }
    // Sheets are written row by row; a file that is not is still read in Excel's order.
    if !sheet.cells.is_sorted_by_key(|c| (c.0, c.1)) {
        sheet.cells.sort_unstable_by_key(|c| (c.0, c.1, c.2));
    }
    // A cell given twice (only a hand-made file does): the later one wins, as in Excel.
    sheet.cells.dedup_by(|later, earlier| {
        let same = (later.0, later.1) == (earlier.0, earlier.1);
        if same {
            *earlier = *later;
        }
        same
    });
    Ok(Ok(sheet))
}

/// A cell as the user sees it: whole numbers without `.0`, dates as ISO text.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "是" } else { "否" }.to_string(),
        Data::DateTime(d) => match d.as_datetime() {
            Some(dt) if dt.time() == chrono::NaiveTime::MIN => dt.format("%Y-%m-%d").to_string(),
            Some(dt) => dt.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => d.as_f64().to_string(),
        },
        Data::Error(e) => format!("#{e:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(bytes: &[u8]) -> Result<(String, &'static str), ImportError> {
        decode(bytes.to_vec(), "t.csv")
    }

    #[test]
    fn detects_utf8_bom_gb18030_and_utf16() {
        assert_eq!(decoded("学校,x".as_bytes()).unwrap(), ("学校,x".into(), "UTF-8"));
        assert_eq!(decoded(b"\xEF\xBB\xBFa,b").unwrap(), ("a,b".into(), "UTF-8 BOM"));
        let (gb, _, _) = encoding_rs::GB18030.encode("学校标识码,学校名称");
        assert_eq!(decoded(&gb).unwrap(), ("学校标识码,学校名称".into(), "GB18030"));
        let mut le = vec![0xFF, 0xFE];
        le.extend("学校\tx".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(decoded(&le).unwrap(), ("学校\tx".into(), "UTF-16LE"));
    }

    #[test]
    fn refuses_binary_and_undecodable_bytes_with_the_line() {
        assert!(matches!(decoded(b"\x89PNG\r\n\x1a\n\0\0"), Err(ImportError::NotText { .. })));
        match decoded(b"a,b\nc,d\ne,\xFF\xFE\x80\n") {
            Err(ImportError::BadEncoding { line, .. }) => assert_eq!(line, 3),
            other => panic!("{:?}", other.map(|t| t.1)),
        }
    }

    #[test]
    fn a_sheet_of_exactly_the_most_rows_is_read_whole() {
        let full = format!("h\n{}", "a\n".repeat(limits::SHEET_ROWS as usize - 1));
        assert_eq!(text_rows(&full, b',', 256).filter(|r| r.is_ok()).count(), limits::SHEET_ROWS as usize);
        let over = format!("{full}a\n");
        let last = text_rows(&over, b',', 256).last().unwrap();
        assert_eq!(last, Err(Hit { row: limits::SHEET_ROWS as u32 + 1, column: 0, limit: Limit::Rows }));
    }

    #[test]
    fn text_rows_keep_quoted_commas_and_newlines_in_one_row() {
        let rows: Vec<RawRow> =
            text_rows("a,b\n\"x,1\",\"two\nlines\"\nz,w\n", b',', 256).map(|r| r.unwrap().0).collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1].cells, vec!["x,1", "two\nlines"]);
        assert_eq!(rows[2].number, 3);
        // A blank line is a row in Excel too.
        let rows: Vec<RawRow> = text_rows("a,b\n\nc,d\n", b',', 256).map(|r| r.unwrap().0).collect();
        assert_eq!(rows.last().unwrap().number, 3);
    }
}
