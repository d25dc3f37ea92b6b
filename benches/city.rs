//! A city receiving its counties' bundles (issue 6 target: `city import` of 20 bundles of 5,000
//! schools each in at most 5 s). Measures, in process:
//! - the import of the 20 bundles into a fresh city store: what `shenhe city import B1…B20`
//!   does after parsing its arguments — the trusted keys read, the store opened, and for each
//!   bundle its file read, verified, checked to be from a county of the config, and its
//!   schools loaded with their review states in one transaction — then the store closed;
//! - the same for one bundle of 5,000 schools;
//! - the city store's size after the 20, and the time of each of the 20 bundles in the last
//!   run (a bundle loaded into a store that holds more schools may take longer) — printed,
//!   not timed separately.
//!
//! `cargo bench --bench city`. The figures are reported, never asserted: this bench does not
//! fail because a machine is slow.
//!
//! The counties are 20 of the synthetic province (`tests/support/synthetic.rs`), with distinct
//! codes; the city's config lists them all (a synthetic city: they are from several real
//! ones). Each county's quarter is imported, checked with the default rules, reviewed the way
//! an auditor does it (most approved, over their findings with a note; some returned, a few
//! flagged) and exported once, forced with a reason, during setup (not timed). School codes
//! are distinct across the city, as national codes are: a city refuses a school another
//! county has reported.
//!
//! Each timed import works on a fresh city store: created empty (its schema in place) before
//! the clock starts, removed after it stops. The bundles' files are read inside the timed part
//! (from the page cache after the first run), as the command reads them.

use std::cell::{OnceCell, RefCell};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset};
use criterion::{Criterion, SamplingMode};
use shenhe::bundle::allowed_signers::AllowedSigners;
use shenhe::bundle::export::{self, Request};
use shenhe::bundle::keys;
use shenhe::commands::{Context, city};
use shenhe::config::{Config, Paths};
use shenhe::domain::{Period, ReviewState};
use shenhe::i18n::Lang;
use shenhe::import::{ImportRequest, import_files};
use shenhe::rules::check_period;
use shenhe::store::{Decision, Received, Store};

/// Counties and schools per county when benchmarking, and when the bench only runs once to
/// check it works (`cargo test --benches`).
const COUNTIES: usize = 20;
const SCHOOLS: usize = 5_000;
const COUNTIES_SMOKE: usize = 3;
const SCHOOLS_SMOKE: usize = 200;
const GROUP: &str = "city";
const IMPORT_ALL: &str = "import_20_bundles";
const IMPORT_ONE: &str = "import_1_bundle";
/// The target for the 20.
const TARGET_S: f64 = 5.0;
const SEED: u64 = 0x4349_5459;
const PERIOD: &str = "2026Q3";
const IMPORTED_AT: &str = "2026-10-01T08:00:00+08:00";
const REVIEWED_AT: &str = "2026-10-02T09:00:00+08:00";
/// Inside the counties' window (1–5 October), and the city's receiving day after it.
const EXPORTED_AT: &str = "2026-10-03T10:00:00+08:00";
const RECEIVED_AT: &str = "2026-10-06T09:00:00+08:00";
const AUDITOR: &str = "张敏";
const CITY: &str = "豫中市";
const FORCE_REASON: &str = "少数学校数据待核实，先行上报";

const RETURN_REASONS: &[&str] = &["学生数与学籍系统不一致，请核对后重新填报", "出口带宽填写有误，请按运营商合同填写"];
const OVERRIDE_NOTES: &[&str] = &["已电话核实，数据属实", "已查看佐证材料，同意通过"];
const FLAG_NOTES: &[&str] = &["带宽数据待运营商确认", "学生数待与学籍系统比对"];

