//! The county's tables as they travel in the bundle (PRODUCT.md §6): the schools' data, the
//! findings, the returned schools, the review log, and the circulars' forms (统计表, 附件4
//! with the 附件1 fill columns; 半月调度表, 附件5) — as CSV that Excel on Chinese Windows opens
//! as it is, and the two forms also as a workbook.
//!
//! Pure functions from data to bytes: the caller reads the store and the clock. The forms leave
//! the tool as official documents, so their text is Simplified Chinese whatever `--lang` says.
//! The schools' CSV uses the importer's own headings and value words, so that the city (or a
//! later `shenhe import`) reads it back into the same data.

use chrono::NaiveDate;

use super::forms::{Cell, Form, dispatch_form, statistics_form};
use crate::domain::dispatch::DispatchLists;
use crate::domain::stats::Figures;
use crate::domain::{Field, Period, ReviewState, SchoolType, SubmissionData};
use crate::i18n::Lang;
use crate::import::Column;
use crate::store::{LogEntry, StoredFinding};

/// Who made the tables, for the forms' header lines (填表人, 联系电话, 填表日期).
#[derive(Debug, Clone, PartialEq)]
pub struct Letterhead {
    pub city: String,
    pub county: String,
    pub county_code: String,
    pub period: Period,
    pub auditor_name: String,
    pub auditor_phone: String,
    pub date: NaiveDate,
}

pub use crate::store::{ReturnedSchool, SchoolRecord};

/// The schools' data: every known column under the importer's heading, then 审核状态 and
/// 修订版本, then every extra column any school has, in the order first seen (empty where a
/// school lacks it). Read back by `shenhe import`, the two review columns become extras.
pub fn schools_csv(rows: &[SchoolRecord]) -> Vec<u8> {
    // Each heading's position, found by hashing: with hundreds of extra columns, searching the
    // list for every cell made the export quadratic in them.
    let mut extras: Vec<&str> = Vec::new();
    let mut position: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (heading, _) in rows.iter().flat_map(|r| &r.data.extras) {
        position.entry(heading.as_str()).or_insert_with(|| {
            extras.push(heading);
            extras.len() - 1
        });
    }
    let mut header: Vec<String> = Field::ALL.iter().map(|f| column_of(*f).header_zh().to_string()).collect();
    header.extend(["审核状态".to_string(), "修订版本".to_string()]);
    header.extend(extras.iter().map(|h| h.to_string()));
    let mut out = CsvOut::new();
    out.record(&header);
    let mut record: Vec<String> = Vec::with_capacity(header.len());
    for r in rows {
        record.clear();
        record.extend(Field::ALL.iter().map(|f| importable_value(*f, &r.data)));
        record.extend([r.state.label_zh().to_string(), r.revision.to_string()]);
        let known = record.len();
        record.resize(known + extras.len(), String::new());
        for (heading, value) in &r.data.extras {
            let cell = &mut record[known + position[heading.as_str()]];
            // A heading given twice keeps its first value, as a lookup by heading would.
            if cell.is_empty() {
                cell.clone_from(value);
            }
        }
        out.record(&record);
    }
    out.0
}

/// The importer's column for a field: each field's Chinese label is one of its headings
/// (`出口带宽(M)` is `出口带宽` once the unit is dropped).
fn column_of(field: Field) -> Column {
    Column::from_header(field.label_zh()).expect("every field's label is an importer heading (tested)")
}

/// A field as the importer reads it back: 已填报/未填报 rather than 是/否, and the bandwidth
/// with all its decimals (the screen's two would change the data on the way back).
fn importable_value(field: Field, s: &SubmissionData) -> String {
    match field {
        Field::Filled => if s.filled { "已填报" } else { "未填报" }.to_string(),
        Field::Bandwidth => s.bandwidth_mbps.map(|b| b.to_string()).unwrap_or_default(),
        other => other.value(s, Lang::Zh),
    }
}

