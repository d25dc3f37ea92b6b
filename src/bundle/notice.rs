//! The notice sent back to a returned school (退回重报通知): why its sheet was sent back, what
//! is still open, and what to do, signed by the county's auditor. Plain text that Notepad on
//! Windows shows as it is (CRLF), and the same content as a small workbook form.
//!
//! Pure: the caller gives the reasons, the open findings' sentences and the date. The notice
//! leaves the tool as an official letter, so it is Simplified Chinese whatever `--lang` says.

use chrono::NaiveDate;

use super::forms::{Cell, Form, period_zh};
use crate::domain::Period;

/// What a returned school is told.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub school_code: String,
    pub school_name: String,
    pub city: String,
    pub county: String,
    pub period: Period,
    /// Each return decision: when (RFC 3339) and why, oldest first.
    pub reasons: Vec<(String, String)>,
    /// The sentences of the school's findings still open.
    pub findings: Vec<String>,
    pub auditor_name: String,
    pub auditor_phone: String,
    pub date: NaiveDate,
}

/// The notice as plain text with CRLF line ends.
pub fn notice_text(n: &Notice) -> String {
    let mut lines = vec![
        "退回重报通知".to_string(),
        String::new(),
        format!("{}（学校标识码：{}）：", n.school_name.trim(), n.school_code.trim()),
        String::new(),
        format!("{INDENT}{}", opening(n)),
    ];
    if n.reasons.is_empty() {
        lines.push(format!("{INDENT}（未填写原因）"));
    }
    for (i, (at, reason)) in n.reasons.iter().enumerate() {
        lines.push(format!("{INDENT}{}. {}（{} 退回）", i + 1, one_line(reason), day_of(at)));
    }
    if !n.findings.is_empty() {
        lines.push(String::new());
        lines.push(format!("{INDENT}{FINDINGS_HEADING}"));
        for (i, finding) in n.findings.iter().enumerate() {
            lines.push(format!("{INDENT}{}. {}", i + 1, one_line(finding)));
        }
    }
    lines.push(String::new());
    lines.push(format!("{INDENT}{REQUEST}"));
    lines.push(String::new());
    lines.extend(signature(n));
    let mut text = lines.join("\r\n");
    text.push_str("\r\n");
    text
}

/// The same notice as a one-sheet workbook: the reasons in a table, the rest as lines.
/// `created` is the document's creation time, so the same notice gives the same bytes.
pub fn notice_workbook(n: &Notice, created: chrono::NaiveDateTime) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let rows = if n.reasons.is_empty() {
        vec![vec![Cell::Text(String::new()), Cell::Text(String::new()), Cell::Text("（未填写原因）".into())]]
    } else {
        n.reasons
            .iter()
            .enumerate()
            .map(|(i, (at, reason))| {
                vec![Cell::Count(i as u64 + 1), Cell::Text(day_of(at)), Cell::Text(reason.trim().to_string())]
            })
            .collect()
    };
    let mut footer = Vec::new();
    if !n.findings.is_empty() {
        footer.push(FINDINGS_HEADING.to_string());
        footer.extend(n.findings.iter().enumerate().map(|(i, f)| format!("{}. {}", i + 1, one_line(f))));
        footer.push(String::new());
    }
    footer.push(REQUEST.to_string());
    footer.push(String::new());
    footer.extend(signature(n));
    let form = Form {
        sheet: "退回重报通知",
        title: "退回重报通知".to_string(),
        lines: vec![
            format!("学校名称：{}", n.school_name.trim()),
            format!("学校标识码：{}", n.school_code.trim()),
            format!("填报期次：{}", period_zh(n.period)),
            opening(n),
        ],
        header: vec!["序号", "退回日期", "退回原因"],
        rows,
        footer,
        grouped: false,
        landscape: false,
    };
    super::workbook::write(&[form], &n.auditor_name, created)
}

