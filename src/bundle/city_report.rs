//! A receiving level's workbook (a city's for the province, the province's circular): seed
//! 000's 附件1 fill rates, 附件3 on-time report rate, 附件4 the network table and 附件5 the
//! 半月调度表, and seed 001's 附件2 and 3 — one row per unit of the config and a total, from the
//! schools the units' current reports carried.

use chrono::NaiveDateTime;

use super::forms::{Cell, Form, dispatch_form, letterhead_lines, period_zh};
use super::tables::Letterhead;
use crate::config::BandwidthDenominator;
use crate::domain::dispatch::DispatchLists;
use crate::domain::stats::{Counts, Rate};
use crate::domain::{SchoolType, SubmissionData};

/// One unit below (a county of the city, a city of the province), as the workbook needs it.
#[derive(Debug, Clone)]
pub struct CountyLine {
    pub code: String,
    pub name: String,
    /// Its current bundle was made inside its reporting window (主动上报).
    pub on_time: bool,
    /// 审核员总数 behind the line: a county's one auditor; a city's own and one per county.
    pub auditors: u64,
    /// Of them, those who reported on time (主动上报); the rest count as 系统上报.
    pub active: u64,
}

impl CountyLine {
    /// A county: one auditor, on time or not.
    pub fn county(code: &str, name: &str, on_time: bool) -> CountyLine {
        CountyLine { code: code.into(), name: name.into(), on_time, auditors: 1, active: u64::from(on_time) }
    }
}

/// The schools of each line, by the unit whose current report carries them (`held`: school
/// code → that unit's code); a school no line's report carries counts in the total only.
pub fn group_by_unit<'a>(
    lines: &[CountyLine],
    held: &std::collections::HashMap<String, crate::store::Claim>,
    data: &'a [SubmissionData],
) -> Vec<Vec<&'a SubmissionData>> {
    let mut of: Vec<Vec<&SubmissionData>> = vec![Vec::new(); lines.len()];
    for school in data {
        let unit = held.get(&school.school_code).map(|c| c.county_code.as_str());
        if let Some(i) = unit.and_then(|u| lines.iter().position(|l| l.code == u)) {
            of[i].push(school);
        }
    }
    of
}

/// A receiving level's workbook, one row per unit below and a total: seed 000's 附件1, 3 (at a
/// province each city's auditors, its own and its counties'), 4 and 5, then seed 001's 附件2
/// (审核员总数, 系统上报, 主动上报, 主动上报率) and 附件3 (上报率 of 中小学校 and 中等职业学校: the
/// share of schools 审核通过).
pub fn units_workbook(
    h: &Letterhead,
    cities: &[CountyLine],
    of: &[Vec<&SubmissionData>],
    data: &[SubmissionData],
    approved: &std::collections::HashSet<&str>,
    denominator: BandwidthDenominator,
    created: NaiveDateTime,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let all: Vec<&SubmissionData> = data.iter().collect();
    let forms = [
        fill_form(h, cities, of, &all),
        on_time_form(h, cities),
        network_form(h, cities, of, &all, denominator),
        dispatch_form(h, &DispatchLists::of(data)),
        audit_rate_form(h, cities),
        reported_form(h, cities, of, &all, approved),
    ];
    super::workbook::write(&forms, &h.auditor_name, created)
}

/// A city's workbook: [`units_workbook`] over its counties, each county's schools those of its
/// code. `h.county` is empty (the whole city).
pub fn city_workbook(
    h: &Letterhead,
    counties: &[CountyLine],
    data: &[SubmissionData],
    approved: &std::collections::HashSet<&str>,
    denominator: BandwidthDenominator,
    created: NaiveDateTime,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let of: Vec<Vec<&SubmissionData>> = counties
        .iter()
        .map(|c| data.iter().filter(|d| d.county_code.as_deref() == Some(c.code.as_str())).collect())
        .collect();
    units_workbook(h, counties, &of, data, approved, denominator, created)
}

