//! The province's circular, table by table (issue 15): per-school sheets built to match seed
//! 000's twelve Jilin cities give back, in the workbook `shenhe report` writes, every row of
//! 附件1, 附件3 and 附件4 to the hundredth; seed 001's 附件2 for the eighteen Henan cities; and
//! the drafted text quotes only numbers that are cells of that workbook. Where the seed
//! contradicts itself, the test says so and shows both values.
//!
//! The sheets are counted and tabled here in process (`units_workbook`, `circular::draft`);
//! how a province's store comes to hold them and its auditors' figures — through signed
//! county and city bundles — is `tests/levels_cli.rs`.

use std::collections::HashSet;

use calamine::Reader;
use shenhe::bundle::city_report::{CountyLine, units_workbook};
use shenhe::bundle::tables::Letterhead;
use shenhe::config::{BandwidthDenominator, Config};
use shenhe::domain::stats::Rate;
use shenhe::domain::{SchoolType, SubmissionData};

/// Seed 000, 附件1 (学校总数, 未填报学校数, 中小学填报率), 附件3 (审核员总数, 主动上报数) and 附件4
/// (中小学总数, 未联网, 接入率, 100M 以上学校数, 其比例, 有多媒体教室的学校比例).
struct Published {
    city: &'static str,
    schools: u64,
    unfilled: u64,
    k12_fill_rate: &'static str,
    auditors: u64,
    active: u64,
    k12: u64,
    unconnected: u64,
    connected_rate: &'static str,
    bandwidth_100m: u64,
    bandwidth_rate: &'static str,
    multimedia_rate: &'static str,
}

