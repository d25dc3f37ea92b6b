//! Crash safety: the real binary killed with SIGKILL (what a closed window, a killed task or,
//! for the store, a power cut does) at random moments of a large import, a burst of decisions
//! and an export, each from a fresh copy of a prepared home. After every kill the store must be
//! whole (`PRAGMA integrity_check`), the import all there or not at all, every decision the run
//! had printed in the store, no bundle under its final name that does not verify; and the same
//! command run again must finish the work and give the result an uninterrupted run gives.
//!
//! The moments are drawn from a seed, printed; `SHENHE_CRASH_SEED=N` replays the same sequence
//! of moments for each kind of work (the process timing still varies from run to run). Moments
//! are drawn until each kind has its quota of runs actually killed. A kill lands *before* the work when the run
//! had not opened the store yet, *during* it when it had and was still running, *after* it
//! when the run had already finished.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[path = "support/home.rs"]
mod home;
#[path = "support/splitmix.rs"]
mod splitmix;
#[path = "support/synthetic.rs"]
mod synthetic;

use home::{Home, arg, names_in, sha256_hex, stderr, stdout};
use splitmix::SplitMix;

/// Inside the default reporting window of 2026Q3.
const NOW: &str = "2026-10-03T10:00:00+08:00";
const COUNTY: (&str, &str, &str) = ("南阳市", "方城县", "411322");
const SCHOOLS: usize = 2_000;
const SHEET_SEED: u64 = 0x0043_5241_5348;
/// Schools decided in one run.
const BURST: usize = 80;
/// Kills of each kind of work (a run that finished before its moment is not counted and
/// another moment is drawn): 220 in all.
const QUOTAS: [(Work, usize); 5] =
    [(Work::Import, 45), (Work::FirstImport, 15), (Work::Approve, 40), (Work::Return, 40), (Work::Export, 80)];
/// At most this many moments of one kind are drawn, kills or not (a guard, never reached when
/// the work takes more than an instant).
const MAX_DRAWS: usize = 4;
/// Kill points share the machine's two cores.
const WORKERS: usize = 2;
const REASON: &str = "带宽数据需核实";
const FORCED: &str = "部分学校待核实，先行上报";
const BUNDLE: &str = "411322_2026Q3_1.zip";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Work {
    /// Into a store that holds the previous quarter.
    Import,
    /// Into a home with no database yet: the store is made by the run.
    FirstImport,
    Approve,
    Return,
    Export,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Before,
    During,
    After,
}

/// The prepared homes, what an uninterrupted run of each work gives, and how long it takes.
struct Prepared {
    sheet: PathBuf,
    /// Config only.
    empty: Home,
    /// 2026Q2 imported: where 2026Q3 is imported.
    previous: Home,
    /// 2026Q2 and 2026Q3 imported, checked, undecided; the key made; `allowed_signers` beside.
    imported: Home,
    /// The burst's schools and their states in `imported` (待审核 or 有疑问).
    burst: Vec<(String, String)>,
    /// What an uninterrupted import leaves, on each home.
    reference: BTreeMap<Work, PeriodState>,
    took: BTreeMap<Work, Duration>,
    _dir: tempfile::TempDir,
}

/// A period's schools (code, state, revision) and live findings (code, rule, resolution).
type PeriodState = (Vec<(String, String, i64)>, Vec<(String, String, String)>);

/// What the kill points found, for the figures printed at the end.
#[derive(Default)]
struct Tally {
    phases: BTreeMap<(Work, Phase), usize>,
    /// Import runs killed after their import had landed (during the checks that follow it).
    imports_landed: usize,
    /// Decisions printed by killed runs, all found in the store.
    acknowledged: usize,
    /// Killed decision runs that had printed at least one school.
    runs_with_acks: usize,
    /// Export runs killed after the bundle was recorded but before it had its final name.
    exports_unplaced: usize,
    /// Second export runs that finished such an export.
    exports_resumed: usize,
    /// Temporary bundle files left by killed exports (all gone after the second run).
    partials_left: usize,
    failures: Vec<String>,
}

fn config() -> String {
    let (city, county, code) = COUNTY;
    format!(
        "[county]\ncode = \"{code}\"\nname = \"{county}\"\ncity = \"{city}\"\n[auditor]\nname = \"张敏\"\nphone = \"0377-1234567\"\n"
    )
}

fn db(home: &Home) -> rusqlite::Connection {
    rusqlite::Connection::open(home.path().join("shenhe.db")).unwrap()
}

