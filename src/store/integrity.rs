//! Is the store's file whole? Checked where a check protects something, not at every open
//! (ARCHITECTURE.md, "Integrity checks"): a `quick_check` reads every page, and a store holding
//! years of periods would make every command and every screen wait for it.
//!
//! - Every open without a WAL left behind: the header's page count against the file's length
//!   (a truncated copy, a USB stick pulled mid-write), which costs one read of 100 bytes.
//! - At open, `quick_check` when the last session ended uncleanly (its WAL file was left
//!   behind), when the schema is about to be migrated, and when the last good check is older
//!   than [`CHECK_EVERY`].
//! - `shenhe check-store`: `integrity_check`, whenever the auditor asks.
//! - Backups and restores check the copy they make or bring back (`backup.rs`).

use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use rusqlite::{Connection, OptionalExtension, params};

use super::{Store, StoreError, damaged};

/// A store whose last good check is older than this is checked at its next open.
pub const CHECK_EVERY: chrono::TimeDelta = chrono::TimeDelta::days(7);

/// How far a check reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckKind {
    /// `PRAGMA quick_check`: every page's structure, without the index cross-checks.
    Quick,
    /// `PRAGMA integrity_check`: also every index against its table.
    Full,
}

impl CheckKind {
    fn key(self) -> &'static str {
        match self {
            CheckKind::Quick => "quick",
            CheckKind::Full => "full",
        }
    }

    fn pragma(self) -> &'static str {
        match self {
            CheckKind::Quick => "PRAGMA quick_check(5)",
            CheckKind::Full => "PRAGMA integrity_check(5)",
        }
    }
}

/// Why a check ran, as the store's record of checks keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckReason {
    /// A new store, checked (empty) when it is made: the week is counted from then.
    Created,
    /// The WAL file of an earlier session was left behind: a crash, a power cut, or another
    /// copy of shenhe open on the same store.
    UncleanShutdown,
    /// The schema is older than this shenhe's and is about to be migrated in place.
    BeforeMigration,
    /// The last good check is older than [`CHECK_EVERY`].
    Due,
    /// `shenhe check-store`.
    Asked,
}

impl CheckReason {
    fn key(self) -> &'static str {
        match self {
            CheckReason::Created => "created",
            CheckReason::UncleanShutdown => "unclean_shutdown",
            CheckReason::BeforeMigration => "before_migration",
            CheckReason::Due => "due",
            CheckReason::Asked => "asked",
        }
    }
}

/// The store's header against its length. SQLite keeps the database's size in pages in the
/// header (valid while the change counter matches "version valid for"); a file shorter than
/// that has lost its end, whatever SQLite would make of the pages it still has.
pub(super) fn refuse_truncated(path: &Path) -> Result<(), StoreError> {
    let Ok(mut file) = std::fs::File::open(path) else { return Ok(()) };
    let io = |source| StoreError::Io { path: path.to_path_buf(), source };
    let len = file.metadata().map_err(io)?.len();
    let mut head = [0u8; 100];
    if len < head.len() as u64 {
        // Empty: a new store. Shorter than a header: SQLite refuses it itself.
        return Ok(());
    }
    file.read_exact(&mut head).map_err(io)?;
    let be32 = |at: usize| u32::from_be_bytes([head[at], head[at + 1], head[at + 2], head[at + 3]]);
    let page_size = match u16::from_be_bytes([head[16], head[17]]) {
        1 => 65_536,
        n => u64::from(n),
    };
    let pages = u64::from(be32(28));
    let size_valid = pages > 0 && be32(24) == be32(92);
    if size_valid && len < pages * page_size {
        return Err(StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: format!("{len} bytes, but the header counts {pages} pages of {page_size} bytes"),
        });
    }
    Ok(())
}

/// A WAL file left with something in it: the last session did not close the store (a clean
/// close checkpoints and removes it), or another copy of shenhe has it open now.
pub(super) fn left_uncleanly(path: &Path) -> bool {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(PathBuf::from(wal)).is_ok_and(|m| m.len() > 0)
}

