//! The only module that speaks SQL. Opens the SQLite store (pragmas, migrations), and writes
//! every state change together with its log row in one transaction.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};
use rusqlite_migration::{M, Migrations};

use crate::i18n::{Lang, fill};

mod backup;
mod bundles;
mod city;
mod decisions;
mod findings;
mod first_page;
mod import;
mod integrity;
mod notices;
mod queries;
mod review;
mod schema;
mod withdraw;

pub use backup::{BackupCheck, LastBackup, check_backup, restore_file};
pub use bundles::{BundleRecord, ExportLock, ReturnedSchool, SchoolRecord};
pub use city::{CityBundle, Claim, ClaimChange, Conflict, Received};
pub use decisions::{AUDITOR_FLAG, CANCEL_RETURN, Decision};
pub use findings::{CheckBatch, CheckCounts, NewFinding, PeriodSheets, StoredFinding};
pub use first_page::FirstPage;
pub use import::{ImportBatch, ImportCounts, RowOutcome};
pub use integrity::{CHECK_EVERY, LastCheck};
pub use notices::{CancelOutcome, Incoming, NoticeKind, NoticeRefusal, Outgoing, RELOCK_ACTION, SentNotice};
pub use queries::{ListedSubmission, LogEntry};
pub use review::{IndexRow, ReviewIndex, RevisionInfo, RowIndicators, SchoolDetail, Undo};
pub use schema::SchemaProblem;
pub use withdraw::DROP_ACTION;

/// Numbered, append-only migrations: never edit one that has shipped, add the next.
const MIGRATIONS: [fn() -> M<'static>; 9] = [
    || M::up(include_str!("migrations/001_initial.sql")),
    || M::up(include_str!("migrations/002_findings_by_school.sql")),
    || M::up(include_str!("migrations/003_city_bundles.sql")),
    || M::up(include_str!("migrations/004_backups.sql")),
    || M::up(include_str!("migrations/005_city_claims.sql")),
    || M::up(include_str!("migrations/006_report_text.sql")),
    || M::up(include_str!("migrations/007_notices.sql")),
    || M::up(include_str!("migrations/008_store_checks.sql")),
    || M::up_with_hook(include_str!("migrations/009_checks_without_lists.sql"), schema::after_schema_edit),
];

/// How long a write waits for another copy of shenhe to finish its own before the store is
/// reported busy.
pub(crate) const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Page size of a new store, in bytes.
const PAGE_SIZE: i64 = 16_384;

/// The schema version this binary writes.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

pub fn migrations() -> Migrations<'static> {
    Migrations::new(MIGRATIONS.iter().map(|m| m()).collect())
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: not a shenhe database (not SQLite)")]
    NotADatabase { path: PathBuf },
    #[error("{path}: the database is damaged ({detail})")]
    Corrupt { path: PathBuf, detail: String },
    #[error("{path}: cannot write the copy ({reason})")]
    CopyFailed { path: PathBuf, reason: String },
    #[error("{path}: schema {found} is newer than this shenhe ({supported})")]
    TooNew { path: PathBuf, found: usize, supported: usize },
    #[error("period {period} is reported and locked")]
    PeriodReported { period: String },
    #[error("no school {school_code} in period {period}")]
    NoSuchSchool { period: String, school_code: String },
    #[error("period {period} is not reported")]
    NotReported { period: String },
    #[error("no period {period}")]
    NoSuchPeriod { period: String },
    #[error("bundle {sequence} of {period} was recorded meanwhile")]
    SequenceTaken { period: String, sequence: u32 },
    #[error("school {school_code} is reported by {county_code}: read-only here")]
    HeldBelow { school_code: String, county_code: String },
    #[error("school {school_code} changed since the decision")]
    ChangedSince { school_code: String },
    #[error("school {school_code} is {state:?} now, not what the decision was made on")]
    StateChanged { school_code: String, state: crate::domain::ReviewState },
    #[error("{path}: schema objects differ from schema {version}'s: {problem:?}")]
    UnexpectedSchema { path: PathBuf, version: usize, problem: SchemaProblem },
    #[error("the restore did not finish ({reason}); the store before it is kept as {kept}")]
    RestoreFailed { kept: PathBuf, put_back: bool, reason: String },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database value: {0}")]
    Value(#[from] rusqlite::types::FromSqlError),
    #[error("migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
}

