//! The city's workbook for the province (seed 000): 附件1 fill rates, 附件3 on-time report rate,
//! 附件4 the network table and 附件5 the 半月调度表 across all counties — one row per county of
//! the config and a total, from the schools the counties' current bundles carried.

use chrono::NaiveDateTime;

use super::forms::{Cell, Form, dispatch_form, letterhead_lines, period_zh};
use super::tables::Letterhead;
use crate::config::BandwidthDenominator;
use crate::domain::dispatch::DispatchLists;
use crate::domain::stats::{Counts, Rate};
use crate::domain::{SchoolType, SubmissionData};

/// One county of the city, as the workbook needs it.
#[derive(Debug, Clone)]
pub struct CountyLine {
    pub code: String,
    pub name: String,
    /// Its current bundle was made inside its reporting window (主动上报).
    pub on_time: bool,
}

/// The workbook: four sheets, in the circular's order. `h.county` is empty (the whole city).
pub fn city_workbook(
    h: &Letterhead,
    counties: &[CountyLine],
    data: &[SubmissionData],
    denominator: BandwidthDenominator,
    created: NaiveDateTime,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let of: Vec<Vec<&SubmissionData>> = counties
        .iter()
        .map(|c| data.iter().filter(|d| d.county_code.as_deref() == Some(c.code.as_str())).collect())
        .collect();
    let all: Vec<&SubmissionData> = data.iter().collect();
    let forms = [
        fill_form(h, counties, &of, &all),
        on_time_form(h, counties),
        network_form(h, counties, &of, &all, denominator),
        dispatch_form(h, &DispatchLists::of(data)),
    ];
    super::workbook::write(&forms, &h.auditor_name, created)
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
        ]
    });
    form(
        h,
        "附件1 填报情况",
        "学校填报情况统计表",
        vec!["序号", "地区", "学校总数", "未填报学校数", "中小学填报率", "中职学校填报率"],
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
        .map(|(i, c)| row(Cell::Count(i as u64 + 1), c.name.clone(), 1, u64::from(c.on_time)))
        .collect();
    let on_time = counties.iter().filter(|c| c.on_time).count() as u64;
    rows.push(row(Cell::Text(String::new()), "合计".into(), counties.len() as u64, on_time));
    form(
        h,
        "附件3 主动上报",
        "地区审核员主动审核上报率统计表",
        vec!["序号", "地区", "审核员总数", "主动上报数", "主动上报率"],
        rows,
    )
}

/// 附件4: connected, 100M and multimedia figures per county.
fn network_form(
    h: &Letterhead,
    counties: &[CountyLine],
    of: &[Vec<&SubmissionData>],
    all: &[&SubmissionData],
    denominator: BandwidthDenominator,
) -> Form {
    let rows = per_county(counties, of, all, |schools| {
        let f = schools.iter().copied().collect::<Counts>().figures(denominator);
        vec![
            Cell::Count(f.schools),
            Cell::Count(f.unconnected),
            Cell::Rate(f.connected_rate),
            Cell::Count(f.bandwidth_100m),
            Cell::Rate(f.bandwidth_100m_rate),
            Cell::Rate(f.multimedia_rate),
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
        ],
        rows,
    )
}
