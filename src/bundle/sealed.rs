//! A bundle (or a return notice) encrypted to its receiver with age (age-encryption.org/v1), so
//! that the schools' contacts in it are safe in an e-mail: to the receiving level's own
//! `ssh-ed25519` key (the one that signs its return notices) or to `age1…` X25519 keys. The
//! signed file inside is unchanged, so the stock `age -d -i KEY FILE.zip.age > FILE.zip` gives
//! back exactly the bundle `ssh-keygen -Y verify` checks. A receiver opens it in memory only.

use std::io::{Read, Write};

/// The name a sealed file gets: the plain file's name and this.
pub const SUFFIX: &str = ".age";
const BINARY_MAGIC: &[u8] = b"age-encryption.org/";
const ARMOR_MAGIC: &[u8] = b"-----BEGIN AGE ENCRYPTED FILE-----";
/// What every bundle and notice starts with (a zip's first local header).
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";

/// Whether `bytes` are an age file (binary or armored) rather than a plain bundle.
pub fn is_sealed(bytes: &[u8]) -> bool {
    bytes.starts_with(BINARY_MAGIC) || bytes.starts_with(ARMOR_MAGIC)
}

/// The most an age file adds to what it wraps, for a file of `plain` bytes: a header of a few
/// hundred bytes a recipient, 16 bytes a 64 KiB chunk, and a third more when armored.
pub fn sealed_limit(plain: u64) -> u64 {
    plain.saturating_add(plain / 4096).saturating_mul(4) / 3 + (64 << 10)
}

/// One receiver a file is encrypted to.
pub enum Recipient {
    Ssh(age::ssh::Recipient),
    X25519(age::x25519::Recipient),
}

impl Recipient {
    fn as_age(&self) -> &dyn age::Recipient {
        match self {
            Recipient::Ssh(r) => r,
            Recipient::X25519(r) => r,
        }
    }
}

/// Why a recipient is not usable, for the line that names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecipientProblem {
    /// Neither `ssh-ed25519 …` nor `age1…`.
    UnknownKind,
    /// Of a known kind, but its key text is damaged.
    Damaged,
}

/// One recipient as written: an `ssh-ed25519 AAAA… [comment]` line (a `.pub` file's, or the
/// key of an `allowed_signers` line) or an `age1…` key.
pub fn parse_recipient(text: &str) -> Result<Recipient, RecipientProblem> {
    let mut words = text.split_whitespace();
    match words.next() {
        Some("ssh-ed25519") => {
            let key = words.next().ok_or(RecipientProblem::Damaged)?;
            format!("ssh-ed25519 {key}").parse().map(Recipient::Ssh).map_err(|_| RecipientProblem::Damaged)
        }
        Some(word) if word.starts_with("age1") && words.next().is_none() => {
            word.parse().map(Recipient::X25519).map_err(|_| RecipientProblem::Damaged)
        }
        _ => Err(RecipientProblem::UnknownKind),
    }
}

/// The recipients of a file like `age -R` reads: one a line, blank lines and `#` comments
/// skipped, and so are a `SHA256:…`/`SM3:…` fingerprint line and an `sm2 …` signing key (no
/// file is encrypted to one), so that what `shenhe key show` printed is a recipients file as
/// it is. An error gives the 1-based line.
pub fn parse_recipients(text: &str) -> Result<Vec<Recipient>, (usize, RecipientProblem)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        let fingerprint =
            (line.starts_with("SHA256:") || line.starts_with("SM3:")) && !line.contains(char::is_whitespace);
        let signing_only = line.starts_with("sm2 ");
        if line.is_empty() || line.starts_with('#') || fingerprint || signing_only {
            continue;
        }
        out.push(parse_recipient(line).map_err(|p| (index + 1, p))?);
    }
    Ok(out)
}

/// Why a recipients file was not taken.
#[derive(Debug)]
pub enum RecipientsFileProblem {
    Read(crate::files::ReadProblem),
    /// The 1-based line and what is wrong with it; an empty file is line 1's unknown kind.
    Line(usize, RecipientProblem),
}

