//! Forms as an Excel workbook, laid out like the circulars' attachments: a merged title row,
//! the 填表人 lines, a bordered table with bold headings, numbers stored as numbers and rates
//! as numbers shown `0.00%`, so that the city can add them up without retyping.
//!
//! The output depends on its input only: the document's creation time is the caller's, so the
//! same tables give the same bytes (the bundle's manifest hashes every file).

use chrono::{Datelike, NaiveDateTime, Timelike};
use rust_xlsxwriter::{
    ColNum, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, RowNum, Workbook, Worksheet, XlsxError,
};
use unicode_width::UnicodeWidthStr;

use super::forms::{Cell, Form};

/// Columns never get wider than this (in characters of `0`); longer text wraps.
const MAX_COLUMN: usize = 40;
/// Headings wider than this wrap onto a second line rather than widening their column.
const HEADING_WRAP: usize = 12;
/// Points per line of 11-point text, and the padding of a row.
const LINE_HEIGHT: f64 = 15.0;

/// The forms, one sheet each, in the order given. `author` goes into the document's properties.
pub(crate) fn write(forms: &[Form], author: &str, created: NaiveDateTime) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let mut properties = DocProperties::new().set_author(author).set_creation_datetime(&excel_time(created)?);
    if let Some(first) = forms.first() {
        properties = properties.set_title(first.title.as_str());
    }
    workbook.set_properties(&properties);
    let formats = Formats::new();
    for form in forms {
        let sheet = workbook.add_worksheet();
        sheet.set_name(form.sheet)?;
        write_form(sheet, form, &formats)?;
    }
    workbook.save_to_buffer()
}

/// The creation time as Excel keeps it (UTC, whole seconds).
fn excel_time(t: NaiveDateTime) -> Result<ExcelDateTime, XlsxError> {
    let year = u16::try_from(t.year()).map_err(|_| XlsxError::DateTimeRangeError(t.to_string()))?;
    ExcelDateTime::from_ymd(year, t.month() as u8, t.day() as u8)?.and_hms(
        t.hour() as u16,
        t.minute() as u8,
        t.second(),
    )
}

struct Formats {
    title: Format,
    line: Format,
    heading: Format,
    text: Format,
    count: Format,
    rate: Format,
    group: Format,
}

impl Formats {
    fn new() -> Formats {
        let cell = Format::new().set_border(FormatBorder::Thin).set_align(FormatAlign::VerticalCenter);
        Formats {
            title: Format::new()
                .set_bold()
                .set_font_size(16)
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_text_wrap(),
            line: Format::new().set_align(FormatAlign::Left).set_align(FormatAlign::VerticalCenter).set_text_wrap(),
            heading: cell.clone().set_bold().set_align(FormatAlign::Center).set_text_wrap(),
            text: cell.clone().set_text_wrap(),
            count: cell.clone().set_num_format("0"),
            rate: cell.clone().set_num_format("0.00%"),
            group: cell.set_align(FormatAlign::Center).set_text_wrap(),
        }
    }
}

fn write_form(sheet: &mut Worksheet, form: &Form, f: &Formats) -> Result<(), XlsxError> {
    let widths = column_widths(form);
    for (col, width) in widths.iter().enumerate() {
        sheet.set_column_width(col as ColNum, *width as f64)?;
    }
    let span: usize = widths.iter().sum();
    let last_col = (form.header.len().max(1) - 1) as ColNum;

    let mut row: RowNum = 0;
    full_line(sheet, row, last_col, &form.title, &f.title, span)?;
    // The title's 16-point characters take up to twice the room of the body's 11-point ones.
    sheet.set_row_height(row, (lines_for(&form.title, span / 2) as f64 * 24.0).max(30.0))?;
    for line in &form.lines {
        row += 1;
        full_line(sheet, row, last_col, line, &f.line, span)?;
    }
    row += 2;
    let heading_row = row;
    for (col, heading) in form.header.iter().enumerate() {
        sheet.write_string_with_format(row, col as ColNum, *heading, &f.heading)?;
    }
    let heading_lines = form.header.iter().zip(&widths).map(|(h, w)| lines_for(h, *w)).max().unwrap_or(1);
    sheet.set_row_height(row, heading_lines as f64 * LINE_HEIGHT + 4.0)?;

    for cells in &form.rows {
        row += 1;
        for (col, cell) in cells.iter().enumerate() {
            let col_num = col as ColNum;
            match cell {
                Cell::Text(t) if form.grouped && col == 0 => {
                    sheet.write_string_with_format(row, col_num, t, &f.group)?
                }
                Cell::Text(t) => sheet.write_string_with_format(row, col_num, t, &f.text)?,
                Cell::Count(n) => sheet.write_number_with_format(row, col_num, *n as f64, &f.count)?,
                Cell::Rate(Some(r)) => {
                    sheet.write_number_with_format(row, col_num, r.hundredths() as f64 / 10_000.0, &f.rate)?
                }
                Cell::Rate(None) => sheet.write_blank(row, col_num, &f.rate)?,
            };
        }
        let lines = cells.iter().zip(&widths).map(|(c, w)| lines_for(&c.text(), *w)).max().unwrap_or(1);
        if lines > 1 {
            sheet.set_row_height(row, lines as f64 * LINE_HEIGHT + 4.0)?;
        }
    }
    if form.grouped {
        merge_groups(sheet, form, heading_row + 1, &f.group)?;
    }
    if !form.footer.is_empty() {
        row += 1;
        for line in &form.footer {
            row += 1;
            full_line(sheet, row, last_col, line, &f.line, span)?;
        }
    }

    sheet.set_freeze_panes(heading_row + 1, 0)?;
    sheet.set_repeat_rows(heading_row, heading_row)?;
    sheet.set_print_fit_to_pages(1, 0);
    if form.landscape {
        sheet.set_landscape();
    }
    Ok(())
}

