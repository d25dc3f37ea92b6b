//! `key rotate`: the level gets a new key and the old one is retired, not destroyed. Its files
//! move to `retired/<UTC time>/` in the keys directory (an Ed25519 one still opens files
//! sealed to it), and its trust line gets `valid-before` the rotation's time: the receiver
//! judges a key as of when it first received that very file (`verify::verify_received`), so
//! what the old key brought in before stays trusted and nothing new it signs is.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::{KeyError, KeySpec, SigningKey, init, io, load};

/// The folder, inside the keys directory, of the keys a level no longer signs with.
pub const RETIRED_DIR: &str = "retired";

pub struct Rotated {
    pub old: SigningKey,
    pub new: SigningKey,
    /// Where the old key's files are now.
    pub retired: PathBuf,
    pub at: DateTime<Utc>,
}

/// Retires the key of `spec`'s kind in `dir` and makes a new one. On a failure to make the new
/// key the old one is put back.
pub fn rotate(dir: &Path, spec: &KeySpec, at: DateTime<Utc>) -> Result<Rotated, KeyError> {
    let old = load(dir, spec)?;
    let stamp = at.format("%Y%m%dT%H%M%SZ").to_string();
    let parent = dir.join(RETIRED_DIR);
    std::fs::create_dir_all(&parent).map_err(|e| io(&parent, e))?;
    // A folder of its own, even for a second rotation within the same second.
    let mut retired = parent.join(&stamp);
    let mut n = 1;
    while let Err(e) = std::fs::create_dir(&retired) {
        if e.kind() != std::io::ErrorKind::AlreadyExists || n >= 100 {
            return Err(io(&retired, e));
        }
        n += 1;
        retired = parent.join(format!("{stamp}-{n}"));
    }
    let files = spec.algorithm.files();
    let mut moved = Vec::new();
    for name in files {
        let (from, to) = (dir.join(name), retired.join(name));
        if from.exists() {
            if let Err(e) = std::fs::rename(&from, &to) {
                put_back(&moved);
                return Err(io(&from, e));
            }
            moved.push((from, to));
        }
    }
    match init(dir, spec) {
        Ok(new) => Ok(Rotated { old, new, retired, at }),
        Err(e) => {
            put_back(&moved);
            Err(e)
        }
    }
}

fn put_back(moved: &[(PathBuf, PathBuf)]) {
    for (from, to) in moved {
        let _ = std::fs::rename(to, from);
    }
}

/// The retired Ed25519 private keys in `dir`, newest first: the keys sealed files may still be
/// encrypted to.
pub fn retired_files(dir: &Path, name: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir.join(RETIRED_DIR)) else { return Vec::new() };
    let mut found: Vec<PathBuf> =
        entries.filter_map(|e| e.ok()).map(|e| e.path().join(name)).filter(|p| p.is_file()).collect();
    found.sort();
    found.reverse();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_keeps_the_old_key_retired_and_makes_a_new_one_of_the_same_kind() {
        for spec in [KeySpec::ed25519("410102"), KeySpec::sm2("410102")] {
            let dir = tempfile::tempdir().unwrap();
            let first = init(dir.path(), &spec).unwrap();
            let at = DateTime::parse_from_rfc3339("2026-12-08T02:00:00Z").unwrap().to_utc();
            let r = rotate(dir.path(), &spec, at).unwrap();
            assert_eq!(r.old.fingerprint(), first.fingerprint());
            assert_ne!(r.new.fingerprint(), first.fingerprint());
            assert_eq!(r.new.algorithm(), spec.algorithm);
            assert_eq!(load(dir.path(), &spec).unwrap().fingerprint(), r.new.fingerprint());
            assert_eq!(load(&r.retired, &spec).unwrap().fingerprint(), first.fingerprint());
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                for d in [dir.path(), r.retired.as_path()] {
                    let mode = std::fs::metadata(d.join(spec.algorithm.files()[0])).unwrap().permissions().mode();
                    assert_eq!(mode & 0o777, 0o600);
                }
            }
            // The same second again: a folder of its own, the first retired key kept.
            let again = rotate(dir.path(), &spec, at).unwrap();
            assert_ne!(again.retired, r.retired);
            assert_eq!(load(&again.retired, &spec).unwrap().fingerprint(), r.new.fingerprint());
            assert_eq!(load(&r.retired, &spec).unwrap().fingerprint(), first.fingerprint());
            // No key yet: nothing to rotate, said as a missing key.
            let empty = tempfile::tempdir().unwrap();
            assert!(matches!(rotate(empty.path(), &spec, at), Err(KeyError::Missing { .. })));
        }
    }
}
