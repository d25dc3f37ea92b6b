//! The 国密 option (`[keys] algorithm = "sm2"`): a county's bundle signed with SM2 over SM3 and
//! its files listed by SM3, checked by the stock `openssl` with the documented line and by a
//! city that trusts SM2 and Ed25519 counties side by side; a signature openssl made with
//! another key refused. And `key rotate`: the old key's line with `valid-before` keeps the
//! reports it signed trusted, and nothing it signs after.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "support/home.rs"]
mod home;
#[path = "support/levels.rs"]
mod levels;
use home::{Home, arg, json, stderr, stdout};
use levels::{NOW, PERIOD};

const DISTID: &str = "distid:1234567812345678";

fn as_sm2(home: Home) -> Home {
    use std::io::Write;
    let mut config = std::fs::OpenOptions::new().append(true).open(home.path().join("config.toml")).unwrap();
    writeln!(config, "[keys]\nalgorithm = \"sm2\"").unwrap();
    home
}

fn openssl_installed() -> bool {
    let found = Command::new("openssl").arg("version").output().is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("openssl not installed (.ci/run installs it): the stock tool's half of this test is skipped");
    }
    found
}

/// The entries of a zip, by name.
fn entries(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut entry = zip.by_index(i).unwrap();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            (entry.name().unwrap().to_string(), bytes)
        })
        .collect()
}

fn openssl(dir: &Path, args: &[&str]) -> Output {
    Command::new("openssl").current_dir(dir).args(args).output().unwrap()
}

fn verify(city: &Home, file: &Path) -> Output {
    let trusted = city.path().join("allowed_signers");
    city.run_at(NOW, &["verify", "--allowed-signers", &arg(&trusted), &arg(file)])
}

