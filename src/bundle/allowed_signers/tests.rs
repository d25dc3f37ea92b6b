//! The trust file against ssh-keygen: parsing, matching, and hostile input.

use chrono::{Local, NaiveDate, TimeDelta, TimeZone, Utc};

use super::parse::*;
use super::*;
use crate::bundle::keys;
use ssh_key::PublicKey;
use ssh_key::private::Ed25519Keypair;

/// A fixed Ed25519 public key per seed byte, so failures are reproducible.
fn key(seed: u8) -> PublicKey {
    let mut key = PublicKey::from(Ed25519Keypair::from_seed(&[seed; 32]).public);
    key.set_comment(format!("county {seed}"));
    key
}

fn openssh(key: &PublicKey) -> String {
    key.to_openssh().unwrap()
}

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().with_timezone(&Utc)
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

fn problem(text: &str) -> (usize, ParseProblem) {
    match AllowedSigners::parse(text) {
        Err(SignersError::Parse { path: None, line, reason }) => (line, reason),
        other => panic!("{text:?} gave {other:?}"),
    }
}

const ECDSA: &str = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBDX2G6fPay182csXhc7aopYLlAaJbLk99UfrVSGSd+Q3AqQ3oH+WWocoXrQ1mKheMI7n+G4TToRsOFtNTPtHX8A= ecdsa";
const NOW: &str = "2026-05-01T08:00:00Z";

#[test]
fn parses_quoted_principals_options_in_any_case_comments_and_crlf() {
    let (k1, k2) = (openssh(&key(1)), openssh(&key(2)));
    let text = format!(
        "# county keys\r\n\
         \t \r\n\
         \"410102,4101 02\" NAMESPACES=\"shenhe-bundle,file\",Cert-Authority,valid-AFTER=\"20240101Z\",Valid-Before=\"20250101120000utc\" {k1} 中原区 # not a comment\r\n\
         \x20 410103 {k2}\r\n\
         410104 namespaces=\"a \\\"b\\\" c\" {k2}"
    );
    let signers = AllowedSigners::parse(&text).unwrap();
    let [first, second, third] = signers.entries() else { panic!("{signers:?}") };
    assert_eq!(first.line, 3);
    assert_eq!(first.principals, ["410102", "4101 02"]);
    assert_eq!(first.namespaces.as_deref(), Some(&["shenhe-bundle".to_owned(), "file".to_owned()][..]));
    assert!(first.cert_authority);
    assert_eq!(first.valid_after, Some(utc(2024, 1, 1, 0, 0, 0)));
    assert_eq!(first.valid_before, Some(utc(2025, 1, 1, 12, 0, 0)));
    assert_eq!(first.key.as_ssh().unwrap().key_data(), key(1).key_data());
    assert_eq!(first.key.as_ssh().unwrap().comment(), "county 1 中原区 # not a comment");
    assert_eq!((second.line, &second.principals[..]), (4, &["410103".to_owned()][..]));
    assert_eq!((second.namespaces.as_ref(), second.cert_authority), (None, false));
    assert_eq!((second.valid_after, second.valid_before), (None, None));
    assert_eq!(second.key.as_ssh().unwrap().comment(), "county 2");
    assert_eq!(third.namespaces, Some(vec!["a \"b\" c".to_owned()]));
}

