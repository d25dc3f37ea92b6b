//! A city's figures from its counties' bundles reproduce a published row (issue 6): 白城 in
//! seed 000, 附件4 (Jilin, 2020 Q1, denominator `all`): 355 schools, 10 not connected →
//! 互联网接入率 97.18, 188 with ≥ 100M → 52.96 %, 有多媒体教室的学校比例 92.39 %.
//!
//! The row is split unevenly across three real counties of 白城市. Each county, with the real
//! binary, imports its own sheet, reviews it as an auditor would (a school sent back, the
//! clean ones approved, those with a finding approved with a note) and exports its signed
//! bundle; the city trusts the three counties' keys, imports the three bundles, and its
//! `stats` must give back the published row to the hundredth — through the whole chain of
//! sheet, store, bundle CSV, verification and the city's load. `stats --by county` must give
//! each county's own figures, and its rows must add up to the row.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Output;

/// Inside the county window (1–5 April) after the quarter.
const NOW: &str = "2020-04-03T10:00:00+08:00";
const PERIOD: &str = "2020Q1";
const CITY: &str = "白城市";

/// The published row: 附件4, 序号 7.
const SCHOOLS: u64 = 355;
const UNCONNECTED: u64 = 10;
const CONNECTED_RATE: &str = "97.18";
const BANDWIDTH_100M: u64 = 188;
const BANDWIDTH_100M_RATE: &str = "52.96";
const MULTIMEDIA_RATE: &str = "92.39";
/// The one count of 355 schools that gives 92.39 % (`stats_fidelity.rs` proves it is the only one).
const WITH_MULTIMEDIA: u64 = 328;

/// One county's share of the row; the shares add up to the row (checked in the test).
struct Share {
    code: &'static str,
    name: &'static str,
    schools: u64,
    unconnected: u64,
    bandwidth_100m: u64,
    with_multimedia: u64,
}

const SHARES: [Share; 3] = [
    Share { code: "220821", name: "镇赉县", schools: 130, unconnected: 4, bandwidth_100m: 70, with_multimedia: 120 },
    Share { code: "220822", name: "通榆县", schools: 128, unconnected: 5, bandwidth_100m: 62, with_multimedia: 117 },
    Share { code: "220881", name: "洮南市", schools: 97, unconnected: 1, bandwidth_100m: 56, with_multimedia: 91 },
];

const HEADER: &str = "学校标识码,学校名称,所属市州,所属县区,行政区划代码,办学类型,城乡类型,学校状态,填报状态,填报时间,\
班级数,教师数,学生数,是否接入互联网,接入方式,出口带宽,无线网络覆盖,普通教室数,多媒体教室数,教师终端数,学生终端数,填报人,联系电话";

/// 中小学 (含教学点): the schools 附件4 counts, with the category digits of their codes. 附件1
/// gives 白城 364 schools, vocational ones included (it has a 中职 column); `stats` counts every
/// active school whatever its type, so these sheets hold no 中等职业学校.
const TYPES: [(&str, &str); 6] = [
    ("小学", "21"),
    ("教学点", "21"),
    ("小学", "21"),
    ("初级中学", "31"),
    ("九年一贯制学校", "31"),
    ("高级中学", "31"),
];

/// The county's sheet: its share of the row, then a merged and a revoked school that report
/// data the figures must not see. Codes are national-format and unique across the city (the
/// 6-digit sequence starts with the county's place in `SHARES`). Each county has one 初级中学
/// at 20M, under its 30M tier: a warning the auditor has to look at.
fn sheet(index: usize, share: &Share) -> String {
    let Share { code: county_code, name: county, schools, unconnected, bandwidth_100m, with_multimedia } = *share;
    let mut out = format!("{HEADER}\n");
    let mut slow_middle_school = false;
    for i in 0..schools + 2 {
        let (school_type, category) = TYPES[i as usize % TYPES.len()];
        let code = format!("{category}22{}{i:05}", index + 1);
        let status = match i {
            _ if i == schools => "合并",
            _ if i == schools + 1 => "撤销",
            _ => "正常",
        };
        let urban = ["城区", "镇区", "乡村"][i as usize % 3];
        let classes = if school_type == "教学点" { 2 } else { 6 + i % 19 };
        let students = classes * (if school_type == "教学点" { 9 } else { 32 + i % 9 });
        let teachers = students / 14 + 2;
        let classrooms = classes + i % 3;
        // Inactive rows are connected, fast and equipped: counted, they would move every figure.
        let inactive = i >= schools;
        let (connected, access, bandwidth) = if inactive || i >= unconnected {
            let fast = inactive || i < unconnected + bandwidth_100m;
            let bandwidth = match fast {
                true => [100, 200, 300, 1000][i as usize % 4],
                false if school_type == "初级中学" && !slow_middle_school => {
                    slow_middle_school = true;
                    20
                }
                false => 50,
            };
            ("是", "光纤", bandwidth.to_string())
        } else {
            ("否", "", String::new())
        };
        // The schools without a multimedia classroom are the last ones of the share.
        let multimedia = if inactive || i < with_multimedia { classrooms.min(1 + i % 7) } else { 0 };
        let _ = writeln!(
            out,
            "{code},{county}{school_type}{i:03},{CITY},{county},{county_code},{school_type},{urban},{status},已填报,\
             2020-03-{:02} 09:30:00,{classes},{teachers},{students},{connected},{access},{bandwidth},是,{classrooms},\
             {multimedia},{},{},填报员{i},0436-{:07}",
            1 + i % 28,
            teachers + 2,
            students / 8,
            6_000_000 + i
        );
    }
    assert!(slow_middle_school, "{county}: a 初级中学 under its tier");
    out
}

