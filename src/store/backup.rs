//! Copies of the store: `shenhe backup` (SQLite's online backup, so it works while the screen
//! has the store open and writes), checking a copy before it is trusted, and `shenhe restore`
//! (the current store kept first; a damaged one moved aside rather than written over).
//!
//! A copy is one self-contained file (rollback journal, not WAL: nothing beside it to lose on
//! the way to a USB stick), written under a temporary name, checked with `integrity_check`,
//! flushed, then renamed: a crash or a full disk never leaves half a copy under its name.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags, params};

use super::{SCHEMA_VERSION, Store, StoreError, schema, user_version};

/// How long a copy waits for a writer in another copy of shenhe before giving up.
const BUSY_RETRIES: u32 = 100;
const BUSY_PAUSE: Duration = Duration::from_millis(50);

/// Tables every shenhe store has, whatever its schema version: a SQLite file without them is
/// someone else's database.
const SHENHE_TABLES: [&str; 3] = ["periods", "submissions", "review_log"];

/// What a store file holds, read without changing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupCheck {
    pub schema_version: usize,
    /// Newest first.
    pub periods: Vec<String>,
    pub schools: u64,
    pub bytes: u64,
}

/// The newest copy made of this store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastBackup {
    /// RFC 3339.
    pub at: String,
    pub path: String,
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    pub check: BackupCheck,
    /// Where the store that was replaced now is.
    pub kept: PathBuf,
    /// The replaced store could not be opened (damaged): it was moved aside whole, not copied.
    pub damaged: bool,
}

impl Store {
    /// Copies the whole store into `dest`, replacing a file there only if `replace`. Returns
    /// the copy's size. The store itself is only read.
    pub fn backup_to(&self, dest: &Path, replace: bool) -> Result<u64, StoreError> {
        let io = |source| StoreError::Io { path: dest.to_path_buf(), source };
        if !replace && dest.exists() {
            return Err(io(std::io::Error::new(std::io::ErrorKind::AlreadyExists, "a file of that name is there")));
        }
        let temp = scratch_beside(dest).map_err(io)?;
        // What goes wrong writing the copy (a full disk, a read-only stick) is about the copy,
        // not the store: name the copy's path.
        let about_copy = |e: StoreError| match e {
            StoreError::Sqlite(e) => StoreError::CopyFailed { path: dest.to_path_buf(), reason: e.to_string() },
            other => other,
        };
        let copied = copy_into(&self.conn, &temp).map_err(about_copy).and_then(|()| {
            crate::files::publish(&temp, dest, replace).map_err(io)?;
            std::fs::metadata(dest).map(|m| m.len()).map_err(io)
        });
        if copied.is_err() {
            let _ = std::fs::remove_file(&temp);
            let _ = std::fs::remove_file(journal_of(&temp));
        }
        copied
    }

    /// Notes a copy in the store, for the reminder.
    pub fn record_backup(&self, at: &str, restored_from: bool, path: &Path, bytes: u64) -> Result<(), StoreError> {
        let kind = if restored_from { "restored_from" } else { "backup" };
        self.conn.execute(
            "INSERT INTO backups (at, kind, path, bytes) VALUES (?1, ?2, ?3, ?4)",
            params![at, kind, path.display().to_string(), i64::try_from(bytes).unwrap_or(i64::MAX)],
        )?;
        Ok(())
    }

    /// The newest copy noted, if any.
    pub fn last_backup(&self) -> Result<Option<LastBackup>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT at, path FROM backups ORDER BY at DESC, id DESC LIMIT 1")?;
        let mut rows = stmt.query([])?;
        Ok(match rows.next()? {
            Some(r) => Some(LastBackup { at: r.get(0)?, path: r.get(1)? }),
            None => None,
        })
    }
}

/// Checks that `path` is a whole shenhe store this shenhe can open, without writing to it.
pub fn check_backup(path: &Path) -> Result<BackupCheck, StoreError> {
    super::refuse_foreign_file(path)?;
    let bytes = std::fs::metadata(path).map_err(|source| StoreError::Io { path: path.to_path_buf(), source })?.len();
    if bytes == 0 {
        return Err(StoreError::NotADatabase { path: path.to_path_buf() });
    }
    // Read-only and without locks or a WAL: the file is looked at, never changed.
    let uri = format!("file:{}?immutable=1", uri_path(path));
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(uri, flags)?;
    inspect(&conn, path, bytes)
}

