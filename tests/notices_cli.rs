//! Notices down the line: the city's signed return (退回) reopens exactly the report it names,
//! and its cancellation (取消退回) takes a mistaken return back before the county reports again.

use std::path::PathBuf;

#[path = "support/home.rs"]
mod home;
#[path = "support/levels.rs"]
mod levels;
use home::{Home, arg, json};
use levels::{LATE, NOW, PERIOD};

/// The city sends a report back with a signed notice; the county reopens from it — only with a
/// notice from its city's trusted key, meant for it, for its latest report.
#[test]
fn a_signed_return_notice_reopens_exactly_the_report_it_names() {
    let (zy, eq) = (Home::county("410102", "中原区"), Home::county("410103", "二七区"));
    let (a, b) = (zy.export(NOW), eq.export(NOW));
    let city = Home::city(&format!("{}{}", zy.allowed_signers(), eq.allowed_signers()));
    city.ok_at(NOW, &["city", "import", &arg(&a), &arg(&b)]);
    let (notice, city_line) = send_back(&city, "410102", "带宽数据需核实");
    let (for_eq, _) = send_back(&city, "410103", "带宽数据需核实");
    assert!(city_line.starts_with("\"郑州市\" namespaces=\"shenhe-return\" ssh-ed25519 "), "{city_line}");

    // Before the county trusts the city's key, the notice is refused.
    let out = zy.run_at(LATE, &["reopen", "--from", &arg(&notice)]);
    assert_eq!(out.status.code(), Some(2), "no trusted keys file yet");
    std::fs::write(zy.path().join("allowed_signers"), format!("{city_line}\n")).unwrap();
    let tampered = zy.path().join("tampered.zip");
    let mut bytes = std::fs::read(&notice).unwrap();
    let i = bytes.len() / 3;
    bytes[i] ^= 0x01;
    std::fs::write(&tampered, bytes).unwrap();
    // A notice from a city key the county does not trust (another copy calling itself 郑州市).
    let impostor = Home::city(&format!("{}{}", zy.allowed_signers(), eq.allowed_signers()));
    impostor.ok_at(NOW, &["city", "import", &arg(&a)]);
    let (forged, _) = send_back(&impostor, "410102", "伪造");
    for (file, says) in [(&tampered, "退回通知未通过核验"), (&for_eq, "410103"), (&forged, "不在信任的公钥文件中")]
    {
        let out = zy.run_at(LATE, &["reopen", "--from", &arg(file)]);
        assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stderr).contains(says), "{}", String::from_utf8_lossy(&out.stderr));
    }
    zy.ok_at(LATE, &["reopen", "--from", &arg(&notice)]);
    let second = zy.export(LATE);
    // The old notice cannot reopen the new report.
    let out = zy.run_at(LATE, &["reopen", "--from", &arg(&notice)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("第 1 次"), "{}", String::from_utf8_lossy(&out.stderr));
    // The reason the city gave is in the county's review log, carried by report 2.
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&second).unwrap()).unwrap();
    let mut log = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("review_log.csv").unwrap(), &mut log).unwrap();
    assert!(log.contains("市州（郑州市）退回：带宽数据需核实"), "{log}");
}