impl StoreError {
    pub fn user_message(&self, lang: Lang) -> String {
        let m = lang.msg();
        match self {
            StoreError::NotADatabase { path } => fill(&m.store_not_database, &[("path", &path.display())]),
            StoreError::Corrupt { path, detail } => {
                fill(&m.store_corrupt, &[("path", &path.display()), ("detail", detail)])
            }
            StoreError::TooNew { path, found, supported } => {
                fill(&m.store_too_new, &[("path", &path.display()), ("found", found), ("supported", supported)])
            }
            StoreError::PeriodReported { period } => fill(&m.store_period_reported, &[("period", period)]),
            StoreError::NoSuchSchool { period, school_code } => {
                fill(&m.store_no_such_school, &[("period", period), ("code", school_code)])
            }
            StoreError::NotReported { period } => fill(&m.store_not_reported, &[("period", period)]),
            StoreError::NoSuchPeriod { period } => fill(&m.no_such_period, &[("period", period)]),
            StoreError::SequenceTaken { period, sequence } => {
                fill(&m.store_sequence_taken, &[("period", period), ("sequence", sequence)])
            }
            StoreError::HeldBelow { school_code, county_code } => {
                fill(&m.store_held_below, &[("code", school_code), ("county", county_code)])
            }
            StoreError::ChangedSince { school_code } => fill(&m.store_changed_since, &[("code", school_code)]),
            StoreError::StateChanged { school_code, state } => {
                fill(&m.store_state_changed, &[("code", school_code), ("state", &state.label(lang))])
            }
            StoreError::UnexpectedSchema { path, version, problem } => fill(
                &m.restore_schema_differs,
                &[("path", &path.display()), ("version", version), ("problem", &problem.describe(lang))],
            ),
            StoreError::RestoreFailed { kept, put_back, reason } => fill(
                if *put_back { &m.restore_failed_put_back } else { &m.restore_failed_not_back },
                &[("kept", &kept.display()), ("reason", reason)],
            ),
            _ if self.is_busy() => m.store_busy.clone(),
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _))
                if matches!(e.code, rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase) =>
            {
                fill(&m.store_corrupt_found, &[("detail", self)])
            }
            StoreError::CopyFailed { path, reason } => {
                fill(&m.store_copy_failed, &[("path", &path.display()), ("reason", reason)])
            }
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::DiskFull => {
                m.store_disk_full.clone()
            }
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::ReadOnly
                        | rusqlite::ErrorCode::CannotOpen
                        | rusqlite::ErrorCode::PermissionDenied
                ) =>
            {
                m.store_cannot_write.clone()
            }
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::SystemIoFailure =>
            {
                fill(&m.store_io_failed, &[("reason", self)])
            }
            StoreError::Io { path, source } if source.raw_os_error() == Some(28) => {
                fill(&m.files_disk_full, &[("path", &path.display())])
            }
            other => fill(&m.store_failed, &[("reason", other)]),
        }
    }

    /// Another copy of shenhe held the store longer than the busy timeout.
    pub fn is_busy(&self) -> bool {
        matches!(
            self,
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _))
                if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        )
    }
}