/// Replaces the store at `database` with the copy at `source`. The copy is checked first,
/// whole (integrity, a shenhe store, schema not newer, and exactly the schema objects the
/// migrations make for its version: a trigger or view slipped into a copy would run inside
/// shenhe); only then is the current store kept in `keep_dir` (copied when it opens; moved
/// there whole when it is damaged). What the store holds after the copy is checked again
/// (the file may have changed since the first check), then brought up to this schema and
/// the restore noted; if anything after the keep fails, the kept store is put back and the
/// error names it.
pub fn restore_file(
    database: &Path,
    source: &Path,
    keep_dir: &Path,
    at: &str,
) -> Result<(Store, Restored), StoreError> {
    let check = check_backup(source)?;
    let stamp = at.get(..19).unwrap_or(at).replace([':', 'T'], "-");
    let keep_io = |source| StoreError::Io { path: keep_dir.to_path_buf(), source };
    std::fs::create_dir_all(keep_dir).map_err(keep_io)?;
    let (kept, damaged) = match Store::open(database) {
        Ok(mut store) => {
            let kept = keep_dir.join(format!("before-restore-{stamp}.db"));
            store.backup_to(&kept, false)?;
            let src = Connection::open_with_flags(
                format!("file:{}?immutable=1", uri_path(source)),
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            replace_contents(&src, &mut store, database, source, &kept)?;
            (kept, false)
        }
        Err(e @ (StoreError::Corrupt { .. } | StoreError::NotADatabase { .. } | StoreError::TooNew { .. })) => {
            tracing::warn!(error = %e, "the store being replaced cannot be opened: moved aside whole");
            let kept = keep_dir.join(format!("damaged-{stamp}.db"));
            place_copy(database, source, &kept)?;
            (kept, true)
        }
        Err(other) => return Err(other),
    };
    let settled = Store::open(database).and_then(|store| {
        schema::require_current(&store.conn, database)?;
        store.record_backup(at, true, source, check.bytes)?;
        Ok(store)
    });
    match settled {
        Ok(store) => Ok((store, Restored { check, kept, damaged })),
        Err(e) => Err(put_back(database, &kept, damaged, e)),
    }
}

/// Copies `src` into the open `store` (one committed transaction: a failure during it leaves
/// the store as it was), then checks what the store now holds; a schema that is not the
/// copy's version's puts the kept store back.
fn replace_contents(
    src: &Connection,
    store: &mut Store,
    database: &Path,
    source: &Path,
    kept: &Path,
) -> Result<(), StoreError> {
    let page_size = |c: &Connection| c.pragma_query_value(None, "page_size", |r| r.get::<_, i64>(0));
    if page_size(src)? != page_size(&store.conn)? {
        // A WAL store only takes pages of its own size: bring the copy to that size first.
        restore_resized(src, store, database)?;
    } else {
        run_backup(src, &mut store.conn)?;
    }
    let version = user_version(&store.conn)?;
    schema::require(&store.conn, source, version).map_err(|e| put_back_into(store, database, kept, e))
}

/// After a failed restore: the store kept before it goes back in place. Returns the error to
/// show, naming the kept file (and saying whether it is back).
fn put_back(database: &Path, kept: &Path, damaged: bool, cause: StoreError) -> StoreError {
    tracing::warn!(error = %cause, kept = %kept.display(), "restore failed after the store was replaced");
    let back = if damaged {
        // The damaged store was moved aside whole: move it back the same way.
        let _ = std::fs::remove_file(with_suffix(database, "-wal"));
        let _ = std::fs::remove_file(with_suffix(database, "-shm"));
        std::fs::copy(kept, database).map(|_| ()).map_err(|e| e.to_string())
    } else {
        Connection::open(database)
            .map_err(StoreError::from)
            .and_then(|mut conn| {
                conn.busy_timeout(super::BUSY_TIMEOUT)?;
                let from = Connection::open_with_flags(kept, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
                run_backup(&from, &mut conn)
            })
            .map_err(|e| e.to_string())
    };
    StoreError::RestoreFailed { kept: kept.to_path_buf(), put_back: back.is_ok(), reason: cause.to_string() }
}

fn put_back_into(store: &mut Store, database: &Path, kept: &Path, cause: StoreError) -> StoreError {
    let back = Connection::open_with_flags(kept, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(StoreError::from)
        .and_then(|from| run_backup(&from, &mut store.conn));
    tracing::warn!(error = %cause, kept = %kept.display(), database = %database.display(), "restored copy refused after the copy");
    match cause {
        // What was wrong with the copy is the message; the store is as it was.
        StoreError::UnexpectedSchema { .. } if back.is_ok() => cause,
        other => {
            StoreError::RestoreFailed { kept: kept.to_path_buf(), put_back: back.is_ok(), reason: other.to_string() }
        }
    }
}

/// Copies the open store `conn` into a new file at `temp`, as one checked, flushed file.
fn copy_into(conn: &Connection, temp: &Path) -> Result<(), StoreError> {
    let _ = std::fs::remove_file(temp);
    let mut dst = Connection::open(temp)?;
    run_backup(conn, &mut dst)?;
    dst.pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get::<_, String>(0))?;
    integrity(&dst, temp)?;
    dst.close().map_err(|(_, e)| StoreError::Sqlite(e))?;
    let io = |source| StoreError::Io { path: temp.to_path_buf(), source };
    std::fs::File::open(temp).and_then(|f| f.sync_all()).map_err(io)
}

/// SQLite's online backup of `from` into `to`: all pages in one step (a read snapshot, which
/// in WAL mode never blocks the writer), waiting a while for a writer holding `to`.
fn run_backup(from: &Connection, to: &mut Connection) -> Result<(), StoreError> {
    let backup = Backup::new(from, to)?;
    for _ in 0..BUSY_RETRIES {
        match backup.step(-1)? {
            StepResult::Done => return Ok(()),
            StepResult::More => {}
            _ => std::thread::sleep(BUSY_PAUSE),
        }
    }
    Err(StoreError::Sqlite(rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY), None)))
}

