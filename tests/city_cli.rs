//! The city clerk's first steps, from the command line: counties export their bundles, the city
//! receives them (`city import`: verified, from a county of the config, the newest report
//! current, older ones on record, replays ignored) and sees who is in (`city status`).

use std::path::Path;

#[path = "support/home.rs"]
mod home;
#[path = "support/levels.rs"]
mod levels;
#[path = "support/resign.rs"]
mod resign;
use home::{Home, arg, json, stdout};
use levels::{LATE, NOW, PERIOD};

/// Two counties in, one missing; on time or not; the counts each county reported.
#[test]
fn the_city_receives_bundles_and_sees_who_is_in() {
    let (zy, eq) = (Home::county("410102", "中原区"), Home::county("410103", "二七区"));
    let (a, b) = (zy.export(NOW), eq.export(LATE));
    let city = Home::city(&format!("{}{}", zy.allowed_signers(), eq.allowed_signers()));
    let out = city.ok_at(NOW, &["city", "import", &arg(&a), &arg(&b)]);
    assert!(
        stdout(&out).contains("已接收") && stdout(&out).contains("二七区（410103）2026Q3 第 1 次上报"),
        "{}",
        stdout(&out)
    );

    let status = json(&city.ok_at(NOW, &["city", "status", "--period", PERIOD, "--json"]));
    let rows = status.as_array().unwrap();
    assert_eq!(rows.len(), 3, "one row per county of the config");
    assert_eq!((rows[0]["county_code"].as_str(), rows[0]["received"].as_bool()), (Some("410102"), Some(true)));
    assert_eq!(rows[0]["inside_window"], true);
    assert_eq!(rows[1]["inside_window"], false, "二七区 reported on 8 October, after the window");
    assert_eq!(rows[0]["counts"]["schools"], 5);
    assert_eq!(rows[0]["counts"]["unfilled"], 3);
    assert_eq!(rows[0]["forced"], "先行上报");
    assert_eq!((rows[2]["county"].as_str(), rows[2]["received"].as_bool()), (Some("金水区"), Some(false)));

    let text = stdout(&city.ok_at(NOW, &["city", "status", "--period", PERIOD]));
    assert!(text.contains("已收到 2/3 个县区，按时上报 1 个；未收到：金水区"), "{text}");
    let english = stdout(&city.ok_at(NOW, &["--lang", "en", "city", "status", "--period", PERIOD]));
    assert!(english.contains("Received 2 of 3 counties, 1 on time; missing: 金水区"), "{english}");
}

