//! The bundle's zip container. Written in one canonical form (entries in the manifest's order,
//! deflated, all dated with the manifest's time, mode 0644, no comments, no extra fields), so
//! that a reader can rebuild the container from its entries and demand the very same bytes:
//! then a change anywhere in the file — a header, a date, padding, bytes appended — is caught,
//! not only a change to a file's content. Reading is bounded: a hostile archive (zip-slip
//! names, duplicates — also names one file on Windows or macOS, alike but for case or Unicode
//! normalisation —, a zip bomb) is refused before anything large is decompressed.

use std::collections::HashMap;
use std::io::{Cursor, Read, Write};

use chrono::{Datelike, NaiveDateTime, Timelike};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use super::manifest::Digest;
use crate::file_names::folded;

/// The mode every entry carries (a plain file anyone may read).
const MODE: u32 = 0o644;

/// The "version made by" the writer gives an entry (zip 1.0 stored, 2.0 deflated), checked on
/// reading: the rebuilt container copies it from the entry, so only this check sees it changed.
fn made_by(method: CompressionMethod) -> (u8, u8) {
    if method == CompressionMethod::Stored { (1, 0) } else { (2, 0) }
}

/// How big a bundle may be before it is refused unread. A county's bundle of 5,000 schools is
/// well under 2 MB; these leave room for a province-sized county and then some.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub bundle_bytes: u64,
    pub entries: usize,
    pub entry_bytes: u64,
    pub total_bytes: u64,
}

pub const LIMITS: Limits =
    Limits { bundle_bytes: 64 << 20, entries: 64, entry_bytes: 128 << 20, total_bytes: 256 << 20 };

/// What is wrong with an archive, before its contents are even looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchiveProblem {
    /// Not a zip archive, or its directory is damaged (the zip library's reason).
    NotAZip(String),
    TooLarge {
        bytes: u64,
        limit: u64,
    },
    TooManyEntries {
        entries: usize,
        limit: usize,
    },
    /// A name that could land outside the folder it is unpacked into, or is not a plain name.
    UnsafeName {
        name: String,
    },
    DuplicateName,
    /// Two names that are one file on Windows or macOS: alike but for case or Unicode
    /// normalisation (`schools.csv`, `Schools.csv`; `é` as one code point and as `e` + accent).
    NamesAlike {
        first: String,
        second: String,
    },
    /// A directory, a link, or an entry with an unusual type or mode.
    NotAPlainFile {
        name: String,
    },
    EntryTooLarge {
        name: String,
        bytes: u64,
        limit: u64,
    },
    TotalTooLarge {
        bytes: u64,
        limit: u64,
    },
    /// The entry's data cannot be read back (bad CRC, bad compressed data, shorter than its
    /// header says): the library's reason.
    Damaged {
        name: String,
        reason: String,
    },
    /// The container differs from the canonical one rebuilt from its entries: bytes outside the
    /// files' contents were changed, added or removed.
    NotCanonical,
}

/// Files compressed once, with the SHA-256 of each one's compressed bytes: the manifest lists
/// those too, because a deflate stream can be changed (spare bits of its last byte) without
/// changing what it inflates to, and no byte of a bundle may change unseen.
pub struct Deflated {
    zip: Vec<u8>,
    /// Per file, in order: the hash (hex) of its bytes as stored in the archive.
    pub stored_hashes: Vec<String>,
}

/// Compresses `files` (name, bytes), dated `at`, and hashes the stored bytes with `digest`.
pub fn deflate(files: &[(&str, &[u8])], at: NaiveDateTime, digest: Digest) -> zip::result::ZipResult<Deflated> {
    let time = zip_time(at)?;
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in files {
        w.start_file(*name, options(CompressionMethod::Deflated, time))?;
        w.write_all(bytes)?;
    }
    let zip = w.finish()?.into_inner();
    let mut archive = ZipArchive::new(Cursor::new(zip.as_slice()))?;
    let mut stored_hashes = Vec::with_capacity(files.len());
    for i in 0..archive.len() {
        let mut raw = Vec::new();
        archive.by_index_raw(i)?.read_to_end(&mut raw)?;
        stored_hashes.push(digest.hex(&raw));
    }
    Ok(Deflated { zip, stored_hashes })
}

