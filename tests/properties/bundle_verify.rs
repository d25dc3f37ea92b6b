//! Target 3, the bundle verifier: arbitrary bytes; a real exported bundle with its bytes
//! mutated; its zip headers edited field by field (names, sizes, counts, offsets, compression
//! methods, flags); and its entries rebuilt into a canonical container with files dropped,
//! doubled, renamed, changed or added and the manifest changed and signed again — by the county's
//! trusted key, by a stranger's key, or in another namespace.

use std::sync::OnceLock;

use chrono::{DateTime, FixedOffset};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::TestCaseError;
use shenhe::bundle::allowed_signers::AllowedSigners;
use shenhe::bundle::archive::{self, ArchiveProblem, LIMITS};
use shenhe::bundle::export::{self, Request};
use shenhe::bundle::keys::{self, SigningKey};
use shenhe::bundle::verify::{Refusal, verify};
use shenhe::config::Config;
use shenhe::i18n::Lang;
use shenhe::import::{ImportRequest, import_files};
use shenhe::store::Store;

use super::csv_import::hostile_cell;
use super::harness::{self, Bytes, Outcome, fail, printable};
use super::importer::fixture;
use super::mutate::{self, Edit};

const NOW: &str = "2026-10-03T10:00:00+08:00";

fn now() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(NOW).unwrap()
}

/// A county's exported bundle, the key that signed it, a stranger's key and the city's trust.
struct County {
    bundle: Vec<u8>,
    files: Vec<(String, Vec<u8>)>,
    key: SigningKey,
    stranger: SigningKey,
    signers: AllowedSigners,
}

/// Exported once for all the properties, as `tests/bundle.rs` exports one: the fixture of five
/// schools imported as 2026Q3 and exported (forced: some are undecided).
fn county() -> &'static County {
    static COUNTY: OnceLock<County> = OnceLock::new();
    COUNTY.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let period = "2026Q3".parse().unwrap();
        let mut store = Store::open(&dir.path().join("s.db")).unwrap();
        let files = vec![fixture("tests/data/unfilled.csv")];
        let request = ImportRequest { period, files, sheets: Vec::new(), actor: "测试".into(), at: NOW.into(), limits: Default::default(), held_below: Default::default() };
        import_files(&mut store, &request, &mut |_| {}).unwrap();
        let keys_dir = dir.path().join("keys");
        let key = keys::init(&keys_dir, &keys::KeySpec::ed25519("test")).unwrap();
        let stranger = keys::init(&dir.path().join("stranger"), &keys::KeySpec::ed25519("stranger")).unwrap();
        let config = Config::from_user_toml(
            "[county]\ncode = \"410102\"\nname = \"中原区\"\ncity = \"郑州市\"\n[auditor]\nname = \"张敏\"\nphone = \"0371-12345678\"\n",
            "test.toml",
            Default::default(),
        )
        .unwrap();
        let out = dir.path().join("out");
        // A 月报文本 too, so every mutation of its entry and of its manifest line is tried.
        let text = dir.path().join("月报.txt");
        std::fs::write(&text, "中原区 2026 年第三季度教育信息化数据审核月报。".repeat(20)).unwrap();
        let request = Request {
            period,
            out_dir: &out,
            force_reason: Some("测试导出"),
            report_text: Some(&text),
            actor: "张敏",
            now: now(),
        };
        let done = export::export(&mut store, &config, || keys::load(&keys_dir, &keys::KeySpec::ed25519("")), request).unwrap();
        let bundle = std::fs::read(&done.path).unwrap();
        let signers = AllowedSigners::parse(&keys::allowed_signers_line("410102", &key)).unwrap();
        let files = entries(&bundle);
        County { bundle, files, key, stranger, signers }
    })
}

/// The entries of a bundle, in order, decompressed.
fn entries(bundle: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut opened = archive::Opened::new(bundle, LIMITS).unwrap();
    let names = opened.names().to_vec();
    names.into_iter().map(|n| (n.clone(), opened.read(&n, u64::MAX).unwrap())).collect()
}

