//! What the user waits for, timed on the real binary: the whole `shenhe import` command (the
//! import and the checks it runs) beside the stock `sqlite3` CLI's `.import --csv` of the same
//! file in the same run, and the review screen from the moment the process starts until a
//! school's row is on a 120×40 pseudo-terminal (read back with the vt100 parser the screen
//! tests use), on a store of one period and on a store of twelve. On the twelve-period store it
//! also times the 13th period's import (a month like the others, and one in which every school
//! is drawn anew: the worst case for the checks against the previous month), a key press (`j`, until the position on the status line
//! moves), a search (`/` and pinyin initials, until the match count shows) and the screen
//! process's peak memory.
//!
//! `cargo bench --bench process`. The binary is `SHENHE_BIN` when set (e.g. the shipped
//! `target/release/shenhe`), else the one cargo builds for benches (the same code at
//! `opt-level = 3`, without LTO). The figures are reported, never asserted: this bench does
//! not fail because a machine is slow.

use std::cell::{OnceCell, RefCell};
use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use criterion::Criterion;
use portable_pty::{CommandBuilder, PtySize, native_pty_system};

/// Schools in each period when benchmarking, and when the bench only runs once to check that
/// it works (`cargo test --benches`).
const SCHOOLS: usize = 100_000;
const SCHOOLS_SMOKE: usize = 500;
/// The months of the year-long store; the 13th is imported into it.
const MONTHS: usize = 12;
const SEED: u64 = 0x5052_4f43_4553;
const SCREEN: (u16, u16) = (120, 40);
/// How long a step may take before the bench gives up on it.
const STEP: Duration = Duration::from_secs(60);
const CONFIG: &str = "[county]\ncode = \"410102\"\nname = \"中原区\"\ncity = \"郑州市\"\n\
                      [auditor]\nname = \"张敏\"\nphone = \"0371-12345678\"\n[backup]\nremind_after_days = 0\n";

