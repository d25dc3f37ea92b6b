//! `shenhe approve / return / flag` on the real binary: what the store holds afterwards.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use shenhe::domain::Period;
use shenhe::store::Store;

const AT: &str = "2026-10-02T09:00:00+08:00";

struct Home(tempfile::TempDir);

impl Home {
    /// A home with the sample's 2026Q3 imported (and so checked).
    fn with_sample() -> Home {
        let home = Home(tempfile::tempdir().unwrap());
        let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample");
        for (file, period) in [("2026Q2_中原区.csv", "2026Q2"), ("2026Q3_中原区.xlsx", "2026Q3")] {
            let out = home.run(&["import", &sample.join(file).display().to_string(), "--period", period]);
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        }
        home
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_shenhe"))
            .args(args)
            .env("SHENHE_HOME", self.0.path())
            .env("SHENHE_NOW", AT)
            .output()
            .unwrap()
    }

    /// Runs a decision with `--json`: one JSON object a line (JSON Lines), gathered here
    /// into an array.
    fn json(&self, args: &[&str]) -> (Output, serde_json::Value) {
        let out = self.run(args);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let lines = text.lines().map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {text}")));
        let value = serde_json::Value::Array(lines.collect());
        (out, value)
    }

    fn store(&self) -> Store {
        Store::open(&self.0.path().join("shenhe.db")).unwrap()
    }

    fn state(&self, code: &str) -> String {
        let out = self.run(&["list", "--period", "2026Q3", "--json"]);
        let list: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
        list.iter().find(|s| s["school_code"] == code).unwrap()["state"].as_str().unwrap().to_string()
    }
}

fn period() -> Period {
    "2026Q3".parse().unwrap()
}

