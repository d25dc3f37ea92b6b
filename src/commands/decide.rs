//! `shenhe approve`, `shenhe return`, `shenhe flag`, `shenhe cancel-return`: the review
//! screen's decisions, for scripts.
//! Each school is decided on its own (its state change, findings and log row in one
//! transaction); a school that cannot take the decision is named with the reason, the others
//! go ahead, and the exit code is 1 if any was refused.
//!
//! A school's line (with `--json`, its JSON object on a line of its own) is printed as soon as
//! its transaction has committed: whatever was printed is in the store, even if the run is
//! stopped halfway through.

use serde::Serialize;

use super::{Context, Failure, Outcome};
use crate::cli::{ApproveArgs, CancelReturnArgs, FlagArgs, ReturnArgs};
use crate::commands::out::say;
use crate::domain::{DecisionKind, Period, ReviewState};
use crate::i18n::{Lang, fill};
use crate::rules::Severity;
use crate::store::{Decision, ListedSubmission, Store, StoreError, StoredFinding};

/// One school's result, also its `--json` line.
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
    let note = nonempty(ctx, args.note.as_deref(), &ctx.lang.msg().word_note)?;
    let mut session = Session::open(ctx, args.period, args.json)?;
    let codes = if args.all_clean {
        let clean: Vec<String> = session
            .schools
            .iter()
            .filter(|s| s.state == ReviewState::Submitted && s.findings == 0 && !session.held.contains(&s.school_code))
            .map(|s| s.school_code.clone())
            .collect();
        if clean.is_empty() && !args.json {
            say!("{}", fill(&ctx.lang.msg().decide_none_clean, &[("period", &session.period)]));
        }
        clean
    } else {
        args.schools
    };
    session.decide_all(&codes, DecisionKind::Approve, note);
    session.finish()
}

pub fn return_schools(ctx: &Context, args: ReturnArgs) -> Outcome {
    let reason = nonempty(ctx, Some(&args.reason), &ctx.lang.msg().word_reason)?;
    let mut session = Session::open(ctx, args.period, args.json)?;
    session.decide_all(&args.schools, DecisionKind::Return, reason);
    session.finish()
}

/// `shenhe cancel-return`: 取消 a 退回重报 made by mistake, before the school's new sheet.
pub fn cancel_return(ctx: &Context, args: CancelReturnArgs) -> Outcome {
    if let Some(path) = &args.from {
        return super::notice_in::cancel(ctx, path, args.json);
    }
    let note = nonempty(ctx, args.note.as_deref(), &ctx.lang.msg().word_note)?;
    let mut session = Session::open(ctx, args.period, args.json)?;
    for (i, code) in args.schools.iter().enumerate() {
        if let Err(Busy) = session.cancel(code, note) {
            session.not_reached(&args.schools[i..]);
            break;
        }
    }
    session.finish()
}

pub fn flag(ctx: &Context, args: FlagArgs) -> Outcome {
    let note = nonempty(ctx, Some(&args.note), &ctx.lang.msg().word_note)?;
    let mut session = Session::open(ctx, args.period, args.json)?;
    session.decide_all(std::slice::from_ref(&args.school), DecisionKind::Flag, note);
    session.finish()
}

/// A reason or note given as blank space is no reason: a usage error.
fn nonempty<'a>(ctx: &Context, text: Option<&'a str>, what: &str) -> Result<Option<&'a str>, Failure> {
    match text.map(str::trim) {
        Some("") => Err(Failure::usage(fill(&ctx.lang.msg().decide_empty_text, &[("what", &what)]))),
        Some(text) => super::typed_text(ctx, text, what).map(|()| Some(text)),
        None => Ok(None),
    }
}

/// The store, the period's schools, and the counts so far.
struct Session<'c> {
    ctx: &'c Context,
    store: Store,
    period: Period,
    schools: Vec<ListedSubmission>,
    /// The period's live findings, read once: each school is decided once per run.
    findings: Vec<StoredFinding>,
    /// At a city, the schools its counties' reports carry: theirs to decide, never picked here.
    held: std::collections::HashSet<String>,
    json: bool,
    done: usize,
    refused: usize,
}

/// Another copy of shenhe held the store past the busy timeout: the run stops there.
struct Busy;

