//! The city's notices to a county: a return (退回), a small signed file that sends one report
//! back, and its cancellation (取消退回), which takes a return made by mistake back before the
//! county reports again. Both name the report by number and SHA-256, so they act on exactly
//! that report and no later one, and both are signed in their own namespace, so no bundle
//! signature can pass for them. The county reopens with `shenhe reopen --from NOTICE` and
//! records a cancellation with `shenhe cancel-return --from NOTICE`, each checked against its
//! trusted keys; their formats differ, so one can never be taken for the other.

use serde::{Deserialize, Serialize};

use super::allowed_signers::{AllowedSigners, Trust};
use super::archive::{self, LIMITS, Limits, Opened};
use super::keys::{RETURN_NAMESPACE, SigningKey, trust_line};
use super::manifest::{Digest, MAX_MANIFEST_BYTES, MAX_SIGNATURE_BYTES, Signer};
use super::verify::{Refusal, check_signed, signature_entry};

pub const FORMAT: &str = "shenhe-return/1";
pub const CANCEL_FORMAT: &str = "shenhe-cancel/1";
/// The largest notice read: room for the largest `notice.json` and signature [`read`] takes.
pub const MAX_NOTICE_BYTES: u64 = 2 << 20;
const NOTICE: &str = "notice.json";
const SIGNATURE: &str = "notice.json.sig";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReturnNotice {
    pub format: String,
    /// The city that sends it back: the signer's principal in the county's trusted keys.
    pub city: String,
    pub county_code: String,
    pub county: String,
    pub period: String,
    /// The report it returns.
    pub sequence: u32,
    pub bundle_sha256: String,
    /// The city's n-th notice to this county for this period: no two notices are the same
    /// file, so a cancellation of one can never bar another.
    #[serde(default)]
    pub notice: u32,
    pub reason: String,
    pub created_at: String,
    pub signer: Signer,
}

/// The cancellation of a return: the report stands as it was sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CancelNotice {
    pub format: String,
    pub city: String,
    pub county_code: String,
    pub county: String,
    pub period: String,
    /// The report the return sent back, which stands again.
    pub sequence: u32,
    pub bundle_sha256: String,
    /// The SHA-256 of the return notice's file, the one it takes back.
    pub return_sha256: String,
    /// The city's n-th notice to this county for this period.
    pub notice: u32,
    pub note: String,
    pub created_at: String,
    pub signer: Signer,
}

/// A notice read and checked: which kind it is decides what the county may do with it.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    Return(ReturnNotice),
    Cancel(CancelNotice),
}

/// What every notice says, whatever its kind: who sends it, to whom, the report it names.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Head {
    pub format: String,
    pub city: String,
    pub county_code: String,
    pub period: String,
    pub sequence: u32,
    pub bundle_sha256: String,
    pub created_at: String,
}

/// The notice's file name: `<county_code>_<period>_<n>_return.zip`, ASCII.
pub fn file_name(n: &ReturnNotice) -> String {
    format!("{}_{}_{}_return.zip", n.county_code, n.period, n.sequence)
}

/// The cancellation's file name: `<county_code>_<period>_<n>_cancel.zip`, ASCII.
pub fn cancel_file_name(n: &CancelNotice) -> String {
    format!("{}_{}_{}_cancel.zip", n.county_code, n.period, n.sequence)
}

/// The notice signed and packed, one file to send.
pub fn write(notice: &ReturnNotice, key: &SigningKey, at: chrono::NaiveDateTime) -> Result<Vec<u8>, String> {
    pack(notice, key, at)
}

/// The cancellation signed and packed, one file to send.
pub fn write_cancel(notice: &CancelNotice, key: &SigningKey, at: chrono::NaiveDateTime) -> Result<Vec<u8>, String> {
    pack(notice, key, at)
}

fn pack(notice: &impl Serialize, key: &SigningKey, at: chrono::NaiveDateTime) -> Result<Vec<u8>, String> {
    let mut body = serde_json::to_vec_pretty(notice).map_err(|e| e.to_string())?;
    body.push(b'\n');
    let signature = key.sign_in(RETURN_NAMESPACE, &body)?;
    let none = archive::deflate(&[] as &[(&str, &[u8])], at, Digest::Sha256).map_err(|e| e.to_string())?;
    let signature_name = key.signature_name(NOTICE);
    archive::write(&[(NOTICE, &body), (&signature_name, &signature)], &none, at).map_err(|e| e.to_string())
}

/// The notice in `bytes`, if it is whole, signed, and its signer is trusted as `city`.
pub fn read(
    bytes: &[u8],
    signers: &AllowedSigners,
    city: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(Head, Notice), Refusal> {
    let mut opened = Opened::new(bytes, Limits { bundle_bytes: MAX_NOTICE_BYTES, ..LIMITS })?;
    let (signature_name, kind) = signature_entry(opened.names(), NOTICE, SIGNATURE)?;
    if opened.names() != [NOTICE, signature_name.as_str()] {
        return Err(Refusal::Missing { name: NOTICE });
    }
    let body = opened.read(NOTICE, MAX_MANIFEST_BYTES)?;
    let signature = opened.read(&signature_name, MAX_SIGNATURE_BYTES)?;
    let key = check_signed(&body, &signature, kind, RETURN_NAMESPACE)?;
    let unreadable = |e: serde_json::Error| Refusal::ManifestUnreadable { reason: e.to_string() };
    let head: Head = serde_json::from_slice(&body).map_err(unreadable)?;
    let notice = match head.format.as_str() {
        FORMAT => Notice::Return(serde_json::from_slice(&body).map_err(unreadable)?),
        CANCEL_FORMAT => Notice::Cancel(serde_json::from_slice(&body).map_err(unreadable)?),
        _ => return Err(Refusal::UnknownFormat { found: head.format }),
    };
    let print = key.fingerprint();
    match signers.judge(city, &key, RETURN_NAMESPACE, now) {
        Trust::Trusted { .. } => {}
        // Said as a return notice's: the line to ask for is the city's.
        Trust::UnknownKey => return Err(Refusal::UnknownCityKey { fingerprint: print, city: city.to_string() }),
        Trust::NotForPrincipal { principals } => {
            return Err(Refusal::NotForCity { fingerprint: print, city: city.to_string(), principals });
        }
        Trust::NamespaceNotAllowed { line } => {
            return Err(Refusal::NamespaceNotAllowed { fingerprint: print, line, namespace: RETURN_NAMESPACE });
        }
        Trust::NotYetValid { line, from } => return Err(Refusal::KeyNotYetValid { fingerprint: print, line, from }),
        Trust::Expired { line, until } => return Err(Refusal::KeyExpired { fingerprint: print, line, until }),
    }
    let created = chrono::DateTime::parse_from_rfc3339(&head.created_at)
        .map_err(|e| Refusal::ManifestUnreadable { reason: e.to_string() })?;
    if !opened.is_canonical(created.naive_local()) {
        return Err(archive::ArchiveProblem::NotCanonical.into());
    }
    Ok((head, notice))
}

/// The allowed_signers line a county adds to trust its city's notices.
pub fn allowed_signers_line(city: &str, key: &SigningKey) -> String {
    trust_line(city, RETURN_NAMESPACE, &key.public_line(), None)
}
