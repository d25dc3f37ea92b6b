//! Decisions from the keyboard: approve, return, flag, comment, on one school or the selection,
//! with their prompts and confirm step, and undo. Each school's decision is written to the
//! store (with its log row, in one transaction) before the screen shows it done.

use super::{App, Key, KeyCode, LineEditor, Mode};
use crate::domain::{DecisionKind, ReviewState};
use crate::i18n::fill;
use crate::store::{Decision, Undo};

/// What the auditor asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    Approve,
    Return,
    Flag,
    Comment,
}

impl Intent {
    fn kind(self) -> Option<DecisionKind> {
        match self {
            Intent::Approve => Some(DecisionKind::Approve),
            Intent::Return => Some(DecisionKind::Return),
            Intent::Flag => Some(DecisionKind::Flag),
            Intent::Comment => None,
        }
    }
}

/// A decision waiting for its text: the override note of an approval over error findings,
/// the reason of a return (required), the note of a flag or a comment.
#[derive(Debug, Clone)]
pub struct Prompt {
    pub intent: Intent,
    /// Positions in `index.rows`.
    pub targets: Vec<u32>,
    /// Selected schools this decision cannot apply to (wrong state), for the confirm step.
    pub skipped: usize,
    pub editor: LineEditor,
    /// The preset reason the arrow keys last picked.
    pub preset: Option<usize>,
    /// Why Enter did not go ahead (empty text).
    pub error: Option<String>,
}

/// A decision over several schools, waiting for yes or no.
#[derive(Debug, Clone)]
pub struct Confirm {
    pub intent: Intent,
    pub targets: Vec<u32>,
    pub skipped: usize,
    pub note: Option<String>,
}

/// One decision written, with what it takes to undo it.
#[derive(Debug, Clone)]
pub(super) struct Done {
    pos: u32,
    action: &'static str,
    decided: ReviewState,
    restore: ReviewState,
    at: String,
    note: Option<String>,
}

impl App {
    pub(super) fn start(&mut self, intent: Intent) {
        let (lang, m) = (self.lang(), self.lang().msg());
        let Some(period) = self.period else { return };
        if self.read_only() {
            return self.error(m.screen_city_read_only.clone());
        }
        if self.locked {
            return self.error(fill(&m.store_period_reported, &[("period", &period)]));
        }
        let bulk = self.selected_count > 0 && intent != Intent::Comment;
        let targets: Vec<u32> = if bulk {
            // A county's schools at a city are the county's: a selection decides only the
            // city's own.
            (0..self.index.rows.len() as u32)
                .filter(|&p| self.selected[p as usize] && self.index.rows[p as usize].own)
                .collect()
        } else {
            self.current().into_iter().collect()
        };
        if let Some(row) = targets.first().map(|&p| &self.index.rows[p as usize]).filter(|r| !r.own) {
            return self.error(fill(&m.screen_school_held_below, &[("code", &row.code), ("name", &row.name)]));
        }
        let Some(&first) = targets.first() else { return };
        let prompt = |targets: Vec<u32>, skipped: usize| {
            Mode::Prompt(Prompt { intent, targets, skipped, editor: LineEditor::default(), preset: None, error: None })
        };
        let Some(kind) = intent.kind() else {
            self.mode = prompt(targets, 0);
            return;
        };
        if !bulk {
            let row = &self.index.rows[first as usize];
            if !kind.allowed_from(row.state) {
                let action = match kind {
                    DecisionKind::Approve => &m.action_approve,
                    DecisionKind::Return => &m.action_return,
                    DecisionKind::Flag => &m.action_flag,
                };
                let text = fill(
                    &m.decide_wrong_state,
                    &[("code", &row.code), ("name", &row.name), ("state", &row.state.label(lang)), ("action", action)],
                );
                return self.error(text);
            }
            if kind == DecisionKind::Approve && row.open_errors == 0 {
                return self.apply(intent, targets, None);
            }
            self.mode = prompt(targets, 0);
            return;
        }
        // A bulk approval leaves out schools with open errors: each needs its own override note.
        let eligible: Vec<u32> = targets
            .iter()
            .copied()
            .filter(|&p| {
                let row = &self.index.rows[p as usize];
                kind.allowed_from(row.state) && (kind != DecisionKind::Approve || row.open_errors == 0)
            })
            .collect();
        let skipped = targets.len() - eligible.len();
        if eligible.is_empty() {
            return self.error(fill(&m.screen_none_eligible, &[("count", &targets.len())]));
        }
        self.mode = match kind {
            DecisionKind::Approve => Mode::Confirm(Confirm { intent, targets: eligible, skipped, note: None }),
            _ => prompt(eligible, skipped),
        };
    }

