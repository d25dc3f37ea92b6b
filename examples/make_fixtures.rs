//! Writes the import fixtures under `tests/data/` (see `tests/data/README.md`).
//!
//! Run with `cargo run --example make_fixtures`. The output is byte-stable: no clock,
//! no randomness, and the XLSX creation date is pinned, so re-running changes nothing.
//! Every "good" variant carries the same five schools of 郑州市中原区 with the same
//! values, so a test can assert that all of them import to identical data.

use std::error::Error;
use std::fs;
use std::path::{Path, PathBuf};

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, Workbook, Worksheet};

type Row = Vec<String>;
type Result<T = ()> = std::result::Result<T, Box<dyn Error>>;

/// The known columns of PRODUCT.md §3, in the order the national system exports them.
#[rustfmt::skip]
const HEADER: [&str; 23] = [
    "学校标识码", "学校名称", "所属市州", "所属县区", "行政区划代码", "办学类型", "城乡类型",
    "学校状态", "填报状态", "填报时间", "班级数", "教师数", "学生数", "是否接入互联网",
    "接入方式", "出口带宽", "无线网络覆盖", "普通教室数", "多媒体教室数", "教师终端数",
    "学生终端数", "填报人", "联系电话",
];

/// The same columns spelled as people really type them: full-width brackets and letters,
/// ASCII and ideographic spaces, units, aliases and English keys.
#[rustfmt::skip]
const HEADER_VARIANTS: [&str; 23] = [
    "school_code", "学校 名称", " 所属市州 ", "所属　县区", "行政区划代码", "学校类型", "城乡分类",
    "学校状态 ", "填报状态", "填报时间", "班级数（个）", "教师数(人)", "students", "connected",
    "接入方式", "出口带宽（Ｍｂｐｓ）", "无线网络 覆盖", "教室数", "多媒体教室数(间)",
    "教师终端数（台）", "学生终端数 (台)", "填报人", "联系电话",
];

/// The five schools every good variant must import to.
#[rustfmt::skip]
const SCHOOLS: [[&str; 23]; 5] = [
    [
        "2141010201", "郑州市中原区伏牛路小学", "郑州市", "中原区", "410102", "小学", "城区",
        "正常", "已填报", "2026-10-01 10:23:00", "28", "62", "1234", "是", "光纤", "1000", "是",
        "30", "28", "70", "120", "张丽", "0371-68810201",
    ],
    [
        "2141010202", "郑州市中原区汝河路小学", "郑州市", "中原区", "410102", "小学", "城区",
        "正常", "已填报", "2026-10-01", "18", "45", "812", "是", "光纤", "500", "是", "20", "18",
        "50", "60", "王强", "0371-68810202",
    ],
    [
        "2141010203", "郑州市中原区须水镇中心学校", "郑州市", "中原区", "410102",
        "九年一贯制学校", "镇区", "正常", "已填报", "2026-10-02", "27", "70", "1105", "是", "光纤",
        "200", "部分", "30", "20", "75", "90", "李娜", "0371-68810203",
    ],
    [
        "2141010204", "郑州市中原区须水镇岗李小学", "郑州市", "中原区", "410102", "小学", "乡村",
        "正常", "已填报", "2026-10-02 15:40:00", "6", "12", "143", "否", "", "0", "否", "6", "2",
        "12", "0", "赵磊", "0371-68810204",
    ],
    [
        "2141010205", "郑州市中原区须水镇西岗教学点", "郑州市", "中原区", "410102", "教学点",
        "乡村", "正常", "已填报", "2026-10-03", "3", "4", "38", "否", "", "0", "否", "3", "1", "4",
        "0", "刘洋", "0371-68810205",
    ],
];

/// Two other schools, only on the 中学 sheet of `multi_sheet.xlsx`.
#[rustfmt::skip]
const MIDDLE_SCHOOLS: [[&str; 23]; 2] = [
    [
        "2141010206", "郑州市中原区须水镇第一初级中学", "郑州市", "中原区", "410102", "初级中学",
        "镇区", "正常", "已填报", "2026-10-01", "15", "48", "690", "是", "光纤", "300", "是", "16",
        "15", "52", "80", "孙伟", "0371-68810206",
    ],
    [
        "2141010207", "郑州市中原区实验中学", "郑州市", "中原区", "410102", "完全中学", "城区",
        "正常", "已填报", "2026-10-02", "36", "120", "1620", "是", "光纤", "1000", "是", "40",
        "36", "130", "200", "周敏", "0371-68810207",
    ],
];

