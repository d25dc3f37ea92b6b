//! `shenhe city return --period P --county CODE --reason TEXT`: a signed notice that sends one
//! county's current report back; the county reopens with `shenhe reopen --from NOTICE`.

use crate::bundle::manifest::Manifest;
use crate::commands::out::say;
use crate::commands::{Context, Failure, Outcome, print_json};
use crate::domain::Period;
use crate::i18n::fill;

/// `city return`: a signed notice that sends one county's current report back.
pub(super) fn run(
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
    crate::commands::typed_text(ctx, reason, &m.word_reason)?;
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
        say!(
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
        say!("{}", m.city_key_line);
        say!("{line}");
    }
    Ok(())
}
