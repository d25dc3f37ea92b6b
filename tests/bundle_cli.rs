//! The signed bundle from the command line, as a county auditor and a city clerk use it:
//! `export` (refused while schools are undecided, forced with a reason, the file it writes and
//! the lock it sets), `verify` (what the clerk is told, exit codes, the trusted keys file),
//! `reopen`, `notices`, the signing key that never leaks, and the reporting window. The
//! bundle's own format and every way to tamper with it are in `tests/bundle.rs`.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Inside the default reporting window (1–5 October for 2026Q3).
const NOW: &str = "2026-10-03T10:00:00+08:00";
const PERIOD: &str = "2026Q3";
/// The two filled schools of `unfilled.csv`; the other three sent nothing.
const FILLED: [&str; 2] = ["2141010201", "2141010202"];
const FIRST_BUNDLE: &str = "410102_2026Q3_1.zip";

fn county_config(code: &str, name: &str) -> String {
    format!(
        "[county]\ncode = \"{code}\"\nname = \"{name}\"\ncity = \"郑州市\"\n\
         [auditor]\nname = \"张敏\"\nphone = \"0371-12345678\"\n"
    )
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name).display().to_string()
}

#[path = "support/home.rs"]
mod home;
use home::{Home, arg, json, names_in, sha256_hex, stderr, stdout};

impl Home {
    /// 中原区 (410102) with `unfilled.csv` imported as 2026Q3: two filled schools, undecided.
    fn county() -> Home {
        Home::county_as("410102", "中原区")
    }

    fn county_as(code: &str, name: &str) -> Home {
        let home = Home::with_config(&county_config(code, name));
        home.ok(&["import", &fixture("unfilled.csv"), "--period", PERIOD]);
        home
    }

    /// Where the tests put bundles (`--out`).
    fn out(&self) -> PathBuf {
        self.path().join("out")
    }

    /// Runs shenhe here at [`NOW`].
    fn run(&self, args: &[&str]) -> Output {
        self.run_at(NOW, args)
    }

    /// Runs shenhe here at [`NOW`] and insists that it succeeds.
    fn ok(&self, args: &[&str]) -> Output {
        self.ok_at(NOW, args)
    }

    /// `export --force --reason 原因 --json` into [`Home::out`].
    fn export_forced(&self) -> Exported {
        let out = self.out();
        let args = ["export", "--period", PERIOD, "--out", out.to_str().unwrap(), "--force", "--reason", "原因"];
        Exported::from_json(&json(&self.ok(&[&args[..], &["--json"]].concat())))
    }

    /// The county's line for the city's allowed_signers file.
    fn allowed_signers_line(&self) -> String {
        stdout(&self.ok(&["key", "show", "--allowed-signers"])).trim_end().to_string()
    }

    fn fingerprint(&self) -> String {
        json(&self.ok(&["key", "show", "--json"]))["fingerprint"].as_str().unwrap().to_string()
    }

    fn private_key_file(&self) -> PathBuf {
        self.path().join("keys/shenhe_ed25519")
    }

    /// The review log, oldest first: (action, school code, note).
    fn review_log(&self) -> Vec<(String, Option<String>, Option<String>)> {
        let db = rusqlite::Connection::open(self.path().join("shenhe.db")).unwrap();
        let mut stmt = db.prepare("SELECT action, school_code, note FROM review_log ORDER BY id").unwrap();
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap();
        rows.collect::<Result<_, _>>().unwrap()
    }

    fn list(&self) -> serde_json::Value {
        json(&self.ok(&["list", "--period", PERIOD, "--json"]))
    }
}

/// What `export --json` printed.
#[derive(Debug)]
struct Exported {
    path: PathBuf,
    sha256: String,
    bytes: u64,
    sequence: u64,
}

impl Exported {
    fn from_json(v: &serde_json::Value) -> Exported {
        Exported {
            path: PathBuf::from(v["bundle"].as_str().unwrap()),
            sha256: v["sha256"].as_str().unwrap().to_string(),
            bytes: v["bytes"].as_u64().unwrap(),
            sequence: v["sequence"].as_u64().unwrap(),
        }
    }

    fn arg(&self) -> &str {
        self.path.to_str().unwrap()
    }
}

/// Everything the user saw.
fn said(o: &Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

/// The entries of a zip file (a bundle or a workbook), unpacked with the `zip` crate as any
/// unzip tool would: (name, content) in archive order.
fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut entry = archive.by_index(i).unwrap();
            let mut content = Vec::new();
            entry.read_to_end(&mut content).unwrap();
            (entry.name().unwrap().to_string(), content)
        })
        .collect()
}

fn entry(bundle: &Path, name: &str) -> Vec<u8> {
    let entries = unzip(&std::fs::read(bundle).unwrap());
    entries.into_iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no {name} in {}", bundle.display())).1
}

fn manifest(bundle: &Path) -> serde_json::Value {
    serde_json::from_slice(&entry(bundle, "manifest.json")).unwrap()
}