/// Columns a number goes into; XLSX fixtures store these as real numbers.
#[rustfmt::skip]
const NUMERIC: [&str; 9] = [
    "行政区划代码", "班级数", "教师数", "学生数", "出口带宽", "普通教室数", "多媒体教室数",
    "教师终端数", "学生终端数",
];

/// The values a school reports; empty in every one of them means 未填报.
#[rustfmt::skip]
const INDICATORS: [&str; 11] = [
    "班级数", "教师数", "学生数", "是否接入互联网", "接入方式", "出口带宽", "无线网络覆盖",
    "普通教室数", "多媒体教室数", "教师终端数", "学生终端数",
];

/// A 1×1 transparent PNG, saved under a .csv name by a hurried user.
#[rustfmt::skip]
const PNG: [u8; 68] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
    0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f,
    0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0b, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x60,
    0x00, 0x02, 0x00, 0x00, 0x05, 0x00, 0x01, 0xe9, 0xfa, 0xdc, 0xd8, 0x00, 0x00, 0x00, 0x00,
    0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

type Edit<'a> = (usize, &'a str, &'a str);

fn rows(schools: &[[&str; 23]]) -> Vec<Row> {
    let row = |s: &[&str; 23]| s.iter().map(|v| v.to_string()).collect();
    schools.iter().map(row).collect()
}

fn position(header: &[&str], name: &str) -> Option<usize> {
    header.iter().position(|h| *h == name)
}

/// A copy of `rows` with some cells replaced; an edit is (0-based data row, column, value).
fn edited(rows: &[Row], edits: &[Edit]) -> Vec<Row> {
    let mut rows = rows.to_vec();
    for (school, column, value) in edits {
        let c = position(&HEADER, column).expect("known column");
        rows[*school][c] = value.to_string();
    }
    rows
}

/// Builds a delimited text table. A field is quoted when it has to be, and every field
/// of a column `force_quote` names.
fn delimited(header: &[&str], rows: &[Row], (delim, eol): (char, &str), force_quote: impl Fn(&str) -> bool) -> String {
    let line = |fields: Vec<&str>| {
        let field = |(v, h): (&&str, &&str)| {
            if force_quote(h) || v.contains([delim, '"', '\n', '\r']) {
                format!("\"{}\"", v.replace('"', "\"\""))
            } else {
                v.to_string()
            }
        };
        let fields: Vec<String> = fields.iter().zip(header).map(field).collect();
        fields.join(&delim.to_string()) + eol
    };
    let mut out = line(header.to_vec());
    for row in rows {
        out += &line(row.iter().map(String::as_str).collect());
    }
    out
}

/// The common case: comma-separated, LF, the standard header, minimal quoting.
fn csv(rows: &[Row]) -> String {
    delimited(&HEADER, rows, (',', "\n"), |_| false)
}

/// Picks columns by name in the given order; names outside `HEADER` come from `extras`.
fn project(order: &[&str], rows: &[Row], extras: &[(&str, [&str; 5])]) -> Vec<Row> {
    let extra = |name: &str| extras.iter().find(|(n, _)| *n == name).expect("extra").1;
    let value = |i: usize, name: &str| match position(&HEADER, name) {
        Some(c) => rows[i][c].clone(),
        None => extra(name)[i].to_string(),
    };
    let row = |i| order.iter().map(|name| value(i, name)).collect();
    (0..rows.len()).map(row).collect()
}

fn utf16le_with_bom(text: &str) -> Vec<u8> {
    let units = text.encode_utf16().flat_map(u16::to_le_bytes);
    [0xFF, 0xFE].into_iter().chain(units).collect()
}

fn gb18030(text: &str) -> Vec<u8> {
    let (bytes, _, lossy) = encoding_rs::GB18030.encode(text);
    assert!(!lossy, "every fixture character exists in GB18030");
    bytes.into_owned()
}

/// Writes header and rows starting at `first_row` (0-based); numeric columns as numbers.
fn write_sheet(sheet: &mut Worksheet, first_row: u32, header: &[&str], rows: &[Row]) -> Result {
    for (c, name) in header.iter().enumerate() {
        sheet.write_string(first_row, c as u16, *name)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = first_row + 1 + r as u32;
        for (c, value) in row.iter().enumerate().filter(|(_, v)| !v.is_empty()) {
            if NUMERIC.contains(&header[c]) {
                sheet.write_number(r, c as u16, value.parse::<f64>()?)?;
            } else {
                sheet.write_string(r, c as u16, value)?;
            }
        }
    }
    Ok(())
}

