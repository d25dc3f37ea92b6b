//! The schools of a (verified) bundle read back: what a city loads. `schools.csv` is written
//! under the importer's own headings, so the importer's row reader reads it; the review state
//! and revision columns are taken out of the extras, and the quote that guarded formula-like
//! text in the CSV is taken off again.

use super::archive::{LIMITS, Opened};
use crate::domain::{ReviewState, SubmissionData};
use crate::import::limits::SheetLimits;
use crate::import::read::text_rows;
use crate::import::row::{Layout, find_header};

/// The CSV of the schools' data inside a bundle.
pub const SCHOOLS: &str = "schools.csv";
/// The review columns the county adds after the sheet's own.
const STATE: &str = "审核状态";
const REVISION: &str = "修订版本";

/// One school as the county reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportedSchool {
    pub data: SubmissionData,
    pub state: ReviewState,
}

/// The schools in `bundle` (a bundle that passed `verify`). The error names the row and says
/// what was wrong: a bundle from another shenhe version could differ.
pub fn schools(bundle: &[u8]) -> Result<Vec<ReportedSchool>, String> {
    let mut archive = Opened::new(bundle, LIMITS).map_err(|e| format!("{e:?}"))?;
    let bytes = archive.read(SCHOOLS, LIMITS.entry_bytes).map_err(|e| format!("{e:?}"))?;
    let text = std::str::from_utf8(&bytes).map_err(|e| format!("{SCHOOLS}: {e}"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Read as widely as any county's `[limits]` may have allowed: the county checked its own.
    let widest = SheetLimits::widest();
    let rows: Vec<_> = text_rows(text, b',', widest.columns)
        .map(|r| r.map(|(row, _)| row).map_err(|hit| format!("{SCHOOLS} row {}: {:?}", hit.row, hit.limit)))
        .collect::<Result<_, _>>()?;
    let header = find_header(&rows).ok_or_else(|| format!("{SCHOOLS}: no header row"))?;
    let layout = Layout::from_header(&rows[header]).map_err(|e| format!("{SCHOOLS}: {e:?}"))?.with_limits(widest);
    let mut schools = Vec::with_capacity(rows.len().saturating_sub(header + 1));
    for row in rows.iter().skip(header + 1).filter(|r| !r.is_blank()) {
        let mut data = layout.read(row).map_err(|problems| format!("{SCHOOLS} row {}: {problems:?}", row.number))?;
        let state = data
            .extras
            .iter()
            .find(|(h, _)| h == STATE)
            .and_then(|(_, v)| ReviewState::parse(v))
            .ok_or_else(|| format!("{SCHOOLS} row {}: no {STATE}", row.number))?;
        data.extras.retain(|(h, _)| h != STATE && h != REVISION);
        unguard(&mut data);
        schools.push(ReportedSchool { data, state });
    }
    Ok(schools)
}

/// The manifest of `bundle` (a bundle that passed `verify`).
pub fn manifest(bundle: &[u8]) -> Result<super::manifest::Manifest, String> {
    let mut archive = Opened::new(bundle, LIMITS).map_err(|e| format!("{e:?}"))?;
    let bytes = archive.read(super::manifest::MANIFEST, LIMITS.entry_bytes).map_err(|e| format!("{e:?}"))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", super::manifest::MANIFEST))
}

/// The schools one report carries, with the manifest of the bundle they came in.
#[derive(Debug, Clone)]
pub struct Group {
    pub manifest: super::manifest::Manifest,
    pub schools: Vec<ReportedSchool>,
}

/// Every school of a (verified) report: a county's, or a city's own (直属) schools followed by
/// those of each county's report it carries (verified with it, see `verify_city`).
pub fn groups(bundle: &[u8]) -> Result<Vec<Group>, String> {
    let manifest = manifest(bundle)?;
    let mut out = vec![Group { schools: schools(bundle)?, manifest: manifest.clone() }];
    if manifest.level == Some(super::manifest::ReportLevel::City) {
        let mut archive = Opened::new(bundle, LIMITS).map_err(|e| format!("{e:?}"))?;
        for unit in &manifest.units {
            let Some(report) = &unit.report else { continue };
            let inner =
                archive.read(&report.path, LIMITS.entry_bytes).map_err(|e| format!("{}: {e:?}", report.path))?;
            out.push(Group { manifest: self::manifest(&inner)?, schools: schools(&inner)? });
        }
    }
    Ok(out)
}

/// Takes off the `'` the CSV's guard put before text (`crate::csv_text`): what the county
/// wrote comes back exactly.
fn unguard(data: &mut SubmissionData) {
    let strip = |s: &mut String| {
        let plain = crate::csv_text::unguard(s);
        if plain.len() != s.len() {
            *s = plain.to_string();
        }
    };
    strip(&mut data.name);
    for s in [&mut data.city, &mut data.county, &mut data.contact_name, &mut data.contact_phone].into_iter().flatten() {
        strip(s);
    }
    for (_, value) in &mut data.extras {
        strip(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_formula_guard_comes_off_and_the_texts_own_quote_stays() {
        let mut data = SubmissionData {
            name: "'=HYPERLINK(\"x\")".into(),
            contact_phone: Some("'+86 371 1234".into()),
            contact_name: Some("''张".into()),
            extras: vec![("备注".into(), "'@home".into())],
            ..Default::default()
        };
        unguard(&mut data);
        assert_eq!(data.name, "=HYPERLINK(\"x\")");
        assert_eq!(data.contact_phone.as_deref(), Some("+86 371 1234"));
        assert_eq!(data.contact_name.as_deref(), Some("'张"), "a quote of the text's own keeps its one");
        assert_eq!(data.extras[0].1, "@home");
    }
}
