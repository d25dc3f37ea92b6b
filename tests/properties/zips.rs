//! Zip archives taken apart and put back as a test wants them, duplicate names included.

use std::io::{Read, Write};

/// A zip's entries: name, content, compressed or not.
pub type Entries = Vec<(String, Vec<u8>, bool)>;

pub fn entries_of(zip_bytes: &[u8]) -> Entries {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut entry = archive.by_index(i).unwrap();
            let mut content = Vec::new();
            entry.read_to_end(&mut content).unwrap();
            (
                String::from_utf8_lossy(entry.name_raw()).into_owned(),
                content,
                entry.compression() != zip::CompressionMethod::Stored,
            )
        })
        .collect()
}

/// The entries zipped as given: names the zip writer refuses twice are written under a
/// placeholder of the same length and put back in the finished bytes.
pub fn zipped(entries: &Entries) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut renamed = Vec::new();
    for (i, (name, content, deflated)) in entries.iter().enumerate() {
        let method = if *deflated { zip::CompressionMethod::Deflated } else { zip::CompressionMethod::Stored };
        let options = zip::write::SimpleFileOptions::default().compression_method(method);
        let placeholder = format!("{i:\u{7}>width$}", width = name.len().max(1));
        let written = if entries[..i].iter().any(|e| e.0 == *name) && name.len() >= 4 {
            renamed.push((placeholder.clone(), name.clone()));
            w.start_file(placeholder.as_str(), options)
        } else {
            w.start_file(name.as_str(), options)
        };
        if written.is_ok() {
            w.write_all(content).unwrap();
        }
    }
    let mut bytes = w.finish().unwrap().into_inner();
    for (placeholder, name) in renamed {
        let (from, to) = (placeholder.as_bytes(), name.as_bytes());
        let mut i = 0;
        while i + from.len() <= bytes.len() {
            if &bytes[i..i + from.len()] == from {
                bytes[i..i + from.len()].copy_from_slice(to);
            }
            i += 1;
        }
    }
    bytes
}