impl<'c> Session<'c> {
    fn open(ctx: &'c Context, period: Option<Period>, json: bool) -> Result<Session<'c>, Failure> {
        let store = ctx.open_store()?;
        let period = ctx.period_or_latest(&store, period)?;
        let refused = |e: StoreError| Failure::refused(e.user_message(ctx.lang));
        let schools = store.list(period, None).map_err(refused)?;
        let findings = store.findings(period, false).map_err(refused)?;
        let held = store.held_below(&period.to_string()).map_err(refused)?.into_keys().collect();
        Ok(Session { ctx, store, period, schools, findings, held, json, done: 0, refused: 0 })
    }

    /// Decides each school in turn. When the store stays busy (a long import in another copy),
    /// waiting the timeout out again for every school would only make the auditor wait: the
    /// schools not reached are named instead.
    fn decide_all(&mut self, codes: &[String], kind: DecisionKind, text: Option<&str>) {
        for (i, code) in codes.iter().enumerate() {
            if let Err(Busy) = self.decide(code, kind, text) {
                return self.not_reached(&codes[i..]);
            }
        }
    }

    fn decide(&mut self, code: &str, kind: DecisionKind, text: Option<&str>) -> Result<(), Busy> {
        let (lang, m) = (self.ctx.lang, self.ctx.lang.msg());
        let Some(school) = self.schools.iter().find(|s| s.school_code == code) else {
            let reason = fill(&m.store_no_such_school, &[("period", &self.period), ("code", &code)]);
            self.refuse(code, reason);
            return Ok(());
        };
        let (name, state) = (crate::i18n::printable(&school.name), school.state);
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
            self.refuse(code, reason);
            return Ok(());
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
            self.refuse(code, reason);
            return Ok(());
        }
        let at = crate::clock::now().to_rfc3339();
        let actor = self.ctx.actor();
        let decision = Decision {
            period: self.period,
            school_code: code,
            action: kind.key(),
            expected: state,
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
                let line = fill(
                    &m.decide_done,
                    &[("code", &code), ("name", &name), ("old", &old.label(lang)), ("new", &new.label(lang))],
                );
                self.written(code, old, new, &line);
            }
            Err(e) if e.is_busy() => return Err(Busy),
            Err(e) => self.refuse(code, e.user_message(lang)),
        }
        Ok(())
    }

    fn cancel(&mut self, code: &str, note: Option<&str>) -> Result<(), Busy> {
        let (lang, m) = (self.ctx.lang, self.ctx.lang.msg());
        let Some(school) = self.schools.iter().find(|s| s.school_code == code) else {
            let reason = fill(&m.store_no_such_school, &[("period", &self.period), ("code", &code)]);
            self.refuse(code, reason);
            return Ok(());
        };
        let name = crate::i18n::printable(&school.name);
        if school.state != ReviewState::Returned {
            let reason = fill(
                &m.cancel_return_not_returned,
                &[("code", &code), ("name", &name), ("state", &school.state.label(lang))],
            );
            self.refuse(code, reason);
            return Ok(());
        }
        let (at, actor) = (crate::clock::now().to_rfc3339(), self.ctx.actor());
        match self.store.cancel_return(self.period, code, note, &actor, &at) {
            Ok(restored) => {
                tracing::info!(period = %self.period, code, "return cancelled");
                let old = ReviewState::Returned;
                let line =
                    fill(&m.cancel_return_done, &[("code", &code), ("name", &name), ("state", &restored.label(lang))]);
                self.written(code, old, restored, &line);
            }
            Err(e) if e.is_busy() => return Err(Busy),
            Err(e) => self.refuse(code, e.user_message(lang)),
        }
        Ok(())
    }

    /// A school's change, committed: counted and printed at once.
    fn written(&mut self, code: &str, old: ReviewState, new: ReviewState, line: &str) {
        self.done += 1;
        let result = Decided {
            school_code: code.to_string(),
            ok: true,
            old_state: Some(old.key()),
            new_state: Some(new.key()),
            reason: None,
        };
        self.print(&result, line);
    }

    fn refuse(&mut self, code: &str, reason: String) {
        self.refused += 1;
        let result = Decided {
            school_code: code.to_string(),
            ok: false,
            old_state: None,
            new_state: None,
            reason: Some(reason),
        };
        self.print(&result, result.reason.as_deref().unwrap_or_default());
    }

    /// The schools a busy store kept the run from: one line naming them all (with `--json`,
    /// one object each, as for any refused school).
    fn not_reached(&mut self, codes: &[String]) {
        let m = self.ctx.lang.msg();
        self.refused += codes.len();
        if self.json {
            for code in codes {
                let reason = Some(m.store_busy.clone());
                let result = Decided { school_code: code.clone(), ok: false, old_state: None, new_state: None, reason };
                self.print(&result, "");
            }
        } else {
            let line = fill(&m.decide_busy, &[("count", &codes.len()), ("codes", &codes.join(" "))]);
            self.print_line(&line);
        }
    }

    /// One school's result, printed and flushed at once: a line on stdout means done.
    fn print(&self, result: &Decided, line: &str) {
        if self.json {
            self.print_line(&serde_json::to_string(result).expect("plain data always serialises"));
        } else {
            self.print_line(line);
        }
    }

    fn print_line(&self, line: &str) {
        crate::commands::out::line(line);
    }

    fn finish(self) -> Outcome {
        if !self.json {
            self.print_line(&summary(self.ctx.lang, self.done, self.refused));
        }
        if self.refused > 0 { Err(Failure { message: String::new(), code: 1 }) } else { Ok(()) }
    }
}

fn summary(lang: Lang, done: usize, refused: usize) -> String {
    fill(&lang.msg().decide_summary, &[("done", &done), ("refused", &refused)])
}
