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
        let old = state_in(&tx, &period, d.school_code)?;
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

/// The review log's name for a return taken back (取消, seed 004 §2.1).
pub const CANCEL_RETURN: &str = "cancel_return";

impl Store {
    /// Takes back a 退回重报 made by mistake, before the school has sent its new sheet: the
    /// school gets back the state it had when it was returned, and the log says who cancelled
    /// and why, in one transaction. A school no longer 退回重报 — its new sheet has come in
    /// (which always moves it on), or someone else decided it meanwhile — is refused. Returns
    /// the state restored.
    pub fn cancel_return(
        &mut self,
        period: Period,
        school_code: &str,
        note: Option<&str>,
        actor: &str,
        at: &str,
    ) -> Result<ReviewState, StoreError> {
        let id = period.to_string();
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        refuse_if_reported(&tx, &id)?;
        let state = state_in(&tx, &id, school_code)?;
        if state != ReviewState::Returned.key() {
            let state = ReviewState::from_key(&state).unwrap_or(ReviewState::Submitted);
            return Err(StoreError::StateChanged { school_code: school_code.to_string(), state });
        }
        let before: Option<String> = tx
            .query_row(
                "SELECT old_state FROM review_log WHERE period = ?1 AND school_code = ?2 AND new_state = 'returned'
                 ORDER BY id DESC LIMIT 1",
                params![id, school_code],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        // A return is made from 待审核, 有疑问 or 审核通过; anything else on record goes back to
        // the queue.
        let restored = match before.as_deref().and_then(ReviewState::from_key) {
            Some(s @ (ReviewState::Submitted | ReviewState::Flagged | ReviewState::Approved)) => s,
            _ => ReviewState::Submitted,
        };
        tx.execute(
            "UPDATE submissions SET state = ?3, updated_at = ?4 WHERE period = ?1 AND school_code = ?2",
            params![id, school_code, restored.key(), at],
        )?;
        tx.execute(
            "INSERT INTO review_log (at, actor, period, school_code, action, old_state, new_state, note)
             VALUES (?1, ?2, ?3, ?4, ?5, 'returned', ?6, ?7)",
            params![at, actor, id, school_code, CANCEL_RETURN, restored.key(), note],
        )?;
        tx.commit()?;
        Ok(restored)
    }
}

/// The school's review state's key, inside the decision's transaction. A school a report from
/// below carries (at a city, a county's) is that level's to decide: refused.
fn state_in(tx: &rusqlite::Transaction<'_>, period: &str, school_code: &str) -> Result<String, StoreError> {
    refuse_if_held(tx, period, school_code)?;
    tx.query_row(
        "SELECT state FROM submissions WHERE period = ?1 AND school_code = ?2",
        params![period, school_code],
        |r| r.get(0),
    )
    .optional()?
    .ok_or_else(|| StoreError::NoSuchSchool { period: period.to_string(), school_code: school_code.to_string() })
}

/// A school a report from below carries is that level's: refused here.
pub(super) fn refuse_if_held(
    tx: &rusqlite::Transaction<'_>,
    period: &str,
    school_code: &str,
) -> Result<(), StoreError> {
    let held: Option<String> = tx
        .query_row(
            "SELECT county_code FROM city_claims WHERE period = ?1 AND school_code = ?2 ORDER BY id LIMIT 1",
            params![period, school_code],
            |r| r.get(0),
        )
        .optional()?;
    match held {
        Some(county_code) => Err(StoreError::HeldBelow { school_code: school_code.to_string(), county_code }),
        None => Ok(()),
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
