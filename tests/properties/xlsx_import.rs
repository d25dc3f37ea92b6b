//! Target 2, the XLSX importer: the sample county's workbook and the workbook fixtures with
//! their zip bytes mutated; the same workbooks taken apart and put back with entries dropped,
//! renamed, doubled, recompressed or their XML edited (huge dimensions declared, cells far
//! away, string indexes past the table); and workbooks built with rust_xlsxwriter holding
//! hostile cells of every type, merged cells, title rows, hidden and missing sheets.

use std::sync::OnceLock;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};

use super::csv_import::hostile_cell;
use super::harness;
use super::importer::{Importer, bytes_of, fixture};
use super::mutate::{self, Edit};
use super::zips::{Entries, entries_of, zipped};

const WORKBOOKS: &[&str] = &["tests/data/title_rows.xlsx", "tests/data/multi_sheet.xlsx"];
const SAMPLE: &str = "assets/sample/2026Q3_中原区.xlsx";
const NAME: &str = "2026Q3_学校数据.xlsx";

/// A fixture workbook; the sample county's (200 schools, 30 KB) one case in eight.
fn some_workbook() -> impl Strategy<Value = &'static str> {
    prop_oneof![7 => select(WORKBOOKS), 1 => Just(SAMPLE)]
}

/// `--sheet` as a clerk may give it: none, the fixtures' real sheets, or one that is not there.
fn sheets() -> impl Strategy<Value = Vec<String>> {
    let names = select(&["Sheet1", "小学", "中学", "说明", "不存在", ""][..]).prop_map(str::to_string);
    prop_oneof![3 => Just(Vec::new()), 1 => vec(names, 1..3)]
}

#[derive(Debug, Clone)]
struct Mutated {
    workbook: &'static str,
    edits: Vec<Edit>,
    sheets: Vec<String>,
}

#[test]
fn xlsx_import_of_mutated_zip_bytes_refuses_or_imports_cleanly() {
    let importer = std::cell::RefCell::new(Importer::new());
    let strategy = (some_workbook(), mutate::edits(6), sheets()).prop_map(|(workbook, edits, sheets)| Mutated {
        workbook,
        edits,
        sheets,
    });
    let bytes = |case: &Mutated| {
        let mut bytes = bytes_of(case.workbook).to_vec();
        mutate::apply(&mut bytes, &case.edits);
        bytes
    };
    harness::run("xlsx_mutated_bytes", 0.3, strategy, bytes, |case, bytes| {
        importer.borrow_mut().check(NAME, bytes, &case.sheets)
    });
}

/// Markup that XML readers and spreadsheet readers trip over, for a worksheet or another part.
const MARKUP: &[&str] = &[
    r#"<dimension ref="A1:XFD1048576"/>"#,
    r#"<dimension ref="XFD1048576:A1"/>"#,
    r#"<dimension ref="A0:B-1"/>"#,
    r#"<dimension ref="ZZZZZZZZ99999999999"/>"#,
    r#"<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>远处</t></is></c></row>"#,
    r#"<row r="4294967295"><c r="A4294967295"><v>1</v></c></row>"#,
    r#"<row r="0"><c r="A0"><v>1</v></c></row>"#,
    r#"<row r="5"><c r="XFE5"><v>1</v></c></row>"#,
    r#"<c r="B2" t="s"><v>99999999</v></c>"#,
    r#"<c r="B2" t="s"><v>-1</v></c>"#,
    r#"<c r="B2" t="n"><v>1e999</v></c>"#,
    r#"<c r="B2" t="n"><v>NaN</v></c>"#,
    r#"<c r="B2" t="b"><v>2</v></c>"#,
    r#"<c r="B2" t="d"><v>2026-13-45T99:99:99</v></c>"#,
    r#"<c r="B2" s="99999"><v>46000</v></c>"#,
    r#"<c r="B2" t="e"><v>#DIV/0!</v></c>"#,
    r#"<c r="B2" t="inlineStr"><is><t>&#x1b;[2J&#x7;</t></is></c>"#,
    r#"<mergeCell ref="A1:XFD1048576"/>"#,
    "<!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>",
    "&b;",
    "&unknown;",
    "&#0;",
    "<![CDATA[",
    "]]>",
    "<",
    "</sheetData>",
    "<sheetData>",
    r#"<sheet name="幽灵" sheetId="99" r:id="rId99"/>"#,
    r#"<sheet name="Sheet1" sheetId="1" r:id="rId1"/>"#,
    r#"<Relationship Id="rId1" Type="x" Target="../../../../etc/passwd"/>"#,
    "\u{feff}",
    "\0",
];

