//! `export`: the county's report to the city as one signed file. Holding the store's write lock
//! (so no other copy of shenhe changes the period meanwhile), gathers the period's data, lays
//! out the files, lists them in the manifest, signs it, writes the archive under a temporary
//! name, and records the bundle (its SHA-256), locks the period and logs the export in one
//! transaction; only then moves the file under its final name.
//!
//! That order means a final name only ever holds the bytes on record, so a city never sees two
//! different bundles with one report number. An export stopped between the commit and the
//! rename (the process killed, the PC switched off) leaves the recorded bytes under their
//! temporary name: the next export finds them, moves them into place and says so.

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};

use super::archive;
use super::keys::{KeyError, SigningKey};
use super::manifest::{
    self, Auditor, FileDigest, FileEntry, Forced, MANIFEST, Manifest, Replaced, ReportLevel, StateCounts, Window,
};
use super::report_text::{self, ReportText, ReportTextError};
use super::tables::{self, Letterhead};
use super::upward::{Lag, Reporter, Unit};
use crate::config::Config;
use crate::domain::dispatch::DispatchLists;
use crate::domain::period::ReportingWindow;
use crate::domain::stats::{self, Counts};
use crate::domain::{Period, ReviewState};
use crate::i18n::{Lang, fill, printable};
use crate::store::{BundleRecord, SchoolRecord, Store, StoreError};

/// What an export would do, shown before it is done (the screen's `e`, the refusal message).
#[derive(Debug, Clone)]
pub struct Preview {
    pub period: Period,
    pub sequence: u32,
    pub file_name: String,
    pub counts: StateCounts,
    /// Filled schools still 待审核 or 有疑问: (code, name, state).
    pub pending: Vec<(String, String, ReviewState)>,
    pub window: ReportingWindow,
    pub inside_window: bool,
    /// Set when the period is reported already: the bundle that locked it.
    pub reported: Option<BundleRecord>,
    /// The 月报文本 the period's last bundle carried, as given then: offered again.
    pub last_report_text: Option<String>,
    /// At a city: its counties missing, late or sent back (none at a county).
    pub units_not_on_time: Vec<(String, String, Lag)>,
}

