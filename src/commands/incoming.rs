//! Files handed to a command from outside (a county's bundle, the city's return notice): read
//! with [`crate::files::read_bounded`], so a file far too large, a sparse one, a directory or an
//! endless device (`/dev/zero`) is refused before it takes the memory, and said in words. A file
//! sealed to this level with age (`.zip.age`) is opened here, in memory, with the level's own
//! key: the plain bundle never touches the disk.

use std::path::Path;

use crate::bundle::keys::{PRIVATE_FILE, retired_files};
use crate::bundle::sealed::{self, OpenProblem};
use crate::files::ReadProblem;
use crate::i18n::{Lang, fill};

/// Why a file handed to a command was not read, in the user's language (the caller's line
/// names the file).
pub enum NotRead {
    /// Missing, not a regular file, or failing to read, or sealed while this level has no key
    /// to open it: the command cannot work (exit 2, as for any unreadable path).
    Unreadable(String),
    /// Larger than such a file may be, or sealed to another receiver, damaged or wrapping no
    /// bundle: refused as the input it is (exit 1, as an oversized bundle always was).
    Refused(String),
}

/// The file at `path`, if it is a regular file of at most `limit` bytes, opened first if it is
/// sealed to the key in `keys_dir` (or to one it retired).
pub fn read(lang: Lang, path: &Path, limit: u64, keys_dir: &Path) -> Result<Vec<u8>, NotRead> {
    // Read up to what a sealed file of `limit` bytes may be; a file past that is past `limit`
    // whichever it is, and is said to be.
    let bytes = crate::files::read_bounded(path, sealed::sealed_limit(limit)).map_err(|problem| match problem {
        ReadProblem::TooLarge { bytes, .. } => {
            NotRead::Refused(ReadProblem::TooLarge { bytes, limit }.user_message(lang))
        }
        other => NotRead::Unreadable(other.user_message(lang)),
    })?;
    if !sealed::is_sealed(&bytes) {
        if bytes.len() as u64 > limit {
            let too_large = ReadProblem::TooLarge { bytes: bytes.len() as u64, limit };
            return Err(NotRead::Refused(too_large.user_message(lang)));
        }
        return Ok(bytes);
    }
    let m = lang.msg();
    let key_path = keys_dir.join(PRIVATE_FILE);
    let own_key = std::fs::read_to_string(&key_path).map_err(|e| {
        NotRead::Unreadable(fill(&m.sealed_no_own_key, &[("path", &key_path.display()), ("reason", &e)]))
    })?;
    // A key file is a few hundred bytes: a retired one past this is not read.
    const KEY_FILE_BYTES: u64 = 64 << 10;
    let retired: Vec<String> = retired_files(keys_dir, PRIVATE_FILE)
        .iter()
        .filter_map(|path| crate::files::read_bounded(path, KEY_FILE_BYTES).ok())
        .filter_map(|bytes| String::from_utf8(bytes).ok())
        .collect();
    sealed::open(&bytes, &own_key, &retired, limit).map_err(|problem| match problem {
        OpenProblem::OwnKeyUnusable => {
            NotRead::Unreadable(fill(&m.sealed_own_key_unusable, &[("path", &key_path.display())]))
        }
        OpenProblem::NotForThisKey => NotRead::Refused(m.sealed_not_for_us.clone()),
        OpenProblem::Damaged { reason } => {
            NotRead::Refused(fill(&m.sealed_damaged, &[("reason", &crate::i18n::printable(&reason))]))
        }
        OpenProblem::TooLarge { limit } => {
            NotRead::Refused(fill(&m.sealed_too_large, &[("limit", &format!("{:.1} MB", limit as f64 / 1_048_576.0))]))
        }
        OpenProblem::NotABundle => NotRead::Refused(m.sealed_not_a_bundle.clone()),
    })
}
