//! A city's 直属 schools: imported, checked and decided at the city exactly as a county does its
//! own, beside its counties' schools, which stay the counties' (read-only at the city).

use std::path::{Path, PathBuf};

#[path = "support/home.rs"]
mod home;
#[path = "support/levels.rs"]
mod levels;
use home::{Home, arg, json, stdout};
use levels::{NOW, PERIOD};

/// `unfilled.csv` made `code`/`name`'s, written into `home`: five schools, two filled.
fn sheet(home: &Home, file: &str, code: &str, name: &str) -> PathBuf {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/unfilled.csv");
    let text = std::fs::read_to_string(fixture).unwrap().replace("410102", code).replace("中原区", name);
    let path = home.path().join(file);
    std::fs::write(&path, text).unwrap();
    path
}

fn states(home: &Home) -> Vec<(String, String)> {
    let list = json(&home.ok_at(NOW, &["list", "--period", PERIOD, "--json"]));
    let mut out: Vec<(String, String)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["school_code"].as_str().unwrap().to_string(), s["state"].as_str().unwrap().to_string()))
        .collect();
    out.sort();
    out
}

fn refused(home: &Home, args: &[&str], says: &str) -> String {
    let out = home.run_at(NOW, args);
    let text = format!("{}{}", stdout(&out), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{args:?}: {text}");
    assert!(text.contains(says), "{args:?} should say {says}: {text}");
    text
}

#[test]
fn a_city_decides_its_own_schools_and_only_reads_its_counties() {
    let zy = Home::county("410102", "中原区");
    let bundle = zy.export(NOW);
    let city = Home::city(&zy.allowed_signers());
    city.ok_at(NOW, &["city", "import", &arg(&bundle)]);
    let county_states = states(&city);

    // The city's own sheet: imported and checked like a county's.
    let own = sheet(&city, "own.csv", "410100", "市直属");
    city.ok_at(NOW, &["import", &arg(&own), "--period", PERIOD]);
    let all = states(&city);
    assert_eq!(all.len(), 10, "{all:?}");
    for school in &county_states {
        assert!(all.contains(school), "the county's schools keep the states it gave them: {school:?}");
    }
    let status = json(&city.ok_at(NOW, &["city", "status", "--period", PERIOD, "--json"]));
    assert_eq!((status[0]["own"].as_bool(), status[0]["counts"]["schools"].as_u64()), (Some(true), Some(5)));
    assert_eq!(status[1]["county_code"], "410102");
    let text = stdout(&city.ok_at(NOW, &["city", "status", "--period", PERIOD]));
    assert!(text.contains("直属") && text.contains("已收到 1/3 个县区"), "the 直属 line is no county: {text}");

    // Decisions: the city's own schools, never a county's.
    city.ok_at(NOW, &["return", "--school", "2141010001", "--reason", "班级数有误"]);
    refused(&city, &["approve", "--school", "2141010201"], "由县区 410102 上报");
    refused(&city, &["drop", "--school", "2141010202", "--reason", "撤并"], "由县区 410102 上报");
    let clean = city.ok_at(NOW, &["approve", "--all-clean", "--json"]);
    for line in stdout(&clean).lines().filter(|l| l.starts_with('{')) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["school_code"].as_str().unwrap().starts_with("21410100"), "only the city's own: {line}");
    }
    let after = states(&city);
    for school in &county_states {
        assert!(after.contains(school), "no decision touched a county's school: {school:?}");
    }
    assert!(after.contains(&("2141010001".to_string(), "returned".to_string())), "{after:?}");

    // A sheet carrying a county's school is refused whole, naming the row and the report.
    let mixed = sheet(&city, "mixed.csv", "410102", "中原区");
    let text = refused(&city, &["import", &arg(&mixed), "--period", PERIOD], "中原区（410102）第 1 次上报");
    assert!(text.contains("mixed.csv:2:"), "{text}");
    assert_eq!(states(&city), after, "nothing changed");

    // A county's report carrying a 直属 school is refused, naming it.
    zy.ok_at(NOW, &["reopen", "--period", PERIOD, "--reason", "补报"]);
    let fixture =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/unfilled.csv")).unwrap();
    let header = fixture.lines().next().unwrap();
    let row = fixture.lines().find(|l| l.starts_with("2141010203")).unwrap().replacen("2141010203", "2141010003", 1);
    let extra = zy.path().join("extra.csv");
    std::fs::write(&extra, format!("{header}\n{row}\n")).unwrap();
    zy.ok_at(NOW, &["import", &arg(&extra), "--period", PERIOD]);
    let second = zy.export(NOW);
    refused(&city, &["city", "import", &arg(&second)], "2141010003");
    assert_eq!(states(&city), after, "nothing changed");
}