fn form(h: &Letterhead, sheet: &'static str, name: &str, header: Vec<&'static str>, rows: Vec<Vec<Cell>>) -> Form {
    Form {
        sheet,
        title: format!("{}{}（{}）", h.city.trim(), name, period_zh(h.period)),
        lines: letterhead_lines(h),
        header,
        rows,
        footer: Vec::new(),
        grouped: false,
        landscape: false,
    }
}

/// A row per county — 序号, the county's name, then `figures` of its schools — and the 合计 row
/// of all the city's schools.
fn per_county(
    counties: &[CountyLine],
    of: &[Vec<&SubmissionData>],
    all: &[&SubmissionData],
    figures: impl Fn(&[&SubmissionData]) -> Vec<Cell>,
) -> Vec<Vec<Cell>> {
    let row = |number: Cell, name: String, schools: &[&SubmissionData]| {
        let mut row = vec![number, Cell::Text(name)];
        row.extend(figures(schools));
        row
    };
    let mut rows: Vec<Vec<Cell>> = counties
        .iter()
        .zip(of)
        .enumerate()
        .map(|(i, (c, s))| row(Cell::Count(i as u64 + 1), c.name.clone(), s))
        .collect();
    rows.push(row(Cell::Text(String::new()), "合计".into(), all));
    rows
}

/// 附件1: schools, unfilled, the fill rate of primary and secondary schools and of vocational
/// schools, per county.
fn fill_form(h: &Letterhead, counties: &[CountyLine], of: &[Vec<&SubmissionData>], all: &[&SubmissionData]) -> Form {
    let rows = per_county(counties, of, all, |schools| {
        let vocational = |d: &&&SubmissionData| d.school_type == Some(SchoolType::Vocational);
        let all: Counts = schools.iter().copied().collect();
        let k12: Counts = schools.iter().filter(|d| !vocational(d)).copied().collect();
        let voc: Counts = schools.iter().filter(vocational).copied().collect();
        vec![
            Cell::Count(all.schools),
            Cell::Count(all.unfilled()),
            Cell::Rate(Rate::of(k12.filled, k12.schools)),
            Cell::Rate(Rate::of(voc.filled, voc.schools)),
            Cell::Rate(Rate::of(all.filled, all.schools)),
        ]
    });
    // The last column is the rate the circular's text quotes (seed 000: 松原 86.53% over all
    // its schools, where its 中小学 column reads 86.43%).
    form(
        h,
        "附件1 填报情况",
        "学校填报情况统计表",
        vec!["序号", "地区", "学校总数", "未填报学校数", "中小学填报率", "中职学校填报率", "学校填报率"],
        rows,
    )
}

/// 附件3: each county's auditor reported on time (主动上报) or not.
fn on_time_form(h: &Letterhead, counties: &[CountyLine]) -> Form {
    let row = |number: Cell, name: String, auditors: u64, on_time: u64| {
        vec![
            number,
            Cell::Text(name),
            Cell::Count(auditors),
            Cell::Count(on_time),
            Cell::Rate(Rate::of(on_time, auditors)),
        ]
    };
    let mut rows: Vec<Vec<Cell>> = counties
        .iter()
        .enumerate()
        .map(|(i, c)| row(Cell::Count(i as u64 + 1), c.name.clone(), c.auditors, c.active))
        .collect();
    let (auditors, active) = counties.iter().fold((0, 0), |(a, o), c| (a + c.auditors, o + c.active));
    rows.push(row(Cell::Text(String::new()), "合计".into(), auditors, active));
    form(
        h,
        "附件3 主动上报",
        "地区审核员主动审核上报率统计表",
        vec!["序号", "地区", "审核员总数", "主动上报数", "主动上报率"],
        rows,
    )
}

/// The counts of 中小学（含教学点）: every school but the 中等职业学校, which 附件4 leaves out
/// (seed 000: 长春 has 1290 schools in 附件1, 1246 in 附件4).
pub fn k12(schools: &[&SubmissionData]) -> Counts {
    schools.iter().filter(|d| d.school_type != Some(SchoolType::Vocational)).copied().collect()
}

