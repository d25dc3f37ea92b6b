//! The reading side of an import: files → tables → checked rows. Runs on its own thread and
//! hands the rows that passed to the writer in chunks; everything it learns on the way (the
//! summary, the refused cells, the sources) it returns when the last file is done.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::SyncSender;

use super::read::{self, RawRow, Source};
use super::row::{self, Layout};
use super::{
    CHUNK_ROWS, Column, ImportError, ImportRequest, ImportSummary, OddCode, Reject, SourceInfo, WORKBOOK, limits,
};
use crate::domain::SubmissionData;
use crate::domain::school::is_national_code;

/// One row that passed every check, ready to be written.
pub(super) struct Accepted {
    pub data: SubmissionData,
    /// The file (and sheet) it came from, as messages name it.
    pub source: Arc<str>,
    /// As Excel shows it.
    pub number: u32,
}

/// Accepted rows, with how far through its file the reader was when it sent them.
pub(super) struct Chunk {
    pub file: Arc<str>,
    pub done: u64,
    pub total: u64,
    pub rows: Vec<Accepted>,
}

/// What reading all the files found besides the rows themselves.
pub(super) struct Checked {
    pub summary: ImportSummary,
    pub rejects: Vec<Reject>,
    /// `{path, sha256, rows}` per file, recorded with the import.
    pub sources: Vec<serde_json::Value>,
}

/// Where a school code was first seen, to name both rows of a duplicate.
struct Seen {
    file: usize,
    row: u32,
}

/// The reader's state across files.
struct Reader<'r> {
    req: &'r ImportRequest,
    to_writer: &'r SyncSender<Chunk>,
    summary: ImportSummary,
    rejects: Vec<Reject>,
    seen: HashMap<String, Seen>,
    /// The unknown columns already in the summary: a header may name tens of thousands.
    extra_seen: HashSet<String>,
    pending: Vec<Accepted>,
    /// The writer has hung up (it failed): stop reading, its error is the one to report.
    writer_gone: bool,
    /// Set when the import passed [`limits::SCHOOLS`]: reading stops with it.
    too_many: Option<ImportError>,
    /// The bytes of text in [`Reader::pending`], roughly: a chunk is sent at [`CHUNK_BYTES`]
    /// too, so that rows of long extra columns do not pile up between the threads.
    pending_bytes: usize,
}

/// A chunk is sent when its rows hold about this much text.
const CHUNK_BYTES: usize = 4 << 20;

impl Reader<'_> {
    /// Keeps a refused cell while fewer than [`limits::REJECTS_KEPT`] are kept; counts it always.
    fn refuse(&mut self, reject: Reject) {
        self.summary.rejected_cells += 1;
        if self.rejects.len() < limits::REJECTS_KEPT {
            self.rejects.push(reject);
        }
    }
}

/// Reads and checks every file of the request, sending accepted rows to the writer.
pub(super) fn read_all(req: &ImportRequest, to_writer: &SyncSender<Chunk>) -> Result<Checked, ImportError> {
    let mut reader = Reader {
        req,
        to_writer,
        summary: ImportSummary { period: req.period.to_string(), ..Default::default() },
        rejects: Vec::new(),
        seen: HashMap::new(),
        extra_seen: HashSet::new(),
        pending: Vec::with_capacity(CHUNK_ROWS),
        writer_gone: false,
        too_many: None,
        pending_bytes: 0,
    };
    let mut sources = Vec::new();
    for (file_index, path) in req.files.iter().enumerate() {
        let file: Arc<str> = super::display_name(path).into();
        reader.summary.files.push(file.to_string());
        let (tables, sha256) = tables_of(path, &file, &req.sheets, req.limits.columns)?;
        let bytes = std::fs::metadata(path).map_or(0, |m| m.len());
        let mut rows = 0;
        for table in &tables {
            rows += reader.table(file_index, &file, table, bytes)?;
        }
        reader.send(&file, bytes, bytes);
        sources.push(serde_json::json!({ "path": &*file, "sha256": sha256, "rows": rows }));
        if reader.writer_gone {
            break;
        }
    }
    reader.summary.schools = reader.seen.len() as u64;
    Ok(Checked { summary: reader.summary, rejects: reader.rejects, sources })
}