#[derive(Debug, Clone)]
enum PartChange {
    Drop(Index),
    Rename(Index, String),
    Duplicate(Index),
    Recompress(Index),
    /// Markup inserted into an entry, at a tag boundary.
    Markup {
        entry: Index,
        at: Index,
        markup: &'static str,
    },
    /// A run of nested elements deep enough to exhaust a recursive reader.
    Nest {
        entry: Index,
        at: Index,
        depth: usize,
    },
    Bytes {
        entry: Index,
        edits: Vec<Edit>,
    },
}

fn part_change() -> impl Strategy<Value = PartChange> {
    let part_names = select(
        &[
            "xl/workbook.xml",
            "xl/worksheets/sheet1.xml",
            "xl/sharedStrings.xml",
            "xl/styles.xml",
            "[Content_Types].xml",
            "xl/_rels/workbook.xml.rels",
            "../xl/workbook.xml",
            "XL/WORKBOOK.XML",
            "xl\\workbook.xml",
            "",
        ][..],
    );
    prop_oneof![
        1 => any::<Index>().prop_map(PartChange::Drop),
        1 => (any::<Index>(), part_names).prop_map(|(i, n)| PartChange::Rename(i, n.to_string())),
        1 => any::<Index>().prop_map(PartChange::Duplicate),
        1 => any::<Index>().prop_map(PartChange::Recompress),
        6 => (any::<Index>(), any::<Index>(), select(MARKUP))
            .prop_map(|(entry, at, markup)| PartChange::Markup { entry, at, markup }),
        1 => (any::<Index>(), any::<Index>(), 1usize..100_000)
            .prop_map(|(entry, at, depth)| PartChange::Nest { entry, at, depth }),
        3 => (any::<Index>(), mutate::edits(4)).prop_map(|(entry, edits)| PartChange::Bytes { entry, edits }),
    ]
}

/// The worksheets and the shared strings draw most changes: the cells are there.
fn target(entries: &Entries, i: &Index) -> usize {
    let cells: Vec<usize> = (0..entries.len())
        .filter(|&k| entries[k].0.starts_with("xl/worksheets/") || entries[k].0 == "xl/sharedStrings.xml")
        .collect();
    let pick = i.index(entries.len() + cells.len());
    if pick < entries.len() { pick } else { cells[pick - entries.len()] }
}

fn change_parts(entries: &mut Entries, change: &PartChange) {
    if entries.is_empty() {
        return;
    }
    match change {
        PartChange::Drop(i) => {
            let k = target(entries, i);
            entries.remove(k);
        }
        PartChange::Rename(i, name) => {
            let k = target(entries, i);
            entries[k].0 = name.clone();
        }
        PartChange::Duplicate(i) => {
            let k = target(entries, i);
            entries.push(entries[k].clone());
        }
        PartChange::Recompress(i) => {
            let k = target(entries, i);
            entries[k].2 = !entries[k].2;
        }
        PartChange::Markup { entry, at, markup } => {
            let k = target(entries, entry);
            insert_at_tag(&mut entries[k].1, at, markup);
        }
        PartChange::Nest { entry, at, depth } => {
            let nested = format!("{}{}", "<x>".repeat(*depth), "</x>".repeat(*depth));
            let k = target(entries, entry);
            insert_at_tag(&mut entries[k].1, at, &nested);
        }
        PartChange::Bytes { entry, edits } => {
            let k = target(entries, entry);
            mutate::apply_gentle(&mut entries[k].1, edits);
        }
    }
}

