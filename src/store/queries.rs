//! Read-only queries.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

use super::{Store, StoreError};
use crate::domain::{
    AccessType, Period, ReviewState, SchoolStatus, SchoolType, SubmissionData, UrbanRural, WifiCoverage,
};

/// One line of `shenhe list`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListedSubmission {
    pub school_code: String,
    pub name: String,
    pub school_type: Option<String>,
    pub county: Option<String>,
    #[serde(serialize_with = "state_key")]
    pub state: ReviewState,
    /// Open findings.
    pub findings: u32,
}

fn state_key<S: serde::Serializer>(s: &ReviewState, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(s.key())
}

pub(super) const CURRENT: &str = "FROM submissions s
     JOIN revisions r ON r.submission_id = s.id AND r.revision = s.current_revision
     WHERE s.period = ?1";

impl Store {
    /// The periods in the store, newest first.
    pub fn periods(&self) -> Result<Vec<Period>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT id FROM periods")?;
        let mut periods: Vec<Period> = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .filter_map(|id| id.ok().and_then(|id| id.parse().ok()))
            .collect();
        periods.sort_by(|a, b| b.cmp(a));
        Ok(periods)
    }

    pub fn period_exists(&self, period: Period) -> Result<bool, StoreError> {
        let found =
            self.conn.query_row("SELECT 1 FROM periods WHERE id = ?1", [period.to_string()], |_| Ok(())).optional()?;
        Ok(found.is_some())
    }

    /// Every school of the period with its state, by school code; `state` narrows the list.
    pub fn list(&self, period: Period, state: Option<ReviewState>) -> Result<Vec<ListedSubmission>, StoreError> {
        let sql = format!(
            "SELECT s.school_code, r.name, r.school_type, r.county, s.state,
                    (SELECT count(*) FROM findings f
                     WHERE f.period = s.period AND f.school_code = s.school_code AND f.resolution = 'open')
             {CURRENT} AND (?2 IS NULL OR s.state = ?2)
             ORDER BY s.school_code"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(params![period.to_string(), state.map(ReviewState::key)], |r| {
            Ok(ListedSubmission {
                school_code: r.get(0)?,
                name: r.get(1)?,
                school_type: r.get(2)?,
                county: r.get(3)?,
                state: ReviewState::from_key(&r.get::<_, String>(4)?).unwrap_or(ReviewState::Submitted),
                findings: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The current revision of every school in the period, by school code.
    pub fn current_data(&self, period: Period) -> Result<Vec<SubmissionData>, StoreError> {
        current_data(&self.conn, period)
    }

    /// The latest period of the same kind before `period` that the store holds: what the
    /// change checks compare with.
    pub fn previous_period(&self, period: Period) -> Result<Option<Period>, StoreError> {
        previous_period(&self.conn, period)
    }

    /// How many revisions a school has in a period (0 when it has none).
    pub fn revision_count(&self, period: Period, school_code: &str) -> Result<u32, StoreError> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM revisions r JOIN submissions s ON s.id = r.submission_id
             WHERE s.period = ?1 AND s.school_code = ?2",
            params![period.to_string(), school_code],
            |r| r.get(0),
        )?)
    }

    /// Rows of the review log for a period, oldest first: (school, action, old, new, note).
    pub fn log_entries(&self, period: Period) -> Result<Vec<LogEntry>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT at, actor, school_code, action, old_state, new_state, note
             FROM review_log WHERE period = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([period.to_string()], log_entry)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A fingerprint of everything the store holds, for tests that prove nothing changed.
    pub fn content_digest(&self) -> Result<String, StoreError> {
        let mut out = String::new();
        for table in ["periods", "schools", "imports", "submissions", "revisions", "findings", "review_log", "bundles"]
        {
            let mut stmt = self.conn.prepare(&format!("SELECT * FROM {table} ORDER BY 1, 2"))?;
            let cols = stmt.column_count();
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                for i in 0..cols {
                    let v: rusqlite::types::Value = row.get(i)?;
                    out.push_str(&format!("{v:?}|"));
                }
                out.push('\n');
            }
        }
        Ok(out)
    }
}

/// One row of the append-only review log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogEntry {
    pub at: String,
    pub actor: String,
    pub school_code: Option<String>,
    pub action: String,
    pub old_state: Option<String>,
    pub new_state: Option<String>,
    pub note: Option<String>,
}

/// One review-log row, selected as `at, actor, school_code, action, old_state, new_state, note`.
pub(super) fn log_entry(r: &Row<'_>) -> rusqlite::Result<LogEntry> {
    Ok(LogEntry {
        at: r.get(0)?,
        actor: r.get(1)?,
        school_code: r.get(2)?,
        action: r.get(3)?,
        old_state: r.get(4)?,
        new_state: r.get(5)?,
        note: r.get(6)?,
    })
}

