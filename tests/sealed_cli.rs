//! Bundles safe in an e-mail (`export --to`, `[export] encrypt_to`): the signed bundle encrypted
//! with age to the receiving level's own ssh-ed25519 key, opened in memory by `verify` and
//! `city import`, and by the stock `age -d -i KEY`; refused by its own reason when it is for
//! another receiver, damaged, or wraps no bundle.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const NOW: &str = "2026-10-03T10:00:00+08:00";
const PERIOD: &str = "2026Q3";

#[path = "support/home.rs"]
mod home;
use home::{Home, json, stderr, stdout};

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name).display().to_string()
}

/// 中原区 with `unfilled.csv` imported as 2026Q3.
fn zhongyuan() -> Home {
    let home = Home::with_config(
        "[county]\ncode = \"410102\"\nname = \"中原区\"\ncity = \"郑州市\"\n\
         [auditor]\nname = \"张敏\"\nphone = \"0371-12345678\"\n",
    );
    home.ok_at(NOW, &["import", &fixture("unfilled.csv"), "--period", PERIOD]);
    home
}

/// A receiving level with its key made; returns it and its public key file.
fn receiver() -> (Home, PathBuf) {
    let home = Home::with_config("");
    home.ok_at(NOW, &["key", "init"]);
    let public = home.path().join("keys/shenhe_ed25519.pub");
    (home, public)
}

/// `export --force` with `extra` arguments, as JSON.
fn export(county: &Home, extra: &[&str]) -> (serde_json::Value, Output) {
    let out = county.path().join("out");
    let args = ["export", "--period", PERIOD, "--out", out.to_str().unwrap(), "--force", "--reason", "原因"];
    let o = county.ok_at(NOW, &[&args[..], extra, &["--json"]].concat());
    (json(&o), o)
}

/// The receiver's trusted keys file, trusting the county.
fn trust(receiver: &Home, county: &Home) -> PathBuf {
    let line = stdout(&county.ok_at(NOW, &["key", "show", "--allowed-signers"]));
    let path = receiver.path().join("trusted.txt");
    std::fs::write(&path, line).unwrap();
    path
}

fn verify(receiver: &Home, trusted: &Path, file: &Path) -> Output {
    receiver.run_at(NOW, &["verify", "--allowed-signers", trusted.to_str().unwrap(), file.to_str().unwrap()])
}

fn age_installed() -> bool {
    let found = Command::new("age").arg("--version").output().is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("age not installed (.ci/run installs it): the stock tool's half of this test is skipped");
    }
    found
}

#[test]
fn an_encrypted_bundle_is_verified_by_its_receiver_and_opened_by_the_age_cli() {
    let county = zhongyuan();
    let (city, city_public) = receiver();
    let (done, o) = export(&county, &["--to", city_public.to_str().unwrap()]);
    let plain = PathBuf::from(done["bundle"].as_str().unwrap());
    let sealed = PathBuf::from(done["sealed"].as_str().unwrap());
    assert_eq!(sealed.file_name().unwrap(), "410102_2026Q3_1.zip.age", "{done}");
    let bytes = std::fs::read(&sealed).unwrap();
    assert!(bytes.starts_with(b"age-encryption.org/v1\n-> ssh-ed25519 "), "{}", String::from_utf8_lossy(&bytes[..60]));
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));

    let trusted = trust(&city, &county);
    let ok = verify(&city, &trusted, &sealed);
    assert!(ok.status.success(), "{}{}", stdout(&ok), stderr(&ok));
    assert!(stdout(&ok).contains("郑州市中原区（410102）2026Q3 第 1 次上报"), "{}", stdout(&ok));

    // Another receiver's key cannot open it, and says so (exit 1: the file is refused).
    let (other, _) = receiver();
    let refused = verify(&other, &trust(&other, &county), &sealed);
    assert_eq!(refused.status.code(), Some(1));
    assert!(stdout(&refused).contains("加密给其他接收方"), "{}", stdout(&refused));

    if !age_installed() {
        return;
    }
    // The stock check: `age -d -i KEY FILE.zip.age > FILE.zip` gives the signed bundle back.
    let opened = Command::new("age")
        .args(["-d", "-i"])
        .arg(city.path().join("keys/shenhe_ed25519"))
        .arg(&sealed)
        .output()
        .unwrap();
    assert!(opened.status.success(), "{}", String::from_utf8_lossy(&opened.stderr));
    assert_eq!(opened.stdout, std::fs::read(&plain).unwrap(), "age gives back the signed bundle, byte for byte");

    // And the other way: a file the age CLI encrypted to the city's key is received.
    let by_cli = county.path().join("by_cli.zip.age");
    let made = Command::new("age").arg("-R").arg(&city_public).arg("-o").arg(&by_cli).arg(&plain).output().unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let armored = county.path().join("armored.zip.age");
    let made = Command::new("age").arg("-a").arg("-R").arg(&city_public).arg("-o").arg(&armored).arg(&plain).output();
    assert!(made.unwrap().status.success());
    for file in [&by_cli, &armored] {
        let ok = verify(&city, &trusted, file);
        assert!(ok.status.success(), "{}: {}{}", file.display(), stdout(&ok), stderr(&ok));
    }
}