fn main() {
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let schools = if benchmarking { SCHOOLS } else { SCHOOLS_SMOKE };
    let made: OnceCell<Fixture> = OnceCell::new();
    let fixture = || made.get_or_init(|| Fixture::make(schools));
    let runs: RefCell<Vec<(&'static str, Duration)>> = RefCell::new(Vec::new());
    let timed = |name: &'static str, took: Duration| {
        runs.borrow_mut().push((name, took));
        took
    };

    let mut c = Criterion::default().configure_from_args();
    {
        let mut group = c.benchmark_group("import_command_100k");
        group.sample_size(10).warm_up_time(Duration::from_secs(2)).measurement_time(Duration::from_secs(15));
        group.bench_function("shenhe_import", |b| {
            let f = fixture();
            b.iter_custom(|iters| (0..iters).map(|_| timed("shenhe_import", f.import_fresh())).sum())
        });
        if sqlite3_version().is_some() {
            group.bench_function("sqlite3_cli_import", |b| {
                let f = fixture();
                b.iter_custom(|iters| (0..iters).map(|_| timed("sqlite3_cli_import", f.sqlite3_import())).sum())
            });
        }
        group.bench_function("shenhe_import_13th_month", |b| {
            let f = fixture();
            b.iter_custom(|iters| (0..iters).map(|_| timed("shenhe_import_13th_month", f.import_13th(&f.next))).sum())
        });
        group.bench_function("shenhe_import_13th_month_redrawn", |b| {
            let f = fixture();
            b.iter_custom(|iters| {
                (0..iters).map(|_| timed("shenhe_import_13th_month_redrawn", f.import_13th(&f.redrawn))).sum()
            })
        });
        group.finish();
    }
    {
        let mut group = c.benchmark_group("screen_process_100k");
        group.sample_size(10).warm_up_time(Duration::from_secs(2)).measurement_time(Duration::from_secs(10));
        group.bench_function("first_frame_1_period", |b| {
            let f = fixture();
            b.iter_custom(|iters| (0..iters).map(|_| timed("first_frame_1_period", f.one.first_frame())).sum())
        });
        group.bench_function("first_frame_12_periods", |b| {
            let f = fixture();
            b.iter_custom(|iters| (0..iters).map(|_| timed("first_frame_12_periods", f.year.first_frame())).sum())
        });
        group.finish();
    }
    c.final_summary();
    let Some(f) = made.get() else { return };
    let runs = runs.into_inner();
    let median = |name: &str| {
        let mut secs: Vec<f64> = runs.iter().filter(|(n, _)| *n == name).map(|(_, d)| d.as_secs_f64()).collect();
        secs.sort_by(f64::total_cmp);
        (!secs.is_empty()).then(|| secs[secs.len() / 2])
    };
    println!();
    println!(
        "process: {} ({}), {} schools a period, {:.1} MB CSV; sqlite3 {}",
        f.binary.display(),
        binary_size(&f.binary),
        f.schools,
        f.csv_bytes as f64 / 1e6,
        sqlite3_version().unwrap_or_else(|| "not found".into())
    );
    for name in [
        "shenhe_import",
        "sqlite3_cli_import",
        "shenhe_import_13th_month",
        "shenhe_import_13th_month_redrawn",
        "first_frame_1_period",
        "first_frame_12_periods",
    ] {
        if let Some(m) = median(name) {
            let n = runs.iter().filter(|(r, _)| *r == name).count();
            println!("  {name:<26} median of all {n} timed runs {:>8.1} ms", m * 1e3);
        }
    }
    if let (Some(s), Some(q)) = (median("shenhe_import"), median("sqlite3_cli_import")) {
        println!("  import: shenhe / sqlite3 = {:.2}× (medians of this run)", s / q);
    }
    for (name, label) in
        [("shenhe_import_13th_month", ""), ("shenhe_import_13th_month_redrawn", ", every school redrawn")]
    {
        if let (Some(s), Some(q)) = (median(name), median("sqlite3_cli_import")) {
            println!("  13th month's import{label}: shenhe / sqlite3 = {:.2}×", s / q);
        }
    }
    for (store, label) in [(&f.one, "1 period"), (&f.year, "12 periods")] {
        let session = store.session();
        println!(
            "  screen on {label} ({:.0} MB store): first frame {:.1} ms; key j median {:.2} ms (max {:.2}) over {} presses; \
             search median {:.1} ms; peak memory {}",
            store.bytes() as f64 / 1e6,
            session.first_frame.as_secs_f64() * 1e3,
            session.key_median * 1e3,
            session.key_max * 1e3,
            session.keys,
            session.search_median * 1e3,
            session.peak.map_or("not measured".into(), |kb| format!("{} MB", kb / 1024)),
        );
    }
}

/// The files and homes the runs start from, in a temporary directory removed at the end.
struct Fixture {
    dir: tempfile::TempDir,
    binary: PathBuf,
    schools: usize,
    csv: PathBuf,
    csv_bytes: u64,
    /// The 13th month's sheet.
    next: PathBuf,
    /// A 13th month's sheet with every school drawn anew.
    redrawn: PathBuf,
    one: StoreHome,
    year: StoreHome,
}

impl Fixture {
    fn make(schools: usize) -> Fixture {
        let dir = tempfile::Builder::new().prefix("shenhe-bench-process-").tempdir().expect("temp dir");
        let binary =
            std::env::var_os("SHENHE_BIN").map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_shenhe")), PathBuf::from);
        // A year as real months are: the same schools, drifting a little (see
        // `synthetic::county_month_sheet`).
        let write = |name: &str, sheet: String| {
            let path = dir.path().join(name);
            std::fs::write(&path, sheet).expect("write a sheet");
            path
        };
        let sheet = |month: usize| {
            let month = u32::try_from(month).expect("a month");
            write(
                &format!("month-{month:02}.csv"),
                synthetic::county_month_sheet(synthetic::COUNTIES[0], schools, SEED, month),
            )
        };
        let csv = sheet(1);
        let csv_bytes = std::fs::metadata(&csv).expect("sheet").len();
        let one = StoreHome::new(&binary, dir.path().join("one"));
        one.import(&csv, "2026-01");
        let year = StoreHome::new(&binary, dir.path().join("year"));
        for month in 1..=MONTHS {
            year.import(&sheet(month), &format!("2026-{month:02}"));
        }
        let next = sheet(MONTHS + 1);
        // The worst case: a 13th month in which every school is drawn anew, so the checks
        // against the previous month open findings for most of them.
        let redrawn = write("redrawn.csv", synthetic::county_sheet(synthetic::COUNTIES[0], schools, SEED));
        Fixture { dir, binary, schools, csv, csv_bytes, next, redrawn, one, year }
    }

