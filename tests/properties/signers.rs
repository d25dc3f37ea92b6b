//! Target 4, the allowed_signers parser: arbitrary text and bytes, lines assembled from the
//! pieces the format knows (principal patterns, options with good and bad times, key types, key
//! data whole, cut or damaged), and a real trust file with its bytes mutated. A refusal names
//! its line (and the file, when read from one); a file that parses is then asked about keys,
//! principals and times without trouble.

use chrono::{DateTime, Utc};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;
use shenhe::bundle::allowed_signers::{AllowedSigners, SignersError};
use shenhe::bundle::keys::{self, NAMESPACE};
use shenhe::bundle::verify::signers_message;
use shenhe::i18n::Lang;

use super::harness::{self, Bytes, Outcome, fail, printable};
use super::mutate::{self, Edit};

/// A trust file as a city keeps one: two counties' keys, options, comments.
fn trust_file() -> &'static str {
    static FILE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    FILE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let a = keys::init(&dir.path().join("a"), &keys::KeySpec::ed25519("中原区")).unwrap();
        let b = keys::init(&dir.path().join("b"), &keys::KeySpec::ed25519("二七区")).unwrap();
        let line = |principal: &str, key: &keys::SigningKey| keys::allowed_signers_line(principal, key);
        format!(
            "# 郑州市 trusted county keys\n{}\n\n{}\n410104,410105 namespaces=\"shenhe-bundle\",valid-after=\"20260101\",valid-before=\"20271231Z\" {}\n",
            line("410102", &a),
            line("410103", &b),
            a.public_line(),
        )
    })
}

/// Parses `bytes` as a file and checks what came of it.
fn check(dir: &std::path::Path, bytes: &[u8]) -> Result<Outcome, TestCaseError> {
    let path = dir.join("allowed_signers");
    std::fs::write(&path, bytes).unwrap();
    let lines = bytes.split(|&b| b == b'\n').count();
    match AllowedSigners::load(&path) {
        Ok(signers) => {
            ask(&signers);
            if let Ok(text) = std::str::from_utf8(bytes)
                && AllowedSigners::parse(text).ok().as_ref() != Some(&signers)
            {
                return Err(fail("the same text read from a string and from a file differ"));
            }
            Ok("parsed".into())
        }
        Err(e) => {
            let SignersError::Parse { line, reason, .. } = &e else {
                return Err(fail(format!("not a parse error: {e}")));
            };
            if *line == 0 || *line > lines {
                return Err(fail(format!("line {line} named in a file of {lines} lines: {e}")));
            }
            if !e.to_string().contains(&path.display().to_string()) {
                return Err(fail(format!("the error does not name the file: {e}")));
            }
            for lang in [Lang::Zh, Lang::En] {
                let message = signers_message(&e, lang);
                if message.trim().is_empty() || !printable(&message) || !message.contains(&line.to_string()) {
                    return Err(fail(format!("{lang:?}: {message:?} for {e:?}")));
                }
            }
            let kind = format!("{reason:?}");
            Ok(kind.split([' ', '(', '{']).next().unwrap_or_default().to_string())
        }
    }
}

/// Every key of the file judged for odd principals at odd times.
fn ask(signers: &AllowedSigners) {
    let times = [
        DateTime::<Utc>::MIN_UTC,
        DateTime::<Utc>::MAX_UTC,
        DateTime::from_timestamp(0, 0).unwrap(),
        DateTime::parse_from_rfc3339("2026-10-03T10:00:00+08:00").unwrap().to_utc(),
    ];
    for entry in signers.entries() {
        for principal in ["410102", "", "*", "!410102", "4101\u{1b}"] {
            for at in times {
                let _ = signers.judge(principal, &entry.key, NAMESPACE, at);
                let _ = signers.judge(principal, &entry.key, "", at);
            }
        }
    }
}

const PRINCIPALS: &[&str] =
    &["410102", "4101*", "!410103", "*", "?", "\"41 0102\"", "\"unterminated", "a,b,,c", "中原区", ""];