/// Inserts `text` just before a `<` of the content (or at its end).
fn insert_at_tag(content: &mut Vec<u8>, at: &Index, text: &str) {
    let tags: Vec<usize> = content.iter().enumerate().filter(|(_, b)| **b == b'<').map(|(i, _)| i).collect();
    let p = if tags.is_empty() { content.len() } else { tags[at.index(tags.len())] };
    content.splice(p..p, text.bytes());
}

#[derive(Debug, Clone)]
struct Reassembled {
    workbook: &'static str,
    changes: Vec<PartChange>,
    sheets: Vec<String>,
}

impl Reassembled {
    fn bytes(&self) -> Vec<u8> {
        let mut entries = entries_of(bytes_of(self.workbook));
        for change in &self.changes {
            change_parts(&mut entries, change);
        }
        zipped(&entries)
    }
}

#[test]
fn xlsx_import_of_reassembled_workbooks_refuses_or_imports_cleanly() {
    let importer = std::cell::RefCell::new(Importer::new());
    let strategy = (some_workbook(), vec(part_change(), 1..5), sheets())
        .prop_map(|(workbook, changes, sheets)| Reassembled { workbook, changes, sheets });
    harness::run("xlsx_reassembled", 0.3, strategy, Reassembled::bytes, |case, bytes| {
        importer.borrow_mut().check(NAME, bytes, &case.sheets)
    });
}

/// A cell as a workbook stores it.
#[derive(Debug, Clone)]
enum Cell {
    Text(String),
    Number(f64),
    Bool(bool),
    /// An Excel serial date-time.
    Date(f64),
    Formula(String, String),
    Blank,
}

fn cell() -> impl Strategy<Value = Cell> {
    let formulas = select(&["=1/0", "=A1", "=NA()", "=\"是\"", "=SUM(A:A)", "=HYPERLINK(\"x\")", "=A1+"][..]);
    prop_oneof![
        6 => hostile_cell().prop_map(Cell::Text),
        3 => any::<f64>().prop_map(Cell::Number),
        2 => select(&[0.0, -1.0, 1e15, 1e16, 1e308, 4294967296.0, 12.5, -0.0, f64::NAN, f64::INFINITY][..])
            .prop_map(Cell::Number),
        1 => any::<bool>().prop_map(Cell::Bool),
        2 => select(&[0.0, 1.0, 46296.4326, 60.0, 2958465.9999, 2958466.0, -1.0, 1e10][..]).prop_map(Cell::Date),
        1 => (formulas, hostile_cell()).prop_map(|(f, r)| Cell::Formula(f.to_string(), r)),
        1 => Just(Cell::Blank),
    ]
}

#[derive(Debug, Clone)]
struct Sheet {
    name: &'static str,
    hidden: bool,
    /// Rows above the header, each one merged title cell.
    titles: Vec<String>,
    /// Header cells replaced: column, new text.
    header: Vec<(Index, String)>,
    /// Of the reference county's five rows, these; then cells overwritten.
    rows: Vec<Index>,
    cells: Vec<(Index, Index, Cell)>,
    merges: Vec<(Index, Index, u32, u16)>,
    /// A cell far below or to the right: the sheet's dimension grows to reach it.
    far: Option<(u32, u16, Cell)>,
}

fn sheet() -> impl Strategy<Value = Sheet> {
    let names = select(
        &[
            "Sheet1",
            "小学",
            "中学",
            "说明",
            "数据 (2)",
            "'引号",
            "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一",
        ][..],
    );
    let far = prop_oneof![
        8 => Just(None),
        1 => (0u32..1_048_576, 0u16..16_384, cell()).prop_map(Some),
        1 => (1000u32..1_048_576, 0u16..30, cell()).prop_map(Some),
    ];
    (
        names,
        any::<bool>(),
        vec(hostile_cell(), 0..3),
        vec((any::<Index>(), hostile_cell()), 0..3),
        vec(any::<Index>(), 0..8),
        vec((any::<Index>(), any::<Index>(), cell()), 0..6),
        vec((any::<Index>(), any::<Index>(), 0u32..4, 0u16..4), 0..3),
        far,
    )
        .prop_map(|(name, hidden, titles, header, rows, cells, merges, far)| Sheet {
            name,
            hidden,
            titles,
            header,
            rows,
            cells,
            merges,
            far,
        })
}