/// Runs `kind` of check; `Ok` only when SQLite finds nothing wrong.
pub(super) fn check(conn: &Connection, path: &Path, kind: CheckKind) -> Result<(), StoreError> {
    let mut stmt = conn.prepare(kind.pragma()).map_err(|e| damaged(e, path))?;
    let found = stmt.query_map([], |r| r.get::<_, String>(0)).and_then(|rows| rows.collect::<Result<Vec<_>, _>>());
    let found = found.map_err(|e| damaged(e, path))?;
    if found.len() == 1 && found[0] == "ok" {
        Ok(())
    } else {
        Err(StoreError::Corrupt { path: path.to_path_buf(), detail: found.join("; ") })
    }
}

/// Whether the store's last good check is older than [`CHECK_EVERY`] (or it has none).
pub(super) fn due(conn: &Connection, now: DateTime<FixedOffset>) -> Result<bool, StoreError> {
    let last: Option<String> =
        conn.query_row("SELECT max(at) FROM store_checks WHERE result = 'ok'", [], |r| r.get(0)).optional()?.flatten();
    Ok(last.and_then(|at| DateTime::parse_from_rfc3339(&at).ok()).is_none_or(|at| now - at >= CHECK_EVERY))
}

/// Keeps a check's outcome. Best effort for a good check (a store on a read-only disk is
/// checked again next time); a failed one is not written to a damaged file at all.
pub(super) fn record(conn: &Connection, at: DateTime<FixedOffset>, kind: CheckKind, why: CheckReason) {
    // Not worth waiting for: while another copy writes, the record is skipped (and the
    // check runs again next time) rather than hold up the open for the busy timeout.
    let _ = conn.busy_timeout(std::time::Duration::ZERO);
    let written = conn.execute(
        "INSERT INTO store_checks (at, kind, why, result) VALUES (?1, ?2, ?3, 'ok')",
        params![at.to_rfc3339(), kind.key(), why.key()],
    );
    let _ = conn.busy_timeout(super::BUSY_TIMEOUT);
    if let Err(e) = written {
        tracing::warn!(error = %e, "could not record the store check");
    }
}

/// The store's last check, for `check-store` and `status`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LastCheck {
    pub at: String,
    pub kind: String,
    pub why: String,
}

impl Store {
    /// `shenhe check-store`: every page and every index, then the schema against this
    /// shenhe's own. The good outcome is recorded, and resets the weekly check.
    pub fn check_whole(&self) -> Result<(), StoreError> {
        check(&self.conn, &self.path, CheckKind::Full)?;
        super::schema::require_current(&self.conn, &self.path)?;
        record(&self.conn, crate::clock::now(), CheckKind::Full, CheckReason::Asked);
        Ok(())
    }