const OPTIONS: &[&str] = &[
    "namespaces=\"shenhe-bundle\"",
    "namespaces=\"*,!shenhe-return\"",
    "namespaces=\"\"",
    "namespaces=shenhe-bundle",
    "valid-after=\"20260101\"",
    "valid-before=\"20251231Z\"",
    "valid-after=\"99991231235959\"",
    "valid-after=\"99991231235959Z\"",
    "valid-before=\"00000101\"",
    "valid-after=\"19700101000000\"",
    "valid-after=\"20260230\"",
    "valid-after=\"2026010199\"",
    "valid-after=\"202601011200\"",
    "valid-after=\"20260101\",valid-after=\"20260102\"",
    "valid-before=\"-1\"",
    "VALID-AFTER=\"20260101\"",
    "cert-authority",
    "cert-authority,",
    "unknown-option=\"x\"",
    ",",
];

const KEY_TYPES: &[&str] = &[
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "sk-ssh-ed25519@openssh.com",
    "ssh-ed25519-cert-v01@openssh.com",
    "x",
];

const OTHER: &[&str] = &["AAAA", "====", "#", "\u{1b}[2J", "\0", "\r", "\"", "\t"];

/// A real key's base64 text, whole, cut or with random base64 after it.
fn key_data() -> impl Strategy<Value = String> {
    let real = || trust_file().split([' ', '\n']).find(|w| w.starts_with("AAAA")).unwrap().to_string();
    prop_oneof![
        4 => Just(()).prop_map(move |_| real()),
        1 => any::<proptest::sample::Index>().prop_map(move |i| { let k = real(); k[..i.index(k.len())].to_string() }),
        1 => "[A-Za-z0-9+/=]{0,80}",
    ]
}

/// A line in the file's shape: principals, options, key type, key data, comment; any part
/// may be missing or damaged, and a few lines are a soup of the same pieces.
fn line() -> impl Strategy<Value = String> {
    let pieces = || select([PRINCIPALS, OPTIONS, KEY_TYPES, OTHER].concat()).prop_map(str::to_string);
    let shaped = (
        vec(select(PRINCIPALS), 1..3).prop_map(|p| p.join(",")),
        vec(select(OPTIONS), 0..3).prop_map(|o| o.join(",")),
        select(KEY_TYPES),
        key_data(),
        prop_oneof![Just(String::new()), ".{0,12}", pieces()],
    )
        .prop_map(|(principals, options, key_type, data, comment)| {
            [principals, options, key_type.to_string(), data, comment]
                .iter()
                .filter(|p| !p.is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .join(" ")
        });
    let soup = (vec(pieces(), 0..7), select(&[" ", "\t", ",", ""][..])).prop_map(|(p, sep)| p.join(sep));
    prop_oneof![6 => shaped, 1 => soup]
}

fn assembled() -> impl Strategy<Value = Bytes> {
    (vec(line(), 1..4), select(&["\n", "\r\n"][..])).prop_map(|(lines, end)| Bytes(lines.join(end).into_bytes()))
}

#[derive(Debug, Clone)]
struct Mutated {
    edits: Vec<Edit>,
    gentle: bool,
}

#[test]
fn allowed_signers_of_arbitrary_text_parse_or_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let strategy =
        prop_oneof![vec(any::<u8>(), 0..512).prop_map(Bytes), ".{0,200}".prop_map(|s: String| Bytes(s.into_bytes())),];
    harness::run("signers_arbitrary", 0.2, strategy, |t| t.0.clone(), |_, bytes| check(dir.path(), bytes));
}

#[test]
fn allowed_signers_of_assembled_lines_parse_or_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    harness::run("signers_assembled", 0.4, assembled(), |t| t.0.clone(), |_, bytes| check(dir.path(), bytes));
}

#[test]
fn allowed_signers_of_a_mutated_trust_file_parse_or_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let strategy = (mutate::edits(6), any::<bool>()).prop_map(|(edits, gentle)| Mutated { edits, gentle });
    let bytes = |m: &Mutated| {
        let mut bytes = trust_file().as_bytes().to_vec();
        if m.gentle {
            mutate::apply_gentle(&mut bytes, &m.edits);
        } else {
            mutate::apply(&mut bytes, &m.edits);
        }
        bytes
    };
    harness::run("signers_mutated", 0.4, strategy, bytes, |_, bytes| check(dir.path(), bytes));
}
