//! Findings in the store: a check run reconciles what the rules found now with what the store
//! holds (new ones open, gone ones resolved, overrides kept while the data stays the same),
//! and moves schools between 待审核 and 有疑问, each move with its log row, in one transaction.

use std::collections::{HashMap, HashSet};

use rusqlite::{Transaction, TransactionBehavior, params};
use serde::Serialize;

use super::{Store, StoreError, queries};
use crate::domain::{Period, ReviewState, SubmissionData};

/// A finding as a check run hands it to the store.
#[derive(Debug, Clone)]
pub struct NewFinding<'a> {
    pub school_code: &'a str,
    pub rule: &'static str,
    pub severity: &'static str,
    /// JSON object: the values the message shows.
    pub detail: String,
}

/// A finding as the store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredFinding {
    pub id: i64,
    pub school_code: String,
    /// The school's name in this period, or in the previous one for a school that is missing.
    pub school_name: Option<String>,
    pub rule: String,
    pub severity: String,
    pub detail: String,
    pub resolution: String,
    pub note: Option<String>,
}

/// What one check run changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CheckCounts {
    pub opened: u64,
    pub updated: u64,
    pub resolved: u64,
    /// Schools moved from 待审核 to 有疑问.
    pub flagged: u64,
    /// Schools moved back from 有疑问 to 待审核: nothing open any more.
    pub cleared: u64,
}

/// A period's sheets as the caller already holds them (the import that has just written them
/// into an empty period), by school code, with the store's data version of that moment: a
/// check takes them instead of reading them back, unless another connection has written since.
#[derive(Clone, Default, PartialEq)]
pub struct PeriodSheets {
    data_version: i64,
    sheets: Vec<SubmissionData>,
}

impl std::fmt::Debug for PeriodSheets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PeriodSheets({} sheets)", self.sheets.len())
    }
}

fn data_version(conn: &rusqlite::Connection) -> Result<i64, StoreError> {
    Ok(conn.pragma_query_value(None, "data_version", |r| r.get(0))?)
}

/// A check run in progress, inside one write transaction.
pub struct CheckBatch<'a> {
    tx: Transaction<'a>,
    period: Period,
    at: String,
    actor: String,
}

impl Store {
    /// `sheets` (all of a period's, as this connection has just written them) kept for the
    /// next check run.
    pub fn period_sheets(&self, mut sheets: Vec<SubmissionData>) -> Result<PeriodSheets, StoreError> {
        // In the store's order, by code. A sheet is some hundred bytes: sort their positions,
        // then follow the permutation's cycles in place, each sheet swapped into its place once
        // (a second vector of 100,000 sheets would raise the import's peak memory).
        if !sheets.is_sorted_by(|a, b| a.school_code <= b.school_code) {
            let mut order: Vec<usize> = (0..sheets.len()).collect();
            order.sort_unstable_by(|&a, &b| sheets[a].school_code.cmp(&sheets[b].school_code));
            for start in 0..order.len() {
                let mut at = start;
                while order[at] != start {
                    let from = order[at];
                    sheets.swap(at, from);
                    order[at] = at;
                    at = from;
                }
                order[at] = at;
            }
        }
        Ok(PeriodSheets { data_version: data_version(&self.conn)?, sheets })
    }

