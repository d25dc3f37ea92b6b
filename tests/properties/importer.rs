//! One import case, checked: the file is imported in process into a store that already holds
//! the reference county (`tests/data/utf8.csv`, period 2026Q3). A refused import must name the
//! file (and row and column for a bad cell) in Chinese and English, in printable text, and leave
//! the store's content digest as it was; an accepted one must hold only finite figures and be
//! idempotent (the same file again changes nothing).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use proptest::test_runner::TestCaseError;
use shenhe::domain::Period;
use shenhe::i18n::Lang;
use shenhe::import::limits::SheetLimits;
use shenhe::import::{ImportError, ImportRequest, ImportSummary, import_files};
use shenhe::store::Store;

use super::harness::{Outcome, fail, printable};

const AT: &str = "2026-10-02T09:00:00+08:00";

pub fn fixture(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// A file of the repository, read once.
pub fn bytes_of(relative: &'static str) -> &'static [u8] {
    static CACHE: Mutex<BTreeMap<&'static str, &'static [u8]>> = Mutex::new(BTreeMap::new());
    let mut cache = CACHE.lock().unwrap();
    cache.entry(relative).or_insert_with(|| std::fs::read(fixture(relative)).unwrap().leak())
}

fn period() -> Period {
    "2026Q3".parse().unwrap()
}

pub struct Importer {
    dir: tempfile::TempDir,
    store: Store,
    digest: String,
    /// The store holds more than the reference county: build it afresh before the next case.
    dirty: bool,
}

impl Importer {
    pub fn new() -> Importer {
        let (store, digest) = reference_store();
        Importer { dir: tempfile::tempdir().unwrap(), store, digest, dirty: false }
    }

    /// Imports `bytes` as a file called `name` (reading `sheets` of a workbook) and checks what
    /// came of it.
    pub fn check(&mut self, name: &str, bytes: &[u8], sheets: &[String]) -> Result<Outcome, TestCaseError> {
        if self.dirty {
            (self.store, self.digest) = reference_store();
            self.dirty = false;
        }
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let file = path.display().to_string();
        let request = ImportRequest {
            period: period(),
            files: vec![path],
            sheets: sheets.to_vec(),
            actor: "性质测试".into(),
            at: AT.into(),
            limits: Default::default(),
            held_below: Default::default(),
        };
        match import_files(&mut self.store, &request, &mut |_| {}) {
            Ok(summary) => {
                self.dirty = summary.new_schools + summary.new_revisions > 0;
                self.imported(&request, &summary)?;
                Ok("imported".into())
            }
            Err(e) => {
                if self.store.content_digest().unwrap() != self.digest {
                    self.dirty = true;
                    return Err(fail(format!("refused ({}) but the store changed", e.user_message(Lang::En))));
                }
                refusal_names_the_problem(&e, &file)?;
                Ok(kind(&e))
            }
        }
    }

    fn imported(&mut self, request: &ImportRequest, summary: &ImportSummary) -> Result<(), TestCaseError> {
        if summary.rows < summary.schools || summary.rejected != 0 {
            return Err(fail(format!("an odd summary: {summary:?}")));
        }
        for d in self.store.current_data(period()).unwrap() {
            within_limits(&d, &request.limits)?;
        }
        let digest = self.store.content_digest().unwrap();
        match import_files(&mut self.store, request, &mut |_| {}) {
            Ok(again) if again.new_schools == 0 && again.new_revisions == 0 => {}
            Ok(again) => return Err(fail(format!("the same file again changed the store: {again:?}"))),
            Err(e) => return Err(fail(format!("the same file again is refused: {}", e.user_message(Lang::En)))),
        }
        if self.store.content_digest().unwrap() != digest {
            return Err(fail("the same file again changed the store's content"));
        }
        Ok(())
    }
}

/// What an accepted school may hold: figures within `[limits]` (a bandwidth finite, 0 or at
/// least 1 kbps), texts within their length and free of control and invisible characters (a
/// note may keep its line breaks).
fn within_limits(d: &shenhe::domain::SubmissionData, limits: &SheetLimits) -> Result<(), TestCaseError> {
    let code = &d.school_code;
    if d.bandwidth_mbps.is_some_and(|b| !b.is_finite() || b > limits.bandwidth_mbps || (b > 0.0 && b < 0.001)) {
        return Err(fail(format!("{code}: bandwidth {:?} accepted", d.bandwidth_mbps)));
    }
    let counts =
        [d.classes, d.teachers, d.students, d.classrooms, d.multimedia_rooms, d.teacher_devices, d.student_devices];
    if counts.iter().flatten().any(|&n| n > limits.count) {
        return Err(fail(format!("{code}: a count above {} accepted: {counts:?}", limits.count)));
    }
    let names = [Some(&d.name), d.city.as_ref(), d.county.as_ref(), d.contact_name.as_ref(), d.contact_phone.as_ref()];
    let texts = names
        .into_iter()
        .flatten()
        .map(|t| (t, limits.name_chars, false))
        .chain(std::iter::once((code, 30, false)))
        .chain(d.extras.iter().map(|(_, v)| (v, limits.text_chars, true)));
    for (text, max, lines) in texts {
        if text.chars().count() > max as usize {
            return Err(fail(format!("{code}: {} characters accepted, at most {max}", text.chars().count())));
        }
        if let Some(c) = text.chars().find(|&c| !(lines && c == '\n') && shenhe::i18n::is_hidden(c)) {
            return Err(fail(format!("{code}: U+{:04X} accepted in {text:?}", c as u32)));
        }
    }
    Ok(())
}

/// A fresh in-memory store with the reference county in 2026Q3, and its digest.
fn reference_store() -> (Store, String) {
    let mut store = Store::open_in_memory().unwrap();
    let request = ImportRequest {
        period: period(),
        files: vec![fixture("tests/data/utf8.csv")],
        sheets: Vec::new(),
        actor: "测试".into(),
        at: AT.into(),
        limits: Default::default(),
        held_below: Default::default(),
    };
    import_files(&mut store, &request, &mut |_| {}).unwrap();
    let digest = store.content_digest().unwrap();
    (store, digest)
}

/// The error's variant name, for the tally.
fn kind(e: &ImportError) -> Outcome {
    let debug = format!("{e:?}");
    debug.split([' ', '(', '{']).next().unwrap_or_default().to_string()
}

/// The message a clerk reads names the file and, for bad cells, the row and column; in both
/// languages, never empty, never with control characters from the input.
fn refusal_names_the_problem(e: &ImportError, file: &str) -> Result<(), TestCaseError> {
    if matches!(e, ImportError::Store(_)) {
        return Err(fail(format!("a bad file gave a store error: {}", e.user_message(Lang::En))));
    }
    for lang in [Lang::Zh, Lang::En] {
        let message = e.user_message(lang);
        let lines: Vec<String> = match e {
            ImportError::Rejected(rejects, _) => rejects.iter().map(|r| r.line(lang)).collect(),
            _ => vec![message.clone()],
        };
        if message.trim().is_empty() || lines.is_empty() {
            return Err(fail(format!("{e:?}: an empty message in {lang:?}")));
        }
        for line in lines.iter().chain([&message]) {
            if !printable(line) {
                return Err(fail(format!("{lang:?}: control characters reach the screen: {line:?}")));
            }
        }
        for line in &lines {
            if !line.contains(file) {
                return Err(fail(format!("{lang:?}: the message does not name the file {file}: {line}")));
            }
        }
    }
    match e {
        ImportError::Rejected(rejects, _) => {
            for r in rejects {
                if r.row == 0 || r.column.trim().is_empty() {
                    return Err(fail(format!("a refused cell without its place: {r:?}")));
                }
            }
        }
        ImportError::BadEncoding { line: 0, .. }
        | ImportError::MissingColumns { row: 0, .. }
        | ImportError::DuplicateColumn { row: 0, .. }
        | ImportError::NoDataRows { header_row: 0, .. } => return Err(fail(format!("row 0 named: {e:?}"))),
        _ => {}
    }
    Ok(())
}
