//! What an import reads at most, tried as an attacker and as a careless county would: files
//! too large or not files at all, workbooks that unzip to gigabytes or repeat one huge string in
//! every cell, sheets of 20,000 columns, cells longer than Excel holds (refused while reading,
//! where the limit was hit); and fields no school sheet holds (refused as bad cells, with
//! `file:row:column`, under the configurable `[limits]`). A refused import changes nothing.

use std::path::{Path, PathBuf};

use shenhe::domain::Period;
use shenhe::i18n::Lang;
use shenhe::import::limits::{self, SheetLimits};
use shenhe::import::{ImportError, ImportRequest, ImportSummary, import_files};
use shenhe::store::Store;

const AT: &str = "2026-10-02T09:00:00+08:00";

fn reference() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/utf8.csv")).unwrap()
}

fn import_with(path: &Path, limits: SheetLimits) -> (Result<ImportSummary, ImportError>, bool) {
    let mut store = Store::open_in_memory().unwrap();
    let before = store.content_digest().unwrap();
    let period: Period = "2026Q3".parse().unwrap();
    let req = ImportRequest {
        period,
        files: vec![path.to_path_buf()],
        sheets: vec![],
        actor: "t".into(),
        at: AT.into(),
        limits,
        held_below: Default::default(),
    };
    let result = import_files(&mut store, &req, &mut |_| {});
    let unchanged = store.content_digest().unwrap() == before;
    (result, unchanged)
}

/// The import's error (it must fail and leave the store as it was).
fn refused(path: &Path) -> ImportError {
    let (result, unchanged) = import_with(path, SheetLimits::default());
    assert!(unchanged, "a refused import changed the store");
    result.expect_err("must be refused")
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The reference sheet with one more column `header` whose cell on each row is `cell(row)`.
fn with_column(header: &str, cell: impl Fn(usize) -> String) -> String {
    let mut out = String::new();
    for (i, line) in reference().lines().enumerate() {
        let extra = if i == 0 { header.to_string() } else { cell(i) };
        out.push_str(&format!("{line},{extra}\n"));
    }
    out
}

/// The CSV of 20,000 columns (3.5 GB to read before): refused at its header, at the
/// first column past `[limits] columns`, and a province may allow more.
#[test]
fn a_sheet_of_20000_columns_is_refused_at_the_first_column_past_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let extras: Vec<String> = (0..20_000).map(|i| format!("列{i}")).collect();
    let text = with_column(&extras.join(","), |_| vec!["x"; 20_000].join(","));
    let path = write(dir.path(), "wide.csv", text);
    let err = refused(&path);
    let message = err.user_message(Lang::En);
    assert!(matches!(err, ImportError::LimitHit { row: 1, column: 256, .. }), "{message}");
    assert!(message.starts_with(&format!("{}:1:IW: this column lies beyond column 256", path.display())), "{message}");

    let narrow = write(dir.path(), "narrow.csv", with_column(&extras[..250].join(","), |_| vec!["x"; 250].join(",")));
    assert!(matches!(refused(&narrow), ImportError::LimitHit { column: 256, .. }));
    let wider = SheetLimits { columns: 300, ..SheetLimits::default() };
    let (result, _) = import_with(&narrow, wider);
    assert_eq!(result.unwrap().extra_columns.len(), 250);
}

/// A cell longer than Excel holds stops the reading at that cell, before the rest is read.
#[test]
fn a_cell_longer_than_excel_holds_stops_the_reading_there() {
    let dir = tempfile::tempdir().unwrap();
    let long = "校".repeat(32_768);
    let text = reference().replacen("郑州市中原区汝河路小学", &long, 1);
    let path = write(dir.path(), "long.csv", text);
    let message = refused(&path).user_message(Lang::En);
    assert!(
        message.starts_with(&format!("{}:3:B: the cell holds more than 32767 characters", path.display())),
        "{message}"
    );
}

/// The 1.1 MB workbook: one 20,000-character shared string used by every cell (out of
/// memory before). Each use is counted as it is read, so the text limit stops it early.
#[test]
fn one_long_shared_string_in_every_cell_is_refused_by_the_text_limit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.xlsx");
    let long = "长".repeat(20_000);
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, name) in ["学校标识码", "学校名称", "备注"].iter().enumerate() {
        sheet.write_string(0, c as u16, *name).unwrap();
    }
    for r in 1..20_000u32 {
        sheet.write_string(r, 0, format!("21410{r:05}")).unwrap();
        sheet.write_string(r, 1, &long).unwrap();
        sheet.write_string(r, 2, &long).unwrap();
    }
    std::fs::write(&path, book.save_to_buffer().unwrap()).unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() < 2 << 20);
    let err = refused(&path);
    let message = err.user_message(Lang::En);
    assert!(matches!(err, ImportError::LimitHit { .. }), "{message}");
    assert!(message.contains("shared.xlsx[Sheet1]:") && message.contains("bytes of text in all"), "{message}");
}

