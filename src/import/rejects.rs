//! Refused rows: named as `file:row:column`, shown on screen, and written in full to a CSV
//! the auditor can open in Excel.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use super::excerpt;
use super::row::CellProblem;
use super::value::Expected;
use crate::i18n::{Lang, fill, printable};

/// One refused cell (or row, for a duplicate code).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reject {
    /// The file (and `[sheet]` for a workbook).
    pub file: String,
    /// As Excel shows it.
    pub row: u32,
    /// The header text of the column.
    pub column: String,
    /// What the cell held.
    pub value: String,
    #[serde(skip)]
    pub problem: Problem,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    Cell(Expected),
    /// The code appeared already at this row (of this file, or of `first_file`).
    DuplicateCode {
        first_row: u32,
        first_file: Option<String>,
    },
    /// A report from the level below carries the school (at a city: a county's school).
    HeldBelow {
        by: String,
    },
}

impl Reject {
    pub(super) fn cell(file: &str, row: u32, p: CellProblem) -> Reject {
        Reject { file: file.to_string(), row, column: p.header, value: p.value, problem: Problem::Cell(p.expected) }
    }

    pub(super) fn duplicate(file: &str, row: u32, code: &str, first_row: u32, first_file: Option<String>) -> Reject {
        Reject {
            file: file.to_string(),
            row,
            column: super::Column::SchoolCode.header_zh().to_string(),
            value: code.to_string(),
            problem: Problem::DuplicateCode { first_row, first_file },
        }
    }

    pub(super) fn held_below(file: &str, row: u32, code: &str, by: &str) -> Reject {
        Reject {
            file: file.to_string(),
            row,
            column: super::Column::SchoolCode.header_zh().to_string(),
            value: code.to_string(),
            problem: Problem::HeldBelow { by: by.to_string() },
        }
    }

    /// What is wrong, in one sentence: what was found and what was expected. The cell's text
    /// is quoted as an [`excerpt`]; the rejects CSV keeps it whole in its own column.
    pub fn problem_text(&self, lang: Lang) -> String {
        let m = lang.msg();
        match &self.problem {
            Problem::Cell(Expected::Required) => m.reject_required.clone(),
            Problem::Cell(expected) => {
                let expected = match expected {
                    Expected::Required => unreachable!("handled above"),
                    Expected::WholeNumber => m.expected_whole_number.clone(),
                    Expected::Bandwidth => m.expected_bandwidth.clone(),
                    Expected::YesNo => m.expected_yes_no.clone(),
                    Expected::Wifi => m.expected_wifi.clone(),
                    Expected::FillStatus => m.expected_fill_status.clone(),
                    Expected::Date => m.expected_date.clone(),
                    Expected::CountyCode => m.expected_county_code.clone(),
                    Expected::OneOf(choices) => fill(&m.expected_one_of, &[("choices", choices)]),
                    Expected::CodeMangledByExcel => m.expected_code_as_text.clone(),
                    Expected::TooLong { limit } => fill(&m.expected_at_most_chars, &[("limit", limit)]),
                    Expected::TooLarge { limit } => fill(&m.expected_count_at_most, &[("limit", limit)]),
                    Expected::BandwidthRange { max } => fill(&m.expected_bandwidth_range, &[("max", max)]),
                    Expected::HiddenCharacter(code) => {
                        return fill(&m.reject_hidden_character, &[("code", code)]);
                    }
                    Expected::NoHeader => return m.reject_no_header.clone(),
                };
                fill(&m.reject_found_expected, &[("value", &excerpt(&self.value)), ("expected", &expected)])
            }
            Problem::DuplicateCode { first_row, first_file: None } => {
                fill(&m.reject_duplicate_code, &[("value", &excerpt(&self.value)), ("row", first_row)])
            }
            Problem::HeldBelow { by } => {
                fill(&m.reject_held_below, &[("value", &excerpt(&self.value)), ("by", &printable(by))])
            }
            Problem::DuplicateCode { first_row, first_file: Some(f) } => {
                let (value, file) = (excerpt(&self.value), printable(f));
                fill(&m.reject_duplicate_code_in, &[("value", &value), ("row", first_row), ("file", &file)])
            }
        }
    }

    /// `file:row:column: problem`, in printable text (see [`printable`]).
    pub fn line(&self, lang: Lang) -> String {
        format!("{}:{}:{}: {}", printable(&self.file), self.row, excerpt(&self.column), self.problem_text(lang))
    }
}

/// Writes every reject to a CSV that opens in Excel (UTF-8 with BOM), every cell through the
/// formula guard.
pub fn write_csv(path: &Path, rejects: &[Reject], lang: Lang) -> std::io::Result<()> {
    let m = lang.msg();
    let mut out = Vec::new();
    out.write_all(b"\xEF\xBB\xBF")?;
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record([
            &m.rejects_col_file,
            &m.rejects_col_row,
            &m.rejects_col_column,
            &m.rejects_col_value,
            &m.rejects_col_problem,
        ])?;
        for r in rejects {
            // A refused cell is often exactly the text that must not run in Excel.
            let cells = [r.file.clone(), r.row.to_string(), r.column.clone(), r.value.clone(), r.problem_text(lang)];
            w.write_record(cells.iter().map(|c| crate::csv_text::guard(c).into_owned()))?;
        }
        w.flush()?;
    }
    std::fs::write(path, out)
}
