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
        CityCommand::Report { period, out, json } => report::run(ctx, period, &out, json),
        CityCommand::Return { period, county, reason, out, json } => {
            send_back::run(ctx, period, &county, &reason, out, json)
        }
        CityCommand::CancelReturn { period, county, note, out, json } => {
            send_back::cancel(ctx, period, &county, note.as_deref(), out, json)
        }
        CityCommand::ReportText { period, county, out, json } => report_text::run(ctx, period, &county, out, json),
    }
}