/// A workbook whose bytes do not depend on when it was made.
fn workbook() -> Result<Workbook> {
    let mut book = Workbook::new();
    let created = ExcelDateTime::from_ymd(2026, 10, 2)?.and_hms(8, 0, 0)?;
    book.set_properties(&DocProperties::new().set_creation_datetime(&created));
    Ok(book)
}

/// Two title rows (a merged title, an export time), the header on row 3, data from row 4;
/// the first school's 填报时间 is a real Excel date-time cell.
fn title_rows_xlsx(good: &[Row]) -> Result<Vec<u8>> {
    let mut book = workbook()?;
    let sheet = book.add_worksheet().set_name("Sheet1")?;
    let title = Format::new().set_bold().set_align(FormatAlign::Center);
    let last_col = HEADER.len() as u16 - 1;
    let caption = "郑州市中原区中小学（含教学点）信息化进展情况统计表（2026年第三季度）";
    sheet.merge_range(0, 0, 0, last_col, caption, &title)?;
    sheet.write_string(1, 0, "导出时间：2026-10-02")?;
    write_sheet(sheet, 2, &HEADER, good)?;
    let submitted = ExcelDateTime::from_ymd(2026, 10, 1)?.and_hms(10, 23, 0)?;
    let date_format = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let submitted_col = position(&HEADER, "填报时间").expect("known column") as u16;
    sheet.write_datetime_with_format(3, submitted_col, &submitted, &date_format)?;
    Ok(book.save_to_buffer()?)
}

/// A text-only 说明 sheet, then 小学 (the five schools) and 中学 (two others).
fn multi_sheet_xlsx(good: &[Row]) -> Result<Vec<u8>> {
    let mut book = workbook()?;
    let notes = book.add_worksheet().set_name("说明")?;
    notes.write_string(0, 0, "填报说明")?;
    notes.write_string(1, 0, "小学、中学分表填写；学校标识码为10位国家标识码。")?;
    write_sheet(book.add_worksheet().set_name("小学")?, 0, &HEADER, good)?;
    let middle = rows(&MIDDLE_SCHOOLS);
    write_sheet(book.add_worksheet().set_name("中学")?, 0, &HEADER, &middle)?;
    Ok(book.save_to_buffer()?)
}

const CONNECTED: &str = "是否接入互联网";

/// Fixtures that are the five schools with a few cells changed, in plain `csv` form.
#[rustfmt::skip]
const EDITED: [(&str, &[Edit]); 6] = [
    // Good: every spelling PRODUCT.md §3 accepts; same data as utf8.csv.
    ("values_variants.csv", &[
        (0, CONNECTED, "1"), (1, CONNECTED, "Y"), (2, CONNECTED, "true"),
        (3, CONNECTED, "0"), (4, CONNECTED, "N"),
        (0, "学生数", "1,234"), (2, "学生数", "1,105"), (1, "学生数", "８１２"),
        (1, "教师数", "４５"), (2, "出口带宽", "200.0"),
        (0, "填报时间", "2026-10-01 10:23:00"), (1, "填报时间", "2026/10/1"),
        (2, "填报时间", "2026年10月2日"), (3, "填报时间", "2026-10-02T15:40:00+08:00"),
        (4, "填报时间", "2026.10.03"),
    ]),
    // Good: a new revision of 汝河路小学.
    ("changed.csv", &[(1, "学生数", "845"), (1, "出口带宽", "300")]),
    // Malformed.
    ("text_in_number.csv", &[(2, "学生数", "abc"), (4, "班级数", "-2")]),
    ("duplicate_codes.csv", &[(3, "学校标识码", "2141010202")]),
    ("missing_name_value.csv", &[(2, "学校名称", "")]),
    ("bad_enum.csv", &[(1, CONNECTED, "也许"), (3, "办学类型", "大学")]),
];

