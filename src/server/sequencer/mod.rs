//! The sequencer of one group's log: group commit of entries, their hashes
//! and a new signed checkpoint, acknowledged only once durable.
//!
//! Requests queue on a channel. The sequencer task takes the first one,
//! every other one already queued (those that arrived while the previous
//! batch committed) and whatever arrives within the batch interval (none
//! by default), and runs one
//! append transaction for all of them (one fsync for many entries: SPEC
//! section 4, "Durability"). Each request is a [`Command`]: a function that,
//! given the log's state at its turn and its receive time, decides the
//! entries to append (all together, in order, or none: the attendance
//! import's rows are all-or-nothing), the documents stored beside them (a
//! vote's note and attachment, a large roll) and a value for its caller
//! (the ballot an announcement opened and who it went to; why a vote was
//! not logged), or refuses. The command runs inside the serialised
//! transaction, so two commands never decide on the same state; the fold
//! sees the documents when it applies the entries, and they are written in
//! the same transaction, so that no receipt is given before the note is
//! durable (SPEC section 4). The caller gets the receipts and the value
//! together, once durable ([`GroupLog::submit`]).
//!
//! "This request was refused" (a domain refusal, nothing written), "this
//! batch failed" (nothing written, retry is safe) and "state unknown" (the
//! commit may or may not have landed; the log is re-read before the next
//! batch) are different outcomes, as in Sunlight's sequencer.

//!
//! - [`command`]: what a caller submits and gets back ([`Command`],
//!   [`Decided`], [`Committed`], [`Refused`], [`Appended`]).
//! - [`log_fold`]: the state a log keeps as a fold over its entries
//!   ([`LogFold`]).
//! - `documents`: the documents stored beside the entries, fetched when
//!   stored entries are folded and placed under the entries that name them.
//! - `storage`: the in-memory view kept in step with storage (entries
//!   other processes appended, a rebuild after an unknown commit) and the
//!   high-water mark recorded before a stored checkpoint is served.

mod command;
mod documents;
mod log_fold;
mod storage;

pub use command::{AppendError, Appended, Command, Committed, Decided, Refused, RefusedKind};
pub use log_fold::LogFold;

use command::{Documents, Request, Typed};
use documents::place_documents;
use storage::{MarkFailure, StoreOrHalt};

use std::sync::Arc;
use std::time::Duration as StdDuration;

use tokio::sync::{Mutex, mpsc, oneshot};

use super::clock::Clock;
use super::high_water::HighWater;
use super::metrics;
use crate::ballot::NoDocuments;
use crate::entry::Entry;
use crate::note::key::SigningKey;
use crate::store::Store;
use crate::store::append::AppendBatch;
use crate::store::documents::Document;
use crate::time::Timestamp;
use crate::tlog::checkpoint::{Checkpoint, Origin, sign_checkpoint};
use crate::tlog::tree::{Appender, TailHashes};
use crate::tlog::{TreeSize, leaf_hash};

/// The in-memory view of a log, guarded by one lock shared by the
/// sequencer and the readers.
pub struct Loaded<S> {
    /// The fold over entries `[0, size)`.
    pub state: S,
    /// The number of entries folded.
    pub size: u64,
    /// The right edge of the tree of `size` leaves, or `None` when it must
    /// be re-read from storage.
    appender: Option<Appender>,
    /// The time of the last entry (entry times never decrease).
    pub last_time: Timestamp,
    /// Set when the in-memory view may differ from storage (a failed or
    /// unknown commit after the state was changed): the next user rebuilds
    /// it from storage.
    stale: bool,
    /// Set when the log must not be served, with the reason.
    pub halted: Option<String>,
}

