//! Tampering with audit bundles in tests: copying one, reading and
//! rewriting its (single, partial) entry bundle and its documents, turning
//! it into a bundle of version 1 (one file per document), and rebuilding
//! its log under the server's own log key, as a server rewriting its
//! history would.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use scrutineer::audit::bundle::DOCUMENTS_DIR;
use scrutineer::audit::pack::{PACK_FILE, encode_pack, read_pack};
use scrutineer::note::key::SigningKey;
use scrutineer::tlog::Hash;
use scrutineer::tlog::checkpoint::Origin;
use scrutineer::tlog::tile::{decode_bundle, encode_bundle};

use super::world::text;

/// Copies a bundle, for tampering.
pub fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for item in std::fs::read_dir(from).expect("read_dir") {
        let item = item.expect("entry");
        let target = to.join(item.file_name());
        if item.file_type().expect("type").is_dir() {
            copy(&item.path(), &target);
        } else {
            std::fs::copy(item.path(), target).expect("copy");
        }
    }
}

/// The only entry bundle of a small log.
pub fn entry_bundle(dir: &Path) -> (PathBuf, usize) {
    let folder = dir.join("tile/entries/000.p");
    let item = std::fs::read_dir(&folder)
        .expect("a partial entry bundle")
        .next()
        .expect("one")
        .expect("entry");
    let width = item
        .file_name()
        .to_str()
        .expect("UTF-8")
        .parse()
        .expect("a width");
    (item.path(), width)
}

/// Rewrites the first entry of the bundle that `change` changes (the tiles
/// are left as they were).
pub fn rewrite_entry(dir: &Path, change: impl Fn(&str) -> Option<String>) {
    let (path, width) = entry_bundle(dir);
    let mut entries = decode_bundle(&std::fs::read(&path).expect("read"), width).expect("bundle");
    let position = entries
        .iter()
        .position(|e| change(&text(e)).is_some_and(|c| c != text(e)))
        .expect("an entry to change");
    entries[position] = change(&text(&entries[position]))
        .expect("changed")
        .into_bytes();
    let slices: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
    std::fs::write(&path, encode_bundle(&slices).expect("encode")).expect("write");
}

/// The entries of the bundle's only entry bundle.
pub fn entries(dir: &Path) -> Vec<Vec<u8>> {
    let (path, width) = entry_bundle(dir);
    decode_bundle(&std::fs::read(path).expect("read"), width).expect("bundle")
}

/// The documents of the bundle's `documents.pack`, in order.
pub fn documents(dir: &Path) -> Vec<Vec<u8>> {
    let pack = std::fs::read(dir.join(PACK_FILE)).expect("documents.pack");
    read_pack(&pack)
        .expect("a valid pack")
        .into_iter()
        .map(|d| d.bytes)
        .collect()
}

/// Writes `documents` as the bundle's `documents.pack`.
pub fn write_documents(dir: &Path, documents: &[Vec<u8>]) {
    let pack = encode_pack(documents.iter().map(Vec::as_slice)).expect("distinct documents");
    std::fs::write(dir.join(PACK_FILE), pack).expect("write documents.pack");
}

/// Turns the bundle into the layout of version 1: its documents as
/// `documents/<sha256 hex>` files, and no `documents.pack`.
pub fn unpack(dir: &Path) {
    let folder = dir.join(DOCUMENTS_DIR);
    std::fs::create_dir_all(&folder).expect("mkdir documents");
    for document in documents(dir) {
        std::fs::write(folder.join(Hash::sha256(&document).to_hex()), document).expect("write");
    }
    std::fs::remove_file(dir.join(PACK_FILE)).expect("remove documents.pack");
}

/// Builds, in `out`, the static log of `entries` under the log key of the
/// server whose data directory is `data` (the origin's), with `documents`
/// packed beside it.
pub fn resign(data: &Path, origin: &str, entries: &[Vec<u8>], documents: &[Vec<u8>], out: &Path) {
    let origin = Origin::new(origin).expect("an origin");
    let server_key = std::fs::read_to_string(data.join("log.key")).expect("server key");
    let signer = SigningKey::parse(server_key.trim_end())
        .expect("a key")
        .renamed(origin.key_name().clone());
    scrutineer::staticlog::build(out, &signer, &origin, entries).expect("build");
    write_documents(out, documents);
}