/// The city sees which reports carry their 月报文本 (status, JSON, board column) and takes one
/// out byte for byte, named after the report; a county without one, or one not received, is
/// told apart; a code not of the config is a usage error.
#[test]
fn the_city_sees_and_takes_out_each_countys_report_text() {
    let (zy, eq) = (Home::county("410102", "中原区"), Home::county("410103", "二七区"));
    let text = zy.path().join("中原区九月月报.docx");
    let bytes = b"PK\x03\x04 word document".to_vec();
    std::fs::write(&text, &bytes).unwrap();
    let (a, b) = (zy.export_with_text(NOW, &text), eq.export(NOW));
    let city = Home::city(&format!("{}{}", zy.allowed_signers(), eq.allowed_signers()));
    city.ok_at(NOW, &["city", "import", &arg(&a), &arg(&b)]);

    let rows = json(&city.ok_at(NOW, &["city", "status", "--period", PERIOD, "--json"]));
    assert_eq!(rows[0]["report_text"], serde_json::json!({"path": "月报文本.docx", "name": "中原区九月月报.docx"}));
    assert!(rows[1]["report_text"].is_null() && rows[2]["report_text"].is_null());
    let table = stdout(&city.ok_at(NOW, &["city", "status", "--period", PERIOD]));
    let line = |code: &str| table.lines().find(|l| l.contains(code)).unwrap_or_default().to_string();
    assert!(line("县（市、区）").contains("月报"), "{table}");
    assert!(line("410102").contains(" 有 ") && line("410103").contains(" 无 "), "{table}");

    let out = city.path().join("texts");
    let took = |county: &str| {
        city.run_at(NOW, &["city", "report-text", "--period", PERIOD, "--county", county, "--out", &arg(&out)])
    };
    let o = took("410102");
    assert!(o.status.success(), "{}", home::stderr(&o));
    let written = out.join("410102_2026Q3_1_月报文本.docx");
    assert!(
        stdout(&o).contains(&written.display().to_string()) && stdout(&o).contains("中原区九月月报.docx"),
        "{}",
        stdout(&o)
    );
    assert_eq!(std::fs::read(&written).unwrap(), bytes);
    let o = took("410103");
    assert_eq!(o.status.code(), Some(1));
    assert!(home::stderr(&o).contains("二七区") || home::stderr(&o).contains("410103"), "{}", home::stderr(&o));
    assert!(home::stderr(&o).contains("未附月报文本"), "{}", home::stderr(&o));
    let o = took("410105");
    assert_eq!(o.status.code(), Some(1));
    assert!(home::stderr(&o).contains("还没有上报"), "{}", home::stderr(&o));
    assert_eq!(took("999999").status.code(), Some(2));
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1, "only what was asked for was written");

    // A name, signed again with the county's key, that would forge a line: shown as one line.
    let forged = zy.path().join("forged.zip");
    let edit = |m: &mut serde_json::Value| m["report_text"]["name"] = "x.docx\n已核验：全部通过\u{202e}xcod.exe".into();
    let resigned = resign::resigned(&std::fs::read(&a).unwrap(), &zy.path().join("keys"), edit);
    std::fs::write(&forged, resigned).unwrap();
    let other = Home::city(&zy.allowed_signers());
    other.ok_at(NOW, &["city", "import", &arg(&forged)]);
    let o = other.ok_at(NOW, &["city", "report-text", "--period", PERIOD, "--county", "410102"]);
    assert_eq!(stdout(&o).lines().count(), 1, "{}", stdout(&o));
    assert!(stdout(&o).contains("x.docx\\n已核验") && !stdout(&o).contains('\u{202e}'), "{}", stdout(&o));

    // A manifest, signed again with the county's key, that calls another file its 月报文本.
    let bundle = std::fs::read(&a).unwrap();
    for path in ["schools.csv", "月报文本.exe", "月报文本.DOCX"] {
        let crafted = zy.path().join("crafted.zip");
        let edit = |m: &mut serde_json::Value| m["report_text"]["path"] = path.into();
        std::fs::write(&crafted, resign::resigned(&bundle, &zy.path().join("keys"), edit)).unwrap();
        let o = city
            .run_at(NOW, &["verify", "--allowed-signers", &arg(&city.path().join("allowed_signers")), &arg(&crafted)]);
        assert_eq!(o.status.code(), Some(1), "{path}: {}", stdout(&o));
        assert!(
            stdout(&o).contains(&format!("清单所说的月报文本 {path} 不是包内列出的月报文本文件")),
            "{}",
            stdout(&o)
        );
    }
}