/// The findings with their handling and the auditor's notes.
pub fn findings_csv(findings: &[StoredFinding]) -> Vec<u8> {
    let header = ["学校标识码", "学校名称", "规则", "级别", "问题说明", "处理", "说明"];
    let mut records = vec![strings(&header)];
    for f in findings {
        let severity = match f.severity.as_str() {
            "error" => "错误",
            "warning" => "警告",
            other => other,
        };
        let resolution = match f.resolution.as_str() {
            "open" => "未处理",
            "resolved" => "已处理",
            "overridden" => "已说明通过",
            other => other,
        };
        records.push(vec![
            f.school_code.clone(),
            f.school_name.clone().unwrap_or_default(),
            crate::rules::rule_title(&f.rule, Lang::Zh),
            severity.to_string(),
            crate::rules::message(f, Lang::Zh),
            resolution.to_string(),
            f.note.clone().unwrap_or_default(),
        ]);
    }
    csv_bytes(&records)
}

/// Every return decision, with its reason.
pub fn returned_csv(rows: &[ReturnedSchool]) -> Vec<u8> {
    let mut records = vec![strings(&["学校标识码", "学校名称", "退回时间", "退回原因"])];
    records.extend(rows.iter().map(|r| vec![r.school_code.clone(), r.name.clone(), r.at.clone(), r.reason.clone()]));
    csv_bytes(&records)
}

/// The review log, oldest first as given, with actions and states in Chinese.
pub fn review_log_csv(rows: &[LogEntry]) -> Vec<u8> {
    let header = ["时间", "操作人", "学校标识码", "操作", "原状态", "新状态", "说明"];
    let state = |s: &Option<String>| -> String {
        let key = s.as_deref().unwrap_or_default();
        ReviewState::from_key(key).map_or(key, |s| s.label_zh()).to_string()
    };
    let mut records = vec![strings(&header)];
    for e in rows {
        // An undo's note is the action it took back, as the review screen shows it.
        let note = match (e.action.as_str(), e.note.as_deref()) {
            ("undo", Some(undone)) => action_zh(undone).to_string(),
            (_, note) => note.unwrap_or_default().to_string(),
        };
        records.push(vec![
            e.at.clone(),
            e.actor.clone(),
            e.school_code.clone().unwrap_or_default(),
            action_zh(&e.action).to_string(),
            state(&e.old_state),
            state(&e.new_state),
            note,
        ]);
    }
    csv_bytes(&records)
}

/// The review log's action key in Chinese; an unknown key stays as it is.
fn action_zh(action: &str) -> &str {
    let m = Lang::Zh.msg();
    match action {
        "approve" => ReviewState::Approved.label_zh(),
        "return" => ReviewState::Returned.label_zh(),
        "flag" => ReviewState::Flagged.label_zh(),
        "comment" => &m.action_comment,
        "undo" => &m.action_undo,
        crate::store::CANCEL_RETURN => &m.action_cancel_return,
        "check" => &m.action_check,
        "import" => &m.action_import,
        "override" => "说明通过",
        "export" => "导出上报",
        "reopen" => "重新打开",
        other => other,
    }
}

/// The 统计表: the 附件4 table with the 附件1 fill columns, the county first, then each type.
pub fn statistics_csv(h: &Letterhead, total: &Figures, by_type: &[(Option<SchoolType>, Figures)]) -> Vec<u8> {
    form_csv(&statistics_form(h, total, by_type))
}

/// The 半月调度表 of 附件5: the three lists under one header.
pub fn dispatch_csv(h: &Letterhead, lists: &DispatchLists) -> Vec<u8> {
    form_csv(&dispatch_form(h, lists))
}

/// The two forms in one workbook, sheets 统计表 and 半月调度表. `created` is the document's
/// creation time (taken as UTC, as Excel keeps it): the same input gives the same bytes.
pub fn county_workbook(
    h: &Letterhead,
    total: &Figures,
    by_type: &[(Option<SchoolType>, Figures)],
    lists: &DispatchLists,
    created: chrono::NaiveDateTime,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let forms = [statistics_form(h, total, by_type), dispatch_form(h, lists)];
    super::workbook::write(&forms, &h.auditor_name, created)
}

