//! Three levels, end to end with the real binary: counties report to their cities, each city
//! reviews its 直属 schools and reports up one signed bundle carrying its counties' reports byte
//! for byte, and the province verifies every link before it merges anything.

use std::path::Path;

#[path = "support/home.rs"]
mod home;
#[path = "support/levels.rs"]
mod levels;
#[path = "support/resign.rs"]
mod resign;
use home::{Home, arg, json, stdout};
use levels::{LATE, NOW, PERIOD};

/// When the cities take their counties in, and report on time (days 6–10) or late.
const CITY_RECEIVES: &str = "2026-10-08T12:00:00+08:00";
const CITY_ON_TIME: &str = "2026-10-09T10:00:00+08:00";
const CITY_LATE: &str = "2026-10-11T10:00:00+08:00";
/// Inside the province's own days (11–15).
const PROVINCE: &str = "2026-10-12T10:00:00+08:00";

const CITIES: &str = "[{ code = \"410100\", name = \"郑州市\" }, { code = \"410200\", name = \"开封市\" }, \
                      { code = \"410300\", name = \"洛阳市\" }]";

/// A city with its counties: each county imports its five schools and reports at its time
/// (`None`: it sends nothing); the city takes them in, imports its own five 直属 schools if
/// `own`, and is ready to export.
struct City {
    home: Home,
    counties: Vec<Home>,
}

fn city(code: &str, name: &str, counties: &[(&str, &str, Option<&str>)], own: bool) -> City {
    let homes: Vec<Home> = counties.iter().map(|(c, n, _)| Home::county_of(c, n, name)).collect();
    let mut bundles = Vec::new();
    for (h, (_, _, at)) in homes.iter().zip(counties) {
        match at {
            Some(at) => bundles.push(h.export(at)),
            // It never reports, but the city trusts its key all the same.
            None => drop(h.ok_at(NOW, &["key", "init"])),
        }
    }
    let keys: String = homes.iter().map(|h| h.allowed_signers()).collect();
    let refs: Vec<(&str, &str)> = counties.iter().map(|(c, n, _)| (*c, *n)).collect();
    let home = Home::city_of(code, name, &refs, &keys);
    if !bundles.is_empty() {
        let mut args = vec!["receive".to_string()];
        args.extend(bundles.iter().map(|b| arg(b)));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        home.ok_at(CITY_RECEIVES, &args);
    }
    if own {
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/unfilled.csv");
        let text = std::fs::read_to_string(fixture).unwrap().replace("410102", code).replace("中原区", "市直属");
        let sheet = home.path().join("own.csv");
        std::fs::write(&sheet, text).unwrap();
        home.ok_at(CITY_RECEIVES, &["import", &arg(&sheet), "--period", PERIOD]);
    }
    City { home, counties: homes }
}

/// What a province's store shows: every school with its state, and where each city stands.
fn snapshot(province: &Home) -> String {
    let shown = |args: &[&str]| {
        let out = province.run_at(PROVINCE, args);
        format!("{:?} {} {}", out.status.code(), stdout(&out), String::from_utf8_lossy(&out.stderr))
    };
    let list = shown(&["list", "--period", PERIOD, "--json"]);
    format!("{list}\n{}", shown(&["status", "--period", PERIOD, "--json"]))
}

