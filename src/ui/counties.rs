//! A city's county board: one aligned line per county and one for the whole city, columns
//! dropped from the right when the terminal is too narrow for them all.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use super::table::{Align, render};
use super::theme::Theme;
use crate::app::{App, CountyBoard};
use crate::bundle::city_status::report_text_mark;
use crate::bundle::manifest::StateCounts;
use crate::i18n::{Lang, fill};

pub fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, board: &CountyBoard, theme: Theme) {
    // At a province the top board lists cities.
    let cities = app.settings.province && board.city.is_none();
    let text = table(app.lang(), board, cities, usize::from(area.width).saturating_sub(2));
    let mut lines: Vec<&str> = text.lines().collect();
    let heading = lines.remove(0);
    // Keep the highlight on screen when a city has more counties than the body has lines.
    let room = usize::from(area.height).saturating_sub(1).max(1);
    let offset = (board.cursor + 1).saturating_sub(room);
    let mut out = vec![Line::styled(format!("  {heading}"), theme.title())];
    for (i, line) in lines.iter().enumerate().skip(offset).take(room) {
        let missing = board.rows.get(i).is_some_and(|r| !r.received);
        let style = match (i == board.cursor, missing) {
            (true, _) => theme.cursor(true),
            (false, true) => theme.dim(),
            (false, false) => ratatui::style::Style::new(),
        };
        out.push(Line::styled(format!("  {line}"), style));
    }
    frame.render_widget(Paragraph::new(out), area);
}

/// The board as text lines (heading first), at most `width` columns wide.
fn table(lang: Lang, board: &CountyBoard, cities: bool, width: usize) -> String {
    let m = lang.msg();
    let count = |c: Option<&StateCounts>, f: fn(&StateCounts) -> u64| c.map_or(String::new(), |c| f(c).to_string());
    let mut cells: Vec<Vec<String>> = board
        .rows
        .iter()
        .map(|r| {
            let time = r.created_at.as_deref().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
            let report = match (r.sequence, time) {
                _ if r.own => String::new(),
                (Some(sequence), Some(time)) => {
                    fill(&m.ui_board_report, &[("sequence", &sequence), ("time", &time.format("%m-%d %H:%M"))])
                }
                _ => m.ui_board_missing.clone(),
            };
            let on_time = match r.inside_window {
                _ if r.returned.is_some() => m.city_received_returned.clone(),
                Some(true) => m.ui_board_on_time.clone(),
                Some(false) => m.ui_board_late.clone(),
                None => String::new(),
            };
            let c = r.counts.as_ref();
            let name = if r.own { m.ui_board_own.clone() } else { format!("{}（{}）", r.county, r.county_code) };
            vec![
                name,
                report,
                on_time,
                if r.received && !r.own { report_text_mark(lang, r) } else { String::new() },
                count(c, |c| c.schools),
                count(c, |c| c.approved),
                count(c, |c| c.returned),
                r.undecided().map_or(String::new(), |n| n.to_string()),
            ]
        })
        .collect();
    let total = board.rows.iter().filter_map(|r| r.counts.as_ref()).fold(StateCounts::default(), |mut t, c| {
        t.schools += c.schools;
        t.approved += c.approved;
        t.returned += c.returned;
        t.submitted += c.submitted + c.flagged;
        t
    });
    let t = Some(&total);
    cells.push(vec![
        if cities { m.ui_board_all_cities.clone() } else { m.ui_board_all.clone() },
        String::new(),
        String::new(),
        String::new(),
        count(t, |c| c.schools),
        count(t, |c| c.approved),
        count(t, |c| c.returned),
        count(t, |c| c.submitted),
    ]);
    let headers = [
        if cities { &m.province_col_city } else { &m.city_col_county },
        &m.ui_board_col_report,
        &m.city_col_on_time,
        &m.city_col_report_text,
        &m.city_col_schools,
        &m.city_col_approved,
        &m.city_col_returned,
        &m.city_col_pending,
    ];
    let mut headers: Vec<&str> = headers.iter().map(|h| h.as_str()).collect();
    let mut align = vec![
        Align::Left,
        Align::Left,
        Align::Left,
        Align::Left,
        Align::Right,
        Align::Right,
        Align::Right,
        Align::Right,
    ];
    // The counts go first, from the right, when the terminal is narrow.
    loop {
        let text = render(&headers, &align, &cells);
        if headers.len() <= 2 || text.lines().all(|l| l.width() <= width) {
            return text;
        }
        headers.pop();
        align.pop();
        cells.iter_mut().for_each(|row| {
            row.pop();
        });
    }
}
