//! The detail pane: every field beside the previous period's value (changes marked), the
//! findings with their messages, the revisions and what changed between them, and the log.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::text::pad;
use super::theme::{Theme, symbol};
use crate::app::{App, Focus};
use crate::domain::fields::changes;
use crate::domain::{Field, ReviewState};
use crate::i18n::{Lang, fill};
use crate::rules::{Severity, message, rule_title};
use crate::store::{LogEntry, SchoolDetail};

pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, theme: Theme) {
    let Some((_, detail)) = &app.detail else { return };
    let lines = lines(detail, app, usize::from(area.width), theme);
    let mut p = Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((app.detail_scroll, 0));
    if app.focus != Focus::Detail && !app.wide {
        p = p.style(Style::new());
    }
    frame.render_widget(p, area);
}

fn section(title: &str, theme: Theme) -> Line<'static> {
    Line::styled(format!("[{title}]"), theme.title())
}

fn lines(d: &SchoolDetail, app: &App, width: usize, theme: Theme) -> Vec<Line<'static>> {
    let (lang, m) = (app.lang(), app.lang().msg());
    let s = &d.current;
    let mut out = vec![Line::from(vec![
        Span::styled(format!("{}  {}  ", s.school_code, s.name), theme.title()),
        Span::styled(format!("{} {}", symbol(d.state), d.state.label(lang)), theme.state(d.state)),
    ])];
    // Fields: label, this period, previous period, and a mark where they differ.
    let label_w = match lang {
        Lang::Zh => 14,
        Lang::En => 17,
    };
    let value_w = width.saturating_sub(label_w + 4) / 2;
    let period = app.period.map(|p| p.to_string()).unwrap_or_default();
    let previous_title = match &d.previous {
        Some((p, _)) => fill(&m.ui_detail_previous, &[("period", p)]),
        None => m.ui_detail_no_previous.clone(),
    };
    out.push(Line::styled(
        format!(
            "{} {} {}",
            pad(&m.ui_detail_field, label_w),
            pad(&fill(&m.ui_detail_current, &[("period", &period)]), value_w),
            pad(&previous_title, value_w)
        ),
        theme.dim(),
    ));
    for f in Field::ALL.iter().filter(|f| !matches!(f, Field::SchoolCode | Field::Name)) {
        let now = f.value(s, lang);
        let before = d.previous.as_ref().map(|(_, p)| f.value(p, lang));
        // Every sheet has a new 填报时间; marking it would only hide the changes that matter.
        let changed = *f != Field::SubmittedAt && before.as_ref().is_some_and(|b| *b != now);
        let mark = if changed { "*" } else { " " };
        let style = if changed { theme.changed() } else { Style::new() };
        out.push(Line::from(vec![
            Span::raw(format!("{} ", pad(f.label(lang), label_w))),
            Span::styled(format!("{} ", pad(&now, value_w)), style),
            Span::styled(pad(&before.unwrap_or_default(), value_w), theme.dim()),
            Span::styled(format!(" {mark}"), theme.changed()),
        ]));
    }
    if !s.extras.is_empty() {
        out.push(section(&m.ui_detail_extras, theme));
        for (h, v) in &s.extras {
            out.push(Line::raw(format!("{} {v}", pad(h, label_w))));
        }
    }
    if d.previous.is_some() {
        out.push(Line::styled(m.ui_detail_changes_legend.clone(), theme.dim()));
    }
    out.push(Line::raw(""));
    out.push(section(&m.ui_detail_findings, theme));
    if d.findings.is_empty() {
        out.push(Line::styled(m.ui_detail_none.clone(), theme.dim()));
    }
    for f in &d.findings {
        let severity = Severity::from_key(&f.severity).unwrap_or(Severity::Warning);
        let style = match (f.resolution.as_str(), severity) {
            ("open", Severity::Error) => theme.error(),
            ("open", Severity::Warning) => theme.warning(),
            _ => theme.dim(),
        };
        let mut text = format!("[{}] {}: {}", severity.label(lang), rule_title(&f.rule, lang), message(f, lang));
        match f.resolution.as_str() {
            "overridden" => {
                text.push_str("  ");
                text.push_str(&fill(&m.ui_detail_overridden, &[("note", &f.note.clone().unwrap_or_default())]));
            }
            "resolved" => text.push_str(&format!("  ({})", m.ui_detail_resolved)),
            _ => {}
        }
        out.push(Line::styled(text, style));
    }
    out.push(Line::raw(""));
    out.push(section(&m.ui_detail_revisions, theme));
    for (i, r) in d.revisions.iter().enumerate() {
        let file = std::path::Path::new(&r.source_file)
            .file_name()
            .map_or(r.source_file.clone(), |n| n.to_string_lossy().into_owned());
        out.push(Line::raw(fill(
            &m.ui_detail_revision,
            &[("n", &r.revision), ("at", &short_time(&r.imported_at)), ("file", &file), ("row", &r.source_row)],
        )));
        let changed = match i.checked_sub(1).map(|p| &d.revisions[p]) {
            None => {
                out.push(Line::styled(format!("    {}", m.ui_detail_first_revision), theme.dim()));
                continue;
            }
            Some(before) => changes(&before.data, &r.data, lang),
        };
        if changed.is_empty() {
            out.push(Line::styled(format!("    {}", m.ui_detail_unchanged), theme.dim()));
        }
        for c in changed {
            out.push(Line::styled(
                format!("    {}: {} -> {}", c.label, shown(&c.before, lang), shown(&c.after, lang)),
                theme.changed(),
            ));
        }
    }
    out.push(Line::raw(""));
    out.push(section(&m.ui_detail_log, theme));
    for entry in &d.log {
        out.push(log_line(entry, lang));
    }
    out
}

fn shown(value: &str, lang: Lang) -> String {
    if value.is_empty() { lang.msg().value_empty.clone() } else { value.to_string() }
}

/// `2026-10-03T14:22:05+08:00` → `2026-10-03 14:22`.
fn short_time(at: &str) -> String {
    at.get(..16).map_or(at.to_string(), |t| t.replace('T', " "))
}

fn log_line(e: &LogEntry, lang: Lang) -> Line<'static> {
    let action = action_label(&e.action, lang);
    let state = |s: &Option<String>| {
        s.as_deref().and_then(ReviewState::from_key).map_or(String::new(), |s| s.label(lang).to_string())
    };
    let moved = match (&e.old_state, &e.new_state) {
        (Some(a), Some(b)) if a != b => format!(" ({} -> {})", state(&e.old_state), state(&e.new_state)),
        _ => String::new(),
    };
    // An undo's note is the action it took back.
    let note = match (e.action.as_str(), e.note.as_deref()) {
        ("undo", Some(undone)) => format!("  {}", action_label(undone, lang)),
        (_, Some(n)) => format!("  {n}"),
        (_, None) => String::new(),
    };
    let who = super::text::truncate(&e.actor, 12);
    Line::raw(format!("{}  {who}  {action}{moved}{note}", short_time(&e.at)))
}

/// The review log's action key as the auditor reads it.
fn action_label(action: &str, lang: Lang) -> String {
    let m = lang.msg();
    match action {
        "approve" => ReviewState::Approved.label(lang).to_string(),
        "return" => ReviewState::Returned.label(lang).to_string(),
        "flag" => ReviewState::Flagged.label(lang).to_string(),
        "comment" => m.action_comment.clone(),
        "undo" => m.action_undo.clone(),
        crate::store::CANCEL_RETURN => m.action_cancel_return.clone(),
        "check" => m.action_check.clone(),
        "import" => m.action_import.clone(),
        other => other.to_string(),
    }
}
