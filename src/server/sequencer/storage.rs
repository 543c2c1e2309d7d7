//! The sequencer's in-memory view kept in step with storage: folding the
//! entries another process appended (or everything again, after a commit
//! whose outcome is unknown), and the high-water mark recorded before a
//! checkpoint read from storage is served. A stored entry that does not
//! parse or apply, or storage behind what was acknowledged, halts the log.

use std::sync::Arc;

use super::command::AppendError;
use super::documents::{DOCUMENT_CHUNK, chunk_documents};
use super::{GroupLog, Loaded, LogFold};
use crate::ballot::DocumentSource;
use crate::entry::Entry;
use crate::server::high_water::MarkError;
use crate::store::StoreError;
use crate::time::Timestamp;
use crate::tlog::TreeSize;
use crate::tlog::tree::Appender;

impl<S: LogFold> GroupLog<S> {
    /// Brings the in-memory view up to date with storage: folds entries
    /// appended by other processes, or rebuilds everything when stale.
    pub(super) async fn refresh(&self, loaded: &mut Loaded<S>) -> Result<(), AppendError> {
        if let Some(reason) = &loaded.halted {
            self.unpublish();
            return Err(AppendError::Halted(reason.clone()));
        }
        let head = self
            .store
            .head(&self.group)
            .await
            .map_err(|e| AppendError::BatchFailed(e.to_string()))?
            .ok_or_else(|| AppendError::Halted(format!("log {} has no storage", self.group)))?;
        if loaded.stale {
            *loaded = Loaded {
                state: S::empty(&self.origin),
                size: 0,
                appender: None,
                last_time: Timestamp::MIN,
                stale: false,
                halted: None,
            };
        }
        if head.size < loaded.size {
            let reason = format!(
                "storage holds {} entries but {} were acknowledged: entries were lost",
                head.size, loaded.size
            );
            loaded.halted = Some(reason.clone());
            return Err(AppendError::Halted(reason));
        }
        // The head's checkpoint is served once folded: mark it first.
        if let Err(e) = self.mark(&head.checkpoint).await {
            return Err(match e {
                MarkFailure::Halt(reason) => {
                    loaded.halted = Some(reason.clone());
                    self.unpublish();
                    AppendError::Halted(reason)
                }
                MarkFailure::Io(message) => AppendError::BatchFailed(message),
            });
        }
        // Fold in chunks, so that a long log never sits in memory twice
        // (the documents of a chunk, up to 72 KiB per vote, are fetched for
        // a smaller chunk at a time).
        while loaded.size < head.size {
            let to = head.size.min(loaded.size + DOCUMENT_CHUNK);
            let entries = self
                .store
                .entries(&self.group, loaded.size, to)
                .await
                .map_err(|e| AppendError::BatchFailed(e.to_string()))?;
            let parsed = parse_stored(loaded, &entries)?;
            let mut reader = (&self.store, self.group.as_str());
            let documents = chunk_documents::<S, _>(&mut reader, &parsed, loaded.size, to)
                .await
                .map_err(|e| AppendError::BatchFailed(e.to_string()))?;
            loaded.state.verify_ahead(&parsed, &documents);
            for entry in &parsed {
                self.fold_stored(loaded, entry, &documents)?;
            }
            self.folding
                .store(loaded.size, std::sync::atomic::Ordering::Relaxed);
        }
        self.publish(loaded);
        Ok(())
    }

    /// Folds one entry read from storage. A stored entry that does not
    /// apply means storage holds what this server would never have
    /// written: the log is halted.
    fn fold_stored(
        &self,
        loaded: &mut Loaded<S>,
        entry: &Entry,
        documents: &dyn DocumentSource,
    ) -> Result<(), AppendError> {
        let halt = |loaded: &mut Loaded<S>, reason: String| {
            loaded.halted = Some(reason.clone());
            AppendError::Halted(reason)
        };
        if let Err(e) = loaded.state.apply_from_storage(entry, documents) {
            let reason = format!("stored entry {} does not apply: {e}", loaded.size);
            return Err(halt(loaded, reason));
        }
        loaded.last_time = loaded.last_time.max(entry.time());
        loaded.size += 1;
        loaded.appender = None;
        Ok(())
    }