/// Merges each group's first-column cell down over the group's rows (附件5's 类别): a group
/// runs from a row whose first cell has text to the row before the next such row.
fn merge_groups(sheet: &mut Worksheet, form: &Form, first_row: RowNum, format: &Format) -> Result<(), XlsxError> {
    let starts: Vec<usize> = form
        .rows
        .iter()
        .enumerate()
        .filter(|(_, cells)| matches!(cells.first(), Some(Cell::Text(t)) if !t.is_empty()))
        .map(|(i, _)| i)
        .collect();
    for (k, start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).map_or(form.rows.len(), |next| *next) - 1;
        if end > *start {
            let name = match form.rows[*start].first() {
                Some(Cell::Text(t)) => t.as_str(),
                _ => "",
            };
            sheet.merge_range(first_row + *start as RowNum, 0, first_row + end as RowNum, 0, name, format)?;
        }
    }
    Ok(())
}

/// A line of text across the whole table's width, tall enough for its wrapped lines.
fn full_line(
    sheet: &mut Worksheet,
    row: RowNum,
    last_col: ColNum,
    text: &str,
    format: &Format,
    span: usize,
) -> Result<(), XlsxError> {
    if last_col == 0 {
        sheet.write_string_with_format(row, 0, text, format)?;
    } else {
        sheet.merge_range(row, 0, row, last_col, text, format)?;
    }
    let lines = lines_for(text, span);
    if lines > 1 {
        sheet.set_row_height(row, lines as f64 * LINE_HEIGHT + 4.0)?;
    }
    Ok(())
}

/// Column widths in Excel's units (about one per Latin letter, two per Chinese character):
/// wide enough for the longest cell up to [`MAX_COLUMN`], headings wrapping past
/// [`HEADING_WRAP`], plus a margin.
fn column_widths(form: &Form) -> Vec<usize> {
    (0..form.header.len())
        .map(|col| {
            let data = form.rows.iter().filter_map(|r| r.get(col)).map(|c| c.text().width()).max().unwrap_or(0);
            let heading = form.header[col].width().min(HEADING_WRAP);
            data.max(heading).clamp(4, MAX_COLUMN) + 2
        })
        .collect()
}

