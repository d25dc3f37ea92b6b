//! `shenhe import`: files → typed rows → one store transaction. An import lands whole or not
//! at all; every bad cell is named by file, row (as Excel shows it) and column.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::domain::Period;
use crate::i18n::{Lang, fill, printable};
use crate::store::{ImportBatch, Store, StoreError};

pub mod header;
pub mod limits;
pub(crate) mod read;
mod reader;
pub mod rejects;
pub(crate) mod row;
pub mod value;
mod workbook_guard;

pub use header::Column;
pub use read::RawRow;
use reader::{Checked, Chunk};
pub use rejects::Reject;

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
    /// What a sheet's fields may hold (`[limits]`).
    pub limits: limits::SheetLimits,
    /// Schools a report from the level below carries (code → who, as said in a refusal): at a
    /// city, a county's schools are the county's to review and cannot be imported over.
    pub held_below: std::collections::HashMap<String, String>,
}

impl ImportRequest {
    /// One run over `files`, reading the one sheet with a header, under the default limits.
    pub fn new(period: Period, files: Vec<PathBuf>, actor: impl Into<String>, at: impl Into<String>) -> Self {
        ImportRequest {
            period,
            files,
            sheets: Vec::new(),
            actor: actor.into(),
            at: at.into(),
            limits: Default::default(),
            held_below: Default::default(),
        }
    }
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
    /// Cells refused, in all; the first [`limits::REJECTS_KEPT`] are listed.
    pub rejected_cells: u64,
    /// Columns shenhe does not know: kept with every row, never dropped.
    pub extra_columns: Vec<String>,
    /// School codes accepted with a warning: not in the national 10-digit format.
    pub odd_codes: Vec<OddCode>,
    /// Per file (or sheet): how it was read.
    pub sources: Vec<SourceInfo>,
    /// When the import filled a period that was empty: its sheets as the store now holds
    /// them, so that the checks after it need not read them back (`rules::check_period_with`).
    #[serde(skip)]
    pub sheets: Option<crate::store::PeriodSheets>,
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
    #[error("{file}: {bytes} bytes, more than {limit}")]
    FileTooLarge { file: String, bytes: u64, limit: u64 },
    #[error("{file}: not a regular file ({kind})")]
    NotAFile { file: String, kind: &'static str },
    /// XLS and ODS: calamine reads them whole before anything can be counted.
    #[error("{file}: {format} is not read")]
    OldFormat { file: String, format: &'static str },
    #[error("{file}: part {part}: {problem:?}")]
    UnsafeWorkbook { file: String, part: String, problem: workbook_guard::PartProblem },
    /// `row` 1-based, `column` 0-based.
    #[error("{file}:{row}:{column}: {limit:?}")]
    LimitHit { file: String, row: u32, column: u32, limit: read::Limit },
    #[error("{file}: no sheet {sheet}")]
    NoSuchSheet { file: String, sheet: String, sheets: Vec<String> },
    #[error("{file}: several sheets have data")]
    SeveralSheets { file: String, sheets: Vec<String> },
    #[error("{file}: no header row")]
    NoHeader { file: String },
    #[error("{file}:{row}: missing columns")]
    MissingColumns { file: String, row: u32, columns: Vec<Column> },
    #[error("{file}:{row}: header cell {column} longer than {limit}")]
    HeaderTooLong { file: String, row: u32, column: u32, text: String, limit: u32 },
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
        let names = |sheets: &[String]| sheets.iter().map(|s| printable(s)).collect::<Vec<_>>().join("、");
        match self {
            ImportError::Unreadable { file, reason } => {
                fill(&m.import_unreadable, &[("file", &printable(file)), ("reason", reason)])
            }
            ImportError::EmptyFile { file } => fill(&m.import_empty_file, &[("file", &printable(file))]),
            ImportError::NotText { file } => fill(&m.import_not_text, &[("file", &printable(file))]),
            ImportError::BadEncoding { file, line } => {
                fill(&m.import_bad_encoding, &[("file", &printable(file)), ("line", line)])
            }
            ImportError::DamagedWorkbook { file, reason } => {
                fill(&m.import_damaged_workbook, &[("file", &printable(file)), ("reason", &printable(reason))])
            }
            ImportError::FileTooLarge { file, bytes, limit } => {
                fill(&m.import_file_too_large, &[("file", &printable(file)), ("bytes", bytes), ("limit", limit)])
            }
            ImportError::NotAFile { file, kind } => {
                let kind = if *kind == "directory" { &m.read_kind_directory } else { &m.read_kind_special };
                fill(&m.import_not_a_file, &[("file", &printable(file)), ("kind", kind)])
            }
            ImportError::OldFormat { file, format } => {
                fill(&m.import_old_format, &[("file", &printable(file)), ("format", format)])
            }
            ImportError::UnsafeWorkbook { file, part, problem } => {
                use workbook_guard::PartProblem;
                let problem = match problem {
                    PartProblem::TooManyParts { parts } => {
                        return fill(&m.import_too_many_parts, &[("file", &printable(file)), ("parts", parts)]);
                    }
                    PartProblem::TooLarge { limit } => fill(&m.part_too_large, &[("limit", limit)]),
                    PartProblem::RunTooLong { limit } => fill(&m.part_run_too_long, &[("limit", limit)]),
                    PartProblem::BadReference(r) => fill(&m.part_bad_reference, &[("reference", &excerpt(r))]),
                    PartProblem::TooManyStrings(n) => fill(&m.part_too_many_strings, &[("count", &excerpt(n))]),
                    PartProblem::WorkbookTooLarge { limit } => fill(&m.part_workbook_too_large, &[("limit", limit)]),
                    PartProblem::TooManyCells { limit } => fill(&m.part_too_many_cells, &[("limit", limit)]),
                    PartProblem::CellTooLong { limit } => fill(&m.part_cell_too_long, &[("limit", limit)]),
                    PartProblem::TooManyTags { limit } => fill(&m.part_too_many_tags, &[("limit", limit)]),
                    PartProblem::CData => m.part_cdata.clone(),
                    PartProblem::SharedSheetPart(target) => fill(&m.part_shared_sheet, &[("target", &excerpt(target))]),
                };
                fill(
                    &m.import_unsafe_workbook,
                    &[("file", &printable(file)), ("part", &printable(part)), ("problem", &problem)],
                )
            }
            ImportError::LimitHit { file, row, column, limit } => {
                let what = match limit {
                    read::Limit::CellChars => fill(&m.limit_cell_chars, &[("limit", &limits::CELL_CHARS)]),
                    read::Limit::Cells => fill(&m.limit_cells, &[("limit", &limits::CELLS)]),
                    read::Limit::TextBytes => fill(&m.limit_text_bytes, &[("limit", &limits::TEXT_BYTES)]),
                    read::Limit::Columns(n) => fill(&m.limit_columns, &[("limit", n)]),
                    read::Limit::Rows => fill(&m.limit_rows, &[("limit", &limits::SHEET_ROWS)]),
                    read::Limit::Schools => fill(&m.limit_schools, &[("limit", &limits::SCHOOLS)]),
                };
                let column = row::column_letter(*column as usize);
                fill(
                    &m.import_limit_hit,
                    &[("file", &printable(file)), ("row", row), ("column", &column), ("what", &what)],
                )
            }
            ImportError::NoSuchSheet { file, sheet, sheets } => fill(
                &m.import_no_such_sheet,
                &[("file", &printable(file)), ("sheet", &printable(sheet)), ("sheets", &names(sheets))],
            ),
            ImportError::SeveralSheets { file, sheets } => {
                fill(&m.import_several_sheets, &[("file", &printable(file)), ("sheets", &names(sheets))])
            }
            ImportError::NoHeader { file } => {
                let names = Column::REQUIRED.map(Column::header_zh).join("、");
                fill(
                    &m.import_no_header,
                    &[("file", &printable(file)), ("rows", &row::HEADER_SEARCH_ROWS), ("columns", &names)],
                )
            }
            ImportError::MissingColumns { file, row, columns } => {
                let names: Vec<String> = columns.iter().map(|c| format!("{}（{}）", c.header_zh(), c.key())).collect();
                fill(
                    &m.import_missing_columns,
                    &[("file", &printable(file)), ("row", row), ("columns", &names.join("、"))],
                )
            }
            ImportError::DuplicateColumn { file, row, first, second } => fill(
                &m.import_duplicate_column,
                &[("file", &printable(file)), ("row", row), ("first", &excerpt(first)), ("second", &excerpt(second))],
            ),
            ImportError::HeaderTooLong { file, row, column, text, limit } => fill(
                &m.import_header_too_long,
                &[
                    ("file", &printable(file)),
                    ("row", row),
                    ("column", &row::column_letter(*column as usize)),
                    ("text", text),
                    ("limit", limit),
                ],
            ),
            ImportError::NoDataRows { file, header_row } => {
                fill(&m.import_no_data_rows, &[("file", &printable(file)), ("row", header_row)])
            }
            ImportError::Rejected(_, summary) => fill(&m.import_rejected, &[("count", &summary.rejected_cells)]),
            ImportError::Store(e) => e.user_message(lang),
        }
    }
}

/// A cell's text as a message quotes it: [`printable`], and cut after this many characters.
const EXCERPT_CHARS: usize = 60;

/// A cell's text as a message quotes it: [`printable`], at most [`EXCERPT_CHARS`] characters
/// (a 100,000-character cell would bury the rest of the message).
pub fn excerpt(text: &str) -> String {
    match text.char_indices().nth(EXCERPT_CHARS) {
        Some((end, _)) => format!("{}…", printable(&text[..end])),
        None => printable(text),
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

/// Rows the reader has accepted, handed to the writer in chunks of about this many.
const CHUNK_ROWS: usize = 1024;
/// Chunks that may wait between the reader and the writer: enough to keep both busy, few
/// enough that memory stays flat whatever the file's size.
const CHUNKS_IN_FLIGHT: usize = 8;

/// Imports the files into the period, all in one transaction.
///
/// Reading and checking the files runs on a second thread while this one writes the rows that
/// passed into the store: on the auditor's two-core PC the import takes about as long as the
/// slower of the two rather than their sum. Nothing is committed until both are done and no
/// row was refused.
pub fn import_files(
    store: &mut Store,
    req: &ImportRequest,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<ImportSummary, ImportError> {
    let mut batch = store.begin_import(req.period, &req.at, &req.actor)?;
    let (to_writer, from_reader) = std::sync::mpsc::sync_channel(CHUNKS_IN_FLIGHT);
    let mut kept = batch.period_was_empty().then(Vec::new);
    let (read, written) = std::thread::scope(|scope| {
        let reader = scope.spawn(move || reader::read_all(req, &to_writer));
        // On a store error the receiver is dropped here, and the reader stops at its next send.
        let written = write_chunks(&mut batch, from_reader, progress, kept.as_mut());
        (reader.join(), written)
    });
    let Checked { mut summary, rejects, sources } = read.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
    written?;

    if summary.rejected > 0 {
        return Err(ImportError::Rejected(rejects, Box::new(summary)));
    }
    let counts = batch.counts();
    if counts.new_schools + counts.new_revisions > 0 {
        batch.commit(&serde_json::Value::Array(sources).to_string())?;
        summary.sheets = kept.map(|sheets| store.period_sheets(sheets)).transpose()?;
    }
    // else: the same data again. Dropping the batch leaves the store exactly as it was.
    summary.new_schools = counts.new_schools;
    summary.new_revisions = counts.new_revisions;
    summary.unchanged = counts.unchanged;
    Ok(summary)
}

/// The writer's side: every accepted row into the open batch, reporting progress as it goes;
/// the rows' data kept in `kept` when given (a period that was empty: they are its sheets).
fn write_chunks(
    batch: &mut ImportBatch<'_>,
    chunks: std::sync::mpsc::Receiver<Chunk>,
    progress: &mut dyn FnMut(Progress<'_>),
    mut kept: Option<&mut Vec<crate::domain::SubmissionData>>,
) -> Result<(), StoreError> {
    let mut writer = batch.rows()?;
    for chunk in chunks {
        for row in chunk.rows {
            // Hashed here rather than by the reader: reading and checking the cells is the
            // longer half of an import, and this thread would otherwise wait for it.
            writer.put(&row.data, &row.data.content_hash(), &row.source, row.number)?;
            if let Some(kept) = kept.as_mut() {
                kept.push(row.data);
            }
        }
        progress(Progress { file: &chunk.file, done: chunk.done, total: chunk.total });
    }
    Ok(())
}

/// Files are named in messages as the user gave them, so the path can be opened as shown.
fn display_name(path: &Path) -> String {
    path.display().to_string()
}