const fn row(
    city: &'static str,
    (schools, unfilled, k12_fill_rate): (u64, u64, &'static str),
    (auditors, active): (u64, u64),
    (k12, unconnected, connected_rate, bandwidth_100m, bandwidth_rate, multimedia_rate): (
        u64,
        u64,
        &'static str,
        u64,
        &'static str,
        &'static str,
    ),
) -> Published {
    Published {
        city,
        schools,
        unfilled,
        k12_fill_rate,
        auditors,
        active,
        k12,
        unconnected,
        connected_rate,
        bandwidth_100m,
        bandwidth_rate,
        multimedia_rate,
    }
}

const JILIN: [Published; 12] = [
    row("长春", (1290, 0, "100"), (16, 16), (1246, 42, "96.63", 656, "52.65", "85.87")),
    row("吉林", (614, 0, "100"), (12, 9), (614, 0, "100", 595, "96.91", "87.90")),
    row("四平", (664, 0, "100"), (7, 6), (656, 6, "99.09", 466, "71.04", "82.77")),
    row("辽源", (261, 0, "100"), (6, 4), (253, 7, "97.23", 190, "75.10", "77.87")),
    row("通化", (253, 0, "100"), (7, 7), (245, 1, "99.59", 244, "99.59", "98.78")),
    row("白山", (203, 0, "100"), (7, 7), (197, 0, "100", 191, "96.95", "96.95")),
    row("白城", (364, 0, "100"), (6, 4), (355, 10, "97.18", 188, "52.96", "92.39")),
    row("延边", (272, 0, "100"), (9, 3), (260, 2, "99.23", 229, "88.08", "94.62")),
    row("松原", (683, 92, "86.43"), (7, 5), (678, 76, "88.79", 522, "76.99", "85.55")),
    row("长白山", (14, 0, "100"), (1, 1), (13, 0, "100", 12, "92.31", "100")),
    row("梅河口", (68, 0, "100"), (1, 0), (66, 2, "96.97", 39, "59.09", "89.39")),
    row("公主岭", (182, 0, "100"), (1, 1), (181, 18, "90.06", 122, "67.40", "73.48")),
];

/// A rate as the seeds print it (`100`, `86.43`).
fn shown(rate: Option<Rate>) -> String {
    rate.map_or_else(|| "none".into(), |r| r.to_string().trim_end_matches(".00").to_string())
}

/// The one count of `of` schools whose rate is published as `rate`, or `None` when no count
/// gives it (the published rate is not a share of that many schools).
fn count_with_rate(rate: &str, of: u64) -> Option<u64> {
    let found: Vec<u64> = (0..=of).filter(|&n| shown(Rate::of(n, of)) == rate).collect();
    assert!(found.len() <= 1, "{rate} % of {of}: {found:?}");
    found.first().copied()
}

/// The count nearest to `rate` % of `of`.
fn nearest(rate: &str, of: u64) -> u64 {
    let wanted: f64 = rate.parse::<f64>().unwrap() * of as f64 / 100.0;
    wanted.round() as u64
}

/// The city's schools: its 中等职业学校 (附件1's total less 附件4's, all filled and connected),
/// then its 中小学: the unfilled first, then the filled unconnected (as many as 附件4 leaves
/// once the unfilled are counted), the 100M ones, the slower; multimedia rooms in as many as
/// the published share needs.
fn schools_of(p: &Published, n: usize) -> Vec<SubmissionData> {
    let school = |i: u64, school_type, filled, connected, mbps: f64, rooms| SubmissionData {
        school_code: format!("{:02}{i:08}", n + 1),
        name: format!("{}第{i}学校", p.city),
        city: Some(p.city.into()),
        school_type: Some(school_type),
        filled,
        connected: filled.then_some(connected),
        bandwidth_mbps: filled.then_some(mbps),
        multimedia_rooms: filled.then_some(rooms),
        ..Default::default()
    };
    let mut out: Vec<SubmissionData> =
        (0..p.schools - p.k12).map(|i| school(i, SchoolType::Vocational, true, true, 1000.0, 3)).collect();
    let with_multimedia =
        count_with_rate(p.multimedia_rate, p.k12).unwrap_or_else(|| nearest(p.multimedia_rate, p.k12));
    let filled_unconnected = p.unconnected.saturating_sub(p.unfilled);
    for i in 0..p.k12 {
        let filled = i >= p.unfilled;
        let k = i.saturating_sub(p.unfilled);
        let connected = k >= filled_unconnected;
        let fast = k >= filled_unconnected && k < filled_unconnected + p.bandwidth_100m;
        let rooms = u32::from(k < with_multimedia);
        out.push(school(1000 + i, SchoolType::Primary, filled, connected, if fast { 1000.0 } else { 50.0 }, rooms));
    }
    out
}

/// The workbook's sheets as text rows, a rate column's cells as the seeds print rates (`86.43`).
/// A column is a rate's when its heading says 率 or 比例.
fn sheets(bytes: &[u8]) -> Vec<(String, Vec<Vec<String>>)> {
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let names = book.sheet_names();
    names
        .into_iter()
        .map(|name| {
            let range = book.worksheet_range(&name).unwrap();
            let mut rate_columns: Vec<bool> = Vec::new();
            let mut rows = Vec::new();
            for r in range.rows() {
                if r.first().is_some_and(|c| matches!(c, calamine::Data::String(t) if t == "序号")) {
                    rate_columns =
                        r.iter().map(|c| c.to_string().contains('率') || c.to_string().contains("比例")).collect();
                }
                let cells = r
                    .iter()
                    .enumerate()
                    .map(|(i, c)| match c {
                        calamine::Data::Float(f) if rate_columns.get(i) == Some(&true) => {
                            shown(Rate::of((f * 10_000.0).round() as u64, 10_000))
                        }
                        other => other.to_string(),
                    })
                    .collect();
                rows.push(cells);
            }
            (name, rows)
        })
        .collect()
}

fn row_of<'a>(rows: &'a [Vec<String>], area: &str) -> &'a [String] {
    rows.iter().find(|r| r.get(1).is_some_and(|c| c == area)).unwrap_or_else(|| panic!("no row {area}"))
}

