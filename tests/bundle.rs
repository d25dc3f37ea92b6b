//! The signed bundle, in process: export then verify, and every way a bundle can be changed on
//! its way to the city — each byte of each file, each byte of the container, files removed and
//! added, another county's manifest, untrusted keys, hostile archives — is refused with its
//! reason. The command line's side is in `tests/bundle_cli.rs`.

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, FixedOffset, Utc};
use shenhe::bundle::allowed_signers::AllowedSigners;
use shenhe::bundle::archive::{self, ArchiveProblem, LIMITS};
use shenhe::bundle::export::{self, Request};
use shenhe::bundle::keys::{self, SigningKey};
use shenhe::bundle::manifest::{MANIFEST, Manifest, SIGNATURE};
use shenhe::bundle::verify::{Refusal, verify, verify_with};
use shenhe::config::Config;
use shenhe::domain::Period;
use shenhe::import::{ImportRequest, import_files};
use shenhe::store::Store;

const NOW: &str = "2026-10-03T10:00:00+08:00";

fn now() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(NOW).unwrap()
}

fn utc_now() -> DateTime<Utc> {
    now().to_utc()
}

fn config(code: &str, name: &str) -> Config {
    let text = format!(
        "[county]\ncode = \"{code}\"\nname = \"{name}\"\ncity = \"郑州市\"\n[auditor]\nname = \"张敏\"\nphone = \"0371-12345678\"\n"
    );
    Config::from_user_toml(&text, "test.toml", Default::default()).unwrap()
}

/// A county with its store, key and exported bundle.
struct County {
    _dir: tempfile::TempDir,
    key: SigningKey,
    code: String,
    bundle: Vec<u8>,
    private_key_text: String,
}

impl County {
    /// Imports `fixture` as 2026Q3 and exports it (forced: some schools are undecided).
    fn exported(code: &str, name: &str, fixture: &str) -> County {
        let dir = tempfile::tempdir().unwrap();
        let period: Period = "2026Q3".parse().unwrap();
        let mut store = Store::open(&dir.path().join("s.db")).unwrap();
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(fixture);
        let request = ImportRequest::new(period, vec![file], "测试", NOW);
        import_files(&mut store, &request, &mut |_| {}).unwrap();
        let keys_dir = dir.path().join("keys");
        let key = keys::init(&keys_dir, &keys::KeySpec::ed25519("test")).unwrap();
        let out = dir.path().join("out");
        let request = Request {
            period,
            out_dir: &out,
            force_reason: Some("测试导出"),
            report_text: None,
            actor: "张敏",
            now: now(),
        };
        let done = export::export(
            &mut store,
            &config(code, name),
            || keys::load(&keys_dir, &keys::KeySpec::ed25519("")),
            request,
        )
        .unwrap();
        let bundle = std::fs::read(&done.path).unwrap();
        let private_key_text = std::fs::read_to_string(keys_dir.join(keys::PRIVATE_FILE)).unwrap();
        County { _dir: dir, key, code: code.to_string(), bundle, private_key_text }
    }

    fn signers(&self) -> AllowedSigners {
        AllowedSigners::parse(&keys::allowed_signers_line(&self.code, &self.key)).unwrap()
    }
}

/// The entries of a bundle, in order, decompressed.
fn entries(bundle: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut opened = archive::Opened::new(bundle, LIMITS).unwrap();
    let names = opened.names().to_vec();
    names.into_iter().map(|n| (n.clone(), opened.read(&n, u64::MAX).unwrap())).collect()
}

/// A bundle made of `files` the way the exporter makes one (the canonical container): the
/// first two (manifest and signature) stored, the others deflated.
fn rezip(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    let split = refs.len().min(2);
    let deflated =
        archive::deflate(&refs[split..], now().naive_local(), shenhe::bundle::manifest::Digest::Sha256).unwrap();
    archive::write(&refs[..split], &deflated, now().naive_local()).unwrap()
}

