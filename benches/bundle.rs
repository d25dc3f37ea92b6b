//! The signed bundle of one county (issue targets: export of 5,000 schools in at most 1 s; a
//! bundle of 1,000 schools at most 150 KB). Measures:
//! - export of 5,000 and of 1,000 schools, from the `export::export` call until the bundle is
//!   under its final name and on record (the data read from the store, the tables and the
//!   workbook made, compressed, signed, written and flushed, the period locked);
//! - verification of the 5,000- and the 1,000-school bundle held in memory, and of the
//!   5,000-school bundle read from its file first;
//! - the sizes of the bundles of the sample county, of 1,000 and of 5,000 schools, and of each
//!   file inside the 1,000- and the 5,000-school bundles, compressed and not (printed, not
//!   timed). The sample county's newest quarter is reviewed the same way before its export.
//!
//! `cargo bench --bench bundle`. The figures are reported, never asserted: this bench does not
//! fail because a machine is slow.
//!
//! Each county is one county of the synthetic province (`tests/support/synthetic.rs`): its
//! quarter's sheet imported into a store on disk and checked with the default rules, then
//! reviewed the way an auditor does it — most schools approved (over their findings with a
//! note), some returned with a reason, a few flagged by hand, a few commented on — so the
//! bundle carries findings, returned schools and a review log of realistic size. The flagged
//! schools are still undecided, so every export is forced, with a reason.
//!
//! An export locks its period, so each timed export works on a fresh copy of the reviewed
//! store: copying the file and opening the store happen before the clock starts, closing and
//! removing it after it stops. The timed part includes the export's own flushes to the disk
//! (the bundle, its directory, the store's commit) on the disk of the temporary directory.

use std::cell::OnceCell;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, TimeDelta};
use criterion::{Criterion, SamplingMode};
use shenhe::bundle::allowed_signers::AllowedSigners;
use shenhe::bundle::export::{self, Exported, Request};
use shenhe::bundle::keys;
use shenhe::bundle::verify::verify;
use shenhe::config::Config;
use shenhe::domain::{Period, ReviewState};
use shenhe::import::{ImportRequest, import_files};
use shenhe::rules::check_period;
use shenhe::store::{Decision, Store};

/// Schools of the two synthetic counties when benchmarking, and when the bench only runs once
/// to check it works (`cargo test --benches`).
const LARGE: usize = 5_000;
const SMALL: usize = 1_000;
const LARGE_SMOKE: usize = 300;
const SMALL_SMOKE: usize = 100;
const GROUP: &str = "bundle";
const EXPORT_LARGE: &str = "export_5000";
const EXPORT_SMALL: &str = "export_1000";
const VERIFY_LARGE: &str = "verify_5000";
const VERIFY_SMALL: &str = "verify_1000";
const READ_VERIFY_LARGE: &str = "read_and_verify_5000";
/// The targets.
const EXPORT_TARGET_S: f64 = 1.0;
const SIZE_TARGET_BYTES: u64 = 150 * 1024;
/// The generator's seed: the same county on every run.
const SEED: u64 = 0x4255_4e44_4c45;
/// The synthetic county (one of `synthetic::COUNTIES`) and its quarter.
const COUNTY: (&str, &str, &str) = ("南阳市", "方城县", "411322");
const PERIOD: &str = "2026Q3";
const IMPORTED_AT: &str = "2026-10-01T08:00:00+08:00";
/// The first decision; the others follow a few seconds to a minute apart.
const REVIEW_FROM: &str = "2026-10-01T08:30:00+08:00";
/// When the bundle is made (inside the default window, after the last decision) and checked.
const EXPORTED_AT: &str = "2026-10-03T10:00:00+08:00";
const VERIFIED_AT: &str = "2026-10-04T09:00:00+08:00";
const AUDITOR: &str = "张敏";
const FORCE_REASON: &str = "少数学校数据待运营商和学籍系统核实，先行上报，核实后补报";

