//! The county's signing key (PRODUCT.md §6): an Ed25519 key pair in OpenSSH format in the
//! keys directory, the private half readable by its owner only, made on first need. The city
//! trusts it through one `allowed_signers` line; the stock `ssh-keygen -Y verify` accepts the
//! same signatures. The private key never leaves its file: no message, log or bundle shows it.

use std::path::{Path, PathBuf};

use ssh_key::{Algorithm, HashAlg, LineEnding, PrivateKey, PublicKey, rand_core::OsRng};

use crate::i18n::{Lang, fill};

/// The SSHSIG namespace of every bundle signature.
pub const NAMESPACE: &str = "shenhe-bundle";
/// The namespace of a city's return notice: a bundle's signature can never pass for one.
pub const RETURN_NAMESPACE: &str = "shenhe-return";
/// File names of the key pair in the keys directory.
pub const PRIVATE_FILE: &str = "shenhe_ed25519";
pub const PUBLIC_FILE: &str = "shenhe_ed25519.pub";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{path}: a key is already there")]
    Exists { path: PathBuf },
    #[error("{path}: no key yet")]
    Missing { path: PathBuf },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// The file is not an unencrypted Ed25519 key in OpenSSH format. The reason names the
    /// format problem only, never the file's content.
    #[error("{path}: not a usable Ed25519 key ({reason})")]
    Unusable { path: PathBuf, reason: String },
}

impl KeyError {
    pub fn user_message(&self, lang: Lang) -> String {
        let m = lang.msg();
        match self {
            KeyError::Exists { path } => fill(&m.key_exists, &[("path", &path.display())]),
            KeyError::Missing { path } => fill(&m.key_missing, &[("path", &path.display())]),
            KeyError::Io { path, source } => fill(&m.key_io, &[("path", &path.display()), ("reason", source)]),
            KeyError::Unusable { path, reason } => {
                fill(&m.key_unusable, &[("path", &path.display()), ("reason", reason)])
            }
        }
    }
}

/// The county's key pair, loaded.
pub struct SigningKey {
    private: PrivateKey,
}

impl std::fmt::Debug for SigningKey {
    /// Shows the public half only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({})", fingerprint(self.private.public_key()))
    }
}

impl SigningKey {
    pub fn public(&self) -> &PublicKey {
        self.private.public_key()
    }

    /// An SSHSIG signature (PEM) of `message` in the bundle namespace, as `ssh-keygen -Y sign`
    /// makes it.
    pub fn sign(&self, message: &[u8]) -> Result<String, ssh_key::Error> {
        self.sign_in(NAMESPACE, message)
    }

    /// The same in another namespace (a city's return notice).
    pub fn sign_in(&self, namespace: &str, message: &[u8]) -> Result<String, ssh_key::Error> {
        self.private.sign(namespace, HashAlg::Sha512, message)?.to_pem(LineEnding::LF)
    }
}

