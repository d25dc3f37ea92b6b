//! `verify`: is this bundle exactly what a county the city trusts signed? Checks, in order, that
//! the archive is safe to open, that the manifest's signature holds, that the signer is trusted
//! for the manifest's county, that every file is listed with its exact size and SHA-256 and no
//! other file is there, and that the container itself is byte for byte the canonical one. The
//! first failure is the answer, named so that a clerk can act on it.

use chrono::{DateTime, FixedOffset, Utc};
use ssh_key::{PublicKey, SshSig};

use super::allowed_signers::{AllowedSigners, ParseProblem, SignersError, Trust};
use super::archive::{ArchiveProblem, LIMITS, Limits, Opened};
use super::keys::{self, NAMESPACE, RETURN_NAMESPACE, SM2_SIGNATURE_SUFFIX, SSH_SIGNATURE_SUFFIX, SignerKey, sm2};
use super::manifest::{Digest, FORMAT, MANIFEST, MAX_MANIFEST_BYTES, MAX_SIGNATURE_BYTES, Manifest, SIGNATURE, Signer};
use super::report_text;
use crate::i18n::{Lang, fill, printable};

/// A bundle that passed every check.
#[derive(Debug, Clone)]
pub struct Verified {
    pub manifest: Manifest,
    pub fingerprint: String,
    /// The allowed_signers line that trusts the signer.
    pub trusted_by_line: usize,
}

/// Why a bundle is refused.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    Archive(ArchiveProblem),
    Missing {
        name: &'static str,
    },
    /// Not an SSH signature, or one made for another purpose.
    SignatureUnreadable {
        reason: String,
    },
    WrongNamespace {
        found: String,
        expected: String,
    },
    /// The signature does not match the manifest: the manifest was changed after signing, or
    /// the signature belongs to another manifest.
    SignatureMismatch,
    ManifestUnreadable {
        reason: String,
    },
    UnknownFormat {
        found: String,
    },
    /// The manifest names a signer other than the key that signed it.
    SignerNotAsStated {
        stated: String,
        signed: String,
    },
    UnknownKey {
        fingerprint: String,
    },
    NotForCounty {
        fingerprint: String,
        county_code: String,
        principals: Vec<String>,
    },
    /// A return notice signed by a key the county does not trust: the county needs the city's
    /// line (`shenhe city return` prints it), not a county's.
    UnknownCityKey {
        fingerprint: String,
        city: String,
    },
    /// A return notice's key is trusted, but as other principals than the county's city.
    NotForCity {
        fingerprint: String,
        city: String,
        principals: Vec<String>,
    },
    NamespaceNotAllowed {
        fingerprint: String,
        line: usize,
        /// The namespace the signature is for (a bundle's or a return notice's).
        namespace: &'static str,
    },
    KeyNotYetValid {
        fingerprint: String,
        line: usize,
        from: DateTime<Utc>,
    },
    KeyExpired {
        fingerprint: String,
        line: usize,
        until: DateTime<Utc>,
    },
    Unlisted {
        name: String,
    },
    MissingFile {
        name: String,
    },
    SizeMismatch {
        name: String,
        listed: u64,
        found: u64,
    },
    HashMismatch {
        name: String,
    },
    /// The content is as listed, but its compressed bytes in the zip were changed.
    StoredBytesMismatch {
        name: String,
    },
    /// The manifest names a 月报文本 that is not one of its files, or not by a 月报文本's name.
    ReportTextNotListed {
        name: String,
    },
}

impl From<ArchiveProblem> for Refusal {
    fn from(p: ArchiveProblem) -> Refusal {
        Refusal::Archive(p)
    }
}

/// Checks `bytes`, a bundle, against the city's trusted keys as of `now`.
pub fn verify(bytes: &[u8], signers: &AllowedSigners, now: DateTime<Utc>) -> Result<Verified, Refusal> {
    verify_with(bytes, signers, now, LIMITS)
}

/// [`verify`], the key judged as of `trusted_at` (not later than now): when this level first
/// received this very file, a fact of its own, so a key retired since (`valid-before`, written
/// by `key rotate`) still vouches for the reports it brought in before. Never the time the
/// signer wrote into the manifest: the holder of a retired key could write any.
pub fn verify_received(
    bytes: &[u8],
    signers: &AllowedSigners,
    now: DateTime<Utc>,
    trusted_at: Option<DateTime<Utc>>,
) -> Result<Verified, Refusal> {
    verify_judged(bytes, signers, trusted_at.map_or(now, |t| t.min(now)), LIMITS)
}