/// Why an auditor sends a sheet back.
const RETURN_REASONS: &[&str] = &[
    "学生数与学籍系统不一致，请核对后重新填报",
    "出口带宽填写有误，请按运营商合同填写实际带宽",
    "多媒体教室数大于普通教室数，请核实后重报",
    "教师数明显偏少，请核对在编及代课教师人数",
    "班级数与学生数不匹配，请核实后重新填报",
    "填报人联系电话无法接通，请更正后重报",
];
/// Notes when approving over findings.
const OVERRIDE_NOTES: &[&str] = &[
    "已电话核实，数据属实",
    "经与学校核对，系新建校区，数据无误",
    "已查看佐证材料，同意通过",
    "该校为寄宿制学校，班额偏大属实",
    "运营商已确认带宽，数据无误",
    "乡镇中心校已复核，同意通过",
];
/// Notes of the auditor's own flags.
const FLAG_NOTES: &[&str] =
    &["带宽数据待运营商确认", "学生数待与学籍系统比对", "需实地核查多媒体教室", "终端数量与上季度差异较大，待核实"];
const COMMENTS: &[&str] =
    &["已通知校长补充说明", "电话未接通，明日再联系", "学校称数据已按实际填写", "已发函要求补充材料"];

fn main() {
    // `--bench` is what `cargo bench` passes; without it criterion runs each function once as a
    // test, so small counties will do and the extra figures are skipped.
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let (large_schools, small_schools) = if benchmarking { (LARGE, SMALL) } else { (LARGE_SMOKE, SMALL_SMOKE) };
    let names = [EXPORT_LARGE, EXPORT_SMALL, VERIFY_LARGE, VERIFY_SMALL, READ_VERIFY_LARGE];
    // Criterion's estimates of this run are the files that change during it.
    let before: Vec<EstimatesFile> = names.iter().map(|n| EstimatesFile::look(GROUP, n)).collect();

    // Made on first use, so `--list` or a filter that matches nothing costs nothing.
    let made_common: OnceCell<Common> = OnceCell::new();
    let common = || made_common.get_or_init(Common::new);
    let large_county: OnceCell<County> = OnceCell::new();
    let small_county: OnceCell<County> = OnceCell::new();
    let county = |large: bool| {
        if large {
            large_county.get_or_init(|| County::synthetic(common(), large_schools))
        } else {
            small_county.get_or_init(|| County::synthetic(common(), small_schools))
        }
    };

    let mut c = Criterion::default().configure_from_args();
    {
        let mut group = c.benchmark_group(GROUP);
        // An export may take up to a second (the target) and each needs a fresh copy of the
        // store: ten samples of the same number of exports each.
        group
            .sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_secs(3))
            .measurement_time(Duration::from_secs(15));
        for (name, large) in [(EXPORT_LARGE, true), (EXPORT_SMALL, false)] {
            group.bench_function(name, |b| {
                let (common, county) = (common(), county(large));
                b.iter_custom(|iters| (0..iters).map(|_| county.export_fresh(common)).sum())
            });
        }
        group.sample_size(30).sampling_mode(SamplingMode::Auto).measurement_time(Duration::from_secs(10));
        for (name, large) in [(VERIFY_LARGE, true), (VERIFY_SMALL, false)] {
            group.bench_function(name, |b| {
                let (common, county) = (common(), county(large));
                b.iter(|| verify(&county.bundle, &common.signers, common.verified_at).expect("the bundle verifies"))
            });
        }
        group.bench_function(READ_VERIFY_LARGE, |b| {
            let (common, county) = (common(), county(true));
            b.iter(|| {
                let bytes = std::fs::read(&county.exported.path).expect("read the bundle");
                verify(&bytes, &common.signers, common.verified_at).expect("the bundle verifies")
            })
        });
        group.finish();
    }
    c.final_summary();

    if !benchmarking {
        return;
    }
    println!();
    let (large, small) = (county(true), county(false));
    for county in [large, small] {
        println!("{GROUP}: {}", county.describe());
    }
    for (name, before) in names.iter().zip(&before) {
        let target = (name.starts_with("export")).then_some(EXPORT_TARGET_S);
        println!("{}", median_line(name, 22, before.median_if_rewritten(), target));
    }
    sizes(common(), large, small);
}

/// What every county shares: the config, the county's signing key (in `dir/keys`), the city's
/// trusted keys.
struct Common {
    dir: tempfile::TempDir,
    config: Config,
    /// The city's `allowed_signers`: a line for each county of the synthetic province, ours
    /// among them.
    signers: AllowedSigners,
    exported_at: DateTime<FixedOffset>,
    verified_at: DateTime<chrono::Utc>,
}

