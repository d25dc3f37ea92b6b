//! A level's signing key (PRODUCT.md §6), of the kind `[keys] algorithm` names, in the keys
//! directory, the private half readable by its owner only, made on first need:
//! - `ed25519` (the default): an Ed25519 pair in OpenSSH format; the receiver trusts it through
//!   one `allowed_signers` line, and the stock `ssh-keygen -Y verify` accepts its signatures.
//!   It is also the key sealed files are encrypted to ([`super::sealed`]).
//! - `sm2` (国密): an SM2 pair in PEM ([`sm2`]); signatures are SM2 over SM3, file hashes SM3,
//!   checked by the stock `openssl`. Its trust line is an `allowed_signers` line with the key
//!   `sm2 <base64 DER>`, which ssh-keygen passes over.
//!
//! The private key never leaves its file: no message, log or bundle shows it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ssh_key::{Algorithm as SshAlgorithm, HashAlg, LineEnding, PrivateKey, PublicKey, rand_core::OsRng};

use super::manifest::{Digest, Signer};
use crate::i18n::{Lang, fill};

mod rotate;
pub mod signer_key;
pub mod sm2;

pub use rotate::{RETIRED_DIR, Rotated, retired_files, rotate};
pub use signer_key::SignerKey;

/// The SSHSIG namespace of every bundle signature.
pub const NAMESPACE: &str = "shenhe-bundle";
/// The namespace of a city's return notice: a bundle's signature can never pass for one.
pub const RETURN_NAMESPACE: &str = "shenhe-return";
/// File names of the Ed25519 key pair in the keys directory.
pub const PRIVATE_FILE: &str = "shenhe_ed25519";
pub const PUBLIC_FILE: &str = "shenhe_ed25519.pub";
/// What a signature file's name adds to the signed file's: an SSHSIG (PEM) or an SM2 DER.
pub const SSH_SIGNATURE_SUFFIX: &str = ".sig";
pub const SM2_SIGNATURE_SUFFIX: &str = ".sm2.sig";

/// The kind of a level's signing key: `[keys] algorithm`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    #[default]
    Ed25519,
    Sm2,
}

impl Algorithm {
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Ed25519 => "ed25519",
            Algorithm::Sm2 => "sm2",
        }
    }

    /// The hash of the files a manifest signed with such a key lists: SHA-256, or SM3 for SM2.
    pub fn digest(self) -> Digest {
        match self {
            Algorithm::Ed25519 => Digest::Sha256,
            Algorithm::Sm2 => Digest::Sm3,
        }
    }

    /// What the signature file's name adds to the signed file's.
    pub fn signature_suffix(self) -> &'static str {
        match self {
            Algorithm::Ed25519 => SSH_SIGNATURE_SUFFIX,
            Algorithm::Sm2 => SM2_SIGNATURE_SUFFIX,
        }
    }

    /// The key files (private, public) in the keys directory.
    pub fn files(self) -> [&'static str; 2] {
        match self {
            Algorithm::Ed25519 => [PRIVATE_FILE, PUBLIC_FILE],
            Algorithm::Sm2 => [sm2::PRIVATE_FILE, sm2::PUBLIC_FILE],
        }
    }
}

/// Which key a level makes and loads: the kind, the SM2 user id, and the comment (who it
/// belongs to, so the receiver can tell keys apart).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySpec {
    pub algorithm: Algorithm,
    /// The SM2 user id (GM/T 0009's default unless configured).
    pub user_id: String,
    pub comment: String,
}

impl KeySpec {
    pub fn of(config: &crate::config::Config) -> KeySpec {
        let id = config.keys.sm2_user_id.trim();
        KeySpec {
            algorithm: config.keys.algorithm,
            user_id: if id.is_empty() { sm2::DEFAULT_USER_ID.to_string() } else { id.to_string() },
            comment: comment_for(config),
        }
    }

    /// An Ed25519 key with `comment`.
    pub fn ed25519(comment: &str) -> KeySpec {
        KeySpec { algorithm: Algorithm::Ed25519, user_id: sm2::DEFAULT_USER_ID.to_string(), comment: comment.into() }
    }