#[test]
fn accepts_the_oddities_ssh_keygen_accepts() {
    let k = openssh(&key(1));
    let rsa = PublicKey::from(ssh_key::public::RsaPublicKey {
        e: ssh_key::Mpint::from_positive_bytes(&[1, 0, 1]).unwrap(),
        n: ssh_key::Mpint::from_positive_bytes(&[0xC5; 256]).unwrap(),
    });
    let rsa_data = openssh(&rsa).split(' ').nth(1).unwrap().to_owned();
    let text = [
        format!("4101\"02\" ,cert-authority,,namespaces=\"x\" {k}"), // quote mid-field, empty options
        format!("p valid-after=\"20240231Z\" {k}"),                  // 31 February rolls over
        format!("p valid-after=\"20240101000061z\" {k}"),            // a 61st second, lower-case z
        format!("p valid-after=\"2024\t1 1 2 3 4\" {k}"),            // strptime skips blanks
        format!("p rsa-sha2-512 {rsa_data}"),                        // a signature name for RSA
        format!("p {ECDSA}"),                                        // kept aside, not an error
        format!("\"\" {k}"),                                         // an empty principal
        "# \u{fffd} comment".to_owned(),
    ]
    .join("\n");
    let mut bytes = text.into_bytes();
    bytes.extend_from_slice(b"\n# GBK \xd6\xd0\xd4\xad\n");
    let signers = parse_bytes(&bytes).unwrap();
    let e = signers.entries();
    assert_eq!(e.len(), 6);
    assert_eq!((e[0].principals.clone(), e[0].cert_authority), (vec!["410102".to_owned()], true));
    assert_eq!(e[1].valid_after, Some(utc(2024, 3, 2, 0, 0, 0)));
    assert_eq!(e[2].valid_after, Some(utc(2024, 1, 1, 0, 1, 1)));
    let local = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap().and_hms_opt(2, 3, 4).unwrap();
    assert_eq!(e[3].valid_after, Local.from_local_datetime(&local).earliest().map(|t| t.with_timezone(&Utc)));
    assert_eq!(e[4].key.as_ssh().unwrap().key_data(), rsa.key_data());
    assert_eq!((e[5].line, e[5].principals.clone()), (7, Vec::<String>::new()));
    assert_eq!(signers.skipped(), [Skipped { line: 6, key_type: "ecdsa-sha2-nistp256".to_owned() }]);
}

#[test]
fn errors_name_the_problem_and_the_line() {
    let k = openssh(&key(1));
    let data = k.split(' ').nth(1).unwrap();
    let cases = [
        (format!("410102 namespaces=\"shenhe-bundle {k}"), ParseProblem::UnterminatedQuote),
        (format!("\"410102 {k}"), ParseProblem::UnterminatedQuote),
        (format!("410102 valid-after=\"20240101 {k}"), ParseProblem::UnterminatedQuote),
        (format!("410102 nosuch=\"x\" {k}"), ParseProblem::UnknownOption { name: "nosuch".into() }),
        (format!("410102 cert-authorityX {k}"), ParseProblem::UnknownOption { name: "cert-authorityX".into() }),
        (format!("410102 namespaces {k}"), ParseProblem::UnknownOption { name: "namespaces".into() }),
        (format!("\"410102\"x {k}"), ParseProblem::UnknownOption { name: "x".into() }),
        (format!("410102 namespaces=\"a\"b {k}"), ParseProblem::UnknownOption { name: "b".into() }),
        ("410102".to_owned(), ParseProblem::MissingKey),
        ("410102   ".to_owned(), ParseProblem::MissingKey),
        ("410102 namespaces=\"x\"".to_owned(), ParseProblem::MissingKey),
        ("410102 ssh-ed25519".to_owned(), ParseProblem::MissingKey),
        ("410102 ssh-ed25519 AAAA!!!!".to_owned(), ParseProblem::BadKeyBase64),
        (format!("410102 ssh-ed25519 {}", &data[..data.len() - 1]), ParseProblem::BadKeyBase64),
        (format!("410102 ssh-ed25519 {}", &data[..data.len() - 4]), ParseProblem::BadKeyData),
        // A wrong length before the Ed25519 point: ssh-key alone would take it, OpenSSH not.
        (format!("410102 ssh-ed25519 {}", data.replacen("NTE5AAAAI", "NTE5AAAAi", 1)), ParseProblem::BadKeyData),
        (format!("410102 ssh-ed2551 {data}"), ParseProblem::UnsupportedKeyType { found: "ssh-ed2551".into() }),
        (format!("410102 ED25519 {data}"), ParseProblem::UnsupportedKeyType { found: "ED25519".into() }),
        (
            format!("410102 namespaces=\"x\" ssh-foo {data}"),
            ParseProblem::UnsupportedKeyType { found: "ssh-foo".into() },
        ),
        (
            format!("410102 ssh-rsa {data}"),
            ParseProblem::KeyTypeMismatch { stated: "ssh-rsa".into(), actual: "ssh-ed25519".into() },
        ),
        (format!("410102 namespaces=shenhe-bundle {k}"), ParseProblem::ValueNotQuoted { option: "namespaces" }),
        (
            format!("410102 namespaces=\"a\",NameSpaces=\"b\" {k}"),
            ParseProblem::DuplicateOption { option: "namespaces" },
        ),
        (format!("410102 cert-authority, {k}"), ParseProblem::TrailingComma),
        (
            format!("410102 valid-after=\"2024-1-1\" {k}"),
            ParseProblem::BadTime { option: "valid-after", value: "2024-1-1".into() },
        ),
        (
            format!("410102 valid-before=\"19700101Z\" {k}"),
            ParseProblem::BadTime { option: "valid-before", value: "19700101Z".into() },
        ),
        (
            format!("410102 valid-before=\"20240101250000Z\" {k}"),
            ParseProblem::BadTime { option: "valid-before", value: "20240101250000Z".into() },
        ),
        (
            format!("410102 valid-before=\"20240 11Z\" {k}"),
            ParseProblem::BadTime { option: "valid-before", value: "20240 11Z".into() },
        ),
        (format!("410102 valid-after=\"20250101Z\",valid-before=\"20250101Z\" {k}"), ParseProblem::ValidityReversed),
    ];
    for (bad, expected) in cases {
        let text = format!("# ok\n410101 {k}\r\n{bad}\n410103 {k}\n");
        assert_eq!(problem(&text), (3, expected), "{bad}");
    }
    let e = AllowedSigners::parse(&format!("\n\n410102 nosuch {k}")).unwrap_err();
    assert_eq!(e.to_string(), "line 3: unknown option \"nosuch\"");
    // Quoted file text is cut short and cannot carry control characters to a terminal.
    let (_, hostile) = problem(&format!("p \x1b[31m{}\x07 {data}", "x".repeat(100)));
    let shown = hostile.to_string();
    assert!(!shown.contains('\x1b') && !shown.contains('\x07') && shown.chars().count() < 80, "{shown}");
}