#[test]
fn the_configured_receivers_are_the_default_and_plain_is_a_choice_said_aloud() {
    let county = zhongyuan();
    let (_city, city_public) = receiver();
    std::fs::copy(&city_public, county.path().join("city.pub")).unwrap();
    let config = std::fs::read_to_string(county.path().join("config.toml")).unwrap();
    std::fs::write(county.path().join("config.toml"), format!("{config}[export]\nencrypt_to = \"city.pub\"\n"))
        .unwrap();
    let (done, _) = export(&county, &[]);
    assert!(done["sealed"].as_str().is_some_and(|p| p.ends_with(".zip.age")), "{done}");

    let plain = zhongyuan();
    let out = plain.path().join("out");
    let o = plain
        .ok_at(NOW, &["export", "--period", PERIOD, "--out", out.to_str().unwrap(), "--force", "--reason", "原因"]);
    assert!(stdout(&o).contains("未加密"), "{}", stdout(&o));
    assert!(out.join("410102_2026Q3_1.zip").exists() && !out.join("410102_2026Q3_1.zip.age").exists());
}

#[test]
fn a_wrong_receiver_key_refuses_the_export_before_anything_is_written() {
    let county = zhongyuan();
    let out = county.path().join("out");
    let bad = county.path().join("bad.pub");
    std::fs::write(&bad, "# the city\nssh-rsa AAAAB3NzaC1yc2E x\n").unwrap();
    let args = ["export", "--period", PERIOD, "--out", out.to_str().unwrap(), "--force", "--reason", "原因", "--to"];
    let o = county.run_at(NOW, &[&args[..], &[bad.to_str().unwrap()]].concat());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("bad.pub 第 2 行：不是接收方公钥"), "{}", stderr(&o));
    assert!(!out.exists(), "no bundle, no lock");
    let list = json(&county.ok_at(NOW, &["list", "--period", PERIOD, "--json"]));
    assert!(!list.to_string().contains("已上报"), "the period is not locked");
}

#[test]
fn damaged_truncated_and_foreign_age_files_are_refused_each_by_its_reason_and_nothing_lands() {
    let county = zhongyuan();
    let (city, city_public) = receiver();
    let (done, _) = export(&county, &["--to", city_public.to_str().unwrap()]);
    let sealed = std::fs::read(done["sealed"].as_str().unwrap()).unwrap();
    let trusted = trust(&city, &county);
    let dir = city.path();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let truncated = write("truncated.zip.age", &sealed[..sealed.len() - 100]);
    let mut changed = sealed.clone();
    let at = sealed.len() - 200;
    changed[at] ^= 0x40;
    let changed = write("changed.zip.age", &changed);
    let key = shenhe::bundle::sealed::parse_recipient(&std::fs::read_to_string(&city_public).unwrap()).unwrap();
    let letter = write("letter.zip.age", &shenhe::bundle::sealed::seal(b"not a bundle", &[key]).unwrap());
    for (file, expected) in [(&truncated, "已损坏或不完整"), (&changed, "已损坏或不完整"), (&letter, "其中不是上报包")]
    {
        let o = verify(&city, &trusted, file);
        assert_eq!(o.status.code(), Some(1), "{}", file.display());
        assert!(stdout(&o).contains(expected), "{}: {}", file.display(), stdout(&o));
    }
    // The city's import takes none of them, and its store stays without a report.
    let city_dir = Home::with_config(
        "level = \"city\"\n[city]\nname = \"郑州市\"\ncounties = [{ code = \"410102\", name = \"中原区\" }]\n",
    );
    std::fs::copy(&trusted, city_dir.path().join("allowed_signers")).unwrap();
    std::fs::create_dir_all(city_dir.path().join("keys")).unwrap();
    for name in ["shenhe_ed25519", "shenhe_ed25519.pub"] {
        std::fs::copy(dir.join("keys").join(name), city_dir.path().join("keys").join(name)).unwrap();
    }
    let o = city_dir.run_at(NOW, &["city", "import", truncated.to_str().unwrap(), letter.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let db = rusqlite::Connection::open(city_dir.path().join("shenhe.db")).unwrap();
    let received: i64 = db.query_row("SELECT count(*) FROM city_bundles", [], |r| r.get(0)).unwrap();
    assert_eq!(received, 0);
}

/// Every byte of an encrypted bundle matters: whichever one changes, the receiver refuses it.
#[test]
fn no_byte_of_an_encrypted_bundle_changes_unseen() {
    use shenhe::bundle::{allowed_signers::AllowedSigners, sealed, verify};
    let county = zhongyuan();
    let (city, city_public) = receiver();
    let (done, _) = export(&county, &["--to", city_public.to_str().unwrap()]);
    let bytes = std::fs::read(done["sealed"].as_str().unwrap()).unwrap();
    let own_key = std::fs::read_to_string(city.path().join("keys/shenhe_ed25519")).unwrap();
    let line = stdout(&county.ok_at(NOW, &["key", "show", "--allowed-signers"]));
    let signers = AllowedSigners::parse(&line).unwrap();
    let now = chrono::DateTime::parse_from_rfc3339(NOW).unwrap().to_utc();
    let receive = |b: &[u8]| {
        let plain = sealed::open(b, &own_key, &[], 20 << 20).map_err(|e| format!("{e:?}"))?;
        verify::verify(&plain, &signers, now).map_err(|e| format!("{e:?}"))
    };
    assert!(receive(&bytes).is_ok());
    let mut changed = bytes.clone();
    for at in 0..bytes.len() {
        changed[at] ^= 0x01;
        assert!(receive(&changed).is_err(), "byte {at} of {} changed unseen", bytes.len());
        changed[at] ^= 0x01;
    }
}
