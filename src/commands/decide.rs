//! `shenhe approve`, `shenhe return`, `shenhe flag`: the review screen's decisions, for scripts.
//! Each school is decided on its own (its state change, findings and log row in one
//! transaction); a school that cannot take the decision is named with the reason, the others
//! go ahead, and the exit code is 1 if any was refused.

use serde::Serialize;

use super::{Context, Failure, Outcome, print_json};
use crate::cli::{ApproveArgs, FlagArgs, ReturnArgs};
use crate::domain::{DecisionKind, Period, ReviewState};
use crate::i18n::{Lang, fill};
use crate::rules::Severity;
use crate::store::{Decision, ListedSubmission, Store, StoredFinding};

/// One school's result, also the `--json` shape.
#[derive(Debug, Serialize)]
struct Decided {
    school_code: String,
    ok: bool,
    old_state: Option<&'static str>,
    new_state: Option<&'static str>,
    /// Why it was refused, in the chosen language.
    reason: Option<String>,
}

pub fn approve(ctx: &Context, args: ApproveArgs) -> Outcome {
    refuse_in_city(ctx)?;
    let note = nonempty(ctx, args.note.as_deref(), &ctx.lang.msg().word_note)?;
    let mut session = Session::open(ctx, args.period)?;
    let codes = if args.all_clean {
        let clean: Vec<String> = session
            .schools
            .iter()
            .filter(|s| s.state == ReviewState::Submitted && s.findings == 0)
            .map(|s| s.school_code.clone())
            .collect();
        if clean.is_empty() && !args.json {
            println!("{}", fill(&ctx.lang.msg().decide_none_clean, &[("period", &session.period)]));
        }
        clean
    } else {
        args.schools
    };
    for code in &codes {
        session.decide(code, DecisionKind::Approve, note);
    }
    session.finish(args.json)
}

pub fn return_schools(ctx: &Context, args: ReturnArgs) -> Outcome {
    refuse_in_city(ctx)?;
    let reason = nonempty(ctx, Some(&args.reason), &ctx.lang.msg().word_reason)?;
    let mut session = Session::open(ctx, args.period)?;
    for code in &args.schools {
        session.decide(code, DecisionKind::Return, reason);
    }
    session.finish(args.json)
}

pub fn flag(ctx: &Context, args: FlagArgs) -> Outcome {
    refuse_in_city(ctx)?;
    let note = nonempty(ctx, Some(&args.note), &ctx.lang.msg().word_note)?;
    let mut session = Session::open(ctx, args.period)?;
    session.decide(&args.school, DecisionKind::Flag, note);
    session.finish(args.json)
}

/// A reason or note given as blank space is no reason: a usage error.
fn nonempty<'a>(ctx: &Context, text: Option<&'a str>, what: &str) -> Result<Option<&'a str>, Failure> {
    match text.map(str::trim) {
        Some("") => Err(Failure::usage(fill(&ctx.lang.msg().decide_empty_text, &[("what", &what)]))),
        other => Ok(other),
    }
}

/// The store, the period's schools, and the results so far.
struct Session<'c> {
    ctx: &'c Context,
    store: Store,
    period: Period,
    schools: Vec<ListedSubmission>,
    /// The period's live findings, read once: each school is decided once per run.
    findings: Vec<StoredFinding>,
    results: Vec<Decided>,
    lines: Vec<String>,
}

