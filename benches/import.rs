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
use std::time::{Duration, Instant, SystemTime};

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
    let before = [SHENHE, SQLITE3].map(EstimatesFile::look);

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

/// Where criterion keeps one function's `new/estimates.json`, and when it was last written.
/// Criterion looks in `$CRITERION_HOME`, `$CARGO_TARGET_DIR/criterion`, then the target
/// directory that holds this executable; so do we.
struct EstimatesFile {
    candidates: Vec<(PathBuf, Option<SystemTime>)>,
}

impl EstimatesFile {
    fn look(name: &str) -> EstimatesFile {
        let exe = std::env::current_exe().unwrap_or_default();
        let roots = std::env::var_os("CRITERION_HOME")
            .map(PathBuf::from)
            .into_iter()
            .chain(std::env::var_os("CARGO_TARGET_DIR").map(|d| PathBuf::from(d).join("criterion")))
            .chain(exe.ancestors().skip(1).map(|a| a.join("criterion")))
            .chain([PathBuf::from("target/criterion")]);
        let candidates = roots
            .map(|r| r.join(GROUP).join(name).join("new/estimates.json"))
            .map(|f| {
                let modified = f.metadata().and_then(|m| m.modified()).ok();
                (f, modified)
            })
            .collect();
        EstimatesFile { candidates }
    }

    /// Criterion's median estimate (seconds) and its confidence bounds, from the estimates
    /// file this run wrote; None when no file changed since [`EstimatesFile::look`].
    fn median_if_rewritten(&self) -> Option<(f64, f64, f64)> {
        let (file, _) = self.candidates.iter().find(|(f, then)| {
            let now = f.metadata().and_then(|m| m.modified()).ok();
            now.is_some() && now != *then
        })?;
        let json: serde_json::Value = serde_json::from_slice(&std::fs::read(file).ok()?).ok()?;
        let median = &json["median"];
        let ns = |v: &serde_json::Value| v.as_f64().map(|n| n / 1e9);
        Some((
            ns(&median["point_estimate"])?,
            ns(&median["confidence_interval"]["lower_bound"])?,
            ns(&median["confidence_interval"]["upper_bound"])?,
        ))
    }
}

fn secs(s: f64) -> String {
    if s >= 1.0 { format!("{s:.3} s") } else { format!("{:.1} ms", s * 1e3) }
}

#[path = "../tests/support/splitmix.rs"]
mod splitmix;
use splitmix::SplitMix as Rng;

/// (city, county, county code): real Henan divisions.
const COUNTIES: &[(&str, &str, &str)] = &[
    ("郑州市", "中原区", "410102"),
    ("郑州市", "二七区", "410103"),
    ("郑州市", "金水区", "410105"),
    ("郑州市", "巩义市", "410181"),
    ("郑州市", "登封市", "410185"),
    ("开封市", "杞县", "410221"),
    ("开封市", "兰考县", "410225"),
    ("洛阳市", "孟津区", "410308"),
    ("洛阳市", "洛龙区", "410311"),
    ("洛阳市", "栾川县", "410324"),
    ("洛阳市", "嵩县", "410325"),
    ("平顶山市", "鲁山县", "410423"),
    ("安阳市", "林州市", "410581"),
    ("新乡市", "辉县市", "410782"),
    ("南阳市", "宛城区", "411302"),
    ("南阳市", "卧龙区", "411303"),
    ("南阳市", "南召县", "411321"),
    ("南阳市", "方城县", "411322"),
    ("南阳市", "西峡县", "411323"),
    ("信阳市", "光山县", "411522"),
    ("周口市", "太康县", "411627"),
    ("驻马店市", "泌阳县", "411726"),
];

