//! What is drawn over the screen: the text prompt of a decision, the confirm step of a bulk
//! decision, the filter and sort menus, the full help; and the first-run screen.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use super::text::{pad, truncate, truncate_left};
use super::theme::{BORDER, Theme};
use crate::app::{Action, App, Confirm, ExportDialog, FilterItem, Intent, Mode, Prompt, SortOrder};
use crate::bundle::report_text::EXTENSIONS;
use crate::i18n::{Lang, fill};
use crate::rules::rule_title;

pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, theme: Theme) {
    match &app.mode {
        Mode::Prompt(p) => prompt(frame, area, app, p, theme),
        Mode::Confirm(c) => confirm(frame, area, app, c, theme),
        Mode::Export(d) => export(frame, area, app, d, theme),
        Mode::Filter { items, counts, cursor } => filter_menu(frame, area, app, items, counts, *cursor, theme),
        Mode::Sort { cursor } => sort_menu(frame, area, app, *cursor, theme),
        Mode::Help { scroll } => help(frame, area, app, *scroll, theme),
        Mode::Normal | Mode::Search { .. } => {}
    }
}

/// A box of `width` × `height` in the middle of `area`, cleared, with a title.
fn dialog(frame: &mut Frame<'_>, area: Rect, width: u16, height: u16, title: &str) -> Rect {
    let (w, h) = (width.min(area.width), height.min(area.height));
    let r = Rect::new(area.x + (area.width - w) / 2, area.y + (area.height - h) / 2, w, h);
    frame.render_widget(Clear, r);
    let title = truncate(title, usize::from(w.saturating_sub(4)));
    let block = Block::bordered().border_set(BORDER).title(format!(" {title} "));
    let inner = block.inner(r);
    frame.render_widget(block, r);
    inner
}

/// "2141010201 伏牛路小学", or "3 所学校".
fn target(app: &App, targets: &[u32]) -> String {
    match targets {
        [one] => {
            let r = &app.index.rows[*one as usize];
            format!("{} {}", r.code, r.name)
        }
        many => fill(&app.lang().msg().ui_target_many, &[("count", &many.len())]),
    }
}

fn prompt(frame: &mut Frame<'_>, area: Rect, app: &App, p: &Prompt, theme: Theme) {
    let m = app.lang().msg();
    let who = target(app, &p.targets);
    let (title, label) = match p.intent {
        Intent::Return => (fill(&m.ui_prompt_return, &[("target", &who)]), &m.ui_prompt_reason),
        Intent::Flag => (fill(&m.ui_prompt_flag, &[("target", &who)]), &m.ui_prompt_note),
        Intent::Comment => (fill(&m.ui_prompt_comment, &[("target", &who)]), &m.ui_prompt_note),
        Intent::Approve => (fill(&m.ui_prompt_override, &[("target", &who)]), &m.ui_prompt_note),
    };
    let presets = if p.intent == Intent::Return { app.settings.return_reasons.as_slice() } else { &[] };
    let height = 6 + if presets.is_empty() { 0 } else { presets.len() as u16 + 1 };
    let inner = dialog(frame, area, 76, height, &title);
    let width = usize::from(inner.width);
    let mut lines = Vec::new();
    if p.intent == Intent::Approve {
        let errors = p.targets.first().map_or(0, |t| app.index.rows[*t as usize].open_errors);
        lines.push(Line::raw(fill(&m.ui_prompt_override_why, &[("count", &errors)])));
    }
    let (shown, col) = p.editor.window(width.saturating_sub(label.width() + 1));
    let input_row = lines.len() as u16;
    lines.push(Line::from(vec![Span::styled(label.as_str(), theme.key()), Span::raw(shown)]));
    match &p.error {
        Some(e) => lines.push(Line::styled(e.clone(), theme.error())),
        None => lines.push(Line::raw("")),
    }
    if !presets.is_empty() {
        lines.push(Line::styled(m.ui_prompt_presets.clone(), theme.dim()));
        for (i, reason) in presets.iter().enumerate() {
            let mark = if p.preset == Some(i) { "> " } else { "  " };
            let style = if p.preset == Some(i) { theme.cursor(true) } else { Style::new() };
            lines.push(Line::styled(format!("{mark}{}", truncate(reason, width.saturating_sub(2))), style));
        }
    }
    lines.push(Line::styled(m.ui_prompt_keys.clone(), theme.dim()));
    frame.render_widget(Paragraph::new(lines), inner);
    // The terminal's cursor sits in the text, where an input method shows its candidates.
    frame.set_cursor_position(Position::new(inner.x + (label.width() + col) as u16, inner.y + input_row));
}

