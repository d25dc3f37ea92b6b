//! `shenhe check --period P`: runs every rule, stores the result, lists the problems by school.

use serde::Serialize;

use super::{Context, Failure, Outcome, print_json};
use crate::cli::CheckArgs;
use crate::commands::out::{say, say_text};
use crate::domain::Period;
use crate::i18n::{Lang, fill};
use crate::rules::{CheckOutcome, Severity};
use crate::store::{Store, StoreError, StoredFinding};

/// One line of `check --json`.
#[derive(Debug, Serialize)]
struct FindingLine<'a> {
    school_code: &'a str,
    rule: &'a str,
    severity: &'a str,
    message: String,
    resolution: &'a str,
}

pub fn run(ctx: &Context, args: CheckArgs) -> Outcome {
    let (lang, m) = (ctx.lang, ctx.lang.msg());
    let mut store = ctx.open_store()?;
    let period = ctx.period_or_latest(&store, args.period)?;
    let outcome = match run_checks(ctx, &mut store, period) {
        Ok(outcome) => Some(outcome),
        Err(StoreError::PeriodReported { .. }) => None,
        Err(e) => return Err(Failure::refused(e.user_message(lang))),
    };
    let findings = store.findings(period, args.all).map_err(|e| Failure::refused(e.user_message(lang)))?;
    if args.json {
        let lines: Vec<FindingLine<'_>> = findings
            .iter()
            .map(|f| FindingLine {
                school_code: &f.school_code,
                rule: &f.rule,
                severity: &f.severity,
                message: message(f, lang),
                resolution: &f.resolution,
            })
            .collect();
        print_json(&lines);
        return Ok(());
    }
    if outcome.is_none() {
        say!("{}", fill(&m.check_locked, &[("period", &period)]));
    }
    say_text!("{}", by_school(&findings, lang));
    say!("{}", summary(period, &findings, outcome.as_ref(), lang));
    Ok(())
}

/// Runs the rules over `period` with the configured settings, as the auditor.
pub(super) fn run_checks(ctx: &Context, store: &mut Store, period: Period) -> Result<CheckOutcome, StoreError> {
    run_checks_on(ctx, store, period, None)
}

/// [`run_checks`] on the sheets an import has just written (`ImportSummary::sheets`).
pub(super) fn run_checks_on(
    ctx: &Context,
    store: &mut Store,
    period: Period,
    sheets: Option<crate::store::PeriodSheets>,
) -> Result<CheckOutcome, StoreError> {
    let at = crate::clock::now().to_rfc3339();
    let outcome = crate::rules::check_period_with(store, period, &ctx.config.rules, &at, &ctx.actor(), sheets)?;
    tracing::info!(%period, findings = outcome.findings, changes = ?outcome.changes, "check");
    Ok(outcome)
}

pub use crate::rules::{message, rule_title};

fn by_school(findings: &[StoredFinding], lang: Lang) -> String {
    let m = lang.msg();
    let mut out = String::new();
    let mut school: Option<&str> = None;
    for f in findings {
        if school != Some(f.school_code.as_str()) {
            school = Some(&f.school_code);
            let name = f.school_name.as_deref().unwrap_or_default();
            out.push_str(&fill(&m.check_school, &[("code", &f.school_code), ("name", &name)]));
            out.push('\n');
        }
        let severity = Severity::from_key(&f.severity).map_or(f.severity.as_str(), |s| s.label(lang));
        let rule = rule_title(&f.rule, lang);
        let args: [(&str, &dyn std::fmt::Display); 4] =
            [("severity", &severity), ("rule", &rule), ("message", &message(f, lang)), ("note", &note(f))];
        let template = match f.resolution.as_str() {
            "overridden" => &m.check_line_overridden,
            "resolved" => &m.check_line_resolved,
            _ => &m.check_line,
        };
        out.push_str(&fill(template, &args));
        out.push('\n');
    }
    out
}

fn note(f: &StoredFinding) -> String {
    f.note.clone().unwrap_or_default()
}

fn summary(period: Period, findings: &[StoredFinding], outcome: Option<&CheckOutcome>, lang: Lang) -> String {
    let m = lang.msg();
    let live: Vec<&StoredFinding> = findings.iter().filter(|f| f.resolution != "resolved").collect();
    let mut lines = Vec::new();
    if live.is_empty() {
        lines.push(fill(&m.check_clean, &[("period", &period)]));
    } else {
        let mut schools: Vec<&str> = live.iter().map(|f| f.school_code.as_str()).collect();
        schools.dedup();
        let errors = live.iter().filter(|f| f.severity == Severity::Error.key()).count();
        lines.push(fill(
            &m.check_summary,
            &[
                ("period", &period),
                ("schools", &schools.len()),
                ("findings", &live.len()),
                ("errors", &errors),
                ("warnings", &(live.len() - errors)),
            ],
        ));
    }
    if let Some(outcome) = outcome {
        lines.push(match outcome.previous {
            Some(previous) => fill(&m.check_compared, &[("previous", &previous)]),
            None => m.check_no_previous.clone(),
        });
        let c = &outcome.changes;
        lines.push(fill(
            &m.check_changes,
            &[
                ("opened", &c.opened),
                ("updated", &c.updated),
                ("resolved", &c.resolved),
                ("flagged", &c.flagged),
                ("cleared", &c.cleared),
            ],
        ));
    }
    lines.join("\n")
}
