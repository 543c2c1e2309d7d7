//! [`DocumentSource`]: where the fold finds the documents stored beside the
//! log, named by SHA-256 (SPEC section 4: notes and attachments revealed at
//! the close, rolls too large for an entry).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use crate::tlog::Hash;

/// Where the fold finds documents named by SHA-256 that are stored beside
/// the log: revealed vote notes and attachments, and rolls too large for
/// an entry. During sequencing the server passes the note it is about to
/// log; after the close the verifier passes every revealed note. The fold
/// checks every document against its hash, so a source need not be
/// trusted.
pub trait DocumentSource {
    /// The bytes whose SHA-256 is `sha256`, if available.
    fn get(&self, sha256: &Hash) -> Option<Cow<'_, [u8]>>;
}

impl DocumentSource for BTreeMap<Hash, Vec<u8>> {
    fn get(&self, sha256: &Hash) -> Option<Cow<'_, [u8]>> {
        BTreeMap::get(self, sha256).map(|b| Cow::Borrowed(b.as_slice()))
    }
}

impl DocumentSource for HashMap<Hash, Vec<u8>> {
    fn get(&self, sha256: &Hash) -> Option<Cow<'_, [u8]>> {
        HashMap::get(self, sha256).map(|b| Cow::Borrowed(b.as_slice()))
    }
}

/// No document is available: votes are folded as bare commitments.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoDocuments;

impl DocumentSource for NoDocuments {
    fn get(&self, _: &Hash) -> Option<Cow<'_, [u8]>> {
        None
    }
}

/// A few documents (the note and attachment about to be logged), in front
/// of another source.
pub struct Revealing<'a> {
    documents: Vec<(Hash, &'a [u8])>,
    rest: &'a dyn DocumentSource,
}

impl<'a> Revealing<'a> {
    /// `documents` in front of `rest`.
    pub fn new(documents: &[&'a [u8]], rest: &'a dyn DocumentSource) -> Self {
        Self {
            documents: documents.iter().map(|d| (Hash::sha256(d), *d)).collect(),
            rest,
        }
    }
}

impl DocumentSource for Revealing<'_> {
    fn get(&self, sha256: &Hash) -> Option<Cow<'_, [u8]>> {
        self.documents
            .iter()
            .find(|(h, _)| h == sha256)
            .map(|(_, d)| Cow::Borrowed(*d))
            .or_else(|| self.rest.get(sha256))
    }
}