fn confirm(frame: &mut Frame<'_>, area: Rect, app: &App, c: &Confirm, theme: Theme) {
    let m = app.lang().msg();
    let n = c.targets.len();
    let question = match c.intent {
        Intent::Approve => fill(&m.ui_confirm_approve, &[("count", &n)]),
        Intent::Return => fill(&m.ui_confirm_return, &[("count", &n)]),
        Intent::Flag | Intent::Comment => fill(&m.ui_confirm_flag, &[("count", &n)]),
    };
    let mut lines = vec![Line::styled(question, theme.title())];
    if let Some(note) = &c.note {
        lines.push(Line::raw(fill(&m.ui_confirm_note, &[("note", note)])));
    }
    if c.skipped > 0 {
        lines.push(Line::styled(fill(&m.ui_confirm_skipped, &[("count", &c.skipped)]), theme.warning()));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(m.ui_confirm_keys.clone(), theme.key()));
    let inner = dialog(frame, area, 64, lines.len() as u16 + 2, &m.ui_confirm_title);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// What `e` will export: the file, the counts, what is undecided, the window, the lock.
fn export(frame: &mut Frame<'_>, area: Rect, app: &App, d: &ExportDialog, theme: Theme) {
    let (lang, m) = (app.lang(), app.lang().msg());
    let p = &d.preview;
    let c = &p.counts;
    let width: u16 = 72;
    let text_width = usize::from(width - 2);
    let folder = d.out_dir.display().to_string();
    let label = fill(&m.ui_export_folder, &[("path", &"")]);
    let mut lines = vec![
        Line::raw(fill(&m.ui_export_file, &[("path", &p.file_name)])),
        Line::raw(format!("{label}{}", truncate_left(&folder, text_width.saturating_sub(label.width())))),
        Line::raw(fill(
            &m.ui_export_counts,
            &[("schools", &c.schools), ("approved", &c.approved), ("returned", &c.returned), ("unfilled", &c.unfilled)],
        )),
    ];
    let (first, last) = (p.window.first.to_string(), p.window.last.to_string());
    let window = [("first", &first as &dyn std::fmt::Display), ("last", &last)];
    lines.push(match p.inside_window {
        true => Line::raw(fill(&m.ui_export_window_inside, &window)),
        false => Line::styled(fill(&m.ui_export_window_outside, &window), theme.warning()),
    });
    if !p.pending.is_empty() {
        lines.push(Line::styled(fill(&m.ui_export_pending, &[("count", &p.pending.len())]), theme.warning()));
        for (code, name, state) in p.pending.iter().take(3) {
            lines.push(Line::raw(truncate(&format!("  {code} {name} ({})", state.label(lang)), text_width)));
        }
    }
    if !p.units_not_on_time.is_empty() {
        let names: Vec<String> = p.units_not_on_time.iter().map(|(_, name, _)| crate::i18n::printable(name)).collect();
        let line = fill(&m.ui_export_units, &[("count", &names.len()), ("names", &names.join("、"))]);
        lines.push(Line::styled(truncate(&line, text_width), theme.warning()));
    }
    let mut cursor = None;
    match (&d.report_text_editor, &d.report_text) {
        (Some(editor), _) => {
            lines.push(Line::styled(fill(&m.ui_export_report_text_ask, &[("extensions", &EXTENSIONS)]), theme.key()));
            let prompt = "> ";
            let (shown, col) = editor.window(text_width.saturating_sub(prompt.width() + 1));
            cursor = Some((lines.len() as u16, (prompt.width() + col) as u16));
            lines.push(Line::from(vec![Span::styled(prompt, theme.key()), Span::raw(shown)]));
            lines.push(match &d.error {
                Some(e) => Line::styled(e.clone(), theme.error()),
                None => Line::styled(m.ui_export_report_text_keys.clone(), theme.dim()),
            });
        }
        (None, Some((path, entry))) => {
            let label = fill(&m.ui_export_report_text, &[("entry", entry), ("path", &"")]);
            let path = path.display().to_string();
            let room = text_width.saturating_sub(label.width() + 2);
            lines.push(Line::raw(fill(
                &m.ui_export_report_text,
                &[("entry", entry), ("path", &truncate_left(&path, room))],
            )));
        }
        (None, None) => lines.push(Line::styled(m.ui_export_no_report_text.clone(), theme.warning())),
    }
    lines.push(Line::styled(m.ui_export_lock.clone(), theme.dim()));
    lines.push(Line::raw(""));
    match &d.reason {
        // The 月报文本's line is being edited: its keys are under it.
        _ if d.report_text_editor.is_some() => {}
        None if !d.needs_reason() => lines.push(Line::styled(m.ui_export_keys.clone(), theme.key())),
        None => lines.push(Line::styled(m.ui_export_force_keys.clone(), theme.key())),
        Some(editor) => {
            let label = m.ui_export_reason.as_str();
            let (shown, col) = editor.window(text_width.saturating_sub(label.width() + 1));
            cursor = Some((lines.len() as u16, (label.width() + col) as u16));
            lines.push(Line::from(vec![Span::styled(label, theme.key()), Span::raw(shown)]));
            lines.push(match &d.error {
                Some(e) => Line::styled(e.clone(), theme.error()),
                None => Line::styled(m.ui_export_reason_keys.clone(), theme.dim()),
            });
        }
    }
    let inner = dialog(frame, area, width, lines.len() as u16 + 2, &m.ui_export_title);
    frame.render_widget(Paragraph::new(lines), inner);
    if let Some((row, col)) = cursor {
        frame.set_cursor_position(Position::new(inner.x + col, inner.y + row));
    }
}

/// The menu's words for one filter choice.
fn item_label(app: &App, item: FilterItem) -> String {
    let (lang, m) = (app.lang(), app.lang().msg());
    match item {
        FilterItem::State(s) => s.label(lang).to_string(),
        FilterItem::Rule(bit) => app.index.rules.get(usize::from(bit)).map_or(String::new(), |r| rule_title(r, lang)),
        FilterItem::SchoolType(t) => t.label(lang).to_string(),
        FilterItem::List(0) => m.dispatch_not_connected.clone(),
        FilterItem::List(1) => m.dispatch_under_100m.clone(),
        FilterItem::List(_) => m.dispatch_no_multimedia.clone(),
        FilterItem::County(c) => {
            app.index.counties.get(usize::from(c)).map_or(String::new(), |(code, name)| format!("{name}（{code}）"))
        }
    }
}

/// The filters in force, for the status line: "有疑问 + 小学".
pub fn filter_summary(app: &App) -> String {
    let f = &app.filter;
    let items = [
        f.county.map(FilterItem::County),
        f.state.map(FilterItem::State),
        f.rule.map(FilterItem::Rule),
        f.school_type.map(FilterItem::SchoolType),
        f.list.map(FilterItem::List),
    ];
    items.into_iter().flatten().map(|i| item_label(app, i)).collect::<Vec<_>>().join(" + ")
}

fn group(item: FilterItem) -> usize {
    match item {
        FilterItem::State(_) => 0,
        FilterItem::Rule(_) => 1,
        FilterItem::SchoolType(_) => 2,
        FilterItem::List(_) => 3,
        FilterItem::County(_) => 4,
    }
}

fn filter_menu(
    frame: &mut Frame<'_>,
    area: Rect,
    app: &App,
    items: &[FilterItem],
    counts: &[usize],
    cursor: usize,
    theme: Theme,
) {
    let m = app.lang().msg();
    let groups = [&m.ui_group_state, &m.ui_group_rule, &m.ui_group_type, &m.ui_group_list, &m.ui_group_county];
    let mut lines: Vec<Line<'_>> = Vec::new();
    let mut cursor_line = 0;
    for (i, item) in items.iter().enumerate() {
        if i == 0 || group(items[i - 1]) != group(*item) {
            lines.push(Line::styled(format!("[{}]", groups[group(*item)]), theme.title()));
        }
        let on = if app.filter.has(*item) { "(*)" } else { "( )" };
        let text = format!(" {on} {} ", pad(&item_label(app, *item), 30));
        let line = format!("{text}{:>6}", counts[i]);
        if i == cursor {
            cursor_line = lines.len();
        }
        let style = if i == cursor { theme.cursor(true) } else { Style::new() };
        lines.push(Line::styled(line, style));
    }
    let height = (lines.len() as u16 + 3).min(area.height.saturating_sub(2));
    let inner = dialog(frame, area, 48, height, &m.ui_filter_title);
    // Keep the highlighted line in view.
    let room = usize::from(inner.height.saturating_sub(1));
    let scroll = cursor_line.saturating_sub(room.saturating_sub(1));
    let shown: Vec<Line<'_>> = lines.into_iter().skip(scroll).take(room).collect();
    frame.render_widget(Paragraph::new(shown), inner);
    let keys = Rect { y: inner.y + inner.height.saturating_sub(1), height: 1, ..inner };
    frame.render_widget(Paragraph::new(Line::styled(m.ui_filter_keys.clone(), theme.dim())), keys);
}

fn sort_menu(frame: &mut Frame<'_>, area: Rect, app: &App, cursor: usize, theme: Theme) {
    let lang = app.lang();
    let lines: Vec<Line<'_>> = SortOrder::ALL
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let on = if *s == app.sort { "(*)" } else { "( )" };
            let style = if i == cursor { theme.cursor(true) } else { Style::new() };
            Line::styled(format!(" {on} {}", pad(s.label(lang), 26)), style)
        })
        .collect();
    let inner = dialog(frame, area, 36, lines.len() as u16 + 2, &lang.msg().ui_sort_title);
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The help of `assets/help/` as lines: `@action,action text` lines show the keys bound to
/// those actions in a column of their own, continuation lines are indented under the text.
pub fn help_lines(app: &App, theme: Theme) -> Vec<Line<'static>> {
    const KEYS: usize = 20;
    let text = match app.lang() {
        Lang::Zh => include_str!("../../assets/help/zh.txt"),
        Lang::En => include_str!("../../assets/help/en.txt"),
    };
    let map = &app.settings.keymap;
    let keys_of = |names: &str| {
        names
            .split(',')
            .filter_map(|n| Action::ALL.iter().find(|(name, _)| *name == n))
            .map(|(_, a)| map.keys(*a).iter().map(ToString::to_string).collect::<Vec<_>>().join("/"))
            .collect::<Vec<_>>()
            .join(" | ")
    };
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        if let Some(rest) = line.strip_prefix('@') {
            let (names, text) = rest.split_once(' ').unwrap_or((rest, ""));
            out.push(Line::from(vec![
                Span::styled(format!("  {}", pad(&keys_of(names), KEYS - 2)), theme.key()),
                Span::raw(text.to_string()),
            ]));
        } else if line.starts_with("  ") && out.last().is_some_and(|l: &Line<'_>| l.spans.len() == 2) {
            out.push(Line::from(vec![Span::raw(" ".repeat(KEYS)), Span::raw(line.trim_start().to_string())]));
        } else if line.starts_with('[') {
            out.push(Line::styled(line.to_string(), theme.title()));
        } else {
            out.push(Line::raw(line.to_string()));
        }
    }
    out
}

fn help(frame: &mut Frame<'_>, area: Rect, app: &App, scroll: u16, theme: Theme) {
    let width = area.width.saturating_sub(4).min(90);
    let inner = dialog(frame, area, width, area.height.saturating_sub(2), &app.lang().msg().ui_help_title);
    frame.render_widget(Paragraph::new(help_lines(app, theme)).wrap(Wrap { trim: false }).scroll((scroll, 0)), inner);
}

pub fn first_run(frame: &mut Frame<'_>, area: Rect, app: &App, theme: Theme) {
    let m = app.lang().msg();
    if matches!(app.mode, Mode::Help { .. }) {
        return help(frame, area, app, 0, theme);
    }
    let body = fill(&m.ui_first_run, &[("db", &app.settings.database)]);
    let mut lines = vec![Line::styled(m.ui_first_run_title.clone(), theme.title()), Line::raw("")];
    lines.extend(body.lines().map(|l| Line::raw(l.to_string())));
    let inner = dialog(frame, area, 76, lines.len() as u16 + 2, &m.ui_title);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
