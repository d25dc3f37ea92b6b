//! `shenhe city return --period P --county CODE --reason TEXT`: a signed notice that sends one
//! county's current report back; the county reopens with `shenhe reopen --from NOTICE`.
//! `shenhe city cancel-return --period P --county CODE [--note TEXT]`: a signed cancellation of
//! the return still standing, before the county reports again; the county records it with
//! `shenhe cancel-return --from NOTICE`. Every notice sent is kept in the city's store.

use std::path::{Path, PathBuf};

use crate::bundle::city_return::{self, CancelNotice, ReturnNotice};
use crate::bundle::manifest::{Manifest, sha256_hex};
use crate::bundle::sealed;
use crate::commands::out::say;
use crate::commands::{Context, Failure, Outcome, print_json};
use crate::domain::Period;
use crate::i18n::{Lang, fill, printable};
use crate::store::{CityBundle, NoticeKind, Outgoing, Store};

/// `city return`: a signed notice that sends one county's current report back.
pub(super) fn run(
    ctx: &Context,
    period: Period,
    county: &str,
    reason: &str,
    out: Option<std::path::PathBuf>,
    json: bool,
) -> Outcome {
    let m = ctx.lang.msg();
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Failure::usage(m.reopen_no_reason.clone()));
    }
    crate::commands::typed_text(ctx, reason, &m.word_reason)?;
    let mut store = ctx.open_store()?;
    let (bundle, manifest) = current_report(ctx, &store, period, county)?;
    let (city, key) = city_key(ctx)?;
    let now = crate::clock::now();
    let notice = ReturnNotice {
        format: city_return::FORMAT.to_string(),
        city: city.clone(),
        county_code: bundle.county_code.clone(),
        county: manifest.county.clone(),
        period: period.to_string(),
        sequence: bundle.sequence,
        // The SHA-256 of the bundle file, as the county recorded it when it exported.
        bundle_sha256: bundle.sha256.clone(),
        notice: next_notice(ctx, &store, &bundle)?,
        reason: reason.to_string(),
        created_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        signer: key.signer(),
    };
    let bytes = city_return::write(&notice, &key, now.naive_local()).map_err(Failure::refused)?;
    let sent = Sent { kind: NoticeKind::Return, file_name: city_return::file_name(&notice), bytes, cancels: None };
    let path = send(ctx, &mut store, out, &sent, &bundle, reason, &notice.created_at)?;
    tracing::info!(county, %period, sequence = bundle.sequence, "return notice");
    let sealed = seal_for_county(ctx, &path, &bundle.county_code)?;
    let line = city_return::allowed_signers_line(&city, &key);
    if json {
        print_json(&serde_json::json!({
            "notice": path.display().to_string(),
            "sealed": sealed.as_ref().map(|p| p.display().to_string()),
            "sequence": bundle.sequence,
            "allowed_signers": line,
        }));
    } else {
        say!(
            "{}",
            fill(
                &m.city_returned,
                &[
                    ("path", &path.display()),
                    ("county", &printable(&manifest.county)),
                    ("code", &bundle.county_code),
                    ("period", &period),
                    ("sequence", &bundle.sequence),
                    ("reason", &reason),
                ]
            )
        );
        say_sealed(ctx, sealed.as_deref(), &bundle.county_code);
        say!("{}", m.city_key_line);
        say!("{line}");
    }
    Ok(())
}