#[test]
fn load_names_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("allowed_signers");
    let mut bytes = format!("410101 {}\n", openssh(&key(1))).into_bytes();
    bytes.extend_from_slice(b"\xd6\xd0\xd4\xad ");
    bytes.extend_from_slice(openssh(&key(2)).as_bytes());
    std::fs::write(&path, &bytes).unwrap();
    let e = AllowedSigners::load(&path).unwrap_err();
    assert!(matches!(e, SignersError::Parse { line: 2, reason: ParseProblem::NotUtf8, .. }), "{e:?}");
    assert_eq!(e.to_string(), format!("{}: line 2: the line is not UTF-8 text", path.display()));
    std::fs::write(&path, &bytes[..bytes.len() - 10 - openssh(&key(2)).len()]).unwrap();
    assert_eq!(AllowedSigners::load(&path).unwrap().entries().len(), 1);
    let missing = AllowedSigners::load(&dir.path().join("nowhere")).unwrap_err();
    assert!(matches!(&missing, SignersError::Read { path, .. } if path.ends_with("nowhere")), "{missing:?}");
}

#[test]
fn local_times_are_read_in_the_local_zone() {
    let signers = AllowedSigners::parse(&format!(
        "p valid-after=\"203001021530\",valid-before=\"20300103Z\" {}",
        openssh(&key(1))
    ))
    .unwrap();
    let local = NaiveDate::from_ymd_opt(2030, 1, 2).unwrap().and_hms_opt(15, 30, 0).unwrap();
    let expected = Local.from_local_datetime(&local).earliest().unwrap().with_timezone(&Utc);
    assert_eq!(signers.entries()[0].valid_after, Some(expected));
    assert_eq!(signers.entries()[0].valid_before, Some(utc(2030, 1, 3, 0, 0, 0)));
}

fn judge(text: &str, principal: &str, signer: &PublicKey, namespace: &str, when: &str) -> Trust {
    AllowedSigners::parse(text).unwrap().judge(principal, signer, namespace, at(when))
}