    /// An SM2 key with the default user id and `comment`.
    pub fn sm2(comment: &str) -> KeySpec {
        KeySpec { algorithm: Algorithm::Sm2, ..KeySpec::ed25519(comment) }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{path}: a key is already there")]
    Exists { path: PathBuf },
    #[error("{path}: no key yet")]
    Missing { path: PathBuf },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// The file is not an unencrypted key of the configured kind. The reason names the format
    /// problem only, never the file's content.
    #[error("{path}: not a usable {} key ({reason})", algorithm.name())]
    Unusable { path: PathBuf, algorithm: Algorithm, reason: String },
}

impl KeyError {
    pub fn user_message(&self, lang: Lang) -> String {
        let m = lang.msg();
        match self {
            KeyError::Exists { path } => fill(&m.key_exists, &[("path", &path.display())]),
            KeyError::Missing { path } => fill(&m.key_missing, &[("path", &path.display())]),
            KeyError::Io { path, source } => fill(&m.key_io, &[("path", &path.display()), ("reason", source)]),
            KeyError::Unusable { path, algorithm: Algorithm::Sm2, reason } => {
                fill(&m.key_unusable_sm2, &[("path", &path.display()), ("reason", reason)])
            }
            KeyError::Unusable { path, reason, .. } => {
                fill(&m.key_unusable, &[("path", &path.display()), ("reason", reason)])
            }
        }
    }
}

/// A level's key pair, loaded.
pub struct SigningKey {
    held: Held,
}

enum Held {
    Ed25519(PrivateKey),
    Sm2 { key: sm2::Sm2Key, user_id: String, comment: String },
}

impl Held {
    /// An SM2 key with the user id and comment of `spec`.
    fn sm2(key: sm2::Sm2Key, spec: &KeySpec) -> Held {
        Held::Sm2 { key, user_id: spec.user_id.clone(), comment: spec.comment.clone() }
    }
}

impl std::fmt::Debug for SigningKey {
    /// Shows the public half only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({})", self.fingerprint())
    }
}

impl SigningKey {
    pub fn algorithm(&self) -> Algorithm {
        match self.held {
            Held::Ed25519(_) => Algorithm::Ed25519,
            Held::Sm2 { .. } => Algorithm::Sm2,
        }
    }

    /// The public half.
    pub fn public(&self) -> SignerKey {
        match &self.held {
            Held::Ed25519(private) => SignerKey::Ssh(private.public_key().clone()),
            Held::Sm2 { key, .. } => SignerKey::Sm2(key.public().clone()),
        }
    }

    /// `SHA256:…` (Ed25519, as `ssh-keygen -l` prints it) or `SM3:…` (SM2).
    pub fn fingerprint(&self) -> String {
        self.public().fingerprint()
    }

    /// The public key as it is shown and trusted: an OpenSSH line with the comment, or
    /// `sm2 <base64>` and the comment.
    pub fn public_line(&self) -> String {
        match &self.held {
            Held::Ed25519(private) => private.public_key().to_openssh().unwrap_or_default(),
            Held::Sm2 { key, comment, .. } => format!("{} {comment}", key.public().to_text()).trim_end().to_string(),
        }
    }

    /// Who signed, as a manifest or notice says it.
    pub fn signer(&self) -> Signer {
        let (public_key, user_id) = match &self.held {
            Held::Ed25519(_) => (self.public_line(), None),
            Held::Sm2 { key, user_id, .. } => {
                (key.public().to_text(), (user_id != sm2::DEFAULT_USER_ID).then(|| user_id.clone()))
            }
        };
        Signer { public_key, fingerprint: self.fingerprint(), user_id }
    }

    /// The hash of the files a manifest it signs lists.
    pub fn digest(&self) -> Digest {
        self.algorithm().digest()
    }

    /// The name of the signature file of the file `signed`.
    pub fn signature_name(&self, signed: &str) -> String {
        format!("{signed}{}", self.algorithm().signature_suffix())
    }

    /// The signature of `message` in the bundle namespace: an SSHSIG (PEM) as
    /// `ssh-keygen -Y sign` makes it, or an SM2 DER as `openssl pkeyutl -sign` makes it.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        self.sign_in(NAMESPACE, message)
    }

    /// The same in another namespace (a city's return notice). An SM2 signature has no
    /// namespace: outside the bundle namespace the namespace is its user id instead (as SSHSIG
    /// binds its namespace), so a notice's signature never checks as a manifest's, with the
    /// stock tool either.
    pub fn sign_in(&self, namespace: &str, message: &[u8]) -> Result<Vec<u8>, String> {
        match &self.held {
            Held::Ed25519(private) => {
                let sig = private.sign(namespace, HashAlg::Sha512, message).map_err(|e| e.to_string())?;
                Ok(sig.to_pem(LineEnding::LF).map_err(|e| e.to_string())?.into_bytes())
            }
            Held::Sm2 { key, user_id, .. } => key.sign(sm2_user_id(namespace, user_id), message),
        }
    }
}

