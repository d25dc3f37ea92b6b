//! Import through the library: every input variant of tests/data lands as the same data, every
//! malformed file is refused with its clear error, and a refused import changes nothing.

use std::path::{Path, PathBuf};

use shenhe::domain::{Period, ReviewState, SubmissionData};
use shenhe::i18n::Lang;
use shenhe::import::{ImportError, ImportRequest, ImportSummary, import_files};
use shenhe::store::{Decision, Store};

const AT: &str = "2026-10-02T09:00:00+08:00";

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

fn period() -> Period {
    "2026Q3".parse().unwrap()
}

fn request(files: &[&str], sheets: &[&str]) -> ImportRequest {
    ImportRequest {
        period: period(),
        files: files.iter().map(|f| data(f)).collect(),
        sheets: sheets.iter().map(|s| s.to_string()).collect(),
        actor: "测试".into(),
        at: AT.into(),
        limits: Default::default(),
        held_below: Default::default(),
    }
}

fn import(store: &mut Store, files: &[&str]) -> Result<ImportSummary, ImportError> {
    import_files(store, &request(files, &[]), &mut |_| {})
}

/// The known columns only: what every good variant must agree on.
fn without_extras(mut rows: Vec<SubmissionData>) -> Vec<SubmissionData> {
    rows.iter_mut().for_each(|r| r.extras.clear());
    rows
}

fn imported(files: &[&str], sheets: &[&str]) -> Vec<SubmissionData> {
    let mut store = Store::open_in_memory().unwrap();
    let summary = import_files(&mut store, &request(files, sheets), &mut |_| {})
        .unwrap_or_else(|e| panic!("{files:?}: {}", e.user_message(Lang::En)));
    assert_eq!(summary.new_schools, 5, "{files:?}");
    assert_eq!(summary.rejected, 0);
    store.current_data(period()).unwrap()
}

#[test]
fn every_encoding_delimiter_and_layout_imports_the_same_five_schools() {
    let reference = without_extras(imported(&["utf8.csv"], &[]));
    assert_eq!(reference.len(), 5);
    assert_eq!(reference[0].name, "郑州市中原区伏牛路小学");
    assert_eq!(reference[0].students, Some(1234));
    assert_eq!(reference[3].connected, Some(false));
    for variant in [
        "utf8_bom.csv",
        "gb18030.csv",
        "utf16le_bom.csv",
        "semicolon.csv",
        "tab.tsv",
        "quoted.csv",
        "reordered_extra.csv",
        "header_variants.csv",
        "values_variants.csv",
        "title_rows.xlsx",
    ] {
        assert_eq!(without_extras(imported(&[variant], &[])), reference, "{variant} differs from utf8.csv");
    }
    assert_eq!(without_extras(imported(&["multi_sheet.xlsx"], &["小学"])), reference);
}

#[test]
fn unknown_columns_are_kept_with_their_values() {
    let rows = imported(&["reordered_extra.csv"], &[]);
    assert_eq!(rows[0].extras, vec![("备注".to_string(), "两个校区".to_string()), ("校长姓名".into(), "陈静".into())]);
    let quoted = imported(&["quoted.csv"], &[]);
    let note = &quoted[0].extras[0].1;
    assert!(note.contains(',') && note.contains('\n'), "the comma and line break survive: {note:?}");
}

#[test]
fn unfilled_rows_are_counted_and_get_the_unfilled_state() {
    let mut store = Store::open_in_memory().unwrap();
    let summary = import(&mut store, &["unfilled.csv"]).unwrap();
    assert_eq!(summary.unfilled, 3);
    let states: Vec<ReviewState> = store.list(period(), None).unwrap().iter().map(|s| s.state).collect();
    use ReviewState::*;
    assert_eq!(states, [Submitted, Submitted, Unfilled, Unfilled, Unfilled]);
}

#[test]
fn the_same_file_twice_changes_nothing() {
    let mut store = Store::open_in_memory().unwrap();
    import(&mut store, &["utf8.csv"]).unwrap();
    let before = store.content_digest().unwrap();
    let again = import(&mut store, &["utf8.csv"]).unwrap();
    assert_eq!((again.new_schools, again.new_revisions, again.unchanged), (0, 0, 5));
    // The same data in another encoding and layout is the same data too.
    let gb = import(&mut store, &["gb18030.csv"]).unwrap();
    assert_eq!(gb.unchanged, 5);
    assert_eq!(store.content_digest().unwrap(), before);
}