/// A workbook part that unzips past its bound is refused by name before calamine reads it.
#[test]
fn a_workbook_that_unzips_to_gigabytes_is_refused_by_its_part() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("xl/sharedStrings.xml", options).unwrap();
    let tags = "<si><t>a</t></si>".repeat(1 << 16);
    for _ in 0..40 {
        zip.write_all(tags.as_bytes()).unwrap();
    }
    let path = write(dir.path(), "bomb.xlsx", zip.finish().unwrap().into_inner());
    assert!(std::fs::metadata(&path).unwrap().len() < 1 << 20);
    let message = refused(&path).user_message(Lang::En);
    let expected = format!("part xl/sharedStrings.xml: it unzips to more than {} bytes", limits::HELD_PART_BYTES);
    assert!(message.contains(&expected), "{message}");
}

/// A cell reference past the last row used to wrap onto row 1 (A4294967297 → A1).
#[test]
fn a_cell_reference_past_the_last_row_does_not_wrap_onto_row_1() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, name) in ["学校标识码", "学校名称"].iter().enumerate() {
        sheet.write_string(0, c as u16, *name).unwrap();
        sheet.write_string(1, c as u16, "x").unwrap();
    }
    let original = book.save_to_buffer().unwrap();
    let mut source = zip::ZipArchive::new(std::io::Cursor::new(original)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..source.len() {
        let mut entry = source.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        let mut content = String::new();
        std::io::Read::read_to_string(&mut entry, &mut content).unwrap();
        if name == "xl/worksheets/sheet1.xml" {
            content = content.replace("r=\"A2\"", "r=\"A4294967297\"");
        }
        out.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        out.write_all(content.as_bytes()).unwrap();
    }
    let path = write(dir.path(), "wrap.xlsx", out.finish().unwrap().into_inner());
    let message = refused(&path).user_message(Lang::En);
    assert!(message.contains("\"A4294967297\" lies outside a sheet"), "{message}");
}

/// One stray cell at XFD1048576 is refused where it is: the sheet is never made that wide.
#[test]
fn a_stray_cell_far_beyond_the_table_is_refused_where_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stray.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, line) in reference().lines().enumerate() {
        for (c, cell) in line.split(',').enumerate() {
            sheet.write_string(r as u32, c as u16, cell).unwrap();
        }
    }
    sheet.write_string(1_048_575, 16_383, "x").unwrap();
    std::fs::write(&path, book.save_to_buffer().unwrap()).unwrap();
    let message = refused(&path).user_message(Lang::En);
    assert!(message.contains("stray.xlsx[Sheet1]:1048576:XFD: this column lies beyond column 256"), "{message}");
}

/// A rust_xlsxwriter workbook of the header and one school, its parts passed through `edit`
/// (name, content) → (name, content).
fn rewritten_book(dir: &Path, name: &str, edit: impl Fn(&str, String) -> (String, String)) -> PathBuf {
    use std::io::Write;
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, heading) in ["学校标识码", "学校名称"].iter().enumerate() {
        sheet.write_string(0, c as u16, *heading).unwrap();
    }
    sheet.write_string(1, 0, "2141010201").unwrap();
    sheet.write_string(1, 1, "一小").unwrap();
    let mut source = zip::ZipArchive::new(std::io::Cursor::new(book.save_to_buffer().unwrap())).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..source.len() {
        let mut entry = source.by_index(i).unwrap();
        let mut content = String::new();
        std::io::Read::read_to_string(&mut entry, &mut content).unwrap();
        let (part, content) = edit(&entry.name().unwrap(), content);
        out.start_file(part, zip::write::SimpleFileOptions::default()).unwrap();
        out.write_all(content.as_bytes()).unwrap();
    }
    write(dir, name, out.finish().unwrap().into_inner())
}