fn main() -> Result {
    let out = Out(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data"));
    fs::create_dir_all(&out.0)?;
    let good = rows(&SCHOOLS);
    let utf8 = csv(&good);
    let never = |_: &str| false;

    // Good variants: each imports to the same five schools.
    out.write("utf8.csv", &utf8)?;
    let crlf = delimited(&HEADER, &good, (',', "\r\n"), never);
    out.write("utf8_bom.csv", [b"\xEF\xBB\xBF", crlf.as_bytes()].concat())?;
    out.write("gb18030.csv", gb18030(&crlf))?;
    // Excel's "Unicode text": UTF-16LE with BOM, tab-separated, CRLF.
    let unicode_text = delimited(&HEADER, &good, ('\t', "\r\n"), never);
    out.write("utf16le_bom.csv", utf16le_with_bom(&unicode_text))?;
    for (name, delim) in [("semicolon.csv", ';'), ("tab.tsv", '\t')] {
        out.write(name, delimited(&HEADER, &good, (delim, "\n"), never))?;
    }

    #[rustfmt::skip]
    let remarks = ("备注", [
        "含东、西两个校区,西校区在建\n数据为两校区合计", "", "已核实\"光纤\"接入", "", "",
    ]);
    let mut quoted_header = HEADER.to_vec();
    quoted_header.push("备注");
    let quoted = project(&quoted_header, &good, &[remarks]);
    let is_name = |h: &str| h == "学校名称";
    let text = delimited(&quoted_header, &quoted, (',', "\r\n"), is_name);
    out.write("quoted.csv", text)?;

    let notes = ("备注", ["两个校区", "", "", "新建教学楼", ""]);
    let principals = ("校长姓名", ["陈静", "杨帆", "黄志刚", "吴芳", "郑波"]);
    #[rustfmt::skip]
    let order = [
        "学校名称", "备注", "学生数", "教师数", "班级数", "学校标识码", "出口带宽", "是否接入互联网",
        "接入方式", "无线网络覆盖", "多媒体教室数", "普通教室数", "学生终端数", "教师终端数",
        "办学类型", "城乡类型", "学校状态", "填报状态", "填报时间", "行政区划代码", "所属县区",
        "所属市州", "联系电话", "填报人", "校长姓名",
    ];
    let reordered = project(&order, &good, &[notes, principals]);
    let text = delimited(&order, &reordered, (',', "\n"), never);
    out.write("reordered_extra.csv", text)?;

    // The English-keyed `connected` column carries true/false, as such exports do.
    let english: Vec<Edit> = ["true", "true", "true", "false", "false"]
        .into_iter()
        .enumerate()
        .map(|(school, value)| (school, CONNECTED, value))
        .collect();
    let english = edited(&good, &english);
    let text = delimited(&HEADER_VARIANTS, &english, (',', "\n"), never);
    out.write("header_variants.csv", text)?;

    out.write("title_rows.xlsx", title_rows_xlsx(&good)?)?;
    out.write("multi_sheet.xlsx", multi_sheet_xlsx(&good)?)?;

    // 未填报: two schools say so; the fifth leaves 填报状态 empty but reports nothing either.
    let fill = "填报状态";
    let mut blanks = vec![(2, fill, "未填报"), (3, fill, "未填报"), (4, fill, "")];
    for school in 2..5 {
        let columns = INDICATORS.iter().chain(&["填报时间", "填报人", "联系电话"]);
        blanks.extend(columns.map(|column| (school, *column, "")));
    }
    out.write("unfilled.csv", csv(&edited(&good, &blanks)))?;

    for (name, edits) in EDITED {
        out.write(name, csv(&edited(&good, edits)))?;
    }

    // Malformed: each must be refused as a whole.
    let name = SCHOOLS[1][1];
    let at = utf8.find(name).expect("second school's name") + "郑州市".len();
    let mut bad_bytes = utf8.clone().into_bytes();
    bad_bytes.splice(at..at, [0xFF, 0xFE]);
    out.write("bad_encoding.csv", bad_bytes)?;

    let no_code = &HEADER[1..];
    let no_code_rows = project(no_code, &good, &[]);
    let text = delimited(no_code, &no_code_rows, (',', "\n"), never);
    out.write("missing_required.csv", text)?;
    out.write("empty.csv", "")?;
    out.write("header_only.csv", csv(&[]))?;
    out.write("binary.csv", PNG)?;
    let whole = title_rows_xlsx(&good)?;
    out.write("truncated.xlsx", &whole[..whole.len() / 2])?;
    Ok(())
}

/// The output directory; reports every file it writes.
struct Out(PathBuf);

impl Out {
    fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> Result {
        let bytes = bytes.as_ref();
        fs::write(self.0.join(name), bytes)?;
        println!("{:>6} bytes  tests/data/{name}", bytes.len());
        Ok(())
    }
}
