//! 月报文本: the written report that goes up with every 上报 (seed 004 §3.2). The auditor hands
//! over a file (Word, WPS, PDF, OpenDocument or plain text, at most 20 MiB); it travels in the
//! bundle as `月报文本.<ext>`, listed and hashed in the manifest like every other file, and the
//! receiving level extracts it. Its bytes are never shown or interpreted: the check that it is
//! the kind of file its name says only catches a wrong file picked by mistake.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::files::{ReadProblem, read_bounded};
use crate::i18n::{Lang, fill, printable};

/// The largest 月报文本 a bundle carries.
pub const MAX_BYTES: u64 = 20 << 20;

/// The bundle entry's name before its extension.
pub const ENTRY_STEM: &str = "月报文本";

/// What the manifest says of the 月报文本 it carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportTextRef {
    /// The entry in the bundle (`月报文本.docx`), listed in `files` with its hashes.
    pub path: String,
    /// The file's name on the sender's machine, for the receiver's eyes only.
    pub name: String,
}

/// The kinds of file a 月报文本 may be, by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Docx,
    Doc,
    Wps,
    Pdf,
    Txt,
    Odt,
}

pub const EXTENSIONS: &str = ".docx .doc .wps .pdf .txt .odt";

impl Kind {
    pub fn of_extension(ext: &str) -> Option<Kind> {
        Some(match ext.to_ascii_lowercase().as_str() {
            "docx" => Kind::Docx,
            "doc" => Kind::Doc,
            "wps" => Kind::Wps,
            "pdf" => Kind::Pdf,
            "txt" => Kind::Txt,
            "odt" => Kind::Odt,
            _ => return None,
        })
    }

    pub fn extension(self) -> &'static str {
        match self {
            Kind::Docx => "docx",
            Kind::Doc => "doc",
            Kind::Wps => "wps",
            Kind::Pdf => "pdf",
            Kind::Txt => "txt",
            Kind::Odt => "odt",
        }
    }

    /// Whether `bytes` begin as a file of this kind does.
    fn looks_like(self, bytes: &[u8]) -> bool {
        const ZIP: &[u8] = b"PK\x03\x04";
        const OLE: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
        match self {
            Kind::Docx | Kind::Odt => bytes.starts_with(ZIP),
            Kind::Doc => bytes.starts_with(OLE),
            // WPS Office writes its own format in an OLE container, newer versions a zip.
            Kind::Wps => bytes.starts_with(OLE) || bytes.starts_with(ZIP),
            Kind::Pdf => bytes.starts_with(b"%PDF-"),
            // Text in any of the encodings Notepad saves has no NUL byte, UTF-16 aside.
            Kind::Txt => !bytes.contains(&0) || bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF"),
        }
    }
}

/// A 月报文本 read and checked, ready to go into a bundle.
#[derive(Debug, Clone)]
pub struct ReportText {
    pub kind: Kind,
    pub bytes: Vec<u8>,
    /// The file's own name, printable.
    pub name: String,
}

impl ReportText {
    pub fn entry(&self) -> String {
        format!("{ENTRY_STEM}.{}", self.kind.extension())
    }