#[test]
fn principals_match_exactly_by_wildcard_and_by_negation() {
    let signer = key(1);
    let k = openssh(&signer);
    let trusted = |patterns: &str, principal: &str| {
        judge(&format!("{patterns} {k}"), principal, &signer, keys::NAMESPACE, NOW) == Trust::Trusted { line: 1 }
    };
    assert!(trusted("410102", "410102"));
    assert!(!trusted("410102", "4101020") && !trusted("410102", "41010") && !trusted("410102", "410102 "));
    assert!(trusted("410101,410102", "410102") && trusted("\"410101,410102\"", "410102"));
    assert!(trusted("4101*", "410102") && trusted("4101*", "4101") && !trusted("4101*", "420102"));
    assert!(trusted("4101??", "410102") && !trusted("4101??", "4101023") && !trusted("4101??", "41010"));
    assert!(trusted("*0*2", "410102") && trusted("**", "") && !trusted("*3", "410102"));
    assert!(trusted("*,!410103", "410102") && !trusted("*,!410103", "410103"));
    assert!(!trusted("!410103,*", "410103"), "a negation refuses wherever it stands");
    assert!(!trusted("!410103", "410102"), "a negation alone accepts nobody");
    assert!(trusted("!!x,410102", "410102") && !trusted("!!x,*", "!x"));
    assert!(trusted("中原区", "中原区") && trusted("中原*", "中原区"));
    assert!(!trusted("中原?", "中原区"), "`?` is one byte, as in OpenSSH");
    assert!(trusted("中原???", "中原区"));
    assert!(!trusted("Zhongyuan", "zhongyuan"), "case counts");
    assert!(trusted("410102,", "410102") && !trusted("410102,", "") && trusted(",410102", ""));
    let long = "x".repeat(1023);
    assert!(trusted(&"x".repeat(1022), &"x".repeat(1022)));
    assert!(!trusted(&format!("410102,{long}"), "410102"), "OpenSSH gives up on a 1023-byte pattern");
}

#[test]
fn hostile_patterns_do_not_take_exponential_time() {
    let pattern = format!("{}b", "*a".repeat(400));
    let k = openssh(&key(1));
    let verdict = judge(&format!("{pattern} {k}"), &"a".repeat(5000), &key(1), keys::NAMESPACE, NOW);
    assert!(matches!(verdict, Trust::NotForPrincipal { .. }), "{verdict:?}");
}

#[test]
fn namespaces_are_a_pattern_list() {
    let k = openssh(&key(1));
    let verdict = |namespaces: &str, namespace: &str| {
        judge(&format!("p namespaces=\"{namespaces}\" {k}"), "p", &key(1), namespace, NOW)
    };
    assert_eq!(verdict("shenhe-bundle", "shenhe-bundle"), Trust::Trusted { line: 1 });
    assert_eq!(verdict("file,shenhe-bundle", "shenhe-bundle"), Trust::Trusted { line: 1 });
    assert_eq!(verdict("shenhe-*", "shenhe-bundle"), Trust::Trusted { line: 1 });
    assert_eq!(verdict("file", "shenhe-bundle"), Trust::NamespaceNotAllowed { line: 1 });
    assert_eq!(verdict("*,!shenhe-bundle", "shenhe-bundle"), Trust::NamespaceNotAllowed { line: 1 });
    assert_eq!(verdict("", "shenhe-bundle"), Trust::NamespaceNotAllowed { line: 1 });
    assert_eq!(judge(&format!("p {k}"), "p", &key(1), "anything", NOW), Trust::Trusted { line: 1 });
}

#[test]
fn cert_authority_never_trusts_a_plain_key() {
    let k = openssh(&key(1));
    for options in ["cert-authority", "CERT-AUTHORITY,namespaces=\"shenhe-bundle\""] {
        let text = format!("410102 {options} {k}");
        assert_eq!(judge(&text, "410102", &key(1), keys::NAMESPACE, NOW), Trust::UnknownKey);
    }
    let text = format!("410102 cert-authority {k}\n410102 {k}");
    assert_eq!(judge(&text, "410102", &key(1), keys::NAMESPACE, NOW), Trust::Trusted { line: 2 });
}