impl Reader<'_> {
    /// Reads one table (a CSV, or one sheet): finds its header, then takes its rows.
    /// Returns the number of data rows.
    fn table(&mut self, file_index: usize, file: &Arc<str>, table: &Table, bytes: u64) -> Result<u64, ImportError> {
        let (format, where_, mut rows): (String, Arc<str>, RowsWithOffsets<'_>) = match table {
            Table::Text { text, delimiter, encoding } => (
                encoding.to_string(),
                file.clone(),
                Box::new(read::text_rows(text, *delimiter, self.req.limits.columns)),
            ),
            Table::Sheet { name, sheet } => {
                (WORKBOOK.to_string(), format!("{file}[{name}]").into(), Box::new(sheet.rows().map(|r| Ok((r, 0)))))
            }
        };
        let hit = |h: read::Hit| ImportError::LimitHit {
            file: where_.to_string(),
            row: h.row,
            column: h.column,
            limit: h.limit,
        };
        let head: Vec<(RawRow, u64)> =
            rows.by_ref().take(row::HEADER_SEARCH_ROWS).collect::<Result<_, _>>().map_err(hit)?;
        let layout = self.layout(&where_, &head)?;
        self.summary.sources.push(SourceInfo { file: where_.to_string(), format, header_row: layout.header_row });

        let below_header = head.into_iter().skip_while(|(r, _)| r.number <= layout.header_row);
        let mut count = 0u64;
        for next in below_header.map(Ok).chain(rows) {
            let (raw, offset) = next.map_err(hit)?;
            if raw.is_blank() {
                continue;
            }
            count += 1;
            self.row(file_index, &where_, &layout, &raw);
            if let Some(e) = self.too_many.take() {
                return Err(e);
            }
            if self.pending.len() >= CHUNK_ROWS || self.pending_bytes >= CHUNK_BYTES {
                self.send(file, offset, bytes);
            }
            if self.writer_gone {
                break;
            }
        }
        if count == 0 {
            return Err(ImportError::NoDataRows { file: where_.to_string(), header_row: layout.header_row });
        }
        self.summary.rows += count;
        Ok(count)
    }

    /// The header of a table, which must name the required columns once each.
    fn layout(&mut self, where_: &str, head: &[(RawRow, u64)]) -> Result<Layout, ImportError> {
        let head: Vec<RawRow> = head.iter().map(|(r, _)| r.clone()).collect();
        let index = row::find_header(&head).ok_or_else(|| ImportError::NoHeader { file: where_.to_string() })?;
        let layout = Layout::from_header(&head[index])
            .map_err(|d| ImportError::DuplicateColumn {
                file: where_.to_string(),
                row: head[index].number,
                first: d.first,
                second: d.second,
            })?
            .with_limits(self.req.limits);
        if let Some((column, text)) = layout.overlong_header() {
            return Err(ImportError::HeaderTooLong {
                file: where_.to_string(),
                row: layout.header_row,
                column: column as u32,
                text: super::excerpt(text),
                limit: self.req.limits.name_chars,
            });
        }
        let missing: Vec<Column> = Column::REQUIRED.into_iter().filter(|c| !layout.has(*c)).collect();
        if !missing.is_empty() {
            return Err(ImportError::MissingColumns {
                file: where_.to_string(),
                row: layout.header_row,
                columns: missing,
            });
        }
        for extra in layout.extras() {
            if self.extra_seen.insert(extra.to_string()) {
                self.summary.extra_columns.push(extra.to_string());
            }
        }
        Ok(layout)
    }

    /// One data row: checked, then queued for the writer unless some row has been refused.
    fn row(&mut self, file_index: usize, where_: &Arc<str>, layout: &Layout, raw: &RawRow) {
        let data = match layout.read(raw) {
            Ok(d) => d,
            Err(problems) => {
                self.summary.rejected += 1;
                for p in problems {
                    self.refuse(Reject::cell(where_, raw.number, p));
                }
                return;
            }
        };
        if let Some(by) = self.req.held_below.get(&data.school_code) {
            self.summary.rejected += 1;
            self.refuse(Reject::held_below(where_, raw.number, &data.school_code, by));
            return;
        }
        if let Some(first) = self.seen.get(&data.school_code) {
            let first_file = (first.file != file_index).then(|| super::display_name(&self.req.files[first.file]));
            self.summary.rejected += 1;
            self.refuse(Reject::duplicate(where_, raw.number, &data.school_code, first.row, first_file));
            return;
        }
        self.seen.insert(data.school_code.clone(), Seen { file: file_index, row: raw.number });
        if self.seen.len() as u64 > limits::SCHOOLS && self.too_many.is_none() {
            self.too_many = Some(ImportError::LimitHit {
                file: where_.to_string(),
                row: raw.number,
                column: 0,
                limit: read::Limit::Schools,
            });
        }
        if !is_national_code(&data.school_code) && self.summary.odd_codes.len() < limits::REJECTS_KEPT {
            self.summary.odd_codes.push(OddCode {
                file: where_.to_string(),
                row: raw.number,
                code: data.school_code.clone(),
            });
        }
        if !data.filled {
            self.summary.unfilled += 1;
        }
        // Once a row is refused nothing will be kept: stop writing, keep checking.
        if self.summary.rejected == 0 {
            self.pending_bytes += data.name.len() + data.extras.iter().map(|(h, v)| h.len() + v.len()).sum::<usize>();
            self.pending.push(Accepted { data, source: where_.clone(), number: raw.number });
        } else {
            self.pending.clear();
            self.pending_bytes = 0;
        }
    }

    /// Hands the queued rows to the writer, with how far through `file` the reader is.
    fn send(&mut self, file: &Arc<str>, done: u64, total: u64) {
        let rows = std::mem::replace(&mut self.pending, Vec::with_capacity(CHUNK_ROWS));
        self.pending_bytes = 0;
        let chunk = Chunk { file: file.clone(), done, total, rows };
        if self.to_writer.send(chunk).is_err() {
            self.writer_gone = true;
        }
    }
}