impl Common {
    fn new() -> Common {
        let dir = tempfile::Builder::new().prefix("shenhe-bench-bundle-").tempdir().expect("temp dir");
        let (city, name, code) = COUNTY;
        let config = config(code, name, city);
        let key = keys::init(&dir.path().join("keys"), &keys::KeySpec::of(&config)).expect("signing key");
        let mut lines = String::new();
        for (i, &(_, _, other)) in synthetic::COUNTIES.iter().enumerate() {
            let line = if other == code {
                keys::allowed_signers_line(code, &key)
            } else {
                let theirs = keys::init(&dir.path().join(format!("keys-{i}")), &keys::KeySpec::ed25519(other))
                    .expect("another county's key");
                keys::allowed_signers_line(other, &theirs)
            };
            let _ = writeln!(lines, "{line}");
        }
        let signers = AllowedSigners::parse(&lines).expect("allowed_signers");
        let at = |s: &str| DateTime::parse_from_rfc3339(s).expect("time");
        Common { dir, config, signers, exported_at: at(EXPORTED_AT), verified_at: at(VERIFIED_AT).to_utc() }
    }
}

fn config(code: &str, name: &str, city: &str) -> Config {
    let text = format!(
        "[county]\ncode = \"{code}\"\nname = \"{name}\"\ncity = \"{city}\"\n\
         [auditor]\nname = \"{AUDITOR}\"\nphone = \"0377-67212345\"\n"
    );
    Config::from_user_toml(&text, "bench.toml", Default::default()).expect("config")
}

/// A county's reviewed store (never exported: each export works on a copy) and one bundle
/// exported from a copy of it.
struct County {
    label: String,
    dir: tempfile::TempDir,
    store: PathBuf,
    period: Period,
    config: Config,
    schools: usize,
    findings: usize,
    log_rows: usize,
    store_bytes: u64,
    bundle: Vec<u8>,
    exported: Exported,
}

impl County {
    /// `schools` schools of the synthetic county, imported, checked and reviewed.
    fn synthetic(common: &Common, schools: usize) -> County {
        let start = Instant::now();
        let dir = tempfile::Builder::new().prefix("county-").tempdir_in(common.dir.path()).expect("temp dir");
        let store = dir.path().join("shenhe.db");
        let period: Period = PERIOD.parse().expect("period");
        let mut s = Store::open(&store).expect("create store");
        let csv = dir.path().join(format!("{PERIOD}_{}.csv", COUNTY.1));
        std::fs::write(&csv, synthetic::county_sheet(COUNTY, schools, SEED)).expect("write CSV");
        let request = ImportRequest::new(period, vec![csv], AUDITOR, IMPORTED_AT);
        import_files(&mut s, &request, &mut |_| {}).expect("import");
        check_period(&mut s, period, &common.config.rules, IMPORTED_AT, AUDITOR).expect("check");
        review(&mut s, period, SEED);
        drop(s);
        let label = format!("{} schools", thousands(schools));
        let county = County::finish(common, label, dir, store, period, common.config.clone());
        eprintln!("{GROUP}: made and reviewed a county of {schools} schools in {:.1} s", start.elapsed().as_secs_f64());
        county
    }

    /// The sample county (`shenhe demo`'s), its newest quarter reviewed the same way.
    fn sample(common: &Common) -> County {
        let dir = tempfile::Builder::new().prefix("sample-").tempdir_in(common.dir.path()).expect("temp dir");
        let store = dir.path().join("shenhe.db");
        let (code, name, city) = shenhe::sample::COUNTY;
        let config = config(code, name, city);
        let mut s = Store::open(&store).expect("create store");
        shenhe::sample::load(&mut s, dir.path(), &config.rules, AUDITOR, IMPORTED_AT).expect("sample county");
        let period = s.periods().expect("periods")[0];
        review(&mut s, period, SEED);
        let schools = s.list(period, None).expect("list").len();
        drop(s);
        County::finish(common, format!("sample county ({} schools)", thousands(schools)), dir, store, period, config)
    }

