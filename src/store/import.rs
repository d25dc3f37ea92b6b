//! Writing one import run: every row of every file in one transaction, so an import lands
//! whole or not at all.

use rusqlite::{OptionalExtension, Transaction, params};
use sha2::{Digest, Sha256};

use super::{Store, StoreError};
use crate::domain::{Period, ReviewState, SubmissionData};

/// What one row did to the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowOutcome {
    /// The school had nothing in this period yet.
    NewSchool,
    /// The school's data changed: a new revision, and perhaps a new state.
    NewRevision { from: ReviewState, to: ReviewState },
    /// Same data as the current revision: nothing written.
    Unchanged,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportCounts {
    pub rows: u64,
    pub new_schools: u64,
    pub new_revisions: u64,
    pub unchanged: u64,
}

/// An import in progress. Nothing is visible to others until [`ImportBatch::commit`];
/// dropping the batch rolls everything back.
pub struct ImportBatch<'a> {
    tx: Transaction<'a>,
    period: String,
    import_id: i64,
    at: String,
    actor: String,
    counts: ImportCounts,
}

impl Store {
    /// Starts an import into `period` (created if new). A reported period is locked.
    pub fn begin_import(&mut self, period: Period, at: &str, actor: &str) -> Result<ImportBatch<'_>, StoreError> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let id = period.to_string();
        let status: Option<String> =
            tx.query_row("SELECT status FROM periods WHERE id = ?1", [&id], |r| r.get(0)).optional()?;
        match status.as_deref() {
            Some("reported") => return Err(StoreError::PeriodReported { period: id }),
            Some(_) => {}
            None => {
                tx.execute(
                    "INSERT INTO periods (id, kind, created_at) VALUES (?1, ?2, ?3)",
                    params![id, period.kind().key(), at],
                )?;
            }
        }
        tx.execute(
            "INSERT INTO imports (period, at, actor, files, rows, new_schools, new_revisions, unchanged)
             VALUES (?1, ?2, ?3, '[]', 0, 0, 0, 0)",
            params![id, at, actor],
        )?;
        let import_id = tx.last_insert_rowid();
        Ok(ImportBatch {
            tx,
            period: id,
            import_id,
            at: at.to_string(),
            actor: actor.to_string(),
            counts: ImportCounts::default(),
        })
    }
}

