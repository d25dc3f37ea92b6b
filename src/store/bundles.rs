//! Reports to the city: the record of each exported bundle, the period lock it sets, and the
//! reopening that lifts it. The earlier bundles stay on record; the log says who did what.

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};
use serde::Serialize;

use super::queries::{CURRENT, DATA, DATA_LEN, submission_data};
use super::{Store, StoreError};
use crate::domain::{Period, ReviewState, SubmissionData};

/// One bundle on record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BundleRecord {
    pub sequence: u32,
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
    pub created_at: String,
    pub inside_window: bool,
    pub forced_reason: Option<String>,
    /// The 月报文本 it carried, as the auditor gave it (a path on this machine).
    pub report_text: Option<String>,
}

/// A school's current sheet with its review state and revision number, as the bundle carries it.
#[derive(Debug, Clone, PartialEq)]
pub struct SchoolRecord {
    pub data: SubmissionData,
    pub state: ReviewState,
    pub revision: u32,
}

/// A school now 退回重报, with the reason of the return that sent it back.
#[derive(Debug, Clone, PartialEq)]
pub struct ReturnedSchool {
    pub school_code: String,
    pub name: String,
    pub at: String,
    pub reason: String,
}

impl Store {
    /// The bundles exported for `period`, first first.
    pub fn bundles(&self, period: Period) -> Result<Vec<BundleRecord>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT sequence, path, sha256, bytes, created_at, inside_window, forced_reason, report_text
             FROM bundles WHERE period = ?1 ORDER BY sequence",
        )?;
        let rows = stmt.query_map([period.to_string()], |r| {
            Ok(BundleRecord {
                sequence: r.get(0)?,
                path: r.get(1)?,
                sha256: r.get(2)?,
                bytes: r.get::<_, i64>(3)?.try_into().unwrap_or(0),
                created_at: r.get(4)?,
                inside_window: r.get(5)?,
                forced_reason: r.get(6)?,
                report_text: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every school of the period with its current sheet, state and revision, by code.
    pub fn school_records(&self, period: Period) -> Result<Vec<SchoolRecord>, StoreError> {
        let sql = format!("SELECT {DATA}, s.state, r.revision {CURRENT} ORDER BY s.school_code");
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([period.to_string()], |r| {
            let state: String = r.get(DATA_LEN)?;
            Ok(SchoolRecord {
                data: submission_data(r)?,
                state: ReviewState::from_key(&state).unwrap_or(ReviewState::Submitted),
                revision: r.get(DATA_LEN + 1)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The schools now 退回重报, each with the note of its latest return: this level's own (at a
    /// city, a county's returned school is the county's to notify).
    pub fn returned_schools(&self, period: Period) -> Result<Vec<ReturnedSchool>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT s.school_code, r.name, l.at, coalesce(l.note, '')
             FROM submissions s
             JOIN revisions r ON r.submission_id = s.id AND r.revision = s.current_revision
             JOIN review_log l ON l.id = (SELECT max(id) FROM review_log
                 WHERE period = s.period AND school_code = s.school_code AND new_state = 'returned')
             WHERE s.period = ?1 AND s.state = 'returned'
               AND NOT EXISTS (SELECT 1 FROM city_claims c WHERE c.period = s.period AND c.school_code = s.school_code)
             ORDER BY s.school_code",
        )?;
        let rows = stmt.query_map([period.to_string()], |r| {
            Ok(ReturnedSchool { school_code: r.get(0)?, name: r.get(1)?, at: r.get(2)?, reason: r.get(3)? })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Takes the store's write lock for an export: everything the export reads through the
    /// returned [`ExportLock`] is what the store holds when [`ExportLock::record`] locks the
    /// period, because no other copy of shenhe can write in between (they wait, up to the busy
    /// timeout). Dropping it without recording changes nothing.
    pub fn begin_export(&self) -> Result<ExportLock<'_>, StoreError> {
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
        Ok(ExportLock { store: self, tx })
    }

    /// The sequence number the next bundle of `period` gets.
    pub fn next_bundle_sequence(&self, period: Period) -> Result<u32, StoreError> {
        next_sequence(&self.conn, &period.to_string())
    }

    /// Unlocks a reported period (the city sent it back), logging who and why. The bundles
    /// already made stay on record; the next one gets the next sequence number.
    pub fn reopen(&mut self, period: Period, reason: &str, actor: &str, at: &str) -> Result<(), StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        reopen_in(&tx, &period.to_string(), reason, actor, at)?;
        tx.commit()?;
        Ok(())
    }
}

/// Sets a reported period open and logs the reopen (its row the last inserted), inside `tx`.
pub(super) fn reopen_in(tx: &Transaction<'_>, id: &str, reason: &str, actor: &str, at: &str) -> Result<(), StoreError> {
    let status: Option<String> =
        tx.query_row("SELECT status FROM periods WHERE id = ?1", [id], |r| r.get(0)).optional()?;
    match status.as_deref() {
        Some("reported") => {}
        Some(_) => return Err(StoreError::NotReported { period: id.to_string() }),
        None => return Err(StoreError::NoSuchPeriod { period: id.to_string() }),
    }
    tx.execute("UPDATE periods SET status = 'open' WHERE id = ?1", [id])?;
    tx.execute(
        "INSERT INTO review_log (at, actor, period, action, note) VALUES (?1, ?2, ?3, 'reopen', ?4)",
        params![at, actor, id, reason],
    )?;
    Ok(())
}

/// An export holding the store's write lock (see [`Store::begin_export`]); reads go through it
/// as through the store.
pub struct ExportLock<'a> {
    store: &'a Store,
    tx: Transaction<'a>,
}

impl std::ops::Deref for ExportLock<'_> {
    type Target = Store;

    fn deref(&self) -> &Store {
        self.store
    }
}

impl ExportLock<'_> {
    /// Records the exported bundle, locks the period and logs the export, and commits: from
    /// then on the bundle's bytes are the report's (its SHA-256 is on record), whether or not
    /// its file has reached its final name yet.
    pub fn record(self, period: Period, bundle: &BundleRecord, actor: &str) -> Result<(), StoreError> {
        let id = period.to_string();
        let tx = self.tx;
        super::decisions::refuse_if_reported(&tx, &id)?;
        if next_sequence(&tx, &id)? != bundle.sequence {
            return Err(StoreError::SequenceTaken { period: id, sequence: bundle.sequence });
        }
        tx.execute(
            "INSERT INTO bundles (period, sequence, path, sha256, bytes, created_at, inside_window, forced_reason,
                                  report_text)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                id,
                bundle.sequence,
                bundle.path,
                bundle.sha256,
                i64::try_from(bundle.bytes).unwrap_or(i64::MAX),
                bundle.created_at,
                bundle.inside_window,
                bundle.forced_reason,
                bundle.report_text
            ],
        )?;
        tx.execute("UPDATE periods SET status = 'reported' WHERE id = ?1", [&id])?;
        let note = format!("#{} {} sha256 {}", bundle.sequence, bundle.path, bundle.sha256);
        let note = match &bundle.forced_reason {
            Some(reason) => format!("{note}; {reason}"),
            None => note,
        };
        tx.execute(
            "INSERT INTO review_log (at, actor, period, action, note) VALUES (?1, ?2, ?3, 'export', ?4)",
            params![bundle.created_at, actor, id, note],
        )?;
        tx.commit()?;
        Ok(())
    }
}

/// [`Store::next_bundle_sequence`], also inside the export's transaction.
fn next_sequence(conn: &rusqlite::Connection, period: &str) -> Result<u32, StoreError> {
    Ok(conn.query_row("SELECT coalesce(max(sequence), 0) + 1 FROM bundles WHERE period = ?1", [period], |r| r.get(0))?)
}
