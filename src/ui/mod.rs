//! Rendering only: the review screen drawn from an [`App`], never touching the store. Also the
//! CLI's aligned tables ([`table`]).
//!
//! Layout, top to bottom: a two-line header (place, period, window; counts and progress), the
//! body (the list, and the detail beside it when the terminal is at least [`WIDE`] columns, or
//! instead of it when opened on a narrower one), a status line and a line of key hints.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use crate::app::{Action, App, BackupDue, Focus, Mode};
use crate::domain::{ReviewState, WindowStatus};
use crate::i18n::fill;

mod counties;
mod detail;
mod dialogs;
mod list;
pub mod table;
pub mod text;
pub mod theme;

#[cfg(test)]
mod tests;

use theme::Theme;

/// From this width on, the list and the detail are shown side by side.
pub const WIDE: u16 = 120;

/// The parts of the screen.
struct Areas {
    header: Rect,
    /// Between the header and the status line: the list and the detail, or a city's board.
    body: Rect,
    list: Rect,
    detail: Option<Rect>,
    status: Rect,
    keys: Rect,
}

fn areas(area: Rect, app: Option<&App>) -> Areas {
    let [header, body, status, keys] =
        Layout::vertical([Constraint::Length(2), Constraint::Fill(1), Constraint::Length(1), Constraint::Length(1)])
            .areas(area);
    let wide = area.width >= WIDE;
    let detail_open = app.is_some_and(|a| a.detail_open);
    if wide {
        let list_width = (area.width * 7 / 12).min(88);
        let [list, _gap, detail] =
            Layout::horizontal([Constraint::Length(list_width), Constraint::Length(1), Constraint::Fill(1)])
                .areas(body);
        Areas { header, body, list, detail: Some(detail), status, keys }
    } else if detail_open {
        Areas { header, body, list: Rect::default(), detail: Some(body), status, keys }
    } else {
        Areas { header, body, list: body, detail: None, status, keys }
    }
}

/// How many school rows the list shows in a terminal of `size` (the runner tells the app).
pub fn list_height(size: ratatui::layout::Size) -> usize {
    let area = Rect::new(0, 0, size.width, size.height);
    let body = areas(area, None).list;
    usize::from(body.height.saturating_sub(1))
}

pub fn is_wide(width: u16) -> bool {
    width >= WIDE
}

/// Draws the whole screen.
pub fn draw(frame: &mut Frame<'_>, app: &App) {
    let theme = Theme { color: app.settings.color };
    let area = frame.area();
    if app.period.is_none() {
        dialogs::first_run(frame, area, app, theme);
        return;
    }
    let a = areas(area, Some(app));
    header(frame, a.header, app, theme);
    if let Some(board) = app.board.as_ref().filter(|b| b.shown) {
        counties::draw(frame, a.body, app, board, theme);
        status(frame, a.status, app, theme);
        keys(frame, a.keys, app, theme);
        dialogs::draw(frame, area, app, theme);
        return;
    }
    if a.list.height > 0 {
        list::draw(frame, a.list, app, theme);
    }
    if let Some(d) = a.detail {
        if a.list.height > 0 {
            let sep = Rect { x: d.x - 1, width: 1, ..d };
            let bar: Vec<Line<'_>> = (0..sep.height).map(|_| Line::styled("|", theme.dim())).collect();
            frame.render_widget(Paragraph::new(bar), sep);
        }
        detail::draw(frame, d, app, theme);
    }
    status(frame, a.status, app, theme);
    keys(frame, a.keys, app, theme);
    dialogs::draw(frame, area, app, theme);
}

