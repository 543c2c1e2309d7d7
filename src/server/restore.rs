//! Putting back a log's missing tail after a restore (SPEC section 11;
//! `docs/operations.md`, "Restoring without forking").
//!
//! A database restored from a backup holds a prefix of a log whose
//! newest published checkpoint (the high-water mark, `high_water.rs`) is
//! further on; start-up refuses such a log. The tail is still held by
//! whoever exported an audit bundle after it was written, and the notes of
//! votes not yet revealed by the voters who cast them (`scrutineer vote`
//! keeps each one as `<ballot>-<question>-<organisation>.vote`).
//!
//! [`restore_tail`] appends that tail, and only if it is the published
//! history: the bundle's log must verify under this server's log key,
//! hash to the stored tree at the stored size, to the mark at the mark's
//! size, and reach at least the mark; every document the tail's entries
//! name must be at hand, checked by its SHA-256. It then writes the
//! entries, their hashes and documents, the outbox rows the tail owes, and
//! the bundle's checkpoint (signed by this server before the restore) as
//! the head, in one append transaction; on any refusal nothing is written.
//! The server, started again, checks the whole log as at every start.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::audit::bundle::DOCUMENTS_DIR;
use crate::audit::pack::{PACK_FILE, read_pack};
use crate::ballot::{
    ANNOUNCEMENT_KIND, ROLL_KIND, TALLY_KIND, attachment_of, document_named, drafts_named,
};
use crate::entry::Entry;
use crate::note::key::{SigningKey, VerifierKey};
use crate::staticlog;
use crate::store::append::AppendBatch;
use crate::store::documents::{Document, DocumentKind};
use crate::store::{Store, StoreError};
use crate::tlog::checkpoint::{Origin, open_checkpoint};
use crate::tlog::tile::{TileKind, tiles_for_size};
use crate::tlog::tree::{Appender, stored_hash_count};
use crate::tlog::{Hash, TreeSize, leaf_hash};
use crate::vote::VOTE_ENTRY_KIND;

use super::fold::GroupLogState;
use super::high_water::HighWater;
use super::sequencer::LogFold as _;

/// Where the tail comes from.
#[derive(Debug, Clone)]
pub struct TailSource<'a> {
    /// An audit bundle's directory (`scrutineer export`), exported after
    /// the tail was written.
    pub bundle: &'a Path,
    /// Directories of other documents, used when their SHA-256 is one the
    /// tail names: the voters' `.vote` files of ballots still open (their
    /// notes are in no bundle before the close), their attachments.
    pub documents: &'a [PathBuf],
}

/// What was put back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// The stored size before, where the tail starts.
    pub from: u64,
    /// The size now: the bundle's checkpoint's.
    pub to: u64,
    /// The published size the log had to reach (its mark), if it had one.
    pub mark: Option<u64>,
    /// Documents stored with the tail.
    pub documents: usize,
    /// The new head's root.
    pub root: Hash,
}

/// A document the tail names that nobody supplied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// The log index of the entry that names it.
    pub entry: u64,
    /// What it is.
    pub kind: DocumentKind,
    /// Its ballot.
    pub ballot: String,
    /// Its name.
    pub sha256: Hash,
}