/// A bundle written and on record.
#[derive(Debug, Clone)]
pub struct Exported {
    pub path: PathBuf,
    pub sha256: String,
    pub bytes: u64,
    pub sequence: u32,
    pub manifest: Manifest,
    /// This is an earlier export's bundle, recorded but stopped before it got its final name,
    /// finished now instead of a new one.
    pub resumed: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("[county] code is not set")]
    NoCountyCode,
    /// A province reports to no one: its circular is `shenhe report`.
    #[error("a province does not export")]
    TopLevel,
    /// 附件5 says 填表人 and 联系电话 are 必填: every form of the bundle would print them blank.
    #[error("[auditor] {missing} is not set")]
    NoAuditor { missing: &'static str },
    #[error("period {period} is reported already (bundle {sequence})")]
    Reported { period: Period, sequence: u32 },
    #[error("{} schools are not decided yet", schools.len())]
    Pending { schools: Vec<(String, String, ReviewState)>, no_report_text: bool, units: Vec<(String, String, Lag)> },
    /// Every 上报 carries the 月报文本 (seed 004 §3.2); without one it needs `--force --reason`.
    #[error("no report text")]
    NoReportText { last: Option<String> },
    #[error(transparent)]
    ReportText(#[from] ReportTextError),
    #[error("--force needs a reason")]
    NoReason,
    #[error("{path}: a file of that name is there already")]
    Exists { path: PathBuf },
    #[error("bundle {sequence} is recorded but could not be moved from {temp} to {path}: {source}")]
    Unpublished { sequence: u32, path: PathBuf, temp: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("building the bundle failed: {0}")]
    Build(String),
    #[error("the bundle would be {bytes} bytes, over {limit}")]
    TooLarge { bytes: u64, limit: u64 },
}

impl ExportError {
    pub fn user_message(&self, lang: Lang) -> String {
        let m = lang.msg();
        match self {
            ExportError::NoCountyCode => m.export_no_county_code.clone(),
            ExportError::TopLevel => m.export_top_level.clone(),
            ExportError::NoAuditor { missing } => fill(&m.export_no_auditor, &[("keys", missing)]),
            ExportError::Reported { period, sequence } => {
                fill(&m.export_reported, &[("period", period), ("sequence", sequence)])
            }
            ExportError::Pending { schools, no_report_text, units } if schools.is_empty() => {
                let mut text = units_text(lang, units);
                if *no_report_text {
                    text.push('\n');
                    text.push_str(&m.export_pending_no_report_text);
                }
                text
            }
            ExportError::Pending { schools, no_report_text, units } => {
                let shown: Vec<String> = schools
                    .iter()
                    .take(20)
                    .map(|(code, name, state)| {
                        format!("  {} {}（{}）", printable(code), printable(name), state.label(lang))
                    })
                    .collect();
                let more = schools.len().saturating_sub(shown.len());
                let mut text = fill(&m.export_pending, &[("count", &schools.len()), ("list", &shown.join("\n"))]);
                if more > 0 {
                    text.push('\n');
                    text.push_str(&fill(&m.export_pending_more, &[("count", &more)]));
                }
                if !units.is_empty() {
                    text.push('\n');
                    text.push_str(&units_text(lang, units));
                }
                if *no_report_text {
                    text.push('\n');
                    text.push_str(&m.export_pending_no_report_text);
                }
                text
            }
            ExportError::NoReportText { last } => {
                let mut text = fill(
                    &m.export_no_report_text,
                    &[("extensions", &report_text::EXTENSIONS), ("limit_mib", &(report_text::MAX_BYTES >> 20))],
                );
                if let Some(last) = last {
                    text.push('\n');
                    text.push_str(&fill(&m.export_last_report_text, &[("path", &printable(last))]));
                }
                text
            }
            ExportError::ReportText(e) => e.user_message(lang),
            ExportError::NoReason => m.export_no_reason.clone(),
            ExportError::Exists { path } => fill(&m.export_exists, &[("path", &path.display())]),
            ExportError::Key(e) => e.user_message(lang),
            ExportError::Store(e) => e.user_message(lang),
            ExportError::Io { path, source } => fill(&m.export_io, &[("path", &path.display()), ("reason", source)]),
            ExportError::Unpublished { sequence, path, temp, source } => fill(
                &m.export_unpublished,
                &[("sequence", sequence), ("path", &path.display()), ("temp", &temp.display()), ("reason", source)],
            ),
            ExportError::Build(reason) => fill(&m.export_failed, &[("reason", reason)]),
            ExportError::TooLarge { bytes, limit } => {
                fill(&m.export_too_large, &[("mib", &(bytes >> 20)), ("limit_mib", &(limit >> 20))])
            }
        }
    }
}

/// "未上报：金水区（410105）；逾期：二七区（410103）；已退回：无" and what to do.
fn units_text(lang: Lang, units: &[(String, String, Lag)]) -> String {
    let m = lang.msg();
    let list = |lag: Lag| -> String {
        let names: Vec<String> = units
            .iter()
            .filter(|u| u.2 == lag)
            .map(|(code, name, _)| format!("{}（{}）", printable(name), printable(code)))
            .collect();
        if names.is_empty() { m.city_none.clone() } else { names.join("、") }
    };
    let (missing, late, returned) = (list(Lag::Missing), list(Lag::Late), list(Lag::Returned));
    fill(&m.export_units_not_on_time, &[("missing", &missing), ("late", &late), ("returned", &returned)])
}

/// The bundle's file name: `<county_code>_<period>_<n>.zip`.
pub fn file_name(county_code: &str, period: Period, sequence: u32) -> String {
    format!("{county_code}_{period}_{sequence}.zip")
}

/// What exporting `period` now would write, and what stands in its way.
pub fn preview(
    store: &Store,
    config: &Config,
    period: Period,
    now: DateTime<FixedOffset>,
) -> Result<Preview, ExportError> {
    let units = super::upward::units(store, config, period)?;
    preview_of(store, config, period, now, &super::upward::own_records(store, period)?, &units)
}

/// [`preview`] over the period's schools as read already (an export reads them once).
fn preview_of(
    store: &Store,
    config: &Config,
    period: Period,
    now: DateTime<FixedOffset>,
    records: &[SchoolRecord],
    units: &[Unit],
) -> Result<Preview, ExportError> {
    let last = store.bundles(period)?.pop();
    let reported = if store.period_reported(period)? { last.clone() } else { None };
    let sequence = store.next_bundle_sequence(period)?;
    let window = ReportingWindow::of(period, config.period.window);
    let today = now.date_naive();
    Ok(Preview {
        period,
        sequence,
        file_name: file_name(&Reporter::of(config).map(|r| r.code).unwrap_or_default(), period, sequence),
        counts: state_counts(records),
        pending: pending(records),
        window,
        inside_window: window.first <= today && today <= window.last,
        last_report_text: last.and_then(|b| b.report_text),
        reported,
        units_not_on_time: super::upward::not_on_time(units),
    })
}

/// How the export is asked for.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub period: Period,
    pub out_dir: &'a Path,
    /// `--force --reason`: export with schools still undecided, saying why.
    pub force_reason: Option<&'a str>,
    /// The period's 月报文本; without one the export must be forced.
    pub report_text: Option<&'a Path>,
    pub actor: &'a str,
    pub now: DateTime<FixedOffset>,
}