/// One group's log: its identity, its in-memory view and its sequencer.
pub struct GroupLog<S: LogFold> {
    /// The group id (the key in the store).
    pub group: String,
    /// The log's origin.
    pub origin: Origin,
    /// The key that signs this log's checkpoints (named by the origin).
    pub key: SigningKey,
    store: Store,
    clock: Arc<Clock>,
    loaded: Mutex<Loaded<S>>,
    /// The view of the committed state last published (`None` until the
    /// log was first read from storage).
    published: std::sync::RwLock<Option<Arc<S::Published>>>,
    queue: mpsc::Sender<Request<S>>,
    /// The high-water marks, advanced before a checkpoint is served
    /// (`None` only in the crate's own tests of the sequencer).
    marks: Option<Arc<HighWater>>,
    /// How many entries the fold from storage in progress has folded, for
    /// the start-up check's progress in `/readyz` (read without the lock).
    folding: std::sync::atomic::AtomicU64,
}

/// How the sequencer batches.
#[derive(Debug, Clone, Copy)]
pub struct BatchPolicy {
    /// How long the sequencer waits for more requests after taking those
    /// already queued (zero: it does not wait).
    pub interval: StdDuration,
    /// The most entries in one batch.
    pub max_entries: usize,
}

impl<S: LogFold> GroupLog<S> {
    /// Starts the log's sequencer task. `halted` marks a log that failed its
    /// start-up check: it is known but not served. `marks` are the
    /// high-water marks (`None` in the sequencer's own tests).
    // Each argument is one of the log's own parts; a struct gathering them
    // would be built at exactly one call site.
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        group: String,
        origin: Origin,
        key: SigningKey,
        store: Store,
        clock: Arc<Clock>,
        policy: BatchPolicy,
        halted: Option<String>,
        marks: Option<Arc<HighWater>>,
    ) -> Arc<Self> {
        let (queue, receiver) = mpsc::channel(policy.max_entries.max(1) * 4);
        let log = Arc::new(Self {
            group,
            origin: origin.clone(),
            key,
            store,
            clock,
            loaded: Mutex::new(Loaded {
                state: S::empty(&origin),
                size: 0,
                appender: None,
                last_time: Timestamp::MIN,
                stale: true,
                halted,
            }),
            published: std::sync::RwLock::new(None),
            queue,
            marks,
            folding: std::sync::atomic::AtomicU64::new(0),
        });
        tokio::spawn(Arc::clone(&log).run(receiver, policy));
        log
    }

    /// Runs `command` in the log's next batch, on the state at its turn,
    /// and waits until its entries are durable: their receipts, with the
    /// value the command decided.
    pub async fn submit<T: Send + 'static>(
        &self,
        command: Command<S, T>,
    ) -> Result<Committed<T>, AppendError> {
        let (reply, answer) = oneshot::channel();
        let request: Request<S> = Box::new(Typed {
            command: Some(command),
            value: None,
            reply,
        });
        self.queue
            .send(request)
            .await
            .map_err(|_| AppendError::ShuttingDown)?;
        answer.await.map_err(|_| AppendError::ShuttingDown)?
    }

    /// Appends the one entry `decide` makes, waiting until it is durable.
    pub async fn append(
        &self,
        decide: impl FnOnce(&S, Timestamp) -> Result<Entry, Refused> + Send + 'static,
    ) -> Result<Appended, AppendError> {
        let mut committed = self
            .submit(Box::new(move |state, time| {
                decide(state, time).map(|entry| Decided::entries(vec![entry]))
            }))
            .await?;
        Ok(committed
            .appended
            .pop()
            .expect("invariant: a command of one entry is answered with one receipt"))
    }

    /// Appends every entry `decide` makes, all in one transaction and in
    /// order, or none of them; waits until they are durable. The receipts
    /// come back in the entries' order (none if it made no entry).
    pub async fn append_all(
        &self,
        decide: impl FnOnce(&S, Timestamp) -> Result<Vec<Entry>, Refused> + Send + 'static,
    ) -> Result<Vec<Appended>, AppendError> {
        let committed = self
            .submit(Box::new(move |state, time| {
                decide(state, time).map(Decided::entries)
            }))
            .await?;
        Ok(committed.appended)
    }

    /// The view of the committed state published last, without waiting
    /// for the log's lock: what a reader sees is never ahead of storage,
    /// but may be behind it (a batch committing now; entries another
    /// process appended, until this one reads them, at the latest at the
    /// scheduler's next tick). Published before the batch's answers are
    /// sent, so a request that follows an answer sees its effect.
    pub fn published(&self) -> Option<Arc<S::Published>> {
        self.published
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Withdraws the published view of a log found halted: readers then
    /// take the path through the log, which says why it is not served.
    fn unpublish(&self) {
        *self
            .published
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    /// Publishes the view of `loaded`, which must match storage.
    fn publish(&self, loaded: &Loaded<S>) {
        let mut published = self
            .published
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let next = loaded.state.publish(published.as_ref());
        *published = Some(next);
    }

    /// How many entries the latest fold from storage has reached (for the
    /// start-up check's progress; it does not wait for the log's lock).
    pub fn folded(&self) -> u64 {
        self.folding.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Runs `read` on the state brought up to date with storage (entries
    /// other processes appended are folded in first).
    pub async fn read<T>(&self, read: impl FnOnce(&Loaded<S>) -> T) -> Result<T, AppendError> {
        let mut loaded = self.loaded.lock().await;
        self.refresh(&mut loaded).await?;
        Ok(read(&loaded))
    }

    /// The sequencer task: one batch at a time until every sender is gone.
    async fn run(self: Arc<Self>, mut receiver: mpsc::Receiver<Request<S>>, policy: BatchPolicy) {
        while let Some(first) = receiver.recv().await {
            let mut batch = vec![first];
            // Everything already queued, then whatever arrives within the
            // interval (none by default).
            while batch.len() < policy.max_entries {
                match receiver.try_recv() {
                    Ok(request) => batch.push(request),
                    Err(_) => break,
                }
            }
            let deadline = tokio::time::Instant::now() + policy.interval;
            while batch.len() < policy.max_entries && !policy.interval.is_zero() {
                match tokio::time::timeout_at(deadline, receiver.recv()).await {
                    Ok(Some(request)) => batch.push(request),
                    Ok(None) | Err(_) => break,
                }
            }
            self.run_batch(batch).await;
        }
    }

    /// One append transaction for a batch of requests.
    ///
    /// The crash story, step by step, is in the comments: what is durable
    /// after each step and what a crash there leaves behind.
    async fn run_batch(&self, batch: Vec<Request<S>>) {
        let mut loaded = self.loaded.lock().await;
        let fail_all = |batch: Vec<Request<S>>, error: &dyn Fn() -> AppendError| {
            for request in batch {
                request.answer(Err(error()));
            }
        };

        // Step 0: memory that may differ from storage (after a failed or
        // unknown commit) is rebuilt here, outside the write lock, and a
        // halted log refuses. Otherwise step 2 folds, under the lock,
        // whatever another process appended. Nothing is written.
        let refreshed = if loaded.stale || loaded.halted.is_some() {
            self.refresh(&mut loaded).await
        } else {
            Ok(())
        };
        if let Err(e) = refreshed {
            // A halted log was logged when it halted; anything else is
            // storage failing now.
            if !matches!(e, AppendError::Halted(_)) {
                tracing::error!(group = %self.group, "batch failed before it started: {e}");
            }
            // The refusal is passed on as it is (wrapping its text again
            // would repeat "the log is not served: …").
            fail_all(batch, &|| match &e {
                AppendError::Halted(reason) => AppendError::Halted(reason.clone()),
                AppendError::BatchFailed(message) => AppendError::BatchFailed(message.clone()),
                other => AppendError::BatchFailed(other.to_string()),
            });
            return;
        }

        // Step 1: open the transaction and take the log's write lock. A
        // crash here leaves nothing: the transaction is rolled back.
        let mut tx = match self.store.begin_append(&self.group).await {
            Ok(Some(tx)) => tx,
            Ok(None) => {
                fail_all(batch, &|| {
                    AppendError::Halted(format!("log {} has no storage", self.group))
                });
                return;
            }
            Err(e) => {
                let message = e.to_string();
                tracing::error!(group = %self.group, "batch failed at its start: {message}");
                fail_all(batch, &|| AppendError::BatchFailed(message.clone()));
                return;
            }
        };

        // Step 2: under the lock, fold what was appended since step 0 and
        // make sure the right edge of the tree is known. Read only.
        if let Err(e) = self.catch_up(&mut loaded, &mut tx).await {
            if loaded.halted.is_some() {
                self.unpublish();
            }
            // A reason to halt is said at once, not as "batch failed" (a
            // retry would only meet the halt).
            fail_all(batch, &|| match &e {
                StoreOrHalt::Halt(reason) => AppendError::Halted(reason.clone()),
                StoreOrHalt::Store(store) => AppendError::BatchFailed(store.to_string()),
                StoreOrHalt::Mark(message) => AppendError::BatchFailed(message.clone()),
            });
            return;
        }
        let first_index = loaded.size;
        let first_hash_index = crate::tlog::tree::stored_hash_count(TreeSize::new(first_index));
        let mut appender = loaded
            .appender
            .clone()
            .expect("invariant: catch_up leaves the appender set");
        let before = appender.clone();

        // Step 3: decide each request on the state as it stands at its turn,
        // in memory only. From here on the in-memory state runs ahead of
        // storage, so any failure below marks it stale.
        let mut write = AppendBatch {
            first_hash_index,
            ..AppendBatch::default()
        };
        // Each accepted request with the range of its entries in `write`.
        let mut accepted = Vec::new();
        // The documents of the accepted requests, written with the entries.
        let mut pending_documents: Vec<Document> = Vec::new();
        // The outbox rows the accepted entries owe or settle, written with
        // them.
        let mut outbox = Vec::new();
        // The receipts owed to the voters of the accepted votes, by entry
        // index, written with them (none without a relay).
        let mut receipts = Vec::new();
        let mut requests = batch.into_iter();
        while let Some(mut request) = requests.next() {
            let time = loaded.last_time.max(self.clock.now());
            let Documents {
                entries,
                documents,
                receipt,
            } = match request.decide(&loaded.state, time) {
                Ok(documents) => documents,
                Err(refused) => {
                    request.answer(Err(AppendError::Refused(refused)));
                    continue;
                }
            };
            if entries.is_empty() {
                request.answer(Ok(Vec::new()));
                continue;
            }
            // Every entry is encoded before any touches the state, so that
            // a too-large one refuses the request with the state unchanged.
            let encoded: Result<Vec<Vec<u8>>, Refused> = entries
                .iter()
                .map(|entry| {
                    entry
                        .encode()
                        .map_err(|e| Refused::invalid("entry-too-large", e.to_string()))
                })
                .collect();
            let encoded = match encoded {
                Ok(encoded) => encoded,
                Err(refused) => {
                    request.answer(Err(AppendError::Refused(refused)));
                    continue;
                }
            };
            // The fold is the authority: what it refuses is not logged,
            // whatever the command decided. It sees the request's
            // documents, and checks them against the hashes its entries
            // name.
            let revealed: Vec<&[u8]> = documents.iter().map(|d| d.bytes.as_slice()).collect();
            let source = crate::ballot::Revealing::new(&revealed, &NoDocuments);
            let mut refusal = None;
            for (k, entry) in entries.iter().enumerate() {
                if let Err(e) = loaded.state.apply_decided(entry, &source) {
                    refusal = Some((k, e.to_string()));
                    break;
                }
                loaded.stale = true;
            }
            match refusal {
                None => {}
                Some((0, message)) => {
                    // The first entry was refused: the state is unchanged
                    // and the rest of the batch goes on.
                    request.answer(Err(AppendError::Refused(Refused::conflict(
                        "refused-by-log",
                        message,
                    ))));
                    continue;
                }
                Some((k, message)) => {
                    // A later entry of a multi-entry request was refused
                    // after the earlier ones changed the in-memory state,
                    // and a fold has no undo. Nothing of this batch is
                    // written (the transaction rolls back when dropped):
                    // this request is refused, every other one gets "batch
                    // failed" (nothing recorded, retry is safe), and
                    // `stale` makes the next user rebuild memory from
                    // storage. Commands check their entries with the fold's
                    // own rules first, so this is a bug's path, not a
                    // client's.
                    request.answer(Err(AppendError::Refused(Refused::conflict(
                        "refused-by-log",
                        format!("entry {k} of the request: {message}"),
                    ))));
                    let why = "another request of the batch was refused part-way".to_owned();
                    for (accepted, _) in accepted {
                        answer_failed(accepted, &why);
                    }
                    for other in requests {
                        answer_failed(other, &why);
                    }
                    return;
                }
            }
            let start = write.entries.len();
            receipts.extend(receipt.map(|r| (first_index + start as u64, r)));
            pending_documents.extend(place_documents::<S>(
                documents,
                &entries,
                first_index + start as u64,
            ));
            for (k, (entry, bytes)) in entries.iter().zip(encoded).enumerate() {
                let index = first_index + (start + k) as u64;
                outbox.extend(S::outbox_change(entry, index));
                loaded.last_time = entry.time();
                let hashes = appender
                    .append(leaf_hash(&bytes))
                    .expect("invariant: a log never reaches 2^63 entries");
                write.hashes.extend(hashes);
                write.entries.push(bytes);
            }
            accepted.push((request, start..write.entries.len()));
        }
        if accepted.is_empty() {
            // Nothing to write; the transaction rolls back when dropped.
            return;
        }

        // Step 4: sign the new checkpoint and write the documents stored
        // beside the entries, then entries, hashes and checkpoint, then the
        // outbox rows the entries owe or settle and the receipts owed to
        // the votes' voters by e-mail, in the transaction. A failure or
        // crash here leaves nothing (no document, no row either): the
        // transaction rolls back.
        let size = first_index + write.entries.len() as u64;
        let checkpoint = Checkpoint::new(
            self.origin.clone(),
            TreeSize::new(size),
            appender.root(),
            Vec::new(),
        )
        .and_then(|c| sign_checkpoint(&c, &self.key));
        let written = match checkpoint {
            Ok(signed) => {
                write.checkpoint = signed;
                let writing = async {
                    tx.write_documents(&pending_documents).await?;
                    tx.write(&write).await?;
                    tx.write_outbox(&outbox).await?;
                    tx.write_receipts(&receipts).await
                };
                writing.await.map_err(|e| e.to_string())
            }
            Err(e) => Err(e.to_string()),
        };
        if let Err(message) = written {
            tracing::error!(group = %self.group, size, "batch failed, nothing recorded: {message}");
            metrics::global().batch_failed(&self.group);
            for (request, _) in accepted {
                answer_failed(request, &message);
            }
            return;
        }

        // Step 5: commit. After `Ok`, documents, entries, hashes,
        // checkpoint and mail rows are durable together. After `Err` (or a crash during
        // the commit) the outcome is unknown; `stale` makes the next user
        // re-read the log, and start-up checks the stored tree against the
        // stored checkpoint.
        let committing = std::time::Instant::now();
        if let Err(e) = tx.commit().await {
            let message = e.to_string();
            tracing::error!(group = %self.group, size, "commit's outcome unknown: {message}");
            metrics::global().batch_failed(&self.group);
            for (request, _) in accepted {
                request.answer(Err(AppendError::Unknown(message.clone())));
            }
            return;
        }

        // Step 6: record the new checkpoint as published (the high-water
        // mark), then acknowledge. A crash before the mark is written
        // leaves a mark behind storage, which is safe: nothing beyond it
        // was served. If the mark cannot be written, the entries are
        // durable but not served: their callers hear "state unknown", and
        // `stale` makes the next user read the log again (and try the mark
        // again).
        if let Err(e) = self.mark(&write.checkpoint).await {
            let message = match e {
                MarkFailure::Halt(reason) => {
                    loaded.halted = Some(reason.clone());
                    self.unpublish();
                    reason
                }
                MarkFailure::Io(message) => message,
            };
            tracing::error!(group = %self.group, size, "committed but not published: {message}");
            metrics::global().batch_failed(&self.group);
            for (request, _) in accepted {
                request.answer(Err(AppendError::Unknown(message.clone())));
            }
            return;
        }
        metrics::global().batch_committed(write.entries.len(), committing.elapsed());
        loaded.size = size;
        loaded.appender = Some(appender);
        loaded.stale = false;
        self.publish(&loaded);
        let hashes = Arc::new(TailHashes::new(&before, std::mem::take(&mut write.hashes)));
        for (request, range) in accepted {
            let receipts = range
                .map(|offset| Appended {
                    index: first_index + offset as u64,
                    entry: write.entries[offset].clone(),
                    size,
                    checkpoint: write.checkpoint.clone(),
                    hashes: Arc::clone(&hashes),
                })
                .collect();
            request.answer(Ok(receipts));
        }
    }
}

/// Answers "this batch failed: nothing was recorded" to one request.
fn answer_failed<S>(request: Request<S>, message: &str) {
    request.answer(Err(AppendError::BatchFailed(message.to_owned())));
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::store::documents::DocumentKind;
    use crate::tlog::Hash;

    /// How often the toy fold was asked what a document names.
    static READS: AtomicUsize = AtomicUsize::new(0);

    /// A fold whose entries name documents by a `names` header, and whose
    /// documents name another by a first line `names <hex>`.
    struct Toy;

    impl LogFold for Toy {
        type Refusal = std::convert::Infallible;
        type Published = ();

        fn empty(_: &Origin) -> Self {
            Self
        }

        fn apply(&mut self, _: &Entry) -> Result<(), Self::Refusal> {
            Ok(())
        }

        fn publish(&self, _: Option<&Arc<()>>) -> Arc<()> {
            Arc::new(())
        }

        fn documents_named(entry: &Entry) -> Vec<Hash> {
            entry
                .get("names")
                .map(|hex| Hash::from_hex(hex).expect("a hash"))
                .into_iter()
                .collect()
        }

        fn documents_named_by(document: &[u8]) -> Vec<Hash> {
            READS.fetch_add(1, Ordering::Relaxed);
            std::str::from_utf8(document)
                .ok()
                .and_then(|text| text.strip_prefix("names "))
                .map(|hex| Hash::from_hex(hex.trim_end()).expect("a hash"))
                .into_iter()
                .collect()
        }
    }

    fn entry_naming(document: &Document) -> Entry {
        let time = Timestamp::from_unix(1_800_000_000, 0).expect("a time");
        Entry::new("toy", time).header("names", document.sha256.to_hex())
    }

    fn document(text: &str) -> Document {
        Document::new(text.as_bytes().to_vec(), "B1", DocumentKind::Note)
    }

    #[test]
    fn documents_take_the_index_of_the_entry_that_names_them() {
        let attachment = document("the attachment\n");
        let note = document(&format!("names {}\n", attachment.sha256.to_hex()));
        let plain = document("a note without attachment\n");
        let stray = document("named by nothing\n");
        let entries = [entry_naming(&plain), entry_naming(&note)];
        // Without a document named only by another, no document is read.
        READS.store(0, Ordering::Relaxed);
        let placed = place_documents::<Toy>(vec![plain.clone()], &entries, 10);
        assert_eq!(placed[0].entry, Some(10));
        assert_eq!(READS.load(Ordering::Relaxed), 0);

        let placed = place_documents::<Toy>(
            vec![
                attachment.clone(),
                note.clone(),
                plain.clone(),
                stray.clone(),
            ],
            &entries,
            10,
        );
        let by_hash = |d: &Document| {
            placed
                .iter()
                .find(|p| p.sha256 == d.sha256)
                .expect("every document is returned")
                .entry
        };
        assert_eq!(by_hash(&plain), Some(10));
        assert_eq!(by_hash(&note), Some(11));
        assert_eq!(by_hash(&attachment), Some(11), "with the note naming it");
        assert_eq!(by_hash(&stray), None, "found by hash alone");
        assert_eq!(placed.len(), 4);
    }
}