/// One cell split into many short runs (`<r><t>…</t></r>`), or one text of `a>` repeated (a
/// `>` is allowed in text): calamine joins a cell's runs before anything could count them, so
/// the guard counts a cell's text over all its runs, and a stretch up to the next `<`.
#[test]
fn a_cell_in_many_runs_or_full_of_gt_signs_is_bounded_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let runs = format!("<is>{}</is>", format!("<r><t>{}</t></r>", "a".repeat(100_000)).repeat(40));
    let gt = format!("<is><t>{}</t></is>", "a>".repeat(600_000));
    for (name, inline) in [("runs.xlsx", runs), ("gt.xlsx", gt)] {
        let path = rewritten_book(dir.path(), name, |part, content| {
            let content = if part == "xl/worksheets/sheet1.xml" {
                let at = content.rfind("</row>").unwrap();
                format!("{}<c r=\"C2\" t=\"inlineStr\">{inline}</c>{}", &content[..at], &content[at..])
            } else {
                content
            };
            (part.to_string(), content)
        });
        let message = refused(&path).user_message(Lang::En);
        assert!(
            message.contains("xl/worksheets/sheet1.xml")
                && (message.contains("more than 32767 characters") || message.contains("a stretch of more than")),
            "{name}: {message}"
        );
    }
}

/// The workbook's relations may put a sheet anywhere: its cell references are checked all the
/// same (a row 5,000,000 outside `xl/worksheets/` was imported).
#[test]
fn a_sheet_outside_the_sheet_folder_is_checked_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = rewritten_book(dir.path(), "moved.xlsx", |part, content| {
        let content = content
            .replace("worksheets/sheet1.xml", "data/s1.xml")
            .replace("r=\"2\"", "r=\"5000000\"")
            .replace("r=\"A2\"", "r=\"A5000000\"")
            .replace("r=\"B2\"", "r=\"B5000000\"");
        (if part == "xl/worksheets/sheet1.xml" { "xl/data/s1.xml".to_string() } else { part.to_string() }, content)
    });
    let message = refused(&path).user_message(Lang::En);
    assert!(message.contains("part xl/data/s1.xml") && message.contains("outside a sheet"), "{message}");
}

/// Empty cells are cells too: a workbook of millions of `<c/>` (30 such sheets took over ten
/// minutes) stops at the cell-tag limit.
#[test]
fn millions_of_empty_cells_stop_at_the_cell_limit() {
    let dir = tempfile::tempdir().unwrap();
    let empties = "<c r=\"C3\"/>".repeat(8_000_001);
    let path = rewritten_book(dir.path(), "empty.xlsx", |part, content| {
        let content = if part == "xl/worksheets/sheet1.xml" {
            content.replacen("</sheetData>", &format!("<row r=\"3\">{empties}</row></sheetData>"), 1)
        } else {
            content
        };
        (part.to_string(), content)
    });
    let message = refused(&path).user_message(Lang::En);
    assert!(message.contains("more than 8000000 cells (empty ones included)"), "{message}");
}

/// XLS and ODS are read whole by the reading library before anything can be counted: refused,
/// saying how to convert.
#[test]
fn xls_and_ods_are_refused_saying_how_to_convert() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.extend([0u8; 504]);
    let xls = write(dir.path(), "old.xls", ole);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("mimetype", zip::write::SimpleFileOptions::default()).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet").unwrap();
    zip.start_file("content.xml", zip::write::SimpleFileOptions::default()).unwrap();
    zip.write_all(b"<office:document-content/>").unwrap();
    let ods = write(dir.path(), "book.ods", zip.finish().unwrap().into_inner());
    for (path, format) in [(xls, "XLS"), (ods, "ODS")] {
        let message = refused(&path).user_message(Lang::En);
        assert!(message.contains(&format!("is in {format} format")) && message.contains("Save As .xlsx"), "{message}");
    }
}

/// The size is known before a byte is read, and only regular files are read: a 3 GB sparse
/// file, `/dev/zero` and a folder are refused at once.
#[test]
fn only_a_regular_file_within_the_size_limit_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let sparse = dir.path().join("huge.csv");
    std::fs::File::create(&sparse).unwrap().set_len(3 << 30).unwrap();
    let message = refused(&sparse).user_message(Lang::En);
    assert!(message.contains(&format!("is 3221225472 bytes, more than the {}", limits::FILE_BYTES)), "{message}");
    let message = refused(dir.path()).user_message(Lang::En);
    assert!(message.contains("is not a regular file (a directory)"), "{message}");
    #[cfg(unix)]
    {
        let message = refused(Path::new("/dev/zero")).user_message(Lang::En);
        assert!(message.contains("/dev/zero is not a regular file"), "{message}");
    }
}

fn reject_lines(err: &ImportError) -> Vec<String> {
    match err {
        ImportError::Rejected(rejects, _) => rejects.iter().map(|r| r.line(Lang::En)).collect(),
        other => panic!("expected refused cells, got {}", other.user_message(Lang::En)),
    }
}