/// Writes `lines` as an allowed_signers file and returns its path.
fn signers_file(path: PathBuf, lines: &[&str]) -> PathBuf {
    std::fs::write(&path, lines.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
    path
}

// export

/// An auditor who tries to report with schools undecided is told which ones, and nothing
/// happens: no file, no lock, no log row, no sequence number used up.
#[test]
fn export_is_refused_while_filled_schools_are_undecided_and_nothing_changes() {
    let home = Home::county();
    let (list, log) = (home.list(), home.review_log());
    let out = home.out();

    let refused = home.run(&["export", "--period", PERIOD, "--out", out.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(1), "{}", said(&refused));
    let err = stderr(&refused);
    assert!(err.contains("2141010201 郑州市中原区伏牛路小学（待审核）"), "{err}");
    assert!(err.contains("2141010202 郑州市中原区汝河路小学（待审核）"), "{err}");
    assert!(!err.contains("2141010203"), "an unfilled school is not waiting for a decision: {err}");
    assert!(err.contains("--force --reason"), "says how to report anyway: {err}");
    assert_eq!(names_in(&out), Vec::<String>::new(), "nothing written");
    assert_eq!(home.list(), list);
    assert_eq!(home.review_log(), log);

    // Still open: the schools can be decided, and the report is then the first.
    home.ok(&["approve", "--period", PERIOD, "--school", FILLED[0], FILLED[1]]);
    let done = json(&home.ok(&[
        "export",
        "--period",
        PERIOD,
        "--out",
        &arg(&out),
        "--report-text",
        &arg(&report_text(&home)),
        "--json",
    ]));
    assert_eq!(done["sequence"], 1);
    assert!(manifest(&out.join(FIRST_BUNDLE))["forced"].is_null(), "nothing was forced");
}

/// A 月报文本 for the tests: a PDF as far as its first bytes go.
fn report_text(home: &Home) -> PathBuf {
    let path = home.path().join("中原区2026年第三季度月报.pdf");
    std::fs::write(&path, b"%PDF-1.4\n% report text\n").unwrap();
    path
}

/// Every 上报 carries the 月报文本 (seed 004 §3.2): without one the export is refused like one
/// with schools undecided, saying how to attach it or force; a wrong file is refused naming it;
/// with one, the bundle carries it byte for byte, listed and hashed like every other file,
/// 说明.txt names it, and it verifies.
#[test]
fn every_report_carries_its_report_text_or_is_forced_without_it() {
    let home = Home::county();
    let out = home.out();
    let list = home.list();
    let base = ["export", "--period", PERIOD, "--out", out.to_str().unwrap()];
    let with = |extra: &[&str]| home.run(&[&base[..], extra].concat());
    let both = with(&[]);
    assert!(stderr(&both).contains("也没有附本期月报文本（--report-text 文件）"), "{}", said(&both));

    home.ok(&["approve", "--period", PERIOD, "--school", FILLED[0], FILLED[1]]);
    let (list_decided, log_decided) = (home.list(), home.review_log());
    assert_ne!(list_decided, list);
    let refused = with(&[]);
    assert_eq!(refused.status.code(), Some(1), "{}", said(&refused));
    let err = stderr(&refused);
    assert!(
        err.contains("没有附本期月报文本") && err.contains("--report-text") && err.contains("--force --reason"),
        "{err}"
    );
    let wrong = home.path().join("月报.docx");
    std::fs::write(&wrong, b"%PDF-1.4 a pdf named .docx").unwrap();
    let xlsx = home.path().join("表.xlsx");
    std::fs::write(&xlsx, b"PK\x03\x04").unwrap();
    for (file, says) in
        [(&wrong, "不是 .docx 文件"), (&xlsx, "不是可上报的文件类型"), (&home.path().join("无.pdf"), "无.pdf")]
    {
        let o = with(&["--report-text", &arg(file)]);
        assert_eq!(o.status.code(), Some(1), "{}", said(&o));
        assert!(stderr(&o).contains(says), "{}", said(&o));
    }
    assert_eq!(names_in(&out), Vec::<String>::new(), "nothing written");
    assert_eq!((home.list(), home.review_log()), (list_decided, log_decided), "nothing changed");

    let text = report_text(&home);
    let o = home.ok(&[&base[..], &["--report-text", &arg(&text)]].concat());
    assert!(stdout(&o).contains("月报文本：月报文本.pdf（原文件 中原区2026年第三季度月报.pdf）"), "{}", stdout(&o));
    let bundle = out.join(FIRST_BUNDLE);
    let m = manifest(&bundle);
    assert_eq!(m["report_text"], serde_json::json!({"path": "月报文本.pdf", "name": "中原区2026年第三季度月报.pdf"}));
    let listed = m["files"].as_array().unwrap().iter().find(|f| f["path"] == "月报文本.pdf").expect("listed");
    let bytes = std::fs::read(&text).unwrap();
    assert_eq!(entry(&bundle, "月报文本.pdf"), bytes);
    assert_eq!(listed["sha256"].as_str(), Some(sha256_hex(&bytes).as_str()));
    let readme = String::from_utf8(entry(&bundle, "说明.txt")).unwrap();
    assert!(readme.contains("月报文本.pdf") && readme.contains("本期月报文本"), "{readme}");
    let trusted = signers_file(home.path().join("trusted.txt"), &[&home.allowed_signers_line()]);
    let o = home.ok(&["verify", "--allowed-signers", &arg(&trusted), &arg(&bundle)]);
    assert!(stdout(&o).contains("月报文本：月报文本.pdf（原文件 中原区2026年第三季度月报.pdf）"), "{}", stdout(&o));
}

/// `--force` needs a reason; with one, the bundle is written under its documented name, and
/// `--json` gives exactly its path, hash, size and sequence.
#[test]
fn forced_export_writes_the_named_bundle_and_prints_its_hash() {
    let home = Home::county();
    let out = home.out();
    let base = ["export", "--period", PERIOD, "--out", out.to_str().unwrap()];
    let with = |extra: &[&str]| home.run(&[&base[..], extra].concat());
    for extra in [&["--force"][..], &["--reason", "原因"], &["--force", "--reason", "  "]] {
        let o = with(extra);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", said(&o));
    }
    assert!(stderr(&with(&["--force", "--reason", ""])).contains("--reason"));
    assert_eq!(names_in(&out), Vec::<String>::new());

    let o = with(&["--force", "--reason", "市州要求先报", "--json"]);
    assert!(o.status.success(), "{}", said(&o));
    let v = json(&o);
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["bundle", "sha256", "bytes", "sequence", "resumed", "report_text", "sealed"]);
    assert_eq!(v["resumed"], false, "a new bundle, not an interrupted export finished");
    assert!(v["report_text"].is_null(), "forced without a report text");
    assert!(v["sealed"].is_null(), "not encrypted: no receivers named");
    let done = Exported::from_json(&v);
    assert_eq!(done.path, out.join(FIRST_BUNDLE));
    assert_eq!(done.sequence, 1);
    let bytes = std::fs::read(&done.path).unwrap();
    assert_eq!(done.bytes, bytes.len() as u64);
    assert_eq!(done.sha256, sha256_hex(&bytes));
    assert_eq!(names_in(&out), [FIRST_BUNDLE], "no temporary file left beside it");

    let m = manifest(&done.path);
    assert_eq!(m["forced"]["reason"], "市州要求先报");
    assert_eq!(m["forced"]["pending"], serde_json::json!(FILLED));
    assert_eq!((m["county_code"].as_str(), m["period"].as_str()), (Some("410102"), Some(PERIOD)));
}

/// The bundle is signed under the county code: without one in the config, export is a usage
/// error naming the config file, and no key is made.
#[test]
fn export_needs_the_county_code() {
    let home = Home::with_config("[auditor]\nname = \"张敏\"\n");
    home.ok(&["import", &fixture("unfilled.csv"), "--period", PERIOD]);
    let o = home.run(&["export", "--period", PERIOD, "--force", "--reason", "原因"]);
    assert_eq!(o.status.code(), Some(2), "{}", said(&o));
    let err = stderr(&o);
    assert!(
        err.contains("[county] code") && err.contains(&home.path().join("config.toml").display().to_string()),
        "{err}"
    );
    assert!(!home.private_key_file().exists() && !home.path().join("bundles").exists());
}

/// 附件5 makes 填表人 and 联系电话 必填: an export with `[auditor]` unset (or half set) is a usage
/// error naming the missing keys and the config file; nothing is written, no key made, the
/// period stays open.
#[test]
fn export_needs_the_auditor_on_every_form() {
    for (auditor, missing) in [("", "[auditor] name, phone"), ("[auditor]\nname = \"张敏\"\n", "[auditor] phone")] {
        let home =
            Home::with_config(&format!("[county]\ncode = \"410102\"\nname = \"中原区\"\ncity = \"郑州市\"\n{auditor}"));
        home.ok(&["import", &fixture("unfilled.csv"), "--period", PERIOD]);
        let out = home.out();
        let o =
            home.run(&["export", "--period", PERIOD, "--out", out.to_str().unwrap(), "--force", "--reason", "原因"]);
        assert_eq!(o.status.code(), Some(2), "{}", said(&o));
        let err = stderr(&o);
        assert!(err.contains(missing), "{missing}: {err}");
        assert!(err.contains(&home.path().join("config.toml").display().to_string()), "{err}");
        assert!(!out.exists() && !home.private_key_file().exists(), "nothing written, no key made");
        home.ok(&["approve", "--period", PERIOD, "--school", FILLED[0]]);
    }
}

/// A file already under the bundle's name is never overwritten, and the period stays open.
#[test]
fn an_existing_file_is_not_overwritten_and_the_period_stays_open() {
    let home = Home::county();
    std::fs::create_dir_all(home.out()).unwrap();
    std::fs::write(home.out().join(FIRST_BUNDLE), "someone else's file").unwrap();
    let out = home.out();
    let o = home.run(&["export", "--period", PERIOD, "--out", out.to_str().unwrap(), "--force", "--reason", "原因"]);
    assert_eq!(o.status.code(), Some(1), "{}", said(&o));
    assert!(stderr(&o).contains(FIRST_BUNDLE) && stderr(&o).contains("不会覆盖"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(out.join(FIRST_BUNDLE)).unwrap(), "someone else's file");
    assert_eq!(names_in(&out), [FIRST_BUNDLE]);
    home.ok(&["approve", "--period", PERIOD, "--school", FILLED[0]]);
}

/// Once reported, the period is read only: decisions, imports and checks change nothing, and a
/// second export names the report already made.
#[test]
fn a_reported_period_is_read_only() {
    let home = Home::county();
    home.export_forced();
    let (list, log) = (home.list(), home.review_log());
    let locked = "2026Q3 期已上报并锁定";
    for args in [
        &["approve", "--period", PERIOD, "--school", FILLED[0]][..],
        &["return", "--period", PERIOD, "--school", FILLED[0], "--reason", "带宽有误"],
        &["flag", "--period", PERIOD, "--school", FILLED[1], "--note", "核实"],
        &["import", &fixture("changed.csv"), "--period", PERIOD],
    ] {
        let o = home.run(args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", said(&o));
        assert!(said(&o).contains(locked), "{args:?}: {}", said(&o));
    }
    // `check` shows the problems as they were reported, says so, and checks nothing again.
    let o = home.run(&["check", "--period", PERIOD]);
    assert!(stdout(&o).contains("2026Q3 期已上报锁定"), "{}", said(&o));

    let out = home.out();
    let again =
        home.run(&["export", "--period", PERIOD, "--out", out.to_str().unwrap(), "--force", "--reason", "再报"]);
    assert_eq!(again.status.code(), Some(1), "{}", said(&again));
    let err = stderr(&again);
    assert!(err.contains("已上报（第 1 次）") && err.contains("shenhe reopen --period 2026Q3"), "{err}");
    assert_eq!(names_in(&out), [FIRST_BUNDLE]);
    assert_eq!(home.list(), list);
    assert_eq!(home.review_log(), log);

    // Only that period: another one still imports.
    home.ok(&["import", &fixture("unfilled.csv"), "--period", "2026Q4"]);
}

// verify

/// The city trusts the county's `key show --allowed-signers` line and is told who reported
/// what, when, and that every file matches — in Chinese, as JSON, and in English.
#[test]
fn the_city_verifies_a_bundle_with_the_countys_line() {
    let county = Home::county();
    let done = county.export_forced();
    let city = Home::with_config("");
    let trusted = signers_file(city.path().join("trusted.txt"), &[&county.allowed_signers_line()]);
    let args = ["verify", "--allowed-signers", trusted.to_str().unwrap(), done.arg()];

    let text = stdout(&city.ok(&args));
    assert!(text.contains(&format!("有效  {}", done.arg())), "{text}");
    for part in [
        "郑州市中原区（410102）2026Q3 第 1 次上报",
        "2026-10-03 10:00:00 +08:00 由 张敏 导出",
        "在上报期内",
        &county.fingerprint(),
        "强制上报的原因：原因",
        "注意：未附月报文本",
    ] {
        assert!(text.contains(part), "{part} in {text}");
    }

    let v = json(&city.ok(&[&args[..], &["--json"]].concat()));
    let verdicts = v.as_array().unwrap();
    assert_eq!(verdicts.len(), 1, "{v}");
    let one = &verdicts[0];
    assert_eq!((one["valid"].as_bool(), one["sequence"].as_u64()), (Some(true), Some(1)), "{one}");
    assert_eq!((one["county_code"].as_str(), one["county"].as_str()), (Some("410102"), Some("中原区")));
    assert_eq!((one["period"].as_str(), one["auditor"].as_str()), (Some(PERIOD), Some("张敏")));
    assert!(one["reason"].is_null());
    assert_eq!(one["signer"].as_str(), Some(county.fingerprint().as_str()));

    let en = stdout(&city.ok(&[&args[..], &["--lang", "en"]].concat()));
    assert!(en.contains("VALID  ") && en.contains("(410102) 2026Q3, report 1, exported"), "{en}");
    assert!(en.contains("inside the reporting window") && en.contains("the reason given: 原因"), "{en}");
}

/// A city's copy reads the trusted keys file named in its config, beside the config, and
/// verifies the bundles of several counties in one run; without the file it is a usage error.
#[test]
fn a_city_copy_uses_its_trusted_keys_file_by_default() {
    let zhongyuan = Home::county();
    let erqi = Home::county_as("410103", "二七区");
    let (a, b) = (zhongyuan.export_forced(), erqi.export_forced());
    let city = Home::with_config("level = \"city\"\n[city]\nname = \"郑州市\"\ntrusted_keys = \"allowed_signers\"\n");

    let missing = city.run(&["verify", a.arg()]);
    assert_eq!(missing.status.code(), Some(2), "{}", said(&missing));
    let err = stderr(&missing);
    assert!(err.contains(&city.path().join("allowed_signers").display().to_string()), "{err}");
    assert!(err.contains("--allowed-signers"), "says how to name one: {err}");

    let (line_a, line_b) = (zhongyuan.allowed_signers_line(), erqi.allowed_signers_line());
    signers_file(city.path().join("allowed_signers"), &["# 郑州市 trusted counties", &line_a, "", &line_b]);
    let v = json(&city.ok(&["verify", a.arg(), b.arg(), "--json"]));
    let codes: Vec<(&str, bool)> =
        v.as_array().unwrap().iter().map(|x| (x["county_code"].as_str().unwrap(), x["valid"] == true)).collect();
    assert_eq!(codes, [("410102", true), ("410103", true)], "{v}");
}

/// A bundle changed on the way is refused with a reason, exit 1; with several bundles each
/// gets its verdict; an unreadable path or trusted keys file is a usage error, exit 2.
#[test]
fn verify_refuses_a_changed_bundle_and_reports_every_one() {
    let county = Home::county();
    let done = county.export_forced();
    let city = Home::with_config("");
    let trusted = signers_file(city.path().join("trusted.txt"), &[&county.allowed_signers_line()]);
    let verify =
        |paths: &[&str]| city.run(&[&["verify", "--allowed-signers", trusted.to_str().unwrap()], paths].concat());

    let mut bytes = std::fs::read(&done.path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    let tampered = city.path().join("改过的.zip");
    std::fs::write(&tampered, bytes).unwrap();
    let tampered = tampered.to_str().unwrap();

    let o = verify(&[tampered]);
    assert_eq!(o.status.code(), Some(1), "{}", said(&o));
    let line = stdout(&o).lines().next().unwrap_or_default().to_string();
    let prefix = format!("无效  {tampered}：");
    assert!(line.starts_with(&prefix) && line.len() > prefix.len() + 10, "a reason is given: {line}");
    assert!(stderr(&o).contains("1 个上报包中有 1 个未通过核验"), "{}", stderr(&o));

    let o = verify(&[done.arg(), tampered]);
    assert_eq!(o.status.code(), Some(1), "{}", said(&o));
    let text = stdout(&o);
    assert!(text.contains(&format!("有效  {}", done.arg())) && text.contains(&prefix), "{text}");
    let o = city.run(&["verify", "--allowed-signers", trusted.to_str().unwrap(), done.arg(), tampered, "--json"]);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    let valid: Vec<bool> = v.as_array().unwrap().iter().map(|x| x["valid"].as_bool().unwrap()).collect();
    assert_eq!(valid, [true, false], "{v}");
    assert!(v[1]["reason"].as_str().is_some_and(|r| !r.is_empty()), "{v}");

    let nowhere = city.path().join("没有这个.zip");
    let o = verify(&[done.arg(), nowhere.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", said(&o));
    assert!(stdout(&o).contains(&format!("无法读取  {}：", nowhere.display())), "{}", stdout(&o));

    let o = city.run(&["verify", "--allowed-signers", city.path().join("nothing.txt").to_str().unwrap(), done.arg()]);
    assert_eq!(o.status.code(), Some(2), "{}", said(&o));
    assert!(stderr(&o).contains("nothing.txt"), "{}", stderr(&o));
}

/// A key the city trusts only for another county, or does not know, cannot report for this
/// one: exit 1, and the reason names the signing key's fingerprint.
#[test]
fn verify_refuses_a_key_not_trusted_for_the_county() {
    let county = Home::county();
    let done = county.export_forced();
    let other = Home::with_config(&county_config("410103", "二七区"));
    other.ok(&["key", "init"]);
    let fingerprint = county.fingerprint();
    let city = Home::with_config("");
    let ours = county.allowed_signers_line();

    let relabelled = ours.replacen("410102 ", "410103 ", 1);
    let theirs = other.allowed_signers_line();
    for (lines, why) in [(&relabelled, "受信任的身份是 410103"), (&theirs, "不在信任的公钥文件中")] {
        let file = signers_file(city.path().join("trusted.txt"), &[lines]);
        let o = city.run(&["verify", "--allowed-signers", file.to_str().unwrap(), done.arg()]);
        assert_eq!(o.status.code(), Some(1), "{}", said(&o));
        let text = stdout(&o);
        assert!(text.contains(&fingerprint) && text.contains(why), "{why}: {text}");
    }
}

/// A file too large for a bundle (a sparse 3 GB file), a directory and `/dev/zero` are refused
/// at once, unread, the line naming the file, what it is or its size and the limit: before, the
/// whole file was read first (3 GB of memory; `/dev/zero` until memory ran out).
#[test]
fn verify_refuses_unread_what_is_too_large_or_no_file() {
    let county = Home::county();
    county.ok(&["key", "init"]);
    let city = Home::with_config("");
    let trusted = signers_file(city.path().join("trusted.txt"), &[&county.allowed_signers_line()]);
    for (path, says, code) in home::files_refused_unread(city.path(), "67108864 字节（64 MiB）") {
        let started = std::time::Instant::now();
        let o = city.run(&["verify", "--allowed-signers", trusted.to_str().unwrap(), path.to_str().unwrap()]);
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "{}: not read", path.display());
        assert_eq!(o.status.code(), Some(code), "{}: {}", path.display(), said(&o));
        let line = stdout(&o);
        assert!(line.contains(&path.display().to_string()) && line.contains(&says), "{says}: {line}");
    }
}

/// The city clerk without shenhe, as `说明.txt` says: unzip, check the signature with the stock
/// `ssh-keygen -Y verify` for the county's code, then each file's SHA-256 against the manifest.
#[test]
fn the_bundle_checks_by_hand_with_unzip_ssh_keygen_and_sha256() {
    let county = Home::county();
    let done = county.export_forced();
    let entries = unzip(&std::fs::read(&done.path).unwrap());
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names[..2], ["manifest.json", "manifest.json.sig"]);
    let m: serde_json::Value = serde_json::from_slice(&entries[0].1).unwrap();
    let listed: Vec<(&str, u64, &str)> = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["bytes"].as_u64().unwrap(), f["sha256"].as_str().unwrap()))
        .collect();
    let found: Vec<(&str, u64, String)> =
        entries[2..].iter().map(|(n, b)| (n.as_str(), b.len() as u64, sha256_hex(b))).collect();
    assert_eq!(listed.len(), found.len());
    for ((path, bytes, sha), (name, len, hash)) in listed.iter().zip(&found) {
        assert_eq!((path, bytes, sha), (name, len, &hash.as_str()));
    }
    let readme = String::from_utf8(entry(&done.path, "说明.txt")).unwrap();
    assert!(readme.contains("ssh-keygen -Y verify") && readme.contains("BOM"), "{readme}");

    let dir = tempfile::tempdir().unwrap();
    let signers = signers_file(dir.path().join("allowed_signers"), &[&county.allowed_signers_line()]);
    let Some(checked) = stock_check(&signers, &done.path) else { return };
    assert!(checked.status.success(), "{}{}", stdout(&checked), stderr(&checked));
}

/// README's check without shenhe: `ssh-keygen -Y verify -f SIGNERS -I 410102 -n shenhe-bundle`
/// of the bundle's manifest; None (and a note) where ssh-keygen is not installed.
fn stock_check(signers: &Path, bundle: &Path) -> Option<Output> {
    if Command::new("ssh-keygen").arg("-?").output().is_err() {
        eprintln!("ssh-keygen not installed: its half of this test is skipped");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let signature = dir.path().join("manifest.json.sig");
    std::fs::write(&signature, entry(bundle, "manifest.json.sig")).unwrap();
    let mut child = Command::new("ssh-keygen")
        .args(["-Y", "verify", "-f"])
        .arg(signers)
        .args(["-I", "410102", "-n", "shenhe-bundle", "-s"])
        .arg(&signature)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&entry(bundle, "manifest.json")).unwrap();
    Some(child.wait_with_output().unwrap())
}

/// A trusted keys file saved by Windows Notepad (UTF-8 with a BOM, CRLF) works: the BOM is not
/// taken for part of the first line's principal (it was: "trusted as \u{feff}410102"). The stock
/// ssh-keygen does take it so, as README says, and reads the file once its first line is a
/// comment.
#[test]
fn a_trusted_keys_file_saved_by_notepad_with_a_bom_works() {
    let county = Home::county();
    let done = county.export_forced();
    let city = Home::with_config("");
    let line = county.allowed_signers_line();
    let notepad = city.path().join("notepad.txt");
    std::fs::write(&notepad, format!("\u{feff}{line}\r\n")).unwrap();
    let o = city.ok(&["verify", "--allowed-signers", notepad.to_str().unwrap(), done.arg()]);
    assert!(stdout(&o).contains(&format!("有效  {}", done.arg())), "{}", said(&o));

    let Some(stock) = stock_check(&notepad, &done.path) else { return };
    assert!(!stock.status.success(), "ssh-keygen reads the BOM into the principal: {}", said(&stock));
    let commented = city.path().join("commented.txt");
    std::fs::write(&commented, format!("\u{feff}# 郑州市 trusted counties\r\n{line}\r\n")).unwrap();
    let stock = stock_check(&commented, &done.path).unwrap();
    assert!(stock.status.success(), "{}", said(&stock));
    city.ok(&["verify", "--allowed-signers", commented.to_str().unwrap(), done.arg()]);
}

// reopen

/// The city sends the report back: reopening needs a reason and a reported period; it is
/// logged, decisions work again, the next bundle is the second and names the first it replaces,
/// and both stay verifiable.
#[test]
fn reopen_unlocks_logs_and_the_next_bundle_replaces_the_first() {
    let home = Home::county();
    let o = home.run(&["reopen", "--period", PERIOD]);
    assert_eq!(o.status.code(), Some(2), "no reason: {}", said(&o));
    let o = home.run(&["reopen", "--period", PERIOD, "--reason", " "]);
    assert_eq!(o.status.code(), Some(2), "{}", said(&o));
    assert!(stderr(&o).contains("需要写明原因"), "{}", stderr(&o));
    let o = home.run(&["reopen", "--period", PERIOD, "--reason", "市州退回"]);
    assert_eq!(o.status.code(), Some(1), "an open period: {}", said(&o));
    assert!(stderr(&o).contains("2026Q3 尚未上报"), "{}", stderr(&o));

    let first = home.export_forced();
    let reason = "市州退回：伏牛路小学带宽需核实";
    let o = home.ok(&["reopen", "--period", PERIOD, "--reason", reason]);
    assert!(stdout(&o).contains("下次导出为第 2 次上报"), "{}", stdout(&o));
    home.ok(&["return", "--period", PERIOD, "--school", FILLED[0], "--reason", "带宽需核实"]);
    home.ok(&["approve", "--period", PERIOD, "--school", FILLED[1]]);

    let log = home.review_log();
    let export =
        log.iter().position(|(a, _, n)| a == "export" && n.as_ref().is_some_and(|n| n.contains(&first.sha256)));
    let reopen = log.iter().position(|(a, _, n)| a == "reopen" && n.as_deref() == Some(reason));
    assert!(matches!((export, reopen), (Some(e), Some(r)) if e < r), "{log:?}");

    let out = home.out();
    let text = arg(&report_text(&home));
    let second = Exported::from_json(&json(&home.ok(&[
        "export",
        "--period",
        PERIOD,
        "--out",
        out.to_str().unwrap(),
        "--report-text",
        &text,
        "--json",
    ])));
    assert_eq!(second.sequence, 2);
    assert_eq!(second.path, out.join("410102_2026Q3_2.zip"));
    assert_eq!(names_in(&out), [FIRST_BUNDLE, "410102_2026Q3_2.zip"], "the first bundle stays");
    assert_eq!(sha256_hex(&std::fs::read(&first.path).unwrap()), first.sha256, "and is unchanged");

    let m = manifest(&second.path);
    assert_eq!(m["replaces"]["sequence"], 1);
    assert_eq!(m["replaces"]["sha256"].as_str(), Some(first.sha256.as_str()));
    assert!(m["forced"].is_null() && manifest(&first.path)["replaces"].is_null());
    let log_csv = String::from_utf8(entry(&second.path, "review_log.csv")).unwrap();
    assert!(log_csv.contains(reason), "the city sees why it was reopened: {log_csv}");

    // The county checks its own bundles with its own line as the trusted keys file.
    signers_file(home.path().join("allowed_signers"), &[&home.allowed_signers_line()]);
    let v = json(&home.ok(&["verify", first.arg(), second.arg(), "--json"]));
    let seen: Vec<(bool, u64)> =
        v.as_array().unwrap().iter().map(|x| (x["valid"] == true, x["sequence"].as_u64().unwrap())).collect();
    assert_eq!(seen, [(true, 1), (true, 2)], "{v}");
}

/// `reopen --from` reads the notice bounded too: a notice is small, so anything over 2 MiB, a
/// directory or `/dev/zero` is refused unread, naming the file; the period stays locked.
#[test]
fn reopen_refuses_unread_a_notice_too_large_or_no_file() {
    let home = Home::county();
    home.export_forced();
    for (path, says, code) in home::files_refused_unread(home.path(), "2097152 字节（2 MiB）") {
        let started = std::time::Instant::now();
        let o = home.run(&["reopen", "--from", path.to_str().unwrap()]);
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "{}: not read", path.display());
        assert_eq!(o.status.code(), Some(code), "{}: {}", path.display(), said(&o));
        let err = stderr(&o);
        assert!(err.contains(&path.display().to_string()) && err.contains(&says), "{says}: {err}");
    }
    let o = home.run(&["approve", "--period", PERIOD, "--school", FILLED[0]]);
    assert!(said(&o).contains("2026Q3 期已上报并锁定"), "still locked: {}", said(&o));
}

// notices

/// One XLSX and one text notice per returned school, each with its own reason and name; with
/// no returned school, a plain message and no files.
#[test]
fn notices_are_written_per_returned_school_with_the_reason() {
    let home = Home::county();
    let dir = home.path().join("通知");
    let args = ["notices", "--period", PERIOD, "--out", dir.to_str().unwrap()];
    let o = home.ok(&args);
    assert!(stdout(&o).contains("2026Q3 没有退回重报的学校"), "{}", stdout(&o));
    assert_eq!(names_in(&dir), Vec::<String>::new());

    let reasons = ["多媒体教室数填写有误，请核实后重报", "学生数与上期相差过大，请核实后重报"];
    for (code, reason) in FILLED.iter().zip(reasons) {
        home.ok(&["return", "--period", PERIOD, "--school", code, "--reason", reason]);
    }
    let o = home.ok(&args);
    assert!(stdout(&o).contains("已为 2 所退回重报的学校生成通知"), "{}", stdout(&o));
    let schools = [("2141010201", "郑州市中原区伏牛路小学"), ("2141010202", "郑州市中原区汝河路小学")];
    let mut expected: Vec<String> = schools
        .iter()
        .flat_map(|(code, name)| ["xlsx", "txt"].map(|ext| format!("{code}_{name}_退回重报通知.{ext}")))
        .collect();
    expected.sort();
    assert_eq!(names_in(&dir), expected);

    for (i, (code, name)) in schools.iter().enumerate() {
        let stem = dir.join(format!("{code}_{name}_退回重报通知"));
        let text = std::fs::read_to_string(stem.with_extension("txt")).unwrap();
        assert!(text.contains(name) && text.contains(code) && text.contains(reasons[i]), "{text}");
        assert!(!text.contains(reasons[1 - i]), "only its own reason: {text}");
        assert!(text.contains("张敏") && text.contains("0371-12345678"), "who to call: {text}");
        let sheet: String = unzip(&std::fs::read(stem.with_extension("xlsx")).unwrap())
            .into_iter()
            .filter(|(n, _)| n.ends_with(".xml"))
            .map(|(_, b)| String::from_utf8_lossy(&b).into_owned())
            .collect();
        assert!(sheet.contains(reasons[i]) && sheet.contains(name), "the workbook has the reason and the school");
    }
    let v = json(&home.ok(&[&args[..], &["--json"]].concat()));
    let codes: Vec<&str> = v.as_array().unwrap().iter().map(|w| w["school_code"].as_str().unwrap()).collect();
    assert_eq!(codes, FILLED);
}

/// School codes are free text, letters too: codes the file-name rules make alike — `2141/01`
/// and `2141:01` (both `2141_01`), `AB01` and `ab01` (one file on Windows and macOS) — still
/// give each school notice files of its own, distinct whatever the case; a file of the folder
/// the run did not write (`aB01_…`) is left alone; the count said is the schools whose files
/// are there. A second run replaces its files rather than adding more.
#[test]
fn notices_of_schools_whose_file_names_collide_get_names_of_their_own() {
    let home = Home::with_config(&county_config("410102", "中原区"));
    let text = std::fs::read_to_string(fixture("unfilled.csv")).unwrap();
    let mut lines = text.lines();
    let (header, row) = (lines.next().unwrap(), lines.next().unwrap());
    let codes = ["2141/01", "2141:01", "AB01", "ab01"];
    let rows: String = codes
        .iter()
        .map(|code| format!("{}\n", row.replacen(FILLED[0], code, 1).replacen("郑州市中原区伏牛路小学", "同名小学", 1)))
        .collect();
    let sheet = home.path().join("sheet.csv");
    std::fs::write(&sheet, format!("{header}\n{rows}")).unwrap();
    home.ok(&["import", sheet.to_str().unwrap(), "--period", PERIOD]);
    for code in codes {
        home.ok(&["return", "--period", PERIOD, "--school", code, "--reason", &format!("{code} 请核实")]);
    }
    let dir = home.path().join("通知");
    std::fs::create_dir_all(&dir).unwrap();
    let theirs = dir.join("aB01_同名小学_退回重报通知.txt");
    std::fs::write(&theirs, "别人的文件").unwrap();

    for run in 1..=2 {
        let o = home.ok(&["notices", "--period", PERIOD, "--out", dir.to_str().unwrap()]);
        assert!(stdout(&o).contains("已为 4 所退回重报的学校生成通知"), "{}", stdout(&o));
        let names = names_in(&dir);
        assert_eq!(names.len(), 2 * codes.len() + 1, "run {run}: {names:?}");
        let folded: std::collections::HashSet<String> = names.iter().map(|n| n.to_lowercase()).collect();
        assert_eq!(folded.len(), names.len(), "distinct whatever the case: {names:?}");
        assert_eq!(std::fs::read_to_string(&theirs).unwrap(), "别人的文件");
        let texts: Vec<String> = names
            .iter()
            .filter(|n| n.ends_with(".txt") && dir.join(n) != theirs)
            .map(|n| std::fs::read_to_string(dir.join(n)).unwrap())
            .collect();
        for code in codes {
            let own = texts.iter().filter(|t| t.contains(&format!("（学校标识码：{code}）"))).count();
            assert_eq!(own, 1, "{code}: one notice of its own in {names:?}");
        }
    }
}

// the signing key

/// The PEM body's lines of the private key in `path` (any one of them elsewhere is a leak).
fn pem_body(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let body: Vec<String> =
        text.lines().filter(|l| !l.starts_with("-----") && l.len() >= 16).map(str::to_string).collect();
    assert!(!body.is_empty());
    body
}

/// Every file under `dir` (zip files and workbooks unpacked too), except the keys folder.
fn everything_under(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "keys") {
                everything_under(&path, out);
            }
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        if bytes.starts_with(b"PK\x03\x04") {
            out.extend(unzip(&bytes).into_iter().map(|(n, b)| (path.join(n), b)));
        }
        out.push((path, bytes));
    }
}

