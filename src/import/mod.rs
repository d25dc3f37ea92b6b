//! `shenhe import`: files → typed rows → one store transaction. An import lands whole or not
//! at all; every bad cell is named by file, row (as Excel shows it) and column.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::domain::{Period, school::is_national_code};
use crate::i18n::{Lang, fill};
use crate::store::{Store, StoreError};

pub mod header;
mod read;
pub mod rejects;
mod row;
pub mod value;

pub use header::Column;
pub use read::RawRow;
use read::Source;
pub use rejects::Reject;
use row::Layout;

/// How an import run is asked for.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    pub period: Period,
    pub files: Vec<PathBuf>,
    /// Workbook sheets to read (`--sheet`); empty means "the one sheet with a header".
    pub sheets: Vec<String>,
    /// Who imports (the auditor's name), for the store's records.
    pub actor: String,
    /// When, as RFC 3339: the clock is injected so tests are repeatable.
    pub at: String,
}

/// What an import did; also the `--json` object.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportSummary {
    pub period: String,
    pub files: Vec<String>,
    /// Data rows read (blank rows not counted).
    pub rows: u64,
    /// Distinct schools in the files.
    pub schools: u64,
    /// Schools that had nothing in this period before.
    pub new_schools: u64,
    /// Schools whose data changed: a new revision each.
    pub new_revisions: u64,
    /// Rows identical to what the store already holds.
    pub unchanged: u64,
    /// Rows that are 未填报.
    pub unfilled: u64,
    /// Rows refused (the import is then not applied).
    pub rejected: u64,
    /// Columns shenhe does not know: kept with every row, never dropped.
    pub extra_columns: Vec<String>,
    /// School codes accepted with a warning: not in the national 10-digit format.
    pub odd_codes: Vec<OddCode>,
    /// Per file (or sheet): how it was read.
    pub sources: Vec<SourceInfo>,
}

/// The `format` of a sheet read from a workbook.
pub const WORKBOOK: &str = "workbook";

/// How one file or sheet was read: its encoding (or sheet) and where its header was found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceInfo {
    pub file: String,
    /// `UTF-8`, `GB18030`… for text, [`WORKBOOK`] for a workbook's sheet.
    pub format: String,
    pub header_row: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{file}: {reason}")]
    Unreadable { file: String, reason: String },
    #[error("{file}: empty file")]
    EmptyFile { file: String },
    #[error("{file}: not a text file")]
    NotText { file: String },
    #[error("{file}:{line}: neither UTF-8 nor GB18030")]
    BadEncoding { file: String, line: usize },
    #[error("{file}: damaged workbook: {reason}")]
    DamagedWorkbook { file: String, reason: String },
    #[error("{file}: no sheet {sheet}")]
    NoSuchSheet { file: String, sheet: String, sheets: Vec<String> },
    #[error("{file}: several sheets have data")]
    SeveralSheets { file: String, sheets: Vec<String> },
    #[error("{file}: no header row")]
    NoHeader { file: String },
    #[error("{file}:{row}: missing columns")]
    MissingColumns { file: String, row: u32, columns: Vec<Column> },
    #[error("{file}:{row}: column given twice")]
    DuplicateColumn { file: String, row: u32, first: String, second: String },
    #[error("{file}: no data rows below the header")]
    NoDataRows { file: String, header_row: u32 },
    #[error("{} rows refused", .0.len())]
    Rejected(Vec<Reject>, Box<ImportSummary>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ImportError {
    pub fn user_message(&self, lang: Lang) -> String {
        let m = lang.msg();
        match self {
            ImportError::Unreadable { file, reason } => {
                fill(&m.import_unreadable, &[("file", file), ("reason", reason)])
            }
            ImportError::EmptyFile { file } => fill(&m.import_empty_file, &[("file", file)]),
            ImportError::NotText { file } => fill(&m.import_not_text, &[("file", file)]),
            ImportError::BadEncoding { file, line } => fill(&m.import_bad_encoding, &[("file", file), ("line", line)]),
            ImportError::DamagedWorkbook { file, reason } => {
                fill(&m.import_damaged_workbook, &[("file", file), ("reason", reason)])
            }
            ImportError::NoSuchSheet { file, sheet, sheets } => {
                fill(&m.import_no_such_sheet, &[("file", file), ("sheet", sheet), ("sheets", &sheets.join("、"))])
            }
            ImportError::SeveralSheets { file, sheets } => {
                fill(&m.import_several_sheets, &[("file", file), ("sheets", &sheets.join("、"))])
            }
            ImportError::NoHeader { file } => {
                let names = Column::REQUIRED.map(Column::header_zh).join("、");
                fill(&m.import_no_header, &[("file", file), ("rows", &row::HEADER_SEARCH_ROWS), ("columns", &names)])
            }
            ImportError::MissingColumns { file, row, columns } => {
                let names: Vec<String> = columns.iter().map(|c| format!("{}（{}）", c.header_zh(), c.key())).collect();
                fill(&m.import_missing_columns, &[("file", file), ("row", row), ("columns", &names.join("、"))])
            }
            ImportError::DuplicateColumn { file, row, first, second } => {
                fill(&m.import_duplicate_column, &[("file", file), ("row", row), ("first", first), ("second", second)])
            }
            ImportError::NoDataRows { file, header_row } => {
                fill(&m.import_no_data_rows, &[("file", file), ("row", header_row)])
            }
            ImportError::Rejected(rejects, _) => fill(&m.import_rejected, &[("count", &rejects.len())]),
            ImportError::Store(e) => e.user_message(lang),
        }
    }
}

/// Progress of a long import: bytes of the current file done and in all.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    pub file: &'a str,
    pub done: u64,
    pub total: u64,
}