/// Restores `src` into `store` through a copy converted to the store's page size.
fn restore_resized(src: &Connection, store: &mut Store, database: &Path) -> Result<(), StoreError> {
    let temp = scratch_beside(database).map_err(|source| StoreError::Io { path: database.to_path_buf(), source })?;
    let result = (|| {
        let mut resized = Connection::open(&temp)?;
        run_backup(src, &mut resized)?;
        let size: i64 = store.conn.pragma_query_value(None, "page_size", |r| r.get(0))?;
        resized.pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get::<_, String>(0))?;
        resized.pragma_update(None, "page_size", size)?;
        resized.execute_batch("VACUUM")?;
        run_backup(&resized, &mut store.conn)
    })();
    let _ = std::fs::remove_file(&temp);
    result
}

/// Moves the damaged store at `database` (with its WAL files) to `kept`, then puts a copy of
/// `source` in its place: copied beside it first, flushed, then renamed.
fn place_copy(database: &Path, source: &Path, kept: &Path) -> Result<(), StoreError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| StoreError::Io { path, source }
    };
    let temp = scratch_beside(database).map_err(io(database))?;
    std::fs::copy(source, &temp).and_then(|_| std::fs::File::open(&temp)?.sync_all()).map_err(io(&temp))?;
    let moved = (|| {
        std::fs::rename(database, kept)?;
        for suffix in ["-wal", "-shm"] {
            let side = with_suffix(database, suffix);
            if side.exists() {
                std::fs::rename(&side, with_suffix(kept, suffix))?;
            }
        }
        crate::files::publish(&temp, database, false)
    })();
    if moved.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    moved.map_err(io(database))
}

fn inspect(conn: &Connection, path: &Path, bytes: u64) -> Result<BackupCheck, StoreError> {
    let not_ours = || StoreError::NotADatabase { path: path.to_path_buf() };
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(|e| match e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::NotADatabase => not_ours(),
        other => super::damaged(other, path),
    })?;
    let schema_version = usize::try_from(version).unwrap_or(usize::MAX);
    if schema_version > SCHEMA_VERSION {
        return Err(StoreError::TooNew { path: path.to_path_buf(), found: schema_version, supported: SCHEMA_VERSION });
    }
    integrity(conn, path)?;
    for table in SHENHE_TABLES {
        let n: i64 =
            conn.query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1", [table], |r| {
                r.get(0)
            })?;
        if n == 0 {
            return Err(not_ours());
        }
    }
    schema::require(conn, path, schema_version)?;
    let mut stmt = conn.prepare("SELECT id FROM periods ORDER BY id DESC")?;
    let periods = stmt.query_map([], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
    let schools: i64 = conn.query_row("SELECT count(DISTINCT school_code) FROM submissions", [], |r| r.get(0))?;
    Ok(BackupCheck { schema_version, periods, schools: u64::try_from(schools).unwrap_or(0), bytes })
}

/// `PRAGMA integrity_check`: anything but `ok` means the file is damaged.
fn integrity(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let mut stmt = conn.prepare("PRAGMA integrity_check(5)").map_err(|e| super::damaged(e, path))?;
    let problems = stmt.query_map([], |r| r.get::<_, String>(0)).and_then(|rows| rows.collect::<Result<Vec<_>, _>>());
    let problems = problems.map_err(|e| super::damaged(e, path))?;
    if problems.len() == 1 && problems[0] == "ok" {
        Ok(())
    } else {
        Err(StoreError::Corrupt { path: path.to_path_buf(), detail: problems.join("; ") })
    }
}

/// A free temporary name beside `path`, its folder made.
fn scratch_beside(path: &Path) -> std::io::Result<PathBuf> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    Ok(dir.join(format!(".{name}.{}.partial", std::process::id())))
}

