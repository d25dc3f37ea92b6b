//! The schema a store of a given version must have: exactly the tables, indexes, triggers and
//! views its migrations make, nothing more, nothing less, nothing changed. A store file that
//! arrives from elsewhere (a backup being restored) could carry a trigger that rewrites every
//! decision, a view over a table of its own, or lack the triggers that keep the review log
//! append-only; SQLite would run all of it inside shenhe. Comparing the file's `sqlite_master`
//! with a fresh store migrated to the same version catches every such object, because SQLite
//! keeps each object's `CREATE` text exactly as the migration wrote it.

use std::path::Path;

use rusqlite::Connection;

use super::{SCHEMA_VERSION, StoreError, migrations};

/// One row of `sqlite_master`, without its page number.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SchemaObject {
    kind: String,
    name: String,
    table: String,
    sql: Option<String>,
}

/// What is wrong with a store's schema, for the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaProblem {
    /// An object no migration makes (kind and name).
    Unexpected { kind: String, name: String },
    /// An object the migrations make that the file lacks.
    Missing { kind: String, name: String },
    /// An object of the right name whose definition differs.
    Changed { kind: String, name: String },
}

impl SchemaProblem {
    pub fn describe(&self, lang: crate::i18n::Lang) -> String {
        let m = lang.msg();
        let kind_label = |kind: &str| match kind {
            "table" => m.schema_kind_table.clone(),
            "index" => m.schema_kind_index.clone(),
            "trigger" => m.schema_kind_trigger.clone(),
            "view" => m.schema_kind_view.clone(),
            other => crate::i18n::printable(other),
        };
        let (text, kind, name) = match self {
            SchemaProblem::Unexpected { kind, name } => (&m.schema_unexpected, kind, name),
            SchemaProblem::Missing { kind, name } => (&m.schema_missing, kind, name),
            SchemaProblem::Changed { kind, name } => (&m.schema_changed, kind, name),
        };
        crate::i18n::fill(text, &[("kind", &kind_label(kind)), ("name", &crate::i18n::printable(name))])
    }
}

/// Refuses `conn` unless its schema objects are exactly those of a store at `version`.
pub fn require(conn: &Connection, path: &Path, version: usize) -> Result<(), StoreError> {
    let found = objects(conn).map_err(|e| super::damaged(e, path))?;
    let expected = expected(version)?;
    match first_difference(&found, &expected) {
        None => Ok(()),
        Some(problem) => Err(StoreError::UnexpectedSchema { path: path.to_path_buf(), version, problem }),
    }
}

/// Refuses `conn` unless its schema is this shenhe's own, whole (after every restore).
pub fn require_current(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    require(conn, path, SCHEMA_VERSION)
}

/// After a migration that edits `sqlite_master`'s text itself (009): every table it meant to
/// change must now read as intended, or the store's schema was not what the earlier migrations
/// wrote and the edit is refused; then the schema version is bumped so that other connections
/// (and this one) parse the new text, as SQLite's documentation of such edits asks.
pub(super) fn after_schema_edit(tx: &rusqlite::Transaction<'_>) -> rusqlite_migration::HookResult {
    let edited: i64 = tx.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table'
           AND ((name = 'submissions' AND sql LIKE '%CHECK (state = ''unfilled'' OR %' AND sql NOT LIKE '%state IN (%')
             OR (name = 'findings' AND sql LIKE '%CHECK (resolution = ''open'' OR %' AND sql NOT LIKE '%resolution IN (%'))",
        [],
        |r| r.get(0),
    )?;
    if edited != 2 {
        return Err(rusqlite_migration::HookError::Hook(
            "the CHECK constraints of submissions and findings are not as schema 1 wrote them".into(),
        ));
    }
    let cookie: i64 = tx.pragma_query_value(None, "schema_version", |r| r.get(0))?;
    tx.pragma_update(None, "schema_version", cookie + 1)?;
    Ok(())
}

