//! What a school sheet can hold. Two tiers: the reading limits keep any file, however made,
//! from taking the PC's memory (checked while the file is read, the import stops where one is
//! hit); the field limits ([`SheetLimits`], `[limits]` in the config) are what a real sheet
//! never reaches, and a cell beyond them is refused like any bad cell, as `file:row:column`.

use serde::{Deserialize, Serialize};

/// The largest sheet file read: a county of 100,000 schools is a 16 MB CSV, or an XLSX of
/// some 8 MB (zipped XML; what it unzips to is bounded part by part below).
pub const FILE_BYTES: u64 = 32 << 20;
pub const WORKBOOK_BYTES: u64 = 16 << 20;
/// Excel's own limit for one cell's text.
pub const CELL_CHARS: usize = 32_767;
/// Non-empty cells in one file, all its sheets together: 100,000 schools fill some 2.5 million.
pub const CELLS: u64 = 4_000_000;
/// The text of all cells of one file, in bytes (UTF-8): a workbook can repeat one shared
/// string in every cell, so this is counted cell by cell, not from the file's size.
pub const TEXT_BYTES: u64 = 64 << 20;
/// Rows a sheet can have (Excel's) and columns (XFD).
pub const SHEET_ROWS: u64 = 1_048_576;
pub const SHEET_COLUMNS: u64 = 16_384;
/// A workbook's parts: how far any one may expand when unzipped (a sheet of 100,000 schools
/// is some 150 MB of XML), the parts held whole in memory (shared strings, styles), and the
/// longest stretch between two XML tags (a cell's text of [`CELL_CHARS`], escaped, is far less).
pub const PART_BYTES: u64 = 512 << 20;
pub const HELD_PART_BYTES: u64 = 16 << 20;
/// All parts of a workbook together, unzipped: each is read twice (checked, then by calamine),
/// so this bounds the time too.
pub const WORKBOOK_UNZIPPED: u64 = 1 << 30;
/// `<c>` tags in all sheets of a workbook, empty cells included.
pub const CELL_TAGS: u64 = 2 * CELLS;
/// XML elements in all parts of a workbook: a sheet of 100,000 schools has some 5 million.
pub const XML_TAGS: u64 = 24_000_000;
/// A cell's or shared string's text in the XML, all runs together: Excel's cell, each
/// character escaped as the longest entity (`&#x10FFFF;`) could write it.
pub const CELL_XML_BYTES: u64 = CELL_CHARS as u64 * 10;
pub const XML_RUN_BYTES: u64 = 1 << 20;
/// Entries of a workbook's zip.
pub const PARTS: usize = 10_000;
/// Schools in one import, all its files together: half again the largest county of the tests
/// and benches (100,000 schools), and what the checks that follow can hold in memory.
pub const SCHOOLS: u64 = 150_000;
/// Refused cells kept to show and to write to `--rejects`; the rest are counted.
pub const REJECTS_KEPT: usize = 10_000;
/// A refused cell's text is kept up to this many characters (a marker says it was cut).
pub const REJECT_VALUE_CHARS: usize = 500;

/// The field limits, `[limits]` in the config: a province may set its own.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SheetLimits {
    /// 学校名称, 所属市/区县, 填报人, 联系电话, and the header of an extra column.
    pub name_chars: u32,
    /// Every other text cell, the extra columns' included.
    pub text_chars: u32,
    /// Columns of a sheet, up to the last one with anything in it.
    pub columns: u32,
    /// 出口带宽, in Mbps.
    pub bandwidth_mbps: f64,
    /// Classes, teachers, students, classrooms, devices.
    pub count: u32,
}

impl Default for SheetLimits {
    fn default() -> Self {
        SheetLimits { name_chars: 100, text_chars: 500, columns: 256, bandwidth_mbps: 100_000.0, count: 1_000_000 }
    }
}

/// The smallest non-zero bandwidth a sheet may give, in Mbps (1 kbps): below it a value is a
/// slip (`1e-7`) that every percentage computed from it would blow up.
pub const BANDWIDTH_MIN_MBPS: f64 = 0.001;

impl SheetLimits {
    /// The most any config may allow: what a receiving level reads a report with.
    pub fn widest() -> SheetLimits {
        SheetLimits {
            name_chars: CELL_CHARS as u32,
            text_chars: CELL_CHARS as u32,
            columns: 1024,
            bandwidth_mbps: 1e7,
            count: 1_000_000_000,
        }
    }

    /// The first key whose value would break the reading limits or make no sense, with the
    /// range it must lie in.
    pub fn problem(&self) -> Option<(&'static str, String, String)> {
        let checks: [(&str, f64, f64, f64); 5] = [
            ("limits.name_chars", self.name_chars.into(), 1.0, self.text_chars.into()),
            ("limits.text_chars", self.text_chars.into(), 1.0, CELL_CHARS as f64),
            ("limits.columns", self.columns.into(), 24.0, 1024.0),
            ("limits.bandwidth_mbps", self.bandwidth_mbps, 1.0, 1e7),
            ("limits.count", self.count.into(), 1.0, 1e9),
        ];
        checks
            .into_iter()
            .find(|(_, v, lo, hi)| !(lo <= v && v <= hi))
            .map(|(key, v, lo, hi)| (key, v.to_string(), format!("{lo}–{hi}")))
    }
}
