//! Two copies of shenhe on one store (a second window, a script beside the review screen): they
//! work alongside (SQLite's locks, the busy timeout), or the one kept waiting too long is told
//! the store is in use and changes nothing. Never a crash, a raw database error or a lost
//! write. The review screen's side is in `tests/screen.rs`.

use std::path::Path;
use std::process::{Child, Output};

#[path = "support/home.rs"]
mod home;
#[path = "support/splitmix.rs"]
mod splitmix;
#[path = "support/synthetic.rs"]
mod synthetic;

use home::{Home, arg, stderr, stdout};

const NOW: &str = "2026-10-03T10:00:00+08:00";
const COUNTY: (&str, &str, &str) = ("南阳市", "方城县", "411322");
const BUSY: &str = "数据库正被另一个 shenhe 使用";

fn county() -> Home {
    let (city, county, code) = COUNTY;
    Home::with_config(&format!(
        "[county]\ncode = \"{code}\"\nname = \"{county}\"\ncity = \"{city}\"\n[auditor]\nname = \"张敏\"\nphone = \"0377-1234567\"\n"
    ))
}

/// A sheet of `schools` schools of the county, written into `home`.
fn sheet(home: &Home, schools: usize, seed: u64) -> String {
    let path = home.path().join(format!("sheet_{schools}_{seed}.csv"));
    std::fs::write(&path, synthetic::county_sheet(COUNTY, schools, seed)).unwrap();
    arg(&path)
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

fn spawn(home: &Home, args: &[&str]) -> Child {
    home.spawn_at(NOW, args)
}

/// Everything the user saw; never a panic or the database's own words.
fn said(out: &Output) -> String {
    let text = format!("{}{}", stdout(out), stderr(out));
    for raw in ["panicked", "database error", "数据库操作失败", "locked", "SQLITE"] {
        assert!(!text.contains(raw), "{raw:?} shown to the user: {text}");
    }
    text
}

fn db(home: &Home) -> rusqlite::Connection {
    rusqlite::Connection::open(home.path().join("shenhe.db")).unwrap()
}

fn schools_in(home: &Home, period: &str) -> i64 {
    db(home).query_row("SELECT count(*) FROM submissions WHERE period = ?1", [period], |r| r.get(0)).unwrap()
}

/// (state, log rows of `action`) of a school of 2026Q3.
fn decided(home: &Home, code: &str, action: &str) -> (String, i64) {
    let db = db(home);
    let state = db
        .query_row("SELECT state FROM submissions WHERE period = '2026Q3' AND school_code = ?1", [code], |r| r.get(0))
        .unwrap();
    let logged = db
        .query_row(
            "SELECT count(*) FROM review_log WHERE period = '2026Q3' AND school_code = ?1 AND action = ?2",
            [code, action],
            |r| r.get(0),
        )
        .unwrap();
    (state, logged)
}

/// Schools of 2026Q3 that can be approved or returned, by code.
fn undecided(home: &Home) -> Vec<String> {
    let db = db(home);
    let mut stmt = db
        .prepare(
            "SELECT school_code FROM submissions WHERE period = '2026Q3' AND state IN ('submitted', 'flagged')
             ORDER BY school_code",
        )
        .unwrap();
    stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
}

/// The codes a decision run printed as done.
fn acknowledged(out: &Output) -> Vec<String> {
    stdout(out).lines().filter(|l| l.contains('→')).map(|l| l.split_whitespace().next().unwrap().to_string()).collect()
}

/// A new county's first runs, started together, all create the store between them: none fails
/// for finding the tables another has just made, or the file briefly held by another.
#[test]
fn copies_opening_a_new_store_at_once_all_work() {
    for round in 0..8 {
        let home = county();
        let file = sheet(&home, 40, round);
        let periods = ["2026Q2", "2026Q3", "2026Q4"];
        let runs: Vec<Child> = periods.iter().map(|p| spawn(&home, &["import", &file, "--period", p])).collect();
        for (run, period) in runs.into_iter().zip(periods) {
            let out = run.wait_with_output().unwrap();
            let text = said(&out);
            assert!(out.status.success(), "round {round}, {period}: {text}");
            assert_eq!(schools_in(&home, period), 40, "round {round}, {period}");
        }
    }
}

/// Four copies decide different schools (two approving, two returning) while a fifth imports
/// another quarter of 3,000 schools, a sixth runs the checks and a seventh lists: every school a
/// run printed as done is done, once; whatever was refused says why in words; run again, the
/// refused ones land too.
#[test]
fn decisions_from_several_copies_beside_an_import_all_land() {
    let home = county();
    home.ok_at(NOW, &["import", &sheet(&home, 1_200, 7), "--period", "2026Q3"]);
    let next = sheet(&home, 3_000, 8);
    let codes = undecided(&home);
    assert!(codes.len() >= 200, "{}", codes.len());
    let groups: Vec<&[String]> = codes.chunks(50).take(4).collect();
    // Even groups are approved, odd ones returned.
    let decide = |i: usize| -> (Vec<&str>, &str, &str) {
        let (mut args, action, state) = if i.is_multiple_of(2) {
            (vec!["approve", "--period", "2026Q3", "--note", "已核实"], "approve", "approved")
        } else {
            (vec!["return", "--period", "2026Q3", "--reason", "请核对后重报"], "return", "returned")
        };
        args.push("--school");
        args.extend(groups[i].iter().map(String::as_str));
        (args, action, state)
    };
    let import = spawn(&home, &["import", &next, "--period", "2026Q4"]);
    let check = spawn(&home, &["check", "--period", "2026Q3"]);
    let list = spawn(&home, &["list", "--period", "2026Q3", "--json"]);
    let deciders: Vec<Child> = (0..groups.len()).map(|i| spawn(&home, &decide(i).0)).collect();

    let imported = import.wait_with_output().unwrap();
    let text = said(&imported);
    match imported.status.code() {
        Some(0) => assert_eq!(schools_in(&home, "2026Q4"), 3_000),
        _ => assert!(text.contains(BUSY) && schools_in(&home, "2026Q4") == 0, "{text}"),
    }
    let checked = check.wait_with_output().unwrap();
    assert!(checked.status.success() || said(&checked).contains(BUSY), "{}", said(&checked));
    let listed = list.wait_with_output().unwrap();
    assert!(listed.status.success(), "{}", said(&listed));
    for (i, run) in deciders.into_iter().enumerate() {
        let out = run.wait_with_output().unwrap();
        let text = said(&out);
        let (args, action, state) = decide(i);
        let acked = acknowledged(&out);
        for code in &acked {
            assert_eq!(decided(&home, code, action), (state.to_string(), 1), "{code} was printed as done");
        }
        if acked.len() < groups[i].len() {
            assert_eq!(out.status.code(), Some(1), "{text}");
            assert!(text.contains(BUSY) || text.contains("已在别处"), "refused without saying why: {text}");
            let again = home.run_at(NOW, &args);
            assert!(acknowledged(&again).len() + acked.len() == groups[i].len(), "{}", said(&again));
        } else {
            assert!(out.status.success(), "{text}");
        }
        for code in groups[i] {
            assert_eq!(decided(&home, code, action), (state.to_string(), 1), "{code}");
        }
    }
}

/// A connection holding the store's write lock, as another copy in the middle of a long import
/// does, until it is dropped.
fn hold_write_lock(home: &Home) -> rusqlite::Connection {
    let db = db(home);
    db.execute_batch("BEGIN IMMEDIATE").unwrap();
    db
}

/// A copy kept waiting past the busy timeout (another holds the store longer) is told the
/// store is in use, in words, exits 1 and changes nothing; decisions name the schools they did
/// not reach. Reading goes on meanwhile. Once the store is free the same commands work.
#[test]
fn a_copy_kept_waiting_past_the_busy_timeout_is_told_the_store_is_in_use() {
    let home = county();
    home.ok_at(NOW, &["import", &sheet(&home, 100, 9), "--period", "2026Q3"]);
    let codes = undecided(&home);
    let (text_run, json_run) = (&codes[..3], &codes[3..5]);
    let out_dir = home.path().join("out");
    let approve = |codes: &[String], json: bool| {
        let mut args = vec!["approve", "--period", "2026Q3", "--note", "已核实", "--school"];
        args.extend(codes.iter().map(String::as_str));
        if json {
            args.push("--json");
        }
        args.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let export = ["export", "--period", "2026Q3", "--force", "--reason", "先行上报", "--out", &arg(&out_dir)];
    let next = sheet(&home, 100, 10);
    let import = ["import", next.as_str(), "--period", "2026Q4"];

    let held = hold_write_lock(&home);
    let commands = [
        approve(text_run, false),
        approve(json_run, true),
        export.map(String::from).to_vec(),
        import.map(String::from).to_vec(),
    ];
    let runs: Vec<Child> = commands.iter().map(|args| spawn(&home, &strs(args))).collect();
    let listed = home.run_at(NOW, &["list", "--period", "2026Q3", "--json"]);
    assert!(listed.status.success(), "reading works meanwhile: {}", said(&listed));
    let outs: Vec<Output> = runs.into_iter().map(|r| r.wait_with_output().unwrap()).collect();
    drop(held);

    for out in &outs {
        assert_eq!(out.status.code(), Some(1), "{}", said(out));
        assert!(said(out).contains(BUSY), "{}", said(out));
    }
    let text = stdout(&outs[0]);
    assert!(!text.contains('→'), "{text}");
    assert!(text_run.iter().all(|code| text.contains(code.as_str())), "names the schools not decided: {text}");
    let lines: Vec<serde_json::Value> = stdout(&outs[1]).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), json_run.len(), "{lines:?}");
    for (line, code) in lines.iter().zip(json_run) {
        assert_eq!((line["school_code"].as_str(), line["ok"].as_bool()), (Some(code.as_str()), Some(false)));
        assert!(line["reason"].as_str().unwrap().contains(BUSY), "{line}");
    }
    for code in &codes[..5] {
        assert_eq!(decided(&home, code, "approve").1, 0, "{code}");
    }
    assert_eq!(schools_in(&home, "2026Q4"), 0);
    assert!(!out_dir.exists() || std::fs::read_dir(&out_dir).unwrap().next().is_none(), "nothing exported");

    let again = home.run_at(NOW, &strs(&approve(&codes[..5], false)));
    assert!(again.status.success(), "{}", said(&again));
    assert_eq!(acknowledged(&again).len(), 5);
    assert!(home.run_at(NOW, &export).status.success());
    assert!(Path::new(&out_dir).join("411322_2026Q3_1.zip").exists());
}