fn refused(home: &Home, file: &Path, says: &[&str]) {
    let out = home.run_at(PROVINCE, &["receive", &arg(file)]);
    let text = format!("{}{}", stdout(&out), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{text}");
    for part in says {
        assert!(text.contains(part), "{part}: {text}");
    }
}

#[test]
fn a_province_receives_its_cities_with_every_countys_report_checked() {
    let zz = city(
        "410100",
        "郑州市",
        &[("410102", "中原区", Some(NOW)), ("410103", "二七区", Some(LATE)), ("410105", "金水区", None)],
        true,
    );
    let kf = city("410200", "开封市", &[("410202", "龙亭区", Some(NOW)), ("410203", "顺河区", Some(NOW))], false);
    let ly = city("410300", "洛阳市", &[("410302", "老城区", Some(NOW))], false);
    let zz_report = zz.home.city_export(CITY_ON_TIME);
    let kf_first = kf.home.city_export(CITY_ON_TIME);
    let ly_report = ly.home.city_export(CITY_LATE);
    let keys: String = [&zz.home, &kf.home, &ly.home].iter().map(|h| h.allowed_signers()).collect();
    assert!(keys.starts_with("410100 namespaces=\"shenhe-bundle\" ssh-ed25519 "), "a city signs as its code: {keys}");
    let province = Home::province(CITIES, &keys);

    // The city's report carries each county's report byte for byte, vouching for its key.
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&zz_report).unwrap()).unwrap();
    let mut inner = Vec::new();
    std::io::Read::read_to_end(&mut zip.by_name("counties/410102_2026Q3_1.zip").unwrap(), &mut inner).unwrap();
    let county_bundle = std::fs::read(zz.counties[0].path().join("out/410102_2026Q3_1.zip")).unwrap();
    assert_eq!(inner, county_bundle, "the county's report as the county signed it");
    let manifest: serde_json::Value = {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("manifest.json").unwrap(), &mut text).unwrap();
        serde_json::from_str(&text).unwrap()
    };
    assert_eq!((manifest["level"].as_str(), manifest["county_code"].as_str()), (Some("city"), Some("410100")));
    let units = manifest["units"].as_array().unwrap();
    assert_eq!(units.len(), 3);
    assert_eq!((units[1]["code"].as_str(), units[1]["on_time"].as_bool()), (Some("410103"), Some(false)));
    assert!(units[2]["report"].is_null(), "金水区 sent nothing: {}", units[2]);

    // Refused, each naming the county and the broken link; nothing lands.
    let before = snapshot(&province);
    let inner_path = "counties/410102_2026Q3_1.zip";
    let mut altered = inner.clone();
    let i = altered.len() / 2;
    altered[i] ^= 0x01;
    let altered_sha = shenhe::bundle::manifest::sha256_hex(&altered);
    let keys_dir = zz.home.path().join("keys");
    let resign = |file: &str, bytes: Vec<u8>, edit: &dyn Fn(&mut serde_json::Value)| {
        let path = province.path().join(file);
        let original = std::fs::read(&zz_report).unwrap();
        std::fs::write(&path, resign::resigned_with_file(&original, &keys_dir, inner_path, bytes, edit)).unwrap();
        path
    };
    let changed = resign("changed.zip", altered, &|m| m["units"][0]["report"]["sha256"] = altered_sha.clone().into());
    refused(&province, &changed, &["中原区（410102）", "核验失败"]);
    let other_key = kf.counties[0].allowed_signers();
    let other_key = other_key.split_whitespace().skip(2).take(2).collect::<Vec<_>>().join(" ");
    let unvouched = resign("unvouched.zip", inner.clone(), &|m| {
        m["units"][0]["report"]["signer"]["public_key"] = other_key.clone().into()
    });
    refused(&province, &unvouched, &["中原区（410102）", "不在信任的公钥文件中"]);
    let foreign = resign("foreign.zip", inner.clone(), &|m| m["units"][0]["code"] = "410202".into());
    refused(&province, &foreign, &["410202", "不属于这个市州"]);
    assert_eq!(snapshot(&province), before, "no refusal changed the province's store");

    province.ok_at(PROVINCE, &["receive", &arg(&zz_report), &arg(&kf_first), &arg(&ly_report)]);
    // 开封市 sends its report again, then the first one once more: the newer one stands.
    kf.home.ok_at(CITY_ON_TIME, &["reopen", "--period", PERIOD, "--reason", "补充说明"]);
    let kf_second = kf.home.city_export(CITY_ON_TIME);
    let out = province.ok_at(PROVINCE, &["receive", &arg(&kf_second)]);
    assert!(stdout(&out).contains("第 2 次上报"), "{}", stdout(&out));
    let before = snapshot(&province);
    let out = province.run_at(PROVINCE, &["receive", &arg(&kf_first)]);
    assert!(stdout(&out).contains("第 1 次"), "{}", stdout(&out));
    assert_eq!(snapshot(&province), before, "a replayed older report changes nothing");

    // Where each city stands, and its auditors' 主动上报 (seed 000 附件3, seed 001 附件2).
    let status = json(&province.ok_at(PROVINCE, &["status", "--period", PERIOD, "--json"]));
    let figures: Vec<(String, u64, u64, u64, f64, u64)> = status
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let u = &c["units"];
            (
                c["county"].as_str().unwrap().to_string(),
                u["auditors"].as_u64().unwrap(),
                u["active"].as_u64().unwrap(),
                u["system"].as_u64().unwrap(),
                u["active_rate"].as_f64().unwrap(),
                c["counts"]["schools"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        figures,
        [
            ("郑州市".to_string(), 4, 2, 2, 50.0, 15),
            ("开封市".to_string(), 3, 3, 0, 100.0, 10),
            ("洛阳市".to_string(), 2, 1, 1, 50.0, 5),
        ]
    );
    assert_eq!(status[0]["sequence"], 1);
    assert_eq!(status[1]["sequence"], 2);
    assert_eq!((status[0]["units"]["late"].as_u64(), status[0]["units"]["missing"].as_u64()), (Some(1), Some(1)));
    assert_eq!(status[2]["inside_window"], false, "洛阳市 reported late");
    let list = json(&province.ok_at(PROVINCE, &["list", "--period", PERIOD, "--json"]));
    assert_eq!(list.as_array().unwrap().len(), 30, "every school of every city, 直属 and counties'");
    // A city the province's config does not have is refused as such.
    let elsewhere = Home::province("[{ code = \"410200\", name = \"开封市\" }]", &keys);
    refused(&elsewhere, &zz_report, &["郑州市（410100）不是本省配置"]);
    let by_city = json(&province.ok_at(PROVINCE, &["stats", "--period", PERIOD, "--by", "city", "--json"]));
    let schools: Vec<(&str, u64)> = by_city
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["city"].as_str().unwrap(), r["schools"].as_u64().unwrap()))
        .collect();
    assert_eq!(schools, [("郑州市", 15), ("开封市", 10), ("洛阳市", 5)], "{by_city}");
    let text = stdout(&province.ok_at(PROVINCE, &["status", "--period", PERIOD]));
    for part in ["河南省 2026Q3 各市州上报情况", "市（州）", "已收到 3/3 个市州", "2/0/0", "100.00%"]
    {
        assert!(text.contains(part), "{part}: {text}");
    }
}