    /// Starts a check run of `period`. A reported period is locked and refused.
    pub fn begin_check(&mut self, period: Period, at: &str, actor: &str) -> Result<CheckBatch<'_>, StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        super::decisions::refuse_if_reported(&tx, &period.to_string())?;
        Ok(CheckBatch { tx, period, at: at.to_string(), actor: actor.to_string() })
    }

    /// The period's findings, by school code then rule; resolved ones only when asked for.
    pub fn findings(&self, period: Period, with_resolved: bool) -> Result<Vec<StoredFinding>, StoreError> {
        self.findings_where(period, with_resolved, None)
    }

    /// One school's findings in the period, resolved ones included (the detail pane).
    pub fn findings_of_school(&self, period: Period, code: &str) -> Result<Vec<StoredFinding>, StoreError> {
        self.findings_where(period, true, Some(code))
    }

    fn findings_where(
        &self,
        period: Period,
        with_resolved: bool,
        school: Option<&str>,
    ) -> Result<Vec<StoredFinding>, StoreError> {
        // Two statements rather than one with `?3 IS NULL OR …`, which the planner cannot
        // answer from the (period, school_code) index.
        let which = if school.is_some() { "f.school_code = ?3" } else { "?3 IS NULL" };
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT f.id, f.school_code, coalesce(r.name, json_extract(f.detail, '$.name')),
                    f.rule, f.severity, f.detail, f.resolution, f.note
             FROM findings f
             LEFT JOIN submissions s ON s.period = f.period AND s.school_code = f.school_code
             LEFT JOIN revisions r ON r.submission_id = s.id AND r.revision = s.current_revision
             WHERE f.period = ?1 AND (?2 OR f.resolution <> 'resolved') AND {which}
             ORDER BY f.school_code, f.rule, f.id"
        ))?;
        let rows = stmt.query_map(params![period.to_string(), with_resolved, school], |r| {
            Ok(StoredFinding {
                id: r.get(0)?,
                school_code: r.get(1)?,
                school_name: r.get(2)?,
                rule: r.get(3)?,
                severity: r.get(4)?,
                detail: r.get(5)?,
                resolution: r.get(6)?,
                note: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

impl CheckBatch<'_> {
    /// The period's sheets as the transaction sees them (without their extra columns, which
    /// no check reads).
    pub fn sheets(&self) -> Result<Vec<SubmissionData>, StoreError> {
        queries::current_data_for_checks(&self.tx, self.period)
    }

    /// `given`'s sheets when nothing has been written to the store since they were (no other
    /// connection has committed: SQLite's data version is the same), else [`CheckBatch::sheets`].
    pub fn sheets_or(&self, given: Option<PeriodSheets>) -> Result<Vec<SubmissionData>, StoreError> {
        match given {
            Some(given) if given.data_version == data_version(&self.tx)? => Ok(given.sheets),
            _ => self.sheets(),
        }
    }

    /// The previous period of the same kind and its sheets, when the store has one.
    pub fn previous(&self) -> Result<Option<(Period, Vec<SubmissionData>)>, StoreError> {
        let Some(previous) = queries::previous_period(&self.tx, self.period)? else { return Ok(None) };
        Ok(Some((previous, queries::current_data_for_checks(&self.tx, previous)?)))
    }

    /// Makes the stored findings of `rules` what `found` says, moves schools between 待审核
    /// and 有疑问 accordingly, and commits. Findings of other rules (the auditor's own flags)
    /// are left alone but still count as open.
    pub fn apply(self, found: &[NewFinding<'_>], rules: &[&str]) -> Result<CheckCounts, StoreError> {
        let period = self.period.to_string();
        let mut counts = CheckCounts::default();
        // (school, rule) → (id, severity, detail) of the live findings of these rules.
        let mut live: HashMap<(String, String), (i64, String, String)> = HashMap::new();
        {
            let mut stmt = self.tx.prepare(
                "SELECT id, school_code, rule, severity, detail FROM findings
                 WHERE period = ?1 AND resolution <> 'resolved'",
            )?;
            let mut rows = stmt.query([&period])?;
            while let Some(r) = rows.next()? {
                let rule: String = r.get(2)?;
                if rules.contains(&rule.as_str()) {
                    live.insert((r.get(1)?, rule), (r.get(0)?, r.get(3)?, r.get(4)?));
                }
            }
        }
        // At a city the checks read every school (peers, duplicates) but judge only its 直属
        // ones: a county's schools were judged by the county, and their states are its.
        let held: HashSet<String> = self
            .tx
            .prepare("SELECT school_code FROM city_claims WHERE period = ?1")?
            .query_map([&period], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        // Each statement prepared once for the whole run.
        let mut update = self.tx.prepare(
            "UPDATE findings SET severity = ?2, detail = ?3, resolution = 'open', resolved_at = NULL WHERE id = ?1",
        )?;
        let mut insert = self.tx.prepare(
            "INSERT INTO findings (period, school_code, rule, severity, detail, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let mut resolve =
            self.tx.prepare("UPDATE findings SET resolution = 'resolved', resolved_at = ?2 WHERE id = ?1")?;
        for f in found.iter().filter(|f| !held.contains(f.school_code)) {
            match live.remove(&(f.school_code.to_string(), f.rule.to_string())) {
                Some((_, severity, detail)) if severity == f.severity && detail == f.detail => {}
                Some((id, ..)) => {
                    // The values changed: an override was about the old ones, so it opens again.
                    update.execute(params![id, f.severity, f.detail])?;
                    counts.updated += 1;
                }
                None => {
                    insert.execute(params![period, f.school_code, f.rule, f.severity, f.detail, self.at])?;
                    counts.opened += 1;
                }
            }
        }
        for (id, ..) in live.into_values() {
            resolve.execute(params![id, self.at])?;
            counts.resolved += 1;
        }
        drop((update, insert, resolve));
        self.move_states(&period, &held, &mut counts)?;
        self.tx.commit()?;
        Ok(counts)
    }

    /// 待审核 with an open finding → 有疑问; 有疑问 with none left → 待审核. Decisions the auditor
    /// took (approved, returned) are not undone by a check, nor are the states of the schools a
    /// report from below carries (`held`). One pass over the period's schools decides every
    /// move; only the schools that move are written, each with its log row.
    fn move_states(&self, period: &str, held: &HashSet<String>, counts: &mut CheckCounts) -> Result<(), StoreError> {
        let open: HashSet<String> = self
            .tx
            .prepare("SELECT DISTINCT school_code FROM findings WHERE period = ?1 AND resolution = 'open'")?
            .query_map([period], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let moves: Vec<(i64, String, ReviewState)> = {
            let mut stmt = self.tx.prepare(
                "SELECT id, school_code, state FROM submissions
                 WHERE period = ?1 AND state IN ('submitted', 'flagged') ORDER BY school_code",
            )?;
            let mut rows = stmt.query([period])?;
            let mut moves = Vec::new();
            while let Some(r) = rows.next()? {
                let code = r.get_ref(1)?.as_str()?;
                let flagged = r.get_ref(2)?.as_str()? == ReviewState::Flagged.key();
                if flagged != open.contains(code) && !held.contains(code) {
                    let old = if flagged { ReviewState::Flagged } else { ReviewState::Submitted };
                    moves.push((r.get(0)?, code.to_string(), old));
                }
            }
            moves
        };
        let mut update = self.tx.prepare("UPDATE submissions SET state = ?2, updated_at = ?3 WHERE id = ?1")?;
        let mut log = self.tx.prepare(
            "INSERT INTO review_log (at, actor, period, school_code, action, old_state, new_state, note)
             VALUES (?1, ?2, ?3, ?4, 'check', ?5, ?6, NULL)",
        )?;
        for (id, code, old) in moves {
            let (new, counter) = match old {
                ReviewState::Submitted => (ReviewState::Flagged, &mut counts.flagged),
                _ => (ReviewState::Submitted, &mut counts.cleared),
            };
            update.execute(params![id, new.key(), self.at])?;
            log.execute(params![self.at, self.actor, period, code, old.key(), new.key()])?;
            *counter += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheets_kept_for_the_checks_are_in_the_stores_order_whatever_order_they_came_in() {
        let store = Store::open_in_memory().unwrap();
        let sheet =
            |code: &str| SubmissionData {
                school_code: code.into(), name: format!("{code}小学"), ..Default::default()
            };
        for codes in
            [vec!["3", "1", "2"], vec!["5", "4", "3", "2", "1"], vec!["2", "1", "4", "3"], vec!["1", "2"], vec![]]
        {
            let kept = store.period_sheets(codes.iter().map(|c| sheet(c)).collect()).unwrap();
            let mut sorted = codes.clone();
            sorted.sort();
            let got: Vec<(&str, &str)> =
                kept.sheets.iter().map(|s| (s.school_code.as_str(), s.name.as_str())).collect();
            let want: Vec<(String, String)> = sorted.iter().map(|c| (c.to_string(), format!("{c}小学"))).collect();
            assert_eq!(got, want.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect::<Vec<_>>(), "{codes:?}");
        }
    }
}
