//! The documents stored beside a log's entries, as the sequencer handles
//! them: fetched when stored entries are folded, placed under the entries
//! that name them when a batch is written.

use super::LogFold;
use crate::ballot::DocumentSource;
use crate::entry::Entry;
use crate::store::documents::Document;
use crate::store::{Store, StoreError};
use crate::tlog::Hash;

/// How many stored entries are folded at a time when their documents must
/// be fetched with them.
pub(super) const DOCUMENT_CHUNK: u64 = 512;

/// Documents fetched from storage for a chunk of entries, by hash.
#[derive(Default)]
pub(super) struct DocumentMap(std::collections::BTreeMap<Hash, Vec<u8>>);

impl DocumentMap {
    /// Adds fetched documents.
    fn add(&mut self, found: Vec<Document>) {
        for document in found {
            self.0.insert(document.sha256, document.bytes);
        }
    }

    /// Which of `wanted` are not here, each once.
    fn missing(&self, mut wanted: Vec<Hash>) -> Vec<Hash> {
        wanted.retain(|h| !self.0.contains_key(h));
        wanted.sort_unstable();
        wanted.dedup();
        wanted
    }
}

/// Where documents are read from while folding stored entries: the store
/// itself, or an append transaction (entries another process appended).
pub(super) trait DocumentReader {
    /// The documents stored under the entries `[from, to)`.
    async fn named_in(&mut self, from: u64, to: u64) -> Result<Vec<Document>, StoreError>;
    /// The documents found by hash alone among `hashes`.
    async fn by_hash(&mut self, hashes: &[Hash]) -> Result<Vec<Document>, StoreError>;
}

impl DocumentReader for (&Store, &str) {
    async fn named_in(&mut self, from: u64, to: u64) -> Result<Vec<Document>, StoreError> {
        self.0.documents_named_in(self.1, from, to).await
    }

    async fn by_hash(&mut self, hashes: &[Hash]) -> Result<Vec<Document>, StoreError> {
        self.0.documents(self.1, hashes).await
    }
}

impl DocumentReader for crate::store::append::AppendTx {
    async fn named_in(&mut self, from: u64, to: u64) -> Result<Vec<Document>, StoreError> {
        self.documents_named_in(from, to).await
    }

    async fn by_hash(&mut self, hashes: &[Hash]) -> Result<Vec<Document>, StoreError> {
        self.documents(hashes).await
    }
}

/// The documents the stored entries `[from, to)` (`parsed`) need: those
/// stored under them, then whatever they name that is not among those,
/// by hash (a document stored before entries were recorded with it), in
/// two rounds: the documents entries name, then those they name in turn
/// (a note's attachment). What is still missing is the fold's to report.
pub(super) async fn chunk_documents<S: LogFold, R: DocumentReader>(
    reader: &mut R,
    parsed: &[Entry],
    from: u64,
    to: u64,
) -> Result<DocumentMap, StoreError> {
    let mut documents = DocumentMap::default();
    let named = reader.named_in(from, to).await?;
    let mut wanted: Vec<Hash> = parsed.iter().flat_map(|e| S::documents_named(e)).collect();
    wanted.extend(named.iter().flat_map(|d| S::documents_named_by(&d.bytes)));
    documents.add(named);
    for _ in 0..2 {
        let missing = documents.missing(wanted);
        if missing.is_empty() {
            break;
        }
        let found = reader.by_hash(&missing).await?;
        wanted = found
            .iter()
            .flat_map(|d| S::documents_named_by(&d.bytes))
            .collect();
        documents.add(found);
    }
    Ok(documents)
}

/// Places a request's documents under the entries that name them: the
/// entries are about to take the log indexes from `first` on. A document
/// named by another (a note's attachment) goes with the entry that names
/// that one. A document no entry names is left unplaced: it is stored
/// where only its hash finds it.
pub(super) fn place_documents<S: LogFold>(
    documents: Vec<Document>,
    entries: &[Entry],
    first: u64,
) -> Vec<Document> {
    let mut at: std::collections::HashMap<Hash, u64> = std::collections::HashMap::new();
    for (k, entry) in entries.iter().enumerate() {
        for hash in S::documents_named(entry) {
            at.entry(hash).or_insert(first + k as u64);
        }
    }
    // A document no entry names (a vote's attachment) takes the index of
    // the document that names it (the vote's note). Finding what a document
    // names can mean parsing it, so this runs only while some document is
    // still without an index: in a batch of votes without attachments,
    // never.
    for _ in 0..2 {
        if documents.iter().all(|d| at.contains_key(&d.sha256)) {
            break;
        }
        for document in &documents {
            if let Some(&index) = at.get(&document.sha256) {
                for hash in S::documents_named_by(&document.bytes) {
                    at.entry(hash).or_insert(index);
                }
            }
        }
    }
    documents
        .into_iter()
        .map(|document| match at.get(&document.sha256) {
            Some(&index) => document.named_by(index),
            None => document,
        })
        .collect()
}

impl DocumentSource for DocumentMap {
    fn get(&self, sha256: &Hash) -> Option<std::borrow::Cow<'_, [u8]>> {
        DocumentSource::get(&self.0, sha256)
    }
}
