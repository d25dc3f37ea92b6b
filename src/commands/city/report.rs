//! `shenhe report --period P --out FILE.xlsx [--text FILE.txt]` (and the city's older `city
//! report`): the level's workbook for the level above — at a city 附件1, 3, 4, 5 over its
//! counties; at a province the same over its cities plus seed 001's 附件2 and 3 — and, at a
//! province, the circular's text drafted from the same figures.

use std::path::Path;

use crate::bundle::city_report::{CountyLine, city_workbook, group_by_unit, units_workbook};
use crate::bundle::city_status::statuses;
use crate::commands::out::say;
use crate::commands::{Context, Failure, Outcome, print_json};
use crate::config::Level;
use crate::domain::{Period, ReviewState};
use crate::i18n::fill;

/// The level's workbook from the current reports (and the circular's text, at a province).
pub(super) fn run(ctx: &Context, period: Period, out: &Path, text: Option<&Path>, json: bool) -> Outcome {
    let (lang, m) = (ctx.lang, ctx.lang.msg());
    let store = ctx.open_store()?;
    let stored = |e: crate::store::StoreError| Failure::refused(e.user_message(lang));
    let data = store.current_data(period).map_err(stored)?;
    let rows = statuses(&store, &ctx.config.units_below(), period).map_err(stored)?;
    let province = ctx.config.level == Level::Province;
    // A city's auditors are its own and one per county, as its report gives them; a city not in
    // yet counts its own only, not on time.
    let lines: Vec<CountyLine> = rows
        .iter()
        .filter(|r| !r.own)
        .map(|r| {
            let mut line = CountyLine::county(&r.county_code, &r.county, r.inside_window == Some(true));
            if let Some(u) = &r.units {
                (line.auditors, line.active) = (u.auditors, u.active);
            }
            line
        })
        .collect();
    let now = crate::clock::now();
    let letterhead = crate::bundle::tables::Letterhead {
        city: ctx.config.sender_name(),
        county: String::new(),
        county_code: String::new(),
        period,
        auditor_name: ctx.config.auditor.name.trim().to_string(),
        auditor_phone: ctx.config.auditor.phone.trim().to_string(),
        date: now.date_naive(),
    };
    let denominator = ctx.config.stats.bandwidth_denominator;
    let failed = |e: rust_xlsxwriter::XlsxError| Failure::refused(fill(&m.export_failed, &[("reason", &e)]));
    let states = store.list(period, None).map_err(stored)?;
    let approved = states.iter().filter(|s| s.state == ReviewState::Approved).map(|s| s.school_code.as_str()).collect();
    let bytes = if province {
        let held = store.held_below(&period.to_string()).map_err(stored)?;
        let of = group_by_unit(&lines, &held, &data);
        let bytes =
            units_workbook(&letterhead, &lines, &of, &data, &approved, denominator, now.naive_utc()).map_err(failed)?;
        if let Some(path) = text {
            let circular = crate::bundle::circular::draft(&ctx.config, &lines, &of, &data, denominator);
            crate::files::write_atomically(path, circular.replace('\n', "\r\n").as_bytes())
                .map_err(|e| Failure::refused(fill(&m.notices_io, &[("path", &path.display()), ("reason", &e)])))?;
        }
        bytes
    } else {
        city_workbook(&letterhead, &lines, &data, &approved, denominator, now.naive_utc()).map_err(failed)?
    };
    crate::files::write_atomically(out, &bytes)
        .map_err(|e| Failure::refused(fill(&m.notices_io, &[("path", &out.display()), ("reason", &e)])))?;
    let received = rows.iter().filter(|r| r.received && !r.own).count();
    if json {
        print_json(&serde_json::json!({
            "workbook": out.display().to_string(),
            "bytes": bytes.len(),
            "text": text.map(|t| t.display().to_string()),
        }));
    } else {
        let units = crate::bundle::city_status::units_word(lang, province);
        say!(
            "{}",
            fill(
                &m.city_report_done,
                &[
                    ("path", &out.display()),
                    ("received", &received),
                    ("total", &lines.len()),
                    ("schools", &data.len()),
                    ("units", &units),
                ]
            )
        );
        if let Some(path) = text {
            say!("{}", fill(&m.province_text_done, &[("path", &path.display())]));
        }
    }
    Ok(())
}