#[test]
fn an_exported_bundle_verifies_and_says_what_it_is() {
    let county = County::exported("410102", "中原区", "unfilled.csv");
    let verified = verify(&county.bundle, &county.signers(), utc_now()).unwrap();
    let m = &verified.manifest;
    assert_eq!(
        (m.county_code.as_str(), m.county.as_str(), m.period.as_str(), m.sequence),
        ("410102", "中原区", "2026Q3", 1)
    );
    assert_eq!(m.created_at, "2026-10-03T10:00:00+08:00");
    assert!(m.inside_window, "3 October is inside the default window 1–5");
    assert_eq!((m.counts.schools, m.counts.unfilled, m.counts.submitted), (5, 3, 2));
    assert_eq!(m.forced.as_ref().unwrap().pending, ["2141010201", "2141010202"]);
    assert_eq!(m.signer.fingerprint, county.key.fingerprint());
    let names: Vec<String> = entries(&county.bundle).into_iter().map(|(n, _)| n).collect();
    assert_eq!(&names[..3], [MANIFEST, SIGNATURE, "说明.txt"]);
    for expected in ["schools.csv", "findings.csv", "returned.csv", "review_log.csv", "statistics.csv", "dispatch.csv"]
    {
        assert!(names.iter().any(|n| n == expected), "{expected} in {names:?}");
    }
    assert!(names.iter().any(|n| n.ends_with(".xlsx")), "{names:?}");
    let listed: Vec<&str> = m.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(listed, names[2..].iter().map(String::as_str).collect::<Vec<_>>(), "every other file is listed");
}

#[test]
fn the_stock_ssh_keygen_accepts_the_signature() {
    if std::process::Command::new("ssh-keygen").arg("-?").output().is_err() {
        eprintln!("ssh-keygen not installed: skipped");
        return;
    }
    let county = County::exported("410102", "中原区", "unfilled.csv");
    let dir = tempfile::tempdir().unwrap();
    let files = entries(&county.bundle);
    for (name, bytes) in &files[..2] {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    let signers = dir.path().join("allowed_signers");
    std::fs::write(&signers, format!("{}\n", keys::allowed_signers_line("410102", &county.key))).unwrap();
    let check = |principal: &str| {
        let mut child = std::process::Command::new("ssh-keygen")
            .args(["-Y", "verify", "-f"])
            .arg(&signers)
            .args(["-I", principal, "-n", "shenhe-bundle", "-s"])
            .arg(dir.path().join(SIGNATURE))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(&files[0].1).unwrap();
        child.wait_with_output().unwrap()
    };
    let out = check("410102");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!check("410103").status.success(), "another county's principal is refused");
}

/// Every byte of every file in a small bundle, changed, is refused — and so is every byte of
/// the zip file itself.
#[test]
fn any_changed_byte_is_refused() {
    let county = County::exported("410102", "中原区", "unfilled.csv");
    let signers = county.signers();
    let files = entries(&county.bundle);
    assert!(verify(&rezip(&files), &signers, utc_now()).is_ok(), "re-zipping the same files gives the same bundle");
    let mut cases = 0;
    for (f, (name, content)) in files.iter().enumerate() {
        for i in 0..content.len() {
            let mut changed = files.clone();
            changed[f].1[i] ^= 0x20;
            let refusal = verify(&rezip(&changed), &signers, utc_now()).expect_err(name);
            let expected = match name.as_str() {
                MANIFEST => matches!(refusal, Refusal::SignatureMismatch),
                SIGNATURE => matches!(
                    refusal,
                    Refusal::SignatureUnreadable { .. } | Refusal::SignatureMismatch | Refusal::WrongNamespace { .. }
                ),
                _ => refusal == Refusal::HashMismatch { name: name.clone() },
            };
            assert!(expected, "{name} byte {i}: {refusal:?}");
            cases += 1;
        }
    }
    for i in 0..county.bundle.len() {
        for mask in [0x01, 0x80] {
            let mut changed = county.bundle.clone();
            changed[i] ^= mask;
            assert!(verify(&changed, &signers, utc_now()).is_err(), "container byte {i} ^ {mask:#x}");
            cases += 1;
        }
    }
    eprintln!(
        "{cases} changed bundles refused ({} bytes of files, {} bytes of zip)",
        files.iter().map(|f| f.1.len()).sum::<usize>(),
        county.bundle.len()
    );
}