#[path = "support/home.rs"]
mod home;
use home::{Home, arg, json, stdout};

impl Home {
    /// A county of 白城市 with its sheet imported, reviewed and exported: the bundle's path.
    fn county(index: usize, share: &Share) -> (Home, PathBuf) {
        let (code, name) = (share.code, share.name);
        let home = Home::with_config(&format!(
            "[county]\ncode = \"{code}\"\nname = \"{name}\"\ncity = \"{CITY}\"\n\
             [auditor]\nname = \"审核员{code}\"\nphone = \"0436-1\"\n[stats]\nbandwidth_denominator = \"all\"\n"
        ));
        let file = home.path().join(format!("{name}2020年第一季度.csv"));
        std::fs::write(&file, sheet(index, share)).unwrap();
        home.ok(&["import", &arg(&file), "--period", PERIOD]);

        // One school sent back before anything else; then every clean school approved; then
        // those with findings (the slow 初级中学 at least) approved with a note.
        let first = home.codes(|_| true)[0].clone();
        home.ok(&["return", "--school", &first, "--period", PERIOD, "--reason", "学生数与学籍系统不一致，请核对"]);
        home.ok(&["approve", "--all-clean", "--period", PERIOD]);
        let held = home.codes(|state| state == "submitted" || state == "flagged");
        assert!(!held.is_empty() && held.len() < 10, "{name}: the schools with findings: {held:?}");
        let mut approve = vec!["approve", "--period", PERIOD, "--note", "已电话核实，数据属实", "--school"];
        approve.extend(held.iter().map(String::as_str));
        home.ok(&approve);
        assert_eq!(home.codes(|state| state != "approved"), [first], "{name}: one returned, the rest approved");

        let text = home.path().join(format!("{name}月报.txt"));
        std::fs::write(&text, format!("{name}本月教育信息化数据已审核完毕。")).unwrap();
        let out = home.path().join("out");
        let out = json(&home.ok(&[
            "export",
            "--period",
            PERIOD,
            "--out",
            &arg(&out),
            "--report-text",
            &arg(&text),
            "--json",
        ]));
        let bundle = PathBuf::from(out["bundle"].as_str().unwrap());
        (home, bundle)
    }

    /// The period's school codes whose review state passes `keep`, in list order.
    fn codes(&self, keep: impl Fn(&str) -> bool) -> Vec<String> {
        let list = json(&self.ok(&["list", "--period", PERIOD, "--json"]));
        list.as_array()
            .unwrap()
            .iter()
            .filter(|r| keep(r["state"].as_str().unwrap()))
            .map(|r| r["school_code"].as_str().unwrap().to_string())
            .collect()
    }

    /// Runs shenhe here at [`NOW`] and insists that it succeeds.
    fn ok(&self, args: &[&str]) -> Output {
        self.ok_at(NOW, args)
    }
}

/// A rate of `stats --json` as the circular prints it (the JSON number is the double nearest
/// to the two-decimal figure, so two decimals give it back exactly).
fn rate(v: &serde_json::Value) -> String {
    format!("{:.2}", v.as_f64().unwrap_or_else(|| panic!("not a rate: {v}")))
}