/// The store as a kill left it, opened in a copy (opening recovers the log), so that the
/// binary's own next run meets the files exactly as the kill left them.
struct Left {
    db: rusqlite::Connection,
    _dir: tempfile::TempDir,
}

fn as_left(home: &Home) -> Option<Left> {
    home.path().join("shenhe.db").exists().then(|| {
        let dir = tempfile::tempdir().unwrap();
        for file in ["shenhe.db", "shenhe.db-wal", "shenhe.db-shm"] {
            if home.path().join(file).exists() {
                std::fs::copy(home.path().join(file), dir.path().join(file)).unwrap();
            }
        }
        Left { db: rusqlite::Connection::open(dir.path().join("shenhe.db")).unwrap(), _dir: dir }
    })
}

fn count(db: &rusqlite::Connection, sql: &str, period: &str) -> i64 {
    db.query_row(sql, [period], |r| r.get(0)).unwrap()
}

fn digest(db: &rusqlite::Connection, period: &str) -> PeriodState {
    let schools = db
        .prepare("SELECT school_code, state, current_revision FROM submissions WHERE period = ?1 ORDER BY 1")
        .unwrap()
        .query_map([period], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let findings = db
        .prepare(
            "SELECT school_code, rule, resolution FROM findings
             WHERE period = ?1 AND resolution != 'resolved' ORDER BY 1, 2, 3",
        )
        .unwrap()
        .query_map([period], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    (schools, findings)
}

fn integrity(db: &rusqlite::Connection) -> Result<(), String> {
    let ok: String = db.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    let broken_keys: i64 = db.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0)).unwrap();
    if ok == "ok" && broken_keys == 0 {
        return Ok(());
    }
    Err(format!("integrity_check: {ok}; {broken_keys} broken foreign keys"))
}

fn import_args(sheet: &Path) -> Vec<String> {
    ["import", &arg(sheet), "--period", "2026Q3"].map(String::from).to_vec()
}

fn decide_args(work: Work, burst: &[(String, String)]) -> Vec<String> {
    let mut args: Vec<String> = match work {
        Work::Approve => ["approve", "--period", "2026Q3", "--note", "已电话核实"].map(String::from).to_vec(),
        _ => ["return", "--period", "2026Q3", "--reason", REASON].map(String::from).to_vec(),
    };
    args.push("--school".into());
    args.extend(burst.iter().map(|(code, _)| code.clone()));
    args
}

fn export_args(out: &Path) -> Vec<String> {
    ["export", "--period", "2026Q3", "--force", "--reason", FORCED, "--out", &arg(out)].map(String::from).to_vec()
}

