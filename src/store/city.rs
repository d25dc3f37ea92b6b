//! A city's record of the county bundles it accepted (verified before they come here). For each
//! county and period the highest sequence is current; an older one stays on record; the same or
//! an older one arriving again changes nothing.

use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde::Serialize;

use super::{Store, StoreError};

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
        let received = receive(&tx, bundle, bytes)?;
        tx.commit()?;
        Ok(received)
    }

    /// What receiving `bundle` would do, without doing it.
    pub fn city_bundle_outcome(&self, bundle: &CityBundle) -> Result<Received, StoreError> {
        outcome(&self.conn, bundle)
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

    /// How many bundles of `county_code` for `period` are on record, current or not.
    pub fn city_bundle_count(&self, county_code: &str, period: &str) -> Result<u32, StoreError> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM city_bundles WHERE county_code = ?1 AND period = ?2",
            params![county_code, period],
            |r| r.get(0),
        )?)
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

/// Records `bundle` inside `tx` when it is new and newest; otherwise leaves the record as it is.
pub(super) fn receive(
    tx: &rusqlite::Transaction<'_>,
    bundle: &CityBundle,
    bytes: &[u8],
) -> Result<Received, StoreError> {
    let received = outcome(tx, bundle)?;
    if !matches!(received, Received::Loaded | Received::Replaced { .. }) {
        return Ok(received);
    }
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
    Ok(received)
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
