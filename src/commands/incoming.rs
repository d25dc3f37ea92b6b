//! Files handed to a command from outside (a county's bundle, the city's return notice): read
//! with [`crate::files::read_bounded`], so a file far too large, a sparse one, a directory or an
//! endless device (`/dev/zero`) is refused before it takes the memory, and said in words.

use std::path::Path;

use crate::files::ReadProblem;
use crate::i18n::Lang;

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
    crate::files::read_bounded(path, limit).map_err(|problem| match problem {
        ReadProblem::TooLarge { .. } => NotRead::TooLarge(problem.user_message(lang)),
        other => NotRead::Unreadable(other.user_message(lang)),
    })
}