/// A newer report replaces the current one (kept on record); the same or an older one again
/// changes nothing and says so.
#[test]
fn a_newer_report_replaces_and_a_replay_is_ignored() {
    let zy = Home::county("410102", "中原区");
    let first = zy.export(NOW);
    zy.ok_at(LATE, &["reopen", "--period", PERIOD, "--reason", "市州退回：补充说明"]);
    let second = zy.export(LATE);
    let city = Home::city(&zy.allowed_signers());

    let out = json(&city.ok_at(NOW, &["city", "import", &arg(&first), "--json"]));
    assert_eq!(out[0]["outcome"], "loaded");
    let out = json(&city.ok_at(NOW, &["city", "import", &arg(&second), &arg(&first), &arg(&second), "--json"]));
    let outcomes: Vec<&str> = out.as_array().unwrap().iter().map(|r| r["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["replaced", "already_have", "already_have"]);
    let status = json(&city.ok_at(NOW, &["city", "status", "--period", PERIOD, "--json"]));
    assert_eq!(status[0]["sequence"], 2);

    // A city that gets report 2 first keeps it when report 1 arrives late.
    let other = Home::city(&zy.allowed_signers());
    other.ok_at(NOW, &["city", "import", &arg(&second)]);
    let out = other.ok_at(NOW, &["city", "import", &arg(&first)]);
    assert!(stdout(&out).contains("比现有的第 2 次旧"), "{}", stdout(&out));
    assert_eq!(json(&other.ok_at(NOW, &["city", "status", "--period", PERIOD, "--json"]))[0]["sequence"], 2);
}

/// A tampered bundle, one from a county the city does not have, or one signed by a key it does
/// not trust is refused with its reason (exit 1) and changes nothing.
#[test]
fn refused_bundles_change_nothing() {
    let zy = Home::county("410102", "中原区");
    let stranger = Home::county("410221", "杞县");
    let (good, foreign) = (zy.export(NOW), stranger.export(NOW));
    let tampered = zy.path().join("tampered.zip");
    let mut bytes = std::fs::read(&good).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&tampered, bytes).unwrap();

    // The city trusts both keys, but 杞县 is not one of its counties.
    let city = Home::city(&format!("{}{}", zy.allowed_signers(), stranger.allowed_signers()));
    let before = stdout(&city.ok_at(NOW, &["city", "status", "--period", PERIOD, "--json"]));
    for (bundle, says) in [(&tampered, "未接收"), (&foreign, "不在配置的所辖县区中")] {
        let out = city.run_at(NOW, &["city", "import", &arg(bundle)]);
        assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
        assert!(stdout(&out).contains(says), "{}", stdout(&out));
    }
    let untrusting = Home::city(&stranger.allowed_signers());
    let out = untrusting.run_at(NOW, &["city", "import", &arg(&good)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("不在信任的公钥文件中"), "{}", stdout(&out));
    assert_eq!(stdout(&city.ok_at(NOW, &["city", "status", "--period", PERIOD, "--json"])), before);
    assert_eq!(json(&untrusting.ok_at(NOW, &["city", "status", "--period", PERIOD, "--json"]))[0]["received"], false);

    // One good and one bad in one run: the good one is received, the run exits 1.
    let out = city.run_at(NOW, &["city", "import", &arg(&good), &arg(&tampered)]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&city.ok_at(NOW, &["city", "status", "--period", PERIOD, "--json"]))[0]["received"], true);
}

/// `city import` reads each bundle bounded: a sparse 3 GB file, a directory and `/dev/zero` are
/// refused at once, unread, naming the file, what it is or its size and the limit; a good
/// bundle beside them is still received.
#[test]
fn city_import_refuses_unread_what_is_too_large_or_no_file() {
    let zy = Home::county("410102", "中原区");
    let good = zy.export(NOW);
    let city = Home::city(&zy.allowed_signers());
    for (path, says, code) in home::files_refused_unread(city.path(), "67108864 字节（64 MiB）") {
        let started = std::time::Instant::now();
        let out = city.run_at(NOW, &["city", "import", &arg(&path)]);
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "{}: not read", path.display());
        assert_eq!(out.status.code(), Some(code), "{}: {}", path.display(), stdout(&out));
        let text = stdout(&out);
        assert!(text.contains(&arg(&path)) && text.contains(&says), "{says}: {text}");
    }
    let out = city.run_at(NOW, &["city", "import", &arg(&city.path().join("文件夹.zip")), &arg(&good)]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(json(&city.ok_at(NOW, &["city", "status", "--period", PERIOD, "--json"]))[0]["received"], true);
}

/// The city's figures by county are the counties' own; a county cannot report (and so
/// overwrite) another county's schools.
#[test]
fn the_citys_figures_are_the_counties_own_and_counties_keep_to_their_schools() {
    let (zy, eq) = (Home::county("410102", "中原区"), Home::county("410103", "二七区"));
    eq.ok_at(NOW, &["approve", "--school", "2141010301"]);
    eq.ok_at(NOW, &["return", "--school", "2141010302", "--reason", "数据有误"]);
    let (a, b) = (zy.export(NOW), eq.export(NOW));
    let city = Home::city(&format!("{}{}", zy.allowed_signers(), eq.allowed_signers()));
    city.ok_at(NOW, &["city", "import", &arg(&a), &arg(&b)]);
    let by_county = json(&city.ok_at(NOW, &["stats", "--period", PERIOD, "--by", "county", "--json"]));
    let rows = by_county.as_array().unwrap();
    assert_eq!(rows.len(), 2, "{by_county}");
    for (row, county) in rows.iter().zip([&zy, &eq]) {
        let own = json(&county.ok_at(NOW, &["stats", "--period", PERIOD, "--json"]));
        for key in ["schools", "filled", "unfilled", "connected", "bandwidth_100m", "fill_rate", "connected_rate"] {
            assert_eq!(row[key], own[key], "{key}: {row} vs {own}");
        }
    }
    let states: Vec<(String, String)> = json(&city.ok_at(NOW, &["list", "--period", PERIOD, "--json"]))
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["school_code"].as_str().unwrap().into(), r["state"].as_str().unwrap().into()))
        .collect();
    assert!(states.contains(&("2141010301".into(), "approved".into())), "{states:?}");
    assert!(states.contains(&("2141010302".into(), "returned".into())), "{states:?}");
    // A county's school is the county's to decide: read-only at the city.
    let out = city.run_at(NOW, &["approve", "--period", PERIOD, "--school", "2141010201"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout(&out).contains("由县区 410102 上报"), "{}", stdout(&out));

    // 金水区 reports schools of 中原区 as its own: received (金水区 is not locked out), the
    // five codes are duplicates the city sees, and 中原区's schools keep 中原区's data.
    let js = Home::with_config(
        "[county]\ncode = \"410105\"\nname = \"金水区\"\ncity = \"郑州市\"\n[auditor]\nname = \"王\"\nphone = \"1\"\n",
    );
    let sheet = js.path().join("sheet.csv");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/unfilled.csv");
    std::fs::write(&sheet, std::fs::read_to_string(fixture).unwrap().replace(",410102,", ",410105,")).unwrap();
    js.ok_at(NOW, &["import", &arg(&sheet), "--period", PERIOD]);
    let foreign = js.export(NOW);
    let city_keys = std::fs::read_to_string(city.path().join("allowed_signers")).unwrap();
    std::fs::write(city.path().join("allowed_signers"), format!("{city_keys}{}", js.allowed_signers())).unwrap();
    let before = stdout(&city.ok_at(NOW, &["list", "--period", PERIOD, "--json"]));
    let out = city.ok_at(NOW, &["city", "import", &arg(&foreign)]);
    assert!(
        stdout(&out).contains("学校 2141010201 也在 中原区（410102）第 1 次上报中")
            && stdout(&out).contains("金水区（410105）第 1 次上报"),
        "{}",
        stdout(&out)
    );
    assert_eq!(stdout(&city.ok_at(NOW, &["list", "--period", PERIOD, "--json"])), before);
}

