//! `shenhe city import BUNDLE...`: verify each bundle, check it is one of the city's counties
//! reporting its own schools, and load it (the newest report current, older ones on record).

use std::path::Path;

use serde::Serialize;

use crate::bundle::allowed_signers::AllowedSigners;
use crate::bundle::archive::LIMITS;
use crate::bundle::load::{Group, ReportedSchool};
use crate::bundle::manifest::{Manifest, ReportLevel, sha256_hex};
use crate::bundle::verify::{signers_message, verify_received};
use crate::bundle::verify_city::verify_city;
use crate::commands::incoming::{self, NotRead};
use crate::commands::out::say;
use crate::commands::{Context, Failure, Outcome, print_json};
use crate::config::Level;
use crate::domain::Period;
use crate::i18n::{Lang, fill, printable};
use crate::store::{CityBundle, Claim, Received, Store};

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
    /// Schools of this report that another county's earlier report carries too.
    conflicts: Vec<ConflictJson>,
}

#[derive(Debug, Serialize)]
struct ConflictJson {
    school_code: String,
    /// The county whose report holds the school's data at the city.
    held_by: String,
    held_by_sequence: u32,
}

/// A bundle the city took in (or already had, or kept out as older).
pub struct Accepted {
    pub manifest: Manifest,
    pub received: Received,
    /// Schools of this report another county's earlier report holds (school code, its claim).
    pub held_elsewhere: Vec<(String, Claim)>,
}