/// The province sends a city's report back with a signed notice; the city reopens from it (its
/// counties' reports it holds stay as they are), reports again, and the province takes the
/// new report as current.
#[test]
fn the_province_sends_a_city_back_and_takes_its_next_report() {
    let zz = city("410100", "郑州市", &[("410102", "中原区", Some(NOW))], true);
    let first = zz.home.city_export(CITY_ON_TIME);
    let province = Home::province(CITIES, &zz.home.allowed_signers());
    province.ok_at(PROVINCE, &["receive", &arg(&first)]);
    let notices = arg(&province.path().join("notices"));
    let args = ["send-back", "--period", PERIOD, "--unit", "410100", "--reason", "直属学校数据待核", "--out", &notices];
    let sent = json(&province.ok_at(PROVINCE, &[&args[..], &["--json"]].concat()));
    let line = sent["allowed_signers"].as_str().unwrap();
    assert!(line.starts_with("\"河南省\" namespaces=\"shenhe-return\" "), "{line}");
    let status = json(&province.ok_at(PROVINCE, &["status", "--period", PERIOD, "--json"]));
    assert_eq!(status[0]["returned"]["reason"], "直属学校数据待核");

    let trusted = zz.home.path().join("allowed_signers");
    let keys = std::fs::read_to_string(&trusted).unwrap();
    std::fs::write(&trusted, format!("{keys}{line}\n")).unwrap();
    zz.home.ok_at(PROVINCE, &["reopen", "--from", sent["notice"].as_str().unwrap()]);
    let second = zz.home.city_export(PROVINCE);
    let out = province.ok_at(PROVINCE, &["receive", &arg(&second)]);
    assert!(stdout(&out).contains("第 2 次上报"), "{}", stdout(&out));
    let status = json(&province.ok_at(PROVINCE, &["status", "--period", PERIOD, "--json"]));
    assert_eq!((status[0]["sequence"].as_u64(), status[0]["returned"].is_null()), (Some(2), true));
}