    /// `shenhe import` of the sheet into a new store, from spawn to exit.
    fn import_fresh(&self) -> Duration {
        let home = StoreHome::new(&self.binary, self.dir.path().join("fresh"));
        let took = home.import(&self.csv, "2026-01");
        drop(home);
        took
    }

    /// `shenhe import` of the 13th month into a copy of the year-long store (the copy is not
    /// timed).
    fn import_13th(&self, sheet: &Path) -> Duration {
        let home = self.year.copy(self.dir.path().join("thirteenth"));
        home.import(sheet, "2027-01")
    }

    /// `sqlite3 :memory: ".import --csv FILE t"`, from spawn to exit.
    fn sqlite3_import(&self) -> Duration {
        let start = Instant::now();
        let out = Command::new("sqlite3")
            .arg(":memory:")
            .arg(format!(".import --csv \"{}\" t", self.csv.display()))
            .arg("SELECT count(*) FROM t;")
            .output()
            .expect("run sqlite3");
        let took = start.elapsed();
        assert!(out.status.success(), "sqlite3 .import failed: {}", String::from_utf8_lossy(&out.stderr));
        took
    }
}

/// A `SHENHE_HOME` of its own: the config, the store.
struct StoreHome {
    binary: PathBuf,
    home: PathBuf,
}

impl Drop for StoreHome {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

impl StoreHome {
    fn new(binary: &Path, home: PathBuf) -> StoreHome {
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir_all(&home).expect("home");
        std::fs::write(home.join("config.toml"), CONFIG).expect("config");
        StoreHome { binary: binary.to_path_buf(), home }
    }

    fn copy(&self, to: PathBuf) -> StoreHome {
        let copy = StoreHome::new(&self.binary, to);
        for name in ["shenhe.db", "shenhe.db-wal"] {
            if self.home.join(name).exists() {
                std::fs::copy(self.home.join(name), copy.home.join(name)).expect("copy the store");
            }
        }
        copy
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.binary);
        command.env("SHENHE_HOME", &self.home).env("USER", "bench").env_remove("LANG");
        command
    }

    fn import(&self, csv: &Path, period: &str) -> Duration {
        let start = Instant::now();
        let out = self.command().arg("import").arg(csv).args(["--period", period]).output().expect("run shenhe");
        let took = start.elapsed();
        assert!(out.status.success(), "import failed: {}", String::from_utf8_lossy(&out.stderr));
        took
    }

    fn bytes(&self) -> u64 {
        std::fs::metadata(self.home.join("shenhe.db")).map_or(0, |m| m.len())
    }

    /// The screen from spawn until a school's row is drawn; then quits.
    fn first_frame(&self) -> Duration {
        let screen = Pty::open(self);
        let took = screen.first_frame();
        screen.quit();
        took
    }

    /// A longer session: the first frame, 30 presses of `j`, a search, the peak memory.
    fn session(&self) -> Session {
        let mut screen = Pty::open(self);
        let first_frame = screen.first_frame();
        let mut keys = Vec::new();
        for _ in 0..30 {
            let before = position(&screen.contents());
            let start = Instant::now();
            screen.send(b"j");
            screen.wait_for(|s| position(s) != before);
            keys.push(start.elapsed().as_secs_f64());
        }
        let mut searches = Vec::new();
        for query in ["zyq", "xx", "zx"] {
            let start = Instant::now();
            screen.send(format!("/{query}").as_bytes());
            screen.wait_for(|s| s.contains(&format!("{query}  (")));
            searches.push(start.elapsed().as_secs_f64());
            screen.send(b"\x1b");
            std::thread::sleep(Duration::from_millis(100));
        }
        let peak = screen.peak_kb();
        screen.quit();
        keys.sort_by(f64::total_cmp);
        searches.sort_by(f64::total_cmp);
        Session {
            first_frame,
            key_median: keys[keys.len() / 2],
            key_max: keys[keys.len() - 1],
            keys: keys.len(),
            search_median: searches[searches.len() / 2],
            peak,
        }
    }
}