#[test]
fn validity_windows_are_inclusive_whole_seconds() {
    let k = openssh(&key(1));
    let text = format!("p valid-after=\"20260101Z\",valid-before=\"202612311200Z\" {k}");
    let verdict = |when: &str| judge(&text, "p", &key(1), keys::NAMESPACE, when);
    let (from, until) = (utc(2026, 1, 1, 0, 0, 0), utc(2026, 12, 31, 12, 0, 0));
    assert_eq!(verdict("2025-12-31T23:59:59.999Z"), Trust::NotYetValid { line: 1, from });
    assert_eq!(verdict("2026-01-01T00:00:00Z"), Trust::Trusted { line: 1 });
    assert_eq!(verdict("2026-01-01T08:00:00+08:00"), Trust::Trusted { line: 1 });
    assert_eq!(verdict("2026-12-31T12:00:00.999Z"), Trust::Trusted { line: 1 });
    assert_eq!(verdict("2026-12-31T12:00:01Z"), Trust::Expired { line: 1, until });
    assert_eq!(verdict("2026-12-31T20:00:01+08:00"), Trust::Expired { line: 1, until });
    // Without Z the times are the machine's local time.
    let local = format!("p valid-before=\"20261231\" {k}");
    let end = Local
        .from_local_datetime(&NaiveDate::from_ymd_opt(2026, 12, 31).unwrap().and_hms_opt(0, 0, 0).unwrap())
        .earliest()
        .unwrap()
        .with_timezone(&Utc);
    let signers = AllowedSigners::parse(&local).unwrap();
    assert_eq!(signers.judge("p", &key(1), keys::NAMESPACE, end), Trust::Trusted { line: 1 });
    let later = end + TimeDelta::seconds(1);
    assert_eq!(signers.judge("p", &key(1), keys::NAMESPACE, later), Trust::Expired { line: 1, until: end });
}

#[test]
fn several_lines_for_one_key_give_the_most_helpful_verdict() {
    let (k1, k2) = (openssh(&key(1)), openssh(&key(2)));
    let ns = keys::NAMESPACE;
    let text = [
        format!("410101,4102* {k1}"),
        format!("410102 namespaces=\"file\" {k1}"),
        format!("410102 valid-before=\"20200101Z\" {k1}"),
        format!("410103 {k2}"),
        format!("410104 namespaces=\"file\" {k1}"),
        format!("410105 {k1}"),
        format!("410104 namespaces=\"shenhe-bundle\" {k1}"),
    ]
    .join("\n");
    let verdict = |principal: &str, signer: &PublicKey| judge(&text, principal, signer, ns, NOW);
    assert_eq!(verdict("410102", &key(1)), Trust::Expired { line: 3, until: utc(2020, 1, 1, 0, 0, 0) });
    assert_eq!(verdict("410104", &key(1)), Trust::Trusted { line: 7 });
    assert_eq!(verdict("410105", &key(1)), Trust::Trusted { line: 6 });
    assert_eq!(verdict("410103", &key(2)), Trust::Trusted { line: 4 });
    let principals = ["410101", "4102*", "410102", "410104", "410105"].map(String::from).to_vec();
    assert_eq!(verdict("410103", &key(1)), Trust::NotForPrincipal { principals });
    assert_eq!(verdict("410102", &key(2)), Trust::NotForPrincipal { principals: vec!["410103".into()] });
    assert_eq!(verdict("410102", &key(3)), Trust::UnknownKey);
    // The comment is not part of the key.
    let mut renamed = key(1);
    renamed.set_comment("someone else");
    assert_eq!(verdict("410105", &renamed), Trust::Trusted { line: 6 });
    let only_namespace = format!("410102 namespaces=\"file\" {k1}\n410102 valid-after=\"20990101Z\" {k1}");
    let from = utc(2099, 1, 1, 0, 0, 0);
    assert_eq!(judge(&only_namespace, "410102", &key(1), ns, NOW), Trust::NotYetValid { line: 2, from });
}

/// A county key, a signed manifest and the stock `ssh-keygen -Y verify` to judge it, or
/// None without ssh-keygen (`.ci/run` installs openssh-client; the tests then say so and
/// check nothing).
struct Stock {
    dir: tempfile::TempDir,
    county: keys::SigningKey,
}