#[test]
fn a_changed_row_is_a_new_revision_and_sends_an_approved_school_back() {
    let mut store = Store::open_in_memory().unwrap();
    import(&mut store, &["utf8.csv"]).unwrap();
    let decision = Decision {
        period: period(),
        school_code: "2141010202",
        action: "approve",
        expected: ReviewState::Submitted,
        new_state: ReviewState::Approved,
        note: None,
        actor: "审核员",
        at: AT,
    };
    assert_eq!(store.decide(&decision).unwrap(), ReviewState::Submitted);

    let summary = import(&mut store, &["changed.csv"]).unwrap();
    assert_eq!((summary.new_revisions, summary.unchanged), (1, 4));
    assert_eq!(store.revision_count(period(), "2141010202").unwrap(), 2, "the old revision is kept");
    let school = store.list(period(), None).unwrap().into_iter().find(|s| s.school_code == "2141010202").unwrap();
    assert_eq!(school.state, ReviewState::Submitted, "nothing approved changes silently");
    let current = store.current_data(period()).unwrap();
    assert_eq!((current[1].students, current[1].bandwidth_mbps), (Some(845), Some(300.0)));

    let log = store.log_entries(period()).unwrap();
    let last = log.last().unwrap();
    assert_eq!(
        (last.action.as_str(), last.old_state.as_deref(), last.new_state.as_deref()),
        ("import", Some("approved"), Some("submitted"))
    );
}

/// A malformed file is refused, and the store is byte-for-byte what it was.
fn refused(files: &[&str], sheets: &[&str]) -> ImportError {
    let mut store = Store::open_in_memory().unwrap();
    import(&mut store, &["utf8.csv"]).unwrap();
    let before = store.content_digest().unwrap();
    let err = import_files(&mut store, &request(files, sheets), &mut |_| {}).expect_err("must be refused");
    assert_eq!(store.content_digest().unwrap(), before, "{files:?} changed the store");
    err
}

fn reject_lines(err: &ImportError) -> Vec<String> {
    match err {
        ImportError::Rejected(rejects, _) => rejects.iter().map(|r| r.line(Lang::En)).collect(),
        other => panic!("expected rejected rows, got {}", other.user_message(Lang::En)),
    }
}

#[test]
fn bad_cells_are_named_by_file_row_and_column() {
    let lines = reject_lines(&refused(&["text_in_number.csv"], &[]));
    assert_eq!(lines.len(), 2);
    assert!(
        lines[0].ends_with("text_in_number.csv:4:学生数: found \"abc\", expected a whole number ≥ 0"),
        "{}",
        lines[0]
    );
    assert!(lines[1].contains("text_in_number.csv:6:班级数: found \"-2\""), "{}", lines[1]);

    let lines = reject_lines(&refused(&["bad_enum.csv"], &[]));
    assert!(lines[0].contains(":3:是否接入互联网: found \"也许\""), "{}", lines[0]);
    assert!(lines[1].contains(":5:办学类型: found \"大学\", expected one of: 教学点、小学"), "{}", lines[1]);

    let lines = reject_lines(&refused(&["missing_name_value.csv"], &[]));
    assert!(lines[0].contains(":4:学校名称: empty, but this column is required"), "{}", lines[0]);

    let lines = reject_lines(&refused(&["duplicate_codes.csv"], &[]));
    assert!(lines[0].contains(":5:学校标识码: school code \"2141010202\" repeats row 3"), "{}", lines[0]);
}

#[test]
fn a_code_repeated_in_another_file_names_that_file() {
    let err = refused(&["utf8.csv", "gb18030.csv"], &[]);
    let lines = reject_lines(&err);
    assert_eq!(lines.len(), 5);
    assert!(lines[0].contains("gb18030.csv:2:学校标识码") && lines[0].contains("utf8.csv row 2"), "{}", lines[0]);
}

#[test]
fn one_bad_file_keeps_the_good_file_beside_it_out_too() {
    let mut store = Store::open_in_memory().unwrap();
    let before = store.content_digest().unwrap();
    assert!(import(&mut store, &["unfilled.csv", "text_in_number.csv"]).is_err());
    assert_eq!(store.content_digest().unwrap(), before);
    assert!(store.periods().unwrap().is_empty());
}

#[test]
fn malformed_files_get_their_own_clear_error() {
    let message = |files: &[&str], sheets: &[&str]| refused(files, sheets).user_message(Lang::En);
    let cases: [(&[&str], &[&str], &str); 9] = [
        (&["bad_encoding.csv"], &[], "bad_encoding.csv:3: unknown text encoding"),
        (&["missing_required.csv"], &[], "missing_required.csv:1: the header lacks required columns: 学校标识码"),
        (&["empty.csv"], &[], "empty.csv is empty"),
        (&["header_only.csv"], &[], "no data rows below the header on row 1"),
        (&["binary.csv"], &[], "binary.csv is not a text table"),
        (&["truncated.xlsx"], &[], "truncated.xlsx cannot be opened as an Excel/WPS workbook"),
        (&["multi_sheet.xlsx"], &[], "several sheets with data (小学、中学)"),
        (&["multi_sheet.xlsx"], &["初中"], "no sheet named \"初中\". Its sheets: 说明、小学、中学"),
        (&["no_such_file.csv"], &[], "Cannot read"),
    ];
    for (files, sheets, expected) in cases {
        let m = message(files, sheets);
        assert!(m.contains(expected), "{files:?}: {m}");
    }
}