/// The largest recipients file read: some thousands of keys.
pub const MAX_RECIPIENTS_FILE_BYTES: u64 = 1 << 20;

/// The recipients in the file at `path` ([`parse_recipients`]), at least one.
pub fn recipients_file(path: &std::path::Path) -> Result<Vec<Recipient>, RecipientsFileProblem> {
    let bytes = crate::files::read_bounded(path, MAX_RECIPIENTS_FILE_BYTES).map_err(RecipientsFileProblem::Read)?;
    let text = String::from_utf8_lossy(&bytes);
    let found = parse_recipients(&text).map_err(|(line, problem)| RecipientsFileProblem::Line(line, problem))?;
    if found.is_empty() {
        return Err(RecipientsFileProblem::Line(1, RecipientProblem::UnknownKind));
    }
    Ok(found)
}

/// `<file>.age`, beside `file`: where [`seal_file`] writes it.
pub fn sealed_path(file: &std::path::Path) -> std::path::PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(SUFFIX);
    std::path::PathBuf::from(name)
}

/// Writes `<file>.age` beside `file` (a bundle or a notice), sealed to `recipients`; its path.
pub fn seal_file(file: &std::path::Path, recipients: &[Recipient]) -> std::io::Result<std::path::PathBuf> {
    let path = sealed_path(file);
    let plain = std::fs::read(file)?;
    crate::files::write_atomically(&path, &seal(&plain, recipients)?)?;
    Ok(path)
}

/// `plain` encrypted to every one of `recipients` (at least one), in age's binary form.
pub fn seal(plain: &[u8], recipients: &[Recipient]) -> std::io::Result<Vec<u8>> {
    let encryptor = age::Encryptor::with_recipients(recipients.iter().map(Recipient::as_age))
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let mut out = Vec::with_capacity(plain.len() + plain.len() / 4096 + 1024);
    let mut writer = encryptor.wrap_output(&mut out)?;
    writer.write_all(plain)?;
    writer.finish()?;
    Ok(out)
}

/// Why a sealed file was not opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenProblem {
    /// The level's own key file is no usable unencrypted ssh-ed25519 key.
    OwnKeyUnusable,
    /// Encrypted to other receivers only.
    NotForThisKey,
    /// Not a whole age file: damaged, truncated or changed on the way.
    Damaged { reason: String },
    /// What it wraps is larger than such a file may be.
    TooLarge { limit: u64 },
    /// It opens, but what it wraps is no bundle or notice (no zip).
    NotABundle,
}