pub fn verify_with(
    bytes: &[u8],
    signers: &AllowedSigners,
    now: DateTime<Utc>,
    limits: Limits,
) -> Result<Verified, Refusal> {
    verify_judged(bytes, signers, now, limits)
}

/// The checks, the signer's key judged as of `at`.
fn verify_judged(
    bytes: &[u8],
    signers: &AllowedSigners,
    at: DateTime<Utc>,
    limits: Limits,
) -> Result<Verified, Refusal> {
    let mut archive = Opened::new(bytes, limits)?;
    if !archive.names().iter().any(|n| n == MANIFEST) {
        return Err(Refusal::Missing { name: MANIFEST });
    }
    let (signature_name, kind) = signature_entry(archive.names(), MANIFEST, SIGNATURE)?;
    // The signed files are kept uncompressed, so their bytes in the zip are the signed bytes.
    for name in [MANIFEST, signature_name.as_str()] {
        if archive.stored(name, Digest::Sha256)?.0 != zip::CompressionMethod::Stored {
            return Err(ArchiveProblem::NotCanonical.into());
        }
    }
    let manifest_bytes = archive.read(MANIFEST, MAX_MANIFEST_BYTES)?;
    let signature = archive.read(&signature_name, MAX_SIGNATURE_BYTES)?;
    let key = check_signed(&manifest_bytes, &signature, kind, NAMESPACE)?;
    let manifest: Manifest =
        serde_json::from_slice(&manifest_bytes).map_err(|e| Refusal::ManifestUnreadable { reason: e.to_string() })?;
    if manifest.format != FORMAT {
        return Err(Refusal::UnknownFormat { found: manifest.format });
    }
    let stated = SignerKey::parse(&manifest.signer.public_key);
    if !stated.as_ref().is_some_and(|s| s.same_key(&key)) {
        return Err(Refusal::SignerNotAsStated { stated: manifest.signer.public_key.clone(), signed: key.to_text() });
    }
    // An SM2 signature vouches for SM3 hashes, an Ed25519 one for SHA-256: never a mixture.
    let digest = key.algorithm().digest();
    if let Some(file) = manifest.files.iter().find(|f| f.digest.digest() != digest) {
        return Err(Refusal::ManifestUnreadable {
            reason: format!("{}: not hashed as its signature's kind", file.path),
        });
    }
    let print = key.fingerprint();
    let trusted_by_line = match signers.judge(&manifest.county_code, &key, NAMESPACE, at) {
        Trust::Trusted { line } => line,
        Trust::UnknownKey => return Err(Refusal::UnknownKey { fingerprint: print }),
        Trust::NotForPrincipal { principals } => {
            return Err(Refusal::NotForCounty {
                fingerprint: print,
                county_code: manifest.county_code.clone(),
                principals,
            });
        }
        Trust::NamespaceNotAllowed { line } => {
            return Err(Refusal::NamespaceNotAllowed { fingerprint: print, line, namespace: NAMESPACE });
        }
        Trust::NotYetValid { line, from } => return Err(Refusal::KeyNotYetValid { fingerprint: print, line, from }),
        Trust::Expired { line, until } => return Err(Refusal::KeyExpired { fingerprint: print, line, until }),
    };
    check_files(&mut archive, &manifest, limits)?;
    if let Some(text) = &manifest.report_text {
        // `月报文本.<ext>` as shenhe names it, one of the kinds, and one of the listed files.
        let ext = text.path.strip_prefix(report_text::ENTRY_STEM).and_then(|rest| rest.strip_prefix('.'));
        let as_named = ext.is_some_and(|e| report_text::Kind::of_extension(e).is_some_and(|k| k.extension() == e));
        if !as_named || !manifest.files.iter().any(|f| f.path == text.path) {
            return Err(Refusal::ReportTextNotListed { name: text.path.clone() });
        }
    }
    let created = manifest
        .created()
        .ok_or_else(|| Refusal::ManifestUnreadable { reason: format!("created_at {:?}", manifest.created_at) })?;
    if !archive.is_canonical(created.naive_local()) {
        return Err(ArchiveProblem::NotCanonical.into());
    }
    Ok(Verified { manifest, fingerprint: print, trusted_by_line })
}

/// The kind of a signature file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SignatureKind {
    Ssh,
    Sm2,
}

