//! Where each county of a city stands for a period: its current bundle, if any, with the
//! report number, export time, whether it came inside the window (主动上报) and the schools by
//! state as its manifest gives them. `city status` prints it; the city's review screen lists it.

use serde::Serialize;

use crate::bundle::manifest::{Manifest, ReportTextRef, StateCounts};
use crate::config::CountyRef;
use crate::domain::Period;
use crate::i18n::{Lang, fill};
use crate::store::{Store, StoreError};

/// The name of the line of a level's own schools (seed 004's 直属 row).
pub const OWN_ROW: &str = "直属";

/// One county of the config, received or missing; or the city's own (直属) schools.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CountyStatus {
    /// The 直属 line: the schools the city reviews itself (no report; counts from its store).
    #[serde(default)]
    pub own: bool,
    pub county_code: String,
    pub county: String,
    pub received: bool,
    pub sequence: Option<u32>,
    /// The export time the county's manifest states (RFC 3339).
    pub created_at: Option<String>,
    /// Reported inside the county's window (主动上报).
    pub inside_window: Option<bool>,
    /// A forced export's reason.
    pub forced: Option<String>,
    pub counts: Option<StateCounts>,
    /// The signing key's fingerprint.
    pub signer: Option<String>,
    /// The 月报文本 the current report carries (none: it was forced without one).
    pub report_text: Option<ReportTextRef>,
    /// Schools of this county's report that another county's current report carries too.
    pub conflicts: Vec<SchoolConflict>,
    /// The city's return of the current report, sent and not cancelled: the county is to
    /// report again.
    pub returned: Option<StandingReturn>,
    /// At a province: a city's report's counties and auditors (seed 000 附件3, seed 001 附件2).
    pub units: Option<UnitsSummary>,
}

/// A city's counties as its report gives them, and its auditors' 主动上报 (the city's auditor
/// and each county's: on time as the province judged the city and the city its counties).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitsSummary {
    pub counties: usize,
    pub on_time: usize,
    pub late: usize,
    pub missing: usize,
    /// 审核员总数: the city's own and one per county.
    pub auditors: u64,
    /// 主动上报数.
    pub active: u64,
    /// 系统上报: the rest.
    pub system: u64,
    /// 主动上报率, hundredths of a percent.
    pub active_rate: Option<crate::domain::stats::Rate>,
}

impl UnitsSummary {
    /// From a city's manifest and whether the city itself reported on time.
    pub fn of(mf: &Manifest, city_on_time: bool) -> UnitsSummary {
        let counties = mf.units.len();
        // Counted from the reports, so no claim of the manifest can make the figures disagree.
        let on_time = mf.units.iter().filter(|u| u.on_time && u.report.is_some()).count();
        let missing = mf.units.iter().filter(|u| u.report.is_none()).count();
        let auditors = 1 + counties as u64;
        let active = u64::from(city_on_time) + on_time as u64;
        UnitsSummary {
            counties,
            on_time,
            late: counties.saturating_sub(on_time + missing),
            missing,
            auditors,
            active,
            system: auditors.saturating_sub(active),
            active_rate: crate::domain::stats::Rate::of(active, auditors),
        }
    }
}

/// A return notice the city sent for a county's current report and has not cancelled.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StandingReturn {
    pub at: String,
    pub reason: String,
    pub file_name: String,
}

/// A school two counties' current reports both carry, seen from one of them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SchoolConflict {
    pub school_code: String,
    pub other_county_code: String,
    pub other_county: String,
    pub other_sequence: u32,
    /// This county's report holds the school's data at the city (it came first).
    pub held_here: bool,
}

impl CountyStatus {
    /// Schools still 待审核 or 有疑问 when the county exported (a forced export).
    pub fn undecided(&self) -> Option<u64> {
        self.counts.as_ref().map(|c| c.submitted + c.flagged)
    }
}

