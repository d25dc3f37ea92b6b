//! Bundles safe in an e-mail, timed as the user meets them: the whole `shenhe export` command
//! of a 5,000-school county and the whole `shenhe verify` and `shenhe city import` of what it
//! wrote, each from spawn to exit, three ways in the same run: plain (Ed25519, SHA-256),
//! encrypted (the same, plus `<name>.zip.age` sealed with age to the city's key, which the
//! city opens in memory) and SM2 (国密: SM2-over-SM3 signature, SM3 file hashes). It prints
//! each file's size.
//!
//! An export locks its period, so each timed export runs on a fresh copy of the imported
//! store, and each city import on a fresh copy of the city's empty store; the copies are made
//! before the clock starts.
//!
//! `cargo bench --bench mail`. The binary is `SHENHE_BIN` when set (e.g. the shipped
//! `target/release/shenhe`), else the one cargo builds for benches. The figures are reported,
//! never asserted.

use std::cell::OnceCell;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use criterion::Criterion;

const SCHOOLS: usize = 5_000;
const SCHOOLS_SMOKE: usize = 200;
const SEED: u64 = 0x4d41_494c;
const COUNTY: (&str, &str, &str) = ("郑州市", "中原区", "410102");

/// The three ways a bundle can go.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Plain,
    Encrypted,
    Sm2,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Plain => "plain",
            Kind::Encrypted => "encrypted",
            Kind::Sm2 => "sm2",
        }
    }
}

const KINDS: [Kind; 3] = [Kind::Plain, Kind::Encrypted, Kind::Sm2];

fn main() {
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let schools = if benchmarking { SCHOOLS } else { SCHOOLS_SMOKE };
    let made: OnceCell<Fixture> = OnceCell::new();
    let fixture = || made.get_or_init(|| Fixture::make(schools));

    let mut c = Criterion::default().configure_from_args();
    {
        let mut group = c.benchmark_group(format!("mail_{schools}"));
        group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(8));
        for kind in KINDS {
            group.bench_function(format!("export_{}", kind.name()), |b| {
                let f = fixture();
                b.iter_custom(|iters| (0..iters).map(|_| f.export(kind).1).sum())
            });
            group.bench_function(format!("verify_{}", kind.name()), |b| {
                let f = fixture();
                b.iter_custom(|iters| (0..iters).map(|_| f.verify(kind)).sum())
            });
            group.bench_function(format!("city_import_{}", kind.name()), |b| {
                let f = fixture();
                b.iter_custom(|iters| (0..iters).map(|_| f.city_import(kind)).sum())
            });
        }
        group.finish();
    }
    c.final_summary();
    if let Some(f) = made.get() {
        f.sizes();
    }
}

struct Fixture {
    dir: tempfile::TempDir,
    binary: PathBuf,
    schools: usize,
    /// The county with its sheet imported, Ed25519 and SM2.
    county: [PathBuf; 2],
    /// The city's home, its key made and both county keys trusted, nothing imported.
    city: PathBuf,
    /// One export of each kind, the file the city receives.
    sent: Vec<(Kind, PathBuf)>,
}

impl Fixture {
    fn make(schools: usize) -> Fixture {
        let dir = tempfile::Builder::new().prefix("shenhe-bench-mail-").tempdir().expect("temp dir");
        let binary =
            std::env::var_os("SHENHE_BIN").map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_shenhe")), PathBuf::from);
        let sheet = dir.path().join("sheet.csv");
        std::fs::write(&sheet, synthetic::county_month_sheet(COUNTY, schools, SEED, 1)).expect("sheet");
        let county_config = "[county]\ncode = \"410102\"\nname = \"中原区\"\ncity = \"郑州市\"\n\
                             [auditor]\nname = \"张敏\"\nphone = \"0371-12345678\"\n[backup]\nremind_after_days = 0\n";
        let mut county = Vec::new();
        for (name, extra) in [("county", ""), ("county-sm2", "[keys]\nalgorithm = \"sm2\"\n")] {
            let home = dir.path().join(name);
            std::fs::create_dir_all(&home).expect("home");
            std::fs::write(home.join("config.toml"), format!("{county_config}{extra}")).expect("config");
            ok(run(&binary, &home, &["import", &sheet.display().to_string(), "--period", "2026-09"]));
            ok(run(&binary, &home, &["key", "init"]));
            county.push(home);
        }
        let city = dir.path().join("city");
        std::fs::create_dir_all(&city).expect("city");
        std::fs::write(
            city.join("config.toml"),
            "level = \"city\"\n[city]\nname = \"郑州市\"\ncode = \"410100\"\ncounties = [{ code = \"410102\", name = \"中原区\" }]\n",
        )
        .expect("city config");
        ok(run(&binary, &city, &["key", "init"]));
        // The county's two keys, trusted side by side.
        let trust: String = county
            .iter()
            .map(|home| {
                String::from_utf8(ok(run(&binary, home, &["key", "show", "--allowed-signers"])).stdout).unwrap()
            })
            .collect();
        std::fs::write(city.join("allowed_signers"), trust).expect("trust");
        let mut fixture =
            Fixture { dir, binary, schools, county: [county[0].clone(), county[1].clone()], city, sent: Vec::new() };
        fixture.sent = KINDS.iter().map(|&kind| (kind, fixture.export(kind).0)).collect();
        fixture
    }