#[derive(Debug, Clone)]
struct Built {
    sheets: Vec<Sheet>,
    select: Vec<String>,
}

/// The reference county's header and rows, as text.
fn reference() -> &'static [Vec<String>] {
    static ROWS: OnceLock<Vec<Vec<String>>> = OnceLock::new();
    ROWS.get_or_init(|| {
        let text = std::fs::read_to_string(fixture("tests/data/utf8.csv")).unwrap();
        text.lines().map(|l| l.split(',').map(str::to_string).collect()).collect()
    })
}

impl Built {
    fn bytes(&self) -> Vec<u8> {
        let mut book = Workbook::new();
        let mut used: Vec<String> = Vec::new();
        for (i, s) in self.sheets.iter().enumerate() {
            let sheet = book.add_worksheet();
            let mut name = s.name.to_string();
            if used.contains(&name) {
                name = format!("{}{i}", s.name.chars().take(29).collect::<String>());
            }
            let _ = sheet.set_name(name.as_str());
            used.push(name);
            if s.hidden && i > 0 {
                sheet.set_hidden(true);
            }
            let reference = reference();
            let mut header = reference[0].clone();
            for (col, text) in &s.header {
                let c = col.index(header.len());
                header[c] = text.clone();
            }
            let mut grid: Vec<Vec<Cell>> = vec![header.into_iter().map(Cell::Text).collect()];
            for r in &s.rows {
                let row = &reference[1 + r.index(reference.len() - 1)];
                grid.push(
                    row.iter().map(|v| v.parse::<f64>().map_or_else(|_| Cell::Text(v.clone()), Cell::Number)).collect(),
                );
            }
            for (r, c, value) in &s.cells {
                let n = grid.len();
                let row = &mut grid[r.index(n)];
                let c = c.index(row.len());
                row[c] = value.clone();
            }
            let top = s.titles.len() as u32;
            for (r, title) in s.titles.iter().enumerate() {
                let _ = sheet.merge_range(r as u32, 0, r as u32, 10, title, &Format::new());
            }
            for (r, row) in grid.iter().enumerate() {
                for (c, value) in row.iter().enumerate() {
                    write(sheet, top + r as u32, c as u16, value);
                }
            }
            for (r, c, rows, cols) in &s.merges {
                let (r, c) = (top + r.index(grid.len()) as u32, c.index(reference[0].len()) as u16);
                let _ = sheet.merge_range(r, c, r + rows, c + cols, "合并", &Format::new());
            }
            if let Some((r, c, value)) = &s.far {
                write(sheet, (*r).min(FAR_STANDIN), *c, value);
            }
        }
        let bytes = book.save_to_buffer().unwrap_or_default();
        let moved: Vec<(usize, u32)> = (self.sheets.iter().enumerate())
            .filter_map(|(i, s)| s.far.as_ref().filter(|(r, ..)| *r > FAR_STANDIN).map(|(r, ..)| (i, *r)))
            .collect();
        if moved.is_empty() || bytes.is_empty() {
            return bytes;
        }
        let mut entries = entries_of(&bytes);
        for (i, row) in moved {
            let part = format!("xl/worksheets/sheet{}.xml", i + 1);
            let entry = entries.iter_mut().find(|e| e.0 == part).expect("the sheet's part");
            let xml = String::from_utf8(std::mem::take(&mut entry.1)).expect("rust_xlsxwriter writes UTF-8");
            entry.1 = moved_down(&xml, FAR_STANDIN + 1, row + 1).into_bytes();
        }
        zipped(&entries)
    }
}

/// rust_xlsxwriter steps through every row from the sheet's first to its last when it writes
/// one (four map lookups a row): a far cell a million rows down cost a second per case, most
/// of this target's time. Such a cell is written at this row (0-based), below anything else
/// the case puts in the sheet, and moved to its own row in the sheet's XML afterwards: the
/// part then reads as rust_xlsxwriter would have written it there, empty rows being left out.
const FAR_STANDIN: u32 = 9_999;