struct Session {
    first_frame: Duration,
    key_median: f64,
    key_max: f64,
    keys: usize,
    search_median: f64,
    peak: Option<u64>,
}

/// The first line of the screen that is a school's row (starts with its code, after the
/// selection and state columns).
fn school_row(screen: &str) -> Option<&str> {
    screen.lines().find(|l| l.split_whitespace().any(|w| w.len() == 10 && w.bytes().all(|b| b.is_ascii_digit())))
}

/// The status line's "n/N" (as `ui_list_position` writes it): the last such word on the screen.
fn position(screen: &str) -> Option<String> {
    let is_position = |w: &&str| {
        w.split_once('/').is_some_and(|(n, total)| {
            !n.is_empty() && !total.is_empty() && (n.bytes().chain(total.bytes())).all(|b| b.is_ascii_digit())
        })
    };
    screen.lines().rev().find_map(|l| l.split_whitespace().rev().find(is_position).map(str::to_string))
}

/// shenhe in a pseudo-terminal, read back through vt100.
struct Pty {
    parser: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    start: Instant,
    _master: Box<dyn portable_pty::MasterPty + Send>,
}

impl Pty {
    fn open(home: &StoreHome) -> Pty {
        let (cols, rows) = SCREEN;
        let pty =
            native_pty_system().openpty(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 }).expect("open a pty");
        let mut cmd = CommandBuilder::new(&home.binary);
        cmd.env_clear();
        cmd.env("SHENHE_HOME", &home.home);
        cmd.env("TERM", "xterm-256color");
        cmd.env("USER", "bench");
        let parser = Arc::new(Mutex::new(vt100::Parser::new(
            NonZeroU16::new(rows).expect("rows"),
            NonZeroU16::new(cols).expect("cols"),
            0,
        )));
        let mut reader = pty.master.try_clone_reader().expect("pty reader");
        let writer = pty.master.take_writer().expect("pty writer");
        let start = Instant::now();
        let child = pty.slave.spawn_command(cmd).expect("spawn shenhe");
        drop(pty.slave);
        let feed = Arc::clone(&parser);
        std::thread::spawn(move || {
            let mut buf = [0u8; 16384];
            while let Ok(n @ 1..) = reader.read(&mut buf) {
                feed.lock().expect("parser").process(&buf[..n]);
            }
        });
        Pty { parser, writer, child, start, _master: pty.master }
    }

    fn contents(&self) -> String {
        self.parser.lock().expect("parser").screen().contents()
    }

    fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("write to the pty");
        self.writer.flush().expect("flush the pty");
    }

    /// Waits (polling the parsed screen) until `done` holds.
    fn wait_for(&self, done: impl Fn(&str) -> bool) {
        let since = Instant::now();
        while !done(&self.contents()) {
            assert!(since.elapsed() < STEP, "the screen did not get there:\n{}", self.contents());
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    /// Waits until a school's row is drawn: the time since the process was started.
    fn first_frame(&self) -> Duration {
        self.wait_for(|s| school_row(s).is_some());
        self.start.elapsed()
    }

    /// The screen process's peak resident memory (Linux: `VmHWM`).
    fn peak_kb(&self) -> Option<u64> {
        let pid = self.child.process_id()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?.trim().trim_end_matches("kB").trim().parse().ok()
    }

    fn quit(mut self) {
        self.send(b"q");
        let _ = self.child.wait();
    }
}

fn sqlite3_version() -> Option<String> {
    let out = Command::new("sqlite3").arg("-version").output().ok().filter(|o| o.status.success())?;
    Some(String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap_or("?").to_string())
}

fn binary_size(binary: &Path) -> String {
    std::fs::metadata(binary).map_or("?".into(), |m| format!("{:.2} MB", m.len() as f64 / 1e6))
}

#[path = "../tests/support/splitmix.rs"]
mod splitmix;
#[path = "../tests/support/synthetic.rs"]
mod synthetic;