/// The city's set of a county's schools is the county's current report: a school the county
/// drops (here one that is another county's) leaves with the next report, or goes back to the
/// county that also reports it; while two counties both report it, the city sees the conflict,
/// naming both counties and both reports, and neither county is locked out.
#[test]
fn a_replacing_report_replaces_the_countys_set_of_schools() {
    let (zy, eq) = (Home::county("410102", "中原区"), Home::county("410103", "二七区"));
    // 中原区's sheet also carries 二七区's school 2141010301 by mistake.
    let sheet = zy.path().join("extra.csv");
    let theirs = std::fs::read_to_string(eq.path().join("sheet.csv")).unwrap();
    let stray = theirs.lines().nth(1).unwrap().replace(",410103,", ",410102,").replace(",二七区,", ",中原区,");
    let header = theirs.lines().next().unwrap();
    std::fs::write(&sheet, format!("{header}\n{stray}\n")).unwrap();
    zy.ok_at(NOW, &["import", &arg(&sheet), "--period", PERIOD]);
    let zy1 = zy.export(NOW);
    let eq1 = eq.export(NOW);
    let city = Home::city(&format!("{}{}", zy.allowed_signers(), eq.allowed_signers()));
    city.ok_at(NOW, &["city", "import", &arg(&zy1)]);
    let count = |county: &str| {
        let rows = json(&city.ok_at(NOW, &["list", "--period", PERIOD, "--json"]));
        rows.as_array().unwrap().iter().filter(|r| r["county"] == county).count()
    };
    assert_eq!(count("中原区"), 6, "{}", stdout(&city.ok_at(NOW, &["list", "--period", PERIOD])));

    // The real owner reports it: received, and the conflict is shown.
    let out = city.ok_at(NOW, &["city", "import", &arg(&eq1)]);
    assert!(stdout(&out).contains("学校 2141010301 也在 中原区（410102）第 1 次上报中"), "{}", stdout(&out));
    let status = stdout(&city.ok_at(NOW, &["city", "status", "--period", PERIOD]));
    assert!(
        status.contains("重复学校 1 所")
            && status.contains("学校 2141010301 同时在 中原区（410102）第 1 次和 二七区（410103）第 1 次上报中"),
        "{status}"
    );
    let rows = json(&city.ok_at(NOW, &["city", "status", "--period", PERIOD, "--json"]));
    assert_eq!(rows[1]["conflicts"][0]["school_code"], "2141010301");
    assert_eq!(rows[1]["conflicts"][0]["other_county_code"], "410102");
    assert_eq!((count("中原区"), count("二七区")), (6, 4), "the school counts once, under the county that had it");

    // 中原区 drops it (logged, with the reason) and reports again: the school is 二七区's.
    zy.ok_at(NOW, &["reopen", "--period", PERIOD, "--reason", "市州退回：含二七区学校"]);
    let out = zy.ok_at(NOW, &["drop", "--school", "2141010301", "--reason", "二七区的学校，误导入"]);
    assert!(stdout(&out).contains("已删除 2141010301"), "{}", stdout(&out));
    let log = stdout(&zy.ok_at(NOW, &["list", "--period", PERIOD, "--json"]));
    assert!(!log.contains("2141010301"), "{log}");
    // And one of its own that closed: no other county has it, so it leaves the city too.
    zy.ok_at(NOW, &["drop", "--school", "2141010205", "--reason", "教学点已撤销"]);
    let zy2 = zy.export(NOW);
    let out = json(&city.ok_at(NOW, &["city", "import", &arg(&zy2), "--json"]));
    assert_eq!(out[0]["outcome"], "replaced");
    assert_eq!((count("中原区"), count("二七区")), (4, 5));
    let rows = json(&city.ok_at(NOW, &["city", "status", "--period", PERIOD, "--json"]));
    assert_eq!(rows[0]["counts"]["schools"], 4, "city status and list agree");
    assert_eq!(rows[1]["conflicts"].as_array().unwrap().len(), 0);
    let stats = json(&city.ok_at(NOW, &["stats", "--period", PERIOD, "--by", "county", "--json"]));
    let text = stats.to_string();
    assert!(!text.contains("\"schools\":6"), "{text}");
    // Report 1 stays on record whole.
    let bundles = rusqlite::Connection::open(city.path().join("shenhe.db"))
        .unwrap()
        .query_row("SELECT count(*) FROM city_bundles WHERE county_code = '410102'", [], |r| r.get::<_, i64>(0))
        .unwrap();
    assert_eq!(bundles, 2);
}