/// A cell holding terminal escapes or a huge text is quoted escaped and cut short: the clerk's
/// console shows what is wrong instead of being cleared or recoloured by it.
#[test]
fn a_hostile_cell_is_quoted_printable_and_short() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hostile.csv");
    let long = "9".repeat(10_000);
    let text = std::fs::read_to_string(data("utf8.csv")).unwrap().replacen(",1234,", ",12\u{1b}[2J34,", 1).replacen(
        ",812,",
        &format!(",{long},"),
        1,
    );
    std::fs::write(&path, text).unwrap();
    let mut store = Store::open_in_memory().unwrap();
    let lines = reject_lines(&import_paths(&mut store, vec![path]).unwrap_err());
    assert!(lines[0].ends_with(":2:学生数: found \"12\\u{1b}[2J34\", expected a whole number ≥ 0"), "{}", lines[0]);
    assert!(
        lines[1].contains(&format!(":3:学生数: found \"{}…\"", &long[..60])),
        "{}",
        lines[1].chars().take(200).collect::<String>()
    );
    assert!(lines.iter().all(|l| !l.contains('\u{1b}') && l.len() < 300));
}

/// A row numbered 4294967295 overflows calamine's row counter, which panics in a build with
/// overflow checks: the workbook guard refuses the reference before calamine reads it.
#[test]
fn a_row_number_past_the_last_row_is_refused_before_the_reader_sees_it() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("overflow.xlsx");
    let mut original = zip::ZipArchive::new(std::fs::File::open(data("title_rows.xlsx")).unwrap()).unwrap();
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..original.len() {
        let mut entry = original.by_index(i).unwrap();
        let mut content = String::new();
        entry.read_to_string(&mut content).unwrap();
        let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
        if name == "xl/worksheets/sheet1.xml" {
            let huge = r#"<row r="4294967295"><c r="A4294967295"><v>1</v></c></row><row>"#;
            content = content.replacen("<row ", &format!("{huge}</row><row "), 1);
        }
        w.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        w.write_all(content.as_bytes()).unwrap();
    }
    std::fs::write(&path, w.finish().unwrap().into_inner()).unwrap();
    let mut store = Store::open_in_memory().unwrap();
    let err = import_paths(&mut store, vec![path]).unwrap_err();
    let message = err.user_message(Lang::En);
    assert!(matches!(err, ImportError::UnsafeWorkbook { .. }), "{message}");
    assert!(message.contains("xl/worksheets/sheet1.xml") && message.contains("\"4294967295\""), "{message}");
}

/// A header row ending in 200,000 empty cells (a line of commas) once named 200,000 unknown
/// columns, each compared with all before it: the import froze for minutes. Empty cells past
/// the last filled one are no columns at all now, and reading them is one pass; the guard stops
/// the test rather than CI if it ever hangs again.
#[test]
fn a_header_of_very_many_columns_does_not_hang_the_import() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wide.csv");
    let reference = std::fs::read_to_string(data("utf8.csv")).unwrap();
    let (header, rows) = reference.split_once('\n').unwrap();
    std::fs::write(&path, format!("{header}{}\n{rows}", ",".repeat(200_000))).unwrap();
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut store = Store::open_in_memory().unwrap();
        done.send(import_paths(&mut store, vec![path]).map(|s| s.extra_columns.len()).ok()).unwrap();
    });
    let extra = finished.recv_timeout(std::time::Duration::from_secs(60)).expect("the import hangs");
    assert_eq!(extra, Some(0));
}

#[test]
fn chinese_is_the_default_language_of_errors() {
    let err = refused(&["text_in_number.csv"], &[]);
    let ImportError::Rejected(rejects, _) = &err else { panic!() };
    assert!(rejects[0].line(Lang::Zh).ends_with("学生数: 内容为“abc”，应为不小于 0 的整数"));
}

