//! `shenhe import FILE... --period P`

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

use super::{Context, Failure, Outcome, print_json};
use crate::cli::ImportArgs;
use crate::commands::out::{say, say_text};
use crate::i18n::{fill, printable};
use crate::import::{ImportError, ImportRequest, ImportSummary, Progress, WORKBOOK, excerpt, import_files, rejects};

/// At most this many refused cells are printed; `--rejects FILE.csv` gets all of them.
const SHOWN_REJECTS: usize = 20;

/// Files smaller than this import too fast for a progress bar to help.
const PROGRESS_MIN_BYTES: u64 = 2 * 1024 * 1024;

pub fn run(ctx: &Context, args: ImportArgs) -> Outcome {
    let (lang, m) = (ctx.lang, ctx.lang.msg());
    let mut store = ctx.open_store()?;
    let req = ImportRequest {
        period: args.period,
        files: args.files.clone(),
        sheets: args.sheets.clone(),
        actor: ctx.actor(),
        at: crate::clock::now().to_rfc3339(),
        limits: ctx.config.limits,
        held_below: held_below(ctx, &store, args.period)?,
    };
    let bar = ProgressBar::hidden();
    let show_bar = std::io::stderr().is_terminal();
    let mut on_progress = |p: Progress<'_>| {
        if show_bar && p.total >= PROGRESS_MIN_BYTES {
            if bar.is_hidden() {
                bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                bar.set_style(
                    ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {eta}")
                        .expect("valid template"),
                );
            }
            bar.set_length(p.total);
            bar.set_position(p.done);
            // The file's name is the user's, but may hold anything: shown printable.
            bar.set_message(printable(p.file));
        }
    };
    let result = import_files(&mut store, &req, &mut on_progress);
    bar.finish_and_clear();
    tracing::info!(period = %args.period, files = ?args.files, ok = result.is_ok(), "import");

    match result {
        Ok(mut summary) => {
            let sheets = summary.sheets.take();
            let checked = check_after_import(ctx, &mut store, args.period, sheets)?;
            if args.json {
                print_json(&summary);
            } else {
                say_text!("{}", human_summary(ctx, &summary));
                let (findings, flagged) = (checked.findings, checked.changes.flagged);
                say!(
                    "{}",
                    fill(
                        &m.import_checked,
                        &[("findings", &findings), ("flagged", &flagged), ("period", &args.period)]
                    )
                );
            }
            Ok(())
        }
        Err(ImportError::Rejected(rejects, summary)) => {
            let mut message =
                fill(&m.import_refused, &[("cells", &summary.rejected_cells), ("rows", &summary.rejected)]);
            for r in rejects.iter().take(SHOWN_REJECTS) {
                message.push_str("\n  ");
                message.push_str(&r.line(lang));
            }
            if let Some(path) = &args.rejects {
                rejects::write_csv(path, &rejects, lang).map_err(|e| {
                    Failure::refused(fill(&m.import_rejects_unwritable, &[("file", &path.display()), ("reason", &e)]))
                })?;
                message.push('\n');
                let unlisted = summary.rejected_cells - rejects.len() as u64;
                message.push_str(&if unlisted == 0 {
                    fill(&m.import_rejects_written, &[("file", &path.display())])
                } else {
                    let kept = rejects.len();
                    fill(
                        &m.import_rejects_written_first,
                        &[("file", &path.display()), ("kept", &kept), ("more", &unlisted)],
                    )
                });
            } else if summary.rejected_cells > SHOWN_REJECTS as u64 {
                message.push('\n');
                let more = summary.rejected_cells - SHOWN_REJECTS as u64;
                message.push_str(&fill(&m.import_rejects_more, &[("count", &more)]));
            }
            if args.json {
                print_json(&serde_json::json!({
                    "period": summary.period, "files": summary.files, "rows": summary.rows,
                    "schools": summary.schools, "new_schools": 0, "new_revisions": 0, "unchanged": 0,
                    "unfilled": summary.unfilled, "rejected": summary.rejected, "rejected_cells": summary.rejected_cells,
                    "extra_columns": summary.extra_columns, "rejects": rejects,
                }));
            }
            Err(Failure::refused(message))
        }
        Err(e) => Err(Failure::refused(e.user_message(lang))),
    }
}

/// Rules run on every import: over the imported period, and over the next period of the same
/// kind if the store has one (its comparison base has just changed).
fn check_after_import(
    ctx: &Context,
    store: &mut crate::store::Store,
    period: crate::domain::Period,
    sheets: Option<crate::store::PeriodSheets>,
) -> Result<crate::rules::CheckOutcome, Failure> {
    let refused = |e: crate::store::StoreError| Failure::refused(e.user_message(ctx.lang));
    let outcome = super::check::run_checks_on(ctx, store, period, sheets).map_err(refused)?;
    for later in store.periods().map_err(refused)? {
        if store.previous_period(later).map_err(refused)? == Some(period) {
            match super::check::run_checks(ctx, store, later) {
                Ok(_) | Err(crate::store::StoreError::PeriodReported { .. }) => {}
                Err(e) => return Err(refused(e)),
            }
        }
    }
    Ok(outcome)
}

fn human_summary(ctx: &Context, s: &ImportSummary) -> String {
    let m = ctx.lang.msg();
    let mut out = fill(
        &m.import_done,
        &[("period", &s.period), ("files", &s.files.len()), ("rows", &s.rows), ("schools", &s.schools)],
    );
    out.push('\n');
    out.push_str(&fill(
        &m.import_done_counts,
        &[
            ("new_schools", &s.new_schools),
            ("new_revisions", &s.new_revisions),
            ("unchanged", &s.unchanged),
            ("unfilled", &s.unfilled),
        ],
    ));
    out.push('\n');
    for src in &s.sources {
        let format = if src.format == WORKBOOK { &m.import_format_workbook } else { &src.format };
        out.push_str(&fill(
            &m.import_source,
            &[("file", &printable(&src.file)), ("format", format), ("row", &src.header_row)],
        ));
        out.push('\n');
    }
    if !s.extra_columns.is_empty() {
        let columns: Vec<String> = s.extra_columns.iter().map(|c| excerpt(c)).collect();
        out.push_str(&fill(&m.import_extra_columns, &[("columns", &columns.join("、"))]));
        out.push('\n');
    }
    if !s.odd_codes.is_empty() {
        out.push_str(&fill(&m.import_odd_codes, &[("count", &s.odd_codes.len())]));
        out.push('\n');
        for c in s.odd_codes.iter().take(SHOWN_REJECTS) {
            out.push_str(&format!("  {}:{}: {}\n", printable(&c.file), c.row, excerpt(&c.code)));
        }
    }
    out
}

/// At a city, the schools its counties' current reports carry, each with who carries it: they
/// are the county's to review, and an import over them is refused. None at a county.
fn held_below(
    ctx: &Context,
    store: &crate::store::Store,
    period: crate::domain::Period,
) -> Result<std::collections::HashMap<String, String>, Failure> {
    let m = ctx.lang.msg();
    let held = store.held_below(&period.to_string()).map_err(|e| Failure::refused(e.user_message(ctx.lang)))?;
    let name =
        |code: &str| ctx.config.units_below().into_iter().find(|c| c.code == code).map(|c| c.name).unwrap_or_default();
    Ok(held
        .into_iter()
        .map(|(school, claim)| {
            let by = fill(
                &m.reject_held_by,
                &[("county", &name(&claim.county_code)), ("code", &claim.county_code), ("sequence", &claim.sequence)],
            );
            (school, by)
        })
        .collect())
}
