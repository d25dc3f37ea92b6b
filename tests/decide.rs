//! `shenhe approve / return / flag` on the real binary: what the store holds afterwards.

use std::path::Path;
use std::process::{Command, Output};

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

    fn json(&self, args: &[&str]) -> (Output, serde_json::Value) {
        let out = self.run(args);
        let value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
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
