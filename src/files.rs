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
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&temp)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    if let Err(e) = written {
        drop(file);
        let _ = std::fs::remove_file(&temp);
        return Err(e);
    }
    Ok(temp)
}

/// Moves a finished temporary file under its final name, refusing to replace a file there
/// unless `replace`, and makes the rename durable.
pub fn publish(temp: &Path, path: &Path, replace: bool) -> std::io::Result<()> {
    if !replace && path.exists() {
        return Err(std::io::Error::new(std::io::ErrorKind::AlreadyExists, "a file of that name is there"));
    }
    std::fs::rename(temp, path)?;
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
}