/// The user id of an SM2 signature in `namespace`: the level's own (`configured`) for a bundle,
/// the namespace for anything else.
pub fn sm2_user_id<'a>(namespace: &'a str, configured: &'a str) -> &'a str {
    if namespace == NAMESPACE { configured } else { namespace }
}

/// Makes a new key pair of `spec`'s kind in `dir`, refusing to replace one that is there.
pub fn init(dir: &Path, spec: &KeySpec) -> Result<SigningKey, KeyError> {
    let [private_name, public_name] = spec.algorithm.files();
    let private_path = dir.join(private_name);
    // The private key is the key: a public file without it is what a stop between the two
    // writes leaves (or a stray copy), and is written anew.
    if private_path.exists() {
        return Err(KeyError::Exists { path: private_path });
    }
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let unusable =
        |reason: String| KeyError::Unusable { path: private_path.clone(), algorithm: spec.algorithm, reason };
    let (key, private_text, public_text) = match spec.algorithm {
        Algorithm::Ed25519 => {
            let mut private =
                PrivateKey::random(&mut OsRng, SshAlgorithm::Ed25519).map_err(|e| unusable(e.to_string()))?;
            private.set_comment(&spec.comment);
            let pem = private.to_openssh(LineEnding::LF).map_err(|e| unusable(e.to_string()))?.to_string();
            let public = private.public_key().to_openssh().map_err(|e| unusable(e.to_string()))?;
            (SigningKey { held: Held::Ed25519(private) }, pem, format!("{public}\n"))
        }
        Algorithm::Sm2 => {
            let key = sm2::Sm2Key::generate().map_err(unusable)?;
            let pem = key.to_pem().map_err(unusable)?;
            let public = key.public().to_pem();
            (SigningKey { held: Held::sm2(key, spec) }, pem, public)
        }
    };
    write_private(&private_path, private_text.as_bytes()).map_err(|e| io(&private_path, e))?;
    let public_path = dir.join(public_name);
    crate::files::write_atomically(&public_path, public_text.as_bytes()).map_err(|e| io(&public_path, e))?;
    Ok(key)
}

/// The comment of a new key: who it belongs to, so the city can tell keys apart.
pub fn comment_for(config: &crate::config::Config) -> String {
    use crate::config::Level;
    let (code, above, name) = match config.level {
        Level::County => (&config.county.code, &config.county.city, &config.county.name),
        Level::City => (&config.city.code, &config.city.province, &config.city.name),
        Level::Province => (&config.province.code, &String::new(), &config.province.name),
    };
    let who: Vec<&str> = [code.trim(), above.trim(), name.trim()].into_iter().filter(|s| !s.is_empty()).collect();
    if who.is_empty() { "shenhe".to_string() } else { format!("shenhe {}", who.join(" ")) }
}

/// The key pair of `spec`'s kind in `dir`.
pub fn load(dir: &Path, spec: &KeySpec) -> Result<SigningKey, KeyError> {
    let path = dir.join(spec.algorithm.files()[0]);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(KeyError::Missing { path }),
        Err(source) => return Err(KeyError::Io { path, source }),
    };
    let unusable = |reason: String| KeyError::Unusable { path: path.clone(), algorithm: spec.algorithm, reason };
    match spec.algorithm {
        Algorithm::Ed25519 => {
            let private = PrivateKey::from_openssh(&text).map_err(|e| unusable(e.to_string()))?;
            if private.is_encrypted() || private.algorithm() != SshAlgorithm::Ed25519 {
                return Err(unusable(format!(
                    "{} {}",
                    private.algorithm(),
                    if private.is_encrypted() { "encrypted" } else { "" }
                )));
            }
            Ok(SigningKey { held: Held::Ed25519(private) })
        }
        Algorithm::Sm2 => {
            let key = sm2::Sm2Key::from_pem(&text).map_err(unusable)?;
            Ok(SigningKey { held: Held::sm2(key, spec) })
        }
    }
}