/// An open store. Dropping it closes the connection.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    /// A file that is not SQLite, or was written by a newer shenhe, is refused and left untouched.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_at(path, crate::clock::now())
    }

    /// [`Store::open`] as if it were `now` (whether the weekly check is due).
    fn open_at(path: &Path, now: chrono::DateTime<chrono::FixedOffset>) -> Result<Store, StoreError> {
        let io = |source| StoreError::Io { path: path.to_path_buf(), source };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        refuse_foreign_file(path)?;
        // Looked at before SQLite opens the file: opening replays (and a clean close removes)
        // the WAL.
        let unclean = integrity::left_uncleanly(path);
        // With a WAL left behind, the file may be shorter than its header says and whole: a
        // checkpoint stopped halfway, which SQLite finishes from the WAL. The whole-file check
        // below runs then instead.
        if !unclean {
            integrity::refuse_truncated(path)?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)?;
        Store::prepare(conn, path.to_path_buf(), unclean, now)
    }

    /// A store that lives in memory only (tests and throw-away runs).
    pub fn open_in_memory() -> Result<Store, StoreError> {
        Store::prepare(Connection::open_in_memory()?, PathBuf::from(":memory:"), false, crate::clock::now())
    }

    fn prepare(
        mut conn: Connection,
        path: PathBuf,
        unclean: bool,
        now: chrono::DateTime<chrono::FixedOffset>,
    ) -> Result<Store, StoreError> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let found: usize = conn
            .pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::NotADatabase => {
                    StoreError::NotADatabase { path: path.clone() }
                }
                other => damaged(other, &path),
            })?
            .try_into()
            .unwrap_or(usize::MAX);
        if found > SCHEMA_VERSION {
            return Err(StoreError::TooNew { path, found, supported: SCHEMA_VERSION });
        }
        // A damaged store is refused before anything is written to it (a write could make
        // it worse): `shenhe restore` brings back a copy and keeps this one aside. Checked
        // whole only where damage is likely or a write is about to change it all
        // (`integrity`); the header against the file's length was checked above.
        let why = if found == 0 {
            Some(integrity::CheckReason::Created)
        } else if unclean {
            Some(integrity::CheckReason::UncleanShutdown)
        } else if found < SCHEMA_VERSION {
            Some(integrity::CheckReason::BeforeMigration)
        } else if integrity::due(&conn, now).map_err(|e| match e {
            StoreError::Sqlite(e) => damaged(e, &path),
            other => other,
        })? {
            Some(integrity::CheckReason::Due)
        } else {
            None
        };
        if why.is_some() && found > 0 {
            integrity::check(&conn, &path, integrity::CheckKind::Quick)?;
        }
        // Set before the first table exists (it cannot change afterwards): an import writes a
        // few hundred bytes per school, and larger pages cut its B-tree work by a tenth.
        if found == 0 {
            conn.pragma_update(None, "page_size", PAGE_SIZE)?;
        }
        // WAL lets a reader (a second window) work beside the writer; FULL sync makes every
        // acknowledged decision survive a power cut, at one fsync per transaction.
        set_wal(&conn)?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // 8 MiB of page cache (SQLite's default is 2 MiB): a large import then spills fewer
        // pages to the WAL before it commits.
        conn.pragma_update(None, "cache_size", -8192)?;
        // Two copies opening a new (or older) store at once both read the old version and both
        // migrate. The migration's transaction takes the write lock first, so the second waits
        // for the first's (whole: one transaction) and then finds the tables made: not a
        // failure unless the schema is still behind.
        conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
        let migrated = migrations().to_latest(&mut conn);
        conn.set_transaction_behavior(rusqlite::TransactionBehavior::Deferred);
        if let Err(e) = migrated
            && user_version(&conn)? < SCHEMA_VERSION
        {
            return Err(match e {
                rusqlite_migration::Error::RusqliteError { err, .. } => damaged(err, &path),
                other => StoreError::Migration(other),
            });
        }
        if let Some(why) = why {
            if why == integrity::CheckReason::Created {
                // Nothing in it yet: the week is counted from here.
                integrity::check(&conn, &path, integrity::CheckKind::Quick)?;
            }
            integrity::record(&conn, now, integrity::CheckKind::Quick, why);
        }
        Ok(Store { conn, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// SQLite's page cache, in KiB, for a long session that reads little at a time (the
    /// review screen: its index is read once, then a few rows a key): the 8 MiB an import wants
    /// would stay resident all day.
    pub fn set_cache_kib(&self, kib: u32) -> Result<(), StoreError> {
        self.conn.pragma_update(None, "cache_size", -i64::from(kib))?;
        Ok(())
    }

    pub fn schema_version(&self) -> Result<usize, StoreError> {
        user_version(&self.conn)
    }
}

/// SQLite's "malformed" and "not a database" errors as what they mean for the user.
pub(super) fn damaged(e: rusqlite::Error, path: &Path) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase) =>
        {
            StoreError::Corrupt { path: path.to_path_buf(), detail: e.to_string() }
        }
        _ => StoreError::Sqlite(e),
    }
}

/// Switching a new store to WAL needs the file to itself for a moment, and SQLite does not
/// wait for that (the busy timeout does not apply): a copy opening the store at the same moment
/// as another tries again, for as long as the busy timeout.
fn set_wal(conn: &Connection) -> rusqlite::Result<()> {
    let pause = std::time::Duration::from_millis(10);
    let mut tries = BUSY_TIMEOUT.as_millis() / pause.as_millis();
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::DatabaseBusy && tries > 0 => {
                tries -= 1;
                std::thread::sleep(pause);
            }
            done => return done,
        }
    }
}

fn user_version(conn: &Connection) -> Result<usize, StoreError> {
    let v: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    Ok(usize::try_from(v).unwrap_or(0))
}

