//! The notices a level sends down (a return, its cancellation) and those it takes in from above.
//! Sent ones are kept whole, signed, so the level knows which of its returns still stand; taken
//! ones by their hash, so a cancelled return can never reopen, and a cancellation that arrives
//! after the reopen it undoes locks the period again.

use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde::Serialize;

use super::{Store, StoreError};
use crate::domain::Period;

/// The log action of a period locked again because its return was cancelled.
pub const RELOCK_ACTION: &str = "relock";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NoticeKind {
    Return,
    Cancel,
}

impl NoticeKind {
    fn key(self) -> &'static str {
        match self {
            NoticeKind::Return => "return",
            NoticeKind::Cancel => "cancel",
        }
    }
}

/// A notice this level sent, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SentNotice {
    pub id: i64,
    pub kind: NoticeKind,
    pub unit_code: String,
    pub period: String,
    pub sequence: u32,
    pub bundle_sha256: String,
    pub sha256: String,
    pub note: String,
    pub created_at: String,
    pub file_name: String,
}

/// A notice about to be recorded as sent: the signed file and what it says.
pub struct Outgoing<'a> {
    pub kind: NoticeKind,
    pub unit_code: &'a str,
    pub period: &'a str,
    pub sequence: u32,
    pub bundle_sha256: &'a str,
    pub sha256: &'a str,
    /// A cancellation: the return it takes back.
    pub cancels: Option<i64>,
    pub note: &'a str,
    pub created_at: &'a str,
    pub file_name: &'a str,
    pub bytes: &'a [u8],
}

/// A notice taken in from above, as its file says.
pub struct Incoming<'a> {
    pub period: Period,
    pub sequence: u32,
    pub sha256: &'a str,
    pub sender: &'a str,
    pub created_at: &'a str,
}

/// What recording a cancellation did to the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelOutcome {
    /// The period had been reopened from the cancelled return: it is locked again.
    Relocked,
    /// The period was still locked: the return can no longer reopen it.
    Recorded,
    /// The period is open for another reason (reopened by the county itself): left open.
    LeftOpen,
    /// The same cancellation was taken in before.
    AlreadyTaken,
}

/// Why a notice taken in from above was refused by what the store holds.
#[derive(Debug, Clone, PartialEq)]
pub enum NoticeRefusal {
    /// The return was cancelled by the city (a cancellation with this time was taken in).
    ReturnCancelled { cancelled_at: String },
}

