//! Turning a file into rows of text cells, numbered as Excel shows them: the encoding of a
//! CSV is detected, and a workbook's sheet is chosen.

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Reader};

use super::ImportError;

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
    Workbook { sheets: Vec<(String, Vec<RawRow>)> },
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Reads a file, by its content rather than its name: a workbook is a workbook even if it is
/// called `.csv`, and a binary file is refused even if it is called `.csv`.
/// Also gives the file's SHA-256, recorded with the import.
pub fn open(path: &Path, sheets: &[String]) -> Result<(Source, String), ImportError> {
    use sha2::{Digest, Sha256};
    let file = path.display().to_string();
    let bytes =
        std::fs::read(path).map_err(|e| ImportError::Unreadable { file: file.clone(), reason: e.to_string() })?;
    if bytes.is_empty() {
        return Err(ImportError::EmptyFile { file });
    }
    let sha256 = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    if bytes.starts_with(ZIP_MAGIC) || bytes.starts_with(OLE_MAGIC) {
        return Ok((read_workbook(&bytes, &file, sheets)?, sha256));
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

/// The rows of a text source, split by `delimiter`, with the byte offset reached after each.
pub fn text_rows(text: &str, delimiter: u8) -> impl Iterator<Item = (RawRow, u64)> + '_ {
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    // Excel shows a quoted field's line breaks inside one row, but shows blank lines as rows
    // (which the csv reader skips): so count the physical lines up to each record's start and
    // take away the line breaks that sat inside earlier fields.
    let (mut scanned_to, mut lines_before, mut breaks_inside_fields) = (0usize, 0u64, 0u64);
    std::iter::from_fn(move || {
        // Reading from a &str cannot fail on IO or UTF-8; a read error means the end.
        if !reader.read_record(&mut record).unwrap_or(false) {
            return None;
        }
        let mut start = record.position().map_or(0, |p| p.byte() as usize).min(text.len());
        // The reader places a record after the previous one's end, before any blank lines.
        while matches!(text.as_bytes().get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        lines_before += text.as_bytes()[scanned_to..start].iter().filter(|&&b| b == b'\n').count() as u64;
        scanned_to = start;
        let number = u32::try_from(lines_before + 1 - breaks_inside_fields).unwrap_or(u32::MAX);
        breaks_inside_fields += record.iter().map(|f| f.matches('\n').count() as u64).sum::<u64>();
        let cells = record.iter().map(str::to_string).collect();
        Some((RawRow { number, cells }, reader.position().byte()))
    })
}

/// Reads a workbook with calamine, which parses whatever the file holds: should it panic on a
/// hostile file (its cell references are summed without overflow checks, for one), the file is
/// refused as damaged rather than taking the import down with it.
fn read_workbook(bytes: &[u8], file: &str, wanted: &[String]) -> Result<Source, ImportError> {
    std::panic::catch_unwind(|| read_workbook_unguarded(bytes, file, wanted)).unwrap_or_else(|panic| {
        let reason = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(ImportError::DamagedWorkbook { file: file.to_string(), reason })
    })
}

fn read_workbook_unguarded(bytes: &[u8], file: &str, wanted: &[String]) -> Result<Source, ImportError> {
    let damaged =
        |e: &dyn std::fmt::Display| ImportError::DamagedWorkbook { file: file.to_string(), reason: e.to_string() };
    // Open by the container's own type, so a damaged file reports what is wrong with it.
    let mut book = if bytes.starts_with(OLE_MAGIC) {
        calamine::open_workbook_from_rs(Cursor::new(bytes)).map(calamine::Sheets::Xls).map_err(|e| damaged(&e))?
    } else {
        match calamine::open_workbook_from_rs::<calamine::Xlsx<_>, _>(Cursor::new(bytes)) {
            Ok(xlsx) => calamine::Sheets::Xlsx(xlsx),
            Err(xlsx_error) => calamine::open_workbook_from_rs(Cursor::new(bytes))
                .map(calamine::Sheets::Ods)
                .map_err(|_: calamine::OdsError| damaged(&xlsx_error))?,
        }
    };
    let names = book.sheet_names();
    for w in wanted {
        if !names.contains(w) {
            return Err(ImportError::NoSuchSheet { file: file.to_string(), sheet: w.clone(), sheets: names.clone() });
        }
    }
    let mut sheets = Vec::new();
    for name in &names {
        if !wanted.is_empty() && !wanted.contains(name) {
            continue;
        }
        let too_large = |spread: Spread| ImportError::SheetTooLarge {
            file: format!("{file}[{name}]"),
            cells: spread.cells,
            far: format!("{}{}", super::row::column_letter(spread.far.1 as usize), u64::from(spread.far.0) + 1),
        };
        let rows = match &mut book {
            calamine::Sheets::Xlsx(xlsx) => xlsx_rows(xlsx, name).map_err(|e| damaged(&e))?.map_err(too_large)?,
            other => range_rows(&other.worksheet_range(name).map_err(|e| damaged(&e))?).map_err(too_large)?,
        };
        sheets.push((name.clone(), rows));
    }
    Ok(Source::Workbook { sheets })
}

/// A sheet may spread over at most this many cells, counted row by row up to each row's last
/// non-empty cell: a county of 100,000 schools fills some 2.5 million. The limit keeps a
/// workbook whose cells are scattered as far as XFD1048576 from taking all the PC's memory.
pub const MAX_SHEET_CELLS: u64 = 10_000_000;

/// How far a sheet's cells spread: the cells its rows would hold, and the farthest one.
#[derive(Debug, Clone, Copy)]
pub struct Spread {
    pub cells: u64,
    /// 0-based (row, column).
    pub far: (u32, u32),
}

/// The rows of an XLSX sheet, read cell by cell. Only rows with a non-empty cell are kept, each
/// as wide as its last non-empty cell: calamine's own range would be the full rectangle from
/// the first cell to the last, and a single cell at XFD1048576 makes that 17 billion cells.
fn xlsx_rows(
    book: &mut calamine::Xlsx<Cursor<&[u8]>>,
    sheet: &str,
) -> Result<Result<Vec<RawRow>, Spread>, calamine::XlsxError> {
    let mut reader = match book.worksheet_cells_reader(sheet) {
        Ok(reader) => reader,
        // A chart sheet: no cells, as calamine's own range reads it.
        Err(calamine::XlsxError::NotAWorksheet(_)) => return Ok(Ok(Vec::new())),
        Err(e) => return Err(e),
    };
    let mut rows: std::collections::BTreeMap<u32, Vec<(u32, String)>> = Default::default();
    while let Some(cell) = reader.next_cell()? {
        let text = cell_text(&Data::from(cell.get_value().clone()));
        if !text.is_empty() {
            let (row, column) = cell.get_position();
            rows.entry(row).or_default().push((column, text));
        }
    }
    let width = |cells: &[(u32, String)]| cells.iter().map(|(c, _)| *c).max().map_or(0, |c| u64::from(c) + 1);
    let cells = rows.values().map(|r| width(r)).sum::<u64>();
    if cells > MAX_SHEET_CELLS {
        let far = rows.iter().flat_map(|(r, cells)| cells.iter().map(move |(c, _)| (*r, *c))).max_by_key(|p| p.1);
        return Ok(Err(Spread { cells, far: far.unwrap_or_default() }));
    }
    Ok(Ok(rows
        .into_iter()
        .map(|(row, cells)| {
            let mut text = vec![String::new(); width(&cells) as usize];
            for (column, value) in cells {
                text[column as usize] = value;
            }
            RawRow { number: row.saturating_add(1), cells: text }
        })
        .collect()))
}

/// The rows of a sheet that calamine reads whole (XLS, ODS).
fn range_rows(range: &calamine::Range<Data>) -> Result<Vec<RawRow>, Spread> {
    let (row0, col0) = range.start().unwrap_or((0, 0));
    let (rows, columns) = range.get_size();
    let cells = (rows as u64).saturating_mul(u64::from(col0) + columns as u64);
    if cells > MAX_SHEET_CELLS {
        return Err(Spread { cells, far: range.end().unwrap_or_default() });
    }
    Ok(range
        .rows()
        .enumerate()
        .map(|(i, cells)| {
            let mut text: Vec<String> = vec![String::new(); col0 as usize];
            text.extend(cells.iter().map(cell_text));
            RawRow { number: row0 + i as u32 + 1, cells: text }
        })
        .collect())
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
    fn text_rows_keep_quoted_commas_and_newlines_in_one_row() {
        let rows: Vec<RawRow> = text_rows("a,b\n\"x,1\",\"two\nlines\"\nz,w\n", b',').map(|(r, _)| r).collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1].cells, vec!["x,1", "two\nlines"]);
        assert_eq!(rows[2].number, 3);
        // A blank line is a row in Excel too.
        let rows: Vec<RawRow> = text_rows("a,b\n\nc,d\n", b',').map(|(r, _)| r).collect();
        assert_eq!(rows.last().unwrap().number, 3);
    }
}