/// The one signature file of `signed` among `names`: `<signed>.sig` (SSHSIG) or
/// `<signed>.sm2.sig` (SM2 DER). Neither is a missing signature; both, a file the signature
/// does not list.
pub(super) fn signature_entry(
    names: &[String],
    signed: &str,
    ssh_name: &'static str,
) -> Result<(String, SignatureKind), Refusal> {
    let sm2_name = format!("{signed}{SM2_SIGNATURE_SUFFIX}");
    debug_assert_eq!(ssh_name, format!("{signed}{SSH_SIGNATURE_SUFFIX}"));
    let has = |name: &str| names.iter().any(|n| n == name);
    match (has(ssh_name), has(&sm2_name)) {
        (true, false) => Ok((ssh_name.to_string(), SignatureKind::Ssh)),
        (false, true) => Ok((sm2_name, SignatureKind::Sm2)),
        (true, true) => Err(Refusal::Unlisted { name: sm2_name }),
        (false, false) => Err(Refusal::Missing { name: ssh_name }),
    }
}

/// The key that made `signature` over `message` (a manifest or a notice, which names its
/// signer): an SSHSIG in `namespace` carries its key; an SM2 signature is checked against the
/// key the message states, with the user id it states.
pub(super) fn check_signed(
    message: &[u8],
    signature: &[u8],
    kind: SignatureKind,
    namespace: &str,
) -> Result<SignerKey, Refusal> {
    if kind == SignatureKind::Ssh {
        return check_signature(message, signature, namespace).map(SignerKey::Ssh);
    }
    #[derive(serde::Deserialize)]
    struct Stated {
        signer: Signer,
    }
    let stated: Stated =
        serde_json::from_slice(message).map_err(|e| Refusal::ManifestUnreadable { reason: e.to_string() })?;
    let Some(SignerKey::Sm2(key)) = SignerKey::parse(&stated.signer.public_key) else {
        return Err(Refusal::SignatureUnreadable { reason: "an SM2 signature, but no SM2 signer is named".into() });
    };
    let stated_id = stated.signer.user_id.as_deref().unwrap_or(sm2::DEFAULT_USER_ID);
    // Another purpose's id is never a bundle's: each purpose checks with its own.
    let purpose_id = stated_id == RETURN_NAMESPACE && namespace == NAMESPACE;
    let user_id = keys::sm2_user_id(namespace, stated_id);
    if purpose_id || user_id.len() > sm2::MAX_USER_ID_BYTES || !key.verifies(user_id, message, signature) {
        return Err(Refusal::SignatureMismatch);
    }
    Ok(SignerKey::Sm2(key))
}

/// The key that made `signature` over `message` in `namespace`.
pub(super) fn check_signature(message: &[u8], signature: &[u8], namespace: &str) -> Result<PublicKey, Refusal> {
    let unreadable = |reason: String| Refusal::SignatureUnreadable { reason };
    let pem = std::str::from_utf8(signature).map_err(|e| unreadable(e.to_string()))?;
    let sig = SshSig::from_pem(pem).map_err(|e| unreadable(e.to_string()))?;
    // PEM leaves room for changes that decode the same (line breaks, spare base64 bits): the
    // file must be exactly as written, or a changed byte of it would go unseen.
    if sig.to_pem(ssh_key::LineEnding::LF).ok().as_deref() != Some(pem) {
        return Err(unreadable("not in the form it was written in".into()));
    }
    if sig.namespace() != namespace {
        return Err(Refusal::WrongNamespace { found: sig.namespace().to_string(), expected: namespace.to_string() });
    }
    let key = PublicKey::from(sig.public_key().clone());
    key.verify(namespace, message, &sig).map_err(|_| Refusal::SignatureMismatch)?;
    Ok(key)
}