/// A table's rows, each with the byte offset reached after it (0 for a workbook's sheet), or
/// where a reading limit stopped it.
type RowsWithOffsets<'t> = Box<dyn Iterator<Item = Result<(RawRow, u64), read::Hit>> + 't>;

/// One readable table of a file: a decoded text, or one sheet of a workbook.
enum Table {
    Text { text: String, delimiter: u8, encoding: &'static str },
    Sheet { name: String, sheet: read::Sheet },
}

/// Opens a file and picks what to read from it: the delimiter that yields a header for text,
/// the sheet(s) for a workbook (the one with a header, or those named by `--sheet`).
fn tables_of(path: &Path, file: &str, sheets: &[String], columns: u32) -> Result<(Vec<Table>, String), ImportError> {
    let (source, sha256) = read::open(path, sheets, columns)?;
    let tables = match source {
        Source::Text { text, encoding } => {
            // A limit hit in the first rows is reported when the table is read.
            let head_of = |d: u8| -> Vec<RawRow> {
                read::text_rows(&text, d, columns)
                    .take(row::HEADER_SEARCH_ROWS)
                    .map_while(|r| r.ok())
                    .map(|(r, _)| r)
                    .collect()
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
                return Ok((found.into_iter().map(|(name, sheet)| Table::Sheet { name, sheet }).collect(), sha256));
            }
            let mut with_header: Vec<(String, read::Sheet)> = found
                .into_iter()
                .filter(|(_, sheet)| {
                    row::find_header(&sheet.rows().take(row::HEADER_SEARCH_ROWS).collect::<Vec<_>>()).is_some()
                })
                .collect();
            match with_header.len() {
                0 => return Err(ImportError::NoHeader { file: file.to_string() }),
                1 => {
                    let (name, sheet) = with_header.remove(0);
                    vec![Table::Sheet { name, sheet }]
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
