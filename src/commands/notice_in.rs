//! A notice from the city taken in at a county: read bounded, verified against the trusted
//! keys for the city, meant for this county, and naming the period's latest report (an old
//! notice cannot act on a later report). `reopen --from` takes returns, `cancel-return --from`
//! cancellations; each refuses the other kind in words.

use super::incoming::{self, NotRead};
use super::{Context, Failure};
use crate::bundle::allowed_signers::AllowedSigners;
use crate::bundle::city_return::{self, Head, Notice};
use crate::bundle::manifest::sha256_hex;
use crate::bundle::verify::signers_message;
use crate::domain::Period;
use crate::i18n::{fill, printable};
use crate::store::{CancelOutcome, Store};

/// A verified notice for this county's latest report, with its file's SHA-256.
pub struct Taken {
    pub head: Head,
    pub notice: Notice,
    pub sha256: String,
    pub period: Period,
}

impl Taken {
    pub fn incoming(&self) -> crate::store::Incoming<'_> {
        crate::store::Incoming {
            period: self.period,
            sequence: self.head.sequence,
            sha256: &self.sha256,
            sender: &self.head.city,
            created_at: &self.head.created_at,
        }
    }
}

pub fn take(ctx: &Context, store: &Store, path: &std::path::Path) -> Result<Taken, Failure> {
    let (lang, m) = (ctx.lang, ctx.lang.msg());
    let shown = printable(&path.display().to_string());
    let bytes =
        incoming::read(lang, path, city_return::MAX_NOTICE_BYTES, &ctx.paths.keys_dir).map_err(|not| match not {
            NotRead::Unreadable(reason) => {
                Failure::usage(fill(&m.verify_unreadable_line, &[("bundle", &shown), ("reason", &reason)]))
            }
            NotRead::Refused(reason) => {
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
    // From the level above, to this unit: a county's city, or a city's province.
    let (above, ours) = match ctx.config.level {
        crate::config::Level::City => (ctx.config.city.province.trim(), ctx.config.city.code.trim()),
        _ => (ctx.config.county.city.trim(), ctx.config.county.code.trim()),
    };
    let (head, notice) = city_return::read(&bytes, &signers, above, crate::clock::now().to_utc())
        .map_err(|r| Failure::refused(fill(&m.reopen_notice_refused, &[("reason", &r.user_message(lang))])))?;
    if head.county_code != ours {
        return Err(Failure::refused(fill(
            &m.reopen_notice_other_county,
            &[("code", &printable(&head.county_code)), ("ours", &ours)],
        )));
    }
    let period: Period =
        Period::canonical(&head.period).map_err(|_| Failure::refused(format!("{:?}", printable(&head.period))))?;
    ctx.period_or_latest(store, Some(period))?;
    let latest = store.bundles(period).map_err(|e| Failure::refused(e.user_message(lang)))?.pop();
    let current = latest.as_ref().map_or(0, |b| b.sequence);
    if latest.is_none_or(|b| b.sequence != head.sequence || b.sha256 != head.bundle_sha256) {
        return Err(Failure::refused(fill(
            &m.reopen_notice_stale,
            &[("sequence", &head.sequence), ("current", &current)],
        )));
    }
    Ok(Taken { head, notice, sha256: sha256_hex(&bytes), period })
}

/// `cancel-return --from NOTICE`: the city took its return back. Recorded, so the return can no
/// longer reopen the period; if it already did and nothing was reported since, the period is
/// locked again and the report the city holds stands.
pub fn cancel(ctx: &Context, path: &std::path::Path, json: bool) -> super::Outcome {
    let (lang, m) = (ctx.lang, ctx.lang.msg());
    let mut store = ctx.open_store()?;
    let taken = take(ctx, &store, path)?;
    let Notice::Cancel(notice) = &taken.notice else {
        return Err(Failure::refused(m.cancel_notice_is_return.clone()));
    };
    let at = crate::clock::now().to_rfc3339();
    let note = fill(&m.cancel_notice_log, &[("city", &notice.city), ("note", &notice.note)]);
    let outcome = store
        .take_cancellation(&taken.incoming(), &notice.return_sha256, &note, &ctx.actor(), &at)
        .map_err(|e| Failure::refused(e.user_message(lang)))?;
    tracing::info!(period = %taken.period, ?outcome, "return cancelled by the city");
    if json {
        super::print_json(&serde_json::json!({
            "period": taken.period.to_string(),
            "sequence": notice.sequence,
            "outcome": outcome,
        }));
        return Ok(());
    }
    let text = match outcome {
        CancelOutcome::Relocked => &m.cancel_notice_relocked,
        CancelOutcome::Recorded => &m.cancel_notice_recorded,
        CancelOutcome::LeftOpen => &m.cancel_notice_left_open,
        CancelOutcome::AlreadyTaken => &m.cancel_notice_again,
    };
    let args = [
        ("period", &taken.period as &dyn std::fmt::Display),
        ("sequence", &notice.sequence),
        ("city", &printable(&notice.city)),
    ];
    super::out::say!("{}", fill(text, &args));
    Ok(())
}
