//! `shenhe reopen --period P --reason TEXT`: unlocks a reported period when the city sends it
//! back (撤报/退回). Logged with the reason; the bundles already made stay on record, and the
//! next export gets the next sequence number.

use serde::Serialize;

use super::{Context, Failure, Outcome, print_json};
use crate::cli::ReopenArgs;
use crate::i18n::fill;

#[derive(Debug, Serialize)]
struct Reopened {
    period: String,
    /// The sequence number the next bundle will carry.
    next_sequence: u32,
}

pub fn run(ctx: &Context, args: ReopenArgs) -> Outcome {
    let (lang, m) = (ctx.lang, ctx.lang.msg());
    let reason = args.reason.trim();
    if reason.is_empty() {
        return Err(Failure::usage(m.reopen_no_reason.clone()));
    }
    let mut store = ctx.open_store()?;
    let period = ctx.period_or_latest(&store, Some(args.period))?;
    let at = crate::clock::now().to_rfc3339();
    store.reopen(period, reason, &ctx.actor(), &at).map_err(|e| Failure::refused(e.user_message(lang)))?;
    let next = store.next_bundle_sequence(period).map_err(|e| Failure::refused(e.user_message(lang)))?;
    tracing::info!(%period, "reopened");
    if args.json {
        print_json(&Reopened { period: period.to_string(), next_sequence: next });
    } else {
        println!("{}", fill(&m.reopen_done, &[("period", &period), ("next", &next)]));
    }
    Ok(())
}