fn main() {
    // `--bench` is what `cargo bench` passes; without it criterion runs each function once as a
    // test, so a few small counties will do and the extra figures are skipped.
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let (counties, schools) = if benchmarking { (COUNTIES, SCHOOLS) } else { (COUNTIES_SMOKE, SCHOOLS_SMOKE) };
    let names = [IMPORT_ALL, IMPORT_ONE];
    let before: Vec<EstimatesFile> = names.iter().map(|n| EstimatesFile::look(GROUP, n)).collect();

    // Made on first use, so `--list` or a filter that matches nothing costs nothing.
    let made: OnceCell<Setup> = OnceCell::new();
    let setup = || made.get_or_init(|| Setup::new(counties, schools));
    // The per-bundle times and the store's size of the last 20-bundle run.
    let last = RefCell::new(None::<(Vec<Duration>, u64)>);

    let mut c = Criterion::default().configure_from_args();
    {
        let mut group = c.benchmark_group(GROUP);
        // A run may take seconds (the target is 5) and needs a fresh store: ten samples of one
        // or a few runs each.
        group
            .sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_secs(3))
            .measurement_time(Duration::from_secs(40));
        group.bench_function(IMPORT_ALL, |b| {
            let setup = setup();
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        let run = setup.import_fresh(&setup.bundles);
                        let took = run.total;
                        *last.borrow_mut() = Some((run.each, run.store_bytes));
                        took
                    })
                    .sum()
            })
        });
        group.sample_size(20).measurement_time(Duration::from_secs(15));
        group.bench_function(IMPORT_ONE, |b| {
            let setup = setup();
            b.iter_custom(|iters| (0..iters).map(|_| setup.import_fresh(&setup.bundles[..1]).total).sum())
        });
        group.finish();
    }
    c.final_summary();

    if !benchmarking {
        return;
    }
    let setup = setup();
    println!();
    println!("{GROUP}: {}", setup.describe());
    for (name, before) in names.iter().zip(&before) {
        let target = (*name == IMPORT_ALL).then_some(TARGET_S);
        println!("{}", median_line(name, 18, before.median_if_rewritten(), target));
    }
    setup.report_figure();
    if let Some((each, store_bytes)) = last.borrow().as_ref() {
        let ms: Vec<String> = each.iter().map(|d| format!("{:.0}", d.as_secs_f64() * 1e3)).collect();
        println!("  each bundle of the last 20-bundle run, in order (ms): {}", ms.join(" "));
        let bundles: u64 = setup.bundles.iter().map(|b| b.bytes).sum();
        println!(
            "  city store after the 20 (not timed): {:.1} MB ({:.0} bytes per school; the 20 bundles \
             themselves, kept in it, are {:.1} MB)",
            *store_bytes as f64 / 1e6,
            *store_bytes as f64 / (setup.bundles.len() * setup.schools) as f64,
            bundles as f64 / 1e6
        );
    }
}

/// One county's exported bundle.
struct Bundle {
    path: PathBuf,
    bytes: u64,
    approved: u64,
    returned: u64,
    pending: u64,
}

/// The counties' bundles and the city that receives them.
struct Setup {
    dir: tempfile::TempDir,
    schools: usize,
    bundles: Vec<Bundle>,
    /// The city's config (its counties, its trusted keys file beside it).
    config: Config,
    config_path: PathBuf,
    received_at: DateTime<FixedOffset>,
}

/// One timed import.
struct Run {
    total: Duration,
    each: Vec<Duration>,
    store_bytes: u64,
}

impl Setup {
    fn new(counties: usize, schools: usize) -> Setup {
        let start = Instant::now();
        let dir = tempfile::Builder::new().prefix("shenhe-bench-city-").tempdir().expect("temp dir");
        let chosen = &synthetic::COUNTIES[..counties];
        // A county per core at a time: the setup is most of the bench's wall time.
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(4);
        let mut made: Vec<(Bundle, String)> = Vec::new();
        for chunk in chosen.iter().enumerate().collect::<Vec<_>>().chunks(workers) {
            let dir = dir.path();
            let done: Vec<(Bundle, String)> = std::thread::scope(|s| {
                let handles: Vec<_> =
                    chunk.iter().map(|&(i, county)| s.spawn(move || county_bundle(dir, i, *county, schools))).collect();
                handles.into_iter().map(|h| h.join().expect("county setup")).collect()
            });
            made.extend(done);
        }
        let (bundles, lines): (Vec<Bundle>, Vec<String>) = made.into_iter().unzip();

        let city_dir = dir.path().join("city");
        std::fs::create_dir_all(&city_dir).expect("city dir");
        let listed: Vec<String> =
            chosen.iter().map(|(_, name, code)| format!("{{ code = \"{code}\", name = \"{name}\" }}")).collect();
        let text = format!("level = \"city\"\n[city]\nname = \"{CITY}\"\ncounties = [{}]\n", listed.join(", "));
        let config_path = city_dir.join("config.toml");
        std::fs::write(&config_path, &text).expect("city config");
        std::fs::write(city_dir.join("allowed_signers"), lines.concat()).expect("allowed_signers");
        let config = Config::load(&config_path, Lang::Zh).expect("city config");
        eprintln!(
            "{GROUP}: made, reviewed and exported {counties} counties of {schools} schools in {:.1} s",
            start.elapsed().as_secs_f64()
        );
        let received_at = DateTime::parse_from_rfc3339(RECEIVED_AT).expect("time");
        Setup { dir, schools, bundles, config, config_path, received_at }
    }