    /// The last good check of the store, if it has one.
    pub fn last_check(&self) -> Result<Option<LastCheck>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT at, kind, why FROM store_checks WHERE result = 'ok' ORDER BY at DESC, id DESC LIMIT 1",
                [],
                |r| Ok(LastCheck { at: r.get(0)?, kind: r.get(1)?, why: r.get(2)? }),
            )
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(text).unwrap()
    }

    const MADE: &str = "2026-10-01T09:00:00+08:00";

    /// A store of a few hundred findings (several pages), closed cleanly, made at [`MADE`].
    fn store(dir: &Path) -> PathBuf {
        let path = dir.join("s.db");
        let store = Store::open_at(&path, at(MADE)).unwrap();
        store
            .conn
            .execute_batch(
                "INSERT INTO periods (id, kind, created_at) VALUES ('2026Q3', 'quarter', 't');
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
                 INSERT INTO findings (period, school_code, rule, severity, detail, created_at)
                 SELECT '2026Q3', printf('41%08d', i), 'peer_outlier', 'warning', printf('{\"n\":\"%0200d\"}', i), 't' FROM n;",
            )
            .unwrap();
        drop(store);
        path
    }

    /// Overwrites one page in the middle of the file (not the header, not the end) with junk:
    /// damage the header-against-length check cannot see.
    fn damage_a_middle_page(path: &Path) {
        let mut bytes = std::fs::read(path).unwrap();
        let page = super::super::PAGE_SIZE as usize;
        let middle = (bytes.len() / page / 2) * page;
        assert!(middle > page, "the store has pages past its first");
        bytes[middle..middle + page].fill(0x5a);
        std::fs::write(path, bytes).unwrap();
    }

    fn wal(path: &Path) -> PathBuf {
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        PathBuf::from(wal)
    }

    #[test]
    fn a_clean_open_within_the_week_does_not_read_every_page_but_a_due_one_does() {
        let dir = tempfile::tempdir().unwrap();
        let path = store(dir.path());
        damage_a_middle_page(&path);
        // Six days after the store was made (and checked, empty): not due, no check.
        assert!(Store::open_at(&path, at("2026-10-07T09:00:00+08:00")).is_ok());
        // A week on, the check runs and finds the page.
        let err = Store::open_at(&path, at("2026-10-08T09:00:01+08:00")).err().expect("refused");
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    }

    #[test]
    fn a_good_weekly_check_is_recorded_and_counts_the_week_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = store(dir.path());
        let store = Store::open_at(&path, at("2026-10-09T09:00:00+08:00")).unwrap();
        let last = store.last_check().unwrap().unwrap();
        assert_eq!((last.kind.as_str(), last.why.as_str()), ("quick", "due"));
        assert!(!due(&store.conn, at("2026-10-15T09:00:00+08:00")).unwrap());
        assert!(due(&store.conn, at("2026-10-16T09:00:00+08:00")).unwrap());
    }

    #[test]
    fn after_an_unclean_shutdown_the_open_checks_every_page() {
        let dir = tempfile::tempdir().unwrap();
        let path = store(dir.path());
        // A session that wrote and never closed: its WAL is still there, as after a power cut.
        let crashed = Connection::open(&path).unwrap();
        crashed.execute_batch("PRAGMA journal_mode = WAL; INSERT INTO periods (id, kind, created_at) VALUES ('2026Q4', 'quarter', 't');").unwrap();
        let wal_bytes = std::fs::read(wal(&path)).unwrap();
        let db_bytes = std::fs::read(&path).unwrap();
        drop(crashed);
        std::fs::write(&path, db_bytes).unwrap();
        std::fs::write(wal(&path), wal_bytes).unwrap();
        assert!(left_uncleanly(&path));
        damage_a_middle_page(&path);
        let err = Store::open_at(&path, at("2026-10-02T09:00:00+08:00")).err().expect("refused");
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    }

    #[test]
    fn check_store_reads_every_page_whenever_asked() {
        let dir = tempfile::tempdir().unwrap();
        let path = store(dir.path());
        let store = Store::open_at(&path, at("2026-10-02T09:00:00+08:00")).unwrap();
        store.check_whole().unwrap();
        assert_eq!(store.last_check().unwrap().unwrap().why, "asked");
        drop(store);
        damage_a_middle_page(&path);
        let store = Store::open_at(&path, at("2026-10-02T09:00:00+08:00")).unwrap();
        assert!(matches!(store.check_whole(), Err(StoreError::Corrupt { .. })));
    }

    #[test]
    fn a_file_shorter_than_its_header_with_its_wal_beside_it_is_a_checkpoint_to_finish() {
        let dir = tempfile::tempdir().unwrap();
        let path = store(dir.path());
        // A session grew the store in its WAL; a checkpoint wrote page 1 (the new size) and
        // was stopped before the pages after the old end: what the crash harness found.
        let crashed = Connection::open(&path).unwrap();
        crashed
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;
                 INSERT INTO findings (period, school_code, rule, severity, detail, created_at)
                 SELECT period, school_code || 'x', rule, severity, detail, created_at FROM findings;",
            )
            .unwrap();
        let wal_bytes = std::fs::read(wal(&path)).unwrap();
        let old_len = std::fs::metadata(&path).unwrap().len() as usize;
        crashed.execute_batch("PRAGMA wal_checkpoint(PASSIVE);").unwrap();
        let checkpointed = std::fs::read(&path).unwrap();
        drop(crashed);
        assert!(checkpointed.len() > old_len, "the store grew");
        std::fs::write(&path, &checkpointed[..old_len]).unwrap();
        std::fs::write(wal(&path), wal_bytes).unwrap();
        let store = Store::open_at(&path, at("2026-10-02T09:00:00+08:00")).expect("recovered from the WAL");
        let n: i64 = store.conn.query_row("SELECT count(*) FROM findings", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 4000);
    }

    #[test]
    fn a_truncated_store_is_refused_at_every_open_without_a_page_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = store(dir.path());
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
        let err = Store::open_at(&path, at("2026-10-02T09:00:00+08:00")).err().expect("refused");
        assert!(matches!(err, StoreError::Corrupt { ref detail, .. } if detail.contains("header")), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), &bytes[..bytes.len() - 1], "left as it was");
    }
}
