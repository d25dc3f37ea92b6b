//! A province receiving its cities' bundles, and its workbook: 15 cities of 10 counties of 200
//! schools each (30,000 schools), target ≤ 5 s for the two together. Measures, with the real
//! release binary as a user waits for it (spawn to exit):
//! - `shenhe receive B1.zip … B15.zip` into a fresh province: a home holding only its
//!   config.toml and allowed_signers, so the command creates the store (its schema migrations,
//!   a few milliseconds), then verifies every city bundle (the city's signature, each county
//!   report inside against the key the city vouches for) and merges it;
//! - `shenhe report --period 2026Q3 --out FILE.xlsx` at a province that has received all 15
//!   (received once, before timing): 附件1, 3, 4, 5 over the cities, and the seed's 附件2 and 3.
//!
//! `cargo bench --bench province`. The figures are reported, never asserted: this bench does
//! not fail because a machine is slow.
//!
//! The setup, not timed, runs the binary as the three levels do: each county imports its sheet
//! (`tests/support/synthetic.rs`, school codes distinct across the province), approves its
//! clean schools (`approve --all-clean`) and exports, forced with a reason (the others are
//! undecided, and a release build judges on-time-ness by the real clock: `SHENHE_NOW` is
//! ignored); each city receives its 10 counties and exports, forced; the province trusts the
//! 15 cities' keys. Counties and cities are made a few at a time in threads.

use std::cell::OnceCell;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode};

/// Cities, counties per city and schools per county when benchmarking, and when the bench only
/// runs once to check it works (`cargo test --benches`).
const CITIES: usize = 15;
const COUNTIES: usize = 10;
const SCHOOLS: usize = 200;
const CITIES_SMOKE: usize = 2;
const COUNTIES_SMOKE: usize = 2;
const SCHOOLS_SMOKE: usize = 20;
const GROUP: &str = "province";
const RECEIVE: &str = "receive_15_cities";
const REPORT: &str = "report_workbook";
/// The target for receiving and the workbook together.
const TARGET_S: f64 = 5.0;
const SEED: u64 = 0x5052_4f56;
const PERIOD: &str = "2026Q3";
const PROVINCE: &str = "河南省";
const PROVINCE_CODE: &str = "410000";

/// Henan's cities in the order of their codes: 410100 郑州市 … 411500 信阳市.
const CITY_NAMES: [&str; 15] = [
    "郑州市",
    "开封市",
    "洛阳市",
    "平顶山市",
    "安阳市",
    "鹤壁市",
    "新乡市",
    "焦作市",
    "濮阳市",
    "许昌市",
    "漯河市",
    "三门峡市",
    "南阳市",
    "商丘市",
    "信阳市",
];
const ORDINALS: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

