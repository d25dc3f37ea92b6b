//! Finding the header row of a sheet and reading each data row into a [`SubmissionData`].

use std::collections::HashSet;

use super::header::Column;
use super::limits::{BANDWIDTH_MIN_MBPS, REJECT_VALUE_CHARS, SheetLimits};
use super::read::RawRow;
use super::value::{self, Expected};
use crate::domain::{AccessType, SchoolStatus, SchoolType, SubmissionData, UrbanRural};

/// How far down a sheet the header may sit (title rows, export dates above it).
pub const HEADER_SEARCH_ROWS: usize = 30;

/// What one cell position of the sheet holds.
#[derive(Debug, Clone, PartialEq)]
enum Slot {
    Known(Column),
    /// An unknown column, kept under its header text.
    Extra(String),
}

/// The header of a sheet: which column sits where.
#[derive(Debug, Clone)]
pub struct Layout {
    pub header_row: u32,
    /// The header text of each position, as the user wrote it.
    pub headers: Vec<String>,
    slots: Vec<Slot>,
    limits: SheetLimits,
}

/// A known column given twice.
#[derive(Debug, Clone, PartialEq)]
pub struct DuplicateColumn {
    pub column: Column,
    pub first: String,
    pub second: String,
}

/// How many distinct known columns a row names: the header is the row that names the most.
fn known_columns(row: &RawRow) -> usize {
    row.cells.iter().filter_map(|c| Column::from_header(c)).collect::<HashSet<_>>().len()
}

/// The index (in `rows`) of the header row: the first row naming the most known columns,
/// and at least two of them. None when no row looks like a header.
pub fn find_header(rows: &[RawRow]) -> Option<usize> {
    let (best, score) = rows
        .iter()
        .take(HEADER_SEARCH_ROWS)
        .enumerate()
        .map(|(i, r)| (i, known_columns(r)))
        .fold((0, 0), |acc, (i, s)| if s > acc.1 { (i, s) } else { acc });
    (score >= 2).then_some(best)
}

/// Spreadsheet letters for a 0-based column index: 0 → A, 26 → AA.
pub fn column_letter(mut index: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII letters")
}

impl Layout {
    pub fn from_header(row: &RawRow) -> Result<Layout, DuplicateColumn> {
        let mut slots = Vec::with_capacity(row.cells.len());
        let mut headers = Vec::with_capacity(row.cells.len());
        let mut seen: Vec<(Column, String)> = Vec::new();
        for (i, cell) in row.cells.iter().enumerate() {
            // A header is one line wherever it is shown; other hidden characters are made visible.
            let shown: String = cell
                .trim()
                .chars()
                .map(|c| match c {
                    '\t' | '\r' | '\n' => ' ',
                    c if crate::i18n::is_hidden(c) => char::REPLACEMENT_CHARACTER,
                    c => c,
                })
                .collect();
            let shown = if shown.is_empty() { column_letter(i) } else { shown };
            match Column::from_header(cell) {
                Some(column) => {
                    if let Some((_, first)) = seen.iter().find(|(c, _)| *c == column) {
                        return Err(DuplicateColumn { column, first: first.clone(), second: shown });
                    }
                    seen.push((column, shown.clone()));
                    slots.push(Slot::Known(column));
                }
                None => slots.push(Slot::Extra(shown.clone())),
            }
            headers.push(shown);
        }
        Ok(Layout { header_row: row.number, headers, slots, limits: SheetLimits::default() })
    }

    /// The field limits the rows are read with (the defaults until set).
    pub fn with_limits(mut self, limits: SheetLimits) -> Layout {
        self.limits = limits;
        self
    }

    /// The first header cell longer than a name may be: (0-based column, its text).
    pub fn overlong_header(&self) -> Option<(usize, &str)> {
        let max = self.limits.name_chars as usize;
        self.headers.iter().enumerate().find(|(_, h)| h.chars().count() > max).map(|(i, h)| (i, h.as_str()))
    }

    pub fn has(&self, column: Column) -> bool {
        self.slots.contains(&Slot::Known(column))
    }

