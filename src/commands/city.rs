//! `shenhe city import BUNDLE...` and `shenhe city status --period P`: the city clerk receives
//! the counties' bundles — each verified against the trusted keys and checked to come from a
//! county of the config before anything is recorded — and sees at a glance who is in, which
//! report, and whether on time.

use std::path::Path;

use serde::Serialize;

use super::{Context, Failure, Outcome, print_json};
use crate::bundle::allowed_signers::AllowedSigners;
use crate::bundle::manifest::{Manifest, StateCounts, sha256_hex};
use crate::bundle::verify::{signers_message, verify};
use crate::cli::CityCommand;
use crate::config::Level;
use crate::domain::Period;
use crate::i18n::{Lang, fill};
use crate::store::{CityBundle, Received, Store};
use crate::ui::table::{Align, render};

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
        CityCommand::Import { bundles, allowed_signers, json } => import(ctx, &bundles, allowed_signers, json),
        CityCommand::Status { period, json } => status(ctx, period, json),
        CityCommand::Report { period, out, json } => report(ctx, period, &out, json),
        CityCommand::Return { period, county, reason, out, json } => {
            send_back(ctx, period, &county, &reason, out, json)
        }
    }
}

/// One bundle's fate, for `--json`.
#[derive(Debug, Serialize)]
struct Receipt {
    bundle: String,
    county_code: Option<String>,
    period: Option<String>,
    sequence: Option<u32>,
    /// `loaded`, `replaced`, `already_have`, `older`, `conflicting`, or `refused`.
    outcome: &'static str,
    /// Why it was refused or kept out.
    reason: Option<String>,
}

fn import(ctx: &Context, paths: &[std::path::PathBuf], signers: Option<std::path::PathBuf>, json: bool) -> Outcome {
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

/// One county's line of `city status`.
#[derive(Debug, Serialize)]
struct CountyStatus {
    county_code: String,
    county: String,
    received: bool,
    sequence: Option<u32>,
    created_at: Option<String>,
    /// Reported inside the county's window (主动上报).
    inside_window: Option<bool>,
    forced: Option<String>,
    counts: Option<StateCounts>,
    signer: Option<String>,
}

fn status(ctx: &Context, period: Period, json: bool) -> Outcome {
    let (lang, m) = (ctx.lang, ctx.lang.msg());
    let store = ctx.open_store()?;
    let bundles = store.city_bundles(&period.to_string()).map_err(|e| Failure::refused(e.user_message(lang)))?;
    let rows: Vec<CountyStatus> = ctx
        .config
        .city
        .counties
        .iter()
        .map(|c| {
            let bundle = bundles.iter().find(|b| b.county_code == c.code);
            let manifest = bundle.and_then(|b| serde_json::from_str::<Manifest>(&b.manifest).ok());
            CountyStatus {
                county_code: c.code.clone(),
                county: c.name.clone(),
                received: bundle.is_some(),
                sequence: bundle.map(|b| b.sequence),
                created_at: bundle.map(|b| b.created_at.clone()),
                inside_window: bundle.map(|b| b.inside_window),
                forced: manifest.as_ref().and_then(|mf| mf.forced.as_ref().map(|f| f.reason.clone())),
                counts: manifest.map(|mf| mf.counts),
                signer: bundle.map(|b| b.signer.clone()),
            }
        })
        .collect();
    if json {
        print_json(&rows);
        return Ok(());
    }
    let now = crate::clock::now().format("%Y-%m-%d %H:%M").to_string();
    println!("{}", fill(&m.city_status_title, &[("city", &ctx.config.city.name), ("period", &period), ("now", &now)]));
    print!("{}", table(lang, &rows));
    let received = rows.iter().filter(|r| r.received).count();
    let on_time = rows.iter().filter(|r| r.inside_window == Some(true)).count();
    let missing: Vec<&str> = rows.iter().filter(|r| !r.received).map(|r| r.county.as_str()).collect();
    let missing = if missing.is_empty() { m.city_none.clone() } else { missing.join("、") };
    println!(
        "{}",
        fill(
            &m.city_status_summary,
            &[("received", &received), ("total", &rows.len()), ("on_time", &on_time), ("missing", &missing)]
        )
    );
    Ok(())
}

fn table(lang: Lang, rows: &[CountyStatus]) -> String {
    let m = lang.msg();
    let yes_no = |v: bool| m.value_yes_no.split('/').nth(usize::from(!v)).unwrap_or_default().to_string();
    let headers = [
        &m.city_col_county,
        &m.city_col_received,
        &m.city_col_sequence,
        &m.city_col_created,
        &m.city_col_on_time,
        &m.city_col_schools,
        &m.city_col_approved,
        &m.city_col_returned,
        &m.city_col_unfilled,
        &m.city_col_pending,
    ];
    let headers: Vec<&str> = headers.iter().map(|h| h.as_str()).collect();
    let mut align = vec![Align::Right; headers.len()];
    align[0] = Align::Left;
    align[1] = Align::Left;
    align[4] = Align::Left;
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let count = |f: fn(&StateCounts) -> u64| r.counts.as_ref().map_or(String::new(), |c| f(c).to_string());
            let created = r.created_at.as_deref().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
            vec![
                format!("{}（{}）", r.county, r.county_code),
                yes_no(r.received),
                r.sequence.map_or(String::new(), |s| s.to_string()),
                created.map_or(String::new(), |t| t.format("%m-%d %H:%M").to_string()),
                r.inside_window.map_or(String::new(), yes_no),
                count(|c| c.schools),
                count(|c| c.approved),
                count(|c| c.returned),
                count(|c| c.unfilled),
                count(|c| c.submitted + c.flagged),
            ]
        })
        .collect();
    render(&headers, &align, &cells)
}

