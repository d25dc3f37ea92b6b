//! What the review screen reads: a compact index of the period's schools (enough to filter,
//! sort and search), the indicators of the rows on screen, and one school's full detail; and
//! what it writes besides decisions: comments and undo.

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::queries::{DATA, DATA_LEN, LogEntry, log_entry, previous_period, submission_data};
use super::{AUDITOR_FLAG, Store, StoreError, StoredFinding};
use crate::domain::dispatch::lists_of;
use crate::domain::{Period, ReviewState, SchoolStatus, SchoolType, SubmissionData};

/// One school of the period as the screen's index keeps it in memory (about 200 bytes): what
/// filtering, sorting and searching need, and nothing the rendering could read per row.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexRow {
    /// The submission's id: how the screen asks for the row's indicators.
    pub id: i64,
    pub code: Box<str>,
    pub name: Box<str>,
    pub school_type: Option<SchoolType>,
    pub state: ReviewState,
    pub open_findings: u16,
    pub open_errors: u16,
    /// Bit i set: an open finding of `ReviewIndex::rules[i]`.
    pub rules: u32,
    /// Bit i set: on dispatch list i (未联网, 不足 100M, 无多媒体教室), see [`lists_of`].
    pub lists: u8,
    /// Position in `ReviewIndex::counties` (a city's index holds several counties).
    pub county: u8,
    /// Reviewed here: no report from the level below carries it (at a county every school; at
    /// a city its 直属 schools). The others are read-only.
    pub own: bool,
    /// Position in `ReviewIndex::units` of the unit whose report carries it (`u8::MAX`: own).
    pub unit: u8,
}

impl IndexRow {
    /// Counts one open finding of `rule` on this row; `rules` gives each rule its bit.
    pub(super) fn count_finding(&mut self, rule: &str, error: bool, rules: &mut Vec<String>) {
        let bit = rules.iter().position(|k| k == rule).unwrap_or_else(|| {
            rules.push(rule.to_string());
            rules.len() - 1
        });
        self.open_findings += 1;
        self.open_errors += u16::from(error);
        if bit < 32 {
            self.rules |= 1 << bit;
        }
    }
}

/// The period's schools, by school code, and the rules their open findings name.
#[derive(Debug, Clone, Default)]
pub struct ReviewIndex {
    pub rows: Vec<IndexRow>,
    /// The rule ids with open findings in the period, at most 32 (the bits of `IndexRow::rules`).
    pub rules: Vec<String>,
    /// Open findings about schools of the previous period that are missing from this one:
    /// they have no row to show them on.
    pub missing_schools: u32,
    /// The counties of the schools, as (code, name), in order of first appearance (at most
    /// 255; a county sheet has one, a city's index one per county).
    pub counties: Vec<(Box<str>, Box<str>)>,
    /// The units below whose reports carry the schools (at a province its cities), by code.
    pub units: Vec<Box<str>>,
}

/// The key indicators of one row on screen.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RowIndicators {
    pub filled: bool,
    pub connected: Option<bool>,
    pub bandwidth_mbps: Option<f64>,
    pub students: Option<u32>,
    pub multimedia_rooms: Option<u32>,
}

/// Everything the detail pane shows about one school.
#[derive(Debug, Clone)]
pub struct SchoolDetail {
    pub state: ReviewState,
    pub current: SubmissionData,
    pub previous: Option<(Period, SubmissionData)>,
    /// Open and overridden findings first, then resolved ones (history).
    pub findings: Vec<StoredFinding>,
    /// Oldest first.
    pub revisions: Vec<RevisionInfo>,
    /// The school's review log, oldest first.
    pub log: Vec<LogEntry>,
}

/// One revision of a school's sheet and where it came from.
#[derive(Debug, Clone)]
pub struct RevisionInfo {
    pub revision: u32,
    pub imported_at: String,
    pub source_file: String,
    pub source_row: u32,
    pub data: SubmissionData,
}

/// Takes back one decision: the state before it, and what the decision wrote besides.
#[derive(Debug, Clone)]
pub struct Undo<'a> {
    pub period: Period,
    pub school_code: &'a str,
    /// The decision being taken back (`approve`, `return`, `flag`).
    pub action: &'a str,
    /// The state the decision left; if the school is no longer in it (a new sheet arrived),
    /// the undo is refused rather than overwrite what happened since.
    pub decided: ReviewState,
    pub restore: ReviewState,
    /// The decision's time and note, which identify what it wrote.
    pub decided_at: &'a str,
    pub note: Option<&'a str>,
    pub actor: &'a str,
    pub at: &'a str,
}