fn header(frame: &mut Frame<'_>, area: Rect, app: &App, theme: Theme) {
    let (lang, m) = (app.lang(), app.lang().msg());
    let period = app.period.map(|p| p.to_string()).unwrap_or_default();
    let place = match app.open_county_name().filter(|_| !app.board_shown()) {
        Some(county) => format!("{} {county}", app.place),
        None => app.place.clone(),
    };
    let mut first = format!(" {}  {place}  {period}", m.ui_title);
    if app.read_only() {
        let label = if app.settings.province { &m.ui_province_read_only } else { &m.ui_city_read_only };
        first.push_str(&format!("  {label}"));
    } else if app.locked {
        first.push_str(&format!("  {}", m.ui_locked));
    } else if let Some((window, status)) = app.window() {
        let date = |d: chrono::NaiveDate| {
            use chrono::Datelike;
            fill(&m.ui_date, &[("month", &d.month()), ("day", &d.day())])
        };
        let (f, l) = (date(window.first), date(window.last));
        let text = match status {
            WindowStatus::Before(days) => fill(&m.ui_window_before, &[("first", &f), ("last", &l), ("days", &days)]),
            WindowStatus::Open(days) => fill(&m.ui_window_open, &[("first", &f), ("last", &l), ("days", &days)]),
            WindowStatus::Closed(days) => fill(&m.ui_window_closed, &[("last", &l), ("days", &days)]),
        };
        first.push_str(&format!("  {text}"));
    }
    if let Some(board) = app.board.as_ref().filter(|b| b.shown) {
        // A city's counties opened at a province: named, and counted as counties.
        let mut summary =
            crate::bundle::city_status::summary(lang, &board.rows, app.settings.province && board.city.is_none());
        if let Some((_, city)) = &board.city {
            summary = format!("{city}：{summary}");
        }
        let lines = vec![Line::styled(first, theme.header()), Line::styled(format!(" {summary}"), theme.title())];
        frame.render_widget(Paragraph::new(lines), area);
        frame.buffer_mut().set_style(Rect { height: 1, ..area }, theme.header());
        return;
    }
    let counts = app.state_counts();
    let total: usize = counts.iter().sum::<usize>() - counts[0];
    let done = counts[3] + counts[4];
    let percent = (done * 100).checked_div(total).unwrap_or(0);
    let progress = fill(&m.ui_progress, &[("done", &done), ("total", &total), ("percent", &percent)]);
    // Each state as symbol, word and count. When the line is too narrow the progress loses its
    // percentage first, then the states their words (the help explains the symbols).
    let count_text = |s: &ReviewState, n: usize, words: bool| {
        if words {
            format!("{} {} {n}", theme::symbol(*s), s.label(lang))
        } else {
            format!("{} {n}", theme::symbol(*s))
        }
    };
    let full: usize = ReviewState::ALL.iter().zip(counts).map(|(s, n)| count_text(s, n, true).width() + 2).sum();
    let fits = |progress: &str| 1 + full + progress.width() <= usize::from(area.width);
    let short = progress.split(['（', '(']).next().unwrap_or_default().trim_end().to_string();
    let (words, progress) = match (fits(&progress), fits(&short)) {
        (true, _) => (true, progress),
        (false, true) => (true, short),
        (false, false) => (false, progress),
    };
    let mut second: Vec<Span<'_>> = vec![Span::raw(" ")];
    for (s, n) in ReviewState::ALL.iter().zip(counts) {
        second.push(Span::styled(count_text(s, n, words), theme.state(*s)));
        second.push(Span::raw("  "));
    }
    second.push(Span::styled(progress, theme.title()));
    let lines = vec![Line::styled(first, theme.header()), Line::from(second)];
    frame.render_widget(Paragraph::new(lines).style(Style::new()), area);
    // The first line is a bar across the whole width.
    frame.buffer_mut().set_style(Rect { height: 1, ..area }, theme.header());
}