/// 附件4: connected, 100M and multimedia figures per county, over its 中小学（含教学点）; the
/// last two columns are the counts the circular's text quotes ("仍有 1291 所学校带宽不足 100M").
fn network_form(
    h: &Letterhead,
    counties: &[CountyLine],
    of: &[Vec<&SubmissionData>],
    all: &[&SubmissionData],
    denominator: BandwidthDenominator,
) -> Form {
    let rows = per_county(counties, of, all, |schools| {
        let counts = k12(schools);
        let f = counts.figures(denominator);
        vec![
            Cell::Count(f.schools),
            Cell::Count(f.unconnected),
            Cell::Rate(f.connected_rate),
            Cell::Count(f.bandwidth_100m),
            Cell::Rate(f.bandwidth_100m_rate),
            Cell::Rate(f.multimedia_rate),
            Cell::Count(short_of_100m(&counts, denominator)),
            Cell::Count(counts.schools - counts.with_multimedia),
        ]
    });
    form(
        h,
        "附件4 联网攻坚",
        "学校联网攻坚行动进展情况统计表",
        vec![
            "序号",
            "地区",
            "中小学（含教学点）总数",
            "未联网学校数",
            "互联网接入率",
            "带宽达到100M以上学校数",
            "带宽达到100M以上学校比例",
            "有多媒体教室的学校比例",
            "带宽不足100M学校数",
            "无多媒体教室学校数",
        ],
        rows,
    )
}

/// The schools 附件4's 100M rate counts as short of 100M: of all, or of the connected ones.
pub fn short_of_100m(counts: &Counts, denominator: BandwidthDenominator) -> u64 {
    let base = match denominator {
        BandwidthDenominator::All => counts.schools,
        BandwidthDenominator::Connected => counts.connected,
    };
    base - counts.bandwidth_100m
}

/// Seed 001 附件2: each city's auditors, 系统上报 (not on time), 主动上报 and its rate.
fn audit_rate_form(h: &Letterhead, cities: &[CountyLine]) -> Form {
    let row = |number: Cell, name: String, auditors: u64, active: u64| {
        vec![
            number,
            Cell::Text(name),
            Cell::Count(auditors),
            Cell::Count(auditors - active),
            Cell::Count(active),
            Cell::Rate(Rate::of(active, auditors)),
        ]
    };
    let mut rows: Vec<Vec<Cell>> = cities
        .iter()
        .enumerate()
        .map(|(i, c)| row(Cell::Count(i as u64 + 1), c.name.clone(), c.auditors, c.active))
        .collect();
    let (auditors, active) = cities.iter().fold((0, 0), |(a, o), c| (a + c.auditors, o + c.active));
    rows.push(row(Cell::Text(String::new()), "合计".into(), auditors, active));
    form(
        h,
        "001附件2 审核上报率",
        "各地数据审核上报率",
        vec!["序号", "地区", "审核员总数", "系统上报", "主动上报", "主动上报率"],
        rows,
    )
}

/// Seed 001 附件3: of 中小学校 and of 中等职业学校, the share reported (审核通过), the schools
/// and those not reported.
fn reported_form(
    h: &Letterhead,
    cities: &[CountyLine],
    of: &[Vec<&SubmissionData>],
    all: &[&SubmissionData],
    approved: &std::collections::HashSet<&str>,
) -> Form {
    let rows = per_county(cities, of, all, |schools| {
        let vocational = |d: &&&SubmissionData| d.school_type == Some(SchoolType::Vocational);
        let part = |voc: bool| {
            let active: Vec<&&SubmissionData> =
                schools.iter().filter(|d| vocational(d) == voc && d.status().is_active()).collect();
            let reported = active.iter().filter(|d| approved.contains(d.school_code.as_str())).count() as u64;
            let total = active.len() as u64;
            [Cell::Rate(Rate::of(reported, total)), Cell::Count(total), Cell::Count(total - reported)]
        };
        part(false).into_iter().chain(part(true)).collect()
    });
    form(
        h,
        "001附件3 学校上报率",
        "各地中小学校和中等职业学校数据上报率",
        vec![
            "序号",
            "地区",
            "中小学校上报率",
            "中小学校学校总数",
            "中小学校未上报学校数",
            "中职上报率",
            "中职学校总数",
            "中职未上报学校数",
        ],
        rows,
    )
}