    /// Unknown columns, by header text, in sheet order.
    pub fn extras(&self) -> impl Iterator<Item = &str> {
        self.slots.iter().filter_map(|s| match s {
            Slot::Extra(name) => Some(name.as_str()),
            Slot::Known(_) => None,
        })
    }

    /// Reads one data row. On failure, every bad cell of the row: (header, value, expected).
    pub fn read(&self, row: &RawRow) -> Result<SubmissionData, Vec<CellProblem>> {
        let mut d = SubmissionData::default();
        let mut problems = Vec::new();
        let mut fill_status = None;
        let cell = |i: usize| row.cells.get(i).map(String::as_str).unwrap_or("");
        let limits = &self.limits;
        let (name_chars, text_chars) = (limits.name_chars, limits.text_chars);
        // Nothing is dropped: a value in a column without a header is refused, not ignored.
        for (i, raw) in row.cells.iter().enumerate().skip(self.slots.len()) {
            if !raw.trim().is_empty() {
                problems.push(CellProblem { header: column_letter(i), value: cut(raw), expected: Expected::NoHeader });
            }
        }
        for (i, slot) in self.slots.iter().enumerate() {
            let raw = cell(i);
            let mut bad = |e: Expected| {
                problems.push(CellProblem { header: self.headers[i].clone(), value: cut(raw), expected: e })
            };
            let column = match slot {
                Slot::Extra(name) => {
                    match value::text(raw, text_chars, false) {
                        Ok(Some(text)) => d.extras.push((name.clone(), text)),
                        Ok(None) => {}
                        Err(e) => bad(e),
                    }
                    continue;
                }
                Slot::Known(c) => *c,
            };
            let count = |cell: &str| match value::count(cell)? {
                Some(n) if n > limits.count => Err(Expected::TooLarge { limit: limits.count }),
                n => Ok(n),
            };
            macro_rules! set {
                ($field:expr, $parsed:expr) => {
                    match $parsed {
                        Ok(v) => $field = v,
                        Err(e) => bad(e),
                    }
                };
            }
            match column {
                Column::SchoolCode => set!(d.school_code, value::school_code(raw)),
                Column::Name => match value::text(raw, name_chars, true) {
                    Ok(Some(name)) => d.name = name,
                    Ok(None) => bad(Expected::Required),
                    Err(e) => bad(e),
                },
                Column::City => set!(d.city, value::text(raw, name_chars, true)),
                Column::County => set!(d.county, value::text(raw, name_chars, true)),
                Column::CountyCode => set!(d.county_code, value::county_code(raw)),
                Column::SchoolType => set!(d.school_type, value::label(raw, SchoolType::parse, SchoolType::choices_zh)),
                Column::UrbanRural => set!(d.urban_rural, value::label(raw, UrbanRural::parse, UrbanRural::choices_zh)),
                Column::SchoolStatus => {
                    set!(d.school_status, value::label(raw, SchoolStatus::parse, SchoolStatus::choices_zh))
                }
                Column::FillStatus => set!(fill_status, value::fill_status(raw)),
                Column::SubmittedAt => set!(d.submitted_at, value::date(raw)),
                Column::Classes => set!(d.classes, count(raw)),
                Column::Teachers => set!(d.teachers, count(raw)),
                Column::Students => set!(d.students, count(raw)),
                Column::Connected => set!(d.connected, value::yes_no(raw)),
                Column::AccessType => set!(d.access_type, value::label(raw, AccessType::parse, AccessType::choices_zh)),
                Column::Bandwidth => set!(d.bandwidth_mbps, bandwidth(raw, limits.bandwidth_mbps)),
                Column::Wifi => set!(d.wifi, value::wifi(raw)),
                Column::Classrooms => set!(d.classrooms, count(raw)),
                Column::MultimediaRooms => set!(d.multimedia_rooms, count(raw)),
                Column::TeacherDevices => set!(d.teacher_devices, count(raw)),
                Column::StudentDevices => set!(d.student_devices, count(raw)),
                Column::ContactName => set!(d.contact_name, value::text(raw, name_chars, true)),
                Column::ContactPhone => set!(d.contact_phone, value::text(raw, name_chars, true)),
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        // 未填报 when the sheet says so, or when every indicator is empty (PRODUCT.md §3).
        d.filled = fill_status.unwrap_or(true) && !d.indicators_empty();
        Ok(d)
    }
}

/// A bandwidth within `max` Mbps, and 0 or at least [`BANDWIDTH_MIN_MBPS`].
fn bandwidth(cell: &str, max: f64) -> Result<Option<f64>, Expected> {
    match value::bandwidth(cell)? {
        Some(v) if v > max || (v > 0.0 && v < BANDWIDTH_MIN_MBPS) => {
            Err(Expected::BandwidthRange { max: max.to_string() })
        }
        v => Ok(v),
    }
}

/// A refused cell's text as it is kept (for the screen and `--rejects`): whole unless it is
/// very long, then cut with a marker, so that a file of huge refused cells cannot fill memory.
fn cut(raw: &str) -> String {
    match raw.char_indices().nth(REJECT_VALUE_CHARS) {
        Some((end, _)) => format!("{}…", &raw[..end]),
        None => raw.to_string(),
    }
}

/// One bad cell.
#[derive(Debug, Clone, PartialEq)]
pub struct CellProblem {
    pub header: String,
    pub value: String,
    pub expected: Expected,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(number: u32, cells: &[&str]) -> RawRow {
        RawRow { number, cells: cells.iter().map(|c| c.to_string()).collect() }
    }

    #[test]
    fn header_is_found_below_title_rows() {
        let rows = vec![
            row(1, &["2026年第三季度中原区学校数据", "", ""]),
            row(2, &["导出时间：2026-10-02", "", ""]),
            row(3, &["学校标识码", "学校名称", "学生数"]),
            row(4, &["2141010201", "一小", "300"]),
        ];
        assert_eq!(find_header(&rows), Some(2));
        assert_eq!(find_header(&rows[..2]), None);
    }

    #[test]
    fn reads_a_row_and_keeps_unknown_columns() {
        let layout = Layout::from_header(&row(1, &["学校标识码", "学校名称", "学生数", "备注", ""])).unwrap();
        assert_eq!(layout.extras().collect::<Vec<_>>(), ["备注", "E"]);
        let d = layout.read(&row(2, &["2141010201", " 一小 ", "1,200", "新校区", "x"])).unwrap();
        assert_eq!(d.name, "一小");
        assert_eq!(d.students, Some(1200));
        assert!(d.filled);
        assert_eq!(d.extras, vec![("备注".into(), "新校区".into()), ("E".into(), "x".into())]);
    }

    #[test]
    fn every_bad_cell_of_a_row_is_reported() {
        let layout = Layout::from_header(&row(1, &["学校标识码", "学校名称", "学生数", "班级数"])).unwrap();
        let problems = layout.read(&row(5, &["2141010201", "", "abc", "-2"])).unwrap_err();
        let headers: Vec<_> = problems.iter().map(|p| p.header.as_str()).collect();
        assert_eq!(headers, ["学校名称", "学生数", "班级数"]);
    }

    #[test]
    fn empty_indicators_or_unfilled_status_mean_unfilled() {
        let layout = Layout::from_header(&row(1, &["学校标识码", "学校名称", "填报状态", "学生数"])).unwrap();
        assert!(!layout.read(&row(2, &["1", "a", "已填报", ""])).unwrap().filled);
        assert!(!layout.read(&row(3, &["1", "a", "未填报", "5"])).unwrap().filled);
        assert!(layout.read(&row(4, &["1", "a", "", "5"])).unwrap().filled);
    }

    #[test]
    fn a_column_given_twice_is_refused() {
        let e = Layout::from_header(&row(1, &["学校标识码", "出口带宽（M）", "出口带宽"])).unwrap_err();
        assert_eq!(e.column, Column::Bandwidth);
        assert_eq!((e.first.as_str(), e.second.as_str()), ("出口带宽（M）", "出口带宽"));
    }

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
    }
}