/// The key is made at the first export, readable by its owner only, and its private half is in
/// no bundle, notice, log, database or output afterwards.
#[test]
fn the_private_key_is_made_on_first_need_and_never_leaves_the_keys_folder() {
    let home = Home::county();
    assert!(!home.private_key_file().exists());
    home.ok(&["return", "--period", PERIOD, "--school", FILLED[0], "--reason", "带宽需核实"]);
    let mut outputs = vec![home.ok(&["export", "--period", PERIOD, "--force", "--reason", "原因"])];
    assert!(home.private_key_file().exists(), "made by the export");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(home.private_key_file()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    let bundles = names_in(&home.path().join("bundles"));
    assert_eq!(bundles, [FIRST_BUNDLE], "the default folder is bundles in the data directory");
    let bundle = home.path().join("bundles").join(FIRST_BUNDLE);
    signers_file(home.path().join("allowed_signers"), &[&home.allowed_signers_line()]);
    let notices = home.path().join("notices");
    for args in [
        &["verify", bundle.to_str().unwrap()][..],
        &["verify", bundle.to_str().unwrap(), "--json"],
        &["notices", "--period", PERIOD, "--out", notices.to_str().unwrap()],
        &["key", "show"],
        &["key", "show", "--json"],
        &["reopen", "--period", PERIOD, "--reason", "市州退回"],
        &["export", "--period", PERIOD, "--force", "--reason", "再报", "--json"],
    ] {
        outputs.push(home.ok(args));
    }
    outputs.push(home.run(&["key", "init"]));

    let body = pem_body(&home.private_key_file());
    let mut files = Vec::new();
    everything_under(home.path(), &mut files);
    let names: Vec<String> = files.iter().map(|(p, _)| p.display().to_string()).collect();
    for expected in ["shenhe.db", "logs", "bundles", "notices", "410102_2026Q3_2.zip"] {
        assert!(names.iter().any(|n| n.contains(expected)), "{expected} among {names:#?}");
    }
    for (path, bytes) in &files {
        let text = String::from_utf8_lossy(bytes);
        assert!(!text.contains("PRIVATE KEY"), "{}", path.display());
        assert!(body.iter().all(|line| !text.contains(line)), "a line of the private key in {}", path.display());
    }
    for o in &outputs {
        assert!(body.iter().all(|line| !said(o).contains(line)), "a line of the private key in the output");
    }
}

/// A damaged key stops the export with a message that names the file, not its content.
#[test]
fn a_damaged_key_is_refused_without_showing_it() {
    let home = Home::county();
    home.ok(&["key", "init"]);
    let key = home.private_key_file();
    let text = std::fs::read_to_string(&key).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let middle = lines.len() / 2;
    lines[middle] = lines[middle].chars().rev().collect();
    std::fs::write(&key, lines.join("\n") + "\n").unwrap();

    let o =
        home.run(&["export", "--period", PERIOD, "--out", home.out().to_str().unwrap(), "--force", "--reason", "原因"]);
    assert_eq!(o.status.code(), Some(1), "{}", said(&o));
    assert!(stderr(&o).contains(&key.display().to_string()), "{}", stderr(&o));
    assert!(pem_body(&key).iter().all(|line| !said(&o).contains(line)), "{}", said(&o));
    assert_eq!(names_in(&home.out()), Vec::<String>::new());
    home.ok(&["approve", "--period", PERIOD, "--school", FILLED[0]]);
}

// the reporting window

/// The manifest, the export and verify say whether the report was made inside the county's
/// window, days 1–5 of the month after the quarter, by the county's own clock.
#[test]
fn inside_the_window_is_days_1_to_5_of_the_next_month() {
    for (now, inside) in [
        ("2026-10-03T10:00:00+08:00", true),
        ("2026-10-05T23:30:00+08:00", true),
        ("2026-10-06T00:10:00+08:00", false),
        ("2026-10-20T09:00:00+08:00", false),
    ] {
        let home = Home::county();
        let out = home.out();
        let args = ["export", "--period", PERIOD, "--out", out.to_str().unwrap(), "--force", "--reason", "原因"];
        let o = home.run_at(now, &args);
        assert!(o.status.success(), "{}", said(&o));
        let told = if inside {
            "在上报期（2026-10-01 至 2026-10-05）内上报"
        } else {
            "不在上报期（2026-10-01 至 2026-10-05）内"
        };
        assert!(stdout(&o).contains(told), "{now}: {}", stdout(&o));

        let bundle = out.join(FIRST_BUNDLE);
        let m = manifest(&bundle);
        assert_eq!(m["inside_window"].as_bool(), Some(inside), "{now}");
        assert_eq!(m["created_at"].as_str(), Some(now));
        assert_eq!(
            (m["window"]["first"].as_str(), m["window"]["last"].as_str()),
            (Some("2026-10-01"), Some("2026-10-05"))
        );

        signers_file(home.path().join("allowed_signers"), &[&home.allowed_signers_line()]);
        let v = json(&home.ok(&["verify", bundle.to_str().unwrap(), "--json"]));
        assert_eq!(v[0]["inside_window"].as_bool(), Some(inside), "{now}: {v}");
    }
}