#[test]
fn three_counties_bundles_give_the_city_the_published_row_of_baicheng() {
    let sum = |f: fn(&Share) -> u64| SHARES.iter().map(f).sum::<u64>();
    assert_eq!(
        (sum(|s| s.schools), sum(|s| s.unconnected), sum(|s| s.bandwidth_100m), sum(|s| s.with_multimedia)),
        (SCHOOLS, UNCONNECTED, BANDWIDTH_100M, WITH_MULTIMEDIA),
        "the shares add up to the published row"
    );

    let counties: Vec<(Home, PathBuf)> = SHARES.iter().enumerate().map(|(i, s)| Home::county(i, s)).collect();
    let mut city_config = format!("level = \"city\"\n[city]\nname = \"{CITY}\"\ncounties = [");
    let listed: Vec<String> =
        SHARES.iter().map(|s| format!("{{ code = \"{}\", name = \"{}\" }}", s.code, s.name)).collect();
    let _ = write!(city_config, "{}]\n[stats]\nbandwidth_denominator = \"all\"\n", listed.join(", "));
    let city = Home::with_config(&city_config);
    let keys: String = counties.iter().map(|(c, _)| stdout(&c.ok(&["key", "show", "--allowed-signers"]))).collect();
    std::fs::write(city.path().join("allowed_signers"), keys).unwrap();

    let mut import = vec!["city".to_string(), "import".into(), "--json".into()];
    import.extend(counties.iter().map(|(_, bundle)| arg(bundle)));
    let receipts = json(&city.ok(&import.iter().map(String::as_str).collect::<Vec<_>>()));
    let outcomes: Vec<&str> = receipts.as_array().unwrap().iter().map(|r| r["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["loaded"; 3]);
    let status = json(&city.ok(&["city", "status", "--period", PERIOD, "--json"]));
    // Each county's counts as it reported them: its share less the returned school, plus the
    // merged and the revoked one, approved.
    for (row, share) in status.as_array().unwrap().iter().zip(&SHARES) {
        assert_eq!((row["county_code"].as_str(), row["received"].as_bool()), (Some(share.code), Some(true)));
        assert_eq!(row["inside_window"], true, "{row}");
        assert_eq!(
            (row["counts"]["approved"].as_u64(), row["counts"]["returned"].as_u64()),
            (Some(share.schools + 1), Some(1)),
            "{row}"
        );
    }

    // The city's whole: the published row, to the hundredth.
    let whole = json(&city.ok(&["stats", "--period", PERIOD, "--json"]));
    let counts = |f: &serde_json::Value| {
        ["schools", "unconnected", "bandwidth_100m"].map(|k| f[k].as_u64().unwrap_or_else(|| panic!("{k}: {f}")))
    };
    assert_eq!(counts(&whole), [SCHOOLS, UNCONNECTED, BANDWIDTH_100M], "{whole}");
    assert_eq!(rate(&whole["connected_rate"]), CONNECTED_RATE, "互联网接入率: {whole}");
    assert_eq!(rate(&whole["bandwidth_100m_rate"]), BANDWIDTH_100M_RATE, "带宽达到100M以上学校比例: {whole}");
    assert_eq!(rate(&whole["multimedia_rate"]), MULTIMEDIA_RATE, "有多媒体教室的学校比例: {whole}");
    assert_eq!(rate(&whole["fill_rate"]), "100.00", "附件1: 白城 填报率 100%: {whole}");

    // By county: each county's own figures, adding up to the whole.
    let by_county = json(&city.ok(&["stats", "--period", PERIOD, "--by", "county", "--json"]));
    let rows = by_county.as_array().unwrap();
    assert_eq!(rows.len(), SHARES.len(), "{by_county}");
    for ((row, share), (county, _)) in rows.iter().zip(&SHARES).zip(&counties) {
        assert_eq!((row["county_code"].as_str(), row["county"].as_str()), (Some(share.code), Some(share.name)));
        assert_eq!(counts(row), [share.schools, share.unconnected, share.bandwidth_100m], "{row}");
        let own = json(&county.ok(&["stats", "--period", PERIOD, "--json"]));
        for (key, value) in own.as_object().unwrap() {
            assert_eq!(&row[key], value, "{} {key}: the city's {row} vs the county's {own}", share.name);
        }
    }
    for key in ["schools", "filled", "unfilled", "connected", "unconnected", "bandwidth_100m", "zero_multimedia"] {
        let total: u64 = rows.iter().map(|r| r[key].as_u64().unwrap()).sum();
        assert_eq!(total, whole[key].as_u64().unwrap(), "{key}: the counties add up to the city");
    }
    assert_eq!(
        whole["zero_multimedia"].as_u64(),
        Some(SCHOOLS - WITH_MULTIMEDIA),
        "every school reported its multimedia rooms"
    );
}