impl Store {
    /// The screen's index of `period`: one small row per school, by school code.
    pub fn review_index(&self, period: Period) -> Result<ReviewIndex, StoreError> {
        let period = period.to_string();
        // Sized first: grown by doubling, the rows would for a moment take three times their
        // size, the screen's peak memory.
        let schools: i64 =
            self.conn.query_row("SELECT count(*) FROM submissions WHERE period = ?1", [&period], |r| r.get(0))?;
        let mut stmt = self.conn.prepare(&format!("{INDEX_ROW} WHERE s.period = ?1 ORDER BY s.school_code"))?;
        let mut index =
            ReviewIndex { rows: Vec::with_capacity(usize::try_from(schools).unwrap_or(0)), ..Default::default() };
        let mut query = stmt.query([&period])?;
        while let Some(r) = query.next()? {
            let row = index_row(r, &mut index)?;
            index.rows.push(row);
        }
        let mut stmt = self.conn.prepare(
            "SELECT school_code, rule, severity = 'error' FROM findings
             WHERE period = ?1 AND resolution = 'open' ORDER BY school_code",
        )?;
        let mut query = stmt.query([&period])?;
        while let Some(r) = query.next()? {
            let code = r.get_ref(0)?.as_str()?;
            let Ok(at) = index.rows.binary_search_by(|row| (*row.code).cmp(code)) else {
                index.missing_schools += 1;
                continue;
            };
            let (rule, error) = (r.get_ref(1)?.as_str()?, r.get(2)?);
            index.rows[at].count_finding(rule, error, &mut index.rules);
        }
        Ok(index)
    }

