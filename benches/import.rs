//! Import throughput: 100,000 schools from one UTF-8 CSV into a fresh store, beside the stock
//! `sqlite3` CLI loading the same file with `.import --csv` (untyped, in memory, no checks) as
//! a floor. Also reports the import's peak memory, measured in a child process of this bench.
//!
//! `cargo bench --bench import`. The figures are reported, never asserted: this bench does not
//! fail because a machine is slow.

use std::cell::{OnceCell, RefCell};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::Criterion;
use shenhe::import::{ImportRequest, import_files};
use shenhe::store::Store;

/// Schools in the generated file when benchmarking.
const SCHOOLS: usize = 100_000;
/// Schools when the bench only runs once to check it works (`cargo test --benches`).
const SCHOOLS_SMOKE: usize = 1_000;
const GROUP: &str = "import_100k";
const SHENHE: &str = "shenhe_import";
const SQLITE3: &str = "sqlite3_cli_import";
/// The generator's seed: the same file on every run.
const SEED: u64 = 0x5348_454e_4845;
/// Set in the child process that measures peak memory; the value is what it should do.
const CHILD_ENV: &str = "SHENHE_BENCH_CHILD";
/// The CSV the memory child imports.
const CSV_ENV: &str = "SHENHE_BENCH_CSV";

const HEADER: &str = "学校标识码,学校名称,所属市州,所属县区,行政区划代码,办学类型,城乡类型,学校状态,填报状态,填报时间,\
班级数,教师数,学生数,是否接入互联网,接入方式,出口带宽,无线网络覆盖,普通教室数,多媒体教室数,教师终端数,学生终端数,填报人,联系电话";

fn main() {
    if let Ok(what) = std::env::var(CHILD_ENV) {
        child(&what);
        return;
    }
    // `--bench` is what `cargo bench` passes; without it criterion runs each function once as a
    // test, so a small file will do and the extra figures are skipped.
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let schools = if benchmarking { SCHOOLS } else { SCHOOLS_SMOKE };
    // Criterion's estimates of this run are the files that change during it.
    let before = [SHENHE, SQLITE3].map(|n| EstimatesFile::look(GROUP, n));

    // Made on first use, so `--list` or a filter that matches nothing costs nothing.
    let made: OnceCell<Fixture> = OnceCell::new();
    let fixture = || made.get_or_init(|| Fixture::generate(schools));
    let sqlite3 = sqlite3_version();
    let shenhe_runs = RefCell::new(Vec::new());
    let sqlite3_runs = RefCell::new(Vec::new());

    let mut c = Criterion::default().configure_from_args();
    {
        let mut group = c.benchmark_group(GROUP);
        // One import is a second or two: ten samples of one import each, after a warm-up
        // that also fills the page cache with the CSV.
        group.sample_size(10).warm_up_time(Duration::from_secs(3)).measurement_time(Duration::from_secs(20));
        group.bench_function(SHENHE, |b| {
            let fixture = fixture();
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let took = fixture.shenhe_import();
                    shenhe_runs.borrow_mut().push(took);
                    total += took;
                }
                total
            })
        });
        match &sqlite3 {
            Some(_) => {
                group.bench_function(SQLITE3, |b| {
                    let fixture = fixture();
                    b.iter_custom(|iters| {
                        let mut total = Duration::ZERO;
                        for _ in 0..iters {
                            let took = fixture.sqlite3_import();
                            sqlite3_runs.borrow_mut().push(took);
                            total += took;
                        }
                        total
                    })
                });
            }
            None => println!("{GROUP}/{SQLITE3}: skipped, no `sqlite3` on PATH"),
        }
        group.finish();
    }
    c.final_summary();

    if !benchmarking {
        return;
    }
    let Some(fixture) = made.get() else { return };
    let [shenhe_before, sqlite3_before] = before;
    let shenhe = Figure::of(SHENHE, &shenhe_runs.into_inner(), &shenhe_before);
    let sqlite3_figure = Figure::of(SQLITE3, &sqlite3_runs.into_inner(), &sqlite3_before);

    println!();
    println!(
        "{GROUP}: {} rows, {:.1} MB CSV; sqlite3: {}",
        fixture.schools,
        fixture.bytes as f64 / 1e6,
        sqlite3.as_deref().unwrap_or("not found")
    );
    for f in [&shenhe, &sqlite3_figure].into_iter().flatten() {
        println!("  {}", f.line(fixture.schools));
    }
    match (&shenhe, &sqlite3_figure) {
        (Some(s), Some(q)) => println!(
            "{GROUP}: shenhe median {} vs sqlite3 median {}: ratio {:.2}× (shenhe / sqlite3)",
            secs(s.median),
            secs(q.median),
            s.median / q.median
        ),
        (Some(s), None) => println!("{GROUP}: shenhe median {} (no sqlite3 figure to compare)", secs(s.median)),
        _ => {}
    }
    peak_memory(&fixture.csv);
}