/// The objects a fresh store migrated to `version` holds.
fn expected(version: usize) -> Result<Vec<SchemaObject>, StoreError> {
    let mut fresh = Connection::open_in_memory()?;
    migrations().to_version(&mut fresh, version)?;
    Ok(objects(&fresh)?)
}

fn objects(conn: &Connection) -> rusqlite::Result<Vec<SchemaObject>> {
    let mut stmt = conn.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid")?;
    let rows = stmt
        .query_map([], |r| Ok(SchemaObject { kind: r.get(0)?, name: r.get(1)?, table: r.get(2)?, sql: r.get(3)? }))?;
    rows.collect()
}

/// The first object of `found` (in the file's order) that the migrations do not make, else
/// the first one they make that is missing.
fn first_difference(found: &[SchemaObject], expected: &[SchemaObject]) -> Option<SchemaProblem> {
    for object in found {
        match expected.iter().find(|e| e.kind == object.kind && e.name == object.name) {
            None => return Some(SchemaProblem::Unexpected { kind: object.kind.clone(), name: object.name.clone() }),
            Some(e) if e != object => {
                return Some(SchemaProblem::Changed { kind: object.kind.clone(), name: object.name.clone() });
            }
            Some(_) => {}
        }
    }
    expected
        .iter()
        .find(|e| !found.iter().any(|f| f.kind == e.kind && f.name == e.name))
        .map(|e| SchemaProblem::Missing { kind: e.kind.clone(), name: e.name.clone() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_at(version: usize) -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        migrations().to_version(&mut c, version).unwrap();
        c
    }

    fn problem(c: &Connection, version: usize) -> Option<SchemaProblem> {
        match require(c, Path::new("copy.db"), version) {
            Ok(()) => None,
            Err(StoreError::UnexpectedSchema { problem, .. }) => Some(problem),
            Err(other) => panic!("{other}"),
        }
    }

    #[test]
    fn a_store_of_every_version_has_exactly_its_migrations_schema() {
        for version in 0..=SCHEMA_VERSION {
            assert_eq!(problem(&store_at(version), version), None, "version {version}");
        }
    }

    #[test]
    fn an_added_trigger_a_dropped_trigger_and_a_changed_view_are_each_named() {
        let c = store_at(SCHEMA_VERSION);
        c.execute_batch(
            "CREATE TRIGGER forge AFTER INSERT ON review_log BEGIN SELECT 1; END;
             CREATE TRIGGER on_backups AFTER INSERT ON backups BEGIN SELECT 1; END;",
        )
        .unwrap();
        let named = |kind: &str, name: &str| SchemaProblem::Unexpected { kind: kind.into(), name: name.into() };
        assert_eq!(problem(&c, SCHEMA_VERSION), Some(named("trigger", "forge")), "the first unexpected object");

        let c = store_at(SCHEMA_VERSION);
        c.execute_batch("DROP TRIGGER review_log_no_delete;").unwrap();
        assert_eq!(
            problem(&c, SCHEMA_VERSION),
            Some(SchemaProblem::Missing { kind: "trigger".into(), name: "review_log_no_delete".into() })
        );

        let c = store_at(SCHEMA_VERSION);
        c.execute_batch("DROP VIEW schools; CREATE VIEW schools AS SELECT 1 AS code;").unwrap();
        assert_eq!(
            problem(&c, SCHEMA_VERSION),
            Some(SchemaProblem::Changed { kind: "view".into(), name: "schools".into() })
        );
    }

    #[test]
    fn a_version_that_claims_more_tables_than_the_file_has_is_refused() {
        // Schema 4 claimed, only the three tables every store has.
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE periods (id TEXT); CREATE TABLE submissions (id INTEGER);
             CREATE TABLE review_log (id INTEGER); PRAGMA user_version = 4;",
        )
        .unwrap();
        assert!(matches!(problem(&c, 4), Some(SchemaProblem::Changed { .. })));
        // Schema 0 (nothing migrated) with tables in it.
        assert!(matches!(problem(&c, 0), Some(SchemaProblem::Unexpected { .. })));
    }
}