fn run(home: &Home, args: &[String]) -> Output {
    home.run_at(NOW, &args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// Runs `args` to the end on `home` while as many other copies run it as there are workers
/// (the kill points run like that), and says how long the slowest took.
fn timed(home: &Home, args: impl Fn(&Home) -> Vec<String> + Sync) -> Duration {
    let copies: Vec<Home> = (1..WORKERS).map(|_| home.copy()).collect();
    std::thread::scope(|scope| {
        let runs: Vec<_> = std::iter::once(home)
            .chain(&copies)
            .map(|h| {
                let args = &args;
                scope.spawn(move || {
                    let args = args(h);
                    let start = Instant::now();
                    let out = run(h, &args);
                    assert!(out.status.success(), "{args:?}: {}{}", stdout(&out), stderr(&out));
                    start.elapsed()
                })
            })
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).max().unwrap()
    })
}

impl Prepared {
    fn new() -> Prepared {
        let dir = tempfile::tempdir().unwrap();
        let sheet = dir.path().join("方城县_2026Q3.csv");
        // The same schools with the same figures each quarter: the history checks run too.
        std::fs::write(&sheet, synthetic::county_sheet(COUNTY, SCHOOLS, SHEET_SEED)).unwrap();
        let empty = Home::with_config(&config());
        let previous = Home::with_config(&config());
        previous.ok_at(NOW, &["import", &arg(&sheet), "--period", "2026Q2"]);
        let mut reference = BTreeMap::new();
        let mut took = BTreeMap::new();
        let first = empty.copy();
        took.insert(Work::FirstImport, timed(&first, |_| import_args(&sheet)));
        reference.insert(Work::FirstImport, digest(&db(&first), "2026Q3"));
        let imported = previous.copy();
        took.insert(Work::Import, timed(&imported, |_| import_args(&sheet)));
        reference.insert(Work::Import, digest(&db(&imported), "2026Q3"));
        imported.ok_at(NOW, &["key", "init"]);
        let line = stdout(&imported.ok_at(NOW, &["key", "show", "--allowed-signers"]));
        std::fs::write(imported.path().join("allowed_signers"), line).unwrap();
        let burst: Vec<(String, String)> = digest(&db(&imported), "2026Q3")
            .0
            .into_iter()
            .filter(|(_, state, _)| state == "submitted" || state == "flagged")
            .map(|(code, state, _)| (code, state))
            .take(BURST)
            .collect();
        assert_eq!(burst.len(), BURST);
        for work in [Work::Approve, Work::Return] {
            took.insert(work, timed(&imported.copy(), |_| decide_args(work, &burst)));
        }
        took.insert(Work::Export, timed(&imported.copy(), |h| export_args(&h.path().join("out"))));
        Prepared { sheet, empty, previous, imported, burst, reference, took, _dir: dir }
    }
}

/// One kill point: `work` from a fresh copy, killed `delay` after it started.
struct KillPoint {
    work: Work,
    delay: Duration,
}

/// Starts `args` on `home`, kills it after `delay` unless it has finished, and says when the
/// kill landed and what the run printed.
fn start_and_kill(home: &Home, args: &[String], delay: Duration) -> Result<(Phase, Output), String> {
    let mut child = home.spawn_at(NOW, &args.iter().map(String::as_str).collect::<Vec<_>>());
    std::thread::sleep(delay);
    let finished = child.try_wait().unwrap().is_some();
    if !finished {
        child.kill().unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let phase = match (finished, home.path().join("shenhe.db-wal").exists()) {
        (true, _) => Phase::After,
        (false, false) => Phase::Before,
        (false, true) => Phase::During,
    };
    if finished && !out.status.success() {
        return Err(format!("finished unkilled but failed: {}{}", stdout(&out), stderr(&out)));
    }
    Ok((phase, out))
}

fn kill_import(p: &Prepared, work: Work, delay: Duration, tally: &Mutex<Tally>) -> Result<Phase, String> {
    let home = if work == Work::FirstImport { p.empty.copy() } else { p.previous.copy() };
    let args = import_args(&p.sheet);
    let (phase, _) = start_and_kill(&home, &args, delay)?;
    if let Some(Left { db, .. }) = &as_left(&home) {
        integrity(db)?;
        // A first run killed before its schema was made leaves a database without tables.
        let tables = count(db, "SELECT count(*) FROM sqlite_master WHERE name IN ('submissions', ?1)", "imports");
        if tables == 0 && work == Work::FirstImport {
            return second_import(p, work, &home, &args).map(|()| phase);
        }
        let q3 = [
            "SELECT count(*) FROM submissions WHERE period = ?1",
            "SELECT count(*) FROM imports WHERE period = ?1",
            "SELECT count(*) FROM periods WHERE id = ?1",
        ]
        .map(|sql| count(db, sql, "2026Q3"));
        if q3 != [0, 0, 0] && q3 != [SCHOOLS as i64, 1, 1] {
            return Err(format!("half an import: (schools, batches, period) = {q3:?}"));
        }
        if q3[0] > 0 && phase == Phase::During {
            tally.lock().unwrap().imports_landed += 1;
        }
        if work == Work::Import {
            let q2 = count(db, "SELECT count(*) FROM submissions WHERE period = ?1", "2026Q2");
            (q2 == SCHOOLS as i64).then_some(()).ok_or(format!("the previous quarter has {q2} schools"))?;
        }
    }
    second_import(p, work, &home, &args).map(|()| phase)
}

/// The import run again must finish it: the result of one uninterrupted import.
fn second_import(p: &Prepared, work: Work, home: &Home, args: &[String]) -> Result<(), String> {
    let again = run(home, args);
    if !again.status.success() {
        return Err(format!("the second import failed: {}{}", stdout(&again), stderr(&again)));
    }
    let db = db(home);
    let batches = count(&db, "SELECT count(*) FROM imports WHERE period = ?1", "2026Q3");
    if digest(&db, "2026Q3") != p.reference[&work] || batches != 1 {
        return Err(format!("after the second import: not what one import gives ({batches} batches)"));
    }
    Ok(())
}

/// The burst's schools: (state, log rows of the decision) each.
fn decided(db: &rusqlite::Connection, action: &str, burst: &[(String, String)]) -> Vec<(String, i64)> {
    burst
        .iter()
        .map(|(code, _)| {
            let state: String = db
                .query_row("SELECT state FROM submissions WHERE period = '2026Q3' AND school_code = ?1", [code], |r| {
                    r.get(0)
                })
                .unwrap();
            let logged: i64 = db
                .query_row(
                    "SELECT count(*) FROM review_log WHERE period = '2026Q3' AND school_code = ?1 AND action = ?2",
                    [code.as_str(), action],
                    |r| r.get(0),
                )
                .unwrap();
            (state, logged)
        })
        .collect()
}

fn kill_decisions(p: &Prepared, work: Work, delay: Duration, tally: &Mutex<Tally>) -> Result<Phase, String> {
    let home = p.imported.copy();
    let (action, target) = if work == Work::Approve { ("approve", "approved") } else { ("return", "returned") };
    let args = decide_args(work, &p.burst);
    let (phase, out) = start_and_kill(&home, &args, delay)?;
    // A school's line starts with its code; lines are printed whole, one write each.
    let text = stdout(&out);
    let acked: Vec<&str> =
        text.lines().filter(|l| l.contains('→')).filter_map(|l| l.split_whitespace().next()).collect();
    let left = as_left(&home).ok_or("no database")?;
    integrity(&left.db)?;
    let now = decided(&left.db, action, &p.burst);
    let mut unprinted = 0;
    for ((code, state_before), (state, logged)) in p.burst.iter().zip(&now) {
        let done = state == target && *logged == 1;
        if acked.contains(&code.as_str()) && !done {
            return Err(format!("{code} was printed as done but the store has {state}, {logged} log rows"));
        }
        if !done && (state != state_before || *logged != 0) {
            return Err(format!("{code} is half decided: {state}, {logged} log rows"));
        }
        unprinted += usize::from(done && !acked.contains(&code.as_str()));
    }
    if phase != Phase::After && unprinted > 1 {
        return Err(format!("{unprinted} decisions were written but not printed"));
    }
    if phase == Phase::During {
        let mut t = tally.lock().unwrap();
        t.acknowledged += acked.len();
        t.runs_with_acks += usize::from(!acked.is_empty());
    }
    let already = now.iter().filter(|(state, _)| state == target).count();
    let again = run(&home, &args);
    let redone = stdout(&again).lines().filter(|l| l.contains('→')).count();
    let all_done = decided(&db(&home), action, &p.burst).iter().all(|(state, logged)| state == target && *logged == 1);
    if !all_done || redone != BURST - already || again.status.code() != Some(if already > 0 { 1 } else { 0 }) {
        return Err(format!(
            "the second run ({:?}, {redone} decided, {already} before): {}{}",
            again.status,
            stdout(&again),
            stderr(&again)
        ));
    }
    Ok(phase)
}

/// The bundle on record for 2026Q3 (path, SHA-256), and whether the period is locked.
fn recorded(db: &rusqlite::Connection) -> (Vec<(String, String)>, bool) {
    let bundles = db
        .prepare("SELECT path, sha256 FROM bundles WHERE period = '2026Q3'")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let status: String = db.query_row("SELECT status FROM periods WHERE id = '2026Q3'", [], |r| r.get(0)).unwrap();
    (bundles, status == "reported")
}

fn verify(home: &Home, bundle: &Path) -> Result<(), String> {
    let signers = arg(&home.path().join("allowed_signers"));
    let out = home.run_at(NOW, &["verify", "--allowed-signers", &signers, &arg(bundle)]);
    out.status.success().then_some(()).ok_or(format!("{} does not verify: {}", bundle.display(), stdout(&out)))
}

fn kill_export(p: &Prepared, delay: Duration, tally: &Mutex<Tally>) -> Result<Phase, String> {
    let home = p.imported.copy();
    let out_dir = home.path().join("out");
    let args = export_args(&out_dir);
    let (phase, _) = start_and_kill(&home, &args, delay)?;
    let left = as_left(&home).ok_or("no database")?;
    integrity(&left.db)?;
    let (bundles, locked) = recorded(&left.db);
    if bundles.len() > 1 || locked != (bundles.len() == 1) {
        return Err(format!("{} bundles on record, period locked: {locked}", bundles.len()));
    }
    let names = names_in(&out_dir);
    for zip in names.iter().filter(|n| n.ends_with(".zip")) {
        let path = out_dir.join(zip);
        verify(&home, &path)?;
        let sha = sha256_hex(&std::fs::read(&path).unwrap());
        if !bundles.iter().any(|(recorded, s)| Path::new(recorded) == path && *s == sha) {
            return Err(format!("{zip} is under its final name but not on record"));
        }
    }
    let placed = names.iter().any(|n| n == BUNDLE);
    let unplaced = bundles.len() == 1 && !placed;
    {
        let mut t = tally.lock().unwrap();
        t.exports_unplaced += usize::from(unplaced);
        t.partials_left += names.iter().filter(|n| n.ends_with(".partial")).count();
    }
    let again = run(&home, &args);
    let said = format!("{}{}", stdout(&again), stderr(&again));
    let expected_refusal = placed && again.status.code() == Some(1) && said.contains("已上报");
    if !again.status.success() && !expected_refusal {
        return Err(format!("the second export ({:?}): {said}", again.status));
    }
    if unplaced {
        if !said.contains("已补完") {
            return Err(format!("the second export did not say it finished the first: {said}"));
        }
        tally.lock().unwrap().exports_resumed += 1;
    }
    let (bundles, locked) = recorded(&db(&home));
    let path = out_dir.join(BUNDLE);
    let on_record = std::fs::read(&path).is_ok_and(|b| bundles == [(arg(&path), sha256_hex(&b))]);
    if !on_record || !locked || names_in(&out_dir) != [BUNDLE] {
        return Err(format!("after the second export: {bundles:?}, locked {locked}, files {:?}", names_in(&out_dir)));
    }
    verify(&home, &path)?;
    Ok(phase)
}

/// A line of the figures, shown in the test output even when the test passes (the test
/// harness captures only what `println!` prints).
fn report(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

#[test]
fn killed_at_any_moment_the_store_stays_whole_and_the_work_can_be_finished() {
    // A new seed each run unless one is given (the standard library's random hasher keys).
    let seed = std::env::var("SHENHE_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| std::hash::BuildHasher::hash_one(&std::collections::hash_map::RandomState::new(), 0u8));
    report(&format!("crash seed {seed} (SHENHE_CRASH_SEED={seed} replays these moments)"));
    let started = Instant::now();
    let p = Prepared::new();
    for (work, took) in &p.took {
        report(&format!("  uninterrupted {work:?}: {took:?}"));
    }
    // One sequence of moments per kind of work, drawn until the kind has its quota of runs
    // actually killed: from the start to the length of an uninterrupted run (measured with the
    // other worker busy, so the runs here mostly end sooner and the end is covered too).
    let draws = Mutex::new(
        QUOTAS
            .iter()
            .enumerate()
            .map(|(i, &(work, quota))| Draws {
                work,
                quota,
                rng: SplitMix(seed ^ (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)),
                span: p.took[&work].as_micros() as u64,
                killed: 0,
                in_flight: 0,
                drawn: 0,
            })
            .collect::<Vec<_>>(),
    );
    let tally = Mutex::new(Tally::default());
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| {
                while let Some(point) = next_point(&draws) {
                    let result = match point.work {
                        Work::Import | Work::FirstImport => kill_import(&p, point.work, point.delay, &tally),
                        Work::Approve | Work::Return => kill_decisions(&p, point.work, point.delay, &tally),
                        Work::Export => kill_export(&p, point.delay, &tally),
                    };
                    let killed = matches!(result, Ok(Phase::Before | Phase::During));
                    if let Some(d) = draws.lock().unwrap().iter_mut().find(|d| d.work == point.work) {
                        d.in_flight -= 1;
                        d.killed += usize::from(killed);
                    }
                    let mut t = tally.lock().unwrap();
                    match result {
                        Ok(phase) => *t.phases.entry((point.work, phase)).or_default() += 1,
                        Err(e) => t.failures.push(format!("{:?} killed after {:?}: {e}", point.work, point.delay)),
                    }
                }
            });
        }
    });
    let t = tally.into_inner().unwrap();
    let drawn: usize = draws.lock().unwrap().iter().map(|d| d.drawn).sum();
    let killed: usize = draws.lock().unwrap().iter().map(|d| d.killed).sum();
    report(&format!("{killed} runs killed of {drawn} moments drawn, in {:?} (seed {seed}):", started.elapsed()));
    for (work, _) in QUOTAS {
        let n = |phase| t.phases.get(&(work, phase)).copied().unwrap_or(0);
        let (before, during, after) = (n(Phase::Before), n(Phase::During), n(Phase::After));
        report(&format!("  {work:?}: {before} before, {during} during, {after} after the work"));
    }
    report(&format!(
        "  imports killed after landing (in the checks): {}; decisions printed by killed runs: {} in {} runs",
        t.imports_landed, t.acknowledged, t.runs_with_acks
    ));
    report(&format!(
        "  exports recorded but not yet under their name: {} (finished by the next: {}); temporary files left: {}",
        t.exports_unplaced, t.exports_resumed, t.partials_left
    ));
    assert!(t.failures.is_empty(), "seed {seed}: {} failures:\n{}", t.failures.len(), t.failures.join("\n"));
    for d in draws.into_inner().unwrap() {
        assert!(d.killed >= d.quota, "{:?}: {} of {} killed in {} moments", d.work, d.killed, d.quota, d.drawn);
    }
    assert!(killed >= 200);
}

