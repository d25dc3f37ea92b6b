//! `manifest.json`: what the bundle is (county, period, sequence, who made it and when, whether
//! on time, who signed it) and the size and SHA-256 of every other file in it. The signature
//! covers exactly these bytes, so the manifest vouches for every byte of the files it lists.

use serde::{Deserialize, Serialize};
use sha2::Digest as _;
use sha2::Sha256;

pub use super::report_text::ReportTextRef;

/// The format this shenhe writes and reads. A city running an older shenhe refuses a newer
/// format by name rather than misreading it.
pub const FORMAT: &str = "shenhe-bundle/1";
pub const MANIFEST: &str = "manifest.json";
pub const SIGNATURE: &str = "manifest.json.sig";
/// The largest manifest read (it lists a dozen files: a few KB).
pub const MAX_MANIFEST_BYTES: u64 = 1 << 20;
pub const MAX_SIGNATURE_BYTES: u64 = 16 << 10;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub county_code: String,
    pub county: String,
    pub city: String,
    pub period: String,
    /// 1 for the first report of the period, +1 after each reopen.
    pub sequence: u32,
    /// The bundle this one replaces (the previous sequence), when there is one.
    pub replaces: Option<Replaced>,
    pub auditor: Auditor,
    /// RFC 3339 with the offset of the county's clock.
    pub created_at: String,
    pub tool: String,
    pub counts: StateCounts,
    pub window: Window,
    /// Made on a day inside the county's reporting window.
    pub inside_window: bool,
    /// Present when the auditor exported with schools still undecided.
    pub forced: Option<Forced>,
    /// The 月报文本 it carries, one of `files`; none in a bundle forced without it (and in the
    /// bundles of shenhe before it had them).
    #[serde(default)]
    pub report_text: Option<ReportTextRef>,
    pub signer: Signer,
    pub files: Vec<FileEntry>,
    /// Who reports: a county (absent, as in every bundle before cities reported) or a city,
    /// whose report carries its counties' under `counties/`. At a city's report `county_code`
    /// and `county` name the city and `city` its province.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<ReportLevel>,
    /// At a city's report: each county of the city, its report or none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub units: Vec<UnitReport>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportLevel {
    County,
    City,
}

/// One county in a city's report, as the city vouches for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitReport {
    pub code: String,
    pub name: String,
    /// Its current report, carried byte for byte; none: it sent nothing (the system's
    /// 自动上报, counted as 系统上报).
    pub report: Option<UnitBundle>,
    /// 主动上报, as the city judged it: made inside the county window and received in time.
    pub on_time: bool,
}

/// A county's report inside a city's: where it is, which it is, and the key that signed it
/// (the province trusts city keys only; the city vouches for its counties').
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitBundle {
    /// Its entry in the city's bundle: `counties/<code>_<period>_<n>.zip`.
    pub path: String,
    pub sequence: u32,
    pub sha256: String,
    pub signer: Signer,
    pub created_at: String,
    pub received_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Replaced {
    pub sequence: u32,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Auditor {
    pub name: String,
    pub phone: String,
}

/// Schools by review state at export time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateCounts {
    pub schools: u64,
    pub unfilled: u64,
    pub submitted: u64,
    pub flagged: u64,
    pub returned: u64,
    pub approved: u64,
}

impl StateCounts {
    /// Schools by review state, one state a school.
    pub fn of(states: impl IntoIterator<Item = crate::domain::ReviewState>) -> StateCounts {
        use crate::domain::ReviewState;
        let mut c = StateCounts::default();
        for state in states {
            c.schools += 1;
            *match state {
                ReviewState::Unfilled => &mut c.unfilled,
                ReviewState::Submitted => &mut c.submitted,
                ReviewState::Flagged => &mut c.flagged,
                ReviewState::Returned => &mut c.returned,
                ReviewState::Approved => &mut c.approved,
            } += 1;
        }
        c
    }
}

/// The county's reporting window for the period (config `[period] window`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub first: String,
    pub last: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forced {
    pub reason: String,
    /// The schools still 待审核 or 有疑问 when it was exported.
    pub pending: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signer {
    /// OpenSSH public key line, or `sm2 <base64 of the DER>`.
    pub public_key: String,
    /// `SHA256:…` or `SM3:…`
    pub fingerprint: String,
    /// An SM2 key's user id, when it is not GM/T 0009's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub path: String,
    pub bytes: u64,
    #[serde(flatten)]
    pub digest: FileDigest,
}

/// A listed file's hashes, SHA-256 or (under an SM2 key) SM3: of the content, as `sha256sum`
/// or `openssl dgst -sm3` gives it after unzipping, and of the compressed bytes as they sit in
/// the zip (a compressed stream has spare bits that can change without changing the content,
/// and no byte may change unseen).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FileDigest {
    Sha256 { sha256: String, stored_sha256: String },
    Sm3 { sm3: String, stored_sm3: String },
}

impl FileDigest {
    pub fn new(digest: Digest, content: &[u8], stored: String) -> FileDigest {
        match digest {
            Digest::Sha256 => FileDigest::Sha256 { sha256: digest.hex(content), stored_sha256: stored },
            Digest::Sm3 => FileDigest::Sm3 { sm3: digest.hex(content), stored_sm3: stored },
        }
    }

    pub fn digest(&self) -> Digest {
        match self {
            FileDigest::Sha256 { .. } => Digest::Sha256,
            FileDigest::Sm3 { .. } => Digest::Sm3,
        }
    }

    /// (of the content, of the stored bytes)
    pub fn hashes(&self) -> (&str, &str) {
        match self {
            FileDigest::Sha256 { sha256, stored_sha256 } => (sha256, stored_sha256),
            FileDigest::Sm3 { sm3, stored_sm3 } => (sm3, stored_sm3),
        }
    }
}

/// The hash a manifest lists its files by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Digest {
    Sha256,
    Sm3,
}

impl Digest {
    /// Lowercase hex, as `sha256sum` and `openssl dgst -sm3` print it.
    pub fn hex(self, bytes: &[u8]) -> String {
        match self {
            Digest::Sha256 => sha256_hex(bytes),
            Digest::Sm3 => super::keys::sm2::sm3_hex(bytes),
        }
    }
}

impl Manifest {
    /// The bytes that are signed and stored: pretty JSON, one trailing newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("plain data always serialises");
        bytes.push(b'\n');
        bytes
    }

    /// The time it was made, as written.
    pub fn created(&self) -> Option<chrono::DateTime<chrono::FixedOffset>> {
        chrono::DateTime::parse_from_rfc3339(&self.created_at).ok()
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