/// Verifies `bytes` against the county's trust and checks the refusal's message. A bundle that
/// `must_fail` (its bytes differ from what was signed) must be refused.
fn check(bytes: &[u8], must_fail: bool) -> Result<Outcome, TestCaseError> {
    let county = county();
    match verify(bytes, &county.signers, now().to_utc()) {
        Ok(_) if must_fail => Err(fail("a changed bundle was accepted")),
        Ok(_) => Ok("valid".into()),
        Err(refusal) => {
            refusal_names_the_problem(&refusal)?;
            let debug = format!("{refusal:?}");
            let kind = match &refusal {
                Refusal::Archive(p) => format!("Archive::{}", format!("{p:?}").split([' ', '(', '{']).next().unwrap()),
                _ => debug.split([' ', '(', '{']).next().unwrap().to_string(),
            };
            Ok(kind)
        }
    }
}

/// The reason a clerk reads: in both languages, not empty, printable, naming the entry.
fn refusal_names_the_problem(refusal: &Refusal) -> Result<(), TestCaseError> {
    let entry = match refusal {
        Refusal::Unlisted { name }
        | Refusal::MissingFile { name }
        | Refusal::SizeMismatch { name, .. }
        | Refusal::HashMismatch { name }
        | Refusal::StoredBytesMismatch { name }
        | Refusal::Archive(
            ArchiveProblem::NotAPlainFile { name }
            | ArchiveProblem::EntryTooLarge { name, .. }
            | ArchiveProblem::Damaged { name, .. },
        ) => Some(shenhe::i18n::printable(name)),
        Refusal::Archive(ArchiveProblem::UnsafeName { name }) => Some(name.escape_debug().to_string()),
        _ => None,
    };
    for lang in [Lang::Zh, Lang::En] {
        let message = refusal.user_message(lang);
        if message.trim().is_empty() {
            return Err(fail(format!("{refusal:?}: an empty message in {lang:?}")));
        }
        if !printable(&message) {
            return Err(fail(format!("{lang:?}: control characters reach the screen: {message:?}")));
        }
        if let Some(name) = &entry
            && !message.contains(name.as_str())
        {
            return Err(fail(format!("{lang:?}: the message does not name the entry {name:?}: {message}")));
        }
    }
    Ok(())
}

/// Random bytes, alone, after a zip's magic, or before an end-of-directory record that points
/// into them.
fn arbitrary() -> impl Strategy<Value = Bytes> {
    prop_oneof![
        vec(any::<u8>(), 0..4096),
        vec(any::<u8>(), 0..4096).prop_map(|tail| [b"PK\x03\x04".to_vec(), tail].concat()),
        (vec(any::<u8>(), 0..4096), any::<[u8; 18]>()).prop_map(|(body, end)| [
            body,
            b"PK\x05\x06".to_vec(),
            end.to_vec()
        ]
        .concat()),
    ]
    .prop_map(Bytes)
}

#[test]
fn verify_refuses_arbitrary_bytes_with_a_reason() {
    harness::run("bundle_arbitrary", 0.15, arbitrary(), |a| a.0.clone(), |_, bytes| check(bytes, true));
}

#[derive(Debug, Clone)]
struct Mutated(Vec<Edit>);

#[test]
fn verify_refuses_every_mutated_bundle_with_a_reason() {
    let bytes = |m: &Mutated| {
        let mut bytes = county().bundle.clone();
        mutate::apply(&mut bytes, &m.0);
        bytes
    };
    harness::run("bundle_mutated", 0.3, mutate::edits(6).prop_map(Mutated), bytes, |_, bytes| {
        check(bytes, bytes != county().bundle.as_slice())
    });
}

