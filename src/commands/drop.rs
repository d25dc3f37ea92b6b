//! `shenhe drop --school CODE… --reason TEXT`: takes schools out of the county's period — a
//! school closed or merged, or a row imported by mistake (another county's school, a test
//! line). Each school in its own transaction with a `drop` row in the review log naming the
//! reason and the state it had; the checks then run again over what is left. The next report
//! no longer carries the school, so the city takes it out of the county's set too.

use serde::Serialize;

use crate::cli::ReturnArgs;
use crate::commands::out::say;
use crate::commands::{Context, Failure, Outcome};
use crate::i18n::{fill, printable};
use crate::store::StoreError;

#[derive(Serialize)]
struct Dropped<'a> {
    school_code: &'a str,
    /// `dropped` or `refused`.
    outcome: &'static str,
    old_state: Option<&'static str>,
    reason: String,
}

pub fn run(ctx: &Context, args: ReturnArgs) -> Outcome {
    let (lang, m) = (ctx.lang, ctx.lang.msg());
    let reason = args.reason.trim();
    if reason.is_empty() {
        return Err(Failure::usage(fill(&m.decide_empty_text, &[("what", &m.word_reason)])));
    }
    super::typed_text(ctx, reason, &m.word_reason)?;
    let mut store = ctx.open_store()?;
    let period = ctx.period_or_latest(&store, args.period)?;
    let refused_with = |e: StoreError| Failure::refused(e.user_message(lang));
    let names = store.list(period, None).map_err(refused_with)?;
    let at = crate::clock::now().to_rfc3339();
    let actor = ctx.actor();
    let (mut dropped, mut refused) = (0usize, 0usize);
    for code in &args.schools {
        let name = names.iter().find(|s| &s.school_code == code).map(|s| printable(&s.name)).unwrap_or_default();
        let shown = printable(code);
        let (line, old_state) = match store.drop_school(period, code, reason, &actor, &at) {
            Ok(state) => {
                dropped += 1;
                let args = [("code", &shown as &dyn std::fmt::Display), ("name", &name), ("state", &state.label(lang))];
                (fill(&m.drop_done, &args), Some(state.key()))
            }
            Err(e) if e.is_busy() => return Err(refused_with(e)),
            Err(e) => {
                refused += 1;
                (e.user_message(lang), None)
            }
        };
        if args.json {
            let outcome = if old_state.is_some() { "dropped" } else { "refused" };
            let row = Dropped { school_code: code, outcome, old_state, reason: line };
            say!("{}", serde_json::to_string(&row).expect("plain data always serialises"));
        } else {
            say!("{line}");
        }
    }
    if dropped > 0 {
        // Duplicate names and peer outliers are judged over the schools that are left.
        crate::rules::check_period(&mut store, period, &ctx.config.rules, &at, &actor).map_err(refused_with)?;
    }
    if refused > 0 {
        return Err(Failure::refused(fill(&m.decide_summary, &[("done", &dropped), ("refused", &refused)])));
    }
    Ok(())
}