    /// The indicators of one school, by submission id: one indexed lookup per row on screen.
    pub fn row_indicators(&self, id: i64) -> Result<RowIndicators, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.filled, r.connected, r.bandwidth_mbps, r.students, r.multimedia_rooms
             FROM submissions s
             JOIN revisions r ON r.submission_id = s.id AND r.revision = s.current_revision
             WHERE s.id = ?1",
        )?;
        let found = stmt
            .query_row([id], |r| {
                Ok(RowIndicators {
                    filled: r.get(0)?,
                    connected: r.get(1)?,
                    bandwidth_mbps: r.get(2)?,
                    students: r.get(3)?,
                    multimedia_rooms: r.get(4)?,
                })
            })
            .optional()?;
        Ok(found.unwrap_or_default())
    }

    /// Whether the period has been reported (exported) and is locked.
    pub fn period_reported(&self, period: Period) -> Result<bool, StoreError> {
        let status: Option<String> = self
            .conn
            .query_row("SELECT status FROM periods WHERE id = ?1", [period.to_string()], |r| r.get(0))
            .optional()?;
        Ok(status.as_deref() == Some("reported"))
    }

    /// The city and county the period's sheets name (for the screen's header when the config
    /// does not say): those of the first school that names them, since a county's sheets all
    /// name the same (counting them all would cost the screen's first frame a scan).
    pub fn period_place(&self, period: Period) -> Result<(Option<String>, Option<String>), StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT r.city, r.county FROM submissions s
                 JOIN revisions r ON r.submission_id = s.id AND r.revision = s.current_revision
                 WHERE s.period = ?1 AND r.county IS NOT NULL LIMIT 1",
                [period.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .unwrap_or_default())
    }

    /// Everything about one school in a period: its sheet, the previous period's, findings,
    /// revisions and log.
    pub fn school_detail(&self, period: Period, code: &str) -> Result<SchoolDetail, StoreError> {
        let p = period.to_string();
        let no_school = || StoreError::NoSuchSchool { period: p.clone(), school_code: code.to_string() };
        let state: String = self
            .conn
            .query_row("SELECT state FROM submissions WHERE period = ?1 AND school_code = ?2", params![p, code], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or_else(no_school)?;
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {DATA}, r.revision, i.at, r.source_file, r.source_row FROM submissions s
             JOIN revisions r ON r.submission_id = s.id
             JOIN imports i ON i.id = r.import_id
             WHERE s.period = ?1 AND s.school_code = ?2 ORDER BY r.revision"
        ))?;
        let revisions: Vec<RevisionInfo> = stmt
            .query_map(params![p, code], |r| {
                Ok(RevisionInfo {
                    revision: r.get(DATA_LEN)?,
                    imported_at: r.get(DATA_LEN + 1)?,
                    source_file: r.get(DATA_LEN + 2)?,
                    source_row: r.get(DATA_LEN + 3)?,
                    data: submission_data(r)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let current = revisions.last().map(|r| r.data.clone()).ok_or_else(no_school)?;
        let previous = match previous_period(&self.conn, period)? {
            Some(before) => self
                .conn
                .query_row(
                    &format!(
                        "SELECT {DATA} FROM submissions s
                         JOIN revisions r ON r.submission_id = s.id AND r.revision = s.current_revision
                         WHERE s.period = ?1 AND s.school_code = ?2"
                    ),
                    params![before.to_string(), code],
                    submission_data,
                )
                .optional()?
                .map(|data| (before, data)),
            None => None,
        };
        let mut findings = self.findings_of_school(period, code)?;
        findings.sort_by_key(|f| (f.resolution == "resolved", f.severity != "error", f.id));
        let mut stmt = self.conn.prepare_cached(
            "SELECT at, actor, school_code, action, old_state, new_state, note
             FROM review_log WHERE period = ?1 AND school_code = ?2 ORDER BY id",
        )?;
        let log = stmt.query_map(params![p, code], log_entry)?.collect::<Result<_, _>>()?;
        Ok(SchoolDetail {
            state: ReviewState::from_key(&state).unwrap_or(ReviewState::Submitted),
            current,
            previous,
            findings,
            revisions,
            log,
        })
    }

    /// A comment on a school: a log row, no change of state.
    pub fn comment(&mut self, period: Period, code: &str, note: &str, actor: &str, at: &str) -> Result<(), StoreError> {
        let p = period.to_string();
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let state: String = tx
            .query_row("SELECT state FROM submissions WHERE period = ?1 AND school_code = ?2", params![p, code], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or_else(|| StoreError::NoSuchSchool { period: p.clone(), school_code: code.to_string() })?;
        tx.execute(
            "INSERT INTO review_log (at, actor, period, school_code, action, old_state, new_state, note)
             VALUES (?1, ?2, ?3, ?4, 'comment', ?5, ?5, ?6)",
            params![at, actor, p, code, state, note],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Takes back a decision, with an `undo` log row, all in one transaction: the state goes
    /// back, findings an approval overrode open again, and an auditor's flag is withdrawn.
    pub fn undo(&mut self, u: &Undo<'_>) -> Result<(), StoreError> {
        let p = u.period.to_string();
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        super::decisions::refuse_if_reported(&tx, &p)?;
        let now: String = tx
            .query_row(
                "SELECT state FROM submissions WHERE period = ?1 AND school_code = ?2",
                params![p, u.school_code],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| StoreError::NoSuchSchool { period: p.clone(), school_code: u.school_code.to_string() })?;
        if now != u.decided.key() {
            return Err(StoreError::ChangedSince { school_code: u.school_code.to_string() });
        }
        match u.action {
            "approve" => {
                tx.execute(
                    "UPDATE findings SET resolution = 'open', note = NULL, resolved_at = NULL
                     WHERE period = ?1 AND school_code = ?2 AND resolution = 'overridden' AND resolved_at = ?3",
                    params![p, u.school_code, u.decided_at],
                )?;
            }
            "flag" => {
                // The flag either made the auditor's finding or added its note to one.
                let note = u.note.unwrap_or_default();
                tx.execute(
                    "UPDATE findings SET resolution = 'resolved', resolved_at = ?5
                     WHERE period = ?1 AND school_code = ?2 AND rule = ?3 AND resolution = 'open' AND note = ?4",
                    params![p, u.school_code, AUDITOR_FLAG, note, u.at],
                )?;
                tx.execute(
                    "UPDATE findings SET note = substr(note, 1, length(note) - length(?4) - 1)
                     WHERE period = ?1 AND school_code = ?2 AND rule = ?3 AND resolution = 'open'
                       AND substr(note, -length(?4) - 1) = '；' || ?4",
                    params![p, u.school_code, AUDITOR_FLAG, note],
                )?;
            }
            _ => {}
        }
        tx.execute(
            "UPDATE submissions SET state = ?3, updated_at = ?4 WHERE period = ?1 AND school_code = ?2",
            params![p, u.school_code, u.restore.key(), u.at],
        )?;
        tx.execute(
            "INSERT INTO review_log (at, actor, period, school_code, action, old_state, new_state, note)
             VALUES (?1, ?2, ?3, ?4, 'undo', ?5, ?6, ?7)",
            params![u.at, u.actor, p, u.school_code, u.decided.key(), u.restore.key(), u.action],
        )?;
        tx.commit()?;
        Ok(())
    }
}

impl Store {
    /// Reads one school's state and open findings again after a decision changed them.
    pub fn refresh_index_row(
        &self,
        period: Period,
        row: &mut IndexRow,
        rules: &mut Vec<String>,
    ) -> Result<(), StoreError> {
        let p = period.to_string();
        let state: String = self.conn.query_row(
            "SELECT state FROM submissions WHERE period = ?1 AND school_code = ?2",
            params![p, &*row.code],
            |r| r.get(0),
        )?;
        row.state = ReviewState::from_key(&state).unwrap_or(ReviewState::Submitted);
        (row.open_findings, row.open_errors, row.rules) = (0, 0, 0);
        let mut stmt = self.conn.prepare_cached(
            "SELECT rule, severity = 'error' FROM findings
             WHERE period = ?1 AND school_code = ?2 AND resolution = 'open'",
        )?;
        let mut query = stmt.query(params![p, &*row.code])?;
        while let Some(r) = query.next()? {
            row.count_finding(r.get_ref(0)?.as_str()?, r.get(1)?, rules);
        }
        Ok(())
    }
}

#[cfg(test)]
impl Store {
    /// Raw SQL for tests that need a state no command makes yet.
    pub(crate) fn execute_for_tests(&self, sql: &str) {
        self.conn.execute_batch(sql).unwrap();
    }
}

/// What an [`IndexRow`] is read from: one school's submission and current revision, and whether
/// a report from below carries it. The caller adds the `WHERE`.
pub(super) const INDEX_ROW: &str =
    "SELECT s.id, s.school_code, r.name, r.school_type, s.state, r.filled, r.school_status,
        r.connected, r.bandwidth_mbps, r.multimedia_rooms, r.county_code, r.county,
        NOT EXISTS (SELECT 1 FROM city_claims c WHERE c.period = s.period AND c.school_code = s.school_code),
        (SELECT c.county_code FROM city_claims c WHERE c.period = s.period AND c.school_code = s.school_code
         ORDER BY c.id LIMIT 1)
     FROM submissions s
     JOIN revisions r ON r.submission_id = s.id AND r.revision = s.current_revision";

/// One row selected as [`INDEX_ROW`], its county and unit numbered in `index` (without its
/// findings, which the caller counts).
pub(super) fn index_row(r: &rusqlite::Row<'_>, index: &mut ReviewIndex) -> rusqlite::Result<IndexRow> {
    let code = r.get_ref(10)?.as_str_or_null()?.unwrap_or_default();
    let name = r.get_ref(11)?.as_str_or_null()?.unwrap_or_default();
    let counties = &mut index.counties;
    let county = match counties.iter().position(|(c, n)| &**c == code && &**n == name) {
        Some(i) => i,
        None => {
            counties.push((code.into(), name.into()));
            counties.len() - 1
        }
    };
    let sheet = SubmissionData {
        filled: r.get(5)?,
        school_status: r.get_ref(6)?.as_str_or_null()?.and_then(SchoolStatus::parse),
        connected: r.get(7)?,
        bandwidth_mbps: r.get(8)?,
        multimedia_rooms: r.get(9)?,
        ..Default::default()
    };
    let lists = lists_of(&sheet).iter().enumerate().fold(0u8, |m, (i, on)| m | (u8::from(*on) << i));
    let units = &mut index.units;
    Ok(IndexRow {
        id: r.get(0)?,
        code: r.get_ref(1)?.as_str()?.into(),
        name: r.get_ref(2)?.as_str()?.into(),
        school_type: r.get_ref(3)?.as_str_or_null()?.and_then(SchoolType::parse),
        state: ReviewState::from_key(r.get_ref(4)?.as_str()?).unwrap_or(ReviewState::Submitted),
        open_findings: 0,
        open_errors: 0,
        rules: 0,
        lists,
        county: u8::try_from(county).unwrap_or(u8::MAX),
        own: r.get(12)?,
        unit: match r.get_ref(13)?.as_str_or_null()? {
            None => u8::MAX,
            Some(code) => {
                let at = units.iter().position(|u| &**u == code).unwrap_or_else(|| {
                    units.push(code.into());
                    units.len() - 1
                });
                u8::try_from(at).unwrap_or(u8::MAX - 1)
            }
        },
    })
}