/// The generated CSV, in a temporary directory removed at the end.
struct Fixture {
    dir: tempfile::TempDir,
    csv: PathBuf,
    schools: usize,
    bytes: u64,
}

impl Fixture {
    fn generate(schools: usize) -> Fixture {
        let dir = tempfile::Builder::new().prefix("shenhe-bench-").tempdir().expect("temp dir");
        let csv = dir.path().join("schools.csv");
        let text = csv_text(schools, SEED);
        std::fs::write(&csv, &text).expect("write CSV");
        Fixture { dir, csv, schools, bytes: text.len() as u64 }
    }

    /// One import into a fresh store; only `import_files` is timed, not creating the store
    /// (schema migrations) nor closing it (the WAL checkpoint) nor removing it.
    fn shenhe_import(&self) -> Duration {
        let db = tempfile::Builder::new().prefix("db-").tempdir_in(self.dir.path()).expect("db dir");
        let mut store = Store::open(&db.path().join("shenhe.db")).expect("open store");
        let req = request(&self.csv);
        let start = Instant::now();
        let summary = import_files(&mut store, &req, &mut |_| {}).expect("import");
        let took = start.elapsed();
        assert_eq!(summary.new_schools, self.schools as u64, "every school is new");
        drop(store);
        took
    }

    /// `sqlite3 :memory: ".import --csv FILE t"`, timed from spawn to exit.
    fn sqlite3_import(&self) -> Duration {
        let start = Instant::now();
        let out = Command::new("sqlite3")
            .arg(":memory:")
            .arg(format!(".import --csv \"{}\" t", self.csv.display()))
            .arg("SELECT count(*) FROM t;")
            .output()
            .expect("run sqlite3");
        let took = start.elapsed();
        let rows = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && rows.trim() == self.schools.to_string(),
            "sqlite3 .import failed ({}): {rows} {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        took
    }
}

fn request(csv: &Path) -> ImportRequest {
    ImportRequest {
        period: "2026Q3".parse().expect("period"),
        files: vec![csv.to_path_buf()],
        sheets: vec![],
        actor: "bench".into(),
        at: "2026-10-02T09:00:00+08:00".into(),
        limits: Default::default(),
        held_below: Default::default(),
    }
}

fn sqlite3_version() -> Option<String> {
    let out = Command::new("sqlite3").arg("-version").output().ok().filter(|o| o.status.success())?;
    let v = String::from_utf8_lossy(&out.stdout);
    Some(v.split_whitespace().next().unwrap_or("?").to_string())
}

/// What the executable does when [`CHILD_ENV`] is set, with [`CSV_ENV`] naming the file:
/// - `memory`: one import of the file into a fresh store, then this process's peak RSS (the
///   parent's "peak memory" figure). Also handy under `perf record`: it is one import and no more.
/// - `write-csv`: writes the 100,000-school file there and exits, to try `shenhe import` by hand.
fn child(what: &str) {
    let csv = PathBuf::from(std::env::var_os(CSV_ENV).unwrap_or_else(|| panic!("{CSV_ENV} is not set")));
    match what {
        "memory" => {
            let dir = tempfile::Builder::new().prefix("shenhe-bench-mem-").tempdir().expect("temp dir");
            let mut store = Store::open(&dir.path().join("shenhe.db")).expect("open store");
            let start = Instant::now();
            let summary = import_files(&mut store, &request(&csv), &mut |_| {}).expect("import");
            let took = start.elapsed();
            drop(store);
            let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
            let hwm = status.lines().find_map(|l| l.strip_prefix("VmHWM:")).expect("VmHWM").trim();
            println!("rows={} import={:.3}s VmHWM={hwm}", summary.new_schools, took.as_secs_f64());
        }
        "write-csv" => std::fs::write(&csv, csv_text(SCHOOLS, SEED)).expect("write CSV"),
        other => panic!("unknown {CHILD_ENV}={other}: expected memory or write-csv"),
    }
}

