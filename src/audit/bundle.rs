//! The audit bundle's layout (`docs/formats.md` section 9), its writer,
//! and what an exporter must fetch to fill it.
//!
//! A bundle is a directory:
//!
//! ```text
//! checkpoint                 the log's signed checkpoint the bundle stops at
//! tile/<L>/<N>[.p/<W>]       hash tiles of that size (tlog-tiles)
//! tile/entries/<N>[.p/<W>]   entry bundles of that size (tlog-tiles)
//! checkpoints/<size>         every checkpoint the server issued up to it
//! cosigned/<size>            those witnesses cosigned, with the cosignatures
//! documents.pack             documents stored beside the log (`super::pack`)
//! bundle.json                what the exporter says the bundle is for
//! ```
//!
//! The first three are exactly a static log of [`crate::staticlog`], so any
//! tlog-tiles client reads them. Bundles of version 1 held the documents
//! as `documents/<sha256 hex>` files, one per document; the verifier still
//! reads them. Nothing in a bundle is trusted by the verifier: everything
//! is checked against the log key given to it.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The attachment a vote note names: an exporter fetches it right after
/// the note (one definition, in the ballot core).
pub use crate::ballot::attachment_of;
use crate::ballot::{CLOSE_KIND, documents_named};
use crate::entry::Entry;
use crate::id::BallotId;
use crate::staticlog::CHECKPOINT_FILE;
use crate::tlog::Hash;
use crate::tlog::tile::Tile;
use crate::vote::VOTE_ENTRY_KIND;

use super::pack::{PACK_FILE, PackError, encode_pack};
use super::witnessed::COSIGNED_DIR;

/// The folder of every checkpoint the server issued, one file per size.
pub const CHECKPOINTS_DIR: &str = "checkpoints";

/// The folder of the documents stored beside the log, one file each
/// named by the lowercase hexadecimal SHA-256 of its bytes: the layout of
/// bundles of version 1, which the verifier still reads. A bundle of
/// version 2 packs them into [`PACK_FILE`].
pub const DOCUMENTS_DIR: &str = "documents";

/// The exporter's description of the bundle.
pub const MANIFEST_FILE: &str = "bundle.json";

/// The version of the bundle's layout, in [`Manifest`]: 2 since the
/// documents are in [`PACK_FILE`] (1: in [`DOCUMENTS_DIR`]).
pub const MANIFEST_VERSION: u32 = 2;

/// `bundle.json`: what the exporter says the bundle is for. Informational
/// only: the verifier reads the ballot id from it when none is given, and
/// checks everything else against the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`MANIFEST_VERSION`].
    pub version: u32,
    /// The group whose log this is.
    pub group: String,
    /// The log's origin.
    pub origin: String,
    /// The ballot the bundle was exported for.
    pub ballot: String,
    /// The size of the bundle's checkpoint.
    pub size: u64,
    /// The log indexes of the entries naming the ballot, ascending.
    pub entries: Vec<u64>,
}

/// Everything a bundle holds, in memory, ready to be written.
#[derive(Debug, Clone, Default)]
pub struct Bundle {
    /// The signed checkpoint the bundle stops at.
    pub checkpoint: Vec<u8>,
    /// Every tile and entry bundle of the checkpoint's size, with its bytes.
    pub tiles: Vec<(Tile, Vec<u8>)>,
    /// Every checkpoint issued up to it: (size, signed checkpoint).
    pub checkpoints: Vec<(u64, Vec<u8>)>,
    /// Those that witnesses cosigned: (size, signed checkpoint followed by
    /// the cosignature lines), in `cosigned/<size>`
    /// ([`super::witnessed::COSIGNED_DIR`]).
    pub cosigned: Vec<(u64, Vec<u8>)>,
    /// The documents (each named by its SHA-256), in the order the replay
    /// of the log asks for them where the writer knows it
    /// ([`in_replay_order`]): they are packed in this order, a second copy
    /// of a document dropped.
    pub documents: Vec<Vec<u8>>,
    /// `bundle.json`.
    pub manifest: Option<Manifest>,
}

/// A bundle could not be made into files: a document cannot be packed.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// A document is too large for [`PACK_FILE`].
    #[error(transparent)]
    Pack(#[from] PackError),
    /// The files do not make an archive.
    #[error(transparent)]
    Tar(#[from] super::tar::TarError),
}

/// A file of a bundle could not be written or read.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {source}")]
pub struct BundleIoError {
    /// The file.
    pub path: PathBuf,
    /// The operating system's error.
    pub source: io::Error,
}

impl Bundle {
    /// Writes the bundle into `dir`, which must not exist or be empty (a
    /// bundle is never merged into another's files). The checkpoint is
    /// written last, so a directory without one is an unfinished export.
    pub fn write(&self, dir: &Path) -> Result<(), BundleIoError> {
        if fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some()) {
            return Err(BundleIoError {
                path: dir.to_owned(),
                source: io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "the directory is not empty: a bundle is written into a new directory",
                ),
            });
        }
        let files = self.files().map_err(|e| BundleIoError {
            path: dir.join(PACK_FILE),
            source: io::Error::new(io::ErrorKind::InvalidInput, e),
        })?;
        write_files(dir, &files)
    }

    /// The bundle's files (relative path, bytes), `checkpoint` last. Fails
    /// only on a document too large to pack.
    pub fn files(&self) -> Result<Vec<(String, Vec<u8>)>, PackError> {
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        for (tile, bytes) in &self.tiles {
            files.push((tile.path(), bytes.clone()));
        }
        for (size, signed) in &self.checkpoints {
            files.push((format!("{CHECKPOINTS_DIR}/{size}"), signed.clone()));
        }
        for (size, cosigned) in &self.cosigned {
            files.push((format!("{COSIGNED_DIR}/{size}"), cosigned.clone()));
        }
        let mut packed = HashSet::new();
        let pack = encode_pack(
            self.documents
                .iter()
                .filter(|d| packed.insert(Hash::sha256(d)))
                .map(Vec::as_slice),
        )?;
        files.push((PACK_FILE.to_owned(), pack));
        if let Some(manifest) = &self.manifest {
            let mut json = serde_json::to_vec_pretty(manifest)
                .expect("invariant: a manifest (strings and numbers) serialises");
            json.push(b'\n');
            files.push((MANIFEST_FILE.to_owned(), json));
        }
        files.push((CHECKPOINT_FILE.to_owned(), self.checkpoint.clone()));
        Ok(files)
    }

    /// The bundle as one ustar archive ([`super::tar`]), `checkpoint` last.
    pub fn to_tar(&self) -> Result<Vec<u8>, BundleError> {
        let files = self.files()?;
        Ok(super::tar::write_tar(
            files.iter().map(|(p, b)| (p.as_str(), b.as_slice())),
        )?)
    }
}