/// The counties of `counties` (the config's, in its order) for `period`.
pub fn statuses(store: &Store, counties: &[CountyRef], period: Period) -> Result<Vec<CountyStatus>, StoreError> {
    let bundles = store.city_bundles(&period.to_string())?;
    let conflicts = store.city_conflicts(&period.to_string())?;
    let name_of = |code: &str| counties.iter().find(|c| c.code == code).map(|c| c.name.clone()).unwrap_or_default();
    let conflicts_of = |county_code: &str| -> Vec<SchoolConflict> {
        let mut out = Vec::new();
        for conflict in &conflicts {
            let Some(mine) = conflict.claims.iter().position(|c| c.county_code == county_code) else { continue };
            for (_, other) in conflict.claims.iter().enumerate().filter(|(i, _)| *i != mine) {
                out.push(SchoolConflict {
                    school_code: conflict.school_code.clone(),
                    other_county_code: other.county_code.clone(),
                    other_county: name_of(&other.county_code),
                    other_sequence: other.sequence,
                    held_here: mine == 0,
                });
            }
        }
        out
    };
    let mut rows = Vec::new();
    // Read once, on the first city report met (a city's statuses need none of it).
    let mut by_unit: Option<std::collections::HashMap<String, Vec<crate::domain::ReviewState>>> = None;
    let own = store.own_states(&period.to_string())?;
    if !own.is_empty() {
        rows.push(own_row(&own));
    }
    for row in counties.iter().map(|c| {
        let bundle = bundles.iter().find(|b| b.county_code == c.code);
        let manifest = bundle.and_then(|b| serde_json::from_str::<Manifest>(&b.manifest).ok());
        let returned = match bundle {
            Some(b) => store
                .standing_return(&c.code, &b.period)?
                .filter(|n| n.sequence == b.sequence && n.bundle_sha256 == b.sha256)
                .map(|n| StandingReturn { at: n.created_at, reason: n.note, file_name: n.file_name }),
            None => None,
        };
        let units = manifest
            .as_ref()
            .filter(|mf| mf.level == Some(crate::bundle::manifest::ReportLevel::City))
            .map(|mf| UnitsSummary::of(mf, bundle.is_some_and(|b| b.inside_window)));
        // A city's report states its 直属 schools' counts only: its schools are all those its
        // report carries, as received.
        let counts = match (&units, &manifest) {
            (Some(_), _) => {
                if by_unit.is_none() {
                    by_unit = Some(store.states_by_unit(&period.to_string())?);
                }
                let states = by_unit.as_ref().and_then(|m| m.get(&c.code)).cloned().unwrap_or_default();
                Some(StateCounts::of(states))
            }
            (None, mf) => mf.as_ref().map(|mf| mf.counts.clone()),
        };
        Ok::<_, StoreError>(CountyStatus {
            county_code: c.code.clone(),
            county: c.name.clone(),
            received: bundle.is_some(),
            sequence: bundle.map(|b| b.sequence),
            created_at: bundle.map(|b| b.created_at.clone()),
            inside_window: bundle.map(|b| b.inside_window),
            forced: manifest.as_ref().and_then(|mf| mf.forced.as_ref().map(|f| f.reason.clone())),
            report_text: manifest.as_ref().and_then(|mf| mf.report_text.clone()),
            counts,
            signer: bundle.map(|b| b.signer.clone()),
            conflicts: conflicts_of(&c.code),
            returned,
            own: false,
            units,
        })
    }) {
        rows.push(row?);
    }
    Ok(rows)
}

