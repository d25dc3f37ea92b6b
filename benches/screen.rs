//! The review screen over 100,000 schools (issue targets: a key press that moves or pages,
//! updated and rendered, under 5 ms median; search and filter under 30 ms; open to first frame
//! under 150 ms; peak memory under 60 MB). Also reports the screen's peak memory, measured in a
//! child process of this bench.
//!
//! `cargo bench --bench screen`. The figures are reported, never asserted: this bench does not
//! fail because a machine is slow.
//!
//! The store holds two quarters of the same 100,000 schools (so the detail pane reads a
//! previous period too) with the checks run on both. Every timed key press is followed by one
//! frame as the runner draws it: resize, refresh (the on-screen rows, and the detail when it is
//! shown, read from the store), draw into a `TestBackend`. 80×24 shows the list alone; 120×40
//! shows the highlighted school's detail beside it, read again whenever the highlight moves.

use std::cell::{OnceCell, RefCell};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use shenhe::app::{App, Key, KeyCode, Settings};
use shenhe::config::Config;
use shenhe::domain::Period;
use shenhe::i18n::Lang;
use shenhe::import::{ImportRequest, import_files};
use shenhe::rules::check_period;
use shenhe::store::Store;

/// Schools in the generated store when benchmarking.
const SCHOOLS: usize = 100_000;
/// Schools when the bench only runs once to check it works (`cargo test --benches`).
const SCHOOLS_SMOKE: usize = 2_000;
const GROUP: &str = "screen_100k";
/// The generator's seed: the same store on every run.
const SEED: u64 = 0x5343_5245_454e;
/// The two quarters, oldest first; the screen opens on the newest.
const PERIODS: [&str; 2] = ["2026Q2", "2026Q3"];
const AT: &str = "2026-10-02T09:00:00+08:00";
const ACTOR: &str = "bench";
/// Terminal sizes: the list alone, and the list with the detail beside it.
const NARROW: (u16, u16) = (80, 24);
const WIDE: (u16, u16) = (120, 40);
/// Set in the child process that measures peak memory; the value is what it should do.
const CHILD_ENV: &str = "SHENHE_BENCH_CHILD";
/// The store the memory child opens.
const STORE_ENV: &str = "SHENHE_BENCH_STORE";

const HEADER: &str = "学校标识码,学校名称,所属市州,所属县区,行政区划代码,办学类型,城乡类型,学校状态,填报状态,填报时间,\
班级数,教师数,学生数,是否接入互联网,接入方式,出口带宽,无线网络覆盖,普通教室数,多媒体教室数,教师终端数,学生终端数,填报人,联系电话";

/// Key sequences.
const DOWN: &[KeyCode] = &[KeyCode::Char('j')];
const UP: &[KeyCode] = &[KeyCode::Char('k')];
const PAGE_DOWN: &[KeyCode] = &[KeyCode::PageDown];
const PAGE_UP: &[KeyCode] = &[KeyCode::PageUp];
/// Pinyin initials of 中原区, typed into the search line, then Esc (back to where it was).
const SEARCH_PINYIN: &[KeyCode] =
    &[KeyCode::Char('/'), KeyCode::Char('z'), KeyCode::Char('y'), KeyCode::Char('q'), KeyCode::Esc];
/// The search line opened, one letter typed, the search line closed: for one keystroke's search.
const SEARCH_OPEN: &[KeyCode] = &[KeyCode::Char('/')];
const SEARCH_CLOSE: &[KeyCode] = &[KeyCode::Esc];
const Z: &[KeyCode] = &[KeyCode::Char('z')];
const Y: &[KeyCode] = &[KeyCode::Char('y')];
const Q: &[KeyCode] = &[KeyCode::Char('q')];
/// A piece of the name, as an input method commits it one character at a time.
const SEARCH_NAME: &[KeyCode] = &[KeyCode::Char('/'), KeyCode::Char('红'), KeyCode::Char('旗'), KeyCode::Esc];
/// The filter menu, Enter on its first item (state 未填报), close.
const FILTER_FIRST: &[KeyCode] = &[KeyCode::Char('F'), KeyCode::Enter, KeyCode::Esc];