/// A school code accepted although it is not in the national format (PRODUCT.md §3).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OddCode {
    pub file: String,
    pub row: u32,
    pub code: String,
}

/// Where a school code was first seen, to name both rows of a duplicate.
struct Seen {
    file: usize,
    row: u32,
}

/// Imports the files into the period, all in one transaction.
pub fn import_files(
    store: &mut Store,
    req: &ImportRequest,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<ImportSummary, ImportError> {
    let mut summary = ImportSummary { period: req.period.to_string(), ..Default::default() };
    let mut rejects: Vec<Reject> = Vec::new();
    let mut seen: HashMap<String, Seen> = HashMap::new();
    let mut sources_json = Vec::new();
    let mut batch = store.begin_import(req.period, &req.at, &req.actor)?;

    for (file_index, path) in req.files.iter().enumerate() {
        let file = display_name(path);
        summary.files.push(path.display().to_string());
        let bytes_total = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let (tables, sha256) = tables_of(path, &file, &req.sheets)?;
        let mut file_rows = 0u64;
        for table in tables.iter() {
            let (label, rows): (String, Box<dyn Iterator<Item = (RawRow, u64)>>) = match table {
                Table::Text { text, delimiter, encoding } => {
                    (encoding.to_string(), Box::new(read::text_rows(text, *delimiter)))
                }
                Table::Sheet { rows, .. } => (WORKBOOK.to_string(), Box::new(rows.iter().cloned().map(|r| (r, 0)))),
            };
            let where_ = match table {
                Table::Sheet { name, .. } => format!("{file}[{name}]"),
                Table::Text { .. } => file.clone(),
            };
            let mut rows = rows.peekable();
            let mut head: Vec<(RawRow, u64)> = Vec::new();
            while head.len() < row::HEADER_SEARCH_ROWS {
                match rows.next() {
                    Some(r) => head.push(r),
                    None => break,
                }
            }
            let raw_head: Vec<RawRow> = head.iter().map(|(r, _)| r.clone()).collect();
            let header_index =
                row::find_header(&raw_head).ok_or_else(|| ImportError::NoHeader { file: where_.clone() })?;
            let layout = Layout::from_header(&raw_head[header_index]).map_err(|d| ImportError::DuplicateColumn {
                file: where_.clone(),
                row: raw_head[header_index].number,
                first: d.first,
                second: d.second,
            })?;
            let missing: Vec<Column> = Column::REQUIRED.into_iter().filter(|c| !layout.has(*c)).collect();
            if !missing.is_empty() {
                return Err(ImportError::MissingColumns { file: where_, row: layout.header_row, columns: missing });
            }
            for extra in layout.extras() {
                if !summary.extra_columns.iter().any(|e| e == extra) {
                    summary.extra_columns.push(extra.to_string());
                }
            }
            summary.sources.push(SourceInfo { file: where_.clone(), format: label, header_row: layout.header_row });

            let data_rows = head.into_iter().skip(header_index + 1).chain(rows);
            let mut table_rows = 0u64;
            for (raw, offset) in data_rows {
                if raw.is_blank() {
                    continue;
                }
                table_rows += 1;
                summary.rows += 1;
                if offset > 0 && table_rows.is_multiple_of(2048) {
                    progress(Progress { file: &file, done: offset, total: bytes_total });
                }
                let data = match layout.read(&raw) {
                    Ok(d) => d,
                    Err(problems) => {
                        rejects.extend(problems.into_iter().map(|p| Reject::cell(&where_, raw.number, p)));
                        continue;
                    }
                };
                if let Some(first) = seen.get(&data.school_code) {
                    let first_file = (first.file != file_index).then(|| display_name(&req.files[first.file]));
                    rejects.push(Reject::duplicate(&where_, raw.number, &data.school_code, first.row, first_file));
                    continue;
                }
                seen.insert(data.school_code.clone(), Seen { file: file_index, row: raw.number });
                if !is_national_code(&data.school_code) {
                    summary.odd_codes.push(OddCode {
                        file: where_.clone(),
                        row: raw.number,
                        code: data.school_code.clone(),
                    });
                }
                if !data.filled {
                    summary.unfilled += 1;
                }
                // Once a row is refused nothing will be kept: stop writing, keep checking.
                if rejects.is_empty() {
                    batch.put(&data, &file, raw.number)?;
                }
            }
            if table_rows == 0 {
                return Err(ImportError::NoDataRows { file: where_, header_row: layout.header_row });
            }
            file_rows += table_rows;
        }
        progress(Progress { file: &file, done: bytes_total, total: bytes_total });
        sources_json.push(serde_json::json!({
            "path": path.display().to_string(),
            "sha256": sha256,
            "rows": file_rows,
        }));
    }

    summary.schools = seen.len() as u64;
    if !rejects.is_empty() {
        summary.rejected =
            rejects.iter().map(|r| (&r.file, r.row)).collect::<std::collections::HashSet<_>>().len() as u64;
        drop(batch);
        return Err(ImportError::Rejected(rejects, Box::new(summary)));
    }
    let counts = batch.counts();
    if counts.new_schools + counts.new_revisions > 0 {
        batch.commit(&serde_json::Value::Array(sources_json).to_string())?;
    }
    // else: the same data again. Dropping the batch leaves the store exactly as it was.
    summary.new_schools = counts.new_schools;
    summary.new_revisions = counts.new_revisions;
    summary.unchanged = counts.unchanged;
    Ok(summary)
}

/// One readable table of a file: a decoded text, or one sheet of a workbook.
enum Table {
    Text { text: String, delimiter: u8, encoding: &'static str },
    Sheet { name: String, rows: Vec<RawRow> },
}

/// Opens a file and picks what to read from it: the delimiter that yields a header for text,
/// the sheet(s) for a workbook (the one with a header, or those named by `--sheet`).
fn tables_of(path: &Path, file: &str, sheets: &[String]) -> Result<(Vec<Table>, String), ImportError> {
    let (source, sha256) = read::open(path, sheets)?;
    let tables = match source {
        Source::Text { text, encoding } => {
            let head_of = |d: u8| -> Vec<RawRow> {
                read::text_rows(&text, d).take(row::HEADER_SEARCH_ROWS).map(|(r, _)| r).collect()
            };
            let score = |d: u8| {
                let head = head_of(d);
                row::find_header(&head)
                    .map_or(0, |i| head[i].cells.iter().filter(|c| Column::from_header(c).is_some()).count())
            };
            let delimiter = read::DELIMITERS.into_iter().max_by_key(|d| (score(*d), *d == b',')).unwrap_or(b',');
            vec![Table::Text { text, delimiter, encoding }]
        }
        Source::Workbook { sheets: found } => {
            if !sheets.is_empty() {
                return Ok((found.into_iter().map(|(name, rows)| Table::Sheet { name, rows }).collect(), sha256));
            }
            let mut with_header: Vec<(String, Vec<RawRow>)> = found
                .into_iter()
                .filter(|(_, rows)| row::find_header(&rows[..rows.len().min(row::HEADER_SEARCH_ROWS)]).is_some())
                .collect();
            match with_header.len() {
                0 => return Err(ImportError::NoHeader { file: file.to_string() }),
                1 => {
                    let (name, rows) = with_header.remove(0);
                    vec![Table::Sheet { name, rows }]
                }
                _ => {
                    let sheets = with_header.into_iter().map(|(n, _)| n).collect();
                    return Err(ImportError::SeveralSheets { file: file.to_string(), sheets });
                }
            }
        }
    };
    Ok((tables, sha256))
}

/// Files are named in messages as the user gave them, so the path can be opened as shown.
fn display_name(path: &Path) -> String {
    path.display().to_string()
}
