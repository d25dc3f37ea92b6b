//! Target 1, the CSV importer: arbitrary bytes, byte-mutated fixtures (every CSV of
//! `tests/data/` and the sample county's), and fixtures rewritten cell by cell with hostile
//! values, in every encoding, BOM, delimiter, quoting and line ending a file may come in.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};

use super::harness::{self, Shown};
use super::importer::{Importer, bytes_of};
use super::mutate::{self, Edit};

/// The CSV fixtures, good and malformed, and the sample county (200 schools, GB18030).
const FIXTURES: &[&str] = &[
    "tests/data/utf8.csv",
    "tests/data/utf8_bom.csv",
    "tests/data/gb18030.csv",
    "tests/data/utf16le_bom.csv",
    "tests/data/semicolon.csv",
    "tests/data/tab.tsv",
    "tests/data/quoted.csv",
    "tests/data/reordered_extra.csv",
    "tests/data/header_variants.csv",
    "tests/data/values_variants.csv",
    "tests/data/unfilled.csv",
    "tests/data/changed.csv",
    "tests/data/bad_encoding.csv",
    "tests/data/bad_enum.csv",
    "tests/data/binary.csv",
    "tests/data/duplicate_codes.csv",
    "tests/data/header_only.csv",
    "tests/data/missing_name_value.csv",
    "tests/data/missing_required.csv",
    "tests/data/text_in_number.csv",
];
const SAMPLE: &str = "assets/sample/2026Q2_中原区.csv";

/// File names as clerks save them: the message must name each exactly.
const NAMES: &[&str] = &["学校数据.csv", "2026Q3 中原区 (1).csv", "export.tsv", "数据.txt"];

/// A fixture, the sample county now and then (it is 25 times the size).
fn some_fixture() -> impl Strategy<Value = &'static str> {
    prop_oneof![19 => select(FIXTURES), 1 => Just(SAMPLE)]
}

#[derive(Clone)]
struct Arbitrary {
    name: &'static str,
    bytes: Vec<u8>,
}

impl std::fmt::Debug for Arbitrary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Arbitrary").field("name", &self.name).field("bytes", &Shown(&self.bytes)).finish()
    }
}

/// Random bytes, alone or below a real header (so that the rows are read too), or a soup of
/// the tokens CSV readers trip over.
fn arbitrary() -> impl Strategy<Value = Arbitrary> {
    let header = || {
        let text = std::str::from_utf8(bytes_of("tests/data/utf8.csv")).unwrap();
        format!("{}\n", text.lines().next().unwrap()).into_bytes()
    };
    // Half the random bytes without NUL, which alone makes a file "not text".
    let bytes = prop_oneof![
        vec(any::<u8>(), 0..2048),
        vec(1u8..=255, 0..2048),
        vec(1u8..=255, 0..2048).prop_map(move |tail| [header(), tail].concat()),
        vec(mutate::inserted(), 0..128).prop_map(move |parts| [header(), parts.concat()].concat()),
        vec(mutate::inserted(), 0..128).prop_map(|parts| parts.concat()),
    ];
    (select(NAMES), bytes).prop_map(|(name, bytes)| Arbitrary { name, bytes })
}

#[test]
fn csv_import_of_arbitrary_bytes_refuses_or_imports_cleanly() {
    let importer = std::cell::RefCell::new(Importer::new());
    harness::run(
        "csv_arbitrary",
        0.3,
        arbitrary(),
        |case| case.bytes.clone(),
        |case, bytes| importer.borrow_mut().check(case.name, bytes, &[]),
    );
}

#[derive(Debug, Clone)]
struct Mutated {
    fixture: &'static str,
    name: &'static str,
    edits: Vec<Edit>,
    /// Edits placed on ASCII bytes only, so that most of the file still decodes and the rows
    /// behind the damage are read.
    gentle: bool,
}

impl Mutated {
    fn bytes(&self) -> Vec<u8> {
        let mut bytes = bytes_of(self.fixture).to_vec();
        if self.gentle {
            mutate::apply_gentle(&mut bytes, &self.edits);
        } else {
            mutate::apply(&mut bytes, &self.edits);
        }
        bytes
    }
}

#[test]
fn csv_import_of_mutated_fixtures_refuses_or_imports_cleanly() {
    let importer = std::cell::RefCell::new(Importer::new());
    let strategy = (some_fixture(), select(NAMES), mutate::edits(8), any::<bool>())
        .prop_map(|(fixture, name, edits, gentle)| Mutated { fixture, name, edits, gentle });
    harness::run("csv_mutated", 0.35, strategy, Mutated::bytes, |case, bytes| {
        importer.borrow_mut().check(case.name, bytes, &[])
    });
}

