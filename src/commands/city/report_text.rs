//! `shenhe city report-text --period P --county CODE [--out DIR]`: the 月报文本 of a county's
//! current report, written out of the bundle kept in the store for the clerk to open.

use serde::Serialize;

use crate::bundle::report_text;
use crate::commands::out::say;
use crate::commands::{Context, Failure, Outcome, print_json};
use crate::domain::Period;
use crate::i18n::{fill, printable};

#[derive(Debug, Serialize)]
struct Written {
    path: String,
    bytes: u64,
    /// The county's own name for the file.
    name: String,
}

pub(super) fn run(ctx: &Context, period: Period, county: &str, out: Option<std::path::PathBuf>, json: bool) -> Outcome {
    let (lang, m) = (ctx.lang, ctx.lang.msg());
    let units = ctx.config.units_below();
    let Some(unit) = units.iter().find(|c| c.code == county) else {
        return Err(Failure::usage(fill(
            &m.city_not_a_county,
            &[("code", &printable(county)), ("config", &ctx.paths.config.display())],
        )));
    };
    let store = ctx.open_store()?;
    let dir = out.unwrap_or_else(|| report_texts_dir(ctx));
    let done = report_text::extract(&store, period, &unit.code, &format!("{}（{}）", unit.name, unit.code), &dir)
        .map_err(|e| Failure::refused(e.user_message(lang)))?;
    if json {
        print_json(&Written { path: done.path.display().to_string(), bytes: done.bytes, name: done.name });
        return Ok(());
    }
    say!(
        "{}",
        fill(
            &m.city_report_text_written,
            &[("county", &unit.name), ("path", &done.path.display()), ("name", &done.name), ("bytes", &done.bytes)]
        )
    );
    Ok(())
}

/// Where the counties' 月报文本 go unless told: beside the bundles.
pub fn report_texts_dir(ctx: &Context) -> std::path::PathBuf {
    ctx.paths.bundles_dir(&ctx.config).join(report_text::ENTRY_STEM)
}