/// At a province, one city's report opened: its 直属 line (its own schools), then each county
/// its report names — which report, made when, on time as the city judged it, or missing —
/// with the schools by state as the province holds them.
pub fn city_rows(store: &Store, period: Period, city_code: &str) -> Result<Vec<CountyStatus>, StoreError> {
    let bundles = store.city_bundles(&period.to_string())?;
    let Some(bundle) = bundles.iter().find(|b| b.county_code == city_code) else { return Ok(Vec::new()) };
    let Ok(manifest) = serde_json::from_str::<Manifest>(&bundle.manifest) else { return Ok(Vec::new()) };
    let states = store.claimed_states_by_county(&period.to_string(), city_code)?;
    let of = |codes: &dyn Fn(&str) -> bool| {
        StateCounts::of(states.iter().filter(|(code, _)| codes(code.as_deref().unwrap_or_default())).map(|(_, s)| *s))
    };
    let units: Vec<&str> = manifest.units.iter().map(|u| u.code.as_str()).collect();
    let mut rows = vec![CountyStatus {
        county_code: city_code.to_string(),
        report_text: manifest.report_text.clone(),
        ..own_row(&[])
    }];
    rows[0].counts = Some(of(&|code| !units.contains(&code)));
    // A city without 直属 schools has no such line.
    if rows[0].counts.as_ref().is_some_and(|c| c.schools == 0) {
        rows.clear();
    }
    for unit in &manifest.units {
        let report = unit.report.as_ref();
        rows.push(CountyStatus {
            own: false,
            county_code: unit.code.clone(),
            county: unit.name.clone(),
            received: report.is_some(),
            sequence: report.map(|r| r.sequence),
            created_at: report.map(|r| r.created_at.clone()),
            inside_window: report.map(|_| unit.on_time),
            forced: None,
            counts: report.map(|_| of(&|code| code == unit.code)),
            signer: report.map(|r| r.signer.fingerprint.clone()),
            report_text: None,
            conflicts: Vec::new(),
            returned: None,
            units: None,
        });
    }
    Ok(rows)
}

/// The 直属 line: the city's own schools by state, as its store has them now.
fn own_row(states: &[crate::domain::ReviewState]) -> CountyStatus {
    let c = StateCounts::of(states.iter().copied());
    CountyStatus {
        own: true,
        county_code: String::new(),
        county: OWN_ROW.to_string(),
        received: true,
        sequence: None,
        created_at: None,
        inside_window: None,
        forced: None,
        counts: Some(c),
        signer: None,
        report_text: None,
        conflicts: Vec::new(),
        returned: None,
        units: None,
    }
}

/// 有 / 无: whether a county's current report carries its 月报文本.
pub fn report_text_mark(lang: Lang, row: &CountyStatus) -> String {
    let m = lang.msg();
    if row.report_text.is_some() { m.city_report_text_yes.clone() } else { m.city_report_text_no.clone() }
}

/// "已收到 2/3 个县区，按时上报 1 个；未收到：金水区".
/// The word for the units below: 县区 at a city, 市州 at a province.
pub fn units_word(lang: Lang, province: bool) -> &'static str {
    let m = lang.msg();
    if province { &m.word_cities } else { &m.word_counties }
}

pub fn summary(lang: Lang, rows: &[CountyStatus], province: bool) -> String {
    let m = lang.msg();
    let rows: Vec<&CountyStatus> = rows.iter().filter(|r| !r.own).collect();
    let received = rows.iter().filter(|r| r.received).count();
    let on_time = rows.iter().filter(|r| r.inside_window == Some(true)).count();
    let missing: Vec<&str> = rows.iter().filter(|r| !r.received).map(|r| r.county.as_str()).collect();
    let missing = if missing.is_empty() { m.city_none.clone() } else { missing.join("、") };
    let mut text = fill(
        &m.city_status_summary,
        &[
            ("received", &received),
            ("total", &rows.len()),
            ("on_time", &on_time),
            ("missing", &missing),
            ("units", &units_word(lang, province)),
        ],
    );
    let conflicted: std::collections::BTreeSet<&str> =
        rows.iter().flat_map(|r| r.conflicts.iter().map(|c| c.school_code.as_str())).collect();
    if !conflicted.is_empty() {
        text.push_str(&fill(&m.city_status_conflicts, &[("count", &conflicted.len())]));
    }
    text
}

/// One line per school two counties both report: who holds it, who else claims it.
pub fn conflict_lines(lang: Lang, rows: &[CountyStatus]) -> Vec<String> {
    let m = lang.msg();
    let mut lines = Vec::new();
    for row in rows {
        for c in row.conflicts.iter().filter(|c| c.held_here) {
            lines.push(fill(
                &m.city_status_conflict_line,
                &[
                    ("code", &c.school_code),
                    ("holder", &row.county),
                    ("holder_code", &row.county_code),
                    ("holder_sequence", &row.sequence.unwrap_or_default()),
                    ("other", &c.other_county),
                    ("other_code", &c.other_county_code),
                    ("other_sequence", &c.other_sequence),
                ],
            ));
        }
    }
    lines
}