/// `<school code>_<school name>_退回重报通知`, safe as a file name on Windows: the characters
/// Windows refuses (`\/:*?"<>|` and control characters) become `_`, and the whole is at most
/// [`STEM_MAX`] characters, the name giving way first so the code and the suffix stay. Two
/// schools can get one stem (`2141/01`, `2141:01`): the writer makes them unique
/// (`file_names::FolderNames`).
pub fn file_stem(n: &Notice) -> String {
    let safe = |s: &str| -> String {
        s.trim().chars().map(|c| if c.is_control() || r#"\/:*?"<>|"#.contains(c) { '_' } else { c }).collect()
    };
    let code = safe(&n.school_code);
    let name = safe(&n.school_name);
    let fixed = code.chars().count() + SUFFIX.chars().count() + 1;
    let name: String = name.chars().take(STEM_MAX.saturating_sub(fixed)).collect();
    let stem = format!("{code}_{}{SUFFIX}", name.trim_end());
    stem.chars().take(STEM_MAX).collect()
}

/// The longest file stem [`file_stem`] gives, in characters: room for a directory and an
/// extension under Windows' 260-character path limit.
pub const STEM_MAX: usize = 80;
const SUFFIX: &str = "_退回重报通知";
/// A paragraph's indent in a Chinese letter: two full-width spaces.
const INDENT: &str = "\u{3000}\u{3000}";
const FINDINGS_HEADING: &str = "经检查，你校数据还有以下问题待核实：";
const REQUEST: &str = "请你校对照上述原因核实修改后重新报送。";

/// The sentence that introduces the reasons.
fn opening(n: &Notice) -> String {
    format!(
        "你校报送的{}教育信息化数据，经{}{}审核，退回重报，原因如下：",
        period_zh(n.period),
        n.city.trim(),
        n.county.trim()
    )
}

/// The county, the auditor, the phone and the date, one line each.
fn signature(n: &Notice) -> Vec<String> {
    vec![
        format!("{}{}", n.city.trim(), n.county.trim()),
        format!("审核员：{}", n.auditor_name.trim()),
        format!("联系电话：{}", n.auditor_phone.trim()),
        n.date.format("%Y年%-m月%-d日").to_string(),
    ]
}

/// The day of an RFC 3339 time, in the offset it was written in (the county's); a time that
/// does not parse is shown as given.
fn day_of(at: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(at.trim())
        .map_or_else(|_| at.trim().to_string(), |t| t.format("%Y-%m-%d").to_string())
}

/// A note typed over several lines, on one: each item of a numbered list stays one line.
fn one_line(text: &str) -> String {
    text.split(['\r', '\n']).map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use calamine::{Data, Reader, Xlsx};

    use super::*;

    fn notice() -> Notice {
        Notice {
            school_code: "2141010201".into(),
            school_name: "郑州市中原区伏牛路小学".into(),
            city: "郑州市".into(),
            county: "中原区".into(),
            period: "2026Q3".parse().unwrap(),
            reasons: vec![
                ("2026-10-02T09:15:00+08:00".into(), "学生数与班级数不符".into()),
                ("2026-10-04T16:40:00+08:00".into(), "出口带宽填写有误，\n请按合同填写".into()),
            ],
            findings: vec!["多媒体教室数 30 大于普通教室数 24。".into()],
            auditor_name: "李敏".into(),
            auditor_phone: "0371-67180000".into(),
            date: NaiveDate::from_ymd_opt(2026, 10, 4).unwrap(),
        }
    }

    fn created() -> chrono::NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 10, 4).unwrap().and_hms_opt(17, 0, 0).unwrap()
    }

    #[test]
    fn the_text_names_the_school_each_reason_with_its_date_and_the_auditor() {
        let text = notice_text(&notice());
        assert!(text.starts_with("退回重报通知\r\n"));
        assert_eq!(text.matches("\r\n").count(), text.matches('\n').count(), "CRLF only");
        for part in [
            "郑州市中原区伏牛路小学（学校标识码：2141010201）：",
            "2026年第三季度",
            "1. 学生数与班级数不符（2026-10-02 退回）",
            "2. 出口带宽填写有误， 请按合同填写（2026-10-04 退回）",
            "1. 多媒体教室数 30 大于普通教室数 24。",
            "核实修改后重新报送",
            "审核员：李敏",
            "联系电话：0371-67180000",
            "2026年10月4日",
        ] {
            assert!(text.contains(part), "{part} missing from:\n{text}");
        }
    }

    #[test]
    fn without_open_findings_the_text_does_not_mention_them() {
        let text = notice_text(&Notice { findings: Vec::new(), ..notice() });
        assert!(!text.contains(FINDINGS_HEADING));
        assert_eq!(day_of("昨天"), "昨天");
    }

    #[test]
    fn file_stems_are_safe_on_windows_and_short() {
        let named = |code: &str, name: &str| {
            file_stem(&Notice { school_code: code.into(), school_name: name.into(), ..notice() })
        };
        assert_eq!(named("2141010201", "a/b:c*?"), "2141010201_a_b_c___退回重报通知");
        assert_eq!(named("21", "x\"<>|\\\ty"), "21_x______y_退回重报通知");
        let long = named("2141010201", &"很".repeat(200));
        assert_eq!(long.chars().count(), STEM_MAX);
        assert!(long.starts_with("2141010201_很") && long.ends_with("很_退回重报通知"), "{long}");
        assert_eq!(named(&"9".repeat(100), "一小").chars().count(), STEM_MAX);
    }

    #[test]
    fn the_workbook_opens_and_shows_the_reasons() {
        let bytes = notice_workbook(&notice(), created()).unwrap();
        assert_eq!(bytes, notice_workbook(&notice(), created()).unwrap());
        let mut book = Xlsx::new(Cursor::new(bytes)).unwrap();
        assert_eq!(book.sheet_names(), ["退回重报通知"]);
        let sheet = book.worksheet_range("退回重报通知").unwrap();
        let cell = |r, c| sheet.get_value((r, c)).cloned().unwrap_or(Data::Empty);
        assert_eq!(cell(0, 0), Data::String("退回重报通知".into()));
        assert_eq!(cell(1, 0), Data::String("学校名称：郑州市中原区伏牛路小学".into()));
        assert_eq!(cell(6, 2), Data::String("退回原因".into()));
        assert_eq!(cell(7, 1), Data::String("2026-10-02".into()));
        assert_eq!(cell(8, 2), Data::String("出口带宽填写有误，\n请按合同填写".into()));
        let texts: Vec<String> = sheet.rows().flat_map(|r| r.iter().map(|c| c.to_string())).collect();
        assert!(texts.contains(&"联系电话：0371-67180000".to_string()), "{texts:?}");
        assert!(texts.contains(&"1. 多媒体教室数 30 大于普通教室数 24。".to_string()), "{texts:?}");
    }
}