/// The key pair in `dir`, made there first if there is none ("made on first need").
pub fn load_or_init(dir: &Path, spec: &KeySpec) -> Result<SigningKey, KeyError> {
    match load(dir, spec) {
        Err(KeyError::Missing { .. }) => init(dir, spec),
        other => other,
    }
}

/// `SHA256:…`, as `ssh-keygen -l` prints it.
pub fn fingerprint(public: &PublicKey) -> String {
    public.fingerprint(HashAlg::Sha256).to_string()
}

/// The one line a receiver adds to its `allowed_signers` file to trust this level's bundles.
pub fn allowed_signers_line(principal: &str, key: &SigningKey) -> String {
    trust_line(principal, NAMESPACE, &key.public_line(), None)
}

/// An `allowed_signers` line: the principal (quoted when it has to be), the namespace, the
/// end of the key's trust when it has one (`valid-before`, UTC), and the key.
pub fn trust_line(principal: &str, namespace: &str, key: &str, until: Option<chrono::DateTime<chrono::Utc>>) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_.-@".contains(c);
    let principal = if principal.is_empty() || !principal.chars().all(plain) {
        format!("\"{}\"", principal.replace('"', ""))
    } else {
        principal.to_string()
    };
    let until = until.map(|t| format!(",valid-before=\"{}\"", t.format("%Y%m%d%H%M%SZ"))).unwrap_or_default();
    format!("{principal} namespaces=\"{namespace}\"{until} {key}")
}

fn io(path: &Path, source: std::io::Error) -> KeyError {
    KeyError::Io { path: path.to_path_buf(), source }
}