/// The bundle's archive: `stored` entries first, uncompressed (the manifest and its signature,
/// whose bytes are signed as they are), then the `deflated` files, in the canonical form.
pub fn write(stored: &[(&str, &[u8])], deflated: &Deflated, at: NaiveDateTime) -> zip::result::ZipResult<Vec<u8>> {
    let time = zip_time(at)?;
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in stored {
        w.start_file(*name, options(CompressionMethod::Stored, time))?;
        w.write_all(bytes)?;
    }
    let mut files = ZipArchive::new(Cursor::new(deflated.zip.as_slice()))?;
    for i in 0..files.len() {
        w.raw_copy_file(files.by_index_raw(i)?)?;
    }
    let first = w.finish()?.into_inner();
    rebuild(&mut ZipArchive::new(Cursor::new(first.as_slice()))?, time)
}

fn options(method: CompressionMethod, time: zip::DateTime) -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(method).last_modified_time(time).unix_permissions(MODE)
}

/// The archive's entries copied, compressed data untouched, into a fresh archive with the
/// canonical dates, modes and layout.
fn rebuild<R: Read + std::io::Seek>(
    archive: &mut ZipArchive<R>,
    time: zip::DateTime,
) -> zip::result::ZipResult<Vec<u8>> {
    let mut out = ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        out.raw_copy_file_touch(archive.by_index_raw(i)?, time, Some(MODE))?;
    }
    Ok(out.finish()?.into_inner())
}

fn zip_time(at: NaiveDateTime) -> zip::result::ZipResult<zip::DateTime> {
    let narrow = |n: u32| u8::try_from(n).unwrap_or(u8::MAX);
    let year = u16::try_from(at.year()).unwrap_or(0);
    zip::DateTime::from_date_and_time(
        year,
        narrow(at.month()),
        narrow(at.day()),
        narrow(at.hour()),
        narrow(at.minute()),
        narrow(at.second()),
    )
    .map_err(|_| zip::result::ZipError::InvalidArchive("date outside what a zip archive can hold".into()))
}

/// An archive that passed the safety checks, held in memory.
pub struct Opened<'a> {
    bytes: &'a [u8],
    archive: ZipArchive<Cursor<&'a [u8]>>,
    names: Vec<String>,
}