/// One benchmark: a screen of `size`, and the steps each iteration takes in turn. Only the
/// steps marked timed count; the others put the screen back (a filter toggled off again).
struct Case {
    name: &'static str,
    size: (u16, u16),
    steps: &'static [(&'static [KeyCode], bool)],
    /// The target for the median, in ms.
    target_ms: f64,
}

const CASES: &[Case] = &[
    Case { name: "key_move", size: NARROW, steps: &[(DOWN, true), (UP, true)], target_ms: 5.0 },
    Case { name: "key_page", size: NARROW, steps: &[(PAGE_DOWN, true), (PAGE_UP, true)], target_ms: 5.0 },
    Case { name: "key_move_wide", size: WIDE, steps: &[(DOWN, true), (UP, true)], target_ms: 5.0 },
    Case { name: "key_page_wide", size: WIDE, steps: &[(PAGE_DOWN, true), (PAGE_UP, true)], target_ms: 5.0 },
    Case { name: "search_pinyin", size: NARROW, steps: &[(SEARCH_PINYIN, true)], target_ms: 30.0 },
    // Each letter of `zyq` alone: the search the list re-runs on every keystroke.
    Case {
        name: "search_keystroke",
        size: NARROW,
        steps: &[(SEARCH_OPEN, false), (Z, true), (Y, true), (Q, true), (SEARCH_CLOSE, false)],
        target_ms: 30.0,
    },
    Case { name: "search_name", size: NARROW, steps: &[(SEARCH_NAME, true)], target_ms: 30.0 },
    Case { name: "search_pinyin_wide", size: WIDE, steps: &[(SEARCH_PINYIN, true)], target_ms: 30.0 },
    Case { name: "filter_on", size: NARROW, steps: &[(FILTER_FIRST, true), (FILTER_FIRST, false)], target_ms: 30.0 },
    Case { name: "filter_off", size: NARROW, steps: &[(FILTER_FIRST, false), (FILTER_FIRST, true)], target_ms: 30.0 },
];

const OPEN: &str = "open_to_first_frame";
const OPEN_WIDE: &str = "open_to_first_frame_wide";
const OPEN_TARGET_MS: f64 = 150.0;