impl Store {
    /// Records a notice this level sent (after it is signed, before its file gets its name).
    pub fn record_sent_notice(&mut self, notice: &Outgoing<'_>) -> Result<i64, StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO notices_sent (kind, unit_code, period, sequence, bundle_sha256, sha256, cancels, note,
                                       created_at, file_name, notice)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                notice.kind.key(),
                notice.unit_code,
                notice.period,
                notice.sequence,
                notice.bundle_sha256,
                notice.sha256,
                notice.cancels,
                notice.note,
                notice.created_at,
                notice.file_name,
                notice.bytes
            ],
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(id)
    }

    /// The notices sent to `unit_code` for `period`, first first.
    pub fn sent_notices(&self, unit_code: &str, period: &str) -> Result<Vec<SentNotice>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, kind, unit_code, period, sequence, bundle_sha256, sha256, note, created_at, file_name
             FROM notices_sent WHERE unit_code = ?1 AND period = ?2 ORDER BY id",
        )?;
        let rows = stmt.query_map(params![unit_code, period], |r| {
            let kind: String = r.get(1)?;
            Ok(SentNotice {
                id: r.get(0)?,
                kind: if kind == "cancel" { NoticeKind::Cancel } else { NoticeKind::Return },
                unit_code: r.get(2)?,
                period: r.get(3)?,
                sequence: r.get(4)?,
                bundle_sha256: r.get(5)?,
                sha256: r.get(6)?,
                note: r.get(7)?,
                created_at: r.get(8)?,
                file_name: r.get(9)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The latest return sent to `unit_code` for `period` that no cancellation took back.
    pub fn standing_return(&self, unit_code: &str, period: &str) -> Result<Option<SentNotice>, StoreError> {
        let cancelled: Vec<i64> = {
            let mut stmt = self
                .conn
                .prepare("SELECT cancels FROM notices_sent WHERE unit_code = ?1 AND period = ?2 AND kind = 'cancel'")?;
            stmt.query_map(params![unit_code, period], |r| r.get(0))?.collect::<Result<_, _>>()?
        };
        Ok(self
            .sent_notices(unit_code, period)?
            .into_iter()
            .rev()
            .find(|n| n.kind == NoticeKind::Return && !cancelled.contains(&n.id)))
    }

    /// Reopens `period` from a return notice, recording the notice with the reopen it made, in
    /// one transaction. A return whose cancellation was taken in first is refused.
    pub fn reopen_from_notice(
        &mut self,
        notice: &Incoming<'_>,
        reason: &str,
        actor: &str,
        at: &str,
    ) -> Result<Result<(), NoticeRefusal>, StoreError> {
        let id = notice.period.to_string();
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let cancelled: Option<String> = tx
            .query_row(
                "SELECT created_at FROM notices_taken WHERE kind = 'cancel' AND cancels_sha256 = ?1",
                [notice.sha256],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(cancelled_at) = cancelled {
            return Ok(Err(NoticeRefusal::ReturnCancelled { cancelled_at }));
        }
        super::bundles::reopen_in(&tx, &id, reason, actor, at)?;
        let log = tx.last_insert_rowid();
        // The same return taken again (the period reported once more meanwhile is refused
        // before this, as a stale notice) keeps its first record.
        tx.execute(
            "INSERT INTO notices_taken (kind, period, sequence, sha256, sender, created_at, taken_at, reopen_log)
             VALUES ('return', ?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (sha256) DO UPDATE SET reopen_log = excluded.reopen_log, taken_at = excluded.taken_at",
            params![id, notice.sequence, notice.sha256, notice.sender, notice.created_at, at, log],
        )?;
        tx.commit()?;
        Ok(Ok(()))
    }

    /// Records a cancellation of the return whose file hashed `return_sha256`. If the period
    /// was reopened from that return and nothing was reported since, it is locked again: the
    /// report the city holds stands. The caller has checked that the cancellation names the
    /// period's latest report.
    pub fn take_cancellation(
        &mut self,
        notice: &Incoming<'_>,
        return_sha256: &str,
        note: &str,
        actor: &str,
        at: &str,
    ) -> Result<CancelOutcome, StoreError> {
        let id = notice.period.to_string();
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let inserted = tx.execute(
            "INSERT INTO notices_taken (kind, period, sequence, sha256, cancels_sha256, sender, created_at, taken_at)
             VALUES ('cancel', ?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (sha256) DO NOTHING",
            params![id, notice.sequence, notice.sha256, return_sha256, notice.sender, notice.created_at, at],
        )?;
        if inserted == 0 {
            return Ok(CancelOutcome::AlreadyTaken);
        }
        let status: Option<String> =
            tx.query_row("SELECT status FROM periods WHERE id = ?1", [&id], |r| r.get(0)).optional()?;
        let outcome = match status.as_deref() {
            None => return Err(StoreError::NoSuchPeriod { period: id }),
            Some("reported") => CancelOutcome::Recorded,
            Some(_) => {
                let last_reopen: Option<i64> = tx
                    .query_row("SELECT max(id) FROM review_log WHERE period = ?1 AND action = 'reopen'", [&id], |r| {
                        r.get(0)
                    })
                    .optional()?
                    .flatten();
                let reopened_by_it: Option<i64> = tx
                    .query_row(
                        "SELECT reopen_log FROM notices_taken WHERE kind = 'return' AND sha256 = ?1",
                        [return_sha256],
                        |r| r.get(0),
                    )
                    .optional()?
                    .flatten();
                if last_reopen.is_some() && last_reopen == reopened_by_it {
                    tx.execute("UPDATE periods SET status = 'reported' WHERE id = ?1", [&id])?;
                    tx.execute(
                        "INSERT INTO review_log (at, actor, period, action, note) VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![at, actor, id, RELOCK_ACTION, note],
                    )?;
                    CancelOutcome::Relocked
                } else {
                    CancelOutcome::LeftOpen
                }
            }
        };
        tx.commit()?;
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::BundleRecord;

    fn reported() -> (Store, Period) {
        let store = Store::open_in_memory().unwrap();
        store.conn.execute("INSERT INTO periods (id, kind, created_at) VALUES ('2026Q3', 'quarter', 't')", []).unwrap();
        let period: Period = "2026Q3".parse().unwrap();
        let bundle = BundleRecord {
            sequence: 1,
            path: "b.zip".into(),
            sha256: "b1".into(),
            bytes: 1,
            created_at: "2026-10-03T10:00:00+08:00".into(),
            inside_window: true,
            forced_reason: None,
            report_text: None,
        };
        store.begin_export().unwrap().record(period, &bundle, "county").unwrap();
        (store, period)
    }

    fn notice(period: Period, sha256: &str) -> Incoming<'_> {
        Incoming { period, sequence: 1, sha256, sender: "郑州市", created_at: "2026-10-08T10:00:00+08:00" }
    }

    fn status(store: &Store) -> String {
        store.conn.query_row("SELECT status FROM periods WHERE id = '2026Q3'", [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn a_cancellation_relocks_only_the_reopen_its_return_made() {
        let (mut store, period) = reported();
        store.reopen_from_notice(&notice(period, "r1"), "退回", "county", "t1").unwrap().unwrap();
        assert_eq!(status(&store), "open");
        // A cancellation of another return leaves the period as it is.
        let outcome = store.take_cancellation(&notice(period, "c0"), "r0", "误退", "county", "t2").unwrap();
        assert_eq!((outcome, status(&store).as_str()), (CancelOutcome::LeftOpen, "open"));
        let outcome = store.take_cancellation(&notice(period, "c1"), "r1", "误退", "county", "t3").unwrap();
        assert_eq!((outcome, status(&store).as_str()), (CancelOutcome::Relocked, "reported"));
    }

    #[test]
    fn a_period_the_county_reopened_itself_stays_open() {
        let (mut store, period) = reported();
        store.reopen_from_notice(&notice(period, "r1"), "退回", "county", "t1").unwrap().unwrap();
        // Reported again and reopened by the county itself: the return's reopen is over.
        store.conn.execute("UPDATE periods SET status = 'reported' WHERE id = '2026Q3'", []).unwrap();
        store.reopen(period, "自行更正", "county", "t2").unwrap();
        let outcome = store.take_cancellation(&notice(period, "c1"), "r1", "误退", "county", "t3").unwrap();
        assert_eq!((outcome, status(&store).as_str()), (CancelOutcome::LeftOpen, "open"));
    }

    #[test]
    fn a_cancelled_return_reopens_nothing() {
        let (mut store, period) = reported();
        let outcome = store.take_cancellation(&notice(period, "c1"), "r1", "误退", "county", "t1").unwrap();
        assert_eq!(outcome, CancelOutcome::Recorded);
        let refused = store.reopen_from_notice(&notice(period, "r1"), "退回", "county", "t2").unwrap();
        assert_eq!(refused, Err(NoticeRefusal::ReturnCancelled { cancelled_at: "2026-10-08T10:00:00+08:00".into() }));
        assert_eq!(status(&store), "reported");
    }

    #[test]
    fn a_return_still_standing_is_the_latest_not_cancelled() {
        let (mut store, _) = reported();
        let sent = |store: &mut Store, kind, sha256: &str, cancels| {
            store
                .record_sent_notice(&Outgoing {
                    kind,
                    unit_code: "410102",
                    period: "2026Q3",
                    sequence: 1,
                    bundle_sha256: "b1",
                    sha256,
                    cancels,
                    note: "n",
                    created_at: "t",
                    file_name: "f.zip",
                    bytes: b"x",
                })
                .unwrap()
        };
        let first = sent(&mut store, NoticeKind::Return, "r1", None);
        assert_eq!(store.standing_return("410102", "2026Q3").unwrap().map(|n| n.id), Some(first));
        sent(&mut store, NoticeKind::Cancel, "c1", Some(first));
        assert_eq!(store.standing_return("410102", "2026Q3").unwrap(), None);
        let second = sent(&mut store, NoticeKind::Return, "r2", None);
        assert_eq!(store.standing_return("410102", "2026Q3").unwrap().map(|n| n.id), Some(second));
        assert_eq!(store.standing_return("410103", "2026Q3").unwrap(), None);
    }
}
