//! What a level does with the units below it — a city with its counties, a province with its
//! cities: one set of commands over one store layout. The verbs `receive`, `status` and
//! `send-back` serve both; `shenhe city …` keeps the city's older names (`city import`,
//! `city return`, …) for a while.
//!
//! `shenhe city …`: the city clerk's commands (config `level = "city"`). `import` receives the
//! counties' bundles — each verified against the trusted keys and checked to come from a county
//! of the config before anything is recorded —, `status` shows who is in, `report` writes the
//! city's workbook, `return` sends a report back with a signed notice (`cancel-return` takes it back), `report-text` takes a
//! county's 月报文本 out of its report.

use super::{Context, Failure, Outcome};
use crate::cli::CityCommand;
use crate::config::Level;
use crate::i18n::fill;

mod import;
mod report;
mod report_text;
mod send_back;
mod status;

pub use import::receive;
pub use report_text::report_texts_dir;

/// The units below must be configured: a city's counties, a province's cities.
fn needs_units_below(ctx: &Context) -> Outcome {
    let m = ctx.lang.msg();
    let config = ctx.paths.config.display();
    if ctx.config.level == Level::County {
        return Err(Failure::usage(fill(&m.city_needs_city_level, &[("config", &config)])));
    }
    if ctx.config.units_below().is_empty() {
        let missing = if ctx.config.level == Level::Province { &m.province_no_cities } else { &m.city_no_counties };
        return Err(Failure::usage(fill(missing, &[("config", &config)])));
    }
    Ok(())
}

/// `receive`: verifies and merges the reports of the level below.
pub fn receive_all(ctx: &Context, args: crate::cli::ReceiveArgs) -> Outcome {
    needs_units_below(ctx)?;
    import::run(ctx, &args.bundles, args.allowed_signers, args.json)
}

/// `status`: every unit below (and the 直属 line) for a period.
pub fn status(ctx: &Context, args: crate::cli::StatusArgs) -> Outcome {
    needs_units_below(ctx)?;
    status::run(ctx, args.period, args.json)
}

/// `report`: the level's workbook; at a province with `--text`, the circular's text too.
pub fn report(ctx: &Context, args: crate::cli::ReportArgs) -> Outcome {
    needs_units_below(ctx)?;
    if args.text.is_some() && ctx.config.level != Level::Province {
        return Err(Failure::usage(ctx.lang.msg().report_text_province_only.clone()));
    }
    report::run(ctx, args.period, &args.out, args.text.as_deref(), args.json)
}

/// `send-back`: a signed return notice for a unit's current report, or its cancellation.
pub fn send_back(ctx: &Context, args: crate::cli::SendBackArgs) -> Outcome {
    needs_units_below(ctx)?;
    match (args.cancel, args.reason.as_deref()) {
        (true, _) => send_back::cancel(ctx, args.period, &args.unit, args.note.as_deref(), args.out, args.json),
        (false, reason) => {
            send_back::run(ctx, args.period, &args.unit, reason.unwrap_or_default(), args.out, args.json)
        }
    }
}

pub fn run(ctx: &Context, command: CityCommand) -> Outcome {
    let m = ctx.lang.msg();
    let config = ctx.paths.config.display();
    if ctx.config.level != Level::City {
        return Err(Failure::usage(fill(&m.city_needs_city_level, &[("config", &config)])));
    }
    if ctx.config.city.counties.is_empty() {
        return Err(Failure::usage(fill(&m.city_no_counties, &[("config", &config)])));
    }
    match command {
        CityCommand::Import { bundles, allowed_signers, json } => import::run(ctx, &bundles, allowed_signers, json),
        CityCommand::Status { period, json } => status::run(ctx, period, json),
        CityCommand::Report { period, out, json } => report::run(ctx, period, &out, None, json),
        CityCommand::Return { period, county, reason, out, json } => {
            send_back::run(ctx, period, &county, &reason, out, json)
        }
        CityCommand::CancelReturn { period, county, note, out, json } => {
            send_back::cancel(ctx, period, &county, note.as_deref(), out, json)
        }
        CityCommand::ReportText { period, county, out, json } => report_text::run(ctx, period, &county, out, json),
    }
}