impl ImportBatch<'_> {
    /// Records one school's row. Same data as the current revision changes nothing.
    pub fn put(&mut self, data: &SubmissionData, source_file: &str, source_row: u32) -> Result<RowOutcome, StoreError> {
        self.counts.rows += 1;
        let hash = hex(&Sha256::digest(data.canonical().as_bytes()));
        let current = self
            .tx
            .prepare_cached(
                "SELECT s.id, s.state, s.current_revision, r.content_hash
                 FROM submissions s
                 JOIN revisions r ON r.submission_id = s.id AND r.revision = s.current_revision
                 WHERE s.period = ?1 AND s.school_code = ?2",
            )?
            .query_row(params![self.period, data.school_code], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?, r.get::<_, String>(3)?))
            })
            .optional()?;

        let outcome = match current {
            Some((_, _, _, old_hash)) if old_hash == hash => {
                self.counts.unchanged += 1;
                return Ok(RowOutcome::Unchanged);
            }
            None => {
                let state = ReviewState::Unfilled.after_new_revision(data.filled);
                self.upsert_school(data)?;
                self.tx
                    .prepare_cached(
                        "INSERT INTO submissions (period, school_code, state, current_revision, updated_at)
                         VALUES (?1, ?2, ?3, 1, ?4)",
                    )?
                    .execute(params![self.period, data.school_code, state.key(), self.at])?;
                let id = self.tx.last_insert_rowid();
                self.insert_revision(id, 1, &hash, data, source_file, source_row)?;
                self.counts.new_schools += 1;
                RowOutcome::NewSchool
            }
            Some((id, state, revision, _)) => {
                let from = ReviewState::from_key(&state).unwrap_or(ReviewState::Submitted);
                let to = from.after_new_revision(data.filled);
                let revision = revision + 1;
                self.upsert_school(data)?;
                self.insert_revision(id, revision, &hash, data, source_file, source_row)?;
                self.tx
                    .prepare_cached(
                        "UPDATE submissions SET state = ?2, current_revision = ?3, updated_at = ?4 WHERE id = ?1",
                    )?
                    .execute(params![id, to.key(), revision, self.at])?;
                if from != to {
                    let note = format!("{source_file}:{source_row} → r{revision}");
                    self.tx
                        .prepare_cached(
                            "INSERT INTO review_log (at, actor, period, school_code, action, old_state, new_state, note)
                             VALUES (?1, ?2, ?3, ?4, 'import', ?5, ?6, ?7)",
                        )?
                        .execute(params![self.at, self.actor, self.period, data.school_code, from.key(), to.key(), note])?;
                }
                self.counts.new_revisions += 1;
                RowOutcome::NewRevision { from, to }
            }
        };
        Ok(outcome)
    }

    fn upsert_school(&self, d: &SubmissionData) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO schools (code, name, school_type, county_code, county, first_seen, last_seen)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
                 ON CONFLICT (code) DO UPDATE SET
                     name = excluded.name, school_type = excluded.school_type,
                     county_code = excluded.county_code, county = excluded.county,
                     last_seen = max(last_seen, excluded.last_seen)",
            )?
            .execute(params![
                d.school_code,
                d.name,
                d.school_type.map(|t| t.label_zh()),
                d.county_code,
                d.county,
                self.period
            ])?;
        Ok(())
    }

    fn insert_revision(
        &self,
        submission_id: i64,
        revision: i64,
        hash: &str,
        d: &SubmissionData,
        source_file: &str,
        source_row: u32,
    ) -> Result<(), StoreError> {
        let extras = serde_json::Value::Object(
            d.extras.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect(),
        )
        .to_string();
        self.tx
            .prepare_cached(
                "INSERT INTO revisions (submission_id, revision, import_id, content_hash, source_file, source_row,
                    name, city, county, county_code, school_type, urban_rural, school_status, filled, submitted_at,
                    classes, teachers, students, connected, access_type, bandwidth_mbps, wifi, classrooms,
                    multimedia_rooms, teacher_devices, student_devices, contact_name, contact_phone, extras)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
                    ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29)",
            )?
            .execute(params![
                submission_id,
                revision,
                self.import_id,
                hash,
                source_file,
                source_row,
                d.name,
                d.city,
                d.county,
                d.county_code,
                d.school_type.map(|t| t.label_zh()),
                d.urban_rural.map(|t| t.label_zh()),
                d.school_status.map(|t| t.label_zh()),
                d.filled,
                d.submitted_at,
                d.classes,
                d.teachers,
                d.students,
                d.connected,
                d.access_type.map(|t| t.label_zh()),
                d.bandwidth_mbps,
                d.wifi.map(|t| t.label_zh()),
                d.classrooms,
                d.multimedia_rooms,
                d.teacher_devices,
                d.student_devices,
                d.contact_name,
                d.contact_phone,
                extras,
            ])?;
        Ok(())
    }

    pub fn counts(&self) -> ImportCounts {
        self.counts
    }

    /// Makes the whole import visible at once. `files` is a JSON array describing the sources.
    pub fn commit(self, files: &str) -> Result<ImportCounts, StoreError> {
        let c = self.counts;
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        self.tx.execute(
            "UPDATE imports SET files = ?2, rows = ?3, new_schools = ?4, new_revisions = ?5, unchanged = ?6 WHERE id = ?1",
            params![self.import_id, files, n(c.rows), n(c.new_schools), n(c.new_revisions), n(c.unchanged)],
        )?;
        self.tx.commit()?;
        Ok(c)
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