/// The moments of one kind of work, and how many of its runs were killed.
struct Draws {
    work: Work,
    quota: usize,
    rng: SplitMix,
    /// Microseconds: moments are drawn in `0..span`.
    span: u64,
    killed: usize,
    in_flight: usize,
    drawn: usize,
}

/// The next moment to try: of the first kind whose kills, counting the runs under way, are
/// short of its quota.
fn next_point(draws: &Mutex<Vec<Draws>>) -> Option<KillPoint> {
    let mut draws = draws.lock().unwrap();
    let d = draws.iter_mut().find(|d| d.killed + d.in_flight < d.quota && d.drawn < d.quota * MAX_DRAWS)?;
    d.in_flight += 1;
    d.drawn += 1;
    Some(KillPoint { work: d.work, delay: Duration::from_micros(d.rng.range(0, d.span)) })
}

/// A county home with a small quarter imported, and the folder bundles go to.
fn small_county() -> (Home, PathBuf) {
    let home = Home::with_config(&config());
    let sheet = home.path().join("sheet.csv");
    std::fs::write(&sheet, synthetic::county_sheet(COUNTY, 60, SHEET_SEED)).unwrap();
    home.ok_at(NOW, &["import", &arg(&sheet), "--period", "2026Q3"]);
    home.ok_at(NOW, &["key", "init"]);
    let line = stdout(&home.ok_at(NOW, &["key", "show", "--allowed-signers"]));
    std::fs::write(home.path().join("allowed_signers"), line).unwrap();
    let out = home.path().join("out");
    (home, out)
}

