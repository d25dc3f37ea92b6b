//! A city's report checked link by link, as the province receives it: the city's bundle passes
//! [`verify`] against the province's trusted keys (city keys only); then every county report
//! it carries passes [`verify`] against the key the city vouched for in its manifest, is the
//! report the manifest names (county, period, number, SHA-256), and is of a county that belongs
//! to the city. No other file sits under `counties/`. The first broken link is the answer,
//! naming the county.

use chrono::{DateTime, Utc};

use super::allowed_signers::AllowedSigners;
use super::archive::{LIMITS, Opened};
use super::keys::NAMESPACE;
use super::manifest::{Manifest, ReportLevel, UnitReport, sha256_hex};
use super::upward::UNITS_DIR;
use super::verify::{Refusal, Verified, verify, verify_received};
use crate::i18n::{Lang, fill, printable};

/// A city's report whose every link held.
#[derive(Debug, Clone)]
pub struct VerifiedCity {
    pub city: Verified,
    /// Each county's report the city carries, with its manifest, in the manifest's order.
    pub units: Vec<(UnitReport, Manifest)>,
}

/// Why a city's report is refused.
#[derive(Debug, Clone, PartialEq)]
pub enum ChainRefusal {
    /// The city's own bundle.
    City(Box<Refusal>),
    /// A county's report, not a city's: it goes to its city.
    NotACityReport,
    /// A county listed twice.
    UnitTwice { code: String },
    /// A county that is not the city's.
    UnitNotOfCity { code: String, name: String },
    /// The manifest names a county report the bundle does not list as a file.
    UnitFileMissing { code: String, name: String, path: String },
    /// A file under `counties/` that no county entry names.
    UnitNotNamed { path: String },
    /// A county's report fails its own check against the key the city vouched for.
    UnitInvalid { code: String, name: String, refusal: Box<Refusal> },
    /// A county's report is not the one the city's manifest says it is.
    UnitNotAsStated { code: String, name: String, what: &'static str, stated: String, found: String },
}

/// Checks a city's report: see the module comment. `trusted_at`: when this level first received
/// this very file, if it has ([`verify_received`]). `belongs` says whether a county code is the
/// city's (by its first four digits, or listed for the city in the config).
pub fn verify_city(
    bytes: &[u8],
    signers: &AllowedSigners,
    now: DateTime<Utc>,
    trusted_at: Option<DateTime<Utc>>,
    belongs: impl Fn(&str, &str) -> bool,
) -> Result<VerifiedCity, ChainRefusal> {
    let city = verify_received(bytes, signers, now, trusted_at).map_err(|r| ChainRefusal::City(Box::new(r)))?;
    let mf = &city.manifest;
    if mf.level != Some(ReportLevel::City) {
        return Err(ChainRefusal::NotACityReport);
    }
    let mut archive = Opened::new(bytes, LIMITS).map_err(|p| ChainRefusal::City(Box::new(p.into())))?;
    let prefix = format!("{UNITS_DIR}/");
    let named: Vec<&str> = mf.units.iter().filter_map(|u| u.report.as_ref().map(|r| r.path.as_str())).collect();
    // Compared as Windows and macOS compare names: `COUNTIES/x.zip` unzips into `counties/`.
    let under_units = |p: &str| crate::file_names::folded(p).starts_with(&prefix);
    if let Some(path) = mf.files.iter().map(|f| f.path.as_str()).find(|p| under_units(p) && !named.contains(p)) {
        return Err(ChainRefusal::UnitNotNamed { path: path.to_string() });
    }
    let mut units = Vec::new();
    for (i, unit) in mf.units.iter().enumerate() {
        let (code, name) = (unit.code.clone(), unit.name.clone());
        if mf.units[..i].iter().any(|u| u.code == unit.code) {
            return Err(ChainRefusal::UnitTwice { code });
        }
        // A county's code: six digits, not the city's own.
        let six_digits = unit.code.len() == 6 && unit.code.bytes().all(|b| b.is_ascii_digit());
        if !six_digits || unit.code == mf.county_code || !belongs(&mf.county_code, &unit.code) {
            return Err(ChainRefusal::UnitNotOfCity { code, name });
        }
        let Some(report) = &unit.report else {
            // A county that sent nothing cannot have reported on time.
            if unit.on_time {
                return Err(ChainRefusal::UnitNotAsStated {
                    code,
                    name,
                    what: "on_time",
                    stated: "true".into(),
                    found: "report: null".into(),
                });
            }
            continue;
        };
        if !report.path.starts_with(&prefix) || !mf.files.iter().any(|f| f.path == report.path) {
            return Err(ChainRefusal::UnitFileMissing { code, name, path: report.path.clone() });
        }
        // Listed, so its size and hash are the signed manifest's: read it whole.
        let inner = archive
            .read(&report.path, LIMITS.entry_bytes)
            .map_err(|p| ChainRefusal::City(Box::new(Refusal::from(p))))?;
        let not_as_stated = |what, stated: &str, found: &str| ChainRefusal::UnitNotAsStated {
            code: unit.code.clone(),
            name: unit.name.clone(),
            what,
            stated: stated.to_string(),
            found: found.to_string(),
        };
        let found_sha = sha256_hex(&inner);
        if found_sha != report.sha256 {
            return Err(not_as_stated("sha256", &report.sha256, &found_sha));
        }
        let vouched = format!("\"{}\" namespaces=\"{NAMESPACE}\" {}", unit.code, report.signer.public_key);
        let vouched = AllowedSigners::parse(&vouched).map_err(|e| ChainRefusal::UnitInvalid {
            code: unit.code.clone(),
            name: unit.name.clone(),
            refusal: Box::new(Refusal::ManifestUnreadable { reason: e.to_string() }),
        })?;
        let checked = verify(&inner, &vouched, now).map_err(|refusal| ChainRefusal::UnitInvalid {
            code: code.clone(),
            name: name.clone(),
            refusal: Box::new(refusal),
        })?;
        let inner_mf = checked.manifest;
        if inner_mf.county_code != unit.code {
            return Err(not_as_stated("county_code", &unit.code, &inner_mf.county_code));
        }
        if inner_mf.period != mf.period {
            return Err(not_as_stated("period", &mf.period, &inner_mf.period));
        }
        if inner_mf.sequence != report.sequence {
            return Err(not_as_stated("sequence", &report.sequence.to_string(), &inner_mf.sequence.to_string()));
        }
        if inner_mf.created_at != report.created_at {
            return Err(not_as_stated("created_at", &report.created_at, &inner_mf.created_at));
        }
        if inner_mf.level.is_some() {
            return Err(not_as_stated("level", "county", "city"));
        }
        units.push((unit.clone(), inner_mf));
    }
    Ok(VerifiedCity { city, units })
}

impl ChainRefusal {
    pub fn user_message(&self, lang: Lang) -> String {
        let m = lang.msg();
        let unit = |code: &str, name: &str| format!("{}（{}）", printable(name), printable(code));
        match self {
            ChainRefusal::City(r) => r.user_message(lang),
            ChainRefusal::NotACityReport => m.chain_not_a_city_report.clone(),
            ChainRefusal::UnitTwice { code } => fill(&m.chain_unit_twice, &[("code", &printable(code))]),
            ChainRefusal::UnitNotOfCity { code, name } => {
                fill(&m.chain_unit_not_of_city, &[("county", &unit(code, name))])
            }
            ChainRefusal::UnitFileMissing { code, name, path } => {
                fill(&m.chain_unit_file_missing, &[("county", &unit(code, name)), ("path", &printable(path))])
            }
            ChainRefusal::UnitNotNamed { path } => fill(&m.chain_unit_not_named, &[("path", &printable(path))]),
            ChainRefusal::UnitInvalid { code, name, refusal } => {
                fill(&m.chain_unit_invalid, &[("county", &unit(code, name)), ("reason", &refusal.user_message(lang))])
            }
            ChainRefusal::UnitNotAsStated { code, name, what, stated, found } => fill(
                &m.chain_unit_not_as_stated,
                &[
                    ("county", &unit(code, name)),
                    ("what", what),
                    ("stated", &printable(stated)),
                    ("found", &printable(found)),
                ],
            ),
        }
    }
}