    /// Counts what the reviewed store holds and exports it once, keeping the bundle.
    fn finish(
        common: &Common,
        label: String,
        dir: tempfile::TempDir,
        store: PathBuf,
        period: Period,
        config: Config,
    ) -> County {
        let s = Store::open(&store).expect("open store");
        let schools = s.list(period, None).expect("list").len();
        let findings = s.findings(period, true).expect("findings").len();
        let log_rows = s.log_entries(period).expect("log").len();
        drop(s);
        let store_bytes = std::fs::metadata(&store).map(|m| m.len()).unwrap_or(0);
        let (exported, _) = export_copy(common, &store, period, &config, &dir.path().join("bundle"));
        let bundle = std::fs::read(&exported.path).expect("read the bundle");
        County { label, dir, store, period, config, schools, findings, log_rows, store_bytes, bundle, exported }
    }

    /// One export from a fresh copy of the store, removed afterwards: how long the export took.
    fn export_fresh(&self, common: &Common) -> Duration {
        let run = tempfile::Builder::new().prefix("run-").tempdir_in(self.dir.path()).expect("run dir");
        let (_, took) = export_copy(common, &self.store, self.period, &self.config, run.path());
        drop(run);
        took
    }

    fn describe(&self) -> String {
        let c = &self.exported.manifest.counts;
        format!(
            "{}{} {}, {}: {} unfilled, {} approved, {} returned, {} flagged, {} still submitted; \
             {} findings, {} review-log rows; store {:.1} MB, bundle {}",
            self.config.county.city,
            self.config.county.name,
            self.period,
            self.label,
            c.unfilled,
            c.approved,
            c.returned,
            c.flagged,
            c.submitted,
            self.findings,
            self.log_rows,
            self.store_bytes as f64 / 1e6,
            kb(self.bundle.len() as u64)
        )
    }
}

/// Copies the reviewed `store` into `dir`, opens the copy and exports it into `dir/out`; only
/// `export::export` is timed (reading the key file included).
fn export_copy(common: &Common, store: &Path, period: Period, config: &Config, dir: &Path) -> (Exported, Duration) {
    std::fs::create_dir_all(dir).expect("run dir");
    let copy = dir.join("shenhe.db");
    std::fs::copy(store, &copy).expect("copy the store");
    let out = dir.join("out");
    std::fs::create_dir_all(&out).expect("out dir");
    let mut store = Store::open(&copy).expect("open the copy");
    let request = Request {
        period,
        out_dir: &out,
        force_reason: Some(FORCE_REASON),
        report_text: None,
        actor: AUDITOR,
        now: common.exported_at,
    };
    let start = Instant::now();
    // The key is read from its file inside the export, as the command does.
    let done = export::export(
        &mut store,
        config,
        || keys::load(&common.dir.path().join("keys"), &keys::KeySpec::ed25519("")),
        request,
    )
    .expect("export");
    let took = start.elapsed();
    // Closing the store (its WAL checkpoint) is not part of the export.
    drop(store);
    (done, took)
}

/// Reviews every school of `period` as an auditor works through the list: about 4% returned
/// with a reason, 1% flagged by hand, 2% commented on first, the rest approved — with a note
/// over their findings when they have any. Decisions are a few seconds to a minute apart.
fn review(store: &mut Store, period: Period, seed: u64) {
    let mut rng = Rng(seed ^ 0x5245_5649_4557);
    let schools = store.list(period, None).expect("list");
    let open = store.findings(period, false).expect("findings");
    let mut at = DateTime::parse_from_rfc3339(REVIEW_FROM).expect("time");
    let mut next = |rng: &mut Rng| {
        at += TimeDelta::seconds(rng.range(4, 40) as i64);
        at.to_rfc3339()
    };
    for school in schools {
        if !matches!(school.state, ReviewState::Submitted | ReviewState::Flagged) {
            continue;
        }
        let code = school.school_code.as_str();
        if rng.chance(2) {
            let when = next(&mut rng);
            let comment = *rng.pick(COMMENTS);
            store.comment(period, code, comment, AUDITOR, &when).expect("comment");
        }
        let has_findings = open.iter().any(|f| f.school_code == code && f.resolution == "open");
        let roll = rng.range(0, 999);
        let when = next(&mut rng);
        let decision = |action, new_state, note| Decision {
            period,
            school_code: code,
            action,
            expected: school.state,
            new_state,
            note,
            actor: AUDITOR,
            at: &when,
        };
        if roll < 40 {
            store.decide(&decision("return", ReviewState::Returned, Some(*rng.pick(RETURN_REASONS)))).expect("return");
        } else if roll < 50 {
            store.flag(&decision("flag", ReviewState::Flagged, Some(*rng.pick(FLAG_NOTES)))).expect("flag");
        } else if has_findings {
            let note = Some(*rng.pick(OVERRIDE_NOTES));
            store.approve_overriding(&decision("approve", ReviewState::Approved, note)).expect("approve");
        } else {
            store.decide(&decision("approve", ReviewState::Approved, None)).expect("approve");
        }
    }
}