impl Stock {
    fn new() -> Option<Stock> {
        if std::process::Command::new("ssh-keygen").arg("-?").output().is_err() {
            eprintln!("ssh-keygen not installed: the interoperability check did not run");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let county = keys::init(&dir.path().join("county"), &keys::KeySpec::ed25519("410102")).unwrap();
        let message = b"{\"county_code\":\"410102\"}\n";
        std::fs::write(dir.path().join("manifest.json"), message).unwrap();
        std::fs::write(dir.path().join("manifest.json.sig"), county.sign(message).unwrap()).unwrap();
        Some(Stock { dir, county })
    }

    /// Whether ssh-keygen accepts the signature as `principal` with `text` as the file,
    /// and what it said.
    fn verifies(&self, text: &str, principal: &str) -> (bool, String) {
        std::fs::write(self.dir.path().join("allowed_signers"), text).unwrap();
        let input = std::fs::File::open(self.dir.path().join("manifest.json")).unwrap();
        let out = std::process::Command::new("ssh-keygen")
            .current_dir(self.dir.path())
            .args(["-Y", "verify", "-f", "allowed_signers", "-I", principal, "-n", keys::NAMESPACE])
            .args(["-s", "manifest.json.sig"])
            .stdin(input)
            .output()
            .unwrap();
        (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// For each file and principal, shenhe says Trusted exactly when the stock tool verifies a
/// real bundle signature.
#[test]
fn judge_agrees_with_ssh_keygen() {
    let Some(stock) = Stock::new() else { return };
    let other = keys::init(&stock.dir.path().join("other"), &keys::KeySpec::ed25519("410103")).unwrap();
    let (k, o) = (openssh(stock.county.public().as_ssh().unwrap()), openssh(other.public().as_ssh().unwrap()));
    let files = [
        format!("410102 {k}"),
        format!("410102 namespaces=\"shenhe-bundle\" {k}"),
        format!("410102 namespaces=\"file\" {k}"),
        format!("410102 NAMESPACES=\"file,shenhe-*\" {k}"),
        format!("410102 namespaces=\"*,!shenhe-bundle\" {k}"),
        format!("4101* {k}"),
        format!("4101??,!410103 {k}"),
        format!("*,!410103 {k}"),
        format!("!410103 {k}"),
        format!("\"410102,4101 02\" {k}"),
        format!("中原* {k}"),
        format!("中原? {k}"),
        format!("410102 valid-before=\"20200101Z\" {k}"),
        format!("410102 valid-before=\"20200101\" {k}"),
        format!("410102 valid-after=\"20990101\" {k}"),
        format!("410102 valid-after=\"20000101Z\",valid-before=\"20990101120000Z\" {k}"),
        format!("410102 cert-authority {k}"),
        format!("410102 cert-authority,namespaces=\"shenhe-bundle\" {k}"),
        format!("410102 ,Valid-After=\"20000101\" {k}"),
        format!("410102 {o}"),
        format!("410102 namespaces=\"file\" {k}\n410102 {k}"),
        format!("410102 {o}\n* {k}"),
        format!("410102,410103 valid-before=\"20200101Z\" {k}\n410103 {k}"),
        format!("# the city's list\r\n\r\n  410102 {k} trailing comment # here\r\n"),
        format!("410102 {ECDSA}\n4101* namespaces=\"shenhe-bundle\" {k}"),
    ];
    let now = crate::clock::now().with_timezone(&Utc);
    let mut agreed = [0; 2];
    for text in &files {
        let text = format!("{text}\n");
        let signers = AllowedSigners::parse(&text).unwrap();
        for principal in ["410102", "410103", "4101021", "420102", "4101 02", "中原区"] {
            let (accepted, said) = stock.verifies(&text, principal);
            let ours = signers.judge(principal, &stock.county.public(), keys::NAMESPACE, now);
            assert_eq!(
                matches!(ours, Trust::Trusted { .. }),
                accepted,
                "{text:?} as {principal:?}: shenhe {ours:?}, ssh-keygen {said}"
            );
            agreed[usize::from(accepted)] += 1;
        }
    }
    assert!(agreed[0] > 50 && agreed[1] > 20, "{agreed:?}");
}

/// Damaged lines: whatever ssh-keygen accepts, shenhe reads and trusts; whatever shenhe
/// reads, it trusts exactly when ssh-keygen does. (shenhe may refuse more: a damaged line
/// is an error here, a skipped line there.)
#[test]
fn mutated_lines_agree_with_ssh_keygen() {
    let Some(stock) = Stock::new() else { return };
    let k = openssh(stock.county.public().as_ssh().unwrap());
    let seeds = [
        format!("410102 {k}"),
        format!("\"410102,4101*\" NAMESPACES=\"shenhe-bundle,file\",cert-authority {k}"),
        format!("!410103,* valid-after=\"20240101Z\",valid-before=\"203001011200\" {k}"),
        format!("4101?? namespaces=\"shenhe-*\",valid-before=\"20990231235961\" {k}"),
        format!("\"4101 02\",p ,valid-after=\"20200101Z\",,namespaces=\"a \\\"b\\\",*\" {k}"),
    ];
    let specials = b"\"\\,=! \t#*?Z019ab";
    let mut rng = Rng(0x5eed_0000_0000_0002);
    let now = crate::clock::now().with_timezone(&Utc);
    for _ in 0..120 {
        let mut bytes = seeds[rng.below(seeds.len())].clone().into_bytes();
        for _ in 0..=rng.below(3) {
            let at = rng.below(bytes.len());
            match rng.below(3) {
                0 => bytes[at] = specials[rng.below(specials.len())],
                1 => bytes.insert(at, specials[rng.below(specials.len())]),
                _ => drop(bytes.remove(at)),
            }
        }
        let text = format!("{}\n", String::from_utf8(bytes).unwrap());
        let ours = AllowedSigners::parse(&text);
        for principal in ["410102", "p", "4101 02"] {
            let (accepted, said) = stock.verifies(&text, principal);
            let verdict = ours.as_ref().map(|s| s.judge(principal, &stock.county.public(), keys::NAMESPACE, now));
            match &verdict {
                Ok(v) => {
                    assert_eq!(matches!(v, Trust::Trusted { .. }), accepted, "{text:?} as {principal}: {v:?}, {said}")
                }
                Err(e) => assert!(!accepted, "{text:?} as {principal}: shenhe {e}, ssh-keygen accepts"),
            }
        }
    }
}

/// xorshift64*: a fixed sequence, so a failing input can be found again.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n.max(1)
    }
}

#[test]
fn mutated_lines_give_an_error_or_a_verdict_never_a_panic() {
    let signer = key(1);
    let k = openssh(&signer);
    let seeds = [
        format!("410102 {k}"),
        format!("\"410102,4101*\" NAMESPACES=\"shenhe-bundle,file\",cert-authority {k} 中原区"),
        format!("!410103,* valid-after=\"20240101Z\",valid-before=\"203001011200\" {k}\r"),
        format!("p namespaces=\"a \\\"b\\\"\" {ECDSA}"),
        "# comment".to_owned(),
    ];
    let specials = b"\"\\,=! \t\r\n#*?Z\x00\xff";
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut verdicts = 0;
    for _ in 0..4000 {
        let mut bytes = seeds[rng.below(seeds.len())].clone().into_bytes();
        for _ in 0..=rng.below(4) {
            let at = rng.below(bytes.len() + 1);
            match rng.below(5) {
                0 if at < bytes.len() => bytes[at] ^= 1 << rng.below(8),
                1 => bytes.truncate(at),
                2 => bytes.insert(at, specials[rng.below(specials.len())]),
                3 if at < bytes.len() => {
                    let end = (at + rng.below(16)).min(bytes.len());
                    bytes.drain(at..end);
                }
                _ => {
                    let end = (at + rng.below(24)).min(bytes.len());
                    let copy = bytes[at..end].to_vec();
                    bytes.splice(at..at, copy);
                }
            }
        }
        let lines = bytes.split(|&b| b == b'\n').count();
        for parsed in [parse_bytes(&bytes).map_err(|(line, _)| line), {
            let text = String::from_utf8_lossy(&bytes);
            AllowedSigners::parse(&text).map_err(|e| match e {
                SignersError::Parse { line, .. } => line,
                SignersError::Read { .. } => 0,
            })
        }] {
            match parsed {
                Ok(signers) => {
                    for principal in ["410102", "p", "", "中原区"] {
                        let _ = signers.judge(principal, &signer, keys::NAMESPACE, at(NOW));
                    }
                    verdicts += 1;
                }
                Err(line) => assert!((1..=lines).contains(&line), "line {line} of {lines}"),
            }
        }
    }
    assert!(verdicts > 100, "the mutations should leave some files readable");
}

/// Windows Notepad saves UTF-8 with a byte order mark: at the file's start it is not part of
/// the first principal (ssh-keygen would take it for one). Anywhere else it is text, as there.
#[test]
fn a_leading_bom_is_not_part_of_the_first_principal() {
    let k1 = openssh(&key(1));
    let signers = AllowedSigners::parse(&format!("\u{feff}410102 {k1}\r\n\u{feff}410103 {k1}\r\n")).unwrap();
    let [first, second] = signers.entries() else { panic!("{signers:?}") };
    assert_eq!((first.line, &first.principals[..]), (1, &["410102".to_owned()][..]));
    assert_eq!(second.principals, ["\u{feff}410103"]);
    assert_eq!(signers.judge("410102", &key(1), keys::NAMESPACE, at(NOW)), Trust::Trusted { line: 1 });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("allowed_signers");
    std::fs::write(&path, format!("\u{feff}410102 {k1}\n")).unwrap();
    assert_eq!(AllowedSigners::load(&path).unwrap().entries()[0].principals, ["410102"]);
}

/// The trusted-keys file is read bounded too: a folder, a device or a pipe is refused at once
/// (`/dev/zero` took gigabytes, a pipe hung the command).
#[test]
fn a_trusted_keys_file_that_is_no_regular_file_is_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    let refused = |path: &Path| matches!(AllowedSigners::load(path), Err(SignersError::Read { .. }));
    assert!(refused(dir.path()));
    #[cfg(unix)]
    {
        assert!(refused(Path::new("/dev/zero")));
        let fifo = dir.path().join("fifo");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        assert!(refused(&fifo));
    }
}

/// An SM2 key's line (shenhe's own key type) trusts that key with the line's principals and
/// options; a damaged one names the line; ssh-keygen passes over it, so its verdict on the
/// OpenSSH key in the same file stands.
#[test]
fn an_sm2_line_trusts_its_key_and_ssh_keygen_passes_over_it() {
    let sm2 = keys::sm2::Sm2Key::generate().unwrap();
    let ours = SignerKey::Sm2(sm2.public().clone());
    let line =
        format!("410102 namespaces=\"shenhe-bundle\",valid-before=\"20261003040000Z\" {} 中原区", ours.to_text());
    let signers = AllowedSigners::parse(&line).unwrap();
    assert_eq!(signers.entries()[0].key, ours);
    let before = Utc.with_ymd_and_hms(2026, 10, 3, 3, 0, 0).unwrap();
    assert_eq!(signers.judge("410102", &ours, keys::NAMESPACE, before), Trust::Trusted { line: 1 });
    assert_eq!(
        signers.judge("410103", &ours, keys::NAMESPACE, before),
        Trust::NotForPrincipal { principals: vec!["410102".into()] }
    );
    assert!(matches!(
        signers.judge("410102", &ours, keys::NAMESPACE, before + TimeDelta::hours(2)),
        Trust::Expired { line: 1, .. }
    ));
    assert_eq!(signers.judge("410102", &key(1), keys::NAMESPACE, before), Trust::UnknownKey, "an Ed25519 key");

    let damaged = |text: &str| AllowedSigners::parse(text).map(|_| ()).map_err(|e| e.to_string());
    let base64 = ours.to_text()[4..].to_string();
    assert!(damaged(&format!("410102 sm2 {}", &base64[..base64.len() - 4])).is_err(), "cut short");
    assert!(damaged(&format!("410102 sm2 {}", base64.replace('M', "N"))).is_err(), "not the DER of an SM2 key");
    assert!(damaged("410102 sm2").is_err(), "no key");

    if let Some(stock) = Stock::new() {
        let ours = allowed_signers_line_of(&stock);
        let text = format!("{line}\n{ours}\n");
        let (ok, said) = stock.verifies(&text, "410102");
        assert!(ok, "ssh-keygen passes over the sm2 line: {said}");
        let parsed = AllowedSigners::parse(&text).unwrap();
        assert_eq!(parsed.judge("410102", &stock.county.public(), keys::NAMESPACE, before), Trust::Trusted { line: 2 });
    }
}

fn allowed_signers_line_of(stock: &Stock) -> String {
    keys::allowed_signers_line("410102", &stock.county)
}