/// Every entry besides the manifest and its signature is listed, every listed file is there,
/// with the listed size and SHA-256.
fn check_files(archive: &mut Opened<'_>, manifest: &Manifest, limits: Limits) -> Result<(), Refusal> {
    let signature_name = |n: &str| n == SIGNATURE || n.strip_prefix(MANIFEST) == Some(SM2_SIGNATURE_SUFFIX);
    let present: Vec<String> =
        archive.names().iter().filter(|n| *n != MANIFEST && !signature_name(n)).cloned().collect();
    if let Some(extra) = present.iter().find(|n| !manifest.files.iter().any(|f| &&f.path == n)) {
        return Err(Refusal::Unlisted { name: extra.clone() });
    }
    for file in &manifest.files {
        if !present.contains(&file.path) {
            return Err(Refusal::MissingFile { name: file.path.clone() });
        }
        let content = match archive.read(&file.path, file.bytes.min(limits.entry_bytes)) {
            // Larger than the signed manifest says: a changed file, whatever its header claims.
            Err(ArchiveProblem::EntryTooLarge { bytes, .. }) if file.bytes <= limits.entry_bytes => {
                return Err(Refusal::SizeMismatch { name: file.path.clone(), listed: file.bytes, found: bytes });
            }
            other => other?,
        };
        let found = content.len() as u64;
        if found != file.bytes {
            return Err(Refusal::SizeMismatch { name: file.path.clone(), listed: file.bytes, found });
        }
        let (content_hash, stored_hash) = file.digest.hashes();
        let digest = file.digest.digest();
        if digest.hex(&content) != content_hash {
            return Err(Refusal::HashMismatch { name: file.path.clone() });
        }
        if archive.stored(&file.path, digest)?.1 != stored_hash {
            return Err(Refusal::StoredBytesMismatch { name: file.path.clone() });
        }
    }
    Ok(())
}

impl Refusal {
    /// The reason in a sentence a city clerk can act on.
    pub fn user_message(&self, lang: Lang) -> String {
        let m = lang.msg();
        let time = |t: &DateTime<Utc>| t.with_timezone(&local_offset()).format("%Y-%m-%d %H:%M").to_string();
        match self {
            Refusal::Archive(p) => archive_message(p, lang),
            Refusal::Missing { name } => fill(&m.verify_missing, &[("name", name)]),
            Refusal::SignatureUnreadable { reason } => {
                fill(&m.verify_signature_unreadable, &[("reason", &printable(reason))])
            }
            Refusal::WrongNamespace { found, expected } => {
                fill(&m.verify_wrong_namespace, &[("found", &printable(found)), ("namespace", expected)])
            }
            Refusal::SignatureMismatch => m.verify_signature_mismatch.clone(),
            Refusal::ManifestUnreadable { reason } => {
                fill(&m.verify_manifest_unreadable, &[("reason", &printable(reason))])
            }
            Refusal::UnknownFormat { found } => {
                fill(&m.verify_unknown_format, &[("found", &printable(found)), ("supported", &FORMAT)])
            }
            Refusal::SignerNotAsStated { .. } => m.verify_signer_not_as_stated.clone(),
            Refusal::UnknownKey { fingerprint } => fill(&m.verify_unknown_key, &[("fingerprint", fingerprint)]),
            Refusal::NotForCounty { fingerprint, county_code, principals } => fill(
                &m.verify_not_for_county,
                &[
                    ("fingerprint", fingerprint),
                    ("county_code", &printable(county_code)),
                    ("principals", &printable(&principals.join(","))),
                ],
            ),
            Refusal::UnknownCityKey { fingerprint, city } => {
                fill(&m.reopen_unknown_city_key, &[("fingerprint", fingerprint), ("city", &printable(city))])
            }
            Refusal::NotForCity { fingerprint, city, principals } => fill(
                &m.reopen_not_for_city,
                &[
                    ("fingerprint", fingerprint),
                    ("city", &printable(city)),
                    ("principals", &printable(&principals.join(","))),
                ],
            ),
            Refusal::NamespaceNotAllowed { fingerprint, line, namespace } => fill(
                &m.verify_namespace_not_allowed,
                &[("fingerprint", fingerprint), ("line", line), ("namespace", namespace)],
            ),
            Refusal::KeyNotYetValid { fingerprint, line, from } => fill(
                &m.verify_key_not_yet_valid,
                &[("fingerprint", fingerprint), ("line", line), ("time", &time(from))],
            ),
            Refusal::KeyExpired { fingerprint, line, until } => {
                fill(&m.verify_key_expired, &[("fingerprint", fingerprint), ("line", line), ("time", &time(until))])
            }
            Refusal::Unlisted { name } => fill(&m.verify_unlisted, &[("name", &printable(name))]),
            Refusal::MissingFile { name } => fill(&m.verify_missing_file, &[("name", &printable(name))]),
            Refusal::SizeMismatch { name, listed, found } => {
                fill(&m.verify_size_mismatch, &[("name", &printable(name)), ("listed", listed), ("found", found)])
            }
            Refusal::HashMismatch { name } => fill(&m.verify_hash_mismatch, &[("name", &printable(name))]),
            Refusal::StoredBytesMismatch { name } => fill(&m.verify_stored_mismatch, &[("name", &printable(name))]),
            Refusal::ReportTextNotListed { name } => {
                fill(&m.verify_report_text_not_listed, &[("name", &printable(name))])
            }
        }
    }
}