#[test]
fn an_sm2_county_signs_what_openssl_verifies_and_a_city_trusting_both_kinds_imports() {
    let county = as_sm2(Home::county("410102", "中原区"));
    let made = county.ok_at(NOW, &["key", "init"]);
    let private = county.path().join("keys/shenhe_sm2.pem");
    let text = std::fs::read_to_string(&private).unwrap();
    assert!(text.starts_with("-----BEGIN PRIVATE KEY-----"), "PKCS#8 PEM");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&private).unwrap().permissions().mode() & 0o777, 0o600);
    }
    assert!(county.path().join("keys/shenhe_ed25519").exists(), "the key sealed files are opened with");
    assert!(stdout(&made).contains("SM3:"), "{}", stdout(&made));

    let shown = stdout(&county.ok_at(NOW, &["key", "show"]));
    let lines: Vec<&str> = shown.lines().collect();
    assert!(lines[0].starts_with("# ") && lines[0].contains("sm2"), "{shown}");
    assert!(lines[1].starts_with("sm2 MFkw"), "{shown}");
    assert!(lines[2].starts_with("SM3:"), "{shown}");
    assert!(lines.iter().any(|l| l.starts_with("ssh-ed25519 ")), "the recipient line: {shown}");
    let english = stdout(&county.ok_at(NOW, &["--lang", "en", "key", "show"]));
    assert!(english.starts_with("# algorithm sm2"), "{english}");
    let as_json = json(&county.ok_at(NOW, &["key", "show", "--json"]));
    assert_eq!(as_json["algorithm"], "sm2");
    let sm2_line = county.allowed_signers();
    assert!(sm2_line.starts_with("410102 namespaces=\"shenhe-bundle\" sm2 MFkw"), "{sm2_line}");
    for out in [&shown, &english, &as_json.to_string(), &sm2_line] {
        let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
        assert!(!out.contains(&body[..40]), "the private key shows nowhere");
    }

    let bundle = county.export(NOW);
    let files = entries(&bundle);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(&names[..2], ["manifest.json", "manifest.json.sm2.sig"]);
    let manifest: serde_json::Value = serde_json::from_slice(&files[0].1).unwrap();
    assert!(manifest["signer"]["public_key"].as_str().unwrap().starts_with("sm2 "));
    assert!(manifest["signer"]["fingerprint"].as_str().unwrap().starts_with("SM3:"));
    for listed in manifest["files"].as_array().unwrap() {
        assert!(listed["sm3"].is_string() && listed["sha256"].is_null(), "{listed}");
    }

    // The stock check, as 说明.txt gives it.
    if openssl_installed() {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in &files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
        // The PEM made from the trust line the city holds, with 说明.txt's line.
        let readme = String::from_utf8(files.iter().find(|(n, _)| n == "说明.txt").unwrap().1.clone()).unwrap();
        let base64 = sm2_line.split_whitespace().skip_while(|w| *w != "sm2").nth(1).unwrap();
        let make_pem = "openssl base64 -d -A | openssl pkey -pubin -inform DER -out 410102_sm2.pub.pem";
        assert!(readme.contains(&format!("echo <那段 base64> | {make_pem}")), "{readme}");
        let made = Command::new("sh")
            .current_dir(dir.path())
            .args(["-c", &format!("echo {base64} | {make_pem}")])
            .output()
            .unwrap();
        assert!(made.status.success(), "{}", stderr(&made));
        assert_eq!(
            std::fs::read_to_string(dir.path().join("410102_sm2.pub.pem")).unwrap(),
            std::fs::read_to_string(county.path().join("keys/shenhe_sm2.pub.pem")).unwrap(),
            "the same key as the county's own public file"
        );
        let documented = format!(
            "openssl pkeyutl -verify -pubin -inkey 410102_sm2.pub.pem -rawin -in manifest.json \
             -sigfile manifest.json.sm2.sig -digest sm3 -pkeyopt {DISTID}"
        );
        assert!(readme.contains(&documented), "{readme}");
        let check = |key: &str| {
            openssl(
                dir.path(),
                &[
                    "pkeyutl",
                    "-verify",
                    "-pubin",
                    "-inkey",
                    key,
                    "-rawin",
                    "-in",
                    "manifest.json",
                    "-sigfile",
                    "manifest.json.sm2.sig",
                    "-digest",
                    "sm3",
                    "-pkeyopt",
                    DISTID,
                ],
            )
        };
        let ok = check("410102_sm2.pub.pem");
        assert!(ok.status.success(), "{}{}", stdout(&ok), stderr(&ok));
        assert_eq!(stdout(&ok).trim(), "Signature Verified Successfully");
        // Every listed file's SM3, as `openssl dgst -sm3` prints it.
        for listed in manifest["files"].as_array().unwrap() {
            let name = listed["path"].as_str().unwrap();
            let out = openssl(dir.path(), &["dgst", "-sm3", "-r", name]);
            let printed = stdout(&out);
            assert!(printed.starts_with(listed["sm3"].as_str().unwrap()), "{name}: {printed}");
        }
        // Another key's: openssl says no.
        assert!(openssl(dir.path(), &["genpkey", "-algorithm", "SM2", "-out", "other.pem"]).status.success());
        assert!(
            openssl(dir.path(), &["pkey", "-in", "other.pem", "-pubout", "-out", "other.pub.pem"]).status.success()
        );
        assert!(!check("other.pub.pem").status.success());

        // openssl signs the same manifest with another key: shenhe refuses it.
        let signed = openssl(
            dir.path(),
            &[
                "pkeyutl",
                "-sign",
                "-inkey",
                "other.pem",
                "-rawin",
                "-in",
                "manifest.json",
                "-digest",
                "sm3",
                "-pkeyopt",
                DISTID,
                "-out",
                "forged.sig",
            ],
        );
        assert!(signed.status.success(), "{}", stderr(&signed));
        let forged_sig = std::fs::read(dir.path().join("forged.sig")).unwrap();
        let forged = rewrite(&bundle, county.path(), "manifest.json.sm2.sig", &forged_sig);
        let city = Home::city(&sm2_line);
        let out = verify(&city, &forged);
        assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
        let said = stdout(&out) + &stderr(&out);
        assert!(said.contains("签名与 manifest.json 不符"), "{said}");
    }

    // A city trusting an SM2 county and an Ed25519 one.
    let other = Home::county("410103", "二七区");
    other.ok_at(NOW, &["key", "init"]);
    let city = Home::city(&format!("{sm2_line}{}", other.allowed_signers()));
    let ok = verify(&city, &bundle);
    assert!(ok.status.success(), "{}{}", stdout(&ok), stderr(&ok));
    let theirs = other.export(NOW);
    let imported = city.ok_at(NOW, &["city", "import", &arg(&bundle), &arg(&theirs)]);
    assert!(stdout(&imported).contains("中原区（410102）"), "{}", stdout(&imported));
    let status = json(&city.ok_at(NOW, &["city", "status", "--period", PERIOD, "--json"]));
    let reported: Vec<&str> = status
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| row["received"] == true)
        .map(|row| row["county_code"].as_str().unwrap())
        .collect();
    assert_eq!(reported, ["410102", "410103"], "{status}");
}