    fn county(&self, kind: Kind) -> &Path {
        if kind == Kind::Sm2 { &self.county[1] } else { &self.county[0] }
    }

    /// `shenhe export` on a fresh copy of the county: the file the city gets, and the time.
    fn export(&self, kind: Kind) -> (PathBuf, Duration) {
        let copy = self.dir.path().join(format!("export-{}", kind.name()));
        copy_home(self.county(kind), &copy);
        let out = self.dir.path().join(format!("out-{}", kind.name()));
        let _ = std::fs::remove_dir_all(&out);
        let city_key = self.city.join("keys/shenhe_ed25519.pub").display().to_string();
        let mut args = vec!["export", "--force", "--reason", "先行上报", "--out"];
        let out_arg = out.display().to_string();
        args.push(&out_arg);
        if kind == Kind::Encrypted {
            args.extend(["--to", &city_key]);
        }
        args.push("--json");
        let start = Instant::now();
        let done = ok(run(&self.binary, &copy, &args));
        let took = start.elapsed();
        let v: serde_json::Value = serde_json::from_slice(&done.stdout).expect("export JSON");
        let field = if kind == Kind::Encrypted { "sealed" } else { "bundle" };
        let file = PathBuf::from(v[field].as_str().expect("the file written"));
        // Kept for the receiving side's timing and the sizes.
        let kept =
            self.dir.path().join(format!("sent-{}-{}", kind.name(), file.file_name().unwrap().to_string_lossy()));
        std::fs::copy(&file, &kept).expect("keep the bundle");
        if kind == Kind::Encrypted {
            let plain = PathBuf::from(v["bundle"].as_str().unwrap());
            std::fs::copy(plain, self.dir.path().join("sent-encrypted-plain.zip")).expect("keep");
        }
        (kept, took)
    }

    fn sent(&self, kind: Kind) -> &Path {
        &self.sent.iter().find(|(k, _)| *k == kind).expect("sent").1
    }

    /// `shenhe verify` at the city, from spawn to exit.
    fn verify(&self, kind: Kind) -> Duration {
        let trust = self.city.join("allowed_signers").display().to_string();
        let file = self.sent(kind).display().to_string();
        let start = Instant::now();
        ok(run(&self.binary, &self.city, &["verify", "--allowed-signers", &trust, &file]));
        start.elapsed()
    }

    /// `shenhe city import` into a fresh copy of the city's empty store.
    fn city_import(&self, kind: Kind) -> Duration {
        let copy = self.dir.path().join("city-import");
        copy_home(&self.city, &copy);
        std::fs::copy(self.city.join("allowed_signers"), copy.join("allowed_signers")).expect("trust");
        let file = self.sent(kind).display().to_string();
        let start = Instant::now();
        ok(run(&self.binary, &copy, &["city", "import", &file]));
        start.elapsed()
    }

    fn sizes(&self) {
        println!("\nfiles a {}-school county sends:", self.schools);
        for (kind, path) in &self.sent {
            let bytes = std::fs::metadata(path).map_or(0, |m| m.len());
            println!("  {:<10} {:>10} bytes  {}", kind.name(), bytes, path.file_name().unwrap().to_string_lossy());
        }
        let plain = self.dir.path().join("sent-encrypted-plain.zip");
        let bytes = std::fs::metadata(&plain).map_or(0, |m| m.len());
        println!("  {:<10} {:>10} bytes  (the zip inside the .age)", "", bytes);
    }
}

/// A copy of a home: config, keys and store (no bundles).
fn copy_home(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to.join("keys")).expect("copy");
    for name in ["config.toml", "shenhe.db", "shenhe.db-wal"] {
        if from.join(name).exists() {
            std::fs::copy(from.join(name), to.join(name)).expect("copy");
        }
    }
    for entry in std::fs::read_dir(from.join("keys")).expect("keys").flatten() {
        if entry.path().is_file() {
            std::fs::copy(entry.path(), to.join("keys").join(entry.file_name())).expect("copy a key");
        }
    }
}

fn run(binary: &Path, home: &Path, args: &[&str]) -> Output {
    Command::new(binary)
        .args(args)
        .env("SHENHE_HOME", home)
        .env("USER", "bench")
        .env_remove("LANG")
        .output()
        .expect("run shenhe")
}

fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "shenhe failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[path = "../tests/support/splitmix.rs"]
mod splitmix;
#[path = "../tests/support/synthetic.rs"]
mod synthetic;
