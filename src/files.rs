//! Writing files so that a crash or a full disk never leaves half a file under its final name:
//! write beside it under a temporary name, flush to the disk, then rename (atomic on one file
//! system) and flush the directory so the rename itself survives a power cut.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` into `dir` under a temporary name made from `name`, flushed to the disk.
/// Nothing is left behind when it fails.
pub fn write_temporary(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let temp = dir.join(format!(".{name}.{}.partial", std::process::id()));
    // A file of this very name was left by a process that was stopped and had our process id;
    // no live process writes it but this one.
    match std::fs::remove_file(&temp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&temp)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    if let Err(e) = written {
        drop(file);
        let _ = std::fs::remove_file(&temp);
        return Err(e);
    }
    Ok(temp)
}

/// The temporary files of `name` in `dir` ([`write_temporary`]'s, of any process), such as a
/// process stopped before it published leaves behind.
pub fn temporaries(dir: &Path, name: &str) -> Vec<PathBuf> {
    let (prefix, suffix) = (format!(".{name}."), ".partial");
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| {
            let file = e.file_name();
            let file = file.to_string_lossy();
            file.strip_prefix(&prefix)
                .and_then(|rest| rest.strip_suffix(suffix))
                .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
        })
        .map(|e| e.path())
        .collect();
    found.sort();
    found
}

/// Moves a finished temporary file under its final name, refusing to replace a file there
/// unless `replace`, and makes the rename durable.
pub fn publish(temp: &Path, path: &Path, replace: bool) -> std::io::Result<()> {
    if !replace && path.exists() {
        return Err(std::io::Error::new(std::io::ErrorKind::AlreadyExists, "a file of that name is there"));
    }
    std::fs::rename(temp, path)?;
    // The rename itself is made durable by flushing the folder (POSIX). Windows cannot open a
    // folder as a file without a flag std does not set; NTFS journals the rename (MoveFileEx),
    // and the file's own contents were flushed before it was renamed.
    #[cfg(unix)]
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// Writes `path` whole or not at all, replacing what was there.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = write_temporary(dir, &name, bytes)?;
    publish(&temp, path, true).inspect_err(|_| {
        let _ = std::fs::remove_file(&temp);
    })
}

/// Why a file that arrives was not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadProblem {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A directory, a device such as `/dev/zero`, a pipe: nothing a user means to hand over.
    #[error("not a regular file ({kind})")]
    NotAFile { kind: &'static str },
    /// `bytes` is the size the file system gave, or what was read when the file grew meanwhile.
    #[error("{bytes} bytes, more than the {limit} allowed")]
    TooLarge { bytes: u64, limit: u64 },
}

impl ReadProblem {
    /// What is wrong, in the user's language (the caller's message names the file).
    pub fn user_message(&self, lang: crate::i18n::Lang) -> String {
        let m = lang.msg();
        match self {
            ReadProblem::Io(e) => match e.kind() {
                std::io::ErrorKind::NotFound => m.read_not_found.clone(),
                std::io::ErrorKind::PermissionDenied => m.read_permission_denied.clone(),
                _ => e.to_string(),
            },
            ReadProblem::NotAFile { kind } => {
                let kind = if *kind == "directory" { &m.read_kind_directory } else { &m.read_kind_special };
                crate::i18n::fill(&m.read_not_a_file, &[("kind", kind)])
            }
            ReadProblem::TooLarge { bytes, limit } => crate::i18n::fill(
                &m.read_too_large,
                &[("bytes", bytes), ("limit", limit), ("limit_mib", &mebibytes(*limit))],
            ),
        }
    }
}

/// "64", "2", "0.5": a limit in MiB as people write it.
fn mebibytes(bytes: u64) -> String {
    if bytes.is_multiple_of(1 << 20) { (bytes >> 20).to_string() } else { format!("{:.1}", bytes as f64 / 1_048_576.0) }
}

