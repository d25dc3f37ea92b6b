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
        statuses(&store, &ctx.config.units_below(), period).map_err(|e| Failure::refused(e.user_message(lang)))?;
    if json {
        print_json(&rows);
        return Ok(());
    }
    let now = crate::clock::now().format("%Y-%m-%d %H:%M").to_string();
    let province = ctx.config.level == crate::config::Level::Province;
    let units = crate::bundle::city_status::units_word(lang, province);
    say!(
        "{}",
        fill(
            &m.city_status_title,
            &[("city", &ctx.config.sender_name()), ("period", &period), ("now", &now), ("units", &units)]
        )
    );
    say_text!("{}", table(lang, &rows, province));
    say!("{}", summary(lang, &rows, province));
    for line in conflict_lines(lang, &rows) {
        say!("{line}");
    }
    Ok(())
}

fn table(lang: Lang, rows: &[CountyStatus], province: bool) -> String {
    let m = lang.msg();
    let yes_no = |v: bool| m.value_yes_no.split('/').nth(usize::from(!v)).unwrap_or_default().to_string();
    let unit = if province { &m.province_col_city } else { &m.city_col_county };
    let headers = [
        unit,
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
    let mut headers: Vec<&str> = headers.iter().map(|h| h.as_str()).collect();
    if province {
        // Seed 000 附件3 / seed 001 附件2: each city's counties and its auditors' 主动上报.
        headers.extend(
            [&m.province_col_counties, &m.province_col_auditors, &m.province_col_active, &m.province_col_rate]
                .map(|h| h.as_str()),
        );
    }
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
            let mut cells = vec![
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
            ];
            if province {
                let u = r.units.as_ref();
                cells.extend([
                    u.map_or(String::new(), |u| {
                        fill(
                            &m.province_counties_cell,
                            &[("on_time", &u.on_time), ("late", &u.late), ("missing", &u.missing)],
                        )
                    }),
                    u.map_or(String::new(), |u| u.auditors.to_string()),
                    u.map_or(String::new(), |u| u.active.to_string()),
                    u.and_then(|u| u.active_rate).map_or(String::new(), |r| format!("{r}%")),
                ]);
            }
            cells
        })
        .collect();
    render(&headers, &align, &cells)
}
