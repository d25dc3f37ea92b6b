//! Files handed to a command from outside (a county's bundle, the city's return notice): read
//! with [`crate::files::read_bounded`], so a file far too large, a sparse one, a directory or an
//! endless device (`/dev/zero`) is refused before it takes the memory, and said in words.

use std::path::Path;

use crate::files::ReadProblem;
use crate::i18n::{Lang, fill};

/// Why a file handed to a command was not read, in the user's language (the caller's line
/// names the file).
pub enum NotRead {
    /// Missing, not a regular file, or failing to read: the command cannot work (exit 2, as
    /// for any unreadable path).
    Unreadable(String),
    /// Larger than such a file may be: refused as the input it is (exit 1, as an oversized
    /// bundle always was), unread.
    TooLarge(String),
}

/// The file at `path`, if it is a regular file of at most `limit` bytes.
pub fn read(lang: Lang, path: &Path, limit: u64) -> Result<Vec<u8>, NotRead> {
    let m = lang.msg();
    crate::files::read_bounded(path, limit).map_err(|problem| match problem {
        ReadProblem::Io(e) => NotRead::Unreadable(e.to_string()),
        ReadProblem::NotAFile { kind } => {
            let kind = if kind == "directory" { &m.read_kind_directory } else { &m.read_kind_special };
            NotRead::Unreadable(fill(&m.read_not_a_file, &[("kind", kind)]))
        }
        ReadProblem::TooLarge { bytes, limit } => NotRead::TooLarge(fill(
            &m.read_too_large,
            &[("bytes", &bytes), ("limit", &limit), ("limit_mib", &mebibytes(limit))],
        )),
    })
}

/// "64", "2", "0.5": a limit in MiB as people write it.
fn mebibytes(bytes: u64) -> String {
    if bytes.is_multiple_of(1 << 20) { (bytes >> 20).to_string() } else { format!("{:.1}", bytes as f64 / 1_048_576.0) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_show_in_whole_mebibytes_when_they_are() {
        assert_eq!(mebibytes(64 << 20), "64");
        assert_eq!(mebibytes(512 << 10), "0.5");
    }
}
