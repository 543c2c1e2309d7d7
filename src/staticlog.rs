//! A transparency log published as static files in the C2SP tlog-tiles
//! layout: built (and extended) from a list of entries, proved, and verified
//! from a directory.
//!
//! The directory holds `checkpoint` (a signed C2SP checkpoint), hash tiles
//! `tile/<L>/<N>[.p/<W>]` and entry bundles `tile/entries/<N>[.p/<W>]`. It is
//! the archival format of a group's log: anyone can serve it with a plain web
//! server, and standard clients (Go's `golang.org/x/mod/sumdb/tlog` through a
//! path adapter, see `tests/go/tlogread`) can read it.
//!
//! Crash story of [`build`]: every file is written to a temporary name,
//! flushed, and renamed into place; tiles first, the checkpoint last. A crash
//! before the checkpoint's rename leaves the previous checkpoint, and every
//! tile it names is unchanged (full tiles never change, and the partial tiles
//! of the old size keep their old paths). A crash after it leaves the new log
//! complete.

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use crate::note::key::{SigningKey, VerifierKey};
use crate::note::signed::{Limits, Note};
use crate::tlog::checkpoint::{
    Checkpoint, CheckpointError, Origin, open_checkpoint, sign_checkpoint,
};
use crate::tlog::proof::{ProofError, consistency_proof, inclusion_proof, verify_consistency};
use crate::tlog::receipt::{Receipt, ReceiptError};
use crate::tlog::tile::{
    BundleError, MAX_ENTRY_LEN, Tile, TileKind, TileVerifyError, decode_bundle, encode_bundle,
    parse_tile_data, read_tile, tiles_for_size, verify_tiles,
};
use crate::tlog::tree::{MemoryHashes, TreeError};
use crate::tlog::{Hash, LeafIndex, TreeSize, leaf_hash};

/// The name of the checkpoint file inside a log directory (tlog-tiles).
pub const CHECKPOINT_FILE: &str = "checkpoint";