/// Where the zip's own records sit in the bundle: (offset, kind) for every local header,
/// central directory header and the end record, as far as they can be followed.
fn records(zip: &[u8]) -> Vec<(usize, Record)> {
    let u16_at = |p: usize| zip.get(p..p + 2).map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])));
    let u32_at = |p: usize| zip.get(p..p + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
    let Some(end) = zip.len().checked_sub(22) else { return Vec::new() };
    let mut found = vec![(end, Record::End)];
    let (Some(count), Some(mut at)) = (u16_at(end + 10), u32_at(end + 16)) else { return found };
    for _ in 0..count {
        let (Some(local), Some(name), Some(extra), Some(comment)) =
            (u32_at(at + 42), u16_at(at + 28), u16_at(at + 30), u16_at(at + 32))
        else {
            break;
        };
        found.push((at, Record::Central));
        if local + 30 <= zip.len() {
            found.push((local, Record::Local));
        }
        at += 46 + name + extra + comment;
    }
    found
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Record {
    Local,
    Central,
    End,
}

impl Record {
    /// The record's fixed fields: (name, offset, width).
    fn fields(self) -> &'static [(&'static str, usize, usize)] {
        match self {
            Record::Local => &[
                ("version", 4, 2),
                ("flags", 6, 2),
                ("method", 8, 2),
                ("time", 10, 2),
                ("date", 12, 2),
                ("crc", 14, 4),
                ("compressed", 18, 4),
                ("size", 22, 4),
                ("name_len", 26, 2),
                ("extra_len", 28, 2),
            ],
            Record::Central => &[
                ("made_by", 4, 2),
                ("version", 6, 2),
                ("flags", 8, 2),
                ("method", 10, 2),
                ("time", 12, 2),
                ("date", 14, 2),
                ("crc", 16, 4),
                ("compressed", 20, 4),
                ("size", 24, 4),
                ("name_len", 28, 2),
                ("extra_len", 30, 2),
                ("comment_len", 32, 2),
                ("disk", 34, 2),
                ("internal", 36, 2),
                ("external", 38, 4),
                ("offset", 42, 4),
            ],
            Record::End => &[
                ("disk", 4, 2),
                ("cd_disk", 6, 2),
                ("disk_entries", 8, 2),
                ("entries", 10, 2),
                ("cd_size", 12, 4),
                ("cd_offset", 16, 4),
                ("comment_len", 20, 2),
            ],
        }
    }

    /// Where the record's name starts and its length field (End has none).
    fn name(self) -> Option<(usize, usize)> {
        match self {
            Record::Local => Some((30, 26)),
            Record::Central => Some((46, 28)),
            Record::End => None,
        }
    }
}

#[derive(Debug, Clone)]
enum Value {
    Set(u32),
    Add(i32),
    Xor(u32),
    /// ZIP64's "see the extra field" marker: all ones.
    AllOnes,
}

#[derive(Debug, Clone)]
enum ZipEdit {
    Field {
        record: Index,
        field: Index,
        value: Value,
    },
    /// A name replaced: `same_length` keeps every offset right.
    Name {
        record: Index,
        name: &'static str,
        same_length: bool,
    },
    /// A compression method no reader of ours supports, or the other one of ours.
    Method {
        record: Index,
        method: u16,
    },
}

const NAMES: &[&str] = &[
    "manifest.json",
    "manifest.json.sig",
    "schools.csv",
    "../schools.csv",
    "/etc/passwd",
    "C:\\x.csv",
    "a/../../b",
    "x\u{1b}[2J",
    "\u{202e}vsc.exe",
    "dir/",
    ".",
    "",
    "说明.txt",
    "schools.csv\0.exe",
];

fn zip_edit() -> impl Strategy<Value = ZipEdit> {
    let value = prop_oneof![
        2 => select(&[0u32, 1, 2, 0xFFFF, 0x7FFF_FFFF, 0xFFFF_FFFE][..]).prop_map(Value::Set),
        2 => (-3i32..=3).prop_map(Value::Add),
        1 => any::<u32>().prop_map(Value::Xor),
        1 => Just(Value::AllOnes),
    ];
    prop_oneof![
        6 => (any::<Index>(), any::<Index>(), value).prop_map(|(record, field, value)| ZipEdit::Field { record, field, value }),
        2 => (any::<Index>(), select(NAMES), any::<bool>())
            .prop_map(|(record, name, same_length)| ZipEdit::Name { record, name, same_length }),
        1 => (any::<Index>(), select(&[0u16, 1, 6, 8, 9, 12, 14, 93, 95, 98, 99, 0xFFFF][..]))
            .prop_map(|(record, method)| ZipEdit::Method { record, method }),
    ]
}

