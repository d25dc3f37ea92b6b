//! `shenhe backup [--out FILE]` and `shenhe restore FILE`: a checked copy of the database, made
//! while the screen may be open, and bringing one back with the current store kept aside.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Context, Failure, Outcome, print_json};
use crate::cli::{BackupArgs, RestoreArgs};
use crate::commands::out::{say, say_err};
use crate::i18n::fill;
use crate::store::{BackupCheck, StoreError, check_backup, restore_file};

#[derive(Debug, Serialize)]
struct BackedUp {
    backup: String,
    bytes: u64,
    at: String,
    periods: Vec<String>,
    schools: u64,
}

#[derive(Debug, Serialize)]
struct RestoredJson {
    restored_from: String,
    kept: String,
    damaged: bool,
    periods: Vec<String>,
    schools: u64,
}

pub fn backup(ctx: &Context, args: BackupArgs) -> Outcome {
    let (lang, m) = (ctx.lang, ctx.lang.msg());
    let now = crate::clock::now();
    let dated = format!("shenhe-{}.db", now.format("%Y%m%d-%H%M%S"));
    let dest = match args.out {
        Some(out) if out.is_dir() => out.join(dated),
        Some(out) => out,
        None => ctx.paths.backups_dir().join(dated),
    };
    if same_file(&dest, &ctx.paths.database) {
        return Err(Failure::usage(fill(&m.backup_onto_store, &[("path", &dest.display())])));
    }
    // A newer copy may replace an older one; anything else of that name is left alone.
    let replace = dest.exists();
    if replace && check_backup(&dest).is_err() {
        return Err(Failure::refused(fill(&m.backup_exists_not_ours, &[("path", &dest.display())])));
    }
    let store = ctx.open_store()?;
    let failed = |e: StoreError| Failure::refused(e.user_message(lang));
    let bytes = store.backup_to(&dest, replace).map_err(failed)?;
    let check = check_backup(&dest).map_err(failed)?;
    let at = now.to_rfc3339();
    // The copy is made and checked; only the note for the screen's reminder could not be
    // written (another copy of shenhe holding the store for long): say so, still a success.
    if let Err(e) = store.record_backup(&at, false, &dest, bytes) {
        tracing::warn!(error = %e, "backup made but not noted");
        say_err!("{}", fill(&m.backup_not_noted, &[("reason", &e.user_message(lang))]));
    }
    tracing::info!(path = %dest.display(), bytes, "backup");
    if args.json {
        print_json(&BackedUp {
            backup: dest.display().to_string(),
            bytes,
            at,
            periods: check.periods,
            schools: check.schools,
        });
    } else {
        say!(
            "{}",
            fill(
                &m.backup_done,
                &[
                    ("path", &dest.display()),
                    ("size", &size_text(bytes)),
                    ("periods", &periods_text(ctx, &check)),
                    ("schools", &check.schools)
                ]
            )
        );
    }
    Ok(())
}

pub fn restore(ctx: &Context, args: RestoreArgs) -> Outcome {
    let (lang, m) = (ctx.lang, ctx.lang.msg());
    let source = &args.file;
    if same_file(source, &ctx.paths.database) {
        return Err(Failure::usage(fill(&m.restore_same_file, &[("path", &source.display())])));
    }
    let at = crate::clock::now().to_rfc3339();
    let outcome = restore_file(&ctx.paths.database, source, &ctx.paths.backups_dir(), &at);
    let (_, restored) = outcome.map_err(|e| {
        Failure::refused(match &e {
            StoreError::NotADatabase { path } if path == source => {
                fill(&m.restore_not_backup, &[("path", &source.display())])
            }
            StoreError::Corrupt { path, detail } if path == source => {
                fill(&m.restore_damaged_copy, &[("path", &source.display()), ("detail", detail)])
            }
            other => other.user_message(lang),
        })
    })?;
    tracing::info!(from = %source.display(), kept = %restored.kept.display(), damaged = restored.damaged, "restore");
    if args.json {
        print_json(&RestoredJson {
            restored_from: source.display().to_string(),
            kept: restored.kept.display().to_string(),
            damaged: restored.damaged,
            periods: restored.check.periods.clone(),
            schools: restored.check.schools,
        });
        return Ok(());
    }
    say!(
        "{}",
        fill(
            &m.restore_done,
            &[
                ("path", &source.display()),
                ("periods", &periods_text(ctx, &restored.check)),
                ("schools", &restored.check.schools)
            ]
        )
    );
    let kept = if restored.damaged { &m.restore_kept_damaged } else { &m.restore_kept };
    say!("{}", fill(kept, &[("path", &restored.kept.display())]));
    Ok(())
}

/// Both paths name one file (the second may not exist yet).
fn same_file(a: &Path, b: &Path) -> bool {
    let canonical = |p: &Path| -> Option<PathBuf> {
        match p.canonicalize() {
            Ok(c) => Some(c),
            // Not there yet: its folder, canonical, and its name.
            Err(_) => Some(p.parent()?.canonicalize().ok()?.join(p.file_name()?)),
        }
    };
    a == b || matches!((canonical(a), canonical(b)), (Some(x), Some(y)) if x == y)
}

fn periods_text(ctx: &Context, check: &BackupCheck) -> String {
    if check.periods.is_empty() { ctx.lang.msg().city_none.clone() } else { check.periods.join("、") }
}

pub(super) fn size_text(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MB", bytes as f64 / f64::from(1 << 20))
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}