/// Cell values a hostile or careless sheet holds.
const HOSTILE: &[&str] = &[
    "",
    " ",
    "　",
    "-1",
    "-0",
    "－１",
    "−1",
    "4294967295",
    "4294967296",
    "18446744073709551616",
    "99999999999999999999999999999999999999",
    "1e308",
    "1e309",
    "1e308G",
    "1.7976931348623157e308Gbps",
    "1e-400",
    "0.0000001",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "1,234,567,890,123",
    "1,2,3",
    ",",
    "12.0",
    "12.00000000001",
    "0x10",
    "1_000",
    "=1+1",
    "=HYPERLINK(\"http://x\",\"点击\")",
    "+cmd|' /C calc'!A0",
    "@SUM(A1:A9)",
    "\"",
    "\"\"",
    "a\"b",
    "\r",
    "\n",
    "a\r\nb",
    "\0",
    "\u{1b}[2J\u{1b}[31m红色",
    "\u{7}\u{8}\u{7f}",
    "\u{202e}逆序",
    "\u{feff}",
    "\u{200b}",
    "e\u{301}\u{301}\u{301}",
    "😀",
    "是否",
    "是\n否",
    "未填报",
    "已填报 ",
    "2026-13-45",
    "2026-02-30",
    "0000-00-00",
    "9999-12-31 23:59:59",
    "2026-10-01 25:61:61",
    "2026年13月1日",
    "262143-12-31",
    "+262143-12-31T23:59:59Z",
    "2026-10-01T10:00:00+25:00",
    "20261301",
    "2.14101E+09",
    "2.14101e+09",
    "410102.0",
    "４１０１０２",
    "大学",
    "部分",
    "√",
    "#VALUE!",
    "#REF!",
    "TRUE",
];

/// A cell of 16 to 256 Ki repetitions of a piece, the lengths spread evenly over the powers of
/// two (so most are short and the suite stays quick).
fn long_cell() -> impl Strategy<Value = String> {
    (select(&["9", "a", "学", "\"", ",", "\n", "1,", "\u{1b}"][..]), 4u32..=18)
        .prop_map(|(piece, k)| piece.repeat(1 << k))
}

pub fn hostile_cell() -> impl Strategy<Value = String> {
    prop_oneof![19 => short_hostile_cell(), 1 => long_cell()]
}

/// [`hostile_cell`] without the long ones: for the cells a change repeats thousands of times
/// (a row widened by 20,000 columns of a 786 KB cell was a 15 GB file, whose writing was most
/// of this target's minutes; the size limit has its own test in `tests/import_limits.rs`).
fn short_hostile_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => select(HOSTILE).prop_map(str::to_string),
        2 => any::<u64>().prop_map(|n| n.to_string()),
        2 => any::<i64>().prop_map(|n| n.to_string()),
        2 => any::<f64>().prop_map(|x| x.to_string()),
        2 => any::<f64>().prop_map(|x| format!("{x:e}")),
        2 => ".{0,24}",
        1 => vec(0u8..0x20, 1..8).prop_map(|b| String::from_utf8(b).unwrap()),
    ]
}

/// The columns whose values are parsed, by their reference headers.
const PARSED: &[&str] = &[
    "学校标识码",
    "行政区划代码",
    "填报时间",
    "班级数",
    "学生数",
    "是否接入互联网",
    "出口带宽",
    "无线网络覆盖",
    "办学类型",
];

#[derive(Debug, Clone)]
enum Change {
    Cell {
        row: Index,
        col: Index,
        value: String,
    },
    /// A parsed column's cell, found by its header, so that hostile values meet their parser.
    Parsed {
        row: Index,
        header: &'static str,
        value: String,
    },
    Header {
        col: Index,
        value: String,
    },
    /// A row cut to its first `keep` cells.
    Cut {
        row: Index,
        keep: usize,
    },
    Extend {
        row: Index,
        cells: Vec<String>,
    },
    Repeat {
        row: Index,
    },
    Remove {
        row: Index,
    },
    TitleRows(Vec<String>),
    /// A text column's cell (found by its header) about as long as `[limits]` allows, or longer.
    Long {
        row: Index,
        header: &'static str,
        chars: usize,
    },
    /// `count` more columns on a row (the header too, when it is row 0): past `[limits] columns`
    /// or not.
    Widen {
        row: Index,
        count: usize,
        value: String,
    },
}