    pub(super) fn prompt_key(&mut self, key: Key, mut prompt: Prompt) {
        let m = self.lang().msg();
        let presets = &self.settings.return_reasons;
        match key.code {
            KeyCode::Esc => self.info(m.screen_cancelled.clone()),
            KeyCode::Enter if prompt.editor.is_blank() => {
                prompt.error = Some(m.screen_text_required.clone());
                self.mode = Mode::Prompt(prompt);
            }
            KeyCode::Enter => {
                let note = prompt.editor.text().trim().to_string();
                if prompt.targets.len() > 1 {
                    self.mode = Mode::Confirm(Confirm {
                        intent: prompt.intent,
                        targets: prompt.targets,
                        skipped: prompt.skipped,
                        note: Some(note),
                    });
                } else {
                    self.apply(prompt.intent, prompt.targets, Some(note));
                }
            }
            KeyCode::Up | KeyCode::Down if prompt.intent == Intent::Return && !presets.is_empty() => {
                let n = presets.len();
                let next = match (prompt.preset, key.code) {
                    (None, KeyCode::Down) => 0,
                    (None, _) => n - 1,
                    (Some(i), KeyCode::Down) => (i + 1) % n,
                    (Some(i), _) => (i + n - 1) % n,
                };
                prompt.preset = Some(next);
                prompt.editor = LineEditor::with_text(&presets[next]);
                prompt.error = None;
                self.mode = Mode::Prompt(prompt);
            }
            _ => {
                if prompt.editor.edit(key) {
                    prompt.error = None;
                }
                self.mode = Mode::Prompt(prompt);
            }
        }
    }

    pub(super) fn confirm_key(&mut self, key: Key, confirm: Confirm) {
        match key.code {
            KeyCode::Char('y' | 'Y') | KeyCode::Enter => self.apply(confirm.intent, confirm.targets, confirm.note),
            KeyCode::Char('n' | 'N') | KeyCode::Esc => self.info(self.lang().msg().screen_cancelled.clone()),
            _ => self.mode = Mode::Confirm(confirm),
        }
    }

    /// Writes the decision for each target, then shows it.
    fn apply(&mut self, intent: Intent, targets: Vec<u32>, note: Option<String>) {
        let (lang, m) = (self.lang(), self.lang().msg());
        let Some(period) = self.period else { return };
        let at = (self.settings.clock)().to_rfc3339();
        let actor = self.settings.actor.clone();
        let mut done = Vec::new();
        let mut failures: Vec<String> = Vec::new();
        for &pos in &targets {
            let row = &self.index.rows[pos as usize];
            let (code, shown) = (row.code.to_string(), row.state);
            let written = match intent.kind() {
                None => {
                    self.store.comment(period, &code, note.as_deref().unwrap_or_default(), &actor, &at).map(|_| None)
                }
                Some(kind) => {
                    let d = Decision {
                        period,
                        school_code: &code,
                        action: kind.key(),
                        // What the screen shows: another copy may have decided it since.
                        expected: shown,
                        new_state: kind.target(),
                        note: note.as_deref(),
                        actor: &actor,
                        at: &at,
                    };
                    let result = match kind {
                        DecisionKind::Approve if note.is_some() => self.store.approve_overriding(&d),
                        DecisionKind::Flag => self.store.flag(&d),
                        _ => self.store.decide(&d),
                    };
                    result.map(|old| Some((kind, old)))
                }
            };
            match written {
                Ok(Some((kind, old))) => {
                    tracing::info!(%period, code, action = kind.key(), "decision");
                    done.push(Done {
                        pos,
                        action: kind.key(),
                        decided: kind.target(),
                        restore: old,
                        at: at.clone(),
                        note: note.clone(),
                    });
                }
                Ok(None) => {}
                Err(e) => failures.push(e.user_message(lang)),
            }
            let (rows, rules) = (&mut self.index.rows, &mut self.index.rules);
            if let Err(e) = self.store.refresh_index_row(period, &mut rows[pos as usize], rules) {
                failures.push(e.user_message(lang));
            }
        }
        self.detail = None;
        let count = done.len();
        if !done.is_empty() {
            self.undo.push(done);
        }
        if let Some(first) = failures.first() {
            let text = if targets.len() == 1 {
                first.clone()
            } else {
                fill(&m.screen_bulk_failed, &[("done", &count), ("failed", &failures.len()), ("first", first)])
            };
            return self.error(text);
        }
        if targets.len() == 1 {
            let row = &self.index.rows[targets[0] as usize];
            let text = match intent {
                Intent::Comment => fill(&m.screen_commented, &[("code", &row.code), ("name", &row.name)]),
                _ => {
                    fill(&m.screen_done, &[("code", &row.code), ("name", &row.name), ("state", &row.state.label(lang))])
                }
            };
            self.info(text);
            if intent != Intent::Comment {
                self.move_to(self.cursor + 1);
            }
        } else {
            self.selected.iter_mut().for_each(|s| *s = false);
            self.selected_count = 0;
            self.info(fill(&m.screen_bulk_done, &[("count", &count)]));
        }
    }

