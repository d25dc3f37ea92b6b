//! A county's bundle with its manifest edited and signed again by the county's own key: what a
//! county (or someone holding its key) could send that no shenhe export writes.
#![allow(dead_code)]

use std::path::Path;

use shenhe::bundle::archive::{self, LIMITS, Opened};
use shenhe::bundle::keys;

/// `bundle` with `edit` applied to its manifest, re-signed with the key in `keys_dir`, in the
/// canonical container dated as the manifest says.
pub fn resigned(bundle: &[u8], keys_dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let mut opened = Opened::new(bundle, LIMITS).unwrap();
    let names = opened.names().to_vec();
    let mut files: Vec<(String, Vec<u8>)> =
        names.iter().map(|n| (n.clone(), opened.read(n, LIMITS.entry_bytes).unwrap())).collect();
    let mut manifest: serde_json::Value = serde_json::from_slice(&files[0].1).unwrap();
    edit(&mut manifest);
    let at = chrono::DateTime::parse_from_rfc3339(manifest["created_at"].as_str().unwrap()).unwrap().naive_local();
    files[0].1 = serde_json::to_vec_pretty(&manifest).unwrap();
    files[1].1 = keys::load(keys_dir, &keys::KeySpec::ed25519("")).unwrap().sign(&files[0].1).unwrap();
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    let deflated = archive::deflate(&refs[2..], at, shenhe::bundle::manifest::Digest::Sha256).unwrap();
    archive::write(&refs[..2], &deflated, at).unwrap()
}

/// `bundle` with the file at `path` replaced by `bytes` (its manifest entry made to match, as a
/// signer who changed it would), `edit` applied to the manifest, re-signed with the key in
/// `keys_dir`.
pub fn resigned_with_file(
    bundle: &[u8],
    keys_dir: &Path,
    path: &str,
    bytes: Vec<u8>,
    edit: impl FnOnce(&mut serde_json::Value),
) -> Vec<u8> {
    let mut opened = Opened::new(bundle, LIMITS).unwrap();
    let names = opened.names().to_vec();
    let mut files: Vec<(String, Vec<u8>)> =
        names.iter().map(|n| (n.clone(), opened.read(n, LIMITS.entry_bytes).unwrap())).collect();
    let at_file = files.iter().position(|(n, _)| n == path).expect("the file is in the bundle");
    files[at_file].1 = bytes;
    let mut manifest: serde_json::Value = serde_json::from_slice(&files[0].1).unwrap();
    let at = chrono::DateTime::parse_from_rfc3339(manifest["created_at"].as_str().unwrap()).unwrap().naive_local();
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    let deflated = archive::deflate(&refs[2..], at, shenhe::bundle::manifest::Digest::Sha256).unwrap();
    let (content, stored) = (&files[at_file].1, &deflated.stored_hashes[at_file - 2]);
    for entry in manifest["files"].as_array_mut().unwrap() {
        if entry["path"] == path {
            entry["bytes"] = content.len().into();
            entry["sha256"] = shenhe::bundle::manifest::sha256_hex(content).into();
            entry["stored_sha256"] = stored.clone().into();
        }
    }
    edit(&mut manifest);
    let signed = serde_json::to_vec_pretty(&manifest).unwrap();
    let signature = keys::load(keys_dir, &keys::KeySpec::ed25519("")).unwrap().sign(&signed).unwrap();
    archive::write(&[("manifest.json", &signed), ("manifest.json.sig", &signature)], &deflated, at).unwrap()
}
