//! Writing one import run: every row of every file in one transaction, so an import lands
//! whole or not at all.

use rusqlite::{OptionalExtension, Statement, Transaction, params};

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
    /// The period had no schools when the import began: every row is a new school (codes are
    /// unique within an import), so the look-up of the current revision can be skipped.
    period_was_empty: bool,
}

/// A school's submission in a period as an import finds it.
struct CurrentRevision {
    submission_id: i64,
    state: String,
    revision: i64,
    content_hash: Vec<u8>,
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
        let period_was_empty =
            tx.query_row("SELECT NOT EXISTS (SELECT 1 FROM submissions WHERE period = ?1)", [&id], |r| r.get(0))?;
        Ok(ImportBatch {
            tx,
            period: id,
            import_id,
            at: at.to_string(),
            actor: actor.to_string(),
            counts: ImportCounts::default(),
            period_was_empty,
        })
    }
}

/// Writes the rows of an [`ImportBatch`], its statements prepared once for all of them.
pub struct RowWriter<'b> {
    tx: &'b Transaction<'b>,
    current_revision: Statement<'b>,
    insert_submission: Statement<'b>,
    insert_revision: Statement<'b>,
    period: &'b str,
    import_id: i64,
    at: &'b str,
    actor: &'b str,
    counts: &'b mut ImportCounts,
    period_was_empty: bool,
}

impl<'t> ImportBatch<'t> {
    /// A writer for this batch's rows.
    pub fn rows(&mut self) -> Result<RowWriter<'_>, StoreError> {
        let ImportBatch { tx, period, import_id, at, actor, counts, period_was_empty } = self;
        let tx: &Transaction<'t> = tx;
        Ok(RowWriter {
            tx,
            current_revision: tx.prepare(
                "SELECT s.id, s.state, s.current_revision, r.content_hash
                 FROM submissions s
                 JOIN revisions r ON r.submission_id = s.id AND r.revision = s.current_revision
                 WHERE s.period = ?1 AND s.school_code = ?2",
            )?,
            insert_submission: tx.prepare(
                "INSERT INTO submissions (period, school_code, state, current_revision, updated_at)
                 VALUES (?1, ?2, ?3, 1, ?4)",
            )?,
            insert_revision: tx.prepare(
                "INSERT INTO revisions (submission_id, revision, import_id, content_hash, source_file, source_row,
                    name, city, county, county_code, school_type, urban_rural, school_status, filled, submitted_at,
                    classes, teachers, students, connected, access_type, bandwidth_mbps, wifi, classrooms,
                    multimedia_rooms, teacher_devices, student_devices, contact_name, contact_phone, extras)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
                    ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29)",
            )?,
            period,
            import_id: *import_id,
            at,
            actor,
            counts,
            period_was_empty: *period_was_empty,
        })
    }
}

impl RowWriter<'_> {
    /// Records one school's row; `hash` is its [`SubmissionData::content_hash`]. Same data as
    /// the current revision changes nothing.
    pub fn put(
        &mut self,
        data: &SubmissionData,
        hash: &[u8; 32],
        source_file: &str,
        source_row: u32,
    ) -> Result<RowOutcome, StoreError> {
        self.counts.rows += 1;
        let current = if self.period_was_empty { None } else { self.current_revision(&data.school_code)? };

        let outcome = match current {
            Some(current) if current.content_hash[..] == hash[..] => {
                self.counts.unchanged += 1;
                return Ok(RowOutcome::Unchanged);
            }
            None => {
                let state = ReviewState::Unfilled.after_new_revision(data.filled);
                self.insert_submission.execute(params![self.period, data.school_code, state.key(), self.at])?;
                let id = self.tx.last_insert_rowid();
                self.insert_revision(id, 1, hash, data, source_file, source_row)?;
                self.counts.new_schools += 1;
                RowOutcome::NewSchool
            }
            Some(CurrentRevision { submission_id: id, state, revision, .. }) => {
                let from = ReviewState::from_key(&state).unwrap_or(ReviewState::Submitted);
                let to = from.after_new_revision(data.filled);
                let revision = revision + 1;
                self.insert_revision(id, revision, hash, data, source_file, source_row)?;
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

    /// The school's submission in the period and its current revision, if it has one.
    fn current_revision(&mut self, school_code: &str) -> Result<Option<CurrentRevision>, StoreError> {
        Ok(self
            .current_revision
            .query_row(params![self.period, school_code], |r| {
                Ok(CurrentRevision {
                    submission_id: r.get(0)?,
                    state: r.get(1)?,
                    revision: r.get(2)?,
                    content_hash: r.get(3)?,
                })
            })
            .optional()?)
    }

    fn insert_revision(
        &mut self,
        submission_id: i64,
        revision: i64,
        hash: &[u8],
        d: &SubmissionData,
        source_file: &str,
        source_row: u32,
    ) -> Result<(), StoreError> {
        let extras = if d.extras.is_empty() {
            "{}".to_string()
        } else {
            serde_json::Value::Object(
                d.extras.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect(),
            )
            .to_string()
        };
        self.insert_revision.execute(params![
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
}

impl<'t> ImportBatch<'t> {
    /// The batch's transaction, for the store's other modules writing in it.
    pub(super) fn tx(&self) -> &Transaction<'t> {
        &self.tx
    }

    pub(super) fn period(&self) -> &str {
        &self.period
    }

    pub(super) fn at(&self) -> &str {
        &self.at
    }

    pub(super) fn actor(&self) -> &str {
        &self.actor
    }

    /// The period had no schools when the import began.
    pub fn period_was_empty(&self) -> bool {
        self.period_was_empty
    }

    pub fn counts(&self) -> ImportCounts {
        self.counts
    }

    /// Sets a school's review state as its county reported it (a city loading a bundle).
    pub fn set_state(&mut self, school_code: &str, state: ReviewState) -> Result<(), StoreError> {
        self.tx.execute(
            "UPDATE submissions SET state = ?3, updated_at = ?4 WHERE period = ?1 AND school_code = ?2",
            params![self.period, school_code, state.key(), self.at],
        )?;
        Ok(())
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