impl<'c> Session<'c> {
    fn open(ctx: &'c Context, period: Option<Period>) -> Result<Session<'c>, Failure> {
        let store = ctx.open_store()?;
        let period = ctx.period_or_latest(&store, period)?;
        let refused = |e: crate::store::StoreError| Failure::refused(e.user_message(ctx.lang));
        let schools = store.list(period, None).map_err(refused)?;
        let findings = store.findings(period, false).map_err(refused)?;
        Ok(Session { ctx, store, period, schools, findings, results: Vec::new(), lines: Vec::new() })
    }

    fn decide(&mut self, code: &str, kind: DecisionKind, text: Option<&str>) {
        let (lang, m) = (self.ctx.lang, self.ctx.lang.msg());
        let Some(school) = self.schools.iter().find(|s| s.school_code == code) else {
            let reason = fill(&m.store_no_such_school, &[("period", &self.period), ("code", &code)]);
            return self.refuse(code, reason);
        };
        let (name, state) = (school.name.clone(), school.state);
        if !kind.allowed_from(state) {
            let action = match kind {
                DecisionKind::Approve => &m.action_approve,
                DecisionKind::Return => &m.action_return,
                DecisionKind::Flag => &m.action_flag,
            };
            let reason = fill(
                &m.decide_wrong_state,
                &[("code", &code), ("name", &name), ("state", &state.label(lang)), ("action", action)],
            );
            return self.refuse(code, reason);
        }
        let open: Vec<&StoredFinding> =
            self.findings.iter().filter(|f| f.school_code == code && f.resolution == "open").collect();
        let errors: Vec<&StoredFinding> =
            open.iter().copied().filter(|f| f.severity == Severity::Error.key()).collect();
        if kind == DecisionKind::Approve && !errors.is_empty() && text.is_none() {
            let mut reason = fill(&m.decide_needs_note, &[("code", &code), ("name", &name), ("count", &errors.len())]);
            for f in errors {
                let rule = super::check::rule_title(&f.rule, lang);
                let message = super::check::message(f, lang);
                reason.push('\n');
                reason.push_str(&fill(&m.decide_finding, &[("rule", &rule), ("message", &message)]));
            }
            return self.refuse(code, reason);
        }
        let at = crate::clock::now().to_rfc3339();
        let actor = self.ctx.actor();
        let decision = Decision {
            period: self.period,
            school_code: code,
            action: kind.key(),
            new_state: kind.target(),
            note: text,
            actor: &actor,
            at: &at,
        };
        let written = match kind {
            DecisionKind::Approve if text.is_some() && !open.is_empty() => self.store.approve_overriding(&decision),
            DecisionKind::Flag => self.store.flag(&decision),
            _ => self.store.decide(&decision),
        };
        match written {
            Ok(old) => {
                let new = kind.target();
                tracing::info!(period = %self.period, code, action = kind.key(), "decision");
                self.lines.push(fill(
                    &m.decide_done,
                    &[("code", &code), ("name", &name), ("old", &old.label(lang)), ("new", &new.label(lang))],
                ));
                self.results.push(Decided {
                    school_code: code.to_string(),
                    ok: true,
                    old_state: Some(old.key()),
                    new_state: Some(new.key()),
                    reason: None,
                });
            }
            Err(e) => self.refuse(code, e.user_message(lang)),
        }
    }

    fn refuse(&mut self, code: &str, reason: String) {
        self.lines.push(reason.clone());
        self.results.push(Decided {
            school_code: code.to_string(),
            ok: false,
            old_state: None,
            new_state: None,
            reason: Some(reason),
        });
    }

    fn finish(self, json: bool) -> Outcome {
        let refused = self.results.iter().filter(|r| !r.ok).count();
        let done = self.results.len() - refused;
        if json {
            print_json(&self.results);
        } else {
            for line in &self.lines {
                println!("{line}");
            }
            println!("{}", summary(self.ctx.lang, done, refused));
        }
        if refused > 0 { Err(Failure { message: String::new(), code: 1 }) } else { Ok(()) }
    }
}

fn summary(lang: Lang, done: usize, refused: usize) -> String {
    fill(&lang.msg().decide_summary, &[("done", &done), ("refused", &refused)])
}

/// A city's copy decides nothing: the counties' decisions travel in their bundles.
fn refuse_in_city(ctx: &Context) -> Outcome {
    if ctx.config.level == crate::config::Level::City {
        return Err(Failure::usage(ctx.lang.msg().screen_city_read_only.clone()));
    }
    Ok(())
}