/// The city's workbook: seed 000's 附件1, 3, 4 and 5 and seed 001's 附件2 and 3, a row per county
/// of the config and a total.
#[test]
fn the_city_workbook_has_the_circulars_forms_with_a_row_per_county() {
    use calamine::Reader;
    let (zy, eq) = (Home::county("410102", "中原区"), Home::county("410103", "二七区"));
    let (a, b) = (zy.export(NOW), eq.export(LATE));
    let city = Home::city(&format!("{}{}", zy.allowed_signers(), eq.allowed_signers()));
    city.ok_at(NOW, &["city", "import", &arg(&a), &arg(&b)]);
    let file = city.path().join("郑州市_2026Q3.xlsx");
    let out = json(&city.ok_at(NOW, &["city", "report", "--period", PERIOD, "--out", &arg(&file), "--json"]));
    assert_eq!(out["bytes"].as_u64(), Some(std::fs::metadata(&file).unwrap().len()));
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&file).unwrap();
    let names = book.sheet_names();
    assert_eq!(
        names,
        [
            "附件1 填报情况",
            "附件3 主动上报",
            "附件4 联网攻坚",
            "半月调度表",
            "001附件2 审核上报率",
            "001附件3 学校上报率"
        ]
    );
    let mut cells = |sheet: &str| -> Vec<Vec<String>> {
        let range = book.worksheet_range(sheet).unwrap();
        range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
    };
    let row_of = |rows: &[Vec<String>], area: &str| rows.iter().find(|r| r.get(1).is_some_and(|c| c == area)).cloned();
    let fill = cells("附件1 填报情况");
    assert_eq!(row_of(&fill, "中原区").unwrap()[2..4], ["5", "3"], "{fill:?}");
    assert_eq!(row_of(&fill, "合计").unwrap()[2..4], ["10", "6"], "{fill:?}");
    assert!(row_of(&fill, "金水区").is_some(), "a county with no report still has its row");
    let on_time = cells("附件3 主动上报");
    assert_eq!(row_of(&on_time, "合计").unwrap()[2..4], ["3", "1"], "three counties, one on time: {on_time:?}");
    let network = cells("附件4 联网攻坚");
    assert_eq!(row_of(&network, "合计").unwrap()[2..4], ["10", "6"], "{network:?}");
    let dispatch = cells("半月调度表");
    // The fixture's filled schools are all connected at 100M with multimedia: three empty lists.
    assert_eq!(dispatch.iter().filter(|r| r.iter().any(|c| c == "（无）")).count(), 3, "{dispatch:?}");
    assert!(dispatch.iter().any(|r| r.iter().any(|c| c.starts_with("填表人"))), "{dispatch:?}");
}

