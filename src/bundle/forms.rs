//! The circulars' forms as data: the 统计表 (附件4 with the 附件1 fill columns) and the
//! 半月调度表 (附件5), and the small form of a return notice. The CSV (`tables`) and the
//! workbook (`workbook`) are both written from a [`Form`], so the two always say the same.

use super::tables::Letterhead;
use crate::domain::Period;
use crate::domain::SchoolType;
use crate::domain::dispatch::{DispatchEntry, DispatchLists};
use crate::domain::stats::{Figures, Rate};
use crate::i18n::Lang;

/// One cell of a form, typed so that the CSV writes text and the workbook numbers.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Text(String),
    Count(u64),
    /// Empty when the rate is over no schools.
    Rate(Option<Rate>),
}

impl Cell {
    /// The cell as the CSV writes it: `85.63%` for a rate, nothing for an undefined one.
    pub(crate) fn text(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Count(n) => n.to_string(),
            Cell::Rate(r) => r.map(|r| format!("{r}%")).unwrap_or_default(),
        }
    }
}

/// A form as the circulars lay it out: a title, lines under it (填表人…), a table, and lines
/// after it. The CSV and the workbook are both written from this, so they say the same.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Form {
    pub sheet: &'static str,
    pub title: String,
    pub lines: Vec<String>,
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
    pub footer: Vec<String>,
    /// The first column names a group on the group's first row only (附件5's 类别): the
    /// workbook merges it down over the group, as the circular does.
    pub grouped: bool,
    /// Print across the page (wide tables).
    pub landscape: bool,
}

/// 填表人, 联系电话 and 填表日期, one line each.
pub(crate) fn letterhead_lines(h: &Letterhead) -> Vec<String> {
    vec![
        format!("填表人：{}", h.auditor_name.trim()),
        format!("联系电话：{}", h.auditor_phone.trim()),
        format!("填表日期：{}", h.date.format("%Y-%m-%d")),
    ]
}

pub(crate) fn statistics_form(h: &Letterhead, total: &Figures, by_type: &[(Option<SchoolType>, Figures)]) -> Form {
    let row = |number: Cell, area: String, f: &Figures| {
        vec![
            number,
            Cell::Text(area),
            Cell::Count(f.schools),
            Cell::Count(f.filled),
            Cell::Count(f.unfilled),
            Cell::Rate(f.fill_rate),
            Cell::Count(f.unconnected),
            Cell::Rate(f.connected_rate),
            Cell::Count(f.bandwidth_100m),
            Cell::Rate(f.bandwidth_100m_rate),
            Cell::Rate(f.multimedia_rate),
            Cell::Count(f.zero_multimedia),
        ]
    };
    // The county's row is the whole of the rows under it: it takes no 序号 of its own.
    let mut rows = vec![row(Cell::Text(String::new()), h.county.trim().to_string(), total)];
    for (i, (school_type, figures)) in by_type.iter().enumerate() {
        let label = school_type.map_or_else(|| Lang::Zh.msg().stats_unknown.clone(), |t| t.label_zh().to_string());
        rows.push(row(Cell::Count(i as u64 + 1), label, figures));
    }
    Form {
        sheet: "统计表",
        title: format!(
            "{}{}学校填报及联网攻坚行动进展情况统计表（{}）",
            h.city.trim(),
            h.county.trim(),
            period_zh(h.period)
        ),
        lines: letterhead_lines(h),
        header: vec![
            "序号",
            "地区/办学类型",
            "学校总数",
            "已填报",
            "未填报",
            "填报率",
            "未联网学校数",
            "互联网接入率",
            "带宽达到100M以上学校数",
            "带宽达到100M以上学校比例",
            "有多媒体教室的学校比例",
            "无多媒体教室学校数",
        ],
        rows,
        footer: Vec::new(),
        grouped: false,
        landscape: true,
    }
}

pub(crate) fn dispatch_form(h: &Letterhead, lists: &DispatchLists) -> Form {
    let mut rows = Vec::new();
    for (category, list) in [
        ("未联网学校", &lists.not_connected),
        ("带宽不足100M学校", &lists.under_100m),
        ("无多媒体教室学校", &lists.no_multimedia),
    ] {
        let text = |s: &str| Cell::Text(s.to_string());
        if list.is_empty() {
            rows.push(vec![text(category), text(""), text(""), text(""), text("（无）"), text("")]);
        }
        for (i, e) in list.iter().enumerate() {
            rows.push(dispatch_row(h, if i == 0 { category } else { "" }, i + 1, e));
        }
    }
    Form {
        sheet: "半月调度表",
        title: format!("{}{}未联网、带宽不足100M、无多媒体教室学校名单（半月调度表）", h.city.trim(), h.county.trim()),
        lines: letterhead_lines(h),
        header: vec!["类别", "序号", "市（州）", "县（市、区）", "学校名称", "学校类型"],
        rows,
        footer: Vec::new(),
        grouped: true,
        landscape: false,
    }
}

/// One school of a list; a sheet without its city or county is the letterhead's county's.
fn dispatch_row(h: &Letterhead, category: &str, number: usize, e: &DispatchEntry) -> Vec<Cell> {
    let or = |v: &Option<String>, default: &str| v.clone().unwrap_or_else(|| default.trim().to_string());
    vec![
        Cell::Text(category.to_string()),
        Cell::Count(number as u64),
        Cell::Text(or(&e.city, &h.city)),
        Cell::Text(or(&e.county, &h.county)),
        Cell::Text(e.name.clone()),
        Cell::Text(e.school_type.map(|t| t.label_zh().to_string()).unwrap_or_default()),
    ]
}

/// 2026年第三季度, 2026年9月: the period as the circulars write it.
pub(crate) fn period_zh(p: Period) -> String {
    match p {
        Period::Quarter { year, quarter } => {
            let q = ["一", "二", "三", "四"].get(usize::from(quarter).wrapping_sub(1)).copied().unwrap_or("?");
            format!("{year}年第{q}季度")
        }
        Period::Month { year, month } => format!("{year}年{month}月"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_read_as_the_circulars_write_them() {
        assert_eq!(period_zh("2026Q3".parse().unwrap()), "2026年第三季度");
        assert_eq!(period_zh("2026-09".parse().unwrap()), "2026年9月");
    }
}