/// Values no school sheet holds are bad cells like any other, named `file:row:column`: an
/// over-long name or note, a count above 10⁶, a bandwidth above 100,000 Mbps or a slip such as
/// 1e-7 or 1e308, a control or invisible character, a value in a column without a header.
#[test]
fn values_no_school_sheet_holds_are_refused_as_bad_cells() {
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<String> = reference().lines().map(String::from).collect();
    let row = |i: usize, from: &str, to: &str| rows[i].replacen(from, to, 1);
    let text = [
        format!("{},备注", rows[0]),
        format!("{},", row(1, "郑州市中原区伏牛路小学", &"名".repeat(101))),
        format!("{},{}", rows[2], "注".repeat(501)),
        format!("{},", row(3, ",光纤,200,", ",光纤,100001,")),
        format!("{},,多出一列", rows[4]),
        format!("{},", row(5, "刘洋", "\u{1b}[2J刘洋")),
    ];
    let mut text = text.join("\n");
    text.push('\n');
    let path = write(dir.path(), "limits.csv", &text);
    let lines = reject_lines(&refused(&path));
    let shown = lines.join("\n");
    let expect = [
        ":2:学校名称: found \"名名",
        "expected text of at most 100 characters",
        ":3:备注: found \"注注",
        "expected text of at most 500 characters",
        ":4:出口带宽: found \"100001\", expected 0, or a number from 0.001 to 100000",
        ":5:Y: this column has no header but holds a value",
        ":6:填报人: holds the control or invisible character U+001B",
    ];
    for e in expect {
        assert!(shown.contains(e), "{e}\n{shown}");
    }

    let bandwidths = ["1e-7", "1e308", "100001M", "0.1G"];
    let text: String = std::iter::once(rows[0].clone())
        .chain(bandwidths.iter().enumerate().map(|(i, b)| {
            rows[1].replacen("2141010201", &format!("214101030{i}"), 1).replacen(",1000,", &format!(",{b},"), 1)
        }))
        .map(|l| l + "\n")
        .collect();
    let lines = reject_lines(&refused(&write(dir.path(), "bandwidth.csv", text)));
    assert_eq!(lines.len(), 3, "0.1G is 100 Mbps, the rest are refused: {lines:?}");
    let students = rows[1].replacen(",1234,", ",1000001,", 1);
    let lines = reject_lines(&refused(&write(dir.path(), "count.csv", format!("{}\n{students}\n", rows[0]))));
    assert!(lines[0].contains(":2:学生数: found \"1000001\", expected a whole number of at most 1000000"), "{lines:?}");
}

/// Tabs and line breaks in a name are made spaces (a name is one line everywhere it is shown),
/// and a province that needs longer names sets `[limits] name_chars`.
#[test]
fn line_breaks_become_spaces_and_limits_can_be_raised() {
    let dir = tempfile::tempdir().unwrap();
    let name = format!("\"{}\n分校\tA\"", "名".repeat(120));
    let text = reference().replacen("郑州市中原区伏牛路小学", &name, 1);
    let path = write(dir.path(), "names.csv", text);
    assert!(matches!(refused(&path), ImportError::Rejected(..)));
    let mut store = Store::open_in_memory().unwrap();
    let limits = SheetLimits { name_chars: 200, ..SheetLimits::default() };
    let req = ImportRequest {
        period: "2026Q3".parse().unwrap(),
        files: vec![path],
        sheets: vec![],
        actor: "t".into(),
        at: AT.into(),
        limits,
        held_below: Default::default(),
    };
    import_files(&mut store, &req, &mut |_| {}).unwrap_or_else(|e| panic!("{}", e.user_message(Lang::En)));
    let data = store.current_data("2026Q3".parse().unwrap()).unwrap();
    assert_eq!(data[0].name, format!("{} 分校 A", "名".repeat(120)));
}

/// A header cell longer than a name is no column name: refused where it is.
#[test]
fn an_overlong_header_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "header.csv", with_column(&"表".repeat(101), |_| String::new()));
    let message = refused(&path).user_message(Lang::En);
    assert!(message.starts_with(&format!("{}:1:X: the header", path.display())), "{message}");
}

/// A file of bad cells on every row keeps the first 10,000 to show and to write, and counts all.
#[test]
fn refused_cells_kept_are_bounded_but_counted_in_full() {
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<String> = reference().lines().map(String::from).collect();
    let mut text = format!("{}\n", rows[0]);
    for i in 0..12_000 {
        text.push_str(&rows[1].replacen("2141010201", &format!("22{i:08}"), 1).replacen(",1234,", ",abc,", 1));
        text.push('\n');
    }
    let err = refused(&write(dir.path(), "bad.csv", text));
    let ImportError::Rejected(rejects, summary) = &err else { panic!("{}", err.user_message(Lang::En)) };
    assert_eq!((rejects.len(), summary.rejected_cells, summary.rejected), (10_000, 12_000, 12_000));
}