/// How many lines `text` takes in a column `width` wide, with its margin.
fn lines_for(text: &str, width: usize) -> usize {
    let room = width.saturating_sub(2).max(1);
    text.split('\n').map(|l| l.width().div_ceil(room).max(1)).sum()
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use calamine::{Data, Reader, Xlsx};

    use super::*;
    use crate::bundle::tables::{county_workbook, test_letterhead as letterhead};
    use crate::config::BandwidthDenominator;
    use crate::domain::dispatch::DispatchLists;
    use crate::domain::stats::{Counts, by_school_type, test_school};
    use crate::domain::{SchoolType, SubmissionData};

    fn created() -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 10, 3).unwrap().and_hms_opt(9, 30, 0).unwrap()
    }

    fn schools() -> Vec<SubmissionData> {
        let typed = |code: &str, t: SchoolType| SubmissionData {
            school_type: Some(t),
            city: Some("郑州市".into()),
            county: Some("中原区".into()),
            ..test_school(code)
        };
        vec![
            SubmissionData {
                name: "中原区须水镇前庄教学点".into(),
                connected: Some(false),
                ..typed("1", SchoolType::TeachingPoint)
            },
            SubmissionData { bandwidth_mbps: Some(50.0), ..typed("2", SchoolType::Primary) },
            SubmissionData { multimedia_rooms: Some(0), ..typed("3", SchoolType::Primary) },
            typed("4", SchoolType::Primary),
            SubmissionData { bandwidth_mbps: Some(20.0), ..typed("5", SchoolType::Primary) },
        ]
    }

    fn workbook_bytes() -> Vec<u8> {
        let data = schools();
        let total = data.iter().collect::<Counts>().figures(BandwidthDenominator::All);
        let by_type: Vec<_> =
            by_school_type(&data).into_iter().map(|(t, c)| (t, c.figures(BandwidthDenominator::All))).collect();
        county_workbook(&letterhead(), &total, &by_type, &DispatchLists::of(&data), created()).unwrap()
    }

    fn cell(range: &calamine::Range<Data>, row: u32, col: u32) -> Data {
        range.get_value((row, col)).cloned().unwrap_or(Data::Empty)
    }

    #[test]
    fn county_workbook_opens_with_both_forms() {
        let mut book = Xlsx::new(Cursor::new(workbook_bytes())).unwrap();
        assert_eq!(book.sheet_names(), ["统计表", "半月调度表"]);
        let stats = book.worksheet_range("统计表").unwrap();
        assert_eq!(
            cell(&stats, 0, 0),
            Data::String("郑州市中原区学校填报及联网攻坚行动进展情况统计表（2026年第三季度）".into())
        );
        assert_eq!(cell(&stats, 1, 0), Data::String("填表人：李敏".into()));
        assert_eq!(cell(&stats, 2, 0), Data::String("联系电话：0371-67180000".into()));
        assert_eq!(cell(&stats, 5, 2), Data::String("学校总数".into()));
        // The county's row: 5 schools, 4 connected (80 %), 2 at 100M (40 %), numbers as numbers.
        assert_eq!(cell(&stats, 6, 1), Data::String("中原区".into()));
        assert_eq!(cell(&stats, 6, 2), Data::Float(5.0));
        assert_eq!(cell(&stats, 6, 7), Data::Float(0.8));
        assert_eq!(cell(&stats, 6, 9), Data::Float(0.4));
        assert_eq!(cell(&stats, 7, 1), Data::String("教学点".into()));

        let dispatch = book.worksheet_range("半月调度表").unwrap();
        assert_eq!(
            cell(&dispatch, 0, 0),
            Data::String("郑州市中原区未联网、带宽不足100M、无多媒体教室学校名单（半月调度表）".into())
        );
        assert_eq!(cell(&dispatch, 3, 0), Data::String("填表日期：2026-10-03".into()));
        assert_eq!(cell(&dispatch, 6, 0), Data::String("未联网学校".into()));
        assert_eq!(cell(&dispatch, 6, 4), Data::String("中原区须水镇前庄教学点".into()));
        assert_eq!(cell(&dispatch, 6, 1), Data::Float(1.0));
        // Two schools under 100M (50M and 20M): the category cell is merged over both rows.
        assert_eq!(cell(&dispatch, 7, 0), Data::String("带宽不足100M学校".into()));
        assert_eq!(cell(&dispatch, 8, 0), Data::Empty);
        let merged = book.merge_cells_by_sheet_name("半月调度表").unwrap();
        assert!(merged.contains(&calamine::Dimensions::new((7, 0), (8, 0))), "{merged:?}");
    }

    #[test]
    fn the_same_tables_give_the_same_bytes() {
        let bytes = workbook_bytes();
        assert_eq!(bytes, workbook_bytes());
        // The creation time is the caller's, not the clock's.
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut core = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("docProps/core.xml").unwrap(), &mut core).unwrap();
        assert!(core.contains("2026-10-03T09:30:00Z"), "{core}");
        assert!(core.contains("李敏"), "{core}");
    }

    #[test]
    fn widths_fit_chinese_text_and_wrap_long_headings() {
        let widths = column_widths(&crate::bundle::forms::dispatch_form(&letterhead(), &DispatchLists::of(&schools())));
        // 学校名称: the longest name is 11 Chinese characters, 22 units wide, and a margin.
        assert_eq!(widths[4], 24);
        assert_eq!(lines_for("带宽达到100M以上学校比例", 14), 2);
        assert_eq!(lines_for("", 14), 1);
    }
}
