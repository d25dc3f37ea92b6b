//! Who a report is from, and what a city's report carries besides its own schools: each county's
//! current report byte for byte under `counties/`, the manifest's word for each county (which
//! report, its signer's key, made and received when, on time or not, or missing), and the
//! city's tables over the whole city. One export serves every level: a county reports its
//! schools; a city its 直属 schools plus this.

use super::city_report::{CountyLine, city_workbook};
use super::export::ExportError;
use super::manifest::{Manifest, ReportLevel, Signer, UnitBundle, UnitReport};
use super::tables::Letterhead;
use crate::config::{Config, Level};
use crate::domain::Period;
use crate::store::{SchoolRecord, Store, StoreError};

/// The folder of a city's report that holds its counties' reports.
pub const UNITS_DIR: &str = "counties";

/// The unit a report is from: its code (the signing principal), its name and the level above.
#[derive(Debug, Clone, PartialEq)]
pub struct Reporter {
    pub code: String,
    pub name: String,
    pub parent: String,
    pub level: ReportLevel,
}

impl Reporter {
    /// From the config: the county of `[county]`, or the city of `[city]`.
    pub fn of(config: &Config) -> Result<Reporter, ExportError> {
        let (code, name, parent, level) = match config.level {
            Level::County => (&config.county.code, &config.county.name, &config.county.city, ReportLevel::County),
            Level::City => (&config.city.code, &config.city.name, &config.city.province, ReportLevel::City),
            Level::Province => return Err(ExportError::TopLevel),
        };
        if code.trim().is_empty() {
            return Err(ExportError::NoCountyCode);
        }
        Ok(Reporter {
            code: code.trim().to_string(),
            name: name.trim().to_string(),
            parent: parent.trim().to_string(),
            level,
        })
    }

    /// The manifest's `level`: absent for a county, as in every bundle before cities reported.
    pub fn manifest_level(&self) -> Option<ReportLevel> {
        (self.level != ReportLevel::County).then_some(self.level)
    }
}

/// The schools a report carries as its own: all of a county's; a city's 直属 schools.
pub fn own_records(store: &Store, period: Period) -> Result<Vec<SchoolRecord>, StoreError> {
    let held = store.held_below(&period.to_string())?;
    let mut records = store.school_records(period)?;
    records.retain(|r| !held.contains_key(&r.data.school_code));
    Ok(records)
}

/// A county in the city's report, with the zip it carries.
#[derive(Debug, Clone)]
pub struct Unit {
    pub report: UnitReport,
    pub zip: Option<Vec<u8>>,
    /// The city sent its current report back and has not cancelled that: it is to report again.
    pub returned: bool,
}

/// Why a county stands in the way of the city's report (without `--force --reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lag {
    Missing,
    Late,
    Returned,
}

/// Each county of the city's config for `period`: its current report (read back from the
/// store, byte for byte as received and verified) or none. Empty at a county.
pub fn units(store: &Store, config: &Config, period: Period) -> Result<Vec<Unit>, StoreError> {
    if config.level != Level::City {
        return Ok(Vec::new());
    }
    let bundles = store.city_bundles(&period.to_string())?;
    let mut units = Vec::new();
    for county in &config.city.counties {
        let current = bundles.iter().find(|b| b.county_code == county.code);
        let (report, zip) = match current {
            None => (None, None),
            Some(b) => {
                let signer = serde_json::from_str::<Manifest>(&b.manifest).map(|m| m.signer).unwrap_or(Signer {
                    public_key: String::new(),
                    fingerprint: b.signer.clone(),
                    user_id: None,
                });
                let report = UnitBundle {
                    path: format!("{UNITS_DIR}/{}_{}_{}.zip", b.county_code, b.period, b.sequence),
                    sequence: b.sequence,
                    sha256: b.sha256.clone(),
                    signer,
                    created_at: b.created_at.clone(),
                    received_at: b.received_at.clone(),
                };
                (Some(report), store.current_city_bundle_bytes(&b.county_code, &b.period)?)
            }
        };
        let on_time = current.is_some_and(|b| b.inside_window);
        let returned = match current {
            Some(b) => store
                .standing_return(&b.county_code, &b.period)?
                .is_some_and(|n| n.sequence == b.sequence && n.bundle_sha256 == b.sha256),
            None => false,
        };
        let report = UnitReport { code: county.code.clone(), name: county.name.clone(), report, on_time };
        units.push(Unit { report, zip, returned });
    }
    Ok(units)
}

/// The counties a city's report would leave out, carry late, or carry though it sent them back:
/// `(code, name, why)`. An export with any needs `--force --reason`, as undecided schools do.
pub fn not_on_time(units: &[Unit]) -> Vec<(String, String, Lag)> {
    let lag = |u: &Unit| match (&u.report.report, u.returned, u.report.on_time) {
        (None, ..) => Some(Lag::Missing),
        (Some(_), true, _) => Some(Lag::Returned),
        (Some(_), false, false) => Some(Lag::Late),
        (Some(_), false, true) => None,
    };
    units.iter().filter_map(|u| Some((u.report.code.clone(), u.report.name.clone(), lag(u)?))).collect()
}

/// The city's workbook (附件1, 3, 4, 5) over the whole city, as `city report` writes it.
pub fn city_tables(
    store: &Store,
    config: &Config,
    period: Period,
    units: &[Unit],
    letterhead: &Letterhead,
    created: chrono::NaiveDateTime,
) -> Result<Vec<u8>, ExportError> {
    let data = store.current_data(period)?;
    let counties: Vec<CountyLine> =
        units.iter().map(|u| CountyLine::county(&u.report.code, &u.report.name, u.report.on_time)).collect();
    let h = Letterhead { county: String::new(), county_code: String::new(), ..letterhead.clone() };
    let states = store.list(period, None)?;
    let approved = states
        .iter()
        .filter(|s| s.state == crate::domain::ReviewState::Approved)
        .map(|s| s.school_code.as_str())
        .collect();
    city_workbook(&h, &counties, &data, &approved, config.stats.bandwidth_denominator, created)
        .map_err(|e| ExportError::Build(e.to_string()))
}