fn main() {
    // `--bench` is what `cargo bench` passes; without it criterion runs each function once as a
    // test, so a small province will do and the figures are skipped.
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let shape = if benchmarking {
        Shape { cities: CITIES, counties: COUNTIES, schools: SCHOOLS }
    } else {
        Shape { cities: CITIES_SMOKE, counties: COUNTIES_SMOKE, schools: SCHOOLS_SMOKE }
    };
    let names = [RECEIVE, REPORT];
    let before: Vec<EstimatesFile> = names.iter().map(|n| EstimatesFile::look(GROUP, n)).collect();

    // Made on first use, so `--list` or a filter that matches nothing costs nothing.
    let made: OnceCell<Setup> = OnceCell::new();
    let setup = || made.get_or_init(|| Setup::new(shape));

    let mut c = Criterion::default().configure_from_args();
    {
        let mut group = c.benchmark_group(GROUP);
        // A receive is about a second and needs a fresh province, the workbook over half a second:
        // ten samples of one run each.
        group
            .sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(10));
        group.bench_function(RECEIVE, |b| {
            let setup = setup();
            b.iter_custom(|iters| (0..iters).map(|_| setup.receive_fresh()).sum())
        });
        group.measurement_time(Duration::from_secs(8));
        group.bench_function(REPORT, |b| {
            let setup = setup();
            b.iter_custom(|iters| (0..iters).map(|_| setup.report()).sum())
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
    let estimates: Vec<_> = before.iter().map(EstimatesFile::median_if_rewritten).collect();
    for (name, estimate) in names.iter().zip(&estimates) {
        println!("{}", median_line(name, 18, *estimate, None));
    }
    if let [Some((receive, ..)), Some((report, ..))] = estimates[..] {
        let total = receive + report;
        let met = if total <= TARGET_S { "met" } else { "MISSED" };
        println!("  {:<18} median {:>9}  target ≤ {TARGET_S} s: {met}", "receive + report", secs(total));
    }
}

#[derive(Clone, Copy)]
struct Shape {
    cities: usize,
    counties: usize,
    schools: usize,
}

/// The cities' bundles and the province that receives them.
struct Setup {
    dir: tempfile::TempDir,
    shape: Shape,
    bundles: Vec<PathBuf>,
    /// The province's config.toml and allowed_signers, copied into each fresh home.
    config: String,
    signers: String,
    /// A province that has received every bundle, for the workbook.
    received: PathBuf,
}

impl Setup {
    fn new(shape: Shape) -> Setup {
        let start = Instant::now();
        let dir = tempfile::Builder::new().prefix("shenhe-bench-province-").tempdir().expect("temp dir");
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(4);

        let counties: Vec<County> = (0..shape.cities * shape.counties).map(|i| County::of(shape, i)).collect();
        let (county_bundles, lines): (Vec<PathBuf>, Vec<String>) =
            in_parallel(workers, &counties, |county| county.report(dir.path(), shape.schools)).into_iter().unzip();
        eprintln!(
            "{GROUP}: {} counties of {} schools imported and exported in {:.1} s",
            counties.len(),
            shape.schools,
            start.elapsed().as_secs_f64()
        );

        let cities: Vec<usize> = (0..shape.cities).collect();
        let made = in_parallel(workers, &cities, |&city| {
            let of_city = city * shape.counties..(city + 1) * shape.counties;
            let signers = lines[of_city.clone()].concat();
            city_report(dir.path(), city, &counties[of_city.clone()], &county_bundles[of_city], &signers)
        });
        let (bundles, signers): (Vec<PathBuf>, Vec<String>) = made.into_iter().unzip();
        let listed: Vec<String> = (0..shape.cities)
            .map(|i| format!("{{ code = \"{}\", name = \"{}\" }}", city_code(i), CITY_NAMES[i]))
            .collect();
        let config = format!(
            "level = \"province\"\n[province]\nname = \"{PROVINCE}\"\ncode = \"{PROVINCE_CODE}\"\n\
             cities = [{}]\n[period]\nwindow = [11, 15]\n",
            listed.join(", ")
        );
        let signers = signers.concat();

        let received = province_home(&dir.path().join("province"), &config, &signers);
        let outcomes = json(&ok(&received, &receive_args(&bundles, true)));
        let loaded = outcomes.as_array().map_or(0, |a| a.iter().filter(|o| o["outcome"] == "loaded").count());
        assert_eq!(loaded, shape.cities, "every city bundle is loaded: {outcomes}");
        let status = json(&ok(&received, &["status", "--period", PERIOD, "--json"]));
        let schools: u64 =
            status.as_array().into_iter().flatten().filter_map(|c| c["counts"]["schools"].as_u64()).sum();
        assert_eq!(schools as usize, shape.cities * shape.counties * shape.schools, "every school at the province");
        eprintln!(
            "{GROUP}: setup ({} cities, {} counties, {schools} schools) in {:.1} s",
            shape.cities,
            counties.len(),
            start.elapsed().as_secs_f64()
        );
        Setup { dir, shape, bundles, config, signers, received }
    }

    /// `shenhe receive` of every city bundle into a fresh province; only the command is timed.
    fn receive_fresh(&self) -> Duration {
        let run = tempfile::Builder::new().prefix("run-").tempdir_in(self.dir.path()).expect("run dir");
        let home = province_home(run.path(), &self.config, &self.signers);
        let args = receive_args(&self.bundles, false);
        let mut command = shenhe(&home, &args);
        let start = Instant::now();
        let out = command.output().expect("run shenhe receive");
        let took = start.elapsed();
        check(&out, &args);
        took
    }

    /// `shenhe report` at the province that holds every city's report.
    fn report(&self) -> Duration {
        let book = self.received.join("报表.xlsx");
        let args = ["report", "--period", PERIOD, "--out", &arg(&book)];
        let mut command = shenhe(&self.received, &args);
        let start = Instant::now();
        let out = command.output().expect("run shenhe report");
        let took = start.elapsed();
        check(&out, &args);
        took
    }

    fn describe(&self) -> String {
        let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
        let bundles: u64 = self.bundles.iter().map(|b| size(b)).sum();
        let Shape { cities, counties, schools } = self.shape;
        format!(
            "{cities} cities × {counties} counties × {schools} schools = {} schools; city bundles {:.1} MB in all, \
             the workbook {:.0} KB",
            cities * counties * schools,
            bundles as f64 / 1e6,
            size(&self.received.join("报表.xlsx")) as f64 / 1024.0
        )
    }
}

/// One county of the synthetic province: its place in it, code and names.
struct County {
    index: usize,
    city: usize,
    code: String,
    name: String,
}

impl County {
    /// County `index` of the province, the `index % counties`-th of its city: the city's first
    /// four digits, then 01–10.
    fn of(shape: Shape, index: usize) -> County {
        let (city, nth) = (index / shape.counties, index % shape.counties);
        let stem = CITY_NAMES[city].trim_end_matches('市');
        County {
            index,
            city,
            code: format!("{}{:02}", &city_code(city)[..4], nth + 1),
            name: format!("{stem}第{}区", ORDINALS[nth]),
        }
    }

    /// Imports its sheet, approves its clean schools and exports; returns its bundle and its
    /// allowed_signers line.
    fn report(&self, dir: &Path, schools: usize) -> (PathBuf, String) {
        let city = CITY_NAMES[self.city];
        let home = dir.join(format!("county-{}", self.code));
        std::fs::create_dir_all(&home).expect("county dir");
        let config = format!(
            "[county]\ncode = \"{}\"\nname = \"{}\"\ncity = \"{city}\"\n[auditor]\nname = \"张敏\"\nphone = \"0371-1\"\n",
            self.code, self.name
        );
        std::fs::write(home.join("config.toml"), config).expect("county config");
        // The counties take distinct ranges of school codes, as national codes are distinct.
        let county = (city, self.name.as_str(), self.code.as_str());
        let sheet = synthetic::numbered_county_sheet(county, schools, SEED ^ self.index as u64, self.index * schools);
        let csv = home.join(format!("{PERIOD}_{}.csv", self.name));
        std::fs::write(&csv, sheet).expect("write the sheet");
        ok(&home, &["import", &arg(&csv), "--period", PERIOD]);
        ok(&home, &["approve", "--period", PERIOD, "--all-clean"]);
        let bundle = exported(&home);
        (bundle, stdout(&ok(&home, &["key", "show", "--allowed-signers"])))
    }
}

/// City `city` receives its `counties`' `bundles` (trusting `signers`) and exports; returns its
/// bundle and its allowed_signers line.
fn city_report(dir: &Path, city: usize, counties: &[County], bundles: &[PathBuf], signers: &str) -> (PathBuf, String) {
    let home = dir.join(format!("city-{}", city_code(city)));
    std::fs::create_dir_all(&home).expect("city dir");
    let listed: Vec<String> =
        counties.iter().map(|c| format!("{{ code = \"{}\", name = \"{}\" }}", c.code, c.name)).collect();
    let config = format!(
        "level = \"city\"\n[city]\nname = \"{}\"\ncode = \"{}\"\nprovince = \"{PROVINCE}\"\ncounties = [{}]\n\
         [auditor]\nname = \"市审核员\"\nphone = \"0371-2\"\n[period]\nwindow = [6, 10]\n",
        CITY_NAMES[city],
        city_code(city),
        listed.join(", ")
    );
    std::fs::write(home.join("config.toml"), config).expect("city config");
    std::fs::write(home.join("allowed_signers"), signers).expect("city allowed_signers");
    ok(&home, &receive_args(bundles, false));
    let bundle = exported(&home);
    (bundle, stdout(&ok(&home, &["key", "show", "--allowed-signers"])))
}

/// `410100`, `410200`, … `411500`.
fn city_code(city: usize) -> String {
    format!("41{:02}00", city + 1)
}

fn export_args(home: &Path) -> Vec<String> {
    let out = arg(&home.join("out"));
    ["export", "--period", PERIOD, "--force", "--reason", "先行上报", "--out", &out, "--json"]
        .map(String::from)
        .to_vec()
}

/// Exports at `home`, forced, and returns the bundle's path.
fn exported(home: &Path) -> PathBuf {
    let v = json(&ok(home, &export_args(home)));
    PathBuf::from(v["bundle"].as_str().expect("the bundle's path"))
}

fn receive_args(bundles: &[PathBuf], json: bool) -> Vec<String> {
    let mut args = vec!["receive".to_string()];
    args.extend(bundles.iter().map(|b| arg(b)));
    if json {
        args.push("--json".into());
    }
    args
}

/// A province's home at `dir`: its config and trusted keys, no store yet.
fn province_home(dir: &Path, config: &str, signers: &str) -> PathBuf {
    std::fs::create_dir_all(dir).expect("province dir");
    std::fs::write(dir.join("config.toml"), config).expect("province config");
    std::fs::write(dir.join("allowed_signers"), signers).expect("province allowed_signers");
    dir.to_path_buf()
}

/// `f` over `items`, `workers` at a time; the results in the order of `items`.
fn in_parallel<T: Sync, R: Send>(workers: usize, items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, R)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break mine };
                        mine.push((i, f(item)));
                    }
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("setup worker")).collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

/// The release binary cargo built for this bench, run with `home` as its SHENHE_HOME, in the
/// default language.
fn shenhe<S: AsRef<str>>(home: &Path, args: &[S]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_shenhe"));
    command.args(args.iter().map(AsRef::as_ref)).env("SHENHE_HOME", home).env_remove("LANG");
    command
}

/// Runs shenhe at `home` and insists that it succeeds.
fn ok<S: AsRef<str>>(home: &Path, args: &[S]) -> Output {
    let out = shenhe(home, args).output().expect("run shenhe");
    check(&out, args);
    out
}

fn check<S: AsRef<str>>(out: &Output, args: &[S]) {
    let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    assert!(
        out.status.success(),
        "shenhe {args:?}: {}\n{}{}",
        out.status,
        stdout(out),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)))
}

fn arg(p: &Path) -> String {
    p.display().to_string()
}

#[path = "../tests/support/estimates.rs"]
mod estimates;
#[path = "../tests/support/splitmix.rs"]
mod splitmix;
#[path = "../tests/support/synthetic.rs"]
mod synthetic;
use estimates::{EstimatesFile, median_line, secs};