fn edit_zip(zip: &mut Vec<u8>, edit: &ZipEdit) {
    let found: Vec<(usize, Record)> = records(zip).into_iter().filter(|(at, _)| at + 46 <= zip.len()).collect();
    let named: Vec<(usize, Record)> = found.iter().copied().filter(|(_, k)| k.name().is_some()).collect();
    if found.is_empty() {
        return;
    }
    let put = |zip: &mut Vec<u8>, at: usize, width: usize, v: u64| {
        let bytes = v.to_le_bytes();
        zip[at..at + width].copy_from_slice(&bytes[..width]);
    };
    let get = |zip: &[u8], at: usize, width: usize| {
        zip[at..at + width].iter().rev().fold(0u64, |v, b| (v << 8) | u64::from(*b))
    };
    match edit {
        ZipEdit::Field { record, field, value } => {
            let (at, kind) = found[record.index(found.len())];
            let fields = kind.fields();
            let (_, offset, width) = fields[field.index(fields.len())];
            let mask = if width == 2 { 0xFFFF } else { 0xFFFF_FFFF };
            let old = get(zip, at + offset, width);
            let new = match value {
                Value::Set(v) => u64::from(*v),
                Value::Add(d) => old.wrapping_add_signed(i64::from(*d)),
                Value::Xor(x) => old ^ u64::from(*x),
                Value::AllOnes => mask,
            } & mask;
            put(zip, at + offset, width, new);
        }
        ZipEdit::Name { record, name, same_length } if !named.is_empty() => {
            let (at, kind) = named[record.index(named.len())];
            let (start, len_field) = kind.name().unwrap();
            let old_len = (get(zip, at + len_field, 2) as usize).min(zip.len() - at - start);
            let mut new = name.as_bytes().to_vec();
            if *same_length {
                new.resize(old_len, b'x');
            } else {
                put(zip, at + len_field, 2, new.len() as u64);
            }
            zip.splice(at + start..at + start + old_len, new);
        }
        ZipEdit::Method { record, method } if !named.is_empty() => {
            let (at, kind) = named[record.index(named.len())];
            let offset = if kind == Record::Local { 8 } else { 10 };
            put(zip, at + offset, 2, u64::from(*method));
        }
        _ => {}
    }
}

#[derive(Debug, Clone)]
struct ZipEdits(Vec<ZipEdit>);

#[test]
fn verify_refuses_every_edit_of_the_zip_structure_with_a_reason() {
    // Each edit is placed by the records of the zip as the previous edits left it.
    let bytes = |z: &ZipEdits| {
        let mut zip = county().bundle.clone();
        for e in &z.0 {
            edit_zip(&mut zip, e);
        }
        zip
    };
    harness::run("bundle_zip_fields", 0.3, vec(zip_edit(), 1..4).prop_map(ZipEdits), bytes, |_, bytes| {
        check(bytes, bytes != county().bundle.as_slice())
    });
}