/// Exports `request.period`: see the module comment for the order of things. `key` gives the
/// signing key (loading it, or making it on first need) once nothing stands in the way, so a
/// refused export leaves no key behind.
pub fn export(
    store: &mut Store,
    config: &Config,
    key: impl FnOnce() -> Result<SigningKey, KeyError>,
    request: Request<'_>,
) -> Result<Exported, ExportError> {
    let who = Reporter::of(config)?;
    let auditor = &config.auditor;
    match (auditor.name.trim().is_empty(), auditor.phone.trim().is_empty()) {
        (true, true) => return Err(ExportError::NoAuditor { missing: "name, phone" }),
        (true, false) => return Err(ExportError::NoAuditor { missing: "name" }),
        (false, true) => return Err(ExportError::NoAuditor { missing: "phone" }),
        (false, false) => {}
    }
    let period = request.period;
    if let Some(done) = finish_interrupted(store, period)? {
        return Ok(done);
    }
    let text = request.report_text.map(report_text::read).transpose()?;
    let store = store.begin_export()?;
    let records = super::upward::own_records(&store, period)?;
    let units = super::upward::units(&store, config, period)?;
    let preview = preview_of(&store, config, period, request.now, &records, &units)?;
    if let Some(last) = &preview.reported {
        return Err(ExportError::Reported { period, sequence: last.sequence });
    }
    let forced = match request.force_reason.map(str::trim) {
        Some("") => return Err(ExportError::NoReason),
        Some(reason) => {
            Some(Forced { reason: reason.to_string(), pending: preview.pending.iter().map(|p| p.0.clone()).collect() })
        }
        None if !preview.pending.is_empty() || !preview.units_not_on_time.is_empty() => {
            return Err(ExportError::Pending {
                schools: preview.pending,
                no_report_text: text.is_none(),
                units: preview.units_not_on_time,
            });
        }
        None if text.is_none() => return Err(ExportError::NoReportText { last: preview.last_report_text }),
        None => None,
    };
    let path = request.out_dir.join(&preview.file_name);
    if path.exists() {
        return Err(ExportError::Exists { path });
    }
    let key = key()?;
    let replaces = store.bundles(period)?.pop().map(|last| Replaced { sequence: last.sequence, sha256: last.sha256 });
    let mut files = contents(&store, config, &who, period, request.now, &records, text.as_ref())?;
    let note = super::readme::readme(&letterhead(config, &who, period, request.now), &who, text.as_ref(), &key);
    files.insert(0, (README.to_string(), note.into_bytes()));
    if who.level == ReportLevel::City {
        let letterhead = letterhead(config, &who, period, request.now);
        let tables = super::upward::city_tables(&store, config, period, &units, &letterhead, request.now.naive_utc())?;
        files.push(("city_tables.xlsx".to_string(), tables));
        for unit in &units {
            if let (Some(report), Some(zip)) = (&unit.report.report, &unit.zip) {
                files.push((report.path.clone(), zip.clone()));
            }
        }
    }
    let build = |e: zip::result::ZipError| ExportError::Build(e.to_string());
    let named: Vec<(&str, &[u8])> = files.iter().map(|(name, bytes)| (name.as_str(), bytes.as_slice())).collect();
    let deflated = archive::deflate(&named, request.now.naive_local(), key.digest()).map_err(build)?;
    let manifest = Manifest {
        format: manifest::FORMAT.to_string(),
        county_code: who.code.clone(),
        county: who.name.clone(),
        city: who.parent.clone(),
        period: period.to_string(),
        sequence: preview.sequence,
        replaces,
        auditor: Auditor {
            name: config.auditor.name.trim().to_string(),
            phone: config.auditor.phone.trim().to_string(),
        },
        created_at: request.now.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        tool: format!("shenhe {}", env!("CARGO_PKG_VERSION")),
        counts: preview.counts.clone(),
        window: Window { first: preview.window.first.to_string(), last: preview.window.last.to_string() },
        inside_window: preview.inside_window,
        forced: forced.clone(),
        report_text: text.as_ref().map(ReportText::reference),
        signer: key.signer(),
        files: named
            .iter()
            .zip(&deflated.stored_hashes)
            .map(|((name, bytes), stored)| FileEntry {
                path: name.to_string(),
                bytes: bytes.len() as u64,
                digest: FileDigest::new(key.digest(), bytes, stored.clone()),
            })
            .collect(),
        level: who.manifest_level(),
        units: units.into_iter().map(|u| u.report).collect(),
    };
    let manifest_bytes = manifest.to_bytes();
    let signature = key.sign(&manifest_bytes).map_err(ExportError::Build)?;
    let signature_name = key.signature_name(MANIFEST);
    let signed: [(&str, &[u8]); 2] = [(MANIFEST, &manifest_bytes), (&signature_name, &signature)];
    let zip = archive::write(&signed, &deflated, request.now.naive_local()).map_err(build)?;
    // The level above reads no bundle past this: refused before anything is recorded or locked.
    if zip.len() as u64 > archive::LIMITS.bundle_bytes {
        return Err(ExportError::TooLarge { bytes: zip.len() as u64, limit: archive::LIMITS.bundle_bytes });
    }

    let record = BundleRecord {
        sequence: preview.sequence,
        path: path.display().to_string(),
        sha256: manifest::sha256_hex(&zip),
        bytes: zip.len() as u64,
        created_at: manifest.created_at.clone(),
        inside_window: preview.inside_window,
        forced_reason: forced.map(|f| f.reason),
        report_text: request.report_text.map(|p| p.display().to_string()),
    };
    let temp = crate::files::write_temporary(request.out_dir, &preview.file_name, &zip)
        .map_err(|source| ExportError::Io { path: request.out_dir.to_path_buf(), source })?;
    if let Err(e) = store.record(period, &record, request.actor) {
        let _ = std::fs::remove_file(&temp);
        return Err(e.into());
    }
    place(temp, path, &record, manifest, false)
}

