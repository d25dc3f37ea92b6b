//! A city's record of the county bundles it accepted (verified before they come here). For each
//! county and period the highest sequence is current; an older one stays on record; the same or
//! an older one arriving again changes nothing.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde::Serialize;

use super::{ImportBatch, Store, StoreError};

/// One accepted county bundle, as the city keeps it (the zip itself aside).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CityBundle {
    pub county_code: String,
    pub period: String,
    pub sequence: u32,
    pub sha256: String,
    pub file_name: String,
    pub created_at: String,
    pub received_at: String,
    pub inside_window: bool,
    pub signer: String,
    /// manifest.json as signed.
    pub manifest: String,
}

/// What receiving a bundle did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Received {
    /// The first bundle of the county for the period.
    Loaded,
    /// A newer report: it is current now; the one it replaces stays on record.
    Replaced { previous: u32 },
    /// This very bundle was received before.
    AlreadyHave,
    /// Another bundle with the same report number was received before: kept out (a county
    /// that exported twice from two databases, or a copy changed and re-signed).
    Conflicting { sequence: u32 },
    /// An older report than the one already current: kept out.
    Older { current: u32 },
}

impl Store {
    /// Records `bundle` (whose zip is `bytes`), making it current unless a report as new or
    /// newer is there already. One transaction.
    pub fn receive_city_bundle(&mut self, bundle: &CityBundle, bytes: &[u8]) -> Result<Received, StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let received = outcome(&tx, bundle)?;
        if matches!(received, Received::Loaded | Received::Replaced { .. }) {
            record(&tx, bundle, bytes)?;
        }
        tx.commit()?;
        Ok(received)
    }

    /// The school codes two or more counties' current reports carry for `period`, each with
    /// its claims in order of arrival (the first holds the school's data).
    pub fn city_conflicts(&self, period: &str) -> Result<Vec<Conflict>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT school_code, county_code, sequence FROM city_claims
             WHERE period = ?1 AND school_code IN
                 (SELECT school_code FROM city_claims WHERE period = ?1 GROUP BY school_code HAVING count(*) > 1)
             ORDER BY school_code, id",
        )?;
        let rows = stmt.query_map([period], |r| {
            Ok((r.get::<_, String>(0)?, Claim { county_code: r.get(1)?, sequence: r.get(2)? }))
        })?;
        let mut conflicts: Vec<Conflict> = Vec::new();
        for row in rows {
            let (school_code, claim) = row?;
            match conflicts.last_mut() {
                Some(c) if c.school_code == school_code => c.claims.push(claim),
                _ => conflicts.push(Conflict { school_code, claims: vec![claim] }),
            }
        }
        Ok(conflicts)
    }

    /// When this level first received the bundle file whose SHA-256 is `sha256`, if it has.
    pub fn first_received(&self, sha256: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT received_at FROM city_bundles WHERE sha256 = ?1 ORDER BY received_at LIMIT 1",
                [sha256],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The current bundle of each county for `period`, by county code.
    pub fn city_bundles(&self, period: &str) -> Result<Vec<CityBundle>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT county_code, period, sequence, sha256, file_name, created_at, received_at, inside_window,
                    signer, manifest
             FROM city_bundles WHERE period = ?1 AND current = 1 ORDER BY county_code",
        )?;
        let rows = stmt.query_map([period], |r| {
            Ok(CityBundle {
                county_code: r.get(0)?,
                period: r.get(1)?,
                sequence: r.get(2)?,
                sha256: r.get(3)?,
                file_name: r.get(4)?,
                created_at: r.get(5)?,
                received_at: r.get(6)?,
                inside_window: r.get(7)?,
                signer: r.get(8)?,
                manifest: r.get(9)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The zip of `county_code`'s current report for `period`, as received and verified.
    pub fn current_city_bundle_bytes(&self, county_code: &str, period: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT bundle FROM city_bundles WHERE county_code = ?1 AND period = ?2 AND current = 1",
                params![county_code, period],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The schools a report from below carries in `period` (code → the claim holding it): at a
    /// city, every school but its 直属 ones, which it reviews itself. Empty at a county.
    pub fn held_below(&self, period: &str) -> Result<HashMap<String, Claim>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT school_code, county_code, sequence FROM city_claims WHERE period = ?1 ORDER BY id DESC")?;
        // In descending arrival order, so the earliest claim (the one holding the school) wins.
        let rows = stmt.query_map([period], |r| {
            Ok((r.get::<_, String>(0)?, Claim { county_code: r.get(1)?, sequence: r.get(2)? }))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The review states of the schools this level reviews itself in `period` (see
    /// [`IndexRow::own`](super::IndexRow)), one per school.
    pub fn own_states(&self, period: &str) -> Result<Vec<crate::domain::ReviewState>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT state FROM submissions s WHERE period = ?1 AND NOT EXISTS
                 (SELECT 1 FROM city_claims c WHERE c.period = s.period AND c.school_code = s.school_code)",
        )?;
        let rows = stmt.query_map([period], |r| r.get::<_, String>(0))?;
        let mut states = Vec::new();
        for key in rows {
            states.push(crate::domain::ReviewState::from_key(&key?).unwrap_or(crate::domain::ReviewState::Submitted));
        }
        Ok(states)
    }

    /// The review states of the schools each unit's current report holds in `period`, by the
    /// unit's code: one pass over the period, whatever the number of units.
    pub fn states_by_unit(&self, period: &str) -> Result<HashMap<String, Vec<crate::domain::ReviewState>>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT c.county_code, s.state FROM submissions s
             JOIN city_claims c ON c.period = s.period AND c.school_code = s.school_code
             WHERE s.period = ?1
               AND c.id = (SELECT min(id) FROM city_claims WHERE period = s.period AND school_code = s.school_code)",
        )?;
        let rows = stmt.query_map([period], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out: HashMap<String, Vec<crate::domain::ReviewState>> = HashMap::new();
        for row in rows {
            let (unit, key) = row?;
            let state = crate::domain::ReviewState::from_key(&key).unwrap_or(crate::domain::ReviewState::Submitted);
            out.entry(unit).or_default().push(state);
        }
        Ok(out)
    }

    /// The schools `unit_code`'s current report holds in `period`: each one's county code (as
    /// its sheet gives it) and review state.
    pub fn claimed_states_by_county(
        &self,
        period: &str,
        unit_code: &str,
    ) -> Result<Vec<(Option<String>, crate::domain::ReviewState)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT r.county_code, s.state FROM submissions s
             JOIN revisions r ON r.submission_id = s.id AND r.revision = s.current_revision
             WHERE s.period = ?1 AND
                 (SELECT c.county_code FROM city_claims c WHERE c.period = s.period AND c.school_code = s.school_code
                  ORDER BY c.id LIMIT 1) = ?2",
        )?;
        let rows = stmt
            .query_map(params![period, unit_code], |r| Ok((r.get::<_, Option<String>>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (code, key) = row?;
            out.push((
                code,
                crate::domain::ReviewState::from_key(&key).unwrap_or(crate::domain::ReviewState::Submitted),
            ));
        }
        Ok(out)
    }

    /// How many bundles of `county_code` for `period` are on record, current or not.
    pub fn city_bundle_count(&self, county_code: &str, period: &str) -> Result<u32, StoreError> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM city_bundles WHERE county_code = ?1 AND period = ?2",
            params![county_code, period],
            |r| r.get(0),
        )?)
    }
}

/// A county's report carrying a school.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Claim {
    pub county_code: String,
    pub sequence: u32,
}