/// The workbook and the text over `cities` (one line each, in order) and their schools.
fn circular(cities: &[CountyLine], of: &[Vec<SubmissionData>], denominator: BandwidthDenominator) -> (Vec<u8>, String) {
    let data: Vec<SubmissionData> = of.iter().flatten().cloned().collect();
    let refs: Vec<Vec<&SubmissionData>> = of.iter().map(|s| s.iter().collect()).collect();
    let h = Letterhead {
        city: "吉林省".into(),
        county: String::new(),
        county_code: String::new(),
        period: "2020Q1".parse().unwrap(),
        auditor_name: "省审核员".into(),
        auditor_phone: "0431-1".into(),
        date: chrono::NaiveDate::from_ymd_opt(2020, 4, 16).unwrap(),
    };
    let created = chrono::NaiveDate::from_ymd_opt(2020, 4, 16).unwrap().and_hms_opt(9, 0, 0).unwrap();
    let workbook = units_workbook(&h, cities, &refs, &data, &HashSet::new(), denominator, created).unwrap();
    let text = shenhe::bundle::circular::draft(&Config::default(), cities, &refs, &data, denominator);
    (workbook, text)
}

fn line(city: &str, auditors: u64, active: u64) -> CountyLine {
    CountyLine { code: city.into(), name: city.into(), on_time: active > 0, auditors, active }
}

#[test]
fn seed_000s_tables_come_back_row_for_row_and_its_text_quotes_only_their_cells() {
    let lines: Vec<CountyLine> = JILIN.iter().map(|p| line(p.city, p.auditors, p.active)).collect();
    let of: Vec<Vec<SubmissionData>> = JILIN.iter().enumerate().map(|(n, p)| schools_of(p, n)).collect();
    let (workbook, text) = circular(&lines, &of, BandwidthDenominator::All);
    let sheets = sheets(&workbook);
    let sheet = |name: &str| &sheets.iter().find(|(n, _)| n == name).unwrap().1;
    let (fill, active, network) = (sheet("附件1 填报情况"), sheet("附件3 主动上报"), sheet("附件4 联网攻坚"));
    let mut inconsistent = Vec::new();
    for p in &JILIN {
        let f = row_of(fill, p.city);
        assert_eq!(
            f[2..5],
            [p.schools.to_string(), p.unfilled.to_string(), p.k12_fill_rate.to_string()],
            "附件1 {}",
            p.city
        );
        // A city without 中职 schools (吉林) prints 100% in the seed,
        // a rate over no schools; the workbook leaves that cell empty.
        let vocational = if p.schools > p.k12 { "100" } else { "" };
        assert_eq!(f[5], vocational, "附件1 {} 中职学校填报率", p.city);
        let a = row_of(active, p.city);
        let rate = shown(Rate::of(p.active, p.auditors));
        assert_eq!(a[2..5], [p.auditors.to_string(), p.active.to_string(), rate], "附件3 {}", p.city);
        let n = row_of(network, p.city);
        let published = [
            p.k12.to_string(),
            p.unconnected.to_string(),
            p.connected_rate.to_string(),
            p.bandwidth_100m.to_string(),
            p.bandwidth_rate.to_string(),
            p.multimedia_rate.to_string(),
        ];
        // A rate no count of the city's schools gives: the nearest count is built, and the
        // published and computed rates are shown side by side.
        if count_with_rate(p.multimedia_rate, p.k12).is_none() {
            inconsistent.push(format!(
                "{}: 有多媒体教室的学校比例 {}% is no share of {} schools; computed {}%",
                p.city, p.multimedia_rate, p.k12, n[7]
            ));
            assert_eq!(n[2..7], published[..5], "附件4 {} otherwise", p.city);
            continue;
        }
        // An unfilled school counts as not connected: a city whose 附件4 has fewer unconnected
        // schools than its 附件1 has unfilled ones cannot be both.
        if p.unconnected < p.unfilled {
            inconsistent.push(format!(
                "{}: 附件1 says {} unfilled, 附件4 {} not connected ({}%); computed {} ({}%)",
                p.city, p.unfilled, p.unconnected, p.connected_rate, n[3], n[4]
            ));
            assert_eq!((&n[2], &n[5..8]), (&published[0], &published[3..]), "附件4 {} otherwise", p.city);
        } else {
            assert_eq!(n[2..8], published, "附件4 {}", p.city);
        }
    }
    for line in &inconsistent {
        eprintln!("seed 000 contradicts itself: {line}");
    }
    assert!(inconsistent.iter().any(|l| l.starts_with("松原")), "{inconsistent:?}");
    assert!(inconsistent.len() <= 3, "most rows hold as published: {inconsistent:?}");

    // The text: the places it names, as seed 000 names them (松原's rate is its 附件1 one over
    // all its schools, which the workbook's last 附件1 column holds).
    assert!(text.contains("填报率未达 100%的地区有松原（86.53%）"), "{text}");
    assert_eq!(row_of(fill, "松原")[6], "86.53");
    assert!(text.contains("主动审核上报率 100%的地区有长春、通化、白山、长白山、公主岭，"), "{text}");
    for below in ["吉林（75%）", "松原（71.43%）", "辽源（66.67%）", "白城（66.67%）", "延边（33.33%）", "梅河口（0%）"]
    {
        assert!(text.contains(below), "{below}: {text}");
    }
    assert!(text.contains("接入率 100%的地区有吉林、白山、长白山，"), "{text}");
    // Every number of the text is a cell of the workbook.
    let cells: HashSet<&str> = sheets.iter().flat_map(|(_, rows)| rows.iter().flatten()).map(String::as_str).collect();
    let thresholds = ["100", "100M", "80", "98", "70", "1", "3", "4"];
    let mut number = String::new();
    for c in text.chars().chain([' ']) {
        if c.is_ascii_digit() || (c == '.' && !number.is_empty()) {
            number.push(c);
            continue;
        }
        if c == 'M' && number == "100" {
            number.clear();
            continue;
        }
        if !number.is_empty() && !thresholds.contains(&number.as_str()) {
            assert!(cells.contains(number.as_str()), "{number} in the text is no cell of the workbook: {text}");
        }
        number.clear();
    }
}

