//! Review decisions: a state change and its review-log row, written in one transaction.

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::{Store, StoreError};
use crate::domain::{Period, ReviewState};

/// One decision by the auditor about one school (approve, return, flag, …).
#[derive(Debug, Clone)]
pub struct Decision<'a> {
    pub period: Period,
    pub school_code: &'a str,
    /// The log's name for what was done: `approve`, `return`, `flag`, `undo`…
    pub action: &'a str,
    /// The state the decider saw: if the school has moved on since (another copy of shenhe
    /// decided it, a new sheet came in), the decision is refused rather than written over it.
    pub expected: ReviewState,
    pub new_state: ReviewState,
    pub note: Option<&'a str>,
    pub actor: &'a str,
    /// RFC 3339.
    pub at: &'a str,
}

/// The rule id of a finding the auditor raised by hand (`shenhe flag`, `f` on the screen).
pub const AUDITOR_FLAG: &str = "auditor_flag";

impl Store {
    /// Applies a decision and logs it, both or neither. Returns the state before.
    pub fn decide(&mut self, d: &Decision<'_>) -> Result<ReviewState, StoreError> {
        self.decide_and(d, Extra::Nothing)
    }

    /// Approves over the school's open findings: each is marked overridden with the decision's
    /// note, in the same transaction as the approval and its log row.
    pub fn approve_overriding(&mut self, d: &Decision<'_>) -> Result<ReviewState, StoreError> {
        self.decide_and(d, Extra::OverrideOpenFindings)
    }

    /// Flags a school by hand: an open finding carrying the auditor's note (added to an earlier
    /// flag's note if there is one), the move to 有疑问, and its log row, together.
    pub fn flag(&mut self, d: &Decision<'_>) -> Result<ReviewState, StoreError> {
        self.decide_and(d, Extra::AuditorFinding)
    }

    fn decide_and(&mut self, d: &Decision<'_>, extra: Extra) -> Result<ReviewState, StoreError> {
        let period = d.period.to_string();
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        refuse_if_reported(&tx, &period)?;
        let old: String = tx
            .query_row(
                "SELECT state FROM submissions WHERE period = ?1 AND school_code = ?2",
                params![period, d.school_code],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| StoreError::NoSuchSchool {
                period: period.clone(),
                school_code: d.school_code.to_string(),
            })?;
        if old != d.expected.key() {
            let state = ReviewState::from_key(&old).unwrap_or(ReviewState::Submitted);
            return Err(StoreError::StateChanged { school_code: d.school_code.to_string(), state });
        }
        match extra {
            Extra::Nothing => {}
            Extra::OverrideOpenFindings => {
                tx.execute(
                    "UPDATE findings SET resolution = 'overridden', note = ?3, resolved_at = ?4
                     WHERE period = ?1 AND school_code = ?2 AND resolution = 'open'",
                    params![period, d.school_code, d.note, d.at],
                )?;
            }
            Extra::AuditorFinding => {
                let appended = tx.execute(
                    "UPDATE findings SET note = note || '；' || ?4
                     WHERE period = ?1 AND school_code = ?2 AND rule = ?3 AND resolution = 'open'",
                    params![period, d.school_code, AUDITOR_FLAG, d.note],
                )?;
                if appended == 0 {
                    tx.execute(
                        "INSERT INTO findings (period, school_code, rule, severity, note, created_at)
                         VALUES (?1, ?2, ?3, 'warning', ?4, ?5)",
                        params![period, d.school_code, AUDITOR_FLAG, d.note, d.at],
                    )?;
                }
            }
        }
        tx.execute(
            "UPDATE submissions SET state = ?3, updated_at = ?4 WHERE period = ?1 AND school_code = ?2",
            params![period, d.school_code, d.new_state.key(), d.at],
        )?;
        tx.execute(
            "INSERT INTO review_log (at, actor, period, school_code, action, old_state, new_state, note)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![d.at, d.actor, period, d.school_code, d.action, old, d.new_state.key(), d.note],
        )?;
        tx.commit()?;
        Ok(ReviewState::from_key(&old).unwrap_or(ReviewState::Submitted))
    }
}

/// A reported period is locked: nothing about it may change until it is reopened.
pub(super) fn refuse_if_reported(tx: &rusqlite::Transaction<'_>, period: &str) -> Result<(), StoreError> {
    let status: Option<String> =
        tx.query_row("SELECT status FROM periods WHERE id = ?1", [period], |r| r.get(0)).optional()?;
    if status.as_deref() == Some("reported") {
        return Err(StoreError::PeriodReported { period: period.to_string() });
    }
    Ok(())
}

/// What a decision writes besides the state and the log row.
enum Extra {
    Nothing,
    OverrideOpenFindings,
    AuditorFinding,
}