/// Reads a file that arrives from outside (a sheet, a bundle, a notice) whole, but only if it
/// is a regular file of at most `limit` bytes: the size is checked before a byte is read, and
/// the read stops at `limit + 1` so a file that grows (or lies, as `/proc` files do) cannot
/// take the memory either.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, ReadProblem> {
    use std::io::Read;
    // Before open: opening a pipe would wait for a writer.
    check_regular(&std::fs::metadata(path)?, limit)?;
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    check_regular(&meta, limit)?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0).min(limit as usize));
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(ReadProblem::TooLarge { bytes: bytes.len() as u64, limit });
    }
    Ok(bytes)
}

fn check_regular(meta: &std::fs::Metadata, limit: u64) -> Result<(), ReadProblem> {
    let kind = meta.file_type();
    if kind.is_dir() {
        return Err(ReadProblem::NotAFile { kind: "directory" });
    }
    if !kind.is_file() {
        return Err(ReadProblem::NotAFile { kind: "device or pipe" });
    }
    if meta.len() > limit {
        return Err(ReadProblem::TooLarge { bytes: meta.len(), limit });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_file_is_whole_and_no_temporary_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.zip");
        let temp = write_temporary(dir.path(), "a.zip", b"bundle").unwrap();
        assert!(!path.exists(), "nothing under the final name before publishing");
        publish(&temp, &path, false).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"bundle");
        let temp = write_temporary(dir.path(), "a.zip", b"other").unwrap();
        assert!(publish(&temp, &path, false).is_err(), "an existing file is not replaced");
        assert_eq!(std::fs::read(&path).unwrap(), b"bundle");
        std::fs::remove_file(&temp).unwrap();
        write_atomically(&path, b"replaced").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"replaced");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["a.zip"]);
    }

    #[test]
    fn a_temporary_left_by_a_stopped_process_with_our_id_does_not_block_the_write() {
        let dir = tempfile::tempdir().unwrap();
        let left = dir.path().join(format!(".a.zip.{}.partial", std::process::id()));
        std::fs::write(&left, b"half a bun").unwrap();
        let temp = write_temporary(dir.path(), "a.zip", b"bundle").unwrap();
        assert_eq!(temp, left);
        assert_eq!(std::fs::read(&temp).unwrap(), b"bundle");
    }

    #[test]
    fn temporaries_are_those_of_the_name_only() {
        let dir = tempfile::tempdir().unwrap();
        for name in [".a.zip.12.partial", ".a.zip.7.partial", ".a.zip.x.partial", ".b.zip.12.partial", "a.zip"] {
            std::fs::write(dir.path().join(name), b"").unwrap();
        }
        let found: Vec<_> =
            temporaries(dir.path(), "a.zip").iter().map(|p| p.file_name().unwrap().to_owned()).collect();
        assert_eq!(found, [".a.zip.12.partial", ".a.zip.7.partial"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_read_only_directory_fails_cleanly() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
        let result = write_atomically(&dir.path().join("n.txt"), b"x");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        // Root ignores directory permissions: then the write simply succeeds.
        if result.is_err() {
            assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        }
    }
    #[test]
    fn limits_show_in_whole_mebibytes_when_they_are() {
        assert_eq!(mebibytes(64 << 20), "64");
        assert_eq!(mebibytes(512 << 10), "0.5");
    }

    #[test]
    fn only_a_regular_file_within_the_limit_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.zip");
        std::fs::write(&path, b"12345").unwrap();
        assert_eq!(read_bounded(&path, 5).unwrap(), b"12345");
        assert!(matches!(read_bounded(&path, 4), Err(ReadProblem::TooLarge { bytes: 5, limit: 4 })));
        assert!(matches!(read_bounded(dir.path(), 5), Err(ReadProblem::NotAFile { kind: "directory" })));
        #[cfg(unix)]
        assert!(matches!(read_bounded(Path::new("/dev/zero"), 5), Err(ReadProblem::NotAFile { .. })));
        // A sparse file: its size is refused before anything is read.
        let sparse = dir.path().join("sparse.zip");
        std::fs::File::create(&sparse).unwrap().set_len(3 << 30).unwrap();
        assert!(
            matches!(read_bounded(&sparse, 64 << 20), Err(ReadProblem::TooLarge { bytes, .. }) if bytes == 3 << 30)
        );
    }
}