    /// Imports `bundles` into a fresh city store as `city import` does; only that is timed.
    fn import_fresh(&self, bundles: &[Bundle]) -> Run {
        let run = tempfile::Builder::new().prefix("run-").tempdir_in(self.dir.path()).expect("run dir");
        let database = run.path().join("shenhe.db");
        drop(Store::open(&database).expect("create the city store"));
        let paths = Paths {
            config: self.config_path.clone(),
            database: database.clone(),
            data_dir: run.path().to_path_buf(),
            keys_dir: run.path().join("keys"),
            log_dir: run.path().join("logs"),
        };
        let ctx = Context { lang: Lang::Zh, config: self.config.clone(), paths };
        let mut each = Vec::with_capacity(bundles.len());

        let start = Instant::now();
        let signers = AllowedSigners::load(&ctx.paths.trusted_keys(&ctx.config)).expect("trusted keys");
        let mut store = ctx.open_store().unwrap_or_else(|f| panic!("{}", f.message));
        for bundle in bundles {
            let one = Instant::now();
            let bytes = std::fs::read(&bundle.path).expect("read the bundle");
            let received = city::receive(&ctx, &mut store, &signers, &bundle.path, &bytes, self.received_at)
                .unwrap_or_else(|reason| panic!("{}: {reason}", bundle.path.display()))
                .received;
            assert_eq!(received, Received::Loaded);
            each.push(one.elapsed());
        }
        drop(store);
        let total = start.elapsed();

        let store_bytes = ["", "-wal"]
            .iter()
            .filter_map(|suffix| std::fs::metadata(format!("{}{suffix}", database.display())).ok())
            .map(|m| m.len())
            .sum();
        Run { total, each, store_bytes }
    }

    /// The city workbook (`city report`) over all the counties' schools: its time (the median
    /// of three builds, not criterion's) and size, printed.
    fn report_figure(&self) {
        let run = tempfile::Builder::new().prefix("report-").tempdir_in(self.dir.path()).expect("run dir");
        let paths = Paths {
            config: self.config_path.clone(),
            database: run.path().join("shenhe.db"),
            data_dir: run.path().to_path_buf(),
            keys_dir: run.path().join("keys"),
            log_dir: run.path().join("logs"),
        };
        let ctx = Context { lang: Lang::Zh, config: self.config.clone(), paths };
        let signers = AllowedSigners::load(&ctx.paths.trusted_keys(&ctx.config)).expect("trusted keys");
        let mut store = ctx.open_store().unwrap_or_else(|f| panic!("{}", f.message));
        for bundle in &self.bundles {
            let bytes = std::fs::read(&bundle.path).expect("read the bundle");
            city::receive(&ctx, &mut store, &signers, &bundle.path, &bytes, self.received_at).expect("receive");
        }
        let period: Period = PERIOD.parse().expect("period");
        let mut times = Vec::new();
        let mut size = 0;
        for _ in 0..3 {
            let start = Instant::now();
            let data = store.current_data(period).expect("data");
            let counties: Vec<_> = ctx
                .config
                .city
                .counties
                .iter()
                .map(|c| shenhe::bundle::city_report::CountyLine::county(&c.code, &c.name, true))
                .collect();
            let letterhead = shenhe::bundle::tables::Letterhead {
                city: CITY.into(),
                county: String::new(),
                county_code: String::new(),
                period,
                auditor_name: AUDITOR.into(),
                auditor_phone: "0371-1".into(),
                date: self.received_at.date_naive(),
            };
            let denominator = ctx.config.stats.bandwidth_denominator;
            let book = shenhe::bundle::city_report::city_workbook(
                &letterhead,
                &counties,
                &data,
                &std::collections::HashSet::new(),
                denominator,
                self.received_at.naive_utc(),
            )
            .expect("workbook");
            times.push(start.elapsed());
            size = book.len();
        }
        times.sort();
        println!(
            "  city workbook (附件1, 3, 4, 5) over {} schools: {} (median of 3: {}), {:.1} KB",
            self.bundles.len() * self.schools,
            secs(times[1].as_secs_f64()),
            times.iter().map(|t| secs(t.as_secs_f64())).collect::<Vec<_>>().join(" / "),
            size as f64 / 1024.0
        );
    }

    fn describe(&self) -> String {
        let sum = |f: fn(&Bundle) -> u64| self.bundles.iter().map(f).sum::<u64>();
        let sizes: Vec<u64> = self.bundles.iter().map(|b| b.bytes).collect();
        format!(
            "{} counties of {} schools: {} approved, {} returned, {} still pending; bundles {:.0}–{:.0} KB, {:.1} MB in all",
            self.bundles.len(),
            self.schools,
            sum(|b| b.approved),
            sum(|b| b.returned),
            sum(|b| b.pending),
            *sizes.iter().min().unwrap_or(&0) as f64 / 1024.0,
            *sizes.iter().max().unwrap_or(&0) as f64 / 1024.0,
            sum(|b| b.bytes) as f64 / 1e6
        )
    }
}