#[test]
fn removed_added_and_renamed_files_are_refused() {
    let county = County::exported("410102", "中原区", "unfilled.csv");
    let (signers, files) = (county.signers(), entries(&county.bundle));
    let refused = |files: &[(String, Vec<u8>)]| verify(&rezip(files), &signers, utc_now()).unwrap_err();

    let without: Vec<_> = files.iter().filter(|(n, _)| n != "returned.csv").cloned().collect();
    assert_eq!(refused(&without), Refusal::MissingFile { name: "returned.csv".into() });
    for gone in [MANIFEST, SIGNATURE] {
        let without: Vec<_> = files.iter().filter(|(n, _)| n != gone).cloned().collect();
        assert_eq!(refused(&without), Refusal::Missing { name: gone });
    }
    let mut longer = files.clone();
    longer[4].1.extend_from_slice(b"2141019999,\xe5\x81\x87\r\n");
    let name = longer[4].0.clone();
    assert!(matches!(refused(&longer), Refusal::SizeMismatch { name: n, .. } if n == name));
    let mut with = files.clone();
    with.push(("extra.csv".into(), b"a,b\r\n".to_vec()));
    assert_eq!(refused(&with), Refusal::Unlisted { name: "extra.csv".into() });
    let mut renamed = files.clone();
    renamed[3].0 = format!("x{}", renamed[3].0);
    assert!(matches!(refused(&renamed), Refusal::Unlisted { .. }));
}

/// Entry names one file on Windows or macOS — a bundle's file again with other capitals, or
/// one name written in NFC and in NFD — are refused as duplicates naming both, before the
/// manifest is even read: unpacked there, one would overwrite the other unseen.
#[test]
fn entry_names_alike_but_for_case_or_normalisation_are_refused() {
    let county = County::exported("410102", "中原区", "unfilled.csv");
    let (signers, files) = (county.signers(), entries(&county.bundle));
    let mut recased = files.clone();
    recased.push(("Returned.csv".into(), b"a,b\r\n".to_vec()));
    let mut renormalised = files.clone();
    renormalised.push(("\u{e9}.csv".into(), b"1".to_vec()));
    renormalised.push(("e\u{301}.csv".into(), b"2".to_vec()));
    for (changed, first, second) in
        [(recased, "returned.csv", "Returned.csv"), (renormalised, "\u{e9}.csv", "e\u{301}.csv")]
    {
        let refusal = verify(&rezip(&changed), &signers, utc_now()).unwrap_err();
        let alike = ArchiveProblem::NamesAlike { first: first.into(), second: second.into() };
        assert_eq!(refusal, Refusal::Archive(alike), "{first:?} {second:?}");
        let message = refusal.user_message(Default::default());
        assert!(message.contains(first) && message.contains(second) && message.contains("大小写"), "{message}");
    }
}