/// SQLite would happily treat an empty file as a new database, but a non-empty file without
/// the SQLite header is someone's document: refuse it rather than risk writing over it.
fn refuse_foreign_file(path: &Path) -> Result<(), StoreError> {
    use std::io::Read;
    let Ok(mut file) = std::fs::File::open(path) else { return Ok(()) };
    let mut head = [0u8; 16];
    let n = file.read(&mut head).map_err(|source| StoreError::Io { path: path.to_path_buf(), source })?;
    if n == 0 || (n == 16 && &head == b"SQLite format 3\0") {
        Ok(())
    } else {
        Err(StoreError::NotADatabase { path: path.to_path_buf() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_validate() {
        migrations().validate().unwrap();
    }

    #[test]
    fn opens_fresh_store_at_latest_schema_with_wal_and_foreign_keys() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("sub/s.db")).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let mode: String = store.conn.pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = store.conn.pragma_query_value(None, "foreign_keys", |r| r.get(0)).unwrap();
        assert_eq!(fk, 1);
    }

    #[test]
    fn refuses_a_database_from_a_newer_shenhe_and_leaves_it_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.db");
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch("CREATE TABLE future (x); PRAGMA user_version = 99;").unwrap();
        }
        let before = std::fs::read(&path).unwrap();
        let err = Store::open(&path).err().expect("refused");
        assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
        assert!(err.user_message(Lang::Zh).contains("99"));
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn refuses_a_file_that_is_not_sqlite_and_never_overwrites_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.db");
        std::fs::write(&path, "学校标识码,学校名称\n").unwrap();
        let err = Store::open(&path).err().expect("refused");
        assert!(matches!(err, StoreError::NotADatabase { .. }));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "学校标识码,学校名称\n");
    }

    #[test]
    fn upgrades_files_of_every_older_schema_in_place() {
        let dir = tempfile::tempdir().unwrap();
        for version in 0..SCHEMA_VERSION {
            let path = dir.path().join(format!("v{version}.db"));
            let mut c = Connection::open(&path).unwrap();
            migrations().to_version(&mut c, version).unwrap();
            drop(c);
            let store = Store::open(&path).unwrap();
            assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION, "from {version}");
        }
    }

    /// The state and resolution constraints allow exactly what they did before 009, and no
    /// longer make SQLite build a temporary B-tree for every row written.
    #[test]
    fn the_respelt_checks_refuse_the_same_values_without_a_temporary_tree_a_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v8.db");
        let mut c = Connection::open(&path).unwrap();
        migrations().to_version(&mut c, 8).unwrap();
        c.execute_batch(
            "INSERT INTO periods (id, kind, created_at) VALUES ('2026Q3', 'quarter', 't');
             INSERT INTO submissions (period, school_code, state, current_revision, updated_at)
               VALUES ('2026Q3', '2141000001', 'flagged', 1, 't');
             INSERT INTO findings (period, school_code, rule, severity, created_at)
               VALUES ('2026Q3', '2141000001', 'r', 'error', 't');",
        )
        .unwrap();
        drop(c);
        let store = Store::open(&path).unwrap();
        let c = &store.conn;
        let kept: (String, String) = c
            .query_row("SELECT s.state, f.resolution FROM submissions s, findings f", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(kept, ("flagged".into(), "open".into()));
        for state in ["unfilled", "submitted", "flagged", "returned", "approved"] {
            c.execute("UPDATE submissions SET state = ?1", [state]).unwrap();
        }
        for bad in ["", "Approved", "approved ", "open"] {
            assert!(c.execute("UPDATE submissions SET state = ?1", [bad]).is_err(), "{bad:?}");
        }
        for resolution in ["open", "resolved", "overridden"] {
            c.execute("UPDATE findings SET resolution = ?1", [resolution]).unwrap();
        }
        assert!(c.execute("UPDATE findings SET resolution = 'closed'", []).is_err());
        let ephemeral = |sql: &str| -> bool {
            let mut explain = c.prepare(&format!("EXPLAIN {sql}")).unwrap();
            let ops: Vec<String> = explain.query_map([], |r| r.get(1)).unwrap().map(Result::unwrap).collect();
            ops.iter().any(|op| op == "OpenEphemeral")
        };
        assert!(!ephemeral(
            "INSERT INTO submissions (period, school_code, state, current_revision, updated_at) VALUES ('2026Q3', 'x', 'submitted', 1, 't')"
        ));
        assert!(!ephemeral("UPDATE submissions SET state = 'approved' WHERE id = 1"));
        assert!(!ephemeral("UPDATE findings SET resolution = 'resolved' WHERE id = 1"));
        let ok: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(ok, "ok");
    }

    #[test]
    fn review_log_is_append_only() {
        let store = Store::open_in_memory().unwrap();
        store
            .conn
            .execute_batch(
                "INSERT INTO periods (id, kind, created_at) VALUES ('2026Q3', 'quarter', 't');
                 INSERT INTO review_log (at, actor, period, action) VALUES ('t', 'a', '2026Q3', 'approve');",
            )
            .unwrap();
        assert!(store.conn.execute("UPDATE review_log SET note = 'x'", []).is_err());
        assert!(store.conn.execute("DELETE FROM review_log", []).is_err());
    }
}