    pub fn reference(&self) -> ReportTextRef {
        ReportTextRef { path: self.entry(), name: self.name.clone() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReportTextError {
    #[error("{path}: {source}")]
    Read { path: String, source: ReadProblem },
    #[error("{path}: not one of {EXTENSIONS}")]
    Extension { path: String },
    #[error("{path}: empty")]
    Empty { path: String },
    #[error("{path}: not a .{ext} file inside")]
    NotItsKind { path: String, ext: &'static str },
}

impl ReportTextError {
    pub fn user_message(&self, lang: Lang) -> String {
        let m = lang.msg();
        match self {
            ReportTextError::Read { path, source } => {
                fill(&m.report_text_unreadable, &[("path", path), ("reason", &source.user_message(lang))])
            }
            ReportTextError::Extension { path } => {
                fill(&m.report_text_extension, &[("path", path), ("extensions", &EXTENSIONS)])
            }
            ReportTextError::Empty { path } => fill(&m.report_text_empty, &[("path", path)]),
            ReportTextError::NotItsKind { path, ext } => {
                fill(&m.report_text_not_its_kind, &[("path", path), ("ext", ext)])
            }
        }
    }
}

/// Reads the 月报文本 at `path`: a regular file of at most [`MAX_BYTES`], of a kind the
/// extension names and whose first bytes agree.
pub fn read(path: &Path) -> Result<ReportText, ReportTextError> {
    let shown = printable(&path.display().to_string());
    let kind = path
        .extension()
        .and_then(|e| e.to_str())
        .and_then(Kind::of_extension)
        .ok_or_else(|| ReportTextError::Extension { path: shown.clone() })?;
    let bytes =
        read_bounded(path, MAX_BYTES).map_err(|source| ReportTextError::Read { path: shown.clone(), source })?;
    if bytes.is_empty() {
        return Err(ReportTextError::Empty { path: shown });
    }
    if !kind.looks_like(&bytes) {
        return Err(ReportTextError::NotItsKind { path: shown, ext: kind.extension() });
    }
    let name = path.file_name().map(|n| printable(&n.to_string_lossy())).unwrap_or_default();
    Ok(ReportText { kind, bytes, name })
}

/// A 月报文本 taken out of a received report.
#[derive(Debug, Clone)]
pub struct Extracted {
    pub path: std::path::PathBuf,
    pub bytes: u64,
    /// The sender's own name for the file, printable.
    pub name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("no report from {unit}")]
    NotReceived { unit: String },
    #[error("the report of {unit} carries no report text")]
    NoReportText { unit: String, sequence: u32 },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The bundle was verified when it came in; reading it back failing means the store changed.
    #[error("{0}")]
    Damaged(String),
    #[error("{path}: {source}")]
    Write { path: std::path::PathBuf, source: std::io::Error },
}

impl ExtractError {
    pub fn user_message(&self, lang: Lang) -> String {
        let m = lang.msg();
        match self {
            ExtractError::NotReceived { unit } => fill(&m.report_text_not_received, &[("unit", &printable(unit))]),
            ExtractError::NoReportText { unit, sequence } => {
                fill(&m.report_text_none, &[("unit", &printable(unit)), ("sequence", sequence)])
            }
            ExtractError::Store(e) => e.user_message(lang),
            ExtractError::Damaged(reason) => fill(&m.report_text_damaged, &[("reason", &printable(reason))]),
            ExtractError::Write { path, source } => {
                fill(&m.export_io, &[("path", &path.display()), ("reason", source)])
            }
        }
    }
}

/// Writes the 月报文本 of `unit`'s current report for `period` into `dir`, named after the
/// report (`410102_2026Q3_1_月报文本.docx`), so texts of different reports never meet.
/// `label` names the unit in messages ("二七区（410103）").
pub fn extract(
    store: &crate::store::Store,
    period: crate::domain::Period,
    unit: &str,
    label: &str,
    dir: &Path,
) -> Result<Extracted, ExtractError> {
    use super::archive::{LIMITS, Opened};
    use super::manifest::{MANIFEST, MAX_MANIFEST_BYTES, Manifest};
    let not_received = || ExtractError::NotReceived { unit: label.to_string() };
    let bytes = store.current_city_bundle_bytes(unit, &period.to_string())?.ok_or_else(not_received)?;
    let damaged = |e: String| ExtractError::Damaged(e);
    let mut archive = Opened::new(&bytes, LIMITS).map_err(|e| damaged(format!("{e:?}")))?;
    let manifest = archive.read(MANIFEST, MAX_MANIFEST_BYTES).map_err(|e| damaged(format!("{e:?}")))?;
    let manifest: Manifest = serde_json::from_slice(&manifest).map_err(|e| damaged(e.to_string()))?;
    let Some(text) = manifest.report_text else {
        return Err(ExtractError::NoReportText { unit: label.to_string(), sequence: manifest.sequence });
    };
    let content = archive.read(&text.path, MAX_BYTES).map_err(|e| damaged(format!("{e:?}")))?;
    let path = dir.join(format!("{unit}_{period}_{}_{}", manifest.sequence, text.path));
    std::fs::create_dir_all(dir)
        .and_then(|()| crate::files::write_atomically(&path, &content))
        .map_err(|source| ExtractError::Write { path: path.clone(), source })?;
    // The sender's name for it is outside text: one printable line wherever it is shown.
    Ok(Extracted { path, bytes: content.len() as u64, name: printable(&text.name) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn each_kind_is_read_by_its_extension_and_first_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let cases: [(&str, &[u8], &str); 6] = [
            ("九月月报.DOCX", b"PK\x03\x04rest", "月报文本.docx"),
            ("a.doc", b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest", "月报文本.doc"),
            ("a.wps", b"PK\x03\x04rest", "月报文本.wps"),
            ("a.pdf", b"%PDF-1.7\n", "月报文本.pdf"),
            ("a.txt", "本月全县学校均已填报。".as_bytes(), "月报文本.txt"),
            ("a.odt", b"PK\x03\x04rest", "月报文本.odt"),
        ];
        for (name, bytes, entry) in cases {
            let text = read(&write(dir.path(), name, bytes)).unwrap();
            assert_eq!((text.entry().as_str(), text.bytes.as_slice()), (entry, bytes));
            assert_eq!(text.reference().name, name);
        }
    }

    #[test]
    fn a_wrong_empty_or_oversized_file_is_refused_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let err = |path: &Path| read(path).unwrap_err().user_message(Lang::Zh);
        let xlsx = write(dir.path(), "表.xlsx", b"PK\x03\x04");
        assert!(
            err(&xlsx).contains("表.xlsx") && err(&xlsx).contains(".docx .doc .wps .pdf .txt .odt"),
            "{}",
            err(&xlsx)
        );
        let renamed = write(dir.path(), "月报.pdf", b"PK\x03\x04 a docx renamed");
        assert!(err(&renamed).contains("不是 .pdf 文件"), "{}", err(&renamed));
        assert!(err(&write(dir.path(), "空.docx", b"")).contains("是空文件"));
        let big = dir.path().join("大.pdf");
        std::fs::File::create(&big).unwrap().set_len(MAX_BYTES + 1).unwrap();
        assert!(err(&big).contains("20 MiB"), "{}", err(&big));
        assert!(err(&dir.path().join("无.docx")).contains("无.docx"));
    }
}