#[test]
fn seed_001s_audit_report_rates_come_back_for_every_henan_city() {
    // 附件2: 地区, 审核员总数, 系统上报, 主动上报, 主动上报率.
    let published = [
        ("郑州市", 17, 16, 1, "5.88"),
        ("开封市", 10, 10, 0, "0"),
        ("洛阳市", 19, 19, 0, "0"),
        ("平顶山市", 12, 0, 12, "100"),
        ("安阳市", 12, 10, 2, "16.67"),
        ("鹤壁市", 6, 6, 0, "0"),
        ("新乡市", 16, 15, 1, "6.25"),
        ("焦作市", 12, 12, 0, "0"),
        ("濮阳市", 11, 11, 0, "0"),
        ("许昌市", 9, 9, 0, "0"),
        ("漯河市", 7, 7, 0, "0"),
        ("三门峡市", 7, 6, 1, "14.29"),
        ("南阳市", 19, 19, 0, "0"),
        ("商丘市", 11, 11, 0, "0"),
        ("信阳市", 11, 11, 0, "0"),
        ("周口市", 15, 15, 0, "0"),
        ("驻马店市", 12, 9, 3, "25"),
        ("济源市", 1, 1, 0, "0"),
    ];
    let lines: Vec<CountyLine> =
        published.iter().map(|&(city, auditors, _, active, _)| line(city, auditors, active)).collect();
    let of = vec![Vec::new(); lines.len()];
    let (workbook, _) = circular(&lines, &of, BandwidthDenominator::Connected);
    let sheets = sheets(&workbook);
    let rates = &sheets.iter().find(|(n, _)| n == "001附件2 审核上报率").unwrap().1;
    for (city, auditors, system, active, rate) in published {
        let r = row_of(rates, city);
        let expected = [auditors.to_string(), system.to_string(), active.to_string(), rate.to_string()];
        assert_eq!(r[2..6], expected, "{city}");
    }
}