/// The city's commands need a city's config; a county's copy is told how to get one.
#[test]
fn city_commands_need_a_city_config() {
    let zy = Home::county("410102", "中原区");
    let out = zy.run_at(NOW, &["city", "status", "--period", PERIOD]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("level = \"city\""));
}

/// Report 3 (large, so its import takes a while) and report 2 imported at the same moment by
/// two processes: whichever order the two take, report 3 is current and the city's schools
/// carry report 3's data. The newer/older decision is taken inside the write transaction.
#[test]
fn two_city_imports_at_once_keep_the_newest_reports_data() {
    let zy = Home::county("410102", "中原区");
    let first = zy.export(NOW);
    let fixture = std::fs::read_to_string(zy.path().join("sheet.csv")).unwrap();
    let header = fixture.lines().next().unwrap().to_string();
    let with_students = |students: &str| -> String {
        // 伏牛路小学's row with another head count: 1234 in the fixture.
        fixture.replace(",1234,", &format!(",{students},"))
    };
    zy.ok_at(LATE, &["reopen", "--period", PERIOD, "--reason", "更正"]);
    std::fs::write(zy.path().join("v2.csv"), with_students("222")).unwrap();
    zy.ok_at(LATE, &["import", &arg(&zy.path().join("v2.csv")), "--period", PERIOD]);
    let second = zy.export(LATE);
    zy.ok_at(LATE, &["reopen", "--period", PERIOD, "--reason", "补报学校"]);
    let mut big = with_students("333");
    let template = fixture.lines().nth(3).unwrap().to_string(); // an unfilled school's row
    for i in 0..8_000 {
        let row = template.replacen("2141010203", &format!("21410199{i:04}"), 1).replacen(
            "须水镇中心学校",
            &format!("第{i}学校"),
            1,
        );
        big.push_str(&format!("{row}\n"));
    }
    assert!(big.starts_with(&header));
    std::fs::write(zy.path().join("v3.csv"), big).unwrap();
    zy.ok_at(LATE, &["import", &arg(&zy.path().join("v3.csv")), "--period", PERIOD]);
    let third = zy.export(LATE);

    for delay_ms in [0u64, 40, 120, 300, 600] {
        let city = Home::city(&zy.allowed_signers());
        city.ok_at(NOW, &["city", "import", &arg(&first)]);
        let newer = city.spawn_at(NOW, &["city", "import", &arg(&third)]);
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let older = city.spawn_at(NOW, &["city", "import", &arg(&second)]);
        let (newer, older) = (newer.wait_with_output().unwrap(), older.wait_with_output().unwrap());
        assert!(newer.status.success() && older.status.success(), "{}{}", stdout(&newer), stdout(&older));
        let status = json(&city.ok_at(NOW, &["city", "status", "--period", PERIOD, "--json"]));
        assert_eq!(status[0]["sequence"], 3, "after {delay_ms} ms: {}{}", stdout(&newer), stdout(&older));
        let db = rusqlite::Connection::open(city.path().join("shenhe.db")).unwrap();
        let students: i64 = db
            .query_row(
                "SELECT r.students FROM submissions s JOIN revisions r
                   ON r.submission_id = s.id AND r.revision = s.current_revision
                 WHERE s.school_code = '2141010201'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            students,
            333,
            "after {delay_ms} ms the school carries report 3's data: {}{}",
            stdout(&newer),
            stdout(&older)
        );
        let schools: i64 = db.query_row("SELECT count(*) FROM submissions", [], |r| r.get(0)).unwrap();
        assert_eq!(schools, 8_005, "after {delay_ms} ms");
    }
}

