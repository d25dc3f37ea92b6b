//! Running one property: how many cases, which seed, a watchdog for hangs, what a failure leaves
//! behind to reproduce it, and a tally of what the cases did (printed with `--nocapture`).

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};

/// Cases each target (CSV import, XLSX import, bundle verify, allowed_signers) runs in all,
/// split among its properties: `SHENHE_PROPTEST_CASES`, 10,000 unless set.
pub fn cases_per_target() -> u32 {
    env_number("SHENHE_PROPTEST_CASES").map_or(10_000, |n| n as u32)
}

/// The seed every property derives its own from: fixed, so CI runs the same cases every time
/// and a failure reproduces by running again; `SHENHE_PROPTEST_SEED` draws another set.
fn base_seed() -> u64 {
    env_number("SHENHE_PROPTEST_SEED").unwrap_or(0x5348_454E_4845)
}

/// A case still running after this long is a hang: `SHENHE_PROPTEST_CASE_SECS`, 60 unless set
/// (a debug build on a busy two-core machine; the slowest case seen is reported either way).
fn case_limit() -> Duration {
    Duration::from_secs(env_number("SHENHE_PROPTEST_CASE_SECS").unwrap_or(60))
}

fn env_number(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    Some(value.trim().parse().unwrap_or_else(|_| panic!("{name}={value:?} is not a whole number")))
}

/// What one case did, counted by kind in the tally ("imported", "NoHeader", …).
pub type Outcome = String;

/// One property's run: `share` of the target's cases over `strategy`. `bytes` gives the input
/// as the file the code under test reads (written out when the case fails or hangs), `check`
/// runs the case and names its outcome.
pub fn run<T, S>(
    name: &str,
    share: f64,
    strategy: S,
    bytes: impl Fn(&T) -> Vec<u8>,
    check: impl Fn(&T, &[u8]) -> Result<Outcome, TestCaseError>,
) where
    T: Debug + Clone,
    S: Strategy<Value = T>,
{
    let cases = ((f64::from(cases_per_target()) * share).ceil() as u32).max(1);
    let seed = name.bytes().fold(base_seed(), |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3));
    let config = Config {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed),
        max_shrink_iters: 4096,
        max_shrink_time: 120_000,
        ..Config::default()
    };
    let tally = Mutex::new(Tally::default());
    let watchdog = Watchdog::start(name);
    let started = Instant::now();
    let mut runner = TestRunner::new(config);
    let result = runner.run(&strategy, |input| {
        let file = bytes(&input);
        watchdog.case_begins(&file);
        let began = Instant::now();
        let outcome = check(&input, &file);
        let took = began.elapsed();
        watchdog.case_ends();
        tally.lock().unwrap().count(outcome.as_deref().unwrap_or("FAILED"), file.len(), took);
        outcome.map(drop)
    });
    watchdog.stop();
    let tally = tally.into_inner().unwrap();
    let ran: u64 = tally.outcomes.values().sum();
    eprintln!(
        "{name}: {ran} of {cases} cases run (shrinking included) in {:.1} s (seed {seed:#x}); {tally}",
        started.elapsed().as_secs_f64()
    );
    match result {
        Ok(()) => {}
        Err(TestError::Abort(reason)) => panic!("{name}: aborted: {reason}"),
        Err(TestError::Fail(reason, input)) => {
            let path = keep(name, &bytes(&input));
            let mut shown = format!("{input:#?}");
            if shown.len() > 8192 {
                shown.truncate(shown.floor_char_boundary(8192));
                shown.push_str(" …");
            }
            panic!("{name}: {reason}\nminimal input (its file: {}):\n{shown}", path.display());
        }
    }
}

/// Writes a failing input where it can be looked at and fed to `shenhe import`/`verify`.
fn keep(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("proptest-failures");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.bin"));
    std::fs::write(&path, bytes).unwrap();
    path
}

#[derive(Default)]
struct Tally {
    outcomes: BTreeMap<String, u64>,
    largest: usize,
    slowest: (Duration, usize),
}

impl Tally {
    fn count(&mut self, outcome: &str, size: usize, took: Duration) {
        *self.outcomes.entry(outcome.to_string()).or_default() += 1;
        self.largest = self.largest.max(size);
        if took > self.slowest.0 {
            self.slowest = (took, size);
        }
    }
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (took, size) = self.slowest;
        write!(f, "largest input {} bytes; slowest case {} ms ({size} bytes); ", self.largest, took.as_millis())?;
        let outcomes: Vec<String> = self.outcomes.iter().map(|(k, n)| format!("{k} {n}")).collect();
        write!(f, "{}", outcomes.join(", "))
    }
}

/// Watches the running case from a thread of its own: a case past [`case_limit`] cannot be
/// stopped from outside, so its input is written out and the process ends with the reason.
struct Watchdog {
    state: Arc<Mutex<Watched>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

#[derive(Default)]
struct Watched {
    running: Option<(Instant, Vec<u8>)>,
    stop: bool,
}

impl Watchdog {
    fn start(name: &str) -> Watchdog {
        let state = Arc::new(Mutex::new(Watched::default()));
        let (watched, name, limit) = (state.clone(), name.to_string(), case_limit());
        let thread = std::thread::spawn(move || {
            loop {
                std::thread::sleep(Duration::from_millis(200));
                let state = watched.lock().unwrap();
                if state.stop {
                    return;
                }
                if let Some((began, file)) = &state.running
                    && began.elapsed() > limit
                {
                    let path = keep(&format!("{name}-hang"), file);
                    eprintln!("{name}: a case has run for over {limit:?}: a hang; its input: {}", path.display());
                    std::process::exit(101);
                }
            }
        });
        Watchdog { state, thread: Some(thread) }
    }

    fn case_begins(&self, file: &[u8]) {
        self.state.lock().unwrap().running = Some((Instant::now(), file.to_vec()));
    }

    fn case_ends(&self) {
        self.state.lock().unwrap().running = None;
    }

    fn stop(mut self) {
        self.state.lock().unwrap().stop = true;
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
    }
}

/// A failure of the property, with what went wrong.
pub fn fail(why: impl Into<String>) -> TestCaseError {
    TestCaseError::fail(why.into())
}

/// User-facing text must not carry control characters from the input: printed to the clerk's
/// console they would move the cursor, recolour or clear the screen.
pub fn printable(text: &str) -> bool {
    !text.chars().any(|c| c.is_control() && c != '\n')
}

/// A short, readable picture of bytes for a failure report.
pub struct Shown<'a>(pub &'a [u8]);

impl Debug for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const HEAD: usize = 64;
        let head = String::from_utf8_lossy(&self.0[..self.0.len().min(HEAD)]);
        write!(f, "{} bytes {head:?}{}", self.0.len(), if self.0.len() > HEAD { "…" } else { "" })
    }
}

/// Bytes as a property's input, shown short.
#[derive(Clone)]
pub struct Bytes(pub Vec<u8>);

impl Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Shown(&self.0).fmt(f)
    }
}