fn journal_of(path: &Path) -> PathBuf {
    with_suffix(path, "-journal")
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// A path for a `file:` URI: `?` and `#` would end it, `%` would start an escape; Windows
/// paths take forward slashes and a leading one before the drive letter.
fn uri_path(path: &Path) -> String {
    let mut text = path.display().to_string();
    if cfg!(windows) {
        text = text.replace('\\', "/");
        if text.as_bytes().get(1) == Some(&b':') {
            text.insert(0, '/');
        }
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '?' => out.push_str("%3f"),
            '#' => out.push_str("%23"),
            '%' => out.push_str("%25"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A copy whose page size differs from the store's (a store made by an older shenhe) is
    /// brought to the store's size on the way in: a WAL store takes no other.
    #[test]
    fn a_copy_of_another_page_size_is_restored() {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("shenhe.db");
        let store = Store::open(&database).unwrap();
        store.record_backup("2026-10-01T09:00:00+08:00", false, Path::new("first.db"), 1).unwrap();
        let copy = dir.path().join("copy.db");
        store.backup_to(&copy, false).unwrap();
        {
            let c = Connection::open(&copy).unwrap();
            c.execute_batch("PRAGMA page_size = 4096; VACUUM;").unwrap();
            let size: i64 = c.pragma_query_value(None, "page_size", |r| r.get(0)).unwrap();
            assert_eq!(size, 4096);
        }
        store.record_backup("2026-10-02T09:00:00+08:00", false, Path::new("second.db"), 1).unwrap();
        drop(store);

        let keep = dir.path().join("backups");
        let (store, restored) = restore_file(&database, &copy, &keep, "2026-10-03T10:00:00+08:00").unwrap();
        assert!(!restored.damaged);
        let size: i64 = store.conn.pragma_query_value(None, "page_size", |r| r.get(0)).unwrap();
        assert_eq!(size, super::super::PAGE_SIZE);
        let paths: Vec<String> = store
            .conn
            .prepare("SELECT path FROM backups ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(paths, ["first.db".to_string(), copy.display().to_string()], "the copy's rows, then the restore");
        assert!(check_backup(&restored.kept).is_ok(), "the replaced store is kept whole");
    }

    /// The copy changed between its check and the copy into the store (another program wrote
    /// to it meanwhile): what the store then holds is checked again, and the kept store goes
    /// back in place.
    #[test]
    fn a_copy_changed_after_its_check_is_caught_in_the_store_and_the_kept_store_put_back() {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("shenhe.db");
        let mut store = Store::open(&database).unwrap();
        store.record_backup("2026-10-01T09:00:00+08:00", false, Path::new("mine.db"), 1).unwrap();
        let kept = dir.path().join("before-restore.db");
        store.backup_to(&kept, false).unwrap();
        let copy = dir.path().join("copy.db");
        store.backup_to(&copy, false).unwrap();
        assert!(check_backup(&copy).is_ok());
        let src = Connection::open(&copy).unwrap();
        src.execute_batch(
            "INSERT INTO backups (at, kind, path, bytes) VALUES ('t', 'backup', 'theirs.db', 1);
             CREATE TRIGGER forge AFTER INSERT ON backups BEGIN DELETE FROM backups; END;",
        )
        .unwrap();

        let err = replace_contents(&src, &mut store, &database, &copy, &kept).unwrap_err();
        assert!(matches!(err, StoreError::UnexpectedSchema { .. }), "{err}");
        let paths: Vec<String> = store
            .conn
            .prepare("SELECT path FROM backups")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(paths, ["mine.db"], "the store's own rows are back");
        assert!(schema::require_current(&store.conn, &database).is_ok(), "and its own schema");
    }

    /// A failure after the store was replaced puts the kept store back and names it.
    #[test]
    fn a_failure_after_the_store_was_replaced_puts_the_kept_store_back_and_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("shenhe.db");
        let store = Store::open(&database).unwrap();
        store.record_backup("2026-10-01T09:00:00+08:00", false, Path::new("mine.db"), 1).unwrap();
        let kept = dir.path().join("before-restore.db");
        store.backup_to(&kept, false).unwrap();
        store.conn.execute("DELETE FROM backups", []).unwrap();
        drop(store);

        let cause = StoreError::NoSuchPeriod { period: "2026Q3".into() };
        let err = put_back(&database, &kept, false, cause);
        assert!(matches!(&err, StoreError::RestoreFailed { put_back: true, .. }), "{err}");
        assert!(err.user_message(crate::i18n::Lang::Zh).contains(&kept.display().to_string()));
        let store = Store::open(&database).unwrap();
        let n: i64 = store.conn.query_row("SELECT count(*) FROM backups", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 1, "the kept store's rows are back");
    }
}