/// A manifest signed with the period spelled otherwise (`2026q3`, ` 2026Q3`) would file the
/// report under a key of its own: refused, naming the spelling, and nothing recorded.
#[test]
fn a_period_spelled_otherwise_than_shenhe_writes_it_is_refused() {
    let zy = Home::county("410102", "中原区");
    let bundle = std::fs::read(zy.export(NOW)).unwrap();
    let city = Home::city(&zy.allowed_signers());
    for spelling in ["2026q3", " 2026Q3"] {
        let crafted = zy.path().join("crafted.zip");
        std::fs::write(&crafted, resign::resigned(&bundle, &zy.path().join("keys"), |m| m["period"] = spelling.into()))
            .unwrap();
        let verified = zy
            .run_at(NOW, &["verify", &arg(&crafted), "--allowed-signers", &arg(&city.path().join("allowed_signers"))]);
        assert!(verified.status.success(), "the crafted bundle is validly signed: {}", stdout(&verified));
        let out = city.run_at(NOW, &["city", "import", &arg(&crafted)]);
        assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
        assert!(stdout(&out).contains(&format!("“{spelling}”不是 shenhe 的写法")), "{}", stdout(&out));
    }
    let status = json(&city.ok_at(NOW, &["city", "status", "--period", PERIOD, "--json"]));
    assert_eq!(status[0]["received"], false);
    let db = rusqlite::Connection::open(city.path().join("shenhe.db")).unwrap();
    let rows: i64 = db.query_row("SELECT count(*) FROM city_bundles", [], |r| r.get(0)).unwrap();
    assert_eq!(rows, 0);
}

/// The city decides 按时 itself: a manifest's own `inside_window` and its date are the county's
/// claims. Made inside the counties' window and received by the end of the city's own window:
/// on time; a manifest dated inside the window but received after both closed, or one dated
/// after the window that says it is inside, is late.
#[test]
fn on_time_is_what_the_city_judges_not_what_the_manifest_claims() {
    let zy = Home::county("410102", "中原区");
    let bundle = std::fs::read(zy.export(NOW)).unwrap();
    let city_at = |keys: &str| {
        let city = Home::city(keys);
        let config = std::fs::read_to_string(city.path().join("config.toml")).unwrap();
        std::fs::write(city.path().join("config.toml"), format!("{config}[period]\nwindow = [6, 10]\n")).unwrap();
        city
    };
    let keys = zy.allowed_signers();
    let crafted = |name: &str, edit: &dyn Fn(&mut serde_json::Value)| {
        let path = zy.path().join(name);
        std::fs::write(&path, resign::resigned(&bundle, &zy.path().join("keys"), edit)).unwrap();
        path
    };
    let genuine = zy.path().join("genuine.zip");
    std::fs::write(&genuine, &bundle).unwrap();
    // Dated 10-20 (after the window) but claiming to be inside it.
    let claims = crafted("claims.zip", &|m| {
        m["created_at"] = "2026-10-20T10:00:00+08:00".into();
        m["inside_window"] = true.into();
    });
    for (bundle, received, on_time) in [
        (&genuine, "2026-10-04T09:00:00+08:00", true),
        (&genuine, "2026-10-10T18:00:00+08:00", true),
        (&genuine, "2026-10-25T09:00:00+08:00", false),
        (&claims, "2026-10-25T09:00:00+08:00", false),
    ] {
        let city = city_at(&keys);
        city.ok_at(received, &["city", "import", &arg(bundle)]);
        let status = json(&city.ok_at(received, &["city", "status", "--period", PERIOD, "--json"]));
        assert_eq!(status[0]["inside_window"], on_time, "{} received {received}", bundle.display());
    }
}

