//! The school list: one line per school on screen, columns padded by display width so that
//! Chinese names and everything after them line up.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::text::{pad, pad_left};
use super::theme::{Theme, symbol};
use crate::app::{App, Focus};
use crate::i18n::Lang;
use crate::rules::number_text;

/// Column widths for a list `width` columns wide; the name takes what is left.
struct Columns {
    code: usize,
    name: usize,
    kind: usize,
    state: usize,
    findings: usize,
    /// Bandwidth and students, shown when there is room.
    numbers: Option<usize>,
}

impl Columns {
    fn for_width(width: usize, lang: Lang) -> Columns {
        let (kind, state) = match lang {
            Lang::Zh => (6, 10),
            Lang::En => (8, 11),
        };
        let fixed = 2 + 11 + (kind + 1) + (state + 1) + 6;
        // The bandwidth and students columns only when the name keeps 22 columns.
        let numbers = (width >= fixed + 14 + 1 + 22).then_some(6);
        let name = width.saturating_sub(fixed + numbers.map_or(0, |n| 2 * (n + 1)) + 1).max(4);
        Columns { code: 10, name, kind, state, findings: 5, numbers }
    }
}

pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, theme: Theme) {
    let (lang, m) = (app.lang(), app.lang().msg());
    let c = Columns::for_width(usize::from(area.width), lang);
    let mut heading = format!(
        "  {} {} {} {} {}",
        pad(&m.ui_col_code, c.code),
        pad(&m.ui_col_name, c.name),
        pad(&m.ui_col_type, c.kind),
        pad(&m.ui_col_state, c.state),
        pad_left(&m.ui_col_findings, c.findings),
    );
    if let Some(n) = c.numbers {
        heading.push_str(&format!(" {} {}", pad_left(&m.ui_col_bandwidth, n), pad_left(&m.ui_col_students, n)));
    }
    let mut lines = vec![Line::styled(heading, theme.title())];
    if app.view.is_empty() {
        lines.push(Line::styled(format!("  {}", m.ui_empty_view), theme.dim()));
    }
    let matches = app.search.as_ref().map(|s| s.matches.as_slice()).unwrap_or_default();
    for (i, indicators) in app.visible.iter().enumerate() {
        let at = app.offset + i;
        let Some(&pos) = app.view.get(at) else { break };
        let row = &app.index.rows[pos as usize];
        let selected = if app.selected[pos as usize] { "*" } else { " " };
        let kind = row.school_type.map(|t| t.short_label(lang)).unwrap_or_default();
        let state = format!("{} {}", symbol(row.state), row.state.label(lang));
        let findings = match (row.open_findings, row.open_errors) {
            (0, _) => String::new(),
            (n, 0) => n.to_string(),
            (n, _) => format!("{n}!"),
        };
        let name_style = if matches.binary_search(&at).is_ok() { theme.matched() } else { Style::new() };
        let mut spans = vec![
            Span::raw(format!("{selected} ")),
            Span::raw(format!("{} ", pad(&row.code, c.code))),
            Span::styled(pad(&row.name, c.name), name_style),
            Span::raw(format!(" {} ", pad(kind, c.kind))),
            Span::styled(pad(&state, c.state), theme.state(row.state)),
            Span::styled(format!(" {}", pad_left(&findings, c.findings)), theme.warning()),
        ];
        if let Some(n) = c.numbers {
            let bandwidth = indicators.bandwidth_mbps.map(number_text).unwrap_or_default();
            let students = indicators.students.map(|s| s.to_string()).unwrap_or_default();
            spans.push(Span::raw(format!(" {} {}", pad_left(&bandwidth, n), pad_left(&students, n))));
        }
        let mut line = Line::from(spans);
        if at == app.cursor {
            line = line.style(theme.cursor(app.focus == Focus::List));
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines), area);
}
