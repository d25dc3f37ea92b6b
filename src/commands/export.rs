//! `shenhe export [--period P] [--out DIR] [--report-text FILE] [--force --reason TEXT] [--json]`:
//! the period's signed bundle with its 月报文本 for the city; the period is locked once it is
//! written.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Context, Failure, Outcome, print_json};
use crate::bundle::export::{self, Request};
use crate::bundle::keys;
use crate::bundle::sealed::{self, Recipient, RecipientProblem, RecipientsFileProblem};
use crate::cli::ExportArgs;
use crate::commands::out::say;
use crate::i18n::{fill, printable};

/// `export --json`.
#[derive(Debug, Serialize)]
struct Written {
    bundle: String,
    sha256: String,
    bytes: u64,
    sequence: u32,
    /// An earlier, interrupted export's bundle was finished instead of a new one made.
    resumed: bool,
    /// The 月报文本's entry in the bundle, if it carries one.
    report_text: Option<String>,
    /// The same bundle encrypted to the receivers (`--to`, `[export] encrypt_to`), if it was.
    sealed: Option<String>,
}

pub fn run(ctx: &Context, args: ExportArgs) -> Outcome {
    let (lang, m) = (ctx.lang, ctx.lang.msg());
    // The receivers are read before anything is written: a wrong key refuses the export, not
    // a locked period without its encrypted file.
    let recipients = recipients(ctx, &args)?;
    let mut store = ctx.open_store()?;
    let period = ctx.period_or_latest(&store, args.period)?;
    let out_dir = args.out.unwrap_or_else(|| ctx.paths.bundles_dir(&ctx.config));
    if let Some(reason) = &args.reason {
        super::typed_text(ctx, reason, &m.word_reason)?;
    }
    let actor = ctx.actor();
    let request = Request {
        period,
        out_dir: &out_dir,
        force_reason: args.reason.as_deref().filter(|_| args.force),
        report_text: args.report_text.as_deref(),
        actor: &actor,
        now: crate::clock::now(),
    };
    let done = export::export(
        &mut store,
        &ctx.config,
        || keys::load_or_init(&ctx.paths.keys_dir, &keys::KeySpec::of(&ctx.config)),
        request,
    )
    .map_err(|e| match e {
        export::ExportError::NoReason => Failure::usage(e.user_message(lang)),
        // On the command line, say which file to set it in.
        export::ExportError::NoCountyCode => {
            Failure::usage(fill(&m.export_no_county_code_at, &[("config", &ctx.paths.config.display())]))
        }
        export::ExportError::NoAuditor { missing } => Failure::usage(fill(
            &m.export_no_auditor_at,
            &[("keys", &missing), ("config", &ctx.paths.config.display())],
        )),
        other => Failure::refused(other.user_message(lang)),
    })?;
    let sealed = match &recipients {
        Some(recipients) => Some(seal(ctx, &done.path, recipients)?),
        None => None,
    };
    tracing::info!(%period, sequence = done.sequence, bytes = done.bytes, resumed = done.resumed, sealed = sealed.is_some(), "exported");
    if args.json {
        print_json(&Written {
            bundle: done.path.display().to_string(),
            sha256: done.sha256,
            bytes: done.bytes,
            sequence: done.sequence,
            resumed: done.resumed,
            report_text: done.manifest.report_text.map(|t| t.path),
            sealed: sealed.map(|p| p.display().to_string()),
        });
        return Ok(());
    }
    if done.resumed {
        say!("{}", fill(&m.export_resumed, &[("path", &done.path.display())]));
    }
    let c = &done.manifest.counts;
    say!(
        "{}",
        fill(
            &m.export_done,
            &[
                ("path", &done.path.display()),
                ("sequence", &done.sequence),
                ("period", &period),
                ("bytes", &done.bytes),
                ("sha256", &done.sha256),
            ]
        )
    );
    say!(
        "{}",
        fill(
            &m.export_counts,
            &[
                ("schools", &c.schools),
                ("approved", &c.approved),
                ("returned", &c.returned),
                ("unfilled", &c.unfilled),
                ("pending", &(c.submitted + c.flagged)),
            ]
        )
    );
    match &done.manifest.report_text {
        Some(text) => {
            say!("{}", fill(&m.export_report_text, &[("entry", &text.path), ("name", &printable(&text.name))]))
        }
        None => say!("{}", m.export_without_report_text),
    }
    let window = &done.manifest.window;
    let timing = if done.manifest.inside_window { &m.export_inside_window } else { &m.export_outside_window };
    say!("{}", fill(timing, &[("first", &window.first), ("last", &window.last)]));
    let above = if done.manifest.level.is_some() { &m.word_province } else { &m.word_city };
    say!("{}", fill(&m.export_fingerprint, &[("fingerprint", &done.manifest.signer.fingerprint), ("above", above)]));
    match (&sealed, &recipients) {
        (Some(path), Some(recipients)) => say!(
            "{}",
            fill(
                &m.export_sealed,
                &[("count", &recipients.len()), ("path", &path.display()), ("plain", &done.path.display())]
            )
        ),
        _ => say!("{}", m.export_plain),
    }
    Ok(())
}

/// The receivers to encrypt to: `--to` (keys or files of keys), else `[export] encrypt_to`
/// unless `--plain`; none: the export is not encrypted.
fn recipients(ctx: &Context, args: &ExportArgs) -> Result<Option<Vec<Recipient>>, Failure> {
    let m = ctx.lang.msg();
    let bad = |source: &str, line: usize, problem: RecipientProblem| {
        let reason = match problem {
            RecipientProblem::UnknownKind => &m.recipient_unknown_kind,
            RecipientProblem::Damaged => &m.recipient_damaged,
        };
        Failure::usage(fill(
            &m.export_bad_recipients,
            &[("source", &printable(source)), ("line", &line), ("reason", reason)],
        ))
    };
    let from_file = |path: &Path| -> Result<Vec<Recipient>, Failure> {
        let shown = path.display().to_string();
        sealed::recipients_file(path).map_err(|problem| match problem {
            RecipientsFileProblem::Read(e) => {
                Failure::usage(format!("{}: {}", printable(&shown), e.user_message(ctx.lang)))
            }
            RecipientsFileProblem::Line(line, problem) => bad(&shown, line, problem),
        })
    };
    if args.plain {
        return Ok(None);
    }
    if args.to.is_empty() {
        return ctx.paths.encrypt_to(&ctx.config).map(|path| from_file(&path)).transpose();
    }
    let mut all = Vec::new();
    for to in &args.to {
        let looks_like_key = to.starts_with("ssh-") || to.starts_with("age1");
        if looks_like_key {
            all.push(sealed::parse_recipient(to).map_err(|p| bad("--to", 1, p))?);
        } else {
            all.extend(from_file(Path::new(to))?);
        }
    }
    Ok(Some(all))
}

/// `<file>.age` beside `bundle` (a bundle or a notice): the file sealed to `recipients`.
pub(crate) fn seal(ctx: &Context, bundle: &Path, recipients: &[Recipient]) -> Result<PathBuf, Failure> {
    let m = ctx.lang.msg();
    sealed::seal_file(bundle, recipients).map_err(|e| {
        Failure::refused(fill(
            &m.export_seal_io,
            &[("path", &sealed::sealed_path(bundle).display()), ("bundle", &bundle.display()), ("reason", &e)],
        ))
    })
}