/// The columns [`submission_data`] reads, in its order (`s` the submission, `r` its revision).
/// Read by position: a look-up by name costs a scan of the statement's column names for every
/// field of every row, which was a fifth of a 100,000-school import's checks.
pub(super) const DATA: &str = "s.school_code, r.name, r.city, r.county, r.county_code, r.school_type, r.urban_rural,
     r.school_status, r.filled, r.submitted_at, r.classes, r.teachers, r.students, r.connected, r.access_type,
     r.bandwidth_mbps, r.wifi, r.classrooms, r.multimedia_rooms, r.teacher_devices, r.student_devices,
     r.contact_name, r.contact_phone, r.extras";
/// How many columns [`DATA`] has: a query's own columns come after them.
pub(super) const DATA_LEN: usize = 24;

/// [`Store::current_data`], also for use inside a transaction.
pub(super) fn current_data(conn: &Connection, period: Period) -> Result<Vec<SubmissionData>, StoreError> {
    let sql = format!("SELECT {DATA} {CURRENT} ORDER BY s.school_code");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([period.to_string()], submission_data)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// [`current_data`] without what no check reads: the extra columns (a period of schools with
/// hundreds of long extra columns would otherwise be parsed whole), the city, the time of
/// filling and the contact.
pub(super) fn current_data_for_checks(conn: &Connection, period: Period) -> Result<Vec<SubmissionData>, StoreError> {
    let mut columns = DATA.to_string();
    for (column, nothing) in [
        ("r.extras", "'{}'"),
        ("r.city", "NULL"),
        ("r.submitted_at", "NULL"),
        ("r.contact_name", "NULL"),
        ("r.contact_phone", "NULL"),
    ] {
        columns = columns.replace(column, nothing);
    }
    let sql = format!("SELECT {columns} {CURRENT} ORDER BY s.school_code");
    // Sized first (the count is read from the index): 100,000 sheets grown by doubling would
    // be copied over and over.
    let schools: i64 =
        conn.query_row("SELECT count(*) FROM submissions WHERE period = ?1", [period.to_string()], |r| r.get(0))?;
    let mut sheets = Vec::with_capacity(usize::try_from(schools).unwrap_or(0));
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query([period.to_string()])?;
    while let Some(row) = rows.next()? {
        sheets.push(submission_data(row)?);
    }
    Ok(sheets)
}

/// [`Store::previous_period`], also for use inside a transaction.
pub(super) fn previous_period(conn: &Connection, period: Period) -> Result<Option<Period>, StoreError> {
    let mut stmt = conn.prepare("SELECT id FROM periods WHERE kind = ?1")?;
    let ids = stmt.query_map([period.kind().key()], |r| r.get::<_, String>(0))?;
    let mut earlier: Vec<Period> =
        ids.filter_map(|id| id.ok()?.parse().ok()).filter(|p: &Period| *p < period).collect();
    earlier.sort();
    Ok(earlier.pop())
}

/// A row's data, selected as [`DATA`] first.
pub(super) fn submission_data(r: &Row<'_>) -> rusqlite::Result<SubmissionData> {
    // Labels are parsed from the row's own bytes, without a string of their own.
    fn label<T>(r: &Row<'_>, i: usize, parse: fn(&str) -> Option<T>) -> rusqlite::Result<Option<T>> {
        Ok(r.get_ref(i)?.as_str_or_null()?.and_then(parse))
    }
    let extras = match r.get_ref(23)?.as_str()? {
        "{}" => Vec::new(),
        text => serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text)
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string()))
            .collect(),
    };
    Ok(SubmissionData {
        school_code: r.get(0)?,
        name: r.get(1)?,
        city: r.get(2)?,
        county: r.get(3)?,
        county_code: r.get(4)?,
        school_type: label(r, 5, SchoolType::parse)?,
        urban_rural: label(r, 6, UrbanRural::parse)?,
        school_status: label(r, 7, SchoolStatus::parse)?,
        filled: r.get(8)?,
        submitted_at: r.get(9)?,
        classes: r.get(10)?,
        teachers: r.get(11)?,
        students: r.get(12)?,
        connected: r.get(13)?,
        access_type: label(r, 14, AccessType::parse)?,
        bandwidth_mbps: r.get(15)?,
        wifi: label(r, 16, WifiCoverage::parse)?,
        classrooms: r.get(17)?,
        multimedia_rooms: r.get(18)?,
        teacher_devices: r.get(19)?,
        student_devices: r.get(20)?,
        contact_name: r.get(21)?,
        contact_phone: r.get(22)?,
        extras,
    })
}
