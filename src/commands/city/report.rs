//! `shenhe city report --period P --out FILE.xlsx`: the city's workbook for the province.

use std::path::Path;

use crate::commands::out::say;
use crate::commands::{Context, Failure, Outcome, print_json};
use crate::domain::Period;
use crate::i18n::fill;

/// `city report`: the workbook for the province (附件1, 3, 4, 5) from the current bundles.
pub(super) fn run(ctx: &Context, period: Period, out: &Path, json: bool) -> Outcome {
    let (lang, m) = (ctx.lang, ctx.lang.msg());
    let store = ctx.open_store()?;
    let stored = |e: crate::store::StoreError| Failure::refused(e.user_message(lang));
    let data = store.current_data(period).map_err(stored)?;
    let bundles = store.city_bundles(&period.to_string()).map_err(stored)?;
    let counties: Vec<crate::bundle::city_report::CountyLine> = ctx
        .config
        .city
        .counties
        .iter()
        .map(|c| crate::bundle::city_report::CountyLine {
            code: c.code.clone(),
            name: c.name.clone(),
            on_time: bundles.iter().any(|b| b.county_code == c.code && b.inside_window),
        })
        .collect();
    let now = crate::clock::now();
    let letterhead = crate::bundle::tables::Letterhead {
        city: ctx.config.city.name.trim().to_string(),
        county: String::new(),
        county_code: String::new(),
        period,
        auditor_name: ctx.config.auditor.name.trim().to_string(),
        auditor_phone: ctx.config.auditor.phone.trim().to_string(),
        date: now.date_naive(),
    };
    let denominator = ctx.config.stats.bandwidth_denominator;
    let bytes = crate::bundle::city_report::city_workbook(&letterhead, &counties, &data, denominator, now.naive_utc())
        .map_err(|e| Failure::refused(fill(&m.export_failed, &[("reason", &e)])))?;
    crate::files::write_atomically(out, &bytes)
        .map_err(|e| Failure::refused(fill(&m.notices_io, &[("path", &out.display()), ("reason", &e)])))?;
    if json {
        print_json(&serde_json::json!({ "workbook": out.display().to_string(), "bytes": bytes.len() }));
    } else {
        let received = bundles.len();
        say!(
            "{}",
            fill(
                &m.city_report_done,
                &[
                    ("path", &out.display()),
                    ("received", &received),
                    ("total", &counties.len()),
                    ("schools", &data.len())
                ]
            )
        );
    }
    Ok(())
}