/// Writes files (relative paths, as [`super::tar::read_tar`] checks them)
/// into `dir`, in order.
pub fn write_files(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<(), BundleIoError> {
    let io_error = |path: &Path| {
        let path = path.to_owned();
        move |source| BundleIoError { path, source }
    };
    for (relative, bytes) in files {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(io_error(parent))?;
        }
        fs::write(&path, bytes).map_err(io_error(&path))?;
    }
    Ok(())
}

/// A document the log names, which an exporter fetches for the bundle.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Wanted {
    /// The ballot whose entry names it (the server serves documents per
    /// ballot).
    pub ballot: BallotId,
    /// Its SHA-256.
    pub sha256: Hash,
    /// The log index of the (first) entry that names it: a server stores
    /// a document under it.
    pub entry: u64,
}

/// The documents the replay of `entries` (a whole log, in order) needs, in
/// the order it asks for them, each once: every roll stored beside the
/// log, and the note of every vote of a ballot closed within these entries
/// (the server reveals notes at the close, and the fold needs every note
/// to re-derive a tally). Each note may name an attachment, which the
/// replay asks for right after the note: see [`attachment_of`]. Entries
/// that do not parse are left out (the verifier reports them).
pub fn wanted_documents(entries: &[Entry]) -> Vec<Wanted> {
    let mut wanted = WantedDocuments::default();
    for (index, entry) in (0u64..).zip(entries) {
        wanted.push(index, entry);
    }
    wanted.finish()
}

/// [`wanted_documents`] one entry at a time, for a writer that reads a
/// long log in chunks and keeps none of them: what each entry names is
/// kept (a hash and an index), the entries are not.
#[derive(Debug, Default)]
pub struct WantedDocuments {
    /// The ballots closed so far.
    closed: BTreeSet<BallotId>,
    /// Every document named so far, with whether a vote entry names it
    /// (wanted only if its ballot closes within the entries).
    named: Vec<(Wanted, bool)>,
    /// (ballot, document) pairs already named.
    seen: HashSet<(BallotId, Hash)>,
}

impl WantedDocuments {
    /// Takes the entry at `index`, the next of the log.
    pub fn push(&mut self, index: u64, entry: &Entry) {
        let Some(ballot) = entry.get("ballot").and_then(|b| BallotId::new(b).ok()) else {
            return;
        };
        if entry.kind() == CLOSE_KIND {
            self.closed.insert(ballot.clone());
        }
        let vote = entry.kind() == VOTE_ENTRY_KIND;
        for sha256 in documents_named(entry) {
            if self.seen.insert((ballot.clone(), sha256)) {
                let wanted = Wanted {
                    ballot: ballot.clone(),
                    sha256,
                    entry: index,
                };
                self.named.push((wanted, vote));
            }
        }
    }

    /// The documents wanted, in log order: every one named but the notes
    /// of ballots still open (the server reveals a vote's note only at the
    /// close).
    pub fn finish(self) -> Vec<Wanted> {
        let closed = self.closed;
        self.named
            .into_iter()
            .filter(|(wanted, vote)| !vote || closed.contains(&wanted.ballot))
            .map(|(wanted, _)| wanted)
            .collect()
    }
}

/// `documents` in the order the replay of the log asks for them: those of
/// `wanted` (as [`wanted_documents`] gives them) in its order, each note
/// followed by the attachment it names, then any other document in the
/// order given. For a writer whose documents come in no particular order
/// (a store's), so that the verifier finds them in the pack in log order.
pub fn in_replay_order(wanted: &[Wanted], documents: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    let mut by_hash: HashMap<Hash, Vec<u8>> = HashMap::with_capacity(documents.len());
    let mut others = Vec::new();
    for document in documents {
        let sha256 = Hash::sha256(&document);
        if by_hash.contains_key(&sha256) {
            continue;
        }
        others.push(sha256);
        by_hash.insert(sha256, document);
    }
    let mut ordered = Vec::with_capacity(by_hash.len());
    for w in wanted {
        let Some(note) = by_hash.remove(&w.sha256) else {
            continue;
        };
        let attachment = attachment_of(&note).and_then(|a| by_hash.remove(&a));
        ordered.push(note);
        ordered.extend(attachment);
    }
    ordered.extend(others.iter().filter_map(|h| by_hash.remove(h)));
    ordered
}

/// The log indexes of the entries naming `ballot` in their `ballot` header.
pub fn ballot_entries(entries: &[Entry], ballot: &str) -> Vec<u64> {
    entries
        .iter()
        .enumerate()
        .filter(|(_, e)| e.get("ballot") == Some(ballot))
        .map(|(i, _)| i as u64)
        .collect()
}
