//! `shenhe reopen --period P --reason TEXT`, or `shenhe reopen --from NOTICE`: unlocks a
//! reported period when the city sends it back (撤报/退回). Logged with the reason; the bundles
//! already made stay on record, and the next export gets the next sequence number. A notice is
//! checked first: signed by a key the county trusts for its city, for this county, and for the
//! latest report of the period (an old notice cannot reopen a later report).

use serde::Serialize;

use super::incoming::{self, NotRead};
use super::{Context, Failure, Outcome, print_json};
use crate::bundle::allowed_signers::AllowedSigners;
use crate::bundle::city_return;
use crate::bundle::verify::signers_message;
use crate::cli::ReopenArgs;
use crate::commands::out::say;
use crate::domain::Period;
use crate::i18n::{fill, printable};

#[derive(Debug, Serialize)]
struct Reopened {
    period: String,
    /// The sequence number the next bundle will carry.
    next_sequence: u32,
}

pub fn run(ctx: &Context, args: ReopenArgs) -> Outcome {
    let (lang, m) = (ctx.lang, ctx.lang.msg());
    let mut store = ctx.open_store()?;
    let stored = |e: crate::store::StoreError| Failure::refused(e.user_message(lang));
    let (period, reason) = match &args.from {
        Some(path) => from_notice(ctx, &store, path)?,
        None => {
            let reason = args.reason.as_deref().unwrap_or_default().trim().to_string();
            if reason.is_empty() {
                return Err(Failure::usage(m.reopen_no_reason.clone()));
            }
            super::typed_text(ctx, &reason, &m.word_reason)?;
            (ctx.period_or_latest(&store, args.period)?, reason)
        }
    };
    let at = crate::clock::now().to_rfc3339();
    store.reopen(period, &reason, &ctx.actor(), &at).map_err(stored)?;
    let next = store.next_bundle_sequence(period).map_err(stored)?;
    tracing::info!(%period, "reopened");
    if args.json {
        print_json(&Reopened { period: period.to_string(), next_sequence: next });
    } else {
        say!("{}", fill(&m.reopen_done, &[("period", &period), ("next", &next)]));
    }
    Ok(())
}

/// The period and reason of a verified return notice meant for this county's latest report.
fn from_notice(
    ctx: &Context,
    store: &crate::store::Store,
    path: &std::path::Path,
) -> Result<(Period, String), Failure> {
    let (lang, m) = (ctx.lang, ctx.lang.msg());
    let shown = printable(&path.display().to_string());
    let bytes = incoming::read(lang, path, city_return::MAX_NOTICE_BYTES).map_err(|not| match not {
        NotRead::Unreadable(reason) => {
            Failure::usage(fill(&m.verify_unreadable_line, &[("bundle", &shown), ("reason", &reason)]))
        }
        NotRead::TooLarge(reason) => {
            Failure::refused(fill(&m.verify_invalid, &[("bundle", &shown), ("reason", &reason)]))
        }
    })?;
    let trusted = ctx.paths.trusted_keys(&ctx.config);
    let signers = AllowedSigners::load(&trusted).map_err(|e| {
        Failure::usage(fill(
            &m.verify_no_signers,
            &[("path", &trusted.display()), ("reason", &signers_message(&e, lang))],
        ))
    })?;
    let city = ctx.config.county.city.trim();
    let notice = city_return::read(&bytes, &signers, city, crate::clock::now().to_utc())
        .map_err(|r| Failure::refused(fill(&m.reopen_notice_refused, &[("reason", &r.user_message(lang))])))?;
    let ours = ctx.config.county.code.trim();
    if notice.county_code != ours {
        return Err(Failure::refused(fill(
            &m.reopen_notice_other_county,
            &[("code", &notice.county_code), ("ours", &ours)],
        )));
    }
    let period: Period =
        Period::canonical(&notice.period).map_err(|_| Failure::refused(format!("{:?}", notice.period)))?;
    ctx.period_or_latest(store, Some(period))?;
    let latest = store.bundles(period).map_err(|e| Failure::refused(e.user_message(lang)))?.pop();
    let current = latest.as_ref().map_or(0, |b| b.sequence);
    if latest.is_none_or(|b| b.sequence != notice.sequence || b.sha256 != notice.bundle_sha256) {
        return Err(Failure::refused(fill(
            &m.reopen_notice_stale,
            &[("sequence", &notice.sequence), ("current", &current)],
        )));
    }
    Ok((period, fill(&m.reopen_from_city, &[("city", &notice.city), ("reason", &notice.reason)])))
}