/// Syllables that make up place names: 桐柏, 红旗, 陈庄…
const PLACE: &[&str] = &[
    "桐", "柏", "红", "旗", "建", "设", "东", "西", "南", "北", "新", "华", "育", "才", "文", "化", "民", "主", "陈",
    "王", "李", "张", "庄", "河", "山", "石", "桥", "岗", "营", "寨", "楼", "店", "集", "沟", "湾", "坪", "峪", "林",
    "杨", "柳", "槐", "枣", "花", "园", "光", "明", "振", "兴", "和", "平", "安", "宁", "永", "丰", "裕", "隆",
];
const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马",
    "罗",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀", "霞",
    "平", "刚", "桂", "英", "建", "国", "红", "梅", "志", "华", "玉",
];
const ORDINALS: &[&str] = &["第一", "第二", "第三", "第四", "第五", "第六", "第七", "第八", "第九", "第十", "第十一"];

/// One 办学类型 and how schools of that type look.
struct Kind {
    label: &'static str,
    /// Share of all schools, in ‰.
    permille: u64,
    /// The first two digits of the school code.
    category: &'static str,
    students: (u64, u64),
    name_endings: &'static [&'static str],
}

const KINDS: &[Kind] = &[
    Kind { label: "教学点", permille: 150, category: "22", students: (5, 80), name_endings: &["教学点"] },
    Kind {
        label: "小学",
        permille: 450,
        category: "21",
        students: (60, 2_400),
        name_endings: &["小学", "中心小学", "完全小学", "实验小学"],
    },
    Kind {
        label: "初级中学",
        permille: 200,
        category: "31",
        students: (200, 2_800),
        name_endings: &["初级中学", "中学", "实验中学"],
    },
    Kind {
        label: "九年一贯制学校",
        permille: 100,
        category: "32",
        students: (300, 3_000),
        name_endings: &["九年一贯制学校", "学校"],
    },
    Kind {
        label: "高级中学",
        permille: 50,
        category: "34",
        students: (800, 4_500),
        name_endings: &["高级中学", "高中"],
    },
    Kind {
        label: "完全中学",
        permille: 50,
        category: "33",
        students: (900, 4_000),
        name_endings: &["中学", "完全中学"],
    },
];

fn place(rng: &mut Rng) -> String {
    let n = if rng.chance(80) { 2 } else { 3 };
    (0..n).map(|_| *rng.pick(PLACE)).collect()
}

/// A school name as county sheets write them: 金水区桐柏路小学, 嵩县陈庄乡红旗村教学点, 林州市第三高级中学.
fn school_name(rng: &mut Rng, county: &str, ending: &str, kind: &str) -> String {
    let prefix = if rng.chance(60) { county } else { "" };
    match kind {
        "教学点" => format!("{prefix}{}乡{}村{ending}", place(rng), place(rng)),
        _ if rng.chance(30) => format!("{prefix}{}{ending}", rng.pick(ORDINALS)),
        _ if rng.chance(50) => format!("{prefix}{}{}{ending}", place(rng), rng.pick(&["路", "镇", "乡", "街道"])),
        _ => format!("{prefix}{}{ending}", place(rng)),
    }
}

fn csv_text(schools: usize, seed: u64) -> String {
    let mut rng = Rng(seed);
    let mut out = String::with_capacity(schools * 260);
    out.push_str(HEADER);
    out.push('\n');
    for i in 0..schools {
        let (city, county, county_code) = *rng.pick(COUNTIES);
        let mut share = rng.range(0, 999);
        let &Kind { label: kind, category, students: (lo, hi), name_endings, .. } = KINDS
            .iter()
            .find(|k| {
                let hit = share < k.permille;
                share = share.saturating_sub(k.permille);
                hit
            })
            .unwrap_or(&KINDS[1]);
        let ending = *rng.pick(name_endings);
        let name = school_name(&mut rng, county, ending, kind);
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
        let contact =
            format!("{}{}{}", rng.pick(SURNAMES), rng.pick(GIVEN), if rng.chance(60) { rng.pick(GIVEN) } else { "" });
        let phone = format!(
            "1{}{:08}",
            rng.pick(&["35", "37", "38", "39", "50", "52", "58", "77", "86", "88"]),
            rng.range(0, 99_999_999)
        );
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
