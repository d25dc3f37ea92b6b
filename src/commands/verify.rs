//! `shenhe verify BUNDLE... [--allowed-signers FILE] [--json]`: is each bundle complete,
//! unchanged and signed by a county the city trusts? Exit 0 when all are valid, 1 when one is
//! not, 2 when the command itself cannot work (no trusted keys file, a bundle path unreadable).

use std::path::Path;

use serde::Serialize;

use super::incoming::{self, NotRead};
use super::{Context, Failure, Outcome, print_json};
use crate::bundle::allowed_signers::AllowedSigners;
use crate::bundle::archive::LIMITS;
use crate::bundle::manifest::{Forced, ReportTextRef, StateCounts};
use crate::bundle::verify::{Verified, signers_message, verify};
use crate::cli::VerifyArgs;
use crate::commands::out::say;
use crate::i18n::{Lang, fill, printable};

/// One bundle's verdict, for `--json`.
#[derive(Debug, Serialize)]
struct Verdict {
    bundle: String,
    valid: bool,
    /// False when the path is no file that can be read — missing, a directory, a device (a
    /// usage error: exit 2). A file too large for a bundle is refused unread as invalid.
    readable: bool,
    /// Why it is not valid.
    reason: Option<String>,
    county_code: Option<String>,
    county: Option<String>,
    city: Option<String>,
    period: Option<String>,
    sequence: Option<u32>,
    created_at: Option<String>,
    auditor: Option<String>,
    inside_window: Option<bool>,
    forced: Option<Forced>,
    report_text: Option<ReportTextRef>,
    counts: Option<StateCounts>,
    signer: Option<String>,
}

pub fn run(ctx: &Context, args: VerifyArgs) -> Outcome {
    let (lang, m) = (ctx.lang, ctx.lang.msg());
    let trusted = args.allowed_signers.clone().unwrap_or_else(|| ctx.paths.trusted_keys(&ctx.config));
    let signers = AllowedSigners::load(&trusted).map_err(|e| {
        Failure::usage(fill(
            &m.verify_no_signers,
            &[("path", &trusted.display()), ("reason", &signers_message(&e, lang))],
        ))
    })?;
    let now = crate::clock::now().to_utc();
    let mut verdicts = Vec::new();
    let (mut invalid, mut unreadable) = (0, 0);
    for path in &args.bundles {
        let verdict = match incoming::read(lang, path, LIMITS.bundle_bytes, &ctx.paths.keys_dir) {
            Err(NotRead::Unreadable(reason)) => {
                unreadable += 1;
                Verdict { readable: false, ..failed(path, reason) }
            }
            Err(NotRead::Refused(reason)) => {
                invalid += 1;
                failed(path, reason)
            }
            Ok(bytes) => match verify(&bytes, &signers, now) {
                Ok(v) => valid(path, &v),
                Err(refusal) => {
                    invalid += 1;
                    failed(path, refusal.user_message(lang))
                }
            },
        };
        if !args.json {
            print_verdict(lang, &verdict);
        }
        verdicts.push(verdict);
    }
    if args.json {
        print_json(&verdicts);
    }
    match (unreadable, invalid) {
        (0, 0) => Ok(()),
        (0, n) => Err(Failure::refused(fill(&m.verify_summary_invalid, &[("count", &n), ("total", &verdicts.len())]))),
        (n, _) => Err(Failure::usage(fill(&m.verify_summary_unreadable, &[("count", &n)]))),
    }
}

fn valid(path: &Path, v: &Verified) -> Verdict {
    let mf = &v.manifest;
    Verdict {
        bundle: path.display().to_string(),
        valid: true,
        readable: true,
        reason: None,
        county_code: Some(mf.county_code.clone()),
        county: Some(mf.county.clone()),
        city: Some(mf.city.clone()),
        period: Some(mf.period.clone()),
        sequence: Some(mf.sequence),
        created_at: Some(mf.created_at.clone()),
        auditor: Some(mf.auditor.name.clone()),
        inside_window: Some(mf.inside_window),
        forced: mf.forced.clone(),
        report_text: mf.report_text.clone(),
        counts: Some(mf.counts.clone()),
        signer: Some(v.fingerprint.clone()),
    }
}

fn failed(path: &Path, reason: String) -> Verdict {
    Verdict {
        bundle: path.display().to_string(),
        valid: false,
        readable: true,
        reason: Some(reason),
        county_code: None,
        county: None,
        city: None,
        period: None,
        sequence: None,
        created_at: None,
        auditor: None,
        inside_window: None,
        forced: None,
        report_text: None,
        counts: None,
        signer: None,
    }
}

fn print_verdict(lang: Lang, v: &Verdict) {
    let m = lang.msg();
    if !v.valid {
        let label = if v.readable { &m.verify_invalid } else { &m.verify_unreadable_line };
        say!(
            "{}",
            fill(label, &[("bundle", &printable(&v.bundle)), ("reason", &v.reason.clone().unwrap_or_default())])
        );
        return;
    }
    // The manifest's words are the county's: shown printable, as every text from a file is.
    let text = |o: &Option<String>| printable(o.as_deref().unwrap_or_default());
    // The file's name is covered by no signature: a name that writes `VALID` over a refusal
    // must show as the odd name it is.
    say!("{}", fill(&m.verify_valid, &[("bundle", &printable(&v.bundle))]));
    let timing = if v.inside_window == Some(true) { &m.verify_inside_window } else { &m.verify_outside_window };
    say!(
        "{}",
        fill(
            &m.verify_what,
            &[
                ("area", &format!("{}{}", text(&v.city), text(&v.county))),
                ("code", &text(&v.county_code)),
                ("period", &text(&v.period)),
                ("sequence", &v.sequence.unwrap_or_default()),
                ("at", &shown_time(&text(&v.created_at))),
                ("auditor", &text(&v.auditor)),
                ("timing", timing),
                ("signer", &text(&v.signer)),
            ]
        )
    );
    match &v.report_text {
        Some(t) => say!("{}", fill(&m.verify_report_text, &[("entry", &t.path), ("name", &printable(&t.name))])),
        None => say!("{}", m.verify_no_report_text),
    }
    if let Some(f) = &v.forced {
        say!("{}", fill(&m.verify_forced, &[("count", &f.pending.len()), ("reason", &printable(&f.reason))]));
    }
}

/// "2026-10-03 10:00:00 +08:00": the manifest's time as a clerk reads it.
fn shown_time(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map_or_else(|_| rfc3339.to_string(), |t| t.format("%Y-%m-%d %H:%M:%S %:z").to_string())
}