/// County `index` (`county` of the synthetic province): its sheet imported, checked, reviewed
/// and exported under `dir/county-<index>`. Returns the bundle and its `allowed_signers` line.
fn county_bundle(dir: &Path, index: usize, county: (&str, &str, &str), schools: usize) -> (Bundle, String) {
    let (city, name, code) = county;
    let home = dir.join(format!("county-{index}"));
    std::fs::create_dir_all(&home).expect("county dir");
    let text = format!(
        "[county]\ncode = \"{code}\"\nname = \"{name}\"\ncity = \"{city}\"\n\
         [auditor]\nname = \"{AUDITOR}\"\nphone = \"0377-67212345\"\n"
    );
    let config = Config::from_user_toml(&text, "bench.toml", Lang::Zh).expect("county config");
    let key = keys::init(&home.join("keys"), &keys::KeySpec::of(&config)).expect("signing key");
    let line = format!("{}\n", keys::allowed_signers_line(code, &key));

    let period: Period = PERIOD.parse().expect("period");
    let mut store = Store::open(&home.join("shenhe.db")).expect("county store");
    let csv = home.join(format!("{PERIOD}_{name}.csv"));
    // The counties take distinct ranges of school codes, as national codes are distinct.
    let sheet = synthetic::numbered_county_sheet(county, schools, SEED.wrapping_add(index as u64), index * 10_000);
    std::fs::write(&csv, sheet).expect("write CSV");
    let request = ImportRequest::new(period, vec![csv], AUDITOR, IMPORTED_AT);
    import_files(&mut store, &request, &mut |_| {}).expect("import");
    check_period(&mut store, period, &config.rules, IMPORTED_AT, AUDITOR).expect("check");
    review(&mut store, period, SEED ^ index as u64);

    let out = home.join("out");
    std::fs::create_dir_all(&out).expect("out dir");
    let now = DateTime::parse_from_rfc3339(EXPORTED_AT).expect("time");
    let request =
        Request { period, out_dir: &out, force_reason: Some(FORCE_REASON), report_text: None, actor: AUDITOR, now };
    let done =
        export::export(&mut store, &config, || keys::load(&home.join("keys"), &keys::KeySpec::ed25519("")), request)
            .expect("export");
    let c = &done.manifest.counts;
    let bundle = Bundle {
        bytes: done.bytes,
        approved: c.approved,
        returned: c.returned,
        pending: c.submitted + c.flagged,
        path: done.path,
    };
    (bundle, line)
}

/// Decides every school waiting in `period`: about 4% returned with a reason, 1% flagged by
/// hand, the rest approved — with a note over their findings when they have any.
fn review(store: &mut Store, period: Period, seed: u64) {
    let mut rng = Rng(seed);
    let schools = store.list(period, None).expect("list");
    let open = store.findings(period, false).expect("findings");
    let with_findings: std::collections::HashSet<&str> =
        open.iter().filter(|f| f.resolution == "open").map(|f| f.school_code.as_str()).collect();
    for school in &schools {
        if !matches!(school.state, ReviewState::Submitted | ReviewState::Flagged) {
            continue;
        }
        let code = school.school_code.as_str();
        let roll = rng.range(0, 99);
        let decision = |action, new_state, note| Decision {
            period,
            school_code: code,
            action,
            expected: school.state,
            new_state,
            note,
            actor: AUDITOR,
            at: REVIEWED_AT,
        };
        if roll < 4 {
            store.decide(&decision("return", ReviewState::Returned, Some(*rng.pick(RETURN_REASONS)))).expect("return");
        } else if roll < 5 {
            store.flag(&decision("flag", ReviewState::Flagged, Some(*rng.pick(FLAG_NOTES)))).expect("flag");
        } else if with_findings.contains(code) {
            let note = Some(*rng.pick(OVERRIDE_NOTES));
            store.approve_overriding(&decision("approve", ReviewState::Approved, note)).expect("approve");
        } else {
            store.decide(&decision("approve", ReviewState::Approved, None)).expect("approve");
        }
    }
}

#[path = "../tests/support/splitmix.rs"]
mod splitmix;
use splitmix::SplitMix as Rng;
#[path = "../tests/support/estimates.rs"]
mod estimates;
#[path = "../tests/support/synthetic.rs"]
mod synthetic;
use estimates::{EstimatesFile, median_line, secs};