/// A school code carried by the current reports of two or more counties.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    pub school_code: String,
    /// In order of arrival: the first holds the school's data at the city.
    pub claims: Vec<Claim>,
}

/// What a county's new current report changed in who carries which school.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClaimChange {
    /// Schools of the new report that an earlier claim of another county holds: their data
    /// stays that county's until one of the two reports drops them.
    pub held_elsewhere: Vec<(String, Claim)>,
    /// Schools the county's previous report carried and this one does not, each with the claim
    /// that holds it now (another county's), or none: then it leaves the city's period.
    pub released: Vec<(String, Option<Claim>)>,
}

impl ImportBatch<'_> {
    /// What receiving `bundle` does, decided inside this batch's write transaction, so that
    /// two imports at once cannot both take themselves for the newer report.
    pub fn city_outcome(&self, bundle: &CityBundle) -> Result<Received, StoreError> {
        outcome(self.tx(), bundle)
    }

    /// Records `bundle` (new and newest: see [`ImportBatch::city_outcome`]) as the county's
    /// current report.
    pub fn record_city_bundle(&mut self, bundle: &CityBundle, bytes: &[u8]) -> Result<(), StoreError> {
        record(self.tx(), bundle, bytes)
    }

    /// Makes `codes` the set of schools `county_code`'s report `sequence` carries in this
    /// period: claims it no longer makes go, new ones join at the end of the arrival order.
    pub fn claim_schools(
        &mut self,
        county_code: &str,
        sequence: u32,
        codes: &[&str],
    ) -> Result<ClaimChange, StoreError> {
        let (tx, period) = (self.tx(), self.period());
        let before: Vec<String> = tx
            .prepare("SELECT school_code FROM city_claims WHERE period = ?1 AND county_code = ?2")?
            .query_map(params![period, county_code], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let now: std::collections::HashSet<&str> = codes.iter().copied().collect();
        let mut delete =
            tx.prepare_cached("DELETE FROM city_claims WHERE period = ?1 AND county_code = ?2 AND school_code = ?3")?;
        let gone: Vec<String> = before.into_iter().filter(|c| !now.contains(c.as_str())).collect();
        for code in &gone {
            delete.execute(params![period, county_code, code])?;
        }
        let mut upsert = tx.prepare_cached(
            "INSERT INTO city_claims (period, school_code, county_code, sequence) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (period, school_code, county_code) DO UPDATE SET sequence = excluded.sequence",
        )?;
        for code in codes {
            upsert.execute(params![period, code, county_code, sequence])?;
        }
        let mut holder = tx.prepare_cached(
            "SELECT county_code, sequence FROM city_claims WHERE period = ?1 AND school_code = ?2 ORDER BY id LIMIT 1",
        )?;
        let mut holder_of = |code: &str| -> Result<Option<Claim>, StoreError> {
            Ok(holder
                .query_row(params![period, code], |r| Ok(Claim { county_code: r.get(0)?, sequence: r.get(1)? }))
                .optional()?)
        };
        let mut change = ClaimChange::default();
        for code in codes {
            if let Some(claim) = holder_of(code)?.filter(|c| c.county_code != county_code) {
                change.held_elsewhere.push((code.to_string(), claim));
            }
        }
        for code in gone {
            let claim = holder_of(&code)?;
            change.released.push((code, claim));
        }
        Ok(change)
    }

    /// The first of `codes` that is a school this level reviews itself in the period (at a
    /// city, a 直属 school: in the period, carried by no county's report).
    pub fn first_own_school<'c>(&self, codes: &[&'c str]) -> Result<Option<&'c str>, StoreError> {
        let mut stmt = self.tx().prepare_cached(
            "SELECT 1 FROM submissions s WHERE s.period = ?1 AND s.school_code = ?2 AND NOT EXISTS
                 (SELECT 1 FROM city_claims c WHERE c.period = s.period AND c.school_code = s.school_code)",
        )?;
        for code in codes {
            if stmt.exists(params![self.period(), code])? {
                return Ok(Some(code));
            }
        }
        Ok(None)
    }

    /// The zip of `county_code`'s current report for this period.
    pub fn current_city_bundle(&self, county_code: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .tx()
            .query_row(
                "SELECT bundle FROM city_bundles WHERE county_code = ?1 AND period = ?2 AND current = 1",
                params![county_code, self.period()],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Takes a school no current report carries out of the city's period, logged with `reason`.
    pub fn withdraw_school(&mut self, school_code: &str, reason: &str) -> Result<(), StoreError> {
        let (period, at, actor) = (self.period().to_string(), self.at().to_string(), self.actor().to_string());
        super::withdraw::remove_submission(self.tx(), &period, school_code, reason, &actor, &at)?;
        Ok(())
    }
}

/// What receiving `bundle` does, decided from what is on record.
fn outcome(conn: &rusqlite::Connection, bundle: &CityBundle) -> Result<Received, StoreError> {
    let current: Option<u32> = conn
        .query_row(
            "SELECT sequence FROM city_bundles WHERE county_code = ?1 AND period = ?2 AND current = 1",
            params![bundle.county_code, bundle.period],
            |r| r.get(0),
        )
        .optional()?;
    let same_sequence: Option<String> = conn
        .query_row(
            "SELECT sha256 FROM city_bundles WHERE county_code = ?1 AND period = ?2 AND sequence = ?3",
            params![bundle.county_code, bundle.period, bundle.sequence],
            |r| r.get(0),
        )
        .optional()?;
    Ok(match (current, same_sequence) {
        (_, Some(sha256)) if sha256 == bundle.sha256 => Received::AlreadyHave,
        (_, Some(_)) => Received::Conflicting { sequence: bundle.sequence },
        (Some(current), None) if current > bundle.sequence => Received::Older { current },
        (Some(previous), None) => Received::Replaced { previous },
        (None, None) => Received::Loaded,
    })
}

/// Records `bundle` inside `tx` as the county's current report; the one before stays on record.
fn record(tx: &rusqlite::Transaction<'_>, bundle: &CityBundle, bytes: &[u8]) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE city_bundles SET current = 0 WHERE county_code = ?1 AND period = ?2",
        params![bundle.county_code, bundle.period],
    )?;
    tx.execute(
        "INSERT INTO city_bundles (county_code, period, sequence, sha256, file_name, created_at, received_at,
             inside_window, signer, manifest, bundle, current)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 1)",
        params![
            bundle.county_code,
            bundle.period,
            bundle.sequence,
            bundle.sha256,
            bundle.file_name,
            bundle.created_at,
            bundle.received_at,
            bundle.inside_window,
            bundle.signer,
            bundle.manifest,
            bytes
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle(county: &str, sequence: u32) -> CityBundle {
        CityBundle {
            county_code: county.into(),
            period: "2026Q3".into(),
            sequence,
            sha256: format!("{county}-{sequence}"),
            file_name: format!("{county}_2026Q3_{sequence}.zip"),
            created_at: "2026-10-03T10:00:00+08:00".into(),
            received_at: "2026-10-06T09:00:00+08:00".into(),
            inside_window: true,
            signer: "SHA256:x".into(),
            manifest: "{}".into(),
        }
    }

    #[test]
    fn the_newest_report_is_current_and_older_ones_stay_on_record() {
        let mut store = Store::open_in_memory().unwrap();
        assert_eq!(store.receive_city_bundle(&bundle("220821", 1), b"1").unwrap(), Received::Loaded);
        assert_eq!(store.receive_city_bundle(&bundle("220822", 1), b"1").unwrap(), Received::Loaded);
        assert_eq!(store.receive_city_bundle(&bundle("220821", 1), b"1").unwrap(), Received::AlreadyHave);
        let other = CityBundle { sha256: "different".into(), ..bundle("220821", 1) };
        assert_eq!(store.receive_city_bundle(&other, b"x").unwrap(), Received::Conflicting { sequence: 1 });
        assert_eq!(store.receive_city_bundle(&bundle("220821", 3), b"3").unwrap(), Received::Replaced { previous: 1 });
        assert_eq!(store.receive_city_bundle(&bundle("220821", 2), b"2").unwrap(), Received::Older { current: 3 });
        let current: Vec<(String, u32)> =
            store.city_bundles("2026Q3").unwrap().into_iter().map(|b| (b.county_code, b.sequence)).collect();
        assert_eq!(current, [("220821".to_string(), 3), ("220822".to_string(), 1)]);
        assert_eq!(store.city_bundle_count("220821", "2026Q3").unwrap(), 2, "report 1 kept, report 2 kept out");
    }
}
