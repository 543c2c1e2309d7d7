//! The state a log keeps in memory, as a fold over its entries.

use std::sync::Arc;

use crate::ballot::DocumentSource;
use crate::entry::Entry;
use crate::store::outbox::OutboxChange;
use crate::tlog::Hash;
use crate::tlog::checkpoint::Origin;

/// A log's state as a fold over its entries: what the sequencer keeps in
/// memory and brings up to date before every decision.
///
/// Some entries name documents stored beside the log by SHA-256 (a vote's
/// note, SPEC section 4). The sequencer hands the fold the documents a
/// command returned with its entries ([`LogFold::apply_decided`]); when it
/// folds entries read back from storage it first fetches the documents
/// they name ([`LogFold::documents_named`], then those named by the
/// documents themselves, [`LogFold::documents_named_by`]) and passes them
/// to [`LogFold::apply_from_storage`]. The fold checks every document against
/// its hash, so storage need not be trusted with them.
pub trait LogFold: Send + Sync + 'static {
    /// Why an entry does not apply to the state.
    type Refusal: std::error::Error + Send + Sync + 'static;

    /// The state of the empty log `origin` (the origin is part of what
    /// some entries must name, e.g. a vote note's `origin` line).
    fn empty(origin: &Origin) -> Self;

    /// Applies the next entry. A refusal leaves the state unchanged.
    fn apply(&mut self, entry: &Entry) -> Result<(), Self::Refusal>;

    /// Applies the next entry with the documents stored beside it. A
    /// refusal leaves the state unchanged.
    fn apply_decided(
        &mut self,
        entry: &Entry,
        documents: &dyn DocumentSource,
    ) -> Result<(), Self::Refusal> {
        let _ = documents;
        self.apply(entry)
    }

    /// Applies the next entry read back from storage. A refusal here halts
    /// the log (storage holds what this server would not have written), so
    /// a fold may skip the work of leaving its state unchanged.
    fn apply_from_storage(
        &mut self,
        entry: &Entry,
        documents: &dyn DocumentSource,
    ) -> Result<(), Self::Refusal> {
        self.apply_decided(entry, documents)
    }

    /// What readers may see without waiting for the log's lock
    /// ([`GroupLog::published`]).
    type Published: Send + Sync + 'static;

    /// The view of this state that readers see, taken when the state
    /// matches storage (after a commit, after folding entries read from
    /// storage). `previous` is the view published last, to share when
    /// nothing it shows has changed.
    fn publish(&self, previous: Option<&Arc<Self::Published>>) -> Arc<Self::Published>;

    /// The documents an entry names by SHA-256, which the fold wants when
    /// it applies the entry read back from storage.
    fn documents_named(entry: &Entry) -> Vec<Hash> {
        let _ = entry;
        Vec::new()
    }

    /// The change to the outbox of notices that the entry at `index`
    /// carries (SPEC section 9): written in the transaction that appends
    /// the entry.
    fn outbox_change(entry: &Entry, index: u64) -> Option<OutboxChange> {
        let _ = (entry, index);
        None
    }

    /// Does ahead, on every core, the verification that folding `entries`
    /// read from storage would do one entry after the other (a vote's
    /// signature), and records it where the fold finds it. A fold that
    /// verifies nothing does nothing.
    fn verify_ahead(&self, entries: &[Entry], documents: &dyn DocumentSource) {
        let _ = (entries, documents);
    }

    /// The documents a document names in turn (a vote note names its
    /// attachment).
    fn documents_named_by(document: &[u8]) -> Vec<Hash> {
        let _ = document;
        Vec::new()
    }
}