/// A copy of `bundle` with the entry `name` replaced (the zip rewritten by the zip crate: not
/// canonical, but the signature is checked first).
fn rewrite(bundle: &Path, dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    use std::io::Write;
    let out = dir.join("forged.zip");
    let mut writer = zip::ZipWriter::new(std::fs::File::create(&out).unwrap());
    for (entry, content) in entries(bundle) {
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        writer.start_file(entry.as_str(), options).unwrap();
        writer.write_all(if entry == name { bytes } else { &content }).unwrap();
    }
    writer.finish().unwrap();
    out
}

/// A rotated key stays trusted for the reports the city took in before (judged as of when it
/// received that very file, its own fact), and for nothing else: not a new report it signs,
/// and not one it backdates to before the rotation.
#[test]
fn a_rotated_key_stays_trusted_for_what_it_brought_in_before_and_for_nothing_after() {
    for algorithm in ["ed25519", "sm2"] {
        let county = Home::county("410102", "中原区");
        let county = if algorithm == "sm2" { as_sm2(county) } else { county };
        county.ok_at(NOW, &["key", "init"]);
        let before = county.export(NOW);
        let city = Home::city(&county.allowed_signers());
        city.ok_at(NOW, &["city", "import", &arg(&before)]);

        let rotated = json(&county.ok_at("2026-10-03T12:00:00+08:00", &["key", "rotate", "--json"]));
        assert_eq!(rotated["algorithm"], algorithm);
        assert_ne!(rotated["old_fingerprint"], rotated["new_fingerprint"]);
        let lines: Vec<String> =
            rotated["lines"].as_array().unwrap().iter().map(|l| l.as_str().unwrap().to_string()).collect();
        assert_eq!(lines.len(), 2, "{rotated}");
        assert!(lines[0].contains("valid-before=\"20261003040000Z\""), "{}", lines[0]);
        let retired = PathBuf::from(rotated["retired"].as_str().unwrap());
        let text = stdout(&county.ok_at("2026-10-03T12:00:01+08:00", &["key", "rotate"]));
        assert!(text.contains("valid-before"), "{text}");
        // A second rotation: the second key's line ends, the third key's is new.
        let lines_now: Vec<&str> = text.lines().filter(|l| l.starts_with("410102 ")).collect();
        assert_eq!(lines_now.len(), 2, "{text}");

        // The city takes the first rotation's lines and the second's.
        std::fs::write(
            city.path().join("allowed_signers"),
            format!("{}\n{}\n{}\n", lines[0], lines_now[0], lines_now[1]),
        )
        .unwrap();
        let later = "2026-10-04T10:00:00+08:00";
        // The report the city took in before the rotation: still its county's, as received.
        let again = city.run_at(later, &["city", "import", &arg(&before)]);
        assert!(again.status.success(), "{algorithm}: {}{}", stdout(&again), stderr(&again));
        // The same file checked as new (`verify` has no record of it): judged now, as
        // ssh-keygen judges it, and refused; ssh-keygen with -Overify-time of its receipt agrees.
        let out = verify_at(&city, &before, later);
        assert_eq!(out.status.code(), Some(1), "{algorithm}: {}{}", stdout(&out), stderr(&out));
        if algorithm == "ed25519" {
            ssh_keygen_judges_at_the_signing_time(&before, &lines[0]);
        }
        county.ok_at("2026-10-04T08:50:00+08:00", &["reopen", "--period", PERIOD, "--reason", "补报"]);
        let after = county.export("2026-10-04T09:00:00+08:00");
        let ok = city.run_at(later, &["city", "import", &arg(&after)]);
        assert!(ok.status.success(), "{algorithm}: the newest key: {}{}", stdout(&ok), stderr(&ok));

        // The first key, put back, signs a new report: refused, whatever time it writes in,
        // even one before the rotation.
        for file in std::fs::read_dir(&retired).unwrap() {
            let file = file.unwrap();
            std::fs::copy(file.path(), county.path().join("keys").join(file.file_name())).unwrap();
        }
        for (reopened, made) in [
            ("2026-10-04T09:30:00+08:00", "2026-10-04T09:40:00+08:00"),
            ("2026-10-04T09:45:00+08:00", "2026-10-03T11:59:59+08:00"),
        ] {
            county.ok_at(reopened, &["reopen", "--period", PERIOD, "--reason", "补报"]);
            let forged = county.export(made);
            let out = city.run_at(later, &["city", "import", &arg(&forged)]);
            assert_eq!(out.status.code(), Some(1), "{algorithm} {made}: {}{}", stdout(&out), stderr(&out));
            let said = stdout(&out) + &stderr(&out);
            assert!(said.contains("按信任文件第 1 行已于"), "{algorithm}: {said}");
        }
    }
}