/// `city cancel-return`: takes back the return still standing for a county's current report.
pub(super) fn cancel(
    ctx: &Context,
    period: Period,
    county: &str,
    note: Option<&str>,
    out: Option<std::path::PathBuf>,
    json: bool,
) -> Outcome {
    let (lang, m) = (ctx.lang, ctx.lang.msg());
    let note = match note.map(str::trim) {
        Some("") => return Err(Failure::usage(fill(&m.decide_empty_text, &[("what", &m.word_note)]))),
        Some(note) => {
            crate::commands::typed_text(ctx, note, &m.word_note)?;
            note.to_string()
        }
        // The notice leaves the tool: its words are Chinese whatever the screen's language.
        None => Lang::Zh.msg().city_cancel_default_note.clone(),
    };
    let mut store = ctx.open_store()?;
    let (bundle, manifest) = current_report(ctx, &store, period, county)?;
    let stored = |e: crate::store::StoreError| Failure::refused(e.user_message(lang));
    let names =
        [("county", &printable(&manifest.county) as &dyn std::fmt::Display), ("code", &county), ("period", &period)];
    let Some(standing) = store.standing_return(county, &period.to_string()).map_err(stored)? else {
        return Err(Failure::refused(fill(&m.city_cancel_no_return, &names)));
    };
    if standing.sequence != bundle.sequence || standing.bundle_sha256 != bundle.sha256 {
        let mut args = names.to_vec();
        args.extend([("current", &bundle.sequence as &dyn std::fmt::Display), ("sequence", &standing.sequence)]);
        return Err(Failure::refused(fill(&m.city_cancel_rereported, &args)));
    }
    let (city, key) = city_key(ctx)?;
    let now = crate::clock::now();
    let notice = CancelNotice {
        format: city_return::CANCEL_FORMAT.to_string(),
        city,
        county_code: bundle.county_code.clone(),
        county: manifest.county.clone(),
        period: period.to_string(),
        sequence: bundle.sequence,
        bundle_sha256: bundle.sha256.clone(),
        return_sha256: standing.sha256.clone(),
        notice: next_notice(ctx, &store, &bundle)?,
        note: note.clone(),
        created_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        signer: key.signer(),
    };
    let bytes = city_return::write_cancel(&notice, &key, now.naive_local()).map_err(Failure::refused)?;
    let sent = Sent {
        kind: NoticeKind::Cancel,
        file_name: city_return::cancel_file_name(&notice),
        bytes,
        cancels: Some(standing.id),
    };
    let path = send(ctx, &mut store, out, &sent, &bundle, &note, &notice.created_at)?;
    tracing::info!(county, %period, sequence = bundle.sequence, "return cancelled");
    let sealed = seal_for_county(ctx, &path, &bundle.county_code)?;
    if json {
        print_json(&serde_json::json!({
            "notice": path.display().to_string(),
            "sealed": sealed.as_ref().map(|p| p.display().to_string()),
            "sequence": bundle.sequence,
        }));
    } else {
        let shown = path.display();
        let mut args = names.to_vec();
        args.extend([("path", &shown as &dyn std::fmt::Display), ("sequence", &bundle.sequence)]);
        say!("{}", fill(&m.city_cancelled, &args));
        say_sealed(ctx, sealed.as_deref(), &bundle.county_code);
    }
    Ok(())
}

/// The notice at `path` also sealed with age to the county's Ed25519 keys this level trusts
/// now (a county's signing key is the key files sealed to it are opened with), as
/// `<notice>.zip.age` beside it; none when it trusts no such key for the county (an SM2
/// county's notices go signed, not encrypted).
fn seal_for_county(ctx: &Context, path: &Path, code: &str) -> Result<Option<PathBuf>, Failure> {
    use crate::bundle::allowed_signers::{AllowedSigners, Trust};
    use crate::bundle::keys::{NAMESPACE, SignerKey};
    let Ok(signers) = AllowedSigners::load(&ctx.paths.trusted_keys(&ctx.config)) else { return Ok(None) };
    let now = crate::clock::now().to_utc();
    let mut recipients = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for entry in signers.entries() {
        let SignerKey::Ssh(key) = &entry.key else { continue };
        let trusted = matches!(signers.judge(code, key, NAMESPACE, now), Trust::Trusted { .. });
        if trusted && key.algorithm() == ssh_key::Algorithm::Ed25519 && seen.insert(key.key_data().clone()) {
            let text = key.to_openssh().unwrap_or_default();
            recipients.extend(sealed::parse_recipient(&text).ok());
        }
    }
    if recipients.is_empty() {
        return Ok(None);
    }
    crate::commands::export::seal(ctx, path, &recipients).map(Some)
}