fn main() {
    if let Ok(what) = std::env::var(CHILD_ENV) {
        child(&what);
        return;
    }
    // `--bench` is what `cargo bench` passes; without it criterion runs each function once as a
    // test, so a small store will do and the extra figures are skipped.
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let schools = if benchmarking { SCHOOLS } else { SCHOOLS_SMOKE };
    let names: Vec<&str> = [OPEN, OPEN_WIDE].into_iter().chain(CASES.iter().map(|c| c.name)).collect();
    // Criterion's estimates of this run are the files that change during it.
    let before: Vec<EstimatesFile> = names.iter().map(|n| EstimatesFile::look(GROUP, n)).collect();

    // Made on first use, so `--list` or a filter that matches nothing costs nothing.
    let made: OnceCell<Fixture> = OnceCell::new();
    let fixture = || made.get_or_init(|| Fixture::generate(schools));
    let first_search: RefCell<Option<Duration>> = RefCell::new(None);
    // Each open's whole index, read after its first frame (as the runner reads it).
    let whole_index: RefCell<Vec<Duration>> = RefCell::new(Vec::new());

    let mut c = Criterion::default().configure_from_args();
    {
        let mut group = c.benchmark_group(GROUP);
        // An open reads the whole index (100,000 rows): ten samples.
        group.sample_size(10).warm_up_time(Duration::from_secs(2)).measurement_time(Duration::from_secs(10));
        for (name, size) in [(OPEN, NARROW), (OPEN_WIDE, WIDE)] {
            group.bench_function(name, |b| {
                let fixture = fixture();
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let (screen, first_frame, whole) = Screen::open_timed(&fixture.store, size);
                        total += first_frame;
                        whole_index.borrow_mut().push(whole);
                        // Closing the store is not part of opening it.
                        drop(screen);
                    }
                    total
                })
            });
        }
        group.sample_size(50).warm_up_time(Duration::from_secs(2)).measurement_time(Duration::from_secs(5));
        for case in CASES {
            bench_case(&mut group, case, || fixture(), &first_search);
        }
        group.finish();
    }
    c.final_summary();

    if !benchmarking {
        return;
    }
    let Some(fixture) = made.get() else { return };
    println!();
    println!(
        "{GROUP}: {} schools in each of {} and {}, {} findings open in {}; store {:.1} MB",
        fixture.schools,
        PERIODS[0],
        PERIODS[1],
        fixture.findings,
        PERIODS[1],
        fixture.bytes as f64 / 1e6
    );
    let mut whole = whole_index.into_inner();
    whole.sort();
    if let Some(median) = whole.get(whole.len() / 2) {
        println!(
            "  open to the whole index read (after the first frame, before the first key): median {:.1} ms over {} opens",
            median.as_secs_f64() * 1e3,
            whole.len()
        );
    }
    if let Some(took) = *first_search.borrow() {
        println!(
            "  first search keystroke (also prepares the pinyin index of every school, once): {}",
            ms(took.as_secs_f64())
        );
    }
    for (name, before) in names.iter().zip(&before) {
        let target = CASES.iter().find(|c| c.name == *name).map_or(OPEN_TARGET_MS, |c| c.target_ms);
        let keys: usize = CASES
            .iter()
            .find(|c| c.name == *name)
            .map_or(0, |c| c.steps.iter().find(|(_, timed)| *timed).map_or(0, |(keys, _)| keys.len()));
        match before.median_if_rewritten() {
            Some((median, lo, hi)) => {
                let mut line = format!(
                    "  {name:<26} median {:>9}  95% CI [{} .. {}]  target < {target} ms: {}",
                    ms(median),
                    ms(lo),
                    ms(hi),
                    if median * 1e3 < target { "met" } else { "MISSED" }
                );
                if keys > 1 {
                    let _ = write!(line, "  ({keys} key presses and frames, {} each)", ms(median / keys as f64));
                }
                println!("{line}");
            }
            None => println!("  {name:<26} not measured in this run (or criterion's estimates not found)"),
        }
    }
    peak_memory(&fixture.store);
}

/// One criterion function for `case`: a screen opened once (outside the timing), the cursor put
/// in the middle of the list, then the case's steps in turn, each key press followed by a frame.
fn bench_case<'a>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    case: &Case,
    fixture: impl Fn() -> &'a Fixture,
    first_search: &RefCell<Option<Duration>>,
) {
    let mut screen: Option<Screen> = None;
    let mut next = 0;
    group.bench_function(case.name, |b| {
        let screen = screen.get_or_insert_with(|| {
            let mut s = Screen::open(&fixture().store, case.size);
            let middle = s.app.view.len() / 2;
            s.app.move_to(middle);
            s.frame();
            // The first search prepares what it searches: time it once, apart, so the loop
            // below measures the steady state.
            if case.steps.iter().any(|(keys, _)| keys.first() == Some(&KeyCode::Char('/'))) {
                let took = s.keys(&SEARCH_PINYIN[..2]);
                first_search.borrow_mut().get_or_insert(took);
                s.keys(&[KeyCode::Esc]);
            }
            s
        });
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut done = 0;
            while done < iters {
                let (keys, timed) = case.steps[next % case.steps.len()];
                next += 1;
                let took = screen.keys(keys);
                if timed {
                    total += took;
                    done += 1;
                }
            }
            total
        })
    });
}

/// The review screen in a test terminal, driven as the runner drives it.
struct Screen {
    app: App,
    terminal: Terminal<TestBackend>,
}

impl Screen {
    /// Opens the store and the screen on its newest period, and draws the first frame.
    fn open(store: &Path, size: (u16, u16)) -> Screen {
        Screen::open_timed(store, size).0
    }