/// "学校 X 也在 二七区（410103）第 1 次上报中 …", naming both counties and both reports.
fn conflict_line(ctx: &Context, mf: &Manifest, code: &str, holder: &Claim) -> String {
    let name = |county_code: &str| {
        ctx.config.units_below().into_iter().find(|c| c.code == county_code).map(|c| c.name).unwrap_or_default()
    };
    fill(
        &ctx.lang.msg().city_claim_conflict,
        &[
            ("code", &code),
            ("holder", &name(&holder.county_code)),
            ("holder_code", &holder.county_code),
            ("holder_sequence", &holder.sequence),
            ("county", &name(&mf.county_code)),
            ("county_code", &mf.county_code),
            ("sequence", &mf.sequence),
        ],
    )
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
        // The file's name is covered by no signature: shown printable, on one line.
        let shown = printable(&path.display().to_string());
        let receipt = match incoming::read(lang, path, LIMITS.bundle_bytes, &ctx.paths.keys_dir) {
            Err(NotRead::Unreadable(reason)) => {
                unreadable += 1;
                refusal(&shown, fill(&m.verify_unreadable_line, &[("bundle", &shown), ("reason", &reason)]))
            }
            Err(NotRead::Refused(reason)) => {
                refused += 1;
                refusal(&shown, fill(&m.city_refused, &[("bundle", &shown), ("reason", &reason)]))
            }
            Ok(bytes) => match receive(ctx, &mut store, &signers, path, &bytes, now) {
                Ok(Accepted { manifest, received, held_elsewhere: held }) => {
                    let mut receipt = accepted(lang, &shown, &manifest, received);
                    for (code, holder) in &held {
                        let text = conflict_line(ctx, &manifest, code, holder);
                        receipt.reason = Some(format!("{}\n  {text}", receipt.reason.unwrap_or_default()));
                        receipt.conflicts.push(ConflictJson {
                            school_code: code.clone(),
                            held_by: holder.county_code.clone(),
                            held_by_sequence: holder.sequence,
                        });
                    }
                    receipt
                }
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
            say!("{}", receipt.reason.clone().unwrap_or_default());
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
) -> Result<Accepted, String> {
    let (lang, m) = (ctx.lang, ctx.lang.msg());
    // A file this level already took in is judged as of then: its signer's key may have been
    // retired since (`key rotate`), and still vouches for what it brought in before.
    let first = store.first_received(&sha256_hex(bytes)).map_err(|e| e.user_message(lang))?;
    let first = first.and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok()).map(|t| t.to_utc());
    let verified = match ctx.config.level {
        // A city's report: its own signature, then every county's report inside it.
        Level::Province => {
            let cities = &ctx.config.province.cities;
            // A city not of the config is refused next, in those words.
            let belongs =
                |city: &str, county: &str| cities.iter().find(|c| c.code == city).is_none_or(|c| c.has_county(county));
            verify_city(bytes, signers, now.to_utc(), first, belongs).map_err(|r| r.user_message(lang))?.city
        }
        _ => verify_received(bytes, signers, now.to_utc(), first).map_err(|r| r.user_message(lang))?,
    };
    let manifest = verified.manifest;
    if !ctx.config.units_below().iter().any(|c| c.code == manifest.county_code) {
        let unknown =
            if ctx.config.level == Level::Province { &m.province_unknown_city } else { &m.city_unknown_county };
        let (code, name) = (printable(&manifest.county_code), printable(&manifest.county));
        return Err(fill(unknown, &[("code", &code), ("name", &name)]));
    }
    // Signed by shenhe, the period is written one way; any other spelling would file the
    // report under a key of its own.
    let period = Period::canonical(&manifest.period)
        .map_err(|_| fill(&m.city_period_not_canonical, &[("period", &printable(&manifest.period))]))?;
    let record = CityBundle {
        county_code: manifest.county_code.clone(),
        period: period.to_string(),
        sequence: manifest.sequence,
        sha256: sha256_hex(bytes),
        file_name: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        created_at: manifest.created_at.clone(),
        received_at: now.to_rfc3339(),
        // Judged here, from this city's windows and its own clock: the manifest's own
        // `inside_window` is only the county's claim.
        inside_window: crate::domain::reported_on_time(
            period,
            &manifest.created_at,
            now,
            ctx.config.units_window(),
            ctx.config.period.window,
        ),
        signer: verified.fingerprint,
        manifest: String::from_utf8_lossy(&manifest.to_bytes()).into_owned(),
    };
    let (received, held) = load(ctx, store, &manifest, &record, bytes)?;
    tracing::info!(county = %record.county_code, period = %record.period, sequence = record.sequence, ?received, conflicts = held.len(), "city import");
    Ok(Accepted { manifest, received, held_elsewhere: held })
}

/// Loads the bundle's schools into the period and records the bundle as current, in one
/// transaction, when it is the county's newest report: decided inside that transaction, so two
/// imports at once cannot both take themselves for the newer one. The county's current report
/// is its set of schools: schools its previous report carried and this one does not leave the
/// period (or go back to another county's report that also carries them); a school another
/// county's earlier report holds stays that county's, and the two claims are a conflict the
/// city sees (`city status`, the board).
fn load(
    ctx: &Context,
    store: &mut Store,
    mf: &Manifest,
    record: &CityBundle,
    bytes: &[u8],
) -> Result<(Received, Vec<(String, Claim)>), String> {
    let lang = ctx.lang;
    let unloadable = |reason: String| fill(&lang.msg().city_unloadable, &[("reason", &reason)]);
    let period: Period = record.period.parse().map_err(|_| unloadable(format!("period {:?}", mf.period)))?;
    let groups = crate::bundle::load::groups(bytes).map_err(unloadable)?;
    for group in &groups {
        refuse_foreign(ctx, group)?;
    }
    let stored = |e: crate::store::StoreError| e.user_message(lang);
    let mut batch = store.begin_import(period, &record.received_at, &ctx.actor()).map_err(stored)?;
    let received = batch.city_outcome(record).map_err(stored)?;
    if !matches!(received, Received::Loaded | Received::Replaced { .. }) {
        return Ok((received, Vec::new()));
    }
    let codes: Vec<&str> = groups.iter().flat_map(|g| g.schools.iter().map(|s| s.data.school_code.as_str())).collect();
    // This level's own (直属) schools are its own to review: no report from below carries them.
    if let Some(code) = batch.first_own_school(&codes).map_err(stored)? {
        let name = groups
            .iter()
            .flat_map(|g| &g.schools)
            .find(|s| s.data.school_code == code)
            .map(|s| printable(&s.data.name));
        return Err(fill(
            &lang.msg().city_own_school_in_bundle,
            &[("code", &code), ("name", &name.unwrap_or_default())],
        ));
    }
    let change = batch.claim_schools(&mf.county_code, mf.sequence, &codes).map_err(stored)?;
    let held: std::collections::HashSet<&str> = change.held_elsewhere.iter().map(|(c, _)| c.as_str()).collect();
    // A code two of a city's counties both report (a conflict the city holds) is in two groups:
    // the first (the 直属 ones, then the counties in the manifest's order) gives its data.
    let mut written: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for group in &groups {
        let mine: Vec<&ReportedSchool> = group
            .schools
            .iter()
            .filter(|s| !held.contains(s.data.school_code.as_str()) && written.insert(s.data.school_code.as_str()))
            .collect();
        put_schools(&mut batch, &group.manifest, &record.file_name, &mine).map_err(stored)?;
    }
    // Schools this report no longer carries.
    let mut others: std::collections::HashMap<String, Vec<Group>> = std::collections::HashMap::new();
    for (code, holder) in &change.released {
        match holder {
            None => {
                let reason =
                    fill(&lang.msg().city_school_withdrawn_note, &[("county", &mf.county), ("sequence", &mf.sequence)]);
                batch.withdraw_school(code, &reason).map_err(stored)?;
            }
            Some(claim) => {
                // Another unit's report carries it too: its data is this level's now.
                if !others.contains_key(&claim.county_code) {
                    let zip = batch.current_city_bundle(&claim.county_code).map_err(stored)?.unwrap_or_default();
                    let theirs = crate::bundle::load::groups(&zip).map_err(unloadable)?;
                    others.insert(claim.county_code.clone(), theirs);
                }
                for group in &others[&claim.county_code] {
                    if let Some(school) = group.schools.iter().find(|s| &s.data.school_code == code) {
                        let holder = &group.manifest;
                        let file = format!("{}_{}_{}.zip", holder.county_code, holder.period, holder.sequence);
                        put_schools(&mut batch, holder, &file, &[school]).map_err(stored)?;
                    }
                }
            }
        }
    }
    batch.record_city_bundle(record, bytes).map_err(stored)?;
    let files = serde_json::json!([{ "path": record.file_name, "sha256": record.sha256, "rows": codes.len() }]);
    batch.commit(&files.to_string()).map_err(stored)?;
    Ok((received, change.held_elsewhere))
}

/// A county reports its own schools only, a city its 直属 schools of its own counties' codes:
/// a row that names another county is the sender's mistake, not a claim.
fn refuse_foreign(ctx: &Context, group: &Group) -> Result<(), String> {
    let mf = &group.manifest;
    let city = ctx.config.province.cities.iter().find(|c| c.code == mf.county_code);
    for school in &group.schools {
        let Some(code) = school.data.county_code.as_ref() else { continue };
        let ours = match mf.level {
            Some(ReportLevel::City) => *code == mf.county_code || city.is_some_and(|c| c.has_county(code)),
            _ => *code == mf.county_code,
        };
        if !ours {
            let school_code = &school.data.school_code;
            let args = [
                ("code", school_code as &dyn std::fmt::Display),
                ("name", &printable(&school.data.name)),
                ("other", &printable(code)),
            ];
            return Err(fill(&ctx.lang.msg().city_foreign_school, &args));
        }
    }
    Ok(())
}

/// Writes `schools` (as a new revision where they changed) with the state their county gave
/// them. A sheet without the county's columns still belongs to the county that sent it.
fn put_schools(
    batch: &mut crate::store::ImportBatch<'_>,
    mf: &Manifest,
    file_name: &str,
    schools: &[&ReportedSchool],
) -> Result<(), crate::store::StoreError> {
    {
        let mut rows = batch.rows()?;
        for (i, school) in schools.iter().enumerate() {
            let mut data = school.data.clone();
            // A city's own school without its place columns is the city's 直属.
            let (county, city) = match mf.level {
                Some(ReportLevel::City) => (crate::bundle::city_status::OWN_ROW.to_string(), mf.county.clone()),
                _ => (mf.county.clone(), mf.city.clone()),
            };
            data.county_code.get_or_insert_with(|| mf.county_code.clone());
            data.county.get_or_insert(county);
            data.city.get_or_insert(city);
            let row = u32::try_from(i + 2).unwrap_or(u32::MAX);
            rows.put(&data, &data.content_hash(), file_name, row)?;
        }
    }
    for school in schools {
        batch.set_state(&school.data.school_code, school.state)?;
    }
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
        conflicts: Vec::new(),
    }
}

fn accepted(lang: Lang, bundle: &str, mf: &Manifest, received: Received) -> Receipt {
    let m = lang.msg();
    let base = [
        ("bundle", &bundle as &dyn std::fmt::Display),
        ("county", &printable(&mf.county)),
        ("code", &printable(&mf.county_code)),
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
        conflicts: Vec::new(),
    }
}