/// Finishes the period's last export if it was recorded but stopped before its file reached
/// its final name: the recorded bytes are still beside it under a temporary name.
fn finish_interrupted(store: &Store, period: Period) -> Result<Option<Exported>, ExportError> {
    if !store.period_reported(period)? {
        return Ok(None);
    }
    let Some(last) = store.bundles(period)?.pop() else { return Ok(None) };
    let path = PathBuf::from(&last.path);
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else { return Ok(None) };
    if path.exists() {
        return Ok(None);
    }
    for temp in crate::files::temporaries(dir, &name.to_string_lossy()) {
        let Ok(bytes) = std::fs::read(&temp) else { continue };
        if manifest::sha256_hex(&bytes) != last.sha256 {
            continue;
        }
        let manifest = read_manifest(&bytes)?;
        return place(temp, path, &last, manifest, true).map(Some);
    }
    Ok(None)
}

/// Moves the bundle on record from `temp` under its final name, then removes what exports of
/// the same name stopped before they recorded anything left behind (nothing else can record
/// that report number now, so no live export is writing them).
fn place(
    temp: PathBuf,
    path: PathBuf,
    record: &BundleRecord,
    manifest: Manifest,
    resumed: bool,
) -> Result<Exported, ExportError> {
    if let Err(source) = crate::files::publish(&temp, &path, false) {
        // Another copy finishing the same interrupted export may have moved it first.
        if !std::fs::read(&path).is_ok_and(|b| manifest::sha256_hex(&b) == record.sha256) {
            return Err(ExportError::Unpublished { sequence: record.sequence, path, temp, source });
        }
    }
    if let (Some(dir), Some(name)) = (path.parent(), path.file_name()) {
        for stale in crate::files::temporaries(dir, &name.to_string_lossy()) {
            let _ = std::fs::remove_file(stale);
        }
    }
    let (sha256, bytes, sequence) = (record.sha256.clone(), record.bytes, record.sequence);
    Ok(Exported { path, sha256, bytes, sequence, manifest, resumed })
}