fn status(frame: &mut Frame<'_>, area: Rect, app: &App, theme: Theme) {
    let (lang, m) = (app.lang(), app.lang().msg());
    if let Mode::Search { editor, .. } = &app.mode {
        let label = &m.ui_search_label;
        let room = usize::from(area.width).saturating_sub(label.width() + 1);
        let (shown, col) = editor.window(room);
        let found = app.search.as_ref().map(|s| format!("  ({})", s.matches.len())).unwrap_or_default();
        let line = Line::from(vec![Span::styled(label.as_str(), theme.key()), Span::raw(shown), Span::raw(found)]);
        frame.render_widget(Paragraph::new(line), area);
        frame.set_cursor_position(Position::new(area.x + (label.width() + col) as u16, area.y));
        return;
    }
    if let Some(s) = &app.status {
        let style = if s.error { theme.error() } else { Style::new() };
        frame.render_widget(Paragraph::new(Line::styled(format!(" {}", s.text), style)), area);
        return;
    }
    if let Some(board) = app.board.as_ref().filter(|b| b.shown) {
        let text = match board.current() {
            Some(row) => {
                let mut parts = Vec::new();
                if let Some(c) = row.conflicts.first() {
                    parts.push(fill(
                        &m.ui_board_conflicts,
                        &[
                            ("count", &row.conflicts.len()),
                            ("code", &c.school_code),
                            ("other", &c.other_county),
                            ("sequence", &c.other_sequence),
                        ],
                    ));
                }
                if let Some(reason) = &row.forced {
                    parts.push(fill(&m.ui_board_forced, &[("reason", reason)]));
                }
                let separator = if app.lang() == crate::i18n::Lang::Zh { "；" } else { "; " };
                if parts.is_empty() { m.ui_board_hint.clone() } else { parts.join(separator) }
            }
            None => m.ui_board_all_hint.clone(),
        };
        frame.render_widget(Paragraph::new(Line::styled(format!(" {text}"), theme.dim())), area);
        return;
    }
    let mut parts = Vec::new();
    if !app.filter.is_empty() {
        parts.push(fill(&m.ui_filter_on, &[("filters", &dialogs::filter_summary(app))]));
    }
    parts.push(fill(&m.ui_sort_on, &[("sort", &app.sort.label(lang))]));
    if app.selected_count > 0 {
        parts.push(fill(&m.ui_selected, &[("count", &app.selected_count)]));
    }
    if app.index.missing_schools > 0 {
        parts.push(fill(&m.ui_missing_schools, &[("count", &app.index.missing_schools)]));
    }
    let position =
        fill(&m.ui_list_position, &[("n", &(app.cursor + 1).min(app.view.len())), ("total", &app.list_total())]);
    // The backup reminder comes first, in the warning colour; the rest is cut to what is left.
    let reminder = match app.backup_due {
        Some(BackupDue::Never) => format!(" {} ", m.ui_backup_never),
        Some(BackupDue::DaysAgo(days)) => format!(" {} ", fill(&m.ui_backup_old, &[("days", &days)])),
        None => String::new(),
    };
    let left = format!(" {}", parts.join("  "));
    let room = usize::from(area.width).saturating_sub(position.width() + 1 + reminder.width());
    let line = format!("{}{position}", text::pad(&text::truncate(&left, room), room));
    let spans = vec![Span::styled(reminder, theme.warning()), Span::styled(line, theme.dim())];
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The keys that work in the current mode, as many as fit.
fn keys(frame: &mut Frame<'_>, area: Rect, app: &App, theme: Theme) {
    let m = app.lang().msg();
    let map = &app.settings.keymap;
    let bound = |a: Action| map.keys(a).first().map(ToString::to_string).unwrap_or_default();
    let hints: Vec<(String, &str)> = match &app.mode {
        Mode::Normal if app.board_shown() => vec![
            ("j/k".into(), &m.key_move),
            (bound(Action::Open), &m.key_open_county),
            (bound(Action::Help), &m.key_help),
            (bound(Action::Quit), &m.key_quit),
        ],
        Mode::Normal if app.focus == Focus::Detail => vec![
            ("j/k".into(), &m.key_scroll),
            ("Esc".into(), &m.key_back),
            (bound(Action::Approve), &m.key_approve),
            (bound(Action::Return), &m.key_return),
            (bound(Action::Flag), &m.key_flag),
            (bound(Action::Comment), &m.key_comment),
            (bound(Action::Undo), &m.key_undo),
            (bound(Action::Help), &m.key_help),
            (bound(Action::Quit), &m.key_quit),
        ],
        Mode::Normal if app.board.is_some() && !app.read_only() => vec![
            (bound(Action::Open), &m.key_open),
            ("Esc".into(), &m.key_counties),
            (bound(Action::Approve), &m.key_approve),
            (bound(Action::Return), &m.key_return),
            (bound(Action::Flag), &m.key_flag),
            (bound(Action::Undo), &m.key_undo),
            (bound(Action::Search), &m.key_search),
            (bound(Action::Filter), &m.key_filter),
            (bound(Action::Help), &m.key_help),
            (bound(Action::Quit), &m.key_quit),
        ],
        Mode::Normal if app.board.is_some() => vec![
            (bound(Action::Open), &m.key_open),
            ("Esc".into(), &m.key_counties),
            (bound(Action::Search), &m.key_search),
            (bound(Action::Filter), &m.key_filter),
            (bound(Action::Sort), &m.key_sort),
            (bound(Action::Help), &m.key_help),
            (bound(Action::Quit), &m.key_quit),
        ],
        Mode::Normal => vec![
            (bound(Action::Open), &m.key_open),
            (bound(Action::Approve), &m.key_approve),
            (bound(Action::Return), &m.key_return),
            (bound(Action::Flag), &m.key_flag),
            (bound(Action::Undo), &m.key_undo),
            (bound(Action::Search), &m.key_search),
            (bound(Action::Filter), &m.key_filter),
            (bound(Action::Select), &m.key_select),
            (bound(Action::Help), &m.key_help),
            (bound(Action::Quit), &m.key_quit),
            (bound(Action::Sort), &m.key_sort),
            (bound(Action::Comment), &m.key_comment),
            (bound(Action::Export), &m.key_export),
        ],
        Mode::Search { .. } => vec![("Enter".into(), &m.key_confirm), ("Esc".into(), &m.key_cancel)],
        Mode::Prompt(_) | Mode::Confirm(_) | Mode::Export(_) => {
            vec![("Enter".into(), &m.key_confirm), ("Esc".into(), &m.key_cancel)]
        }
        Mode::Filter { .. } | Mode::Sort { .. } => {
            vec![("j/k".into(), &m.key_move), ("Enter".into(), &m.key_choose), ("Esc".into(), &m.key_close)]
        }
        Mode::Help { .. } => vec![("j/k".into(), &m.key_scroll), ("Esc".into(), &m.key_close)],
    };
    // A city decides nothing about its counties' schools: there the hints leave the decision
    // keys out.
    let decisions =
        [&m.key_approve, &m.key_return, &m.key_flag, &m.key_comment, &m.key_undo, &m.key_select, &m.key_export];
    let hints =
        hints.into_iter().filter(|(_, label)| !(app.read_only() && decisions.iter().any(|d| d.as_str() == *label)));
    let mut spans = vec![Span::raw(" ")];
    let mut used = 1;
    for (key, label) in hints {
        let w = key.width() + 1 + label.width() + 2;
        if used + w > usize::from(area.width) {
            break;
        }
        used += w;
        spans.push(Span::styled(key, theme.key()));
        spans.push(Span::raw(format!(" {label}  ")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