#[test]
fn another_countys_manifest_or_key_is_refused() {
    let ours = County::exported("410102", "中原区", "unfilled.csv");
    let theirs = County::exported("410103", "二七区", "unfilled.csv");
    // Both keys trusted, each for its own county.
    let both = format!(
        "{}\n{}\n",
        keys::allowed_signers_line("410102", &ours.key),
        keys::allowed_signers_line("410103", &theirs.key)
    );
    let signers = AllowedSigners::parse(&both).unwrap();
    assert!(verify(&ours.bundle, &signers, utc_now()).is_ok());
    assert!(verify(&theirs.bundle, &signers, utc_now()).is_ok());

    // Their signed manifest with our files: the files are not the ones it vouches for.
    let mut swapped = entries(&ours.bundle);
    let their_files = entries(&theirs.bundle);
    swapped[0] = their_files[0].clone();
    swapped[1] = their_files[1].clone();
    assert!(matches!(verify(&rezip(&swapped), &signers, utc_now()), Err(Refusal::HashMismatch { .. })));
    // Their manifest with our signature: the signature does not match.
    let mut swapped = entries(&ours.bundle);
    swapped[0] = their_files[0].clone();
    assert_eq!(verify(&rezip(&swapped), &signers, utc_now()).unwrap_err(), Refusal::SignatureMismatch);

    // Our key, trusted only for the other county, cannot report for ours.
    let wrong = AllowedSigners::parse(&keys::allowed_signers_line("410103", &ours.key)).unwrap();
    assert!(matches!(verify(&ours.bundle, &wrong, utc_now()), Err(Refusal::NotForCounty { .. })));
    // A key nobody trusts.
    assert!(matches!(verify(&ours.bundle, &theirs.signers(), utc_now()), Err(Refusal::UnknownKey { .. })));

    // A manifest re-signed by an untrusted key after changing a figure.
    let mut files = entries(&ours.bundle);
    let mut manifest: Manifest = serde_json::from_slice(&files[0].1).unwrap();
    manifest.counts.approved += 1;
    files[0].1 = manifest.to_bytes();
    files[1].1 = theirs.key.sign(&files[0].1).unwrap();
    assert!(matches!(verify(&rezip(&files), &ours.signers(), utc_now()), Err(Refusal::SignerNotAsStated { .. })));
    manifest.signer = serde_json::from_slice::<Manifest>(&entries(&theirs.bundle)[0].1).unwrap().signer;
    files[0].1 = manifest.to_bytes();
    files[1].1 = theirs.key.sign(&files[0].1).unwrap();
    assert!(matches!(verify(&rezip(&files), &ours.signers(), utc_now()), Err(Refusal::UnknownKey { .. })));
    let reason = verify(&rezip(&files), &ours.signers(), utc_now()).unwrap_err().user_message(Default::default());
    assert!(reason.contains(&theirs.key.fingerprint()), "{reason}");
}

/// The namespace of a signature is read before the signature is checked, so anyone can put any
/// text there: the refusal shows it escaped, never as terminal control sequences.
#[test]
fn a_hostile_signature_namespace_is_shown_escaped() {
    let county = County::exported("410102", "中原区", "unfilled.csv");
    let mut files = entries(&county.bundle);
    files[1].1 = county.key.sign_in("x\u{1b}[2J", &files[0].1).unwrap();
    let refusal = verify(&rezip(&files), &county.signers(), utc_now()).unwrap_err();
    assert!(matches!(refusal, Refusal::WrongNamespace { .. }), "{refusal:?}");
    for lang in [shenhe::i18n::Lang::Zh, shenhe::i18n::Lang::En] {
        let message = refusal.user_message(lang);
        assert!(message.contains("x\\u{1b}[2J") && !message.contains('\u{1b}'), "{message:?}");
    }
}

/// The file names of a manifest are the county's words: a name that cannot be in the zip (a
/// control character) is refused as missing and shown escaped.
#[test]
fn a_hostile_file_name_in_the_manifest_is_shown_escaped() {
    let county = County::exported("410102", "中原区", "unfilled.csv");
    let mut files = entries(&county.bundle);
    let mut manifest: Manifest = serde_json::from_slice(&files[0].1).unwrap();
    manifest.files[0].path = "a\u{1b}[2J.csv".into();
    files[0].1 = manifest.to_bytes();
    files[1].1 = county.key.sign(&files[0].1).unwrap();
    let refusal = verify(&rezip(&files), &county.signers(), utc_now()).unwrap_err();
    assert!(matches!(refusal, Refusal::Unlisted { .. } | Refusal::MissingFile { .. }), "{refusal:?}");
    let message =
        verify(&rezip(&files[..2]), &county.signers(), utc_now()).unwrap_err().user_message(Default::default());
    assert!(message.contains("a\\u{1b}[2J.csv") && !message.contains('\u{1b}'), "{message:?}");
}