impl<'a> Opened<'a> {
    /// Opens `bytes` as an archive and checks every entry's name, type and declared size
    /// against `limits` — without decompressing anything.
    pub fn new(bytes: &'a [u8], limits: Limits) -> Result<Opened<'a>, ArchiveProblem> {
        let size = bytes.len() as u64;
        if size > limits.bundle_bytes {
            return Err(ArchiveProblem::TooLarge { bytes: size, limit: limits.bundle_bytes });
        }
        let mut archive = ZipArchive::new(Cursor::new(bytes)).map_err(|e| ArchiveProblem::NotAZip(e.to_string()))?;
        if archive.has_duplicate_names() {
            return Err(ArchiveProblem::DuplicateName);
        }
        if archive.len() > limits.entries {
            return Err(ArchiveProblem::TooManyEntries { entries: archive.len(), limit: limits.entries });
        }
        let mut names = Vec::with_capacity(archive.len());
        // Each name as Windows and macOS compare names, to the name it was first seen as.
        let mut alike: HashMap<String, String> = HashMap::with_capacity(archive.len());
        let mut total = 0u64;
        for i in 0..archive.len() {
            let entry = archive.by_index_raw(i).map_err(|e| ArchiveProblem::NotAZip(e.to_string()))?;
            let raw = entry.name_raw();
            let name = std::str::from_utf8(raw)
                .ok()
                .filter(|n| is_safe_name(n))
                .ok_or_else(|| ArchiveProblem::UnsafeName { name: String::from_utf8_lossy(raw).into_owned() })?
                .to_string();
            let plain = !entry.is_dir()
                && entry.system() == zip::System::Unix
                && entry.version_made_by() == made_by(entry.compression())
                && !entry.is_symlink()
                && entry.unix_mode() == Some(MODE | 0o100_000)
                && matches!(entry.compression(), CompressionMethod::Deflated | CompressionMethod::Stored)
                && entry.comment().is_empty()
                && entry.extra_data_fields().next().is_none()
                && !entry.encrypted();
            if !plain {
                return Err(ArchiveProblem::NotAPlainFile { name });
            }
            if let Some(first) = alike.insert(folded(&name), name.clone()) {
                return Err(ArchiveProblem::NamesAlike { first, second: name });
            }
            let declared = entry.size();
            if declared > limits.entry_bytes {
                return Err(ArchiveProblem::EntryTooLarge { name, bytes: declared, limit: limits.entry_bytes });
            }
            total = total.saturating_add(declared);
            if total > limits.total_bytes {
                return Err(ArchiveProblem::TotalTooLarge { bytes: total, limit: limits.total_bytes });
            }
            names.push(name);
        }
        if !archive.comment().is_empty() {
            return Err(ArchiveProblem::NotCanonical);
        }
        Ok(Opened { bytes, archive, names })
    }

    /// The entries' names, in archive order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The content of entry `name`, decompressed, reading at most `max` bytes: an entry that
    /// inflates beyond what it declared (a zip bomb) stops there and is refused.
    pub fn read(&mut self, name: &str, max: u64) -> Result<Vec<u8>, ArchiveProblem> {
        let damaged = |reason: String| ArchiveProblem::Damaged { name: name.to_string(), reason };
        let mut entry = self.archive.by_name(name).map_err(|e| damaged(e.to_string()))?;
        let declared = entry.size();
        let limit = declared.min(max);
        let mut out = Vec::with_capacity(usize::try_from(limit).unwrap_or(0).min(1 << 20));
        (&mut entry).take(limit + 1).read_to_end(&mut out).map_err(|e| damaged(e.to_string()))?;
        if out.len() as u64 > limit {
            return Err(if declared > max {
                ArchiveProblem::EntryTooLarge { name: name.to_string(), bytes: declared, limit: max }
            } else {
                damaged(format!("longer than the {declared} bytes it declares"))
            });
        }
        Ok(out)
    }

    /// The entry's compression method and the hash of its bytes as stored (compressed).
    pub fn stored(&mut self, name: &str, digest: Digest) -> Result<(CompressionMethod, String), ArchiveProblem> {
        let damaged =
            |e: zip::result::ZipError| ArchiveProblem::Damaged { name: name.to_string(), reason: e.to_string() };
        let mut entry = self.archive.by_name_raw(name.as_bytes()).map_err(damaged)?;
        let method = entry.compression();
        let mut raw = Vec::new();
        entry.read_to_end(&mut raw).map_err(|e| damaged(e.into()))?;
        Ok((method, digest.hex(&raw)))
    }

    /// True when the file is exactly the canonical archive of its own entries dated `at`.
    pub fn is_canonical(&mut self, at: NaiveDateTime) -> bool {
        let Ok(time) = zip_time(at) else { return false };
        let dated_right = (0..self.archive.len())
            .all(|i| self.archive.by_index_raw(i).is_ok_and(|e| e.last_modified() == Some(time)));
        dated_right && rebuild(&mut self.archive, time).is_ok_and(|again| again == self.bytes)
    }
}

/// A name that unpacks to a plain file inside the target folder on any system: relative,
/// `/`-separated, no `.`/`..`/empty parts, no drive letters, backslashes or control characters.
fn is_safe_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('/')
        && !name.contains(['\\', ':'])
        && !name.chars().any(char::is_control)
        && name.split('/').all(|part| !part.is_empty() && part != "." && part != "..")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 10, 3).unwrap().and_hms_opt(10, 0, 7).unwrap()
    }

    fn sample() -> Vec<u8> {
        let files =
            deflate(&[("说明.txt", "内容".as_bytes()), ("data/a.csv", b"a,b\r\n1,2\r\n")], at(), Digest::Sha256)
                .unwrap();
        write(&[("manifest.json", b"{}")], &files, at()).unwrap()
    }

    #[test]
    fn written_archive_is_canonical_and_reads_back() {
        let bytes = sample();
        let mut opened = Opened::new(&bytes, LIMITS).unwrap();
        assert_eq!(opened.names(), ["manifest.json", "说明.txt", "data/a.csv"]);
        assert_eq!(opened.read("说明.txt", 100).unwrap(), "内容".as_bytes());
        assert!(opened.is_canonical(at()));
        assert!(!opened.is_canonical(at() + chrono::Duration::seconds(2)), "another date is another archive");
        assert_eq!(sample(), sample(), "the same files give the same bytes");
        assert_eq!(opened.stored("manifest.json", Digest::Sha256).unwrap().0, CompressionMethod::Stored);
        assert_eq!(opened.stored("data/a.csv", Digest::Sha256).unwrap().0, CompressionMethod::Deflated);
    }

    #[test]
    fn appended_or_prepended_bytes_break_the_canonical_form() {
        let bytes = sample();
        let mut longer = bytes.clone();
        longer.extend_from_slice(b"junk");
        let mut prefixed = b"MZ".to_vec();
        prefixed.extend_from_slice(&bytes);
        for changed in [longer, prefixed] {
            if let Ok(mut opened) = Opened::new(&changed, LIMITS) {
                assert!(!opened.is_canonical(at()));
            }
        }
    }

    /// The property verification builds on: no single changed byte leaves the container
    /// canonical and every entry's content and stored bytes as they were.
    #[test]
    fn every_changed_byte_is_seen() {
        let bytes = sample();
        let contents = |b: &[u8]| -> Option<Vec<(Vec<u8>, String)>> {
            let mut opened = Opened::new(b, LIMITS).ok()?;
            if !opened.is_canonical(at()) {
                return None;
            }
            let names = opened.names().to_vec();
            names
                .iter()
                .map(|n| Some((opened.read(n, 1 << 20).ok()?, opened.stored(n, Digest::Sha256).ok()?.1)))
                .collect()
        };
        let original = contents(&bytes).unwrap();
        for i in 0..bytes.len() {
            let mut changed = bytes.clone();
            changed[i] ^= 0x01;
            assert_ne!(contents(&changed).as_ref(), Some(&original), "byte {i} of {}", bytes.len());
        }
    }

    #[test]
    fn unsafe_names_are_refused() {
        for name in ["../evil.txt", "/etc/passwd", "a/../../b", "C:/x", "a\\..\\b", "a//b", "./a", "a/", "x\u{1}"] {
            assert!(!is_safe_name(name), "{name}");
        }
        for name in ["manifest.json", "说明.txt", "data/schools.csv"] {
            assert!(is_safe_name(name), "{name}");
        }
    }

    /// Names one file on Windows or macOS: unpacked there, the second would overwrite the first.
    #[test]
    fn names_alike_but_for_case_or_normalisation_are_refused() {
        for (first, second) in
            [("schools.csv", "Schools.csv"), ("data/\u{e9}.csv", "data/e\u{301}.csv"), ("a/x", "A/x")]
        {
            let bytes =
                write(&[], &deflate(&[(first, b"1"), (second, b"2")], at(), Digest::Sha256).unwrap(), at()).unwrap();
            let refused = Opened::new(&bytes, LIMITS).err();
            let both = ArchiveProblem::NamesAlike { first: first.to_string(), second: second.to_string() };
            assert_eq!(refused, Some(both), "{first:?} and {second:?}");
        }
        let bytes =
            write(&[], &deflate(&[("a.csv", b"1"), ("b.csv", b"2")], at(), Digest::Sha256).unwrap(), at()).unwrap();
        assert!(Opened::new(&bytes, LIMITS).is_ok());
    }

    #[test]
    fn a_reader_stops_at_its_limit() {
        let zeros = vec![0u8; 1 << 20];
        let bytes = write(&[], &deflate(&[("big.bin", &zeros)], at(), Digest::Sha256).unwrap(), at()).unwrap();
        assert!(bytes.len() < 10_000, "a megabyte of zeros deflates to a few KB");
        let mut opened = Opened::new(&bytes, LIMITS).unwrap();
        assert!(matches!(opened.read("big.bin", 1000), Err(ArchiveProblem::EntryTooLarge { .. })));
        let small = Limits { entry_bytes: 1000, ..LIMITS };
        assert!(matches!(Opened::new(&bytes, small), Err(ArchiveProblem::EntryTooLarge { .. })));
    }
}
