//! `shenhe city import BUNDLE...`: verify each bundle, check it is one of the city's counties
//! reporting its own schools, and load it (the newest report current, older ones on record).

use std::path::Path;

use serde::Serialize;

use crate::bundle::allowed_signers::AllowedSigners;
use crate::bundle::manifest::{Manifest, sha256_hex};
use crate::bundle::verify::{signers_message, verify};
use crate::commands::{Context, Failure, Outcome, print_json};
use crate::domain::Period;
use crate::i18n::{Lang, fill};
use crate::store::{CityBundle, Received, Store};

/// One bundle's fate, for `--json`.
#[derive(Debug, Serialize)]
struct Receipt {
    bundle: String,
    county_code: Option<String>,
    period: Option<String>,
    sequence: Option<u32>,
    /// `loaded`, `replaced`, `already_have`, `older`, `conflicting`, or `refused`.
    outcome: &'static str,
    /// What `city import` says of it: received, kept out and why, or refused and why.
    reason: Option<String>,
}

pub(super) fn run(
    ctx: &Context,
    paths: &[std::path::PathBuf],
    signers: Option<std::path::PathBuf>,
    json: bool,
) -> Outcome {
    let (lang, m) = (ctx.lang, ctx.lang.msg());
    let trusted = signers.unwrap_or_else(|| ctx.paths.trusted_keys(&ctx.config));
    let signers = AllowedSigners::load(&trusted).map_err(|e| {
        Failure::usage(fill(
            &m.verify_no_signers,
            &[("path", &trusted.display()), ("reason", &signers_message(&e, lang))],
        ))
    })?;
    let mut store = ctx.open_store()?;
    let now = crate::clock::now();
    let (mut refused, mut unreadable) = (0, 0);
    let mut receipts = Vec::new();
    for path in paths {
        let shown = path.display().to_string();
        let receipt = match std::fs::read(path) {
            Err(e) => {
                unreadable += 1;
                refusal(&shown, fill(&m.verify_unreadable_line, &[("bundle", &shown), ("reason", &e)]))
            }
            Ok(bytes) => match receive(ctx, &mut store, &signers, path, &bytes, now) {
                Ok((manifest, received)) => accepted(lang, &shown, &manifest, received),
                Err(reason) => {
                    refused += 1;
                    refusal(&shown, fill(&m.city_refused, &[("bundle", &shown), ("reason", &reason)]))
                }
            },
        };
        if receipt.outcome == "conflicting" {
            refused += 1;
        }
        if !json {
            println!("{}", receipt.reason.clone().unwrap_or_default());
        }
        receipts.push(receipt);
    }
    if json {
        print_json(&receipts);
    }
    match (unreadable, refused) {
        (0, 0) => Ok(()),
        (0, n) => Err(Failure::refused(fill(&m.city_import_summary, &[("count", &n), ("total", &paths.len())]))),
        (n, _) => Err(Failure::usage(fill(&m.verify_summary_unreadable, &[("count", &n)]))),
    }
}

/// Verifies one bundle, checks its county is the city's, and records it: what `city import`
/// does with each file, minus reading it and printing the outcome. Public for the city bench
/// (`benches/city.rs`), which times it in process.
pub fn receive(
    ctx: &Context,
    store: &mut Store,
    signers: &AllowedSigners,
    path: &Path,
    bytes: &[u8],
    now: chrono::DateTime<chrono::FixedOffset>,
) -> Result<(Manifest, Received), String> {
    let (lang, m) = (ctx.lang, ctx.lang.msg());
    let verified = verify(bytes, signers, now.to_utc()).map_err(|r| r.user_message(lang))?;
    let manifest = verified.manifest;
    if !ctx.config.city.counties.iter().any(|c| c.code == manifest.county_code) {
        return Err(fill(&m.city_unknown_county, &[("code", &manifest.county_code), ("name", &manifest.county)]));
    }
    let record = CityBundle {
        county_code: manifest.county_code.clone(),
        period: manifest.period.clone(),
        sequence: manifest.sequence,
        sha256: sha256_hex(bytes),
        file_name: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        created_at: manifest.created_at.clone(),
        received_at: now.to_rfc3339(),
        inside_window: manifest.inside_window,
        signer: verified.fingerprint,
        manifest: String::from_utf8_lossy(&manifest.to_bytes()).into_owned(),
    };
    let stored = |e: crate::store::StoreError| e.user_message(lang);
    let received = store.city_bundle_outcome(&record).map_err(stored)?;
    if matches!(received, Received::Loaded | Received::Replaced { .. }) {
        load(lang, store, &manifest, &record, bytes, &ctx.actor())?;
    }
    tracing::info!(county = %record.county_code, period = %record.period, sequence = record.sequence, ?received, "city import");
    Ok((manifest, received))
}