fn verify_at(city: &Home, file: &Path, now: &str) -> Output {
    city.run_at(now, &["verify", "--allowed-signers", &arg(&city.path().join("allowed_signers")), &arg(file)])
}

/// A return notice goes the other way sealed too: to the county's Ed25519 key the city trusts,
/// opened by `reopen --from` as it is; an SM2 county's notice goes signed only, and the city is
/// told so. An SM2 city's notices are SM2-signed and the county checks them.
#[test]
fn return_notices_are_sealed_to_ed25519_counties_and_signed_by_an_sm2_city() {
    let zy = Home::county("410102", "中原区");
    let eq = as_sm2(Home::county("410103", "二七区"));
    eq.ok_at(NOW, &["key", "init"]);
    let (a, b) = (zy.export(NOW), eq.export(NOW));
    let city = as_sm2(Home::city(&format!("{}{}", zy.allowed_signers(), eq.allowed_signers())));
    city.ok_at(NOW, &["city", "import", &arg(&a), &arg(&b)]);
    let notices = arg(&city.path().join("notices"));
    let send = |county: &str| {
        let args =
            ["city", "return", "--period", PERIOD, "--county", county, "--reason", "核实", "--out", &notices, "--json"];
        json(&city.ok_at(levels::LATE, &args))
    };
    let to_zy = send("410102");
    let line = to_zy["allowed_signers"].as_str().unwrap().to_string();
    assert!(line.starts_with("\"郑州市\" namespaces=\"shenhe-return\" sm2 MFkw"), "{line}");
    let sealed = PathBuf::from(to_zy["sealed"].as_str().expect("sealed to 中原区's key"));
    assert!(std::fs::read(&sealed).unwrap().starts_with(b"age-encryption.org/v1\n-> ssh-ed25519 "));
    let to_eq = send("410103");
    assert!(to_eq["sealed"].is_null(), "an SM2 county has no key to encrypt to: {to_eq}");
    let said =
        stdout(&city.ok_at(
            levels::LATE,
            &["city", "cancel-return", "--period", PERIOD, "--county", "410103", "--out", &notices],
        ));
    assert!(said.contains("通知未加密"), "{said}");

    std::fs::write(zy.path().join("allowed_signers"), format!("{line}\n")).unwrap();
    let reopened = zy.run_at(levels::LATE, &["reopen", "--from", &arg(&sealed)]);
    assert!(reopened.status.success(), "{}{}", stdout(&reopened), stderr(&reopened));
    // Another county cannot open it.
    std::fs::write(eq.path().join("allowed_signers"), format!("{line}\n")).unwrap();
    let out = eq.run_at(levels::LATE, &["reopen", "--from", &arg(&sealed)]);
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
}

/// ssh-keygen refuses the retired key's report now and accepts it with `-Overify-time=` the
/// time it was received (here the time it was made). (Without ssh-keygen this says so.)
fn ssh_keygen_judges_at_the_signing_time(bundle: &Path, line: &str) {
    if Command::new("ssh-keygen").arg("-?").output().is_err() {
        eprintln!("ssh-keygen not installed: the stock half of the rotation check did not run");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let files = entries(bundle);
    for (name, bytes) in &files[..2] {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    std::fs::write(dir.path().join("allowed_signers"), format!("{line}\n")).unwrap();
    let manifest: serde_json::Value = serde_json::from_slice(&files[0].1).unwrap();
    let created = chrono::DateTime::parse_from_rfc3339(manifest["created_at"].as_str().unwrap()).unwrap();
    let at = created.to_utc().format("%Y%m%d%H%M%SZ").to_string();
    let check = |extra: &[&str]| {
        let input = std::fs::File::open(dir.path().join("manifest.json")).unwrap();
        Command::new("ssh-keygen")
            .current_dir(dir.path())
            .args(["-Y", "verify", "-f", "allowed_signers", "-I", "410102", "-n", "shenhe-bundle", "-s"])
            .arg("manifest.json.sig")
            .args(extra)
            .stdin(input)
            .output()
            .unwrap()
            .status
            .success()
    };
    assert!(!check(&[]), "judged now, the retired key has expired");
    assert!(check(&[&format!("-Overify-time={at}")]), "judged at the report's time");
}
