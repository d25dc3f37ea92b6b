//! `shenhe city status --period P`: every county of the config, in or missing, which report,
//! on time or late, schools by state.

use crate::bundle::city_status::{CountyStatus, conflict_lines, report_text_mark, statuses, summary};
use crate::bundle::manifest::StateCounts;
use crate::commands::out::{say, say_text};
use crate::commands::{Context, Failure, Outcome, print_json};
use crate::domain::Period;
use crate::i18n::{Lang, fill};
use crate::ui::table::{Align, render};

pub(super) fn run(ctx: &Context, period: Period, json: bool) -> Outcome {
    let (lang, m) = (ctx.lang, ctx.lang.msg());
    let store = ctx.open_store()?;
    let rows =
        statuses(&store, &ctx.config.city.counties, period).map_err(|e| Failure::refused(e.user_message(lang)))?;
    if json {
        print_json(&rows);
        return Ok(());
    }
    let now = crate::clock::now().format("%Y-%m-%d %H:%M").to_string();
    say!("{}", fill(&m.city_status_title, &[("city", &ctx.config.city.name), ("period", &period), ("now", &now)]));
    say_text!("{}", table(lang, &rows));
    say!("{}", summary(lang, &rows));
    for line in conflict_lines(lang, &rows) {
        say!("{line}");
    }
    Ok(())
}

fn table(lang: Lang, rows: &[CountyStatus]) -> String {
    let m = lang.msg();
    let yes_no = |v: bool| m.value_yes_no.split('/').nth(usize::from(!v)).unwrap_or_default().to_string();
    let headers = [
        &m.city_col_county,
        &m.city_col_received,
        &m.city_col_sequence,
        &m.city_col_created,
        &m.city_col_on_time,
        &m.city_col_report_text,
        &m.city_col_schools,
        &m.city_col_approved,
        &m.city_col_returned,
        &m.city_col_unfilled,
        &m.city_col_pending,
    ];
    let headers: Vec<&str> = headers.iter().map(|h| h.as_str()).collect();
    let mut align = vec![Align::Right; headers.len()];
    align[0] = Align::Left;
    align[1] = Align::Left;
    align[4] = Align::Left;
    align[5] = Align::Left;
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let count = |f: fn(&StateCounts) -> u64| r.counts.as_ref().map_or(String::new(), |c| f(c).to_string());
            let created = r.created_at.as_deref().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
            let (name, received) = if r.own {
                (m.ui_board_own.clone(), String::new())
            } else {
                let received = if r.returned.is_some() { m.city_received_returned.clone() } else { yes_no(r.received) };
                (format!("{}（{}）", r.county, r.county_code), received)
            };
            vec![
                name,
                received,
                r.sequence.map_or(String::new(), |s| s.to_string()),
                created.map_or(String::new(), |t| t.format("%m-%d %H:%M").to_string()),
                r.inside_window.map_or(String::new(), yes_no),
                if r.received && !r.own { report_text_mark(lang, r) } else { String::new() },
                count(|c| c.schools),
                count(|c| c.approved),
                count(|c| c.returned),
                count(|c| c.unfilled),
                r.undecided().map_or(String::new(), |n| n.to_string()),
            ]
        })
        .collect();
    render(&headers, &align, &cells)
}