/// The file `sealed` wraps, opened with the level's key (`own_key`: the OpenSSH private key
/// file's text) or one of its retired keys (`shenhe key rotate`; one that does not read is
/// passed over), if it is at most `limit` bytes and a zip.
pub fn open(sealed: &[u8], own_key: &str, retired: &[String], limit: u64) -> Result<Vec<u8>, OpenProblem> {
    let identity = |text: &str| match age::ssh::Identity::from_buffer(text.as_bytes(), None) {
        Ok(identity @ age::ssh::Identity::Unencrypted(_)) => Some(identity),
        _ => None,
    };
    let Some(own) = identity(own_key) else { return Err(OpenProblem::OwnKeyUnusable) };
    let identities: Vec<age::ssh::Identity> =
        std::iter::once(own).chain(retired.iter().filter_map(|text| identity(text))).collect();
    let damaged = |reason: String| OpenProblem::Damaged { reason };
    let decryptor =
        age::Decryptor::new_buffered(age::armor::ArmoredReader::new(sealed)).map_err(|e| damaged(e.to_string()))?;
    if decryptor.is_scrypt() {
        // A passphrase file: no receiver's key opens it.
        return Err(OpenProblem::NotForThisKey);
    }
    let reader = decryptor.decrypt(identities.iter().map(|i| i as &dyn age::Identity)).map_err(|e| match e {
        age::DecryptError::NoMatchingKeys => OpenProblem::NotForThisKey,
        other => damaged(other.to_string()),
    })?;
    let mut plain = Vec::new();
    reader.take(limit.saturating_add(1)).read_to_end(&mut plain).map_err(|e| damaged(e.to_string()))?;
    if plain.len() as u64 > limit {
        return Err(OpenProblem::TooLarge { limit });
    }
    if !plain.starts_with(ZIP_MAGIC) {
        return Err(OpenProblem::NotABundle);
    }
    Ok(plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_pair(dir: &std::path::Path) -> (String, String) {
        crate::bundle::keys::init(dir, &crate::bundle::keys::KeySpec::ed25519("test")).unwrap();
        let private = std::fs::read_to_string(dir.join(crate::bundle::keys::PRIVATE_FILE)).unwrap();
        let public = std::fs::read_to_string(dir.join(crate::bundle::keys::PUBLIC_FILE)).unwrap();
        (private, public)
    }

    #[test]
    fn a_sealed_bundle_opens_with_the_receivers_key_only() {
        let (ours, other) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (private, public) = key_pair(ours.path());
        let (other_private, _) = key_pair(other.path());
        let plain = b"PK\x03\x04 a bundle".repeat(10_000);
        let sealed = seal(&plain, &[parse_recipient(&public).unwrap()]).unwrap();
        assert!(is_sealed(&sealed) && !is_sealed(&plain));
        assert!(sealed.len() as u64 <= sealed_limit(plain.len() as u64));
        assert_eq!(open(&sealed, &private, &[], plain.len() as u64).unwrap(), plain);
        assert_eq!(open(&sealed, &other_private, &[], 1 << 20), Err(OpenProblem::NotForThisKey));
        // After `key rotate`, the retired key still opens what was sealed to it.
        let retired = [String::from("not a key"), private.clone()];
        assert_eq!(open(&sealed, &other_private, &retired, 1 << 20).unwrap(), plain);
        assert_eq!(open(&sealed, &private, &[], 100), Err(OpenProblem::TooLarge { limit: 100 }));
        assert_eq!(open(&sealed, "not a key", &[], 1 << 20), Err(OpenProblem::OwnKeyUnusable));
    }

    #[test]
    fn a_truncated_changed_or_foreign_age_file_is_refused_by_its_own_reason() {
        let dir = tempfile::tempdir().unwrap();
        let (private, public) = key_pair(dir.path());
        let recipients = [parse_recipient(&public).unwrap()];
        let sealed = seal(&b"PK\x03\x04 a bundle".repeat(10_000), &recipients).unwrap();
        for cut in [20, sealed.len() / 2, sealed.len() - 1] {
            assert!(
                matches!(open(&sealed[..cut], &private, &[], 1 << 20), Err(OpenProblem::Damaged { .. })),
                "cut {cut}"
            );
        }
        let mut changed = sealed.clone();
        let at = changed.len() - 40;
        changed[at] ^= 1;
        assert!(matches!(open(&changed, &private, &[], 1 << 20), Err(OpenProblem::Damaged { .. })));
        let text = seal(b"a letter, not a bundle", &recipients).unwrap();
        assert_eq!(open(&text, &private, &[], 1 << 20), Err(OpenProblem::NotABundle));
    }

    #[test]
    fn recipients_files_name_the_line_that_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let (_, public) = key_pair(dir.path());
        let identity = age::x25519::Identity::generate();
        // As `shenhe key show` prints it: the key, then its fingerprint.
        let shown = format!("{public}SHA256:Ic48rVLvFtLIaC4EP95SSlTUIhbaJfQoSccN5DBYOqI\n");
        assert_eq!(parse_recipients(&shown).unwrap().len(), 1);
        let text = format!("# the city\n\n{public}{}\n", identity.to_public());
        assert_eq!(parse_recipients(&text).unwrap().len(), 2);
        let bad = format!("{public}ssh-rsa AAAAB3Nza x\n");
        assert_eq!(parse_recipients(&bad).err(), Some((2, RecipientProblem::UnknownKind)));
        let damaged = "ssh-ed25519 AAAAnotbase64!!\n";
        assert_eq!(parse_recipients(damaged).err(), Some((1, RecipientProblem::Damaged)));
    }
}