#[test]
fn the_sample_county_imports_with_its_extra_column_and_odd_codes() {
    let mut store = Store::open_in_memory().unwrap();
    let sample = |name: &str| Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample").join(name);
    for (p, file) in [("2026Q2", "2026Q2_中原区.csv"), ("2026Q3", "2026Q3_中原区.xlsx")] {
        let req = ImportRequest {
            period: p.parse().unwrap(),
            files: vec![sample(file)],
            sheets: vec![],
            actor: "t".into(),
            at: AT.into(),
            limits: Default::default(),
            held_below: Default::default(),
        };
        let s = import_files(&mut store, &req, &mut |_| {}).unwrap_or_else(|e| panic!("{}", e.user_message(Lang::En)));
        assert!(s.schools >= 190, "{file}: {}", s.schools);
        assert!(s.unfilled > 0 && !s.odd_codes.is_empty(), "{file}");
        if file.ends_with(".xlsx") {
            assert_eq!(s.extra_columns, ["备注"]);
            assert_eq!(s.sources[0].header_row, 3, "the header sits below two title rows");
        }
    }
    assert_eq!(store.periods().unwrap().len(), 2);
}

#[test]
fn a_reported_period_refuses_imports() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let mut store = Store::open(&path).unwrap();
    import(&mut store, &["utf8.csv"]).unwrap();
    drop(store);
    mark_reported(&path);
    let mut store = Store::open(&path).unwrap();
    let err = import(&mut store, &["changed.csv"]).expect_err("locked");
    assert!(err.user_message(Lang::En).contains("reported and locked"), "{}", err.user_message(Lang::En));
}

/// Marks the period reported, as an export will (issue 5), straight in the file.
fn mark_reported(path: &Path) {
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute("UPDATE periods SET status = 'reported'", []).unwrap();
}

/// `rows` schools in the reference layout, the last one's 学生数 replaced by `last_students`.
fn big_csv(dir: &Path, rows: usize, last_students: &str) -> PathBuf {
    let reference = std::fs::read_to_string(data("utf8.csv")).unwrap();
    let mut lines = reference.lines();
    let mut text = format!("{}\n", lines.next().unwrap());
    let template = lines.next().unwrap();
    for i in 0..rows {
        let students = if i + 1 == rows { last_students.to_string() } else { (100 + i).to_string() };
        let row =
            template.replacen("2141010201", &format!("21410{i:05}"), 1).replacen(",1234,", &format!(",{students},"), 1);
        text.push_str(&row);
        text.push('\n');
    }
    let path = dir.join(format!("big_{rows}_{last_students}.csv"));
    std::fs::write(&path, text).unwrap();
    path
}

fn import_paths(store: &mut Store, files: Vec<PathBuf>) -> Result<ImportSummary, ImportError> {
    let req = ImportRequest {
        period: period(),
        files,
        sheets: vec![],
        actor: "t".into(),
        at: AT.into(),
        limits: Default::default(),
        held_below: Default::default(),
    };
    import_files(store, &req, &mut |_| {})
}

#[test]
fn rows_already_written_are_taken_back_when_a_later_row_or_file_fails() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("s.db")).unwrap();
    let before = store.content_digest().unwrap();
    // Thousands of good rows reach the store before the bad last row is read.
    let bad_last_row = big_csv(dir.path(), 5000, "abc");
    let err = import_paths(&mut store, vec![bad_last_row]).expect_err("bad last row");
    let ImportError::Rejected(rejects, _) = &err else { panic!("{}", err.user_message(Lang::En)) };
    assert_eq!(rejects.len(), 1);
    assert!(rejects[0].line(Lang::En).contains(":5001:学生数"), "{}", rejects[0].line(Lang::En));
    assert_eq!(store.content_digest().unwrap(), before);
    // A whole good file, then an unreadable one.
    let good = big_csv(dir.path(), 5000, "1");
    assert!(import_paths(&mut store, vec![good.clone(), data("empty.csv")]).is_err());
    assert_eq!(store.content_digest().unwrap(), before);
    // The same good file alone lands whole.
    assert_eq!(import_paths(&mut store, vec![good]).unwrap().new_schools, 5000);
    assert_eq!(store.current_data(period()).unwrap().len(), 5000);
}

#[test]
fn the_school_registry_lists_each_school_once_with_its_latest_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let mut store = Store::open(&path).unwrap();
    let mut req = request(&["utf8.csv"], &[]);
    req.period = "2026Q2".parse().unwrap();
    import_files(&mut store, &req, &mut |_| {}).unwrap();
    let renamed = dir.path().join("renamed.csv");
    let text = std::fs::read_to_string(data("utf8.csv")).unwrap().replace("汝河路小学", "汝河路第一小学");
    std::fs::write(&renamed, text).unwrap();
    import_paths(&mut store, vec![renamed]).unwrap();
    drop(store);
    let c = rusqlite::Connection::open(&path).unwrap();
    let (count, name, first, last): (i64, String, String, String) = c
        .query_row(
            "SELECT (SELECT count(*) FROM schools), name, first_seen, last_seen FROM schools WHERE code = '2141010202'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(
        (count, name.as_str(), first.as_str(), last.as_str()),
        (5, "郑州市中原区汝河路第一小学", "2026Q2", "2026Q3")
    );
}