/// `xml` with the row numbered `from` (1-based, as the XML numbers rows) renumbered `to`: the
/// row's `r`, its cells' references and the dimension's end, all spelt `…from"`.
fn moved_down(xml: &str, from: u32, to: u32) -> String {
    let (from, to) = (from.to_string(), to.to_string());
    let mut out = String::with_capacity(xml.len() + 16);
    let mut rest = xml;
    while let Some(at) = rest.find(&format!("{from}\"")) {
        let before = &rest[..at];
        let letters = before.len() - before.trim_end_matches(|c: char| c.is_ascii_uppercase()).len();
        let opener = before[..before.len() - letters].chars().last();
        let is_reference = matches!(opener, Some('"' | ':')) && !before.ends_with(char::is_numeric);
        out.push_str(before);
        out.push_str(if is_reference { &to } else { &from });
        out.push('"');
        rest = &rest[at + from.len() + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn a_far_cell_moved_down_in_the_xml_is_where_rust_xlsxwriter_puts_it() {
    for (row, col) in [(FAR_STANDIN + 1, 3u16), (20_000, 0), (1_048_575, 16_383), (123_456, 29)] {
        let direct = {
            let mut book = Workbook::new();
            let sheet = book.add_worksheet();
            sheet.write_string(0, 0, "学校标识码").unwrap();
            sheet.write_number(row, col, 7.0).unwrap();
            entries_of(&book.save_to_buffer().unwrap())
        };
        let built = Built {
            sheets: vec![Sheet {
                name: "Sheet1",
                hidden: false,
                titles: Vec::new(),
                header: Vec::new(),
                rows: Vec::new(),
                cells: Vec::new(),
                merges: Vec::new(),
                far: Some((row, col, Cell::Number(7.0))),
            }],
            select: Vec::new(),
        };
        let part = |entries: &Entries| {
            let e = entries.iter().find(|e| e.0 == "xl/worksheets/sheet1.xml").unwrap();
            let xml = String::from_utf8(e.1.clone()).unwrap();
            // Only the far row and the dimension's last row: the built sheet also holds the
            // reference header (so its dimension ends in another column).
            let far = xml.find(&format!("<row r=\"{}\"", row + 1)).map(|at| xml[at..].to_string());
            let dimension = xml.split("<dimension ").nth(1).and_then(|d| d.split('"').nth(1)).map(|d| {
                d.trim_start_matches(|c: char| c != ':').trim_start_matches(|c: char| !c.is_ascii_digit()).to_string()
            });
            (far, dimension)
        };
        let (direct, built) = (part(&direct), part(&entries_of(&built.bytes())));
        assert!(direct.0.is_some(), "row {row}");
        assert_eq!(direct, built, "row {row}, column {col}");
    }
}

fn write(sheet: &mut rust_xlsxwriter::Worksheet, row: u32, col: u16, value: &Cell) {
    let _ = match value {
        Cell::Text(t) => sheet.write_string(row, col, t),
        Cell::Number(x) => sheet.write_number(row, col, *x),
        Cell::Bool(b) => sheet.write_boolean(row, col, *b),
        Cell::Date(serial) => match ExcelDateTime::from_serial_datetime(*serial) {
            Ok(d) => sheet.write_datetime_with_format(row, col, &d, &Format::new().set_num_format("yyyy-mm-dd hh:mm")),
            Err(_) => sheet.write_number(row, col, *serial),
        },
        Cell::Formula(f, result) => sheet.write_formula(row, col, Formula::new(f).set_result(result)),
        Cell::Blank => sheet.write_blank(row, col, &Format::new().set_bold()),
    };
}

#[test]
fn xlsx_import_of_built_workbooks_refuses_or_imports_cleanly() {
    let importer = std::cell::RefCell::new(Importer::new());
    // Mostly one sheet: two sheets with a header are refused before their cells are read.
    let count = prop_oneof![6 => Just(1usize), 2 => Just(2usize), 1 => Just(3usize)];
    let strategy =
        (count.prop_flat_map(|n| vec(sheet(), n)), sheets()).prop_map(|(sheets, select)| Built { sheets, select });
    harness::run("xlsx_built", 0.4, strategy, Built::bytes, |case, bytes| {
        importer.borrow_mut().check(NAME, bytes, &case.select)
    });
}
