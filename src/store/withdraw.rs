//! Taking a school out of a period: a county's school that closed, merged or was imported by
//! mistake (`shenhe drop`), or at a city a school the county's newer report no longer carries.
//! Its submission, revisions and findings for the period go; the review log keeps a row saying
//! who took it out, from which state, and why (the log is append-only and keeps every earlier
//! row about the school; at a city the older report, which carried it, stays on record whole).

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use super::decisions::refuse_if_reported;
use super::{Store, StoreError};
use crate::domain::{Period, ReviewState};

/// The log's name for a school taken out of a period.
pub const DROP_ACTION: &str = "drop";

impl Store {
    /// Takes `school_code` out of `period` (open periods only), with the reason logged.
    /// Returns the state it had.
    pub fn drop_school(
        &mut self,
        period: Period,
        school_code: &str,
        reason: &str,
        actor: &str,
        at: &str,
    ) -> Result<ReviewState, StoreError> {
        let id = period.to_string();
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        refuse_if_reported(&tx, &id)?;
        super::decisions::refuse_if_held(&tx, &id, school_code)?;
        let state = remove_submission(&tx, &id, school_code, reason, actor, at)?
            .ok_or_else(|| StoreError::NoSuchSchool { period: id.clone(), school_code: school_code.to_string() })?;
        tx.commit()?;
        Ok(state)
    }
}

/// Removes the school's submission, revisions and findings for `period` inside `tx` and logs
/// it. `None` when the period has no such school.
pub(super) fn remove_submission(
    tx: &Transaction<'_>,
    period: &str,
    school_code: &str,
    reason: &str,
    actor: &str,
    at: &str,
) -> Result<Option<ReviewState>, StoreError> {
    let found: Option<(i64, String)> = tx
        .query_row(
            "SELECT id, state FROM submissions WHERE period = ?1 AND school_code = ?2",
            params![period, school_code],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((id, state)) = found else { return Ok(None) };
    tx.execute("DELETE FROM revisions WHERE submission_id = ?1", [id])?;
    tx.execute("DELETE FROM submissions WHERE id = ?1", [id])?;
    tx.execute("DELETE FROM findings WHERE period = ?1 AND school_code = ?2", params![period, school_code])?;
    tx.execute(
        "INSERT INTO review_log (at, actor, period, school_code, action, old_state, new_state, note)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, ?7)",
        params![at, actor, period, school_code, DROP_ACTION, state, reason],
    )?;
    Ok(Some(ReviewState::from_key(&state).unwrap_or(ReviewState::Submitted)))
}
