//! `shenhe reopen --period P --reason TEXT`, or `shenhe reopen --from NOTICE`: unlocks a
//! reported period when the city sends it back (撤报/退回). Logged with the reason; the bundles
//! already made stay on record, and the next export gets the next sequence number. A notice is
//! checked first (`notice_in`): signed by a key the county trusts for its city, for this county,
//! and for the latest report of the period (an old notice cannot reopen a later report); a
//! return the city has cancelled (its cancellation taken in) reopens nothing.

use serde::Serialize;

use super::{Context, Failure, Outcome, print_json};
use crate::bundle::city_return::Notice;
use crate::cli::ReopenArgs;
use crate::commands::out::say;
use crate::i18n::fill;
use crate::store::NoticeRefusal;

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
    let at = crate::clock::now().to_rfc3339();
    let period = match &args.from {
        Some(path) => {
            let taken = super::notice_in::take(ctx, &store, path)?;
            let Notice::Return(notice) = &taken.notice else {
                return Err(Failure::refused(m.reopen_notice_is_cancel.clone()));
            };
            let reason = fill(&m.reopen_from_city, &[("city", &notice.city), ("reason", &notice.reason)]);
            let refused = store.reopen_from_notice(&taken.incoming(), &reason, &ctx.actor(), &at).map_err(stored)?;
            if let Err(NoticeRefusal::ReturnCancelled { cancelled_at }) = refused {
                return Err(Failure::refused(fill(
                    &m.reopen_notice_cancelled,
                    &[("sequence", &notice.sequence), ("at", &cancelled_at)],
                )));
            }
            taken.period
        }
        None => {
            let reason = args.reason.as_deref().unwrap_or_default().trim().to_string();
            if reason.is_empty() {
                return Err(Failure::usage(m.reopen_no_reason.clone()));
            }
            super::typed_text(ctx, &reason, &m.word_reason)?;
            let period = ctx.period_or_latest(&store, args.period)?;
            store.reopen(period, &reason, &ctx.actor(), &at).map_err(stored)?;
            period
        }
    };
    let next = store.next_bundle_sequence(period).map_err(stored)?;
    tracing::info!(%period, "reopened");
    if args.json {
        print_json(&Reopened { period: period.to_string(), next_sequence: next });
    } else {
        say!("{}", fill(&m.reopen_done, &[("period", &period), ("next", &next)]));
    }
    Ok(())
}