/// The sizes of the bundles, and of the files inside the 1,000-school one.
fn sizes(common: &Common, large: &County, small: &County) {
    let sample = County::sample(common);
    println!("{GROUP}: {}", sample.describe());
    println!("bundle sizes (not timed):");
    for county in [&sample, small, large] {
        let bytes = county.bundle.len() as u64;
        let mut line = format!(
            "  {} {:>9}  ({:.0} bytes per school)",
            pad(&county.label, 28),
            kb(bytes),
            bytes as f64 / county.schools.max(1) as f64
        );
        if std::ptr::eq(county, small) {
            let met = if bytes <= SIZE_TARGET_BYTES { "met" } else { "MISSED" };
            let _ = write!(line, "  target ≤ {}: {met}", kb(SIZE_TARGET_BYTES));
        }
        println!("{line}");
    }
    let small_entries = entries(&small.bundle);
    let large_entries = entries(&large.bundle);
    println!(
        "files in the bundles: compressed / uncompressed, and share of the bundle ({} | {}):",
        small.label, large.label
    );
    let share = |packed: u64, bundle: &[u8]| packed as f64 / bundle.len() as f64 * 100.0;
    for (name, packed, plain) in &small_entries {
        let (big_packed, big_plain) =
            large_entries.iter().find(|(n, ..)| n == name).map_or((0, 0), |(_, p, u)| (*p, *u));
        println!(
            "  {} {:>9} / {:>9} {:>5.1}%  | {:>9} / {:>9} {:>5.1}%",
            pad(name, 20),
            kb(*packed),
            kb(*plain),
            share(*packed, &small.bundle),
            kb(big_packed),
            kb(big_plain),
            share(big_packed, &large.bundle)
        );
    }
    let headers = |bundle: &[u8], entries: &[(String, u64, u64)]| {
        bundle.len() as u64 - entries.iter().map(|(_, packed, _)| packed).sum::<u64>()
    };
    let (small_headers, large_headers) =
        (headers(&small.bundle, &small_entries), headers(&large.bundle, &large_entries));
    println!(
        "  {} {:>9}             {:>5.1}%  | {:>9}             {:>5.1}%",
        pad("(zip headers)", 20),
        kb(small_headers),
        share(small_headers, &small.bundle),
        kb(large_headers),
        share(large_headers, &large.bundle)
    );
}

/// `text` padded with spaces to `width` terminal columns (a Chinese character takes two).
fn pad(text: &str, width: usize) -> String {
    format!("{text}{}", " ".repeat(width.saturating_sub(text.width())))
}

/// (name, compressed bytes, uncompressed bytes) of each entry, in archive order.
fn entries(bundle: &[u8]) -> Vec<(String, u64, u64)> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bundle)).expect("a zip archive");
    (0..zip.len())
        .map(|i| {
            let e = zip.by_index_raw(i).expect("entry");
            (String::from_utf8_lossy(e.name_raw()).into_owned(), e.compressed_size(), e.size())
        })
        .collect()
}

/// 5000 as "5,000".
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

fn kb(bytes: u64) -> String {
    format!("{:.1} KB", bytes as f64 / 1024.0)
}

#[path = "../tests/support/splitmix.rs"]
mod splitmix;
use splitmix::SplitMix as Rng;
#[path = "../tests/support/estimates.rs"]
mod estimates;
#[path = "../tests/support/synthetic.rs"]
mod synthetic;
use estimates::{EstimatesFile, median_line};
use unicode_width::UnicodeWidthStr;