/// The manifest of a bundle this county made.
fn read_manifest(bytes: &[u8]) -> Result<Manifest, ExportError> {
    let build = |e: String| ExportError::Build(e);
    let mut opened = archive::Opened::new(bytes, archive::LIMITS).map_err(|e| build(format!("{e:?}")))?;
    let text = opened.read(MANIFEST, manifest::MAX_MANIFEST_BYTES).map_err(|e| build(format!("{e:?}")))?;
    serde_json::from_slice(&text).map_err(|e| build(e.to_string()))
}

/// Schools by review state.
pub fn state_counts(records: &[SchoolRecord]) -> StateCounts {
    StateCounts::of(records.iter().map(|r| r.state))
}

/// Filled schools not decided yet: what `export` refuses to leave behind without a reason.
fn pending(records: &[SchoolRecord]) -> Vec<(String, String, ReviewState)> {
    records
        .iter()
        .filter(|r| matches!(r.state, ReviewState::Submitted | ReviewState::Flagged))
        .map(|r| (r.data.school_code.clone(), r.data.name.clone(), r.state))
        .collect()
}

/// The files of the bundle besides the manifest, its signature and 说明.txt, in archive order.
fn contents(
    store: &Store,
    config: &Config,
    who: &Reporter,
    period: Period,
    now: DateTime<FixedOffset>,
    records: &[SchoolRecord],
    text: Option<&ReportText>,
) -> Result<Vec<(String, Vec<u8>)>, ExportError> {
    let data: Vec<_> = records.iter().map(|r| r.data.clone()).collect();
    let denominator = config.stats.bandwidth_denominator;
    let total = data.iter().collect::<Counts>().figures(denominator);
    let by_type: Vec<_> =
        stats::by_school_type(&data).into_iter().map(|(t, counts)| (t, counts.figures(denominator))).collect();
    let lists = DispatchLists::of(&data);
    let letterhead = letterhead(config, who, period, now);
    // At a city only the 直属 ones: a county's returned school is the county's.
    let returned = store.returned_schools(period)?;
    let workbook = tables::county_workbook(&letterhead, &total, &by_type, &lists, now.naive_utc())
        .map_err(|e| ExportError::Build(e.to_string()))?;
    let mut files = vec![
        ("schools.csv".to_string(), tables::schools_csv(records)),
        ("findings.csv".to_string(), tables::findings_csv(&store.findings(period, true)?)),
        ("returned.csv".to_string(), tables::returned_csv(&returned)),
        ("review_log.csv".to_string(), tables::review_log_csv(&store.log_entries(period)?)),
        ("statistics.csv".to_string(), tables::statistics_csv(&letterhead, &total, &by_type)),
        ("dispatch.csv".to_string(), tables::dispatch_csv(&letterhead, &lists)),
        ("county_tables.xlsx".to_string(), workbook),
    ];
    if let Some(text) = text {
        files.push((text.entry(), text.bytes.clone()));
    }
    Ok(files)
}

/// The forms' header: a county's tables under its city and name; a city's own (直属) under
/// the city, as 直属.
fn letterhead(config: &Config, who: &Reporter, period: Period, now: DateTime<FixedOffset>) -> Letterhead {
    let (city, county) = match who.level {
        ReportLevel::County => (who.parent.clone(), who.name.clone()),
        ReportLevel::City => (who.name.clone(), super::city_status::OWN_ROW.to_string()),
    };
    Letterhead {
        city,
        county,
        county_code: who.code.clone(),
        period,
        auditor_name: config.auditor.name.trim().to_string(),
        auditor_phone: config.auditor.phone.trim().to_string(),
        date: now.date_naive(),
    }
}

pub use super::readme::README;