    /// 取消: takes back the highlighted school's 退回重报, to the state it had before, while its
    /// new sheet has not come in. Not on the undo stack: returning it again is the way back.
    pub(super) fn cancel_return(&mut self) {
        let (lang, m) = (self.lang(), self.lang().msg());
        let (Some(period), Some(pos)) = (self.period, self.current()) else { return };
        let row = &self.index.rows[pos as usize];
        if !row.own {
            return self.error(fill(&m.screen_school_held_below, &[("code", &row.code), ("name", &row.name)]));
        }
        let (code, name) = (row.code.to_string(), crate::i18n::printable(&row.name));
        if row.state != ReviewState::Returned {
            let state = row.state.label(lang);
            return self
                .error(fill(&m.cancel_return_not_returned, &[("code", &code), ("name", &name), ("state", &state)]));
        }
        let at = (self.settings.clock)().to_rfc3339();
        let written = self.store.cancel_return(period, &code, None, &self.settings.actor, &at);
        let (rows, rules) = (&mut self.index.rows, &mut self.index.rules);
        let refreshed = self.store.refresh_index_row(period, &mut rows[pos as usize], rules);
        self.detail = None;
        match (written, refreshed) {
            (Ok(restored), Ok(())) => {
                tracing::info!(%period, code, "return cancelled on the screen");
                self.info(fill(
                    &m.cancel_return_done,
                    &[("code", &code), ("name", &name), ("state", &restored.label(lang))],
                ))
            }
            (Err(e), _) | (_, Err(e)) => self.error(e.user_message(lang)),
        }
    }

    /// Takes back the last decision (all schools of a bulk one); repeatable.
    pub(super) fn undo_last(&mut self) {
        let (lang, m) = (self.lang(), self.lang().msg());
        let Some(period) = self.period else { return };
        let Some(group) = self.undo.pop() else {
            return self.info(m.screen_nothing_to_undo.clone());
        };
        let at = (self.settings.clock)().to_rfc3339();
        let actor = self.settings.actor.clone();
        let mut failures = Vec::new();
        for d in group.iter().rev() {
            let code = self.index.rows[d.pos as usize].code.to_string();
            let undo = Undo {
                period,
                school_code: &code,
                action: d.action,
                decided: d.decided,
                restore: d.restore,
                decided_at: &d.at,
                note: d.note.as_deref(),
                actor: &actor,
                at: &at,
            };
            if let Err(e) = self.store.undo(&undo) {
                failures.push(e.user_message(lang));
            }
            let (rows, rules) = (&mut self.index.rows, &mut self.index.rules);
            if let Err(e) = self.store.refresh_index_row(period, &mut rows[d.pos as usize], rules) {
                failures.push(e.user_message(lang));
            }
        }
        self.detail = None;
        if let Some(first) = group.first().and_then(|d| self.view.iter().position(|&p| p == d.pos)) {
            self.move_to(first);
        }
        match failures.first() {
            Some(e) => self.error(e.clone()),
            None if group.len() == 1 => {
                let row = &self.index.rows[group[0].pos as usize];
                let text = fill(
                    &m.screen_undone,
                    &[("code", &row.code), ("name", &row.name), ("state", &row.state.label(lang))],
                );
                self.info(text);
            }
            None => self.info(fill(&m.screen_bulk_undone, &[("count", &group.len())])),
        }
    }
}