/// Why a static log could not be built, proved or verified.
#[derive(Debug, thiserror::Error)]
pub enum StaticLogError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// A line of the entries file cannot be an entry.
    #[error("line {line} of the entries file: {reason}")]
    BadEntry {
        /// The 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// The directory has no checkpoint.
    #[error("{0} has no checkpoint: it is not a published log")]
    NoCheckpoint(PathBuf),
    /// The checkpoint is malformed, not signed by the key, or of another
    /// origin.
    #[error("checkpoint: {0}")]
    Checkpoint(#[from] CheckpointError),
    /// The published log is not a prefix of the entries given.
    #[error(
        "the entries do not extend the published log: it has {published} entries and entry {index} differs"
    )]
    NotAnExtension {
        /// The size of the published log.
        published: u64,
        /// The first index whose entry differs (or is missing).
        index: u64,
    },
    /// A tile or entry bundle does not belong to the checkpoint's root.
    #[error("{0}")]
    Tiles(#[from] TileVerifyError),
    /// The directory's hashes do not produce the root its checkpoint signs.
    #[error("the tiles of {0} do not hash to the root of its checkpoint")]
    RootMismatch(PathBuf),
    /// An entry index outside the log.
    #[error("entry {index} is outside the log of {size} entries")]
    IndexOutOfRange {
        /// The index asked for.
        index: u64,
        /// The log's size.
        size: u64,
    },
    /// A proof could not be made or did not verify.
    #[error("proof: {0}")]
    Proof(#[from] ProofError),
    /// The tree could not be read.
    #[error("tree: {0}")]
    Tree(#[from] TreeError),
    /// An entry bundle is malformed.
    #[error("entry bundle: {0}")]
    Bundle(#[from] BundleError),
    /// A receipt could not be built.
    #[error("receipt: {0}")]
    Receipt(#[from] ReceiptError),
}

/// What [`build`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildReport {
    /// The size of the log that was published before, 0 if none.
    pub previous_size: TreeSize,
    /// The size of the log now published.
    pub size: TreeSize,
    /// Its root.
    pub root: Hash,
    /// How many tile and bundle files were written or rewritten.
    pub files_written: usize,
}

/// What [`verify`] checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// The log's origin, from the verified checkpoint.
    pub origin: Origin,
    /// The verified checkpoint's size.
    pub size: TreeSize,
    /// The verified checkpoint's root.
    pub root: Hash,
    /// How many tiles and bundles were checked against the root.
    pub tiles: usize,
}

/// Splits the bytes of an entries file into entries: one per line, the
/// newline not part of the entry; a last line without a newline is an entry
/// too. A carriage return is refused (a CRLF file would otherwise publish
/// entries that end in `\r`, which nobody intends), and so is a line longer
/// than a bundle can hold.
pub fn parse_entries(bytes: &[u8]) -> Result<Vec<Vec<u8>>, StaticLogError> {
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    body.split(|&b| b == b'\n')
        .enumerate()
        .map(|(i, line)| {
            let bad = |reason: String| StaticLogError::BadEntry {
                line: i + 1,
                reason,
            };
            if line.contains(&b'\r') {
                return Err(bad(
                    "contains a carriage return (convert the file to LF line ends)".into(),
                ));
            }
            if line.len() > MAX_ENTRY_LEN {
                return Err(bad(format!(
                    "is {} bytes, more than the {MAX_ENTRY_LEN}-byte limit of an entry",
                    line.len()
                )));
            }
            Ok(line.to_vec())
        })
        .collect()
}

/// Publishes `entries` as the log of `origin` in `dir`, signed by `key`.
///
/// If `dir` already holds a log, it must be signed by `key` and its entries
/// must be the first entries given: the same tree is then extended, so its
/// old checkpoints stay consistent with the new one. Anything else is
/// refused before a file is written.
pub fn build(
    dir: &Path,
    key: &SigningKey,
    origin: &Origin,
    entries: &[Vec<u8>],
) -> Result<BuildReport, StaticLogError> {
    // Step 1: what is published already, verified with our own key. A
    // directory of another log (another key or origin) is refused here.
    let previous = match read_optional(&dir.join(CHECKPOINT_FILE))? {
        Some(bytes) => {
            let checkpoint = open_checkpoint(&bytes, &key.verifier_key())?.into_inner();
            if checkpoint.origin() != origin {
                return Err(CheckpointError::KeyNotOrigin {
                    key: key.name().clone(),
                    origin: checkpoint.origin().clone(),
                }
                .into());
            }
            Some(checkpoint)
        }
        None => None,
    };
    let previous_size = previous.as_ref().map_or(TreeSize::ZERO, Checkpoint::size);

    // Step 2: the published entries must be a prefix of ours.
    check_prefix(dir, previous_size, entries)?;

    // Step 3: the whole tree, in memory. The published root must be the root
    // of our prefix, or the directory is not what its checkpoint says.
    let leaves: Vec<Hash> = entries.iter().map(|e| leaf_hash(e)).collect();
    let hashes = MemoryHashes::from_leaf_hashes(&leaves);
    if let Some(previous) = &previous {
        let prefix = crate::tlog::tree::tree_hash(previous_size, &hashes)?;
        if prefix != *previous.root() {
            return Err(StaticLogError::RootMismatch(dir.to_owned()));
        }
    }
    let size = hashes.size();

    // Step 4: every tile of the new size, written where its content differs
    // from what is on disk. Full tiles of the old size are unchanged, so in
    // practice this writes the new tiles and the new partial ones. A crash in
    // this step leaves the old checkpoint valid: it names none of these
    // paths except unchanged full tiles.
    let mut files_written = 0;
    for tile in tiles_for_size(size) {
        let content = match tile.kind() {
            TileKind::Entries => {
                let start = usize::try_from(tile.index() * 256)
                    .expect("invariant: the tile indexes an in-memory vector");
                let slice: Vec<&[u8]> = entries[start..start + usize::from(tile.width())]
                    .iter()
                    .map(Vec::as_slice)
                    .collect();
                encode_bundle(&slice)?
            }
            TileKind::Hash { .. } => read_tile(&tile, &hashes)?,
        };
        let path = dir.join(tile.path());
        if read_optional(&path)?.as_deref() != Some(content.as_slice()) {
            write_atomically(&path, &content)?;
            files_written += 1;
        }
    }

    // Step 5: the checkpoint, last. Once it is renamed into place the new
    // log is published; before that, the old one still is.
    let root = hashes.root();
    let checkpoint = Checkpoint::new(origin.clone(), size, root, Vec::new())?;
    let signed = sign_checkpoint(&checkpoint, key)?;
    write_atomically(&dir.join(CHECKPOINT_FILE), &signed)?;
    Ok(BuildReport {
        previous_size,
        size,
        root,
        files_written,
    })
}

/// Checks that the entries published in `dir` (a log of `size`) are the
/// first entries of `entries`.
fn check_prefix(dir: &Path, size: TreeSize, entries: &[Vec<u8>]) -> Result<(), StaticLogError> {
    let not_extension = |index: u64| StaticLogError::NotAnExtension {
        published: size.get(),
        index,
    };
    if (entries.len() as u64) < size.get() {
        return Err(not_extension(entries.len() as u64));
    }
    for tile in tiles_for_size(size) {
        if tile.kind() != TileKind::Entries {
            continue;
        }
        let bytes = read_required(&dir.join(tile.path()))?;
        let published = decode_bundle(&bytes, usize::from(tile.width()))?;
        let start = tile.index() * 256;
        for (offset, entry) in published.iter().enumerate() {
            let index = start + offset as u64;
            let ours = usize::try_from(index)
                .ok()
                .and_then(|i| entries.get(i))
                .ok_or_else(|| not_extension(index))?;
            if ours != entry {
                return Err(not_extension(index));
            }
        }
    }
    Ok(())
}

/// Verifies the log in `dir` end to end: the checkpoint's signature by
/// `log_key` (whose name must be the origin), every hash tile against the
/// root, and every entry against its leaf hash.
pub fn verify(dir: &Path, log_key: &VerifierKey) -> Result<VerifyReport, StaticLogError> {
    let checkpoint = read_checkpoint(dir, log_key)?;
    let mut tiles = 0;
    verify_tiles(checkpoint.size(), checkpoint.root(), |tile| {
        tiles += 1;
        fs::read(dir.join(tile.path())).ok()
    })?;
    Ok(VerifyReport {
        origin: checkpoint.origin().clone(),
        size: checkpoint.size(),
        root: *checkpoint.root(),
        tiles,
    })
}

/// Reads and verifies the checkpoint of the log in `dir`.
pub fn read_checkpoint(dir: &Path, log_key: &VerifierKey) -> Result<Checkpoint, StaticLogError> {
    let path = dir.join(CHECKPOINT_FILE);
    let bytes = read_optional(&path)?.ok_or_else(|| StaticLogError::NoCheckpoint(dir.into()))?;
    Ok(open_checkpoint(&bytes, log_key)?.into_inner())
}

/// A receipt (C2SP tlog-proof) for entry `index` of the log in `dir`, with
/// the entry's bytes as its `extra` data, against the directory's current
/// checkpoint.
///
/// The prover is not the party to trust, so the checkpoint's signature is
/// not checked here (whoever holds the receipt checks it); but the hashes
/// the proof is made of are checked against the checkpoint's root, so that
/// a damaged directory never yields a receipt that cannot verify.
pub fn prove(dir: &Path, index: u64) -> Result<Receipt, StaticLogError> {
    let signed = read_optional(&dir.join(CHECKPOINT_FILE))?
        .ok_or_else(|| StaticLogError::NoCheckpoint(dir.into()))?;
    let note = Note::parse(&signed, Limits::CHECKPOINT).map_err(CheckpointError::from)?;
    let checkpoint = Checkpoint::parse(note.text())?;
    let size = checkpoint.size();
    let index = size
        .check(LeafIndex::new(index))
        .map_err(|e| StaticLogError::IndexOutOfRange {
            index: e.index,
            size: e.size,
        })?;
    let hashes = load_hashes(dir, &checkpoint)?;
    let proof = inclusion_proof(index, size, &hashes)?;
    let bundle = Tile::entries(index.get() / 256, bundle_width(size, index.get() / 256))
        .expect("invariant: the bundle of an index below the size exists");
    let entries = decode_bundle(
        &read_required(&dir.join(bundle.path()))?,
        usize::from(bundle.width()),
    )?;
    let entry = &entries[usize::try_from(index.get() % 256).expect("below 256")];
    let leaf =
        hashes.as_slice()[usize::try_from(crate::tlog::tree::stored_hash_index(0, index.get()))
            .expect("invariant: the index is inside an in-memory vector")];
    if leaf_hash(entry) != leaf {
        return Err(TileVerifyError::EntryMismatch {
            tile: bundle,
            position: usize::try_from(index.get() % 256).expect("below 256"),
        }
        .into());
    }
    // tlog-proof omits the extra line rather than carry empty data.
    let extra = (!entry.is_empty()).then(|| entry.clone());
    Ok(Receipt::new(extra, index, proof, signed)?)
}

/// Checks that the log in `dir`, whose checkpoint must verify under
/// `log_key`, is consistent with `older` (an earlier checkpoint of the same
/// log, already verified by the caller): that the log has only grown.
pub fn check_consistency(
    dir: &Path,
    log_key: &VerifierKey,
    older: &Checkpoint,
) -> Result<Checkpoint, StaticLogError> {
    let newer = read_checkpoint(dir, log_key)?;
    let hashes = load_hashes(dir, &newer)?;
    if older.size() > newer.size() {
        return Err(ProofError::OldSizeLarger {
            old: older.size().get(),
            new: newer.size().get(),
        }
        .into());
    }
    let proof = consistency_proof(older.size(), newer.size(), &hashes)?;
    verify_consistency(
        older.size(),
        newer.size(),
        &proof,
        older.root(),
        newer.root(),
    )?;
    Ok(newer)
}

/// Reads every leaf hash from the level-0 tiles and rebuilds the tree in
/// memory, refusing it unless its root is the checkpoint's.
fn load_hashes(dir: &Path, checkpoint: &Checkpoint) -> Result<MemoryHashes, StaticLogError> {
    let mut leaves = Vec::new();
    for tile in tiles_for_size(checkpoint.size()) {
        if tile.kind() == (TileKind::Hash { level: 0 }) {
            let bytes = read_required(&dir.join(tile.path()))?;
            let hashes =
                parse_tile_data(&tile, &bytes).map_err(|e| TileVerifyError::Malformed {
                    tile,
                    reason: e.to_string(),
                })?;
            leaves.extend(hashes);
        }
    }
    let hashes = MemoryHashes::from_leaf_hashes(&leaves);
    if hashes.root() != *checkpoint.root() {
        return Err(StaticLogError::RootMismatch(dir.to_owned()));
    }
    Ok(hashes)
}

/// The width of entry bundle `n` of a log of `size`.
fn bundle_width(size: TreeSize, n: u64) -> u16 {
    let remaining = size.get() - n * 256;
    u16::try_from(remaining.min(256)).expect("invariant: at most 256")
}

/// Reads a file, `None` if it does not exist.
fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, StaticLogError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(StaticLogError::Io {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Reads a file that must exist.
fn read_required(path: &Path) -> Result<Vec<u8>, StaticLogError> {
    fs::read(path).map_err(|source| StaticLogError::Io {
        path: path.to_owned(),
        source,
    })
}

/// Writes `content` to `path` by writing a temporary file beside it,
/// flushing it to disk, renaming it into place and flushing the directory,
/// so that a reader (or a crash) sees the old file or the new one, never a
/// part of either.
fn write_atomically(path: &Path, content: &[u8]) -> Result<(), StaticLogError> {
    let io_error = |source| StaticLogError::Io {
        path: path.to_owned(),
        source,
    };
    let parent = path
        .parent()
        .expect("invariant: every file of a log is inside the log directory");
    fs::create_dir_all(parent).map_err(io_error)?;
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    let mut file = fs::File::create(&temporary).map_err(io_error)?;
    file.write_all(content).map_err(io_error)?;
    file.sync_all().map_err(io_error)?;
    fs::rename(&temporary, path).map_err(io_error)?;
    // The rename is durable once the directory entry is.
    fs::File::open(parent)
        .and_then(|d| d.sync_all())
        .map_err(io_error)?;
    Ok(())
}