/// A zip with the given raw entries (names as given, no checks).
fn raw_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in entries {
        w.start_file(*name, zip::write::SimpleFileOptions::default().unix_permissions(0o644)).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn hostile_archives_are_refused_before_anything_is_unpacked() {
    let county = County::exported("410102", "中原区", "unfilled.csv");
    let signers = county.signers();
    for name in ["../../etc/cron.d/evil", "/etc/passwd", "a/../../b.txt", "C:\\Windows\\x.dll"] {
        let zip = raw_zip(&[(MANIFEST, b"{}"), (name, b"x")]);
        let refusal = verify(&zip, &signers, utc_now()).unwrap_err();
        assert!(matches!(refusal, Refusal::Archive(ArchiveProblem::UnsafeName { .. })), "{name}: {refusal:?}");
    }

    // Duplicate names: written as two names, then the second renamed in both its headers.
    let mut zip = raw_zip(&[("a.csv", b"1"), ("b.csv", b"2")]);
    let positions: Vec<usize> = zip.windows(5).enumerate().filter(|(_, w)| w == b"b.csv").map(|(i, _)| i).collect();
    assert_eq!(positions.len(), 2);
    for p in positions {
        zip[p] = b'a';
    }
    assert_eq!(verify(&zip, &signers, utc_now()).unwrap_err(), Refusal::Archive(ArchiveProblem::DuplicateName));

    // A zip bomb: 64 MB of zeros deflates to some 64 KB. Against limits of 16 MB a file, it is
    // refused by its declared size before a byte is inflated (the real limit is 128 MB; the
    // archive tests show a reader stopping at its limit whatever the header declares).
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file("schools.csv", zip::write::SimpleFileOptions::default().unix_permissions(0o644)).unwrap();
    let block = vec![0u8; 1 << 20];
    for _ in 0..64 {
        w.write_all(&block).unwrap();
    }
    let bomb = w.finish().unwrap().into_inner();
    assert!(bomb.len() < 1 << 20, "{} bytes", bomb.len());
    let bomb_limits = archive::Limits { entry_bytes: 16 << 20, ..LIMITS };
    let refusal = verify_with(&bomb, &signers, utc_now(), bomb_limits).unwrap_err();
    assert!(matches!(refusal, Refusal::Archive(ArchiveProblem::EntryTooLarge { .. })), "{refusal:?}");
    let many: Vec<(String, Vec<u8>)> = (0..100).map(|i| (format!("f{i}.csv"), vec![b'x'])).collect();
    let refusal = verify(&rezip(&many), &signers, utc_now()).unwrap_err();
    assert!(matches!(refusal, Refusal::Archive(ArchiveProblem::TooManyEntries { .. })), "{refusal:?}");
    // …and with tighter limits, the bundle's own files count as too large too: the limit holds.
    let tight = archive::Limits { entry_bytes: 100, ..LIMITS };
    assert!(matches!(
        verify_with(&county.bundle, &signers, utc_now(), tight),
        Err(Refusal::Archive(ArchiveProblem::EntryTooLarge { .. }))
    ));

    // Not a zip at all, and an empty file.
    for junk in [b"PK\x03\x04 nonsense".to_vec(), Vec::new(), county.bundle[..county.bundle.len() / 2].to_vec()] {
        assert!(matches!(verify(&junk, &signers, utc_now()), Err(Refusal::Archive(ArchiveProblem::NotAZip(_)))));
    }
}

#[test]
fn the_private_key_is_never_in_the_bundle() {
    let county = County::exported("410102", "中原区", "unfilled.csv");
    // The PEM body's lines: any one of them in a file would be a leak.
    let body: Vec<&str> = county.private_key_text.lines().filter(|l| !l.starts_with("-----") && l.len() > 20).collect();
    assert!(!body.is_empty());
    let mut haystacks = vec![county.bundle.clone()];
    haystacks.extend(entries(&county.bundle).into_iter().map(|(_, b)| b));
    for bytes in &haystacks {
        let text = String::from_utf8_lossy(bytes);
        for line in &body {
            assert!(!text.contains(line), "a line of the private key is in the bundle");
        }
        assert!(!text.contains("PRIVATE KEY"));
    }
}

/// What the city loads from a bundle is what the county had: every school's sheet (extras
/// included) and its review state.
#[test]
fn the_schools_read_back_from_a_bundle_are_the_countys() {
    let county = County::exported("410102", "中原区", "reordered_extra.csv");
    let loaded = shenhe::bundle::load::schools(&county.bundle).unwrap();
    let period: Period = "2026Q3".parse().unwrap();
    let mut store = Store::open_in_memory().unwrap();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/reordered_extra.csv");
    let request = ImportRequest::new(period, vec![file], "测试", NOW);
    import_files(&mut store, &request, &mut |_| {}).unwrap();
    let expected = store.current_data(period).unwrap();
    assert_eq!(loaded.len(), expected.len());
    for (got, want) in loaded.iter().zip(&expected) {
        assert_eq!(got.data.content_hash(), want.content_hash(), "{} reads back the same", want.school_code);
        assert!(!got.data.extras.is_empty(), "the extra columns travel");
        assert!(matches!(got.state, shenhe::domain::ReviewState::Submitted | shenhe::domain::ReviewState::Unfilled));
    }
}

/// Another copy of shenhe decides a school while an export is being built (here while the
/// export loads its key, after it has read the schools): the decision waits for the export and
/// is told the store is busy, so the period is locked with what the bundle reports.
#[test]
fn a_decision_made_while_an_export_is_built_does_not_slip_past_the_report() {
    use shenhe::domain::ReviewState;
    use shenhe::store::Decision;
    let dir = tempfile::tempdir().unwrap();
    let period: Period = "2026Q3".parse().unwrap();
    let db = dir.path().join("s.db");
    let mut store = Store::open(&db).unwrap();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/utf8.csv");
    let request = ImportRequest::new(period, vec![file], "测试", NOW);
    import_files(&mut store, &request, &mut |_| {}).unwrap();
    let keys_dir = dir.path().join("keys");
    keys::init(&keys_dir, &keys::KeySpec::ed25519("test")).unwrap();
    let mut other = Store::open(&db).unwrap();
    let decision = Decision {
        period,
        school_code: "2141010201",
        action: "approve",
        expected: ReviewState::Submitted,
        new_state: ReviewState::Approved,
        note: None,
        actor: "另一个窗口",
        at: NOW,
    };
    let mut meanwhile = None;
    let out = dir.path().join("out");
    let request =
        Request {
            period, out_dir: &out, force_reason: Some("测试导出"), report_text: None, actor: "张敏", now: now()
        };
    let key = || {
        meanwhile = Some(other.decide(&decision));
        keys::load(&keys_dir, &keys::KeySpec::ed25519(""))
    };
    let done = export::export(&mut store, &config("410102", "中原区"), key, request).unwrap();
    let in_store = export::state_counts(&store.school_records(period).unwrap());
    assert_eq!(done.manifest.counts, in_store, "the report and the locked store agree");
    let meanwhile = meanwhile.unwrap();
    assert!(meanwhile.as_ref().is_err_and(|e| e.is_busy()), "{meanwhile:?}");
}