/// `city return`: a signed notice that sends one county's current report back.
fn send_back(
    ctx: &Context,
    period: Period,
    county: &str,
    reason: &str,
    out: Option<std::path::PathBuf>,
    json: bool,
) -> Outcome {
    let (lang, m) = (ctx.lang, ctx.lang.msg());
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Failure::usage(m.reopen_no_reason.clone()));
    }
    let store = ctx.open_store()?;
    let bundles = store.city_bundles(&period.to_string()).map_err(|e| Failure::refused(e.user_message(lang)))?;
    let Some(bundle) = bundles.iter().find(|b| b.county_code == county) else {
        return Err(Failure::refused(fill(&m.city_no_bundle, &[("code", &county), ("period", &period)])));
    };
    let manifest: Manifest = serde_json::from_str(&bundle.manifest).map_err(|e| Failure::refused(e.to_string()))?;
    let city = ctx.config.city.name.trim();
    let key = crate::bundle::keys::load_or_init(&ctx.paths.keys_dir, &format!("shenhe {city}"))
        .map_err(|e| Failure::refused(e.user_message(lang)))?;
    let now = crate::clock::now();
    let notice = crate::bundle::city_return::ReturnNotice {
        format: crate::bundle::city_return::FORMAT.to_string(),
        city: city.to_string(),
        county_code: bundle.county_code.clone(),
        county: manifest.county.clone(),
        period: period.to_string(),
        sequence: bundle.sequence,
        // The SHA-256 of the bundle file, as the county recorded it when it exported.
        bundle_sha256: bundle.sha256.clone(),
        reason: reason.to_string(),
        created_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        signer: crate::bundle::manifest::Signer::of(&key),
    };
    let bytes = crate::bundle::city_return::write(&notice, &key, now.naive_local()).map_err(Failure::refused)?;
    let dir = out.unwrap_or_else(|| ctx.paths.bundles_dir(&ctx.config));
    let path = dir.join(crate::bundle::city_return::file_name(&notice));
    let io = |e: std::io::Error| Failure::refused(fill(&m.export_io, &[("path", &path.display()), ("reason", &e)]));
    let temp =
        crate::files::write_temporary(&dir, &crate::bundle::city_return::file_name(&notice), &bytes).map_err(io)?;
    crate::files::publish(&temp, &path, false).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        io(e)
    })?;
    tracing::info!(county, %period, sequence = bundle.sequence, "return notice");
    let line = crate::bundle::city_return::allowed_signers_line(city, key.public());
    if json {
        print_json(
            &serde_json::json!({ "notice": path.display().to_string(), "sequence": bundle.sequence, "allowed_signers": line }),
        );
    } else {
        println!(
            "{}",
            fill(
                &m.city_returned,
                &[
                    ("path", &path.display()),
                    ("county", &manifest.county),
                    ("code", &bundle.county_code),
                    ("period", &period),
                    ("sequence", &bundle.sequence),
                    ("reason", &reason),
                ]
            )
        );
        println!("{}", m.city_key_line);
        println!("{line}");
    }
    Ok(())
}

/// `city report`: the workbook for the province (附件1, 3, 4, 5) from the current bundles.
fn report(ctx: &Context, period: Period, out: &Path, json: bool) -> Outcome {
    let (lang, m) = (ctx.lang, ctx.lang.msg());
    let store = ctx.open_store()?;
    let stored = |e: crate::store::StoreError| Failure::refused(e.user_message(lang));
    let data = store.current_data(period).map_err(stored)?;
    let bundles = store.city_bundles(&period.to_string()).map_err(stored)?;
    let counties: Vec<crate::bundle::city_report::CountyLine> = ctx
        .config
        .city
        .counties
        .iter()
        .map(|c| crate::bundle::city_report::CountyLine {
            code: c.code.clone(),
            name: c.name.clone(),
            on_time: bundles.iter().any(|b| b.county_code == c.code && b.inside_window),
        })
        .collect();
    let now = crate::clock::now();
    let letterhead = crate::bundle::tables::Letterhead {
        city: ctx.config.city.name.trim().to_string(),
        county: String::new(),
        county_code: String::new(),
        period,
        auditor_name: ctx.config.auditor.name.trim().to_string(),
        auditor_phone: ctx.config.auditor.phone.trim().to_string(),
        date: now.date_naive(),
    };
    let denominator = ctx.config.stats.bandwidth_denominator;
    let bytes = crate::bundle::city_report::city_workbook(&letterhead, &counties, &data, denominator, now.naive_utc())
        .map_err(|e| Failure::refused(fill(&m.export_failed, &[("reason", &e)])))?;
    crate::files::write_atomically(out, &bytes)
        .map_err(|e| Failure::refused(fill(&m.notices_io, &[("path", &out.display()), ("reason", &e)])))?;
    if json {
        print_json(&serde_json::json!({ "workbook": out.display().to_string(), "bytes": bytes.len() }));
    } else {
        let received = bundles.len();
        println!(
            "{}",
            fill(
                &m.city_report_done,
                &[
                    ("path", &out.display()),
                    ("received", &received),
                    ("total", &counties.len()),
                    ("schools", &data.len())
                ]
            )
        );
    }
    Ok(())
}