/// Writes the private key so that only its owner can read it, from the moment it exists.
/// Writes the private key owner-only under a temporary name, then renames it (never over an
/// existing key): a stop halfway leaves no key rather than an empty or half one, which every
/// later export would refuse.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let dir = path.parent().unwrap_or(Path::new("."));
    let temp = dir.join(format!(".{name}.{}.partial", std::process::id()));
    let _ = std::fs::remove_file(&temp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    // Windows has no mode bits: a new file takes the ACL of its folder, and the keys folder is
    // under the user's own profile (`directories`: %APPDATA%), which only the user, SYSTEM and
    // the administrators may open. README.md says so for a key kept anywhere else.
    let written = options.open(&temp).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    let published = written.and_then(|()| crate::files::publish(&temp, path, false));
    if published.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    published
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_file_left_without_its_private_key_does_not_block_a_new_key() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(PUBLIC_FILE), "ssh-ed25519 AAAA stray\n").unwrap();
        let key = init(dir.path(), &KeySpec::ed25519("410102")).unwrap();
        let public = std::fs::read_to_string(dir.path().join(PUBLIC_FILE)).unwrap();
        assert_eq!(public.trim(), key.public_line().trim());
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 2, "no temporary file is left: {names:?}");
    }

    #[test]
    fn init_makes_an_owner_only_key_and_refuses_to_overwrite_it() {
        let dir = tempfile::tempdir().unwrap();
        let key = init(dir.path(), &KeySpec::ed25519("410102 中原区")).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(PRIVATE_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let before = std::fs::read(dir.path().join(PRIVATE_FILE)).unwrap();
        assert!(matches!(init(dir.path(), &KeySpec::ed25519("x")), Err(KeyError::Exists { .. })));
        assert_eq!(std::fs::read(dir.path().join(PRIVATE_FILE)).unwrap(), before);
        let loaded = load(dir.path(), &KeySpec::ed25519("x")).unwrap();
        assert_eq!(loaded.fingerprint(), key.fingerprint());
        assert!(key.fingerprint().starts_with("SHA256:"));
    }

    #[test]
    fn a_signature_verifies_with_the_public_key_and_namespace() {
        let dir = tempfile::tempdir().unwrap();
        let key = load_or_init(dir.path(), &KeySpec::ed25519("410102")).unwrap();
        let pem = String::from_utf8(key.sign(b"manifest").unwrap()).unwrap();
        let sig: ssh_key::SshSig = pem.parse().unwrap();
        let SignerKey::Ssh(public) = key.public() else { panic!("an Ed25519 key") };
        assert!(public.verify(NAMESPACE, b"manifest", &sig).is_ok());
        assert!(public.verify(NAMESPACE, b"manifest!", &sig).is_err());
        assert!(public.verify("other", b"manifest", &sig).is_err());
        let line = allowed_signers_line("410102", &key);
        assert!(line.starts_with("410102 namespaces=\"shenhe-bundle\" ssh-ed25519 AAAA"), "{line}");
    }

    #[test]
    fn the_private_key_shows_in_no_debug_or_error_text() {
        let dir = tempfile::tempdir().unwrap();
        let key = init(dir.path(), &KeySpec::ed25519("410102")).unwrap();
        let secret = std::fs::read_to_string(dir.path().join(PRIVATE_FILE)).unwrap();
        let body: String = secret.lines().filter(|l| !l.starts_with("-----")).collect();
        let shown = format!("{key:?}");
        assert!(!shown.contains(&body[..40]) && shown.contains("SHA256:"));
        // A damaged key file: the error names the file and the problem, not the content.
        std::fs::write(dir.path().join(PRIVATE_FILE), format!("{}garbage", &secret[..200])).unwrap();
        let e = load(dir.path(), &KeySpec::ed25519("x")).unwrap_err();
        for lang in [Lang::Zh, Lang::En] {
            let text = e.user_message(lang);
            assert!(text.contains(PRIVATE_FILE) && !text.contains(&body[..40]), "{text}");
        }
    }

    /// The stock tool accepts the signature for the configured principal and namespace, and
    /// nothing else: a city clerk can check a bundle without shenhe. (`.ci/run` installs
    /// openssh-client; without ssh-keygen this test says so and checks nothing.)
    #[test]
    fn ssh_keygen_verifies_the_signature_for_the_county_only() {
        let Ok(probe) = std::process::Command::new("ssh-keygen").arg("-?").output() else {
            eprintln!("ssh-keygen not installed: the interoperability check did not run");
            return;
        };
        drop(probe);
        let dir = tempfile::tempdir().unwrap();
        let key = init(&dir.path().join("keys"), &KeySpec::ed25519("410102")).unwrap();
        let message = "{\"county_code\":\"410102\"}\n".as_bytes();
        std::fs::write(dir.path().join("manifest.json"), message).unwrap();
        std::fs::write(dir.path().join("manifest.json.sig"), key.sign(message).unwrap()).unwrap();
        std::fs::write(dir.path().join("allowed_signers"), allowed_signers_line("410102", &key) + "\n").unwrap();
        let verify = |principal: &str, namespace: &str, file: &str| {
            let input = std::fs::File::open(dir.path().join(file)).unwrap();
            std::process::Command::new("ssh-keygen")
                .current_dir(dir.path())
                .args(["-Y", "verify", "-f", "allowed_signers", "-I", principal, "-n", namespace])
                .args(["-s", "manifest.json.sig"])
                .stdin(input)
                .output()
                .unwrap()
                .status
                .success()
        };
        assert!(verify("410102", NAMESPACE, "manifest.json"));
        assert!(!verify("410103", NAMESPACE, "manifest.json"), "another county");
        assert!(!verify("410102", "file", "manifest.json"), "another namespace");
        std::fs::write(dir.path().join("changed.json"), b"{\"county_code\":\"410103\"}\n").unwrap();
        assert!(!verify("410102", NAMESPACE, "changed.json"), "a changed manifest");
    }

    /// Found in review: an SM2 notice's signature checked as a manifest's with the stock line
    /// (`distid:1234567812345678`). A notice is signed with its namespace as the user id.
    #[test]
    fn an_sm2_notice_signature_never_checks_as_a_bundle_signature() {
        let dir = tempfile::tempdir().unwrap();
        let key = init(dir.path(), &KeySpec::sm2("郑州市")).unwrap();
        let SignerKey::Sm2(public) = key.public() else { panic!("an SM2 key") };
        let notice = key.sign_in(RETURN_NAMESPACE, b"{}").unwrap();
        assert!(public.verifies(RETURN_NAMESPACE, b"{}", &notice));
        assert!(!public.verifies(sm2::DEFAULT_USER_ID, b"{}", &notice));
        let bundle = key.sign(b"{}").unwrap();
        assert!(public.verifies(sm2::DEFAULT_USER_ID, b"{}", &bundle));
        assert!(!public.verifies(RETURN_NAMESPACE, b"{}", &bundle));
    }
}