/// The text columns and their limits' neighbourhood: 100 for names, 500 for the rest.
const TEXTS: &[&str] = &["学校名称", "填报人", "联系电话", "所属县区"];

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        8 => (any::<Index>(), any::<Index>(), hostile_cell()).prop_map(|(row, col, value)| Change::Cell { row, col, value }),
        4 => (any::<Index>(), select(PARSED), hostile_cell())
            .prop_map(|(row, header, value)| Change::Parsed { row, header, value }),
        2 => (any::<Index>(), hostile_cell()).prop_map(|(col, value)| Change::Header { col, value }),
        1 => (any::<Index>(), 0usize..30).prop_map(|(row, keep)| Change::Cut { row, keep }),
        1 => (any::<Index>(), vec(hostile_cell(), 1..4)).prop_map(|(row, cells)| Change::Extend { row, cells }),
        1 => any::<Index>().prop_map(|row| Change::Repeat { row }),
        1 => any::<Index>().prop_map(|row| Change::Remove { row }),
        1 => vec(hostile_cell(), 1..4).prop_map(Change::TitleRows),
        2 => (any::<Index>(), select(TEXTS), prop_oneof![95usize..106, 1usize..2000])
            .prop_map(|(row, header, chars)| Change::Long { row, header, chars }),
        1 => (any::<Index>(), prop_oneof![200usize..300, 1usize..20_000], short_hostile_cell())
            .prop_map(|(row, count, value)| Change::Widen { row, count, value }),
    ]
}

#[derive(Debug, Clone, Copy)]
enum Quoting {
    Needed,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy)]
enum Encoding {
    Utf8,
    Utf8Bom,
    DoubleBom,
    Gb18030,
    Utf16LeBom,
    Utf16BeBom,
    Utf16LeNoBom,
    Utf32LeBom,
    /// The header in UTF-8, the rows in GB18030: two files pasted together.
    Utf8HeaderGbRows,
    /// A BOM in the middle of the text too.
    BomInside,
}

#[derive(Debug, Clone)]
struct Rewritten {
    fixture: &'static str,
    name: &'static str,
    changes: Vec<Change>,
    delimiter: u8,
    quoting: Quoting,
    line_end: &'static str,
    encoding: Encoding,
    edits: Vec<Edit>,
}

/// A fixture's records, whatever its encoding and delimiter.
fn records(path: &'static str) -> Vec<Vec<String>> {
    let bytes = bytes_of(path);
    let text = if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        encoding_rs::UTF_16LE.decode_without_bom_handling(rest).0.into_owned()
    } else if let Ok(text) = std::str::from_utf8(bytes) {
        text.trim_start_matches('\u{feff}').to_string()
    } else {
        encoding_rs::GB18030.decode_without_bom_handling(bytes).0.into_owned()
    };
    let first = text.lines().next().unwrap_or_default();
    let delimiter = [b',', b';', b'\t'].into_iter().max_by_key(|d| first.matches(char::from(*d)).count()).unwrap();
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    reader.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect()
}

impl Rewritten {
    fn bytes(&self) -> Vec<u8> {
        let mut rows = records(self.fixture);
        for change in &self.changes {
            apply_change(&mut rows, change);
        }
        let delimiter = char::from(self.delimiter);
        let lines: Vec<String> = rows
            .iter()
            .map(|row| row.iter().map(|c| self.quoted(c, delimiter)).collect::<Vec<_>>().join(&delimiter.to_string()))
            .collect();
        let mut bytes = self.encoded(&lines);
        mutate::apply(&mut bytes, &self.edits);
        bytes
    }

    fn quoted(&self, cell: &str, delimiter: char) -> String {
        let needed = cell.contains([delimiter, '"', '\r', '\n']);
        match self.quoting {
            Quoting::Always => format!("\"{}\"", cell.replace('"', "\"\"")),
            Quoting::Needed if needed => format!("\"{}\"", cell.replace('"', "\"\"")),
            _ => cell.to_string(),
        }
    }