#[test]
fn an_open_error_needs_an_override_note_and_the_note_is_kept() {
    let home = Home::with_sample();
    // 嵩山路第二小学: more multimedia rooms than classrooms (an error).
    let out = home.run(&["approve", "--period", "2026Q3", "--school", "2141010776"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("需用 --note") && text.contains("多媒体教室 25 间，多于普通教室 21 间"), "{text}");
    assert_eq!(home.state("2141010776"), "flagged", "refused means unchanged");

    let (out, json) =
        home.json(&["approve", "--period", "2026Q3", "--school", "2141010776", "--note", "含功能室，已核实", "--json"]);
    assert!(out.status.success());
    assert_eq!(json[0]["old_state"], "flagged");
    assert_eq!(json[0]["new_state"], "approved");
    assert_eq!(home.state("2141010776"), "approved");
    let store = home.store();
    let finding = store.findings(period(), false).unwrap().into_iter().find(|f| f.school_code == "2141010776").unwrap();
    assert_eq!((finding.resolution.as_str(), finding.note.as_deref()), ("overridden", Some("含功能室，已核实")));
    let log = store.log_entries(period()).unwrap();
    let last = log.last().unwrap();
    assert_eq!((last.action.as_str(), last.note.as_deref()), ("approve", Some("含功能室，已核实")));
}

#[test]
fn return_needs_a_reason_and_keeps_it_in_the_log() {
    let home = Home::with_sample();
    assert_eq!(home.run(&["return", "--school", "2141011495", "--reason", "  "]).status.code(), Some(2));
    assert_eq!(home.run(&["return", "--school", "2141011495"]).status.code(), Some(2));
    let out = home.run(&["return", "--school", "2141011495", "--reason", "学生数多打一个0"]);
    assert!(out.status.success());
    assert_eq!(home.state("2141011495"), "returned");
    let log = home.store().log_entries(period()).unwrap();
    let last = log.last().unwrap();
    assert_eq!(
        (last.school_code.as_deref(), last.old_state.as_deref(), last.new_state.as_deref(), last.note.as_deref()),
        (Some("2141011495"), Some("flagged"), Some("returned"), Some("学生数多打一个0"))
    );
    // A returned school waits for its new sheet: it cannot be approved meanwhile.
    let out = home.run(&["approve", "--school", "2141011495", "--note", "x"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("当前为“退回重报”"));
}

#[test]
fn all_clean_approves_only_submitted_schools_without_open_problems() {
    let home = Home::with_sample();
    let before: Vec<serde_json::Value> =
        serde_json::from_slice(&home.run(&["list", "--period", "2026Q3", "--json"]).stdout).unwrap();
    let clean: Vec<&str> = before
        .iter()
        .filter(|s| s["state"] == "submitted" && s["findings"] == 0)
        .map(|s| s["school_code"].as_str().unwrap())
        .collect();
    assert!(clean.len() > 100);
    let (out, json) = home.json(&["approve", "--all-clean", "--json"]);
    assert!(out.status.success());
    let approved: Vec<&str> = json.as_array().unwrap().iter().map(|r| r["school_code"].as_str().unwrap()).collect();
    assert_eq!(approved, clean);
    assert_eq!(home.state("2141010776"), "flagged", "a school with problems is left to the auditor");
    assert_eq!(home.state("2141010235"), "unfilled");
}

#[test]
fn a_flag_is_an_open_finding_with_the_note_and_survives_a_check() {
    let home = Home::with_sample();
    let clean = "2141011760";
    assert!(home.run(&["approve", "--school", clean]).status.success());
    assert!(home.run(&["flag", "--school", clean, "--note", "电话核实带宽"]).status.success());
    assert_eq!(home.state(clean), "flagged", "an approval can be questioned again");
    assert!(home.run(&["check", "--period", "2026Q3"]).status.success());
    assert_eq!(home.state(clean), "flagged", "a check does not clear the auditor's own flag");
    let out = home.run(&["check", "--period", "2026Q3"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("审核员标记：电话核实带宽"));
}

/// A run stopped halfway (the window closed, the PC switched off) has printed a line for every
/// school whose decision it wrote, but at most the one whose line was on its way: a school
/// printed as done is done, and the auditor knows where the run got to.
#[test]
fn a_run_killed_halfway_has_printed_every_decision_it_wrote_but_the_one_in_flight() {
    let home = Home::with_sample();
    let before: Vec<serde_json::Value> =
        serde_json::from_slice(&home.run(&["list", "--period", "2026Q3", "--json"]).stdout).unwrap();
    let codes: Vec<&str> = before
        .iter()
        .filter(|s| s["state"] == "submitted" || s["state"] == "flagged")
        .map(|s| s["school_code"].as_str().unwrap())
        .collect();
    assert!(codes.len() > 100, "a long run: {}", codes.len());
    let mut run = Command::new(env!("CARGO_BIN_EXE_shenhe"))
        .args(["return", "--period", "2026Q3", "--reason", "请核对后重报", "--school"])
        .args(&codes)
        .env("SHENHE_HOME", home.0.path())
        .env("SHENHE_NOW", AT)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Stopped once two returns are in the store (each is its own transaction).
    let db = rusqlite::Connection::open(home.0.path().join("shenhe.db")).unwrap();
    let written = |db: &rusqlite::Connection| -> i64 {
        db.query_row("SELECT count(*) FROM review_log WHERE action = 'return'", [], |r| r.get(0)).unwrap()
    };
    let start = Instant::now();
    while written(&db) < 2 {
        assert!(start.elapsed() < Duration::from_secs(30), "no return was written");
        std::thread::sleep(Duration::from_millis(2));
    }
    run.kill().unwrap();
    let out = run.wait_with_output().unwrap();
    let printed: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| line.split_whitespace().next().unwrap_or_default().to_string())
        .collect();
    let returned: Vec<String> = home
        .store()
        .list(period(), Some(shenhe::domain::ReviewState::Returned))
        .unwrap()
        .into_iter()
        .map(|s| s.school_code)
        .collect();
    assert!(returned.len() < codes.len(), "stopped halfway: {} of {} returned", returned.len(), codes.len());
    assert!(printed.iter().all(|code| returned.contains(code)), "printed {printed:?}, returned {returned:?}");
    assert!(
        returned.len() - printed.len() <= 1,
        "{} returned, {} printed: only the decision in flight may be unprinted",
        returned.len(),
        printed.len()
    );
}

/// Two copies on one store: a decision made on what one copy read is refused, writing nothing,
/// once the other has decided the school meanwhile.
#[test]
fn a_decision_on_a_state_another_copy_has_changed_is_refused_and_writes_nothing() {
    use shenhe::domain::ReviewState;
    use shenhe::store::{Decision, StoreError};
    let home = Home::with_sample();
    let (mut first, mut second) = (home.store(), home.store());
    let code = "2141011760";
    let seen = first.list(period(), None).unwrap().into_iter().find(|s| s.school_code == code).unwrap().state;
    assert!(matches!(seen, ReviewState::Submitted | ReviewState::Flagged), "{seen:?}");
    let decision = |action, new_state, note| Decision {
        period: period(),
        school_code: code,
        action,
        expected: seen,
        new_state,
        note,
        actor: "t",
        at: AT,
    };
    second.decide(&decision("return", ReviewState::Returned, Some("请重报"))).unwrap();
    let log_before = first.log_entries(period()).unwrap().len();
    let refused = first.decide(&decision("approve", ReviewState::Approved, None)).unwrap_err();
    assert!(matches!(refused, StoreError::StateChanged { state: ReviewState::Returned, .. }), "{refused}");
    assert!(refused.user_message(Default::default()).contains("退回重报"));
    assert_eq!(home.state(code), "returned");
    assert_eq!(first.log_entries(period()).unwrap().len(), log_before);
}

/// 取消 (seed 004 §2.1): a return made by mistake is taken back before the school resubmits,
/// to the state the school had — 有疑问 or 审核通过 as it was —, with a log row naming it and
/// the note; a school not returned, and a returned school whose new sheet has come in, are
/// refused and unchanged.
#[test]
fn a_return_made_by_mistake_is_cancelled_to_the_state_before_it() {
    let home = Home::with_sample();
    let (flagged, approved) = ("2141011495", "2141010776");
    assert_eq!(home.state(flagged), "flagged");
    home.run(&["approve", "--period", "2026Q3", "--school", approved, "--note", "含功能室，已核实"]);
    let out = home.run(&["return", "--period", "2026Q3", "--school", flagged, approved, "--reason", "学生数有误"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let (out, lines) = home.json(&[
        "cancel-return",
        "--period",
        "2026Q3",
        "--school",
        flagged,
        approved,
        "--note",
        "退错了学校",
        "--json",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(lines[0]["new_state"], "flagged");
    assert_eq!(lines[1]["new_state"], "approved");
    assert_eq!((home.state(flagged), home.state(approved)), ("flagged".into(), "approved".into()));
    let db = rusqlite::Connection::open(home.0.path().join("shenhe.db")).unwrap();
    let row: (String, String, String) = db
        .query_row(
            "SELECT old_state, new_state, note FROM review_log WHERE action = 'cancel_return' AND school_code = ?1",
            [flagged],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(row, ("returned".into(), "flagged".into(), "退错了学校".into()));

    // Nothing to take back now: refused, unchanged, in words.
    let before = home.store().content_digest().unwrap();
    let out = home.run(&["cancel-return", "--period", "2026Q3", "--school", flagged]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("不是退回重报"), "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(home.store().content_digest().unwrap(), before);
}

/// Once the returned school's new sheet has come in, the return has done its work: cancelling
/// it is refused and the new sheet stays to be reviewed.
#[test]
fn a_return_cannot_be_cancelled_once_the_new_sheet_has_arrived() {
    let home = Home(tempfile::tempdir().unwrap());
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/unfilled.csv");
    let sheet = home.0.path().join("sheet.csv");
    std::fs::copy(&fixture, &sheet).unwrap();
    let import = || home.run(&["import", &sheet.display().to_string(), "--period", "2026Q3"]);
    assert!(import().status.success());
    let school = "2141010201";
    assert!(home.run(&["return", "--school", school, "--reason", "学生数有误"]).status.success());
    let text = std::fs::read_to_string(&fixture).unwrap().replace(",28,62,1234,", ",28,62,1243,");
    std::fs::write(&sheet, text).unwrap();
    assert!(import().status.success());
    assert_eq!(home.state(school), "submitted", "the new sheet is back in the queue");
    let before = home.store().content_digest().unwrap();
    let out = home.run(&["cancel-return", "--school", school]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("待审核"), "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(home.store().content_digest().unwrap(), before);
}