fn peak_memory(csv: &Path) {
    if !cfg!(target_os = "linux") {
        println!("peak memory: not measured (reads /proc/self/status, Linux only)");
        return;
    }
    let out =
        std::env::current_exe().and_then(|exe| Command::new(exe).env(CHILD_ENV, "memory").env(CSV_ENV, csv).output());
    // The child prints `rows=… import=… VmHWM=N kB`.
    let line = out.as_ref().ok().filter(|o| o.status.success()).and_then(|o| {
        let text = String::from_utf8_lossy(&o.stdout);
        text.lines().find(|l| l.contains("VmHWM=")).map(str::to_string)
    });
    let field = |line: &str, key: &str| {
        line.split_whitespace().find_map(|w| w.strip_prefix(key)).map(str::to_string).unwrap_or_default()
    };
    let kb = line.as_deref().and_then(|l| field(l, "VmHWM=").parse::<u64>().ok());
    match (kb, line, out) {
        (Some(kb), Some(line), _) => println!(
            "peak memory: {} MB (VmHWM of a child process doing one import of {} rows, which took {} s)",
            kb / 1024,
            field(&line, "rows="),
            field(&line, "import=").trim_end_matches('s')
        ),
        (_, _, Ok(o)) => println!(
            "peak memory: not measured, the child failed ({}): {}",
            o.status,
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        (_, _, Err(e)) => println!("peak memory: not measured, could not start the child: {e}"),
    }
}

/// One function's result: criterion's median and its 95% confidence interval when its
/// estimates are found, else the median of every timed run (warm-up included).
struct Figure {
    name: &'static str,
    median: f64,
    interval: Option<(f64, f64)>,
    runs: usize,
}

impl Figure {
    fn of(name: &'static str, runs: &[Duration], before: &EstimatesFile) -> Option<Figure> {
        if runs.is_empty() {
            return None;
        }
        let mut secs: Vec<f64> = runs.iter().map(Duration::as_secs_f64).collect();
        secs.sort_by(f64::total_cmp);
        let own = if secs.len() % 2 == 1 {
            secs[secs.len() / 2]
        } else {
            (secs[secs.len() / 2 - 1] + secs[secs.len() / 2]) / 2.0
        };
        let (median, interval) = match before.median_if_rewritten() {
            Some((m, lo, hi)) => (m, Some((lo, hi))),
            None => (own, None),
        };
        Some(Figure { name, median, interval, runs: runs.len() })
    }

    fn line(&self, rows: usize) -> String {
        let mut s = format!("{:<20} median {}", self.name, secs(self.median));
        match self.interval {
            Some((lo, hi)) => {
                let spread = (hi - lo) / self.median * 100.0;
                let _ = write!(s, "  95% CI [{} .. {}] (±{:.1}%)", secs(lo), secs(hi), spread / 2.0);
            }
            None => s.push_str("  (own median of all timed runs; criterion estimates not found)"),
        }
        let _ = write!(s, "  {:.0} rows/s, {} timed runs", rows as f64 / self.median, self.runs);
        s
    }
}

#[path = "../tests/support/splitmix.rs"]
mod splitmix;
use splitmix::SplitMix as Rng;
#[path = "../tests/support/estimates.rs"]
mod estimates;
#[path = "../tests/support/synthetic.rs"]
mod synthetic;
use estimates::{EstimatesFile, secs};
use synthetic::{Kind, contact, draw_school};

fn csv_text(schools: usize, seed: u64) -> String {
    let mut rng = Rng(seed);
    let mut out = String::with_capacity(schools * 260);
    out.push_str(HEADER);
    out.push('\n');
    for i in 0..schools {
        let ((city, county, county_code), &Kind { label: kind, category, students: (lo, hi), .. }, name) =
            draw_school(&mut rng);
        let urban = if kind == "教学点" { "乡村" } else { rng.pick(&["城区", "镇区", "乡村", "乡村"]) };
        let students = rng.range(lo, hi);
        let classes = (students / rng.range(30, 50)).max(1);
        let teachers = (students / rng.range(12, 20)).max(1);
        let classrooms = classes + rng.range(0, 4);
        let multimedia = classrooms.saturating_sub(rng.range(0, 3));
        let teacher_devices = teachers + rng.range(0, 10);
        let student_devices = students / rng.range(5, 15);
        let connected = !rng.chance(2);
        let (access, bandwidth) = if connected {
            ("光纤", rng.pick(&["100", "200", "300", "500", "1000"]).to_string())
        } else {
            ("", String::new())
        };
        let wifi = rng.pick(&["是", "是", "部分", "否"]);
        let submitted = format!(
            "2026-09-{:02} {:02}:{:02}:{:02}",
            rng.range(15, 30),
            rng.range(8, 21),
            rng.range(0, 59),
            rng.range(0, 59)
        );
        let (contact, phone) = contact(&mut rng);
        let _ = writeln!(
            out,
            "{category}41{i:06},{name},{city},{county},{county_code},{kind},{urban},正常,已填报,{submitted},\
             {classes},{teachers},{students},{},{access},{bandwidth},{wifi},{classrooms},{multimedia},\
             {teacher_devices},{student_devices},{contact},{phone}",
            if connected { "是" } else { "否" },
        );
    }
    out
}