/// A school code two of a city's counties both report is a conflict the city holds: the
/// province takes the city's report all the same, the school once.
#[test]
fn a_conflict_the_city_holds_does_not_lock_the_city_out() {
    let (zy, eq) = (Home::county_of("410102", "中原区", "郑州市"), Home::county_of("410103", "二七区", "郑州市"));
    let fixture =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/unfilled.csv")).unwrap();
    let row = fixture.lines().nth(1).unwrap().replace(",410102,", ",410103,").replace("中原区", "二七区");
    let sheet = eq.path().join("extra.csv");
    std::fs::write(&sheet, format!("{}\n{row}\n", fixture.lines().next().unwrap())).unwrap();
    eq.ok_at(NOW, &["import", &arg(&sheet), "--period", PERIOD]);
    let (a, b) = (zy.export(NOW), eq.export(NOW));
    let keys = zy.allowed_signers() + &eq.allowed_signers();
    let zz = Home::city_of("410100", "郑州市", &[("410102", "中原区"), ("410103", "二七区")], &keys);
    zz.ok_at(CITY_RECEIVES, &["receive", &arg(&a), &arg(&b)]);
    let report = zz.city_export(CITY_ON_TIME);
    let province = Home::province(CITIES, &zz.allowed_signers());
    province.ok_at(PROVINCE, &["receive", &arg(&report)]);
    let list = json(&province.ok_at(PROVINCE, &["list", "--period", PERIOD, "--json"]));
    assert_eq!(list.as_array().unwrap().len(), 10, "ten schools, the shared one once: {list}");
}

/// A city's manifest re-signed with its own key cannot make a county's report what it is not:
/// a county that sent nothing on time, a report made on another day than the county signed,
/// a unit that is no county (the city's own code).
#[test]
fn a_citys_word_about_its_counties_must_match_their_reports() {
    let zz = city("410100", "郑州市", &[("410102", "中原区", Some(LATE)), ("410105", "金水区", None)], false);
    let report = zz.home.city_export(CITY_ON_TIME);
    let province = Home::province(CITIES, &zz.home.allowed_signers());
    let keys_dir = zz.home.path().join("keys");
    let original = std::fs::read(&report).unwrap();
    let lie = |file: &str, edit: &dyn Fn(&mut serde_json::Value)| {
        let path = province.path().join(file);
        std::fs::write(&path, resign::resigned(&original, &keys_dir, edit)).unwrap();
        path
    };
    let missing_on_time = lie("missing.zip", &|m| m["units"][1]["on_time"] = true.into());
    refused(&province, &missing_on_time, &["金水区（410105）", "on_time"]);
    let earlier = lie("earlier.zip", &|m| m["units"][0]["report"]["created_at"] = "2026-10-02T10:00:00+08:00".into());
    refused(&province, &earlier, &["中原区（410102）", "created_at"]);
    let itself = lie("itself.zip", &|m| m["units"][1]["code"] = "410100".into());
    refused(&province, &itself, &["410100", "不属于这个市州"]);
    let status = json(&province.ok_at(PROVINCE, &["status", "--period", PERIOD, "--json"]));
    assert_eq!(status[0]["received"], false, "nothing landed: {status}");
    province.ok_at(PROVINCE, &["receive", &arg(&report)]);
}