/// An export stopped after it recorded the bundle and locked the period, but before the file
/// got its final name, leaves the recorded bytes under their temporary name; the next export
/// moves them into place, says so, and the period holds that one bundle.
#[test]
fn an_export_stopped_after_it_was_recorded_is_finished_by_the_next_one() {
    let (home, out) = small_county();
    run(&home, &export_args(&out)).status.success().then_some(()).unwrap();
    let bundle = out.join(BUNDLE);
    let bytes = std::fs::read(&bundle).unwrap();
    // What the stopped export left: the file as its temporary name, the record in the store.
    std::fs::rename(&bundle, out.join(format!(".{BUNDLE}.4194301.partial"))).unwrap();

    let again = run(&home, &export_args(&out));
    let said = stdout(&again);
    assert!(again.status.success(), "{said}{}", stderr(&again));
    assert!(said.contains("已补完") && said.contains(BUNDLE), "{said}");
    assert_eq!(names_in(&out), [BUNDLE]);
    assert_eq!(std::fs::read(&bundle).unwrap(), bytes, "the bundle on record, not a new one");
    assert_eq!(recorded(&db(&home)), (vec![(arg(&bundle), sha256_hex(&bytes))], true));
    verify(&home, &bundle).unwrap();

    let third = run(&home, &export_args(&out));
    assert_eq!(third.status.code(), Some(1), "{}", stdout(&third));
    assert!(stderr(&third).contains("已上报"), "{}", stderr(&third));
}

/// An export stopped before it recorded anything leaves at most a temporary file: the next
/// export makes the bundle and clears the leftover.
#[test]
fn a_temporary_file_of_an_export_stopped_before_it_was_recorded_is_cleared_by_the_next() {
    let (home, out) = small_county();
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join(format!(".{BUNDLE}.4194301.partial")), b"PK\x03\x04 half a bundle").unwrap();
    let again = run(&home, &export_args(&out));
    assert!(again.status.success(), "{}{}", stdout(&again), stderr(&again));
    assert_eq!(names_in(&out), [BUNDLE]);
    verify(&home, &out.join(BUNDLE)).unwrap();
}
