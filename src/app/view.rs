//! Which schools the list shows, and in what order: the filters of the `F` menu and the sort
//! orders of `s`, applied to the in-memory index.

use std::cmp::Reverse;

use crate::domain::{ReviewState, SchoolType};
use crate::i18n::Lang;
use crate::store::{IndexRow, ReviewIndex};

/// The list's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    /// What needs the auditor first: 有疑问 (errors first), 待审核, then the rest.
    #[default]
    Attention,
    Code,
    Name,
    Findings,
    State,
}

impl SortOrder {
    pub const ALL: [SortOrder; 5] =
        [SortOrder::Attention, SortOrder::Code, SortOrder::Name, SortOrder::Findings, SortOrder::State];

    pub fn label(self, lang: Lang) -> &'static str {
        let m = lang.msg();
        match self {
            SortOrder::Attention => &m.sort_attention,
            SortOrder::Code => &m.sort_code,
            SortOrder::Name => &m.sort_name,
            SortOrder::Findings => &m.sort_findings,
            SortOrder::State => &m.sort_state,
        }
    }
}

/// The three dispatch lists of 附件5, in the order of [`crate::domain::dispatch::lists_of`].
pub const DISPATCH_LISTS: usize = 3;

/// One choice in the filter menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterItem {
    State(ReviewState),
    /// A bit of `IndexRow::rules`.
    Rule(u8),
    SchoolType(SchoolType),
    /// A bit of `IndexRow::lists`.
    List(u8),
    /// A position in `ReviewIndex::counties`.
    County(u8),
}

/// The filters in force: at most one choice per group, all groups must hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Filter {
    pub state: Option<ReviewState>,
    pub rule: Option<u8>,
    pub school_type: Option<SchoolType>,
    pub list: Option<u8>,
    pub county: Option<u8>,
    /// Only the schools reviewed here (a city's 直属 schools).
    pub own: bool,
    /// Only the schools one unit's report carries (at a province, one city's).
    pub unit: Option<u8>,
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }

    pub fn admits(&self, row: &IndexRow) -> bool {
        self.state.is_none_or(|s| row.state == s)
            && self.rule.is_none_or(|bit| row.rules & (1 << bit) != 0)
            && self.school_type.is_none_or(|t| row.school_type == Some(t))
            && self.list.is_none_or(|bit| row.lists & (1 << bit) != 0)
            && self.county.is_none_or(|c| row.county == c)
            && (!self.own || row.own)
            && self.unit.is_none_or(|u| row.unit == u)
    }

    pub fn has(&self, item: FilterItem) -> bool {
        match item {
            FilterItem::State(s) => self.state == Some(s),
            FilterItem::Rule(b) => self.rule == Some(b),
            FilterItem::SchoolType(t) => self.school_type == Some(t),
            FilterItem::List(b) => self.list == Some(b),
            FilterItem::County(c) => self.county == Some(c),
        }
    }

    /// Chooses `item` in its group, or clears the group if it was the choice.
    pub fn toggle(&mut self, item: FilterItem) {
        fn flip<T: PartialEq>(slot: &mut Option<T>, v: T) {
            *slot = if slot.as_ref() == Some(&v) { None } else { Some(v) };
        }
        match item {
            FilterItem::State(s) => flip(&mut self.state, s),
            FilterItem::Rule(b) => flip(&mut self.rule, b),
            FilterItem::SchoolType(t) => flip(&mut self.school_type, t),
            FilterItem::List(b) => flip(&mut self.list, b),
            FilterItem::County(c) => flip(&mut self.county, c),
        }
    }
}

/// The filter menu's choices for this index: the counties when there are several (a city),
/// every state, the rules with open findings, the school types present, the dispatch lists.
pub fn filter_items(index: &ReviewIndex) -> Vec<FilterItem> {
    let mut items: Vec<FilterItem> = Vec::new();
    if index.counties.len() > 1 {
        items.extend((0..index.counties.len().min(usize::from(u8::MAX))).map(|c| FilterItem::County(c as u8)));
    }
    items.extend(ReviewState::ALL.iter().map(|s| FilterItem::State(*s)));
    items.extend((0..index.rules.len().min(32)).map(|b| FilterItem::Rule(b as u8)));
    items.extend(
        SchoolType::ALL
            .iter()
            .filter(|t| index.rows.iter().any(|r| r.school_type == Some(**t)))
            .map(|t| FilterItem::SchoolType(*t)),
    );
    items.extend((0..DISPATCH_LISTS as u8).map(FilterItem::List));
    items
}

/// How many schools of the index one filter item alone admits.
pub fn count(rows: &[IndexRow], item: FilterItem) -> usize {
    let mut f = Filter::default();
    f.toggle(item);
    rows.iter().filter(|r| f.admits(r)).count()
}

/// Positions in `rows` of the schools `filter` admits, in `order`.
pub fn build(rows: &[IndexRow], filter: &Filter, order: SortOrder) -> Vec<u32> {
    let mut view: Vec<u32> = (0..rows.len() as u32).filter(|&i| filter.admits(&rows[i as usize])).collect();
    // `rows` is by school code, so a stable sort keeps code order inside equal keys.
    match order {
        SortOrder::Code => {}
        SortOrder::Attention => view.sort_by_key(|&i| {
            let r = &rows[i as usize];
            (r.state.attention(), Reverse(r.open_errors), Reverse(r.open_findings))
        }),
        SortOrder::Name => view.sort_by(|&a, &b| rows[a as usize].name.cmp(&rows[b as usize].name)),
        SortOrder::Findings => {
            view.sort_by_key(|&i| (Reverse(rows[i as usize].open_errors), Reverse(rows[i as usize].open_findings)))
        }
        SortOrder::State => view.sort_by_key(|&i| ReviewState::ALL.iter().position(|s| *s == rows[i as usize].state)),
    }
    view
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(code: &str, state: ReviewState, errors: u16, findings: u16) -> IndexRow {
        IndexRow {
            id: 0,
            code: code.into(),
            name: code.into(),
            school_type: Some(SchoolType::Primary),
            state,
            open_findings: findings,
            open_errors: errors,
            rules: u32::from(findings > 0),
            lists: 0,
            county: 0,
            own: true,
            unit: u8::MAX,
        }
    }

    #[test]
    fn attention_puts_errors_then_flags_then_pending_first() {
        let rows = vec![
            row("1", ReviewState::Approved, 0, 0),
            row("2", ReviewState::Submitted, 0, 0),
            row("3", ReviewState::Flagged, 0, 1),
            row("4", ReviewState::Flagged, 1, 1),
            row("5", ReviewState::Unfilled, 0, 0),
        ];
        let order = build(&rows, &Filter::default(), SortOrder::Attention);
        assert_eq!(order, vec![3, 2, 1, 4, 0]);
        let mut f = Filter::default();
        f.toggle(FilterItem::Rule(0));
        assert_eq!(build(&rows, &f, SortOrder::Code), vec![2, 3]);
        f.toggle(FilterItem::State(ReviewState::Flagged));
        f.toggle(FilterItem::State(ReviewState::Approved));
        assert_eq!(f.state, Some(ReviewState::Approved), "one choice per group");
        assert!(build(&rows, &f, SortOrder::Code).is_empty());
        f.toggle(FilterItem::State(ReviewState::Approved));
        assert_eq!(f.state, None, "choosing it again clears the group");
    }
}