/// Makes a new key pair in `dir`, refusing to replace one that is there. `comment` goes into
/// the public key (the county, so the city can tell keys apart).
pub fn init(dir: &Path, comment: &str) -> Result<SigningKey, KeyError> {
    let private_path = dir.join(PRIVATE_FILE);
    // The private key is the key: a public file without it is what a stop between the two
    // writes leaves (or a stray copy), and is written anew.
    if private_path.exists() {
        return Err(KeyError::Exists { path: private_path });
    }
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let unusable =
        |reason: ssh_key::Error| KeyError::Unusable { path: private_path.clone(), reason: reason.to_string() };
    let mut private = PrivateKey::random(&mut OsRng, Algorithm::Ed25519).map_err(unusable)?;
    private.set_comment(comment);
    let pem = private.to_openssh(LineEnding::LF).map_err(unusable)?;
    write_private(&private_path, pem.as_bytes()).map_err(|e| io(&private_path, e))?;
    let public = private.public_key().to_openssh().map_err(unusable)?;
    let public_path = dir.join(PUBLIC_FILE);
    crate::files::write_atomically(&public_path, format!("{public}\n").as_bytes()).map_err(|e| io(&public_path, e))?;
    Ok(SigningKey { private })
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

/// The key pair in `dir`.
pub fn load(dir: &Path) -> Result<SigningKey, KeyError> {
    let path = dir.join(PRIVATE_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(KeyError::Missing { path }),
        Err(source) => return Err(KeyError::Io { path, source }),
    };
    let unusable = |reason: String| KeyError::Unusable { path: path.clone(), reason };
    let private = PrivateKey::from_openssh(&text).map_err(|e| unusable(e.to_string()))?;
    if private.is_encrypted() || private.algorithm() != Algorithm::Ed25519 {
        return Err(unusable(format!(
            "{} {}",
            private.algorithm(),
            if private.is_encrypted() { "encrypted" } else { "" }
        )));
    }
    Ok(SigningKey { private })
}

/// The key pair in `dir`, made there first if there is none ("made on first need").
pub fn load_or_init(dir: &Path, comment: &str) -> Result<SigningKey, KeyError> {
    match load(dir) {
        Err(KeyError::Missing { .. }) => init(dir, comment),
        other => other,
    }
}

/// `SHA256:…`, as `ssh-keygen -l` prints it.
pub fn fingerprint(public: &PublicKey) -> String {
    public.fingerprint(HashAlg::Sha256).to_string()
}

/// The one line a city adds to its `allowed_signers` file to trust this county's bundles.
pub fn allowed_signers_line(principal: &str, public: &PublicKey) -> String {
    let key = public.to_openssh().unwrap_or_default();
    format!("{principal} namespaces=\"{NAMESPACE}\" {key}")
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
        let key = init(dir.path(), "410102").unwrap();
        let public = std::fs::read_to_string(dir.path().join(PUBLIC_FILE)).unwrap();
        assert_eq!(public.trim(), key.private.public_key().to_openssh().unwrap().trim());
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 2, "no temporary file is left: {names:?}");
    }

    #[test]
    fn init_makes_an_owner_only_key_and_refuses_to_overwrite_it() {
        let dir = tempfile::tempdir().unwrap();
        let key = init(dir.path(), "410102 中原区").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(PRIVATE_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let before = std::fs::read(dir.path().join(PRIVATE_FILE)).unwrap();
        assert!(matches!(init(dir.path(), "x"), Err(KeyError::Exists { .. })));
        assert_eq!(std::fs::read(dir.path().join(PRIVATE_FILE)).unwrap(), before);
        let loaded = load(dir.path()).unwrap();
        assert_eq!(fingerprint(loaded.public()), fingerprint(key.public()));
        assert!(fingerprint(key.public()).starts_with("SHA256:"));
    }

    #[test]
    fn a_signature_verifies_with_the_public_key_and_namespace() {
        let dir = tempfile::tempdir().unwrap();
        let key = load_or_init(dir.path(), "410102").unwrap();
        let pem = key.sign(b"manifest").unwrap();
        let sig: ssh_key::SshSig = pem.parse().unwrap();
        assert!(key.public().verify(NAMESPACE, b"manifest", &sig).is_ok());
        assert!(key.public().verify(NAMESPACE, b"manifest!", &sig).is_err());
        assert!(key.public().verify("other", b"manifest", &sig).is_err());
        let line = allowed_signers_line("410102", key.public());
        assert!(line.starts_with("410102 namespaces=\"shenhe-bundle\" ssh-ed25519 AAAA"), "{line}");
    }

    #[test]
    fn the_private_key_shows_in_no_debug_or_error_text() {
        let dir = tempfile::tempdir().unwrap();
        let key = init(dir.path(), "410102").unwrap();
        let secret = std::fs::read_to_string(dir.path().join(PRIVATE_FILE)).unwrap();
        let body: String = secret.lines().filter(|l| !l.starts_with("-----")).collect();
        let shown = format!("{key:?}");
        assert!(!shown.contains(&body[..40]) && shown.contains("SHA256:"));
        // A damaged key file: the error names the file and the problem, not the content.
        std::fs::write(dir.path().join(PRIVATE_FILE), format!("{}garbage", &secret[..200])).unwrap();
        let e = load(dir.path()).unwrap_err();
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
        let key = init(&dir.path().join("keys"), "410102").unwrap();
        let message = "{\"county_code\":\"410102\"}\n".as_bytes();
        std::fs::write(dir.path().join("manifest.json"), message).unwrap();
        std::fs::write(dir.path().join("manifest.json.sig"), key.sign(message).unwrap()).unwrap();
        std::fs::write(dir.path().join("allowed_signers"), allowed_signers_line("410102", key.public()) + "\n")
            .unwrap();
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
}