/// Says whether the notice was also written sealed to the county.
fn say_sealed(ctx: &Context, sealed: Option<&Path>, code: &str) {
    let m = ctx.lang.msg();
    match sealed {
        Some(path) => say!("{}", fill(&m.city_notice_sealed, &[("path", &path.display()), ("code", &code)])),
        None => say!("{}", fill(&m.city_notice_plain, &[("code", &code)])),
    }
}

/// The county's current report at the city, with its manifest.
fn current_report(
    ctx: &Context,
    store: &Store,
    period: Period,
    county: &str,
) -> Result<(CityBundle, Manifest), Failure> {
    let (lang, m) = (ctx.lang, ctx.lang.msg());
    let bundles = store.city_bundles(&period.to_string()).map_err(|e| Failure::refused(e.user_message(lang)))?;
    let Some(bundle) = bundles.into_iter().find(|b| b.county_code == county) else {
        return Err(Failure::refused(fill(&m.city_no_bundle, &[("code", &printable(county)), ("period", &period)])));
    };
    let manifest: Manifest = serde_json::from_str(&bundle.manifest).map_err(|e| Failure::refused(e.to_string()))?;
    Ok((bundle, manifest))
}

/// The number of the next notice to the county for the period.
fn next_notice(ctx: &Context, store: &Store, bundle: &CityBundle) -> Result<u32, Failure> {
    let sent = store
        .sent_notices(&bundle.county_code, &bundle.period)
        .map_err(|e| Failure::refused(e.user_message(ctx.lang)))?;
    Ok(u32::try_from(sent.len()).unwrap_or(u32::MAX).saturating_add(1))
}

fn city_key(ctx: &Context) -> Result<(String, crate::bundle::keys::SigningKey), Failure> {
    let city = ctx.config.sender_name();
    let key = crate::bundle::keys::load_or_init(&ctx.paths.keys_dir, &crate::bundle::keys::KeySpec::of(&ctx.config))
        .map_err(|e| Failure::refused(e.user_message(ctx.lang)))?;
    Ok((city, key))
}

/// A signed notice ready to go.
struct Sent {
    kind: NoticeKind,
    file_name: String,
    bytes: Vec<u8>,
    cancels: Option<i64>,
}

/// Writes the notice under a temporary name, records it as sent, then gives it its name: a
/// notice on disk under its final name is always one on record.
fn send(
    ctx: &Context,
    store: &mut Store,
    out: Option<std::path::PathBuf>,
    sent: &Sent,
    bundle: &CityBundle,
    note: &str,
    created_at: &str,
) -> Result<std::path::PathBuf, Failure> {
    let (lang, m) = (ctx.lang, ctx.lang.msg());
    let dir = out.unwrap_or_else(|| ctx.paths.bundles_dir(&ctx.config));
    let name = unused_name(&dir, &sent.file_name);
    let path = dir.join(&name);
    let io = |e: std::io::Error| Failure::refused(fill(&m.export_io, &[("path", &path.display()), ("reason", &e)]));
    let temp = crate::files::write_temporary(&dir, &name, &sent.bytes).map_err(io)?;
    let recorded = store.record_sent_notice(&Outgoing {
        kind: sent.kind,
        unit_code: &bundle.county_code,
        period: &bundle.period,
        sequence: bundle.sequence,
        bundle_sha256: &bundle.sha256,
        sha256: &sha256_hex(&sent.bytes),
        cancels: sent.cancels,
        note,
        created_at,
        file_name: &name,
        bytes: &sent.bytes,
    });
    if let Err(e) = recorded {
        let _ = std::fs::remove_file(&temp);
        return Err(Failure::refused(e.user_message(lang)));
    }
    crate::files::publish(&temp, &path, false).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        io(e)
    })?;
    Ok(path)
}

/// `name`, or `stem_2.zip`, `stem_3.zip`… if a notice sent before has it: a second notice for
/// the same report (sent again, or its cancellation's return) never replaces the first's file.
fn unused_name(dir: &std::path::Path, name: &str) -> String {
    let stem = name.strip_suffix(".zip").unwrap_or(name);
    let mut candidate = name.to_string();
    for n in 2.. {
        if !dir.join(&candidate).exists() {
            break;
        }
        candidate = format!("{stem}_{n}.zip");
    }
    candidate
}