#[derive(Debug, Clone)]
enum FileChange {
    Drop(Index),
    Double(Index),
    Rename(Index, &'static str),
    Content(Index, Vec<Edit>),
    Add(&'static str, Vec<u8>),
    Swap(Index, Index),
}

#[derive(Debug, Clone)]
enum ManifestChange {
    /// A value anywhere in the manifest replaced: (which of its values, by what).
    Value(Index, serde_json::Value),
    /// The text itself edited.
    Bytes(Vec<Edit>),
}

#[derive(Debug, Clone, Copy)]
enum Signer {
    /// The manifest as it was, with its signature.
    Untouched,
    County,
    Stranger,
    /// The county's key in another namespace.
    Namespace(&'static str),
}

#[derive(Debug, Clone)]
struct Rebuilt {
    files: Vec<FileChange>,
    manifest: Vec<ManifestChange>,
    signer: Signer,
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::json;
    prop_oneof![
        3 => hostile_cell().prop_map(serde_json::Value::from),
        2 => any::<i64>().prop_map(serde_json::Value::from),
        1 => any::<u64>().prop_map(serde_json::Value::from),
        1 => any::<f64>().prop_map(|x| json!(x)),
        1 => select(vec![json!(null), json!([]), json!({}), json!(true), json!(-1), json!(u64::MAX), json!(1e300)]),
        1 => select(vec![
            json!("shenhe-bundle/2"),
            json!("410103"),
            json!("2026Q4"),
            json!("9999-99-99T99:99:99+99:00"),
            json!("schools.csv"),
            json!("../x"),
        ]),
    ]
}

/// Every scalar of a JSON value, by path, in document order, to pick one to replace.
fn replace_nth(value: &mut serde_json::Value, n: &mut usize, with: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Object(map) => map.values_mut().any(|v| replace_nth(v, n, with)),
        serde_json::Value::Array(items) => items.iter_mut().any(|v| replace_nth(v, n, with)),
        scalar => {
            if *n == 0 {
                *scalar = with.clone();
                return true;
            }
            *n -= 1;
            false
        }
    }
}

fn scalars(value: &serde_json::Value) -> usize {
    match value {
        serde_json::Value::Object(map) => map.values().map(scalars).sum(),
        serde_json::Value::Array(items) => items.iter().map(scalars).sum(),
        _ => 1,
    }
}

impl Rebuilt {
    fn bytes(&self) -> Vec<u8> {
        let county = county();
        let mut files = county.files.clone();
        let mut manifest = files[0].1.clone();
        for change in &self.manifest {
            match change {
                ManifestChange::Value(i, with) => {
                    let mut json: serde_json::Value = serde_json::from_slice(&manifest).unwrap_or_default();
                    let mut n = i.index(scalars(&json).max(1));
                    replace_nth(&mut json, &mut n, with);
                    manifest = serde_json::to_vec_pretty(&json).unwrap();
                }
                ManifestChange::Bytes(edits) => mutate::apply_gentle(&mut manifest, edits),
            }
        }
        let signature = match self.signer {
            Signer::Untouched => files[1].1.clone(),
            Signer::County => county.key.sign(&manifest).unwrap(),
            Signer::Stranger => county.stranger.sign(&manifest).unwrap(),
            // ssh-key refuses an empty namespace: then there is no signature at all.
            Signer::Namespace(ns) => county.key.sign_in(ns, &manifest).unwrap_or_default(),
        };
        files[0].1 = manifest;
        files[1].1 = signature;
        for change in &self.files {
            change_files(&mut files, change);
        }
        rezip(&files)
    }
}

fn change_files(files: &mut Vec<(String, Vec<u8>)>, change: &FileChange) {
    let n = files.len();
    if n == 0 {
        return;
    }
    match change {
        FileChange::Drop(i) => {
            files.remove(i.index(n));
        }
        FileChange::Double(i) => {
            let copy = files[i.index(n)].clone();
            files.push(copy);
        }
        FileChange::Rename(i, name) => files[i.index(n)].0 = name.to_string(),
        FileChange::Content(i, edits) => mutate::apply(&mut files[i.index(n)].1, edits),
        FileChange::Add(name, bytes) => files.push((name.to_string(), bytes.clone())),
        FileChange::Swap(a, b) => files.swap(a.index(n), b.index(n)),
    }
}

/// A bundle made of `files` the way the exporter makes one, as in `tests/bundle.rs`: the first
/// two stored, the others deflated, in the canonical container. Names the writer refuses (a
/// second entry of the same name) leave the bundle empty.
fn rezip(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let at = now().naive_local();
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    let split = refs.len().min(2);
    let Ok(deflated) = archive::deflate(&refs[split..], at, shenhe::bundle::manifest::Digest::Sha256) else {
        return Vec::new();
    };
    archive::write(&refs[..split], &deflated, at).unwrap_or_default()
}

fn rebuilt() -> impl Strategy<Value = Rebuilt> {
    let file_change = prop_oneof![
        1 => any::<Index>().prop_map(FileChange::Drop),
        1 => any::<Index>().prop_map(FileChange::Double),
        1 => (any::<Index>(), select(NAMES)).prop_map(|(i, n)| FileChange::Rename(i, n)),
        3 => (any::<Index>(), mutate::edits(3)).prop_map(|(i, e)| FileChange::Content(i, e)),
        1 => (select(NAMES), vec(any::<u8>(), 0..64)).prop_map(|(n, b)| FileChange::Add(n, b)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| FileChange::Swap(a, b)),
    ];
    let manifest_change = prop_oneof![
        4 => (any::<Index>(), json_value()).prop_map(|(i, v)| ManifestChange::Value(i, v)),
        1 => mutate::edits(3).prop_map(ManifestChange::Bytes),
    ];
    let signer = prop_oneof![
        2 => Just(Signer::Untouched),
        5 => Just(Signer::County),
        1 => Just(Signer::Stranger),
        1 => select(&["shenhe-return", "", "x\u{1b}[2J", "shenhe-bundle\0"][..]).prop_map(Signer::Namespace),
    ];
    (vec(file_change, 0..3), vec(manifest_change, 0..3), signer).prop_map(|(files, manifest, signer)| Rebuilt {
        files,
        manifest,
        signer,
    })
}

#[test]
fn verify_judges_rebuilt_and_re_signed_bundles_with_a_reason() {
    harness::run("bundle_rebuilt", 0.25, rebuilt(), Rebuilt::bytes, |_, bytes| check(bytes, false));
}

/// The properties start from a bundle that verifies, and rebuilding it unchanged gives it back.
#[test]
fn the_bundle_under_test_verifies() {
    let county = county();
    assert!(verify(&county.bundle, &county.signers, now().to_utc()).is_ok());
    assert_eq!(rezip(&county.files), county.bundle);
}
