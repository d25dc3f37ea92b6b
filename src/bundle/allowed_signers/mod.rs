//! The city's OpenSSH `allowed_signers` file (PRODUCT.md §6): which key may sign bundles as
//! which principal. It is read the way `ssh-keygen -Y verify` reads it (`man ssh-keygen`,
//! ALLOWED SIGNERS; OpenSSH's sshsig.c and match.c), so that shenhe's verdict and the stock
//! tool's agree and a clerk can check either way. Two deliberate differences: a line that
//! ssh-keygen would log and skip is an error here, naming the line, because a clerk should fix
//! a broken trust file rather than have it half-read; and lines whose key shenhe cannot hold
//! (ECDSA, certificates) are set aside as [`Skipped`], which changes no verdict about the
//! county's Ed25519 key. And one convenience: a UTF-8 byte order mark at the file's start (as
//! Windows Notepad saves it) is skipped, where ssh-keygen reads it into the first line.
//! And one extension: a line whose key is `sm2 <base64 of the SPKI DER>` trusts a level's SM2
//! key ([`crate::bundle::keys::sm2`]) with the same principals and options; ssh-keygen takes
//! `sm2` for a key type it does not know and passes over the line, so its verdicts on the
//! OpenSSH keys of the same file do not change.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::bundle::keys::SignerKey;
use crate::bundle::keys::signer_key::KeyIdentity;
use chrono::{DateTime, Utc};

mod parse;
mod patterns;

use parse::parse_bytes;
use patterns::matches_list;

/// One line of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// 1-based, as editors and ssh-keygen count.
    pub line: usize,
    /// Principal patterns (`*`, `?`, leading `!`), as written.
    pub principals: Vec<String>,
    /// Namespace patterns; `None` allows every namespace.
    pub namespaces: Option<Vec<String>>,
    /// The key certifies other keys; it never vouches for a plain signature.
    pub cert_authority: bool,
    pub valid_after: Option<DateTime<Utc>>,
    pub valid_before: Option<DateTime<Utc>>,
    /// The key (an OpenSSH one with the line's trailing text as its comment, or an SM2 one).
    pub key: SignerKey,
}

/// A well-formed line whose key type this build of shenhe cannot hold (ECDSA, certificates).
/// ssh-keygen reads it, but it can never vouch for a plain Ed25519 signature, so leaving it
/// out changes no verdict; it is kept so a caller can say which lines it did not check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub line: usize,
    pub key_type: String,
}

/// A parsed `allowed_signers` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedSigners {
    entries: Vec<Entry>,
    skipped: Vec<Skipped>,
}

#[derive(Debug, thiserror::Error)]
pub enum SignersError {
    #[error("{path}: {source}")]
    Read { path: PathBuf, source: crate::files::ReadProblem },
    #[error("{}line {line}: {reason}", file_prefix(.path))]
    Parse { path: Option<PathBuf>, line: usize, reason: ParseProblem },
}

/// What is wrong with a line. Text quoted from the file is shortened and stripped of control
/// characters, so a hostile file cannot garble the clerk's terminal through an error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseProblem {
    #[error("the line is not UTF-8 text")]
    NotUtf8,
    #[error("a double quote is not closed")]
    UnterminatedQuote,
    #[error("no key after the principals and options")]
    MissingKey,
    #[error("unknown option \"{name}\"")]
    UnknownOption { name: String },
    #[error("the value of {option} must be in double quotes")]
    ValueNotQuoted { option: &'static str },
    #[error("{option} is given twice")]
    DuplicateOption { option: &'static str },
    #[error("the options end with a comma")]
    TrailingComma,
    #[error("{option}=\"{value}\" is not a time (YYYYMMDD[HHMM[SS]][Z])")]
    BadTime { option: &'static str, value: String },
    #[error("valid-before is not later than valid-after")]
    ValidityReversed,
    #[error("\"{found}\" is not a supported key type")]
    UnsupportedKeyType { found: String },
    #[error("the key's base64 text is damaged")]
    BadKeyBase64,
    #[error("the key says \"{stated}\" but its data is \"{actual}\"")]
    KeyTypeMismatch { stated: String, actual: String },
    #[error("the key's data is damaged")]
    BadKeyData,
}

/// What the file says about a key signing as a principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    Trusted {
        line: usize,
    },
    /// No line lists the key (cert-authority lines do not count: they are about certificates).
    UnknownKey,
    /// The key is listed, but not for this principal: these are the principal patterns it is
    /// listed for.
    NotForPrincipal {
        principals: Vec<String>,
    },
    NamespaceNotAllowed {
        line: usize,
    },
    NotYetValid {
        line: usize,
        from: DateTime<Utc>,
    },
    Expired {
        line: usize,
        until: DateTime<Utc>,
    },
}