    /// Records `signed` as this log's high-water mark before it is served
    /// (`high_water.rs`); at once if it is the mark already.
    pub(super) async fn mark(&self, signed: &[u8]) -> Result<(), MarkFailure> {
        let Some(marks) = &self.marks else {
            return Ok(());
        };
        if marks.is_marked(&self.group, signed) {
            return Ok(());
        }
        let marks = Arc::clone(marks);
        let group = self.group.clone();
        let signed = signed.to_vec();
        let key = self.key.verifier_key();
        let outcome = tokio::task::spawn_blocking(move || marks.advance(&group, &signed, &key))
            .await
            .map_err(|e| MarkFailure::Io(format!("the high-water mark was not written: {e}")))?;
        match outcome {
            Ok(()) => Ok(()),
            Err(MarkError::Io { path, source }) => Err(MarkFailure::Io(format!(
                "the high-water mark {} could not be written: {source}",
                path.display()
            ))),
            Err(refused) => {
                let reason = refused.to_string();
                tracing::error!(group = %self.group, "log halted: {reason}");
                Err(MarkFailure::Halt(reason))
            }
        }
    }

    /// Step 2 of a batch: folds entries committed since the last refresh
    /// (visible now that the lock is held) and loads the tree's right edge.
    pub(super) async fn catch_up(
        &self,
        loaded: &mut Loaded<S>,
        tx: &mut crate::store::append::AppendTx,
    ) -> Result<(), StoreOrHalt> {
        let size = tx.head().size;
        if size < loaded.size {
            let reason = format!(
                "storage holds {size} entries but {} were acknowledged: entries were lost",
                loaded.size
            );
            loaded.halted = Some(reason.clone());
            return Err(StoreOrHalt::Halt(reason));
        }
        if size > loaded.size {
            // Entries another process appended are served once folded:
            // their checkpoint is marked first.
            let signed = tx.head().checkpoint.clone();
            match self.mark(&signed).await {
                Ok(()) => {}
                Err(MarkFailure::Halt(reason)) => {
                    loaded.halted = Some(reason.clone());
                    return Err(StoreOrHalt::Halt(reason));
                }
                Err(MarkFailure::Io(message)) => return Err(StoreOrHalt::Mark(message)),
            }
        }
        while size > loaded.size {
            let to = size.min(loaded.size + DOCUMENT_CHUNK);
            let entries = tx.entries(loaded.size, to).await?;
            let parsed = parse_stored(loaded, &entries).map_err(StoreOrHalt::from_append)?;
            let documents = chunk_documents::<S, _>(tx, &parsed, loaded.size, to).await?;
            for entry in &parsed {
                self.fold_stored(loaded, entry, &documents)
                    .map_err(StoreOrHalt::from_append)?;
            }
            self.publish(loaded);
        }
        if loaded.appender.is_none() {
            let indexes = crate::tlog::tree::frontier_indexes(TreeSize::new(size));
            let hashes = tx.hashes(&indexes).await?;
            loaded.appender = Some(
                Appender::from_frontier(TreeSize::new(size), hashes)
                    .map_err(|e| StoreOrHalt::Halt(e.to_string()))?,
            );
        }
        Ok(())
    }
}

/// Parses entries read from storage; one that does not parse halts the
/// log (storage holds what this server would never have written).
pub(super) fn parse_stored<S>(
    loaded: &mut Loaded<S>,
    entries: &[Vec<u8>],
) -> Result<Vec<Entry>, AppendError> {
    let mut parsed = Vec::with_capacity(entries.len());
    for (offset, bytes) in entries.iter().enumerate() {
        match Entry::parse(bytes) {
            Ok(entry) => parsed.push(entry),
            Err(e) => {
                let reason = format!(
                    "stored entry {} is malformed: {e}",
                    loaded.size + offset as u64
                );
                loaded.halted = Some(reason.clone());
                return Err(AppendError::Halted(reason));
            }
        }
    }
    Ok(parsed)
}

/// Why a checkpoint could not be marked as published.
pub(super) enum MarkFailure {
    /// The checkpoint is older than the mark, or differs at its size: the
    /// log must not be served.
    Halt(String),
    /// The mark's file could not be written (retry is safe).
    Io(String),
}

/// A storage error or a reason to halt, inside [`GroupLog::catch_up`].
#[derive(Debug, thiserror::Error)]
pub(super) enum StoreOrHalt {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Mark(String),
    #[error("{0}")]
    Halt(String),
}

impl StoreOrHalt {
    /// A halt found while folding stored entries, with its reason as it
    /// was recorded.
    pub(super) fn from_append(error: AppendError) -> Self {
        match error {
            AppendError::Halted(reason) => Self::Halt(reason),
            other => Self::Halt(other.to_string()),
        }
    }
}