/// Why the tail was not put back. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// The database has no log for the group.
    #[error("the database has no log for group {0}")]
    NoLog(String),
    /// The stored origin is not one (a corrupt head).
    #[error("the log's origin {origin} is not valid: {reason}")]
    Origin {
        /// The stored origin.
        origin: String,
        /// Why it is not valid.
        reason: String,
    },
    /// The bundle does not verify under this server's key, or its files
    /// changed after they were verified.
    #[error(
        "the bundle does not verify under this server's log key for {origin}: {reason}; \
         only a bundle of this log, as this server signed it, can restore it"
    )]
    Bundle {
        /// The log's origin.
        origin: String,
        /// The verifier's finding.
        reason: String,
    },
    /// A file could not be read.
    #[error("cannot read {}: {reason}", path.display())]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// The system's error.
        reason: String,
    },
    /// The high-water mark could not be read.
    #[error("the high-water mark cannot be read: {0}")]
    Mark(String),
    /// The bundle ends before the newest checkpoint published.
    #[error(
        "the bundle ends at size {bundle} but this server published a checkpoint of size \
         {mark}: export a bundle from a newer copy (a mirror, a member's export made later), \
         or retire the log"
    )]
    Short {
        /// The bundle's size.
        bundle: u64,
        /// The mark's size.
        mark: u64,
    },
    /// The database already holds everything the bundle has.
    #[error(
        "nothing to put back: the database already holds {stored} entries and the bundle \
         ends at {bundle}"
    )]
    Nothing {
        /// The stored size.
        stored: u64,
        /// The bundle's size.
        bundle: u64,
    },
    /// The bundle's tree differs from this log's where both are known.
    #[error(
        "the bundle is another history: at size {size} its root is {bundle}, but {what} says \
         {ours}; a second history under one origin is a fork, and is never imported"
    )]
    Diverges {
        /// Where they differ.
        size: u64,
        /// The bundle's root there.
        bundle: Hash,
        /// Which of ours: the database's head or the mark.
        what: &'static str,
        /// Our root there.
        ours: Hash,
    },
    /// Documents the tail names that nobody supplied.
    #[error("{}", missing_text(.0))]
    MissingDocuments(Vec<Missing>),
    /// Another process appended meanwhile.
    #[error(
        "the log changed while the tail was prepared (size {expected}, now {found}): stop \
         every server process on this database and run again"
    )]
    Changed {
        /// The size read first.
        expected: u64,
        /// The size in the append transaction.
        found: u64,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn missing_text(missing: &[Missing]) -> String {
    let mut text = format!(
        "{} document(s) the tail names are not in the bundle nor in any --documents \
         directory, so nothing was written:",
        missing.len()
    );
    for m in missing {
        text.push_str(&format!(
            "\n  entry {}: the {} sha256:{} of ballot {}",
            m.entry,
            m.kind.as_str(),
            m.sha256.to_hex(),
            m.ballot
        ));
    }
    if missing.iter().any(|m| m.kind == DocumentKind::Note) {
        text.push_str(
            "\nA vote's note is in a bundle only once its ballot has closed; until then the \
             voter keeps it (the `.vote` file `scrutineer vote` writes, or the browser's \
             download): collect those files in a directory and pass it with --documents.",
        );
    }
    text
}

/// Puts back the tail of `group`'s log from `source`; see the module's
/// documentation. Every server process on the database must be stopped.
pub async fn restore_tail(
    store: &Store,
    key: &SigningKey,
    marks: &HighWater,
    group: &str,
    source: &TailSource<'_>,
) -> Result<Restored, RestoreError> {
    let head = store
        .head(group)
        .await?
        .ok_or_else(|| RestoreError::NoLog(group.to_owned()))?;
    let origin = Origin::new(head.origin.clone()).map_err(|e| RestoreError::Origin {
        origin: head.origin.clone(),
        reason: e.to_string(),
    })?;
    let verifier = key.renamed(origin.key_name().clone()).verifier_key();
    let bundle = read_bundle(source.bundle, &verifier, &origin)?;
    let stored = open_checkpoint(&head.checkpoint, &verifier)
        .map_err(|e| RestoreError::Store(StoreError::Corrupt(format!("its head: {e}"))))?
        .into_inner();
    let mark = marks
        .read(group, &verifier)
        .map_err(|e| RestoreError::Mark(e.to_string()))?;
    let size = bundle.entries.len() as u64;
    if let Some(mark) = &mark
        && mark.size > size
    {
        return Err(RestoreError::Short {
            bundle: size,
            mark: mark.size,
        });
    }
    if size <= head.size {
        return Err(RestoreError::Nothing {
            stored: head.size,
            bundle: size,
        });
    }

    // The bundle's tree, compared with ours where ours is known: the
    // stored head, and the newest checkpoint published.
    let first_hash_index = stored_hash_count(TreeSize::new(head.size));
    let mut appender = Appender::new();
    let mut hashes = Vec::new();
    let mut hash_index = 0u64;
    let compare = |size: u64, root: Hash| -> Result<(), RestoreError> {
        if size == head.size && root != *stored.root() {
            return Err(RestoreError::Diverges {
                size,
                bundle: root,
                what: "the database's head",
                ours: *stored.root(),
            });
        }
        if let Some(mark) = &mark
            && size == mark.size
            && root != mark.root
        {
            return Err(RestoreError::Diverges {
                size,
                bundle: root,
                what: "the high-water mark (the newest checkpoint published)",
                ours: mark.root,
            });
        }
        Ok(())
    };
    compare(0, appender.root())?;
    for (index, entry) in (1u64..).zip(&bundle.entries) {
        let written = appender
            .append(leaf_hash(entry))
            .map_err(|e| RestoreError::Bundle {
                origin: origin.to_string(),
                reason: e.to_string(),
            })?;
        for hash in written {
            if hash_index >= first_hash_index {
                hashes.push(hash);
            }
            hash_index += 1;
        }
        compare(index, appender.root())?;
    }

    // The documents the tail names, each checked by its name.
    let mut supply = bundle.documents;
    for dir in source.documents {
        read_folder(dir, &mut supply)?;
    }
    let mut documents = Vec::new();
    let mut missing = Vec::new();
    let mut outbox = Vec::new();
    for index in head.size..size {
        let bytes = &bundle.entries[usize::try_from(index).expect("invariant: in memory")];
        let entry = Entry::parse(bytes).map_err(|e| RestoreError::Bundle {
            origin: origin.to_string(),
            reason: format!("entry {index} does not parse: {e}"),
        })?;
        let ballot = entry.get("ballot").unwrap_or_default().to_owned();
        let mut want = |sha256: Hash, kind: DocumentKind| match supply.get(&sha256) {
            Some(bytes) => {
                documents.push(Document::new(bytes.clone(), ballot.clone(), kind).named_by(index));
                Some(bytes.clone())
            }
            None => {
                missing.push(Missing {
                    entry: index,
                    kind,
                    ballot: ballot.clone(),
                    sha256,
                });
                None
            }
        };
        if let Some(sha256) = document_named(&entry) {
            let kind = match entry.kind() {
                VOTE_ENTRY_KIND => DocumentKind::Note,
                ROLL_KIND => DocumentKind::Roll,
                TALLY_KIND => DocumentKind::Tally,
                ANNOUNCEMENT_KIND => DocumentKind::Recipients,
                other => {
                    return Err(RestoreError::Bundle {
                        origin: origin.to_string(),
                        reason: format!(
                            "entry {index} ({other}) names a document of a kind this \
                             server does not store"
                        ),
                    });
                }
            };
            let note = want(sha256, kind);
            if let Some(attachment) = note.as_deref().and_then(attachment_of) {
                want(attachment, DocumentKind::Attachment);
            }
        }
        for sha256 in drafts_named(&entry) {
            want(sha256, DocumentKind::Draft);
        }
        outbox.extend(GroupLogState::outbox_change(&entry, index));
    }
    if !missing.is_empty() {
        return Err(RestoreError::MissingDocuments(missing));
    }

    let mut tx = store
        .begin_append(group)
        .await?
        .ok_or_else(|| RestoreError::NoLog(group.to_owned()))?;
    if tx.head().size != head.size {
        return Err(RestoreError::Changed {
            expected: head.size,
            found: tx.head().size,
        });
    }
    let tail = bundle.entries[usize::try_from(head.size).expect("invariant: in memory")..].to_vec();
    tx.write_documents(&documents).await?;
    tx.write_outbox(&outbox).await?;
    tx.write(&AppendBatch {
        entries: tail,
        hashes,
        first_hash_index,
        checkpoint: bundle.checkpoint,
    })
    .await?;
    tx.commit().await?;
    Ok(Restored {
        from: head.size,
        to: size,
        mark: mark.map(|m| m.size),
        documents: documents.len(),
        root: appender.root(),
    })
}

/// A verified bundle's signed checkpoint, entries and documents.
struct TailBundle {
    checkpoint: Vec<u8>,
    entries: Vec<Vec<u8>>,
    documents: HashMap<Hash, Vec<u8>>,
}

/// Reads the bundle in `dir`: its checkpoint must verify under
/// `verifier`, and its tiles and entries hash to that checkpoint's root
/// (the documents are checked by their names, and the server replays the
/// whole log at its next start). A bundle of a ballot still open is
/// fine: its log is whole, only the notes of open ballots are absent.
fn read_bundle(
    dir: &Path,
    verifier: &VerifierKey,
    origin: &Origin,
) -> Result<TailBundle, RestoreError> {
    let bad = |reason: String| RestoreError::Bundle {
        origin: origin.to_string(),
        reason,
    };
    staticlog::verify(dir, verifier).map_err(|e| bad(e.to_string()))?;
    let checkpoint_path = dir.join(staticlog::CHECKPOINT_FILE);
    let checkpoint = fs::read(&checkpoint_path).map_err(|e| RestoreError::Read {
        path: checkpoint_path,
        reason: e.to_string(),
    })?;
    let verified = open_checkpoint(&checkpoint, verifier)
        .map_err(|e| bad(e.to_string()))?
        .into_inner();
    let mut entries = Vec::new();
    for tile in tiles_for_size(verified.size()) {
        if tile.kind() != TileKind::Entries {
            continue;
        }
        let path = dir.join(tile.path());
        let bytes = fs::read(&path).map_err(|e| RestoreError::Read {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        entries.extend(
            crate::tlog::bundle::decode_bundle(&bytes, usize::from(tile.width()))
                .map_err(|e| bad(format!("{}: {e}", tile.path())))?,
        );
    }
    let root = {
        let mut appender = Appender::new();
        for entry in &entries {
            appender
                .append(leaf_hash(entry))
                .map_err(|e| bad(e.to_string()))?;
        }
        appender.root()
    };
    if entries.len() as u64 != verified.size().get() || root != *verified.root() {
        return Err(bad(
            "its entries changed after they were verified (they no longer hash to its \
             checkpoint)"
                .to_owned(),
        ));
    }
    let mut documents = HashMap::new();
    let pack = dir.join(PACK_FILE);
    match fs::read(&pack) {
        Ok(bytes) => {
            for packed in read_pack(&bytes).map_err(|e| bad(e.to_string()))? {
                documents.insert(packed.sha256, packed.bytes);
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(RestoreError::Read {
                path: pack,
                reason: e.to_string(),
            });
        }
    }
    let folder = dir.join(DOCUMENTS_DIR);
    if folder.is_dir() {
        read_folder(&folder, &mut documents)?;
    }
    Ok(TailBundle {
        checkpoint,
        entries,
        documents,
    })
}

/// Adds every regular file directly in `dir` to `documents`, by the
/// SHA-256 of its bytes (a name is only ever checked against that).
fn read_folder(dir: &Path, documents: &mut HashMap<Hash, Vec<u8>>) -> Result<(), RestoreError> {
    let read = |path: &Path, e: std::io::Error| RestoreError::Read {
        path: path.to_owned(),
        reason: e.to_string(),
    };
    for item in fs::read_dir(dir).map_err(|e| read(dir, e))? {
        let path = item.map_err(|e| read(dir, e))?.path();
        if !path.is_file() {
            continue;
        }
        let bytes = fs::read(&path).map_err(|e| read(&path, e))?;
        documents.insert(Hash::sha256(&bytes), bytes);
    }
    Ok(())
}