/// The largest trusted-keys file read: some 100,000 key lines.
pub const MAX_FILE_BYTES: u64 = 16 << 20;

impl AllowedSigners {
    /// The text of a file; errors give the line but no file name.
    pub fn parse(text: &str) -> Result<AllowedSigners, SignersError> {
        parse_bytes(text.as_bytes()).map_err(|(line, reason)| SignersError::Parse { path: None, line, reason })
    }

    /// Reads bytes rather than a string so that a stray non-UTF-8 comment line does not make
    /// the whole file unreadable; errors name the file and line.
    /// Only a regular file of at most [`MAX_FILE_BYTES`] is read (a pipe would block, a device
    /// never end).
    pub fn load(path: &Path) -> Result<AllowedSigners, SignersError> {
        let bytes = crate::files::read_bounded(path, MAX_FILE_BYTES)
            .map_err(|source| SignersError::Read { path: path.to_path_buf(), source })?;
        parse_bytes(&bytes).map_err(|(line, reason)| SignersError::Parse {
            path: Some(path.to_path_buf()),
            line,
            reason,
        })
    }

    /// The key lines shenhe can use, in file order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The well-formed lines set aside (see [`Skipped`]), in file order.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    /// What the file says about `key` signing as `principal` in `namespace` at time `at`.
    /// `Trusted` exactly when `ssh-keygen -Y verify` would accept the key (as of `at`, whole
    /// seconds, both window ends inclusive). Otherwise the most helpful refusal: a line that
    /// names the principal but is out of its time window, then one that excludes the
    /// namespace, then the principals the key is listed for.
    pub fn judge<K: KeyIdentity + ?Sized>(
        &self,
        principal: &str,
        key: &K,
        namespace: &str,
        at: DateTime<Utc>,
    ) -> Trust {
        let now = at.timestamp();
        let mut listed = false;
        let mut listed_for: Vec<String> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        // (closeness to trust, verdict): time beats namespace, the first line wins a tie.
        let mut nearest: Option<(u8, Trust)> = None;
        for e in self.entries.iter().filter(|e| !e.cert_authority && key.is(&e.key)) {
            listed = true;
            if !matches_list(principal, &e.principals) {
                for p in &e.principals {
                    if seen.insert(p) {
                        listed_for.push(p.clone());
                    }
                }
                continue;
            }
            let refusal = if let Some(ns) = &e.namespaces
                && !matches_list(namespace, ns)
            {
                (1, Trust::NamespaceNotAllowed { line: e.line })
            } else if let Some(from) = e.valid_after
                && now < from.timestamp()
            {
                (2, Trust::NotYetValid { line: e.line, from })
            } else if let Some(until) = e.valid_before
                && now > until.timestamp()
            {
                (2, Trust::Expired { line: e.line, until })
            } else {
                return Trust::Trusted { line: e.line };
            };
            if nearest.as_ref().is_none_or(|(rank, _)| refusal.0 > *rank) {
                nearest = Some(refusal);
            }
        }
        match nearest {
            Some((_, verdict)) => verdict,
            None if listed => Trust::NotForPrincipal { principals: listed_for },
            None => Trust::UnknownKey,
        }
    }
}

fn file_prefix(path: &Option<PathBuf>) -> String {
    path.as_ref().map(|p| format!("{}: ", p.display())).unwrap_or_default()
}

#[cfg(test)]
mod tests;