/// A form as CSV: title, the lines under it, a blank line, the table, then the footer.
fn form_csv(form: &Form) -> Vec<u8> {
    let mut records = vec![vec![form.title.clone()]];
    records.extend(form.lines.iter().map(|l| vec![l.clone()]));
    records.push(Vec::new());
    records.push(strings(&form.header));
    records.extend(form.rows.iter().map(|r| r.iter().map(Cell::text).collect()));
    if !form.footer.is_empty() {
        records.push(Vec::new());
        records.extend(form.footer.iter().map(|l| vec![l.clone()]));
    }
    csv_bytes(&records)
}

fn strings(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

/// CSV as Excel on Chinese Windows opens it by double-click: UTF-8 with a BOM (without it Excel
/// reads GBK and garbles every name), CRLF line ends, quotes only where needed. Records may
/// differ in length (a form's title line has one cell); an empty record is a blank line.
fn csv_bytes(records: &[Vec<String>]) -> Vec<u8> {
    let mut out = CsvOut::new();
    for record in records {
        out.record(record);
    }
    out.0
}

/// A CSV being written record by record (UTF-8 with BOM, CRLF, every cell guarded), so that a
/// large table is never held twice.
struct CsvOut(Vec<u8>);

impl CsvOut {
    fn new() -> CsvOut {
        CsvOut(b"\xEF\xBB\xBF".to_vec())
    }

    fn record(&mut self, record: &[String]) {
        const MEMORY: &str = "writing to memory cannot fail";
        // The csv crate writes an empty record as `""`; a blank line is nothing at all.
        if record.is_empty() {
            self.0.extend_from_slice(b"\r\n");
            return;
        }
        let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(&mut self.0);
        w.write_record(record.iter().map(|c| crate::csv_text::guard(c).into_owned())).expect(MEMORY);
        w.flush().expect(MEMORY);
    }
}

/// For tests: the sample county's letterhead for 2026Q3, made on 2026-10-03.
#[cfg(test)]
pub(crate) fn test_letterhead() -> Letterhead {
    Letterhead {
        city: "郑州市".into(),
        county: "中原区".into(),
        county_code: "410102".into(),
        period: "2026Q3".parse().expect("a valid period"),
        auditor_name: "李敏".into(),
        auditor_phone: "0371-67180000".into(),
        date: NaiveDate::from_ymd_opt(2026, 10, 3).expect("a valid date"),
    }
}

#[cfg(test)]
mod tests {
    use super::test_letterhead as letterhead;
    use super::*;
    use crate::config::BandwidthDenominator;
    use crate::domain::stats::{Counts, test_school};
    use crate::domain::{AccessType, SchoolStatus, UrbanRural, WifiCoverage};

    /// The records of a CSV of ours, BOM checked and removed.
    fn records(bytes: &[u8]) -> Vec<Vec<String>> {
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").expect("a BOM");
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(body);
        reader.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect()
    }

    /// Every column filled, odd values included (a bandwidth with three decimals, a merged
    /// school), and a second school with nothing but its name: 未填报, numbers empty.
    fn two_schools() -> Vec<SchoolRecord> {
        let full = SubmissionData {
            school_code: "2141010201".into(),
            name: "郑州市中原区伏牛路小学".into(),
            city: Some("郑州市".into()),
            county: Some("中原区".into()),
            county_code: Some("410102".into()),
            school_type: Some(SchoolType::NineYear),
            urban_rural: Some(UrbanRural::Town),
            school_status: Some(SchoolStatus::Suspended),
            filled: true,
            submitted_at: Some("2026-09-28 10:23:00".into()),
            classes: Some(24),
            teachers: Some(61),
            students: Some(1234),
            connected: Some(true),
            access_type: Some(AccessType::Fibre),
            bandwidth_mbps: Some(2.125),
            wifi: Some(WifiCoverage::Partial),
            classrooms: Some(24),
            multimedia_rooms: Some(0),
            teacher_devices: Some(70),
            student_devices: Some(300),
            contact_name: Some("王芳".into()),
            contact_phone: Some("13800000000".into()),
            extras: vec![("校长".into(), "张伟, 副校长\"李\"".into()), ("备注".into(), "新建".into())],
        };
        let empty = SubmissionData {
            school_code: "2141010305".into(),
            name: "郑州市中原区石佛镇前庄教学点".into(),
            school_status: Some(SchoolStatus::Merged),
            extras: vec![("备注".into(), "已并入".into()), ("曾用名".into(), "前庄小学".into())],
            ..Default::default()
        };
        vec![
            SchoolRecord { data: full, state: ReviewState::Approved, revision: 2 },
            SchoolRecord { data: empty, state: ReviewState::Unfilled, revision: 1 },
        ]
    }

    #[test]
    fn every_field_is_one_importer_column() {
        let mut columns: Vec<Column> = Field::ALL.iter().map(|f| column_of(*f)).collect();
        assert_eq!(columns, Column::ALL, "same columns, same order");
        columns.dedup();
        assert_eq!(columns.len(), Field::ALL.len());
    }

    #[test]
    fn schools_csv_has_a_bom_crlf_the_importer_headings_and_every_extra() {
        let bytes = schools_csv(&two_schools());
        assert!(bytes.starts_with("\u{FEFF}学校标识码,学校名称,".as_bytes()));
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert_eq!(text.matches("\r\n").count(), text.matches('\n').count(), "CRLF only");
        let rows = records(&bytes);
        assert_eq!(rows.len(), 3);
        let header = &rows[0];
        assert_eq!(header.len(), 23 + 2 + 3);
        assert_eq!(header[15], "出口带宽", "the importer's heading, not the screen's label");
        assert_eq!(header[23..], ["审核状态", "修订版本", "校长", "备注", "曾用名"]);
        let at = |row: &Vec<String>, heading: &str| row[header.iter().position(|h| h == heading).unwrap()].clone();
        let (full, empty) = (&rows[1], &rows[2]);
        assert_eq!(
            (at(full, "填报状态"), at(full, "出口带宽"), at(full, "是否接入互联网")),
            ("已填报".into(), "2.125".into(), "是".into())
        );
        assert_eq!(
            (at(full, "审核状态"), at(full, "修订版本"), at(full, "曾用名")),
            ("审核通过".into(), "2".into(), String::new())
        );
        assert_eq!(at(full, "校长"), "张伟, 副校长\"李\"");
        assert_eq!(
            (at(empty, "填报状态"), at(empty, "学生数"), at(empty, "出口带宽")),
            ("未填报".into(), String::new(), String::new())
        );
        assert_eq!((at(empty, "校长"), at(empty, "备注")), (String::new(), "已并入".into()));
    }

    /// Imports a CSV of ours into a fresh store, as the city does; the period's data back.
    fn read_back(bytes: &[u8], period: Period) -> Vec<SubmissionData> {
        use crate::import::{ImportRequest, import_files};
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("学校数据.csv");
        std::fs::write(&file, bytes).unwrap();
        let mut store = crate::store::Store::open_in_memory().unwrap();
        let request = ImportRequest {
            period,
            files: vec![file],
            sheets: Vec::new(),
            actor: "市州".into(),
            at: "2026-10-06T09:00:00+08:00".into(),
            limits: Default::default(),
            held_below: Default::default(),
        };
        import_files(&mut store, &request, &mut |_| {}).unwrap_or_else(|e| panic!("{}", e.user_message(Lang::En)));
        store.current_data(period).unwrap()
    }

    /// The data read back without the two review columns (which come back as extras), and
    /// with the extras in one order: the CSV lists them in the order first seen across schools.
    fn without_review_columns(mut read: SubmissionData, wrote: &SchoolRecord) -> SubmissionData {
        let review: Vec<_> = read.extras.iter().filter(|(h, _)| h == "审核状态" || h == "修订版本").cloned().collect();
        let expected =
            [("审核状态".into(), wrote.state.label_zh().into()), ("修订版本".into(), wrote.revision.to_string())];
        assert_eq!(review, expected, "{}", wrote.data.school_code);
        read.extras.retain(|(h, _)| h != "审核状态" && h != "修订版本");
        read.extras.sort();
        read
    }

    #[test]
    fn schools_csv_reads_back_through_the_importer_as_the_same_data() {
        let schools = two_schools();
        let back = read_back(&schools_csv(&schools), "2026Q3".parse().unwrap());
        assert_eq!(back.len(), 2);
        for (read, wrote) in back.into_iter().zip(&schools) {
            let mut expected = wrote.data.clone();
            expected.extras.sort();
            assert_eq!(without_review_columns(read, wrote), expected);
        }
    }

    /// The sample county of `assets/sample` (198 schools of every kind and state, an extra
    /// column) out and back in, as the city will read it.
    #[test]
    fn the_sample_county_reads_back_through_the_importer() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = crate::store::Store::open_in_memory().unwrap();
        let rules = crate::config::Config::default().rules;
        crate::sample::load(&mut store, dir.path(), &rules, "李敏", "2026-10-02T09:00:00+08:00").unwrap();
        let period: Period = "2026Q3".parse().unwrap();
        let states: std::collections::HashMap<String, ReviewState> =
            store.list(period, None).unwrap().into_iter().map(|l| (l.school_code, l.state)).collect();
        let records: Vec<SchoolRecord> = store
            .current_data(period)
            .unwrap()
            .into_iter()
            .map(|data| SchoolRecord {
                state: states[&data.school_code],
                revision: store.revision_count(period, &data.school_code).unwrap(),
                data,
            })
            .collect();
        assert!(records.len() > 150 && records.iter().any(|r| !r.data.extras.is_empty()));
        let back = read_back(&schools_csv(&records), period);
        assert_eq!(back.len(), records.len());
        for (read, wrote) in back.into_iter().zip(&records) {
            let mut expected = wrote.data.clone();
            expected.extras.sort();
            assert_eq!(without_review_columns(read, wrote), expected);
        }
    }

    #[test]
    fn text_that_excel_would_take_for_a_formula_is_quoted_but_numbers_are_not() {
        let mut schools = two_schools();
        schools[0].data.name = "=HYPERLINK(\"http://example.invalid\",\"点我\")".into();
        schools[0].data.contact_name = Some("@SUM(A1)".into());
        schools[0].data.extras = vec![("备注".into(), "-1+2".into()), ("差额".into(), "-1".into())];
        let rows = records(&schools_csv(&schools));
        assert_eq!(rows[1][1], "'=HYPERLINK(\"http://example.invalid\",\"点我\")");
        assert!(rows[1].contains(&"'@SUM(A1)".to_string()));
        assert!(rows[1].contains(&"'-1+2".to_string()));
        assert!(rows[1].contains(&"-1".to_string()));
        let returned = records(&returned_csv(&[ReturnedSchool {
            school_code: "1".into(),
            name: "一小".into(),
            at: "2026-10-03T10:00:00+08:00".into(),
            reason: "=1+1 学生数有误".into(),
        }]));
        assert_eq!(returned[0], ["学校标识码", "学校名称", "退回时间", "退回原因"]);
        assert_eq!(returned[1][3], "'=1+1 学生数有误");
    }

    #[test]
    fn findings_and_log_are_in_chinese() {
        let finding = StoredFinding {
            id: 1,
            school_code: "2141010201".into(),
            school_name: Some("伏牛路小学".into()),
            rule: crate::store::AUDITOR_FLAG.into(),
            severity: "warning".into(),
            detail: "{}".into(),
            resolution: "overridden".into(),
            note: Some("学生数待核实".into()),
        };
        let rows = records(&findings_csv(&[finding]));
        assert_eq!(rows[0], ["学校标识码", "学校名称", "规则", "级别", "问题说明", "处理", "说明"]);
        assert_eq!(rows[1][3..], ["警告", "学生数待核实", "已说明通过", "学生数待核实"]);
        assert_eq!(rows[1][2], Lang::Zh.msg().rule_auditor_flag);

        let entry = |action: &str, old: &str, new: &str, note: Option<&str>| LogEntry {
            at: "2026-10-03T10:00:00+08:00".into(),
            actor: "李敏".into(),
            school_code: Some("2141010201".into()),
            action: action.into(),
            old_state: Some(old.into()),
            new_state: Some(new.into()),
            note: note.map(String::from),
        };
        let log = records(&review_log_csv(&[
            entry("return", "submitted", "returned", Some("学生数有误")),
            entry("undo", "returned", "submitted", Some("return")),
            entry("merge", "odd", "approved", None),
        ]));
        assert_eq!(log[0], ["时间", "操作人", "学校标识码", "操作", "原状态", "新状态", "说明"]);
        assert_eq!(log[1][3..], ["退回重报", "待审核", "退回重报", "学生数有误"]);
        assert_eq!(log[2][3..], ["撤销", "退回重报", "待审核", "退回重报"]);
        assert_eq!(log[3][3..], ["merge", "odd", "审核通过", ""], "unknown keys stay as they are");
    }

    #[test]
    fn statistics_csv_carries_the_letterhead_and_the_figures() {
        let data: Vec<SubmissionData> = (0..7)
            .map(|i| SubmissionData {
                school_type: Some(if i < 3 { SchoolType::TeachingPoint } else { SchoolType::Primary }),
                connected: Some(i != 0),
                bandwidth_mbps: Some(if i < 4 { 20.0 } else { 100.0 }),
                ..test_school(&i.to_string())
            })
            .collect();
        let total = data.iter().collect::<Counts>().figures(BandwidthDenominator::All);
        let by_type = vec![
            (Some(SchoolType::TeachingPoint), data[..3].iter().collect::<Counts>().figures(BandwidthDenominator::All)),
            (Some(SchoolType::Primary), data[3..].iter().collect::<Counts>().figures(BandwidthDenominator::All)),
            (None, Counts::default().figures(BandwidthDenominator::All)),
        ];
        let bytes = statistics_csv(&letterhead(), &total, &by_type);
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains("填表日期：2026-10-03\r\n\r\n序号,"), "a blank line before the table:\n{text}");
        // (The reader skips the blank line.)
        let rows = records(&bytes);
        assert_eq!(rows[0], ["郑州市中原区学校填报及联网攻坚行动进展情况统计表（2026年第三季度）"]);
        assert_eq!(rows[1..4], [["填表人：李敏"], ["联系电话：0371-67180000"], ["填表日期：2026-10-03"]]);
        assert_eq!(rows[4][..3], ["序号", "地区/办学类型", "学校总数"]);
        assert_eq!(rows[4].len(), 12);
        // 7 schools, 1 not connected (85.71 %), 3 at 100M (42.86 %).
        assert_eq!(rows[5], ["", "中原区", "7", "7", "0", "100.00%", "1", "85.71%", "3", "42.86%", "100.00%", "0"]);
        assert_eq!(rows[6][..8], ["1", "教学点", "3", "3", "0", "100.00%", "1", "66.67%"]);
        assert_eq!(rows[7][..2], ["2", "小学"]);
        assert_eq!(
            rows[8],
            ["3", "（未填写）", "0", "0", "0", "", "0", "", "0", "", "", "0"],
            "no rate over no schools"
        );
    }

    #[test]
    fn dispatch_csv_names_each_category_once_and_says_none_for_an_empty_list() {
        let school = |code: &str, name: &str| SubmissionData {
            name: name.into(),
            connected: Some(false),
            bandwidth_mbps: None,
            school_type: Some(SchoolType::TeachingPoint),
            county: None,
            ..test_school(code)
        };
        let lists = DispatchLists::of(&[school("1", "前庄教学点"), school("2", "后庄教学点")]);
        let bytes = dispatch_csv(&letterhead(), &lists);
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains("填表日期：2026-10-03\r\n\r\n类别,"), "a blank line before the table:\n{text}");
        let rows = records(&bytes);
        assert_eq!(rows[0], ["郑州市中原区未联网、带宽不足100M、无多媒体教室学校名单（半月调度表）"]);
        assert_eq!(rows[1..4], [["填表人：李敏"], ["联系电话：0371-67180000"], ["填表日期：2026-10-03"]]);
        assert_eq!(rows[4], ["类别", "序号", "市（州）", "县（市、区）", "学校名称", "学校类型"]);
        // A sheet without its city or county is the letterhead's county's.
        assert_eq!(rows[5], ["未联网学校", "1", "郑州市", "中原区", "前庄教学点", "教学点"]);
        assert_eq!(rows[6], ["", "2", "郑州市", "中原区", "后庄教学点", "教学点"]);
        assert_eq!(rows[7], ["带宽不足100M学校", "", "", "", "（无）", ""]);
        assert_eq!(rows[8], ["无多媒体教室学校", "", "", "", "（无）", ""]);
        assert_eq!(rows.len(), 9);
    }
}
