//! The review screen's first frame, read before the whole index: the header's counts and the
//! first schools of the list in its default order (ARCHITECTURE.md, "The first frame"). Reading
//! every school of a 100,000-school period takes a few hundred milliseconds; these few queries
//! take a few, and the whole index follows right after the frame is drawn.

use std::collections::HashSet;

use rusqlite::params;

use super::review::{INDEX_ROW, index_row};
use super::{ReviewIndex, Store, StoreError};
use crate::domain::{Period, ReviewState};

/// What the first frame shows.
#[derive(Debug, Clone, Default)]
pub struct FirstPage {
    /// The first schools of the list (in the default order, by attention), as rows by school
    /// code; `missing_schools` counts over the whole period.
    pub index: ReviewIndex,
    /// Schools per state over the whole period, in [`ReviewState::ALL`] order.
    pub counts: [usize; 5],
}

/// A school with open findings: (code, state, findings, errors); state `None` for a school
/// missing from the period.
type WithFindings = (String, Option<ReviewState>, u32, u32);

impl Store {
    /// The first `limit` schools of `period` in the list's default order (state by attention,
    /// then most errors, most findings, school code), and the counts the header shows.
    pub fn first_page(&self, period: Period, limit: usize) -> Result<FirstPage, StoreError> {
        let p = period.to_string();
        let mut counts = [0usize; 5];
        {
            let mut stmt =
                self.conn.prepare("SELECT state, count(*) FROM submissions WHERE period = ?1 GROUP BY state")?;
            let mut rows = stmt.query([&p])?;
            while let Some(r) = rows.next()? {
                let state = ReviewState::from_key(r.get_ref(0)?.as_str()?).unwrap_or(ReviewState::Submitted);
                let at = ReviewState::ALL.iter().position(|s| *s == state).unwrap_or(0);
                counts[at] += usize::try_from(r.get::<_, i64>(1)?).unwrap_or(0);
            }
        }
        let with_findings: Vec<WithFindings> = self
            .conn
            .prepare(
                "SELECT f.school_code, s.state, count(*), sum(f.severity = 'error') FROM findings f
                 LEFT JOIN submissions s ON s.period = f.period AND s.school_code = f.school_code
                 WHERE f.period = ?1 AND f.resolution = 'open' GROUP BY f.school_code",
            )?
            .query_map([&p], |r| {
                let state =
                    r.get_ref(1)?.as_str_or_null()?.map(|k| ReviewState::from_key(k).unwrap_or(ReviewState::Submitted));
                Ok((r.get(0)?, state, r.get(2)?, r.get(3)?))
            })?
            .collect::<Result<_, _>>()?;
        let mut index = ReviewIndex {
            missing_schools: with_findings.iter().filter(|f| f.1.is_none()).map(|f| f.2).sum(),
            ..Default::default()
        };
        let flagged: HashSet<&str> = with_findings.iter().filter(|f| f.1.is_some()).map(|f| f.0.as_str()).collect();

        let mut chosen: Vec<String> = Vec::new();
        for state in ReviewState::BY_ATTENTION {
            let room = limit.saturating_sub(chosen.len());
            let in_state = counts[ReviewState::ALL.iter().position(|s| *s == state).unwrap_or(0)];
            if room == 0 || in_state == 0 {
                continue;
            }
            let mut first: Vec<&WithFindings> = with_findings.iter().filter(|f| f.1 == Some(state)).collect();
            first.sort_by(|a, b| (b.3, b.2).cmp(&(a.3, a.2)).then_with(|| a.0.cmp(&b.0)));
            let without = in_state.saturating_sub(first.len());
            chosen.extend(first.iter().take(room).map(|f| f.0.clone()));
            if without > 0 && chosen.len() < limit {
                // The others of the state have no findings: by school code, from the index.
                let mut stmt = self.conn.prepare_cached(
                    "SELECT school_code FROM submissions WHERE period = ?1 AND state = ?2 ORDER BY school_code",
                )?;
                let mut rows = stmt.query(params![p, state.key()])?;
                let mut found = 0;
                while chosen.len() < limit && found < without {
                    let Some(r) = rows.next()? else { break };
                    let code = r.get_ref(0)?.as_str()?;
                    if !flagged.contains(code) {
                        chosen.push(code.to_string());
                        found += 1;
                    }
                }
            }
        }
        chosen.sort();
        let mut row_of =
            self.conn.prepare_cached(&format!("{INDEX_ROW} WHERE s.period = ?1 AND s.school_code = ?2"))?;
        let mut findings_of = self.conn.prepare_cached(
            "SELECT rule, severity = 'error' FROM findings WHERE period = ?1 AND school_code = ?2 AND resolution = 'open'",
        )?;
        for code in &chosen {
            let mut rows = row_of.query(params![p, code])?;
            let Some(r) = rows.next()? else { continue };
            let mut row = index_row(r, &mut index)?;
            let mut found = findings_of.query(params![p, code])?;
            while let Some(f) = found.next()? {
                row.count_finding(f.get_ref(0)?.as_str()?, f.get(1)?, &mut index.rules);
            }
            index.rows.push(row);
        }
        Ok(FirstPage { index, counts })
    }
}