fn archive_message(p: &ArchiveProblem, lang: Lang) -> String {
    let m = lang.msg();
    let mb = |b: &u64| format!("{:.1} MB", *b as f64 / 1_048_576.0);
    match p {
        ArchiveProblem::NotAZip(reason) => fill(&m.verify_not_zip, &[("reason", &printable(reason))]),
        ArchiveProblem::TooLarge { bytes, limit } => {
            fill(&m.verify_too_large, &[("size", &mb(bytes)), ("limit", &mb(limit))])
        }
        ArchiveProblem::TooManyEntries { entries, limit } => {
            fill(&m.verify_too_many_entries, &[("entries", entries), ("limit", limit)])
        }
        ArchiveProblem::UnsafeName { name } => fill(&m.verify_unsafe_name, &[("name", &name.escape_debug())]),
        ArchiveProblem::DuplicateName => m.verify_duplicate_name.clone(),
        ArchiveProblem::NamesAlike { first, second } => {
            fill(&m.verify_names_alike, &[("first", &printable(first)), ("second", &printable(second))])
        }
        ArchiveProblem::NotAPlainFile { name } => fill(&m.verify_not_plain_file, &[("name", &printable(name))]),
        ArchiveProblem::EntryTooLarge { name, bytes, limit } => {
            fill(&m.verify_entry_too_large, &[("name", &printable(name)), ("size", &mb(bytes)), ("limit", &mb(limit))])
        }
        ArchiveProblem::TotalTooLarge { bytes, limit } => {
            fill(&m.verify_total_too_large, &[("size", &mb(bytes)), ("limit", &mb(limit))])
        }
        ArchiveProblem::Damaged { name, reason } => {
            fill(&m.verify_damaged, &[("name", &printable(name)), ("reason", &printable(reason))])
        }
        ArchiveProblem::NotCanonical => m.verify_not_canonical.clone(),
    }
}

/// The offset times are shown in: the machine's own (the clerk's clock).
fn local_offset() -> FixedOffset {
    *crate::clock::now().offset()
}

/// Why a trusted keys file cannot be used, naming the line (the caller names the file).
pub fn signers_message(e: &SignersError, lang: Lang) -> String {
    let m = lang.msg();
    match e {
        SignersError::Read { source, .. } => fill(&m.signers_unreadable, &[("reason", &source.user_message(lang))]),
        SignersError::Parse { line, reason, .. } => {
            let reason = match reason {
                ParseProblem::NotUtf8 => m.signers_not_utf8.clone(),
                ParseProblem::UnterminatedQuote => m.signers_unterminated_quote.clone(),
                ParseProblem::MissingKey => m.signers_missing_key.clone(),
                ParseProblem::UnknownOption { name } => fill(&m.signers_unknown_option, &[("name", name)]),
                ParseProblem::BadTime { value, .. } => fill(&m.signers_bad_time, &[("value", value)]),
                ParseProblem::UnsupportedKeyType { found } => fill(&m.signers_key_type, &[("found", found)]),
                ParseProblem::BadKeyBase64 | ParseProblem::BadKeyData | ParseProblem::KeyTypeMismatch { .. } => {
                    m.signers_bad_key.clone()
                }
                // Rare option mistakes: the library's own words name them precisely.
                other => other.to_string(),
            };
            fill(&m.signers_bad_line, &[("line", line), ("reason", &reason)])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the property tests: an entry name with a bidi override (U+202E makes `vsc.exe`
    /// show as `exe.csv`) reached the message raw when the entry was not a plain file.
    #[test]
    fn entry_names_in_archive_refusals_are_shown_printable() {
        let name = "\u{202e}vsc.exe".to_string();
        let problems = [
            ArchiveProblem::NotAPlainFile { name: name.clone() },
            ArchiveProblem::EntryTooLarge { name: name.clone(), bytes: 2, limit: 1 },
            ArchiveProblem::Damaged { name: name.clone(), reason: "x".into() },
        ];
        for problem in problems {
            for lang in [Lang::Zh, Lang::En] {
                let text = Refusal::Archive(problem.clone()).user_message(lang);
                assert!(!text.contains('\u{202e}') && text.contains("\\u{202e}vsc.exe"), "{text}");
            }
        }
    }
}