    fn encoded(&self, lines: &[String]) -> Vec<u8> {
        let text = |lines: &[String]| lines.iter().map(|l| format!("{l}{}", self.line_end)).collect::<String>();
        let gb = |t: &str| encoding_rs::GB18030.encode(t).0.into_owned();
        let all = text(lines);
        match self.encoding {
            Encoding::Utf8 => all.into_bytes(),
            Encoding::Utf8Bom => [b"\xEF\xBB\xBF".as_slice(), all.as_bytes()].concat(),
            Encoding::DoubleBom => [b"\xEF\xBB\xBF\xEF\xBB\xBF".as_slice(), all.as_bytes()].concat(),
            Encoding::Gb18030 => gb(&all),
            Encoding::Utf16LeBom => {
                [vec![0xFF, 0xFE], all.encode_utf16().flat_map(u16::to_le_bytes).collect()].concat()
            }
            Encoding::Utf16BeBom => {
                [vec![0xFE, 0xFF], all.encode_utf16().flat_map(u16::to_be_bytes).collect()].concat()
            }
            Encoding::Utf16LeNoBom => all.encode_utf16().flat_map(u16::to_le_bytes).collect(),
            Encoding::Utf32LeBom => {
                [vec![0xFF, 0xFE, 0, 0], all.chars().flat_map(|c| u32::from(c).to_le_bytes()).collect()].concat()
            }
            Encoding::Utf8HeaderGbRows => {
                let (head, rest) = lines.split_at(lines.len().min(1));
                [text(head).into_bytes(), gb(&text(rest))].concat()
            }
            Encoding::BomInside => {
                let (head, rest) = lines.split_at(lines.len().min(2));
                [text(head).as_bytes(), "\u{feff}".as_bytes(), text(rest).as_bytes()].concat()
            }
        }
    }
}

fn apply_change(rows: &mut Vec<Vec<String>>, change: &Change) {
    let n = rows.len();
    match change {
        Change::Cell { row, col, value } if n > 0 => {
            let r = &mut rows[row.index(n)];
            if !r.is_empty() {
                let c = col.index(r.len());
                r[c] = value.clone();
            }
        }
        Change::Parsed { row, header, value } if n > 1 => {
            let column = rows[0].iter().position(|h| h.starts_with(header));
            let r = &mut rows[1 + row.index(n - 1)];
            if let Some(cell) = column.and_then(|c| r.get_mut(c)) {
                *cell = value.clone();
            }
        }
        Change::Header { col, value } if n > 0 && !rows[0].is_empty() => {
            let c = col.index(rows[0].len());
            rows[0][c] = value.clone();
        }
        Change::Cut { row, keep } if n > 0 => rows[row.index(n)].truncate(*keep),
        Change::Extend { row, cells } if n > 0 => rows[row.index(n)].extend(cells.iter().cloned()),
        Change::Repeat { row } if n > 0 => {
            let copy = rows[row.index(n)].clone();
            rows.insert(row.index(n + 1), copy);
        }
        Change::Remove { row } if n > 0 => {
            rows.remove(row.index(n));
        }
        Change::TitleRows(titles) => {
            for t in titles.iter().rev() {
                rows.insert(0, vec![t.clone()]);
            }
        }
        Change::Long { row, header, chars } if n > 1 => {
            let column = rows[0].iter().position(|h| h.starts_with(header));
            let r = &mut rows[1 + row.index(n - 1)];
            if let Some(cell) = column.and_then(|c| r.get_mut(c)) {
                *cell = "名".repeat(*chars);
            }
        }
        Change::Widen { row, count, value } if n > 0 => {
            let r = row.index(n);
            let cells = (0..*count).map(|i| if r == 0 { format!("列{i}") } else { value.clone() });
            rows[r].extend(cells);
        }
        _ => {}
    }
}

fn rewritten() -> impl Strategy<Value = Rewritten> {
    use Encoding::*;
    let encoding = prop_oneof![
        6 => Just(Utf8),
        3 => Just(Utf8Bom),
        3 => Just(Gb18030),
        2 => Just(Utf16LeBom),
        1 => Just(Utf16BeBom),
        1 => Just(DoubleBom),
        1 => Just(Utf16LeNoBom),
        1 => Just(Utf32LeBom),
        1 => Just(Utf8HeaderGbRows),
        1 => Just(BomInside),
    ];
    let fixture = some_fixture().prop_filter("readable fixtures", |f| !f.ends_with("binary.csv"));
    (
        fixture,
        select(NAMES),
        vec(change(), 1..6),
        select(&[b',', b',', b'\t', b';'][..]),
        select(&[Quoting::Needed, Quoting::Needed, Quoting::Always, Quoting::Never][..]),
        select(&["\n", "\r\n", "\r"][..]),
        encoding,
        vec(mutate::edit(), 0..2),
    )
        .prop_map(|(fixture, name, changes, delimiter, quoting, line_end, encoding, edits)| Rewritten {
            fixture,
            name,
            changes,
            delimiter,
            quoting,
            line_end,
            encoding,
            edits,
        })
}

#[test]
fn csv_import_of_hostile_cells_refuses_or_imports_cleanly() {
    let importer = std::cell::RefCell::new(Importer::new());
    harness::run("csv_hostile_cells", 0.35, rewritten(), Rewritten::bytes, |case, bytes| {
        importer.borrow_mut().check(case.name, bytes, &[])
    });
}