/// A return notice signed by a city key the county does not trust points the county to the
/// city's line — the one `shenhe city return` prints, principal the city, namespace
/// shenhe-return — not to the county's own `key show` line that a refused bundle asks for; a
/// key trusted as another city says which city it is trusted as.
#[test]
fn an_untrusted_return_notice_points_to_the_citys_line() {
    let zy = Home::county("410102", "中原区");
    let bundle = zy.export(NOW);
    let city = Home::city(&zy.allowed_signers());
    city.ok_at(NOW, &["city", "import", &arg(&bundle)]);
    let returned =
        city.ok_at(LATE, &["city", "return", "--period", PERIOD, "--county", "410102", "--reason", "核实", "--json"]);
    let v = json(&returned);
    let (notice, line) = (v["notice"].as_str().unwrap().to_string(), v["allowed_signers"].as_str().unwrap());
    let trusted = zy.path().join("allowed_signers");

    // Only its own line: the city's key is unknown.
    std::fs::write(&trusted, zy.allowed_signers()).unwrap();
    let out = zy.run_at(LATE, &["reopen", "--from", &notice]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    for part in ["不在信任的公钥文件中", "市州", "shenhe city return", "\"郑州市\" namespaces=\"shenhe-return\""]
    {
        assert!(err.contains(part), "{part}: {err}");
    }
    assert!(!err.contains("key show") && !err.contains("向县区"), "not the county's line: {err}");

    // The city's key, trusted as another city.
    std::fs::write(&trusted, format!("{}\n", line.replacen("\"郑州市\"", "\"开封市\"", 1))).unwrap();
    let out = zy.run_at(LATE, &["reopen", "--from", &notice]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("开封市") && err.contains("郑州市") && !err.contains("县区 郑州市"), "{err}");
}

/// The city sends `county`'s current report back at LATE; the notice's path and trust line.
fn send_back(city: &Home, county: &str, reason: &str) -> (PathBuf, String) {
    let notices = arg(&city.path().join("notices"));
    let args =
        ["city", "return", "--period", PERIOD, "--county", county, "--reason", reason, "--out", &notices, "--json"];
    let v = json(&city.ok_at(LATE, &args));
    (PathBuf::from(v["notice"].as_str().unwrap()), v["allowed_signers"].as_str().unwrap().to_string())
}

/// The city takes its standing return of `county` back; the cancellation's path.
fn cancel(city: &Home, county: &str) -> PathBuf {
    let notices = arg(&city.path().join("notices"));
    let args = ["city", "cancel-return", "--period", PERIOD, "--county", county, "--out", &notices, "--json"];
    PathBuf::from(json(&city.ok_at(LATE, &args))["notice"].as_str().unwrap())
}

fn refused(home: &Home, args: &[&str], says: &str) {
    let out = home.run_at(LATE, args);
    let err = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
    assert!(err.contains(says), "{args:?} should say {says}: {err}");
}

/// A return made by mistake (seed 004 §2.1, at the city): the city's board shows the county as
/// 已退回 until the city cancels; the county, which had reopened from the return, takes the
/// cancellation in and its period is locked again, report 1 standing; the cancelled return can
/// never reopen it, and neither notice passes for the other.
#[test]
fn a_mistaken_return_is_cancelled_and_the_county_is_locked_again() {
    let zy = Home::county("410102", "中原区");
    let bundle = zy.export(NOW);
    let city = Home::city(&zy.allowed_signers());
    city.ok_at(NOW, &["city", "import", &arg(&bundle)]);
    let (notice, line) = send_back(&city, "410102", "误退");
    let status = json(&city.ok_at(LATE, &["city", "status", "--period", PERIOD, "--json"]));
    assert_eq!(status[0]["returned"]["reason"], "误退", "{status}");
    let text = String::from_utf8_lossy(&city.ok_at(LATE, &["city", "status", "--period", PERIOD]).stdout).to_string();
    assert!(text.contains("中原区（410102）  已退回"), "{text}");

    std::fs::write(zy.path().join("allowed_signers"), format!("{line}\n")).unwrap();
    zy.ok_at(LATE, &["reopen", "--from", &arg(&notice)]);
    let cancellation = cancel(&city, "410102");
    let status = json(&city.ok_at(LATE, &["city", "status", "--period", PERIOD, "--json"]));
    assert!(status[0]["returned"].is_null(), "{status}");
    refused(&city, &["city", "cancel-return", "--period", PERIOD, "--county", "410102"], "无可取消");

    refused(&zy, &["reopen", "--from", &arg(&cancellation)], "cancel-return --from");
    refused(&zy, &["cancel-return", "--from", &arg(&notice)], "reopen --from");
    let out = zy.ok_at(LATE, &["cancel-return", "--from", &arg(&cancellation)]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("第 1 次上报仍然有效，本期已重新锁定"));
    refused(&zy, &["approve", "--school", "2141010201"], "已上报并锁定");
    refused(&zy, &["reopen", "--from", &arg(&notice)], "市州已取消这份退回通知");
    let again = json(&zy.ok_at(LATE, &["cancel-return", "--from", &arg(&cancellation), "--json"]));
    assert_eq!(again["outcome"], "already_taken");

    // The county's log says what happened, in order.
    let conn = rusqlite::Connection::open(zy.path().join("shenhe.db")).unwrap();
    let actions: Vec<String> = conn
        .prepare("SELECT action FROM review_log WHERE school_code IS NULL ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(actions[actions.len() - 3..], ["export", "reopen", "relock"], "{actions:?}");
}

/// A cancellation taken in before the county reopened only bars the return; a second return
/// the county did act on (it reported again) can no longer be cancelled by the city, and an old
/// cancellation cannot act on the new report.
#[test]
fn a_return_is_cancelled_only_until_the_county_reports_again() {
    let zy = Home::county("410102", "中原区");
    let bundle = zy.export(NOW);
    let city = Home::city(&zy.allowed_signers());
    city.ok_at(NOW, &["city", "import", &arg(&bundle)]);
    let (first, line) = send_back(&city, "410102", "误退");
    std::fs::write(zy.path().join("allowed_signers"), format!("{line}\n")).unwrap();
    let cancellation = cancel(&city, "410102");
    let out = json(&zy.ok_at(LATE, &["cancel-return", "--from", &arg(&cancellation), "--json"]));
    assert_eq!(out["outcome"], "recorded");
    refused(&zy, &["reopen", "--from", &arg(&first)], "市州已取消");

    let (second, _) = send_back(&city, "410102", "误退");
    assert_ne!(first, second, "a second notice for one report has a file of its own");
    zy.ok_at(LATE, &["reopen", "--from", &arg(&second)]);
    city.ok_at(LATE, &["city", "import", &arg(&zy.export(LATE))]);
    refused(&city, &["city", "cancel-return", "--period", PERIOD, "--county", "410102"], "已重新上报");
    refused(&zy, &["cancel-return", "--from", &arg(&cancellation)], "第 1 次");
    let notices = city.path().join("notices");
    let mut names: Vec<String> =
        std::fs::read_dir(&notices).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "410102_2026Q3_1_cancel.zip",
            "410102_2026Q3_1_cancel.zip.age",
            "410102_2026Q3_1_return.zip",
            "410102_2026Q3_1_return.zip.age",
            "410102_2026Q3_1_return_2.zip",
            "410102_2026Q3_1_return_2.zip.age"
        ],
        "every notice sent, none replaced, each also sealed to the county's key"
    );
}