    /// [`Screen::open`] as the runner does it: the first frame from the first page of the
    /// list, then the whole index before the first key. How long until the first frame was
    /// drawn, and until the index was whole.
    fn open_timed(store: &Path, (width, height): (u16, u16)) -> (Screen, Duration, Duration) {
        let start = Instant::now();
        let settings = Settings::new(&Config::default(), Lang::Zh, ACTOR.to_string(), String::new(), false);
        let store = Store::open(store).expect("open store");
        let app = App::open_first_frame(store, None, settings).expect("open screen");
        let terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
        let mut screen = Screen { app, terminal };
        screen.frame();
        let first_frame = start.elapsed();
        screen.app.finish_opening().expect("read the whole index");
        (screen, first_frame, start.elapsed())
    }

    /// One frame, as the runner's loop draws it before it waits for the next key.
    fn frame(&mut self) {
        let size = self.terminal.size().expect("terminal size");
        self.app.resize(shenhe::ui::list_height(size), shenhe::ui::is_wide(size.width));
        self.app.refresh().expect("refresh from the store");
        self.terminal.draw(|f| shenhe::ui::draw(f, &self.app)).expect("draw");
    }

    /// Each key, then a frame; how long it all took.
    fn keys(&mut self, keys: &[KeyCode]) -> Duration {
        let start = Instant::now();
        for &code in keys {
            self.app.on_key(Key::plain(code));
            self.frame();
        }
        start.elapsed()
    }
}

/// The store, with both quarters imported and checked, in a temporary directory removed at the end.
struct Fixture {
    _dir: tempfile::TempDir,
    store: PathBuf,
    schools: usize,
    findings: usize,
    bytes: u64,
}

impl Fixture {
    fn generate(schools: usize) -> Fixture {
        let start = Instant::now();
        let dir = tempfile::Builder::new().prefix("shenhe-bench-screen-").tempdir().expect("temp dir");
        let path = dir.path().join("shenhe.db");
        let mut store = Store::open(&path).expect("create store");
        let sheets = sheets(schools, SEED);
        let mut findings = 0;
        for (period, text) in PERIODS.iter().zip(&sheets) {
            let period: Period = period.parse().expect("period");
            let csv = dir.path().join(format!("{period}.csv"));
            std::fs::write(&csv, text).expect("write CSV");
            let request = ImportRequest::new(period, vec![csv], ACTOR, AT);
            import_files(&mut store, &request, &mut |_| {}).expect("import");
            findings = check_period(&mut store, period, &Config::default().rules, AT, ACTOR).expect("check").findings;
        }
        drop(store);
        let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        eprintln!(
            "{GROUP}: made a store of {schools} schools × {} periods ({findings} findings) in {:.1} s",
            PERIODS.len(),
            start.elapsed().as_secs_f64()
        );
        Fixture { _dir: dir, store: path, schools, findings, bytes }
    }
}

/// What the executable does when [`CHILD_ENV`] is set, with [`STORE_ENV`] naming the store:
/// - `memory`: opens the screen at 120×40, draws the first frame, moves, pages, jumps to the
///   end and back, searches, toggles a filter on and off, then prints this process's peak RSS
///   (the parent's "peak memory" figure). Also handy under `perf record`.
/// - `write-store`: makes the 100,000-school store there and exits, to try `shenhe review`
///   by hand (`--db`).
fn child(what: &str) {
    let path = PathBuf::from(std::env::var_os(STORE_ENV).unwrap_or_else(|| panic!("{STORE_ENV} is not set")));
    match what {
        "memory" => {
            let start = Instant::now();
            let mut s = Screen::open(&path, WIDE);
            let open = start.elapsed();
            let opened = high_water_kb();
            for _ in 0..20 {
                s.keys(DOWN);
            }
            for _ in 0..5 {
                s.keys(PAGE_DOWN);
            }
            s.keys(&[KeyCode::Char('G'), KeyCode::Char('g')]);
            let moved = high_water_kb();
            s.keys(&[KeyCode::Char('/'), KeyCode::Char('z'), KeyCode::Char('y'), KeyCode::Char('q'), KeyCode::Enter]);
            s.keys(&[KeyCode::Char('n'), KeyCode::Char('n'), KeyCode::Esc]);
            s.keys(SEARCH_NAME);
            let searched = high_water_kb();
            s.keys(FILTER_FIRST);
            s.keys(FILTER_FIRST);
            let rows = s.app.index.rows.len();
            drop(s);
            println!(
                "rows={rows} open={:.3}s opened={opened} moved={moved} searched={searched} VmHWM={}",
                open.as_secs_f64(),
                high_water_kb()
            );
        }
        "write-store" => {
            let made = Fixture::generate(SCHOOLS);
            std::fs::copy(&made.store, &path).expect("copy the store");
        }
        other => panic!("unknown {CHILD_ENV}={other}: expected memory or write-store"),
    }
}