/// The city reads back exactly what the county wrote, whatever the formula guard did to it in
/// the bundle's CSV on the way: a name of `'=already` stays `'=already`, `'-5` stays `'-5`.
#[test]
fn the_city_reads_back_exactly_what_the_county_wrote() {
    let zy = Home::county("410102", "中原区");
    let texts = ["'=already", "'-5", "=1+1", "-5", "+86 371 6718"];
    let sheet = std::fs::read_to_string(zy.path().join("sheet.csv")).unwrap();
    let mut lines: Vec<String> = sheet.lines().map(str::to_string).collect();
    lines[0].push_str(",备注");
    for (i, text) in texts.iter().enumerate() {
        let mut cells: Vec<String> = lines[i + 1].split(',').map(str::to_string).collect();
        cells[1] = format!("\"{text}\"");
        lines[i + 1] = format!("{},\"{text}\"", cells.join(","));
    }
    std::fs::write(zy.path().join("quoted.csv"), lines.join("\n") + "\n").unwrap();
    zy.ok_at(NOW, &["import", &arg(&zy.path().join("quoted.csv")), "--period", PERIOD]);
    let bundle = zy.export(NOW);
    let city = Home::city(&zy.allowed_signers());
    city.ok_at(NOW, &["city", "import", &arg(&bundle)]);
    let read = |home: &Home| -> Vec<(String, String, String)> {
        let db = rusqlite::Connection::open(home.path().join("shenhe.db")).unwrap();
        let mut stmt = db
            .prepare(
                "SELECT s.school_code, r.name, r.extras FROM submissions s
                 JOIN revisions r ON r.submission_id = s.id AND r.revision = s.current_revision ORDER BY 1",
            )
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect()
    };
    let county = read(&zy);
    let names: Vec<&str> = county.iter().map(|(_, n, _)| n.as_str()).collect();
    assert_eq!(names, texts, "the county stored the names as typed");
    assert_eq!(read(&city), county);
}

/// Nothing from outside reaches the terminal as a control sequence, from any command: a school
/// name planted in the store (as an older shenhe could have taken it in), a bundle's file name,
/// which no signature covers, and a signed manifest's county name.
#[test]
fn no_command_prints_outside_text_as_control_characters() {
    let zy = Home::county("410102", "中原区");
    let hostile = "\u{1b}[2J\r\u{8}\u{8}\u{202e}伪造\u{9b}";
    {
        let db = rusqlite::Connection::open(zy.path().join("shenhe.db")).unwrap();
        db.execute("UPDATE revisions SET name = ?1 WHERE source_row = 2", [format!("伏牛路{hostile}小学")]).unwrap();
    }
    let clean = |out: &std::process::Output| {
        for text in [String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)] {
            assert!(
                !text.chars().any(|c| (c.is_control() && c != '\n') || ('\u{202a}'..='\u{202e}').contains(&c)),
                "{text:?}"
            );
        }
    };
    for args in [
        vec!["list"],
        vec!["dispatch"],
        vec!["check"],
        vec!["stats"],
        vec!["approve", "--school", "2141010201", "--note", "核实"],
        vec!["export"],
    ] {
        clean(&zy.run_at(NOW, &args));
    }
    let bundle = std::fs::read(zy.export(NOW)).unwrap();
    let city = Home::city(&zy.allowed_signers());
    let keys = arg(&city.path().join("allowed_signers"));
    // A refused bundle named to look like a valid one.
    let mut tampered = bundle.clone();
    let middle = tampered.len() / 2;
    tampered[middle] ^= 1;
    let forged = zy.path().join("\r\u{1b}[2KVALID  410102_2026Q3_1.zip");
    std::fs::write(&forged, &tampered).unwrap();
    for args in
        [vec!["verify", &arg(&forged) as &str, "--allowed-signers", &keys], vec!["city", "import", &arg(&forged)]]
    {
        let out = city.run_at(NOW, &args);
        assert_eq!(out.status.code(), Some(1));
        clean(&out);
        assert!(stdout(&out).contains("\\r\\u{1b}[2KVALID"), "the odd name shows as what it is: {}", stdout(&out));
    }
    // A manifest whose county name carries escapes, validly signed.
    let crafted = zy.path().join("crafted.zip");
    std::fs::write(&crafted, resign::resigned(&bundle, &zy.path().join("keys"), |m| m["county"] = hostile.into()))
        .unwrap();
    for args in
        [vec!["verify", &arg(&crafted) as &str, "--allowed-signers", &keys], vec!["city", "import", &arg(&crafted)]]
    {
        clean(&city.run_at(NOW, &args));
    }
    clean(&city.run_at(NOW, &["city", "status", "--period", PERIOD]));
    clean(&city.run_at(NOW, &["stats", "--period", PERIOD, "--by", "county"]));
}