/// Loads the bundle's schools into the period (as a new revision where they changed, with the
/// state the county gave them) and records the bundle as current, in one transaction.
fn load(
    lang: Lang,
    store: &mut Store,
    mf: &Manifest,
    record: &CityBundle,
    bytes: &[u8],
    actor: &str,
) -> Result<(), String> {
    let unloadable = |reason: String| fill(&lang.msg().city_unloadable, &[("reason", &reason)]);
    let period: Period = mf.period.parse().map_err(|_| unloadable(format!("period {:?}", mf.period)))?;
    let schools = crate::bundle::load::schools(bytes).map_err(unloadable)?;
    let stored = |e: crate::store::StoreError| e.user_message(lang);
    // A county reports its own schools only: one of another county, by its code or by a school
    // code another county already reported, would overwrite that county's data.
    let others: std::collections::HashMap<String, Option<String>> =
        store.current_county_codes(period).map_err(stored)?.into_iter().collect();
    for school in &schools {
        let code = &school.data.school_code;
        let theirs = school.data.county_code.as_ref().filter(|c| **c != mf.county_code);
        let taken = others.get(code).and_then(|c| c.as_ref()).filter(|c| **c != mf.county_code);
        if let Some(other) = theirs.or(taken) {
            let args = [("code", code as &dyn std::fmt::Display), ("name", &school.data.name), ("other", other)];
            return Err(fill(&lang.msg().city_foreign_school, &args));
        }
    }
    let mut batch = store.begin_import(period, &record.received_at, actor).map_err(stored)?;
    {
        let mut rows = batch.rows().map_err(stored)?;
        for (i, school) in schools.iter().enumerate() {
            let mut data = school.data.clone();
            // A sheet without the county's columns still belongs to the county that sent it.
            data.county_code.get_or_insert_with(|| mf.county_code.clone());
            data.county.get_or_insert_with(|| mf.county.clone());
            data.city.get_or_insert_with(|| mf.city.clone());
            let row = u32::try_from(i + 2).unwrap_or(u32::MAX);
            rows.put(&data, &data.content_hash(), &record.file_name, row).map_err(stored)?;
        }
    }
    for school in &schools {
        batch.set_state(&school.data.school_code, school.state).map_err(stored)?;
    }
    batch.record_city_bundle(record, bytes).map_err(stored)?;
    let files = serde_json::json!([{ "path": record.file_name, "sha256": record.sha256, "rows": schools.len() }]);
    batch.commit(&files.to_string()).map_err(stored)?;
    Ok(())
}

fn refusal(bundle: &str, reason: String) -> Receipt {
    Receipt {
        bundle: bundle.to_string(),
        county_code: None,
        period: None,
        sequence: None,
        outcome: "refused",
        reason: Some(reason),
    }
}

fn accepted(lang: Lang, bundle: &str, mf: &Manifest, received: Received) -> Receipt {
    let m = lang.msg();
    let base = [
        ("bundle", &bundle as &dyn std::fmt::Display),
        ("county", &mf.county),
        ("code", &mf.county_code),
        ("period", &mf.period),
        ("sequence", &mf.sequence),
    ];
    let (outcome, text) = match received {
        Received::Loaded => ("loaded", fill(&m.city_loaded, &base)),
        Received::Replaced { previous } => {
            let [a, b, c, d, e] = base;
            ("replaced", fill(&m.city_replaced, &[a, b, c, d, e, ("previous", &previous)]))
        }
        Received::AlreadyHave => ("already_have", fill(&m.city_already_have, &base)),
        Received::Older { current } => {
            let [a, b, c, d, e] = base;
            ("older", fill(&m.city_older, &[a, b, c, d, e, ("current", &current)]))
        }
        Received::Conflicting { .. } => ("conflicting", fill(&m.city_conflicting, &base)),
    };
    Receipt {
        bundle: bundle.to_string(),
        county_code: Some(mf.county_code.clone()),
        period: Some(mf.period.clone()),
        sequence: Some(mf.sequence),
        outcome,
        reason: Some(text),
    }
}