/// This process's peak resident set so far (VmHWM), in kB.
fn high_water_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let hwm = status.lines().find_map(|l| l.strip_prefix("VmHWM:")).expect("VmHWM");
    hwm.trim().trim_end_matches("kB").trim().parse().expect("VmHWM in kB")
}

fn peak_memory(store: &Path) {
    if !cfg!(target_os = "linux") {
        println!("peak memory: not measured (reads /proc/self/status, Linux only)");
        return;
    }
    let out = std::env::current_exe()
        .and_then(|exe| Command::new(exe).env(CHILD_ENV, "memory").env(STORE_ENV, store).output());
    // The child prints `rows=… open=…s opened=N moved=N searched=N VmHWM=N` (kB).
    let line = out.as_ref().ok().filter(|o| o.status.success()).and_then(|o| {
        let text = String::from_utf8_lossy(&o.stdout);
        text.lines().find(|l| l.contains("VmHWM=")).map(str::to_string)
    });
    let field = |line: &str, key: &str| {
        line.split_whitespace().find_map(|w| w.strip_prefix(key)).map(str::to_string).unwrap_or_default()
    };
    let kb = line.as_deref().and_then(|l| field(l, "VmHWM=").parse::<u64>().ok());
    match (kb, line, out) {
        (Some(kb), Some(line), _) => {
            let mb = |key: &str| {
                field(&line, key).parse::<u64>().map_or_else(|_| "?".into(), |kb| format!("{:.1}", kb as f64 / 1024.0))
            };
            println!(
                "peak memory: {:.1} MB (target < 60 MB: {}; VmHWM of a child process that opened the screen on {} \
                 schools at 120×40 in {} s, then moved, paged, searched and filtered; its high-water mark was \
                 {} MB after the first frame, {} MB after moving, {} MB after searching)",
                kb as f64 / 1024.0,
                if kb < 60 * 1024 { "met" } else { "MISSED" },
                field(&line, "rows="),
                field(&line, "open=").trim_end_matches('s'),
                mb("opened="),
                mb("moved="),
                mb("searched="),
            )
        }
        (_, _, Ok(o)) => println!(
            "peak memory: not measured, the child failed ({}): {}",
            o.status,
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        (_, _, Err(e)) => println!("peak memory: not measured, could not start the child: {e}"),
    }
}

fn ms(s: f64) -> String {
    if s >= 0.01 { format!("{:.1} ms", s * 1e3) } else { format!("{:.3} ms", s * 1e3) }
}

#[path = "../tests/support/splitmix.rs"]
mod splitmix;
use splitmix::SplitMix as Rng;
#[path = "../tests/support/estimates.rs"]
mod estimates;
#[path = "../tests/support/synthetic.rs"]
mod synthetic;
use estimates::EstimatesFile;
use synthetic::{GIVEN, Kind, SURNAMES, WIFI, draw_school};

/// One school's row in the older quarter; the newer quarter's row is drawn from it.
struct School {
    fixed: String,
    students: u64,
    classes: u64,
    teachers: u64,
    classrooms: u64,
    multimedia: u64,
    teacher_devices: u64,
    student_devices: u64,
    connected: bool,
    bandwidth: u64,
    wifi: &'static str,
    contact: String,
}

/// The two quarters' CSV files of `schools` schools: the newer one with a few schools gone,
/// about 3% 未填报, figures drifting and problems planted (so the checks find things, and the
/// detail pane has a previous quarter to compare with).
fn sheets(schools: usize, seed: u64) -> [String; 2] {
    let mut rng = Rng(seed);
    let mut list = Vec::with_capacity(schools);
    for i in 0..schools {
        let ((city, county, county_code), &Kind { label: kind, category, students: (lo, hi), .. }, name) =
            draw_school(&mut rng);
        let urban = if kind == "教学点" { "乡村" } else { rng.pick(&["城区", "镇区", "乡村", "乡村"]) };
        let students = rng.range(lo, hi);
        let classes = (students / rng.range(30, 50)).max(1);
        let teachers = (students / rng.range(12, 20)).max(1);
        let classrooms = classes + rng.range(0, 4);
        list.push(School {
            fixed: format!("{category}41{i:06},{name},{city},{county},{county_code},{kind},{urban},正常"),
            students,
            classes,
            teachers,
            classrooms,
            multimedia: classrooms.saturating_sub(rng.range(0, 3)),
            teacher_devices: teachers + rng.range(0, 10),
            student_devices: students / rng.range(5, 15),
            connected: !rng.chance(2),
            bandwidth: *rng.pick(&[100, 200, 300, 500, 1000]),
            wifi: rng.pick::<&str>(WIFI),
            contact: format!(
                "{}{}{}",
                rng.pick(SURNAMES),
                rng.pick(GIVEN),
                if rng.chance(60) { rng.pick(GIVEN) } else { "" }
            ),
        });
    }
    let older = quarter(&mut rng, &list, 6, 0, |_, s| s.clone_figures());
    let newer = quarter(&mut rng, &list, 9, 2, |rng, s| {
        let mut s = s.clone_figures();
        if rng.chance(6) {
            s.students = s.students * rng.range(55, 170) / 100;
        }
        if rng.chance(1) {
            s.multimedia = s.classrooms + rng.range(1, 5);
        }
        if s.connected && rng.chance(1) {
            s.connected = false;
        }
        if rng.chance(2) {
            s.bandwidth = s.bandwidth * rng.range(10, 400) / 100;
        }
        s
    });
    [older, newer]
}

impl School {
    fn clone_figures(&self) -> School {
        School { fixed: String::new(), contact: self.contact.clone(), ..*self }
    }
}

/// One quarter's CSV: the schools of `list` but `gone` in a thousand, sent in `month`.
fn quarter(
    rng: &mut Rng,
    list: &[School],
    month: u32,
    gone: u64,
    figures: impl Fn(&mut Rng, &School) -> School,
) -> String {
    let mut out = String::with_capacity(list.len() * 260);
    out.push_str(HEADER);
    out.push('\n');
    for school in list {
        if rng.range(0, 999) < gone {
            continue;
        }
        out.push_str(&school.fixed);
        if rng.chance(3) {
            // 填报状态, then 填报时间 and the 13 columns after it empty.
            out.push_str(",未填报");
            out.push_str(&",".repeat(14));
            out.push('\n');
            continue;
        }
        let s = figures(rng, school);
        let submitted = format!(
            "2026-{month:02}-{:02} {:02}:{:02}:{:02}",
            rng.range(1, 28),
            rng.range(8, 21),
            rng.range(0, 59),
            rng.range(0, 59)
        );
        let (connected, access, bandwidth) =
            if s.connected { ("是", "光纤", s.bandwidth.to_string()) } else { ("否", "", String::new()) };
        let phone = format!(
            "1{}{:08}",
            rng.pick(&["35", "37", "38", "39", "50", "52", "58", "77", "86", "88"]),
            rng.range(0, 99_999_999)
        );
        let _ = writeln!(
            out,
            ",已填报,{submitted},{},{},{},{connected},{access},{bandwidth},{},{},{},{},{},{},{phone}",
            s.classes,
            s.teachers,
            s.students,
            s.wifi,
            s.classrooms,
            s.multimedia,
            s.teacher_devices,
            s.student_devices,
            s.contact,
        );
    }
    out
}
