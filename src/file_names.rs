//! File names as Windows and macOS compare them: case-insensitively and (macOS) whatever the
//! Unicode normalisation, so `AB01.txt` and `ab01.txt`, or `é` written as one code point and
//! as `e` + accent, are one file there. Two names that are one file on the clerk's machine must
//! never both be written (or unpacked): one would silently replace the other.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use unicode_normalization::UnicodeNormalization;

/// The form two names share when those systems take them for one file: NFC, then Unicode
/// lowercase. (Close to, not exactly, each file system's own table; it errs towards "the
/// same".)
pub fn folded(name: &str) -> String {
    name.nfc().collect::<String>().to_lowercase()
}

/// The names one run writes into a folder, each one a file of its own on any system: unique,
/// compared [`folded`], among themselves and against the files the folder already has.
pub struct FolderNames {
    /// Folded names this run has taken.
    taken: HashSet<String>,
    /// The folder's files when the run began: folded name → the names as they are.
    present: HashMap<String, Vec<String>>,
}

impl FolderNames {
    /// The names of `dir` as they are now; a folder not there yet has none.
    pub fn in_dir(dir: &Path) -> std::io::Result<FolderNames> {
        let mut present: HashMap<String, Vec<String>> = HashMap::new();
        match std::fs::read_dir(dir) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
            Ok(entries) => {
                for entry in entries {
                    let name = entry?.file_name().to_string_lossy().into_owned();
                    present.entry(folded(&name)).or_default().push(name);
                }
            }
        }
        Ok(FolderNames { taken: HashSet::new(), present })
    }

    /// A stem free for a file of each of `extensions`: `stem` itself, else `stem_2`, `stem_3`…
    /// A name is free when this run has not taken it and the folder has no other file that is
    /// the same file on Windows or macOS. A file of exactly that name is taken for an earlier
    /// run's (the same school's notice made again) and may be replaced, as before.
    pub fn claim(&mut self, stem: &str, extensions: &[&str]) -> String {
        let names = |stem: &str| extensions.iter().map(|ext| format!("{stem}.{ext}")).collect::<Vec<_>>();
        let free = |name: &String| {
            let key = folded(name);
            !self.taken.contains(&key) && self.present.get(&key).is_none_or(|there| there.iter().all(|t| t == name))
        };
        let mut candidate = stem.to_string();
        for n in 2.. {
            if names(&candidate).iter().all(free) {
                break;
            }
            candidate = format!("{stem}_{n}");
        }
        for name in names(&candidate) {
            self.taken.insert(folded(&name));
        }
        candidate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_and_normalisation_fold_away() {
        assert_eq!(folded("Schools.CSV"), folded("schools.csv"));
        assert_eq!(folded("\u{e9}.csv"), folded("e\u{301}.csv"));
        assert_ne!(folded("a.csv"), folded("b.csv"));
    }

    #[test]
    fn claimed_stems_are_one_file_each_on_any_system() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("aB01.txt"), b"theirs").unwrap();
        std::fs::write(dir.path().join("cd02.txt"), b"an earlier run's").unwrap();
        let mut names = FolderNames::in_dir(dir.path()).unwrap();
        let ext = ["txt", "xlsx"];
        assert_eq!(names.claim("AB01", &ext), "AB01_2", "the folder's aB01.txt is that file on Windows");
        assert_eq!(names.claim("ab01", &ext), "ab01_3");
        assert_eq!(names.claim("cd02", &ext), "cd02", "exactly its name: made again");
        assert_eq!(names.claim("CD02", &ext), "CD02_2");
        assert_eq!(names.claim("x", &ext), "x");
        assert_eq!(names.claim("x", &ext), "x_2");
        let missing = FolderNames::in_dir(&dir.path().join("not yet")).unwrap();
        assert!(missing.present.is_empty());
    }
}
